"""Load inventories into resolved hosts (`pixfix.inventory.select` applies `--limit`).

A pixfix inventory is YAML with `defaults`, `groups` and `hosts`. Each setting of a host comes
from the host itself, else from its groups (a later group in its `groups` list wins over an
earlier one), else from `defaults`; `inventories/example.yaml` documents every key. What the file
may say, and the translation of its mistakes into one-line `InventoryError`s, lives in
`pixfix.inventory.schema`; this module turns a valid file into `Host` records.

`load_inventory` also reads, detected from the file itself, an Ansible inventory
(`pixfix.inventory.ansible`) or a Nornir SimpleInventory (`pixfix.inventory.nornir`). Their
readers hand back each host's settings as layers in pixfix's keys, already in their tool's order
of precedence, so from there every host is resolved the same way whatever file it came from.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixfix.errors import InventoryError
from pixfix.inventory.ansible import read_ansible
from pixfix.inventory.credentials import (
    CREDENTIALS,
    Backends,
    CredentialReader,
    CredentialSources,
    SourceKind,
    choose_source,
    default_backends,
)
from pixfix.inventory.formats import (
    ForeignHost,
    InventoryFormat,
    SkippedHost,
    detect_format,
)
from pixfix.inventory.nornir import read_nornir
from pixfix.inventory.schema import (
    ChangeWindow,
    Endpoint,
    HostSettings,
    InventoryFile,
    Settings,
    format_duration,
    parse_endpoint,
    read_inventory_file,
)
from pixfix.model import Platform, Transport
from pixfix.secret import Secret

__all__ = [
    "DEFAULT_PORTS",
    "ChangeWindow",
    "Endpoint",
    "Host",
    "Inventory",
    "InventoryFormat",
    "SkippedHost",
    "Transport",
    "format_duration",
    "load_inventory",
    "parse_endpoint",
]

logger = logging.getLogger(__name__)


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
    ssh_config: Path | None
    managed_by: str | None
    tags: tuple[str, ...]
    source: CredentialSources


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """A loaded inventory; `warnings` (inline secrets) are for the CLI to show, not to stop on.

    `skipped` lists the hosts of an Ansible or Nornir inventory left out because their platform
    is clearly not a PIX, ASA or FWSM (a pixfix inventory skips nothing).
    """

    path: Path
    hosts: tuple[Host, ...]
    warnings: tuple[str, ...]
    kind: InventoryFormat = InventoryFormat.PIXFIX
    skipped: tuple[SkippedHost, ...] = ()


# ---- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    path: Path
    folder: Path  # relative paths inside the inventory resolve against this
    environ: Mapping[str, str]
    require_credentials: bool
    backends: Backends
    reader: CredentialReader  # one per load: each keyring entry and question once


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    """A host's settings after precedence, before defaults and credential lookup."""

    name: str
    groups: tuple[str, ...]
    merged: Settings


def load_inventory(
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    require_credentials: bool = True,
    backends: Backends | None = None,
) -> Inventory:
    """Read, validate and resolve every host; `environ` defaults to the process environment.

    `backends` says where else credentials may come from: by default the system keyring (when
    the optional `keyring` package is installed) and a question on the terminal (only when
    stdin is one; never for `require_credentials=False`).

    The format (pixfix, Ansible INI or YAML, Nornir folder or hosts.yaml) is detected from the
    file. `require_credentials=False` is for commands that never log in (the SMTP probe only needs
    `mx`): a host may then lack a username or password, and a credential's environment variable
    may be unset; both resolve to an empty `Secret`. Every other check still applies: only the
    credential values may be absent, never a mistake in the file itself.
    """
    kind = detect_format(path)
    read = _native(path) if kind is InventoryFormat.PIXFIX else _foreign(path, kind)
    environ = os.environ if environ is None else environ
    backends = default_backends() if backends is None else backends
    ctx = _Context(
        path=path,
        folder=read.folder,
        environ=environ,
        require_credentials=require_credentials,
        backends=backends,
        reader=CredentialReader(environ, backends, required=require_credentials),
    )
    hosts = tuple(_resolve_host(ctx, entry) for entry in read.entries)
    for warning in read.warnings:
        logger.debug("%s", warning)
    logger.debug("%s (%s): %d hosts, %d skipped", path, kind.value, len(hosts), len(read.skipped))
    return Inventory(
        path=path, hosts=hosts, warnings=read.warnings, kind=kind, skipped=read.skipped
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Read:
    """What a reader understood, whichever format it came in."""

    entries: tuple[_Entry, ...]
    warnings: tuple[str, ...]
    skipped: tuple[SkippedHost, ...] = ()
    folder: Path


def _foreign(path: Path, kind: InventoryFormat) -> _Read:
    read = read_nornir(path) if kind is InventoryFormat.NORNIR else read_ansible(path, kind)
    return _Read(
        entries=tuple(_foreign_entry(host) for host in read.hosts),
        warnings=read.warnings,
        skipped=read.skipped,
        folder=read.folder,
    )


def _foreign_entry(host: ForeignHost) -> _Entry:
    merged = _merge([layer.settings for layer in host.layers])
    return _Entry(name=host.name, groups=host.groups, merged=merged)


def _native(path: Path) -> _Read:
    """A pixfix inventory's hosts after precedence, and its inline-secret warnings."""
    doc = read_inventory_file(path)
    defaults = _defaults(path, doc)
    entries = tuple(
        _Entry(
            name=name,
            groups=tuple(raw.groups),
            merged=_merge([defaults, *_group_layers(doc, f"{path}: host {name!r}", raw), raw]),
        )
        for name, raw in doc.hosts.items()
    )
    return _Read(entries=entries, warnings=_inline_warnings(path, doc), folder=path.parent)


def _defaults(path: Path, doc: InventoryFile) -> Settings:
    """A top-level `known_hosts` means the same as one in `defaults`."""
    if doc.known_hosts is None:
        return doc.defaults
    if doc.defaults.known_hosts is not None:
        raise InventoryError(f"{path}: known_hosts is set at top level and in defaults; keep one")
    return doc.defaults.model_copy(update={"known_hosts": doc.known_hosts})


def _merge(layers: Sequence[Settings]) -> Settings:
    """Later layers win key by key; a credential and its `_env` twin count as one key.

    A `keyring` service is a source for all three credentials: a layer that names one overrides
    the credentials of lower layers, except those the same layer sets itself.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        values = {k: v for k in Settings.model_fields if (v := getattr(layer, k)) is not None}
        for name in CREDENTIALS:
            if name in values or f"{name}_env" in values or "keyring" in values:
                merged.pop(name, None)
                merged.pop(f"{name}_env", None)
        merged.update(values)
    return Settings.model_construct(**merged)


def _group_layers(doc: InventoryFile, where: str, raw: HostSettings) -> list[Settings]:
    for group in raw.groups:
        if group not in doc.groups:
            known = ", ".join(doc.groups) or "none are defined"
            raise InventoryError(f"{where}: unknown group {group!r} (groups: {known})")
    return [doc.groups[group] for group in raw.groups]


def _resolve_host(ctx: _Context, entry: _Entry) -> Host:
    where = f"{ctx.path}: host {entry.name!r}"
    merged = entry.merged
    if merged.host is None:
        raise InventoryError(f"{where}: missing host (the address to connect to)")
    transport = Transport(merged.transport or Transport.SSH.value)
    sources, secrets = _credentials(ctx, merged, where)
    window = merged.change_window
    return Host(
        name=entry.name,
        host=merged.host,
        port=merged.port or DEFAULT_PORTS[transport],
        transport=transport,
        platform=Platform(merged.platform) if merged.platform else None,
        groups=entry.groups,
        username=secrets["username"].reveal(),
        password=secrets["password"],
        secret=secrets["secret"],
        mx=merged.mx,
        contexts=tuple(merged.contexts) if merged.contexts else None,
        change_window=window.record() if window else None,
        known_hosts=_local_path(ctx.folder, merged.known_hosts) if merged.known_hosts else None,
        ssh_config=_local_path(ctx.folder, merged.ssh_config) if merged.ssh_config else None,
        managed_by=merged.managed_by,
        tags=tuple(merged.tags or ()),
        source=sources,
    )


def _credentials(
    ctx: _Context, merged: Settings, where: str
) -> tuple[CredentialSources, dict[str, Secret]]:
    """Each credential's source and value; without `require_credentials` a gap stays empty.

    The username is read first: the password and secret questions are asked per username.
    """
    required = ctx.require_credentials
    chosen = {
        cred: choose_source(
            cred,
            *merged.credential(cred),
            ctx.environ,
            where=where,
            required=required,
            keyring=merged.keyring,
            backends=ctx.backends,
        )
        for cred in CREDENTIALS
    }
    values: dict[str, Secret] = {}
    for cred, src in chosen.items():
        user = values["username"].reveal() if "username" in values else ""
        values[cred] = ctx.reader.read(src, where=f"{where}: {cred}", name=cred, username=user)
    asked = chosen["username"].kind is SourceKind.PROMPT  # a listing asks nothing: empty is fine
    if required and not values["username"] and not asked:
        raise InventoryError(f"{where}: username: is empty")
    return CredentialSources(**chosen), values


def _local_path(folder: Path, text: str) -> Path:
    """Relative paths in an inventory mean relative to its folder, not to the working directory."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else folder / path


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
