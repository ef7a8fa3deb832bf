"""Corridor graph and each refinement, on the real Norfolk areas.

Barrier lines and road layers here are synthetic (drawn in the test), laid over the real areas.
"""

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

import clusterplan as cp
from clusterplan import corridors


def test_default_graph_is_connected_and_has_every_area(norfolk):
    g = norfolk.corridors
    assert set(g.nodes) == set(norfolk.areas.index)
    assert nx.is_connected(g)
    d = corridors.describe(g)
    assert d["components"] == 1 and d["isolated"] == []
    assert all("minutes" in g.edges[e] and g.edges[e]["minutes"] > 0 for e in g.edges)


def test_snapping_tolerance_only_adds_links(norfolk):
    tight = corridors.adjacency(norfolk.areas, tolerance=0.0)
    loose = corridors.adjacency(norfolk.areas, tolerance=25.0)
    assert set(map(frozenset, tight.edges)) <= set(map(frozenset, loose.edges))
    # linked areas really are within the tolerance of each other
    geo = norfolk.areas.geometry
    assert all(geo[a].distance(geo[b]) <= 25.0 + 1e-6 for a, b in loose.edges)


def _crosses_x(norfolk, a, b, x0, y0, y1):
    (xa, ya), (xb, yb) = norfolk.areas.loc[a, ["x", "y"]], norfolk.areas.loc[b, ["x", "y"]]
    if (xa - x0) * (xb - x0) > 0 or xa == xb:
        return False
    y = ya + (yb - ya) * (x0 - xa) / (xb - xa)
    return y0 <= y <= y1


def test_barrier_removes_exactly_the_crossing_links(norfolk):
    x0, y0, y1 = 623_000.0, 300_000.0, 320_000.0  # a synthetic north-south barrier through Norwich
    barrier = gpd.GeoSeries([LineString([(x0, y0), (x0, y1)])], crs=27700)
    g = corridors.remove_barrier_crossings(norfolk.corridors, norfolk.areas, barrier)
    removed = set(map(frozenset, g.graph["removed_by_barrier"]))
    assert removed, "the barrier crosses Norwich, so links must go"
    for a, b in norfolk.corridors.edges:
        assert (frozenset((a, b)) in removed) == _crosses_x(norfolk, a, b, x0, y0, y1)
    assert g.number_of_edges() == norfolk.corridors.number_of_edges() - len(removed)


def test_barrier_in_wgs84_is_reprojected(norfolk):
    line = gpd.GeoSeries([LineString([(623_000, 300_000), (623_000, 320_000)])], crs=27700).to_crs(4326)
    g = corridors.remove_barrier_crossings(norfolk.corridors, norfolk.areas, line)
    assert len(g.graph["removed_by_barrier"]) > 0


def test_barrier_that_cuts_an_area_off_is_reported(norfolk):
    code = "E01026419"
    ring = gpd.GeoSeries([norfolk.areas.geometry[code].buffer(30).exterior], crs=27700)
    g = corridors.remove_barrier_crossings(norfolk.corridors, norfolk.areas, ring)
    with pytest.raises(cp.InputError, match=f"(?s)no neighbour.*{code}"):
        corridors.validate(g, norfolk.areas.index)
    with pytest.raises(cp.InputError, match=code):
        norfolk.with_corridors(g)


def test_added_link_joins_two_distant_areas(norfolk):
    hunstanton = norfolk.centres.at["hunstanton", "home_area"]
    cromer = norfolk.centres.at["cromer", "home_area"]
    assert not norfolk.corridors.has_edge(hunstanton, cromer)
    g = corridors.add_links(norfolk.corridors, [(hunstanton, cromer)], norfolk.areas)
    assert g.has_edge(hunstanton, cromer) and g.edges[hunstanton, cromer]["km"] > 40
    with pytest.raises(cp.InputError, match="unknown area code"):
        corridors.add_links(norfolk.corridors, [(hunstanton, "E0XXXXXXX")], norfolk.areas)


def test_links_read_from_csv(norfolk, tmp_path):
    p = tmp_path / "bus.csv"
    p.write_text("area_a,area_b\nE01026419,E01026681\n")
    pairs = corridors.read_links(p)
    assert pairs == [("E01026419", "E01026681")]
    assert corridors.add_links(norfolk.corridors, pairs, norfolk.areas).has_edge("E01026419", "E01026681")


def test_drop_long_links(norfolk):
    minutes = np.array([d["minutes"] for *_, d in norfolk.corridors.edges(data=True)])
    limit = float(np.percentile(minutes, 90))
    g = corridors.drop_long_links(norfolk.corridors, limit)
    assert all(d["minutes"] <= limit for *_, d in g.edges(data=True))
    assert g.number_of_edges() == int((minutes <= limit).sum())


def test_road_network_minutes_follow_the_roads(norfolk):
    a = norfolk.areas.loc[["E01026419"]]
    centre = norfolk.centres.loc[["attleborough-area"]]
    (xa, ya), (xc, yc) = a[["x", "y"]].iloc[0], centre[["x", "y"]].iloc[0]
    # synthetic road: an L-shaped route from the area's centroid to the centre, at 60 km/h
    road = gpd.GeoDataFrame({"kmh": [60.0]}, geometry=[LineString([(xa, ya), (xc, ya), (xc, yc)])], crs=27700)
    m = corridors.road_network_minutes(road, a, centre, speed_column="kmh")
    expected = (abs(xc - xa) + abs(yc - ya)) / 1000 / 60 * 60
    assert m.iloc[0, 0] == pytest.approx(expected, abs=0.01)


def test_geography_with_road_network_replaces_the_model(norfolk):
    xs = norfolk.areas["x"]
    ys = norfolk.areas["y"]
    # synthetic grid of roads over Norfolk, every 2 km, at 40 km/h
    gx = np.arange(xs.min() - 2000, xs.max() + 2000, 2000)
    gy = np.arange(ys.min() - 2000, ys.max() + 2000, 2000)
    lines = [LineString([(x, gy[0]), (x, gy[-1])]) for x in gx] + [LineString([(gx[0], y), (gx[-1], y)]) for y in gy]
    roads = gpd.GeoDataFrame(geometry=lines, crs=27700)
    # cut the segments at every crossing so the grid is a network
    roads = gpd.GeoDataFrame(geometry=[roads.union_all()], crs=27700).explode(index_parts=False)
    small = norfolk.with_corridors(norfolk.corridors)
    g2 = small.with_road_network(roads, speed_kmh=40.0)
    assert g2.travel_source == "road network shortest paths"
    located = norfolk.located_centres.index
    assert np.isfinite(g2.centre_minutes[located].to_numpy()).all()
    # grid (Manhattan) distance is never shorter than the straight line
    km = np.hypot(norfolk.areas["x"].to_numpy()[:, None] - norfolk.centres.loc[located, "x"].to_numpy()[None, :],
                  norfolk.areas["y"].to_numpy()[:, None] - norfolk.centres.loc[located, "y"].to_numpy()[None, :]) / 1000
    assert (g2.centre_minutes[located].to_numpy() >= km / 40 * 60 - 1e-6).all()
