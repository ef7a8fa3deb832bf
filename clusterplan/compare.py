"""Side-by-side comparison of plans: one column per scenario, one row per metric."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .plan import Plan


def compare(plans: Iterable[Plan]) -> pd.DataFrame:
    """One table, one column per scenario (named by ``plan.scenario_name``), one row per metric, labelled for
    reading (see :data:`clusterplan.metrics.METRICS` for the ids). Metrics a plan does not have are left empty."""
    from .metrics import label, metric_id
    plans = list(plans)
    cols = {}
    for n, p in enumerate(plans):
        name = p.scenario_name if p.scenario_name not in cols else f"{p.scenario_name} ({n + 1})"
        cols[name] = pd.Series({metric_id(k): v for k, v in p.metrics.items()}, dtype=object)
    rows = list(dict.fromkeys(metric_id(k) for p in plans for k in p.metrics))
    table = pd.DataFrame(cols).reindex(rows)
    table.index = [label(k) for k in rows]
    table.index.name = "metric"
    return table


KEY_FIGURES = ("centres_kept", "centres_amalgamated", "centres_below_floor", "lowest_reach", "mean_minutes",
               "deprived_within_15_min_pct", "children_changing_centre", "clusters", "solver_status")


def key_figures(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison (from :func:`compare`) a slide has room for, those present, in a fixed order."""
    from .metrics import label
    wanted = [label(k) for k in KEY_FIGURES]
    return table.loc[[r for r in wanted if r in table.index]]


def comparison_figure(plans: list[Plan], geo, status_quo: Plan | None = None, table: pd.DataFrame | None = None):
    """Slide-sized maps of every compared plan side by side (today's network first: the status-quo plan if
    compared, else the first plan's baseline) with the key figures of ``table`` (from :func:`compare`) beneath."""
    from .maps import comparison_figure as figure
    plans = list(plans)
    today = status_quo if status_quo is not None else next((p.baseline for p in plans if p.baseline is not None),
                                                           None)
    shown = [p for p in plans if p is not status_quo]
    keys = None
    if table is not None:
        keys = key_figures(table)
        names = [status_quo.scenario_name] if status_quo is not None else []
        keys = keys[[c for c in keys.columns if c in names] + [c for c in keys.columns if c not in names]]
    return figure(shown, geo, status_quo=today, table=keys)
