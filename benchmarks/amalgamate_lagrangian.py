"""How strong a catchment-level (Dantzig-Wolfe) bound is on Norfolk's amalgamation: a measurement, not a solver.

The root LP of the compact model (:mod:`clusterplan.models.assignment`) is 0.26% under the optimum and HiGHS spends
most of its 6-8 s closing that gap. Relaxing "every area served once" (constraint (1)) with multipliers ``pi_i``
splits the model by centre::

    L(pi) = sum_i pi_i + sum_j min(0, F + min over catchments S of j of sum_{i in S} (c_ij - pi_i))

where a catchment of j holds its home area, meets the floor, and satisfies shortest-path precedence (the rows of the
compact model for one centre). Every ``pi`` gives a valid lower bound; the best one is the bound of the set-
partitioning model over catchment columns (branch-and-price's root). This script evaluates ``L`` with one small
HiGHS MIP per centre (the pricing problem), starts from the compact LP's duals and climbs by subgradient steps
(Polyak steps towards the proven optimum, halved after 5 steps without a gain), printing the bound as it goes.
Centres sharing a home area may leave it to their twin here (a relaxation: the bound stays valid).

Run on demand: ``python benchmarks/amalgamate_lagrangian.py [--steps 80]``. Scenario:
``scenarios/norfolk/amalgamate_then_tender.yaml`` (no counts, locks or closing costs, which this script does not
model; it refuses a scenario that has them).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import highspy
import numpy as np

import clusterplan as cp
from clusterplan.models import amalgamate, assignment, contiguity
from clusterplan.scenario import load

ROOT = Path(__file__).resolve().parents[1]


def pricing_models(geo, sp, built) -> dict[str, tuple[highspy.Highs, list[str], np.ndarray]]:
    """Per centre: its pricing MIP (catchment variables, precedence and floor rows), its areas, their costs."""
    members = defaultdict(list)
    for i, j in built.x:
        members[j].append(i)
    homes = sp.facilities["home_area"].to_dict()
    shared = {h for h in homes.values() if list(homes.values()).count(h) > 1}
    under5 = geo.areas["under5"]
    out = {}
    for j, mem in sorted(members.items()):
        h = homes[j]
        preds = contiguity.predecessors(geo.corridors, h, mem)
        mem = sorted(i for i in mem if i == h or i in preds)
        idx = {i: k for k, i in enumerate(mem)}
        m = highspy.Highs()
        m.setOptionValue("output_flag", False)
        m.setOptionValue("mip_rel_gap", 0.0)
        n = len(mem)
        lower = np.zeros(n)
        if h in idx and h not in shared:
            lower[idx[h]] = 1.0
        m.addVars(n, lower, np.ones(n))
        m.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
        for i in mem:
            if i != h and h not in preds[i]:            # a predecessor that is the home reads as "open": always met
                cols = [idx[i]] + [idx[u] for u in preds[i]]
                m.addRow(-highspy.kHighsInf, 0.0, len(cols), np.array(cols, dtype=np.int32),
                         np.array([1.0] + [-1.0] * (len(cols) - 1)))
        m.addRow(sp.floor, highspy.kHighsInf, n, np.arange(n, dtype=np.int32),
                 np.array([float(under5[i]) for i in mem]))
        out[j] = (m, mem, np.array([built.cost[i, j] for i in mem]))
    return out


def compact_lp(built, areas) -> tuple[float, np.ndarray]:
    """The compact model's LP bound and the duals of its "served once" rows, by area."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    with tempfile.TemporaryDirectory() as tmp:
        built.prob.writeMPS(str(Path(tmp) / "m.mps"))
        h.readModel(str(Path(tmp) / "m.mps"))
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kContinuous] * n))
    h.run()
    duals = h.getSolution().row_dual
    pi = np.zeros(len(areas))
    for r in range(h.getNumRow()):
        name = h.getRowName(r)[1]
        if name.startswith("serve_"):
            pi[int(name.removeprefix("serve_"))] = duals[r]
    return h.getInfo().objective_function_value, pi


def lagrangian(pi: np.ndarray, pricing, pos: dict[str, int], fixed: float) -> tuple[float, np.ndarray]:
    """L(pi) and its subgradient (1 - the number of chosen catchments holding each area)."""
    value, cover = float(pi.sum()), np.zeros(len(pi))
    for m, mem, cost in pricing.values():
        m.changeColsCost(len(mem), np.arange(len(mem), dtype=np.int32), cost - pi[[pos[i] for i in mem]])
        m.run()
        v = m.getInfo().objective_function_value + fixed
        if v < 0:
            value += v
            x = m.getSolution().col_value
            cover[[pos[i] for k, i in enumerate(mem) if x[k] > 0.5]] += 1
    return value, 1.0 - cover


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=80, help="subgradient steps")
    args = ap.parse_args()
    geo = cp.datasets.norfolk()
    path = ROOT / "scenarios" / "norfolk" / "amalgamate_then_tender.yaml"
    scn = load(path)
    sp = amalgamate.spec(geo, scn)
    if sp.keep or sp.close or sp.count or sp.min_count or sp.max_count or sp.per_district or sp.close_cost:
        raise SystemExit(f"{path}: counts, locks and closing costs are not modelled by this measurement")
    t0 = time.perf_counter()
    optimum = cp.solve(geo, scn).report
    print(f"the MIP (clusterplan.solve): {optimum.status}, {optimum.objective:,.1f} in "
          f"{time.perf_counter() - t0:.1f} s")
    start = assignment.heuristic(geo.areas, geo.corridors, sp)
    built = assignment.build(geo.areas, geo.corridors, sp, extra=start)
    areas = list(geo.areas.index)
    pos = {a: k for k, a in enumerate(areas)}
    t0 = time.perf_counter()
    lp, pi = compact_lp(built, areas)
    pricing = pricing_models(geo, sp, built)
    print(f"compact LP bound {lp:,.1f} ({(optimum.objective - lp) / optimum.objective:.3%} under the optimum); "
          f"{len(pricing)} pricing MIPs built in {time.perf_counter() - t0:.1f} s\n")
    print("| step | L(pi) | best bound | gap to the optimum | seconds |\n|---|---|---|---|---|")
    best, best_pi, step, since = -np.inf, pi, 1.0, 0
    t0 = time.perf_counter()
    for k in range(args.steps):
        value, g = lagrangian(pi, pricing, pos, sp.fixed_cost)
        if value > best:
            best, best_pi, since = value, pi.copy(), 0
        else:
            since += 1
        if k % 10 == 0 or k == args.steps - 1:
            print(f"| {k} | {value:,.1f} | {best:,.1f} | {(optimum.objective - best) / optimum.objective:.4%} | "
                  f"{time.perf_counter() - t0:.1f} |")
        norm = float(g @ g)
        if norm == 0:
            print("subgradient zero: the bound meets a partition")
            break
        if since >= 5:
            step, since, pi = step / 2, 0, best_pi.copy()
            continue
        pi = pi + step * (optimum.objective - value) / norm * g


if __name__ == "__main__":
    main()
