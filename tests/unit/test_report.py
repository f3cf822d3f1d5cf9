"""Audit reports: literal results in, what a user (or a script, a spreadsheet, a CI) sees out."""

from __future__ import annotations

import csv
import doctest
import io
import json
import xml.etree.ElementTree as ET

import pytest

from pixfix import text as report_text
from pixfix.audit.formats import Format, audit_exit_code, audit_summary, render_audit, strip_control
from pixfix.model import DeviceResult, Finding, FindingKind, Platform, Role, Status

INJECTION = "=cmd|' /C calc'!A0"

FIXUP = Finding(
    line="fixup protocol smtp 25",
    kind=FindingKind.FIXUP,
    ports=(25,),
    scope="global",
    reason="the SMTP fixup (Mailguard) is on: only RFC 821 commands pass",
)
DEFAULT_INSPECT = Finding(
    line="inspect esmtp",
    kind=FindingKind.INSPECT,
    ports=(25,),
    policy="global_policy",
    class_name="inspection_default",
    scope="global",
    reason="no map: _default_esmtp_map masks the banner and does not allow TLS",
)
TUNED_INSPECT = Finding(
    line="inspect esmtp tls_ok",
    kind=FindingKind.INSPECT,
    ports=(25, 587),
    policy="global_policy",
    class_name="mail",
    map_name="tls_ok",
    scope="interface outside",
    exposing=False,
    reason="map tls_ok allows TLS and shows the banner",
)

PIX = DeviceResult(
    name="lab-pix63",
    platform=Platform.PIX,
    software="6.3(5)",
    role=Role.ACTIVE,
    status=Status.EXPOSED,
    findings=(FIXUP,),
)
CONTEXT = DeviceResult(
    name="lab-asa-multi",
    context="mail",
    platform=Platform.ASA,
    software="9.8(4)32",
    status=Status.EXPOSED,
    findings=(DEFAULT_INSPECT, TUNED_INSPECT),
)
TUNED = DeviceResult(
    name="lab-asa-tuned",
    platform=Platform.ASA,
    software="9.1(7)",
    status=Status.TUNED,
    findings=(TUNED_INSPECT,),
)
COMPLIANT = DeviceResult(
    name="lab-fwsm", platform=Platform.FWSM, software="4.1(5)", status=Status.COMPLIANT
)
ERROR = DeviceResult(name="lab-down", status=Status.ERROR, error="cannot connect: refused")
FLEET = [PIX, CONTEXT, TUNED, COMPLIANT, ERROR]

HOSTILE = DeviceResult(
    name="evil\x1b[31m-fw",
    context="ctx|one",
    status=Status.EXPOSED,
    findings=(Finding(line=f"{INJECTION}\x1b]0;pwned\x07", kind=FindingKind.FIXUP, ports=(25,)),),
    error=None,
)
HOSTILE_ERROR = DeviceResult(name="evil2", status=Status.ERROR, error=f"{INJECTION}\x00\x1b[2J")


@pytest.mark.parametrize(
    ("results", "code"),
    [
        ([], 0),
        ([COMPLIANT, TUNED], 0),
        ([COMPLIANT, PIX], 1),
        ([ERROR], 3),
        ([PIX, ERROR, COMPLIANT], 3),
    ],
)
def test_exit_code_error_wins_over_exposed(results: list[DeviceResult], code: int) -> None:
    assert audit_exit_code(results) == code


def test_summary_counts_every_status_and_has_no_exit_code() -> None:
    assert audit_summary(FLEET) == {
        "exposed": 2,
        "unsaved": 0,
        "tuned": 1,
        "compliant": 1,
        "error": 1,
        "total": 5,
    }
    assert audit_summary([]) == {
        "exposed": 0,
        "unsaved": 0,
        "tuned": 0,
        "compliant": 0,
        "error": 0,
        "total": 0,
    }


def test_json_shape_is_the_contract() -> None:
    document = json.loads(render_audit(FLEET, Format.JSON))
    assert list(document) == ["devices", "summary"]
    assert [list(device) for device in document["devices"]] == [
        ["name", "context", "platform", "software", "role", "status", "findings", "error", "whole"]
    ] * 5
    assert document["devices"][0] == {
        "name": "lab-pix63",
        "context": None,
        "platform": "pix",
        "software": "6.3(5)",
        "role": "active",
        "status": "exposed",
        "findings": [
            {
                "line": "fixup protocol smtp 25",
                "kind": "fixup",
                "ports": [25],
                "policy": None,
                "class": None,
                "map": None,
                "scope": "global",
            }
        ],
        "error": None,
        "whole": None,  # FLEET's results are built by hand, not read from a text
    }
    context = document["devices"][1]
    assert (context["name"], context["context"]) == ("lab-asa-multi", "mail")
    assert context["findings"][1]["class"] == "mail"
    assert context["findings"][1]["map"] == "tls_ok"
    assert document["devices"][4]["error"] == "cannot connect: refused"
    assert document["summary"] == audit_summary(FLEET)
    assert "exit_code" not in document["summary"]


def test_json_merges_extra_fields_into_their_entry() -> None:
    extra = {"lab-asa-multi/mail": {"probe": {"verdict": "mailguard", "target": "192.0.2.25:25"}}}
    devices = json.loads(render_audit(FLEET, Format.JSON, extra=extra))["devices"]
    assert devices[1]["probe"] == {"verdict": "mailguard", "target": "192.0.2.25:25"}
    assert all("probe" not in device for device in devices if device["context"] is None)


def test_json_keeps_device_text_but_escapes_control_characters() -> None:
    text = render_audit([HOSTILE], Format.JSON)
    assert "\x1b" not in text
    assert json.loads(text)["devices"][0]["name"] == "evil\x1b[31m-fw"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"no-such-device": {"probe": "clean"}}, "no-such-device"),
        ({"lab-pix63": {"status": "compliant"}}, "status"),
    ],
)
def test_extra_for_unknown_entry_or_overwriting_a_field_is_refused(
    extra: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render_audit(FLEET, Format.JSON, extra=extra)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_one_row_per_finding_and_one_per_device_without_findings() -> None:
    rows = read_csv(render_audit(FLEET, Format.CSV))
    assert [(row["name"], row["context"], row["line"]) for row in rows] == [
        ("lab-pix63", "", "fixup protocol smtp 25"),
        ("lab-asa-multi", "mail", "inspect esmtp"),
        ("lab-asa-multi", "mail", "inspect esmtp tls_ok"),
        ("lab-asa-tuned", "", "inspect esmtp tls_ok"),
        ("lab-fwsm", "", ""),
        ("lab-down", "", ""),
    ]
    assert rows[2]["ports"] == "25 587"
    assert rows[2]["class"] == "mail"
    assert rows[5]["error"] == "cannot connect: refused"
    assert list(rows[0]) == [
        *("name", "context", "platform", "software", "role", "status", "side"),
        *("line", "kind", "ports", "policy", "class", "map", "scope", "error"),
    ]
    assert [row["side"] for row in rows] == ["running"] * 4 + [""] * 2


def test_csv_neutralises_formulas_from_device_data() -> None:
    rows = read_csv(render_audit([HOSTILE, HOSTILE_ERROR], Format.CSV))
    assert rows[0]["line"] == f"'{INJECTION}"
    assert rows[1]["error"] == f"'{INJECTION}"
    assert rows[0]["name"] == "evil-fw"


def test_csv_shows_extra_columns() -> None:
    rows = read_csv(
        render_audit([PIX, COMPLIANT], Format.CSV, extra={"lab-pix63": {"probe": "=1+1"}})
    )
    assert [row["probe"] for row in rows] == ["'=1+1", ""]


def test_junit_has_one_testcase_per_entry_with_failures_and_errors() -> None:
    root = ET.fromstring(render_audit(FLEET, Format.JUNIT))
    cases = root.findall(".//testcase")
    assert [case.get("name") for case in cases] == [
        "lab-pix63",
        "lab-asa-multi/mail",
        "lab-asa-tuned",
        "lab-fwsm",
        "lab-down",
    ]
    assert {case.get("classname") for case in cases} == {"pixfix.audit"}
    failures = root.findall(".//testcase/failure")
    assert [f.get("type") for f in failures] == ["exposed", "exposed"]
    assert "fixup protocol smtp 25" in (failures[0].get("message") or "")
    assert "inspect esmtp (port 25, global_policy/inspection_default, global)" in (
        failures[1].text or ""
    )
    errors = root.findall(".//testcase/error")
    assert [e.get("message") for e in errors] == ["cannot connect: refused"]
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "1")


def test_junit_notes_tuned_and_passes_compliant() -> None:
    root = ET.fromstring(render_audit([TUNED, COMPLIANT], Format.JUNIT))
    tuned, compliant = root.findall(".//testcase")
    assert "tuned" in (tuned.findtext("system-out") or "")
    assert tuned.find("failure") is None
    assert list(compliant) == []


def test_junit_stays_well_formed_with_hostile_device_text() -> None:
    root = ET.fromstring(render_audit([HOSTILE, HOSTILE_ERROR], Format.JUNIT))
    names = [case.get("name") for case in root.findall(".//testcase")]
    assert names == ["evil-fw/ctx|one", "evil2"]
    error = root.find(".//error")
    assert error is not None
    assert error.get("message") == INJECTION


def test_markdown_summary_table_then_exact_lines_of_exposed_devices() -> None:
    lines = render_audit(FLEET, Format.MARKDOWN).splitlines()
    assert lines[0] == "5 devices: 2 exposed, 1 tuned, 1 compliant, 1 error"
    assert lines[2] == "| device | software | role | status | findings | error |"
    assert lines[4] == (
        "| lab-pix63 | PIX 6.3(5) | active | exposed"
        " | fixup protocol smtp 25 (port 25, global) |  |"
    )
    assert lines[lines.index("### lab-pix63") + 2 :][:3] == [
        "```",
        "fixup protocol smtp 25",
        "```",
    ]
    context = lines.index("### lab-asa-multi/mail")
    assert lines[context + 2 : context + 5] == ["```", "inspect esmtp", "```"]
    assert "### lab-asa-tuned" not in lines


def test_markdown_escapes_pipes_newlines_and_markup_in_cells() -> None:
    odd = DeviceResult(name="fw|1", status=Status.ERROR, error="line one\nline <two>")
    text = render_audit([odd, HOSTILE], Format.MARKDOWN)
    row = text.splitlines()[4]
    assert row == "| fw\\|1 |  |  | error |  | line one<br>line \\<two\\> |"
    assert "evil-fw/ctx\\|one" in text
    assert "\x1b" not in text


def test_markdown_code_block_cannot_be_closed_by_a_line() -> None:
    sneaky = Finding(line="``` inspect esmtp ````", kind=FindingKind.INSPECT, ports=())
    text = render_audit(
        [DeviceResult(name="x", status=Status.EXPOSED, findings=(sneaky,))], Format.MARKDOWN
    )
    assert "\n`````\n``` inspect esmtp ````\n`````" in text


def test_table_shows_contexts_findings_and_the_summary_line() -> None:
    text = render_audit(FLEET, Format.TABLE)
    assert "lab-asa-multi/mail" in text
    assert "inspect esmtp (port 25, global_policy/inspection_default, global)" in text
    assert "inspect esmtp tls_ok (ports 25,587, global_policy/mail, interface outside)" in text
    assert "cannot connect: refused" in text
    assert text.splitlines()[-1] == "5 devices: 2 exposed, 1 tuned, 1 compliant, 1 error"
    assert "\x1b" not in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_table_strips_escape_sequences_and_markup_coming_from_devices() -> None:
    marked = DeviceResult(name="[red]fw[/red] :smile:", status=Status.COMPLIANT)
    text = render_audit([HOSTILE, HOSTILE_ERROR, marked], Format.TABLE)
    assert "\x1b" not in text
    assert "evil-fw/ctx|one" in text
    assert "[red]fw[/red] :smile:" in text


def test_table_colours_only_when_asked_and_never_device_escapes() -> None:
    coloured = render_audit([PIX, HOSTILE], Format.TABLE, color=True)
    assert "\x1b[" in coloured
    assert "\x1b[31m-fw" not in coloured
    assert "pwned" not in coloured


def test_table_wraps_to_a_given_width_and_shows_extra_columns() -> None:
    extra = {"lab-pix63": {"probe": {"verdict": "mailguard"}}}
    text = render_audit([PIX, CONTEXT], Format.TABLE, extra=extra, width=120)
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "probe" in text.splitlines()[0]
    assert "verdict=mailguard" in text


def test_one_device_is_singular() -> None:
    assert render_audit([PIX], Format.TABLE).splitlines()[-1] == "1 device: 1 exposed"
    assert render_audit([], Format.TABLE).splitlines()[-1] == "0 devices"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[1;31mred\x1b[0m", "red"),
        ("\x1b]0;new title\x07fw1", "fw1"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x9b2Jfw1", "fw1"),
        ("a\rb\x08c\x00d\x7f", "abcd"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("admin\u202etxt.exe", "admintxt.exe"),
        ("bad\udcffbyte", "bad\ufffdbyte"),
        ("plain text", "plain text"),
    ],
)
def test_strip_control(raw: str, shown: str) -> None:
    assert strip_control(raw) == shown


def test_report_text_docstring_examples() -> None:
    assert doctest.testmod(report_text).failed == 0
