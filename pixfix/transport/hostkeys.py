"""SSH host keys: where a device's key is looked up, what an unknown or a changed key means,
and the known-hosts index shared by every session of the process.

netmiko accepts any host key unless told `ssh_strict`, and its strict mode
knows one file. pixfix verifies every SSH session against, in order:

1. the inventory's `known_hosts` (defaults, a group or the host),
2. the user's `~/.ssh/known_hosts`,
3. pixfix's own file, `$XDG_CONFIG_HOME/pixfix/known_hosts` (`~/.config/pixfix/known_hosts`).

The first file that knows the host decides; `--known-hosts FILE` replaces all three. A key
found nowhere is refused with its SHA256 fingerprint, unless `--trust-new-keys`: then it is
appended to pixfix's own file (created 0600; with `--known-hosts`, to that file) and the session
goes on. A key that differs from a known one is always refused, naming both fingerprints:
paramiko raises `BadHostKeyException` before it asks the policy, so no option can accept it.

Speed (docs/benchmarks.md): paramiko's loader compares each line with every line before it,
0.13 s of CPU per connection for a 1,000-host file. Here a file is indexed by host name once
per process (re-read when it changes), and a key is parsed only for a host asked about.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

log = logging.getLogger(__name__)

TRUST_OPTION = "--trust-new-keys"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyOptions:
    """The command line's say: `--known-hosts FILE` and `--trust-new-keys`."""

    known_hosts: Path | None = None
    trust_new: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class HostKeyCheck:
    """One session's host-key rules: the files to look in, in order, and where a new key is
    recorded when `trust_new` says it may be."""

    files: tuple[str, ...] = ()
    record_to: str | None = None
    trust_new: bool = False

    def keys_for(self, name: str) -> dict[str, Any]:
        """Key type -> known key for `name` (`host`, or `[host]:port` off port 22), from the
        first file that knows the host: the inventory's file speaks for the hosts it lists, and
        a large hashed `~/.ssh/known_hosts` is searched only for the others."""
        for path in self.files:
            found = known_hosts(path).keys_for(name)
            if found:
                return found
        return {}


def own_file(environ: Mapping[str, str] | None = None) -> Path:
    """pixfix's own known-hosts file, where `--trust-new-keys` records what it accepted."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pixfix" / "known_hosts"


def check_for(inventory_file: Path | None, options: KeyOptions) -> HostKeyCheck:
    """The files a host's key is looked up in, given its inventory `known_hosts` and the CLI."""
    if options.known_hosts is not None:
        only = str(options.known_hosts)
        return HostKeyCheck(files=(only,), record_to=only, trust_new=options.trust_new)
    own = str(own_file())
    files = [str(inventory_file)] if inventory_file is not None else []
    files += [str(Path.home() / ".ssh" / "known_hosts"), own]
    return HostKeyCheck(files=tuple(files), record_to=own, trust_new=options.trust_new)


def host_key_name(host: str, port: int) -> str:
    """The name a known-hosts file gives a server (OpenSSH's and paramiko's convention)."""
    return host if port == 22 else f"[{host}]:{port}"


def describe(key: Any) -> str:
    """`ssh-rsa SHA256:...`, as `ssh-keygen -lf` and OpenSSH's warnings show a key."""
    return f"{key.get_name()} {key.fingerprint}"


# ---- the policy ---------------------------------------------------------------------------------


class UnknownHostKey(Exception):
    """The server's key is in no known-hosts file, and new keys are not trusted.

    Raised to paramiko as the cause of an `SSHException`, which netmiko knows to clean up after
    (its connection is closed) and re-raise: the cause travels with it to `key_problem`.
    """

    def __init__(self, name: str, key: Any) -> None:
        super().__init__(f"host key for {name} not found in known_hosts: {describe(key)}")
        self.name = name
        self.key = key


class KeyNotRecorded(Exception):
    """`--trust-new-keys` could not write the key down: it is not trusted either."""


class VerifyPolicy:
    """paramiko's `MissingHostKeyPolicy` (duck-typed): called only for a key it has no entry
    for; refuses it, or records it and lets the connection go on."""

    def __init__(self, check: HostKeyCheck) -> None:
        self._check = check

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        if not (self._check.trust_new and self._check.record_to):
            problem = UnknownHostKey(hostname, key)
            raise paramiko.SSHException(str(problem)) from problem
        try:
            record(self._check.record_to, hostname, key)
        except OSError as exc:
            failed = KeyNotRecorded(f"cannot record it in {self._check.record_to}: {exc.strerror}")
            raise paramiko.SSHException(str(failed)) from failed
        log.warning(
            "trusted the new host key of %s, %s, and recorded it in %s",
            hostname,
            describe(key),
            self._check.record_to,
        )


_RECORD_LOCK = threading.Lock()


def record(path: str, name: str, key: Any) -> None:
    """Append `name keytype base64` to the file (created 0600, its folder 0700)."""
    with _RECORD_LOCK:
        Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(f"{name} {key.get_name()} {key.get_base64()}\n")


# ---- the shared index ---------------------------------------------------------------------------


class KnownHosts:
    """A known-hosts file indexed by host name; a key is parsed only for a host asked about.

    Matching is paramiko's: the exact name (`[host]:port` off port 22) or a hashed `|1|` name.
    A line that cannot be parsed is skipped (paramiko's loader would fail every host for it).
    """

    def __init__(self, path: str) -> None:
        self._lines: dict[str, list[str]] = {}  # host name (plain or hashed) -> its lines
        with suppress(OSError), open(path, encoding="utf-8", errors="replace") as lines:
            for line in map(str.strip, lines):
                if line and not line.startswith("#"):
                    for name in re.split("[ \t]", line, maxsplit=1)[0].split(","):
                        self._lines.setdefault(name, []).append(line)
        self._hashed = [name for name in self._lines if name.startswith("|1|")]

    def keys_for(self, name: str) -> dict[str, Any]:
        """Key type -> key for this host name (the first line wins, as in paramiko)."""
        hashed = [h for h in self._hashed if _hashes_to(name, h)]
        found: dict[str, Any] = {}
        for line in [line for n in [name, *hashed] for line in self._lines.get(n, [])]:
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line)
            except (paramiko.SSHException, paramiko.hostkeys.InvalidHostKey, ValueError):
                continue
            if entry is not None:
                found.setdefault(entry.key.get_name(), entry.key)
        return found


def _hashes_to(name: str, hashed: str) -> bool:
    try:
        return bool(paramiko.HostKeys.hash_host(name, hashed) == hashed)
    except (ValueError, AssertionError):  # a malformed salt: matches nothing
        return False


_NOTHING = KnownHosts(os.devnull)
_KNOWN_HOSTS: dict[str, tuple[tuple[int, int, int], KnownHosts]] = {}
_KNOWN_HOSTS_LOCK = threading.Lock()


def known_hosts(path: str) -> KnownHosts:
    """The indexed file, read once per process while unchanged (workers share it)."""
    try:
        stat = os.stat(path)
    except OSError:
        return _NOTHING  # a missing file knows no host
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    with _KNOWN_HOSTS_LOCK:
        if path not in _KNOWN_HOSTS or _KNOWN_HOSTS[path][0] != stamp:
            _KNOWN_HOSTS[path] = (stamp, KnownHosts(path))
        return _KNOWN_HOSTS[path][1]


def key_problem(chain: list[BaseException], where: str) -> str | None:
    """The message for a refused key: a changed one names both fingerprints, an unknown one its
    own and how to trust it. `chain` is the exception and its causes (netmiko wraps paramiko's)."""
    for exc in chain:
        if isinstance(exc, paramiko.BadHostKeyException):
            old, new = describe(exc.expected_key), describe(exc.key)
            return f"host key changed for {where}: expected {old}, got {new}; refusing to connect"
        if isinstance(exc, UnknownHostKey):
            return (
                f"host key unknown for {where}: {describe(exc.key)} is in no known-hosts file; "
                f"check it, then run again with {TRUST_OPTION} to record it"
            )
        if isinstance(exc, KeyNotRecorded):
            return f"host key unknown for {where}: {exc}"
    if any("does not match" in str(exc) for exc in chain):
        return f"host key changed for {where}: refusing to connect"
    return None
