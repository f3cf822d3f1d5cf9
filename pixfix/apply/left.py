"""Devices an apply leaves as they are although they are not fixed, said as such.

A plan entry without commands is not always fine: the plan could not plan it (its audit
failed, its configuration was cut off), or it is an exposed standby unit, which is changed
through its active unit. Such devices end `not-planned` or `left-exposed` (each a skip: the run
exits 1), unless the standby's active unit was changed in the same run (the same configuration and
context as read for the plan: a pair's units share it by replication), in which case the change
replicates to it and it has nothing to do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from pixfix.apply.model import DeviceRecord, Outcome
from pixfix.model import Status
from pixfix.parse.normalize import config_fingerprint
from pixfix.plan.model import PlanEntry

Idle = tuple[Outcome, str]
_OWN_LINE = re.compile(r"^failover lan unit .*\n?", re.M)
_CHANGED = frozenset({Outcome.APPLIED, Outcome.ALREADY_COMPLIANT})
_WHY = {
    Outcome.LEFT_EXPOSED: "exposed standby; its active unit was not changed in this run",
    Outcome.NOT_PLANNED: "not planned: its audit or plan failed",
}


def idle_of(entry: PlanEntry) -> Idle | None:
    """Why an entry has nothing to send, and how it ends (None: it has lines to send)."""
    if entry.commands or entry.save:  # the save alone: an `unsaved` device
        return None
    why = entry.notes[-1] if entry.notes else "the plan has no commands for it"
    if entry.status is Status.ERROR or not entry.planned:
        return Outcome.NOT_PLANNED, f"nothing sent, left as it is: {why}"
    if entry.status in (Status.EXPOSED, Status.UNSAVED):
        return Outcome.LEFT_EXPOSED, f"nothing sent, left exposed: {why}"
    return Outcome.NOTHING_TO_DO, f"nothing to do: {why}"


def pair_key(entry: PlanEntry, config: str | None) -> str | None:
    """What the two units of an active/standby pair share: the configuration (replicated;
    `failover lan unit` is each unit's own line, and the hostname is in it). None for a
    context: a standby context stays `left-exposed` (the safe side)."""
    if not config or entry.context is not None:
        return None  # contexts: identical templated contexts on unrelated units would match
    return config_fingerprint(_OWN_LINE.sub("", config))


def covered_standbys(
    records: Sequence[DeviceRecord], keys: Mapping[str, str | None]
) -> tuple[DeviceRecord, ...]:
    """A `left-exposed` standby whose active unit (same key) was changed in this run has
    nothing to do: the change replicates to it."""
    changed = {
        keys.get(r.label): r.label for r in records if r.status in _CHANGED and keys.get(r.label)
    }
    return tuple(_covered(record, changed.get(keys.get(record.label))) for record in records)


def _covered(record: DeviceRecord, mate: str | None) -> DeviceRecord:
    if record.status is not Outcome.LEFT_EXPOSED or mate is None or mate == record.label:
        return record
    reason = f"nothing to do: standby unit; its active unit {mate} was changed in this run"
    return replace(record, status=Outcome.NOTHING_TO_DO, reason=reason)


def left_line(records: Sequence[DeviceRecord]) -> str | None:
    """The summary's last word: each device left unfixed, and why (None: none)."""
    left = [r for r in records if r.status in (Outcome.NOT_PLANNED, Outcome.LEFT_EXPOSED)]
    if not left:
        return None
    return "left unfixed: " + "; ".join(f"{r.label} ({_WHY[r.status]})" for r in left)
