"""Audit every real public configuration in shared/corpus/real against verdicts checked by hand.

The corpus lives beside the repository (`<checkout>/../shared/corpus/real`), outside it: the
configurations are other people's text and are not copied into pixfix. Each expected verdict
below was written after reading the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixfix.audit.verdict import audit_config, audit_offline
from pixfix.model import Status

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real"

if not CORPUS.is_dir():
    pytest.skip(
        f"real corpus not found at {CORPUS} (shared/ beside the checkout)", allow_module_level=True
    )


def fixup(ports: list[int], line: str = "fixup protocol smtp 25") -> dict[str, Any]:
    return {
        "line": line,
        "kind": "fixup",
        "ports": ports,
        "policy": None,
        "class": None,
        "map": None,
        "scope": "global",
    }


def inspect(line: str = "inspect esmtp", policy: str = "global_policy") -> dict[str, Any]:
    return {
        "line": line,
        "kind": "inspect",
        "ports": [25],
        "policy": policy,
        "class": "inspection_default",
        "map": None,
        "scope": "global",
    }


# file -> (status, platform, software, findings, ignored lines, reason fragment)
EXPECTED: dict[str, tuple[Status, str, str, list[dict[str, Any]], list[str], str]] = {
    # Lone ':' first, prompt last, no ': end' but a Cryptochecksum: the KB fix is stored.
    "pix42-pix2asa-conduit.cfg": (
        Status.COMPLIANT, "pix", "4.2(3)207", [], ["no fixup protocol smtp 25"], "no active",
    ),
    # `wr term` session around the config; factory default fixup on.
    "pix44-chuckbag-outofbox.cfg": (
        Status.EXPOSED, "pix", "4.4(5)", [fixup([25])], [], "Mailguard",
    ),
    # The wrapped `timeout conn ... si` / `p 0:30:00` line is harmless.
    "pix53-chuckbag-outofbox.cfg": (
        Status.EXPOSED, "pix", "5.3(1)", [fixup([25])], [], "Mailguard",
    ),
    "pix61-ziptie-pix501-running.cfg": (
        Status.EXPOSED, "pix", "6.1(1)", [fixup([25])], [], "Mailguard",
    ),
    # `fixup protocol http 443` and a remark naming a host: only the smtp fixup counts.
    "pix631-pix2asa-pix501-aug13.cfg": (
        Status.EXPOSED, "pix", "6.3(1)", [fixup([25])], [], "Mailguard",
    ),
    # `! Incomplete` under a crypto map is a device comment, not a cut-off marker.
    "pix635-fwbuilder-guardian.cfg": (
        Status.COMPLIANT, "pix", "6.3(5)", [], ["no fixup protocol smtp 25"], "no active",
    ),
    "pix635-pix2asa-515-fo.cfg": (
        Status.EXPOSED, "pix", "6.3(5)", [fixup([25])], [], "Mailguard",
    ),
    # Two custom classes carry h323/http only; esmtp sits in inspection_default.
    "pix721-fwbuilder-pix1.cfg": (
        Status.EXPOSED, "pix", "7.2(1)", [inspect()], [], "_default_esmtp_map",
    ),
    # No inspect, no service-policy, an unused http inspect map; ends at Cryptochecksum.
    "pix722-pix2asa-525-nopolicy.cfg": (
        Status.COMPLIANT, "pix", "7.2(2)", [], [], "no active",
    ),
    "asa83-fwbuilder-asa5505.cfg": (
        Status.EXPOSED, "asa", "8.3(2)", [inspect()], [], "_default_esmtp_map",
    ),
    # The sample has no `class-map inspection_default` (trimmed); the class still means 25.
    "asa90-ciscoconfparse-sample01.cfg": (
        Status.EXPOSED, "asa", "9.0(3)", [inspect()], [], "_default_esmtp_map",
    ),
    # `sh start` pasted into a README: it stops after the interfaces, without Cryptochecksum
    # or ': end'. The policy section and any service-policy would come later, so the capture
    # cannot say whether ESMTP is inspected: error, never compliant.
    "asa96-charlesonr-pt-startup.cfg": (
        Status.ERROR, "asa", "9.6(1)", [], [], "cut off",
    ),
    # global_policy inspects dns, ftp, tftp, ip-options only; banner lines are not read.
    "asa97-netutils-jcy-fw-01.cfg": (
        Status.COMPLIANT, "asa", "9.7(1)24", [], [], "no active",
    ),
    "asa98-pix2asa-perimeter-context.cfg": (
        Status.EXPOSED, "asa", "9.8(4)15", [inspect()], [], "_default_esmtp_map",
    ),
    # Oxidized: ~70 '! ' show-version lines (one names 'Version 9.12(4)67') before the config.
    "asa912-oxidized-lab-asa12.cfg": (
        Status.EXPOSED, "asa", "9.12(4)67", [inspect()], [], "_default_esmtp_map",
    ),
    # FWSM keyword `inspect smtp`; the interface policy hiphop2 inspects snmp only, and the
    # policy-map `testing` is unbound and sets connection limits only.
    "fwsm31-ziptie-ceige-context.cfg": (
        Status.EXPOSED, "fwsm", "3.1(1)", [inspect("inspect smtp")], [], "Mailguard",
    ),
}  # fmt: skip


def test_every_corpus_file_has_an_expected_verdict() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.cfg")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_verdict(name: str) -> None:
    status, platform, software, findings, ignored, reason = EXPECTED[name]
    verdict = audit_config((CORPUS / name).read_text(encoding="utf-8"))
    assert verdict.status is status, verdict.reason
    assert verdict.software is not None
    assert (verdict.software.platform.value, verdict.software.version) == (platform, software)
    assert [f.to_json() for f in verdict.findings] == findings
    assert [f.line for f in verdict.ignored] == ignored
    assert reason in verdict.reason


def test_context_markers_and_hardware_headers() -> None:
    context = audit_config((CORPUS / "asa98-pix2asa-perimeter-context.cfg").read_text()).software
    assert context is not None and context.multi_context and context.hardware == "FPR4K-SM-36"
    fwsm = audit_config((CORPUS / "fwsm31-ziptie-ceige-context.cfg").read_text()).software
    assert fwsm is not None and fwsm.multi_context


def test_audit_offline_over_the_corpus_files() -> None:
    results = audit_offline(sorted(CORPUS.glob("*.cfg")))
    assert [(r.name + ".cfg", r.status) for r in results] == [
        (name, expected[0]) for name, expected in sorted(EXPECTED.items())
    ]
