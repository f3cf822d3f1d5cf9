"""The `pixfix` command line: one click group, one module per task.

Each command parses its options and calls one function; every `PixfixError` is caught here once
and printed as a single line, with the exit code its class carries (see `pixfix.errors`).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from pixfix import __version__
from pixfix.errors import PixfixError
from pixfix.logsetup import LogOptions, configure_logging

_COMMANDS = {
    "apply": "pixfix.cli.apply:apply",
    "rollback": "pixfix.cli.apply:rollback",
    "audit": "pixfix.cli.audit:audit",
    "history": "pixfix.cli.history:history",
    "report": "pixfix.cli.history:report",
    "inventory": "pixfix.cli.inventory:inventory",
    "lab": "pixfix.cli.lab:lab",
    "plan": "pixfix.cli.plan:plan",
    "approve": "pixfix.cli.plan:approve",
    "show": "pixfix.cli.plan:show",
    "probe": "pixfix.cli.probe:probe",
}


class PixfixGroup(click.Group):
    """A click group that turns our errors into one line and their exit code.

    Subcommands are imported when used: `pixfix plan --offline` need not load netmiko and
    asyncssh, which are most of the start-up time.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PixfixError as exc:
            click.echo(f"pixfix: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS and cmd_name not in self.commands:
            module, _, attr = _COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=PixfixGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pixfix")
@click.option("-v", "--verbose", count=True, help="More log: -v info, -vv debug, -vvv netmiko too.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option(
    "--log-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also log here (mode 0600, secrets masked).",
)
@click.option("--no-color", is_flag=True, help="No colours (same as NO_COLOR=1).")
def main(*, verbose: int, quiet: bool, log_file: Path | None, no_color: bool) -> None:
    """Audit and fix SMTP inspection (Mailguard, KB 320027) on Cisco PIX, ASA and FWSM fleets."""
    options = LogOptions(verbosity=verbose, quiet=quiet, log_file=log_file, no_color=no_color)
    configure_logging(options)
