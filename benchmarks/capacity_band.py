"""The capacity band check (`clusterplan.models.maxp_exact.band`) on English authorities one region below their bound.

For each authority: its children, the bound children / 600, the slack (children above bound x 600), how many
connected sets of areas hold between 600 and 600 + slack children (the band), how long listing them took, and what
the set-partitioning model over them says: the bound is reachable (a plan at the bound), out of reach (one region
fewer is the most), or undecided in the time. Beside it, the band search alone (`maxp_exact.partition_search`, no
listing): its answer, the sets of areas it split and its seconds. Run on demand:

    python benchmarks/capacity_band.py --data ../shared/data/england Merton Greenwich Swindon Haringey
    python benchmarks/capacity_band.py --max-regions 200000 --seconds 60 Swindon
    python benchmarks/capacity_band.py --one-short /tmp/england/batch.csv --search-seconds 5   # every authority a
                                                                       # batch left one region below its bound
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import networkx as nx
import pandas as pd

from clusterplan import england
from clusterplan.models import maxp_exact

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("authorities", nargs="*", help="names or codes of English upper-tier authorities")
    ap.add_argument("--one-short", help="a batch.csv (benchmarks/england.py): add every authority one region short")
    ap.add_argument("--search-seconds", type=float, default=5, help="time limit of the band search")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "england"))
    ap.add_argument("--floor", type=float, default=600)
    ap.add_argument("--max-regions", type=int, default=100_000, help="the most sets in the band to list")
    ap.add_argument("--seconds", type=float, default=60, help="time limit of the set-partitioning model")
    args = ap.parse_args()
    names = list(args.authorities)
    if args.one_short:
        t = pd.read_csv(args.one_short)
        names += list(t.loc[(t["status"] != "optimal") & (t["bound"] - t["centres"] == 1), "name"])
    print("| authority | areas | children | bound | slack | band search: answer | sets split | search s | "
          "sets in the band | listing s | listing and MIP: answer | s in all |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    decided = 0
    for name in names:
        geo = england.geography(name, args.data)
        u = geo.areas["under5"]
        for comp in sorted(nx.connected_components(geo.corridors), key=len, reverse=True):
            w = {a: float(u[a]) for a in comp}
            total = sum(w.values())
            q = math.floor(total / args.floor)
            if q < 1:
                continue
            t0 = time.perf_counter()
            found, branched = maxp_exact.partition_search(geo.corridors.subgraph(comp), w, args.floor,
                                                          seconds=args.search_seconds)
            searched = ("undecided" if found is None else f"out of reach: {q - 1} at most" if found is False
                        else f"reachable: {q}")
            decided += found is not None
            ts = time.perf_counter() - t0
            t0 = time.perf_counter()
            bits = maxp_exact._Bits(geo.corridors.subgraph(comp), w, args.floor)
            listed = maxp_exact.band_sets(bits, total - args.floor * (q - 1) + 1e-9, args.max_regions)
            t1 = time.perf_counter()
            b = maxp_exact.band(geo.corridors.subgraph(comp), w, args.floor, q, seconds=args.seconds,
                                max_regions=args.max_regions, search_share=0)
            undecided = "undecided" if b.listed is not None else f"more than {args.max_regions:,} sets"
            answer = {True: f"reachable: {q}", False: f"out of reach: {q - 1} at most", None: undecided}[b.reachable]
            count = f"{len(listed):,}" if listed is not None else f"> {args.max_regions:,}"
            print(f"| {name} | {len(comp)} | {total:,.0f} | {q} | "
                  f"{total - args.floor * q:,.0f} | {searched} | {branched:,} | {ts:.1f} | {count} | "
                  f"{t1 - t0:.1f} | {answer} | {b.seconds:.1f} |", flush=True)
    print(f"\ndecided by the band search: {decided}")


if __name__ == "__main__":
    main()
