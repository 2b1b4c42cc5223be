"""Mailed single-use tokens kept in memory, as digests."""

from adapters.memory.storage import InMemoryStorage
from application.ports.mail import OneTimeTokenStore
from domain.one_time_token import IssuedOneTimeToken, TokenPurpose


class InMemoryOneTimeTokenStore(OneTimeTokenStore):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def replace(self, token: IssuedOneTimeToken) -> None:
        self._forget(token.user_id, token.purpose)
        self._storage.one_time_tokens[token.digest] = token

    async def find(self, digest: str) -> IssuedOneTimeToken | None:
        return self._storage.one_time_tokens.get(digest)

    async def consume(self, token: IssuedOneTimeToken) -> bool:
        if self._storage.one_time_tokens.pop(token.digest, None) is None:
            return False
        self._forget(token.user_id, token.purpose)
        return True

    async def add(self, token: IssuedOneTimeToken) -> None:
        tokens = self._storage.one_time_tokens
        for digest in [
            d
            for d, t in tokens.items()
            if t.user_id == token.user_id
            and t.purpose is token.purpose
            and t.expires_at <= token.issued_at
        ]:
            del tokens[digest]
        tokens[token.digest] = token

    async def use(self, token: IssuedOneTimeToken) -> bool:
        return self._storage.one_time_tokens.pop(token.digest, None) is not None

    def _forget(self, user_id: int, purpose: TokenPurpose) -> None:
        tokens = self._storage.one_time_tokens
        for digest in [
            d for d, t in tokens.items() if t.user_id == user_id and t.purpose is purpose
        ]:
            del tokens[digest]
