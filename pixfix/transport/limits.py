"""What a device may cost one session: the bytes of a reply, the wall clock, the text it sends.

A device is data, never an authority (the lab's hostile faults: `huge_output`, `bad_utf8`,
`no_prompt`, `endless_pager`). `pixfix.transport.session` reads through these limits:

- one reply may not exceed `MAX_REPLY` bytes: a device sending tens of megabytes, or paging
  forever, ends as an error instead of filling memory and the report;
- netmiko decodes with `errors="ignore"` and silently drops bytes that are not UTF-8, so the
  channel is read as latin-1 (one character per byte, nothing lost) and each reply must then be
  strict UTF-8: altered text is never audited;
- with a budget, the whole session gets that many seconds of wall clock: each read is given what
  is left, and a timer closes the connection when it runs out, which also ends the waits of
  paramiko's connect, banner and authentication that no read of ours controls.
"""

from __future__ import annotations

import contextvars
import math
import threading
import time
from collections.abc import Callable
from contextlib import suppress

from pixfix.errors import CollectError

MAX_REPLY = 16 * 1024 * 1024  # bytes one command may return: ten times a very large config
WIRE = "latin-1"  # how netmiko decodes what it reads: one character per byte


def utf8(text: str, command: str) -> str:
    """A reply read as latin-1, as the UTF-8 text the device sent, or a `CollectError`.

    >>> utf8("caf\\xc3\\xa9", "show version")
    'café'
    >>> utf8("\\xff", "show version")
    Traceback (most recent call last):
    pixfix.errors.CollectError: reply to 'show version' is not valid UTF-8 text (invalid start byte)
    """
    try:
        return text.encode(WIRE).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise CollectError(f"reply to {command!r} is not valid UTF-8 text ({exc.reason})") from None


def to_wire(text: str) -> str:
    """What we type, as its UTF-8 bytes spelt in latin-1 (netmiko encodes with `WIRE`).

    >>> to_wire("é").encode(WIRE) == "é".encode("utf-8")
    True
    """
    return text.encode("utf-8").decode(WIRE)


class Deadline:
    """A session's wall-clock budget (`None`: none): `at` for each read, a timer for the rest.

    The timer runs `cut` in the context it was armed in, so what closing logs names the host
    (`pixfix.logsetup.host_context`).
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at = math.inf if seconds is None else time.monotonic() + seconds
        self.expired = False
        self._timer: threading.Timer | None = None

    def arm(self, cut: Callable[[], None]) -> None:
        if self.at == math.inf:
            return
        context = contextvars.copy_context()
        self._timer = threading.Timer(self.at - time.monotonic(), context.run, (self._fire, cut))
        self._timer.daemon = True
        self._timer.start()

    def _fire(self, cut: Callable[[], None]) -> None:
        self.expired = True
        with suppress(Exception):  # whatever closing raises, the reader sees `expired`
            cut()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
