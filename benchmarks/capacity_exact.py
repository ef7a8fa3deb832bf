"""Network capacity where children / floor is not met: the exact method, and the search when regions are large.

    python benchmarks/capacity_exact.py small      # SYNTHETIC 30-150 areas, 3 and 5 areas a region: exact vs search
    python benchmarks/capacity_exact.py large      # SYNTHETIC 300 areas and real Norfolk, floors 10-20% of children
    python benchmarks/capacity_exact.py england    # real English authorities, floors of 5,000 to 20,000 children
    python benchmarks/capacity_exact.py counties   # four real counties as one geography of 2,044 areas (queen)
    python benchmarks/capacity_exact.py big        # SYNTHETIC 4,000 areas at 600 and at 2-20% of the children

Synthetic instances are the Voronoi geographies of ``benchmarks/scaling.py`` (generated, seeded, labelled
synthetic). Each row runs the capacity model end to end (``clusterplan.solve``, the independent checker on every
plan) and prints regions found, the bound it reports and how it was reached, the status and seconds; ``small`` also
prints what the exact method alone proves (``clusterplan.models.maxp_exact.solve``). ``counties`` joins the LSOAs of
four neighbouring English counties (:data:`COUNTIES`, from the England tables) into one geography of its own files
joined by queen contiguity, as a user's own geography or a public max-p instance would come, at the floors of the
public instances (2%, 5%, 10% and 20% of the children) and at 600, and with a count of 1 per area at 2%. ``big`` does
the same on a SYNTHETIC geography of 4,000 areas (about 10 km2 and 80 children each, 542 regions of 600 at most).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import clusterplan as cp
from clusterplan import england
from clusterplan.models import maxp_exact

sys.path.insert(0, str(Path(__file__).resolve().parent))
from norfolk import spopt_maxp  # noqa: E402
from scaling import synthetic_geography  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: Four neighbouring counties of the East of England (2,044 LSOAs). Essex is left out: queen contiguity leaves Canvey
#: Island (25 LSOAs, 1,959 children) a component of its own, so every floor above that is infeasible, as it says.
COUNTIES = ("Norfolk", "Suffolk", "Cambridgeshire", "Hertfordshire")
#: The floors of ``counties``: shares of the children, as ``benchmarks/public_maxp.py`` takes them, and 600.
SHARES = (0.02, 0.05, 0.10, 0.20)


def _row(label: str, geo: cp.Geography, floor: float, seconds: float, seed: int = 0) -> None:
    scn = {"model": "capacity", "reach": {"min": floor}, "solver": {"time_limit": seconds, "seed": seed}}
    t = time.perf_counter()
    plan = cp.solve(geo, scn)
    wall = time.perf_counter() - t
    problems = cp.check(plan, geo, scn)
    r = plan.report
    children = float(geo.areas["under5"].sum())
    simple = math.floor(children / floor)
    how = next((n.split("(")[1].rstrip(")") for n in r.notes if n.startswith("valid upper bound")), "")
    exact = next((n.split(": ", 1)[1] for n in r.notes if n.startswith("exact search")), "not needed")
    print(f"| {label} | {len(geo.areas)} | {floor:,.0f} | {simple} | {r.objective:.0f} | {r.bound:.0f} | {r.status} | "
          f"{wall:.1f} | {'ok' if not problems else problems[0]} | {exact[:90]} | {how[:60]} |", flush=True)


def small(seconds: float) -> None:
    print("\n### Exact method on small SYNTHETIC geographies (capacity model end to end; exact method alone)\n")
    print("| instance | areas | floor | children / floor | regions | bound | status | s | checker | exact search "
          "| bound from |\n|---|---|---|---|---|---|---|---|---|---|---|")
    alone = []
    for n in (30, 60, 100, 150):
        geo = synthetic_geography(n, seed=n)
        for per in (3, 5):
            floor = 73 * per
            _row(f"synthetic {n}, {per} areas a region", geo, floor, seconds)
            t = time.perf_counter()
            e = maxp_exact.solve(geo.corridors, geo.areas["under5"].to_dict(), floor, seconds=seconds)
            alone.append((n, floor, e, time.perf_counter() - t))
    print("\n| areas | floor | minimal regions | exact count | bound | proven | s |\n|---|---|---|---|---|---|---|")
    for n, floor, e, s in alone:
        print(f"| {n} | {floor} | {e.listed if e.listed is not None else 'over 100,000'} | {e.count} | {e.bound} | "
              f"{e.proven} | {s:.1f} |")


def large(seconds: float, spopt: bool) -> None:
    print("\n### Large regions: floors of 10-20% of a geography's children (capacity model end to end)\n")
    print("| instance | areas | floor | children / floor | regions | bound | status | s | checker | exact search "
          "| bound from |\n|---|---|---|---|---|---|---|---|---|---|---|")
    cases = [("synthetic 300", synthetic_geography(300, seed=300)), ("Norfolk (real)", cp.datasets.norfolk())]
    published = []
    for label, geo in cases:
        children = float(geo.areas["under5"].sum())
        for p in (5, 7, 10):   # floors of 9.5-18% of the children, half a region of slack under children / floor
            floor = math.floor(children / (p + 0.5))
            _row(f"{label}, floor {floor / children:.1%} of children", geo, floor, seconds)
            if spopt:
                t = time.perf_counter()
                published.append((label, floor, spopt_maxp(geo, 0, floor), time.perf_counter() - t))
    if published:
        print("\n| instance | floor | spopt MaxPHeuristic regions (seed 0) | s |\n|---|---|---|---|")
        for label, floor, p, s in published:
            print(f"| {label} | {floor:,} | {p} | {s:.1f} |")


def english(seconds: float, data: str) -> None:
    print("\n### English authorities (real), floors of 5,000 to 20,000 children (capacity model end to end)\n")
    print("| instance | areas | floor | children / floor | regions | bound | status | s | checker | exact search "
          "| bound from |\n|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ("Kent", "Hampshire", "Cornwall", "Birmingham"):
        geo = england.geography(name, data)
        for floor in (5_000, 10_000, 20_000):
            if geo.areas["under5"].sum() >= floor:
                _row(name, geo, floor, seconds)


def counties(seconds: float, data: str) -> None:
    import pandas as pd
    print(f"\n### {', '.join(COUNTIES)} as one geography (real LSOAs, queen contiguity; capacity end to end)\n")
    print("| instance | areas | floor | children / floor | regions | bound | status | s | checker | exact search "
          "| bound from |\n|---|---|---|---|---|---|---|---|---|---|---|")
    areas = pd.concat([england.geography(name, data).areas for name in COUNTIES]).reset_index()
    with tempfile.TemporaryDirectory() as folder:
        path, ones = Path(folder) / "counties.gpkg", Path(folder) / "ones.gpkg"
        areas[["code", "under5", "geometry"]].to_file(path, driver="GPKG")
        areas[["code", "geometry"]].assign(under5=1).to_file(ones, driver="GPKG")
        geo = cp.Geography.from_files(areas=path, boundaries=path, sites=None, name="four counties",
                                      adjacency="queen")
        each = cp.Geography.from_files(areas=ones, boundaries=ones, sites=None, name="four counties, 1 each",
                                       adjacency="queen")
    children = float(geo.areas["under5"].sum())
    for floor in [round(share * children) for share in SHARES] + [600]:
        _row(f"four counties, floor {floor / children:.1%} of children", geo, floor, seconds)
    # a count of 1 per area, as the public instances of spopt's examples take: regions of 41 areas at 2%
    _row("four counties, a count of 1 each, floor 2%", each, round(0.02 * len(each.areas)), seconds)


def big(seconds: float) -> None:
    print("\n### A SYNTHETIC geography of 4,000 areas (capacity end to end)\n")
    print("| instance | areas | floor | children / floor | regions | bound | status | s | checker | exact search "
          "| bound from |\n|---|---|---|---|---|---|---|---|---|---|---|")
    geo = synthetic_geography(4000, seed=0)
    children = float(geo.areas["under5"].sum())
    for floor in [600] + [round(share * children) for share in SHARES]:
        _row(f"synthetic 4,000, floor {floor / children:.1%} of children", geo, floor, seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["small", "large", "england", "counties", "big"], nargs="+",
                    help="small: synthetic 30-150 areas; large: floors of 9.5-18%% of the children; england: real "
                         "authorities at floors of 5,000-20,000; counties: four English counties as one geography; "
                         "big: a synthetic geography of 4,000 areas")
    ap.add_argument("--seconds", type=float, default=60.0, help="time limit of each capacity solve")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "england"),
                    help="folder of the England tables (england, counties)")
    ap.add_argument("--spopt", action="store_true", help="large: also run spopt's MaxPHeuristic (pip install spopt)")
    a = ap.parse_args()
    for w in a.what:
        {"small": lambda: small(a.seconds), "large": lambda: large(a.seconds, a.spopt),
         "england": lambda: english(a.seconds, a.data), "counties": lambda: counties(a.seconds, a.data),
         "big": lambda: big(a.seconds)}[w]()


if __name__ == "__main__":
    main()
