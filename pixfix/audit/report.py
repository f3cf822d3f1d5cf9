"""The audit report in each format: table, JSON, CSV, JUnit XML and markdown.

Each renderer takes an `AuditView` (the results in report order plus their extra columns,
checked once) and returns the whole text. Device text goes through `pixfix.text` on its
way into every format but JSON, whose encoder escapes control characters itself.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pixfix.audit.since_report import add_since_suite, since_lines, since_markdown
from pixfix.history.since import Since
from pixfix.model import DeviceResult, Finding, Status
from pixfix.text import (
    csv_cell,
    display,
    json_default,
    markdown_code_block,
    markdown_text,
    strip_control,
    xml_text,
)

DEVICE_KEYS = ("name", "context", "platform", "software", "role", "status", "findings", "error")
FINDING_KEYS = ("line", "kind", "ports", "policy", "class", "map", "scope")
COLUMNS = ("device", "software", "role", "status", "findings", "error")
RESERVED_KEYS = frozenset({*DEVICE_KEYS, *FINDING_KEYS, *COLUMNS})
MAX_TABLE_WIDTH = 1000  # without a width the table is as wide as its content, up to this
JUNIT_CLASS = "pixfix.audit"
TRANSPORT = "transport"  # the extra column saying how each device was reached
CLEARTEXT = "telnet"

_STATUS_STYLE = {
    Status.EXPOSED: "bold red",
    Status.UNSAVED: "bold red",
    Status.TUNED: "yellow",
    Status.COMPLIANT: "green",
    Status.ERROR: "bold magenta",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditView:
    """The results in report order, with the extra columns each entry carries (by label)."""

    results: tuple[DeviceResult, ...]
    extra: Mapping[str, Mapping[str, object]]
    columns: tuple[str, ...]
    since: Since | None = None  # the difference to an earlier recorded audit (`--since`)

    def extra_of(self, result: DeviceResult) -> Mapping[str, object]:
        return self.extra.get(result.label, {})


def audit_view(
    results: Sequence[DeviceResult],
    extra: Mapping[str, Mapping[str, object]],
    since: Since | None = None,
) -> AuditView:
    """Check the extra columns once: a label no result has, or a key that would overwrite a
    report field, raises ValueError (else a misspelt label would drop its columns silently)."""
    unknown = sorted(set(extra) - {result.label for result in results})
    if unknown:
        raise ValueError(f"extra columns for entries not in the results: {', '.join(unknown)}")
    columns = tuple(dict.fromkeys(key for values in extra.values() for key in values))
    clashing = sorted(set(columns) & RESERVED_KEYS)
    if clashing:
        raise ValueError(f"extra columns may not replace report fields: {', '.join(clashing)}")
    return AuditView(results=tuple(results), extra=extra, columns=columns, since=since)


def transport_extra(
    results: Sequence[DeviceResult], transports: Mapping[str, str]
) -> dict[str, dict[str, object]]:
    """The `transport` column for `render_audit(extra=...)`, from device name to `ssh`/`telnet`.

    Every entry of a device gets it, contexts included; names not in `transports` (offline
    audits of saved files) get none.
    """
    return {r.label: {TRANSPORT: transports[r.name]} for r in results if r.name in transports}


def cleartext_warning(view: AuditView) -> str | None:
    """One line naming the entries read over telnet: their passwords crossed the network in
    clear (PIX <= 6.3 offers only SSHv1, which pixfix cannot speak). None when there are none."""
    names = [r.label for r in view.results if view.extra_of(r).get(TRANSPORT) == CLEARTEXT]
    if not names:
        return None
    noun = "entry was" if len(names) == 1 else "entries were"
    return (
        f"warning: {len(names)} {noun} read over telnet, which sends the login and enable "
        f"passwords in clear: {', '.join(names)}"
    )


def audit_summary(results: Sequence[DeviceResult]) -> dict[str, int]:
    """Entries per status (every status, zero included, so scripts see a fixed shape) and total."""
    counts = {status.value: 0 for status in Status}
    for result in results:
        counts[result.status.value] += 1
    return {**counts, "total": len(results)}


def summary_line(results: Sequence[DeviceResult]) -> str:
    """`11 devices: 6 exposed, 1 tuned, 3 compliant, 1 error` (statuses with no entry left out)."""
    counts = audit_summary(results)
    total = counts["total"]
    parts = [f"{counts[status.value]} {status.value}" for status in Status if counts[status.value]]
    noun = "device" if total == 1 else "devices"
    return f"{total} {noun}: {', '.join(parts)}" if parts else f"{total} {noun}"


def finding_text(finding: Finding) -> str:
    """`inspect esmtp (port 25, global_policy/inspection_default, global)`: the line, then where.

    No ports means the class matches every port (access-list, `match any`, class-default).
    """
    ports = ",".join(str(port) for port in finding.ports)
    where = [f"port{'s' if len(finding.ports) > 1 else ''} {ports}" if ports else "any port"]
    if finding.policy or finding.class_name:
        where.append(f"{finding.policy or '?'}/{finding.class_name or '?'}")
    if finding.scope:
        where.append(finding.scope)
    return f"{finding.line} ({', '.join(where)})"


def _software_text(result: DeviceResult) -> str:
    platform = None if result.platform is None else result.platform.value.upper()
    return " ".join(part for part in (platform, result.software) if part)


def _cells(view: AuditView, result: DeviceResult) -> list[str]:
    """The screen columns of one entry, raw: each format makes them safe its own way."""
    extra = view.extra_of(result)
    return [
        result.label,
        _software_text(result),
        result.role.value if result.role else "",
        result.status.value,
        "\n".join([*map(finding_text, result.findings), *_saved_lines(result)]),
        result.error or "",
        *(display(extra.get(column)) for column in view.columns),
    ]


def _saved_lines(result: DeviceResult) -> list[str]:
    """An unsaved entry's other side: what the saved configuration would bring back."""
    if result.status is not Status.UNSAVED or result.saved is None:
        return []
    return [f"saved: {finding_text(finding)}" for finding in result.saved.findings]


def render_table(view: AuditView, *, color: bool, width: int | None) -> str:
    """A rich table, then the summary line; escape codes only when `color` is asked for.

    Cells wrap to fit `width` (a terminal's); without one, rows are as long as their content.
    """
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in (*COLUMNS, *view.columns):  # fold, never crop: no cell may lose text
        table.add_column(strip_control(column), overflow="fold")
    for result in view.results:
        cells = [Text(strip_control(cell)) for cell in _cells(view, result)]
        cells[3].stylize(_STATUS_STYLE[result.status])
        table.add_row(*cells)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or MAX_TABLE_WIDTH,
        color_system="standard" if color else None,
        force_terminal=color,
        force_jupyter=False,
        force_interactive=False,
        legacy_windows=False,
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(table)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    warning = cleartext_warning(view)
    footer = [summary_line(view.results), *([strip_control(warning)] if warning else [])]
    since = [] if view.since is None else ["", *since_lines(view.since)]
    return "\n".join([*lines, *footer, *since]) + "\n"


def render_json(view: AuditView) -> str:
    """`{"devices": [...], "summary": {...}}`; extra columns are merged into each device."""
    devices = [{**result.to_json(), **view.extra_of(result)} for result in view.results]
    document: dict[str, object] = {"devices": devices, "summary": audit_summary(view.results)}
    if view.since is not None:
        document["since"] = view.since.to_json()
    return json.dumps(document, indent=2, default=json_default) + "\n"


def _finding_cells(finding: Finding | None) -> list[str]:
    if finding is None:
        return [""] * len(FINDING_KEYS)
    ports = " ".join(str(port) for port in finding.ports) or "any"
    optional = (finding.policy, finding.class_name, finding.map_name, finding.scope)
    return [finding.line, finding.kind.value, ports, *(value or "" for value in optional)]


def render_csv(view: AuditView) -> str:
    """One row per finding (an entry without findings gets one row), after a header row.

    Ports are space-separated; `any` means the class matches every port.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [*DEVICE_KEYS[:6], "side", *FINDING_KEYS, "error", *view.columns]
    writer.writerow([csv_cell(name) for name in header])
    for result in view.results:
        device = [
            result.name,
            result.context or "",
            *_software_cells(result),
            result.role.value if result.role else "",
        ]
        extra = view.extra_of(result)
        extras = [display(extra.get(column)) for column in view.columns]
        for side, finding in _sided_findings(result):
            row = [*device, result.status.value, side, *_finding_cells(finding)]
            writer.writerow([csv_cell(cell) for cell in [*row, result.error or "", *extras]])
    return buffer.getvalue()


def _sided_findings(result: DeviceResult) -> list[tuple[str, Finding | None]]:
    """Each finding with the configuration it is in (an unsaved entry's saved side too); an
    entry without findings gets one row."""
    rows: list[tuple[str, Finding | None]] = [("running", f) for f in result.findings]
    if result.status is Status.UNSAVED and result.saved is not None:
        rows += [("saved", f) for f in result.saved.findings]
    return rows or [("", None)]


def _software_cells(result: DeviceResult) -> list[str]:
    return ["" if result.platform is None else result.platform.value, result.software or ""]


def _finding_lines(findings: Sequence[Finding]) -> str:
    return "\n".join(
        finding_text(finding) + (f": {finding.reason}" if finding.reason else "")
        for finding in findings
    )


def _testcase(suite: ET.Element, result: DeviceResult, extra: Mapping[str, object]) -> None:
    """One testcase: exposed fails, error errs, compliant and tuned pass (tuned with a note)."""
    case = ET.SubElement(suite, "testcase", classname=JUNIT_CLASS, name=xml_text(result.label))
    if extra:
        properties = ET.SubElement(case, "properties")
        for key, value in extra.items():
            ET.SubElement(
                properties, "property", name=xml_text(key), value=xml_text(display(value))
            )
    details = xml_text(_finding_lines(result.findings))
    if result.status is Status.EXPOSED:
        lines = "; ".join(dict.fromkeys(f.line for f in result.findings if f.exposing))
        message = "SMTP inspection breaks ESMTP" + (f": {lines}" if lines else "")
        ET.SubElement(case, "failure", message=xml_text(message), type="exposed").text = details
    elif result.status is Status.UNSAVED and result.saved is not None:
        lines = "; ".join(dict.fromkeys(f.line for f in result.saved.findings if f.exposing))
        message = f"fixed in the running configuration only; the saved one has: {lines}"
        saved = xml_text(_finding_lines(result.saved.findings))
        ET.SubElement(case, "failure", message=xml_text(message), type="unsaved").text = saved
    elif result.status is Status.ERROR:
        message = xml_text(result.error or "could not be audited")
        ET.SubElement(case, "error", message=message, type="error").text = message
    elif result.status is Status.TUNED:
        note = "tuned: every bound ESMTP inspection allows TLS and shows the banner"
        ET.SubElement(case, "system-out").text = f"{note}\n{details}"


def render_junit(view: AuditView) -> str:
    """JUnit XML for CI gates: one testcase per entry, named by its label."""
    counts = audit_summary(view.results)
    totals = {
        "tests": str(counts["total"]),
        "failures": str(counts[Status.EXPOSED.value] + counts[Status.UNSAVED.value]),
        "errors": str(counts[Status.ERROR.value]),
        "skipped": "0",
    }
    root = ET.Element("testsuites", {"name": "pixfix audit", **totals})
    suite = ET.SubElement(root, "testsuite", {"name": JUNIT_CLASS, **totals})
    for result in view.results:
        _testcase(suite, result, view.extra_of(result))
    if view.since is not None:
        add_since_suite(root, view.since)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _exposed_section(result: DeviceResult) -> list[str]:
    """The exact configuration lines to change (the exposing ones, each once)."""
    exposing = [f.line for f in result.findings if f.exposing] or [f.line for f in result.findings]
    if not exposing:
        return []
    return [
        "",
        f"### {markdown_text(result.label)}",
        "",
        markdown_code_block(dict.fromkeys(exposing)),
    ]


def _unsaved_section(label: str, findings: Sequence[Finding]) -> list[str]:
    """The lines the saved configuration still has (a reload brings them back)."""
    exposing = [f.line for f in findings if f.exposing] or [f.line for f in findings]
    return [
        "",
        f"### {markdown_text(label)} (unsaved: the saved configuration has)",
        "",
        markdown_code_block(dict.fromkeys(exposing)),
    ]


def render_markdown(view: AuditView) -> str:
    """A summary line, a table of every entry, then the exact lines of each exposed entry."""
    header = [markdown_text(column) for column in (*COLUMNS, *view.columns)]
    lines = [summary_line(view.results), ""]
    if (warning := cleartext_warning(view)) is not None:
        lines += [f"**{markdown_text(warning)}**", ""]
    lines.append(_markdown_row(header))
    lines.append(_markdown_row(["---"] * len(header)))
    for result in view.results:
        lines.append(_markdown_row([markdown_text(cell) for cell in _cells(view, result)]))
    for result in view.results:
        if result.status is Status.EXPOSED:
            lines.extend(_exposed_section(result))
        elif result.status is Status.UNSAVED and result.saved is not None:
            lines.extend(_unsaved_section(result.label, result.saved.findings))
    if view.since is not None:
        lines.extend(since_markdown(view.since))
    return "\n".join(lines) + "\n"
