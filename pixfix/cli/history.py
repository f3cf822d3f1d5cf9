"""`pixfix history` (the fleet over time, one device's timeline, retention) and `pixfix report`
(the dashboard page)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from pixfix.cli.options import FiniteFloatRange, note, refuse_same_file, write_report
from pixfix.errors import InputError
from pixfix.history.dashboard import dashboard_view, render_dashboard
from pixfix.history.db import DEFAULT_WAIT, History
from pixfix.history.query import device_timeline
from pixfix.history.record import parse_age
from pixfix.history.render import audits_json, render_audits, render_timeline, timeline_json

_DB = click.Path(path_type=Path, dir_okay=False)
_WAIT = click.option(
    "--wait",
    type=FiniteFloatRange(0, 3600),
    default=DEFAULT_WAIT,
    show_default=True,
    help="Seconds to wait for an audit writing the history.",
)


@click.command()
@click.argument("database", type=_DB)
@click.argument("device", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--prune-older-than", "prune", help="Delete audits older than this (365d, 12w).")
@click.option("--scope", help="DEVICE's audits of this scope (default: the nightly job's).")
@_WAIT
def history(
    *,
    database: Path,
    device: str | None,
    fmt: str,
    prune: str | None,
    scope: str | None,
    wait: float,
) -> None:
    """The fleet over time (per audit: exposed, unsaved, tuned, compliant, error), or DEVICE's
    timeline (`name` or `name/context`: the audits in which its verdict, configuration,
    software or role changed). --prune-older-than 365d deletes older audits."""
    age = None if prune is None else parse_age(prune)
    with History.open(database, wait=wait, write=False) as db:
        if age is not None:
            if device is not None:
                raise InputError("--prune-older-than takes no DEVICE")
            cutoff = time.time() - age.total_seconds()
            deleted = db.prune(cutoff)
            note(f"deleted {deleted} audits older than {prune}")
            return
        audits = db.audits()
        if device is None:
            click.echo(audits_json(audits) if fmt == "json" else render_audits(audits), nl=False)
            return
        _, series = device_timeline(db, device, scope)
        started = {row.audit_id: row.meta.started for row in audits}
        render = timeline_json if fmt == "json" else render_timeline
        click.echo(render(device, series, started), nl=False)


@click.command()
@click.argument("database", type=_DB)
@click.option("--out", "out", type=_DB, required=True, help="The HTML page to write.")
@click.option("--scope", help="Audits of this scope (default: the one with the most audits).")
@_WAIT
def report(*, database: Path, out: Path, scope: str | None, wait: float) -> None:
    """One self-contained HTML page: the trend, the state by train and by group, the open
    regressions first, and each device's timeline."""
    refuse_same_file(out, database, "page")
    with History.open(database, wait=wait, write=False) as db:
        page = render_dashboard(dashboard_view(db, scope))
    write_report(page, out)
