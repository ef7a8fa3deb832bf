"""``solve(geography, scenario) -> Plan``: the conductor, and the one entry point for notebooks, the CLI and scripts.

Look the scenario's model up in the registry (:mod:`clusterplan.registry`), hand it the geography, the scenario and
the solve's deadline (``solver.time_limit`` seconds of wall clock for the whole solve: every MIP, heuristic and stage
inside it gets what is left), add the scenario's stages, run the independent checker on the plan (a violation is a
bug and raises :class:`CheckError`) and attach the comparison metrics. The conductor knows no model by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import measures, progress, registry
from .check import check as check_plan
from .errors import InfeasibleError, InputError, ScenarioError
from .geography import Geography
from .metrics import management_costs, plan_metrics, scenario_floors
from .models import assignment, status_quo
from .models.base import Context
from .models.catchment import unlocated_note
from .plan import Plan, SolveReport, Status, input_hash
from .scenario import Scenario, centre_ids, district_names, locked_centres, policy_groups
from .solvers import Deadline
from .validation import changed_tables


def solve(geography: Geography, scenario: Scenario | dict[str, Any], *,
          restrict: dict[str, Any] | None = None, name: str | None = None, quiet: bool = False) -> Plan:
    """Solve a scenario on a geography and return a checked :class:`Plan`.

    ``scenario`` is a :class:`Scenario` or a dict with the scenario YAML's keys, e.g.
    ``{"model": "amalgamate", "reach": {"min": 600}}`` (a scenario file: :func:`clusterplan.run`); the plan is
    named by ``name``, else the scenario's ``name``. ``restrict`` adds model restrictions that have no scenario
    key (fields of :class:`clusterplan.models.assignment.Spec`: ``exclude_kept``, ``min_differ``,
    ``deprived_within``...); the alternatives and Pareto fronts use it. Only for amalgamate and sites. ``quiet``
    draws no progress line (one is drawn on a terminal while the solve runs; see :mod:`clusterplan.progress`).
    """
    if not isinstance(geography, Geography):
        raise TypeError(f"solve: geography must be a clusterplan Geography (clusterplan.datasets.norfolk(), "
                        f"Geography.from_files(...)), not {type(geography).__name__}")
    if isinstance(scenario, str | Path):
        raise ScenarioError(f"solve: {str(scenario)!r} is a file name; clusterplan.run(path) solves a scenario file on "
                            "the geography it names, clusterplan.load(path) reads it into a Scenario for solve")
    scn = Scenario.from_dict(scenario)
    if name is not None:
        if not isinstance(name, str):
            raise ScenarioError(f"solve: `name` must be text, the plan's name; got {type(name).__name__} {name!r}")
        scn = scn.model_copy(update={"name": name})
    if quiet:
        with progress.quiet():
            return _solve_scenario(geography, scn, restrict)
    with progress.step(f"solving {scn.name} ({scn.model})", limit=scn.solver.time_limit):
        return _solve_scenario(geography, scn, restrict)


def _solve_scenario(geo: Geography, scn: Scenario, restrict: dict[str, Any] | None,
                    deadline: Deadline | None = None) -> Plan:
    model = registry.load(scn.model)   # imported (and its compiled kernels loaded) before the solve's clock starts
    deadline = deadline or Deadline.start(scn.solver.time_limit)
    ihash = input_hash(geo, scn)
    info = registry.info(scn.model)
    if restrict and (not info.restrictable or scn.policies):
        restrictable = [m.name for m in registry.MODELS.values() if m.restrictable]
        raise ScenarioError(f"restrictions {sorted(restrict)} apply to the {' and '.join(restrictable)} models only")
    unknown = sorted(set(restrict or {}) - set(assignment.Spec.__dataclass_fields__))
    if unknown:
        raise ScenarioError(f"restrict: unknown model restriction(s) {unknown}; see clusterplan.models.assignment.Spec")
    changed = changed_tables(geo)
    if changed:
        raise InputError(f"geography {geo.name!r} (its tables, changed since it was built)", changed)
    if info.uses_todays_centres:  # names are checked before any solve
        locked_centres(scn, geo.centres)
        _some_centre_located(geo, scn)
    if scn.policies:
        return _solve_policies(geo, scn, ihash, deadline)
    ctx = Context(ihash, deadline, dict(restrict or {}))
    return finish(model.solve(geo, scn, ctx), geo, scn, ctx)


def _some_centre_located(geo: Geography, scn: Scenario) -> None:
    """A model of today's centres needs at least one of them located: where none is (a file whose coordinates are
    all empty), an :class:`InputError` naming the centres' file, not an infeasibility about every area."""
    c = geo.centres
    if len(c) and geo.located_centres.empty:
        source = scn.geography.centres or "the centres"
        raise InputError(str(source), [f"none of the {len(c)} centres has a location (x and y, lon and lat, or "
                                       f"home_area), so none can serve an area: {', '.join(c['name'].astype(str)[:10])}"
                                       + (" ..." if len(c) > 10 else "")])


def finish(plan: Plan, geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """What :func:`solve` does with a model's plan: note the restrictions (``ctx.restrict``), run the scenario's
    stages, check the plan independently (a violation raises :class:`CheckError`) and attach today's catchments and
    the metrics. Also for plans re-solved on a built model (:class:`clusterplan.models.amalgamate.WhatIf`)."""
    if ctx.restrict:
        plan = plan.but(notes=plan.notes + (f"restricted beyond the scenario: {_describe_restrict(ctx.restrict)}",))
    for stage in registry.STAGES:  # in the registry's order (clusters before lots), whatever order they are listed
        if stage in scn.stages:
            plan = registry.load_stage(stage)(plan, geo, scn, ctx)
    return _finish(plan.but(input_hashes=geo.fingerprint(), geography=geo, scenario=scn), geo, scn)


def resolver(geo: Geography, scn: Scenario, plan: Plan | None = None) -> Any | None:
    """The model of ``plan`` (with no plan: the model a first solve of ``scn`` builds) built once for re-solves under
    added restrictions (its model's ``what_if_open``, e.g. :class:`clusterplan.models.amalgamate.WhatIf`), or None
    where its model has none or cannot reuse it, or where ``solver.certify`` asks for the relaxation bound that only
    a full solve computes."""
    make = getattr(registry.load(scn.model), "what_if_open", None)
    return None if make is None or scn.solver.certify else make(geo, scn, plan)


def resolvers(geo: Geography, scn: Scenario, plan: Plan | None, workers: int) -> list[Any] | None:
    """``workers`` :func:`resolver` models of ``plan`` (each built on its own, one per thread re-solving side by
    side), or None where the model cannot be reused (the caller then solves in full)."""
    first = resolver(geo, scn, plan) if workers > 0 else None
    return None if first is None else [first] + [resolver(geo, scn, plan) for _ in range(workers - 1)]


def resolved(model: Any, geo: Geography, scn: Scenario, got: tuple, restrict: dict[str, Any], note: str) -> Plan:
    """The finished, checked plan (:func:`finished`) of a :func:`resolver` model's answer ``got`` under ``scn`` and
    ``restrict``."""
    return finished(model.plan_of(scn, *got, note), geo, scn, restrict)


def finished(plan: Plan, geo: Geography, scn: Scenario, restrict: dict[str, Any]) -> Plan:
    """:func:`finish` of a plan made outside :func:`solve` (a re-solve, a tie) under ``scn`` and ``restrict``, with
    the input hash its report already carries and a fresh ``solver.time_limit`` for the stages."""
    return finish(plan, geo, scn, Context(plan.report.input_hash, Deadline.start(scn.solver.time_limit),
                                          dict(restrict)))


def _finish(plan: Plan, geo: Geography, scn: Scenario) -> Plan:
    """Check the plan independently (a violation raises), then attach today's catchments and the metrics."""
    check_plan(plan, geo, scn, raise_on_violation=True)
    baseline, today = _baseline(plan, geo, scn)
    m = plan_metrics(plan, geo, weight=scn.deprivation.weight, floor=scenario_floors(scn, geo), status_quo=today,
                     management_cost=management_costs(scn, geo), sites=scn.sites,
                     bus_min_calls=scn.spokes.bus_min_calls, network_costs=scn.network_costs())
    if len(plan.lots):
        m["lots"] = int(len(plan.lots))
        vcs = plan.lots["vcs_accessible"]
        m["vcs_accessible_lots"] = None if vcs.isna().all() else int(vcs.fillna(False).astype(bool).sum())
    if len(plan.bundles.columns):
        m["market_bundles"] = int(len(plan.bundles))
    return plan.but(baseline=baseline, metrics=m)


def _baseline(plan: Plan, geo: Geography, scn: Scenario) -> tuple[Plan | None, pd.DataFrame | None]:
    """Today's catchments (the status quo under this scenario's weights) as a plan and as an assignment table, for
    the change counts; none where no centre is located or today's centres cannot all be served (e.g. an island
    without a centre). The reference solve gets its own ``solver.time_limit``: it is part of the comparison, not
    of the plan."""
    if not len(geo.located_centres):
        return None, None
    ref = status_quo.reference_scenario(scn)
    try:
        sq = status_quo.today(geo, scn)
    except InfeasibleError:
        return None, None
    fac = measures.facilities(geo, "centres")
    base = Plan.from_assignment(geo, ref.model_copy(update={"name": "status quo"}), sq.assign, fac,
                                geo.centre_minutes[fac.index], status={j: "kept" for j in fac.index},
                                report=plan.report)
    return base, pd.DataFrame({"area": sq.assign.index, "centre": sq.assign.to_numpy()})


def _describe_restrict(restrict: dict[str, Any]) -> str:
    parts = []
    if restrict.get("exclude_kept"):
        parts.append(f"differs from {len(restrict['exclude_kept'])} earlier plan(s) in at least "
                     f"{restrict.get('min_differ', 1)} kept centre(s)")
    if restrict.get("exclude_assign"):
        parts.append(f"differs from {len(restrict['exclude_assign'])} earlier plan(s) in at least "
                     f"{restrict.get('min_areas_differ', 1)} area(s)")
    if restrict.get("deprived_within"):
        t, share = restrict["deprived_within"]
        parts.append(f"at least {share:.2%} of deprived under-fives within {t:g} minutes")
    others = sorted(set(restrict) - {"exclude_kept", "min_differ", "exclude_assign", "min_areas_differ",
                                     "deprived_within"})
    return "; ".join(parts + [f"{k} = {restrict[k]!r}" for k in others])


def _solve_policies(geo: Geography, scn: Scenario, ihash: str, deadline: Deadline) -> Plan:
    """Plan each group of districts with its own policy, then combine the plans (each part already checked); the
    parts share the solve's deadline."""
    parts = []
    for key, districts in policy_groups(sorted(geo.areas["district"].unique()), scn.policies):
        sub = scn.for_policy(key) if key in scn.policies else Scenario.from_dict(
            {**scn.model_dump(mode="json", exclude={"policies"}), "name": f"{scn.name} - {key}"})
        part = geo.subset(districts)
        sub = _part_scenario(scn, key, sub, geo, part, districts)
        with progress.step(f"solving {sub.name} ({sub.model})", limit=deadline.left()):
            try:
                parts.append((key, districts, _solve_scenario(part, sub, None, deadline)))
            except InfeasibleError as e:   # which part could not be met: its reasons name only its own areas
                raise InfeasibleError(f"policy {key!r} ({', '.join(districts)}): {str(e).splitlines()[0]}",
                                      e.reasons) from e
    plans = [p for *_, p in parts]
    statuses = {p.report.status for p in plans}
    gaps = [p.report.gap for p in plans]
    notes = [f"{key} ({', '.join(ds)}): {p.model}{' + ' + ', '.join(p_s) if (p_s := _stages_of(p)) else ''}, "
             f"{p.report.status}, gap {_pct(p.report.gap)}" for key, ds, p in parts]
    r0 = plans[0].report
    # the parts may have run with different options (the amalgamation's HiGHS options are its own): each said
    versions = {p.report.solver_version for p in plans}
    version = r0.solver_version if len(versions) == 1 else \
        " | ".join(f"{key}: {p.report.solver_version}" for key, _, p in parts)
    status = Status.OPTIMAL if statuses == {Status.OPTIMAL} else Status.FEASIBLE
    report = SolveReport(status=status, objective=None, bound=None,
                         gap=None if any(g is None for g in gaps) else max(gaps),
                         seconds=round(sum(p.report.seconds for p in plans), 3), solver=r0.solver,
                         solver_version=version, time_limit=scn.solver.time_limit, gap_limit=scn.solver.gap,
                         threads=scn.solver.threads, seed=scn.solver.seed,
                         scope="per-district policies, each part proven on its own: " + "; ".join(notes),
                         input_hash=ihash, notes=tuple(notes))
    plan = Plan(model="policies", scenario_name=scn.name,
                assignment=pd.concat([p.assignment for p in plans]).sort_values("area").reset_index(drop=True),
                centres=pd.concat([p.centres.assign(policy=k) for k, _, p in parts], ignore_index=True),
                clusters=pd.concat([p.clusters for p in plans if len(p.clusters)], ignore_index=True)
                if any(len(p.clusters) for p in plans) else pd.DataFrame(),
                lots=pd.concat([p.lots.assign(policy=k) for k, _, p in parts if len(p.lots)], ignore_index=True)
                if any(len(p.lots) for p in plans) else pd.DataFrame(),
                bundles=pd.concat([p.bundles.assign(policy=k) for k, _, p in parts if len(p.bundles.columns)],
                                  ignore_index=True) if any(len(p.bundles.columns) for p in plans) else pd.DataFrame(),
                report=report, notes=unlocated_note(geo) + notes, input_hashes=geo.fingerprint(), geography=geo,
                scenario=scn)
    return _finish(plan, geo, scn)


def _part_scenario(scn: Scenario, key: str, sub: Scenario, geo: Geography, part: Geography,
                   districts: list[str]) -> Scenario:
    """``sub`` (the scenario of policy ``key``, on ``part``, the geography of its ``districts``) with its locked
    centres as ids of ``part``'s centres and the whole scenario's ``centres.per_district`` narrowed to its
    districts. Locks of the whole scenario (``centres.keep`` / ``close``) lock the centres each part holds; a
    policy's own locks must be centres of its districts (else a :class:`ScenarioError` saying where the centre is).
    Names are matched on the whole geography, so a centre of another district is named as such, not as unknown."""
    own = (scn.policies.get(key) or {}).get("centres") or {}
    changes: dict[str, Any] = {}
    if scn.centres.per_district and "per_district" not in own:
        every = sorted(geo.areas["district"].unique())
        counts = district_names(scn.centres.per_district, every, "centres.per_district")
        mine = {d: k for d, k in counts.items() if d in districts}
        if mine and not registry.info(sub.model).counts:   # the part's model would not read them: said, not dropped
            raise ScenarioError(f"`centres.per_district`: {', '.join(mine)} is planned by policy {key!r} (model "
                                f"{sub.model}), which does not choose how many centres there are; count centres "
                                f"only in districts whose policy does "
                                f"({', '.join(m for m in registry.MODELS if registry.info(m).counts)})")
        if registry.info(sub.model).counts:
            changes["per_district"] = mine
    for field in ("keep", "close"):
        names = getattr(sub.centres, field)
        if not names:
            continue
        where = f"policies.{key}.centres.{field}" if field in own else f"centres.{field}"
        ids = centre_ids(names, geo.centres, where)
        outside = [j for j in ids if j not in part.centres.index]
        if field in own and outside:
            listed = ", ".join(f"{geo.centres.at[j, 'name']} ({geo.centres.at[j, 'district']})" for j in outside)
            raise ScenarioError(f"`{where}`: {listed} not in this policy's districts ({', '.join(districts)}); "
                                f"lock a centre in the policy of its own district, or in `centres.{field}` for "
                                "the whole scenario")
        changes[field] = [j for j in ids if j in part.centres.index]
    if not changes:
        return sub
    return sub.model_copy(update={"centres": sub.centres.model_copy(update=changes)})


def _pct(gap: float | None) -> str:
    """A gap as a percentage (the one way clusterplan shows gaps), or n/a."""
    return "n/a" if gap is None else f"{gap:.2%}"


def _stages_of(plan: Plan) -> list[str]:
    return [s for s, present in (("clusters", len(plan.clusters)), ("lots", len(plan.lots))) if present]
