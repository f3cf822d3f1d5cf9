"""A TCP relay that makes every chunk pay the round trip, as on a WAN (`lab up --rtt-ms`).

The lab's `--latency-ms` delays only what a device prints; the SSH handshake, authentication
and everything the client types travel at loopback speed. With `--rtt-ms R` each device's
published port (and its SMTP endpoint) is a relay instead: it accepts the client, connects to
the device's own listener on an ephemeral port, and forwards every chunk read from either side
after R/2 ms (each chunk's delay varies by up to +/- J/2 ms with `--jitter-ms J`, so a round
trip varies by up to +/- J ms); the order of the bytes is kept, and an end of stream is
passed on after the data before it. A user-space relay cannot delay the TCP handshake itself:
the client's `connect` completes at loopback speed (benchmarks add that round trip to their
model). While the device is down (a reload) the relay accepts and closes at once, where a
real unit refuses the connection.

`measure_rtt` is the ping-like check: small messages through a relay in front of an echo
listener, the median round trip in milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pixfix.errors import LabError
from pixfix.lab.ports import bind_waiting

CHUNK = 65536
PING_COUNT = 7


@dataclass(frozen=True, slots=True, kw_only=True)
class Delay:
    """The round trip a relay adds (milliseconds), and its jitter."""

    rtt_ms: float
    jitter_ms: float = 0.0

    def one_way(self, rng: random.Random) -> float:
        """Seconds one chunk waits in one direction."""
        spread = rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, (self.rtt_ms + spread) / 2000)


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: Delay, rng: random.Random
) -> None:
    """Forward one direction: each chunk after its delay, in order; then the end of stream."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = loop.create_task(deliver())
    last = 0.0
    try:
        while data := await reader.read(CHUNK):
            last = max(last, loop.time() + delay.one_way(rng))  # never ahead of the chunk before
            queue.put_nowait((last, data))
    except (ConnectionError, OSError):
        pass  # a reset ends this direction like an end of stream
    finally:
        queue.put_nowait((max(last, loop.time() + delay.one_way(rng)), b""))
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            await sender


class Relay:
    """One published port in front of a listener whose port `target()` gives (None: down)."""

    def __init__(
        self, host: str, port: int, target: Callable[[], int | None], delay: Delay
    ) -> None:
        self.host, self._port, self._target, self.delay = host, port, target, delay
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._rng = random.Random()  # a delay, not a secret

    @property
    def port(self) -> int:
        if self._server is None:
            raise LabError("the relay is not listening")
        return listening_port(self._server)

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self._port)
        except OSError as exc:
            raise LabError(f"cannot open a relay on {self.host}:{self._port}: {exc}") from exc

    async def stop(self) -> None:
        """Stop accepting and cut every connection still open through the relay."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._links):
            writer.transport.abort()
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = self._target()
        try:
            if port is None:
                raise ConnectionRefusedError("the device is down")
            inner_reader, inner_writer = await asyncio.open_connection(self.host, port)
        except OSError:
            writer.close()
            return
        self._links.update((writer, inner_writer))
        try:
            await asyncio.gather(
                _pump(reader, inner_writer, self.delay, self._rng),
                _pump(inner_reader, writer, self.delay, self._rng),
            )
        finally:
            self._links.difference_update((writer, inner_writer))
            writer.close()
            inner_writer.close()


async def open_relay(host: str, port: int, target: Callable[[], int | None], delay: Delay) -> Relay:
    """A started relay on `host:port` (waiting while a client connection holds the port)."""
    relay = Relay(host, port, target, delay)
    await bind_waiting(relay.start, host, port)
    return relay


def listening_port(listener: Any) -> int:
    """The port an asyncio server or an asyncssh acceptor listens on."""
    if isinstance(listener, asyncio.Server):
        return int(listener.sockets[0].getsockname()[1])
    return int(listener.get_port())


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    writer.close()


async def measure_rtt(delay: Delay, *, host: str = "127.0.0.1", count: int = PING_COUNT) -> float:
    """The median round trip (ms) of `count` small messages through a relay with `delay`."""
    echo = await asyncio.start_server(_echo, host, 0)
    echo_port = int(echo.sockets[0].getsockname()[1])
    relay = Relay(host, 0, lambda: echo_port, delay)
    await relay.start()
    loop = asyncio.get_running_loop()
    samples: list[float] = []
    try:
        reader, writer = await asyncio.open_connection(host, relay.port)
        for index in range(count):
            message = f"ping {index}\n".encode()
            started = loop.time()
            writer.write(message)
            if await reader.readline() != message:
                raise LabError("the relay changed the bytes it carried")
            samples.append((loop.time() - started) * 1000)
        writer.close()
    finally:
        await relay.stop()
        echo.close()
        await echo.wait_closed()
    return round(statistics.median(samples), 1)
