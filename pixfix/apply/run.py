"""Run apply or rollback over a fleet: canaries, failure budget, windows, locks, workers.

Per device, before it starts: the run's gate (a canary that did not end well, or
`--max-failures` reached: `not-started`), then its window (`no-window`, `outside-window`, or
less than `--min-remaining` left), then its lock (another run on this machine holds it: an
`error` that sent nothing). A device in progress when its window closes is finished; the
window is only asked before a device starts. The contexts of one multiple-context device are
one job, done one after the other under one lock.

The first `--canary K` devices with something to send go one at a time; the rest start only if
each canary ended `applied` or `already-compliant` (`restored` / `already-restored` for a
rollback), then run `--workers` at a time. A dry run has no gate and no lock, and decides the
window (and `--min-remaining`) as the real run would: it predicts the real run's decisions.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from pixfix.apply.env import ChangeOptions, DeviceEnv
from pixfix.apply.interrupt import Stop
from pixfix.apply.locks import address_key, device_lock, holder_text, locks_dir, serial_key
from pixfix.apply.machine import change_device
from pixfix.apply.model import CANARY_OK, FAILURES, ChangeSpec, DeviceRecord, Outcome, RunKind
from pixfix.apply.windows import Interval, WindowCheck, WindowState, check_window, start_refusal
from pixfix.errors import DeviceBusy
from pixfix.fleet import Reporter, run_each
from pixfix.inventory.load import Host
from pixfix.logsetup import per_host
from pixfix.probe.smtp import ProbeResult, probe
from pixfix.probe.target import Target
from pixfix.store.run_dir import RunDir
from pixfix.transport.device_io import DeviceIO, Recorded, open_device
from pixfix.transport.params import ConnectOptions


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """The fleet-level options of one apply or rollback."""

    kind: RunKind
    change: ChangeOptions
    window: Interval | None = None
    min_remaining: timedelta = timedelta(minutes=15)
    canary: int = 0
    max_failures: int = 1
    workers: int = 10
    lock_wait: float = 30.0
    locks: Path = field(default_factory=locks_dir)


def _probe(target: Target, timeout: float) -> ProbeResult:
    return probe(target, timeout=timeout)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Effects:
    """The run's effects on the world, replaceable in tests."""

    connect: Callable[[Host, ConnectOptions], AbstractContextManager[DeviceIO]] = open_device
    probe: Callable[[Target, float], ProbeResult] = _probe
    clock: Callable[[], datetime] = _now
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One device: its inventory host and its entries that have something to send."""

    host: Host
    specs: tuple[ChangeSpec, ...]


@dataclass(slots=True)
class Gate:
    """Whether new devices may start: a failed canary or the failure budget closes it."""

    max_failures: int
    active: bool
    failures: int = 0
    stopped: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refusal(self) -> str | None:
        if not self.active:
            return None
        with self.lock:
            if self.stopped is not None:
                return self.stopped
            if self.failures >= self.max_failures:
                return f"{self.failures} device(s) failed (--max-failures {self.max_failures})"
        return None

    def note(self, record: DeviceRecord, *, canary: bool) -> None:
        with self.lock:
            if record.status in FAILURES:
                self.failures += 1
            if canary and record.status not in CANARY_OK and self.stopped is None:
                self.stopped = f"canary {record.label} ended {record.status.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Run:
    options: RunOptions
    run: RunDir
    effects: Effects
    gate: Gate
    stop: Stop


def run_jobs(
    jobs: Sequence[Job],
    *,
    options: RunOptions,
    run: RunDir,
    effects: Effects,
    reporter: Reporter,
    stop: Stop | None = None,
    on_record: Callable[[DeviceRecord], None] = lambda _record: None,
) -> list[DeviceRecord]:
    """Every entry of every job ends with one record; returned in job order. `on_record` is
    called (in the calling thread) as each ends; once `stop` is requested no device starts."""
    dry = options.change.dry_run
    ctx = _Run(
        options=options,
        run=run,
        effects=effects,
        gate=Gate(max_failures=options.max_failures, active=not dry),
        stop=stop or Stop(),
    )
    canaries = list(jobs[: 0 if dry else options.canary])
    rest = list(jobs[len(canaries) :])
    reporter.start(sum(len(job.specs) for job in jobs))

    def report(_: Job, records: list[DeviceRecord]) -> None:
        for record in records:
            reporter.done(record.label, record.status.value)
            on_record(record)

    try:
        first = run_each(canaries, _job_of(ctx, canary=True), workers=1, on_done=report)
        then = run_each(rest, _job_of(ctx, canary=False), workers=options.workers, on_done=report)
    finally:
        reporter.finish()
    return [record for records in (*first, *then) for record in records]


def _job_of(ctx: _Run, *, canary: bool) -> Callable[[Job], list[DeviceRecord]]:
    """`_run_job`, with every log line it causes naming the job's host."""
    return per_host(partial(_run_job, ctx=ctx, canary=canary), lambda job: job.host.name)


def _skipped(spec: ChangeSpec, status: Outcome, reason: str) -> DeviceRecord:
    entry = spec.entry
    return DeviceRecord(
        name=entry.name, context=entry.context, status=status, reason=reason, plan=entry.to_json()
    )


def _window(ctx: _Run, host: Host) -> tuple[WindowCheck, str | None]:
    now = ctx.effects.clock()
    check = check_window(host.change_window, ctx.options.window, now)
    return check, start_refusal(check, now, ctx.options.min_remaining)


def _refusal(ctx: _Run, spec: ChangeSpec, host: Host) -> DeviceRecord | WindowCheck:
    """The record of a device that may not start now, or its window when it may."""
    if ctx.stop.requested:
        return _skipped(
            spec, Outcome.NOT_STARTED, f"not started: the run was interrupted ({ctx.stop.name})"
        )
    stopped = ctx.gate.refusal()
    if stopped is not None:
        return _skipped(spec, Outcome.NOT_STARTED, f"not started: {stopped}")
    check, refusal = _window(ctx, host)
    if refusal is None:
        return check
    status = Outcome.NO_WINDOW if check.state is WindowState.NONE else Outcome.OUTSIDE_WINDOW
    return _skipped(spec, status, f"{refusal}: nothing sent")


@dataclass(slots=True)
class _JobLocks:
    """The locks one job holds until it ends: its address, then its unit's serial number."""

    ctx: _Run
    host: Host
    stack: contextlib.ExitStack
    held: set[str] = field(default_factory=set)

    def hold(self, key: str) -> None:
        if self.ctx.options.change.dry_run or key in self.held:
            return
        self.stack.enter_context(_lock(self.ctx, key, self.host.name))
        self.held.add(key)

    def hold_serial(self, serial: str) -> None:
        self.hold(serial_key(serial))


def _run_job(job: Job, ctx: _Run, *, canary: bool) -> list[DeviceRecord]:
    records: list[DeviceRecord] = []
    with contextlib.ExitStack() as stack:
        locks = _JobLocks(ctx=ctx, host=job.host, stack=stack)
        for spec in job.specs:
            allowed = _refusal(ctx, spec, job.host)
            if isinstance(allowed, DeviceRecord):
                records.append(allowed)
                continue
            try:
                locks.hold(address_key(job.host.host, job.host.port))
            except DeviceBusy as exc:
                records.append(_skipped(spec, Outcome.BUSY, str(exc)))
                continue
            env = replace(
                _env(ctx, spec, job.host, allowed), hold=lambda s: locks.hold(serial_key(s))
            )
            record = change_device(spec, env)
            if ctx.options.change.dry_run:
                record = replace(record, notes=(*record.notes, f"window: {allowed.describe()}"))
            ctx.gate.note(record, canary=canary)
            records.append(record)
    return records


def _lock(ctx: _Run, key: str, label: str) -> AbstractContextManager[None]:
    return device_lock(
        key,
        label=label,
        holder=holder_text(f"{ctx.options.kind.value} run {ctx.run.run_id}"),
        folder=ctx.options.locks,
        wait=ctx.options.lock_wait,
    )


def _prober(effects: Effects, host: Host, timeout: float) -> Callable[[], ProbeResult] | None:
    mx = host.mx
    if mx is None:
        return None
    target = Target(host=mx.host, port=mx.port, name=host.name)
    return lambda: effects.probe(target, timeout)


def _env(ctx: _Run, spec: ChangeSpec, host: Host, window: WindowCheck) -> DeviceEnv:
    options, effects, run = ctx.options.change, ctx.effects, ctx.run

    def log(record: dict[str, object]) -> None:
        run.log({"device": spec.label, **record})

    reach = ConnectOptions(timeout=options.timeout, host_keys=options.host_keys)

    @contextlib.contextmanager
    def connect() -> Iterator[DeviceIO]:
        with effects.connect(host, reach) as io:
            yield Recorded(io, log)

    return DeviceEnv(
        host=host,
        connect=connect,
        probe=_prober(effects, host, options.timeout),
        backup=lambda which, text: str(run.write_backup(spec.stem, which, text).name),
        log=log,
        clock=effects.clock,
        sleep=effects.sleep,
        window_end=window.window.end if window.window is not None else None,
        options=options,
    )
