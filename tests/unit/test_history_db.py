"""pixfix.history.db and .schema: recording, reading back, upgrading, and every bad file."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixfix.errors import InputError
from pixfix.history.db import AuditMeta, History, SinceSpec
from pixfix.history.schema import APPLICATION_ID, SCHEMA_VERSION, UPGRADES
from pixfix.history.snapshot import Snapshot
from pixfix.model import Status

FIXUP = "fixup protocol smtp 25"


def meta(started: float, scope: str = "inventory /x.yaml") -> AuditMeta:
    return AuditMeta(started=started, seconds=1.5, source="live", scope=scope,
                     inventory="x.yaml", version="0.1.0", host="box")  # fmt: skip


def snap(name: str, status: Status, context: str | None = None) -> Snapshot:
    lines = (FIXUP,) if status is Status.EXPOSED else ()
    return Snapshot(name=name, context=context, status=status, running=status, lines=lines,
                    platform="pix", software="6.3(5)", fingerprint=f"{name}-{status.value}",
                    groups=("site-a",))  # fmt: skip


def test_record_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with History.open(path) as db:
        first, since = db.record(meta(100.0), [snap("a", Status.COMPLIANT),
                                               snap("fw", Status.EXPOSED, "mail")])  # fmt: skip
        assert since is None
        _, since = db.record(meta(200.0), [snap("a", Status.EXPOSED)], SinceSpec())
    assert since is not None and since.names("regressions") == ["a"]
    assert since.gone == ("fw/mail",)
    with History.open(path, write=False) as db:
        audits = db.audits()
        assert [row.counts for row in audits] == [{"compliant": 1, "exposed": 1}, {"exposed": 1}]
        assert audits[0].meta == meta(100.0)
        (a, mail) = db.snapshots(first)
        assert (a.label, a.groups, mail.label, mail.lines) == (
            "a",
            ("site-a",),
            "fw/mail",
            (FIXUP,),
        )
        assert [s.status for _, s in db.timeline("a", None)] == [Status.COMPLIANT, Status.EXPOSED]


def test_identical_states_are_stored_once(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as db:
        for night in range(30):
            db.record(meta(float(night)), [snap(f"d{i}", Status.COMPLIANT) for i in range(20)])
        assert len(db.states()) == 20
        assert len(db.audits()) == 30


def test_since_compares_with_the_same_scope_only(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as db:
        db.record(meta(100.0), [snap("a", Status.COMPLIANT), snap("b", Status.COMPLIANT)])
        db.record(meta(150.0, scope="inventory /x.yaml --limit b"), [snap("b", Status.EXPOSED)])
        _, since = db.record(meta(200.0), [snap("a", Status.COMPLIANT), snap("b", Status.EXPOSED)],
                             SinceSpec())  # fmt: skip
        assert since is not None and since.reference is not None
        assert since.reference.audit_id == 1
        assert since.names("regressions") == ["b"]


def test_since_a_date_takes_the_last_audit_at_or_before_it(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as db:
        db.record(meta(100.0), [snap("a", Status.COMPLIANT)])
        db.record(meta(200.0), [snap("a", Status.EXPOSED)])
        _, since = db.record(meta(300.0), [snap("a", Status.EXPOSED)], SinceSpec(until=150.0))
        assert since is not None and since.names("regressions") == ["a"]
        _, since = db.record(meta(400.0), [snap("a", Status.EXPOSED)], SinceSpec())
        assert since is not None and since.regressions == ()


def test_prune_deletes_old_audits_and_what_only_they_used(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as db:
        db.record(meta(100.0), [snap("old", Status.EXPOSED)])
        db.record(meta(time.time()), [snap("a", Status.COMPLIANT)])
        assert db.prune(time.time() - 3600) == 1
        assert [row.meta.started > 100 for row in db.audits()] == [True]
        assert db.timeline("old", None) == []
        assert len(db.states()) == 1


def test_a_version_1_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    for statement in UPGRADES[0]:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO audits (started, seconds, source, scope, inventory, version)"
                 " VALUES (5.0, 1.0, 'live', 's', NULL, '0.0.9')")  # fmt: skip
    conn.commit()
    conn.close()
    with History.open(path, write=False) as db:
        (row,) = db.audits()
        assert (row.meta.started, row.meta.version, row.meta.host) == (5.0, "0.0.9", None)
        db.record(meta(10.0, scope="s"), [snap("a", Status.COMPLIANT)])
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'index'")}
    assert "results_device" in names
    conn.close()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Another writer holding the database (as a second audit recording would)."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _unchanged(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before, "the file was written to"


def test_another_programs_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a pixfix history database"):
        History.open(path)
    _unchanged(path, before)


def test_a_newer_layout_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    History.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match="newer pixfix"):
        History.open(path)
    _unchanged(path, before)


@pytest.mark.parametrize(
    "content",
    [b"this is a text file, not a database\n", b"SQLite format 3\x00" + b"\x07" * 4000],
    ids=["not-sqlite", "damaged"],
)
def test_a_file_that_is_not_a_database_or_is_damaged_is_refused_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    with pytest.raises(
        InputError, match=r"bad\.db: (not a pixfix history|the history database is damaged)"
    ):
        History.open(path)
    _unchanged(path, content)


def test_a_truncated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.db"
    with History.open(path) as db:
        for night in range(50):
            db.record(
                meta(float(night)), [snap(f"d{i}-{night}", Status.EXPOSED) for i in range(40)]
            )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="damaged"):
        History.open(path).audits()


def test_a_database_locked_longer_than_the_wait_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    History.open(path).close()
    started = time.monotonic()
    with _locked(path):
        before = path.read_bytes()
        with pytest.raises(InputError, match=r"locked by another writer \(waited 0.3 s"):
            History.open(path, wait=0.3)
    assert time.monotonic() - started < 10
    _unchanged(path, before)


def test_reading_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such history database"):
        History.open(tmp_path / "none.db", write=False)
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(InputError, match="its folder does not exist"):
        History.open(tmp_path / "no" / "h.db")


def test_recording_waits_for_another_writer_then_refuses(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with History.open(path, wait=0.3) as db:
        with _locked(path), pytest.raises(InputError, match=r"cannot record the audit: .*locked"):
            db.record(meta(1.0), [snap("a", Status.EXPOSED)])
        db.record(meta(2.0), [snap("a", Status.EXPOSED)])  # the lock gone, it records
        assert [row.meta.started for row in db.audits()] == [2.0]


def test_a_database_that_cannot_be_written_is_refused_at_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the audit's user may read but not write (root-owned 0444, a read-only folder or
    mount): refused when it is opened, not after the fleet was audited. Simulated with a
    read-only SQLite connection, which is what such a file gives (tests may run as root)."""
    path = tmp_path / "ro.db"
    History.open(path).close()
    connect = sqlite3.connect

    def read_only(database: Path, **kwargs: object) -> sqlite3.Connection:
        return connect(f"file:{database}?mode=ro", uri=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("pixfix.history.schema.sqlite3.connect", read_only)
    with pytest.raises(InputError, match="cannot write the history database: attempt to write"):
        History.open(path)
    with History.open(path, write=False) as db:  # reading it is fine
        assert db.audits() == []


def test_reading_commands_never_write_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="no audit recorded yet"):
        History.open(path, write=False)
    assert path.read_bytes() == b""


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("DROP TABLE results", "no table results"),
        ('UPDATE states SET body = \'{"status": "exposed"}\'', "a stored state cannot be read"),
    ],
)
def test_a_database_with_damaged_content_is_a_one_line_error(
    tmp_path: Path, damage: str, message: str
) -> None:
    path = tmp_path / "h.db"
    with History.open(path) as db:
        db.record(meta(1.0), [snap("a", Status.EXPOSED)])
    conn = sqlite3.connect(path)
    conn.execute(damage)
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match=message), History.open(path, write=False) as db:
        db.timeline("a", None)


def test_prune_waits_for_another_writer_then_refuses(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with (
        History.open(path, wait=0.2) as db,
        _locked(path),
        pytest.raises(InputError, match=r"cannot prune: .*locked"),
    ):
        db.prune(time.time())


def test_a_context_is_an_error_where_its_whole_unit_could_not_be_read(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as db:
        db.record(meta(1.0), [snap("fw", Status.COMPLIANT, "mail")])
        db.record(meta(2.0), [snap("fw", Status.ERROR)])
        db.record(meta(3.0), [snap("fw", Status.EXPOSED, "mail")])
        statuses = [s.status for _, s in db.timeline("fw", "mail")]
    assert statuses == [Status.COMPLIANT, Status.ERROR, Status.EXPOSED]
