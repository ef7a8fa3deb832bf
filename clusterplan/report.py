"""Reports: maps (matplotlib) and a self-contained HTML page and spreadsheet for a plan or a comparison.

Every figure has a title, units and a source line. The HTML embeds its maps as PNG, so it opens in a browser with no
server and no network.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .datasets import ATTRIBUTION  # noqa: E402
from .geography import Geography  # noqa: E402
from .io import FORMULA_START  # noqa: E402

SOURCE = "Source: ONS, MHCLG IoD2019, DfE GIAS, public reports; clusterplan. " \
         "Contains OS data © Crown copyright and database right."


def plan_map(plan, geo: Geography, ax=None, title: str | None = None):
    """Catchments coloured by centre (clusters outlined where there are any), kept and amalgamated centres."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(7, 6))
    a = geo.areas.join(plan.assignment.set_index("area"))
    codes = {c: n for n, c in enumerate(sorted(a["centre"].unique()))}
    colours = plt.get_cmap("tab20")(np.array([codes[c] % 20 for c in a["centre"]]))
    a.plot(ax=ax, color=colours, linewidth=0.1, edgecolor="white")
    if a["cluster"].astype(str).str.len().gt(0).any():
        a.dissolve(by="cluster").boundary.plot(ax=ax, color="black", linewidth=1.2)
    else:
        a.dissolve(by="centre").boundary.plot(ax=ax, color="black", linewidth=0.5)
    c = plan.centres
    if c["centre"].isin(geo.centres.index).all():  # existing centres (any model that keeps or merges them)
        pts = geo.centres.loc[c["centre"]]
        kept = c["status"].to_numpy() == "kept"
        ax.scatter(pts["x"][kept], pts["y"][kept], s=28, c="black", marker="o", label="kept", zorder=3)
        ax.scatter(pts["x"][~kept], pts["y"][~kept], s=40, c="red", marker="x", label="amalgamated", zorder=3)
    else:
        pts = geo.areas.loc[c["home_area"]]
        ax.scatter(pts["x"], pts["y"], s=20, c="black", marker="^", label="new centre", zorder=3)
    ax.legend(loc="lower left", fontsize=7)
    ax.set_title(title or f"{plan.scenario_name}: catchments", fontsize=10)
    ax.set_axis_off()
    if own:
        fig.text(0.01, 0.01, SOURCE, fontsize=6)
        return fig
    return ax


def change_map(plan, base, geo: Geography, ax=None, title: str | None = None):
    """Areas whose centre changes versus ``base`` (the status quo), shaded by their under-fives (children)."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(7, 6))
    a = geo.areas
    if not plan.centres["centre"].isin(geo.centres.index).all():
        a.plot(ax=ax, color="#eeeeee", linewidth=0.1, edgecolor="white")
        ax.set_title(title or plan.scenario_name, fontsize=10)
        ax.text(0.5, 0.5, "a new network of sites:\nnot comparable centre by centre", ha="center", va="center",
                transform=ax.transAxes, fontsize=9)
        ax.set_axis_off()
        return fig if own else ax
    before = base.assignment.set_index("area")["centre"].reindex(a.index)
    after = plan.assignment.set_index("area")["centre"].reindex(a.index)
    changed = before != after
    a.plot(ax=ax, color="#eeeeee", linewidth=0.1, edgecolor="white")
    if changed.any():
        a[changed].plot(ax=ax, column="under5", cmap="Oranges", linewidth=0.1, edgecolor="grey", legend=True,
                        legend_kwds={"label": "children under five (areas changing centre)", "shrink": 0.6})
    ax.set_title(title or f"{plan.scenario_name}: {int(changed.sum())} areas, {int(a['under5'][changed].sum()):,} "
                 "children change centre", fontsize=10)
    ax.set_axis_off()
    if own:
        fig.text(0.01, 0.01, SOURCE, fontsize=6)
        return fig
    return ax


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, na_rep="", float_format=lambda v: f"{v:,.2f}", border=0, classes="t")


CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}table.t{border-collapse:collapse;font-size:.85em}
table.t td,table.t th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
.small{font-size:.75em;color:#555}img{max-width:100%}"""


def write_html(plan, geo: Geography, scn, path: str | Path) -> None:
    """A self-contained HTML report of one plan: summary, proof, map, centres, clusters, lots, notes."""
    r = plan.report
    metrics = pd.DataFrame({"metric": list(plan.metrics), "value": [str(v) for v in plan.metrics.values()]})
    proof = pd.DataFrame({"": ["status", "objective", "bound", "gap", "seconds", "solver", "time limit (s)", "scope"],
                          "value": [r.status, r.objective, r.bound, r.gap, r.seconds, r.solver_version,
                                    r.time_limit, r.scope]})
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(plan.scenario_name)}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>{html.escape(plan.scenario_name)}</h1>",
             f"<p>{html.escape(geo.name)}; model <b>{plan.model}</b>. Every constraint of this plan was re-verified "
             "by clusterplan's independent checker.</p>",
             "<h2>Summary</h2>", _table(metrics), "<h2>What the solver proved</h2>", _table(proof),
             f"<h2>Map</h2><img alt='catchments map' src='data:image/png;base64,{_png(plan_map(plan, geo))}'>",
             "<h2>Centres</h2>", _table(plan.centres)]
    if len(plan.why):
        parts += ["<h2>Why this plan</h2><p>For each amalgamated centre, the binding reason, found by re-solving "
                  "with that centre locked open: the cost of the lock is exact, not estimated. A knife-edge decision "
                  "costs under 0.1% of the optimum to reverse.</p>", _table(plan.why)]
    if len(plan.clusters):
        parts += ["<h2>Clusters</h2>", _table(plan.clusters)]
    if len(plan.lots):
        parts += ["<h2>Lots</h2>", _table(plan.lots)]
    if plan.notes:
        parts += ["<h2>Notes</h2><ul>"] + [f"<li>{html.escape(n)}</li>" for n in plan.notes] + ["</ul>"]
    parts += [f"<p class='small'>{html.escape(ATTRIBUTION)}</p></body></html>"]
    Path(path).write_text("\n".join(parts), encoding="utf-8")


def write_xlsx(plan, path: str | Path) -> None:
    """The plan's tables as sheets of one spreadsheet. Text that Excel would run as a formula (a centre named
    ``=HYPERLINK(...)``) is stored as text, never as a formula."""
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"metric": list(plan.metrics), "value": [str(v) for v in plan.metrics.values()]}).to_excel(
            xl, sheet_name="summary", index=False)
        plan.centres.to_excel(xl, sheet_name="centres", index=False)
        plan.assignment.to_excel(xl, sheet_name="assignment", index=False)
        if len(plan.clusters):
            plan.clusters.to_excel(xl, sheet_name="clusters", index=False)
        if len(plan.lots):
            plan.lots.to_excel(xl, sheet_name="lots", index=False)
        pd.DataFrame({"key": list(plan.report.to_dict()), "value": [str(v) for v in plan.report.to_dict().values()]}
                     ).to_excel(xl, sheet_name="solver", index=False)
        for sheet in xl.sheets.values():
            text_not_formulas(sheet)


def text_not_formulas(sheet) -> None:
    """Store every cell whose text starts like a formula (``= + - @``) as plain text (OWASP CSV injection)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"
