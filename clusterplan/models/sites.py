"""Sites: where a network of k centres (or of as many as the floor allows) should stand, chosen among candidate
sites (the schools register, or one site per area centroid) instead of existing centres.

The same catchment model as amalgamation (:mod:`.assignment`) with at most one new centre per area.
"""

from __future__ import annotations

from .. import measures
from ..geography import Geography
from ..scenario import Scenario
from . import resolve
from .assignment import Spec


def spec(geo: Geography, scn: Scenario) -> Spec:
    """The catchment-model specification of a sites scenario."""
    which = measures.which_sites(scn.sites)
    fac = measures.facilities(geo, which)
    districts = sorted(geo.areas["district"].unique())
    per_district = resolve.district_names(scn.centres.per_district, districts, "centres.per_district")
    return Spec(facilities=fac, minutes=measures.facility_minutes(geo, which), floor=scn.reach.min,
                ceiling=scn.reach.max,
                weight=scn.deprivation.weight, fixed_cost=scn.centres.fixed_cost, k=scn.travel.candidates,
                max_minutes=scn.travel.max_minutes, count=scn.centres.count, min_count=scn.centres.min_count,
                max_count=scn.centres.max_count, per_district=per_district,
                within_district=scn.centres.within_district, one_per_area=True)
