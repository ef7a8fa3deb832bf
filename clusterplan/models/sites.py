"""Sites: where a network of k centres (or of as many as the floor allows) should stand, chosen among candidate
sites (the schools register, or one site per area centroid) instead of existing centres.

The same catchment model as amalgamation (:mod:`.assignment`) with at most one new centre per area.
"""

from __future__ import annotations

from ..geography import Geography
from ..scenario import Scenario
from . import resolve
from .assignment import Spec


def facilities(geo: Geography, which: str):
    """Candidate sites: ``candidates`` (the geography's sites, e.g. the schools or a user's CSV), ``centres``
    (the located existing centres) or ``area_centroids`` (one per area)."""
    if which == "centres":
        from .amalgamate import facilities as centre_facilities
        return centre_facilities(geo)
    if which == "area_centroids":
        import pandas as pd
        a = geo.areas
        return pd.DataFrame({"name": a["name"], "home_area": a.index, "district": a["district"]},
                            index=pd.Index([f"area:{c}" for c in a.index], name="id"))
    s = geo.sites
    return s.assign(district=geo.areas.loc[s["home_area"], "district"].to_numpy())[["name", "home_area", "district"]]


def which_sites(choice: str) -> str:
    """The scenario's ``geography.sites`` as a site set: a CSV path has become the geography's candidates."""
    return choice if choice in ("centres", "area_centroids") else "candidates"


def minutes(geo: Geography, which: str):
    """Minutes from every area to every candidate site."""
    if which == "centres":
        return geo.centre_minutes[geo.located_centres.index]
    if which == "area_centroids":
        from ..travel import model_minutes
        if geo.travel is None:
            from ..errors import ScenarioError
            raise ScenarioError("`sites: area_centroids` needs a travel model; this geography has a fixed matrix")
        pts = geo.areas[["x", "y"]].set_axis([f"area:{c}" for c in geo.areas.index])
        return model_minutes(geo.travel, geo.areas, pts)
    return geo.site_minutes


def spec(geo: Geography, scn: Scenario) -> Spec:
    """The catchment-model specification of a sites scenario."""
    which = which_sites(scn.sites)
    fac = facilities(geo, which)
    districts = sorted(geo.areas["district"].unique())
    per_district = resolve.district_names(scn.centres.per_district, districts, "centres.per_district")
    return Spec(facilities=fac, minutes=minutes(geo, which), floor=scn.reach.min, ceiling=scn.reach.max,
                weight=scn.deprivation.weight, fixed_cost=scn.centres.fixed_cost, k=scn.travel.candidates,
                max_minutes=scn.travel.max_minutes, count=scn.centres.count, min_count=scn.centres.min_count,
                max_count=scn.centres.max_count, per_district=per_district,
                within_district=scn.centres.within_district, one_per_area=True)
