"""The speed issue's targets on the real Norfolk data, side by side in one run. Prints one table; run on demand:

    python benchmarks/targets.py                 # about 3 minutes on 2 cores
    python benchmarks/targets.py --runs 3 --capacity-seeds 0 1 2

Each row is a target of the speed-and-proofs issue, what it asks for and what this run measured:

- the amalgamation (``scenarios/norfolk/amalgamate_then_tender.yaml``' model: floor 600, 15 candidates per area,
  shortest-path precedence) as clusterplan solves it (solver seconds, both of its solves counted), against the same
  model solved the textbook way: built once by clusterplan's own builder, solved by PuLP's HiGHS interface with
  its default options and no start (the time around ``prob.solve``), and once more with the relative gap limit set
  to 0, the proof clusterplan gives (HiGHS's default stops at a gap of 1e-4, 0.01%);
- ``clusterplan run --no-why`` end to end (a fresh process: imports, geography, solve, every output written);
- reasons for every amalgamated centre (:func:`clusterplan.reasons.reasons`, the plan given);
- network capacity with the default settings (seeds as given): regions, bound, status and seconds.

All of England's capacity (the other target, about 12 minutes) is `benchmarks/england.py`; it is not run here.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pulp

import clusterplan as cp
from clusterplan import reasons
from clusterplan.datasets import geography_for
from clusterplan.models import amalgamate, assignment
from clusterplan.scenario import load

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "norfolk" / "amalgamate_then_tender.yaml"


def textbook(geo: cp.Geography, scn: cp.Scenario, time_limit: float,
             gap: float | None = None) -> tuple[float, str, float]:
    """The same model, solved the textbook way: PuLP's HiGHS, default options (``gap``: the relative gap limit;
    None: HiGHS's default), no start. (seconds, status, objective in weighted child-minutes)."""
    built = assignment.build(geo.areas, geo.corridors, amalgamate.spec(geo, scn))
    t0 = time.perf_counter()
    built.prob.solve(pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=gap))
    return time.perf_counter() - t0, pulp.LpStatus[built.prob.status], pulp.value(built.prob.objective)


def spread(xs: list[float]) -> str:
    return f"{min(xs):.1f}" if len(xs) == 1 else f"{min(xs):.1f}-{max(xs):.1f} (median {statistics.median(xs):.1f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2, help="runs of each timed row (default 2)")
    ap.add_argument("--capacity-seeds", type=int, nargs="+", default=[0, 1], help="capacity: seeds (default 0 1)")
    ap.add_argument("--textbook-seconds", type=float, default=300, help="the textbook solve's time limit")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PuLP {pulp.__version__}")
    scn = load(SCENARIO)
    geo = geography_for(scn)
    rows = []

    ours, ends, book, book0, objectives = [], [], [], [], set()
    plan = None
    for _ in range(args.runs):   # interleaved, so a slower spell of the machine falls on both
        t0 = time.perf_counter()
        plan = cp.solve(geo, scn)
        ends.append(time.perf_counter() - t0)
        ours.append(plan.report.seconds)
        objectives.add(round(plan.report.objective, 1))
        secs, status, obj = textbook(geo, scn, args.textbook_seconds)
        secs0, status0, obj0 = textbook(geo, scn, args.textbook_seconds, gap=0.0)
        book.append(secs)
        book0.append(secs0)
        objectives |= {round(obj, 1), round(obj0, 1)}
        print(f"  amalgamation: ours {ours[-1]:.1f} s ({plan.report.status}), textbook {secs:.1f} s ({status}), "
              f"textbook to gap 0 {secs0:.1f} s ({status0})", flush=True)
    rows.append(("amalgamation proven optimal, solver seconds", "<= 1 s, >= 4x the textbook model",
                 f"{spread(ours)} s ({plan.report.status}, gap 0); textbook {spread(book)} s at HiGHS's default gap "
                 f"(ratio {statistics.median(book) / statistics.median(ours):.1f}x), {spread(book0)} s to gap 0 "
                 f"(ratio {statistics.median(book0) / statistics.median(ours):.1f}x); objectives "
                 f"{sorted(objectives)}"))
    rows.append(("the same, `clusterplan.solve` end to end", "-", f"{spread(ends)} s"))

    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "clusterplan", "--quiet", "run", str(SCENARIO), "--no-why",
                            "--out", str(Path(tmp) / "out")], check=True, stdout=subprocess.DEVNULL)
            runs.append(time.perf_counter() - t0)
    rows.append(("`clusterplan run --no-why` end to end", "<= 3 s", f"{spread(runs)} s"))

    why_s = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        why = reasons.reasons(geo, scn, plan)
        why_s.append(time.perf_counter() - t0)
    proven = int(why["lock_proven"].fillna(False).astype(bool).sum())
    rows.append(("reasons for every amalgamated centre", "<= 10 s",
                 f"{spread(why_s)} s; {len(why)} centres, {proven} costs proven exact"))

    for seed in args.capacity_seeds:
        t0 = time.perf_counter()
        cap = cp.solve(geo, {"model": "capacity", "solver": {"seed": seed}})
        r = cap.report
        rows.append((f"Norfolk network capacity, default settings, seed {seed}", "73 proven in <= 60 s",
                     f"{int(r.objective)} of a bound of {int(r.bound)}, {r.status}, solver {r.seconds:.1f} s "
                     f"({time.perf_counter() - t0:.1f} s end to end)"))

    print("\n| target | asked | measured |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
