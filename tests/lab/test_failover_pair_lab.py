"""Lab failover pairs end to end: the pair's address reaches the active unit, the standby address
the standby one, a change on the active unit reaches its mate, and a failover moves the address.

Pairs of three trains (PIX 6.3 over telnet, PIX 7.0 and ASA 9.16 over SSH) from a devices file,
each `failover: pair`: NAME is the pair's address, NAME-stby its standby address.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import run_pixfix

pytestmark = pytest.mark.timeout(300)

CONFIGS = resources.files("pixfix.lab").joinpath("configs")
PAIRS = {
    "pix63-pair": ("PIX 6.3(5)", "telnet", "lab-pix63.cfg"),
    "pix70-pair": ("PIX 7.0(4)", "ssh", "lab-pix70.cfg"),
    "asa-pair": ("ASA 9.16(4)", "ssh", "lab-asa-pair.cfg"),
}
UNITS = [unit for name in PAIRS for unit in (name, f"{name}-stby")]


def _devices_file(folder: Path) -> Path:
    (folder / "configs").mkdir()
    specs = []
    for name, (software, transport, config) in PAIRS.items():
        text = re.sub(
            r"(?m)^hostname \S+", f"hostname {name}", CONFIGS.joinpath(config).read_text()
        )
        (folder / "configs" / f"{name}.cfg").write_text(text)
        specs.append(
            {
                "name": name,
                "software": software,
                "transport": transport,
                "startup_config": f"configs/{name}.cfg",
                "failover": "pair",
            }
        )
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": specs}, sort_keys=False))
    return path


def _lab(lab_factory: Any, folder: Path, *faults: str) -> Any:
    args = [arg for fault in faults for arg in ("--fault", fault)]
    return lab_factory("--devices-file", str(_devices_file(folder)), *args)


def _audit(lab: Any, folder: Path) -> dict[str, dict[str, Any]]:
    done = run_pixfix("audit", "-i", lab.inventory, "--format", "json", "-q", folder=folder,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return {d["name"]: d for d in json.loads(done.stdout)["devices"]}


def _plan_and_apply(lab: Any, folder: Path, *limits: str) -> dict[str, Any]:
    plan = folder / "plan"
    limit_args = [arg for name in limits for arg in ("--limit", name)]
    done = run_pixfix("plan", "-i", lab.inventory, *limit_args, "--out", plan, folder=folder,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_pixfix("approve", plan, "--by", "Jane Roe", "--ticket", "CHG-1", folder=folder)
    done = run_pixfix("apply", plan, "--yes", "--window", "now/PT1H", "--out", folder / "runs",
                      folder=folder, lab_dir=lab.state_dir)  # fmt: skip
    runs = sorted((folder / "runs").iterdir())
    result: dict[str, Any] = json.loads((runs[-1] / "result.json").read_text())
    result["exit"] = done.returncode
    return result


def _outcomes(result: dict[str, Any]) -> dict[str, str]:
    return {d["name"]: d["status"] for d in result["devices"]}


def test_each_address_reaches_the_unit_of_its_role(lab_factory: Any, tmp_path: Path) -> None:
    lab = _lab(lab_factory, tmp_path)
    found = _audit(lab, tmp_path)
    assert {name: (d["role"], d["status"]) for name, d in found.items()} == {
        unit: ("standby" if unit.endswith("-stby") else "active", "exposed") for unit in UNITS
    }


def test_a_change_on_the_active_unit_is_replicated_and_saved_on_the_mate(
    lab_factory: Any, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path)
    result = _plan_and_apply(lab, tmp_path, *PAIRS)
    assert result["exit"] == 0
    assert _outcomes(result) == dict.fromkeys(PAIRS, "applied")
    found = _audit(lab, tmp_path)
    assert {name: d["status"] for name, d in found.items()} == dict.fromkeys(UNITS, "compliant")
    status = lab.status()
    for name in PAIRS:
        mate = status[f"{name}-stby"]
        # the mate got the change and the save by replication: nobody configured it
        assert (mate["config_sessions"], mate["saves"], mate["modified"]) == (0, 1, False)
        assert mate["smtp_inspection"] == "none"


FAIL_AFTER = {"pix63-pair": 1, "pix70-pair": 3, "asa-pair": 3}  # the line that removes SMTP


@pytest.mark.parametrize("pair", list(PAIRS))
def test_a_failover_mid_change_is_rolled_back_on_the_new_active_unit(
    lab_factory: Any, tmp_path: Path, pair: str
) -> None:
    """The line that removes the inspection lands and is replicated, then the unit fails over:
    the session to the pair's address is cut; the rollback goes to the address again, which
    now reaches the other unit (active, with the change), never to the standby."""
    lab = _lab(lab_factory, tmp_path, f"{pair}:failover_after_config={FAIL_AFTER[pair]}")
    result = _plan_and_apply(lab, tmp_path, pair)
    assert result["exit"] == 1
    device = next(d for d in result["devices"] if d["name"] == pair)
    assert device["status"] == "rolled-back", device["reason"]
    # the record names both units: the one the change went to, and the one rolled back
    (moved,) = [note for note in device["notes"] if "after the failover" in note]
    assert "reached unit" in moved and "(active)" in moved
    status = lab.status()
    # the pair's address now reaches the secondary unit, which is active
    assert (status[pair]["answering"], status[pair]["failover"]) == (f"{pair}-stby", "standby")
    assert status[f"{pair}-stby"]["failover"] == "active"
    assert status[pair]["saves"] == status[f"{pair}-stby"]["saves"] == 0
    found = _audit(lab, tmp_path)
    assert (found[pair]["role"], found[pair]["status"]) == ("active", "exposed")
    assert (found[f"{pair}-stby"]["role"], found[f"{pair}-stby"]["status"]) == (
        "standby",
        "exposed",
    )
