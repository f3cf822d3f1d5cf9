"""`pixfix audit --history/--since`, `pixfix history` and `pixfix report` through the CLI,
on saved configuration files (the lab test does the same against live devices)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import pixfix.lab
from pixfix.cli import main

CONFIGS = Path(pixfix.lab.__file__).parent / "configs"
NIGHT1, NIGHT2 = 1_793_498_400, 1_793_584_800  # 2026-11-01 and -02, 02:00 UTC
CLEAN = "lab-pix63-clean"


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _night(folder: Path, stamp: int, *, regress: bool, fix: bool) -> Path:
    """Four saved configurations as they were on one night (file times set to it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("lab-pix63", CLEAN, "lab-asa916-clean", "lab-asa84"):
        text = (CONFIGS / f"{name}.cfg").read_text()
        if name == "lab-pix63" and fix:
            text = "".join(x for x in text.splitlines(True) if "fixup protocol smtp" not in x)
        if name == CLEAN and regress:
            text = text.replace(
                "fixup protocol ftp 21\n", "fixup protocol ftp 21\nfixup protocol smtp 25\n"
            )
        path = folder / f"{name}.cfg"
        path.write_text(text + ": end\n")
        os.utime(path, (stamp, stamp))
    return folder


@pytest.fixture
def nights(tmp_path: Path) -> tuple[Path, Path, Path]:
    db = tmp_path / "history.db"
    first = _night(tmp_path / "n1", NIGHT1, regress=False, fix=False)
    second = _night(tmp_path / "n2", NIGHT2, regress=True, fix=True)
    return db, first, second


def _audit(db: Path, folder: Path, *extra: str) -> Result:
    """Audit one night's files from the one folder a backup job keeps them in (an offline
    audit's scope is its paths), their times kept."""
    fixed = folder.parent / "backups"
    shutil.rmtree(fixed, ignore_errors=True)
    shutil.copytree(folder, fixed)
    return run("audit", "--offline", fixed, "--history", db, *extra)


def test_a_regression_and_a_fix_since_last_exit_4_in_every_format(
    nights: tuple[Path, Path, Path],
) -> None:
    db, first, second = nights
    done = _audit(db, first, "--since", "last", "--format", "json")
    assert done.exit_code == 1, done.output
    since = json.loads(done.output)["since"]
    assert since["reference"] is None and sorted(since["new"]) == sorted(
        ["lab-pix63", CLEAN, "lab-asa916-clean", "lab-asa84"]
    )
    done = _audit(db, second, "--since", "last", "--format", "json")
    assert done.exit_code == 4, done.output
    since = json.loads(done.output)["since"]
    assert (since["regressions"], since["fixed"]) == ([CLEAN], ["lab-pix63"])
    assert (since["unreachable"], since["new"], since["gone"]) == ([], [], [])
    assert since["lines"] == {CLEAN: ["fixup protocol smtp 25"]}
    assert since["reference"]["started"] == NIGHT1

    done = _audit(db, second, "--since", "2026-11-01", "--format", "markdown")
    assert done.exit_code == 4
    assert f"### Regression: {CLEAN} (running, was compliant)" in done.output
    assert "- fixed: lab-pix63" in done.output

    done = _audit(db, second, "--since", "2026-11-01", "--format", "junit")
    assert done.exit_code == 4
    suites = {s.get("name"): s for s in ET.fromstring(done.output).iter("testsuite")}
    (case,) = suites["pixfix.since"].iter("testcase")
    assert case.get("name") == CLEAN and case.find("failure") is not None

    done = _audit(db, second, "--since", "2026-11-01", "--format", "table")
    assert "REGRESSION lab-pix63-clean (running, was compliant):" in done.output


def test_no_change_since_last_exits_as_the_audit_does(nights: tuple[Path, Path, Path]) -> None:
    db, first, _ = nights
    assert _audit(db, first, "-q").exit_code == 1
    done = _audit(db, first, "--since", "last", "--format", "json")
    assert done.exit_code == 1
    assert json.loads(done.output)["since"]["regressions"] == []


def test_history_lists_audits_and_a_devices_timeline(nights: tuple[Path, Path, Path]) -> None:
    db, first, second = nights
    _audit(db, first, "-q")
    _audit(db, second, "-q")
    done = run("history", db, "--format", "json")
    assert done.exit_code == 0
    audits = json.loads(done.output)["audits"]
    assert [a["started"] for a in audits] == [NIGHT1, NIGHT2]
    assert [a["counts"]["exposed"] for a in audits] == [2, 2]
    assert audits[0]["source"] == "offline"
    done = run("history", db, CLEAN, "--format", "json")
    changes = json.loads(done.output)["changes"]
    assert [(c["status"], c["changed"]) for c in changes] == [
        ("compliant", ["first seen"]),
        ("exposed", ["verdict", "configuration"]),
    ]
    assert changes[1]["lines"] == ["fixup protocol smtp 25"]
    table = run("history", db, CLEAN).output
    assert re.search(r"#2 .* exposed .* verdict, configuration +fixup protocol smtp 25", table)
    done = run("history", db, "nosuch")
    assert done.exit_code == 2 and "no device 'nosuch' in the history" in done.output


def test_prune_older_than(nights: tuple[Path, Path, Path]) -> None:
    db, first, second = nights
    _audit(db, first, "-q")
    _audit(db, second, "-q")
    done = run("history", db, "--prune-older-than", "365d")
    assert done.exit_code == 0
    assert len(json.loads(run("history", db, "--format", "json").output)["audits"]) == 2
    assert run("history", db, "--prune-older-than", "1h").exit_code == 0  # the files are old
    assert json.loads(run("history", db, "--format", "json").output)["audits"] == []
    assert run("history", db, "--prune-older-than", "soon").exit_code == 2


def test_the_dashboard_is_one_page_with_nothing_from_outside(
    nights: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    db, first, second = nights
    _audit(db, first, "-q")
    _audit(db, second, "-q")
    out = tmp_path / "fleet.html"
    done = run("report", db, "--out", out)
    assert done.exit_code == 0, done.output
    page = out.read_text()
    assert not re.search(r"<script|<link|<iframe|<img|@import|url\(", page, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.IGNORECASE)
    assert "default-src 'none'" in page
    regressions = page[page.index('id="regressions"') : page.index("<h2>Trend")]
    assert CLEAN in regressions and "fixup protocol smtp 25" in regressions
    assert "lab-pix63<" not in regressions  # fixed, not a regression
    assert page.count("<svg") == 3  # trend, trains, groups
    assert run("report", db, "--out", out).exit_code == 0
    assert out.read_text().replace(_made(out), "") == page.replace(_made_text(page), "")


def _made_text(page: str) -> str:
    return re.search(r"Page made [0-9: -]+", page).group(0)  # type: ignore[union-attr]


def _made(out: Path) -> str:
    return _made_text(out.read_text())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "last"), "--since needs --history DB"),
        (
            ("--history", "{db}", "--since", "yesterday"),
            "--since 'yesterday': give `last` or a date",
        ),
        (("--history", "{db}", "--since", "2020-01-01"), "no audit of this scope"),
    ],
)
def test_bad_since_is_one_line_and_exit_2(
    nights: tuple[Path, Path, Path], args: tuple[str, ...], message: str
) -> None:
    db, first, _ = nights
    done = run("audit", "--offline", first, *(a.format(db=db) for a in args))
    assert done.exit_code == 2
    assert message in done.output and len(done.output.strip().splitlines()) == 1


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP port that counts the connections made to it (a device that must not be reached)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=5)
    server.close()


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    CliRunner().invoke(main, ["audit", "--offline", str(CONFIGS / "lab-asa84.cfg"), "--history",
                              str(newer), "-q"])  # fmt: skip
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 3000)
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    return {"other": other, "newer": newer, "corrupt": corrupt, "text": text}


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("other", "not a pixfix history database"),
        ("newer", "written by a newer pixfix"),
        ("corrupt", "damaged"),
        ("text", "not a pixfix history database"),
        ("locked", "locked by another writer"),
    ],
)
def test_a_bad_history_stops_the_audit_before_any_device(
    tmp_path: Path, listener: tuple[int, list[object]], which: str, message: str
) -> None:
    port, accepted = listener
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        "defaults: {username: u, password: p, secret: s}\n"
        f"hosts:\n  fw1: {{host: 127.0.0.1, port: {port}, platform: asa}}\n"
    )
    files = _bad_files(tmp_path)
    holder = None
    if which == "locked":
        path = tmp_path / "locked.db"
        run("audit", "--offline", CONFIGS / "lab-asa84.cfg", "--history", path, "-q")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        path = files[which]
    before = path.read_bytes()
    try:
        done = run("audit", "-i", inventory, "--history", path, "--history-wait", "0.5",
                   "--format", "json")  # fmt: skip
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    assert done.exit_code == 2, done.output
    assert message in done.output and str(path) in done.output
    errors = [line for line in done.output.splitlines() if line.startswith("pixfix: error:")]
    assert len(errors) == 1 and "Traceback" not in done.output
    assert accepted == [], "a device was contacted"
    assert path.read_bytes() == before


def test_the_history_variable_stands_for_the_option(nights: tuple[Path, Path, Path]) -> None:
    db, first, _ = nights
    done = run("audit", "--offline", first, "-q", env={"PIXFIX_HISTORY": str(db)})
    assert done.exit_code == 1
    assert len(json.loads(run("history", db, "--format", "json").output)["audits"]) == 1


def test_prometheus_and_csv_with_since(nights: tuple[Path, Path, Path]) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    db, first, second = nights
    _audit(db, first, "-q")
    done = _audit(db, second, "--since", "last", "--format", "prometheus")
    assert done.exit_code == 4
    found = {
        sample.labels["change"]: sample.value
        for family in text_string_to_metric_families(done.output)
        if family.name == "pixfix_since_devices"
        for sample in family.samples
    }
    assert found == {"regressions": 1, "fixed": 1, "unreachable": 0, "new": 0, "gone": 0}
    done = _audit(db, second, "--since", "last", "--format", "csv")
    assert done.exit_code == 1  # nothing changed since the audit just before
    assert done.output.splitlines()[0].startswith("name,")


def test_two_sites_backup_folders_are_never_compared(tmp_path: Path) -> None:
    """An offline audit's scope is its paths: site B's folder audited between two audits of
    site A's does not hide A's regression."""
    db = tmp_path / "h.db"
    site_a = _night(tmp_path / "a", NIGHT1, regress=False, fix=False)
    site_b = tmp_path / "b"
    site_b.mkdir()
    (site_b / "fw9.cfg").write_text((CONFIGS / "lab-asa84.cfg").read_text() + ": end\n")
    assert run("audit", "--offline", site_a, "--history", db, "-q").exit_code == 1
    assert run("audit", "--offline", site_b, "--history", db, "-q").exit_code == 1
    _night(site_a, NIGHT2, regress=True, fix=False)
    done = run("audit", "--offline", site_a, "--history", db, "--since", "last", "--format", "json")
    assert done.exit_code == 4
    since = json.loads(done.output)["since"]
    assert (since["regressions"], since["new"], since["gone"]) == ([CLEAN], [], [])


def test_a_report_is_never_written_over_the_history(nights: tuple[Path, Path, Path]) -> None:
    db, first, _ = nights
    _audit(db, first, "-q")
    before = db.read_bytes()
    done = run("report", db, "--out", db)
    assert done.exit_code == 2 and "is the history database" in done.output
    done = run("audit", "--offline", first, "--history", db, "-o", db)
    assert done.exit_code == 2 and "is the history database" in done.output
    assert db.read_bytes() == before


def test_a_refused_audit_leaves_no_new_history_file(nights: tuple[Path, Path, Path]) -> None:
    db, first, _ = nights
    done = run("audit", "--offline", first, "--history", db, "--since", "2026-01-01")
    assert done.exit_code == 2 and "no audit of this scope" in done.output
    assert not db.exists()


def test_an_empty_folder_is_not_recorded(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    db = tmp_path / "h.db"
    done = run("audit", "--offline", tmp_path / "empty", "--history", db, "--format", "json")
    assert done.exit_code == 2 and "nothing was audited" in done.output


def test_junit_totals_count_the_regressions(nights: tuple[Path, Path, Path]) -> None:
    db, first, second = nights
    _audit(db, first, "-q")
    done = _audit(db, second, "--since", "last", "--format", "junit")
    root = ET.fromstring(done.output)
    suites = list(root.iter("testsuite"))
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites)
    assert int(root.get("failures", "0")) == sum(int(s.get("failures", "0")) for s in suites)
