"""Approvals of a plan: who signed, when, for which ticket, and the exact plan.json they saw.

An approval records the sha256 of `plan.json` as it was when it was given; `apply` trusts a plan
only while that hash still matches. Several distinct people may sign one plan (a change board
asks for two). Signing a plan whose `plan.json` no longer matches earlier approvals is refused:
the content changed under them, so the plan must be made again (`pixfix plan` drops the old
`approval.json` when it rewrites a plan directory). What `pixfix show` prints about a plan or
a run directory is rendered here too, next to the approvals it reports on.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pixfix.errors import InputError
from pixfix.model import JsonDict
from pixfix.plan.stored import entries_of, not_as_made
from pixfix.store.journal import INTERRUPTED, NOT_STARTED
from pixfix.store.plan_dir import (
    APPROVAL_FILE,
    PLAN_FILE,
    DirKind,
    dir_kind,
    locked,
    plan_bytes,
    read_json,
    write_atomic,
)
from pixfix.store.run_dir import read_run
from pixfix.text import strip_control

UNFINISHED = frozenset({INTERRUPTED, NOT_STARTED})

MAX_FIELD = 500  # a name, ticket or note longer than this is a paste accident


@dataclass(frozen=True, slots=True, kw_only=True)
class Approval:
    """One signature: `plan_sha256` is the hash of the plan.json bytes that were approved."""

    by: str
    at: str
    plan_sha256: str
    ticket: str | None = None
    note: str | None = None
    os_user: str | None = None  # who ran `pixfix approve` (the account), beside the name given

    def to_json(self) -> JsonDict:
        return {
            "by": self.by,
            "at": self.at,
            "ticket": self.ticket,
            "note": self.note,
            "plan_sha256": self.plan_sha256,
        } | ({} if self.os_user is None else {"os_user": self.os_user})


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalCheck:
    """A plan directory's approvals held against its plan.json as it is now."""

    plan_id: str
    plan_sha256: str
    approvals: tuple[Approval, ...]

    @property
    def matching(self) -> tuple[Approval, ...]:
        return tuple(a for a in self.approvals if a.plan_sha256 == self.plan_sha256)

    @property
    def stale(self) -> tuple[Approval, ...]:
        """Approvals of another plan.json: the file was edited (or replaced) after signing."""
        return tuple(a for a in self.approvals if a.plan_sha256 != self.plan_sha256)

    @property
    def approvers(self) -> tuple[str, ...]:
        """Distinct names whose approval still matches plan.json."""
        return tuple(a.by for a in self.matching)

    @property
    def approved(self) -> bool:
        """Signed at least once, and plan.json unchanged since every signature."""
        return bool(self.approvals) and not self.stale


def utc_stamp(now: datetime | None = None) -> str:
    """ISO 8601 UTC to the second, `2026-12-05T22:03:12Z` (sorts as text)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clean_field(value: str | None, field: str) -> str:
    """A name, ticket or note as stored: control characters removed, whitespace collapsed.

    >>> clean_field("  Ann\\x1b[2J  Lee ", "--by")
    'Ann Lee'
    """
    text = " ".join(strip_control(unicodedata.normalize("NFKC", value or "")).split())
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")  # zero-width, bidi marks
    if len(text) > MAX_FIELD:
        raise InputError(f"{field} is longer than {MAX_FIELD} characters")
    return text


def person_key(name: str) -> str:
    """How two approvers' names compare: normalised (NFKC), invisible characters removed,
    whitespace collapsed, case folded: `Jane Roe`, `jane  roe`, a fullwidth `J` and a
    zero-width space inside are one person.

    >>> person_key("Jane\u200b Roe") == person_key("JANE  ROE") == person_key("\uff2aane Roe")
    True
    """
    return clean_field(name, "name").casefold()


def _same_person(a: str, b: str) -> bool:
    return person_key(a) == person_key(b)


def add_approval(existing: Sequence[Approval], new: Approval) -> tuple[Approval, ...]:
    """The approvals with `new` appended; refused when plan.json changed or the signer signed.

    Names compare without regard to case: `ann` and `Ann` are one approver.
    """
    stale = [a for a in existing if a.plan_sha256 != new.plan_sha256]
    if stale:
        names = ", ".join(a.by for a in stale)
        raise InputError(
            f"plan.json changed after {names} approved it: make the plan again, do not sign it"
        )
    if any(_same_person(a.by, new.by) for a in existing):
        raise InputError(f"{new.by} has already approved this plan")
    return (*existing, new)


def approvals_json(plan_id: str, approvals: Sequence[Approval]) -> str:
    document = {"plan_id": plan_id, "approvals": [a.to_json() for a in approvals]}
    return json.dumps(document, indent=2) + "\n"


def _approval_from_json(item: Any, where: Path) -> Approval:
    if not isinstance(item, dict) or not all(
        isinstance(item.get(key), str) for key in ("by", "at", "plan_sha256")
    ):
        raise InputError(f"{where}: an approval lacks by, at or plan_sha256")
    optional = {key: item.get(key) for key in ("ticket", "note")}
    if any(value is not None and not isinstance(value, str) for value in optional.values()):
        raise InputError(f"{where}: ticket and note must be text")
    os_user = item.get("os_user")
    return Approval(
        by=item["by"],
        at=item["at"],
        plan_sha256=item["plan_sha256"],
        os_user=os_user if isinstance(os_user, str) else None,
        **optional,
    )


def load_approvals(plan_dir: Path) -> tuple[Approval, ...]:
    """The approvals in `approval.json`; none when the file does not exist."""
    path = plan_dir / APPROVAL_FILE
    if not path.exists():
        return ()
    document = read_json(path)
    items = document.get("approvals") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{path}: no approvals list")
    return tuple(_approval_from_json(item, path) for item in items)


def _plan_id(plan_dir: Path, plan_bytes: bytes) -> str:
    try:
        return str(json.loads(plan_bytes)["plan_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{plan_dir / PLAN_FILE}: not a plan (no plan_id)") from exc


def check_plan(plan_dir: Path) -> ApprovalCheck:
    """Hold the approvals of `plan_dir` against its plan.json; not a plan dir: InputError."""
    data = plan_bytes(plan_dir)
    return ApprovalCheck(
        plan_id=_plan_id(plan_dir, data),
        plan_sha256=sha256_hex(data),
        approvals=load_approvals(plan_dir),
    )


def approve(
    plan_dir: Path,
    *,
    by: str,
    ticket: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Approval:
    """Append one approval to `approval.json` (under a lock, written atomically)."""
    signer = clean_field(by, "--by")
    if not signer:
        raise InputError("--by must name who approves")
    with locked(_existing_dir(plan_dir)):
        check = check_plan(plan_dir)
        approval = Approval(
            by=signer,
            at=utc_stamp(now),
            plan_sha256=check.plan_sha256,
            ticket=clean_field(ticket, "--ticket") or None,
            note=clean_field(note, "--note") or None,
            os_user=_os_user(),
        )
        approvals = add_approval(check.approvals, approval)
        _as_apply_reads_it(plan_dir)
        write_atomic(plan_dir / APPROVAL_FILE, approvals_json(check.plan_id, approvals))
    return approval


def _as_apply_reads_it(plan_dir: Path) -> None:
    """Approve only what apply would accept: a well-formed plan.json whose every entry is the
    plan pixfix made (`pixfix.plan.stored`)."""
    where = str(plan_dir / PLAN_FILE)
    try:
        document = json.loads(plan_bytes(plan_dir))
    except ValueError as exc:
        raise InputError(f"{where}: not valid JSON: {exc}") from exc
    problem = not_as_made(plan_dir, document, entries_of(document, where))
    if problem is not None:
        raise InputError(f"refusing to approve: {problem}")


def _os_user() -> str:
    """The account running `pixfix approve`: a name given with --by is only what was typed."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return str(os.getuid())


def _existing_dir(path: Path) -> Path:
    if not path.is_dir():
        raise InputError(f"{path}: not a plan directory")
    return path


def describe_approvals(check: ApprovalCheck) -> list[str]:
    """Lines for `pixfix show`: each approval, then whether plan.json still matches them."""
    lines = [f"plan.json sha256 {check.plan_sha256}"]
    if not check.approvals:
        return [*lines, "approvals: none yet (pixfix approve DIR --by NAME)"]
    lines.append(f"approvals ({len(check.approvals)}):")
    for a in check.approvals:
        extra = "".join(f", {k} {v}" for k, v in (("ticket", a.ticket), ("note", a.note)) if v)
        mark = "" if a.plan_sha256 == check.plan_sha256 else "  [DOES NOT MATCH plan.json]"
        lines.append(f"  - {a.by} at {a.at}{extra}{mark}")
    if check.stale:
        lines.append(
            "WARNING: plan.json has changed since it was approved "
            f"({len(check.stale)} of {len(check.approvals)} approvals are for other content): "
            "this plan is NOT approved; make it again with pixfix plan"
        )
    else:
        lines.append(f"plan.json matches its approvals: approved by {', '.join(check.approvers)}")
    return [strip_control(line) for line in lines]


def _list_of(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    return value if isinstance(value, list) else []


def _device_label(device: Any) -> str:
    if not isinstance(device, dict):
        return "?"
    name, context = str(device.get("name", "?")), device.get("context")
    return name if context is None else f"{name}/{context}"


def _device_lines(devices: list[Any], *, run: bool = False) -> list[str]:
    """One line per device (status, command count), then its commands indented; for a run,
    the reason of a device the run did not finish, and what to do about it by hand."""
    lines = []
    for device in devices:
        info = device if isinstance(device, dict) else {}
        commands = [str(c) for c in info.get("commands") or []]
        state = info.get("outcome") or info.get("status") or "?"
        lines.append(f"  {_device_label(device)}: {state}, {len(commands)} command(s)")
        lines.extend(f"      {command}" for command in commands)
        if run and state in UNFINISHED:
            lines.append(f"    {info.get('reason')}")
            lines.extend(f"    by hand: {step}" for step in info.get("manual") or [])
    return lines


def render_show(document: Any, approval_lines: Sequence[str]) -> str:
    """`pixfix show` of a plan: what it is, per device what it would send, then approvals."""
    plan = document if isinstance(document, dict) else {}
    source = (
        f"inventory {plan['inventory']}"
        if plan.get("inventory") is not None
        else f"saved configurations {', '.join(map(str, plan.get('offline') or []))}"
    )
    devices = _list_of(plan, "devices")
    changing = sum(1 for d in devices if isinstance(d, dict) and bool(d.get("commands")))
    lines = [
        f"plan {plan.get('plan_id')}, created {plan.get('created_at')}, mode {plan.get('mode')},"
        f" reload {plan.get('reload')}, pixfix {plan.get('pixfix_version')}",
        f"made from {source}",
        f"devices ({len(devices)}), {changing} to change:",
        *_device_lines(devices),
        *approval_lines,
    ]
    return "".join(strip_control(line) + "\n" for line in lines)


def render_run_summary(run_id: str, document: Any) -> str:
    """`pixfix show` of a run directory: its scalar fields, then each device's outcome."""
    run = document if isinstance(document, dict) else {}
    lines = [f"run {run_id}"]
    lines += [f"{k}: {v}" for k, v in run.items() if isinstance(v, str | int | float | None)]
    devices = _list_of(run, "devices")
    lines += [f"devices ({len(devices)}):", *_device_lines(devices, run=True)]
    return "".join(strip_control(line) + "\n" for line in lines)


def render_directory(directory: Path) -> str:
    """`pixfix show`: a plan with its approvals and whether plan.json matches them, or a run."""
    kind = dir_kind(directory)
    if kind is DirKind.PLAN:
        check = check_plan(directory)
        return render_show(read_json(directory / PLAN_FILE), describe_approvals(check))
    if kind is DirKind.RUN:
        return render_run_summary(directory.name, read_run(directory))
    raise InputError(f"{directory}: not a plan directory (no {PLAN_FILE}) nor a run")
