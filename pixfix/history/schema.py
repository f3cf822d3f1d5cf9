"""The history database's file: opened, checked and upgraded before anything is audited.

SQLite, the embedded default: one file, nothing to run. The file says it is pixfix's with
`PRAGMA application_id` and its layout with `PRAGMA user_version`; a file that is not SQLite, a
SQLite database of another program, a layout newer than this pixfix knows, a damaged file or one
locked by another writer for longer than the wait is an `InputError` naming the file, and
nothing is written to it. An older layout is upgraded in place, one step per version, inside
the same transaction as the checks.

Layout (version 2):

    audits   one row per recorded audit: when it started (Unix time; an offline audit: its
             newest file's time), how long it took, live or offline, its scope (inventory and
             --limit, or "offline"), the inventory as given, pixfix's version, the machine
    devices  one row per device name and context ('' for none)
    states   each distinct snapshot once (`pixfix.history.snapshot.Snapshot.body`), by digest,
             with its verdict beside it for counting
    results  (audit, device) -> state, and when the text was read where that is not the
             audit's time (a saved file's modification time)

Version 1 had neither `audits.host` nor the per-device index; opening a version 1 file adds them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pixfix.errors import InputError

APPLICATION_ID = 0x50584658  # "PXFX"
SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
TABLES = frozenset({"audits", "devices", "states", "results"})

_V1 = (
    """CREATE TABLE audits (
        id INTEGER PRIMARY KEY,
        started REAL NOT NULL,
        seconds REAL NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('live', 'offline')),
        scope TEXT NOT NULL,
        inventory TEXT,
        version TEXT NOT NULL
    )""",
    "CREATE INDEX audits_scope ON audits (scope, started)",
    """CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '',
        UNIQUE (name, context)
    )""",
    """CREATE TABLE states (
        id INTEGER PRIMARY KEY,
        digest BLOB NOT NULL UNIQUE,
        status TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    """CREATE TABLE results (
        audit INTEGER NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
        device INTEGER NOT NULL REFERENCES devices (id),
        state INTEGER NOT NULL REFERENCES states (id),
        seen REAL,
        PRIMARY KEY (audit, device)
    ) WITHOUT ROWID""",
)
_V2 = (
    "ALTER TABLE audits ADD COLUMN host TEXT",
    "CREATE INDEX results_device ON results (device, audit)",
)
# UPGRADES[n] takes a file from version n to n + 1 (0: an empty database).
UPGRADES: tuple[tuple[str, ...], ...] = (_V1, _V2)
assert len(UPGRADES) == SCHEMA_VERSION


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC))


def _connect(path: Path, wait: float) -> sqlite3.Connection:
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a history database")
    if not path.parent.is_dir():
        raise InputError(f"{path}: its folder does not exist")
    try:
        head = _head(path) if path.is_file() else b""
    except OSError as exc:
        raise InputError(f"{path}: cannot read the history database: {exc.strerror}") from exc
    if head and head != SQLITE_MAGIC:
        raise InputError(f"{path}: not a pixfix history database (not SQLite)")
    try:
        conn = sqlite3.connect(path, timeout=wait, isolation_level=None)
    except sqlite3.Error as exc:
        raise InputError(f"{path}: cannot open the history database: {exc}") from exc
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _begin(conn: sqlite3.Connection, path: Path, wait: float) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise InputError(
                f"{path}: the history database is locked by another writer"
                f" (waited {wait:g} s; is another audit recording?)"
            ) from exc
        raise InputError(f"{path}: cannot write the history database: {exc}") from exc


def _check(conn: sqlite3.Connection, path: Path) -> int:
    """The file's layout version (0: a new, empty database); raises on anything not ours."""
    (app,) = conn.execute("PRAGMA application_id").fetchone()
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    (tables,) = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    if app == 0 and version == 0 and tables == 0:
        return 0
    if app != APPLICATION_ID:
        raise InputError(f"{path}: not a pixfix history database (another program's SQLite)")
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{path}: written by a newer pixfix (history layout {version}; this pixfix reads"
            f" up to {SCHEMA_VERSION}): upgrade pixfix"
        )
    ((verdict,),) = conn.execute("PRAGMA quick_check(1)").fetchall()
    if verdict != "ok":
        raise InputError(f"{path}: the history database is damaged ({_one_line(verdict)})")
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if missing := sorted(TABLES - names):
        raise InputError(f"{path}: the history database is damaged (no table {missing[0]})")
    return int(version)


def database_problem(exc: sqlite3.Error) -> str:
    """What an SQLite error says about the file, in one line."""
    text = _one_line(exc)
    if any(word in text for word in ("readonly", "unable to open", "disk I/O", "locked")):
        return f"cannot write the history database: {text}"
    return f"the history database is damaged ({text})"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _upgrade(conn: sqlite3.Connection, version: int) -> None:
    for step in UPGRADES[version:]:
        for statement in step:
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def open_database(path: Path, *, wait: float, write: bool) -> sqlite3.Connection:
    """The history file at `path`, checked and at the current layout.

    `write` (an audit that will record): a missing or empty file is created, and the check
    writes to the file, so that one the audit could not record into is refused now. Otherwise
    (`pixfix history`, `pixfix report`) the file must hold a history; only an upgrade writes.
    Every refusal happens before anything is written: the caller has contacted no device yet.
    """
    if not write and not path.exists():
        raise InputError(f"{path}: no such history database")
    conn = _connect(path, wait)
    try:
        _begin(conn, path, wait)
        try:
            version = _check(conn, path)
            if version == 0 and not write:
                raise InputError(f"{path}: no audit recorded yet (an empty database)")
            if version < SCHEMA_VERSION:
                _upgrade(conn, version)
            if write:  # a read-only file or folder fails here, not after the audit
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(f"{path}: {database_problem(exc)}") from exc
    except InputError:
        conn.close()
        raise
    return conn
