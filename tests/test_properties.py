"""Property tests on random SYNTHETIC instances: every plan passes the checker and its objective is exact."""

import itertools

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clusterplan as cp
from clusterplan.models.objective import plan_objective

from . import synthetic as syn


@st.composite
def instances(draw):
    w = draw(st.integers(2, 3))
    h = draw(st.integers(2, 3))
    cells = [(x, y) for x in range(w) for y in range(h)]
    pops = {f"g{x}_{y}": draw(st.integers(10, 200)) for x, y in cells}
    k = draw(st.integers(1, min(3, len(cells))))
    homes = draw(st.lists(st.sampled_from(cells), min_size=k, max_size=k, unique=True))
    centres = {f"C{n}": c for n, c in enumerate(homes)}
    floor = draw(st.sampled_from([0, 100, 200, 300, 500]))
    weight = draw(st.sampled_from([0.0, 1.0]))
    idaci = {c: draw(st.floats(0.0, 0.5)) for c in pops}
    return syn.grid(w, h, pops, centres, idaci=idaci), floor, weight


def brute_force_feasible(geo, floor) -> bool:
    """Exhaustively: is there any assignment with connected catchments holding their homes and reaching the floor?"""
    areas = list(geo.areas.index)
    homes = geo.centres["home_area"].to_dict()
    ids = sorted(homes)
    for assign in itertools.product(ids, repeat=len(areas)):
        a = dict(zip(areas, assign, strict=True))
        used = set(assign)
        ok = all(a[homes[j]] == j for j in used)
        for j in used:
            members = [i for i in areas if a[i] == j]
            ok = ok and nx.is_connected(geo.corridors.subgraph(members))
            ok = ok and geo.areas.loc[members, "under5"].sum() >= floor
        if ok:
            return True
    return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_plan_passes_the_checker_and_infeasibility_is_real(inst):
    geo, floor, weight = inst
    scn = {"model": "amalgamate", "reach": {"min": floor}, "deprivation": {"weight": weight},
           "solver": {"time_limit": 20}}
    try:
        plan = cp.solve(geo, scn)
    except cp.InfeasibleError:
        assert not brute_force_feasible(geo, floor)
        return
    assert cp.check(plan, geo, scn) == []
    assert plan.report.status == "optimal"
    assert plan_objective(plan.assignment, geo.areas, geo.centre_minutes, weight) == \
        pytest.approx(plan.report.objective, rel=1e-9, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(instances())
def test_status_quo_and_capacity_plans_pass_the_checker(inst):
    geo, floor, _ = inst
    sq = cp.solve(geo, {"model": "status_quo", "solver": {"time_limit": 20}})
    assert set(sq.kept) == set(geo.centres.index)
    if floor > 0 and geo.areas["under5"].sum() >= floor:
        cap = cp.solve(geo, {"model": "capacity", "reach": {"min": floor}, "solver": {"time_limit": 20}})
        assert cp.check(cap, geo, {"model": "capacity", "reach": {"min": floor}}) == []
        assert cap.report.objective <= cap.report.bound
