"""Market bundles: the sets of adjacent lots one provider could bid for together within a value cap.

Two lots are adjacent when their catchments touch (a corridor link joins an area of one to an area of the other). A
bundle is a connected set of 2 to ``max_lots`` lots whose values (pounds per year) sum to at most the cap. Every such
set is listed (an exhaustive enumeration of connected sets, pruned by the cap: values are positive, so a set over the
cap never grows into one under it). Not a prediction of what the market will do: the room it has to do it.
"""

from __future__ import annotations

import pandas as pd

from .errors import ScenarioError
from .geography import Geography
from .measures import centre_graph

#: More bundles than this and the list stops being readable: the scenario is asked to narrow the question.
MAX_BUNDLES = 100_000


def market_bundles(lots: pd.DataFrame, assignment: pd.DataFrame, geo: Geography, max_lots: int,
                   cap: float) -> pd.DataFrame:
    """Every bundle: ``bundle`` (b0001 ...), ``size``, ``lots`` (lot labels), ``centres`` (ids), ``names`` (all
    '; '-joined) and ``value`` (pounds per year), smallest first, then by lot labels."""
    value = lots.set_index("centre")["value"].astype(float)
    label = lots.set_index("centre")["lot"]
    g = centre_graph(geo.corridors, assignment.set_index("area")["centre"].astype(str)).subgraph(value.index)
    order = {c: n for n, c in enumerate(sorted(g.nodes))}
    found: set[frozenset] = set()

    def grow(members: frozenset, total: float, frontier: set) -> None:
        if len(members) > 1:
            found.add(members)
            if len(found) > MAX_BUNDLES:
                raise ScenarioError(f"tender.bundle_max_lots: more than {MAX_BUNDLES:,} bundles of up to {max_lots} "
                                    "lots fit under the cap; ask for fewer lots per bundle or a lower cap")
        if len(members) == max_lots:
            return
        first = min(members, key=order.get)
        for n in sorted(frontier, key=order.get):
            t = total + value[n]
            nxt = members | {n}
            if order[n] < order[first] or t > cap + 1e-9 or nxt in found:
                continue
            grow(nxt, t, (frontier | set(g[n])) - nxt)

    for c in sorted(g.nodes, key=order.get):
        if value[c] <= cap + 1e-9:
            grow(frozenset([c]), float(value[c]), set(g[c]))
    rows = []
    for s in found:
        ids = sorted(s, key=lambda c: label[c])
        rows.append({"size": len(ids), "lots": "; ".join(label[c] for c in ids), "centres": "; ".join(ids),
                     "names": "; ".join(str(lots.set_index("centre").at[c, "name"]) for c in ids),
                     "value": round(float(sum(value[c] for c in ids)), 2)})
    out = pd.DataFrame(rows, columns=["size", "lots", "centres", "names", "value"])
    out = out.sort_values(["size", "lots"]).reset_index(drop=True)
    out.insert(0, "bundle", [f"b{n + 1:04d}" for n in range(len(out))])
    return out
