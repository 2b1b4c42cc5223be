"""The one signing secret of the tests, and access tokens crafted by hand as an attacker would."""

import base64
import json
import warnings
from datetime import datetime, timedelta
from typing import Any

import jwt

# Long enough for HS512 too, so that a forgery signed with it is refused for its algorithm alone.
TEST_SECRET = b"a test secret long enough for HS256, HS384 and even HS512 keys!!"
OTHER_SECRET = b"a different secret, just as long as the real one"


def claims_for(
    user_id: int, session_id: str, issued_at: datetime, lifetime: timedelta = timedelta(hours=1)
) -> dict[str, Any]:
    """The claims JwtAccessTokens puts in a token."""
    iat = int(issued_at.timestamp())
    return {
        "sub": str(user_id),
        "sid": session_id,
        "iat": iat,
        "exp": iat + int(lifetime.total_seconds()),
        "jti": "0123456789abcdef",
    }


def signed(claims: dict[str, Any], secret: bytes = TEST_SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        # An attacker signing HS512 with the HS256 secret does not care that it is short for it.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=algorithm)


def unsigned(claims: dict[str, Any]) -> str:
    """An `alg: none` token."""
    return f"{base64url_json({'alg': 'none', 'typ': 'JWT'})}.{base64url_json(claims)}."


def with_payload(token: str, claims: dict[str, Any]) -> str:
    """The token with its payload swapped and its original signature kept."""
    header, _, signature = token.split(".")
    return f"{header}.{base64url_json(claims)}.{signature}"


def base64url_json(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
