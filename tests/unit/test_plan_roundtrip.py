"""Round trip of every fixture configuration that audits exposed, in both modes.

`audit(predict(config, commands))` is compliant (tuned in tune mode on trains that have
`allow-tls`), and `predict(predict(config, commands), rollback)` audits with the same findings:
the same lines, ports, policies, classes, maps and scopes (order may differ).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pixfix.audit.verdict import audit_config
from pixfix.model import DeviceResult, Finding, Software, Status
from pixfix.parse.config import parse_config
from pixfix.plan.entry import DeviceMeta, Mode, Reload, plan_entry
from pixfix.plan.predict import predict
from pixfix.platforms import tune_capable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CONFIGS = sorted(FIXTURES.glob("**/show_running-config/*.raw"))
LAB_CONFIGS = Path(__file__).resolve().parents[2] / "pixfix" / "lab" / "configs"


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


def exposed(paths: list[Path]) -> list[Path]:
    return [p for p in paths if audit_config(_read(p)).status is Status.EXPOSED]


def keys(findings: tuple[Finding, ...]) -> Counter[tuple[object, ...]]:
    return Counter(
        (f.line, f.kind, f.ports, f.policy, f.class_name, f.map_name, f.scope) for f in findings
    )


def lab_text(path: Path) -> str:
    """A lab startup configuration as the lab device prints it (with its end marker)."""
    return ": Saved\n:\n" + _read(path) + "Cryptochecksum:00112233\n: end\n"


CASES = [(p, _read(p)) for p in exposed(CONFIGS)] + [
    (p, lab_text(p))
    for p in sorted(LAB_CONFIGS.glob("*.cfg"))
    if audit_config(lab_text(p)).status is Status.EXPOSED
]


def test_the_glob_finds_every_train() -> None:
    trains = {parse_config(text).train for _, text in CASES}
    assert len(trains) == 5
    assert len(CASES) >= 20


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
@pytest.mark.parametrize(("path", "text"), CASES, ids=[p.name for p, _ in CASES])
def test_commands_fix_and_rollback_restores(path: Path, text: str, mode: Mode) -> None:
    verdict = audit_config(text)
    name, _, context = path.stem.partition("@")
    result = DeviceResult.from_verdict(name, verdict, context=context or None)
    entry = plan_entry(
        result, text, DeviceMeta(transport="offline"), mode=mode, reload=Reload.NEVER
    )
    assert entry.planned, entry.notes
    assert entry.commands and entry.rollback and entry.save[-1] == "write memory"
    train = parse_config(text).train
    software = verdict.software
    assert isinstance(software, Software)
    tuned = mode is Mode.TUNE and tune_capable(software)
    assert entry.mode is (Mode.TUNE if tuned else Mode.DISABLE)
    after = predict(text, entry.commands, train)
    assert audit_config(after).status is (Status.TUNED if tuned else Status.COMPLIANT)
    assert entry.after == after
    restored = audit_config(predict(after, entry.rollback, train))
    assert restored.status is Status.EXPOSED
    assert keys(restored.findings) == keys(verdict.findings)
    assert keys(restored.ignored) == keys(verdict.ignored)
