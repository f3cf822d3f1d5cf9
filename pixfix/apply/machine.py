"""The per-device state machine of `pixfix apply` and `pixfix rollback`.

For one device (or context) and one `ChangeSpec`, in this order:

1. connect and read (version, role, running and startup configuration), then the pure checks
   of `pixfix.apply.rules.precheck`: already done (`already-compliant` / `already-restored`),
   drift (`drifted`, with the difference), role (`refused-standby`), unsaved changes
   (`unsaved-changes` unless `--allow-unsaved`). A dry run stops here (`would-apply`).
2. the before-backup; with `--confirm-minutes M`, the dead-man timer `reload in M` where
   `timer_choice` allows it (a standalone, single-context ASA whose boot variable checks out),
   answering No to saving.
3. the forward lines, one at a time, checked with the train's error pattern; a failover
   (`/stby`) stops at once.
4. verification from a **new** session: the audit reaches the goal, no line changed that the
   change cannot explain, and where the host has an `mx` the probe is asked (a disagreement
   keeps the change, with the warning `probe-disagrees`).
5. `reload cancel` when a timer was armed, the save (it must say `[OK]`, and the startup
   configuration must then reach the goal), the reload when the plan asks for one, the
   after-backup: `applied` (`restored` for a rollback).

Any failure after the first forward line goes to `pixfix.apply.recover`: undo and verify
(`rolled-back`), wait for the dead-man timer (`reverted`), or `needs-attention`. The save is
the last step, and a device whose verification failed never reaches it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from pixfix.apply.device_ops import (
    ReadFor,
    arm_timer,
    cancel_timer,
    observe,
    read_startup,
    reload_device,
    role_and_running,
    save_config,
    send_lines,
)
from pixfix.apply.env import DeviceEnv, Progress, finish, is_lost, probe_record, record_for
from pixfix.apply.model import (
    RELOAD_NOT_DONE,
    ChangeSpec,
    DeviceRecord,
    Outcome,
    RunKind,
    TimerRecord,
)
from pixfix.apply.recover import Failure, after_reload, cancel_stray_timer, recover
from pixfix.apply.rules import (
    Observed,
    difference,
    foreign_changes,
    others_unsaved,
    precheck,
    reporting_changes,
    timer_choice,
    touched,
)
from pixfix.audit.verdict import audit_config
from pixfix.errors import (
    DeviceBusy,
    DeviceError,
    FailedOver,
    LineRefused,
    ReloadStopped,
    VerifyFailed,
)
from pixfix.model import ConfigVerdict, Role
from pixfix.platforms import FACTS, may_ask_reporting
from pixfix.store.run_dir import utc_iso
from pixfix.transport.device_io import DeviceIO

__all__ = ["change_device", "verification_problem"]

logger = logging.getLogger(__name__)


def change_device(spec: ChangeSpec, env: DeviceEnv) -> DeviceRecord:
    """Run the whole machine for one device (or context); device trouble ends in its record."""
    started = env.clock()
    env.log({"event": "start", "kind": spec.kind.value})
    record = _change(spec, env)
    finished = env.clock()
    record = replace(
        record,
        started=utc_iso(started),
        finished=utc_iso(finished),
        seconds=round((finished - started).total_seconds(), 3),
    )
    # the whole record, so that a run stopped later still knows how this device ended
    env.log({"event": "end", "status": record.status.value, "record": record.to_json()})
    logger.info("%s: %s: %s", spec.label, record.status.value, record.reason)
    return record


def _change(spec: ChangeSpec, env: DeviceEnv) -> DeviceRecord:
    progress: Progress | None = None
    try:
        with env.connect() as io:
            wanted = ReadFor(
                context=spec.entry.context, bootvar=env.options.confirm_minutes is not None
            )
            observed = observe(io, wanted, hold=env.hold)
            progress = Progress(
                facts=FACTS[observed.software.train],
                may_ask=may_ask_reporting(observed.software),
                role=observed.role,
                before=observed.running,
                unit=observed.serial,
            )
            early = _before_sending(spec, env, observed, progress)
            if early is not None:
                return early
            _send(spec, env, io, observed, progress)
    except DeviceError as exc:
        if progress is None or not progress.started_change:
            return _nothing_sent(spec, env, progress, exc)
        return recover(spec, env, progress, Failure(reason=_failure_reason(exc), lost=is_lost(exc)))
    return _verify_and_save(spec, env, progress)


def _failure_reason(exc: DeviceError) -> str:
    """One phrase for the record: what stopped the change."""
    if isinstance(exc, FailedOver):
        return f"failover during the change: {exc}"
    if isinstance(exc, LineRefused):
        return f"the device refused the change: {exc}"
    if is_lost(exc):
        return f"session lost during the change: {exc}"
    return str(exc)  # verification, timer and save failures say what they are


def _nothing_sent(
    spec: ChangeSpec, env: DeviceEnv, progress: Progress | None, exc: DeviceError
) -> DeviceRecord:
    """A failure before the first line of the change; at most a timer was typed: cancel it."""
    if isinstance(exc, DeviceBusy):
        return record_for(spec, Outcome.BUSY, str(exc), progress)
    reason = f"{exc}: nothing of the change was sent"
    if progress is None or not progress.sent:
        return record_for(spec, Outcome.ERROR, reason, progress)
    cleared, how = cancel_stray_timer(env, progress)
    status = Outcome.ERROR if cleared else Outcome.NEEDS_ATTENTION
    return record_for(spec, status, f"{reason}; {how}", progress)


def _before_sending(
    spec: ChangeSpec, env: DeviceEnv, observed: Observed, progress: Progress
) -> DeviceRecord | None:
    """Checks 1-4, the timer's preconditions and the dry run: a record to end with, or None."""
    stop = precheck(spec, observed, allow_unsaved=env.options.allow_unsaved)
    if stop is not None:
        return replace(
            record_for(spec, stop.status, stop.reason, progress), difference=stop.difference
        )
    unsaved = others_unsaved(spec, observed)  # a save-only plan's own difference is not
    pending = ""
    if unsaved:
        pending = difference(observed.startup or "", observed.running, names=("startup", "running"))
        progress.warnings.append("saved-others-edits")
        progress.notes.append(
            "--allow-unsaved: edits pending before this change (shown as the difference) are "
            "saved with it"
        )
    choice = timer_choice(
        env.options.confirm_minutes,
        observed,
        unsaved=unsaved,
        now=env.clock(),
        window_end=env.window_end,
    )
    progress.timer = TimerRecord(minutes=choice.minutes, note=choice.note)
    if choice.refuse is not None:
        return record_for(spec, choice.refuse, f"{choice.note}: nothing sent", progress)
    if env.options.dry_run:
        return replace(_would(spec, choice.minutes, progress), difference=pending)
    return None


def _would(spec: ChangeSpec, minutes: int | None, progress: Progress) -> DeviceRecord:
    timer = (f"reload in {minutes}",) if minutes else ()
    cancel = ("reload cancel",) if minutes else ()
    lines = (*timer, *spec.forward, *cancel, *spec.save, *spec.reload)
    status = Outcome.WOULD_APPLY if spec.kind is RunKind.APPLY else Outcome.WOULD_RESTORE
    reason = "checks 1-4 passed: these lines would be sent (dry run: nothing sent)"
    return replace(record_for(spec, status, reason, progress), would_send=lines)


def _send(
    spec: ChangeSpec, env: DeviceEnv, io: DeviceIO, observed: Observed, progress: Progress
) -> None:
    """The before-backup, the timer, then the change itself."""
    progress.backups.append(env.backup("before", observed.running))
    timer = progress.timer
    if timer is not None and timer.minutes is not None:
        arm_timer(io, timer.minutes, progress.sent)
        progress.timer = replace(timer, armed_at=utc_iso(env.clock()))
        env.log({"event": "timer armed", "minutes": timer.minutes})
    progress.started_change = True
    send_lines(
        io,
        spec.forward,
        error_pattern=progress.facts.error_pattern,
        sent=progress.sent,
        may_ask=progress.may_ask,
    )


def verification_problem(
    spec: ChangeSpec, before: str, after: str, verdict: ConfigVerdict
) -> str | None:
    """Why the configuration after the change is not accepted (None: it is)."""
    if not spec.done.reached(verdict):
        return (
            f"verification failed: the audit says {verdict.status.value} ({verdict.reason}), "
            f"not {spec.done.text}"
        )
    foreign = foreign_changes(before, after, touched([*spec.forward, *spec.undo]))
    if foreign:
        return (
            "verification failed: lines the change does not explain changed meanwhile "
            "(someone else editing?): " + "; ".join(line.strip() for line in foreign[:5])
        )
    return None


def _note_reporting(progress: Progress, running: str) -> None:
    """Name the `call-home reporting anonymous` lines the unit changed itself when it asked
    its anonymous error reporting question (answered `A`, ask later): not ours, not foreign."""
    for line in reporting_changes(progress.before, running):
        what = "added" if line.startswith("+") else "removed"
        progress.notes.append(
            f"the unit {what} {line[2:].strip()!r} when it asked its anonymous error reporting "
            "question (answered: ask later); it is saved with the change"
        )


def _verify_and_save(spec: ChangeSpec, env: DeviceEnv, progress: Progress) -> DeviceRecord:
    """Step 4 and 5 on a new session; a failure before the save is recovered."""
    try:
        with env.connect() as io:
            role, running = role_and_running(io, progress.facts, spec.entry.context)
            if role is Role.STANDBY and progress.role is not Role.STANDBY:
                raise FailedOver("the unit is standby now: it failed over during the change")
            verdict = audit_config(running)
            problem = verification_problem(spec, progress.before, running, verdict)
            if problem is not None:
                raise VerifyFailed(problem)
            _note_reporting(progress, running)
            probe = probe_record(spec, env, verdict)
            _save(spec, io, progress)
            if spec.reload:
                reload_device(io, spec.reload, sent=progress.sent)
    except ReloadStopped as exc:  # saved and verified; only the plan's reload did not happen
        progress.notes.append(f"the plan's reload did not happen: {exc}; reload by hand if needed")
        progress.warnings.append(RELOAD_NOT_DONE)
        return finish(spec, env, progress, running, verdict, probe=probe)
    except DeviceError as exc:
        if progress.saved:
            return after_reload(spec, env, progress, failed=str(exc))
        return recover(spec, env, progress, Failure(reason=_failure_reason(exc), lost=is_lost(exc)))
    if spec.reload:
        return after_reload(spec, env, progress, failed=None, probe=probe)
    return finish(spec, env, progress, running, verdict, probe=probe)


def _save(spec: ChangeSpec, io: DeviceIO, progress: Progress) -> None:
    """Cancel the timer, save, and check that the startup configuration has the change."""
    if progress.armed:
        cancel_timer(io, progress.sent)
        progress.cancelled()
    progress.save_attempted = True
    save_config(io, spec.save, error_pattern=progress.facts.error_pattern, sent=progress.sent)
    startup = audit_config(read_startup(io, progress.facts, spec.entry.context))
    if not spec.done.reached(startup):
        raise VerifyFailed(f"after the save the startup configuration is not {spec.done.text}")
    progress.saved = True
