"""Active/active failover end to end: each context has the role of its failover group.

Two units of active/active pairs (the lab's Primary is active for group 1, standby for group 2),
built from the multiple-context ASA: on one the `mail` context joined failover group 2, so this
unit is its standby and must not be changed; on the other it stayed in group 1. The audit shows
each context's role, the plan changes only where this unit is active, and apply leaves the
standby context alone.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import run_pixfix

pytestmark = pytest.mark.timeout(300)

CONFIGS = resources.files("pixfix.lab").joinpath("configs")


def _devices_file(folder: Path) -> Path:
    (folder / "configs").mkdir()
    system = CONFIGS.joinpath("lab-asa-multi@system.cfg").read_text()
    specs = []
    for name, group in (("aa-mail-standby", 2), ("aa-mail-active", 1)):
        text = re.sub(r"(?m)^hostname \S+", f"hostname {name}", system)
        text = text.replace(
            " config-url disk0:/mail.cfg",
            f" config-url disk0:/mail.cfg\n join-failover-group {group}",
        )
        (folder / "configs" / f"{name}.cfg").write_text(text)
        contexts = {}
        for ctx in ("admin", "mail"):
            path = folder / "configs" / f"{name}@{ctx}.cfg"
            path.write_text(CONFIGS.joinpath(f"lab-asa-multi@{ctx}.cfg").read_text())
            contexts[ctx] = f"configs/{path.name}"
        specs.append(
            {
                "name": name,
                "software": "ASA 9.12(4)",
                "startup_config": f"configs/{name}.cfg",
                "contexts": contexts,
                "mx_context": "mail",
                "failover": "active-active",
            }
        )
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": specs}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def work(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    folder = tmp_path_factory.mktemp("failover")
    lab = lab_factory("--devices-file", str(_devices_file(folder)))
    return lab, folder


def _audit(lab: Any, folder: Path) -> dict[str, dict[str, Any]]:
    done = run_pixfix("audit", "-i", lab.inventory, "--format", "json", "-q", folder=folder,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 1, done.stderr
    return {f"{d['name']}/{d['context']}": d for d in json.loads(done.stdout)["devices"]}


def test_each_context_has_the_role_of_its_failover_group(work: tuple[Any, Path]) -> None:
    lab, folder = work
    found = _audit(lab, folder)
    assert {label: d["role"] for label, d in found.items()} == {
        "aa-mail-standby/admin": "active",
        "aa-mail-standby/mail": "standby",
        "aa-mail-active/admin": "active",
        "aa-mail-active/mail": "active",
    }
    assert {d["status"] for label, d in found.items() if label.endswith("/mail")} == {"exposed"}


def test_apply_changes_only_where_this_unit_is_active(work: tuple[Any, Path]) -> None:
    lab, folder = work

    def pixfix(*args: str | Path) -> Any:
        return run_pixfix(*args, folder=folder, lab_dir=lab.state_dir)

    assert pixfix("plan", "-i", lab.inventory, "--out", "plan", "-q").returncode == 0
    plan = json.loads((folder / "plan" / "plan.json").read_text())
    commands = {f"{d['name']}/{d['context']}": bool(d["commands"]) for d in plan["devices"]}
    assert commands["aa-mail-active/mail"] and not commands["aa-mail-standby/mail"]
    assert pixfix("approve", "plan", "--by", "ann").returncode == 0
    done = pixfix("apply", "plan", "--out", "runs", "--yes", "-q", "--window", "now/PT2H")
    # the standby context is left exposed, and said so: contexts are never matched to another
    # unit's (identical templated contexts on unrelated units would be), so it is exit 1
    assert done.returncode == 1, done.stdout + done.stderr
    assert "left unfixed: aa-mail-standby/mail (exposed standby" in done.stdout
    status = lab.status()
    assert status["aa-mail-active"]["saves"] == 1
    assert status["aa-mail-standby"]["config_sessions"] + status["aa-mail-standby"]["saves"] == 0


def test_a_refused_changeto_is_that_contexts_error(
    lab_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Before, the reply was not read: the system space's text was audited as the context."""
    folder = tmp_path_factory.mktemp("changeto")
    specs = yaml.safe_load(_devices_file(folder).read_text())
    spec = {**specs["devices"][1], "failover": None, "faults": {"changeto_refused": "mail"}}
    path = folder / "refused.yaml"
    path.write_text(yaml.safe_dump({"devices": [spec]}, sort_keys=False))
    lab = lab_factory("--devices-file", str(path))
    done = run_pixfix("audit", "-i", lab.inventory, "--format", "json", "-q", folder=folder,
                      lab_dir=lab.state_dir)  # fmt: skip
    assert done.returncode == 3, done.stderr
    found = {d["context"]: d for d in json.loads(done.stdout)["devices"]}
    assert set(found) == {"admin", "mail"}, found
    assert found["mail"]["status"] == "error" and "is not valid" in found["mail"]["error"]
