"""Each device's history read as changes, and the regressions still open (pure).

A device's series is its snapshot in each recorded audit, oldest first. Its timeline keeps the
audits where something a reader cares about changed: the verdict, the configuration (its
fingerprint), the software or the failover role. A regression (`pixfix.history.since`) stays
open while the device stays exposed; a fix closes it; an audit that could not read the device
leaves it as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pixfix.history.since import Regression, regression_between
from pixfix.history.snapshot import Snapshot
from pixfix.model import Status

_WATCHED = (
    ("status", "verdict"),
    ("fingerprint", "configuration"),
    ("software", "software"),
    ("role", "role"),
)
_TRAIN_RE = re.compile(r"^(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """An audit in which this device changed, and what changed (`first seen` for its first)."""

    audit_id: int
    snapshot: Snapshot
    what: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenRegression:
    """A device exposed again and not fixed since: when it came back and what."""

    audit_id: int
    regression: Regression


def changes(series: Sequence[tuple[int, Snapshot]]) -> list[Change]:
    """The audits in which the device's verdict, configuration, software or role changed.

    An audit that could not read the device changes its verdict only: the configuration,
    software and role after it are held against the last audit that read them.
    """
    found: list[Change] = []
    previous: Snapshot | None = None
    read: Snapshot | None = None  # the last snapshot that is not an error
    for audit_id, snap in series:
        if previous is None:
            what: tuple[str, ...] = ("first seen",)
        else:
            what = ("verdict",) if snap.status is not previous.status else ()
            if snap.status is not Status.ERROR and read is not None:
                what += tuple(
                    word
                    for attr, word in _WATCHED[1:]
                    if getattr(snap, attr) != getattr(read, attr)
                    and not (attr == "fingerprint" and snap.fingerprint is None)
                )
        if what:
            found.append(Change(audit_id=audit_id, snapshot=snap, what=what))
        previous = snap
        if snap.status is not Status.ERROR:
            read = snap
    return found


def open_regression(series: Sequence[tuple[int, Snapshot]]) -> OpenRegression | None:
    """The device's regression that has not been fixed since, from the audit it began in.

    Audits that could not read the device leave it as it was.
    """
    known: Snapshot | None = None
    current: OpenRegression | None = None
    for audit_id, snap in series:
        if snap.status is Status.ERROR:
            continue
        if known is not None and current is None:
            found = regression_between(known, snap)
            if found is not None:
                current = OpenRegression(audit_id=audit_id, regression=found)
        if not snap.exposed_sides():
            current = None
        known = snap
    return current


def train_label(platform: str | None, software: str | None) -> str:
    """`ASA 9.8`, `PIX 6.3`, `FWSM 3.1`: the platform and the major.minor of its software."""
    if platform is None or software is None:
        return "unknown"
    match = _TRAIN_RE.match(software)
    return f"{platform.upper()} {match.group(1)}.{match.group(2)}" if match else platform.upper()
