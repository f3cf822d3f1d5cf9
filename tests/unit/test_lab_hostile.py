"""The lab's hostile output (pixfix.lab.hostile) and the fault flags that switch it on; and the
audit report fed with exactly that output, in every format."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from pixfix.audit.formats import Format, render_audit
from pixfix.cli.lab import _parse_faults
from pixfix.lab import hostile
from pixfix.lab.fleet import DeviceSpec, FleetOptions, build_devices
from pixfix.model import DeviceResult, Finding, FindingKind, Role, Status

NL = "\r\n"
CONFIG = NL.join(["ASA Version 9.16(4)", "hostname fw", "policy-map global_policy", ": end"])
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def test_padded_keeps_every_real_line_in_order_and_weighs_what_it_should() -> None:
    text = hostile.padded(CONFIG, NL, size=100_000)
    lines = text.split(NL)
    assert [line for line in lines if not line.startswith("access-list hostile-")] == CONFIG.split(
        NL
    )
    assert 100_000 < len(text) < 110_000


def test_bad_bytes_are_not_utf8_on_the_wire() -> None:
    wire = hostile.with_bad_bytes(CONFIG, NL).encode("utf-8", "surrogateescape")
    with pytest.raises(UnicodeDecodeError):
        wire.decode("utf-8")
    assert b"\xff" not in wire  # 0xff is telnet's IAC: the lab never sends it as data


def test_escapes_surround_every_line_and_the_prompt_still_ends_in_its_terminator() -> None:
    text = hostile.with_escapes(CONFIG, NL)
    assert text.startswith(hostile.CLEAR + hostile.TITLE)
    assert all("\x1b[" in line for line in text.split(NL))
    assert hostile.hostile_prompt("fw/admin# ").endswith("# ")
    assert hostile.TITLE in hostile.hostile_prompt("fw> ")


@pytest.mark.parametrize("fault", ["huge_output", "endless_pager", "bad_utf8", "ansi", "no_prompt"])
def test_hostile_faults_are_lab_up_flags(fault: str) -> None:
    faults = _parse_faults((f"fw1:{fault}",))
    assert faults == {"fw1": {fault: True}}
    spec = DeviceSpec(name="fw1", software="ASA 9.16(4)", config=CONFIG)
    (device,) = build_devices([spec], Path(), FleetOptions(faults=faults))
    assert getattr(device.faults, fault) is True


def _hostile_results() -> list[DeviceResult]:
    """Results carrying the lab's hostile text wherever device text can reach a report."""
    escaped = hostile.with_escapes("inspect esmtp", NL)
    bad = hostile.with_bad_bytes("fixup protocol smtp 25", NL)
    findings = tuple(
        Finding(line=line, kind=FindingKind.INSPECT, ports=(25,), policy=injection)
        for line, injection in zip(
            [escaped, bad, *hostile.INJECTIONS], hostile.INJECTIONS * 2, strict=False
        )
    )
    return [
        DeviceResult(
            name="fw1",
            context="=cmd|' /C calc'!A0" + hostile.TITLE,
            software=bad,
            status=Status.EXPOSED,
            role=Role.ACTIVE,
            findings=findings,
        ),
        DeviceResult(name="fw2", status=Status.ERROR, error=escaped + hostile.LINK + bad),
    ]


@pytest.mark.parametrize("fmt", [f for f in Format if f is not Format.JSON])
def test_the_lab_hostile_text_cannot_act_in_any_audit_format(fmt: Format) -> None:
    text = render_audit(_hostile_results(), fmt)
    assert not _CONTROL.search(text), repr(_CONTROL.search(text))
    text.encode("utf-8")  # no lone surrogate survives
    if fmt is Format.CSV:
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell.lstrip().startswith(("=", "+", "@")) for cell in row), row
    if fmt is Format.MARKDOWN:  # markup only inside code blocks, where it is literal text
        assert "<script>" not in re.sub(r"(?ms)^```.*?^```", "", text)
