"""Every default lab device, driven with netmiko over real SSH/telnet, client view and state."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler

from pixfix.errors import AuthError
from pixfix.transport.connect import open_session

pytestmark = pytest.mark.timeout(180)

EXPECTED = {
    # name: (software, transport, smtp_inspection at start, first line of show version)
    "lab-pix41": ("PIX 4.1(6)", "telnet", "pix-mailhost", "Cisco PIX Firewall Version 4.1(6)"),
    "lab-pix63": ("PIX 6.3(5)", "telnet", "pix-fixup", "Cisco PIX Firewall Version 6.3(5)"),
    "lab-pix63-clean": ("PIX 6.3(5)", "telnet", "none", "Cisco PIX Firewall Version 6.3(5)"),
    "lab-pix70": (
        "PIX 7.0(4)",
        "ssh",
        "esmtp-default",
        "Cisco PIX Security Appliance Software Version 7.0(4)",
    ),
    "lab-asa84": (
        "ASA 8.4(7)",
        "ssh",
        "esmtp-default",
        "Cisco Adaptive Security Appliance Software Version 8.4(7)",
    ),
    "lab-asa98-iface": ("ASA 9.8(4)", "ssh", "esmtp-default", "Software Version 9.8(4)"),
    "lab-asa916-clean": ("ASA 9.16(4)", "ssh", "none", "Software Version 9.16(4)"),
    "lab-asa918-tuned": ("ASA 9.18(4)", "ssh", "esmtp-tuned", "Software Version 9.18(4)"),
    "lab-asa-multi": ("ASA 9.12(4)", "ssh", "esmtp-default", "Software Version 9.12(4) <system>"),
    "lab-asa-standby": ("ASA 9.14(4)", "ssh", "esmtp-default", "Software Version 9.14(4)"),
    "lab-fwsm31": ("FWSM 3.1(1)", "ssh", "esmtp-default", "FWSM Firewall Version 3.1(1)"),
    "lab-asa-pair": ("ASA 9.16(4)", "ssh", "esmtp-default", "Software Version 9.16(4)"),
    "lab-asa-pair-stby": ("ASA 9.16(4)", "ssh", "esmtp-default", "Software Version 9.16(4)"),
    "lab-asa-aa": ("ASA 9.8(4)", "ssh", "esmtp-default", "Software Version 9.8(4) <system>"),
    "lab-asa-reporting": ("ASA 9.18(4)", "ssh", "esmtp-default", "Software Version 9.18(4)"),
}
PIX_ERROR = "Type help or '?' for a list of available commands."
INSPECT = re.compile(r"^  inspect esmtp", re.M)
ASA_ERROR = "ERROR: % Invalid input detected at '^' marker."


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("--minute-seconds", "1", "--boot-seconds", "1")


def test_status_lists_the_default_fleet_with_its_inspection(lab: Any) -> None:
    status = lab.status()
    assert list(status) == list(EXPECTED)
    for name, (software, transport, inspection, _) in EXPECTED.items():
        assert (status[name]["software"], status[name]["transport"]) == (software, transport)
        assert status[name]["smtp_inspection"] == inspection, name
        assert status[name]["logins"] == status[name]["config_sessions"] == 0


def test_committed_inventory_matches_what_lab_up_writes(lab: Any) -> None:
    root = Path(__file__).resolve().parents[2] / "inventories"
    written = lab.inventory.read_text()
    assert "known_hosts: lab_known_hosts" in (root / "lab.yaml").read_text()
    ports_committed = re.findall(r"port: (\d+)", (root / "lab.yaml").read_text())
    assert ports_committed == [str(10022 + i) for i in range(len(EXPECTED))]
    assert re.sub(r"\d{5}", "N", written) == re.sub(r"\d{5}", "N", (root / "lab.yaml").read_text())
    keys = (root / "lab_known_hosts").read_text().split("\n")[0].split()[1:]
    assert keys == (lab.inventory.parent / "lab_known_hosts").read_text().split("\n")[0].split()[1:]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_device_logs_in_enables_and_lists_its_config(lab: Any, name: str) -> None:
    before = lab.status()[name]
    with open_session(lab.params(name)) as conn:
        assert conn.find_prompt().endswith("#")
        version = conn.send_command("show version")
        assert EXPECTED[name][3] in version
        command = "write terminal" if name == "lab-pix41" else "show running-config"
        config = conn.send_command(command)
    product = EXPECTED[name][0].split()[0]
    assert re.search(rf"^{product} Version ", config, re.M), config[:200]
    assert "<--- More --->" not in config
    assert config.rstrip().endswith(": end") or name == "lab-pix41"
    after = lab.status()[name]
    assert after["logins"] == before["logins"] + 1
    assert after["config_sessions"] == before["config_sessions"]  # a read-only session


def test_netmiko_default_asa_driver_enters_config_mode_at_login(lab: Any) -> None:
    """The trap pixfix avoids: netmiko's ASA driver sets `terminal width` in config mode."""
    before = lab.status()["lab-asa916-clean"]["config_sessions"]
    conn = ConnectHandler(**lab.netmiko_args("lab-asa916-clean"))
    conn.disconnect()
    assert lab.status()["lab-asa916-clean"]["config_sessions"] == before + 1


def test_asa_change_is_running_only_until_saved(lab: Any) -> None:
    name = "lab-asa84"
    with open_session(lab.params(name)) as conn:
        old_sum = _checksum(conn.send_command("show running-config"))
        out = conn.send_config_set(
            ["policy-map global_policy", "class inspection_default", "no inspect esmtp"],
            error_pattern=r"ERROR:",
        )
        assert "(config-pmap-c)#" in out
        running = conn.send_command("show running-config")
        assert not INSPECT.search(running)
        assert _checksum(running) == old_sum  # the checksum moves only on save
        assert INSPECT.search(conn.send_command("show startup-config"))
        assert lab.status()[name]["smtp_inspection"] == "none"
        saved = conn.save_config()
        assert "[OK]" in saved and "Cryptochecksum:" in saved
        assert not INSPECT.search(conn.send_command("show startup-config"))
        assert _checksum(conn.send_command("show running-config")) != old_sum
    status = lab.status()[name]
    assert status["saves"] == 1 and status["config_sessions"] >= 1


def _checksum(config: str) -> str:
    found = re.search(r"^Cryptochecksum:(\w+)", config, re.M)
    assert found, config[-200:]
    return found.group(1)


def test_pix6_stores_no_fixup_has_no_end_and_pages(lab: Any) -> None:
    name = "lab-pix63"
    with open_session(lab.params(name)) as conn:
        assert PIX_ERROR in conn.send_command("terminal pager 0")
        out = conn.send_config_set(["no fixup protocol smtp 25"], error_pattern=r"Type help")
        assert "(config)#" in out
        with pytest.raises(Exception, match="Invalid input"):
            conn.send_config_set(["end"], error_pattern=r"Type help")
        conn.exit_config_mode()
        config = conn.send_command("show running-config")
        assert "no fixup protocol smtp 25" in config.splitlines()
        assert "fixup protocol smtp 2525" in config.splitlines()
        assert len(config.splitlines()) > 24  # longer than one page: the More prompts were answered
    assert lab.status()[name]["smtp_inspection"] == "none"  # 25 is off; 2525 stays inspected


def test_pix_pager_prompts_when_output_exceeds_a_page(lab: Any) -> None:
    raw = _raw_telnet(lab, "lab-pix63-clean", ["enable", LAB_SECRET_LINE, "show running-config"])
    assert "<--- More --->" in raw


def test_pix_erases_the_pager_prompt_with_carriage_returns(lab: Any) -> None:
    """A PIX over telnet erases `<--- More --->` with CR, spaces, CR (an ASA uses backspaces);
    the client reads the configuration whole through it."""
    raw = _raw_telnet(
        lab, "lab-pix63-clean", ["enable", LAB_SECRET_LINE, "show running-config", " "]
    )
    assert "<--- More --->\r" + " " * 14 + "\r" in raw and "\x08" not in raw
    with open_session(lab.params("lab-pix63-clean")) as conn:
        config = conn.send_command("show running-config")
    assert "no fixup protocol smtp 25" in config.splitlines() and config.count("\nfixup") >= 3
    assert all(line == line.lstrip() for line in config.splitlines() if "fixup" in line)


LAB_SECRET_LINE = "labenable-92ce"


def _raw_telnet(lab: Any, name: str, lines: list[str]) -> str:
    host = lab.hosts[name]
    with socket.create_connection((host["host"], host["port"]), timeout=5) as sock:
        data = b""
        for line in ["labuser-4b1d", "labpass-7f3a", *lines]:
            data += _read_for(sock, 0.3)
            sock.sendall(line.encode() + b"\r")
        data += _read_for(sock, 0.5)
    return data.decode("latin-1")


def _read_for(sock: socket.socket, seconds: float) -> bytes:
    sock.settimeout(seconds)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    return data


@pytest.mark.parametrize(
    ("name", "error"),
    [("lab-pix63-clean", PIX_ERROR), ("lab-asa916-clean", ASA_ERROR), ("lab-fwsm31", ASA_ERROR)],
)
def test_invalid_input_gives_the_trains_error(lab: Any, name: str, error: str) -> None:
    with open_session(lab.params(name)) as conn:
        assert error in conn.send_command("show bogus-thing")
        with pytest.raises(Exception, match="Invalid input"):
            conn.send_config_set(["frobnicate everything"], error_pattern=re.escape(error[:12]))


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("lab-asa916-clean", "secret"),
        ("lab-asa916-clean", "password"),
        ("lab-pix63-clean", "password"),
    ],
)
def test_wrong_passwords_are_refused(lab: Any, name: str, field: str) -> None:
    params = lab.params(name, timeout=4, **{field: "not-the-right-one"})
    with pytest.raises(AuthError), open_session(params):
        pass


def test_multiple_context_changeto_and_show_context(lab: Any) -> None:
    with open_session(lab.params("lab-asa-multi")) as conn:
        assert "admin" in conn.send_command("show context") and "mail" in conn.send_command(
            "show context"
        )
        conn.send_command("changeto context mail")
        assert conn.find_prompt() == "lab-asa-multi/mail#"
        conn.send_command("terminal pager 0")
        assert INSPECT.search(conn.send_command("show running-config"))
        assert "<context>" in conn.send_command("show version")
        conn.send_command("changeto context admin")
        assert "<--- More --->" in conn.send_command_timing("show running-config", last_read=0.5)
        conn.write_channel("q")
        conn.send_command("terminal pager 0")  # the pager is per context: re-sent after changeto
        assert not INSPECT.search(conn.send_command("show running-config"))
        conn.send_command("changeto system")
        assert conn.find_prompt() == "lab-asa-multi#"
        assert "context mail" in conn.send_command("show running-config")


def test_standby_warns_when_configured_and_reports_its_role(lab: Any) -> None:
    with open_session(lab.params("lab-asa-standby")) as conn:
        assert conn.find_prompt() == "lab-asa-standby/sec/stby#"
        assert "This host: Secondary - Standby Ready" in conn.send_command("show failover")
        out = conn.send_config_set(["logging enable"])
        assert "Configuration Replication is NOT performed from Standby unit to Active unit" in out


def test_write_memory_all_asks_unless_noconfirm(lab: Any) -> None:
    with open_session(lab.params("lab-asa-multi")) as conn:
        out = conn.send_command_timing("write memory all")
        assert "[confirm]" in out
        out = conn.send_command_timing("", read_timeout=10)
        assert "[OK]" in out
        assert "[OK]" in conn.send_command("write memory all /noconfirm")


def test_reload_asks_to_save_drops_the_session_and_boots_the_startup_config(lab: Any) -> None:
    name = "lab-asa98-iface"
    with open_session(lab.params(name)) as conn:
        conn.send_config_set(
            ["policy-map OUTSIDE", "class MAIL", "no inspect esmtp"], error_pattern="ERROR:"
        )
        assert lab.status()[name]["smtp_inspection"] == "none"
        assert "Save? [Y]es/[N]o:" in conn.send_command_timing("reload")
        assert "[confirm]" in conn.send_command_timing("N")
        conn.write_channel("\n")
        time.sleep(0.5)
        with pytest.raises(OSError):
            for _ in range(20):
                conn.write_channel("\n")
                time.sleep(0.1)
    _wait_back(lab, name)
    status = lab.status()[name]
    assert status["reloads"] == 1 and status["smtp_inspection"] == "esmtp-default"


def test_reload_in_schedules_shows_cancels_and_fires(lab: Any) -> None:
    name = "lab-asa916-clean"
    before = lab.status()[name]["reloads"]
    with open_session(lab.params(name)) as conn:
        assert "No reload is scheduled." in conn.send_command("show reload")
        out = conn.send_command_timing("reload in 30")
        assert "[confirm]" in out
        assert "Reload scheduled" in conn.send_command_timing("\n")
        assert re.search(r"\(in 2\d minutes and \d+ seconds\)", conn.send_command("show reload"))
        assert "ABORTED" in conn.send_command("reload cancel")
        assert "No reload is scheduled." in conn.send_command("show reload")
        conn.send_command_timing("reload in 1")
        conn.send_command_timing("\n")
    _wait_back(lab, name)
    assert lab.status()[name]["reloads"] == before + 1


def _wait_back(lab: Any, name: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = lab.status()[name]
        if not status["booting"] and not status["reload_scheduled"]:
            try:
                with socket.create_connection(
                    (lab.hosts[name]["host"], lab.hosts[name]["port"]), timeout=1
                ):
                    return
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"{name} did not come back")


def test_pix_reload_with_prompts_over_telnet(lab: Any) -> None:
    name = "lab-pix41"
    with open_session(lab.params(name)) as conn:
        assert "mailhost" in conn.send_command("show configure")
        out = conn.send_command_timing("reload")
        assert "[confirm]" in out
        conn.write_channel("\r")
        time.sleep(0.5)
    _wait_back(lab, name)
    assert lab.status()[name]["reloads"] == 1
