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
    (8) u[j, l] = 0 if g(j) != g(l)                 nesting in an area grouping g (district, ccg, a commissioner's
                                                    column: clusters.nest_in); with clusters.cross_boundary_cost N
                                                    the pair is allowed at N r_j in the objective instead
    (9) v[l] = 0 unless l may lead                  clusters.lead: phase1 (the default with require_phase1), any,
                                                    or partners (lead partner in clusters.lead_partners)
    (10) sum_{j phase p} u[j, l] >= v[l]            for each phase p of clusters.phases that l's group has
    (11) sum_{j school-led} u[j, l] <= S v[l]       clusters.max_school_led (clusterplan.governance)
    (12) u[j, l] = u[k, l]                          must-link: partners (clusters.keep_partnerships) and
                                                    clusters.together
    (13) sum_{j in A} u[j, l] <= 1                  cannot-link: each set A of clusters.apart
    (14) z[g, l] >= u[j, l] (j in partnership g)    with P sum_gl z[g, l] in the objective: P per cluster a
                                                    partnership spans (clusters.partnership_penalty)

B is ``clusters.balance`` (weighted child-minutes per deprived child off the mean), E the deprived children in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd
import pulp

from .. import governance, measures
from ..errors import InfeasibleError, ScenarioError, SolverError, count_of
from ..geography import Geography
from ..measures import centre_graph, deprived_under5, phases  # centre_graph: also cp.models.cluster.centre_graph
from ..plan import Plan, assignment_frame
from ..scenario import Clusters, Scenario, centre_ids
from ..solvers import Deadline, Outcome, solve_with
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
    gov = governance.centre_governance(geo)
    clusters["lead_partner"] = clusters["lead"].map(gov["lead_partner"])
    clusters["phases"] = clusters["cluster"].map(
        served.groupby("cluster")["phase"].agg(lambda s: ", ".join(str(p) for p in sorted(set(s.dropna())))))
    clusters["school_led"] = clusters["cluster"].map(
        served.groupby("cluster")["centre"].agg(lambda s: int(gov["school_led"].reindex(s).sum())))
    if cc.nest is not None:
        clusters[cc.nest] = clusters["lead"].map(lambda j: geo.areas.at[fac.at[j, "home_area"], cc.nest])
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


@dataclass
class Rules:
    """The cluster rules of a scenario resolved to centre ids (no names, no YAML)."""

    cc: Clusters
    group: dict[str, str] = field(default_factory=dict)      # centre -> nesting group ('' without nesting)
    leads: list[str] = field(default_factory=list)            # centres that may lead
    school_led: frozenset = frozenset()
    together: list[list[str]] = field(default_factory=list)   # must-link sets (partnerships and clusters.together)
    apart: list[list[str]] = field(default_factory=list)
    partnerships: dict[str, list[str]] = field(default_factory=dict)   # label -> clustered centres (2 or more)
    needs: dict[str, list[int]] = field(default_factory=dict)  # lead -> phases its cluster must hold


def rules(geo: Geography, scn: Scenario, ids: list[str], ph: pd.Series, fac: pd.DataFrame,
          cc: Clusters | None = None) -> Rules:
    """Resolve ``cc`` (default ``scn.clusters``) over the clustered centres ``ids`` with phases ``ph``."""
    cc = cc or scn.clusters
    nest = cc.nest
    area_group = measures.area_groups(geo, nest, "clusters.nest_in") if nest else None
    group = {j: (area_group[fac.at[j, "home_area"]] if nest else "") for j in ids}
    gov = governance.centre_governance(geo).reindex(ids)
    if cc.lead_rule == "phase1":
        leads = [j for j in ids if ph[j] == 1]
    elif cc.lead_rule == "partners":
        leads = [j for j in ids if gov.at[j, "lead_partner"] in cc.lead_partners]
    else:
        leads = list(ids)
    parts = {label: cen for label, cen in governance.partnerships(gov).items() if len(cen) > 1}
    located = geo.centres

    def resolve(sets, key):
        out = []
        for n, names in enumerate(sets):
            named = centre_ids(names, located, f"{key}[{n}]")
            if len(set(named)) < len(named):   # one centre by its id and by its name
                again = next(j for j in named if named.count(j) > 1)
                raise ScenarioError(f"`{key}[{n}]` names centre {again!r} twice (by its id and its name); name each "
                                    "centre once")
            found = [j for j in named if j in set(ids)]
            if len(found) > 1:
                out.append(found)
        return out
    together = (list(parts.values()) if cc.keep_partnerships else []) + resolve(cc.together, "clusters.together")
    # "where the district has one": the lead's nesting group, or its district without nesting
    where = group if nest else {j: str(fac.at[j, "district"]) for j in ids}
    have = {(where[j], int(ph[j])) for j in ids}
    needs = {m: [p for p in cc.required_phases if (where[m], p) in have or (p == 1 and cc.require_phase1)]
             for m in leads}
    return Rules(cc, group, leads, frozenset(gov.index[gov["school_led"]]), together,
                 resolve(cc.apart, "clusters.apart"), parts, needs)


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
    rl = rules(geo, scn, ids, ph, fac)
    data = (ids, reach, dep, ph, h, fac, t)
    _presolve(rl, data)
    u, out = _model(scn, rl, data, deadline)
    if out.status == "infeasible":
        raise InfeasibleError("clusters: no grouping satisfies this scenario.", _what_if(geo, scn, rl, data, deadline))
    if not out.status.is_ok:
        raise SolverError(f"clusters: no grouping found within {scn.solver.time_limit:g} s; raise solver.time_limit")
    lead_of = {j: m for (j, m), var in u.items() if var.varValue is not None and var.varValue > 0.5}
    return lead_of, out


def _model(scn, rl: Rules, data, deadline: Deadline):
    """Build and solve the cluster model for the rules ``rl``; returns (u variables, outcome)."""
    ids, reach, dep, ph, h, fac, t = data
    cc = rl.cc
    prob = pulp.LpProblem("clusters", pulp.LpMinimize)
    num = {j: n for n, j in enumerate(ids)}
    hard = cc.nest is not None and cc.cross_boundary_cost is None
    pairs = []
    preds = {}
    for m in rl.leads:
        pr = contiguity.predecessors(h, m, ids)
        preds[m] = pr
        for j in pr:
            if hard and rl.group[j] != rl.group[m]:
                continue
            pairs.append((j, m))
    u = {(j, m): pulp.LpVariable(f"u_{num[j]}_{num[m]}", cat=pulp.LpBinary) for j, m in pairs}
    v = {m: u[m, m] for m in rl.leads}
    members = {m: [j for j in ids if (j, m) in u] for m in rl.leads}
    cross = cc.cross_boundary_cost or 0.0
    cost = pulp.lpSum(float(reach[j]) * (t[j, m] + (cross if rl.group[j] != rl.group[m] else 0.0)) * var
                      for (j, m), var in u.items())
    k_exact = cc.count
    off: dict[pulp.LpVariable, pulp.LpAffineExpression] = {}   # dev[l] (7) -> what it bounds the size of
    if cc.balance > 0 and k_exact:
        mean = float(dep.sum()) / k_exact
        for m in rl.leads:
            dev = pulp.LpVariable(f"dev_{num[m]}", lowBound=0)
            dsum = pulp.lpSum(float(dep[j]) * u[j, m] for j in members[m])
            prob += dev >= dsum - mean * v[m], f"dev_hi_{num[m]}"
            prob += dev >= mean * v[m] - dsum, f"dev_lo_{num[m]}"
            off[dev] = dsum - mean * v[m]
    spans: dict[pulp.LpVariable, list[pulp.LpVariable]] = {}   # z[g, l] (14) -> the u it bounds
    if cc.partnership_penalty > 0:
        for g, (_, cen) in enumerate(sorted(rl.partnerships.items())):
            for m in rl.leads:
                inside = [j for j in cen if (j, m) in u]
                if inside:
                    z = pulp.LpVariable(f"z_{g}_{num[m]}", lowBound=0)
                    spans[z] = [u[j, m] for j in inside]
                    for j in inside:
                        prob += z >= u[j, m], f"part_{g}_{num[j]}_{num[m]}"
    # the dicts' keys, the dev and z variables (lpSum of a dict itself adds up its values)
    prob += cost + cc.balance * pulp.lpSum(list(off)) + cc.partnership_penalty * pulp.lpSum(list(spans))
    for j in ids:
        prob += pulp.lpSum(u[j, m] for m in rl.leads if (j, m) in u) == 1, f"one_{num[j]}"
    for m in rl.leads:
        for j in members[m]:
            if j != m:
                prob += u[j, m] <= v[m], f"lead_{num[j]}_{num[m]}"
                prob += u[j, m] <= pulp.lpSum(u[q, m] for q in preds[m][j] if (q, m) in u), f"prec_{num[j]}_{num[m]}"
        r = pulp.lpSum(float(reach[j]) * u[j, m] for j in members[m])
        if cc.min_reach is not None:
            prob += r >= cc.min_reach * v[m], f"min_reach_{num[m]}"
        if cc.max_reach is not None:
            prob += r <= cc.max_reach * v[m], f"max_reach_{num[m]}"
        for p in rl.needs.get(m, []):
            prob += pulp.lpSum(u[j, m] for j in members[m] if ph[j] == p) >= v[m], f"phase{p}_{num[m]}"
        if cc.max_school_led is not None:
            led = [u[j, m] for j in members[m] if j in rl.school_led]
            if len(led) > cc.max_school_led:
                prob += pulp.lpSum(led) <= cc.max_school_led * v[m], f"school_led_{num[m]}"
        for n, grp in enumerate(rl.together):
            first = grp[0]
            for j in grp[1:]:
                prob += (u[first, m] if (first, m) in u else 0) == (u[j, m] if (j, m) in u else 0), \
                    f"together_{n}_{num[j]}_{num[m]}"
        for n, grp in enumerate(rl.apart):
            inside = [u[j, m] for j in grp if (j, m) in u]
            if len(inside) > 1:
                prob += pulp.lpSum(inside) <= 1, f"apart_{n}_{num[m]}"
    add_counts(prob, pulp.lpSum(v.values()), cc.count, cc.min_count, cc.max_count)
    return u, tightened(solve_with(prob, scn.solver, deadline), prob, off, spans)


def tightened(out: Outcome, prob: pulp.LpProblem, off: dict, spans: dict) -> Outcome:
    """``out`` with the objective of its plan itself: each deviation (7) set to the size of what it bounds and each
    partnership term (14) to the largest u it bounds, then the objective re-evaluated (the gap with it). At an
    optimum they are already so; a plan stopped at the time limit may hold them higher (both terms only bound from
    below), and its reported cost was then above the plan's own. Setting them so keeps every row and never raises
    the cost (their weights are not negative), so the bound stands."""
    if not out.status.is_ok or out.objective is None or not (off or spans):
        return out
    for d, expr in off.items():
        d.varValue = abs(float(pulp.value(expr) or 0.0))
    for z, us in spans.items():
        z.varValue = max(float(x.varValue or 0.0) for x in us)
    obj = float(pulp.value(prob.objective))
    if obj >= out.objective:
        return out
    gap = out.gap if out.bound is None else abs(obj - out.bound) / max(abs(obj), 1e-9)
    return replace(out, objective=obj, gap=gap)


#: The rule families a what-if drops one at a time, with the changes that drop each.
WHAT_IF = (("clusters.min_reach", {"min_reach": None}), ("clusters.max_reach", {"max_reach": None}),
           ("the phase-1 rule (clusters.require_phase1)", {"require_phase1": False}),
           ("the phase mix (clusters.phases)", {"phases": []}),
           ("the lead rule (clusters.lead)", {"lead": "any", "lead_partners": []}),
           ("clusters.max_school_led", {"max_school_led": None}),
           ("keeping partners together (clusters.keep_partnerships, clusters.together)",
            {"keep_partnerships": False, "together": []}),
           ("clusters.apart", {"apart": []}),
           ("the nesting (clusters.nest_in / within_district)",
            {"within_district": False, "nest_in": None, "cross_boundary_cost": None}),
           ("the cluster count", {"count": None, "min_count": None, "max_count": None}))


def _what_if(geo, scn, rl: Rules, data, deadline: Deadline) -> list[str]:
    """Re-solve with one rule family dropped at a time and say which alone make the scenario feasible."""
    ids, reach, dep, ph, h, fac, t = data
    cc = rl.cc.model_copy(update={"lead": rl.cc.lead_rule})   # the lead rule stated, so dropping others keeps it
    culprits = []
    for label, change in WHAT_IF:
        if all(getattr(cc, k) in (v, None, False, []) for k, v in change.items()):
            continue
        relaxed = cc.model_copy(update=change)
        if relaxed.count is None and relaxed.min_count is None and relaxed.max_count is None \
                and relaxed.min_reach is None:
            relaxed = relaxed.model_copy(update={"min_reach": cc.min_reach or 0.0})
        _, out = _model(scn, rules(geo, scn, ids, ph, fac, relaxed), data, deadline)
        if out.status.is_ok:
            culprits.append(label)
    n1 = int((ph == 1).sum())
    named = f" ({', '.join(fac.loc[ph[ph == 1].index, 'name'])})" if n1 else ""
    lines = [f"{count_of(len(ids), 'centre', 'centres')}, {n1} of them phase 1{named}; {int(reach.sum()):,} children"]
    if culprits:
        lines.append("dropping any one of these makes a grouping possible: " + "; ".join(culprits))
    else:
        lines.append("no single rule is to blame: relax more than one of count, reach, phase, lead, partnership "
                     "and nesting rules")
    return lines


def _presolve(rl: Rules, data) -> None:
    """Reasons the rules cannot be met that need no solve, named by centre and group."""
    ids, reach, dep, ph, h, fac, t = data
    cc = rl.cc
    reasons = []
    n1 = int((ph == 1).sum())
    want = cc.count or cc.min_count
    # every centre is in a cluster, so a scenario with centres has one cluster at least, whatever count it asks for
    # (with only clusters.min_reach, 23 English authorities without a phase-1 centre were told "no single rule is to
    # blame": the phase-1 rule and the lead rule each block on their own)
    least = want or (1 if len(ids) else 0)
    if cc.require_phase1 and least > n1:
        named = ", ".join(fac.loc[ph[ph == 1].index, "name"])
        reasons.append(("no centre is phase 1, so no cluster can hold one" if n1 == 0 else
                        f"only {count_of(n1, 'centre is', 'centres are')} phase 1 ({named}), so at most "
                        f"{count_of(n1, 'cluster', 'clusters')} can each hold one")
                       + (f"; the scenario asks for {want} (clusters.require_phase1)" if want else
                          "; clusters.require_phase1 asks for one in every cluster")
                       + (". A centre's phase is the centres file's `phase` column where given, else phase 1 when "
                          f"{cc.phase1_share:.0%} or more of its children live in England's 30% most deprived areas "
                          "(IDACI; clusters.phase1_share)" if n1 == 0 else ""))
    # where the leads are the phase-1 centres, the phase-1 reason above has said it already
    said = bool(reasons) and cc.lead_rule == "phase1" and len(rl.leads) == n1
    if least > len(rl.leads) and not said:
        why = {"phase1": ("phase-1 centre", "phase-1 centres"),
               "partners": (f"centre led by {', '.join(cc.lead_partners)}",
                            f"centres led by {', '.join(cc.lead_partners)}"),
               "any": ("centre", "centres")}[cc.lead_rule]
        reasons.append((f"{count_of(want, 'cluster', 'clusters')} asked for, but " if want else
                        "every cluster needs a centre to lead it, but ") + (
                       f"no {why[0]} may lead one" if not rl.leads else
                       f"only {count_of(len(rl.leads), *why)} may lead one"))
    if want and want > len(ids):
        reasons.append(f"{count_of(want, 'cluster', 'clusters')} asked for, but there "
                       f"{'is' if len(ids) == 1 else 'are'} only "
                       f"{count_of(len(ids), 'centre', 'centres')}")
    hard = cc.nest is not None and cc.cross_boundary_cost is None
    if hard:
        for g in sorted(set(rl.group.values())):
            inside = [j for j in ids if rl.group[j] == g]
            if not any(rl.group[m] == g for m in rl.leads):
                what = {"phase1": "phase-1 centre", "partners": "centre whose lead partner may lead",
                        "any": "centre"}[cc.lead_rule]
                reasons.append(f"{cc.nest} {g!r} has no {what} to lead a cluster (its centres: "
                               f"{', '.join(fac.loc[inside, 'name'])}; phases {sorted(set(ph[inside].astype(int)))})")
            elif cc.require_phase1 and not any(ph[j] == 1 for j in inside):
                reasons.append(f"{cc.nest} {g!r} has no phase-1 centre, and clusters.require_phase1 asks for one in "
                               f"every cluster (its centres: {', '.join(fac.loc[inside, 'name'])})")
        for grp in rl.together:
            gs = sorted({rl.group[j] for j in grp})
            if len(gs) > 1:
                reasons.append(f"{', '.join(fac.loc[grp, 'name'])} must share a cluster but lie in different "
                               f"{cc.nest} groups ({', '.join(gs)})")
    total = float(reach.sum())
    if cc.min_reach and least and least * cc.min_reach > total:
        most = int(total // cc.min_reach)
        reasons.append(f"{total:,.0f} children can fill at most {count_of(most, 'cluster', 'clusters')} of "
                       f"{cc.min_reach:,g} children (clusters.min_reach); " +
                       (f"the scenario asks for {want}" if want else "every centre must be in one"))
    if cc.max_reach:
        big = reach[reach > cc.max_reach]
        for j, r in big.items():
            reasons.append(f"{fac.at[j, 'name']} alone reaches {r:,.0f} children, above clusters.max_reach "
                           f"{cc.max_reach:g}")
    for a in rl.apart:
        for grp in rl.together:
            both = [j for j in a if j in grp]
            if len(both) > 1:
                reasons.append(f"{', '.join(fac.loc[both, 'name'])} must share a cluster (together or partners) and "
                               "be kept apart (clusters.apart)")
    if reasons:
        raise InfeasibleError("clusters: the scenario cannot be met:", reasons)
