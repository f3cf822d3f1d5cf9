"""pixfix.plan.entry: what each device gets, from literal configuration text."""

from __future__ import annotations

import pytest

from pixfix.audit.verdict import audit_config
from pixfix.model import DeviceResult, Role, Status
from pixfix.parse.normalize import config_fingerprint
from pixfix.plan.entry import TUNE_MAP, DeviceMeta, Mode, PlanEntry, Reload, plan_entry

END = ["Cryptochecksum:0123456789abcdef0123456789abcdef", ": end"]
SSH = DeviceMeta(transport="ssh")


def asa(*lines: str, version: str = "ASA Version 9.8(4)32") -> str:
    return "\n".join([": Saved", ":", version, "hostname fw", *lines, *END]) + "\n"


def policy(*classes: str, maps: tuple[str, ...] = (), version: str = "ASA Version 9.8(4)32") -> str:
    return asa(
        "class-map inspection_default",
        " match default-inspection-traffic",
        "class-map MAIL",
        " match port tcp eq 587",
        *maps,
        "policy-map global_policy",
        *classes,
        "service-policy global_policy global",
        "service-policy global_policy interface outside",
        version=version,
    )


PLAIN = policy(" class inspection_default", "  inspect ftp ", "  inspect esmtp ")
TLS_MAP = ("policy-map type inspect esmtp TLS", " parameters", "  no mask-banner", "  allow-tls")


def plan(
    text: str | None,
    *,
    mode: Mode = Mode.DISABLE,
    reload: Reload = Reload.NEVER,
    meta: DeviceMeta = SSH,
    context: str | None = None,
    config_text: str | None = None,
) -> PlanEntry:
    verdict = audit_config(text or "")
    result = DeviceResult.from_verdict("fw1", verdict, context=context)
    given = text if config_text is None else config_text
    return plan_entry(result, given, meta, mode=mode, reload=reload)


def test_disable_removes_the_inspection_and_pins_the_whole_entry() -> None:
    entry = plan(PLAIN)
    assert entry.commands == (
        "configure terminal",
        "policy-map global_policy",
        " class inspection_default",
        "  no inspect esmtp",
        "end",
    )
    assert entry.rollback == (
        "configure terminal",
        "policy-map global_policy",
        " class inspection_default",
        "  inspect esmtp",
        "end",
    )
    assert entry.save == ("write memory",)
    assert entry.reload == ()
    assert entry.planned and entry.mode is Mode.DISABLE and entry.status is Status.EXPOSED
    assert entry.fingerprint == config_fingerprint(PLAIN)
    assert entry.before is not None and "Cryptochecksum" not in entry.before
    assert entry.diff().splitlines()[2:] == [
        "@@ -7,7 +7,6 @@",
        " policy-map global_policy",
        "  class inspection_default",
        "   inspect ftp",
        "-  inspect esmtp",
        " service-policy global_policy global",
        " service-policy global_policy interface outside",
        " : end",
    ]


def test_to_json_has_the_plan_keys_and_not_the_texts() -> None:
    data = plan(PLAIN, reload=Reload.NOW).to_json()
    assert list(data) == [
        "name",
        "context",
        "platform",
        "software",
        "status",
        "findings",
        "commands",
        "save",
        "reload",
        "rollback",
        "fingerprint",
        "notes",
        "mode",
        "planned",
    ]
    assert data["reload"] == ["reload"] and data["mode"] == "disable"
    assert data["findings"][0]["scope"] == "global"
    assert len(data["findings"]) == 2  # bound globally and on outside: one command set


def test_tune_keeps_esmtp_with_the_pixfix_map() -> None:
    entry = plan(PLAIN, mode=Mode.TUNE)
    assert entry.mode is Mode.TUNE
    assert entry.commands[1:7] == (
        f"policy-map type inspect esmtp {TUNE_MAP}",
        " parameters",
        "  no mask-banner",
        "  allow-tls",
        " match ehlo-reply-parameter others",
        "  mask",
    )
    assert entry.commands[-3:] == ("  no inspect esmtp", f"  inspect esmtp {TUNE_MAP}", "end")
    assert entry.rollback[-4:] == (
        f"  no inspect esmtp {TUNE_MAP}",
        "  inspect esmtp",
        f"no policy-map type inspect esmtp {TUNE_MAP}",
        "end",
    )
    assert audit_config(entry.after or "").status is Status.TUNED


def test_tune_changes_only_the_exposing_classes_and_disable_removes_all() -> None:
    text = policy(
        " class inspection_default",
        "  inspect esmtp TLS ",
        " class MAIL",
        "  inspect esmtp ",
        maps=TLS_MAP,
    )
    tune = plan(text, mode=Mode.TUNE)
    assert [c for c in tune.commands if c.startswith(" class")] == [" class MAIL"]
    disable = plan(text)
    assert [c.strip() for c in disable.commands if "inspect esmtp" in c] == [
        "no inspect esmtp TLS",
        "no inspect esmtp",
    ]


@pytest.mark.parametrize(
    ("version", "tunes"),
    [
        ("ASA Version 7.2(2)", False),
        ("ASA Version 7.2(3)", True),
        ("ASA Version 8.0(2)", False),
        ("ASA Version 8.0(3)", True),
        ("ASA Version 8.2(5)", True),
        ("PIX Version 7.0(4)", False),
        ("FWSM Version 3.1(1)", False),
    ],
)
def test_tune_falls_back_to_disable_before_allow_tls(version: str, tunes: bool) -> None:
    word = "smtp" if version.startswith("FWSM") else "esmtp"
    entry = plan(
        policy(" class inspection_default", f"  inspect {word} ", version=version), mode=Mode.TUNE
    )
    assert entry.planned
    assert entry.mode is (Mode.TUNE if tunes else Mode.DISABLE)
    assert any("tune mode needs ASA 7.2(3) / 8.0(3)" in n for n in entry.notes) is not tunes


def test_tune_falls_back_when_the_map_name_is_taken() -> None:
    taken = (f"policy-map type inspect esmtp {TUNE_MAP}", " parameters", "  mask-banner")
    text = policy(" class inspection_default", f"  inspect esmtp {TUNE_MAP} ", maps=taken)
    entry = plan(text, mode=Mode.TUNE)
    assert entry.mode is Mode.DISABLE and any("already exists" in n for n in entry.notes)
    assert entry.commands[-2] == f"  no inspect esmtp {TUNE_MAP}"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (policy(" class inspection_default", "  inspect ftp "), "already compliant"),
        (policy(" class MAIL", "  inspect esmtp TLS ", maps=TLS_MAP), "already tuned"),
    ],
)
def test_compliant_and_tuned_devices_get_nothing(text: str, note: str) -> None:
    for mode in Mode:
        entry = plan(text, mode=mode, reload=Reload.NOW)
        assert entry.planned and entry.commands == entry.save == entry.rollback == entry.reload
        assert entry.commands == () and any(note in n for n in entry.notes)
        assert entry.diff() == ""


def test_errors_are_not_planned() -> None:
    entry = plan(
        asa("policy-map global_policy", " class inspection_default").replace(
            "Cryptochecksum:0123456789abcdef0123456789abcdef\n: end\n", ""
        )
    )
    assert not entry.planned and entry.status is Status.ERROR and entry.commands == ()
    assert entry.notes[-1].startswith("not planned: the audit failed: ")
    result = DeviceResult(name="fw9", status=Status.ERROR, error="connection refused")
    unreachable = plan_entry(result, None, SSH, mode=Mode.DISABLE, reload=Reload.NEVER)
    assert not unreachable.planned and unreachable.fingerprint is None
    assert "connection refused" in unreachable.notes[-1]


def test_standby_gets_no_commands_and_is_told_to_change_the_active_unit() -> None:
    entry = plan(PLAIN, meta=DeviceMeta(transport="ssh", role=Role.STANDBY), reload=Reload.NOW)
    assert entry.planned and entry.commands == () and entry.reload == ()
    assert any("change the active unit" in n for n in entry.notes)


def test_managed_devices_and_saved_configurations_are_noted() -> None:
    entry = plan(PLAIN, meta=DeviceMeta(transport="offline", managed_by="CSM"))
    assert entry.notes[0].startswith("warning: managed by CSM: the manager may overwrite")
    assert "saved configuration" in entry.notes[1]
    assert entry.commands


def test_contexts_change_to_the_context_and_save_inside_it() -> None:
    text = PLAIN.replace("ASA Version 9.8(4)32", "ASA Version 9.12(4) <context>")
    entry = plan(
        text, context="mail", reload=Reload.NOW, meta=DeviceMeta(transport="ssh", role=Role.ACTIVE)
    )
    assert entry.commands[:2] == ("changeto context mail", "configure terminal")
    assert entry.rollback[:2] == ("changeto context mail", "configure terminal")
    assert entry.save == ("changeto context mail", "write memory")
    assert entry.reload == ("changeto system", "reload")
    assert entry.stem == "fw1@mail" and entry.label == "fw1/mail"
    assert any("every context" in n for n in entry.notes)
    assert any("fails over" in n for n in entry.notes)


def test_an_injected_context_name_fails_that_device() -> None:
    entry = plan(PLAIN, context="mail\nwrite erase")
    assert not entry.planned and entry.commands == () and entry.save == ()
    assert "rejected by the guard" in entry.notes[-1]


def test_a_configuration_that_does_not_match_the_audit_is_not_planned() -> None:
    entry = plan(PLAIN, config_text=policy(" class MAIL", "  inspect esmtp "))
    assert not entry.planned
    assert "does not give the audited findings" in entry.notes[-1]


def test_pix6_and_pix4_lines() -> None:
    pix6 = "\n".join(
        [
            "PIX Version 6.3(5)",
            "fixup protocol ftp 21",
            "fixup protocol smtp 25",
            "fixup protocol smtp 587-588",
            *END,
        ]
    )
    entry = plan(pix6, reload=Reload.NOW)
    assert entry.commands == (
        "configure terminal",
        "no fixup protocol smtp 25",
        "no fixup protocol smtp 587-588",
        "exit",
    )
    assert entry.rollback == (
        "configure terminal",
        "fixup protocol smtp 25",
        "fixup protocol smtp 587-588",
        "exit",
    )
    assert entry.reload == ("reload",)
    assert "+no fixup protocol smtp 25" in entry.diff()
    pix4 = "\n".join(["PIX Version 4.1(6)", "mailhost (inside) 1.2.3.4 10.0.0.25", *END])
    assert plan(pix4).commands == (
        "configure terminal",
        "no mailhost (inside) 1.2.3.4 10.0.0.25",
        "exit",
    )


def test_a_device_that_cannot_tune_reports_disable_even_with_nothing_to_do() -> None:
    pix6 = "\n".join(["PIX Version 6.3(5)", "no fixup protocol smtp 25", *END])
    entry = plan(pix6, mode=Mode.TUNE)
    assert entry.commands == () and entry.mode is Mode.DISABLE
    assert plan(policy(" class inspection_default", "  inspect ftp "), mode=Mode.TUNE).mode is (
        Mode.TUNE
    )
