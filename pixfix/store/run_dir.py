"""Run directories of `pixfix apply` and `pixfix rollback`: the record of what was done.

```
<runs>/<run-id>/  result.json  log.jsonl  report.md  report.html
                  backups/<stem>.before.cfg  backups/<stem>.after.cfg
```

Run ids sort by start time (`20261205T220312Z-1a2b3c`), so `ls runs/` lists runs in order.
Directories are 0700 and files 0600: backups hold password hashes. Every text written here
passes through the run's `Redactor` first, which replaces each password and enable secret of
the inventory by `********`: a device that echoes a secret back (a PIX 4 `passwd` line kept in
clear, a banner someone pasted a password into) must not put it into a file pixfix wrote.
`log.jsonl` gets one JSON object per line, appended and synced to disk as it happens (several
workers write at once, each line whole): it is the run's journal, from which a run that
stopped without writing its end is completed (`pixfix.store.journal`).
"""

from __future__ import annotations

import html
import json
import os
import secrets
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pixfix.errors import InputError
from pixfix.secret import MASK
from pixfix.store.journal import replay, settle
from pixfix.store.plan_dir import (
    BACKUPS,
    REPORT_HTML,
    REPORT_MD,
    RUN_FILE,
    make_private_dir,
    read_json,
    write_atomic,
)

LOG_FILE = "log.jsonl"
BEFORE = "before"
AFTER = "after"


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces every known secret value in a text; longest first, so a secret that contains
    another is masked whole."""

    values: tuple[str, ...]

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        return text


def _spellings(value: str) -> set[str]:
    """A secret as it may appear in what we write: as is, escaped in JSON, escaped in HTML."""
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
    }


def redactor_for(values: Iterable[str]) -> Redactor:
    """A redactor of the non-empty values given (inventory passwords and enable secrets), in
    every spelling a JSON or HTML file could give them.

    >>> redactor_for(["hunter2", ""])("password hunter2 ok")
    'password ******** ok'
    >>> redactor_for(['pa"ss<'])('{"reply": "pa\\"ss<"} <p>pa&quot;ss&lt;</p>')
    '{"reply": "********"} <p>********</p>'
    """
    distinct = {spelling for value in values if value for spelling in _spellings(value)}
    return Redactor(tuple(sorted(distinct, key=lambda v: (-len(v), v))))


def new_run_id(now: datetime, short: str | None = None) -> str:
    """`20261205T220312Z-4171a2`: UTC start time to the second, then a short suffix made of
    the milliseconds and three random hex digits, so that ids also sort within one second.

    >>> new_run_id(datetime(2026, 12, 5, 22, 3, 12, 417000, tzinfo=UTC), "abc")
    '20261205T220312Z-417abc'
    """
    moment = now.astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{moment.microsecond // 1000:03d}{short or secrets.token_hex(2)[:3]}"


def utc_iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, for log lines and timings."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RunDir:
    """One run directory, created on the first write of a run that touches devices."""

    def __init__(self, path: Path, redact: Redactor) -> None:
        self.path = path
        self.redact = redact
        self._lock = threading.RLock()  # a signal handler may log while the thread logs

    @property
    def run_id(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, runs: Path, now: datetime, redact: Redactor) -> RunDir:
        """A new, empty run directory under `runs` (made if missing), mode 0700."""
        try:
            runs.mkdir(parents=True, exist_ok=True, mode=0o700)
            for _ in range(5):
                path = runs / new_run_id(now)
                try:
                    path.mkdir(mode=0o700)
                except FileExistsError:
                    continue
                path.chmod(0o700)
                make_private_dir(path / BACKUPS)
                return cls(path, redact)
        except OSError as exc:
            raise InputError(f"{runs}: cannot create a run directory: {exc.strerror}") from exc
        raise InputError(f"{runs}: cannot find a free run id")

    def log(self, record: dict[str, Any]) -> None:
        """Append one record to log.jsonl (redacted), stamped with the time it was written."""
        line = json.dumps({"at": utc_iso(datetime.now(UTC)), **record}, ensure_ascii=False)
        data = (self.redact(line) + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path / LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)  # the journal must outlive a crash of this machine too
            finally:
                os.close(fd)

    def backup_path(self, stem: str, which: str) -> Path:
        return self.path / BACKUPS / f"{stem}.{which}.cfg"

    def write_backup(self, stem: str, which: str, text: str) -> Path:
        """`backups/<stem>.before.cfg` or `.after.cfg` (0600), redacted."""
        path = self.backup_path(stem, which)
        body = text if text.endswith("\n") or not text else text + "\n"
        write_atomic(path, self.redact(body))
        return path

    def write_result(self, document: dict[str, Any]) -> None:
        write_atomic(self.path / RUN_FILE, self.redact(json.dumps(document, indent=2) + "\n"))

    def write_reports(self, markdown: str, html: str) -> None:
        write_atomic(self.path / REPORT_MD, self.redact(markdown))
        write_atomic(self.path / REPORT_HTML, self.redact(html))


def read_run(path: Path) -> dict[str, Any]:
    """A run directory's result.json, completed from its journal when the run did not finish
    (see `pixfix.store.journal`); anything else is an input error naming the path."""
    if not (path / RUN_FILE).is_file():
        raise InputError(f"{path}: not a run directory (no {RUN_FILE})")
    document = read_json(path / RUN_FILE)
    if not isinstance(document, dict) or not isinstance(document.get("devices"), list):
        raise InputError(f"{path / RUN_FILE}: not a pixfix run record")
    live = document.get("status") == "running" and _alive(document)
    return settle(document, replay(read_journal(path)), run=str(path), live=live)


def _alive(document: dict[str, Any]) -> bool:
    """Whether the process that writes this running record is still there (same machine)."""
    pid, host = document.get("pid"), document.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_journal(path: Path) -> list[str]:
    """The lines of a run's log.jsonl (none when it has none)."""
    try:
        return (path / LOG_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InputError(f"{path / LOG_FILE}: cannot read: {exc.strerror}") from exc


def read_backup(run: Path, stem: str, which: str) -> str | None:
    """A backup of a run, or None when the run wrote none for that device."""
    path = run / BACKUPS / f"{stem}.{which}.cfg"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
