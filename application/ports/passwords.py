"""Hashing passwords, and the list of those too common to allow."""

from typing import Protocol

from domain.values import PasswordHash, RawPassword


class PasswordHasher(Protocol):
    async def hash(self, password: RawPassword) -> PasswordHash: ...

    async def verify(self, password: str, stored: PasswordHash | None) -> bool:
        """Whether the password matches. With no stored hash it still spends one verification and
        answers False, so an unknown user costs as much time as a wrong password."""
        ...

    def needs_rehash(self, stored: PasswordHash) -> bool:
        """True when the hash was made with other parameters than the configured ones."""
        ...


class CommonPasswords(Protocol):
    def __contains__(self, password: str) -> bool:
        """Whether the password is on a list of commonly used ones, ignoring case."""
        ...
