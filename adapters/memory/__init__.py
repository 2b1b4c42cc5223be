"""Storage in process memory: for unit tests and throwaway demos; nothing survives a restart and
several workers do not share it."""

from adapters.memory.storage import (
    InMemoryAttemptCounter,
    InMemoryAuditTrail,
    InMemoryOneTimeTokenStore,
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemoryStorage,
    InMemoryStorageProbe,
    InMemoryUnitOfWork,
    InMemoryUserReader,
    InMemoryUserRepository,
)

__all__ = [
    "InMemoryAttemptCounter",
    "InMemoryAuditTrail",
    "InMemoryOneTimeTokenStore",
    "InMemoryPrincipalFinder",
    "InMemorySessionStore",
    "InMemoryStorage",
    "InMemoryStorageProbe",
    "InMemoryUnitOfWork",
    "InMemoryUserReader",
    "InMemoryUserRepository",
]
