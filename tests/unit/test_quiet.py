"""`pixfix -q` means errors only: no warnings, notes or progress lines on stderr."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import pixfix.lab
from pixfix.cli import main

INVENTORY = """\
defaults: {username: u, password: inline-pass-1}
hosts:
  fw1: {host: 192.0.2.1, platform: asa}
"""
CONFIG = (Path(pixfix.lab.__file__).parent / "configs" / "lab-asa84.cfg").read_text() + ": end\n"


def test_quiet_silences_warnings_and_notes(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(INVENTORY)
    loud = CliRunner().invoke(main, ["inventory", "check", "-i", str(inventory)])
    assert "warning: " in loud.stderr and "inline password" in loud.stderr
    quiet = CliRunner().invoke(main, ["-q", "inventory", "check", "-i", str(inventory)])
    assert quiet.exit_code == loud.exit_code == 0
    assert quiet.stderr == "" and quiet.stdout == loud.stdout


def test_quiet_silences_the_replaced_plan_note_but_not_errors(tmp_path: Path) -> None:
    (tmp_path / "fw.cfg").write_text(CONFIG)
    args = ["plan", "--offline", str(tmp_path / "fw.cfg"), "--out", str(tmp_path / "plan")]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, ["-q", *args])
    assert again.exit_code == 0 and again.stderr == ""
    error = CliRunner().invoke(main, ["-q", "audit", "--offline"])
    assert error.exit_code == 2 and "pixfix: error:" in error.stderr
