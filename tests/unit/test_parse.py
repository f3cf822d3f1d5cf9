"""parse_config, clean_capture and version classification, from literal text."""

from __future__ import annotations

import doctest
import threading
from pathlib import Path

import pytest

import pixfix.parse.normalize
import pixfix.parse.version
from pixfix.errors import ParseError, TemplateError
from pixfix.model import ContextMode, Platform, Train, train_of
from pixfix.parse.config import config_software, parse_config, parse_show_version
from pixfix.parse.normalize import clean_capture, config_fingerprint, prepare_capture
from pixfix.parse.sections import split_sections
from pixfix.resources import data_dir, find_data_dir, templates_dir, textfsm_template

END = ["Cryptochecksum:0123456789abcdef0123456789abcdef", ": end"]


def asa(*lines: str, version: str = "ASA Version 9.8(4)32") -> str:
    return "\n".join([": Saved", ":", version, "hostname fw", *lines, *END]) + "\n"


def pix6(*lines: str) -> str:
    return "\n".join(["PIX Version 6.3(5)", "hostname pix", "fixup protocol ftp 21", *lines, *END])


# ---------------------------------------------------------------- clean_capture


def test_docstring_examples_run() -> None:
    for module in (pixfix.parse.normalize, pixfix.parse.version):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


def test_crlf_cr_nul_and_trailing_spaces() -> None:
    raw = "PIX Version 6.3(5)\r\x00\nfixup protocol smtp 25  \r\n: end\r\n"
    assert clean_capture(raw) == "PIX Version 6.3(5)\nfixup protocol smtp 25\n: end\n"


def test_cr_only_capture_is_split_on_cr() -> None:
    assert clean_capture("PIX Version 6.3(5)\rhostname a\r") == "PIX Version 6.3(5)\nhostname a\n"


def test_pager_erased_with_backspaces_keeps_indentation() -> None:
    erase = "<--- More --->" + "\b" * 14 + " " * 14 + "\b" * 14
    assert clean_capture(f"policy-map p\n class c\n{erase}  inspect esmtp\n") == (
        "policy-map p\n class c\n  inspect esmtp\n"
    )


def test_pager_erased_with_carriage_returns() -> None:
    raw = "a\n<--- More --->\r" + " " * 14 + "\r  inspect esmtp \nb\n"
    assert clean_capture(raw) == "a\n  inspect esmtp\nb\n"


def test_pager_remnant_with_its_erasing_spaces_and_without() -> None:
    stripped = "<--- More --->" + " " * 14 + "  inspect esmtp\n"
    assert clean_capture(stripped) == "  inspect esmtp\n"
    bare = "<--- More --->  inspect esmtp\n"
    assert clean_capture(bare) == "  inspect esmtp\n"


def test_ansi_sequences_are_dropped() -> None:
    assert clean_capture("\x1b[Khostname fw\x1b[0m\n") == "hostname fw\n"


@pytest.mark.parametrize(
    "prompt",
    [
        "pixfirewall# wr term",
        "FIREWALL-ASA#sh start",
        "FWSM/ceige#",
        "fw/pri/act# show running-config",
        "asa(config-pmap-c)#",
        "pix>",
        "show running-config",
        "write terminal",
        "more system:running-config",
        "Building configuration...",
        "[OK]",
    ],
)
def test_session_lines_are_removed(prompt: str) -> None:
    assert clean_capture(f"{prompt}\nhostname fw\n{prompt}\n") == "hostname fw\n"


@pytest.mark.parametrize(
    "line",
    ["terminal width 80", "access-list a remark fw# x", " description asa# y", ": end", "!"],
)
def test_configuration_lines_that_look_like_session_lines_stay(line: str) -> None:
    assert clean_capture(line + "\n") == line + "\n"


def test_empty_capture_cleans_to_empty() -> None:
    assert clean_capture("\r\n \r\n") == ""


def test_prepare_capture_keeps_prompts_for_speed() -> None:
    assert prepare_capture("fw# show run\r\n") == "fw# show run\n"


def test_fingerprint_ignores_checksum_timestamps_and_session() -> None:
    one = (
        ": Saved\n: Written by a at 1\nASA Version 9.8(4)\nhostname a \nCryptochecksum:11\n: end\n"
    )
    two = "fw# show run\r\n: Saved\r\nASA Version 9.8(4)\r\nhostname a\r\nCryptochecksum:22\r\n"
    assert config_fingerprint(one) == config_fingerprint(two)
    assert config_fingerprint(one) != config_fingerprint(one.replace("hostname a", "hostname b"))


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("line", "platform", "version", "tuple_", "mode"),
    [
        ("Cisco PIX Firewall Version 6.3(5)", Platform.PIX, "6.3(5)", (6, 3, 5, 0), "single"),
        ("Cisco PIX Security Appliance Software Version 7.2(4)", Platform.PIX, "7.2(4)",
         (7, 2, 4, 0), "single"),
        ("Cisco Adaptive Security Appliance Software Version 9.8(4)32", Platform.ASA, "9.8(4)32",
         (9, 8, 4, 32), "single"),
        ("Cisco Adaptive Security Appliance Software Version 9.12(4)10 <context>", Platform.ASA,
         "9.12(4)10", (9, 12, 4, 10), "context"),
        ("FWSM Firewall Version 3.1(1) <context>", Platform.FWSM, "3.1(1)", (3, 1, 1, 0),
         "context"),
        ("Cisco Adaptive Security Appliance Software Version 9.6(1) <system>", Platform.ASA,
         "9.6(1)", (9, 6, 1, 0), "system"),
    ],
)  # fmt: skip
def test_show_version_first_lines(
    line: str, platform: Platform, version: str, tuple_: tuple[int, ...], mode: str
) -> None:
    software = parse_show_version(f"\n{line}\nCompiled on ...\n")
    assert software.platform is platform
    assert software.version == version
    assert software.version_tuple == tuple_
    assert software.mode is ContextMode(mode)
    assert software.multi_context is (mode != "single")
    assert software.hardware is None


def test_show_version_hardware_line() -> None:
    text = "Cisco PIX Firewall Version 6.3(5)\nHardware:   PIX-501, 16 MB RAM, CPU Am5x86 133 MHz\n"
    assert parse_show_version(text).hardware == "PIX-501, 16 MB RAM, CPU Am5x86 133 MHz"


def test_show_version_refuses_other_devices() -> None:
    with pytest.raises(ParseError, match="no PIX, ASA or FWSM version line"):
        parse_show_version("Cisco IOS Software, Version 15.1(4)M4\n")


@pytest.mark.parametrize(
    ("platform", "version", "train"),
    [
        (Platform.PIX, (4, 0, 7, 0), Train.PIX4_MAILHOST),
        (Platform.PIX, (4, 1, 6, 0), Train.PIX4_MAILHOST),
        (Platform.PIX, (4, 2, 3, 207), Train.PIX_FIXUP),
        (Platform.PIX, (6, 3, 5, 0), Train.PIX_FIXUP),
        (Platform.PIX, (7, 0, 4, 0), Train.MPF),
        (Platform.ASA, (7, 0, 1, 0), Train.MPF),
        (Platform.ASA, (9, 12, 4, 10), Train.MPF),
        (Platform.FWSM, (2, 3, 2, 0), Train.FWSM_FIXUP),
        (Platform.FWSM, (3, 1, 1, 0), Train.FWSM_MPF),
        (Platform.FWSM, (4, 1, 5, 0), Train.FWSM_MPF),
    ],
)
def test_train_of(platform: Platform, version: tuple[int, int, int, int], train: Train) -> None:
    assert train_of(platform, version) is train


def test_config_version_line_with_build_context_and_hardware_header() -> None:
    text = ": Saved\n: Hardware:   FPR4K-SM-36\nASA Version 9.8(4)15 <context>\n" + "\n".join(END)
    software = parse_config(text).software
    assert (software.platform, software.version, software.version_tuple) == (
        Platform.ASA,
        "9.8(4)15",
        (9, 8, 4, 15),
    )
    assert software.mode is ContextMode.CONTEXT
    assert software.hardware == "FPR4K-SM-36"


def test_version_in_oxidized_preamble_is_not_the_config_version() -> None:
    text = "! Cisco Adaptive Security Appliance Software Version 9.12(4)67\n!\n" + asa()
    assert parse_config(text).software.version == "9.8(4)32"


def test_config_software_of_a_cut_off_capture() -> None:
    software = config_software("FWSM Version 3.1(1) <context>\nhostname x\n")
    assert software is not None and software.platform is Platform.FWSM
    assert config_software("hostname x\n") is None


# ---------------------------------------------------------------- parse_config facts


def test_fixup_facts_ports_ranges_and_stored_no_lines() -> None:
    parsed = parse_config(
        pix6(
            "fixup protocol smtp 25-26",
            "no fixup protocol smtp 2525",
            "fixup protocol h323 ras 1718-1719",
        )
    )
    assert [(f.line, f.ports, f.enabled) for f in parsed.fixups] == [
        ("fixup protocol smtp 25-26", (25, 26), True),
        ("no fixup protocol smtp 2525", (2525,), False),
    ]
    assert parsed.other_fixup_lines == 2
    assert parsed.train is Train.PIX_FIXUP


def test_mpf_facts() -> None:
    parsed = parse_config(
        asa(
            "class-map MAIL",
            " match port tcp range smtp 26",
            "policy-map type inspect esmtp M",
            " parameters",
            "  no mask-banner",
            "  allow-tls action log",
            "policy-map P",
            " class MAIL",
            "  inspect esmtp M ",
            "service-policy P interface outside",
        )
    )
    assert [(c.name, c.ports, c.default_inspection) for c in parsed.class_maps] == [
        ("MAIL", (25, 26), False)
    ]
    inspect = parsed.inspects[0]
    assert (inspect.line, inspect.protocol, inspect.map_name) == ("inspect esmtp M", "esmtp", "M")
    assert (inspect.policy, inspect.class_name) == ("P", "MAIL")
    assert [s.scope for s in parsed.bindings("P")] == ["interface outside"]
    esmtp_map = parsed.esmtp_map("M")
    assert esmtp_map is not None
    assert (esmtp_map.masks_banner, esmtp_map.allows_tls) == (False, True)


def test_sections_skip_typed_class_maps_and_other_inspect_maps() -> None:
    sections = split_sections(
        "class-map type inspect http match-all H\n match request method get\n"
        "policy-map type inspect dns D\n parameters\n  mask-banner\n"
        "policy-map type inspect esmtp E\n parameters\n"
    )
    assert set(sections) == {"config_esmtp_map"}


def test_blank_line_inside_a_block_does_not_end_it() -> None:
    parsed = parse_config(
        asa("policy-map P", " class c", "", "   ", "  inspect esmtp", "service-policy P global")
    )
    assert [i.line for i in parsed.inspects] == ["inspect esmtp"]


def test_lines_after_the_end_marker_are_not_read() -> None:
    parsed = parse_config(pix6("no fixup protocol smtp 25") + "\nfixup protocol smtp 25\n")
    assert [f.enabled for f in parsed.fixups] == [False]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["fixup protocol smtp"], "smtp fixup without a port"),
        (["fixup protocol smtp 26-25"], "runs backwards"),
        (["class-map C", " match port tcp eq nosuchport", "policy-map P", " class C",
          "  inspect esmtp"], "unknown port"),
        (["class-map C", " match port tcp gt 1024"], "unrecognised match port"),
        (["class-map C", " something odd"], "unexpected line in a class-map"),
        (["policy-map P", "  inspect esmtp"], "belongs to no policy-map class"),
        (["inspect esmtp"], "belongs to no policy-map class"),
        (["policy-map P", " class C", "  inspect esmtp A B"], "unrecognised inspect"),
        (["policy-map P", " class C", "  no inspect esmtp"], "negated inspect"),
        (["policy-map type inspect esmtp M", " match cmd line length gt 512", "  allow-tls"],
         "outside parameters"),
        (["policy-map type inspect esmtp M", " junk"], "unexpected line in an esmtp inspect map"),
        (["service-policy P interface"], "unrecognised service-policy"),
        (["service-policy P global outside"], "unrecognised service-policy"),
    ],
)  # fmt: skip
def test_lines_a_template_must_understand_raise(lines: list[str], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_config(asa(*lines) if not lines[0].startswith("fixup") else pix6(*lines))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty capture"),
        ("fw# show run\n", "no PIX, ASA or FWSM 'Version' line"),
        ("ASA Version 9.8(4)\nhostname a\n", "cut off"),
        (asa() + asa(), "2 version lines"),
        ("PIX Version 6.3(5)\nhostname a\n: end\n", "no fixup lines"),
        ("FWSM Version 2.3(2)\nhostname a\n: end\n", "no fixup lines"),
    ],
)
def test_not_a_whole_configuration(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_config(text)


def test_end_marker_alone_is_enough() -> None:
    assert parse_config("ASA Version 9.7(1)24\nhostname a\n: end").inspects == ()
    assert parse_config("ASA Version 9.7(1)24\nhostname a\nCryptochecksum:ab\n").inspects == ()


def test_pix4_train_needs_no_fixup_lines() -> None:
    assert parse_config("PIX Version 4.1(6)\nhostname a\n: end\n").mailhosts == ()


def test_templates_are_safe_across_threads() -> None:
    text = asa("policy-map P", " class C", "  inspect esmtp", "service-policy P global")
    results: list[int] = []

    def work() -> None:
        results.extend(len(parse_config(text).inspects) for _ in range(50))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 200


# ---------------------------------------------------------------- resources


def test_template_locator_finds_the_source_tree() -> None:
    assert templates_dir() == data_dir("templates")
    assert textfsm_template("config_fixup").is_file()


def test_template_locator_prefers_the_wheel_layout(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "pixfix"
    (package / "_templates").mkdir(parents=True)
    assert find_data_dir(package, "templates") == package / "_templates"
    source = tmp_path / "checkout"
    (source / "pixfix").mkdir(parents=True)
    (source / "templates").mkdir()
    assert find_data_dir(source / "pixfix", "templates") == source / "templates"
    with pytest.raises(TemplateError, match="not found"):
        find_data_dir(source / "pixfix", "inventories")
    with pytest.raises(TemplateError, match="not found"):
        textfsm_template("no_such_template")


def test_unrelated_class_maps_are_not_read_for_ports() -> None:
    parsed = parse_config(
        asa("class-map VOICE", " match port udp eq some-odd-literal", "service-policy P global")
    )
    assert parsed.class_maps == ()


def test_template_refusal_is_one_line_naming_the_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_config(asa("policy-map P", " class C", "  no inspect esmtp"))
    assert str(caught.value) == (
        "negated inspect line in a running configuration: 'no inspect esmtp' (config_policy_map)"
    )
