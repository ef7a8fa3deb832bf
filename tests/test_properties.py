"""Property tests on random SYNTHETIC geographies (grids, random planar graphs, islands), checked by exhaustion.

Every plan passes the independent checker; no plan beats the exhaustive optimum over all connected catchments; a
certified bound never exceeds it; and whenever a model says "infeasible", exhaustive search over every assignment
(or every partition) agrees. The default suite runs 100 examples in all; ``-m slow`` runs 1,200.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clusterplan as cp
from clusterplan.models.objective import plan_objective

from . import synthetic as syn

FAST = {"amalgamate": 40, "capacity": 25, "status_quo": 10, "cluster": 25}
SLOW = {"amalgamate": 500, "capacity": 300, "status_quo": 100, "cluster": 300}
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


# ------------------------------------------------------------------------------------------------ generators
def _planar_edges(points: list[tuple[int, int]], keep: list[bool]) -> list[tuple[int, int]]:
    """A connected planar graph on ``points``: a Delaunay-style triangulation (shapely), its minimum spanning tree
    always kept and each other edge kept where ``keep`` says so."""
    import shapely
    from shapely.geometry import MultiPoint
    tri = shapely.delaunay_triangles(MultiPoint(points), only_edges=True)
    index = {p: n for n, p in enumerate(points)}
    g = nx.Graph()
    g.add_nodes_from(range(len(points)))
    for line in getattr(tri, "geoms", [tri]):
        a, b = (tuple(map(int, map(round, c))) for c in line.coords)
        if a in index and b in index:
            g.add_edge(index[a], index[b], weight=math.dist(a, b))
    if not nx.is_connected(g):  # collinear points: link them in order along the line
        order = sorted(range(len(points)), key=lambda n: points[n])
        g.add_edges_from(zip(order, order[1:], strict=False))
    tree = set(map(frozenset, nx.minimum_spanning_edges(g, data=False)))
    extra = [e for e in g.edges if frozenset(e) not in tree]
    return sorted(tuple(sorted(e)) for e in tree) + [e for e, k in zip(extra, keep, strict=False) if k]


@st.composite
def piece(draw, n_min: int, n_max: int, x0: float):
    """One connected piece: a grid or a random planar graph, placed from x = ``x0`` km."""
    if draw(st.booleans()):
        w = draw(st.integers(1, 3))
        h = draw(st.integers(max(1, math.ceil(n_min / w)), max(1, n_max // w)))
        nodes = [(x, y) for x in range(w) for y in range(h)]
        pos = {n: (x0 + x, float(y)) for n, (x, y) in enumerate(nodes)}
        idx = {c: n for n, c in enumerate(nodes)}
        edges = [(idx[a], idx[b]) for a in nodes for b in nodes if a < b and math.dist(a, b) == 1.0]
        return pos, edges
    n = draw(st.integers(n_min, n_max))
    points = draw(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=n, max_size=n, unique=True))
    keep = draw(st.lists(st.booleans(), min_size=3 * n, max_size=3 * n))
    return {k: (x0 + x / 3, y / 3) for k, (x, y) in enumerate(points)}, _planar_edges(points, keep)


@st.composite
def geographies(draw, max_areas: int = 7, max_centres: int = 3):
    """A SYNTHETIC geography of up to ``max_areas`` areas: one piece, or two islands (no corridor between)."""
    islands = draw(st.booleans())
    pieces = [draw(piece(2, max_areas // 2, 0.0)), draw(piece(2, max_areas // 2, 20.0))] if islands else \
        [draw(piece(2, max_areas, 0.0))]
    pos, edges = {}, []
    for p, (ppos, pedges) in enumerate(pieces):
        pos |= {f"i{p}a{k}": xy for k, xy in ppos.items()}
        edges += [(f"i{p}a{a}", f"i{p}a{b}") for a, b in pedges]
    codes = sorted(pos)
    pops = {c: draw(st.integers(0, 200)) for c in codes}
    idaci = {c: draw(st.floats(0.0, 0.6)) for c in codes}
    k = draw(st.integers(1, min(max_centres, len(codes))))
    homes = draw(st.lists(st.sampled_from(codes), min_size=k, max_size=k, unique=True))
    phase = {f"C{n}": draw(st.sampled_from([1, 2, 3])) for n in range(k)}
    return syn.make(pos, pops, edges, {f"C{n}": h for n, h in enumerate(homes)}, idaci=idaci, phase=phase)


# ------------------------------------------------------------------------------------------- exhaustive truth
def _connected(geo, members, home) -> bool:
    return nx.is_connected(geo.corridors.subgraph(set(members) | {home}))


def exhaustive_amalgamate(geo, floor: float, weight: float) -> float | None:
    """The least objective over every assignment with connected catchments holding their homes and reaching the
    floor (None: there is none)."""
    areas = list(geo.areas.index)
    homes = geo.centres["home_area"].to_dict()
    best = None
    for assign in itertools.product(sorted(homes), repeat=len(areas)):
        a = dict(zip(areas, assign, strict=True))
        used = set(assign)
        if any(a[homes[j]] != j for j in used):
            continue
        groups = {j: [i for i in areas if a[i] == j] for j in used}
        if all(_connected(geo, m, homes[j]) and geo.areas.loc[m, "under5"].sum() >= floor
               for j, m in groups.items()):
            obj = plan_objective(_frame(a), geo.areas, geo.centre_minutes, weight)
            best = obj if best is None else min(best, obj)
    return best


def _frame(a: dict[str, str]):
    import pandas as pd
    return pd.DataFrame({"area": list(a), "centre": list(a.values())})


def _partitions(items: list):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _partitions(rest):
        yield [[first], *part]
        for n in range(len(part)):
            yield [*part[:n], [first, *part[n]], *part[n + 1:]]


def exhaustive_max_p(geo, floor: float) -> int:
    """The largest number of connected regions, each with at least ``floor`` children, partitioning the areas
    (0 if the areas cannot be partitioned at all)."""
    best = 0
    u5 = geo.areas["under5"]
    for part in _partitions(list(geo.areas.index)):
        if len(part) > best and all(u5[b].sum() >= floor and nx.is_connected(geo.corridors.subgraph(b))
                                    for b in part):
            best = len(part)
    return best


# ---------------------------------------------------------------------------------------------------- tests
def _amalgamate(geo, floor, weight):
    scn = {"model": "amalgamate", "reach": {"min": floor}, "deprivation": {"weight": weight},
           "solver": {"time_limit": 20, "certify": True}}
    truth = exhaustive_amalgamate(geo, floor, weight)
    try:
        plan = cp.solve(geo, scn)
    except cp.InfeasibleError as exc:
        assert truth is None, f"said infeasible ({exc}) but exhaustive search found a plan of {truth}"
        return
    assert cp.check(plan, geo, scn) == []
    assert plan.report.status == "optimal"
    obj = plan_objective(plan.assignment, geo.areas, geo.centre_minutes, weight)
    assert obj == pytest.approx(plan.report.objective, rel=1e-9, abs=1e-6)
    assert truth is not None and obj >= truth - 1e-6, "a plan cannot beat the exhaustive optimum"
    assert plan.report.relaxed_bound <= truth + 1e-6, "the certified bound must hold for every connected plan"


def _capacity(geo, floor):
    scn = {"model": "capacity", "reach": {"min": floor}, "solver": {"time_limit": 20}}
    truth = exhaustive_max_p(geo, floor)
    try:
        plan = cp.solve(geo, scn)
    except cp.InfeasibleError as exc:
        assert truth == 0, f"said infeasible ({exc}) but {truth} regions exist"
        return
    assert cp.check(plan, geo, scn) == []
    n = plan.assignment["centre"].nunique()
    assert n == plan.report.objective <= truth <= plan.report.bound
    # geographies this small have few minimal regions: the exact method lists them all and proves the maximum
    assert plan.report.status == "optimal" and n == truth == plan.report.bound


def _cluster(geo, count, min_reach):
    scn = {"model": "cluster", "clusters": {"count": count, "min_reach": min_reach}, "solver": {"time_limit": 20}}
    try:
        plan = cp.solve(geo, scn)
    except cp.InfeasibleError as exc:
        if exhaustive_amalgamate(geo, 0, 0.0) is None:
            return  # no catchments at all (an island without a centre), so no clusters either
        sq = cp.solve(geo, {"model": "status_quo"})  # the catchments the clusters are made of
        assert not _clusters_exist(geo, sq, count, min_reach or 0), f"said infeasible ({exc}) but clusters exist"
        return
    assert cp.check(plan, geo, scn) == []


def _clusters_exist(geo, sq, count, min_reach) -> bool:
    a = sq.assignment.set_index("area")["centre"]
    reach = geo.areas["under5"].groupby(a).sum()
    lifted = nx.Graph()
    lifted.add_nodes_from(a.unique())
    lifted.add_edges_from((a[u], a[v]) for u, v in geo.corridors.edges if a[u] != a[v])
    phase = geo.centres["phase"]
    for part in _partitions(sorted(a.unique())):
        if len(part) == count and all(nx.is_connected(lifted.subgraph(b)) and reach[b].sum() >= min_reach
                                      and (phase[b] == 1).any() for b in part):
            return True
    return False


def _run(model: str, n: int):
    @settings(max_examples=n, deadline=None, suppress_health_check=QUIET, derandomize=True)
    @given(geo=geographies(), floor=st.sampled_from([0, 100, 200, 300, 500]), weight=st.sampled_from([0.0, 1.0]),
           count=st.integers(1, 3), min_reach=st.sampled_from([None, 150, 400]))
    def prop(geo, floor, weight, count, min_reach):
        if model == "amalgamate":
            _amalgamate(geo, floor, weight)
        elif model == "capacity":
            if floor > 0:
                _capacity(geo, floor)
        elif model == "status_quo":
            try:
                plan = cp.solve(geo, {"model": "status_quo"})
            except cp.InfeasibleError as exc:
                assert "have no centre" in str(exc) and exhaustive_amalgamate(geo, 0, 0.0) is None
                return
            assert set(plan.kept) == set(geo.centres.index)
            assert cp.check(plan, geo, {"model": "status_quo"}) == []
        else:
            _cluster(geo, count, min_reach)
    prop()


@pytest.mark.parametrize("model", sorted(FAST))
def test_random_geographies(model):
    _run(model, FAST[model])


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(SLOW))
def test_random_geographies_slow(model):
    _run(model, SLOW[model])


def test_the_default_and_slow_suites_run_enough_examples():
    assert sum(FAST.values()) >= 100 and sum(SLOW.values()) >= 1000


def test_the_generators_make_grids_planar_graphs_and_islands():
    """The strategies really produce the three shapes (not, say, only grids)."""
    seen = set()

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=QUIET)
    @given(geographies())
    def look(geo):
        comps = nx.number_connected_components(geo.corridors)
        degrees = {d for _, d in geo.corridors.degree}
        seen.add("islands" if comps == 2 else "connected")
        if max(degrees) >= 5 or any(len(c) == 3 for c in nx.cycle_basis(geo.corridors)):
            seen.add("triangles")  # only the planar generator makes triangles
        assert comps in (1, 2) and min(degrees) >= 1
    look()
    assert seen == {"islands", "connected", "triangles"}


def _feasible_within(geo: cp.Geography, floor: float, limit: float, most: int | None = None) -> bool:
    """Exhaustively: is there an assignment of every area to a centre within ``limit`` minutes such that each centre
    used serves its home area, holds ``floor`` children and a connected catchment (an amalgamation's rules), with at
    most ``most`` centres used?"""
    m = geo.centre_minutes
    homes = geo.centres["home_area"]
    codes = list(geo.areas.index)
    options = [[j for j in m.columns if m.at[i, j] <= limit] for i in codes]
    for pick in itertools.product(*options):
        by: dict[str, list[str]] = {}
        for i, j in zip(codes, pick, strict=True):
            by.setdefault(j, []).append(i)
        if most is not None and len(by) > most:
            continue
        if all(homes[j] in areas and geo.areas.loc[areas, "under5"].sum() >= floor
               and nx.is_connected(geo.corridors.subgraph(areas)) for j, areas in by.items()):
            return True
    return False


@given(st.lists(st.integers(20, 160), min_size=7, max_size=7), st.sets(st.integers(0, 6), min_size=2, max_size=5),
       st.sampled_from([10.0, 20.0]), st.sampled_from([None, 1, 2]))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_travel_limit_named_impossible_before_the_solve_is_impossible(pops, homes, limit, most):
    """SYNTHETIC paths of 7 areas (10 minutes a hop): where the pre-solve names areas whose only centres within the
    travel limit cannot gather the floor from areas within it, or more centres needed to bring every area within the
    limit than centres.max_count allows, no plan exists, by exhaustive search."""
    geo = syn.make({f"a{i}": (float(i), 0.0) for i in range(7)}, {f"a{i}": pops[i] for i in range(7)},
                   [(f"a{i}", f"a{i + 1}") for i in range(6)], {f"c{h}": f"a{h}" for h in sorted(homes)})
    scn = {"model": "amalgamate", "reach": {"min": 200}, "travel": {"max_minutes": limit},
           "centres": {"max_count": most}}
    try:
        cp.solve(geo, scn)
    except cp.InfeasibleError as exc:
        if "within the travel limit of" in str(exc) and ("can gather" in str(exc) or "are needed" in str(exc)):
            assert not _feasible_within(geo, 200, limit, most), str(exc)
