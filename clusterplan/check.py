"""Independent checker: re-verify every constraint of a plan from the raw geography and scenario.

It uses nothing from the solver but the plan's ``assignment`` (area -> centre -> cluster) and, to check it, the
reported objective. Rules are plain functions ``(context) -> list of violations``, each named for what it checks,
and :func:`check` runs them all (so a failing plan lists every violation, not just the first). Which rules bind a
model is read from its registry facts (:class:`clusterplan.registry.ModelInfo`), never from model code: the checker
shares inputs (the geography, the scenario, :mod:`clusterplan.measures`) with the models, and no code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from os import PathLike
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd

from . import governance, measures, registry
from .errors import CheckError, count_of
from .geography import Geography
from .metrics import management_costs, metric_id, plan_metrics, scenario_floors
from .scenario import Scenario, centre_ids, district_names, locked_centres, policy_groups


@dataclass
class Context:
    """What the rules look at: the plan's assignment, and facts recomputed from the raw inputs."""

    geo: Geography
    scn: Scenario
    model: str                     # the scenario's model: which rules apply (its registry entry, ``info``)
    assign: pd.Series              # area -> centre
    cluster: pd.Series             # area -> cluster ('' where none)
    facilities: pd.DataFrame       # id -> name, home_area, district
    minutes: pd.DataFrame          # areas x facilities
    reported_objective: float | None
    reach: pd.Series               # centre -> children (recomputed)
    centres: pd.DataFrame | None = None   # the plan's centres table, as stated (centres.csv)
    spokes: pd.DataFrame | None = None    # family hubs: the plan's spokes table (spokes.csv)
    service: pd.Series | None = None      # family hubs: area -> service point
    service_minutes: pd.Series | None = None
    lots: pd.DataFrame | None = None      # tender: the plan's lots (lots.csv)
    bundles: pd.DataFrame | None = None   # tender: the plan's market bundles (bundles.csv)

    @property
    def info(self) -> registry.ModelInfo:
        return registry.info(self.model)


def _facilities(geo: Geography, scn: Scenario, model: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    which = registry.facilities_of(model, scn.sites, scn.hubs.candidates)
    return measures.facilities(geo, which), measures.facility_minutes(geo, which)


def _cut_off(graph: nx.Graph, areas, home) -> list[str]:
    """The checker's own reading of contiguity: the areas of a catchment not joined to its centre's home area
    through the catchment (sorted; empty when the catchment with its home is one connected piece)."""
    nodes = set(areas) | {home}
    sub = graph.subgraph(nodes)
    joined = nx.node_connected_component(sub, home) if home in sub else set()
    return sorted(str(a) for a in nodes - joined)


def rule_every_area_once(c: Context) -> list[str]:
    """No gaps, no duplicates, no unknown areas or centres."""
    out = []
    missing = sorted(set(c.geo.areas.index) - set(c.assign.index))
    if missing:
        out.append(f"{len(missing)} area(s) have no centre (a gap): {missing[:10]}")
    if c.assign.index.duplicated().any():
        out.append(f"area(s) assigned more than once: {sorted(set(c.assign.index[c.assign.index.duplicated()]))[:10]}")
    unknown_a = sorted(set(c.assign.index) - set(c.geo.areas.index))
    if unknown_a:
        out.append(f"unknown area code(s) in the plan: {unknown_a[:10]}")
    unknown_c = sorted(set(c.assign) - set(c.facilities.index))
    if unknown_c:
        out.append(f"unknown centre(s) in the plan: {unknown_c[:10]}")
    # the reach floors are sums of these: a NaN compares false with every floor, so it would pass unseen
    u = pd.to_numeric(c.geo.areas["under5"], errors="coerce").to_numpy(dtype=float)
    odd = sorted(map(str, c.geo.areas.index[~(np.isfinite(u) & (u >= 0))]))   # whole columns: the chain checks often
    if odd:
        out.append(f"{len(odd)} area(s) with no count of children under five >= 0, so no reach can be verified: "
                   f"{odd[:10]}")
    return out


def rule_centres_table(c: Context) -> list[str]:
    """The centres table (centres.csv, the table a cabinet paper quotes) states what the assignment does: one row
    per centre; a centre serving areas is kept (or new) with the recomputed reach, area count and cluster; a centre
    serving none is not called kept, and an amalgamated one names a kept centre it merges into; with today's centres
    (status quo, amalgamate, cluster) every located centre has its row."""
    t = c.centres
    if t is None or len(t.columns) == 0:  # a plan that states no centres table (e.g. a sampled ensemble plan)
        return []
    if not len(t) or "centre" not in t.columns:
        return ["the centres table is empty or has no 'centre' column"]
    out = []
    ids = t["centre"].astype(str)
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        out.append(f"centre(s) listed more than once in the centres table: {dup[:10]}")
    serving = set(map(str, c.reach.index))
    missing = sorted(serving - set(ids))
    if missing:
        out.append(f"{len(missing)} centre(s) serving areas have no row in the centres table: {missing[:10]}")
    if c.info.uses_todays_centres and not (c.info.spokes and c.scn.hubs.candidates == "sites"):
        absent = sorted(set(map(str, c.facilities.index)) - set(ids))
        if absent:
            out.append(f"{len(absent)} centre(s) of the geography have no row in the centres table: {absent[:10]}")
    n_areas = c.assign.value_counts()
    clusters = pd.DataFrame({"centre": c.assign.to_numpy(), "cluster": c.cluster.to_numpy()}).drop_duplicates()
    cluster_of = clusters.groupby("centre")["cluster"].agg(lambda s: "|".join(sorted(set(s))))
    for _, row in t.iterrows():
        j = str(row["centre"])
        label = f"{row.get('name', j)} [{j}]"
        status = str(row.get("status", ""))
        stated_name = c.facilities.at[j, "name"] if j in c.facilities.index else None
        if isinstance(stated_name, str) and "name" in t.columns and str(row["name"]) != stated_name:
            out.append(f"{label}: the centres table names it {row['name']!r}; the inputs say "
                       f"{c.facilities.at[j, 'name']!r}")
        if j in serving:
            if status not in ("kept", "new"):
                out.append(f"{label} serves {int(n_areas[j])} area(s) but the centres table says {status!r}")
            if "reach" in t.columns and _num(row["reach"]) != float(c.reach[j]):
                out.append(f"{label}: the centres table says reach {row['reach']}; its catchment holds "
                           f"{float(c.reach[j]):g} children")
            if "areas" in t.columns and _num(row["areas"]) != float(n_areas[j]):
                out.append(f"{label}: the centres table says {row['areas']} areas; it serves {int(n_areas[j])}")
            if "cluster" in t.columns and _text(row["cluster"]) != cluster_of.get(j, ""):
                out.append(f"{label}: the centres table says cluster {_text(row['cluster'])!r}; its areas say "
                           f"{cluster_of.get(j, '')!r}")
        else:
            if status in ("kept", "new"):
                out.append(f"{label} is listed as {status} but serves no area")
            if status == "amalgamated" and "merged_into" in t.columns and _text(row["merged_into"]) not in serving:
                out.append(f"{label} is amalgamated into {_text(row['merged_into'])!r}, which is not a kept centre "
                           "of this plan")
        if len(out) > 50:
            break
    return out


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else str(v)


def rule_reach(c: Context) -> list[str]:
    """Reach floor and ceiling per kept centre (for models with a floor: not the status quo)."""
    if not c.info.reach_floor:
        return []
    out = []
    floor = c.scn.floor
    for j, r in c.reach.items():
        if r < floor:
            out.append(f"{c.facilities.at[j, 'name']} [{j}] reaches {r:g} children, below the floor "
                       f"{floor:g}")
        if c.scn.reach.max is not None and r > c.scn.reach.max:
            out.append(f"{c.facilities.at[j, 'name']} [{j}] reaches {r:g} children, above the ceiling "
                       f"{c.scn.reach.max:g}")
    return out


def rule_contiguity(c: Context) -> list[str]:
    """Each catchment together with its centre's home area is connected in the corridor graph, and holds the home
    area unless another kept centre sharing that home area holds it."""
    out = []
    g = c.geo.corridors
    for j, areas in c.assign.groupby(c.assign).groups.items():
        home = c.facilities.at[j, "home_area"]
        apart = _cut_off(g, list(areas), home)
        if apart:
            out.append(f"catchment of {c.facilities.at[j, 'name']} [{j}] is not connected along the corridors: "
                       f"{count_of(len(apart), 'area is', 'areas are')} cut off from its home area {home} "
                       f"({', '.join(apart[:10])}{' ...' if len(apart) > 10 else ''})")
        holder = c.assign.get(home)
        if holder != j and (holder is None or c.facilities.at[holder, "home_area"] != home):
            out.append(f"{c.facilities.at[j, 'name']} [{j}] does not serve its home area {home}")
    if c.info.one_per_area:
        homes = c.facilities.loc[list(c.reach.index), "home_area"]
        dup = homes[homes.duplicated()]
        if len(dup):
            out.append(f"more than one new centre in area(s) {sorted(set(dup))[:10]}")
    return out


def rule_locks_and_counts(c: Context) -> list[str]:
    """Centres locked open or closed, total and per-district counts, catchments within districts."""
    if c.info.every_centre_serves:
        missing = sorted(set(c.facilities.index) - set(c.reach.index))
        if missing:
            return [f"status quo: centre(s) serve no area: {missing}"]
    if not c.info.counts:
        return []
    out = []
    cs = c.scn.centres
    kept = set(c.reach.index)
    if c.info.locks:
        keep, close = locked_centres(c.scn, c.geo.centres)
        for j in keep:
            if j not in kept:
                out.append(f"{c.facilities.at[j, 'name']} [{j}] is locked open but not kept")
        for j in close:
            if j in kept:
                out.append(f"{c.facilities.at[j, 'name']} [{j}] is locked closed but kept")
    out += count_violations(len(kept), "centres kept", cs.count, cs.min_count, cs.max_count)
    districts = sorted(c.geo.areas["district"].unique())
    for d, k in district_names(cs.per_district, districts, "centres.per_district").items():
        got = int((c.facilities.loc[list(kept), "district"] == d).sum())
        if got != k:
            out.append(f"{got} centres kept in {d}; the scenario asks for {k}")
    nest = cs.nest
    if nest is not None and cs.cross_boundary_cost is None:
        g = measures.area_groups(c.geo, nest, "centres.nest_in")
        bad = [i for i, j in c.assign.items() if g[i] != g[c.facilities.at[j, "home_area"]]]
        if bad:
            out.append(f"{len(bad)} area(s) served from another {nest}, e.g. {bad[:5]}")
    if cs.school_sites == "keep" and c.info.locks:
        for j in governance.school_site_centres(governance.centre_governance(c.geo)):
            if j in c.facilities.index and j not in kept:
                out.append(f"{c.facilities.at[j, 'name']} [{j}] is on a school site (centres.school_sites: keep) "
                           "but not kept")
    return out


def count_violations(n: int, noun: str, count: int | None, min_count: int | None,
                     max_count: int | None) -> list[str]:
    """How ``n`` (of ``noun``) breaks an exact count or a range, in words."""
    out = []
    if count is not None and n != count:
        out.append(f"{n} {noun}; the scenario asks for exactly {count}")
    if min_count is not None and n < min_count:
        out.append(f"{n} {noun}; the scenario asks for at least {min_count}")
    if max_count is not None and n > max_count:
        out.append(f"{n} {noun}; the scenario asks for at most {max_count}")
    return out


def rule_travel(c: Context) -> list[str]:
    """No child is farther than ``travel.max_minutes`` from their centre."""
    limit = c.scn.travel.max_minutes
    if limit is None or not c.info.travel_limit:
        return []
    t = pd.Series([c.minutes.at[i, j] for i, j in c.assign.items()], index=c.assign.index)
    far = t[t > limit + 1e-9]
    return [f"area {i} is {m:.1f} minutes from its centre, beyond the limit {limit:g}" for i, m in far.items()][:20]


def rule_objective(c: Context) -> list[str]:
    """The reported objective equals the one recomputed from the assignment."""
    if c.reported_objective is None or c.info.objective is None or "cluster" in c.scn.stages:
        return []
    cs = c.scn.centres
    fixed = cs.fixed_cost if c.info.objective == "child_minutes_fixed" else 0.0
    obj = measures.plan_objective(pd.DataFrame({"area": c.assign.index, "centre": c.assign.to_numpy()}), c.geo.areas,
                         c.minutes, c.scn.deprivation.weight, fixed)
    if c.info.objective == "child_minutes_fixed":
        if cs.nest is not None and cs.cross_boundary_cost:   # children served across the nesting boundary
            g = measures.area_groups(c.geo, cs.nest, "centres.nest_in")
            home = c.facilities["home_area"]
            across = [i for i, j in c.assign.items() if g[i] != g[home[j]]]
            obj += cs.cross_boundary_cost * float(c.geo.areas.loc[across, "under5"].sum())
        if cs.transfer_cost and c.info.locks:                 # school-site centres closed
            school = governance.school_site_centres(governance.centre_governance(c.geo))
            closed = [j for j in school if j in c.facilities.index and j not in set(c.reach.index)]
            obj += cs.transfer_cost * len(closed)
    if abs(obj - c.reported_objective) > 1e-6 * max(1.0, abs(obj)):
        return [f"reported objective {c.reported_objective:.6f} differs from the recomputed {obj:.6f}"]
    return []


def rule_clusters(c: Context) -> list[str]:
    """Every kept centre in exactly one cluster; cluster count, reach, connectivity, phase-1 and district rules."""
    if not c.info.clusters and "cluster" not in c.scn.stages:
        return []
    out = []
    per_centre = pd.DataFrame({"centre": c.assign, "cluster": c.cluster}).drop_duplicates()
    multi = per_centre["centre"][per_centre["centre"].duplicated()]
    if len(multi):
        out.append(f"centre(s) in more than one cluster: {sorted(set(multi))}")
    if (per_centre["cluster"] == "").any():
        out.append(f"centre(s) in no cluster: {sorted(per_centre.loc[per_centre['cluster'] == '', 'centre'])}")
    of = per_centre.drop_duplicates("centre").set_index("centre")["cluster"]
    cc = c.scn.clusters
    out += count_violations(of.nunique(), "clusters", cc.count, cc.min_count, cc.max_count)
    lifted = measures.centre_graph(c.geo.corridors, c.assign)
    phase = measures.phases(c.geo, c.assign, cc.phase1_share)
    for name, members in of.groupby(of).groups.items():
        members = list(members)
        reach = float(c.reach.reindex(members).sum())
        if cc.min_reach is not None and reach < cc.min_reach:
            out.append(f"cluster {name} reaches {reach:g} children, below {cc.min_reach:g}")
        if cc.max_reach is not None and reach > cc.max_reach:
            out.append(f"cluster {name} reaches {reach:g} children, above {cc.max_reach:g}")
        pieces = sorted(sorted(map(str, p)) for p in nx.connected_components(lifted.subgraph(members)))
        if len(pieces) > 1:
            out.append(f"cluster {name} is not connected through adjacent catchments: its centres fall into "
                       f"{len(pieces)} pieces (" + "; ".join(", ".join(p) for p in pieces) + ")")
        if cc.require_phase1 and not any(phase[j] == 1 for j in members):
            out.append(f"cluster {name} has no phase-1 centre")
    return out + _cluster_rules(c, of, phase)


def _cluster_rules(c: Context, of: pd.Series, phase: pd.Series) -> list[str]:
    """The review's cluster rules: who leads (the cluster is named by its lead), the phase mix, nesting in an area
    grouping, school-led centres per cluster, partners together and named centres apart."""
    cc = c.scn.clusters
    out = []
    gov = governance.centre_governance(c.geo)
    home = c.facilities["home_area"]
    nest = cc.nest
    where_col = nest or "district"
    groups = measures.area_groups(c.geo, where_col, "clusters.nest_in")
    where = {j: groups[home[j]] for j in of.index}
    for lead, members in of.groupby(of).groups.items():
        members = list(members)
        name = f"cluster {lead}"
        if lead not in members:
            out.append(f"{name} is named for a centre that is not one of its members")
            continue
        if cc.lead_rule == "phase1" and phase[lead] != 1:
            out.append(f"{name}: its lead is phase {phase[lead]}, not phase 1 (clusters.lead: phase1)")
        if cc.lead_rule == "partners" and gov.at[lead, "lead_partner"] not in cc.lead_partners:
            out.append(f"{name}: its lead's partner is {gov.at[lead, 'lead_partner']}, not one of "
                       f"{cc.lead_partners}")
        for p in cc.phases:
            has_p = any(phase[j] == p for j in of.index if where[j] == where[lead])
            if has_p and not any(phase[j] == p for j in members):
                out.append(f"{name} holds no phase-{p} centre though its {where_col} {where[lead]!r} has one")
        if nest is not None and cc.cross_boundary_cost is None:
            other = sorted({where[j] for j in members} - {where[lead]})
            if other:
                out.append(f"{name} crosses from {nest} {where[lead]!r} into {other}")
        if cc.max_school_led is not None:
            led = [j for j in members if bool(gov.at[j, "school_led"])]
            if len(led) > cc.max_school_led:
                out.append(f"{name} holds {len(led)} school-led centres ({', '.join(led)}); at most "
                           f"{cc.max_school_led}")
    sets = [(f"clusters.together[{n}]", centre_ids(names, c.geo.centres, "clusters.together"))
            for n, names in enumerate(cc.together)]
    if cc.keep_partnerships:
        sets += [(f"partnership {label!r}", ids) for label, ids in governance.partnerships(gov).items()]
    for label, ids in sets:
        held = {of[j] for j in ids if j in of.index}
        if len(held) > 1:
            out.append(f"{label}: its centres are split across clusters {sorted(held)}")
    for n, names in enumerate(cc.apart):
        ids = [j for j in centre_ids(names, c.geo.centres, "clusters.apart") if j in of.index]
        held = pd.Series([of[j] for j in ids], index=ids)
        for lead, grp in held.groupby(held):
            if len(grp) > 1:
                out.append(f"clusters.apart[{n}]: {', '.join(grp.index)} share cluster {lead}")
    return out


def rule_hubs(c: Context) -> list[str]:
    """Family hubs: hub counts, locks and districts; every open spoke a candidate of the scenario, attached to one
    hub of the plan and inside its catchment (or within ``spokes.attach_minutes`` of it); each area's service point
    its hub or a spoke of its hub, at the stated minutes; every area within ``spokes.max_minutes`` of it (with
    coverage ``require``) unless no hub or spoke candidate at all is that near; spoke counts and locks; the budget;
    ``spokes.require_bus``; and the objective, recomputed."""
    if not c.info.spokes:
        return []
    scn, geo = c.scn, c.geo
    out: list[str] = []
    hubs = set(c.reach.index)
    h = scn.hubs
    out += count_violations(len(hubs), "hubs", h.count, h.min_count, h.max_count)
    districts = sorted(geo.areas["district"].unique())
    for d, k in district_names(h.per_district, districts, "hubs.per_district").items():
        got = int((c.facilities.loc[list(hubs), "district"] == d).sum())
        if got != k:
            out.append(f"{got} hubs in {d}; the scenario asks for {k}")
    places = c.facilities.assign(located=True)
    shut_hubs = centre_ids(h.close, places, "hubs.close")
    for j in centre_ids(h.keep, places, "hubs.keep"):
        if j not in hubs:
            out.append(f"{c.facilities.at[j, 'name']} [{j}] must be a hub (hubs.keep) but is not")
    for j in shut_hubs:
        if j in hubs:
            out.append(f"{c.facilities.at[j, 'name']} [{j}] may not be a hub (hubs.close) but is")
    if h.within_district:
        bad = [i for i, j in c.assign.items() if geo.areas.at[i, "district"] != c.facilities.at[j, "district"]]
        if bad:
            out.append(f"{len(bad)} area(s) in a hub catchment of another district, e.g. {bad[:5]}")
    sk = scn.spokes
    cands = measures.spoke_candidates(geo, sk.candidates)
    table = cands.assign(located=True)
    shut_spokes = centre_ids(sk.close, table, "spokes.close") if sk.close else []
    sp = c.spokes if c.spokes is not None else pd.DataFrame(columns=["spoke", "hub"])
    ids = sp["spoke"].astype(str) if len(sp) else pd.Series([], dtype=str)
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        out.append(f"spoke(s) listed more than once: {dup[:10]}")
    unknown = sorted(set(ids) - set(cands.index))
    if unknown:
        return out + [f"spoke(s) that are not candidates of spokes.candidates: {unknown[:10]}"]
    hub_of = dict(zip(ids, sp["hub"].astype(str), strict=True)) if len(sp) else {}
    smin = measures.spoke_minutes(geo, cands.loc[sorted(hub_of)]) if hub_of else pd.DataFrame(index=geo.areas.index)
    for s, hb in hub_of.items():
        label = f"spoke {cands.at[s, 'name']} [{s}]"
        if hb not in hubs:
            out.append(f"{label} is attached to {hb!r}, which is not a hub of this plan")
            continue
        mine = c.assign.index[c.assign == hb]
        if cands.at[s, "home_area"] not in set(mine):
            gap = float(smin.loc[mine, s].min())
            if gap > sk.attach_minutes + 1e-9:
                out.append(f"{label} lies outside the catchment of its hub {hb} and {gap:.1f} minutes from its "
                           f"nearest area, beyond spokes.attach_minutes ({sk.attach_minutes:g})")
        if (cands.at[s, "source"] == "centres" and cands.at[s, "centre"] in hubs) or s in hubs:
            out.append(f"{label} is a hub building")
    if len(sp) and {"x", "y"} <= set(sp.columns):
        stated = sp.set_index(ids.to_numpy())[["x", "y"]].apply(pd.to_numeric, errors="coerce")
        off = (stated - cands.loc[stated.index, ["x", "y"]].to_numpy(float)).abs().max(axis=1)
        moved = sorted(off.index[~(off <= 1.0)])
        if moved:
            out.append(f"spokes.csv places spoke(s) {moved[:5]} away from where the inputs put them")
    n_sp = len(hub_of)
    out += count_violations(n_sp, "spokes", sk.count, None, sk.max_count)
    for s in centre_ids(sk.keep, table, "spokes.keep") if sk.keep else []:
        if s not in hub_of:
            out.append(f"{cands.at[s, 'name']} [{s}] must be a spoke (spokes.keep) but is not open")
    for s in shut_spokes:
        if s in hub_of:
            out.append(f"{cands.at[s, 'name']} [{s}] may not be a spoke (spokes.close) but is open")
    cost = h.cost * len(hubs) + sk.cost * n_sp
    if scn.budget is not None and cost > scn.budget + 1e-6:
        out.append(f"hubs and spokes cost {cost:,.0f} pounds a year, above the budget {scn.budget:,.0f}")
    # service points
    if c.service is None:
        return out + ["the plan states no service point per area (assignment column service_point)"]
    hub_min = c.minutes
    t = {}
    for i, q in c.service.items():
        hb = c.assign[i]
        if q == hb:
            t[i] = float(hub_min.at[i, q])
        elif q in hub_of and hub_of[q] == hb:
            t[i] = float(smin.at[i, q])
        else:
            out.append(f"area {i} uses service point {q!r}, neither its hub {hb} nor a spoke of it")
            if len(out) > 50:
                return out
    if c.service_minutes is not None:
        for i, m in t.items():
            if abs(float(c.service_minutes[i]) - m) > 1e-3:
                out.append(f"area {i}: the plan says {c.service_minutes[i]} minutes to its service point; "
                           f"recomputed {m:.4f}")
                break
    if sk.coverage == "require":
        all_min = pd.concat([hub_min[[j for j in hub_min.columns if j not in shut_hubs]],
                             measures.spoke_minutes(geo, cands.drop(index=shut_spokes))], axis=1)
        reachable = all_min.min(axis=1) <= sk.max_minutes
        far = [i for i, m in t.items() if m > sk.max_minutes + 1e-9 and reachable[i]]
        if far:
            out.append(f"{len(far)} area(s) are beyond {sk.max_minutes:g} minutes of their service point though a "
                       f"candidate is within it, e.g. {far[:5]}")
    if sk.require_bus:
        served = measures.bus_served(geo, sk.bus_min_calls)
        no_bus = served.eq(False).fillna(False)
        dep = measures.deprived_under5(geo.areas)
        pts = pd.concat([measures.facility_points(geo, sorted(hubs)), cands.loc[sorted(hub_of), ["x", "y"]]])
        allp = pd.concat([measures.facility_points(geo, [j for j in c.facilities.index if j not in shut_hubs]),
                          cands.loc[[s for s in cands.index if s not in shut_spokes], ["x", "y"]]])
        d_plan = measures.nearest_metres(geo, pts)
        d_any = measures.nearest_metres(geo, allp)
        bad = [i for i in geo.areas.index if dep[i] > 0 and no_bus[i] and d_plan[i] > measures.NEAR_METRES
               and d_any[i] <= measures.NEAR_METRES]
        if bad:
            out.append(f"{len(bad)} deprived area(s) without a bus service are farther than 2.5 km from every "
                       f"service point: {bad[:5]}")
    if c.reported_objective is not None and not out:
        w = measures.child_weights(geo.areas, scn.deprivation.weight)
        travel = sum(float(w[i]) * m for i, m in t.items())
        tie = sum(float(w[i]) * float(hub_min.at[i, j]) for i, j in c.assign.items())
        obj = travel + HUB_TIE * tie + scn.cost_weight * cost
        if abs(obj - c.reported_objective) > 1e-6 * max(1.0, abs(obj)):
            out.append(f"reported objective {c.reported_objective:.6f} differs from the recomputed {obj:.6f}")
    return out


#: The hubs objective's weight on child-minutes to the hub itself (stated in the model's documentation).
HUB_TIE = 0.001


def rule_bundles(c: Context) -> list[str]:
    """Market bundles: each a set of 2 to ``tender.bundle_max_lots`` distinct lots of the plan, connected through
    touching catchments (a corridor link between their areas), worth (the sum of its lots' values) at most the cap,
    and listed once."""
    b = c.bundles
    if b is None or not len(b.columns):
        return []
    t = c.scn.tender
    if t.bundle_max_lots is None:
        return [] if not len(b) else ["the plan lists market bundles the scenario did not ask for"]
    lots = c.lots if c.lots is not None else pd.DataFrame(columns=["centre", "value"])
    value = dict(zip(lots["centre"].astype(str), lots["value"].astype(float), strict=True))
    touching = measures.centre_graph(c.geo.corridors, c.assign)
    out, seen = [], set()
    for _, row in b.iterrows():
        ids = [x.strip() for x in str(row["centres"]).split(";") if x.strip()]
        key = frozenset(ids)
        name = f"bundle {row['bundle']}"
        if key in seen or len(key) != len(ids):
            out.append(f"{name} repeats a bundle or a lot")
        seen.add(key)
        unknown = [j for j in ids if j not in value]
        if unknown:
            out.append(f"{name}: {unknown} are not lots of the plan")
            continue
        if not 2 <= len(ids) <= t.bundle_max_lots:
            out.append(f"{name} holds {len(ids)} lots; bundles hold 2 to {t.bundle_max_lots}")
        if not all(j in touching for j in ids) or not nx.is_connected(touching.subgraph(ids)):
            out.append(f"{name} ({'; '.join(ids)}) is not a connected set of touching catchments")
        worth = sum(value[j] for j in ids)
        if worth > t.bundle_cap + 0.01:
            out.append(f"{name} is worth {worth:,.2f}, above the cap {t.bundle_cap:,.2f} pounds per year")
        if abs(float(row["value"]) - worth) > 0.01 * len(ids):
            out.append(f"{name} states {float(row['value']):,.2f}; its lots are worth {worth:,.2f}")
    return out[:50]


RULES: list[Callable[[Context], list[str]]] = [rule_every_area_once, rule_centres_table, rule_reach, rule_contiguity,
                                               rule_locks_and_counts, rule_travel, rule_objective, rule_clusters,
                                               rule_hubs, rule_bundles]


def _given(plan, geography) -> None:
    """A TypeError naming what :func:`check` takes, where it is given something else (a folder's path, a table)."""
    if isinstance(plan, str | PathLike):
        raise TypeError(f"check: {str(plan)!r} is a path; clusterplan.check_dir(path) checks a plan folder")
    if not all(hasattr(plan, k) for k in ("assignment", "centres", "model", "report")):
        raise TypeError(f"check: expected a plan (clusterplan.solve, clusterplan.read_plan), not "
                        f"{type(plan).__name__}")
    if not isinstance(geography, Geography):
        raise TypeError(f"check: geography must be a clusterplan Geography (clusterplan.datasets.norfolk(), "
                        f"Geography.from_files(...)), not {type(geography).__name__}")


def check(plan, geography: Geography, scenario: Scenario | dict | None = None, *,
          raise_on_violation: bool = False) -> list[str]:
    """Every violation of ``plan`` against ``scenario`` (empty list: the plan is valid).

    With ``raise_on_violation`` a violation raises :class:`CheckError` listing them all.
    """
    _given(plan, geography)
    scn = Scenario.from_dict(scenario if scenario is not None else {"model": plan.model})
    if scn.policies:
        return _check_policies(plan, geography, scn, raise_on_violation)
    fac, minutes = _facilities(geography, scn, plan.model)
    a = plan.assignment
    assign = pd.Series(a["centre"].astype(str).to_numpy(), index=a["area"].astype(str).to_numpy())
    clus = pd.Series(a["cluster"].fillna("").astype(str).to_numpy(), index=assign.index)
    known = assign[assign.index.isin(geography.areas.index)]
    reach = geography.areas["under5"].reindex(known.index).groupby(known.to_numpy()).sum()
    # Facilities (and minutes) are those of the plan's model; the rules are those of the scenario checked against.
    service = minutes_stated = None
    if "service_point" in a.columns:
        service = pd.Series(a["service_point"].astype(str).to_numpy(), index=assign.index)
        if "service_minutes" in a.columns:
            minutes_stated = pd.Series(a["service_minutes"].to_numpy(), index=assign.index)
    ctx = Context(geography, scn, scn.model, assign, clus, fac, minutes, plan.report.objective, reach,
                  centres=plan.centres, spokes=getattr(plan, "spokes", None), service=service,
                  service_minutes=minutes_stated, lots=getattr(plan, "lots", None),
                  bundles=getattr(plan, "bundles", None))
    structural = rule_every_area_once(ctx)
    violations = structural + ([] if structural else [v for rule in RULES[1:] for v in rule(ctx)])
    if violations and raise_on_violation:
        raise CheckError(violations)
    return violations


def _check_policies(plan, geo: Geography, scn: Scenario, raise_on_violation: bool) -> list[str]:
    """A per-district plan: every area once overall, then each district group against its own policy, on its own
    part of the geography (split by the areas' districts, not by anything the solver reported)."""
    a = plan.assignment
    violations = []
    missing = sorted(set(geo.areas.index) - set(a["area"]))
    if missing:
        violations.append(f"{len(missing)} area(s) have no centre (a gap): {missing[:10]}")
    if a["area"].duplicated().any():
        violations.append("area(s) assigned more than once")
    district = geo.areas["district"]
    for key, districts in policy_groups(sorted(district.unique()), scn.policies):
        sub_scn = scn.for_policy(key) if key in scn.policies else Scenario.from_dict(
            {**scn.model_dump(mode="json", exclude={"policies"}), "name": key})
        rows = a[a["area"].map(district).isin(districts)]
        cen = plan.centres
        if "policy" in cen.columns:
            cen = cen[cen["policy"].astype(str) == key]
        part = SimpleNamespace(model=sub_scn.model, scenario_name=key, assignment=rows, centres=cen,
                               report=replace(plan.report, objective=None))
        part_geo = geo.subset(districts)
        violations += [f"{key}: {v}" for v in check(part, part_geo, _part_scenario(scn, key, sub_scn, geo, part_geo))]
    if violations and raise_on_violation:
        raise CheckError(violations)
    return violations


def _part_scenario(scn: Scenario, key: str, sub: Scenario, geo: Geography, part_geo: Geography) -> Scenario:
    """Policy ``key``'s scenario ``sub`` with the whole scenario's locks (``centres.keep`` / ``close``, which the
    policy does not set itself) narrowed to the centres of its part, and its ``centres.per_district`` to the part's
    districts: each holds in the part that holds its centre or district. A policy's own are left as given."""
    own = (scn.policies.get(key) or {}).get("centres") or {}
    narrowed: dict = {}
    if sub.centres.per_district and "per_district" not in own:   # the whole scenario's: each part's districts
        every = sorted(geo.areas["district"].unique())
        mine = set(part_geo.areas["district"])
        narrowed["per_district"] = {d: k for d, k in district_names(sub.centres.per_district, every,
                                                                    "centres.per_district").items() if d in mine}
    for field in ("keep", "close"):
        names = getattr(sub.centres, field)
        if names and field not in own:
            narrowed[field] = [j for j in centre_ids(names, geo.centres, f"centres.{field}")
                               if j in part_geo.centres.index]
    return sub.model_copy(update={"centres": sub.centres.model_copy(update=narrowed)}) if narrowed else sub


# ---------------------------------------------------------------------- what a written plan folder states
#: Metrics that need today's catchments (a solve) to recompute; ``check_written`` leaves them to the plan's manifest.
NEEDS_STATUS_QUO = ("areas_changing_centre", "children_changing_centre", "centres_today", "centres_below_floor_today")


def check_written(plan, geography: Geography, scenario: Scenario) -> list[str]:
    """Every figure a plan folder states beyond its assignment, recomputed from the assignment and the inputs:
    ``metrics.json`` (all but the change counts, which need today's catchments), ``lots.csv`` (the funding formula)
    and ``clusters.csv`` (centres and reach per cluster). Returns the differences in words; where the assignment does
    not place every area exactly once (which :func:`check` reports) nothing is recomputed from it, and it says so."""
    out = []
    scn = scenario
    areas = plan.assignment["area"].astype(str)
    if areas.duplicated().any() or set(areas) != set(map(str, geography.areas.index)):
        # a gap or a repeat makes every recomputed figure wrong (a NaN, or an area counted twice): say so once
        return ["metrics.json, lots.csv and clusters.csv not recomputed: the assignment does not place every area "
                "of the geography exactly once"]
    if plan.metrics:
        try:
            again = plan_metrics(plan, geography, weight=scn.deprivation.weight, floor=scenario_floors(scn, geography),
                                 management_cost=management_costs(scn, geography), sites=scn.sites,
                                 bus_min_calls=scn.spokes.bus_min_calls, network_costs=scn.network_costs())
        except (KeyError, ValueError, TypeError) as exc:   # e.g. a centre the inputs do not hold (said above)
            return [f"metrics.json cannot be recomputed from the plan: {exc.args[0] if exc.args else exc}"]
        again["solver_status"] = plan.report.status
        if len(plan.lots):
            again["lots"] = int(len(plan.lots))
        if len(plan.bundles.columns):
            again["market_bundles"] = int(len(plan.bundles))
        for shown, stated in plan.metrics.items():
            key = metric_id(shown)  # older folders keyed metrics by their labels
            if key in NEEDS_STATUS_QUO or key in ("gap", "vcs_accessible_lots") or (
                    key == "reach_floor" and shown != key):
                continue
            if key == "network_cost_gbp" and key not in again and _same(stated, 0):
                continue   # folders written before 2026-12-06 priced a network of no stated cost at 0
            if key not in again:
                out.append(f"metrics.json: {shown!r} is not a metric of this plan")
            elif not _same(stated, again[key]):
                out.append(f"metrics.json: {shown} is {stated!r}; recomputed from the plan: {again[key]!r}")
    out += _check_lots(plan, geography, scn)
    out += _check_clusters(plan, geography)
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b))) + 0.005
    return str(a) == str(b)


def _check_lots(plan, geo: Geography, scn: Scenario) -> list[str]:
    """lots.csv against the funding formula value = budget x (reach + u x deprived) / total, per policy group."""
    lots = plan.lots
    if not len(lots):
        return ["the scenario has a tender stage but the plan has no lots"] if "tender" in scn.stages else []
    a = plan.assignment
    under5 = geo.areas["under5"].reindex(a["area"]).to_numpy()
    dep = measures.deprived_under5(geo.areas).reindex(a["area"]).to_numpy()
    reach = pd.Series(under5, index=a["centre"].astype(str).to_numpy()).groupby(level=0).sum()
    deprived = pd.Series(dep, index=a["centre"].astype(str).to_numpy()).groupby(level=0).sum()
    groups = lots.groupby(lots["policy"].astype(str)) if "policy" in lots.columns else [(None, lots)]
    out = []
    for key, grp in groups:
        tender = (scn.for_policy(key) if key in scn.policies else scn).tender
        ids = grp["centre"].astype(str)
        dup = sorted(set(ids[ids.duplicated()]))
        if dup:
            out.append(f"lots.csv: centre(s) in more than one lot: {dup}")
        unknown = sorted(set(ids) - set(reach.index))
        if unknown:
            out.append(f"lots.csv: lot(s) for centre(s) that serve no area: {unknown[:10]}")
            continue
        weight = reach[ids].to_numpy() + tender.deprivation_uplift * deprived[ids].to_numpy()
        total = float(weight.sum())
        for (_, row), w in zip(grp.iterrows(), weight, strict=True):
            where = f"lots.csv: {row.get('lot', '')} ({row['centre']})"
            if "reach" in grp.columns and _num(row["reach"]) != float(reach[str(row["centre"])]):
                out.append(f"{where}: reach {row['reach']}, recomputed {float(reach[str(row['centre'])]):g}")
            if "share" in grp.columns and total > 0 and abs(_num(row["share"]) - w / total) > 1e-6:
                out.append(f"{where}: share {row['share']}, recomputed {w / total:.6f}")
            if tender.budget is not None and total > 0 and "value" in grp.columns:
                value = tender.budget * w / total
                if not abs(_num(row["value"]) - value) <= 0.01:
                    out.append(f"{where}: value {row['value']}, recomputed {value:.2f} pounds per year")
        if len(out) > 50:
            break
    return out


def _check_clusters(plan, geo: Geography) -> list[str]:
    """clusters.csv: each cluster's centres and reach as its areas say."""
    cl = plan.clusters
    if not len(cl) or "cluster" not in cl.columns:
        return []
    a = plan.assignment
    under5 = geo.areas["under5"].reindex(a["area"]).to_numpy()
    by = pd.DataFrame({"cluster": a["cluster"].astype(str).to_numpy(), "centre": a["centre"].astype(str).to_numpy(),
                       "under5": under5})
    reach = by.groupby("cluster")["under5"].sum()
    count = by.groupby("cluster")["centre"].nunique()
    out = []
    for _, row in cl.iterrows():
        k = str(row["cluster"])
        if k not in reach.index:
            out.append(f"clusters.csv: cluster {k!r} has no area in the plan")
            continue
        if "reach" in cl.columns and _num(row["reach"]) != float(reach[k]):
            out.append(f"clusters.csv: cluster {k!r} reach {row['reach']}, recomputed {float(reach[k]):g}")
        if "centres" in cl.columns and _num(row["centres"]) != float(count[k]):
            out.append(f"clusters.csv: cluster {k!r} has {row['centres']} centres, recomputed {int(count[k])}")
    return out
