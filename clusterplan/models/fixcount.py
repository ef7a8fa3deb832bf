"""One region more: a fixed-count search that closes the children short of the floor.

Region growing and the local search (:mod:`.capacity`) add regions while they find room for them; near the bound
they stall, because one region more needs ``floor`` children of slack gathered in one place and few are left (Norfolk
at 73 regions has 401 children of slack, about 5 a region). This search asks for ``p + 1`` regions directly:

1. split the region with most children in two (the spanning-tree cut that balances them best), so ``p + 1``
   connected regions cover every area, some of them below the floor;
2. minimise the *shortfall*, the children missing below the floor summed over the regions, first by simulated
   annealing (:func:`anneal`: single areas moved across a corridor link and two-area swaps, every region kept
   connected; compiled, :mod:`.kernels`), which brings Norfolk's shortfall from about 500 to a few tens of
   children, and then
3. by *pair recombination* (:func:`recombine`, after ReCom in GerryChain's redistricting chains): merge a region
   (half the time one short of the floor) with an adjacent one, draw a random spanning tree of the pair and cut the
   edge that leaves the least shortfall, preferring cuts that leave spare children in the region nearer the regions
   still short. One step re-draws a whole pair, where annealing moves one area; on Norfolk at 73 it takes the
   shortfall left by annealing (20-60 children) to a few children in seconds, and sometimes to 0; then
4. by *deficit-pushing chains* (:func:`chains`): the region short of the floor and an adjacent region are re-drawn
   exactly (:func:`pair_splits` lists every cut of their areas into two connected parts), so that the short one
   reaches the floor with at most ``spare`` children over and the other takes the rest; the other is now short by
   the old deficit less its spare children, and the deficit passes on along a chain of regions, each re-drawn once,
   until it meets spare children enough (a beam search over such chains, :func:`push`). Where no chain lowers a
   deficit, a short random walk of pair recombination moves to another plan of about the same shortfall and the
   chains try again. One chain re-draws many regions at once, each exactly, where recombination cuts random trees:
   on Norfolk at 73, from six states that annealing and recombination left 6-34 children short, the chains and
   walks reached 0 in 5-61 s in five of them (`benchmarks/README.md`); then, optionally (``patience`` > 0; off by
   default, restarts do better since the steps above are compiled),
5. by moves that are small exact MIPs over a *window*: a region short of the floor and adjacent regions (3 to
   ``max_window`` of them, added at random). Each window region keeps one *root* area, drawn from those its
   current members are shortest-path-shaped around, and the MIP re-assigns the window's areas (PuLP, the
   scenario's solver)::

       minimise    sum_r s_r  +  eps * sum_{a,r} u_{ar} x_{ar}
       subject to  sum_r x_{ar} = 1                                  each window area a
                   x_{root(r), r} = 1                                each window region r
                   x_{ar} <= sum_{b in N(a), h_r(b) = h_r(a) - 1} x_{br}    (a not the root)
                   sum_a p_a x_{ar} + s_r >= floor,   s_r >= 0,   x binary

   where ``h_r`` counts corridor links from r's root inside the window (the precedence rows keep every region
   connected: each member has a neighbour one link nearer the root in the same region) and ``u`` is a seeded
   tie-break in [0, 1) (``eps`` = 0.001 children), so that moves with the same shortfall still change the plan;
   warm-started from the current regions (always feasible) and limited by a node count. The window's new regions
   are taken when their shortfall is not higher. Annealing alone stalls a few children short on Norfolk; the
   windows close the last children (they see re-arrangements of several regions at once);
6. restart: each round anneals again from the split with another seed, then recombines and chains (until
   ``chain_patience`` walks pass without a lower shortfall), keeping the round with least shortfall. The annealing
   schedule doubles from round to round (2,500 moves per area, then 5,000, then 10,000 in every later round): a
   region more where children are to spare is found in the first, short round (Lincolnshire at 61 of a bound of
   62: 0.4-1.5 s in 7 of 8 runs with 1,000-3,000 moves per area, against 2.4-3.2 s with 10,000), and the last
   region below the bound gets the long schedule. The window MIPs, when asked for, run in the rounds that use the
   longest schedule, after the chains, until ``patience`` windows pass without lowering the shortfall. A round
   takes seconds on Norfolk, so the restarts, not the MIPs, find the last region (:func:`one_more`).

A shortfall of 0 is a plan of ``p + 1`` regions, each connected and at the floor. When the target is the bound,
that plan is optimal: on Norfolk 2020 at the 600 floor it finds the 73 regions the bound allows.

Deterministic for a seed: the annealing schedule runs by move count, recombination stops by step count, each chain
search by the pairs it looks at, windows, roots, trees and tie-breaks come from seeded generators and each MIP is
limited by a node count; only the ``seconds`` limit can stop a run at a point that depends on the machine.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from operator import itemgetter

import networkx as nx
import numpy as np
import pandas as pd
import pulp

from ..solvers import solve_problem
from . import kernels
from .packing import _Graph

#: Annealing moves per area in the first round (doubling each round up to ``max_moves_per_area``).
FIRST_MOVES = 2_500

#: Pairs of regions whose re-draws :func:`push` keeps for :func:`chains` (at most ``per`` cuts each; the cache
#: starts afresh when full, so it holds at most about 100 MB).
MEMO_PAIRS = 20_000


@dataclass(frozen=True)
class FixedCount:
    """The outcome of :func:`one_more`: the regions (sets of area codes, a partition of the areas) and how far the
    search got. ``shortfall`` is 0 when every region reaches the floor."""

    regions: list[frozenset[str]]
    split: int             # shortfall after the split (children)
    annealed: int          # shortfall after annealing, in the round returned (children)
    recombined: int        # shortfall after pair recombination, in the round returned (children)
    chained: int           # shortfall after the deficit-pushing chains, in the round returned (children)
    shortfall: int         # shortfall at the end (children): 0 is a plan
    rounds: int            # annealing runs (each followed by recombination, chains and window MIPs)
    windows: int           # window MIPs solved, all rounds
    annealing_seconds: float
    recombining_seconds: float
    chaining_seconds: float
    seconds: float


def split_largest(g: _Graph, label: list[int]) -> list[int]:
    """Split the region with most children (of those with two areas or more) into two connected parts (the
    spanning-tree edge whose removal balances their children best); returns labels with one region more (the new
    one numbered last)."""
    parts = max(label) + 1
    sums = np.bincount(label, weights=g.pop, minlength=parts)
    sizes = np.bincount(label, minlength=parts)
    if sizes.max() < 2:
        raise ValueError("split_largest: every region is a single area")
    k = int(np.argmax(np.where(sizes > 1, sums, -np.inf)))
    members = [i for i in range(len(label)) if label[i] == k]
    h = nx.Graph()
    h.add_nodes_from(members)
    h.add_edges_from((i, j) for i in members for j in g.nb[i] if label[j] == k)
    tree = nx.minimum_spanning_tree(h)
    best: tuple[float, set[int]] | None = None
    for e in sorted(tree.edges):
        tree.remove_edge(*e)
        side = nx.node_connected_component(tree, e[0])
        off = abs(float(g.pop[list(side)].sum()) - sums[k] / 2)
        if best is None or off < best[0]:
            best = (off, set(side))
        tree.add_edge(*e)
    assert best is not None   # the region has two areas or more, so its spanning tree has an edge
    return [parts if i in best[1] else label[i] for i in range(len(label))]


def _regions(label: list[int], pop: list[int], parts: int) -> tuple[list[set[int]], list[int]]:
    """Each region's areas and children (labels 0..parts-1 per area)."""
    members: list[set[int]] = [set() for _ in range(parts)]
    sums = [0] * parts
    for i, r in enumerate(label):
        members[r].add(i)
        sums[r] += pop[i]
    return members, sums


def _arrays(g: _Graph, label: list[int]) -> tuple[np.ndarray, ...]:
    """The compiled kernels' view of a partition (:mod:`.kernels`): children per area, labels, children per region
    and the member lists (``mlist``, ``msize``, ``mpos``)."""
    pop = np.array([int(round(p)) for p in g.pop], dtype=np.int64)
    n, parts = len(pop), max(label) + 1
    lab = np.array(label, dtype=np.int64)
    sums = np.bincount(lab, weights=pop, minlength=parts).round().astype(np.int64)
    msize = np.bincount(lab, minlength=parts).astype(np.int64)
    mlist = np.zeros((parts, n), dtype=np.int64)
    mpos = np.zeros(n, dtype=np.int64)
    fill = np.zeros(parts, dtype=np.int64)
    for v in range(n):
        r = lab[v]
        mlist[r, fill[r]] = v
        mpos[v] = fill[r]
        fill[r] += 1
    return pop, lab, sums, mlist, msize, mpos


def anneal(g: _Graph, label: list[int], floor: int, *, moves: int, seed: int, seconds: float, hot: float = 10.0,
           cold: float = 0.3, swaps: float = 0.3) -> tuple[int, list[int]]:
    """Simulated annealing over partitions with a fixed number of connected regions, minimising the shortfall
    below ``floor`` (children). A move takes an area across a corridor link to the adjacent region or, a ``swaps``
    share of the time, also brings back an area of that region bordering the first (a swap changes both regions'
    children by the difference of two areas). The temperature (children) falls geometrically from ``hot`` to
    ``cold`` over ``moves`` moves, so the schedule does not depend on the machine; every accepted move keeps both
    regions connected. Stops at a shortfall of 0, after ``moves`` moves or after ``seconds`` (checked every 100,000
    moves). Returns the least shortfall met and its labels."""
    pop, lab, sums, mlist, msize, mpos = _arrays(g, label)
    n = len(pop)
    nb_ptr, nb_idx = g.csr()
    arc_from = np.repeat(np.arange(n, dtype=np.int64), np.diff(nb_ptr))
    total = int(np.maximum(0, floor - sums).sum())
    best, best_label = total, lab.copy()
    seen, stamp, stack, cand = (np.zeros(n, dtype=np.int64), np.zeros(1, dtype=np.int64),
                                np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
    rng = np.random.default_rng(seed)
    done, batch, t0 = 0, 100_000, time.perf_counter()
    while done < moves and total > 0 and time.perf_counter() - t0 < seconds:
        temp = hot * (cold / hot) ** (done / moves)
        picks, accept, kind, which = (rng.integers(len(nb_idx), size=batch), rng.random(batch), rng.random(batch),
                                      rng.random(batch))
        total, best = kernels.anneal_batch(nb_ptr, nb_idx, arc_from, pop, lab, sums, mlist, msize, mpos,
                                           floor, temp, swaps, picks, accept, kind, which, total, best, best_label,
                                           seen, stamp, stack, cand)
        done += batch
    return int(best), [int(r) for r in best_label]


def recombine(g: _Graph, label: list[int], floor: int, *, seed: int, seconds: float, stall: int = 60_000,
              focus: float = 0.5, drift: float = 0.05, end: bool = False) -> tuple[int, list[int]]:
    """Pair recombination (ReCom-style) over partitions with a fixed number of connected regions, minimising the
    shortfall below ``floor`` (children).

    A step merges a region (one short of the floor, a ``focus`` share of the time) with an adjacent one, draws a random
    spanning tree of the pair's areas and cuts the tree edge that gives the lowest *energy*: the pair's shortfall
    plus ``drift`` x each part's children above the floor x its links (in the region adjacency graph, refreshed every
    100 steps) to the nearest short region. The drift term sends spare children towards the regions that need them,
    where single-area moves only diffuse them; a cut is taken when its energy is not higher than the pair's now (ties
    at random). Both parts are connected (each is a piece of a spanning tree). Stops at a shortfall of 0, after
    ``stall`` steps without a new least shortfall, or after ``seconds`` (checked every 1,000 steps). Returns the
    least shortfall met and its labels, or with ``end`` the shortfall and labels where it stopped (a random walk
    over partitions of about the same shortfall, as :func:`chains` uses it). The steps are compiled
    (:func:`.kernels.recombine_steps`)."""
    pop, lab, sums, mlist, msize, mpos = _arrays(g, label)
    nb_ptr, nb_idx = g.csr()
    total = int(np.maximum(0, floor - sums).sum())
    state = np.array([0, 0, total, total], dtype=np.int64)   # step, step of the last new least, shortfall, least
    best_label, dist = lab.copy(), np.zeros(len(sums), dtype=np.int64)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    while state[2] > 0 and state[0] - state[1] <= stall and time.perf_counter() - t0 <= seconds:
        kernels.recombine_steps(nb_ptr, nb_idx, pop, lab, sums, mlist, msize, mpos, floor, rng, stall, focus, drift,
                                state, best_label, dist, (state[0] // 1000 + 1) * 1000)
    out = (state[2], lab) if end else (state[3], best_label)
    return int(out[0]), [int(r) for r in out[1]]


#: The most areas two regions may hold for :func:`pair_splits` to use the compiled enumeration (bit sets in 64-bit
#: integers); larger pairs (regions of dozens of areas) use the same enumeration in Python.
COMPILED_PAIR = 62
#: How often (sets listed) the enumeration in Python reads the clock.
CLOCK_EVERY = 1_024


def _split_masks(g: _Graph, pop: list[int], a: frozenset[int], b: frozenset[int], lo: int, hi: int,
                 cap: int, until: float = math.inf) -> tuple[list[int], list[tuple[int, int]]]:
    """:func:`pair_splits` as bit sets over the union's areas: (the union, sorted; [(children, bit set)], fewest
    children first, ties by bit set). The enumeration in Python (pairs of more than :data:`COMPILED_PAIR` areas)
    also stops at ``until`` (``time.perf_counter()``, read every :data:`CLOCK_EVERY` sets): a pair of regions of
    dozens of areas each can take most of a second to list, longer than a search may overrun its time limit."""
    union = sorted(a | b)
    n = len(union)
    at = {v: k for k, v in enumerate(union)}
    nbr = [sum(1 << at[u] for u in g.nb[v] if u in at) for v in union]
    p = [pop[v] for v in union]
    if n <= COMPILED_PAIR:
        kids, masks = kernels.connected_cuts(np.array(nbr, dtype=np.int64), np.array(p, dtype=np.int64), lo, hi,
                                             cap)
        order = np.lexsort((masks, kids))
        return union, list(zip(kids[order].tolist(), masks[order].tolist(), strict=True))
    full = (1 << n) - 1
    found: list[tuple[int, int]] = []
    visited = 0

    def connected(mask: int) -> bool:
        seen = front = mask & -mask
        while front:
            bit = front & -front
            front ^= bit
            new = nbr[bit.bit_length() - 1] & mask & ~seen
            seen |= new
            front |= new
        return seen == mask

    def extend(part: int, near: int, ext: int, kids: int, later: int) -> None:
        nonlocal visited
        visited += 1
        if visited > cap:
            return
        if not visited % CLOCK_EVERY and time.perf_counter() > until:
            visited = cap + 1   # stops every branch still open, as the cap does
            return
        if kids >= lo and part != full and connected(full & ~part):
            found.append((kids, part))
        while ext:
            bit = ext & -ext
            ext ^= bit
            k = bit.bit_length() - 1
            if kids + p[k] <= hi:
                extend(part | bit, near | nbr[k] | bit, ext | (nbr[k] & ~near & later), kids + p[k], later)

    for v in range(n):
        later = full & ~((1 << (v + 1)) - 1)
        if p[v] <= hi:
            extend(1 << v, nbr[v] | (1 << v), nbr[v] & later, p[v], later)
    found.sort()
    return union, found


def _areas(union: list[int], mask: int) -> frozenset[int]:
    return frozenset(union[k] for k in range(len(union)) if mask >> k & 1)


def pair_splits(g: _Graph, pop: list[int], a: frozenset[int], b: frozenset[int], lo: int, hi: int, *,
                cap: int = 200_000) -> list[tuple[int, frozenset[int]]]:
    """The ways to cut the areas of two adjacent regions ``a`` and ``b`` into two connected parts, one of them
    holding ``lo`` to ``hi`` children: (its children, its areas), fewest children first.

    Lists each connected set of the union's areas once (extension from its lowest-numbered area, neighbours of the
    set first reached through the area added last, as in ESU subgraph enumeration), pruned where it passes ``hi``
    children (every area holds >= 0), and keeps those whose complement in the union is connected and not empty.
    Stops after ``cap`` sets visited, so a pair of very many small areas may not list them all (a search move, not a
    proof). Compiled (:func:`.kernels.connected_cuts`) for pairs of up to ``COMPILED_PAIR`` areas."""
    union, found = _split_masks(g, pop, a, b, lo, hi, cap)
    return [(kids, _areas(union, part)) for kids, part in found]


def push(g: _Graph, pop: list[int], members: list[frozenset[int]], short: int, floor: int, *, beam: int = 60,
         depth: int = 25, spare: int = 60, per: int = 6, effort: int = 3_000, until: float = math.inf,
         memo: dict | None = None) -> tuple[int, dict[int, frozenset[int]]]:
    """A chain of pair re-splits that carries the children missing from region ``short`` to regions with children
    to spare (the *deficit*, in children).

    One step re-draws the region holding the deficit and an adjacent region ``x`` (:func:`pair_splits`): the region
    gets ``floor`` to ``floor + spare`` children and ``x`` the rest, so the deficit passes to ``x`` less its spare
    children (or vanishes). A beam search of ``beam`` chains, ``depth`` steps at most, each region at most once in a
    chain, ``per`` re-draws of each pair (one per deficit they leave, least first). It stops at the first chain
    that leaves no deficit, after ``effort`` pairs looked at, or at ``until`` (``time.perf_counter()``). Returns the
    least deficit reached and the regions it re-drew (region -> areas; empty when none is below the start's
    deficit). ``memo`` keeps each pair's re-draws across calls (for the same ``floor``, ``spare`` and ``per``)."""
    memo = {} if memo is None else memo
    label = [0] * len(g.nodes)
    for r, m in enumerate(members):
        for v in m:
            label[v] = r
    # A chain re-draws only regions on its path, among their own areas, so an area outside the path's regions is
    # still in its region of the start: the regions next to ``mine`` off the path are read from the start's labels.
    beside: dict[frozenset[int], set[int]] = {}
    start = floor - sum(pop[v] for v in members[short])
    best: tuple[int, dict[int, frozenset[int]]] = (start, {})
    chains: list[tuple[int, int, dict[int, frozenset[int]], tuple[int, ...]]] = [(start, short, {}, (short,))]
    looked = 0
    for _ in range(depth):
        grown = []
        for _deficit, cur, redrawn, path in chains:
            if looked >= effort or time.perf_counter() > until:
                break
            mine = redrawn.get(cur, members[cur])
            regions = beside.get(mine)
            if regions is None:
                regions = beside[mine] = {label[u] for u in g.edge(mine)}
            near = sorted(regions.difference(path))
            for x in near:
                if time.perf_counter() > until:   # each new pair's re-draws can take most of a second to list
                    break
                looked += 1
                theirs = redrawn.get(x, members[x])
                key = (theirs, mine)
                redraws = memo.get(key)
                if redraws is None:
                    if len(memo) >= MEMO_PAIRS:   # pairs of regions a walk has since re-drawn are not met again
                        memo.clear()
                    both = sum(pop[v] for v in theirs) + sum(pop[v] for v in mine)
                    redraws = []   # (deficit left, cur's areas), one per deficit
                    union, found = _split_masks(g, pop, theirs, mine, floor, floor + spare, 200_000, until)
                    for kids, part in found:
                        after = max(0, floor - (both - kids))
                        if after not in {d for d, _ in redraws}:
                            redraws.append((after, _areas(union, part)))
                            if len(redraws) >= per:
                                break
                    if time.perf_counter() <= until:   # a list cut short by the clock is not kept for later
                        memo[key] = redraws
                for after, part in redraws:
                    if after == 0:
                        return 0, _step(redrawn, cur, part, x, theirs | mine)
                    if after < best[0]:
                        best = (after, _step(redrawn, cur, part, x, theirs | mine))
                    # the re-drawn regions (and the pair's union, and the path) are built only for the chains the
                    # beam keeps (a few in thirty)
                    grown.append((after, x, redrawn, cur, part, theirs, mine, path))
        grown.sort(key=itemgetter(0))
        chains = [(after, x, _step(redrawn, cur, part, x, theirs | mine), (*path, x))
                  for after, x, redrawn, cur, part, theirs, mine, path in grown[:beam]]
        if not chains:
            break
    return best


def _step(redrawn: dict[int, frozenset[int]], cur: int, part: frozenset[int], x: int,
          pair: frozenset[int]) -> dict[int, frozenset[int]]:
    """The regions a chain has re-drawn after one step more: ``cur`` gets ``part``, ``x`` the rest of ``pair``."""
    return {**redrawn, cur: part, x: pair - part}


def chains(g: _Graph, label: list[int], floor: int, *, seed: int, seconds: float, walk: int = 500,
           patience: int = 40, effort: int = 3_000) -> tuple[int, list[int]]:
    """Close the shortfall with deficit-pushing chains (:func:`push`), walking between them.

    Each short region in turn tries a chain; the first that lowers its deficit is applied. When none does, a short
    random walk of pair recombination (:func:`recombine` with ``end``, ``walk`` steps without a new least shortfall)
    moves the plan to another of about the same shortfall, and the chains try again. Stops at a shortfall of 0,
    after ``patience`` walks without a new least shortfall, or after ``seconds``; each chain search stops after
    ``effort`` pair re-draws (a count, not a clock, so that a seed gives the same plan on any machine when the
    ``seconds`` limit does not stop it). Returns the least shortfall met and its labels."""
    t0 = time.perf_counter()
    pop = [int(round(p)) for p in g.pop]
    parts = max(label) + 1
    label = list(label)
    memo: dict = {}

    def measure() -> tuple[list[frozenset[int]], list[int], int]:
        members, sums = _regions(label, pop, parts)
        return [frozenset(m) for m in members], sums, sum(max(0, floor - s) for s in sums)

    regions, sums, total = measure()
    best = (total, list(label))
    walks = since = 0
    while total > 0 and since < patience and time.perf_counter() - t0 < seconds:
        for short in [r for r in range(parts) if sums[r] < floor]:
            deficit, redrawn = push(g, pop, regions, short, floor, memo=memo, effort=effort, until=t0 + seconds)
            if deficit < floor - sums[short]:
                for r, m in redrawn.items():
                    for v in m:
                        label[v] = r
                break
        else:
            _, label = recombine(g, label, floor, seed=seed + 104_729 * walks, stall=walk, end=True,
                                 seconds=t0 + seconds - time.perf_counter())
            walks += 1
            since += 1
        regions, sums, total = measure()
        if total < best[0]:
            best, since = (total, list(label)), 0
    return best


def _hops(g: _Graph, root: int, inside: set[int]) -> dict[int, int]:
    """Corridor links from ``root`` to each area of ``inside`` reachable within it."""
    dist = {root: 0}
    queue = [root]
    for v in queue:
        for u in g.nb[v]:
            if u in inside and u not in dist:
                dist[u] = dist[v] + 1
                queue.append(u)
    return dist


def _star_shaped(g: _Graph, members: set[int], dist: dict[int, int]) -> bool:
    """Whether every member has a neighbour in ``members`` one link nearer the root (precedence holds)."""
    return all(i in dist and (dist[i] == 0 or any(k in members and dist.get(k) == dist[i] - 1 for k in g.nb[i]))
               for i in members)


def _window_move(g: _Graph, pop: list[int], label: list[int], window: list[int], floor: int,
                 rng: np.random.Generator, *, solver: str, max_nodes: int,
                 threads: int | None = None) -> dict[int, int] | None:
    """The window MIP (module text); returns area -> region for the window's areas, or None when some window
    region has no root it is shortest-path-shaped around, or the solver returned no plan."""
    inside = {i for i in range(len(label)) if label[i] in set(window)}
    roots: dict[int, tuple[int, dict[int, int]]] = {}
    for r in window:
        members = {i for i in inside if label[i] == r}
        ok = []
        for j in sorted(members):
            dist = _hops(g, j, inside)
            if _star_shaped(g, members, dist):
                ok.append((j, dist))
        if not ok:
            return None
        roots[r] = ok[int(rng.integers(len(ok)))]
    prob = pulp.LpProblem("one_more", pulp.LpMinimize)
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    for r in window:
        for i in sorted(roots[r][1]):
            x[i, r] = pulp.LpVariable(f"x_{i}_{r}", cat="Binary")
            x[i, r].setInitialValue(1 if label[i] == r else 0)
    s = {r: pulp.LpVariable(f"s_{r}", lowBound=0) for r in window}
    for r in window:
        s[r].setInitialValue(max(0, floor - sum(pop[i] for i in inside if label[i] == r)))
    ties = rng.random(len(x))
    prob += pulp.lpSum(s.values()) + 1e-3 * pulp.lpSum(float(u) * v for u, v in zip(ties, x.values(), strict=True))
    for i in sorted(inside):
        prob += pulp.lpSum(x[i, r] for r in window if (i, r) in x) == 1
    for r in window:
        root, dist = roots[r]
        prob += x[root, r] == 1
        for i, h in sorted(dist.items()):
            if i != root:
                prob += x[i, r] <= pulp.lpSum(x[k, r] for k in g.nb[i] if dist.get(k, -2) == h - 1)
        prob += pulp.lpSum(pop[i] * x[i, r] for i in dist) + s[r] >= floor
    solve_problem(prob, name=solver, time_limit=10.0, warm=True, max_nodes=max_nodes, threads=threads)
    new = {i: r for (i, r), v in x.items() if v.value() is not None and v.value() > 0.5}
    return new if len(new) == len(inside) else None


def _windows(g: _Graph, pop: list[int], label: list[int], floor: int, rng: np.random.Generator, *, until: float,
             patience: int, solver: str, max_window: int, max_nodes: int,
             threads: int | None = None) -> tuple[int, int]:
    """Window MIPs (module text) on ``label`` in place until the shortfall is 0, ``patience`` windows pass without
    lowering it, or the clock passes ``until``. Returns (shortfall, windows solved)."""
    parts = max(label) + 1

    def sums() -> list[int]:
        out = [0] * parts
        for i, r in enumerate(label):
            out[r] += pop[i]
        return out

    total = sum(max(0, floor - v) for v in sums())
    windows = since = 0
    while total > 0 and since < patience and time.perf_counter() < until:
        have = sums()
        adj: list[set[int]] = [set() for _ in range(parts)]
        for i, r in enumerate(label):
            adj[r].update(label[j] for j in g.nb[i] if label[j] != r)
        short = [r for r in range(parts) if have[r] < floor]
        window = [short[int(rng.integers(len(short)))]]
        size = int(rng.integers(3, max_window + 1))
        frontier = sorted(adj[window[0]])
        while len(window) < size and frontier:
            pick = frontier[int(rng.integers(len(frontier)))]
            window.append(pick)
            frontier = sorted((set(frontier) | adj[pick]) - set(window))
        windows += 1
        since += 1
        new = _window_move(g, pop, label, window, floor, rng, solver=solver, max_nodes=max_nodes, threads=threads)
        if new is None:
            continue
        before = sum(max(0, floor - have[r]) for r in window)
        after = sum(max(0, floor - sum(pop[i] for i, q in new.items() if q == r)) for r in window)
        if after <= before:
            for i, r in new.items():
                label[i] = r
            total += after - before
            if after < before:
                since = 0
    return total, windows


def one_more(graph: nx.Graph, under5: pd.Series, floor: float, regions: list[frozenset[str]], *, seed: int,
             seconds: float, solver: str = "highs", moves_per_area: int = FIRST_MOVES, max_moves_per_area: int = 10_000,
             stall: int = 60_000, chain_patience: int = 300, patience: int = 0, rounds: int = 200,
             max_window: int = 10, max_nodes: int = 500, threads: int | None = None, extra: int = 1) -> FixedCount:
    """Search for ``len(regions) + extra`` connected regions covering every area, each with >= ``floor`` children.

    ``regions``: a partition of the graph's areas into connected regions (e.g. :func:`.packing.partition`), each at
    the floor. Splits the region with most children (``extra`` times: several regions more at once, where regions
    are large and children to spare); then, in up to ``rounds`` rounds until the shortfall is 0 or
    ``seconds`` pass, anneals from the split (:func:`anneal`, a new seed each round) and recombines pairs of regions
    (:func:`recombine`, until ``stall`` steps find no lower shortfall; 0 skips it), then pushes deficits along
    chains of regions (:func:`chains`, until ``chain_patience`` walks between them find no lower shortfall; 0
    skips it). The annealing schedule doubles
    from round to round: ``moves_per_area`` moves per area in the first round, twice as many in the next, up to
    ``max_moves_per_area``. A short schedule settles the easy cases (a region more where children are to spare)
    quickly; the hard ones (the last region below the bound) get the long schedules, a restart each time. With
    ``patience`` > 0, once annealing runs its longest schedule, each round ends with window MIPs (module text) until
    ``patience`` windows (at most ten per region) pass without lowering the shortfall (in every round when
    ``moves_per_area`` is 0, no annealing). They are off by default: since annealing and recombination are compiled
    a round takes seconds, and restarting does better than the MIPs' tens of seconds (Norfolk's 73rd region from 12
    states at 72: found in all 12 within 1.4-42 s without them, in 3 of 5 with them; benchmarks/README.md).
    ``threads``: HiGHS threads for each window MIP (None: this process's default, :func:`..solvers.threads_for`).
    Returns the round with least shortfall: a partition into ``len(regions) + extra`` connected regions, a plan only
    when ``shortfall`` is 0."""
    t0 = time.perf_counter()
    g = _Graph(graph, under5)
    pop = [int(round(p)) for p in g.pop]
    fl = int(np.ceil(floor))
    label = [-1] * len(g.nodes)
    for k, r in enumerate(regions):
        for a in r:
            label[g.index[a]] = k
    if min(label) < 0:
        raise ValueError("one_more needs a partition of every area into regions")
    if extra < 1:
        raise ValueError(f"one_more: extra must be 1 or more. Got {extra}.")
    first = label
    for _ in range(extra):
        first = split_largest(g, first)
    parts = len(regions) + extra
    split = sum(max(0, fl - int(v)) for v in np.bincount(first, weights=pop, minlength=parts))
    # (shortfall, after annealing, after recombination, after chains, labels)
    best: tuple[int, int, int, int, list[int]] = (split, split, split, split, first)
    done = windows = 0
    annealing = recombining = chaining = 0.0
    while best[0] > 0 and done < rounds and time.perf_counter() - t0 < seconds:
        moves = min(moves_per_area << done, max_moves_per_area) if moves_per_area else 0
        ta = time.perf_counter()
        annealed, label = anneal(g, first, fl, moves=moves * len(pop), seed=seed + 7919 * done,
                                 seconds=seconds - (ta - t0))
        tr = time.perf_counter()
        annealing += tr - ta
        recombined = total = annealed
        if stall > 0 and annealed > 0:
            recombined, label = recombine(g, label, fl, seed=seed + 7919 * done, seconds=seconds - (tr - t0),
                                          stall=stall)
            total = recombined
        tc = time.perf_counter()
        recombining += tc - tr
        chained = total
        if chain_patience > 0 and total > 0:
            chained, label = chains(g, label, fl, seed=seed + 7919 * done, seconds=seconds - (tc - t0),
                                    patience=chain_patience)
            total = chained
        chaining += time.perf_counter() - tc
        if total > 0 and (not moves_per_area or moves >= max_moves_per_area):
            total, solved = _windows(g, pop, label, fl, np.random.default_rng([seed, done]), until=t0 + seconds,
                                     patience=min(patience, 10 * parts), solver=solver, max_window=max_window,
                                     max_nodes=max_nodes, threads=threads)
            windows += solved
        done += 1
        if total < best[0]:
            best = (total, annealed, recombined, chained, label)
    out: list[set[str]] = [set() for _ in range(parts)]
    for i, r in enumerate(best[4]):
        out[r].add(g.nodes[i])
    return FixedCount([frozenset(r) for r in out], split, best[1], best[2], best[3], best[0], done, windows,
                      annealing, recombining, chaining, time.perf_counter() - t0)
