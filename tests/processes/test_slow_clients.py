"""Slow, broken and hostile connections against a real server: they are cut off in time, they
cannot take the connection slots other clients need, and broken framing is a 400, not a 500.
Short read deadlines keep the tests short; the thresholds are generous for a busy machine."""

import asyncio
import contextlib
import http.client
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from entrypoints.http.request import DRAIN_LIMIT
from tests.processes.servers import RealServer, running_server

DEADLINE = 2.0
SLACK = 3.0
SLOW_CONNECTIONS = 1500
ATTACK = 8.0
SIGNIN_HEAD = (
    b"POST /api/auth/signin HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with running_server(
        tmp_path_factory.mktemp("slow-clients"),
        WORKERS="2",
        HEADER_READ_TIMEOUT=str(DEADLINE),
        BODY_READ_TIMEOUT=str(DEADLINE),
    ) as real_server:
        yield real_server


async def _exchange(port: int, data: bytes, wait: float) -> tuple[bytes, float]:
    """Sends `data`, then reads until the server closes or `wait` passes: what came back, and
    after how long."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    began = time.monotonic()
    writer.write(data)
    answer = b""
    try:
        async with asyncio.timeout(wait):
            while chunk := await reader.read(65536):
                answer += chunk
    except TimeoutError:
        pass
    finally:
        writer.close()
    return answer, time.monotonic() - began


def _status_and_body(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_a_body_one_byte_short_is_answered_408_and_closed_in_time(
    server: RealServer,
) -> None:
    body = b'{"username":"alice","password":"password123"}'

    answer, elapsed = await _exchange(
        server.port, SIGNIN_HEAD % (len(body) + 1) + body, DEADLINE + SLACK
    )

    assert answer, f"no answer and no close within {DEADLINE + SLACK}s"
    status, message = _status_and_body(answer)
    assert status == 408
    assert message == {"message": "The request body was not received in time."}
    assert DEADLINE * 0.9 <= elapsed <= DEADLINE + SLACK


async def test_headers_that_never_end_are_cut_off_in_time(server: RealServer) -> None:
    answer, elapsed = await _exchange(
        server.port, b"GET /api/test/all HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", DEADLINE + SLACK
    )

    assert b"200 OK" not in answer
    assert elapsed <= DEADLINE + SLACK


async def test_a_cleartext_http2_connection_cannot_hold_a_slot(server: RealServer) -> None:
    """HTTP/2 has no header deadline: a connection that sent only its preface stayed open."""
    answer, elapsed = await _exchange(
        server.port, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", DEADLINE + SLACK
    )

    assert b"HTTP/2" not in answer
    assert elapsed < DEADLINE + SLACK


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"],
    ids=["not-hex", "no-crlf-after-data", "size-overflow"],
)
async def test_broken_chunked_framing_is_a_json_400(server: RealServer, chunks: bytes) -> None:
    head = (
        b"POST /api/auth/signin HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )

    answer, _ = await _exchange(server.port, head + chunks, DEADLINE + SLACK)

    status, message = _status_and_body(answer)
    assert status == 400
    assert isinstance(message["message"], str)


TOO_LARGE = {"message": "Request Entity Too Large"}


def _post_whole_body(
    port: int, body: bytes
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse, bytes]:
    """As Python's http.client (and many SDKs) send: the whole body, then read the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST", "/api/auth/signup", body=body, headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    return connection, response, response.read()


def test_a_body_over_the_limit_sent_whole_still_reads_its_413(server: RealServer) -> None:
    """Found by a review: http.client sending 2 MiB got BrokenPipeError 19 times in 20; the
    connection was dropped while it was still writing."""
    body = b'{"username":"' + b"a" * (2 * 1024 * 1024) + b'"}'
    for _ in range(20):
        connection, response, answer = _post_whole_body(server.port, body)
        try:
            assert response.status == 413
            assert json.loads(answer) == TOO_LARGE
            # All of it was read: the connection serves the next request.
            connection.request("GET", "/api/test/all")
            assert connection.getresponse().read() == b"Public Content."
        finally:
            connection.close()


async def test_an_endless_body_is_still_cut_off(server: RealServer) -> None:
    head = (
        b"POST /api/auth/signup HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    began, sent, cut_off = time.monotonic(), 0, False
    try:
        writer.write(head)
        async with asyncio.timeout(DEADLINE + SLACK):
            while True:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
    except ConnectionError:
        cut_off = True
    except TimeoutError:
        pass
    finally:
        writer.close()

    assert cut_off, f"still writing after {DEADLINE + SLACK}s, {sent} bytes"
    assert time.monotonic() - began < DEADLINE + SLACK
    # What the server read, and what the sockets' buffers held meanwhile.
    assert sent < DRAIN_LIMIT + 16 * 1024 * 1024


async def test_a_slow_body_over_the_limit_is_answered_413_and_closed_in_time(
    server: RealServer,
) -> None:
    head = SIGNIN_HEAD % (2 * 1024 * 1024)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    began = time.monotonic()
    answer = b""
    try:
        writer.write(head + b'{"username":"')
        async with asyncio.timeout(DEADLINE + SLACK):
            while not reader.at_eof():
                writer.write(b"a")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        answer += await reader.read(65536)
    except ConnectionError:
        pass  # closed after its answer, and this client wrote once more meanwhile
    finally:
        writer.close()

    status, message = _status_and_body(answer)
    assert status == 413
    assert message == TOO_LARGE
    assert b"connection: close" in answer.lower()
    assert DEADLINE * 0.9 <= time.monotonic() - began <= DEADLINE + SLACK


async def _slow_client(port: int, prefix: bytes, trickle: bytes, until: float) -> int:
    """Sends `prefix`, then `trickle` one byte a second, reconnecting whenever the server gives
    up on it, as a slowloris does. Returns how many times the server cut it off."""
    cut_off = 0
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        try:
            writer.write(prefix)
            for byte in trickle:
                if await _answered_within(reader, 1.0):
                    cut_off += 1
                    break
                if time.monotonic() >= until:
                    break
                writer.write(bytes([byte]))
        except OSError:
            cut_off += 1
        finally:
            writer.close()
    return cut_off


async def _answered_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await reader.read(1)
    except TimeoutError:
        return False
    return True


def _requests_until(base_url: str, until: float) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    # A new connection for each request: connection slots are what a slowloris takes.
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base_url, timeout=10, limits=limits) as client:
        while time.monotonic() < until:
            began = time.monotonic()
            try:
                response = client.get("/api/test/all")
            except httpx.TransportError as error:
                failures.append(repr(error))
            else:
                if response.status_code != 200:
                    failures.append(str(response.status_code))
            latencies.append(time.monotonic() - began)
            time.sleep(0.05)
    return latencies, failures


async def test_thousands_of_slow_connections_do_not_starve_other_clients(
    server: RealServer,
) -> None:
    until = time.monotonic() + ATTACK
    slow_headers = (b"GET /api/test/all HTTP/1.1\r\n", b"X-Padding: " + b"a" * 500)
    slow_body = (SIGNIN_HEAD % 500, b'{"username":"' + b"a" * 480)
    attackers = [
        asyncio.create_task(
            _slow_client(server.port, *(slow_body if n % 2 else slow_headers), until)
        )
        for n in range(SLOW_CONNECTIONS)
    ]
    await asyncio.sleep(DEADLINE)  # every slow connection is open and holding a slot

    # In a thread of its own, so that the attackers' loop does not delay it.
    latencies, failures = await asyncio.to_thread(_requests_until, server.base_url, until - 1)
    cut_offs = await asyncio.gather(*attackers)

    latencies.sort()
    print(
        f"{len(latencies)} requests beside {SLOW_CONNECTIONS} slow connections: "
        f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; slow connections cut off {sum(cut_offs)} times"
    )
    assert not failures
    assert len(latencies) >= 10
    assert latencies[len(latencies) // 2] < 1.0
    assert latencies[-1] < DEADLINE + SLACK
    assert sum(cut_offs) >= SLOW_CONNECTIONS
