"""Binding the lab's ports when some of them sit in the system's ephemeral port range."""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pixfix.errors import LabError

log = logging.getLogger(__name__)

_T = TypeVar("_T")
BIND_WAIT_SECONDS = 55.0  # a client's TIME_WAIT lasts 60 s; stay inside `up --detach`'s wait


async def bind_waiting(open_: Callable[[], Awaitable[_T]], host: str, port: int) -> _T:
    """Open a listener, waiting while its port is held only by a client socket.

    A port in the ephemeral range (Linux: 32768-60999) can be the local end of some program's
    outgoing connection, or of its TIME_WAIT (60 s): binding fails although nothing listens
    there. When nothing answers on the port it is no other server's: wait for it to be freed.
    """
    deadline = time.monotonic() + BIND_WAIT_SECONDS
    waited = False
    while True:
        try:
            return await open_()
        except (OSError, LabError) as exc:
            if not _address_in_use(exc) or time.monotonic() > deadline:
                raise
            if await _answers(host, port):
                raise
            if not waited:
                log.warning("port %d is held by a client connection; waiting for it", port)
            waited = True
        await asyncio.sleep(1.0)


def _address_in_use(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            return True
        exc = exc.__cause__
    return False


async def _answers(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
