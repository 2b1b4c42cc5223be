import secrets
from datetime import datetime, timedelta

import jwt

from application.errors import AccessTokenExpired, AccessTokenInvalid
from application.ports import AccessClaims, AccessToken

MIN_SECRET_BYTES = 32
_REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti", "sid"]


class JwtAccessTokens:
    """HS256 access tokens. The algorithm is pinned on verification, so `alg: none` and other
    algorithms are refused whatever the token's header says."""

    ALGORITHM = "HS256"

    def __init__(self, secret: bytes, lifetime: timedelta) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes long")
        self._secret = secret
        self._lifetime = lifetime

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
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                options={"require": _REQUIRED_CLAIMS, "verify_exp": not allow_expired},
            )
        except jwt.ExpiredSignatureError:
            raise AccessTokenExpired from None
        except jwt.PyJWTError:
            raise AccessTokenInvalid from None
        subject, session_id = claims["sub"], claims["sid"]
        if not (isinstance(subject, str) and _is_user_id(subject)):
            raise AccessTokenInvalid
        if not isinstance(session_id, str):
            raise AccessTokenInvalid
        return AccessClaims(user_id=int(subject), session_id=session_id)


def _is_user_id(subject: str) -> bool:
    # Bounded length: int() of a huge digit string is slow and then refused by Python.
    return 0 < len(subject) <= 18 and subject.isascii() and subject.isdigit()
