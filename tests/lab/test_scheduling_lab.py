"""docs/scheduling.md's jobs, as the page writes them, run with the real pixfix against the lab.

Two nights: the first finds one exposed unit (a known exposure: no job fails), then one unit is
fixed by hand and SMTP inspection is put back on another; the second night every job fails on
the regression (exit 4) and shows it. Each job runs the way its scheduler would: the systemd
unit's Exec lines with its EnvironmentFile= and Environment=, the crontab line through `sh`, the
playbook through `ansible-playbook` on localhost, the GitLab script through one `bash -e`, the
GitHub steps through GitHub's bash. The documented paths are moved into a folder per job (so each
has its own inventory scope and history); the commands stay as written.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from labtools import units_file

from pixfix.transport.connect import open_session

pytestmark = pytest.mark.timeout(300)


def _doc_checks() -> ModuleType:
    """tests/unit/test_scheduling_docs.py: it reads the examples from the page."""
    path = Path(__file__).resolve().parents[1] / "unit" / "test_scheduling_docs.py"
    spec = importlib.util.spec_from_file_location("scheduling_doc_checks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _doc_checks()
BIN = Path(sys.executable).parent
CONFIGS = resources.files("pixfix.lab").joinpath("configs")
UNITS = {  # name: (software, startup configuration)
    "fw-fix": ("ASA 9.8(4)", "lab-asa84.cfg"),  # exposed: fixed by hand after night 1
    "fw-regress": ("ASA 9.16(4)", "lab-asa916-clean.cfg"),  # compliant: inspection put back
}
CLASS = ["configure terminal", "policy-map global_policy", "class inspection_default"]
BY_HAND = {
    "fw-fix": [*CLASS, "no inspect esmtp", "end", "write memory"],
    "fw-regress": [*CLASS, "inspect esmtp", "end", "write memory"],
}
TIMEOUT = 240


@dataclass
class Night:
    """What one scheduled run left: did the scheduler see a failure, what would reach a person
    (a cron mail, a job log), and the audit's `since` object."""

    failed: bool
    said: str
    since: dict[str, Any]
    detail: dict[str, Any] = field(default_factory=dict)


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


class Fleet:
    """The lab's two units, described as each scheduler's inventory would describe them."""

    def __init__(self, lab: Any) -> None:
        self.lab = lab
        defaults = yaml.safe_load(lab.inventory.read_text())["defaults"]
        self.credentials = {
            "PIXFIX_USERNAME": defaults["username"],
            "PIXFIX_PASSWORD": defaults["password"],
            "PIXFIX_SECRET": defaults["secret"],
        }

    def pixfix_inventory(self, path: Path) -> None:
        """pixfix's own format, without credentials (they come from the environment)."""
        hosts = {n: {"host": h["host"], "port": h["port"]} for n, h in self.lab.hosts.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"hosts": hosts}), encoding="utf-8")

    def ansible_inventory(self, folder: Path) -> None:
        """The team's Ansible inventory: a `firewalls` group, with its group_vars."""
        hosts = {
            n: {"ansible_host": h["host"], "ansible_port": h["port"]}
            for n, h in self.lab.hosts.items()
        }
        (folder / "group_vars").mkdir(parents=True)
        (folder / "hosts.yml").write_text(
            yaml.safe_dump({"all": {"children": {"firewalls": {"hosts": hosts}}}}),
            encoding="utf-8",
        )
        (folder / "group_vars/firewalls.yml").write_text(
            "ansible_network_os: cisco.asa.asa\n", encoding="utf-8"
        )
        shutil.copy(self.lab.known_hosts, folder / "known_hosts")

    def env_file(self, path: Path) -> None:
        text = "".join(f"{name}='{value}'\n" for name, value in self.credentials.items())
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)


def _localised_root(root: Path, fleet: Fleet) -> None:
    """Where `docs._localise` puts /etc/pixfix, /opt/pixfix/bin/pixfix and /var/lib/pixfix."""
    for folder in ("etc", "state", "textfile", "opt"):
        (root / folder).mkdir(parents=True)
    (root / "opt/pixfix").symlink_to(BIN / "pixfix")
    fleet.pixfix_inventory(root / "etc/inventory.yaml")
    shutil.copy(fleet.lab.known_hosts, root / "etc/known_hosts")
    fleet.env_file(root / "etc/pixfix.env")


def _since(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return report["since"]  # type: ignore[no-any-return]


def systemd_night(root: Path) -> Night:
    """pixfix-audit.service as systemd runs it: ExecStart, then every ExecStopPost."""
    unit = docs.examples()["/etc/systemd/system/pixfix-audit.service"]
    env = {"PATH": "/usr/bin:/bin"}
    for path in docs._unit_values(unit, "EnvironmentFile"):
        for line in Path(docs._localise(path, root)).read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            env[name] = value.strip("'")
    for assignment in docs._unit_values(unit, "Environment"):
        name, _, value = docs._localise(assignment, root).partition("=")
        env[name] = value
    cwd = Path(docs._localise(docs._unit_values(unit, "WorkingDirectory")[0], root))
    success = {0, *map(int, docs._unit_values(unit, "SuccessExitStatus")[0].split())}
    said, codes = [], []
    for key in ("ExecStart", "ExecStopPost"):
        for line in docs._unit_values(unit, key):
            done = _run(shlex.split(docs._localise(line, root)), env, cwd)
            codes.append(done.returncode)
            said.append(done.stdout + done.stderr)
    failed = codes[0] not in success or any(codes[1:])
    detail = {"codes": codes, "dashboard": (root / "state/fleet.html").exists()}
    return Night(failed, "".join(said), _since(root / "state/last-audit.json"), detail)


def cron_night(root: Path) -> Night:
    nightly = docs._localise(docs.crontab_jobs()[0][1], root)
    done = _run(["/bin/sh", "-c", nightly], {"PATH": "/usr/bin:/bin", "HOME": str(root)}, root)
    mail = done.stdout + done.stderr
    detail = {"dashboard": (root / "state/fleet.html").exists()}
    # cron never fails a job: what it mails is the signal
    return Night(bool(mail), mail, _since(root / "state/last-audit.json"), detail)


def awx_night(root: Path, fleet: Fleet) -> Night:
    tool = docs._require("ansible-playbook")
    playbook = root / "project/pixfix-audit.yml"
    if not playbook.exists():
        fleet.ansible_inventory(root / "project/inventory")
        playbook.write_text(docs.examples()["pixfix-audit.yml"], encoding="utf-8")
        (root / "state").mkdir()
        (root / "runner.ini").write_text(
            f"pixfix_runner ansible_connection=local ansible_python_interpreter={sys.executable}\n",
            encoding="utf-8",
        )
    extra = {
        "pixfix_bin": str(BIN / "pixfix"),
        "pixfix_state": str(root / "state"),
        "pixfix_known_hosts": str(root / "project/inventory/known_hosts"),
    }
    env = docs._ansible_env(root) | fleet.credentials  # as the AWX credential injects them
    args = [tool, "-i", str(root / "runner.ini"), "-e", json.dumps(extra), str(playbook)]
    done = _run(args, env, root)
    detail = {"dashboard": (root / "state/fleet.html").exists()}
    since = _since(root / "state/last-audit.json")
    return Night(done.returncode != 0, done.stdout + done.stderr, since, detail)


def _ci_root(root: Path, fleet: Fleet) -> Path:
    checkout = root / "checkout"
    if not checkout.exists():
        fleet.ansible_inventory(checkout / "inventory")
        (root / "state").mkdir()
        (root / "opt").mkdir()
        (root / "opt/pixfix").symlink_to(BIN / "pixfix")
    return checkout


def gitlab_night(root: Path, fleet: Fleet) -> Night:
    job = yaml.safe_load(docs.examples()[".gitlab-ci.yml"])["pixfix-audit"]
    checkout = _ci_root(root, fleet)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root)} | fleet.credentials
    env |= {name: docs._localise(value, root) for name, value in job["variables"].items()}
    script = "\n".join(docs._localise(line, root) for line in job["script"])
    done = _run(["bash", "-eo", "pipefail", "-c", script], env, checkout)
    after = "\n".join(docs._localise(line, root) for line in job["after_script"])
    after_done = _run(["bash", "-c", after], env, checkout)
    warned = done.returncode in job["allow_failure"]["exit_codes"]
    junit = (checkout / "report.xml").read_text(encoding="utf-8")
    detail = {
        "code": done.returncode,
        "warned": warned,
        "junit_failures": junit.count("<failure"),
        "dashboard": after_done.returncode == 0 and (checkout / "fleet.html").exists(),
    }
    # the JUnit report carries no `since`; the job's status is the signal
    failed = done.returncode != 0 and not warned
    return Night(failed, done.stdout + done.stderr + after_done.stderr, {}, detail)


def github_night(root: Path, fleet: Fleet) -> Night:
    workflow = yaml.safe_load(docs.examples()[".github/workflows/pixfix-audit.yml"])
    job = workflow["jobs"]["audit"]
    checkout = _ci_root(root, fleet)
    outputs = root / "github_output"
    outputs.write_text("", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(outputs)}
    env |= {name: docs._localise(value, root) for name, value in job["env"].items()}
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
    said = []
    for step in job["steps"]:
        if "run" not in step:
            continue  # the actions: checkout, upload, JUnit check (not runnable here)
        step_env = env | (fleet.credentials if step.get("id") == "audit" else {})
        if "RC" in step.get("env", {}):
            written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
            step_env["RC"] = written.get("rc", "")
        done = _run([*bash, docs._localise(step["run"], root)], step_env, checkout)
        said.append(done.stdout + done.stderr)
        last = done.returncode
    detail = {"code": last, "dashboard": (checkout / "fleet.html").exists()}
    return Night(last != 0, "".join(said), {}, detail)


@dataclass
class Nights:
    jobs: dict[str, list[Night]]  # job -> [night 1, night 2]
    password: str  # the lab's, which no job may print


@pytest.fixture(scope="module")
def nights(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Nights:
    folder = tmp_path_factory.mktemp("scheduling")
    lab = lab_factory("--devices-file", str(units_file(folder, UNITS)))
    fleet = Fleet(lab)
    for name in ("systemd", "cron"):
        _localised_root(folder / name, fleet)
    jobs = {
        "systemd": lambda: systemd_night(folder / "systemd"),
        "cron": lambda: cron_night(folder / "cron"),
        "awx": lambda: awx_night(folder / "awx", fleet),
        "gitlab": lambda: gitlab_night(folder / "gitlab", fleet),
        "github": lambda: github_night(folder / "github", fleet),
    }
    seen: dict[str, list[Night]] = {name: [] for name in jobs}
    for name, job in jobs.items():
        seen[name].append(job())
    for name, lines in BY_HAND.items():
        with open_session(lab.params(name)) as device:
            for line in lines:
                device.send_command(line, expect_string=r"#\s*$")
    for name, job in jobs.items():
        seen[name].append(job())
    return Nights(jobs=seen, password=fleet.credentials["PIXFIX_PASSWORD"])


JOBS = ("systemd", "cron", "awx", "gitlab", "github")


@pytest.mark.parametrize("job", JOBS)
def test_a_known_exposure_fails_no_job_and_a_regression_fails_every_job(
    nights: Nights, job: str
) -> None:
    first, second = nights.jobs[job]
    assert not first.failed, first.said
    assert second.failed, second.said
    assert first.detail["dashboard"] and second.detail["dashboard"]
    assert nights.password not in first.said + second.said


@pytest.mark.parametrize("job", ["systemd", "cron", "awx"])
def test_the_second_night_names_the_regression_and_the_fix(nights: Nights, job: str) -> None:
    first, second = nights.jobs[job]
    assert first.since["new"] == ["fw-fix", "fw-regress"] and first.since["regressions"] == []
    assert (second.since["regressions"], second.since["fixed"]) == (["fw-regress"], ["fw-fix"])
    assert second.since["lines"] == {"fw-regress": ["inspect esmtp"]}


def test_what_reaches_a_person(nights: Nights) -> None:
    jobs = nights.jobs
    assert jobs["cron"][0].said == ""  # a quiet night mails nothing
    assert "pixfix audit exited 4" in jobs["cron"][1].said
    assert "pixfix audit exited 4: a regression" in jobs["awx"][1].said
    assert "fw-regress" in jobs["awx"][1].said  # the `since` summary in the job log
    assert jobs["systemd"][0].detail["codes"][0] == 1
    assert jobs["systemd"][1].detail["codes"][0] == 4
    gitlab = [night.detail for night in jobs["gitlab"]]
    assert (gitlab[0]["code"], gitlab[0]["warned"]) == (1, True)  # passed with warnings
    assert (gitlab[1]["code"], gitlab[1]["warned"]) == (4, False)
    assert gitlab[0]["junit_failures"] >= 1  # the exposed unit is a failed test case
    github = [night.detail["code"] for night in jobs["github"]]
    assert github == [0, 4]
    assert "newly exposed" in jobs["github"][1].said
