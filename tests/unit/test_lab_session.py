"""What a simulated session prints as the user types: the sideways-scrolled, `$`-cut echo of a
line longer than the terminal (as the real captures in tests/fixtures/real/long_echo show)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixfix.lab import commands
from pixfix.lab.device import SINGLE
from pixfix.lab.fleet import LAB_CREDENTIALS, DeviceSpec, FleetOptions, build_devices, default_specs
from pixfix.lab.session import WIDTH, CliSession

HOST = "fw-dc1-perimeter-primary-with-a-long-name"


def _session(software: str) -> CliSession:
    spec = DeviceSpec(name="a", software=software, config=f"hostname {HOST}")
    device = build_devices([spec], Path("."), FleetOptions())[0]
    session = CliSession(device, username=LAB_CREDENTIALS.username, dispatch=commands.handle_line)
    session.take_output()
    return session


def _typed(session: CliSession, line: str) -> str:
    session.feed(line + "\r")
    return session.take_output()


def test_a_short_line_is_echoed_as_typed() -> None:
    session = _session("ASA 9.12(4)")
    assert _typed(session, "show clock").startswith("show clock\r\n")


def test_a_long_line_ends_cut_to_79_characters_with_a_dollar() -> None:
    session = _session("ASA 9.12(4)")
    prompt = f"{HOST}> "
    command = "show running-config policy-map type inspect esmtp"
    output = _typed(session, command)
    echo, _, _ = output.partition("\r\n")
    final = echo.rsplit("\r", 1)[-1]  # what the terminal shows once the line is entered
    assert final == (prompt + command)[: WIDTH - 2] + "$"
    assert len(final) == WIDTH - 1
    assert "\r$" in echo  # scrolled sideways while it was typed


def test_pix_6_echoes_every_character() -> None:
    session = _session("PIX 6.3(5)")
    command = "show running-config fixup protocol smtp and more words to pass the width"
    assert _typed(session, command).startswith(command + "\r\n")


def _enabled(name: str) -> tuple[CliSession, Any]:
    specs, folder = default_specs()
    device = {d.name: d for d in build_devices(specs, folder, FleetOptions())}[name]
    session = CliSession(device, username=LAB_CREDENTIALS.username, dispatch=commands.handle_line)
    session.feed(f"enable\r{LAB_CREDENTIALS.secret}\rterminal pager 0\r")
    session.take_output()
    return session, device


def test_a_line_put_back_is_printed_as_the_unit_prints_it() -> None:
    """`inspect esmtp ` keeps the trailing space an ASA prints; a PIX 4 `mailhost` returns to
    its place in the configuration, not to its end."""
    asa, device = _enabled("lab-asa84")
    for line in ("configure terminal", "policy-map global_policy", "class inspection_default",
                 "no inspect esmtp", "inspect esmtp", "end"):  # fmt: skip
        asa.feed(line + "\r")
    assert "  inspect esmtp " in device.contexts[SINGLE].running
    pix, device = _enabled("lab-pix41")
    before = device.contexts[SINGLE].running
    for line in ("configure terminal", "no mailhost 192.0.2.25 10.1.1.25",
                 "mailhost 192.0.2.25 10.1.1.25", "exit"):  # fmt: skip
        pix.feed(line + "\r")
    assert device.contexts[SINGLE].running == before


def test_output_filters_on_an_asa() -> None:
    asa, _ = _enabled("lab-asa84")
    lines = [line for line in _typed(asa, "show running-config | include esmtp").split("\r\n")]
    assert "  inspect esmtp " in lines and not any("ftp" in line for line in lines)
    begin = _typed(asa, "show running-config | begin policy-map global").split("\r\n")
    assert begin[1] == "policy-map global_policy"
    grep_v = _typed(asa, "show running-config | grep -v inspect").split("\r\n", 1)[1]
    assert "inspect" not in grep_v and "hostname lab-asa84" in grep_v
    startup = _typed(asa, "show startup-config | include ^hostname").split("\r\n")
    assert startup[1:3] == ["hostname lab-asa84", "lab-asa84# "]
    defaults = _typed(asa, "show running-config all")
    assert "policy-map type inspect esmtp _default_esmtp_map\r\n" in defaults
    assert "  mask-banner\r\n" in defaults
    assert "Invalid input" in _typed(asa, "show running-config | frobnicate x")


def test_commands_a_real_unit_has_are_answered() -> None:
    asa, _ = _enabled("lab-asa84")
    for command, expected in (
        ("show clock", " UTC "),
        ("show mode", "Security context mode: single"),
        ("dir", "Directory of disk0:/"),
        ("more system:running-config", "hostname lab-asa84"),
    ):
        reply = _typed(asa, command)
        assert expected in reply and "Invalid input" not in reply, command
