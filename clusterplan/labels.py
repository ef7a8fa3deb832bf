"""Names on a map without overlaps: each label goes to the first free spot around its point, nearest first.

Greedy placement (the classic cartographic heuristic): the most crowded points are labelled first; each label tries
positions in rings of growing radius around its point (eight directions on the first rings, more on wider ones,
about a label's height apart), and takes the first whose box stays inside the axes and overlaps no label already
placed, no marker and no fixed furniture (the legend, the north arrow, the scale bar). A label placed more than
:data:`LEADER_FROM` points from its point is joined to it by a thin leader line. Where no position is free (more
names than room), the label takes the position it overlaps least, and :func:`place` counts it.

Placement works in display space, so it is done once the axes have their final size: after ``tight_layout``. Saving
at another dpi scales the labels' offsets and the map alike, so the layout holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Annotation

#: Ring radii grow by this factor from :data:`FIRST_RADIUS` points, up to the axes' diagonal.
FIRST_RADIUS = 3.0
GROWTH = 1.45
#: Directions tried in the first rings, in order of preference: up-right first (the usual place of a map label).
#: Wider rings try more, spaced about a label's height apart round the ring, starting up-right.
DIRECTIONS = tuple((np.cos(a), np.sin(a)) for a in np.radians([45, 0, -45, 135, 180, -135, 90, -90]))
#: A direction whose x (or y) part is within this of 0 centres the label on the point that way.
SIDEWAYS = 0.3
#: Points counted as neighbours of a point within this many points, to order the labels hardest first.
CROWD_RADIUS = 40.0
#: A label placed farther than this many points from its point is joined to it by a leader line.
LEADER_FROM = 10.0
#: Clearance kept around each label's box, in pixels.
MARGIN = 1.0


@dataclass
class Label:
    """A name to place: its point (data coordinates), its text and the keywords of its
    :meth:`matplotlib.axes.Axes.annotate` call (fontsize, colour, bbox...)."""

    x: float
    y: float
    text: str
    style: dict


def place(ax: Axes, labels: list[Label], *, markers: list[tuple[float, float, float]] = (),
          avoid: list = ()) -> tuple[list[Annotation], int]:
    """Annotate ``ax`` with ``labels`` so that no two overlap (see the module docstring) and return the
    annotations (in the order given) and how many could not be placed clear of everything.

    ``markers``: (x, y, size) of every marker drawn (data coordinates; size as a scatter's ``s``, points squared),
    which labels keep clear of. ``avoid``: artists already drawn (the legend, the north arrow...) whose boxes labels
    keep clear of."""
    if not labels:
        return [], 0
    fig = ax.figure
    renderer = renderer_of(fig)
    px_per_pt = fig.dpi / 72.0
    frame = ax.get_window_extent(renderer)
    anchors = ax.transData.transform(np.array([[lab.x, lab.y] for lab in labels], dtype=float))
    fixed = [_box(a.get_window_extent(renderer)) for a in avoid if a is not None and a.get_visible()]
    if len(markers):
        mk = np.asarray(markers, dtype=float)
        centre = ax.transData.transform(mk[:, :2])
        half = np.sqrt(mk[:, 2])[:, None] / 2 * px_per_pt
        fixed += [tuple(v) for v in np.hstack([centre - half, centre + half])]
    blocked = np.array(fixed, dtype=float).reshape(-1, 4)

    # hardest first: the points with most neighbours nearby, then by name (so the same map gives the same labels)
    d = np.hypot(*(anchors[:, None, :] - anchors[None, :, :]).transpose(2, 0, 1))
    crowd = (d < CROWD_RADIUS * px_per_pt).sum(axis=1)
    order = sorted(range(len(labels)), key=lambda i: (-crowd[i], labels[i].text, i))
    diagonal = np.hypot(frame.width, frame.height)
    radii = []
    r = FIRST_RADIUS * px_per_pt
    while r < diagonal:
        radii.append(r)
        r *= GROWTH
    out: list[Annotation | None] = [None] * len(labels)
    placed = np.empty((0, 4))
    squeezed = 0
    for i in order:
        lab = labels[i]
        probe = ax.annotate(lab.text, (lab.x, lab.y), xytext=(0, 0), textcoords="offset points", ha="left",
                            va="bottom", **lab.style)
        ext = probe.get_window_extent(renderer)
        probe.remove()
        w, h = ext.width + 2 * MARGIN, ext.height + 2 * MARGIN
        best, best_cost = None, np.inf
        for radius in radii:
            for dx, dy in _directions(radius, h):
                ox, oy = anchors[i, 0] + dx * radius, anchors[i, 1] + dy * radius
                x0 = ox if dx > SIDEWAYS else ox - w if dx < -SIDEWAYS else ox - w / 2
                y0 = oy if dy > SIDEWAYS else oy - h if dy < -SIDEWAYS else oy - h / 2
                box = np.array([x0, y0, x0 + w, y0 + h])
                if box[0] < frame.x0 or box[1] < frame.y0 or box[2] > frame.x1 or box[3] > frame.y1:
                    continue
                cost = _overlap(box, placed) + _overlap(box, blocked)
                if cost < best_cost:
                    best, best_cost = (dx, dy, radius, box), cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        if best is None:   # not even room inside the axes: beside the point, as an unplaced label would be
            best = (DIRECTIONS[0][0], DIRECTIONS[0][1], radii[0],
                    np.array([anchors[i, 0], anchors[i, 1], anchors[i, 0] + w, anchors[i, 1] + h]))
            best_cost = np.inf
        squeezed += best_cost > 0
        dx, dy, radius, box = best
        ha = "left" if dx > SIDEWAYS else "right" if dx < -SIDEWAYS else "center"
        va = "bottom" if dy > SIDEWAYS else "top" if dy < -SIDEWAYS else "center"
        # the text sits MARGIN inside its box, away from the point
        mx = MARGIN if dx > SIDEWAYS else -MARGIN if dx < -SIDEWAYS else 0.0
        my = MARGIN if dy > SIDEWAYS else -MARGIN if dy < -SIDEWAYS else 0.0
        offset = ((dx * radius + mx) / px_per_pt, (dy * radius + my) / px_per_pt)
        leader = {"arrowprops": {"arrowstyle": "-", "color": "#555555", "linewidth": 0.5, "shrinkA": 0,
                                 "shrinkB": 2}} if radius > LEADER_FROM * px_per_pt else {}
        out[i] = ax.annotate(lab.text, (lab.x, lab.y), xytext=offset, textcoords="offset points", ha=ha, va=va,
                             **leader, **lab.style)
        placed = np.vstack([placed, box])
    return [a for a in out if a is not None], int(squeezed)


def renderer_of(fig):
    """The renderer that measures text on ``fig`` before it is drawn (the canvas's where it has one, as Agg and
    Jupyter's inline backend do; else the figure's own, as for the PDF backend)."""
    return fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()


def _directions(radius: float, height: float) -> tuple[tuple[float, float], ...]:
    """Unit vectors to try at ``radius`` (pixels) for a label ``height`` pixels tall: :data:`DIRECTIONS`, or more
    where the ring is long enough for more labels."""
    n = int(2 * np.pi * radius / max(height, 1.0))
    if n <= len(DIRECTIONS):
        return DIRECTIONS
    angles = np.pi / 4 - 2 * np.pi * np.arange(n) / n
    return tuple(zip(np.cos(angles), np.sin(angles), strict=True))


def _box(bbox) -> tuple[float, float, float, float]:
    return (bbox.x0, bbox.y0, bbox.x1, bbox.y1)


def _overlap(box: np.ndarray, boxes: np.ndarray) -> float:
    """The area (pixels squared) by which ``box`` overlaps the ``boxes`` (rows x0, y0, x1, y1), summed."""
    if not len(boxes):
        return 0.0
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float(np.sum(np.clip(w, 0, None) * np.clip(h, 0, None)))
