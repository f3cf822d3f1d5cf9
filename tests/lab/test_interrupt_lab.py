"""Apply interrupted at exact steps: Ctrl-C / SIGTERM once, twice, and `kill -9`.

Three exposed units are applied one at a time. The lab holds the first unit's reply to a named
command (fault `pause_at`), so the signal arrives at a known step however busy the machine is;
the test then releases it. Afterwards `pixfix show RUN`, a fresh audit and `pixfix rollback RUN`
must agree with what the firewalls hold: nothing is ever left changed while the record, the
audit or the exit code says otherwise.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from labtools import asa_units, run_pixfix, start_pixfix, wait_held

pytestmark = pytest.mark.timeout(300)

UNITS = ("a1", "a2", "a3")
# The step of a1's change at which the signal arrives: the command held there (`#N`: its N-th
# time since the lab started; the plan's audit reads each once, apply's first reads once more),
# and the last line typed to a1 by then.
STEPS = {
    "before-send": ("configure terminal", "configure terminal"),
    "mid-send": ("no inspect esmtp", "  no inspect esmtp"),
    "after-send-before-verify": ("show failover#3", "end"),  # the verifying session's first read
    "after-verify-before-save": ("write memory", "write memory"),
    "after-save": ("show startup-config#3", "write memory"),  # the read that checks the save
}


def _lab(lab_factory: Any, folder: Path, pause_at: str) -> Any:
    devices = asa_units(folder, UNITS)
    return lab_factory("--devices-file", str(devices), "--fault", f"a1:pause_at={pause_at}")


def _pixfix(lab: Any, folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_pixfix(*args, folder=folder, lab_dir=lab.state_dir)


def _planned(lab: Any, folder: Path) -> Path:
    plan = folder / "plan"
    assert _pixfix(lab, folder, "plan", "-i", lab.inventory, "--out", plan).returncode == 0
    assert _pixfix(lab, folder, "approve", plan, "--by", "Jane Roe").returncode == 0
    return plan


def _start_apply(lab: Any, folder: Path, plan: Path) -> subprocess.Popen[str]:
    return start_pixfix("apply", plan, "--yes", "--workers", "1", "--window", "now/PT1H",
                        "--out", folder / "runs", folder=folder)  # fmt: skip


def _wait_held(lab: Any, apply: subprocess.Popen[str]) -> None:
    wait_held(lab, "a1", apply)


def _release(lab: Any) -> None:
    assert lab.cli("lab", "release", "a1").returncode == 0


def _held_at(lab_factory: Any, folder: Path, step: str) -> tuple[Any, subprocess.Popen[str]]:
    """A lab, and an apply whose first unit is held at `step` (proved from the journal)."""
    held, last = STEPS[step]
    lab = _lab(lab_factory, folder, held)
    apply = _start_apply(lab, folder, _planned(lab, folder))
    _wait_held(lab, apply)
    assert _typed_to_a1(folder)[-1] == last  # the step is the one named
    return lab, apply


def _wait_interrupt_noted(folder: Path, apply: subprocess.Popen[str]) -> None:
    """Until the run's journal says it took the signal (no guessing how long that takes)."""
    (run,) = (folder / "runs").iterdir()
    deadline = time.monotonic() + 60
    while '"event": "interrupt"' not in (run / "log.jsonl").read_text():
        assert apply.poll() is None, apply.communicate()
        assert time.monotonic() < deadline, "the apply never noted the signal"
        time.sleep(0.05)


def _typed_to_a1(folder: Path) -> list[str]:
    """The lines typed to a1 so far, from the running apply's journal."""
    (run,) = (folder / "runs").iterdir()
    entries = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return [e["send"] for e in entries if e.get("device") == "a1" and "send" in e]


def _run_dir(folder: Path) -> Path:
    (run,) = (folder / "runs").iterdir()
    return run


def _audit(lab: Any, folder: Path) -> dict[str, str]:
    done = _pixfix(lab, folder, "audit", "-i", lab.inventory, "--format", "json", "-q")
    return {d["name"]: d["status"] for d in json.loads(done.stdout)["devices"]}


def _shown(lab: Any, folder: Path, run: Path) -> str:
    done = _pixfix(lab, folder, "show", run)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _rolled_back(lab: Any, folder: Path, run: Path) -> dict[str, str]:
    done = _pixfix(lab, folder, "rollback", run, "--yes", "--window", "now/PT1H",
                   "--out", folder / "rollbacks")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (rollback,) = (folder / "rollbacks").iterdir()
    document = json.loads((rollback / "result.json").read_text())
    return {d["name"]: d["status"] for d in document["devices"]}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("step", list(STEPS))
def test_one_signal_finishes_the_device_in_flight_and_starts_no_other(
    lab_factory: Any, tmp_path: Path, step: str, signum: signal.Signals
) -> None:
    lab, apply = _held_at(lab_factory, tmp_path, step)
    apply.send_signal(signum)
    _wait_interrupt_noted(tmp_path, apply)  # handled while a1 is still held
    _release(lab)
    _, stderr = apply.communicate(timeout=120)
    assert apply.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum], stderr
    assert "no new device starts" in stderr
    run = _run_dir(tmp_path)
    document = json.loads((run / "result.json").read_text())
    assert (document["status"], document["exit_code"]) == ("interrupted", apply.returncode)
    statuses = {d["name"]: d["status"] for d in document["devices"]}
    assert statuses == {"a1": "applied", "a2": "not-started", "a3": "not-started"}
    assert "interrupted" in next(d for d in document["devices"] if d["name"] == "a2")["reason"]
    # what the record says is what the firewalls hold
    assert _audit(lab, tmp_path) == {"a1": "compliant", "a2": "exposed", "a3": "exposed"}
    assert "a1: applied" in _shown(lab, tmp_path, run)
    assert _rolled_back(lab, tmp_path, run)["a1"] == "restored"
    assert _audit(lab, tmp_path) == dict.fromkeys(UNITS, "exposed")


@pytest.mark.parametrize("step", ["mid-send", "after-verify-before-save", "after-save"])
def test_a_second_signal_stops_at_once_and_the_record_says_what_may_be_half_changed(
    lab_factory: Any, tmp_path: Path, step: str
) -> None:
    lab, apply = _held_at(lab_factory, tmp_path, step)
    apply.send_signal(signal.SIGINT)
    _wait_interrupt_noted(tmp_path, apply)
    apply.send_signal(signal.SIGINT)
    _, stderr = apply.communicate(timeout=60)
    assert apply.returncode == 130, stderr
    assert "stopped at once" in stderr and "a1: in flight when the run stopped" in stderr
    run = _run_dir(tmp_path)
    document = json.loads((run / "result.json").read_text())
    assert document["status"] == "interrupted"
    a1 = next(d for d in document["devices"] if d["name"] == "a1")
    assert a1["status"] == "interrupted"
    assert any(line.strip() == "no inspect esmtp" for line in a1["commands"])
    _release(lab)  # the held line is carried out on the unit all the same
    # a fix that landed and was not saved is `unsaved`, never `compliant`
    after = {
        "mid-send": "unsaved",
        "after-verify-before-save": "compliant",
        "after-save": "compliant",
    }
    assert _audit(lab, tmp_path)["a1"] == after[step]
    shown = _shown(lab, tmp_path, run)
    assert "a1: interrupted" in shown and f"pixfix rollback {run}" in shown
    assert "a2: not-started" in shown
    assert _rolled_back(lab, tmp_path, run)["a1"] in ("restored", "already-restored")
    assert _audit(lab, tmp_path) == dict.fromkeys(UNITS, "exposed")


def test_after_kill_9_show_names_the_device_in_flight_and_rollback_undoes_it(
    lab_factory: Any, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path, STEPS["after-verify-before-save"][0])
    apply = _start_apply(lab, tmp_path, _planned(lab, tmp_path))
    _wait_held(lab, apply)
    apply.kill()
    apply.communicate(timeout=30)
    _release(lab)  # `write memory` reached the unit before the kill: it saves
    run = _run_dir(tmp_path)
    assert json.loads((run / "result.json").read_text())["status"] == "running"
    shown = _shown(lab, tmp_path, run)
    assert "status: stopped" in shown
    assert "a1: interrupted" in shown and "a2: not-started" in shown
    assert _audit(lab, tmp_path) == {"a1": "compliant", "a2": "exposed", "a3": "exposed"}
    assert _rolled_back(lab, tmp_path, run) == {
        "a1": "restored",
        "a2": "nothing-to-do",
        "a3": "nothing-to-do",
    }
    assert _audit(lab, tmp_path) == dict.fromkeys(UNITS, "exposed")
