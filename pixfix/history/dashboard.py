"""`pixfix report DB --out fleet.html`: the fleet's compliance over time on one page.

The page is self-contained (no script, no link to anything outside it; a Content-Security-Policy
forbids both) so that it opens from a ticket or a file share: the trend as a chart, the current
state by software train and by inventory group, the regressions still open first, and each
device's timeline. Every chart has its numbers in a table beside it, so the page reads the same
where SVG is not shown. It covers the audits of one scope (by default the one with the most
audits: the nightly job's inventory), because an ad-hoc `--limit` audit would read as a dip in
the trend.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

import jinja2

from pixfix.errors import InputError, TemplateError
from pixfix.history.charts import COLORS, state_chart, trend_chart
from pixfix.history.db import AuditRow, History
from pixfix.history.snapshot import Key, Snapshot
from pixfix.history.timeline import Change, OpenRegression, changes, open_regression, train_label
from pixfix.model import Status
from pixfix.resources import templates_dir
from pixfix.text import strip_control

STATUSES = tuple(status.value for status in COLORS)
_ORDER = {status: rank for rank, status in enumerate(("exposed", "unsaved", "error", "tuned"))}


def when(started: float) -> str:
    """An audit's time as the page shows it (local time, to the minute)."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(started))


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceView:
    label: str
    latest: Snapshot
    train: str
    changes: tuple[Change, ...]
    regression: OpenRegression | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardView:
    scope: str
    audits: tuple[AuditRow, ...]
    other_scopes: int
    devices: tuple[DeviceView, ...]
    by_train: tuple[tuple[str, dict[str, int]], ...]
    by_group: tuple[tuple[str, dict[str, int]], ...]
    when: dict[int, str]  # audit id -> its time as shown

    @property
    def latest(self) -> AuditRow:
        return self.audits[-1]

    @property
    def regressions(self) -> list[DeviceView]:
        return [device for device in self.devices if device.regression is not None]


def _count(rows: Mapping[str, list[Snapshot]]) -> tuple[tuple[str, dict[str, int]], ...]:
    counted = []
    for name in sorted(rows):
        counts = dict.fromkeys(STATUSES, 0)
        for snap in rows[name]:
            counts[snap.status.value] += 1
        counted.append((name, counts))
    return tuple(counted)


def _runs(pairs: list[tuple[int, int]], audit_ids: set[int]) -> list[tuple[int, int]]:
    """(audit id, state id) where the state differs from the audit before (within the scope):
    a device keeps its state most nights, and nothing on the page needs the repeats."""
    runs: list[tuple[int, int]] = []
    for audit_id, state_id in pairs:
        if audit_id in audit_ids and (not runs or runs[-1][1] != state_id):
            runs.append((audit_id, state_id))
    return runs


class _States:
    """The stored states, each parsed once, the first time it is needed."""

    def __init__(self, history: History) -> None:
        self._history = history
        self._bodies = history.states()
        self._parsed: dict[int, Snapshot] = {}

    def __call__(self, state_id: int) -> Snapshot:
        if state_id not in self._parsed:
            body = self._bodies[state_id]
            self._parsed[state_id] = self._history.parse("", None, body, None)
        return self._parsed[state_id]


def _spread(
    series: dict[Key, list[tuple[int, int]]], state: _States, order: dict[int, int]
) -> dict[Key, list[tuple[int, int]]]:
    """Each context also `error` in the audits where its whole unit could not be read (one
    `name` entry), and that entry left out: a unit down for a night keeps its contexts'
    verdicts and open regressions, as `pixfix.history.since` does."""
    spread = dict(series)
    for (name, context), pairs in series.items():
        whole = series.get((name, None))
        if context is None or whole is None:
            continue
        own = {audit_id for audit_id, _ in pairs}
        errors = [(a, s) for a, s in whole if a not in own and state(s).status is Status.ERROR]
        spread[(name, context)] = sorted([*pairs, *errors], key=lambda pair: order[pair[0]])
        spread.pop((name, None), None)
    return spread


def _device_views(
    history: History, audits: tuple[AuditRow, ...], order: dict[int, int]
) -> list[DeviceView]:
    state = _States(history)
    audit_ids = {row.audit_id for row in audits}
    latest = audits[-1].audit_id
    views = []
    for (name, context), pairs in _spread(history.series(), state, order).items():
        if all(audit_id != latest for audit_id, _ in pairs):
            continue  # not in the latest audit: gone
        series = [(a, _named(state(s), name, context)) for a, s in _runs(pairs, audit_ids)]
        found = changes(series)
        last = series[-1][1]
        views.append(
            DeviceView(
                label=last.label,
                latest=last,
                train=train_label(last.platform, last.software),
                changes=tuple(reversed(found)),
                regression=open_regression(series),
            )
        )
    return sorted(views, key=_rank)


def _named(snap: Snapshot, name: str, context: str | None) -> Snapshot:
    return replace(snap, name=name, context=context)


def _rank(device: DeviceView) -> tuple[int, int, str]:
    first = 0 if device.regression is not None else 1
    return (first, _ORDER.get(device.latest.status.value, 9), device.label)


def main_scope(audits: Sequence[AuditRow]) -> str:
    """The scope with the most audits (the nightly job's), the latest one on a tie: an ad-hoc
    `--limit` or offline audit run after it does not change what the page shows."""
    counts: dict[str, int] = {}
    for row in audits:
        counts[row.meta.scope] = counts.get(row.meta.scope, 0) + 1
    latest = {row.meta.scope: index for index, row in enumerate(audits)}
    return max(counts, key=lambda scope: (counts[scope], latest[scope]))


def dashboard_view(history: History, scope: str | None = None) -> DashboardView:
    """The page's content: the audits of `scope` (default: the latest audit's)."""
    every = history.audits()
    if not every:
        raise InputError(f"{history.path}: no audit recorded yet")
    chosen = scope if scope is not None else main_scope(every)
    audits = tuple(row for row in every if row.meta.scope == chosen)
    if not audits:
        raise InputError(f"{history.path}: no audit of scope {chosen!r}")
    order = {row.audit_id: index for index, row in enumerate(every)}
    devices = _device_views(history, audits, order)
    trains: dict[str, list[Snapshot]] = {}
    groups: dict[str, list[Snapshot]] = {}
    for device in devices:
        trains.setdefault(device.train, []).append(device.latest)
        for group in device.latest.groups or ("(no group)",):
            groups.setdefault(group, []).append(device.latest)
    return DashboardView(
        scope=chosen,
        audits=audits,
        other_scopes=len({row.meta.scope for row in every}) - 1,
        devices=tuple(devices),
        by_train=_count(trains),
        by_group=_count(groups),
        when={row.audit_id: when(row.meta.started) for row in audits},
    )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir() / "report"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clean"] = strip_control
    return env


def render_dashboard(view: DashboardView, *, generated: float | None = None) -> str:
    """The whole page (HTML)."""
    counts = [row.counts for row in view.audits]
    charts = {
        "trend": trend_chart([view.when[r.audit_id] for r in view.audits], counts),
        "trains": state_chart("Now, by software train", view.by_train, "chart-trains"),
        "groups": state_chart("Now, by inventory group", view.by_group, "chart-groups"),
    }
    try:
        template = _environment().get_template("dashboard.html.j2")
        return template.render(
            view=view,
            charts=charts,
            statuses=STATUSES,
            trend=trend_rows(view),
            colors={status.value: color for status, color in COLORS.items()},
            generated=when(time.time() if generated is None else generated),
        )
    except jinja2.TemplateError as exc:
        raise TemplateError(f"report template dashboard.html.j2: {exc}") from exc


def trend_rows(view: DashboardView) -> list[tuple[str, Sequence[int]]]:
    """The trend chart's numbers: per audit, devices per verdict (for the table)."""
    return [
        (view.when[row.audit_id], [row.counts.get(status, 0) for status in STATUSES])
        for row in view.audits
    ]
