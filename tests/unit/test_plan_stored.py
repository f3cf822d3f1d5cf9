"""An edited plan.json is refused by approve and by apply, naming the device and the line.

Plans made offline from the lab's startup configurations; then plan.json is edited the way a
hurried engineer (or an attacker) would: a line added to the commands, the rollback shortened,
the save replaced. Approve refuses to sign it, and apply refuses it even when approval.json was
forged to match the edited bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import pixfix.lab
from pixfix.apply.source import load_approved_plan
from pixfix.cli import PixfixGroup
from pixfix.cli import plan as plan_cli
from pixfix.errors import InputError

LAB_CONFIGS = Path(pixfix.lab.__file__).parent / "configs"
Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def cli() -> click.Group:
    group = PixfixGroup("pixfix")
    for command in (plan_cli.plan, plan_cli.approve):
        group.add_command(command)
    return group


def run(cli: click.Group, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture
def plan(cli: click.Group, tmp_path: Path) -> Path:
    configs = tmp_path / "configs"
    configs.mkdir()
    for name in ("lab-asa84", "lab-pix63", "lab-asa-multi@mail"):
        (configs / f"{name}.cfg").write_text((LAB_CONFIGS / f"{name}.cfg").read_text() + ": end\n")
    out = tmp_path / "plan"
    assert run(cli, "plan", "--offline", configs, "--out", out).exit_code == 0
    return out


def _device(document: dict[str, Any], name: str, context: str | None = None) -> dict[str, Any]:
    return next(d for d in document["devices"] if (d["name"], d["context"]) == (name, context))


def _edit(plan: Path, change: Edit) -> None:
    path = plan / "plan.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2) + "\n")


def _add_line(name: str, line: str, *, at: int = -1, context: str | None = None) -> Edit:
    def change(document: dict[str, Any]) -> None:
        _device(document, name, context)["commands"].insert(at, line)

    return change


def _forge_approval(plan: Path) -> None:
    """What someone with write access could do: an approval for the edited bytes."""
    digest = hashlib.sha256((plan / "plan.json").read_bytes()).hexdigest()
    plan_id = json.loads((plan / "plan.json").read_text())["plan_id"]
    approval = {"by": "Jane Roe", "at": "2026-12-02T06:00:00Z", "plan_sha256": digest}
    document = {"plan_id": plan_id, "approvals": [approval]}
    (plan / "approval.json").write_text(json.dumps(document))


EDITS: dict[str, tuple[Edit, str]] = {
    # case: (the edit, what the refusal must say)
    "inspect-ftp-added": (
        _add_line("lab-asa84", "  no inspect ftp", at=-2),
        "lab-asa84: commands rejected by the guard: line 4 '  no inspect ftp'",
    ),
    "another-policy": (  # grammatical, so only the remade plan tells
        lambda d: _device(d, "lab-asa84")["commands"].__setitem__(1, "policy-map OUTSIDE"),
        "lab-asa84: commands differ from the plan made from its configuration: "
        "'policy-map OUTSIDE' is not in it",
    ),
    "access-list-removed": (
        _add_line("lab-asa84", "no access-list outside_in", at=1),
        "lab-asa84: commands rejected by the guard",
    ),
    "write-erase-as-save": (
        lambda d: _device(d, "lab-pix63")["save"].__setitem__(0, "write erase"),
        "lab-pix63: save rejected by the guard",
    ),
    "rollback-shortened": (
        lambda d: _device(d, "lab-asa84")["rollback"].pop(-2),
        "lab-asa84: rollback differ from the plan made from its configuration",
    ),
    "other-context": (
        lambda d: _device(d, "lab-asa-multi", "mail")["commands"].__setitem__(
            0, "changeto context admin"
        ),
        "lab-asa-multi/mail: commands rejected by the guard",
    ),
    "fingerprint-changed": (
        lambda d: _device(d, "lab-asa84").__setitem__("fingerprint", "0" * 64),
        "lab-asa84: its fingerprint is not that of backups/lab-asa84.cfg",
    ),
}


def test_the_plan_as_made_is_approved_and_loads(cli: click.Group, plan: Path) -> None:
    assert run(cli, "approve", plan, "--by", "Jane Roe").exit_code == 0
    loaded = load_approved_plan(plan, require=1)
    assert {e.label for e in loaded.entries if e.commands} == {
        "lab-asa84",
        "lab-pix63",
        "lab-asa-multi/mail",
    }


@pytest.mark.parametrize("case", list(EDITS))
def test_an_edited_plan_is_refused_by_approve(cli: click.Group, plan: Path, case: str) -> None:
    change, message = EDITS[case]
    _edit(plan, change)
    refused = run(cli, "approve", plan, "--by", "Jane Roe")
    assert refused.exit_code == 2, refused.output
    assert message in refused.output
    assert refused.output.count("\n") == 1  # one line, no traceback
    assert not (plan / "approval.json").exists()


@pytest.mark.parametrize("case", list(EDITS))
def test_an_edited_plan_is_refused_by_apply_even_with_a_forged_approval(
    plan: Path, case: str
) -> None:
    change, message = EDITS[case]
    _edit(plan, change)
    _forge_approval(plan)
    with pytest.raises(InputError, match="make the plan again") as refused:
        load_approved_plan(plan, require=1)
    assert message in str(refused.value)


def test_a_missing_backup_refuses_the_entry(cli: click.Group, plan: Path) -> None:
    (plan / "backups" / "lab-asa84.cfg").unlink()
    refused = run(cli, "approve", plan, "--by", "Jane Roe")
    assert refused.exit_code == 2
    assert "lab-asa84: no configuration it was made from (backups/lab-asa84.cfg)" in refused.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["devices"][0].pop("mode"), "unknown mode None"),
        (lambda d: d["devices"][0].__setitem__("commands", "write erase"), "not a list of lines"),
        (lambda d: d.__setitem__("devices", {}), "no devices list"),
    ],
    ids=["no-mode", "commands-not-a-list", "devices-not-a-list"],
)
def test_approve_refuses_what_apply_would_refuse(
    cli: click.Group, plan: Path, change: Edit, message: str
) -> None:
    _edit(plan, change)
    refused = run(cli, "approve", plan, "--by", "Jane Roe")
    assert refused.exit_code == 2 and message in refused.output
    assert not (plan / "approval.json").exists()
