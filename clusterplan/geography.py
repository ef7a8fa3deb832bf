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
- ``centre_minutes`` / ``site_minutes``: travel minutes from every area (rows) to every centre / site (columns).

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
from shapely.geometry import Point

from . import corridors as corr
from . import io
from . import travel as trv
from .errors import InputError

BNG = "EPSG:27700"
# Great Britain in EPSG:27700 (metres), with a margin: anything outside is in the wrong CRS.
GB_BOUNDS = (-10_000.0, -10_000.0, 710_000.0, 1_310_000.0)
#: Smallest plausible median area of a small area (m2) and extent of a geography of several areas (m).
MIN_AREA_M2 = 100.0
MIN_EXTENT_M = 100.0
#: Boundaries overlapping by more than this share of the smaller area are an error; less (above noise) is a note.
OVERLAP_SHARE = 0.01
OVERLAP_NOISE_M2 = 1.0
#: A centre or site this close (metres) to an area but outside all of them (coasts, estuaries) joins the nearest area.
SNAP_METRES = 500.0

AREA_COLUMNS = ("name", "district", "under5", "idaci", "imd_decile", "rural_urban", "x", "y")
CENTRE_COLUMNS = ("name", "district", "home_area", "located", "geocode_precision", "source_url", "phase", "x", "y")


def slug(text: str) -> str:
    """A short, stable, lower-case id from a centre's name ("Diss Children's Centre" -> "diss")."""
    t = re.sub(r"children'?s centre|sure start|building", " ", str(text), flags=re.I)
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


def _numeric(df: pd.DataFrame, col: str, source: str, problems: list[str], *, min_value: float | None = None,
             max_value: float | None = None, required: bool = True, integer: bool = False) -> pd.Series:
    """Coerce a column to numbers, recording every bad row (by file row number) in ``problems``."""
    raw = df[col]
    vals = pd.to_numeric(raw, errors="coerce")
    rows = list(df.index)
    for k, (code, v) in enumerate(zip(rows, vals, strict=True)):
        if len(problems) > 200:
            break
        shown = raw.iloc[k]
        if pd.isna(v):
            if required or not pd.isna(shown):
                what = "missing" if pd.isna(shown) else f"found {shown!r}"
                problems.append(f"row {code!r}, column '{col}': expected a number, {what}")
        elif not np.isfinite(v) or abs(v) > 1e12:
            problems.append(f"row {code!r}, column '{col}': expected a finite number of sensible size, found {v}")
        elif min_value is not None and v < min_value:
            problems.append(f"row {code!r}, column '{col}': must be >= {min_value}, found {v}")
        elif max_value is not None and v > max_value:
            problems.append(f"row {code!r}, column '{col}': must be <= {max_value}, found {v}")
        elif integer and float(v) != int(v):
            problems.append(f"row {code!r}, column '{col}': expected a whole number of children, found {v}")
    return vals


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
    sources: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, name: str, areas: pd.DataFrame, boundaries: gpd.GeoSeries | None = None,
              centres: pd.DataFrame | None = None, sites: pd.DataFrame | str | None = "area_centroids", *,
              travel: trv.TravelModel | None = None, corridors: nx.Graph | None = None,
              tolerance: float = 25.0, sources: dict[str, str] | None = None,
              labels: dict[str, str] | None = None, xy_crs: str = BNG) -> Geography:
        """The one validating constructor.

        ``areas``: indexed by area code with the columns of :data:`AREA_COLUMNS` (``name``, ``district``, ``idaci``,
        ``imd_decile``, ``rural_urban``, ``x``, ``y`` may be missing; ``under5`` may not). ``boundaries``: a GeoSeries
        indexed by area code with a CRS (omit if ``areas`` is a GeoDataFrame). ``centres`` / ``sites``: indexed by
        id with ``name`` and ``x``, ``y`` (EPSG:27700) and optionally ``home_area`` and the other
        :data:`CENTRE_COLUMNS`; ``sites="area_centroids"`` makes one site per area. ``travel``: a fitted
        :class:`~clusterplan.travel.TravelModel`; by default it is calibrated on the built-in Norfolk road minutes.
        ``labels`` names the file each table came from, for error messages.
        """
        labels = labels or {}
        notes: list[str] = []
        areas_gdf = _validate_areas(areas, boundaries, labels.get("areas", "areas"),
                                    labels.get("boundaries", "boundaries"), notes, xy_crs=xy_crs)
        centres_gdf = _validate_points(centres, areas_gdf, labels.get("centres", "centres"), notes, kind="centre",
                                       xy_crs=xy_crs)
        if isinstance(sites, str) and sites == "area_centroids":
            sites_gdf = _area_centroid_sites(areas_gdf)
        else:
            sites_gdf = _validate_points(sites, areas_gdf, labels.get("sites", "sites"), notes, kind="site",
                                         xy_crs=xy_crs)
        if travel is None:
            travel = trv.norfolk_model()
        graph = corridors if corridors is not None else corr.adjacency(areas_gdf, tolerance=tolerance)
        corr.validate(graph, areas_gdf.index, source=labels.get("corridors", "corridors"))
        graph = _annotate_minutes(graph, areas_gdf, travel)
        missing_ru = int(areas_gdf["rural_urban"].isna().sum())
        if missing_ru:
            notes.append(f"{missing_ru} area(s) have no rural-urban class; the travel model used the urban start time")
        return cls(name=name, areas=areas_gdf, centres=centres_gdf, sites=sites_gdf, corridors=graph,
                   centre_minutes=trv.model_minutes(travel, areas_gdf, centres_gdf),
                   site_minutes=trv.model_minutes(travel, areas_gdf, sites_gdf),
                   travel=travel, travel_source=travel.describe(), sources=dict(sources or {}),
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

        ``adjacency`` replaces the snapped corridor graph: ``"rook"`` or ``"queen"`` (from the boundaries), a file
        of pairs (CSV ``area_a,area_b``, or a libpysal ``.gal`` / ``.gwt``), a networkx graph, or a libpysal ``W``.
        """
        layers = dict(layers or {})
        sources = {}
        area_df = read_table(areas, "areas", layer=layers.get("areas"))
        sources[f"areas:{Path(areas).name}"] = sha256(areas)
        area_df = _rename(area_df, area_columns, str(areas))
        if "code" not in area_df.columns:
            raise InputError(str(areas), [f"missing column 'code' (the area code); found: {list(area_df.columns)}; "
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
        area_df = area_df.set_index("code")
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
        _check_xy_crs(crs, str(areas))
        centre_df = site_df = None
        labels = {"areas": str(areas), "boundaries": str(boundaries or areas)}
        if centres is not None:
            centre_df = _points_from_file(centres, centre_columns, "centre", crs=crs, layer=layers.get("centres"))
            sources[f"centres:{Path(centres).name}"] = sha256(centres)
            labels["centres"] = str(centres)
        if isinstance(sites, str) and sites == "area_centroids":
            site_df = "area_centroids"
        elif sites is not None:
            site_df = _points_from_file(sites, site_columns, "site", crs=crs, layer=layers.get("sites"))
            sources[f"sites:{Path(sites).name}"] = sha256(sites)
            labels["sites"] = str(sites)
        geo = cls.build(name or Path(areas).stem, area_df, bnd, centre_df, site_df, travel=travel,
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
        """A copy whose travel minutes come from the given matrices (areas x centres / sites), not the model."""
        problems = []
        for label, new, ref in (("centre_minutes", centre_minutes, self.centre_minutes),
                                ("site_minutes", site_minutes, self.site_minutes)):
            if new is None:
                continue
            if not new.index.equals(ref.index) or list(new.columns) != list(ref.columns):
                problems.append(f"{label}: expected rows = the {len(ref)} area codes and columns = the "
                                f"{len(ref.columns)} ids, in the geography's order")
            elif new.isna().to_numpy().any() or (new.to_numpy() < 0).any():
                problems.append(f"{label}: minutes must be non-negative numbers with no gaps")
        if problems:
            raise InputError(source, problems)
        return replace(self, centre_minutes=self.centre_minutes if centre_minutes is None else centre_minutes,
                       site_minutes=self.site_minutes if site_minutes is None else site_minutes,
                       travel_source=source)

    def with_road_network(self, roads: gpd.GeoDataFrame, **kwargs) -> Geography:
        """A copy whose travel minutes are shortest paths over ``roads`` (see
        :func:`clusterplan.corridors.road_network_minutes` for options)."""
        located = self.centres[self.centres["located"]]
        cm = corr.road_network_minutes(roads, self.areas, located, **kwargs).reindex(columns=self.centres.index)
        sm = corr.road_network_minutes(roads, self.areas, self.sites, **kwargs)
        if sm.isna().to_numpy().any() or cm[located.index].isna().to_numpy().any():
            raise InputError(kwargs.get("source", "roads"), ["some areas cannot reach some centres or sites over "
                                                             "the road network; is it connected?"])
        return replace(self, centre_minutes=cm, site_minutes=sm, travel_source="road network shortest paths")

    def with_sites(self, path: str | Path, *, columns: dict[str, str] | None = None, crs: str = BNG,
                   layer: str | None = None) -> Geography:
        """A copy whose candidate sites come from a file (``name`` and ``x``/``y`` or ``lon``/``lat``, optional
        ``id`` and ``home_area``), validated like every other input."""
        notes: list[str] = []
        df = _points_from_file(path, columns, "site", crs=crs, layer=layer)
        sites = _validate_points(df, self.areas, str(path), notes, kind="site", xy_crs=crs)
        if self.travel is None:
            raise InputError(str(path), ["this geography has a fixed travel matrix; give the sites' minutes too"])
        return replace(self, sites=sites, site_minutes=trv.model_minutes(self.travel, self.areas, sites),
                       sources={**self.sources, f"sites:{Path(path).name}": sha256(path)},
                       notes=self.notes + tuple(notes))

    def with_centres(self, path: str | Path, *, columns: dict[str, str] | None = None, crs: str = BNG,
                     layer: str | None = None) -> Geography:
        """A copy whose centres come from your file (same shape as :meth:`from_files` reads), replacing the
        built-in ones: e.g. Norfolk's areas with a complete, precisely located centres register."""
        notes: list[str] = []
        df = _points_from_file(path, columns, "centre", crs=crs, layer=layer)
        centres = _validate_points(df, self.areas, str(path), notes, kind="centre", xy_crs=crs)
        if self.travel is None:
            raise InputError(str(path), ["this geography has a fixed travel matrix; give the centres' minutes too"])
        kept = tuple(n for n in self.notes if "centre(s)" not in n)
        return replace(self, centres=centres, centre_minutes=trv.model_minutes(self.travel, self.areas, centres),
                       sources={**{k: v for k, v in self.sources.items() if k != "centres"},
                                f"centres:{Path(path).name}": sha256(path)},
                       notes=kept + (f"centres from {path}, replacing the built-in centres", *notes))

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
        between them and their travel minutes (for per-district policies)."""
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
    def located_centres(self) -> gpd.GeoDataFrame:
        """Centres with a known location (the others cannot be modelled and are listed in :meth:`summary`)."""
        return self.centres[self.centres["located"]]

    def fingerprint(self) -> dict[str, str]:
        """SHA-256 of every input that determines a plan: areas, centres, sites, corridors and travel minutes."""
        edges = sorted((min(a, b), max(a, b)) for a, b in self.corridors.edges)
        return {
            "areas": _frame_hash(self.areas),
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
        rural = int(a["rural_urban"].fillna("").str[:1].isin(["D", "E"]).sum())
        lines = [f"{self.name}: {len(a)} areas, {int(a['under5'].sum()):,} children under five",
                 f"  districts: {a['district'].nunique()}; rural areas: {rural}",
                 f"  centres: {len(c)} listed, {int(c['located'].sum())} located"]
        for cid, row in c[~c["located"]].iterrows():
            lines.append(f"    no known location (cannot be modelled until you supply one): {row['name']} [{cid}]")
        shared = c[c["located"]].groupby("home_area").filter(lambda g: len(g) > 1)
        for home, grp in shared.groupby("home_area"):
            lines.append(f"    share home area {home}: {', '.join(grp['name'])}")
        lines.append(f"  candidate sites: {len(self.sites)}")
        lines.append(f"  corridors: {d['links']} links, {d['components']} component(s)")
        lines.append(f"  travel: {self.travel_source}")
        if len(c) and c["located"].any():
            nearest = self.centre_minutes[c.index[c["located"]]].min(axis=1)
            lines.append(f"  minutes to the nearest listed centre: median {nearest.median():.1f}, "
                         f"max {nearest.max():.1f} ({nearest.idxmax()})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------------- validation helpers
TABLE_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def read_table(path: str | Path, what: str, *, layer: str | None = None) -> pd.DataFrame:
    """Read a table or geometry file (CSV, Excel, or any format geopandas reads), checked first by
    :func:`clusterplan.io.input_file`. Rows that are entirely empty (Excel's trailing rows) are dropped and their
    file row numbers kept in ``df.attrs["empty_rows"]``; ``df.attrs["row"]`` maps each index to its file row.
    A multi-layer file needs ``layer`` (an error lists the layers)."""
    path = io.input_file(path, f"the {what} file")
    if path.stat().st_size == 0:
        raise InputError(str(path), [f"the file is empty; expected the {what} table"])
    suffix = path.suffix.lower()
    try:
        if suffix in TABLE_SUFFIXES:
            df = pd.read_csv(path, dtype={"code": str}, encoding="utf-8-sig")  # Excel's CSV starts with a BOM
        elif suffix in EXCEL_SUFFIXES:
            df = pd.read_excel(path, sheet_name=layer or 0, dtype={"code": str})
        else:
            layers = _layers(path)
            if layer is None and len(layers) > 1:
                raise InputError(str(path), [f"holds {len(layers)} layers ({', '.join(layers[:10])}); say which "
                                             f"holds the {what} with `geography.layers` (e.g. layers: {{{what}: "
                                             f"{layers[0]}}}) or layer=..."])
            if layer is not None and layers and layer not in layers:
                raise InputError(str(path), [f"has no layer {layer!r}; its layers: {', '.join(layers[:10])}"])
            df = gpd.read_file(path, layer=layer) if layer is not None else gpd.read_file(path)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(str(path), [f"could not be read as the {what} table: {first}"]) from None
    if suffix in TABLE_SUFFIXES + EXCEL_SUFFIXES:
        header_rows = 1
        rows = pd.Series(np.arange(len(df)) + 1 + header_rows, index=df.index)
        data_cols = [c for c in df.columns if c != "geometry"]
        blank = df[data_cols].map(lambda v: v is None or (isinstance(v, str) and not v.strip())
                                  or (isinstance(v, float) and np.isnan(v)))
        empty = blank.all(axis=1) if data_cols else pd.Series(False, index=df.index)
        if empty.any():
            dropped = rows[empty].tolist()
            df = df.loc[~empty]
            df.attrs["empty_rows"] = dropped
        df.attrs["row"] = rows.loc[df.index].to_dict()
    return df


def _layers(path: Path) -> list[str]:
    try:
        import pyogrio
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # noqa: BLE001 - a format without layers, or one pyogrio cannot list: read it as it is
        return []


def _rename(df: pd.DataFrame, mapping: dict[str, str] | None, source: str) -> pd.DataFrame:
    if not mapping:
        return df
    missing = [f"column '{theirs}' (mapped to '{ours}') not found; found: {[c for c in df.columns if c != 'geometry']}"
               for ours, theirs in mapping.items() if theirs not in df.columns]
    if missing:
        raise InputError(source, missing)
    return df.rename(columns={theirs: ours for ours, theirs in mapping.items()})


def _check_xy_crs(crs: str, source: str):
    """The CRS of x/y columns, parsed; it must be projected (metres). Lon/lat degrees go in lon and lat columns."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError
    try:
        c = CRS.from_user_input(crs)
    except CRSError:
        raise InputError(source, [f"`geography.crs` {crs!r} is not a coordinate reference system; expected e.g. "
                                  "EPSG:27700"]) from None
    if c.is_geographic:
        raise InputError(source, [f"`geography.crs` {crs!r} is in degrees; x/y columns must be metres in a "
                                  "projected CRS. Name degree columns lon and lat instead"])
    return c


def _xy_to(x: pd.Series, y: pd.Series, source_crs, target_crs) -> tuple[pd.Series, pd.Series]:
    """x/y from ``source_crs`` to ``target_crs`` (rows with a missing coordinate stay missing)."""
    from pyproj import CRS
    if CRS.from_user_input(source_crs) == CRS.from_user_input(target_crs):
        return x, y
    ok = x.notna() & y.notna()
    pts = gpd.GeoSeries(gpd.points_from_xy(x[ok], y[ok]), crs=source_crs).to_crs(target_crs)
    x2, y2 = x.astype(float).copy(), y.astype(float).copy()
    x2[ok], y2[ok] = pts.x.to_numpy(), pts.y.to_numpy()
    return x2, y2


def _working_crs(bnd: gpd.GeoSeries):
    """The CRS a geography is held in: British National Grid when the areas lie in Great Britain (so every British
    input lines up), else the file's own projected CRS in metres, else the UTM zone that fits the areas."""
    try:
        with np.errstate(all="ignore"):
            b = bnd.to_crs(BNG).total_bounds
        if np.isfinite(b).all() and b[0] >= GB_BOUNDS[0] and b[1] >= GB_BOUNDS[1] and b[2] <= GB_BOUNDS[2] \
                and b[3] <= GB_BOUNDS[3]:
            return BNG
    except Exception:  # noqa: BLE001 - not projectable to the British grid: choose another below
        pass
    crs = bnd.crs
    if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    return bnd.estimate_utm_crs()


def _points_from_file(path: str | Path, mapping: dict[str, str] | None, kind: str, *, crs: str = BNG,
                      layer: str | None = None) -> pd.DataFrame:
    df = _rename(read_table(path, f"{kind}s", layer=layer), mapping, str(path))
    rows = df.attrs.get("row", {})
    if isinstance(df, gpd.GeoDataFrame) and "geometry" in df.columns:
        if df.crs is None:
            raise InputError(str(path), ["the file declares no CRS; expected one (e.g. EPSG:27700)"])
        pts = df.geometry.to_crs("EPSG:4326")
        df = pd.DataFrame(df.drop(columns=[c for c in ("geometry", "x", "y") if c in df.columns]))
        df["lon"] = [p.x if p is not None and not p.is_empty else np.nan for p in pts]
        df["lat"] = [p.y if p is not None and not p.is_empty else np.nan for p in pts]
    else:
        _check_xy_crs(crs, str(path))
    if "id" in df.columns:
        blank = [rows.get(i, i) for i, v in df["id"].items() if pd.isna(v) or not str(v).strip()]
        if blank:
            raise InputError(str(path), [f"row {r}: empty id; give every {kind} an id or leave the column out"
                                         for r in blank[:20]])
        df["id"] = df["id"].astype(str).str.strip()
        dup = df["id"][df["id"].duplicated(keep=False)]
        if len(dup):
            raise InputError(str(path), [f"column 'id': duplicate id {i!r} on rows "
                                         f"{', '.join(str(rows.get(k, k)) for k in grp.index)}; ids must be unique"
                                         for i, grp in dup.groupby(dup)][:20])
        df = df.set_index("id")
    else:
        df.index = pd.Index([f"{kind}{i + 1:04d}" for i in range(len(df))], name="id")
    return df


def _validate_areas(areas: pd.DataFrame, boundaries: gpd.GeoSeries | None, source: str, bsource: str,
                    notes: list[str], *, xy_crs: str = BNG) -> gpd.GeoDataFrame:
    problems: list[str] = []
    df = pd.DataFrame(areas.drop(columns="geometry") if "geometry" in areas.columns else areas).copy()
    if boundaries is None and isinstance(areas, gpd.GeoDataFrame):
        boundaries = areas.geometry
    df.index = df.index.astype(str)
    df.index.name = "code"
    if "under5" not in df.columns:
        raise InputError(source, [f"missing column 'under5' (children aged 0-4); found: {list(df.columns)}; "
                                  "map yours with area_columns={'under5': '<your column>'}"])
    dups = sorted(set(df.index[df.index.duplicated()]))
    if dups:
        problems.append(f"duplicate area code(s) {dups[:10]}; each area must appear once")
    under5 = _numeric(df, "under5", source, problems, min_value=0, integer=True)
    for col in AREA_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    lonlat = "lon" in df.columns and "lat" in df.columns and df["x"].isna().all()
    if lonlat:
        lon = _numeric(df, "lon", source, problems, min_value=-180, max_value=180)
        lat = _numeric(df, "lat", source, problems, min_value=-90, max_value=90)
    idaci = _numeric(df, "idaci", source, problems, min_value=0, max_value=1, required=False)
    decile = _numeric(df, "imd_decile", source, problems, min_value=1, max_value=10, required=False)
    x = _numeric(df, "x", source, problems, required=False)
    y = _numeric(df, "y", source, problems, required=False)
    if problems:
        raise InputError(source, problems)

    # Boundaries: present for every area, declared CRS, valid and non-empty, plausible in their units.
    if boundaries is None:
        raise InputError(bsource, ["no boundaries given; corridors need area shapes"])
    if boundaries.crs is None:
        raise InputError(bsource, ["the boundary file declares no CRS; expected one, e.g. EPSG:27700 or EPSG:4326 "
                                   "(set it, e.g. gdf.set_crs(27700))"])
    bnd = boundaries.copy()
    bnd.index = bnd.index.astype(str)
    missing = [c for c in df.index if c not in bnd.index]
    if missing:
        problems.append(f"{len(missing)} area(s) have no boundary, e.g. {missing[:5]}")
    extra = [c for c in bnd.index if c not in df.index]
    if extra:
        problems.append(f"{len(extra)} boundary code(s) are not in the areas table, e.g. {extra[:5]}; "
                        "remove them or add the areas")
    for code, geom in bnd.items():
        if geom is None or geom.is_empty:
            problems.append(f"area {code}: empty geometry; expected a polygon")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"area {code}: geometry is a {geom.geom_type}; expected a polygon")
        elif not geom.is_valid:
            from shapely.validation import explain_validity
            problems.append(f"area {code}: invalid polygon ({explain_validity(geom)}); repair it "
                            "(e.g. shapely.make_valid) and check the result")
    if problems:
        raise InputError(bsource, problems)
    ominx, ominy, omaxx, omaxy = bnd.total_bounds
    if boundaries.crs.is_geographic and not (-180 <= ominx and omaxx <= 180 and -90 <= ominy and omaxy <= 90):
        raise InputError(bsource, [f"the file declares {boundaries.crs} (degrees) but its coordinates run from "
                                   f"({ominx:.6g}, {ominy:.6g}) to ({omaxx:.6g}, {omaxy:.6g}): these look like "
                                   "metres, so the declared CRS is probably wrong; declare the projected CRS they are "
                                   "in (e.g. EPSG:27700)"])
    work = _working_crs(bnd)
    try:
        with np.errstate(all="ignore"):
            bnd = bnd.to_crs(work)
    except Exception as exc:  # noqa: BLE001
        raise InputError(bsource, [f"cannot reproject from {boundaries.crs} to {work}: {exc}"]) from None
    minx, miny, maxx, maxy = bnd.total_bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        raise InputError(bsource, [f"coordinates cannot be placed once read as {boundaries.crs}; the file's declared "
                                   "CRS is probably wrong (lon/lat degrees are EPSG:4326, British metres EPSG:27700)"])
    # Units, not only a bounding box: degrees declared as metres make areas a few centimetres wide.
    sizes = bnd.area.to_numpy()
    extent = max(maxx - minx, maxy - miny)
    if float(np.median(sizes)) < MIN_AREA_M2 or (len(bnd) > 1 and extent < MIN_EXTENT_M):
        raise InputError(bsource, [f"the areas are implausibly small once read as {boundaries.crs}: median "
                                   f"{float(np.median(sizes)):.3g} square metres, the whole geography "
                                   f"{extent:.3g} m across (a small area such as an LSOA is at least "
                                   f"{MIN_AREA_M2:,.0f} m2). These look like longitude/latitude degrees: declare "
                                   "EPSG:4326"])
    problems += _overlaps(bnd, notes)
    if problems:
        raise InputError(bsource, problems)
    if str(work) != BNG and work != boundaries.crs:
        notes.append(f"the areas lie outside Great Britain; they are held in {work} (metres), chosen for them")
    if lonlat:
        x, y = _xy_to(lon, lat, "EPSG:4326", work)
    else:
        x, y = _xy_to(x, y, xy_crs, work)
    bnd = bnd.reindex(df.index)
    if x.isna().any() or y.isna().any():
        rep = bnd.representative_point()
        n = int((x.isna() | y.isna()).sum())
        notes.append(f"{n} area(s) had no population-weighted centroid; the boundary's representative point is used")
        x = x.fillna(pd.Series(rep.x.to_numpy(), index=df.index))
        y = y.fillna(pd.Series(rep.y.to_numpy(), index=df.index))
    inside = [bnd[c].buffer(1000).contains(Point(xx, yy)) for c, xx, yy in zip(df.index, x, y, strict=True)]
    far = [c for c, ok in zip(df.index, inside, strict=True) if not ok]
    if far:
        raw_x, raw_y = pd.to_numeric(df["x"], errors="coerce"), pd.to_numeric(df["y"], errors="coerce")
        degrees = bool(((raw_x.abs() <= 180) & (raw_y.abs() <= 90)).loc[far].all())
        raise InputError(source, [f"{len(far)} area centroid(s) lie more than 1 km outside their boundary, e.g. "
                                  f"{far[:5]}; are x/y in {xy_crs} metres (`geography.crs`), or lon/lat in "
                                  "degrees?" + (" They look like longitude/latitude degrees: name the columns lon "
                                                "and lat" if degrees else "")])
    out = gpd.GeoDataFrame({
        "name": df["name"].where(df["name"].notna(), pd.Series(df.index, index=df.index)).astype(str),
        "district": df["district"].astype(object).where(df["district"].notna(), "(none)").astype(str),
        "under5": under5.astype(int), "idaci": idaci.astype(float), "imd_decile": decile.astype("Int64"),
        "rural_urban": df["rural_urban"].astype(object).where(df["rural_urban"].notna(), None),
        "x": x.astype(float), "y": y.astype(float),
    }, geometry=bnd.to_numpy(), index=df.index, crs=work)
    for extra_col in [c for c in df.columns if c not in out.columns and c not in ("lon", "lat", "geometry")]:
        out[extra_col] = df[extra_col]
    return out


def _overlaps(bnd: gpd.GeoSeries, notes: list[str]) -> list[str]:
    """Problems for identical or substantially overlapping boundaries (each names the pair and the overlap in m2);
    slight overlaps (under :data:`OVERLAP_SHARE` of the smaller area) become a note."""
    geoms = bnd.to_numpy()
    codes = bnd.index.to_numpy()
    left, right = gpd.GeoSeries(geoms, crs=bnd.crs).sindex.query(geoms, predicate="intersects")
    problems, slight = [], []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        a, b = geoms[i], geoms[j]
        if a.equals(b):
            problems.append(f"areas {codes[i]} and {codes[j]} have identical boundaries; is one a copy of the other?")
            continue
        inter = a.intersection(b).area
        if inter <= OVERLAP_NOISE_M2:
            continue
        share = inter / max(min(a.area, b.area), 1e-9)
        if share > OVERLAP_SHARE:
            problems.append(f"areas {codes[i]} and {codes[j]} overlap by {inter:,.0f} m2 ({share:.1%} of the "
                            "smaller); boundaries must not overlap")
        else:
            slight.append((inter, codes[i], codes[j]))
        if len(problems) > 50:
            break
    if slight:
        slight.sort(reverse=True)
        notes.append(f"{len(slight)} pair(s) of boundaries overlap slightly (under {OVERLAP_SHARE:.0%} of the "
                     f"smaller area; largest {slight[0][0]:,.0f} m2, areas {slight[0][1]} and {slight[0][2]})")
    return problems


def _validate_points(df: pd.DataFrame | None, areas: gpd.GeoDataFrame, source: str, notes: list[str], *,
                     kind: str, xy_crs: str = BNG) -> gpd.GeoDataFrame:
    """Validate centres or sites: names, locations, home areas. Unlocated rows are kept and flagged."""
    if df is None:
        df = pd.DataFrame(columns=["name", "x", "y"])
    df = pd.DataFrame(df).copy()
    df.index = df.index.astype(str)
    df.index.name = "id"
    problems: list[str] = []
    if "name" not in df.columns:
        problems.append(f"missing column 'name' (the {kind}'s name); found: {list(df.columns)}")
        raise InputError(source, problems)
    dups = sorted(set(df.index[df.index.duplicated()]))
    if dups:
        problems.append(f"duplicate {kind} id(s) {dups[:10]}; ids must be unique")
    for col in CENTRE_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    work = areas.crs or BNG
    if "lon" in df.columns and "lat" in df.columns and df["x"].isna().all():
        lon = _numeric(df, "lon", source, problems, min_value=-180, max_value=180, required=False)
        lat = _numeric(df, "lat", source, problems, min_value=-90, max_value=90, required=False)
        x, y = _xy_to(lon, lat, "EPSG:4326", work) if not problems else (lon, lat)
    else:
        x = _numeric(df, "x", source, problems, required=False)
        y = _numeric(df, "y", source, problems, required=False)
        if not problems:
            x, y = _xy_to(x, y, xy_crs, work)
    home = df["home_area"].astype(object).where(df["home_area"].notna(), None)
    unknown = [(i, h) for i, h in home.items() if h is not None and str(h) not in areas.index]
    for i, h in unknown[:20]:
        problems.append(f"row {i!r}, column 'home_area': unknown area code {h!r}; expected one of the areas' codes")
    if problems:
        raise InputError(source, problems)
    located = x.notna() & y.notna()
    # A stated home area far from the stated location: kept as stated (the file's word), but named in the notes.
    both = located & home.notna()
    if both.any():
        polys = areas.geometry.reindex(home[both].astype(str)).to_numpy()
        pts = gpd.points_from_xy(x[both], y[both])
        far = [i for i, poly, pt in zip(df.index[both], polys, pts, strict=True) if poly.distance(pt) > SNAP_METRES]
        if far:
            notes.append(f"{len(far)} {kind}(s) lie more than {SNAP_METRES:.0f} m from the home area the file gives "
                         "them (the home area is used): " + ", ".join(f"{df.at[i, 'name']} ({home[i]})"
                                                                     for i in far[:10]))
    # Locate home areas by point-in-polygon where the file gives none.
    need = located & home.isna()
    if need.any():
        pts = gpd.points_from_xy(x[need], y[need])
        pt_i, area_i = areas.sindex.query(pts, predicate="within")
        found = pd.Series(areas.index[area_i], index=df.index[need][pt_i])
        found = found[~found.index.duplicated()]
        outside = [i for i in df.index[need] if i not in found.index]
        if outside:
            # Boundaries are generalised and clipped at coasts and estuaries: a point within SNAP_METRES of an
            # area joins the nearest one, and the notes say so. Farther than that is an error.
            near_pts = gpd.points_from_xy(x[outside], y[outside])
            (pi, ai), dist = areas.sindex.nearest(near_pts, max_distance=SNAP_METRES, return_distance=True,
                                                  return_all=False)
            snapped = pd.Series(areas.index[ai], index=pd.Index(outside)[pi])
            snapped = snapped[~snapped.index.duplicated()]
            if len(snapped):
                notes.append(f"{len(snapped)} {kind}(s) lie just outside the generalised boundaries (within "
                             f"{SNAP_METRES:.0f} m) and were given the nearest area: "
                             + ", ".join(f"{df.at[i, 'name']} -> {a}" for i, a in snapped.items()))
                found = pd.concat([found, snapped])
            outside = [i for i in outside if i not in snapped.index]
        if outside:
            raise InputError(source, [f"row {i!r} ({df.at[i, 'name']}): location ({_given(df, i)}) lies "
                                      f"more than {SNAP_METRES:.0f} m outside every area; give its home_area or "
                                      "correct x/y (EPSG:27700 metres unless `geography.crs` says otherwise)"
                                      + (" - these look like longitude/latitude degrees: name the columns lon "
                                         "and lat" if _degrees_like(df, i) else "")
                                      for i in outside[:20]])
        home.loc[found.index] = found.astype(str)
    # A row with a home area but no coordinates is placed at that area's centroid, and flagged as such.
    at_home = ~located & home.notna()
    if at_home.any():
        x = x.where(~at_home, areas["x"].reindex(home[at_home].astype(str)).set_axis(df.index[at_home]))
        y = y.where(~at_home, areas["y"].reindex(home[at_home].astype(str)).set_axis(df.index[at_home]))
        df["geocode_precision"] = df["geocode_precision"].astype(object)
        df.loc[at_home, "geocode_precision"] = "home area centroid"
        notes.append(f"{int(at_home.sum())} {kind}(s) have a home area but no coordinates; placed at its centroid")
    located = x.notna() & y.notna()
    district = df["district"].astype(object)
    fill = district.isna() & home.notna()
    district.loc[fill] = areas["district"].reindex(home[fill].astype(str)).to_numpy()
    geoms = [Point(a, b) if ok else None for a, b, ok in zip(x, y, located, strict=True)]
    out = gpd.GeoDataFrame({
        "name": df["name"].astype(str), "district": district.where(district.notna(), "(unknown)").astype(str),
        "home_area": home, "located": located.astype(bool),
        "geocode_precision": df["geocode_precision"].astype(object).where(df["geocode_precision"].notna(), None),
        "source_url": df["source_url"].astype(object).where(df["source_url"].notna(), None),
        "phase": pd.to_numeric(df["phase"], errors="coerce").astype("Int64"),
        "x": x.astype(float), "y": y.astype(float),
    }, geometry=gpd.GeoSeries(geoms, index=df.index, crs=work), index=df.index, crs=work)
    for extra_col in [c for c in df.columns if c not in out.columns and c not in ("lon", "lat", "geometry")]:
        out[extra_col] = df[extra_col]
    n_unloc = int((~out["located"]).sum())
    if n_unloc:
        notes.append(f"{n_unloc} {kind}(s) have no known location and cannot be modelled: "
                     f"{', '.join(out.loc[~out['located'], 'name'])}")
    return out


def _given(df: pd.DataFrame, i) -> str:
    """The coordinates of row ``i`` as the file gave them."""
    cols = ("lon", "lat") if "lon" in df.columns and pd.notna(df.at[i, "lon"]) else ("x", "y")
    return ", ".join(f"{cols[k]} {pd.to_numeric(df.at[i, cols[k]], errors='coerce'):.6g}" for k in (0, 1))


def _degrees_like(df: pd.DataFrame, i) -> bool:
    """True when row ``i``'s x/y look like longitude/latitude degrees."""
    if "lon" in df.columns and pd.notna(df.at[i, "lon"]):
        return False
    x, y = (pd.to_numeric(df.at[i, c], errors="coerce") for c in ("x", "y"))
    return bool(abs(x) <= 180 and abs(y) <= 90)


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
    for a, b in g.edges:
        km = float(np.hypot(areas.at[a, "x"] - areas.at[b, "x"], areas.at[a, "y"] - areas.at[b, "y"]) / 1000)
        ga = trv.rural_urban_group(areas.at[a, "rural_urban"])
        gb = trv.rural_urban_group(areas.at[b, "rural_urban"])
        g.edges[a, b]["km"] = km
        g.edges[a, b]["minutes"] = float(np.mean(travel.minutes(np.array([km, km]), np.array([ga, gb]))))
    return g
