"""Built-in real data: Norfolk, shipped in the package so clusterplan runs offline; and any English upper-tier
authority from the England tables, which the user points to (:func:`england`).

See ``clusterplan/data/ATTRIBUTION.md`` for sources and licences. Nothing here is invented: where the data has a gap
(centres are placed at their postcode's centroid, not their building; there is no open road network) the geography
says so in :meth:`Geography.summary` and accepts a commissioner's better file.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import corridors as corr
from . import england as eng
from . import travel as trv
from .errors import InputError
from .geography import Geography, slug
from .scenario import GeographySpec, Scenario
from .validation import read_table

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. Contains OS data © Crown "
    "copyright and database right. Contains Royal Mail data © Royal Mail copyright and database right. Contains "
    "GeoNames data (CC BY 4.0). House of Commons Library MSOA names (Open Parliament Licence). Bus service levels: "
    "ITS Leeds TransportBlackspots (MIT) from the Traveline National Dataset / BODS and NaPTAN (DfT, OGL v3.0)."
)

def data_origin(geo) -> tuple[bool, list[str]]:
    """Where a geography's data came from: whether it was built from the built-in open data (Norfolk's, or England's
    tables), and the names of the user's own files it read (``geo.sources``: a file's entry is ``role:file name``;
    the England tables' are ``england:...``)."""
    keys = list(geo.sources)
    builtin = any(":" not in k or k.startswith("england:") for k in keys)
    own = sorted({k.split(":", 1)[1] for k in keys if ":" in k and not k.startswith("england:")})
    return builtin, own


def attribution(geo) -> str:
    """The attribution a report of ``geo`` carries: :data:`ATTRIBUTION` where it uses the built-in open data, and the
    user's own files by name, so that a report of a user's own data never credits the ONS or Ordnance Survey for it."""
    builtin, own = data_origin(geo)
    files = f"Your files: {', '.join(own)}." if own else ""
    if builtin:
        return f"{ATTRIBUTION} {files}".strip()
    return files or "Data supplied to clusterplan directly (no file recorded); not clusterplan's built-in data."


POPULATION_FILES = {
    2017: "norfolk_lsoa11_population_mid2017_under5.csv",
    2019: "norfolk_lsoa11_population_mid2019_under5.csv",
    2020: "norfolk_lsoa11_population_mid2020_single_year_of_age.csv",
}


def _path(name: str):
    return resources.files("clusterplan") / "data" / "norfolk" / name


def _csv(name: str, **kwargs) -> pd.DataFrame:
    with _path(name).open("rb") as f:
        return pd.read_csv(f, **kwargs)


def _hash(name: str) -> str:
    return hashlib.sha256(_path(name).read_bytes()).hexdigest()


def _norfolk_centroids() -> pd.DataFrame:
    """Population-weighted centroids (EPSG:27700) and rural-urban class per Norfolk LSOA."""
    return trv.norfolk_calibration_areas()


def norfolk_travel_model() -> trv.TravelModel:
    """Norfolk's calibrated travel model (:func:`clusterplan.travel.norfolk_model`)."""
    return trv.norfolk_model()


#: The gap in the centres' locations, stated wherever the built-in centres are used.
CENTRE_LOCATIONS = ("centres stand at the centroid of their postcode (DfE register, OS Code-Point Open 2014), not at "
                    "their building; a commissioner's own centres file replaces them (geography.centres)")


def norfolk_centres(register: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Norfolk's 53 designated children's centres from the DfE register (GIAS: URN, address, postcode, district,
    postcode-centroid coordinates), with the public history of the older 43-row file where it names the same centre
    (``existing_csv_match``): its name, year and source. The older file is never a source of locations. Ids are
    short names (``hunstanton``); centres sharing an address (Dereham Central and South, Aylsham and Reepham) share
    a home area, as co-located centres do."""
    hist = history.set_index("name")
    matches = register["existing_csv_match"].fillna("").map(lambda m: [n.strip() for n in m.split(";") if n.strip()])
    unknown = sorted({n for ns in matches for n in ns} - set(hist.index))
    if unknown:
        raise InputError("clusterplan/data/norfolk/norfolk_childrens_centres_gias.csv",
                         [f"column 'existing_csv_match': {n!r} is not a centre of the older file" for n in unknown])

    def joined(col: str) -> list[str | None]:
        return [" ; ".join(str(hist.at[n, col]) for n in ns) if ns else None for ns in matches]

    centres = pd.DataFrame({
        "name": register["name"].to_numpy(), "district": register["district_name"].to_numpy(),
        "home_area": None, "x": register["easting"].to_numpy(), "y": register["northing"].to_numpy(),
        "geocode_precision": "postcode centroid (OS Code-Point Open, Aug 2014)",
        "urn": register["urn"].to_numpy(), "address": register["address"].to_numpy(),
        "postcode": register["postcode"].to_numpy(), "notes": register["notes"].to_numpy(),
        "source_url": [f"{eng.GIAS_PAGE}{u}" for u in register["urn"]],
        "history_name": [" ; ".join(ns) if ns else None for ns in matches], "history_year": joined("year"),
        "history_source_url": joined("source_url"),
    })
    centres.index = pd.Index([slug(n) for n in register["name"]], name="id")
    return centres


@lru_cache(maxsize=4)
def _norfolk(year: int) -> Geography:
    names = {
        "boundaries": "norfolk_lsoa11_boundaries_bsc.geojson",
        "population": POPULATION_FILES[year],
        "centroids": "norfolk_lsoa11_population_weighted_centroids.csv",
        "idaci": "norfolk_lsoa11_iod2019_income_idaci_idaopi_scores.csv",
        "imd": "norfolk_lsoa11_imd2019_ranks_deciles.csv",
        "rural_urban": "norfolk_lsoa11_rural_urban_2011.csv",
        "lookup": "norfolk_lsoa11_lookup.csv",
        "msoa_names": "norfolk_msoa11_hocl_names_popweighted_centroids.csv",
        "centres": "norfolk_childrens_centres_gias.csv",
        "history": "norfolk_childrens_centres_2009_2019.csv",
        "sites": "norfolk_gias_open_establishments_2025-05-24.csv",
        "road_minutes": "norfolk_lsoa11_road_travel_minutes_to_stroke_units.csv",
        "bus": "norfolk_lsoa11_bus_service.csv",
        "health": "norfolk_lsoa11_ccg2017.csv",
    }
    with _path(names["boundaries"]).open("rb") as f:
        bnd = gpd.read_file(f)
    bnd = bnd.set_index("LSOA11CD")
    pop = _csv(names["population"], index_col="lsoa11_code")
    idaci = _csv(names["idaci"], index_col="LSOA Code (2011)")
    imd = _csv(names["imd"], index_col="lsoa11_code")
    lookup = _csv(names["lookup"], index_col="LSOA11CD")
    msoa = _csv(names["msoa_names"], index_col="msoa11nm")
    cen = _norfolk_centroids()
    codes = bnd.index
    lsoa_name = bnd["LSOA11NM"]
    areas = pd.DataFrame({
        "name": lsoa_name,
        "district": lookup["LAD22NM"].reindex(codes),
        "under5": pop["age_0_4"].reindex(codes),
        "idaci": idaci["IDACI Score"].reindex(codes),
        "imd_decile": imd["IMD_decile"].reindex(codes),
        "rural_urban": cen["rural_urban"].reindex(codes),
        "x": cen["x"].reindex(codes), "y": cen["y"].reindex(codes),
        "place": msoa["msoa11hclnm"].reindex(lsoa_name.str[:-1].to_numpy()).to_numpy(),
    }, index=codes)
    missing = areas.columns[areas.isna().any()].tolist()
    if missing:  # the shipped files are complete; this guards against a damaged install
        raise InputError("clusterplan/data/norfolk", [f"column '{c}' has gaps after joining" for c in missing])
    # Bus service per area (may have gaps: three areas have no 2022 figure; they stay unknown, never zero).
    bus = _csv(names["bus"], index_col="lsoa11cd")
    areas["bus_calls"] = bus["runs2022_weekday_daytime_total"].reindex(codes)
    areas["bus_routes"] = bus["number_of_routes_2023"].reindex(codes)

    # The health geography: NHS clinical commissioning group (April 2017), for clusters.nest_in: ccg.
    areas["ccg"] = _csv(names["health"], index_col="LSOA11CD")["CCG17NM"].reindex(codes)

    centres = norfolk_centres(_csv(names["centres"]), _csv(names["history"]))

    s = _csv(names["sites"])
    sites = pd.DataFrame({
        "name": s["establishment_name"], "home_area": s["lsoa_code"], "x": s["easting"], "y": s["northing"],
        "geocode_precision": "school (DfE register)", "kind": s["establishment_type"],
        "phase_of_education": s["education_phase"], "pupils": s["number_of_pupils"],
    })
    sites.index = pd.Index([f"urn:{u}" for u in s["urn"]], name="id")
    # Some schools' registered LSOA is a 2021 code or lies outside the 2011 set: locate those by their point.
    sites.loc[~sites["home_area"].isin(codes), "home_area"] = None

    geo = Geography.build(
        f"Norfolk (mid-{year} under-fives)", areas, bnd.geometry, centres, sites,
        travel=norfolk_travel_model(), sources={k: _hash(v) for k, v in names.items()},
        labels={k: f"clusterplan/data/norfolk/{v}" for k, v in names.items()},
    )
    return replace(geo, notes=(CENTRE_LOCATIONS, *geo.notes))


def norfolk(year: int = 2020) -> Geography:
    """Norfolk's 538 LSOAs, its 53 designated children's centres (the DfE register), 465 school sites, corridor
    graph and travel minutes.

    ``year`` chooses the ONS mid-year under-five estimates: 2017 (47,149 children), 2019 (45,540) or 2020 (44,201).
    Deprivation is IoD2019 (IDACI score, IMD decile); rural-urban class is 2011. Returns a fresh copy each call.
    """
    if year not in POPULATION_FILES:
        raise InputError("datasets.norfolk", [f"year must be one of {sorted(POPULATION_FILES)}. Got {year!r} instead."])
    g = _norfolk(year)
    return Geography(**{**g.__dict__, "areas": g.areas.copy(), "centres": g.centres.copy(),
                        "sites": g.sites.copy(), "corridors": g.corridors.copy(),
                        "centre_minutes": g.centre_minutes.copy(), "site_minutes": g.site_minutes.copy()})


def england(authority: str, data: str | None = None, *, network: str = "today") -> Geography:
    """Any English upper-tier authority (a code such as ``E10000020`` or a name such as ``"Norfolk"``), built from
    the England tables in ``data`` (or ``$CLUSTERPLAN_ENGLAND_DATA``); see :mod:`clusterplan.england`.

    The tables are not shipped (the boundary file alone is 32 MB). The authority's children's centres and linked
    sites come from the DfE register in the tables' ``childrens_centres/`` folder: ``network="today"`` those open in
    January 2026 (where the register says), ``"designated"`` every one; candidate sites are the area centroids.
    """
    return eng.geography(authority, data, network=network)


# ---------------------------------------------------------------------- the geography a scenario names
@lru_cache(maxsize=8)
def _geography(spec_json: str, _stamps: tuple) -> Geography:
    spec = GeographySpec.model_validate_json(spec_json)
    layers = spec.layers
    sites_file = spec.sites if spec.sites_file else None
    if spec.builtin == "norfolk":
        geo = norfolk(spec.year)
    elif spec.builtin == "england":
        try:
            geo = england(spec.authority, spec.data, network=spec.network)
        except InputError as exc:   # an unknown authority is the scenario's key, named as such
            if exc.source != "authority":
                raise
            raise InputError("`geography.authority`", exc.problems) from None
    else:
        geo = Geography.from_files(areas=spec.areas, boundaries=spec.boundaries, centres=spec.centres,
                                   area_columns=spec.area_columns or None, boundary_code=spec.boundary_code,
                                   centre_columns=spec.centre_columns or None,
                                   sites=sites_file or "area_centroids", site_columns=spec.site_columns or None,
                                   crs=spec.crs, layers=layers or None, adjacency=spec.adjacency)
    if spec.builtin is not None:
        if spec.centres:
            geo = geo.with_centres(spec.centres, columns=spec.centre_columns or None, crs=spec.crs,
                                   layer=layers.get("centres"))
        if sites_file:
            geo = geo.with_sites(sites_file, columns=spec.site_columns or None, crs=spec.crs,
                                 layer=layers.get("sites"))
        if spec.adjacency:
            geo = geo.with_adjacency(spec.adjacency)
    if spec.area_groups:
        geo = geo.with_area_groups(spec.area_groups)
    if spec.centre_facts:
        geo = geo.with_centre_facts(spec.centre_facts)
    if spec.travel_minutes:   # after centres and sites are replaced: the table times the ones this run plans with
        geo = geo.with_travel_file(spec.travel_minutes, columns=spec.travel_columns or None)
    if spec.roads:   # likewise after centres and sites
        geo = geo.with_road_file(spec.roads, speed_kmh=spec.road_speed_kmh, speed_column=spec.road_speed_column,
                                 connector_kmh=spec.road_connector_kmh, layer=layers.get("roads"))
    if spec.links:
        pairs = corr.read_links(spec.links)
        geo = geo.with_corridors(corr.add_links(geo.corridors, pairs, geo.areas, source=spec.links),
                                 source=spec.links)
    if spec.barriers:
        layer = _read_layer(spec.barriers, "geography.barriers", layers.get("barriers"))
        graph = corr.remove_barrier_crossings(geo.corridors, geo.areas, layer, source=spec.barriers)
        geo = geo.with_corridors(graph, source=spec.barriers)
    return geo


def _read_layer(path: str, key: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """A geometry file named by scenario key ``key``, or an :class:`InputError` saying what is wrong with it."""
    df = read_table(path, f"`{key}`", layer=layer)
    if not isinstance(df, gpd.GeoDataFrame):
        raise InputError(path, [f"expected a line or polygon file (`{key}`); found a table without geometry"])
    return df


def geography_for(scn: Scenario) -> Geography:
    """The geography a scenario names (cached: the same spec over unchanged files gives the same object; a file
    edited since is read again)."""
    spec = scn.geography
    files = [f for f in spec.files() if f]
    if spec.builtin == "england":
        folder = eng.data_folder(spec.data)
        files += [str(folder / f) for f in eng.FILES.values()]
    stamps = tuple((f, *_stamp(f)) for f in files if f)
    return _geography(spec.model_dump_json(), stamps)


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = Path(path).stat()
    except (OSError, ValueError):
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)
