"""Network capacity: the largest number of connected catchments each reaching the floor (the max-p-regions problem).

    maximise    p = number of regions
    subject to  every area in exactly one region; each region connected in the corridor graph; each region's
                under-fives >= floor (children)

Three searches run in turn, each starting from the plan of the one before:

1. **Region growing** (seeded): grow a region from a seed area, adding the neighbour that reaches the floor with
   least overshoot (else the most enclosed neighbour), until it reaches the floor; areas left over are joined to an
   adjacent region. Many seeds are tried (a tenth of the time limit, at most 10 s).
2. A **local search** (:func:`improve`) re-grows groups of adjacent regions with enough children into one region more
   (as long again).
3. A **fixed-count search** (:mod:`.fixcount`) for the rest of the time, while below the bound: split regions so
   there are more, then close the children short of the floor by annealing (compiled, :mod:`.kernels`), pair
   recombination and deficit-pushing chains of exact pair re-splits, restarting until none is short (small exact
   MIPs over windows of adjacent regions are there too, off by default). Where the bound is ``JUMP_FROM`` regions or
   more away it first asks for many regions more at once, halving what it asks for after a try that falls short;
   then it adds one region at a time (:func:`_climb`). On Norfolk 2020 at the 600 floor it takes the local search's
   66 regions to 72 in 2-3 s, and reaches the bound of 73, which proves 73 optimal.

With regions of ``LARGE_REGIONS`` or more areas (areas / bound: floors of 10-20% of the children), 2 is skipped: its
moves grow with the regions, and the fixed-count search finds such regions directly. There the fixed-count search
also has a first go (up to ``FIRST_GO_SHARE`` of the time left) before the exact methods below, which cannot list
regions that large; where it reaches the bound they do not run at all.

Neighbourhood repacking (small exact set-packing MIPs over candidate regions in a few adjacent regions) used to run
between 2 and 3. Once annealing was compiled, the fixed-count search added regions faster than it (Norfolk: 66 to 72
in 2-3 s, where repacking took 25 s to reach 71 or 72; Kent at 25 s: 145 regions against 142), so it was removed
(benchmarks/README.md, "Compiled annealing"); :mod:`.packing` keeps its packings and partitions.

Between 2 and 3, while the plan is below children / floor, the **exact methods** (:mod:`.maxp_exact`) run: a cut-area
bound; then, where every minimal region can be listed (a few hundred milliseconds tell), the set-packing MIP over
all of them (three quarters of the time left at most), which proves the true maximum and often finds it on small
geographies; then, where that has not settled it, the *band check* of each corridor component below its bound (a
quarter of the time left at most), which settles whether the bound itself is reachable where the children above
``bound x floor`` are few (it finds a plan at the bound, or proves one region fewer is the most: by a depth-first
band search, then by listing the band). Their regions then seed the searches. The MIP runs first because, where it
runs at all, it answers the whole question (its bound can also be below the band check's count), where the band
check answers one count. At 25 s with the band check first, Newham (164 areas, 12,428 minimal regions) was proven at
43 in 18.7 s on one day and left at 42 of a bound of 43 on a slower one (the MIP stopped after 13.5 s); with the MIP
first it is proven in 13.2 s, and Slough in 3.9 s instead of 11.0 s (benchmarks/README.md).

Each region's centre is the member area whose centroid gives its children the fewest child-minutes.

**An area holding a floor on its own counts as one floor** (:func:`counted`) in every search and bound: a region
holding it is at the floor whatever else it holds, so this changes no region's feasibility, and every plan, bound and
proof is the same for the real children. What it changes is that children / floor no longer counts a city as several
regions (it can only ever make one), and the searches no longer treat its children as spare. Reach is reported in
real children.

Bounds, stated honestly. The reported ``bound`` is the sum over corridor components of floor(children in the
component / floor) (each area counted up to one floor), which contiguity can only lower, or the lower bound of
:mod:`.maxp_exact` where it has one;
``status`` is ``optimal`` only when the plan meets it. No bound
from linear programming does better on real geographies: the LP relaxation of the set-packing model over connected
regions (the root bound of branch-and-price, and the best that relaxing the one-region-per-area constraints in a
Lagrangian way can reach) is at least 73.43 on Norfolk 2020 at the 600 floor, above the 73 of the simple bound
(``python benchmarks/capacity_lp.py``: column generation over 20,166 regions, 12,094 of them within 10 children of
the floor). Proving fewer than the simple bound needs integer reasoning over every region: done exactly where they
can be listed (:mod:`.maxp_exact`), not claimed where they cannot (Norfolk has over 20 million minimal regions).
Before repacking, the second search was the catchment MIP with one root per area (:mod:`.assignment`); it found
fewer regions (53 in 600 s on Norfolk) and its bound held only for precedence-shaped regions, so it was dropped.
"""

from __future__ import annotations

import math
import time

import networkx as nx
import numpy as np
import pandas as pd

from .. import measures, progress
from ..errors import InfeasibleError, ScenarioError, SolverError
from ..geography import Geography
from ..plan import Plan
from ..scenario import Scenario
from ..solvers import SET_PACKING_PRESOLVE_MAX, Outcome, Status, package_version
from . import fixcount, kernels, maxp_exact, packing
from .base import Context, report
from .diagnose import components_below

kernels.warm()   # compiled (or loaded from numba's cache) on import, before a solve's clock starts


def _fixed_count_note(start: int, target: int, m: fixcount.FixedCount, floor: float, at: float) -> str:
    found = (f"found at {at:.1f} s" if m.shortfall == 0
             else f"not found ({m.shortfall} children short of the floor at the end)")
    once = f" at once from {start}" if target > start + 1 else ""
    return (f"fixed-count search for {target} regions{once}: {found}; children short of the {floor:g} floor after the "
            f"split {m.split}, after annealing {m.annealed}, after pair recombination {m.recombined}, after "
            f"deficit-pushing chains {m.chained}, after window MIPs {m.shortfall} (best of {m.rounds} rounds; "
            f"{m.windows} window MIPs; {m.annealing_seconds:.1f} s annealing, {m.recombining_seconds:.1f} s "
            f"recombining, {m.chaining_seconds:.1f} s chaining, {m.seconds:.1f} s in all)")


#: What the notes of an exact method stopped by its clock tell the user to do.
LONGER_LIMIT = "a longer time limit (solver.time_limit, or --time-limit on the command line)"


def _exact_note(e: maxp_exact.Exact, cap: int) -> str:
    if e.listed is None:
        return (f"exact search: more than {cap:,} minimal regions (the most a solve of this time limit lists), so no "
                "exact model")
    what = (f"proved the optimum in {e.seconds:.1f} s" if e.proven else
            f"stopped with {e.count} regions against a bound of {e.bound} in {e.seconds:.1f} s, its share of the time "
            f"({EXACT_SHARE:.0%} of what was left); {LONGER_LIMIT} gives it more, and it settles the question when it "
            "finishes")
    return f"exact search: {e.listed:,} minimal regions listed; the set-packing MIP over them {what}"


def _band_note(b: maxp_exact.Band, floor: float, cap: int) -> str:
    head = f"band check for {b.target} regions (each between {floor:g} and {b.top:g} children)"
    found = {True: f"a partition into {b.target} found", False: f"no partition into {b.target} exists, so "
             f"{b.target - 1} at most", None: "not decided in the time"}[b.reachable]
    search = "" if b.searched is None else \
        f"the band search split {b.searched:,} set{'' if b.searched == 1 else 's'} of areas"
    if b.method == "search":
        listed = "" if b.listed is None else f"{b.listed:,} connected sets in the band, listed; over them "
        return f"{head}: {listed}{search}; {found} ({b.seconds:.1f} s)"
    longer = "" if b.reachable is not None else f"; {LONGER_LIMIT} gives it more time, which may decide it"
    search = f"{search} without deciding; " if search else ""
    if b.listed is None:
        return f"{head}: {search}more connected sets in the band than it could list in its time (the set-" \
               f"partitioning model takes {cap:,} at most in a solve of this time limit); not decided{longer}"
    return f"{head}: {search}{b.listed:,} connected sets in the band; {found} ({b.seconds:.1f} s){longer}"


def band_checks(graph: nx.Graph, under5: pd.Series, floor: float, regions: list[frozenset[str]],
                components: list[tuple[frozenset, int]], *, seconds: float, max_regions: int,
                solver: str, threads: int | None = None) -> tuple[list[frozenset[str]], int, list[maxp_exact.Band]]:
    """The band check (:func:`.maxp_exact.band`) of each corridor component (``components``: its areas and bound,
    :func:`.maxp_exact.component_bounds`) where ``regions`` (disjoint connected regions at the floor) are fewer than
    its bound, within ``seconds`` in all. Returns the regions (a component's replaced by the partition found there),
    the bound summed over the components (one lower for each component proven out of reach) and the checks run."""
    t0 = time.perf_counter()
    w = under5.to_dict()
    out: list[frozenset[str]] = []
    total = 0
    checks: list[maxp_exact.Band] = []
    comps = sorted(components, key=lambda cq: min(cq[0]))
    for k, (comp, q) in enumerate(comps):
        mine = [r for r in regions if r <= comp]
        if len(mine) < q:
            left = seconds - (time.perf_counter() - t0)
            b = maxp_exact.band(graph.subgraph(comp), w, floor, q, seconds=max(0.5, left / (len(comps) - k)),
                                solver=solver, max_regions=max_regions, threads=threads)
            checks.append(b)
            if b.reachable:
                mine = b.regions
            elif b.reachable is False:
                q -= 1
        out += mine
        total += q
    return out, total, checks


def _bound_source(simple: int, comb: int, banded: int | None, ub: int, floor: float, capped: int = 0) -> str:
    """Where the bound ``ub`` comes from, in words; ``banded``: the bound after the band checks where one proved a
    count out of reach, else None."""
    each = " (each area counted up to one floor)" if capped else ""
    if ub == simple:
        return (f"children per corridor component / {floor:g}{each}; no linear-programming bound does better here "
                "(see clusterplan.models.capacity)")
    if ub == comb:
        return (f"children stranded behind cut areas, or areas each holding a floor or more on their own "
                f"(clusterplan.models.maxp_exact); children / floor{each} gives {simple}")
    if banded is not None and ub == banded:
        return (f"no partition into more regions: the band check proves it (clusterplan.models.maxp_exact); "
                f"children / floor{each} gives {simple}")
    return f"the set-packing MIP over every minimal region; children / floor{each} gives {simple}"


#: Areas per region (areas / bound) from which the local search (2) is skipped for the fixed-count search: its
#: moves grow with the regions. Set when neighbourhood repacking (since removed) ran there too: on Norfolk at a floor
#: of 5,893 (bound 7) repacking made 6 moves in 48 s and no gain where the fixed-count search finds the 7th region
#: at once.
LARGE_REGIONS = 15

#: Annealing moves per area in the first round of the fixed-count search when it looks for the bound itself. The
#: search's schedule doubles from a short first round (``fixcount.FIRST_MOVES``), which finds a region more quickly
#: where children are to spare; at the bound they are not (Norfolk: 401 children over 73 regions), and short
#: rounds left 55-121 children short where long ones left 27-54 (Lincolnshire's bound of 62: 4-55 short after
#: 1,000-3,000 moves per area, 0-37 after 10,000). Measured in benchmarks/README.md ("chains").
LAST_MOVES = 10_000


#: Seconds the fixed-count search leaves at the end of the solve for the plan, its check and its figures: these take
#: 0.1-0.4 s (a solve's wall time less its solver seconds, the second solve in a process: Bury's 120 areas 0.13 s,
#: Norfolk's 538 0.22 s, Kent's 902 0.35 s; the first solve in a process spends up to 3 s more before the search
#: starts, which its deadline already counts), so the search leaves ``END_SECONDS + END_SECONDS_PER_AREA * areas``,
#: at most ``END_MAX``. A fixed 2 s before left most of that unused, and Norfolk at a 5 s limit no time for the
#: search at all (62 regions, the solve over at 2.1 s). A search round needs ``LAST_ROUND_SECONDS`` at least.
END_SECONDS = 0.2
END_SECONDS_PER_AREA = 0.001
END_MAX = 2.0
LAST_ROUND_SECONDS = 0.5


#: Seconds at most for region growing, and again for the local search after it (each a tenth of the limit below).
GROW_SECONDS = 10.0


def end_reserve(n_areas: int) -> float:
    """Seconds the solve keeps for its plan, check and figures after the search, for ``n_areas`` areas."""
    return min(END_MAX, END_SECONDS + END_SECONDS_PER_AREA * n_areas)


#: With regions of :data:`LARGE_REGIONS` areas or more, the share of the time left that the fixed-count search
#: takes first, before the exact methods (module text). Their minimal regions and band sets are then far too many to
#: list, so they settle nothing there, and they used to take 20-27 s of a 60 s limit before the search began (four
#: counties as one geography of 2,044 areas at 5% of the children: 19 regions proven at 33 s, the search itself
#: 0.1 s). A half leaves the exact methods their turn where the bound is out of reach (the set-packing MIP, on a
#: geography small enough to list its regions after all, and the band check).
FIRST_GO_SHARE = 0.5
#: Annealing moves per area of the first go's try at many regions at once (:func:`_climb`), one round; and the
#: children to spare (over bound x floor), as a share of the floor, from which it tries the bound itself rather
#: than one region fewer. Where none are to spare the last region needs the climb's long rounds: SYNTHETIC 600-area
#: geographies with none to spare at floors of 24 and 30 (six seeds each, 10 s): a try at the bound left 7 of the 12
#: unproven that the climb alone proves; a try at one fewer, none (benchmarks/README.md).
JUMP_MOVES = fixcount.FIRST_MOVES
JUMP_SLACK = 0.25
#: Regions missing to the target from which the climb asks for many at once (:func:`_climb`; with large regions,
#: 2). Below it the climb adds one at a time, as it did before: on England's authorities at 600 (1 to 17 missing
#: after the local search) asking for many at once from 2 missing gained no proof and lost 2 of 116 (Leicester and
#: Cheshire West and Chester, both runs), while a SYNTHETIC geography of 4,000 areas (66 missing) went from 479-483
#: regions to 535-536 of a bound of 542 in 30 s (benchmarks/README.md).
JUMP_FROM = 20

#: Added to the search's seed where the first go stopped short of a count, so the search after the exact methods
#: does not repeat its rounds.
AGAIN_SEED = 1_000_003


def _climb(graph: nx.Graph, under5: pd.Series, floor: float, whole: list[frozenset[str]], ub: int, scn: Scenario,
           seconds: float, seed: int, *, since: float, jump_from: int = JUMP_FROM
           ) -> tuple[list[frozenset[str]], list[tuple[float, int, int, fixcount.FixedCount]]]:
    """The fixed-count search (:func:`.fixcount.one_more`, from ``seed``) from the partition ``whole`` toward ``ub``
    regions, within ``seconds``: (the partition with most regions, [(seconds since ``since``
    (``time.perf_counter()``, the solve's start) at the end of each count's search, the regions it started from, the
    count, its outcome)]).

    Where the target is ``jump_from`` regions or more away (:data:`JUMP_FROM`; 2 for the first go with large
    regions) it first tries many at once: the target (``ub``, or ``ub`` - 1 where under :data:`JUMP_SLACK` of a floor
    is to spare), the largest regions split until there are that many, then one round of annealing alone
    (:data:`JUMP_MOVES` moves per area). A try that falls short is tried again with half as many regions more; after
    one that succeeds, the next asks for half of what is left to the target at most; until the tries are down to one
    region. Children to spare in many places at once let one round find what the climb finds in as many rounds as
    regions are missing (a count of 1 per LSOA of four counties at a floor of 41: 40 to 49 regions in 3.7 s, where the
    climb took 25 s; a SYNTHETIC geography of 4,000 areas at 600 children: 476 to 516 in one round of 1.1 s). Then
    it climbs one region at a time, stopping at the first count it does not reach."""
    end = time.perf_counter() + seconds
    tried: list[tuple[float, int, int, fixcount.FixedCount]] = []
    # at the bound itself only where a quarter of a floor or more is to spare; else the last region is the climb's
    target = ub if float(under5.sum()) - ub * floor >= JUMP_SLACK * floor else ub - 1
    step = target - len(whole) if target - len(whole) >= max(2, jump_from) else 0
    while step >= 2 and end - time.perf_counter() > LAST_ROUND_SECONDS and any(len(r) > 1 for r in whole):
        m = fixcount.one_more(graph, under5, floor, whole, seed=seed, seconds=end - time.perf_counter(),
                              solver=scn.solver.name, threads=scn.solver.threads, moves_per_area=JUMP_MOVES,
                              rounds=1, stall=0, chain_patience=0, extra=step)
        tried.append((time.perf_counter() - since, len(whole), len(whole) + step, m))
        if m.shortfall == 0:
            whole = m.regions
            progress.best(f"best so far {len(whole)} regions, bound {ub}")
            step = min(step, (target - len(whole)) // 2)   # what failed from below is unlikely from here
        else:
            step //= 2
    while (len(whole) < ub and end - time.perf_counter() > LAST_ROUND_SECONDS
           and any(len(r) > 1 for r in whole)):   # a region of one area each is as many as there can be
        m = fixcount.one_more(graph, under5, floor, whole, seed=seed, seconds=end - time.perf_counter(),
                              solver=scn.solver.name, threads=scn.solver.threads,
                              moves_per_area=LAST_MOVES if len(whole) + 1 == ub else fixcount.FIRST_MOVES)
        tried.append((time.perf_counter() - since, len(whole), len(whole) + 1, m))
        if m.shortfall > 0:
            break
        whole = m.regions
        progress.best(f"best so far {len(whole)} regions, bound {ub}")
    return whole, tried


#: The share of the time left that the exact method's set-packing MIP may take (when its regions can be listed at
#: all, the geography is small and the search after it quick). At a half, a SYNTHETIC 100-area geography at 5 areas
#: a region ended one short of its proven 20 in 60 s: the MIP needs 34 s to find the 20th region.
EXACT_SHARE = 0.75

#: Minimal regions the exact method may list per second of ``solver.time_limit`` (at most :data:`MAX_EXACT_REGIONS`):
#: a set-packing MIP much wider than its time allows is not solved in it, and takes the search's time. Tied to the
#: scenario's limit, not to the clock, so the same scenario tries the same exact model on any machine. At 1,500 a
#: second (thirtieth session) North Carolina's counties at a 5% floor (36,982 minimal regions, over the 30,000 of a
#: 30 s solve at 1,000) went to the MIP, which took the whole 30 s: 17 regions, not the 19 the search proves in 4 s.
#: England's scenario (60 s) lists up to the cap either way (benchmarks/README.md).
REGIONS_PER_SECOND = 1_000


#: And at most this many, whatever the limit: past it HiGHS solves the packing without presolve
#: (:data:`clusterplan.solvers.SET_PACKING_PRESOLVE_MAX`), and such a wide MIP proved nothing in its three quarters
#: of the time. All England at 60 s, where the cap was 90,000: Merton, Lewisham, Redbridge, Sandwell and Sutton
#: (55,665-82,545 minimal regions) each spent 45 s in it, the first three then settled by the band check or the
#: search as at 25 s (0.7-3.3 s there), the other two left below their bound (benchmarks/README.md).
MAX_EXACT_REGIONS = SET_PACKING_PRESOLVE_MAX


def exact_regions(time_limit: float) -> int:
    """How many minimal regions the exact method may list in a solve of ``time_limit`` seconds."""
    return int(min(MAX_EXACT_REGIONS, REGIONS_PER_SECOND * time_limit))


def counted(under5: pd.Series, floor: float) -> tuple[pd.Series, int]:
    """The children the searches and bounds count per area, and how many areas were capped: an area holding the
    floor or more on its own counts as ceil(floor) (one floor), the others as they are. This changes no region's
    feasibility (a region holding such an area is at the floor either way; the others hold the same children), so
    every plan, bound and proof is the same for both; but children / floor then counts such an area as the one region
    it can make, not as several, and the fixed-count search no longer splits its children as if they were to spare
    (Georgia's counties at a floor of 2% of the population, 9 of 159 above it: 36 regions found and proven in 3 s,
    where the search had 35 after 120 s and children / floor said 49; benchmarks/README.md)."""
    heavy = under5 >= floor
    if not heavy.any():
        return under5, 0
    return under5.where(~heavy, float(math.ceil(floor))), int(heavy.sum())


def _capped_note(capped: int, floor: float) -> str:
    areas = "1 area holds" if capped == 1 else f"{capped} areas hold"
    own = "its" if capped == 1 else "their"
    return (f"{areas} {floor:,.10g} children or more on {own} own: the search and the bounds count each such area as "
            f"one floor ({math.ceil(floor):,} children), since a region holding it reaches the floor whatever else it "
            "holds (plans and bounds are the same either way; reach is reported in real children)")


def upper_bound(graph: nx.Graph, under5: pd.Series, floor: float) -> int:
    """A valid upper bound on the number of regions: sum over corridor components of floor(children / floor)."""
    return sum(math.floor(float(under5[list(c)].sum()) / floor) for c in nx.connected_components(graph))


def grow_regions(graph: nx.Graph, under5: pd.Series, floor: float, seed: int) -> dict[str, str] | None:
    """One seeded region-growing pass; returns area -> root area, or None if some area could not be placed."""
    rng = np.random.default_rng(seed)
    nodes = sorted(graph.nodes)
    pop = {v: float(under5[v]) for v in nodes}
    nbrs = {v: sorted(graph.neighbors(v)) for v in nodes}
    region_of: dict[str, str] = {}
    reach: dict[str, float] = {}
    unassigned = set(nodes)
    for s in rng.permutation(nodes):
        s = str(s)
        if s not in unassigned:
            continue
        members = [s]
        unassigned.discard(s)
        total = pop[s]
        frontier = {u for u in nbrs[s] if u in unassigned}
        while total < floor and frontier:
            closing = [u for u in frontier if total + pop[u] >= floor]
            if closing:
                v = min(closing, key=lambda u: (pop[u], u))
            else:
                inside = set(members)
                v = max(sorted(frontier), key=lambda u: (sum(w in inside for w in nbrs[u]), -pop[u]))
            members.append(v)
            unassigned.discard(v)
            total += pop[v]
            frontier.discard(v)
            frontier |= {u for u in nbrs[v] if u in unassigned}
        if total >= floor:
            for v in members:
                region_of[v] = s
            reach[s] = total
        else:  # an enclave: put back, joined to a neighbouring region below
            unassigned |= set(members)
    if packing.join_left_over(nbrs.__getitem__, pop.__getitem__, region_of, reach, unassigned):
        return None
    return region_of


def best_growth(graph: nx.Graph, under5: pd.Series, floor: float, *, tries: int, seed: int,
                seconds: float) -> dict[str, str] | None:
    """The region-growing pass with the most regions over ``tries`` seeds (or until ``seconds`` pass)."""
    best, best_n = None, -1
    t0 = time.perf_counter()
    for k in range(tries):
        out = grow_regions(graph, under5, floor, seed * 100_003 + k)
        if out is not None and len(set(out.values())) > best_n:
            best, best_n = out, len(set(out.values()))
        if time.perf_counter() - t0 > seconds:
            break
    return best


def improve(graph: nx.Graph, under5: pd.Series, floor: float, region_of: dict[str, str], *, seed: int,
            seconds: float, group: int = 6, tries: int = 40) -> tuple[dict[str, str], int]:
    """Local search that adds regions: ``k`` adjacent regions (a region and up to ``group - 1`` of its neighbours)
    holding at least ``(k + 1) x floor`` children are re-grown, restricted to their own areas, into ``k + 1``
    connected regions when some seeded pass finds them. Repeats until a whole pass adds none or ``seconds`` pass.
    Returns the new area -> root map and the number of regions added (every region stays connected and at the floor:
    the re-grown part is a partition of the same areas by :func:`grow_regions`)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pop = {v: float(under5[v]) for v in graph.nodes}
    region_of = dict(region_of)
    added = 0
    improved = True
    while improved and time.perf_counter() - t0 < seconds:
        improved = False
        members: dict[str, set[str]] = {}
        for a, r in region_of.items():
            members.setdefault(r, set()).add(a)
        for r in [str(x) for x in rng.permutation(sorted(members))]:
            if r not in members or time.perf_counter() - t0 > seconds:
                continue
            weight = {q: sum(pop[a] for a in members[q]) for q in members}
            near = sorted({region_of[u] for a in members[r] for u in graph.neighbors(a)} - {r},
                          key=lambda q: (-weight[q], q))
            for k in range(2, group + 1):
                chosen = [r, *near[:k - 1]]
                if len(chosen) < k or sum(weight[q] for q in chosen) < (k + 1) * floor:
                    continue
                union = set().union(*(members[q] for q in chosen))
                sub = graph.subgraph(union)
                best = None
                for t in range(tries):
                    out = grow_regions(sub, under5, floor, int(rng.integers(2**31)) + t)
                    if out is not None and len(set(out.values())) > k:
                        best = out
                        break
                if best is None:
                    continue
                for q in chosen:
                    del members[q]
                for a, root in best.items():
                    region_of[a] = root
                    members.setdefault(root, set()).add(a)
                added += len(set(best.values())) - k
                improved = True
                break
    return region_of, added


def central_roots(regions: list[frozenset[str]], under5: pd.Series, minutes: pd.DataFrame) -> dict[str, str]:
    """Area -> root area: each region's root is the member area whose centroid gives its children the fewest
    child-minutes (ties: first by code)."""
    out: dict[str, str] = {}
    for r in regions:
        members = sorted(r)
        t = minutes.loc[members, [f"area:{a}" for a in members]].to_numpy()
        cost = under5[members].to_numpy() @ t
        root = members[int(np.argmin(cost))]
        out.update({a: root for a in members})
    return out


def solve(geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Solve the capacity question for a geography within ``ctx.deadline``; the plan's centres are area roots."""
    floor = scn.reach.min
    if floor <= 0:
        raise ScenarioError("`reach.min`: the capacity question needs a positive floor. Got 0 instead.")
    real = geo.areas["under5"]
    short = components_below(geo, floor)
    if short:
        raise InfeasibleError("capacity: the areas cannot all be placed in regions of the floor:", short)
    under5, capped = counted(real, floor)
    ub = simple = upper_bound(geo.corridors, under5, floor)
    t0 = time.perf_counter()
    limit = ctx.deadline.left(minimum=0.0)   # the wall-clock budget: what is left of the solve's deadline
    budget = min(GROW_SECONDS, limit / 10)
    grown = best_growth(geo.corridors, under5, floor, tries=400, seed=scn.solver.seed, seconds=budget)
    if grown is None:
        raise SolverError("capacity: region growing found no plan; raise solver.time_limit")
    grew = len(set(grown.values()))
    t1 = time.perf_counter()
    added = 0
    # regions of many areas: the local search slows down with them, the fixed-count search does not
    large = len(geo.areas) >= LARGE_REGIONS * ub
    if grew < ub and not large:
        grown, added = improve(geo.corridors, under5, floor, grown, seed=scn.solver.seed, seconds=budget)
    t_local = time.perf_counter()
    regions = packing.packing(geo.corridors, under5, floor, grown)
    exact, comb, banded, bands, comps = None, ub, ub, [], []
    if len(regions) < ub:   # below children / floor: a sharper bound, and a proof where the regions can be listed
        comps = maxp_exact.component_bounds(geo.corridors, under5.to_dict(), floor)
        comb = sum(q for _, q in comps)
        ub = min(ub, comb)
    reserve = end_reserve(len(geo.areas))
    first_go: list[tuple[float, int, int, fixcount.FixedCount]] = []   # (seconds into the solve, from, count, outcome)
    if large and len(regions) < ub:   # the exact methods cannot list regions this large: the search goes first
        first, first_go = _climb(geo.corridors, under5, floor, packing.partition(geo.corridors, under5, regions), ub,
                                 scn, (limit - (time.perf_counter() - t0) - reserve) * FIRST_GO_SHARE,
                                 scn.solver.seed, since=t0, jump_from=2)
        if len(first) > len(regions):
            regions = first
    cap = exact_regions(scn.solver.time_limit)
    if len(regions) < ub:   # where every minimal region can be listed, the set-packing MIP settles the question
        exact = maxp_exact.solve(geo.corridors, under5.to_dict(), floor, start=regions, solver=scn.solver.name,
                                 seconds=max(1.0, (limit - (time.perf_counter() - t0)) * EXACT_SHARE), max_regions=cap,
                                 cut_bound=comb, threads=scn.solver.threads)
        ub = min(ub, exact.bound)
        if exact.count > len(regions):
            regions = exact.regions
    if len(regions) < ub:   # is the bound itself reachable? (few children above it: few regions in the band)
        if exact is not None and len(comps) == 1:   # the MIP's bound is the one component's
            comps = [(comps[0][0], min(comps[0][1], exact.bound))]
        regions, banded, bands = band_checks(geo.corridors, under5, floor, regions, comps, solver=scn.solver.name,
                                             threads=scn.solver.threads,
                                             seconds=max(1.0, (limit - (time.perf_counter() - t0)) / 4),
                                             max_regions=cap)
        ub = min(ub, banded)
    whole = packing.partition(geo.corridors, under5, regions)
    progress.best(f"best so far {len(whole)} regions, bound {ub}")
    # a count the first go did not reach is searched again from other seeds, not the same rounds over
    again = any(m.shortfall > 0 and k == j + 1 for _, j, k, m in first_go)   # (not its try at the bound at once)
    whole, tried = _climb(geo.corridors, under5, floor, whole, ub, scn, limit - (time.perf_counter() - t0) - reserve,
                          scn.solver.seed + (AGAIN_SEED if again else 0), since=t0)
    fac = measures.facilities(geo, "area_centroids")
    minutes = measures.facility_minutes(geo, "area_centroids")
    assign = pd.Series({a: f"area:{r}" for a, r in central_roots(whole, real, minutes).items()}).sort_index()
    n = assign.nunique()
    local = f"local search (re-growing adjacent regions into one more) added {added} in {t_local - t1:.1f} s"
    if large and grew < ub:
        local = (f"local search: skipped (regions of {len(geo.areas) / ub:.0f} or more areas: it slows down there, "
                 "the fixed-count search does not)")
    band_bound = banded if any(b.reachable is False for b in bands) else None   # a count proven out of reach
    notes = [*([_capped_note(capped, floor)] if capped else []),
             f"region growing: {grew} regions in {t1 - t0:.1f} s; {local}",
             *[_fixed_count_note(j, k, m, floor, at) for at, j, k, m in first_go],
             *([_exact_note(exact, cap)] if exact is not None else []),
             *[_band_note(b, floor, cap) for b in bands],
             *[_fixed_count_note(j, k, m, floor, at) for at, j, k, m in tried],
             f"valid upper bound {ub} ({_bound_source(simple, comb, band_bound, ub, floor, capped)})"]
    seconds = time.perf_counter() - t0
    status = Status.OPTIMAL if n >= ub else Status.FEASIBLE
    solver = scn.solver.name.lower()
    ver = (f"HiGHS via highspy {package_version('highspy')}, PuLP {package_version('pulp')}" if solver == "highs"
           else f"{solver} via PuLP {package_version('pulp')}")
    out = Outcome(status, float(n), float(ub), (ub - n) / n, seconds, solver,
                  f"region growing, local search and fixed-count search (clusterplan; annealing compiled by numba "
                  f"{package_version('numba')}); {ver}")
    scope = ("connected regions of any shape; the bound is children / floor per corridor component, or lower where "
             "cut areas strand children, areas hold a floor or more each, or the set-packing MIP over every minimal "
             "region proves it")
    return Plan.from_assignment(geo, scn, assign, fac, minutes, status={j: "new" for j in sorted(assign.unique())},
                                report=report(out, scn, scope, ctx, None, notes), notes=notes)
