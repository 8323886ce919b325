"""The integration's import graph, parsed from its source: no cycles, one direction.

Dependency rule (README, *Pipeline*): platforms -> coordinator -> {supply -> rooms} -> the
pure core (`billing`, `bus`, `control`, `profiles`). Imports under `TYPE_CHECKING` count:
a cycle hidden there is still a cycle a reader has to untangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "prepaid_power"
PURE_CORE = ("billing", "bus", "control", "profiles")
RUNTIME = ("coordinator", "rooms", "supply")


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The package modules an import statement names (relative or absolute)."""
    if node.level == 0:
        prefix = "custom_components.prepaid_power"
        name = node.module or ""
        if not name.startswith(prefix):
            return []
        base = name[len(prefix) :].lstrip(".")
    else:
        parts = module.split(".") if module else []
        if not is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    names = [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
    # `from . import compat` names the module `compat`, not the package's `__init__`.
    return names if node.module is None else [base, *names]


def _graph() -> dict[str, set[str]]:
    files = {_module(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(name, path.name == "__init__.py", node)
            elif isinstance(node, ast.Import):
                targets = [
                    alias.name.removeprefix("custom_components.prepaid_power.")
                    for alias in node.names
                    if alias.name.startswith("custom_components.prepaid_power.")
                ]
            else:
                continue
            graph[name] |= {t for t in targets if t in files and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_the_graph_is_read_from_the_source() -> None:
    graph = _graph()
    assert "supply" in graph["coordinator"]
    assert "rooms" in graph["supply"]
    assert "billing.core" in graph["rooms"]


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_a_cycle_would_be_found() -> None:
    """The check itself: a back edge (one hidden under TYPE_CHECKING too) is a cycle."""
    graph = _graph()
    graph["rooms"] = {*graph["rooms"], "coordinator"}
    assert ["coordinator", "rooms", "supply"] in [
        [m for m in group if m in RUNTIME] for group in _cycles(graph)
    ]


def test_the_runtime_points_one_way() -> None:
    graph = _graph()
    assert not graph["rooms"] & {"supply", "coordinator"}
    assert "coordinator" not in graph["supply"]
    for module, targets in graph.items():
        if _top(module) in PURE_CORE:
            # The pure core never reaches back into the HA layer.
            assert {_top(t) for t in targets} <= set(PURE_CORE), module


def test_no_type_checking_imports_in_the_runtime() -> None:
    for name in RUNTIME:
        source = (PACKAGE / f"{name}.py").read_text(encoding="utf-8")
        assert "TYPE_CHECKING" not in source, name
