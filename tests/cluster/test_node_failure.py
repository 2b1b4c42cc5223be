"""A node of the cluster dies (SIGKILL) or hangs (SIGSTOP) under load and comes back: the servers on
the other nodes keep answering 200, the one on the failed node answers 503 (never 500, never a
hang), and once the node has rejoined its server answers 200 again without a restart."""

import asyncio
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx
import pytest

from testkit.cluster import PASSWORD, Answer, answer_of, signed_in, tally
from testkit.galera import GaleraCluster
from tests.cluster.report import ClusterReport

pytestmark = pytest.mark.cluster

UP_BEFORE = 3.0  # seconds of load before the node dies
DOWN_FOR = 8.0  # seconds it stays dead
AFTER_RETURN = 3.0  # seconds of load after its server answers 200 again
RECOVERY_WITHIN = 30.0  # from the node's return to its server's first 200
PAUSE = 0.05  # between one client's requests


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    answers: dict[int, list[tuple[float, str, Answer, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    events: list[tuple[float, str]] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def event(self, what: str) -> float:
        at = self.now()
        self.events.append((at, what))
        return at

    def first_200_after(self, server: int, moment: float) -> float | None:
        return next(
            (at for at, _, answer, _ in self.answers[server] if at >= moment and answer == 200),
            None,
        )

    def lines(self, names: list[str]) -> list[str]:
        """The events, then each server's answers second by second."""
        out = [f"  t={at:5.1f} s  {what}" for at, what in sorted(self.events)]
        end = int(self.now()) + 1
        for second in range(end):
            cells = []
            for server, name in enumerate(names):
                counts = Counter(
                    answer for at, _, answer, _ in self.answers[server] if second <= at < second + 1
                )
                text = " ".join(f"{a}x{n}" for a, n in sorted(counts.items(), key=str)) or "-"
                cells.append(f"{name} {text:<16}")
            out.append(f"  {second:3d}-{second + 1:<3d} s  " + "  ".join(cells))
        return out


async def _load(
    client: httpx.AsyncClient,
    server: int,
    user: dict[str, str],
    timeline: Timeline,
    stop: asyncio.Event,
) -> None:
    """Reads (the authorization query) and signins (writes), one after the other."""
    token = {"x-access-token": user["accessToken"]}
    signin = {"username": user["username"], "password": PASSWORD}
    n = 0
    while not stop.is_set():
        kind = "signin" if n % 4 == 3 else "read"
        started = time.monotonic()
        request = (
            client.post("/api/auth/signin", json=signin)
            if kind == "signin"
            else client.get("/api/test/user", headers=token)
        )
        answer, _ = await answer_of(request)
        timeline.answers[server].append(
            (started - timeline.started, kind, answer, time.monotonic() - started)
        )
        n += 1
        await asyncio.sleep(PAUSE)


@pytest.mark.parametrize("failure", ["killed", "frozen"])
async def test_a_failed_node_fails_only_its_own_server_which_recovers_by_itself(
    failure: str,
    clients: list[httpx.AsyncClient],
    galera: GaleraCluster,
    cluster_report: ClusterReport,
) -> None:
    names = [f"server{n + 1}" for n in range(len(clients))]
    tag = f"{failure[0]}{secrets.token_hex(3)}"
    users = [await signed_in(client, f"nf{tag}{n}") for n, client in enumerate(clients)]
    dying = galera.nodes[-1]
    victim = len(clients) - 1

    timeline = Timeline()
    stop = asyncio.Event()
    load = [
        asyncio.create_task(_load(client, n, users[n], timeline, stop))
        for n, client in enumerate(clients)
        for _ in range(2)
    ]
    try:
        await asyncio.sleep(UP_BEFORE)
        if failure == "killed":
            timeline.event(f"node{dying.index} killed (SIGKILL)")
            await asyncio.to_thread(dying.kill)
        else:
            timeline.event(f"node{dying.index} frozen (SIGSTOP)")
            dying.freeze()
        await asyncio.sleep(DOWN_FOR)
        if failure == "killed":
            restarted = timeline.event(f"node{dying.index} restarting")
            await asyncio.to_thread(galera.restart, dying)
        else:
            restarted = timeline.event(f"node{dying.index} thawed (SIGCONT)")
            await asyncio.to_thread(galera.thaw, dying)
        size = await asyncio.to_thread(galera.cluster_size)
        back = timeline.event(f"node{dying.index} synced, cluster size {size}")
        deadline = time.monotonic() + RECOVERY_WITHIN
        # Polls what the load tasks record, rather than having them signal it.
        while timeline.first_200_after(victim, back) is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        recovered = timeline.first_200_after(victim, back)
        if recovered is not None:
            timeline.events.append((recovered, f"{names[victim]} answers 200 again"))
        await asyncio.sleep(AFTER_RETURN)
    finally:
        stop.set()
        await asyncio.gather(*load)
    timeline.event("load stopped")

    killed_at = timeline.events[0][0]
    survivors = [a for s in range(victim) for _, _, a, _ in timeline.answers[s]]
    # From a second after the kill (requests then in flight may have been answered before it)
    # to the restart; then, while the node joins, 503 until it is synced.
    dead = [a for at, _, a, _ in timeline.answers[victim] if killed_at + 1 <= at < restarted]
    everything = [a for s in timeline.answers.values() for _, _, a, _ in s]
    slowest = ", ".join(
        f"{name} {max(seconds for *_, seconds in timeline.answers[n]):.2f} s"
        for n, name in enumerate(names)
    )
    cluster_report.add(
        f"node {failure}: {len(everything)} requests (reads and signins) over "
        f"{timeline.now():.0f} s: {tally(everything)}; slowest answer: {slowest}"
    )
    cluster_report.lines.extend(timeline.lines(names))

    assert recovered is not None, f"{names[victim]} never answered 200 after the node came back"
    assert set(survivors) == {200}
    # A hung node holds its server's requests for the deadline: few of them start meanwhile.
    assert set(dead) <= {503}
    assert set(everything) <= {200, 503}
