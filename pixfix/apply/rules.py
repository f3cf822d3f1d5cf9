"""The decisions of apply and rollback, as pure functions of what was observed on a device.

Nothing here talks to a device or reads a clock: the state machine in `pixfix.apply.machine` reads
the device, hands the text to these functions, and acts on their answer. So every rule (already
compliant, drift, role, unsaved changes, the dead-man timer's preconditions, what counts as a
successful save, someone else's edits appearing mid-change) is unit-tested with literal text.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pixfix.apply.model import (
    PROBE_DISAGREES,
    RELOAD_NOT_DONE,
    SUCCESSES,
    ChangeSpec,
    Outcome,
    RunKind,
)
from pixfix.audit.verdict import audit_config
from pixfix.model import ConfigVerdict, Platform, Role, Software
from pixfix.parse.normalize import clean_capture, config_fingerprint
from pixfix.parse.show import boot_images
from pixfix.plan.entry import fix_is_all_unsaved
from pixfix.platforms import REPORTING_LINE, UNSOLICITED

_COMMENT = re.compile(r"^(?::|!|Cryptochecksum:)")
_STANDBY_PROMPT = re.compile(r"/(?:stby|standby)\b[^\n]*[#>]\s*$", re.IGNORECASE)
_NOT_REPLICATED = "Configuration Replication is NOT performed"
_DIFF_LINES = 200  # a drift or pending-edit difference shown is cut here
TIMER_MARGIN = 60.0  # seconds of slack between the last verification step and the reload


@dataclass(frozen=True, slots=True, kw_only=True)
class Observed:
    """What was read from a device (or one context) before anything was sent."""

    software: Software
    role: Role | None  # None when the train cannot say
    running: str
    startup: str | None
    verdict: ConfigVerdict
    bootvar: str | None = None  # `show bootvar`, read only where a timer could be armed
    serial: str | None = None  # the unit's serial number (which unit of a pair got the change)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """A check that ends a device before anything is sent."""

    status: Outcome
    reason: str
    difference: str = ""


def config_body(text: str) -> list[str]:
    """Configuration lines without comments, checksums, blank lines or session remnants."""
    lines = clean_capture(text).splitlines()
    return [line for line in lines if line.strip() and not _COMMENT.match(line)]


def difference(before: str, after: str, *, names: tuple[str, str]) -> str:
    """A unified diff of two configurations' bodies ("" when they are the same)."""
    lines = list(
        difflib.unified_diff(
            config_body(before), config_body(after), fromfile=names[0], tofile=names[1], lineterm=""
        )
    )
    if len(lines) > _DIFF_LINES:
        lines = [*lines[:_DIFF_LINES], f"... {len(lines) - _DIFF_LINES} more line(s)"]
    return "\n".join(lines) + ("\n" if lines else "")


def has_unsaved_changes(observed: Observed) -> bool:
    """Running differs from startup: someone's edits are pending (a save would keep them, a
    reload would lose them). A train whose startup could not be read counts as unsaved."""
    if observed.startup is None:
        return True
    return config_body(observed.running) != config_body(observed.startup)


def precheck(spec: ChangeSpec, observed: Observed, *, allow_unsaved: bool) -> Stop | None:
    """Checks 1-4 of the issue, in order: already done, drift, role, unsaved changes."""
    if spec.done.reached(observed.verdict) and _saved_too(spec, observed):
        status = (
            Outcome.ALREADY_COMPLIANT if spec.kind is RunKind.APPLY else Outcome.ALREADY_RESTORED
        )
        return Stop(status=status, reason=f"already {spec.done.text}: nothing sent")
    if spec.reference is None or config_fingerprint(observed.running) != spec.reference:
        against = "the plan" if spec.kind is RunKind.APPLY else "the apply's after-backup"
        shown = difference(
            spec.reference_text or "", observed.running, names=(against, "running now")
        )
        return Stop(
            status=Outcome.DRIFTED,
            reason=f"the configuration changed since {against}: nothing sent",
            difference=shown,
        )
    if observed.role is Role.STANDBY:
        return Stop(
            status=Outcome.REFUSED_STANDBY,
            reason="standby unit of a failover pair: change the active unit; nothing sent",
        )
    if others_unsaved(spec, observed) and not allow_unsaved:
        shown = difference(observed.startup or "", observed.running, names=("startup", "running"))
        return Stop(
            status=Outcome.UNSAVED_CHANGES,
            reason="running differs from startup (someone's edits are not saved): nothing sent; "
            "--allow-unsaved saves them with this change",
            difference=shown,
        )
    return None


def _saved_too(spec: ChangeSpec, observed: Observed) -> bool:
    """An apply is done only when the saved configuration is fixed too (else the next reload
    undoes it: `unsaved`); a rollback is done when running is as before."""
    if spec.kind is not RunKind.APPLY:
        return True
    return observed.startup is not None and spec.done.reached(audit_config(observed.startup))


def others_unsaved(spec: ChangeSpec, observed: Observed) -> bool:
    """Running differs from startup by edits that are not this change's own (see
    `_unsaved_is_ours`): someone else's, which a save would make permanent."""
    return has_unsaved_changes(observed) and not _unsaved_is_ours(spec, observed)


def _unsaved_is_ours(spec: ChangeSpec, observed: Observed) -> bool:
    """The unsaved difference is one pixfix may save:

    - rolling back a device an apply was changing when it stopped: startup is still what it
      was before, so the only unsaved difference is the apply's change (running was already
      held against the change carried out: `reference`);
    - applying the save alone to an `unsaved` device: the saved configuration with the SMTP
      fix is still exactly the running one.
    """
    if observed.startup is None:
        return False
    if spec.saved_before is not None:
        return config_body(observed.startup) == config_body(spec.saved_before)
    save_only = spec.kind is RunKind.APPLY and not spec.forward and bool(spec.save)
    return save_only and fix_is_all_unsaved(observed.running, observed.startup, spec.entry.mode)


def touched(lines: Iterable[str]) -> frozenset[str]:
    """Configuration lines a change may add or remove: each sent line, with and without `no`."""
    found: set[str] = set()
    for line in lines:
        text = line.strip()
        found.add(text)
        if text.startswith("no "):
            found.add(text[3:])
        else:
            found.add(f"no {text}")
    return frozenset(found)


def foreign_changes(before: str, after: str, allowed: frozenset[str]) -> list[str]:
    """Lines that changed between two reads and that no line of the change can explain.

    Someone editing the device during the change must not have their edits saved with ours.
    """
    old, new = config_body(before), config_body(after)
    changed = [
        line
        for line in difflib.ndiff(old, new)
        if line[:2] in ("- ", "+ ")
        and line[2:].strip() not in allowed
        and not REPORTING_LINE.match(line[2:])
    ]
    return changed[:20]


def reporting_changes(before: str, after: str) -> list[str]:
    """`call-home reporting anonymous` lines the unit added or removed itself, when it asked
    its anonymous error reporting question (named in the run's record, never foreign)."""
    old, new = config_body(before), config_body(after)
    return [
        line
        for line in difflib.ndiff(old, new)
        if line[:2] in ("- ", "+ ") and REPORTING_LINE.match(line[2:])
    ]


def failed_over(reply: str) -> bool:
    """The unit went standby during the change: the prompt shows `/stby` (`prompt hostname
    priority state`), or the device warns that configuration no longer replicates."""
    return bool(_STANDBY_PROMPT.search(reply)) or _NOT_REPLICATED in reply


def refused(reply: str, error_pattern: str) -> str | None:
    """The device's error line in a reply, or None when it accepted the line (text the unit
    prints unasked, such as failover replication, is never taken for its answer)."""
    for line in reply.splitlines():
        if re.search(error_pattern, line) and not UNSOLICITED.match(line):
            return line.strip()
    return None


def save_problem(reply: str, error_pattern: str) -> str | None:
    """Why a `write memory` reply is not a success; a save must end with `[OK]`."""
    error = refused(reply, error_pattern)
    if error is not None or "[FAILED]" in reply:
        return f"the save failed: {error or 'FAILED'}"
    if "[OK]" not in reply:
        return "the save did not confirm with [OK]"
    return None


def reload_scheduled(text: str) -> bool | None:
    """`show reload`: True scheduled, False none, None when the reply says neither."""
    if re.search(r"No reload is scheduled", text, re.IGNORECASE):
        return False
    if re.search(r"Reload scheduled", text, re.IGNORECASE):
        return True
    return None


def bootvar_problem(text: str) -> str | None:
    """Why a unit might not boot after a dead-man reload, from `show bootvar`.

    The BOOT variable must name an image, and the current value must equal the saved one:
    otherwise a reload boots another image than the one running, or the first one it finds.
    """
    saved, current = boot_images(text)
    if saved is None:
        return "show bootvar has no BOOT variable line"
    if not saved:
        return "the BOOT variable is empty: the unit would boot the first image it finds"
    if current is not None and current != saved:
        return (
            f"the BOOT variable ({', '.join(saved)}) differs from the running one "
            f"({', '.join(current) or 'empty'})"
        )
    return None


def minimum_timer_minutes(timeout: float) -> int:
    """The shortest `--confirm-minutes` with `--timeout` seconds per step: sending the change,
    a new session for verification (login and reads), the probe, and a margin."""
    seconds = timeout + 2 * timeout + timeout + TIMER_MARGIN
    return max(1, math.ceil(seconds / 60))


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerChoice:
    """Whether to arm `reload in M`: arm it, do without (why), or refuse the device (why)."""

    minutes: int | None
    note: str
    refuse: Outcome | None = None


def timer_choice(
    minutes: int | None,
    observed: Observed,
    *,
    unsaved: bool,
    now: datetime,
    window_end: datetime | None,
) -> TimerChoice:
    """The dead-man timer only on a standalone single-context ASA that will boot again."""
    if minutes is None:
        return TimerChoice(minutes=None, note="no dead-man timer (--confirm-minutes not given)")
    software = observed.software
    reason = None
    if software.platform is not Platform.ASA:
        reason = f"armed only on ASA, not on {software.platform.value.upper()}"
    elif software.multi_context:
        reason = "multiple-context mode: a reload restarts every context"
    elif observed.role not in (None, Role.STANDALONE):
        reason = f"{observed.role.value} failover unit: a reload would fail over"
    elif unsaved:
        reason = "unsaved changes (--allow-unsaved): a reload would throw them away"
    if reason is not None:
        return TimerChoice(minutes=None, note=f"no dead-man timer: {reason}")
    problem = bootvar_problem(observed.bootvar or "")
    if problem is not None:
        return TimerChoice(
            minutes=None, note=f"dead-man timer refused: {problem}", refuse=Outcome.ERROR
        )
    if window_end is not None and now + timedelta(minutes=minutes) > window_end:
        return TimerChoice(
            minutes=None,
            note=f"the dead-man timer ({minutes} min) would fire after the window closes "
            f"({window_end.isoformat(timespec='minutes')})",
            refuse=Outcome.OUTSIDE_WINDOW,
        )
    return TimerChoice(minutes=minutes, note=f"dead-man timer: reload in {minutes}")


def manual_steps(
    spec: ChangeSpec,
    *,
    address: str,
    sent: Sequence[str],
    timer_armed: bool,
    standby: bool = False,
) -> tuple[str, ...]:
    """What an engineer does by hand when pixfix cannot finish: check, undo, verify, never save.
    `standby`: the address now reaches a standby unit, so the work is on its active mate."""
    undo = [f"    {line}" for line in spec.undo]
    where = (
        f"{address} now reaches a standby unit: connect to the active unit of {spec.label}'s "
        "pair (it has the change by replication; send nothing to the standby)"
        if standby
        else f"connect to {spec.label} at {address}"
    )
    steps = [
        f"{where} and run: show running-config",
        f"lines sent before it stopped ({len(sent)}): " + " | ".join(s.strip() for s in sent),
        f"if the configuration is not {spec.undone.text}, send these lines:",
        *undo,
        f"check that it is {spec.undone.text} again (pixfix audit), and do NOT save until it is",
    ]
    if timer_armed:
        steps.append("a reload is scheduled (reload in): `show reload`; `reload cancel` once done")
    return tuple(steps)


def exit_code(kind: RunKind, outcomes: Sequence[tuple[Outcome, tuple[str, ...]]]) -> int:
    """The exit code table of the README: errors (3) win over skips and failures (1);
    an applied device whose probe disagrees, or whose planned reload did not happen, makes an
    apply exit 1."""
    statuses = {status for status, _ in outcomes}
    if statuses & {Outcome.ERROR, Outcome.NEEDS_ATTENTION, Outcome.INTERRUPTED}:
        return 3
    if not statuses <= SUCCESSES:
        return 1
    warned = any({PROBE_DISAGREES, RELOAD_NOT_DONE} & set(warnings) for _, warnings in outcomes)
    return 1 if warned and kind is RunKind.APPLY else 0
