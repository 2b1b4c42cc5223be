"""The `mfaToken`: what carries a signin from its password step to its second factor. Opaque
(256 random bits; only a digest stored), single use, 5 minutes, bound to its user and to the
password it followed (a password change kills it), and kept in the storage every worker and
server shares, so the second step may land anywhere."""

from application.common.errors import SecondFactorSigninExpired
from application.ports.clock import Clock
from application.ports.mail import OneTimeTokenStore
from application.ports.users import UserRepository
from domain.one_time_token import IssuedOneTimeToken, TokenPurpose, honours, issue_one_time_token
from domain.second_factor import MFA_TOKEN_LIFETIME
from domain.session import digest_of
from domain.user import User

_PURPOSE = TokenPurpose.SECOND_FACTOR_SIGNIN


class SecondFactorSignins:
    def __init__(self, tokens: OneTimeTokenStore, users: UserRepository, clock: Clock) -> None:
        self._tokens = tokens
        self._users = users
        self._clock = clock

    async def begin(self, user: User) -> str:
        """A new mfaToken for the user, beside any other of theirs still pending (a second
        device). Inside the caller's unit of work."""
        token, record = issue_one_time_token(user, _PURPOSE, self._clock.now(), MFA_TOKEN_LIFETIME)
        await self._tokens.add(record)
        return token.value

    async def pending(self, token: str) -> tuple[User, IssuedOneTimeToken]:
        """The user a live mfaToken was issued to, with its record; SecondFactorSigninExpired
        otherwise, also once the user has no second factor any more."""
        record = await self._tokens.find(digest_of(token)) if token else None
        user = await self._users.get(record.user_id) if record else None
        if (
            record is None
            or user is None
            or not user.second_factor
            or not honours(record, user, _PURPOSE, self._clock.now())
        ):
            raise SecondFactorSigninExpired
        return user, record

    async def finish(self, record: IssuedOneTimeToken) -> None:
        """Uses the mfaToken up, inside the unit of work that starts the session: of concurrent
        requests presenting it, one finishes, the others raise SecondFactorSigninExpired."""
        if not await self._tokens.use(record):
            raise SecondFactorSigninExpired
