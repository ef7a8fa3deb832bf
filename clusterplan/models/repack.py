"""Neighbourhood repacking: a large neighbourhood search for network capacity whose moves are small exact MIPs.

A plan is held here as a *packing*: disjoint regions, each connected in the corridor graph and holding at least the
floor (children), plus areas left over. A packing of p regions is as good as a partition of p regions: each left-over
area joins a neighbouring region (:func:`partition`), which keeps every region connected and only adds children. Every
child outside the regions' floors (a region's excess over the floor, and the left-over areas) is *slack*; one region
more needs ``floor`` children of slack gathered in one connected place, which no single move sees. So each move:

1. takes a *neighbourhood*: a few adjacent regions (half the time those nearest the current *sink*, a left-over area)
   and the left-over areas within two corridor links of them;
2. generates candidate regions inside it by seeded growth, each trimmed (members dropped while the region stays
   connected and at the floor), plus the current regions;
3. solves the set-packing MIP over those candidates (PuLP, the scenario's solver)::

       maximise    sum_r x_r  -  lam * sum_r c_r x_r
       subject to  sum_{r contains a} x_r <= 1   for each area a in the neighbourhood,   x_r binary

   where ``c_r = sum_{a in r} p_a * exp(-hops(a, sink) / spread)`` (children, weighted by closeness to the sink) and
   ``lam = 1 / (2 * children in the neighbourhood)``, so one region more always outweighs the cost, warm-started from
   the current regions (always feasible);
4. accepts the result when it has more regions, or as many at a lower cost: covering fewer children near the sink.

Over many moves the cost pushes slack towards the sink until it is enough for a region; the sink moves to another
left-over area every ``epoch`` moves and after each gain. This *gathering* is what lifts Norfolk from 66 regions
(growth and local search) to 72 against the bound of 73.

Deterministic for a seed: the moves and the candidates come from one seeded generator, each MIP is limited by a node
count (a time limit is only a safeguard), and the search stops after ``stall`` moves without a gain. Only the overall
``seconds`` limit can cut a run short at a point that depends on the machine; the result says when it did.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from .. import progress
from ..errors import SolverError
from ..solvers import set_packing_problem, solve_problem


@dataclass(frozen=True)
class Repacked:
    """The outcome of :func:`repack`: regions (sets of area codes), counts and why the search stopped."""

    regions: list[frozenset[str]]
    start: int             # regions in the packing it was given
    moves: int             # neighbourhood MIPs solved
    seconds: float
    stopped: str           # "bound", "stall", "covered" (no area left over) or "time"
    stall: int             # moves without a gain that end the search
    gains: tuple[tuple[float, int], ...] = ()   # (seconds into the search, regions) at each gain


class _Graph:
    """The corridor graph as integer arrays (the search touches it a few million times)."""

    def __init__(self, graph: nx.Graph, under5: pd.Series):
        self.nodes = sorted(graph.nodes)
        self.index = {v: i for i, v in enumerate(self.nodes)}
        self.pop = np.array([float(under5[v]) for v in self.nodes])
        self.nb = [sorted(self.index[u] for u in graph.neighbors(v)) for v in self.nodes]
        self._csr: tuple[np.ndarray, np.ndarray] | None = None

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

    def csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The neighbour lists as compressed rows (``ptr``, ``idx``: area v's neighbours are ``idx[ptr[v]:ptr[v +
        1]]``, in increasing order), for the compiled kernels (:mod:`.kernels`); built once per graph (the chains
        ask for them at every walk)."""
        if self._csr is None:
            ptr = np.zeros(len(self.nb) + 1, dtype=np.int64)
            ptr[1:] = np.cumsum([len(x) for x in self.nb])
            self._csr = (ptr, np.array([u for x in self.nb for u in x], dtype=np.int64))
        return self._csr

    def hops(self, source: int) -> np.ndarray:
        """Corridor links from ``source`` to every area (inf where unreachable)."""
        d = np.full(len(self.nodes), np.inf)
        d[source] = 0
        queue = [source]
        for v in queue:
            for u in self.nb[v]:
                if d[u] == np.inf:
                    d[u] = d[v] + 1
                    queue.append(u)
        return d


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


def _grow(g: _Graph, seed: int, allowed: set[int], floor: float, rng: np.random.Generator,
          noise: float) -> frozenset[int] | None:
    """One candidate region grown from ``seed`` inside ``allowed``: mostly the neighbour that reaches the floor with
    least overshoot, else a compact (most-enclosed, randomly perturbed) neighbour; trimmed. None below the floor."""
    members = {seed}
    total = g.pop[seed]
    inside: dict[int, int] = {}          # frontier area -> its neighbours already in the region
    for u in g.nb[seed]:
        if u in allowed:
            inside[u] = inside.get(u, 0) + 1
    while total < floor and inside:
        closing = sorted(u for u in inside if total + g.pop[u] >= floor)
        if closing and rng.random() < 0.9:
            v = min(closing, key=lambda u: total + g.pop[u] - floor + 5 * rng.random())
        else:
            order = sorted(inside)
            score = -noise * rng.random(len(order)) - 0.3 * np.array([inside[u] for u in order])
            v = order[int(np.argmin(score))]
        members.add(v)
        total += g.pop[v]
        del inside[v]
        for u in g.nb[v]:
            if u in allowed and u not in members:
                inside[u] = inside.get(u, 0) + 1
    return trim(g, members, floor) if total >= floor else None


def _best_subset(candidates: list[frozenset[int]], current: list[int], cost: list[float], *, solver: str,
                 max_nodes: int, seconds: float) -> list[int]:
    """The set-packing MIP over ``candidates`` (indices into it returned), warm-started from ``current``."""
    prob, x = set_packing_problem(candidates, [1.0 - c for c in cost], current, name="repack")
    out = solve_problem(prob, name=solver, time_limit=seconds, warm=True, max_nodes=max_nodes)
    if out.status not in ("optimal", "feasible"):  # the warm start is a solution: anything else is a solver fault
        raise SolverError(f"neighbourhood repacking: solver '{solver}' returned {out.status} on a problem with a "
                          "known solution")
    return [j for j in range(len(candidates)) if (x[j].varValue or 0) > 0.5]


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


def repack(graph: nx.Graph, under5: pd.Series, floor: float, regions: list[frozenset[str]], *, bound: int,
           seed: int, seconds: float, solver: str = "highs", sizes: tuple[int, int] = (4, 9), spread: float = 3.0,
           epoch: int = 20, stall: int | None = None, max_nodes: int = 200, tries: int = 6) -> Repacked:
    """Large neighbourhood search over a packing of connected regions at the floor (see the module text).

    ``regions``: disjoint connected regions each with >= ``floor`` children (e.g. from :func:`packing`), at least
    one. Stops at ``bound`` regions, after ``stall`` moves without a gain (default ten per region, at least 100),
    when no area is left over, or after ``seconds``. ``sizes``: regions per neighbourhood (low inclusive, high
    exclusive); ``spread``: corridor links over which the sink's pull falls by a factor e; ``max_nodes``:
    branch-and-bound nodes per move; ``tries``: candidate regions grown from each area per move."""
    if not regions:
        raise ValueError("repack needs at least one region to start from (e.g. from region growing)")
    t0 = time.perf_counter()
    g = _Graph(graph, under5)
    rng = np.random.default_rng(seed)
    packed = [frozenset(g.index[a] for a in r) for r in regions]
    start, moves, since_gain, since_sink = len(packed), 0, 0, epoch
    stall = stall if stall is not None else max(100, 10 * len(packed))
    gains: list[tuple[float, int]] = []
    weight = np.zeros(len(g.nodes))
    stopped = "stall"
    while True:
        progress.best(f"best so far {len(packed)} regions, bound {bound}")
        if len(packed) >= bound:
            stopped = "bound"
            break
        if since_gain >= stall:
            break
        if time.perf_counter() - t0 > seconds:
            stopped = "time"
            break
        owner = np.full(len(g.nodes), -1)
        for k, r in enumerate(packed):
            owner[list(r)] = k
        left = np.flatnonzero(owner < 0)
        if len(left) == 0:   # nothing to gather: every area is in a region
            stopped = "covered"
            break
        if since_sink >= epoch:
            sink = int(left[rng.integers(len(left))])
            hops = g.hops(sink)
            weight = np.exp(-hops / spread)
            since_sink = 0
        since_sink += 1
        moves += 1
        since_gain += 1
        if rng.random() < 0.5:
            by_hops = [int(owner[a]) for a in np.argsort(hops, kind="stable") if owner[a] >= 0 and hops[a] < np.inf]
            centre = by_hops[int(rng.integers(min(3, len(by_hops))))]
        else:
            centre = int(rng.integers(len(packed)))
        size = int(rng.integers(sizes[0], sizes[1]))
        chosen, queue = [centre], [centre]
        while queue and len(chosen) < size:
            k = queue.pop(0)
            adj = sorted({int(owner[u]) for a in packed[k] for u in g.nb[a] if owner[u] >= 0} - set(chosen))
            for k2 in rng.permutation(adj):
                if len(chosen) < size:
                    chosen.append(int(k2))
                    queue.append(int(k2))
        area = set().union(*(packed[k] for k in chosen))
        for _ in range(2):
            area |= {u for a in area for u in g.nb[a] if owner[u] < 0}
        pool = {packed[k] for k in chosen}
        for rep in range(tries):
            for s in sorted(area):
                r = _grow(g, s, area, floor, rng, noise=1 + 0.3 * rep)
                if r is not None:
                    pool.add(r)
        candidates = sorted(pool, key=sorted)
        lam = 1 / (2 * float(g.pop[sorted(area)].sum()))
        cost = [lam * float((g.pop[list(r)] * weight[list(r)]).sum()) for r in candidates]
        current = [candidates.index(packed[k]) for k in chosen]
        best = _best_subset(candidates, current, cost, solver=solver, max_nodes=max_nodes, seconds=5.0)
        old = sum(cost[j] for j in current)
        new = sum(cost[j] for j in best)
        if len(best) > len(chosen) or (len(best) == len(chosen) and new < old - 1e-12):
            keep = [r for k, r in enumerate(packed) if k not in set(chosen)]
            packed = keep + [candidates[j] for j in best]
            if len(best) > len(chosen):
                since_gain, since_sink = 0, epoch
                gains.append((round(time.perf_counter() - t0, 3), len(packed)))
    out = [frozenset(g.nodes[i] for i in r) for r in packed]
    return Repacked(sorted(out, key=sorted), start, moves, time.perf_counter() - t0, stopped, stall, tuple(gains))


def slack(under5: pd.Series, regions: list[frozenset[str]], floor: float) -> tuple[float, float]:
    """(children above the floor inside regions, children in no region) of a packing."""
    covered = sum(float(under5[list(r)].sum()) for r in regions)
    return covered - floor * len(regions), float(under5.sum()) - covered

