"""Load and validate inventories, and select hosts with `--limit`.

An inventory is YAML with `defaults`, `groups` and `hosts`. Each setting of a host comes from the
host itself, else from its groups (a later group in its `groups` list wins over an earlier one),
else from `defaults`; `inventories/example.yaml` documents every key. A wrong inventory must stop a
run before any device is touched, with one line naming the file, the host and the problem, so
every pydantic and YAML error is translated into an `InventoryError` here and never escapes.
"""

from __future__ import annotations

import difflib
import fnmatch
import ipaddress
import logging
import os
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from pixfix.credentials import CREDENTIALS, CredentialSources, Secret, choose_source, resolve
from pixfix.errors import InputError, InventoryError
from pixfix.model import Platform

logger = logging.getLogger(__name__)

_QUIET = frozenset({"password", "secret", "password_env", "secret_env"})  # never echo their input


class Transport(Enum):
    """How pixfix reaches the CLI: PIX 5.2-6.3 speak only SSHv1, which paramiko lacks."""

    SSH = "ssh"
    TELNET = "telnet"


DEFAULT_PORTS = {Transport.SSH: 22, Transport.TELNET: 23}


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """A TCP endpoint such as the mail server behind a firewall (IPv6 kept without brackets)."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeWindow:
    """When apply may touch a host: a cron start, how long it stays open, and in which zone."""

    cron: str
    duration: timedelta
    timezone: str


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


# ---- field checks: each failure is a PydanticCustomError whose text is the whole problem -------


def _problem(text: str) -> PydanticCustomError:
    return PydanticCustomError("pixfix", text)  # no context: braces in `text` stay literal


def _check(ok: Callable[[Any], object], message: str) -> AfterValidator:
    """A validator that lets a value through when `ok(value)`; `{got}` in the message shows it."""

    def validate(value: Any) -> Any:
        if not ok(value):
            raise _problem(message.replace("{got}", repr(value)))
        return value

    return AfterValidator(validate)


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # names become file names (`name@context`)
_CRON_ITEM = r"(\*|\d+(-\d+)?|[a-z]{3}(-[a-z]{3})?)(/\d+)?"
_CRON_FIELD = re.compile(rf"{_CRON_ITEM}(,{_CRON_ITEM})*", re.IGNORECASE)


def _is_cron(line: str) -> bool:
    """Only the shape of a five-field cron line: `windows.py` does the scheduling."""
    fields = line.split()
    return len(fields) == 5 and all(_CRON_FIELD.fullmatch(f) for f in fields)


Text = Annotated[str, _check(str.strip, "must not be empty")]
Name = Annotated[str, _check(_NAME.fullmatch, "may hold letters, digits, . _ - (got {got})")]
Address = Annotated[str, _check(re.compile(r"\S+").fullmatch, "must be an address (got {got})")]
Port = Annotated[int, _check(lambda n: 1 <= n <= 65535, "must be 1-65535 (got {got})")]
EnvName = Annotated[
    str, _check(re.compile(r"[A-Za-z_]\w*").fullmatch, "must name an environment variable")
]
Tag = Annotated[
    str, _check(re.compile(r"[^,]*[^,\s][^,]*").fullmatch, "must be text without ',' (got {got})")
]
Cron = Annotated[str, _check(_is_cron, "must be cron: minute hour day month weekday (got {got})")]
Zone = Annotated[str, _check(_is_zone, "unknown time zone {got} (use a name like Europe/Berlin)")]


def parse_endpoint(value: object) -> Endpoint:
    """Parse `host:port`, or `[v6-address]:port`: a bare IPv6 address has no unambiguous port.

    >>> str(parse_endpoint("[2001:db8::25]:25"))
    '[2001:db8::25]:25'
    """
    text = value if isinstance(value, str) else ""
    host, _, port = text.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    host = host[1:-1] if bracketed else host
    if not (host and port.isdigit() and 1 <= int(port) <= 65535) or re.search(r"[\s\[\]]", host):
        raise _problem(f"must be host:port, port 1-65535, IPv6 as [addr]:port (got {value!r})")
    if ":" in host and not bracketed:
        raise _problem(f"an IPv6 address must be in brackets: [addr]:port (got {value!r})")
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _problem(f"{host!r} is not an IPv6 address") from None
    return Endpoint(host=host, port=int(port))


def _duration(value: object) -> timedelta:
    """`duration: 4h` style lengths; a bare number is refused because its unit would be a guess."""
    text = value if isinstance(value, str) else ""
    match = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?", text.strip())
    days, hours, minutes = (int(g or 0) for g in match.groups()) if match else (0, 0, 0)
    length = timedelta(days=days, hours=hours, minutes=minutes)
    if not length:
        raise _problem(f"must be a length such as 90m, 4h or 1h30m (got {value!r})")
    return length


def format_duration(value: timedelta) -> str:
    """The inverse of the `duration` syntax, for listings: `timedelta(hours=4)` -> `4h`."""
    minutes = int(value.total_seconds()) // 60
    units = ((minutes // 1440, "d"), (minutes // 60 % 24, "h"), (minutes % 60, "m"))
    return "".join(f"{n}{unit}" for n, unit in units if n) or "0m"


# ---- the file's schema --------------------------------------------------------------------------


class _Strict(BaseModel):
    """Strict: lax pydantic would quietly turn `port: "22"` or `yes` into numbers and booleans."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Window(_Strict):
    cron: Cron
    duration: Annotated[timedelta, BeforeValidator(_duration)]
    timezone: Zone

    def record(self) -> ChangeWindow:
        return ChangeWindow(cron=self.cron, duration=self.duration, timezone=self.timezone)


class _Settings(_Strict):
    """What `defaults`, a group or a host may set; None means "not set here"."""

    host: Address | None = None
    port: Port | None = None
    transport: Literal["ssh", "telnet"] | None = None
    platform: Literal["pix", "asa", "fwsm"] | None = None
    username: str | None = None
    password: str | None = None
    secret: str | None = None
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    secret_env: EnvName | None = None
    mx: Annotated[Endpoint, PlainValidator(parse_endpoint)] | None = None
    contexts: Annotated[list[Name], _check(len, "must not be empty (leave it out)")] | None = None
    change_window: _Window | None = None
    known_hosts: Text | None = None
    managed_by: Text | None = None
    tags: list[Tag] | None = None

    @model_validator(mode="after")
    def _one_source_each(self) -> Self:
        for name in CREDENTIALS:
            if None not in self.credential(name):
                raise _problem(f"give {name} or {name}_env, not both")
        return self

    def credential(self, name: str) -> tuple[str | None, str | None]:
        """The inline value and the environment variable name given for one credential."""
        return getattr(self, name), getattr(self, f"{name}_env")


class _HostSettings(_Settings):
    groups: list[Name] = Field(default_factory=list)


class _File(_Strict):
    known_hosts: Text | None = None
    defaults: _Settings = Field(default_factory=_Settings)
    groups: dict[Name, _Settings] = Field(default_factory=dict)
    hosts: Annotated[dict[Name, _HostSettings], _check(len, "must name at least one host")]


# ---- translating errors into one line -----------------------------------------------------------

_SCOPES = {"hosts": ("host", _HostSettings), "groups": ("group", _Settings)}
_PHRASES = {
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "string_type": "must be text (quote it)",
    "int_type": "must be a whole number",
}


def _shown(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _error_text(err: ErrorDetails) -> str:
    """`host 'fw1': port: must be 1-65535 (got 70000)`, never echoing a password."""
    loc, scope = list(err["loc"]), ""
    model: type[BaseModel] = _File
    if loc[:1] == ["defaults"]:
        scope, model, loc = "defaults", _Settings, loc[1:]
    elif len(loc) >= 2 and str(loc[0]) in _SCOPES and loc[2:3] != ["[key]"]:
        label, model = _SCOPES[str(loc[0])]
        scope, loc = f"{label} {loc[1]!r}", loc[2:]
    kind, naming = err["type"], loc[-1:] == ["[key]"]
    loc = loc[:-2] if naming else loc
    if kind in ("extra_forbidden", "missing"):
        key, loc = str(loc[-1]), loc[:-1]
        known = list((_Window if loc[-1:] == ["change_window"] else model).model_fields)
        problem = _key_problem(kind, key, known)
    elif kind == "pixfix":
        problem = err["msg"]
    else:
        problem = _PHRASES.get(kind) or err["msg"].replace("Input should be", "must be")
        if not _QUIET.intersection(str(part) for part in loc):
            problem += f" (got {_shown(err['input'])})"
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    problem = f"name {problem}" if naming else problem
    return ": ".join(part for part in (scope, field, problem) if part)


def _key_problem(kind: str, key: str, known: list[str]) -> str:
    if kind == "missing":
        return f"missing {key!r}"
    close = difflib.get_close_matches(key, known, n=1)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


# ---- loading ------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a host listed twice must be an error instead."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # SafeLoader reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read(path: Path) -> dict[object, object]:
    """The YAML document as a mapping. YAML errors are re-raised `from None` because their text
    quotes the offending line, which may hold a password."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise InventoryError(f"{path}: is not UTF-8 text") from None
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InventoryError(f"{path}: {where}YAML error: {exc.problem or exc.context}") from None
    except yaml.YAMLError:
        raise InventoryError(f"{path}: is not valid YAML") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: must be a mapping with defaults, groups and hosts")
    return data


def _validate(path: Path, data: dict[object, object]) -> _File:
    """Pydantic errors quote their input (passwords too), hence our own line and `from None`."""
    try:
        return _File.model_validate(data)
    except ValidationError as exc:
        problems = [_error_text(err) for err in exc.errors()]
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise InventoryError(f"{path}: " + "; ".join(problems[:3]) + more) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    path: Path
    defaults: _Settings
    groups: Mapping[str, _Settings]
    environ: Mapping[str, str]


def load_inventory(path: Path, *, environ: Mapping[str, str] | None = None) -> Inventory:
    """Read, validate and resolve every host; `environ` defaults to the process environment."""
    doc = _validate(path, _read(path))
    ctx = _Context(
        path=path,
        defaults=_defaults(path, doc),
        groups=doc.groups,
        environ=os.environ if environ is None else environ,
    )
    hosts = tuple(_resolve_host(ctx, name, raw) for name, raw in doc.hosts.items())
    warnings = _inline_warnings(path, doc)
    for warning in warnings:
        logger.debug("%s", warning)
    logger.debug("%s: %d hosts", path, len(hosts))
    return Inventory(path=path, hosts=hosts, warnings=warnings)


def _defaults(path: Path, doc: _File) -> _Settings:
    """A top-level `known_hosts` means the same as one in `defaults`."""
    if doc.known_hosts is None:
        return doc.defaults
    if doc.defaults.known_hosts is not None:
        raise InventoryError(f"{path}: known_hosts is set at top level and in defaults; keep one")
    return doc.defaults.model_copy(update={"known_hosts": doc.known_hosts})


def _merge(layers: Sequence[_Settings]) -> _Settings:
    """Later layers win key by key; a credential and its `_env` twin count as one key."""
    merged: dict[str, Any] = {}
    for layer in layers:
        values = {k: v for k in _Settings.model_fields if (v := getattr(layer, k)) is not None}
        for name in CREDENTIALS:
            if name in values or f"{name}_env" in values:
                merged.pop(name, None)
                merged.pop(f"{name}_env", None)
        merged.update(values)
    return _Settings.model_construct(**merged)


def _group_layers(ctx: _Context, where: str, raw: _HostSettings) -> list[_Settings]:
    for group in raw.groups:
        if group not in ctx.groups:
            known = ", ".join(ctx.groups) or "none are defined"
            raise InventoryError(f"{where}: unknown group {group!r} (groups: {known})")
    return [ctx.groups[group] for group in raw.groups]


def _resolve_host(ctx: _Context, name: str, raw: _HostSettings) -> Host:
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
    ctx: _Context, merged: _Settings, where: str
) -> tuple[CredentialSources, dict[str, Secret]]:
    chosen = {
        cred: choose_source(cred, *merged.credential(cred), ctx.environ, where=where)
        for cred in CREDENTIALS
    }
    values = {
        cred: resolve(src, ctx.environ, where=f"{where}: {cred}") for cred, src in chosen.items()
    }
    if not values["username"]:
        raise InventoryError(f"{where}: username: is empty")
    return CredentialSources(**chosen), values


def _local_path(inventory: Path, text: str) -> Path:
    """Relative paths in an inventory mean relative to its folder, not to the working directory."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else inventory.parent / path


def _inline_warnings(path: Path, doc: _File) -> tuple[str, ...]:
    scopes: list[tuple[str, _Settings]] = [("defaults", doc.defaults)]
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
