"""Near-optimal alternatives: the k best materially different plans, each with its differences in words.

Method: solve the scenario; then re-solve with a no-good cut against every plan found so far (constraint (8) of
:mod:`clusterplan.models.assignment`; with HiGHS the cuts are rows added to the optimum's model, built once, see
:class:`clusterplan.models.amalgamate.WhatIf`, with a full solve where that model finds no plan): each new plan
keeps a set of centres differing from every earlier one in at least ``min_centres`` centres, and/or moves at least
``min_areas`` areas to another centre. Because each re-solve is optimal under the cuts, the alternatives come out in
order of cost: the first is the best plan that differs materially from the optimum, and so on. The search stops at
``k`` alternatives, when the next one would cost more than ``within`` above the optimum, when no further
different plan exists, or when the search for the next finds none and proves none impossible within
``solver.time_limit`` (the plans found stand; a note says so). Every plan passes the independent checker (inside
:func:`clusterplan.solve`), and the required differences are re-verified here without trusting the model.

A tie needs no re-solve: no re-solve can cost less than the last plan found (each adds cuts), so where a plan found
at that cost, with an amalgamated centre swapped for its twin (two designations in one building:
:func:`clusterplan.models.amalgamate.twin_swap`), differs enough from every plan found, it is taken as the next
alternative, with the last plan's bound (Norfolk: three of its five alternatives).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from . import progress, registry
from .errors import CheckError, InfeasibleError, ScenarioError, SolverError, count_of, number_argument
from .geography import Geography
from .io import atomic_folder, write_csv, write_plan
from .maps import short_name
from .plan import Plan
from .scenario import Scenario, whole_geography
from .solve import finished, resolved, resolver, solve


@dataclass
class Alternative:
    """One plan of the set: ``rank`` 0 is the optimum; ``excess`` its cost above the optimum (fraction)."""

    rank: int
    plan: Plan
    excess: float
    differences: str


def changed_areas(plan: Plan, ref: Plan) -> pd.Series:
    """Areas whose centre differs between ``plan`` and ``ref`` (a boolean Series indexed by area code)."""
    a = plan.assignment.set_index("area")["centre"]
    b = ref.assignment.set_index("area")["centre"].reindex(a.index)
    return a != b


#: How a plan's centres differ from another's, in the words of its model: the centres it keeps (a model over today's
#: centres), the sites where it opens one (a model over sites), the centres it makes hubs (a model with spokes).
DIFFERENCE_WORDS = {
    "centres": {"instead": "keeps {} instead of {}", "more": "also keeps {}", "fewer": "also amalgamates {}",
                "same": "keeps the same centres"},
    "sites": {"instead": "opens at {} instead of {}", "more": "also opens at {}", "fewer": "does not open at {}",
              "same": "opens at the same sites"},
    "hubs": {"instead": "has a hub at {} instead of {}", "more": "also has a hub at {}", "fewer": "has no hub at {}",
             "same": "has the same hubs"},
}


def describe_difference(plan: Plan, ref: Plan, geo: Geography) -> str:
    """In words: which centres ``plan`` keeps instead of ``ref``'s, and how many children change centre."""
    # sites plans keep site ids; a site at an area centroid has no name of its own: use its area's
    site_names = geo.sites["name"].fillna(geo.sites["home_area"].map(geo.areas["name"]))
    names = pd.concat([site_names, geo.centres["name"]])
    names = names.where(names.notna(), names.index.to_series()).astype(str)
    name = names.map(short_name).to_dict()   # "Lark Hall Primary School", not "Lark Hall Primary School and"
    add = sorted(set(plan.kept) - set(ref.kept))
    drop = sorted(set(ref.kept) - set(plan.kept))
    moved = changed_areas(plan, ref)
    kids = int(geo.areas.loc[moved[moved].index, "under5"].sum())
    info = registry.info(plan.scenario.model) if plan.scenario is not None else None
    words = DIFFERENCE_WORDS.get("hubs" if info and info.spokes else info.facilities if info else "centres",
                                 DIFFERENCE_WORDS["centres"])
    added, dropped = _join([name.get(j, j) for j in add]), _join([name.get(j, j) for j in drop])
    parts = []
    if add and drop:
        parts.append(words["instead"].format(added, dropped))
    elif add:
        parts.append(words["more"].format(added))
    elif drop:
        parts.append(words["fewer"].format(dropped))
    else:
        parts.append(words["same"])
    parts.append(f"{kids:,} children in {count_of(int(moved.sum()), 'area', 'areas')} change centre")
    return "; ".join(parts)


def _join(items: list[str]) -> str:
    return "" if not items else items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


#: Relative differences in cost below this are the solver's rounding, not a cost (HiGHS proves an optimum to an
#: absolute gap of 1e-6 weighted child-minutes, and its values carry feasibility tolerances of about 1e-9).
SAME_COST = 1e-9


def excess_over(objective: float, base: float) -> float:
    """The cost of ``objective`` above ``base`` as a fraction of it (0.01 = 1% more weighted child-minutes); 0.0 where
    they differ by rounding alone (:data:`SAME_COST`), so that a tie reads 0%, not -0.000%. A plan truly cheaper than
    a base that was not proven optimal keeps its negative excess."""
    excess = (objective - base) / abs(base) if base else 0.0
    return 0.0 if abs(excess) < SAME_COST else excess


def alternatives(geo: Geography, scenario: Scenario | dict[str, Any], *, k: int = 5, min_centres: int = 1,
                 min_areas: int = 0, within: float = 0.05) -> list[Alternative]:
    """The optimum and up to ``k`` near-optimal alternatives (amalgamate or sites scenarios).

    ``min_centres``: each plan's kept set differs from every other's in at least this many centres (0: no rule);
    ``min_areas``: each plan moves at least this many areas relative to every other (0: no rule); ``within``:
    the largest cost above the optimum accepted (0.05 = 5% more deprivation-weighted child-minutes).
    """
    scn = Scenario.from_dict(scenario)
    for arg, value in (("k", k), ("min_centres", min_centres), ("min_areas", min_areas)):
        number_argument(value, arg, "alternatives", whole=True, least=0)
    number_argument(within, "within", "alternatives", least=0)
    if not registry.info(scn.model).restrictable:   # refused before the optimum's solve, not after it
        *first, last = [m.name for m in registry.MODELS.values() if m.restrictable]
        choosers = f"{', '.join(first)} or {last}" if first else last
        raise ScenarioError(f"`model`: alternatives are other plans of a model that chooses its centres ({choosers}); "
                            f"this scenario's model is {scn.model!r}")
    whole_geography(scn, "alternatives are other plans of one model over the whole geography", "alternatives")
    if min_centres <= 0 and min_areas <= 0:
        raise ScenarioError("alternatives: give min_centres >= 1 or min_areas >= 1, or every plan could be the same")
    best = solve(geo, scn)
    model = resolver(geo, scn, best)   # re-solves add their cuts to the optimum's model, built once
    base = best.report.objective
    out = [Alternative(0, best, 0.0, "the optimum")]
    while len(out) <= k:
        progress.best(f"alternative {len(out)} of {k}")
        restrict: dict[str, Any] = {}
        if min_centres > 0:
            restrict |= {"exclude_kept": tuple(frozenset(a.plan.kept) for a in out), "min_differ": min_centres}
        if min_areas > 0:
            restrict |= {"exclude_assign": tuple(_pairs(a.plan) for a in out), "min_areas_differ": min_areas}
        try:
            plan = _tie(geo, scn, out, restrict, min_centres, min_areas)
            got = model.resolve(scn.solver.time_limit, restrict=restrict) if model is not None and plan is None \
                else None
            if got is not None:
                plan = resolved(model, geo, scn, got, restrict, f"alternative {len(out)}: a re-solve of the "
                                f"optimum's built model with {len(out)} no-good cut(s)")
            elif plan is None:
                plan = solve(geo, scn, restrict=restrict)
        except InfeasibleError:
            out[0] = _noted(out[0], f"alternatives: no further plan differs by {min_centres} centre(s) / "
                                    f"{min_areas} area(s) from the {len(out)} found")
            break
        except SolverError:   # the plans found stand; the next was neither found nor proven impossible in time
            out[0] = _noted(out[0], f"alternatives: the search for alternative {len(out)} found none, and did not "
                                    f"prove that none exists, within solver.time_limit ({scn.solver.time_limit:g} "
                                    "s); raise it for more alternatives")
            break
        excess = excess_over(plan.report.objective, base)
        if excess > within:
            out[0] = _noted(out[0], f"alternatives: the next plan costs {excess:.2%} more than the optimum, beyond "
                                    f"{within:.0%}")
            break
        _verify_differs(plan, [a.plan for a in out], min_centres, min_areas)
        out.append(Alternative(len(out), plan, excess, describe_difference(plan, best, geo)))
    return out


def _tie(geo: Geography, scn: Scenario, found: list[Alternative], restrict: dict[str, Any], min_centres: int,
         min_areas: int) -> Plan | None:
    """The next alternative without a re-solve where one ties: a plan found so far at the cost of the last one, with
    an amalgamated centre swapped for its twin (the same home area, minutes, district and closing cost:
    :func:`clusterplan.models.amalgamate.twin_swap`), that differs enough from every plan found. The re-solve's
    optimum under the cuts costs at least as much as the last plan (each re-solve adds cuts), so such a tie is
    as good as the re-solve's answer, with the last plan's bound; it is checked like every plan. None where the
    model has no twins or no swap differs enough."""
    swap = getattr(registry.load(scn.model), "twin_swap", None)
    last = found[-1].plan.report.objective
    if swap is None or last is None:
        return None
    for a in found:
        if a.plan.report.objective != last:
            continue
        for j in sorted(a.plan.centres.loc[a.plan.centres["status"] == "amalgamated", "centre"]):
            note = (f"alternative {len(found)}: plan {a.rank} with {{centre_name}} kept instead of its twin "
                    f"{{twin_name}} (the same home area and travel times), at the same cost (no re-solve)")
            tie = swap(geo, scn, a.plan, j, scn, note=note)
            if tie is not None and _differs(tie, [b.plan for b in found], min_centres, min_areas) == []:
                return finished(tie, geo, scn, restrict)
    return None


def _noted(alt: Alternative, note: str) -> Alternative:
    return replace(alt, plan=alt.plan.but(notes=alt.plan.notes + (note,)))


def _pairs(plan: Plan) -> tuple[tuple[str, str], ...]:
    return tuple(zip(plan.assignment["area"], plan.assignment["centre"], strict=True))


def _verify_differs(plan: Plan, earlier: list[Plan], min_centres: int, min_areas: int) -> None:
    """Re-check the no-good cuts from the plans themselves (not the model)."""
    problems = _differs(plan, earlier, min_centres, min_areas)
    if problems:
        raise CheckError(problems)


def _differs(plan: Plan, earlier: list[Plan], min_centres: int, min_areas: int) -> list[str]:
    """How ``plan`` falls short of differing from each of ``earlier`` in ``min_centres`` kept centres and
    ``min_areas`` areas (empty where it differs enough)."""
    problems = []
    for n, other in enumerate(earlier):
        dc = len(set(plan.kept) ^ set(other.kept))
        da = int(changed_areas(plan, other).sum())
        if dc < min_centres:
            problems.append(f"differs from plan {n} in {dc} kept centre(s), fewer than {min_centres}")
        if da < min_areas:
            problems.append(f"differs from plan {n} in {da} area(s), fewer than {min_areas}")
    return problems


def table(alts: list[Alternative]) -> pd.DataFrame:
    """One row per plan: rank, centres kept, cost and its excess over the optimum, travel, differences."""
    rows = []
    for a in alts:
        m = a.plan.metrics
        rows.append({"rank": a.rank, "centres kept": len(a.plan.kept),
                     "weighted child-minutes": round(a.plan.report.objective, 1),
                     "above optimum (%)": round(100 * a.excess, 3), "status": a.plan.report.status,
                     "mean minutes": m.get("mean_minutes"),
                     "deprived under-fives within 15 min (%)": m.get("deprived_within_15_min_pct"),
                     "lowest reach": m.get("lowest_reach"), "differences from the optimum": a.differences})
    return pd.DataFrame(rows).set_index("rank")


def write(alts: list[Alternative], geo: Geography, scn: Scenario, out: str | Path) -> Path:
    """Write ``alternatives.csv`` (:func:`table`) and one plan folder per alternative (``plan_0`` the optimum ..)
    into ``out``, atomically."""
    with atomic_folder(out, kind="alternatives") as tmp:
        write_csv(table(alts), tmp / "alternatives.csv")
        for a in alts:
            write_plan(a.plan, geo, scn, tmp / f"plan_{a.rank}")
    return Path(out)
