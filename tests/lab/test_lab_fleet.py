"""Fleets from a devices file and generated ones (`--devices N`), their inventories, and the
lab's life cycle: `up --detach` returns once every port accepts, `down` once every port is free,
a second `up` in the same state folder is refused, and every `up` starts from the startup configs.
"""

from __future__ import annotations

import contextlib
import re
import socket
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixfix.inventory.load import load_inventory
from pixfix.transport.connect import open_session
from pixfix.transport.hostkeys import HostKeyCheck

pytestmark = pytest.mark.timeout(180)

CHANGE = "logging timestamp"


def _packaged(name: str, hostname: str | None = None) -> str:
    text = resources.files("pixfix.lab").joinpath("configs", name).read_text()
    return text if hostname is None else re.sub(r"(?m)^hostname \S+", f"hostname {hostname}", text)


SOURCES = {  # config file written for the devices file: the packaged config it starts from
    "file-asa": "lab-asa918-tuned.cfg",
    "file-standby": "lab-asa-standby.cfg",
    "file-port": "lab-fwsm31.cfg",
    "file-multi": "lab-asa-multi@system.cfg",
    "admin": "lab-asa-multi@admin.cfg",
    "mail": "lab-asa-multi@mail.cfg",
}


def _write_devices_file(folder: Path) -> Path:
    """A fleet using every devices-file feature; config paths are relative to the file."""
    (folder / "cfg").mkdir()
    for name, source in SOURCES.items():
        hostname = None if name in ("admin", "mail") else name
        (folder / "cfg" / f"{name}.cfg").write_text(_packaged(source, hostname))
    contexts = {"admin": "cfg/admin.cfg", "mail": "cfg/mail.cfg"}
    pix = _packaged("lab-pix63.cfg", "file-pix")
    devices = [
        {"name": "file-asa", "software": "ASA 9.18(4)", "startup_config": "cfg/file-asa.cfg"},
        {"name": "file-pix", "software": "pix63", "transport": "telnet", "config": pix},
        {"name": "file-multi", "software": "ASA 9.12(4)", "startup_config": "cfg/file-multi.cfg",
         "contexts": contexts, "mx_context": "mail"},
        {"name": "file-standby", "software": "ASA 9.14(4)", "failover": "standby",
         "startup_config": "cfg/file-standby.cfg"},
        {"name": "file-port", "software": "FWSM 3.1(1)", "startup_config": "cfg/file-port.cfg",
         "port": 42040},
    ]  # fmt: skip
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump({"devices": devices}, sort_keys=False))
    return path


# name: (software, transport, SMTP inspection of its startup config, prompt once enabled)
FILE_FLEET = {
    "file-asa": ("ASA 9.18(4)", "ssh", "esmtp-tuned", "file-asa#"),
    "file-pix": ("PIX 6.3(5)", "telnet", "pix-fixup", "file-pix#"),
    "file-multi": ("ASA 9.12(4)", "ssh", "esmtp-default", "file-multi#"),
    "file-standby": ("ASA 9.14(4)", "ssh", "esmtp-default", "file-standby/sec/stby#"),
    "file-port": ("FWSM 3.1(1)", "ssh", "esmtp-default", "file-port#"),
}


@pytest.fixture(scope="module")
def from_file(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    devices_file = _write_devices_file(tmp_path_factory.mktemp("devices-file"))
    return lab_factory("--devices-file", str(devices_file))


@pytest.fixture(scope="module")
def mixed(lab_factory: Any) -> Any:
    return lab_factory("--devices", "12")


@pytest.fixture(scope="module")
def ssh_only(lab_factory: Any) -> Any:
    return lab_factory("--devices", "30", "--ssh-only", "--fault", "lab-gen0002:silent")


def test_devices_file_fleet_is_listed_in_order_with_its_configs(from_file: Any) -> None:
    status = from_file.status()
    assert list(status) == list(FILE_FLEET)
    for name, (software, transport, inspection, _) in FILE_FLEET.items():
        seen = status[name]
        assert (seen["software"], seen["transport"], seen["smtp_inspection"]) == (
            software,
            transport,
            inspection,
        )
    assert status["file-standby"]["failover"] == "standby"
    assert status["file-port"]["port"] == from_file.hosts["file-port"]["port"] == 42040


@pytest.mark.parametrize("name", list(FILE_FLEET))
def test_devices_file_device_runs_its_own_startup_config(from_file: Any, name: str) -> None:
    with open_session(from_file.params(name)) as conn:
        assert conn.find_prompt() == FILE_FLEET[name][3]
        config = conn.send_command("show running-config").splitlines()
    assert f"hostname {name}" in config


def test_devices_file_contexts_are_reachable_with_changeto(from_file: Any) -> None:
    with open_session(from_file.params("file-multi")) as conn:
        listing = conn.send_command("show context")
        assert "admin" in listing and "mail" in listing
        conn.send_command("changeto context mail")
        assert conn.find_prompt() == "file-multi/mail#"
        conn.send_command("terminal pager 0")
        assert "hostname mail" in conn.send_command("show running-config").splitlines()


def _ssh_hosts(lab: Any) -> list[str]:
    return [name for name, host in lab.hosts.items() if host["transport"] == "ssh"]


@pytest.mark.parametrize(
    ("lab_name", "count", "transports"),
    [("mixed", 12, {"ssh", "telnet"}), ("ssh_only", 30, {"ssh"})],
)
def test_generated_fleet_inventory_loads_with_its_known_hosts(
    request: pytest.FixtureRequest, lab_name: str, count: int, transports: set[str]
) -> None:
    lab = request.getfixturevalue(lab_name)
    inventory = load_inventory(lab.inventory)
    assert [host.name for host in inventory.hosts] == [
        f"lab-gen{i:04d}" for i in range(1, count + 1)
    ]
    assert {host.transport.value for host in inventory.hosts} == transports
    known = lab.inventory.with_name(f"{lab.inventory.stem}_known_hosts")
    lines = known.read_text().splitlines()
    ssh = _ssh_hosts(lab)
    assert [line.split()[0] for line in lines] == [
        f"[127.0.0.1]:{lab.hosts[n]['port']}" for n in ssh
    ]
    assert len({s["software"] for s in lab.status().values()}) >= 3  # a mix of trains
    with open_session(lab.params(ssh[0], host_keys=HostKeyCheck(files=(str(known),)))) as conn:
        assert conn.find_prompt() == f"{ssh[0]}#"


def test_a_second_up_in_the_same_state_folder_is_refused(mixed: Any) -> None:
    result = mixed.cli(
        "lab", "up", "--detach", "--base-port", "43522", "--devices", "1", check=False
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "already running" in result.stderr
    assert len(mixed.status()) == 12  # the first lab still answers


def _ports(lab: Any) -> list[int]:
    return [p for h in lab.hosts.values() for p in (h["port"], int(h["mx"].rsplit(":", 1)[1]))]


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        return True
    return False


def test_up_again_starts_from_the_startup_configs_with_the_same_inventory(mixed: Any) -> None:
    name = _ssh_hosts(mixed)[0]
    with open_session(mixed.params(name)) as conn:
        assert CHANGE not in conn.send_command("show running-config").splitlines()
        conn.send_config_set([CHANGE])
        assert "[OK]" in conn.save_config()
        assert CHANGE in conn.send_command("show startup-config").splitlines()
    ports = _ports(mixed)
    assert "lab down" in mixed.cli("lab", "down").stdout
    assert [port for port in ports if _accepts(port)] == []  # free as soon as `down` returns

    again = mixed.inventory.parent.parent / "again" / mixed.inventory.name
    base = str(min(h["port"] for h in mixed.hosts.values()))
    mixed.cli("lab", "up", "--detach", "--base-port", base, "--devices", "12",
              "--inventory-out", str(again))  # fmt: skip
    assert [port for port in ports if not _accepts(port)] == []  # served as soon as `up` returns
    assert again.read_text() == mixed.inventory.read_text()
    known = f"{again.stem}_known_hosts"
    assert again.with_name(known).read_text() == mixed.inventory.with_name(known).read_text()
    with open_session(mixed.params(name)) as conn:
        assert CHANGE not in conn.send_command("show running-config").splitlines()
        assert CHANGE not in conn.send_command("show startup-config").splitlines()
    assert mixed.status()[name]["saves"] == 0


def _closed_by_lab(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def test_down_cuts_open_connections_and_frees_every_port(ssh_only: Any) -> None:
    """Runs last for this lab. A client left connected (to a silent device, an SSH port before
    login, an SMTP endpoint, a logged-in session) must not hold `down` up: a lab that had to be
    killed would leave its lab.json behind."""
    host = ssh_only.hosts["lab-gen0001"]
    targets = [(host["host"], host["port"]), ssh_only.mx("lab-gen0001"),
               (host["host"], ssh_only.hosts["lab-gen0002"]["port"])]  # fmt: skip
    ports = _ports(ssh_only)
    held = [socket.create_connection(target, timeout=5) for target in targets]
    try:
        with open_session(ssh_only.params("lab-gen0003")):
            assert "lab down" in ssh_only.cli("lab", "down").stdout
        assert [_closed_by_lab(sock) for sock in held] == [True] * len(held)
    finally:
        for sock in held:
            sock.close()
    assert not (ssh_only.state_dir / "lab.json").exists()
    assert [port for port in ports if _accepts(port)] == []
