"""Family hubs (model ``hubs``) on real data: solve time, status and gap, model size. Run on demand, never in tests.

    python benchmarks/hubs.py                   # Norfolk and Hampshire (about 6 minutes on 2 cores)
    python benchmarks/hubs.py norfolk           # or: hampshire, budget

Each row is one end-to-end ``clusterplan.solve`` of a shipped scenario (its own time limit and gap), timed on the
wall clock, with the model's size read from the built PuLP problem. The target (issue 20): proven optimal, or
within 0.5%, in under 60 s on 2 cores for Norfolk.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import clusterplan as cp
from clusterplan.models import hubs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from norfolk import machine, table  # noqa: E402

CASES = {
    "norfolk": ROOT / "scenarios" / "norfolk" / "family_hubs.yaml",
    "budget": ROOT / "scenarios" / "norfolk" / "family_hubs_budget.yaml",
    "hampshire": ROOT / "scenarios" / "england" / "hubs.yaml",
}


def size(geo: cp.Geography, scn: cp.Scenario) -> tuple[int, int]:
    """Rows and columns of the full hubs model as first built."""
    sp = hubs.spec(geo, scn)
    b = hubs.build(geo, sp, hubs.layout(geo, scn, sp))
    return len(b.base.prob.constraints), len(b.base.prob.variables())


def run(name: str, england: str | None) -> dict:
    scn = cp.load(CASES[name])
    if name == "hampshire" and england:
        scn = cp.Scenario.from_dict({**scn.model_dump(mode="json"),
                                     "geography": {**scn.geography.model_dump(mode="json"), "data": england}})
    geo = cp.geography_for(scn)
    rows, cols = size(geo, scn)
    t = time.perf_counter()
    plan = cp.solve(geo, scn, quiet=True)
    wall = time.perf_counter() - t
    r = plan.report
    return {"case": name, "areas": len(geo.areas), "hub candidates": int(geo.centres["located"].sum()),
            "spoke candidates": r.scope.split("; ")[-1].split()[0], "rows": rows, "columns": cols,
            "hubs": plan.metrics.get("hubs"), "spokes": plan.metrics.get("spokes"), "status": str(r.status),
            "gap": "-" if r.gap is None else f"{r.gap:.2%}", "solver s": round(r.seconds, 1),
            "end to end s": round(wall, 1), "time limit s": r.time_limit,
            "deprived within 2.5 km %": plan.metrics.get("deprived_within_2_5km_pct")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", default=["norfolk", "hampshire"], choices=[*CASES, []])
    ap.add_argument("--england-data", default=str(ROOT.parent / "shared" / "data" / "england"),
                    help="the England tables' folder (for hampshire)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    table("Family hubs: one solve per shipped scenario", [run(c, args.england_data) for c in args.cases or
                                                           ["norfolk", "hampshire"]])


if __name__ == "__main__":
    main()
