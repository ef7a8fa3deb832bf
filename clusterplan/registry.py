"""The model registry: every model's name, the module that solves it, and the facts the rest of clusterplan reads.

One line per model. The scenario's ``model`` choices and JSON Schema enum, the conductor's dispatch
(:func:`clusterplan.solve.solve`), the checker's rule selection, the metrics' facility sets and the batch's model
choice all derive from this table; nobody else branches on a model's name.

This module imports no model code (a model's module is imported only when it is solved, by :func:`load`), so the
independent checker can read which rules apply without importing anything from :mod:`clusterplan.models`.

Adding a model: write ``clusterplan/models/<name>.py`` with ``solve(geography, scenario, context) -> Plan`` (see
:mod:`clusterplan.models.base`), add its line to ``_ENTRIES``, and tests and docs. (:func:`register` adds one
kept elsewhere while a process runs.)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Literal


@dataclass(frozen=True)
class ModelInfo:
    """What a model is, for everyone but the model itself.

    - ``facilities``: what it chooses among: ``centres`` (today's located centres), ``sites`` (the scenario's
      ``geography.sites``) or ``area_centroids`` (one candidate site per area);
    - ``every_centre_serves``: every one of today's centres keeps a catchment (no centre closes);
    - ``reach_floor``: each serving centre holds ``reach.min`` .. ``reach.max`` children;
    - ``locks``: ``centres.keep`` / ``centres.close`` apply; ``counts``: ``centres.count`` and friends,
      ``centres.per_district`` and ``centres.within_district`` apply;
    - ``travel_limit``: ``travel.max_minutes`` applies; ``one_per_area``: at most one new centre per area;
    - ``ceiling``: ``reach.max`` applies (a ceiling on each catchment's reach);
    - ``objective``: how its reported objective is recomputed: ``child_minutes`` (weighted child-minutes),
      ``child_minutes_fixed`` (plus ``centres.fixed_cost`` per centre) or None (its objective is not that);
    - ``clusters``: the plan groups its centres into clusters (the cluster rules apply);
    - ``first_stage``: it may start a ``stages`` list; ``restrictable``: :func:`clusterplan.solve.solve`'s
      ``restrict`` applies (the catchment model's extra restrictions);
    - ``closes_centres``: it decides which of today's centres close (what-if explanations and sensitivity apply);
    - ``headline``: how a report opens on its plan: ``today`` (today's network, centres below the floor),
      ``keeps`` (centres kept and amalgamated), ``new_network`` (a network placed on sites) or ``most_centres``
      (the most centres of the floor the areas can hold) or ``hubs`` (family hubs and their spokes);
    - ``spokes``: the plan has spokes and service points (the ``hubs`` and ``spokes`` sections, ``budget``, and the
      hub-and-spoke rules apply; the hub catchments' floor is ``hubs.min_reach``).
    """

    name: str
    module: str
    summary: str
    facilities: Literal["centres", "sites", "area_centroids"] = "centres"
    every_centre_serves: bool = False
    reach_floor: bool = True
    locks: bool = False
    counts: bool = False
    travel_limit: bool = True
    ceiling: bool = True
    one_per_area: bool = False
    objective: Literal["child_minutes", "child_minutes_fixed"] | None = "child_minutes_fixed"
    clusters: bool = False
    first_stage: bool = False
    restrictable: bool = False
    closes_centres: bool = False
    headline: Literal["today", "keeps", "new_network", "most_centres", "hubs"] = "keeps"
    spokes: bool = False

    @property
    def uses_todays_centres(self) -> bool:
        """It plans today's centres (so their names in ``centres.keep`` / ``close`` are checked before a solve,
        and every located centre has a row in its centres table)."""
        return self.facilities == "centres"


_ENTRIES = (
    ModelInfo("status_quo", "status_quo", "today's centres and their catchments (no floor)",
              every_centre_serves=True, reach_floor=False, travel_limit=False, ceiling=False,
              objective="child_minutes", first_stage=True, headline="today"),
    ModelInfo("amalgamate", "amalgamate", "which of today's centres stay, and their catchments",
              locks=True, counts=True, first_stage=True, restrictable=True, closes_centres=True),
    ModelInfo("sites", "sites", "where a new network of centres should stand, among candidate sites",
              facilities="sites", counts=True, one_per_area=True, first_stage=True, restrictable=True,
              headline="new_network"),
    ModelInfo("capacity", "capacity", "how many centres of the floor the geography can hold at most",
              facilities="area_centroids", travel_limit=False, ceiling=False, one_per_area=True, objective=None,
              headline="most_centres"),
    ModelInfo("cluster", "cluster", "today's centres grouped into clusters along the corridors",
              every_centre_serves=True, reach_floor=False, travel_limit=False, ceiling=False, objective=None,
              clusters=True),
    ModelInfo("hubs", "hubs", "family hubs: which centres become hubs, which buildings stay open as their spokes",
              travel_limit=False, objective=None, restrictable=True, headline="hubs", spokes=True),
)

#: Every model by name, in the order the docs list them.
MODELS: dict[str, ModelInfo] = {m.name: m for m in _ENTRIES}

#: Stages that follow a first-stage model in ``stages``: name -> (module, function, what it adds).
STAGES: dict[str, tuple[str, str, str]] = {
    "cluster": ("cluster", "add_clusters", "group the kept centres into clusters"),
    "tender": ("tender", "add_lots", "each kept centre a lot, valued by the funding formula"),
}

#: How a plan whose centres are today's but which no single model made (a per-district ``policies`` plan) is read.
_TODAYS = ModelInfo("policies", "", "per-district policies", objective=None)


def info(name: str) -> ModelInfo:
    """The registry's facts for a model name (a ``policies`` plan reads as a plan of today's centres)."""
    return MODELS.get(name, _TODAYS)


def names() -> tuple[str, ...]:
    """Every model name a scenario may ask for."""
    return tuple(MODELS)


def first_stages() -> tuple[str, ...]:
    """The models a ``stages`` list may start with."""
    return tuple(m.name for m in _ENTRIES if m.first_stage)


def register(model: ModelInfo) -> None:
    """Add a model (or replace one of the same name) while this process runs: for a model kept outside
    clusterplan, whose ``module`` is then a full dotted path (``mypackage.mymodel``). A shipped model is a line
    of :data:`_ENTRIES` instead."""
    MODELS[model.name] = model


def load(name: str) -> ModuleType:
    """The module that solves model ``name`` (imported now, not before)."""
    module = MODELS[name].module
    return importlib.import_module(module if "." in module else f"clusterplan.models.{module}")


def load_stage(name: str):
    """The function that adds stage ``name`` to a plan: ``(plan, geography, scenario, context) -> Plan``."""
    module, func, _ = STAGES[name]
    return getattr(importlib.import_module(f"clusterplan.models.{module}"), func)


def facilities_of(model: str, sites: str = "candidates", hubs: str = "centres") -> str:
    """The facility set (:func:`clusterplan.measures.facilities`) a model chooses among; ``sites`` is the scenario's
    ``geography.sites``, ``hubs`` its ``hubs.candidates`` (a model with spokes places its hubs there)."""
    which = info(model).facilities
    if info(model).spokes and hubs == "sites":
        which = "sites"
    if which == "sites":
        return sites if sites in ("centres", "area_centroids") else "candidates"
    return which
