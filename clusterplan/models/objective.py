"""The objective shared by the assignment models: deprivation-weighted child travel.

    cost[i, j] = p_i * (1 + w * d_i) * t_ij          (weighted child-minutes)

p_i: children under five in area i; d_i: IDACI score of area i (0-1); w: ``deprivation.weight`` (dimensionless);
t_ij: minutes from area i to centre j. A scenario may add ``centres.fixed_cost`` weighted child-minutes per kept
centre. The checker and the tests recompute the objective from a plan with :func:`plan_objective`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: IoD2019 IDACI score of the 9,853rd most deprived of England's 32,844 LSOAs: an area scoring at least this is in
#: England's 30% most deprived for income deprivation affecting children (ties at the cut are included).
#: Reproduce: sort `IDACI Score` of shared/data/england/england_lsoa11_iod2019_income_idaci_idaopi_scores.csv.
DEPRIVED_IDACI = 0.203


def deprived_under5(areas: pd.DataFrame) -> pd.Series:
    """Children under five per area if the area is in England's 30% most deprived by IDACI, else 0 (children)."""
    return areas["under5"].where(areas["idaci"] >= DEPRIVED_IDACI, 0)


def child_weights(areas: pd.DataFrame, weight: float) -> pd.Series:
    """p_i (1 + w d_i): weighted children per area. Missing IDACI counts as 0 (noted by the geography)."""
    return areas["under5"] * (1.0 + weight * areas["idaci"].fillna(0.0))


def assigned_minutes(minutes: pd.DataFrame, areas, centres) -> np.ndarray:
    """Minutes from each area to the centre it is assigned to: ``minutes`` (areas x centres) looked up pairwise."""
    return minutes.to_numpy()[minutes.index.get_indexer(areas), minutes.columns.get_indexer(centres)]


def plan_objective(assignment: pd.DataFrame, areas: pd.DataFrame, minutes: pd.DataFrame, weight: float,
                   fixed_cost: float = 0.0) -> float:
    """Weighted child-minutes of an assignment (``area``, ``centre`` columns) plus fixed cost per centre used."""
    w = child_weights(areas, weight)
    a = assignment.set_index("area")["centre"]
    t = assigned_minutes(minutes, a.index, a.to_numpy())
    return float(np.sum(w.reindex(a.index).to_numpy() * t) + fixed_cost * a.nunique())
