"""pixfix.plan.guard: only each train's remediation grammar may be written to a plan."""

from __future__ import annotations

import pytest

from pixfix.errors import GuardError
from pixfix.model import Train
from pixfix.plan.guard import Section, check, rejections, unsafe_values

MPF_DISABLE = [
    "changeto context mail",
    "configure terminal",
    "policy-map global_policy",
    " class inspection_default",
    "  no inspect esmtp",
    "end",
]
MPF_TUNE = [
    "configure terminal",
    "policy-map type inspect esmtp PIXFIX-ESMTP",
    " parameters",
    "  no mask-banner",
    "  allow-tls",
    " match ehlo-reply-parameter others",
    "  mask",
    "policy-map global_policy",
    " class inspection_default",
    "  no inspect esmtp",
    "  inspect esmtp PIXFIX-ESMTP",
    "end",
]
GOOD = [
    (Train.PIX4_MAILHOST, ["configure terminal", "no mailhost (inside) 10.0.0.25 1.2.3.4", "exit"]),
    (Train.PIX_FIXUP, ["configure terminal", "no fixup protocol smtp 25", "exit"]),
    (Train.PIX_FIXUP, ["configure terminal", "fixup protocol smtp 587-588", "exit"]),
    (
        Train.FWSM_FIXUP,
        ["changeto context c1", "configure terminal", "no fixup protocol smtp 25", "exit"],
    ),
    (Train.MPF, MPF_DISABLE),
    (Train.MPF, MPF_TUNE),
    (Train.MPF, ["configure terminal", "no policy-map type inspect esmtp PIXFIX-ESMTP", "end"]),
    (
        Train.FWSM_MPF,
        [
            "configure terminal",
            "policy-map global_policy",
            " class inspection_default",
            "  no inspect smtp",
            "end",
        ],
    ),
]


def _context(lines: list[str]) -> str | None:
    return lines[0].split()[-1] if lines[0].startswith("changeto context ") else None


@pytest.mark.parametrize(("train", "lines"), GOOD)
def test_remediation_lines_pass(train: Train, lines: list[str]) -> None:
    assert rejections(train, Section.CHANGE, lines, context=_context(lines)) == []
    check(train, Section.CHANGE, lines, context=_context(lines))


@pytest.mark.parametrize(
    "bad",
    [
        "write erase",
        "clear configure all",
        "no aaa authentication ssh console LOCAL",
        "  no inspect esmtp\nwrite erase",
        "  no inspect esmtp ; write erase",
        "  no inspect esmtp\rwrite erase",
        "  no inspect esmtp\x00",
        "  no inspect esmtp ",
        "     no inspect esmtp",
        "  no inspect esmtp M\u00e4P",
        "  no inspect http",
        "policy-map type inspect http H",
        "write memory",
        "end",
        "configure terminal",
        "changeto context other",
        "reload",
        "crypto key zeroize rsa",
    ],
)
def test_anything_else_is_rejected_in_the_changes(bad: str) -> None:
    lines = [
        "configure terminal",
        "policy-map global_policy",
        " class inspection_default",
        bad,
        "end",
    ]
    assert rejections(Train.MPF, Section.CHANGE, lines, context=None)
    with pytest.raises(GuardError, match="rejected by the guard"):
        check(Train.MPF, Section.CHANGE, lines, context=None)


def test_an_injected_context_name_is_rejected() -> None:
    lines = ["changeto context mail\nwrite erase", *MPF_DISABLE[1:]]
    injected = "mail\nwrite erase"
    problems = rejections(Train.MPF, Section.CHANGE, lines, context=injected)
    assert "control" in problems[0] and "not a plain name" in problems[-1]
    split = ["changeto context mail", "write erase", *MPF_DISABLE[1:]]
    assert rejections(Train.MPF, Section.CHANGE, split, context="mail")
    assert rejections(
        Train.MPF, Section.SAVE, ["changeto context mail", "write memory"], context=injected
    )
    assert unsafe_values([("context", "mail\nwrite erase")]) != []
    assert unsafe_values([("context", "mail"), ("mailhost", "(inside) 1.2.3.4 10.0.0.1")]) == []


@pytest.mark.parametrize(
    ("train", "lines", "why"),
    [
        (Train.PIX_FIXUP, ["configure terminal", "no fixup protocol smtp 25", "end"], "exit"),
        (Train.MPF, ["configure terminal", "policy-map P", "exit"], "end"),
        (Train.MPF, ["policy-map P", " class C", "  no inspect esmtp", "end"], "go through"),
        (Train.MPF, ["configure terminal", "end"], "go through"),
        (
            Train.PIX_FIXUP,
            ["changeto context c", "configure terminal", "no fixup protocol smtp 25", "exit"],
            "no multiple-context mode",
        ),
        (Train.MPF, ["changeto system", *MPF_DISABLE[1:]], "go through"),
        (Train.PIX_FIXUP, ["configure terminal", "no fixup protocol smtp 70000", "exit"], "65535"),
        (Train.PIX_FIXUP, ["configure terminal", "no fixup protocol http 80", "exit"], "not a"),
        (
            Train.FWSM_MPF,
            ["configure terminal", "policy-map P", " class C", "  no inspect esmtp", "end"],
            "not a",
        ),
        (Train.FWSM_MPF, ["configure terminal", "policy-map type inspect esmtp M", "end"], "not a"),
        (Train.PIX4_MAILHOST, ["configure terminal", "no fixup protocol smtp 25", "exit"], "not a"),
    ],
)
def test_the_frame_and_the_train_grammar(train: Train, lines: list[str], why: str) -> None:
    problems = rejections(train, Section.CHANGE, lines, context=_context(lines))
    assert any(why in problem for problem in problems), problems


def test_only_the_entrys_own_context_passes() -> None:
    assert rejections(Train.MPF, Section.CHANGE, MPF_DISABLE, context="mail") == []
    assert rejections(Train.MPF, Section.CHANGE, MPF_DISABLE, context="other")
    assert rejections(Train.MPF, Section.CHANGE, MPF_DISABLE, context=None)
    assert rejections(Train.MPF, Section.CHANGE, MPF_DISABLE[1:], context="mail")


def test_save_is_write_memory_in_the_context_never_write_memory_all() -> None:
    def save(train: Train, lines: list[str], context: str | None = None) -> list[str]:
        return rejections(train, Section.SAVE, lines, context=context)

    assert save(Train.MPF, ["write memory"]) == []
    assert save(Train.MPF, ["changeto context mail", "write memory"], "mail") == []
    assert save(Train.MPF, ["changeto context mail", "write memory"])
    assert save(Train.MPF, ["write memory"], "mail")
    assert save(Train.MPF, ["write memory all"])
    assert save(Train.MPF, ["changeto system", "write memory all /noconfirm"], "mail")
    assert save(Train.PIX_FIXUP, ["changeto context c", "write memory"], "c")
    assert save(Train.MPF, ["write erase"])


def test_reload_is_reload_from_the_system_space() -> None:
    def reload(train: Train, lines: list[str], context: str | None = None) -> list[str]:
        return rejections(train, Section.RELOAD, lines, context=context)

    assert reload(Train.MPF, ["reload"]) == []
    assert reload(Train.MPF, ["changeto system", "reload"], "mail") == []
    assert reload(Train.MPF, ["reload"], "mail")
    assert reload(Train.MPF, ["reload noconfirm"])
    assert reload(Train.PIX_FIXUP, ["changeto system", "reload"], "c")
