"""plan -> approve -> apply -> rollback against the default lab fleet, over SSH and telnet.

One lab for the module (on free ports, a lab minute of 30 s so that a dead-man timer of 2
minutes outlasts the change, boots of 1 s). The tests run in file order and build on each
other: refusals first (nothing touched), a dry run, the apply (every exposed active device
fixed, verified, saved; the standby and the clean devices untouched), a second apply (already
compliant, nothing sent), the rollback (original findings back) and a second rollback (a no-op),
tune mode, then drift and someone else's unsaved edits, and last the planted-secret check over
everything pixfix printed or wrote.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from labtools import run_pixfix

from pixfix.audit.live import CollectOptions, collect_host
from pixfix.inventory.load import Host, load_inventory
from pixfix.model import Finding, Status
from pixfix.probe.classify import Verdict
from pixfix.probe.smtp import probe
from pixfix.probe.target import Target
from pixfix.transport.connect import open_session, show

pytestmark = pytest.mark.timeout(300)

PASSWORDS = ("labpass-7f3a", "labenable-92ce")
CHANGED = ("lab-pix41", "lab-pix63", "lab-pix70", "lab-asa84", "lab-asa98-iface", "lab-fwsm31")
UNTOUCHED = ("lab-pix63-clean", "lab-asa916-clean", "lab-asa918-tuned")
# exposed standbys whose active unit is not in the inventory: left as they are, said so (exit 1)
LEFT = ("lab-asa-standby", "lab-asa-aa/dmz")
ASA_SINGLE = ("lab-asa84", "lab-asa98-iface")  # where a dead-man timer may be armed
OUTPUTS: list[str] = []  # everything pixfix printed in this module (for the secret check)


class Work:
    """The lab, a working folder, and a way to run pixfix (apply and rollback included)."""

    def __init__(self, lab: Any, folder: Path) -> None:
        self.lab = lab
        self.folder = folder
        self.runs = folder / "runs"

    def pixfix(self, *args: str | Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        done = run_pixfix(*args, folder=self.folder, lab_dir=self.lab.state_dir, timeout=timeout)
        OUTPUTS.append(done.stdout + done.stderr)
        return done

    def plan(self, name: str, *extra: str) -> Path:
        done = self.pixfix("plan", "-i", self.lab.inventory, "--out", name, "-q", *extra)
        assert done.returncode == 0, done.stderr
        return self.folder / name

    def approve(self, plan: Path, by: str = "ann") -> None:
        assert self.pixfix("approve", plan, "--by", by).returncode == 0

    def apply(self, plan: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
        done = self.pixfix("apply", plan, "--out", self.runs, "-q", "--timeout", "10", *extra)
        return done, self.newest_run()

    def rollback(self, run: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
        done = self.pixfix("rollback", run, "--out", self.runs, "-q", "--timeout", "10", *extra)
        return done, self.newest_run()

    def newest_run(self) -> Path:
        runs = sorted(self.runs.iterdir()) if self.runs.exists() else []
        return runs[-1] if runs else self.runs / "none"

    def host(self, name: str) -> Host:
        return next(h for h in load_inventory(self.lab.inventory).hosts if h.name == name)

    def audit(self, name: str) -> dict[str | None, Any]:
        found = collect_host(self.host(name), CollectOptions(timeout=15))
        return {c.result.context: c.result for c in found}


@pytest.fixture(scope="module")
def work(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Work:
    lab = lab_factory("--minute-seconds", "30", "--boot-seconds", "1")
    return Work(lab, tmp_path_factory.mktemp("apply"))


@pytest.fixture(scope="module")
def baseline(work: Work) -> dict[tuple[str, str | None], Any]:
    """Every device's audit before anything is applied."""
    names = [*CHANGED, *UNTOUCHED, "lab-asa-multi"]
    return {(n, ctx): r for n in names for ctx, r in work.audit(n).items()}


@pytest.fixture(scope="module")
def plan(work: Work, baseline: Any) -> Path:
    made = work.plan("plan")
    work.approve(made)
    return made


def statuses(run: Path) -> dict[str, str]:
    document = json.loads((run / "result.json").read_text())
    return {
        d["name"] + (f"/{d['context']}" if d["context"] else ""): d["status"]
        for d in document["devices"]
    }


def keys(findings: tuple[Finding, ...]) -> Counter[tuple[object, ...]]:
    return Counter((f.line, f.kind, f.ports, f.policy, f.class_name, f.map_name) for f in findings)


def config_sessions(work: Work) -> dict[str, int]:
    return {name: s["config_sessions"] for name, s in work.lab.status().items()}


# ---- refused: nothing touched ----------------------------------------------------------------


def test_refusals_touch_nothing(work: Work, plan: Path) -> None:
    unsigned = work.plan("plan-unsigned")
    done, _ = work.apply(unsigned, "--yes", "--window", "now/PT2H")
    assert done.returncode == 2 and "not approved" in done.stderr
    work.approve(unsigned)
    plan_json = unsigned / "plan.json"
    plan_json.write_text(plan_json.read_text().replace("no fixup", "fixup"))
    done, _ = work.apply(unsigned, "--yes", "--window", "now/PT2H")
    assert done.returncode == 2 and "changed since ann approved it" in done.stderr
    done, _ = work.apply(plan, "--yes", "--window", "now/PT2H", "--require-approvals", "2")
    assert done.returncode == 2 and "2 required" in done.stderr
    done, _ = work.apply(plan, "--window", "now/PT2H")  # stdin is not a terminal
    assert done.returncode == 2 and "--yes" in done.stderr
    assert not work.runs.exists()
    done, run = work.apply(plan, "--yes")  # the lab inventory has no change windows
    found = set(statuses(run).values())
    assert done.returncode == 1 and found == {"no-window", "nothing-to-do", "left-exposed"}
    done, run = work.apply(plan, "--yes", "--window", "2020-01-01T00:00Z/PT2H")
    assert done.returncode == 1
    assert set(statuses(run).values()) == {"outside-window", "nothing-to-do", "left-exposed"}
    assert set(config_sessions(work).values()) == {0}


def test_dry_run_enters_no_configuration_mode(work: Work, plan: Path) -> None:
    done, run = work.apply(plan, "--dry-run", "--window", "now/PT2H", "--confirm-minutes", "2")
    assert done.returncode == 1, done.stdout + done.stderr  # the standbys left exposed
    assert {statuses(run)[n] for n in CHANGED} == {"would-apply"}
    assert "would send: reload in 2" in done.stdout  # the ASA that would get a timer
    assert "would send:   no inspect esmtp" in done.stdout
    assert set(config_sessions(work).values()) == {0}


# ---- apply, again, rollback, again ----------------------------------------------------------


def test_apply_fixes_every_exposed_active_device_and_saves_it(
    work: Work, plan: Path, baseline: Any
) -> None:
    done, run = work.apply(
        plan, "--yes", "--window", "now/PT2H", "--confirm-minutes", "2", "--workers", "8"
    )
    assert done.returncode == 1, done.stdout + done.stderr  # only because of LEFT
    found = statuses(run)
    assert {found[n] for n in CHANGED} == {"applied"} and found["lab-asa-multi/mail"] == "applied"
    assert {found[n] for n in UNTOUCHED} == {"nothing-to-do"}
    assert {n for n, status in found.items() if status == "left-exposed"} == set(LEFT)
    assert found["lab-asa-pair-stby"] == "nothing-to-do"  # its active unit was applied
    assert (
        "left unfixed: lab-asa-aa/dmz (exposed standby; its active unit was not changed"
        in done.stdout
    )
    status = work.lab.status()
    assert {status[n]["saves"] for n in (*CHANGED, "lab-asa-multi")} == {1}
    assert {status[n]["config_sessions"] + status[n]["saves"] for n in UNTOUCHED} == {0}
    assert not any(s["reload_scheduled"] or s["modified"] for s in status.values())
    for name in CHANGED:
        assert work.audit(name)[None].status is Status.COMPLIANT, name
    assert work.audit("lab-asa-multi")["mail"].status is Status.COMPLIANT
    assert work.audit("lab-asa-standby")[None].status is Status.EXPOSED
    assert work.audit("lab-asa918-tuned")[None].status is Status.TUNED
    devices = {d["name"]: d for d in json.loads((run / "result.json").read_text())["devices"]}
    for name in ASA_SINGLE:
        timer = devices[name]["timer"]
        assert timer["armed_at"] and timer["cancelled"], timer
    assert devices["lab-pix63"]["timer"]["armed_at"] is None
    assert all(devices[n]["probe"]["agreement"] == "agrees" for n in CHANGED)


def test_the_probe_and_a_re_audit_agree(work: Work) -> None:
    for name in CHANGED:
        mx = work.host(name).mx
        assert mx is not None
        assert probe(Target(host=mx.host, port=mx.port), timeout=10).verdict is Verdict.CLEAN
    done = work.pixfix("audit", "-i", work.lab.inventory, "--probe", "--format", "json")
    devices = json.loads(done.stdout)["devices"]
    for device in devices:
        if device["name"] in CHANGED:
            assert device["status"] == "compliant"
            assert device["probe"]["agreement"] == "agrees", device


def test_no_reload_is_left_scheduled(work: Work) -> None:
    for name in ASA_SINGLE:
        with open_session(work.lab.params(name)) as session:
            assert "No reload is scheduled" in show(session, "show reload")


def test_second_apply_is_already_compliant_and_sends_nothing(work: Work, plan: Path) -> None:
    before = work.lab.status()
    done, run = work.apply(plan, "--yes", "--window", "now/PT2H")
    assert done.returncode == 1, done.stdout  # LEFT
    found = statuses(run)
    assert {found[n] for n in CHANGED} == {"already-compliant"}
    after = work.lab.status()
    assert all(
        after[n]["config_sessions"] == before[n]["config_sessions"]
        and after[n]["saves"] == before[n]["saves"]
        for n in after
    )


def test_rollback_brings_back_the_original_findings(work: Work, plan: Path, baseline: Any) -> None:
    applied = next(r for r in sorted(work.runs.iterdir()) if "applied" in statuses(r).values())
    done, run = work.rollback(applied, "--yes", "--window", "now/PT2H")
    assert done.returncode == 0, done.stdout + done.stderr
    found = statuses(run)
    assert {found[n] for n in CHANGED} == {"restored"}
    assert found["lab-asa-multi/mail"] == "restored"
    assert {found[n] for n in UNTOUCHED} == {"nothing-to-do"}
    for name in (*CHANGED, "lab-asa-multi"):
        for context, result in work.audit(name).items():
            assert keys(result.findings) == keys(baseline[(name, context)].findings), name
    status = work.lab.status()
    assert {status[n]["saves"] for n in (*CHANGED, "lab-asa-multi")} == {2}
    assert not any(s["reload_scheduled"] or s["modified"] for s in status.values())
    again, second = work.rollback(applied, "--yes", "--window", "now/PT2H")
    assert again.returncode == 0
    assert {statuses(second)[n] for n in CHANGED} == {"already-restored"}


def test_tune_mode_end_to_end(work: Work) -> None:
    tune = work.plan("plan-tune", "--mode", "tune")
    work.approve(tune)
    done, run = work.apply(tune, "--yes", "--window", "now/PT2H", "--workers", "8")
    assert done.returncode == 1, done.stdout + done.stderr  # LEFT
    for name in ("lab-asa84", "lab-asa98-iface"):
        assert work.audit(name)[None].status is Status.TUNED, name
    assert work.audit("lab-asa-multi")["mail"].status is Status.TUNED
    assert work.audit("lab-pix63")[None].status is Status.COMPLIANT  # PIX 6: disable instead
    back, _ = work.rollback(run, "--yes", "--window", "now/PT2H", "--workers", "8")
    assert back.returncode == 0, back.stdout + back.stderr
    assert work.audit("lab-asa84")[None].status is Status.EXPOSED


# ---- someone else's changes -----------------------------------------------------------------


def _type(work: Work, name: str, lines: list[str]) -> None:
    with open_session(work.lab.params(name)) as session:
        for line in lines:
            session.send_command(line, expect_string=r"#\s*$")


def test_drift_and_unsaved_edits_are_left_alone(work: Work) -> None:
    _type(work, "lab-pix63", ["configure terminal", "logging timestamp", "exit"])  # not saved
    fresh = work.plan("plan-3")
    work.approve(fresh)
    _type(work, "lab-asa84", ["configure terminal", "logging timestamp", "end", "write memory"])
    before = work.lab.status()
    done, run = work.apply(
        fresh, "--yes", "--window", "now/PT2H", "--limit", "lab-asa84", "--limit", "lab-pix63"
    )
    assert done.returncode == 1, done.stdout
    assert statuses(run) == {"lab-asa84": "drifted", "lab-pix63": "unsaved-changes"}
    assert "+logging timestamp" in done.stdout  # the difference is shown
    after = work.lab.status()
    for name in ("lab-asa84", "lab-pix63"):
        assert after[name]["config_sessions"] == before[name]["config_sessions"]
        assert after[name]["saves"] == before[name]["saves"]
    assert after["lab-pix63"]["modified"] is True  # their edit is still unsaved


def test_a_plan_with_reload_reloads_after_the_save(work: Work) -> None:
    reloading = work.plan("plan-reload", "--reload", "now", "--limit", "lab-asa98-iface")
    work.approve(reloading)
    done, run = work.apply(reloading, "--yes", "--window", "now/PT2H")
    assert done.returncode == 0, done.stdout + done.stderr
    assert statuses(run) == {"lab-asa98-iface": "applied"}
    status = work.lab.status()["lab-asa98-iface"]
    assert status["reloads"] == 1 and not status["reload_scheduled"] and not status["modified"]
    assert work.audit("lab-asa98-iface")[None].status is Status.COMPLIANT


# ---- last: the planted secrets --------------------------------------------------------------


def test_no_file_written_and_nothing_printed_holds_a_password(work: Work) -> None:
    written = [
        p
        for folder in (work.runs, *work.folder.glob("plan*"))
        for p in folder.rglob("*")
        if p.is_file()
    ]
    assert len(written) > 20
    for path in written:
        text = path.read_text(errors="replace")
        assert not any(secret in text for secret in PASSWORDS), path
    assert OUTPUTS and not any(secret in out for out in OUTPUTS for secret in PASSWORDS)
