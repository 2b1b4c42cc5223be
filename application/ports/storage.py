"""The transaction every repository of a request shares, and the storage's health."""

from typing import Protocol


class UnitOfWork(Protocol):
    """The transaction every repository of one request shares.

    Storage adapters raise StorageUnavailable when the database cannot answer within the request's
    deadline, and StorageConflict for a transient refusal that a new run may not meet; see
    `application.shared.transactions`."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None:
        """Forgets everything since the last commit; the repositories may be used again."""
        ...


class StorageProbe(Protocol):
    async def ping(self) -> None:
        """Returns once storage answers a trivial query; raises StorageUnavailable when it cannot
        within the request's deadline."""
        ...
