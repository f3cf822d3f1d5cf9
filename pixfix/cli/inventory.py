"""`pixfix inventory check`: validate an inventory and list its hosts, never their secrets.

Meant to be run before any command that touches devices: a wrong file fails here with the same
one-line error (exit 2) that `audit` or `apply` would give, but nobody's change window is spent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import click

from pixfix.cli import PixfixGroup
from pixfix.errors import InputError
from pixfix.inventory import describe_hosts, load_inventory, select_hosts

_COLUMNS = ("NAME", "ADDRESS", "TRANSPORT", "PLATFORM", "GROUPS", "TAGS", "MX", "CREDENTIALS")


# A PixfixGroup itself, so the one-line error and exit code hold when this group is run alone.
@click.group("inventory", cls=PixfixGroup)
def inventory() -> None:
    """Validate inventory files and list their hosts, never their secrets."""


@inventory.command("check")
@click.option(
    "-i",
    "--inventory",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The inventory YAML to check.",
)
@click.option("--limit", "limits", multiple=True, help="Select hosts (repeat: OR).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def check(*, path: Path, limits: tuple[str, ...], fmt: str) -> None:
    """Validate FILE, resolve every host and list the selected ones with credential sources.

    Inline passwords are warned about on stderr. Exit codes: 0 valid, 2 invalid or --limit
    matched no host.
    """
    rows = check_inventory(path, limits)
    click.echo(render_hosts_json(rows) if fmt == "json" else render_hosts_table(rows), nl=False)


def check_inventory(path: Path, limits: Sequence[str]) -> list[dict[str, object]]:
    """The secret-free view of the selected hosts; warnings go to stderr as they are found.

    Credentials are required, as for a run that logs in: a missing environment variable is
    exactly what this check is for.
    """
    loaded = load_inventory(path)
    for warning in loaded.warnings:
        click.echo(f"pixfix: warning: {warning}", err=True)
    hosts = select_hosts(loaded.hosts, limits)
    if not hosts:
        raise InputError(f"{path}: --limit {' '.join(limits)} matched no host")
    return describe_hosts(replace(loaded, hosts=hosts))


def render_hosts_json(rows: Sequence[Mapping[str, object]]) -> str:
    """Every resolved setting of each host, as `describe_hosts` gives it."""
    return json.dumps(list(rows), indent=2) + "\n"


def render_hosts_table(rows: Sequence[Mapping[str, object]]) -> str:
    """One line per host with the settings that tell hosts apart; `--format json` has the rest."""
    cells = [_COLUMNS, *(_table_row(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines = [_aligned(line, widths) for line in cells]
    lines.append(f"{len(rows)} host(s)")
    return "\n".join(lines) + "\n"


def _aligned(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(f"{cell:<{w}}" for cell, w in zip(cells, widths, strict=True)).rstrip()


def _table_row(row: Mapping[str, object]) -> tuple[str, ...]:
    host = str(row["host"])
    address = f"[{host}]:{row['port']}" if ":" in host else f"{host}:{row['port']}"
    credentials = row["credentials"]
    sources = credentials.items() if isinstance(credentials, dict) else ()
    return (
        str(row["name"]),
        address,
        str(row["transport"]),
        _cell(row["platform"]),
        _cell(row["groups"]),
        _cell(row["tags"]),
        _cell(row["mx"]),
        ", ".join(f"{cred} {source}" for cred, source in sources),
    )


def _cell(value: object) -> str:
    """A list joined with commas; nothing set shows as `-` so columns stay readable."""
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    return str(value) if value not in (None, "") else "-"
