"""What an inventory file may say, and how each of its mistakes becomes one line.

The pydantic models here mirror the YAML exactly (`defaults`, `groups`, `hosts`); resolving a host
from them (precedence, credentials) is `pixfix.inventory.load`'s job. Every YAML and pydantic error
is translated into an `InventoryError` here and never escapes: their own text quotes the offending
input, which may be a password, and a wrong inventory must stop a run with one line naming the
file, the host and the problem.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self
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

from pixfix.errors import InventoryError
from pixfix.inventory.credentials import CREDENTIALS

_QUIET = frozenset({"password", "secret", "password_env", "secret_env"})  # never echo their input


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


# ---- field checks: each failure is a PydanticCustomError whose text is the whole problem ---------


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


# ---- the file's schema ---------------------------------------------------------------------------


class _Strict(BaseModel):
    """Strict: lax pydantic would quietly turn `port: "22"` or `yes` into numbers and booleans."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Window(_Strict):
    cron: Cron
    duration: Annotated[timedelta, BeforeValidator(_duration)]
    timezone: Zone

    def record(self) -> ChangeWindow:
        return ChangeWindow(cron=self.cron, duration=self.duration, timezone=self.timezone)


class Settings(_Strict):
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
    keyring: Text | None = None  # a service name: its username/password/secret entries
    mx: Annotated[Endpoint, PlainValidator(parse_endpoint)] | None = None
    contexts: Annotated[list[Name], _check(len, "must not be empty (leave it out)")] | None = None
    change_window: _Window | None = None
    known_hosts: Text | None = None
    ssh_config: Text | None = None  # an OpenSSH config file: ProxyCommand / ProxyJump hosts
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


class HostSettings(Settings):
    """A host may also list its groups; a group or `defaults` may not (no nesting to untangle)."""

    groups: list[Name] = Field(default_factory=list)


class InventoryFile(_Strict):
    """The whole file as written, before precedence and credential lookup."""

    known_hosts: Text | None = None
    defaults: Settings = Field(default_factory=Settings)
    groups: dict[Name, Settings] = Field(default_factory=dict)
    hosts: Annotated[dict[Name, HostSettings], _check(len, "must name at least one host")]


# ---- translating errors into one line ------------------------------------------------------------

_SCOPES = {"hosts": ("host", HostSettings), "groups": ("group", Settings)}
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
    model: type[BaseModel] = InventoryFile
    if loc[:1] == ["defaults"]:
        scope, model, loc = "defaults", Settings, loc[1:]
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


# ---- reading the file ----------------------------------------------------------------------------


if TYPE_CHECKING:
    SafeLoader = yaml.SafeLoader
else:  # libyaml's parser where PyYAML has it: the same documents, about ten times less CPU
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(SafeLoader):
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


def read_text(path: Path) -> str:
    """An inventory file's text, or one `InventoryError` line."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise InventoryError(f"{path}: is not UTF-8 text") from None


def read_yaml_with(path: Path, loader: type[SafeLoader]) -> object:
    """The file's one YAML document, or one `InventoryError` line. YAML errors are re-raised
    `from None` because their text quotes the offending line, which may hold a password."""
    reader = loader(read_text(path))
    try:
        return reader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InventoryError(f"{path}: {where}YAML error: {exc.problem or exc.context}") from None
    except yaml.YAMLError:
        raise InventoryError(f"{path}: is not valid YAML") from None
    finally:
        reader.dispose()


def _read(path: Path) -> dict[object, object]:
    """The YAML document as a mapping."""
    data = read_yaml_with(path, _UniqueKeyLoader)
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: must be a mapping with defaults, groups and hosts")
    return data


def _validate(path: Path, data: dict[object, object]) -> InventoryFile:
    """Pydantic errors quote their input (passwords too), hence our own line and `from None`."""
    try:
        return InventoryFile.model_validate(data)
    except ValidationError as exc:
        problems = [_error_text(err) for err in exc.errors()]
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise InventoryError(f"{path}: " + "; ".join(problems[:3]) + more) from None


def read_inventory_file(path: Path) -> InventoryFile:
    """The file parsed and checked against the schema, or one `InventoryError` line."""
    return _validate(path, _read(path))
