"""What apply trusts: approved plans only, parsed from the very bytes that were approved."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_apply_cli import make_fleet

from pixfix.apply.source import entry_from_json, load_apply_run, load_approved_plan
from pixfix.errors import InputError
from pixfix.plan.approval import approve
from pixfix.store.run_dir import RunDir, redactor_for


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    return make_fleet(tmp_path, ("lab-asa84", "lab-asa-multi")).plan


def test_unapproved(plan: Path) -> None:
    with pytest.raises(InputError, match="is not approved"):
        load_approved_plan(plan, require=1)


def test_approved_plan_loads_its_entries(plan: Path) -> None:
    approve(plan, by="ann")
    loaded = load_approved_plan(plan, require=1)
    assert [e.label for e in loaded.entries] == [
        "lab-asa-multi/admin",
        "lab-asa-multi/mail",
        "lab-asa84",
    ]
    assert loaded.approvals[0].by == "ann" and loaded.inventory is not None
    assert loaded.backup("lab-asa84") is not None and loaded.backup("nope") is None


def test_distinct_approvers_are_counted(plan: Path) -> None:
    approve(plan, by="ann")
    with pytest.raises(InputError, match=r"has 1 approval\(s\) \(ann\); 2 required"):
        load_approved_plan(plan, require=2)
    approve(plan, by="Bob")
    assert len(load_approved_plan(plan, require=2).approvals) == 2


def test_changed_plan_json_voids_the_approvals(plan: Path) -> None:
    approve(plan, by="ann")
    path = plan / "plan.json"
    path.write_bytes(path.read_bytes() + b" ")
    with pytest.raises(InputError, match="changed since ann approved it"):
        load_approved_plan(plan, require=1)


def test_not_a_plan(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a plan directory"):
        load_approved_plan(tmp_path, require=1)


def test_entries_round_trip_through_json(plan: Path) -> None:
    approve(plan, by="ann")
    document = json.loads((plan / "plan.json").read_text())
    for item in document["devices"]:
        entry = entry_from_json(item, "plan.json")
        assert entry.to_json() == item


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"commands": "configure terminal"}, "commands is not a list"),
        ({"mode": "explode"}, "unknown mode"),
        ({"findings": [{"line": "x", "kind": "nope"}]}, "unknown finding kind"),
        ({"name": 5}, "name is missing"),
    ],
)
def test_broken_entries_are_input_errors(
    plan: Path, change: dict[str, object], message: str
) -> None:
    item = json.loads((plan / "plan.json").read_text())["devices"][0] | change
    with pytest.raises(InputError, match=message):
        entry_from_json(item, "plan.json")


def test_only_an_apply_run_rolls_back(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, datetime.now(UTC), redactor_for([]))
    run.write_result({"kind": "rollback", "devices": []})
    with pytest.raises(InputError, match="only the run directory of an apply"):
        load_apply_run(run.path)
    run.write_result({"kind": "apply", "dry_run": True, "devices": []})
    with pytest.raises(InputError, match="not a dry run"):
        load_apply_run(run.path)
