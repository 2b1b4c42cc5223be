"""The rules of mailed single-use tokens, in the domain, and the mail that carries them."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from application.shared.account_mail import compose_token_mail
from application.shared.one_time_tokens import TokenPolicy
from domain.one_time_token import OneTimeToken, TokenPurpose, honours, issue_one_time_token
from domain.roles import Role
from domain.session import digest_of
from domain.user import User
from domain.values import Email, PasswordHash, Username

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=30)
RESET = TokenPurpose.PASSWORD_RESET
VERIFY = TokenPurpose.EMAIL_VERIFICATION
ALICE = User(
    id=7,
    username=Username("alice"),
    email=Email("Alice@Example.com"),
    password_hash=PasswordHash("$2b$04$somebcrypthashvalue"),
    roles=frozenset({Role.USER}),
)


def test_a_token_is_256_random_bits_and_is_stored_as_its_digest_only() -> None:
    tokens = {OneTimeToken.generate().value for _ in range(100)}
    token, record = issue_one_time_token(ALICE, RESET, NOW, LIFETIME)

    assert len(tokens) == 100
    assert all(len(value) == 43 for value in tokens)  # 32 bytes in unpadded base64
    assert record.digest == digest_of(token.value) != token.value
    assert token.value not in repr(token)
    assert token.value not in repr(record)


def test_a_token_is_honoured_until_its_expiry() -> None:
    _, record = issue_one_time_token(ALICE, RESET, NOW, LIFETIME)

    assert honours(record, ALICE, RESET, NOW + LIFETIME - timedelta(microseconds=1))
    assert not honours(record, ALICE, RESET, NOW + LIFETIME)


def test_a_token_serves_one_purpose_and_one_user() -> None:
    _, record = issue_one_time_token(ALICE, RESET, NOW, LIFETIME)

    assert not honours(record, ALICE, VERIFY, NOW)
    assert not honours(record, replace(ALICE, id=8), RESET, NOW)


def test_a_password_change_kills_reset_tokens_but_not_verification_tokens() -> None:
    _, reset = issue_one_time_token(ALICE, RESET, NOW, LIFETIME)
    _, verify = issue_one_time_token(ALICE, VERIFY, NOW, LIFETIME)
    changed = replace(ALICE, password_hash=PasswordHash("$2b$04$anotherbcrypthash"))

    assert not honours(reset, changed, RESET, NOW)
    assert honours(verify, changed, VERIFY, NOW)


def test_a_new_address_kills_verification_tokens_but_not_its_spelling() -> None:
    _, verify = issue_one_time_token(ALICE, VERIFY, NOW, LIFETIME)

    assert honours(verify, replace(ALICE, email=Email("alice@example.COM")), VERIFY, NOW)
    assert not honours(verify, replace(ALICE, email=Email("alice@example.org")), VERIFY, NOW)


def test_the_mail_holds_the_link_as_it_is_in_its_plain_text() -> None:
    policy = TokenPolicy(
        password_reset_lifetime=LIFETIME,
        email_verification_lifetime=timedelta(hours=24),
        password_reset_url="https://app.example.org/reset#t={token}&x=1",
        email_verification_url="http://localhost:8081/verify-email?token={token}",
    )
    link = policy.link(RESET, "abc_-123")

    mail = compose_token_mail(ALICE, RESET, link, policy.lifetime(RESET))

    assert link == "https://app.example.org/reset#t=abc_-123&x=1"
    assert f"\n{link}\n" in mail.text
    assert "30 minutes" in mail.text
    assert 'href="https://app.example.org/reset#t=abc_-123&amp;x=1"' in mail.html
    assert mail.to == "Alice@Example.com"
    assert "24 hours" in compose_token_mail(ALICE, VERIFY, link, timedelta(hours=24)).text
