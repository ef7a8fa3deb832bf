"""Reach cuts: valid inequalities that tighten the reach floor (4) of :mod:`.assignment` under precedence (5).

For a kept centre j with home h, let T be any set of its candidate areas holding h whose children under five
number fewer than the floor L, and B(T) the candidate areas outside T with a precedence predecessor in T (for the
areas next to h, h itself: in (5) the home's place is taken by y[j]). Then

    sum_{v in B(T)} x[v, j] >= y[j]

holds in every plan of the model. Proof: if y[j] = 1, the catchment C of j reaches L > children(T), so some area w
of C lies outside T. By (5) w has a chain of predecessors in C, each nearer h than the last, down to an area next
to h. Walking that chain outward from h, the first area not in T has its predecessor in T (or is next to h), so it
lies in B(T) and joins j. Where B(T) is empty the cut reads y[j] <= 0: j cannot reach the floor at all.

The cuts never remove a plan, so a model with them has the same plans, optimum and proof; they only raise the
linear relaxation's bound where it spreads fractions of areas around a centre short of the floor. Which T to try
is read off a fractional solution (:func:`separate`): the areas joined at least theta (each theta among the
values), grown from h through predecessors, and a greedy growth from h adding the boundary area joined most. Used
for the what-if locks of reasons (:meth:`.amalgamate.WhatIf.lock`), where a centre locked open is short of the
floor by construction, and for the alternatives' re-solves that exclude earlier plans; measured in
benchmarks/README.md ("Reach cuts for the what-if locks").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

#: Values under this count as zero; a cut is kept only if the fractional solution violates it by more.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Centre:
    """One centre's side of the model, as plain data: its home area, its candidate areas (those with an x[i, j],
    the home among them where it has one) with their children under five, and each candidate's precedence
    predecessors (the home's neighbours list the home)."""

    home: str
    children: Mapping[str, float]
    preds: Mapping[str, Sequence[str]]

    @cached_property
    def successors(self) -> dict[str, list[str]]:
        """Each area (or the home) -> the candidates it is a predecessor of, sorted; worked out once per centre."""
        out: dict[str, list[str]] = {}
        for v in sorted(self.children):
            if v == self.home:
                continue
            for u in self.preds.get(v, ()):
                out.setdefault(u, []).append(v)
        return out


def boundary(c: Centre, held: set[str]) -> list[str]:
    """B(T) for T = ``held`` (which must hold the home): candidates outside it with a predecessor in it, sorted."""
    succ = c.successors
    return sorted({v for u in held | {c.home} for v in succ.get(u, ()) if v not in held})


def separate(c: Centre, floor: float, x: Mapping[str, float], y: float) -> list[list[str]]:
    """The boundaries B(T) of the reach cuts that the fractional solution (``x``: area -> its share joining the
    centre, ``y``: the centre's) violates, for the sets T described in the module docstring; each once, in the
    order found. Children and ``floor`` are children under five."""
    if y <= TOLERANCE or floor <= 0:
        return []
    succ, kids = c.successors, c.children
    held0 = {c.home}
    seen: set[frozenset] = set()
    out: list[list[str]] = []

    def consider(held: set[str]) -> list[str]:
        b = boundary(c, held)
        key = frozenset(held)
        if key not in seen:
            seen.add(key)
            if sum(x.get(v, 0.0) for v in b) < y - TOLERANCE:
                out.append(b)
        return b

    def children(held: set[str]) -> float:
        return sum(kids.get(v, 0.0) for v in held)

    for theta in sorted({x.get(v, 0.0) for v in kids if x.get(v, 0.0) > TOLERANCE}, reverse=True):
        held, stack = set(held0), [c.home]
        while stack:
            u = stack.pop()
            for v in succ.get(u, ()):
                if v not in held and x.get(v, 0.0) >= theta - 1e-12:
                    held.add(v)
                    stack.append(v)
        if children(held) >= floor:
            break
        consider(held)
    held = set(held0)
    while children(held) < floor:
        b = consider(held)
        room = [v for v in b if children(held) + kids[v] < floor]
        if not room:
            break
        held.add(max(room, key=lambda v: (x.get(v, 0.0), -kids[v], v)))
    return out
