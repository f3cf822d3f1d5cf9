"""A run, rendered: result.json, report.md, report.html, and what the terminal shows.

Pure functions, records in and text out; `pixfix.store.run_dir` writes (and redacts) what they
return. The reports are for whoever reviews the change afterwards: per device the outcome and
why, the exact lines sent, the configuration diff as applied (before-backup to after-backup),
the verification and probe, the dead-man timer, and for `needs-attention` what to do by hand.
Device text is data: HTML autoescapes, markdown goes through the `md` / `code` / `block` filters.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from pixfix.apply.left import left_line
from pixfix.apply.model import DeviceRecord, Outcome
from pixfix.errors import TemplateError
from pixfix.model import JsonDict
from pixfix.plan.report import diff_lines, report_environment
from pixfix.text import strip_control

_ORDER = [outcome.value for outcome in Outcome]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunHeader:
    """What a run says about itself; `source` is the plan (apply) or the apply run (rollback)."""

    run_id: str
    kind: str
    dry_run: bool
    started_at: str
    finished_at: str | None
    version: str
    source: JsonDict
    inventory: str | None
    options: JsonDict

    def to_json(self) -> JsonDict:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "dry_run": self.dry_run,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "pixfix_version": self.version,
            ("plan" if self.kind == "apply" else "rollback_of"): self.source,
            "inventory": self.inventory,
            "options": self.options,
        }


def counts(records: Sequence[DeviceRecord]) -> list[tuple[str, int]]:
    """Outcomes present, in the order of `Outcome`, with how many devices ended so."""
    found = Counter(record.status.value for record in records)
    return [(status, found[status]) for status in _ORDER if found[status]]


def result_document(
    header: RunHeader,
    records: Sequence[DeviceRecord],
    exit_code: int | None,
    *,
    interrupted: bool = False,
) -> JsonDict:
    """result.json; `exit_code` None while the run is still going."""
    status = "running" if exit_code is None else "interrupted" if interrupted else "finished"
    running = {"pid": os.getpid(), "host": socket.gethostname()} if exit_code is None else {}
    return {
        **header.to_json(),
        **running,  # who writes it, while it runs: `pixfix show` tells a live run from a dead one
        "status": status,
        "exit_code": exit_code,
        "summary": dict(counts(records)),
        "warnings": dict(Counter(w for r in records for w in r.warnings)),
        "devices": [record.to_json() for record in records],
    }


def _context(header: RunHeader, records: Sequence[DeviceRecord]) -> dict[str, Any]:
    devices = [
        {
            "record": record,
            "anchor": "dev-" + record.label.replace("/", "-"),
            "diff": diff_lines(record.diff),
            "difference": diff_lines(record.difference),
        }
        for record in records
    ]
    return {"run": header, "counts": counts(records), "devices": devices}


def _render(name: str, header: RunHeader, records: Sequence[DeviceRecord]) -> str:
    try:
        return report_environment().get_template(name).render(**_context(header, records))
    except jinja2.TemplateError as exc:
        raise TemplateError(f"report template {name}: {exc}") from exc


def render_run_markdown(header: RunHeader, records: Sequence[DeviceRecord]) -> str:
    return _render("run.md.j2", header, records)


def render_run_html(header: RunHeader, records: Sequence[DeviceRecord]) -> str:
    return _render("run.html.j2", header, records)


def _device_lines(record: DeviceRecord) -> list[str]:
    lines = [f"{record.label:<28} {record.status.value:<18} {record.reason}"]
    lines += [f"{'':<28} warning: {warning}" for warning in record.warnings]
    lines += [f"{'':<28} would send: {line}" for line in record.would_send]
    if record.would_send:  # a dry run: say what else it found (the window, the timer)
        lines += [f"{'':<28} note: {note}" for note in record.notes]
    if record.difference:
        lines += [f"{'':<28} | {line}" for line in record.difference.splitlines()[:40]]
    lines += [f"{'':<28} by hand: {step}" for step in record.manual]
    return lines


def console_text(header: RunHeader, records: Sequence[DeviceRecord], where: str) -> str:
    """What the terminal shows at the end: one block per device, then the summary."""
    title = f"{header.kind}{' (dry run)' if header.dry_run else ''} {header.run_id}"
    lines = [title]
    for record in records:
        lines += _device_lines(record)
    summary = ", ".join(f"{count} {status}" for status, count in counts(records))
    disagree = sum(1 for r in records if "probe-disagrees" in r.warnings)
    if disagree:
        summary += f" ({disagree} with probe-disagrees)"
    lines.append(f"{len(records)} device(s): {summary or 'none'}; record in {where}")
    left = left_line(records)
    if left is not None:
        lines.append(left)
    return "".join(strip_control(line) + "\n" for line in lines)
