"""Every fixture `tests/fixtures/<train>/<command>/<case>.raw` against its `<case>.yml`.

`show_running-config` cases pin the raw records of each TextFSM template (`parsed`, null when
the text is not one whole configuration) and the audit verdict; `show_version` cases pin the
software record. A template without a fixture, or a fixture filed under the wrong train,
fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pixfix.audit.verdict import audit_config
from pixfix.errors import ParseError
from pixfix.model import Train
from pixfix.parse.config import config_records, parse_show_version
from pixfix.parse.sections import TEMPLATES
from pixfix.resources import templates_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRAIN_DIRS = [train.value for train in Train] + ["unrecognised"]
CASES = sorted(raw for folder in TRAIN_DIRS for raw in (FIXTURES / folder).glob("*/*.raw"))


def _expected(raw: Path) -> dict[str, Any]:
    data = yaml.safe_load(raw.with_suffix(".yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert data.get("description"), f"{raw.with_suffix('.yml')} needs a description"
    return data


def _check_show_version(raw: Path, text: str, expected: dict[str, Any]) -> None:
    if "error" in expected:
        with pytest.raises(ParseError, match=expected["error"]):
            parse_show_version(text)
        return
    software = parse_show_version(text)
    assert software.to_json() == expected["software"]
    assert software.train.value == raw.parents[1].name


def _check_running_config(raw: Path, text: str, expected: dict[str, Any]) -> None:
    if expected["parsed"] is None:
        with pytest.raises(ParseError):
            config_records(text)
    else:
        assert config_records(text) == expected["parsed"]
    verdict = audit_config(text)
    got = {
        "status": verdict.status.value,
        "platform": verdict.software.platform.value if verdict.software else None,
        "software": verdict.software.version if verdict.software else None,
        "findings": [finding.to_json() for finding in verdict.findings],
        "ignored": [finding.to_json() for finding in verdict.ignored],
        "error": verdict.error,
    }
    assert got == expected["verdict"]
    if verdict.software is not None:
        assert verdict.software.train.value == raw.parents[1].name


@pytest.mark.parametrize("raw", CASES, ids=lambda p: str(p.relative_to(FIXTURES).with_suffix("")))
def test_fixture(raw: Path) -> None:
    text = raw.read_bytes().decode("utf-8")
    expected = _expected(raw)
    if raw.parent.name == "show_version":
        _check_show_version(raw, text, expected)
    else:
        assert raw.parent.name == "show_running-config"
        _check_running_config(raw, text, expected)


def test_every_template_has_a_fixture() -> None:
    on_disk = {path.stem for path in (templates_dir() / "textfsm").glob("*.textfsm")}
    covered: set[str] = set()
    for raw in CASES:
        parsed = _expected(raw).get("parsed") or {}
        covered |= {name for name, rows in parsed.items() if rows}
    assert on_disk, "no TextFSM templates found"
    assert on_disk - covered == set(), "templates without a fixture that yields records"


def test_parser_runs_every_template_on_disk() -> None:
    on_disk = {path.stem for path in (templates_dir() / "textfsm").glob("*.textfsm")}
    assert set(TEMPLATES) == on_disk


def test_every_raw_has_a_yml_and_back() -> None:
    ymls = sorted(yml for folder in TRAIN_DIRS for yml in (FIXTURES / folder).glob("*/*.yml"))
    assert [p.with_suffix(".yml") for p in CASES] == ymls
    assert len(CASES) >= 20
