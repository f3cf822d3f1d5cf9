"""Ctrl-C and SIGTERM during `apply` and `rollback`.

The first signal starts no new device: each device in flight goes on to a safe point (changed,
verified and saved; or rolled back), the run's record says `interrupted`, and pixfix exits 130
(SIGINT) or 143 (SIGTERM). A second signal stops at once: the record is written from what the
run's journal holds (devices in flight become `interrupted`, with the lines typed to them and
what to do by hand) and the process exits with the same code, leaving its sessions to drop.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass(slots=True)
class Stop:
    """Whether a stop was asked for, and by which signal (the first one)."""

    signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    @property
    def exit_code(self) -> int | None:
        return None if self.signum is None else EXIT_CODES.get(signal.Signals(self.signum), 130)


@contextlib.contextmanager
def handled(
    stop: Stop, *, notice: Callable[[str], None], at_once: Callable[[int], None]
) -> Iterator[None]:
    """Catch SIGINT and SIGTERM while the block runs (only the main thread can)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.signum is None:
            stop.signum = signum
            notice(
                f"{signal.Signals(signum).name}: no new device starts; the devices in flight "
                "finish or roll back first (send it again to stop at once)"
            )
            return
        at_once(signum)

    previous = {sig: signal.signal(sig, handler) for sig in EXIT_CODES}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
