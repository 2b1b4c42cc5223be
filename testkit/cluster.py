"""Authgate servers in front of a Galera cluster, one `authgate serve` per node, and the way the
checks drive them: many requests at once, spread over the servers, their answers tallied.

    with authgate_servers(cluster.nodes, workdir) as servers:
        answers = await spread(clients, 12, lambda client, n: client.get("/api/test/all"))
        print(tally(answers))  # "200 x12"
"""

import asyncio
import contextlib
import subprocess
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from testkit.galera import GaleraNode
from testkit.servers import (
    AUTHGATE,
    HOST,
    PROJECT_ROOT,
    ServerError,
    free_ports,
    launch,
    server_env,
    stop,
    wait_until_serving,
)

DATABASE = "authgate"
SECRET = "a cluster test secret, shared by every server, 48+ bytes long"  # noqa: S105 - a test rig
_READY_PATH = "/api/test/all"
_READY_TIMEOUT = 60.0


@dataclass
class AuthgateServer:
    name: str
    node: GaleraNode
    port: int
    home: Path
    env: dict[str, str] = field(repr=False)
    process: "subprocess.Popen[bytes] | None" = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    def start(self) -> None:
        self.launch()
        self.wait_serving()

    def launch(self) -> None:
        self.process = launch((*AUTHGATE, "serve"), self.env, self.log)

    def wait_serving(self) -> None:
        if self.process is None:
            raise ServerError(f"{self.name} was not started")
        try:
            wait_until_serving(self.process, self.port, _READY_PATH, _READY_TIMEOUT)
        except ServerError as error:
            raise ServerError(f"{self.name}: {error}:\n{self.log.read_text()[-3000:]}") from None

    def conflicts_retried(self) -> int:
        """Units of work this server ran again after a conflict (Galera: a failed certification)
        since it started, from its log."""
        return self.log.read_text(errors="replace").count("transient conflict (")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop(process)


def node_server_env(node: GaleraNode, port: int, home: Path, **extra: str) -> dict[str, str]:
    return server_env(
        port,
        node.url(DATABASE),
        home / "data",
        SECRET,
        None,
        **{
            "WORKERS": "1",
            "SESSION_PURGE_INTERVAL": "0",
            # The races sign up and sign in hundreds of users from one address; a check of the
            # limits across servers passes RATE_LIMITS=on in `extra`.
            "RATE_LIMITS": "off",
            **extra,
        },
    )


@contextlib.contextmanager
def authgate_servers(
    nodes: Sequence[GaleraNode], workdir: Path, **extra_env: str
) -> Iterator[list[AuthgateServer]]:
    """Creates the database on the cluster, migrates it once (through the first node), then
    serves one Authgate per node; all stopped on exit, also when one failed to start."""
    nodes[0].sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE} CHARACTER SET utf8mb4")
    ports = free_ports(len(nodes))
    servers = [
        AuthgateServer(
            f"server{node.index}",
            node,
            port,
            workdir / f"server{node.index}",
            node_server_env(node, port, workdir / f"server{node.index}", **extra_env),
        )
        for node, port in zip(nodes, ports, strict=True)
    ]
    migrate = subprocess.run(  # noqa: S603 - our own command line
        [*AUTHGATE, "migrate"],
        env=servers[0].env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=False,
    )
    if migrate.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{(migrate.stdout + migrate.stderr).decode()}")
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_serving()
        yield servers
    finally:
        for server in servers:
            server.stop()


Answer = int | str
"""An HTTP status, or what happened instead: "timeout" (no answer in time), "refused"."""


async def answer_of(request: Awaitable[httpx.Response]) -> tuple[Answer, httpx.Response | None]:
    try:
        response = await request
    except httpx.TimeoutException:
        return "timeout", None
    except httpx.TransportError:
        return "refused", None
    return response.status_code, response


async def spread(
    clients: Sequence[httpx.AsyncClient],
    count: int,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
) -> list[tuple[Answer, httpx.Response | None]]:
    """`count` requests at once, the n-th to server n modulo the number of servers."""
    return list(
        await asyncio.gather(
            *(answer_of(request(clients[n % len(clients)], n)) for n in range(count))
        )
    )


def tally(answers: Sequence[tuple[Answer, httpx.Response | None]] | Sequence[Answer]) -> str:
    """How many of each answer, for the report: `200 x1, 400 x5`."""
    counts = Counter(item[0] if isinstance(item, tuple) else item for item in answers)
    return ", ".join(f"{answer} x{n}" for answer, n in sorted(counts.items(), key=str))


PASSWORD = "correct horse battery"  # noqa: S105 - a test rig


def signup_body(username: str, email: str | None = None) -> dict[str, str]:
    return {
        "username": username,
        "email": email or f"{username}@example.com",
        "password": PASSWORD,
    }


async def signed_in(client: httpx.AsyncClient, username: str) -> dict[str, Any]:
    """Registers `username` through this server, then signs in there: the signin's body."""
    signup = await client.post("/api/auth/signup", json=signup_body(username))
    if signup.status_code != 200:
        raise RuntimeError(f"signup through {client.base_url} failed: {signup.text}")
    signin = await client.post(
        "/api/auth/signin", json={"username": username, "password": PASSWORD}
    )
    if signin.status_code != 200:
        raise RuntimeError(f"signin through {client.base_url} failed: {signin.text}")
    client.cookies.clear()
    body: dict[str, Any] = signin.json()
    return body
