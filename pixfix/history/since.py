"""What changed between two audits (pure): regressions, fixes, devices lost, new and gone.

A **regression** is a side (running or saved configuration) that was compliant or tuned in the
earlier audit and is exposed now: Mailguard came back (a unit replaced under RMA, a restored
backup, a template pushed again), or a fix that was never saved was lost in a reload. A device
the earlier audit could not read is held against the last verdict the history knows for it, so
a regression never hides behind one night's outage. **Fixed**: exposed (or unsaved) before,
compliant or tuned now. **Unreachable**: read before, an error now. **New** and **gone**: in one
audit and not the other. A multiple-context device that could not be reached at all is one
`name` entry: its contexts from before count as unreachable, not as gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pixfix.history.snapshot import Key, Snapshot
from pixfix.model import Status, device_label

SINCE_KEYS = ("regressions", "fixed", "unreachable", "new", "gone")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """The recorded audit a comparison is made against."""

    audit_id: int
    started: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Regression:
    """A device (or context) exposed again, with the lines that came back."""

    label: str
    sides: tuple[str, ...]  # "running", "saved"
    lines: tuple[str, ...]
    was: Status  # its verdict before
    was_at: float | None = None  # when that verdict was last seen, if not in the reference


@dataclass(frozen=True, slots=True, kw_only=True)
class Since:
    """The difference between a reference audit (None: there was none) and this one."""

    reference: Reference | None
    regressions: tuple[Regression, ...] = ()
    fixed: tuple[str, ...] = ()
    unreachable: tuple[str, ...] = ()
    new: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()

    def names(self, key: str) -> list[str]:
        """The labels under one of `SINCE_KEYS`."""
        if key == "regressions":
            return [r.label for r in self.regressions]
        values: tuple[str, ...] = getattr(self, key)
        return list(values)

    def to_json(self) -> dict[str, object]:
        reference = self.reference
        return {
            "reference": None
            if reference is None
            else {"audit": reference.audit_id, "started": reference.started},
            **{key: self.names(key) for key in SINCE_KEYS},
            "lines": {r.label: list(r.lines) for r in self.regressions},
        }


def regression_between(
    before: Snapshot, now: Snapshot, was_at: float | None = None
) -> Regression | None:
    """The regression from `before` to `now`: the sides fixed then and exposed now, if any.

    A device that was already `exposed` is not exposed *again* (saving an exposed running
    configuration adds the saved side, but the incident began before); one that was `unsaved`
    (running fixed, saved exposed) and is exposed now has lost its fix: that is a regression.
    """
    if before.status is Status.EXPOSED:
        return None
    sides = before.fixed_sides() & now.exposed_sides()
    if not sides:
        return None
    ordered = tuple(side for side in ("running", "saved") if side in sides)
    return Regression(
        label=now.label, sides=ordered, lines=now.lines_of(sides), was=before.status, was_at=was_at
    )


def _spread_errors(
    before: Mapping[Key, Snapshot], now: Mapping[Key, Snapshot]
) -> dict[Key, Snapshot]:
    """`now` with a device that could not be reached at all standing for each of its contexts
    the reference audit had (so they read as unreachable, not as gone and new)."""
    spread = dict(now)
    for (name, context), snap in now.items():
        if context is not None or snap.status is not Status.ERROR:
            continue
        contexts = [key for key in before if key[0] == name and key[1] is not None]
        if contexts and (name, None) not in before:
            del spread[(name, None)]
            spread.update({key: snap for key in contexts if key not in now})
    return spread


def compare(
    reference: Reference | None,
    before: Mapping[Key, Snapshot],
    now: Mapping[Key, Snapshot],
    *,
    known: Mapping[Key, tuple[Snapshot, float]] | None = None,
) -> Since:
    """The difference between `before` (the reference audit's snapshots) and `now`.

    `known[key]` is the last snapshot that was not an error, and when it was seen, for the
    devices `before` holds as errors, or as one error entry for the whole device (it stands in
    for them when judging a regression).
    """
    if reference is None:
        return Since(reference=None, new=tuple(device_label(*key) for key in now))
    known = known or {}
    now = _spread_errors(before, now)
    regressions, fixed, unreachable, new = [], [], [], []
    for key, snap in now.items():
        label = device_label(*key)
        whole = before.get(key) or before.get((key[0], None))  # one error entry for all contexts
        if whole is None:
            new.append(label)
            continue
        was, was_at = whole, None
        if was.status is Status.ERROR and key in known:
            was, was_at = known[key]
        found = regression_between(was, snap, was_at)
        if found is not None:
            regressions.append(found)
        elif snap.status in (Status.COMPLIANT, Status.TUNED) and was.exposed_sides():
            fixed.append(label)
        if snap.status is Status.ERROR and whole.status is not Status.ERROR:
            unreachable.append(label)
    gone = [device_label(*key) for key in before if key not in now and not _covered(key, now)]
    return Since(
        reference=reference,
        regressions=tuple(regressions),
        fixed=tuple(fixed),
        unreachable=tuple(unreachable),
        new=tuple(new),
        gone=tuple(gone),
    )


def _covered(key: Key, now: Mapping[Key, Snapshot]) -> bool:
    """A device that was one error entry before and is read by context now is not gone."""
    name, context = key
    return context is None and any(k[0] == name and k[1] is not None for k in now)
