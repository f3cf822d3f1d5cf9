"""Probe output: the table, the JSON (transcript included) and the exit code contract."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pixfix.probe.classify import Exchange, ReplyEnd, Signature, SignatureName, Step, Verdict
from pixfix.probe.report import probe_exit_code, render_probe_json, render_probe_table
from pixfix.probe.smtp import ProbeResult
from pixfix.probe.target import Target

GREETING = Exchange(
    step=Step.GREETING, sent=None, code=220, lines=("220 ****0*2***",), end=ReplyEnd.COMPLETE
)
EHLO = Exchange(
    step=Step.EHLO, sent="EHLO [192.0.2.1]", code=250, lines=("250 OK",), end=ReplyEnd.COMPLETE
)


def result(verdict: Verdict, *, name: str | None = None, error: str | None = None) -> ProbeResult:
    signatures: tuple[Signature, ...] = ()
    if verdict is Verdict.MAILGUARD:
        signatures = (
            Signature(name=SignatureName.MASKED_BANNER, evidence=GREETING.lines),
            Signature(name=SignatureName.EHLO_BLOCKED, evidence=(EHLO.show(),)),
        )
    if verdict is Verdict.INSPECTED:
        signatures = (Signature(name=SignatureName.EXTENSIONS_MASKED, evidence=("250 XXXXXXXA",)),)
    return ProbeResult(
        target=Target(host="192.0.2.25", name=name),
        verdict=verdict,
        signatures=signatures,
        transcript=(GREETING, EHLO) if verdict is Verdict.MAILGUARD else (),
        error=error,
    )


CLEAN = result(Verdict.CLEAN)
INSPECTED = result(Verdict.INSPECTED)
MAILGUARD = result(Verdict.MAILGUARD, name="fw1")
UNREACHABLE = result(Verdict.UNREACHABLE, error="connection refused")
NOT_SMTP = result(Verdict.NOT_SMTP, error="no SMTP greeting (no data within 10s)")


@pytest.mark.parametrize(
    ("results", "code"),
    [
        ([], 0),
        ([CLEAN], 0),
        ([CLEAN, INSPECTED], 0),
        ([CLEAN, MAILGUARD], 1),
        ([UNREACHABLE], 3),
        ([NOT_SMTP, CLEAN], 3),
        ([MAILGUARD, UNREACHABLE], 3),
    ],
)
def test_exit_code(results: list[ProbeResult], code: int) -> None:
    assert probe_exit_code(results) == code


def test_table_shows_verdicts_evidence_and_says_clean_means_no_signature() -> None:
    table = render_probe_table([MAILGUARD, CLEAN, INSPECTED, UNREACHABLE])
    assert table.splitlines() == [
        "TARGET               VERDICT      DETAIL",
        "fw1 (192.0.2.25:25)  mailguard    SMTP inspection breaks mail:"
        " masked-banner, ehlo-blocked",
        "    masked-banner: 220 ****0*2***",
        "    ehlo-blocked: EHLO [192.0.2.1] -> 250 OK",
        "192.0.2.25:25        clean        no signature seen",
        "192.0.2.25:25        inspected    ESMTP inspection in the path; EHLO and STARTTLS work:"
        " extensions-masked",
        "    extensions-masked: 250 XXXXXXXA",
        "192.0.2.25:25        unreachable  connection refused",
        "4 target(s): 1 mailguard, 1 inspected, 1 clean, 1 unreachable",
    ]


def test_json_carries_signatures_evidence_and_transcript() -> None:
    records = json.loads(render_probe_json([MAILGUARD, NOT_SMTP]))
    assert records[0] == {
        "target": "192.0.2.25:25",
        "name": "fw1",
        "host": "192.0.2.25",
        "port": 25,
        "verdict": "mailguard",
        "summary": "SMTP inspection breaks mail",
        "error": None,
        "signatures": [
            {"name": "masked-banner", "evidence": ["220 ****0*2***"]},
            {"name": "ehlo-blocked", "evidence": ["EHLO [192.0.2.1] -> 250 OK"]},
        ],
        "transcript": [
            {
                "step": "greeting",
                "sent": None,
                "code": 220,
                "lines": ["220 ****0*2***"],
                "end": "complete",
                "note": "",
            },
            {
                "step": "ehlo",
                "sent": "EHLO [192.0.2.1]",
                "code": 250,
                "lines": ["250 OK"],
                "end": "complete",
                "note": "",
            },
        ],
    }
    assert records[1]["verdict"] == "not-smtp"
    assert records[1]["summary"] == records[1]["error"] == "no SMTP greeting (no data within 10s)"


def test_clean_json_says_no_signature_seen() -> None:
    assert json.loads(render_probe_json([CLEAN]))[0]["summary"] == "no signature seen"


def test_table_strips_escape_sequences_a_server_sent() -> None:
    hostile = Signature(
        name=SignatureName.MASKED_BANNER, evidence=("220 \x1b]0;owned\x07\x1b[31m****",)
    )
    shown = render_probe_table([dataclasses.replace(MAILGUARD, signatures=(hostile,))])
    assert "\x1b" not in shown and "\x07" not in shown
    assert "masked-banner: 220 ****" in shown
