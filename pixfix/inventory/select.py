"""Choose hosts with `--limit`, and show an inventory without its secrets.

`--limit` terms: a name glob (`fw*`), `group=NAME` or `tag=NAME` (globs too); commas inside one
value mean AND, repeating `--limit` means OR.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path

from pixfix.errors import InputError
from pixfix.inventory.credentials import CREDENTIALS, Backends
from pixfix.inventory.load import Host, Inventory, SkippedHost, load_inventory
from pixfix.inventory.schema import ChangeWindow, Endpoint, format_duration
from pixfix.secret import Secret


class LimitKind(Enum):
    """What a `--limit` term matches: `fw*` names, `group=dmz` groups, `tag=prod` tags."""

    NAME = "name"
    GROUP = "group"
    TAG = "tag"


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitTerm:
    """One comma-separated term of `--limit`: a glob over names, group names or tags."""

    kind: LimitKind
    pattern: str

    def matches(self, host: Host) -> bool:
        if self.kind is LimitKind.NAME:
            return fnmatch.fnmatchcase(host.name, self.pattern)
        values = host.groups if self.kind is LimitKind.GROUP else host.tags
        return any(fnmatch.fnmatchcase(value, self.pattern) for value in values)


def parse_limit(text: str) -> tuple[LimitTerm, ...]:
    """`fw*,group=dmz,tag=prod` -> three terms that must all match (commas mean AND).

    >>> [t.kind.value for t in parse_limit("fw*,tag=prod")]
    ['name', 'tag']
    """
    usage = "use a name glob, group=NAME or tag=NAME"
    terms = []
    for item in (part.strip() for part in text.split(",")):
        key, eq, value = item.partition("=")
        if not item or (eq and not value.strip()):
            raise InputError(f"--limit {text!r}: empty term; {usage}")
        try:
            kind = LimitKind(key.strip()) if eq else LimitKind.NAME
        except ValueError:
            raise InputError(f"--limit {text!r}: unknown selector {key!r}; {usage}") from None
        terms.append(LimitTerm(kind=kind, pattern=value.strip() if eq else item))
    return tuple(terms)


def select_hosts(hosts: Sequence[Host], limits: Sequence[str]) -> tuple[Host, ...]:
    """Hosts matching any limit (repeating `--limit` means OR), in inventory order.

    No limits select every host; limits matching nothing give an empty tuple for the CLI to judge.
    """
    if isinstance(limits, str):
        raise TypeError("limits must be a sequence of strings, not one string")
    if not limits:
        return tuple(hosts)
    parsed = [parse_limit(limit) for limit in limits]
    return tuple(h for h in hosts if any(all(t.matches(h) for t in terms) for terms in parsed))


# ---- an inventory, read and narrowed ------------------------------------------------------------

_LISTED_SKIPS = 5  # skipped hosts named in the note; the rest are counted


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The hosts a run works on, and what the inventory said on the way (for the CLI to show)."""

    inventory: Inventory
    hosts: tuple[Host, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.inventory.warnings

    @property
    def skipped(self) -> str | None:
        """The note on hosts skipped as other platforms, or None."""
        return skipped_note(self.inventory.skipped) if self.inventory.skipped else None


def choose_hosts(
    path: Path, limits: Sequence[str], *, backends: Backends | None = None
) -> Selection:
    """Load the inventory and select its hosts; a `--limit` that selects none is an input error."""
    inventory = load_inventory(path, backends=backends)
    hosts = select_hosts(inventory.hosts, list(limits))
    if not hosts:
        raise InputError(f"{path}: --limit selects no host")
    return Selection(inventory=inventory, hosts=hosts)


def skipped_note(skipped: Sequence[SkippedHost]) -> str:
    """`2 hosts skipped as not PIX/ASA/FWSM: sw1 (cisco.ios.ios), sw2 (cisco.ios.ios)`."""
    named = [f"{host.name} ({host.platform})" for host in skipped[:_LISTED_SKIPS]]
    more = f" and {len(skipped) - _LISTED_SKIPS} more" if len(skipped) > _LISTED_SKIPS else ""
    noun = "host" if len(skipped) == 1 else "hosts"
    return f"{len(skipped)} {noun} skipped as not PIX/ASA/FWSM: {', '.join(named)}{more}"


# ---- the secret-free view -----------------------------------------------------------------------


def describe_hosts(inventory: Inventory) -> list[dict[str, object]]:
    """What `inventory check` lists: every resolved setting and credential *source*, no secret."""
    return [_describe(host) for host in inventory.hosts]


def _describe(host: Host) -> dict[str, object]:
    view = {f.name: _plain(getattr(host, f.name)) for f in fields(host)}
    for cred in ("password", "secret", "source"):
        del view[cred]
    view["credentials"] = {cred: str(getattr(host.source, cred)) for cred in CREDENTIALS}
    return view


def _plain(value: object) -> object:
    """JSON-ready values; a `Secret` could only ever show as its mask."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, ChangeWindow):
        return {
            "cron": value.cron,
            "duration": format_duration(value.duration),
            "timezone": value.timezone,
        }
    if isinstance(value, Endpoint | Path | Secret):
        return str(value)
    return value
