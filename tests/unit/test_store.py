"""The plan store: private modes, atomic writes, whole-directory swaps, refusing foreign dirs."""

from __future__ import annotations

import doctest
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from pixfix.errors import InputError
from pixfix.store import plan_dir as store
from pixfix.store.plan_dir import (
    DirKind,
    PlanFiles,
    dir_kind,
    write_atomic,
    write_plan_dir,
)
from pixfix.store.saved import read_configs


def files(plan_id: str = "abc123", devices: tuple[str, ...] = ("fw1", "fw2@mail")) -> PlanFiles:
    return PlanFiles(
        plan_json=json.dumps({"plan_id": plan_id, "devices": list(devices)}) + "\n",
        report_md="# plan\n",
        report_html="<!doctype html><title>plan</title>\n",
        backups={d: f"hostname {d}\n" for d in devices},
        diffs={d: f"--- {d}\n+++ {d}\n" for d in devices},
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_doctests() -> None:
    assert doctest.testmod(store).failed == 0


def test_plan_dir_layout_and_private_modes(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # a permissive umask must not leak into the plan
    try:
        write_plan_dir(tmp_path / "plan", files())
    finally:
        os.umask(old_umask)
    plan = tmp_path / "plan"
    written = sorted(str(p.relative_to(plan)) for p in plan.rglob("*"))
    assert written == [
        "backups",
        "backups/fw1.cfg",
        "backups/fw2@mail.cfg",
        "diffs",
        "diffs/fw1.diff",
        "diffs/fw2@mail.diff",
        "plan.json",
        "report.html",
        "report.md",
    ]
    for path in [plan, *plan.rglob("*")]:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert (plan / "backups" / "fw1.cfg").read_text() == "hostname fw1\n"
    assert dir_kind(plan) is DirKind.PLAN
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]  # no staging left behind


def test_existing_parent_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    write_plan_dir(tmp_path / "plan", files())
    assert mode(tmp_path) == 0o755


def test_same_content_gives_same_bytes(tmp_path: Path) -> None:
    write_plan_dir(tmp_path / "a", files())
    write_plan_dir(tmp_path / "b", files())
    for path in (tmp_path / "a").rglob("*"):
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert path.is_dir() or path.read_bytes() == twin.read_bytes()


def test_replanning_replaces_the_whole_dir_and_drops_approvals(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    write_plan_dir(plan, files("first"))
    (plan / "approval.json").write_text('{"plan_id": "first", "approvals": [{}, {}]}')
    replaced = write_plan_dir(plan, files("second", devices=("fw1",)))
    assert replaced.old_plan
    assert replaced.approvals_removed == 2
    assert not (plan / "approval.json").exists()
    assert not (plan / "backups" / "fw2@mail.cfg").exists()  # no stale device left
    assert json.loads((plan / "plan.json").read_text())["plan_id"] == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_first_plan_replaces_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    replaced = write_plan_dir(tmp_path / "empty", files())
    assert not replaced.old_plan
    assert replaced.approvals_removed == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")),
        lambda p: (p.mkdir(), (p / "plan.json").write_text('{"not": "a plan"}')),
        lambda p: (p.mkdir(), (p / "result.json").write_text("{}")),
        lambda p: p.write_text("a file"),
    ],
    ids=["foreign-files", "foreign-plan-json", "run-dir", "file"],
)
def test_refuses_what_is_not_a_plan(tmp_path: Path, make: Callable[[Path], object]) -> None:
    target = tmp_path / "out"
    make(target)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(InputError, match="not a plan directory"):
        write_plan_dir(target, files())
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_dir_kinds(tmp_path: Path) -> None:
    assert dir_kind(tmp_path / "missing") is DirKind.ABSENT
    assert dir_kind(tmp_path) is DirKind.ABSENT  # empty
    (tmp_path / "result.json").write_text("{}")
    assert dir_kind(tmp_path) is DirKind.RUN


def test_write_atomic_leaves_old_content_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "approval.json"
    write_atomic(path, "old\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["approval.json"]  # temp file removed


def test_failed_swap_keeps_the_old_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan"
    write_plan_dir(plan, files("first"))

    def broken_fill(staging: Path, plan_files: PlanFiles) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(store, "_fill", broken_fill)
    with pytest.raises(InputError, match="cannot write the plan: Permission denied"):
        write_plan_dir(plan, files("second"))
    assert json.loads((plan / "plan.json").read_text())["plan_id"] == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]


@pytest.mark.parametrize(
    ("name", "context", "stem"),
    [
        ("fw1", None, "fw1"),
        ("fw1", "mail", "fw1@mail"),
        ("../../etc/cron.d/x", None, "_.._.._etc_cron.d_x"),
        (".hidden", None, "_.hidden"),
        ("a b", "c/d", "a_b@c_d"),
    ],
)
def test_file_stem_stays_inside_its_folder(name: str, context: str | None, stem: str) -> None:
    assert store.file_stem(name, context) == stem


def test_read_configs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "fw2@mail.cfg").write_bytes(b"\xef\xbb\xbfASA Version 9.8(4)\n")
    (tmp_path / "fw1.cfg").write_text("PIX Version 6.3(5)\n")
    (tmp_path / "bad.cfg").write_bytes(b"\xff\xfe")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.cfg").write_text("ignored")
    configs = read_configs([tmp_path])
    assert [(c.name, c.context) for c in configs] == [
        ("bad", None),
        ("fw1", None),
        ("fw2", "mail"),
    ]
    assert configs[0].text is None
    assert "not UTF-8" in (configs[0].error or "")
    assert configs[2].text == "ASA Version 9.8(4)\n"  # byte order mark dropped


def test_read_configs_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_configs([tmp_path / "nope"])
