"""Injected faults (devices file `faults:` and `--fault`), fail-over during a change, latency.

Each fault is checked the way a user meets it: through a socket, an SSH client, netmiko via
`pixfix.transport.session.open_session`, or `pixfix lab status`.
"""

from __future__ import annotations

import re
import socket
import time
from importlib import resources
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml

from pixfix.errors import AuthError, ConnectError, DeviceError
from pixfix.transport.connect import open_session

pytestmark = pytest.mark.timeout(180)

ASA_CFG, PIX_CFG = "lab-asa916-clean.cfg", "lab-pix63-clean.cfg"
ASA = {"software": "ASA 9.16(4)", "transport": "ssh"}
PIX = {"software": "PIX 6.3(5)", "transport": "telnet"}
# The devices file; faults not given here come from `--fault` flags (FLAGS), so both ways count.
DEVICES: dict[str, dict[str, Any]] = {
    "f-refuse": {**ASA, "faults": {"refuse": True}},
    "f-silent": {**ASA, "faults": {"silent": True}},
    "f-slow": {**ASA, "faults": {"slow_ms": 50}},  # the flag's 300 must win
    "f-failover": {**ASA, "failover": "active", "faults": {"failover_after_config": 2}},
    "f-failover-pix": {**PIX, "failover": "active", "faults": {"failover_after_config": 2}},
    "f-badcreds": ASA,
    "f-badcreds-pix": PIX,
    "f-drop": ASA,
    "f-drop-pix": PIX,
    "f-writefails": ASA,
}
FLAGS = (
    "f-slow:slow_ms=300",
    "f-badcreds:wrong_credentials",
    "f-badcreds-pix:wrong_credentials",
    "f-drop:drop_after_config=2",
    "f-drop-pix:drop_after_config=2",
    "f-writefails:write_fails",
)
LINES = ["logging timestamp", "logging buffered warnings", "logging trap informational"]
USER, PASSWORD = "labuser-4b1d", "labpass-7f3a"


def _startup_config(name: str) -> str:
    source = PIX_CFG if DEVICES[name]["transport"] == "telnet" else ASA_CFG
    text = resources.files("pixfix.lab").joinpath("configs", source).read_text()
    return re.sub(r"(?m)^hostname \S+", f"hostname {name}", text)


def _write_devices_file(folder: Path) -> Path:
    (folder / "configs").mkdir()
    devices = []
    for name, spec in DEVICES.items():
        (folder / "configs" / f"{name}.cfg").write_text(_startup_config(name))
        devices.append({"name": name, **spec, "startup_config": f"configs/{name}.cfg"})
    path = folder / "faulty.yaml"
    path.write_text(yaml.safe_dump({"devices": devices}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def faulty(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    devices_file = _write_devices_file(tmp_path_factory.mktemp("faults"))
    flags = [arg for flag in FLAGS for arg in ("--fault", flag)]
    return lab_factory("--devices-file", str(devices_file), *flags)


@pytest.fixture(scope="module")
def slow_lab(lab_factory: Any) -> Any:
    return lab_factory("--devices", "2", "--ssh-only", "--latency-ms", "300")


def _address(lab: Any, name: str) -> tuple[str, int]:
    return lab.hosts[name]["host"], lab.hosts[name]["port"]


def test_refused_device_refuses_the_connection(faulty: Any) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(_address(faulty, "f-refuse"), timeout=5).close()
    with pytest.raises(ConnectError), open_session(faulty.params("f-refuse", timeout=3)):
        pass
    assert faulty.status()["f-refuse"]["logins"] == 0


def test_silent_device_accepts_tcp_but_an_ssh_client_times_out_on_the_banner(faulty: Any) -> None:
    with socket.create_connection(_address(faulty, "f-silent"), timeout=5) as sock:
        sock.settimeout(1)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    with socket.create_connection(_address(faulty, "f-silent"), timeout=5) as sock:
        client = paramiko.Transport(sock)
        client.banner_timeout = 1
        try:
            with pytest.raises(paramiko.SSHException, match="banner"):
                client.start_client(timeout=5)
        finally:
            client.close()
    start = time.monotonic()
    with pytest.raises(ConnectError), open_session(faulty.params("f-silent", timeout=2)):
        pass
    assert time.monotonic() - start >= 1.5  # it waited for the banner, it was not refused


def test_wrong_credentials_refuse_every_ssh_login(faulty: Any) -> None:
    with pytest.raises(AuthError), open_session(faulty.params("f-badcreds", timeout=4)):
        pass
    assert faulty.status()["f-badcreds"]["logins"] == 0


def test_wrong_credentials_refuse_every_telnet_login_then_hang_up(faulty: Any) -> None:
    with socket.create_connection(_address(faulty, "f-badcreds-pix"), timeout=5) as sock:
        seen = b""
        for attempt in range(1, 4):
            seen = _read_until(sock, seen, b"Username: ", attempt)
            sock.sendall(USER.encode() + b"\r")
            seen = _read_until(sock, seen, b"Password: ", attempt)
            sock.sendall(PASSWORD.encode() + b"\r")
        seen = _read_until(sock, seen, b"", 0)  # to the end: the device hangs up
    assert seen.count(b"Error in authentication.") == 3
    assert b"Type help" not in seen
    assert faulty.status()["f-badcreds-pix"]["logins"] == 0


def _read_until(sock: socket.socket, seen: bytes, marker: bytes, count: int) -> bytes:
    """Read until `marker` was seen `count` times in all; count 0 reads to the end of stream."""
    sock.settimeout(5)
    while count == 0 or seen.count(marker) < count:
        chunk = sock.recv(4096)
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.parametrize("name", ["f-drop", "f-drop-pix"])
def test_drop_after_config_cuts_the_session_after_the_nth_command(faulty: Any, name: str) -> None:
    with pytest.raises(DeviceError), open_session(faulty.params(name, timeout=3)) as conn:
        conn.send_config_set(LINES)
    with open_session(faulty.params(name)) as conn:
        running = conn.send_command("show running-config").splitlines()
        assert [line in running for line in LINES] == [True, True, False]
        conn.send_config_set(LINES[2:])  # counted per session: a new one gets its own N
        assert LINES[2] in conn.send_command("show running-config").splitlines()


def test_write_fails_reports_an_error_and_saves_nothing(faulty: Any) -> None:
    name = "f-writefails"
    with open_session(faulty.params(name)) as conn:
        conn.send_config_set(LINES[:1])
        out = conn.save_config()
        assert "[FAILED]" in out and "[OK]" not in out
        assert LINES[0] not in conn.send_command("show startup-config").splitlines()
    status = faulty.status()[name]
    assert status["saves"] == 0 and status["modified"] is True


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("f-failover", "f-failover/pri/act#", "f-failover/pri/stby#"),
        ("f-failover-pix", "f-failover-pix#", "f-failover-pix#"),  # PIX 6 has no `prompt`
    ],
)
def test_failover_during_a_change_turns_the_unit_standby(
    faulty: Any, name: str, before: str, after: str
) -> None:
    assert faulty.status()[name]["failover"] == "active"
    with open_session(faulty.params(name)) as conn:
        assert conn.find_prompt() == before
        assert "This host: Primary - Active" in conn.send_command("show failover")
        out = conn.send_config_set(LINES)
        assert f"{after[:-1]}(config)#" in out
        assert "Configuration Replication is NOT performed" in out  # the third line was refused
        assert conn.find_prompt() == after
        assert "This host: Primary - Standby Ready" in conn.send_command("show failover")
    assert faulty.status()[name]["failover"] == "standby"


def test_failover_unit_gets_the_role_prompt_line_in_its_config(faulty: Any) -> None:
    """A devices-file unit without `prompt hostname priority state` gets it (see lab.fleet)."""
    assert "prompt hostname priority state" not in _startup_config("f-failover")
    with open_session(faulty.params("f-failover")) as conn:
        config = conn.send_command("show startup-config").splitlines()
    assert config.count("prompt hostname priority state") == 1


@pytest.mark.parametrize(
    ("lab_name", "name"),
    [("slow_lab", "lab-gen0001"), ("faulty", "f-slow")],
    ids=["latency-ms", "slow_ms-fault"],
)
def test_a_command_exchange_costs_at_least_the_delay(
    request: pytest.FixtureRequest, lab_name: str, name: str
) -> None:
    lab = request.getfixturevalue(lab_name)
    with open_session(lab.params(name)) as conn:
        start = time.monotonic()
        assert "Version" in conn.send_command("show version")
        assert time.monotonic() - start >= 0.3


def test_latency_delays_the_smtp_endpoint_too(slow_lab: Any) -> None:
    start = time.monotonic()
    with socket.create_connection(slow_lab.mx("lab-gen0001"), timeout=5) as sock:
        assert _read_until(sock, b"", b"\r\n", 1).startswith(b"220")
    assert time.monotonic() - start >= 0.3
