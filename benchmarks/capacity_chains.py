"""Deficit-pushing chains on Norfolk's last region: from the states annealing and recombination leave, how long do
the chains (with their walks) take to close the children short of the floor?

    python benchmarks/capacity_chains.py                      # Norfolk 2020, floor 600, seeds 0 1, 3 states each
    python benchmarks/capacity_chains.py --seeds 0 --states 2 --seconds 60

For each seed: the capacity model with ``--start-seconds`` (short, so that it stops one region below the bound, 72), the
largest region split into two (73 regions, some short of the floor), then ``--states`` times: annealing (10,000 moves
per area, a new seed each time) and pair recombination, as in a late round of :func:`clusterplan.models.fixcount.
one_more`, and from there :func:`clusterplan.models.fixcount.chains` alone with ``--seconds`` and no patience limit.
Prints the children short of the floor after annealing, after recombination and after the chains, and the chains'
seconds. Every plan that reaches 0 is re-checked here: a partition into connected regions each at the floor.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx

import clusterplan as cp
from clusterplan.models import capacity, fixcount
from clusterplan.models.packing import _Graph


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--floor", type=int, default=600)
    ap.add_argument("--start-seconds", type=float, default=12, help="time limit of the capacity solve for the start")
    ap.add_argument("--seconds", type=float, default=120, help="time limit of each chains run")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--states", type=int, default=3, help="annealed and recombined states per seed")
    args = ap.parse_args()
    geo = cp.datasets.norfolk(2020)
    graph, under5 = geo.corridors, geo.areas["under5"]
    bound = capacity.upper_bound(graph, under5, args.floor)
    g = _Graph(graph, under5)
    print(f"Norfolk 2020: {len(under5)} areas, floor {args.floor}, bound {bound}")
    print(f"{'seed':>4} {'state':>5} {'regions':>7} {'annealed':>8} {'recombined':>10} {'chains':>6} {'chains s':>8}")
    for seed in args.seeds:
        plan = cp.solve(geo, {"model": "capacity", "reach": {"min": args.floor},
                              "solver": {"time_limit": args.start_seconds, "seed": seed}})
        label = [-1] * len(g.nodes)
        for k, (_, d) in enumerate(plan.assignment.groupby("centre")):
            for a in d["area"]:
                label[g.index[a]] = k
        if max(label) + 1 >= bound:
            print(f"{seed:>4} the capacity solve's own start reached the bound ({bound} regions): nothing to close")
            continue
        first = fixcount.split_largest(g, label)
        for state in range(args.states):
            annealed, lab = fixcount.anneal(g, first, args.floor, moves=10_000 * len(label),
                                            seed=seed + 7919 * state, seconds=120)
            recombined, lab = fixcount.recombine(g, lab, args.floor, seed=seed + 7919 * state, seconds=120)
            t0 = time.perf_counter()
            short, lab = fixcount.chains(g, lab, args.floor, seed=0, seconds=args.seconds, patience=10**9)
            took = time.perf_counter() - t0
            if short == 0:   # re-checked independently of the search
                regions = [[g.nodes[i] for i in range(len(lab)) if lab[i] == r] for r in range(max(lab) + 1)]
                assert sorted(a for r in regions for a in r) == sorted(graph.nodes)
                assert all(nx.is_connected(graph.subgraph(r)) and under5[r].sum() >= args.floor for r in regions)
            print(f"{seed:>4} {state:>5} {max(lab) + 1:>7} {annealed:>8} {recombined:>10} {short:>6} {took:>8.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
