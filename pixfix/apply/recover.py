"""When a change fails after its first line: undo it, let the dead-man timer undo it, or say
exactly what is left to do by hand. Nothing here ever saves a configuration.

- The session was lost while a dead-man timer is armed: touch nothing (a rollback typed into a
  half-open session could land anywhere); wait for the timer to reload the device, reconnect,
  and audit: `reverted` when the configuration it booted is as before the change. Waiting
  means logging in now and then and reading `show reload`: a read, never a change.
- Otherwise (the device refused a line, the unit failed over, verification failed, the save
  failed, or the session was lost with no timer): a new session reads the configuration; if it
  is not already as before, the undo lines are sent; a further new session must find it as
  before (and its startup configuration too, when a save was attempted), then the timer is
  cancelled: `rolled-back`. Nothing is ever sent to a standby unit: after a failover the
  address reaches the pair's new active unit, which has the change by replication, and the
  undo goes there (the record names both units); a session that reaches a standby unit ends
  the device `needs-attention`.
- The undo failing, or the device unreachable without a timer: `needs-attention`, with the
  lines sent so far and the lines to finish by hand. With a timer armed, a failed undo still
  ends by waiting for the timer.

The same functions also wait for a device the plan reloads after its save (`after_reload`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pixfix.apply.device_ops import cancel_timer, read_running, read_startup, send_lines
from pixfix.apply.env import DeviceEnv, Progress, finish, record_for
from pixfix.apply.model import ChangeSpec, DeviceRecord, Outcome, ProbeRecord, RunKind
from pixfix.apply.rules import config_body, manual_steps, reload_scheduled
from pixfix.audit.reads import unit_now
from pixfix.audit.verdict import audit_config
from pixfix.errors import DeviceError, FailedOver
from pixfix.model import Role
from pixfix.transport.device_io import DeviceIO

REORDERED = (
    "running now differs from startup (nothing was saved): lines put back by the rollback "
    "land at the end of their block, as on a real device; `write memory` would store that "
    "order, a reload brings back the saved one"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """Why a change stopped, and whether the session was lost (rather than refused)."""

    reason: str
    lost: bool


def recover(spec: ChangeSpec, env: DeviceEnv, progress: Progress, failure: Failure) -> DeviceRecord:
    """Bring the device back to where it was before the change (see the module docstring)."""
    env.log({"event": "failure", "reason": failure.reason, "lost": failure.lost})
    if failure.lost and progress.armed:
        return wait_for_revert(spec, env, progress, failure.reason)
    undo_error = ""
    try:
        _undo(spec, env, progress)
    except DeviceError as exc:
        undo_error = f"; the rollback session failed ({exc})"
    try:
        problem = _check_undone(spec, env, progress)
    except DeviceError as exc:
        problem = f"the device could not be checked after the rollback: {exc}"
    if problem is not None:
        return _undo_failed(spec, env, progress, f"{failure.reason}{undo_error}; {problem}")
    if undo_error:
        progress.notes.append(f"verified from a new session{undo_error}")
    return record_for(
        spec, Outcome.ROLLED_BACK, f"{failure.reason}; {_undone_text(spec)}", progress
    )


def _undone_text(spec: ChangeSpec) -> str:
    if spec.kind is RunKind.APPLY:
        return f"rolled back ({spec.undone.text}), nothing saved"
    return f"the rollback was undone ({spec.undone.text}, as the apply left it), nothing saved"


def _undo(spec: ChangeSpec, env: DeviceEnv, progress: Progress) -> None:
    """Send the undo lines on a new session, unless the device is already as before; never to
    a standby unit (after a failover the address reaches the pair's active unit, which has the
    change by replication: the undo goes there)."""
    with env.connect() as io:
        _active_unit(io, spec, env, progress)
        running = read_running(io, progress.facts, spec.entry.context)
        if spec.undone.reached(audit_config(running)):
            progress.notes.append(
                f"already {spec.undone.text} after the failure: no undo line sent"
            )
            return
        env.log({"event": "undo", "lines": len(spec.undo)})
        send_lines(
            io,
            spec.undo,
            error_pattern=progress.facts.error_pattern,
            sent=progress.sent,
            may_ask=progress.may_ask,
        )


def _active_unit(io: DeviceIO, spec: ChangeSpec, env: DeviceEnv, progress: Progress) -> None:
    """The unit this session reached may be changed; name it when it is not the one the change
    was sent to. A standby unit: `FailedOver`, nothing is sent to it."""
    role, serial = unit_now(io, spec.entry.context)
    other = serial is not None and progress.unit is not None and serial != progress.unit
    if other and serial is not None:
        env.hold(serial)  # that unit is now changed too: no other run may work on it meanwhile
    if other:
        note = (
            f"the change went to unit {progress.unit}; after the failover {env.address} "
            f"reached unit {serial} ({role.value if role else 'role unknown'})"
        )
        if note not in progress.notes:
            progress.notes.append(note)
    if role is Role.STANDBY and progress.role is not Role.STANDBY:
        progress.standby_reached = True
        raise FailedOver(
            f"{env.address} reaches a standby unit ({serial or 'serial unknown'}): nothing is "
            "sent to it; the active unit has the change by replication"
        )


def _check_undone(spec: ChangeSpec, env: DeviceEnv, progress: Progress) -> str | None:
    """From a new session: as before (running, and startup when a save was tried); then the
    timer is cancelled. Returns what is wrong, or None."""
    with env.connect() as io:
        try:
            _active_unit(io, spec, env, progress)
        except FailedOver as exc:
            return f"the active unit could not be checked: {exc}"
        running = read_running(io, progress.facts, spec.entry.context)
        if not spec.undone.reached(audit_config(running)):
            return f"after the rollback the configuration is not {spec.undone.text}"
        startup = read_startup(io, progress.facts, spec.entry.context)
        if progress.save_attempted and not spec.undone.reached(audit_config(startup)):
            return (
                "the startup configuration has the change (the save went through before "
                "the failure): the running configuration was rolled back, startup was not"
            )
        if config_body(running) != config_body(startup):
            progress.notes.append(REORDERED)
        if progress.armed:
            cancel_timer(io, progress.sent)
            progress.cancelled()
    return None


def _undo_failed(spec: ChangeSpec, env: DeviceEnv, progress: Progress, reason: str) -> DeviceRecord:
    if progress.armed:
        return wait_for_revert(spec, env, progress, reason)
    return needs_attention(spec, env, progress, reason)


def needs_attention(
    spec: ChangeSpec, env: DeviceEnv, progress: Progress, reason: str
) -> DeviceRecord:
    """The device's exact state as far as known, and what to do by hand."""
    saved = "a save went through" if progress.saved else "nothing was saved"
    timer = "a dead-man reload is still scheduled" if progress.armed else "no reload is scheduled"
    state = f"state: {len(progress.sent)} line(s) sent, {saved}, {timer}"
    steps = manual_steps(
        spec,
        address=env.address,
        sent=progress.sent,
        timer_armed=progress.armed,
        standby=progress.standby_reached,
    )
    record = record_for(spec, Outcome.NEEDS_ATTENTION, f"{reason}; {state}", progress)
    return replace(record, manual=steps)


def _armed_at(progress: Progress, env: DeviceEnv) -> datetime:
    timer = progress.timer
    if timer is None or timer.armed_at is None:
        return env.clock()
    return datetime.fromisoformat(timer.armed_at.replace("Z", "+00:00"))


def wait_for_revert(
    spec: ChangeSpec, env: DeviceEnv, progress: Progress, reason: str
) -> DeviceRecord:
    """Touch nothing until the dead-man timer has reloaded the device, then audit it."""
    minutes = (progress.timer.minutes if progress.timer else None) or 0
    give_up = _armed_at(progress, env) + timedelta(minutes=minutes, seconds=env.options.boot_wait)
    env.log({"event": "waiting for the dead-man timer", "until": give_up.isoformat()})
    while env.clock() < give_up:
        env.sleep(env.options.poll)
        running = _after_timer(spec, env, progress)
        if running is None:
            continue
        if progress.timer is not None:
            progress.timer = replace(progress.timer, note=f"{progress.timer.note}; it fired")
        if spec.undone.reached(audit_config(running)):
            text = (
                "the dead-man timer reloaded the device, which booted its saved configuration "
                f"({spec.undone.text})"
            )
            return record_for(spec, Outcome.REVERTED, f"{reason}; {text}", progress)
        why = f"no reload is scheduled any more, yet the configuration is not {spec.undone.text}"
        return needs_attention(spec, env, progress, f"{reason}; {why}")
    why = f"the device was not reachable again by {give_up.isoformat(timespec='seconds')}"
    return needs_attention(spec, env, progress, f"{reason}; {why}")


def _after_timer(spec: ChangeSpec, env: DeviceEnv, progress: Progress) -> str | None:
    """The running configuration once no reload is scheduled; None while it still is (or
    while the device cannot be reached)."""
    try:
        with env.connect() as io:
            if reload_scheduled(io.read("show reload")) is not False:
                return None
            return read_running(io, progress.facts, spec.entry.context)
    except DeviceError:
        return None


def cancel_stray_timer(env: DeviceEnv, progress: Progress) -> tuple[bool, str]:
    """A `reload in` was typed but the change never started: make sure no reload stays."""
    try:
        with env.connect() as io:
            if reload_scheduled(io.read("show reload")) is False:
                return True, "no reload is scheduled"
            cancel_timer(io, progress.sent)
            progress.cancelled()
            return True, "the scheduled reload was cancelled"
    except DeviceError as exc:
        return False, f"a reload may still be scheduled ({exc}): check `show reload`"


def after_reload(
    spec: ChangeSpec,
    env: DeviceEnv,
    progress: Progress,
    *,
    failed: str | None,
    probe: ProbeRecord | None = None,
) -> DeviceRecord:
    """The plan's reload after a verified save: wait for the device, check it booted changed."""
    give_up = env.clock() + timedelta(seconds=env.options.boot_wait)
    env.log({"event": "waiting for the reload", "error": failed})
    while env.clock() < give_up:
        env.sleep(env.options.poll)
        try:
            with env.connect() as io:
                running = read_running(io, progress.facts, spec.entry.context)
        except DeviceError:
            continue
        verdict = audit_config(running)
        if spec.done.reached(verdict):
            sent = "sent" if failed is None else f"sent, but it may not have happened ({failed})"
            progress.notes.append(f"the plan's reload was {sent}; the device answered again")
            return finish(spec, env, progress, running, verdict, probe=probe)
        why = f"after the reload the configuration is not {spec.done.text}"
        return needs_attention(spec, env, progress, why)
    why = f"saved, then reloaded as the plan asks, but not reachable again ({failed or 'no error'})"
    return needs_attention(spec, env, progress, why)
