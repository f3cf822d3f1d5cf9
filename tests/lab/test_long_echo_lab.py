"""Long command echoes end to end: with a hostname long enough that the prompt and command pass
the terminal width, the lab cuts each echo to 79 characters ending in `$` (as real ASAs do:
tests/fixtures/real/long_echo), and pixfix audits, changes and verifies the unit all the same,
without setting `terminal width` (a configuration change)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import run_pixfix

pytestmark = pytest.mark.timeout(300)

HOST = "fw-dc1-perimeter-asa5516-primary-with-a-very-long-hostname-x"  # 60 characters


def _lab(lab_factory: Any, folder: Path) -> Any:
    text = resources.files("pixfix.lab").joinpath("configs/lab-asa-reporting.cfg").read_text()
    config = text.replace("hostname lab-asa-reporting", f"hostname {HOST}")
    spec = {"name": "long", "software": "ASA 9.18(4)", "config": config}
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": [spec]}))
    return lab_factory("--devices-file", str(path))


def test_cut_echoes_are_read_and_the_change_goes_through(lab_factory: Any, tmp_path: Path) -> None:
    assert len(HOST) == 60
    lab = _lab(lab_factory, tmp_path)
    done = run_pixfix("audit", "-i", lab.inventory, "--format", "json", folder=tmp_path,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 1, done.stderr
    (device,) = json.loads(done.stdout)["devices"]
    assert (device["status"], [f["line"] for f in device["findings"]]) == (
        "exposed",
        ["inspect esmtp"],
    )
    plan = tmp_path / "plan"
    done = run_pixfix("plan", "-i", lab.inventory, "--out", plan, folder=tmp_path,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_pixfix("approve", plan, "--by", "Jane Roe", "--ticket", "CHG-1", folder=tmp_path)
    done = run_pixfix("apply", plan, "--yes", "--window", "now/PT1H", "--out", tmp_path / "runs",
                      folder=tmp_path, lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (run,) = (tmp_path / "runs").iterdir()
    (result,) = json.loads((run / "result.json").read_text())["devices"]
    assert result["status"] == "applied" and result["saved"]
    log = (run / "log.jsonl").read_text()
    cut = (f"{HOST}(config-pmap-c)# " + "  no inspect esmtp")[:78] + "$"
    assert cut in log  # the echo was cut ...
    assert "terminal width" not in log  # ... and nothing widened the terminal
    assert lab.status()["long"]["smtp_inspection"] == "none"
