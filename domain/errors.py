"""Errors the model raises when a rule is broken."""


class DomainError(Exception):
    """Base of every rule violation in the model."""


class InvalidField(DomainError):
    """A value handed in from outside breaks a field rule; the message names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


class UnknownRole(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Role does not exist = {name}")
        self.name = name


class UsernameAlreadyExists(DomainError):
    def __init__(self) -> None:
        super().__init__("Username is already in use")


class EmailAlreadyExists(DomainError):
    def __init__(self) -> None:
        super().__init__("Email is already in use")


class LastAdministrator(DomainError):
    """The change would leave no enabled administrator, and nobody could ever administer again."""

    def __init__(self) -> None:
        super().__init__("The last administrator cannot be removed")
