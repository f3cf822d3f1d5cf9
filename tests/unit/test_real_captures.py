"""Every reader pixfix has, on every real capture of its command (tests/fixtures/real/).

The captures are device output as recorded by people and test suites (sources in SOURCES.md);
the facts each must give are in expected.yaml, written from reading the capture. A capture
without an entry, or an entry without its capture, fails.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import pixfix.parse.show
import pixfix.parse.structure
import pixfix.platforms
import pixfix.transport.session
from pixfix.apply.rules import (
    bootvar_problem,
    failed_over,
    refused,
    reporting_changes,
    save_problem,
)
from pixfix.audit.reads import in_context
from pixfix.errors import CollectError, ParseError
from pixfix.model import Platform, Role, Train
from pixfix.parse.config import parse_show_version
from pixfix.parse.show import boot_images, context_names, failover_state
from pixfix.platforms import CONFIRM, FACTS, REPORTING, REPORTING_LINE, SAVE_NO, UNSOLICITED
from pixfix.transport.session import echo_regex, end_of_reply

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
EXPECTED: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(
    (REAL / "expected.yaml").read_text(encoding="utf-8")
)
ASA_ERRORS = FACTS[Train.MPF].error_pattern


def cases(topic: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, (REAL / topic / name).read_text(encoding="utf-8"), facts)
        for name, facts in EXPECTED[topic].items()
        if not facts.get("unused")
    ]


def ids(case: tuple[str, str, dict[str, Any]]) -> str:
    return case[0].removesuffix(".raw")


def test_every_capture_has_expected_facts_and_a_source() -> None:
    on_disk = {f"{p.parent.name}/{p.name}" for p in REAL.glob("*/*.raw")}
    expected = {f"{topic}/{name}" for topic, entries in EXPECTED.items() for name in entries}
    assert on_disk == expected
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    assert [p for p in sorted(on_disk) if p.split("/")[1] not in sources] == []
    assert len(on_disk) >= 40


@pytest.mark.parametrize("case", cases("show_version"), ids=ids)
def test_show_version(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    software = parse_show_version(text)
    assert software.platform is Platform(facts["platform"])
    assert software.version == facts["version"]
    assert software.mode.value == facts["mode"]


@pytest.mark.parametrize("case", cases("show_failover"), ids=ids)
def test_show_failover(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    state = failover_state(text)
    if "role" in facts:
        assert state.role is Role(facts["role"])
    else:
        assert state.role is None
        assert {g: r.value for g, r in state.groups.items()} == facts["groups"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "% Invalid input detected at '^' marker.",
        "Failover On\nThis host: Primary - Negotiation\n",
        "Failover On\nThis host: Primary\nGroup 1 State: Sync Something\n",
        "Failover On\n",
    ],
)
def test_failover_text_pixfix_does_not_understand_is_an_error(text: str) -> None:
    with pytest.raises(ParseError):
        failover_state(text)


@pytest.mark.parametrize("case", cases("show_context"), ids=ids)
def test_show_context(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    if "error" in facts:
        with pytest.raises(ParseError):
            context_names(text)
    else:
        assert context_names(text) == facts["contexts"]


@pytest.mark.parametrize("case", cases("show_bootvar"), ids=ids)
def test_show_bootvar(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    saved, current = boot_images(text)
    assert (list(saved or ()), list(current or ())) == (facts["saved"], facts["current"])
    assert (bootvar_problem(text) is None) == (facts["timer"] == "allowed")


@pytest.mark.parametrize("case", cases("write_memory"), ids=ids)
def test_write_memory(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    assert (save_problem(text, ASA_ERRORS) is None) == facts["saved"]


@pytest.mark.parametrize("case", cases("refused_commands"), ids=ids)
def test_refusals(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    flagged = [line.strip() for line in text.splitlines() if refused(line, ASA_ERRORS)]
    assert facts["refused"] in flagged


def test_command_authorization_failed_is_a_refusal_on_every_train() -> None:
    """Wording from Ansible's cisco.asa terminal plugin (no device capture found)."""
    for facts in FACTS.values():
        assert refused("Command authorization failed\n", facts.error_pattern) is not None


@pytest.mark.parametrize("case", cases("changeto_refused"), ids=ids)
def test_a_refused_changeto_is_an_error(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case

    class Refusing:
        pipelines = True

        def read_many(self, commands: list[str]) -> list[str]:
            return [text, "", "ASA Version 9.8(4)\n: end\n"][: len(commands)]

    with pytest.raises(CollectError, match=re.escape(facts["refused"])):
        in_context(Refusing(), "GLOBAL", ["show running-config"])


QUESTIONS = {"save": SAVE_NO, "confirm": CONFIRM}


@pytest.mark.parametrize("case", cases("reload"), ids=ids)
def test_reload_questions_are_answered_without_saving(
    case: tuple[str, str, dict[str, Any]],
) -> None:
    _, text, facts = case
    asked = []
    for line in text.splitlines():
        shown = re.sub(r"(:\s*)\S\s*$", r"\1", line)  # as on screen before the answer was typed
        for name, (question, answer) in QUESTIONS.items():
            if re.search(question, shown):
                asked.append(name)
                assert answer in ("N", "")  # never Y, never Save all
    assert asked == facts["asks"]


@pytest.mark.parametrize("case", cases("error_reporting"), ids=ids)
def test_the_reporting_question_and_its_lines(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    if facts.get("asks"):
        end = text.index("[A]sk later") + len("[A]sk later")
        shown = text[:end] + (": " if text[end : end + 1] == ":" else "")
        assert re.search(REPORTING[0], shown)
        assert REPORTING[1] == "A"
    else:
        line = facts["reporting_line"]
        assert line in text.splitlines() and REPORTING_LINE.match(line)
        before = "ASA Version 9.8(4)\nhostname fw\n: end\n"
        after = f"ASA Version 9.8(4)\nhostname fw\n{line}\n: end\n"
        assert reporting_changes(before, after) == [f"+ {line}"]


@pytest.mark.parametrize("case", cases("unsolicited"), ids=ids)
def test_unsolicited_text_is_recognised(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    for line in facts.get("lines", []):
        assert line in text.splitlines()
        assert UNSOLICITED.match(line), line
        assert refused(line, ASA_ERRORS) is None
    if "after_prompt" in facts:
        assert facts["after_prompt"] in text
        session_end = end_of_reply("ciscoasa")
        assert re.search(
            session_end, "ciscoasa(config)# " + facts["after_prompt"].split("# ", 1)[1]
        )
    if facts.get("failed_over"):
        assert failed_over(text)


@pytest.mark.parametrize("case", cases("long_echo"), ids=ids)
def test_a_cut_echo_is_accepted(case: tuple[str, str, dict[str, Any]]) -> None:
    _, text, facts = case
    found = [m.group() for m in re.finditer(echo_regex(facts["command"]), text)]
    assert any(echo.endswith("$") for echo in found), found


@pytest.mark.parametrize(
    "module",
    [pixfix.parse.show, pixfix.parse.structure, pixfix.platforms, pixfix.transport.session],
    ids=lambda m: m.__name__,
)
def test_docstring_examples_run(module: Any) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
