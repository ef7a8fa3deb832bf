"""Scenario: what a commissioner asks, as plain validated data (the keys of the scenario YAML).

Unknown keys are errors that suggest the nearest valid key. Units: children (reach), minutes (travel), weighted
child-minutes (objective and ``fixed_cost``), seconds (``time_limit``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from . import registry
from .errors import ScenarioError, holding_words, shorten
from .travel import column_problems
from .validation import is_utf16

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: The model names a scenario may ask for, as shipped (:func:`clusterplan.registry.names` is the live list).
MODELS = registry.names()
_FIRST = registry.first_stages()
_LATER = tuple(registry.STAGES)
#: Largest count a scenario may ask for (centres, clusters, candidates): far above any English authority's areas.
MAX_COUNT = 100_000
#: Most solver threads a scenario may ask for.
MAX_THREADS = 256
#: Largest scenario file read (bytes), deepest nesting and most YAML nodes after expanding aliases.
MAX_YAML_BYTES = 1_000_000
MAX_YAML_DEPTH = 40
MAX_YAML_NODES = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # YAML reads yes, no, on, off, true and false as booleans, and pydantic would take them as 1 and 0 where a
        # number is asked for (`reach.min: yes` was a floor of 1 child)
        field = cls.model_fields.get(info.field_name) if info.field_name else None
        ann = field.annotation if field is not None else None
        if _holds_bool(value) and _numeric(ann) and not _admits_bool(ann):
            raise ValueError("expected a number, not yes/no/true/false (YAML reads yes, no, on, "
                             f"off, true and false as true or false). Got {value!r} instead")
        return value


def _holds_bool(value: Any) -> bool:
    """Whether ``value``, or anything in the lists and mappings it holds, is a boolean."""
    if isinstance(value, bool):
        return True
    if isinstance(value, Mapping):
        return any(_holds_bool(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_bool(v) for v in value)
    return False


def _admits_bool(ann: Any) -> bool:
    """Whether a field typed ``ann`` may hold a boolean anywhere: a bool, Any, a literal true or false, or a
    section of its own (which checks its own fields)."""
    if ann is bool or ann is Any or (isinstance(ann, type) and issubclass(ann, BaseModel)):
        return True
    if get_origin(ann) is Literal:
        return any(isinstance(a, bool) for a in get_args(ann))
    return any(_admits_bool(a) for a in get_args(ann))


def _numeric(ann: Any) -> bool:
    """Whether a field typed ``ann`` holds numbers (anywhere in it: an optional number, a mapping to numbers)."""
    return ann in (int, float) or any(_numeric(a) for a in get_args(ann))


class Reach(_Strict):
    """Reach floor and optional ceiling per centre, in children under five."""

    min: float = Field(600, ge=0, description="floor: children under five per kept centre (statutory guidance: 600)")
    max: float | None = Field(None, gt=0, description="optional ceiling: children under five per centre")

    @model_validator(mode="after")
    def _order(self) -> Reach:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"reach.max ({self.max}) must be >= reach.min ({self.min})")
        return self


class Travel(_Strict):
    """Travel rules, in minutes."""

    max_minutes: float | None = Field(None, gt=0, description="no child's centre may be farther than this (minutes)")
    candidates: int = Field(15, ge=1, le=MAX_COUNT, description="each area may join one of its this-many nearest "
                                                  "centres (widened automatically if that makes the model infeasible)")


class Deprivation(_Strict):
    """Weight of deprivation in the objective: a child counts 1 + weight x IDACI score (0-1)."""

    weight: float = Field(1.0, ge=0, description="dimensionless; 0 ignores deprivation")


class _Nested(_Strict):
    """A section whose groups may nest in an area grouping: ``within_district``, ``nest_in`` and
    ``cross_boundary_cost`` (declared by each section with its own words)."""

    @property
    def nest(self) -> str | None:
        """The area column the section nests in (``district`` for ``within_district``), or None."""
        return self.nest_in or ("district" if self.within_district else None)

    def _check_nest(self, section: str) -> None:
        if self.within_district and self.nest_in not in (None, "district"):
            raise ValueError(f"{section}.within_district and {section}.nest_in: {self.nest_in} disagree; give one")
        if self.cross_boundary_cost is not None and self.nest is None:
            raise ValueError(f"{section}.cross_boundary_cost needs {section}.nest_in (which boundary it costs to "
                             "cross)")


class Centres(_Nested):
    """Which centres may stay designated, and how many."""

    keep: list[str] = Field(default_factory=list, description="centre ids or names locked open")
    close: list[str] = Field(default_factory=list, description="centre ids or names locked closed")
    count: int | None = Field(None, ge=1, le=MAX_COUNT, description="exact number of kept centres")
    min_count: int | None = Field(None, ge=1, le=MAX_COUNT)
    max_count: int | None = Field(None, ge=1, le=MAX_COUNT)
    per_district: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(
        default_factory=dict, description="exact kept centres per district name")
    within_district: bool = Field(False, description="catchments stay inside their centre's district (the same as "
                                  "nest_in: district)")
    nest_in: str | None = Field(None, description="an area column (district, ccg, or a grouping of "
                                "geography.area_groups): each catchment stays inside its centre's group")
    cross_boundary_cost: float | None = Field(None, ge=0, description="with nest_in: crossing is allowed at this "
                                              "cost, in weighted child-minutes per child served from another group "
                                              "(leave out for hard nesting)")
    fixed_cost: float = Field(0.0, ge=0, description="weighted child-minutes charged per kept centre")
    management_cost: float | None = Field(None, ge=0, description="pounds per kept centre per year (reporting)")
    school_sites: Literal["keep"] | None = Field(None, description="keep: every centre on a school site stays "
                                                 "designated (schools' governance kept)")
    transfer_cost: float = Field(0.0, ge=0, description="weighted child-minutes charged for each centre on a school "
                                 "site that is amalgamated (closing it means transferring a school's building "
                                 "and governance)")

    @model_validator(mode="after")
    def _nest(self) -> Centres:
        self._check_nest("centres")
        return self


class Clusters(_Nested):
    """Grouping kept centres into clusters run together."""

    count: int | None = Field(None, ge=1, le=MAX_COUNT)
    min_count: int | None = Field(None, ge=1, le=MAX_COUNT)
    max_count: int | None = Field(None, ge=1, le=MAX_COUNT)
    min_reach: float | None = Field(None, ge=0, description="children under five per cluster")
    max_reach: float | None = Field(None, gt=0, description="children under five per cluster")
    require_phase1: bool = Field(True, description="every cluster holds at least one phase-1 centre")
    phase1_share: float = Field(0.4, ge=0, le=1, description="where the centres data gives no phase: a centre is "
                                "phase 1 when at least this share of its under-fives live in England's 30% most "
                                "deprived areas (IDACI), phase 2 at a quarter of it, else phase 3")
    within_district: bool = Field(False, description="clusters nest within districts (the same as nest_in: "
                                  "district)")
    nest_in: str | None = Field(None, description="an area column (district, ccg, or a grouping of "
                                "geography.area_groups): each cluster stays inside its lead's group (a centre's "
                                "group is its home area's)")
    cross_boundary_cost: float | None = Field(None, ge=0, description="with nest_in: a centre may join a cluster "
                                              "led from another group at this cost, in child-minutes per child it "
                                              "reaches (leave out for hard nesting)")
    balance: float = Field(0.0, ge=0, description="penalty per deprived child a cluster is above or below the mean "
                                                  "(weighted child-minutes per child)")
    lead: Literal["phase1", "any", "partners"] | None = Field(
        None, description="which centre may lead a cluster: phase1 (a phase-1 centre), any, or partners (a centre "
        "whose lead partner is in clusters.lead_partners); left out: phase1 while require_phase1 holds (the "
        "default), else any")
    lead_partners: list[str] = Field(default_factory=list, description="with lead: partners, the lead partners "
                                     "that may lead a cluster (school governing body, voluntary organisation, local "
                                     "authority, health, other)")
    max_school_led: int | None = Field(None, ge=0, le=MAX_COUNT, description="at most this many school-led centres "
                                       "per cluster (see clusterplan.governance)")
    phases: list[Literal[1, 2, 3]] = Field(default_factory=list, description="each cluster holds a centre of each "
                                           "listed phase where its lead's group (district, or nest_in) has one, e.g. "
                                           "[1, 2, 3]")
    keep_partnerships: bool = Field(False, description="centres of one existing partnership (centre_facts "
                                    "partnership) stay in one cluster")
    together: list[list[str]] = Field(default_factory=list, description="sets of centres (ids or names) that must "
                                      "share a cluster")
    apart: list[list[str]] = Field(default_factory=list, description="sets of centres (ids or names) no two of "
                                   "which may share a cluster")
    partnership_penalty: float = Field(0.0, ge=0, description="child-minutes charged for each extra cluster an "
                                       "existing partnership is split across")

    @field_validator("lead_partners")
    @classmethod
    def _partners(cls, v: list[str]) -> list[str]:
        from .governance import LEAD_PARTNERS
        bad = [p for p in v if p not in LEAD_PARTNERS or p == "unknown"]
        if bad:
            raise ValueError(f"unknown lead partner(s) {bad}; expected some of "
                             f"{', '.join(p for p in LEAD_PARTNERS if p != 'unknown')}")
        return v

    @model_validator(mode="after")
    def _rules(self) -> Clusters:
        self._check_nest("clusters")
        if self.lead_rule == "partners" and not self.lead_partners:
            raise ValueError("clusters.lead: partners needs clusters.lead_partners (which lead partners may lead)")
        if self.lead_rule != "partners" and self.lead_partners:
            raise ValueError("clusters.lead_partners applies with clusters.lead: partners")
        for key in ("together", "apart"):
            short = [s for s in getattr(self, key) if len(s) < 2]
            if short:
                raise ValueError(f"clusters.{key}: each set names at least two centres; got {short}")
            twice = [s for s in getattr(self, key) if len({str(c).strip().casefold() for c in s}) < len(s)]
            if twice:
                raise ValueError(f"clusters.{key}: a set names a centre twice: {twice[0]}; name each centre once")
        return self

    @property
    def lead_rule(self) -> str:
        """Which centres may lead: ``lead`` as given, else phase1 with ``require_phase1`` (the default) or any."""
        return self.lead or ("phase1" if self.require_phase1 else "any")

    @property
    def required_phases(self) -> list[int]:
        """The phases every cluster must hold: ``phases``, plus 1 with ``require_phase1``."""
        return sorted(set(self.phases) | ({1} if self.require_phase1 else set()))


class Solver(_Strict):
    """Which solver and how long it may run."""

    name: str = Field("highs", description="highs (default) or cbc, or any PuLP solver name")
    time_limit: float = Field(120, gt=0, le=7 * 24 * 3600, description="wall-clock seconds for the whole solve "
                              "(every MIP, heuristic and stage inside it shares them; at most a week)")
    gap: float = Field(0.0, ge=0, lt=1, description="relative optimality gap at which to stop (0 = prove optimum)")
    threads: int | None = Field(None, ge=1, le=MAX_THREADS, description=f"solver threads (at most {MAX_THREADS})")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="solver random seed (results are deterministic for a "
                                                          "given seed)")
    certify: bool = Field(False, description="also solve the relaxation without the contiguity and candidate "
                                             "restrictions, and report the gap to its bound")


ADJACENCY_KINDS = ("rook", "queen")
LAYER_ROLES = ("areas", "boundaries", "centres", "sites", "barriers", "roads")
#: The geography keys that always name a file or folder (resolved against the scenario file that names them);
#: ``sites`` and ``adjacency`` name one only when they are not one of their words.
PATH_KEYS = ("areas", "boundaries", "centres", "links", "barriers", "data", "area_groups", "centre_facts",
             "travel_minutes", "roads")


#: The mid-year under-five estimates each built-in data set holds (``geography.year``).
BUILTIN_YEARS: dict[str, tuple[int, ...]] = {"norfolk": (2017, 2019, 2020), "england": (2020,)}


class GeographySpec(_Strict):
    """Which geography a scenario runs on: the built-in Norfolk data, an English authority from the England tables,
    or a commissioner's own files.

    Giving ``areas`` means your files: ``builtin`` is then left out (giving both is an error). A built-in geography
    still takes your ``centres`` file (replacing its centres), a ``sites`` CSV and an ``adjacency``."""

    builtin: Literal["norfolk", "england"] | None = Field(
        "norfolk", description="built-in data set: norfolk (shipped; the default when no areas file is given), "
        "england (any upper-tier authority from the England tables; needs `authority` and the tables' folder). Leave "
        "it out when you give an areas file")
    year: Literal[2017, 2019, 2020] = Field(2020, description="mid-year under-five estimates (built-in Norfolk; the "
                                                              "England tables hold 2020)")
    network: Literal["today", "designated"] = Field(
        "today", description="builtin england: today's children's centres (open in January 2026, where the DfE "
        "register says) or every designated centre in the register")
    authority: str | None = Field(None, max_length=200, description="builtin england: an upper-tier authority's "
                                  "code or name, e.g. E10000020 or Norfolk")
    data: str | None = Field(None, description="builtin england: the England tables' folder (default: the "
                                               "CLUSTERPLAN_ENGLAND_DATA environment variable)")
    sites: str = Field("candidates", description="for model 'sites': candidates (the schools register), "
                                                 "area_centroids (one site per area), or a CSV path")
    areas: str | None = Field(None, description="areas file (CSV, Excel .xlsx, or any format geopandas reads)")
    boundaries: str | None = Field(None, description="boundary polygons file (its CRS must be declared)")
    centres: str | None = Field(None, description="centres file; with a builtin geography it replaces the built-in "
                                                  "centres")
    area_columns: dict[str, str] = Field(default_factory=dict, description="our name -> your column")
    boundary_code: str = Field("code", description="area-code column of the boundaries file")
    centre_columns: dict[str, str] = Field(default_factory=dict)
    site_columns: dict[str, str] = Field(default_factory=dict)
    crs: str = Field("EPSG:27700", description="coordinate reference system of x/y columns in CSV and Excel files "
                     "(any projected CRS in metres, e.g. EPSG:27700 or EPSG:32630); lon/lat columns are always "
                     "EPSG:4326 degrees")
    layers: dict[str, str] = Field(default_factory=dict, description="which layer to read from a multi-layer file "
                                   "(e.g. a GeoPackage), by role: areas, boundaries, centres, sites, barriers, roads")
    adjacency: str | None = Field(None, description="how areas are linked, replacing the snapped corridor graph: "
                                  "rook (a shared edge), queen (a shared edge or corner), or a file of pairs (CSV "
                                  "with columns area_a, area_b, or a libpysal .gal / .gwt file); links and barriers "
                                  "still apply on top")
    links: str | None = Field(None, description="CSV of extra corridor links (columns area_a, area_b), e.g. a bus "
                                                "route between areas that do not touch")
    barriers: str | None = Field(None, description="line (or polygon) file of barriers, e.g. a river with no "
                                                   "crossing: corridor links that cross it are removed")
    area_groups: str | None = Field(None, description="CSV of groupings of areas (column area: the area code, then "
                                    "one column per grouping, e.g. health_visiting_team), joined onto the areas for "
                                    "clusters.nest_in and centres.nest_in")
    centre_facts: str | None = Field(None, description="CSV of what the commissioner knows about each centre "
                                     "(column centre: id or name, then any of lead_partner, partnership, "
                                     "on_school_site, host_urn, host_name)")
    travel_minutes: str | None = Field(None, description="your travel minutes, replacing the calibrated model: a CSV "
                                       "or Excel table with one row per area and destination (columns area, "
                                       "destination: a centre's id or name or a candidate site's id, minutes); "
                                       "every area to every centre, and to every site if it names any")
    travel_columns: dict[str, str] = Field(default_factory=dict, description="travel_minutes' columns: our name "
                                           "(area, destination, minutes) -> your column")
    roads: str | None = Field(None, description="your road network, replacing the calibrated model: a line file "
                              "(e.g. a GeoPackage or shapefile, its CRS declared); travel minutes are shortest paths "
                              "over it to every centre and candidate site")
    road_speed_kmh: float = Field(50.0, gt=0, le=200, description="roads: the speed on every road, km/h (unless "
                                  "road_speed_column gives each road's)")
    road_speed_column: str | None = Field(None, max_length=200, description="roads: the column holding each "
                                          "road's speed in km/h")
    road_connector_kmh: float = Field(20.0, gt=0, le=200, description="roads: the speed from each area's, "
                                      "centre's and site's point to its nearest road end, km/h")

    @field_validator(*PATH_KEYS, "sites")
    @classmethod
    def _a_path(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and not v.strip():
            if info.field_name == "sites":
                raise ValueError("expected candidates, area_centroids or the path of a file")
            raise ValueError("expected the path of a file (leave the key out, or null, for none)")
        return v

    @field_validator("travel_columns")
    @classmethod
    def _travel_columns(cls, v: dict[str, str]) -> dict[str, str]:
        problems = column_problems(v)
        if problems:
            raise ValueError("; ".join(problems))
        return v

    @model_validator(mode="before")
    @classmethod
    def _which(cls, data: Any) -> Any:
        """No ``builtin`` key: your files when ``areas`` (or ``boundaries``) is given, else built-in Norfolk.
        ``builtin`` together with area files is an error naming both keys."""
        if not isinstance(data, dict):
            return data
        files = [k for k in ("areas", "boundaries") if data.get(k)]
        if "builtin" not in data:
            return {**data, "builtin": None if files else "norfolk"}
        if data["builtin"] is not None and files:
            raise ValueError(f"`geography.builtin: {data['builtin']}` and `geography.{files[0]}` cannot be "
                             f"combined: the built-in data set has its own areas. Remove `builtin` to plan on your "
                             "files, or remove the file keys to plan on the built-in data")
        return data

    @model_validator(mode="after")
    def _files(self) -> GeographySpec:
        if self.builtin is None and not self.areas:
            raise ValueError("geography: give builtin: norfolk, or an areas file (and boundaries)")
        if self.builtin == "england":
            if not self.authority:
                raise ValueError("geography: builtin england needs `authority` (a code such as E10000020 or a name "
                                 "such as Norfolk)")
            if self.year not in BUILTIN_YEARS["england"]:
                raise ValueError(f"geography.year: the England tables hold mid-2020 under-fives only. Got "
                                 f"{self.year} instead.")
            if self.sites not in ("area_centroids", "candidates"):
                raise ValueError("geography.sites: no candidate sites are known nationally; England geographies "
                                 f"plan over area_centroids. Got {self.sites!r} instead.")
        elif self.authority or self.data:
            raise ValueError("geography.authority / geography.data belong to builtin: england")
        bad = sorted(set(self.layers) - set(LAYER_ROLES))
        if bad:
            raise ValueError(f"geography.layers: unknown role(s) {bad}; expected some of {', '.join(LAYER_ROLES)}")
        if self.travel_columns and not self.travel_minutes:
            raise ValueError("geography.travel_columns: name the table too (geography.travel_minutes)")
        if self.roads and self.travel_minutes:
            raise ValueError("geography.roads and geography.travel_minutes both give the travel minutes; keep one")
        road_keys = [k for k in ("road_speed_kmh", "road_speed_column", "road_connector_kmh")   # set, not default
                     if getattr(self, k) != type(self).model_fields[k].default]
        if road_keys and not self.roads:
            raise ValueError(f"geography.{road_keys[0]}: name the road network too (geography.roads)")
        if {"road_speed_kmh", "road_speed_column"} <= set(road_keys):
            raise ValueError("geography.road_speed_kmh and geography.road_speed_column: give one speed, every road's "
                             "or each road's from a column")
        if self.adjacency is not None and not self.adjacency.strip():
            raise ValueError("geography.adjacency: expected rook, queen or a file of pairs. Got an empty value.")
        self._nothing_unread()
        return self

    def _nothing_unread(self) -> None:
        """A key about a file that is not given would be read by nothing: refused, naming the file it needs
        (`crs` with the built-in data and no file of your own, `centre_columns` with no centres file...)."""
        own = {"areas": self.areas, "boundaries": self.boundaries or self.areas, "centres": self.centres,
               "sites": self.sites if self.sites_file else None, "barriers": self.barriers, "roads": self.roads}
        needs = {"area_columns": ("areas",), "boundary_code": ("boundaries",), "centre_columns": ("centres",),
                 "site_columns": ("sites",), "crs": ("areas", "centres", "sites")}
        for key, files in needs.items():
            if getattr(self, key) != type(self).model_fields[key].get_default(call_default_factory=True) and not any(
                    own[f] for f in files):
                raise ValueError(f"geography.{key} applies to your own {' or '.join(files)} file, and this scenario "
                                 f"gives none (geography.{files[0]}), so nothing would read it; remove it or name the "
                                 "file")
        unread = [role for role in self.layers if not own.get(role)]
        if unread:
            raise ValueError(f"geography.layers: {', '.join(unread)}: this scenario gives no such file of its own "
                             f"(geography.{unread[0]}), so nothing would read that layer; remove it or name the file")

    @property
    def sites_file(self) -> bool:
        """True when ``sites`` names a file (not ``candidates`` or ``area_centroids``)."""
        return self.sites not in ("candidates", "area_centroids")

    @property
    def adjacency_file(self) -> str | None:
        """The adjacency file, when ``adjacency`` names one (not rook or queen)."""
        a = self.adjacency
        return a if a is not None and a.lower() not in ADJACENCY_KINDS else None

    def files(self) -> list[str]:
        """Every input file this geography names (paths as resolved against the scenario file)."""
        named = [getattr(self, k) for k in PATH_KEYS if k != "data"]   # data: the England tables' folder
        return [f for f in (*named, self.sites if self.sites_file else None, self.adjacency_file) if f]


#: Where spokes may come from: today's centre buildings, the schools register (the geography's candidate sites), the
#: register's linked sites; any other entry is a CSV file of the commissioner's own (e.g. libraries).
SPOKE_SOURCES = ("centres", "schools", "linked_sites")


class Hubs(_Strict):
    """Family hubs (model ``hubs``): which of today's centres (or candidate sites) become hubs, each with a connected
    catchment."""

    candidates: Literal["centres", "sites"] = Field(
        "centres", description="where hubs may be: centres (today's centres) or sites (the geography's candidate "
        "sites: the schools register, area centroids or geography.sites' file)")
    count: int | None = Field(None, ge=1, le=MAX_COUNT, description="exact number of hubs")
    min_count: int | None = Field(None, ge=1, le=MAX_COUNT)
    max_count: int | None = Field(None, ge=1, le=MAX_COUNT)
    min_reach: float | None = Field(None, ge=0, description="children under five per hub catchment (default: "
                                                            "reach.min)")
    per_district: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(
        default_factory=dict, description="exact number of hubs per district (district name -> count)")
    within_district: bool = Field(False, description="hub catchments stay inside their hub's district")
    keep: list[str] = Field(default_factory=list, description="centre ids or names that must be hubs")
    close: list[str] = Field(default_factory=list, description="centre ids or names that may not be hubs")
    cost: float = Field(0.0, ge=0, description="pounds per hub per year (budget and cost_weight)")


class Spokes(_Strict):
    """Spokes (model ``hubs``): other buildings that stay open as service points, each attached to one hub."""

    candidates: list[str] = Field(default_factory=lambda: ["centres"], min_length=1, max_length=20,
                                  description="where spokes may be: centres (today's centre buildings that are "
                                  "not hubs), schools (the schools register), linked_sites (the register's linked "
                                  "sites), or a CSV of your own (name, x, y or lon, lat; optional id)")
    max_minutes: float = Field(20.0, gt=0, description="T: every area within this many minutes of a service point "
                                                       "(its hub or one of its hub's spokes)")
    coverage: Literal["require", "report"] = Field(
        "require", description="require: T is a constraint (areas with no candidate within T are named as "
        "shortfalls); report: T is only measured (e.g. for budget sweeps)")
    attach_minutes: float = Field(0.0, ge=0, description="S: a spoke lies inside its hub's catchment, or within "
                                                         "this many minutes of one of its areas (0: inside)")
    nearest: int = Field(8, ge=1, le=MAX_COUNT, description="each area may use one of its this-many nearest spoke "
                                                            "candidates (within T)")
    count: int | None = Field(None, ge=0, le=MAX_COUNT, description="exact number of spokes")
    max_count: int | None = Field(None, ge=0, le=MAX_COUNT)
    keep: list[str] = Field(default_factory=list, description="spoke ids or names that must be open")
    close: list[str] = Field(default_factory=list, description="spoke ids or names that may not be open")
    cost: float = Field(0.0, ge=0, description="pounds per spoke per year (budget and cost_weight)")
    bus_min_calls: float = Field(1.0, ge=0, description="an area has a bus service when its weekday daytime bus "
                                 "stop calls (2022, ITS Leeds) are at least this")
    require_bus: bool = Field(False, description="deprived under-fives farther than 2.5 km (straight line) from "
                              "every service point must live in areas with a bus service")

    @field_validator("candidates")
    @classmethod
    def _sources(cls, v: list[str]) -> list[str]:
        for s in v:
            if not isinstance(s, str) or not s.strip():
                raise ValueError("expected centres, schools, linked_sites or a CSV file's path. Got an empty value")
            if s not in SPOKE_SOURCES and not s.lower().endswith(".csv"):
                close = difflib.get_close_matches(s, SPOKE_SOURCES, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"unknown spoke source {s!r}: expected centres, schools, linked_sites or a .csv "
                                 f"file{hint}")
        if len(set(v)) != len(v):
            raise ValueError(f"spoke sources listed twice: {v}")
        return v

    @model_validator(mode="after")
    def _counts(self) -> Spokes:
        if self.count is not None and self.max_count is not None and self.count > self.max_count:
            raise ValueError(f"spokes.count ({self.count}) is above spokes.max_count ({self.max_count})")
        return self


class Tender(_Strict):
    """The tender stage: each kept centre is a lot, valued from the budget by the funding formula."""

    budget: float | None = Field(None, ge=0, description="pounds per year shared among the lots")
    lot_value_cap: float | None = Field(None, ge=0, description="pounds per year: lots at or under this value are "
                                                                "within reach of a small voluntary provider")
    deprivation_uplift: float = Field(1.0, ge=0, description="a deprived child (IDACI top 30% in England) counts "
                                                             "1 + this in the funding formula")
    bundle_max_lots: int | None = Field(None, ge=2, le=6, description="market bundles: list every set of 2 to this "
                                        "many adjacent lots (catchments touching) one provider could bid for "
                                        "together")
    bundle_value_cap: float | None = Field(None, ge=0, description="pounds per year a bundle may be worth (default: "
                                           "lot_value_cap)")

    @model_validator(mode="after")
    def _bundles(self) -> Tender:
        if self.bundle_max_lots is not None and self.budget is None:
            raise ValueError("tender.bundle_max_lots needs tender.budget (bundles are valued from it)")
        if self.bundle_max_lots is not None and self.bundle_value_cap is None and self.lot_value_cap is None:
            raise ValueError("tender.bundle_max_lots needs tender.bundle_value_cap (or tender.lot_value_cap)")
        if self.bundle_value_cap is not None and self.bundle_max_lots is None:
            raise ValueError("tender.bundle_value_cap applies with tender.bundle_max_lots")
        return self

    @property
    def bundle_cap(self) -> float | None:
        """Pounds per year a market bundle may be worth."""
        return self.bundle_value_cap if self.bundle_value_cap is not None else self.lot_value_cap


#: The settings each flag of a model's registry entry governs (:class:`clusterplan.registry.ModelInfo`): flag,
#: scenario section, and the section's keys at the values that say nothing. A policy's part whose model lacks the flag
#: takes them so (:meth:`Scenario.for_policy`), unless the policy sets one of them itself.
GOVERNED: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("locks", "centres", {"keep": [], "close": []}),
    ("counts", "centres", {"count": None, "min_count": None, "max_count": None, "per_district": {},
                           "within_district": False, "nest_in": None}),
    ("ceiling", "reach", {"max": None}),
    ("travel_limit", "travel", {"max_minutes": None}),
)


class Scenario(_Strict):
    """A whole scenario. Construct from a dict (the YAML's keys) with :meth:`from_dict`, or from a file with
    :func:`load`."""

    name: str = Field("scenario", max_length=500)
    extends: str | None = Field(None, description="another scenario file this one inherits from and overrides")
    geography: GeographySpec = Field(default_factory=GeographySpec)
    model: str = Field("amalgamate", json_schema_extra=lambda s: s.update(enum=list(registry.names())),
                       description="the model (clusterplan.registry): " + ", ".join(MODELS))
    reach: Reach = Field(default_factory=Reach)
    travel: Travel = Field(default_factory=Travel)
    deprivation: Deprivation = Field(default_factory=Deprivation)
    centres: Centres = Field(default_factory=Centres)
    clusters: Clusters = Field(default_factory=Clusters)
    stages: list[Literal[_FIRST + _LATER]] = Field(  # type: ignore[valid-type]
        default_factory=list, description="multi-stage runs, e.g. [amalgamate, cluster] or [amalgamate, tender]")
    tender: Tender = Field(default_factory=Tender)
    hubs: Hubs = Field(default_factory=Hubs)
    spokes: Spokes = Field(default_factory=Spokes)
    budget: float | None = Field(None, ge=0, description="model hubs: pounds per year that hubs' and spokes' costs "
                                 "may not exceed")
    cost_weight: float = Field(0.0, ge=0, description="model hubs: weighted child-minutes per pound of hub and spoke "
                               "cost in the objective (0: costs bind only through the budget)")
    solver: Solver = Field(default_factory=Solver)
    policies: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per-district policies: district name (or 'others') -> the keys this "
        "scenario overrides there, e.g. {Norwich: {stages: [amalgamate, tender]}, others: {model: cluster}}; "
        "each group of districts is planned on its own")

    @field_validator("policies")
    @classmethod
    def _policies(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for key, over in v.items():
            if not isinstance(over, dict):
                raise ValueError(f"policies.{key}: expected a mapping of scenario keys")
            bad = sorted(set(over) & {"policies", "geography", "extends", "name"})
            if bad:
                raise ValueError(f"policies.{key}: {', '.join(bad)} cannot be set per district")
        return v

    @model_validator(mode="after")
    def _no_hub_policies(self) -> Scenario:
        """A family hubs network is planned for the whole geography at once (its spokes and service points span the
        districts); ``hubs.per_district`` sets hubs per district instead of per-district policies."""
        if not self.policies:
            return self
        models = {self.model} | {o.get("model") for o in self.policies.values() if isinstance(o.get("model"), str)}
        models |= {o["stages"][0] for o in self.policies.values()
                   if isinstance(o.get("stages"), list) and o["stages"] and isinstance(o["stages"][0], str)}
        if any(m in registry.MODELS and registry.info(m).spokes for m in models):
            raise ValueError("policies: family hubs (model hubs) plan the whole geography at once; per-district "
                             "policies cannot mix them with other models. Use hubs.per_district for hubs per "
                             "district, or run the hubs scenario on its own")
        return self

    @model_validator(mode="after")
    def _no_whole_counts_with_policies(self) -> Scenario:
        """Each policy's part is solved on its own, so a count of the whole scenario cannot hold: every part would
        be asked for all of it (45 centres of Norwich's 8). Counts are set per policy, or per district."""
        if not self.policies:
            return self
        given = [k for k in ("count", "min_count", "max_count") if getattr(self.centres, k) is not None]
        if given:
            key = given[0]
            raise ValueError(f"centres.{key}: a count of centres for the whole scenario cannot be split between its "
                             f"policies (each part of the authority is solved on its own); give each policy its own "
                             f"(policies.<district>.centres.{key}) or count centres per district "
                             "(centres.per_district)")
        return self

    @model_validator(mode="after")
    def _policies_share_their_facilities(self) -> Scenario:
        """Per-district policies combine into one plan, whose figures compare each area with today's network: their
        models must all plan on the same facilities (today's centres, candidate sites or area centroids). A new
        network in Norwich beside today's centres amalgamated elsewhere is two scenarios, compared side by side."""
        if not self.policies:
            return self

        used = {key: _model_of(over, self.model) for key, over in self.policies.items()}
        if "others" not in self.policies:   # districts no policy names keep the scenario's own model
            used["the other districts"] = _model_of({"model": self.model, "stages": self.stages}, self.model)
        kinds = {k: registry.info(m).facilities for k, m in used.items() if isinstance(m, str) and m in registry.MODELS}
        if len(set(kinds.values())) > 1:
            what = {"centres": "today's centres", "sites": "candidate sites", "area_centroids": "area centroids"}
            said = "; ".join(f"{k}: {used[k]} on {what[v]}" for k, v in kinds.items())
            raise ValueError(f"policies: the districts' models plan on different facilities ({said}); one plan's "
                             "figures cannot set them side by side. Give every policy a model of the same kind, or "
                             "run them as separate scenarios and compare them (clusterplan compare)")
        return self

    @model_validator(mode="after")
    def _centre_rules_apply(self) -> Scenario:
        """School-site rules close or keep today's centres: they bind the amalgamation model only; nesting binds
        the catchment models that choose centres (amalgamate, sites)."""
        if self.policies:
            return self
        cs = self.centres
        info = registry.info(self.model)
        if (cs.school_sites is not None or cs.transfer_cost) and not info.locks:
            raise ValueError(f"centres.school_sites / centres.transfer_cost apply to the models that choose which "
                             f"of today's centres stay ({', '.join(m for m in MODELS if registry.info(m).locks)}); "
                             f"this scenario's model is {self.model}")
        if cs.nest is not None and not info.counts:
            given = "centres.nest_in" if cs.nest_in is not None else "centres.within_district"
            raise ValueError(f"{given} applies to models "
                             f"{', '.join(m for m in MODELS if registry.info(m).counts)}; this scenario's model is "
                             f"{self.model} (clusters nest with clusters.nest_in)")
        # settings a model does not read are an error, not silently ignored (a capacity scenario given
        # centres.keep planned as if it had not been said)
        if (cs.keep or cs.close) and not info.locks:
            raise ValueError(f"centres.keep / centres.close apply to the models that choose which of today's centres "
                             f"stay ({', '.join(m for m in MODELS if registry.info(m).locks)}); this scenario's model "
                             f"is {self.model}" + (" (hubs.keep / hubs.close for hubs)" if info.spokes else ""))
        counted = [k for k in ("count", "min_count", "max_count") if getattr(cs, k) is not None]
        counted += ["per_district"] if cs.per_district else []
        if counted and not info.counts:
            raise ValueError(f"centres.{counted[0]} applies to the models that choose how many centres there are "
                             f"({', '.join(m for m in MODELS if registry.info(m).counts)}); this scenario's model "
                             f"is {self.model}" + (" (hubs.count / hubs.per_district for hubs)" if info.spokes
                                                   else " (clusters.count for clusters)" if info.clusters else ""))
        if self.reach.max is not None and not info.ceiling:
            raise ValueError(f"reach.max applies to the models that cap each catchment's reach "
                             f"({', '.join(m for m in MODELS if registry.info(m).ceiling)}); this scenario's model "
                             f"is {self.model}")
        if self.travel.max_minutes is not None and not info.travel_limit:
            raise ValueError(f"travel.max_minutes applies to the models that limit each child's travel to their "
                             f"centre ({', '.join(m for m in MODELS if registry.info(m).travel_limit)}); this "
                             f"scenario's model is {self.model}"
                             + (" (spokes.max_minutes for hubs)" if info.spokes else ""))
        if not info.spokes and (self.hubs != Hubs() or self.spokes != Spokes() or self.budget is not None):
            given = [k for k, v in (("hubs", self.hubs != Hubs()), ("spokes", self.spokes != Spokes()),
                                    ("budget", self.budget is not None)) if v]
            raise ValueError(f"{' / '.join(given)}: settings for family hubs apply to model hubs; this scenario's "
                             f"model is {self.model}")
        if self.clusters != Clusters() and not (info.clusters or "cluster" in self.stages):
            raise ValueError(f"clusters: settings for clusters apply to model cluster or a cluster stage (stages: "
                             f"[{self.model}, cluster]); this scenario's model is {self.model}")
        if self.tender != Tender() and "tender" not in self.stages:
            raise ValueError(f"tender: settings for tendering apply to a tender stage (stages: [{self.model}, "
                             f"tender]); this scenario has none")
        return self

    def dump(self, *, like: dict | None = None) -> dict[str, Any]:
        """The resolved scenario as plain JSON data (what a manifest stores). ``like``: a resolved scenario an
        earlier version stored; keys it lacks (added to the schema since, at their defaults in a scenario read back
        from it) are left out, so the earlier dump is reproduced exactly."""
        return _pruned(self.model_dump(mode="json"), like) if like is not None else self.model_dump(mode="json")

    def for_policy(self, key: str) -> Scenario:
        """The scenario of one policy group: this one, with the group's overrides, and no policies."""
        base = self.model_dump(mode="json", exclude={"policies"})
        if "stages" in self.policies[key] or "model" in self.policies[key]:
            base.pop("stages", None)
            base.pop("model", None)
        over = self.policies[key]
        data = _merge(base, over)
        data["name"] = f"{self.name} - {key}"
        # settings of the whole scenario that this district's model does not read are not passed down to it (the
        # rural districts' clusters are no error for Norwich's tender); set in the policy itself, they are
        model = _model_of(data, "amalgamate")
        info = registry.info(model) if model in registry.MODELS else None
        if info is not None:
            if "clusters" not in over and not (info.clusters or "cluster" in (data.get("stages") or [])):
                data.pop("clusters", None)
            if "tender" not in over and "tender" not in (data.get("stages") or []):
                data.pop("tender", None)
            for flag, section, unread in GOVERNED:
                if not getattr(info, flag) and not set(unread) & set(over.get(section) or {}):
                    data[section] = {**data.get(section, {}), **unread}
        return Scenario.from_dict(data, source=f"policies.{key}")

    @model_validator(mode="before")
    @classmethod
    def _stages(cls, data: Any) -> Any:
        """``stages``: the first is the catchment model (it sets ``model``); then ``cluster`` and/or ``tender``."""
        if not isinstance(data, dict) or not data.get("stages"):
            return data
        if not isinstance(data["stages"], list) or not all(isinstance(x, str) for x in data["stages"]):
            return data  # the field's own validation names the key and the expected list of names
        stages = list(data["stages"])
        first, rest = stages[0], stages[1:]
        if first not in _FIRST:
            raise ValueError(f"stages: the first stage must be {', '.join(_FIRST[:-1])} or {_FIRST[-1]}. "
                             f"Got {first!r}")
        if any(s not in _LATER for s in rest) or len(set(rest)) != len(rest):
            raise ValueError(f"stages: after the first, only {' and '.join(_LATER)}, once each. Got {rest}")
        if data.get("model") not in (None, first):
            raise ValueError(f"stages start with {first!r} but model is {data['model']!r}; drop model or match it")
        return {**data, "model": first}

    @property
    def floor(self) -> float:
        """The reach floor of a serving centre (children under five): ``hubs.min_reach`` for family hubs where set,
        else ``reach.min``."""
        if registry.info(self.model).spokes and self.hubs.min_reach is not None:
            return self.hubs.min_reach
        return self.reach.min

    def by_district(self, districts: list[str], setting: Callable[[Scenario], Any]) -> Any:
        """A ``setting`` (a function of a scenario, e.g. its floor) in each of ``districts``: with per-district
        ``policies``, each policy's own (``others``, or the scenario itself, for the districts no policy names), as a
        dict district -> value where they differ; otherwise the one value (the scenario's own without policies)."""
        if not self.policies:
            return setting(self)
        values = {d: setting(self.for_policy(key) if key in self.policies else self)
                  for key, names in policy_groups(sorted(districts), self.policies) for d in names}
        return next(iter(values.values())) if len(set(values.values())) == 1 else values

    def network_costs(self) -> tuple[float, float] | None:
        """Pounds per hub and per spoke per year, for a family hubs scenario that gives either (else None: a
        network of no stated cost is not said to cost nothing)."""
        costed = self.hubs.cost or self.spokes.cost
        return (self.hubs.cost, self.spokes.cost) if registry.info(self.model).spokes and costed else None

    def spoke_files(self) -> list[str]:
        """The CSV files of spoke buildings ``spokes.candidates`` names (model ``hubs``)."""
        if not registry.info(self.model).spokes:
            return []
        return [c for c in self.spokes.candidates if c not in SPOKE_SOURCES]

    @property
    def sites(self) -> str:
        """The candidate-site choice of the ``sites`` model (``geography.sites``)."""
        return self.geography.sites

    @field_validator("model", mode="before")
    @classmethod
    def _model_name(cls, v: Any) -> Any:
        known = registry.names()
        if isinstance(v, str) and v not in known:
            close = difflib.get_close_matches(v, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"unknown model '{v}'; expected one of {', '.join(known)}{hint}")
        return v

    @classmethod
    def from_dict(cls, data: dict[str, Any] | Scenario | None, *, source: str = "scenario") -> Scenario:
        """Validate a plain dict; every problem is reported with its key path and, for unknown keys, a suggestion."""
        if isinstance(data, Scenario):
            return data
        if data is not None and not isinstance(data, Mapping):
            hint = " (a scenario file? clusterplan.load(path) reads one)" if isinstance(data, str | Path) else ""
            raise ScenarioError(f"{source}: expected a dict of the scenario's keys or a Scenario, got "
                                f"{type(data).__name__} {str(data)[:80]!r}{hint}")
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise ScenarioError(_explain(exc, source)) from None


def _model_of(data: Mapping, default: str) -> Any:
    """The model a scenario's (or a policy's) keys plan with: the first of its ``stages``, else its ``model``, else
    ``default``."""
    stages = data.get("stages")
    return stages[0] if isinstance(stages, list) and stages else data.get("model", default)


def _valid_keys(path: tuple) -> list[str]:
    model: type[BaseModel] = Scenario
    for part in path:
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


def _list_hint(loc: tuple, value: Any) -> str:
    """What to write where a list is asked for and one value is given (``keep: Diss`` for ``keep: [Diss]``)."""
    shown = value if isinstance(value, str | int | float) else "..."
    if loc and isinstance(loc[-1], int):   # an item of a list of lists: clusters.together's groups
        parent = ".".join(map(str, loc[:-1]))
        return (f"each item of `{parent}` is a list of its own (a group), e.g. [[{shown}, ...]]. Got {value!r} "
                "instead")
    return f"expected a list: write it in square brackets, e.g. [{shown}]. Got {value!r} instead"


def _explain(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(map(str, loc))
        if err["type"] == "extra_forbidden":
            valid = _valid_keys(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            hint = f"did you mean '{'.'.join(map(str, (*loc[:-1], close[0])))}'?" if close else \
                f"valid keys here: {', '.join(valid)}"
            lines.append(f"`{key}` is not a known key; {hint}")
        else:
            msg = shorten(str(err["msg"]).removeprefix("Value error, "))
            if err["type"] == "list_type" and not isinstance(err.get("input"), dict | list):
                msg = _list_hint(loc, err.get("input"))
            elif err["type"] in ("model_type", "dict_type") and not isinstance(err.get("input"), dict):
                keys = _valid_keys(loc)
                if keys:
                    msg = (f"a group of keys, written e.g. {loc[-1]}: {{{keys[0]}: ...}}; its keys: "
                           f"{', '.join(keys)}. Got {err.get('input')!r} instead")
                elif loc[:1] == ("policies",) and len(loc) == 2:
                    msg = (f"a policy is a group of scenario keys for its districts, written e.g. {loc[-1]}: "
                           f"{{model: {err.get('input')}}}. Got {err.get('input')!r} instead")
            where = f"`{key}`: " if key else ""
            # a group's own rule (its input the whole group) says what is wrong: the group is not repeated after it
            # (only our own messages may quote the value: pydantic's "greater than 0" holds a 0 that is not the input)
            quoted = err["type"] == "value_error" and repr(err.get("input")) in msg
            shown = "Got " in msg or not key or quoted or isinstance(err.get("input"), dict)
            got = "" if shown else f" Got {shorten(repr(err.get('input')), 200)} instead."
            end = "" if msg.endswith(("?", ".")) else "."
            lines.append(f"{where}{msg}{end}{got}")
    n = len(lines)
    return f"{source}: {n} problem{'s' if n != 1 else ''} found:\n" + "\n".join(f"  - {m}" for m in lines)


def _pruned(value: Any, like: Any) -> Any:
    if isinstance(value, dict) and isinstance(like, dict):
        return {k: _pruned(v, like[k]) for k, v in value.items() if k in like}
    return value


def _merge(base: dict, over: dict) -> dict:
    """``base`` with ``over``'s keys: a mapping merges into the base's mapping key by key, anything else replaces;
    an empty mapping replaces too, so a scenario can clear what it extends (``policies: {}``: no policies, where
    merging nothing in kept them all)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and v and isinstance(out.get(k), dict) else v
    return out


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text strictly: a key given twice in one mapping is an error (naming both lines), and aliases,
    nesting and size are bounded (:data:`MAX_YAML_DEPTH`, :data:`MAX_YAML_NODES`), so a small file cannot expand to
    gigabytes or exhaust the stack."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # a character YAML does not allow, found while reading the stream
        raise ScenarioError(f"{source}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise ScenarioError(f"{source}: the YAML is nested too deeply; at most {MAX_YAML_DEPTH} levels") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ScenarioError(f"{source}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
        if node is None:
            return None
        _inspect(node, source, (), {}, set())
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ScenarioError(f"{source}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    finally:
        loader.dispose()


def _inspect(node: yaml.Node, source: str, path: tuple, memo: dict[int, int], open_: set[int]) -> int:
    """Nodes in ``node`` once its aliases are expanded; raises on duplicate keys, depth, size and recursion."""
    if id(node) in memo:
        return memo[id(node)]
    where = ".".join(map(str, path)) or "the top level"
    if len(path) > MAX_YAML_DEPTH:
        raise ScenarioError(f"{source}: the YAML is nested too deeply at `{where}`; at most {MAX_YAML_DEPTH} levels")
    if id(node) in open_:
        raise ScenarioError(f"{source}: a YAML alias at `{where}` refers to itself (line {node.start_mark.line + 1})")
    open_.add(id(node))
    size = 1
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else None
            if k is not None and key.tag != "tag:yaml.org,2002:merge":
                if k in first:
                    raise ScenarioError(
                        f"{source}: key `{'.'.join(map(str, (*path, k)))}` is given twice (lines {first[k]} and "
                        f"{key.start_mark.line + 1}); YAML keeps only the last, so remove the one you do not mean")
                first[k] = key.start_mark.line + 1
            size += _inspect(key, source, path, memo, open_)
            size += _inspect(value, source, (*path, k if k is not None else "?"), memo, open_)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            size += _inspect(item, source, (*path, n), memo, open_)
    open_.discard(id(node))
    if size > MAX_YAML_NODES:
        raise ScenarioError(f"{source}: the YAML expands to more than {MAX_YAML_NODES:,} values at `{where}` (through "
                            "aliases); a scenario is a few dozen keys")
    memo[id(node)] = size
    return size


def read_yaml(path: str | Path, *, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file into a plain dict, resolving ``extends`` (relative to the file) and rejecting cycles."""
    path = Path(path)
    try:
        found = path.is_file()
    except (OSError, ValueError) as exc:  # a name with a NUL byte, or too long for the file system
        raise ScenarioError(f"{str(path)[:200]!r}: not a usable file name ({exc})") from None
    if not found:
        what = "is a folder" if path.is_dir() else "file not found"
        raise ScenarioError(f"{path}: {what}; expected a scenario YAML file")
    resolved = path.resolve()
    if resolved in _seen:
        chain = " -> ".join(p.name for p in (*_seen, resolved))
        raise ScenarioError(f"{path}: `extends` forms a cycle: {chain}; remove one of the links")
    if path.stat().st_size > MAX_YAML_BYTES:
        raise ScenarioError(f"{path}: {path.stat().st_size:,} bytes; a scenario file may be at most "
                            f"{MAX_YAML_BYTES:,} bytes")
    raw = path.read_bytes()
    if is_utf16(raw):
        raise ScenarioError(f"{path}: UTF-16 text (as Windows Notepad's 'Unicode' saves it), not UTF-8; save the file "
                            "as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); save "
                            "the file as UTF-8") from None
    if not text.strip():
        raise ScenarioError(f"{path}: the file is empty; expected a scenario with at least `model:`")
    data = parse_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of keys (model:, reach:, ...); found {type(data).__name__}")
    parent = data.get("extends")
    if parent is not None and not isinstance(parent, str):
        raise ScenarioError(f"{path}: `extends` must be the path of another scenario file. Got {parent!r} instead.")
    if parent:
        try:
            base = read_yaml(path.parent / parent, _seen=(*_seen, resolved))
        except ScenarioError as exc:
            if "forms a cycle" in str(exc):
                raise
            raise ScenarioError(f"{path}: `extends: {parent}`: {exc}") from None
        base.pop("name", None)
        data = _merge(base, {k: v for k, v in data.items() if k != "extends"})
        data["extends"] = str(parent)
    # Files named in the scenario are relative to the file that names them.
    geo = data.get("geography")
    if isinstance(geo, dict):
        for key in PATH_KEYS:
            if isinstance(geo.get(key), str) and geo[key].strip():   # a blank one is refused by GeographySpec
                geo[key] = _relative_to(path, geo[key])
        if isinstance(geo.get("sites"), str) and geo["sites"].strip() and geo["sites"] not in ("candidates",
                                                                                             "area_centroids"):
            geo["sites"] = _relative_to(path, geo["sites"])
        adj = geo.get("adjacency")
        if isinstance(adj, str) and adj.strip() and adj.lower() not in ADJACENCY_KINDS:
            geo["adjacency"] = _relative_to(path, adj)
    spokes = data.get("spokes")
    if isinstance(spokes, dict) and isinstance(spokes.get("candidates"), list):
        spokes["candidates"] = [_relative_to(path, c) if isinstance(c, str) and c.lower().endswith(".csv") else c
                                for c in spokes["candidates"]]
    return data


def _relative_to(scenario: Path, name: str) -> str:
    try:
        return str((scenario.parent / name).resolve())
    except (OSError, ValueError, RuntimeError):  # a name the file system cannot resolve: reported when read
        return str(scenario.parent / name)


def scenario_files(path: str | Path) -> list[Path]:
    """The scenario file and every file it ``extends`` (resolved), for output-safety checks."""
    out: list[Path] = []
    p = Path(path)
    while p is not None and p.is_file() and p.resolve() not in out:
        out.append(p.resolve())
        try:
            data = parse_yaml(p.read_text(encoding="utf-8"), str(p))
        except (ScenarioError, UnicodeDecodeError, OSError):
            break
        parent = data.get("extends") if isinstance(data, dict) else None
        p = p.parent / parent if isinstance(parent, str) and parent else None
    return out


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario file; errors name the file and the key, and suggest the fix."""
    data = read_yaml(path)
    data.setdefault("name", Path(path).stem)
    return Scenario.from_dict(data, source=str(path))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (``scenarios/schema.json`` is this, for editors)."""
    schema = Scenario.model_json_schema()
    schema["title"] = "clusterplan scenario"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# ---------------------------------------------------------------------- names a scenario uses
def _norm(text: str) -> str:
    t = re.sub(r"children'?s centre|sure start", " ", str(text), flags=re.I)
    return re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()


def locked_centres(scn: Scenario, centres: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The ids of the centres ``centres.keep`` and ``centres.close`` name (see :func:`centre_ids`); a centre in both
    is an error naming it (it cannot be locked open and closed at once)."""
    keep = centre_ids(scn.centres.keep, centres, "centres.keep")
    close = centre_ids(scn.centres.close, centres, "centres.close")
    both = sorted(set(keep) & set(close))
    if both:
        raise ScenarioError(f"`centres.keep` and `centres.close` both name {', '.join(centres.loc[both, 'name'])}"
                            "; a centre cannot be locked open and closed at once: remove it from one of the lists")
    return keep, close


def centre_ids(names: list[str], centres: pd.DataFrame, key: str) -> list[str]:
    """Match each entry of ``names`` to a centre id: an exact id first, then a name (or a name without "Children's
    Centre"). A name shared by several centres is an error listing their ids, never a silent pick."""
    by_id: dict[str, str] = {}
    by_name: dict[str, set[str]] = {}
    for cid, name in centres["name"].items():
        by_id[str(cid).lower()] = cid
        for k in (str(name).lower(), _norm(name), _norm(cid)):
            by_name.setdefault(k, set()).add(cid)
    out, problems = [], []
    for n in names:
        text = str(n)
        cid = by_id.get(text.lower())
        if cid is None:
            found = by_name.get(text.lower()) or by_name.get(_norm(text)) or set()
            if len(found) > 1:
                listed = ", ".join(f"{c} ({centres.at[c, 'name']})" for c in sorted(found))
                problems.append(f"`{key}`: '{text}' names {len(found)} centres: {listed}; give the id of the one "
                                "you mean")
                continue
            cid = next(iter(found), None)
        if cid is None:
            # centres whose id or name holds every word asked for ("Wells", "Dereham", "Gaywood"), else the one
            # spelt most alike
            holding = holding_words(text, {c: f"{c} {centres.at[c, 'name']}" for c in sorted(centres.index)})
            lookup = {**{k: next(iter(v)) for k, v in by_name.items()}, **by_id}
            close = holding or [lookup[c] for c in difflib.get_close_matches(_norm(text), list(lookup), n=1,
                                                                                 cutoff=0.5)]
            named = [f"'{c}' ({centres.at[c, 'name']})" for c in close]
            hint = f"; did you mean {', '.join(named)}?" if close else ""
            problems.append(f"`{key}`: unknown centre '{shorten(text, 100)}'{hint}")
        elif not bool(centres.at[cid, "located"]):
            problems.append(f"`{key}`: centre '{text}' has no known location, so it cannot be modelled; supply a "
                            "centres file that locates it")
        else:
            out.append(cid)
    if problems:
        raise ScenarioError("\n".join(problems))
    return out


def district_hint(name: str, districts: list[str]) -> str:
    """After "unknown district": the districts holding every word of ``name`` ("Norfolk North": North Norfolk),
    else the one spelt most alike, as "; did you mean ...?", else the list of districts."""
    close = holding_words(name, {x: x for x in sorted(districts)}) or \
        difflib.get_close_matches(name, districts, n=1, cutoff=0.5)
    quoted = ", ".join(f"'{x}'" for x in close)
    return f"; did you mean {quoted}?" if close else f"; districts: {', '.join(sorted(districts))}"


def district_names(counts: dict[str, int], districts: list[str], key: str) -> dict[str, int]:
    """Check that every district named in ``counts`` exists (case-insensitive), returning canonical names."""
    canon = {d.lower(): d for d in districts}
    out, problems = {}, []
    for d, k in counts.items():
        c = canon.get(str(d).lower())
        if c is None:
            problems.append(f"`{key}.{d}`: unknown district{district_hint(str(d), districts)}")
        elif not isinstance(k, int) or k < 0:
            problems.append(f"`{key}.{d}`: expected a whole number of centres >= 0. Got {k!r} instead.")
        else:
            out[c] = k
    if problems:
        raise ScenarioError("\n".join(problems))
    return out


def whole_geography(scn: Scenario, doing: str, command: str) -> None:
    """Refuse ``scn`` where it has per-district policies, for a ``command`` that needs one model over the whole
    geography: ``doing`` says what it does, in words (a :class:`ScenarioError` naming ``policies``)."""
    if scn.policies:
        raise ScenarioError(f"`policies`: {doing}, not a scenario with policies (each part of the authority its own "
                            f"model); run {command} on one policy's scenario")


def policy_groups(districts: list[str], policies: dict) -> list[tuple[str, list[str]]]:
    """Districts of each per-district policy: ``(key, districts)``; ``others`` (or, without it, the scenario's own
    settings under the key ``others``) takes every district not named."""
    canon = {d.lower(): d for d in districts}
    named: dict[str, str] = {}   # district -> the policy key naming it
    problems, groups = [], []
    for key in policies:
        if key == "others":
            continue
        d = canon.get(key.lower())
        if d is None:
            problems.append(f"`policies.{key}`: unknown district{district_hint(key, districts)}")
            continue
        if d in named:   # two keys for one district ('Norwich' and 'norwich'): it would be planned twice
            problems.append(f"`policies.{named[d]}` and `policies.{key}` both name the district {d}; give it one "
                            "policy")
            continue
        named[d] = key
        groups.append((key, [d]))
    if problems:
        raise ScenarioError("\n".join(problems))
    rest = sorted(set(districts) - set(named))
    if rest:
        groups.append(("others", rest))
    elif "others" in policies:   # a setting nothing reads is an error, not silently ignored
        raise ScenarioError("`policies.others`: every district has a policy of its own, so `others` applies to "
                            "none; remove it, or a district's own policy")
    return groups
