"""Sessions and their refresh tokens, and the fast question every protected read asks."""

from datetime import datetime
from typing import Protocol

from domain.session import IssuedRefreshToken, RefreshToken, Session
from domain.user import Principal


class SessionStore(Protocol):
    async def start(self, session: Session, first_token: IssuedRefreshToken) -> None: ...

    async def find_by_refresh_digest(
        self, digest: str
    ) -> tuple[IssuedRefreshToken, Session] | None:
        """The token and its session, locked against concurrent rotation where storage can."""
        ...

    async def rotate(
        self, session: Session, retired_at: datetime, next_token: IssuedRefreshToken
    ) -> bool:
        """Retires every live token of the session and stores `next_token` as the only live one.

        Happens only if the session is unrevoked and still at `session.generation`; returns False
        (changing nothing) when a concurrent rotation or revocation got there first.
        """
        ...

    async def revoke(self, session_id: str, at: datetime) -> None: ...

    async def live_sessions(self, user_id: int, now: datetime) -> list[Session]:
        """The user's sessions that are neither revoked nor expired, newest first."""
        ...

    async def revoke_of_user(self, user_id: int, session_id: str, at: datetime) -> bool:
        """Ends the session if it is live and the user's; whether it did."""
        ...

    async def revoke_all_of_user(self, user_id: int, at: datetime, keep: str | None = None) -> int:
        """Ends every live session of the user but `keep`; how many ended."""
        ...

    async def purge(self, now: datetime) -> int:
        """Deletes ended sessions and expired refresh tokens, and the expired attempt tallies kept
        in the same storage; returns how many sessions went."""
        ...


class RefreshTokenSuccession(Protocol):
    def successor(self, token: RefreshToken) -> RefreshToken:
        """The token that replaces `token` when it is rotated: the same every time for the same
        token, so that concurrent refreshes with one token all get one successor, and impossible
        to compute without the server's key, so that a leaked retired token does not reveal the
        live one."""
        ...


class PrincipalFinder(Protocol):
    async def find(
        self, user_id: int, session_id: str, now: datetime, key_id: str | None = None
    ) -> Principal | None:
        """The user's current roles if the user exists and is enabled, the session is live, and
        the key that signed the token (`key_id`, when it names one) is not revoked; one round
        trip. The key's check is what makes a revocation hold at once on every server."""
        ...
