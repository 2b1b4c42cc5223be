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

A reservation (see the AttemptCounter port) must read, decide and count as one step, which
MULTI/EXEC cannot (no command in it sees another's answer): it is a Lua script, which Redis runs
with nothing else in between. It decides as `Limit.wait` does and counts as above; a tally that
expired on the service's clock but not yet on Redis's starts over, as `Limit.counted` says. A
release is a script too: it gives an attempt back only to a tally that is still live and above
zero, so it never revives an expired key (HINCRBY on a missing key would make one that never
expires) nor goes below zero.

Times are the service's clock, in milliseconds since the epoch; the servers and Redis are
assumed to agree on the time to within a fraction of the shortest window.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.common.errors import StorageUnavailable
from application.common.outcomes import UnavailableCause
from application.ports.attempts import AttemptCounter, AttemptsReserved
from domain.attempts import Limit, Tally

KEY_PREFIX = "authgate:attempts:"

# KEYS: the tallies. ARGV[1]: now; then for each key, five numbers: the attempts its limit
# allows, its window, its hold, and its backoff's first lock and ceiling (0 and 0: none).
# Answers 1 (admitted) or 0, then each key's count, last attempt and expiry before this attempt
# (-1, -1, -1: no live tally).
_RESERVE = """
local now = tonumber(ARGV[1])
local live = {}
local admitted = 1
for i, key in ipairs(KEYS) do
  local at = 2 + (i - 1) * 5
  local allowed, first, ceiling = tonumber(ARGV[at]), tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local fields = redis.call('HMGET', key, 'attempts', 'last')
  local count, last = tonumber(fields[1]), tonumber(fields[2])
  local expires = redis.call('PEXPIRETIME', key)
  live[i] = false
  if count and last and expires > now then
    live[i] = {count, last, expires}
    if count >= allowed then
      local ends = expires
      if first > 0 then
        ends = last + math.min(first * 2 ^ math.min(count - allowed, 30), ceiling)
      end
      if ends > now then
        admitted = 0
      end
    end
  end
end
local answer = {admitted}
for i, key in ipairs(KEYS) do
  local at = 2 + (i - 1) * 5
  local window, hold = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local tally = live[i]
  if tally then
    table.insert(answer, tally[1])
    table.insert(answer, tally[2])
    table.insert(answer, tally[3])
  else
    table.insert(answer, -1)
    table.insert(answer, -1)
    table.insert(answer, -1)
  end
  if admitted == 1 then
    if tally then
      redis.call('HINCRBY', key, 'attempts', 1)
      if tally[2] < now then
        redis.call('HSET', key, 'last', now)
      end
      redis.call('PEXPIREAT', key, now + hold, 'GT')
    else
      redis.call('DEL', key)
      redis.call('HSET', key, 'attempts', 1, 'last', now)
      redis.call('PEXPIREAT', key, now + math.max(window, hold))
    end
  end
end
return answer
"""

# KEYS: the tallies to give an attempt back to, then those to forget. ARGV[1]: now; ARGV[2]: how
# many of KEYS are given back to.
_RELEASE = """
local now, given = tonumber(ARGV[1]), tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  if i > given then
    redis.call('DEL', key)
  else
    local count = tonumber(redis.call('HGET', key, 'attempts'))
    if count and count > 0 and redis.call('PEXPIRETIME', key) > now then
      redis.call('HINCRBY', key, 'attempts', -1)
    end
  end
end
return 0
"""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    """Whole milliseconds, rounded down: a wait computed from them is never a second longer."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _ms_of(duration: timedelta) -> int:
    return duration // timedelta(milliseconds=1)


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class RedisAttemptCounter(AttemptCounter):
    def __init__(self, client: Redis) -> None:
        self._client = client
        self._reserve = client.register_script(_RESERVE)
        self._release = client.register_script(_RELEASE)

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

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        keys = sorted(limits)
        arguments = [_ms(now)]
        for key in keys:
            limit = limits[key]
            backoff = limit.backoff
            arguments += [
                limit.attempts,
                _ms_of(limit.window),
                _ms_of(limit.hold),
                _ms_of(backoff.first) if backoff else 0,
                _ms_of(backoff.ceiling) if backoff else 0,
            ]
        async with self._unavailable_as_storage_error():
            answer = await self._reserve(keys=[KEY_PREFIX + key for key in keys], args=arguments)
        admitted, *found = (int(number) for number in answer)
        live = {
            key: Tally(count, _moment(last), _moment(expires))
            for key, count, last, expires in zip(
                keys, found[::3], found[1::3], found[2::3], strict=True
            )
            if count >= 0
        }
        return AttemptsReserved(admitted == 1, live)

    async def release(self, keys: Sequence[str], now: datetime, forget: Sequence[str] = ()) -> None:
        if not keys and not forget:
            return
        names = [KEY_PREFIX + key for key in (*keys, *forget)]
        async with self._unavailable_as_storage_error():
            await self._release(keys=names, args=[_ms(now), len(keys)])

    @asynccontextmanager
    async def _unavailable_as_storage_error(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisError, OSError, TimeoutError) as error:
            raise StorageUnavailable(UnavailableCause.REDIS, type(error).__name__) from error
