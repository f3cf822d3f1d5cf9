"""Approvals: appended with the plan's hash, distinct signers, edits after signing detected."""

from __future__ import annotations

import doctest
import getpass
import json
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pixfix.errors import InputError
from pixfix.plan import approval
from pixfix.plan.approval import (
    Approval,
    add_approval,
    approve,
    check_plan,
    describe_approvals,
    sha256_hex,
    utc_stamp,
)

NOW = datetime(2026, 12, 5, 22, 3, 12, tzinfo=UTC)


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    folder.mkdir(mode=0o700)
    (folder / "plan.json").write_text(json.dumps({"plan_id": "p-1", "devices": []}) + "\n")
    return folder


def test_doctests() -> None:
    assert doctest.testmod(approval).failed == 0


def test_approve_records_who_when_and_the_plan_hash(plan_dir: Path) -> None:
    signed = approve(plan_dir, by="Ann Lee", ticket="CHG-42", note="window Sat", now=NOW)
    plan_hash = sha256_hex((plan_dir / "plan.json").read_bytes())
    assert signed == Approval(
        by="Ann Lee",
        at="2026-12-05T22:03:12Z",
        plan_sha256=plan_hash,
        ticket="CHG-42",
        note="window Sat",
        os_user=getpass.getuser(),  # who ran it, beside the name typed
    )
    document = json.loads((plan_dir / "approval.json").read_text())
    assert document == {"plan_id": "p-1", "approvals": [signed.to_json()]}
    assert stat.S_IMODE((plan_dir / "approval.json").stat().st_mode) == 0o600


def test_distinct_approvers_append(plan_dir: Path) -> None:
    approve(plan_dir, by="ann", now=NOW)
    approve(plan_dir, by="bob", ticket="CHG-42", now=NOW)
    check = check_plan(plan_dir)
    assert check.approvers == ("ann", "bob")
    assert check.approved
    assert check.approvals[0].ticket is None


@pytest.mark.parametrize("again", ["ann", "ANN", " ann ", "ann\u200b", "\uff41nn", "a\u200dnn"])
def test_the_same_approver_cannot_sign_twice(plan_dir: Path, again: str) -> None:
    approve(plan_dir, by="ann", now=NOW)
    with pytest.raises(InputError, match="already approved"):
        approve(plan_dir, by=again, now=NOW)
    assert len(check_plan(plan_dir).approvals) == 1


def test_editing_plan_json_after_approval_is_detected(plan_dir: Path) -> None:
    approve(plan_dir, by="ann", now=NOW)
    plan = plan_dir / "plan.json"
    plan.write_text(plan.read_text().replace('"devices": []', '"devices": ["fw9"]'))
    check = check_plan(plan_dir)
    assert not check.approved
    assert [a.by for a in check.stale] == ["ann"]
    assert check.approvers == ()
    text = "\n".join(describe_approvals(check))
    assert "DOES NOT MATCH" in text
    assert "NOT approved" in text
    with pytest.raises(InputError, match="changed after ann approved"):
        approve(plan_dir, by="bob", now=NOW)


def test_unapproved_plan(plan_dir: Path) -> None:
    check = check_plan(plan_dir)
    assert not check.approved
    assert check.approvals == ()
    assert "none yet" in "\n".join(describe_approvals(check))


def test_describe_matching_approvals(plan_dir: Path) -> None:
    approve(plan_dir, by="ann", ticket="CHG-1", now=NOW)
    lines = describe_approvals(check_plan(plan_dir))
    assert "  - ann at 2026-12-05T22:03:12Z, ticket CHG-1" in lines
    assert lines[-1] == "plan.json matches its approvals: approved by ann"


@pytest.mark.parametrize("by", ["", "   ", "\x1b[2J"])
def test_approver_name_is_required(plan_dir: Path, by: str) -> None:
    with pytest.raises(InputError, match="--by"):
        approve(plan_dir, by=by, now=NOW)


def test_control_characters_are_dropped(plan_dir: Path) -> None:
    signed = approve(plan_dir, by="ann\x1b]0;x\x07", note="ok\r\nfine", now=NOW)
    assert (signed.by, signed.note) == ("ann", "ok fine")


def test_not_a_plan(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InputError, match="not a plan directory"):
        approve(tmp_path, by="ann", now=NOW)
    with pytest.raises(InputError, match="not a plan directory"):
        check_plan(tmp_path / "missing")


def test_corrupt_approval_file_is_an_input_error(plan_dir: Path) -> None:
    (plan_dir / "approval.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        check_plan(plan_dir)
    (plan_dir / "approval.json").write_text('{"approvals": [{"by": "ann"}]}')
    with pytest.raises(InputError, match="lacks by, at or plan_sha256"):
        check_plan(plan_dir)


def test_add_approval_is_pure() -> None:
    first = Approval(by="ann", at="t", plan_sha256="aa")
    both = add_approval((first,), Approval(by="bob", at="t", plan_sha256="aa"))
    assert [a.by for a in both] == ["ann", "bob"]


def test_concurrent_approvers_both_count(plan_dir: Path) -> None:
    names = [f"approver-{n}" for n in range(8)]
    threads = [threading.Thread(target=approve, args=(plan_dir,), kwargs={"by": n}) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(check_plan(plan_dir).approvers) == names


def test_utc_stamp_converts_to_utc() -> None:
    assert utc_stamp(NOW) == "2026-12-05T22:03:12Z"
