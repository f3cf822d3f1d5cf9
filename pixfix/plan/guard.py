"""The last check before a line can be written to a plan: only remediation grammar passes.

A plan's lines come from templates a site may edit and from values read from inventories and
configurations (context, policy, class and map names). The guard accepts, per software train,
only the lines the remediation of Mailguard needs, in the only order a device accepts them:

- `commands` and `rollback` (section CHANGE): `changeto context NAME` for a context (and only
  then, only that context, only on trains with multiple-context mode), `configure terminal`,
  the train's body lines, then the train's way of leaving config mode (`exit` on PIX 4-6 and
  FWSM 2, which have no `end`; `end` elsewhere).
  Body lines: PIX 4.x `[no] mailhost ARGS`; PIX 4.2-6.3 / FWSM 2.x `[no] fixup protocol smtp
  PORT[-PORT]`; MPF `policy-map NAME`, ` class NAME`, `  [no] inspect esmtp [NAME]` (FWSM 3:
  `smtp`) and, on ASA, the tune-mode inspect map lines (`[no] policy-map type inspect esmtp
  NAME`, ` parameters`, `  no mask-banner`, `  allow-tls`, ` match ehlo-reply-parameter
  others`, `  mask`).
- `save` (section SAVE): `changeto context NAME` for a context, then `write memory`. Never
  `write memory all`: it saves every context, other people's pending edits included.
- `reload` (section RELOAD): `changeto system` for a context (a reload runs from the system
  space), then `reload`.

Every line must be printable ASCII without `;`, at most 2 leading spaces and no trailing
space; names are `[A-Za-z0-9_][A-Za-z0-9_.-]*` (up to 64). So `write erase`, `clear configure
all`, `no aaa authentication ssh console LOCAL`, or a context name carrying a newline never
reach a device.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum

from pixfix.errors import GuardError
from pixfix.model import Train
from pixfix.platforms import FACTS, NAME_PATTERN


class Section(Enum):
    """Which list of a plan entry the lines belong to (each has its own grammar)."""

    CHANGE = "change"  # commands and rollback
    SAVE = "save"
    RELOAD = "reload"


_MAX_LINE = 200
_SAFE_LINE = re.compile(r"[ -~]*")  # printable ASCII, space included


def _grammar(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


BODY: dict[Train, tuple[re.Pattern[str], ...]] = {
    train: _grammar(*facts.grammar) for train, facts in FACTS.items()
}
"""Body lines of a CHANGE section per train (`pixfix.platforms`), matched whole after the
leading spaces."""


def _line_problem(line: str) -> str | None:
    """Why a line can never be sent, whatever the grammar: control characters, `;`, spacing."""
    if not _SAFE_LINE.fullmatch(line):
        return "contains a control or non-ASCII character"
    if ";" in line:
        return "contains ';'"
    if len(line) > _MAX_LINE:
        return f"is longer than {_MAX_LINE} characters"
    stripped = line.lstrip(" ")
    if not stripped or stripped != stripped.rstrip():
        return "is blank or ends with a space"
    if len(line) - len(stripped) > 2:
        return "is indented more than 2 spaces"
    return None


def _body_problem(train: Train, line: str) -> str | None:
    text = line.lstrip(" ")
    for pattern in BODY[train]:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        ports = [v for k, v in match.groupdict().items() if k in ("low", "high") and v]
        if all(int(port) <= 65535 for port in ports):
            return None
        return "has a port above 65535"
    return f"is not a remediation command for {train.value}"


def _framed(train: Train, lines: Sequence[str], prefix: Sequence[str]) -> list[str]:
    """Problems with the frame of a CHANGE section; the body is checked line by line."""
    facts = FACTS[train]
    at = len(prefix)
    problems = []
    if list(lines[:at]) != list(prefix):
        problems.append(f"the changes must start with {list(prefix)!r}")
    if len(lines) < at + 3 or lines[at] != facts.enter_config:
        problems.append(f"the changes must go through {facts.enter_config!r}")
    if not lines or lines[-1] != facts.leave_config:
        problems.append(f"the changes must end with {facts.leave_config!r}")
    for number, line in enumerate(lines[at + 1 : -1], start=at + 2):
        why = _body_problem(train, line)
        if why is not None:
            problems.append(f"line {number} {line!r}: {why}")
    return problems


def _prefix(train: Train, section: Section, context: str | None) -> tuple[list[str], list[str]]:
    """The context change a section must start with, and problems with the context itself.

    In multiple-context mode the changes and the save run inside the context
    (`changeto context X`), a reload from the system space (`changeto system`).
    """
    if context is None:
        return [], []
    if not FACTS[train].has_contexts:
        return [], [f"{train.value} has no multiple-context mode (context {context!r})"]
    if not re.fullmatch(NAME_PATTERN, context):
        return [], [f"context {context!r} is not a plain name"]
    if section is Section.RELOAD:
        return ["changeto system"], []
    return [f"changeto context {context}"], []


def rejections(
    train: Train, section: Section, lines: Sequence[str], *, context: str | None
) -> list[str]:
    """Every reason these lines may not be sent for this device or context (empty: they pass).

    `context` is the context the lines are for (None: single mode); the lines must then start
    with the change to that context, and no other context change passes. Never raises.
    """
    problems = [
        f"line {number} {line!r}: {why}"
        for number, line in enumerate(lines, start=1)
        if (why := _line_problem(line)) is not None
    ]
    prefix, wrong_context = _prefix(train, section, context)
    if problems or wrong_context:
        return problems + wrong_context
    facts = FACTS[train]
    if section is Section.CHANGE:
        return _framed(train, lines, prefix)
    last = facts.save_command if section is Section.SAVE else facts.reload_command
    if list(lines) != [*prefix, last]:
        return [f"{list(lines)!r} is not {[*prefix, last]!r}"]
    return []


def unsafe_values(values: Iterable[tuple[str, str]]) -> list[str]:
    """Names read from an inventory or a configuration that must not reach a template.

    A value with a newline would render as two lines: the second one could be any command.
    """
    return [
        f"{what} {value!r}: not a plain name"
        for what, value in values
        if not re.fullmatch(r"[!-~](?:[ -~]*[!-~])?", value) or ";" in value
    ]


def check(train: Train, section: Section, lines: Sequence[str], *, context: str | None) -> None:
    """Raise `GuardError` naming every rejected line (for callers about to send the lines)."""
    problems = rejections(train, section, lines, context=context)
    if problems:
        raise GuardError(f"{section.value} rejected by the guard: " + "; ".join(problems))
