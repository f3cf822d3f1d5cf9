"""A fix made by hand and never saved: the audit reads both configurations and says `unsaved`;
the plan is the save alone (only the save, and only when nothing else is unsaved); apply saves
it without `--allow-unsaved`; afterwards the unit is compliant on both sides."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import run_pixfix

from pixfix.transport.connect import open_session

pytestmark = pytest.mark.timeout(300)

CONFIGS = resources.files("pixfix.lab").joinpath("configs")
UNITS = {  # name: (software, transport, startup configuration)
    "asa": ("ASA 8.4(7)", "ssh", "lab-asa84.cfg"),
    "pix": ("PIX 6.3(5)", "telnet", "lab-pix63.cfg"),
    "busy": ("ASA 8.4(7)", "ssh", "lab-asa84.cfg"),  # also has another unsaved edit
}
FIX = {
    "asa": ["policy-map global_policy", "class inspection_default", "no inspect esmtp"],
    "pix": ["no fixup protocol smtp 25", "no fixup protocol smtp 2525"],
    "busy": [
        "logging buffered debugging",
        "policy-map global_policy",
        "class inspection_default",
        "no inspect esmtp",
    ],
}


@pytest.fixture(scope="module")
def work(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    folder = tmp_path_factory.mktemp("unsaved")
    specs = [
        {
            "name": name,
            "software": software,
            "transport": transport,
            "config": CONFIGS.joinpath(config)
            .read_text()
            .replace(f"hostname {config.removesuffix('.cfg')}", f"hostname {name}"),
        }
        for name, (software, transport, config) in UNITS.items()
    ]
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": specs}))
    lab = lab_factory("--devices-file", str(path))
    for name, lines in FIX.items():  # by hand, and never saved
        with open_session(lab.params(name)) as conn:
            conn.send_config_set(lines, error_pattern=r"ERROR:|Type help")
    return lab, folder


def _audit(lab: Any, folder: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    done = run_pixfix("audit", "-i", lab.inventory, "--format", "json", "-q", folder=folder,
                      lab_dir=lab.state_dir)  # fmt: skip
    return done.returncode, {d["name"]: d for d in json.loads(done.stdout)["devices"]}


def test_audit_plan_and_apply_of_unsaved_fixes(work: tuple[Any, Path]) -> None:
    lab, folder = work
    code, found = _audit(lab, folder)
    assert code == 1
    assert {name: d["status"] for name, d in found.items()} == dict.fromkeys(UNITS, "unsaved")
    assert [f["line"] for f in found["pix"]["saved"]["findings"]] == [
        "fixup protocol smtp 25",
        "fixup protocol smtp 2525",
    ]
    plan = folder / "plan"
    done = run_pixfix("plan", "-i", lab.inventory, "--out", plan, folder=folder,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 3, done.stderr  # `busy` cannot be planned
    entries = {e["name"]: e for e in json.loads((plan / "plan.json").read_text())["devices"]}
    assert (entries["asa"]["commands"], entries["asa"]["save"]) == ([], ["write memory"])
    assert (entries["pix"]["commands"], entries["pix"]["save"]) == ([], ["write memory"])
    assert not entries["busy"]["planned"] and entries["busy"]["save"] == []
    assert "+ logging buffered debugging" in entries["busy"]["notes"][-1]
    assert (plan / "backups" / "asa.saved.cfg").is_file()
    assert run_pixfix("approve", plan, "--by", "Jane Roe", folder=folder).returncode == 0
    done = run_pixfix("apply", plan, "--yes", "--window", "now/PT1H", "--out", folder / "runs",
                      folder=folder, lab_dir=lab.state_dir)  # fmt: skip
    (run,) = (folder / "runs").iterdir()
    result = {d["name"]: d for d in json.loads((run / "result.json").read_text())["devices"]}
    assert result["asa"]["status"] == result["pix"]["status"] == "applied", done.stdout
    assert result["asa"]["commands"] == ["write memory"]
    status = lab.status()
    assert (status["asa"]["saves"], status["pix"]["saves"], status["busy"]["saves"]) == (1, 1, 0)
    _, found = _audit(lab, folder)
    statuses = {name: d["status"] for name, d in found.items()}
    assert statuses == {"asa": "compliant", "pix": "compliant", "busy": "unsaved"}
