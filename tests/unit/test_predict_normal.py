"""Predicted configurations are already normal, so `predict` may remember them as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixfix.audit.verdict import audit_config
from pixfix.model import DeviceResult
from pixfix.plan.entry import DeviceMeta, Mode, Reload, plan_entry
from pixfix.plan.predict import _normal_config

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "pixfix" / "lab" / "configs").glob("*.cfg"))


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_predicted_text_is_a_fixed_point_of_normalisation(path: Path, mode: Mode) -> None:
    text = path.read_text() + "Cryptochecksum:00\n: end\n"
    result = DeviceResult.from_verdict(path.stem, audit_config(text))
    entry = plan_entry(result, text, DeviceMeta(transport="ssh"), mode=mode, reload=Reload.NEVER)
    assert entry.after is not None
    assert _normal_config(entry.after) == entry.after
