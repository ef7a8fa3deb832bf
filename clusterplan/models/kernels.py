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
def anneal_batch(nb_ptr: np.ndarray, nb_idx: np.ndarray, arc_from: np.ndarray, pop: np.ndarray, label: np.ndarray,
                 sums: np.ndarray, mlist: np.ndarray, msize: np.ndarray, mpos: np.ndarray, floor: int, temp: float,
                 swaps: float, picks: np.ndarray, accept: np.ndarray, kind: np.ndarray, which: np.ndarray,
                 total: int, best: int, best_label: np.ndarray, seen: np.ndarray, stamp: np.ndarray,
                 stack: np.ndarray, cand: np.ndarray) -> tuple[int, int]:
    """One batch of annealing moves at temperature ``temp`` (children), one per entry of ``picks`` (an arc, from
    ``arc_from`` to ``nb_idx``), as :func:`.fixcount.anneal` describes them: the area at the arc's tail joins the
    head's region, or (``kind < swaps``) also an area of that region bordering the first comes back (``which``
    picks it among them, in increasing order). Accepted when the shortfall does not rise, else with probability
    exp(-rise / temp) (``accept``), and only when both regions stay connected. Updates the regions in place and
    ``best_label`` at each new least shortfall; returns the shortfall and the least met (stops at 0)."""
    for t in range(picks.shape[0]):
        i = arc_from[picks[t]]
        j = nb_idx[picks[t]]   # arc e runs from arc_from[e] to nb_idx[e]
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


@njit(cache=True)
def _mask_connected(nbr: np.ndarray, mask: int) -> bool:
    """Whether the areas of bit set ``mask`` (bit k: area k of the union; ``nbr[k]``: its neighbours' bits) are
    connected."""
    seen = mask & -mask
    front = seen
    while front:
        bit = front & -front
        front ^= bit
        k = 0
        while (bit >> k) != 1:
            k += 1
        new = nbr[k] & mask & ~seen
        seen |= new
        front |= new
    return seen == mask


@njit(cache=True)
def connected_cuts(nbr: np.ndarray, p: np.ndarray, lo: int, hi: int, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Every connected set of a union's areas (at most 62: bit k is area k, ``nbr[k]`` its neighbours' bits, ``p[k]``
    its children) holding ``lo`` to ``hi`` children whose complement in the union is connected and not empty, as
    :func:`.fixcount.pair_splits` describes the enumeration (extension from the set's lowest area, depth first, the
    extension areas in increasing order; pruned above ``hi``; stops after ``cap`` sets visited). Returns their
    children and bit sets, in the order found."""
    n = p.shape[0]
    full = (1 << n) - 1
    kids_out = np.empty(cap + 1, dtype=np.int64)
    mask_out = np.empty(cap + 1, dtype=np.int64)
    found = 0
    visited = 0
    part = np.zeros(n + 1, dtype=np.int64)   # one frame per depth: the set, its neighbourhood, the extension left
    near = np.zeros(n + 1, dtype=np.int64)
    ext = np.zeros(n + 1, dtype=np.int64)
    kids = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        if p[v] > hi:
            continue
        later = full & ~((1 << (v + 1)) - 1)
        part[0], near[0], ext[0], kids[0] = 1 << v, nbr[v] | (1 << v), nbr[v] & later, p[v]
        top = 0
        fresh = True
        while top >= 0:
            if fresh:   # a set met for the first time
                visited += 1
                if visited > cap:
                    return kids_out[:found], mask_out[:found]
                if kids[top] >= lo and part[top] != full and _mask_connected(nbr, full & ~part[top]):
                    kids_out[found] = kids[top]
                    mask_out[found] = part[top]
                    found += 1
            fresh = False
            pushed = False
            while ext[top]:
                bit = ext[top] & -ext[top]
                ext[top] ^= bit
                k = 0
                while (bit >> k) != 1:
                    k += 1
                if kids[top] + p[k] <= hi:
                    part[top + 1] = part[top] | bit
                    near[top + 1] = near[top] | nbr[k] | bit
                    ext[top + 1] = ext[top] | (nbr[k] & ~near[top] & later)
                    kids[top + 1] = kids[top] + p[k]
                    top += 1
                    fresh = pushed = True
                    break
            if not pushed:
                top -= 1
    return kids_out[:found], mask_out[:found]


@njit(cache=True)
def _adjacent(nb_ptr: np.ndarray, nb_idx: np.ndarray, label: np.ndarray, mlist: np.ndarray, msize: np.ndarray,
              r: int, mark: np.ndarray, stamp: np.ndarray) -> np.ndarray:
    """The regions adjacent to region ``r``, in increasing order (``mark``: one entry per region)."""
    stamp[0] += 1
    s = stamp[0]
    out = np.empty(mark.shape[0], dtype=np.int64)
    n = 0
    for q in range(msize[r]):
        v = mlist[r, q]
        for e in range(nb_ptr[v], nb_ptr[v + 1]):
            x = label[nb_idx[e]]
            if x != r and mark[x] != s:
                mark[x] = s
                out[n] = x
                n += 1
    return np.sort(out[:n])


@njit(cache=True)
def _region_hops(nb_ptr: np.ndarray, nb_idx: np.ndarray, label: np.ndarray, mlist: np.ndarray, msize: np.ndarray,
                 sums: np.ndarray, floor: int, dist: np.ndarray, mark: np.ndarray, stamp: np.ndarray) -> None:
    """Links in the region adjacency graph from each region to the nearest region short of the floor (``dist``)."""
    parts = dist.shape[0]
    queue = np.empty(parts, dtype=np.int64)
    n = 0
    for r in range(parts):
        dist[r] = parts
        if sums[r] < floor:
            dist[r] = 0
            queue[n] = r
            n += 1
    head = 0
    while head < n:
        r = queue[head]
        head += 1
        for q in _adjacent(nb_ptr, nb_idx, label, mlist, msize, r, mark, stamp):
            if dist[q] > dist[r] + 1:
                dist[q] = dist[r] + 1
                queue[n] = q
                n += 1


@njit(cache=True)
def _find(parent: np.ndarray, v: int) -> int:
    while parent[v] != v:
        parent[v] = parent[parent[v]]
        v = parent[v]
    return v


@njit(cache=True)
def _short(s: int, floor: int) -> int:
    return floor - s if s < floor else 0


@njit(cache=True)
def _energy(sa: int, sb: int, floor: int, da: float, db: float) -> float:
    return _short(sa, floor) + _short(sb, floor) + max(0, sa - floor) * da + max(0, sb - floor) * db


@njit(cache=True)
def recombine_steps(nb_ptr: np.ndarray, nb_idx: np.ndarray, pop: np.ndarray, label: np.ndarray, sums: np.ndarray,
                    mlist: np.ndarray, msize: np.ndarray, mpos: np.ndarray, floor: int, rng: np.random.Generator,
                    stall: int, focus: float, drift: float, state: np.ndarray, best_label: np.ndarray,
                    dist: np.ndarray, until: int) -> None:
    """Pair recombination steps as :func:`.fixcount.recombine` describes them, until step ``until``, a shortfall of
    0 or ``stall`` steps without a new least shortfall. ``state`` holds (step, step of the last new least, shortfall,
    least shortfall), updated in place with the regions, ``best_label`` and ``dist`` (recounted every 100 steps)."""
    n = label.shape[0]
    parts = sums.shape[0]
    step, last, total, best = state[0], state[1], state[2], state[3]
    mark = np.zeros(parts, dtype=np.int64)
    stamp = np.zeros(1, dtype=np.int64)
    local = np.full(n, -1, dtype=np.int64)   # area -> its place in the union
    lacking = np.empty(parts, dtype=np.int64)
    maxdeg = 0
    for v in range(n):
        maxdeg = max(maxdeg, nb_ptr[v + 1] - nb_ptr[v])
    while total > 0 and step - last <= stall and step < until:
        if step % 100 == 0:
            _region_hops(nb_ptr, nb_idx, label, mlist, msize, sums, floor, dist, mark, stamp)
        step += 1
        nl = 0
        for r in range(parts):
            if sums[r] < floor:
                lacking[nl] = r
                nl += 1
        if nl > 0 and rng.random() < focus:
            a = lacking[rng.integers(0, nl)]
        else:
            a = rng.integers(0, parts)
        near = _adjacent(nb_ptr, nb_idx, label, mlist, msize, a, mark, stamp)
        if near.shape[0] == 0:
            continue
        b = near[rng.integers(0, near.shape[0])]
        m = msize[a] + msize[b]
        union = np.empty(m, dtype=np.int64)
        union[:msize[a]] = mlist[a, :msize[a]]
        union[msize[a]:] = mlist[b, :msize[b]]
        union = np.sort(union)
        for k in range(m):
            local[union[k]] = k
        ne = 0
        e_from = np.empty(m * maxdeg, dtype=np.int64)
        e_to = np.empty(m * maxdeg, dtype=np.int64)
        for k in range(m):
            v = union[k]
            for e in range(nb_ptr[v], nb_ptr[v + 1]):
                u = nb_idx[e]
                if u > v and (label[u] == a or label[u] == b):
                    e_from[ne] = k
                    e_to[ne] = local[u]
                    ne += 1
        parent = np.arange(m)
        tdeg = np.zeros(m, dtype=np.int64)
        tadj = np.empty((m, maxdeg), dtype=np.int64)
        for q in np.argsort(rng.random(ne)):
            v, u = e_from[q], e_to[q]
            rv, ru = _find(parent, v), _find(parent, u)
            if rv != ru:
                parent[rv] = ru
                tadj[v, tdeg[v]] = u
                tdeg[v] += 1
                tadj[u, tdeg[u]] = v
                tdeg[u] += 1
        order = np.empty(m, dtype=np.int64)
        up = np.full(m, -1, dtype=np.int64)
        order[0] = 0   # the union's lowest area is the root
        filled = 1
        head = 0
        while head < filled:
            v = order[head]
            head += 1
            for t in range(tdeg[v]):
                u = tadj[v, t]
                if u != up[v]:
                    up[u] = v
                    order[filled] = u
                    filled += 1
        below = np.empty(m, dtype=np.int64)
        for k in range(m):
            below[k] = pop[union[k]]
        for q in range(m - 1, 0, -1):
            below[up[order[q]]] += below[order[q]]
        both = sums[a] + sums[b]
        da, db = drift * dist[a], drift * dist[b]
        now = _energy(sums[a], sums[b], floor, da, db)
        cut_e = np.empty(2 * (m - 1))
        for q in range(1, m):
            v = order[q]
            cut_e[q - 1] = _energy(below[v], both - below[v], floor, da, db)
            cut_e[m - 1 + q - 1] = _energy(both - below[v], below[v], floor, da, db)
        least = cut_e.min()
        if least > now + 1e-9:
            continue
        pool = np.flatnonzero(cut_e <= least + 1e-9)
        c = pool[rng.integers(0, pool.shape[0])]
        way = 0 if c < m - 1 else 1
        v = order[c % (m - 1) + 1]
        side = np.zeros(m, dtype=np.bool_)   # v's subtree: after v in the search order, below it
        side[v] = True
        for q in range(1, m):
            x = order[q]
            if x != v and side[up[x]]:
                side[x] = True
        before = _short(sums[a], floor) + _short(sums[b], floor)
        msize[a] = 0
        msize[b] = 0
        for k in range(m):
            x = union[k]
            r = a if side[k] == (way == 0) else b
            label[x] = r
            mlist[r, msize[r]] = x
            mpos[x] = msize[r]
            msize[r] += 1
        sums[a] = below[v] if way == 0 else both - below[v]
        sums[b] = both - sums[a]
        total += _short(sums[a], floor) + _short(sums[b], floor) - before
        if total < best:
            best = total
            best_label[:] = label
            last = step
    state[0], state[1], state[2], state[3] = step, last, total, best


def warm() -> None:
    """Compile every kernel (or load it from the cache) on a two-area instance, so that a solve's clock does not
    count the compile (about 15 s on first use on a machine; 0.1-0.5 s from the cache)."""
    ptr, idx = np.array([0, 1, 2], dtype=np.int64), np.array([1, 0], dtype=np.int64)
    pop, label, sums = np.array([5, 5], dtype=np.int64), np.array([0, 1], dtype=np.int64), np.array([5, 5], np.int64)
    mlist, msize, mpos = np.array([[0, 0], [1, 0]], dtype=np.int64), np.array([1, 1], np.int64), np.zeros(2, np.int64)
    one, scratch = np.zeros(1, dtype=np.int64), np.zeros(2, dtype=np.int64)
    f, i = np.zeros(1), np.zeros(1, dtype=np.int64)
    anneal_batch(ptr, idx, idx, pop, label.copy(), sums.copy(), mlist.copy(), msize.copy(), mpos.copy(), 10, 1.0,
                 0.3, i, f, f, f, 5, 5, label.copy(), scratch.copy(), one.copy(), scratch.copy(), scratch.copy())
    connected_cuts(np.array([2, 1], dtype=np.int64), pop, 0, 10, 10)
    recombine_steps(ptr, idx, pop, label.copy(), sums.copy(), mlist.copy(), msize.copy(), mpos.copy(), 10,
                    np.random.default_rng(0), 10, 0.5, 0.05, np.array([0, 0, 10, 10], dtype=np.int64), label.copy(),
                    scratch.copy(), 1)
