"""The objective shared by the assignment models: deprivation-weighted child travel.

    cost[i, j] = p_i * (1 + w * d_i) * t_ij          (weighted child-minutes)

p_i: children under five in area i; d_i: IDACI score of area i (0-1); w: ``deprivation.weight`` (dimensionless);
t_ij: minutes from area i to centre j. A scenario may add ``centres.fixed_cost`` weighted child-minutes per kept
centre. The checker and the tests recompute the objective from a plan with :func:`plan_objective`.
"""

from __future__ import annotations

# The definitions live in clusterplan.measures, shared with the independent checker (inputs, not code paths).
from ..measures import (  # noqa: F401 - re-exported for the models
    DEPRIVED_IDACI,
    assigned_minutes,
    child_weights,
    deprived_under5,
    plan_objective,
)
