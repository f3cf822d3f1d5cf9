"""A configuration damaged the way real captures are damaged never reads better than it is.

Captures lose their structure: a backup tool or a web page strips the indentation, an editor
re-indents with tabs or two spaces, pager erases leave spaces or remnants, line ends get mixed,
blank lines appear, a copy is cut off. The verdict of a damaged text is the original one or
`error`; never `compliant` (or `tuned`) for an exposed firewall. Checked on the real corpus and
on generated configurations of every train (bound and unbound policies, inspect maps, ports,
contexts) with every damage, alone and combined.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixfix.audit.verdict import audit_config
from pixfix.errors import InputError
from pixfix.model import DeviceResult, Status
from pixfix.plan.entry import DeviceMeta, Mode, Reload, plan_entry

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real"
Damage = Callable[[str, random.Random], str]
MORE = "<--- More --->"
PAGER_FORMS = (  # each way a pager prompt and its erase reach a capture
    MORE + "\r" + " " * 14 + "\r",  # PIX over telnet: CR, spaces, CR
    MORE + "\b" * 14 + " " * 14 + "\b" * 14,  # ASA: backspaces, spaces, backspaces
    MORE + " " * 14,  # the control characters dropped by the capture tool
    MORE,
)


def _lines(text: str, change: Callable[[str], str]) -> str:
    return "\n".join(change(line) for line in text.split("\n"))


def strip_indent(text: str, rng: random.Random) -> str:
    return _lines(text, lambda line: line.lstrip(" "))


def tab_indent(text: str, rng: random.Random) -> str:
    return _lines(text, lambda line: re.sub(r"^ +", lambda m: "\t" * len(m.group()), line))


def two_space_indent(text: str, rng: random.Random) -> str:
    return _lines(text, lambda line: re.sub(r"^ +", lambda m: "  " * len(m.group()), line))


def web_page(text: str, rng: random.Random) -> str:
    """Pasted from a web page: indentation as no-break spaces."""
    return _lines(text, lambda line: re.sub(r"^ +", lambda m: "\u00a0" * len(m.group()), line))


def pager_remnants(text: str, rng: random.Random) -> str:
    return _lines(
        text, lambda line: rng.choice(PAGER_FORMS) + line if rng.random() < 0.15 else line
    )


def mixed_line_ends(text: str, rng: random.Random) -> str:
    ends = ("\n", "\r\n", "\r\r\n", "\n\r")
    return "".join(line + rng.choice(ends) for line in text.split("\n"))


def blank_lines(text: str, rng: random.Random) -> str:
    return _lines(text, lambda line: line + "\n" if rng.random() < 0.15 else line)


def stray_spaces(text: str, rng: random.Random) -> str:
    """Pager residue of unknown width: spaces in front of random lines."""
    return _lines(
        text, lambda line: " " * rng.randint(1, 16) + line if rng.random() < 0.2 else line
    )


def cut_off(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    return "\n".join(lines[: rng.randrange(len(lines))])


SAME: tuple[Damage, ...] = (
    strip_indent,
    tab_indent,
    two_space_indent,
    web_page,
    pager_remnants,
    mixed_line_ends,
    blank_lines,
)
"""Damage that leaves every keyword readable: the verdict must be exactly the original one."""
ANY: tuple[Damage, ...] = (*SAME, stray_spaces, cut_off)
"""Any damage at all: the original verdict or `error`, never a better one."""


def verdict(text: str) -> Status:
    return audit_config(text).status


def corpus_texts() -> list[Path]:
    return sorted(CORPUS.glob("*.cfg")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("damage", SAME, ids=lambda d: d.__name__)
@pytest.mark.parametrize("path", corpus_texts(), ids=lambda p: p.stem)
def test_real_configurations_keep_their_verdict_when_their_structure_is_damaged(
    path: Path, damage: Damage
) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    assert verdict(damage(text, random.Random(path.stem))) is verdict(text)


@pytest.mark.parametrize("path", corpus_texts(), ids=lambda p: p.stem)
def test_real_configurations_cut_at_every_line_never_read_better(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    original = verdict(text)
    lines = text.split("\n")
    seen = {verdict("\n".join(lines[:end])) for end in range(len(lines))}
    assert seen <= {original, Status.ERROR}


def test_the_corpus_is_there() -> None:
    assert len(corpus_texts()) >= 10, f"the real corpus is expected at {CORPUS}"


# ---- generated configurations ---------------------------------------------------------------

FILLER = (
    "hostname fw",
    "names",
    "name 10.1.1.25 mailhost-name",
    "interface GigabitEthernet0/0\n nameif outside\n security-level 0",
    "access-list outside_in extended permit tcp any host 10.1.1.25 eq smtp",
    "access-list outside_in remark inspect esmtp is not configured here",
    "object network mailserver\n host 10.1.1.25",
    "banner motd fixup protocol smtp 25 is not a fixup",
    "logging enable",
)
PIX_FILLER = ("nameif ethernet0 outside security0", "hostname pix", "pager lines 24")


@st.composite
def fixup_configs(draw: st.DrawFn) -> str:
    header = draw(
        st.sampled_from(["PIX Version 6.3(5)", "PIX Version 5.2(1)", "FWSM Version 2.3(2)"])
    )
    smtp = draw(
        st.sampled_from(
            [
                [],
                ["fixup protocol smtp 25"],
                ["no fixup protocol smtp 25"],
                ["fixup protocol smtp 25-26"],
                ["fixup protocol smtp 2525", "no fixup protocol smtp 25"],
            ]
        )
    )
    others = ["fixup protocol ftp 21", "fixup protocol http 80"]
    fixups = draw(st.permutations([*others, *smtp]))
    filler = draw(st.lists(st.sampled_from(PIX_FILLER), max_size=3))
    return _whole(header, [*filler, *fixups])


@st.composite
def mailhost_configs(draw: st.DrawFn) -> str:
    mailhost = draw(st.sampled_from([[], ["mailhost 192.0.2.25 10.1.1.25"]]))
    return _whole("PIX Version 4.1(6)", [*PIX_FILLER, *mailhost])


@st.composite
def mpf_configs(draw: st.DrawFn) -> str:
    fwsm = draw(st.booleans())
    version = (
        "FWSM Version 3.1(3)"
        if fwsm
        else draw(
            st.sampled_from(["ASA Version 8.4(7)", "ASA Version 9.8(4)32", "PIX Version 7.2(4)"])
        )
    )
    if draw(st.booleans()) and not version.startswith("PIX"):
        version += " <context>"
    protocol = "smtp" if fwsm else "esmtp"
    lines = [*draw(st.lists(st.sampled_from(FILLER), max_size=4, unique=True))]
    lines += ["class-map inspection_default", " match default-inspection-traffic"]
    port = draw(st.sampled_from([None, "eq 25", "eq smtp", "range 25 26", "eq 2525"]))
    if port:
        lines += ["class-map MAIL", f" match port tcp {port}"]
    map_name = None
    if not fwsm and draw(st.booleans()):
        map_name = "MAIL-MAP"
        params = draw(
            st.lists(st.sampled_from(["mask-banner", "no mask-banner", "allow-tls"]), unique=True)
        )
        lines += [f"policy-map type inspect esmtp {map_name}", " parameters"]
        lines += [f"  {p}" for p in params]
        lines += [" match ehlo-reply-parameter others", "  mask"]
    inspect = f"inspect {protocol}" + (f" {map_name}" if map_name and draw(st.booleans()) else "")
    default_inspects = draw(st.permutations(["inspect ftp", "inspect dns", inspect]))
    keep = draw(st.booleans())
    lines += ["policy-map global_policy", " class inspection_default"]
    lines += [f"  {i}" for i in default_inspects if keep or i != inspect]
    if port and draw(st.booleans()):
        lines += [" class MAIL", f"  {inspect}"]
    bind = draw(st.sampled_from([None, "global", "interface outside"]))
    if bind:
        lines.append(f"service-policy global_policy {bind}")
    return _whole(version, lines)


def _whole(version: str, lines: list[str]) -> str:
    return "\n".join(
        [version, *lines, "Cryptochecksum:0123456789abcdef0123456789abcdef", ": end", ""]
    )


configs = st.one_of(fixup_configs(), mailhost_configs(), mpf_configs())
PROPERTY = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(
    text=configs,
    damages=st.lists(st.sampled_from(SAME), min_size=1, max_size=3),
    seed=st.integers(0, 9),
)
def test_generated_configurations_keep_their_verdict_through_structure_damage(
    text: str, damages: list[Damage], seed: int
) -> None:
    original = verdict(text)
    assert original is not Status.ERROR, audit_config(text)
    damaged = text
    for damage in damages:
        damaged = damage(damaged, random.Random(seed))
    assert verdict(damaged) is original, repr(damaged)


@PROPERTY
@given(
    text=configs,
    damages=st.lists(st.sampled_from(ANY), min_size=1, max_size=3),
    seed=st.integers(0, 9),
)
def test_generated_configurations_never_read_better_than_they_are(
    text: str, damages: list[Damage], seed: int
) -> None:
    original = verdict(text)
    damaged = text
    for damage in damages:
        damaged = damage(damaged, random.Random(seed))
    assert verdict(damaged) in (original, Status.ERROR), repr(damaged)


# ---- cut off -------------------------------------------------------------------------------

PIX_CUT = "PIX Version 6.3(5)\nhostname pix\nfixup protocol ftp 21\nfixup protocol smtp 25\nnames\n"
ASA_BOUND = (
    "ASA Version 9.8(4)32\nhostname fw\nclass-map inspection_default\n"
    " match default-inspection-traffic\npolicy-map global_policy\n class inspection_default\n"
    "  inspect esmtp\nservice-policy global_policy global\nprompt hostname context\n"
)


@pytest.mark.parametrize("text", [PIX_CUT, ASA_BOUND], ids=["fixup", "bound-inspect"])
def test_a_cut_off_text_that_proves_exposure_is_exposed_and_says_so(text: str) -> None:
    found = audit_config(text)
    assert found.status is Status.EXPOSED and found.cut_off is not None
    assert "ends after line" in found.cut_off
    result = DeviceResult.from_verdict("fw", found).to_json()
    assert result["cut_off"] is True and result["note"] == found.cut_off


@pytest.mark.parametrize(
    "text",
    [
        ASA_BOUND.split("service-policy", maxsplit=1)[0],  # the binding may follow the cut
        ASA_BOUND.replace("inspect esmtp", "inspect esmtp MAP"),  # the map may be defined later
        "PIX Version 6.3(5)\nhostname pix\nfixup protocol ftp 21\nno fixup protocol smtp 25\n",
    ],
    ids=["unbound", "unknown-map", "no-proof"],
)
def test_a_cut_off_text_without_proof_is_an_error(text: str) -> None:
    assert audit_config(text).status is Status.ERROR


def test_plan_refuses_to_plan_from_a_cut_off_text() -> None:
    result = DeviceResult.from_verdict("fw", audit_config(ASA_BOUND))
    entry = plan_entry(
        result, ASA_BOUND, DeviceMeta(transport="ssh"), mode=Mode.DISABLE, reload=Reload.NEVER
    )
    assert not entry.planned and entry.commands == ()
    assert "cut off" in entry.notes[-1]


def test_a_text_without_an_end_marker_is_whole_only_when_the_user_vouches_for_it() -> None:
    """A sanitiser that drops `Cryptochecksum:` (and a tool that drops `: end`) leaves no
    marker; `--assume-whole` says so, and every result names the rule that made it whole."""
    compliant = "ASA Version 9.8(4)32\nhostname fw\npolicy-map global_policy\n class c\n"
    assert audit_config(compliant).status is Status.ERROR
    vouched = audit_config(compliant, assume_whole=True)
    assert vouched.status is Status.COMPLIANT and vouched.whole == "assumed whole (--assume-whole)"
    assert audit_config(compliant + ": end\n").whole == "end marker"
    assert DeviceResult.from_verdict("fw", vouched).to_json()["whole"] == vouched.whole


# RANCID's file for a PIX/ASA (device type `cisco`): its content-type line and `!` comments, no
# `: Saved` or `Cryptochecksum:` line (RANCID filters them), and `: end` kept (RANCID saves
# nothing without it): see docs/device-behaviour.md.
RANCID = (
    "!RANCID-CONTENT-TYPE: cisco\n!\n!Chassis type: ASA5516 - a ASA\n!Memory: 8192 MB\n!\n"
    ": Hardware:   ASA5516, 8192 MB RAM, CPU Atom C2000 series 2416 MHz\n:\n"
    + ASA_BOUND
    + ": end\n"
)


def test_a_rancid_file_is_whole_by_the_end_marker_rancid_keeps() -> None:
    found = audit_config(RANCID)
    assert (found.status, found.whole, found.cut_off) == (Status.EXPOSED, "end marker", None)
    fixed = RANCID.replace("  inspect esmtp\n", "")
    assert (audit_config(fixed).status, audit_config(fixed).whole) == (
        Status.COMPLIANT,
        "end marker",
    )
    # a copy that lost its `: end` is not a RANCID file any more: the cut-off rule applies
    assert audit_config(fixed.replace(": end\n", "")).status is Status.ERROR


def test_assume_whole_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pixfix.cli.audit import audit

    saved = tmp_path / "fw.cfg"
    saved.write_text("ASA Version 9.8(4)32\nhostname fw\n")
    plain = CliRunner().invoke(audit, ["--offline", str(saved), "--format", "json"])
    vouched = CliRunner().invoke(
        audit, ["--offline", str(saved), "--format", "json", "--assume-whole"]
    )
    assert plain.exit_code == 3 and vouched.exit_code == 0, vouched.output
    assert json.loads(vouched.stdout)["devices"][0]["whole"] == "assumed whole (--assume-whole)"
    live = CliRunner().invoke(audit, ["-i", str(saved), "--assume-whole"])
    assert isinstance(live.exception, InputError)  # exit 2 through the pixfix group
