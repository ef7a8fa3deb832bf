"""The fixed-count search stage by stage: how Norfolk gets from the capacity model's regions to the bound.

    python benchmarks/capacity_shortfall.py                       # Norfolk 2020, floor 600, seeds 0 1 2
    python benchmarks/capacity_shortfall.py --seeds 1 --moves-per-area 5000

For each seed: the capacity model (growth, local search, fixed-count search) with ``--seconds``,
then :func:`clusterplan.models.fixcount.one_more` for one region more, again and again until the bound or a miss.
Prints, for each region more, the children short of the floor after the split, after annealing, after pair
recombination, after the deficit-pushing chains and at the end, the window MIPs solved and the seconds. Every plan
found is re-checked here: a partition of the areas into connected regions each at the floor.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx

import clusterplan as cp
from clusterplan.models import capacity, fixcount


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--year", type=int, default=2020)
    ap.add_argument("--floor", type=int, default=600)
    ap.add_argument("--seconds", type=float, default=90, help="time limit of the capacity solve that gives the start")
    ap.add_argument("--moves-per-area", type=int, default=2_500,
                    help="annealing moves per area in the first round (doubling each round)")
    ap.add_argument("--limit", type=float, default=600, help="seconds per region more")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    geo = cp.datasets.norfolk(args.year)
    graph, under5 = geo.corridors, geo.areas["under5"]
    bound = capacity.upper_bound(graph, under5, args.floor)
    print(f"Norfolk {args.year}: {len(under5)} areas, {int(under5.sum())} children, floor {args.floor}, bound {bound}")
    print(f"{'seed':>4} {'regions':>7} {'short after split':>17} {'after annealing':>15} {'recombined':>10} "
          f"{'chains':>6} {'at the end':>10} "
          f"{'rounds':>6} {'windows':>7} {'annealing s':>11} {'s':>6} {'s from start':>12}")
    for seed in args.seeds:
        t0 = time.perf_counter()
        plan = cp.solve(geo, {"model": "capacity", "reach": {"min": args.floor},
                              "solver": {"time_limit": args.seconds, "seed": seed}})
        regions = [frozenset(d["area"]) for _, d in plan.assignment.groupby("centre")]
        print(f"{seed:>4} {len(regions):>7} {'capacity model':>17} {'':>15} {'':>10} {'':>6} {'':>10} {'':>6} {'':>7} "
              f"{'':>11} "
              f"{plan.report.seconds:>6.1f} {time.perf_counter() - t0:>12.1f}", flush=True)
        while len(regions) < bound:
            out = fixcount.one_more(graph, under5, args.floor, regions, seed=seed, seconds=args.limit,
                                    moves_per_area=args.moves_per_area)
            print(f"{seed:>4} {len(out.regions):>7} {out.split:>17} {out.annealed:>15} {out.recombined:>10} "
                  f"{out.chained:>6} {out.shortfall:>10} "
                  f"{out.rounds:>6} {out.windows:>7} {out.annealing_seconds:>11.1f} {out.seconds:>6.1f} "
                  f"{time.perf_counter() - t0:>12.1f}", flush=True)
            if out.shortfall > 0:
                break
            assert sorted(a for r in out.regions for a in r) == sorted(graph.nodes)   # re-checked independently
            assert all(nx.is_connected(graph.subgraph(r)) and under5[list(r)].sum() >= args.floor
                       for r in out.regions)
            regions = out.regions
        if len(regions) == bound:
            print(f"{seed:>4} {bound} regions, every one connected and at the floor: the bound is reached")


if __name__ == "__main__":
    main()
