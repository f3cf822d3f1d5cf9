"""Audits recorded in, and read back from, the history database (`pixfix.history.schema`).

`History.record` writes one audit and computes its difference to the reference audit in the
same transaction, so two audits finishing together each compare with what was there before
them. A writer waits for another up to the wait given at open (30 s by default).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixfix.errors import InputError
from pixfix.history.schema import database_problem, open_database
from pixfix.history.since import Reference, Since, compare
from pixfix.history.snapshot import Key, Snapshot, digest, from_body
from pixfix.model import Status

DEFAULT_WAIT = 30.0  # seconds a writer waits for another


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditMeta:
    """What is recorded of an audit besides its devices."""

    started: float
    seconds: float
    source: str  # "live" or "offline"
    scope: str  # audits compare only with audits of the same scope
    inventory: str | None
    version: str
    host: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRow:
    """A recorded audit and its verdict counts."""

    audit_id: int
    meta: AuditMeta
    counts: dict[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class SinceSpec:
    """Which audit to compare with: the last one of the same scope, or the last one at or
    before `until` (a Unix time)."""

    until: float | None = None


_AUDITS = "SELECT id, started, seconds, source, scope, inventory, version, host FROM audits"


def _meta(row: sqlite3.Row | tuple[object, ...]) -> AuditMeta:
    _, started, seconds, source, scope, inventory, version, host = row
    return AuditMeta(
        started=float(started),  # type: ignore[arg-type]
        seconds=float(seconds),  # type: ignore[arg-type]
        source=str(source),
        scope=str(scope),
        inventory=None if inventory is None else str(inventory),
        version=str(version),
        host=None if host is None else str(host),
    )


def _context(stored: str) -> str | None:
    return stored or None


class History:
    """An open history database. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, created: bool = False) -> None:
        self.path = path
        self.created = created  # the file did not exist (or was empty) before this open
        self._conn = conn
        self._devices: dict[Key, int] = {}
        self._states: dict[bytes, int] = {}

    @classmethod
    def open(cls, path: Path, *, wait: float = DEFAULT_WAIT, write: bool = True) -> History:
        """The history at `path`: `write` for an audit that records (creates a new file);
        otherwise it must hold audits (see `pixfix.history.schema.open_database`)."""
        created = write and (not path.exists() or (path.is_file() and not path.stat().st_size))
        return cls(path, open_database(path, wait=wait, write=write), created=created)

    def discard(self) -> None:
        """Close; and remove the file when this open created it (a refused audit leaves no
        new file behind)."""
        self.close()
        if self.created:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    # -- writing -------------------------------------------------------------------------------

    def record(
        self, meta: AuditMeta, snapshots: Sequence[Snapshot], since: SinceSpec | None = None
    ) -> tuple[int, Since | None]:
        """Record one audit; with `since`, its difference to the reference audit."""
        with self._transaction("cannot record the audit"):
            found = None if since is None else self._since(meta, snapshots, since)
            audit_id = self._insert(meta, snapshots)
        return audit_id, found

    @contextlib.contextmanager
    def _transaction(self, doing: str) -> Iterator[None]:
        """One write transaction (waiting for another writer up to the wait given at open);
        any SQLite error rolls it back and is a one-line error naming the file."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise InputError(f"{self.path}: {doing}: {database_problem(exc)}") from exc

    def _insert(self, meta: AuditMeta, snapshots: Sequence[Snapshot]) -> int:
        cursor = self._conn.execute(
            "INSERT INTO audits (started, seconds, source, scope, inventory, version, host)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (meta.started, meta.seconds, meta.source, meta.scope, meta.inventory, meta.version,
             meta.host),
        )  # fmt: skip
        audit_id = int(cursor.lastrowid or 0)
        rows = [(audit_id, self._device(s.key), self._state(s), s.seen) for s in snapshots]
        self._conn.executemany(
            "INSERT OR REPLACE INTO results (audit, device, state, seen) VALUES (?, ?, ?, ?)", rows
        )
        return audit_id

    def _device(self, key: Key) -> int:
        if key not in self._devices:
            name, context = key
            self._conn.execute(
                "INSERT OR IGNORE INTO devices (name, context) VALUES (?, ?)", (name, context or "")
            )
            (found,) = self._conn.execute(
                "SELECT id FROM devices WHERE name = ? AND context = ?", (name, context or "")
            ).fetchone()
            self._devices[key] = int(found)
        return self._devices[key]

    def _state(self, snapshot: Snapshot) -> int:
        body = snapshot.body()
        key = digest(body)
        if key not in self._states:
            self._conn.execute(
                "INSERT OR IGNORE INTO states (digest, status, body) VALUES (?, ?, ?)",
                (key, snapshot.status.value, body),
            )
            (found,) = self._conn.execute(
                "SELECT id FROM states WHERE digest = ?", (key,)
            ).fetchone()
            self._states[key] = int(found)
        return self._states[key]

    # -- comparing -----------------------------------------------------------------------------

    def reference(
        self, scope: str, spec: SinceSpec, *, before: float | None = None
    ) -> Reference | None:
        """The audit to compare with: the latest of `scope` started at or before `spec.until`
        (or before `before`, the new audit's own start, for `last`)."""
        limit = spec.until if spec.until is not None else before
        query = "SELECT id, started FROM audits WHERE scope = ?"
        args: list[object] = [scope]
        if limit is not None:
            query += " AND started <= ?"
            args.append(limit)
        rows = self._rows(query + " ORDER BY started DESC, id DESC LIMIT 1", args)
        return next((Reference(audit_id=int(i), started=float(t)) for i, t in rows), None)

    def _since(self, meta: AuditMeta, now: Sequence[Snapshot], spec: SinceSpec) -> Since:
        reference = self.reference(meta.scope, spec, before=meta.started)
        if reference is None:
            return compare(None, {}, {s.key: s for s in now})
        before = {s.key: s for s in self.snapshots(reference.audit_id)}
        unknown = [
            s.key
            for s in now
            if (found := before.get(s.key) or before.get((s.name, None))) is not None
            and found.status is Status.ERROR
        ]
        known = self.last_known(unknown, before=reference.started)
        return compare(reference, before, {s.key: s for s in now}, known=known)

    # -- reading -------------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise InputError(f"{self.path}: {database_problem(exc)}") from exc

    def parse(self, name: str, context: str | None, body: str, seen: float | None) -> Snapshot:
        """A stored state read back; one that cannot be read is a damaged database."""
        try:
            return from_body(name, context, body, seen)
        except (ValueError, KeyError, TypeError) as exc:
            problem = f"a stored state cannot be read: {exc!r}"
            raise InputError(f"{self.path}: the history database is damaged ({problem})") from exc

    def snapshots(self, audit_id: int) -> list[Snapshot]:
        """The snapshots of one audit, by device name and context."""
        rows = self._rows(
            "SELECT d.name, d.context, s.body, r.seen FROM results r"
            " JOIN devices d ON d.id = r.device JOIN states s ON s.id = r.state"
            " WHERE r.audit = ? ORDER BY d.name, d.context",
            (audit_id,),
        )
        return [self.parse(name, _context(ctx), body, seen) for name, ctx, body, seen in rows]

    def last_known(
        self, keys: Sequence[Key], *, before: float
    ) -> dict[Key, tuple[Snapshot, float]]:
        """For each key, its last snapshot that was not an error, from audits started at or
        before `before`, and that audit's start."""
        found: dict[Key, tuple[Snapshot, float]] = {}
        for name, context in keys:
            rows = self._rows(
                "SELECT s.body, r.seen, a.started FROM results r"
                " JOIN devices d ON d.id = r.device JOIN states s ON s.id = r.state"
                " JOIN audits a ON a.id = r.audit"
                " WHERE d.name = ? AND d.context = ? AND s.status != 'error' AND a.started <= ?"
                " ORDER BY a.started DESC LIMIT 1",
                (name, context or "", before),
            )
            for body, seen, started in rows:
                found[(name, context)] = (self.parse(name, context, body, seen), float(started))
        return found

    def audits(self) -> list[AuditRow]:
        """Every recorded audit, oldest first, with its verdict counts."""
        counts: dict[int, dict[str, int]] = {}
        for audit_id, status, count in self._rows(
            "SELECT r.audit, s.status, count(*) FROM results r JOIN states s ON s.id = r.state"
            " GROUP BY r.audit, s.status"
        ):
            counts.setdefault(int(audit_id), {})[str(status)] = int(count)
        rows = self._rows(_AUDITS + " ORDER BY started, id")
        return [
            AuditRow(audit_id=int(row[0]), meta=_meta(row), counts=counts.get(int(row[0]), {}))
            for row in rows
        ]

    def series(self) -> dict[Key, list[tuple[int, int]]]:
        """Each device's (audit id, state id) pairs, oldest audit first: the dashboard reads a
        year of nightly audits this way and parses each state only once (`states`)."""
        found: dict[Key, list[tuple[int, int]]] = {}
        for name, ctx, audit_id, state_id in self._rows(
            "SELECT d.name, d.context, r.audit, r.state FROM results r"
            " JOIN devices d ON d.id = r.device JOIN audits a ON a.id = r.audit"
            " ORDER BY d.name, d.context, a.started, a.id"
        ):
            found.setdefault((str(name), _context(ctx)), []).append((int(audit_id), int(state_id)))
        return found

    def states(self) -> dict[int, str]:
        """Every stored state's body, by id."""
        return {int(i): str(body) for i, body in self._rows("SELECT id, body FROM states")}

    def timeline(
        self, name: str, context: str | None, scope: str | None = None
    ) -> list[tuple[int, Snapshot]]:
        """One device's (audit id, snapshot) pairs, oldest first, in audits of `scope` (all
        when None). A context is `error` in the audits where its whole unit could not be read."""
        query = (
            "SELECT r.audit, d.context, s.body, r.seen FROM results r"
            " JOIN devices d ON d.id = r.device JOIN states s ON s.id = r.state"
            " JOIN audits a ON a.id = r.audit WHERE d.name = ? AND d.context IN (?, '')"
        )
        args: list[object] = [name, context or ""]
        if scope is not None:
            query += " AND a.scope = ?"
            args.append(scope)
        found: dict[int, Snapshot] = {}
        for audit_id, ctx, body, seen in self._rows(query + " ORDER BY a.started, a.id", args):
            snap = self.parse(name, context, body, seen)
            if ctx == (context or ""):
                found[int(audit_id)] = snap  # its own entry wins over the unit's
            elif snap.status is Status.ERROR:
                found.setdefault(int(audit_id), snap)
        return list(found.items())

    def prune(self, older_than: float) -> int:
        """Delete the audits started before `older_than`, and what only they used."""
        with self._transaction("cannot prune"):
            cursor = self._conn.execute("DELETE FROM audits WHERE started < ?", (older_than,))
            self._conn.execute(
                "DELETE FROM states WHERE id NOT IN (SELECT DISTINCT state FROM results)"
            )
            self._conn.execute(
                "DELETE FROM devices WHERE id NOT IN (SELECT DISTINCT device FROM results)"
            )
        self._devices.clear()
        self._states.clear()
        return cursor.rowcount
