"""Read a Nornir SimpleInventory: `hosts.yaml`, and `groups.yaml` / `defaults.yaml` if present.

Nornir's precedence is kept: a host's own value, else its groups in the order listed (each group
before its own parent groups, depth first), else `defaults`; and `connection_options.netmiko`
(found the same way) wins over the plain attributes, as when nornir-netmiko connects. The enable
secret is netmiko's `extras.secret` (the first `extras` found is used whole, as nornir does).

A `platform` of `cisco_asa` (or `asa`, `pix`, `fwsm`, with `_ssh` / `_telnet`) is kept, and
`_telnet` selects telnet; any other platform (`cisco_ios`, `juniper_junos` ...) is skipped and
counted, unless `data.pixfix_platform` is set. Other pixfix settings are `data.pixfix_<key>`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pixfix.errors import InventoryError
from pixfix.inventory.formats import (
    NORNIR_KEYS,
    PIXFIX_PREFIX,
    ForeignHost,
    ForeignInventory,
    InventoryFormat,
    Layer,
    Scope,
    SkippedHost,
    check_host_name,
    inline_warnings,
    mapping_or_empty,
    nornir_hosts_file,
    pixfix_key,
    platform_hint,
    read_yaml,
    translate,
)

Entry = dict[Hashable, Any]
_ATTRIBUTES = {"hostname": "host", "port": "port", "username": "username", "password": "password"}
_OPTION_KEYS = frozenset({*_ATTRIBUTES, "platform", "extras"})
_ADVICE = "data.pixfix_<name>_env, PIXFIX_<NAME> or the keyring"


class _Element:
    """One entry of hosts.yaml or groups.yaml, or defaults.yaml, checked for shape."""

    def __init__(self, scope: Scope, body: object, *, may_have_groups: bool = True) -> None:
        self.scope = scope
        self.body = mapping_or_empty(scope, body, "an entry")
        allowed = NORNIR_KEYS if may_have_groups else NORNIR_KEYS - {"groups"}
        unknown = sorted(str(k) for k in self.body if k not in allowed)
        if unknown:
            raise InventoryError(
                f"{scope}: unknown key {unknown[0]!r} ({', '.join(sorted(allowed))})"
            )
        self.data = mapping_or_empty(scope, self.body.get("data"), "data")
        self.netmiko = self._netmiko()
        self.groups = self._groups()

    def _netmiko(self) -> Entry:
        options = mapping_or_empty(
            self.scope, self.body.get("connection_options"), "connection_options"
        )
        netmiko = mapping_or_empty(self.scope, options.get("netmiko"), "connection_options.netmiko")
        unknown = sorted(str(k) for k in netmiko if k not in _OPTION_KEYS)
        if unknown:
            raise InventoryError(
                f"{self.scope}: connection_options.netmiko: unknown key {unknown[0]!r}"
            )
        return netmiko

    def _groups(self) -> list[str]:
        groups = self.body.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise InventoryError(f"{self.scope}: groups: must be a list of group names")
        return groups

    def platform(self, *, netmiko: bool) -> object:
        return (self.netmiko if netmiko else self.body).get("platform")


def read_nornir(path: Path) -> ForeignInventory:
    """Every host of the SimpleInventory (folder, or its hosts.yaml) that may be a PIX/ASA/FWSM."""
    folder = path if path.is_dir() else path.parent
    hosts_file = nornir_hosts_file(folder) if path.is_dir() else path
    groups = _elements(_sibling(folder, "groups"), "group")
    defaults_file = _sibling(folder, "defaults")
    defaults = _Element(
        Scope(file=defaults_file or folder / "defaults.yaml", label="defaults"),
        read_yaml(defaults_file) if defaults_file else None,
        may_have_groups=False,
    )
    hosts: list[ForeignHost] = []
    skipped: list[SkippedHost] = []
    for name, host in _elements(hosts_file, "host").items():
        chain = [host, *(groups[g] for g in _extended_groups(host, groups)), defaults]
        platform = _first(chain, lambda e: e.platform(netmiko=True)) or _first(
            chain, lambda e: e.platform(netmiko=False)
        )
        if _skipped(chain, platform):
            skipped.append(SkippedHost(name=name, platform=str(platform)))
            continue
        names = tuple(g for g in _extended_groups(host, groups))
        hosts.append(ForeignHost(name=name, groups=names, layers=_layers(chain, platform)))
    if not hosts:
        found = f"{len(skipped)} skipped as other platforms"
        raise InventoryError(f"{hosts_file}: no host that may be a PIX, ASA or FWSM ({found})")
    return ForeignInventory(
        kind=InventoryFormat.NORNIR,
        folder=folder,
        hosts=tuple(hosts),
        skipped=tuple(skipped),
        warnings=inline_warnings(hosts, _ADVICE),
    )


def _sibling(folder: Path, stem: str) -> Path | None:
    for suffix in (".yaml", ".yml"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    return None


def _elements(path: Path | None, kind: str) -> dict[str, _Element]:
    if path is None:
        return {}
    data = mapping_or_empty(Scope(file=path, label="file"), read_yaml(path), "the file")
    out = {}
    for name, body in data.items():
        scope = Scope(file=path, label=f"{kind} {name!r}")
        out[check_host_name(scope, name) if kind == "host" else str(name)] = _Element(scope, body)
    return out


def _extended_groups(element: _Element, groups: Mapping[str, _Element]) -> list[str]:
    """A host's groups, each followed by its own parents, depth first, each once (nornir's
    `extended_groups`)."""
    found: list[str] = []

    def visit(name: str, trail: tuple[str, ...], where: Scope) -> None:
        if name not in groups:
            raise InventoryError(
                f"{where}: unknown group {name!r} (groups: {', '.join(groups) or 'none'})"
            )
        if name in trail:
            raise InventoryError(f"{where}: group {name!r} is its own parent")
        if name not in found:
            found.append(name)
        for parent in groups[name].groups:
            visit(parent, (*trail, name), groups[name].scope)

    for name in element.groups:
        visit(name, (), element.scope)
    return found


def _first(chain: Sequence[_Element], get: Any) -> object:
    """Nornir's rule: the first element of host, groups, defaults that sets a value."""
    return next((value for e in chain if (value := get(e)) is not None), None)


def _skipped(chain: Sequence[_Element], platform: object) -> bool:
    if _first(chain, lambda e: e.data.get(f"{PIXFIX_PREFIX}platform")) is not None:
        return False
    return isinstance(platform, str) and platform_hint(platform) is None


def _layers(chain: Sequence[_Element], platform: object) -> tuple[Layer, ...]:
    """Lowest first: what the platform name implies, the plain attributes of defaults, groups
    and host, then their netmiko connection options, then the secret from netmiko's extras."""
    host_scope = chain[0].scope
    implied: list[tuple[str, str, object]] = []
    if isinstance(platform, str) and (hint := platform_hint(platform)):
        implied.append(("platform", "platform", hint))
        if platform.lower().endswith("_telnet"):
            implied.append(("platform", "transport", "telnet"))
    layers = [translate(host_scope, implied)]
    layers += [_plain_layer(e) for e in reversed(chain)]
    layers += [_netmiko_layer(e) for e in reversed(chain)]
    extras = next((e for e in chain if e.netmiko.get("extras") is not None), None)
    if extras is not None:
        layers.append(_extras_layer(extras))
    return tuple(layers)


def _plain_layer(element: _Element) -> Layer:
    items: list[tuple[str, str, object]] = [
        (attr, key, element.body[attr])
        for attr, key in _ATTRIBUTES.items()
        if element.body.get(attr) is not None
    ]
    items += [
        (f"data.{k}", pixfix_key(element.scope, str(k)), v)
        for k, v in element.data.items()
        if str(k).startswith(PIXFIX_PREFIX)
    ]
    return translate(element.scope, items)


def _netmiko_layer(element: _Element) -> Layer:
    prefix = "connection_options.netmiko."
    items = [
        (prefix + attr, key, element.netmiko[attr])
        for attr, key in _ATTRIBUTES.items()
        if element.netmiko.get(attr) is not None
    ]
    return translate(element.scope, items)


def _extras_layer(element: _Element) -> Layer:
    extras = mapping_or_empty(
        element.scope, element.netmiko["extras"], "connection_options.netmiko.extras"
    )
    items = []
    if extras.get("secret") is not None:
        items.append(("connection_options.netmiko.extras.secret", "secret", extras["secret"]))
    return translate(element.scope, items)
