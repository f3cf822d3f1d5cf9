"""One firewall under two names: two plans, one reaching it as `127.0.0.1`, the other as
`localhost`, applied at the same time. The first holds the unit (the lab keeps its `write memory`
unanswered until released), so the second finds it busy, sends nothing and exits 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import asa_units, run_pixfix, start_pixfix, wait_held

pytestmark = pytest.mark.timeout(300)


def _by_localhost(lab: Any, folder: Path) -> Path:
    """The lab's inventory with every host reached as `localhost` (and its keys known so)."""
    document = yaml.safe_load(lab.inventory.read_text())
    for host in document["hosts"].values():
        host["host"] = "localhost"
    known = folder / "localhost_known_hosts"
    known.write_text(lab.known_hosts.read_text().replace("[127.0.0.1]", "[localhost]"))
    document["known_hosts"] = str(known)
    path = folder / "localhost.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _approved_plan(lab: Any, folder: Path, inventory: Path, name: str) -> Path:
    plan = folder / name
    done = run_pixfix("plan", "-i", inventory, "--out", plan, folder=folder, lab_dir=lab.state_dir)
    assert done.returncode == 0, done.stderr
    assert run_pixfix("approve", plan, "--by", "Jane Roe", folder=folder).returncode == 0
    return plan


def test_the_second_run_finds_the_unit_busy_and_sends_nothing(
    lab_factory: Any, tmp_path: Path
) -> None:
    devices = asa_units(tmp_path, ("fw",))
    lab = lab_factory("--devices-file", str(devices), "--fault", "fw:pause_at=write memory")
    first = _approved_plan(lab, tmp_path, lab.inventory, "by-address")
    second = _approved_plan(lab, tmp_path, _by_localhost(lab, tmp_path), "by-name")
    window = ("--yes", "--window", "now/PT1H")
    holding = start_pixfix("apply", first, *window, "--out", tmp_path / "runs-a", folder=tmp_path)
    wait_held(lab, "fw", holding)
    refused = run_pixfix("apply", second, *window, "--lock-wait", "1", "--out",
                         tmp_path / "runs-b", folder=tmp_path)  # fmt: skip
    assert lab.cli("lab", "release", "fw").returncode == 0
    holding.communicate(timeout=120)
    assert (holding.returncode, refused.returncode) == (0, 1), refused.stdout + refused.stderr
    (run_b,) = (tmp_path / "runs-b").iterdir()
    (busy,) = json.loads((run_b / "result.json").read_text())["devices"]
    (run_a,) = (tmp_path / "runs-a").iterdir()
    assert busy["status"] == "busy" and busy["commands"] == []
    assert f"locked by pixfix apply run {run_a.name}" in busy["reason"]
    status = lab.status()["fw"]
    assert (status["config_sessions"], status["saves"]) == (1, 1)  # the first run's only
