"""Devices an apply leaves unfixed are said so, and make the run exit 1; a standby whose active
unit was changed in the same run is not left (the change replicates to it)."""

from __future__ import annotations

from dataclasses import replace

from pixfix.apply.left import covered_standbys, idle_of, left_line, pair_key
from pixfix.apply.model import DeviceRecord, Outcome, RunKind
from pixfix.apply.rules import exit_code
from pixfix.model import Status
from pixfix.plan.model import Mode, PlanEntry

ACTIVE = "hostname fw\nfailover lan unit primary\npolicy-map global_policy\n"
STANDBY = ACTIVE.replace("unit primary", "unit secondary")


def _entry(name: str, status: Status, *, planned: bool = True, commands: bool = False) -> PlanEntry:
    return PlanEntry(
        name=name,
        context=None,
        platform=None,
        software=None,
        findings=(),
        fingerprint=None,
        status=status,
        mode=Mode.DISABLE,
        planned=planned,
        commands=("configure terminal", "end") if commands else (),
        notes=("standby unit: no commands; change the active unit",),
    )


def _record(name: str, status: Outcome) -> DeviceRecord:
    return DeviceRecord(name=name, context=None, status=status, reason="", plan={})


def test_how_an_entry_without_lines_ends() -> None:
    assert idle_of(_entry("a", Status.EXPOSED, commands=True)) is None
    assert idle_of(_entry("a", Status.COMPLIANT))[0] is Outcome.NOTHING_TO_DO  # type: ignore[index]
    assert idle_of(_entry("a", Status.ERROR, planned=False))[0] is Outcome.NOT_PLANNED  # type: ignore[index]
    left = idle_of(_entry("a", Status.EXPOSED))
    assert left is not None and left[0] is Outcome.LEFT_EXPOSED and "standby" in left[1]


def test_a_standby_is_covered_only_by_its_own_active_unit_changed_in_this_run() -> None:
    keys = {
        "fw-a": pair_key(_entry("fw-a", Status.EXPOSED), ACTIVE),
        "fw-b": pair_key(_entry("fw-b", Status.EXPOSED), STANDBY),
        "other-b": pair_key(_entry("other-b", Status.EXPOSED), STANDBY.replace("fw", "other")),
    }
    assert keys["fw-a"] == keys["fw-b"] != keys["other-b"]
    records = [
        _record("fw-a", Outcome.APPLIED),
        _record("fw-b", Outcome.LEFT_EXPOSED),
        _record("other-b", Outcome.LEFT_EXPOSED),
    ]
    settled = {r.name: r for r in covered_standbys(records, keys)}
    assert settled["fw-b"].status is Outcome.NOTHING_TO_DO and "fw-a" in settled["fw-b"].reason
    assert settled["other-b"].status is Outcome.LEFT_EXPOSED
    assert exit_code(RunKind.APPLY, [(r.status, ()) for r in settled.values()]) == 1
    line = left_line(list(settled.values()))
    assert (
        line
        == "left unfixed: other-b (exposed standby; its active unit was not changed in this run)"
    )
    failed = [replace(records[0], status=Outcome.ROLLED_BACK), records[1]]
    assert covered_standbys(failed, keys)[1].status is Outcome.LEFT_EXPOSED
