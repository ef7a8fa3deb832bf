"""Contiguity by shortest-path precedence, shared by every model.

For a facility j (centre, site or cluster lead) with home node h_j, let d_j(v) be the shortest-path length from h_j to
v in the corridor graph (edge weight: minutes). Node v may join j only if one of its neighbours u that comes strictly
before it in the order (d_j, code) also joins j; the home node itself stands for "j is open":

    x[v, j] <= sum over u in pred_j(v) of x[u, j]        (x[h_j, j] read as y[j])

Every catchment that satisfies this is connected together with its home node (follow predecessors back to h_j). The
converse does not hold: this admits only catchments that are "star-shaped" along shortest paths from the home, a
restriction that costs little in practice (0.06% on a Norfolk-sized case) but means the model's proven optimum is
optimal *among such catchments*. The reported ``scope`` says so, and ``solver.certify`` adds a bound that is valid for
all connected catchments.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterable

import networkx as nx

SCOPE = ("catchments connected by shortest-path precedence along the corridors (each area joins its centre "
         "through a neighbour nearer that centre)")


#: graph -> (its fingerprint, {(home, weight): distances}). One solve builds the same homes' precedence several
#: times (the first solve, the model, today's catchments, the heuristic's start): each Dijkstra runs once per graph.
_DISTANCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fingerprint(graph: nx.Graph, weight: str) -> tuple:
    """What the distances depend on, cheap to read (nodes, links, total minutes): a link added or removed, or
    minutes changed, makes the held distances miss. A graph edited in place so that all three stay the same (one
    link swapped for another of equal minutes) would not: clusterplan builds its graphs whole and never edits one
    it has measured, and so should a caller."""
    return (graph.number_of_nodes(), graph.number_of_edges(),
            sum(float(w) for *_, w in graph.edges(data=weight, default=1.0)))


def distances(graph: nx.Graph, home: Hashable, *, weight: str = "minutes") -> dict[Hashable, float]:
    """Shortest-path length (``weight``, minutes by default) from ``home`` to every node reachable from it, as
    networkx's Dijkstra gives it; kept per graph and home (shared: read it, do not change it), and worked out
    again when the graph changes."""
    return distances_from(graph, [home], weight=weight)[home]


def distances_from(graph: nx.Graph, homes: Iterable[Hashable], *,
                   weight: str = "minutes") -> dict[Hashable, dict[Hashable, float]]:
    """:func:`distances` from each of ``homes`` (home -> node -> minutes), the graph's fingerprint read once."""
    stamp = _fingerprint(graph, weight)
    held = _DISTANCES.get(graph)
    if held is None or held[0] != stamp:
        held = (stamp, {})
        _DISTANCES[graph] = held
    out = {}
    for home in homes:
        key = (home, weight)
        if key not in held[1]:
            held[1][key] = nx.single_source_dijkstra_path_length(graph, home, weight=weight)
        out[home] = held[1][key]
    return out


def order(graph: nx.Graph, home: Hashable, *, weight: str = "minutes",
          dist: dict[Hashable, float] | None = None) -> dict[Hashable, tuple[float, str]]:
    """Sort key (distance from ``home`` in minutes, code) of every node reachable from ``home`` (``dist``: those
    distances, from :func:`distances_from`, when already at hand)."""
    dist = distances(graph, home, weight=weight) if dist is None else dist
    return {v: (d, str(v)) for v, d in dist.items()}


def predecessors(graph: nx.Graph, home: Hashable, members: Iterable[Hashable], *,
                 weight: str = "minutes", dist: dict[Hashable, float] | None = None) -> dict[Hashable, list[Hashable]]:
    """For each node in ``members`` (other than ``home``), its admissible predecessors toward ``home`` (``dist``:
    the distances from ``home``, see :func:`order`).

    A node whose every predecessor is unavailable is dropped (it cannot join under precedence), and so on outward,
    in one pass by increasing distance. ``home`` maps to ``[]``; predecessors may include ``home``.
    """
    key = order(graph, home, weight=weight, dist=dist)
    allowed = {v for v in members if v in key} | {home}
    out: dict[Hashable, list[Hashable]] = {home: []}
    for v in sorted(allowed - {home}, key=key.__getitem__):
        preds = [u for u in graph.neighbors(v) if u in out and key[u] < key[v]]
        if preds:
            out[v] = sorted(preds, key=str)
    return out


def connected_with_home(graph: nx.Graph, nodes: Iterable[Hashable], home: Hashable) -> bool:
    """True if ``nodes`` together with ``home`` induce a connected subgraph of ``graph`` (the checker's rule)."""
    s = set(nodes) | {home}
    return nx.is_connected(graph.subgraph(s)) if s else True
