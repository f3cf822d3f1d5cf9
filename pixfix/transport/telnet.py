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
        super().__init__(*args, **kwargs)

    def read_channel(self) -> str:
        data = self._pager_tail + super().read_channel()
        clean, prompts, self._pager_tail = strip_pager(data)
        for _ in range(prompts):
            self.write_channel(" ")
        return clean

    def exit_config_mode(self, exit_config: str = "exit", pattern: str = r"#") -> str:
        return str(super().exit_config_mode(exit_config=exit_config, pattern=pattern))

    def save_config(
        self, cmd: str = "write memory", confirm: bool = False, confirm_response: str = ""
    ) -> str:
        return str(super().save_config(cmd=cmd, confirm=confirm, confirm_response=confirm_response))
