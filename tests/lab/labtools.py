"""Helpers the lab test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_pixfix(
    *args: str | Path,
    folder: Path,
    lab_dir: Path | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """`python -m pixfix ARGS` in `folder`, with its own state directory (locks, keys) there and
    the lab's state directory when given; no terminal on stdin."""
    env = {**os.environ, "PIXFIX_STATE_DIR": str(folder / "state")}
    if lab_dir is not None:
        env["PIXFIX_LAB_DIR"] = str(lab_dir)
    return subprocess.run(
        [sys.executable, "-m", "pixfix", *map(str, args)],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
