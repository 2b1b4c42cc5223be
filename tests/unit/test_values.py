import pytest

from domain.errors import InvalidField
from domain.values import Email, PasswordHash, RawPassword, Username

PASSWORD_TEXT = "hunter2hunter2"


@pytest.mark.parametrize("name", ["abc", "a.b_c-1", "UPPER.lower", "x" * 20, "007"])
def test_username_of_3_to_20_letters_digits_dots_underscores_dashes_is_accepted(
    name: str,
) -> None:
    assert Username(name).value == name


@pytest.mark.parametrize(
    "name",
    ["", "ab", "x" * 21, "with space", "émile", "semi;colon", "at@sign", "abc\n", " abc"],
)
def test_username_breaking_the_rule_is_an_invalid_username(name: str) -> None:
    with pytest.raises(InvalidField) as refused:
        Username(name)
    assert refused.value.field == "username"


def test_username_key_ignores_case_but_value_keeps_the_spelling() -> None:
    assert Username("Alice").key == Username("aLICE").key == "alice"
    assert Username("Alice").value == "Alice"


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com",
        "First.Last+tag@mail.example.org",
        "x@localhost",
        "o'neil@ex.io",
        "srs=tag?x@example.com",
        "x" * 64 + "@xn--bcher-kva.example",
    ],
)
def test_email_with_valid_syntax_is_accepted(address: str) -> None:
    assert Email(address).value == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "plainaddress",
        "@example.com",
        "someone@",
        "two@@example.com",
        "with space@example.com",
        "a@-example.com",
        "a@example..com",
        "a@example.com\n",
        "=?utf-8?q?=22victim=40gmail.com=22_=3Cvictim=40gmail.com=3E=2C_x?=@attacker.example",
        "a.=?utf-8?q?x?=@attacker.example",
        '"quoted"@example.com',
        "<a@example.com>",
        "a@example.com,b@example.com",
        "a@[127.0.0.1]",
        "a..b@example.com",
        ".a@example.com",
        "a.@example.com",
        "tab\there@example.com",
        "x" * 65 + "@example.com",
        "a@bücher.example",
    ],
)
def test_email_with_invalid_syntax_is_an_invalid_email(address: str) -> None:
    with pytest.raises(InvalidField) as refused:
        Email(address)
    assert refused.value.field == "email"


def test_email_of_254_characters_is_accepted_and_255_refused() -> None:
    local = "a" * 60 + "@"
    labels = ("b" * 62 + ".") * 3
    longest = local + labels + "c" * (254 - len(local) - len(labels))
    assert Email(longest).value == longest
    with pytest.raises(InvalidField) as refused:
        Email("a" + longest)
    assert refused.value.field == "email"


def test_email_key_is_lowercased_but_value_keeps_the_spelling() -> None:
    email = Email("Alice@Example.COM")
    assert email.key == "alice@example.com"
    assert email.value == "Alice@Example.COM"


@pytest.mark.parametrize("password", ["", "seven77", "ééééééé"])
def test_password_under_8_characters_is_an_invalid_password(password: str) -> None:
    with pytest.raises(InvalidField) as refused:
        RawPassword(password)
    assert refused.value.field == "password"


def test_password_minimum_counts_characters_not_bytes() -> None:
    assert RawPassword("éééééééé").value == "éééééééé"


@pytest.mark.parametrize("password", ["a" * 72, "é" * 36, "😀" * 18, "ab€" * 14 + "ab"])
def test_password_of_exactly_72_utf8_bytes_is_accepted(password: str) -> None:
    assert len(password.encode()) == 72
    assert RawPassword(password).utf8 == password.encode()


@pytest.mark.parametrize("password", ["a" * 73, "é" * 36 + "a", "😀" * 18 + "a", "é" * 40])
def test_password_over_72_utf8_bytes_is_refused_not_truncated(password: str) -> None:
    assert len(password.encode()) > 72
    with pytest.raises(InvalidField) as refused:
        RawPassword(password)
    assert refused.value.field == "password"
    assert "72 bytes" in refused.value.reason


def test_password_that_cannot_be_encoded_as_utf8_is_an_invalid_password() -> None:
    with pytest.raises(InvalidField) as refused:
        RawPassword("password\udcff")
    assert refused.value.field == "password"


def test_invalid_field_message_starts_with_the_field_name() -> None:
    with pytest.raises(InvalidField) as refused:
        Email("nope")
    assert str(refused.value).startswith("email ")
    assert str(refused.value) == f"email {refused.value.reason}"


def test_password_and_hash_do_not_show_in_repr() -> None:
    assert PASSWORD_TEXT not in repr(RawPassword(PASSWORD_TEXT))
    assert "$2b$" not in repr(PasswordHash("$2b$04$abcdefghijklmnopqrstuv"))


def test_empty_password_hash_is_invalid() -> None:
    with pytest.raises(InvalidField):
        PasswordHash("")
