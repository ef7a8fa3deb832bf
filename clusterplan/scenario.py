"""Scenario: what a commissioner asks, as plain validated data (the keys of the scenario YAML).

Unknown keys are errors that suggest the nearest valid key. Units: children (reach), minutes (travel), weighted
child-minutes (objective and ``fixed_cost``), seconds (``time_limit``).
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ScenarioError

MODELS = ("status_quo", "amalgamate", "sites", "capacity", "cluster")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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
    candidates: int = Field(15, ge=1, description="each area may join one of its this-many nearest centres "
                                                  "(widened automatically if that makes the model infeasible)")


class Deprivation(_Strict):
    """Weight of deprivation in the objective: a child counts 1 + weight x IDACI score (0-1)."""

    weight: float = Field(1.0, ge=0, description="dimensionless; 0 ignores deprivation")


class Centres(_Strict):
    """Which centres may stay designated, and how many."""

    keep: list[str] = Field(default_factory=list, description="centre ids or names locked open")
    close: list[str] = Field(default_factory=list, description="centre ids or names locked closed")
    count: int | None = Field(None, ge=1, description="exact number of kept centres")
    min_count: int | None = Field(None, ge=1)
    max_count: int | None = Field(None, ge=1)
    per_district: dict[str, int] = Field(default_factory=dict, description="exact kept centres per district name")
    within_district: bool = Field(False, description="catchments stay inside their centre's district")
    fixed_cost: float = Field(0.0, ge=0, description="weighted child-minutes charged per kept centre")
    management_cost: float | None = Field(None, ge=0, description="pounds per kept centre per year (reporting)")


class Clusters(_Strict):
    """Grouping kept centres into clusters run together."""

    count: int | None = Field(None, ge=1)
    min_count: int | None = Field(None, ge=1)
    max_count: int | None = Field(None, ge=1)
    min_reach: float | None = Field(None, ge=0, description="children under five per cluster")
    max_reach: float | None = Field(None, gt=0, description="children under five per cluster")
    require_phase1: bool = Field(True, description="every cluster holds at least one phase-1 centre")
    phase1_share: float = Field(0.4, ge=0, le=1, description="where the centres data gives no phase: a centre is "
                                "phase 1 when at least this share of its under-fives live in England's 30% most "
                                "deprived areas (IDACI), phase 2 at a quarter of it, else phase 3")
    within_district: bool = Field(False, description="clusters nest within districts")
    balance: float = Field(0.0, ge=0, description="penalty per deprived child a cluster is above or below the mean "
                                                  "(weighted child-minutes per child)")


class Solver(_Strict):
    """Which solver and how long it may run."""

    name: str = Field("highs", description="highs (default) or cbc, or any PuLP solver name")
    time_limit: float = Field(120, gt=0, description="seconds")
    gap: float = Field(0.0, ge=0, lt=1, description="relative optimality gap at which to stop (0 = prove optimum)")
    threads: int | None = Field(None, ge=1)
    seed: int = Field(0, ge=0, description="solver random seed (results are deterministic for a given seed)")
    certify: bool = Field(False, description="also solve the relaxation without the contiguity and candidate "
                                             "restrictions, and report the gap to its bound")


class Scenario(_Strict):
    """A whole scenario. Construct from a dict (the YAML's keys) with :meth:`from_dict`."""

    name: str = "scenario"
    model: Literal["status_quo", "amalgamate", "sites", "capacity", "cluster"] = "amalgamate"
    reach: Reach = Field(default_factory=Reach)
    travel: Travel = Field(default_factory=Travel)
    deprivation: Deprivation = Field(default_factory=Deprivation)
    centres: Centres = Field(default_factory=Centres)
    clusters: Clusters = Field(default_factory=Clusters)
    solver: Solver = Field(default_factory=Solver)
    sites: Literal["centres", "candidates", "area_centroids"] = Field(
        "candidates", description="for model 'sites': the schools register (candidates) or one site per area")

    @field_validator("model", mode="before")
    @classmethod
    def _model_name(cls, v: Any) -> Any:
        if isinstance(v, str) and v not in MODELS:
            close = difflib.get_close_matches(v, MODELS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"unknown model '{v}'; expected one of {', '.join(MODELS)}{hint}")
        return v

    @classmethod
    def from_dict(cls, data: dict[str, Any] | Scenario | None, *, source: str = "scenario") -> Scenario:
        """Validate a plain dict; every problem is reported with its key path and, for unknown keys, a suggestion."""
        if isinstance(data, Scenario):
            return data
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise ScenarioError(_explain(exc, source)) from None


def _valid_keys(path: tuple) -> list[str]:
    model: type[BaseModel] = Scenario
    for part in path:
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


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
            got = err.get("input")
            lines.append(f"`{key}`: {err['msg']}. Got {got!r} instead.")
    return f"{source}: {len(lines)} problem(s):\n" + "\n".join(f"  - {m}" for m in lines)
