"""Second-factor secrets at rest, under keys derived from JWT_SECRET: a copy of the database
alone yields no TOTP secret and no way to test a guessed recovery code.

- A TOTP secret is sealed with AES-256-GCM: a random 96-bit nonce per seal, the user's id as
  associated data (a sealed secret copied onto another account does not open there).
- A recovery code is kept as HMAC-SHA256 under a key of its own. A fast keyed digest is enough,
  where a password needs a slow hash: a code is 59 random bits (domain/second_factor.py), not a
  word a person chose, so there is no dictionary to try and the key keeps even a brute force out
  of reach of whoever holds the database alone.

Both keys come from the secret by HKDF-SHA256, each under its own label, so neither can stand in
for the other or for the JWT signing key."""

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.ports.second_factors import SecretSealer

_VERSION = "v1"
_NONCE_BYTES = 12
_KEY_BYTES = 32


def derive_key(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=label).derive(secret)


class AesGcmSecretSealer(SecretSealer):
    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive_key(secret, b"authgate totp secret sealing v1"))
        self._code_key = derive_key(secret, b"authgate recovery code digest v1")

    def seal(self, secret: str, user_id: int) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), _associated(user_id))
        return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def unseal(self, sealed: str, user_id: int) -> str:
        version, _, payload = sealed.partition(".")
        if version != _VERSION:
            raise ValueError("sealed by an unknown version")
        try:
            raw = base64.urlsafe_b64decode(payload)
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _associated(user_id))
        except (InvalidTag, ValueError) as error:
            raise ValueError("not sealed for this user under this key") from error
        return plain.decode()

    def recovery_code_digest(self, normalized_code: str, user_id: int) -> str:
        message = f"{user_id}:{normalized_code}".encode()
        return hmac.new(self._code_key, message, hashlib.sha256).hexdigest()


def _associated(user_id: int) -> bytes:
    return f"authgate user {user_id}".encode()
