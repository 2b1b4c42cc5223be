"""The CPU each kind of request costs on a 3-node Galera cluster: in the Authgate server, in the
node it talks to, and in each other node (which applies every write set it did not make). The
capacity model in deploy/README.md is built on these and on `make bench`.

`python -m bench.galera_costs`: one `authgate serve` (one worker, bcrypt cost 4, causal reads on
unless DB_CAUSAL_READS=false) on node 1 of a loopback cluster (testkit.galera); a fixed
number of requests of each kind; CPU read from /proc before and after, minus what the processes
spend idle. The client's own CPU is not counted, so the machine's speed, not the client's, sets
the figures.
"""

import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from testkit.cluster import PASSWORD, AuthgateServer, authgate_servers, signed_in, signup_body
from testkit.galera import GaleraCluster, galera_cluster

_TICK = os.sysconf("SC_CLK_TCK")
_CONCURRENCY = 8


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError):
                continue
    return found


class Meter:
    """CPU seconds of the server (its process and its workers) and of each node."""

    def __init__(self, server: AuthgateServer, cluster: GaleraCluster) -> None:
        if server.process is None:
            raise RuntimeError(f"{server.name} is not running")
        self._server = [server.process.pid, *_children(server.process.pid)]
        self._nodes = [node.process.pid for node in cluster.nodes if node.process is not None]

    def read(self) -> list[float]:
        return [sum(_cpu_seconds(pid) for pid in self._server)] + [
            _cpu_seconds(pid) for pid in self._nodes
        ]


async def _run(count: int, request: Callable[[int], Awaitable[httpx.Response]]) -> None:
    """`count` requests, `_CONCURRENCY` at a time; every one must succeed."""
    queue = iter(range(count))

    async def lane() -> None:
        for n in queue:
            response = await request(n)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text}")

    await asyncio.gather(*(lane() for _ in range(_CONCURRENCY)))


async def _measure(
    meter: Meter, label: str, count: int, request: Callable[[int], Awaitable[httpx.Response]]
) -> str:
    idle_before = meter.read()
    await asyncio.sleep(2)
    idle = [(b - a) / 2 for a, b in zip(idle_before, meter.read(), strict=True)]
    before, started = meter.read(), time.monotonic()
    await _run(count, request)
    after, seconds = meter.read(), time.monotonic() - started
    cost = [
        max(0.0, (b - a - rate * seconds)) / count * 1e6
        for a, b, rate in zip(before, after, idle, strict=True)
    ]
    nodes = "  ".join(f"node{n + 1} {us:6.0f}" for n, us in enumerate(cost[1:]))
    return f"{label:<34} server {cost[0]:6.0f}  {nodes}   (us of CPU per request, {count} requests)"


async def _scenarios(server: AuthgateServer, meter: Meter) -> list[str]:
    tag = secrets.token_hex(3)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        reader = await signed_in(client, f"r{tag}")
        read_token = {"x-access-token": reader["accessToken"]}
        chains = [(await signed_in(client, f"c{tag}{n}"))["refreshToken"] for n in range(64)]

        async def refresh(n: int) -> httpx.Response:
            slot = n % len(chains)
            response = await client.post(
                "/api/auth/refreshtoken", json={"refreshToken": chains[slot]}
            )
            chains[slot] = response.json().get("refreshToken", chains[slot])
            return response

        signin = {"username": f"r{tag}", "password": PASSWORD}
        return [
            await _measure(
                meter,
                "GET /api/test/user",
                3000,
                lambda _n: client.get("/api/test/user", headers=read_token),
            ),
            await _measure(meter, "POST /api/auth/refreshtoken", 1000, refresh),
            await _measure(
                meter,
                "POST /api/auth/signin (cost 4)",
                600,
                lambda _n: client.post("/api/auth/signin", json=signin),
            ),
            await _measure(
                meter,
                "POST /api/auth/signup (cost 4)",
                400,
                lambda n: client.post("/api/auth/signup", json=signup_body(f"s{tag}{n}")),
            ),
        ]


def main() -> int:
    with (
        galera_cluster(size=3) as cluster,
        tempfile.TemporaryDirectory() as work,
        authgate_servers(
            cluster.nodes[:1],
            Path(work),
            DB_CAUSAL_READS=os.environ.get("DB_CAUSAL_READS", "true"),
        ) as servers,
    ):
        for line in asyncio.run(_scenarios(servers[0], Meter(servers[0], cluster))):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
