"""Solving a catchment model (:mod:`.assignment`): the loop shared by status quo, amalgamate and sites.

Solve with each area restricted to its ``k`` nearest facilities and precedence-shaped catchments; while that is
infeasible widen the lists, then re-solve with exact flow contiguity before declaring the scenario infeasible (and
explaining why, :mod:`.diagnose`). Every MIP gets what is left of the solve's deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from ..errors import InfeasibleError, SolverError
from ..geography import Geography
from ..plan import SolveReport
from ..scenario import Scenario
from ..solvers import Deadline, Outcome, solve_with
from . import assignment, contiguity, diagnose
from .base import Context


@dataclass
class Solved:
    """A solved catchment model: area -> facility, the solver outcome, and the restrictions it ran under."""

    assign: pd.Series
    outcome: Outcome
    k: int
    contiguity: str
    notes: list[str]

    def scope(self, noun: str) -> str:
        """The feasible set the optimum and bound refer to, in words."""
        return scope(self.contiguity, self.k, noun)


def scope(contiguity_kind: str, k: int, noun: str) -> str:
    """In words, the feasible set of a catchment model with ``contiguity_kind`` contiguity (precedence | flow) and
    ``k`` candidate ``noun`` (centres, sites) per area."""
    cont = contiguity.SCOPE if contiguity_kind == "precedence" else "connected catchments (exact flow model)"
    return f"{cont}; each area among its {k} nearest {noun} or the warm start's choice"


#: With ``first_k``, the share of the time left that the first, smaller solve may take at most.
FIRST_SHARE = 0.25


def run(geo: Geography, spec: assignment.Spec, scn: Scenario, ctx: Context, *, what: str,
        highs: dict | None = None, first_k: int | None = None) -> Solved:
    """Solve a catchment model, widening the candidate lists while the restricted model is infeasible, then (if
    still infeasible) re-solving with exact flow contiguity before declaring the scenario infeasible. ``highs``:
    HiGHS options for these solves (e.g. :data:`clusterplan.solvers.AMALGAMATION_HIGHS`).

    ``first_k``: with HiGHS, first solve the same model with each area among its ``first_k`` nearest facilities only,
    to its first node (the root: LP, cuts, heuristics; at most :data:`FIRST_SHARE` of the time left), and start the
    model itself from the plan that finds, where it finds one (else from the heuristic's start, as without it). Its
    plans are plans of the model itself (fewer candidates, and a candidate kept under precedence there is kept in
    the model), so this changes only where the solve starts: the model, its optimum and its proof are the same."""
    diagnose.presolve(geo, spec, what=what, solver=scn.solver)
    notes: list[str] = []
    k = spec.k
    n_fac = len(spec.facilities)
    s = scn.solver
    while True:
        cur = replace(spec, k=k)
        start = assignment.heuristic(geo.areas, geo.corridors, cur)
        first = first_plan(geo, cur, scn, FIRST_SHARE * ctx.deadline.left(), what, start, highs, first_k)
        built = assignment.build(geo.areas, geo.corridors, cur, name=what.replace(" ", "_"), extra=start)
        if first is not None or start is not None:
            assignment.set_start(built, first[0] if first is not None else start)
        out = solve_with(built.prob, s, ctx.deadline, warm=built.warm, highs=highs)
        if first is not None:   # the solver's time includes the first solve's
            out = replace(out, seconds=out.seconds + first[1])
        if out.status.is_ok:
            return Solved(assignment.extract(built), out, k, cur.contiguity, notes)
        if out.status == "infeasible" and k < n_fac:
            new_k = min(2 * k, n_fac)
            stop_if_spent(ctx.deadline, what, s.time_limit, f"each area's candidates were widened from {k} to {new_k}")
            notes.append(f"restricting each area to its {k} nearest centres made the model infeasible; "
                         f"widened to {new_k}")
            k = new_k
            continue
        if out.status == "infeasible" and cur.contiguity == "precedence":
            # Precedence admits only some connected catchments: before calling the scenario infeasible, ask the
            # exact flow formulation, which admits them all.
            stop_if_spent(ctx.deadline, what, s.time_limit, "the exact flow contiguity was tried (precedence admits "
                          "only some connected catchments)")
            notes.append("no plan with precedence-shaped catchments; re-solved with exact flow contiguity")
            spec = replace(spec, contiguity="flow")
            continue
        if out.status == "infeasible":
            raise InfeasibleError(f"{what}: no plan satisfies this scenario.",
                                  diagnose.elastic(geo, cur, s, diagnose.explanation_budget(s), what=what))
        had = (f"{s.time_limit:g} s" if out.seconds >= 0.9 * s.time_limit
               else f"the {out.seconds:.0f} s left of solver.time_limit ({s.time_limit:g} s)")
        raise SolverError(f"{what}: {out.solver} found no plan within {had} and did not prove the "
                          "scenario infeasible; raise solver.time_limit or relax the scenario")


def stop_if_spent(deadline: Deadline, what: str, limit: float, next_step: str) -> None:
    """Raise :class:`SolverError` where ``deadline`` is spent before ``next_step`` (a wider model after an infeasible
    one): a wider model takes longer to build than its solve, so it is not begun past the limit, and an infeasible
    restricted model proves nothing about the scenario."""
    if deadline.spent():
        raise SolverError(f"{what}: the model was infeasible as restricted, and solver.time_limit ({limit:g} s) ran "
                          f"out before {next_step}: the scenario is not proven infeasible; raise solver.time_limit "
                          "or relax the scenario")


def first_plan(geo: Geography, spec: assignment.Spec, scn: Scenario, seconds: float, what: str,
               start: dict[str, str] | None, highs: dict | None,
               first_k: int | None) -> tuple[dict[str, str], float] | None:
    """The plan (area -> facility) of a first, smaller solve of ``spec`` (each area among its ``first_k`` nearest
    facilities, to the root node, within ``seconds``; :func:`run`) and its seconds, or None where there is none (no
    ``first_k``, not fewer candidates than the model, another solver than HiGHS, or no plan found). Also the start
    of the time-limited what-if locks of reasons (:meth:`.amalgamate.WhatIf.lock`)."""
    n_open = len(spec.facilities.index.difference(list(spec.close)))
    if first_k is None or first_k >= min(spec.k, n_open) or spec.contiguity != "precedence" \
            or scn.solver.name.lower() != "highs":
        return None
    small = replace(spec, k=first_k)
    built = assignment.build(geo.areas, geo.corridors, small, name=what.replace(" ", "_") + "_first", extra=start)
    if start is not None:
        assignment.set_start(built, start)
    out = solve_with(built.prob, scn.solver, Deadline.start(seconds), warm=built.warm,
                     highs=highs, max_nodes=1)
    return (assignment.extract(built).to_dict(), out.seconds) if out.status.is_ok else None


def certify(geo: Geography, scn: Scenario, report: SolveReport, spec: assignment.Spec, ctx: Context) -> SolveReport:
    """With ``solver.certify``: bound the problem without contiguity and candidate restrictions."""
    if not scn.solver.certify or report.objective is None:
        return report
    relaxed = replace(spec, k=len(spec.facilities), contiguity="none")
    built = assignment.build(geo.areas, geo.corridors, relaxed, name="relaxation")
    out = solve_with(built.prob, scn.solver, ctx.deadline)
    if out.bound is None:
        return replace(report, notes=report.notes + ("certify: the relaxation found no bound in the time limit",))
    gap = (report.objective - out.bound) / max(abs(report.objective), 1e-9)
    return replace(report, relaxed_bound=out.bound, relaxed_gap=max(gap, 0.0))


def absorbed_by(before: pd.Series, after: pd.Series, under5: pd.Series) -> dict[str, str]:
    """For each centre of ``before`` not in ``after``: the kept centre taking most of its former children."""
    kept = set(after.unique())
    out = {}
    df = pd.DataFrame({"old": before, "new": after.reindex(before.index), "p": under5.reindex(before.index)})
    for old, grp in df.groupby("old"):
        if old in kept:
            continue
        by_new = grp.groupby("new")["p"].sum()
        out[old] = str(sorted(by_new.items(), key=lambda kv: (-kv[1], kv[0]))[0][0])
    return out


def unlocated_note(geo: Geography) -> list[str]:
    """A note naming the centres without a known location (they are in no plan), or none."""
    un = geo.centres[~geo.centres["located"]]
    if not len(un):
        return []
    return [f"{len(un)} centre(s) have no known location and are not in this plan: {', '.join(un['name'])}"]
