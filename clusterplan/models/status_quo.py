"""Status quo: today's centres, every located one open, and the catchments the catchment model gives them with no
reach floor (the same objective as amalgamation), so a plan shows which centres fall below the floor now.

:func:`today` is also the reference other models and the comparison metrics read today's catchments from (cached
per input: it takes about 2 s on Norfolk).
"""

from __future__ import annotations

from .. import measures
from ..geography import Geography
from ..plan import Plan, input_hash
from ..scenario import Scenario
from ..solvers import Deadline
from . import catchment
from .assignment import Spec
from .base import Context, report

_CACHE: dict[str, catchment.Solved] = {}


def spec(geo: Geography, scn: Scenario) -> Spec:
    """The catchment-model specification of today's network: every located centre kept, no floor, no travel
    limit, areas free to cross district lines."""
    fac = measures.facilities(geo, "centres")
    return Spec(facilities=fac, minutes=geo.centre_minutes[fac.index], floor=0.0, ceiling=None,
                weight=scn.deprivation.weight, k=scn.travel.candidates, keep=frozenset(fac.index),
                max_minutes=None, within_district=False)


def reference_scenario(scn: Scenario) -> Scenario:
    """The status-quo scenario behind ``scn``'s comparisons: its deprivation weight, candidate lists and solver."""
    return Scenario.from_dict({"model": "status_quo", "deprivation": scn.deprivation.model_dump(),
                               "travel": {"candidates": scn.travel.candidates}, "solver": scn.solver.model_dump()})


def today(geo: Geography, scn: Scenario, deadline: Deadline | None = None) -> catchment.Solved:
    """Today's catchments under ``scn``'s weights and solver, solved within ``deadline`` (default: a budget of
    ``solver.time_limit`` from now); a proven optimum is cached per geography and scenario, whatever the time limit
    it was found in."""
    sq = reference_scenario(scn)
    # the key leaves the time limit out: a proven optimum holds whatever time it was found in
    key = input_hash(geo, sq.model_copy(update={"solver": sq.solver.model_copy(update={"time_limit": 1.0})}))
    if key in _CACHE:
        return _CACHE[key]
    ctx = Context("", deadline or Deadline.start(scn.solver.time_limit))
    res = catchment.run(geo, spec(geo, sq), sq, ctx, what="status quo")
    if res.outcome.status == "optimal":
        _CACHE[key] = res
    return res


def solve(geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Today's network: every located centre kept, with its catchment."""
    fac = measures.facilities(geo, "centres")
    sq = today(geo, scn, ctx.deadline)
    notes = list(sq.notes)
    table_status = {j: "kept" for j in fac.index}
    plan = Plan.from_assignment(geo, scn, sq.assign, fac, geo.centre_minutes[fac.index], status=table_status,
                                report=report(sq.outcome, scn, sq.scope("centres"), ctx, sq.k, notes))
    below = plan.centres[plan.centres["reach"] < scn.reach.min]
    notes.append(f"{len(below)} of {len(plan.centres)} centres reach fewer than {scn.reach.min:g} children today"
                 + (f": {', '.join(below['name'])}" if len(below) else ""))
    rep = report(sq.outcome, scn, sq.scope("centres"), ctx, sq.k, notes)
    rep = catchment.certify(geo, scn, rep, spec(geo, scn), ctx)
    return plan.but(report=rep, notes=tuple(catchment.unlocated_note(geo) + notes))
