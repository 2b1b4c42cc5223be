"""Mail the use cases send, and the single-use tokens those mails carry."""

from dataclasses import dataclass, field
from typing import Protocol

from domain.one_time_token import IssuedOneTimeToken
from domain.values import Email


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    text: str = field(repr=False)
    """The plain-text part; it holds the link as it is, for clients that show no HTML."""
    html: str = field(repr=False)


class Mailer(Protocol):
    async def send(self, message: MailMessage) -> None:
        """Hands the message to the mail system now; raises MailNotSent when it could not."""
        ...


class OutgoingMail(Protocol):
    def post(self, message: MailMessage) -> None:
        """Accepts the message for delivery in the background and returns at once: a slow or
        absent mail server never holds up or fails a request. Call it only after the
        transaction that made the message true has committed."""
        ...


class PasswordResetRequests(Protocol):
    def submit(self, email: Email) -> None:
        """Takes a reset request off the request path: the look-up, the token and the mail
        happen afterwards, so the answer takes the same time whether or not the address is
        registered."""
        ...


class OneTimeTokenStore(Protocol):
    """Mailed single-use tokens, kept as digests only."""

    async def replace(self, token: IssuedOneTimeToken) -> None:
        """Stores the token as the only one of its user and purpose: older ones die. So the
        store holds at most one token per user and purpose, and needs no purging. (A password
        change needs no call here: it changes what reset tokens are bound to; see
        `domain.one_time_token`.)"""
        ...

    async def find(self, digest: str) -> IssuedOneTimeToken | None: ...

    async def consume(self, token: IssuedOneTimeToken) -> bool:
        """Deletes the token and every other of its user and purpose. False (and nothing
        changed) when the token was already gone: a concurrent use got there first."""
        ...

    async def add(self, token: IssuedOneTimeToken) -> None:
        """Stores the token beside the others of its user and purpose (a signin waiting for its
        second factor on each of several devices), and deletes those of them that expired: the
        store holds no more of them than were issued in one lifetime."""
        ...

    async def use(self, token: IssuedOneTimeToken) -> bool:
        """Deletes this token alone. False (and nothing changed) when it was already gone: of
        concurrent uses, exactly one gets True."""
        ...
