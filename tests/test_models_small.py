"""Every model on SYNTHETIC instances whose optimum is worked out by hand (see tests/synthetic.py)."""

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest

import clusterplan as cp
from clusterplan.models import capacity, maxp_exact
from clusterplan.models.objective import plan_objective

from . import synthetic as syn

FAST = {"time_limit": 30}


def solve(geo, scn):
    plan = cp.solve(geo, {**scn, "solver": {**FAST, **scn.get("solver", {})}})
    assert cp.check(plan, geo, {**scn, "solver": {**FAST, **scn.get("solver", {})}}) == []
    return plan


# Ring of six areas, 100 children each, centres A at a0 and B at a3, 10 minutes per hop, no deprivation weight.
RING = dict(n=6, pop=100, centres={"A": 0, "B": 3})


def test_ring_status_quo_splits_the_ring_in_half():
    geo = syn.ring(**RING)
    plan = solve(geo, {"model": "status_quo", "deprivation": {"weight": 0}})
    assert plan.report.status == "optimal"
    assert plan.report.objective == pytest.approx(4000)  # four areas one hop away, 100 children, 10 minutes
    assert sorted(plan.centres["reach"]) == [300, 300]


def test_ring_floor_300_keeps_both_and_400_keeps_one():
    geo = syn.ring(**RING)
    both = solve(geo, {"model": "amalgamate", "reach": {"min": 300}, "deprivation": {"weight": 0}})
    assert both.kept == ["A", "B"] and both.report.objective == pytest.approx(4000)
    one = solve(geo, {"model": "amalgamate", "reach": {"min": 400}, "deprivation": {"weight": 0}})
    assert len(one.kept) == 1 and one.report.objective == pytest.approx(9000)  # 100 x 10 x (1+2+3+2+1)
    closed = one.centres[one.centres["status"] == "amalgamated"].iloc[0]
    assert closed["merged_into"] == one.kept[0]


def test_ring_fixed_cost_trades_travel_for_centres():
    geo = syn.ring(**RING)
    # both: 4000 + 2 x 6000 = 16000; one: 9000 + 6000 = 15000
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 300}, "deprivation": {"weight": 0},
                       "centres": {"fixed_cost": 6000}})
    assert len(plan.kept) == 1 and plan.report.objective == pytest.approx(15000)


def test_deprivation_weight_scales_child_minutes():
    idaci = {f"a{i}": 0.5 for i in range(6)}
    geo = syn.ring(**RING, idaci=idaci)
    plan = solve(geo, {"model": "status_quo", "deprivation": {"weight": 2}})
    assert plan.report.objective == pytest.approx(4000 * (1 + 2 * 0.5))


# Star: hub a0 (100 children) and five leaves of 150; centre H at the hub, L on leaf a1.
STAR = dict(leaves=5, hub_pop=100, leaf_pop=150, centres={"H": 0, "L": 1})


def test_star_leaf_centre_cannot_reach_the_floor_past_the_hub():
    geo = syn.star(**STAR)
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 300}, "deprivation": {"weight": 0}})
    assert plan.kept == ["H"] and plan.report.objective == pytest.approx(7500)  # 5 leaves x 150 x 10
    assert plan.centres.set_index("centre").at["L", "merged_into"] == "H"


def test_star_locks():
    geo = syn.star(**STAR)
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 300}, "deprivation": {"weight": 0},
                       "centres": {"close": ["H"]}})
    assert plan.kept == ["L"] and plan.report.objective == pytest.approx(13000)  # hub 100x10 + 4 leaves 150x20
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 300}, "deprivation": {"weight": 0},
                       "centres": {"keep": ["centre L"]}})
    assert plan.kept == ["L"]


def test_star_both_locked_open_is_explained():
    geo = syn.star(**STAR)
    with pytest.raises(cp.InfeasibleError) as e:
        cp.solve(geo, {"model": "amalgamate", "reach": {"min": 300}, "centres": {"keep": ["H", "L"]},
                       "solver": FAST})
    msg = str(e.value)
    assert "smallest set of rules to relax" in msg and "centre L [L] cannot reach 300" in msg


# Grid 3 x 3, 100 children per cell, centres at opposite corners.
def test_grid_split_with_floor_400():
    geo = syn.grid(3, 3, 100, {"A": (0, 0), "B": (2, 2)})
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 400}, "deprivation": {"weight": 0}})
    # three cells per corner at 0/10/10 minutes, three diagonal cells at 20 minutes wherever they go
    assert plan.kept == ["A", "B"] and plan.report.objective == pytest.approx(10000)
    assert sorted(plan.centres["reach"]) == [400, 500]


def test_grid_sites_count_one_opens_the_middle():
    geo = syn.grid(3, 3, 100, {"A": (0, 0)})
    plan = solve(geo, {"model": "sites", "geography": {"sites": "area_centroids"}, "centres": {"count": 1}})
    assert plan.kept == ["area:g1_1"] and (plan.centres["status"] == "new").all()


def test_grid_per_district_count():
    district = {f"g{x}_{y}": ("West" if x < 2 else "East") for x in range(4) for y in range(2)}
    geo = syn.grid(4, 2, 100, {"W1": (0, 0), "W2": (1, 1), "E1": (2, 0), "E2": (3, 1)}, district=district)
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 200},
                       "centres": {"per_district": {"west": 1, "East": 2}}})
    kept = plan.centres[plan.centres["status"] == "kept"]
    assert sorted(kept["district"]) == ["East", "East", "West"]


def test_travel_limit_is_respected():
    geo = syn.grid(3, 3, 100, {"A": (0, 0), "B": (2, 2), "C": (0, 2)})
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 100}, "travel": {"max_minutes": 20}})
    mins = geo.centre_minutes
    assert all(mins.at[a, c] <= 20 for a, c in zip(plan.assignment["area"], plan.assignment["centre"], strict=True))


# Capacity
def test_capacity_reaches_its_bound_on_a_grid():
    geo = syn.grid(4, 4, 100, {"A": (0, 0)})
    plan = solve(geo, {"model": "capacity", "reach": {"min": 400}})
    assert plan.report.objective == 4 and plan.report.bound == 4 and plan.report.status == "optimal"


def test_capacity_on_a_star_proves_one_region():
    # any region with two leaves must hold the hub, so only one region can reach 300: children / floor (850 / 300 = 2)
    # overstates it, the cut-area bound (the hub strands every leaf) proves 1
    geo = syn.star(**STAR)
    plan = solve(geo, {"model": "capacity", "reach": {"min": 300}})
    assert plan.report.objective == 1 and plan.report.bound == 1 and plan.report.status == "optimal"
    assert any("cut areas" in n for n in plan.report.notes)


def _grid_capacity(side: int, floor: float, expected: int):
    """A SYNTHETIC side x side grid of 100 children an area, one area of 101, solved for its capacity at ``floor``;
    the plan must be the proven ``expected`` regions and pass the checker. Returns its notes."""
    pop = {f"g{x}_{y}": 100 for x in range(side) for y in range(side)}
    pop["g0_0"] = 101
    geo = syn.grid(side, side, pop, {"A": (0, 0)})
    scn = {"model": "capacity", "reach": {"min": floor}, "solver": {"time_limit": 20}}
    plan = solve(geo, scn)
    assert plan.report.objective == expected and plan.report.bound == expected and plan.report.status == "optimal"
    assert cp.check(plan, geo, scn) == []
    return plan.report.notes


def test_capacity_band_check_proves_one_region_below_children_over_floor():
    # 8 x 8, floor 710: children / floor = 9 (6,401 children) and no cut areas, but 9 regions would each hold 710 to
    # 721 children, which sums of 100s and one 101 never make: the band check proves 8 the most (no connected set
    # holds 710 to 721 children), and the search finds 8 (2 x 4 blocks). Regions of 8 areas are too many to list
    # (over the cap of a 20 s solve), so the set-packing MIP, which runs first where they can be listed, does not
    # settle it here.
    notes = _grid_capacity(8, 710, 8)
    cap = capacity.exact_regions(20)
    assert any(n.startswith(f"exact search: more than {cap:,} minimal regions") for n in notes), notes
    assert any("band check for 9 regions" in n and "no partition into 9 exists" in n for n in notes), notes
    assert any("the band check proves it" in n for n in notes)


def test_capacity_packing_mip_runs_before_the_band_check_where_minimal_regions_can_be_listed():
    # 6 x 6, floor 450: children / floor = 8, but no connected set holds 450 or 451 children, so 7 is the most. Its
    # minimal regions (5 areas each) are few: the set-packing MIP over them finds and proves 7, and the band check,
    # which would only decide whether 8 is reachable, is not needed.
    notes = _grid_capacity(6, 450, 7)
    assert any(n.startswith("exact search:") and "proved the optimum" in n for n in notes), notes
    assert not any(n.startswith("band check") for n in notes)
    assert any("the set-packing MIP over every minimal region" in n for n in notes)


def test_capacity_exact_note_says_what_settles_an_unfinished_packing_mip():
    # Hackney (England tables) at 60 s: the MIP over 37,098 minimal regions stops at 31 of 32; at 200 s it finds 32
    # (benchmarks/README.md). The note must say the question is open and which key gives the MIP more time.
    stopped = maxp_exact.Exact(31, [], 32, False, 37_098, 44.8)
    note = capacity._exact_note(stopped, 50_000)
    assert "stopped with 31 regions against a bound of 32 in 44.8 s" in note and "solver.time_limit" in note
    done = capacity._exact_note(maxp_exact.Exact(32, [], 32, True, 37_098, 101.8), 50_000)
    assert "proved the optimum in 101.8 s" in done and "time_limit" not in done


# Clusters: six centres round a ring, phase 1 at c0 and c3
def _cluster_ring():
    return syn.ring(6, 100, {f"c{i}": i for i in range(6)}, phase={"c0": 1, "c3": 1})


def test_ring_clusters_into_two_halves():
    geo = _cluster_ring()
    plan = solve(geo, {"model": "cluster", "clusters": {"count": 2}})
    assert plan.report.objective == pytest.approx(4000)  # two centres one hop from each lead, 100 children
    assert sorted(plan.clusters["centres"]) == [3, 3] and (plan.clusters["phase1"] == 1).all()
    assert set(plan.assignment["cluster"]) == set(plan.clusters["cluster"])


def test_cluster_count_above_phase_one_centres_is_explained():
    with pytest.raises(cp.InfeasibleError, match="only 2 centres are phase 1"):
        cp.solve(_cluster_ring(), {"model": "cluster", "clusters": {"count": 3}})
    # a cluster floor above what the children can fill: the count in words, the floor with its key
    with pytest.raises(cp.InfeasibleError, match=r"600 children can fill at most 1 cluster of 400 children "
                                                 r"\(clusters.min_reach\); the scenario asks for 2"):
        cp.solve(_cluster_ring(), {"model": "cluster", "clusters": {"count": 2, "min_reach": 400}})


def test_cluster_rules_in_conflict_are_named_before_solving():
    # both phase-1 centres in the west, clusters nested in districts: the east cluster can have no phase-1 centre
    district = {f"a{i}": ("West" if i < 3 else "East") for i in range(6)}
    geo = syn.ring(6, 100, {f"c{i}": i for i in range(6)}, phase={"c0": 1, "c1": 1}, district=district)
    with pytest.raises(cp.InfeasibleError, match=r"district 'East' has no phase-1 centre to lead a cluster \(its "
                                                 r"centres: centre c3, centre c4, centre c5; phases \[3\]\)"):
        cp.solve(geo, {"model": "cluster", "clusters": {"count": 2, "within_district": True}})
    with pytest.raises(cp.InfeasibleError, match=r"district 'East' has no phase-1 centre, and "
                                                 r"clusters.require_phase1 asks for one"):
        cp.solve(geo, {"model": "cluster", "clusters": {"count": 2, "within_district": True, "lead": "any"}})


def test_cluster_rules_in_conflict_are_explained_by_what_if():
    # every centre school-led, at most one per cluster, six centres in two clusters: only dropping the cap helps
    geo = syn.ring(6, 100, {f"c{i}": i for i in range(6)}, phase={"c0": 1, "c3": 1})
    geo = replace(geo, centres=geo.centres.assign(lead_partner="school"))
    with pytest.raises(cp.InfeasibleError, match=r"dropping any one of these makes a grouping possible: "
                                                 r"clusters.max_school_led$"):
        cp.solve(geo, {"model": "cluster", "clusters": {"count": 2, "max_school_led": 1}})


# Infeasibility before solving
def test_count_larger_than_children_allow():
    with pytest.raises(cp.InfeasibleError, match="600 children under five in all can fill at most 2 centres of 300"):
        cp.solve(syn.ring(**RING), {"model": "amalgamate", "reach": {"min": 300}, "centres": {"count": 3}})


def test_component_below_floor_is_named():
    geo = syn.make({"a": (0, 0), "b": (1, 0), "c": (5, 0), "d": (6, 0)}, {"a": 100, "b": 100, "c": 300, "d": 300},
                   [("a", "b"), ("c", "d")], {"X": "a", "Y": "c"})
    with pytest.raises(cp.InfeasibleError, match=r"the 2 area\(s\) a, b \(a corridor component\) hold only 200"):
        cp.solve(geo, {"model": "amalgamate", "reach": {"min": 300}})


def test_travel_limit_names_far_areas():
    with pytest.raises(cp.InfeasibleError, match="area a2 .* 20.0 minutes from the nearest centre"):
        cp.solve(syn.ring(6, 100, {"A": 0}), {"model": "amalgamate", "reach": {"min": 100},
                                              "travel": {"max_minutes": 15}})


def test_locked_open_and_closed():
    with pytest.raises(cp.ScenarioError, match="both name centre A; a centre cannot be locked open and closed"):
        cp.solve(syn.ring(**RING), {"model": "amalgamate", "reach": {"min": 100},
                                    "centres": {"keep": ["A"], "close": ["A"]}})


def test_district_count_beyond_its_centres():
    with pytest.raises(cp.InfeasibleError, match=r"D1: 3 centres asked for \(centres.per_district\), but only 2"):
        cp.solve(syn.ring(**RING), {"model": "amalgamate", "reach": {"min": 100},
                                    "centres": {"per_district": {"D1": 3}}})


def test_counts_beyond_a_single_centre_read_in_the_singular():
    """SYNTHETIC: an authority with one centre (Rutland has one): the reasons say "1 centre", not "1 centres"."""
    one = syn.ring(6, 200, {"A": 0})
    with pytest.raises(cp.InfeasibleError, match="centres.count = 2, but only 1 centre or site is available"):
        cp.solve(one, {"model": "amalgamate", "reach": {"min": 100}, "centres": {"count": 2}})
    with pytest.raises(cp.InfeasibleError, match="2 clusters asked for, but there is only 1 centre"):
        cp.solve(one, {"model": "cluster", "clusters": {"count": 2, "require_phase1": False}})


def test_unknown_names_suggest_the_right_one():
    with pytest.raises(cp.ScenarioError, match="unknown centre 'centre Q'"):
        cp.solve(syn.ring(**RING), {"model": "amalgamate", "centres": {"keep": ["centre Q"]}})
    with pytest.raises(cp.ScenarioError, match="did you mean 'D1'"):
        cp.solve(syn.ring(**RING), {"model": "amalgamate", "centres": {"per_district": {"D 1": 1}}})
    with pytest.raises(cp.ScenarioError, match=r"`reach.mni` is not a known key; did you mean 'reach.min'"):
        cp.solve(syn.ring(**RING), {"model": "amalgamate", "reach": {"mni": 1}})


def test_objective_helper_matches_report():
    geo = syn.grid(3, 3, 100, {"A": (0, 0), "B": (2, 2)})
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 400}, "deprivation": {"weight": 1.5}})
    assert plan_objective(plan.assignment, geo.areas, geo.centre_minutes, 1.5) == pytest.approx(plan.report.objective)


def test_flow_fallback_finds_catchments_precedence_cannot_shape():
    # h-w-v is the short way round; the far area u links h and v the long way. W (at w) is locked open, so H's
    # only catchment of 300 is {h, u, v}: connected, but v is reached through u, which is farther from h than v.
    geo = syn.make({"h": (0, 0), "w": (1, 0), "v": (2, 0), "u": (1, 15)}, {"h": 100, "u": 100, "v": 100, "w": 300},
                   [("h", "u"), ("u", "v"), ("h", "w"), ("w", "v")], {"H": "h", "W": "w"})
    plan = solve(geo, {"model": "amalgamate", "reach": {"min": 300}, "centres": {"keep": ["H", "W"]}})
    a = plan.assignment.set_index("area")["centre"].to_dict()
    assert a == {"h": "H", "u": "H", "v": "H", "w": "W"}
    assert "exact flow" in plan.report.scope
    assert any("re-solved with exact flow contiguity" in n for n in plan.report.notes)


def test_the_time_limit_stops_a_widening_that_has_not_proven_anything():
    """The same instance with a time limit already spent after its first (precedence) model: the flow model is not
    built past the limit (on Norfolk's hubs, rounds of widening built models of a million rows and ran 131 s against
    a limit of 60); the run says why it stopped, and that nothing was proven."""
    geo = syn.make({"h": (0, 0), "w": (1, 0), "v": (2, 0), "u": (1, 15)}, {"h": 100, "u": 100, "v": 100, "w": 300},
                   [("h", "u"), ("u", "v"), ("h", "w"), ("w", "v")], {"H": "h", "W": "w"})
    scn = {"model": "amalgamate", "reach": {"min": 300}, "centres": {"keep": ["H", "W"]},
           "solver": {"time_limit": 0.01}}
    with pytest.raises(cp.SolverError, match=r"^amalgamation: the model was infeasible as restricted, and "
                                             r"solver.time_limit \(0.01 s\) ran out before the exact flow contiguity "
                                             r"was tried \(precedence admits only some connected catchments\): the "
                                             r"scenario is not proven infeasible"):
        solve(geo, scn)


def _valid_regions(graph, under5, floor, region_of) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for a, r in region_of.items():
        members.setdefault(r, set()).add(a)
    assert set(region_of) == set(graph.nodes)
    for r, areas in members.items():
        assert r in areas and nx.is_connected(graph.subgraph(areas)), r
        assert under5[list(areas)].sum() >= floor, r
    return members


def test_local_search_adds_regions_and_keeps_every_region_valid(norfolk):
    from clusterplan.models import capacity
    # SYNTHETIC: a 6 x 6 grid of 100 children, floor 300; start from 6 regions of 600 (one per row): every pair of
    # rows can be re-grown into three regions, so the search must find more, up to the bound of 12
    geo = syn.grid(6, 6, 100, {"A": (0, 0)})
    u = geo.areas["under5"]
    rows = {a: f"g0_{a.split('_')[1]}" for a in geo.areas.index}  # area g<x>_<y> -> its row's first area
    better, added = capacity.improve(geo.corridors, u, 300, rows, seed=0, seconds=30)
    assert added > 0 and len(_valid_regions(geo.corridors, u, 300, better)) == 6 + added <= 12
    # the real Norfolk areas at the statutory floor: never fewer regions, every one connected and >= 600
    u = norfolk.areas["under5"]
    grown = capacity.best_growth(norfolk.corridors, u, 600, tries=50, seed=0, seconds=30)
    better, added = capacity.improve(norfolk.corridors, u, 600, grown, seed=0, seconds=30)
    assert len(_valid_regions(norfolk.corridors, u, 600, better)) == len(set(grown.values())) + added
    assert added >= 1


def _packing_ok(graph, under5, floor, regions):
    seen = set()
    for r in regions:
        assert not (r & seen), "regions overlap"
        seen |= r
        assert nx.is_connected(graph.subgraph(r)) and under5[list(r)].sum() >= floor, sorted(r)


def test_partition_names_cut_off_areas():
    from clusterplan.models import packing
    geo = syn.grid(3, 1, 100, {"A": (0, 0)})
    graph = geo.corridors.copy()
    graph.add_node("island")
    u = geo.areas["under5"].copy()
    u["island"] = 50
    with pytest.raises(ValueError, match="island"):
        packing.partition(graph, u, [frozenset({"g0_0", "g1_0"})])


def _partition_ok(graph, under5, floor, regions):
    assert sorted(a for r in regions for a in r) == sorted(graph.nodes), "not a partition of the areas"
    _packing_ok(graph, under5, floor, regions)


def test_fixed_count_search_finds_one_region_more_on_a_grid():
    from clusterplan.models import fixcount
    # SYNTHETIC: a 6 x 2 grid of 100 children, floor 300, bound 4. Start from three regions of 400 (two columns
    # each): splitting one leaves two halves of 200, so the search must re-draw the regions into four of 300
    geo = syn.grid(6, 2, 100, {"A": (0, 0)})
    u, graph = geo.areas["under5"], geo.corridors
    start = [frozenset(f"g{x}_{y}" for x in (c, c + 1) for y in (0, 1)) for c in (0, 2, 4)]
    out = fixcount.one_more(graph, u, 300, start, seed=0, seconds=60)
    assert out.split == 200 and out.shortfall == 0 and len(out.regions) == 4
    _partition_ok(graph, u, 300, out.regions)
    assert fixcount.one_more(graph, u, 300, start, seed=0, seconds=60).regions == out.regions
    # pair recombination alone (no annealing) closes the shortfall too, and so do the chains alone and the window
    # MIPs alone (off unless asked for)
    rec = fixcount.one_more(graph, u, 300, start, seed=0, seconds=60, moves_per_area=0)
    assert rec.annealed == 200 and rec.recombined == 0 and rec.shortfall == 0 and rec.windows == 0
    _partition_ok(graph, u, 300, rec.regions)
    chained = fixcount.one_more(graph, u, 300, start, seed=0, seconds=60, moves_per_area=0, stall=0)
    assert chained.recombined == 200 and chained.chained == chained.shortfall == 0 and chained.windows == 0
    _partition_ok(graph, u, 300, chained.regions)
    alone = fixcount.one_more(graph, u, 300, start, seed=0, seconds=60, moves_per_area=0, stall=0, chain_patience=0,
                              patience=150)
    assert alone.annealed == alone.recombined == alone.chained == 200 and alone.shortfall == 0 and alone.windows >= 1
    _partition_ok(graph, u, 300, alone.regions)


def test_the_window_mips_run_on_the_threads_asked_for(monkeypatch):
    # the capacity model passes the scenario's solver.threads to the fixed-count search; its window MIPs ignored it
    from clusterplan import solvers
    from clusterplan.models import fixcount
    geo = syn.grid(6, 2, 100, {"A": (0, 0)})   # SYNTHETIC, the grid of the test above
    u, graph = geo.areas["under5"], geo.corridors
    start = [frozenset(f"g{x}_{y}" for x in (c, c + 1) for y in (0, 1)) for c in (0, 2, 4)]
    seen = []
    real = solvers.run_highs
    monkeypatch.setattr(solvers, "run_highs", lambda h: (seen.append(int(h.getOptionValue("threads")[1])), real(h)))
    out = fixcount.one_more(graph, u, 300, start, seed=0, seconds=60, moves_per_area=0, stall=0, chain_patience=0,
                            patience=150, threads=1)
    assert out.shortfall == 0 and out.windows >= 1 and len(seen) == out.windows and set(seen) == {1}


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("seed", range(40))
def test_pair_splits_lists_every_connected_cut_of_two_regions(seed, compiled, monkeypatch):
    from clusterplan.models import fixcount, packing
    if not compiled:   # the Python enumeration that pairs of more than 62 areas use
        monkeypatch.setattr(fixcount, "COMPILED_PAIR", 0)
    # SYNTHETIC: two adjacent blocks of a random grid with random children (some areas empty); every way to cut
    # their union into two connected non-empty parts, one holding lo..hi children, found by trying every subset
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(2, 6)), int(rng.integers(2, 4))
    geo = syn.grid(w, h, {f"g{x}_{y}": int(rng.integers(0, 90)) for x in range(w) for y in range(h)}, {"A": (0, 0)})
    graph, u = geo.corridors, geo.areas["under5"]
    if seed % 3 == 0:   # not a grid: drop links at random, keeping the graph connected
        for e in list(graph.edges):
            graph.remove_edge(*e)
            if not nx.is_connected(graph) or rng.random() < 0.5:
                graph.add_edge(*e)
    g = packing._Graph(graph, u)
    pop = [int(round(p)) for p in g.pop]
    cut = int(rng.integers(1, w * h))
    a = frozenset(range(cut)) if nx.is_connected(graph.subgraph([g.nodes[i] for i in range(cut)])) else None
    if a is None or not nx.is_connected(graph.subgraph([g.nodes[i] for i in range(cut, w * h)])):
        a = frozenset(range(len(g.nodes)))   # one region and an empty one: the union is the whole graph
    b = frozenset(range(len(g.nodes))) - a
    union = sorted(a | b)
    lo = int(rng.integers(0, sum(pop) + 1))
    hi = lo + int(rng.integers(0, 120))
    want = []
    for mask in range(1, 1 << len(union)):
        part = [union[k] for k in range(len(union)) if mask >> k & 1]
        rest = [v for v in union if v not in part]
        kids = sum(pop[v] for v in part)
        if (rest and lo <= kids <= hi and nx.is_connected(graph.subgraph([g.nodes[v] for v in part]))
                and nx.is_connected(graph.subgraph([g.nodes[v] for v in rest]))):
            want.append((kids, frozenset(part)))
    got = fixcount.pair_splits(g, pop, a, b, lo, hi)
    assert sorted(got, key=lambda t: (t[0], sorted(t[1]))) == sorted(want, key=lambda t: (t[0], sorted(t[1])))
    assert [k for k, _ in got] == sorted(k for k, _ in got)


@pytest.mark.parametrize("seed", range(10))
def test_compiled_and_python_pair_splits_stop_at_the_same_sets(seed, monkeypatch):
    from clusterplan.models import fixcount, packing
    # SYNTHETIC: a random grid cut in two; with a cap on the sets visited both enumerations stop at the same point,
    # so they keep the same cuts
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(3, 6)), int(rng.integers(2, 5))
    geo = syn.grid(w, h, {f"g{x}_{y}": int(rng.integers(0, 90)) for x in range(w) for y in range(h)}, {"A": (0, 0)})
    g = packing._Graph(geo.corridors, geo.areas["under5"])
    pop = [int(round(p)) for p in g.pop]
    a, b = frozenset(range(h)), frozenset(range(h, w * h))   # the first column (areas are sorted gx_y) and the rest
    lo, hi = int(sum(pop) * 0.2), int(sum(pop) * 0.7)
    for cap in (1, 5, 30, 200_000):
        compiled = fixcount.pair_splits(g, pop, a, b, lo, hi, cap=cap)
        monkeypatch.setattr(fixcount, "COMPILED_PAIR", 0)
        assert fixcount.pair_splits(g, pop, a, b, lo, hi, cap=cap) == compiled, cap
        monkeypatch.setattr(fixcount, "COMPILED_PAIR", 62)


def test_python_pair_splits_stop_at_the_clock_as_at_the_cap():
    from clusterplan.models import fixcount, packing
    # SYNTHETIC: two regions of 45 areas each (a 10 x 9 grid cut down the middle), past COMPILED_PAIR, so listed in
    # Python, where a pair this size takes most of a second; a clock already past stops the listing at the first
    # reading, after CLOCK_EVERY - 1 sets, exactly where that cap stops it
    geo = syn.grid(10, 9, {f"g{x}_{y}": 10 + (3 * x + 7 * y) % 11 for x in range(10) for y in range(9)},
                   {"A": (0, 0)})
    g = packing._Graph(geo.corridors, geo.areas["under5"])
    pop = [int(round(p)) for p in g.pop]
    a, b = frozenset(range(45)), frozenset(range(45, 90))
    assert len(a | b) > fixcount.COMPILED_PAIR
    lo, hi = int(sum(pop) * 0.3), int(sum(pop) * 0.6)
    past = fixcount._split_masks(g, pop, a, b, lo, hi, 200_000, until=0.0)
    capped = fixcount._split_masks(g, pop, a, b, lo, hi, fixcount.CLOCK_EVERY - 1)
    assert past == capped and past[1]
    more = fixcount._split_masks(g, pop, a, b, lo, hi, 20 * fixcount.CLOCK_EVERY, until=float("inf"))
    assert len(more[1]) > len(past[1]) and set(past[1]) <= set(more[1])


def _split_grid(seed):
    """SYNTHETIC: a grid of random size and random children per area, one region split until there are a third as
    many regions as areas (some short of the floor): (graph, children, _Graph, floor, labels)."""
    from clusterplan.models import fixcount, packing
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(4, 9)), int(rng.integers(3, 7))
    geo = syn.grid(w, h, {f"g{x}_{y}": int(rng.integers(20, 160)) for x in range(w) for y in range(h)},
                   {"A": (0, 0)})
    graph, u = geo.corridors, geo.areas["under5"]
    floor = int(u.sum() // (len(u) // 3))
    g = packing._Graph(graph, u)
    label = [0] * len(g.nodes)
    while max(label) + 1 < len(u) // 3:
        label = fixcount.split_largest(g, label)
    return graph, u, g, floor, label


def test_a_region_edge_is_every_outside_neighbour_even_after_the_memory_starts_again(monkeypatch):
    from clusterplan.models import packing
    # SYNTHETIC: a 6 x 5 grid with links dropped; each random set's edge (the outside areas next to it) against
    # networkx's node boundary, asked twice, with the memory cleared every 3 sets
    monkeypatch.setattr(packing, "EDGES", 3)
    rng = np.random.default_rng(4)
    geo = syn.grid(6, 5, 10, {"A": (0, 0)})
    graph = geo.corridors
    for e in list(graph.edges):
        if rng.random() < 0.3:
            graph.remove_edge(*e)
    g = packing._Graph(graph, geo.areas["under5"])
    for _ in range(2):
        for size in range(1, 12):
            members = frozenset(int(v) for v in rng.choice(len(g.nodes), size=size, replace=False))
            want = sorted(g.index[u] for u in nx.node_boundary(graph, [g.nodes[v] for v in members]))
            assert list(g.edge(members)) == want == list(g.edge(members))
            assert len(g._edge) <= 3


@pytest.mark.parametrize("seed", range(30))
def test_compiled_connectivity_test_agrees_with_networkx(seed):
    from clusterplan.models import kernels, packing
    # SYNTHETIC: a random grid with links dropped at random and random labels; for each region, the compiled test
    # (a region without one member, with one outside area) against networkx on the set it describes
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    geo = syn.grid(w, h, 10, {"A": (0, 0)})
    graph = geo.corridors
    for e in list(graph.edges):
        if rng.random() < 0.3:
            graph.remove_edge(*e)
    g = packing._Graph(graph, geo.areas["under5"])
    n, parts = len(g.nodes), int(rng.integers(1, 4))
    label = rng.integers(parts, size=n).astype(np.int64)
    msize = np.bincount(label, minlength=parts).astype(np.int64)
    mlist = np.zeros((parts, n), dtype=np.int64)
    for r in range(parts):
        mlist[r, :msize[r]] = np.flatnonzero(label == r)
    ptr, idx = g.csr()
    seen, stamp, stack = np.zeros(n, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for r in range(parts):
        inside = [int(v) for v in np.flatnonzero(label == r)]
        outside = [int(v) for v in np.flatnonzero(label != r)]
        for drop in [-1, *inside]:
            for add in [-1, *outside[:3]]:
                want = (set(inside) - {drop}) | ({add} if add >= 0 else set())
                if not want:
                    continue
                got = kernels.connected(ptr, idx, label, r, mlist, msize, drop, add, seen, stamp, stack)
                assert got == nx.is_connected(graph.subgraph([g.nodes[v] for v in want])), (r, drop, add)


def _region_sums(pop, lab, parts):
    """Children per region of labels ``lab`` (recounted here, not by the search)."""
    out = [0] * parts
    for i, r in enumerate(lab):
        out[r] += pop[i]
    return out


@pytest.mark.parametrize("seed", range(12))
def test_annealing_keeps_connected_regions_and_the_shortfall_it_claims(seed):
    from clusterplan.models import fixcount
    # SYNTHETIC: a split into a third as many regions as areas, some short of the floor; the compiled annealing
    # returns a partition into the same number of connected regions, short of the floor by what it claims, never
    # above the start, and the same labels for the same seed
    graph, _, g, floor, label = _split_grid(seed)
    best, lab = fixcount.anneal(g, label, floor, moves=2_000 * len(label), seed=seed, seconds=60, swaps=0.5)
    assert len(lab) == len(label) and set(lab) == set(label)
    for r in set(label):
        assert nx.is_connected(graph.subgraph([g.nodes[i] for i in range(len(lab)) if lab[i] == r]))
    short = [sum(max(0, floor - s) for s in _region_sums([int(round(p)) for p in g.pop], x, max(label) + 1))
             for x in (lab, label)]
    assert best == short[0] <= short[1]
    assert fixcount.anneal(g, label, floor, moves=2_000 * len(label), seed=seed, seconds=60, swaps=0.5) == (best, lab)


@pytest.mark.parametrize("seed", range(12))
def test_deficit_pushing_chains_keep_connected_regions_and_lower_the_shortfall(seed):
    from clusterplan.models import fixcount
    # SYNTHETIC: as for pair recombination: a split into a third as many regions as areas, some short of the floor;
    # the chains return a partition into the same number of connected regions with the shortfall claimed, never
    # above the start's, the same for the same seed; and a push alone re-draws only regions it returns, each of
    # them connected, with the deficit it claims and a lower shortfall
    graph, u, g, floor, label = _split_grid(seed)
    pop = [int(round(p)) for p in g.pop]
    parts = max(label) + 1

    def sums(lab):
        return _region_sums(pop, lab, parts)

    def connected(lab):
        return all(nx.is_connected(graph.subgraph([g.nodes[i] for i in range(len(lab)) if lab[i] == r]))
                   for r in range(parts))

    start = sum(max(0, floor - s) for s in sums(label))
    members = [frozenset(i for i in range(len(label)) if label[i] == r) for r in range(parts)]
    for short in [r for r, s in enumerate(sums(label)) if s < floor]:
        deficit, redrawn = fixcount.push(g, pop, members, short, floor)
        assert deficit <= floor - sums(label)[short]
        if redrawn:
            lab = list(label)
            for r, m in redrawn.items():
                assert m and r in range(parts)
                for v in m:
                    lab[v] = r
            # areas move only among the regions a chain re-draws (push reads the regions beside a chain's region
            # from the start's labels on that ground)
            assert frozenset().union(*redrawn.values()) == frozenset().union(*(members[r] for r in redrawn))
            assert connected(lab) and set(lab) == set(range(parts))
            # the chain ends in the one re-drawn region still short, by the deficit claimed (none at 0)
            assert [floor - s for r, s in enumerate(sums(lab)) if r in redrawn and s < floor] == (
                [deficit] if deficit else [])
            assert sum(max(0, floor - s) for s in sums(lab)) < start
    got, lab = fixcount.chains(g, label, floor, seed=seed, seconds=30, patience=20)
    assert got == sum(max(0, floor - s) for s in sums(lab)) <= start
    assert set(lab) == set(range(parts)) and connected(lab)
    assert fixcount.chains(g, label, floor, seed=seed, seconds=30, patience=20) == (got, lab)


@pytest.mark.parametrize("seed", range(12))
def test_pair_recombination_keeps_a_partition_of_connected_regions_and_reports_its_shortfall(seed):
    from clusterplan.models import fixcount
    # SYNTHETIC: grids of random sizes and random children per area; split one region until there are a third as
    # many regions as areas, then recombine: the labels returned must be a partition into the same number of connected
    # regions with the shortfall claimed, never above the start's, and the same seed must give the same labels
    graph, u, g, floor, label = _split_grid(seed)
    parts = max(label) + 1

    def shortfall(lab):
        sums = [0] * parts
        for i, r in enumerate(lab):
            sums[r] += int(round(g.pop[i]))
        return sum(max(0, floor - s) for s in sums)

    got, lab = fixcount.recombine(g, label, floor, seed=seed, seconds=30, stall=2_000)
    assert got == shortfall(lab) <= shortfall(label)
    assert set(lab) == set(range(parts))
    for r in range(parts):
        assert nx.is_connected(graph.subgraph([g.nodes[i] for i in range(len(lab)) if lab[i] == r]))
    assert fixcount.recombine(g, label, floor, seed=seed, seconds=30, stall=2_000) == (got, lab)


def test_fixed_count_search_on_real_breckland_regains_a_merged_region(norfolk):
    from clusterplan.models import capacity, fixcount, packing
    # the real Breckland areas at the statutory floor: take a plan at the bound, merge two adjacent regions, and the
    # search must find the bound again (every region connected and >= 600, every area in one)
    codes = norfolk.areas.index[norfolk.areas["district"] == "Breckland"]
    graph, u = norfolk.corridors.subgraph(codes).copy(), norfolk.areas.loc[codes, "under5"]
    grown = capacity.best_growth(graph, u, 600, tries=20, seed=1, seconds=30)
    bound = capacity.upper_bound(graph, u, 600)
    start = packing.packing(graph, u, 600, grown)     # each grown region trimmed: none lost, each still valid
    assert len(start) == len(set(grown.values()))
    _packing_ok(graph, u, 600, start)
    whole = packing.partition(graph, u, start)
    while len(whole) < bound:                     # the capacity pipeline's way to the bound
        more = fixcount.one_more(graph, u, 600, whole, seed=1, seconds=120)
        assert more.shortfall == 0
        whole = more.regions
    a = whole[0]
    b = next(r for r in whole[1:] if any(graph.has_edge(x, y) for x in a for y in r))
    merged = [a | b, *[r for r in whole if r not in (a, b)]]
    assert len(merged) == bound - 1
    out = fixcount.one_more(graph, u, 600, merged, seed=0, seconds=120)
    assert out.shortfall == 0 and len(out.regions) == bound
    _partition_ok(graph, u, 600, out.regions)


def test_fixed_count_search_refuses_what_it_cannot_split():
    from clusterplan.models import fixcount, packing
    geo = syn.grid(3, 1, 100, {"A": (0, 0)})
    g = packing._Graph(geo.corridors, geo.areas["under5"])
    with pytest.raises(ValueError, match="single area"):
        fixcount.split_largest(g, [0, 1, 2])
    with pytest.raises(ValueError, match="partition"):
        fixcount.one_more(geo.corridors, geo.areas["under5"], 100, [frozenset({"g0_0"})], seed=0, seconds=1)


def test_precedence_distances_are_networkx_s_and_follow_a_graph_edited_in_place():
    # the precedence distances are kept per graph and home (a solve builds them several times); a graph whose
    # links or minutes change must not be read from what was kept for it before
    import networkx as nx

    from clusterplan.models import contiguity
    geo = syn.grid(5, 4, 50, {"A": (0, 0)})   # SYNTHETIC
    g = geo.corridors.copy()
    home = "g0_0"
    assert contiguity.distances(g, home) == nx.single_source_dijkstra_path_length(g, home, weight="minutes")
    assert contiguity.distances(g, home) is contiguity.distances(g, home)        # worked out once
    far = max(contiguity.distances(g, home), key=contiguity.distances(g, home).get)
    g.edges["g0_0", "g1_0"]["minutes"] = 1000.0                                  # minutes changed
    assert contiguity.distances(g, home) == nx.single_source_dijkstra_path_length(g, home, weight="minutes")
    g.remove_edge("g0_0", "g0_1")                                                # a link removed
    assert contiguity.distances(g, home) == nx.single_source_dijkstra_path_length(g, home, weight="minutes")
    assert contiguity.distances(g, home)[far] > 0
    h = g.copy()                                                                 # another graph: its own
    h.add_edge("g0_0", far, minutes=0.5)
    assert contiguity.distances(h, home)[far] == 0.5 and contiguity.distances(g, home)[far] > 0.5


def test_an_infeasible_ceiling_is_named_in_the_explanation():
    """SYNTHETIC line of four areas of 100 children and two centres, reach between 100 and 150: 400 children cannot
    fit under two ceilings of 150. The explanation relaxes floors, locks and counts, not the ceiling, and blamed only
    'the corridor graph, candidate lists or travel limit'; it now names the ceiling it kept."""
    geo = syn.grid(w=4, h=1, pop=100, centres={"A": (0, 0), "B": (3, 0)})
    with pytest.raises(cp.InfeasibleError) as err:
        cp.solve(geo, {"model": "amalgamate", "reach": {"min": 100, "max": 150}, "solver": {"time_limit": 20}},
                 quiet=True)
    assert "the reach ceiling (reach.max: no centre above 150 children; it is not relaxed)" in str(err.value)


def test_no_plan_of_the_model_carries_a_closing_cost_for_a_centre_it_keeps():
    """SYNTHETIC ring, centre A with a closing cost (centres.transfer_cost, constraint (11)). Every feasible plan of
    the model must count that cost exactly when A closes: the most the model lets the cost term hold while A is
    kept is 0. With s >= 1 - y it was 1, and a plan stopped at the time limit reported a cost 6,000 above its own
    (Norfolk's school transfer cost at 0.3 s: the checker then refused the plan as a bug)."""
    import pulp

    from clusterplan import measures
    from clusterplan.models import assignment
    geo = syn.ring(**RING)
    spec = assignment.Spec(facilities=measures.facilities(geo, "centres"), minutes=geo.centre_minutes, floor=300,
                           weight=0.0, close_cost={"A": 6000.0})
    for kept, most in ((1, 0.0), (0, 1.0)):
        built = assignment.build(geo.areas, geo.corridors, spec)
        (shut,) = [v for v in built.prob.variables() if v.name.startswith("shut_")]
        prob = built.prob
        prob.sense = pulp.LpMaximize
        prob.setObjective(pulp.LpAffineExpression([(shut, 1.0)]))
        prob += built.y["A"] == kept, "a_kept_or_not"
        prob.solve(pulp.HiGHS(msg=False))
        assert pulp.LpStatus[prob.status] == "Optimal" and shut.varValue == pytest.approx(most)


def test_a_time_limited_cluster_plan_reports_its_own_cost_not_its_slack():
    """The balance deviations (7) and partnership terms (14) are only bounded from below, so a plan stopped at the
    time limit may hold them above what its grouping needs, and its reported objective was that much above the
    plan's own cost. Here one cluster's deviation holds 4 where |3 - 1| = 2 is all the grouping needs, and the
    partnership term 1 where it must be: the plan's cost is 19, not 23, and its gap against the bound of 15 is
    4/19, not 8/23. An outcome with nothing to tighten, or with no plan, is returned as it is."""
    import pulp

    from clusterplan.models.cluster import tightened
    from clusterplan.solvers import Outcome, Status
    u = pulp.LpVariable("u", cat=pulp.LpBinary)
    dev = pulp.LpVariable("dev", lowBound=0)
    z = pulp.LpVariable("z", lowBound=0)
    prob = pulp.LpProblem("c", pulp.LpMinimize)
    prob += 10 * u + 2 * dev + 5 * z
    prob += dev >= 3 * u - 1
    prob += dev >= 1 - 3 * u
    prob += z >= u
    u.varValue, dev.varValue, z.varValue = 1.0, 4.0, 1.0
    found = Outcome(Status.FEASIBLE, 23.0, 15.0, 8 / 23, 1.0, "highs", "x")
    out = tightened(found, prob, {dev: 3 * u - 1}, {z: [u]})
    assert (out.objective, out.bound, out.status) == (19.0, 15.0, Status.FEASIBLE)
    assert out.gap == pytest.approx(4 / 19) and dev.varValue == 2.0 and z.varValue == 1.0
    assert all(c.valid(1e-9) for c in prob.constraints.values())   # every row still holds
    assert tightened(found, prob, {}, {}) is found
    none = Outcome(Status.NO_SOLUTION, None, None, None, 1.0, "highs", "x")
    assert tightened(none, prob, {dev: 3 * u - 1}, {z: [u]}) is none
