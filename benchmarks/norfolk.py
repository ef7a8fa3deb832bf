"""Benchmarks on the real Norfolk data. Prints one table per benchmark; run on demand, never in the test suite.

    python benchmarks/norfolk.py all            # everything (about 15 minutes on 2 cores)
    python benchmarks/norfolk.py amalgamate     # or: sites, capacity, textbook

Figures are medians over ``--runs`` runs (default 3) unless the table says otherwise. spopt is a benchmark-only
dependency (``pip install spopt``).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from dataclasses import replace

import numpy as np

import clusterplan as cp
from clusterplan.models import amalgamate, assignment
from clusterplan.solvers import solve_problem


def machine() -> str:
    import os
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}\n")
    cols = list(dict.fromkeys(c for r in rows for c in r))
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.4g}" if isinstance(r.get(c), float) else str(r.get(c, "-")) for c in cols)
              + " |")


def timed(fn, runs: int):
    out, secs = None, []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        secs.append(time.perf_counter() - t0)
    return out, statistics.median(secs)


def bench_amalgamate(geo, runs: int) -> None:
    rows = []
    for floor in (600,):
        scn = {"model": "amalgamate", "reach": {"min": floor}, "solver": {"time_limit": 120}}
        plan, sec = timed(lambda scn=scn: cp.solve(geo, scn), runs)
        r = plan.report
        rows.append({"instance": f"Norfolk, {len(geo.located_centres)} centres, floor {floor}", "status": r.status,
                     "kept": len(plan.kept), "objective": round(r.objective), "gap": r.gap,
                     "solver s": r.seconds, "end-to-end s (median)": round(sec, 1)})
    scn = {"model": "amalgamate", "solver": {"time_limit": 120, "certify": True}}
    plan = cp.solve(geo, scn)
    rows.append({"instance": "same, certified (relaxation without contiguity or candidate limits)",
                 "status": plan.report.status, "kept": len(plan.kept), "objective": round(plan.report.objective),
                 "gap": plan.report.relaxed_gap, "solver s": plan.report.seconds, "end-to-end s (median)": "-"})
    table("Amalgamation (shortest-path precedence, 15 nearest centres, warm start)", rows)


def bench_sites(geo, runs: int) -> None:
    scn = {"model": "sites", "centres": {"count": 54}, "solver": {"time_limit": 60, "gap": 0.005}}
    plan, sec = timed(lambda: cp.solve(geo, scn), runs)
    r = plan.report
    table("Sites: 465 candidate schools, k = 54, stop at 0.5% gap", [
        {"status": r.status, "objective": round(r.objective), "bound": round(r.bound), "gap": r.gap,
         "solver s": r.seconds, "end-to-end s (median)": round(sec, 1)}])


def spopt_maxp(geo, seed: int, floor: float = 600):
    import libpysal
    from spopt.region import MaxPHeuristic
    pos = {a: n for n, a in enumerate(geo.areas.index)}  # spopt indexes weights by position
    neighbours = {pos[a]: sorted(pos[b] for b in geo.corridors.neighbors(a)) for a in geo.areas.index}
    w = libpysal.weights.W(neighbours, silence_warnings=True)
    gdf = geo.areas[["under5", "idaci", "geometry"]].reset_index(drop=True)
    np.random.seed(seed)
    random.seed(seed)
    model = MaxPHeuristic(gdf, w, ["idaci"], "under5", floor, top_n=2)
    model.solve()
    return int(model.p)


def bench_capacity(geo, runs: int, time_limit: float, spopt: bool = True,
                   seeds: list[int] | None = None) -> None:
    rows = []
    for seed in range(3 if spopt else 0):
        t0 = time.perf_counter()
        try:
            p = spopt_maxp(geo, seed)
        except ImportError:
            print("spopt is not installed: pip install spopt")
            return
        rows.append({"method": f"spopt MaxPHeuristic, seed {seed}", "regions": p, "bound": "-",
                     "seconds": round(time.perf_counter() - t0, 1)})
    from clusterplan.models import capacity
    t0 = time.perf_counter()
    grown = capacity.best_growth(geo.corridors, geo.areas["under5"], 600, tries=400, seed=0, seconds=30)
    rows.append({"method": "clusterplan region growing alone (400 seeds)", "regions": len(set(grown.values())),
                 "bound": "-", "seconds": round(time.perf_counter() - t0, 1)})
    t0 = time.perf_counter()
    better, _ = capacity.improve(geo.corridors, geo.areas["under5"], 600, grown, seed=0, seconds=30)
    rows.append({"method": "then the local search (groups of up to 6 regions)", "regions": len(set(better.values())),
                 "bound": "-", "seconds": round(time.perf_counter() - t0, 1)})
    for seed in seeds if seeds is not None else range(runs):
        plan = cp.solve(geo, {"model": "capacity", "solver": {"time_limit": time_limit, "seed": seed}})
        found = [n for n in plan.notes if n.startswith("fixed-count search") and ": found at " in n]
        at = found[-1].split(": found at ")[1].split(" s")[0] if found else "growth"
        rows.append({"method": f"clusterplan capacity, {time_limit:g} s limit, seed {seed}",
                     "regions": int(plan.report.objective), "bound": int(plan.report.bound),
                     "status": plan.report.status, "seconds": round(plan.report.seconds, 1),
                     "best found at s": at})
    table("Network capacity (max-p, floor 600) on the same corridor graph", rows)


def bench_textbook(geo, time_limit: float) -> None:
    """The textbook formulation: every area may join every centre, flow contiguity, no warm start."""
    scn = cp.Scenario.from_dict({"model": "amalgamate"})
    rows = []
    for label, change, warm in [
        ("clusterplan: 15 nearest, shortest-path precedence, warm start", {}, True),
        ("textbook: all 41 centres, single-commodity flow, no warm start",
         {"k": 41, "contiguity": "flow"}, False),
    ]:
        spec = replace(amalgamate.spec(geo, scn), **change)
        t0 = time.perf_counter()
        start = assignment.heuristic(geo.areas, geo.corridors, spec) if warm else None
        built = assignment.build(geo.areas, geo.corridors, spec, extra=start)
        if start is not None:
            assignment.set_start(built, start)
        build_s = time.perf_counter() - t0
        out = solve_problem(built.prob, time_limit=time_limit, warm=built.warm)
        rows.append({"formulation": label, "variables": len(built.prob.variables()),
                     "constraints": len(built.prob.constraints), "status": out.status,
                     "objective": round(out.objective) if out.objective else "-",
                     "gap": out.gap if out.gap is not None else "-", "build s": round(build_s, 1),
                     "solve s": round(out.seconds, 1)})
    ratio = rows[1]["solve s"] / max(rows[0]["solve s"], 1e-9)
    table(f"Textbook formulation versus ours, Norfolk amalgamation, {time_limit:g} s limit "
          f"(speed-up at least {ratio:.0f}x)", rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["all", "amalgamate", "sites", "capacity", "textbook"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--capacity-seconds", type=float, default=480)
    ap.add_argument("--seeds", type=int, nargs="+", help="capacity: these seeds instead of 0 .. runs - 1")
    ap.add_argument("--textbook-seconds", type=float, default=300)
    ap.add_argument("--skip-spopt", action="store_true", help="capacity: leave out the (slow) spopt comparison")
    a = ap.parse_args()
    print(f"# clusterplan benchmarks on Norfolk ({time.strftime('%Y-%m-%d')}, {machine()})")
    geo = cp.datasets.norfolk()
    if a.what in ("all", "amalgamate"):
        bench_amalgamate(geo, a.runs)
    if a.what in ("all", "sites"):
        bench_sites(geo, a.runs)
    if a.what in ("all", "capacity"):
        bench_capacity(geo, a.runs, a.capacity_seconds, spopt=not a.skip_spopt, seeds=a.seeds)
    if a.what in ("all", "textbook"):
        bench_textbook(geo, a.textbook_seconds)


if __name__ == "__main__":
    main()
