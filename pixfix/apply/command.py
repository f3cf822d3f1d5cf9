"""`pixfix apply` and `pixfix rollback` from request to record: everything the CLI calls.

Two phases, so that whatever is refused is refused before any device is touched:

- `prepare_apply` / `prepare_rollback` read and check the input (approvals, plan or run, the
  inventory, `--limit`, `--window`, `--confirm-minutes`, cron lines) and build one
  `ChangeSpec` per device with something to send. Any problem is an `InputError` (exit 2)
  and no run directory exists yet.
- `execute` creates the run directory, runs the fleet, and writes result.json, the reports and
  the backups (all redacted with the inventory's secrets).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pixfix import __version__
from pixfix.apply.env import ChangeOptions
from pixfix.apply.interrupt import Stop, handled
from pixfix.apply.left import Idle, covered_standbys, idle_of, pair_key
from pixfix.apply.live import LiveRecord
from pixfix.apply.model import (
    ChangeSpec,
    DeviceRecord,
    Outcome,
    RunKind,
    apply_spec,
    rollback_spec,
)
from pixfix.apply.report import (
    RunHeader,
    render_run_html,
    render_run_markdown,
    result_document,
)
from pixfix.apply.rules import exit_code, minimum_timer_minutes
from pixfix.apply.run import Effects, Job, RunOptions, run_jobs
from pixfix.apply.source import load_apply_run, load_approved_plan
from pixfix.apply.windows import Interval, parse_interval, validate_window
from pixfix.errors import InputError
from pixfix.fleet import Reporter
from pixfix.inventory.load import Host, Inventory, load_inventory
from pixfix.inventory.select import select_hosts
from pixfix.plan.model import PlanEntry
from pixfix.store.run_dir import Redactor, RunDir, redactor_for, utc_iso
from pixfix.transport.hostkeys import KeyOptions


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """The command line of `apply` or `rollback`, as parsed by click."""

    source: Path  # the plan directory (apply) or the apply's run directory (rollback)
    inventory: Path | None = None
    limits: tuple[str, ...] = ()
    out: Path = Path("runs")
    dry_run: bool = False
    window: str | None = None
    min_remaining: int = 15
    require_approvals: int = 1
    confirm_minutes: int | None = None
    allow_unsaved: bool = False
    canary: int = 0
    max_failures: int = 1
    workers: int = 10
    timeout: float = 30.0
    lock_wait: float = 30.0
    known_hosts: Path | None = None
    trust_new_keys: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """A checked request: the jobs to run and the records already known without a session."""

    kind: RunKind
    request: Request
    inventory: Inventory
    entries: tuple[PlanEntry, ...]  # every selected entry, in plan order
    jobs: tuple[Job, ...]
    settled: tuple[DeviceRecord, ...]  # nothing-to-do, not in the inventory
    window: Interval | None
    source: dict[str, object]
    redact: Redactor
    pair_keys: dict[str, str | None]  # what a pair's units share (see `pixfix.apply.left`)

    @property
    def to_change(self) -> int:
        return sum(len(job.specs) for job in self.jobs)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    run_dir: Path
    header: RunHeader
    records: tuple[DeviceRecord, ...]
    exit_code: int


def _inventory(given: Path | None, recorded: str | None, beside: Path) -> Inventory:
    """`-i` wins; else the path the plan (or run) recorded, as given or beside its folder."""
    if given is not None:
        return load_inventory(given)
    if recorded is None:
        raise InputError(f"{beside}: no inventory recorded (planned offline?): give -i INVENTORY")
    for candidate in (Path(recorded), beside.parent / recorded):
        if candidate.is_file():
            return load_inventory(candidate)
    raise InputError(f"the recorded inventory {recorded} is not found: give -i INVENTORY")


def _common_checks(request: Request, now: datetime) -> Interval | None:
    if request.confirm_minutes is not None:
        least = minimum_timer_minutes(request.timeout)
        if request.confirm_minutes < least:
            raise InputError(
                f"--confirm-minutes {request.confirm_minutes} is too short: the change, a new "
                f"session to verify it and the probe may take {least} minutes with --timeout "
                f"{request.timeout:g}"
            )
    return parse_interval(request.window, now) if request.window else None


def _selected(
    inventory: Inventory, entries: Sequence[PlanEntry], limits: Sequence[str]
) -> tuple[tuple[PlanEntry, ...], dict[str, Host]]:
    hosts = {host.name: host for host in inventory.hosts}
    if not limits:
        return tuple(entries), hosts
    chosen = {host.name for host in select_hosts(inventory.hosts, list(limits))}
    picked = tuple(entry for entry in entries if entry.name in chosen)
    if not picked:
        raise InputError(f"--limit {' '.join(limits)} selects no device of this run")
    return picked, hosts


def _settled(spec: ChangeSpec, status: Outcome, reason: str) -> DeviceRecord:
    entry = spec.entry
    return DeviceRecord(
        name=entry.name, context=entry.context, status=status, reason=reason, plan=entry.to_json()
    )


def _jobs(
    specs: Sequence[tuple[ChangeSpec, Idle | None]], hosts: dict[str, Host]
) -> tuple[tuple[Job, ...], tuple[DeviceRecord, ...]]:
    """Specs with lines become jobs (one per device, contexts together); the rest settle now.

    Each spec comes with how it ends when it has nothing to send (None: it has lines to send).
    """
    grouped: dict[str, list[ChangeSpec]] = {}
    settled = []
    for spec, idle in specs:
        if idle is not None:
            settled.append(_settled(spec, *idle))
        elif spec.entry.name not in hosts:
            reason = "not in the inventory: nothing sent"
            settled.append(_settled(spec, Outcome.ERROR, reason))
        else:
            grouped.setdefault(spec.entry.name, []).append(spec)
    jobs = tuple(Job(host=hosts[name], specs=tuple(group)) for name, group in grouped.items())
    return jobs, tuple(settled)


def _check_windows(hosts: Sequence[Host]) -> None:
    for host in hosts:
        if host.change_window is not None:
            validate_window(host.change_window)


def _secrets(inventory: Inventory) -> Redactor:
    values = [v for host in inventory.hosts for v in (host.password.reveal(), host.secret.reveal())]
    return redactor_for(values)


def _prepared(
    kind: RunKind,
    request: Request,
    inventory: Inventory,
    specs: Sequence[tuple[ChangeSpec, Idle | None]],
    hosts: dict[str, Host],
    *,
    window: Interval | None,
    source: dict[str, object],
    pair_keys: Mapping[str, str | None] | None = None,
) -> Prepared:
    """The tail both commands share: jobs, change windows checked, secrets to redact."""
    jobs, settled = _jobs(specs, hosts)
    _check_windows([job.host for job in jobs])
    return Prepared(
        kind=kind,
        request=request,
        inventory=inventory,
        entries=tuple(spec.entry for spec, _ in specs),
        jobs=jobs,
        settled=settled,
        window=window,
        source=source,
        redact=_secrets(inventory),
        pair_keys=dict(pair_keys or {}),
    )


def prepare_apply(request: Request, now: datetime) -> Prepared:
    """Check everything `apply` needs before touching a device (see the module docstring)."""
    plan = load_approved_plan(request.source, require=request.require_approvals)
    window = _common_checks(request, now)
    inventory = _inventory(request.inventory, plan.inventory, request.source)
    entries, hosts = _selected(inventory, plan.entries, request.limits)
    specs = [(apply_spec(e, plan.backup(e.stem)), idle_of(e)) for e in entries]
    pair_keys = {e.label: pair_key(e, plan.backup(e.stem)) for e in entries}
    source: dict[str, object] = {
        "directory": str(request.source),
        "plan_id": plan.plan_id,
        "sha256": plan.sha256,
        "mode": plan.mode,
        "approved_by": [approval.by for approval in plan.approvals],
    }
    return _prepared(
        RunKind.APPLY,
        request,
        inventory,
        specs,
        hosts,
        window=window,
        source=source,
        pair_keys=pair_keys,
    )


def prepare_rollback(request: Request, now: datetime) -> Prepared:
    """Check everything `rollback` needs before touching a device."""
    run = load_apply_run(request.source)
    window = _common_checks(request, now)
    inventory = _inventory(request.inventory, run.inventory, request.source)
    by_entry = {(d.entry.name, d.entry.context): d for d in run.devices}
    entries, hosts = _selected(inventory, [d.entry for d in run.devices], request.limits)
    specs = []
    for entry in entries:
        device = by_entry[(entry.name, entry.context)]
        why = f"nothing to do: the apply did not change it (it ended {device.status})"
        idle = None if device.changed else (Outcome.NOTHING_TO_DO, why)
        spec = rollback_spec(
            entry, device.after_fingerprint, device.after, saved_before=device.before
        )
        specs.append((spec, idle))
    source: dict[str, object] = {
        "directory": str(request.source),
        "run_id": run.run_id,
        "plan_id": run.plan_id,
    }
    return _prepared(
        RunKind.ROLLBACK, request, inventory, specs, hosts, window=window, source=source
    )


def _options(prepared: Prepared) -> RunOptions:
    request = prepared.request
    rollback = prepared.kind is RunKind.ROLLBACK
    return RunOptions(
        kind=prepared.kind,
        change=ChangeOptions(
            dry_run=request.dry_run,
            allow_unsaved=request.allow_unsaved and not rollback,
            confirm_minutes=None if rollback else request.confirm_minutes,
            timeout=request.timeout,
            host_keys=KeyOptions(known_hosts=request.known_hosts, trust_new=request.trust_new_keys),
            poll=max(1.0, min(10.0, request.timeout / 3)),
        ),
        window=prepared.window,
        min_remaining=timedelta(minutes=request.min_remaining),
        canary=0 if rollback else request.canary,
        max_failures=10**9 if rollback else request.max_failures,
        workers=request.workers,
        lock_wait=request.lock_wait,
    )


def _header(prepared: Prepared, run: RunDir, started: datetime) -> RunHeader:
    request = prepared.request
    options: dict[str, object] = {
        "window": request.window,
        "min_remaining": request.min_remaining,
        "limit": " OR ".join(request.limits) or None,
        "workers": request.workers,
        "timeout": request.timeout,
    }
    if prepared.kind is RunKind.APPLY:
        options |= {
            "require_approvals": request.require_approvals,
            "confirm_minutes": request.confirm_minutes,
            "allow_unsaved": request.allow_unsaved,
            "canary": request.canary,
            "max_failures": request.max_failures,
        }
    return RunHeader(
        run_id=run.run_id,
        kind=prepared.kind.value,
        dry_run=request.dry_run,
        started_at=utc_iso(started),
        finished_at=None,
        version=__version__,
        source=prepared.source,
        inventory=str(prepared.inventory.path.resolve()),
        options=options,
    )


def _in_plan_order(prepared: Prepared, records: Sequence[DeviceRecord]) -> tuple[DeviceRecord, ...]:
    found = {(r.name, r.context): r for r in (*prepared.settled, *records)}
    return tuple(found[(e.name, e.context)] for e in prepared.entries)


def execute(prepared: Prepared, *, effects: Effects, reporter: Reporter) -> RunResult:
    """Create the run directory, change the devices, write the record (see `interrupt` for
    what Ctrl-C and SIGTERM do)."""
    started = effects.clock()
    run = RunDir.create(prepared.request.out, started, prepared.redact)
    header = _header(prepared, run, started)
    pending = [
        _settled(spec, Outcome.PENDING, "not finished yet")
        for job in prepared.jobs
        for spec in job.specs
    ]
    live = LiveRecord(run, header, prepared.entries, [*prepared.settled, *pending])
    live.write()
    run.log({"event": "run start", "kind": prepared.kind.value, "dry_run": header.dry_run})
    stop = Stop()

    def at_once(_signum: int) -> None:
        for line in live.stop_now(stop, utc_iso(effects.clock())):
            print(f"pixfix: {line}", file=sys.stderr, flush=True)
        os._exit(stop.exit_code or 130)

    def notice(text: str) -> None:
        print(f"pixfix: {text}", file=sys.stderr, flush=True)
        run.log({"event": "interrupt", "signal": stop.name})

    with handled(stop, notice=notice, at_once=at_once):
        changed = run_jobs(
            prepared.jobs,
            options=_options(prepared),
            run=run,
            effects=effects,
            reporter=reporter,
            stop=stop,
            on_record=live.note,
        )
    records = covered_standbys(_in_plan_order(prepared, changed), prepared.pair_keys)
    code = stop.exit_code or exit_code(prepared.kind, [(r.status, r.warnings) for r in records])
    header = replace(header, finished_at=utc_iso(effects.clock()))
    run.write_result(result_document(header, records, code, interrupted=stop.requested))
    run.write_reports(render_run_markdown(header, records), render_run_html(header, records))
    run.log({"event": "run end", "exit_code": code})
    return RunResult(run_dir=run.path, header=header, records=records, exit_code=code)


def now_utc() -> datetime:
    return datetime.now(UTC)
