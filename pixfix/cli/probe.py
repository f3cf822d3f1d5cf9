"""`pixfix probe`: look for Mailguard from outside, on named MX hosts or an inventory's `mx`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from pixfix.cli.options import FiniteFloatRange
from pixfix.errors import InputError
from pixfix.inventory.load import load_inventory
from pixfix.inventory.select import select_hosts
from pixfix.probe.report import probe_exit_code, render_probe_json, render_probe_table
from pixfix.probe.smtp import probe_many
from pixfix.probe.target import Target, parse_target

logger = logging.getLogger(__name__)


@click.command("probe")
@click.argument("targets", nargs=-1, metavar="[HOST[:PORT]]...")
@click.option(
    "-i",
    "--inventory",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Probe the `mx` of every selected host in this inventory.",
)
@click.option("--limit", "limits", multiple=True, help="Select inventory hosts (repeat: OR).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds allowed for the connection and for each step.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Targets probed at once.",
)
@click.option(
    "--char-at-a-time",
    is_flag=True,
    hidden=True,
    help="Demo only: send each command one byte per write, like a naive telnet client.",
)
def probe(
    *,
    targets: tuple[str, ...],
    inventory: Path | None,
    limits: tuple[str, ...],
    fmt: str,
    timeout: float,
    workers: int,
    char_at_a_time: bool,
) -> None:
    """Probe SMTP servers (port 25 by default; IPv6 as [2001:db8::25]:25) for Mailguard.

    Exit codes: 0 every target clean or inspected, 1 some target mailguard,
    2 usage, 3 some target unreachable or not SMTP.
    """
    chosen = [parse_target(text) for text in targets]
    if inventory is not None:
        chosen += inventory_targets(inventory, limits)
    elif limits:
        raise click.UsageError("--limit needs -i INVENTORY")
    if not chosen:
        raise click.UsageError("nothing to probe: give HOST[:PORT] or -i INVENTORY")
    results = probe_many(chosen, workers=workers, timeout=timeout, char_at_a_time=char_at_a_time)
    render = render_probe_json if fmt == "json" else render_probe_table
    click.echo(render(results), nl=False)
    sys.exit(probe_exit_code(results))


def inventory_targets(path: Path, limits: Sequence[str]) -> list[Target]:
    """The `mx` endpoint of each selected host; hosts without one are skipped (and logged).

    The probe talks SMTP to the mail server and never logs into the firewall, so an inventory
    whose credentials live in variables this shell does not set must still load.
    """
    hosts = select_hosts(load_inventory(path, require_credentials=False).hosts, limits)
    if not hosts:
        raise InputError(f"{path}: --limit {' '.join(limits)} matched no host")
    chosen = []
    for host in hosts:
        if host.mx is None:
            logger.info("%s: no mx in %s, not probed", host.name, path)
            continue
        chosen.append(Target(host=host.mx.host, port=host.mx.port, name=host.name))
    if not chosen:
        raise InputError(f"{path}: none of the selected hosts has an mx to probe")
    return chosen
