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
import re
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import corridors as corr
from . import travel as trv
from .errors import InputError, first_of, holding_words
from .geography import Geography, sha256, slug
from .validation import numeric_column

ENV = "CLUSTERPLAN_ENGLAND_DATA"

#: The England tables a geography is built from (file names as in ``shared/data/england``).
FILES = {
    "boundaries": "ew_lsoa11_boundaries_bsc.geojson.gz",
    "population": "ew_lsoa11_population_mid2020_under5.csv",
    "centroids": "ew_lsoa11_population_weighted_centroids.csv",
    "lookup": "ew_lsoa11_lsoa21_lad22_bestfit_lookup.csv",
    "idaci": "england_lsoa11_iod2019_income_idaci_idaopi_scores.csv",
    "imd": "england_lsoa11_imd2019_ranks_deciles.csv",
    "centres": "childrens_centres/centres.csv",
    "links": "childrens_centres/links.csv",
}
#: A centre's page in the DfE register (GIAS), by URN.
GIAS_PAGE = "https://get-information-schools.service.gov.uk/Establishments/Establishment/Details/"
#: The DfE register (GIAS) columns a centres file must have.
REGISTER_COLUMNS = ("urn", "name", "linked_site", "district_code", "district_name", "address", "postcode",
                    "open_in_2026_01", "easting", "northing")
#: How far (metres) a centre may lie outside its authority's generalised areas before that is an error.
OUTSIDE_METRES = 5_000.0

#: The county table: ONS "Local Authority District to County (April 2022)" for the 24 county councils, shipped
#: as ``clusterplan/data/england/lad22_cty22_april2022.csv`` (LAD22CD, LAD22NM, CTY22CD, CTY22NM).
COUNTY_FILE = "lad22_cty22_april2022.csv"


#: The 2011 rural-urban class of every English LSOA (ONS, "Rural Urban Classification (2011) of Lower Layer Super
#: Output Areas in England and Wales"), shipped as ``clusterplan/data/england/lsoa11_rural_urban_2011_england.csv``
#: (LSOA11CD, RUC11CD; the English rows of the ONS table, as mirrored in mysociety/uk_ruc ``data/raw/ruc_2011.csv``;
#: its Norfolk rows are the built-in Norfolk file's, class for class).
RURAL_URBAN_FILE = "lsoa11_rural_urban_2011_england.csv"


@lru_cache(maxsize=1)
def rural_urban() -> pd.Series:
    """LSOA (2011) code -> its 2011 rural-urban class code (``A1`` ... ``E2``), for every English LSOA."""
    with (resources.files("clusterplan") / "data" / "england" / RURAL_URBAN_FILE).open("rb") as f:
        return pd.read_csv(f, dtype=str, index_col="LSOA11CD")["RUC11CD"]


@lru_cache(maxsize=1)
def _rural_urban_hash() -> str:
    with resources.as_file(resources.files("clusterplan") / "data" / "england" / RURAL_URBAN_FILE) as path:
        return sha256(path)


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
            "no folder given: set geography.data in the scenario, pass data=<folder> (clusterplan batch, check and "
            "authorities: --england-data <folder>) or set the environment variable "
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


def _need(df: pd.DataFrame, cols: list[str], folder: Path, key: str, code: str | None = None) -> None:
    """The table of ``key`` has the columns ``cols``, and each value of its column ``code`` once (file rows named)."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(str(folder / FILES[key]), [f"missing column '{c}'" for c in missing])
    twice = df[code][df[code].duplicated(keep=False)] if code is not None else ()
    if len(twice):
        raise InputError(str(folder / FILES[key]), [
            f"rows {', '.join(str(i + 2) for i in grp.index)}: {code} {c} more than once; each LSOA once"
            for c, grp in list(twice.groupby(twice))[:20]])


@lru_cache(maxsize=2)
def _tables(folder: Path) -> tuple[pd.DataFrame, gpd.GeoSeries, pd.DataFrame, dict[str, str]]:
    """Every English LSOA with its authority and data (areas), boundaries (EPSG:27700), district map, file hashes."""
    lookup = _read_csv(folder, "lookup", dtype=str)
    _need(lookup, ["LSOA11CD", "LAD22CD", "LAD22NM"], folder, "lookup", "LSOA11CD")
    lookup = lookup[lookup["LSOA11CD"].str.startswith("E")]
    tiers = upper_tier(lookup)
    pop = _read_csv(folder, "population")
    _need(pop, ["lsoa11_code", "lsoa11_name", "age_0_4"], folder, "population", "lsoa11_code")
    idaci = _read_csv(folder, "idaci")
    _need(idaci, ["LSOA Code (2011)", "IDACI Score"], folder, "idaci", "LSOA Code (2011)")
    imd = _read_csv(folder, "imd")
    _need(imd, ["lsoa11_code", "IMD_decile"], folder, "imd", "lsoa11_code")
    cen = _read_csv(folder, "centroids")
    _need(cen, ["lsoa11cd", "lon", "lat"], folder, "centroids", "lsoa11cd")
    codes = pd.Index(sorted(lookup["LSOA11CD"]), name="code")
    at = cen.set_index("lsoa11cd")
    # a value that is not a number gives no point here; :func:`geography` names it from the text kept as lon, lat
    pts = gpd.GeoSeries(gpd.points_from_xy(pd.to_numeric(at["lon"], errors="coerce"),
                                           pd.to_numeric(at["lat"], errors="coerce")), index=at.index,
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
        "lon": at["lon"].reindex(codes), "lat": at["lat"].reindex(codes),
    }, index=codes)
    path = folder / FILES["boundaries"]
    try:
        bnd = gpd.read_file(f"/vsigzip/{path}" if path.suffix == ".gz" else path, columns=["LSOA11CD"],
                            where="LSOA11CD LIKE 'E01%'")
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise InputError(str(path), [f"cannot be read as LSOA boundaries: {str(exc).splitlines()[0]}"]) from None
    if "LSOA11CD" not in bnd.columns:
        raise InputError(str(path), ["missing property 'LSOA11CD' (the LSOA 2011 code)"])
    twice = bnd["LSOA11CD"][bnd["LSOA11CD"].duplicated()]
    if len(twice):
        raise InputError(str(path), [f"LSOA11CD {c}: more than one boundary; each LSOA once" for c in twice[:20]])
    bnd = bnd.set_index("LSOA11CD").geometry.to_crs(27700)
    # an English LSOA the lookup lacks would belong to no authority and be left out of its plan without a word
    named = {FILES["boundaries"]: bnd.index, FILES["population"]: pop["lsoa11_code"],
             FILES["idaci"]: idaci["LSOA Code (2011)"], FILES["imd"]: imd["lsoa11_code"],
             FILES["centroids"]: cen["lsoa11cd"]}
    placed = set(codes)
    unplaced = {f: sorted(set(c[c.astype(str).str.startswith("E01")]) - placed) for f, c in named.items()}
    same: dict[tuple[str, ...], list[str]] = {}   # the tables that hold the same unplaced LSOAs, named together
    for f, lost in unplaced.items():
        if lost:
            same.setdefault(tuple(lost), []).append(f)
    if same:
        def holding(files: list[str]) -> str:
            return f"{files[0]} holds" if len(files) == 1 else f"{', '.join(files[:-1])} and {files[-1]} hold"
        raise InputError(str(folder / FILES["lookup"]), [
            f"no row for {len(lost):,} English LSOAs that {holding(files)} ({', '.join(lost[:10])}"
            f"{' ...' if len(lost) > 10 else ''}): without its district an LSOA is in no authority; is the lookup "
            "complete (not cut short, and of the 2011 LSOAs)?" for lost, files in same.items()])
    hashes = {k: sha256(folder / f) for k, f in FILES.items()}
    return areas, bnd, tiers, hashes


@lru_cache(maxsize=2)
def _register(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The DfE register of children's centres and linked sites (``urn`` index), each given its upper-tier
    ``authority_code``: by its GIAS district where that is a 2022 district, else (districts reorganised since, e.g.
    Cumberland) by the area its point lies in; and the links (linked site ``URN`` -> centre ``LinkURN``)."""
    path = folder / FILES["centres"]
    reg = _read_csv(folder, "centres", dtype=str, keep_default_na=False)
    _need(reg, list(REGISTER_COLUMNS), folder, "centres")
    problems = []
    dup = reg["urn"][reg["urn"].duplicated(keep=False)]
    problems += [f"rows {', '.join(str(i + 2) for i in grp.index)}: duplicate URN {u}; each centre once"
                 for u, grp in dup.groupby(dup)]
    x = pd.to_numeric(reg["easting"], errors="coerce")
    y = pd.to_numeric(reg["northing"], errors="coerce")
    problems += [f"row {i + 2} (URN {reg.at[i, 'urn']}, {reg.at[i, 'name']}): no coordinates for postcode "
                 f"{reg.at[i, 'postcode'] or '(blank)'}; locate it (easting, northing in EPSG:27700)"
                 for i in reg.index[x.isna() | y.isna()]]
    if problems:
        raise InputError(str(path), problems[:50])
    areas, bnd, tiers, _ = _tables(folder)
    reg = reg.assign(x=x.to_numpy(), y=y.to_numpy())
    by_district = reg["district_code"].map(tiers.set_index("district_code")["authority_code"])
    pts = gpd.GeoSeries(gpd.points_from_xy(reg["x"], reg["y"]), index=reg.index, crs=bnd.crs)
    need = by_district.isna()
    if need.any():
        (pi, ai), _ = bnd.sindex.nearest(pts[need].to_numpy(), max_distance=OUTSIDE_METRES, return_distance=True,
                                         return_all=False)
        found = pd.Series(areas["authority_code"].reindex(bnd.index[ai]).to_numpy(), index=reg.index[need][pi])
        by_district.loc[found.index] = found
    lost = reg.index[by_district.isna()]
    if len(lost):
        raise InputError(str(path), [f"row {i + 2} (URN {reg.at[i, 'urn']}, {reg.at[i, 'name']}): district "
                                     f"{reg.at[i, 'district_code']} is not an English district of 2022 and its "
                                     f"point lies more than {OUTSIDE_METRES:,.0f} m from every English area"
                                     for i in lost[:20]])
    reg = reg.assign(authority_code=by_district.to_numpy()).set_index("urn")
    links = _read_csv(folder, "links", dtype=str, keep_default_na=False)
    _need(links, ["URN", "LinkURN"], folder, "links")
    return reg, links


def _centres(folder: Path, code: str, network: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The authority's centres and linked sites from the register, with notes.

    Membership is by GIAS authority (:func:`_register`); :meth:`Geography.build` gives each its home area by point
    in polygon, or the nearest area within :data:`OUTSIDE_METRES` (a postcode centroid on the far side of an
    authority boundary), naming those. ``network``: ``today`` drops those the register says were not open in
    January 2026 (keeping those whose status it withholds, and saying so); ``designated`` keeps every centre."""
    reg, links = _register(folder)
    mine = reg[reg["authority_code"] == code]
    notes: list[str] = []
    if network == "today":
        closed = mine["open_in_2026_01"].str.lower() == "no"
        if closed.any():
            notes.append(f"{int(closed.sum())} register record(s) not open in January 2026 left out (network: today): "
                         + ", ".join(mine.loc[closed, "name"].head(10)))
        withheld = ~mine["open_in_2026_01"].str.lower().isin(["yes", "no"])
        if withheld.any():
            notes.append(f"the register withholds the 2026 status of {int(withheld.sum())} record(s); they are kept")
        mine = mine[~closed]
    ids = pd.Series([slug(n) for n in mine["name"]], index=mine.index)
    clash = ids.duplicated(keep=False)
    ids[clash] = [f"{i}-{u}" for i, u in zip(ids[clash], ids.index[clash], strict=True)]
    table = pd.DataFrame({
        "name": mine["name"], "district": mine["district_name"], "x": mine["x"], "y": mine["y"],
        "urn": mine.index, "address": mine["address"], "postcode": mine["postcode"],
        "open_in_2026_01": mine["open_in_2026_01"],
        "geocode_precision": "postcode centroid",
        "source_url": [f"{GIAS_PAGE}{u}" for u in mine.index],
    })
    table.index = pd.Index(ids.to_numpy(), name="id")
    is_site = (mine["linked_site"].str.lower() == "yes").to_numpy()
    centres, sites = table[~is_site], table[is_site].copy()
    centre_of = dict(zip(centres["urn"], centres.index, strict=True))
    link = links[links["URN"].isin(sites["urn"])].groupby("URN")["LinkURN"].agg(list)
    sites["centre"] = [next((centre_of[c] for c in link.get(u, []) if c in centre_of), "") for u in sites["urn"]]
    orphans = sites[sites["centre"] == ""]
    if len(orphans):
        notes.append(f"{len(orphans)} linked site(s) link to no centre of this authority in the register: "
                     + ", ".join(orphans["name"].head(10)) + (" ..." if len(orphans) > 10 else ""))
    return centres, sites, notes


def authorities(data: str | Path | None = None) -> pd.DataFrame:
    """The 152 upper-tier authorities: index ``code``; ``name``, ``kind``, ``districts`` (names joined by "; "),
    ``areas`` (LSOAs) and ``under5`` (children aged 0-4, mid-2020; missing where an LSOA's count is missing or not a
    number in the population table, which :func:`geography` names)."""
    areas, _, tiers, _ = _tables(data_folder(data))
    under5 = pd.to_numeric(areas["under5"], errors="coerce")
    per = under5.groupby(areas["authority_code"]).agg(
        areas="size", under5=lambda u: u.sum() if u.notna().all() else float("nan"))
    per["under5"] = per["under5"].round().astype("Int64")
    t = tiers.groupby("authority_code").agg(name=("authority", "first"), kind=("kind", "first"),
                                            districts=("district", lambda s: "; ".join(sorted(s))))
    out = t.join(per).sort_index()
    out.index.name = "code"
    return out


def find(authority: str, table: pd.DataFrame) -> str:
    """The code of ``authority`` (a code such as ``E10000020`` or a name such as ``Norfolk``, any case, and
    spelt with or without the register's punctuation: "St Helens", "Stoke on Trent"), or an :class:`InputError`
    suggesting the closest names."""
    key = str(authority).strip()
    if key.upper() in table.index:
        return key.upper()
    by_name = {_plain(n): c for c, n in table["name"].items()}
    if _plain(key) in by_name:
        return by_name[_plain(key)]
    # names holding the words asked for ("Kingston": upon Hull, upon Thames; "Durham": County Durham), else names
    # spelt alike ("Bristl": Bristol)
    close = holding_words(_plain(key), {n: n for n in by_name}) or \
        difflib.get_close_matches(_plain(key), list(by_name), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(table.loc[by_name[c], 'name']) for c in close)}?" if close else \
        "; `clusterplan authorities` lists them"
    raise InputError("authority", [f"{authority!r} is not an English upper-tier authority (a code such as "
                                   f"E10000020 or a name such as Norfolk){hint}"])


def _plain(name: str) -> str:
    """A name to compare: lower case, "&" as "and", hyphens as spaces, no other punctuation ("St. Helens" and "st
    helens" alike)."""
    text = str(name).casefold().replace("&", " and ").replace("-", " ")
    return " ".join(re.sub(r"[^\w\s]", "", text).split())


#: Where each area column of :func:`_tables` comes from: the England table (a key of :data:`FILES`) and its column
#: there, so that a gap or a bad value is named in the file that holds it.
AREA_SOURCES = {"name": ("population", "lsoa11_name"), "under5": ("population", "age_0_4"),
                "idaci": ("idaci", "IDACI Score"), "imd_decile": ("imd", "IMD_decile"),
                "lon": ("centroids", "lon"), "lat": ("centroids", "lat")}


def _area_problems(mine: pd.DataFrame, authority: str) -> list[str]:
    """What the England tables lack or hold wrongly for an authority's LSOAs (``mine``, from :func:`_tables`), each
    named by its file and column: LSOAs a table has no row for (a truncated file, another release), grouped per
    table; then every value that is not a number or out of range, by LSOA."""
    problems: list[str] = []
    by_file: dict[str, list[str]] = {}
    for col, (key, _) in AREA_SOURCES.items():
        by_file.setdefault(key, []).append(col)
    for key, cols in by_file.items():
        absent = mine.index[mine[cols].isna().all(axis=1)]
        if len(absent):
            problems.append(f"{FILES[key]}: no row for {_some(absent, len(mine), authority)}; is the file complete "
                            "(not cut short, and of the 2011 LSOAs)?")
    for col, low, high, whole in (("under5", 0, None, True), ("idaci", 0, 1, False), ("imd_decile", 1, 10, True),
                                  ("lon", -180, 180, False), ("lat", -90, 90, False)):
        key, name = AREA_SOURCES[col]
        given = ~mine[by_file[key]].isna().all(axis=1)   # rows the table has; absent ones above
        found: list[str] = []
        numeric_column(mine.loc[given, [col]].set_axis([name], axis=1), name, FILES[key], found, min_value=low,
                       max_value=high, integer=whole, noun="LSOA")
        problems += [f"{FILES[key]}: {p}" for p in found]
    key, name = AREA_SOURCES["name"]
    nameless = mine.index[mine["name"].isna() & mine["under5"].notna()]
    problems += [f"{FILES[key]}: LSOA {a!r}, column '{name}': missing" for a in nameless[:20]]
    return problems


def _some(codes: pd.Index, of: int, authority: str) -> str:
    """"3 of Harrow's 137 LSOAs (E01002147, E01002148, E01002149)": at most ten codes shown."""
    return f"{len(codes)} of {authority}'s {of} LSOAs ({first_of(codes, 10)})"


def geography(authority: str, data: str | Path | None = None, *, network: str = "today") -> Geography:
    """The geography of one upper-tier authority: its LSOAs (2011) with mid-2020 under-fives, IoD2019 IDACI and IMD
    decile, population-weighted centroids, boundaries and corridor graph; one candidate site per area centroid;
    and its children's centres and linked sites from the DfE register (:func:`_centres`; ``network``: ``today`` or
    ``designated``).

    Areas separated by water (islands, estuaries) are joined to the nearest area of the rest of the authority, and
    each such assumed link is listed in the geography's notes. Travel minutes use the Norfolk-calibrated model, its
    start time by each area's 2011 rural-urban class (:func:`rural_urban`, shipped with the package).
    """
    folder = data_folder(data)
    areas, bnd, _, hashes = _tables(folder)
    table = authorities(folder)
    code = find(authority, table)
    row = table.loc[code]
    mine = areas[areas["authority_code"] == code].drop(columns="authority_code")
    gaps = _area_problems(mine, row["name"])
    mine = mine.drop(columns=["lon", "lat"])   # as the centroids file gives them: x, y are the points
    no_boundary = mine.index.difference(bnd.index)
    if len(no_boundary):
        gaps.append(f"{FILES['boundaries']}: no boundary for {_some(no_boundary, len(mine), row['name'])}")
    if gaps:
        raise InputError(f"{folder} ({row['name']})", gaps)
    mine = mine.assign(rural_urban=rural_urban().reindex(mine.index).to_numpy())
    polygons = bnd.reindex(mine.index)
    invalid = polygons.index[~polygons.is_valid].tolist()
    if invalid:  # a few upstream BSC polygons have nested shells; repair them and say which
        polygons = polygons.make_valid()
    shapes = gpd.GeoDataFrame(mine[["x", "y"]], geometry=polygons.to_numpy(), crs=bnd.crs)
    graph, assumed = corr.join_components(corr.adjacency(shapes), shapes)
    centres, linked, centre_notes = _centres(folder, code, network)
    geo = Geography.build(f"{row['name']} ({row['kind']}; England tables, mid-2020 under-fives)", mine,
                          polygons, centres, "area_centroids", corridors=graph, travel=trv.norfolk_model(),
                          linked_sites=linked, snap_metres=OUTSIDE_METRES,
                          sources={**{f"england:{k}": v for k, v in hashes.items()},
                                   "england:rural_urban": _rural_urban_hash()},
                          labels={"areas": str(folder / FILES["lookup"]),
                                  "boundaries": str(folder / FILES["boundaries"]),
                                  "centres": str(folder / FILES["centres"])})
    notes = [f"{len(centres)} children's centres and {len(linked)} linked sites from the DfE register (GIAS); they "
             "stand at their postcode's centroid, not their building",
             *centre_notes,
             "travel minutes use the model calibrated on Norfolk roads, not validated for this authority"]
    notes += [f"boundary of {a} is not a valid polygon in {FILES['boundaries']} (nested shells); repaired with "
              "shapely.make_valid" for a in invalid]
    notes += [f"assumed link across water between {a} and {b} ({km:.1f} km apart at the nearest): the areas would "
              "otherwise be cut off" for a, b, km in assumed]
    return replace(geo, notes=geo.notes + tuple(notes))
