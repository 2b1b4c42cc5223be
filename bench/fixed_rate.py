"""An open-loop load generator: requests leave on a fixed schedule, whatever the server does.

wrk sends a connection's next request when the previous answer arrives, so a server that stalls
for 50 ms simply receives fewer requests during the stall, and the stall shows up in one latency
sample per connection instead of in every request that should have been sent meanwhile
(coordinated omission). Here request i is due at start + i / rate; its latency runs from that
due time to the end of its answer, so time spent waiting for a free connection, or for this
client to get the CPU back, counts against the server as a real client would feel it (which
makes the figures pessimistic by the client's own lateness, which it reports).

Runs in a process of its own (`python -m bench.fixed_rate`, started by `measure`), with uvloop
and without the cyclic garbage collector, so that its own pauses stay far below what it measures;
it also reports how late it dispatched, so that a late client can be told from a slow server.
Its output's `started_monotonic` is the schedule's start on CLOCK_MONOTONIC, the clock of
`perf sched timehist`, to line a slow request up with what the cores were doing.

The schedule is kept by a Linux timerfd armed for each due time, not by the event loop's own
timers: uvloop's wait in whole milliseconds behind a clock it reads once per iteration, which
made the client up to 2 ms late at p99 with the server idle (at 100 requests a second against a
server that answers in 0.35 ms, p50 2.6 ms). A timer fires within the kernel's timer slack
(50 us).
"""

import argparse
import asyncio
import collections
import contextlib
import ctypes
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import uvloop

from bench.api import CollectorPasses
from bench.errors import BenchError
from bench.machine import MachineUsage
from testkit.servers import HOST

_CONNECT_TIMEOUT = 5.0
_MIN_WAKE_GAP = 0.0001
"""At high rates the client wakes at most once per 100 us and sends what fell due meanwhile:
a request leaves at most that late, and the client's wake-ups stay a small cost to the cores
it shares with the server."""
_ANSWER_TIMEOUT = 30.0
"""After the last request is sent: far above any latency of a correct run."""
_HEADER_END = b"\r\n\r\n"
_LENGTH_HEADER = b"\r\ncontent-length:"


@dataclass(frozen=True, slots=True)
class Plan:
    host: str
    port: int
    path: str
    headers: tuple[str, ...]
    rate: float
    """Requests per second, over all connections."""
    seconds: float
    connections: int
    stall_ms: float
    """Latencies over this are listed one by one, with when they were due."""


class _TimeSpec(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long))


class _ITimerSpec(ctypes.Structure):
    _fields_ = (("it_interval", _TimeSpec), ("it_value", _TimeSpec))


_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK = os.O_NONBLOCK
_TFD_CLOEXEC = os.O_CLOEXEC
_TFD_TIMER_ABSTIME = 1


class _Alarm:
    """Wakes the event loop at an absolute time.perf_counter() (CLOCK_MONOTONIC on Linux): a
    timerfd the loop watches, armed for one time at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create")
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None
        loop.add_reader(self._fd, self._fired)

    async def until(self, when: float) -> None:
        seconds = int(when)
        spec = _ITimerSpec(_TimeSpec(0, 0), _TimeSpec(seconds, int((when - seconds) * 1e9) or 1))
        self._waiter = self._loop.create_future()
        if self._libc.timerfd_settime(self._fd, _TFD_TIMER_ABSTIME, ctypes.byref(spec), None):
            raise OSError(ctypes.get_errno(), "timerfd_settime")
        await self._waiter

    def close(self) -> None:
        self._loop.remove_reader(self._fd)
        os.close(self._fd)

    def _fired(self) -> None:
        try:
            os.read(self._fd, 8)  # the expirations count, which resets it
        except BlockingIOError:
            return
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time; answers carry Content-Length."""

    def __init__(self, on_answer: "collections.abc.Callable[[_Connection, int], None]") -> None:
        self._on_answer = on_answer
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self.due = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast("asyncio.Transport", transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc)

    def send(self, request: bytes, due: float) -> None:
        if self._transport is None:
            raise RuntimeError("send before the connection is made")
        self.due = due
        self._transport.write(request)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(_HEADER_END)
        if end < 0:
            return
        head = bytes(self._buffer[:end]).lower()
        total = end + len(_HEADER_END) + _content_length(head)
        if len(self._buffer) < total:
            return
        del self._buffer[:total]
        # "HTTP/1.1 200 OK": the status is the three digits after the first space.
        status = head.index(b" ") + 1
        self._on_answer(self, int(head[status : status + 3]))


def _content_length(head: bytes) -> int:
    """The Content-Length of a lowercased response head; the hot path, so bytes, not str."""
    at = head.find(_LENGTH_HEADER)
    if at < 0:
        raise ValueError("an answer without Content-Length")
    start = at + len(_LENGTH_HEADER)
    stop = head.find(b"\r\n", start)
    return int(head[start : stop if stop >= 0 else len(head)])


async def run(plan: Plan) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    request = _request(plan)
    latencies: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    stalls: list[tuple[float, float]] = []
    idle: collections.deque[_Connection] = collections.deque()
    backlog: collections.deque[float] = collections.deque()
    started = 0.0
    total = int(plan.rate * plan.seconds)
    all_answered = asyncio.Event()

    def on_answer(connection: _Connection, status: int) -> None:
        latency = time.perf_counter() - connection.due
        latencies.append(latency)
        statuses[status] += 1
        if latency * 1e3 > plan.stall_ms:
            stalls.append((connection.due - started, latency))
        if backlog:
            connection.send(request, backlog.popleft())
        else:
            idle.append(connection)
        if len(latencies) == total:
            all_answered.set()

    connections = [
        (
            await asyncio.wait_for(
                loop.create_connection(lambda: _Connection(on_answer), plan.host, plan.port),
                _CONNECT_TIMEOUT,
            )
        )[1]
        for _ in range(plan.connections)
    ]
    idle.extend(connections)
    lateness: list[float] = []
    alarm = _Alarm(loop)
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
    started = time.perf_counter()
    sent = 0
    while sent < total:
        now = time.perf_counter()
        lateness.append(now - (started + sent / plan.rate))
        # Everything due by now leaves now: a late wake-up must not thin out the schedule.
        while sent < total and started + sent / plan.rate <= now:
            due = started + sent / plan.rate
            if idle:
                idle.popleft().send(request, due)
            else:
                backlog.append(due)
            sent += 1
        if sent < total:
            await alarm.until(max(started + sent / plan.rate, now + _MIN_WAKE_GAP))
    alarm.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_answered.wait(), _ANSWER_TIMEOUT)
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return _summary(plan, latencies, total, started, elapsed, statuses, stalls, lateness)


def _request(plan: Plan) -> bytes:
    lines = [f"GET {plan.path} HTTP/1.1", f"Host: {plan.host}:{plan.port}", *plan.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values; 0 when there are none."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(share / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _summary(
    plan: Plan,
    latencies: list[float],
    total: int,
    started: float,
    elapsed: float,
    statuses: collections.Counter[int],
    stalls: list[tuple[float, float]],
    lateness: list[float],
) -> dict[str, object]:
    ordered = sorted(latencies)
    late = sorted(lateness)
    return {
        "rate": plan.rate,
        "connections": plan.connections,
        "requests": len(latencies),
        "unanswered": total - len(latencies),
        "seconds": elapsed,
        "latency_ms": {
            name: percentile(ordered, share) * 1e3
            for name, share in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9))
        }
        | {"max": (ordered[-1] if ordered else 0.0) * 1e3},
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "stalls": [
            {"due_s": round(due, 4), "latency_ms": round(latency * 1e3, 2)}
            for due, latency in stalls
        ],
        "client_lateness_ms": {
            "p99": percentile(late, 99) * 1e3,
            "max": (late[-1] if late else 0.0) * 1e3,
        },
        "started_unix": time.time() - (time.perf_counter() - started),
        "started_monotonic": started,
    }


@dataclass(frozen=True, slots=True)
class FixedRateResult:
    key: str
    label: str
    rate: float
    connections: int
    requests: int
    unanswered: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    stalls: int
    """Requests over the stall threshold."""
    client_late_ms: float
    """The client's own worst lateness in sending: large values mean its figures are not the
    server's alone."""
    statuses: dict[int, int]
    machine: MachineUsage | None = None
    """The server's and the machine's use of the cores during the run; None if unknown."""
    collector: CollectorPasses | None = None
    """The server's garbage-collector passes during the run; None if unknown."""
    share: float = 0.5
    """The share of the endpoint's closed-loop maximum sent (Targets.fixed_rate_*share)."""
    retries: int | None = None
    """The server's transient-conflict retries during the run (bench.retries); None if unknown."""

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "scenario": self.label,
            "machine": None if self.machine is None else self.machine.as_json(),
            "collector_passes": None if self.collector is None else self.collector.as_json(),
            "rate": round(self.rate, 1),
            "share_of_maximum": self.share,
            "conflict_retries": self.retries,
            "connections": self.connections,
            "requests": self.requests,
            "unanswered": self.unanswered,
            "seconds": round(self.seconds, 3),
            "p50_ms": round(self.p50_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "p99.9_ms": round(self.p999_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "stalls": self.stalls,
            "client_late_ms": round(self.client_late_ms, 3),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
        }


def measure(
    key: str,
    label: str,
    port: int,
    path: str,
    headers: Sequence[str],
    rate: float,
    seconds: float,
    connections: int,
    stall_ms: float,
) -> FixedRateResult:
    """One fixed-rate run against 127.0.0.1:`port`, in a process of its own."""
    command = [
        sys.executable,
        "-m",
        "bench.fixed_rate",
        f"--port={port}",
        f"--path={path}",
        f"--rate={rate}",
        f"--seconds={seconds}",
        f"--connections={connections}",
        f"--stall-ms={stall_ms}",
        *(f"--header={header}" for header in headers),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BenchError(f"the fixed-rate client ({label}) failed:\n{done.stdout}{done.stderr}")
    data = json.loads(done.stdout)
    latency = data["latency_ms"]
    return FixedRateResult(
        key=key,
        label=label,
        rate=rate,
        connections=connections,
        requests=int(data["requests"]),
        unanswered=int(data["unanswered"]),
        seconds=float(data["seconds"]),
        p50_ms=float(latency["p50"]),
        p90_ms=float(latency["p90"]),
        p99_ms=float(latency["p99"]),
        p999_ms=float(latency["p99.9"]),
        max_ms=float(latency["max"]),
        stalls=len(data["stalls"]),
        client_late_ms=float(data["client_lateness_ms"]["max"]),
        statuses={int(status): int(count) for status, count in data["statuses"].items()},
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixed_rate", description=__doc__)
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--stall-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    plan = Plan(
        args.host,
        args.port,
        args.path,
        tuple(args.header),
        args.rate,
        args.seconds,
        args.connections,
        args.stall_ms,
    )
    # A short-lived client that keeps no cycles: the collector could only add pauses of its own.
    gc.disable()
    print(json.dumps(uvloop.run(run(plan))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
