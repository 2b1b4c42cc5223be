"""The end of every successful signin, whichever steps it took: a session and its first tokens,
the attempt's places under the signin limits given back, and the `signin.success` event naming
how the user proved who they are."""

from collections.abc import Mapping
from dataclasses import dataclass

from application.common.client import Client
from application.ports.access_tokens import AccessToken, AccessTokenIssuer
from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.rate_limits import SigninAttempts
from application.shared.session_policy import SessionPolicy
from application.shared.throttle import Reservation, Throttle
from domain.audit import AuditEventType, DetailValue
from domain.second_factor import SigninMethod
from domain.session import RefreshToken, Session
from domain.user import User
from domain.values import PasswordHash


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    access_token: AccessToken
    refresh_token: RefreshToken


class StartSession:
    def __init__(
        self,
        users: UserRepository,
        sessions: SessionStore,
        issuer: AccessTokenIssuer,
        clock: Clock,
        policy: SessionPolicy,
        throttle: Throttle,
        audit: AuditLog,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._issuer = issuer
        self._clock = clock
        self._policy = policy
        self._throttle = throttle
        self._audit = audit

    async def __call__(
        self,
        user: User,
        method: SigninMethod,
        attempts: SigninAttempts,
        reservation: Reservation,
        client: Client,
        rehashed: PasswordHash | None = None,
    ) -> SignedIn:
        """Inside the caller's unit of work."""
        if rehashed is not None:
            await self._users.set_password_hash(user.id, rehashed)
        # A success is no failure: it forgives the failures of the account from this address,
        # and gives back its places on the address and the account, so that many signins from
        # one address (a NAT, an office) are not taken for guessing.
        await self._throttle.release(
            reservation, (attempts.address, attempts.account), forget=(attempts.account_address,)
        )
        return await self.begin(user, method, client)

    async def begin(
        self,
        user: User,
        method: SigninMethod,
        client: Client,
        detail: Mapping[str, DetailValue] | None = None,
    ) -> SignedIn:
        """The session alone, for a signin that took no places under the signin limits (a
        passkey's); `detail` adds to the `signin.success` event. Inside the caller's unit of
        work."""
        now = self._clock.now()
        session = Session.begin(
            user.id,
            now,
            self._policy.session_lifetime,
            user_agent=client.user_agent,
            ip=client.address,
        )
        refresh_token, record = session.issue_refresh_token(
            now, self._policy.refresh_token_lifetime
        )
        # The account's row first: the session's foreign key would otherwise take a shared lock
        # on it, and two signins of one account, each holding that and asking for the row to
        # write, would deadlock.
        await self._users.record_signin(user.id, now)
        await self._sessions.start(session, record)
        await self._audit.record(
            AuditEventType.SIGNIN_SUCCESS,
            client,
            user_id=user.id,
            actor_id=user.id,
            detail={"session": session.id, "method": method.value, **(detail or {})},
        )
        return SignedIn(
            user=user,
            access_token=await self._issuer.issue(user.id, session.id, now),
            refresh_token=refresh_token,
        )
