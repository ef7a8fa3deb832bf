"""Metrics: pure functions from a plan (and its geography) to the numbers a commissioner compares.

Units: children (under fives), minutes, pounds. "Deprived" areas are England's 30% most deprived by IDACI 2019
(:data:`clusterplan.models.objective.DEPRIVED_IDACI`). Travel is each child's minutes to their plan centre.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .geography import Geography
from .measures import assigned_minutes, child_weights, deprived_under5, facility_minutes, model_facilities


def _minutes(geo: Geography, assignment: pd.DataFrame, model: str, sites: str = "candidates") -> pd.Series:
    m = facility_minutes(geo, model_facilities(model, sites))
    a = assignment.set_index("area")["centre"]
    return pd.Series(assigned_minutes(m, a.index, a.to_numpy()), index=a.index)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if weights.sum() == 0:
        return float("nan")
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cum, q)])


#: Every metric's stable id (snake_case, the key in ``plan.metrics`` and ``metrics.json``) and its display label.
METRICS: dict[str, str] = {
    "reach_floor": "reach floor (children)",
    "centres_kept": "centres kept",
    "centres_amalgamated": "centres amalgamated",
    "centres_below_floor": "centres below the floor",
    "lowest_reach": "lowest reach",
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
    "areas_changing_centre": "areas changing centre",
    "children_changing_centre": "children changing centre",
    "management_cost_gbp": "management cost (GBP/yr)",
    "lots": "lots",
    "vcs_accessible_lots": "VCS-accessible lots",
    "solver_status": "solver status",
    "gap": "gap",
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


def plan_metrics(plan, geo: Geography, *, weight: float = 1.0, floor: float = 600.0,
                 status_quo: pd.DataFrame | None = None, management_cost: float | None = None,
                 sites: str = "candidates") -> dict[str, float | int | str | None]:
    """Every comparison metric of one plan, keyed by its id (:data:`METRICS` gives the display labels).
    ``status_quo`` is today's assignment (area, centre) for the change counts; ``management_cost`` is pounds per
    kept centre per year."""
    a = geo.areas
    assign = plan.assignment
    t = _minutes(geo, assign, plan.model, sites).reindex(a.index)
    p = a["under5"].astype(float)
    rural = a["rural_urban"].fillna("").str[:1].isin(["D", "E"])
    dep = deprived_under5(a).astype(float)
    served = plan.centres[plan.centres["status"].isin(["kept", "new"])]
    out: dict[str, float | int | str | None] = {
        "reach_floor": floor,
        "centres_kept": int(len(served)),
        "centres_amalgamated": int((plan.centres["status"] == "amalgamated").sum()),
        "centres_below_floor": int((served["reach"] < floor).sum()),
        "lowest_reach": int(served["reach"].min()) if len(served) else None,
        "clusters": int(assign["cluster"].replace("", np.nan).nunique()),
    }
    for suffix, mask in (("", np.ones(len(a), bool)), ("_rural", rural.to_numpy()), ("_urban", ~rural.to_numpy())):
        w = p.to_numpy() * mask
        out[f"mean_minutes{suffix}"] = round(float(np.sum(w * t.to_numpy()) / w.sum()), 2) if w.sum() else None
        out[f"p90_minutes{suffix}"] = round(_weighted_quantile(t.to_numpy(), w, 0.9), 2) if w.sum() else None
    out["weighted_child_minutes"] = round(float(np.sum(child_weights(a, weight) * t)), 1)
    dep_kids = float(dep.sum())
    for limit in (15, 30):
        near = float(dep[t <= limit].sum())
        out[f"deprived_within_{limit}_min_pct"] = round(100 * near / dep_kids, 1) if dep_kids else None
    if status_quo is not None and plan.centres["centre"].isin(geo.centres.index).all():
        # only meaningful when the plan's centres are today's centres (not a new network of sites)
        before = status_quo.set_index("area")["centre"].reindex(a.index)
        after = assign.set_index("area")["centre"].reindex(a.index)
        changed = before != after
        out["areas_changing_centre"] = int(changed.sum())
        out["children_changing_centre"] = int(p[changed].sum())
    if management_cost is not None:
        out["management_cost_gbp"] = round(management_cost * len(served))
    r = plan.report
    out["solver_status"] = r.status
    out["gap"] = None if r.gap is None else round(float(r.gap), 6)
    return out
