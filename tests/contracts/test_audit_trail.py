"""AuditTrail: an append-only trail, read newest first through filters and a cursor, purged by
age only, on every adapter."""

from dataclasses import replace
from datetime import timedelta

import pytest

from application.ports.audit import AuditSearch
from domain.audit import AuditEvent, AuditEventType
from tests.contracts.storage_under_test import NOW, StorageUnderTest
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)


def event(
    kind: AuditEventType = AuditEventType.SIGNUP,
    user_id: int | None = 1,
    at: timedelta = timedelta(0),
    **detail: str | int,
) -> AuditEvent:
    return AuditEvent(
        type=kind,
        at=NOW + at,
        user_id=user_id,
        actor_id=None,
        ip="192.0.2.7",
        user_agent="contract/1.0",
        detail=detail,
    )


async def record(storage: StorageUnderTest, *events: AuditEvent) -> None:
    for recorded in events:
        async with storage.unit_of_work() as ports:
            await ports.audit.record(recorded)


async def search(storage: StorageUnderTest, **filters: object) -> list[AuditEvent]:
    async with storage.unit_of_work() as ports:
        return await ports.audit.search(AuditSearch(**filters))  # type: ignore[arg-type]


async def test_an_event_is_read_back_as_it_was_recorded_with_an_id_of_its_own(
    storage: StorageUnderTest,
) -> None:
    recorded = AuditEvent(
        type=AuditEventType.ROLES_CHANGE,
        at=NOW,
        user_id=7,
        actor_id=1,
        ip="2001:db8::1",
        user_agent="contract/1.0",
        detail={"from": ["user"], "to": ["user", "admin"], "count": 2},
    )
    await record(storage, recorded)

    (found,) = await search(storage)

    assert found.id is not None
    assert found == replace(recorded, id=found.id)
    assert found.at.utcoffset() == timedelta(0)


async def test_events_come_newest_first_before_the_cursor_and_up_to_the_limit(
    storage: StorageUnderTest,
) -> None:
    await record(storage, *(event(name=f"e{n}") for n in range(4)))

    newest_first = await search(storage)
    names = [e.detail["name"] for e in newest_first]
    ids = [e.id or 0 for e in newest_first]

    assert names == ["e3", "e2", "e1", "e0"]
    assert ids == sorted(ids, reverse=True)
    assert [e.detail["name"] for e in await search(storage, limit=2)] == ["e3", "e2"]
    after_e2 = await search(storage, before_id=ids[1])
    assert [e.detail["name"] for e in after_e2] == ["e1", "e0"]


async def test_filters_by_user_and_type_combine(storage: StorageUnderTest) -> None:
    await record(
        storage,
        event(AuditEventType.SIGNUP, user_id=1),
        event(AuditEventType.SIGNIN_FAILURE, user_id=None),
        event(AuditEventType.SIGNIN_SUCCESS, user_id=1),
        event(AuditEventType.SIGNUP, user_id=2),
    )

    def kinds(events: list[AuditEvent]) -> list[tuple[str, int | None]]:
        return [(e.type.value, e.user_id) for e in events]

    assert kinds(await search(storage, user_id=1)) == [("signin.success", 1), ("signup", 1)]
    assert kinds(await search(storage, type=AuditEventType.SIGNUP)) == [
        ("signup", 2),
        ("signup", 1),
    ]
    assert kinds(await search(storage, user_id=2, type=AuditEventType.SIGNIN_SUCCESS)) == []
    assert await search(storage, user_id=2**40) == []


async def test_a_purge_deletes_only_events_older_than_the_moment(
    storage: StorageUnderTest,
) -> None:
    await record(
        storage,
        event(at=-timedelta(days=2), name="old"),
        event(at=-timedelta(microseconds=1), name="just before"),
        event(at=timedelta(0), name="at the moment"),
        event(at=timedelta(days=1), name="new"),
    )

    async with storage.unit_of_work() as ports:
        purged = await ports.audit.purge(NOW)

    assert purged == 2
    assert [e.detail["name"] for e in await search(storage)] == ["new", "at the moment"]
