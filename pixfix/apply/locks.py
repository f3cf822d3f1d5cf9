"""One apply or rollback at a time per firewall.

Two engineers (or a cron job and an engineer) running `pixfix apply` against the same firewall
would interleave configuration sessions: one's verification would see the other's half-sent
change, and one's `write memory` would save the other's unverified lines. So every run holds an
exclusive lock per device while it works on it, from its first read until its save. Two
inventories may name one firewall differently (`localhost` and `127.0.0.1`, a DNS name and its
address, two interfaces of one unit), so a run takes two locks: the device's resolved address
and port before it connects, and the unit's serial number as soon as `show version` has given
it (a unit without one, such as a user context, is known by its address alone).

The locks live in `$PIXFIX_LOCK_DIR` when set (a directory shared between the machines that run
pixfix, on a file system whose `flock` works across them, such as NFSv4), else in the user's
state directory (`$PIXFIX_STATE_DIR/locks`, else `$XDG_STATE_HOME/pixfix/locks`, else
`~/.local/state/pixfix/locks`), not under `--out`: two runs writing to different run folders
must still see each other. A lock is an `flock` on a file, released by the kernel when the
process dies: a crash never leaves a stale lock behind. The file says who holds it (run, pid,
machine, user), for the refusal message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
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
    env = os.environ if environ is None else environ
    if env.get("PIXFIX_LOCK_DIR"):
        return Path(env["PIXFIX_LOCK_DIR"])
    return state_dir(environ) / "locks"


def lock_key(host: str, port: int) -> str:
    """The lock file's name for a device address: `10.0.0.1:22` -> `10.0.0.1_22`.

    >>> lock_key("fw1.example.net", 22)
    'fw1.example.net_22'
    """
    return file_stem(f"{host}_{port}", None)


def address_key(host: str, port: int) -> str:
    """The lock of an address as it resolves (IPv4 first), so that `localhost` and
    `127.0.0.1` are one device; a name that does not resolve is its own key."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return lock_key(host.lower(), port)
    addresses = sorted({str(info[4][0]) for info in found}, key=lambda a: (":" in a, a))
    return lock_key(addresses[0] if addresses else host.lower(), port)


def serial_key(serial: str) -> str:
    """The lock of a unit by its serial number.

    >>> serial_key("JMX0938K0C0")
    'serial_JMX0938K0C0'
    """
    return file_stem(f"serial_{serial}", None)


def holder_text(what: str) -> str:
    """Who holds a lock: the run, and the process, machine and user running it."""
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or str(os.getuid())
    return f"pixfix {what} (pid {os.getpid()} on {socket.gethostname()}, user {user})"


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
