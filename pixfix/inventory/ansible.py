"""Read an Ansible inventory (INI or YAML, with `group_vars/` and `host_vars/` beside it).

Ansible's precedence is kept, lowest first: the inventory file's group variables (groups by depth
under `all`, then `ansible_group_priority`, then name), `group_vars/all`, the other
`group_vars/<group>` files in the same order, the inventory file's host variables, then
`host_vars/<host>`. From them pixfix takes `ansible_host` (default: the inventory name),
`ansible_port`, `ansible_user`, `ansible_password` and `ansible_become_password` (the enable
secret), plus any `pixfix_<key>`. The transport is ssh unless `pixfix_transport: telnet`.

`ansible_network_os` is only a hint: `cisco.asa.asa` (or `asa`, `pix`, `fwsm`) is kept, any other
value (`cisco.ios.ios`, `junipernetworks.junos.junos` ...) is skipped and counted, unless the host
sets `pixfix_platform`. INI values are text; `pixfix_tags=a,b` lists are comma-separated.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pixfix.errors import InventoryError
from pixfix.inventory.formats import (
    PIXFIX_PREFIX,
    ForeignHost,
    ForeignInventory,
    InventoryFormat,
    Layer,
    Scope,
    SkippedHost,
    check_host_name,
    inline_warnings,
    is_vault_file,
    mapping_or_empty,
    pixfix_key,
    platform_hint,
    read_yaml,
    translate,
)
from pixfix.inventory.schema import read_text

Vars = dict[str, object]

# variable -> pixfix key; for one key a later variable wins (legacy aliases come first)
_VARIABLES = {
    "ansible_ssh_host": "host",
    "ansible_host": "host",
    "ansible_ssh_port": "port",
    "ansible_port": "port",
    "ansible_ssh_user": "username",
    "ansible_user": "username",
    "ansible_ssh_pass": "password",
    "ansible_password": "password",
    "ansible_become_pass": "secret",
    "ansible_become_password": "secret",
}
_IMPLICIT = ("all", "ungrouped")
_SECTION = re.compile(r"\[([^\[\]\s]+)\]")
_RANGE = re.compile(r"^(.*?)\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::([0-9]+))?\](.*)$")
_ADVICE = "\"{{ lookup('env', 'NAME') }}\", pixfix_<name>_env or the keyring"


@dataclass(slots=True)
class _Group:
    vars: Vars = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Tree:
    """The inventory file as Ansible reads it, before precedence (a private builder)."""

    path: Path
    groups: dict[str, _Group] = field(default_factory=lambda: {n: _Group() for n in _IMPLICIT})
    host_vars: dict[str, Vars] = field(default_factory=dict)  # in order of first appearance

    def group(self, name: str) -> _Group:
        return self.groups.setdefault(name, _Group())

    def add_host(self, group: str, name: str, values: Mapping[str, object]) -> None:
        check_host_name(Scope(file=self.path, label=f"group {group!r}"), name)
        members = self.group(group).hosts
        if name not in members:
            members.append(name)
        self.host_vars.setdefault(name, {}).update(values)


def read_ansible(path: Path, kind: InventoryFormat) -> ForeignInventory:
    """Every host of the inventory that may be a PIX/ASA/FWSM, with its layers."""
    tree = _ini_tree(path) if kind is InventoryFormat.ANSIBLE_INI else _yaml_tree(path)
    index = _Index.of(tree)
    files = _VarFiles(path.parent)
    layers: dict[Scope, Layer] = {}
    hosts: list[ForeignHost] = []
    skipped: list[SkippedHost] = []
    for name in tree.host_vars:
        scoped = _scoped_vars(tree, index, files, name)
        other = _other_platform(scoped)
        if other is not None:
            skipped.append(SkippedHost(name=name, platform=other))
            continue
        for scope, values in scoped:
            if scope not in layers:
                layers[scope] = _layer(scope, values)
        own = [layers[scope] for scope, _ in scoped]
        groups = tuple(g for g in index.groups_of(name) if g not in _IMPLICIT)
        hosts.append(ForeignHost(name=name, groups=groups, layers=(_implicit(path, name), *own)))
    if not hosts:
        found = f"{len(skipped)} skipped as other platforms"
        raise InventoryError(f"{path}: no host that may be a PIX, ASA or FWSM ({found})")
    warnings = (*files.warnings, *inline_warnings(hosts, _ADVICE))
    return ForeignInventory(
        kind=kind, folder=path.parent, hosts=tuple(hosts), skipped=tuple(skipped), warnings=warnings
    )


# ---- precedence ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Index:
    """Groups in Ansible's order, and the hosts of each group (its own and its children's)."""

    order: tuple[str, ...]
    members: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, tree: _Tree) -> _Index:
        members = {name: frozenset(_members(tree, name)) for name in tree.groups}
        return cls(order=tuple(_group_order(tree)), members=members)

    def groups_of(self, host: str) -> list[str]:
        return [g for g in self.order if host in self.members[g]]


def _group_order(tree: _Tree) -> list[str]:
    """Groups by depth under `all`, then `ansible_group_priority`, then name (Ansible's order)."""
    parents: dict[str, set[str]] = {name: set() for name in tree.groups}
    for name, group in tree.groups.items():
        for child in group.children:
            parents[child].add(name)
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: tuple[str, ...]) -> int:
        if name in seen:
            raise InventoryError(f"{tree.path}: group {name!r} is its own ancestor")
        if name not in depth:
            above = parents[name] or ({"all"} if name != "all" else set())
            depth[name] = max((depth_of(p, (*seen, name)) + 1 for p in above), default=0)
        return depth[name]

    return sorted(tree.groups, key=lambda n: (depth_of(n, ()), _priority(tree, n), n))


def _priority(tree: _Tree, name: str) -> int:
    value = tree.groups[name].vars.get("ansible_group_priority", 1)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if not isinstance(value, int):
        where = f"{tree.path}: group {name!r}"
        raise InventoryError(f"{where}: ansible_group_priority: must be a whole number")
    return value


def _members(tree: _Tree, group: str) -> set[str]:
    """Hosts of a group and of every group below it (`all` has every host)."""
    if group == "all":
        return set(tree.host_vars)
    found: set[str] = set()
    pending, seen = [group], set()
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            found.update(tree.groups[name].hosts)
            pending.extend(tree.groups[name].children)
    return found


def _scoped_vars(
    tree: _Tree, index: _Index, files: _VarFiles, host: str
) -> list[tuple[Scope, Vars]]:
    """Every scope that sets variables for `host`, lowest precedence first."""
    groups = index.groups_of(host)
    if any(g not in _IMPLICIT for g in groups):
        groups = [g for g in groups if g != "ungrouped"]
    scoped = [(_group_scope(tree.path, g), tree.groups[g].vars) for g in groups]
    scoped += files.vars("group_vars", "all", "group 'all'")
    for g in (g for g in groups if g != "all"):
        scoped += files.vars("group_vars", g, f"group {g!r}")
    scoped.append((Scope(file=tree.path, label=f"host {host!r}"), tree.host_vars[host]))
    scoped += files.vars("host_vars", host, f"host {host!r}")
    return [(scope, values) for scope, values in scoped if values]


def _group_scope(path: Path, group: str) -> Scope:
    return Scope(file=path, label=f"group {group!r}")


def _other_platform(scoped: list[tuple[Scope, Vars]]) -> str | None:
    """The `ansible_network_os` that rules the host out, unless `pixfix_platform` rules it in."""
    merged: Vars = {}
    for _, values in scoped:
        merged.update(values)
    network_os = merged.get("ansible_network_os")
    if f"{PIXFIX_PREFIX}platform" in merged or not isinstance(network_os, str):
        return None
    return None if platform_hint(network_os) else network_os


def _implicit(path: Path, name: str) -> Layer:
    """What Ansible assumes before any variable: the inventory name is the address."""
    return translate(Scope(file=path, label=f"host {name!r}"), [("inventory name", "host", name)])


def _layer(scope: Scope, values: Vars) -> Layer:
    items: list[tuple[str, str, object]] = []
    if isinstance(network_os := values.get("ansible_network_os"), str) and platform_hint(
        network_os
    ):
        items.append(("ansible_network_os", "platform", platform_hint(network_os)))
    items += [(v, key, values[v]) for v, key in _VARIABLES.items() if v in values]
    items += [
        (v, pixfix_key(scope, v), value)
        for v, value in values.items()
        if v.startswith(PIXFIX_PREFIX)
    ]
    return translate(scope, items)


# ---- group_vars/ and host_vars/ -----------------------------------------------------------------


@dataclass(slots=True)
class _VarFiles:
    """`group_vars/<name>` and `host_vars/<name>` beside the inventory: a file or a folder."""

    folder: Path
    warnings: list[str] = field(default_factory=list)
    _cache: dict[Path, Vars] = field(default_factory=dict)

    def vars(self, kind: str, name: str, label: str) -> list[tuple[Scope, Vars]]:
        return [
            (Scope(file=path, label=label), self._read(path)) for path in self._files(kind, name)
        ]

    def _files(self, kind: str, name: str) -> Iterator[Path]:
        base = self.folder / kind
        for suffix in ("", ".yml", ".yaml", ".json"):
            candidate = base / f"{name}{suffix}"
            if candidate.is_file():
                yield candidate
        if (base / name).is_dir():
            yield from sorted(
                p for p in (base / name).iterdir() if p.suffix in (".yml", ".yaml", ".json")
            )

    def _read(self, path: Path) -> Vars:
        if path not in self._cache:
            if is_vault_file(path):
                self.warnings.append(
                    f"{path}: encrypted with ansible-vault; its variables are not read"
                )
                self._cache[path] = {}
            else:
                data = mapping_or_empty(Scope(file=path, label="file"), read_yaml(path), "the file")
                self._cache[path] = {str(k): v for k, v in data.items()}
        return self._cache[path]


# ---- INI ----------------------------------------------------------------------------------------


def _ini_tree(path: Path) -> _Tree:
    """`[group]` host lines, `[group:vars]` key=value lines, `[group:children]` group names."""
    tree = _Tree(path=path)
    group, kind = "ungrouped", "hosts"
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        where = f"{path}: line {number}"
        if section := _SECTION.fullmatch(line):
            group, _, kind = section.group(1).partition(":")
            kind = kind or "hosts"
            if kind not in ("hosts", "vars", "children"):
                raise InventoryError(f"{where}: unknown section kind {kind!r} (vars or children)")
            tree.group(group)
        elif kind == "vars":
            key, value = _assignment(where, line)
            tree.group(group).vars[key] = value
        elif kind == "children":
            child = line.split()[0]
            tree.group(child)
            if child not in tree.group(group).children:
                tree.group(group).children.append(child)
        else:
            _ini_host_line(tree, group, where, line)
    return tree


def _ini_host_line(tree: _Tree, group: str, where: str, line: str) -> None:
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        raise InventoryError(f"{where}: unbalanced quotes") from None
    if not words:
        return
    values = dict(_assignment(where, word) for word in words[1:])
    pattern, port = _host_and_port(words[0])
    if port is not None:
        values.setdefault("ansible_port", port)
    for name in expand_hosts(pattern):
        tree.add_host(group, name, values)


def _assignment(where: str, text: str) -> tuple[str, str]:
    """`key=value`; the value never appears in an error (it may be a password)."""
    key, eq, value = text.partition("=")
    if not eq or not key.strip():
        raise InventoryError(f"{where}: expected key=value")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return key.strip(), value


def _host_and_port(word: str) -> tuple[str, str | None]:
    """`fw1:2222` names host fw1 on port 2222 (one colon only: IPv6 addresses have several)."""
    name, colon, port = word.rpartition(":")
    if colon and name and ":" not in name and port.isdigit():
        return name, port
    return word, None


def expand_hosts(pattern: str) -> list[str]:
    """Ansible host ranges: `fw[01:03]` -> fw01, fw02, fw03; `sw[a:c]`; `[1:9:2]` steps.

    >>> expand_hosts("fw[08:10].dc[a:b]")
    ['fw08.dca', 'fw08.dcb', 'fw09.dca', 'fw09.dcb', 'fw10.dca', 'fw10.dcb']
    """
    match = _RANGE.match(pattern)
    if match is None:
        return [pattern]
    head, start, end, step, tail = match.groups()
    stride = int(step or 1)
    if start.isdigit() and end.isdigit():
        width = len(start) if start.startswith("0") else 0
        items = [f"{n:0{width}d}" for n in range(int(start), int(end) + 1, stride)]
    elif start.isalpha() and end.isalpha():
        items = [chr(c) for c in range(ord(start), ord(end) + 1, stride)]
    else:
        return [pattern]
    return [f"{head}{item}{rest}" for item in items for rest in expand_hosts(tail)]


# ---- YAML ---------------------------------------------------------------------------------------


def _yaml_tree(path: Path) -> _Tree:
    """`all: {hosts: ..., vars: ..., children: {group: {...}}}`; other top keys are groups too."""
    tree = _Tree(path=path)
    data = mapping_or_empty(Scope(file=path, label="inventory"), read_yaml(path), "the file")
    for name, body in data.items():
        _yaml_group(tree, str(name), body, parent=None if name == "all" else "all")
    return tree


def _yaml_group(tree: _Tree, name: str, body: object, parent: str | None) -> None:
    scope = Scope(file=tree.path, label=f"group {name!r}")
    group = tree.group(name)
    if parent is not None and name not in tree.group(parent).children:
        tree.group(parent).children.append(name)
    content = mapping_or_empty(scope, body, "a group")
    unknown = sorted(str(k) for k in content if k not in ("hosts", "vars", "children"))
    if unknown:
        raise InventoryError(f"{scope}: unknown key {unknown[0]!r} (hosts, vars, children)")
    values = mapping_or_empty(scope, content.get("vars"), "vars")
    group.vars.update({str(k): v for k, v in values.items()})
    for host, host_values in mapping_or_empty(scope, content.get("hosts"), "hosts").items():
        host_scope = Scope(file=tree.path, label=f"host {host!r}")
        settings = mapping_or_empty(host_scope, host_values, "a host")
        for expanded in expand_hosts(str(host)):
            tree.add_host(name, expanded, {str(k): v for k, v in settings.items()})
    for child, child_body in mapping_or_empty(scope, content.get("children"), "children").items():
        _yaml_group(tree, str(child), child_body, parent=name)
