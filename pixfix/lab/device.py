"""State of one simulated firewall: configurations per context, counters, role, faults.

The device is shared by every session connected to it. Time-based behaviour (boot after a
reload, a `reload in N` timer firing) is driven by the server through `DeviceHooks`, so this
module stays free of I/O.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pixfix.lab import cfgtree
from pixfix.lab.trains import Family, Train

SYSTEM = "system"
SINGLE = ""
UNIT_LINE = "failover lan unit "


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """Faults a device can be told to show (devices file or `lab up --fault`)."""

    refuse: bool = False  # nothing listens: connection refused
    silent: bool = False  # TCP accepted, no banner ever sent
    wrong_credentials: bool = False  # every login is refused
    slow_ms: int = 0  # every reply delayed this long
    drop_after_config: int | None = None  # session dropped after the N-th config command
    write_fails: bool = False  # `write memory` fails with an error
    failover_after_config: int | None = None  # unit goes standby after the N-th config command
    # AAA command authorization refuses this configuration line (`Command authorization failed`)
    unauthorized_command: str | None = None
    replication_after_save: bool = False  # the mate rejoins as `write memory` ends (replication)
    changeto_refused: str | None = None  # `changeto context NAME` is refused for this context
    reload_question: str | None = None  # `reload` asks this instead of `[confirm]` (any answer: no)
    # this command (`COMMAND#N`: its N-th time) is held, unanswered, until `pixfix lab release`
    pause_at: str | None = None
    # hostile devices: output that a client must survive (see pixfix.lab.hostile)
    huge_output: bool = False  # the configuration listing is tens of MB
    endless_pager: bool = False  # every output pages, and the pages never end
    bad_utf8: bool = False  # output carries bytes that are not UTF-8
    ansi: bool = False  # escape sequences (colours, window title) in the prompt and output
    no_prompt: bool = False  # after `show version` (the first read) no prompt ever comes back


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    username: str
    password: str
    secret: str


@dataclass(slots=True)
class ContextConfig:
    """Running and startup configuration of one context (or the whole single-mode device)."""

    running: cfgtree.Lines
    startup: cfgtree.Lines
    checksum: str = ""

    def __post_init__(self) -> None:
        self.checksum = checksum_of(self.startup)

    @property
    def modified(self) -> bool:
        return self.running != self.startup


@dataclass(slots=True)
class Counters:
    logins: int = 0
    config_sessions: int = 0
    saves: int = 0
    reloads: int = 0


@dataclass(slots=True)
class DeviceHooks:
    """Set by the server: what a session may ask of the world around the device."""

    reload_now: Callable[[], None] = lambda: None
    schedule_reload: Callable[[float], None] = lambda _delay: None
    cancel_reload: Callable[[], None] = lambda: None
    addresses_moved: Callable[[], None] = lambda: None  # a pair failed over


@dataclass(slots=True)
class Device:
    """One simulated firewall."""

    name: str
    train: Train
    transport: str
    port: int
    smtp_port: int
    credentials: Credentials
    contexts: dict[str, ContextConfig]
    faults: Faults = field(default_factory=Faults)
    # None (standalone), "active", "standby", or "active-active": this unit (Primary) is active
    # for failover group 1 and standby for group 2 (a context's `join-failover-group`)
    failover: str | None = None
    unit: str = "Primary"
    mx_context: str = SINGLE
    boot_seconds: float = 2.0
    minute_seconds: float = 60.0
    counters: Counters = field(default_factory=Counters)
    hooks: DeviceHooks = field(default_factory=DeviceHooks)
    reload_at: float | None = None  # monotonic time of a scheduled reload
    config_commands: int = 0
    booting: bool = False
    reporting_prompt: bool = False  # asks the anonymous error reporting question (ASA 8.4+)
    reporting_asked: bool = False  # asked since the last boot
    # the other unit of a failover pair built by the lab (`failover: pair`); see `answering`
    mate: Device | None = field(default=None, repr=False, compare=False)
    address_role: str = ""  # a pair unit's port is the pair's "active" or "standby" address
    # sessions whose line is held by the `pause_at` fault: call each to let it go on
    held: list[Callable[[], None]] = field(default_factory=list, repr=False, compare=False)
    pause_seen: int = 0  # times the `pause_at` command was typed

    def holds(self, line: str) -> bool:
        """Whether `pause_at` holds this line: `COMMAND` the first time it is typed,
        `COMMAND#N` the N-th time (once per lab)."""
        if self.faults.pause_at is None:
            return False
        command, _, nth = self.faults.pause_at.rpartition("#")
        if not (command and nth.isdigit()):
            command, nth = self.faults.pause_at, "1"
        if line.strip() != command:
            return False
        self.pause_seen += 1
        return self.pause_seen == int(nth)

    def release(self) -> int:
        """Let every held session go on; how many there were."""
        held, self.held = self.held, []
        for resume in held:
            resume()
        return len(held)

    @property
    def multi_context(self) -> bool:
        return SYSTEM in self.contexts

    @property
    def user_contexts(self) -> list[str]:
        return [name for name in self.contexts if name not in (SYSTEM, SINGLE)]

    def login_context(self) -> str:
        return SYSTEM if self.multi_context else SINGLE

    def hostname(self) -> str:
        cfg = self.contexts[self.login_context()].running
        for line in cfgtree.top_blocks(cfg, "hostname"):
            return line.split()[1]
        return self.name

    def prompt_state(self) -> str:
        """The `/pri/act` part of the prompt when `prompt hostname priority state` is set."""
        cfg = self.contexts[self.login_context()].running
        if not cfgtree.top_blocks(cfg, "prompt") or self.failover in (None, "active-active"):
            return ""
        unit = "pri" if self.unit == "Primary" else "sec"
        return f"/{unit}/{'act' if self.failover == 'active' else 'stby'}"

    def role_in(self, context: str) -> str | None:
        """This unit's role for a context: with active/active, its failover group's role."""
        if self.failover != "active-active":
            return self.failover
        return "active" if self.failover_group(context) == 1 else "standby"

    def failover_group(self, context: str) -> int:
        """`join-failover-group N` of the context in the system configuration (default 1)."""
        system = self.contexts.get(SYSTEM)
        if system is None or context in (SYSTEM, SINGLE):
            return 1
        block = False
        for line in system.running:
            if not line.startswith(" "):
                block = line.strip() == f"context {context}"
            elif block and line.split()[:1] == ["join-failover-group"]:
                return int(line.split()[1])
        return 1

    def configured_pager_lines(self, context: str) -> int:
        """Paging as the configuration sets it (`pager lines N`, `no pager`; default 24)."""
        for line in cfgtree.top_blocks(self.contexts[context].running, "pager"):
            words = line.split()
            return int(words[2]) if len(words) == 3 and words[2].isdigit() else 24
        if cfgtree.find_child(self.contexts[context].running, None, "no pager") is not None:
            return 0
        return 24

    def any_modified(self) -> bool:
        return any(ctx.modified for ctx in self.contexts.values())

    def answering(self) -> Device:
        """The unit that answers at this unit's port: itself, or for a pair, whichever unit
        holds the role of the address (the pair's address always reaches the active unit)."""
        mate = self.mate
        if mate is None or self.failover == self.address_role:
            return self
        return mate

    def active_unit(self) -> Device:
        """Of a pair, the unit that is active now (traffic passes it); otherwise this one."""
        mate = self.mate
        return mate if mate is not None and self.failover != "active" else self

    def replicate(self, context: str) -> None:
        """Configuration replication: a pair's active unit copies each change to its mate's
        running configuration (a standby's own changes are never sent back)."""
        mate = self.mate
        if mate is not None and not mate.booting and self.role_in(context) == "active":
            mate.contexts[context].running = replicated(self.contexts[context].running, mate)

    def save(self, context: str) -> None:
        """`write memory`; on a pair's active unit the command is replicated, so both save."""
        self._save_here(context)
        mate = self.mate
        if mate is not None and not mate.booting and self.role_in(context) == "active":
            mate.contexts[context].running = replicated(self.contexts[context].running, mate)
            mate._save_here(context)

    def _save_here(self, context: str) -> None:
        ctx = self.contexts[context]
        ctx.startup = ctx.running
        ctx.checksum = checksum_of(ctx.startup)
        self.counters.saves += 1

    def boot(self) -> None:
        """Come back from a reload: every context runs its startup configuration; a pair unit
        whose mate is active joins as standby and takes the mate's running configuration."""
        mate = self.mate
        synced = mate is not None and not mate.booting and mate.failover == "active"
        for name, ctx in self.contexts.items():
            theirs = mate.contexts[name].running if mate is not None and synced else None
            ctx.running = ctx.startup if theirs is None else replicated(theirs, self)
        if mate is not None:
            self.failover = "standby" if synced else "active"
        self.reload_at = None
        self.config_commands = 0
        self.reporting_asked = False
        self.counters.reloads += 1

    def note_config_command(self) -> None:
        self.config_commands += 1
        after = self.faults.failover_after_config
        if after is not None and self.config_commands >= after and self.failover == "active":
            self.fail_over()

    def fail_over(self) -> None:
        """This active unit hands over: alone it just turns standby; in a pair the mate turns
        active and the pair's addresses move with the roles (`hooks.addresses_moved`)."""
        self.failover = "standby"
        if self.mate is not None:
            self.mate.failover = "active"
            self.hooks.addresses_moved()

    def seconds_to_reload(self) -> float | None:
        if self.reload_at is None:
            return None
        return max(0.0, self.reload_at - time.monotonic())

    @property
    def is_mailhost(self) -> bool:
        return self.train.family is Family.PIX_MAILHOST


def replicated(lines: cfgtree.Lines, unit: Device) -> cfgtree.Lines:
    """The active unit's configuration as its mate holds it: `failover lan unit` is the one
    line each unit keeps its own (it is never replicated)."""
    own = f"{UNIT_LINE}{unit.unit.lower()}"
    return tuple(own if line.startswith(UNIT_LINE) else line for line in lines)


def checksum_of(lines: cfgtree.Lines) -> str:
    """The `Cryptochecksum:` of a saved configuration (recomputed on save only)."""
    return hashlib.md5("\n".join(lines).encode(), usedforsecurity=False).hexdigest()


def parse_startup(text: str) -> cfgtree.Lines:
    """Turn a startup configuration file into stored lines (dropping `:` comment lines)."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith(":") or line.startswith("Cryptochecksum"):
            continue
        lines.append(line)
    return tuple(lines)
