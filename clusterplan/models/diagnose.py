"""Explain infeasibility in a commissioner's words, naming areas, centres and districts.

:func:`presolve` catches the common impossibilities before any solver runs; :func:`elastic` re-solves with every
floor, lock and count made elastic and reports the smallest set of them that must give way.
"""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pulp

from ..errors import InfeasibleError, count_of
from ..geography import Geography
from ..solvers import Deadline, solve_problem, solve_with
from . import assignment

#: What a facility is called, and its YAML section (counts, locks, per-district counts), by that section.
NOUNS = {"centres": ("centre", "centres", "centre or site is", "centres or sites are"),
         "hubs": ("hub", "hubs", "hub candidate is", "hub candidates are")}


def presolve(geo: Geography, spec: assignment.Spec, *, what: str, section: str = "centres", solver=None) -> None:
    """Raise :class:`InfeasibleError` with reasons if the scenario is impossible on its face. ``section``: the
    scenario section whose counts and locks ``spec`` holds (``centres``, or ``hubs`` for the hubs model), named in
    the reasons. ``solver`` (the scenario's settings): with it, a travel limit under a cap on the count is also
    checked against the fewest facilities that bring every area within the limit (:func:`cover_needed`)."""
    one, many, avail_one, avail_many = NOUNS[section]
    reasons: list[str] = []
    a = geo.areas
    fac = spec.facilities
    total = int(a["under5"].sum())
    floor = spec.floor
    both = sorted(spec.keep & spec.close)
    if both:
        reasons.append(f"centre(s) locked open and closed at once: {', '.join(fac.loc[both, 'name'])}")
    open_homes = set(fac.loc[~fac.index.isin(list(spec.close)), "home_area"])
    if not len(fac):
        # Swindon (England tables): the register lists no centre open today; "link the areas to a centre" (the
        # reason below) pointed at a fix that cannot exist
        none = {"hubs": "hub candidates", "sites": "candidate sites"}.get(what, "centres")
        reasons.append(f"this geography has no {none} at all, so no area can be served{_why_none(geo)}")
    for comp in sorted(nx.connected_components(geo.corridors), key=min) if len(fac) else ():
        if not open_homes & comp:
            reasons.append(f"{_areas_phrase(sorted(comp), len(a))} have no centre that may stay open, and no "
                           "corridor links them to one: every community must be served; link them (`geography."
                           "links`) or give them a centre")
    if floor > 0:
        most = math.floor(total / floor)
        asked = max(x for x in (spec.count, spec.min_count, len(spec.keep), 0) if x is not None)
        if asked > most:
            reasons.append(f"{total:,} children under five in all can fill at most {count_of(most, one, many)} of "
                           f"{floor:,g}; the scenario asks for {asked}")
        reasons += components_below(geo, floor)
        if spec.within_district:
            for d, grp in a.groupby("district"):
                kids = int(grp["under5"].sum())
                want = spec.per_district.get(d, 0)
                if want * floor > kids:
                    reasons.append(f"{d} has {kids:,} children: room for {kids // floor:.0f} {many} of {floor:g}, "
                                   f"not the {want} asked for")
    if spec.nest is not None and not spec.cross_cost:
        reasons += nesting(geo, spec, open_homes)
    n_avail = len(fac) - len(spec.close & set(fac.index))
    for label, k in (("count", spec.count), ("min_count", spec.min_count)):
        if k is not None and k > n_avail:
            reasons.append(f"{section}.{label} = {k}, but only {count_of(n_avail, avail_one, avail_many)} "
                           "available")
    if spec.count is not None and len(spec.keep) > spec.count:
        reasons.append(f"{count_of(len(spec.keep), f'{one} is', f'{many} are')} locked open ({section}.keep) but "
                       f"{section}.count is {spec.count}")
    for d, k in spec.per_district.items():
        have = int(((fac["district"] == d) & ~fac.index.isin(list(spec.close))).sum())
        if k > have:
            reasons.append(f"{d}: {k} {many} asked for ({section}.per_district), but only "
                           f"{count_of(have, avail_one, avail_many)} there")
        locked = int(((fac["district"] == d) & fac.index.isin(list(spec.keep))).sum())
        if locked > k:
            reasons.append(f"{d}: {locked} {many} locked open, but only {k} asked for")
    if spec.per_district and spec.count is not None and sum(spec.per_district.values()) > spec.count:
        reasons.append(f"per-district counts add up to {sum(spec.per_district.values())}, more than "
                       f"{section}.count {spec.count}")
    if spec.max_minutes is not None:
        m = spec.minutes.drop(columns=[j for j in spec.close if j in spec.minutes.columns])
        nearest = m.min(axis=1)
        far = nearest[nearest > spec.max_minutes].sort_values(ascending=False)
        for i, t in far.head(10).items():
            reasons.append(f"area {i} ({a.at[i, 'name']}, {a.at[i, 'district']}) is {t:.1f} minutes from the "
                           f"nearest centre, beyond the travel limit of {spec.max_minutes:g}")
        if len(far) > 10:
            reasons.append(f"... and {len(far) - 10} more areas beyond the travel limit")
        within = m <= spec.max_minutes   # areas x facilities that may stay open: within the limit
        if far.empty and floor > 0:
            reasons += within_limit(geo, spec, within, section)
        if far.empty and solver is not None:
            reasons += cover_needed(spec, within, solver, section)
    if reasons:
        raise InfeasibleError(f"{what}: the scenario cannot be met:", reasons)


def within_limit(geo: Geography, spec: assignment.Spec, within: pd.DataFrame, section: str = "centres") -> list[str]:
    """With a travel limit, a facility's catchment holds only areas within the limit of it, connected along the
    corridors to its home area (unless contiguity is off): the most children it could ever gather. Where that is
    below the floor the facility cannot stay open, whatever the others do; one reason per group of areas that can
    reach only such facilities within the limit, and per such facility locked open. (A necessary condition: it
    finds no impossibility that needs the facilities' competition for areas.) ``within``: areas x facilities that
    may stay open, True where the area is within the limit of the facility."""
    a, fac, t = geo.areas, spec.facilities, spec.max_minutes
    most: dict[str, int] = {}
    for j in within.columns:
        near = set(within.index[within[j]])
        home = fac.at[j, "home_area"]
        if spec.contiguity != "none":
            near = nx.node_connected_component(geo.corridors.subgraph(near), home) if home in near else set()
        most[j] = int(a.loc[sorted(near), "under5"].sum())
    short = {j for j, kids in most.items() if kids < spec.floor}
    if not short:
        return []
    joined = " (connected along the corridors to the centre's home area)" if spec.contiguity != "none" else ""
    many = NOUNS[section][1]
    out = []
    by_options: dict[tuple[str, ...], list[str]] = {}
    for i, row in zip(within.index, within.to_numpy(), strict=True):
        options = tuple(sorted(within.columns[row]))
        if options and set(options) <= short:
            by_options.setdefault(options, []).append(str(i))
    for options, codes in sorted(by_options.items(), key=lambda kv: kv[1][0]):
        i = codes[0]
        have = f"area {i} ({a.at[i, 'name']}, {a.at[i, 'district']}) has" if len(codes) == 1 else \
            f"{_listed(codes)} have"
        if len(options) == 1:
            j = options[0]
            out.append(f"{have} only {fac.at[j, 'name']} [{j}] within the travel limit of {t:g} "
                       f"minutes, and it can gather at most {most[j]:,} children from areas within that limit{joined}:"
                       f" below the floor of {spec.floor:g}; raise travel.max_minutes or lower reach.min")
        else:
            each = "; ".join(f"{fac.at[j, 'name']} [{j}] at most {most[j]:,}" for j in options)
            out.append(f"{have} only {len(options)} {many} within the travel limit of {t:g} minutes, "
                       f"and each can gather fewer children than the floor of {spec.floor:g} from areas within that "
                       f"limit{joined}: {each}; raise travel.max_minutes or lower reach.min")
    for j in sorted(spec.keep & short):
        out.append(f"{fac.at[j, 'name']} [{j}] is locked open ({section}.keep), but it can gather at most "
                   f"{most[j]:,} children from areas within the travel limit of {t:g} minutes{joined}, below the "
                   f"floor of {spec.floor:g}")
    return out


#: Seconds the fewest-facilities cover of :func:`cover_needed` may take (a proven bound is used if it stops).
COVER_SECONDS = 10.0


def cover_needed(spec: assignment.Spec, within: pd.DataFrame, solver, section: str = "centres") -> list[str]:
    """With a travel limit and a cap on the number kept (``count`` or ``max_count``): the fewest facilities that
    bring every area within the limit of one (a set cover, locks honoured; floors and contiguity left out, so it is
    a lower bound on what any plan keeps), solved exactly or bounded by the solver within :data:`COVER_SECONDS`. A
    reason where that is above the cap. ``within``: as for :func:`within_limit`."""
    cap = min((k for k in (spec.count, spec.max_count) if k is not None), default=None)
    if cap is None:
        return []
    prob = pulp.LpProblem("cover", pulp.LpMinimize)
    y = {j: pulp.LpVariable(f"y_{n}", cat=pulp.LpBinary, lowBound=1 if j in spec.keep else 0)
         for n, j in enumerate(within.columns)}
    prob += pulp.lpSum(y.values())
    for r, row in enumerate(within.to_numpy()):
        prob += pulp.lpSum(y[j] for j in within.columns[row]) >= 1, f"area_{r}"
    out = solve_problem(prob, name=solver.name, time_limit=min(COVER_SECONDS, solver.time_limit), gap=0.0,
                        threads=solver.threads, seed=solver.seed)
    least = out.objective if out.status == "optimal" else out.bound
    if least is None or math.ceil(least - 1e-6) <= cap:
        return []
    many = NOUNS[section][1]
    key = f"{section}.count" if spec.count is not None and spec.count == cap else f"{section}.max_count"
    return [f"at least {math.ceil(least - 1e-6)} {many} are needed for every area to have one within the travel "
            f"limit of {spec.max_minutes:g} minutes (the fewest that do so, before any floor or contiguity), but "
            f"{key} is {cap}; raise {key} or travel.max_minutes"]


def _why_none(geo: Geography) -> str:
    """Where a geography has no centres, what to do about it: the England tables' ``network: today`` leaves out
    the register's centres not open today, and ``network: designated`` takes them; otherwise give a centres file."""
    if any("(network: today)" in n for n in geo.notes):
        return ("; the DfE register's centres not open in January 2026 were left out (`geography.network: today`, "
                "the default): `geography.network: designated` takes every designated centre, or give your own "
                "(`geography.centres`)")
    return "; give the centres (`geography.centres`)"


def nesting(geo: Geography, spec: assignment.Spec, open_homes: set[str]) -> list[str]:
    """With hard nesting (``centres.nest_in`` without a crossing cost) a catchment is connected and inside one group,
    so each connected piece of a group (corridor links between its own areas) needs a centre that may stay open and,
    with a floor, at least ``floor`` children: one reason per piece that lacks either."""
    assert spec.nest is not None
    out = []
    a = geo.areas
    for g, grp in sorted(a.groupby(spec.nest.reindex(a.index)), key=lambda kv: str(kv[0])):
        for piece in sorted(nx.connected_components(geo.corridors.subgraph(grp.index)), key=min):
            codes = sorted(piece)
            where = f"{_listed(codes)} of {g}"
            kids = int(a.loc[codes, "under5"].sum())
            if not open_homes & piece:
                out.append(f"{where} have no centre that may stay open in that group, and catchments are nested in "
                           "it (`centres.nest_in`): give the group a centre, or set `centres.cross_boundary_cost` "
                           "to allow crossing at a price")
            elif spec.floor > 0 and kids < spec.floor:
                out.append(f"{where} {_hold(len(codes))} only {kids:,} children under five, below the floor of "
                           f"{spec.floor:g}, and catchments are nested in the group (`centres.nest_in`): lower "
                           "`reach.min` or set `centres.cross_boundary_cost`")
    return out


def components_below(geo: Geography, floor: float) -> list[str]:
    """One reason per corridor component holding fewer than ``floor`` children (no centre there can reach it)."""
    out = []
    for comp in sorted(nx.connected_components(geo.corridors), key=min):
        kids = int(geo.areas.loc[list(comp), "under5"].sum())
        if kids < floor:
            out.append(f"{_areas_phrase(sorted(comp), len(geo.areas))} {_hold(len(comp))} only {kids:,} children "
                       f"under five, below the floor of {floor:,g}: no centre there can reach it; lower `reach.min` "
                       "or link the areas to others")
    return out


def _areas_phrase(codes: list[str], n_all: int) -> str:
    """'all 538 areas (one corridor component)' or 'the 3 areas E01..., E01... (a corridor component)'."""
    if n_all == 1:
        return f"the only area, {codes[0]},"
    if len(codes) == n_all:
        return f"all {n_all} areas together (one corridor component)"
    return f"{_listed(codes)} (a corridor component)"


def _hold(n: int) -> str:
    """The verb after a phrase naming ``n`` areas: 'holds' for one, 'hold' for more."""
    return "holds" if n == 1 else "hold"


def _listed(codes: list[str]) -> str:
    """'the 3 area(s) E01..., E01..., E01...', naming the first 8 and counting the rest."""
    more = f" and {len(codes) - 8} more" if len(codes) > 8 else ""
    return f"the {len(codes)} area(s) {', '.join(codes[:8])}{more}"


def explanation_budget(solver) -> Deadline:
    """The budget of one explanation of an infeasible scenario: ``solver.time_limit`` from now. An explanation is not
    part of a plan (as the comparison's reference is not), and a proof of infeasibility that used the whole limit
    would otherwise leave it a second."""
    return Deadline.start(solver.time_limit)


def elastic(geo: Geography, spec: assignment.Spec, solver, deadline: Deadline, *, what: str, section: str = "centres",
            otherwise: str | None = None) -> list[str]:
    """Re-solve with elastic floors, locks and counts (in what is left of ``deadline``); name the fewest that must
    be relaxed, or, where a plan needs none of them relaxed, say so (``otherwise``: the words for that case). Callers
    give an explanation a budget of its own (:func:`explanation_budget`)."""
    built = assignment.build(geo.areas, geo.corridors, spec, name="elastic")
    prob = built.prob
    relax: dict[str, pulp.LpVariable] = {}
    n_fac = float(len(spec.facilities))
    for name, con in list(prob.constraints.items()):
        if name.startswith("floor_"):
            r = pulp.LpVariable(f"r_{name}", cat=pulp.LpBinary)
            con.expr.addterm(r, spec.floor)   # reach + floor * r >= floor * y
            relax[name] = r
        elif name.startswith(("keep_", "count", "min_count", "max_count", "district_")):
            r = pulp.LpVariable(f"r_{name}", cat=pulp.LpBinary)
            sp = pulp.LpVariable(f"sp_{name}", lowBound=0)
            sm = pulp.LpVariable(f"sm_{name}", lowBound=0)
            con.expr.addterm(sp, 1)
            con.expr.addterm(sm, -1)
            prob += sp + sm <= n_fac * r, f"link_{name}"
            relax[name] = r
    if not relax:
        return ["no floor, lock or count could be relaxed: the corridor graph or the travel limit rules out every "
                "plan (see the pre-solve checks)"]
    # Ties between equally small explanations go to floors: a lock or count is the commissioner's explicit choice.
    prob.setObjective(pulp.lpSum((1.0 if n.startswith("floor_") else 1.001) * r for n, r in relax.items()))
    out = solve_with(prob, solver, deadline, gap=0.0)
    if out.status == "infeasible":
        ceiling = (f"the reach ceiling (reach.max: no centre above {spec.ceiling:g} children; it is not relaxed), "
                   if spec.ceiling is not None else "")
        return [f"even with every floor, lock and count relaxed there is no plan: {ceiling}the corridor graph, "
                "candidate lists or travel limit rule it out"]
    if not out.status.is_ok:
        return [f"which rules to relax was not worked out within {deadline.seconds:g} s ({out.solver} found no "
                "plan with them relaxed); raise solver.time_limit for the explanation"]
    fac = spec.facilities
    jid = {f"{n}": j for n, j in enumerate(fac.index)}
    reasons = []
    for name, r in sorted(relax.items()):
        if r.varValue is not None and r.varValue > 0.5:
            if name.startswith("floor_"):
                j = jid[name.split("_")[1]]
                reasons.append(f"{fac.at[j, 'name']} [{j}] cannot reach {spec.floor:g} children with the other "
                               "rules in force")
            elif name.startswith("keep_"):
                j = jid[name.split("_")[1]]
                reasons.append(f"locking {fac.at[j, 'name']} [{j}] open cannot be honoured")
            elif name.startswith("district_"):
                d = sorted(spec.per_district)[int(name.split("_")[1])]
                reasons.append(f"the count for {d} ({spec.per_district[d]}) cannot be met")
            else:
                reasons.append(f"{section}.{name} cannot be met")
    if not reasons:
        return [otherwise or f"no floor, lock or count of the {what} catchments needs relaxing: the other rules of "
                "the scenario rule every plan out"]
    head = "smallest set of rules to relax" + (" (best found in the time limit)" if out.status == "feasible" else "")
    return [f"{head}:"] + reasons
