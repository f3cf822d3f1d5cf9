"""What a simulated session prints as the user types: the sideways-scrolled, `$`-cut echo of a
line longer than the terminal (as the real captures in tests/fixtures/real/long_echo show)."""

from __future__ import annotations

from pathlib import Path

from pixfix.lab import commands
from pixfix.lab.fleet import LAB_CREDENTIALS, DeviceSpec, FleetOptions, build_devices
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
