"""Scenario: what a commissioner asks, as plain validated data (the keys of the scenario YAML).

Unknown keys are errors that suggest the nearest valid key. Units: children (reach), minutes (travel), weighted
child-minutes (objective and ``fixed_cost``), seconds (``time_limit``).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ScenarioError

MODELS = ("status_quo", "amalgamate", "sites", "capacity", "cluster")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


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


class GeographySpec(_Strict):
    """Which geography a scenario runs on: the built-in Norfolk data, an English authority from the England tables,
    or a commissioner's own files."""

    builtin: Literal["norfolk", "england"] | None = Field(
        "norfolk", description="built-in data set: norfolk (shipped), england (any upper-tier authority from the "
        "England tables; needs `authority` and the tables' folder); null to use files")
    year: Literal[2017, 2019, 2020] = Field(2020, description="mid-year under-five estimates (built-in Norfolk; the "
                                                              "England tables hold 2020)")
    authority: str | None = Field(None, description="builtin england: an upper-tier authority's code or name, e.g. "
                                                    "E10000020 or Norfolk")
    data: str | None = Field(None, description="builtin england: the England tables' folder (default: the "
                                               "CLUSTERPLAN_ENGLAND_DATA environment variable)")
    sites: str = Field("candidates", description="for model 'sites': candidates (the schools register), "
                                                 "area_centroids (one site per area), or a CSV path")
    areas: str | None = Field(None, description="areas file (CSV or any format geopandas reads)")
    boundaries: str | None = Field(None, description="boundary polygons file")
    centres: str | None = Field(None, description="centres file")
    area_columns: dict[str, str] = Field(default_factory=dict, description="our name -> your column")
    boundary_code: str = Field("code", description="area-code column of the boundaries file")
    centre_columns: dict[str, str] = Field(default_factory=dict)
    site_columns: dict[str, str] = Field(default_factory=dict)
    links: str | None = Field(None, description="CSV of extra corridor links (columns area_a, area_b), e.g. a bus "
                                                "route between areas that do not touch")
    barriers: str | None = Field(None, description="line (or polygon) file of barriers, e.g. a river with no "
                                                   "crossing: corridor links that cross it are removed")

    @model_validator(mode="after")
    def _files(self) -> GeographySpec:
        if self.builtin is None and not self.areas:
            raise ValueError("geography: give builtin: norfolk, or an areas file (and boundaries)")
        if self.builtin == "england":
            if not self.authority:
                raise ValueError("geography: builtin england needs `authority` (a code such as E10000020 or a name "
                                 "such as Norfolk)")
            if self.year != 2020:
                raise ValueError(f"geography.year: the England tables hold mid-2020 under-fives only. Got "
                                 f"{self.year} instead.")
            if self.sites not in ("area_centroids", "candidates"):
                raise ValueError("geography.sites: no candidate sites are known nationally; England geographies "
                                 f"plan over area_centroids. Got {self.sites!r} instead.")
        elif self.authority or self.data:
            raise ValueError("geography.authority / geography.data belong to builtin: england")
        return self


class Tender(_Strict):
    """The tender stage: each kept centre is a lot, valued from the budget by the funding formula."""

    budget: float | None = Field(None, ge=0, description="pounds per year shared among the lots")
    lot_value_cap: float | None = Field(None, ge=0, description="pounds per year: lots at or under this value are "
                                                                "within reach of a small voluntary provider")
    deprivation_uplift: float = Field(1.0, ge=0, description="a deprived child (IDACI top 30% in England) counts "
                                                             "1 + this in the funding formula")


class Scenario(_Strict):
    """A whole scenario. Construct from a dict (the YAML's keys) with :meth:`from_dict`, or from a file with
    :func:`load`."""

    name: str = "scenario"
    extends: str | None = Field(None, description="another scenario file this one inherits from and overrides")
    geography: GeographySpec = Field(default_factory=GeographySpec)
    model: Literal["status_quo", "amalgamate", "sites", "capacity", "cluster"] = "amalgamate"
    reach: Reach = Field(default_factory=Reach)
    travel: Travel = Field(default_factory=Travel)
    deprivation: Deprivation = Field(default_factory=Deprivation)
    centres: Centres = Field(default_factory=Centres)
    clusters: Clusters = Field(default_factory=Clusters)
    stages: list[Literal["status_quo", "amalgamate", "sites", "cluster", "tender"]] = Field(
        default_factory=list, description="multi-stage runs, e.g. [amalgamate, cluster] or [amalgamate, tender]")
    tender: Tender = Field(default_factory=Tender)
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

    def for_policy(self, key: str) -> Scenario:
        """The scenario of one policy group: this one, with the group's overrides, and no policies."""
        base = self.model_dump(mode="json", exclude={"policies"})
        if "stages" in self.policies[key] or "model" in self.policies[key]:
            base.pop("stages", None)
            base.pop("model", None)
        data = _merge(base, self.policies[key])
        data["name"] = f"{self.name} - {key}"
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
        if first not in ("status_quo", "amalgamate", "sites"):
            raise ValueError(f"stages: the first stage must be status_quo, amalgamate or sites. Got {first!r}")
        if any(s not in ("cluster", "tender") for s in rest) or len(set(rest)) != len(rest):
            raise ValueError(f"stages: after the first, only cluster and tender, once each. Got {rest}")
        if data.get("model") not in (None, first):
            raise ValueError(f"stages start with {first!r} but model is {data['model']!r}; drop model or match it")
        return {**data, "model": first}

    @property
    def sites(self) -> str:
        """The candidate-site choice of the ``sites`` model (``geography.sites``)."""
        return self.geography.sites

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
            msg = str(err["msg"]).removeprefix("Value error, ")
            where = f"`{key}`: " if key else ""
            shown = "Got " in msg or not key or repr(err.get("input")) in msg
            got = "" if shown else f" Got {err.get('input')!r} instead."
            end = "" if msg.endswith(("?", ".")) else "."
            lines.append(f"{where}{msg}{end}{got}")
    return f"{source}: {len(lines)} problem(s):\n" + "\n".join(f"  - {m}" for m in lines)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


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
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); save "
                            "the file as UTF-8") from None
    if not text.strip():
        raise ScenarioError(f"{path}: the file is empty; expected a scenario with at least `model:`")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
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
        for key in ("areas", "boundaries", "centres", "links", "barriers", "data"):
            if isinstance(geo.get(key), str):
                geo[key] = str((path.parent / geo[key]).resolve())
        if isinstance(geo.get("sites"), str) and geo["sites"].lower().endswith(".csv"):
            geo["sites"] = str((path.parent / geo["sites"]).resolve())
    return data


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
