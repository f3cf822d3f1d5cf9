"""`pixfix audit --probe`: when the probe verdict and the configuration verdict agree."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

from pixfix.inventory.load import Endpoint
from pixfix.model import DeviceResult, Finding, FindingKind, Status
from pixfix.probe import judge as probe_audit
from pixfix.probe.classify import Signature, SignatureName, Verdict
from pixfix.probe.judge import (
    ANOTHER_DEVICE,
    Agreement,
    agreement,
    judge_device,
    probe_entries,
    probe_extra,
)
from pixfix.probe.smtp import ProbeResult
from pixfix.probe.target import Target

AGREES, DISAGREES, NA = Agreement.AGREES, Agreement.DISAGREES, Agreement.NOT_APPLICABLE
EXPOSED, TUNED, COMPLIANT, ERROR = Status.EXPOSED, Status.TUNED, Status.COMPLIANT, Status.ERROR
MAILGUARD, INSPECTED, CLEAN = Verdict.MAILGUARD, Verdict.INSPECTED, Verdict.CLEAN


# (config status, ports of each finding, mx port, probe verdict) -> agreement, part of the note
@pytest.mark.parametrize(
    ("case", "expected", "note_has"),
    [
        ((COMPLIANT, [], 25, CLEAN), AGREES, ""),
        ((COMPLIANT, [], 25, MAILGUARD), DISAGREES, "another device in the path may be inspecting"),
        ((COMPLIANT, [], 25, INSPECTED), DISAGREES, ANOTHER_DEVICE),
        ((EXPOSED, [(25,)], 25, MAILGUARD), AGREES, ""),
        ((EXPOSED, [(25,)], 25, CLEAN), DISAGREES, "port 25 breaks mail, but the probe sees none"),
        ((EXPOSED, [()], 25, CLEAN), DISAGREES, "every port"),  # match any: every port inspected
        ((EXPOSED, [(587,)], 25, CLEAN), AGREES, "covers only port 587, not the mx port 25"),
        ((EXPOSED, [(25, 2525)], 2525, CLEAN), DISAGREES, "ports 25, 2525 breaks mail"),
        ((EXPOSED, [(25,)], 39026, MAILGUARD), AGREES, "mx port 39026 is taken to be translated"),
        ((EXPOSED, [(25,)], 25, INSPECTED), AGREES, "does the server offer STARTTLS?"),
        ((TUNED, [(25,)], 25, INSPECTED), AGREES, ""),
        ((TUNED, [(25,)], 25, CLEAN), AGREES, "may leave no trace"),
        ((TUNED, [(587,)], 25, CLEAN), AGREES, "covers only port 587"),
        ((TUNED, [(25,)], 25, MAILGUARD), DISAGREES, ANOTHER_DEVICE),
        ((TUNED, [(587,)], 25, MAILGUARD), DISAGREES, ANOTHER_DEVICE),
        ((ERROR, [], 25, MAILGUARD), NA, "could not be audited"),
        ((COMPLIANT, [], 25, Verdict.UNREACHABLE), NA, "could not judge the mx (unreachable)"),
        ((EXPOSED, [(25,)], 25, Verdict.NOT_SMTP), NA, "could not judge the mx (not-smtp)"),
        ((ERROR, [], 25, Verdict.UNREACHABLE), NA, "could not judge the mx (unreachable)"),
    ],
)
def test_agreement_rule(
    case: tuple[Status, list[tuple[int, ...]], int, Verdict], expected: Agreement, note_has: str
) -> None:
    outcome, note = agreement(*case)
    assert outcome is expected
    assert note_has in note
    assert (note == "") == (note_has == "")  # a plain agreement needs no note, the rest do


def test_agreement_is_a_string_for_reports() -> None:
    assert agreement(TUNED, [(25,)], 25, INSPECTED) == ("agrees", "")


def test_module_examples_run() -> None:
    assert doctest.testmod(probe_audit).failed == 0


def finding(*ports: int, exposing: bool = True) -> Finding:
    return Finding(line="inspect esmtp", kind=FindingKind.INSPECT, ports=ports, exposing=exposing)


def result(
    status: Status, *findings: Finding, name: str = "fw1", context: str | None = None
) -> DeviceResult:
    error = "connection refused" if status is ERROR else None
    return DeviceResult(name=name, context=context, status=status, findings=findings, error=error)


def test_exposed_elsewhere_but_tuned_on_the_mx_port_counts_as_tuned() -> None:
    mixed = result(EXPOSED, finding(587), finding(25, exposing=False))
    assert judge_device([mixed], 25, INSPECTED) == (AGREES, "")
    assert judge_device([mixed], 25, MAILGUARD)[0] is DISAGREES
    assert judge_device([mixed], 587, MAILGUARD) == (AGREES, "")


@pytest.mark.parametrize(
    ("contexts", "verdict", "expected", "note_has"),
    [
        # the lab's shape: admin compliant, mail exposed on 25, mx reached on a translated port
        ([("admin", COMPLIANT, ()), ("mail", EXPOSED, (25,))], MAILGUARD, AGREES, "fw1/mail"),
        # the context covering the mx port wins over a worse one elsewhere
        ([("a", EXPOSED, (587,)), ("b", TUNED, (39030,))], INSPECTED, AGREES, "fw1/b"),
        ([("a", EXPOSED, (587,)), ("b", TUNED, (39030,))], MAILGUARD, DISAGREES, ANOTHER_DEVICE),
        # nothing inspects anywhere: Mailguard seen means another device
        ([("a", COMPLIANT, ()), ("b", COMPLIANT, ())], MAILGUARD, DISAGREES, "fw1/a"),
        # a context that could not be read may be the inspecting one
        ([("a", COMPLIANT, ()), ("b", ERROR, ())], MAILGUARD, NA, "fw1/b could not be audited"),
        ([("a", EXPOSED, (25,)), ("b", ERROR, ())], MAILGUARD, AGREES, "fw1/a"),
        ([("a", ERROR, ()), ("b", ERROR, ())], MAILGUARD, NA, "no context could be audited"),
        ([("a", EXPOSED, (25,)), ("b", COMPLIANT, ())], Verdict.UNREACHABLE, NA, "could not"),
    ],
)
def test_multiple_contexts_are_judged_against_one_context(
    contexts: list[tuple[str, Status, tuple[int, ...]]],
    verdict: Verdict,
    expected: Agreement,
    note_has: str,
) -> None:
    device = [context_result(ctx, status, ports) for ctx, status, ports in contexts]
    outcome, note = judge_device(device, 39030, verdict)
    assert outcome is expected
    assert note_has in note


def context_result(context: str, status: Status, ports: tuple[int, ...]) -> DeviceResult:
    """A context whose findings match its status: exposing, tuned, or none."""
    findings = [finding(*ports, exposing=status is EXPOSED)] if status in (EXPOSED, TUNED) else []
    return result(status, *findings, context=context)


def probed(name: str, verdict: Verdict, *names: SignatureName, error: str | None = None) -> Any:
    return ProbeResult(
        target=Target(host="192.0.2.25", port=25, name=name),
        verdict=verdict,
        signatures=tuple(Signature(name=n, evidence=("x",)) for n in names),
        transcript=(),
        error=error,
    )


MX = Endpoint(host="192.0.2.25", port=25)


def test_entries_keyed_by_label_with_the_device_probe_on_every_context() -> None:
    results = [
        result(COMPLIANT, name="multi", context="admin"),
        result(EXPOSED, finding(25), name="multi", context="mail"),
        result(COMPLIANT, name="nomx"),
    ]
    mg = probed("multi", MAILGUARD, SignatureName.MASKED_BANNER, SignatureName.STARTTLS_BLOCKED)
    entries = probe_entries(results, {"multi": MX}, {"multi": mg})
    assert list(entries) == ["multi/admin", "multi/mail"]  # no mx, no entry
    assert entries["multi/admin"] == entries["multi/mail"]
    assert entries["multi/mail"] == {
        "probe": {
            "target": "192.0.2.25:25",
            "verdict": "mailguard",
            "signatures": ["masked-banner", "starttls-blocked"],
            "agreement": "agrees",
            "note": "judged against multi/mail",
        }
    }


def test_an_unreachable_probe_is_not_applicable_and_says_why() -> None:
    down = probed("fw1", Verdict.UNREACHABLE, error="connection refused")
    entry: Any = probe_entries([result(EXPOSED, finding(25))], {"fw1": MX}, {"fw1": down})["fw1"]
    assert entry["probe"]["verdict"] == "unreachable"
    assert entry["probe"]["agreement"] == "n/a"
    assert entry["probe"]["note"] == (
        "the probe could not judge the mx (unreachable): connection refused"
    )


def test_probe_extra_probes_each_device_with_an_mx_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[Target], int, float]] = []

    def fake_probe_many(targets: list[Target], *, workers: int, timeout: float) -> list[Any]:
        calls.append((list(targets), workers, timeout))
        return [probed(t.name or "", CLEAN) for t in targets]

    monkeypatch.setattr(probe_audit, "probe_many", fake_probe_many)
    results = [
        result(COMPLIANT, name="a", context="c1"),
        result(COMPLIANT, name="a", context="c2"),
        result(COMPLIANT, name="b"),
        result(ERROR, name="c"),
    ]
    mx = {"a": MX, "c": Endpoint(host="2001:db8::25", port=2525), "unused": MX}
    extra: Any = probe_extra(results, mx, workers=3, timeout=2.5)
    assert [(t.name, t.address) for t in calls[0][0]] == [
        ("a", "192.0.2.25:25"),
        ("c", "[2001:db8::25]:2525"),
    ]
    assert calls[0][1:] == (3, 2.5)
    assert sorted(extra) == ["a/c1", "a/c2", "c"]
    assert extra["a/c1"]["probe"]["agreement"] == "agrees"
    assert extra["c"]["probe"]["agreement"] == "n/a"  # the config of c could not be read


def test_probe_extra_with_no_mx_probes_nothing() -> None:
    assert probe_extra([result(EXPOSED, finding(25))], {}, workers=1, timeout=1.0) == {}
