import base64
import binascii
import functools
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt

from adapters.key_ring import KeyRing
from application.common.errors import AccessTokenExpired, AccessTokenInvalid
from application.ports.access_tokens import (
    AccessClaims,
    AccessToken,
    AccessTokenIssuer,
    AccessTokenVerifier,
)
from application.ports.clock import Clock

DEFAULT_ISSUER = "http://localhost:8080"
DEFAULT_AUDIENCE = "authgate"

MIN_SECRET_BYTES = 32
# Authgate's own tokens are about 400 characters; anything far longer is refused before parsing,
# which also bounds what one entry of the cache below can hold.
MAX_TOKEN_CHARACTERS = 1024
_REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti", "sid", "iss", "aud"]
# Three base64url parts without padding: `=`, `+` and `/` are other spellings of the same bytes.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# An RFC 7638 thumbprint: 43 base64url characters (SHA-256).
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
# Times in seconds since 1970 up to the end of year 9999, as integers: NaN, Infinity and 1e20
# would otherwise never expire.
_LATEST_TIME = 253_402_300_799
# Tokens verified lately, by their exact text: a client repeats its token on every request, and
# PyJWT's checks cost ~40 us each time (ES256: ~100 us). Only the expiry can change its verdict
# here, so that alone is checked again on a hit; whether its key or its session was revoked since
# is the authorization query's question, asked on every request. Refused tokens are never kept.
# At most 4096 entries of at most MAX_TOKEN_CHARACTERS each: a few MiB.
_VERIFIED_CACHE_SIZE = 4096


class _UnknownKey(Exception):
    def __init__(self, kid: str) -> None:
        super().__init__(kid)
        self.kid = kid


class JwtAccessTokens(AccessTokenIssuer, AccessTokenVerifier):
    """Access tokens signed ES256 with the key ring's current key (`kid` in the header), or HS256
    with JWT_SECRET when there is no ring. The algorithm is pinned on verification, so `alg:
    none` and every other algorithm are refused whatever the token's header says; `iss` and
    `aud` must be this service's. A token is accepted only in its one canonical spelling."""

    def __init__(
        self,
        secret: bytes,
        lifetime: timedelta,
        clock: Clock,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        ring: KeyRing | None = None,
    ) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes long")
        self._secret = secret
        self._lifetime = lifetime
        self._clock = clock
        self._issuer = issuer
        self._audience = audience
        self._ring = ring
        self.algorithm = "HS256" if ring is None else "ES256"
        self._verified = functools.lru_cache(maxsize=_VERIFIED_CACHE_SIZE)(self._decode)

    async def issue(self, user_id: int, session_id: str, now: datetime) -> AccessToken:
        issued_at = int(now.timestamp())
        lifetime = int(self._lifetime.total_seconds())
        claims = {
            "sub": str(user_id),
            "sid": session_id,
            "iat": issued_at,
            "exp": issued_at + lifetime,
            "jti": secrets.token_hex(16),
            "iss": self._issuer,
            "aud": self._audience,
        }
        if self._ring is None:
            return AccessToken(jwt.encode(claims, self._secret, self.algorithm), lifetime)
        kid, private_key = await self._ring.signing_key()
        token = jwt.encode(claims, private_key, self.algorithm, headers={"kid": kid})
        return AccessToken(token, lifetime)

    async def verify(self, token: str, *, allow_expired: bool = False) -> AccessClaims:
        if len(token) > MAX_TOKEN_CHARACTERS:
            raise AccessTokenInvalid
        try:
            claims = self._verified(token)
        except _UnknownKey as unknown:
            # A key made since this process last read the set (or a made-up one).
            if self._ring is None or not await self._ring.learn(unknown.kid):
                raise AccessTokenInvalid from None
            try:
                claims = self._verified(token)
            except _UnknownKey:
                raise AccessTokenInvalid from None
        # PyJWT's own rule: a token is expired from the second its `exp` names.
        if not allow_expired and self._clock.now().timestamp() >= claims.expires_at:
            raise AccessTokenExpired
        return claims

    def _decode(self, token: str) -> AccessClaims:
        if not _is_canonical(token):
            raise AccessTokenInvalid
        try:
            key_id, key = self._verification_key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                issuer=self._issuer,
                audience=self._audience,
                # Times are checked against the injected clock here, not PyJWT's wall clock.
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            raise AccessTokenInvalid from None
        subject, session_id = claims["sub"], claims["sid"]
        issued_at, expires_at = claims["iat"], claims["exp"]
        if not (isinstance(subject, str) and _is_user_id(subject)):
            raise AccessTokenInvalid
        if not isinstance(session_id, str) or not (_is_time(issued_at) and _is_time(expires_at)):
            raise AccessTokenInvalid
        return AccessClaims(
            user_id=int(subject),
            session_id=session_id,
            key_id=key_id,
            issued_at=issued_at,
            expires_at=expires_at,
            issuer=self._issuer,
            audience=self._audience,
        )

    def _verification_key(self, token: str) -> tuple[str | None, Any]:
        if self._ring is None:
            return None, self._secret
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or not _KID.fullmatch(kid):
            raise AccessTokenInvalid
        key = self._ring.public_key(kid)
        if key is None:
            raise _UnknownKey(kid)
        return kid, key


def _is_canonical(token: str) -> bool:
    """Each part is the one base64url spelling of its bytes: no padding, no other alphabet, and
    no stray bits in the last character (which decoding would silently drop)."""
    if not _COMPACT_JWS.fullmatch(token):
        return False
    for part in token.split("."):
        try:
            decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            return False
        if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() != part:
            return False
    return True


def _is_time(value: object) -> bool:
    return type(value) is int and 0 <= value <= _LATEST_TIME


def _is_user_id(subject: str) -> bool:
    # Bounded length: int() of a huge digit string is slow and then refused by Python.
    return 0 < len(subject) <= 18 and subject.isascii() and subject.isdigit()
