"""The keys that sign access tokens: where they are kept, and how a new one is made."""

from dataclasses import dataclass, field
from typing import Protocol

from domain.signing_keys import SigningKey


@dataclass(frozen=True, slots=True)
class StoredSigningKey:
    key: SigningKey
    public_jwk: str
    """The public JWK as JSON (`kty`, `crv`, `x`, `y`, `kid`, `use`, `alg`): what is published."""
    sealed_private_key: bytes = field(repr=False)
    """The private key, encrypted under a key derived from JWT_SECRET: a copy of the database
    alone cannot sign."""


class SigningKeyStore(Protocol):
    async def all(self) -> list[StoredSigningKey]:
        """Every key kept, revoked and retired ones included."""
        ...

    async def add(self, stored: StoredSigningKey) -> bool:
        """Stores the key, unless another key holds its generation (a concurrent rotation or
        first start got there first): then changes nothing and returns False. The storage
        decides, so two servers rotating at once leave one `next` key."""
        ...

    async def update(self, key: SigningKey) -> None:
        """Writes the key's schedule, generation and revocation."""
        ...


class SigningKeyFactory(Protocol):
    @property
    def algorithm(self) -> str: ...

    def generate(self) -> tuple[str, str, bytes]:
        """A new key pair: its `kid`, its public JWK (JSON) and its private key, sealed."""
        ...
