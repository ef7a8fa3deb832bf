"""Clusters: group kept centres (with their catchments) into clusters run together along the corridors.

Sets: kept centres j with reach r_j (children), deprived children e_j (under-fives in England's 30% most deprived
areas by IDACI) and phase; candidate leads l (every kept centre); the lifted corridor graph H over centres (two
centres are adjacent when their catchments touch); minutes t_jl from centre j's home area to centre l.

Variables: u[j, l] = 1 if centre j is in the cluster led by l; v[l] = 1 if l leads a cluster; dev[l] >= 0.

    minimise    sum_jl r_j t_jl u[j, l]  +  B sum_l dev[l]
    (1) sum_l u[j, l] = 1                           every centre in exactly one cluster
    (2) u[j, l] <= v[l];  u[l, l] = v[l]
    (3) K_min <= sum_l v[l] <= K_max                cluster count (exact when equal)
    (4) R_min v[l] <= sum_j r_j u[j, l] <= R_max v[l]
    (5) sum_{j phase 1} u[j, l] >= v[l]             a phase-1 centre in every cluster (optional)
    (6) u[j, l] <= sum_{m in pred_l(j)} u[m, l]     clusters connected in H (shortest-path precedence from l)
    (7) dev[l] >= +-(sum_j e_j u[j, l] - E/K v[l])  balance of deprived children (only with an exact count)
    (8) u[j, l] = 0 if j and l are in different districts (optional nesting)

B is ``clusters.balance`` (weighted child-minutes per deprived child off the mean), E the deprived children in all.
"""

from __future__ import annotations

import pandas as pd
import pulp

from .. import measures
from ..errors import InfeasibleError, ScenarioError, SolverError
from ..geography import Geography
from ..measures import centre_graph, deprived_under5, phases  # centre_graph: also cp.models.cluster.centre_graph
from ..plan import Plan, assignment_frame
from ..scenario import Scenario
from ..solvers import Deadline, solve_with
from . import contiguity, status_quo
from .assignment import add_counts
from .base import Context, report


def solve(geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Cluster today's centres (status-quo catchments); the plan carries the clusters on each area's row."""
    sq = status_quo.today(geo, scn, ctx.deadline)
    fac = measures.facilities(geo, "centres")
    base = Plan.from_assignment(geo, scn, sq.assign, fac, geo.centre_minutes[fac.index],
                                status={j: "kept" for j in fac.index},
                                report=report(sq.outcome, scn, "", ctx, sq.k, list(sq.notes)))
    return add_clusters(base, geo, scn, ctx)


def add_clusters(plan: Plan, geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Cluster the kept centres of ``plan`` (with their catchments); returns the plan with clusters filled in.

    The report becomes the cluster model's; the catchment model's report is kept in its notes.
    """
    cc = scn.clusters
    if cc.count is None and cc.min_count is None and cc.max_count is None and cc.min_reach is None:
        raise ScenarioError("`clusters`: give a count (clusters.count, or min_count / max_count) or a "
                            "clusters.min_reach; otherwise every centre would be its own cluster")
    fac = measures.facilities(geo, "centres")
    assign = plan.assignment.set_index("area")["centre"]
    lead_of, out = cluster_centres(geo, scn, assign, fac, ctx.deadline)
    table = plan.centres.copy()
    ph = phases(geo, assign, cc.phase1_share)
    table["cluster"] = table["centre"].map(lead_of).fillna("")
    table["phase"] = table["centre"].map(ph).astype("Int64")
    served = table[table["cluster"] != ""]
    clusters = (served.groupby("cluster")
                .agg(centres=("centre", "size"), reach=("reach", "sum"), deprived_children=("deprived_children", "sum"),
                     phase1=("phase", lambda s: int((s == 1).sum())))
                .reset_index())
    clusters["lead"] = clusters["cluster"]
    clusters["lead_name"] = clusters["lead"].map(fac["name"])
    r = plan.report
    gap = "n/a" if r.gap is None else f"{r.gap:.2%}"
    if plan.model == "cluster":
        first = "catchments: the status quo's"
    elif r.objective is not None:
        first = f"catchments: {r.status}, objective {r.objective:,.1f}, gap {gap}, {r.seconds} s"
    else:
        first = f"catchments: {r.status}, gap {gap}, {r.seconds} s"
    scope = ("clusters connected through adjacent catchments by shortest-path precedence from their lead; "
             + first)
    return plan.but(scenario_name=scn.name, assignment=assignment_frame(assign, lead_of), centres=table,
                    clusters=clusters, report=report(out, scn, scope, ctx, r.candidates, list(r.notes)))


def cluster_centres(geo: Geography, scn: Scenario, assign: pd.Series, fac: pd.DataFrame, deadline: Deadline):
    """Solve the cluster model over the centres of ``assign`` within ``deadline``; returns (centre -> lead id,
    solver outcome)."""
    cc = scn.clusters
    ids = sorted(set(assign))
    a = geo.areas
    reach = a["under5"].groupby(assign.reindex(a.index).to_numpy()).sum().reindex(ids)
    dep = deprived_under5(a).groupby(assign.reindex(a.index).to_numpy()).sum()
    dep = dep.reindex(ids)
    ph = phases(geo, assign, cc.phase1_share)
    h = centre_graph(geo.corridors, assign)
    t = {(j, m): float(geo.centre_minutes.at[fac.at[j, "home_area"], m]) for j in ids for m in ids}
    for j, m in h.edges:
        h.edges[j, m]["minutes"] = (t[j, m] + t[m, j]) / 2
    _presolve(scn, ids, reach, ph, h, fac)
    u, out = _model(scn, cc, ids, reach, dep, ph, h, fac, t, deadline)
    if out.status == "infeasible":
        raise InfeasibleError("clusters: no grouping satisfies this scenario.",
                              _what_if(scn, cc, ids, reach, dep, ph, h, fac, t, deadline))
    if not out.status.is_ok:
        raise SolverError(f"clusters: no grouping found within {scn.solver.time_limit:g} s; raise solver.time_limit")
    lead_of = {j: m for (j, m), var in u.items() if var.varValue is not None and var.varValue > 0.5}
    return lead_of, out


def _model(scn, cc, ids, reach, dep, ph, h, fac, t, deadline: Deadline):
    """Build and solve the cluster model for cluster rules ``cc``; returns (u variables, outcome)."""
    prob = pulp.LpProblem("clusters", pulp.LpMinimize)
    num = {j: n for n, j in enumerate(ids)}
    pairs = []
    preds = {}
    for m in ids:
        pr = contiguity.predecessors(h, m, ids)
        preds[m] = pr
        for j in pr:
            if cc.within_district and fac.at[j, "district"] != fac.at[m, "district"]:
                continue
            pairs.append((j, m))
    u = {(j, m): pulp.LpVariable(f"u_{num[j]}_{num[m]}", cat=pulp.LpBinary) for j, m in pairs}
    v = {m: u[m, m] for m in ids}
    members = {m: [j for j in ids if (j, m) in u] for m in ids}
    cost = pulp.lpSum(float(reach[j]) * t[j, m] * var for (j, m), var in u.items())
    k_exact = cc.count
    dev = {}
    if cc.balance > 0 and k_exact:
        mean = float(dep.sum()) / k_exact
        for m in ids:
            dev[m] = pulp.LpVariable(f"dev_{num[m]}", lowBound=0)
            dsum = pulp.lpSum(float(dep[j]) * u[j, m] for j in members[m])
            prob += dev[m] >= dsum - mean * v[m], f"dev_hi_{num[m]}"
            prob += dev[m] >= mean * v[m] - dsum, f"dev_lo_{num[m]}"
    prob += cost + cc.balance * pulp.lpSum(dev.values())
    for j in ids:
        prob += pulp.lpSum(u[j, m] for m in ids if (j, m) in u) == 1, f"one_{num[j]}"
    for m in ids:
        for j in members[m]:
            if j != m:
                prob += u[j, m] <= v[m], f"lead_{num[j]}_{num[m]}"
                prob += u[j, m] <= pulp.lpSum(u[q, m] for q in preds[m][j] if (q, m) in u), f"prec_{num[j]}_{num[m]}"
        r = pulp.lpSum(float(reach[j]) * u[j, m] for j in members[m])
        if cc.min_reach is not None:
            prob += r >= cc.min_reach * v[m], f"min_reach_{num[m]}"
        if cc.max_reach is not None:
            prob += r <= cc.max_reach * v[m], f"max_reach_{num[m]}"
        if cc.require_phase1:
            prob += pulp.lpSum(u[j, m] for j in members[m] if ph[j] == 1) >= v[m], f"phase1_{num[m]}"
    add_counts(prob, pulp.lpSum(v.values()), cc.count, cc.min_count, cc.max_count)
    return u, solve_with(prob, scn.solver, deadline)


def _what_if(scn, cc, ids, reach, dep, ph, h, fac, t, deadline: Deadline) -> list[str]:
    """Re-solve with one rule family dropped at a time and say which alone make the scenario feasible."""
    trials = [("clusters.min_reach", {"min_reach": None}), ("clusters.max_reach", {"max_reach": None}),
              ("the phase-1 rule (clusters.require_phase1)", {"require_phase1": False}),
              ("clusters.within_district", {"within_district": False}),
              ("the cluster count", {"count": None, "min_count": None, "max_count": None})]
    culprits = []
    for label, change in trials:
        if all(getattr(cc, k) in (v, None, False) for k, v in change.items()):
            continue
        relaxed = cc.model_copy(update=change)
        if relaxed.count is None and relaxed.min_count is None and relaxed.max_count is None \
                and relaxed.min_reach is None:
            relaxed = relaxed.model_copy(update={"min_reach": cc.min_reach or 0.0})
        _, out = _model(scn, relaxed, ids, reach, dep, ph, h, fac, t, deadline)
        if out.status.is_ok:
            culprits.append(label)
    n1 = int((ph == 1).sum())
    lines = [f"{len(ids)} centres, {n1} of them phase 1 ({', '.join(fac.loc[ph[ph == 1].index, 'name'])}); "
             f"{int(reach.sum()):,} children"]
    if culprits:
        lines.append("dropping any one of these makes a grouping possible: " + "; ".join(culprits))
    else:
        lines.append("no single rule is to blame: relax more than one of count, reach and phase-1 rules")
    return lines


def _presolve(scn: Scenario, ids, reach, ph, h, fac) -> None:
    cc = scn.clusters
    reasons = []
    n1 = int((ph == 1).sum())
    want = cc.count or cc.min_count
    if cc.require_phase1 and want and want > n1:
        reasons.append(f"only {n1} centres are phase 1 ({', '.join(fac.loc[ph[ph == 1].index, 'name'])}), so at "
                       f"most {n1} clusters can each hold one; the scenario asks for {want}")
    if want and want > len(ids):
        reasons.append(f"{want} clusters asked for, but there are only {len(ids)} centres")
    total = float(reach.sum())
    if cc.min_reach and want and want * cc.min_reach > total:
        reasons.append(f"{total:,.0f} children can fill at most {int(total // cc.min_reach)} clusters of "
                       f"{cc.min_reach:g}; the scenario asks for {want}")
    if cc.max_reach:
        big = reach[reach > cc.max_reach]
        for j, r in big.items():
            reasons.append(f"{fac.at[j, 'name']} alone reaches {r:,.0f} children, above clusters.max_reach "
                           f"{cc.max_reach:g}")
    if reasons:
        raise InfeasibleError("clusters: the scenario cannot be met:", reasons)
