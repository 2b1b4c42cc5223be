"""Mail delivery off the request path: each posted message is sent by a task of its own, tried
again with growing waits while the mail system fails, and given up (with a log line saying
which mail) only after the last try. Closing waits a little for what is in flight and logs
every mail it has to drop."""

import asyncio
import logging
from dataclasses import dataclass

from application.common.errors import MailNotSent
from application.ports.mail import Mailer, MailMessage, OutgoingMail

logger = logging.getLogger("authgate")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    attempts: int
    """Tries of one message in all, the first included."""
    backoff: float
    """Seconds before the second try; each later wait doubles, up to `max_backoff`."""
    max_backoff: float
    concurrency: int = 4
    """Messages being sent at one time; the others wait their turn."""
    max_pending: int = 10_000
    """Messages held at most; more are dropped (and logged) rather than exhaust memory."""

    def delay(self, failed_tries: int) -> float:
        return min(self.max_backoff, self.backoff * 2.0 ** (failed_tries - 1))


class BackgroundMailDelivery(OutgoingMail):
    def __init__(self, mailer: Mailer, policy: DeliveryPolicy) -> None:
        self._mailer = mailer
        self._policy = policy
        self._slots = asyncio.Semaphore(policy.concurrency)
        self._pending: dict[asyncio.Task[None], MailMessage] = {}
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._pending)

    def post(self, message: MailMessage) -> None:
        if self._closed or len(self._pending) >= self._policy.max_pending:
            reason = "the service is stopping" if self._closed else "too many mails are pending"
            _log_dropped(message, reason)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(message))
        self._pending[task] = message
        task.add_done_callback(self._pending.pop)

    async def close(self, grace: float) -> None:
        """Stops taking mail, gives what is pending `grace` seconds, then drops the rest."""
        self._closed = True
        if not self._pending:
            return
        logger.info("waiting up to %.1f s for %d pending mails", grace, len(self._pending))
        _, unfinished = await asyncio.wait(list(self._pending), timeout=grace)
        for task in unfinished:
            _log_dropped(self._pending[task], "the service stopped before it could be sent")
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _deliver(self, message: MailMessage) -> None:
        for attempt in range(1, self._policy.attempts + 1):
            try:
                async with self._slots:
                    await self._mailer.send(message)
            except MailNotSent as failure:
                if failure.permanent or attempt == self._policy.attempts:
                    _log_dropped(message, f"{failure} (try {attempt} of {self._policy.attempts})")
                    return
                delay = self._policy.delay(attempt)
                logger.warning(
                    "mail to %s not sent (%s); trying again in %.1f s", message.to, failure, delay
                )
                await asyncio.sleep(delay)
            except Exception:
                logger.exception("mail to %s: unexpected failure; dropped", message.to)
                return
            else:
                if attempt > 1:
                    logger.info("mail to %s sent at try %d", message.to, attempt)
                return


def _log_dropped(message: MailMessage, reason: str) -> None:
    # The address and the subject say which mail; the body holds a live token and stays out.
    logger.error("mail to %s (%s) dropped: %s", message.to, message.subject, reason)
