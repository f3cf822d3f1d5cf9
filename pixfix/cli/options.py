"""Options several commands share, declared once so that they read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


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
