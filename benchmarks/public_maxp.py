"""Network capacity (max-p) on public instances: the polygon datasets bundled with libpysal, side by side with spopt.

    pip install spopt                            # benchmark-only: brings libpysal and its bundled datasets
    python benchmarks/public_maxp.py             # every instance at floors of 2%, 5%, 10% and 20% of its total
    python benchmarks/public_maxp.py --skip-spopt --seconds 60 georgia stl
    python benchmarks/public_maxp.py --geoda virginia   # and GeoDa's max-p heuristics (pip install pygeoda)

Each instance is a libpysal example (real public data, not ours): Mexico's 32 states (a count of 1 each, the threshold
of spopt's own example), North Carolina's 100 counties (births 1974, ``sids2``), the 78 counties around St Louis
(population 1979-84, ``stl``) and Georgia's 159 counties (population 1990); and, added later as a check on instances the
code had not been tuned on, Columbus's 49 neighbourhoods (a count of 1 each, and its crime rate as the weight),
Chicago's 77 community areas and the 48 contiguous US states (a count of 1 each); and later still Tokyo's 262
municipalities (its self-intersecting rings made valid, and one overlap of 1.5% cut from the later of the pair, since
clusterplan refuses both) and Virginia's 136 counties and cities with the Chesapeake Bay Bridge-Tunnel as a link
(:data:`LINKS`), both a count of 1 each. Columbus's coordinates are in an unstated unit (the whole city 5 units across),
which clusterplan's area check rightly refuses as metres; they are scaled by 1,000 so that it reads them as metres (only
adjacency matters here). Areas are joined by queen contiguity (libpysal's ``Queen``, with :data:`LINKS`; spopt gets the
same), as spopt's examples do; the weight is read as whole numbers (rounded) in place of children under five.
clusterplan solves the capacity scenario (``model: capacity``, ``reach.min`` the floor) within ``--seconds`` and its
plan goes through the independent checker; spopt's ``MaxPHeuristic`` runs once per row with ``numpy.random.seed(0)`` and
three of the instance's numeric columns as attributes (its count of regions does not depend on them). Prints one table;
figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import clusterplan as cp
from clusterplan.scenario import Scenario

sys.path.insert(0, str(Path(__file__).parent))
from norfolk import machine  # noqa: E402

#: name -> (file under libpysal/examples, weight column or None for a count of 1 each, CRS of the file)
INSTANCES = {
    "mexico": ("mexico/mexicojoin.shp", None, "EPSG:4326"),
    "sids2": ("sids2/sids2.shp", "BIR74", "EPSG:4326"),
    "stl": ("stl/stl_hom.shp", "PO7984", "EPSG:4326"),
    "georgia": ("georgia/G_utm.shp", "TotPop90", "EPSG:32616"),
    "columbus": ("columbus/columbus.shp", None, None),
    "columbus_crime": ("columbus/columbus.shp", "CRIME", None),
    "chicago": ("chicago/Chicago77.shp", None, "EPSG:3435"),
    "us48": ("us_income/us48.shp", None, "EPSG:4326"),
    "tokyo": ("tokyo/tokyomet262.shp", None, "EPSG:30166"),
    "virginia": ("virginia/vautm17n.shp", None, "EPSG:32617"),
}
#: Instances whose coordinates are in an unstated unit, and the factor that makes them plausible metres.
SCALE = {"columbus": 1000.0, "columbus_crime": 1000.0}
#: Pairs of areas (by name) joined by a road across water: Virginia's Eastern Shore (Accomack and Northampton
#: counties) reaches the mainland only by the Chesapeake Bay Bridge-Tunnel, Northampton to Virginia Beach. Without it
#: the two counties are a corridor component of their own, and every floor above their count of 2 is infeasible.
LINKS = {"virginia": [("Northampton", "Virginia Beach")]}
NAME_COLUMN = "NAME"
#: Instances whose overlapping boundaries are cut apart (clusterplan refuses overlaps above 1% of the smaller area).
UNOVERLAP = {"tokyo"}
SHARES = (0.02, 0.05, 0.10, 0.20)


def load(name: str):
    """The instance as a GeoDataFrame with ``code`` and whole-number weights ``w``."""
    import geopandas as gpd
    from libpysal import examples
    path, col, crs = INSTANCES[name]
    df = gpd.read_file(os.path.join(os.path.dirname(examples.__file__), path))
    if name in SCALE:
        from shapely import affinity
        df = df.set_geometry([affinity.scale(g, SCALE[name], SCALE[name], origin=(0, 0)) for g in df.geometry])
        crs = "EPSG:3857"  # any metric CRS: only the areas' sizes are checked
    df = df.set_crs(crs, allow_override=True)
    if not df.geometry.is_valid.all():   # Tokyo's file has self-intersecting rings, which clusterplan refuses
        df = df.set_geometry(df.geometry.make_valid())
    if name in UNOVERLAP:   # and two municipalities overlapping by 1.5%: the later one loses the overlap
        geoms = list(df.geometry)
        for i, j in df.sindex.query(df.geometry, predicate="overlaps").T:
            if i < j:
                geoms[j] = geoms[j].difference(geoms[i])
        df = df.set_geometry(geoms)
    df["w"] = 1 if col is None else df[col].round().astype(int)
    df["code"] = [f"{name}{i:03d}" for i in range(len(df))]
    return df


def geography(df, name: str, folder: str, nbrs: dict[str, list[str]]) -> cp.Geography:
    """The instance as a clusterplan geography (its own files, queen contiguity as the corridors)."""
    import libpysal
    path = os.path.join(folder, f"{name}.gpkg")
    (df.to_crs("EPSG:3857") if df.crs.is_geographic else df)[["code", "w", "geometry"]].to_file(path, driver="GPKG")
    geo = cp.Geography.from_files(areas=path, boundaries=path, area_columns={"under5": "w"}, sites=None, name=name)
    return geo.with_adjacency(libpysal.weights.W(nbrs, silence_warnings=True))


def neighbours(df, name: str) -> dict[str, list[str]]:
    """Queen contiguity by area code, with the instance's :data:`LINKS` added."""
    import libpysal
    w = libpysal.weights.Queen.from_dataframe(df.set_index("code"), use_index=True, silence_warnings=True)
    nbrs = {k: list(v) for k, v in w.neighbors.items()}
    names = dict(zip(df[NAME_COLUMN], df["code"], strict=True)) if name in LINKS else {}
    for a, b in LINKS.get(name, []):   # real road links across water that queen contiguity cannot see
        nbrs[names[a]].append(names[b])
        nbrs[names[b]].append(names[a])
    return nbrs


def positional(df, nbrs: dict[str, list[str]]) -> dict[int, list[int]]:
    """``nbrs`` with each area as its row number (0, 1, ...), the ids spopt's examples and GeoDa's GAL files use."""
    pos = {c: k for k, c in enumerate(df["code"])}
    return {pos[c]: [pos[x] for x in near] for c, near in nbrs.items()}   # in nbrs' order: spopt's result follows it


def attributes(df) -> list[str]:
    """Three of the instance's numeric columns, the attributes the heuristics compare areas by (their count of regions
    does not depend on them)."""
    return [c for c in df.columns if c not in ("geometry", "code", "w") and pd.api.types.is_numeric_dtype(df[c])][:3]


def ours(geo: cp.Geography, floor: int, seconds: float) -> dict:
    scn = Scenario.from_dict({"model": "capacity", "reach": {"min": floor}, "solver": {"time_limit": seconds}})
    t0 = time.perf_counter()
    plan = cp.solve(geo, scn)
    took = time.perf_counter() - t0
    problems = cp.check(plan, geo, scn)
    return {"regions": int(plan.report.objective), "bound": int(plan.report.bound), "status": str(plan.report.status),
            "s": took, "checker": "ok" if not problems else f"{len(problems)} problems"}


def spopt_regions(df, nbrs: dict[str, list[str]], floor: int) -> tuple[int, float]:
    """spopt's MaxPHeuristic on the same contiguity. Its count can differ by a region from one process to the next
    (Mexico at 5%: 15 or 16, as Python's string hashing, ``PYTHONHASHSEED``, differs), whatever numpy's seed."""
    import libpysal
    from spopt.region import MaxPHeuristic
    w = libpysal.weights.W(positional(df, nbrs), silence_warnings=True)
    np.random.seed(0)
    t0 = time.perf_counter()
    model = MaxPHeuristic(df, w, attributes(df), "w", floor, top_n=2)
    model.solve()
    return int(model.p), time.perf_counter() - t0


def geoda_weights(df, nbrs: dict[str, list[str]], gal: str):
    """The same contiguity as GeoDa's weights, written to the GAL file ``gal`` and read back by pygeoda."""
    import pygeoda
    rows = positional(df, nbrs)
    with open(gal, "w") as f:
        f.write(f"0 {len(df)} {os.path.basename(gal)} id\n")
        for k, near in rows.items():
            f.write(f"{k} {len(near)}\n{' '.join(map(str, near))}\n")
    return pygeoda.read_gal(gal, [str(k) for k in rows])


def geoda_regions(df, w, floor: int) -> dict[str, int]:
    """GeoDa's max-p heuristics (pygeoda: greedy, simulated annealing at a cooling rate of 0.85, tabu search; their
    defaults otherwise, 99 iterations and GeoDa's own random seed) on weights ``w`` (:func:`geoda_weights`): regions
    found by each (areas GeoDa leaves in no region, label 0, are not counted as one)."""
    import pygeoda
    cols = attributes(df)
    data = df[cols] if cols else pd.DataFrame({"w": df["w"].astype(float)})
    bound = df["w"].astype(float)
    runs = {"greedy": lambda: pygeoda.maxp_greedy(w, data, bound, floor),
            "SA": lambda: pygeoda.maxp_sa(w, data, bound, floor, cooling_rate=0.85),
            "tabu": lambda: pygeoda.maxp_tabu(w, data, bound, floor)}
    return {k: len({c for c in run()["Clusters"] if c > 0}) for k, run in runs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*", default=list(INSTANCES), help=f"any of {', '.join(INSTANCES)}")
    ap.add_argument("--seconds", type=float, default=30.0, help="clusterplan's time limit per row (default 30)")
    ap.add_argument("--skip-spopt", action="store_true", help="leave out spopt's MaxPHeuristic")
    ap.add_argument("--geoda", action="store_true",
                    help="add GeoDa's max-p heuristics (pip install pygeoda): greedy, SA and tabu, regions found")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    print(f"machine: {machine()}; clusterplan time limit {a.seconds:g} s per row")
    print("| instance | areas | floor (share of total) | clusterplan | bound | status | s | checker | spopt "
          "| spopt s |" + (" GeoDa greedy, SA, tabu |" if a.geoda else ""))
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if a.geoda else ""))
    with tempfile.TemporaryDirectory() as folder:
        for name in a.instances:
            df = load(name)
            nbrs = neighbours(df, name)
            geo = geography(df, name, folder, nbrs)
            gw = geoda_weights(df, nbrs, os.path.join(folder, f"{name}.gal")) if a.geoda else None
            total = int(df["w"].sum())
            for share in SHARES:
                floor = max(1, round(share * total))
                try:
                    r = ours(geo, floor, a.seconds)
                except cp.InfeasibleError as exc:   # an island below the floor: the answer, with its reason
                    print(f"| {name} | {len(df)} | {floor:,} ({share:.0%}) | infeasible: "
                          f"{' '.join(str(exc).split())} | | | | | | |", flush=True)
                    continue
                p, ps = spopt_regions(df, nbrs, floor) if not a.skip_spopt else ("-", None)
                gd = ", ".join(map(str, geoda_regions(df, gw, floor).values())) if a.geoda else ""
                gd = f" {gd} |" if gd else ""
                print(f"| {name} | {len(df)} | {floor:,} ({share:.0%}) | {r['regions']} | {r['bound']} | {r['status']} "
                      f"| {r['s']:.1f} | {r['checker']} | {p} | {'-' if ps is None else f'{ps:.1f}'} |{gd}", flush=True)


if __name__ == "__main__":
    main()
