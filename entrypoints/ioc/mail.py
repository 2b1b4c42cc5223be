"""Mail: SMTP when SMTP_URL is set, else the outbox folder; always delivered in the background."""

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, alias, provide

from adapters.mail.delivery import BackgroundMailDelivery, DeliveryPolicy
from adapters.mail.outbox import OutboxMailer
from adapters.mail.smtp import SmtpMailer
from application.ports.clock import Clock
from application.ports.mail import Mailer, OutgoingMail, PasswordResetRequests
from entrypoints.background import BackgroundPasswordResets
from entrypoints.settings import MailSettings, ServerSettings


def delivery_policy(mail: MailSettings) -> DeliveryPolicy:
    return DeliveryPolicy(
        attempts=mail.retry_attempts,
        backoff=mail.retry_backoff,
        max_backoff=mail.retry_max_backoff,
    )


class MailProvider(Provider):
    """SMTP when SMTP_URL is set, else the outbox folder; always delivered in the background.
    Closing the container closes the reset requests in hand first, then the delivery (each
    needs what comes after it), each with MAIL_SHUTDOWN_GRACE to finish."""

    scope = Scope.APP

    delivery_policy = provide(staticmethod(delivery_policy))

    @provide
    def mailer(self, mail: MailSettings, server: ServerSettings, clock: Clock) -> Mailer:
        smtp = mail.smtp_server
        if smtp is None:
            return OutboxMailer(server.outbox, mail.sender, clock)
        return SmtpMailer(smtp, mail.sender, mail.timeout)

    @provide
    async def delivery(
        self, mailer: Mailer, policy: DeliveryPolicy, mail: MailSettings
    ) -> AsyncIterator[BackgroundMailDelivery]:
        delivery = BackgroundMailDelivery(mailer, policy)
        yield delivery
        await delivery.close(mail.shutdown_grace)

    outgoing_mail = alias(source=BackgroundMailDelivery, provides=OutgoingMail)

    @provide
    async def password_reset_requests(
        self, container: AsyncContainer, delivery: BackgroundMailDelivery, mail: MailSettings
    ) -> AsyncIterator[PasswordResetRequests]:
        # `delivery` is asked for only so that it is built first, and so closed after this.
        requests = BackgroundPasswordResets(container)
        yield requests
        await requests.close(mail.shutdown_grace)
