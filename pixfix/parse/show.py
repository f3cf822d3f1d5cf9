"""What `show failover`, `show context` and `show bootvar` say, read so that doubt is an error.

Each reader is checked against real captures (`tests/fixtures/real/`, see its SOURCES.md):

- `show failover`: `Failover Off`, or `Failover On` with `This host: Primary - Active` (or
  `Secondary - Standby Ready`, ...) for active/standby; for active/active `This host: Primary`
  then `Group 1 State: Active` / `Group 2 State: Standby Ready` (this unit's role per failover
  group, printed before the `Other host:` part). Text that says none of these is `ParseError`:
  a unit whose role pixfix cannot read is never taken for `standalone`.
- `show context`: the table headed `Context Name`, one row per context (`*` marks the admin
  context; long interface lists wrap onto indented lines); anything else is `ParseError`.
- `show bootvar`: `BOOT variable = ...` and `Current BOOT variable = ...`; one image is named by
  different paths (`(hd0,1)/asa964-45-smp-k8.bin` and `disk0:/asa964-45-smp-k8.bin`), so images
  are compared by file name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pixfix.errors import ParseError
from pixfix.model import Role

_ON = re.compile(r"^\s*Failover On\b", re.M)
_OFF = re.compile(r"^\s*Failover Off\b", re.M)
_THIS_HOST = re.compile(
    r"^\s*This host:\s*(?:Primary|Secondary)\s*(?:-\s*(?P<state>\S.*?))?\s*$", re.M
)
_OTHER_HOST = re.compile(r"^\s*Other host:", re.M)
_GROUP_STATE = re.compile(r"^\s*Group\s+(?P<group>\d+)\s+State:\s*(?P<state>\S.*?)\s*$", re.M)
# What a unit may say about itself (ASA configuration guide, failover states). Transitional
# states are not active: nothing is changed on a unit that is not plainly `Active`.
_STANDBY_STATES = ("Standby Ready", "Standby", "Cold Standby", "Sync Config", "Bulk Sync")
_ACTIVE_STATES = ("Active",)


@dataclass(frozen=True, slots=True, kw_only=True)
class FailoverState:
    """A unit's failover role; with active/active failover, its role per failover group."""

    role: Role | None  # None for active/active: the role depends on the context's group
    groups: Mapping[int, Role] = field(default_factory=lambda: MappingProxyType({}))

    def role_of_group(self, group: int) -> Role:
        """This unit's role for a context in `group` (active/standby: the unit's role)."""
        if self.role is not None:
            return self.role
        if group not in self.groups:
            raise ParseError(f"show failover names no failover group {group}")
        return self.groups[group]


def _state_role(state: str, where: str) -> Role:
    if state in _ACTIVE_STATES:
        return Role.ACTIVE
    if state in _STANDBY_STATES:
        return Role.STANDBY
    raise ParseError(f"show failover: {where} state {state!r} is not understood")


def failover_state(text: str) -> FailoverState:
    """The unit's role from `show failover` (see the module docstring); doubt is `ParseError`."""
    if _OFF.search(text) and not _ON.search(text):
        return FailoverState(role=Role.STANDALONE)
    if not _ON.search(text):
        raise ParseError("show failover says neither 'Failover On' nor 'Failover Off'")
    this = _THIS_HOST.search(text)
    if this is None:
        raise ParseError("show failover: no 'This host:' line")
    if this.group("state"):
        return FailoverState(role=_state_role(this.group("state"), "this host's"))
    other = _OTHER_HOST.search(text, this.end())
    mine = text[this.end() : other.start() if other else len(text)]
    groups = {
        int(m["group"]): _state_role(m["state"], f"group {m['group']}")
        for m in _GROUP_STATE.finditer(mine)
    }
    if not groups:
        raise ParseError("show failover: 'This host:' names neither a state nor failover groups")
    return FailoverState(role=None, groups=MappingProxyType(groups))


_CONTEXT_HEADER = re.compile(r"^\s*Context Name\s+Class\s+Interfaces\b")
_CONTEXT_ROW = re.compile(r"^\s*\*?(?P<name>[A-Za-z0-9][\w.-]*)\s+\S")
_CONTEXT_TOTAL = re.compile(r"^\s*Total active Security Contexts:\s*\d+\s*$")


def context_names(text: str) -> list[str]:
    """Context names from `show context` (the admin context is marked with `*`)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not _CONTEXT_HEADER.match(lines[0]):
        raise ParseError("show context: no 'Context Name' table")
    names = []
    for line in lines[1:]:
        if _CONTEXT_TOTAL.match(line):
            break
        if line[:1] == " " and not line.lstrip().startswith("*") and _continues(line):
            continue  # a wrapped interface list
        row = _CONTEXT_ROW.match(line)
        if row is None:
            raise ParseError(f"show context: row {line.strip()!r} is not understood")
        names.append(row["name"])
    return names


def _continues(line: str) -> bool:
    """A wrapped interface list: indented far, one field of interface names."""
    return len(line) - len(line.lstrip()) > 20 and len(line.split()) == 1


_CONTEXT_BLOCK = re.compile(r"^context\s+(?P<name>\S+)\s*$")
_JOIN_GROUP = re.compile(r"^\s*join-failover-group\s+(?P<group>\d+)\s*$")
_ADMIN_CONTEXT = re.compile(r"^admin-context\s+(?P<name>\S+)\s*$")


def context_groups(system_config: str) -> dict[str, int]:
    """Each context's failover group from the system configuration's `context` blocks:
    `join-failover-group N`, group 1 when absent; the admin context is always in group 1."""
    groups: dict[str, int] = {}
    current: str | None = None
    admin: str | None = None
    for line in system_config.splitlines():
        text = line.strip()
        if (block := _CONTEXT_BLOCK.match(text)) is not None:
            current = block["name"]
            groups[current] = 1
        elif (join := _JOIN_GROUP.match(text)) is not None and current is not None:
            groups[current] = int(join["group"])
        elif (named := _ADMIN_CONTEXT.match(text)) is not None:
            admin = named["name"]
        elif line[:1] not in (" ", "\t") and text:
            current = None
    if admin is not None:
        groups[admin] = 1
    return groups


_SERIAL = re.compile(r"^[ \t]*Serial Number:[ \t]*(?P<serial>[A-Za-z0-9]+)", re.M)


def serial_number(show_version: str) -> str | None:
    """The unit's serial number from `show version` (`Serial Number: JMX0938K0C0`; a PIX adds
    its hex form), or None where the output has none (a user context prints no serial)."""
    found = _SERIAL.search(show_version)
    return found.group("serial") if found else None


_BOOT_LINE = re.compile(r"^[ \t]*(Current )?BOOT variable[ \t]*=[ \t]*(.*?)[ \t]*$", re.M)


def boot_images(text: str) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The image file names of `BOOT variable` and `Current BOOT variable` (None: no line).

    >>> boot_images("BOOT variable = (hd0,1)/asa964-45-smp-k8.bin\\n"
    ...             "Current BOOT variable = disk0:/asa964-45-smp-k8.bin\\n")
    (('asa964-45-smp-k8.bin',), ('asa964-45-smp-k8.bin',))
    """
    values: dict[bool, tuple[str, ...]] = {}
    for match in _BOOT_LINE.finditer(text):
        paths = [p for p in match.group(2).split(";") if p.strip()]
        values[bool(match.group(1))] = tuple(re.split(r"[/:)]", p.strip())[-1] for p in paths)
    return values.get(False), values.get(True)
