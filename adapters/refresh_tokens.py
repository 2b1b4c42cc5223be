import hashlib
import hmac

from application.ports.sessions import RefreshTokenSuccession
from domain.session import RefreshToken

_CONTEXT = b"authgate refresh-token successor v1"


class HmacRefreshTokenSuccession(RefreshTokenSuccession):
    """A token's successor is HMAC-SHA256 of the token under a key derived from the server's
    secret: 256 bits, the same for every request that presents the token, unknowable without the
    secret."""

    def __init__(self, secret: bytes) -> None:
        # A key of its own, so that this use of the secret cannot be confused with signing JWTs.
        self._key = hmac.digest(secret, _CONTEXT, hashlib.sha256)

    def successor(self, token: RefreshToken) -> RefreshToken:
        mac = hmac.digest(self._key, token.value.encode(errors="surrogatepass"), hashlib.sha256)
        return RefreshToken.from_bytes(mac)
