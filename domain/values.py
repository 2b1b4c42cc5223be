"""Value objects that validate themselves on construction."""

import re
from dataclasses import dataclass, field

from domain.errors import InvalidField

USERNAME_FORMAT = re.compile(r"[A-Za-z0-9._-]{3,20}")
# One strict syntax, the part of RFC 5321's that every mail header and envelope reads the same way:
# a dot-atom local part (atext runs joined by single dots: no quotes, brackets, commas, spaces or
# control characters) at a domain of letter-digit-hyphen labels (an international domain in its
# xn-- form). `=?` is refused in the local part, so no part of it can be an RFC 2047 encoded word,
# which a header parser decodes into quotes, brackets and commas: more recipients.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_FORMAT = re.compile(rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@{_LABEL}(?:\.{_LABEL})*")
ENCODED_WORD_START = "=?"
EMAIL_LOCAL_PART_MAX_LENGTH = 64
EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_CHARACTERS = 8
# bcrypt reads only the first 72 bytes; a longer password is refused rather than cut silently.
PASSWORD_MAX_BYTES = 72


@dataclass(frozen=True, slots=True)
class Username:
    value: str

    def __post_init__(self) -> None:
        if not USERNAME_FORMAT.fullmatch(self.value):
            raise InvalidField(
                "username", "must be 3 to 20 characters: letters, digits, '.', '_' or '-'."
            )

    @property
    def key(self) -> str:
        """Uniqueness and lookup ignore case."""
        return self.value.lower()


@dataclass(frozen=True, slots=True)
class Email:
    value: str

    def __post_init__(self) -> None:
        if not _strict_email(self.value):
            raise InvalidField(
                "email", f"must be a valid email address of at most {EMAIL_MAX_LENGTH} characters."
            )

    @classmethod
    def stored(cls, value: str) -> "Email":
        """An address read back from storage, as it was accepted then: a rule made stricter
        later must not make the account unreadable. (The mailers refuse any address that a mail
        header would read as more than one.)"""
        email = object.__new__(cls)
        object.__setattr__(email, "value", value)
        return email

    @property
    def key(self) -> str:
        return self.value.lower()


def _strict_email(value: str) -> bool:
    matched = EMAIL_FORMAT.fullmatch(value)
    if matched is None or len(value) > EMAIL_MAX_LENGTH:
        return False
    local = matched.group("local")
    return len(local) <= EMAIL_LOCAL_PART_MAX_LENGTH and ENCODED_WORD_START not in local


@dataclass(frozen=True, slots=True)
class RawPassword:
    value: str = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.value) < PASSWORD_MIN_CHARACTERS:
            raise InvalidField(
                "password", f"must be at least {PASSWORD_MIN_CHARACTERS} characters long."
            )
        encoded = utf8_or_none(self.value)
        if encoded is None:
            raise InvalidField("password", "must be valid Unicode text.")
        if len(encoded) > PASSWORD_MAX_BYTES:
            raise InvalidField(
                "password", f"must be at most {PASSWORD_MAX_BYTES} bytes long in UTF-8."
            )

    @property
    def utf8(self) -> bytes:
        return self.value.encode()


def utf8_or_none(text: str) -> bytes | None:
    """None for text holding lone surrogates, which is what undecodable bytes in an environment
    variable or argument become in Python."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return None


@dataclass(frozen=True, slots=True)
class PasswordHash:
    value: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.value:
            raise InvalidField("password hash", "must not be empty.")
