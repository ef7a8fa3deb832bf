"""The import graph of the clusterplan package, read from its source (nothing is imported): for the architecture
tests."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent / "clusterplan"


def _modules() -> dict[str, Path]:
    out = {}
    for f in ROOT.rglob("*.py"):
        parts = list(f.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.Module, module_level: bool):
    """Import nodes of a module: at its top level only, or anywhere (inside functions too); never those under
    ``if TYPE_CHECKING``."""
    skip = {id(n) for top in ast.walk(tree) if _type_checking(top) for n in ast.walk(top)}
    nodes = tree.body if module_level else ast.walk(tree)
    return [n for n in nodes if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in skip]


def graph(*, module_level: bool = True) -> nx.DiGraph:
    """Module -> the clusterplan modules it imports (a package's ``__init__`` is not counted as imported by its
    submodules' imports, since it only gathers names)."""
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        pkg = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in _imports(ast.parse(path.read_text()), module_level):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = ".".join(pkg[:len(pkg) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else node.module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                if t in mods and t != name and t != "clusterplan":
                    g.add_edge(name, t)
    return g
