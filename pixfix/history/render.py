"""`pixfix history`: the fleet audit by audit, or one device's timeline, as text or JSON (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pixfix.history.dashboard import STATUSES, when
from pixfix.history.db import AuditRow
from pixfix.history.snapshot import Snapshot
from pixfix.history.timeline import changes
from pixfix.text import strip_control


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]  # fmt: skip


def render_audits(audits: Sequence[AuditRow]) -> str:
    """One line per audit, oldest first: when, where from, and devices per verdict."""
    header = ["audit", "started", "source", "devices", *STATUSES, "scope"]
    rows = [
        [
            f"#{row.audit_id}",
            when(row.meta.started),
            row.meta.source,
            str(sum(row.counts.values())),
            *(str(row.counts.get(status, 0)) for status in STATUSES),
            strip_control(row.meta.scope),
        ]
        for row in audits
    ]
    return "\n".join(_table(header, rows)) + f"\n{len(audits)} audits\n"


def audits_json(audits: Sequence[AuditRow]) -> str:
    items = [
        {
            "audit": row.audit_id,
            "started": row.meta.started,
            "seconds": row.meta.seconds,
            "source": row.meta.source,
            "scope": row.meta.scope,
            "inventory": row.meta.inventory,
            "version": row.meta.version,
            "host": row.meta.host,
            "counts": {status: row.counts.get(status, 0) for status in STATUSES},
        }
        for row in audits
    ]
    return json.dumps({"audits": items}, indent=2) + "\n"


def _details(snap: Snapshot) -> str:
    lines = snap.lines_of(snap.exposed_sides())
    return strip_control("; ".join(lines) if lines else snap.error or "")


def render_timeline(
    label: str, series: Sequence[tuple[int, Snapshot]], started: dict[int, float]
) -> str:
    """The audits in which the device changed (verdict, configuration, software, role)."""
    found = changes(series)
    header = ["audit", "started", "status", "software", "role", "changed", "lines / error"]
    rows = [
        [
            f"#{c.audit_id}",
            when(started[c.audit_id]),
            c.snapshot.status.value,
            strip_control(c.snapshot.software or ""),
            c.snapshot.role or "",
            ", ".join(c.what),
            _details(c.snapshot),
        ]
        for c in found
    ]
    summary = f"{strip_control(label)}: {len(series)} audits, {len(found)} changes"
    return "\n".join([*_table(header, rows), summary]) + "\n"


def timeline_json(
    label: str, series: Sequence[tuple[int, Snapshot]], started: dict[int, float]
) -> str:
    items = [
        {
            "audit": c.audit_id,
            "started": started[c.audit_id],
            "status": c.snapshot.status.value,
            "running": c.snapshot.running.value,
            "saved": None if c.snapshot.saved is None else c.snapshot.saved.value,
            "software": c.snapshot.software,
            "role": c.snapshot.role,
            "fingerprint": c.snapshot.fingerprint,
            "changed": list(c.what),
            "lines": list(c.snapshot.lines_of(c.snapshot.exposed_sides())),
            "error": c.snapshot.error,
        }
        for c in changes(series)
    ]
    return json.dumps({"device": label, "audits": len(series), "changes": items}, indent=2) + "\n"
