"""The catchment model behind ``amalgamate``, ``status_quo`` and ``sites``: choose facilities, assign every area.

Sets: areas i (under-fives p_i), facilities j (centres or sites) with home area h_j, candidates C(i) (the ``k``
nearest facilities of i by minutes, always including those whose home is i, minus those beyond the travel limit
or, with ``within_district``, in another district).

Variables: x[i, j] = 1 if area i joins facility j (j in C(i)); y[j] = 1 if facility j is kept.

    minimise    sum_ij p_i (1 + w d_i) t_ij x[i, j]  +  F sum_j y[j]
    (1) sum_j x[i, j] = 1                               every area served once (no gaps)
    (2) x[i, j] <= y[j]
    (3) x[h_j, j] = y[j]                                a kept centre serves its home area; where several centres
                                                        share a home area: sum_{j' at h} x[h, j'] >= y[j] and each
                                                        kept one serves at least one area
    (4) L y[j] <= sum_i p_i x[i, j] <= U y[j]           reach floor (and ceiling), children under five
    (5) x[i, j] <= sum_{u in pred_j(i)} x[u, j]         contiguity by shortest-path precedence (see contiguity.py);
                                                        or, with contiguity="flow", exact single-commodity flow:
                                                        each catchment area consumes one unit sent from h_j along
                                                        links inside the catchment (f[j,u,v] <= M x[u,j], M x[v,j])
    (6) y[j] = 1 (keep), y[j] = 0 (close); sum_j y[j] =, >=, <= counts; sum_{j in district} y[j] = n_district
    (7) with one_per_area: sum_{j at h} y[j] <= 1      (sites: at most one new centre per area)
    (8) no-good cuts against earlier plans K (alternatives): sum_{j not in K} y[j] + sum_{j in K} (1 - y[j]) >= m,
        or sum over the earlier plan's pairs of x[i, j] <= n_areas - n
    (10) nesting in an area grouping g (centres.nest_in): x[i, j] only where g(i) = g(h_j); with a crossing cost N
        instead, N p_i x[i, j] is added to the objective for each pair across groups
    (11) closing cost (centres.transfer_cost for centres on school sites): + sum_j c_j s_j, s_j = 1 - y[j]
    (9) epsilon constraint (Pareto fronts): sum_{ij: t_ij <= T} e_i x[i, j] >= s sum_i e_i, e_i the under-fives
        of area i if it is in England's 30% most deprived (IDACI), else 0

where t_ij are minutes, w the deprivation weight, d_i the IDACI score, F the fixed cost per centre (weighted
child-minutes), L and U the reach floor and ceiling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import pulp

from . import contiguity
from .objective import assigned_minutes, child_weights, deprived_under5


@dataclass
class Spec:
    """Everything the catchment model needs, resolved to ids (no names, no YAML)."""

    facilities: pd.DataFrame          # index: facility id; columns home_area, district
    minutes: pd.DataFrame             # areas x facilities, minutes
    floor: float = 600.0
    ceiling: float | None = None
    weight: float = 1.0
    fixed_cost: float = 0.0
    k: int = 15
    max_minutes: float | None = None
    keep: frozenset = frozenset()
    close: frozenset = frozenset()
    count: int | None = None
    min_count: int | None = None
    max_count: int | None = None
    per_district: dict[str, int] = field(default_factory=dict)
    within_district: bool = False
    nest: pd.Series | None = None     # (10) area -> group label (centres.nest_in); facilities take their home's group
    cross_cost: float | None = None   # (10) None: hard nesting; else weighted child-minutes per child across groups
    close_cost: dict[str, float] = field(default_factory=dict)   # (11) weighted child-minutes if j is not kept
    one_per_area: bool = False
    contiguity: str = "precedence"    # precedence | flow (exact, Shirabe 2009) | none
    # (8) no-good cuts, for near-optimal alternatives: differ from each earlier plan in >= min_differ kept
    # facilities (exclude_kept) and/or in the centre of >= min_areas_differ areas (exclude_assign)
    exclude_kept: tuple[frozenset, ...] = ()
    min_differ: int = 1
    exclude_assign: tuple[tuple[tuple[str, str], ...], ...] = ()
    min_areas_differ: int = 1
    # (9) epsilon constraint: at least share s of the deprived under-fives within T minutes of their centre
    deprived_within: tuple[float, float] | None = None


@dataclass
class Built:
    """A built PuLP problem and the maps back to ids."""

    prob: pulp.LpProblem
    x: dict[tuple[str, str], pulp.LpVariable]
    y: dict[str, pulp.LpVariable]
    candidates: dict[str, list[str]]
    cost: dict[tuple[str, str], float]
    warm: bool = False
    #: with precedence contiguity: facility -> {candidate area: its predecessors toward the home area} (the home
    #: maps to []); the pairs behind (5), for :mod:`.reach`
    preds: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def candidates(areas: pd.DataFrame, spec: Spec, extra: dict[str, str] | None = None) -> dict[str, list[str]]:
    """C(i): the facilities area i may join, nearest first (ties by id), plus ``extra[i]`` (a warm start's choice)."""
    fac = spec.facilities.drop(index=[j for j in spec.close if j in spec.facilities.index])
    m = spec.minutes[fac.index]
    homes = defaultdict(list)
    for j, h in fac["home_area"].items():
        homes[h].append(j)
    out = {}
    cols = np.array(m.columns)
    for i, row in zip(m.index, m.to_numpy(), strict=True):
        order = np.lexsort((cols, row))
        picked = list(cols[order[: spec.k]])
        for j in homes.get(i, []) + ([extra[i]] if extra and i in extra else []):
            if j not in picked:
                picked.append(j)
        if spec.max_minutes is not None:
            picked = [j for j in picked if m.at[i, j] <= spec.max_minutes]
        if spec.within_district:
            picked = [j for j in picked if fac.at[j, "district"] == areas.at[i, "district"]]
        if spec.nest is not None and spec.cross_cost is None:
            picked = [j for j in picked if spec.nest[fac.at[j, "home_area"]] == spec.nest[i]]
        out[i] = picked
    return out


def build(areas: pd.DataFrame, graph: nx.Graph, spec: Spec, name: str = "catchments",
          extra: dict[str, str] | None = None) -> Built:
    """Build the PuLP model described in the module docstring; ``extra`` adds a warm start's pairs to C(i)."""
    cand = candidates(areas, spec, extra)
    fac = spec.facilities.drop(index=[j for j in spec.close if j in spec.facilities.index])
    members: dict[str, list[str]] = defaultdict(list)
    for i, js in cand.items():
        for j in js:
            members[j].append(i)
    preds: dict[str, dict[str, list[str]]] = {}
    if spec.contiguity == "precedence":
        held = contiguity.distances_from(graph, fac["home_area"])
        for j in fac.index:
            home = fac.at[j, "home_area"]
            preds[j] = contiguity.predecessors(graph, home, members[j], dist=held[home])
        cand = {i: [j for j in js if i in preds[j]] for i, js in cand.items()}
        members = defaultdict(list)
        for i, js in cand.items():
            for j in js:
                members[j].append(i)
    prob = pulp.LpProblem(name, pulp.LpMinimize)
    y = {j: pulp.LpVariable(f"y_{n}", cat=pulp.LpBinary) for n, j in enumerate(fac.index)}
    jnum = {j: n for n, j in enumerate(fac.index)}
    inum = {i: n for n, i in enumerate(areas.index)}
    x = {(i, j): pulp.LpVariable(f"x_{inum[i]}_{jnum[j]}", cat=pulp.LpBinary) for i in areas.index for j in cand[i]}
    cost = pair_costs(areas, spec, x)
    # (11) as c_j s_j with s_j = 1 - y[j] (no constant in the objective: solvers' bounds then agree). Equal, not
    # s_j >= 1 - y[j]: a plan stopped at the time limit may hold s_j = 1 with y[j] = 1, and its reported cost then
    # counted the closing cost of a centre it keeps (Norfolk's school transfer cost at 0.3 s: 6,000 too many)
    shut = {j: pulp.LpVariable(f"shut_{jnum[j]}", lowBound=0) for j, c in sorted(spec.close_cost.items())
            if j in y and c}
    prob += (pulp.lpSum(cost[k] * v for k, v in x.items()) + spec.fixed_cost * pulp.lpSum(y.values())
             + pulp.lpSum(float(spec.close_cost[j]) * s for j, s in shut.items()))
    for j, s in shut.items():
        prob += s == 1 - y[j], f"shut_{jnum[j]}"
    for i in areas.index:                                               # (1)
        prob += _row([(x[i, j], 1) for j in cand[i]], pulp.LpConstraintEQ, 1), f"serve_{inum[i]}"
    p = {i: float(v) for i, v in areas["under5"].items()}
    by_home: dict[str, list[str]] = defaultdict(list)
    for j in fac.index:
        by_home[fac.at[j, "home_area"]].append(j)
    for j in fac.index:
        h = fac.at[j, "home_area"]
        js = jnum[j]
        for i in members[j]:                                            # (2)
            prob += _row([(x[i, j], 1), (y[j], -1)], pulp.LpConstraintLE), f"open_{inum[i]}_{js}"
        group = by_home[h]
        if (h, j) not in x:
            prob += y[j] == 0, f"unreachable_home_{js}"
        elif len(group) == 1 or spec.one_per_area:                      # (3)
            prob += x[h, j] == y[j], f"home_{js}"
        else:
            prob += pulp.lpSum(x[h, g] for g in group if (h, g) in x) >= y[j], f"home_shared_{js}"
            prob += pulp.lpSum(x[i, j] for i in members[j]) >= y[j], f"nonempty_{js}"
        reach = [(x[i, j], p[i]) for i in members[j]]
        if spec.floor > 0:                                              # (4)
            prob += _row(reach + [(y[j], -spec.floor)], pulp.LpConstraintGE), f"floor_{js}"
        if spec.ceiling is not None:
            prob += _row(reach + [(y[j], -spec.ceiling)], pulp.LpConstraintLE), f"ceiling_{js}"
        if spec.contiguity == "flow":
            _flow(prob, graph, x, y, j, js, h, members[j], inum)
        if spec.contiguity == "precedence":                             # (5)
            for i in members[j]:
                if i == h:
                    continue
                pr = [(x[u, j] if u != h else y[j], -1) for u in preds[j][i] if u == h or (u, j) in x]
                prob += _row([(x[i, j], 1)] + pr, pulp.LpConstraintLE), f"prec_{inum[i]}_{js}"
    for j in sorted(spec.keep):                                         # (6)
        if j in y:
            prob += y[j] == 1, f"keep_{jnum[j]}"
    add_counts(prob, pulp.lpSum(y.values()), spec.count, spec.min_count, spec.max_count)
    for n, (d, k) in enumerate(sorted(spec.per_district.items())):
        prob += pulp.lpSum(y[j] for j in fac.index if fac.at[j, "district"] == d) == k, f"district_{n}"
    if spec.one_per_area:                                               # (7)
        for n, (_, group) in enumerate(sorted(by_home.items())):
            if len(group) > 1:
                prob += pulp.lpSum(y[j] for j in group) <= 1, f"one_per_area_{n}"
    for n, kept in enumerate(spec.exclude_kept):                        # (8)
        terms, low = nogood_kept_row(y, kept, spec.min_differ)
        prob += _expr(terms) >= low, f"nogood_kept_{n}"
    for n, pairs in enumerate(spec.exclude_assign):
        terms, high = nogood_areas_row(x, pairs, spec.min_areas_differ)
        prob += _expr(terms) <= high, f"nogood_areas_{n}"
    if spec.deprived_within is not None:                                # (9)
        terms, low = deprived_row(x, areas, spec.minutes, *spec.deprived_within)
        prob += _expr(terms) >= low, "deprived_within"
    homes = fac["home_area"].to_dict()
    dag = {j: {i: [u for u in ps if u == homes[j] or (u, j) in x] for i, ps in pj.items()
               if (i, j) in x or i == homes[j]} for j, pj in preds.items()}
    return Built(prob, x, y, cand, cost, preds=dag)


def pair_costs(areas: pd.DataFrame, spec: Spec, pairs) -> dict[tuple[str, str], float]:
    """The objective coefficient of each (area, facility) pair: its weighted child-minutes p_i (1 + w d_i) t_ij, plus
    the crossing cost N p_i where the pair crosses groups under soft nesting (10)."""
    keys = list(pairs)
    wts = child_weights(areas, spec.weight)
    lost = [(i, j) for i, j in keys if i not in wts.index or i not in spec.minutes.index
            or j not in spec.minutes.columns]
    if lost:
        raise KeyError(f"pairs with no area or no minutes: {lost[:3]}")
    ii = [i for i, _ in keys]
    vals = wts.reindex(ii).to_numpy(float) * assigned_minutes(spec.minutes, ii, [j for _, j in keys])
    cost = dict(zip(keys, vals.tolist(), strict=True))
    if spec.nest is not None and spec.cross_cost:                       # (10), soft
        under5 = areas["under5"]
        home = spec.facilities["home_area"]
        for i, j in cost:
            if spec.nest[home[j]] != spec.nest[i]:
                cost[i, j] += float(spec.cross_cost * under5[i])
    return cost


# The rows below are added by the build and, on a model built once, by what-if re-solves
# (:class:`clusterplan.models.amalgamate.WhatIf`): one definition for both. Each is variable -> coefficient and the
# row's bound.

def nogood_kept_row(y: dict[str, pulp.LpVariable], kept: frozenset, min_differ: int) -> tuple[dict, float]:
    """Constraint (8) on kept facilities, ``sum_{j not in K} y[j] + sum_{j in K} (1 - y[j]) >= m``, as terms and
    the lower bound ``m - |K|`` (K counted over the model's facilities)."""
    terms = {v: (-1.0 if j in kept else 1.0) for j, v in y.items()}
    return terms, float(min_differ - sum(j in kept for j in y))


def nogood_areas_row(x: dict[tuple[str, str], pulp.LpVariable], pairs: tuple[tuple[str, str], ...],
                     min_areas_differ: int) -> tuple[dict, float]:
    """Constraint (8) on areas: the earlier plan's (area, facility) pairs, at most ``len(pairs) - n`` of them
    again (pairs outside the model count as changed)."""
    return {x[p]: 1.0 for p in pairs if p in x}, float(len(pairs) - min_areas_differ)


def deprived_row(x: dict[tuple[str, str], pulp.LpVariable], areas: pd.DataFrame, minutes: pd.DataFrame,
                 limit: float, share: float) -> tuple[dict, float]:
    """Constraint (9): deprived under-fives within ``limit`` minutes of their facility, at least ``share`` (a
    fraction) of all of them."""
    dep = deprived_under5(areas)
    terms = {v: float(dep[i]) for (i, j), v in x.items() if minutes.at[i, j] <= limit and dep[i]}
    return terms, share * float(dep.sum())


def _expr(terms: dict) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(list(terms.items()))


def _row(terms: list[tuple[pulp.LpVariable, float]], sense: int, rhs: float = 0.0) -> pulp.LpConstraint:
    """The row ``sum coef * var (sense) rhs``, made in one step: the same row PuLP's operators make (terms in this
    order), without the intermediate expression they build per term (0.31 s against 0.50 s for Norfolk's build)."""
    return pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=rhs)


def add_counts(prob: pulp.LpProblem, total, count: int | None, min_count: int | None, max_count: int | None) -> None:
    """Constrain ``total`` (a sum of binaries) to ``count`` exactly, and/or to [``min_count``, ``max_count``]. The
    constraint names (count, min_count, max_count) are what the elastic diagnosis relaxes."""
    if count is not None:
        prob += total == count, "count"
    if min_count is not None:
        prob += total >= min_count, "min_count"
    if max_count is not None:
        prob += total <= max_count, "max_count"


def _flow(prob, graph, x, y, j, js, h, members, inum) -> None:
    """Exact contiguity for facility j: one unit of flow from h to every other area of its catchment."""
    nodes = set(members) | {h}
    big = float(len(nodes))
    f = {}
    for u in sorted(nodes):
        for v in graph.neighbors(u):
            if v in nodes and v != h:
                f[u, v] = pulp.LpVariable(f"f_{js}_{inum[u]}_{inum[v]}", lowBound=0)
                prob += f[u, v] <= big * (y[j] if u == h else x[u, j]), f"fout_{js}_{inum[u]}_{inum[v]}"
                prob += f[u, v] <= big * x[v, j], f"fin_{js}_{inum[u]}_{inum[v]}"
    for i in members:
        if i == h:
            continue
        inflow = pulp.lpSum(var for (u, v), var in f.items() if v == i)
        outflow = pulp.lpSum(var for (u, v), var in f.items() if u == i)
        prob += inflow - outflow == x[i, j], f"fbal_{js}_{inum[i]}"


def extract(built: Built) -> pd.Series:
    """Area -> facility from a solved model (the variable at 1 for each area)."""
    out = {}
    for (i, j), v in built.x.items():
        if v.varValue is not None and v.varValue > 0.5:
            out[i] = j
    return pd.Series(out, name="centre").sort_index()


def graph_minutes(graph: nx.Graph, homes: list[str], areas: pd.Index) -> np.ndarray:
    """Minutes along the corridors from each home (columns) to each area (rows); inf where unreachable."""
    out = np.full((len(areas), len(homes)), np.inf)
    pos = {a: n for n, a in enumerate(areas)}
    held = contiguity.distances_from(graph, homes)
    for c, h in enumerate(homes):
        for v, d in held[h].items():
            out[pos[v], c] = d
    return out


def heuristic(areas: pd.DataFrame, graph: nx.Graph, spec: Spec) -> dict[str, str] | None:
    """A feasible start: open all allowed facilities, then close the smallest below the floor one at a time.

    Areas go to the open facility nearest along the corridors (ties by id), which satisfies shortest-path
    precedence. Returns area -> facility if the result meets the floor, ceiling, travel limit, district and count
    rules, else None (the solver then starts cold). Pass it to :func:`build` as ``extra`` so its pairs are
    candidates.
    """
    fac = spec.facilities.drop(index=[j for j in spec.close if j in spec.facilities.index])
    ids = sorted(fac.index)
    if spec.one_per_area:  # one facility per home area: prefer locked ones, then the first id
        seen: dict[str, str] = {}
        for j in sorted(ids, key=lambda j: (j not in spec.keep, j)):
            seen.setdefault(fac.at[j, "home_area"], j)
        ids = sorted(seen.values())
    dist = graph_minutes(graph, [fac.at[j, "home_area"] for j in ids], areas.index)
    p = areas["under5"].to_numpy(float)
    is_open = np.ones(len(ids), bool)
    locked = np.array([j in spec.keep for j in ids])
    target = spec.count if spec.count is not None else spec.max_count
    while True:
        d = np.where(is_open[None, :], dist, np.inf)
        choice = np.argmin(d, axis=1)  # ids are sorted, so ties go to the smaller id
        reach = np.bincount(choice, weights=p, minlength=len(ids))
        small = is_open & ~locked & (reach < spec.floor)
        too_many = target is not None and is_open.sum() > target
        if not small.any() and not too_many:
            break
        pool = small if small.any() else is_open & ~locked
        if not pool.any() or is_open.sum() == 1:
            return None
        victim = min(np.flatnonzero(pool), key=lambda c: (reach[c], ids[c]))
        is_open[victim] = False
    assign = {a: ids[c] for a, c in zip(areas.index, choice, strict=True)}
    opened = [ids[c] for c in np.flatnonzero(is_open)]
    if spec.max_minutes is not None and any(spec.minutes.at[i, j] > spec.max_minutes for i, j in assign.items()):
        return None
    if spec.within_district and any(areas.at[i, "district"] != fac.at[j, "district"] for i, j in assign.items()):
        return None
    if spec.nest is not None and spec.cross_cost is None and any(
            spec.nest[i] != spec.nest[fac.at[j, "home_area"]] for i, j in assign.items()):
        return None
    r = dict(zip(ids, reach, strict=True))
    if any(r[j] <= 0 or r[j] < spec.floor or (spec.ceiling is not None and r[j] > spec.ceiling) for j in opened):
        return None
    n = len(opened)
    if (spec.count is not None and n != spec.count) or (spec.min_count is not None and n < spec.min_count):
        return None
    for dname, k in spec.per_district.items():
        if sum(fac.at[j, "district"] == dname for j in opened) != k:
            return None
    return assign


def set_start(built: Built, assign: dict[str, str]) -> None:
    """Set initial values on every variable from an area -> facility map."""
    used = set(assign.values())
    for (i, j), v in built.x.items():
        v.setInitialValue(1 if assign.get(i) == j else 0)
    for j, v in built.y.items():
        v.setInitialValue(1 if j in used else 0)
    built.warm = True
