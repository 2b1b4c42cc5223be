"""A real SMTP server for the mail tests (aiosmtpd, in a thread of its own, on a free local port)
that keeps what it receives, optionally slowly, and can be stopped and started again on the same
port to play a mail server that is down and comes back."""

import asyncio
import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from testkit.servers import free_port

_TOKEN_IN_LINK = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")


class Inbox:
    """aiosmtpd's handler: every message it accepts, parsed."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: list[EmailMessage] = []
        self.envelope_recipients: list[list[str]] = []
        """RCPT TO of each message, in the order of `messages`."""
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            self.envelope_recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str, subject: str | None = None) -> list[EmailMessage]:
        with self._lock:
            return [
                m for m in self.messages if m["To"] == address and subject in (None, m["Subject"])
            ]


class SmtpTestServer:
    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.inbox = Inbox(delay)
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def mail_to(
        self, address: str, subject: str | None = None, count: int = 1, wait: float = 15
    ) -> EmailMessage:
        """The `count`-th message to the address (with the subject), once it has arrived."""
        deadline = time.monotonic() + wait
        while len(received := self.inbox.to(address, subject)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} mails to {address} expected, {len(received)} came")
            await asyncio.sleep(0.02)
        return received[count - 1]


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no plain-text part"
    content = part.get_content()
    assert isinstance(content, str)
    return content


def html_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the mail has no HTML part"
    content = part.get_content()
    assert isinstance(content, str)
    return content


def link_in(message: EmailMessage, prefix: str) -> str:
    """The link in the plain-text part that starts with `prefix`."""
    links = [word for word in plain_text(message).split() if word.startswith(prefix)]
    assert len(links) == 1, f"one link starting with {prefix} expected in the mail"
    return links[0]


def token_in(link: str) -> str:
    found = _TOKEN_IN_LINK.search(link)
    assert found is not None, "the link holds no token"
    return found.group(1)
