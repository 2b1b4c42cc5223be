from pathlib import Path

import pytest

from adapters.mail.smtp import SmtpServer
from entrypoints.settings import Settings, SettingsError


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"DATA_DIR": str(tmp_path), **env})


def test_mail_defaults_need_no_mail_server(tmp_path: Path) -> None:
    defaults = settings(tmp_path)

    assert defaults.mail.smtp_server is None
    assert defaults.server.outbox == tmp_path / "outbox"
    assert defaults.mail.password_reset_url == "http://localhost:8081/reset-password?token={token}"
    assert defaults.mail.email_verify_url == "http://localhost:8081/verify-email?token={token}"
    assert (defaults.mail.password_reset_ttl, defaults.mail.email_verify_ttl) == (1800, 86400)
    assert defaults.tokens.require_verified_email is False


def test_an_smtp_url_is_read_and_kept_out_of_the_repr(tmp_path: Path) -> None:
    configured = settings(tmp_path, SMTP_URL="smtps://me:hunter2@mail.example.org")

    assert configured.mail.smtp_server == SmtpServer("mail.example.org", 465, "me", "hunter2", True)
    assert "hunter2" not in repr(configured)
    assert "hunter2" not in repr(configured.mail.smtp_server)


def test_a_bad_smtp_url_stops_the_start_without_showing_its_password(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SMTP_URL") as refusal:
        settings(tmp_path, SMTP_URL="imap://me:hunter2@mail.example.org")

    assert "hunter2" not in str(refusal.value)


@pytest.mark.parametrize("variable", ["PASSWORD_RESET_URL", "EMAIL_VERIFY_URL"])
@pytest.mark.parametrize("template", ["http://localhost:8081/reset", "javascript:{token}"])
def test_a_link_template_must_be_a_web_url_with_a_token(
    tmp_path: Path, variable: str, template: str
) -> None:
    with pytest.raises(SettingsError, match=variable):
        settings(tmp_path, **{variable: template})


@pytest.mark.parametrize("sender", ["no address", "Name <@example.org>", "a@b\r\nBcc: x@y"])
def test_mail_from_must_be_an_address(tmp_path: Path, sender: str) -> None:
    with pytest.raises(SettingsError, match="MAIL_FROM"):
        settings(tmp_path, MAIL_FROM=sender)
