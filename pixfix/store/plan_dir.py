"""The one place that writes plan directories: private modes, atomic files, whole-dir swaps.

Backups hold password hashes, so every file is 0600 and every directory 0700, whatever the
umask. A file is written to a temporary name beside it and renamed over the old one, so a
reader (an `approve`, an `apply` in another shell) sees the old content or the new, never half.
A plan is written whole into a staging directory next to `--out` and swapped in: re-planning
never leaves old backups or an old `approval.json` beside a new `plan.json`, because an old
approval must never appear to approve a new plan.

Saved configurations for `plan --offline` are read here too (`read_configs`), with the same
naming rules as `pixfix audit --offline`: `fw1.cfg` is device `fw1`, `fw1@ctx.cfg` its context.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pixfix.errors import InputError

FILE_MODE = 0o600
DIR_MODE = 0o700
PLAN_FILE = "plan.json"
APPROVAL_FILE = "approval.json"
RUN_FILE = "result.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
BACKUPS = "backups"
SAVED_SUFFIX = ".saved"  # backups/<stem>.saved.cfg: the saved configuration of an unsaved device
DIFFS = "diffs"
_UNSAFE_NAME = re.compile(r"[^\w.@+-]")


class DirKind(Enum):
    """What a path holds, as far as `plan`, `approve` and `show` care."""

    ABSENT = "absent"  # missing, or an empty directory: free to write a plan into
    PLAN = "plan"  # a plan directory (plan.json with a plan_id and devices)
    RUN = "run"  # a run directory (result.json) written by apply / rollback
    OTHER = "other"  # anything else: never written over


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanFiles:
    """Everything a plan directory holds, as text; names of backups/diffs without suffix."""

    plan_json: str
    report_md: str
    report_html: str
    backups: Mapping[str, str]
    diffs: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Replaced:
    """What writing a plan replaced: an older plan, and how many approvals went with it."""

    old_plan: bool
    approvals_removed: int


def file_stem(name: str, context: str | None) -> str:
    """`name` or `name@context`, with anything a path could act on replaced by `_`.

    Device names come from inventories and file names: a `/` or a leading `.` must not let
    one write outside `backups/`.

    >>> file_stem("fw1", "mail"), file_stem("../etc/passwd", None)
    ('fw1@mail', '_.._etc_passwd')
    """
    stem = _UNSAFE_NAME.sub("_", name if context is None else f"{name}@{context}")
    return "_" + stem if stem.startswith(".") or not stem else stem


def write_atomic(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path`, mode 0600, by renaming a finished temporary file."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def make_private_dir(path: Path) -> None:
    """Create `path` (and parents) if needed; `path` itself ends 0700 whatever the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    path.chmod(DIR_MODE)


def read_json(path: Path) -> Any:
    """A JSON file we wrote; missing, unreadable or not JSON is an input error naming it."""
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from exc


def dir_kind(path: Path) -> DirKind:
    """Classify `path` (see `DirKind`); a plan.json without plan_id/devices is not a plan."""
    if not path.exists():
        return DirKind.ABSENT
    if not path.is_dir():
        return DirKind.OTHER
    if (path / PLAN_FILE).is_file():
        return DirKind.PLAN if _looks_like_plan(path / PLAN_FILE) else DirKind.OTHER
    if (path / RUN_FILE).is_file():
        return DirKind.RUN
    return DirKind.ABSENT if not any(path.iterdir()) else DirKind.OTHER


def _looks_like_plan(path: Path) -> bool:
    try:
        document = read_json(path)
    except InputError:
        return False
    return isinstance(document, dict) and "plan_id" in document and "devices" in document


def plan_bytes(plan_dir: Path) -> bytes:
    """plan.json exactly as stored (approvals hash these bytes); not a plan: InputError."""
    if dir_kind(plan_dir) is not DirKind.PLAN:
        raise InputError(f"{plan_dir}: not a plan directory (no valid {PLAN_FILE})")
    try:
        return (plan_dir / PLAN_FILE).read_bytes()
    except OSError as exc:
        raise InputError(f"{plan_dir / PLAN_FILE}: cannot read: {exc.strerror}") from exc


def check_plan_target(target: Path, *, force: bool = False) -> DirKind:
    """`target`'s kind if a plan may be written there (absent, empty or a plan), else an error.

    Re-planning replaces the whole directory, so a plan directory holding files pixfix did not
    write (board minutes, evidence added by the team) is refused, naming them, unless `force`.
    """
    kind = dir_kind(target)
    if kind not in (DirKind.ABSENT, DirKind.PLAN):
        raise InputError(f"{target}: exists and is not a plan directory; choose another --out")
    added = foreign_files(target) if kind is DirKind.PLAN else []
    if added and not force:
        shown = ", ".join(added[:5]) + (f" and {len(added) - 5} more" if len(added) > 5 else "")
        raise InputError(
            f"{target}: holds files pixfix did not write ({shown}); re-planning replaces the "
            "directory: move them, choose another --out, or give --force"
        )
    return kind


_WRITTEN = {
    PLAN_FILE: None,
    APPROVAL_FILE: None,
    REPORT_MD: None,
    REPORT_HTML: None,
    BACKUPS: ".cfg",
    DIFFS: ".diff",
}


def foreign_files(plan_dir: Path) -> list[str]:
    """Paths (relative, sorted) in a plan directory that a plan or an approval did not write."""
    return [
        str(path.relative_to(plan_dir))
        for path in sorted(plan_dir.rglob("*"))
        if not _written(path.relative_to(plan_dir).parts, path.is_file())
    ]


def _written(parts: tuple[str, ...], is_file: bool) -> bool:
    """`plan.json` and its siblings at the top; `backups/*.cfg` and `diffs/*.diff` below."""
    if parts[0] not in _WRITTEN:
        return False
    suffix = _WRITTEN[parts[0]]
    if suffix is None:
        return len(parts) == 1 and is_file
    return len(parts) == 1 or (len(parts) == 2 and is_file and parts[1].endswith(suffix))


def write_plan_dir(target: Path, files: PlanFiles, *, force: bool = False) -> Replaced:
    """Write a whole plan to `target`, replacing an older plan there (approvals included).

    `target` must be missing, an empty directory or a plan directory; anything else is
    refused, so a typo in `--out` cannot wipe someone's folder.
    """
    kind = check_plan_target(target, force=force)
    removed = _approval_count(target) if kind is DirKind.PLAN else 0
    final = target.resolve()  # `--out .` has no name to stage beside
    try:
        final.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)  # an existing one: as is
        staging = _temp_dir_beside(final, ".new")
        try:
            _fill(staging, files)
            _swap(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # already gone once swapped in
    except OSError as exc:
        raise InputError(f"{target}: cannot write the plan: {exc.strerror or exc}") from exc
    return Replaced(old_plan=kind is DirKind.PLAN, approvals_removed=removed)


def _temp_dir_beside(target: Path, suffix: str) -> Path:
    """A private directory on the same filesystem as `target`, so renames are atomic."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent))


def _approval_count(plan_dir: Path) -> int:
    """Approvals in an old plan dir; an unreadable approval.json still counts as one."""
    path = plan_dir / APPROVAL_FILE
    if not path.exists():
        return 0
    try:
        approvals = read_json(path).get("approvals", [])
    except (InputError, AttributeError):
        return 1
    return len(approvals) if isinstance(approvals, list) else 1


def _fill(staging: Path, files: PlanFiles) -> None:
    """Write every file into the staging folder.

    The folder only becomes the plan by one rename once it is complete (`_swap`), so each file
    needs no temporary-and-rename of its own: a crash leaves a hidden staging folder, never a
    half-written plan. That matters for speed: a plan of 1,000 devices writes 2,000 files.
    """
    staging.chmod(DIR_MODE)
    _write_new(staging / PLAN_FILE, files.plan_json)
    _write_new(staging / REPORT_MD, files.report_md)
    _write_new(staging / REPORT_HTML, files.report_html)
    for folder, suffix, texts in ((BACKUPS, ".cfg", files.backups), (DIFFS, ".diff", files.diffs)):
        make_private_dir(staging / folder)
        for stem, text in texts.items():
            _write_new(staging / folder / f"{stem}{suffix}", text)


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)


def _swap(staging: Path, target: Path) -> None:
    """Put the staged plan at `target`; an old one is moved aside first, then deleted."""
    if not target.exists():
        os.replace(staging, target)
        return
    old = _temp_dir_beside(target, ".old")
    os.replace(target, old / "plan")
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(old / "plan", target)  # put the old plan back: never leave nothing
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def locked(plan_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the plan directory: two approvers signing at once both count."""
    fd = os.open(plan_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
