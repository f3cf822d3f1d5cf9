"""Start real labs (`pixfix lab up --detach`) for end-to-end tests, and stop them afterwards.

Ports: a lab on base port B listens on B..B+N-1 and its SMTP endpoints on B+5000..B+5000+N-1.
Each lab takes a base whose two blocks are free when it starts (checked by binding every port),
below Linux's ephemeral range (32768-60999, where client connections could hold a lab port) and
away from the default lab's block (10022: `make demo`), so tests never collide with a lab
someone is running, or with each other when two test runs share a machine. When a lab cannot
start, the failure shows the lab's own error and the end of its log.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixfix.model import Transport
from pixfix.transport.hostkeys import HostKeyCheck
from pixfix.transport.params import ConnectParams

LAB_USER, LAB_PASS, LAB_SECRET = "labuser-4b1d", "labpass-7f3a", "labenable-92ce"


@dataclass
class Lab:
    state_dir: Path
    inventory: Path
    hosts: dict[str, dict[str, Any]]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PIXFIX_LAB_DIR": str(self.state_dir)}
        return subprocess.run(
            [sys.executable, "-m", "pixfix", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=check,
        )

    def status(self) -> dict[str, dict[str, Any]]:
        data = json.loads(self.cli("lab", "status", "--format", "json").stdout)
        return {d["name"]: d for d in data["devices"]}

    def params(self, name: str, **over: Any) -> ConnectParams:
        host = self.hosts[name]
        values: dict[str, Any] = {
            "name": name,
            "host": host["host"],
            "port": host["port"],
            "transport": Transport(host["transport"]),
            "username": LAB_USER,
            "password": LAB_PASS,
            "secret": LAB_SECRET,
            "timeout": 15.0,
            "host_keys": HostKeyCheck(files=(str(self.known_hosts),)),
        }
        return ConnectParams(**(values | over))

    @property
    def known_hosts(self) -> Path:
        """The lab's stable keys, written beside its inventory by `lab up --inventory-out`."""
        return self.inventory.with_name(f"{self.inventory.stem}_known_hosts")

    def netmiko_args(self, name: str) -> dict[str, Any]:
        host = self.hosts[name]
        return {
            "device_type": "cisco_asa",
            "host": host["host"],
            "port": host["port"],
            "username": LAB_USER,
            "password": LAB_PASS,
            "secret": LAB_SECRET,
        }

    def mx(self, name: str) -> tuple[str, int]:
        host, port = self.hosts[name]["mx"].rsplit(":", 1)
        return host, int(port)


SMTP_OFFSET = 5000  # the lab's SMTP endpoint of device i listens on base + 5000 + i
PORT_RANGE = (11000, 27000 - SMTP_OFFSET)  # bases tried: SMTP blocks end below 27768
DEFAULT_LAB = range(10022, 10022 + 100)  # `make demo`'s block, never taken by a test


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base(count: int, rng: random.Random | None = None) -> int:
    """A base port whose SSH/telnet block and SMTP block (`count` ports each) are both free."""
    rng = rng or random.Random()
    for _ in range(200):
        base = rng.randrange(*PORT_RANGE)
        ports = [*range(base, base + count), *range(base + SMTP_OFFSET, base + SMTP_OFFSET + count)]
        if not set(ports) & set(DEFAULT_LAB) and all(_bindable(p) for p in ports):
            return base
    raise RuntimeError(f"no free block of {count} ports for a lab")


def _size(extra: tuple[str, ...]) -> int:
    """How many ports the lab will take (an upper bound for a devices file)."""
    if "--devices" in extra:
        return int(extra[extra.index("--devices") + 1]) + 1
    return 64  # the default fleet, and every devices file the tests write


def _lab_failure(lab: Lab, done: subprocess.CompletedProcess[str]) -> str:
    log = lab.state_dir / "lab.log"
    tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
    return "\n".join([f"lab up exited {done.returncode}: {done.stderr.strip()}", *tail])


def start_lab(tmp: Path, *extra: str) -> Lab:
    """`lab up --detach` on free ports; a port taken meanwhile gets another try elsewhere."""
    inventory = tmp / "inv" / "lab.yaml"
    lab = Lab(state_dir=tmp / "state", inventory=inventory, hosts={})
    for _ in range(3):
        base = free_base(_size(extra))
        done = lab.cli(
            "lab", "up", "--detach", "--base-port", str(base),
            "--inventory-out", str(inventory), *extra, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            lab.hosts = yaml.safe_load(inventory.read_text())["hosts"]
            return lab
        if "in use" not in done.stderr + done.stdout:
            break
    pytest.fail(_lab_failure(lab, done), pytrace=False)


@pytest.fixture(scope="module")
def lab_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Call with `lab up` arguments; every lab started is stopped at module end."""
    started: list[Lab] = []

    def make(*extra: str) -> Lab:
        lab = start_lab(tmp_path_factory.mktemp("lab"), *extra)
        started.append(lab)
        return lab

    yield make
    for lab in started:
        stop_lab(lab)


def stop_lab(lab: Lab) -> None:
    """`lab down`; if that fails or hangs, kill the lab so no port outlives the tests."""
    try:
        if lab.cli("lab", "down", check=False).returncode == 0:
            return
    except subprocess.TimeoutExpired:
        pass
    state = lab.state_dir / "lab.json"
    if state.exists():
        with contextlib.suppress(ProcessLookupError, ValueError, KeyError):
            os.kill(int(json.loads(state.read_text())["pid"]), signal.SIGKILL)
