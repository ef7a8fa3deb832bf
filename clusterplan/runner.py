"""A scenario end to end: its geography, the solve, the explanations, and reuse of a plan already written.

:func:`run` is ``clusterplan.run``: ``plan, geography = cp.run(cp.load("scenarios/norfolk/status_quo.yaml"))``.
Writing and reading plan folders is :mod:`clusterplan.io`'s job; sweeps and batches are :mod:`clusterplan.batch`'s.
"""

from __future__ import annotations

from pathlib import Path

from .datasets import geography_for
from .errors import InputError
from .geography import Geography
from .io import check_dir, read_manifest, read_plan, write_plan
from .plan import Plan, input_hash
from .reasons import reasons
from .registry import info
from .scenario import Scenario, load
from .solve import solve


def run(scenario: Scenario | str | Path) -> tuple[Plan, Geography]:
    """Solve a scenario (a :class:`Scenario`, or the path of a scenario file) on the geography it names; returns the
    checked plan and the geography.

    A guard, not a hope: the plan covers exactly the geography's areas, and a geography given as files is built
    from those files (never from the built-in data)."""
    scn = scenario if isinstance(scenario, Scenario) else load(scenario)
    geo = geography_for(scn)
    plan = solve(geo, scn)
    guard_areas(plan, geo, scn)
    return plan, geo


def guard_areas(plan: Plan, geo: Geography, scn: Scenario) -> None:
    """Raise if the plan's areas are not exactly the geography's, or a files geography did not come from them."""
    spec = scn.geography
    if spec.areas and not any(k == f"areas:{Path(spec.areas).name}" for k in geo.sources):
        raise RuntimeError(f"internal error: the scenario names the areas file {spec.areas} but the geography "
                           f"{geo.name!r} was not built from it")
    planned = set(plan.assignment["area"].astype(str))
    if planned != set(geo.areas.index):
        raise RuntimeError(f"internal error: the plan covers {len(planned)} areas, the input has "
                           f"{len(geo.areas)}; refusing to write it")


def explain(plan: Plan, geo: Geography, scn: Scenario, why: bool | None = None, *,
            seconds: float | None = None) -> Plan:
    """``plan`` with the reason behind each amalgamation (:func:`clusterplan.reasons.reasons`), for a model that
    closes centres: always when ``why`` is True, never when False, and by default (None) whenever centres were
    amalgamated. Each what-if re-solve has its own ``seconds`` (default: ``solver.time_limit``)."""
    if why is False or not info(scn.model).closes_centres or scn.policies:
        return plan
    if not (plan.centres["status"] == "amalgamated").any():
        return plan
    return plan.but(why=reasons(geo, scn, plan, seconds=seconds))


def run_or_reuse(scn: Scenario, out: str | Path, *, why: bool | None = None,
                 why_seconds: float | None = None) -> tuple[Plan, Geography, bool]:
    """Reuse the plan written in ``out`` when its inputs (scenario and geography hashes) are unchanged and it
    still passes the checker; otherwise solve (explaining amalgamations: see :func:`explain`) and write it.
    Returns (plan, geography, reused)."""
    out = Path(out)
    geo = geography_for(scn)
    man = read_manifest(out)
    if man is not None and man.get("input_hashes", {}).get("plan_inputs") == input_hash(geo, scn):
        try:
            violations, _ = check_dir(out)
        except InputError:
            violations = ["unreadable"]
        if not violations:
            return read_plan(out, man), geo, True
    plan, geo = run(scn)
    plan = explain(plan, geo, scn, why, seconds=why_seconds)
    write_plan(plan, geo, scn, out)
    return plan, geo, False


