"""`pixfix plan`, `approve` and `show` through click's runner: files, exit codes, secrets."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import pixfix.lab
from pixfix.audit.live import CollectOptions
from pixfix.audit.verdict import collect_text
from pixfix.cli import PixfixGroup
from pixfix.cli import plan as plan_cli
from pixfix.inventory.load import Host
from pixfix.model import Collected
from pixfix.transport.hostkeys import KeyOptions

LAB_CONFIGS = Path(pixfix.lab.__file__).parent / "configs"
PLANTED = "pw-9z8y-planted"


@pytest.fixture
def cli() -> click.Group:
    """A group like `pixfix`'s own, holding only the commands under test."""
    group = PixfixGroup("pixfix")
    for command in (plan_cli.plan, plan_cli.approve, plan_cli.show):
        group.add_command(command)
    return group


def run(cli: click.Group, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def copy_lab(folder: Path, *, system: bool) -> Path:
    """The lab's startup configs as a device prints them (`: end`), optionally without the
    system space of the multiple-context ASA (which cannot be planned: exit 3)."""
    folder.mkdir()
    for path in LAB_CONFIGS.glob("*.cfg"):
        if system or "@system" not in path.name:
            (folder / path.name).write_text(path.read_text() + ": end\n")
    return folder


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    return copy_lab(tmp_path / "configs", system=False)


def plan_ok(cli: click.Group, configs: Path, out: Path, *extra: str) -> Result:
    result = run(cli, "plan", "--offline", configs, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return result


def test_plan_writes_the_plan_directory(cli: click.Group, configs: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = plan_ok(cli, configs, out)
    assert re.search(r"plan [0-9a-f]{8} written to .*: 17 device\(s\), 12 to change", result.output)
    document = json.loads((out / "plan.json").read_text())
    assert document["mode"] == "disable"
    assert document["inventory"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["created_at"])
    assert len(document["devices"]) == 17
    assert (out / "backups" / "lab-asa-multi@mail.cfg").read_text() == (
        configs / "lab-asa-multi@mail.cfg"
    ).read_text()
    assert "-  inspect esmtp" in (out / "diffs" / "lab-asa84.diff").read_text()
    assert "lab-pix63" in (out / "report.html").read_text()
    assert "## Approval" in (out / "report.md").read_text()
    for path in [out, *out.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)


def _without_ids(text: str, plan_dir: Path) -> str:
    """The text with the plan's id, its time, plan.json's hash (which holds both) and the
    directory as given to --out (the approve line names it) masked."""
    text = text.replace(str(plan_dir), "<out>")
    data = (plan_dir / "plan.json").read_bytes()
    document = json.loads(data)
    sha = hashlib.sha256(data).hexdigest()
    for value, mask in ((sha, "<sha>"), (sha[:16], "<sha16>")):
        text = text.replace(value, mask)
    for key in ("plan_id", "created_at"):
        text = text.replace(str(document[key]), f"<{key}>")
    return text


def test_replanning_the_same_input_gives_the_same_files(
    cli: click.Group, configs: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a" / "plan", tmp_path / "b" / "plan"
    plan_ok(cli, configs, first)
    plan_ok(cli, configs, second)
    ids = [json.loads((d / "plan.json").read_text())["plan_id"] for d in (first, second)]
    assert ids[0] != ids[1]
    files = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    for name in files:
        a, b = (first / name).read_text(), (second / name).read_text()
        assert _without_ids(a, first) == _without_ids(b, second), name


def test_plan_approve_show(cli: click.Group, configs: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan_ok(cli, configs, out)
    shown = run(cli, "show", out)
    assert shown.exit_code == 0
    assert "approvals: none yet" in shown.output
    assert "      no fixup protocol smtp 2525" in shown.output

    first = run(cli, "approve", out, "--by", "ann", "--ticket", "CHG-42", "--note", "Sat 22:00")
    assert first.exit_code == 0, first.output
    assert run(cli, "approve", out, "--by", "bob").exit_code == 0
    again = run(cli, "approve", out, "--by", "Ann")
    assert again.exit_code == 2
    assert "already approved" in again.output

    approvals = json.loads((out / "approval.json").read_text())["approvals"]
    assert [a["by"] for a in approvals] == ["ann", "bob"]
    shown = run(cli, "show", out)
    assert "ann at " in shown.output
    assert "ticket CHG-42, note Sat 22:00" in shown.output
    assert "plan.json matches its approvals: approved by ann, bob" in shown.output


def test_show_says_plainly_when_plan_json_was_edited(
    cli: click.Group, configs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan_ok(cli, configs, out)
    assert run(cli, "approve", out, "--by", "ann").exit_code == 0
    plan = out / "plan.json"
    plan.write_text(plan.read_text().replace("no inspect esmtp", "no access-list outside_in"))
    shown = run(cli, "show", out)
    assert shown.exit_code == 0  # information, not failure
    assert "WARNING: plan.json has changed since it was approved" in shown.output
    assert "this plan is NOT approved" in shown.output
    refused = run(cli, "approve", out, "--by", "bob")
    assert refused.exit_code == 2
    assert "changed after ann approved it" in refused.output


def test_replanning_drops_approvals_and_says_so(
    cli: click.Group, configs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan_ok(cli, configs, out)
    assert run(cli, "approve", out, "--by", "ann").exit_code == 0
    again = plan_ok(cli, configs, out)
    assert "approval.json (1 approval(s)) was removed" in again.stderr
    assert not (out / "approval.json").exists()
    assert "approvals: none yet" in run(cli, "show", out).output


def test_a_device_that_cannot_be_planned_exits_3(cli: click.Group, tmp_path: Path) -> None:
    configs = copy_lab(tmp_path / "all", system=True)
    (configs / "broken.cfg").write_bytes(b"\xff\xfe not text")
    result = run(cli, "plan", "--offline", configs, "--out", tmp_path / "plan")
    assert result.exit_code == 3
    assert "20 device(s), 12 to change, 3 could not be planned" in result.output
    devices = json.loads((tmp_path / "plan" / "plan.json").read_text())["devices"]
    broken = next(d for d in devices if d["name"] == "broken")
    assert (broken["status"], broken["planned"]) == ("error", False)
    assert not (tmp_path / "plan" / "backups" / "broken.cfg").exists()


def test_out_that_is_not_a_plan_is_refused(cli: click.Group, configs: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = run(cli, "plan", "--offline", configs, "--out", out)
    assert result.exit_code == 2
    assert "not a plan directory" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--out", "x"],
        ["plan", "--offline", "--out", "x"],
        ["plan", "--offline", "cfg", "-i", "inv.yaml", "--out", "x"],
        ["plan", "--offline", "cfg", "--limit", "fw*", "--out", "x"],
        ["plan", "--offline", "no-such-folder", "--out", "x"],
        ["plan", "--offline", "cfg"],
        ["plan", "--offline", "cfg", "--out", "x", "--mode", "nuke"],
    ],
    ids=["no-input", "offline-no-path", "both", "limit-offline", "missing", "no-out", "mode"],
)
def test_usage_errors_exit_2(
    cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg").mkdir()
    assert run(cli, *args).exit_code == 2
    assert not (tmp_path / "x").exists()


def test_template_error_exits_2(
    cli: click.Group, configs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pixfix.plan import report as report_plan

    folder = tmp_path / "templates"
    (folder / "report").mkdir(parents=True)
    (folder / "report" / "plan.md.j2").write_text("{{ plan.misspelt }}")
    monkeypatch.setattr(report_plan, "templates_dir", lambda: folder)
    report_plan.report_environment.cache_clear()
    try:
        result = run(cli, "plan", "--offline", configs, "--out", tmp_path / "plan")
    finally:
        report_plan.report_environment.cache_clear()
    assert result.exit_code == 2
    assert "report template plan.md.j2" in result.output
    assert not (tmp_path / "plan").exists()


@pytest.mark.parametrize("command", ["show", "approve"])
def test_show_and_approve_need_a_plan(cli: click.Group, tmp_path: Path, command: str) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    args: list[str | Path] = [command, tmp_path, *(["--by", "ann"] if command == "approve" else [])]
    result = run(cli, *args)
    assert result.exit_code == 2
    assert "not a plan directory" in result.output


def test_show_of_a_run_directory(cli: click.Group, tmp_path: Path) -> None:
    run_dir = tmp_path / "20261205T220312Z-ab12"
    run_dir.mkdir()
    result_json = {"run_id": run_dir.name, "devices": [{"name": "fw1", "outcome": "applied"}]}
    (run_dir / "result.json").write_text(json.dumps(result_json))
    shown = run(cli, "show", run_dir)
    assert shown.exit_code == 0
    assert "run 20261205T220312Z-ab12" in shown.output
    assert "  fw1: applied, 0 command(s)" in shown.output


def test_live_plan_never_writes_inventory_secrets(
    cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "defaults: {username: admin, password: " + PLANTED + ", secret: " + PLANTED + "}\n"
        "hosts:\n"
        "  lab-pix63: {host: 192.0.2.63, transport: telnet}\n"
        "  lab-asa84: {host: 192.0.2.84, managed_by: CSM}\n"
    )
    seen: list[str] = []

    def fake_collect(host: Host, options: CollectOptions) -> list[Collected]:
        seen.append(host.password.reveal())
        text = (LAB_CONFIGS / f"{host.name}.cfg").read_text() + ": end\n"
        return [collect_text(host.name, None, text)]

    monkeypatch.setattr("pixfix.audit.fleet.collect_host", fake_collect)
    out = tmp_path / "plan"
    result = run(cli, "plan", "-i", inventory, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert seen == [PLANTED, PLANTED]  # the collector did get the password
    assert PLANTED not in result.output
    for path in out.rglob("*"):
        assert path.is_dir() or PLANTED not in path.read_text(), path
    document = json.loads((out / "plan.json").read_text())
    assert document["inventory"] == str(inventory)
    report = (out / "report.md").read_text()
    assert "**legacy telnet**" in report
    assert "**managed by CSM**" in report


def test_host_key_options_reach_the_collector(
    cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("defaults: {username: a, password: b}\nhosts:\n  fw1: {host: 192.0.2.1}\n")
    seen: list[CollectOptions] = []

    def fake_collect(host: Host, options: CollectOptions) -> list[Collected]:
        seen.append(options)
        text = (LAB_CONFIGS / "lab-asa84.cfg").read_text() + ": end\n"
        return [collect_text(host.name, None, text)]

    monkeypatch.setattr("pixfix.audit.fleet.collect_host", fake_collect)
    args = ["--known-hosts", tmp_path / "kh", "--trust-new-keys", "-q"]
    result = run(cli, "plan", "-i", inventory, "--out", tmp_path / "plan", *args)
    assert result.exit_code == 0, result.output
    assert [o.host_keys for o in seen] == [KeyOptions(known_hosts=tmp_path / "kh", trust_new=True)]


def test_wrong_out_is_refused_before_any_device_is_read(
    cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("defaults: {username: a, password: b}\nhosts:\n  fw1: {host: 192.0.2.1}\n")
    out = tmp_path / "busy"
    out.mkdir()
    (out / "result.json").write_text("{}")  # a run directory is not a plan either

    def never(host: Host, options: CollectOptions) -> list[Collected]:
        raise AssertionError("a device was read")

    monkeypatch.setattr("pixfix.audit.fleet.collect_host", never)
    result = run(cli, "plan", "-i", inventory, "--out", out, "-q")
    assert result.exit_code == 2
    assert "not a plan directory" in result.output


def test_plan_names_the_hosts_it_skipped_as_other_platforms(
    cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like audit: an Ansible inventory's switches are skipped, and the plan says which."""
    for key, value in {"FW_USERNAME": "ops", "FW_PASSWORD": "pw", "FW_ENABLE": "en"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FW_LEGACY_PASSWORD", "legacy")
    read: list[str] = []

    def fake_collect(host: Host, options: CollectOptions) -> list[Collected]:
        read.append(host.name)
        return [collect_text(host.name, None, (LAB_CONFIGS / "lab-asa84.cfg").read_text())]

    monkeypatch.setattr("pixfix.audit.fleet.collect_host", fake_collect)
    inventory = Path(__file__).parents[1] / "fixtures" / "inventories" / "ansible" / "hosts.ini"
    result = CliRunner().invoke(cli, ["plan", "-i", str(inventory), "--out", str(tmp_path / "p")])
    assert "core-sw-01" not in read and len(read) == 4
    assert (
        "pixfix: 2 hosts skipped as not PIX/ASA/FWSM: core-sw-01 (cisco.ios.ios), "
        "core-sw-02 (cisco.ios.ios)\n"
    ) in result.stderr


def test_the_report_names_the_plan_directory_as_given(
    cli: click.Group, configs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The approve line must work from where plan was run: `plans/chg-1`, not `chg-1`."""
    monkeypatch.chdir(tmp_path)
    plan_ok(cli, configs, Path("plans") / "chg-1")
    report = (tmp_path / "plans" / "chg-1" / "report.md").read_text()
    assert "pixfix approve plans/chg-1 --by NAME" in report


def test_replanning_keeps_files_the_team_added_unless_forced(
    cli: click.Group, configs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan_ok(cli, configs, out)
    (out / "board-minutes.pdf").write_bytes(b"%PDF-1.4 signed")
    (out / "backups" / "notes.txt").write_text("evidence")
    refused = run(cli, "plan", "--offline", configs, "--out", out)
    assert refused.exit_code == 2
    assert "board-minutes.pdf" in refused.output and "backups/notes.txt" in refused.output
    assert (out / "board-minutes.pdf").exists()
    plan_ok(cli, configs, out, "--force")
    assert not (out / "board-minutes.pdf").exists()
    plan_ok(cli, configs, out)  # only pixfix's own files now: no --force needed
