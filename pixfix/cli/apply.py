"""`pixfix apply` and `pixfix rollback`: change a fleet as an approved plan says, or undo it.

Each command parses its options, checks everything it can before touching a device (exit 2,
no run directory), asks for confirmation on a terminal unless `--yes` (refuses without a
terminal), then runs and prints one block per device. The work is in `pixfix.apply.command`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pixfix.apply.command import (
    Prepared,
    Request,
    RunResult,
    execute,
    now_utc,
    prepare_apply,
    prepare_rollback,
)
from pixfix.apply.report import console_text
from pixfix.apply.run import Effects
from pixfix.cli.options import FiniteFloatRange, host_key_options, note, quiet_asked
from pixfix.errors import InputError
from pixfix.fleet import reporter_for

_PATH = click.Path(path_type=Path, file_okay=False)


_SHARED_OPTIONS = [
    click.option(
        "-i",
        "--inventory",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Inventory (default: the one the plan or run recorded).",
    ),
    click.option(
        "--limit",
        "limits",
        multiple=True,
        help="Name glob, group=NAME or tag=NAME (repeat: OR).",
    ),
    click.option(
        "--dry-run",
        is_flag=True,
        help="Connect and run the checks; send nothing, enter no config mode.",
    ),
    click.option("--yes", is_flag=True, help="Do not ask for confirmation."),
    click.option(
        "--window",
        metavar="START/END",
        help="ISO 8601 interval, e.g. now/PT2H (intersected with inventory change windows).",
    ),
    click.option(
        "--min-remaining",
        type=click.IntRange(0, 10080),
        default=15,
        show_default=True,
        metavar="MINUTES",
        help="Start no device with less of its window left.",
    ),
    click.option(
        "--out",
        type=_PATH,
        default=Path("runs"),
        show_default=True,
        help="Folder of run directories.",
    ),
    click.option("--workers", type=click.IntRange(1, 500), default=10, show_default=True),
    click.option(
        "--timeout",
        type=FiniteFloatRange(1, 3600),
        default=30.0,
        show_default=True,
        help="Seconds per connection and command.",
    ),
    click.option(
        "--lock-wait",
        type=FiniteFloatRange(0, 3600),
        default=30.0,
        show_default=True,
        help="Seconds to wait for another run's lock on a device.",
    ),
    host_key_options,
    click.option("-q", "--quiet", is_flag=True, help="No progress output."),
]
"""Options apply and rollback share, in the order --help lists them."""


def _shared(command: Any) -> Any:
    for option in reversed(_SHARED_OPTIONS):
        command = option(command)
    return command


def _request(source: Path, opts: dict[str, Any]) -> Request:
    keys = set(Request.__dataclass_fields__) - {"source"}
    return Request(source=source, **{k: v for k, v in opts.items() if k in keys})


def _on_terminal() -> bool:
    return sys.stdin.isatty()


def _confirm(prepared: Prepared, *, yes: bool, what: str) -> None:
    """Ask on a terminal; refuse without one unless --yes (a dry run needs no confirmation)."""
    if prepared.request.dry_run or yes or not prepared.jobs:
        return
    if not _on_terminal():
        raise InputError("no terminal to ask for confirmation on: pass --yes to go ahead")
    labels = [spec.label for job in prepared.jobs for spec in job.specs]
    shown = ", ".join(labels[:20]) + (f" and {len(labels) - 20} more" if len(labels) > 20 else "")
    click.echo(f"{what} {prepared.to_change} device(s): {shown}", err=True)
    if not click.confirm("Proceed?", default=False, err=True):
        raise InputError("not confirmed: nothing was sent")


def _run(prepared: Prepared, *, quiet: bool) -> None:
    for warning in prepared.inventory.warnings:
        note(f"warning: {warning}")
    result: RunResult = execute(
        prepared, effects=Effects(), reporter=reporter_for(quiet=quiet_asked(quiet))
    )
    text = console_text(result.header, result.records, str(result.run_dir))
    click.echo(prepared.redact(text), nl=False)
    sys.exit(result.exit_code)


@click.command("apply")
@click.argument("plan_dir", type=_PATH)
@_shared
@click.option(
    "--require-approvals",
    type=click.IntRange(1, 20),
    default=1,
    show_default=True,
    metavar="N",
    help="Distinct approvers the plan needs.",
)
@click.option(
    "--confirm-minutes",
    type=click.IntRange(1, 1440),
    metavar="M",
    help="Dead-man timer: `reload in M` on standalone single-context ASA.",
)
@click.option(
    "--allow-unsaved",
    is_flag=True,
    help="Change devices whose running config differs from startup (saves it).",
)
@click.option(
    "--canary",
    type=click.IntRange(0, 10000),
    default=0,
    show_default=True,
    metavar="K",
    help="First K devices alone; the rest only if they succeed.",
)
@click.option(
    "--max-failures",
    type=click.IntRange(1, 10**6),
    default=1,
    show_default=True,
    metavar="N",
    help="Start no new device after N failures.",
)
def apply(*, plan_dir: Path, yes: bool, quiet: bool, **opts: Any) -> None:
    """Apply the approved plan in PLAN_DIR inside each device's change window.

    Per device: re-read and check (already compliant, drift, failover role, unsaved changes),
    back up, send the plan's commands, verify from a new session (and the SMTP probe), save.
    A failure is rolled back (or left to the dead-man timer); nothing unverified is saved.
    The record goes to a new run directory under --out.

    Exit codes: 0 every device applied, already compliant or nothing to do; 1 some device
    skipped (busy included), left unfixed (not-planned, left-exposed), rolled back, reverted,
    not started, or applied with probe-disagrees or
    reload-not-done; 2 bad input,
    plan not approved or modified, no terminal and no --yes; 3 some device error or
    needs-attention; 130 / 143 interrupted by Ctrl-C / SIGTERM (the first lets the devices in
    flight finish or roll back and starts no other; a second stops at once).
    """
    prepared = prepare_apply(_request(plan_dir, opts), now_utc())
    _confirm(prepared, yes=yes, what=f"Apply plan {prepared.source['plan_id']} to")
    _run(prepared, quiet=quiet)


@click.command("rollback")
@click.argument("run_dir", type=_PATH)
@_shared
def rollback(*, run_dir: Path, yes: bool, quiet: bool, **opts: Any) -> None:
    """Undo what the apply run in RUN_DIR changed, with the same guards as apply.

    Per device the run applied: drift against the apply's after-backup, role, unsaved changes
    and window are checked, the plan's rollback lines are sent, the original findings must be
    back (from a new session), then it is saved. Its own run directory goes under --out.

    Per device the apply left in flight (interrupted, or a run that was killed): its state is
    held against the plan's change carried out on its before-backup, and undone if it matches.

    Exit codes: 0 every device restored, already restored or nothing to do; 1 some device
    skipped (drifted, unsaved changes, window, role, busy) or rolled back; 2 bad input; 3 some
    device error or needs-attention; 130 / 143 interrupted (as for apply).
    """
    prepared = prepare_rollback(_request(run_dir, opts), now_utc())
    _confirm(prepared, yes=yes, what="Roll back")
    _run(prepared, quiet=quiet)
