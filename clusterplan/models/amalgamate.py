"""Amalgamation: which centres stay designated, and the catchment of each (see :mod:`.assignment` for the maths).

The status quo is the same model with every located centre locked open and no reach floor: it gives today's
catchments, so the plan shows which centres fall below 600 now.
"""

from __future__ import annotations

from .. import measures
from ..errors import ScenarioError
from ..geography import Geography
from ..scenario import Scenario
from . import resolve
from .assignment import Spec


def spec(geo: Geography, scn: Scenario, *, status_quo: bool = False) -> Spec:
    """The catchment-model specification of an amalgamation (or status-quo) scenario."""
    fac = measures.facilities(geo, "centres")
    keep = resolve.centre_ids(scn.centres.keep, geo.centres, "centres.keep")
    close = resolve.centre_ids(scn.centres.close, geo.centres, "centres.close")
    both = sorted(set(keep) & set(close))
    if both:
        raise ScenarioError(f"`centres.keep` and `centres.close` both name {', '.join(geo.centres.loc[both, 'name'])}"
                            "; a centre cannot be locked open and closed at once: remove it from one of the lists")
    districts = sorted(geo.areas["district"].unique())
    per_district = resolve.district_names(scn.centres.per_district, districts, "centres.per_district")
    if status_quo:
        return Spec(facilities=fac, minutes=geo.centre_minutes[fac.index], floor=0.0, ceiling=None,
                    weight=scn.deprivation.weight, k=scn.travel.candidates, keep=frozenset(fac.index),
                    max_minutes=None, within_district=False)
    return Spec(facilities=fac, minutes=geo.centre_minutes[fac.index], floor=scn.reach.min, ceiling=scn.reach.max,
                weight=scn.deprivation.weight, fixed_cost=scn.centres.fixed_cost, k=scn.travel.candidates,
                max_minutes=scn.travel.max_minutes, keep=frozenset(keep), close=frozenset(close),
                count=scn.centres.count, min_count=scn.centres.min_count, max_count=scn.centres.max_count,
                per_district=per_district, within_district=scn.centres.within_district)
