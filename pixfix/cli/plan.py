"""`pixfix plan`, `pixfix approve`, `pixfix show`: make a change plan, sign it, look at it.

`plan` reads each device (live over the inventory's transport, or saved configurations), plans
its remediation and writes the plan directory; nothing is sent to any device but the read
commands `pixfix audit` sends. `approve` records who signed which plan.json; `show` prints a
plan (or a run directory) and whether its plan.json still matches its approvals.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

from pixfix import __version__
from pixfix.audit.verdict import audit_config
from pixfix.cli.options import host_key_options
from pixfix.errors import InputError
from pixfix.inventory.load import Host, load_inventory
from pixfix.inventory.select import select_hosts
from pixfix.model import Collected, DeviceResult, Status
from pixfix.plan.approval import approve as sign_plan
from pixfix.plan.approval import (
    check_plan,
    describe_approvals,
    render_run_summary,
    render_show,
    utc_stamp,
)
from pixfix.plan.entry import DeviceMeta, Mode, PlanEntry, Reload, plan_entry
from pixfix.plan.report import PlanHeader, PlannedDevice, plan_files
from pixfix.store.plan_dir import (
    PLAN_FILE,
    RUN_FILE,
    DirKind,
    check_plan_target,
    dir_kind,
    read_configs,
    read_json,
    write_plan_dir,
)
from pixfix.transport.hostkeys import KeyOptions

Planned = tuple[Collected, DeviceMeta]
OFFLINE_META = DeviceMeta(transport="offline", managed_by=None, role=None)


@click.command("plan")
@click.option("-i", "--inventory", type=click.Path(path_type=Path), help="Inventory YAML.")
@click.option("--offline", is_flag=True, help="Plan from saved configuration files or folders.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--limit", "limits", multiple=True, help="Name glob, group=NAME or tag=NAME.")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.DISABLE.value,
    show_default=True,
    help="disable: remove SMTP inspection; tune: keep it with a map that allows TLS.",
)
@click.option(
    "--reload",
    "reload_",
    type=click.Choice([r.value for r in Reload]),
    default=Reload.NEVER.value,
    show_default=True,
    help="Reload after saving (not needed on any train; some change boards ask for it).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The plan directory (created; an older plan there is replaced).",
)
@click.option("--workers", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--timeout", type=click.FloatRange(1, 3600), default=30.0, show_default=True)
@host_key_options
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def plan(
    *,
    inventory: Path | None,
    offline: bool,
    paths: tuple[Path, ...],
    limits: tuple[str, ...],
    mode: str,
    reload_: str,
    out: Path,
    workers: int,
    timeout: float,
    known_hosts: Path | None,
    trust_new_keys: bool,
    quiet: bool,
) -> None:
    """Plan the fix for every device (or context) and write it to the directory --out.

    The directory gets plan.json, report.md, report.html, backups/ (the configurations read,
    0600) and diffs/. Re-planning into a plan directory replaces it and drops its approvals.

    Exit codes: 0 every device planned, 2 bad input, 3 some device could not be audited or
    planned.
    """
    check_plan_target(out)  # before reading any device: a wrong --out wastes nobody's time
    if offline:
        if not paths or inventory is not None or limits:
            raise InputError("--offline takes one or more PATHs and neither -i nor --limit")
        inputs = [(c, OFFLINE_META) for c in offline_inputs(paths)]
    else:
        if inventory is None or paths:
            raise InputError("give -i INVENTORY (or --offline PATH... for saved configurations)")
        keys = KeyOptions(known_hosts=known_hosts, trust_new=trust_new_keys)
        inputs = live_inputs(
            inventory, limits, timeout=timeout, workers=workers, quiet=quiet, keys=keys
        )
    devices = plan_devices(inputs, mode=Mode(mode), reload=Reload(reload_))
    header = PlanHeader(
        plan_id=secrets.token_hex(4),
        created_at=utc_stamp(),
        mode=mode,
        reload=reload_,
        version=__version__,
        inventory=None if inventory is None else str(inventory),
        offline=tuple(str(p) for p in paths),
        limits=limits,
        directory=out.name or str(out),
    )
    replaced = write_plan_dir(out, plan_files(header, devices))
    if replaced.old_plan:
        click.echo(f"pixfix: {replaced_note(out, replaced.approvals_removed)}", err=True)
    entries = [device.entry for device in devices]
    click.echo(summary_line(header.plan_id, out, entries))
    sys.exit(plan_exit_code(entries))


_PARALLEL_FROM = 64  # below this, starting worker processes costs more than it saves


def plan_devices(inputs: Sequence[Planned], *, mode: Mode, reload: Reload) -> list[PlannedDevice]:
    """Each device read, planned, and kept with its metadata and text for the report.

    Planning is pure CPU work (normalise, predict, re-audit, diff): large fleets are spread
    over the machine's cores, in input order.
    """
    jobs = [(c.result, c.config, meta, mode, reload) for c, meta in inputs]
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < _PARALLEL_FROM or workers < 2:
        entries = [_plan_one(job) for job in jobs]
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            entries = list(pool.map(_plan_one, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
    return [
        PlannedDevice(entry=entry, meta=meta, config=c.config)
        for entry, (c, meta) in zip(entries, inputs, strict=True)
    ]


def _plan_one(job: tuple[DeviceResult, str | None, DeviceMeta, Mode, Reload]) -> PlanEntry:
    result, config, meta, mode, reload = job
    return plan_entry(result, config, meta, mode=mode, reload=reload)


def offline_inputs(paths: Sequence[Path]) -> list[Collected]:
    """Saved configurations audited like `pixfix audit --offline`, each with its text."""
    collected = []
    for saved in read_configs(paths):
        if saved.text is None:
            error = DeviceResult(
                name=saved.name, context=saved.context, status=Status.ERROR, error=saved.error
            )
            collected.append(Collected(result=error, config=None))
        else:
            collected.append(collected_from_text(saved.name, saved.context, saved.text))
    return collected


def collected_from_text(name: str, context: str | None, text: str) -> Collected:
    """One configuration text audited, kept with its text (what `collect_host` returns)."""
    result = DeviceResult.from_verdict(name, audit_config(text), context=context)
    return Collected(result=result, config=text)


def live_inputs(
    path: Path,
    limits: Sequence[str],
    *,
    timeout: float,
    workers: int,
    quiet: bool,
    keys: KeyOptions,
) -> list[Planned]:
    """Read every selected host (read-only, like `pixfix audit -i`), with its plan metadata."""
    loaded = load_inventory(path)
    for warning in loaded.warnings:
        click.echo(f"pixfix: warning: {warning}", err=True)
    hosts = select_hosts(loaded.hosts, list(limits))
    if not hosts:
        raise InputError(f"{path}: --limit selects no host")
    from pixfix.audit.live import CollectOptions, collect_host  # noqa: PLC0415 (netmiko: live only)
    from pixfix.fleet import reporter_for, run_fleet  # noqa: PLC0415
    from pixfix.logsetup import per_host  # noqa: PLC0415

    options = CollectOptions(timeout=timeout, host_keys=keys)
    collected = run_fleet(
        hosts,
        per_host(lambda host: collect_host(host, options), _name),
        workers=workers,
        label=_name,
        outcome=lambda got: ", ".join(c.result.status.value for c in got),
        reporter=reporter_for(quiet=quiet),
    )
    return [(c, _meta(host, c)) for host, got in zip(hosts, collected, strict=True) for c in got]


def _name(host: Host) -> str:
    return host.name


def _meta(host: Host, collected: Collected) -> DeviceMeta:
    return DeviceMeta(
        transport=host.transport.value, managed_by=host.managed_by, role=collected.result.role
    )


def plan_exit_code(entries: Sequence[PlanEntry]) -> int:
    """3 when some entry could not be audited or planned, else 0."""
    failed = any(e.status == Status.ERROR.value or not e.planned for e in entries)
    return 3 if failed else 0


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
    failed = sum(1 for e in entries if e.status == Status.ERROR.value or not e.planned)
    text = f"plan {plan_id} written to {out}: {len(entries)} device(s), {changing} to change"
    return text + (f", {failed} could not be planned" if failed else "")


@click.command("approve")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--by", required=True, help="Who approves (one approval per person).")
@click.option("--ticket", help="Change ticket id.")
@click.option("--note", help="A remark kept with the approval.")
def approve(*, directory: Path, by: str, ticket: str | None, note: str | None) -> None:
    """Approve the plan in DIRECTORY: record NAME and the sha256 of its plan.json.

    Exit codes: 0 approved, 2 not a plan, plan.json changed since earlier approvals, or this
    approver already signed.
    """
    signed = sign_plan(directory, by=by, ticket=ticket, note=note)
    click.echo(f"approved by {signed.by}: plan.json sha256 {signed.plan_sha256}")


@click.command("show")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def show(*, directory: Path) -> None:
    """Print the plan (or run) in DIRECTORY, its approvals, and whether plan.json matches them.

    Exit codes: 0 shown (a plan whose plan.json no longer matches its approvals included: that
    is said plainly), 2 not a plan or run directory.
    """
    kind = dir_kind(directory)
    if kind is DirKind.PLAN:
        check = check_plan(directory)
        text = render_show(read_json(directory / PLAN_FILE), describe_approvals(check))
    elif kind is DirKind.RUN:
        text = render_run_summary(directory.name, read_json(directory / RUN_FILE))
    else:
        raise InputError(f"{directory}: not a plan directory (no {PLAN_FILE}) nor a run")
    click.echo(text, nl=False)
