"""Golden plans: the rendered commands, save, rollback, notes and diff of each software train.

Inputs are the default lab's startup configurations (`pixfix/lab/configs/*.cfg`, printed as the
lab prints them) with the lab's transport and failover role, plus an FWSM 2.3 fixture (the lab
has no FWSM 2). Regenerate with `pytest --update-golden` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixfix.audit.verdict import audit_config
from pixfix.model import DeviceResult, Role, Train
from pixfix.parse.config import config_software
from pixfix.plan.entry import DeviceMeta, Mode, Reload, plan_entry

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
LAB = ROOT / "pixfix" / "lab"
FWSM23 = ROOT / "tests" / "fixtures" / "fwsm_fixup" / "show_running-config" / "fwsm23_context.raw"


def _fleet() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((LAB / "default_fleet.yaml").read_text(encoding="utf-8"))
    return {device["name"]: device for device in data["devices"]}


def _cases() -> list[tuple[str, str, DeviceMeta]]:
    fleet = _fleet()
    cases = []
    for path in sorted((LAB / "configs").glob("*.cfg")):
        device = fleet[path.stem.partition("@")[0]]
        role = Role.STANDBY if device.get("failover") == "standby" else None
        text = ": Saved\n:\n" + path.read_text(encoding="utf-8") + "Cryptochecksum:0f0f\n: end\n"
        cases.append((path.stem, text, DeviceMeta(transport=device["transport"], role=role)))
    cases.append(
        ("fwsm23-context", FWSM23.read_text(encoding="utf-8"), DeviceMeta(transport="ssh"))
    )
    return cases


CASES = _cases()


def test_every_train_has_golden_cases() -> None:
    trains = set()
    for _, text, _ in CASES:
        software = config_software(text)
        assert software is not None
        trains.add(software.train)
    assert trains == set(Train)


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
@pytest.mark.parametrize(("stem", "text", "meta"), CASES, ids=[c[0] for c in CASES])
def test_plan_matches_golden(
    stem: str, text: str, meta: DeviceMeta, mode: Mode, golden: Any
) -> None:
    name, _, context = stem.partition("@")
    result = DeviceResult.from_verdict(
        name, audit_config(text), context=context or None, role=meta.role
    )
    entry = plan_entry(result, text, meta, mode=mode, reload=Reload.NEVER)
    document = json.dumps(entry.to_json(), indent=2) + "\n"
    golden(HERE / "expected" / f"{stem}.{mode.value}.json", document)
    golden(HERE / "expected" / f"{stem}.{mode.value}.diff", entry.diff())
