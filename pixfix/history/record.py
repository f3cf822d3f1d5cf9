"""What `pixfix audit --history DB` records, and how its options read (pure but for the clock).

- The **scope** of an audit: the inventory file (resolved) and its `--limit`s, or `offline` for
  saved files. `--since` compares only with audits of the same scope, so an ad-hoc `--limit`
  audit never reports the rest of the fleet as gone.
- An offline audit is stamped with its files' own times: the audit with its newest file's, each
  device with its file's.
- `--since last` or `--since DATE` (`2026-11-30`: the end of that day; `2026-11-30T06:00`:
  that minute; local time unless an offset is given).
- `--prune-older-than 365d` (also `w` weeks, `h` hours).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from pathlib import Path

from pixfix.errors import InputError
from pixfix.history.db import AuditMeta, History, SinceSpec
from pixfix.history.since import Since
from pixfix.history.snapshot import Snapshot, snapshot_of
from pixfix.model import Collected

OFFLINE_SCOPE = "offline"
_AGE_RE = re.compile(r"^(\d+)([dwh])$")
_AGE_UNITS = {"d": 86400, "w": 7 * 86400, "h": 3600}


def scope_of(inventory: Path | None, limits: Sequence[str]) -> str:
    """`inventory /abs/path.yaml [--limit X ...]`, or `offline`."""
    if inventory is None:
        return OFFLINE_SCOPE
    text = f"inventory {inventory.resolve()}"
    return " ".join([text, *(f"--limit {limit}" for limit in sorted(limits))])


def snapshots_of(
    collected: Sequence[Collected], groups: Mapping[str, Sequence[str]] | None = None
) -> list[Snapshot]:
    """Each entry's snapshot with its host's inventory groups and, for files, their time."""
    groups = groups or {}
    return [snapshot_of(c, groups=groups.get(c.result.name, ()), seen=c.read_at) for c in collected]


def offline_started(collected: Sequence[Collected], fallback: float) -> float:
    """An offline audit's time: its newest file's (the clock's when no file could be read)."""
    times = [c.read_at for c in collected if c.read_at is not None]
    return max(times) if times else fallback


def parse_since(text: str) -> SinceSpec:
    """`last`, or a date / date and time (ISO 8601) as a Unix time."""
    if text == "last":
        return SinceSpec()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--since {text!r}: give `last` or a date (2026-11-30, 2026-11-30T06:00)"
        ) from None
    if len(text) == len("2026-11-30"):
        moment = datetime.combine(moment.date(), time.max)
    return SinceSpec(until=moment.timestamp())


def parse_age(text: str) -> timedelta:
    """`365d`, `12w`, `48h`."""
    match = _AGE_RE.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise InputError(f"--prune-older-than {text!r}: give a number and d, w or h (365d)")
    return timedelta(seconds=int(match.group(1)) * _AGE_UNITS[match.group(2)])


def check_reference(history: History, scope: str, since: SinceSpec | None) -> None:
    """`--since DATE` needs an audit of this scope at or before DATE: checked before any
    device is contacted (`last` with none is the first audit: everything is new)."""
    if since is None or since.until is None:
        return
    if history.reference(scope, since) is None:
        raise InputError(
            f"{history.path}: no audit of this scope ({scope}) recorded at or before --since"
        )


def record_audit(
    history: History,
    collected: Sequence[Collected],
    meta: AuditMeta,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    since: SinceSpec | None = None,
) -> Since | None:
    """Record the audit; with `since`, its difference to the reference audit."""
    _, found = history.record(meta, snapshots_of(collected, groups), since)
    return found
