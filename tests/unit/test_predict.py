"""pixfix.plan.predict: commands applied to configuration text the way each train's device does."""

from __future__ import annotations

import pytest

from pixfix.audit.verdict import audit_config
from pixfix.errors import PredictError
from pixfix.model import Status, Train
from pixfix.plan.predict import normal_config, predict

END = ["Cryptochecksum:0123456789abcdef0123456789abcdef", ": end"]


def config(version: str, *lines: str) -> str:
    return "\n".join([": Saved", ":", version, "hostname fw", *lines, *END]) + "\n"


PIX6 = config(
    "PIX Version 6.3(5)",
    "fixup protocol ftp 21",
    "fixup protocol smtp 25",
    "fixup protocol smtp 2525",
    "fixup protocol sqlnet 1521",
    "names",
)
ASA = config(
    "ASA Version 9.8(4)32",
    "class-map inspection_default",
    " match default-inspection-traffic",
    "policy-map type inspect dns preset_dns_map",
    " parameters",
    "  message-length maximum 512",
    "policy-map global_policy",
    " class inspection_default",
    "  inspect ftp ",
    "  inspect esmtp ",
    "  inspect tftp ",
    "policy-map OTHER",
    " class inspection_default",
    "  inspect ftp ",
    "service-policy global_policy global",
)
ENTER = ["policy-map global_policy", " class inspection_default"]


def body(text: str) -> list[str]:
    """The lines between the version line and `: end`."""
    lines = text.splitlines()
    return lines[1 : lines.index(": end")]


def test_normal_config_drops_session_volatile_and_blank_lines() -> None:
    raw = "fw# show run\r\n: Saved\r\n:\r\nPIX Version 6.3(5)\r\n\r\nhostname fw\r\n"
    raw += "Cryptochecksum:00ff\r\n: end\r\nfw# "
    assert normal_config(raw) == "PIX Version 6.3(5)\nhostname fw\n: end\n"


def test_normal_config_gives_end_for_a_checksum_but_never_invents_one() -> None:
    assert normal_config("ASA Version 9.8(4)\nhostname a\nCryptochecksum:00\n").endswith(": end\n")
    assert ": end" not in normal_config("ASA Version 9.8(4)\nhostname a\n")


def test_pix6_stores_the_no_fixup_line_in_place_and_restores_it_in_place() -> None:
    off = predict(
        PIX6, ["configure terminal", "no fixup protocol smtp 25", "exit"], Train.PIX_FIXUP
    )
    assert body(off)[2:4] == ["no fixup protocol smtp 25", "fixup protocol smtp 2525"]
    on = predict(off, ["configure terminal", "fixup protocol smtp 25", "exit"], Train.PIX_FIXUP)
    assert on == normal_config(PIX6)


def test_pix6_new_fixup_goes_after_the_other_fixups() -> None:
    out = predict(PIX6, ["configure terminal", "fixup protocol smtp 587", "exit"], Train.PIX_FIXUP)
    assert body(out)[4:6] == ["fixup protocol sqlnet 1521", "fixup protocol smtp 587"]


def test_pix6_has_no_end() -> None:
    with pytest.raises(PredictError, match="command 3 'end'"):
        predict(PIX6, ["configure terminal", "no fixup protocol smtp 25", "end"], Train.PIX_FIXUP)


def test_mpf_removes_the_inspect_line_and_puts_it_back_at_the_end_of_its_class() -> None:
    off = predict(ASA, ["configure terminal", *ENTER, "  no inspect esmtp", "end"], Train.MPF)
    assert "  inspect esmtp" not in body(off)
    assert audit_config(off).status is Status.COMPLIANT
    on = predict(off, ["configure terminal", *ENTER, "  inspect esmtp", "end"], Train.MPF)
    lines = body(on)
    assert lines[lines.index(" class inspection_default") + 1 :][:3] == [
        "  inspect ftp",
        "  inspect tftp",
        "  inspect esmtp",
    ]
    assert audit_config(on).findings == audit_config(ASA).findings


def test_asa_refuses_a_second_esmtp_inspection_in_a_class() -> None:
    with pytest.raises(PredictError, match="refuses a second one"):
        predict(ASA, ["configure terminal", *ENTER, "  inspect esmtp MAP", "end"], Train.MPF)


def test_asa_stores_a_typed_inspect_smtp_as_esmtp_but_fwsm_keeps_smtp() -> None:
    cmds = [
        "configure terminal",
        "policy-map OTHER",
        " class inspection_default",
        "  inspect smtp",
        "end",
    ]
    assert "  inspect esmtp" in body(predict(ASA, cmds, Train.MPF))
    fwsm = ASA.replace("ASA Version 9.8(4)32", "FWSM Version 3.1(1)")
    assert "  inspect smtp" in body(predict(fwsm, cmds, Train.FWSM_MPF))


def test_a_top_level_command_leaves_the_submode() -> None:
    cmds = [
        "configure terminal",
        *ENTER,
        "  no inspect esmtp",
        "policy-map OTHER",
        " class inspection_default",
        "  inspect esmtp",
        "end",
    ]
    lines = body(predict(ASA, cmds, Train.MPF))
    assert lines[-2:] == ["  inspect esmtp", "service-policy global_policy global"]


def test_a_new_inspect_map_goes_after_the_other_inspect_maps() -> None:
    cmds = [
        "configure terminal",
        "policy-map type inspect esmtp M",
        " parameters",
        "  no mask-banner",
        "  allow-tls",
        " match ehlo-reply-parameter others",
        "  mask",
        "end",
    ]
    lines = body(predict(ASA, cmds, Train.MPF))
    at = lines.index("policy-map type inspect esmtp M")
    assert lines[at - 1] == "  message-length maximum 512"
    assert lines[at + 1 : at + 7] == [
        " parameters",
        "  no mask-banner",
        "  allow-tls",
        " match ehlo-reply-parameter others",
        "  mask",
        "policy-map global_policy",
    ]


def test_no_mask_banner_is_stored_in_place_of_mask_banner() -> None:
    text = ASA.replace(
        "policy-map global_policy\n",
        "policy-map type inspect esmtp M\n parameters\n  mask-banner\npolicy-map global_policy\n",
    )
    cmds = [
        "configure terminal",
        "policy-map type inspect esmtp M",
        " parameters",
        "  no mask-banner",
        "end",
    ]
    lines = body(predict(text, cmds, Train.MPF))
    at = lines.index("policy-map type inspect esmtp M")
    assert lines[at + 1 : at + 3] == [" parameters", "  no mask-banner"]


def test_a_map_in_use_cannot_be_removed() -> None:
    text = ASA.replace("  inspect esmtp ", "  inspect esmtp M").replace(
        "policy-map global_policy\n",
        "policy-map type inspect esmtp M\n parameters\n  allow-tls\npolicy-map global_policy\n",
    )
    with pytest.raises(PredictError, match="still used"):
        predict(
            text, ["configure terminal", "no policy-map type inspect esmtp M", "end"], Train.MPF
        )


@pytest.mark.parametrize(
    ("commands", "message"),
    [
        (["configure terminal", *ENTER, "  no inspect esmtp MAP", "end"], "no such inspect"),
        (["configure terminal", "no policy-map type inspect esmtp NONE", "end"], "nothing to"),
        (["configure terminal", "write erase", "end"], "would refuse"),
        (["configure terminal", "clear configure all", "end"], "would refuse"),
        (["configure terminal", *ENTER, "  no inspect esmtp"], "do not leave"),
        (["write erase"], "not an exec command"),
        (["configure terminal", "no policy-map global_policy", "end"], "never removes"),
        (["configure terminal", "fixup protocol smtp 25", "end"], "only on PIX"),
    ],
)
def test_what_the_device_would_refuse_or_the_plan_must_not_do(
    commands: list[str], message: str
) -> None:
    with pytest.raises(PredictError, match=message):
        predict(ASA, commands, Train.MPF)


def test_mailhost_lines_come_and_go_and_changeto_and_save_change_nothing() -> None:
    text = config("PIX Version 4.1(6)", "mailhost (inside) 192.0.2.25 10.1.1.25", "pager lines 24")
    off = predict(
        text,
        ["configure terminal", "no mailhost (inside) 192.0.2.25 10.1.1.25", "exit", "write memory"],
        Train.PIX4_MAILHOST,
    )
    assert audit_config(off).status is Status.COMPLIANT
    on = predict(
        off,
        ["configure terminal", "mailhost (inside) 192.0.2.25 10.1.1.25", "exit"],
        Train.PIX4_MAILHOST,
    )
    assert audit_config(on).findings == audit_config(text).findings
    same = predict(ASA, ["changeto context mail", "changeto system", "write memory"], Train.MPF)
    assert same == normal_config(ASA)


def test_no_version_line_is_an_error() -> None:
    with pytest.raises(PredictError, match="no PIX, ASA or FWSM version line"):
        predict("hostname fw\n", [], Train.MPF)
