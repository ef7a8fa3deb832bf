"""Plan and SolveReport: plain data passed from solving to checking, comparing and reporting."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from .solvers import Outcome


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


@dataclass
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

    @property
    def kept(self) -> list[str]:
        """Ids of the centres (or sites) serving areas in this plan."""
        return sorted(self.assignment["centre"].unique())
