"""The service between clients and a failing database (through tests.faults.proxy): every
request that needs the database is answered within the deadline, 503 when the database cannot
answer; the public endpoint is untouched; the service recovers by itself; nothing answered 200 is
lost, nothing refused is half-stored."""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass

import pytest
from httpx import Response
from sqlalchemy.engine import URL

from tests.faults.conftest import DEADLINE
from tests.faults.proxy import Fault, FaultProxy
from tests.faults.report import FaultReport
from tests.service import DEFAULT_PASSWORD, Service

UNAVAILABLE = {"message": "Service temporarily unavailable. Please try again."}
# A DB-backed answer may take the deadline, plus what the request does besides (a cost-4 hash).
ANSWER_WITHIN = DEADLINE + 1.0
RECOVERY_WITHIN = 3.0


@dataclass(frozen=True)
class Answer:
    label: str
    response: Response
    seconds: float

    @property
    def needs_database(self) -> bool:
        return self.label != "all"


async def timed(label: str, request: Awaitable[Response]) -> Answer:
    started = time.monotonic()
    response = await request
    return Answer(label, response, time.monotonic() - started)


async def one_round(service: Service, user: dict[str, str], tag: str) -> list[Answer]:
    client = service.client
    token = {"x-access-token": user["accessToken"]}
    requests = [
        *(timed("user", client.get("/api/test/user", headers=token)) for _ in range(3)),
        *(timed("signin", service.signin("alice")) for _ in range(2)),
        *(timed(f"signup {tag}{n}", service.signup(f"{tag}{n}")) for n in range(2)),
        timed("refresh", client.post("/api/auth/refreshtoken", json={"refreshToken": "x" * 43})),
        *(timed("all", client.get("/api/test/all")) for _ in range(3)),
    ]
    return list(await asyncio.gather(*requests))


async def seconds_until_served(service: Service, user: dict[str, str]) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < 10:
        answers = await asyncio.gather(
            service.get("/api/test/user", user["accessToken"]), service.signin("alice")
        )
        if all(answer.status_code == 200 for answer in answers):
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    return None


def check_answers(answers: list[Answer], allowed: set[int]) -> None:
    for answer in answers:
        response = answer.response
        if not answer.needs_database:
            assert response.status_code == 200, answer
            assert answer.seconds < 0.5, answer
            continue
        assert answer.seconds < ANSWER_WITHIN, answer
        if answer.label == "refresh" and response.status_code == 403:
            continue  # the database answered: that token is not in it
        assert response.status_code in allowed, (answer.label, response.text)
        if response.status_code == 503:
            assert response.json() == UNAVAILABLE
            assert int(response.headers["retry-after"]) > 0


async def check_stored(service: Service, answers: list[Answer]) -> None:
    for answer in answers:
        if answer.label.startswith("signup"):
            username = answer.label.split()[1]
            stored = await service.backdoor.user_id(username) is not None
            assert stored == (answer.response.status_code == 200), answer
            if stored:
                assert (await service.signin(username, DEFAULT_PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    "fault", [Fault.REFUSE, Fault.BLACK_HOLE, Fault.STALL, Fault.RESET], ids=lambda f: f.name
)
async def test_a_database_fault_answers_503_in_time_and_the_service_recovers(
    service: Service,
    proxy: FaultProxy,
    fault: Fault,
    fault_report: FaultReport,
    server_url: URL,
) -> None:
    user = await service.signed_in("alice")
    await one_round(service, user, "before")  # pools now hold connections the fault catches

    await proxy.set(fault)
    during = await one_round(service, user, "during")
    # Stalled connections are discarded, not kept: new ones work while the old ones hang.
    after_discard = await one_round(service, user, "next") if fault is Fault.STALL else []
    await proxy.set(Fault.FORWARD)
    recovery = await seconds_until_served(service, user)

    answers = Counter(
        f"{a.label.split()[0]} {a.response.status_code}" for a in [*during, *after_discard]
    )
    slowest = max(a.seconds for a in [*during, *after_discard])
    fault_report.add(server_url.get_backend_name(), fault.value, answers, slowest, recovery)
    check_answers(during, {503, 200} if fault is Fault.STALL else {503})
    assert any(a.response.status_code == 503 for a in during)
    if after_discard:
        check_answers(after_discard, {200})
    assert recovery is not None
    assert recovery < RECOVERY_WITHIN
    await check_stored(service, [*during, *after_discard])
