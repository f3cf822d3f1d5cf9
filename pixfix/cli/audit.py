"""`pixfix audit`: which devices run SMTP inspection that breaks mail (live or saved configs)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click

from pixfix.audit.fleet import FleetOptions, audit_fleet
from pixfix.audit.formats import Format, audit_exit_code, render_audit
from pixfix.audit.verdict import audit_offline
from pixfix.cli.options import (
    FiniteFloatRange,
    assume_whole_option,
    host_key_options,
    note,
    quiet_asked,
)
from pixfix.errors import InputError
from pixfix.inventory.select import choose_hosts
from pixfix.logsetup import color_wanted
from pixfix.transport.hostkeys import KeyOptions

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
@click.option("--timeout", type=FiniteFloatRange(1, 3600), default=30.0, show_default=True)
@click.option("--save-configs", type=click.Path(path_type=Path, file_okay=False))
@click.option("--probe", "with_probe", is_flag=True, help="Also probe each host's mx from outside.")
@host_key_options
@assume_whole_option
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
    with_probe: bool,
    known_hosts: Path | None,
    trust_new_keys: bool,
    assume_whole: bool,
    quiet: bool,
) -> None:
    """Find every PIX/ASA/FWSM (and context) whose SMTP inspection breaks mail.

    --limit: commas inside one value mean AND, repeating --limit means OR. --timeout is per
    host, in seconds (its whole session). --save-configs keeps each collected config (0600,
    name@context.cfg). SSH host keys must be known (inventory known_hosts, ~/.ssh/known_hosts,
    pixfix's own file); --trust-new-keys records unknown ones.
    --probe adds, for hosts with `mx`, the SMTP probe's verdict and whether it agrees with the
    configuration (a compliant device behind which the probe sees Mailguard: another device in
    the path may be inspecting).

    Exit codes: 0 none exposed, 1 some exposed, 2 bad input, 3 some device could not be audited.
    """
    started, clock = time.time(), time.monotonic()
    if offline:
        if not paths or inventory is not None or with_probe:
            raise InputError("--offline takes PATHs (files or folders), and neither -i nor --probe")
        results, extra = audit_offline(list(paths), assume_whole=assume_whole), None
    else:
        if inventory is None or paths or assume_whole:
            raise InputError("give -i INVENTORY (or --offline PATH... for saved configs)")
        selection = choose_hosts(inventory, limits)
        for warning in selection.warnings:
            note(f"warning: {warning}")
        if selection.skipped:
            note(selection.skipped)
        keys = KeyOptions(known_hosts=known_hosts, trust_new=trust_new_keys)
        options = FleetOptions(
            workers=workers,
            timeout=timeout,
            host_keys=keys,
            quiet=quiet_asked(quiet),
            save_configs=save_configs,
        )
        results, extra = audit_fleet(selection.hosts, options, probe=with_probe)
    chosen = Format(fmt) if fmt else (Format.TABLE if sys.stdout.isatty() else Format.JSON)
    on_terminal = sys.stdout.isatty() and output is None
    width = shutil.get_terminal_size().columns if on_terminal else None
    color = on_terminal and color_wanted(sys.stdout)
    timing = (started, time.monotonic() - clock)
    text = render_audit(results, chosen, color=color, width=width, extra=extra, timing=timing)
    _write(text, output)
    sys.exit(audit_exit_code(results))


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    partial = output.with_name(f".{output.name}.partial")  # replaced whole: a collector (the
    try:  # Prometheus textfile one) never reads half a report
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"{output}: cannot write report: {exc.strerror}") from exc
