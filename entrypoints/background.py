"""Work a request hands off and does not wait for. It runs in a container scope of its own, like
a request of its own, with the database deadline and the transaction that brings."""

import asyncio
import logging

from dishka import AsyncContainer, Scope

from application.ports.caller import Caller
from application.ports.mail import PasswordResetRequests
from application.recovery.request_password_reset import SendPasswordReset
from application.shared.identify_caller import NOBODY
from domain.values import Email

logger = logging.getLogger("authgate")

# A flood of reset requests must not take every database connection from the requests being
# answered: a few run at a time, and past a backlog the rest are dropped (the answer was the
# same anyway; the rate limits keep honest users far below this).
_CONCURRENCY = 4
_MAX_BACKLOG = 1000


class BackgroundPasswordResets(PasswordResetRequests):
    def __init__(self, container: AsyncContainer) -> None:
        self._container = container
        self._slots = asyncio.Semaphore(_CONCURRENCY)
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False

    def submit(self, email: Email) -> None:
        if self._closed or len(self._running) >= _MAX_BACKLOG:
            logger.error("a password reset request was dropped: too many pending or stopping")
            return
        task = asyncio.get_running_loop().create_task(self._send(email))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def close(self, grace: float) -> None:
        """Lets the requests in hand finish (their mail is then pending delivery, which is
        closed after this), for `grace` seconds at most."""
        self._closed = True
        if not self._running:
            return
        _, unfinished = await asyncio.wait(list(self._running), timeout=grace)
        if unfinished:
            logger.error("%d password reset requests dropped at shutdown", len(unfinished))
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _send(self, email: Email) -> None:
        try:
            async with (
                self._slots,
                self._container(scope=Scope.REQUEST, context={Caller: NOBODY}) as request_container,
            ):
                send = await request_container.get(SendPasswordReset)
                await send.execute(email)
        except Exception:
            # No one is waiting for an answer: the log is the only place this can go. The
            # address is not logged: it may not belong to any account.
            logger.exception("a password reset request failed; no mail was sent")
