"""Saved configurations: read for `--offline` audits and plans, written by `--save-configs`.

A saved configuration is one file per device (`name.cfg`) or context (`name@context.cfg`); the
name before the extension is the device's name. The files hold password hashes: written 0600 in
a 0700 folder, whatever the umask.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pixfix.errors import InputError
from pixfix.store.plan_dir import DIR_MODE, FILE_MODE

SaveConfig = Callable[[str, str | None, str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedConfig:
    """One saved configuration file: its device, and its text or why it could not be read."""

    name: str
    context: str | None
    text: str | None
    error: str | None = None
    mtime: float | None = None  # the file's modification time (Unix), where it could be read


def read_configs(paths: Sequence[Path]) -> list[SavedConfig]:
    """Saved configurations from files, or folders searched recursively (hidden skipped).

    Sorted by name then context; a missing path is an input error, an unreadable or non-UTF-8
    file is that device's error (as in `pixfix audit --offline`).
    """
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        files.extend(_visible_files(path) if path.is_dir() else [path])
    configs = [_read_config(path) for path in files]
    return sorted(configs, key=lambda c: (c.name, c.context or ""))


def _visible_files(folder: Path) -> list[Path]:
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]


def _read_config(path: Path) -> SavedConfig:
    name, _, context = path.stem.partition("@")
    try:
        mtime = path.stat().st_mtime
        text = path.read_bytes().decode("utf-8-sig")  # Windows editors add a byte order mark
    except OSError as exc:
        error = f"cannot read {path}: {exc.strerror or exc}"
        return SavedConfig(name=name, context=context or None, text=None, error=error)
    except UnicodeDecodeError as exc:
        error = f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        return SavedConfig(name=name, context=context or None, text=None, error=error)
    return SavedConfig(name=name, context=context or None, text=text, mtime=mtime)


def config_saver(folder: Path) -> SaveConfig:
    """Keep each collected configuration as `name.cfg` / `name@context.cfg`, mode 0600."""
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)

    def save(name: str, context: str | None, text: str) -> None:
        path = folder / (f"{name}@{context}.cfg" if context else f"{name}.cfg")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
        path.chmod(FILE_MODE)

    return save
