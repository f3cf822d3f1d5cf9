"""PIX up to 6.3 over telnet (SSHv1 only there, which paramiko lacks): the pager answered in-band.

No `terminal pager` (an error on PIX) and no `no pager` (a configuration change): the session
answers each `<--- More --->` itself and strips the pager's erase sequence; configuration mode is
left with `exit` (PIX 6 has no `end`).
"""

from __future__ import annotations

import re
from typing import Any

from pixfix.platforms import MORE
from pixfix.transport.session import Session

_ERASE = re.compile(r"\x08+ *\x08*")
_CR_ERASE = re.compile(re.escape(MORE) + r"\r +\r")  # a PIX over telnet erases with CR, spaces, CR
_CR_ERASE_AFTER = re.compile(r"^\r +\r")  # the same erase, arriving after the key was pressed
_CR_ERASE_OPEN = re.compile(r"\r *")  # its start, cut by a read
_ERASE_TAIL = re.compile(r"\x08[\x08 ]*$")


def strip_pager(text: str) -> tuple[str, int, str]:
    """Remove `<--- More --->` prompts and their erase sequences.

    Returns the clean text, how many prompts were found (each needs a key press), and a tail
    that may be the start of a prompt or of an erase sequence split across reads (to prepend
    to the next read).
    """
    count = text.count(MORE)
    raw = _CR_ERASE.sub("", text).replace(MORE, "")
    erasing = _ERASE_TAIL.search(raw)  # an erase sequence cut by the read: finish it later
    if erasing:
        return _ERASE.sub("", raw[: erasing.start()]), count, raw[erasing.start() :]
    clean = _ERASE.sub("", raw)
    for size in range(len(MORE) - 1, 0, -1):
        if clean.endswith(MORE[:size]):
            return clean[:-size], count, clean[-size:]
    return clean, count, ""


class PixTelnetSession(Session):
    """PIX <= 6.3 over telnet: pager answered in-band, `exit` leaves config mode.

    Commands are never typed ahead here: while a `<--- More --->` prompt waits, any key
    typed ahead would be taken as the answer to it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pager_tail = ""
        self._erasing = False  # a pager prompt was answered: its CR erase comes next
        super().__init__(*args, **kwargs)

    def read_channel(self) -> str:
        """netmiko's read, with the pager handled on the raw text first: the ASA driver's line
        feed normalisation deletes every lone CR, which would turn the PIX's CR erase into
        spaces in front of the next configuration line."""
        self._settle()
        with self._in_time():
            raw = str(self.channel.read_channel())
        clean = self._unpage(raw)
        text = self.normalize_linefeeds(clean) if clean else ""
        if self._read_buffer:
            text, self._read_buffer = self._read_buffer + text, ""
        return text

    def _unpage(self, raw: str) -> str:
        """Answer each `<--- More --->` and drop it with its erase, which comes after the key."""
        data, self._pager_tail = self._pager_tail + raw, ""
        if self._erasing and data:
            if _CR_ERASE_OPEN.fullmatch(data):
                self._pager_tail = data  # the erase is cut by the read: finish it later
                return ""
            data = _CR_ERASE_AFTER.sub("", data, count=1)
            self._erasing = False
        clean, prompts, self._pager_tail = strip_pager(data)
        for _ in range(prompts):
            self.write_channel(" ")
        if prompts:
            self._erasing = data.rstrip(" ").endswith(MORE)
        return clean

    def exit_config_mode(self, exit_config: str = "exit", pattern: str = r"#") -> str:
        return str(super().exit_config_mode(exit_config=exit_config, pattern=pattern))

    def save_config(
        self, cmd: str = "write memory", confirm: bool = False, confirm_response: str = ""
    ) -> str:
        return str(super().save_config(cmd=cmd, confirm=confirm, confirm_response=confirm_response))
