from datetime import timedelta

import pytest

from application.common.errors import InvalidCredentials, StorageConflict, StorageUnavailable
from application.common.outcomes import UnavailableCause
from application.ports.storage import UnitOfWork
from application.shared.transactions import RetryPolicy, Transactions

NO_WAIT = RetryPolicy(attempts=3, backoff=timedelta(0))


class RecordingUnitOfWork(UnitOfWork):
    """Records what happened, in order; its commit may be told to report conflicts."""

    def __init__(self, conflicts_at_commit: int = 0) -> None:
        self.events: list[str] = []
        self._conflicts_at_commit = conflicts_at_commit

    async def commit(self) -> None:
        if self._conflicts_at_commit:
            self._conflicts_at_commit -= 1
            raise StorageConflict("certification failed")
        self.events.append("commit")

    async def rollback(self) -> None:
        self.events.append("rollback")


class Work:
    """A unit of work that fails with the given errors, in turn, before it succeeds."""

    def __init__(self, uow: RecordingUnitOfWork, *failures: Exception) -> None:
        self._uow = uow
        self._failures = list(failures)

    async def __call__(self) -> str:
        self._uow.events.append("work")
        if self._failures:
            raise self._failures.pop(0)
        return "result"


async def test_work_that_succeeds_is_committed_once_and_answers_its_result() -> None:
    uow = RecordingUnitOfWork()

    assert await Transactions(uow, NO_WAIT).run(Work(uow)) == "result"
    assert uow.events == ["work", "commit"]


async def test_a_conflict_is_rolled_back_and_the_work_runs_again_from_its_first_read() -> None:
    uow = RecordingUnitOfWork()

    result = await Transactions(uow, NO_WAIT).run(Work(uow, StorageConflict("deadlock")))

    assert result == "result"
    assert uow.events == ["work", "rollback", "work", "commit"]


async def test_a_conflict_reported_at_commit_runs_the_work_again_too() -> None:
    uow = RecordingUnitOfWork(conflicts_at_commit=1)

    assert await Transactions(uow, NO_WAIT).run(Work(uow)) == "result"
    assert uow.events == ["work", "rollback", "work", "commit"]


async def test_conflicts_on_every_attempt_make_storage_unavailable() -> None:
    uow = RecordingUnitOfWork()
    conflicts = [StorageConflict("lock wait timeout") for _ in range(NO_WAIT.attempts)]

    with pytest.raises(StorageUnavailable) as refused:
        await Transactions(uow, NO_WAIT).run(Work(uow, *conflicts))

    assert refused.value.kind == "conflict"
    assert uow.events == ["work", "rollback"] * NO_WAIT.attempts


@pytest.mark.parametrize(
    "error",
    [InvalidCredentials(), StorageUnavailable(UnavailableCause.TIMEOUT), ValueError("a bug")],
    ids=type,
)
async def test_any_other_error_is_rolled_back_and_raised_as_it_is_without_a_retry(
    error: Exception,
) -> None:
    uow = RecordingUnitOfWork()

    with pytest.raises(type(error)) as raised:
        await Transactions(uow, NO_WAIT).run(Work(uow, error))

    assert raised.value is error
    assert uow.events == ["work", "rollback"]


def test_each_wait_is_drawn_below_a_ceiling_that_doubles_with_each_failed_run() -> None:
    policy = RetryPolicy(attempts=4, backoff=timedelta(milliseconds=20))

    for failed_runs, ceiling in [(1, 0.02), (2, 0.04), (3, 0.08)]:
        delays = [policy.delay(failed_runs) for _ in range(200)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling / 2  # spread out, not one fixed wait
