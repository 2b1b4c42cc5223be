from application.common.errors import AccessTokenInvalid
from application.ports.mail import MailMessage, OutgoingMail
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from application.shared.one_time_tokens import OneTimeTokens
from application.shared.throttle import Throttle
from application.shared.transactions import Transactions
from domain.one_time_token import TokenPurpose


class ResendVerification:
    """A new verification mail for the signed-in caller (older links die), unless the address is
    verified already."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        tokens: OneTimeTokens,
        transactions: Transactions,
        mail: OutgoingMail,
        throttle: Throttle,
    ) -> None:
        self._throttle = throttle
        self._identify = identify
        self._users = users
        self._tokens = tokens
        self._transactions = transactions
        self._mail = mail

    async def execute(self) -> bool:
        """Whether a mail was posted."""
        caller = await self._identify()
        # Counted before the token and the mail, and committed at once: a burst of resends
        # mails no address more often than the limits allow.
        attempts = self._throttle.policy.verification_resend(caller.user_id)
        await self._throttle.reserve(attempts, self._transactions)
        message = await self._transactions.run(lambda: self._issue(caller.user_id))
        if message is None:
            return False
        self._mail.post(message)
        return True

    async def _issue(self, user_id: int) -> MailMessage | None:
        user = await self._users.get(user_id)
        if user is None:
            raise AccessTokenInvalid
        if user.email_verified:
            return None
        return await self._tokens.issue(user, TokenPurpose.EMAIL_VERIFICATION)
