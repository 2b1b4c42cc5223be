"""Storage in process memory: for unit tests and throwaway demos; nothing survives a restart and
several workers do not share it. One module per port, as in the SQL adapters."""

from adapters.memory.attempts import InMemoryAttemptCounter
from adapters.memory.audit import InMemoryAuditTrail
from adapters.memory.one_time_tokens import InMemoryOneTimeTokenStore
from adapters.memory.passkeys import InMemoryPasskeyChallengeStore, InMemoryPasskeyStore
from adapters.memory.principals import InMemoryPrincipalFinder
from adapters.memory.second_factors import InMemorySecondFactorStore
from adapters.memory.sessions import InMemorySessionStore
from adapters.memory.signing_keys import InMemorySigningKeyStore
from adapters.memory.storage import InMemoryStorage, InMemoryStorageProbe, InMemoryUnitOfWork
from adapters.memory.user_listing import InMemoryUserReader
from adapters.memory.users import InMemoryUserRepository

__all__ = [
    "InMemoryAttemptCounter",
    "InMemoryAuditTrail",
    "InMemoryOneTimeTokenStore",
    "InMemoryPasskeyChallengeStore",
    "InMemoryPasskeyStore",
    "InMemoryPrincipalFinder",
    "InMemorySecondFactorStore",
    "InMemorySessionStore",
    "InMemorySigningKeyStore",
    "InMemoryStorage",
    "InMemoryStorageProbe",
    "InMemoryUnitOfWork",
    "InMemoryUserReader",
    "InMemoryUserRepository",
]
