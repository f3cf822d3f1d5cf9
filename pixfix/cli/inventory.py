"""`pixfix inventory check`: validate an inventory and list its hosts, never their secrets.

Meant to be run before any command that touches devices: a wrong file fails here with the same
one-line error (exit 2) that `audit` or `apply` would give, but nobody's change window is spent.
For an Ansible or Nornir inventory it also shows what pixfix understood: the format it detected,
every host as resolved, and which hosts it skipped as other platforms (on stderr).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import click

from pixfix.cli import PixfixGroup
from pixfix.cli.options import note
from pixfix.errors import InputError
from pixfix.inventory.credentials import Backends, ListingPrompter, system_keyring
from pixfix.inventory.load import Inventory, InventoryFormat, load_inventory
from pixfix.inventory.select import describe_hosts, select_hosts, skipped_note

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
    type=click.Path(exists=True, path_type=Path),
    help="pixfix inventory YAML, Ansible inventory (INI or YAML) or Nornir inventory folder.",
)
@click.option("--limit", "limits", multiple=True, help="Select hosts (repeat: OR).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def check(*, path: Path, limits: tuple[str, ...], fmt: str) -> None:
    """Validate an inventory, resolve every host and list the selected ones with credential
    sources.

    The format is detected: a pixfix inventory, an Ansible inventory (INI or YAML) or a Nornir
    SimpleInventory (its folder or hosts.yaml). Inline passwords are warned about, and hosts
    skipped as other platforms are named, on stderr. Exit codes: 0 valid, 2 invalid or --limit
    matched no host.
    """
    loaded, rows = check_inventory(path, limits)
    if fmt == "json":
        click.echo(render_hosts_json(rows), nl=False)
    else:
        click.echo(
            render_hosts_table(rows, kind=loaded.kind, skipped=len(loaded.skipped)), nl=False
        )


def check_inventory(path: Path, limits: Sequence[str]) -> tuple[Inventory, list[dict[str, object]]]:
    """The inventory and the secret-free view of the selected hosts; warnings and the skipped
    hosts go to stderr as they are found.

    Credentials are required, as for a run that logs in: a missing environment variable is
    exactly what this check is for. Nothing is asked: a credential that a run would ask for on
    this terminal is listed as `prompt`.
    """
    loaded = load_inventory(
        path, backends=Backends(keyring=system_keyring(), prompter=ListingPrompter())
    )
    for warning in loaded.warnings:
        note(f"warning: {warning}")
    if loaded.skipped:
        note(f"note: {skipped_note(loaded.skipped)}")
    hosts = select_hosts(loaded.hosts, limits)
    if not hosts:
        raise InputError(f"{path}: --limit {' '.join(limits)} matched no host")
    return loaded, describe_hosts(replace(loaded, hosts=hosts))


def render_hosts_json(rows: Sequence[Mapping[str, object]]) -> str:
    """Every resolved setting of each host, as `describe_hosts` gives it."""
    return json.dumps(list(rows), indent=2) + "\n"


def render_hosts_table(
    rows: Sequence[Mapping[str, object]],
    *,
    kind: InventoryFormat = InventoryFormat.PIXFIX,
    skipped: int = 0,
) -> str:
    """One line per host with the settings that tell hosts apart; `--format json` has the rest.

    The last line counts the hosts; for an Ansible or Nornir inventory it also says which format
    was detected and how many hosts were skipped as other platforms.
    """
    cells = [_COLUMNS, *(_table_row(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines = [_aligned(line, widths) for line in cells]
    footer = f"{len(rows)} host(s)"
    if kind is not InventoryFormat.PIXFIX:
        footer += f" from an {kind.title}" if kind.title[0] in "AEIOU" else f" from a {kind.title}"
        footer += f", {skipped} skipped as other platforms"
    lines.append(footer)
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
