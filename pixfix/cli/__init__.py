"""The `pixfix` command line: one click group, one module per task.

Each command parses its options and calls one function; every `PixfixError` is caught here once
and printed as a single line, with the exit code its class carries (see `pixfix.errors`).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from pixfix import __version__
from pixfix.errors import PixfixError


class PixfixGroup(click.Group):
    """A click group that turns our errors into one line and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PixfixError as exc:
            click.echo(f"pixfix: error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=PixfixGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pixfix")
def main() -> None:
    """Audit and fix SMTP inspection (Mailguard, KB 320027) on Cisco PIX, ASA and FWSM fleets."""


def _register() -> None:
    from pixfix.cli.audit import audit  # noqa: PLC0415
    from pixfix.cli.inventory import inventory  # noqa: PLC0415
    from pixfix.cli.lab import lab  # noqa: PLC0415  (import after `main` exists)
    from pixfix.cli.plan import approve, plan, show  # noqa: PLC0415
    from pixfix.cli.probe import probe  # noqa: PLC0415

    main.add_command(audit)
    main.add_command(inventory)
    main.add_command(lab)
    main.add_command(plan)
    main.add_command(approve)
    main.add_command(show)
    main.add_command(probe)


_register()
