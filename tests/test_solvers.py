"""One contract, run against every installed solver: known optima, infeasibility, honest status."""

import pytest

import clusterplan as cp
from clusterplan import solvers

from . import synthetic as syn

INSTALLED = [s for s in ("highs", "cbc") if s in solvers.available()]


def test_default_solver_is_installed():
    assert "highs" in INSTALLED


@pytest.mark.parametrize("name", INSTALLED)
class TestSolverContract:
    def scn(self, name, **kw):
        return {"deprivation": {"weight": 0}, "solver": {"name": name, "time_limit": 60}, **kw}

    def test_ring_optimum(self, name):
        plan = cp.solve(syn.ring(6, 100, {"A": 0, "B": 3}), self.scn(name, model="amalgamate", reach={"min": 400}))
        assert plan.report.status == "optimal" and plan.report.objective == pytest.approx(9000)
        assert plan.report.solver == name

    def test_star_optimum(self, name):
        geo = syn.star(5, 100, 150, {"H": 0, "L": 1})
        plan = cp.solve(geo, self.scn(name, model="amalgamate", reach={"min": 300}))
        assert plan.kept == ["H"] and plan.report.objective == pytest.approx(7500)

    def test_cluster_optimum(self, name):
        geo = syn.ring(6, 100, {f"c{i}": i for i in range(6)}, phase={"c0": 1, "c3": 1})
        plan = cp.solve(geo, self.scn(name, model="cluster", clusters={"count": 2}))
        assert plan.report.objective == pytest.approx(4000)

    def test_infeasible_is_proven_and_explained(self, name):
        geo = syn.star(5, 100, 150, {"H": 0, "L": 1})
        with pytest.raises(cp.InfeasibleError, match="cannot reach 300"):
            cp.solve(geo, self.scn(name, model="amalgamate", reach={"min": 300}, centres={"keep": ["H", "L"]}))


def test_an_amalgamation_plan_and_its_what_ifs_record_the_highs_options_they_ran_with():
    # the amalgamation solves with presolve off and no restarts (solvers.AMALGAMATION_HIGHS): options that can change
    # which of two equal-cost plans comes back, so the plan records them; a status-quo plan (HiGHS's defaults) does not
    from clusterplan.models import amalgamate
    geo = syn.ring(6, 100, {"A": 0, "B": 3})
    scn = {"deprivation": {"weight": 0}, "model": "amalgamate", "reach": {"min": 400}}
    plan = cp.solve(geo, scn)
    for k, v in solvers.AMALGAMATION_HIGHS.items():
        assert f"{k} {v}" in plan.report.solver_version
    what_if = amalgamate.WhatIf(geo, cp.Scenario.from_dict(scn), plan)
    out, _ = what_if.lock(plan.kept[0], 60)
    assert out.status == "optimal" and "presolve off" in out.solver_version
    today = cp.solve(geo, {"deprivation": {"weight": 0}, "model": "status_quo"})
    assert today.report.solver_version.startswith("HiGHS") and "options" not in today.report.solver_version


def test_time_limited_highs_run_is_feasible_not_optimal(norfolk):
    plan = cp.solve(norfolk, {"model": "sites", "centres": {"max_count": 54}, "solver": {"time_limit": 1}})
    r = plan.report
    assert r.status == "feasible" and r.objective > 0
    # either HiGHS had no dual bound yet (none is reported) or the bound is strictly below the incumbent
    assert (r.bound is None and r.gap is None) or (r.bound < r.objective and r.gap > 0)


def test_unknown_and_missing_solvers_name_the_alternatives():
    geo = syn.ring(6, 100, {"A": 0, "B": 3})
    with pytest.raises(cp.SolverError, match="unknown solver 'foo'; installed: .*highs"):
        cp.solve(geo, {"solver": {"name": "foo"}, "reach": {"min": 100}})
    with pytest.raises(cp.SolverError, match="not installed here; installed: .*highs"):
        cp.solve(geo, {"solver": {"name": "gurobi"}, "reach": {"min": 100}})


def test_node_limited_highs_run_reports_its_incumbent_and_bound():
    # SYNTHETIC three-constraint knapsack (seeded) that HiGHS cannot close at the root: a one-node limit ends in
    # HiGHS's kSolutionLimit, a status PuLP 3.3 cannot map; the plan is still read, checked and called feasible
    import numpy as np
    import pulp
    rng = np.random.default_rng(0)
    n = 30
    prob = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i:03d}", cat="Binary") for i in range(n)]
    w = rng.integers(1000, 2000, n)
    v = w + rng.integers(0, 30, n)
    prob += pulp.lpSum(int(v[i]) * x[i] for i in range(n))
    rows = []
    for _ in range(3):
        w = rng.integers(1000, 2000, n)
        rows.append((w, int(w.sum() / 2)))
        prob += pulp.lpSum(int(w[i]) * x[i] for i in range(n)) <= int(w.sum() / 2)
    out = solvers.solve_problem(prob, name="highs", max_nodes=1)
    assert prob.solverModel.getModelStatus().name == "kSolutionLimit"
    assert out.status == "feasible" and out.objective < out.bound and out.gap > 0
    chosen = np.array([round(xi.varValue) for xi in x])
    assert all(int(w @ chosen) <= cap for w, cap in rows)
    assert out.objective == pytest.approx(float(v @ chosen))


HARD = (2000, 300)   # a packing HiGHS does not prove within two minutes on this machine


def _packing(n_sets: int = 400, n_items: int = 80, seed: int = 3):
    """A synthetic weighted set-packing MIP (generated here) that HiGHS's presolve does not finish alone."""
    import random
    rng = random.Random(seed)
    sets = [rng.sample(range(n_items), 4) for _ in range(n_sets)]
    return solvers.set_packing_problem(sets, [rng.randint(1, 30) for _ in range(n_sets)])


def test_cancel_running_stops_a_solve_on_another_thread_and_solves_run_again_after():
    import threading
    import time
    model = solvers.HighsModel(_packing(*HARD)[0])
    got = []
    worker = threading.Thread(target=lambda: got.append(model.solve({}, 120.0)))
    t0 = time.perf_counter()
    worker.start()
    time.sleep(0.5)
    solvers.cancel_running()   # as Ctrl-C does while re-solves run on threads
    worker.join()
    stopped_after = time.perf_counter() - t0
    try:
        with pytest.raises(KeyboardInterrupt):   # and no new solve starts
            model.solve({}, 120.0)
    finally:
        solvers.allow_solves()
    assert got[0].status != "optimal", f"not stopped: proven optimal after {stopped_after:.1f} s"
    assert solvers.HighsModel(_packing(120, 40)[0]).solve({}, 60.0).status == "optimal"


def test_thread_map_keeps_the_jobs_order_and_lends_each_holder_to_one_job_at_a_time():
    import threading
    import time

    from clusterplan.executor import thread_map

    holders = [threading.Lock(), threading.Lock()]
    used = []

    def fn(holder, job):
        assert holder.acquire(blocking=False), "a holder was lent to two jobs at once"
        try:
            used.append(holders.index(holder))
            time.sleep(0.02 * (job % 3))
            return job * 2
        finally:
            holder.release()

    assert thread_map(fn, list(range(12)), holders) == [2 * j for j in range(12)]
    assert sorted(set(used)) == [0, 1]


def test_a_failing_job_stops_the_other_jobs_solves():
    import time

    from clusterplan.executor import thread_map

    outcomes = []

    model = solvers.HighsModel(_packing(*HARD)[0])

    def fn(_, job):
        if job == 1:
            time.sleep(0.5)
            raise ValueError("job 1 failed")
        outcomes.append(model.solve({}, 120.0))

    with pytest.raises(ValueError, match="job 1 failed"):
        thread_map(fn, [0, 1], ["a", "b"])
    assert outcomes and outcomes[0].status != "optimal"
    assert solvers.solve_problem(_packing(120, 40)[0], name="highs", time_limit=60).status == "optimal"


def test_scenarios_with_different_solver_threads_run_one_after_another_in_one_process():
    # HiGHS keeps one thread scheduler per process, started with the first solve's thread count; a later solve
    # that asked for another count used to find no plan ("global scheduler has already been initialized")
    import threading
    outcomes = []

    def solve(threads):
        prob, _ = _packing(120, 40, seed=threads or 0)
        outcomes.append(solvers.solve_problem(prob, name="highs", time_limit=60, threads=threads))

    for threads in (2, 1, None, 2, 1):
        solve(threads)
    # HiGHS keeps its scheduler per calling thread: one started on another thread must not stop this one's
    worker = threading.Thread(target=solve, args=(2,))
    worker.start()
    worker.join()
    solve(2)
    solve(1)
    assert [o.status for o in outcomes] == ["optimal"] * 8


def test_cancelled_solves_are_refused_until_allowed_again():
    # Ctrl-C while solves run on threads: every running HiGHS solve stops and no new one starts
    prob, _ = _packing(120, 40)
    solvers.cancel_running()
    try:
        with pytest.raises(KeyboardInterrupt):
            solvers.solve_problem(prob, name="highs", time_limit=60)
    finally:
        solvers.allow_solves()
    assert solvers.solve_problem(_packing(120, 40)[0], name="highs", time_limit=60).status == "optimal"


@pytest.mark.skipif("cbc" not in INSTALLED, reason="CBC is not installed")
def test_a_plan_that_spends_the_time_limit_still_gets_todays_catchments(norfolk, monkeypatch):
    """CBC cannot prove Norfolk's amalgamation in 6 s, so the main solve spends the whole limit. Today's catchments
    (what each amalgamated centre merges into) are a reference with their own budget; before, they got the 1 s
    left, which CBC needs 4-5 s for, and a time-limited plan ended in "status quo: cbc found no plan"."""
    from clusterplan.models import status_quo

    monkeypatch.setattr(status_quo, "_CACHE", {})
    plan = cp.solve(norfolk, {"model": "amalgamate", "reach": {"min": 600},
                              "solver": {"name": "cbc", "time_limit": 6}})
    assert plan.report.status in ("feasible", "optimal")
    gone = plan.centres[plan.centres["status"] == "amalgamated"]
    assert len(gone) and set(gone["merged_into"]) <= set(plan.kept)


@pytest.mark.parametrize(("name", "wide"), [(n, False) for n in INSTALLED]
                         + ([("highs", True)] if "highs" in INSTALLED else []))
def test_set_packing_and_partition_agree_with_exhaustive_search(name, wide, monkeypatch):
    """Both paths (highspy in one piece for HiGHS, PuLP for the others) against every subset of 10 generated sets;
    ``wide``: HiGHS's set packing as it runs past :data:`solvers.SET_PACKING_PRESOLVE_MAX` sets (presolve and the
    root's sub-MIPs off; the partition does not depend on it, so it is checked in the other cases only)."""
    import itertools
    import random
    if wide:
        monkeypatch.setattr(solvers, "SET_PACKING_PRESOLVE_MAX", 0)
    rng = random.Random(11)
    for _ in range(15):
        n_items = rng.randint(4, 9)
        sets = [sorted(rng.sample(range(n_items), rng.randint(1, 4))) for _ in range(10)]
        disjoint = [c for r in range(len(sets) + 1) for c in itertools.combinations(range(len(sets)), r)
                    if len({i for k in c for i in sets[k]}) == sum(len(sets[k]) for k in c)]
        most = max(len(c) for c in disjoint)
        out, chosen = solvers.solve_set_packing(sets, n_items, name=name, time_limit=30)
        assert out.status == "optimal" and len(chosen) == most
        assert len({i for k in chosen for i in sets[k]}) == sum(len(sets[k]) for k in chosen)
        for count in range(1, 5) if not wide else ():
            exact = any(len(c) == count and sum(len(sets[k]) for k in c) == n_items for c in disjoint)
            status, picked = solvers.solve_set_partition(sets, n_items, count, name=name, time_limit=30)
            assert status == ("optimal" if exact else "infeasible")
            if exact:
                assert len(picked) == count and sorted(i for k in picked for i in sets[k]) == list(range(n_items))


@pytest.mark.skipif("cbc" not in INSTALLED, reason="CBC is not installed")
def test_an_explanation_cut_short_says_so_and_never_claims_no_plan_exists(norfolk):
    """The elastic explanation (every floor, lock and count made elastic) always has a plan: relax them all. CBC finds
    none in 1 s on Norfolk, and the explanation used to say that even with every rule relaxed there was no plan."""
    from clusterplan.models import amalgamate, diagnose
    from clusterplan.scenario import Scenario

    scn = Scenario.from_dict({"model": "amalgamate", "reach": {"min": 1500}, "centres": {"min_count": 29},
                              "solver": {"name": "cbc", "time_limit": 1}})
    said = diagnose.elastic(norfolk, amalgamate.spec(norfolk, scn), scn.solver,
                            diagnose.explanation_budget(scn.solver), what="amalgamation")
    assert not any("there is no plan" in s for s in said)
    assert said == ["which rules to relax was not worked out within 1 s (cbc found no plan with them relaxed); raise "
                    "solver.time_limit for the explanation"] or said[0].startswith("smallest set of rules to relax")


def _highs_lp(prob, passer):
    import highspy
    import numpy as np
    solvers._silence_highs_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    passer(prob, h)
    lp = h.getLp()
    fields = ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_", "integrality_")
    a = lp.a_matrix_
    return {f: np.array(getattr(lp, f)) for f in fields} | {
        "start": np.array(a.start_), "index": np.array(a.index_), "value": np.array(a.value_)}


def _pulp_pass(prob, h):
    import pulp
    prob.solverModel = h
    pulp.HiGHS(msg=False).buildSolverModel(prob)


def _same_lp(a, b):
    import numpy as np
    return {k for k in a if not np.array_equal(a[k], b[k])}


def test_the_bulk_pass_gives_highs_the_model_pulps_own_row_by_row_pass_gives(norfolk):
    # solvers.pass_model replaces PuLP's one-call-per-row pass: HiGHS must get the very same columns, rows and
    # nonzeros, in the same order, on a real model and on a small one with every kind of bound, a maximised objective,
    # continuous and integer columns, an empty row and a zero coefficient
    import pulp

    from clusterplan.models import amalgamate, assignment
    sp = amalgamate.spec(norfolk, cp.Scenario.from_dict({"model": "amalgamate"}))
    built = assignment.build(norfolk.areas, norfolk.corridors, sp)
    ours, theirs = _highs_lp(built.prob, solvers.pass_model), _highs_lp(built.prob, _pulp_pass)
    assert len(ours["col_cost_"]) == len(built.prob.variables()) and len(ours["row_lower_"]) > 10_000
    assert _same_lp(ours, theirs) == set()
    prob = pulp.LpProblem("kinds", pulp.LpMaximize)
    a = pulp.LpVariable("a", lowBound=-2, upBound=5)
    b = pulp.LpVariable("b", cat=pulp.LpInteger, upBound=3)
    c = pulp.LpVariable("c", cat=pulp.LpBinary)
    d = pulp.LpVariable("d")
    prob += 2 * a - 3 * b + c + 0 * d
    prob += a + 2 * b - c <= 4, "le"
    prob += pulp.LpConstraint(pulp.LpAffineExpression([(d, 0), (b, 1)]), pulp.LpConstraintGE, rhs=-1), "ge_with_zero"
    prob += a - d == 1.5, "eq"
    prob += pulp.LpConstraint(pulp.LpAffineExpression(), pulp.LpConstraintLE, rhs=0), "empty"
    ours, theirs = _highs_lp(prob, solvers.pass_model), _highs_lp(prob, _pulp_pass)
    assert _same_lp(ours, theirs) == set()
    assert list(ours["col_cost_"]) == [-2.0, 3.0, -1.0, 0.0]   # maximised: negated, columns a, b, c, d
    assert list(ours["integrality_"]) != [0, 0, 0, 0]
    out = solvers.solve_problem(prob, name="highs", time_limit=10, gap=0.0)
    assert out.status == "optimal" and pulp.value(prob.objective) == pytest.approx(out.objective)


def test_a_built_model_is_the_same_whatever_pythons_hash_seed(tmp_path):
    # sets iterate in an order that changes with PYTHONHASHSEED; a model built by iterating one (as the status quo's
    # "keep every centre" rows once were) has its rows in another order in each process, and HiGHS may then break
    # a tie another way: the same inputs must give the same model in every process
    import os
    import subprocess
    import sys
    from pathlib import Path
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from tests import synthetic as syn; import clusterplan as cp;"
            "from clusterplan.models import status_quo, assignment;"
            "geo = syn.grid(4, 3, 150, {f'c{n}': (n % 4, n // 4) for n in range(12)});"
            "sp = status_quo.spec(geo, cp.Scenario.from_dict({'model': 'status_quo'}));"
            "b = assignment.build(geo.areas, geo.corridors, sp);"
            "open(sys.argv[2], 'w').write(chr(10).join(f'{n}: {c}' for n, c in b.prob.constraints.items()))")
    root = str(Path(__file__).resolve().parents[1])
    texts = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"rows{seed}.txt"
        subprocess.run([sys.executable, "-c", code, root, str(out)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        texts.append(out.read_text())
    assert "keep_" in texts[0] and texts[0] == texts[1] == texts[2]   # rows in order, each with its terms


def test_a_process_default_gives_highs_its_thread_count_unless_the_solve_sets_its_own():
    # batch and sweep workers share the machine's cores: each sets this default, and every HiGHS run without a
    # count of its own takes it (two workers each running HiGHS on every core slowed a presolve threefold)
    import highspy
    import numpy as np

    def run(threads):
        h = solvers._highs_binary([[0, 1], [1, 2], [2, 3]], np.full(4, -highspy.kHighsInf), np.ones(4), -1.0,
                                  time_limit=10, threads=threads, seed=0)
        return h.getOptionValue("threads")[1], round(-h.getInfo().objective_function_value)

    solvers.set_default_threads(1)
    try:
        assert run(None) == (1, 2) and run(2) == (2, 2)
        assert solvers.threads_for(None) == 1 and solvers.threads_for(3) == 3
    finally:
        solvers.set_default_threads(None)
    assert run(None) == (0, 2) and solvers.threads_for(None) is None   # HiGHS's own default again


def test_a_re_solves_start_reaches_highs_after_its_bound_changes(monkeypatch):
    # HiGHS drops a solution it was given when the model changes after it: a re-solve that locks a variable and
    # starts from a plan must hand HiGHS the plan after the lock, or HiGHS starts cold (found when a trial gave
    # Norfolk's time-limited locks a start: HiGHS ended on a plan far worse than the one it was given)
    prob, z = _packing(120, 40)
    model = solvers.HighsModel(prob)
    first = model.solve({}, 60)
    chosen = [float(round(v.varValue)) for v in z]
    for v, value in zip(z, chosen, strict=True):
        v.setInitialValue(value)
    valid = []
    real = solvers.run_highs
    monkeypatch.setattr(solvers, "run_highs", lambda h: (valid.append(h.getSolution().value_valid), real(h)))
    out = model.solve({z[chosen.index(1.0)]: (1.0, 1.0)}, 60, warm=True)
    assert valid == [True] and out.objective == pytest.approx(first.objective)


def test_a_relaxation_leaves_the_model_integer_and_added_rows_drop_only_from_the_end():
    # SYNTHETIC knapsack: maximise 5a + 4b + 3c with 3a + 2b + 2c <= 4: the relaxation takes b and two thirds of a
    # (7 1/3), the integer optimum b and c (7). The relaxation is solved in place and the model is integer again
    # after it; rows added for a re-solve drop only as the model's last rows.
    import highspy
    import pulp
    prob = pulp.LpProblem("knapsack", pulp.LpMaximize)
    a, b, c = (pulp.LpVariable(n, cat=pulp.LpBinary) for n in "abc")
    prob += 5 * a + 4 * b + 3 * c
    prob += 3 * a + 2 * b + 2 * c <= 4, "weight"
    model = solvers.HighsModel(prob)
    values, seconds = model.relaxation({}, 60)
    assert seconds >= 0 and values is not None
    assert [values[v.index] for v in (a, b, c)] == pytest.approx([2 / 3, 1, 0])
    h = prob.solverModel
    assert all(t == highspy.HighsVarType.kInteger for t in h.getLp().integrality_)
    assert model.solve({}, 60).objective == pytest.approx(7)
    assert model.relaxation({b: (0.0, 0.0)}, 60)[0][a.index] == pytest.approx(1)   # bounds as in a re-solve
    assert model.solve({}, 60).objective == pytest.approx(7)                        # and restored
    rows = h.getNumRow()
    first, second = model.add_row({a: 1.0, b: 1.0}), model.add_row({b: 1.0, c: 1.0})
    with pytest.raises(ValueError, match="not the last added rows"):
        model.drop_rows([first])
    with pytest.raises(ValueError, match="not the last added rows"):
        model.drop_rows([0])   # the problem's own row
    out = model.solve({}, 60, {second: (-float("inf"), 0.0)})   # b = c = 0 in this re-solve only
    assert out.objective == pytest.approx(5)
    model.drop_rows([first, second])
    assert h.getNumRow() == rows and model.solve({}, 60).objective == pytest.approx(7)
