r"""Turn a raw capture of `show running-config` / `write terminal` into plain configuration text.

Captures come from telnet and SSH sessions, terminal logs, backup tools and pasted text, and
carry the session around the configuration. `clean_capture` removes, in this order:

- NUL bytes: telnet sends a bare carriage return as CR NUL (RFC 854).
- CR LF line ends; a capture whose only line ends are CR (old terminal logs) is split on CR.
- ANSI escape sequences some terminals add around the pager prompt.
- The pager prompt `<--- More --->` with its erase, in each form it takes: a PIX over telnet
  prints CR, spaces, CR; an ASA prints backspaces, spaces, backspaces; a capture tool that
  dropped those control characters leaves the prompt and its erasing spaces (netmiko strips
  backspaces), or the bare prompt.
- Any other lone CR ends a line (a capture that mixes line ends), so no configuration text is
  ever overwritten by the text after it; a backspace still deletes the character before it.
- Trailing spaces and tabs (devices add them after `inspect esmtp `, ACL lines, pager erases).
- Prompt lines with or without an echoed command (`pixfirewall# wr term`, `FWSM/ceige#`,
  `fw/pri/act#`, `asa(config)#`), bare echoed show/write commands, and the session lines
  `Building configuration...` and `[OK]`.

What stays is harmless to the parser: `: Saved`, `Cryptochecksum:`, `: end`, Oxidized's `! `
show-version preamble. `config_fingerprint` also drops those to compare two captures.
"""

from __future__ import annotations

import functools
import hashlib
import re

from pixfix.platforms import REPORTING_LINE, prompt_regex

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The pager prompt and its erase: CR/backspaces, spaces, CR/backspaces; or the erasing spaces
# alone when the capture lost the control characters.
_PAGER_RE = re.compile(r"<--- ?More ?--->(?:[\r\x08]+ *[\r\x08]*| {14})?")
# Line-anchored patterns start with a literal "\n" (the text gets one prepended): the regex
# engine then jumps from line to line instead of trying `^` at every character, which keeps a
# 2,000-line capture well under a millisecond.
# hostname, optional /context and /unit/state parts, optional (config-mode), then # or >.
_PROMPT_RE = re.compile(rf"\n{prompt_regex()}[^\n]*")
_SESSION_RE = re.compile(
    r"\n(?:(?:sh|sho|show|wr|wri|writ|write|more)[ \t][^\n]*|Building configuration\.\.\.|\[OK\])"
    r"(?=\n|$)"
)
_VOLATILE_RE = re.compile(
    r"\n(?:Cryptochecksum:[^\n]*|: Saved|: Written by [^\n]*|: Call-home enabled [^\n]*"
    r"|: end|![^\n]*|:)(?=\n|$)"
)


def _backspaces(line: str) -> str:
    """Replay backspaces as a terminal would: each deletes the character before it."""
    cells: list[str] = []
    for char in line:
        if char == "\b":
            if cells:
                cells.pop()
        else:
            cells.append(char)
    return "".join(cells)


def _line_ends(text: str) -> str:
    """Unify line ends: CR NUL and CR LF become LF; a CR-only capture is split on CR."""
    text = text.replace("\x00", "").replace("\r\n", "\n")
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    return text


def _replay_controls(text: str) -> str:
    if "\x1b" in text:
        text = _ANSI_RE.sub("", text)
    if "More" in text:
        text = _PAGER_RE.sub("", text)
    if "\r" in text:
        text = text.replace("\r", "\n")
    if "\b" not in text:
        return text
    return "\n".join(_backspaces(line) if "\b" in line else line for line in text.split("\n"))


def prepare_capture(text: str) -> str:
    """Line ends, control characters and pager remnants only: what the parser needs.

    Prompt and session lines are left in (they never look like configuration sections), and so
    are trailing spaces (the parser's patterns allow them); this keeps parsing cheap.
    """
    return _replay_controls(_line_ends(text))


@functools.lru_cache(maxsize=32)
def clean_capture(text: str) -> str:
    """Plain configuration text from a raw capture (see the module docstring for each step).

    >>> clean_capture("fw# show run\\r\\nASA Version 9.8(4)32 \\r\\n<--- More --->\\r" + " " * 14 +
    ...               "\\r hostname fw\\r\\n: end\\r\\nfw# ")
    'ASA Version 9.8(4)32\\n hostname fw\\n: end\\n'
    """
    lines = prepare_capture(text).split("\n")
    text = "\n" + "\n".join(map(str.rstrip, lines))
    text = _SESSION_RE.sub("", _PROMPT_RE.sub("", text))
    text = text.strip("\n")
    return text + "\n" if text else ""


def config_fingerprint(text: str) -> str:
    """SHA-256 of a capture without the lines a save or a session changes.

    The Cryptochecksum line is dropped on purpose: the device computes it when the configuration
    is written to flash, so unsaved changes may not move it. Comments (`!`), `: Saved`,
    `: Written by ...` timestamps and blank lines are dropped too, and so are the
    `call-home reporting anonymous` lines a unit writes itself when it asks its anonymous error
    reporting question (they are not anybody's change).
    """
    body = _VOLATILE_RE.sub("", "\n" + clean_capture(text))
    lines = [line for line in body.split("\n") if line.strip() and not REPORTING_LINE.match(line)]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
