"""The telnet side of a lab device: what it says first, and the client's bytes without the
option negotiation (the lab never acts on it)."""

from __future__ import annotations

import asyncio

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
TELNET_HELLO = bytes([IAC, WILL, 1, IAC, WILL, 3])  # WILL ECHO, WILL SUPPRESS-GO-AHEAD


class TelnetReader:
    """Strips telnet negotiation from the client's bytes (we never act on it)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._state = 0  # 0 data, 1 after IAC, 2 option byte, 3 in SB, 4 IAC in SB

    async def read(self) -> str:
        """Next text from the client; "" only at end of stream (negotiation alone is skipped)."""
        while data := await self._reader.read(4096):
            if text := self.strip(data):
                return text.decode("latin-1")
        return ""

    def strip(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            self._state, keep = _telnet_step(self._state, byte)
            if keep:
                out.append(byte)
        return bytes(out)


def _telnet_step(state: int, byte: int) -> tuple[int, bool]:
    if state == 0:
        return (1, False) if byte == IAC else (0, True)
    if state == 1:
        if byte in (WILL, WONT, DO, DONT):
            return 2, False
        return (3, False) if byte == SB else (0, byte == IAC)
    if state == 2:
        return 0, False
    if state == 3:
        return (4, False) if byte == IAC else (3, False)
    return (0, False) if byte == SE else (3, False)
