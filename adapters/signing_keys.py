"""ES256 key pairs for access tokens, on `cryptography`: making them, naming them (the RFC 7638
thumbprint is the `kid`), publishing their public half as a JWK, and keeping their private half
sealed with AES-GCM under a key derived from JWT_SECRET (HKDF-SHA256), so that a copy of the
database alone cannot sign. The `kid` is the sealed key's associated data: a sealed key moved to
another row does not open."""

import base64
import hashlib
import json
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.ports.signing_keys import SigningKeyFactory

ALGORITHM = "ES256"
_CURVE = "P-256"
_COORDINATE_BYTES = 32
_NONCE_BYTES = 12
_SEALING_INFO = b"authgate signing keys v1"


class UnreadableSigningKey(Exception):
    """A sealed private key that this JWT_SECRET does not open: the secret changed since it was
    made, or the row was tampered with."""


class EcSigningKeyFactory(SigningKeyFactory):
    def __init__(self, secret: bytes) -> None:
        self._sealer = KeySealer(secret)

    @property
    def algorithm(self) -> str:
        return ALGORITHM

    def generate(self) -> tuple[str, str, bytes]:
        private_key = ec.generate_private_key(ec.SECP256R1())
        jwk = public_jwk(private_key.public_key())
        return jwk["kid"], json.dumps(jwk), self._sealer.seal(jwk["kid"], private_key)


class KeySealer:
    def __init__(self, secret: bytes) -> None:
        key = HKDF(hashes.SHA256(), length=32, salt=None, info=_SEALING_INFO).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, kid: str, private_key: ec.EllipticCurvePrivateKey) -> bytes:
        plain = private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plain, kid.encode())

    def open(self, kid: str, sealed: bytes) -> ec.EllipticCurvePrivateKey:
        try:
            plain = self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], kid.encode())
        except (InvalidTag, ValueError):
            raise UnreadableSigningKey(kid) from None
        private_key = serialization.load_der_private_key(plain, password=None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise UnreadableSigningKey(kid)
        return private_key


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    members = {
        "crv": _CURVE,
        "kty": "EC",
        "x": _base64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": _base64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
    }
    return {**members, "kid": thumbprint(members), "use": "sig", "alg": ALGORITHM}


def thumbprint(members: Mapping[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members in lexicographic order, no whitespace."""
    canonical = json.dumps(
        {name: members[name] for name in ("crv", "kty", "x", "y")},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _base64url(hashlib.sha256(canonical.encode()).digest())


def public_key_of(jwk_json: str) -> ec.EllipticCurvePublicKey:
    jwk = json.loads(jwk_json)
    x = int.from_bytes(_unbase64url(jwk["x"]), "big")
    y = int.from_bytes(_unbase64url(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unbase64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
