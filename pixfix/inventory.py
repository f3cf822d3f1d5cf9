"""Load inventories into resolved hosts, and select hosts with `--limit`.

An inventory is YAML with `defaults`, `groups` and `hosts`. Each setting of a host comes from the
host itself, else from its groups (a later group in its `groups` list wins over an earlier one),
else from `defaults`; `inventories/example.yaml` documents every key. What the file may say, and
the translation of its mistakes into one-line `InventoryError`s, lives in
`pixfix.inventory_schema`; this module turns a valid file into `Host` records.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Any

from pixfix.credentials import CREDENTIALS, CredentialSources, Secret, choose_source, resolve
from pixfix.errors import InputError, InventoryError
from pixfix.inventory_schema import (
    ChangeWindow,
    Endpoint,
    HostSettings,
    InventoryFile,
    Settings,
    format_duration,
    parse_endpoint,
    read_inventory_file,
)
from pixfix.model import Platform

__all__ = [
    "DEFAULT_PORTS",
    "ChangeWindow",
    "Endpoint",
    "Host",
    "Inventory",
    "LimitKind",
    "LimitTerm",
    "Transport",
    "describe_hosts",
    "format_duration",
    "load_inventory",
    "parse_endpoint",
    "parse_limit",
    "select_hosts",
]

logger = logging.getLogger(__name__)


class Transport(Enum):
    """How pixfix reaches the CLI: PIX 5.2-6.3 speak only SSHv1, which paramiko lacks."""

    SSH = "ssh"
    TELNET = "telnet"


DEFAULT_PORTS = {Transport.SSH: 22, Transport.TELNET: 23}


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    """One device after precedence, defaults and credential lookup; secrets stay masked."""

    name: str
    host: str
    port: int
    transport: Transport
    platform: Platform | None
    groups: tuple[str, ...]
    username: str
    password: Secret
    secret: Secret
    mx: Endpoint | None
    contexts: tuple[str, ...] | None
    change_window: ChangeWindow | None
    known_hosts: Path | None
    managed_by: str | None
    tags: tuple[str, ...]
    source: CredentialSources


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """A loaded inventory; `warnings` (inline secrets) are for the CLI to show, not to stop on."""

    path: Path
    hosts: tuple[Host, ...]
    warnings: tuple[str, ...]


# ---- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    path: Path
    defaults: Settings
    groups: Mapping[str, Settings]
    environ: Mapping[str, str]
    require_credentials: bool


def load_inventory(
    path: Path, *, environ: Mapping[str, str] | None = None, require_credentials: bool = True
) -> Inventory:
    """Read, validate and resolve every host; `environ` defaults to the process environment.

    `require_credentials=False` is for commands that never log in (the SMTP probe only needs
    `mx`): a host may then lack a username or password, and a credential's environment variable
    may be unset; both resolve to an empty `Secret`. Every other check still applies: only the
    credential values may be absent, never a mistake in the file itself.
    """
    doc = read_inventory_file(path)
    ctx = _Context(
        path=path,
        defaults=_defaults(path, doc),
        groups=doc.groups,
        environ=os.environ if environ is None else environ,
        require_credentials=require_credentials,
    )
    hosts = tuple(_resolve_host(ctx, name, raw) for name, raw in doc.hosts.items())
    warnings = _inline_warnings(path, doc)
    for warning in warnings:
        logger.debug("%s", warning)
    logger.debug("%s: %d hosts", path, len(hosts))
    return Inventory(path=path, hosts=hosts, warnings=warnings)


def _defaults(path: Path, doc: InventoryFile) -> Settings:
    """A top-level `known_hosts` means the same as one in `defaults`."""
    if doc.known_hosts is None:
        return doc.defaults
    if doc.defaults.known_hosts is not None:
        raise InventoryError(f"{path}: known_hosts is set at top level and in defaults; keep one")
    return doc.defaults.model_copy(update={"known_hosts": doc.known_hosts})


def _merge(layers: Sequence[Settings]) -> Settings:
    """Later layers win key by key; a credential and its `_env` twin count as one key."""
    merged: dict[str, Any] = {}
    for layer in layers:
        values = {k: v for k in Settings.model_fields if (v := getattr(layer, k)) is not None}
        for name in CREDENTIALS:
            if name in values or f"{name}_env" in values:
                merged.pop(name, None)
                merged.pop(f"{name}_env", None)
        merged.update(values)
    return Settings.model_construct(**merged)


def _group_layers(ctx: _Context, where: str, raw: HostSettings) -> list[Settings]:
    for group in raw.groups:
        if group not in ctx.groups:
            known = ", ".join(ctx.groups) or "none are defined"
            raise InventoryError(f"{where}: unknown group {group!r} (groups: {known})")
    return [ctx.groups[group] for group in raw.groups]


def _resolve_host(ctx: _Context, name: str, raw: HostSettings) -> Host:
    where = f"{ctx.path}: host {name!r}"
    merged = _merge([ctx.defaults, *_group_layers(ctx, where, raw), raw])
    if merged.host is None:
        raise InventoryError(f"{where}: missing host (the address to connect to)")
    transport = Transport(merged.transport or Transport.SSH.value)
    sources, secrets = _credentials(ctx, merged, where)
    window = merged.change_window
    return Host(
        name=name,
        host=merged.host,
        port=merged.port or DEFAULT_PORTS[transport],
        transport=transport,
        platform=Platform(merged.platform) if merged.platform else None,
        groups=tuple(raw.groups),
        username=secrets["username"].reveal(),
        password=secrets["password"],
        secret=secrets["secret"],
        mx=merged.mx,
        contexts=tuple(merged.contexts) if merged.contexts else None,
        change_window=window.record() if window else None,
        known_hosts=_local_path(ctx.path, merged.known_hosts) if merged.known_hosts else None,
        managed_by=merged.managed_by,
        tags=tuple(merged.tags or ()),
        source=sources,
    )


def _credentials(
    ctx: _Context, merged: Settings, where: str
) -> tuple[CredentialSources, dict[str, Secret]]:
    """Each credential's source and value; without `require_credentials` a gap stays empty."""
    required = ctx.require_credentials
    chosen = {
        cred: choose_source(
            cred, *merged.credential(cred), ctx.environ, where=where, required=required
        )
        for cred in CREDENTIALS
    }
    values = {
        cred: resolve(src, ctx.environ, where=f"{where}: {cred}", required=required)
        for cred, src in chosen.items()
    }
    if required and not values["username"]:
        raise InventoryError(f"{where}: username: is empty")
    return CredentialSources(**chosen), values


def _local_path(inventory: Path, text: str) -> Path:
    """Relative paths in an inventory mean relative to its folder, not to the working directory."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else inventory.parent / path


def _inline_warnings(path: Path, doc: InventoryFile) -> tuple[str, ...]:
    scopes: list[tuple[str, Settings]] = [("defaults", doc.defaults)]
    scopes += [(f"group {name!r}", group) for name, group in doc.groups.items()]
    scopes += [(f"host {name!r}", host) for name, host in doc.hosts.items()]
    return tuple(
        f"{path}: {scope} has an inline {cred}; prefer {cred}_env"
        for scope, settings in scopes
        for cred in ("password", "secret")
        if settings.credential(cred)[0]
    )


# ---- selecting hosts ----------------------------------------------------------------------------


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
