"""Side-by-side comparison of plans: one column per scenario, one row per metric."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from . import registry
from .errors import count_of, percent
from .io import replace_file, write_csv
from .maps import as_count, format_value
from .maps import comparison_figure as _figure
from .metrics import label, metric_id
from .plan import Plan

#: The comparison's row naming where each plan's travel minutes come from, present where they differ.
MINUTES_FROM = "travel_minutes_from"


def compare(plans: Iterable[Plan], geos: list | None = None) -> pd.DataFrame:
    """One table, one column per scenario (named by ``plan.scenario_name``), one row per metric, labelled for
    reading (see :data:`clusterplan.metrics.METRICS` for the ids). Metrics a plan does not have are left empty.
    ``geos``: each plan's geography; where their travel minutes come from different sources (the model, your
    tables), a last row says which, since their minutes are then not measured alike."""
    plans = [plans] if isinstance(plans, Plan | str | bytes) else list(plans)   # one plan: a table of one column
    odd = [f"{n + 1} ({type(p).__name__})" for n, p in enumerate(plans) if not isinstance(p, Plan)]
    if odd:
        raise TypeError(f"compare: expected plans (clusterplan.solve, clusterplan.read_plan); item "
                        f"{', '.join(odd)} is not one")
    geos = list(geos) if geos is not None else None
    if geos is not None and len(geos) != len(plans):
        raise TypeError(f"compare: `geos` gives {count_of(len(geos), 'geography', 'geographies')} for "
                        f"{count_of(len(plans), 'plan', 'plans')}; give one per plan, in the same order")
    cols = {}
    sources = [minutes_from(g) for g in geos] if geos is not None else []
    differ = len(set(sources)) > 1
    for n, p in enumerate(plans):
        name = p.scenario_name if p.scenario_name not in cols else f"{p.scenario_name} ({n + 1})"
        cols[name] = pd.Series({**{metric_id(k): as_count(metric_id(k), v) for k, v in p.metrics.items()},
                                **({MINUTES_FROM: sources[n]} if differ else {})}, dtype=object)
    rows = list(dict.fromkeys([*(metric_id(k) for p in plans for k in p.metrics), *([MINUTES_FROM] if differ
                                                                                    else [])]))
    table = pd.DataFrame(cols).reindex(rows)
    table.index = [label(k) for k in rows]
    table.index.name = "metric"
    return table


def minutes_from(geo) -> str:
    """Where a geography's travel minutes come from, in a few words: "the calibrated model" or "your table
    minutes.csv" (with "; the rest: the model" where the table timed the centres or the sites only)."""
    if geo.travel_by_model == "all":
        return "the calibrated model"
    return geo.travel_source.split(" (")[0] + ("; the rest: the model" if geo.travel_by_model == "some" else "")


KEY_FIGURES = ("centres_kept", "centres_amalgamated", "centres_as_spokes", "centres_below_floor", "lowest_reach",
               "service_points", "mean_minutes", "deprived_within_15_min_pct", "deprived_within_2_5km_pct",
               "children_changing_centre", "clusters", "solver_status", MINUTES_FROM)


def key_figures(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison (from :func:`compare`) a slide has room for, those present, in a fixed order; the
    reach floor too where the plans' floors differ (family hubs of 1,500 beside centres of 600: "centres below the
    floor" and "lowest reach" are read against it)."""
    wanted = [label(k) for k in KEY_FIGURES]
    rows = [r for r in wanted if r in table.index]
    floor = label("reach_floor")
    if floor in table.index and table.loc[floor].astype(str).nunique() > 1:
        below = label("centres_below_floor")
        rows.insert(rows.index(below) if below in rows else 0, floor)
    return table.loc[rows]


# the key figures as a terminal has room for them: a short heading for each (the full labels are comparison.csv's)
SHORT_HEADINGS = {
    "reach_floor": "floor", "centres_kept": "kept", "centres_amalgamated": "amalgamated",
    "centres_as_spokes": "spokes",
    "centres_below_floor": "below floor", "lowest_reach": "lowest reach", "service_points": "service points",
    "mean_minutes": "mean min", "deprived_within_15_min_pct": "deprived <=15 min %",
    "deprived_within_2_5km_pct": "deprived <=2.5 km %", "children_changing_centre": "children moving",
    "clusters": "clusters", "solver_status": "status", "gap": "gap", MINUTES_FROM: "minutes from"}


def for_terminal(table: pd.DataFrame) -> pd.DataFrame:
    """The key figures of a comparison (from :func:`compare`) turned for a terminal: one row per scenario, short
    headings, numbers as the report writes them ("-" for a figure a plan does not have, the gap in per cent)."""
    ids = {label(k): k for k in SHORT_HEADINGS}
    rows = table.T.rename(columns=lambda c: ids.get(c, c))
    rows.index.name = "scenario"
    return key_columns(rows)


def key_columns(rows: pd.DataFrame, first: list[str] = ()) -> pd.DataFrame:
    """``rows`` (one per plan, a column per metric id, as ``sweep.csv`` and ``batch.csv`` hold them) cut to the
    columns ``first`` and the key figures, under short headings and written for reading (see :func:`for_terminal`);
    a key figure no plan has is left out."""
    keys = [k for k in SHORT_HEADINGS if k in rows.columns and k not in first]
    shown = pd.DataFrame(index=rows.index, dtype=object)
    for k in [*first, *keys]:
        shown[SHORT_HEADINGS.get(k, k)] = [_cell(v, k) for v in rows[k]]
    return shown.loc[:, [c for c in shown.columns if not shown[c].eq("-").all()]]


def _cell(v, key: str) -> str:
    number = isinstance(v, int | float | np.number) and not isinstance(v, bool) and v == v
    return percent(float(v)) if key == "gap" and number else format_value(v, key)


def comparison_figure(plans: list[Plan], geo, status_quo: Plan | None = None, table: pd.DataFrame | None = None):
    """Slide-sized maps of every compared plan side by side (today's network first: the status-quo plan if
    compared, else the first plan's baseline) with the key figures of ``table`` (from :func:`compare`) beneath.
    ``geo``: the plans' geography, or a list of one per plan where they differ (:func:`clusterplan.maps.
    comparison_figure`)."""
    plans = list(plans)
    source = status_quo if status_quo is not None else next((p for p in plans if p.baseline is not None), None)
    today = status_quo if status_quo is not None else source.baseline if source is not None else None
    shown = [p for p in plans if p is not status_quo]
    keys = None
    if table is not None:
        keys = key_figures(table)
        names = [status_quo.scenario_name] if status_quo is not None else []
        keys = keys[[c for c in keys.columns if c in names] + [c for c in keys.columns if c not in names]]
    if isinstance(geo, list | tuple):   # one per plan: reorder as drawn (today first, on its own plan's geography)
        if len(geo) != len(plans):
            raise ValueError(f"comparison_figure: {len(plans)} plans but {len(geo)} geographies")
        own = {id(p): g for p, g in zip(plans, geo, strict=True)}
        geo = ([own.get(id(source), geo[0])] if today is not None else []) + [own[id(p)] for p in shown]
    return _figure(shown, geo, status_quo=today, table=keys)


def write(plans: list[Plan], geo, table: pd.DataFrame, out: str | Path) -> list[str]:
    """Write ``comparison.csv`` (``table``, from :func:`compare`) and the side-by-side maps ``comparison.png`` and
    ``comparison.pdf`` into ``out`` (each file replaced atomically); returns the names written. ``geo``: as for
    :func:`comparison_figure`."""
    out = Path(out)
    replace_file(out / "comparison.csv", lambda p: write_csv(table, p))
    sq = next((p for p in plans if registry.info(p.model).headline == "today"), None)
    fig = comparison_figure(plans, geo, status_quo=sq, table=table)
    replace_file(out / "comparison.png", lambda p: fig.savefig(p, dpi=120, format="png"))
    replace_file(out / "comparison.pdf", lambda p: fig.savefig(p, format="pdf"))
    return ["comparison.csv", "comparison.png", "comparison.pdf"]
