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
from dataclasses import dataclass
from pathlib import Path

from pixfix.apply.model import Outcome
from pixfix.errors import InputError, PredictError
from pixfix.parse.config import config_software
from pixfix.parse.normalize import config_fingerprint
from pixfix.plan.approval import Approval, ApprovalCheck, load_approvals, person_key, sha256_hex
from pixfix.plan.model import PlanEntry
from pixfix.plan.predict import predict
from pixfix.plan.stored import entries_of, entry_from_json, not_as_made, optional_text
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
    signers = {person_key(a.by): a.by for a in check.matching}
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
    where = str(plan_dir / PLAN_FILE)
    entries = entries_of(document, where)
    edited = not_as_made(plan_dir, document, entries)
    if edited is not None:
        raise InputError(edited)
    inventory = document.get("inventory")
    return LoadedPlan(
        directory=plan_dir,
        plan_id=plan_id,
        sha256=check.plan_sha256,
        approvals=check.matching,
        entries=entries,
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
    if document.get("status") == "running":  # still written by a live process (read_run)
        raise InputError(
            f"{run_dir}: that apply is still running (pid {document.get('pid')}): wait for it "
            "to end, or stop it (Ctrl-C), then roll back"
        )
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
            fingerprint = optional_text(item, "after_fingerprint", where)
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
