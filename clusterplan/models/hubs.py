"""Family hubs: which of today's centres become hubs, which other buildings stay open as spokes of which hub, and
which service point (a hub or a spoke of its own hub) each area uses.

Sets: areas i (under-fives p_i, weight w_i = p_i (1 + w IDACI_i)); hub candidates h (today's located centres, or
with ``hubs.candidates: sites`` the geography's candidate sites) with
catchment candidates C(i) as in :mod:`.assignment`; spoke candidates s (``spokes.candidates``: centre buildings,
schools, linked sites, a commissioner's CSV) with home area h_s; minutes t_ih, t_is (travel model, area centroid to
building); N(s) = {h_s} and the areas within S = ``spokes.attach_minutes`` of s; A(s) = the hubs whose catchment
candidates meet N(s); P(i) = area i's ``spokes.nearest`` nearest spoke candidates (and any in area i).

Variables: the catchment model's x[i, h], y[h] (:mod:`.assignment`: every area in one connected catchment at the
floor ``hubs.min_reach``, counts and locks of ``hubs``); o[s] = 1 if spoke s is open; z[s, h] = 1 if spoke s is
attached to hub h; u[i, q] = 1 if area i uses service point q (a hub h in C(i) or a spoke s in P(i); a school may
be a candidate for both, and is then two service points that cannot both be open, (4)).

    minimise  sum_i w_i (sum_q t_iq u[i, q] + e sum_h t_ih x[i, h])  +  lambda (c_H sum_h y[h] + c_S sum_s o[s])
    (H) the catchment model (1)-(6) of :mod:`.assignment` on x, y (its objective replaced by this one)
    (1) sum_{h in A(s)} z[s, h] = o[s]                    every open spoke attached to exactly one hub
    (2) z[s, h] <= y[h]                                   ... which is a hub
    (3) z[s, h] <= sum_{i in N(s)} x[i, h]                 ... inside its catchment or within S minutes of it
    (4) o[s] + y[j] <= 1                                  a building (centre or site) is a hub or a spoke, not both
    (5) sum_q u[i, q] = 1                                 every area uses one service point
    (6) u[i, h] <= x[i, h]                                a hub serves its own catchment
    (7) u[i, s] <= z[s, h] + 1 - x[i, h]  (h in C(i) & A(s)); u[i, s] + sum_{h in C(i) - A(s)} x[i, h] <= 1;
        u[i, s] <= sum_{h in C(i) & A(s)} z[s, h]         a spoke serves only areas of its own hub's catchment
    (8) coverage ``require``: u[i, q] = 0 where t_iq > T = ``spokes.max_minutes``, for every area with some hub or
        spoke candidate within T (the others are named as shortfalls, never dropped silently)
    (9) spokes: sum_s o[s] = count, <= max_count; o[s] = 1 (keep); closed candidates are not in the model
    (10) budget: c_H sum_h y[h] + c_S sum_s o[s] <= B (pounds per year)
    (11) ``spokes.require_bus``: a deprived area (England's 30% most deprived by IDACI) without a bus service has
        an open hub or spoke within 2.5 km straight line: sum_{q: d_iq <= 2500 m} open_q >= 1 (areas with no
        candidate within 2.5 km are named)

e = 0.001 makes catchments follow travel to the hub where the service points leave a choice; lambda is
``cost_weight`` (weighted child-minutes per pound), c_H and c_S the pounds per hub and per spoke (``hubs.cost``,
``spokes.cost``). The optimum and bound are for this restricted model: each area among its k nearest hubs and
n nearest spokes, precedence-shaped catchments (widened, and then flow contiguity, before infeasibility is declared).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pulp

from .. import measures, registry
from ..errors import InfeasibleError, ScenarioError, SolverError, count_of
from ..geography import Geography
from ..plan import Plan
from ..scenario import Scenario, centre_ids, district_names
from ..solvers import Deadline, Outcome, solve_with
from . import assignment, contiguity, diagnose
from .base import Context, report
from .catchment import stop_if_spent

#: Weight of child-minutes to the hub itself (a tie-breaker: catchments follow travel where service points tie).
HUB_TIE = 0.001


@dataclass(frozen=True)
class Layout:
    """The spoke layer's inputs, resolved to ids: candidates, minutes, limits and locks."""

    spokes: pd.DataFrame         # id -> name, source, home_area, x, y, centre
    minutes: pd.DataFrame        # areas x spokes, minutes
    limit: float                 # T, minutes
    attach: float                # S, minutes
    nearest: int
    require: bool
    exempt: frozenset            # areas with no hub or spoke candidate within T
    keep: frozenset
    count: int | None
    max_count: int | None
    hub_cost: float
    spoke_cost: float
    budget: float | None
    cost_weight: float
    bus_need: dict               # deprived area without bus -> service points within 2.5 km (hubs and spokes)
    notes: tuple = ()            # what reading the spoke candidates noted (e.g. a CSV's rows without a location)


def spec(geo: Geography, scn: Scenario) -> assignment.Spec:
    """The catchment part: hubs among today's located centres (or the candidate sites, ``hubs.candidates``), with
    the ``hubs`` section's floor, counts and locks."""
    which = registry.facilities_of("hubs", scn.sites, scn.hubs.candidates)
    fac = measures.facilities(geo, which)
    districts = sorted(geo.areas["district"].unique())
    h = scn.hubs
    places = fac.assign(located=True)
    keep = centre_ids(h.keep, places, "hubs.keep")
    close = centre_ids(h.close, places, "hubs.close")
    both = sorted(set(keep) & set(close))
    if both:
        raise InfeasibleError("hubs: a building cannot be locked as a hub and locked out at once",
                              [f"{fac.at[j, 'name']} [{j}] is in hubs.keep and hubs.close" for j in both])
    return assignment.Spec(facilities=fac, minutes=measures.facility_minutes(geo, which), floor=scn.floor,
                           ceiling=scn.reach.max, weight=scn.deprivation.weight, k=scn.travel.candidates,
                           keep=frozenset(keep), close=frozenset(close), count=h.count, min_count=h.min_count,
                           max_count=h.max_count,
                           per_district=district_names(h.per_district, districts, "hubs.per_district"),
                           within_district=h.within_district)


def layout(geo: Geography, scn: Scenario, sp: assignment.Spec) -> Layout:
    """The spoke layer of a scenario: candidates (closed ones left out), minutes, exempt areas and locks."""
    sk = scn.spokes
    cands = measures.spoke_candidates(geo, sk.candidates)
    table = cands.assign(located=True)
    keep = centre_ids(sk.keep, table, "spokes.keep") if sk.keep else []
    close = centre_ids(sk.close, table, "spokes.close") if sk.close else []
    both = sorted(set(keep) & set(close))
    if both:
        raise InfeasibleError("hubs: a spoke cannot be locked open and closed at once",
                              [f"{cands.at[s, 'name']} [{s}] is in spokes.keep and spokes.close" for s in both])
    cands = cands.drop(index=close)
    mins = measures.spoke_minutes(geo, cands)
    hubs_open = [j for j in sp.facilities.index if j not in sp.close]
    near_hub = (sp.minutes[hubs_open] <= sk.max_minutes).any(axis=1) if hubs_open else pd.Series(False, geo.areas.index)
    near_spoke = (mins <= sk.max_minutes).any(axis=1) if len(cands) else pd.Series(False, geo.areas.index)
    exempt = frozenset(geo.areas.index[~(near_hub | near_spoke)])
    bus_need: dict[str, list[str]] = {}
    if sk.require_bus:
        served = measures.bus_served(geo, sk.bus_min_calls)
        no_bus = served.eq(False).fillna(False)
        dep = measures.deprived_under5(geo.areas)
        pts = pd.concat([measures.facility_points(geo, hubs_open), cands[["x", "y"]]]) if hubs_open else \
            cands[["x", "y"]]
        a = geo.areas[["x", "y"]].to_numpy(float)
        for n, i in enumerate(geo.areas.index):
            if dep[i] > 0 and no_bus[i]:
                d = np.hypot(pts["x"].to_numpy(float) - a[n, 0], pts["y"].to_numpy(float) - a[n, 1])
                bus_need[i] = list(pts.index[d <= measures.NEAR_METRES])
    return Layout(spokes=cands, minutes=mins, limit=sk.max_minutes, attach=sk.attach_minutes, nearest=sk.nearest,
                  require=sk.coverage == "require", exempt=exempt, keep=frozenset(keep), count=sk.count,
                  max_count=sk.max_count, hub_cost=scn.hubs.cost, spoke_cost=sk.cost, budget=scn.budget,
                  cost_weight=scn.cost_weight, bus_need=bus_need, notes=tuple(cands.attrs.get("notes", ())))


@dataclass
class Built:
    """The full hubs model: the catchment model plus the spoke layer's variables."""

    base: assignment.Built
    o: dict
    z: dict
    u: dict


def build(geo: Geography, sp: assignment.Spec, lay: Layout, *, shortfall_objective: bool = False) -> Built:
    """The model of the module docstring. ``shortfall_objective``: instead, minimise the children left beyond T
    (coverage not required): the diagnosis of a scenario whose coverage cannot be met."""
    areas = geo.areas
    base = assignment.build(areas, geo.corridors, sp, name="hubs")
    prob, x, y, cand = base.prob, base.x, base.y, base.candidates
    S = lay.spokes
    sm = lay.minutes
    inum = {i: n for n, i in enumerate(areas.index)}
    snum = {s: n for n, s in enumerate(S.index)}
    building = buildings(S)
    hnum = {h: n for n, h in enumerate(sp.facilities.index)}
    members: dict[str, set[str]] = {}
    for (i, h) in x:
        members.setdefault(h, set()).add(i)
    # N(s) and A(s)
    near = {s: {S.at[s, "home_area"]} for s in S.index}
    if lay.attach > 0:
        within = sm.to_numpy() <= lay.attach
        for c, s in enumerate(S.index):
            near[s] |= set(areas.index[within[:, c]])
    o = {s: pulp.LpVariable(f"o_{snum[s]}", cat=pulp.LpBinary) for s in S.index}
    z = {}
    for s in S.index:
        for h in y:
            if members.get(h, set()) & near[s]:
                z[s, h] = pulp.LpVariable(f"z_{snum[s]}_{hnum[h]}", cat=pulp.LpBinary)
    attach_of: dict[str, list[str]] = {}
    for (s, h) in z:
        attach_of.setdefault(s, []).append(h)
    for s in S.index:
        prob += pulp.lpSum(z[s, h] for h in attach_of.get(s, [])) == o[s], f"attach_{snum[s]}"      # (1)
        for h in attach_of.get(s, []):
            prob += z[s, h] <= y[h], f"hub_{snum[s]}_{hnum[h]}"                                      # (2)
            prob += z[s, h] <= pulp.lpSum(x[i, h] for i in near[s] if (i, h) in x), \
                f"inside_{snum[s]}_{hnum[h]}"                                                          # (3)
        j = building[s]
        if j in y:
            prob += o[s] + y[j] <= 1, f"hub_or_spoke_{snum[s]}"                                     # (4)
    # service points per area
    order = np.argsort(sm.to_numpy(), axis=1, kind="stable")
    cols = np.array(S.index)
    u = {}  # (area, service point, "hub" | "spoke"): a school may be both a hub candidate and a spoke candidate
    for n, i in enumerate(areas.index):
        strict = lay.require and i not in lay.exempt and not shortfall_objective
        picks = list(cols[order[n, : lay.nearest]]) if len(cols) else []
        picks += [s for s in S.index[S["home_area"] == i] if s not in picks]
        for s in picks:
            if strict and sm.at[i, s] > lay.limit:
                continue
            u[i, s, "spoke"] = pulp.LpVariable(f"us_{inum[i]}_{snum[s]}", cat=pulp.LpBinary)
        for h in cand[i]:
            if strict and sp.minutes.at[i, h] > lay.limit:
                continue
            u[i, h, "hub"] = pulp.LpVariable(f"uh_{inum[i]}_{hnum[h]}", cat=pulp.LpBinary)
    by_area: dict[str, list[tuple[str, str]]] = {}
    for (i, q, kind) in u:
        by_area.setdefault(i, []).append((q, kind))
    for i in areas.index:
        prob += pulp.lpSum(u[i, q, k] for q, k in by_area.get(i, [])) == 1, f"use_{inum[i]}"          # (5)
        for q, kind in by_area.get(i, []):
            v = u[i, q, kind]
            if kind == "hub":
                prob += v <= x[i, q], f"at_hub_{inum[i]}_{hnum[q]}"                                    # (6)
                continue
            inside = [h for h in cand[i] if (q, h) in z]
            outside = [h for h in cand[i] if (q, h) not in z]
            for h in inside:                                                                            # (7)
                prob += v <= z[q, h] + 1 - x[i, h], f"own_{inum[i]}_{snum[q]}_{hnum[h]}"
            if outside:
                prob += v + pulp.lpSum(x[i, h] for h in outside) <= 1, f"other_{inum[i]}_{snum[q]}"
            prob += v <= pulp.lpSum(z[q, h] for h in inside), f"some_{inum[i]}_{snum[q]}"
    total = pulp.lpSum(o.values())
    if lay.count is not None:                                                                           # (9)
        prob += total == lay.count, "spoke_count"
    if lay.max_count is not None:
        prob += total <= lay.max_count, "spoke_max_count"
    for s in sorted(lay.keep):
        if s in o:
            prob += o[s] == 1, f"spoke_keep_{snum[s]}"
    cost = lay.hub_cost * pulp.lpSum(y.values()) + lay.spoke_cost * total
    if lay.budget is not None:                                                                          # (10)
        prob += cost <= lay.budget, "budget"
    for n, (_area, pts) in enumerate(sorted(lay.bus_need.items())):                                    # (11)
        opened = [y[q] for q in pts if q in y] + [o[q] for q in pts if q in o]
        if opened:
            prob += pulp.lpSum(opened) >= 1, f"bus_{n}"
    w = measures.child_weights(areas, sp.weight)
    minutes = {key: float(sp.minutes.at[key[0], key[1]] if key[2] == "hub" else sm.at[key[0], key[1]]) for key in u}
    if shortfall_objective:
        beyond = [key for key in u if minutes[key] > lay.limit and key[0] not in lay.exempt]
        prob.setObjective(pulp.lpSum(float(areas.at[key[0], "under5"]) * u[key] for key in beyond))
    else:
        prob.setObjective(pulp.lpSum(float(w[key[0]]) * minutes[key] * v for key, v in u.items())
                          + HUB_TIE * pulp.lpSum(base.cost[k] * v for k, v in x.items())
                          + lay.cost_weight * cost)
    return Built(base, o, z, u)


@dataclass
class Result:
    """A solved hubs model: the catchments, the open spokes and their hubs, each area's service point."""

    assign: pd.Series          # area -> hub
    spoke_hub: pd.Series       # open spoke -> hub
    service: pd.Series         # area -> service point (hub id or spoke id)
    outcome: Outcome
    k: int
    nearest: int
    contiguity: str
    notes: list[str]


def extract(b: Built) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Area -> hub, open spoke -> hub and area -> service point from a solved model."""
    assign = assignment.extract(b.base)
    spoke_hub = pd.Series({s: h for (s, h), v in b.z.items() if v.varValue is not None and v.varValue > 0.5},
                          dtype=object).sort_index()
    service = pd.Series({i: q for (i, q, _kind), v in b.u.items() if v.varValue is not None and v.varValue > 0.5},
                        dtype=object).sort_index()
    return assign, spoke_hub, service


def run(geo: Geography, scn: Scenario, sp: assignment.Spec, lay: Layout, ctx: Context) -> Result:
    """Solve, widening the hub and spoke candidate lists (and then trying flow contiguity) while infeasible."""
    diagnose.presolve(geo, sp, what="hubs", section="hubs")
    obvious = on_its_face(sp, lay)   # before any solve: a solver may search its whole time limit without a proof
    if obvious:
        raise InfeasibleError("hubs: the scenario cannot be met:", obvious)
    notes: list[str] = []
    n_hubs, n_spokes = len(sp.facilities), len(lay.spokes)
    t0 = time.perf_counter()
    while True:
        b = build(geo, sp, lay)
        warm = warm_start(geo, scn, sp, b, ctx)
        out = solve_with(b.base.prob, scn.solver, ctx.deadline, warm=warm)
        if out.status.is_ok:
            # the seconds of the whole solve, which the time limit bounds: the start's two solves and any widening
            # counted, not only the last MIP's (Kent: 33.6 s reported of about 60 s)
            out = replace(out, seconds=time.perf_counter() - t0)
            return Result(*extract(b), out, sp.k, lay.nearest, sp.contiguity, notes)
        if out.status != "infeasible":
            raise SolverError(f"hubs: {out.solver} found no plan within {scn.solver.time_limit:g} s and did not "
                              "prove the scenario infeasible; raise solver.time_limit or relax the scenario")
        limit = scn.solver.time_limit
        if lay.nearest < n_spokes:
            new = min(2 * lay.nearest, n_spokes)
            stop_if_spent(ctx.deadline, "hubs", limit, f"each area's spokes were widened from {lay.nearest} to {new}")
            notes.append(f"restricting each area to its {lay.nearest} nearest spokes made the model infeasible; "
                         f"widened to {new}")
            lay = replace(lay, nearest=new)
        elif sp.k < n_hubs:
            new = min(2 * sp.k, n_hubs)
            stop_if_spent(ctx.deadline, "hubs", limit, f"each area's hubs were widened from {sp.k} to {new}")
            notes.append(f"restricting each area to its {sp.k} nearest hubs made the model infeasible; widened to "
                         f"{new}")
            sp = replace(sp, k=new)
        elif sp.contiguity == "precedence":
            stop_if_spent(ctx.deadline, "hubs", limit, "the exact flow contiguity was tried (precedence admits only "
                          "some connected catchments)")
            notes.append("no plan with precedence-shaped catchments; re-solved with exact flow contiguity")
            sp = replace(sp, contiguity="flow")
        else:
            raise InfeasibleError("hubs: no plan satisfies this scenario.", explain(geo, scn, sp, lay))


def warm_start(geo: Geography, scn: Scenario, sp: assignment.Spec, b: Built, ctx: Context) -> bool:
    """A start for the full model, in two quick steps: hub catchments alone (the catchment model with its own
    objective, to 1%), then the spoke layer with those hubs fixed (where that finds nothing in its share of the
    time, again with their catchments fixed too). Sets every variable's initial value and returns True, or False
    (and leaves the model as it was) when no step finds a plan in its share of the time.
    The full model is then solved from this start: the start speeds the search, it does not restrict it."""
    share = Deadline.start(max(ctx.deadline.left() / 4, 1.0))
    start = assignment.heuristic(geo.areas, geo.corridors, sp)
    hub_only = assignment.build(geo.areas, geo.corridors, sp, name="hubs_catchments", extra=start)
    if start is not None:
        assignment.set_start(hub_only, start)
    out = solve_with(hub_only.prob, scn.solver, share, warm=hub_only.warm, gap=max(scn.solver.gap, 0.01))
    if not out.status.is_ok:
        return False
    chosen = assignment.extract(hub_only)
    used = set(chosen)
    hubs_fixed = {v: (1 if j in used else 0) for j, v in b.base.y.items()}
    # the spoke layer with those hubs; where it finds nothing in its share (a county of 800 areas at a short time
    # limit), again with their catchments fixed too: a far smaller search, so the model still has a start
    out = _layer(b, scn, ctx, hubs_fixed)
    if not out.status.is_ok:
        out = _layer(b, scn, ctx, {**hubs_fixed, **{v: (1 if chosen.get(i) == j else 0)
                                                    for (i, j), v in b.base.x.items()}})
    if not out.status.is_ok:
        return False
    for v in b.base.prob.variables():
        v.setInitialValue(round(v.varValue or 0.0))
    return True


def _layer(b: Built, scn: Scenario, ctx: Context, fixed: dict[pulp.LpVariable, int]) -> Outcome:
    """The full model solved with the binaries of ``fixed`` held at their values (a quarter of the time left, at
    least 1 s); every bound is as it was afterwards."""
    was = {v: (v.lowBound, v.upBound) for v in fixed}
    for v, val in fixed.items():
        v.lowBound = v.upBound = val
    try:
        return solve_with(b.base.prob, scn.solver, Deadline.start(max(ctx.deadline.left() / 4, 1.0)))
    finally:
        for v, (lo, hi) in was.items():
            v.lowBound, v.upBound = lo, hi


def explain(geo: Geography, scn: Scenario, sp: assignment.Spec, lay: Layout) -> list[str]:
    """Why no hubs plan exists, naming what makes it impossible (after :func:`on_its_face`, which :func:`run` asks
    before any solve, found nothing): with coverage relaxed, the areas no network of these counts and this budget
    brings within T minutes; else the hub catchments' own floors, locks and counts (:func:`.diagnose.elastic`). Its
    re-solves share one budget of their own (:func:`.diagnose.explanation_budget`)."""
    budget = diagnose.explanation_budget(scn.solver)
    if lay.require:
        relaxed = replace(lay, require=False)
        b = build(geo, sp, relaxed, shortfall_objective=True)
        out = solve_with(b.base.prob, scn.solver, budget)
        if out.status.is_ok:
            assign, _, service = extract(b)
            hubs = set(assign.unique())
            t = {i: (sp.minutes.at[i, q] if q in hubs else lay.minutes.at[i, q]) for i, q in service.items()}
            far = sorted((i for i, m in t.items() if m > lay.limit and i not in lay.exempt),
                         key=lambda i: -geo.areas.at[i, "under5"])
            if far:
                kids = int(geo.areas.loc[far, "under5"].sum())
                named = ", ".join(f"{geo.areas.at[i, 'name']} [{i}] ({t[i]:.0f} min)" for i in far[:10])
                more = f" and {len(far) - 10} more" if len(far) > 10 else ""
                return [f"with these hub and spoke counts{' and this budget' if lay.budget else ''}, at least "
                        f"{len(far)} area(s) ({kids:,} children) stay beyond {lay.limit:g} minutes of a service "
                        f"point of their hub, e.g. {named}{more}; allow more spokes, raise spokes.max_minutes, or "
                        "set spokes.coverage: report"]
    reasons = diagnose.elastic(geo, sp, scn.solver, budget, what="hubs", section="hubs", otherwise=(
        "the hubs' own floors, locks and counts can all be met: the spokes' rules rule every plan out "
        "(spokes.count, spokes.keep, spokes.attach_minutes or spokes.max_minutes)"))
    if lay.bus_need:
        reasons.append(f"spokes.require_bus asks for a service point within 2.5 km of {len(lay.bus_need)} deprived "
                       "area(s) without a bus service")
    return reasons


def on_its_face(sp: assignment.Spec, lay: Layout) -> list[str]:
    """What makes a hubs scenario impossible with no solve, or nothing: the budget below the cheapest network the
    counts and locks allow, a building locked open as both a hub and a spoke, more spokes asked for than buildings
    can be spokes."""
    n_min = max(sp.count or 0, sp.min_count or 0, len(sp.keep), sum(sp.per_district.values()), 1)
    s_min = max(lay.count or 0, len(lay.keep))
    cheapest = lay.hub_cost * n_min + lay.spoke_cost * s_min
    if lay.budget is not None and cheapest > lay.budget:
        return [f"the budget ({lay.budget:,.2f} pounds a year) is below the cheapest network the counts and locks "
                f"allow: {n_min} hub(s) x {lay.hub_cost:,.2f} + {s_min} spoke(s) x {lay.spoke_cost:,.2f} = "
                f"{cheapest:,.2f}; raise budget, or ask for fewer hubs or spokes"]
    building = buildings(lay.spokes)
    both = sorted(s for s in lay.keep if building[s] in sp.keep)
    if both:
        return [f"{lay.spokes.at[s, 'name']} [{s}] is locked open as a spoke (spokes.keep) and its building as a hub "
                "(hubs.keep); a building is a hub or a spoke, not both" for s in both]
    too_many = _spokes_out_of_reach(sp, lay, n_min, building)
    return [too_many] if too_many else []


def buildings(spokes: pd.DataFrame) -> dict[str, str]:
    """Each spoke candidate's building: a centre building's centre id, else the candidate's own id (a school's is
    its site id), so a hub and a spoke in one building can be told apart, constraint (4)."""
    return {s: (spokes.at[s, "centre"] if spokes.at[s, "source"] == "centres" else s) for s in spokes.index}


def _spokes_out_of_reach(sp: assignment.Spec, lay: Layout, hubs: int, building: dict[str, str]) -> str | None:
    """Why the spokes asked for (``spokes.count`` or ``spokes.keep``) cannot all be open, or None: a building is a
    hub or a spoke, not both (4), so each of the ``hubs`` hubs that must stand in a spoke candidate's building
    takes that candidate away. ``building``: each spoke candidate's building (a centre's id, else its own id)."""
    want = max(lay.count or 0, len(lay.keep))
    if not want:
        return None
    hub_ids = {j for j in sp.facilities.index if j not in sp.close}
    shared = {b for b in building.values() if b in hub_ids}
    in_spoke_buildings = max(0, hubs - (len(hub_ids) - len(shared)))
    most = len(lay.spokes) - in_spoke_buildings
    if want <= most:
        return None
    asked = f"spokes.count = {lay.count}" if (lay.count or 0) >= len(lay.keep) else \
        f"spokes.keep names {len(lay.keep)} spokes"
    sources = ", ".join(sorted(set(lay.spokes["source"]))) or "none"
    hubs_taken = (f", and at least {in_spoke_buildings} of them must be hubs instead ({count_of(hubs, 'hub', 'hubs')} "
                  "needed; a building is a hub or a spoke, not both)") if in_spoke_buildings else ""
    return (f"{asked}, but only {count_of(len(lay.spokes), 'building', 'buildings')} can be spokes (spokes.candidates: "
            f"{sources}, less spokes.close){hubs_taken}, so at most {max(most, 0)}: add candidates (e.g. a CSV of "
            "your own buildings) or ask for fewer spokes")


def solve(geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Which centres become hubs, which buildings are their spokes, and each area's hub and service point."""
    if "deprived_within" in ctx.restrict:
        raise ScenarioError("hubs: Pareto fronts constrain minutes to the centre; a family hubs plan's minutes are "
                            "to its service points, so fronts are not offered for model hubs")
    sp = replace(spec(geo, scn), **ctx.restrict)   # alternatives: no-good cuts on the hubs and catchments
    lay = layout(geo, scn, sp)
    res = run(geo, scn, sp, lay, ctx)
    notes = [*lay.notes, *res.notes]
    if lay.exempt:
        ex = sorted(lay.exempt)
        notes.append(f"{len(ex)} area(s) have no hub or spoke candidate within {lay.limit:g} minutes, so no plan can "
                     f"bring them within it: {', '.join(ex[:10])}{' ...' if len(ex) > 10 else ''}")
    lonely = sorted(i for i, pts in lay.bus_need.items() if not pts)
    if lonely:
        notes.append(f"spokes.require_bus: {len(lonely)} deprived area(s) without a bus service have no hub or spoke "
                     f"candidate within 2.5 km, so no plan can meet the rule there: {', '.join(lonely[:10])}")
    cont = contiguity.SCOPE if res.contiguity == "precedence" else "connected catchments (exact flow model)"
    scope = (f"{cont}; each area among its {res.k} nearest hubs and {res.nearest} nearest spoke candidates; "
             f"{len(lay.spokes)} spoke candidates")
    rep = report(res.outcome, scn, scope, ctx, res.k, notes)
    return plan_of(geo, scn, sp, lay, res, rep, notes)


def plan_of(geo: Geography, scn: Scenario, sp: assignment.Spec, lay: Layout, res: Result, rep, notes) -> Plan:
    """The plan's tables: catchments (assignment ``centre`` = hub, plus ``service_point`` and ``service_minutes``),
    the centres table with each centre's ``role`` (hub, spoke or closed), and the spokes table."""
    assign = res.assign
    hubs = set(assign.unique())
    spoke_hub = res.spoke_hub
    centre_spoke = {lay.spokes.at[s, "centre"]: s for s in spoke_hub.index if lay.spokes.at[s, "source"] == "centres"}
    merged = {}
    for j in sp.facilities.index:
        if j not in hubs:
            merged[j] = spoke_hub[centre_spoke[j]] if j in centre_spoke else \
                assign[sp.facilities.at[j, "home_area"]]
    status = {j: ("kept" if j in hubs else "amalgamated") for j in sp.facilities.index}
    if scn.hubs.candidates == "sites":  # a new network: only the chosen sites are listed
        status, merged = {j: "new" for j in sorted(hubs)}, {}
    plan = Plan.from_assignment(geo, scn, assign, sp.facilities, sp.minutes, status=status, merged_into=merged,
                                report=rep, notes=notes)
    role = {j: "hub" if j in hubs else ("spoke" if j in centre_spoke else "closed") for j in status}
    centres = plan.centres.assign(role=plan.centres["centre"].map(role))
    a = plan.assignment
    service = res.service.reindex(a["area"]).to_numpy()
    mins = [float(sp.minutes.at[i, q]) if q in hubs else float(lay.minutes.at[i, q]) for i, q in zip(a["area"],
                                                                                                      service,
                                                                                                      strict=True)]
    a = a.assign(service_point=service, service_minutes=np.round(mins, 4))
    use = a.groupby("service_point").agg(areas=("area", "size"))
    kids = geo.areas["under5"].reindex(a["area"]).groupby(a["service_point"].to_numpy()).sum()
    rows = []
    for s, h in spoke_hub.items():
        r = lay.spokes.loc[s]
        mine = assign.index[assign == h]
        attach = 0.0 if r["home_area"] in set(mine) else float(lay.minutes.loc[mine, s].min())
        rows.append({"spoke": s, "name": r["name"], "source": r["source"], "hub": h,
                     "hub_name": sp.facilities.at[h, "name"], "home_area": r["home_area"],
                     "x": round(float(r["x"]), 1), "y": round(float(r["y"]), 1),
                     "centre": r["centre"], "attach_minutes": round(attach, 2),
                     "areas": int(use["areas"].get(s, 0)), "children": int(kids.get(s, 0))})
    spokes = pd.DataFrame(rows, columns=["spoke", "name", "source", "hub", "hub_name", "home_area", "x", "y", "centre",
                                         "attach_minutes", "areas", "children"])
    return plan.but(assignment=a, centres=centres, spokes=spokes)
