"""A worker's death is a respawn, not an outage; the server's death ends its workers."""

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from adapters.hashing_places import HashingPlaces
from adapters.prometheus_metrics import MULTIPROCESS_DIRECTORY_VARIABLE
from entrypoints.ioc.core import HASHING_PLACES_VARIABLE
from tests.processes.servers import RealServer, is_running, listeners, running_server

CLIENTS = 8
AFTER_KILL = 10.0
RESPAWN_TIMEOUT = 30.0


async def _load(base_url: str, until: float, results: list[tuple[float, bool]]) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=3) as client:
        while (now := time.monotonic()) < until:
            try:
                response = await client.get("/api/test/all")
                results.append((now, response.status_code == 200))
            except httpx.TransportError:
                results.append((now, False))
                await asyncio.sleep(0.01)


async def _eventually(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _respawned(server: RealServer, killed: int, started_before: int) -> float:
    """Seconds until a new worker serves in place of the killed one."""
    began = time.monotonic()
    while time.monotonic() - began < RESPAWN_TIMEOUT:
        workers = server.workers()
        if (
            len(workers) == 2
            and killed not in workers
            and server.started_workers() > started_before
        ):
            return time.monotonic() - began
        await asyncio.sleep(0.05)
    raise AssertionError(f"no worker replaced the killed one: {server.log.read_text()}")


async def test_a_killed_worker_is_replaced_and_the_other_keeps_serving(tmp_path: Path) -> None:
    with running_server(tmp_path, WORKERS="2") as server:
        workers = server.workers()
        assert len(workers) == 2
        started_before = server.started_workers()
        results: list[tuple[float, bool]] = []
        killed_at = time.monotonic() + 1
        load = [
            asyncio.create_task(_load(server.base_url, killed_at + AFTER_KILL, results))
            for _ in range(CLIENTS)
        ]

        await asyncio.sleep(killed_at - time.monotonic())
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        respawn_seconds = await _respawned(server, victim, started_before)
        await asyncio.gather(*load)

        assert server.process.poll() is None, server.log.read_text()
        after = [ok for at, ok in results if at >= killed_at]
        success = sum(after) / len(after)
        print(f"respawned in {respawn_seconds:.2f}s; {sum(after)}/{len(after)} = {success:.2%} ok")
        assert len(after) > 100
        assert success >= 0.95


async def test_killing_the_server_ends_its_workers(tmp_path: Path) -> None:
    # A killed server cleans up nothing (README): its metrics directory is put under tmp_path,
    # and the hashing places it made are removed by hand below, so that no run leaves either.
    metrics = tmp_path / "metrics"  # not made first: the server makes the directory it is given
    with running_server(
        tmp_path, WORKERS="2", **{MULTIPROCESS_DIRECTORY_VARIABLE: str(metrics)}
    ) as server:
        workers = server.workers()
        assert len(workers) == 2
        places_key = _environment(next(iter(workers)))[HASHING_PLACES_VARIABLE]
        try:
            server.process.kill()
            server.process.wait()

            # A killed process shows as a zombie once its first thread is gone; its sockets
            # close with its last thread, a moment later.
            await _eventually(
                lambda: not any(is_running(pid) for pid in workers) and not listeners(server.port),
                15,
            )

            assert not [pid for pid in workers if is_running(pid)]
            assert not listeners(server.port), listeners(server.port)
        finally:
            places = HashingPlaces.attach(int(places_key))
            assert places is not None, "the killed server's hashing places are gone"
            places.remove()


def _environment(pid: int) -> dict[str, str]:
    variables = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(variable.decode().partition("=")[::2] for variable in variables if variable)
