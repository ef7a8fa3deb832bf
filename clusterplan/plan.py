"""Plan and SolveReport: plain data passed from solving to checking, comparing and reporting.

A model turns its solution into a plan with :meth:`Plan.from_assignment` (the one place a plan's tables are
assembled); a plan is frozen once built: later steps (stages, metrics, explanations) make a new one with
:meth:`Plan.but`.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import count_of
from .geography import sha256
from .measures import assigned_minutes, deprived_under5
from .metrics import label, travel_minutes
from .solvers import Outcome, Status

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from .geography import Geography
    from .scenario import Scenario

__all__ = ["Plan", "SolveReport", "Status", "assignment_frame", "centre_table", "input_hash"]


@dataclass(frozen=True)
class SolveReport(Outcome):
    """What the solver proved: the solver's :class:`~clusterplan.solvers.Outcome` plus the run's settings.

    ``status`` is ``optimal`` only when the solver proved it (within ``gap_limit``).

    ``objective`` and ``bound`` are in the model's units (weighted child-minutes, or number of centres for
    ``capacity``); ``gap`` is the relative gap |objective - bound| / |objective|. ``scope`` states the feasible set
    the optimum and bound refer to (e.g. the contiguity the model guarantees). ``relaxed_bound`` (optional) is a bound
    valid for the problem as documented, without the model's restrictions.
    """

    time_limit: float
    gap_limit: float
    threads: int | None
    seed: int
    scope: str
    input_hash: str = ""
    candidates: int | None = None
    relaxed_bound: float | None = None
    relaxed_gap: float | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


def input_hash(geo: Geography, scn: Scenario, *, like: dict | None = None, keys=None) -> str:
    """SHA-256 over the geography's fingerprint and the scenario (everything that determines the plan).

    ``like``: a resolved scenario stored by an earlier version; keys it does not have (added to the scenario schema
    since, so at their defaults in a scenario read back from it) are left out, so its hash can be reproduced.
    ``keys``: the geography fingerprint's keys that version hashed (the manifest's ``input_hashes``); inputs added
    since (e.g. bus service) are left out the same way."""
    fp = geo.fingerprint()
    if keys is not None:
        fp = {k: v for k, v in fp.items() if k in set(keys)}
    data = {"geography": fp, "scenario": scn.dump(like=like)}
    files = scn.spoke_files()
    if files:  # a commissioner's own spoke buildings: their contents, not just their names
        data["spoke_files"] = {f: sha256(f) if Path(f).is_file() else "" for f in files}
    payload = json.dumps(data, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def centre_table(geo: Geography, assign: pd.Series, fac: pd.DataFrame, minutes: pd.DataFrame, *,
                 status: dict[str, str], merged_into: dict[str, str] | None = None,
                 cluster: dict[str, str] | None = None) -> pd.DataFrame:
    """Per-centre table of the centres in ``status`` (id -> kept | amalgamated | new): reach (children), areas,
    deprived children, child-weighted mean and max minutes to the centre, and what it merged into."""
    a = geo.areas
    df = pd.DataFrame({"area": assign.index, "centre": assign.to_numpy()})
    df["under5"] = a.loc[df["area"], "under5"].to_numpy()
    df["deprived"] = deprived_under5(a).loc[df["area"]].to_numpy()
    df["minutes"] = assigned_minutes(minutes, df["area"], df["centre"])
    df["child_minutes"] = df["minutes"] * df["under5"]
    g = df.groupby("centre").agg(reach=("under5", "sum"), areas=("area", "size"), deprived_children=("deprived", "sum"),
                                 child_minutes=("child_minutes", "sum"), max_minutes=("minutes", "max"))
    rows = []
    for j in sorted(status):
        r = g.loc[j] if j in g.index else None
        rows.append({
            "centre": j, "name": fac.at[j, "name"], "status": status[j],
            "merged_into": (merged_into or {}).get(j, ""), "reach": int(r["reach"]) if r is not None else 0,
            "cluster": (cluster or {}).get(j, ""), "district": fac.at[j, "district"],
            "home_area": fac.at[j, "home_area"], "areas": int(r["areas"]) if r is not None else 0,
            "deprived_children": int(r["deprived_children"]) if r is not None else 0,
            "mean_minutes": round(float(r["child_minutes"] / r["reach"]), 2) if r is not None and r["reach"] else None,
            "max_minutes": round(float(r["max_minutes"]), 2) if r is not None else None,
        })
    return pd.DataFrame(rows)


def assignment_frame(assign: pd.Series, cluster: dict[str, str] | None = None) -> pd.DataFrame:
    """A plan's assignment table from area -> centre (and centre -> cluster): ``area, centre, cluster``, by area."""
    df = pd.DataFrame({"area": assign.index, "centre": assign.to_numpy()})
    df["cluster"] = df["centre"].map(cluster or {}).astype(object).fillna("")
    return df.sort_values("area").reset_index(drop=True)


@dataclass(frozen=True, repr=False)
class Plan:
    """A plan: which area goes to which centre, which centre is in which cluster, and the solve report.

    - ``assignment``: one row per area: ``area, centre, cluster`` (cluster empty where there are no clusters);
    - ``centres``: one row per modelled centre or site: ``centre, name, status (kept | amalgamated | new),
      merged_into, reach, cluster`` plus ``district``, ``home_area``, ``areas``, ``deprived_children``,
      ``mean_minutes`` and ``max_minutes`` (child-weighted);
    - ``clusters``: one row per cluster (``cluster, lead, centres, reach, deprived_children``) or empty;
    - ``lots``: with a tender stage, one row per lot (``lot, centre, reach, deprived_children, value, vcs_accessible``);
    - ``bundles``: with ``tender.bundle_max_lots``, one row per market bundle (``bundle, size, lots, centres, names,
      value``: :mod:`clusterplan.bundles`);
    - ``spokes``: with model ``hubs``, one row per open spoke (``spoke, name, source, hub, home_area, x, y, centre,
      attach_minutes, areas, children``); the assignment then also has ``service_point`` (the hub or spoke each
      area uses) and ``service_minutes``, and the centres table a ``role`` (hub, spoke, closed);
    - ``metrics``: the comparison metrics (:func:`clusterplan.metrics.plan_metrics`);
    - ``report``: the :class:`SolveReport`; ``notes``: plain-language remarks (e.g. centres that could not be modelled);
    - ``scenario``: the resolved scenario it answers (None for a plan read from an older folder).

    Frozen: a step that adds to a plan returns a new one (:meth:`but`).
    """

    model: str
    scenario_name: str
    assignment: pd.DataFrame
    centres: pd.DataFrame
    report: SolveReport
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    input_hashes: dict[str, str] = field(default_factory=dict)
    lots: pd.DataFrame = field(default_factory=pd.DataFrame)
    spokes: pd.DataFrame = field(default_factory=pd.DataFrame)  # family hubs: one row per open spoke
    bundles: pd.DataFrame = field(default_factory=pd.DataFrame)  # tender: market bundles of adjacent lots
    metrics: dict = field(default_factory=dict)
    why: pd.DataFrame = field(default_factory=pd.DataFrame)  # reasons per amalgamated centre (clusterplan.reasons)
    baseline: Plan | None = field(default=None, repr=False)  # today's catchments, for what changes (reports)
    geography: Geography | None = field(default=None, repr=False, compare=False)  # the geography it was solved on
    scenario: Scenario | None = field(default=None, repr=False, compare=False)  # the resolved scenario it answers

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes))

    @classmethod
    def from_assignment(cls, geo: Geography, scn: Scenario, assign: pd.Series, facilities: pd.DataFrame,
                        minutes: pd.DataFrame, *, status: dict[str, str], report: SolveReport,
                        model: str | None = None, merged_into: dict[str, str] | None = None,
                        cluster: dict[str, str] | None = None, notes: list[str] | tuple[str, ...] = (),
                        **tables: Any) -> Plan:
        """The plan of a solved model: ``assign`` is area -> facility id, ``facilities`` (id -> name, home_area,
        district) and ``minutes`` (areas x facilities) those it chose among, ``status`` every listed facility's
        status (kept | amalgamated | new). ``tables``: ``clusters`` / ``lots`` where the model makes them."""
        return cls(model=model or scn.model, scenario_name=scn.name, assignment=assignment_frame(assign, cluster),
                   centres=centre_table(geo, assign, facilities, minutes, status=status, merged_into=merged_into,
                                        cluster=cluster),
                   report=report, notes=tuple(notes), scenario=scn, **tables)

    def but(self, **changes: Any) -> Plan:
        """This plan with ``changes`` (field -> new value): a new plan, this one unchanged."""
        return replace(self, **changes)

    @property
    def kept(self) -> list[str]:
        """Ids of the centres (or sites) serving areas in this plan."""
        return sorted(self.assignment["centre"].unique())

    # ------------------------------------------------------------------ reading it
    def _counts(self) -> str:
        c = self.centres
        if not len(c) or "status" not in c.columns:
            return count_of(len(self.kept), "centre", "centres")
        if "role" in c.columns and c["role"].notna().any():   # family hubs: hubs, spokes and centres closed
            roles = c["role"].value_counts()
            spokes = len(self.spokes) if self.spokes is not None else int(roles.get("spoke", 0))
            return ", ".join([count_of(int(roles.get("hub", 0)), "hub", "hubs"), count_of(spokes, "spoke", "spokes")]
                             + ([f"{count_of(int(roles['closed']), 'centre', 'centres')} closed"]
                                if roles.get("closed", 0) else []))
        serving = int(c["status"].isin(["kept", "new"]).sum())
        merged = int((c["status"] == "amalgamated").sum())
        text = count_of(serving, "centre", "centres") + (f", {merged} amalgamated" if merged else "")
        if len(self.clusters):
            text += f", {count_of(len(self.clusters), 'cluster', 'clusters')}"
        return text

    def _proof(self) -> str:
        r = self.report
        gap = "" if r.gap is None else f", gap {r.gap:.2%}"
        return f"{r.status}{gap}"

    def __repr__(self) -> str:
        return (f"<Plan {self.scenario_name!r}: {self.model}, {len(self.assignment)} areas, {self._counts()}; "
                f"{self._proof()}>")

    def _repr_html_(self) -> str:
        r = self.report
        rows = [("model", self.model), ("areas", f"{len(self.assignment):,}"), ("centres", self._counts()),
                ("status", self._proof()), ("solver", f"{r.solver_version}, {r.seconds:,.1f} s")]
        rows += [(label(k), v) for k, v in self.metrics.items() if k in ("lowest_reach", "mean_minutes",
                                                                          "deprived_within_15_min_pct")]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td>"
                       "</tr>" for k, v in rows)
        return f"<b>Plan: {html.escape(self.scenario_name)}</b><table>{body}</table>"

    def _geo(self, geography: Geography | None) -> Geography:
        geo = geography if geography is not None else self.geography
        if geo is None:
            raise ValueError("this plan does not carry its geography (it was read from a folder): pass it, e.g. "
                             "plan.plot(geography)")
        return geo

    def to_geodataframe(self, geography: Geography | None = None) -> gpd.GeoDataFrame:
        """One row per area with its boundary, name, district, children (under5), deprivation (idaci), planned
        centre (id and name), cluster and travel minutes to where its families go (the planned centre, or a family
        hubs plan's service point); ready for ``to_file``."""
        geo = self._geo(geography)
        a = geo.areas[["name", "district", "under5", "idaci", "geometry"]].copy()
        assign = self.assignment.set_index("area")
        a["centre"] = assign["centre"].reindex(a.index)
        names = self.centres.set_index(self.centres["centre"].astype(str))["name"] if len(self.centres) else {}
        a["centre_name"] = a["centre"].astype(str).map(names)
        a["cluster"] = assign["cluster"].reindex(a.index)
        a["minutes"] = travel_minutes(self.assignment, geo).round(2)
        a.index.name = "area"
        return a

    def plot(self, geography: Geography | None = None, **kwargs):
        """The plan's map (catchments, centres named, amalgamations as arrows, scale bar): a matplotlib figure.
        Keyword arguments go to :func:`clusterplan.maps.plan_map` (``ax``, ``title``, ``labels``)."""
        from .maps import plan_map
        return plan_map(self, self._geo(geography), **kwargs)

    def explore(self, geography: Geography | None = None, **kwargs):
        """An interactive web map (folium, as ``GeoDataFrame.explore``): each area coloured by its centre, with a
        tooltip of its name, children, centre and minutes. It needs a network connection to show: folium loads
        Leaflet and the background tiles from the web (offline, :meth:`plot` and ``report.html`` need none)."""
        gdf = self.to_geodataframe(geography)
        kwargs.setdefault("column", "centre_name")
        kwargs.setdefault("categorical", True)
        kwargs.setdefault("legend", False)
        kwargs.setdefault("tooltip", ["name", "district", "under5", "centre_name", "minutes"])
        return gdf.explore(**kwargs)
