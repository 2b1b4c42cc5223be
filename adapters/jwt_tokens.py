import functools
import secrets
import time
from datetime import datetime, timedelta

import jwt

from application.errors import AccessTokenExpired, AccessTokenInvalid
from application.ports import AccessClaims, AccessToken

MIN_SECRET_BYTES = 32
_REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti", "sid"]
# Tokens verified lately, by their exact text: a client repeats its token on every request, and
# PyJWT's checks cost ~40 us each time. Only the expiry can change its verdict, so that alone is
# checked again on a hit. Refused tokens are never kept.
_VERIFIED_CACHE_SIZE = 4096


class JwtAccessTokens:
    """HS256 access tokens. The algorithm is pinned on verification, so `alg: none` and other
    algorithms are refused whatever the token's header says."""

    ALGORITHM = "HS256"

    def __init__(self, secret: bytes, lifetime: timedelta) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes long")
        self._secret = secret
        self._lifetime = lifetime
        self._verified = functools.lru_cache(maxsize=_VERIFIED_CACHE_SIZE)(self._decode)

    def issue(self, user_id: int, session_id: str, now: datetime) -> AccessToken:
        issued_at = int(now.timestamp())
        lifetime = int(self._lifetime.total_seconds())
        claims = {
            "sub": str(user_id),
            "sid": session_id,
            "iat": issued_at,
            "exp": issued_at + lifetime,
            "jti": secrets.token_hex(16),
        }
        return AccessToken(jwt.encode(claims, self._secret, self.ALGORITHM), lifetime)

    def verify(self, token: str, *, allow_expired: bool = False) -> AccessClaims:
        claims, expires_at = self._verified(token)
        # PyJWT's own rule: a token is expired from the second its `exp` names.
        if not allow_expired and time.time() >= expires_at:
            raise AccessTokenExpired
        return claims

    def _decode(self, token: str) -> tuple[AccessClaims, float]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False},
            )
        except jwt.PyJWTError:
            raise AccessTokenInvalid from None
        subject, session_id, expires_at = claims["sub"], claims["sid"], claims["exp"]
        if not (isinstance(subject, str) and _is_user_id(subject)):
            raise AccessTokenInvalid
        if not isinstance(session_id, str) or not isinstance(expires_at, int | float):
            raise AccessTokenInvalid
        return AccessClaims(user_id=int(subject), session_id=session_id), float(expires_at)


def _is_user_id(subject: str) -> bool:
    # Bounded length: int() of a huge digit string is slow and then refused by Python.
    return 0 < len(subject) <= 18 and subject.isascii() and subject.isdigit()
