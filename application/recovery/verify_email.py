from dataclasses import dataclass, field

from application.ports.users import UserRepository
from application.shared.one_time_tokens import OneTimeTokens
from application.shared.transactions import Transactions
from domain.one_time_token import TokenPurpose


@dataclass(frozen=True, slots=True)
class VerifyEmailRequest:
    token: str = field(repr=False)


class VerifyEmail:
    """Marks the address verified with the token mailed to it; the token is then used up."""

    def __init__(
        self, tokens: OneTimeTokens, users: UserRepository, transactions: Transactions
    ) -> None:
        self._tokens = tokens
        self._users = users
        self._transactions = transactions

    async def execute(self, request: VerifyEmailRequest) -> None:
        await self._transactions.run(lambda: self._verify(request.token))

    async def _verify(self, token: str) -> None:
        user = await self._tokens.redeem(token, TokenPurpose.EMAIL_VERIFICATION)
        await self._users.mark_email_verified(user.id)
