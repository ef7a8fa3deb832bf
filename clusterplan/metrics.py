"""Metrics: pure functions from a plan (and its geography) to the numbers a commissioner compares.

Units: children (under fives), minutes, pounds. "Deprived" areas are England's 30% most deprived by IDACI 2019
(:data:`clusterplan.measures.DEPRIVED_IDACI`). Travel is each child's minutes to their plan centre.

Every metric has a stable id (the key in ``plan.metrics`` and ``metrics.json``) and a display label
(:data:`METRICS`). The figures an assignment alone determines are computed by the named functions of
:data:`FIGURES` from one :class:`Facts`; :func:`plan_metrics`, the ensemble, the Pareto fronts and the reports all
read them from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .geography import Geography, rural_flags
from .measures import (
    NEAR_METRES,
    assigned_minutes,
    bus_served,
    child_weights,
    deprived_under5,
    facility_minutes,
    facility_points,
    nearest_metres,
    plan_minutes,
)
from .registry import facilities_of


def travel_minutes(assignment: pd.DataFrame, geo: Geography) -> pd.Series:
    """Minutes from each area to where its families go under a plan, by area code in the geography's order: its
    service point for a family hubs plan (the plan's ``service_minutes``, re-verified by the checker), else its
    centre."""
    if "service_minutes" in assignment.columns:
        return pd.Series(pd.to_numeric(assignment["service_minutes"]).to_numpy(float),
                         index=assignment["area"].to_numpy()).reindex(geo.areas.index)
    return plan_minutes(assignment, geo)


def _minutes(geo: Geography, assignment: pd.DataFrame, model: str, sites: str = "candidates") -> pd.Series:
    if "service_minutes" in assignment.columns:
        return travel_minutes(assignment, geo)
    m = facility_minutes(geo, facilities_of(model, sites))
    a = assignment.set_index("area")["centre"]
    return pd.Series(assigned_minutes(m, a.index, a.to_numpy()), index=a.index)


@dataclass(frozen=True)
class Facts:
    """What the figures of one assignment are computed from, one entry per area of the geography (in its order):
    ``minutes`` to the area's centre, ``children`` (under fives), ``deprived`` children (in England's 30% most
    deprived areas), ``weights`` (children x (1 + weight x IDACI)), ``rural`` (rural-urban class D or E), ``urban``
    (any other class; an area the data give no class is neither, so the rural and urban figures leave it out); and
    ``reach`` (children per serving centre)."""

    minutes: np.ndarray
    children: np.ndarray
    deprived: np.ndarray
    weights: np.ndarray
    rural: np.ndarray
    urban: np.ndarray
    reach: pd.Series

    @classmethod
    def of(cls, geo: Geography, assign: pd.Series, minutes: pd.Series | np.ndarray, weight: float = 1.0) -> Facts:
        """The facts of ``assign`` (area -> centre, every area of ``geo``) with each area's ``minutes`` to its centre
        (aligned with ``geo.areas``) and deprivation ``weight``."""
        a = geo.areas
        assign = assign.reindex(a.index)
        rural, classed = rural_flags(a)
        return cls(minutes=np.asarray(minutes, dtype=float), children=a["under5"].astype(float).to_numpy(),
                   deprived=deprived_under5(a).astype(float).to_numpy(),
                   weights=child_weights(a, weight).to_numpy(),
                   rural=rural.to_numpy(), urban=(classed & ~rural).to_numpy(),
                   reach=a["under5"].groupby(assign.to_numpy()).sum())


def mean_minutes(f: Facts, mask: np.ndarray | None = None) -> float | None:
    """Child-weighted mean minutes to the centre (of the areas in ``mask``); None where there are no children."""
    w = f.children * (np.ones(len(f.children), bool) if mask is None else mask)
    return float(np.sum(w * f.minutes) / w.sum()) if w.sum() else None


def p90_minutes(f: Facts, mask: np.ndarray | None = None) -> float | None:
    """The minutes 90% of children (in ``mask``) are within."""
    w = f.children * (np.ones(len(f.children), bool) if mask is None else mask)
    return _weighted_quantile(f.minutes, w, 0.9) if w.sum() else None


def weighted_child_minutes(f: Facts) -> float:
    """Deprivation-weighted child-minutes: sum of children x (1 + weight x IDACI) x minutes (the objective)."""
    return float(np.sum(f.weights * f.minutes))


def deprived_within(f: Facts, limit: float) -> float | None:
    """Percentage of deprived under-fives within ``limit`` minutes of their centre (None without any)."""
    total = float(f.deprived.sum())
    return 100 * float(f.deprived[f.minutes <= limit].sum()) / total if total else None


#: The figures an assignment alone determines: metric id -> function of :class:`Facts` (unrounded).
FIGURES: dict[str, Callable[[Facts], float | None]] = {
    "mean_minutes": mean_minutes,
    "p90_minutes": p90_minutes,
    "mean_minutes_rural": lambda f: mean_minutes(f, f.rural),
    "p90_minutes_rural": lambda f: p90_minutes(f, f.rural),
    "mean_minutes_urban": lambda f: mean_minutes(f, f.urban),
    "p90_minutes_urban": lambda f: p90_minutes(f, f.urban),
    "weighted_child_minutes": weighted_child_minutes,
    "deprived_within_15_min_pct": lambda f: deprived_within(f, 15),
    "deprived_within_30_min_pct": lambda f: deprived_within(f, 30),
    "lowest_reach": lambda f: float(f.reach.min()) if len(f.reach) else None,
    "highest_reach": lambda f: float(f.reach.max()) if len(f.reach) else None,
}


def figures(f: Facts, ids: tuple[str, ...] | list[str]) -> dict[str, float | None]:
    """The figures ``ids`` of one assignment, unrounded, keyed by their display labels."""
    return {label(k): FIGURES[k](f) for k in ids}


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if weights.sum() == 0:
        return float("nan")
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cum, q)])


#: Every metric's stable id (snake_case, the key in ``plan.metrics`` and ``metrics.json``) and its display label.
METRICS: dict[str, str] = {
    "reach_floor": "reach floor (children)",
    "centres_today": "centres today",
    "centres_below_floor_today": "centres below the floor today",
    "centres_kept": "centres kept",
    "centres_amalgamated": "centres amalgamated",
    "centres_as_spokes": "centres kept open as spokes",
    "centres_below_floor": "centres below the floor",
    "lowest_reach": "lowest reach",
    "highest_reach": "highest reach",
    "clusters": "clusters",
    "mean_minutes": "mean minutes",
    "p90_minutes": "p90 minutes",
    "mean_minutes_rural": "mean minutes (rural)",
    "p90_minutes_rural": "p90 minutes (rural)",
    "mean_minutes_urban": "mean minutes (urban)",
    "p90_minutes_urban": "p90 minutes (urban)",
    "weighted_child_minutes": "deprivation-weighted child-minutes",
    "deprived_within_15_min_pct": "deprived under-fives within 15 min (%)",
    "deprived_within_30_min_pct": "deprived under-fives within 30 min (%)",
    "service_points": "service points",
    "hubs": "hubs",
    "spokes": "spokes",
    "deprived_within_2_5km_pct": "deprived under-fives within 2.5 km (%)",
    "deprived_beyond_2_5km_no_bus": "deprived under-fives beyond 2.5 km in areas without a bus service",
    "deprived_beyond_2_5km_bus_unknown": "deprived under-fives beyond 2.5 km, bus service unknown",
    "network_cost_gbp": "hubs and spokes cost (GBP/yr)",
    "school_site_centres_kept": "school-site centres kept",
    "school_site_centres_amalgamated": "school-site centres amalgamated",
    "partnerships_split": "partnerships split across clusters",
    "centres_out_of_partnership": "centres moved out of their partnership",
    "areas_changing_centre": "areas changing centre",
    "children_changing_centre": "children changing centre",
    "management_cost_gbp": "management cost (GBP/yr)",
    "lots": "lots",
    "vcs_accessible_lots": "VCS-accessible lots",
    "market_bundles": "market bundles (adjacent lots under the cap)",
    "solver_status": "solver status",
    "gap": "gap",
    "travel_minutes_from": "travel minutes from",   # comparisons of plans timed by different sources only
}
_BY_LABEL = {v: k for k, v in METRICS.items()}


def label(metric: str) -> str:
    """The display label of a metric id (the id itself if it has none)."""
    return METRICS.get(metric, metric)


def metric_id(key: str) -> str:
    """The id of a metric given by id or by the display label an older plan folder used (``centres below 600`` is
    ``centres_below_floor``)."""
    if key in METRICS:
        return key
    if key.startswith("centres below "):
        return "centres_below_floor"
    return _BY_LABEL.get(key, key)


def service_points(plan, geo: Geography) -> pd.DataFrame:
    """Where a plan's families are served (``x``, ``y``, metres), by id: its serving centres or sites, and with family
    hubs its spokes (as the plan's spokes table places them)."""
    pts = facility_points(geo, sorted(plan.assignment["centre"].astype(str).unique()))
    sp = getattr(plan, "spokes", None)
    if sp is not None and len(sp):
        pts = pd.concat([pts, pd.DataFrame({"x": pd.to_numeric(sp["x"]).to_numpy(float),
                                            "y": pd.to_numeric(sp["y"]).to_numpy(float)},
                                           index=sp["spoke"].astype(str).to_numpy())])
    return pts


def buildings_used(plan) -> pd.Series:
    """Area -> the building its families use: the centre of its catchment, or for a family hubs plan its service
    point, named by today's centre id where the spoke is one of today's centre buildings."""
    a = plan.assignment
    if "service_point" not in a.columns:
        return pd.Series(a["centre"].astype(str).to_numpy(), index=a["area"].to_numpy())
    sp = plan.spokes if plan.spokes is not None and len(plan.spokes) else pd.DataFrame(columns=["spoke", "centre"])
    building = {s: c for s, c in zip(sp["spoke"].astype(str), sp["centre"].astype(str), strict=True) if c}
    return pd.Series([building.get(q, q) for q in a["service_point"].astype(str)], index=a["area"].to_numpy())


def near_figures(plan, geo: Geography, bus_min_calls: float = 1.0) -> dict[str, float | int | None]:
    """The straight-line reach of a plan: the share of deprived under-fives (England's 30% most deprived areas by
    IDACI) whose area's centroid is within 2.5 km of one of its service points (the band of the IFS 2024 Sure Start
    evaluation), and of those beyond it, how many live in areas without a bus service (fewer than ``bus_min_calls``
    weekday daytime bus stop calls) or where the geography has no bus figure."""
    d = nearest_metres(geo, service_points(plan, geo))
    dep = deprived_under5(geo.areas).astype(float)
    total = float(dep.sum())
    far = d > NEAR_METRES
    bus = bus_served(geo, bus_min_calls)
    return {"deprived_within_2_5km_pct": round(100 * float(dep[~far].sum()) / total, 1) if total else None,
            "deprived_beyond_2_5km_no_bus": int(dep[far & bus.eq(False).fillna(False)].sum()),
            "deprived_beyond_2_5km_bus_unknown": int(dep[far & bus.isna()].sum())}


def beyond_2_5km(plan, geo: Geography, bus_min_calls: float = 1.0) -> pd.DataFrame:
    """The deprived areas farther than 2.5 km (straight line) from every service point of the plan, with their
    children, metres to the nearest service point and bus service (True, False or unknown), most children first."""
    d = nearest_metres(geo, service_points(plan, geo))
    dep = deprived_under5(geo.areas)
    a = geo.areas
    rows = a[(d > NEAR_METRES) & (dep > 0)]
    bus = bus_served(geo, bus_min_calls)
    out = pd.DataFrame({"area": rows.index, "name": rows["name"], "district": rows["district"],
                        "deprived_children": dep[rows.index].astype(int).to_numpy(),
                        "metres": d[rows.index].round(0).astype(int).to_numpy(),
                        "bus_service": bus[rows.index].astype(object).where(bus[rows.index].notna(), "unknown")})
    return out.sort_values(["deprived_children", "area"], ascending=[False, True]).reset_index(drop=True)


def governance_figures(plan, geo: Geography) -> dict[str, int]:
    """School-site centres kept and amalgamated (plans over today's centres), and, for a clustered plan over a
    geography with partnerships (``geography.centre_facts``), the partnerships split across clusters and the centres
    moved out of their partnership (a partnership's kept centres outside the cluster holding most of them)."""
    from .governance import centre_governance, partnerships, school_site_centres
    cen = plan.centres
    if not len(cen) or not cen["centre"].isin(geo.centres.index).all() or "service_point" in plan.assignment.columns:
        return {}
    gov = centre_governance(geo)
    status = cen.set_index("centre")["status"]
    st = status.reindex(school_site_centres(gov))
    out = {"school_site_centres_kept": int(st.isin(["kept", "new"]).sum()),
           "school_site_centres_amalgamated": int((st == "amalgamated").sum())}
    a = plan.assignment
    clus = a.drop_duplicates("centre").set_index("centre")["cluster"].fillna("").astype(str)
    parts = partnerships(gov)
    if (clus != "").any() and parts:
        split = moved = 0
        for ids in parts.values():
            held = clus.reindex(ids).dropna()
            held = held[held != ""]
            if len(held) > 1:
                counts = held.value_counts()
                split += int(len(counts) > 1)
                moved += int(len(held) - counts.iloc[0])
        out["partnerships_split"] = split
        out["centres_out_of_partnership"] = moved
    return out


def per_centre(centres, geo: Geography, value, assignment: pd.Series | None = None) -> pd.Series:
    """A setting (a floor in children, a cost in pounds...) for each of ``centres``, by centre id: ``value`` itself
    where it is one value; where it is a value per district (:meth:`Scenario.by_district`, per-district policies),
    the value of the centre's district: the district of its home area (a centre or candidate site of the
    geography), else of the areas ``assignment`` (area -> centre) gives it."""
    ids = pd.Index(centres)
    if not isinstance(value, dict):
        return pd.Series([value] * len(ids), index=ids, dtype=object)
    district = geo.areas["district"].astype(str)
    homes = [t["home_area"] for t in (geo.centres, geo.sites) if "home_area" in t.columns]
    home = pd.concat(homes).dropna() if homes else pd.Series(dtype=object)
    where = home[~home.index.duplicated()].reindex(ids).map(district)
    if assignment is not None and where.isna().any():
        most = district.reindex(assignment.index).groupby(assignment.to_numpy()).agg(
            lambda d: d.value_counts().index[0])
        where = where.fillna(most.reindex(ids))
    return where.map({str(k): v for k, v in value.items()})


def centre_floors(centres, geo: Geography, floor: float | dict[str, float],
                  assignment: pd.Series | None = None) -> pd.Series:
    """The reach floor (children under five) that applies to each of ``centres`` (:func:`per_centre`)."""
    return per_centre(centres, geo, floor, assignment).astype(float)


def by_district(scn, geo: Geography, setting) -> object:
    """A ``setting`` of ``scn`` (a :class:`~clusterplan.scenario.Scenario`; ``setting`` a function of one) on
    ``geo``: one value, or a value per district where per-district policies set different ones
    (:meth:`Scenario.by_district`)."""
    return scn.by_district(sorted(geo.areas["district"].astype(str).unique()), setting) if scn.policies \
        else setting(scn)


def scenario_floors(scn, geo: Geography) -> float | dict[str, float]:
    """The reach floor of ``scn`` on ``geo`` (children): one number, or a floor per district (:func:`by_district`)."""
    return by_district(scn, geo, lambda s: s.floor)


def management_costs(scn, geo: Geography) -> float | dict[str, float | None] | None:
    """``centres.management_cost`` of ``scn`` on ``geo`` (pounds per kept centre per year): one number (or None,
    not given), or a cost per district where per-district policies set different ones (:func:`by_district`)."""
    return by_district(scn, geo, lambda s: s.centres.management_cost)


def floor_value(floor: float | dict[str, float]) -> float | str:
    """The ``reach_floor`` metric: the floor where there is one; where per-district policies set different floors,
    the range in words ("400 to 800 by district", children)."""
    if not isinstance(floor, dict):
        return floor
    low, high = min(floor.values()), max(floor.values())
    return low if low == high else f"{low:g} to {high:g} by district"


def plan_metrics(plan, geo: Geography, *, weight: float = 1.0, floor: float | dict[str, float] = 600.0,
                 status_quo: pd.DataFrame | None = None, management_cost: float | dict | None = None,
                 sites: str = "candidates", bus_min_calls: float = 1.0,
                 network_costs: tuple[float, float] | None = None) -> dict[str, float | int | str | None]:
    """Every comparison metric of one plan, keyed by its id (:data:`METRICS` gives the display labels).
    ``floor``: children, one number or a floor per district (:func:`centre_floors`), against which the centres
    below the floor are counted. ``status_quo`` is today's assignment (area, centre) for the change counts;
    ``management_cost`` is pounds per kept centre per year (one number, or one per district as ``floor``; the metric
    only where every kept centre has one); ``bus_min_calls`` the weekday daytime bus stop calls
    an area needs to count as served by bus; ``network_costs`` (pounds per hub, per spoke per year) for a family
    hubs plan."""
    a = geo.areas
    assign = plan.assignment
    t = _minutes(geo, assign, plan.model, sites).reindex(a.index)
    p = a["under5"].astype(float)
    f = Facts.of(geo, assign.set_index("area")["centre"], t.to_numpy(), weight)
    served = plan.centres[plan.centres["status"].isin(["kept", "new"])]
    closing = plan.centres["status"] == "amalgamated"
    if "role" in plan.centres.columns and plan.centres["role"].notna().any():
        closing &= plan.centres["role"] == "closed"   # family hubs: a centre made a spoke stays open
    placed = assign.set_index("area")["centre"]
    served_floor = centre_floors(served["centre"], geo, floor, placed).to_numpy()
    out: dict[str, float | int | str | None] = {
        "reach_floor": floor_value(floor),
        "centres_kept": int(len(served)),
        "centres_amalgamated": int(closing.sum()),
        # family hubs: the centres neither hubs nor closed (with the two above, every centre of the plan)
        **({"centres_as_spokes": int((plan.centres["role"] == "spoke").sum())}
           if "role" in plan.centres.columns and plan.centres["role"].notna().any() else {}),
        "centres_below_floor": int((served["reach"].to_numpy() < served_floor).sum()),
        "lowest_reach": int(served["reach"].min()) if len(served) else None,
        "clusters": int(assign["cluster"].replace("", np.nan).nunique()),
    }
    for key in ("mean_minutes", "p90_minutes", "mean_minutes_rural", "p90_minutes_rural", "mean_minutes_urban",
                "p90_minutes_urban", "weighted_child_minutes", "deprived_within_15_min_pct",
                "deprived_within_30_min_pct"):
        v = FIGURES[key](f)
        out[key] = None if v is None else round(v, 1 if key.startswith(("weighted", "deprived")) else 2)
    if status_quo is not None:   # today's network, for every plan: what it is measured against
        today = status_quo.set_index("area")["centre"].reindex(a.index)
        today_reach = p.groupby(today.to_numpy()).sum()
        out["centres_today"] = int(len(today_reach))
        out["centres_below_floor_today"] = int(
            (today_reach.to_numpy() < centre_floors(today_reach.index, geo, floor, today).to_numpy()).sum())
    if status_quo is not None and plan.centres["centre"].isin(geo.centres.index).all():
        # only meaningful when the plan's centres are today's centres (not a new network of sites)
        before = status_quo.set_index("area")["centre"].reindex(a.index)
        after = buildings_used(plan).reindex(a.index)  # family hubs: the building a family goes to
        changed = before != after
        out["areas_changing_centre"] = int(changed.sum())
        out["children_changing_centre"] = int(p[changed].sum())
    out.update(governance_figures(plan, geo))
    costs = per_centre(served["centre"], geo, management_cost, placed)
    if management_cost is not None and costs.notna().all():   # every kept centre costed (policies: each its own)
        out["management_cost_gbp"] = round(float(costs.astype(float).sum()))
    hubs_plan = "service_point" in assign.columns
    n_spokes = int(len(plan.spokes)) if hubs_plan and plan.spokes is not None else 0
    out["service_points"] = int(len(served)) + n_spokes
    if hubs_plan:
        out["hubs"] = int(len(served))
        out["spokes"] = n_spokes
    out.update(near_figures(plan, geo, bus_min_calls))
    if network_costs is not None and hubs_plan:
        out["network_cost_gbp"] = round(network_costs[0] * len(served) + network_costs[1] * n_spokes)
    r = plan.report
    out["solver_status"] = r.status
    out["gap"] = None if r.gap is None else round(float(r.gap), 6)
    return out
