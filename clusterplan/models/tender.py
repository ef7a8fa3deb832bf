"""Tender stage: each kept centre becomes a lot, valued from the budget by a funding formula.

    value_j = budget * (r_j + u * e_j) / sum_k (r_k + u * e_k)          (pounds per year)

r_j: children under five in centre j's catchment (its reach); e_j: those living in England's 30% most deprived areas
by IDACI; u: ``tender.deprivation_uplift`` (a deprived child counts 1 + u). A lot is within reach of a small voluntary
or community (VCS) provider when its value is at or under ``tender.lot_value_cap``. No optimisation: the formula is
applied to the plan's kept centres.

Each lot also carries its centre's lead partner and host school, and the governance forms that could hold it, from
the stated rule table :data:`clusterplan.governance.FORM_RULES` (options, never a decision). With
``tender.bundle_max_lots`` the market bundles (:mod:`clusterplan.bundles`) are listed too.
"""

from __future__ import annotations

import pandas as pd

from .. import bundles, governance
from ..scenario import Tender


def lots(plan, tender: Tender, gov: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per kept centre: ``lot, centre, name, reach, deprived_children, weight, share`` (of the budget),
    ``value`` (pounds per year; empty without a budget) and ``vcs_accessible`` (empty without budget and cap); with
    ``gov`` (:func:`clusterplan.governance.centre_governance`) also ``lead_partner``, ``host_school``,
    ``host_urn``, ``governance_options`` and ``governance_rules``."""
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
    cols = ["lot", "centre", "name", "reach", "deprived_children", "weight", "share", "value", "vcs_accessible"]
    if gov is not None:
        g = gov.reindex(kept["centre"])
        kept["lead_partner"] = g["lead_partner"].fillna("unknown").to_numpy()
        school = g["on_school_site"].fillna(False).astype(bool).to_numpy()
        kept["host_school"] = [(str(n) + (" (doubtful)" if d else "")) if s else ""
                               for n, d, s in zip(g["host_name"], g["host_doubtful"], school, strict=True)]
        kept["host_urn"] = [str(u) if s and isinstance(u, str) else "" for u, s in zip(g["host_urn"], school,
                                                                                        strict=True)]
        opts = [governance.form_options(s, lp, v, cap if tender.budget is not None else None)
                for s, lp, v in zip(school, kept["lead_partner"], kept["value"], strict=True)]
        kept["governance_options"] = [o for o, _ in opts]
        kept["governance_rules"] = [r for _, r in opts]
        cols += ["lead_partner", "host_school", "host_urn", "governance_options", "governance_rules"]
    return kept[cols]


def add_lots(plan, geo, scn, ctx):
    """The tender stage: ``plan`` with one lot per kept centre (``scn.tender``'s budget and cap), their governance
    options, and the market bundles where asked for."""
    table = lots(plan, scn.tender, governance.centre_governance(geo))
    out = plan.but(lots=table)
    if scn.tender.bundle_max_lots is not None:
        out = out.but(bundles=bundles.market_bundles(table, plan.assignment, geo, scn.tender.bundle_max_lots,
                                                     scn.tender.bundle_cap))
    return out
