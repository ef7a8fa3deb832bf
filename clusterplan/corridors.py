"""Corridors of movement: the graph over areas that catchments and clusters must be connected in.

The default graph links areas whose boundaries touch. The published boundaries are generalised, which leaves slivers
between true neighbours, so two areas count as touching when they are within ``tolerance`` metres (default 25 m).
A commissioner refines the graph with plain functions that each return a new graph:

- :func:`remove_barrier_crossings`: drop links that cross a barrier line (a river, the Broads);
- :func:`add_links`: add links (e.g. a bus route between two areas that do not touch);
- :func:`drop_long_links`: drop links longer than N minutes;
- :func:`road_network_minutes`: travel minutes over a user's road network (line GeoDataFrame) by shortest paths.

Every graph holds area codes as nodes; edges carry ``km`` (straight-line distance between population-weighted
centroids) and, once the geography annotates them, ``minutes``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from .errors import InputError
from .validation import input_file, read_table

BNG = "EPSG:27700"


def adjacency(areas: gpd.GeoDataFrame, *, tolerance: float = 25.0) -> nx.Graph:
    """Graph linking areas whose boundaries lie within ``tolerance`` metres of each other.

    ``areas`` must be in EPSG:27700 (metres) with ``x``, ``y`` centroid columns; nodes are its index, in order.
    """
    if areas.crs is None or not areas.crs.is_projected:
        raise InputError("corridors", [f"areas must be in a projected CRS in metres (EPSG:27700 in Great Britain); "
                                       f"found {areas.crs}"])
    geoms = areas.geometry.to_numpy()
    left, right = areas.sindex.query(geoms, predicate="dwithin", distance=tolerance)
    g = _linked(areas, left, right)
    g.graph["tolerance_m"] = tolerance
    return g


def _linked(areas: gpd.GeoDataFrame, left, right, keep=None) -> nx.Graph:
    """A graph over the areas' codes linking each pair (left[k], right[k]) of positions (once, i < j) that ``keep``
    accepts, each link with ``km`` between centroids."""
    codes = areas.index.to_numpy()
    x, y = areas["x"].to_numpy(), areas["y"].to_numpy()
    g = nx.Graph()
    g.add_nodes_from(codes)
    for i, j in zip(left, right, strict=True):
        if i < j and (keep is None or keep(i, j)):
            g.add_edge(codes[i], codes[j], km=float(np.hypot(x[i] - x[j], y[i] - y[j]) / 1000.0))
    return g


ADJACENCY_KINDS = ("rook", "queen")
#: Shared boundary (metres) for rook contiguity: more than a point.
ROOK_MIN_METRES = 1e-6


def contiguity(areas: gpd.GeoDataFrame, kind: str) -> nx.Graph:
    """Explicit contiguity from the boundaries, with no snapping tolerance: ``rook`` links areas whose boundaries
    share a stretch of line, ``queen`` also those that meet at a corner only. ``areas`` in EPSG:27700."""
    if kind not in ADJACENCY_KINDS:
        raise InputError("geography.adjacency", [f"expected one of {', '.join(ADJACENCY_KINDS)} or a file. Got "
                                                 f"{kind!r} instead."])
    geoms = areas.geometry.to_numpy()
    left, right = areas.sindex.query(geoms, predicate="intersects")

    def shares_a_line(i: int, j: int) -> bool:
        return geoms[i].boundary.intersection(geoms[j].boundary).length > ROOK_MIN_METRES \
            or geoms[i].intersection(geoms[j]).area > 0

    g = _linked(areas, left, right, shares_a_line if kind == "rook" else None)
    g.graph["adjacency"] = kind
    return g


def read_adjacency(path: str | Path, codes: Iterable[str]) -> nx.Graph:
    """A contiguity graph from a file of pairs: CSV with columns ``area_a, area_b`` (or libpysal's adjacency list
    ``focal, neighbor``), a libpysal ``.gal`` file, or a ``.gwt`` file (pairs with a non-zero weight). Every code
    must be an area of the geography; a problem names the file's line."""
    p = input_file(path, "the adjacency file named by `geography.adjacency`, which takes rook, queen or a file of "
                         "pairs")
    codes = [str(c) for c in codes]
    known = set(codes)
    suffix = p.suffix.lower()
    pairs: list[tuple[str, str, str]] = []   # (a, b, where)
    problems: list[str] = []
    if suffix == ".gal":
        lines = [ln.split() for ln in p.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
        body = lines[1:]
        k = 0
        while k < len(body):
            head = body[k]
            try:
                focal, n = head[0], int(head[1])
            except (IndexError, ValueError):
                problems.append(f"line {k + 2}: expected '<area> <number of neighbours>', found {' '.join(head)!r}")
                break
            neigh = body[k + 1] if n and k + 1 < len(body) else []
            if len(neigh) != n:
                problems.append(f"line {k + 3}: {focal} should list {n} neighbour(s), found {len(neigh)}")
            pairs += [(focal, b, f"line {k + 3}") for b in neigh]
            k += 2 if n else 1
    elif suffix == ".gwt":
        lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
        for n, ln in enumerate(lines[1:], start=2):
            parts = ln.split()
            if not parts:
                continue
            if len(parts) < 2:
                problems.append(f"line {n}: expected '<area> <area> <weight>', found {ln!r}")
                continue
            try:
                w = float(parts[2]) if len(parts) > 2 else 1.0
            except ValueError:
                problems.append(f"line {n}: weight {parts[2]!r} is not a number")
                continue
            if w != 0:
                pairs.append((parts[0], parts[1], f"line {n}"))
    else:
        pairs = read_pairs(p, "adjacency", columns=(("area_a", "area_b"), ("focal", "neighbor")))
    g = nx.Graph()
    g.add_nodes_from(codes)
    for a, b, where in pairs:
        bad = [c for c in (a, b) if c not in known]
        if bad:
            problems.append(f"{where}: unknown area code(s) {bad}; expected codes of the areas file")
        elif a != b:
            g.add_edge(a, b)
        if len(problems) > 50:
            break
    if problems:
        raise InputError(str(path), problems)
    return g


def from_weights(w: object, codes: Iterable[str]) -> nx.Graph:
    """A contiguity graph from a libpysal ``W`` (or anything with a ``neighbors`` mapping of id -> ids). Its ids
    must be the area codes (build it with ``ids=`` or from a GeoDataFrame indexed by code)."""
    codes = [str(c) for c in codes]
    known = set(codes)
    neighbors = {str(k): [str(v) for v in vs] for k, vs in dict(w.neighbors).items()}
    unknown = sorted((set(neighbors) | {v for vs in neighbors.values() for v in vs}) - known)
    if unknown:
        raise InputError("adjacency (libpysal W)", [f"{len(unknown)} id(s) are not area codes, e.g. {unknown[:5]}; "
                                                    "build the W with ids= the area codes"])
    g = nx.Graph()
    g.add_nodes_from(codes)
    g.add_edges_from((a, b) for a, vs in neighbors.items() for b in vs if a != b)
    return g


def describe(graph: nx.Graph) -> dict[str, object]:
    """Connectivity summary: nodes, edges, number of components, sizes and isolated areas."""
    comps = sorted(nx.connected_components(graph), key=len, reverse=True)
    return {"areas": graph.number_of_nodes(), "links": graph.number_of_edges(), "components": len(comps),
            "component_sizes": [len(c) for c in comps],
            "isolated": sorted(n for n in graph.nodes if graph.degree(n) == 0)}


def validate(graph: nx.Graph, area_codes: Iterable[str], *, source: str = "corridors") -> None:
    """Raise :class:`InputError` if an area is missing from the graph, unknown to it, or has no neighbour."""
    codes = list(area_codes)
    problems = []
    missing = [c for c in codes if c not in graph]
    if missing:
        problems.append(f"{len(missing)} area(s) missing from the corridor graph, e.g. {missing[:5]}")
    unknown = sorted(set(graph.nodes) - set(codes))
    if unknown:
        problems.append(f"{len(unknown)} node(s) are not areas of this geography, e.g. {unknown[:5]}")
    isolated = [c for c in codes if c in graph and graph.degree(c) == 0]
    if isolated and len(codes) > 1:  # a geography of one area (the Isles of Scilly) needs no link
        problems.append(f"{len(isolated)} area(s) have no neighbour, so no catchment can include them with another "
                        f"area: {isolated[:10]}; add a link to each (scenario key `geography.links`, or "
                        "corridors.add_links) or loosen the barrier or tolerance")
    if problems:
        raise InputError(source, problems)


def _as_lines(layer: gpd.GeoDataFrame | gpd.GeoSeries, source: str, crs=BNG) -> gpd.GeoSeries:
    geoms = layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer
    if geoms.crs is None:
        raise InputError(source, ["the layer has no CRS; expected one (e.g. EPSG:27700 or EPSG:4326)"])
    geoms = geoms.to_crs(crs)
    bad = [i for i, gm in geoms.items() if gm is None or gm.is_empty or gm.geom_type not in
           ("LineString", "LinearRing", "MultiLineString", "Polygon", "MultiPolygon")]
    if bad:
        raise InputError(source, [f"feature {b!r}: expected a line (or polygon) geometry" for b in bad[:20]])
    return geoms


def remove_barrier_crossings(graph: nx.Graph, areas: gpd.GeoDataFrame,
                             barriers: gpd.GeoDataFrame | gpd.GeoSeries, *, source: str = "barriers") -> nx.Graph:
    """Copy of ``graph`` without the links whose centroid-to-centroid segment crosses a barrier line.

    ``barriers`` is a line (or polygon) layer in any CRS; it is reprojected to the areas' CRS. The removed links are in
    ``graph.graph['removed_by_barrier']``. Call :func:`validate` afterwards to catch areas the barrier cut off.
    """
    lines = _as_lines(barriers, source, areas.crs or BNG)
    tree = gpd.GeoSeries(lines.to_numpy(), crs=lines.crs).sindex
    out = graph.copy()
    removed = []
    for a, b in graph.edges:
        seg = LineString([(areas.at[a, "x"], areas.at[a, "y"]), (areas.at[b, "x"], areas.at[b, "y"])])
        if len(tree.query(seg, predicate="intersects")):
            out.remove_edge(a, b)
            removed.append((a, b))
    out.graph["removed_by_barrier"] = removed
    return out


def read_pairs(path: str | Path, what: str, *, columns: tuple[tuple[str, str], ...] = (("area_a", "area_b"),)
               ) -> list[tuple[str, str, str]]:
    """Pairs of area codes from a table (CSV, Excel...): ``(a, b, where)`` per row, ``where`` its file row. The
    first pair of ``columns`` the file has is read; a file with none is an error naming the first pair."""
    df = read_table(path, what, text=tuple(c for pair in columns for c in pair))
    cols = next(((a, b) for a, b in columns if {a, b} <= set(df.columns)), None)
    if cols is None:
        others = "".join(f" (or {a} and {b})" for a, b in columns[1:])
        found = [str(c) for c in df.columns]
        # two columns named like the pairs below them: a file without its header row
        headless = len(found) == 2 and not set(found) & {c for pair in columns for c in pair} and all(
            c.strip() and " " not in c.strip() for c in found) and len(df)
        if headless:
            raise InputError(str(path), [f"no header row: the first line holds {found[0]} and {found[1]}, read as "
                                         f"column names; add the line {columns[0][0]},{columns[0][1]} at the top"])
        raise InputError(str(path), [f"missing column '{c}'{others} (found: {', '.join(found)})"
                                     for c in columns[0] if c not in df.columns])
    rows = df.attrs.get("row", {})
    return [(str(a).strip(), str(b).strip(), f"row {rows.get(i, i)}")
            for i, a, b in zip(df.index, df[cols[0]], df[cols[1]], strict=True)]


def read_links(path: str | Path, *, a: str = "area_a", b: str = "area_b") -> list[tuple[str, str]]:
    """Read an edge list (columns ``area_a``, ``area_b`` by default) of links to add."""
    return [(x, y) for x, y, _ in read_pairs(path, "links (`geography.links`)", columns=((a, b),))]


def add_links(graph: nx.Graph, pairs: Iterable[tuple[str, str]], areas: pd.DataFrame, *,
              source: str = "links") -> nx.Graph:
    """Copy of ``graph`` with the given area pairs linked (e.g. a bus route). Unknown codes are errors."""
    out = graph.copy()
    problems = []
    pairs = list(pairs)
    for n, (a, b) in enumerate(pairs, start=1):
        bad = [c for c in (a, b) if c not in areas.index]
        if bad:
            problems.append(f"link {n} ({a}, {b}): unknown area code(s) {bad}")
        elif a == b:
            problems.append(f"link {n}: links area {a} to itself")
    if problems:
        raise InputError(source, problems)
    for a, b in pairs:
        km = float(np.hypot(areas.at[a, "x"] - areas.at[b, "x"], areas.at[a, "y"] - areas.at[b, "y"]) / 1000)
        out.add_edge(a, b, km=km, added=True)
    return out


def join_components(graph: nx.Graph, areas: gpd.GeoDataFrame) -> tuple[nx.Graph, list[tuple[str, str, float]]]:
    """Copy of ``graph`` made connected: the smallest component is linked, again and again, to the nearest area of
    the rest (by boundary distance), as for an island reached by bridge or ferry.

    ``areas``: boundaries in EPSG:27700 with ``x``, ``y``. Returns the graph and the links it assumed as
    ``(area, area, gap km)``; each such edge carries ``assumed=True``. Use it where the authority's areas are known
    to be served together (an island of an authority); say so wherever the links are used.
    """
    out = graph.copy()
    added: list[tuple[str, str, float]] = []
    while nx.number_connected_components(out) > 1:
        comp = min(nx.connected_components(out), key=lambda c: (len(c), min(c)))
        inside = areas.index.isin(list(comp))
        mine, rest = areas[inside], areas[~inside]
        i, j = rest.sindex.nearest(mine.geometry, return_all=False)
        gaps = mine.geometry.iloc[i].distance(rest.geometry.iloc[j], align=False).to_numpy()
        k = min(range(len(gaps)), key=lambda n: (gaps[n], mine.index[i[n]], rest.index[j[n]]))
        a, b = str(mine.index[i[k]]), str(rest.index[j[k]])
        km = float(np.hypot(areas.at[a, "x"] - areas.at[b, "x"], areas.at[a, "y"] - areas.at[b, "y"]) / 1000)
        out.add_edge(a, b, km=km, assumed=True)
        added.append((a, b, float(gaps[k]) / 1000.0))
    return out, added


def drop_long_links(graph: nx.Graph, max_minutes: float) -> nx.Graph:
    """Copy of ``graph`` without links whose ``minutes`` attribute exceeds ``max_minutes`` (minutes)."""
    if max_minutes <= 0:
        raise InputError("drop_long_links", [f"max_minutes must be a positive number. Got {max_minutes} instead."])
    out = graph.copy()
    missing = [e for e in graph.edges if "minutes" not in graph.edges[e]]
    if missing:
        raise InputError("drop_long_links", [f"{len(missing)} link(s) have no 'minutes'; annotate the graph first "
                                             "(Geography.corridors is annotated)"])
    out.remove_edges_from([e for e in graph.edges if graph.edges[e]["minutes"] > max_minutes])
    return out


#: Kilometres from a place to the road network beyond which its connector is called out (half the places or more
#: that far: the file does not cover them, and it is refused).
FAR_FROM_ROADS_KM = 5.0


def far_from_roads(minutes: pd.DataFrame, *, destinations: bool = False) -> pd.Series:
    """The origins (or ``destinations``) of a :func:`road_network_minutes` table more than
    :data:`FAR_FROM_ROADS_KM` from the network (kilometres, farthest first)."""
    km = minutes.attrs.get("destination_connector_km" if destinations else "connector_km")
    if km is None:
        return pd.Series(dtype=float)
    km = pd.Series(km, index=minutes.columns if destinations else minutes.index)
    return km[km > FAR_FROM_ROADS_KM].sort_values(ascending=False)


def road_network_minutes(roads: gpd.GeoDataFrame, origins: pd.DataFrame, destinations: pd.DataFrame, *,
                         speed_kmh: float = 50.0, speed_column: str | None = None,
                         connector_kmh: float = 20.0, source: str = "roads") -> pd.DataFrame:
    """Minutes from each origin to each destination over a road network, by networkx shortest paths.

    ``roads`` is a line layer in any CRS (reprojected to the origins' CRS, EPSG:27700 if they have none); each
    segment is traversed at ``speed_kmh`` (km/h) or at the value in ``speed_column``, along its horizontal length
    (heights, Z, are ignored). Line ends closer than 1 m are joined. Origins and destinations (``x``, ``y`` in
    EPSG:27700 metres) join the network at their nearest node by a straight connector travelled at
    ``connector_kmh``. A destination unreachable from an origin gets NaN, which the geography reports as an error.
    A network that half the origins or more are over :data:`FAR_FROM_ROADS_KM` from is refused (it does not cover
    them); each origin's kilometres to the network are in ``attrs["connector_km"]``, each destination's in
    ``attrs["destination_connector_km"]`` (:func:`far_from_roads`), the connector speed in ``attrs["connector_kmh"]``.
    Returns a DataFrame indexed like ``origins`` with one column per destination.
    """
    lines = _as_lines(roads, source, getattr(origins, "crs", None) or BNG)
    speeds = (pd.to_numeric(roads[speed_column], errors="coerce") if speed_column
              else pd.Series(speed_kmh, index=lines.index))
    if not (connector_kmh > 0 and (speed_column is not None or speed_kmh > 0)):
        raise InputError(source, [f"speeds must be positive km/h; got {speed_kmh!r} on roads and {connector_kmh!r} "
                                  "to them"])
    bad = speeds.index[speeds.isna() | (speeds <= 0)]
    if len(bad):
        shown = ", ".join(f"feature {i} ({roads.at[i, speed_column]!r})" for i in bad[:5])
        raise InputError(source, [f"column '{speed_column}': expected a positive speed in km/h on every road; "
                                  f"{len(bad):,} feature(s) have none, e.g. {shown}"])
    g = nx.Graph()
    for geom, speed in zip(lines.to_numpy(), speeds.to_numpy(dtype=float), strict=True):
        parts = geom.geoms if hasattr(geom, "geoms") else [geom]
        for part in parts:
            # x and y only: a file with heights (Z) or measures (M) is travelled along its horizontal length
            coords = np.round(np.asarray(part.exterior.coords if part.geom_type == "Polygon" else part.coords)[:, :2])
            for p, q in zip(coords[:-1], coords[1:], strict=True):
                length = float(np.hypot(*(p - q)))
                w = length / 1000.0 / speed * 60.0
                u, v = tuple(p), tuple(q)
                if u != v and (not g.has_edge(u, v) or g.edges[u, v]["minutes"] > w):
                    g.add_edge(u, v, minutes=w)
    nodes = np.array(list(g.nodes))
    if len(nodes) == 0:
        raise InputError(source, ["the road layer has no segments"])

    def nearest(df: pd.DataFrame) -> tuple[list[tuple], np.ndarray]:
        from scipy.spatial import cKDTree
        dist, k = cKDTree(nodes).query(df[["x", "y"]].to_numpy())
        return [tuple(nodes[i]) for i in k], dist / 1000.0 / connector_kmh * 60.0

    o_nodes, o_conn = nearest(origins)
    d_nodes, d_conn = nearest(destinations)
    km = o_conn / 60.0 * connector_kmh   # each origin's straight line to the network, kilometres
    if len(km) and np.median(km) > FAR_FROM_ROADS_KM:
        far = int((km > FAR_FROM_ROADS_KM).sum())
        raise InputError(source, [f"the road network does not reach the areas: {far:,} of {len(km):,} are more than "
                                  f"{FAR_FROM_ROADS_KM:g} km from any road end or vertex (median {np.median(km):,.1f} "
                                  "km); is it the file for this authority, with its CRS declared right?"])
    out = np.full((len(origins), len(destinations)), np.nan)
    for j, (dn, dc) in enumerate(zip(d_nodes, d_conn, strict=True)):
        lengths = nx.single_source_dijkstra_path_length(g, dn, weight="minutes")
        for i, (on, oc) in enumerate(zip(o_nodes, o_conn, strict=True)):
            if on in lengths:
                out[i, j] = lengths[on] + oc + dc
    table = pd.DataFrame(out, index=origins.index, columns=destinations.index)
    table.attrs["connector_km"] = km.tolist()
    table.attrs["destination_connector_km"] = (d_conn / 60.0 * connector_kmh).tolist()
    table.attrs["connector_kmh"] = connector_kmh
    return table
