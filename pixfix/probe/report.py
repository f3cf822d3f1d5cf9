"""What `pixfix probe` prints: a table or JSON (transcript included), and the exit code.

Everything a server sent is data: escape sequences and control characters are stripped before
anything reaches a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pixfix.probe.classify import Verdict
from pixfix.probe.smtp import ProbeResult
from pixfix.text import strip_control


def probe_exit_code(results: Iterable[ProbeResult]) -> int:
    """3 when a target is unreachable or not SMTP (wins), 1 when one is `mailguard`, else 0."""
    verdicts = {result.verdict for result in results}
    if verdicts & {Verdict.UNREACHABLE, Verdict.NOT_SMTP}:
        return 3
    return 1 if Verdict.MAILGUARD in verdicts else 0


_SUMMARY = {
    Verdict.MAILGUARD: "SMTP inspection breaks mail",
    Verdict.INSPECTED: "ESMTP inspection in the path; EHLO and STARTTLS work",
    Verdict.CLEAN: "no signature seen",
}


def summary(result: ProbeResult) -> str:
    """One line saying what the verdict means for this target."""
    return result.error or _SUMMARY.get(result.verdict, result.verdict.value)


def render_probe_table(results: Iterable[ProbeResult]) -> str:
    """A plain-text table: one line per target, then each signature with its evidence."""
    rows = list(results)
    width = max([len("TARGET"), *(len(r.target.label) for r in rows)])
    lines = [f"{'TARGET':<{width}}  {'VERDICT':<11}  DETAIL"]
    for result in rows:
        names = ", ".join(s.name.value for s in result.signatures)
        detail = f"{summary(result)}: {names}" if names else summary(result)
        lines.append(f"{result.target.label:<{width}}  {result.verdict.value:<11}  {detail}")
        for signature in result.signatures:
            lines.extend(f"    {signature.name.value}: {line}" for line in signature.evidence)
    lines = [strip_control(line) for line in lines]
    counts = {v: sum(r.verdict is v for r in rows) for v in Verdict}
    tally = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    lines.append(f"{len(rows)} target(s): {tally or 'none'}")
    return "\n".join(lines) + "\n"


def render_probe_json(results: Iterable[ProbeResult]) -> str:
    """JSON: a list with one object per target, the transcript included as evidence."""
    return json.dumps([_result_record(result) for result in results], indent=2) + "\n"


def _result_record(result: ProbeResult) -> dict[str, Any]:
    return {
        "target": result.target.address,
        "name": result.target.name,
        "host": result.target.host,
        "port": result.target.port,
        "verdict": result.verdict.value,
        "summary": summary(result),
        "error": result.error,
        "signatures": [
            {"name": s.name.value, "evidence": list(s.evidence)} for s in result.signatures
        ],
        "transcript": [
            {
                "step": e.step.value,
                "sent": e.sent,
                "code": e.code,
                "lines": list(e.lines),
                "end": e.end.value,
                "note": e.note,
            }
            for e in result.transcript
        ],
    }
