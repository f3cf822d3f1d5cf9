"""`pixfix plan`, `pixfix approve`, `pixfix show`: make a change plan, sign it, look at it.

`plan` reads each device (live over the inventory's transport, or saved configurations), plans
its remediation and writes the plan directory; nothing is sent to any device but the read
commands `pixfix audit` sends. `approve` records who signed which plan.json; `show` prints a
plan (or a run directory) and whether its plan.json still matches its approvals.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pixfix.audit.fleet import FleetOptions
from pixfix.cli.options import (
    FiniteFloatRange,
    assume_whole_option,
    chosen_hosts,
    host_key_options,
    note,
    quiet_asked,
)
from pixfix.errors import InputError
from pixfix.plan.approval import approve as sign_plan
from pixfix.plan.approval import render_directory
from pixfix.plan.entry import Mode, Reload
from pixfix.plan.fleet import (
    PlanRequest,
    check_out,
    live_inputs,
    offline_inputs,
    plan_devices,
    plan_exit_code,
    replaced_note,
    summary_line,
    write_plan,
)
from pixfix.transport.hostkeys import KeyOptions


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
@click.option(
    "--force",
    is_flag=True,
    help="Replace an older plan in --out even when the directory holds files pixfix did not "
    "write (they are deleted with it).",
)
@click.option("--workers", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--timeout", type=FiniteFloatRange(1, 3600), default=30.0, show_default=True)
@host_key_options
@assume_whole_option
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
    force: bool,
    workers: int,
    timeout: float,
    known_hosts: Path | None,
    trust_new_keys: bool,
    assume_whole: bool,
    quiet: bool,
) -> None:
    """Plan the fix for every device (or context) and write it to the directory --out.

    The directory gets plan.json, report.md, report.html, backups/ (the configurations read,
    0600) and diffs/. Re-planning into a plan directory replaces it and drops its approvals;
    a plan directory holding files pixfix did not write is refused (naming them) unless --force.

    Exit codes: 0 every device planned, 2 bad input, 3 some device could not be audited or
    planned.
    """
    check_out(out, force=force)  # before reading any device: a wrong --out wastes no time
    if offline:
        if not paths or inventory is not None or limits:
            raise InputError("--offline takes one or more PATHs and neither -i nor --limit")
        inputs = offline_inputs(paths, assume_whole=assume_whole)
    else:
        if inventory is None or paths or assume_whole:
            raise InputError("give -i INVENTORY (or --offline PATH... for saved configurations)")
        selection = chosen_hosts(inventory, limits)
        keys = KeyOptions(known_hosts=known_hosts, trust_new=trust_new_keys)
        options = FleetOptions(
            workers=workers, timeout=timeout, host_keys=keys, quiet=quiet_asked(quiet)
        )
        inputs = live_inputs(selection.hosts, options)
    request = PlanRequest(
        out=out,
        force=force,
        mode=Mode(mode),
        reload=Reload(reload_),
        inventory=inventory,
        offline=paths,
        limits=limits,
    )
    written = write_plan(request, plan_devices(inputs, mode=request.mode, reload=request.reload))
    if written.replaced.old_plan:
        note(replaced_note(out, written.replaced.approvals_removed))
    click.echo(summary_line(written.plan_id, out, written.entries))
    sys.exit(plan_exit_code(written.entries))


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
    click.echo(render_directory(directory), nl=False)
