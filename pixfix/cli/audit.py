"""`pixfix audit`: which devices run SMTP inspection that breaks mail (live or saved configs)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from pixfix import __version__
from pixfix.audit.fleet import Extra, FleetOptions, audit_fleet
from pixfix.audit.formats import Format, audit_exit_code, render_audit
from pixfix.audit.verdict import audit_offline_collected
from pixfix.cli.options import (
    FiniteFloatRange,
    assume_whole_option,
    chosen_hosts,
    host_key_options,
    quiet_asked,
    refuse_same_file,
    write_report,
)
from pixfix.errors import InputError
from pixfix.history.db import DEFAULT_WAIT, AuditMeta, History
from pixfix.history.record import (
    check_reference,
    offline_started,
    parse_since,
    record_audit,
    scope_of,
)
from pixfix.history.since import Since
from pixfix.logsetup import color_wanted
from pixfix.model import Collected
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
@click.option(
    "--history",
    "history_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="PIXFIX_HISTORY",
    help="Record the audit in this SQLite history (env PIXFIX_HISTORY).",
)
@click.option("--since", help="With --history: compare with `last`, or the last audit by DATE.")
@click.option(
    "--history-wait",
    type=FiniteFloatRange(0, 3600),
    default=DEFAULT_WAIT,
    show_default=True,
    help="Seconds to wait for another audit writing the history.",
)
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
    history_path: Path | None,
    since: str | None,
    history_wait: float,
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
    --history DB records every verdict in a SQLite file (checked before any device is
    contacted); --since last (or DATE, 2026-11-30) adds what changed since that audit of the
    same inventory and --limits: regressions (exposed again), fixed, unreachable, new, gone.

    Exit codes: 0 none exposed, 1 some exposed, 2 bad input, 3 some device could not be audited,
    4 some device exposed again since the --since audit (wins over 1 and 3).
    """
    started, clock = time.time(), time.monotonic()
    _check_sources(inventory, offline, paths, with_probe, assume_whole)
    if since is not None and history_path is None:
        raise InputError("--since needs --history DB (or PIXFIX_HISTORY)")
    refuse_same_file(output, history_path, "report")
    spec = None if since is None else parse_since(since)
    scope = scope_of(None if offline else inventory, limits, paths)
    selection = None if inventory is None else chosen_hosts(inventory, limits)
    history = None if history_path is None else History.open(history_path, wait=history_wait)
    with history or contextlib.nullcontext():
        if history is not None:
            try:
                check_reference(history, scope, spec)
            except InputError:
                history.discard()  # a refused audit leaves no new file behind
                raise
        extra: Extra | None = None
        groups: dict[str, tuple[str, ...]] = {}
        if selection is None:
            collected = audit_offline_collected(list(paths), assume_whole=assume_whole)
            started = offline_started(collected, started)
        else:
            keys = KeyOptions(known_hosts=known_hosts, trust_new=trust_new_keys)
            options = FleetOptions(
                workers=workers,
                timeout=timeout,
                host_keys=keys,
                quiet=quiet_asked(quiet),
                save_configs=save_configs,
            )
            collected, extra = audit_fleet(selection.hosts, options, probe=with_probe)
            groups = {host.name: host.groups for host in selection.hosts}
        timing = (started, time.monotonic() - clock)
        report = _Report(fmt=fmt, output=output, extra=extra, timing=timing)
        found = None
        if history is not None:
            meta = AuditMeta(
                started=started,
                seconds=timing[1],
                source="offline" if offline else "live",
                scope=scope,
                inventory=None if inventory is None else str(inventory),
                version=__version__,
                host=socket.gethostname(),
            )
            try:
                found = record_audit(history, collected, meta, groups=groups, since=spec)
            except InputError:
                report.write(collected, None)  # the audit is not lost with the history
                raise
    report.write(collected, found)
    sys.exit(audit_exit_code([c.result for c in collected], found))


def _check_sources(
    inventory: Path | None,
    offline: bool,
    paths: tuple[Path, ...],
    with_probe: bool,
    assume_whole: bool,
) -> None:
    if offline:
        if not paths or inventory is not None or with_probe:
            raise InputError("--offline takes PATHs (files or folders), and neither -i nor --probe")
    elif inventory is None or paths or assume_whole:
        raise InputError("give -i INVENTORY (or --offline PATH... for saved configs)")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Report:
    fmt: str | None
    output: Path | None
    extra: Extra | None
    timing: tuple[float, float]

    def write(self, collected: list[Collected], since: Since | None) -> None:
        results = [c.result for c in collected]
        chosen = (
            Format(self.fmt) if self.fmt else (Format.TABLE if sys.stdout.isatty() else Format.JSON)
        )
        on_terminal = sys.stdout.isatty() and self.output is None
        width = shutil.get_terminal_size().columns if on_terminal else None
        color = on_terminal and color_wanted(sys.stdout)
        text = render_audit(results, chosen, color=color, width=width, extra=self.extra,
                            timing=self.timing, since=since)  # fmt: skip
        write_report(text, self.output)
