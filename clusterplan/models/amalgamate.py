"""Amalgamation: which centres stay designated, and the catchment of each (see :mod:`.assignment` for the maths,
:mod:`.catchment` for how it is solved).

Each amalgamated centre is merged into the kept centre taking most of its children today (:mod:`.status_quo`, the
same model with every located centre locked open and no reach floor).
"""

from __future__ import annotations

from dataclasses import replace

from .. import measures
from ..geography import Geography
from ..plan import Plan
from ..scenario import Scenario, district_names, locked_centres
from . import catchment, status_quo
from .assignment import Spec
from .base import Context, report


def spec(geo: Geography, scn: Scenario) -> Spec:
    """The catchment-model specification of an amalgamation scenario."""
    fac = measures.facilities(geo, "centres")
    keep, close = locked_centres(scn, geo.centres)
    districts = sorted(geo.areas["district"].unique())
    per_district = district_names(scn.centres.per_district, districts, "centres.per_district")
    return Spec(facilities=fac, minutes=geo.centre_minutes[fac.index], floor=scn.reach.min, ceiling=scn.reach.max,
                weight=scn.deprivation.weight, fixed_cost=scn.centres.fixed_cost, k=scn.travel.candidates,
                max_minutes=scn.travel.max_minutes, keep=frozenset(keep), close=frozenset(close),
                count=scn.centres.count, min_count=scn.centres.min_count, max_count=scn.centres.max_count,
                per_district=per_district, within_district=scn.centres.within_district)


def solve(geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Which centres stay, their catchments, and what each amalgamated centre merges into."""
    fac = measures.facilities(geo, "centres")
    today = status_quo.today(geo, scn, ctx.deadline)
    res = catchment.run(geo, replace(spec(geo, scn), **ctx.restrict), scn, ctx, what="amalgamation")
    kept = set(res.assign.unique())
    status = {j: ("kept" if j in kept else "amalgamated") for j in fac.index}
    merged = catchment.absorbed_by(today.assign, res.assign, geo.areas["under5"])
    rep = report(res.outcome, scn, res.scope("centres"), ctx, res.k, res.notes)
    rep = catchment.certify(geo, scn, rep, spec(geo, scn), ctx)
    return Plan.from_assignment(geo, scn, res.assign, fac, geo.centre_minutes[fac.index], status=status,
                                merged_into=merged, report=rep, notes=catchment.unlocated_note(geo) + res.notes)
