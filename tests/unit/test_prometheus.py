"""`--format prometheus`: a node_exporter textfile that Prometheus's own parser reads, with one
verdict per entry, counts per verdict, and when the audit ran."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

import pixfix.lab
from pixfix.audit.formats import Format, render_audit
from pixfix.cli import main
from pixfix.model import DeviceResult, Status

CONFIGS = Path(pixfix.lab.__file__).parent / "configs"


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def test_the_textfile_of_an_offline_audit_parses_and_says_each_verdict(tmp_path: Path) -> None:
    for name in ("lab-asa84", "lab-asa916-clean", "lab-asa918-tuned"):
        (tmp_path / f"{name}.cfg").write_text((CONFIGS / f"{name}.cfg").read_text() + ": end\n")
    (tmp_path / "broken.cfg").write_text("not a configuration\n")
    out = tmp_path / "pixfix.prom"
    result = CliRunner().invoke(
        main, ["audit", "--offline", str(tmp_path), "--format", "prometheus", "-o", str(out)]
    )
    assert result.exit_code == 3, result.output  # the broken file
    samples = _samples(out.read_text())
    current = {
        labels["device"]: labels["status"]
        for labels, value in samples["pixfix_device_status"]
        if value == 1
    }
    assert current == {
        "lab-asa84": "exposed",
        "lab-asa916-clean": "compliant",
        "lab-asa918-tuned": "tuned",
        "broken": "error",
    }
    assert len(samples["pixfix_device_status"]) == 4 * len(Status)  # every verdict, 0 or 1
    counts = {labels["status"]: value for labels, value in samples["pixfix_devices"]}
    assert counts == {"exposed": 1, "unsaved": 0, "tuned": 1, "compliant": 1, "error": 1}
    findings = {labels["device"]: value for labels, value in samples["pixfix_device_findings"]}
    assert findings["lab-asa84"] == 1 and findings["lab-asa918-tuned"] == 0
    ((_, started),) = samples["pixfix_audit_timestamp_seconds"]
    assert started > 1.7e9
    assert not list(tmp_path.glob(".*.partial"))  # written whole, then renamed


def test_label_values_are_escaped() -> None:
    odd = DeviceResult(name='fw"1\\a\nb', context="ctx", status=Status.ERROR, error="x")
    text = render_audit([odd], Format.PROMETHEUS, timing=(1_800_000_000.0, 1.5))
    samples = _samples(text)
    (labels, _), *_ = [s for s in samples["pixfix_device_status"] if s[1] == 1]
    assert labels["device"] == 'fw"1\\a\nb' and labels["context"] == "ctx"
    assert samples["pixfix_audit_duration_seconds"] == [({}, 1.5)]
