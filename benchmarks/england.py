"""All of England: a scenario (default the capacity model) over every upper-tier authority, on 1 or 2 workers.

    python benchmarks/england.py --data ../shared/data/england --workers 2 --out /tmp/england2
    python benchmarks/england.py --scenario scenarios/england/amalgamate.yaml --workers 2 --out /tmp/amalgamate
    python benchmarks/england.py --data ../shared/data/england --workers 1 --out /tmp/england1 [--every 4]

Prints total wall time, the slowest authority, the worst gap, how many authorities met the 0.5% gap, and the peak
memory (the parent and the largest worker process). ``--every N`` runs every N-th authority (by code), to measure
scaling on a subset in less time. The output folders are fresh each run (a resumed batch would skip work).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

from clusterplan import england, registry
from clusterplan.batch import batch
from clusterplan.scenario import read_yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "england"))
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "england" / "capacity.yaml"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--every", type=int, default=1, help="run every N-th authority only")
    ap.add_argument("--out", required=True, help="output folder (emptied first)")
    args = ap.parse_args()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    codes = list(england.authorities(args.data).index)[:: args.every]
    base = read_yaml(args.scenario)
    t0 = time.perf_counter()
    table = batch(base, out, authorities=codes, data=args.data, workers=args.workers,
                  progress=lambda s: print(s, file=sys.stderr, flush=True))
    wall = time.perf_counter() - t0
    solved = table[~table["status"].isin(["infeasible", "failed"])]
    slow = solved.sort_values("seconds").iloc[-1]
    worst = solved.sort_values("gap").iloc[-1]
    met = int((solved["gap"] <= 0.005).sum())
    kib = 1024  # ru_maxrss is in KiB on Linux
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib
    print(f"scenario: {args.scenario} (time limit {base.get('solver', {}).get('time_limit')} s per authority)")
    print(f"authorities: {len(table)} (every {args.every}), workers: {args.workers}")
    print(f"total wall time: {wall:.0f} s ({wall / 60:.1f} min)")
    print(f"solved: {len(solved)}; without a plan: {len(table) - len(solved)} "
          f"({', '.join(table.loc[~table.index.isin(solved.index), 'name'])})")
    print(f"slowest authority: {slow['name']} ({slow['areas']} areas) {slow['seconds']:.1f} s solver time")
    print(f"worst gap: {worst['name']} {worst['gap']:.2%} ({worst['centres']} regions, bound {worst['bound']:.0f})")
    print(f"gap <= 0.5%: {met} of {len(solved)}; proven optimal: {int((solved['status'] == 'optimal').sum())}")
    if registry.info(base.get("model", "amalgamate")).uses_todays_centres:   # amalgamate, status quo, cluster
        print(f"children's centres today: {int(solved['centres_today'].sum()):,} in {len(solved)} authorities; "
              f"below the floor today: {int(solved['centres_below_floor_today'].sum()):,}; "
              f"kept: {int(solved['centres'].sum()):,}")
    else:
        print(f"regions in England: {int(solved['centres'].sum()):,} against a bound of "
              f"{int(solved['bound'].sum()):,}")
    print(f"peak memory: parent {me:.0f} MiB, largest worker {kids:.0f} MiB")


if __name__ == "__main__":
    main()
