"""Issuing and redeeming mailed single-use tokens; shared by signup, verification and recovery."""

from dataclasses import dataclass
from datetime import timedelta

from application.common.errors import OneTimeTokenInvalid
from application.ports.clock import Clock
from application.ports.mail import MailMessage, OneTimeTokenStore
from application.ports.users import UserRepository
from application.shared.account_mail import compose_token_mail
from domain.one_time_token import (
    IssuedOneTimeToken,
    TokenPurpose,
    honours,
    issue_one_time_token,
)
from domain.session import digest_of
from domain.user import User

TOKEN_PLACEHOLDER = "{token}"  # noqa: S105 - where a URL template takes the token


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    password_reset_lifetime: timedelta
    email_verification_lifetime: timedelta
    password_reset_url: str
    """A URL template; `{token}` stands for the token."""
    email_verification_url: str

    def lifetime(self, purpose: TokenPurpose) -> timedelta:
        if purpose is TokenPurpose.PASSWORD_RESET:
            return self.password_reset_lifetime
        return self.email_verification_lifetime

    def link(self, purpose: TokenPurpose, token: str) -> str:
        template = (
            self.password_reset_url
            if purpose is TokenPurpose.PASSWORD_RESET
            else self.email_verification_url
        )
        # The token is URL-safe base64: it goes into the link as it is.
        return template.replace(TOKEN_PLACEHOLDER, token)


class OneTimeTokens:
    def __init__(
        self,
        tokens: OneTimeTokenStore,
        users: UserRepository,
        clock: Clock,
        policy: TokenPolicy,
    ) -> None:
        self._tokens = tokens
        self._users = users
        self._clock = clock
        self._policy = policy

    async def issue(self, user: User, purpose: TokenPurpose) -> MailMessage:
        """Stores a new token in place of the user's older ones of the purpose, and returns the
        mail that carries it: to be posted once the transaction has committed."""
        lifetime = self._policy.lifetime(purpose)
        token, record = issue_one_time_token(user, purpose, self._clock.now(), lifetime)
        await self._tokens.replace(record)
        link = self._policy.link(purpose, token.value)
        return compose_token_mail(user, purpose, link, lifetime)

    async def holder(self, token: str, purpose: TokenPurpose) -> User:
        """The user a live token of the purpose was issued to; OneTimeTokenInvalid otherwise."""
        return (await self._honoured(token, purpose))[0]

    async def redeem(self, token: str, purpose: TokenPurpose) -> User:
        """Like `holder`, and uses the token up with every other of its user and purpose. Of two
        concurrent redemptions only one succeeds."""
        user, record = await self._honoured(token, purpose)
        if not await self._tokens.consume(record):
            raise OneTimeTokenInvalid
        return user

    async def _honoured(self, token: str, purpose: TokenPurpose) -> tuple[User, IssuedOneTimeToken]:
        record = await self._tokens.find(digest_of(token)) if token else None
        user = await self._users.get(record.user_id) if record else None
        if record is None or user is None or not honours(record, user, purpose, self._clock.now()):
            raise OneTimeTokenInvalid
        return user, record
