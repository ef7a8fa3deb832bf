"""The models on the real Norfolk data, and the checker catching tampered plans."""

import networkx as nx
import pytest

import clusterplan as cp
from clusterplan.models.objective import plan_objective

# one worker runs the whole module under pytest-xdist, so its module fixtures are built once
pytestmark = pytest.mark.xdist_group("norfolk_models")


@pytest.fixture(scope="module")
def status_quo(norfolk):
    return cp.solve(norfolk, {"model": "status_quo"})


@pytest.fixture(scope="module")
def amalgamation(norfolk):
    return cp.solve(norfolk, {"model": "amalgamate", "reach": {"min": 600}})


def test_status_quo_shows_centres_below_600_today(status_quo, norfolk):
    c = status_quo.centres
    assert len(c) == 53 and (c["status"] == "kept").all() and (c["reach"] > 0).all()
    assert int(c["reach"].sum()) == 44_201
    below = set(c.loc[c["reach"] < 600, "centre"])
    assert len(below) >= 10 and {"litcham", "wells-next-the-sea", "mundesley"} <= below
    assert any("reach fewer than 600 children today" in n for n in status_quo.notes)
    assert not any("no known location" in n for n in status_quo.notes)


def test_amalgamation_is_proven_optimal_and_sustainable(amalgamation, norfolk):
    r = amalgamation.report
    assert r.status == "optimal" and r.gap <= 1e-4 and r.bound <= r.objective + 1e-6
    kept = amalgamation.centres[amalgamation.centres["status"] == "kept"]
    assert (kept["reach"] >= 600).all()
    assert 30 <= len(kept) < 53
    merged = amalgamation.centres[amalgamation.centres["status"] == "amalgamated"]
    assert merged["merged_into"].isin(kept["centre"]).all()
    assert plan_objective(amalgamation.assignment, norfolk.areas, norfolk.centre_minutes, 1.0) == \
        pytest.approx(r.objective)
    assert "shortest-path precedence" in r.scope and r.solver == "highs" and r.input_hash
    assert len(amalgamation.assignment) == 538 and amalgamation.assignment["area"].is_unique


def test_same_input_same_plan(norfolk, amalgamation):
    again = cp.solve(norfolk, {"model": "amalgamate", "reach": {"min": 600}})
    assert again.assignment.equals(amalgamation.assignment)
    assert again.report.input_hash == amalgamation.report.input_hash


def test_checker_finds_a_gap(norfolk, amalgamation):
    tampered = _copy(amalgamation).but(assignment=amalgamation.assignment.iloc[1:].copy())
    assert any("have no centre (a gap)" in v for v in cp.check(tampered, norfolk, {"model": "amalgamate"}))


def test_checker_finds_broken_contiguity_and_a_wrong_objective(norfolk, amalgamation):
    tampered = _copy(amalgamation)
    a = tampered.assignment.set_index("area")["centre"]
    # move one Norwich area to a centre on the far side of the county
    victim = next(i for i in a.index if norfolk.areas.at[i, "district"] == "Norwich" and a[i] != "city-and-eaton")
    far = "hunstanton"
    a[victim] = far
    tampered = tampered.but(assignment=a.rename("centre").reset_index().assign(cluster=""))
    v = cp.check(tampered, norfolk, {"model": "amalgamate"})
    assert any("Hunstanton" in x and "not connected" in x for x in v)
    # the area cut off is named, and the home area it is cut off from
    home = norfolk.centres.at[far, "home_area"]
    assert any("Hunstanton" in x and f"1 area is cut off from its home area {home} ({victim})" in x for x in v)
    assert any("differs from the recomputed" in x for x in v)
    with pytest.raises(cp.CheckError):
        cp.check(tampered, norfolk, {"model": "amalgamate"}, raise_on_violation=True)


def test_checker_finds_a_breached_floor_and_lock(norfolk, status_quo):
    v = cp.check(status_quo, norfolk, {"model": "amalgamate", "reach": {"min": 600},
                                        "centres": {"close": ["wells-next-the-sea"]}})
    assert any("Wells" in x and "below the floor 600" in x for x in v)
    assert any("locked closed but kept" in x for x in v)
    v = cp.check(status_quo, norfolk, {"model": "amalgamate", "reach": {"min": 0},
                                        "centres": {"count": 20, "max_count": 30}})
    assert "53 centres kept; the scenario asks for exactly 20" in v
    assert "53 centres kept; the scenario asks for at most 30" in v


def test_locks_and_per_district_counts_on_norfolk(norfolk):
    per = {"Norwich": 3, "Breckland": 2, "Broadland": 2, "Great Yarmouth": 2, "King's Lynn and West Norfolk": 2,
           "North Norfolk": 2, "South Norfolk": 2}
    plan = cp.solve(norfolk, {"model": "amalgamate", "centres": {"count": 15, "per_district": per,
                                                                 "keep": ["Litcham"]}})
    kept = plan.centres[plan.centres["status"] == "kept"]
    assert len(kept) == 15 and "litcham" in set(kept["centre"])
    assert kept.groupby("district").size().to_dict() == per


def test_norfolk_clusters_connected_with_a_phase_one_centre(norfolk):
    plan = cp.solve(norfolk, {"model": "cluster", "clusters": {"count": 6}})
    assert plan.report.status == "optimal" and len(plan.clusters) == 6
    assert (plan.clusters["phase1"] >= 1).all()
    h = cp.models.cluster.centre_graph(norfolk.corridors, plan.assignment.set_index("area")["centre"])
    for _, members in plan.centres.groupby("cluster")["centre"]:
        assert nx.is_connected(h.subgraph(members))


def _copy(plan):
    return cp.Plan(model=plan.model, scenario_name=plan.scenario_name, assignment=plan.assignment.copy(),
                   centres=plan.centres.copy(), report=plan.report)


def test_norfolk_capacity_certificate_meets_the_bound(norfolk):
    """The shipped 73-region plan (written by a run of scenarios/norfolk_capacity_proof.yaml) passes the independent
    checker against today's data and meets the bound children / 600: Norfolk's capacity is 73, proven."""
    import json
    from pathlib import Path

    from clusterplan.io import check_dir, read_plan
    from clusterplan.models import capacity
    cert = Path(__file__).parents[1] / "benchmarks" / "certificates" / "norfolk_2020_capacity_600"
    violations, warnings = check_dir(cert)
    assert violations == [] and warnings == []
    plan = read_plan(cert)
    regions = plan.assignment.groupby("centre")["area"].apply(set)
    u = norfolk.areas["under5"]
    assert sorted(plan.assignment["area"]) == sorted(norfolk.areas.index)
    assert all(u[list(r)].sum() >= 600 and nx.is_connected(norfolk.corridors.subgraph(r)) for r in regions)
    assert len(regions) == capacity.upper_bound(norfolk.corridors, u, 600) == 73
    assert plan.report.status == "optimal"
    # the scenario that reproduces it asks for what the certificate's manifest records
    from clusterplan.scenario import load
    proof = load(Path(__file__).parents[1] / "scenarios" / "norfolk_capacity_proof.yaml")
    made = json.loads((cert / "manifest.json").read_text())["resolved_scenario"]
    assert (proof.model, proof.reach.min, proof.solver.time_limit, proof.solver.seed) == (
        made["model"], made["reach"]["min"], made["solver"]["time_limit"], made["solver"]["seed"])


def test_the_first_smaller_solve_changes_where_the_amalgamation_starts_not_its_optimum(norfolk, monkeypatch):
    """Real Norfolk areas (North Norfolk and Broadland): the first solve over each area's 4 nearest centres gives a
    plan of the model itself (each of its pairs a candidate of the full model, every catchment at the floor), and
    the amalgamation proves the same optimum with and without it."""
    from dataclasses import replace

    from clusterplan.models import amalgamate, assignment, catchment
    from clusterplan.scenario import Scenario
    geo = norfolk.subset(["North Norfolk", "Broadland"])
    scn = Scenario.from_dict({"model": "amalgamate", "reach": {"min": 600}})
    sp = amalgamate.spec(geo, scn)
    start = assignment.heuristic(geo.areas, geo.corridors, sp)
    first, seconds = catchment.first_plan(geo, sp, scn, 15.0, "amalgamation", start, None,
                                          amalgamate.FIRST_CANDIDATES)
    built = assignment.build(geo.areas, geo.corridors, sp, extra=start)
    assert set(first) == set(geo.areas.index) and all(p in built.x for p in first.items()) and seconds > 0
    reach = geo.areas["under5"].groupby(first).sum()
    assert (reach >= 600).all()
    with_first = cp.solve(geo, scn)
    monkeypatch.setattr(amalgamate, "FIRST_CANDIDATES", None)
    without = cp.solve(geo, scn)
    assert with_first.report.status == without.report.status == "optimal"
    assert with_first.report.objective == pytest.approx(without.report.objective, rel=1e-9)
    assert catchment.first_plan(geo, replace(sp, k=4), scn, 15.0, "amalgamation", start, None,
                                4) is None   # no fewer candidates than the model: no first solve
    few = replace(sp, facilities=sp.facilities.iloc[:4])   # as many centres as the first solve's candidates
    assert catchment.first_plan(geo, few, scn, 15.0, "amalgamation", None, None, 4) is None


def test_a_reused_plan_is_explained_again_only_when_its_reasons_are_not_those_asked_for(amalgamation, norfolk,
                                                                                       tmp_path, monkeypatch):
    # `compare` reuses a plan whose inputs are unchanged; it reused its reasons too, whatever they were: none (a
    # plan written with --no-why), or ranges from --why-seconds where exact costs were asked for
    from clusterplan import runner
    from clusterplan.io import read_plan, write_plan
    from clusterplan.scenario import Scenario
    scn = Scenario.from_dict({"model": "amalgamate", "reach": {"min": 600}})
    write_plan(amalgamation, norfolk, scn, tmp_path)            # written without reasons
    assert not runner.reasons_as_asked(amalgamation, scn, None, 1.0)
    assert runner.reasons_as_asked(amalgamation, scn, False, None)   # --no-why: none wanted
    plan, _, reused = runner.run_or_reuse(scn, tmp_path, why_seconds=1)
    merged = set(amalgamation.centres.loc[amalgamation.centres["status"] == "amalgamated", "centre"])

    def centres_of(p):
        return p.assignment.set_index("area")["centre"].astype(str).to_dict()

    assert reused and centres_of(plan) == centres_of(amalgamation) and set(plan.why["centre"]) == merged
    assert runner.reasons_as_asked(plan, scn, None, 1.0)
    back = read_plan(tmp_path)                                  # the reasons were written with the plan
    assert set(back.why["centre"].astype(str)) == merged and (back.why["lock_seconds"].dropna() == 1.0).all()
    assert runner.reasons_as_asked(back, scn, None, 1.0) and not runner.reasons_as_asked(back, scn, None, 2.0)
    exact = bool(back.why["lock_proven"].dropna().astype(bool).all())
    assert runner.reasons_as_asked(back, scn, None, None) == exact   # ranges are not the exact costs asked for
    monkeypatch.setattr(runner, "reasons", lambda *a, **k: pytest.fail("reasons made again"))
    again, _, reused = runner.run_or_reuse(scn, tmp_path, why_seconds=1)
    assert reused and set(again.why["centre"].astype(str)) == merged


def test_reasons_within_a_short_time_limit_give_proven_ranges_that_hold_the_exact_cost(amalgamation, norfolk):
    # Norfolk's what-if locks take seconds to prove; each re-solve stopped at 1 s gives the cost of keeping the
    # centre open as a range: the lower bound it proved and the best plan it found, never a guess called exact
    from clusterplan.models import amalgamate
    from clusterplan.reasons import KNIFE_EDGE, reasons
    scn = {"model": "amalgamate", "reach": {"min": 600}}
    why = reasons(norfolk, scn, amalgamation, seconds=1).set_index("centre")
    base = amalgamation.report.objective
    ranged = why[why["lock_proven"] == False]   # noqa: E712 - a column of True / False
    for j, r in why.iterrows():
        assert r["lock_cost_low"] <= r["lock_cost"] + 1e-6
        assert r["knife_edge"] == (r["lock_cost_low"] / base < KNIFE_EDGE)
        if r["lock_proven"]:
            assert r["lock_cost_low"] == r["lock_cost"]
        else:
            assert "stopped at the 1 s time limit before proving the exact cost" in r["reason"], j
    # the exact cost of a lock (proved without a time limit that binds) lies in the range the short re-solve gave
    if len(ranged):
        j = ranged["lock_cost"].idxmin()
        model = amalgamate.what_if_open(norfolk, cp.Scenario.from_dict(scn), amalgamation)
        outcome, _ = model.lock(j, 600)
        assert outcome.status == "optimal"
        exact = outcome.objective - base
        assert ranged.at[j, "lock_cost_low"] - 0.5 <= exact <= ranged.at[j, "lock_cost"] + 0.5


def test_reach_cuts_hold_for_a_lock_optimum_and_leave_its_proof_and_the_model_the_same(amalgamation, norfolk,
                                                                                        monkeypatch):
    # the what-if lock of reasons adds reach cuts separated from its linear relaxation: valid inequalities, so the
    # lock's optimal plan found without them satisfies every one, the lock with them proves the same optimum, and
    # the built model is as it was afterwards (its rows, its integrality: the plan's own optimum again)
    import highspy

    from clusterplan.models import amalgamate
    scn = cp.Scenario.from_dict({"model": "amalgamate", "reach": {"min": 600}})
    model = amalgamate.what_if_open(norfolk, scn, amalgamation)
    h = model.built.prob.solverModel
    rows = h.getNumRow()
    y = model.built.y["litcham"]
    values, _ = model.model.relaxation({y: (1.0, 1.0)}, 60)
    cuts = model.reach_terms(values)
    assert len(cuts) >= 5
    assert all(sum(c * values[v.index] for v, c in terms.items()) < 0 for terms in cuts)   # cuts of the LP
    monkeypatch.setattr(amalgamate, "REACH_ROUNDS", 0)
    plain, _ = model.lock("litcham", 600)
    plan = {v: round(v.varValue) for v in model.built.prob.variables()}
    assert plan[y] == 1
    assert all(sum(c * plan[v] for v, c in terms.items()) >= 0 for terms in cuts)          # never of a plan
    monkeypatch.setattr(amalgamate, "REACH_ROUNDS", 8)
    with_cuts, _ = model.lock("litcham", 600)
    assert plain.status == with_cuts.status == "optimal"
    assert with_cuts.objective == pytest.approx(plain.objective, rel=1e-9)
    assert h.getNumRow() == rows
    assert all(t == highspy.HighsVarType.kInteger for t in h.getLp().integrality_)
    again, _ = model.resolve(600)
    assert again.status == "optimal" and again.objective == pytest.approx(amalgamation.report.objective, rel=1e-9)
