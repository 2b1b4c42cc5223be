"""A TCP proxy between the service and its database that can be told to fail the way networks
and servers fail. It runs on the test's own event loop."""

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from enum import Enum


class Fault(Enum):
    FORWARD = "forward"
    """No fault: bytes flow both ways."""
    REFUSE = "refuse"
    """Nothing listens: new connections are refused. Established ones are cut."""
    BLACK_HOLE = "black hole"
    """New connections are accepted and never answered; established ones go silent too: a stalled
    server or a network partition."""
    STALL = "stall"
    """Established connections go silent; new ones work: what a pool full of stuck sockets meets."""
    RESET = "reset"
    """Every connection, established or new, is reset (TCP RST)."""


_CHUNK = 65536


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._held: set[asyncio.StreamWriter] = set()
        self.fault = Fault.FORWARD
        self.port = 0

    async def start(self) -> None:
        await self._listen()

    async def set(self, fault: Fault) -> None:
        """Changes what the proxy does, for established connections as for new ones."""
        self.fault = fault
        if fault is Fault.FORWARD:
            for link in self._links:
                link.resume()
            await self._listen()
            return
        if fault in (Fault.REFUSE, Fault.RESET):
            for link in list(self._links):
                link.cut(reset=fault is Fault.RESET)
        else:
            for link in self._links:
                link.pause()
        if fault is Fault.REFUSE and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.cut(reset=True)
        for writer in self._held:
            _reset(writer)

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.fault is Fault.RESET:
            _reset(writer)
            return
        if self.fault in (Fault.BLACK_HOLE, Fault.REFUSE):
            self._held.add(writer)  # accepted, never answered
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            _reset(writer)
            return
        link = _Link(reader, writer, upstream_reader, upstream_writer, self._links.discard)
        self._links.add(link)
        await link.run()


class _Link:
    """One proxied connection: a pump each way, which can be paused, resumed or cut."""

    def __init__(
        self,
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        server_reader: asyncio.StreamReader,
        server_writer: asyncio.StreamWriter,
        on_end: Callable[["_Link"], None],
    ) -> None:
        self._writers = (client_writer, server_writer)
        self._pumps = (
            (client_reader, server_writer),
            (server_reader, client_writer),
        )
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._on_end = on_end
        self._tasks: list[asyncio.Task[None]] = []

    def pause(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def cut(self, *, reset: bool) -> None:
        for writer in self._writers:
            if reset:
                _reset(writer)
            else:
                writer.close()
        for task in self._tasks:
            task.cancel()

    async def run(self) -> None:
        self._tasks = [asyncio.create_task(self._pump(*pair)) for pair in self._pumps]
        try:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            for writer in self._writers:
                writer.close()
            self._on_end(self)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(_CHUNK):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        # One side ended: end the other too, as a real connection would.
        for other in self._writers:
            other.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Closes with an RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
