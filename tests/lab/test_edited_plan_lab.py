"""An approved plan edited by hand afterwards, its approval forged to match: apply refuses it
before touching any device (exit 2, naming the device and the line), and the unit never sees a
configuration session."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from labtools import asa_units, run_pixfix

pytestmark = pytest.mark.timeout(300)


def test_an_edited_plan_never_reaches_the_device(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory("--devices-file", str(asa_units(tmp_path, ("fw",))))
    plan = tmp_path / "plan"
    done = run_pixfix("plan", "-i", lab.inventory, "--out", plan, folder=tmp_path,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert run_pixfix("approve", plan, "--by", "Jane Roe", folder=tmp_path).returncode == 0
    document = json.loads((plan / "plan.json").read_text())
    (entry,) = document["devices"]
    entry["commands"].insert(1, "policy-map OUTSIDE")  # grammatical: only the remade plan tells
    (plan / "plan.json").write_text(json.dumps(document, indent=2) + "\n")
    approvals = json.loads((plan / "approval.json").read_text())
    digest = hashlib.sha256((plan / "plan.json").read_bytes()).hexdigest()
    for approval in approvals["approvals"]:
        approval["plan_sha256"] = digest
    (plan / "approval.json").write_text(json.dumps(approvals))
    done = run_pixfix("apply", plan, "--yes", "--window", "now/PT1H", "--out", tmp_path / "runs",
                      folder=tmp_path, lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 2
    assert "fw: commands differ from the plan made from its configuration" in done.stderr
    assert "'policy-map OUTSIDE' is not in it" in done.stderr
    assert not (tmp_path / "runs").exists()
    assert lab.status()["fw"]["config_sessions"] == 0
