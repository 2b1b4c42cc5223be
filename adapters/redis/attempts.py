"""Rate-limit tallies in Redis (REDIS_URL), shared by every server that uses the same Redis.

A tally is a hash (`attempts`, `last`) whose key expires when the tally does. Counting is one
MULTI/EXEC transaction of commands that are atomic on their own and read nothing first:

    HINCRBY key attempts 1
    HSET key last <now>
    PEXPIREAT key <now + window> NX      a new tally (Redis dropped the expired one) gets a window
    PEXPIREAT key <now + hold> GT        a tally with backoff is kept longer after each attempt

which is `Limit.counted` exactly, with Redis itself forgetting expired tallies, so there is
nothing to purge. Not the `limits` library: its Redis storage counts fixed windows on Redis's
clock and keeps neither the time of the last attempt nor an expiry that grows with each one,
which the signin backoff needs; these four commands need no script.

Times are the service's clock, in milliseconds since the epoch; the servers and Redis are
assumed to agree on the time to within a fraction of the shortest window.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.errors import StorageUnavailable
from application.ports import AttemptCounter
from domain.attempts import Limit, Tally

KEY_PREFIX = "authgate:attempts:"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    """Whole milliseconds, rounded down: a wait computed from them is never a second longer."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class RedisAttemptCounter(AttemptCounter):
    def __init__(self, client: Redis) -> None:
        self._client = client

    async def tallies(self, keys: Sequence[str], now: datetime) -> Mapping[str, Tally]:
        async with (
            self._unavailable_as_storage_error(),
            self._client.pipeline(transaction=True) as pipe,
        ):
            for key in keys:
                pipe.hmget(KEY_PREFIX + key, "attempts", "last")
                pipe.pexpiretime(KEY_PREFIX + key)
            answers = await pipe.execute()
        found: dict[str, Tally] = {}
        for key, (attempts, last), expires in zip(keys, answers[::2], answers[1::2], strict=True):
            if attempts is None or last is None or expires < 0:
                continue
            tally = Tally(int(attempts), _moment(int(last)), _moment(expires))
            if tally.is_live(now):
                found[key] = tally
        return found

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        name = KEY_PREFIX + key
        async with (
            self._unavailable_as_storage_error(),
            self._client.pipeline(transaction=True) as pipe,
        ):
            pipe.hincrby(name, "attempts", 1)
            pipe.hset(name, "last", str(_ms(now)))
            pipe.pexpireat(name, _ms(now + limit.window), nx=True)
            pipe.pexpireat(name, _ms(now + limit.hold), gt=True)
            await pipe.execute()

    async def clear(self, key: str) -> None:
        async with self._unavailable_as_storage_error():
            await self._client.delete(KEY_PREFIX + key)

    @asynccontextmanager
    async def _unavailable_as_storage_error(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisError, OSError, TimeoutError) as error:
            raise StorageUnavailable("redis", type(error).__name__) from error
