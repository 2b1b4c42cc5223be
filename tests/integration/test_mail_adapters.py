"""The delivery component and the SMTP adapter on their own, against a real SMTP server: what
retries, what gives up, and what shutdown does with mail still pending."""

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.mail.delivery import BackgroundMailDelivery, DeliveryPolicy
from adapters.mail.mime import mime_message
from adapters.mail.outbox import OutboxMailer
from adapters.mail.smtp import SmtpMailer, SmtpServer
from application.common.errors import MailNotSent
from application.ports.mail import Mailer, MailMessage
from tests.fakes import FakeClock
from tests.smtp_server import SmtpTestServer, html_text, plain_text

MESSAGE = MailMessage(
    to="alice@example.com",
    subject="Reset your password",
    text="Open http://localhost:8081/reset-password?token=SECRET-TOKEN\n",
    html='<p><a href="http://localhost:8081/reset-password?token=SECRET-TOKEN">Open</a></p>',
)
FAST = DeliveryPolicy(attempts=3, backoff=0.01, max_backoff=0.02)


class FailingMailer(Mailer):
    def __init__(self, failures: int, *, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.tries = 0
        self.sent: list[MailMessage] = []

    async def send(self, message: MailMessage) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise MailNotSent("refused", permanent=self.permanent)
        self.sent.append(message)


async def settled(delivery: BackgroundMailDelivery) -> None:
    for _ in range(500):
        if not delivery.pending:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("mail still pending after 5 s")


async def test_a_failing_send_is_tried_again_until_it_goes_out() -> None:
    mailer = FailingMailer(failures=2)
    delivery = BackgroundMailDelivery(mailer, FAST)

    delivery.post(MESSAGE)
    await settled(delivery)

    assert (mailer.tries, mailer.sent) == (3, [MESSAGE])


async def test_after_the_last_try_the_dropped_mail_is_logged_without_its_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = FailingMailer(failures=10)
    delivery = BackgroundMailDelivery(mailer, FAST)

    with caplog.at_level(logging.WARNING, logger="authgate"):
        delivery.post(MESSAGE)
        await settled(delivery)

    assert mailer.tries == 3
    dropped = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(dropped) == 1
    assert "alice@example.com" in dropped[0]
    assert "dropped" in dropped[0]
    assert all("SECRET-TOKEN" not in r.getMessage() for r in caplog.records)


async def test_a_permanent_refusal_is_not_tried_again() -> None:
    mailer = FailingMailer(failures=10, permanent=True)
    delivery = BackgroundMailDelivery(mailer, FAST)

    delivery.post(MESSAGE)
    await settled(delivery)

    assert mailer.tries == 1


async def test_closing_waits_for_pending_mail_then_logs_what_it_drops(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow_retries = DeliveryPolicy(attempts=5, backoff=10, max_backoff=10)
    soon_sent = BackgroundMailDelivery(FailingMailer(failures=0), slow_retries)
    never_sent = BackgroundMailDelivery(FailingMailer(failures=10), slow_retries)
    soon_sent.post(MESSAGE)
    never_sent.post(MESSAGE)

    with caplog.at_level(logging.ERROR, logger="authgate"):
        await soon_sent.close(grace=1)
        await never_sent.close(grace=0.1)
        never_sent.post(MESSAGE)

    assert soon_sent.pending == never_sent.pending == 0
    dropped = [r.getMessage() for r in caplog.records]
    assert len(dropped) == 2
    assert "stopped before it could be sent" in dropped[0]
    assert "stopping" in dropped[1]


async def test_the_smtp_adapter_sends_a_plain_text_and_an_html_part() -> None:
    server = SmtpTestServer()
    server.start()
    try:
        mailer = SmtpMailer(SmtpServer.from_url(server.url), "Authgate <auth@example.org>", 5)
        await mailer.send(MESSAGE)
        mail = await server.mail_to("alice@example.com")
    finally:
        server.stop()

    assert mail["From"] == "Authgate <auth@example.org>"
    assert mail["Subject"] == "Reset your password"
    assert "http://localhost:8081/reset-password?token=SECRET-TOKEN" in plain_text(mail)
    assert 'href="http://localhost:8081/reset-password?token=SECRET-TOKEN"' in html_text(mail)


HOSTILE_ADDRESSES = [
    "=?utf-8?q?=22victim=40gmail.com=22_=3Cvictim=40gmail.com=3E=2C_x?=@attacker.example",
    "alice@example.com, x@attacker.example",
    '"victim@gmail.com" <victim@gmail.com>',
    "alice@example.com\r\nBcc: x@attacker.example",
]


async def test_the_smtp_envelope_and_to_header_name_exactly_the_one_address() -> None:
    server = SmtpTestServer()
    server.start()
    try:
        await SmtpMailer(SmtpServer.from_url(server.url), "auth@example.org", 5).send(MESSAGE)
        mail = await server.mail_to("alice@example.com")
    finally:
        server.stop()

    assert server.inbox.envelope_recipients == [["alice@example.com"]]
    assert [a.addr_spec for a in mail["To"].addresses] == ["alice@example.com"]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
async def test_an_address_a_header_would_read_as_others_reaches_no_one(address: str) -> None:
    """The value object refuses such addresses at signup; the mailer refuses them even if one
    gets past it, before a byte goes to the server."""
    server = SmtpTestServer()
    server.start()
    try:
        mailer = SmtpMailer(SmtpServer.from_url(server.url), "auth@example.org", 5)
        with pytest.raises(MailNotSent) as failure:
            await mailer.send(replace(MESSAGE, to=address))
    finally:
        server.stop()

    assert failure.value.permanent
    assert server.inbox.messages == []


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
async def test_the_outbox_writes_no_mail_for_an_address_a_header_would_read_as_others(
    address: str, tmp_path: Path
) -> None:
    outbox = OutboxMailer(tmp_path / "outbox", "auth@example.org", FakeClock())

    with pytest.raises(MailNotSent) as failure:
        await outbox.send(replace(MESSAGE, to=address))

    assert failure.value.permanent
    assert mail_files(tmp_path) == []


def mail_files(folder: Path) -> list[Path]:
    return list(folder.rglob("*.eml"))


async def test_the_smtp_adapter_reports_a_server_that_is_down_as_worth_retrying() -> None:
    server = SmtpTestServer()  # never started
    mailer = SmtpMailer(SmtpServer.from_url(server.url), "auth@example.org", 2)

    with pytest.raises(MailNotSent) as failure:
        await mailer.send(MESSAGE)

    assert not failure.value.permanent


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpServer("mail.example.org", 25)),
        (
            "smtp://me%40example.org:p%40ss@mail.example.org:587?starttls=true",
            SmtpServer("mail.example.org", 587, "me@example.org", "p@ss", start_tls=True),
        ),
        ("smtps://u:p@mail.example.org", SmtpServer("mail.example.org", 465, "u", "p", True)),
    ],
)
def test_smtp_urls_are_read_as_documented(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.org",
        "smtp://",
        "smtp://mail.example.org:notaport",
        "smtp://mail.example.org?tls=1",
        "smtp://mail.example.org?starttls=maybe",
        "smtps://mail.example.org?starttls=true",
    ],
)
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r".") as refusal:
        SmtpServer.from_url(url.replace("mail", "user:hunter2@mail"))
    assert "hunter2" not in str(refusal.value)


def test_an_ascii_mail_holds_its_link_unencoded_in_the_raw_message() -> None:
    link = "http://localhost:8081/reset-password?token=" + "A" * 43 + "_-"
    message = MailMessage(
        "alice@example.com", "Reset", f"Open\n{link}\n", f"<a href='{link}'>x</a>"
    )

    raw = mime_message(message, "auth@example.org").as_bytes().decode()

    assert f"\n{link}\n" in raw
    assert "=3D" not in raw
