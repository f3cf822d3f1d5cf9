"""The lab's network side: SSH (asyncssh) and telnet listeners per device, in one event loop.

Each connection gets a `CliSession`; what the session prints goes through an `Outbox` that
delays every chunk by the lab latency (and a slow device's extra delay), preserving order.
Reloads close the device's sessions and its listener for the boot time, like a real reboot.
With a round trip (`lab up --rtt-ms`) every published port is a `pixfix.lab.relay.Relay` in
front of the device's own listener on an ephemeral port.
A reload or `lab down` also cuts every connection still open (not logged in yet, silent device):
on Python 3.12+ a closing listener waits for its connections, so none may be left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from typing import Any

import asyncssh

from pixfix.lab import commands
from pixfix.lab.device import Device
from pixfix.lab.inspection import describe, inspection_for
from pixfix.lab.ports import bind_waiting
from pixfix.lab.relay import Delay, Relay, listening_port, open_relay
from pixfix.lab.session import CliSession
from pixfix.lab.smtp import SmtpBackend, close_mailguard_proxy, start_mailguard_proxy
from pixfix.lab.telnet import TELNET_HELLO, TelnetReader

log = logging.getLogger(__name__)


def host_key() -> asyncssh.SSHKey:
    """The lab's stable SSH host key, shipped with pixfix so known-hosts files stay valid."""
    data = resources.files("pixfix.lab").joinpath("keys/ssh_host_rsa_key").read_bytes()
    return asyncssh.import_private_key(data)


class Outbox:
    """Sends text after a fixed delay per chunk, in order (emulated network latency)."""

    def __init__(self, send: Callable[[str], None], delay: float) -> None:
        self._send = send
        self._delay = delay
        self._queue: asyncio.Queue[tuple[float, str | None]] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def put(self, text: str) -> None:
        if text:
            self._queue.put_nowait((time.monotonic() + self._delay, text))

    async def drain_and_stop(self) -> None:
        self._queue.put_nowait((0.0, None))
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def cancel(self) -> None:
        self._task.cancel()

    async def _run(self) -> None:
        while True:
            due, text = await self._queue.get()
            if text is None:
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._send(text)


@dataclass(slots=True)
class Runtime:
    """A device with its listeners and live sessions."""

    device: Device
    host: str
    latency: float
    listener: Any = None
    inner_port: int | None = None  # where the listener is, behind a relay (None: down)
    smtp: asyncio.Server | None = None
    closers: set[Callable[[], Awaitable[None]]] = field(default_factory=set)  # logged-in sessions
    links: set[Callable[[], None]] = field(default_factory=set)  # close each open connection
    reload_handle: asyncio.TimerHandle | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def delay(self) -> float:
        return self.latency + self.device.faults.slow_ms / 1000

    @property
    def unit(self) -> Device:
        """The unit answering at this address now (a pair's addresses follow the roles)."""
        return self.device.answering()


async def run_session(runtime: Runtime, session: CliSession, outbox: Outbox,
                      read: Callable[[], Awaitable[str]]) -> None:  # fmt: skip
    """Pump input into the session until either side closes."""
    outbox.put(session.take_output())
    while not session.closed:
        data = await read()
        if not data:
            break
        session.feed(data)
        outbox.put(session.take_output())
    await outbox.drain_and_stop()


class _SshServer(asyncssh.SSHServer):
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._close: Callable[[], None] = lambda: None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._close = conn.close
        self._runtime.links.add(self._close)

    def connection_lost(self, exc: Exception | None) -> None:
        self._runtime.links.discard(self._close)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        device = self._runtime.unit
        creds = device.credentials
        good = username == creds.username and password == creds.password
        return good and not device.faults.wrong_credentials


async def _ssh_process(runtime: Runtime, process: asyncssh.SSHServerProcess[str]) -> None:
    username = process.get_extra_info("username") or ""
    session = CliSession(runtime.unit, username=username, dispatch=commands.handle_line)
    outbox = Outbox(process.stdout.write, runtime.delay)
    session.on_output = lambda: outbox.put(session.take_output())

    async def close() -> None:
        await outbox.drain_and_stop()
        process.exit(0)

    async def read() -> str:
        try:
            return await process.stdin.read(4096)
        except (asyncssh.Error, BrokenPipeError, ConnectionError):
            return ""

    runtime.closers.add(close)
    try:
        await run_session(runtime, session, outbox, read)
    finally:
        runtime.closers.discard(close)
        process.exit(0)
        if session.dropped:  # a lost link, not a logout: the whole SSH connection goes
            process.get_extra_info("connection").abort()


async def _telnet_client(
    runtime: Runtime, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    writer.write(TELNET_HELLO)
    session = CliSession(runtime.unit, username=None, dispatch=commands.handle_line)
    errors = "surrogateescape" if runtime.device.faults.bad_utf8 else "replace"
    outbox = Outbox(lambda text: writer.write(text.encode("latin-1", errors)), runtime.delay)
    session.on_output = lambda: outbox.put(session.take_output())
    telnet = TelnetReader(reader)

    async def close() -> None:
        await outbox.drain_and_stop()
        writer.close()

    async def read() -> str:
        try:
            return await telnet.read()
        except ConnectionError:
            return ""

    runtime.closers.add(close)
    runtime.links.add(writer.close)
    try:
        await run_session(runtime, session, outbox, read)
    finally:
        runtime.closers.discard(close)
        runtime.links.discard(writer.close)
        if session.dropped:
            writer.transport.abort()
        writer.close()


async def _silent_client(
    runtime: Runtime, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """A device that accepts TCP and never says anything (hung SSH daemon, wrong port)."""
    runtime.links.add(writer.close)
    try:
        with contextlib.suppress(ConnectionError):
            await reader.read()
    finally:
        runtime.links.discard(writer.close)
        writer.close()


class LabServer:
    """Every device of one lab, on one host address, in the running event loop."""

    def __init__(
        self,
        devices: list[Device],
        *,
        host: str = "127.0.0.1",
        latency_ms: int = 0,
        rtt: Delay | None = None,
    ) -> None:
        self.host = host
        self.runtimes = [Runtime(device=d, host=host, latency=latency_ms / 1000) for d in devices]
        self.backend = SmtpBackend()
        self._latency_ms = latency_ms
        self.rtt = rtt
        self.relays: list[Relay] = []
        self._key = host_key()
        self.started = time.time()

    async def start(self) -> None:
        if self.rtt is not None:  # published ports first: no ephemeral listener may take one
            for runtime in self.runtimes:
                await self._relay(runtime)
        await self.backend.start()
        for runtime in self.runtimes:
            self._wire_hooks(runtime)
            await self._listen(runtime)
            port = self._bound(runtime.device.smtp_port)
            open_smtp = partial(self._open_smtp, runtime, port)
            runtime.smtp = await bind_waiting(open_smtp, self.host, port)

    def _bound(self, port: int) -> int:
        """The port a listener binds: its own, or any free one behind a relay."""
        return port if self.rtt is None else 0

    async def _relay(self, runtime: Runtime) -> None:
        assert self.rtt is not None
        targets: dict[int, Callable[[], int | None]] = {
            runtime.device.smtp_port: lambda: listening_port(runtime.smtp) if runtime.smtp else None
        }
        if not runtime.device.faults.refuse:
            targets[runtime.device.port] = lambda: runtime.inner_port
        self.relays += [await open_relay(self.host, p, t, self.rtt) for p, t in targets.items()]

    async def _open_smtp(self, runtime: Runtime, port: int) -> asyncio.Server:
        return await start_mailguard_proxy(
            host=self.host,
            port=port,
            backend_port=self.backend.port,
            inspection=_inspection_getter(runtime.device),
            latency_ms=self._latency_ms,
        )

    async def stop(self) -> None:
        for relay in self.relays:
            await relay.stop()
        for runtime in self.runtimes:
            await self._unlisten(runtime)
            if runtime.reload_handle is not None:
                runtime.reload_handle.cancel()
            if runtime.smtp is not None:
                await close_mailguard_proxy(runtime.smtp)
        await self.backend.stop()

    async def _listen(self, runtime: Runtime) -> None:
        if not runtime.device.faults.refuse:
            open_listener = partial(self._open_listener, runtime)
            port = self._bound(runtime.device.port)
            runtime.listener = await bind_waiting(open_listener, self.host, port)
            runtime.inner_port = listening_port(runtime.listener)

    async def _open_listener(self, runtime: Runtime) -> Any:
        device = runtime.device
        port = self._bound(device.port)
        if device.faults.silent:
            return await asyncio.start_server(
                lambda r, w: _silent_client(runtime, r, w), self.host, port
            )
        if device.transport == "telnet":
            return await asyncio.start_server(
                lambda r, w: _telnet_client(runtime, r, w), self.host, port
            )
        return await asyncssh.create_server(
            lambda: _SshServer(runtime),
            self.host,
            port,
            server_host_keys=[self._key],
            process_factory=lambda process: _ssh_process(runtime, process),
            line_editor=False,
            encoding="utf-8",
            # the `bad_utf8` fault sends raw bytes, carried as lone surrogates (pixfix.lab.hostile)
            errors="surrogateescape" if device.faults.bad_utf8 else "strict",
            reuse_address=True,
        )

    async def _unlisten(self, runtime: Runtime) -> None:
        for close in list(runtime.closers):
            with contextlib.suppress(Exception):
                await close()
        listener, runtime.listener, runtime.inner_port = runtime.listener, None, None
        if listener is not None:
            listener.close()
            for cut in list(runtime.links):
                cut()
            await listener.wait_closed()

    def _wire_hooks(self, runtime: Runtime) -> None:
        loop = asyncio.get_running_loop()
        hooks = runtime.device.hooks

        def reload_now() -> None:
            task = loop.create_task(self._reboot(runtime))
            runtime.tasks.add(task)
            task.add_done_callback(runtime.tasks.discard)

        def schedule(delay: float) -> None:
            if runtime.reload_handle is not None:
                runtime.reload_handle.cancel()
            runtime.reload_handle = loop.call_later(delay, reload_now)

        def cancel() -> None:
            if runtime.reload_handle is not None:
                runtime.reload_handle.cancel()
                runtime.reload_handle = None

        def addresses_moved() -> None:
            pair = (runtime.device, runtime.device.mate)
            for other in self.runtimes:
                if other.device in pair:
                    for cut in list(other.links):
                        loop.call_soon(cut)  # the address moved: its TCP sessions are gone

        hooks.reload_now, hooks.schedule_reload, hooks.cancel_reload = reload_now, schedule, cancel
        hooks.addresses_moved = addresses_moved

    async def _reboot(self, runtime: Runtime) -> None:
        """Reload a unit: its address stays down for the boot time (a pair's active unit
        fails over first, so the pair's address goes on answering from the mate)."""
        unit = runtime.device
        log.info("%s: reloading for %.1f s", unit.name, unit.boot_seconds)
        runtime.reload_handle = None
        if unit.mate is not None and unit.failover == "active":
            unit.fail_over()
        unit.booting = True
        await asyncio.sleep(0.05)  # let the shutdown banner reach the client
        down = [r for r in self.runtimes if r.unit is unit]
        for address in down:
            await self._unlisten(address)
        await asyncio.sleep(unit.boot_seconds)
        unit.boot()
        unit.booting = False
        for address in down:
            await self._listen(address)

    def release(self, name: str) -> int:
        """Let the sessions held by a device's `pause_at` fault go on; how many there were."""
        return sum(r.device.release() for r in self.runtimes if r.device.name == name)

    def status(self) -> dict[str, Any]:
        return {"devices": [_device_status(r) for r in self.runtimes]}


def _inspection_getter(device: Device) -> Callable[[], Any]:
    """Mail passes the active unit of a pair, whichever address its SMTP port belongs to."""
    return lambda: inspection_for(device.active_unit())


def _device_status(runtime: Runtime) -> dict[str, Any]:
    device = runtime.device  # the unit; its port answers from `answering` (a pair's mate)
    counters = device.counters
    return {
        "name": device.name,
        "answering": runtime.unit.name,
        "port": device.port,
        "smtp_port": device.smtp_port,
        "transport": device.transport,
        "software": f"{device.train.product} {device.train.version}",
        "logins": counters.logins,
        "config_sessions": counters.config_sessions,
        "saves": counters.saves,
        "reloads": counters.reloads,
        "smtp_inspection": describe(inspection_for(device.active_unit())),
        "failover": device.failover,
        "booting": device.booting,
        "reload_scheduled": device.reload_at is not None,
        "modified": device.any_modified(),
        "held": len(device.held),  # sessions waiting on `pause_at` (see `pixfix lab release`)
    }
