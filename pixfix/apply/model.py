"""The records of `pixfix apply` and `pixfix rollback`: statuses, what to change, what happened.

Apply and rollback are one machine run in two directions. A `ChangeSpec` says, for one device
(or context), which lines take it forward and which undo them, the fingerprint it must still
have, and the two `Goal`s: what the configuration looks like once the forward lines ran, and
what it looked like before. Apply goes from the plan's findings to compliant (tuned in tune
mode) with the plan's `commands`; rollback goes back with the plan's `rollback` lines, checking
drift against the configuration the apply left behind.

`DeviceRecord.to_json()` is one entry of result.json (a contract with scripts and `pixfix show`):
`{"name", "context", "status", "reason", "warnings", "notes", "started", "finished",
"seconds", "commands", "verification", "probe", "timer", "saved", "backups",
"after_fingerprint", "manual", "difference", "plan"}`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from pixfix.model import ConfigVerdict, Finding, JsonDict, Status, device_label
from pixfix.plan.model import Mode, PlanEntry


class RunKind(StrEnum):
    APPLY = "apply"
    ROLLBACK = "rollback"


class Outcome(StrEnum):
    """How one device (or context) ended; every device in a run ends with exactly one."""

    APPLIED = "applied"
    ALREADY_COMPLIANT = "already-compliant"
    NOTHING_TO_DO = "nothing-to-do"
    WOULD_APPLY = "would-apply"  # --dry-run: checks 1-4 passed, these lines would be sent
    RESTORED = "restored"
    ALREADY_RESTORED = "already-restored"
    WOULD_RESTORE = "would-restore"
    DRIFTED = "drifted"
    REFUSED_STANDBY = "refused-standby"
    UNSAVED_CHANGES = "unsaved-changes"
    NO_WINDOW = "no-window"
    OUTSIDE_WINDOW = "outside-window"
    NOT_STARTED = "not-started"
    BUSY = "busy"  # another run holds the device (its address or serial number): nothing sent
    NOT_PLANNED = "not-planned"  # the plan could not plan it (its audit failed): left as it is
    LEFT_EXPOSED = "left-exposed"  # exposed, no commands (a standby whose active unit is not
    # applied in this run): left as it is
    ROLLED_BACK = "rolled-back"
    REVERTED = "reverted"
    NEEDS_ATTENTION = "needs-attention"
    ERROR = "error"
    # a run that stopped (Ctrl-C, a signal, a kill): see pixfix.store.journal
    INTERRUPTED = "interrupted"  # in flight when the run stopped: may be half-changed
    PENDING = "pending"  # result.json while the run goes on: not finished yet


FAILURES = frozenset(
    {
        Outcome.ROLLED_BACK,
        Outcome.REVERTED,
        Outcome.ERROR,
        Outcome.NEEDS_ATTENTION,
        Outcome.INTERRUPTED,
    }
)
"""Outcomes that count towards `--max-failures`."""
SUCCESSES = frozenset(
    {
        Outcome.APPLIED,
        Outcome.ALREADY_COMPLIANT,
        Outcome.NOTHING_TO_DO,
        Outcome.WOULD_APPLY,
        Outcome.RESTORED,
        Outcome.ALREADY_RESTORED,
        Outcome.WOULD_RESTORE,
    }
)
CANARY_OK = frozenset(
    {Outcome.APPLIED, Outcome.ALREADY_COMPLIANT, Outcome.RESTORED, Outcome.ALREADY_RESTORED}
)
PROBE_DISAGREES = "probe-disagrees"
RELOAD_NOT_DONE = "reload-not-done"  # a warning: saved and verified, the reload did not happen

FindingKeys = Counter[tuple[object, ...]]


def finding_keys(findings: Iterable[Finding]) -> FindingKeys:
    """What "the original findings are back" compares: the same lines, ports, policies,
    classes, maps and scopes (order may differ: a re-added inspect line lands at the end of its
    class, as on a real device)."""
    return Counter(
        (f.line, f.kind, f.ports, f.policy, f.class_name, f.map_name, f.scope) for f in findings
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Goal:
    """A state of the configuration: one of some audit statuses, or exactly some findings."""

    statuses: frozenset[Status] = frozenset()
    findings: FindingKeys | None = None
    text: str  # reads after "the configuration is": "compliant", "back to its original findings"

    def reached(self, verdict: ConfigVerdict) -> bool:
        if verdict.status is Status.ERROR:
            return False
        if self.findings is not None:
            return finding_keys(verdict.findings) == self.findings
        return verdict.status in self.statuses


def fixed_goal(mode: Mode) -> Goal:
    """Where apply takes a device: compliant, or in tune mode compliant or tuned."""
    if mode is Mode.TUNE:
        return Goal(statuses=frozenset({Status.COMPLIANT, Status.TUNED}), text="tuned or compliant")
    return Goal(statuses=frozenset({Status.COMPLIANT}), text="compliant")


def original_goal(entry: PlanEntry) -> Goal:
    """Where rollback takes a device: the findings the plan saw."""
    return Goal(findings=finding_keys(entry.findings), text="back to its original findings")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSpec:
    """One device's change in one direction (see the module docstring)."""

    kind: RunKind
    entry: PlanEntry
    forward: tuple[str, ...]
    undo: tuple[str, ...]
    save: tuple[str, ...]
    reload: tuple[str, ...]
    reference: str | None  # the fingerprint the device must still have (drift)
    reference_text: str | None  # the configuration that fingerprint was taken from
    done: Goal
    undone: Goal
    # rolling back a device an apply was changing when it stopped: the configuration it had
    # saved before (its before-backup); running may differ from it by that change alone
    saved_before: str | None = None

    @property
    def label(self) -> str:
        return self.entry.label

    @property
    def stem(self) -> str:
        """`name@context` made safe as a file name (backups)."""
        return self.entry.stem


def apply_spec(entry: PlanEntry, plan_backup: str | None) -> ChangeSpec:
    return ChangeSpec(
        kind=RunKind.APPLY,
        entry=entry,
        forward=entry.commands,
        undo=entry.rollback,
        save=entry.save,
        reload=entry.reload,
        reference=entry.fingerprint,
        reference_text=plan_backup,
        done=fixed_goal(entry.mode),
        undone=original_goal(entry),
    )


def rollback_spec(
    entry: PlanEntry,
    after_fingerprint: str | None,
    after: str | None,
    *,
    saved_before: str | None = None,
) -> ChangeSpec:
    """Undo an applied change; never reloads (a rollback is a configuration change only)."""
    return ChangeSpec(
        kind=RunKind.ROLLBACK,
        entry=entry,
        forward=entry.rollback,
        undo=entry.commands,
        save=entry.save,
        reload=(),
        reference=after_fingerprint,
        reference_text=after,
        done=original_goal(entry),
        undone=fixed_goal(entry.mode),
        saved_before=saved_before,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeRecord:
    """The SMTP probe of the host's mx after the change, and whether it agrees."""

    target: str
    verdict: str
    agreement: str
    note: str

    def to_json(self) -> JsonDict:
        return {
            "target": self.target,
            "verdict": self.verdict,
            "agreement": self.agreement,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerRecord:
    """The dead-man timer (`reload in M`): armed when, cancelled or not, or why none."""

    minutes: int | None
    armed_at: str | None = None
    cancelled: bool = False
    note: str = ""

    def to_json(self) -> JsonDict:
        return {
            "minutes": self.minutes,
            "armed_at": self.armed_at,
            "cancelled": self.cancelled,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRecord:
    """How one device (or context) ended, with the evidence (see the module docstring)."""

    name: str
    context: str | None
    status: Outcome
    reason: str
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    started: str | None = None
    finished: str | None = None
    seconds: float | None = None
    commands: tuple[str, ...] = ()  # every line sent that is not a read
    would_send: tuple[str, ...] = ()  # --dry-run
    verification: JsonDict | None = None
    probe: ProbeRecord | None = None
    timer: TimerRecord | None = None
    saved: bool = False
    backups: tuple[str, ...] = ()
    after_fingerprint: str | None = None
    manual: tuple[str, ...] = ()  # needs-attention: what to do by hand
    difference: str = ""  # drift, or the pending edits saved with --allow-unsaved
    diff: str = ""  # the configuration before and after, as applied
    plan: JsonDict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return device_label(self.name, self.context)

    def to_json(self) -> JsonDict:
        return {
            "name": self.name,
            "context": self.context,
            "status": self.status.value,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "started": self.started,
            "finished": self.finished,
            "seconds": self.seconds,
            "commands": list(self.commands),
            "would_send": list(self.would_send),
            "verification": self.verification,
            "probe": None if self.probe is None else self.probe.to_json(),
            "timer": None if self.timer is None else self.timer.to_json(),
            "saved": self.saved,
            "backups": list(self.backups),
            "after_fingerprint": self.after_fingerprint,
            "manual": list(self.manual),
            "difference": self.difference,
            "diff": self.diff,
            "plan": self.plan,
        }
