"""Lab faults during `pixfix apply`: never a device half-changed and saved.

One lab (on free ports) of exposed devices with faults (a devices file), a lab minute of
1 s and boots of 1 s so that a dead-man timer fires within seconds. Each fault must end
`rolled-back`, `reverted`, or an `error` that sent nothing; none may be saved, and each device
must show its original SMTP inspection with nothing left unsaved afterwards.
"""

from __future__ import annotations

import json
import re
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import run_pixfix

pytestmark = pytest.mark.timeout(300)

PASSWORDS = ("labpass-7f3a", "labenable-92ce")
ASA = {"software": "ASA 8.4(7)", "transport": "ssh", "config": "lab-asa84.cfg"}
PIX = {"software": "PIX 6.3(5)", "transport": "telnet", "config": "lab-pix63.cfg"}
DEVICES: dict[str, dict[str, Any]] = {
    "x-drop": {**ASA, "faults": {"drop_after_config": 3}},
    "x-drop-pix": {**PIX, "faults": {"drop_after_config": 2}},
    "x-deadman": {**ASA, "faults": {"drop_after_config": 3}},
    "x-writefails": {**ASA, "faults": {"write_fails": True}},
    "x-slow": {**ASA, "faults": {"slow_ms": 1200}},
    "x-badcreds": ASA,  # refused by the inventory given to apply (wrong password)
    "x-failover": {**ASA, "failover": "active", "faults": {"failover_after_config": 2}},
    "x-failover-pix": {**PIX, "failover": "active", "faults": {"failover_after_config": 2}},
    "x-reporting": {**ASA, "reporting_prompt": True},
    "x-unauthorized": {**ASA, "faults": {"unauthorized_command": "no inspect esmtp"}},
    "x-replication": {**ASA, "failover": "active", "faults": {"replication_after_save": True}},
    "x-reload-asks": {**ASA, "faults": {"reload_question": "Reload the mate too? [Y]es/[N]o: "}},
}
OUTPUTS: list[str] = []


def _devices_file(folder: Path) -> Path:
    (folder / "configs").mkdir()
    specs = []
    for name, spec in DEVICES.items():
        source = spec["config"]
        text = resources.files("pixfix.lab").joinpath("configs", source).read_text()
        (folder / "configs" / f"{name}.cfg").write_text(
            re.sub(r"(?m)^hostname \S+", f"hostname {name}", text)
        )
        fields = {k: v for k, v in spec.items() if k != "config"}
        specs.append({"name": name, **fields, "startup_config": f"configs/{name}.cfg"})
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": specs}, sort_keys=False))
    return path


class Faulty:
    def __init__(self, lab: Any, folder: Path) -> None:
        self.lab = lab
        self.folder = folder
        self.runs = folder / "runs"

    def pixfix(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        done = run_pixfix(*args, folder=self.folder, lab_dir=self.lab.state_dir)
        OUTPUTS.append(done.stdout + done.stderr)
        return done

    def apply(self, *args: str | Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        done = self.pixfix(
            "apply", self.folder / "plan", "--out", self.runs, "--yes", "-q",
            "--window", "now/PT2H", "--max-failures", "99", *args,
        )  # fmt: skip
        newest = sorted(self.runs.iterdir())[-1]
        document = json.loads((newest / "result.json").read_text())
        return done, {d["name"]: d for d in document["devices"]}


@pytest.fixture(scope="module")
def faulty(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Faulty:
    folder = tmp_path_factory.mktemp("apply-faults")
    devices = _devices_file(folder)
    lab = lab_factory(
        "--devices-file", str(devices), "--minute-seconds", "1", "--boot-seconds", "1"
    )
    work = Faulty(lab, folder)
    planned = work.pixfix("plan", "-i", lab.inventory, "--out", "plan", "--timeout", "15", "-q")
    assert planned.returncode == 0, planned.stderr
    assert work.pixfix("approve", "plan", "--by", "ann").returncode == 0
    return work


@pytest.fixture(scope="module")
def before(faulty: Faulty) -> dict[str, dict[str, Any]]:
    return faulty.lab.status()


def assert_untouched_in_the_end(
    faulty: Faulty, before: dict[str, Any], name: str, record: dict[str, Any]
) -> None:
    """Original inspection, nothing saved, no reload pending; running equal to startup, or
    the record says why not (a line put back lands at the end of its block)."""
    now = faulty.lab.status()[name]
    assert now["saves"] == 0, now
    assert now["reload_scheduled"] is False, now
    assert now["smtp_inspection"] == before[name]["smtp_inspection"], now
    if now["modified"]:
        assert any("running now differs from startup" in n for n in record["notes"]), record


def test_the_plan_covers_every_faulty_device(faulty: Faulty, before: Any) -> None:
    plan = json.loads((faulty.folder / "plan" / "plan.json").read_text())
    assert {d["name"]: bool(d["commands"]) for d in plan["devices"]} == dict.fromkeys(DEVICES, True)
    assert {s["smtp_inspection"] for s in before.values()} == {"esmtp-default", "pix-fixup"}


def test_faults_during_the_change_are_rolled_back(faulty: Faulty, before: Any) -> None:
    names = ("x-drop", "x-drop-pix", "x-writefails")
    done, found = faulty.apply(*[arg for n in names for arg in ("--limit", n)], "--workers", "5")
    assert done.returncode == 1, done.stdout + done.stderr
    assert {n: found[n]["status"] for n in names} == dict.fromkeys(names, "rolled-back")
    assert "session lost" in found["x-drop"]["reason"]
    assert "session lost" in found["x-drop-pix"]["reason"]
    assert "save failed" in found["x-writefails"]["reason"]
    for name in names:
        assert found[name]["saved"] is False
        assert_untouched_in_the_end(faulty, before, name, found[name])


def test_a_unit_that_failed_over_gets_nothing_more(faulty: Faulty) -> None:
    """A single unit that turns standby mid-change, reached again at its own address: its
    mate (active) has the change by replication, so no undo is typed into the standby (it
    would answer "Replication is NOT performed"); the record says where to finish by hand.
    Pairs, whose address moves to the new active unit, are rolled back there
    (test_failover_pair_lab.py)."""
    names = ("x-failover", "x-failover-pix")
    done, found = faulty.apply(*[arg for n in names for arg in ("--limit", n)], "--workers", "2")
    assert done.returncode == 3, done.stdout + done.stderr
    assert {n: found[n]["status"] for n in names} == dict.fromkeys(names, "needs-attention")
    assert "went standby" in found["x-failover"]["reason"]
    assert "standby now" in found["x-failover-pix"]["reason"]
    for name in names:
        device = found[name]
        assert "nothing is sent to it" in device["reason"] and device["saved"] is False
        sent = device["commands"]  # the change up to the failover, and no undo line after it
        assert sent and sent == device["plan"]["commands"][: len(sent)]
        assert "connect to the active unit" in device["manual"][0]


def test_a_lost_session_under_a_dead_man_timer_reverts_by_itself(
    faulty: Faulty, before: Any
) -> None:
    done, found = faulty.apply("--limit", "x-deadman", "--confirm-minutes", "2", "--timeout", "6")
    device = found["x-deadman"]
    assert done.returncode == 1, done.stdout + done.stderr
    assert device["status"] == "reverted", device
    assert device["timer"]["armed_at"] and not device["timer"]["cancelled"]
    assert not any(line.strip() == "inspect esmtp" for line in device["commands"])  # no undo
    assert faulty.lab.status()["x-deadman"]["reloads"] == 1
    assert_untouched_in_the_end(faulty, before, "x-deadman", device)


def test_a_device_slower_than_the_timeout_is_an_error_that_sent_nothing(
    faulty: Faulty, before: Any
) -> None:
    done, found = faulty.apply("--limit", "x-slow", "--timeout", "1")
    assert done.returncode == 3
    assert found["x-slow"]["status"] == "error" and found["x-slow"]["commands"] == []
    assert faulty.lab.status()["x-slow"]["config_sessions"] == 0
    assert_untouched_in_the_end(faulty, before, "x-slow", found["x-slow"])


def test_wrong_credentials_are_an_error_that_sent_nothing(faulty: Faulty, before: Any) -> None:
    wrong = faulty.lab.inventory.parent / "wrong.yaml"  # beside its known-hosts file
    wrong.write_text(faulty.lab.inventory.read_text().replace("labpass-7f3a", "not-the-password"))
    done, found = faulty.apply("--limit", "x-badcreds", "-i", wrong)
    assert done.returncode == 3
    device = found["x-badcreds"]
    assert device["status"] == "error" and "authentication failed" in device["reason"]
    assert device["commands"] == []
    assert faulty.lab.status()["x-badcreds"]["logins"] == before["x-badcreds"]["logins"]
    assert "not-the-password" not in done.stdout + done.stderr
    assert_untouched_in_the_end(faulty, before, "x-badcreds", device)


def test_no_file_written_and_nothing_printed_holds_a_password(faulty: Faulty) -> None:
    for path in (faulty.folder / "runs").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert not any(secret in text for secret in (*PASSWORDS, "not-the-password")), path
    assert not any(secret in out for out in OUTPUTS for secret in PASSWORDS)


def test_the_anonymous_reporting_question_is_answered_ask_later(
    faulty: Faulty, before: Any
) -> None:
    """An ASA 8.4+ asks it after its first `(config)#` prompt: a client that missed it would
    type its next line as the answer, and the change would not be what was planned."""
    done, found = faulty.apply("--limit", "x-reporting")
    device = found["x-reporting"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert device["status"] == "applied", device
    assert any("call-home reporting anonymous prompt 2" in n for n in device["notes"]), device
    run = sorted(faulty.runs.iterdir())[-1]
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    asked = [
        e
        for e in log
        if e.get("command") == "configure terminal" and "[A]sk later" in str(e.get("reply"))
    ]
    assert asked and "A" in asked[0]["reply"].split("[A]sk later:", 1)[1]
    status = faulty.lab.status()["x-reporting"]
    assert status["saves"] == 1 and status["reloads"] == 0 and not status["reload_scheduled"]
    assert status["smtp_inspection"] == "none"


def test_command_authorization_failed_is_a_refused_line(faulty: Faulty, before: Any) -> None:
    done, found = faulty.apply("--limit", "x-unauthorized")
    device = found["x-unauthorized"]
    assert done.returncode == 1, done.stdout + done.stderr
    assert device["status"] == "rolled-back", device
    assert "Command authorization failed" in device["reason"]
    assert_untouched_in_the_end(faulty, before, "x-unauthorized", device)


def test_replication_text_after_a_save_does_not_undo_a_good_change(
    faulty: Faulty, before: Any
) -> None:
    """The mate rejoins as the save ends: replication text follows the prompt in the same read."""
    done, found = faulty.apply("--limit", "x-replication")
    device = found["x-replication"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert device["status"] == "applied" and device["saved"] is True, device
    status = faulty.lab.status()["x-replication"]
    assert status["saves"] == 1 and status["smtp_inspection"] == "none"


def test_a_reload_that_asks_something_unknown_does_not_happen_and_says_so(
    faulty: Faulty, before: Any
) -> None:
    """The change is saved and verified; the plan's reload asks a question pixfix has no
    answer for: nothing is typed, the record says the reload did not happen, exit 1."""
    planned = faulty.pixfix("plan", "-i", faulty.lab.inventory, "--out", "plan-reload",
                            "--limit", "x-reload-asks", "--reload", "now", "-q")  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert faulty.pixfix("approve", "plan-reload", "--by", "ann").returncode == 0
    done = faulty.pixfix("apply", faulty.folder / "plan-reload", "--out", faulty.runs, "--yes",
                         "-q", "--window", "now/PT2H")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    run = sorted(faulty.runs.iterdir())[-1]
    device = json.loads((run / "result.json").read_text())["devices"][0]
    assert device["status"] == "applied" and "reload-not-done" in device["warnings"], device
    assert any("reload did not happen" in note for note in device["notes"]), device
    status = faulty.lab.status()["x-reload-asks"]
    assert status["saves"] == 1 and status["reloads"] == 0
