"""Exact network capacity where the regions can be listed, and a combinatorial bound where they cannot (max-p).

**Why a packing of minimal regions is exact.** Within one connected corridor component whose children reach the
floor, the most regions a *partition* can have equals the most disjoint connected sets of areas, each with at least
``floor`` children, that can be *packed*: areas left out of a packing join an adjacent region, which keeps every
region connected and at the floor. A packing can always use *minimal* regions, connected sets none of whose members
can be removed keeping the set connected and at the floor (remove such members one by one: the packing stays valid).
So, with R the minimal regions of the graph (every one of them, listed exhaustively)::

    maximise    sum over r in R of z_r
    subject to  sum over r holding a of z_r <= 1      for every area a;      z_r binary

is the network capacity, and the solver's best bound on it is a valid bound on the capacity. Listing R: for each
area v in turn (in a fixed order), every connected set whose first area is v is grown one area at a time, each once
(the frontier areas passed over are barred from the rest of that branch), and a set is kept, not grown further, as
soon as it reaches the floor (every larger set holds it and is not minimal); then only minimal ones are kept. The
listing stops at ``max_regions``: R grows quickly with the number of areas per region (a few thousand for 150 areas
at 3 areas a region, about 114,000 at 5 a region, over 20 million for Norfolk's 538 areas at 7 a region).

**Bound without listing.** For any set A of areas of a connected component C, the regions of a partition of C number
at most ``|A| + sum over the components D of C - A of floor(children(D) / floor)``: the regions meeting A are at most
|A| (each holds an area of A, and regions are disjoint), and every other region lies inside one component of C - A
and holds a floor of its children. ``bound`` is, per component, the least of this over the sets A it tries:
A empty (children / floor); each single cut area (all regions meeting it are one region); and a *separator* grown
greedily (:meth:`_Bits.separated`), which starts from the areas holding a floor each on their own (taking such an
area into A adds 1 and takes at least one floor away, so never raises the bound) and adds any area whose removal
lowers the bound. Never above children / floor; below it where children are stranded behind cut areas (a peninsula,
a chain of villages on one road) or where a few areas hold far more than a floor each (a city among rural
counties: each makes one region however many floors it holds). On the public libpysal instances with population
floors (St Louis counties, 78 areas, floor 5% of the population: 15 against children / floor's 20) this is what
proves the plan optimal.

**Band check: is the bound itself reachable?** In a partition of a connected component holding T children into q
regions, each at the floor F, every region holds at most ``T - F (q - 1)`` children (the other q - 1 hold F each at
least). When T is just above F q this *band* [F, T - F (q - 1)] is narrow, and the connected sets of areas whose
children fall in it are few. :func:`band` lists them all and asks the set-partitioning model whether q of them cover
every area exactly once::

    find        z_s binary, s a connected set with F <= children(s) <= T - F (q - 1)
    subject to  sum over s holding a of z_s = 1      for every area a;      sum over s of z_s = q

Infeasible proves the component has at most q - 1 regions (a partition into more than q regions would give one into
q: merging two adjacent regions keeps them connected and at the floor). Feasible gives a plan of q regions. The
listing grows every connected set once, as above, but keeps growing a set in the band (a superset can still be in
it) and drops a set as soon as it holds more than the band's top. It pays where the slack T - F q is a few children
per region at most (London boroughs at 13-16 children of slack); wider bands list too many sets, and the listing
stops at a cap.

**Band search, without listing.** Where the target is the component's simple bound (q = floor(T / F), so the slack
T - F q is below one floor) and the slack is at most ``SEARCH_SLACK`` floors, :func:`band` first searches for the
partition depth first instead of listing the band.
In a connected set U holding q floors (and its slack), it picks the most constrained area (of the first area in a
breadth-first order from the edge of the graph and the 15 areas with fewest neighbours in U: the one with fewest
options, counted up to a cap that grows until one is counted in full) and tries each connected set S holding it with
children in the band of U. Every component C of U - S must then hold exactly floor(children(C) / F) regions, at least
one: the floors of U - S sum to at most q - 1, so a component whose floor is lost or that holds less than a floor
leaves too few regions, and S is not tried. Each component is searched on its own in the same way (its own band,
its own target), and a set U found impossible is remembered. The search is exact: it either finds a partition, or has
tried every way to place the chosen area, or stops at its time and decides nothing. It settles in seconds many
authorities whose bands hold millions of sets (where the cause is local, such as an area that fits no set in the
band); where regions are large, the sets below the floor it grows on the way are too many, and it stops undecided.

**Band search over the listed band.** Where the band can be listed (up to :data:`MAX_LISTED` sets, a share of the
time), :func:`band` lists it first and searches over the list instead (:func:`cover_listed`): the same search, but
each area's options in the set being split are counted exactly (the listed sets inside it and in its band, with
numpy), so it always branches on the area with fewest, and a set found splittable is remembered too. Swindon's band
(132 areas, a slack of 15 children, 198,268 sets), which neither the set-partitioning model (120 s) nor the search
without a listing decided, is settled in 3.7 s: 23 regions are out of reach.

Tested against exhaustive enumeration of every partition on small generated graphs (``tests/test_maxp_exact.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from functools import cached_property

import networkx as nx

from ..solvers import Outcome, Status, solve_set_packing, solve_set_partition


@dataclass(frozen=True)
class Exact:
    """What the set-packing MIP over every minimal region proved.

    ``regions`` is the best packing found (disjoint connected node sets, each at the floor; nodes left out join an
    adjacent region later). ``count == bound`` when proven. ``listed`` is the number of minimal regions, or None when
    there were more than ``max_regions`` (then nothing was solved and ``bound`` is the combinatorial one)."""

    count: int
    regions: list[frozenset]
    bound: int
    proven: bool
    listed: int | None
    seconds: float
    outcome: Outcome | None = None


class _Bits:
    """A graph with node sets as Python integers (bit k = node k, nodes in sorted order)."""

    def __init__(self, graph: nx.Graph, weight: dict, floor: float, order: list | None = None):
        self.nodes = sorted(graph.nodes, key=str) if order is None else list(order)
        idx = {v: k for k, v in enumerate(self.nodes)}
        self.adj = [0] * len(self.nodes)
        for u, v in graph.edges:
            if u != v:
                self.adj[idx[u]] |= 1 << idx[v]
                self.adj[idx[v]] |= 1 << idx[u]
        self.w = [float(weight[v]) for v in self.nodes]
        self.whole = all(x.is_integer() and abs(x) < 2 ** 50 for x in self.w)   # sums exact in any order
        self.floor = float(floor)
        self.all = (1 << len(self.nodes)) - 1

    @cached_property
    def graph(self) -> nx.Graph:
        """The same graph on positions, for networkx's own algorithms: built from ``adj`` when first asked for (only
        the cut-area bound does), not by every listing and search that makes a ``_Bits``."""
        g = nx.Graph()
        g.add_nodes_from(range(len(self.nodes)))
        g.add_edges_from((k, j) for k, a in enumerate(self.adj) for j in bits(a) if j > k)
        return g

    def weight(self, mask: int) -> float:
        return sum(self.w[k] for k in bits(mask))

    def around(self, f: int, within: int) -> int:
        """The areas of ``within`` next to an area of ``f``."""
        adj, nb = self.adj, 0
        while f:
            b = f & -f
            nb |= adj[b.bit_length() - 1]
            f ^= b
        return nb & within

    def components(self, mask: int) -> list[int]:
        out = []
        while mask:
            comp = front = mask & -mask
            while front:
                front = self.around(front, mask) & ~comp
                comp |= front
            out.append(comp)
            mask &= ~comp
        return out

    def pieces(self, u: int, s: int) -> list[int]:
        """The components of ``u - s`` for a *connected* ``u``, as :meth:`components` gives them (the same sets, in
        the same order), found near ``s``. Every component of ``u - s`` holds a neighbour of ``s``. The neighbours
        form groups (those linked to each other); the smallest group grows by one ring of areas at a time, a group
        that meets another becomes one with it, and a group that cannot grow is a whole component. Once one group
        is left, all that is left is one component. So where ``s`` does not cut ``u`` (most sets the band searches
        try) only a few rings around ``s`` are searched, and where it cuts off small pieces only those are, never
        the large rest of ``u``."""
        rest = u & ~s
        groups = [[c, c] for c in self.components(self.around(s, rest))]   # [areas reached, the last ring]
        out = []
        while len(groups) > 1:
            g = min(groups, key=lambda grp: grp[0].bit_count())
            g[1] = self.around(g[1], rest) & ~g[0]
            if not g[1]:                 # it cannot grow: a whole component
                out.append(g[0])
                rest &= ~g[0]
                groups.remove(g)
                continue
            g[0] |= g[1]
            for other in [o for o in groups if o is not g and o[0] & g[0]]:   # met: one group
                g[0] |= other[0]
                g[1] |= other[1]
                groups.remove(other)
        if rest:
            out.append(rest)
        return sorted(out, key=lambda c: c & -c)

    def simple(self, mask: int) -> int:
        return self.floors(self.weight(mask))

    def floors(self, children: float) -> int:
        """How many whole floors ``children`` make."""
        return math.floor(children / self.floor + 1e-9)

    def bound(self, comp: int) -> int:
        """The combinatorial bound (module docstring) of one connected set ``comp``: the least of children / floor,
        the cut-area bound and the separator bound."""
        best = self.simple(comp)
        if best > 1:
            for a in self.cut_areas(comp):   # only a cut area leaves more than one component behind
                rest = self.components(comp & ~(1 << a))
                best = min(best, 1 + sum(self.simple(d) for d in rest))
            best = min(best, self.separated(comp)[0])
        return best

    def cut_areas(self, mask: int) -> list[int]:
        """The cut areas (articulation points) of the areas in ``mask``, lowest first: those whose removal leaves
        more components of ``mask`` than before (networkx, linear in the areas and links)."""
        return sorted(nx.articulation_points(self.graph.subgraph(list(bits(mask)))))

    def separated(self, comp: int) -> tuple[int, int]:
        """The separator bound of one connected set ``comp`` (module docstring) and its separator A, grown
        greedily: every area holding a floor on its own (which never raises the bound), then, pass after pass in
        area order, any area whose removal lowers it, until none does or :data:`SEPARATOR_PASSES` passes are made
        (every A gives a valid bound, so stopping early only leaves it less sharp).

        Only a cut area of what is left (``comp`` less A) can lower it, so only those are tried: any other area
        holds less than a floor (those holding one are in A from the start) and leaves its component connected, so
        taking it adds 1 to ``|A|`` and takes at most one floor away (floor(x) - floor(x - y) <= 1 for y < 1). The
        bound and A are those of trying every area in turn, found with one linear search for cut areas a pass (and
        one more each time A grows) instead of a search of the components for every area."""
        def value(sep: int) -> int:
            return sep.bit_count() + sum(self.simple(d) for d in self.components(comp & ~sep))
        sep = sum(1 << k for k in bits(comp) if self.w[k] >= self.floor)
        best = value(sep)
        for _ in range(SEPARATOR_PASSES):
            improved = False
            cuts = set(self.cut_areas(comp & ~sep))
            for k in bits(comp & ~sep):
                if k not in cuts:
                    continue
                v = value(sep | 1 << k)
                if v < best:
                    best, sep, improved = v, sep | 1 << k, True
                    cuts = set(self.cut_areas(comp & ~sep))   # what is left has changed
            if not improved:
                break
        return best, sep

    def minimal(self, s: int, ws: float, lightest: float) -> bool:
        """No member of ``s`` can be removed keeping it connected and at the floor (``ws``: its children;
        ``lightest``: the fewest children of a member, which settles most sets at once)."""
        if ws - lightest < self.floor:
            return True
        heavy = [u for u in bits(s) if ws - self.w[u] >= self.floor]    # members whose loss keeps it at the floor
        return not any(len(self.components(s & ~(1 << u))) == 1 for u in heavy)

    def regions_from(self, v: int, allowed: int, top: float | None = None) -> Iterator[tuple[int, float, float]]:
        """Every connected set inside ``allowed`` holding ``v`` that reaches the floor while each smaller set on its
        way did not, each once (the listing of the module docstring; minimality is checked by the caller), with its
        children and the fewest children of a member; each set grown below the floor on the way is yielded as 0 (a
        step, so that the caller can stop a listing that grows without end). With ``top`` (the band check), sets at
        the floor are grown on while they hold at most ``top`` children, and every set above ``top`` is dropped:
        then every connected set holding ``v`` with children between the floor and ``top`` is yielded, each once."""
        w, adj, floor = self.w, self.adj, self.floor
        if top is not None and w[v] > top:
            return
        if w[v] >= floor:
            yield 1 << v, w[v], w[v]
            if top is None:
                return
        band = top is not None
        most = top if band else math.inf
        stack = [(1 << v, w[v], w[v], adj[v] & allowed, 0)]
        while stack:
            s, ws, light, frontier, barred = stack.pop()
            f = frontier
            while f:
                b = f & -f
                f ^= b
                u = b.bit_length() - 1
                wu = w[u]
                s2, w2, light2 = s | b, ws + wu, light if light < wu else wu
                if w2 > most:                                    # so is every set holding it: not grown
                    continue
                if w2 >= floor:
                    yield s2, w2, light2
                    if not band:                                 # every larger set holds it: not minimal
                        continue
                bar = barred | (frontier & (b - 1))              # frontier areas passed over before u
                stack.append((s2, w2, light2, (f | adj[u]) & allowed & ~s2 & ~bar, bar))
                if w2 < floor:
                    yield 0, w2, light2                          # a set below the floor: a step, not a region


#: Passes of the separator's greedy growth at most (:meth:`_Bits.separated`): each pass tries every area once (0.3 s
#: on Kent's 902 areas); real geographies stop after one or two.
SEPARATOR_PASSES = 10

#: Sets grown below the floor that the listing may visit per minimal region it is allowed (see :func:`_list`).
STEPS_PER_REGION = 20


def bits(mask: int) -> Iterator[int]:
    """The positions of the set bits of ``mask``, lowest first."""
    while mask:
        b = mask & -mask
        yield b.bit_length() - 1
        mask ^= b


def bound(graph: nx.Graph, weight: dict[Hashable, float], floor: float) -> int:
    """The combinatorial upper bound of the module docstring, summed over the components of ``graph`` (regions)."""
    return sum(q for _, q in component_bounds(graph, weight, floor))


def component_bounds(graph: nx.Graph, weight: dict[Hashable, float], floor: float) -> list[tuple[frozenset, int]]:
    """Each connected component of ``graph`` (its nodes) with its combinatorial bound (module docstring)."""
    g = _Bits(graph, weight, floor)
    return [(frozenset(g.nodes[k] for k in bits(c)), g.bound(c)) for c in g.components(g.all)]


def minimal_regions(graph: nx.Graph, weight: dict[Hashable, float], floor: float, *,
                    max_regions: int = 100_000) -> list[frozenset] | None:
    """Every minimal region of ``graph`` (module docstring), or None if there are more than ``max_regions``."""
    g = _Bits(graph, weight, floor)
    found = _list(g, max_regions)
    return None if found is None else [frozenset(g.nodes[k] for k in bits(r)) for r in found]


def _list(g: _Bits, max_regions: int) -> list[int] | None:
    """Every minimal region, or None past ``max_regions`` of them or past ``STEPS_PER_REGION * max_regions`` sets
    grown on the way (sets below the floor, which can be many more than the regions when regions are large)."""
    out: list[int] = []
    steps = 0
    for v in range(len(g.nodes)):
        allowed = g.all & ~((1 << v) - 1)                         # v and the areas after it
        for r, wr, light in g.regions_from(v, allowed):
            steps += 1
            if steps > STEPS_PER_REGION * max_regions:
                return None
            if r and g.minimal(r, wr, light):
                out.append(r)
                if len(out) > max_regions:
                    return None
    return out


def solve(graph: nx.Graph, weight: dict[Hashable, float], floor: float, *, seconds: float = 60.0,
          max_regions: int = 100_000, solver: str = "highs", start: list[frozenset] = (),
          cut_bound: int | None = None, threads: int | None = None) -> Exact:
    """The most regions (connected, each with at least ``floor`` children; ``weight``: node -> children) packable in
    ``graph``, by the set-packing MIP over every minimal region, within ``seconds``. ``start``: a known packing (its
    regions are trimmed to minimal ones and given to the solver as a start). ``cut_bound``: :func:`bound` of the
    same graph, if the caller has it already. ``threads``: the solver's (default: all cores)."""
    t0 = time.perf_counter()
    g = _Bits(graph, weight, floor)
    comb = sum(g.bound(c) for c in g.components(g.all)) if cut_bound is None else cut_bound
    listed = _list(g, max_regions)
    if listed is None:
        return Exact(0, [], comb, False, None, time.perf_counter() - t0)
    if not listed:                                                # no connected set reaches the floor
        return Exact(0, [], 0, True, 0, time.perf_counter() - t0)
    index = {v: k for k, v in enumerate(g.nodes)}
    start_masks = {_trimmed(g, sum(1 << index[a] for a in r)) for r in start}
    out, picked = solve_set_packing([list(bits(r)) for r in listed], len(g.nodes), name=solver, threads=threads,
                                    time_limit=max(seconds - (time.perf_counter() - t0), 1.0),
                                    start=[k for k, r in enumerate(listed) if r in start_masks])
    chosen = [listed[k] for k in picked]
    best = min(comb, math.floor(out.bound + 1e-6)) if out.bound is not None else comb
    regions = [frozenset(g.nodes[k] for k in bits(r)) for r in chosen]
    return Exact(len(chosen), regions, max(best, len(chosen)), out.status == "optimal" or len(chosen) >= best,
                 len(listed), time.perf_counter() - t0, out)


@dataclass(frozen=True)
class Band:
    """What the band check (module docstring) of one connected component found for ``target`` regions.

    ``reachable`` is True with ``regions`` a partition of the component into ``target`` connected regions at the
    floor, False when no such partition exists (so at most ``target - 1`` regions), None when undecided: more than
    ``max_regions`` sets in the band for the model (``listed``: None if they were too many to list, else how many)
    or no answer in the time. ``searched``: the number of sets of areas the band search (module docstring) split,
    when it ran; ``method``: what decided it ("search" or "listing"), None when undecided."""

    target: int
    top: float             # the most children a region can hold in a partition into ``target`` regions
    reachable: bool | None
    regions: list[frozenset]
    listed: int | None
    seconds: float
    searched: int | None = None
    method: str | None = None


def band_sets(g: _Bits, top: float, max_regions: int, *, until: float | None = None) -> list[int] | None:
    """Every connected set with children between the floor and ``top``, each once (:meth:`_Bits.regions_from` with
    ``top``), or None past ``max_regions`` of them, past ``STEPS_PER_REGION * max_regions`` sets grown on the way, or
    past the clock time ``until`` (``time.perf_counter()``)."""
    out: list[int] = []
    steps = 0
    for v in range(len(g.nodes)):
        allowed = g.all & ~((1 << v) - 1)                         # v and the areas after it
        for r, _, _ in g.regions_from(v, allowed, top):
            if r == 1 << v:                                       # the area alone: not a set grown
                out.append(r)
                continue
            steps += 1
            if r:
                out.append(r)
            if steps > STEPS_PER_REGION * max_regions or len(out) > max_regions:
                return None
            if until is not None and steps % 4096 == 0 and time.perf_counter() > until:
                return None
    return out


def band(graph: nx.Graph, weight: dict[Hashable, float], floor: float, target: int, *, seconds: float = 60.0,
         max_regions: int = 100_000, solver: str = "highs", search_share: float = 0.5,
         threads: int | None = None) -> Band:
    """The band check (module docstring): can the connected ``graph`` (``weight``: node -> children) be partitioned
    into exactly ``target`` connected regions of ``floor`` children or more?

    Where ``target`` is floor(children / floor) (search_share > 0), the band's sets are listed first, up to
    :data:`LISTED_PER_SECOND` a second of ``seconds`` (at most :data:`MAX_LISTED`) and within half of ``seconds``:
    listed, the search over them (:func:`cover_listed`) decides it, within ``search_share`` of the time left where
    the set-partitioning model can follow (at most ``max_regions`` sets), else within all of it; too many to list
    and a slack of at most ``SEARCH_SLACK`` floors, the band search without a listing (:func:`partition_search`)
    has the rest of the time. Otherwise, or undecided, the set-partitioning model over every set in the band (at
    most ``max_regions``), within the rest. ``threads``: the solver's (default: all cores)."""
    t0 = time.perf_counter()
    g = _Bits(graph, weight, floor)
    top = sum(g.w) - g.floor * (target - 1)
    if target < 1 or top < g.floor:
        return Band(target, top, False, [], 0, time.perf_counter() - t0)
    searchable = (search_share > 0 and target == g.simple(g.all) and len(g.components(g.all)) == 1)
    cap = max(max_regions, min(MAX_LISTED, int(LISTED_PER_SECOND * seconds))) if searchable else max_regions
    listed = band_sets(g, top + 1e-9, cap, until=t0 + seconds / 2)
    if listed is not None and not listed:
        return Band(target, top, False, [], 0, time.perf_counter() - t0, None, "listing")
    searched = None

    def left() -> float:
        return seconds - (time.perf_counter() - t0)

    def decided(regions: list[frozenset] | bool, count: int | None) -> Band:
        return Band(target, top, bool(regions), regions or [], count, time.perf_counter() - t0, searched, "search")

    if searchable and listed is not None:
        share = search_share if len(listed) <= max_regions else 1.0
        found, searched = cover_listed(g, listed, seconds=share * left())
        if found is not None:
            return decided(found and [frozenset(g.nodes[k] for k in bits(r)) for r in found], len(listed))
    elif searchable and top - g.floor <= SEARCH_SLACK * g.floor:
        found, searched = partition_search(graph, weight, floor, seconds=max(left(), 0.0))
        if found is not None:
            return decided(found, None)
    if listed is None or len(listed) > max_regions:   # too many to list, or for the model
        return Band(target, top, None, [], None if listed is None else len(listed), time.perf_counter() - t0,
                    searched)
    status, picked = solve_set_partition([list(bits(r)) for r in listed], len(g.nodes), target, name=solver,
                                         threads=threads, time_limit=max(left(), 1.0))
    regions = [frozenset(g.nodes[k] for k in bits(listed[j])) for j in picked]
    reachable = True if status == Status.OPTIMAL else False if status == Status.INFEASIBLE else None
    return Band(target, top, reachable, regions if reachable else [], len(listed), time.perf_counter() - t0,
                searched, None if reachable is None else "listing")


#: Sets in the band :func:`band` may list, per second of its time, for the search over them (:func:`cover_listed`):
#: listing runs at 130,000-600,000 sets a second here, and the search's tables take about 1 s per 200,000 sets.
#: Swindon's band (198,268 sets, a slack of 15 children) is listed in 1.5 s and searched in 2.2 s.
LISTED_PER_SECOND = 50_000
#: The most sets listed for that search (memory: about 100 bytes a set).
MAX_LISTED = 500_000


def cover_listed(g: _Bits, listed: list[int], *, seconds: float) -> tuple[list[int] | bool | None, int]:
    """The band search (module docstring) over the band's listed sets, for a connected ``g`` whose target is its
    simple bound (``listed``: every connected set of ``g`` with children between the floor and the top of the band
    of ``g.all``, :func:`band_sets`). Where :func:`partition_search` grows the sets holding a few candidate areas and
    counts them up to a cap, this counts every area's options exactly (the listed sets inside the set being split
    and in its band, with numpy) and branches on the area with fewest; the rest is the same: each set S tried must
    leave components of whole floors, each split on its own (the tightest first), and a set found impossible, or
    split, is remembered. Returns a partition (bit masks) of ``g.all`` into floor(children / floor) regions, False if
    none exists, None if not decided within ``seconds`` (its tables included); and the number of sets split."""
    import numpy as np
    t0 = time.perf_counter()
    n, m = len(g.nodes), len(listed)
    words = (n + 63) // 64
    low = (1 << 64) - 1
    packed = np.array([[(r >> (64 * k)) & low for k in range(words)] for r in listed], dtype=np.uint64)
    packed = packed.reshape(m, words)
    members = [list(bits(r)) for r in listed]
    start = np.cumsum([0] + [len(ms) for ms in members])
    flat = np.fromiter((k for ms in members for k in ms), dtype=np.int64, count=int(start[-1]))
    sizes = np.diff(start)
    children = np.add.reduceat(np.asarray(g.w)[flat], start[:-1]) if m else np.zeros(0)

    def inside(u: int, sets: np.ndarray, top: float) -> np.ndarray:
        """The sets among ``sets`` inside ``u`` with at most ``top`` children."""
        outside = np.array([(~u >> (64 * k)) & low for k in range(words)], dtype=np.uint64)
        keep = ((packed[sets] & outside) == 0).all(axis=1) & (children[sets] <= top + 1e-9)
        return sets[keep]

    def branch(u: int, wu: float, q: int, top: float, sets: np.ndarray):
        """The sets to try for ``u`` (``sets``: the listed sets that may lie inside it) and those to hand down."""
        if time.perf_counter() - t0 > seconds:
            raise _OutOfTime
        mine = inside(u, sets, top)
        lens = sizes[mine]          # each area's options: the sets of ``mine`` holding it
        at = np.repeat(start[mine] - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
        counts = np.bincount(flat[at], minlength=n)
        area = min(bits(u), key=lambda a: (counts[a], a))
        chosen = mine[(packed[mine, area // 64] & np.uint64(1 << (area % 64))) != 0]
        return (t for t in (_leaves(g, u, listed[j], q, wu, float(children[j])) for j in chosen)
                if t is not None), mine

    search = _Splitter(g, branch, tightest_first=True)
    try:
        found = search.split(g.all, g.weight(g.all), np.arange(m))
    except _OutOfTime:
        return None, search.branched
    return (found if found is not None else False), search.branched


def _leaves(g: _Bits, u: int, s: int, q: int, wu: float, ws: float) -> tuple[int, list[tuple[int, float]]] | None:
    """``s`` with the components of ``u - s`` and their children, where those can take the q - 1 other regions of
    ``u`` (each holds whole floors, at least one, and they sum to q - 1), else None. ``u`` is connected; ``wu`` and
    ``ws``: the children of ``u`` and ``s``. With whole children (exact sums) the largest component's are ``wu - ws``
    less the others', not summed again."""
    parts = g.pieces(u, s)
    if g.whole and parts:
        big = max(range(len(parts)), key=lambda k: parts[k].bit_count())
        sizes = [0.0 if k == big else g.weight(c) for k, c in enumerate(parts)]
        sizes[big] = wu - ws - sum(sizes)
    else:
        sizes = [g.weight(c) for c in parts]
    comps = list(zip(parts, sizes, strict=True))
    floors = [g.floors(wc) for wc in sizes]
    return (s, comps) if min(floors, default=1) >= 1 and sum(floors) == q - 1 else None


class _Splitter:
    """The depth-first split both band searches share (module docstring). ``branch(u, wu, q, top, data)`` gives the
    sets S to try for the connected set ``u`` (``wu`` children, q regions, each at most ``top`` children), each with
    the components of u - S that can take the q - 1 others (:func:`_leaves`), and the data to hand down to those; each
    component is split in turn (the tightest first: least children above its floors; or the lightest first), and a
    set found impossible, or split, is remembered."""

    def __init__(self, g: _Bits, branch, *, tightest_first: bool):
        self.g, self.branch, self.tightest_first = g, branch, tightest_first
        self.impossible: set[int] = set()
        self.possible: dict[int, list[int]] = {}
        self.branched = 0

    def _order(self, cw: tuple[int, float]) -> tuple:
        return (cw[1] - self.g.floor * self.g.floors(cw[1]), cw[1]) if self.tightest_first else (cw[1],)

    def split(self, u: int, wu: float, data=None) -> list[int] | None:
        """A partition of the connected ``u`` (``wu`` children) into its floors' worth of regions, or None."""
        q = self.g.floors(wu)
        if q == 1:
            return [u]
        if u in self.impossible:
            return None
        if u in self.possible:
            return self.possible[u]
        self.branched += 1
        tries, down = self.branch(u, wu, q, wu - self.g.floor * (q - 1), data)
        for s, comps in tries:
            parts = [s]
            for c, wc in sorted(comps, key=self._order):
                sub = self.split(c, wc, down)
                if sub is None:
                    break
                parts += sub
            else:
                self.possible[u] = parts
                return parts
        self.impossible.add(u)
        return None


#: The widest slack (children above target x floor, as a share of the floor) at which :func:`band` runs the band
#: search. On the English authorities one region short at 25 s it decided slacks of 13-85 children (a floor of 600),
#: and none of 90-150 in 2.5 s; with slacks of 400-600 (bands up to 1,000 children or more) it does not get past its
#: first choice. Where it cannot decide, its seconds are lost to the heuristics (benchmarks/README.md).
SEARCH_SLACK = 0.15

#: Areas the band search weighs before it branches: the first in breadth-first order and those with fewest
#: neighbours left. Measured on the 52 English authorities one region short of their bound at 25 s (5 s each):
#: 4 areas decide 4 of them, 16 decide 5, every area 3 (benchmarks/README.md).
SEARCH_CANDIDATES = 16


class _OutOfTime(Exception):
    pass


def partition_search(graph: nx.Graph, weight: dict[Hashable, float], floor: float, *,
                     seconds: float = 10.0) -> tuple[list[frozenset] | bool | None, int]:
    """The band search of the module docstring on ``graph`` (``weight``: node -> children): a partition of each
    connected component into floor(its children / ``floor``) connected regions, each with ``floor`` children or more
    (a list of node sets), False if none exists, None if not decided within ``seconds``; and the number of sets of
    areas it split (branched on)."""
    t0 = time.perf_counter()
    order = []
    for comp in sorted(nx.connected_components(graph), key=lambda c: min(map(str, c))):
        first = min(comp, key=str)
        edge = list(nx.bfs_tree(graph, first))[-1]        # an area far from the first: the edge of its component
        order += list(nx.bfs_tree(graph, edge))
    g = _Bits(graph, weight, floor, order=order)
    steps = 0

    def options(v: int, u: int, wu: float, q: int, top: float,
                cap: float) -> list[tuple[int, list[tuple[int, float]]]] | None:
        """Each set S holding ``v`` in the band of ``u`` (``wu`` children) whose removal leaves components that can
        take the q - 1 other regions, with those components and their children; None past ``cap`` of them."""
        nonlocal steps
        out = []
        for s, ws, _ in g.regions_from(v, u, top + 1e-9):
            steps += 1
            if steps % 512 == 0 and time.perf_counter() - t0 > seconds:
                raise _OutOfTime
            if s and (tried := _leaves(g, u, s, q, wu, ws)) is not None:
                out.append(tried)
                if len(out) > cap:
                    return None
        return out

    def branch(u: int, wu: float, q: int, top: float, _):
        """The sets to try for ``u``: those holding the area with fewest options, of a few weighed."""
        members = list(bits(u))
        fewest = sorted(members, key=lambda k: ((g.adj[k] & u).bit_count(), k))
        weigh = [members[0]] + [k for k in fewest[:SEARCH_CANDIDATES] if k != members[0]][: SEARCH_CANDIDATES - 1]
        best, cap = None, 4
        while best is None:                               # the area with fewest options, each counted up to cap
            for v in weigh:
                got = options(v, u, wu, q, top, cap if best is None else min(cap, len(best)))
                if got is not None and (best is None or len(got) < len(best)):
                    best = got
                    if not best:
                        break
            cap *= 4
        return best, None

    search = _Splitter(g, branch, tightest_first=False)
    found: list[int] = []
    try:
        for comp in g.components(g.all):
            wc = g.weight(comp)
            part = search.split(comp, wc) if g.floors(wc) >= 1 else None
            if part is None:
                return False, search.branched
            found += part
    except _OutOfTime:
        return None, search.branched
    return [frozenset(g.nodes[k] for k in bits(p)) for p in found], search.branched


def _trimmed(g: _Bits, s: int) -> int:
    """``s`` with members removed (highest position first) while it stays connected and at the floor."""
    changed = True
    while changed:
        changed = False
        ws = g.weight(s)
        for u in sorted(bits(s), reverse=True):
            if s != 1 << u and ws - g.w[u] >= g.floor and len(g.components(s & ~(1 << u))) == 1:
                s &= ~(1 << u)
                changed = True
                break
    return s
