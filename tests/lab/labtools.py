"""Helpers the lab test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def _env(folder: Path, lab_dir: Path | None) -> dict[str, str]:
    env = {**os.environ, "PIXFIX_STATE_DIR": str(folder / "state")}
    if lab_dir is not None:
        env["PIXFIX_LAB_DIR"] = str(lab_dir)
    return env


def run_pixfix(
    *args: str | Path,
    folder: Path,
    lab_dir: Path | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """`python -m pixfix ARGS` in `folder`, with its own state directory (locks, keys) there and
    the lab's state directory when given; no terminal on stdin."""
    return subprocess.run(
        [sys.executable, "-m", "pixfix", *map(str, args)],
        env=_env(folder, lab_dir),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def start_pixfix(*args: str | Path, folder: Path) -> subprocess.Popen[str]:
    """`run_pixfix` in the background (the caller waits, signals or kills it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pixfix", *map(str, args)],
        env=_env(folder, None),
        cwd=folder,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def asa_units(folder: Path, names: tuple[str, ...], *, software: str = "ASA 9.18(4)") -> Path:
    """A devices file of exposed single-context ASAs (the lab's lab-asa-reporting config)."""
    text = resources.files("pixfix.lab").joinpath("configs/lab-asa-reporting.cfg").read_text()
    specs = [
        {
            "name": name,
            "software": software,
            "config": text.replace("hostname lab-asa-reporting", f"hostname {name}"),
        }
        for name in names
    ]
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": specs}))
    return path


def wait_held(lab: Any, name: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until the lab holds `name`'s reply (fault `pause_at`); fails if the process ended first."""
    deadline = time.monotonic() + timeout
    while lab.status()[name]["held"] == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{name} never reached the held command"
        time.sleep(0.1)


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def headless_browser() -> str:
    """A Chromium/Chrome binary. CI installs one (`.ci/run`): there a missing browser fails the
    test; elsewhere it is skipped with the reason."""
    import shutil

    import pytest

    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        message = f"no chromium/chrome binary on PATH (looked for {', '.join(BROWSERS)})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def screenshot(page: Path, png: Path, *, width: int = 1280, height: int = 1200) -> Path:
    """The page as a headless browser draws it (no network: the page must need none)."""
    command = [
        headless_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--no-first-run", "--disable-extensions", f"--window-size={width},{height}",
        f"--screenshot={png}", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    return png


def units_file(folder: Path, units: dict[str, tuple[str, str]]) -> Path:
    """A devices file of SSH units, name -> (software, a lab startup configuration renamed)."""
    configs = resources.files("pixfix.lab").joinpath("configs")
    specs = []
    for name, (software, config) in units.items():
        text = configs.joinpath(config).read_text()
        hostname = next(line for line in text.splitlines() if line.startswith("hostname "))
        specs.append({"name": name, "software": software, "transport": "ssh",
                      "config": text.replace(hostname, f"hostname {name}")})  # fmt: skip
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": specs}))
    return path
