"""What pixfix reads from a device, and in which order: the one place that knows the commands.

Audit, plan (through the audit) and apply all read a device through these functions over a
`pixfix.transport.device_io.DeviceIO`:

- `identify`: `show version` (platform, train, context mode) and `show failover` (role), in one
  round trip, optionally with `show running-config` typed ahead (used only if it is this train's
  configuration command on a single-context device; PIX 4 lists it with `write terminal`);
- `context_names`: `show context` on a multiple-context system space;
- `in_context`: `changeto context X` and the pager off again (paging is per context), then the
  reads asked for, all in one round trip where the session allows; a refused `changeto` is an
  error, never the system space's configuration read as the context's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pixfix.errors import CollectError, ContextRefused
from pixfix.model import Role, Software
from pixfix.parse.config import parse_show_version
from pixfix.parse.show import (
    FailoverState,
    context_groups,
    context_names,
    failover_state,
    serial_number,
)
from pixfix.platforms import FACTS, PAGER_OFF, TrainFacts
from pixfix.transport.device_io import DeviceIO

VERSION = "show version"
FAILOVER = "show failover"
CONTEXTS = "show context"
BOOTVAR = "show bootvar"
SYSTEM = "changeto system"
USUAL_CONFIG = "show running-config"  # every SSH train's configuration command
USUAL_STARTUP = "show startup-config"  # and its saved configuration's


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """What a device said about itself at login: its software, train facts and failover role."""

    software: Software
    facts: TrainFacts
    failover: FailoverState | None  # None where the train has no `show failover`
    running: str | None = None  # the running configuration, when it was read ahead
    startup: str | None = None  # the saved configuration, when it was read ahead with it
    serial: str | None = None  # `Serial Number:` of `show version` (None where not printed)

    @property
    def role(self) -> Role | None:
        """The unit's role; None without `show failover`, or with active/active failover
        (where each context's role is its failover group's: `context_roles`)."""
        return None if self.failover is None else self.failover.role


def identify(io: DeviceIO, *, config_ahead: bool = False) -> Identity:
    """Version and role; with `config_ahead`, the running and saved configurations in the same
    round trip.

    The configurations are typed ahead only where reads cost one round trip together, and kept
    only when they are the train's own commands on a single-context device.
    """
    ahead = [USUAL_CONFIG, USUAL_STARTUP] if config_ahead and io.pipelines else []
    replies = io.read_many([VERSION, FAILOVER, *ahead])
    software = parse_show_version(replies[0])
    facts = FACTS[software.train]
    failover = failover_state(replies[1]) if facts.has_failover_show else None
    usable = bool(ahead) and not software.multi_context
    usual = (facts.config_command, facts.startup_command) == (USUAL_CONFIG, USUAL_STARTUP)
    return Identity(
        software=software,
        facts=facts,
        failover=failover,
        running=replies[2] if usable and usual else None,
        startup=replies[3] if usable and usual else None,
        serial=serial_number(replies[0]),
    )


def role_now(io: DeviceIO, facts: TrainFacts, context: str | None) -> Role | None:
    """The unit's role for the device (or context) now, from the login (system) space."""
    failover = failover_state(io.read(FAILOVER)) if facts.has_failover_show else None
    if context is None:
        return None if failover is None else failover.role
    return _roles(io, facts, failover, [context])[context]


def unit_now(io: DeviceIO, context: str | None) -> tuple[Role | None, str | None]:
    """Which unit a session reached, and its role for the device (or context) now: after a
    failover the same address may reach the other unit of the pair."""
    found = identify(io)
    role = found.role if context is None else context_roles(io, found, [context])[context]
    return role, found.serial


def context_roles(io: DeviceIO, found: Identity, contexts: list[str]) -> dict[str, Role | None]:
    """Each context's failover role, from the login (system) space (see `_roles`)."""
    return _roles(io, found.facts, found.failover, contexts)


def _roles(
    io: DeviceIO, facts: TrainFacts, failover: FailoverState | None, contexts: list[str]
) -> dict[str, Role | None]:
    """With active/active failover a context is active on the unit whose failover group it
    joined (`join-failover-group N` in the system configuration, group 1 when absent), so the
    system configuration is read; otherwise every context has the unit's role."""
    if failover is None or failover.role is not None:
        return dict.fromkeys(contexts, None if failover is None else failover.role)
    groups = context_groups(io.read(facts.config_command))
    missing = [c for c in contexts if c not in groups]
    if missing:
        raise CollectError(f"the system configuration has no context {missing[0]}")
    return {c: failover.role_of_group(groups[c]) for c in contexts}


def contexts_of(io: DeviceIO) -> list[str]:
    """The contexts a multiple-context system space lists (`show context`)."""
    return context_names(io.read(CONTEXTS))


def in_context(io: DeviceIO, context: str | None, commands: Sequence[str]) -> list[str]:
    """Read `commands` inside `context` (None: where the session is)."""
    if context is None:
        return io.read_many(commands)
    changeto = f"changeto context {context}"
    replies = io.read_many([changeto, PAGER_OFF, *commands])
    if "ERROR" in replies[0]:
        raise ContextRefused(f"{changeto}: {replies[0].strip()}")
    return replies[2:]


def back_to_system(io: DeviceIO) -> None:
    """`changeto system`: leave a session where it started."""
    io.read(SYSTEM)
