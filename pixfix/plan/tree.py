"""A configuration body as indented lines: find, add and remove a block's children.

PIX/ASA configurations nest by indentation: `policy-map P` at column 0, ` class C` one space
in, `  inspect esmtp` two spaces in. A path is the list of header lines from the top
(`("policy-map global_policy", "class inspection_default")`). Lines are compared with their
whitespace collapsed, as the device compares what is typed with what it stores. All functions
are pure: tuples in, tuples out.
"""

from __future__ import annotations

from collections.abc import Sequence

Lines = tuple[str, ...]


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def same(line: str, text: str) -> bool:
    return line.split() == text.split()


def block_end(lines: Sequence[str], start: int) -> int:
    """Index after the last line indented deeper than the line at `start`."""
    depth = indent(lines[start])
    end = start + 1
    while end < len(lines) and indent(lines[end]) > depth:
        end += 1
    return end


def _span(lines: Sequence[str], parent: int | None) -> tuple[int, int, int]:
    """(first, end, depth) of the direct children of `parent` (None: the top level)."""
    if parent is None:
        return 0, len(lines), 0
    return parent + 1, block_end(lines, parent), indent(lines[parent]) + 1


def child_index(lines: Sequence[str], parent: int | None, text: str) -> int | None:
    """Index of the direct child `text` of the line at `parent`, or None."""
    first, end, depth = _span(lines, parent)
    for i in range(first, end):
        if indent(lines[i]) == depth and same(lines[i], text):
            return i
    return None


def children(lines: Sequence[str], parent: int | None) -> list[str]:
    """The direct children of the line at `parent`, without their indentation."""
    first, end, depth = _span(lines, parent)
    return [lines[i].strip() for i in range(first, end) if indent(lines[i]) == depth]


def find_path(lines: Sequence[str], path: Sequence[str]) -> int | None:
    """Index of the last header of a non-empty `path`, or None when any part is missing."""
    index: int | None = None
    for header in path:
        index = child_index(lines, index, header)
        if index is None:
            return None
    return index


def add_child(lines: Lines, parent: int | None, text: str, *, at: int | None = None) -> Lines:
    """Add `text` under `parent` unless it is there; at the end of the block unless `at` says.

    Children are indented one space per level, as the device prints them.
    """
    if child_index(lines, parent, text) is not None:
        return lines
    first, end, depth = _span(lines, parent)
    where = end if at is None else max(first, min(at, end))
    return (*lines[:where], " " * depth + text.strip(), *lines[where:])


def replace_child(lines: Lines, index: int, text: str) -> Lines:
    """The line at `index` becomes `text`, at the same indentation (a stored `no` line)."""
    return (*lines[:index], " " * indent(lines[index]) + text.strip(), *lines[index + 1 :])


def remove_child(lines: Lines, parent: int | None, text: str) -> Lines | None:
    """Without the child `text` and its own children; None when there is no such child."""
    index = child_index(lines, parent, text)
    if index is None:
        return None
    return (*lines[:index], *lines[block_end(lines, index) :])


def _first_word(line: str) -> str:
    """The command word, after a leading `no` (`no fixup protocol smtp 25` -> `fixup`)."""
    words = line.split()
    return words[1] if words[:1] == ["no"] and len(words) > 1 else (words or [""])[0]


def after_last(lines: Sequence[str], word: str) -> int | None:
    """Where a new top-level `word` line goes: after the last one (PIX keeps fixups together)."""
    last = None
    for i, line in enumerate(lines):
        if indent(line) == 0 and _first_word(line) == word:
            last = i
    return None if last is None else block_end(lines, last)


def inspect_map_position(lines: Sequence[str]) -> int | None:
    """Where a new `policy-map type inspect` block goes: after the last inspect map, else
    before the first layer 3/4 policy-map (the order the ASA prints them in)."""
    after = None
    for i, line in enumerate(lines):
        if indent(line) == 0 and line.startswith("policy-map type "):
            after = block_end(lines, i)
    if after is not None:
        return after
    return next(
        (i for i, line in enumerate(lines) if indent(line) == 0 and line.startswith("policy-map ")),
        None,
    )
