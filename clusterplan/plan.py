"""Plan and SolveReport: plain data passed from solving to checking, comparing and reporting."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from .solvers import Outcome

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from .geography import Geography


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


@dataclass(repr=False)
class Plan:
    """A plan: which area goes to which centre, which centre is in which cluster, and the solve report.

    - ``assignment``: one row per area: ``area, centre, cluster`` (cluster empty where there are no clusters);
    - ``centres``: one row per modelled centre or site: ``centre, name, status (kept | amalgamated | new),
      merged_into, reach, cluster`` plus ``district``, ``home_area``, ``areas``, ``deprived_children``,
      ``mean_minutes`` and ``max_minutes`` (child-weighted);
    - ``clusters``: one row per cluster (``cluster, lead, centres, reach, deprived_children``) or empty;
    - ``lots``: with a tender stage, one row per lot (``lot, centre, reach, deprived_children, value, vcs_accessible``);
    - ``metrics``: the comparison metrics (:func:`clusterplan.metrics.plan_metrics`);
    - ``report``: the :class:`SolveReport`; ``notes``: plain-language remarks (e.g. centres that could not be modelled).
    """

    model: str
    scenario_name: str
    assignment: pd.DataFrame
    centres: pd.DataFrame
    report: SolveReport
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    input_hashes: dict[str, str] = field(default_factory=dict)
    lots: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics: dict = field(default_factory=dict)
    why: pd.DataFrame = field(default_factory=pd.DataFrame)  # reasons per amalgamated centre (clusterplan.reasons)
    baseline: Plan | None = field(default=None, repr=False)  # today's catchments, for what changes (reports)
    geography: Geography | None = field(default=None, repr=False, compare=False)  # the geography it was solved on

    @property
    def kept(self) -> list[str]:
        """Ids of the centres (or sites) serving areas in this plan."""
        return sorted(self.assignment["centre"].unique())

    # ------------------------------------------------------------------ reading it
    def _counts(self) -> str:
        c = self.centres
        if not len(c) or "status" not in c.columns:
            return f"{len(self.kept)} centres"
        serving = int(c["status"].isin(["kept", "new"]).sum())
        merged = int((c["status"] == "amalgamated").sum())
        text = f"{serving} centres" + (f", {merged} amalgamated" if merged else "")
        if len(self.clusters):
            text += f", {len(self.clusters)} clusters"
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
        from .metrics import label
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
        centre (id and name), cluster and travel minutes to the planned centre; ready for ``to_file``."""
        from .report import plan_minutes
        geo = self._geo(geography)
        a = geo.areas[["name", "district", "under5", "idaci", "geometry"]].copy()
        assign = self.assignment.set_index("area")
        a["centre"] = assign["centre"].reindex(a.index)
        names = self.centres.set_index(self.centres["centre"].astype(str))["name"] if len(self.centres) else {}
        a["centre_name"] = a["centre"].astype(str).map(names)
        a["cluster"] = assign["cluster"].reindex(a.index)
        a["minutes"] = plan_minutes(self, geo).round(2)
        a.index.name = "area"
        return a

    def plot(self, geography: Geography | None = None, **kwargs):
        """The plan's map (catchments, centres named, amalgamations as arrows, scale bar): a matplotlib figure.
        Keyword arguments go to :func:`clusterplan.maps.plan_map` (``ax``, ``title``, ``labels``)."""
        from .maps import plan_map
        return plan_map(self, self._geo(geography), **kwargs)

    def explore(self, geography: Geography | None = None, **kwargs):
        """An interactive web map (folium, as ``GeoDataFrame.explore``): each area coloured by its centre, with a
        tooltip of its name, children, centre and minutes."""
        gdf = self.to_geodataframe(geography)
        kwargs.setdefault("column", "centre_name")
        kwargs.setdefault("categorical", True)
        kwargs.setdefault("legend", False)
        kwargs.setdefault("tooltip", ["name", "district", "under5", "centre_name", "minutes"])
        return gdf.explore(**kwargs)
