"""Write ``_base/``: six touching real Norfolk areas and one real centre, as a commissioner would hand them over.

Run from the repository root (``python tests/bad_inputs/make_base.py``) to regenerate; the files are copied from the
packaged Norfolk data (ONS mid-2020 under-fives, IoD2019 IDACI, ONS LSOA boundaries, the Attleborough centre as
located in the package's centres file): see clusterplan/data/ATTRIBUTION.md. The broken cases copy and break these.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd

import clusterplan as cp

HERE = Path(__file__).parent / "_base"
START = "E01026419"  # Breckland 010A, near Attleborough


def main() -> None:
    g = cp.datasets.norfolk(2020)
    codes = [START, *sorted(g.corridors.neighbors(START))][:6]
    a = g.areas.loc[codes]
    HERE.mkdir(exist_ok=True)
    pd.DataFrame({"code": codes, "name": a["name"].to_numpy(), "under5": a["under5"].to_numpy(),
                  "idaci": a["idaci"].to_numpy(), "district": a["district"].to_numpy(),
                  "x": a["x"].to_numpy(), "y": a["y"].to_numpy()}).to_csv(HERE / "areas.csv", index=False)
    gpd.GeoDataFrame({"code": codes}, geometry=a.geometry.to_numpy(), crs=27700).to_file(
        HERE / "boundaries.geojson", driver="GeoJSON")
    c = g.centres.loc[["attleborough"]]
    pd.DataFrame({"id": c.index, "name": c["name"].to_numpy(), "home_area": c["home_area"].to_numpy(),
                  "x": c["x"].to_numpy(), "y": c["y"].to_numpy()}).to_csv(HERE / "centres.csv", index=False)


if __name__ == "__main__":
    main()
