"""`pixfix lab` without a running lab: input errors, generated fleets and their inventories,
failover prompts and fault flags in built devices, and binding ports held by client sockets."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pixfix.cli import main
from pixfix.errors import LabError
from pixfix.inventory.load import load_inventory
from pixfix.lab import control, fleet
from pixfix.lab.ports import bind_waiting

DEVICE = 'name: a, software: ASA 9.8(4), config: "hostname a"'
BAD_DEVICES_FILES = {
    # case: (devices file text, what the one-line error must name)
    "unknown-key": (f"devices:\n  - {{{DEVICE}, colour: red}}\n", "devices.0.colour"),
    "unknown-software": (
        'devices:\n  - {name: a, software: ASA 10.1(1), config: "hostname a"}\n',
        "unknown software 'ASA 10.1(1)'",
    ),
    "missing-startup-config": (
        "devices:\n  - {name: a, software: ASA 9.8(4), startup_config: nothere.cfg}\n",
        "nothere.cfg",
    ),
    "yaml-syntax": (f"devices:\n  - {{{DEVICE}\n", "not valid YAML"),
    "empty-file": ("", "top level"),
    "no-devices": ("devices: []\n", "devices"),
    "duplicate-names": (f"devices:\n  - {{{DEVICE}}}\n  - {{{DEVICE}}}\n", "unique"),
    "negative-slow-ms": (
        f"devices:\n  - {{{DEVICE}, faults: {{slow_ms: -5}}}}\n",
        "devices.0.faults.slow_ms",
    ),
    "unknown-fault": (
        f"devices:\n  - {{{DEVICE}, faults: {{explode: true}}}}\n",
        "devices.0.faults.explode",
    ),
    "bad-failover-role": (f"devices:\n  - {{{DEVICE}, failover: primary}}\n", "failover"),
    "failover-fault-without-failover": (
        f"devices:\n  - {{{DEVICE}, faults: {{failover_after_config: 2}}}}\n",
        "failover_after_config needs an active failover unit",
    ),
    "pair-mate-name-taken": (
        f"devices:\n  - {{{DEVICE}, failover: pair}}\n"
        '  - {name: a-stby, software: ASA 9.8(4), config: "hostname b"}\n',
        "'a-stby' is used twice",
    ),
    "mx-context-not-a-context": (
        f"devices:\n  - {{{DEVICE}, contexts: {{admin: a.cfg}}, mx_context: mail}}\n",
        "mx_context 'mail'",
    ),
    "contexts-on-pix-6": (
        'devices:\n  - {name: a, software: PIX 6.3(5), config: "hostname a", '
        "contexts: {admin: a.cfg}}\n",
        "no multiple-context mode",
    ),
}


def _pixfix(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pixfix", "lab", "--state-dir", str(tmp_path / "state")]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )


def _assert_one_line_error(stdout: str, stderr: str, code: int, expected: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr and stdout == ""
    assert stderr.startswith("pixfix: error: ") and stderr.count("\n") == 1, stderr
    assert expected in stderr


@pytest.mark.parametrize(("text", "expected"), BAD_DEVICES_FILES.values(), ids=BAD_DEVICES_FILES)
def test_bad_devices_file_gives_one_line_and_exit_2(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    (tmp_path / "a.cfg").write_text("hostname a\n")
    result = _pixfix(
        tmp_path, "up", "--detach", "--base-port", "24522", "--devices-file", "bad.yaml"
    )
    if result.returncode == 0:  # it started after all: stop it before failing
        _pixfix(tmp_path, "down")
    _assert_one_line_error(result.stdout, result.stderr, result.returncode, expected)


def test_missing_devices_file_gives_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _pixfix(tmp_path, "up", "--detach", "--devices-file", "nothere.yaml")
    _assert_one_line_error(result.stdout, result.stderr, result.returncode, "nothere.yaml")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Runs `pixfix lab --state-dir ...` in process; `up` returns instead of serving."""

    async def serve_nothing(*_args: Any, **_kwargs: Any) -> None:
        return None

    monkeypatch.setattr(control, "serve", serve_nothing)
    state = str(tmp_path / "state")

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["lab", "--state-dir", state, *args])

    yield run


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fault", "lab-asa84"], "expected DEVICE:KIND"),
        (["--fault", "lab-asa84:explode"], "expected DEVICE:KIND"),
        (["--fault", "lab-asa84:slow_ms"], "expected DEVICE:KIND"),
        (["--fault", "lab-asa84:refuse=3"], "expected DEVICE:KIND"),
        (["--fault", "lab-asa84:slow_ms=-1"], "expected DEVICE:KIND"),
        (["--fault", "lab-asa84:drop_after_config=0"], "drop_after_config"),
        (["--fault", "nosuch:refuse"], "no device named 'nosuch'"),
        (["--devices", "0"], "--devices: must be 1-"),
        (["--devices", "5001"], "--devices: must be 1-"),
        (["--devices", "3", "--devices-file", "x.yaml"], "exclusive"),
        (["--devices", "600", "--base-port", "60000"], "exceed 65535"),
    ],
)
def test_bad_lab_up_options_give_one_line_and_exit_2(
    runner: Any, args: list[str], expected: str
) -> None:
    result = runner("up", *args)
    _assert_one_line_error(result.stdout, result.stderr, result.exit_code, expected)


def test_status_without_a_running_lab_gives_one_line_and_exit_2(runner: Any) -> None:
    result = runner("status", "--format", "json")
    _assert_one_line_error(result.stdout, result.stderr, result.exit_code, "no lab is running")


def test_down_without_a_running_lab_says_so(runner: Any) -> None:
    result = runner("down")
    assert result.exit_code == 0 and "no lab is running" in result.stderr


@pytest.mark.parametrize("ssh_only", [False, True], ids=["mixed", "ssh-only"])
def test_generated_inventory_is_reproducible_and_loads(
    runner: Any, tmp_path: Path, ssh_only: bool
) -> None:
    flags = ["--ssh-only"] if ssh_only else []
    written = []
    for run in ("first", "second"):
        inventory = tmp_path / run / "fleet.yaml"
        result = runner("up", "--devices", "60", *flags, "--inventory-out", str(inventory))
        assert result.exit_code == 0, result.output
        known = inventory.with_name("fleet_known_hosts")
        written.append((inventory.read_text(), known.read_text()))
    assert written[0] == written[1]
    hosts = load_inventory(inventory).hosts
    assert [h.name for h in hosts] == [f"lab-gen{i:04d}" for i in range(1, 61)]
    transports = {h.transport.value for h in hosts}
    assert transports == ({"ssh"} if ssh_only else {"ssh", "telnet"})
    ssh = [h for h in hosts if h.transport.value == "ssh"]
    assert len(known.read_text().splitlines()) == len(ssh)
    assert {h.known_hosts for h in ssh} == {known}


def test_generated_devices_carry_their_own_hostname() -> None:
    specs, _ = fleet.generated_specs(40, ssh_only=False)
    for spec in specs:
        assert spec.config is not None and f"\nhostname {spec.name}\n" in spec.config
    assert len({spec.software for spec in specs}) >= 5


def _device(software: str, failover: str | None, config: str, **flags: Any) -> Any:
    spec = fleet.DeviceSpec(
        name="unit", software=software, config=config, failover=failover, faults={"slow_ms": 50}
    )
    options = fleet.FleetOptions(base_port=24522, faults={"unit": flags} if flags else {})
    return fleet.build_devices([spec], Path("."), options)[0]


ROLE, HOST = "prompt hostname priority state", "hostname unit"


@pytest.mark.parametrize(
    ("software", "failover", "config", "lines", "state"),
    [
        ("ASA 9.8(4)", "active", [HOST, "names"], [HOST, ROLE, "names"], "/pri/act"),
        ("ASA 9.14(4)", "standby", [HOST, ROLE], [HOST, ROLE], "/sec/stby"),
        ("ASA 9.8(4)", None, [HOST], [HOST], ""),
        ("PIX 6.3(5)", "active", [HOST], [HOST], ""),
    ],
    ids=["asa-active-gets-it", "already-there", "standalone", "pix-has-no-prompt-command"],
)
def test_failover_unit_prompt_shows_its_role(
    software: str, failover: str | None, config: list[str], lines: list[str], state: str
) -> None:
    device = _device(software, failover, "\n".join(config))
    assert list(device.contexts[""].startup) == lines
    assert device.prompt_state() == state


def test_fault_flags_override_the_devices_file() -> None:
    device = _device("ASA 9.8(4)", None, HOST, slow_ms=300, refuse=True)
    assert (device.faults.slow_ms, device.faults.refuse, device.faults.silent) == (300, True, False)
    with pytest.raises(LabError, match="failover_after_config"):
        _device("ASA 9.8(4)", None, HOST, failover_after_config=0)


def _client_holding_a_port() -> tuple[socket.socket, socket.socket, int]:
    """An established loopback connection; the client end's ephemeral port is returned."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
    return client, accepted, client.getsockname()[1]


def _start_listener(port: int) -> Any:
    return asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", port)


@pytest.mark.timeout(30)
def test_bind_waits_while_only_a_client_socket_holds_the_port() -> None:
    client, accepted, port = _client_holding_a_port()

    def release() -> None:  # the far end closes first, so no TIME_WAIT is left on `port`
        accepted.close()
        client.recv(1)
        client.close()

    async def scenario() -> None:
        asyncio.get_running_loop().call_later(1.5, release)
        listener = await bind_waiting(lambda: _start_listener(port), "127.0.0.1", port)
        listener.close()
        await listener.wait_closed()

    try:
        asyncio.run(scenario())
    finally:
        client.close()
        accepted.close()


@pytest.mark.timeout(20)  # a wait for the port (55 s) would show as a timeout
def test_bind_fails_at_once_when_a_server_listens_on_the_port() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(OSError, match="in use"):
            asyncio.run(bind_waiting(lambda: _start_listener(port), "127.0.0.1", port))
    assert time.monotonic() - start < 15


def test_text_faults_from_the_command_line() -> None:
    from pixfix.cli.lab import _parse_faults

    parsed = _parse_faults(
        ("fw1:unauthorized_command=no inspect esmtp", "fw2:changeto_refused=mail")
    )
    assert parsed == {
        "fw1": {"unauthorized_command": "no inspect esmtp"},
        "fw2": {"changeto_refused": "mail"},
    }
    with pytest.raises(LabError, match="KIND=TEXT"):
        _parse_faults(("fw1:changeto_refused=",))
