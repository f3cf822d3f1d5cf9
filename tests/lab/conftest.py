"""Start real labs (`pixfix lab up --detach`) for end-to-end tests, and stop them afterwards.

Port plan: a lab on base port B listens on B..B+N-1 and its SMTP endpoints on B+5000..; every
base stays below 27768 so that nothing lands in Linux's ephemeral port range (32768-60999),
where client connections could hold a lab port. The default lab (`make demo`) owns 10022.
Test modules use 11022, 12022 (+12522), 13022 (+13522), 14022 (+14522), 20022, 21022,
22022 (+22522), 23022 (+23522), 24022, 25022, 26022.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixfix.transport.hostkeys import HostKeyCheck
from pixfix.transport.session import ConnectParams

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
            "transport": host["transport"],
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


def start_lab(tmp: Path, base_port: int, *extra: str) -> Lab:
    inventory = tmp / "inv" / "lab.yaml"
    lab = Lab(state_dir=tmp / "state", inventory=inventory, hosts={})
    lab.cli(
        "lab",
        "up",
        "--detach",
        "--base-port",
        str(base_port),
        "--inventory-out",
        str(inventory),
        *extra,
    )
    lab.hosts = yaml.safe_load(inventory.read_text())["hosts"]
    return lab


@pytest.fixture(scope="module")
def lab_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Call with (base_port, *extra lab up args); every lab started is stopped at module end."""
    started: list[Lab] = []

    def make(base_port: int, *extra: str) -> Lab:
        lab = start_lab(tmp_path_factory.mktemp("lab"), base_port, *extra)
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
