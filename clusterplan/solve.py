"""``solve(geography, scenario) -> Plan``: the one entry point for notebooks, the CLI and scripts.

Build a model from the geography and scenario, solve it, turn the solution into a :class:`Plan`, and run the
independent checker on it before returning (a violation is a bug and raises :class:`CheckError`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

import pandas as pd

from . import diagnose, measures, progress
from .check import check as check_plan
from .errors import InfeasibleError, ScenarioError, SolverError
from .geography import Geography
from .models import amalgamate, assignment, contiguity, sites
from .models.objective import assigned_minutes, deprived_under5
from .plan import Plan, SolveReport
from .scenario import Scenario


def input_hash(geo: Geography, scn: Scenario, *, like: dict | None = None) -> str:
    """SHA-256 over the geography's fingerprint and the scenario (everything that determines the plan).

    ``like``: a resolved scenario stored by an earlier version; keys it does not have (added to the scenario schema
    since, so at their defaults in a scenario read back from it) are left out, so its hash can be reproduced."""
    payload = json.dumps({"geography": geo.fingerprint(), "scenario": scn.dump(like=like)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _report(outcome, scn: Scenario, scope: str, ihash: str, k: int | None, notes: list[str]) -> SolveReport:
    s = scn.solver
    return SolveReport(**{**asdict(outcome), "seconds": round(outcome.seconds, 3)}, time_limit=s.time_limit,
                       gap_limit=s.gap, threads=s.threads, seed=s.seed, scope=scope, input_hash=ihash,
                       candidates=k, notes=tuple(notes))


@dataclass
class Solved:
    """A solved catchment model: area -> facility, the solver outcome, and the restrictions it ran under."""

    assign: pd.Series
    outcome: Any
    k: int
    contiguity: str
    notes: list[str]

    def scope(self, noun: str) -> str:
        """The feasible set the optimum and bound refer to, in words."""
        cont = contiguity.SCOPE if self.contiguity == "precedence" else "connected catchments (exact flow model)"
        return f"{cont}; each area among its {self.k} nearest {noun} or the warm start's choice"


def run_assignment(geo: Geography, spec: assignment.Spec, scn: Scenario, *, what: str) -> Solved:
    """Solve a catchment model, widening the candidate lists while the restricted model is infeasible, then (if
    still infeasible) re-solving with exact flow contiguity before declaring the scenario infeasible."""
    diagnose.presolve(geo, spec, what=what)
    notes: list[str] = []
    k = spec.k
    n_fac = len(spec.facilities)
    s = scn.solver
    while True:
        cur = replace(spec, k=k)
        start = assignment.heuristic(geo.areas, geo.corridors, cur)
        built = assignment.build(geo.areas, geo.corridors, cur, name=what.replace(" ", "_"), extra=start)
        if start is not None:
            assignment.set_start(built, start)
        out = _solve(built.prob, s, warm=built.warm)
        if out.status in ("optimal", "feasible"):
            return Solved(assignment.extract(built), out, k, cur.contiguity, notes)
        if out.status == "infeasible" and k < n_fac:
            new_k = min(2 * k, n_fac)
            notes.append(f"restricting each area to its {k} nearest centres made the model infeasible; "
                         f"widened to {new_k}")
            k = new_k
            continue
        if out.status == "infeasible" and cur.contiguity == "precedence":
            # Precedence admits only some connected catchments: before calling the scenario infeasible, ask the
            # exact flow formulation, which admits them all.
            notes.append("no plan with precedence-shaped catchments; re-solved with exact flow contiguity")
            spec = replace(spec, contiguity="flow")
            continue
        if out.status == "infeasible":
            raise InfeasibleError(f"{what}: no plan satisfies this scenario.",
                                  diagnose.elastic(geo, cur, s, what=what))
        raise SolverError(f"{what}: {out.solver} found no plan within {s.time_limit:g} s and did not prove the "
                          "scenario infeasible; raise solver.time_limit or relax the scenario")


def _solve(prob, s, *, warm: bool):
    from .solvers import solve_problem
    return solve_problem(prob, name=s.name, time_limit=s.time_limit, gap=s.gap, threads=s.threads, seed=s.seed,
                         warm=warm)


def centre_table(geo: Geography, assign: pd.Series, fac: pd.DataFrame, minutes: pd.DataFrame, *,
                 status: dict[str, str], merged_into: dict[str, str] | None = None,
                 cluster: dict[str, str] | None = None) -> pd.DataFrame:
    """Per-centre table: reach, areas, deprived children, child-weighted mean and max minutes."""
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


def _assignment_frame(assign: pd.Series, cluster: dict[str, str] | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"area": assign.index, "centre": assign.to_numpy()})
    df["cluster"] = df["centre"].map(cluster or {}).astype(object).fillna("")
    return df.sort_values("area").reset_index(drop=True)


_STATUS_QUO_CACHE: dict[str, Solved] = {}


def status_quo_assignment(geo: Geography, scn: Scenario) -> Solved:
    """Today's catchments: every located centre open, no floor, same objective (cached per input). The reference
    gets at least 60 s whatever the scenario's own time limit (it takes about 2 s on Norfolk)."""
    solver = scn.solver.model_dump() | {"time_limit": max(scn.solver.time_limit, 60.0)}
    sq = Scenario.from_dict({"model": "status_quo", "deprivation": scn.deprivation.model_dump(),
                             "travel": {"candidates": scn.travel.candidates}, "solver": solver})
    key = input_hash(geo, sq)
    if key not in _STATUS_QUO_CACHE:
        _STATUS_QUO_CACHE[key] = run_assignment(geo, amalgamate.spec(geo, sq, status_quo=True), sq,
                                                what="status quo")
    return _STATUS_QUO_CACHE[key]


def _unlocated_note(geo: Geography) -> list[str]:
    un = geo.centres[~geo.centres["located"]]
    if not len(un):
        return []
    return [f"{len(un)} centre(s) have no known location and are not in this plan: {', '.join(un['name'])}"]


def solve(geography: Geography, scenario: Scenario | dict[str, Any], *,
          restrict: dict[str, Any] | None = None, name: str | None = None, quiet: bool = False) -> Plan:
    """Solve a scenario on a geography and return a checked :class:`Plan`.

    ``scenario`` is a :class:`Scenario` or a dict with the scenario YAML's keys, e.g.
    ``{"model": "amalgamate", "reach": {"min": 600}}``; the plan is named by ``name``, else the scenario's
    ``name``. ``restrict`` adds model restrictions that have no scenario key (fields of
    :class:`clusterplan.models.assignment.Spec`: ``exclude_kept``, ``min_differ``, ``deprived_within``...); the
    alternatives and Pareto fronts use it. Only for amalgamate and sites. ``quiet`` draws no progress line (one is
    drawn on a terminal while the solve runs; see :mod:`clusterplan.progress`).
    """
    scn = Scenario.from_dict(scenario)
    if name is not None:
        scn = scn.model_copy(update={"name": name})
    if quiet:
        with progress.quiet():
            return _solve_scenario(geography, scn, restrict)
    with progress.step(f"solving {scn.name} ({scn.model})", limit=scn.solver.time_limit):
        return _solve_scenario(geography, scn, restrict)


def _solve_scenario(geography: Geography, scn: Scenario, restrict: dict[str, Any] | None) -> Plan:
    geo = geography
    ihash = input_hash(geo, scn)
    if restrict and (scn.model not in ("amalgamate", "sites") or scn.policies):
        raise ScenarioError(f"restrictions {sorted(restrict)} apply to the amalgamate and sites models only")
    unknown = sorted(set(restrict or {}) - set(assignment.Spec.__dataclass_fields__))
    if unknown:
        raise ScenarioError(f"restrict: unknown model restriction(s) {unknown}; see clusterplan.models.assignment.Spec")
    if scn.model in ("status_quo", "amalgamate", "cluster"):  # names are checked before any solve
        from .models.resolve import centre_ids
        centre_ids(scn.centres.keep, geo.centres, "centres.keep")
        centre_ids(scn.centres.close, geo.centres, "centres.close")
    if scn.policies:
        return _solve_policies(geo, scn, ihash)
    if scn.model == "capacity":
        from .models import capacity
        plan = capacity.solve(geo, scn, ihash)
    elif scn.model == "cluster":
        from .models import cluster
        plan = cluster.solve(geo, scn, ihash)
    elif scn.model in ("status_quo", "amalgamate"):
        plan = _solve_amalgamate(geo, scn, ihash, restrict or {})
    else:
        plan = _solve_sites(geo, scn, ihash, restrict or {})
    if restrict:
        plan.notes.append(f"restricted beyond the scenario: {_describe_restrict(restrict)}")

    if "cluster" in scn.stages:
        from .models import cluster
        plan = cluster.add_clusters(plan, geo, scn, ihash)
    if "tender" in scn.stages:
        from .models import tender
        plan.lots = tender.lots(plan, scn.tender)
    plan.input_hashes = geo.fingerprint()
    plan.geography = geo
    check_plan(plan, geo, scn, raise_on_violation=True)
    plan.metrics = _metrics(plan, geo, scn)
    return plan


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


def _metrics(plan: Plan, geo: Geography, scn: Scenario) -> dict:
    from .metrics import plan_metrics
    sq = None
    if len(geo.located_centres):
        try:
            sq_res = status_quo_assignment(geo, scn)
        except InfeasibleError:  # e.g. an island with no centre today: there is no status quo to compare with
            sq_res = None
        if sq_res is not None:
            sq = pd.DataFrame({"area": sq_res.assign.index, "centre": sq_res.assign.to_numpy()})
            fac = measures.facilities(geo, "centres")
            plan.baseline = Plan(model="status_quo", scenario_name="status quo", assignment=_assignment_frame(
                sq_res.assign), centres=centre_table(geo, sq_res.assign, fac, geo.centre_minutes[fac.index],
                                                     status={j: "kept" for j in fac.index}), report=plan.report)
    m = plan_metrics(plan, geo, weight=scn.deprivation.weight, floor=scn.reach.min, status_quo=sq,
                     management_cost=scn.centres.management_cost, sites=scn.sites)
    if len(plan.lots):
        m["lots"] = int(len(plan.lots))
        vcs = plan.lots["vcs_accessible"]
        m["vcs_accessible_lots"] = None if vcs.isna().all() else int(vcs.fillna(False).astype(bool).sum())
    return m


def _solve_amalgamate(geo: Geography, scn: Scenario, ihash: str, restrict: dict[str, Any]) -> Plan:
    fac = measures.facilities(geo, "centres")
    minutes = geo.centre_minutes[fac.index]
    sq = status_quo_assignment(geo, scn)
    if scn.model == "status_quo":
        res = Solved(sq.assign, sq.outcome, sq.k, sq.contiguity, list(sq.notes))
        status = {j: "kept" for j in fac.index}
        merged = {}
    else:
        res = run_assignment(geo, replace(amalgamate.spec(geo, scn), **restrict), scn, what="amalgamation")
        kept = set(res.assign.unique())
        status = {j: ("kept" if j in kept else "amalgamated") for j in fac.index}
        merged = absorbed_by(sq.assign, res.assign, geo.areas["under5"])
    table = centre_table(geo, res.assign, fac, minutes, status=status, merged_into=merged)
    if scn.model == "status_quo":
        below = table[table["reach"] < scn.reach.min]
        res.notes.append(f"{len(below)} of {len(table)} centres reach fewer than {scn.reach.min:g} children today"
                         + (f": {', '.join(below['name'])}" if len(below) else ""))
    report = _report(res.outcome, scn, res.scope("centres"), ihash, res.k, res.notes)
    report = _certify(geo, scn, report, amalgamate.spec(geo, scn, status_quo=scn.model == "status_quo"))
    return Plan(model=scn.model, scenario_name=scn.name, assignment=_assignment_frame(res.assign), centres=table,
                report=report, notes=_unlocated_note(geo) + res.notes)


def _solve_sites(geo: Geography, scn: Scenario, ihash: str, restrict: dict[str, Any]) -> Plan:
    spec = replace(sites.spec(geo, scn), **restrict)
    res = run_assignment(geo, spec, scn, what="sites")
    opened = sorted(res.assign.unique())
    table = centre_table(geo, res.assign, spec.facilities, spec.minutes, status={j: "new" for j in opened})
    scope = res.scope("sites") + "; at most one new centre per area"
    report = _report(res.outcome, scn, scope, ihash, res.k, res.notes)
    report = _certify(geo, scn, report, spec)
    return Plan(model="sites", scenario_name=scn.name, assignment=_assignment_frame(res.assign), centres=table,
                report=report, notes=res.notes)


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


def _certify(geo: Geography, scn: Scenario, report: SolveReport, spec: assignment.Spec) -> SolveReport:
    """With ``solver.certify``: bound the problem without contiguity and candidate restrictions."""
    if not scn.solver.certify or report.objective is None:
        return report
    relaxed = replace(spec, k=len(spec.facilities), contiguity="none")
    built = assignment.build(geo.areas, geo.corridors, relaxed, name="relaxation")
    out = _solve(built.prob, scn.solver, warm=False)
    if out.bound is None:
        return replace(report, notes=report.notes + ("certify: the relaxation found no bound in the time limit",))
    gap = (report.objective - out.bound) / max(abs(report.objective), 1e-9)
    return replace(report, relaxed_bound=out.bound, relaxed_gap=max(gap, 0.0))


def _solve_policies(geo: Geography, scn: Scenario, ihash: str) -> Plan:
    """Plan each group of districts with its own policy, then combine the plans (each part already checked)."""
    from .models.resolve import policy_groups
    parts = []
    for key, districts in policy_groups(sorted(geo.areas["district"].unique()), scn.policies):
        sub = scn.for_policy(key) if key in scn.policies else Scenario.from_dict(
            {**scn.model_dump(mode="json", exclude={"policies"}), "name": f"{scn.name} - {key}"})
        parts.append((key, districts, solve(geo.subset(districts), sub)))
    plans = [p for *_, p in parts]
    statuses = {p.report.status for p in plans}
    gaps = [p.report.gap for p in plans]
    notes = [f"{key} ({', '.join(ds)}): {p.model}{' + ' + ', '.join(p_s) if (p_s := _stages_of(p)) else ''}, "
             f"{p.report.status}, gap {_pct(p.report.gap)}" for key, ds, p in parts]
    r0 = plans[0].report
    report = SolveReport(status="optimal" if statuses == {"optimal"} else "feasible", objective=None, bound=None,
                         gap=None if any(g is None for g in gaps) else max(gaps),
                         seconds=round(sum(p.report.seconds for p in plans), 3), solver=r0.solver,
                         solver_version=r0.solver_version, time_limit=scn.solver.time_limit, gap_limit=scn.solver.gap,
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
                report=report, notes=_unlocated_note(geo) + notes)
    plan.input_hashes = geo.fingerprint()
    plan.geography = geo
    check_plan(plan, geo, scn, raise_on_violation=True)
    plan.metrics = _metrics(plan, geo, scn)
    if len(plan.lots):
        plan.metrics["lots"] = int(len(plan.lots))
    return plan


def _pct(gap: float | None) -> str:
    """A gap as a percentage (the one way clusterplan shows gaps), or n/a."""
    return "n/a" if gap is None else f"{gap:.2%}"


def _stages_of(plan: Plan) -> list[str]:
    return [s for s, present in (("clusters", len(plan.clusters)), ("lots", len(plan.lots))) if present]
