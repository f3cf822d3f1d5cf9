"""docs/scheduling.md: every example is read from the page itself and checked here.

A fenced block right after a line "File: `NAME`" is the example NAME. The systemd units go
through `systemd-analyze verify` in a scratch root, the CI files through check-jsonschema's
vendored schemas, the playbook through `ansible-playbook` (syntax, then a run on localhost with
a stand-in pixfix), the crontab through a field parser and `sh`; every `pixfix ...` command on
the page must use only options the real CLI has.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from pixfix.cli import main as pixfix_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "scheduling.md"
BIN = Path(sys.executable).parent
TIMEOUT = 60  # seconds, for each external command

UNITS = (
    "/etc/systemd/system/pixfix-audit.service",
    "/etc/systemd/system/pixfix-audit.timer",
    "/etc/systemd/system/pixfix-metrics.service",
    "/etc/systemd/system/pixfix-metrics.timer",
)
EXPECTED = {
    *UNITS,
    "/etc/pixfix/pixfix.env",
    "crontab",
    "awx-credential-type-inputs.yml",
    "awx-credential-type-injectors.yml",
    "pixfix-audit.yml",
    ".gitlab-ci.yml",
    ".github/workflows/pixfix-audit.yml",
}
CREDENTIAL_VARS = ("PIXFIX_USERNAME", "PIXFIX_PASSWORD", "PIXFIX_SECRET")
FAKE_PASSWORD = "stand-in-pw"  # a made-up value that only the stand-in pixfix ever sees

_BLOCK = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.M | re.S)
_NAMED = re.compile(
    r"^File: `(?P<name>[^`]+)`\n```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.M | re.S
)


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def examples() -> dict[str, str]:
    """NAME -> the text of its block, for every named block of the page."""
    found: dict[str, str] = {}
    for match in _NAMED.finditer(_doc()):
        name = match["name"]
        assert name not in found, f"{name} is given twice in {DOC.name}"
        found[name] = match["body"]
    return found


def test_every_expected_example_is_there_and_every_config_block_is_named() -> None:
    named = examples()
    assert set(named) == EXPECTED
    named_bodies = set(named.values())
    for block in _BLOCK.finditer(_doc()):
        if block["body"] in named_bodies:
            continue
        # only shell commands (to type) may go unnamed: they are option-checked below
        assert block["lang"] == "sh", f"unnamed {block['lang']!r} block:\n{block['body']}"


# ---- a stand-in pixfix --------------------------------------------------------------------------

_STAND_IN = """#!{python}
# Stands in for pixfix: logs its arguments and what it got from the environment, writes the
# file that -o/--out names, and exits with STAND_IN_RC for an audit (0 for anything else).
import json, os, sys
args = sys.argv[1:]
record = {{"args": args, "env": {{k: os.environ.get(k) for k in {names!r}}}}}
with open(os.environ["STAND_IN_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(record) + "\\n")
for flag in ("-o", "--out"):
    if flag in args:
        with open(args[args.index(flag) + 1], "w", encoding="utf-8") as out:
            out.write(json.dumps({{"since": {{"regressions": ["fw-1"]}}}}))
sys.exit(int(os.environ.get("STAND_IN_RC", "0")) if args[:1] == ["audit"] else 0)
"""


def stand_in(path: Path) -> Path:
    names = ("PIXFIX_HISTORY", *CREDENTIAL_VARS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_STAND_IN.format(python=sys.executable, names=names), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def calls(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _require(tool: str) -> str:
    """The tool's path (this environment's own first); absent: a failure under CI, else a skip."""
    found = str(BIN / tool) if (BIN / tool).exists() else shutil.which(tool)
    if found is None:
        message = f"{tool} is not installed here"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must check this example)")
        pytest.skip(message)
    return found


# ---- systemd ------------------------------------------------------------------------------------


def _scratch_root(tmp_path: Path) -> Path:
    """A root with the units, the host's own system units, and a stand-in /opt/pixfix/bin/pixfix."""
    root = tmp_path / "root"
    unit_dir = root / "etc" / "systemd" / "system"
    unit_dir.mkdir(parents=True)
    named = examples()
    for unit in UNITS:
        (root / unit.lstrip("/")).write_text(named[unit], encoding="utf-8")
    for system_units in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if system_units.is_dir():  # sysinit.target, timers.target ... that the units pull in
            shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
            break
    stand_in(root / "opt/pixfix/bin/pixfix")
    return root


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = _require("systemd-analyze")
    root = _scratch_root(tmp_path)
    result = subprocess.run(
        [tool, "verify", f"--root={root}", "--man=no", "--generators=no", *UNITS],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    # verify exits 0 on unknown keys and bad values (it only warns): any output is a failure
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_systemd_verify_would_catch_a_missing_binary_and_a_bad_key(tmp_path: Path) -> None:
    """The check above is worth something: a broken copy of the service does fail it."""
    tool = _require("systemd-analyze")
    root = _scratch_root(tmp_path)
    service = root / UNITS[0].lstrip("/")
    service.write_text(
        service.read_text(encoding="utf-8").replace("ProtectHome=yes", "ProtectHome=banana"),
        encoding="utf-8",
    )
    (root / "opt/pixfix/bin/pixfix").unlink()
    result = subprocess.run(
        [tool, "verify", f"--root={root}", "--man=no", "--generators=no", UNITS[0]],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode != 0
    assert "not executable" in result.stderr
    assert "banana" in result.stderr


@pytest.mark.parametrize("service", [u for u in UNITS if u.endswith(".service")])
def test_services_are_hardened_to_systemds_ok_exposure(tmp_path: Path, service: str) -> None:
    """`systemd-analyze security` rates the sandbox from 0 (locked down) to 10; "OK" is below 2
    (`--threshold` counts in tenths). A later edit that drops the hardening fails here."""
    tool = _require("systemd-analyze")
    root = _scratch_root(tmp_path)
    result = subprocess.run(
        [tool, "security", "--offline=yes", f"--root={root}", "--threshold=20", service],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def _unit_values(text: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{key}=")]


def test_timers_calendar_expressions_parse() -> None:
    tool = _require("systemd-analyze")
    named = examples()
    for timer in (u for u in UNITS if u.endswith(".timer")):
        for spec in _unit_values(named[timer], "OnCalendar"):
            result = subprocess.run(
                [tool, "calendar", spec],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            assert result.returncode == 0, result.stderr


def test_services_run_unprivileged_and_treat_exit_codes_as_documented() -> None:
    named = examples()
    audit, metrics = named[UNITS[0]], named[UNITS[2]]
    for service in (audit, metrics):
        assert _unit_values(service, "User") == ["pixfix"]
        assert _unit_values(service, "EnvironmentFile") == ["/etc/pixfix/pixfix.env"]
        assert _unit_values(service, "NoNewPrivileges") == ["yes"]
        assert _unit_values(service, "ProtectSystem") == ["strict"]
        for line in _unit_values(service, "Environment"):
            assert not line.startswith(CREDENTIAL_VARS), "credentials belong in EnvironmentFile="
        for command in _unit_values(service, "ExecStart"):
            assert "--known-hosts" in command
            assert "--trust-new-keys" not in command
    # the audit: exit 1 (known exposure) succeeds; 2, 3 and 4 fail the unit
    assert _unit_values(audit, "SuccessExitStatus") == ["1"]
    assert "--since last" in _unit_values(audit, "ExecStart")[0]
    assert _unit_values(audit, "Environment") == ["PIXFIX_HISTORY=/var/lib/pixfix/history.sqlite"]
    # the metrics carry exposures and errors: only bad input fails; and they record no history
    assert _unit_values(metrics, "SuccessExitStatus") == ["1 3"]
    assert "PIXFIX_HISTORY" not in metrics and "--history" not in metrics


def test_credentials_file_holds_only_the_three_variables_single_quoted() -> None:
    lines = [line for line in examples()["/etc/pixfix/pixfix.env"].splitlines() if line]
    names = [line.split("=", 1)[0] for line in lines]
    assert names == list(CREDENTIAL_VARS)
    for line in lines:
        assert re.fullmatch(r"PIXFIX_[A-Z]+='[^']*'", line), line


# ---- cron ---------------------------------------------------------------------------------------

_RANGES = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "weekday": (0, 7)}
_NAMES = {
    "month": ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    "weekday": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}


def _cron_value(field: str, text: str) -> int:
    names = _NAMES.get(field, [])
    if text.lower() in names:
        return names.index(text.lower()) + (1 if field == "month" else 0)
    assert text.isdigit(), f"{field}: {text!r} is not a number"
    low, high = _RANGES[field]
    value = int(text)
    assert low <= value <= high, f"{field}: {value} outside {low}-{high}"
    return value


def parse_cron_field(field: str, text: str) -> set[int]:
    """The values one of the five time fields selects (lists, ranges, steps, names)."""
    low, high = _RANGES[field]
    selected: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        assert step >= 1, f"{field}: step {step_text!r}"
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first, last = (_cron_value(field, end) for end in span.split("-", 1))
        else:
            first = _cron_value(field, span)
            last = high if step_text else first
        assert first <= last, f"{field}: {span!r} runs backwards"
        selected.update(range(first, last + 1, step))
    return selected


def crontab_jobs() -> list[tuple[list[str], str]]:
    """(five time fields, command) for each job line of the crontab example."""
    jobs = []
    for line in examples()["crontab"].splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", line):
            continue  # a variable assignment
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not five time fields and a command: {line}"
        jobs.append((fields[:5], fields[5]))
    return jobs


def crontab_variables() -> dict[str, str]:
    found = {}
    for line in examples()["crontab"].splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_cron_lines_have_five_valid_time_fields() -> None:
    jobs = crontab_jobs()
    assert len(jobs) == 3
    schedules = []
    for fields, command in jobs:
        keys = ("minute", "hour", "day", "month", "weekday")
        schedules.append(
            [parse_cron_field(key, text) for key, text in zip(keys, fields, strict=True)]
        )
        assert "%" not in command, "cron turns % into a newline"
    nightly, monthly, metrics = schedules
    assert nightly[:2] == [{30}, {2}] and nightly[2] == set(range(1, 32))
    assert monthly[:3] == [{0}, {4}, {1}]
    assert metrics[:2] == [{0}, {0, 4, 8, 12, 16, 20}]


def test_cron_field_parser_refuses_what_cron_would() -> None:
    for field, text in (("minute", "60"), ("hour", "24"), ("day", "0"), ("month", "13")):
        with pytest.raises(AssertionError):
            parse_cron_field(field, text)
    assert parse_cron_field("hour", "*/4") == {0, 4, 8, 12, 16, 20}
    assert parse_cron_field("weekday", "mon-fri") == {1, 2, 3, 4, 5}


def _localise(text: str, tmp_path: Path) -> str:
    """The documented paths moved into the test's own folder (the commands stay as written)."""
    for path, here in (
        ("/opt/pixfix/bin/pixfix", tmp_path / "opt/pixfix"),
        ("/etc/pixfix", tmp_path / "etc"),
        ("/var/lib/node_exporter/textfile_collector", tmp_path / "textfile"),
        ("/var/lib/pixfix", tmp_path / "state"),
    ):
        text = text.replace(path, str(here))
    return text


@pytest.mark.parametrize("rc", [0, 1, 2, 3, 4])
def test_cron_lines_mail_only_for_exits_2_3_and_4(tmp_path: Path, rc: int) -> None:
    sh = _require("sh")
    stand_in(tmp_path / "opt/pixfix")
    for folder in ("etc", "state", "textfile"):
        (tmp_path / folder).mkdir()
    (tmp_path / "etc/pixfix.env").write_text(
        examples()["/etc/pixfix/pixfix.env"].replace(
            "replace with the firewall password", FAKE_PASSWORD
        ),
        encoding="utf-8",
    )
    log = tmp_path / "calls.jsonl"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STAND_IN_LOG": str(log)}
    env |= {k: _localise(v, tmp_path) for k, v in crontab_variables().items()}
    env["STAND_IN_RC"] = str(rc)
    nightly, prune, metrics = (_localise(command, tmp_path) for _, command in crontab_jobs())
    outputs = []
    for command in (nightly, prune, metrics):
        result = subprocess.run(
            [sh, "-c", command],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        outputs.append(result.stdout + result.stderr)
    mailed_nightly, mailed_prune, mailed_metrics = outputs
    assert (mailed_nightly != "") == (rc >= 2), mailed_nightly
    assert mailed_prune == ""
    assert (mailed_metrics != "") == (rc == 2), mailed_metrics
    seen = calls(log)
    commands = [call["args"][:2] for call in seen]  # type: ignore[index]
    assert [c[0] for c in commands] == ["audit", "report", "-q", "audit"]
    assert commands[2] == ["-q", "history"]  # quiet: the monthly prune mails nothing
    nightly_call, metrics_call = seen[0], seen[3]
    for call in (nightly_call, metrics_call):
        assert call["env"]["PIXFIX_PASSWORD"] == FAKE_PASSWORD  # type: ignore[index]
        assert call["env"]["PIXFIX_HISTORY"] is None  # type: ignore[index]
    assert "--history" in nightly_call["args"]  # type: ignore[operator]
    # the metrics audit records nothing: "since last" stays "since last night"
    assert "--history" not in metrics_call["args"]  # type: ignore[operator]
    assert (tmp_path / "state/last-audit.json").exists()


# ---- AWX / Ansible ------------------------------------------------------------------------------


def _ansible_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n", encoding="utf-8")
    home = tmp_path / "ansible-home"
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "ANSIBLE_CONFIG": str(config),
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(home / "remote"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_COLLECTIONS_PATH": str(home / "collections"),
        "LC_ALL": "C.UTF-8",
    }


def _playbook_dir(tmp_path: Path) -> tuple[Path, Path]:
    """The playbook beside an `inventory/` folder, as in the team's project; and an inventory
    for ansible itself that makes `pixfix_runner` this machine."""
    project = tmp_path / "project"
    (project / "inventory/group_vars").mkdir(parents=True)
    (project / "inventory/hosts.yml").write_text(
        "firewalls:\n  hosts:\n    fw-1:\n      ansible_host: 192.0.2.1\n", encoding="utf-8"
    )
    (project / "inventory/group_vars/firewalls.yml").write_text(
        "ansible_network_os: cisco.asa.asa\n", encoding="utf-8"
    )
    (project / "pixfix-audit.yml").write_text(examples()["pixfix-audit.yml"], encoding="utf-8")
    runner = tmp_path / "runner.ini"
    runner.write_text(
        f"pixfix_runner ansible_connection=local ansible_python_interpreter={sys.executable}\n",
        encoding="utf-8",
    )
    return project / "pixfix-audit.yml", runner


def test_playbook_passes_ansible_syntax_check(tmp_path: Path) -> None:
    tool = _require("ansible-playbook")
    playbook, runner = _playbook_dir(tmp_path)
    result = subprocess.run(
        [tool, "--syntax-check", "-i", str(runner), str(playbook)],
        env=_ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("rc", [1, 3, 4])
def test_playbook_run_passes_on_known_exposure_and_fails_on_3_and_4(
    tmp_path: Path, rc: int
) -> None:
    tool = _require("ansible-playbook")
    playbook, runner = _playbook_dir(tmp_path)
    pixfix = stand_in(tmp_path / "bin/pixfix")
    log = tmp_path / "calls.jsonl"
    state = tmp_path / "state"
    (state / "inventory").mkdir(parents=True)
    (state / "inventory/gone.yml").write_text("# last night's copy\n", encoding="utf-8")
    extra = {
        "pixfix_bin": str(pixfix),
        "pixfix_state": str(state),
        "pixfix_known_hosts": str(tmp_path / "known_hosts"),
    }
    env = _ansible_env(tmp_path) | {"STAND_IN_LOG": str(log), "STAND_IN_RC": str(rc)}
    # what the AWX credential would inject into ansible-playbook's environment
    env |= {"PIXFIX_USERNAME": "audit", "PIXFIX_PASSWORD": FAKE_PASSWORD, "PIXFIX_SECRET": ""}
    result = subprocess.run(
        [tool, "-i", str(runner), "-e", json.dumps(extra), str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )
    output = result.stdout + result.stderr
    assert (result.returncode == 0) == (rc == 1), output
    meaning = {3: "some device could not be audited", 4: "a regression"}
    if rc != 1:
        assert f"pixfix audit exited {rc}: {meaning[rc]}" in output
    assert "fw-1" in output  # the `since` summary is shown in the job output
    assert FAKE_PASSWORD not in output
    seen = calls(log)
    assert [call["args"][0] for call in seen] == ["audit", "report"]  # type: ignore[index]
    args = seen[0]["args"]
    # the same inventory path every night (the scope --since compares within), copied afresh
    assert args[args.index("-i") + 1] == str(state / "inventory/hosts.yml")  # type: ignore[union-attr]
    assert sorted(p.name for p in (state / "inventory").iterdir()) == ["group_vars", "hosts.yml"]
    assert args[args.index("--history") + 1] == str(state / "history.sqlite")  # type: ignore[union-attr]
    assert seen[1]["args"] == [
        "report",
        str(state / "history.sqlite"),
        "--out",
        str(state / "fleet.html"),
    ]
    assert seen[0]["env"] == {  # the credentials reached pixfix; the history is given as an option
        "PIXFIX_HISTORY": None,
        "PIXFIX_USERNAME": "audit",
        "PIXFIX_PASSWORD": FAKE_PASSWORD,
        "PIXFIX_SECRET": "",
    }


def test_awx_credential_type_injects_what_the_playbook_forwards() -> None:
    named = examples()
    inputs = yaml.safe_load(named["awx-credential-type-inputs.yml"])
    injectors = yaml.safe_load(named["awx-credential-type-injectors.yml"])
    fields = {field["id"]: field for field in inputs["fields"]}
    assert set(inputs["required"]) <= set(fields)
    assert fields["password"]["secret"] is True and fields["secret"]["secret"] is True
    assert set(injectors) == {"env"}
    for template in injectors["env"].values():
        field = re.fullmatch(r"\{\{ (\w+) \}\}", template)
        assert field is not None and field[1] in fields, template
    play = yaml.safe_load(named["pixfix-audit.yml"])[0]
    tasks = play["tasks"]
    audit = next(task for task in tasks if task.get("register") == "audit")
    forwarded = audit["environment"]
    assert set(forwarded) == set(injectors["env"]) == set(CREDENTIAL_VARS)
    for variable, value in forwarded.items():
        assert value == f"{{{{ lookup('ansible.builtin.env', '{variable}') }}}}"
    argv = audit["ansible.builtin.command"]["argv"]
    assert "--trust-new-keys" not in argv and "--known-hosts" in argv


# ---- CI -----------------------------------------------------------------------------------------


def _check_jsonschema(tmp_path: Path, name: str, schema: str) -> subprocess.CompletedProcess[str]:
    tool = _require("check-jsonschema")
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(examples()[name], encoding="utf-8")
    return subprocess.run(
        [tool, "--builtin-schema", schema, str(target)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_gitlab_ci_file_matches_the_gitlab_schema(tmp_path: Path) -> None:
    result = _check_jsonschema(tmp_path, ".gitlab-ci.yml", "vendor.gitlab-ci")
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflow_matches_the_github_schema(tmp_path: Path) -> None:
    result = _check_jsonschema(
        tmp_path, ".github/workflows/pixfix-audit.yml", "vendor.github-workflows"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    target = tmp_path / "broken.yml"
    broken = examples()[".github/workflows/pixfix-audit.yml"].replace("runs-on:", "run-on:")
    target.write_text(broken, encoding="utf-8")
    tool = _require("check-jsonschema")
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", str(target)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode != 0


def test_gitlab_job_fails_only_on_2_3_and_4() -> None:
    job = yaml.safe_load(examples()[".gitlab-ci.yml"])["pixfix-audit"]
    assert job["allow_failure"] == {"exit_codes": [1]}
    assert job["artifacts"]["reports"]["junit"] == "report.xml"
    assert job["artifacts"]["when"] == "always"
    assert "PIXFIX_PASSWORD" not in json.dumps(job)  # credentials are project variables


@pytest.mark.parametrize("rc", [0, 1, 2, 3, 4])
def test_github_steps_fail_the_run_only_on_2_3_and_4(tmp_path: Path, rc: int) -> None:
    bash = _require("bash")
    workflow = yaml.safe_load(examples()[".github/workflows/pixfix-audit.yml"])
    steps = workflow["jobs"]["audit"]["steps"]
    audit = next(step for step in steps if step.get("id") == "audit")
    gate = steps[-1]
    assert gate["env"] == {"RC": "${{ steps.audit.outputs.rc }}"}
    assert set(audit["env"]) == set(CREDENTIAL_VARS)  # secrets only where they are used
    checkout = _ci_checkout(tmp_path)
    log = tmp_path / "calls.jsonl"
    output = tmp_path / "github_output"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "STAND_IN_LOG": str(log),
        "STAND_IN_RC": str(rc),
        "GITHUB_OUTPUT": str(output),
    }
    script = _localise(audit["run"], tmp_path)
    # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`
    github_bash = [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c"]
    ran = subprocess.run(
        [*github_bash, script],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr  # the audit step never fails by itself
    assert output.read_text(encoding="utf-8") == f"rc={rc}\n"
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    gated = subprocess.run(
        [*github_bash, gate["run"]],
        env=env | {"RC": outputs["rc"]},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert (gated.returncode == 0) == (rc in (0, 1)), gated.stdout
    if rc in (3, 4):
        assert gated.returncode == rc
    args = calls(log)[0]["args"]
    assert args[args.index("-i") + 1] == str(tmp_path / "state/inventory/hosts.yml")  # type: ignore[union-attr]


def _ci_checkout(tmp_path: Path) -> Path:
    """A checkout holding the inventory, a state folder holding last night's copy of it, and a
    stand-in pixfix where `_localise` puts /opt/pixfix/bin/pixfix."""
    checkout = tmp_path / "checkout"
    (checkout / "inventory").mkdir(parents=True)
    (checkout / "inventory/hosts.yml").write_text("firewalls: {}\n", encoding="utf-8")
    (checkout / "inventory/known_hosts").write_text("", encoding="utf-8")
    (tmp_path / "state/inventory").mkdir(parents=True)
    (tmp_path / "state/inventory/gone.yml").write_text("", encoding="utf-8")
    stand_in(tmp_path / "opt/pixfix")
    return checkout


@pytest.mark.parametrize("rc", [0, 1, 2, 3, 4, None], ids=lambda rc: f"rc{rc}")
def test_gitlab_script_warns_on_1_and_fails_on_the_rest(tmp_path: Path, rc: int | None) -> None:
    """The script's lines run as GitLab's shell runs them (one bash, -e, pipefail); its exit
    status then meets `allow_failure: exit_codes`. rc None: the inventory cannot be copied."""
    bash = _require("bash")
    job = yaml.safe_load(examples()[".gitlab-ci.yml"])["pixfix-audit"]
    checkout = _ci_checkout(tmp_path)
    if rc is None:
        shutil.rmtree(checkout / "inventory")
    log = tmp_path / "calls.jsonl"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "STAND_IN_LOG": str(log),
        "STAND_IN_RC": str(rc or 0),
    }
    env |= {k: _localise(v, tmp_path) for k, v in job["variables"].items()}
    script = "\n".join(_localise(line, tmp_path) for line in job["script"])
    ran = subprocess.run(
        [bash, "-eo", "pipefail", "-c", script],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    warned = ran.returncode in job["allow_failure"]["exit_codes"]
    passed = ran.returncode == 0 or warned
    assert ran.returncode == (2 if rc is None else rc), ran.stderr
    assert passed == (rc in (0, 1))
    if rc is None:
        assert calls(log) == []
        return
    args = calls(log)[0]["args"]
    assert args[args.index("-i") + 1] == str(tmp_path / "state/inventory/hosts.yml")  # type: ignore[union-attr]
    assert sorted(p.name for p in (tmp_path / "state/inventory").iterdir()) == [
        "hosts.yml",
        "known_hosts",
    ]
    assert calls(log)[0]["env"]["PIXFIX_HISTORY"] == str(tmp_path / "state/history.sqlite")  # type: ignore[index]


# ---- every pixfix command on the page uses options the CLI has ----------------------------------

_SEPARATORS = {";", "&&", "||", "|", ">", ">>", "2>&1"}


def _logical_lines(text: str) -> Iterator[str]:
    text = text.replace("\\\n", " ")
    for line in text.splitlines():
        yield re.sub(r"(^|\s)#.*$", "", line)


def _commands_in(tokens: list[str]) -> Iterator[list[str]]:
    """Each `pixfix SUBCOMMAND ...` in a token list, up to a shell separator; the options given
    before the subcommand (`pixfix -q history ...`) as a command of its own, `pixfix OPTIONS`."""
    top = _options(pixfix_cli)
    for index, token in enumerate(tokens):
        if not (token == "pixfix" or token.endswith("/pixfix") or token == "{{ pixfix_bin }}"):
            continue
        rest = tokens[index + 1 :]
        leading = []
        while rest and rest[0].startswith("-"):
            leading.append(rest.pop(0))
            option = top.get(leading[-1])
            if isinstance(option, click.Option) and not (option.is_flag or option.count) and rest:
                leading.append(rest.pop(0))  # its value
        if not rest or not re.fullmatch(r"[a-z][a-z-]*", rest[0]):
            continue
        if leading:
            yield ["pixfix", *leading]
        command = []
        for word in rest:
            if word in _SEPARATORS:
                break
            command.append(word.rstrip(";"))
            if word.endswith(";"):
                break
        yield command


def _argv_lists(node: object) -> Iterator[list[str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "argv" and isinstance(value, list):
                yield [str(word) for word in value]
            else:
                yield from _argv_lists(value)
    elif isinstance(node, list):
        for item in node:
            yield from _argv_lists(item)


def documented_commands() -> list[list[str]]:
    """Every pixfix command line of the page, as [subcommand, arguments...]."""
    doc = _doc()
    found: list[list[str]] = []
    for block in _BLOCK.finditer(doc):
        for line in _logical_lines(block["body"]):
            if re.match(r"\s*(- )?(name|Description)\s*[:=]", line):
                continue  # a title that mentions pixfix, not a command
            words = [word.strip("\"'") for word in line.split()]
            found.extend(_commands_in(words))
    for argv in _argv_lists(yaml.safe_load(examples()["pixfix-audit.yml"])):
        found.extend(_commands_in(argv))
    prose = _BLOCK.sub("", doc)
    for span in re.findall(r"`([^`\n]+)`", prose):
        if span.startswith("pixfix "):
            found.extend(_commands_in(span.split()))
    return found


def _options(command: click.Command) -> dict[str, click.Parameter]:
    names: dict[str, click.Parameter] = {}
    for param in command.params:
        for name in (*param.opts, *param.secondary_opts):
            names[name] = param
    return names


def test_the_page_runs_audit_report_and_history() -> None:
    subcommands = {command[0] for command in documented_commands()}
    assert {"audit", "report", "history"} <= subcommands


@pytest.mark.parametrize(
    "subcommand", sorted({command[0] for command in documented_commands()}), ids=str
)
def test_every_documented_option_is_one_the_cli_has(subcommand: str) -> None:
    words = [] if subcommand == "pixfix" else [subcommand]  # "pixfix": options before any command
    helped = CliRunner().invoke(pixfix_cli, [*words, "--help"])
    assert helped.exit_code == 0, f"`pixfix {subcommand} --help` failed: {helped.output}"
    command = pixfix_cli.get_command(click.Context(pixfix_cli), subcommand) if words else pixfix_cli
    assert command is not None
    known = _options(command)
    unknown = set()
    bad_values = set()
    for words in documented_commands():
        if words[0] != subcommand:
            continue
        for index, word in enumerate(words[1:], start=1):
            if not re.fullmatch(r"--?[A-Za-z][\w-]*(=.*)?", word):
                continue
            option, _, inline = word.partition("=")
            if option in ("-h", "--help"):
                continue
            if option not in known:
                unknown.add(option)
                continue
            kind = known[option].type
            if isinstance(kind, click.Choice) and not getattr(known[option], "is_flag", False):
                value = inline or (words[index + 1] if index + 1 < len(words) else "")
                if value not in kind.choices:
                    bad_values.add(f"{option} {value}")
    assert not bad_values, f"pixfix {subcommand}: no such choice: {sorted(bad_values)}"
    assert not unknown, f"pixfix {subcommand} has no {sorted(unknown)}"


def test_audit_reads_the_history_from_pixfix_history() -> None:
    """The units and CI files give the database as PIXFIX_HISTORY instead of --history."""
    command = pixfix_cli.get_command(click.Context(pixfix_cli), "audit")
    assert command is not None
    history = [param for param in command.params if "--history" in param.opts]
    assert history, "pixfix audit has no --history"
    helped = CliRunner().invoke(pixfix_cli, ["audit", "--help"])
    envvars = (
        history[0].envvar if isinstance(history[0].envvar, list | tuple) else [history[0].envvar]
    )
    assert "PIXFIX_HISTORY" in envvars or "PIXFIX_HISTORY" in helped.output
