import asyncio
import logging
import os
import secrets
from pathlib import Path

from adapters.local_files import private_directory, private_file
from adapters.mail.mime import mime_message
from application.common.errors import MailNotSent
from application.ports.clock import Clock
from application.ports.mail import Mailer, MailMessage

logger = logging.getLogger("authgate")


class OutboxMailer(Mailer):
    """With no mail server configured: each message becomes an `.eml` file in a folder, readable
    only by the service's user (the links in it are live tokens), so that a developer can open
    the mail and click the link. The log names the file, never the link."""

    def __init__(self, folder: Path, sender: str, clock: Clock) -> None:
        self._folder = folder
        self._sender = sender
        self._clock = clock

    async def send(self, message: MailMessage) -> None:
        try:
            content = mime_message(message, self._sender).as_bytes()
            path = await asyncio.to_thread(self._write, content)
        except OSError as error:
            raise MailNotSent(f"cannot write to the outbox {self._folder}: {error}") from error
        logger.info("mail to %s (%s) is in the outbox: %s", message.to, message.subject, path)

    def _write(self, content: bytes) -> Path:
        private_directory(self._folder)
        # Named by time, so that `ls` lists the newest last.
        stamp = self._clock.now().strftime("%Y%m%dT%H%M%S.%fZ")
        path = self._folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        with os.fdopen(private_file(path), "wb") as file:
            file.write(content)
        return path
