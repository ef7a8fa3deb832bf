"""How a what-if lock of reasons starts: cold, or from the lock re-solved near the centre (``WhatIf.nearby``).

For Norfolk and every ``--every``-th English authority from the ``--offset``-th (their own centres, as
``scenarios/england/amalgamate.yaml``: floor 600), solve the amalgamation, then lock open each of its amalgamated
centres (twins excluded, at most ``--locks`` per authority, by id) on one built model, one lock at a time: first
cold, then from the nearby start. Prints each lock's seconds both ways and whether the optima agree (both must be
proven), then the totals. Run on demand:

    python benchmarks/lock_starts.py --data ../shared/data/england --every 2 [--offset 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import clusterplan as cp
from clusterplan import england
from clusterplan.models import amalgamate

Row = tuple[str, float, float, float | None, float | None, str, str]


def locks(name: str, geo, scn, n: int, limit: float) -> list[Row]:
    """(centre, cold s, nearby s, cold objective, nearby objective, cold status, nearby status) per lock."""
    try:
        plan = cp.solve(geo, scn)
    except cp.InfeasibleError as exc:   # e.g. an authority with no centre open today
        print(f"{name}: no plan: {str(exc).splitlines()[0]}")
        return []
    merged = sorted(plan.centres.loc[plan.centres["status"] == "amalgamated", "centre"].astype(str))
    merged = [j for j in merged if amalgamate.twin(geo, scn, plan, j) is None][:n]
    if not merged:
        return []
    w = amalgamate.WhatIf(geo, scn, plan)
    rows = []
    for j in merged:
        got = {}
        for near in (0, amalgamate.NEARBY_CENTRES or 6):
            amalgamate.NEARBY_CENTRES = near
            t0 = time.perf_counter()
            out = w.lock(j, limit)
            got[near] = (time.perf_counter() - t0, None if out is None else out[0].objective,
                         "none" if out is None else str(out[0].status))
        (tc, oc, sc), (tn, on, sn) = got.values()
        rows.append((j, tc, tn, oc, on, sc, sn))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("CLUSTERPLAN_ENGLAND_DATA"), help="the England tables' folder")
    ap.add_argument("--every", type=int, default=10, help="every n-th English authority (default 10)")
    ap.add_argument("--offset", type=int, default=0, help="start from the n-th authority (default 0)")
    ap.add_argument("--locks", type=int, default=3, help="at most this many locks per authority (default 3)")
    ap.add_argument("--seconds", type=float, default=60.0, help="each lock's time limit (default 60)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"nearby centres {amalgamate.NEARBY_CENTRES}")
    scn = cp.Scenario.from_dict({"model": "amalgamate", "reach": {"min": 600},
                                 "solver": {"name": "highs", "time_limit": 60, "gap": 0.0}})
    places = [("Norfolk", cp.datasets.norfolk())]
    if args.data:
        table = england.authorities(args.data)
        places += [(table.at[c, "name"], None) for c in list(table.index)[args.offset:: args.every]]
    total = {"cold": 0.0, "nearby": 0.0}
    for name, geo in places:
        geo = geo if geo is not None else england.geography(name, args.data)
        for j, tc, tn, oc, on, sc, sn in locks(name, geo, scn, args.locks, args.seconds):
            same = "same" if oc is not None and on is not None and abs(oc - on) <= 1e-6 * max(1.0, abs(oc)) \
                else "DIFFERENT"
            print(f"{name}: {j}: cold {tc:.2f} s ({sc}), nearby {tn:.2f} s ({sn}); optimum {same}", flush=True)
            total["cold"] += tc
            total["nearby"] += tn
    print(f"total: cold {total['cold']:.1f} s, nearby {total['nearby']:.1f} s")


if __name__ == "__main__":
    main()
