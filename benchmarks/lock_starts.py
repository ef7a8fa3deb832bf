"""What-if locks of reasons timed two ways, lock by lock, on Norfolk and a sample of English authorities.

The ways: cold or from the lock re-solved near the centre (``WhatIf.nearby``; ``--compare nearby``, the default),
or without and with reach cuts (``--compare reach``; ``clusterplan.models.reach``).

For Norfolk and every ``--every``-th English authority from the ``--offset``-th (their own centres, as
``scenarios/england/amalgamate.yaml``: floor 600), solve the amalgamation, then lock open each of its amalgamated
centres (twins excluded, at most ``--locks`` per authority, by id) on one built model, one lock at a time, each
lock both ways (``nearby``: cold first; ``reach``: the order alternating from lock to lock). Prints each lock's
seconds both ways and whether the optima agree (both must be proven), then the totals. Run on demand:

    python benchmarks/lock_starts.py --data ../shared/data/england --every 2 [--offset 1] [--compare reach]
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


#: per comparison: the two settings' names and how to make each (the module constant and its two values)
WAYS = {"nearby": (("cold", "nearby"), "NEARBY_CENTRES", (0, amalgamate.NEARBY_CENTRES or 6)),
        "reach": (("without cuts", "with cuts"), "REACH_ROUNDS", (0, amalgamate.REACH_ROUNDS or 8))}


def locks(name: str, geo, scn, n: int, limit: float, compare: str = "nearby") -> list[Row]:
    """(centre, s the first way, s the second, objective the first way, the second, status the first way, the
    second) per lock; the ways of ``WAYS[compare]``."""
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
    _, constant, values = WAYS[compare]
    shipped = getattr(amalgamate, constant)
    rows = []
    try:
        for k, j in enumerate(merged):
            got = {}
            order = values if compare == "nearby" or k % 2 == 0 else values[::-1]
            for value in order:
                setattr(amalgamate, constant, value)
                t0 = time.perf_counter()
                out = w.lock(j, limit)
                got[value] = (time.perf_counter() - t0, None if out is None else out[0].objective,
                              "none" if out is None else str(out[0].status))
            (tc, oc, sc), (tn, on, sn) = (got[v] for v in values)
            rows.append((j, tc, tn, oc, on, sc, sn))
    finally:
        setattr(amalgamate, constant, shipped)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("CLUSTERPLAN_ENGLAND_DATA"), help="the England tables' folder")
    ap.add_argument("--every", type=int, default=10, help="every n-th English authority (default 10)")
    ap.add_argument("--offset", type=int, default=0, help="start from the n-th authority (default 0)")
    ap.add_argument("--locks", type=int, default=3, help="at most this many locks per authority (default 3)")
    ap.add_argument("--seconds", type=float, default=60.0, help="each lock's time limit (default 60)")
    ap.add_argument("--compare", choices=sorted(WAYS), default="nearby",
                    help="nearby: cold against the nearby start (default); reach: without and with reach cuts")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"nearby centres {amalgamate.NEARBY_CENTRES}, reach-cut rounds {amalgamate.REACH_ROUNDS}; "
          f"comparing {args.compare}")
    (first, second), _, _ = WAYS[args.compare]
    scn = cp.Scenario.from_dict({"model": "amalgamate", "reach": {"min": 600},
                                 "solver": {"name": "highs", "time_limit": 60, "gap": 0.0}})
    places = [("Norfolk", cp.datasets.norfolk())]
    if args.data:
        table = england.authorities(args.data)
        places += [(table.at[c, "name"], None) for c in list(table.index)[args.offset:: args.every]]
    total = {first: 0.0, second: 0.0}
    for name, geo in places:
        geo = geo if geo is not None else england.geography(name, args.data)
        for j, tc, tn, oc, on, sc, sn in locks(name, geo, scn, args.locks, args.seconds, args.compare):
            same = "same" if oc is not None and on is not None and abs(oc - on) <= 1e-6 * max(1.0, abs(oc)) \
                else "DIFFERENT"
            print(f"{name}: {j}: {first} {tc:.2f} s ({sc}), {second} {tn:.2f} s ({sn}); optimum {same}", flush=True)
            total[first] += tc
            total[second] += tn
    print(f"total: {first} {total[first]:.1f} s, {second} {total[second]:.1f} s")


if __name__ == "__main__":
    main()
