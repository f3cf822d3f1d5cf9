"""Making device text safe to show: terminals, CSV cells, markdown, XML.

Everything a device says (names, configuration lines, error messages) is data, and a report must
not let it act: an escape sequence could rewrite the terminal or hide a row, a CSV cell starting
with `=` runs as a spreadsheet formula, a `|` splits a markdown table cell and `<`/`[` smuggle
HTML or links into a rendered page. Every renderer passes device text through one of these.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from enum import Enum

_ESCAPE_SEQUENCE = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]               # CSI: colours, cursor moves, clearing the screen
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?    # OSC: window title, hyperlinks (ends BEL or ST)
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?         # DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]                       # the other escapes (character sets, keypad ...)
    | \x9b[0-?]*[ -/]*[@-~]                 # 8-bit CSI
    """,
    re.VERBOSE,
)
# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that make
# text display in another order than it reads (the "Trojan Source" trick).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_XML = re.compile("[\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")
_BACKTICKS = re.compile("`+")


def strip_control(text: str) -> str:
    r"""The text without escape sequences and control characters; tab and newline stay.

    Lone surrogates (bytes a device sent that were not UTF-8, decoded with `surrogateescape`)
    become U+FFFD, because writing them to a terminal or a UTF-8 file raises an error.

    >>> strip_control("\x1b[31mfw1\x1b[0m\r\x07 ok")
    'fw1 ok'
    """
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a would-be formula gets a leading `'`.

    Spreadsheets run a cell starting with `=`, `+`, `-`, `@`, tab or CR as a formula (some
    after trimming spaces), so such a cell is neutralised after control characters are gone.

    >>> csv_cell("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    """
    cell = strip_control(text)
    if cell.startswith(_FORMULA_START) or cell.lstrip().startswith(_FORMULA_START[:4]):
        return "'" + cell
    return cell


def markdown_text(text: str) -> str:
    r"""Text for a markdown table cell or heading: markup characters escaped, one line.

    `|` would split the cell and a newline end the row; `<`, `[`, `` ` ``, `*`, `_`, `&` would
    become HTML, links, code or emphasis once the report is rendered.

    >>> markdown_text("a|b\n<script>")
    'a\\|b<br>\\<script\\>'
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", strip_control(text))
    return escaped.replace("\t", " ").replace("\n", "<br>")


def markdown_code_block(lines: Iterable[str]) -> str:
    """A fenced code block that no line can close early: the fence outruns any backtick run."""
    body = "\n".join(strip_control(line) for line in lines)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def xml_text(text: str) -> str:
    """Text XML 1.0 allows: control characters and U+FFFE/U+FFFF removed (else ill-formed)."""
    return _NOT_XML.sub("", strip_control(text))


def display(value: object) -> str:
    """A compact one-cell rendering of an extra column value (scalars, mappings, lists).

    >>> display({"verdict": "mailguard", "signatures": ["masked-banner", "ehlo-blocked"]})
    'verdict=mailguard, signatures=masked-banner ehlo-blocked'
    """
    if value is None:
        return ""
    if isinstance(value, Enum):
        return display(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={display(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return " ".join(display(item) for item in value)
    return json.dumps(value) if isinstance(value, bool | int | float) else str(value)


def json_default(value: object) -> object:
    """`json.dumps` hook: enums by value; anything else is a caller's mistake, said loudly."""
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} into a JSON report")
