"""Delivery over SMTP with aiosmtplib: `smtp://user:pass@host:port`, `smtps://` for TLS from the
first byte, `?starttls=true` to upgrade a plain connection (refused if the server cannot)."""

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from adapters.mail.mime import mime_message
from application.common.errors import MailNotSent
from application.ports.mail import Mailer, MailMessage

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_PERMANENT_REPLY = 500


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        """Raises ValueError, with a reason that never repeats the password."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ValueError("must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("must name a host")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ValueError("has an invalid port") from None
        options = {key.lower(): values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(options) - {"starttls"}
        if unknown:
            raise ValueError(f"has unknown options: {', '.join(sorted(unknown))}")
        start_tls = _flag(options.get("starttls", "false"))
        if start_tls and parts.scheme == "smtps":
            raise ValueError("cannot use starttls with smtps://, which is TLS already")
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=start_tls,
        )


def _flag(raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError("starttls must be true or false")


class SmtpMailer(Mailer):
    """One connection per message: mail here is rare (resets, verifications), and a fresh
    connection never finds a server that silently dropped an idle one."""

    def __init__(self, server: SmtpServer, sender: str, timeout: float) -> None:
        self._server = server
        self._sender = sender
        self._timeout = timeout

    async def send(self, message: MailMessage) -> None:
        server = self._server
        try:
            await aiosmtplib.send(
                mime_message(message, self._sender),
                # The envelope names the stored address itself, never what a header parses to.
                recipients=[message.to],
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.use_tls,
                start_tls=server.start_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPResponseException as error:
            raise MailNotSent(
                f"{server.host}:{server.port} answered {error.code}",
                permanent=error.code >= _PERMANENT_REPLY,
            ) from error
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise MailNotSent("the recipient was refused", permanent=True) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise MailNotSent(
                f"{server.host}:{server.port}: {type(error).__name__}: {error}"
            ) from error
