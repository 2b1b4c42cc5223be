"""The one signing secret of the tests, and access tokens crafted by hand as an attacker would,
or as the service would with its own key (`es256_signed`, `Signer`)."""

import base64
import json
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

# Long enough for HS512 too, so that a forgery signed with it is refused for its algorithm alone.
TEST_SECRET = b"a test secret long enough for HS256, HS384 and even HS512 keys!!"
OTHER_SECRET = b"a different secret, just as long as the real one"
ISSUER = "http://localhost:8080"
AUDIENCE = "authgate"


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
        "iss": ISSUER,
        "aud": AUDIENCE,
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


Signer = Callable[[dict[str, Any]], str]
"""Signs claims as the service under test signs them: its algorithm, its current key."""


def es256_signed(
    claims: dict[str, Any], private_key: ec.EllipticCurvePrivateKey, kid: str | None
) -> str:
    headers = {} if kid is None else {"kid": kid}
    return jwt.encode(claims, private_key, algorithm="ES256", headers=headers)


def verified_claims(
    token: str, jwks: dict[str, Any], secret: bytes = TEST_SECRET
) -> dict[str, Any]:
    """The claims of a token the service issued, checked as another service would check them:
    against its published key set (ES256), or the shared secret (HS256)."""
    header = jwt.get_unverified_header(token)
    # Times are the service's (fake) clock's: tests check them against that clock themselves.
    options: jwt.types.Options = {
        "require": ["exp", "iat", "iss", "aud", "sub"],
        "verify_exp": False,
        "verify_iat": False,
        "verify_nbf": False,
    }
    if header["alg"] == "HS256":
        return jwt.decode(
            token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, options=options
        )
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    return jwt.decode(
        token, key, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER, options=options
    )
