"""`unsaved`: the running configuration has the fix, the saved one does not, so the next reload
brings Mailguard back. It counts as exposed everywhere, shows both sides in every format, and
is planned as the save alone only when nothing but the fix is unsaved."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import pixfix.lab
from pixfix.apply.model import apply_spec
from pixfix.apply.rules import Observed, others_unsaved, precheck
from pixfix.audit.formats import Format, audit_exit_code, render_audit
from pixfix.audit.verdict import audit_config
from pixfix.model import DeviceResult, Status
from pixfix.parse.config import config_software
from pixfix.plan.entry import DeviceMeta, Mode, Reload, fix_is_all_unsaved, plan_entry
from pixfix.probe.classify import Verdict
from pixfix.probe.judge import Agreement, judge_device

SAVED = (Path(pixfix.lab.__file__).parent / "configs" / "lab-asa84.cfg").read_text() + ": end\n"
FIXED = SAVED.replace("  inspect esmtp \n", "")  # `no inspect esmtp`, not saved
OTHER_EDIT = FIXED.replace("logging enable\n", "logging enable\nlogging buffered debugging\n")


def _audited(running: str, saved: str) -> DeviceResult:
    result = DeviceResult.from_verdict("fw", audit_config(running))
    return result.with_saved(audit_config(saved))


def test_the_fixture_is_what_it_claims() -> None:
    assert FIXED != SAVED and "logging enable\n" in SAVED
    assert audit_config(SAVED).status is Status.EXPOSED
    assert audit_config(FIXED).status is Status.COMPLIANT


@pytest.mark.parametrize(
    ("running", "saved", "status"),
    [
        (FIXED, SAVED, Status.UNSAVED),  # the reload brings it back
        (FIXED, FIXED, Status.COMPLIANT),
        (SAVED, SAVED, Status.EXPOSED),
        (SAVED, FIXED, Status.EXPOSED),  # running is what mail sees now
        (FIXED, "", Status.ERROR),  # a saved side that cannot be read is never fine
        (FIXED, SAVED.replace(": end\n", "")[:-200], Status.ERROR),  # cut off
    ],
    ids=["unsaved", "both-fixed", "both-exposed", "only-saved-fixed", "unreadable", "cut-off"],
)
def test_the_verdict_of_both_sides(running: str, saved: str, status: Status) -> None:
    result = _audited(running, saved)
    assert result.status is status
    assert result.saved is not None
    if status is Status.ERROR:
        assert result.error is not None and "saved configuration" in result.error


def test_unsaved_counts_as_exposed_and_shows_both_sides_in_every_format() -> None:
    unsaved = _audited(FIXED, SAVED)
    assert audit_exit_code([unsaved]) == 1
    table = render_audit([unsaved], Format.TABLE)
    assert "unsaved" in table and "saved: inspect esmtp (port 25" in table
    assert "1 device: 1 unsaved" in table
    document = json.loads(render_audit([unsaved], Format.JSON))
    (device,) = document["devices"]
    assert device["status"] == "unsaved" and device["findings"] == []
    assert device["saved"]["status"] == "exposed"
    assert [f["line"] for f in device["saved"]["findings"]] == ["inspect esmtp"]
    assert document["summary"]["unsaved"] == 1
    rows = list(csv.DictReader(io.StringIO(render_audit([unsaved], Format.CSV))))
    assert [(r["status"], r["side"], r["line"]) for r in rows] == [
        ("unsaved", "saved", "inspect esmtp")
    ]
    junit = ET.fromstring(render_audit([unsaved], Format.JUNIT))
    assert junit.get("failures") == "1"
    failure = junit.find(".//failure")
    assert failure is not None and failure.get("type") == "unsaved"
    assert "inspect esmtp" in (failure.get("message") or "")
    markdown = render_audit([unsaved], Format.MARKDOWN)
    assert "### fw (unsaved: the saved configuration has)" in markdown


def test_the_probe_is_judged_against_the_running_side() -> None:
    unsaved = _audited(FIXED, SAVED)
    assert judge_device([unsaved], 25, Verdict.CLEAN)[0] is Agreement.AGREES
    assert judge_device([unsaved], 25, Verdict.MAILGUARD)[0] is Agreement.DISAGREES


def _plan(running: str, saved: str) -> tuple[tuple[str, ...], tuple[str, ...], bool, str]:
    result = _audited(running, saved)
    entry = plan_entry(
        result, running, DeviceMeta(transport="ssh"), mode=Mode.DISABLE, reload=Reload.NEVER,
        saved=saved,
    )  # fmt: skip
    return entry.commands, entry.save, entry.planned, entry.notes[-1]


def test_the_plan_of_an_unsaved_device_is_the_save_alone() -> None:
    commands, save, planned, note = _plan(FIXED, SAVED)
    assert (commands, save, planned) == ((), ("write memory",), True)
    assert "the plan is the save alone" in note
    assert fix_is_all_unsaved(FIXED, SAVED, Mode.DISABLE)


def test_other_unsaved_edits_are_shown_and_nothing_is_planned() -> None:
    commands, save, planned, note = _plan(OTHER_EDIT, SAVED)
    assert (commands, save, planned) == ((), (), False)
    assert "more than the SMTP fix" in note and "+ logging buffered debugging" in note
    assert not fix_is_all_unsaved(OTHER_EDIT, SAVED, Mode.DISABLE)


def test_apply_saves_only_the_fix_and_calls_nothing_else_unsaved() -> None:
    """The save-only apply needs no --allow-unsaved and warns of no one else's edits; with
    another unsaved edit on the unit it is refused."""
    result = _audited(FIXED, SAVED)
    meta = DeviceMeta(transport="ssh")
    entry = plan_entry(result, FIXED, meta, mode=Mode.DISABLE, reload=Reload.NEVER, saved=SAVED)
    spec = apply_spec(entry, FIXED)
    software = config_software(FIXED)
    assert software is not None

    def observed(running: str) -> Observed:
        verdict = audit_config(running)
        return Observed(
            software=software, role=None, running=running, startup=SAVED, verdict=verdict
        )

    assert not others_unsaved(spec, observed(FIXED))
    assert precheck(spec, observed(FIXED), allow_unsaved=False) is None
    assert others_unsaved(spec, observed(OTHER_EDIT))
