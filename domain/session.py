"""Sign-in sessions and the rules of refresh-token rotation.

A session is born at signin and ends when it is signed out, revoked for refresh-token reuse, or
its absolute lifetime runs out. Each refresh rotates the session's refresh token: the presented one
is retired and a new one issued. Presenting a retired token again is reuse, which means the token
leaked, unless it happens within a short grace window (a client that lost the previous response
and retries).
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, auto

# 256 bits of randomness, as the contract asks of refresh tokens.
_REFRESH_TOKEN_BYTES = 32
_SESSION_ID_BYTES = 16


def new_session_id() -> str:
    return secrets.token_hex(_SESSION_ID_BYTES)


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """The opaque value handed to a client. Only its digest is ever stored."""

    value: str = field(repr=False)

    @classmethod
    def generate(cls) -> "RefreshToken":
        return cls(secrets.token_urlsafe(_REFRESH_TOKEN_BYTES))

    @classmethod
    def from_bytes(cls, random_bytes: bytes) -> "RefreshToken":
        """The token spelling `generate` uses, for bytes made elsewhere (a derived successor)."""
        return cls(base64.urlsafe_b64encode(random_bytes).rstrip(b"=").decode())

    @property
    def digest(self) -> str:
        return digest_of(self.value)


def digest_of(token_value: str) -> str:
    # A fast hash is enough: the value is 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(token_value.encode(errors="surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    # Bumped by every rotation; a rotation commits only if the generation it read is still current.
    generation: int
    user_agent: str = ""
    ip: str = ""
    """The client address at signin, by the same rule as the rate limits."""
    last_used_at: datetime | None = None
    """Signin or the last refresh: a protected request does not write it (see README)."""

    @classmethod
    def begin(
        cls, user_id: int, now: datetime, lifetime: timedelta, *, user_agent: str = "", ip: str = ""
    ) -> "Session":
        return cls(
            new_session_id(),
            user_id,
            now,
            now + lifetime,
            revoked_at=None,
            generation=0,
            user_agent=user_agent,
            ip=ip,
            last_used_at=now,
        )

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def issue_refresh_token(
        self, now: datetime, lifetime: timedelta
    ) -> tuple[RefreshToken, "IssuedRefreshToken"]:
        """A new random refresh token of this session (its first), and the record to store."""
        token = RefreshToken.generate()
        return token, self.refresh_record(token, now, lifetime)

    def refresh_record(
        self, token: RefreshToken, now: datetime, lifetime: timedelta
    ) -> "IssuedRefreshToken":
        """The stored record of `token` issued now in this session; it never outlives the
        session."""
        return IssuedRefreshToken(
            digest=token.digest,
            session_id=self.id,
            issued_at=now,
            expires_at=min(now + lifetime, self.expires_at),
            rotated_at=None,
        )


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    """The stored record of one refresh token of a session."""

    digest: str
    session_id: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None


class RefreshVerdict(Enum):
    ROTATE = auto()
    """The current token: retire it and issue the next one."""
    RETRY = auto()
    """A token retired moments ago, by a concurrent request (another tab) or by one whose answer
    was lost: the answer is its successor, the same one the first request got."""
    REUSED = auto()
    """A retired token outside the grace window: it leaked, so the whole session must end."""
    EXPIRED = auto()
    ENDED = auto()
    """The session was signed out or revoked."""


def judge_refresh(
    token: IssuedRefreshToken, session: Session, now: datetime, grace: timedelta
) -> RefreshVerdict:
    if session.revoked_at is not None:
        return RefreshVerdict.ENDED
    if now >= session.expires_at or now >= token.expires_at:
        return RefreshVerdict.EXPIRED
    if token.rotated_at is None:
        return RefreshVerdict.ROTATE
    if now - token.rotated_at <= grace:
        return RefreshVerdict.RETRY
    return RefreshVerdict.REUSED
