"""Geography: the validated, read-only inputs every model works on.

A :class:`Geography` holds

- ``areas``: GeoDataFrame indexed by area code (LSOA) with ``name``, ``district``, ``under5`` (children aged 0-4),
  ``idaci`` (IoD2019 IDACI score, 0-1), ``imd_decile`` (1 = most deprived), ``rural_urban`` (2011 class code),
  ``x``, ``y`` (population-weighted centroid, EPSG:27700 metres), ``centroid`` (the same as a point) and
  ``geometry`` (boundary, EPSG:27700);
- ``centres``: GeoDataFrame indexed by a stable centre id with ``name``, ``district``, ``home_area``, ``located``,
  ``geocode_precision``, ``source_url``, ``phase``, ``x``, ``y`` and point ``geometry`` (empty where unlocated);
- ``sites``: candidate sites in the same shape (schools, or one per area centroid);
- ``corridors``: networkx Graph over area codes (see :mod:`clusterplan.corridors`);
- ``centre_minutes`` / ``site_minutes``: travel minutes from every area (rows) to every centre / site (columns):
  the calibrated travel model's, or a commissioner's own (:meth:`Geography.with_travel_file`); ``travel_source``
  says which.

Both :func:`clusterplan.datasets.norfolk` and :meth:`Geography.from_files` end in :meth:`Geography.build`, the one
validating constructor: every problem of an input is collected and raised as one :class:`InputError`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from . import corridors as corr
from . import travel as trv
from .errors import InputError, ScenarioError
from .scenario import centre_ids, district_names
from .validation import (  # noqa: F401 - BNG, AREA_COLUMNS, CENTRE_COLUMNS, read_table: also geography's names
    AREA_COLUMNS,
    BNG,
    CENTRE_COLUMNS,
    SNAP_METRES,
    check_xy_crs,
    found_columns,
    points_from_file,
    read_table,
    rename_columns,
    validate_areas,
    validate_points,
)


def slug(text: str) -> str:
    """A short, stable, lower-case id from a centre's name ("Diss Children's Centre" -> "diss")."""
    t = re.sub(r"children'?s centres?|sure ?start|building|\(phase \d\)", " ", str(text), flags=re.I)
    t = re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-")
    return t or "centre"


def sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _frame_hash(df: pd.DataFrame) -> str:
    cols = [c for c in df.columns if c not in ("geometry", "centroid")]
    h = hashlib.sha256(pd.util.hash_pandas_object(df[cols], index=True).to_numpy().tobytes())
    if "geometry" in df.columns:
        for g in df.geometry:
            h.update(b"" if g is None else g.wkb)
    return h.hexdigest()


#: Optional area columns of bus service (``bus_calls``: weekday daytime bus stop calls; ``bus_routes``: routes
#: serving the area), fingerprinted on their own so that plans written before they existed still check.
BUS_COLUMNS = ("bus_calls", "bus_routes")
#: Area columns fingerprinted under a key of their own (added after plans were first written, so that an older
#: plan folder's hashes can still be reproduced from the inputs it hashed).
AREA_EXTRAS = {"bus": BUS_COLUMNS, "health": ("ccg",)}


#: Your travel table's median over the model's, for the same pairs, outside which its unit is in doubt (a table in
#: seconds reads 60 times, one in hours 1/60).
UNIT_RATIOS = (0.25, 4.0)


def rural_flags(areas: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per area: rural (2011 rural-urban class D or E: towns and villages) and classed (any class at all). An area
    the data give no class (a commissioner's own areas file may give none) is neither rural nor urban: figures leave
    it out."""
    ruc = areas["rural_urban"].fillna("").astype(str).str.strip()
    return ruc.str[:1].isin(["D", "E"]), ruc.str.len() > 0


def unit_doubt(ratio: float | None) -> bool:
    """A travel table whose median minutes are ``ratio`` times the model's may not be in minutes."""
    return ratio is not None and not UNIT_RATIOS[0] <= ratio <= UNIT_RATIOS[1]


def _same_labels(got: pd.Index, want: pd.Index) -> bool:
    """Whether ``got`` holds each of ``want``'s labels once, in any order."""
    return got.is_unique and want.is_unique and len(got) == len(want) and set(got) == set(want)


def _labels_differ(new: object, ref: pd.DataFrame) -> str:
    """For a travel matrix whose rows or columns are not the geography's: what differs, in words (or "")."""
    if not isinstance(new, pd.DataFrame):
        return f"; got {type(new).__name__}, not a table (pandas DataFrame)"
    out = []
    for what, got, want in (("area code", new.index, ref.index), ("id", new.columns, ref.columns)):
        missing, extra = [str(x) for x in want.difference(got)], [str(x) for x in got.difference(want)]
        if missing:
            out.append(f"{len(missing):,} {what}(s) missing, e.g. {missing[:5]}")
        if extra:
            out.append(f"{len(extra):,} {what}(s) not in the geography, e.g. {extra[:5]}")
        if not missing and not extra and not got.equals(want):
            out.append(f"an {what} repeated")
    return "; " + "; ".join(out) if out else ""


@dataclass(frozen=True, eq=False, repr=False)
class Geography:
    """Validated areas, centres, sites, corridor graph and travel minutes. Build with :meth:`build`."""

    name: str
    areas: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    corridors: nx.Graph
    centre_minutes: pd.DataFrame
    site_minutes: pd.DataFrame
    travel: trv.TravelModel | None = None
    travel_source: str = "model"
    linked_sites: gpd.GeoDataFrame | None = None  # children's centre linked sites (spokes), with the ``centre`` each
    #                                               links to ("" where the register names none); not a planning input
    sources: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    travel_ratio: float | None = None   # your table's median minutes over the model's for the same pairs, where a
    #                                     table (with_travel_file) replaced the model's minutes; None otherwise

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, name: str, areas: pd.DataFrame, boundaries: gpd.GeoSeries | None = None,
              centres: pd.DataFrame | None = None, sites: pd.DataFrame | str | None = "area_centroids", *,
              travel: trv.TravelModel, corridors: nx.Graph | None = None,
              linked_sites: pd.DataFrame | None = None, snap_metres: float = SNAP_METRES,
              tolerance: float = 25.0, sources: dict[str, str] | None = None,
              labels: dict[str, str] | None = None, xy_crs: str = BNG) -> Geography:
        """The one validating constructor.

        ``areas``: indexed by area code with the columns of :data:`AREA_COLUMNS` (``name``, ``district``, ``idaci``,
        ``imd_decile``, ``rural_urban``, ``x``, ``y`` may be missing; ``under5`` may not). ``boundaries``: a GeoSeries
        indexed by area code with a CRS (omit if ``areas`` is a GeoDataFrame). ``centres`` / ``sites``: indexed by
        id with ``name`` and ``x``, ``y`` (EPSG:27700) and optionally ``home_area`` and the other
        :data:`CENTRE_COLUMNS`; ``sites="area_centroids"`` makes one site per area. ``travel``: a fitted
        :class:`~clusterplan.travel.TravelModel`, required (e.g. :func:`clusterplan.travel.norfolk_model`, calibrated
        on the built-in Norfolk road minutes).
        ``labels`` names the file each table came from, for error messages. ``snap_metres``: how far outside every
        area a centre or site may lie and still join the nearest area (generalised boundaries clip coasts; a postcode
        centroid can fall across an authority's boundary). ``linked_sites``: a centre's satellite
        sites (same shape as centres, plus ``centre``, the id of the centre each links to).
        """
        labels = labels or {}
        notes: list[str] = []
        areas_gdf = validate_areas(areas, boundaries, labels.get("areas", "areas"),
                                    labels.get("boundaries", "boundaries"), notes, xy_crs=xy_crs)
        centres_gdf = validate_points(centres, areas_gdf, labels.get("centres", "centres"), notes, kind="centre",
                                       xy_crs=xy_crs, snap_metres=snap_metres)
        if isinstance(sites, str) and sites == "area_centroids":
            sites_gdf = _area_centroid_sites(areas_gdf)
        else:
            sites_gdf = validate_points(sites, areas_gdf, labels.get("sites", "sites"), notes, kind="site",
                                         xy_crs=xy_crs, snap_metres=snap_metres)
        linked = None
        if linked_sites is not None:
            linked = validate_points(linked_sites, areas_gdf, labels.get("centres", "linked sites"), notes,
                                     kind="linked site", xy_crs=xy_crs, snap_metres=snap_metres)
            unknown = sorted(set(linked["centre"].astype(str)) - set(centres_gdf.index) - {""})
            if unknown:
                raise InputError(labels.get("centres", "linked sites"),
                                 [f"linked site(s) link to unknown centre id(s) {unknown[:10]}; expected the id of "
                                  "one of the centres"])
        centroid_sites = isinstance(sites, str) and sites == "area_centroids"
        centre_minutes = trv.model_minutes(travel, areas_gdf, centres_gdf, source=labels.get("centres", "centres"),
                                           what="centres")
        site_minutes = trv.model_minutes(
            travel, areas_gdf, sites_gdf, source=labels.get("areas" if centroid_sites else "sites", "sites"),
            what="candidate sites (one at each area's centroid, the default)" if centroid_sites else "candidate sites",
            instead=("give a file of candidate sites (`geography.sites` in a scenario, `sites=` in Python)"
                     if centroid_sites else None))
        graph = corridors if corridors is not None else corr.adjacency(areas_gdf, tolerance=tolerance)
        corr.validate(graph, areas_gdf.index, source=labels.get("corridors", "corridors"))
        graph = _annotate_minutes(graph, areas_gdf, travel)
        missing_ru = int(areas_gdf["rural_urban"].isna().sum())
        if missing_ru:
            notes.append(f"{missing_ru} area(s) have no rural-urban class; the travel model used the urban start time")
        return cls(name=name, areas=areas_gdf, centres=centres_gdf, sites=sites_gdf, corridors=graph,
                   centre_minutes=centre_minutes, site_minutes=site_minutes,
                   travel=travel, travel_source=travel.describe(), sources=dict(sources or {}), linked_sites=linked,
                   notes=tuple(notes))

    @classmethod
    def from_files(cls, *, areas: str | Path, boundaries: str | Path | None = None,
                   centres: str | Path | None = None, sites: str | Path | None = "area_centroids",
                   name: str | None = None, area_columns: dict[str, str] | None = None,
                   boundary_code: str = "code", centre_columns: dict[str, str] | None = None,
                   site_columns: dict[str, str] | None = None, tolerance: float = 25.0,
                   travel: trv.TravelModel | None = None, crs: str = BNG, layers: dict[str, str] | None = None,
                   adjacency: str | Path | object | None = None) -> Geography:
        """A geography from a commissioner's own files (CSV, Excel, or any format geopandas reads).

        Column mappings give the file's column for each of our names, e.g.
        ``area_columns={"code": "LSOA11CD", "under5": "age_0_4"}``. Areas need ``code`` and ``under5``; optional
        ``name``, ``district``, ``idaci``, ``imd_decile``, ``rural_urban`` and a centroid as ``x``/``y`` (in ``crs``,
        a projected CRS in metres, EPSG:27700 by default) or ``lon``/``lat`` (WGS84 degrees). Without a centroid the
        boundary's representative point is used (and noted). ``boundaries``: a polygon file whose ``boundary_code``
        column holds the area codes (its CRS must be declared; any CRS is reprojected). Centres and sites need
        ``name`` and a location (``x``/``y`` or ``lon``/``lat``), or a ``home_area``; an ``id`` column is optional.
        ``sites="area_centroids"`` (the default) makes one candidate site per area. ``layers`` names the layer to
        read from a multi-layer file, by role (``areas``, ``boundaries``, ``centres``, ``sites``).

        ``travel``: the travel model for minutes (default: Norfolk's calibrated model, :func:`clusterplan.travel.
        norfolk_model`, the only open calibration there is; a geography's summary says which it uses).

        ``adjacency`` replaces the snapped corridor graph: ``"rook"`` or ``"queen"`` (from the boundaries), a file
        of pairs (CSV ``area_a,area_b``, or a libpysal ``.gal`` / ``.gwt``), a networkx graph, or a libpysal ``W``.
        """
        layers = dict(layers or {})
        sources = {}
        area_df = read_table(areas, "areas", layer=layers.get("areas"),
                             text=("code", *((area_columns or {}).get("code", "code"),)))
        sources[f"areas:{Path(areas).name}"] = sha256(areas)
        area_df = rename_columns(area_df, area_columns, str(areas))
        if "code" not in area_df.columns:
            raise InputError(str(areas), [f"missing column 'code' (the area code); {found_columns(area_df)}; "
                                          "map yours with area_columns={'code': '<your column>'}"])
        rows = area_df.attrs.get("row", {})
        problems = [f"row {rows.get(i, i)}: empty area code" for i in area_df.index[area_df["code"].isna()]]
        area_df["code"] = area_df["code"].astype(str).str.strip()
        problems += [f"row {rows.get(i, i)}: empty area code" for i in area_df.index[area_df["code"] == ""]]
        dup_mask = area_df["code"].duplicated(keep=False) & area_df["code"].ne("") & area_df["code"].ne("nan")
        for code, grp in area_df[dup_mask].groupby("code"):
            problems.append(f"column 'code': duplicate area code {code!r} on rows "
                            f"{', '.join(str(rows.get(i, i)) for i in grp.index)}; each area must appear once")
        if problems:
            raise InputError(str(areas), problems)
        empty_rows = area_df.attrs.get("empty_rows", [])
        row_of = {c: rows.get(i, i) for i, c in area_df["code"].items()}
        area_df = area_df.set_index("code")
        # area code -> file row, for the messages of validate_areas: a Series, the one form read_table gives
        area_df.attrs["row"] = pd.Series(row_of, dtype=object)
        bnd = None
        notes: list[str] = []
        if empty_rows:
            notes.append(f"{areas}: {len(empty_rows)} entirely empty row(s) skipped (rows "
                         f"{', '.join(map(str, empty_rows[:10]))}{'...' if len(empty_rows) > 10 else ''})")
        if boundaries is not None:
            bdf = read_table(boundaries, "boundaries", layer=layers.get("boundaries"))
            sources[f"boundaries:{Path(boundaries).name}"] = sha256(boundaries)
            if not isinstance(bdf, gpd.GeoDataFrame):
                raise InputError(str(boundaries), ["expected a geometry file (GeoJSON, GeoPackage, Shapefile...)"])
            if boundary_code not in bdf.columns:
                raise InputError(str(boundaries), [f"missing column '{boundary_code}' (area code); found: "
                                                   f"{[c for c in bdf.columns if c != 'geometry']}; "
                                                   "pass boundary_code='<your column>'"])
            bcodes = bdf[boundary_code].astype(str).str.strip()
            bdup = sorted(set(bcodes[bcodes.duplicated()]))
            if bdup:
                raise InputError(str(boundaries), [f"column '{boundary_code}': duplicate code(s) {bdup[:10]}"])
            bnd = gpd.GeoSeries(bdf.geometry.to_numpy(), index=pd.Index(bcodes, name="code"), crs=bdf.crs)
        elif isinstance(area_df, gpd.GeoDataFrame):
            bnd = area_df.geometry
            area_df = pd.DataFrame(area_df.drop(columns="geometry"))
        else:
            raise InputError(str(areas), ["no boundaries: pass boundaries=<polygon file> or give areas as a "
                                          "geometry file; corridors need area shapes"])
        check_xy_crs(crs, str(areas))
        centre_df = site_df = None
        labels = {"areas": str(areas), "boundaries": str(boundaries or areas)}
        if centres is not None:
            centre_df = points_from_file(centres, centre_columns, "centre", crs=crs, layer=layers.get("centres"))
            sources[f"centres:{Path(centres).name}"] = sha256(centres)
            labels["centres"] = str(centres)
        if isinstance(sites, str) and sites == "area_centroids":
            site_df = "area_centroids"
        elif sites is not None:
            site_df = points_from_file(sites, site_columns, "site", crs=crs, layer=layers.get("sites"))
            sources[f"sites:{Path(sites).name}"] = sha256(sites)
            labels["sites"] = str(sites)
        geo = cls.build(name or Path(areas).stem, area_df, bnd, centre_df, site_df,
                        travel=travel if travel is not None else trv.norfolk_model(),
                        tolerance=tolerance, sources=sources, labels=labels, xy_crs=crs)
        if adjacency is not None:  # replaces the snapped graph, and records the adjacency file's hash
            geo = geo.with_adjacency(adjacency)
        return replace(geo, notes=geo.notes + tuple(notes)) if notes else geo

    # ------------------------------------------------------------------ derived geographies
    def with_corridors(self, graph: nx.Graph, *, source: str = "corridors") -> Geography:
        """A copy using ``graph`` (e.g. refined by :mod:`clusterplan.corridors`) after checking it."""
        corr.validate(graph, self.areas.index, source=source)
        if self.travel is not None:
            graph = _annotate_minutes(graph, self.areas, self.travel)
        return replace(self, corridors=graph)

    def with_travel_minutes(self, *, centre_minutes: pd.DataFrame | None = None,
                            site_minutes: pd.DataFrame | None = None, source: str = "user matrix") -> Geography:
        """A copy whose travel minutes come from the given matrices (areas x centres / sites, rows and columns in
        any order), not the model."""
        problems = []
        given = {"centre_minutes": centre_minutes, "site_minutes": site_minutes}
        for label, ref in (("centre_minutes", self.centre_minutes), ("site_minutes", self.site_minutes)):
            new = given[label]
            if new is None:
                continue
            if not isinstance(new, pd.DataFrame) or not _same_labels(new.index, ref.index) \
                    or not _same_labels(new.columns, ref.columns):
                problems.append(f"{label}: expected rows = the {len(ref)} area codes and columns = the "
                                f"{len(ref.columns)} ids (in any order){_labels_differ(new, ref)}")
                continue
            new = new.reindex(index=ref.index, columns=ref.columns).apply(pd.to_numeric, errors="coerce")
            # an unlocated centre is not modelled, so its column may stay empty
            vals = new[self.located_centres.index] if label == "centre_minutes" else new
            bad = ~np.isfinite(vals.to_numpy(float)) | (vals.to_numpy(float) < 0)
            if bad.any():
                rows, cols = np.nonzero(bad)
                pairs = [(vals.index[r], vals.columns[c]) for r, c in zip(rows[:5], cols[:5], strict=True)]
                problems.append(f"{label}: minutes must be finite numbers >= 0 with no gaps; {len(rows):,} "
                                f"(area, id) cell(s) are not, e.g. {pairs}")
            given[label] = new.astype(float)
        if problems:
            raise InputError(source, problems)
        return replace(self, centre_minutes=self.centre_minutes if centre_minutes is None else
                       given["centre_minutes"],
                       site_minutes=self.site_minutes if site_minutes is None else given["site_minutes"],
                       travel_source=source, travel_ratio=None)

    def with_travel_file(self, path: str | Path, *, columns: dict[str, str] | None = None) -> Geography:
        """A copy whose travel minutes come from your table (CSV or Excel, one row per area and destination:
        columns ``area``, ``destination``, ``minutes``; ``columns`` maps these names to yours), e.g. road or public
        transport times from the council's own accessibility tool. A destination is a centre's id or name, or a
        candidate site's id. A table naming any centre must time every area to every located centre, and one naming
        any site every area to every site; a set it does not name keeps the model's minutes, and
        :attr:`travel_source` and the notes say which is which. Replace centres or sites before, not after."""
        src, name = str(path), Path(path).name
        problems = trv.column_problems(columns)
        if problems:
            raise InputError(src, [f"column mapping: {p}" for p in problems])
        cols = {**{c: c for c in trv.COLUMNS}, **(columns or {})}
        long, problems = trv.read_long_minutes(path, origin=cols["area"], destination=cols["destination"],
                                               minutes=cols["minutes"], what="travel minutes (`geography."
                                               "travel_minutes`)")
        unknown_areas = sorted(set(long["area"]) - set(map(str, self.areas.index)) - {""})
        if unknown_areas:
            problems.append(f"column '{cols['area']}': {len(unknown_areas)} code(s) not an area of this geography, "
                            f"e.g. {unknown_areas[:5]}")
        dest, found = self._destinations(long, cols["destination"], problems)
        named = long.assign(destination=dest)   # one centre named by its id in one row and its name in another
        twice = named.duplicated(["area", "destination"], keep=False) & ~long.duplicated(["area", "destination"],
                                                                                        keep=False)
        if twice.any() and not problems:
            first = named[twice].iloc[0]
            rows = named.loc[twice & (named["area"] == first["area"]) & (named["destination"] == first["destination"])]
            spelt = " and ".join(repr(v) for v in long.loc[rows.index, "destination"])
            problems.append(f"rows {', '.join(map(str, rows['row']))}: area {first['area']} to centre "
                            f"{first['destination']} twice (as {spelt}); {int(twice.sum())} rows repeat a pair in all: "
                            "give each area one time to each centre")
        if problems:
            raise InputError(src, problems)
        long = long.assign(destination=dest)
        sets = {"centres": self.located_centres.index, "sites": self.sites.index}
        given = {k: v for k, v in sets.items() if found[k]}
        wide = {k: trv.wide_minutes(long[long["destination"].isin(set(map(str, v)))], self.areas.index, v, src)
                for k, v in given.items()}
        centre_minutes = None
        if "centres" in wide:
            centre_minutes = self.centre_minutes.copy()
            centre_minutes.loc[:, wide["centres"].columns] = wide["centres"].to_numpy()
        model = self.travel.describe() if self.travel is not None else self.travel_source
        label = {"centres": "centres", "sites": "candidate sites"}
        each = {"centres": "every centre", "sites": "every candidate site"}
        rest = [k for k in sets if k not in given]
        compared, ratio = self._compared(wide)
        source = (f"your table {name} (every area to {' and '.join(each[k] for k in given)}"
                  f"{compared and '; ' + compared})" + "".join(f"; {label[k]}: {model}" for k in rest))
        notes = [n for n in self.notes if not n.startswith("travel minutes use the model")]
        if rest and len(notes) < len(self.notes):   # the England note on the model, now for the rest only
            notes.append(f"{' and '.join(label[k] for k in rest)}: travel minutes use the model calibrated on Norfolk "
                         "roads, not validated for this authority")
        notes.append(f"travel minutes from your table {name}{compared and ': ' + compared}")
        geo = self.with_travel_minutes(centre_minutes=centre_minutes, site_minutes=wide.get("sites"), source=source)
        return replace(geo, sources={**self.sources, f"travel_minutes:{name}": sha256(path)}, notes=tuple(notes),
                       travel_ratio=ratio)

    def _destinations(self, long: pd.DataFrame, column: str, problems: list[str]) -> tuple[pd.Series, dict]:
        """Each row's destination as a centre or site id, and which sets the table names. A candidate site is named
        by its id; any other destination is a centre, matched as scenarios match centres
        (:func:`clusterplan.scenario.centre_ids`: id, then name); unknown, ambiguous and unlocated ones are added to
        ``problems`` (the first 10, then a count)."""
        centre_keys = {str(j).lower() for j in self.centres.index}
        site_of = {str(j).lower(): str(j) for j in self.sites.index if str(j).lower() not in centre_keys}
        given = sorted(set(long["destination"]) - {""})
        to_site = {d: site_of[d.lower()] for d in given if d.lower() in site_of}
        rest = [d for d in given if d not in to_site]
        to_centre: dict[str, str] = {}
        try:
            to_centre = dict(zip(rest, centre_ids(rest, self.centres, f"{column}` of `geography.travel_minutes"),
                                 strict=True))
        except ScenarioError as exc:
            lines = str(exc).splitlines()
            problems += lines[:10] + ([f"{len(lines)} destinations in all are not usable"] if len(lines) > 10 else [])
        ids = {**to_centre, **to_site}
        return long["destination"].map(lambda d: ids.get(d, "")), {"centres": bool(to_centre), "sites": bool(to_site)}

    def _compared(self, wide: dict[str, pd.DataFrame]) -> tuple[str, float | None]:
        """Your minutes against the calibrated model's for the same pairs, in words, and the ratio of their medians;
        a table in seconds or hours shows as a ratio far from 1, and the words then say to check the unit. Empty
        and None where the minutes replaced are not the model's."""
        if self.travel_by_model != "all":
            return "", None
        ref = pd.concat([(self.centre_minutes if k == "centres" else self.site_minutes)[w.columns]
                         for k, w in wide.items()], axis=1)
        yours = float(np.median(pd.concat(list(wide.values()), axis=1).to_numpy()))
        model = float(np.median(ref.to_numpy()))
        if model <= 0:
            return "", None
        text = f"median {yours:,.1f} min against the calibrated model's {model:,.1f} min for the same pairs"
        ratio = yours / model
        if unit_doubt(ratio):
            text += f", {ratio:,.2f} times: check the table is in minutes, not seconds or hours"
        return text, ratio

    def with_road_network(self, roads: gpd.GeoDataFrame, **kwargs) -> Geography:
        """A copy whose travel minutes are shortest paths over ``roads`` (see
        :func:`clusterplan.corridors.road_network_minutes` for options), for every centre and every candidate
        site. Areas that cannot reach a centre or site over the roads are an error naming them."""
        source = kwargs.get("source", "roads")
        located = self.centres[self.centres["located"]]
        cm_located = corr.road_network_minutes(roads, self.areas, located, **kwargs)
        cm = cm_located.reindex(columns=self.centres.index)
        sm = corr.road_network_minutes(roads, self.areas, self.sites, **kwargs)
        cut = [(m.index[r], m.columns[c]) for m in (cm[located.index], sm)
               for r, c in zip(*np.nonzero(m.isna().to_numpy()), strict=True)]
        if cut:
            eg = "; ".join(f"area {i} to {j}" for i, j in cut[:5])
            raise InputError(source, [f"{len(cut):,} area-to-centre or site pair(s) are not joined by the road "
                                      f"network, e.g. {eg}; is it connected?"])
        notes = self.notes
        for kind, far, names in (("area", corr.far_from_roads(cm), self.areas["name"]),
                                 ("centre", corr.far_from_roads(cm_located, destinations=True), self.centres["name"]),
                                 ("site", corr.far_from_roads(sm, destinations=True), self.sites["name"])):
            if len(far):
                eg = ", ".join(f"{names[j]} [{j}] ({k:.1f} km)" for j, k in far.head(5).items())
                notes += (f"{len(far):,} {kind}(s) are more than {corr.FAR_FROM_ROADS_KM:g} km from the road "
                          f"network's nearest end or vertex, e.g. {eg}: minutes to and from them include that "
                          f"distance at {cm_located.attrs['connector_kmh']:g} km/h; check the network covers them",)
        return replace(self, centre_minutes=cm, site_minutes=sm, travel_source="road network shortest paths",
                       travel_ratio=None, notes=notes)

    def with_road_file(self, path: str | Path, *, speed_kmh: float = 50.0, speed_column: str | None = None,
                       connector_kmh: float = 20.0, layer: str | None = None) -> Geography:
        """A copy whose travel minutes are shortest paths over your road network: a line file (any format geopandas
        reads, its CRS declared; ``layer`` for a GeoPackage), each road travelled at ``speed_kmh`` (km/h) or at the
        speed in ``speed_column``, and ``connector_kmh`` (km/h) from each area's, centre's and site's point to the
        nearest road end (:func:`clusterplan.corridors.road_network_minutes`). It replaces the calibrated model for
        every centre and every candidate site; :attr:`travel_source` and the notes say so. Replace centres or sites
        before, not after."""
        src, name = str(path), Path(path).name
        roads = read_table(path, "road network (`geography.roads`)", layer=layer)
        if not isinstance(roads, gpd.GeoDataFrame):
            raise InputError(src, ["expected a line file (e.g. a GeoPackage or shapefile of roads); found a table "
                                   "without geometry"])
        if speed_column is not None and speed_column not in roads.columns:
            raise InputError(src, [f"no column '{speed_column}' (`geography.road_speed_column`); columns: "
                                   f"{', '.join(map(str, roads.columns))}"])
        geo = self.with_road_network(roads, speed_kmh=speed_kmh, speed_column=speed_column,
                                     connector_kmh=connector_kmh, source=src)
        speed = f"speeds from its column '{speed_column}'" if speed_column else f"{speed_kmh:g} km/h"
        source = (f"shortest paths over your road network {name} ({len(roads):,} features, {speed}; "
                  f"{connector_kmh:g} km/h from each point to its nearest road end)")
        notes = [n for n in geo.notes if not n.startswith("travel minutes use the model")]
        notes.append(f"travel minutes from your road network {name}")
        return replace(geo, travel_source=source, notes=tuple(notes),
                       sources={**self.sources, f"roads:{name}": sha256(path)})

    def with_sites(self, path: str | Path, *, columns: dict[str, str] | None = None, crs: str = BNG,
                   layer: str | None = None) -> Geography:
        """A copy whose candidate sites come from a file (``name`` and ``x``/``y`` or ``lon``/``lat``, optional
        ``id`` and ``home_area``), validated like every other input."""
        self._model_minutes_only(path, "sites")
        notes: list[str] = []
        df = points_from_file(path, columns, "site", crs=crs, layer=layer)
        sites = validate_points(df, self.areas, str(path), notes, kind="site", xy_crs=crs)
        site_minutes = trv.model_minutes(self.travel, self.areas, sites, source=str(path), what="candidate sites")
        return replace(self, sites=sites, site_minutes=site_minutes,
                       sources={**self.sources, f"sites:{Path(path).name}": sha256(path)},
                       notes=self.notes + tuple(notes))

    def _model_minutes_only(self, path: str | Path, what: str) -> None:
        """New centres or sites are timed by the travel model: refuse where the minutes came from elsewhere."""
        if self.travel is None:
            raise InputError(str(path), [f"this geography has a fixed travel matrix; give the {what}' minutes too"])
        if self.travel_by_model != "all":
            raise InputError(str(path), [f"this geography's travel minutes come from {self.travel_source}; replace "
                                         f"the {what} first, then give the travel minutes"])

    def with_centres(self, path: str | Path, *, columns: dict[str, str] | None = None, crs: str = BNG,
                     layer: str | None = None) -> Geography:
        """A copy whose centres come from your file (same shape as :meth:`from_files` reads), replacing the
        built-in ones: e.g. Norfolk's areas with a complete, precisely located centres register."""
        self._model_minutes_only(path, "centres")
        notes: list[str] = []
        df = points_from_file(path, columns, "centre", crs=crs, layer=layer)
        centres = validate_points(df, self.areas, str(path), notes, kind="centre", xy_crs=crs)
        kept = tuple(n for n in self.notes if "centre(s)" not in n and not n.startswith("centres "))
        linked = self.linked_sites
        if linked is not None and len(linked):
            lost = ~linked["centre"].isin(centres.index) & (linked["centre"] != "")
            if lost.any():
                linked = linked.assign(centre=linked["centre"].where(~lost, ""))
                notes.append(f"{int(lost.sum())} linked site(s) linked to a centre your file does not have; their "
                             "link is cleared")
        centre_minutes = trv.model_minutes(self.travel, self.areas, centres, source=str(path), what="centres")
        return replace(self, centres=centres, centre_minutes=centre_minutes, linked_sites=linked,
                       sources={**{k: v for k, v in self.sources.items() if k != "centres"},
                                f"centres:{Path(path).name}": sha256(path)},
                       notes=kept + (f"centres from {path}, replacing the built-in centres", *notes))

    def with_area_groups(self, path: str | Path) -> Geography:
        """A copy whose areas carry the groupings of your CSV (column ``area``: area code; every other column a
        grouping such as a health visiting team), for ``clusters.nest_in`` / ``centres.nest_in``. Every area must
        have a value in every grouping; unknown areas, gaps and clashes with existing columns are errors."""
        src = str(path)
        df = read_table(path, "`geography.area_groups`", text=("area",))
        df.columns = [str(c).strip() for c in df.columns]
        if "area" not in df.columns:
            raise InputError(src, [f"missing column 'area' (the area code); {found_columns(df)}"])
        df["area"] = df["area"].astype(str).str.strip()
        groups = [c for c in df.columns if c != "area"]
        problems = []
        if not groups:
            problems.append("no grouping columns: give one or more columns beside 'area'")
        clash = [c for c in groups if c in self.areas.columns]
        if clash:
            problems.append(f"column(s) {clash} already belong to the areas; rename them")
        unknown = sorted(set(df["area"]) - set(self.areas.index))
        if unknown:
            problems.append(f"{len(unknown)} area code(s) not in this geography, e.g. {unknown[:5]}")
        dup = sorted(set(df["area"][df["area"].duplicated()]))
        if dup:
            problems.append(f"area(s) given more than once: {dup[:5]}")
        missing = sorted(set(self.areas.index) - set(df["area"]))
        if missing:
            problems.append(f"{len(missing)} area(s) of the geography missing, e.g. {missing[:5]}")
        for c in groups:
            gaps = df.index[df[c].isna() | (df[c].astype(str).str.strip() == "")]
            if len(gaps):
                problems.append(f"column {c!r}: no value on row(s) {[int(i) + 2 for i in gaps[:5]]}")
        if problems:
            raise InputError(src, problems)
        add = df.set_index("area")[groups].astype(str).reindex(self.areas.index)
        return replace(self, areas=self.areas.join(add),
                       sources={**self.sources, f"area_groups:{Path(path).name}": sha256(path)})

    def with_centre_facts(self, path: str | Path) -> Geography:
        """A copy whose centres carry what your CSV says of them (:func:`clusterplan.governance.read_centre_facts`:
        lead partner, partnership, school site and host school), overriding what the register shows."""
        from .governance import read_centre_facts
        facts = read_centre_facts(path, self.centres)
        centres = self.centres.copy()
        for col in facts.columns:
            if col not in centres.columns:
                centres[col] = pd.Series(None, index=centres.index, dtype=object)
            centres[col] = centres[col].astype(object)
            centres.loc[facts.index, col] = facts[col].astype(object).to_numpy()
        return replace(self, centres=centres,
                       sources={**self.sources, f"centre_facts:{Path(path).name}": sha256(path)})

    def with_adjacency(self, adjacency: str | Path | object) -> Geography:
        """A copy whose corridor graph is an explicit contiguity, replacing the snapped graph: ``"rook"`` (areas
        sharing an edge), ``"queen"`` (an edge or a corner), a file of pairs (CSV ``area_a,area_b``, libpysal
        ``.gal`` or ``.gwt``), a networkx graph over the area codes, or a libpysal ``W`` (anything with a
        ``neighbors`` mapping). Every model and the checker use it."""
        codes = self.areas.index
        if isinstance(adjacency, nx.Graph):
            graph, label = nx.Graph(adjacency), "a networkx graph"
        elif isinstance(adjacency, str | Path):
            text = str(adjacency)
            if text.lower() in corr.ADJACENCY_KINDS:
                graph, label = corr.contiguity(self.areas, text.lower()), f"{text.lower()} contiguity"
            else:
                graph, label = corr.read_adjacency(text, codes), f"adjacency file {text}"
        elif hasattr(adjacency, "neighbors"):
            graph, label = corr.from_weights(adjacency, codes), "a libpysal W"
        else:
            raise InputError("adjacency", [f"expected rook, queen, a file of pairs, a networkx graph or a libpysal "
                                           f"W. Got {type(adjacency).__name__} instead."])
        graph.graph["adjacency"] = label
        extra = {}
        if isinstance(adjacency, str | Path) and str(adjacency).lower() not in corr.ADJACENCY_KINDS:
            extra[f"adjacency:{Path(adjacency).name}"] = sha256(adjacency)
        geo = self.with_corridors(graph, source=label)
        return replace(geo, sources={**self.sources, **extra},
                       notes=(*self.notes, f"corridors: {label} (replacing the snapped boundary graph)"))

    def with_under5(self, under5: pd.Series, *, note: str) -> Geography:
        """A copy with these children under five per area (whole numbers >= 0 for every area), e.g. a growth
        what-if; ``note`` says where the figures come from and is kept in the geography's notes."""
        new = pd.Series(under5).reindex(self.areas.index)
        problems = []
        if new.isna().any():
            problems.append(f"no figure for {int(new.isna().sum())} area(s), e.g. {list(new[new.isna()].index[:5])}")
        elif (new < 0).any() or (new != new.round()).any():
            problems.append("children under five must be whole numbers >= 0")
        if problems:
            raise InputError("under5", problems)
        areas = self.areas.copy()
        areas["under5"] = new.astype(int)
        return replace(self, areas=areas, notes=(*self.notes, note))

    def subset(self, districts: list[str]) -> Geography:
        """The part of this geography in ``districts``: areas, the centres and sites homed there, the corridors
        between them and their travel minutes (for per-district policies). District names are matched without
        regard to case; one not in the geography is refused with the names nearest it."""
        asked = [districts] if isinstance(districts, str) else list(districts)
        districts = list(district_names(dict.fromkeys(asked, 0), sorted(self.areas["district"].unique()),
                                        "districts"))
        keep = self.areas.index[self.areas["district"].isin(districts)]
        if not len(keep):
            raise InputError("geography", [f"no areas in district(s) {districts}"])
        homed = self.centres["home_area"].isin(keep)
        cen = self.centres[homed | (~self.centres["located"] & self.centres["district"].isin(districts))]
        sites = self.sites[self.sites["home_area"].isin(keep)]
        graph = self.corridors.subgraph(keep).copy()
        corr.validate(graph, keep, source=f"corridors within {', '.join(districts)}")
        return replace(self, name=f"{self.name} - {', '.join(districts)}", areas=self.areas.loc[keep],
                       centres=cen, sites=sites, corridors=graph,
                       linked_sites=None if self.linked_sites is None else
                       self.linked_sites[self.linked_sites["home_area"].isin(keep)],
                       centre_minutes=self.centre_minutes.loc[keep, cen.index],
                       site_minutes=self.site_minutes.loc[keep, sites.index])

    # ------------------------------------------------------------------ views
    def __repr__(self) -> str:
        located = int(self.centres["located"].sum()) if len(self.centres) else 0
        return (f"<Geography {self.name!r}: {len(self.areas):,} areas, {int(self.areas['under5'].sum()):,} children "
                f"under five, {located} located centres, {len(self.sites):,} candidate sites, "
                f"{self.corridors.number_of_edges():,} corridor links>")

    def _repr_html_(self) -> str:
        import html
        a, c = self.areas, self.centres
        rows = [("areas", f"{len(a):,} in {a['district'].nunique()} districts"),
                ("children under five", f"{int(a['under5'].sum()):,}"),
                ("centres", f"{len(c)} listed, {int(c['located'].sum()) if len(c) else 0} located"),
                ("candidate sites", f"{len(self.sites):,}"),
                ("corridors", f"{self.corridors.number_of_edges():,} links"), ("travel", self.travel_source)]
        rows += [("note", n) for n in self.notes[:5]]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in rows)
        return f"<b>Geography: {html.escape(self.name)}</b><table>{body}</table>"

    @property
    def centroids(self) -> gpd.GeoSeries:
        """Each area's population-weighted centroid as a point (the ``x``, ``y`` columns), in the areas' CRS."""
        return gpd.GeoSeries(gpd.points_from_xy(self.areas["x"], self.areas["y"]), index=self.areas.index,
                             crs=self.areas.crs)

    @property
    def travel_by_model(self) -> str:
        """How much of the travel minutes the calibrated model gives: ``all``, ``some`` (your table timed the
        centres, the model the sites, or the reverse) or ``none`` (your table, a road network, a fixed matrix)."""
        if self.travel is None:
            return "none"
        model = self.travel.describe()
        return "all" if self.travel_source == model else "some" if model in self.travel_source else "none"

    @property
    def located_centres(self) -> gpd.GeoDataFrame:
        """Centres with a known location (the others cannot be modelled and are listed in :meth:`summary`)."""
        return self.centres[self.centres["located"]]

    def fingerprint(self) -> dict[str, str]:
        """SHA-256 of every input that determines a plan: areas, centres, sites, corridors and travel minutes."""
        edges = sorted((min(a, b), max(a, b)) for a, b in self.corridors.edges)
        return {
            "areas": _frame_hash(self.areas.drop(columns=[c for cols in AREA_EXTRAS.values() for c in cols
                                                          if c in self.areas.columns])),
            **{key: _frame_hash(self.areas[[c for c in cols if c in self.areas.columns]])
               for key, cols in AREA_EXTRAS.items() if any(c in self.areas.columns for c in cols)},
            "centres": _frame_hash(self.centres),
            "sites": _frame_hash(self.sites),
            "corridors": hashlib.sha256(repr(edges).encode()).hexdigest(),
            "centre_minutes": _frame_hash(self.centre_minutes.round(6)),
            "site_minutes": _frame_hash(self.site_minutes.round(6)),
            **{f"file:{k}": v for k, v in sorted(self.sources.items())},
        }

    def summary(self) -> str:
        """A plain-text summary of the geography, its gaps and its travel model."""
        a, c = self.areas, self.centres
        d = corr.describe(self.corridors)
        is_rural, classed = rural_flags(a)
        rural, unclassed = int(is_rural.sum()), int((~classed).sum())
        unclassed_note = f" ({unclassed} without a rural-urban class)" if unclassed else ""
        lines = [f"{self.name}: {len(a)} areas, {int(a['under5'].sum()):,} children under five",
                 f"  districts: {a['district'].nunique()}; rural areas: {rural}{unclassed_note}",
                 f"  centres: {len(c)} listed, {int(c['located'].sum())} located"]
        for cid, row in c[~c["located"]].iterrows():
            lines.append(f"    no known location (cannot be modelled until you supply one): {row['name']} [{cid}]")
        shared = c[c["located"]].groupby("home_area").filter(lambda g: len(g) > 1)
        for home, grp in shared.groupby("home_area"):
            lines.append(f"    share home area {home}: {', '.join(grp['name'])}")
        lines.append(f"  candidate sites: {len(self.sites)}")
        if self.linked_sites is not None and len(self.linked_sites):
            ls = self.linked_sites
            of = ls["centre"][ls["centre"] != ""].nunique()
            lines.append(f"  linked sites (centres' satellites): {len(ls)}, of {of} centres")
        lines.append(f"  corridors: {d['links']} links, {d['components']} component(s)")
        lines.append(f"  travel: {self.travel_source}")
        if len(c) and c["located"].any():
            nearest = self.centre_minutes[c.index[c["located"]]].min(axis=1)
            lines.append(f"  minutes to the nearest listed centre: median {nearest.median():.1f}, "
                         f"max {nearest.max():.1f} ({nearest.idxmax()})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------------- validation helpers
def _area_centroid_sites(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One candidate site per area, at its centroid, id ``area:<code>`` (values, not the areas' code-indexed
    Series: aligned on the site ids they would all be missing)."""
    return gpd.GeoDataFrame({
        "name": areas["name"].to_numpy(), "district": areas["district"].to_numpy(),
        "home_area": areas.index.to_numpy(), "located": True,
        "geocode_precision": "area population-weighted centroid", "source_url": None,
        "phase": pd.array([pd.NA] * len(areas), dtype="Int64"), "x": areas["x"].to_numpy(),
        "y": areas["y"].to_numpy(),
    }, geometry=gpd.points_from_xy(areas["x"], areas["y"]), index=pd.Index([f"area:{c}" for c in areas.index],
                                                                            name="id"),
        crs=areas.crs)


def _annotate_minutes(graph: nx.Graph, areas: gpd.GeoDataFrame, travel: trv.TravelModel) -> nx.Graph:
    """Copy of ``graph`` with each link's ``minutes`` (model, mean of both directions) and ``km``."""
    g = graph.copy()
    edges = list(g.edges)
    if not edges:
        return g
    ends = [[a for a, _ in edges], [b for _, b in edges]]
    x, y = areas["x"].to_numpy(float), areas["y"].to_numpy(float)
    group = np.array([trv.rural_urban_group(v) for v in areas["rural_urban"]], dtype=object)
    at = [areas.index.get_indexer(e) for e in ends]
    if min(k.min() for k in at) < 0:   # -1 would read another area's place; callers run corridors.validate first
        raise KeyError("corridor links to areas not in the geography (corridors.validate names them)")
    km = np.hypot(x[at[0]] - x[at[1]], y[at[0]] - y[at[1]]) / 1000
    # the mean of the two directions' minutes, each end's rural-urban group giving its start time
    minutes = (travel.minutes(km, group[at[0]]) + travel.minutes(km, group[at[1]])) / 2
    for (a, b), k, m in zip(edges, km.tolist(), minutes.tolist(), strict=True):
        g.edges[a, b]["km"] = k
        g.edges[a, b]["minutes"] = m
    return g
