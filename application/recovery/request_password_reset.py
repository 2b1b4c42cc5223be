"""Forgot password. The answer is the same, in words and in time, whether or not the address is
registered: the request path only checks the address's form and hands it on; the look-up, the
token and the mail happen afterwards, in `SendPasswordReset`."""

from dataclasses import dataclass

from application.ports.mail import MailMessage, OutgoingMail, PasswordResetRequests
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from application.shared.one_time_tokens import OneTimeTokens
from application.shared.throttle import Throttle
from application.shared.transactions import Transactions
from domain.one_time_token import TokenPurpose
from domain.values import Email


@dataclass(frozen=True, slots=True)
class RequestPasswordResetRequest:
    email: str


class RequestPasswordReset:
    def __init__(
        self,
        identify: IdentifyCaller,
        requests: PasswordResetRequests,
        throttle: Throttle,
        transactions: Transactions,
    ) -> None:
        self._identify = identify
        self._requests = requests
        self._throttle = throttle
        self._transactions = transactions

    async def execute(self, request: RequestPasswordResetRequest) -> None:
        email = Email(request.email)
        # Per email and per address, registered or not, so a 429 tells nothing either.
        attempts = self._throttle.policy.password_reset(email.value, self._identify.client)
        # Counted before the request is handed on, and committed at once: a burst of requests
        # sends no more mails than the limits allow.
        await self._throttle.reserve(attempts, self._transactions)
        self._requests.submit(email)


class SendPasswordReset:
    """What a reset request does once it has been answered: a registered address gets a new
    token (its older ones die) and a mail with the link; an unknown one, nothing."""

    def __init__(
        self,
        users: UserRepository,
        tokens: OneTimeTokens,
        transactions: Transactions,
        mail: OutgoingMail,
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._transactions = transactions
        self._mail = mail

    async def execute(self, email: Email) -> bool:
        """Whether a mail was posted."""
        message = await self._transactions.run(lambda: self._issue(email))
        if message is None:
            return False
        self._mail.post(message)
        return True

    async def _issue(self, email: Email) -> MailMessage | None:
        user = await self._users.find_by_email(email)
        if user is None:
            return None
        return await self._tokens.issue(user, TokenPurpose.PASSWORD_RESET)
