"""A software WebAuthn authenticator and the browser's part around it, for tests and tools: it
answers the options Authgate gives with what `navigator.credentials.create` and `.get` would
return, as `PublicKeyCredential.toJSON()` writes it. P-256 keys (ES256), "none" attestation,
and a CBOR encoder of its own, so that the relying party's checks are tested against bytes made
without the library that checks them.

Every knob a test needs to send what a broken or hostile client would: another origin, another
relying party, a signature that does not verify, a counter that goes backwards or stays at 0."""

import base64
import hashlib
import json
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

DEFAULT_ORIGIN = "http://localhost:8081"
_AAGUID = bytes(16)  # "none" attestation: no model to name
_USER_PRESENT = 0x01
_USER_VERIFIED = 0x04
_ATTESTED_CREDENTIAL = 0x40
_COSE_EC2, _COSE_ES256, _COSE_P256 = 2, -7, 1


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cbor(value: Any) -> bytes:
    """RFC 8949 encoding of what WebAuthn uses: integers, byte and text strings, arrays, maps
    (in the order given, as authenticators write them), booleans."""
    if isinstance(value, bool):
        return bytes([0xF5 if value else 0xF4])
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        encoded = value.encode()
        return _head(3, len(encoded)) + encoded
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(f"no CBOR encoding here for {type(value).__name__}")


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for extra, size in ((24, "B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if argument < 256 ** struct.calcsize(size):
            return bytes([major << 5 | extra]) + struct.pack(size, argument)
    raise ValueError("argument too large for CBOR")


@dataclass
class HeldCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


class SoftwareAuthenticator:
    """`counter=False`: an authenticator that keeps no signature counter (always 0)."""

    def __init__(
        self, origin: str = DEFAULT_ORIGIN, *, counter: bool = True, user_verified: bool = True
    ) -> None:
        self.origin = origin
        self.counter = counter
        self.user_verified = user_verified
        self.credentials: list[HeldCredential] = []

    def create(
        self, options: Mapping[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> dict[str, Any]:
        """A new discoverable credential for `options` (the creation options' JSON), as
        `navigator.credentials.create` returns it. `origin` and `rp_id` lie about where the
        page and the relying party are."""
        rp_id = rp_id or options["rp"]["id"]
        held = HeldCredential(
            credential_id=secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=from_b64url(options["user"]["id"]),
        )
        self.credentials.append(held)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        public = held.private_key.public_key().public_numbers()
        cose_key = {
            1: _COSE_EC2,
            3: _COSE_ES256,
            -1: _COSE_P256,
            -2: public.x.to_bytes(32, "big"),
            -3: public.y.to_bytes(32, "big"),
        }
        attested = (
            _AAGUID
            + len(held.credential_id).to_bytes(2, "big")
            + held.credential_id
            + cbor(cose_key)
        )
        auth_data = self._authenticator_data(rp_id, _ATTESTED_CREDENTIAL, held.sign_count)
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data + attested})
        return {
            "id": b64url(held.credential_id),
            "rawId": b64url(held.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: Mapping[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        credential: HeldCredential | None = None,
        sign_count: int | None = None,
        bad_signature: bool = False,
    ) -> dict[str, Any]:
        """An assertion for `options` (the request options' JSON) with the newest credential
        held for the relying party (or `credential`), as `navigator.credentials.get` returns
        it. `sign_count` replaces the counter the authenticator would send; `bad_signature`
        signs something else."""
        rp_id = rp_id or options["rpId"]
        held = credential or next(c for c in reversed(self.credentials) if c.rp_id == rp_id)
        if sign_count is None:
            if self.counter:
                held.sign_count += 1
            sign_count = held.sign_count
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._authenticator_data(rp_id, 0, sign_count)
        signed = auth_data + hashlib.sha256(client_data).digest()
        if bad_signature:
            signed += b"tampered"
        signature = held.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(held.credential_id),
            "rawId": b64url(held.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(held.user_handle),
            },
        }

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": False}, separators=(",", ":")).encode()

    def _authenticator_data(self, rp_id: str, flags: int, sign_count: int) -> bytes:
        flags |= _USER_PRESENT | (_USER_VERIFIED if self.user_verified else 0)
        return (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + sign_count.to_bytes(4, "big")
        )
