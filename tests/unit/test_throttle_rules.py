"""The rate-limit rules on a fake clock: windows, backoff, reset on success, the three signin keys.
The Throttle runs here on the in-memory counter, whose additions are `Limit.counted` itself."""

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import InMemoryAttemptCounter, InMemoryStorage, InMemoryUnitOfWork
from application.common.client import Client
from application.common.errors import TooManyAttempts
from application.ports.attempts import AttemptsReserved
from application.shared.rate_limits import RateLimitPolicy, SigninAttempts
from application.shared.throttle import Reservation, ReservationQueue, Throttle
from application.shared.transactions import RetryPolicy, Transactions
from domain.attempts import Backoff, Limit, Tally
from tests.fakes import CountingMetrics, FakeClock

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
BACKOFF = Backoff(first=timedelta(minutes=1), ceiling=timedelta(minutes=15))
PAIR = Limit("signin_account_address", 5, timedelta(minutes=15), BACKOFF)
PER_HOUR = Limit("signin_address", 3, HOUR)


def tally_after(limit: Limit, attempts: int, every: timedelta = timedelta(0)) -> Tally:
    tally = None
    for index in range(attempts):
        tally = limit.counted(tally, START + every * index)
    assert tally is not None
    return tally


def test_a_window_opens_with_the_first_attempt_and_does_not_slide() -> None:
    tally = tally_after(PER_HOUR, 3, every=timedelta(minutes=10))

    assert tally.count == 3
    assert tally.last_at == START + timedelta(minutes=20)
    assert tally.expires_at == START + HOUR


def test_attempts_below_the_limit_wait_for_nothing() -> None:
    assert PER_HOUR.wait(tally_after(PER_HOUR, 2), START) == timedelta(0)
    assert PER_HOUR.wait(None, START) == timedelta(0)


def test_past_the_limit_the_wait_runs_to_the_end_of_the_window() -> None:
    tally = tally_after(PER_HOUR, 3)

    assert PER_HOUR.wait(tally, START + timedelta(minutes=20)) == timedelta(minutes=40)
    assert PER_HOUR.wait(tally, START + HOUR) == timedelta(0)


def test_an_expired_tally_starts_over_at_one() -> None:
    tally = tally_after(PER_HOUR, 3)

    again = PER_HOUR.counted(tally, START + HOUR)

    assert again == Tally(1, START + HOUR, START + 2 * HOUR)


def test_the_backoff_starts_at_the_limit_and_doubles_with_each_failure() -> None:
    assert PAIR.wait(tally_after(PAIR, 4), START) == timedelta(0)
    locks = [PAIR.wait(tally_after(PAIR, count), START) for count in range(5, 10)]

    assert locks == [timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 15)]


def test_the_lock_counts_from_the_last_failure() -> None:
    tally = tally_after(PAIR, 6, every=timedelta(seconds=30))
    last = START + timedelta(seconds=150)

    assert tally.last_at == last
    assert PAIR.wait(tally, last + timedelta(seconds=90)) == timedelta(seconds=30)
    assert PAIR.wait(tally, last + timedelta(minutes=2)) == timedelta(0)


def test_the_ceiling_holds_for_an_attacker_who_waits_out_every_lock() -> None:
    tally = tally_after(PAIR, 9)
    for _ in range(20):
        waited = START + (tally.last_at - START) + PAIR.wait(tally, tally.last_at)
        tally = PAIR.counted(tally, waited)

    assert PAIR.wait(tally, tally.last_at) == BACKOFF.ceiling
    assert tally.count == 29


def test_a_pair_is_forgotten_a_window_after_the_longest_lock() -> None:
    tally = tally_after(PAIR, 2)

    assert tally.expires_at == START + PAIR.window + BACKOFF.ceiling
    assert PAIR.counted(tally, tally.expires_at).count == 1


def test_huge_counts_stay_at_the_ceiling() -> None:
    assert BACKOFF.lock(10_000) == BACKOFF.ceiling


def policy(enabled: bool = True) -> RateLimitPolicy:
    return RateLimitPolicy(
        enabled=enabled,
        signin_account_address=PAIR,
        signin_address=Limit("signin_address", 8, HOUR),
        signin_account=Limit("signin_account", 7, HOUR),
        signup_address=Limit("signup_address", 2, HOUR),
        refresh_session=Limit("refresh_session", 2, HOUR),
        refresh_address=Limit("refresh_address", 2, HOUR),
        reset_email=Limit("reset_email", 2, HOUR),
        reset_address=Limit("reset_address", 2, HOUR),
        resend_user=Limit("resend_user", 1, timedelta(minutes=1)),
        resend_user_hour=Limit("resend_user_hour", 2, HOUR),
        passkey_options_address=Limit("passkey_options_address", 2, HOUR),
        in_flight_wait=timedelta(seconds=1),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def metrics() -> CountingMetrics:
    return CountingMetrics()


@pytest.fixture
def throttle(clock: FakeClock, metrics: CountingMetrics) -> Throttle:
    return Throttle(
        InMemoryAttemptCounter(InMemoryStorage()), policy(), clock, metrics, ReservationQueue()
    )


async def fail(throttle: Throttle, username: str, address: str, times: int = 1) -> None:
    attempts = throttle.policy.signin(username, Client(address))
    for _ in range(times):
        await throttle.check(attempts.all)
        await throttle.count(attempts.all)


async def test_the_sixth_failure_of_an_account_from_one_address_waits(
    throttle: Throttle, metrics: CountingMetrics
) -> None:
    await fail(throttle, "alice", "10.0.0.1", times=5)

    with pytest.raises(TooManyAttempts) as refused:
        await fail(throttle, "alice", "10.0.0.1")

    assert refused.value.retry_after == 60
    assert metrics.counts["throttled", "signin_account_address"] == 1


async def test_the_account_key_ignores_case_and_surrounding_space(throttle: Throttle) -> None:
    await fail(throttle, "Alice", "10.0.0.1", times=5)

    with pytest.raises(TooManyAttempts):
        await fail(throttle, " alice ", "10.0.0.1")


async def test_the_same_account_from_another_address_is_not_locked(throttle: Throttle) -> None:
    await fail(throttle, "alice", "10.0.0.1", times=5)

    await fail(throttle, "alice", "10.0.0.2")


async def test_a_success_forgives_the_pair_but_not_the_address_or_account(
    throttle: Throttle,
) -> None:
    await fail(throttle, "alice", "10.0.0.1", times=4)
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))

    # A signin whose password was right: its reservation given back on the address and the
    # account, the pair's failures forgotten.
    success = await throttle.reserve(attempts.all, TRANSACTIONS)
    await throttle.release(
        success, (attempts.address, attempts.account), forget=(attempts.account_address,)
    )

    tallies = await throttle.check(attempts.all)
    assert attempts.account_address.key not in tallies
    assert tallies[attempts.address.key].count == 4
    assert tallies[attempts.account.key].count == 4


async def test_an_address_is_limited_across_accounts(throttle: Throttle) -> None:
    for number in range(8):
        await fail(throttle, f"user{number}", "10.0.0.1")

    with pytest.raises(TooManyAttempts) as refused:
        await fail(throttle, "someone-new", "10.0.0.1")

    assert refused.value.retry_after == 3600


async def test_an_account_is_limited_across_addresses(
    throttle: Throttle, clock: FakeClock, metrics: CountingMetrics
) -> None:
    for number in range(7):
        await fail(throttle, "alice", f"10.0.1.{number}")
        clock.advance(timedelta(minutes=1))

    with pytest.raises(TooManyAttempts) as refused:
        await fail(throttle, "alice", "10.0.2.1")

    assert refused.value.retry_after == 60 * 53
    assert metrics.counts["throttled", "signin_account"] == 1


async def test_the_lock_lifts_when_its_time_is_up(throttle: Throttle, clock: FakeClock) -> None:
    await fail(throttle, "alice", "10.0.0.1", times=5)
    clock.advance(timedelta(seconds=59))
    with pytest.raises(TooManyAttempts) as refused:
        await fail(throttle, "alice", "10.0.0.1")
    assert refused.value.retry_after == 1

    clock.advance(timedelta(seconds=1))
    await fail(throttle, "alice", "10.0.0.1")

    with pytest.raises(TooManyAttempts) as doubled:
        await fail(throttle, "alice", "10.0.0.1")
    assert doubled.value.retry_after == 120


async def test_the_longest_wait_is_the_answer(throttle: Throttle, clock: FakeClock) -> None:
    await fail(throttle, "alice", "10.0.0.1", times=5)
    for number in range(3):
        await fail(throttle, f"user{number}", "10.0.0.1")

    with pytest.raises(TooManyAttempts) as refused:
        await fail(throttle, "alice", "10.0.0.1")

    assert refused.value.retry_after == 3600


async def test_a_partial_second_is_rounded_up(throttle: Throttle, clock: FakeClock) -> None:
    await fail(throttle, "alice", "10.0.0.1", times=5)
    clock.advance(timedelta(seconds=59, milliseconds=1))

    with pytest.raises(TooManyAttempts) as refused:
        await fail(throttle, "alice", "10.0.0.1")

    assert refused.value.retry_after == 1


async def test_switched_off_nothing_is_counted_or_refused(clock: FakeClock) -> None:
    storage = InMemoryStorage()
    throttle = Throttle(
        InMemoryAttemptCounter(storage), policy(False), clock, CountingMetrics(), ReservationQueue()
    )

    await fail(throttle, "alice", "10.0.0.1", times=50)

    assert storage.attempts == {}


def test_keys_hold_no_username_or_address() -> None:
    attempts = policy().signin("alice", Client("10.0.0.1"))

    for attempt in attempts.all:
        assert "alice" not in attempt.key
        assert "10.0.0.1" not in attempt.key
    assert len({attempt.key for attempt in attempts.all}) == 3


TRANSACTIONS = Transactions(InMemoryUnitOfWork(), RetryPolicy(attempts=1, backoff=HOUR))


async def test_a_reservation_past_a_limit_is_refused_and_counts_nowhere(
    throttle: Throttle, metrics: CountingMetrics
) -> None:
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))
    for _ in range(5):
        await throttle.reserve(attempts.all, TRANSACTIONS)

    with pytest.raises(TooManyAttempts) as refused:
        await throttle.reserve(attempts.all, TRANSACTIONS)

    assert refused.value.retry_after == 60
    assert metrics.counts["throttled", "signin_account_address"] == 1
    tallies = await throttle.check((attempts.address, attempts.account))
    assert [tally.count for tally in tallies.values()] == [5, 5]


async def test_the_reservation_that_reaches_a_limit_says_so(throttle: Throttle) -> None:
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))
    reached = [(await throttle.reserve(attempts.all, TRANSACTIONS)).now_holding() for _ in range(5)]

    assert reached == [[], [], [], [], ["signin_account_address"]]


async def test_a_released_place_is_free_again(throttle: Throttle) -> None:
    address = throttle.policy.signin("alice", Client("10.0.0.1")).address
    for _ in range(20):
        reservation = await throttle.reserve((address,), TRANSACTIONS)
        await throttle.release(reservation, (address,))

    assert (await throttle.check((address,)))[address.key].count == 0


async def test_a_place_taken_in_a_closed_window_is_not_given_back_to_the_next(
    throttle: Throttle, clock: FakeClock
) -> None:
    address = throttle.policy.signin("alice", Client("10.0.0.1")).address
    slow = await throttle.reserve((address,), TRANSACTIONS)
    clock.advance(HOUR)
    await throttle.reserve((address,), TRANSACTIONS)

    await throttle.release(slow, (address,))

    assert (await throttle.check((address,)))[address.key].count == 1


async def test_a_success_forgives_the_pair_and_gives_back_the_rest(throttle: Throttle) -> None:
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))
    for _ in range(3):
        await throttle.reserve(attempts.all, TRANSACTIONS)
    success = await throttle.reserve(attempts.all, TRANSACTIONS)

    await throttle.release(
        success, (attempts.address, attempts.account), forget=(attempts.account_address,)
    )

    tallies = await throttle.check(attempts.all)
    assert attempts.account_address.key not in tallies
    assert tallies[attempts.address.key].count == 3
    assert tallies[attempts.account.key].count == 3


async def test_switched_off_a_reservation_counts_nothing(clock: FakeClock) -> None:
    storage = InMemoryStorage()
    throttle = Throttle(
        InMemoryAttemptCounter(storage), policy(False), clock, CountingMetrics(), ReservationQueue()
    )
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))

    for _ in range(50):
        reservation = await throttle.reserve(attempts.all, TRANSACTIONS)
        await throttle.release(reservation, attempts.all)

    assert storage.attempts == {}


async def sign_in(throttle: Throttle, attempts: SigninAttempts) -> Reservation:
    return await throttle.reserve(attempts.all, TRANSACTIONS, may_give_back=True)


async def a_sixth_waiting(
    throttle: Throttle, attempts: SigninAttempts
) -> "asyncio.Future[Reservation]":
    waiting = asyncio.ensure_future(sign_in(throttle, attempts))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    return waiting


async def test_an_attempt_that_finds_the_limit_reached_in_flight_waits_for_their_outcome(
    throttle: Throttle, metrics: CountingMetrics
) -> None:
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))
    in_flight = [await sign_in(throttle, attempts) for _ in range(5)]

    waiting = await a_sixth_waiting(throttle, attempts)
    await throttle.release(in_flight[0], attempts.all)

    admitted = await asyncio.wait_for(waiting, timeout=1)
    assert admitted.attempts == attempts.all
    assert metrics.counts["throttled", "signin_account_address"] == 0


async def test_a_limit_reached_by_failures_refuses_at_once(
    throttle: Throttle, metrics: CountingMetrics
) -> None:
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))
    failures = [await sign_in(throttle, attempts) for _ in range(5)]
    for failure in failures[:4]:
        await throttle.resolve(failure)

    # One still in flight: the sixth waits for it, and once it fails too, is refused.
    waiting = await a_sixth_waiting(throttle, attempts)
    await throttle.resolve(failures[4])

    with pytest.raises(TooManyAttempts):
        await asyncio.wait_for(waiting, timeout=0.5)
    started = time.perf_counter()
    with pytest.raises(TooManyAttempts):
        await sign_in(throttle, attempts)
    assert time.perf_counter() - started < 0.05
    assert metrics.counts["throttled", "signin_account_address"] == 2


async def test_the_wait_for_attempts_in_flight_is_bounded(throttle: Throttle) -> None:
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))
    for _ in range(5):
        await sign_in(throttle, attempts)

    started = time.perf_counter()
    with pytest.raises(TooManyAttempts):
        await sign_in(throttle, attempts)

    # The policy's in_flight_wait: one second.
    assert 0.9 < time.perf_counter() - started < 2


class _Watched(InMemoryAttemptCounter):
    """The in-memory counter, yielding to other tasks inside each reservation (as a store's
    round trip does) and noting how many are inside at once."""

    def __init__(self, storage: InMemoryStorage) -> None:
        super().__init__(storage)
        self.inside = self.most_inside = self.reservations = 0

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        self.reservations += 1
        try:
            await asyncio.sleep(0)
            return await super().reserve(limits, now)
        finally:
            self.inside -= 1


async def test_a_burst_reaches_the_store_one_at_a_time_and_its_refusals_reserve_nothing(
    clock: FakeClock,
) -> None:
    counter = _Watched(InMemoryStorage())
    throttle = Throttle(counter, policy(), clock, CountingMetrics(), ReservationQueue())
    attempts = throttle.policy.signin("alice", Client("10.0.0.1"))

    async def one() -> bool:
        try:
            await throttle.reserve(attempts.all, TRANSACTIONS)
        except TooManyAttempts:
            return False
        return True

    admitted = await asyncio.gather(*(one() for _ in range(24)))

    # Exactly the limit went ahead; the store saw one reservation at a time, and none of the
    # refused ones: they waited in line and found the limit reached by reading.
    assert admitted.count(True) == PAIR.attempts
    assert (counter.most_inside, counter.reservations) == (1, PAIR.attempts)


async def test_reservations_of_other_keys_do_not_wait_in_one_line(clock: FakeClock) -> None:
    counter = _Watched(InMemoryStorage())
    throttle = Throttle(counter, policy(), clock, CountingMetrics(), ReservationQueue())

    await asyncio.gather(
        *(
            throttle.reserve(
                throttle.policy.signin(f"user{n}", Client("10.0.0.1")).all[:1], TRANSACTIONS
            )
            for n in range(5)
        )
    )

    assert counter.most_inside == 5
