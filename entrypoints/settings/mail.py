"""Mail: the server (or the outbox), the sender, the links and lifetimes of the mailed tokens,
and how delivery retries."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Self

from adapters.mail.smtp import SmtpServer
from application.shared.one_time_tokens import TOKEN_PLACEHOLDER
from entrypoints.settings.declarations import SettingsError, read, setting


@dataclass(frozen=True, slots=True)
class MailSettings:
    smtp_url: str = setting("", "SMTP_URL", secret=True)
    """Empty: mail goes to the outbox folder under DATA_DIR."""
    sender: str = setting("Authgate <no-reply@localhost>", "MAIL_FROM")
    password_reset_url: str = setting(
        "http://localhost:8081/reset-password?token={token}", "PASSWORD_RESET_URL"
    )
    email_verify_url: str = setting(
        "http://localhost:8081/verify-email?token={token}", "EMAIL_VERIFY_URL"
    )
    password_reset_ttl: int = setting(1800, "PASSWORD_RESET_TTL", low=60, high=86400)
    email_verify_ttl: int = setting(86400, "EMAIL_VERIFY_TTL", low=60, high=30 * 86400)
    retry_attempts: int = setting(10, "MAIL_RETRY_ATTEMPTS", low=1, high=100)
    retry_backoff: float = setting(2.0, "MAIL_RETRY_BACKOFF", low=0, high=3600)
    retry_max_backoff: float = setting(300.0, "MAIL_RETRY_MAX_BACKOFF", low=0, high=86400)
    timeout: float = setting(30.0, "MAIL_TIMEOUT", low=0.1, high=600)
    shutdown_grace: float = setting(10.0, "MAIL_SHUTDOWN_GRACE", low=0, high=600)

    @property
    def smtp_server(self) -> SmtpServer | None:
        return SmtpServer.from_url(self.smtp_url) if self.smtp_url else None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        mail = read(cls, env)
        return replace(
            mail,
            smtp_url=_smtp_url(mail.smtp_url),
            sender=_sender(mail.sender),
            password_reset_url=_link_template("PASSWORD_RESET_URL", mail.password_reset_url),
            email_verify_url=_link_template("EMAIL_VERIFY_URL", mail.email_verify_url),
        )


def _smtp_url(configured: str) -> str:
    if configured:
        try:
            SmtpServer.from_url(configured)
        except ValueError as error:
            # The reason never repeats the URL: it may hold the password.
            raise SettingsError(f"SMTP_URL {error}") from None
    return configured


def _sender(configured: str) -> str:
    address = configured.rpartition("<")[2].rstrip(">").strip()
    local, _, domain = address.partition("@")
    if not local or not domain or any(c in configured for c in "\r\n"):
        raise SettingsError(
            f"MAIL_FROM must be an address, as in 'Name <me@example.org>': {configured!r}"
        )
    return configured


def _link_template(name: str, template: str) -> str:
    if TOKEN_PLACEHOLDER not in template:
        raise SettingsError(f"{name} must contain {TOKEN_PLACEHOLDER}, where the token goes")
    if not template.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL")
    return template
