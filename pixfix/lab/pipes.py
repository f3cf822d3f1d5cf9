"""Output filters after `|`, as ASA (and PIX 7+, FWSM 3) offer them: `include`, `exclude`,
`begin` and `grep [-v]`, each with a regular expression (the rest of the line)."""

from __future__ import annotations

import re
from collections.abc import Callable

Filter = Callable[[str], str]
NL = "\r\n"
_KINDS = ("include", "exclude", "begin", "grep")


def split_pipe(line: str) -> tuple[str, str | None]:
    """The command, and what follows its first `|` (None without one)."""
    command, bar, rest = line.partition("|")
    return (command, rest.strip()) if bar else (line, None)


def output_filter(spec: str) -> Filter | None:
    """The filter `spec` asks for (`include esmtp`, `b policy-map`, `grep -v ftp`); None when it
    is not a filter the unit knows (the caller answers with the train's error)."""
    kind, _, pattern = spec.partition(" ")
    chosen = [k for k in _KINDS if kind and k.startswith(kind.lower())]
    pattern = pattern.strip()
    if len(chosen) != 1 or not pattern:
        return None
    invert = chosen[0] == "exclude"
    if chosen[0] == "grep" and pattern.startswith("-v "):
        invert, pattern = True, pattern[3:].strip()
    try:
        regex = re.compile(pattern)
    except re.error:
        return None
    if chosen[0] == "begin":
        return lambda text: _begin(text, regex)
    return lambda text: _lines(text, regex, invert=invert)


def _lines(text: str, regex: re.Pattern[str], *, invert: bool) -> str:
    return NL.join(line for line in text.split(NL) if bool(regex.search(line)) != invert)


def _begin(text: str, regex: re.Pattern[str]) -> str:
    lines = text.split(NL)
    start = next((i for i, line in enumerate(lines) if regex.search(line)), len(lines))
    return NL.join(lines[start:])
