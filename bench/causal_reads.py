"""What DB_CAUSAL_READS costs: GET /api/test/user (one authorization read) driven by wrk against one
`authgate serve` on node 1 of a 3-node loopback Galera cluster (testkit.galera), with causal
reads off, then on, alternately BENCH_ROUNDS times (default 2; the machine may be shared, and
alternating spreads its noise over both). `python -m bench.causal_reads`; BENCH_DURATION seconds
each run (default 10).

Each causal read waits for a round of the cluster's group communication before it runs; on one
machine that round is cheap, across machines it costs at least a network round trip.
"""

import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from testkit.cluster import authgate_servers, signed_in
from testkit.galera import galera_cluster

_CONNECTIONS = 16


def _wrk(url: str, token: str, seconds: int) -> str:
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("wrk") or "wrk",
            f"-t{min(2, os.cpu_count() or 1)}",
            f"-c{_CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"x-access-token: {token}",
            url,
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    p50 = re.search(r"^\s+50%\s+(\S+)", done.stdout, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", done.stdout, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    return (
        f"{float(rate.group(1)) if rate else 0:8.0f} req/s  p50 {p50.group(1) if p50 else '?'}"
        f"  p99 {p99.group(1) if p99 else '?'}  non-2xx {non_2xx.group(1) if non_2xx else 0}"
    )


async def _access_token(base_url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return str((await signed_in(client, username))["accessToken"])


def main() -> int:
    seconds = int(os.environ.get("BENCH_DURATION", "10"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    workers = str(os.cpu_count() or 1)
    with galera_cluster(size=3) as cluster:
        for causal in ("false", "true") * rounds:
            with (
                tempfile.TemporaryDirectory() as work,
                authgate_servers(
                    cluster.nodes[:1], Path(work), DB_CAUSAL_READS=causal, WORKERS=workers
                ) as servers,
            ):
                token = asyncio.run(
                    _access_token(servers[0].base_url, f"bench{secrets.token_hex(4)}")
                )
                result = _wrk(f"{servers[0].base_url}/api/test/user", token, seconds)
                print(f"DB_CAUSAL_READS={causal:<5} {result}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
