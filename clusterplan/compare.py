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


KEY_FIGURES = ("centres kept", "centres amalgamated", "lowest reach", "mean minutes",
               "deprived under-fives within 15 min (%)", "children changing centre", "clusters", "solver status")


def key_figures(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison a slide has room for (those present), plus centres below the floor."""
    rows = [r for r in table.index if r in KEY_FIGURES or str(r).startswith("centres below")]
    order = sorted(rows, key=lambda r: (KEY_FIGURES.index(r) if r in KEY_FIGURES else 1.5))
    return table.loc[order]


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
