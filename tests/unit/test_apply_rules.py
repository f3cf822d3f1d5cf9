"""The pure decisions of apply and rollback: literal device text in, a decision out."""

from __future__ import annotations

import doctest
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pixfix.apply import rules as apply_rules
from pixfix.apply.model import (
    PROBE_DISAGREES,
    ChangeSpec,
    Outcome,
    RunKind,
    apply_spec,
    fixed_goal,
    original_goal,
    rollback_spec,
)
from pixfix.apply.rules import (
    Observed,
    bootvar_problem,
    config_body,
    exit_code,
    failed_over,
    foreign_changes,
    has_unsaved_changes,
    manual_steps,
    minimum_timer_minutes,
    precheck,
    refused,
    reload_scheduled,
    save_problem,
    timer_choice,
    touched,
)
from pixfix.audit.verdict import audit_config
from pixfix.model import DeviceResult, Role, Status, Train
from pixfix.parse.config import config_software
from pixfix.parse.normalize import config_fingerprint
from pixfix.plan.entry import DeviceMeta, Mode, PlanEntry, Reload, plan_entry
from pixfix.platforms import FACTS
from pixfix.store import run_dir as runstore

ASA = """: Saved
:
ASA Version 9.16(4)
hostname fw1
class-map inspection_default
 match default-inspection-traffic
policy-map global_policy
 class inspection_default
  inspect ftp
  inspect esmtp
service-policy global_policy global
Cryptochecksum:0123456789abcdef
: end
"""
FIXED = ASA.replace("  inspect esmtp\n", "")
PIX = """PIX Version 6.3(5)
hostname pix1
fixup protocol smtp 25
pager lines 24
"""
BOOTVAR_OK = """BOOT variable = disk0:/asa916-4-smp-k8.bin
Current BOOT variable = disk0:/asa916-4-smp-k8.bin
CONFIG_FILE variable =
Current CONFIG_FILE variable ="""
NOW = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)


def test_doctests() -> None:
    assert doctest.testmod(runstore).failed == 0
    assert doctest.testmod(apply_rules).failed == 0


def entry_for(text: str, mode: Mode = Mode.DISABLE) -> PlanEntry:
    result = DeviceResult.from_verdict("fw1", audit_config(text))
    return plan_entry(result, text, DeviceMeta(transport="ssh"), mode=mode, reload=Reload.NEVER)


def observed(
    running: str, *, startup: str | None = None, role: str | None = "standalone", **extra: str
) -> Observed:
    software = config_software(running)
    assert software is not None
    return Observed(
        software=software,
        role=None if role is None else Role(role),
        running=running,
        startup=running if startup is None else startup,
        verdict=audit_config(running),
        bootvar=extra.get("bootvar", BOOTVAR_OK),
    )


def spec() -> ChangeSpec:
    return apply_spec(entry_for(ASA), ASA)


# ---- checks 1-4 -----------------------------------------------------------------------------


def test_precheck_passes_a_device_as_planned() -> None:
    assert precheck(spec(), observed(ASA), allow_unsaved=False) is None


def test_already_compliant_comes_first() -> None:
    stop = precheck(spec(), observed(FIXED, role="standby"), allow_unsaved=False)
    assert stop is not None and stop.status is Outcome.ALREADY_COMPLIANT


def test_tune_mode_accepts_tuned_and_compliant() -> None:
    goal = fixed_goal(Mode.TUNE)
    assert goal.reached(audit_config(FIXED))
    assert not goal.reached(audit_config(ASA))


def test_drift_is_shown_as_a_diff() -> None:
    changed = ASA.replace("hostname fw1\n", "hostname fw1\nlogging enable\n")
    stop = precheck(spec(), observed(changed), allow_unsaved=False)
    assert stop is not None and stop.status is Outcome.DRIFTED
    assert "+logging enable" in stop.difference
    assert stop.difference.startswith("--- the plan\n+++ running now\n")


def test_drift_ignores_checksum_and_session_noise() -> None:
    noisy = "fw1# show running-config\r\n" + ASA.replace("0123456789abcdef", "ffff") + "fw1# "
    assert config_fingerprint(noisy) == config_fingerprint(ASA)
    assert precheck(spec(), observed(noisy), allow_unsaved=False) is None


def test_standby_is_refused_after_drift() -> None:
    stop = precheck(spec(), observed(ASA, role="standby"), allow_unsaved=False)
    assert stop is not None and stop.status is Outcome.REFUSED_STANDBY


def test_unsaved_changes_refused_unless_allowed() -> None:
    startup = ASA.replace("  inspect ftp\n", "")
    seen = observed(ASA, startup=startup)
    assert has_unsaved_changes(seen)
    stop = precheck(spec(), seen, allow_unsaved=False)
    assert stop is not None and stop.status is Outcome.UNSAVED_CHANGES
    assert "+  inspect ftp" in stop.difference
    assert precheck(spec(), seen, allow_unsaved=True) is None


def test_startup_with_other_header_comments_is_not_unsaved() -> None:
    startup = ": Written by enable_15 at 10:00:00 UTC Dec 1 2026\n" + ASA
    assert not has_unsaved_changes(observed(ASA, startup=startup))
    assert has_unsaved_changes(replace_startup(observed(ASA), None))


def replace_startup(seen: Observed, startup: str | None) -> Observed:
    return replace(seen, startup=startup)


def test_rollback_checks_drift_against_the_after_backup() -> None:
    entry = entry_for(ASA)
    back = rollback_spec(entry, config_fingerprint(FIXED), FIXED)
    assert back.kind is RunKind.ROLLBACK and back.forward == entry.rollback
    assert precheck(back, observed(FIXED), allow_unsaved=False) is None
    stop = precheck(back, observed(ASA), allow_unsaved=False)
    assert stop is not None and stop.status is Outcome.ALREADY_RESTORED


def test_original_goal_is_the_same_findings_in_any_order() -> None:
    entry = entry_for(ASA)
    moved = ASA.replace("  inspect ftp\n  inspect esmtp\n", "  inspect esmtp\n  inspect ftp\n")
    assert original_goal(entry).reached(audit_config(moved))
    assert not original_goal(entry).reached(audit_config(FIXED))


# ---- during the change ----------------------------------------------------------------------


def test_foreign_changes_are_lines_no_sent_line_explains() -> None:
    entry = entry_for(ASA)
    allowed = touched([*entry.commands, *entry.rollback])
    assert foreign_changes(ASA, FIXED, allowed) == []
    edited = FIXED.replace("hostname fw1\n", "hostname fw1\nlogging enable\n")
    assert foreign_changes(ASA, edited, allowed) == ["+ logging enable"]


def test_pix_no_lines_are_explained_both_ways() -> None:
    allowed = touched(["no fixup protocol smtp 25"])
    after = PIX.replace("fixup protocol smtp 25", "no fixup protocol smtp 25")
    assert foreign_changes(PIX, after, allowed) == []


@pytest.mark.parametrize(
    ("reply", "over"),
    [
        ("class x\nfw/pri/stby(config-pmap-c)# ", True),
        ("class x\nfw/pri/act(config-pmap-c)# ", False),
        ("x\n**** WARNING ****\n\tConfiguration Replication is NOT performed from Standby", True),
        ("x\nfw(config)# ", False),
    ],
)
def test_failover_seen_in_prompt_or_warning(reply: str, over: bool) -> None:
    assert failed_over(reply) is over


def test_refused_finds_the_error_line() -> None:
    pattern = FACTS[Train.MPF].error_pattern
    reply = "bogus\nERROR: % Invalid input detected at '^' marker.\nfw(config)# "
    assert refused(reply, pattern) == "ERROR: % Invalid input detected at '^' marker."
    assert refused("end\nfw# ", pattern) is None


def test_save_must_say_ok() -> None:
    pattern = FACTS[Train.MPF].error_pattern
    ok = "Building configuration...\nCryptochecksum: 1 2 3 4\n[OK]\nfw# "
    failed = (
        "Building configuration...\n%Error writing disk0:/.private/startup-config "
        "(No space left on device)\nError executing command [FAILED]\nfw# "
    )
    assert save_problem(ok, pattern) is None
    assert "failed" in (save_problem(failed, pattern) or "")
    assert "[OK]" in (save_problem("Building configuration...\nfw# ", pattern) or "")


def test_reload_scheduled() -> None:
    assert reload_scheduled("No reload is scheduled.") is False
    assert reload_scheduled("Reload scheduled for 22:10:00 UTC Sat Dec 5 2026 (in 9 minutes)")
    assert reload_scheduled("% Invalid input") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (BOOTVAR_OK, None),
        ("BOOT variable =\nCurrent BOOT variable = disk0:/a.bin", "empty"),
        ("BOOT variable = disk0:/b.bin\nCurrent BOOT variable = disk0:/a.bin", "differs"),
        ("% Invalid input", "no BOOT variable"),
    ],
)
def test_bootvar(text: str, problem: str | None) -> None:
    found = bootvar_problem(text)
    assert (found is None) if problem is None else (problem in (found or ""))


# ---- the dead-man timer ---------------------------------------------------------------------


def test_timer_on_a_standalone_single_context_asa() -> None:
    choice = timer_choice(10, observed(ASA), unsaved=False, now=NOW, window_end=None)
    assert choice.minutes == 10 and choice.refuse is None


@pytest.mark.parametrize(
    ("seen", "unsaved", "why"),
    [
        (observed(PIX), False, "not on PIX"),
        (observed(ASA, role="active"), False, "active failover unit"),
        (observed(ASA), True, "unsaved changes"),
    ],
)
def test_no_timer(seen: Observed, unsaved: bool, why: str) -> None:
    choice = timer_choice(10, seen, unsaved=unsaved, now=NOW, window_end=None)
    assert choice.minutes is None and choice.refuse is None and why in choice.note


def test_timer_refused_for_a_bad_boot_image_or_a_short_window() -> None:
    bad = observed(ASA, bootvar="BOOT variable =")
    choice = timer_choice(10, bad, unsaved=False, now=NOW, window_end=None)
    assert choice.refuse is Outcome.ERROR
    short = timer_choice(
        10, observed(ASA), unsaved=False, now=NOW, window_end=NOW + timedelta(minutes=5)
    )
    assert short.refuse is Outcome.OUTSIDE_WINDOW


def test_no_timer_asked() -> None:
    assert (
        timer_choice(None, observed(ASA), unsaved=False, now=NOW, window_end=None).minutes is None
    )


def test_minimum_timer_covers_the_timeouts() -> None:
    assert minimum_timer_minutes(30) == 3
    assert minimum_timer_minutes(5) == 2
    assert minimum_timer_minutes(300) == 21


# ---- the end of a run -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        ([Outcome.APPLIED, Outcome.NOTHING_TO_DO, Outcome.ALREADY_COMPLIANT], 0),
        ([Outcome.WOULD_APPLY], 0),
        ([Outcome.APPLIED, Outcome.DRIFTED], 1),
        ([Outcome.ROLLED_BACK], 1),
        ([Outcome.REVERTED, Outcome.NOT_STARTED], 1),
        ([Outcome.OUTSIDE_WINDOW], 1),
        ([Outcome.NO_WINDOW], 1),
        ([Outcome.DRIFTED, Outcome.ERROR], 3),
        ([Outcome.NEEDS_ATTENTION], 3),
    ],
)
def test_apply_exit_codes(outcomes: list[Outcome], code: int) -> None:
    assert exit_code(RunKind.APPLY, [(o, ()) for o in outcomes]) == code


def test_probe_disagrees_makes_an_apply_exit_1_only() -> None:
    outcomes = [(Outcome.APPLIED, (PROBE_DISAGREES,))]
    assert exit_code(RunKind.APPLY, outcomes) == 1
    assert exit_code(RunKind.ROLLBACK, [(Outcome.RESTORED, (PROBE_DISAGREES,))]) == 0


def test_rollback_exit_codes() -> None:
    ok = [(Outcome.RESTORED, ()), (Outcome.ALREADY_RESTORED, ()), (Outcome.NOTHING_TO_DO, ())]
    assert exit_code(RunKind.ROLLBACK, ok) == 0
    assert exit_code(RunKind.ROLLBACK, [(Outcome.UNSAVED_CHANGES, ())]) == 1
    assert exit_code(RunKind.ROLLBACK, [(Outcome.ERROR, ())]) == 3


def test_manual_steps_name_the_lines_and_forbid_saving() -> None:
    steps = manual_steps(
        spec(), address="192.0.2.1:22", sent=["configure terminal"], timer_armed=True
    )
    assert steps[0].startswith("connect to fw1 at 192.0.2.1:22")
    assert "    configure terminal" in steps
    assert any("do NOT save" in step for step in steps)
    assert "reload cancel" in steps[-1]


def test_config_body_drops_comments_and_noise() -> None:
    assert config_body(ASA)[0] == "ASA Version 9.16(4)"
    assert not any(line.startswith((":", "Cryptochecksum")) for line in config_body(ASA))
    assert Status.EXPOSED is audit_config(ASA).status
