"""What the apply state machine carries for one device: its environment, its progress, and how
its final record is made (shared by `pixfix.apply.machine` and `pixfix.apply.recover`).

`DeviceEnv` holds every effect the machine may have (connect, probe, clock, sleep, backups,
log), so the machine runs the same against the lab, a real fleet, or an in-process simulated
device in unit tests. `Progress` is the one mutable record: what has been sent, armed, saved
and backed up so far, so that whoever handles a failure knows exactly what the device got.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime

from pixfix.apply.model import (
    PROBE_DISAGREES,
    ChangeSpec,
    DeviceRecord,
    Outcome,
    ProbeRecord,
    RunKind,
    TimerRecord,
)
from pixfix.apply.rules import difference
from pixfix.errors import CollectError, ConnectError, DeviceError
from pixfix.inventory.load import Host
from pixfix.model import ConfigVerdict, DeviceResult, Role
from pixfix.parse.normalize import config_fingerprint
from pixfix.platforms import TrainFacts
from pixfix.probe.judge import Agreement, judge_device
from pixfix.probe.smtp import ProbeResult
from pixfix.transport.device_io import DeviceIO, LogSink
from pixfix.transport.hostkeys import KeyOptions


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeOptions:
    """How one device is changed (the CLI options that act per device)."""

    dry_run: bool = False
    allow_unsaved: bool = False
    confirm_minutes: int | None = None
    timeout: float = 30.0
    host_keys: KeyOptions = field(default_factory=KeyOptions)  # --known-hosts, --trust-new-keys
    boot_wait: float = 900.0  # seconds a reloading device may take to come back
    poll: float = 10.0  # seconds between reconnection attempts while waiting for it


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceEnv:
    """Everything a device's change needs from outside; tests replace any of it."""

    host: Host
    connect: Callable[[], AbstractContextManager[DeviceIO]]
    probe: Callable[[], ProbeResult] | None  # None: the host has no mx
    backup: Callable[[str, str], str]  # (before|after, text) -> the file written
    log: LogSink
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    window_end: datetime | None
    options: ChangeOptions
    # take the lock of the unit's identity (its serial number) once it is known: it raises
    # `DeviceBusy` when another run holds it (see `pixfix.apply.locks`)
    hold: Callable[[str], None] = lambda _serial: None

    @property
    def address(self) -> str:
        return f"{self.host.host}:{self.host.port}"


@dataclass(slots=True)
class Progress:
    """What has been done to the device so far (see the module docstring)."""

    facts: TrainFacts
    may_ask: bool = False  # the unit may ask the reporting question (ASA 8.4+) in config mode
    role: Role | None = None  # the failover role before the change
    unit: str | None = None  # the serial number of the unit the change was sent to
    standby_reached: bool = False  # after a failover the address reached a standby unit
    sent: list[str] = field(default_factory=list)
    started_change: bool = False
    timer: TimerRecord | None = None
    save_attempted: bool = False
    saved: bool = False
    before: str = ""
    backups: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def armed(self) -> bool:
        """A dead-man reload is scheduled on the device and has not been cancelled."""
        timer = self.timer
        return timer is not None and timer.armed_at is not None and not timer.cancelled

    def cancelled(self) -> None:
        if self.timer is not None:
            self.timer = replace(self.timer, cancelled=True)


def is_lost(exc: DeviceError) -> bool:
    """The session broke or stopped answering (not a device that answered with an error)."""
    return isinstance(exc, ConnectError | CollectError)


def record_for(
    spec: ChangeSpec, status: Outcome, reason: str, progress: Progress | None = None
) -> DeviceRecord:
    """A device's record, with what `progress` says was sent, armed, saved and backed up."""
    entry = spec.entry
    record = DeviceRecord(
        name=entry.name,
        context=entry.context,
        status=status,
        reason=reason,
        plan=entry.to_json(),
    )
    if progress is None:
        return record
    return replace(
        record,
        commands=tuple(progress.sent),
        timer=progress.timer,
        saved=progress.saved,
        backups=tuple(progress.backups),
        notes=tuple(progress.notes),
        warnings=tuple(progress.warnings),
    )


def probe_record(spec: ChangeSpec, env: DeviceEnv, verdict: ConfigVerdict) -> ProbeRecord | None:
    """The probe of the host's mx after the change, judged against the new configuration."""
    mx = env.host.mx
    if env.probe is None or mx is None:
        return None
    result = env.probe()
    device = DeviceResult.from_verdict(spec.entry.name, verdict, context=spec.entry.context)
    agreement, note = judge_device([device], mx.port, result.verdict)
    if result.error and agreement is Agreement.NOT_APPLICABLE:
        note = f"{note}: {result.error}"
    env.log({"event": "probe", "verdict": result.verdict.value, "agreement": agreement.value})
    return ProbeRecord(
        target=result.target.address,
        verdict=result.verdict.value,
        agreement=agreement.value,
        note=note,
    )


def finish(
    spec: ChangeSpec,
    env: DeviceEnv,
    progress: Progress,
    running: str,
    verdict: ConfigVerdict,
    *,
    probe: ProbeRecord | None,
) -> DeviceRecord:
    """After-backup and the record of a change that was verified and saved."""
    progress.backups.append(env.backup("after", running))
    if probe is not None and probe.agreement == Agreement.DISAGREES.value:
        progress.warnings.append(PROBE_DISAGREES)
    status = Outcome.APPLIED if spec.kind is RunKind.APPLY else Outcome.RESTORED
    reason = f"{spec.done.text}, verified from a new session, and saved"
    return replace(
        record_for(spec, status, reason, progress),
        verification={
            "status": verdict.status.value,
            "findings": [f.to_json() for f in verdict.findings],
        },
        probe=probe,
        after_fingerprint=config_fingerprint(running),
        diff=difference(progress.before, running, names=("before", "after")),
    )
