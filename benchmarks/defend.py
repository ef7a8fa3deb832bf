"""Benchmarks of the defensible-plan tools on the real Norfolk data (amalgamate, floor 600). Run on demand:

    python benchmarks/defend.py              # 5 alternatives, a 1,000-plan ensemble, reasons, sensitivity, fronts
    python benchmarks/defend.py alternatives ensemble

Prints one line per tool: wall seconds and what it produced.
"""

from __future__ import annotations

import argparse
import platform
import time

import clusterplan as cp
from clusterplan import alternatives, ensemble, pareto, reasons, sensitivity

SCN = {"model": "amalgamate", "reach": {"min": 600}}


def main() -> None:
    tools = ["alternatives", "ensemble", "reasons", "sensitivity", "pareto"]
    ap = argparse.ArgumentParser()
    ap.add_argument("which", nargs="*", help=f"tools to time, of {', '.join(tools)} (default: all)")
    args = ap.parse_args()
    unknown = sorted(set(args.which) - set(tools))
    if unknown:
        ap.error(f"unknown tool(s) {unknown}; choose from {tools}")
    args.which = args.which or tools
    import os
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    geo = cp.datasets.norfolk()
    best = cp.solve(geo, SCN)  # warms the status-quo cache, as an interactive session would have it
    for tool in args.which:
        t0 = time.perf_counter()
        if tool == "alternatives":
            alts = alternatives.alternatives(geo, SCN, k=5, min_centres=1, within=0.05)
            what = (f"{len(alts) - 1} alternatives, the last {alts[-1].excess:.3%} above the optimum: "
                    + " | ".join(a.differences for a in alts[1:]))
        elif tool == "ensemble":
            chain = ensemble.recom(geo, SCN, best, steps=1000, seed=0)
            s = ensemble.summary(chain, {})
            what = f"{s['steps']} steps, {s['accepted']} accepted, {s['distinct plans']} distinct plans checked"
        elif tool == "reasons":
            why = reasons.reasons(geo, SCN, best)
            what = f"{len(why)} amalgamated centres explained, {int(why['knife_edge'].sum())} knife-edge"
        elif tool == "sensitivity":
            table = sensitivity.sensitivity(SCN)
            what = f"{len(table.attrs['variants'])} variants: " + ", ".join(
                f"{k} {v}" for k, v in table["decision"].value_counts().items())
        else:
            cf, _ = pareto.centres_front(geo, SCN, counts=[30, 33, 36, 39, 41])
            mid = time.perf_counter()
            df, _ = pareto.deprived_front(geo, SCN, steps=3)
            what = (f"{len(cf)} + {len(df)} front points (centres front {mid - t0:.1f} s: "
                    + ", ".join(f"{int(r['count'])} {r['status']}" for _, r in cf.iterrows())
                    + f"; deprived front {time.perf_counter() - mid:.1f} s)")
        print(f"{tool}: {time.perf_counter() - t0:.1f} s; {what}", flush=True)


if __name__ == "__main__":
    main()
