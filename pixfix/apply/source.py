"""What apply and rollback start from: an approved plan directory, or an apply's run directory.

Apply trusts a plan only as approved: `plan.json` is read once, its sha256 is held against every
approval in `approval.json` (all must match, and at least `--require-approvals N` distinct
people must have signed), and the entries are parsed from those very bytes, so a file swapped
between the check and the use cannot be applied. Everything refused here is an input error
(exit 2) raised before any device is touched, so no run directory exists for it.

Rollback starts from the record an apply wrote (result.json): each device the apply changed
(`applied`) carries its plan entry, the fingerprint of the configuration the apply left and
the after-backup; every other device has nothing to roll back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pixfix.apply.model import Outcome
from pixfix.errors import InputError, PredictError
from pixfix.model import Finding, FindingKind, Platform, Status
from pixfix.parse.config import config_software
from pixfix.parse.normalize import config_fingerprint
from pixfix.plan.approval import Approval, ApprovalCheck, load_approvals, sha256_hex
from pixfix.plan.model import Mode, PlanEntry
from pixfix.plan.predict import predict
from pixfix.store.plan_dir import BACKUPS, PLAN_FILE, plan_bytes
from pixfix.store.run_dir import AFTER, BEFORE, read_backup, read_run


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedPlan:
    """An approved plan: its identity, who approved it, and its entries."""

    directory: Path
    plan_id: str
    sha256: str
    approvals: tuple[Approval, ...]
    entries: tuple[PlanEntry, ...]
    inventory: str | None
    mode: str

    def backup(self, stem: str) -> str | None:
        """The configuration the plan was made from (to show drift against)."""
        path = self.directory / BACKUPS / f"{stem}.cfg"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            return None


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise InputError(f"{where}: {key} is missing or not text")
    return value


def _optional(item: Mapping[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}: {key} is not text")
    return value


def _lines(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise InputError(f"{where}: {key} is not a list of lines")
    return tuple(value)


_E = TypeVar("_E", bound=Enum)


def _enum(kind: type[_E], item: dict[str, Any], key: str, where: str) -> _E:
    try:
        return kind(item.get(key))
    except ValueError:
        raise InputError(f"{where}: unknown {key} {item.get(key)!r}") from None


def _finding(item: Any, where: str) -> Finding:
    if not isinstance(item, dict):
        raise InputError(f"{where}: a finding is not an object")
    ports = item.get("ports", [])
    if not isinstance(ports, list) or not all(isinstance(p, int) for p in ports):
        raise InputError(f"{where}: a finding's ports are not numbers")
    try:
        kind = FindingKind(item.get("kind"))
    except ValueError:
        raise InputError(f"{where}: unknown finding kind {item.get('kind')!r}") from None
    return Finding(
        line=_text(item, "line", where),
        kind=kind,
        ports=tuple(ports),
        policy=_optional(item, "policy", where),
        class_name=_optional(item, "class", where),
        map_name=_optional(item, "map", where),
        scope=_optional(item, "scope", where),
    )


def entry_from_json(item: Any, where: str) -> PlanEntry:
    """A plan entry back from its plan.json form (`PlanEntry.to_json`)."""
    if not isinstance(item, dict):
        raise InputError(f"{where}: a device entry is not an object")
    findings = item.get("findings", [])
    if not isinstance(findings, list):
        raise InputError(f"{where}: findings is not a list")
    mode = _enum(Mode, item, "mode", where)
    status = _enum(Status, item, "status", where)
    platform = None if item.get("platform") is None else _enum(Platform, item, "platform", where)
    return PlanEntry(
        name=_text(item, "name", where),
        context=_optional(item, "context", where),
        platform=platform,
        software=_optional(item, "software", where),
        status=status,
        findings=tuple(_finding(f, where) for f in findings),
        commands=_lines(item, "commands", where),
        save=_lines(item, "save", where),
        reload=_lines(item, "reload", where),
        rollback=_lines(item, "rollback", where),
        fingerprint=_optional(item, "fingerprint", where),
        notes=_lines(item, "notes", where),
        mode=mode,
        planned=bool(item.get("planned", False)),
    )


def approval_refusal(check: ApprovalCheck, require: int) -> str | None:
    """Why a plan may not be applied (None: it may): unsigned, changed, or too few signers."""
    if not check.approvals:
        return f"plan {check.plan_id} is not approved (pixfix approve PLAN_DIR --by NAME)"
    if check.stale:
        names = ", ".join(a.by for a in check.stale)
        return (
            f"plan.json has changed since {names} approved it (its sha256 is now "
            f"{check.plan_sha256}): refusing to apply; make the plan again"
        )
    signers = {a.by.casefold(): a.by for a in check.matching}
    if len(signers) < require:
        who = ", ".join(signers.values())
        return f"plan {check.plan_id} has {len(signers)} approval(s) ({who}); {require} required"
    return None


def load_approved_plan(plan_dir: Path, *, require: int) -> LoadedPlan:
    """The plan in `plan_dir`, if approved by at least `require` people and unchanged since."""
    data = plan_bytes(plan_dir)
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise InputError(f"{plan_dir / PLAN_FILE}: not valid JSON: {exc}") from exc
    plan_id = str(document.get("plan_id"))
    check = ApprovalCheck(
        plan_id=plan_id, plan_sha256=sha256_hex(data), approvals=load_approvals(plan_dir)
    )
    refusal = approval_refusal(check, require)
    if refusal is not None:
        raise InputError(refusal)
    devices = document.get("devices")
    if not isinstance(devices, list):
        raise InputError(f"{plan_dir / PLAN_FILE}: no devices list")
    where = str(plan_dir / PLAN_FILE)
    inventory = document.get("inventory")
    return LoadedPlan(
        directory=plan_dir,
        plan_id=plan_id,
        sha256=check.plan_sha256,
        approvals=check.matching,
        entries=tuple(entry_from_json(item, where) for item in devices),
        inventory=inventory if isinstance(inventory, str) else None,
        mode=str(document.get("mode")),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    """One device of an apply run, as rollback sees it."""

    entry: PlanEntry
    status: str
    after_fingerprint: str | None
    after: str | None  # the after-backup text (an interrupted device: as the plan predicts it)
    before: str | None = None  # an interrupted device: its before-backup

    @property
    def changed(self) -> bool:
        """Applied, or in flight when the apply stopped after reading it (it may be changed:
        rollback reads it and undoes what it finds)."""
        return self.status == Outcome.APPLIED.value or (
            self.status == Outcome.INTERRUPTED.value and self.after is not None
        )


def _as_if_applied(run_dir: Path, entry: PlanEntry) -> tuple[str | None, str | None]:
    """A device the apply was changing when it stopped: its before-backup with every planned
    command carried out (fingerprint and text), which rollback holds the device against.
    (None, None) when the apply stopped before it read the device: nothing was sent to it."""
    before = read_backup(run_dir, entry.stem, BEFORE)
    software = config_software(before) if before is not None else None
    if before is None or software is None:
        return None, None
    try:
        after = predict(before, entry.commands, software.train)
    except PredictError:
        return None, before  # no prediction: any state but the original one is drift
    return config_fingerprint(after), after


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedRun:
    """An apply run directory to roll back."""

    directory: Path
    run_id: str
    plan_id: str | None
    inventory: str | None
    devices: tuple[Applied, ...]


def load_apply_run(run_dir: Path) -> LoadedRun:
    """The devices of an apply run (not a dry run, not a rollback) with what they need."""
    document = read_run(run_dir)
    if document.get("kind") != "apply" or document.get("dry_run"):
        raise InputError(
            f"{run_dir}: only the run directory of an apply (not a dry run) rolls back"
        )
    where = str(run_dir / "result.json")
    devices = []
    for item in document["devices"]:
        if not isinstance(item, dict):
            raise InputError(f"{where}: a device record is not an object")
        entry = entry_from_json(item.get("plan"), where)
        status = str(item.get("status"))
        before = None
        if status == Outcome.INTERRUPTED.value:
            fingerprint, after = _as_if_applied(run_dir, entry)
            before = read_backup(run_dir, entry.stem, BEFORE)
        else:
            fingerprint = _optional(item, "after_fingerprint", where)
            applied = status == Outcome.APPLIED.value
            after = read_backup(run_dir, entry.stem, AFTER) if applied else None
        devices.append(
            Applied(
                entry=entry,
                status=status,
                after_fingerprint=fingerprint,
                after=after,
                before=before,
            )
        )
    plan = document.get("plan") if isinstance(document.get("plan"), dict) else {}
    inventory = document.get("inventory")
    return LoadedRun(
        directory=run_dir,
        run_id=run_dir.name,
        plan_id=str(plan.get("plan_id")) if plan else None,
        inventory=inventory if isinstance(inventory, str) else None,
        devices=tuple(devices),
    )
