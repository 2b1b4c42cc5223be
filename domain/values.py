"""Value objects that validate themselves on construction."""

import re
from dataclasses import dataclass, field

from domain.errors import InvalidField

USERNAME_FORMAT = re.compile(r"[A-Za-z0-9._-]{3,20}")
# The WHATWG rule browsers apply to <input type="email">, which the sample clients use.
EMAIL_FORMAT = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
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
        if len(self.value) > EMAIL_MAX_LENGTH or not EMAIL_FORMAT.fullmatch(self.value):
            raise InvalidField(
                "email", f"must be a valid email address of at most {EMAIL_MAX_LENGTH} characters."
            )

    @property
    def key(self) -> str:
        return self.value.lower()


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
