"""England: a geography for any English upper-tier authority, built from the England-wide tables.

Children's centres (now family hubs) are commissioned by upper-tier authorities: the 24 county councils of April 2022,
59 unitary authorities, 36 metropolitan districts and 33 London boroughs (with the City of London), 152 in all. The
England tables key each LSOA (2011) to its local authority district (2022); a county is the union of its districts
(:data:`COUNTIES`, after the ONS "Local Authority District to County (April 2022)" lookup); every other district is
its own upper tier. Counties reorganised since April 2022 (Cumbria, North Yorkshire, Somerset in 2023) are given as
they stood then, which is the geography the district codes describe.

The tables are not shipped in the package (the boundary file alone is 32 MB): point :func:`geography` at the folder
with ``data=`` or the ``CLUSTERPLAN_ENGLAND_DATA`` environment variable. Centre locations are not known nationally, so
an England geography plans over area centroids (``sites: area_centroids`` and the ``capacity`` model), and says so.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import corridors as corr
from . import travel as trv
from .errors import InputError
from .geography import Geography, sha256

ENV = "CLUSTERPLAN_ENGLAND_DATA"

#: The England tables a geography is built from (file names as in ``shared/data/england``).
FILES = {
    "boundaries": "ew_lsoa11_boundaries_bsc.geojson.gz",
    "population": "ew_lsoa11_population_mid2020_under5.csv",
    "centroids": "ew_lsoa11_population_weighted_centroids.csv",
    "lookup": "ew_lsoa11_lsoa21_lad22_bestfit_lookup.csv",
    "idaci": "england_lsoa11_iod2019_income_idaci_idaopi_scores.csv",
    "imd": "england_lsoa11_imd2019_ranks_deciles.csv",
}

#: The county table: ONS "Local Authority District to County (April 2022)" for the 24 county councils, shipped
#: as ``clusterplan/data/england/lad22_cty22_april2022.csv`` (LAD22CD, LAD22NM, CTY22CD, CTY22NM).
COUNTY_FILE = "lad22_cty22_april2022.csv"


def _counties() -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """County council (CTY22CD) -> (name, its districts (LAD22CD, LAD22NM)), from the county table."""
    with (resources.files("clusterplan") / "data" / "england" / COUNTY_FILE).open("rb") as f:
        table = pd.read_csv(f, dtype=str)
    return {cty: (str(grp["CTY22NM"].iloc[0]), tuple(zip(grp["LAD22CD"], grp["LAD22NM"], strict=True)))
            for cty, grp in table.groupby("CTY22CD", sort=True)}


#: County council (CTY22CD) -> (name, its districts (LAD22CD, LAD22NM)), as of April 2022 (:data:`COUNTY_FILE`).
COUNTIES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = _counties()

KINDS = {"E06": "unitary authority", "E08": "metropolitan district", "E09": "London borough",
         "E10": "county council"}


def data_folder(data: str | Path | None = None) -> Path:
    """The folder holding the England tables: ``data``, else ``$CLUSTERPLAN_ENGLAND_DATA``; an
    :class:`InputError` names what is missing and how to point to it."""
    if data is None:
        data = os.environ.get(ENV)
    if not data:
        raise InputError("England data", [
            "no folder given: pass data=<folder> (CLI: --england-data <folder>) or set the environment variable "
            f"{ENV}; the folder must hold {', '.join(FILES.values())} (shared/data/england in this project)"])
    folder = Path(data).expanduser()
    if not folder.is_dir():
        raise InputError(str(folder), [f"not a folder; expected the England tables folder holding "
                                       f"{', '.join(FILES.values())}"])
    missing = [f for f in FILES.values() if not (folder / f).is_file()]
    if missing:
        raise InputError(str(folder), [f"missing {f} (one of the England tables)" for f in missing])
    return folder.resolve()


def upper_tier(lookup: pd.DataFrame) -> pd.DataFrame:
    """Map each English district of ``lookup`` (columns ``LAD22CD``, ``LAD22NM``) to its upper-tier authority.

    Returns one row per district: ``district_code``, ``district``, ``authority_code``, ``authority``, ``kind``.
    Raises :class:`InputError` if a two-tier district (E07) is in no county, or a county's district is missing or
    named differently in the lookup (a sign the lookup is of another year).
    """
    d = lookup[["LAD22CD", "LAD22NM"]].drop_duplicates().set_axis(["district_code", "district"], axis=1)
    d = d[d["district_code"].str.startswith("E")].sort_values("district_code").reset_index(drop=True)
    county_of = {lad: (cty, name) for cty, (name, lads) in COUNTIES.items() for lad, _ in lads}
    problems = []
    names = dict(zip(d["district_code"], d["district"], strict=True))
    for cty, (cname, lads) in COUNTIES.items():
        for lad, lname in lads:
            if lad not in names:
                problems.append(f"district {lad} ({lname}) of {cname} ({cty}) is not in the lookup")
            elif names[lad] != lname:
                problems.append(f"district {lad} is named {names[lad]!r} in the lookup, {lname!r} in {cname}")
    rows = []
    for code, name in names.items():
        if code.startswith("E07"):
            if code not in county_of:
                problems.append(f"two-tier district {code} ({name}) belongs to no county in clusterplan.england")
                continue
            cty, cname = county_of[code]
            rows.append((code, name, cty, cname, KINDS["E10"]))
        else:
            rows.append((code, name, code, name, KINDS.get(code[:3], "other")))
    if problems:
        raise InputError(f"{FILES['lookup']} (district -> upper tier)", problems)
    return pd.DataFrame(rows, columns=["district_code", "district", "authority_code", "authority", "kind"])


def _read_csv(folder: Path, key: str, **kw) -> pd.DataFrame:
    path = folder / FILES[key]
    try:
        return pd.read_csv(path, **kw)
    except (ValueError, OSError) as exc:
        first = str(exc).splitlines()[0]
        raise InputError(str(path), [f"cannot be read as the England {key} table: {first}"]) from None


def _need(df: pd.DataFrame, cols: list[str], folder: Path, key: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(str(folder / FILES[key]), [f"missing column '{c}'" for c in missing])


@lru_cache(maxsize=2)
def _tables(folder: Path) -> tuple[pd.DataFrame, gpd.GeoSeries, pd.DataFrame, dict[str, str]]:
    """Every English LSOA with its authority and data (areas), boundaries (EPSG:27700), district map, file hashes."""
    lookup = _read_csv(folder, "lookup", dtype=str)
    _need(lookup, ["LSOA11CD", "LAD22CD", "LAD22NM"], folder, "lookup")
    lookup = lookup[lookup["LSOA11CD"].str.startswith("E")]
    tiers = upper_tier(lookup)
    pop = _read_csv(folder, "population")
    _need(pop, ["lsoa11_code", "lsoa11_name", "age_0_4"], folder, "population")
    idaci = _read_csv(folder, "idaci")
    _need(idaci, ["LSOA Code (2011)", "IDACI Score"], folder, "idaci")
    imd = _read_csv(folder, "imd")
    _need(imd, ["lsoa11_code", "IMD_decile"], folder, "imd")
    cen = _read_csv(folder, "centroids")
    _need(cen, ["lsoa11cd", "lon", "lat"], folder, "centroids")
    codes = pd.Index(sorted(lookup["LSOA11CD"]), name="code")
    pts = gpd.GeoSeries(gpd.points_from_xy(cen["lon"], cen["lat"]), index=cen["lsoa11cd"],
                        crs="EPSG:4326").to_crs(27700)
    lk = lookup.set_index("LSOA11CD")
    tier = tiers.set_index("district_code")
    areas = pd.DataFrame({
        "name": pop.set_index("lsoa11_code")["lsoa11_name"].reindex(codes),
        "district": lk["LAD22NM"].reindex(codes),
        "authority_code": tier["authority_code"].reindex(lk["LAD22CD"].reindex(codes)).to_numpy(),
        "under5": pop.set_index("lsoa11_code")["age_0_4"].reindex(codes),
        "idaci": idaci.set_index("LSOA Code (2011)")["IDACI Score"].reindex(codes),
        "imd_decile": imd.set_index("lsoa11_code")["IMD_decile"].reindex(codes),
        "x": pts.x.reindex(codes), "y": pts.y.reindex(codes),
    }, index=codes)
    path = folder / FILES["boundaries"]
    try:
        bnd = gpd.read_file(f"/vsigzip/{path}" if path.suffix == ".gz" else path, columns=["LSOA11CD"],
                            where="LSOA11CD LIKE 'E01%'")
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise InputError(str(path), [f"cannot be read as LSOA boundaries: {str(exc).splitlines()[0]}"]) from None
    if "LSOA11CD" not in bnd.columns:
        raise InputError(str(path), ["missing property 'LSOA11CD' (the LSOA 2011 code)"])
    bnd = bnd.set_index("LSOA11CD").geometry.to_crs(27700)
    hashes = {k: sha256(folder / f) for k, f in FILES.items()}
    return areas, bnd, tiers, hashes


def authorities(data: str | Path | None = None) -> pd.DataFrame:
    """The 152 upper-tier authorities: index ``code``; ``name``, ``kind``, ``districts`` (names joined by "; "),
    ``areas`` (LSOAs) and ``under5`` (children aged 0-4, mid-2020)."""
    areas, _, tiers, _ = _tables(data_folder(data))
    per = areas.groupby("authority_code").agg(areas=("under5", "size"), under5=("under5", "sum"))
    t = tiers.groupby("authority_code").agg(name=("authority", "first"), kind=("kind", "first"),
                                            districts=("district", lambda s: "; ".join(sorted(s))))
    out = t.join(per).sort_index()
    out.index.name = "code"
    return out


def find(authority: str, table: pd.DataFrame) -> str:
    """The code of ``authority`` (a code such as ``E10000020`` or a name such as ``Norfolk``, any case), or an
    :class:`InputError` suggesting the closest names."""
    key = str(authority).strip()
    if key.upper() in table.index:
        return key.upper()
    by_name = {n.casefold(): c for c, n in table["name"].items()}
    if key.casefold() in by_name:
        return by_name[key.casefold()]
    close = difflib.get_close_matches(key.casefold(), list(by_name), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(table.loc[by_name[c], 'name']) for c in close)}?" if close else \
        "; `clusterplan authorities` lists them"
    raise InputError("authority", [f"{authority!r} is not an English upper-tier authority (a code such as "
                                   f"E10000020 or a name such as Norfolk){hint}"])


def geography(authority: str, data: str | Path | None = None) -> Geography:
    """The geography of one upper-tier authority: its LSOAs (2011) with mid-2020 under-fives, IoD2019 IDACI and IMD
    decile, population-weighted centroids, boundaries and corridor graph; one candidate site per area centroid.

    Areas separated by water (islands, estuaries) are joined to the nearest area of the rest of the authority, and
    each such assumed link is listed in the geography's notes. Travel minutes use the Norfolk-calibrated model with
    the urban start time (the England tables hold no rural-urban class).
    """
    folder = data_folder(data)
    areas, bnd, _, hashes = _tables(folder)
    table = authorities(folder)
    code = find(authority, table)
    row = table.loc[code]
    mine = areas[areas["authority_code"] == code].drop(columns="authority_code")
    gaps = [f"LSOA {a}: no {c} in the England tables" for c in ("name", "under5", "idaci", "imd_decile", "x")
            for a in mine.index[mine[c].isna()]]
    gaps += [f"LSOA {a}: no boundary in {FILES['boundaries']}" for a in mine.index.difference(bnd.index)]
    if gaps:
        raise InputError(f"{folder} ({row['name']})", gaps)
    mine = mine.assign(rural_urban=None)
    polygons = bnd.reindex(mine.index)
    invalid = polygons.index[~polygons.is_valid].tolist()
    if invalid:  # a few upstream BSC polygons have nested shells; repair them and say which
        polygons = polygons.make_valid()
    shapes = gpd.GeoDataFrame(mine[["x", "y"]], geometry=polygons.to_numpy(), crs=bnd.crs)
    graph, assumed = corr.join_components(corr.adjacency(shapes), shapes)
    geo = Geography.build(f"{row['name']} ({row['kind']}; England tables, mid-2020 under-fives)", mine,
                          polygons, None, "area_centroids", corridors=graph, travel=trv.norfolk_model(),
                          sources={f"england:{k}": v for k, v in hashes.items()},
                          labels={"areas": str(folder / FILES["lookup"]),
                                  "boundaries": str(folder / FILES["boundaries"])})
    notes = ["no centre locations are known nationally: plans stand at area centroids (sites: area_centroids, "
             "capacity)",
             "travel minutes use the model calibrated on Norfolk roads, not validated for this authority"]
    notes += [f"boundary of {a} is not a valid polygon in {FILES['boundaries']} (nested shells); repaired with "
              "shapely.make_valid" for a in invalid]
    notes += [f"assumed link across water between {a} and {b} ({km:.1f} km apart at the nearest): the areas would "
              "otherwise be cut off" for a, b, km in assumed]
    return replace(geo, notes=geo.notes + tuple(notes))
