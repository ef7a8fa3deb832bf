"""Shared definitions: the facts that both the models and the independent checker need, defined once from the raw
geography, so that the checker shares inputs with the models and never their code.

- which facilities a model chooses among (``facilities``) and the minutes to them (``facility_minutes``);
- deprived areas (England's 30% most deprived by IDACI 2019) and the children in them (``deprived_under5``);
- the objective's weights and its value for an assignment (``child_weights``, ``plan_objective``);
- a centre's phase (``phases``) and the corridor graph lifted to centres (``centre_graph``);
- family hubs: the spoke candidates a scenario names and the minutes to them (``spoke_candidates``,
  ``spoke_minutes``), straight-line metres to the nearest service point (``nearest_metres``, ``NEAR_METRES``) and
  which areas have a bus service (``bus_served``).

Units: children (under fives), minutes, weighted child-minutes = children x (1 + weight x IDACI) x minutes.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from .errors import ScenarioError
from .geography import Geography
from .travel import model_minutes
from .validation import points_from_file, validate_points

#: IoD2019 IDACI score of the 9,853rd most deprived of England's 32,844 LSOAs: an area scoring at least this is in
#: England's 30% most deprived for income deprivation affecting children (ties at the cut are included).
#: Reproduce: sort `IDACI Score` of shared/data/england/england_lsoa11_iod2019_income_idaci_idaopi_scores.csv.
DEPRIVED_IDACI = 0.203

#: Facility sets a model may choose among.
FACILITY_SETS = ("centres", "candidates", "area_centroids")


def deprived_under5(areas: pd.DataFrame) -> pd.Series:
    """Children under five per area if the area is in England's 30% most deprived by IDACI, else 0 (children)."""
    return areas["under5"].where(areas["idaci"] >= DEPRIVED_IDACI, 0)


def child_weights(areas: pd.DataFrame, weight: float) -> pd.Series:
    """p_i (1 + w d_i): weighted children per area. Missing IDACI counts as 0 (noted by the geography)."""
    return areas["under5"] * (1.0 + weight * areas["idaci"].fillna(0.0))


def assigned_minutes(minutes: pd.DataFrame, areas, centres) -> np.ndarray:
    """Minutes from each area to the centre it is assigned to: ``minutes`` (areas x centres) looked up pairwise."""
    return minutes.to_numpy()[minutes.index.get_indexer(areas), minutes.columns.get_indexer(centres)]


def plan_objective(assignment: pd.DataFrame, areas: pd.DataFrame, minutes: pd.DataFrame, weight: float,
                   fixed_cost: float = 0.0) -> float:
    """Weighted child-minutes of an assignment (``area``, ``centre`` columns) plus fixed cost per centre used."""
    w = child_weights(areas, weight)
    a = assignment.set_index("area")["centre"]
    t = assigned_minutes(minutes, a.index, a.to_numpy())
    return float(np.sum(w.reindex(a.index).to_numpy() * t) + fixed_cost * a.nunique())


def facilities(geo: Geography, which: str = "centres") -> pd.DataFrame:
    """Facilities (id -> ``name``, ``home_area``, ``district``): ``centres`` (the located existing centres),
    ``candidates`` (the geography's sites, e.g. the schools or a user's file) or ``area_centroids`` (one per
    area, id ``area:<code>``)."""
    if which == "centres":
        c = geo.located_centres
        return c.assign(district=geo.areas.loc[c["home_area"], "district"].to_numpy())[["name", "home_area",
                                                                                         "district"]]
    if which == "area_centroids":
        # values, not the code-indexed Series (aligned on the ``area:<code>`` ids they would all be missing); a new
        # centre has no name of its own (an area's name is not a centre's): reports name it by its home area
        a = geo.areas
        return pd.DataFrame({"name": [None] * len(a), "home_area": a.index.to_numpy(),
                             "district": a["district"].to_numpy()},
                            index=pd.Index([f"area:{c}" for c in a.index], name="id"))
    s = geo.sites
    return s.assign(district=geo.areas.loc[s["home_area"], "district"].to_numpy())[["name", "home_area", "district"]]


def facility_minutes(geo: Geography, which: str = "centres") -> pd.DataFrame:
    """Minutes from every area (rows) to every facility of the set (columns), as :func:`facilities` names them."""
    if which == "centres":
        return geo.centre_minutes[geo.located_centres.index]
    if which == "area_centroids":
        if geo.travel is None:
            raise ScenarioError("`sites: area_centroids` needs a travel model; this geography has a fixed matrix")
        pts = geo.areas[["x", "y"]].set_axis([f"area:{c}" for c in geo.areas.index])
        return model_minutes(geo.travel, geo.areas, pts, source="`sites: area_centroids`",
                             what="candidate sites (one per area)", instead="give a file of candidate sites")
    return geo.site_minutes


def facility_set(geo: Geography, ids) -> str:
    """The facility set a plan's centre ids come from, read from the ids themselves: today's ``centres``, the
    geography's ``candidates`` (sites), or ``area_centroids`` (``area:<code>``)."""
    ids = {str(j) for j in ids}
    if ids <= set(geo.centres.index):
        return "centres"
    if ids <= set(geo.sites.index):
        return "candidates"
    return "area_centroids"


def area_groups(geo: Geography, column: str, key: str) -> pd.Series:
    """Each area's group in the area column ``column`` (as text), for nesting (``key``: the scenario key that names
    it); a column the areas do not have is a :class:`ScenarioError` listing those they do."""
    if column not in geo.areas.columns:
        have = [c for c in geo.areas.columns if geo.areas[c].dtype == object and c not in ("name", "geometry")]
        raise ScenarioError(f"`{key}`: {column!r} is not a column of the areas; expected one of {', '.join(have)} "
                            "(or give geography.area_groups)")
    return geo.areas[column].astype(str)


def facility_points(geo: Geography, ids) -> pd.DataFrame:
    """``x``, ``y`` (the geography's CRS, metres) of each facility id, indexed by the ids as given. Each id is found
    in its own set (today's centres, then the candidate sites, then area centroids as ``area:<code>``), so ids of
    different sets may be given together; an id in none is a ``KeyError`` naming it."""
    ids = [str(j) for j in ids]
    areas = geo.areas[["x", "y"]].set_axis([f"area:{c}" for c in geo.areas.index])
    every = pd.concat([geo.centres[["x", "y"]], geo.sites[["x", "y"]], areas]).astype(float)
    every = every[~every.index.duplicated()]
    unknown = [j for j in ids if j not in every.index]
    if unknown:
        raise KeyError(f"facility {unknown[0]!r} is none of the geography's centres, candidate sites or areas")
    return every.loc[ids].rename_axis(None)


def centre_graph(graph: nx.Graph, assign: pd.Series) -> nx.Graph:
    """The corridor graph lifted to centres: centres are linked when their catchments touch."""
    h = nx.Graph()
    h.add_nodes_from(sorted(set(assign)))
    for a, b in graph.edges:
        ca, cb = assign.get(a), assign.get(b)
        if ca is not None and cb is not None and ca != cb:
            h.add_edge(ca, cb)
    return h


def phases(geo: Geography, assign: pd.Series, share: float = 0.4) -> pd.Series:
    """Phase (1, 2, 3) of each centre in ``assign``: the centres data's own ``phase`` where given, else derived
    from the share of its catchment's under-fives living in England's 30% most deprived areas (IDACI):
    phase 1 at >= ``share``, phase 2 at >= ``share`` / 4, else phase 3."""
    a = geo.areas.loc[assign.index]
    dep = deprived_under5(a).groupby(assign.to_numpy()).sum()
    reach = a["under5"].groupby(assign.to_numpy()).sum()
    frac = dep / reach
    derived = pd.Series(np.where(frac >= share, 1, np.where(frac >= share / 4, 2, 3)), index=frac.index)
    given = geo.centres["phase"].reindex(derived.index) if "phase" in geo.centres else None
    if given is not None:
        derived = given.astype("Int64").fillna(pd.Series(derived, dtype="Int64")).astype(int)
    return derived


def plan_minutes(assignment: pd.DataFrame, geo: Geography) -> pd.Series:
    """Minutes from each area to its planned centre (or site), by area code in the geography's order; the
    facility set is read from the plan's ids (``assignment``: a plan's ``area, centre`` table)."""
    a = assignment
    m = facility_minutes(geo, facility_set(geo, a["centre"]))
    return pd.Series(assigned_minutes(m, a["area"], a["centre"].astype(str)), index=a["area"].to_numpy()
                     ).reindex(geo.areas.index)


# ---------------------------------------------------------------------- family hubs: spokes and service points
#: Straight-line distance (metres) of the band in which the Institute for Fiscal Studies' 2024 evaluation of Sure
#: Start found its benefits for children (children living within 2.5 km of a centre).
NEAR_METRES = 2500.0

#: A decision is knife-edge when reversing it costs under this share of the plan's objective (0.001 = 0.1%): the
#: reasons behind amalgamations (:mod:`clusterplan.reasons`) flag it and the report words it.
KNIFE_EDGE = 0.001


def spoke_candidates(geo: Geography, sources: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Every building that may be a spoke (model ``hubs``), by id: ``name``, ``source`` (centres, schools,
    linked_sites or the CSV file's name), ``home_area``, ``x``, ``y`` (metres, the geography's CRS) and ``centre``
    (the centre id a centre building is, or the one a linked site links to; else empty). Ids: ``centre:<id>``,
    the schools register's own ids (``urn:<URN>``), ``linked:<id>``, ``<file stem>:<id or row>``. What a CSV's
    validation noted (rows without a location, left out; points given the nearest area) is in ``attrs["notes"]``,
    each note naming its file; so is ``linked_sites`` where the geography has none and another source is given
    (alone, it is an error)."""
    parts, said = [], []
    for src in sources:
        if src == "centres":
            c = geo.located_centres
            parts.append(pd.DataFrame({"name": c["name"], "source": "centres", "home_area": c["home_area"],
                                       "x": c["x"], "y": c["y"], "centre": c.index.astype(str)},
                                      ).set_axis([f"centre:{j}" for j in c.index]))
        elif src == "schools":
            s = geo.sites
            if len(s) and str(s.index[0]).startswith("area:"):
                raise ScenarioError("spokes.candidates: schools: this geography has no schools register (its "
                                    "candidate sites are area centroids); give a CSV of the buildings instead")
            parts.append(pd.DataFrame({"name": s["name"], "source": "schools", "home_area": s["home_area"],
                                       "x": s["x"], "y": s["y"], "centre": ""}, index=s.index.astype(str)))
        elif src == "linked_sites":
            ls = geo.linked_sites
            if ls is None or not len(ls):
                if len(set(sources)) == 1:
                    raise ScenarioError("spokes.candidates: linked_sites: this geography has no linked sites (the DfE "
                                        "register lists none for it, or its own files give none); use centres, "
                                        "schools or a CSV")
                # One source among others (a batch over England meets authorities whose register lists none):
                # the plan goes on with the others, and says so.
                said.append("linked_sites: this geography has none (the DfE register lists none for it, or its own "
                            "files give none), so the spokes come from the other candidates only")
                continue
            ls = ls[ls["located"]]
            parts.append(pd.DataFrame({"name": ls["name"], "source": "linked_sites", "home_area": ls["home_area"],
                                       "x": ls["x"], "y": ls["y"], "centre": ls["centre"].astype(str)},
                                      ).set_axis([f"linked:{j}" for j in ls.index]))
        else:
            notes: list[str] = []
            df = validate_points(points_from_file(src, None, "spoke"), geo.areas, src, notes, kind="spoke")
            said += [f"{Path(src).name}: {n}" for n in notes]
            df = df[df["located"]]
            stem = Path(src).stem
            parts.append(pd.DataFrame({"name": df["name"], "source": Path(src).name, "home_area": df["home_area"],
                                       "x": df["x"], "y": df["y"], "centre": ""},
                                      ).set_axis([f"{stem}:{j}" for j in df.index]))
    out = pd.concat(parts) if parts else pd.DataFrame(columns=["name", "source", "home_area", "x", "y", "centre"])
    out.index.name = "id"
    dup = out.index[out.index.duplicated()]
    if len(dup):
        raise ScenarioError(f"spokes.candidates: the same spoke id comes from two sources: {sorted(set(dup))[:5]}")
    out.attrs["notes"] = said
    return out


def spoke_minutes(geo: Geography, spokes: pd.DataFrame) -> pd.DataFrame:
    """Minutes from every area (rows) to every spoke candidate (columns): a centre building's and a school's are the
    geography's own minutes to that centre or site (a commissioner's matrix where given), the others' (linked
    sites, a CSV's buildings) come from the travel model."""
    out = pd.DataFrame(index=geo.areas.index, columns=spokes.index, dtype=float)
    is_centre = (spokes["source"] == "centres").to_numpy()
    is_school = (spokes["source"] == "schools").to_numpy()
    if is_centre.any():
        out.loc[:, spokes.index[is_centre]] = geo.centre_minutes[spokes.loc[is_centre, "centre"]].to_numpy()
    if is_school.any():
        out.loc[:, spokes.index[is_school]] = geo.site_minutes[spokes.index[is_school]].to_numpy()
    rest = ~(is_centre | is_school)
    if rest.any():
        if geo.travel is None:
            raise ScenarioError("model hubs needs a travel model to time linked sites and your own spoke buildings; "
                                "this geography has a fixed matrix")
        out.loc[:, spokes.index[rest]] = model_minutes(geo.travel, geo.areas, spokes.loc[rest, ["x", "y"]]).to_numpy()
    return out


def nearest_metres(geo: Geography, points: pd.DataFrame) -> pd.Series:
    """Straight-line metres from each area's (population-weighted) centroid to the nearest of ``points`` (``x``,
    ``y`` in the geography's CRS); inf without points."""
    a = geo.areas[["x", "y"]].to_numpy(float)
    p = points[["x", "y"]].to_numpy(float)
    if not len(p):
        return pd.Series(np.inf, index=geo.areas.index)
    best = np.full(len(a), np.inf)
    for start in range(0, len(p), 256):
        chunk = p[start:start + 256]
        d = np.hypot(a[:, None, 0] - chunk[None, :, 0], a[:, None, 1] - chunk[None, :, 1]).min(axis=1)
        best = np.minimum(best, d)
    return pd.Series(best, index=geo.areas.index)


def bus_served(geo: Geography, min_calls: float) -> pd.Series:
    """Per area: True where it has a bus service (``bus_calls``, weekday daytime bus stop calls, at least
    ``min_calls``), False where it has fewer, <NA> where the geography has no figure for it."""
    if "bus_calls" not in geo.areas.columns:
        return pd.Series(pd.NA, index=geo.areas.index, dtype="boolean")
    calls = pd.to_numeric(geo.areas["bus_calls"], errors="coerce")
    return (calls >= min_calls).astype("boolean").mask(calls.isna())
