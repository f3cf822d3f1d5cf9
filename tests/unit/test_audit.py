"""Every status rule of pixfix.audit.verdict, from literal configuration text; and audit_offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pixfix.audit.verdict import audit_config, audit_offline, verdict_from_parsed
from pixfix.errors import InputError
from pixfix.model import DeviceResult, FindingKind, Platform, Status
from pixfix.parse.config import parse_config

END = ["Cryptochecksum:0123456789abcdef0123456789abcdef", ": end"]
DEFAULT_CLASS = ["class-map inspection_default", " match default-inspection-traffic"]


def asa(*lines: str, version: str = "ASA Version 9.8(4)32") -> str:
    return "\n".join([": Saved", ":", version, "hostname fw", *lines, *END]) + "\n"


def pix6(*lines: str) -> str:
    return "\n".join(["PIX Version 6.3(5)", "hostname pix", "fixup protocol ftp 21", *lines, *END])


def global_policy(inspect: str, *esmtp_map: str, version: str = "ASA Version 9.8(4)32") -> str:
    return asa(
        *DEFAULT_CLASS,
        *esmtp_map,
        "policy-map global_policy",
        " class inspection_default",
        "  inspect ftp",
        f"  {inspect} ",
        "service-policy global_policy global",
        version=version,
    )


def esmtp_map(name: str, *parameters: str) -> list[str]:
    return [f"policy-map type inspect esmtp {name}", " parameters", *(f"  {p}" for p in parameters)]


# ---------------------------------------------------------------- fixup / mailhost trains


def test_active_fixup_is_exposed_with_its_ports() -> None:
    verdict = audit_config(pix6("fixup protocol smtp 25", "fixup protocol smtp 2525-2526"))
    assert verdict.status is Status.EXPOSED
    assert [(f.line, f.kind, f.ports, f.scope) for f in verdict.findings] == [
        ("fixup protocol smtp 25", FindingKind.FIXUP, (25,), "global"),
        ("fixup protocol smtp 2525-2526", FindingKind.FIXUP, (2525, 2526), "global"),
    ]


def test_stored_no_fixup_is_compliant_and_kept_as_ignored() -> None:
    verdict = audit_config(pix6("no fixup protocol smtp 25"))
    assert verdict.status is Status.COMPLIANT
    assert verdict.findings == ()
    assert [(f.line, f.active) for f in verdict.ignored] == [("no fixup protocol smtp 25", False)]


def test_one_port_still_on_is_exposed() -> None:
    verdict = audit_config(pix6("no fixup protocol smtp 25", "fixup protocol smtp 587"))
    assert verdict.status is Status.EXPOSED
    assert [f.ports for f in verdict.findings] == [(587,)]


def test_mailhost_is_exposed() -> None:
    text = "PIX Version 4.1(6)\nname 10.0.0.1 mailhost\nmailhost (inside) 10.0.0.1\n: end\n"
    verdict = audit_config(text)
    assert verdict.status is Status.EXPOSED
    assert [(f.kind, f.line, f.ports) for f in verdict.findings] == [
        (FindingKind.MAILHOST, "mailhost (inside) 10.0.0.1", (25,))
    ]


def test_no_mailhost_is_compliant() -> None:
    assert audit_config("PIX Version 4.1(6)\nno mailhost 10.0.0.1\n: end\n").status is (
        Status.COMPLIANT
    )


# ---------------------------------------------------------------- MPF


def test_inspect_esmtp_without_map_is_the_default_map_and_exposed() -> None:
    verdict = audit_config(global_policy("inspect esmtp"))
    assert verdict.status is Status.EXPOSED
    (finding,) = verdict.findings
    assert finding.to_json() == {
        "line": "inspect esmtp",
        "kind": "inspect",
        "ports": [25],
        "policy": "global_policy",
        "class": "inspection_default",
        "map": None,
        "scope": "global",
    }
    assert "_default_esmtp_map" in finding.reason


def test_fwsm_inspect_smtp_is_exposed() -> None:
    verdict = audit_config(global_policy("inspect smtp", version="FWSM Version 3.1(1) <context>"))
    assert verdict.status is Status.EXPOSED
    assert verdict.findings[0].line == "inspect smtp"


def test_no_smtp_inspection_is_compliant() -> None:
    verdict = audit_config(global_policy("inspect tftp"))
    assert (verdict.status, verdict.findings, verdict.ignored) == (Status.COMPLIANT, (), ())


def test_no_policy_at_all_is_compliant() -> None:
    assert audit_config(asa("interface Ethernet0", " nameif outside")).status is Status.COMPLIANT


def test_unbound_policy_map_does_not_count() -> None:
    text = asa(
        *DEFAULT_CLASS, "policy-map global_policy", " class inspection_default", "  inspect esmtp"
    )
    verdict = audit_config(text)
    assert verdict.status is Status.COMPLIANT
    (ignored,) = verdict.ignored
    assert (ignored.scope, ignored.active) == (None, False)
    assert "not bound" in ignored.reason


def test_the_policy_name_is_never_assumed() -> None:
    text = asa(
        *DEFAULT_CLASS,
        "policy-map asa_global_fw_policy",
        " class inspection_default",
        "  inspect esmtp",
        "service-policy asa_global_fw_policy global",
    )
    assert audit_config(text).findings[0].policy == "asa_global_fw_policy"


def test_interface_binding_gives_interface_scope_and_class_ports() -> None:
    text = asa(
        "class-map MAIL",
        " match port tcp eq 587",
        "policy-map MAILPOL",
        " class MAIL",
        "  inspect esmtp",
        "service-policy MAILPOL interface dmz",
        "service-policy MAILPOL interface outside",
    )
    verdict = audit_config(text)
    assert verdict.status is Status.EXPOSED
    assert [(f.scope, f.ports, f.class_name) for f in verdict.findings] == [
        ("interface dmz", (587,), "MAIL"),
        ("interface outside", (587,), "MAIL"),
    ]


def test_class_matched_by_access_list_has_no_port_list() -> None:
    text = asa(
        "class-map BYACL",
        " match access-list MAIL-HOSTS",
        "policy-map P",
        " class BYACL",
        "  inspect esmtp",
        "service-policy P global",
    )
    assert audit_config(text).findings[0].ports == ()


def test_inspection_default_without_its_class_map_means_port_25() -> None:
    text = asa(
        "policy-map P", " class inspection_default", "  inspect esmtp", "service-policy P global"
    )
    assert audit_config(text).findings[0].ports == (25,)


def test_tuned_map_is_tuned() -> None:
    text = global_policy("inspect esmtp TLS", *esmtp_map("TLS", "no mask-banner", "allow-tls"))
    verdict = audit_config(text)
    assert verdict.status is Status.TUNED
    assert verdict.findings[0].map_name == "TLS"
    assert not verdict.findings[0].exposing


def test_map_without_any_mask_banner_line_does_not_mask() -> None:
    text = global_policy("inspect esmtp TLS", *esmtp_map("TLS", "allow-tls"))
    assert audit_config(text).status is Status.TUNED


@pytest.mark.parametrize(
    ("parameters", "why"),
    [
        (("mask-banner", "allow-tls"), "masks the banner"),
        (("no mask-banner",), "does not allow TLS"),
        (("no mask-banner", "no allow-tls"), "does not allow TLS"),
        ((), "does not allow TLS"),
        (("mask-banner",), "masks the banner (mask-banner) and does not allow TLS"),
    ],
)
def test_map_that_masks_or_blocks_tls_is_exposed(parameters: tuple[str, ...], why: str) -> None:
    verdict = audit_config(global_policy("inspect esmtp M", *esmtp_map("M", *parameters)))
    assert verdict.status is Status.EXPOSED
    assert why in verdict.findings[0].reason
    assert why in verdict.reason


def test_unknown_map_is_exposed_and_says_why() -> None:
    text = global_policy("inspect esmtp TYPO", *esmtp_map("TLS", "allow-tls"))
    verdict = audit_config(text)
    assert verdict.status is Status.EXPOSED
    assert "unknown map TYPO" in verdict.findings[0].reason


def test_naming_the_builtin_default_map_is_the_default_map() -> None:
    verdict = audit_config(global_policy("inspect esmtp _default_esmtp_map"))
    assert verdict.status is Status.EXPOSED
    assert "masks the banner" in verdict.findings[0].reason


def test_one_untuned_binding_makes_the_device_exposed() -> None:
    text = asa(
        *DEFAULT_CLASS,
        *esmtp_map("TLS", "allow-tls"),
        "policy-map global_policy",
        " class inspection_default",
        "  inspect esmtp TLS",
        "policy-map EDGE",
        " class inspection_default",
        "  inspect esmtp",
        "service-policy global_policy global",
        "service-policy EDGE interface outside",
    )
    verdict = audit_config(text)
    assert verdict.status is Status.EXPOSED
    assert [f.exposing for f in verdict.findings] == [False, True]


def test_traps_are_not_findings() -> None:
    text = asa(
        "name 10.1.1.1 mailhost",
        "interface Ethernet0",
        " description inspect esmtp",
        "access-list X remark fixup protocol smtp 25",
        "banner motd fixup protocol smtp 25",
        "banner motd   inspect esmtp",
        "class-map C",
        " description inspect esmtp",
        " match any",
        "policy-map P",
        " description inspect esmtp",
        " class C",
        "  inspect http",
        "service-policy P global",
    )
    verdict = audit_config(text)
    assert (verdict.status, verdict.findings, verdict.ignored) == (Status.COMPLIANT, (), ())


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty capture"),
        ("% Invalid input detected at '^' marker.\n", "not a recognisable configuration"),
        ("ASA Version 9.6(1)\n!\ninterface G1/1\n nameif OUTSIDE\n!\n", "cut off"),
        ("PIX Version 6.3(5)\nhostname a\n: end\n", "no fixup lines"),
        (asa("policy-map P", " class C", "  no inspect esmtp"), "negated inspect"),
        (asa(version="ASA Version 9.12(4)10 <system>"), "system execution space"),
    ],
)
def test_unrecognisable_text_is_an_error_never_compliant(text: str, why: str) -> None:
    verdict = audit_config(text)
    assert verdict.status is Status.ERROR
    assert verdict.error is not None and why in verdict.error
    assert verdict.findings == ()


def test_error_keeps_the_software_when_the_version_line_was_read() -> None:
    verdict = audit_config("ASA Version 9.6(1)\nhostname a\n")
    assert verdict.software is not None and verdict.software.version == "9.6(1)"


def test_verdict_from_parsed_matches_audit_config() -> None:
    text = pix6("fixup protocol smtp 25")
    assert verdict_from_parsed(parse_config(text)) == audit_config(text)


# ---------------------------------------------------------------- results and offline audit


def test_device_result_json_shape() -> None:
    verdict = audit_config(pix6("fixup protocol smtp 25"))
    result = DeviceResult.from_verdict("fw1", verdict, context="ctx")
    data = json.loads(json.dumps(result.to_json()))
    assert data == {
        "name": "fw1",
        "context": "ctx",
        "platform": "pix",
        "software": "6.3(5)",
        "role": None,
        "status": "exposed",
        "findings": [
            {
                "line": "fixup protocol smtp 25",
                "kind": "fixup",
                "ports": [25],
                "policy": None,
                "class": None,
                "map": None,
                "scope": "global",
            }
        ],
        "error": None,
        "whole": "end marker",
    }
    assert result.label == "fw1/ctx"


def test_audit_offline_files_and_folders(tmp_path: Path) -> None:
    root = tmp_path / "configs"
    root.mkdir()
    (root / "sub").mkdir()
    (root / ".git").mkdir()
    (root / "b-pix.cfg").write_text(pix6("fixup protocol smtp 25"))
    (root / "sub" / "a-asa@tenant.cfg").write_text(global_policy("inspect tftp"))
    (root / "sub" / ".hidden.cfg").write_text("junk")
    (root / ".git" / "config").write_text("junk")
    (root / "c-latin1.cfg").write_bytes(
        "PIX Version 6.3(5)\nname 1.1.1.1 caf\xe9\n".encode("latin-1")
    )
    (root / "d-bom.cfg").write_bytes(b"\xef\xbb\xbf" + pix6("no fixup protocol smtp 25").encode())
    extra = tmp_path / "e-cut.txt"
    extra.write_text("ASA Version 9.6(1)\nhostname a\n")

    results = audit_offline([root, extra])

    summary = [(r.name, r.context, r.status, r.platform, r.software) for r in results]
    assert summary == [
        ("a-asa", "tenant", Status.COMPLIANT, Platform.ASA, "9.8(4)32"),
        ("b-pix", None, Status.EXPOSED, Platform.PIX, "6.3(5)"),
        ("c-latin1", None, Status.ERROR, None, None),
        ("d-bom", None, Status.COMPLIANT, Platform.PIX, "6.3(5)"),
        ("e-cut", None, Status.ERROR, Platform.ASA, "9.6(1)"),
    ]
    assert all(r.role is None for r in results)
    latin = results[2].error
    assert latin is not None and "not UTF-8" in latin


def test_audit_offline_unreadable_file_is_that_devices_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.cfg"
    path.write_text(pix6())

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    (result,) = audit_offline([path])
    assert (result.name, result.status) == ("locked", Status.ERROR)
    assert result.error is not None and "Permission denied" in result.error


def test_audit_offline_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        audit_offline([tmp_path / "nope.cfg"])
