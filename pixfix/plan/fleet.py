"""`pixfix plan` over a fleet: read every device (or saved configuration), plan each, write it.

Reading is the audit's (`pixfix.audit.fleet` live, `pixfix.audit.verdict.collect_offline` for
saved files); planning is pure CPU work (normalise, predict, re-audit, diff), spread over the
machine's cores for large fleets; the plan directory is written once, whole, by the store.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shlex
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pixfix import __version__
from pixfix.audit.verdict import collect_offline
from pixfix.inventory.load import Host
from pixfix.model import Collected, DeviceResult, Status
from pixfix.plan.approval import utc_stamp
from pixfix.plan.entry import DeviceMeta, Mode, PlanEntry, Reload, plan_entry
from pixfix.plan.report import PlanHeader, PlannedDevice, plan_files
from pixfix.store.plan_dir import Replaced, check_plan_target, write_plan_dir

if TYPE_CHECKING:  # netmiko loads only for live plans
    from pixfix.audit.fleet import FleetOptions

Planned = tuple[Collected, DeviceMeta]
OFFLINE_META = DeviceMeta(transport="offline", managed_by=None, role=None)
_PARALLEL_FROM = 64  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRequest:
    """What `pixfix plan` was asked: where from, which mode and reload, and where to."""

    out: Path
    mode: Mode
    reload: Reload
    inventory: Path | None = None
    offline: tuple[Path, ...] = ()
    limits: tuple[str, ...] = ()
    force: bool = False  # replace a plan directory that holds files pixfix did not write


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    """A plan written: its id, entries, and what it replaced in the directory."""

    plan_id: str
    entries: tuple[PlanEntry, ...]
    replaced: Replaced


def check_out(out: Path, *, force: bool = False) -> None:
    """Refuse a `--out` that is not a plan directory (or new), or a plan directory holding
    files pixfix did not write (unless `force`), before any device is read."""
    check_plan_target(out, force=force)


def offline_inputs(paths: Sequence[Path], *, assume_whole: bool = False) -> list[Planned]:
    """Saved configurations audited like `pixfix audit --offline`, each with its text."""
    return [(c, OFFLINE_META) for c in collect_offline(paths, assume_whole=assume_whole)]


def live_inputs(hosts: Sequence[Host], options: FleetOptions) -> list[Planned]:
    """Every host read (read-only, like `pixfix audit -i`), with its plan metadata."""
    from pixfix.audit.fleet import collect_fleet  # noqa: PLC0415 (netmiko: live plans only)

    collected = collect_fleet(hosts, options)
    return [(c, _meta(host, c)) for host, got in zip(hosts, collected, strict=True) for c in got]


def _meta(host: Host, collected: Collected) -> DeviceMeta:
    return DeviceMeta(
        transport=host.transport.value, managed_by=host.managed_by, role=collected.result.role
    )


def plan_devices(inputs: Sequence[Planned], *, mode: Mode, reload: Reload) -> list[PlannedDevice]:
    """Each device planned, and kept with its metadata and text for the report, in input order."""
    jobs = [(c.result, c.config, c.startup, meta, mode, reload) for c, meta in inputs]
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < _PARALLEL_FROM or workers < 2:
        entries = [_plan_one(job) for job in jobs]
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            entries = list(pool.map(_plan_one, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
    return [
        PlannedDevice(entry=entry, meta=meta, config=c.config, saved=_kept_saved(entry, c))
        for entry, (c, meta) in zip(entries, inputs, strict=True)
    ]


def _kept_saved(entry: PlanEntry, collected: Collected) -> str | None:
    """The saved configuration, kept beside the backup where the plan depends on it."""
    return collected.startup if entry.status is Status.UNSAVED else None


def _plan_one(
    job: tuple[DeviceResult, str | None, str | None, DeviceMeta, Mode, Reload],
) -> PlanEntry:
    result, config, saved, meta, mode, reload = job
    return plan_entry(result, config, meta, mode=mode, reload=reload, saved=saved)


def write_plan(request: PlanRequest, devices: Sequence[PlannedDevice]) -> Written:
    """The plan directory, written whole (an older plan there is replaced with its approvals)."""
    out = request.out
    header = PlanHeader(
        plan_id=secrets.token_hex(4),
        created_at=utc_stamp(),
        mode=request.mode.value,
        reload=request.reload.value,
        version=__version__,
        inventory=None if request.inventory is None else str(request.inventory),
        offline=tuple(str(p) for p in request.offline),
        limits=request.limits,
        directory=shlex.quote(str(out)),
    )
    replaced = write_plan_dir(out, plan_files(header, devices), force=request.force)
    entries = tuple(device.entry for device in devices)
    return Written(plan_id=header.plan_id, entries=entries, replaced=replaced)


def _failed(entry: PlanEntry) -> bool:
    return entry.status is Status.ERROR or not entry.planned


def plan_exit_code(entries: Sequence[PlanEntry]) -> int:
    """3 when some entry could not be audited or planned, else 0."""
    return 3 if any(_failed(e) for e in entries) else 0


def replaced_note(out: Path, approvals: int) -> str:
    """What re-planning did to the old plan: its approvals never carry over to the new one."""
    if not approvals:
        return f"replaced the older plan in {out} (it had no approvals)"
    return (
        f"replaced the older plan in {out}: its approval.json ({approvals} approval(s)) was "
        "removed; the new plan must be approved again"
    )


def summary_line(plan_id: str, out: Path, entries: Sequence[PlanEntry]) -> str:
    changing = sum(1 for e in entries if e.commands)
    failed = sum(1 for e in entries if _failed(e))
    text = f"plan {plan_id} written to {out}: {len(entries)} device(s), {changing} to change"
    return text + (f", {failed} could not be planned" if failed else "")
