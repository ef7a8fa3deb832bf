"""Side-by-side comparison of plans: one column per scenario, one row per metric."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .plan import Plan


def compare(plans: Iterable[Plan]) -> pd.DataFrame:
    """One table, one column per scenario (named by ``plan.scenario_name``), one row per metric
    (see :func:`clusterplan.metrics.plan_metrics`). Metrics a plan does not have are left empty."""
    plans = list(plans)
    cols = {}
    for n, p in enumerate(plans):
        name = p.scenario_name if p.scenario_name not in cols else f"{p.scenario_name} ({n + 1})"
        cols[name] = pd.Series(p.metrics, dtype=object)
    rows = list(dict.fromkeys(k for p in plans for k in p.metrics))
    return pd.DataFrame(cols).reindex(rows)


def comparison_figure(plans: list[Plan], geo, status_quo: Plan | None = None):
    """Maps side by side: each plan's catchments, and (with ``status_quo``) a row of what changes."""
    import matplotlib.pyplot as plt

    from .report import SOURCE, change_map, plan_map
    rows = 2 if status_quo is not None else 1
    fig, axes = plt.subplots(rows, len(plans), figsize=(5 * len(plans), 4.6 * rows), squeeze=False)
    for k, p in enumerate(plans):
        plan_map(p, geo, ax=axes[0][k], title=p.scenario_name)
        if status_quo is not None:
            change_map(p, status_quo, geo, ax=axes[1][k], title=f"{p.scenario_name}: changes vs status quo")
    fig.text(0.01, 0.005, SOURCE, fontsize=7)
    fig.tight_layout()
    return fig
