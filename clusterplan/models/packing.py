"""Packings of connected regions, and the partition a packing gives (network capacity, :mod:`.capacity`).

A plan is held here as a *packing*: disjoint regions, each connected in the corridor graph and holding at least the
floor (children), plus areas left over. A packing of p regions is as good as a partition of p regions: each left-over
area joins a neighbouring region (:func:`partition`), which keeps every region connected and only adds children.
:func:`packing` trims the regions of a partition to a packing (members dropped while a region stays connected and at
the floor), which is the form the exact methods (:mod:`.maxp_exact`) take as a start; :class:`_Graph` is the
corridor graph as integer arrays, shared with the fixed-count search (:mod:`.fixcount`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

import networkx as nx
import numpy as np
import pandas as pd

#: Region edges :meth:`_Graph.edge` remembers before it starts again (about 13 MB for 10,000 regions of seven areas,
#: if nothing else holds them).
EDGES = 10_000


class _Graph:
    """The corridor graph as integer arrays (the search touches it a few million times)."""

    def __init__(self, graph: nx.Graph, under5: pd.Series):
        self.nodes = sorted(graph.nodes)
        self.index = {v: i for i, v in enumerate(self.nodes)}
        self.pop = np.array([float(under5[v]) for v in self.nodes])
        self.nb = [sorted(self.index[u] for u in graph.neighbors(v)) for v in self.nodes]
        self._csr: tuple[np.ndarray, np.ndarray] | None = None
        self._edge: dict[frozenset[int], tuple[int, ...]] = {}

    def connected(self, members: set[int], drop: int = -1, add: int = -1) -> bool:
        """Whether ``members``, without ``drop`` and with ``add`` (-1: none), is connected: a move's test without
        building the new set. ``drop`` must be a member and ``add`` not, when given."""
        start = add if add >= 0 else next(v for v in members if v != drop)
        seen, stack = {start}, [start]
        while stack:
            v = stack.pop()
            for u in self.nb[v]:
                if u not in seen and u != drop and (u in members or u == add):
                    seen.add(u)
                    stack.append(u)
        return len(seen) == len(members) - (drop >= 0) + (add >= 0)

    def edge(self, members: frozenset[int]) -> tuple[int, ...]:
        """The areas outside ``members`` adjacent to one of them, in increasing order; remembered per set (the
        chains ask for the same regions' edges many times), forgetting all after ``EDGES`` sets."""
        got = self._edge.get(members)
        if got is None:
            if len(self._edge) >= EDGES:
                self._edge.clear()
            got = self._edge[members] = tuple(sorted({u for v in members for u in self.nb[v]} - members))
        return got

    def csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The neighbour lists as compressed rows (``ptr``, ``idx``: area v's neighbours are ``idx[ptr[v]:ptr[v +
        1]]``, in increasing order), for the compiled kernels (:mod:`.kernels`); built once per graph (the chains
        ask for them at every walk)."""
        if self._csr is None:
            ptr = np.zeros(len(self.nb) + 1, dtype=np.int64)
            ptr[1:] = np.cumsum([len(x) for x in self.nb])
            self._csr = (ptr, np.array([u for x in self.nb for u in x], dtype=np.int64))
        return self._csr


def trim(g: _Graph, members: set[int], floor: float) -> frozenset[int]:
    """Drop members (largest first) while the region stays connected and at the floor: less excess, same region."""
    members = set(members)
    total = float(g.pop[list(members)].sum())
    dropped = True
    while dropped:
        dropped = False
        for v in sorted(members, key=lambda u: (-g.pop[u], u)):
            if len(members) > 1 and total - g.pop[v] >= floor and g.connected(members, drop=v):
                members.discard(v)
                total -= g.pop[v]
                dropped = True
                break
    return frozenset(members)


def packing(graph: nx.Graph, under5: pd.Series, floor: float, region_of: dict[str, str]) -> list[frozenset[str]]:
    """The regions of a partition (area -> region key), each trimmed to a packing region (excess areas left over)."""
    g = _Graph(graph, under5)
    members: dict[str, set[int]] = {}
    for a, r in region_of.items():
        members.setdefault(r, set()).add(g.index[a])
    return [frozenset(g.nodes[i] for i in trim(g, m, floor)) for _, m in sorted(members.items())]


def join_left_over(neighbours: Callable[[str], Iterable[str]], children: Callable[[str], float],
                   home: dict[str, Hashable], reach: dict[Hashable, float], left: Iterable[str]) -> list[str]:
    """Join each left-over area to the adjacent region with fewest children (ties: the smallest region key), in code
    order, pass after pass, so an area can join through one placed before it. Updates ``home`` (area -> region key)
    and ``reach`` (region key -> children) in place; returns the areas no region could reach (sorted)."""
    left = sorted(left)
    while left:
        placed = False
        for a in left:
            adj = {home[u] for u in neighbours(a) if u in home}
            if adj:
                r = min(adj, key=lambda r: (reach[r], r))
                home[a] = r
                reach[r] += children(a)
                placed = True
        left = [a for a in left if a not in home]
        if not placed:
            return left
    return []


def partition(graph: nx.Graph, under5: pd.Series, regions: list[frozenset[str]]) -> list[frozenset[str]]:
    """Join every left-over area to a neighbouring region (the one with fewest children, then the first in the list),
    repeatedly, so the regions cover every area that shares a corridor component with one. Regions stay connected."""
    home: dict[str, Hashable] = {a: k for k, r in enumerate(regions) for a in r}
    reach: dict[Hashable, float] = {k: float(under5[list(r)].sum()) for k, r in enumerate(regions)}
    cut_off = join_left_over(graph.neighbors, lambda a: float(under5[a]), home, reach, set(graph.nodes) - set(home))
    if cut_off:
        raise ValueError(f"areas with no region in their corridor component: {', '.join(cut_off[:5])}")
    out: list[set[str]] = [set() for _ in regions]
    for a, k in home.items():
        out[int(k)].add(a)
    return [frozenset(r) for r in out]
