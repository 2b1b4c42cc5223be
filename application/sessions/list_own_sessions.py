from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.shared.identify_caller import IdentifyCaller
from domain.session import Session


@dataclass(frozen=True, slots=True)
class OwnSessions:
    sessions: list[Session]
    current_id: str
    """The session of the token that asked."""


class ListOwnSessions:
    """The signed-in caller's live sessions, newest first."""

    def __init__(self, identify: IdentifyCaller, sessions: SessionStore, clock: Clock) -> None:
        self._identify = identify
        self._sessions = sessions
        self._clock = clock

    async def execute(self) -> OwnSessions:
        caller = await self._identify()
        live = await self._sessions.live_sessions(caller.user_id, self._clock.now())
        return OwnSessions(live, caller.session_id)
