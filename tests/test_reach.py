"""Reach cuts (clusterplan.models.reach) against exhaustive search on SYNTHETIC graphs: every cut they separate holds
for every catchment the model allows (connected to its home through precedence, at the floor), and each cut is
violated by the fractional solution it was separated from."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from clusterplan.models import contiguity, reach


def _instance(seed: int):
    """SYNTHETIC: a connected random graph of 9-11 areas with whole minutes on its links, children 0-40 each, a home
    and a floor between 30% and 80% of the children; in a fifth of the instances the home's own children do not
    count (a home area shared with another centre, which may serve it)."""
    rng = random.Random(seed)
    n = rng.randint(9, 11)
    while True:
        g = nx.gnp_random_graph(n, 0.3, seed=rng.randrange(10**6))
        if nx.is_connected(g):
            break
    g = nx.relabel_nodes(g, {v: f"a{v}" for v in g})
    for u, v in g.edges:
        g.edges[u, v]["minutes"] = rng.randint(1, 5)
    home = f"a{rng.randrange(n)}"
    kids = {v: rng.randint(0, 40) for v in g}
    preds = contiguity.predecessors(g, home, list(g), weight="minutes")
    children = {v: float(kids[v]) for v in preds if v != home or rng.random() > 0.2}
    floor = float(rng.randint(int(0.3 * sum(kids.values())), int(0.8 * sum(kids.values()))))
    return reach.Centre(home, children, preds), floor, rng


def _catchments(c: reach.Centre, floor: float) -> list[frozenset]:
    """Every catchment the model allows: areas each with a predecessor among them or next to the home (the home's
    place taken by y = 1), holding at least ``floor`` children."""
    others = sorted(v for v in c.preds if v != c.home)
    out = []
    for k in range(len(others) + 1):
        for extra in itertools.combinations(others, k):
            s = set(extra)
            if all(any(u == c.home or u in s for u in c.preds[v]) for v in s):
                members = s | ({c.home} if c.home in c.children else set())
                if sum(c.children.get(v, 0.0) for v in members) >= floor:
                    out.append(frozenset(members))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_every_cut_holds_for_every_catchment_and_cuts_off_its_fractional_solution(seed):
    c, floor, rng = _instance(seed)
    feasible = _catchments(c, floor)
    found = 0
    for _ in range(6):
        x = {v: rng.choice([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]) for v in c.children}
        if c.home in x:
            x[c.home] = 1.0
        y = rng.choice([1.0, 0.6])
        for edge in reach.separate(c, floor, x, y):
            found += 1
            assert set(edge) <= set(c.children) and c.home not in edge
            assert sum(x[v] for v in edge) < y - reach.TOLERANCE   # a cut of this solution
            for members in feasible:                                # and of no plan
                assert set(edge) & members, (edge, sorted(members))
            if not edge:
                assert not feasible   # y <= 0: the centre cannot reach the floor at all
    if seed == 0:
        assert found, "no cut separated: the test does not test the cuts"


def test_cuts_are_found_across_the_instances_and_none_where_the_home_reaches_the_floor():
    total = 0
    for seed in range(40):
        c, floor, rng = _instance(seed)
        x = {v: 0.3 for v in c.children}
        total += len(reach.separate(c, floor, x, 1.0))
    assert total >= 40
    c, floor, _ = _instance(1)
    home_alone = reach.Centre(c.home, {**c.children, c.home: floor}, c.preds)
    assert reach.separate(home_alone, floor, {v: 0.0 for v in c.children}, 1.0) == []
    assert reach.separate(c, floor, {v: 0.0 for v in c.children}, 0.0) == []   # centre closed: nothing to cut
