"""What a run's journal (`log.jsonl`) says about each device, for a run that did not finish.

A run writes `result.json` when it starts (every device `pending`), again as each device ends,
and once more at the end. Whatever stops it (Ctrl-C, a kill, a lost machine), `log.jsonl` has
been appended as things happened: a device's `start` before its first session, each line that
may change it as `send` before it is typed, and its whole record at its `end`. `settle` reads
the two together so that `pixfix show` and `pixfix rollback` see, for a run that stopped:

- a device that ended: its record from the journal;
- a device that started and never ended: `interrupted`, with every line that was typed to it
  (it may be half-changed: the last line may or may not have been carried out);
- a device that never started: `not-started`.

Pure functions over the journal's lines; reading the files is the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pixfix.model import JsonDict

PENDING = "pending"
INTERRUPTED = "interrupted"
NOT_STARTED = "not-started"


@dataclass(slots=True)
class DeviceJournal:
    """One device (or context) as its journal lines tell it."""

    started: bool = False
    sent: list[str] = field(default_factory=list)
    record: JsonDict | None = None  # its record, once it ended


def replay(lines: Iterable[str]) -> dict[str, DeviceJournal]:
    """Per device label, what the journal says; a torn last line (a kill mid-write) is skipped."""
    found: dict[str, DeviceJournal] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("device"), str):
            continue
        device = found.setdefault(entry["device"], DeviceJournal())
        _note(device, entry)
    return found


def _note(device: DeviceJournal, entry: dict[str, Any]) -> None:
    event = entry.get("event")
    if event == "start":
        device.started = True
    elif event == "end" and isinstance(entry.get("record"), dict):
        device.record = entry["record"]
    elif isinstance(entry.get("send"), str):
        device.sent.append(entry["send"])


def label_of(device: JsonDict) -> str:
    name, context = str(device.get("name")), device.get("context")
    return f"{name}/{context}" if context else name


def settle(
    document: JsonDict, journal: dict[str, DeviceJournal], *, run: str, live: bool = False
) -> JsonDict:
    """result.json as the journal completes it. A run still going (`live`) is returned as is;
    otherwise every device the record left `pending` or `interrupted` (or `not-started` while
    the journal says it started: a run stopped at once wrote its record while its workers were
    still typing) is taken from the journal, which was written ahead of each step."""
    if live:
        return document
    items = [item for item in document.get("devices", []) if isinstance(item, dict)]
    devices = [
        _settled(item, journal.get(label_of(item)), run) if _open(item, journal) else item
        for item in items
    ]
    if devices == items:
        return document
    summary: dict[str, int] = {}
    for item in devices:
        summary[str(item.get("status"))] = summary.get(str(item.get("status")), 0) + 1
    status = "stopped" if document.get("status") == "running" else document.get("status")
    return {**document, "status": status, "summary": summary, "devices": devices}


def _open(item: JsonDict, journal: dict[str, DeviceJournal]) -> bool:
    status = item.get("status")
    if status in (PENDING, INTERRUPTED):
        return True
    found = journal.get(label_of(item))
    return status == NOT_STARTED and found is not None and found.started


def _settled(item: JsonDict, journal: DeviceJournal | None, run: str) -> JsonDict:
    if journal is not None and journal.record is not None:
        return journal.record
    if journal is None or not journal.started:
        reason = "not started: the run stopped before it reached this device"
        return {**item, "status": NOT_STARTED, "reason": reason}
    return interrupted(item, journal.sent, run=run)


def interrupted(item: JsonDict, sent: list[str], *, run: str) -> JsonDict:
    """A device that was in flight when the run stopped, with what to do about it."""
    if not sent:
        reason = "in flight when the run stopped; nothing had been typed to it yet"
        return {**item, "status": INTERRUPTED, "reason": reason, "commands": []}
    plan = item.get("plan")
    rollback = plan.get("rollback", []) if isinstance(plan, dict) else []
    undo = [line for line in rollback if isinstance(line, str)]
    reason = (
        f"in flight when the run stopped: {len(sent)} line(s) typed, the last "
        f"({sent[-1].strip()!r}) perhaps not carried out; it may be half-changed"
    )
    manual = [
        f"`pixfix rollback {run}` reads it and undoes what it finds changed, or by hand:",
        *(f"  {line}" for line in undo),
        "then check it, and `write memory` only if the change had been saved",
    ]
    return {**item, "status": INTERRUPTED, "reason": reason, "commands": sent, "manual": manual}
