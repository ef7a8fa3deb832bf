"""Why each centre was amalgamated: the binding reason in plain words, derived from the model.

For every centre an amalgamation plan does not keep, the scenario is re-solved with that centre locked open (a
what-if): the model is built once in HiGHS and each lock is a bound change on it
(:func:`clusterplan.models.amalgamate.what_if_open`), with one such model per core re-solving side by side on threads
(at most ``solver.threads``), falling back to a full solve where it cannot be reused or finds no plan. A centre
with a twin among the kept ones (the same home area, minutes, district and closing cost: two designations in one
building) needs no re-solve: the twin's catchment passes to it at the same cost
(:func:`clusterplan.models.amalgamate.twin_swap`), so its lock costs nothing. The re-solve
gives the exact cost of the lock (deprivation-weighted child-minutes) and the children who would change centre in
the plan it found (where several plans share that cost, each may move a different number: the re-solve's start or
HiGHS's options can change which it returns); a MIP's LP reduced costs would only be a local estimate of the cost.
The binding reason is the first that applies of:

1. it has a twin that the plan keeps (see above): the choice between them is a tie;
2. the lock is impossible: the re-solve is infeasible; with a travel limit that leaves fewer children than the floor
   within reach of the centre, the limit is named, else the diagnosis names the rule that blocks it (a district
   count, the reach floor of this or another centre);
3. its own catchment today holds fewer children than the floor, so keeping it means taking children from
   neighbouring centres' areas (and the plan that does so costs more);
4. a count rule (``centres.count`` or a district's count): keeping it means closing another centre;
5. the cost per centre: with ``centres.fixed_cost`` set, keeping it would cut travel but not by the fixed cost;
6. travel: keeping it open costs more travel in all (centres kept elsewhere serve the children better).

Every reason carries the cost of the lock and a ``knife_edge`` flag when that cost is under 0.1% of the optimum.
A re-solve that stops at its time limit before proving its optimum (``seconds`` per lock, default
``solver.time_limit``), or within a non-zero ``solver.gap``, gives a proven range instead: ``lock_cost`` is the cost
of the best plan it found (an upper bound on the cost of the lock), ``lock_cost_low`` the lower bound it proved,
``lock_proven`` False, and the reason says so in words; ``knife_edge`` is then set where the range reaches under
0.1% (the lock may cost that little). ``lock_seconds`` records each re-solve's time limit (none for a twin).
A re-solve that finds no plan and proves none impossible within its limit leaves that centre "not settled" (no
cost, ``lock_proven`` False) and the other centres' reasons stand: the plan itself is never lost to its reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd

from . import progress, registry
from .alternatives import changed_areas, excess_over
from .check import check
from .errors import InfeasibleError, ScenarioError, SolverError, number_argument, percent
from .executor import side_by_side, thread_map
from .geography import Geography
from .measures import KNIFE_EDGE
from .models.amalgamate import LOCK_FIRST_CANDIDATES
from .models.status_quo import today as todays_catchments
from .plan import Plan
from .scenario import Scenario
from .solve import solve

__all__ = ["KNIFE_EDGE", "proven_low", "reasons"]


def reasons(geo: Geography, scenario: Scenario | dict[str, Any], plan: Plan | None = None, *,
            seconds: float | None = None) -> pd.DataFrame:
    """One row per amalgamated centre of ``plan`` (solved here if not given): merged_into, reach today, the
    binding reason, the cost of keeping it open (weighted child-minutes and %; with the lower bound proven and
    whether it is exact), children moved, knife_edge. ``seconds``: the time limit of each lock's re-solve (default
    ``solver.time_limit``); where it stops a re-solve before its proof, the cost is a proven range."""
    scn = Scenario.from_dict(scenario)
    if seconds is not None:   # each what-if re-solve's time limit
        number_argument(seconds, "seconds", "reasons", above=0)
    if not registry.info(scn.model).closes_centres:
        raise ScenarioError(f"`model`: reasons explain amalgamate plans; this scenario's model is {scn.model!r}")
    plan = plan if plan is not None else solve(geo, scn)
    base = plan.report.objective
    today = todays_catchments(geo, scn).assign
    reach_today = geo.areas["under5"].groupby(today).sum()
    floor = scn.reach.min
    names = geo.centres["name"].to_dict()
    rows = []
    merged = plan.centres[plan.centres["status"] == "amalgamated"]
    swap = getattr(registry.load(scn.model), "twin_swap", None)
    twins = {j: alt for j in merged["centre"]
             if swap is not None and (alt := swap(geo, scn, plan, j, _what_if(scn, j))) is not None}
    limit = scn.solver.time_limit if seconds is None else float(seconds)
    locked = _locked(geo, scn, plan, [j for j in merged["centre"] if j not in twins], limit,
                     first_k=None if seconds is None else LOCK_FIRST_CANDIDATES)
    for _, c in progress.items(list(merged.iterrows()), "why each amalgamation"):
        j = c["centre"]
        r0 = int(reach_today.get(j, 0))
        what_if = _limited(_what_if(scn, j), limit)
        row = {"centre": j, "name": names[j], "merged_into": names.get(c["merged_into"], c["merged_into"]),
               "reach_today": r0, "lock_cost": None, "lock_cost_pct": None, "lock_cost_low": None,
               "lock_proven": None, "lock_seconds": None, "children_moved_if_kept": None, "knife_edge": False}
        try:
            alt = twins.get(j) or (locked[j](what_if) if locked.get(j) is not None else None)
            if alt is not None:
                check(alt, geo, what_if, raise_on_violation=True)   # a re-solved plan is checked like any other
            else:
                alt = solve(geo, what_if)
        except InfeasibleError as exc:
            minutes = scn.travel.max_minutes
            near = geo.areas["under5"][geo.centre_minutes[j] <= minutes].sum() if minutes is not None else None
            if near is not None and near < floor:
                row["reason"] = (f"the travel limit: only {int(near):,} children live within {minutes:g} minutes "
                                 f"of it, below the floor of {floor:,g}, so it cannot be kept open")
            else:
                row["reason"] = f"it cannot be kept open with the other rules in force: {_cause(exc)}"
            rows.append(row)
            continue
        except SolverError:   # no plan and no proof within the limit: this centre is undecided, the rest stand
            row |= {"lock_proven": False, "lock_seconds": limit,
                    "reason": (f"not settled: the re-solve with it kept open found no plan, and did not prove that "
                               f"none exists, within its {limit:g} s time limit; give the re-solves more time "
                               f"(`clusterplan run --why-seconds`, or `seconds` of clusterplan.reasons)")}
            rows.append(row)
            continue
        cost = alt.report.objective - base
        pct = excess_over(alt.report.objective, base)   # 0 where the two differ by the solver's rounding alone
        low = cost if j in twins else proven_low(alt, plan)
        proven = low is not None and cost - low < SAME_COST_ABS
        low_pct = None if low is None else pct if proven else excess_over(base + low, base)
        moved = changed_areas(alt, plan)
        kids = int(geo.areas.loc[moved[moved].index, "under5"].sum())
        row |= {"lock_cost": round(cost, 1), "lock_cost_pct": round(100 * pct, 3),
                "lock_cost_low": None if low is None else round(cost if proven else low, 1), "lock_proven": proven,
                "lock_seconds": None if j in twins else limit,
                "children_moved_if_kept": kids, "knife_edge": bool(low_pct is None or low_pct < KNIFE_EDGE)}
        if not proven:
            found = (f"between {low:,.0f} and {cost:,.0f} more weighted child-minutes "
                     f"({percent(low_pct)} to {percent(pct)})" if low is not None else
                     f"at most {cost:,.0f} more weighted child-minutes ({percent(pct)}; no lower bound proven)")
            stop = (f"its re-solve stopped within the scenario's gap of {scn.solver.gap:.2%}"
                    if alt.report.status == "optimal" else f"its re-solve stopped at the {limit:g} s time limit")
            price = (f"keeping it open costs {found}: {stop} before proving the exact cost; the best plan found "
                     f"moves {kids:,} children")
        elif abs(cost) >= 0.5:
            price = (f"keeping it open costs {cost:,.0f} more weighted child-minutes ({percent(pct)}); the plan found "
                     f"at that cost moves {kids:,} children")
        else:
            price = f"keeping it open instead costs nothing; the plan found at that cost moves {kids:,} children"
        fixed = scn.centres.fixed_cost
        travel_change = cost - fixed * (len(alt.kept) - len(plan.kept))  # the lock's change in travel alone
        if j in twins:
            (k,) = (names.get(t, t) for t in set(plan.kept) - set(alt.kept))   # the twin, amalgamated in its place
            row["reason"] = (f"it has a twin in {k} (the same home area and travel times), which the plan keeps: "
                             f"either of the two can stay at the same cost; keeping it instead moves {kids:,} "
                             f"children, the twin's whole catchment, to it")
        elif r0 < floor:
            row["reason"] = (f"its catchment today reaches {r0:,} children, below the floor of {floor:,g}: to stay "
                             f"it must take {floor - r0:,g} or more children from neighbouring centres' areas; "
                             f"{price}")
        elif (swapped := sorted(set(plan.kept) - set(alt.kept))) and (rule := _count_rule(scn, c["district"])):
            row["reason"] = (f"{rule}: keeping it means amalgamating "
                             f"{', '.join(names.get(s, s) for s in swapped)} instead; {price}")
        elif fixed > 0 and travel_change < 0:
            row["reason"] = (f"the cost per centre: keeping it would save {-travel_change:,.0f} weighted "
                             f"child-minutes of travel, less than the {fixed:,.0f} charged per kept centre; {price}")
        else:
            row["reason"] = f"travel: the centres kept nearby serve its children at less travel in all; {price}"
        rows.append(row)
    cols = ["centre", "name", "merged_into", "reach_today", "reason", "lock_cost", "lock_cost_pct", "lock_cost_low",
            "lock_proven", "lock_seconds", "children_moved_if_kept", "knife_edge"]
    return pd.DataFrame(rows, columns=cols)


#: Weighted child-minutes within which a lock's cost and its proven lower bound count as equal (solver rounding).
SAME_COST_ABS = 0.5


def proven_low(alt: Plan, plan: Plan) -> float | None:
    """The lower bound proven on what ``alt`` (a what-if re-solve of ``plan``'s scenario with one more centre kept)
    costs above ``plan`` (weighted child-minutes): the cost itself where ``alt`` is optimal at a zero gap, else the
    bound of its objective less ``plan``'s objective, and at least 0 where ``plan`` is proven optimal (keeping one
    more centre cannot then cost less); None where the solver gave no bound."""
    r, base = alt.report, plan.report.objective
    if r.status == "optimal" and not r.gap_limit:
        return r.objective - base
    if r.bound is None:
        return None
    low = min(r.bound, r.objective) - base
    return max(low, 0.0) if plan.report.status == "optimal" and not plan.report.gap_limit else low


def _cause(exc: InfeasibleError) -> str:
    """The diagnosis of an infeasible lock in one phrase: a heading ("smallest set of rules to relax:") with its
    items after it, else the first reason, else the error's first line."""
    found = list(exc.reasons or [])
    if len(found) > 1 and found[0].endswith(":"):
        return f"{found[0]} {'; '.join(found[1:])}"
    return found[0] if found else str(exc).splitlines()[0]


def _limited(scn: Scenario, seconds: float) -> Scenario:
    """``scn`` with ``seconds`` as its time limit."""
    return scn.model_copy(update={"solver": scn.solver.model_copy(update={"time_limit": seconds})})


def _what_if(scn: Scenario, centre: str) -> Scenario:
    """``scn`` with ``centre`` locked open too."""
    return scn.model_copy(update={"centres": scn.centres.model_copy(update={"keep": [*scn.centres.keep, centre]})})


def _locked(geo: Geography, scn: Scenario, plan: Plan, centres: list[str], seconds: float, *,
            first_k: int | None = None) -> dict[str, Callable | None]:
    """Each centre's lock re-solved on a model built once (the lock is a bound change), with several such models
    solving side by side on threads: as many as ``solver.threads`` allows (default: the machine's cores), each within
    ``seconds`` (starting from a first, smaller solve of ``first_k`` candidates per area where given: see
    :meth:`clusterplan.models.amalgamate.WhatIf.lock`). Centre -> a function of the what-if scenario giving its plan
    (built here, on the caller's thread), or None where the re-solve finds no plan; empty where the model cannot be
    reused (the caller then solves each what-if in full)."""
    what_if_open = getattr(registry.load(scn.model), "what_if_open", None)
    first = what_if_open(geo, scn, plan) if what_if_open is not None and centres else None
    if first is None:
        return {}
    workers = side_by_side(scn.solver.threads, len(centres))
    models = [first] + [what_if_open(geo, scn, plan) for _ in range(workers - 1)]
    with progress.step(f"why each amalgamation: {len(centres)} re-solves, {workers} at a time"):
        got = thread_map(lambda m, j: m.lock(j, seconds, first_k=first_k), centres, models)
    return {j: None if g is None else partial(first.to_plan, j, outcome=g[0], assign=g[1])
            for j, g in zip(centres, got, strict=True)}


def _count_rule(scn: Scenario, district: str) -> str:
    c = scn.centres
    if district in c.per_district:
        return f"the district count ({district}: {c.per_district[district]} centres)"
    if c.count is not None:
        return f"the count rule (centres.count = {c.count})"
    if c.max_count is not None:
        return f"the count rule (centres.max_count = {c.max_count})"
    return ""
