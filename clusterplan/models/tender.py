"""Tender stage: each kept centre becomes a lot, valued from the budget by a funding formula.

    value_j = budget * (r_j + u * e_j) / sum_k (r_k + u * e_k)          (pounds per year)

r_j: children under five in centre j's catchment (its reach); e_j: those living in England's 30% most deprived areas
by IDACI; u: ``tender.deprivation_uplift`` (a deprived child counts 1 + u). A lot is within reach of a small voluntary
or community (VCS) provider when its value is at or under ``tender.lot_value_cap``. No optimisation: the formula is
applied to the plan's kept centres.
"""

from __future__ import annotations

import pandas as pd

from ..scenario import Tender


def lots(plan, tender: Tender) -> pd.DataFrame:
    """One row per kept centre: ``lot, centre, name, reach, deprived_children, weight, share`` (of the budget),
    ``value`` (pounds per year; empty without a budget) and ``vcs_accessible`` (empty without budget and cap)."""
    kept = plan.centres[plan.centres["status"].isin(["kept", "new"])].copy()
    kept["weight"] = kept["reach"] + tender.deprivation_uplift * kept["deprived_children"]
    total = float(kept["weight"].sum())
    kept["share"] = (kept["weight"] / total).round(6) if total > 0 else float("nan")
    if tender.budget is not None and total > 0:
        kept["value"] = (tender.budget * kept["weight"] / total).round(2)
    else:
        kept["value"] = float("nan")
    cap = tender.lot_value_cap
    # Without a budget and a cap there is no way to say which lots a small provider could bid for: leave it empty.
    kept["vcs_accessible"] = kept["value"].le(cap) if (cap is not None and tender.budget is not None) else pd.NA
    kept = kept.sort_values("centre").reset_index(drop=True)
    kept.insert(0, "lot", [f"lot {n + 1:02d}" for n in range(len(kept))])
    return kept[["lot", "centre", "name", "reach", "deprived_children", "weight", "share", "value", "vcs_accessible"]]


def add_lots(plan, geo, scn, ctx):
    """The tender stage: ``plan`` with one lot per kept centre (``scn.tender``'s budget and cap)."""
    return plan.but(lots=lots(plan, scn.tender))
