"""Compiled inner loops of the capacity search (numba): the moves that run millions of times.

Each kernel is a plain loop over integer arrays, compiled once per machine (``cache=True`` keeps the machine code
beside this file, so later runs skip the compile of a few seconds). They take every random number from the caller,
drawn by numpy's seeded generators in batches, so a seed gives the same plan as before they were compiled, and the
same on any machine. The corridor graph comes in compressed rows: ``nb_ptr[v]:nb_ptr[v + 1]`` indexes ``nb_idx``,
the neighbours of area ``v`` in increasing order.

Regions are held as member lists: ``mlist[r, :msize[r]]`` lists region ``r``'s areas (in no order), ``mpos[v]`` is
area ``v``'s place in its list, so that an area moves between two regions in constant time.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def connected(nb_ptr: np.ndarray, nb_idx: np.ndarray, label: np.ndarray, r: int, mlist: np.ndarray,
              msize: np.ndarray, drop: int, add: int, seen: np.ndarray, stamp: np.ndarray,
              stack: np.ndarray) -> bool:
    """Whether region ``r``'s areas, without ``drop`` (a member) and with ``add`` (not a member; -1: none), are
    connected. ``seen`` (one entry per area) and ``stamp`` (one entry) mark visits without clearing: each call
    uses the next stamp."""
    stamp[0] += 1
    s = stamp[0]
    start = add
    if start < 0:
        for q in range(msize[r]):
            if mlist[r, q] != drop:
                start = mlist[r, q]
                break
    seen[start] = s
    stack[0] = start
    top, count = 1, 1
    while top > 0:
        top -= 1
        v = stack[top]
        for e in range(nb_ptr[v], nb_ptr[v + 1]):
            u = nb_idx[e]
            if seen[u] != s and u != drop and (label[u] == r or u == add):
                seen[u] = s
                stack[top] = u
                top += 1
                count += 1
    want = msize[r]
    if drop >= 0:
        want -= 1
    if add >= 0:
        want += 1
    return count == want


@njit(cache=True)
def _move(label: np.ndarray, mlist: np.ndarray, msize: np.ndarray, mpos: np.ndarray, v: int, to: int) -> None:
    """Area ``v`` leaves its region for region ``to``."""
    a = label[v]
    q = mpos[v]
    last = mlist[a, msize[a] - 1]
    mlist[a, q] = last
    mpos[last] = q
    msize[a] -= 1
    mlist[to, msize[to]] = v
    mpos[v] = msize[to]
    msize[to] += 1
    label[v] = to


@njit(cache=True)
def anneal_batch(nb_ptr: np.ndarray, nb_idx: np.ndarray, arc_from: np.ndarray, arc_to: np.ndarray,
                 pop: np.ndarray, label: np.ndarray, sums: np.ndarray, mlist: np.ndarray, msize: np.ndarray,
                 mpos: np.ndarray, floor: int, temp: float, swaps: float, picks: np.ndarray, accept: np.ndarray,
                 kind: np.ndarray, which: np.ndarray, total: int, best: int, best_label: np.ndarray,
                 seen: np.ndarray, stamp: np.ndarray, stack: np.ndarray, cand: np.ndarray) -> tuple[int, int]:
    """One batch of annealing moves at temperature ``temp`` (children), one per entry of ``picks`` (an arc, from
    ``arc_from`` to ``arc_to``), as :func:`.fixcount.anneal` describes them: the area at the arc's tail joins the
    head's region, or (``kind < swaps``) also an area of that region bordering the first comes back (``which``
    picks it among them, in increasing order). Accepted when the shortfall does not rise, else with probability
    exp(-rise / temp) (``accept``), and only when both regions stay connected. Updates the regions in place and
    ``best_label`` at each new least shortfall; returns the shortfall and the least met (stops at 0)."""
    for t in range(picks.shape[0]):
        i = arc_from[picks[t]]
        j = arc_to[picks[t]]
        a = label[i]
        b = label[j]
        if a == b or msize[a] == 1:
            continue
        k = -1
        shift = pop[i]
        if kind[t] < swaps:   # i goes to b, and some area k of b bordering a comes back
            nc = 0
            for q in range(msize[b]):
                x = mlist[b, q]
                if x == j:
                    continue
                for e in range(nb_ptr[x], nb_ptr[x + 1]):
                    if label[nb_idx[e]] == a:
                        cand[nc] = x
                        nc += 1
                        break
            if nc == 0:
                continue
            chosen = np.sort(cand[:nc])
            k = chosen[int(which[t] * nc)]
            shift = pop[i] - pop[k]
        delta = (max(0, floor - (sums[a] - shift)) + max(0, floor - (sums[b] + shift))
                 - max(0, floor - sums[a]) - max(0, floor - sums[b]))
        if delta > 0 and accept[t] >= math.exp(-delta / temp):
            continue
        if k < 0:   # b gains a neighbour of j, so only a can fall apart (never when i is one of its leaves)
            inside = 0
            for e in range(nb_ptr[i], nb_ptr[i + 1]):
                if label[nb_idx[e]] == a:
                    inside += 1
            if inside > 1 and not connected(nb_ptr, nb_idx, label, a, mlist, msize, i, -1, seen, stamp, stack):
                continue
        elif not (connected(nb_ptr, nb_idx, label, a, mlist, msize, i, k, seen, stamp, stack)
                  and connected(nb_ptr, nb_idx, label, b, mlist, msize, k, i, seen, stamp, stack)):
            continue
        _move(label, mlist, msize, mpos, i, b)
        if k >= 0:
            _move(label, mlist, msize, mpos, k, a)
        sums[a] -= shift
        sums[b] += shift
        total += delta
        if total < best:
            best = total
            best_label[:] = label
            if total == 0:
                break
    return total, best
