"""`pixfix audit`: which devices run SMTP inspection that breaks mail (live or saved configs)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from pixfix.audit import audit_offline
from pixfix.collect import CollectOptions, audit_host, config_saver
from pixfix.errors import InputError
from pixfix.fleet import reporter_for, run_fleet
from pixfix.inventory import Host, load_inventory, select_hosts
from pixfix.model import DeviceResult
from pixfix.report import Format, audit_exit_code, render_audit

_FORMATS = [f.value for f in Format]


@click.command()
@click.option(
    "-i", "--inventory", type=click.Path(path_type=Path, dir_okay=False), help="Inventory YAML."
)
@click.option(
    "--offline", is_flag=True, help="Audit saved configuration files or folders (PATH...)."
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--limit", "limits", multiple=True, help="Name glob, group=NAME or tag=NAME.")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), help="Default: table on a terminal.")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Report file."
)
@click.option("--workers", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--timeout", type=click.FloatRange(1, 3600), default=30.0, show_default=True)
@click.option("--save-configs", type=click.Path(path_type=Path, file_okay=False))
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def audit(
    *,
    inventory: Path | None,
    offline: bool,
    paths: tuple[Path, ...],
    limits: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    workers: int,
    timeout: float,
    save_configs: Path | None,
    quiet: bool,
) -> None:
    """Find every PIX/ASA/FWSM (and context) whose SMTP inspection breaks mail.

    --limit: commas inside one value mean AND, repeating --limit means OR. --timeout is per
    host, in seconds. --save-configs keeps each collected config (0600, name@context.cfg).

    Exit codes: 0 none exposed, 1 some exposed, 2 bad input, 3 some device could not be audited.
    """
    if offline:
        if not paths or inventory is not None:
            raise InputError("--offline takes one or more PATHs (files or folders) and no -i")
        results = audit_offline(list(paths))
    else:
        if inventory is None or paths:
            raise InputError("give -i INVENTORY (or --offline PATH... for saved configs)")
        options = CollectOptions(
            timeout=timeout, save_config=config_saver(save_configs) if save_configs else None
        )
        results = _live(inventory, limits, options, workers=workers, quiet=quiet)
    chosen = Format(fmt) if fmt else (Format.TABLE if sys.stdout.isatty() else Format.JSON)
    on_terminal = sys.stdout.isatty() and output is None
    width = shutil.get_terminal_size().columns if on_terminal else None
    text = render_audit(results, chosen, color=on_terminal, width=width)
    _write(text, output)
    sys.exit(audit_exit_code(results))


def _live(
    path: Path, limits: tuple[str, ...], options: CollectOptions, *, workers: int, quiet: bool
) -> list[DeviceResult]:
    inventory = load_inventory(path)
    for warning in inventory.warnings:
        click.echo(f"pixfix: warning: {warning}", err=True)
    hosts = select_hosts(inventory.hosts, list(limits))
    if not hosts:
        raise InputError(f"{path}: --limit selects no host")
    per_host = run_fleet(
        hosts,
        lambda host: audit_host(host, options),
        workers=workers,
        label=_label,
        outcome=lambda results: ", ".join(r.status.value for r in results),
        reporter=reporter_for(quiet=quiet),
    )
    return [result for results in per_host for result in results]


def _label(host: Host) -> str:
    return host.name


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write report: {exc.strerror}") from exc
