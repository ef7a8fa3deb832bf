"""SYNTHETIC geographies for tests: small graphs (ring, star, grid, random) whose optima can be worked out by hand.

Nothing here is real data. Areas are 400 m squares placed in Norfolk's part of the British National Grid (so the
geography's CRS checks pass); the corridor graph and the travel minutes are given explicitly.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely.geometry import box

import clusterplan as cp

X0, Y0 = 600_000.0, 300_000.0


def make(positions: dict[str, tuple[float, float]], under5: dict[str, int], edges: list[tuple[str, str]],
         centres: dict[str, str], minutes: dict[tuple[str, str], float] | None = None, *,
         idaci: dict[str, float] | None = None, district: dict[str, str] | None = None,
         phase: dict[str, int] | None = None) -> cp.Geography:
    """A synthetic geography. ``positions`` in km from a Norfolk origin; ``centres``: centre id -> home area;
    ``minutes``: (area, centre) -> minutes (default: 10 x graph hops from the centre's home area)."""
    codes = sorted(positions)
    xy = {c: (X0 + 1000 * positions[c][0], Y0 + 1000 * positions[c][1]) for c in codes}
    areas = pd.DataFrame({
        "name": [f"synthetic {c}" for c in codes], "under5": [under5[c] for c in codes],
        "idaci": [(idaci or {}).get(c, 0.1) for c in codes],
        "district": [(district or {}).get(c, "D1") for c in codes], "rural_urban": "C1",
        "x": [xy[c][0] for c in codes], "y": [xy[c][1] for c in codes]}, index=pd.Index(codes, name="code"))
    # Squares of up to 400 m, shrunk where areas are closer so that no two overlap (boundaries must not overlap).
    pts = [xy[c] for c in codes]
    gap = min((max(abs(p[0] - q[0]), abs(p[1] - q[1])) for k, p in enumerate(pts) for q in pts[k + 1:]), default=400.0)
    half = min(200.0, 0.45 * gap)
    bnd = gpd.GeoSeries([box(xy[c][0] - half, xy[c][1] - half, xy[c][0] + half, xy[c][1] + half) for c in codes],
                        index=codes, crs=27700)
    g = nx.Graph()
    g.add_nodes_from(codes)
    g.add_edges_from(edges)
    ids = sorted(centres)
    cdf = pd.DataFrame({"name": [f"centre {j}" for j in ids], "home_area": [centres[j] for j in ids],
                        "x": [xy[centres[j]][0] for j in ids], "y": [xy[centres[j]][1] for j in ids],
                        "phase": [(phase or {}).get(j) for j in ids]}, index=pd.Index(ids, name="id"))
    geo = cp.Geography.build("synthetic", areas, bnd, cdf, "area_centroids", corridors=g,
                             travel=cp.travel.norfolk_model())
    if minutes is None:
        hops = dict(nx.all_pairs_shortest_path_length(g))
        minutes = {(i, j): 10.0 * hops[centres[j]].get(i, 99) for i in codes for j in ids}
    m = pd.DataFrame([[minutes[i, j] for j in ids] for i in codes], index=geo.areas.index, columns=geo.centres.index)
    return geo.with_travel_minutes(centre_minutes=m, source="synthetic minutes")


def ring(n: int, pop: int | list[int], centres: dict[str, int], **kw) -> cp.Geography:
    """n areas a0..a(n-1) on a circle, each linked to the next; centres: id -> area number."""
    pops = pop if isinstance(pop, list) else [pop] * n
    pos = {f"a{i}": (3 * math.cos(2 * math.pi * i / n), 3 * math.sin(2 * math.pi * i / n)) for i in range(n)}
    return make(pos, {f"a{i}": pops[i] for i in range(n)}, [(f"a{i}", f"a{(i + 1) % n}") for i in range(n)],
                {j: f"a{i}" for j, i in centres.items()}, **kw)


def star(leaves: int, hub_pop: int, leaf_pop: int, centres: dict[str, int], **kw) -> cp.Geography:
    """A hub a0 linked to leaves a1..a<leaves>; centres: id -> area number (0 = hub)."""
    pos = {"a0": (0.0, 0.0)} | {f"a{i}": (3 * math.cos(i), 3 * math.sin(i)) for i in range(1, leaves + 1)}
    pops = {"a0": hub_pop} | {f"a{i}": leaf_pop for i in range(1, leaves + 1)}
    return make(pos, pops, [("a0", f"a{i}") for i in range(1, leaves + 1)],
                {j: f"a{i}" for j, i in centres.items()}, **kw)


def grid(w: int, h: int, pop: int | dict[str, int], centres: dict[str, tuple[int, int]], **kw) -> cp.Geography:
    """A w x h grid of areas g<x>_<y> with rook links; centres: id -> (x, y)."""
    cells = {f"g{x}_{y}": (1.0 * x, 1.0 * y) for x in range(w) for y in range(h)}
    edges = [(f"g{x}_{y}", f"g{x + 1}_{y}") for x in range(w - 1) for y in range(h)]
    edges += [(f"g{x}_{y}", f"g{x}_{y + 1}") for x in range(w) for y in range(h - 1)]
    pops = pop if isinstance(pop, dict) else {c: pop for c in cells}
    return make(cells, pops, edges, {j: f"g{x}_{y}" for j, (x, y) in centres.items()}, **kw)
