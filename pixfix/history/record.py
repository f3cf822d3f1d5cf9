"""What `pixfix audit --history DB` records, and how its options read (pure but for the clock).

- The **scope** of an audit: the inventory file (resolved) and its `--limit`s, or the saved
  files' paths (resolved, sorted). `--since` compares only with audits of the same scope, so an
  ad-hoc `--limit` audit never reports the rest of the fleet as gone, and two sites' backup
  folders are never compared with each other.
- An offline audit is stamped with its files' own times: the audit with its newest file's, each
  device with its file's.
- `--since last` or `--since DATE`: the end of the period the text names (`2026-11-30`: that
  day; `2026-11-30T06`: that hour; `2026-11-30T06:00`: that minute; with seconds: that second),
  local time unless an offset is given.
- `--prune-older-than 365d` (also `w` weeks, `h` hours).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

from pixfix.errors import InputError
from pixfix.history.db import AuditMeta, History, SinceSpec
from pixfix.history.since import Since
from pixfix.history.snapshot import Snapshot, snapshot_of
from pixfix.model import Collected

OFFLINE_SCOPE = "offline"
_AGE_RE = re.compile(r"^(\d+)([dwh])$")
_AGE_UNITS = {"d": 86400, "w": 7 * 86400, "h": 3600}


def scope_of(inventory: Path | None, limits: Sequence[str], paths: Sequence[Path] = ()) -> str:
    """`inventory /abs/path.yaml [--limit X ...]`, or `offline /abs/a /abs/b`."""
    if inventory is None:
        return " ".join([OFFLINE_SCOPE, *sorted(str(path.resolve()) for path in paths)])
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


_SINCE_HELP = "give `last` or a date (2026-11-30, 2026-11-30T06:00)"
_TIME_PART_RE = re.compile(r"[T ](\d{2})(:?\d{2})?(:?\d{2})?")


def parse_since(text: str) -> SinceSpec:
    """`last`, or the end of the date / hour / minute / second the ISO 8601 text names."""
    if text == "last":
        return SinceSpec()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return SinceSpec(until=datetime.combine(day, time.max).timestamp())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--since {text!r}: {_SINCE_HELP}") from None
    parts = _TIME_PART_RE.search(text)
    if parts is None:  # a form fromisoformat takes that is not a date and a time of day
        raise InputError(f"--since {text!r}: {_SINCE_HELP}")
    given = sum(1 for part in parts.groups() if part)  # hour, minute, second
    rest = {1: timedelta(hours=1), 2: timedelta(minutes=1), 3: timedelta(seconds=1)}[given]
    if "." in text or "," in text:
        rest = timedelta(microseconds=1)  # fractions of a second: that very moment
    return SinceSpec(until=(moment + rest).timestamp() - 1e-6)


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
    """Record the audit; with `since`, its difference to the reference audit. An audit of no
    device (an empty folder, a `--limit` that chose nothing) is not recorded: it would make
    the whole fleet read as gone."""
    if not collected:
        raise InputError(f"{history.path}: nothing was audited, so nothing was recorded")
    _, found = history.record(meta, snapshots_of(collected, groups), since)
    return found
