"""Pure renderers: records in, text out. Where the text goes (screen, `-o FILE`, a run
directory) is decided by the CLI and the run store, never here.

Everything a device said is data: each format neutralises what could act in it (terminal escape
sequences, spreadsheet formulas, markdown and HTML markup, characters XML forbids); see
`pixfix.text`. The audit formats live in `pixfix.audit.report`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum

from pixfix.audit.prometheus import render_prometheus
from pixfix.audit.report import (
    AuditView,
    audit_summary,
    audit_view,
    render_csv,
    render_json,
    render_junit,
    render_markdown,
    render_table,
)
from pixfix.audit.since_report import since_prometheus
from pixfix.history.since import Since
from pixfix.model import DeviceResult, Status
from pixfix.text import strip_control

__all__ = [
    "Format",
    "audit_exit_code",
    "audit_summary",
    "render_audit",
    "strip_control",
]


class Format(Enum):
    """Report formats of `pixfix audit --format`."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    PROMETHEUS = "prometheus"  # a node_exporter textfile (`pixfix.audit.prometheus`)


_RENDERERS: dict[Format, Callable[[AuditView], str]] = {
    Format.JSON: render_json,
    Format.CSV: render_csv,
    Format.JUNIT: render_junit,
    Format.MARKDOWN: render_markdown,
}


def render_audit(
    results: Sequence[DeviceResult],
    fmt: Format,
    *,
    color: bool = False,
    extra: Mapping[str, Mapping[str, object]] | None = None,
    width: int | None = None,
    timing: tuple[float, float] | None = None,
    since: Since | None = None,
) -> str:
    """The audit report as text, entries in the order given.

    `extra[label]` (label: `name` or `name/context`) adds fields to that entry: merged into its
    JSON object, extra columns in table, markdown and CSV, properties in JUnit. A label that is
    not in `results`, or a key that would replace a report field, raises ValueError. `color`
    and `width` only apply to the table: pass a terminal's width to wrap cells to fit it;
    without one the table is as wide as its content (what a file wants). `timing` (the audit's
    start as a Unix time, and its seconds) is for the Prometheus textfile. `since` (the
    difference to an earlier recorded audit) is carried by every format but CSV.
    """
    view = audit_view(results, extra or {}, since)
    if fmt is Format.TABLE:
        return render_table(view, color=color, width=width)
    if fmt is Format.PROMETHEUS:
        started, seconds = timing or (0.0, 0.0)
        text = render_prometheus(results, started=started, seconds=seconds)
        return text if since is None else text + since_prometheus(since)
    return _RENDERERS[fmt](view)


REGRESSION_EXIT = 4


def audit_exit_code(results: Sequence[DeviceResult], since: Since | None = None) -> int:
    """4 when some device is exposed again since the reference audit (wins: a scheduled job
    pages on it), 3 when some entry could not be audited, 1 when some is exposed or unsaved,
    else 0."""
    if since is not None and since.regressions:
        return REGRESSION_EXIT
    statuses = {result.status for result in results}
    if Status.ERROR in statuses:
        return 3
    return 1 if statuses & {Status.EXPOSED, Status.UNSAVED} else 0
