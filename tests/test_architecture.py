"""The code's shape (issue 18): no import cycles, and the system of record reached only through the store.

Imports are read from the source (``ast``), every ``import`` counted — at module level or inside a function —
except those under ``if TYPE_CHECKING:``, which run only for the type checker. Nodes are the packages under
``assay/`` (``assay.store``, ``assay.search`` …) and the top-level modules (``assay.model``, ``assay.workspace``).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "assay"

# code outside assay/store/ that still reaches into a store's connection or lock, or opens SQLite itself: the
# storage seam (issue 18) empties this list; a file may leave it, none may join it
NOT_YET_BEHIND_THE_SEAM: set[str] = set()
REACHES_IN = re.compile(r"^\s*import sqlite3|\bsqlite3\.|\bstore\.db\b|\bstore\._lock\b|\.db\.execute", re.M)


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).strip(".")
            base = base if node.level else (node.module or "")
            # from a package import its submodule: the submodule; else the names are the module's own
            sub = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            targets = sub if len(sub) == len(node.names) else [base, *sub]
        found.update(t for t in targets if t in modules and t != name)
    return found


def _graph(key) -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(name, path, modules):
            if key(name) != key(target):
                graph[key(name)].add(key(target))
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_packages():
    graph = _graph(_package)
    assert "assay.store" in graph and "assay.search" in graph  # the reader sees the code
    assert _cycles(graph) == []


def test_no_import_cycle_between_modules():
    assert _cycles(_graph(lambda m: m)) == []


def test_the_command_modules_do_not_import_the_command_group():
    modules = _modules()
    for name, path in modules.items():
        if name.startswith("assay.interfaces.cli_"):
            assert "assay.interfaces.cli" not in _imports(name, path, modules), name


def test_only_the_store_reaches_the_database():
    reaching = {
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.parts[len(ROOT.parts)] != "store" and REACHES_IN.search(path.read_text(encoding="utf-8"))
    }
    assert reaching <= NOT_YET_BEHIND_THE_SEAM, f"new code reaches into the store: {reaching - NOT_YET_BEHIND_THE_SEAM}"
    assert reaching == NOT_YET_BEHIND_THE_SEAM, (
        f"behind the seam now, drop from the list: {NOT_YET_BEHIND_THE_SEAM - reaching}"
    )
