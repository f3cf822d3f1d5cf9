"""Plan reports: golden markdown per train from the lab's configurations, HTML content and escaping.

Golden files live in tests/golden/report/. After an intended change, regenerate them with
`PIXFIX_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_report_plan.py` (or
`--update-golden` where the suite registers that option) and review the diff.
"""

from __future__ import annotations

import dataclasses
import doctest
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import pixfix.lab
from pixfix.audit.verdict import audit_config
from pixfix.errors import InputError, TemplateError
from pixfix.lab.device import SINGLE
from pixfix.lab.fleet import FleetOptions, build_devices, default_specs
from pixfix.model import DeviceResult, Finding, FindingKind, Role, Train
from pixfix.plan import report as report_plan
from pixfix.plan.entry import DeviceMeta, Mode, PlanEntry, Reload, plan_entry
from pixfix.plan.report import (
    PlanHeader,
    PlannedDevice,
    code_block,
    code_span,
    plan_files,
    plan_json,
    plan_view,
    render_plan_html,
    render_plan_markdown,
    risks_of,
    train_of_entry,
)

LAB = Path(pixfix.lab.__file__).parent
GOLDEN = Path(__file__).parents[1] / "golden" / "report"
FIXTURES = Path(__file__).parents[1] / "fixtures"
SHA = "5" * 64
MANAGED = {"lab-asa84": "CSM"}  # test-only: the lab fleet names no central manager
HOSTILE = "<script>document.title='pwned'</script>"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def header(mode: Mode = Mode.DISABLE, reload: Reload = Reload.NEVER) -> PlanHeader:
    return PlanHeader(
        plan_id="0123abcd",
        created_at="2026-12-05T22:03:12Z",
        mode=mode.value,
        reload=reload.value,
        version="0.0.0-golden",
        inventory=None,
        offline=("lab-configs",),
        directory="plan-golden",
    )


def lab_fleet() -> dict[str, dict[str, object]]:
    devices = yaml.safe_load((LAB / "default_fleet.yaml").read_text())["devices"]
    return {device["name"]: device for device in devices}


def whole(text: str) -> str:
    """A startup config as `show running-config` prints it: with its `: end` line."""
    return text + ": end\n"


def lab_devices(mode: Mode = Mode.DISABLE, reload: Reload = Reload.NEVER) -> list[PlannedDevice]:
    fleet = lab_fleet()
    specs, folder = default_specs()
    units = {unit.name: unit for unit in build_devices(specs, folder, FleetOptions())}
    devices = []
    for path in sorted((LAB / "configs").glob("*.cfg")):
        name, _, context = path.stem.partition("@")
        text = whole(path.read_text())
        role = Role(units[name].role_in(context or SINGLE) or "standalone")
        result = DeviceResult.from_verdict(
            name, audit_config(text), context=context or None, role=role
        )
        meta = DeviceMeta(
            transport=str(fleet[name]["transport"]), managed_by=MANAGED.get(name), role=role
        )
        entry = plan_entry(result, text, meta, mode=mode, reload=reload)
        devices.append(PlannedDevice(entry=entry, meta=meta, config=text))
    return devices


def fwsm23_device() -> PlannedDevice:
    """FWSM 2.x, the one train the lab lacks: a context capture from the parser fixtures."""
    text = (FIXTURES / "fwsm_fixup" / "show_running-config" / "fwsm23_context.raw").read_text()
    result = DeviceResult.from_verdict("fwsm23", audit_config(text), context="tenant-a")
    meta = DeviceMeta(transport="ssh", managed_by=None, role=Role.ACTIVE)
    entry = plan_entry(result, text, meta, mode=Mode.DISABLE, reload=Reload.NEVER)
    return PlannedDevice(entry=entry, meta=meta, config=text)


def of_train(devices: list[PlannedDevice], train: Train) -> list[PlannedDevice]:
    return [d for d in devices if train_of_entry(d.entry) == train.value]


def check_golden(request: pytest.FixtureRequest, name: str, text: str) -> None:
    path = GOLDEN / name
    updating = os.environ.get("PIXFIX_UPDATE_GOLDEN") == "1" or request.config.getoption(
        "--update-golden", default=False
    )
    if updating:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path.name} missing: run with PIXFIX_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("train", list(Train), ids=lambda t: t.value)
def test_golden_markdown_per_train(request: pytest.FixtureRequest, train: Train) -> None:
    devices = of_train([*lab_devices(), fwsm23_device()], train)
    assert devices
    text = render_plan_markdown(plan_view(header(), devices, SHA))
    check_golden(request, f"plan-{train.value}.md", text)


def test_golden_markdown_tune_with_reload(request: pytest.FixtureRequest) -> None:
    devices = of_train(lab_devices(Mode.TUNE, Reload.NOW), Train.MPF)
    text = render_plan_markdown(plan_view(header(Mode.TUNE, Reload.NOW), devices, SHA))
    check_golden(request, "plan-mpf-tune-reload.md", text)


@pytest.fixture(scope="module")
def fleet_html() -> str:
    return render_plan_html(plan_view(header(), lab_devices(), SHA))


def test_html_shows_every_device_command_rollback_and_diff(fleet_html: str) -> None:
    devices = lab_devices()
    for device in devices:
        label = device.entry.label
        assert f">{label}</a>" in fleet_html
        for line in (*device.entry.commands, *device.entry.rollback, *device.entry.save):
            assert line.strip() in fleet_html
    assert '<span class="del">-  inspect esmtp</span>' in fleet_html
    assert '<span class="add">' in render_plan_html(
        plan_view(header(Mode.TUNE), lab_devices(Mode.TUNE), SHA)
    )
    assert "pixfix approve plan-golden --by NAME --ticket ID" in fleet_html
    assert SHA in fleet_html
    for risk in ("legacy telnet", "managed by CSM", "failover standby", "multiple context"):
        assert risk in fleet_html


def test_html_is_self_contained(fleet_html: str) -> None:
    lowered = fleet_html.lower()
    for outside in ("<script", "<link", "src=", "http://", "https://", "@import", "url("):
        assert outside not in lowered, outside
    assert "content-security-policy" in lowered
    assert "default-src 'none'" in fleet_html


@pytest.fixture
def hostile() -> PlannedDevice:
    """A device whose name, finding and notes carry markup (as a hostile inventory could)."""
    good = next(d for d in lab_devices() if d.entry.name == "lab-asa84")
    finding = Finding(line=f"inspect esmtp {HOSTILE}", kind=FindingKind.INSPECT, ports=(25,))
    entry = dataclasses.replace(
        good.entry,
        name=f"fw{HOSTILE}",
        findings=(finding,),
        notes=("<img src=x onerror=alert(1)>",),
    )
    meta = DeviceMeta(transport="ssh", managed_by=f"CSM{HOSTILE}", role=None)
    return PlannedDevice(entry=entry, meta=meta, config=good.config)


def test_html_escapes_device_data(hostile: PlannedDevice) -> None:
    html = render_plan_html(plan_view(header(), [hostile], SHA))
    assert "<script" not in html.lower()
    assert "<img" not in html
    assert "fw&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in html
    assert "inspect esmtp &lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def _outside_code(markdown: str) -> str:
    without_blocks = re.sub(r"(`{3,})[^\n]*\n.*?\n\1", "", markdown, flags=re.S)
    return re.sub(r"(`+).+?\1", "", without_blocks)


def test_markdown_escapes_device_data(hostile: PlannedDevice) -> None:
    markdown = render_plan_markdown(plan_view(header(), [hostile], SHA))
    assert "### fw\\<script\\>document.title='pwned'\\</script\\>: exposed" in markdown
    prose = _outside_code(markdown)
    assert not re.search(r"(?<!\\)<(script|img)", prose)  # only escaped: \<script
    assert f"`inspect esmtp {HOSTILE} (port 25)`" in markdown  # inert inside code


def test_html_opens_in_a_headless_browser(tmp_path: Path, hostile: PlannedDevice) -> None:
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if binary is None:
        message = f"no chromium/chrome binary on PATH (looked for {', '.join(BROWSERS)})"
        if os.environ.get("CI"):  # .ci/run installs one: there its absence is a failure
            pytest.fail(message)
        pytest.skip(message)
    page = tmp_path / "report.html"
    page.write_text(render_plan_html(plan_view(header(), [*lab_devices(), hostile], SHA)))
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()]
    shown = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert "lab-asa84" in shown.stdout
    assert "no inspect esmtp" in shown.stdout
    assert "<title>Change plan 0123abcd" in shown.stdout  # the hostile script never ran
    assert "<script" not in shown.stdout.lower()


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site's own report templates folder, read afresh by the renderer."""
    folder = tmp_path / "templates"
    (folder / "report").mkdir(parents=True)
    monkeypatch.setattr(report_plan, "templates_dir", lambda: folder)
    report_plan.report_environment.cache_clear()
    yield folder / "report"
    report_plan.report_environment.cache_clear()


@pytest.mark.parametrize(
    ("body", "message"),
    [("{{ plan.no_such_field }}", "no_such_field"), ("{% for %}", r"plan\.md\.j2")],
    ids=["strict-undefined", "syntax"],
)
def test_template_errors_are_template_errors(templates: Path, body: str, message: str) -> None:
    (templates / "plan.md.j2").write_text(body)
    with pytest.raises(TemplateError, match=message):
        render_plan_markdown(plan_view(header(), lab_devices()[:1], SHA))


def test_missing_template(templates: Path) -> None:
    with pytest.raises(TemplateError, match=r"plan\.html\.j2"):
        render_plan_html(plan_view(header(), [], SHA))


def test_plan_json_shape_and_order() -> None:
    devices = lab_devices()
    document = json.loads(plan_json(header(), [d.entry for d in devices]))
    assert list(document)[:8] == [
        "plan_id",
        "created_at",
        "mode",
        "reload",
        "pixfix_version",
        "inventory",
        "offline",
        "limits",
    ]
    # every startup configuration of the lab, contexts and system spaces included
    assert document["summary"] == {"exposed": 12, "tuned": 1, "compliant": 4, "error": 2}
    assert document["devices"][0] == devices[0].entry.to_json()


def test_plan_files_are_deterministic_and_sorted() -> None:
    devices = lab_devices()
    first = plan_files(header(), devices)
    again = plan_files(header(), list(reversed(devices)))
    assert first == again
    assert list(first.backups) == sorted(first.backups)
    assert first.backups["lab-asa-multi@mail"].endswith(": end\n")
    assert first.diffs["lab-asa916-clean"] == ""  # nothing to change: an empty diff
    assert "-  inspect esmtp" in first.diffs["lab-asa84"]


def test_device_without_configuration_has_no_backup() -> None:
    result = DeviceResult.from_verdict("fw-down", audit_config(""))
    meta = DeviceMeta(transport="ssh", managed_by=None, role=None)
    entry = plan_entry(result, None, meta, mode=Mode.DISABLE, reload=Reload.NEVER)
    files = plan_files(header(), [PlannedDevice(entry=entry, meta=meta, config=None)])
    assert files.backups == {}
    assert "fw-down: error, NOT PLANNED" in files.report_md


def test_two_configurations_for_one_device_are_refused() -> None:
    device = next(d for d in lab_devices() if d.entry.name == "lab-asa84")
    with pytest.raises(InputError, match="more than one configuration for: lab-asa84"):
        plan_files(header(), [device, device])


def _entry(**changes: Any) -> PlanEntry:
    base = next(d.entry for d in lab_devices() if d.entry.name == "lab-asa84")  # exposed
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("entry_changes", "meta", "tags"),
    [
        ({}, DeviceMeta(transport="ssh", managed_by=None, role=Role.STANDALONE), []),
        ({"reload": ("reload noconfirm",)}, DeviceMeta(transport="ssh"), ["reload"]),
        ({}, DeviceMeta(transport="ssh", role=Role.ACTIVE), ["failover active"]),
        ({"commands": ()}, DeviceMeta(transport="ssh", role=Role.STANDBY), ["failover standby"]),
        ({"commands": ()}, DeviceMeta(transport="ssh", managed_by="CSM"), []),
        ({"commands": ()}, DeviceMeta(transport="telnet", managed_by="CSM"), ["legacy telnet"]),
        (
            {"commands": ()},
            DeviceMeta(transport="telnet", role=Role.STANDBY),
            ["failover standby", "legacy telnet"],
        ),
        ({"context": "mail"}, DeviceMeta(transport="ssh"), ["multiple context"]),
        ({"context": "mail", "commands": ()}, DeviceMeta(transport="ssh"), []),
        ({}, DeviceMeta(transport="telnet"), ["legacy telnet"]),
        ({}, DeviceMeta(transport="ssh", managed_by="FMC"), ["managed by FMC"]),
    ],
    ids=[
        "none",
        "reload",
        "failover",
        "standby",
        "unchanged",
        "unchanged-telnet",
        "standby-telnet",
        "context",
        "context-unchanged",
        "telnet",
        "manager",
    ],
)
def test_risks(entry_changes: dict[str, Any], meta: DeviceMeta, tags: list[str]) -> None:
    assert [risk.tag for risk in risks_of(_entry(**entry_changes), meta)] == tags


def test_code_fences_outrun_device_backticks() -> None:
    assert code_span("a``b") == "``` a``b ```"
    assert code_block(["x ```` y"], "diff").startswith("`````diff\n")
    assert doctest.testmod(report_plan).failed == 0
