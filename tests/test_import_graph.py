"""The import graph of ``pipeline``: no cycles, and each room leans only on the rooms below it.

Every ``import`` counts, also the ones inside functions (a lazy import that closes a loop is
still a loop); only ``if TYPE_CHECKING:`` blocks are left out, since they never run.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.relative_to(PACKAGE).parts:
            continue  # Alembic loads these by file, not by import
        parts = ("pipeline", *path.relative_to(PACKAGE).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _runs(node: ast.AST) -> bool:
    """False for ``if TYPE_CHECKING:`` blocks."""
    test = getattr(node, "test", None)
    return not (isinstance(node, ast.If) and isinstance(test, ast.Name | ast.Attribute)
                and "TYPE_CHECKING" in ast.unparse(test))


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{a.name}" for a in node.names)
        todo.extend(child for child in ast.iter_child_nodes(node) if _runs(child))
    return names


def _owner(name: str) -> str | None:
    """The module of ``pipeline`` that an imported name lives in (``None``: not ours)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets = {_owner(t) for t in _imported(tree) if t.startswith("pipeline.")}
        graph[name] = {t for t in targets if t and t != name and t != "pipeline"}
    return graph


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_sees_lazy_imports():
    """The checker itself: a function-level import is an edge (so it can catch lazy loops)."""
    graph = import_graph()
    assert "pipeline.rulebook.in_force" in graph["pipeline.inbox.jobs"]  # imported in a function
    assert "pipeline.rules.structure" not in graph["pipeline.rules.result"]  # TYPE_CHECKING only


def test_no_import_cycles():
    try:
        TopologicalSorter(import_graph()).prepare()
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


# room -> rooms it must never import (the layers: db below everything that keeps data, the
# pure rules and vision below the runs, queries below the actions that change data, nothing
# run-time reaching the lab)
FORBIDDEN = {
    "db": {"inbox", "schedule", "reports", "demo", "rulebook", "queries", "actions", "dashboard",
           "api", "alerts", "vision", "rules", "lab"},
    "rules": {"db", "inbox", "schedule", "reports", "queries", "actions", "dashboard", "api",
              "vision", "lab"},
    "vision": {"db", "inbox", "schedule", "reports", "queries", "actions", "dashboard", "api",
               "lab"},  # it draws with the rules' shelf geometry, which knows no vision
    "queries": {"actions", "dashboard", "api", "lab"},
    "actions": {"dashboard", "api", "lab"},
    "access": {"queries", "actions", "dashboard", "api", "inbox", "reports", "lab"},
    "reports": {"queries", "actions", "dashboard", "api", "schedule", "lab"},
    "inbox": {"queries", "actions", "dashboard", "api", "schedule", "reports", "lab"},
}


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_lean_only_on_the_rooms_below(room):
    graph = import_graph()
    wrong = sorted(f"{m} -> {t}" for m, targets in graph.items() if _room(m) == room
                   for t in targets if _room(t) in FORBIDDEN[room])
    assert not wrong, f"{room} imports a room it must not: {wrong}"


def test_the_old_store_package_is_gone():
    """``store`` named a shop and held everything; its rooms are db, inbox, schedule, reports,
    rulebook and demo."""
    assert not (PACKAGE / "store").exists()
    assert not [m for m in MODULES if m.startswith("pipeline.store")]
