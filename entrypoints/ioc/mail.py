"""Mail: SMTP when SMTP_URL is set, else the outbox folder; always delivered in the background."""

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, alias, provide

from adapters.mail.delivery import BackgroundMailDelivery
from adapters.mail.outbox import OutboxMailer
from adapters.mail.smtp import SmtpMailer
from application.ports.clock import Clock
from application.ports.mail import Mailer, OutgoingMail, PasswordResetRequests
from entrypoints.background import BackgroundPasswordResets
from entrypoints.settings import Settings


class MailProvider(Provider):
    """SMTP when SMTP_URL is set, else the outbox folder; always delivered in the background.
    Closing the container closes the reset requests in hand first, then the delivery (each
    needs what comes after it), each with MAIL_SHUTDOWN_GRACE to finish."""

    scope = Scope.APP

    @provide
    def mailer(self, settings: Settings, clock: Clock) -> Mailer:
        server = settings.smtp_server
        if server is None:
            return OutboxMailer(settings.outbox, settings.mail_from, clock)
        return SmtpMailer(server, settings.mail_from, settings.mail_timeout)

    @provide
    async def delivery(
        self, mailer: Mailer, settings: Settings
    ) -> AsyncIterator[BackgroundMailDelivery]:
        delivery = BackgroundMailDelivery(mailer, settings.mail_delivery_policy)
        yield delivery
        await delivery.close(settings.mail_shutdown_grace)

    outgoing_mail = alias(source=BackgroundMailDelivery, provides=OutgoingMail)

    @provide
    async def password_reset_requests(
        self, container: AsyncContainer, delivery: BackgroundMailDelivery, settings: Settings
    ) -> AsyncIterator[PasswordResetRequests]:
        # `delivery` is asked for only so that it is built first, and so closed after this.
        requests = BackgroundPasswordResets(container)
        yield requests
        await requests.close(settings.mail_shutdown_grace)
