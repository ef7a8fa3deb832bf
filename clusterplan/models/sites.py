"""Sites: where a network of k centres (or of as many as the floor allows) should stand, chosen among candidate
sites (the schools register, or one site per area centroid) instead of existing centres.

The same catchment model as amalgamation (:mod:`.assignment`) with at most one new centre per area.
"""

from __future__ import annotations

from dataclasses import replace

from .. import measures, registry
from ..geography import Geography
from ..plan import Plan
from ..scenario import Scenario, district_names
from . import catchment
from .amalgamate import nesting
from .assignment import Spec
from .base import Context, report


def spec(geo: Geography, scn: Scenario) -> Spec:
    """The catchment-model specification of a sites scenario."""
    which = registry.facilities_of("sites", scn.sites)
    fac = measures.facilities(geo, which)
    districts = sorted(geo.areas["district"].unique())
    per_district = district_names(scn.centres.per_district, districts, "centres.per_district")
    return Spec(facilities=fac, minutes=measures.facility_minutes(geo, which), floor=scn.reach.min,
                ceiling=scn.reach.max,
                weight=scn.deprivation.weight, fixed_cost=scn.centres.fixed_cost, k=scn.travel.candidates,
                max_minutes=scn.travel.max_minutes, count=scn.centres.count, min_count=scn.centres.min_count,
                max_count=scn.centres.max_count, per_district=per_district,
                **nesting(geo, scn.centres), one_per_area=True)


def solve(geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Where the new centres stand and whom each serves."""
    sp = replace(spec(geo, scn), **ctx.restrict)
    res = catchment.run(geo, sp, scn, ctx, what="sites")
    scope = res.scope("sites") + "; at most one new centre per area"
    rep = catchment.certify(geo, scn, report(res.outcome, scn, scope, ctx, res.k, res.notes), sp, ctx)
    return Plan.from_assignment(geo, scn, res.assign, sp.facilities, sp.minutes,
                                status={j: "new" for j in sorted(res.assign.unique())}, report=rep, notes=res.notes)
