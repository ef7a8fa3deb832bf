"""What every model shares: the protocol a model module follows and the context a solve hands it.

A model is a module under :mod:`clusterplan.models` named in :data:`clusterplan.registry.MODELS`, exposing

    solve(geography, scenario, context) -> Plan

that builds its model from the geography and scenario, solves it within ``context.deadline`` (the whole solve's
wall-clock budget, ``solver.time_limit`` seconds) and returns the plan (:meth:`clusterplan.plan.Plan.from_assignment`).
It never checks its own plan: the conductor (:func:`clusterplan.solve.solve`) hands every plan to the independent
checker. A stage (``cluster``, ``tender``) exposes ``(plan, geography, scenario, context) -> Plan`` the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..plan import SolveReport
from ..solvers import Deadline, Outcome, threads_for

if TYPE_CHECKING:  # pragma: no cover
    from ..geography import Geography
    from ..plan import Plan
    from ..scenario import Scenario


@dataclass(frozen=True)
class Context:
    """What a model gets besides the geography and scenario: the hash of its inputs (for the report), the solve's
    deadline, and restrictions beyond the scenario (``restrict`` of :func:`clusterplan.solve.solve`)."""

    input_hash: str
    deadline: Deadline
    restrict: dict[str, Any] = field(default_factory=dict)


class Model(Protocol):
    """The protocol of a model module (a module is its own instance: ``registry.load(name).solve(...)``)."""

    def solve(self, geography: Geography, scenario: Scenario, context: Context) -> Plan: ...  # pragma: no cover


def report(outcome: Outcome, scn: Scenario, scope: str, ctx: Context, k: int | None,
           notes: list[str] | tuple[str, ...]) -> SolveReport:
    """The solve report of ``outcome`` under the scenario's solver settings: ``scope`` says in words which feasible
    set the objective and bound refer to; ``k`` is the candidate-list length (or None)."""
    s = scn.solver
    return SolveReport(**{**asdict(outcome), "seconds": round(outcome.seconds, 3)}, time_limit=s.time_limit,
                       gap_limit=s.gap, threads=threads_for(s.threads), seed=s.seed, scope=scope,
                       input_hash=ctx.input_hash, candidates=k, notes=tuple(notes))
