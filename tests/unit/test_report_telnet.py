"""Devices read over telnet are flagged in every audit format: their passwords crossed in clear."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from pixfix.audit.formats import Format, render_audit
from pixfix.audit.report import transport_extra
from pixfix.model import DeviceResult, Status

RESULTS = [
    DeviceResult(name="pix-1", status=Status.COMPLIANT),
    DeviceResult(name="asa-1", context="admin", status=Status.COMPLIANT),
    DeviceResult(name="asa-1", context="mail", status=Status.EXPOSED),
    DeviceResult(name="saved", status=Status.COMPLIANT),  # an offline file: no transport
]
TRANSPORTS = {"pix-1": "telnet", "asa-1": "ssh"}
WARNING = (
    "warning: 1 entry was read over telnet, which sends the login and enable passwords in clear: "
    "pix-1"
)


def _render(fmt: Format, transports: dict[str, str] = TRANSPORTS) -> str:
    return render_audit(RESULTS, fmt, extra=transport_extra(RESULTS, transports))


def test_every_entry_of_a_device_gets_its_transport() -> None:
    assert transport_extra(RESULTS, TRANSPORTS) == {
        "pix-1": {"transport": "telnet"},
        "asa-1/admin": {"transport": "ssh"},
        "asa-1/mail": {"transport": "ssh"},
    }


def test_table_and_markdown_end_their_summary_with_the_warning() -> None:
    assert _render(Format.TABLE).splitlines()[-1] == WARNING
    markdown = _render(Format.MARKDOWN).splitlines()
    assert (
        markdown[2] == "**warning: 1 entry was read over telnet, which sends the login and "
        "enable passwords in clear: pix-1**"
    )


def test_machine_formats_carry_the_transport_of_each_entry() -> None:
    devices = json.loads(_render(Format.JSON))["devices"]
    assert [d.get("transport") for d in devices] == ["telnet", "ssh", "ssh", None]
    rows = list(csv.DictReader(io.StringIO(_render(Format.CSV))))
    assert [row["transport"] for row in rows] == ["telnet", "ssh", "ssh", ""]
    junit = ET.fromstring(_render(Format.JUNIT))
    case = junit.find(".//testcase[@name='pix-1']")
    assert case is not None
    assert case.find("properties/property[@name='transport']").get("value") == "telnet"  # type: ignore[union-attr]


def test_no_warning_without_telnet() -> None:
    assert "telnet" not in _render(Format.TABLE, {"pix-1": "ssh", "asa-1": "ssh"})
    assert "warning" not in render_audit(RESULTS, Format.MARKDOWN)
