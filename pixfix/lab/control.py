"""Running a lab: in the foreground, detached in the background, and talking to it.

A running lab owns a state folder (default: the user's state dir, or `PIXFIX_LAB_DIR`) holding
`lab.json` (pid, control socket, devices) and `lab.log`. `lab status` and `lab down` talk to the
lab over a unix socket in that folder, so only this user can reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixfix.errors import LabError
from pixfix.lab.device import Device
from pixfix.lab.relay import Delay, measure_rtt
from pixfix.lab.server import LabServer

STATE_FILE = "lab.json"
SOCKET_FILE = "control.sock"
LOG_FILE = "lab.log"


def default_state_dir() -> Path:
    if env := os.environ.get("PIXFIX_LAB_DIR"):
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "pixfix" / "lab"


@dataclass(frozen=True, slots=True, kw_only=True)
class LabPaths:
    folder: Path

    @property
    def state(self) -> Path:
        return self.folder / STATE_FILE

    @property
    def socket(self) -> Path:
        return self.folder / SOCKET_FILE

    @property
    def log(self) -> Path:
        return self.folder / LOG_FILE


def running_pid(paths: LabPaths) -> int | None:
    """The pid of the lab that owns this state folder, if it is still alive."""
    try:
        pid = int(json.loads(paths.state.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def prepare_folder(paths: LabPaths) -> None:
    pid = running_pid(paths)
    if pid is not None:
        raise LabError(
            f"a lab is already running (pid {pid}, state in {paths.folder}); run `pixfix lab down`"
        )
    paths.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in (paths.state, paths.socket):
        stale.unlink(missing_ok=True)


async def serve(
    devices: list[Device], paths: LabPaths, *, latency_ms: int, rtt: Delay | None = None
) -> None:
    """Run the lab until SIGINT/SIGTERM or a `stop` request; writes lab.json once ready.

    With `rtt`, every published port is a relay that adds that round trip; lab.json then says
    the round trip set and the one measured through a relay (`pixfix.lab.relay.measure_rtt`).
    """
    server = LabServer(devices, latency_ms=latency_ms, rtt=rtt)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
    except OSError as exc:
        await server.stop()
        raise LabError(
            f"cannot listen: {exc.strerror or exc} (choose another --base-port)"
        ) from exc
    control = await asyncio.start_unix_server(
        lambda r, w: _control(server, stop, r, w), path=str(paths.socket)
    )
    os.chmod(paths.socket, 0o600)
    relay = {}
    if rtt is not None:
        relay = {"rtt_ms": rtt.rtt_ms, "jitter_ms": rtt.jitter_ms,
                 "measured_rtt_ms": await measure_rtt(rtt)}  # fmt: skip
    _write_state(paths, devices, relay)
    try:
        await stop.wait()
    finally:
        control.close()
        await server.stop()
        paths.state.unlink(missing_ok=True)
        paths.socket.unlink(missing_ok=True)


def _write_state(paths: LabPaths, devices: list[Device], relay: dict[str, float]) -> None:
    state = {
        "pid": os.getpid(),
        "started": time.time(),
        **relay,
        "devices": [
            {"name": d.name, "port": d.port, "smtp_port": d.smtp_port, "refuse": d.faults.refuse}
            for d in devices
        ],
    }
    tmp = paths.state.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(paths.state)


async def _control(server: LabServer, stop: asyncio.Event, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:  # fmt: skip
    request = (await reader.readline()).decode().strip()
    if request == "status":
        writer.write(json.dumps(server.status()).encode() + b"\n")
    elif request.startswith("release "):
        released = server.release(request.removeprefix("release ").strip())
        writer.write(json.dumps({"released": released}).encode() + b"\n")
    elif request == "stop":
        writer.write(b'{"stopping": true}\n')
        stop.set()
    else:
        writer.write(b'{"error": "unknown request"}\n')
    await writer.drain()
    writer.close()


def request(paths: LabPaths, what: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """Ask the running lab for `status`, `stop` or `release NAME`."""
    if running_pid(paths) is None:
        raise LabError(f"no lab is running (state folder {paths.folder})")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(paths.socket))
            sock.sendall(what.encode() + b"\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    except OSError as exc:
        raise LabError(f"cannot reach the lab's control socket {paths.socket}: {exc}") from exc
    try:
        result: dict[str, Any] = json.loads(data)
    except ValueError as exc:
        raise LabError(f"the lab gave no valid answer to {what!r} (log: {paths.log})") from exc
    return result


def start_detached(argv: list[str], paths: LabPaths, *, timeout: float = 60.0) -> None:
    """Start `pixfix lab up` (without --detach) in the background and wait until it serves."""
    prepare_folder(paths)
    with open(paths.log, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "pixfix", *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env={**os.environ, "PIXFIX_LAB_DIR": str(paths.folder)},
        )
    deadline = time.monotonic() + timeout
    while not paths.state.exists():
        if child.poll() is not None:
            raise LabError(f"the lab exited at start: {_last_line(paths.log)}")
        if time.monotonic() > deadline:
            child.kill()
            raise LabError(f"the lab did not start within {timeout:.0f} s (log: {paths.log})")
        time.sleep(0.05)
    wait_ports(paths, up=True, deadline=deadline)


def relay_state(paths: LabPaths) -> dict[str, float]:
    """The running lab's round trip: `rtt_ms`, `jitter_ms`, `measured_rtt_ms` (empty: none)."""
    state = json.loads(paths.state.read_text())
    keys = ("rtt_ms", "jitter_ms", "measured_rtt_ms")
    return {key: float(state[key]) for key in keys if key in state}


def _last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _ports(paths: LabPaths) -> list[int]:
    state = json.loads(paths.state.read_text())
    ports = []
    for device in state["devices"]:
        if not device["refuse"]:
            ports.append(device["port"])
        ports.append(device["smtp_port"])
    return ports


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def wait_ports(
    paths: LabPaths, *, up: bool, deadline: float, ports: list[int] | None = None
) -> None:
    """Wait until every port accepts (up) or refuses (down) connections."""
    pending = ports if ports is not None else _ports(paths)
    while pending:
        pending = [p for p in pending if _accepts(p) != up]
        if not pending:
            return
        if time.monotonic() > deadline:
            state = "accept" if up else "close"
            raise LabError(f"port {pending[0]} did not {state} in time (log: {paths.log})")
        time.sleep(0.05)


def stop_lab(paths: LabPaths, *, timeout: float = 20.0) -> bool:
    """Stop the running lab and wait for its ports to be free; False if none was running."""
    pid = running_pid(paths)
    if pid is None:
        return False
    ports = _ports(paths)
    try:
        request(paths, "stop")
    except LabError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while running_pid(paths) is not None and _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    wait_ports(paths, up=False, deadline=deadline + 5, ports=ports)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    return True
