"""How close is Norfolk to one region more? A fixed-count search for a partition into bound-many regions.

    python benchmarks/capacity_shortfall.py                      # Norfolk 2020, floor 600, 73 regions
    python benchmarks/capacity_shortfall.py --moves 2e8 --seed 3

The capacity model finds 72 connected regions of >= 600 children; the bound is 73 (44,201 // 600). A plan of 73
regions has only 401 children of slack, about 5 per region. This script asks the question the other way round: split
one region of clusterplan's 72-region plan in two, so there are 73 connected regions covering every area, and then
move areas between adjacent regions (single areas, and swaps of two areas between two regions, which change their
children by the difference of two areas) to minimise the *shortfall*, the children missing below the floor summed
over the regions. A shortfall of 0 is a 73-region plan, which the bound proves optimal.

Simulated annealing, seeded; the temperature falls geometrically with the move count (not the clock), so a run is the
same on any machine. Every move keeps both regions connected (checked by search over their areas). Prints the
shortfall as it falls and the regions still short at the end. A measurement, not part of the package: it has not
reached 0 on Norfolk, and its end state is not a plan.
"""

from __future__ import annotations

import argparse
import math
import time

import networkx as nx
import numpy as np

import clusterplan as cp
from clusterplan.models import capacity
from clusterplan.models import repack as rp


def split_largest(g: rp._Graph, label: list[int], parts: int) -> list[int]:
    """Split the region with most children into two connected halves (the spanning-tree edge whose removal
    balances them best); returns the labels with one region more."""
    sums = np.bincount(label, weights=g.pop, minlength=parts)
    k = int(np.argmax(sums))
    members = [i for i in range(len(label)) if label[i] == k]
    h = nx.Graph()
    h.add_nodes_from(members)
    h.add_edges_from((i, j) for i in members for j in g.nb[i] if label[j] == k)
    tree = nx.minimum_spanning_tree(h)
    best: tuple[float, set[int]] | None = None
    for e in sorted(tree.edges):
        tree.remove_edge(*e)
        side = nx.node_connected_component(tree, e[0])
        off = abs(float(g.pop[list(side)].sum()) - sums[k] / 2)
        if best is None or off < best[0]:
            best = (off, set(side))
        tree.add_edge(*e)
    assert best is not None
    return [parts if i in best[1] else label[i] for i in range(len(label))]


def anneal(g: rp._Graph, label: list[int], floor: int, *, moves: int, hot: float, cold: float, swaps: float,
           seed: int, report: int) -> tuple[int, list[int]]:
    """Minimise total shortfall below ``floor`` (children) over partitions with a fixed number of connected regions.
    Returns the least shortfall met and its labels."""
    pop = [int(p) for p in g.pop]
    parts = max(label) + 1
    sums = [0] * parts
    members: list[set[int]] = [set() for _ in range(parts)]
    for i, r in enumerate(label):
        sums[r] += pop[i]
        members[r].add(i)

    def short(s: int) -> int:
        return max(0, floor - s)

    total = sum(short(s) for s in sums)
    best, best_label = total, list(label)
    rng = np.random.default_rng(seed)
    arcs = [(i, j) for i in range(len(pop)) for j in g.nb[i]]
    done, batch, t0 = 0, 100_000, time.perf_counter()
    while done < moves and total > 0:
        temp = hot * (cold / hot) ** (done / moves)
        picks, accept, kind, which = (rng.integers(len(arcs), size=batch), rng.random(batch), rng.random(batch),
                                      rng.random(batch))
        for t in range(batch):
            i, j = arcs[picks[t]]
            a, b = label[i], label[j]
            if a == b or len(members[a]) == 1:
                continue
            if kind[t] < swaps:   # i goes to b, and some area k of b bordering a comes back
                cand = sorted(k for k in members[b] if k != j and any(label[x] == a for x in g.nb[k]))
                if not cand:
                    continue
                k = cand[int(which[t] * len(cand))]
                shift = pop[i] - pop[k]
            else:
                k, shift = -1, pop[i]
            delta = short(sums[a] - shift) + short(sums[b] + shift) - short(sums[a]) - short(sums[b])
            if delta > 0 and accept[t] >= math.exp(-delta / temp):
                continue
            new_a, new_b = members[a] - {i}, members[b] | {i}
            if k >= 0:
                new_a.add(k)
                new_b.discard(k)
            if not (g.connected(new_a) and (k < 0 or g.connected(new_b))):
                continue
            members[a], members[b] = new_a, new_b
            label[i] = b
            if k >= 0:
                label[k] = a
            sums[a] -= shift
            sums[b] += shift
            total += delta
            if total < best:
                best, best_label = total, list(label)
                if total == 0:
                    break
        done += batch
        if done % report == 0 or total == 0:
            print(f"{done:>12,} {temp:>6.2f} {total:>9} {best:>9} {sum(s < floor for s in sums):>6} "
                  f"{time.perf_counter() - t0:>8.1f}", flush=True)
    return best, best_label


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--year", type=int, default=2020)
    ap.add_argument("--floor", type=int, default=600)
    ap.add_argument("--seconds", type=float, default=90, help="time limit of the capacity solve that gives the start")
    ap.add_argument("--moves", type=float, default=1e8, help="annealing moves tried")
    ap.add_argument("--hot", type=float, default=10.0, help="starting temperature (children)")
    ap.add_argument("--cold", type=float, default=0.3, help="final temperature (children)")
    ap.add_argument("--swaps", type=float, default=0.3, help="share of moves that are swaps")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    geo = cp.datasets.norfolk(args.year)
    under5 = geo.areas["under5"]
    bound = capacity.upper_bound(geo.corridors, under5, args.floor)
    plan = cp.solve(geo, {"model": "capacity", "reach": {"min": args.floor},
                          "solver": {"time_limit": args.seconds, "seed": args.seed}})
    g = rp._Graph(geo.corridors, under5)
    region = dict(zip(plan.assignment["area"], plan.assignment["centre"], strict=True))
    number = {key: k for k, key in enumerate(sorted(set(region.values())))}
    label = [number[region[a]] for a in g.nodes]
    parts = len(number)
    print(f"Norfolk {args.year}: {len(g.nodes)} areas, {int(under5.sum())} children, floor {args.floor}, "
          f"bound {bound}; capacity plan ({args.seconds:g} s, seed {args.seed}): {parts} regions")
    while parts < bound:
        label = split_largest(g, label, parts)
        parts += 1
    print(f"{'moves':>12} {'temp':>6} {'shortfall':>9} {'best':>9} {'short':>6} {'seconds':>8}")
    best, best_label = anneal(g, label, args.floor, moves=int(args.moves), hot=args.hot, cold=args.cold,
                              swaps=args.swaps, seed=args.seed, report=10_000_000)
    sums = np.bincount(best_label, weights=g.pop, minlength=parts)
    for r in range(parts):   # independent re-check of what is printed: every region connected
        assert g.connected({i for i, x in enumerate(best_label) if x == r})
    low = sorted(int(s) for s in sums if s < args.floor)
    if best == 0:
        print(f"{parts} connected regions, every one at the floor: the bound {bound} is reached")
    else:
        print(f"least shortfall {best} children over {len(low)} regions ({', '.join(map(str, low))} children): "
              f"{parts} regions not reached")


if __name__ == "__main__":
    main()
