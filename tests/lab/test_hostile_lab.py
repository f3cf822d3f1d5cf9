"""Hostile devices (lab faults huge_output, endless_pager, bad_utf8, ansi, no_prompt) against
`pixfix audit` and `pixfix plan`: each ends as that device's own outcome within its timeout, the
rest of the fleet finishes, and nothing a device sends can act in a report.

The read path's limits are in pixfix.transport.limits: a cap on the bytes of one reply, strict UTF-8
(the channel read as latin-1), and a wall-clock budget per host; paramiko's transport thread logs
under a channel that names its host.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.timeout(300)

TIMEOUT = 5
ASA = {"software": "ASA 8.4(7)", "transport": "ssh", "config": "lab-asa84.cfg"}
PIX = {"software": "PIX 6.3(5)", "transport": "telnet", "config": "lab-pix63.cfg"}
DEVICES: dict[str, tuple[dict[str, str], str | None]] = {
    "h-huge": (ASA, "huge_output"),
    "h-pager": (ASA, "endless_pager"),
    "h-pager-pix": (PIX, "endless_pager"),
    "h-utf8": (ASA, "bad_utf8"),
    "h-utf8-pix": (PIX, "bad_utf8"),
    "h-ansi": (ASA, "ansi"),
    "h-ansi-pix": (PIX, "ansi"),
    "h-noprompt": (ASA, "no_prompt"),
    "h-noprompt-pix": (PIX, "no_prompt"),
    "good-asa": (ASA, None),
    "good-pix": (PIX, None),
}
ENDS_AS_ERROR = ["h-pager", "h-pager-pix", "h-ansi", "h-ansi-pix", "h-noprompt", "h-noprompt-pix"]
GOOD = {
    "good-asa": ("exposed", ["inspect esmtp"]),
    "good-pix": ("exposed", ["fixup protocol smtp 25", "fixup protocol smtp 2525"]),
}
SECRETS = ("labpass-7f3a", "labenable-92ce")
# What no report may carry: C0 controls but tab/newline, DEL, C1 controls, lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _devices_file(folder: Path) -> Path:
    (folder / "configs").mkdir()
    devices = []
    for name, (kind, fault) in DEVICES.items():
        text = resources.files("pixfix.lab").joinpath("configs", kind["config"]).read_text()
        (folder / "configs" / f"{name}.cfg").write_text(
            re.sub(r"(?m)^hostname \S+", f"hostname {name}", text)
        )
        spec: dict[str, Any] = {
            "name": name,
            "software": kind["software"],
            "transport": kind["transport"],
            "startup_config": f"configs/{name}.cfg",
        }
        if fault:
            spec["faults"] = {fault: True}
        devices.append(spec)
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump({"devices": devices}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def lab(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    devices = _devices_file(tmp_path_factory.mktemp("hostile"))
    return lab_factory("--devices-file", str(devices))


def _pixfix(lab: Any, *args: str) -> tuple[subprocess.CompletedProcess[bytes], float]:
    """Run pixfix; output kept as bytes, so that anything not UTF-8 is seen, not decoded away."""
    env = {**os.environ, "PIXFIX_LAB_DIR": str(lab.state_dir)}
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pixfix", *args],
        env=env,
        capture_output=True,
        timeout=240,
        check=False,
    )
    return run, time.monotonic() - start


def _audit(lab: Any, *extra: str) -> tuple[subprocess.CompletedProcess[bytes], float]:
    return _pixfix(
        lab, "audit", "-i", str(lab.inventory), "--timeout", str(TIMEOUT), "--workers", "20", *extra
    )


@pytest.fixture(scope="module")
def audited(
    lab: Any,
) -> tuple[dict[str, dict[str, Any]], subprocess.CompletedProcess[bytes], float]:
    run, elapsed = _audit(lab, "--format", "json")
    devices = {d["name"]: d for d in json.loads(run.stdout)["devices"]}
    return devices, run, elapsed


def test_hostile_devices_end_as_their_own_error_and_the_rest_finishes(audited: Any) -> None:
    devices, run, elapsed = audited
    assert run.returncode == 3, run.stderr
    assert sorted(devices) == sorted(DEVICES)  # every device has exactly one outcome
    for name in ENDS_AS_ERROR:
        assert devices[name]["status"] == "error", name
        assert f"within {TIMEOUT} s" in devices[name]["error"], devices[name]["error"]
    for name, (status, lines) in GOOD.items():
        assert (devices[name]["status"], [f["line"] for f in devices[name]["findings"]]) == (
            status,
            lines,
        )
    # each host is bounded by its timeout; the whole run by a few of them
    assert elapsed < 3 * TIMEOUT + 10


def test_bad_bytes_never_crash_a_run_nor_pass_for_compliant(audited: Any) -> None:
    devices, run, _ = audited
    for name in ("h-utf8", "h-utf8-pix", "h-huge"):
        assert devices[name]["status"] in ("exposed", "error"), name  # their configs expose
    assert b"Traceback" not in run.stderr


def test_a_huge_configuration_is_refused_not_read(audited: Any) -> None:
    devices, _, _ = audited
    assert devices["h-huge"]["status"] == "error"
    assert "MiB" in devices["h-huge"]["error"]


@pytest.mark.parametrize("name", ["h-utf8", "h-utf8-pix"])
def test_bytes_that_are_not_utf8_make_the_device_an_error(audited: Any, name: str) -> None:
    devices, _, _ = audited
    assert devices[name]["status"] == "error"
    assert "UTF-8" in devices[name]["error"]


def test_every_hostile_host_ends_within_its_timeout(lab: Any) -> None:
    _, baseline = _audit(lab, "--format", "json", "--limit", "good-asa")
    run, elapsed = _audit(lab, "--format", "json", *_limits(ENDS_AS_ERROR))
    assert run.returncode == 3
    assert elapsed - baseline <= TIMEOUT + 1.0


def _limits(names: list[str]) -> list[str]:
    return [arg for name in names for arg in ("--limit", name)]


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "junit", "json"])
def test_no_device_text_can_act_in_an_audit_report(lab: Any, fmt: str) -> None:
    run, _ = _audit(lab, "--format", fmt)
    assert run.returncode == 3
    text = run.stdout.decode("utf-8")  # strict: a report is always UTF-8
    assert not _CONTROL.search(text), repr(_CONTROL.search(text))
    assert all(secret not in text + run.stderr.decode() for secret in SECRETS)
    if fmt == "csv":
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell.lstrip().startswith(("=", "+", "-", "@")) for cell in row), row
    if fmt == "junit":
        ET.fromstring(text.encode())
    if fmt == "json":
        json.loads(text)


def test_no_device_text_can_act_in_a_plan_report(lab: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    run, _ = _pixfix(
        lab, "plan", "-i", str(lab.inventory), "--out", str(out), "--timeout", str(TIMEOUT),
        "--workers", "20", "-q",
    )  # fmt: skip
    assert run.returncode == 3, run.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for text in (html, markdown, (out / "plan.json").read_text(encoding="utf-8")):
        assert not _CONTROL.search(text)
        assert "<script>alert" not in text
        assert all(secret not in text for secret in SECRETS)
    assert "good-asa" in html and "h-noprompt" in html


# ---- logging: the CLI group's -vvv --log-file ------------------------------------------------


@pytest.fixture(scope="module")
def debug_log(lab: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """An audit of the good devices and two hostile ones at netmiko's own debug level."""
    log = tmp_path_factory.mktemp("log") / "pixfix.log"
    env = {**os.environ, "PIXFIX_LAB_DIR": str(lab.state_dir)}
    names = ["good-asa", "good-pix", "h-ansi", "h-utf8-pix"]
    run = subprocess.run(
        [sys.executable, "-m", "pixfix", "-vvv", "--log-file", str(log), "audit",
         "-i", str(lab.inventory), "--format", "json", "--timeout", str(TIMEOUT), *_limits(names)],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert run.returncode == 3, run.stderr
    return log.read_text(encoding="utf-8"), run.stderr


def test_debug_logs_never_hold_a_secret_or_an_escape(debug_log: tuple[str, str]) -> None:
    text, stderr = debug_log
    assert "write_channel" in text  # netmiko's own debug lines are there ...
    for secret in SECRETS:
        assert secret not in text + stderr  # ... with every password blanked
    assert not _CONTROL.search(text + stderr)


def test_every_device_line_of_the_debug_log_names_its_host(debug_log: tuple[str, str]) -> None:
    text, _ = debug_log
    device_lines = [line for line in text.splitlines() if re.search(r"\] (netmiko|paramiko)", line)]
    assert device_lines
    assert not [line for line in device_lines if " [-] " in line]
