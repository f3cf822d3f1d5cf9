"""The house rules, checked on the code itself (docs/architecture.md explains them).

- one package per pipeline stage; imports run only down the pipeline (a stage may import the
  foundation modules at the top of `pixfix/` and earlier stages, never a later one);
- no import cycle between modules;
- netmiko and paramiko only under `pixfix/transport/`;
- the lab imports nothing of the client but `pixfix.errors` (it must not share its beliefs);
- the CLI imports no file store and no private name of another package;
- no module over 400 lines, at most 12 modules loose at the top of `pixfix/`.

Imports inside functions count; only imports under `if TYPE_CHECKING:` are exempt.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "pixfix"
# Lowest first: a package may import its own modules and anything earlier in this list.
LAYERS = (
    "foundation",  # the loose modules at the top of pixfix/
    "store",
    "inventory",
    "transport",
    "probe",  # the mail path seen from outside: read by audit --probe and by apply
    "parse",
    "history",  # audits kept over time: below audit, whose reports carry the difference
    "audit",
    "plan",
    "apply",
    "cli",
)
DEVICE_LIBRARIES = ("netmiko", "paramiko")
MAX_LINES = 400
MAX_LOOSE = 12


@dataclass(frozen=True)
class Edge:
    source: str
    target: str  # a module of pixfix, or a top-level package name outside it
    names: tuple[str, ...]
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _type_checking_only(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skip


def edges(name: str, path: Path, known: set[str]) -> Iterator[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Edge(name, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                target = full if full in known else base
                yield Edge(name, target, (alias.name,) if target == base else (), node.lineno)


def all_edges() -> list[Edge]:
    found = modules()
    return [e for name, path in found.items() for e in edges(name, path, set(found))]


def internal(edge: Edge) -> bool:
    return edge.target == "pixfix" or edge.target.startswith("pixfix.")


def layer(module: str) -> str:
    parts = module.split(".")
    if module == "pixfix.__main__":
        return "cli"  # `python -m pixfix` is the command line
    if len(parts) == 1 or parts[1] not in (*LAYERS, "lab"):
        return "foundation"
    return parts[1]


def rank(module: str) -> int:
    return LAYERS.index(layer(module))


def test_every_stage_is_a_package() -> None:
    for stage in LAYERS[1:]:
        assert (ROOT / stage / "__init__.py").is_file(), stage


def test_imports_run_only_down_the_pipeline() -> None:
    upward = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in all_edges()
        if internal(e)
        and layer(e.source) != "lab"
        and layer(e.target) != "lab"
        and rank(e.target) > rank(e.source)
    ]
    assert upward == []


def test_only_the_cli_starts_the_lab() -> None:
    into_lab = [
        f"{e.source}:{e.line}"
        for e in all_edges()
        if internal(e) and layer(e.target) == "lab" and layer(e.source) not in ("lab", "cli")
    ]
    assert into_lab == []


def test_the_lab_shares_nothing_with_the_client_but_errors() -> None:
    shared = {
        e.target
        for e in all_edges()
        if internal(e) and layer(e.source) == "lab" and layer(e.target) != "lab"
    }
    assert shared <= {"pixfix.errors"}


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for e in all_edges():
        if e.target in graph and e.target != e.source:
            graph[e.source].add(e.target)
    assert _cycles(graph) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_netmiko_and_paramiko_only_in_the_transport() -> None:
    outside = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in all_edges()
        if e.target.split(".")[0] in DEVICE_LIBRARIES and layer(e.source) != "transport"
    ]
    assert outside == []


def test_the_cli_uses_no_store_and_no_private_names() -> None:
    reaching = [
        f"{e.source}:{e.line} imports {e.target} {e.names}"
        for e in all_edges()
        if internal(e)
        and layer(e.source) == "cli"
        and layer(e.target) != "cli"
        and (layer(e.target) == "store" or any(_private(n) for n in e.names))
    ]
    assert reaching == []


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_over_400_lines(name: str) -> None:
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines"


def test_few_loose_modules() -> None:
    loose = [p.name for p in ROOT.glob("*.py")]
    assert len(loose) <= MAX_LOOSE, loose


def test_an_upward_import_is_caught() -> None:
    """The checker itself: a stage importing a later one is reported."""
    assert rank("pixfix.audit.live") < rank("pixfix.plan.entry")
    assert layer("pixfix.errors") == "foundation" and layer("pixfix.lab.server") == "lab"
    edge = Edge("pixfix.parse.config", "pixfix.apply.machine", (), 1)
    assert internal(edge) and rank(edge.target) > rank(edge.source)
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
