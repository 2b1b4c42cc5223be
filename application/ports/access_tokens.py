"""The short-lived, self-contained token a signed-in caller presents."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_id: str
    key_id: str | None = None
    """The `kid` of the key that signed it; None for HS256 tokens, signed with the secret."""
    issued_at: int = 0
    expires_at: int = 0
    issuer: str = ""
    audience: str = ""


class AccessTokenIssuer(Protocol):
    async def issue(self, user_id: int, session_id: str, now: datetime) -> AccessToken:
        """Signed with the key that signs now (read from storage at most a second ago)."""
        ...


class AccessTokenVerifier(Protocol):
    async def verify(self, token: str, *, allow_expired: bool = False) -> AccessClaims:
        """Raises AccessTokenExpired or AccessTokenInvalid. Checks the signature, the claims and
        the expiry only: whether its session, its user and its key are still live is
        `PrincipalFinder`'s question."""
        ...
