"""Run directories: ids that sort by time, private modes, redaction of every file written."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pixfix.errors import InputError
from pixfix.store.run_dir import (
    AFTER,
    BEFORE,
    LOG_FILE,
    RunDir,
    new_run_id,
    read_backup,
    read_run,
    redactor_for,
)

SECRETS = ("labpass-7f3a", "labenable-92ce", "")
WHEN = datetime(2026, 12, 5, 22, 3, 12, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_run_ids_sort_by_start_time() -> None:
    early = new_run_id(datetime(2026, 12, 5, 22, 3, 12, 5000, tzinfo=UTC), "fff")
    later = new_run_id(datetime(2026, 12, 5, 22, 3, 12, 6000, tzinfo=UTC), "000")
    late = new_run_id(datetime(2026, 12, 5, 22, 3, 13, tzinfo=UTC), "000")
    assert early == "20261205T220312Z-005fff"
    assert sorted([late, later, early]) == [early, later, late]


def test_redactor_masks_every_secret_longest_first() -> None:
    redact = redactor_for(["abc", "abcdef", ""])
    assert redact("x abcdef y abc") == "x ******** y ********"
    assert redactor_for([])("nothing") == "nothing"


def test_run_dir_is_private_and_everything_is_redacted(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "runs", WHEN, redactor_for(SECRETS))
    assert run.run_id.startswith("20261205T220312Z-")
    assert mode(run.path) == 0o700 and mode(run.path / "backups") == 0o700
    run.log({"device": "fw1", "command": "enable", "reply": "Password: labenable-92ce"})
    path = run.write_backup("fw1", BEFORE, "passwd labpass-7f3a\n")
    run.write_result({"devices": [], "note": "labpass-7f3a"})
    run.write_reports("# labpass-7f3a", "<p>labenable-92ce</p>")
    for file in [*run.path.iterdir(), *(run.path / "backups").iterdir()]:
        if file.is_file():
            assert mode(file) == 0o600, file
            text = file.read_text()
            assert "labpass-7f3a" not in text and "labenable-92ce" not in text, file
    assert path.name == "fw1.before.cfg"
    line = json.loads((run.path / LOG_FILE).read_text().splitlines()[0])
    assert line["reply"] == "Password: ********" and line["at"].endswith("Z")


def test_log_lines_stay_whole_with_many_writers(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, WHEN, redactor_for([]))

    def write(n: int) -> None:
        for i in range(50):
            run.log({"writer": n, "i": i, "text": "x" * 500})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (run.path / LOG_FILE).read_text().splitlines()
    assert len(lines) == 400 and all(json.loads(line)["text"] for line in lines)


def test_two_runs_in_one_second_get_two_directories(tmp_path: Path) -> None:
    first = RunDir.create(tmp_path, WHEN, redactor_for([]))
    second = RunDir.create(tmp_path, WHEN, redactor_for([]))
    assert first.path != second.path


def test_read_run_and_backups(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, WHEN, redactor_for([]))
    with pytest.raises(InputError, match="not a run directory"):
        read_run(run.path)
    run.write_result({"kind": "apply", "devices": []})
    assert read_run(run.path)["kind"] == "apply"
    run.write_backup("fw1@mail", AFTER, "after")
    assert read_backup(run.path, "fw1@mail", AFTER) == "after\n"
    assert read_backup(run.path, "fw2", AFTER) is None
    (run.path / "result.json").write_text("[]")
    with pytest.raises(InputError, match="not a pixfix run record"):
        read_run(run.path)


def test_unwritable_runs_folder_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot create a run directory"):
        RunDir.create(blocker / "runs", WHEN, redactor_for([]))
