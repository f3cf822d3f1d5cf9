"""Put back the structure of the blocks SMTP inspection lives in, from their keywords.

A configuration nests by indentation (`policy-map P`, ` class C`, `  inspect esmtp`), but
captures lose it: a backup tool or a web page strips the leading spaces, an editor re-indents
with tabs or two spaces, a pager erase leaves spaces in front of the next line. Read by
indentation, such a text hides `inspect esmtp` from its class, or a `fixup protocol smtp 25`
from the top level, and an exposed firewall would read as compliant.

So the lines that matter are placed by what they say, whatever spaces precede them:

- `fixup`, `mailhost` (PIX, FWSM 2), `policy-map`, `class-map` and a top-level `service-policy`
  (`... global` or `... interface IF`) are top-level commands;
- under a layer 3/4 `policy-map`, `class` opens a class, and an action (`inspect`, `set`,
  `police`, ...) belongs to the class before it;
- under `policy-map type inspect esmtp`, `parameters` and `match` open sub-blocks, and the
  parameters and actions belong to the one before them;
- under a `class-map`, `match` and `description` are its lines.

Any other line keeps its place: indented, it stays inside the block it is in; at column 0, it is
a top-level command and ends the block. An SMTP `inspect` line that belongs to no class (its
`policy-map` or `class` was lost) is ambiguous: `ParseError` names it, never a guess. On an
undamaged configuration this changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

from pixfix.errors import ParseError

_SPACE = " \t\u00a0\f\v"  # leading blanks a capture may carry (no-break space: web pages)
_TOP_SERVICE_POLICY = re.compile(r"service-policy\s+\S+\s+(?:global|interface\s+\S+)\s*$")
_SMTP_INSPECT = re.compile(r"(?:no\s+)?inspect\s+e?smtp\b")
# What a class of a layer 3/4 policy-map holds (ASA 7.0-9.x command reference, class submode).
_CLASS_ACTIONS = frozenset(
    {
        "inspect", "set", "police", "priority", "shape", "user-statistics", "flow-export",
        "csc", "ips", "quality-of-service", "service-policy", "drop", "log", "no",
    }
)  # fmt: skip
# What an ESMTP inspect map's `parameters` and `match` sub-blocks hold.
_ESMTP_LINES = frozenset(
    {
        "mask-banner", "allow-tls", "mail-relay", "special-character", "max-header-length",
        "drop-connection", "mask", "log", "reset", "rate-limit", "no",
    }
)  # fmt: skip


class _Block(Enum):
    TOP = "top"
    POLICY = "policy-map"
    CLASS = "policy-map class"
    ESMTP = "esmtp map"
    ESMTP_SUB = "esmtp map parameters or match"
    CLASS_MAP = "class-map"
    OTHER = "another block"


# The lines that can open a block that matters, or be lost from one: a head at any indentation,
# an SMTP inspect. Everything between them and outside those blocks is kept as it is; they are
# found with `str.find` (C speed): captures are thousands of lines, those blocks a few dozen.
_HEAD_KEYWORDS = ("fixup ", "mailhost ", "policy-map ", "class-map ", "service-policy ")
_SMTP_INSPECT_ANYWHERE = re.compile(r"inspect\s+e?smtp\b")  # a literal prefix: found fast
_PLAIN = (_Block.TOP, _Block.OTHER)


def restructure(body: str) -> str:
    r"""The configuration body with its SMTP-inspection blocks indented as the device prints them.

    >>> restructure("policy-map global_policy\nclass inspection_default\ninspect esmtp\n")
    'policy-map global_policy\n class inspection_default\n  inspect esmtp\n'
    """
    lines = body.split("\n")
    starts = _interesting_lines("\n" + body)
    block, index = _Block.TOP, 0
    while index < len(lines):
        if block in _PLAIN:  # jump over what cannot matter (to the next line not yet placed)
            index = next((start for start in starts if start >= index), len(lines))
            if index >= len(lines):
                break
        block = _place_line(lines, index, block)
        index += 1
    return "\n".join(lines)


def _interesting_lines(text: str) -> Iterator[int]:
    """Indexes of the lines that hold a head keyword or an SMTP inspect after nothing but blanks
    (or `no`), in order; `text` has a newline in front."""
    hits = [m.start() for m in _SMTP_INSPECT_ANYWHERE.finditer(text)]
    for keyword in _HEAD_KEYWORDS:
        at = text.find(keyword)
        while at >= 0:
            hits.append(at)
            at = text.find(keyword, at + 1)
    starts = set()
    for at in hits:
        start = text.rfind("\n", 0, at) + 1
        if text[start:at].strip(_SPACE) in ("", "no"):
            starts.add(start)
    line, last = -1, 0
    for start in sorted(starts):
        line += text.count("\n", last, start)
        last = start
        yield line


def _place_line(lines: list[str], index: int, block: _Block) -> _Block:
    """Put one line where it belongs (in `lines`); the block after it."""
    line = lines[index]
    text = line.strip(_SPACE)
    if not text:
        return block
    try:
        block, placed = _place(block, text, indented=line[:1] in _SPACE)
    except _Lost:
        raise ParseError(
            f"line {index + 1} {text!r} belongs to no policy-map class: its structure is lost"
        ) from None
    if placed is not None:
        lines[index] = placed
    return block


class _Lost(Exception):
    """An SMTP inspect line that belongs to no class: the structure cannot be put back."""


def _place(block: _Block, text: str, *, indented: bool) -> tuple[_Block, str | None]:
    """The block after this line, and the line as placed (None: unchanged); `_Lost` when an
    SMTP inspection belongs to no class."""
    head = _head(text)
    if head is not None:
        return head, text
    word = text.split(None, 1)[0]
    if block in (_Block.POLICY, _Block.CLASS):
        return _in_policy(block, text, word, indented=indented)
    if block in (_Block.ESMTP, _Block.ESMTP_SUB):
        return _in_esmtp_map(block, text, word, indented=indented)
    if block is _Block.CLASS_MAP and word in ("match", "description"):
        return block, " " + text
    if _SMTP_INSPECT.match(text):
        raise _Lost
    return _other(block, indented=indented)


def _other(block: _Block, *, indented: bool) -> tuple[_Block, None]:
    """A line no rule places: inside its block when indented, else a top-level command."""
    return (block, None) if indented and block is not _Block.TOP else (_Block.TOP, None)


_HEADS = (  # first match wins: (what the line starts with, the block it opens)
    (("fixup ", "no fixup ", "mailhost ", "no mailhost "), _Block.TOP),
    (("policy-map type inspect esmtp ",), _Block.ESMTP),
    (("policy-map type ", "class-map type "), _Block.OTHER),
    (("policy-map ",), _Block.POLICY),
    (("class-map ",), _Block.CLASS_MAP),
)


def _head(text: str) -> _Block | None:
    """The block a top-level command opens (TOP for one-line commands), or None."""
    if _TOP_SERVICE_POLICY.match(text):
        return _Block.TOP
    return next((block for starts, block in _HEADS if text.startswith(starts)), None)


def _in_policy(block: _Block, text: str, word: str, *, indented: bool) -> tuple[_Block, str | None]:
    if word == "class":
        return _Block.CLASS, " " + text
    if word == "description":
        return block, " " + text
    if block is _Block.CLASS and word in _CLASS_ACTIONS:
        return block, "  " + text
    if _SMTP_INSPECT.match(text):
        raise _Lost  # inspect before any class
    return _other(block, indented=indented)


def _in_esmtp_map(
    block: _Block, text: str, word: str, *, indented: bool
) -> tuple[_Block, str | None]:
    if word in ("parameters", "match", "class"):
        return _Block.ESMTP_SUB, " " + text
    if word == "description":
        return _Block.ESMTP, " " + text
    if word in _ESMTP_LINES:
        return block, "  " + text
    return _other(block, indented=indented)
