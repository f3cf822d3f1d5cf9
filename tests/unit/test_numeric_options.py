"""Every numeric option refuses NaN and infinity as bad input (exit 2, naming the option):
a plain range check lets NaN through, and `--timeout nan` once timed every device out."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pixfix.cli import main

CASES = [
    ("audit", "--offline", "{cfg}", "--timeout"),
    ("plan", "--offline", "{cfg}", "--out", "{out}", "--timeout"),
    ("probe", "mail.example.com", "--timeout"),
    ("apply", "{out}", "--timeout"),
    ("apply", "{out}", "--lock-wait"),
    ("rollback", "{out}", "--timeout"),
    ("lab", "up", "--boot-seconds"),
    ("lab", "up", "--minute-seconds"),
]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "infinity"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[-1]}")
def test_not_a_finite_number_is_bad_input(
    case: tuple[str, ...], value: str, tmp_path: Path
) -> None:
    cfg = tmp_path / "fw.cfg"
    cfg.write_text("ASA Version 9.8(4)\nhostname fw\n: end\n")
    args = [a.format(cfg=cfg, out=tmp_path) for a in case]
    result = CliRunner().invoke(main, [*args, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{case[-1]}'" in result.output
    assert "Traceback" not in result.output
