"""Hostile output for the lab's fault devices: what a client must survive, as pure functions.

A device is data, never an authority: it may send tens of megabytes, page forever, send bytes
that are not UTF-8, or dress its prompt and output in terminal escape sequences meant to rewrite
the screen of whoever reads a report. Each function here turns normal device text into one of
those; `pixfix.lab.session` applies them when the device has the fault.

Bytes that are not UTF-8 travel inside Python text as lone surrogates (U+DC80-U+DCFF, the
`surrogateescape` convention): the SSH and telnet writers encode them back into those raw bytes.
"""

from __future__ import annotations

HUGE_BYTES = 24 * 1024 * 1024  # "tens of MB": far beyond any real configuration
_FILLER = "access-list hostile-{n:07d} extended permit tcp any host 192.0.2.{h} eq {p}"
# Invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong form, 0xFE.
BAD_BYTES = "\udc80\udcc3(\udcc0\udcaf\udcfe"
# Clear the screen, set the window title, an OSC 8 hyperlink, colours, and a CSI that hides text.
TITLE = "\x1b]0;pixfix-owned\x07"
CLEAR = "\x1b[2J\x1b[H"
LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
RED, HIDE, RESET = "\x1b[1;31m", "\x1b[8m", "\x1b[0m"
INJECTIONS = ("=cmd|' /C calc'!A0", "<script>alert('pixfix')</script>", "+SUM(1,2)")


def padded(text: str, nl: str, size: int = HUGE_BYTES) -> str:
    """The configuration with filler lines after its first line, until it weighs `size` bytes.

    The real lines stay whole and in order, so a client that read it all would still see the
    device's true configuration: only its size is hostile.
    """
    first, _, rest = text.partition(nl)
    line_size = len(_FILLER.format(n=0, h=0, p=0)) + len(nl)
    filler = nl.join(
        _FILLER.format(n=n, h=n % 250 + 1, p=n % 60000 + 1) for n in range(size // line_size)
    )
    return nl.join([first, filler, rest])


def with_bad_bytes(text: str, nl: str) -> str:
    """Invalid UTF-8 in the second line and in a banner line at the end."""
    lines = text.split(nl)
    lines.insert(min(1, len(lines)), f"banner motd caf{BAD_BYTES} {BAD_BYTES}")
    lines[0] = lines[0] + BAD_BYTES
    return nl.join(lines)


def with_escapes(text: str, nl: str) -> str:
    """Clear screen and title first, and escape sequences around and inside every line."""
    lines = [f"{RED}{line}{RESET}" if line else line for line in text.split(nl)]
    lines.insert(min(1, len(lines)), f"banner motd {LINK} {HIDE}{' '.join(INJECTIONS)}{RESET}")
    return CLEAR + TITLE + nl.join(lines)


def hostile_prompt(prompt: str) -> str:
    """A window-title sequence and colours around the hostname; the `#`/`>` stays last, as a
    client needs it to find the prompt at all."""
    body = prompt.rstrip()
    return f"{TITLE}{RED}{body[:-1]}{RESET}{body[-1:]} "
