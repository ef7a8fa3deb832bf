"""Names on maps: none overlaps another, covers a centre or leaves the map (clusterplan.labels), and the north
arrow keeps off the map's areas (clusterplan.maps.scale_bar)."""

from __future__ import annotations

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from shapely.geometry import box  # noqa: E402

import clusterplan as cp  # noqa: E402
from clusterplan.labels import Label, place  # noqa: E402
from clusterplan.maps import plan_map, scale_bar  # noqa: E402


def _boxes(fig, texts):
    """The drawn boxes (pixels) of ``texts``, their annotation arrows left out."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [Text.get_window_extent(t, renderer) for t in texts]


def _overlapping(boxes) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]


def test_norfolk_centres_are_named_without_overlaps(norfolk):
    """Today's 53 Norfolk centres, a dozen of them within a few kilometres in Norwich: each is named once, and no
    name overlaps another, covers a centre's point or leaves the map (the names used to pile up over Norwich)."""
    plan = cp.solve(norfolk, {"model": "status_quo"}, quiet=True)
    below = plan.centres.loc[plan.centres["reach"] < 600, "centre"].astype(str).tolist()
    fig = plan_map(plan, norfolk, highlight=below)
    ax = fig.axes[0]
    names = [t for t in ax.texts if t.get_fontsize() == 5.5]
    expected = sorted(cp.maps.label_text(cp.maps.short_name(n))
                      for n in norfolk.centres.loc[plan.centres["centre"].astype(str), "name"])
    assert sorted(t.get_text() for t in names) == expected
    boxes = _boxes(fig, names)
    assert not [(names[i].get_text(), names[j].get_text()) for i, j in _overlapping(boxes)]
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)
    points = ax.transData.transform(cp.measures.facility_points(norfolk, plan.centres["centre"].astype(str))
                                    [["x", "y"]].to_numpy(float))
    covered = [(t.get_text(), k) for t, b in zip(names, boxes, strict=True) for k, p in enumerate(points)
               if b.contains(*p)]
    assert not covered
    # the legend, scale bar and north arrow are kept clear too
    others = [a for a in [ax.get_legend(), *[t for t in ax.texts if t.get_text() in ("N", "20 km")]] if a]
    assert len(others) == 3
    clear = _boxes(fig, [o for o in others if isinstance(o, Text)]) + \
        [ax.get_legend().get_window_extent(fig.canvas.get_renderer())]
    assert not [(t.get_text(), c) for t, b in zip(names, boxes, strict=True) for c in clear if b.overlaps(c)]
    key = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
    assert frame.x0 <= key.x0 and key.x1 <= frame.x1   # Norfolk leaves its lower left corner to the key
    plt.close(fig)


def test_the_key_moves_beside_a_map_that_fills_its_lower_left_corner():
    """SYNTHETIC: a tall strip of areas (a London borough's shape) fills the corner where the key stands; the key
    goes beside the map instead of over its areas (it hid a spoke at Lambeth's southern tip)."""
    from tests import synthetic as syn
    # an L: a column of areas down the west side, the east side only in the north; the south east is empty, so
    # the scale bar keeps its place and the key would stand on the south-west areas
    cells = {f"c{x}_{y}": (float(x), float(y)) for x in range(3) for y in range(8) if x == 0 or y >= 4}
    edges = [(a, b) for a in cells for b in cells
             if a < b and abs(cells[a][0] - cells[b][0]) + abs(cells[a][1] - cells[b][1]) == 1]
    geo = syn.make(cells, dict.fromkeys(cells, 100), edges, {"A": "c0_1", "B": "c2_6", "C": "c0_0"})
    plan = cp.solve(geo, {"model": "amalgamate", "reach": {"min": 500}}, quiet=True)
    assert plan.centres.set_index("centre").at["C", "status"] == "amalgamated"
    fig = plan_map(plan, geo, highlight=["A"])   # a key of three rows: kept, amalgamated, highlighted
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    key, frame = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    assert key.x0 >= frame.x1
    plt.close(fig)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_tight_cluster_of_points_is_named_clear_of_each_other(seed):
    """SYNTHETIC: 30 points within a hundredth of the map's width (a city on a county map): every name placed
    clear of the others and inside the axes, those away from their point joined to it by a leader line."""
    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.set_xlim(0, 100_000)
    ax.set_ylim(0, 80_000)
    pts = rng.normal(50_000, 500, size=(30, 2))
    labels = [Label(x, y, f"Centre number {k} of the city", {"fontsize": 5.5}) for k, (x, y) in enumerate(pts)]
    made, squeezed = place(ax, labels, markers=[(x, y, 22) for x, y in pts])
    assert squeezed == 0
    assert [a.get_text() for a in made] == [lab.text for lab in labels]
    assert [tuple(a.xy) for a in made] == [(lab.x, lab.y) for lab in labels]   # each names its own point
    boxes = _boxes(fig, made)
    assert not _overlapping(boxes)
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)
    assert sum(a.arrow_patch is not None for a in made) >= 15   # most had to move far away: a leader line each
    plt.close(fig)


def test_names_with_no_room_are_counted_not_hidden():
    """SYNTHETIC: 80 long names on a map the size of a stamp cannot all fit: every one is still drawn, and how many
    overlap is said."""
    fig, ax = plt.subplots(figsize=(1.2, 1.0))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    labels = [Label(5 + (k % 3) * 0.1, 5, f"A centre with a long name {k}", {"fontsize": 6}) for k in range(80)]
    made, squeezed = place(ax, labels)
    assert len(made) == 80
    assert 0 < squeezed <= 80
    assert len(_overlapping(_boxes(fig, made))) > 0   # the count is honest: they do overlap
    plt.close(fig)


def test_the_same_map_gives_the_same_names_in_the_same_places():
    """Placement is deterministic: the order is by crowding, then by name."""
    pts = np.random.default_rng(3).normal(0, 1_000, size=(25, 2))
    where = []
    for _ in range(2):
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.set_xlim(-20_000, 20_000)
        ax.set_ylim(-16_000, 16_000)
        made, _ = place(ax, [Label(x, y, f"name {k}", {"fontsize": 6}) for k, (x, y) in enumerate(pts)])
        where.append([(a.get_text(), tuple(np.round(a.xyann, 6)), a.get_ha(), a.get_va()) for a in made])
        plt.close(fig)
    assert where[0] == where[1]


def _arrow(ax):
    return next(t for t in ax.texts if t.get_text() == "N")


@pytest.mark.parametrize(("filled", "corner"), [("none", "right"), ("upper right", "left"),
                                                ("both", "above")])
def test_the_north_arrow_keeps_off_the_map(filled, corner):
    """SYNTHETIC shapes on a 100 x 80 km frame: the arrow stands in the upper right, in the upper left where land
    fills the upper right (Lowestoft on Suffolk's map), and above the map where land fills both corners."""
    shapes = [box(10_000, 10_000, 90_000, 60_000)]
    if filled in ("upper right", "both"):
        shapes.append(box(80_000, 60_000, 100_000, 80_000))
    if filled == "both":
        shapes.append(box(0, 60_000, 20_000, 80_000))
    g = gpd.GeoSeries(shapes, crs=27700)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.set_xlim(0, 100_000)
    ax.set_ylim(0, 80_000)
    scale_bar(ax, shapes=g)
    arrow = _arrow(ax)
    x_tail, y_tail = arrow.xyann
    x_head, y_head = arrow.xy
    assert y_head > y_tail and x_head == x_tail   # it points north
    assert (x_tail > 50_000) == (corner in ("right", "above"))
    spine = box(x_tail - 1, y_tail, x_tail + 1, y_head)
    assert not g.intersects(spine).any()
    if corner == "above":
        assert ax.get_ylim()[1] > 80_000 and y_tail > 80_000
    else:
        assert ax.get_ylim() == (0, 80_000)
    plt.close(fig)


def test_the_scale_bar_keeps_off_the_map():
    """SYNTHETIC: land in the lower right corner (Darlington's southern tip under its 5 km bar): the axes grow
    downward and the bar stands below the land; with the corner empty nothing moves."""
    for filled in (False, True):
        shapes = [box(10_000, 20_000, 90_000, 80_000)] + ([box(60_000, 0, 100_000, 20_000)] if filled else [])
        g = gpd.GeoSeries(shapes, crs=27700)
        fig, ax = plt.subplots(figsize=(6, 5))
        ax.set_xlim(0, 100_000)
        ax.set_ylim(0, 80_000)
        bar = scale_bar(ax, shapes=g)[0]
        (bx0, bx1), (by, _) = bar.get_xdata(), bar.get_ydata()
        assert bx1 - bx0 == 20_000   # 20 km on a 100 km map
        assert (ax.get_ylim()[0] < 0) == filled
        assert not g.intersects(box(bx0, by - 1, bx1, by + 1)).any()
        plt.close(fig)


def test_too_many_centres_to_name_still_names_the_cluster_leads(monkeypatch):
    """SYNTHETIC 4 x 2 grid, four centres in two clusters. Where every centre cannot be named (Kent's 79 centres
    above the map's limit), the map named none, so its twelve clusters had no names; now it names the leads (the
    clusters' names, in bold) and the centres that close."""
    from . import synthetic as syn
    geo = syn.grid(4, 2, 200, {"A": (0, 0), "B": (1, 1), "C": (2, 0), "D": (3, 1)})
    plan = cp.solve(geo, {"model": "cluster", "reach": {"min": 300}, "deprivation": {"weight": 0},
                          "clusters": {"count": 2, "require_phase1": False}, "solver": {"time_limit": 30}},
                    quiet=True)
    leads = sorted(set(plan.assignment["cluster"].astype(str)))
    assert len(leads) == 2

    def named(fig):
        texts = [t for t in fig.axes[0].texts if t.get_fontsize() == 5.5]
        return sorted(t.get_text() for t in texts), sorted(t.get_text() for t in texts if t.get_fontweight() == "bold")

    all_names, bold = named(fig := plan_map(plan, geo))
    assert len(all_names) == 4 and len(bold) == 2   # room for all: every centre, the leads in bold
    plt.close(fig)
    monkeypatch.setattr(cp.maps, "MAX_LABELS", 3)
    all_names, bold = named(fig := plan_map(plan, geo))
    assert all_names == bold and len(bold) == 2      # no room: the two leads only
    plt.close(fig)
