"""Maps of plans (matplotlib): catchments in colours that differ between neighbours, centres named, closing centres
joined to the centre that receives their children, a scale bar and a north arrow, and a source line.

Pure drawing: every function takes a plan (and its geography) and returns a figure or draws on the axes it is
given. Units on the maps: kilometres (scale bar); the geography's CRS is in metres.
"""

from __future__ import annotations

import functools
import re
import textwrap

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle
from matplotlib.text import Text
from shapely.geometry import box

from .datasets import data_origin
from .errors import count_of
from .geography import Geography
from .labels import Label, place, renderer_of
from .measures import NEAR_METRES, centre_graph, facility_points, nearest_metres

#: The source line of a map drawn on the built-in open data (Norfolk's, or England's tables).
SOURCE = "Source: ONS, MHCLG IoD2019, DfE GIAS, public reports; clusterplan. " \
         "Contains OS data © Crown copyright and database right."
#: Colours for catchments: a qualitative palette; neighbouring catchments never share one.
PALETTE = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#bc80bd",
           "#ccebc5", "#ffed6f", "#d9d9d9"]
#: At most this many centres are named on a map (a capacity plan's 73 new centres are marked, not named).
MAX_LABELS = 60


def plain_text(draw):
    """Draw with matplotlib's mathtext off: a scenario, centre or area name holding two $ signs ("$5 a child, not
    $10") is printed as written, not set as a formula in italics with the signs gone. Text made inside the call is
    made so, and every text of the axes or figure it returns (a title set on axes the caller made) is set so after;
    the caller's own setting is restored. Only that one setting is touched: ``plt.rc_context`` would also undo what
    a notebook's inline backend sets up when the first figure of a session is drawn inside it, and the notebook's
    later figures would not show."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        before = plt.rcParams["text.parse_math"]
        plt.rcParams["text.parse_math"] = False
        try:
            out = draw(*args, **kwargs)
        finally:
            plt.rcParams["text.parse_math"] = before
        for t in (out.findobj(Text) if hasattr(out, "findobj") else ()):
            t.set_parse_math(False)
        return out
    return drawn


def short_name(name: str) -> str:
    """A centre's name without "Children's Centre", "Sure Start" or a "(Phase 1)" (for labels and tables)."""
    text = re.sub(r"\s*(children'?s centres?|sure ?start|\(phase \d\))\s*", " ", str(name), flags=re.I)
    text = re.sub(r"\s+", " ", text).strip(" ,-")
    text = re.sub(r"\s+(and|&)$", "", text)  # "Lanterns Nursery School and Children's Centre"
    text = re.sub(r"\s+(?:and|&)(\s+\()", r"\1", text)  # "Hitherfield Primary School & Children's Centre (P2)"
    return text or str(name)


#: Characters a map label may run to on one line, and the lines it may take: a longer name is wrapped, and cut with
#: an ellipsis beyond them (a name of 150 characters stretched the map to a strip beside it).
LABEL_WIDTH, LABEL_LINES = 40, 2


def label_text(name: str) -> str:
    """A name as a map shows it: at most :data:`LABEL_LINES` lines of :data:`LABEL_WIDTH` characters."""
    text = " ".join(str(name).split())
    if len(text) <= LABEL_WIDTH:
        return text
    lines = textwrap.wrap(text, LABEL_WIDTH)
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][:LABEL_WIDTH - 1].rstrip(" ,;-") + "…"
    return "\n".join(lines)


def catchment_colours(assign: pd.Series, geo: Geography) -> dict[str, str]:
    """A colour per centre such that catchments that touch along the corridors get different colours (greedy
    colouring of the catchment adjacency graph, largest first; a planar map needs few colours)."""
    colour = nx.greedy_color(centre_graph(geo.corridors, assign), strategy="largest_first")
    return {c: PALETTE[k % len(PALETTE)] for c, k in colour.items()}


def scale_bar(ax, km: float | None = None, shapes=None) -> list:
    """A scale bar (kilometres) in the lower right and a north arrow in the upper right of a map in metres; with
    ``shapes`` (the areas drawn, a GeoSeries), the bar goes below the map (the axes grown to make room) where the
    lower right holds part of it, and the arrow to the upper left where the upper right does, or above the map
    where both upper corners do. Returns the artists drawn."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width_km = (x1 - x0) / 1000
    if km is None:
        km = next((k for k in (100, 50, 20, 10, 5, 2, 1, 0.5) if k <= width_km / 4), 0.5)
    bx = x1 - (x1 - x0) * 0.05 - km * 1000
    if _holds_any(shapes, bx, y0 + (y1 - y0) * 0.03, bx + km * 1000, y0 + (y1 - y0) * 0.1):
        y0 = y1 - (y1 - y0) / 0.88      # the bottom eighth of the grown axes is below the map
        ax.set_ylim(y0, y1)
    by = y0 + (y1 - y0) * 0.05
    drawn = ax.plot([bx, bx + km * 1000], [by, by], color="black", linewidth=3, solid_capstyle="butt", zorder=5)
    drawn.append(ax.text(bx + km * 500, by + (y1 - y0) * 0.015, f"{km:g} km", ha="center", va="bottom", fontsize=7,
                         zorder=5))
    ax_x = _arrow_x(x0, x1, y0, y1, shapes)
    if ax_x is None:   # both upper corners hold part of the map: room above it
        ax_x = x1 - (x1 - x0) * 0.05
        y1 = y0 + (y1 - y0) / 0.8      # the top fifth of the grown axes is above the map
        ax.set_ylim(y0, y1)
    drawn.append(ax.annotate("N", xy=(ax_x, y1 - (y1 - y0) * 0.04), xytext=(ax_x, y1 - (y1 - y0) * 0.14),
                             ha="center", va="center", fontsize=9, fontweight="bold",
                             arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2}, zorder=5))
    return drawn


def _arrow_x(x0: float, x1: float, y0: float, y1: float, shapes) -> float | None:
    """Where the north arrow stands (x, metres): the upper right, else the upper left, of the map's extent, the
    first whose room for the arrow holds none of ``shapes`` (any, where no shapes are given); None where both do."""
    half = (x1 - x0) * 0.03
    for x in (x1 - (x1 - x0) * 0.05, x0 + (x1 - x0) * 0.05):
        if not _holds_any(shapes, x - half, y1 - (y1 - y0) * 0.17, x + half, y1 - (y1 - y0) * 0.01):
            return x
    return None


def _holds_any(shapes, x0: float, y0: float, x1: float, y1: float) -> bool:
    """Whether the box x0..x1, y0..y1 (metres) meets any of ``shapes`` (a GeoSeries; none where it is None)."""
    return shapes is not None and len(shapes) > 0 and \
        len(shapes.sindex.query(box(x0, y0, x1, y1), predicate="intersects")) > 0


@plain_text
def plan_map(plan, geo: Geography, ax=None, title: str | None = None, *, labels: bool = True,
             legend: bool = True, highlight: list[str] | None = None, highlight_label: str = "highlighted"):
    """Catchments coloured by centre (neighbours never share a colour; a clustered plan by cluster, catchments
    outlined thin inside them), clusters outlined where there are any,
    kept centres named, amalgamated centres crossed and joined by a line to the centre that receives most of their
    children; ``highlight``: centre ids ringed (e.g. those below the floor, ``highlight_label`` in the legend).
    Returns the figure when it makes one (``ax`` not given), else the axes."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 7.5))
    a = geo.areas.join(plan.assignment.set_index("area")[["centre", "cluster"]])
    clustered = a["cluster"].fillna("").astype(str).str.len().gt(0).all()
    by = "cluster" if clustered else "centre"        # a clustered plan is coloured by cluster: the unit it asks about
    colours = catchment_colours(a[by], geo)
    a.plot(ax=ax, color=[colours.get(c, "#eeeeee") for c in a[by]], linewidth=0.1, edgecolor="white")
    if a["cluster"].astype(str).str.len().gt(0).any():
        a.dissolve(by="cluster").boundary.plot(ax=ax, color="black", linewidth=1.4)
        a.dissolve(by="centre").boundary.plot(ax=ax, color="#555555", linewidth=0.3)
    else:
        a.dissolve(by="centre").boundary.plot(ax=ax, color="#444444", linewidth=0.5)
    spokes = getattr(plan, "spokes", None)
    if "service_point" in plan.assignment.columns and spokes is not None:
        return _hubs_layer(plan, geo, ax, fig, title, labels=labels, legend=legend)
    c = plan.centres.copy()
    c["centre"] = c["centre"].astype(str)
    xy = facility_points(geo, c["centre"])
    status = c.set_index("centre")["status"]
    serving = status.index[status.isin(["kept", "new"])]
    closing = status.index[status == "amalgamated"]
    if "merged_into" in c.columns:
        into = c.set_index("centre")["merged_into"].astype(str)
        for j in closing:
            k = into.get(j, "")
            if k in xy.index:
                ax.annotate("", xy=(xy.at[k, "x"], xy.at[k, "y"]), xytext=(xy.at[j, "x"], xy.at[j, "y"]),
                            arrowprops={"arrowstyle": "-|>", "color": "#c0392b", "linewidth": 1.2,
                                        "shrinkA": 3, "shrinkB": 4}, zorder=4)
    marker = "o" if plan.centres["centre"].astype(str).isin(geo.centres.index).all() else "^"
    ax.scatter(xy.loc[serving, "x"], xy.loc[serving, "y"], s=22, c="black", marker=marker, zorder=5,
               label=("centre kept" if len(closing) else "centre") if marker == "o" else "centre (new network)")
    leads = [j for j in a["cluster"].unique() if j in xy.index] if clustered else []
    if clustered:
        ax.scatter(xy.loc[leads, "x"], xy.loc[leads, "y"], s=70, c="black", marker="s", zorder=6,
                   label="cluster lead")
    if len(closing):
        ax.scatter(xy.loc[closing, "x"], xy.loc[closing, "y"], s=46, c="#c0392b", marker="X", zorder=6,
                   label="centre amalgamated (arrow: into)")
    ring = [j for j in map(str, highlight or []) if j in xy.index]
    if ring:
        ax.scatter(xy.loc[ring, "x"], xy.loc[ring, "y"], s=170, facecolors="none", edgecolors="#c0392b",
                   linewidths=1.8, zorder=6, label=highlight_label)
    names_to_place: list[Label] = []
    everyone = list(serving) + list(closing)
    # every centre named where there is room; else those the plan is about: closing, cluster leads, highlighted
    named = everyone if len(everyone) <= MAX_LABELS else [j for j in everyone if j in closing or j in leads
                                                           or j in ring]
    if labels and len(named) <= MAX_LABELS:
        names = c.set_index("centre")["name"] if "name" in c.columns else pd.Series(dtype=str)
        homes = c.set_index("centre")["home_area"] if "home_area" in c.columns else pd.Series(dtype=str)
        area_names = a["name"] if "name" in a.columns else pd.Series(dtype=str)
        for j in named:
            # a new centre has no name: its home area's name (``Breckland 001B``), else its id
            home_name = area_names.get(homes.get(j))
            text = (short_name(names.get(j, j)) if isinstance(names.get(j), str) and names.get(j)
                    else home_name if isinstance(home_name, str) and home_name else str(j))
            names_to_place.append(Label(xy.at[j, "x"], xy.at[j, "y"], label_text(text), {
                "fontsize": 5.5, "color": "#c0392b" if j in closing else "black", "zorder": 7,
                "fontweight": "bold" if j in leads else "normal",
                "bbox": {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6}}))
    marks = [(xy.at[j, "x"], xy.at[j, "y"], 46 if j in closing else 22) for j in list(serving) + list(closing)]
    marks += [(xy.at[j, "x"], xy.at[j, "y"], 70) for j in leads] + \
        [(xy.at[j, "x"], xy.at[j, "y"], 170) for j in ring]
    return _finish_map(ax, fig, geo, title or f"{plan.scenario_name}: catchments", legend,
                       names=names_to_place, marks=marks)


def _finish_map(ax, fig, geo: Geography, title: str, legend: bool, *, names: list[Label] = (),
                marks: list[tuple[float, float, float]] = ()):
    """Legend, title, north-up equal axes, a scale bar and the centres' ``names`` (placed clear of each other, of
    the ``marks`` and of the legend, arrow and scale bar: :mod:`clusterplan.labels`); the figure (with its source
    line) when the map made its own, else the axes."""
    key = ax.legend(loc="lower left", fontsize=7, framealpha=0.9) if legend else None
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()
    ax.set_aspect("equal")
    furniture = scale_bar(ax, shapes=geo.areas.geometry)
    if fig is not None:
        source_line(ax, geo)
        fig.tight_layout()
        if key is not None and _on_land(ax, key, geo.areas.geometry):
            # a tall authority (a London borough) reaches the lower left corner: the key goes beside the map
            key.set_loc("lower left")
            key.set_bbox_to_anchor((1.01, 0.0), transform=ax.transAxes)
            fig.tight_layout()
    if names:
        ax.apply_aspect()   # the axes' final box, which the labels are placed in
        place(ax, list(names), markers=list(marks), avoid=[key, *furniture])
    return fig if fig is not None else ax


def _on_land(ax, artist, shapes) -> bool:
    """Whether ``artist`` (drawn on ``ax``, e.g. the legend) covers any of ``shapes`` (the areas)."""
    ax.apply_aspect()
    bb = artist.get_window_extent(renderer_of(ax.figure))
    (x0, y0), (x1, y1) = ax.transData.inverted().transform([[bb.x0, bb.y0], [bb.x1, bb.y1]])
    return _holds_any(shapes, x0, y0, x1, y1)


def _hubs_layer(plan, geo: Geography, ax, fig, title: str | None, *, labels: bool, legend: bool):
    """Family hubs on their catchments: hubs as large black squares (named), spokes as small dots joined to their
    hub by a line, today's centre buildings that close as grey crosses, and a 2.5 km ring round each service point
    (the straight-line band of the IFS 2024 Sure Start evaluation)."""
    hubs = sorted(plan.assignment["centre"].astype(str).unique())
    hxy = facility_points(geo, hubs)
    sp = plan.spokes
    sx, sy = pd.to_numeric(sp["x"]).to_numpy(float), pd.to_numeric(sp["y"]).to_numpy(float)
    points = pd.DataFrame({"x": [*hxy["x"], *sx], "y": [*hxy["y"], *sy]})
    # where every area is within 2.5 km (a London borough) the rings only cover the map: the key says so instead
    rings = bool((nearest_metres(geo, points) > NEAR_METRES).any())
    for px, py in zip(points["x"], points["y"], strict=True) if rings else ():
        ax.add_patch(Circle((px, py), NEAR_METRES, facecolor="none", edgecolor="#2c7fb8", linewidth=0.35,
                            alpha=0.6, zorder=3))
    for (x0, y0, h) in zip(sx, sy, sp["hub"].astype(str), strict=True):
        ax.plot([x0, hxy.at[h, "x"]], [y0, hxy.at[h, "y"]], color="#555555", linewidth=0.7, zorder=4)
    c = plan.centres
    closed = c[c.get("role", pd.Series("", index=c.index)).astype(str) == "closed"]["centre"].astype(str)
    if len(closed):
        cxy = facility_points(geo, closed)
        ax.scatter(cxy["x"], cxy["y"], s=22, c="#888888", marker="x", zorder=5, label="centre building closing")
    ax.scatter(sx, sy, s=14, c="#2c7fb8", edgecolors="white", linewidths=0.4, zorder=6,
               label=f"spoke ({len(sp)}; line to its hub)")
    ax.scatter(hxy["x"], hxy["y"], s=60, c="black", marker="s", zorder=7, label=f"hub ({len(hubs)})")
    ax.plot([], [], color="#2c7fb8", linewidth=0.6, linestyle="-" if rings else "none",
            label="2.5 km of a service point" if rings else "every area within 2.5 km of a service point")
    # the map is of the authority: rings reaching beyond it are cut at its edge, not drawn whole (in a London
    # borough a few kilometres across they shrank the borough to a corner of the map)
    x0, y0, x1, y1 = geo.areas.total_bounds
    pad = 0.03 * max(x1 - x0, y1 - y0)
    ax.set_xlim(min(x0, float(np.min(sx, initial=x0))) - pad, max(x1, float(np.max(sx, initial=x1))) + pad)
    ax.set_ylim(min(y0, float(np.min(sy, initial=y0))) - pad, max(y1, float(np.max(sy, initial=y1))) + pad)
    names_to_place: list[Label] = []
    if labels and len(hubs) <= MAX_LABELS:
        names = c.set_index(c["centre"].astype(str))["name"]
        names_to_place = [Label(hxy.at[j, "x"], hxy.at[j, "y"], label_text(short_name(str(names.get(j, j)))), {
            "fontsize": 6, "fontweight": "bold", "zorder": 8,
            "bbox": {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7}}) for j in hubs]
        if len(hubs) + len(sp) <= MAX_LABELS:
            # the buildings that stay open as spokes are named too, smaller and in the spokes' blue
            names_to_place += [Label(x, y, label_text(short_name(str(n))), {
                "fontsize": 5, "color": "#1f5f8b", "zorder": 8,
                "bbox": {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6}})
                for x, y, n in zip(sx, sy, sp["name"].astype(str), strict=True)]
    marks = [(x, y, 60) for x, y in zip(hxy["x"], hxy["y"], strict=True)] + \
        [(x, y, 14) for x, y in zip(sx, sy, strict=True)]
    return _finish_map(ax, fig, geo, title or f"{plan.scenario_name}: hubs, spokes and catchments", legend,
                       names=names_to_place, marks=marks)


@plain_text
def bundle_map(plan, geo: Geography, ax=None, title: str | None = None):
    """Market bundles (:mod:`clusterplan.bundles`): each lot's catchment shaded by how many bundles it could join,
    lots under the VCS cap marked, and a line between every two adjacent lots that one provider could take
    together (a bundle of two). Returns the figure when it makes one, else the axes."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 7.5))
    b = plan.bundles
    ids = [c for s in b["centres"] for c in str(s).split("; ")] if len(b) else []
    count = pd.Series(ids, dtype=object).value_counts()
    a = geo.areas.join(plan.assignment.set_index("area")[["centre"]])
    n = a["centre"].astype(str).map(count).fillna(0)
    cmap = plt.get_cmap("YlGnBu")
    top = max(1.0, float(n.max()))
    a.plot(ax=ax, color=[to_hex(cmap(0.08 + 0.85 * v / top)) if v else "#f2f2f2" for v in n], linewidth=0.1,
           edgecolor="white")
    a.dissolve(by="centre").boundary.plot(ax=ax, color="#444444", linewidth=0.5)
    pts = facility_points(geo, plan.lots["centre"].astype(str).tolist())
    pairs = b[b["size"] == 2]["centres"] if len(b) else []
    for k, s in enumerate(pairs):
        u, v = str(s).split("; ")
        if u in pts.index and v in pts.index:
            ax.plot([pts.at[u, "x"], pts.at[v, "x"]], [pts.at[u, "y"], pts.at[v, "y"]], color="#b2182b",
                    linewidth=1.1, alpha=0.8, zorder=3, label="two lots one provider could take" if k == 0 else None)
    vcs = plan.lots[plan.lots["vcs_accessible"].fillna(False).astype(bool)]["centre"].astype(str)
    ax.scatter(pts["x"], pts["y"], s=14, color="black", zorder=4, label="lot (a kept centre)")
    if len(vcs):
        ax.scatter(pts.loc[pts.index.isin(vcs), "x"], pts.loc[pts.index.isin(vcs), "y"], s=46, facecolor="none",
                   edgecolor="#1a9850", linewidth=1.3, zorder=5, label="lot under the VCS cap")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, top))
    cb = (fig or ax.figure).colorbar(sm, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("bundles a lot could join", fontsize=8)
    sizes = b["size"].value_counts().sort_index() if len(b) else pd.Series(dtype=int)
    what = ", ".join(f"{v} of {k} lots" for k, v in sizes.items()) or "none"
    return _finish_map(ax, fig, geo, title or f"Market bundles under the cap: {len(b)} ({what})", True)


def source_text(geo: Geography | list[Geography]) -> str:
    """The source line for maps of ``geo`` (one geography, or a list: maps of several, credited once): the built-in
    open data's attribution (:data:`SOURCE`) where a geography was built from it, the user's own files by name where
    one was read from them (:func:`clusterplan.datasets.data_origin`), so a map of a user's data never credits the
    ONS or Ordnance Survey for it."""
    origins = [data_origin(g) for g in (geo if isinstance(geo, list | tuple) else [geo])]
    builtin = any(b for b, _ in origins)
    own = sorted({f for _, files in origins for f in files})
    if builtin and not own:
        return SOURCE
    if builtin:
        return SOURCE.replace("; clusterplan.", f"; your files: {', '.join(own)}; clusterplan.")
    if own:
        return f"Source: your files: {', '.join(own)}; clusterplan."
    return "Source: data supplied to clusterplan (no file recorded); clusterplan."


def source_line(ax, geo: Geography, fontsize: float = 6) -> None:
    """The data source of ``geo`` (:func:`source_text`) under a map (inside the figure's tight bounding box, so no
    blank band is left)."""
    ax.annotate(source_text(geo), xy=(0, 0), xycoords="axes fraction", xytext=(0, -4), textcoords="offset points",
                fontsize=fontsize, va="top", ha="left", color="#444444")


@plain_text
def change_map(plan, base, geo: Geography, ax=None, title: str | None = None):
    """Areas whose centre changes versus ``base`` (the status quo), shaded by their under-fives (children)."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(9, 7.5))
    a = geo.areas
    if base is None or not plan.centres["centre"].astype(str).isin(geo.centres.index).all():
        a.plot(ax=ax, color="#eeeeee", linewidth=0.1, edgecolor="white")
        ax.set_title(title or plan.scenario_name, fontsize=11)
        ax.text(0.5, 0.5, "a new network of sites:\nnot comparable centre by centre", ha="center", va="center",
                transform=ax.transAxes, fontsize=9)
        ax.set_axis_off()
        return fig if own else ax
    before_tbl = base.assignment if hasattr(base, "assignment") else base
    before = before_tbl.set_index("area")["centre"].reindex(a.index)
    after = plan.assignment.set_index("area")["centre"].reindex(a.index)
    changed = before != after
    a.plot(ax=ax, color="#eeeeee", linewidth=0.1, edgecolor="white")
    if changed.any():
        # the colour bar lies under the map, so its label never runs into the title or a neighbouring map
        a[changed].plot(ax=ax, column="under5", cmap="Oranges", linewidth=0.1, edgecolor="grey", legend=True,
                        legend_kwds={"label": "children under five in each area that changes centre",
                                     "orientation": "horizontal", "shrink": 0.6, "pad": 0.03, "aspect": 30})
    # two lines: the scenario's name, then the count (one long line ran over the map beside it)
    ax.set_title(title or f"{plan.scenario_name}\n{count_of(int(changed.sum()), 'area', 'areas')}, "
                 f"{int(a['under5'][changed].sum()):,} children change centre", fontsize=11)
    ax.set_axis_off()
    ax.set_aspect("equal")
    scale_bar(ax, shapes=a.geometry)
    if own:
        source_line(ax, geo)
        return fig
    return ax


@plain_text
def before_after(plan, base, geo: Geography):
    """Today's catchments beside the plan's, at one scale (a figure)."""
    fig, axes = plt.subplots(1, 2, figsize=(15, 6.6))
    plan_map(base, geo, ax=axes[0], title="Today (status quo catchments)", labels=False, legend=False)
    plan_map(plan, geo, ax=axes[1], title=f"Proposed: {plan.scenario_name}", labels=False)
    source_line(axes[0], geo, fontsize=7)
    fig.tight_layout()
    return fig


@plain_text
def comparison_figure(plans: list, geo: Geography | list[Geography], status_quo=None,
                      table: pd.DataFrame | None = None):
    """Slide-sized (16:9, 1920 x 1080 at 120 dpi) maps of every compared plan side by side, today's first, with a
    compact table of the key figures underneath (row labels on the left, one column per map).

    ``geo``: the geography of every plan, or where they differ (scenarios of several authorities, or of other
    centres) a list of one per map, in the order they are drawn: ``status_quo`` first when given, then ``plans``.
    Each map is drawn on its own plan's geography."""
    shown = ([status_quo] if status_quo is not None else []) + [p for p in plans if p is not status_quo]
    drawn = list(geo) if isinstance(geo, list | tuple) else [geo] * len(shown)
    if len(drawn) != len(shown):
        raise ValueError(f"comparison_figure: {len(shown)} maps but {len(drawn)} geographies")
    first = drawn[0] if drawn else geo
    n = len(shown)
    cols = min(n, max(5, int(np.ceil(n / 2))))     # two rows of maps up to 14 plans: each map stays readable
    rows = int(np.ceil(n / cols))
    fig = plt.figure(figsize=(16, 9))
    names = list(dict.fromkeys(g.name for g in drawn)) or [first.name]
    fig.suptitle(f"{names[0] if len(names) == 1 else '; '.join(names)}: the plans compared",
                 fontsize=16 if len(names) == 1 else 12, fontweight="bold", y=0.985)
    map_bottom = 0.36 if table is not None else 0.05
    width = 0.98 / cols
    # a row of maps no taller than its widest-drawn authority needs (Norfolk, wider than tall, left a band of white
    # above and below its maps), the rest given to the table; a tall authority (a London borough) keeps the row
    tallest = max(((y1 - y0) / max(x1 - x0, 1e-9) for x0, y0, x1, y1 in (g.areas.total_bounds for g in drawn)),
                  default=1.0)
    height = min((MAPS_TOP - map_bottom) / rows, width * 0.98 * 16 / 9 * tallest + MAP_TITLE)
    map_bottom = MAPS_TOP - rows * height
    titles = _short_headers([p.scenario_name for p in shown])
    for k, (p, title, g) in enumerate(zip(shown, titles, drawn, strict=True)):
        r, c = divmod(k, cols)
        ax = fig.add_axes((0.01 + c * width, MAPS_TOP - (r + 1) * height, width * 0.98, height - MAP_TITLE),
                          anchor="N")   # the map at the top of its cell, under its title
        title = "Today (status quo)" if p is status_quo else title
        place_name = g.name.split(" (")[0]
        if len(names) > 1 and not title.startswith(place_name):
            # maps of several geographies: say which each is (its name up to the bracket), unless the title does
            title = f"{place_name}: {title}"
        plan_map(p, g, ax=ax, title=_wrap(title, 40 if cols <= 5 else 30), labels=False, legend=False)
        if cols > 5:
            ax.title.set_fontsize(9)
    if table is not None:
        ax = fig.add_axes((0.22, 0.04, 0.77, map_bottom - 0.09))   # the table fills the space the maps leave
        ax.set_axis_off()
        cells = table.map(format_value).to_numpy()
        heads = _short_headers(list(table.columns))
        width = max(12, int(150 / max(len(heads), 1)))
        heads = [_wrap(c, width) for c in heads]
        lines = max(h.count("\n") + 1 for h in heads)
        t = ax.table(cellText=cells, rowLabels=[_wrap(r, 40) for r in table.index], colLabels=heads,
                     loc="upper center", cellLoc="center", bbox=(0, 0, 1, 1))
        t.auto_set_font_size(False)
        size = 10 if len(heads) <= 5 else 9
        t.set_fontsize(size)
        # each heading's widest line fits its column (with a little margin), measured, not guessed: 14 plans'
        # "amalgamate," ran over its neighbours at 9 points
        measure = renderer_of(fig).get_text_width_height_descent
        bold = FontProperties(size=size, weight="bold")
        widest = max(measure(line, bold, ismath=False)[0] for h in heads for line in h.split("\n"))
        room = fig.get_figwidth() * fig.dpi * ax.get_position().width / max(len(heads), 1) * 0.94
        head_size = max(6.0, min(size, size * room / max(widest, 1.0)))
        for (row, _), cell in t.get_celld().items():
            cell.set_edgecolor("#cccccc")
            if row == 0:
                cell.set_text_props(fontweight="bold", fontsize=head_size)
                cell.set_facecolor("#eef2f7")
                cell.set_height(cell.get_height() * lines)
    fig.text(0.01, 0.008, source_text(drawn or [first]), fontsize=8, color="#444444")
    return fig


#: Height (a fraction of the slide) a map's title of up to two lines takes above the map; the top of the maps.
MAP_TITLE = 0.07
MAPS_TOP = 0.95


def _short_headers(names: list[str]) -> list[str]:
    """Scenario names without the words they all start with (``Norfolk - ``), which the title already says."""
    parts = [str(n).split(" - ", 1) for n in names]
    if len(names) > 1 and all(len(p) == 2 for p in parts) and len({p[0] for p in parts}) == 1:
        return [p[1] for p in parts]
    return [str(n) for n in names]


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


#: Columns (of the plan tables and the report's own) that hold whole numbers even when stored as floats.
INTEGER_COLUMNS = {"reach", "reach_today", "areas", "deprived_children", "under5", "Children", "Children moving",
                   "centres", "phase1", "reach_floor",
                   # counts among the plan metrics (floats in a table where one row has none: a sweep's failed variant)
                   "centres_kept", "centres_amalgamated", "centres_as_spokes", "centres_below_floor", "lowest_reach",
                   "service_points",
                   "children_changing_centre", "areas_changing_centre", "clusters", "centres_today",
                   "centres_below_floor_today"}


def as_count(key: str, value):
    """``value`` as the whole number it is where ``key`` is one of :data:`INTEGER_COLUMNS` and the value a whole
    float (the floor, 600.0, is 600), else unchanged: the terminal, the workbook and comparison.csv all show it so."""
    if key in INTEGER_COLUMNS and isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return value


def format_value(v, col: str = "") -> str:
    """A table cell for reading: "-" for nothing, yes/no, shares as percentages, thousands separated, whole numbers
    without decimals (in :data:`INTEGER_COLUMNS` or from 1,000 up), else one decimal."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return "-"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if col in ("share",) and isinstance(v, int | float | np.number):
        return f"{float(v):.1%}"
    if isinstance(v, float | np.floating):
        return f"{v:,.0f}" if abs(v) >= 1000 or (col in INTEGER_COLUMNS and float(v).is_integer()) else f"{v:,.1f}"
    if isinstance(v, int | np.integer):
        return f"{v:,}"
    return str(v)
