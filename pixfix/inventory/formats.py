"""Inventories engineers already keep (Ansible, Nornir): detection, and what both readers share.

Teams rarely keep a firewall list just for pixfix: they have an Ansible inventory or a Nornir
SimpleInventory already, and a second list would drift from it. `-i` therefore accepts those
too. Each reader turns its file into `ForeignHost`s whose settings are *layers* in pixfix's own
keys, lowest precedence first, following that tool's own precedence rules; `pixfix.inventory.load`
merges them as it merges a pixfix inventory's defaults, groups and host. Every layer is checked
by the same schema (`Settings`), so a bad port in an Ansible file fails with the same words as in
a pixfix one, naming the file and the scope it was written in.

Variables named `pixfix_<key>` (`pixfix_mx`, `pixfix_known_hosts`, `pixfix_password_env`, ...)
set any pixfix key from either tool; at the same scope they win over the tool's own variable.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pixfix.errors import InventoryError
from pixfix.inventory.credentials import CREDENTIALS
from pixfix.inventory.schema import SafeLoader, Settings, read_yaml_with

PIXFIX_PREFIX = "pixfix_"
NORNIR_FILES = ("hosts.yaml", "hosts.yml")
OURS = frozenset({"pix", "asa", "fwsm"})
_QUIET = frozenset({"password", "secret", "password_env", "secret_env"})  # never echo input
_LISTS = frozenset({"tags", "contexts"})
_ENV_LOOKUP = re.compile(
    r"\{\{\s*lookup\(\s*(['\"])(?:ansible\.builtin\.)?env\1\s*,\s*(['\"])([A-Za-z_]\w*)\2\s*\)"
    r"\s*\}\}"
)
_ANSIBLE_GROUP_KEYS = frozenset({"hosts", "vars", "children"})
NORNIR_KEYS = frozenset(
    {"hostname", "port", "username", "password", "platform", "groups", "data", "connection_options"}
)


class InventoryFormat(Enum):
    """The kinds of inventory `-i` understands; detected from the file, never from a flag."""

    PIXFIX = "pixfix"
    ANSIBLE_INI = "ansible-ini"
    ANSIBLE_YAML = "ansible-yaml"
    NORNIR = "nornir"

    @property
    def title(self) -> str:
        """How `inventory check` names what it understood."""
        return _TITLES[self]


_TITLES = {
    InventoryFormat.PIXFIX: "pixfix inventory",
    InventoryFormat.ANSIBLE_INI: "Ansible inventory (INI)",
    InventoryFormat.ANSIBLE_YAML: "Ansible inventory (YAML)",
    InventoryFormat.NORNIR: "Nornir SimpleInventory",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """Where a layer was written: the file and, inside it, `group 'dmz'`, `host 'fw1'` ..."""

    file: Path
    label: str

    def __str__(self) -> str:
        return f"{self.file}: {self.label}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Layer:
    """One scope's settings in pixfix keys, checked by the pixfix schema."""

    scope: Scope
    settings: Settings
    names: Mapping[str, str]  # pixfix key -> the variable it was read from, for messages


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignHost:
    """A host of an Ansible or Nornir inventory: its groups, and its layers lowest first."""

    name: str
    groups: tuple[str, ...]
    layers: tuple[Layer, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedHost:
    """A host left out because its platform is clearly not a PIX, ASA or FWSM."""

    name: str
    platform: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignInventory:
    """What a reader understood; `folder` is where relative paths in it resolve."""

    kind: InventoryFormat
    folder: Path
    hosts: tuple[ForeignHost, ...]
    skipped: tuple[SkippedHost, ...]
    warnings: tuple[str, ...]


# ---- reading YAML ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vaulted:
    """An `!vault` value: ansible-vault ciphertext, which pixfix does not decrypt."""


class _Loader(SafeLoader):
    """SafeLoader that also accepts Ansible's `!vault` and `!unsafe` tags."""


def _vault(loader: SafeLoader, node: yaml.Node) -> Vaulted:
    return Vaulted()


def _unsafe(loader: SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    return loader.construct_object(node, deep=True)


_Loader.add_constructor("!vault", _vault)
_Loader.add_constructor("!unsafe", _unsafe)


def read_yaml(path: Path) -> object:
    """The document, or one `InventoryError` line; YAML's own text may quote a password."""
    return read_yaml_with(path, _Loader)


def is_vault_file(path: Path) -> bool:
    """A whole file encrypted with ansible-vault starts with this header."""
    with path.open("rb") as stream:
        return stream.read(14) == b"$ANSIBLE_VAULT"


# ---- detection ---------------------------------------------------------------------------------


def detect_format(path: Path) -> InventoryFormat:
    """Which reader a path needs, from its shape: never from its name alone.

    A folder is a Nornir SimpleInventory. A YAML mapping whose values hold only `hosts`, `vars`
    and `children` is an Ansible inventory; one whose values are Nornir host entries is a Nornir
    `hosts.yaml`. Anything else that is YAML (or meant to be: a `.yaml` file that does not parse)
    is a pixfix inventory, so its mistakes get pixfix's messages. A file that is not YAML at all,
    or ends in `.ini`, is an Ansible INI inventory.
    """
    if path.is_dir():
        return InventoryFormat.NORNIR
    suffix = path.suffix.lower()
    if not path.is_file() or suffix in (".ini", ".cfg"):
        # a missing path: the pixfix reader says it cannot be read
        return InventoryFormat.ANSIBLE_INI if path.is_file() else InventoryFormat.PIXFIX
    fallback = (
        InventoryFormat.PIXFIX
        if suffix in (".yaml", ".yml", ".json")
        else InventoryFormat.ANSIBLE_INI
    )
    try:
        data = read_yaml(path)
    except InventoryError:
        return fallback
    if not isinstance(data, dict) or not data:
        return fallback
    if _looks_ansible(data):
        return InventoryFormat.ANSIBLE_YAML
    return InventoryFormat.NORNIR if _looks_nornir(data) else InventoryFormat.PIXFIX


def _looks_ansible(data: Mapping[object, object]) -> bool:
    """Groups holding only hosts, vars and children; or `all`, which only Ansible has."""
    if "all" in data:
        return True
    bodies = list(data.values())
    groups = all(
        b is None or (isinstance(b, dict) and b.keys() <= _ANSIBLE_GROUP_KEYS) for b in bodies
    )
    return groups and any(isinstance(b, dict) and b for b in bodies)


def _looks_nornir(data: Mapping[object, object]) -> bool:
    bodies = list(data.values())
    entries = all(b is None or (isinstance(b, dict) and b.keys() <= NORNIR_KEYS) for b in bodies)
    return entries and any(isinstance(b, dict) and "hostname" in b for b in bodies)


def nornir_hosts_file(folder: Path) -> Path:
    """`hosts.yaml` (or `.yml`) of a SimpleInventory folder; its absence is the error."""
    for name in NORNIR_FILES:
        if (folder / name).is_file():
            return folder / name
    raise InventoryError(f"{folder}: a folder inventory must hold hosts.yaml (Nornir)")


# ---- platforms -----------------------------------------------------------------------------------


def platform_hint(text: str) -> str | None:
    """`pix`, `asa` or `fwsm` when a tool's platform name means one of them, else None.

    Ansible names a platform `cisco.asa.asa` or `asa`, Nornir/netmiko `cisco_asa` or
    `cisco_asa_telnet`; only the family matters, the software train is read from the device.

    >>> [platform_hint(p) for p in ("cisco.asa.asa", "cisco_asa_telnet", "cisco.ios.ios")]
    ['asa', 'asa', None]
    """
    name = text.strip().lower().rsplit(".", 1)[-1]
    name = name.removeprefix("cisco_").removesuffix("_ssh").removesuffix("_telnet")
    return name if name in OURS else None


# ---- translating variables into pixfix settings -----------------------------------------------


def translate(scope: Scope, items: Iterable[tuple[str, str, object]]) -> Layer:
    """`(variable, pixfix key, value)` triples -> one checked layer.

    Later triples win over earlier ones for the same key, so callers list aliases first, the
    tool's own variable next and `pixfix_*` last. A credential and its `_env` twin are one key.
    `{{ lookup('env', 'NAME') }}` becomes `<credential>_env: NAME`; any other template, and any
    ansible-vault value, is refused: pixfix evaluates neither.
    """
    raw: dict[str, object] = {}
    names: dict[str, str] = {}
    for variable, given_key, given in items:
        key, value = _plain_value(scope, variable, given_key, given)
        for twin in _twins(key):
            raw.pop(twin, None)
        raw[key] = value
        names[key] = variable
    return Layer(scope=scope, settings=_validate(scope, raw, names), names=names)


def pixfix_key(scope: Scope, variable: str) -> str:
    """`pixfix_mx` -> `mx`; an unknown `pixfix_*` name is an error, not silently ignored."""
    key = variable.removeprefix(PIXFIX_PREFIX)
    if key not in Settings.model_fields:
        close = difflib.get_close_matches(key, list(Settings.model_fields), n=1)
        hint = f" (did you mean '{PIXFIX_PREFIX}{close[0]}'?)" if close else ""
        raise InventoryError(f"{scope}: unknown variable {variable!r}{hint}")
    return key


def _twins(key: str) -> tuple[str, ...]:
    base = key.removesuffix("_env")
    return (base, f"{base}_env") if base in CREDENTIALS else (key,)


def _plain_value(scope: Scope, variable: str, key: str, value: object) -> tuple[str, object]:
    if isinstance(value, Vaulted):
        raise InventoryError(
            f"{scope}: {variable} is encrypted with ansible-vault, which pixfix does not "
            "decrypt: give it through an environment variable or the keyring"
        )
    if isinstance(value, str) and "{{" in value:
        match = _ENV_LOOKUP.fullmatch(value.strip())
        if match is None or key not in CREDENTIALS:
            raise InventoryError(
                f"{scope}: {variable} is a template; pixfix evaluates only "
                "\"{{ lookup('env', 'NAME') }}\" for credentials"
            )
        return f"{key}_env", match.group(3)
    if key == "port" and isinstance(value, str) and value.strip().isdigit():
        return key, int(value)
    if key in _LISTS and isinstance(value, str):
        return key, [part.strip() for part in value.split(",") if part.strip()]
    return key, value


def _validate(scope: Scope, raw: Mapping[str, object], names: Mapping[str, str]) -> Settings:
    """The pixfix schema's verdict on one layer; pydantic's own text never escapes."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = [_problem(err, names) for err in exc.errors()]
        raise InventoryError(f"{scope}: " + "; ".join(problems[:3])) from None


def _problem(err: ErrorDetails, names: Mapping[str, str]) -> str:
    loc = [str(part) for part in err["loc"]]
    key = loc[0] if loc else ""
    field = ".".join([names.get(key, key), *loc[1:]]).strip(".")
    text = err["msg"] if err["type"] == "pixfix" else _phrase(err)
    if err["type"] not in ("pixfix", "missing") and key not in _QUIET:
        text += f" (got {_shown(err['input'])})"
    return f"{field}: {text}" if field else text


def _shown(value: object) -> str:
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _phrase(err: ErrorDetails) -> str:
    phrases = {
        "string_type": "must be text (quote it)",
        "int_type": "must be a whole number",
        "list_type": "must be a list",
        "model_type": "must be a mapping",
        "dict_type": "must be a mapping",
    }
    return phrases.get(err["type"]) or err["msg"].replace("Input should be", "must be")


# ---- shared checks ------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_host_name(scope: Scope, name: object) -> str:
    """Host names become file names (`name@context.cfg`), as in a pixfix inventory."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InventoryError(
            f"{scope}: host name {name!r} may hold only letters, digits, . _ - "
            "(set the address with the tool's host variable)"
        )
    return name


def inline_warnings(hosts: Sequence[ForeignHost], advice: str) -> tuple[str, ...]:
    """One warning per scope (file and place) that writes a password or secret inline."""
    seen: dict[str, None] = {}
    for host in hosts:
        for layer in host.layers:
            for cred in ("password", "secret"):
                if getattr(layer.settings, cred) is not None:
                    name = layer.names.get(cred, cred)
                    seen[f"{layer.scope} has an inline {cred} ({name}); prefer {advice}"] = None
    return tuple(seen)


def mapping_or_empty(scope: Scope, value: object, what: str) -> dict[Hashable, Any]:
    """A YAML body that may be left empty (`fw1:` with nothing under it) or must be a mapping."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventoryError(f"{scope}: {what} must be a mapping")
    return value
