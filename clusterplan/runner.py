"""A scenario end to end: its geography, the solve, the explanations, and reuse of a plan already written.

:func:`run` is ``clusterplan.run``: ``plan, geography = cp.run(cp.load("scenarios/norfolk/status_quo.yaml"))``.
Writing and reading plan folders is :mod:`clusterplan.io`'s job; sweeps and batches are :mod:`clusterplan.batch`'s.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
    if not _wants_reasons(plan, scn, why):
        return plan
    return plan.but(why=reasons(geo, scn, plan, seconds=seconds))


def why_none(plan: Plan, scn: Scenario) -> str | None:
    """Why :func:`explain` gives ``plan`` no reasons even when asked (``why=True``), in words; None where it gives
    them. For the command line to say so, rather than leave ``--why`` silently unanswered."""
    if not info(scn.model).closes_centres:
        return f"this scenario's model ({scn.model}) closes no centre, so there is no amalgamation to explain"
    if scn.policies:
        return ("a scenario with per-district policies is not explained as a whole; run --why on one policy's "
                "scenario")
    if not (plan.centres["status"] == "amalgamated").any():
        return "no centre was amalgamated"
    return None


def _wants_reasons(plan: Plan, scn: Scenario, why: bool | None) -> bool:
    """:func:`explain` would give ``plan`` reasons: not refused (``why`` False), and something to explain."""
    return why is not False and why_none(plan, scn) is None


def reasons_as_asked(plan: Plan, scn: Scenario, why: bool | None, seconds: float | None) -> bool:
    """A written plan's reasons are what :func:`explain` with ``why`` and ``seconds`` would give it: none wanted; or
    one row per amalgamated centre, each cost proven exact or a range from a re-solve with the time limit asked for
    (``seconds``, else ``solver.time_limit``). A plan written with ``--why-seconds`` holds ranges, so a run asking
    for exact costs (or another limit) explains it again; a plan written before the reasons said whether a cost
    was proven (no ``lock_proven`` column) is explained again too."""
    if not _wants_reasons(plan, scn, why):
        return True
    why_tbl = plan.why
    merged = set(plan.centres.loc[plan.centres["status"] == "amalgamated", "centre"].astype(str))
    if why_tbl is None or why_tbl.empty or "lock_proven" not in why_tbl.columns:
        return False
    if set(why_tbl["centre"].astype(str)) != merged:
        return False
    # a cost, or a re-solve not settled within its limit (no cost, not proven); an impossible lock has neither
    costed = why_tbl[why_tbl["lock_cost"].notna() | why_tbl["lock_proven"].eq(False)]
    proven = costed["lock_proven"].eq(True)   # read back: bools, with no value where a lock was impossible
    limit = float(scn.solver.time_limit if seconds is None else seconds)
    same_limit = (pd.to_numeric(costed["lock_seconds"], errors="coerce").sub(limit).abs() < 1e-9
                  if "lock_seconds" in costed.columns else False)
    return bool((proven | same_limit).all())


def run_or_reuse(scn: Scenario, out: str | Path, *, why: bool | None = None,
                 why_seconds: float | None = None) -> tuple[Plan, Geography, bool]:
    """Reuse the plan written in ``out`` when its inputs (scenario and geography hashes) are unchanged and it
    still passes the checker; otherwise solve (explaining amalgamations: see :func:`explain`) and write it. A reused
    plan whose reasons are not what ``why`` and ``why_seconds`` ask for (:func:`reasons_as_asked`) is explained again
    and rewritten, its plan unchanged. Returns (plan, geography, reused)."""
    out = Path(out)
    geo = geography_for(scn)
    man = read_manifest(out)
    if man is not None and man.get("input_hashes", {}).get("plan_inputs") == input_hash(geo, scn):
        try:
            violations, _ = check_dir(out)
        except InputError:
            violations = ["unreadable"]
        if not violations:
            plan = read_plan(out, man)
            if reasons_as_asked(plan, scn, why, why_seconds):
                return plan, geo, True
            # the plan stands; its reasons were made otherwise (none, or ranges where exact costs are asked for)
            plan = explain(plan, geo, scn, why, seconds=why_seconds)
            write_plan(plan, geo, scn, out)
            return plan, geo, True
    plan, geo = run(scn)
    plan = explain(plan, geo, scn, why, seconds=why_seconds)
    write_plan(plan, geo, scn, out)
    return plan, geo, False


