"""The plan, rendered: plan.json, report.md and report.html (`pixfix show` is in approval.py).

Pure functions, records in and text out; `pixfix.store.plan_dir` writes what they return. The
reports are for a change board that has never heard of pixfix: one page each, what changes where,
the exact commands and how to undo them, what could go wrong, and where to sign. The HTML page is
self-contained (inline CSS, no script, no external link) because it travels as a mail
attachment, and its Content-Security-Policy forbids scripts should device text ever slip
through. Device text is data: jinja2 autoescapes the HTML, and the markdown template passes
every device value through the `md` / `code` filters (`pixfix.text`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from pixfix.audit.report import finding_text
from pixfix.errors import InputError, TemplateError
from pixfix.model import JsonDict, Role, Status
from pixfix.parse.config import config_software
from pixfix.plan.approval import sha256_hex
from pixfix.plan.entry import DeviceMeta, PlanEntry
from pixfix.resources import templates_dir
from pixfix.store.plan_dir import SAVED_SUFFIX, PlanFiles
from pixfix.text import markdown_text, strip_control

_BACKTICKS = re.compile("`+")
UNKNOWN_TRAIN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanHeader:
    """What a plan says about itself; `directory` is the plan dir as given to `--out` (the
    approve line must work from where plan was run)."""

    plan_id: str
    created_at: str
    mode: str
    reload: str
    version: str
    inventory: str | None
    offline: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()
    directory: str = "PLAN_DIR"

    def to_json(self) -> JsonDict:
        return {
            "plan_id": self.plan_id,
            "created_at": self.created_at,
            "mode": self.mode,
            "reload": self.reload,
            "pixfix_version": self.version,
            "inventory": self.inventory,
            "offline": list(self.offline),
            "limits": list(self.limits),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedDevice:
    """One plan entry with what the report needs beside it: inventory facts, the text read."""

    entry: PlanEntry
    meta: DeviceMeta
    config: str | None  # the configuration as read: the backup
    saved: str | None = None  # an `unsaved` device's saved configuration: `<stem>.saved.cfg`


@dataclass(frozen=True, slots=True, kw_only=True)
class Risk:
    tag: str  # a word or two for the summary table
    text: str  # one sentence for someone who does not know these firewalls


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffLine:
    kind: str  # add, del, hunk, file, same: the HTML colour class
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingView:
    text: str
    reason: str
    exposing: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceView:
    """One device (or context) as both reports show it; every string still raw device text."""

    label: str
    anchor: str
    software: str
    train: str
    status: str
    planned: bool
    change: str  # will change / no change / NOT PLANNED
    findings: tuple[FindingView, ...]
    commands: tuple[str, ...]
    save: tuple[str, ...]
    rollback: tuple[str, ...]
    reload: tuple[str, ...]
    diff: tuple[DiffLine, ...]
    risks: tuple[Risk, ...]
    notes: tuple[str, ...]
    fingerprint: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanView:
    """The whole report: header, counts, devices, and the hash the approvals will record."""

    header: PlanHeader
    plan_sha256: str
    statuses: tuple[str, ...]
    by_status: tuple[tuple[str, int], ...]
    by_train: tuple[tuple[str, tuple[int, ...], int], ...]
    planned: int
    unchanged: int
    devices: tuple[DeviceView, ...]


def sort_devices(devices: Sequence[PlannedDevice]) -> list[PlannedDevice]:
    """Report order, the same on every run: name, then context."""
    return sorted(devices, key=lambda d: (d.entry.name, d.entry.context or ""))


def plan_json(header: PlanHeader, entries: Sequence[PlanEntry]) -> str:
    """plan.json: the header, counts by status, and each entry's own JSON, in the order given."""
    document = {
        **header.to_json(),
        "summary": dict(_count_by_status([entry.status.value for entry in entries])),
        "devices": [entry.to_json() for entry in entries],
    }
    return json.dumps(document, indent=2) + "\n"


def _count_by_status(statuses: Sequence[str]) -> list[tuple[str, int]]:
    """Statuses present, worst first (the audit's order), then any other status by name."""
    known = [status.value for status in Status if status.value in statuses]
    ordered = [*known, *sorted(set(statuses) - set(known))]
    return [(status, statuses.count(status)) for status in ordered]


def train_of_entry(entry: PlanEntry) -> str:
    """The software train, read from the configuration the plan was made from."""
    software = config_software(entry.before) if entry.before else None
    return UNKNOWN_TRAIN if software is None else software.train.value


def _software_text(entry: PlanEntry) -> str:
    parts = (entry.platform.value.upper() if entry.platform else None, entry.software)
    return " ".join(part for part in parts if part) or "unknown"


def diff_lines(diff: str) -> tuple[DiffLine, ...]:
    """A unified diff split into lines, each with the class that colours it."""

    def kind(line: str) -> str:
        if line.startswith(("---", "+++")):
            return "file"
        return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")

    return tuple(DiffLine(kind=kind(line), text=line) for line in diff.splitlines())


_TELNET = (
    "the session, passwords included, crosses the network unencrypted "
    "(PIX 6.3 and older offer only SSHv1)"
)
_FAILOVER = {
    "active": "active unit of a failover pair: the change replicates to the standby",
    "standby": "standby unit of a failover pair: not changed here (change the active unit)",
}


def risks_of(entry: PlanEntry, meta: DeviceMeta) -> tuple[Risk, ...]:
    """What could go wrong beyond the commands themselves, one checklist item per risk.

    A device that gets no commands carries no risk of change, but a standby unit is still
    flagged (that is why it gets none), and so is every device reached over telnet: reading it
    for this plan already sent the login and enable passwords in clear, and applying would again.
    """
    telnet = (Risk(tag="legacy telnet", text=_TELNET),) if meta.transport == "telnet" else ()
    if meta.role is Role.STANDBY:
        return (Risk(tag="failover standby", text=_FAILOVER["standby"]), *telnet)
    if not entry.commands:
        return telnet
    found = []
    if entry.reload:
        where = ", in every context" if entry.context else ""
        found.append(Risk(tag="reload", text=f"the unit reboots: every connection drops{where}"))
    if meta.role is Role.ACTIVE:
        found.append(Risk(tag="failover active", text=_FAILOVER["active"]))
    if entry.context is not None:
        text = f"only context {entry.context} changes, saved inside it (never write memory all)"
        found.append(Risk(tag="multiple context", text=text))
    found.extend(telnet)
    if meta.managed_by:
        text = f"{meta.managed_by} may push its own configuration over this change: make it there"
        found.append(Risk(tag=f"managed by {meta.managed_by}", text=text))
    return tuple(found)


def _change_word(entry: PlanEntry) -> str:
    if not entry.planned:
        return "NOT PLANNED"
    return "will change" if entry.commands else "no change"


def device_view(device: PlannedDevice) -> DeviceView:
    entry = device.entry
    return DeviceView(
        label=entry.label,
        anchor="dev-" + entry.stem.replace("@", "-"),
        software=_software_text(entry),
        train=train_of_entry(entry),
        status=entry.status.value,
        planned=entry.planned,
        change=_change_word(entry),
        findings=tuple(
            FindingView(text=finding_text(f), reason=f.reason, exposing=f.exposing)
            for f in entry.findings
        ),
        commands=entry.commands,
        save=entry.save,
        rollback=entry.rollback,
        reload=entry.reload,
        diff=diff_lines(entry.diff()),
        risks=risks_of(entry, device.meta),
        notes=entry.notes,
        fingerprint=entry.fingerprint,
    )


def plan_view(header: PlanHeader, devices: Sequence[PlannedDevice], plan_sha256: str) -> PlanView:
    views = tuple(device_view(device) for device in sort_devices(devices))
    by_status = tuple(_count_by_status([view.status for view in views]))
    statuses = tuple(status for status, _ in by_status)
    by_train = tuple(
        (
            train,
            tuple(sum(1 for v in views if v.train == train and v.status == s) for s in statuses),
            sum(1 for v in views if v.train == train),
        )
        for train in sorted({view.train for view in views})
    )
    planned = sum(1 for view in views if view.commands)
    return PlanView(
        header=header,
        plan_sha256=plan_sha256,
        statuses=statuses,
        by_status=by_status,
        by_train=by_train,
        planned=planned,
        unchanged=len(views) - planned,
        devices=views,
    )


def code_span(text: str) -> str:
    """Inline markdown code that no backtick in `text` can end early.

    >>> code_span("inspect esmtp"), code_span("a`b")
    ('`inspect esmtp`', '`` a`b ``')
    """
    text = strip_control(text).replace("\n", " ")
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    if not longest:
        return f"`{text}`"
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def code_block(lines: Sequence[str], info: str = "") -> str:
    """A fenced block (with an info string such as `diff`) whose fence outruns any backticks."""
    body = "\n".join(strip_control(line) for line in lines)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


@cache
def report_environment() -> jinja2.Environment:
    """The report templates (plan and run): HTML (`*.html.j2`) autoescapes; markdown templates
    escape with their filters; undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir() / "report"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_text
    env.filters["code"] = code_span
    env.filters["block"] = code_block
    env.filters["clean"] = strip_control
    return env


def _render(name: str, **context: Any) -> str:
    try:
        return report_environment().get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"report template {name}: {exc}") from exc


def render_plan_markdown(view: PlanView) -> str:
    """report.md: the whole plan on one page, for a ticket or a mail body."""
    return _render("plan.md.j2", plan=view)


def render_plan_html(view: PlanView) -> str:
    """report.html: the same page, self-contained, with the diff coloured."""
    return _render("plan.html.j2", plan=view)


def plan_files(header: PlanHeader, devices: Sequence[PlannedDevice]) -> PlanFiles:
    """Every file of a plan directory, as text (`pixfix.store.plan_dir.write_plan_dir` writes them).

    Backups are the configurations as read; a device that could not be read has none, and
    its diff is empty like that of a device with nothing to change. Two devices with one file
    name (a configuration found twice) is an input error: one backup must never silently
    stand for two devices.
    """
    ordered = sort_devices(devices)
    stems = [d.entry.stem for d in ordered]
    twice = sorted(stem for stem, count in Counter(stems).items() if count > 1)
    if twice:
        raise InputError(f"more than one configuration for: {', '.join(twice)}")
    document = plan_json(header, [d.entry for d in ordered])
    view = plan_view(header, ordered, sha256_hex(document.encode("utf-8")))
    read = [(stem, d) for stem, d in zip(stems, ordered, strict=True) if d.config is not None]
    return PlanFiles(
        plan_json=document,
        report_md=render_plan_markdown(view),
        report_html=render_plan_html(view),
        backups={stem: _as_file(d.config or "") for stem, d in read}
        | {f"{stem}{SAVED_SUFFIX}": _as_file(d.saved) for stem, d in read if d.saved is not None},
        diffs={stem: d.entry.diff() for stem, d in read},
    )


def _as_file(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"
