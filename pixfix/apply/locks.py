"""One apply or rollback at a time per device on this machine.

Two engineers (or a cron job and an engineer) running `pixfix apply` against the same firewall
would interleave configuration sessions: one's verification would see the other's half-sent
change, and one's `write memory` would save the other's unverified lines. So every run holds an
exclusive lock per device while it works on it. The locks live in the user's state directory
(`$PIXFIX_STATE_DIR/locks`, else `$XDG_STATE_HOME/pixfix/locks`, else
`~/.local/state/pixfix/locks`), not under `--out`: two runs writing to different run folders
must still see each other.

A lock is an `flock` on a file named after the device's address and port (two inventories may
name one firewall differently), so it is released by the kernel when the process dies: a crash
never leaves a stale lock behind. The file holds who has it, for the refusal message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from pixfix.errors import DeviceBusy
from pixfix.store.plan_dir import file_stem, make_private_dir

DEFAULT_WAIT = 30.0  # seconds a run waits for another run's lock on a device
_POLL = 0.2


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """pixfix's per-user state directory (`PIXFIX_STATE_DIR` wins over `XDG_STATE_HOME`)."""
    env = os.environ if environ is None else environ
    if env.get("PIXFIX_STATE_DIR"):
        return Path(env["PIXFIX_STATE_DIR"])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "pixfix"


def locks_dir(environ: Mapping[str, str] | None = None) -> Path:
    return state_dir(environ) / "locks"


def lock_key(host: str, port: int) -> str:
    """The lock file's name for a device address: `10.0.0.1:22` -> `10.0.0.1_22`.

    >>> lock_key("fw1.example.net", 22)
    'fw1.example.net_22'
    """
    return file_stem(f"{host}_{port}", None)


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 500).decode("utf-8", "replace").strip()
        if text:
            return text
    return "another pixfix run"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def device_lock(
    key: str, *, label: str, holder: str, folder: Path, wait: float = DEFAULT_WAIT
) -> Iterator[None]:
    """Hold the lock of one device; wait up to `wait` seconds, then raise `DeviceBusy`.

    `holder` says who holds it (run id, command, pid) for anyone refused meanwhile.
    """
    make_private_dir(folder)
    path = folder / f"{key}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise DeviceBusy(
                    f"{label}: locked by {_holder(fd)} (waited {wait:g} s); nothing was sent: "
                    "run again once it has finished"
                )
            time.sleep(_POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock
