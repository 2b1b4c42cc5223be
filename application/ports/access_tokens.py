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


class AccessTokenIssuer(Protocol):
    def issue(self, user_id: int, session_id: str, now: datetime) -> AccessToken: ...


class AccessTokenVerifier(Protocol):
    def verify(self, token: str, *, allow_expired: bool = False) -> AccessClaims:
        """Raises AccessTokenExpired or AccessTokenInvalid."""
        ...
