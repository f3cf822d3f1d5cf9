"""The anonymous error reporting question under a dead-man timer, end to end.

An ASA 8.4+ asks it after the first `(config)#` prompt. With `reload in M` armed, a client that
missed it would type its change as the answer, lose its footing, and leave the unit to reload.
Here apply answers `A` (ask later), the change is verified and saved, the timer cancelled, and
the `call-home` line the unit added is named in the record; rollback then restores the original.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import run_pixfix

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def work(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    folder = tmp_path_factory.mktemp("reporting")
    config = resources.files("pixfix.lab").joinpath("configs", "lab-asa98-iface.cfg").read_text()
    (folder / "asks.cfg").write_text(config.replace("hostname lab-asa98-iface", "hostname asks"))
    spec = {
        "name": "asks",
        "software": "ASA 9.8(4)",
        "startup_config": "asks.cfg",
        "reporting_prompt": True,
    }
    (folder / "devices.yaml").write_text(yaml.safe_dump({"devices": [spec]}, sort_keys=False))
    lab = lab_factory(
        "--devices-file", str(folder / "devices.yaml"), "--minute-seconds", "30",
        "--boot-seconds", "1",
    )  # fmt: skip
    return lab, folder


def test_apply_under_a_timer_answers_ask_later_then_rollback_restores(
    work: tuple[Any, Path],
) -> None:
    lab, folder = work

    def pixfix(*args: str | Path) -> Any:
        return run_pixfix(*args, folder=folder, lab_dir=lab.state_dir)

    assert pixfix("plan", "-i", lab.inventory, "--out", "plan", "-q").returncode == 0
    assert pixfix("approve", "plan", "--by", "ann").returncode == 0
    done = pixfix("apply", "plan", "--out", "runs", "--yes", "-q", "--window", "now/PT2H",
                  "--confirm-minutes", "2", "--timeout", "10")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    run = sorted((folder / "runs").iterdir())[-1]
    device = json.loads((run / "result.json").read_text())["devices"][0]
    assert device["status"] == "applied", device
    assert device["timer"]["armed_at"] and device["timer"]["cancelled"], device["timer"]
    assert any("call-home reporting anonymous prompt 2" in n for n in device["notes"]), device
    status = lab.status()["asks"]
    assert status["saves"] == 1 and status["reloads"] == 0 and not status["reload_scheduled"]
    assert status["smtp_inspection"] == "none"

    undone = pixfix("rollback", run, "--out", "runs", "--yes", "-q", "--window", "now/PT2H")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    restored = json.loads((sorted((folder / "runs").iterdir())[-1] / "result.json").read_text())
    assert restored["devices"][0]["status"] == "restored", restored["devices"][0]
    assert lab.status()["asks"]["smtp_inspection"] != "none"
