"""Scaling on SYNTHETIC instances (generated here, not real data): 2,000 and 8,000 areas, amalgamation model.

    python benchmarks/scaling.py                 # 2,000 and 8,000 areas, 120 s limit each
    python benchmarks/scaling.py --areas 2000 --seconds 60

Areas are Voronoi cells of uniform random points over a square placed in the British National Grid (England),
sized for Norfolk's density (about 10 km2 per area: 141 km across for 2,000 areas, 283 km for 8,000); under-fives
per area are drawn from a lognormal with median 73 (Norfolk's median LSOA, mid-2020) and spread 0.45; one area in
ten (at random) hosts a centre; IDACI scores uniform on [0.02, 0.45]. Seeded.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import voronoi_polygons
from shapely.geometry import MultiPoint, box

import clusterplan as cp


def synthetic_geography(n_areas: int, seed: int = 0, km2_per_area: float = 10.0) -> cp.Geography:
    """A SYNTHETIC geography of ``n_areas`` Voronoi areas (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side_km = float(np.sqrt(n_areas * km2_per_area))
    x0, y0 = 300_000.0, 150_000.0  # inside the British National Grid for up to ~15,000 areas
    side = side_km * 1000
    pts = rng.uniform(0, side, size=(n_areas, 2)) + [x0, y0]
    frame = box(x0, y0, x0 + side, y0 + side)
    cells = voronoi_polygons(MultiPoint(pts), extend_to=frame)
    polys = [c.intersection(frame) for c in cells.geoms]
    cell_gdf = gpd.GeoDataFrame(geometry=polys, crs=27700)
    # voronoi_polygons returns cells in arbitrary order: match each cell to its generating point
    pt_gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=27700)
    pi, ci = cell_gdf.sindex.query(pt_gdf.geometry, predicate="within")
    order = pd.Series(ci, index=pi).sort_index()
    codes = [f"S{n:05d}" for n in range(n_areas)]
    areas = pd.DataFrame({
        "name": [f"synthetic {c}" for c in codes],
        "under5": np.maximum(5, np.round(rng.lognormal(np.log(73), 0.45, n_areas))).astype(int),
        "idaci": rng.uniform(0.02, 0.45, n_areas), "district": "synthetic", "rural_urban": "C1",
        "x": pts[:, 0], "y": pts[:, 1]}, index=pd.Index(codes, name="code"))
    bnd = gpd.GeoSeries([polys[order[n]] for n in range(n_areas)], index=codes, crs=27700)
    hosts = np.sort(rng.choice(n_areas, size=n_areas // 10, replace=False))
    centres = pd.DataFrame({"name": [f"synthetic centre {k}" for k in range(len(hosts))],
                            "home_area": [codes[h] for h in hosts], "x": pts[hosts, 0], "y": pts[hosts, 1]},
                           index=pd.Index([f"c{k:04d}" for k in range(len(hosts))], name="id"))
    return cp.Geography.build(f"synthetic {n_areas}", areas, bnd, centres, None, travel=cp.travel.norfolk_model())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", type=int, nargs="*", default=[2000, 8000])
    ap.add_argument("--seconds", type=float, default=120)
    a = ap.parse_args()
    print("\n## Scaling on synthetic instances (amalgamation, floor 600, 15 nearest, precedence, warm start)\n")
    print("| areas | centres | children | build geography s | status | kept | gap | solve s | end-to-end s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in a.areas:
        t0 = time.perf_counter()
        geo = synthetic_geography(n)
        t_geo = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            plan = cp.solve(geo, {"model": "amalgamate", "solver": {"time_limit": a.seconds}})
            r = plan.report
            gap = f"{r.gap:.4f}" if r.gap is not None else "no bound"
            row = f"{r.status} | {len(plan.kept)} | {gap} | {r.seconds:.1f}"
        except cp.ClusterplanError as exc:
            row = f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]} | - | - | -"
        print(f"| {n} | {len(geo.centres)} | {int(geo.areas.under5.sum()):,} | {t_geo:.1f} | {row} | "
              f"{time.perf_counter() - t1:.1f} |", flush=True)


if __name__ == "__main__":
    main()
