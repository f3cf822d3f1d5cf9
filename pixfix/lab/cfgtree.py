"""The simulated running configuration as indented lines, and how commands change it.

A configuration is a list of lines; a line's children are the following lines indented deeper
(policy-map / class / inspect use one and two spaces, as on the device). Configuration modes are
paths of header lines (`["policy-map global_policy", "class inspection_default"]`). All functions
here are pure: they take a list and return a new one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Lines = tuple[str, ...]

# Lines whose negation the device stores instead of deleting the line (PIX 6 `no fixup ...` is
# shown in `show running-config`; ESMTP map parameters such as `no mask-banner` likewise).
_STORED_NEGATIVE = re.compile(r"^(fixup protocol |mask-banner$|mail-relay$|special-character$)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def canon(line: str) -> str:
    """Compare lines the way the device does: case-insensitive, whitespace collapsed."""
    return " ".join(line.split()).lower()


def block_end(lines: Sequence[str], start: int) -> int:
    """Index after the last child of the line at `start`."""
    depth = _indent(lines[start])
    end = start + 1
    while end < len(lines) and _indent(lines[end]) > depth:
        end += 1
    return end


def find_child(lines: Sequence[str], parent: int | None, text: str) -> int | None:
    """Index of the direct child `text` of the line at `parent` (None: the top level)."""
    if parent is None:
        lo, hi, depth = 0, len(lines), 0
    else:
        lo, hi, depth = parent + 1, block_end(lines, parent), _indent(lines[parent]) + 1
    want = canon(text)
    for i in range(lo, hi):
        if _indent(lines[i]) == depth and canon(lines[i]) == want:
            return i
    return None


def find_path(lines: Sequence[str], path: Sequence[str]) -> int | None:
    """Index of the header line at the end of `path`, or None when any part is missing."""
    index: int | None = None
    for header in path:
        index = find_child(lines, index, header)
        if index is None:
            return None
    return index


def ensure_path(lines: Lines, path: Sequence[str]) -> Lines:
    """Create the headers of `path` that do not exist yet (entering `policy-map X` creates it)."""
    out = lines
    for depth in range(1, len(path) + 1):
        if find_path(out, path[:depth]) is None:
            out = add_line(out, path[: depth - 1], path[depth - 1])
    return out


def add_line(lines: Lines, path: Sequence[str], text: str, order: Sequence[str] = ()) -> Lines:
    """Add `text` under `path`; a line that is already there is left as it is. The text is kept
    as given at its end (an ASA prints `inspect esmtp ` with a trailing space).

    Children go at the end of their block. A top-level line goes after the last top-level line
    that starts with the same word, so `fixup` lines stay together as on a real PIX; with none,
    where its first word comes in `order` (the device lists its configuration in a fixed order
    of commands: a `mailhost` put back returns to its place, not to the end).
    """
    parent = find_path(lines, path)
    if find_child(lines, parent, text) is not None:
        return lines
    depth = len(path)
    new = " " * depth + text.lstrip()
    if parent is not None:
        at = block_end(lines, parent)
    else:
        at = _top_insert_point(lines, text.split(maxsplit=1)[0], order)
    return (*lines[:at], new, *lines[at:])


def _top_insert_point(lines: Sequence[str], word: str, order: Sequence[str]) -> int:
    last = None
    for i, line in enumerate(lines):
        if _indent(line) == 0 and line.split()[:1] == [word]:
            last = i
    if last is not None:
        return block_end(lines, last)
    if word not in order:
        return len(lines)
    before = set(order[: order.index(word)])
    at = 0
    for i, line in enumerate(lines):
        if _indent(line) == 0 and line.split()[:1] and line.split()[0] in before:
            at = block_end(lines, i)
    return at


def remove_line(lines: Lines, path: Sequence[str], text: str) -> tuple[Lines, bool]:
    """Remove `text` (and its children) under `path`; says whether anything was removed."""
    index = find_child(lines, find_path(lines, path), text)
    if index is None:
        return lines, False
    return (*lines[:index], *lines[block_end(lines, index) :]), True


def negate(lines: Lines, path: Sequence[str], text: str) -> tuple[Lines, bool]:
    """Apply `no <text>`: remove the line, or store the negation where the device does that."""
    if _STORED_NEGATIVE.match(text):
        parent = find_path(lines, path)
        index = find_child(lines, parent, text)
        stored = "no " + text
        if index is not None:
            depth = " " * len(path)
            return (*lines[:index], depth + stored, *lines[index + 1 :]), True
        if find_child(lines, parent, stored) is None:
            return add_line(lines, path, stored), True
        return lines, False
    return remove_line(lines, path, text)


def assert_line(lines: Lines, path: Sequence[str], text: str, order: Sequence[str] = ()) -> Lines:
    """Add `text`, replacing a stored `no <text>` in place (PIX `fixup protocol smtp 25`)."""
    if _STORED_NEGATIVE.match(text):
        parent = find_path(lines, path)
        index = find_child(lines, parent, "no " + text)
        if index is not None:
            depth = " " * len(path)
            return (*lines[:index], depth + text.lstrip(), *lines[index + 1 :])
    return add_line(lines, path, text, order)


def command_order(lines: Sequence[str]) -> tuple[str, ...]:
    """The first words of the top-level lines, in the order the configuration lists them."""
    words = (line.split()[0] for line in lines if line.strip() and _indent(line) == 0)
    return tuple(dict.fromkeys(words))


def children(lines: Sequence[str], path: Sequence[str]) -> list[str]:
    """The direct children of `path`, stripped."""
    parent = find_path(lines, path)
    if parent is None:
        return []
    depth = _indent(lines[parent]) + 1
    return [
        line.strip()
        for line in lines[parent + 1 : block_end(lines, parent)]
        if _indent(line) == depth
    ]


def top_blocks(lines: Sequence[str], word: str) -> list[str]:
    """Top-level lines starting with `word` (e.g. every `policy-map ...` header)."""
    return [line for line in lines if _indent(line) == 0 and line.split()[:1] == [word]]
