"""Options several commands share, declared once so that they read the same everywhere."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pixfix.errors import InputError
from pixfix.inventory.select import Selection, choose_hosts

F = TypeVar("F", bound=Callable[..., Any])


def quiet_asked(local: bool = False) -> bool:
    """`pixfix -q` (errors only), or the command's own `-q`."""
    ctx = click.get_current_context(silent=True)
    return local or bool(ctx is not None and ctx.find_root().params.get("quiet"))


def write_report(text: str, output: Path | None) -> None:
    """The report on stdout, or in `output` replaced whole (temp file and rename)."""
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


def note(text: str) -> None:
    """A line for the user on stderr that is not an error (a warning, a skipped host, a
    replaced plan): silenced by `pixfix -q`, which promises errors only."""
    if not quiet_asked():
        click.echo(f"pixfix: {text}", err=True)


class FiniteFloatRange(click.FloatRange):
    """A number in a range, and a real one: NaN passes every comparison of a plain
    `FloatRange` (and infinity an open-ended one), so `--timeout nan` would be accepted."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def host_key_options(command: F) -> F:
    """`--known-hosts FILE` and `--trust-new-keys` (audit, plan, apply, rollback)."""
    command = click.option(
        "--trust-new-keys",
        is_flag=True,
        help="Accept an SSH host key found in no known-hosts file and record it "
        "(pixfix's own file, or --known-hosts). A changed key is always refused.",
    )(command)
    return click.option(
        "--known-hosts",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Check SSH host keys against this file only (instead of the inventory's "
        "known_hosts, ~/.ssh/known_hosts and pixfix's own file).",
    )(command)


def assume_whole_option(command: F) -> F:
    """`--assume-whole`: saved configurations without an end marker are whole (offline only)."""
    return click.option(
        "--assume-whole",
        is_flag=True,
        help="Offline: take files without an end marker (Cryptochecksum:, : end) as whole; by "
        "default such a file is cut off (exposed only where what it holds proves it).",
    )(command)


def chosen_hosts(inventory: Path, limits: tuple[str, ...]) -> Selection:
    """The inventory's hosts that `--limit` chooses; its warnings and skipped hosts noted."""
    selection = choose_hosts(inventory, limits)
    for warning in selection.warnings:
        note(f"warning: {warning}")
    if selection.skipped:
        note(selection.skipped)
    return selection


def refuse_same_file(output: Path | None, database: Path | None, what: str) -> None:
    """A report written over the history database would destroy it: refused (exit 2)."""
    if output is None or database is None:
        return
    if output.resolve() == database.resolve():
        raise InputError(f"{output}: is the history database; write the {what} elsewhere")
