"""The latency relay (`lab up --rtt-ms`): every chunk pays the round trip, bytes pass unchanged.

Bounded: every relay, listener and connection opened here is closed before the test ends; no
assertion is an upper bound on time (the machine is shared), only the delay the relay must add.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pixfix.cli import main
from pixfix.lab.relay import Delay, Relay, measure_rtt
from pixfix.transport.connect import open_session, show_many

pytestmark = pytest.mark.timeout(120)
LOCAL = "127.0.0.1"
RTT_MS = 40


async def _backend(payload: bytes, got: list[bytes]) -> asyncio.Server:
    """Reads everything the client sends, then answers with `payload` and closes."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await reader.read())
        writer.write(payload)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(serve, LOCAL, 0)


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


async def _through_relay(delay: Delay) -> tuple[bytes, bytes, bytes, list[bytes], float]:
    up, down = os.urandom(300_000), os.urandom(200_000)
    got: list[bytes] = []
    backend = await _backend(down, got)
    relay = Relay(LOCAL, 0, lambda: _port(backend), delay)
    await relay.start()
    try:
        reader, writer = await asyncio.open_connection(LOCAL, relay.port)
        started = time.monotonic()
        for start in range(0, len(up), 1000):  # many small chunks: their order must hold
            writer.write(up[start : start + 1000])
        writer.write_eof()
        received = await asyncio.wait_for(reader.read(), 30)
        seconds = time.monotonic() - started
        writer.close()
        await writer.wait_closed()
    finally:
        await relay.stop()
        backend.close()
        await backend.wait_closed()
    return up, down, received, got, seconds


def test_bytes_pass_unchanged_both_ways_in_order_even_with_jitter() -> None:
    up, down, received, got, _ = asyncio.run(
        _through_relay(Delay(rtt_ms=RTT_MS, jitter_ms=RTT_MS / 2))
    )
    assert got == [up]  # client to device: every byte, in order, then the end of stream
    assert received == down  # device to client: the same, and the close passed on


def test_a_round_trip_through_the_relay_costs_at_least_the_rtt() -> None:
    up, down, received, got, seconds = asyncio.run(_through_relay(Delay(rtt_ms=RTT_MS)))
    assert got == [up] and received == down
    assert seconds >= RTT_MS / 1000 * 0.99  # the request went, the answer came back
    measured = asyncio.run(measure_rtt(Delay(rtt_ms=RTT_MS), count=3))
    assert measured >= RTT_MS * 0.99


def test_a_relay_whose_device_is_down_closes_the_connection_and_stops_cleanly() -> None:
    async def run() -> tuple[bytes, bool]:
        relay = Relay(LOCAL, 0, lambda: None, Delay(rtt_ms=RTT_MS))
        await relay.start()
        port = relay.port
        reader, writer = await asyncio.open_connection(LOCAL, port)
        closed = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        await relay.stop()
        try:
            await asyncio.open_connection(LOCAL, port)
        except OSError:
            return closed, True
        return closed, False

    closed, refused_after_stop = asyncio.run(run())
    assert closed == b"" and refused_after_stop


def test_lab_up_with_rtt_reports_the_measured_rtt_and_serves_ssh_through_the_relay(
    lab_factory: Any,
) -> None:
    lab = lab_factory("--devices", "2", "--ssh-only", "--rtt-ms", str(RTT_MS))
    state = json.loads((Path(lab.state_dir) / "lab.json").read_text())
    assert state["rtt_ms"] == RTT_MS and state["measured_rtt_ms"] >= RTT_MS * 0.99
    name = sorted(lab.hosts)[0]
    started = time.monotonic()
    with open_session(lab.params(name)) as session:
        (version,) = show_many(session, ["show version"])
    assert "Version" in version
    assert time.monotonic() - started >= 3 * RTT_MS / 1000  # handshake and login pay it too


def test_jitter_without_rtt_is_refused() -> None:
    result = CliRunner().invoke(main, ["lab", "up", "--jitter-ms", "5"])
    assert result.exit_code != 0 and "--rtt-ms" in result.output
