"""Reports a councillor can read: a self-contained HTML page and an Excel workbook for one plan.

The HTML opens offline (maps embedded as PNG): a plain-English summary first, what changes for families, each
closing centre with the centre receiving its children and why, labelled maps (today beside the plan), every centre
with human column names and units, how sure the optimiser is, a glossary, and the data sources with the travel
model's stated error. The workbook holds the same tables as typed numbers with formatted headers, frozen panes,
filters and widths. This module leaves matplotlib's backend alone (so notebooks show figures inline); the command
line chooses the non-interactive Agg backend for itself.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import governance, registry
from .cells import FORMULA_START
from .datasets import ATTRIBUTION, attribution
from .errors import count_of, percent
from .geography import Geography, rural_flags, unit_doubt
from .maps import SOURCE, as_count, before_after, bundle_map, change_map, format_value, plan_map, short_name  # noqa: F401
from .measures import DEPRIVED_IDACI, KNIFE_EDGE, NEAR_METRES, assigned_minutes, deprived_under5, nearest_metres
from .metrics import (
    beyond_2_5km,
    buildings_used,
    centre_floors,
    label,
    scenario_floors,
    service_points,
    travel_minutes,
)
from .solvers import LAST_STEP_SECONDS, NO_USEFUL_GAP, package_version

CLUSTERPLAN_VERSION = package_version("clusterplan")

#: Human names (with units) of the plan tables' columns, for the report and the workbook.
LABELS = {
    "centre": "Centre id", "name": "Centre", "status": "Status", "merged_into": "Amalgamated into",
    "reach": "Reach (children under five)", "reach_today": "Reach today (children under five)",
    "cluster": "Cluster", "district": "District", "home_area": "Home area (LSOA)", "areas": "Areas served",
    "deprived_children": "Children in the most deprived areas", "mean_minutes": "Mean travel (minutes)",
    "max_minutes": "Longest travel (minutes)", "phase": "Phase", "policy": "Policy",
    "lot": "Lot", "weight": "Funding weight (children)", "share": "Share of the budget",
    "value": "Value (pounds per year)", "vcs_accessible": "Within reach of a small VCS provider",
    "lead": "Lead centre id", "lead_name": "Lead centre", "centres": "Centres", "phase1": "Phase-1 centres",
    "area": "Area (LSOA)", "area_name": "Area name", "under5": "Children under five", "minutes": "Travel (minutes)",
    "today_centre": "Centre today", "planned_centre": "Planned centre", "today_minutes": "Travel today (minutes)",
    "reason": "Why", "lock_cost": "Cost of keeping it open (weighted child-minutes)",
    "lock_cost_pct": "Cost of keeping it open (% of the total)", "children_moved_if_kept": "Children moved if kept",
    "lock_cost_low": "Cost of keeping it open: lower bound proven (weighted child-minutes)",
    "lock_proven": "Cost of keeping it open proven exact", "knife_edge": "Knife-edge (under 0.1%)",
    "lock_seconds": "Time limit of its what-if re-solve (seconds)",
    "lead_partner": "Lead partner", "host_school": "Host school", "host_urn": "Host school URN",
    "governance_options": "Governance forms that could hold it", "governance_rules": "Rules that offer them",
    "phases": "Phases held", "school_led": "School-led centres", "size": "Number of lots", "bundle": "Bundle",
    "ccg": "Health area (CCG 2017)", "on_school_site": "On a school site",
    "role": "Role (hub; spoke: stays open for its hub; closed)",
}

GLOSSARY = [
    ("LSOA", "Lower layer Super Output Area: a small statistical area of about 1,500 residents; the building "
             "block of every catchment."),
    ("Under-fives, children", "Children aged 0 to 4 living in an area (ONS mid-year estimates)."),
    ("Reach", "The under-fives living in the areas a centre serves. Statutory guidance looks for at least 600."),
    ("Floor", "The smallest reach every kept centre must have in this scenario."),
    ("Designated centre", "A children's centre registered with the Department for Education."),
    ("Amalgamate", "Merge a centre into a neighbouring one: its building may stay in use, but it stops being a "
                   "designated centre and its areas are served by the receiving centre."),
    ("Catchment", "The areas a centre serves. Catchments never leave a gap and are connected along the corridors."),
    ("Corridor", "A link between two neighbouring areas along which families travel; catchments and clusters must "
                 "be connected through them."),
    ("IDACI, most deprived", "The Income Deprivation Affecting Children Index (2019). 'Most deprived' means an "
                             f"area in England's 30% most deprived by IDACI (score {DEPRIVED_IDACI} or more)."),
    ("Phase", "Phase 1 centres serve the most deprived areas with the full offer; phases 2 and 3 serve less "
              "deprived areas."),
    ("Cluster", "A group of neighbouring centres run together, sharing leadership and resources."),
    ("Lot", "What is put out to tender: here one centre per lot."),
    ("VCS", "Voluntary and community sector: charities and community groups that may bid for small lots."),
    ("Status quo", "Today's network: every centre open, each area served by the centre the model assigns today."),
    ("Weighted child-minutes", "Each child's travel time, counted more for children in deprived areas; the "
                               "quantity the optimiser makes as small as it can."),
    ("Optimal, gap", "Optimal means the solver proved no better plan exists under the scenario's rules, or, where "
                     "the scenario lets it stop short (solver.gap), none better by more than the gap; the gap is "
                     "how far, at most, a plan could be from the best one (0% when proved best)."),
    ("Knife-edge, tie", "A decision whose reversal costs under 0.1% of the total (a tie costs nothing): another "
                        "plan is almost as good, so local knowledge should decide."),
]


# ---------------------------------------------------------------------- facts computed from the plan
def family_changes(plan, geo: Geography) -> pd.DataFrame:
    """Per area: today's centre and minutes, the planned centre and minutes, children, deprived and rural flags.
    Empty when the plan has no status quo to compare with (a new network of sites)."""
    base = getattr(plan, "baseline", None)
    ids = plan.centres["centre"].astype(str) if len(plan.centres) else pd.Series(dtype=str)
    if base is None or not ids.isin(geo.centres.index).all():
        return pd.DataFrame()
    a = geo.areas
    today = base.assignment.set_index("area")["centre"].astype(str).reindex(a.index)
    after = buildings_used(plan).reindex(a.index)   # for family hubs: the building used (hub or spoke)
    before_min = pd.Series(assigned_minutes(geo.centre_minutes, a.index, today), index=a.index)
    minutes = travel_minutes(plan.assignment, geo)
    rural, classed = rural_flags(a)
    return pd.DataFrame({
        "area_name": a["name"], "district": a["district"], "under5": a["under5"],
        "deprived": deprived_under5(a) > 0, "rural": rural, "rural_known": classed,
        "today_centre": today, "planned_centre": after, "today_minutes": before_min,
        "minutes": minutes, "changes": today != after})


def _travel_rows(ch: pd.DataFrame) -> pd.DataFrame:
    """Children changing centre, and their travel today and after: all of them, those in the most deprived areas and
    those in rural areas. Children in areas with no rural-urban class are not counted as rural or urban: the row says
    how many, and gives no count at all when no moving area has a class (so a county without the data does not read
    as having no rural children)."""
    rows = []
    moving = ch[ch["changes"]] if len(ch) else ch
    unknown = float(moving.loc[~moving["rural_known"], "under5"].sum()) if len(moving) else 0.0
    none_known = bool(unknown) and unknown == float(moving["under5"].sum())
    rural_label = "of them, in rural areas"
    if unknown:
        rural_label += (" (no rural-urban class in the data for any of their areas)" if none_known
                        else f" ({unknown:,.0f} children in areas with no rural-urban class not counted)")
    for who, mask in (("all children changing centre", None), ("of them, in the most deprived areas", "deprived"),
                      (rural_label, "rural")):
        d = moving if mask is None else moving[moving[mask]]
        kids = float(d["under5"].sum()) if len(d) else 0.0
        uncounted = mask == "rural" and none_known   # no class at all: no count, not a count of 0
        if uncounted or kids == 0:
            rows.append({"Who": who, "Children": None if uncounted else 0, "Mean travel today (minutes)": None,
                         "Mean travel after (minutes)": None, "Longest travel after (minutes)": None})
            continue
        rows.append({"Who": who, "Children": int(kids),
                     "Mean travel today (minutes)": float((d["today_minutes"] * d["under5"]).sum() / kids),
                     "Mean travel after (minutes)": float((d["minutes"] * d["under5"]).sum() / kids),
                     "Longest travel after (minutes)": float(d["minutes"].max())})
    return pd.DataFrame(rows)


#: The "Why" of a closing centre whose reasons were not computed (``clusterplan run --no-why``).
NO_WHY = "not computed: run with --why"


def closures(plan, geo: Geography, ch: pd.DataFrame) -> pd.DataFrame:
    """One row per amalgamated centre: the receiving centre, children moving, their extra minutes, and why."""
    c = plan.centres
    if not len(c) or "status" not in c.columns:
        return pd.DataFrame()
    merged = c[c["status"] == "amalgamated"]
    names = c.set_index(c["centre"].astype(str))["name"].to_dict()
    why = plan.why.set_index("centre") if len(plan.why) and "centre" in plan.why.columns else pd.DataFrame()
    rows = []
    for _, r in merged.iterrows():
        j = str(r["centre"])
        d = ch[ch["today_centre"] == j] if len(ch) else pd.DataFrame()
        kids = int(d["under5"].sum()) if len(d) else 0
        extra = float(((d["minutes"] - d["today_minutes"]) * d["under5"]).sum() / kids) if kids else None
        rows.append({"Centre closing": short_name(r["name"]),
                     "Receiving centre": short_name(names.get(str(r.get("merged_into", "")), r.get("merged_into", ""))),
                     "Children moving": kids, "Extra minutes for them (mean)": extra,
                     "Why": _why_words(why.loc[j]) if j in why.index else NO_WHY})
    return pd.DataFrame(rows)


def _why_words(w: pd.Series) -> str:
    """A reason from :mod:`clusterplan.reasons`, with ties and knife-edge decisions flagged in words."""
    reason = str(w.get("reason", ""))
    cost = w.get("lock_cost")
    if cost is not None and not pd.isna(cost) and abs(float(cost)) < 1e-6:
        return f"A tie: keeping {short_name(w.get('name', ''))} instead costs nothing. {_capital(reason)}"
    if bool(w.get("knife_edge", False)):
        pct = float(w.get("lock_cost_pct", 0))
        size = percent(pct / 100)
        if w.get("lock_proven") is False or w.get("lock_proven") == 0:   # a proven range, not an exact cost
            if pct < 100 * KNIFE_EDGE:
                return f"Knife-edge: keeping it open would cost at most {size} more. {_capital(reason)}"
            low = w.get("lock_cost_low")
            pct = 0.0 if low is None or pd.isna(low) or not cost else max(pct * float(low) / float(cost), 0.0)
            return (f"Possibly knife-edge: keeping it open may cost as little as {percent(pct / 100)} more. "
                    f"{_capital(reason)}")
        only = "" if size.startswith("under") else "only "   # not "only under 0.01%"
        return f"Knife-edge: keeping it open would cost {only}{size} more. {_capital(reason)}"
    return _capital(reason)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def summary_text(plan, geo: Geography, scn, ch: pd.DataFrame) -> str:
    """The report's opening paragraph in plain English, computed from the plan."""
    c = plan.centres
    floors = scenario_floors(scn, geo) if scn is not None else 600
    floor = floors if not isinstance(floors, dict) else min(floors.values())
    serving = c[c["status"].isin(["kept", "new"])] if len(c) else c
    # per-district policies with floors of their own: each centre is read against its district's
    short = (serving["reach"].to_numpy() < centre_floors(serving["centre"], geo, floors, plan.assignment.set_index(
        "area")["centre"]).to_numpy()) if len(serving) else np.zeros(0, bool)
    than = least = f"{floor:,.0f} children"
    if isinstance(floors, dict):
        span = f"{min(floors.values()):,.0f} to {max(floors.values()):,.0f} children"
        than, least = (f"{whose} district's floor ({span})" for whose in ("their", "its"))
    parts = []
    headline = registry.info(plan.model).headline
    if headline in ("new_network", "most_centres"):
        bound = plan.report.bound
        most = (f"the most centres of at least {floor:,.0f} children the areas can hold" if plan.report.status ==
                "optimal" else f"the most the search found room for (at most {bound:,.0f} are possible)"
                if bound is not None else "the most the search found room for")
        parts.append(f"This plan is a new network of {count_of(len(serving), 'centre', 'centres')} for {geo.name}: "
                     f"{most}."
                     if headline == "most_centres" else
                     f"This plan places a network of {count_of(len(serving), 'centre', 'centres')} for {geo.name}.")
    elif headline == "hubs":
        sp = plan.spokes
        role = c["role"].astype(str) if "role" in c.columns else pd.Series("", index=c.index)
        by = sp["source"].value_counts() if len(sp) else pd.Series(dtype=int)
        kinds = ", ".join(count_of(n, *SPOKE_KINDS[k]) if k in SPOKE_KINDS else f"{n} from {k}"
                          for k, n in by.items())
        on_sites = scn is not None and scn.hubs.candidates == "sites"
        opening = (f"This family hubs plan places {len(serving)} hubs on candidate sites" if on_sites else
                   f"This family hubs plan makes {len(serving)} of today's {count_of(len(c), 'centre', 'centres')} "
                   f"{'a hub' if len(serving) == 1 else 'hubs'}")
        parts.append(f"{opening} ({', '.join(short_name(n) for n in serving['name'])}), with "
                     f"{count_of(len(sp), 'spoke', 'spokes')} attached" + (f" ({kinds})" if kinds else "")
                     + ("." if on_sites else f"; {_closing(int((role == 'closed').sum()))}."))
        near = plan.metrics.get("deprived_within_2_5km_pct")
        if near is not None:
            parts.append(f"{near:.0f}% of under-fives in England's 30% most deprived areas live within 2.5 km "
                         "(straight line) of a service point, the band in which the IFS 2024 evaluation found Sure "
                         "Start's benefits.")
        if scn is not None and "service_minutes" in plan.assignment.columns:
            t = pd.to_numeric(plan.assignment["service_minutes"])
            far = int((t > scn.spokes.max_minutes + 1e-9).sum())
            parts.append(f"Every area is within {scn.spokes.max_minutes:g} minutes of a service point of its own "
                         "hub." if not far else f"{far} area(s) are beyond {scn.spokes.max_minutes:g} minutes of a "
                         "service point of their hub (see Notes).")
    elif headline == "today":
        below = serving[short].sort_values("reach")
        lowest = (f" (lowest: {short_name(below['name'].iloc[0])}, {int(below['reach'].iloc[0]):,})"
                  if len(below) else "")
        under = f"{floor:,.0f} children under five" if not isinstance(floors, dict) else than
        parts.append(f"Today's network in {geo.name}: {count_of(len(serving), 'centre', 'centres')}, of which "
                     f"{count_of(len(below), 'reaches', 'reach')} fewer than {under}{lowest}.")
    else:
        merged = c[c["status"] == "amalgamated"]
        total = len(serving) + len(merged)
        text = (f"The plan keeps {len(serving)} of {total} centres" if len(merged) else
                "The plan keeps the only centre" if total == 1 else f"The plan keeps all {total} centres")
        if len(merged):
            text += f" and amalgamates {len(merged)} ({', '.join(short_name(n) for n in merged['name'])})"
        parts.append(text + ".")
    if len(serving) and headline != "today":
        low = serving.sort_values("reach").iloc[0]
        below = int(short.sum())
        noun = "hub" if headline == "hubs" else "centre"
        if below:
            parts.append(f"{count_of(below, noun + ' reaches', noun + 's reach')} fewer than {than}; "
                         "the smallest, "
                         f"{_centre_name(low, geo)}, reaches {int(low['reach']):,}.")
        else:
            parts.append(f"Every {noun} reaches at least {least}; the smallest, "
                         f"{_centre_name(low, geo)}, reaches {int(low['reach']):,}.")
    if plan.metrics.get("clusters"):
        parts.append(f"The centres form {count_of(plan.metrics['clusters'], 'cluster', 'clusters')}.")
    if len(ch) and ch["changes"].any():
        d = ch[ch["changes"]]
        kids = float(d["under5"].sum())
        before, after = (float((d[col] * d["under5"]).sum() / kids) for col in ("today_minutes", "minutes"))
        parts.append(f"{int(kids):,} children in {count_of(len(d), 'area', 'areas')} would change centre; on average "
                     f"their journey {_from_to(before, after)} minutes (the longest {d['minutes'].max():.0f} "
                     "minutes).")
    elif len(ch):
        parts.append("No family changes centre.")
    if unit_doubt(geo.travel_ratio):
        parts.append(f"Check the unit of your travel table: its times are {geo.travel_ratio:,.2f} times the model's "
                     "for the same pairs, so the minutes in this report may be seconds or hours (see Data and "
                     "method).")
    share = plan.metrics.get("deprived_within_15_min_pct")
    if share is not None:
        where = "service point" if headline == "hubs" else "centre"
        parts.append(f"{share:.0f}% of under-fives in the most deprived areas live within 15 minutes of their {where} "
                     "(Ofsted looked for 65% of the most vulnerable for 'good').")
    parts.append(confidence(plan))
    if len(plan.why):
        fragile = plan.why[plan.why["knife_edge"].astype(bool)] if "knife_edge" in plan.why.columns else []
        if len(fragile):
            which = ", ".join(short_name(n) for n in fragile["name"])
            if len(plan.why) == 1:
                parts.append(f"The amalgamation ({which}) is knife-edge or a tie: another plan is almost as good, "
                             "so local knowledge should decide it.")
            else:
                share = (f"All {len(plan.why)}" if len(fragile) == len(plan.why) else
                         f"{len(fragile)} of the {len(plan.why)}")
                verb, tie, them = ("is", "a tie", "it") if len(fragile) == 1 else ("are", "ties", "them")
                parts.append(f"{share} amalgamations {verb} knife-edge or {tie} ({which}): another plan is almost "
                             f"as good, so local knowledge should decide {them}.")
    return " ".join(parts)


def _from_to(before: float, after: float) -> str:
    """How a journey changes, in minutes: "goes from 12 to 15", to one decimal where whole minutes would hide the
    change ("goes from 14.6 to 15.1"), and "stays at about 12" where there is none to show."""
    if round(before) != round(after):
        return f"goes from {before:.0f} to {after:.0f}"
    if round(before, 1) != round(after, 1):
        return f"goes from {before:.1f} to {after:.1f}"
    return f"stays at about {before:.0f}"


def _centre_name(row: pd.Series, geo: Geography | None = None) -> str:
    """A centre's name for a sentence; a new centre with no name is named by its home area: the area's name and
    code where ``geo`` names it (``the centre in Breckland 001B (E01026429)``), else its code."""
    name = row.get("name")
    if isinstance(name, str) and name.strip() and name.lower() != "nan":
        return short_name(name)
    home = row.get("home_area", row.get("centre", "?"))
    area_name = geo.areas["name"].get(home) if geo is not None and "name" in geo.areas.columns else None
    if isinstance(area_name, str) and area_name.strip() and area_name != home:
        return f"the centre in {area_name} ({home})"
    return f"the centre in area {home}"


#: How the brief counts spokes by where they come from (a CSV of the user's own is "N from libraries.csv").
SPOKE_KINDS = {"centres": ("centre building", "centre buildings"), "schools": ("school", "schools"),
               "linked_sites": ("linked site", "linked sites")}


def _closing(n: int) -> str:
    """The centre buildings that are neither hub nor spoke, in words: "no centre building closes", "2 close"."""
    return "no centre building closes" if n == 0 else count_of(n, "centre building closes", "centre buildings close")


#: A proven gap at or below this reads as "the best plan" (solvers report 0 as 1e-12 and the like).
PROVEN_BEST_GAP = 1e-6


def confidence(plan) -> str:
    """One sentence on what the solver proved: the best plan, within a gap (a scenario's ``solver.gap`` lets a solve
    stop once proven that close), or a plan found but not proven (and whether anything bounds how far it is from the
    best). The report's "How sure is the optimiser?" and ``clusterplan run``'s output say it."""
    r = plan.report
    if r.status == "optimal" and r.gap is not None and r.gap > PROVEN_BEST_GAP:
        # a gap too small for two decimals is within 0.01% (true, where "0.00%" read as the best plan)
        return (f"The optimiser proved this plan within {percent(max(r.gap, 0.0001))} of the best plan possible "
                "under the scenario's rules (the scenario lets it stop that close).")
    if r.status == "optimal":
        return "The optimiser proved this is the best plan under the scenario's rules."
    if r.status == "feasible" and r.gap is not None and r.gap < NO_USEFUL_GAP:
        return (f"The optimiser found this plan but stopped (time limit) before proving it best: at most "
                f"{percent(r.gap)} from the best plan possible.")
    if r.status == "feasible":   # no bound, or the trivial one: "at most 100% from the best" tells nobody anything
        had = ("it could bound the best plan possible" if r.gap is None else
               f"it had a useful bound on the best plan possible (only the trivial one, a gap of {percent(r.gap)})")
        return (f"The optimiser found this plan but stopped (time limit) before {had}, so how far this one is from it "
                "is not known; a longer solver.time_limit gives a bound.")
    return f"Solver status: {r.status}."


# ---------------------------------------------------------------------- HTML
def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _heading(text: str) -> str:
    """A column heading as every table writes it: its first letter a capital ("host school" -> "Host school")."""
    text = str(text)
    return text[:1].upper() + text[1:]


def _table(df: pd.DataFrame, *, names: dict[str, str] | None = None) -> str:
    """An HTML table with human headers and numbers formatted for reading (no index)."""
    if df is None or not len(df):
        return "<p class='small'>None.</p>"
    shown = {c: LABELS.get(c, c) if names is None else names.get(c, LABELS.get(c, c)) for c in df.columns}
    head = "".join(f"<th>{html.escape(_heading(shown[c]))}</th>" for c in df.columns)
    body = []
    for _, row in df.iterrows():
        cells = []
        for c in df.columns:
            v = row[c]
            num = isinstance(v, int | float | np.number) and not isinstance(v, bool)
            text = format_value(v, c)
            # a short label ("lot 01", an area code) on one line, never broken in two by a narrow column
            cls = "n" if num else "k" if len(text) <= SHORT_LABEL else ""
            cells.append(f"<td class='{cls}'>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='t'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def centres_for_reading(plan, ch: pd.DataFrame, geo: Geography | None = None) -> pd.DataFrame:
    """The centres table as a reader wants it: names not ids (a new centre by its home area, named from ``geo``),
    amalgamated centres with their reach today and the centre they merge into by name; in a family hubs plan, each
    centre's role (a centre amalgamated into a hub may stay open as its spoke)."""
    c = plan.centres.copy()
    if not len(c):
        return c
    names = c.set_index(c["centre"].astype(str))["name"].to_dict()
    for col in ("merged_into", "cluster"):  # ids to names (a cluster is named for its lead centre)
        if col in c.columns:
            c[col] = c[col].fillna("").map(lambda j: short_name(names.get(str(j), j)) if str(j) else "")
    if len(ch):
        today = ch.groupby("today_centre")["under5"].sum()
        reach_today = c["centre"].astype(str).map(today).fillna(0).astype(int)
        c.insert(c.columns.get_loc("reach") + 1, "reach_today", reach_today)
        gone = c["status"] == "amalgamated"
        c.loc[gone, "reach"] = np.nan
    c["name"] = [_centre_name(row, geo) for _, row in c.iterrows()]
    keep = [k for k in ("name", "status", "role", "merged_into", "reach", "reach_today", "district", "phase", "cluster",
                        "areas", "deprived_children", "mean_minutes", "max_minutes", "policy") if k in c.columns]
    for col in ("cluster", "merged_into"):
        if col in keep and not c[col].fillna("").astype(str).str.len().gt(0).any():
            keep.remove(col)
    return c[keep].sort_values(["status", "name"], key=lambda s: s.map({"kept": 0, "new": 0}).fillna(1)
                               if s.name == "status" else s)


SHORT_LABEL = 10  # characters: a table cell this short is never wrapped ("lot 01", an area code "E01026571")
CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em auto;max-width:1180px;
color:#222;padding:0 1.5em;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.1em}h2{font-size:1.2em;margin-top:1.4em;border-bottom:2px solid #e5e5e5}
.sub{color:#666;margin-top:0}.brief{background:#f3f7fb;border-left:4px solid #2c6fad;padding:.7em 1em;font-size:1.05em}
table.t{border-collapse:collapse;font-size:.86em;margin:.4em 0}table.t th{background:#f0f0f0;text-align:left;
padding:4px 8px;border-bottom:2px solid #ccc}table.t td{padding:3px 8px;border-bottom:1px solid #e3e3e3}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.k{white-space:nowrap}
.small{font-size:.8em;color:#555}img{max-width:100%}
dt{font-weight:600;margin-top:.4em}dd{margin-left:1.2em}details{margin:.5em 0}"""


def _share(d, key: str) -> float | None:
    """Percentage ``d[key]`` / ``d['dep']`` (one decimal), None where there is nobody to count."""
    return round(100 * float(d[key]) / float(d["dep"]), 1) if d is not None and d["dep"] else None


def hub_table(plan, geo: Geography) -> pd.DataFrame:
    """One row per hub: its reach, spokes, the areas served at the hub itself, and its catchment's deprived
    under-fives with the shares within 2.5 km (straight line) of a service point and within 15 minutes of theirs."""
    c = plan.centres
    hubs = c[c["status"].isin(["kept", "new"])].copy()
    sp = plan.spokes
    a = plan.assignment
    dep = deprived_under5(geo.areas).reindex(a["area"]).to_numpy(float)
    near = (nearest_metres(geo, service_points(plan, geo)) <= NEAR_METRES).reindex(a["area"]).to_numpy()
    quick = pd.to_numeric(a["service_minutes"]).to_numpy(float) <= 15
    per = pd.DataFrame({"hub": a["centre"].astype(str).to_numpy(), "dep": dep, "near": dep * near,
                        "quick": dep * quick}).groupby("hub").sum()
    rows = []
    for _, h in hubs.sort_values("name").iterrows():
        j = str(h["centre"])
        mine = sp[sp["hub"].astype(str) == j] if len(sp) else sp
        d = per.loc[j] if j in per.index else None
        rows.append({"hub": short_name(h["name"]), "district": h["district"], "reach": int(h["reach"]),
                     "areas": int(h["areas"]), "spokes": len(mine),
                     "served at the hub": int((a["service_point"].astype(str) == j).sum()),
                     "deprived under-fives": int(d["dep"]) if d is not None else 0,
                     "of them within 2.5 km (%)": _share(d, "near"), "within 15 min (%)": _share(d, "quick"),
                     "spoke buildings": "; ".join(short_name(str(n)) for n in mine["name"]) if len(mine) else "-"})
    return pd.DataFrame(rows)


def _linked_words(plan) -> list[str]:
    """How many linked-site spokes stay attached to the centre the register links them to."""
    sp = plan.spokes
    if not len(sp) or "source" not in sp.columns:
        return []
    ls = sp[sp["source"].astype(str) == "linked_sites"]
    if not len(ls):
        return []
    n = len(ls)
    own = int((ls["centre"].astype(str) == ls["hub"].astype(str)).sum())
    if n == 1:
        stays = ("it stays attached to the centre the register links it to" if own else "it is attached to another "
                 "hub than the centre the register links it to (that centre is not a hub, or another hub is nearer)")
        return [f"<p>1 spoke is a linked site of the DfE register; {stays}.</p>"]
    if own == n:
        stays = f"{'both' if n == 2 else f'all {n}'} stay attached to the centre the register links each to"
    else:
        who = "none of them stays" if own == 0 else count_of(own, "of them stays", "of them stay")
        other = ("the other's centre is not a hub, or another hub is nearer" if n - own == 1 and own else
                 "their centres are not hubs, or other hubs are nearer" if own == 0 else
                 "the others' centres are not hubs, or other hubs are nearer")
        stays = f"{who} attached to the centre the register links {'it' if own == 1 else 'each'} to ({other})"
    return [f"<p>{n} spokes are linked sites of the DfE register; {stays}.</p>"]


def hubs_sections(plan, geo: Geography, scn) -> list[str]:
    """The family hubs sections of the report: hubs and their spokes; who is near a service point (2.5 km, 15 and
    30 minutes) and the deprived areas beyond 2.5 km with their bus service."""
    bus_calls = scn.spokes.bus_min_calls if scn is not None else 1.0
    far = beyond_2_5km(plan, geo, bus_calls)
    m = plan.metrics
    cover = pd.DataFrame({"measure": ["deprived under-fives within 2.5 km (straight line) of a service point",
                                      "deprived under-fives within 15 minutes of their service point",
                                      "deprived under-fives within 30 minutes of their service point"],
                          "share (%)": [m.get("deprived_within_2_5km_pct"), m.get("deprived_within_15_min_pct"),
                                        m.get("deprived_within_30_min_pct")]})
    out = ["<h2>Hubs and their spokes</h2>",
           "<p>Each hub, the children of its catchment (its reach), and the buildings that stay open as its spokes. "
           "Families use the nearest service point of their own hub: the hub itself or one of its spokes.</p>",
           _table(hub_table(plan, geo), names={}),
           *_linked_words(plan),
           "<h2>Who is near a service point</h2>",
           "<p>Deprived: England's 30% most deprived areas by IDACI 2019. 2.5 km is the straight-line band in which "
           "the Institute for Fiscal Studies' 2024 Sure Start evaluation found the benefits for children; minutes "
           f"come from {_minutes_from(geo)}, and many of these families have no car.</p>",
           _table(cover, names={})]
    if len(far):
        no_bus = far[far["bus_service"].astype(str) == "False"]
        unknown = int((far["bus_service"].astype(str) == "unknown").sum())
        bus_words = (f"{len(no_bus)} of them have no bus service (fewer than {bus_calls:g} weekday daytime bus stop "
                     "calls, 2022)")
        if unknown:
            bus_words += (f"; for {unknown} the geography has no bus figure (add a bus_calls column to the areas to "
                          "know)")
        out += [f"<p>{len(far)} deprived area(s) ({int(far['deprived_children'].sum()):,} children) are farther "
                f"than 2.5 km from every service point; {bus_words}.</p>",
                _table(far.head(30), names={"area": "area", "name": "area name", "district": "district",
                                            "deprived_children": "deprived under-fives",
                                            "metres": "metres to the nearest service point",
                                            "bus_service": "bus service"})]
    elif m.get("deprived_within_2_5km_pct") is None:
        out += ["<p>No area here is among England's 30% most deprived (IDACI 2019).</p>"]
    else:
        out += ["<p>Every deprived area is within 2.5 km of a service point.</p>"]
    return out


def school_site_table(plan, geo: Geography) -> pd.DataFrame:
    """Each centre on a school site (:mod:`clusterplan.schools`): its host school, how the match was made (and
    whether it is doubtful), and what the plan does to it (kept, amalgamated into, cluster, lot)."""
    if not len(plan.centres) or not plan.centres["centre"].astype(str).isin(geo.centres.index).all():
        return pd.DataFrame()
    gov = governance.centre_governance(geo)
    on = gov.loc[governance.school_site_centres(gov)]
    if not len(on):
        return pd.DataFrame()
    c = plan.centres.assign(centre=plan.centres["centre"].astype(str)).set_index("centre")
    names = geo.centres["name"]
    lots = plan.lots.set_index(plan.lots["centre"].astype(str))["lot"] if len(plan.lots) else pd.Series(dtype=str)
    rows = []
    for j, g in on.iterrows():
        if j not in c.index:
            continue
        st = str(c.at[j, "status"])
        if st == "amalgamated" and "merged_into" in c.columns and str(c.at[j, "merged_into"]):
            does = f"amalgamated into {short_name(names.get(str(c.at[j, 'merged_into']), c.at[j, 'merged_into']))}"
        else:
            does = st
        if "cluster" in c.columns and str(c.at[j, "cluster"]) not in ("", "nan"):
            does += f"; cluster led by {short_name(names.get(str(c.at[j, 'cluster']), c.at[j, 'cluster']))}"
        if j in lots.index:
            does += f"; {lots[j]}"
        if "role" in c.columns and str(c.at[j, "role"]) not in ("", "nan"):
            does += f"; {c.at[j, 'role']}"
        rows.append({"name": short_name(names[j]), "host school": g["host_name"] or "",
                     "URN": g["host_urn"] or "", "matched by": g["host_match"] + (" (doubtful)" if g["host_doubtful"]
                                                                                  else ""),
                     "why": g["host_note"], "what the plan does": does})
    return pd.DataFrame(rows)


def governance_rules_table() -> pd.DataFrame:
    """The stated rule table of governance forms (:data:`clusterplan.governance.FORM_RULES`)."""
    return pd.DataFrame([{"rule": r, "applies to": when, "forms it offers": "; ".join(forms)}
                         for r, when, forms in governance.FORM_RULES])


def review_sections(plan, geo: Geography, scn) -> list[str]:
    """The review's own rules: school-site centres and what the plan does to each, clusters with their lead, lots
    with their governance options, and market bundles with their map."""
    out = []
    sites = school_site_table(plan, geo)
    if len(sites):
        doubtful = int(sites["matched by"].str.contains("doubtful").sum())
        out += ["<h2>Centres on school sites</h2>",
                f"<p>{count_of(len(sites), 'centre stands', 'centres stand')} on a school site as far as the registers "
                f"show ({doubtful} of {count_of(len(sites), 'match', 'matches')} doubtful: read why). A commissioner "
                "who knows better sets on_school_site, host_urn and host_name in geography.centre_facts.</p>",
                _table(sites, names={})]
    if len(plan.clusters):
        cl = plan.clusters.copy()
        if "lead_name" in cl.columns:
            cl["lead_name"] = cl["lead_name"].map(short_name)
        nest = scn.clusters.nest if scn is not None else None
        cols = [k for k in ("lead_name", "lead_partner", "centres", "reach", "deprived_children", "phase1", "phases",
                            "school_led", nest) if k and k in cl.columns]
        out += ["<h2>Clusters and who leads them</h2>",
                "<p>Each cluster is named for its lead centre; its lead partner is as the centre facts say "
                "(unknown where nobody said). Phases: the phases of its centres; school-led: centres led by a "
                "school governing body, or on a school site with the lead partner unknown.</p>",
                _table(cl[cols])]
    if len(plan.lots) and "governance_options" in plan.lots.columns:
        lots = plan.lots.copy()
        lots["name"] = lots["name"].map(short_name)
        out += ["<h2>Who could hold each lot</h2>",
                "<p>Options, never a decision: each lot's lead partner and host school, and the governance forms "
                "the stated rule table below offers it (4Children's forms; a lot's value against the VCS cap needs a "
                "budget).</p>",
                _table(lots[["lot", "name", "lead_partner", "host_school", "governance_options"]]),
                "<details><summary>The rule table</summary>", _table(governance_rules_table(), names={}),
                "</details>"]
    if len(plan.bundles.columns):
        b = plan.bundles.copy()
        t = scn.tender if scn is not None else None
        cap = f"{t.bundle_cap:,.0f}" if t is not None and t.bundle_cap is not None else "the cap"
        sizes = b["size"].value_counts().sort_index()
        words = ", ".join(f"{v} of {k} lots" for k, v in sizes.items()) or "none"
        out += ["<h2>How the market might bundle lots</h2>",
                f"<p>{len(b)} sets of adjacent lots (catchments touching) one provider could bid for together "
                f"within {cap} a year ({words}). Not a prediction: the room the market has.</p>"]
        if len(b):
            out += [f"<img alt='map of market bundles' src='data:image/png;base64,{_png(bundle_map(plan, geo))}'>",
                    "<details><summary>Every bundle</summary>",
                    _table(b.assign(names=b["names"].map(lambda s: "; ".join(short_name(n) for n in s.split("; "))))
                           [["bundle", "size", "names", "value"]], names={"names": "Centres"}), "</details>"]
    return out


def write_html(plan, geo: Geography, scn, path: str | Path) -> None:
    """A self-contained HTML report of one plan (see the module docstring)."""
    ch = family_changes(plan, geo)
    base = getattr(plan, "baseline", None)
    r = plan.report
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(plan.scenario_name)}"
             f"</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(plan.scenario_name)}</h1>",
             f"<p class='sub'>{html.escape(geo.name)} &middot; written {date.today():%d %B %Y} by clusterplan "
             f"{html.escape(CLUSTERPLAN_VERSION)} &middot; every constraint re-verified by an independent checker</p>",
             f"<div class='brief'><b>In brief.</b> {html.escape(summary_text(plan, geo, scn, ch))}</div>"]
    hubs_plan = "service_point" in plan.assignment.columns
    closing = closures(plan, geo, ch) if not hubs_plan else pd.DataFrame()
    if hubs_plan:
        parts += hubs_sections(plan, geo, scn)
    if len(closing):
        ranged = "lock_proven" in plan.why.columns and (plan.why["lock_proven"] == False).any()  # noqa: E712
        cost = ("its cost is exact where the re-solve proved it, else a proven range, given in words" if ranged
                else "its cost is exact")
        why = (f"why the optimiser closed it (a what-if re-solve with the centre kept open: {cost})"
               if (closing["Why"] != NO_WHY).any() else
               "why the optimiser closed it, where reasons were computed (not for this plan: <code>clusterplan run"
               "</code> computes them unless given <code>--no-why</code>)")
        parts += ["<h2>Centres closing and where their children go</h2>",
                  "<p>Each amalgamated centre, the kept centre that takes most of its children, how many children "
                  f"move and how their journey changes, and {why}.</p>", _table(closing, names={})]
    if len(ch) and ch["changes"].any():
        parts += ["<h2>What changes for families</h2>", _table(_travel_rows(ch), names={})]
    parts += [f"<h2>Map</h2><img alt='map of the planned catchments, centres named' "
              f"src='data:image/png;base64,{_png(plan_map(plan, geo))}'>"]
    if base is not None and len(ch):
        parts += ["<h2>Today and after</h2><img alt='today beside the plan' "
                  f"src='data:image/png;base64,{_png(before_after(plan, base, geo))}'>"]
    parts += ["<h2>Every centre</h2>", _table(centres_for_reading(plan, ch, geo))]
    if len(plan.lots):
        lots = plan.lots.copy()
        lots["name"] = lots["name"].map(short_name)
        budget = scn.tender.budget if scn is not None else None
        note = "" if budget is not None else ("<p>No budget was given, so lots show their share of the budget only "
                                             "(no value is invented).</p>")
        cols = [k for k in ("lot", "name", "reach", "deprived_children", "share", "value", "vcs_accessible")
                if k in lots.columns and (budget is not None or k not in ("value", "vcs_accessible"))]
        parts += ["<h2>Lots for tender</h2>", note, _table(lots[cols])]
    parts += review_sections(plan, geo, scn)
    parts += ["<h2>How sure is the optimiser?</h2>", f"<p>{html.escape(confidence(plan))} "
              f"It took {_took(r.seconds, r.time_limit)}.</p>",
              "<details><summary>Technical details</summary>", _table(pd.DataFrame({
                  "": ["status", "objective (weighted child-minutes)", "bound", "gap", "solver", "scope"],
                  "value": [r.status, format_value(r.objective), format_value(r.bound),
                            "-" if r.gap is None else f"{r.gap:.2%}", r.solver_version, r.scope]}),
                  names={"value": "Value"}),
              "</details>", "<h2>Key figures</h2>", _table(pd.DataFrame(
                  {"figure": [label(k) for k in plan.metrics], "value": [
                      (f"{v:.2%}" if k == "gap" and isinstance(v, int | float) else as_count(k, v))
                      for k, v in plan.metrics.items()]}), names={"figure": "Figure", "value": "Value"})]
    if plan.notes:
        parts += ["<h2>Notes</h2><ul>"] + [f"<li>{html.escape(n)}</li>" for n in plan.notes] + ["</ul>"]
    parts += ["<h2>Glossary</h2><dl>"] + [f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in GLOSSARY]
    parts += ["</dl><h2>Data and method</h2>",
              f"<p>Travel minutes: {html.escape(geo.travel_source)}. {_travel_words(geo)}</p>",
              *(["<p>About the data:</p><ul>"] + [f"<li>{html.escape(sentence(n))}</li>" for n in geo.notes]
                + ["</ul>"] if geo.notes else []),
              f"<p class='small'>{html.escape(attribution(geo))}</p></body></html>"]
    Path(path).write_text("\n".join(parts), encoding="utf-8")


def _took(seconds: float, limit: float | None) -> str:
    """How long a solve took against its time limit, in words: "3.2 seconds (time limit 120 s)"; where the limit
    was spent before a step began (each step started then still gets :data:`~.solvers.LAST_STEP_SECONDS`), that is
    said too."""
    if limit is None:
        return f"{seconds:,.1f} seconds"
    over = (f"; a step started after the limit is spent still gets {LAST_STEP_SECONDS:g} s, so a solve can run past "
            "a short limit" if seconds > limit + 0.5 else "")
    return f"{seconds:,.1f} seconds (time limit {limit:,g} s{over})"


def sentence(note: str) -> str:
    """A note as a sentence: its first letter a capital (notes are written to follow a colon)."""
    return note[:1].upper() + note[1:]


def _minutes_from(geo: Geography) -> str:
    """Where the minutes of a plan's tables come from, in a few words (the full account is under "Data and
    method")."""
    return "the travel model (by road)" if geo.travel_by_model == "all" else \
        "the travel minutes described under Data and method"


def _travel_words(geo: Geography) -> str:
    """What the report says of where the minutes come from: the model's caveat wherever the model gives them."""
    return {"all": "There is no open road network for this: minutes come from a model calibrated on real road travel "
                   "times, and its stated error is above.",
            "some": "Where the model gives the minutes, it is calibrated on real road travel times; its stated error "
                    "is above.",
            "none": "These minutes are used as given."}[geo.travel_by_model]


# ---------------------------------------------------------------------- Excel
def _sheet(xl, name: str, df: pd.DataFrame, *, percent: tuple[str, ...] = ()) -> None:
    """Write ``df`` with human headers, then format: bold headers, frozen header row, filters, widths, percentages."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    df = df.rename(columns=lambda c: _heading(LABELS.get(c, c)))
    df.to_excel(xl, sheet_name=name, index=False)
    ws = xl.sheets[name]
    shares = {_heading(LABELS.get(p, p)) for p in percent}
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = ws.dimensions
    for k, col in enumerate(df.columns, start=1):
        cell = ws.cell(row=1, column=k)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        width = max([len(str(col))] + [len(format_value(v)) for v in df[col].head(200)]) + 2
        ws.column_dimensions[get_column_letter(k)].width = min(max(width, 8), 60)
        fmt = "0.0%" if col in shares else None
        decimals = _decimals(df[col])
        for row in ws.iter_rows(min_row=2, min_col=k, max_col=k):
            for c in row:
                if fmt and isinstance(c.value, int | float):
                    c.number_format = fmt
                elif isinstance(c.value, float):
                    c.number_format = "#,##0" + ("." + "0" * decimals if decimals else "")
                elif isinstance(c.value, int) and not isinstance(c.value, bool):
                    c.number_format = "#,##0"


def _decimals(col: pd.Series) -> int:
    """Decimals a column of numbers is shown with in the workbook: as few as its values need, at most two (minutes
    rounded to a tenth show 17.8, not 17.80; children counted in whole numbers show 635, not 635.00)."""
    vals = pd.to_numeric(col[col.map(lambda v: isinstance(v, float | np.floating))], errors="coerce").dropna()
    vals = vals[np.isfinite(vals)]
    for d in (0, 1):
        if np.allclose(vals, vals.round(d), rtol=0, atol=1e-9):
            return d
    return 2


#: Headers of the workbook's spokes sheet (a spoke's ``name`` is a building's, not a centre's).
BUNDLE_HEADERS = {"bundle": "Bundle", "size": "Number of lots", "lots": "Lots", "centres": "Centre ids",
                  "names": "Centres", "value": "Value (pounds per year)", "policy": "Policy"}
SPOKE_HEADERS = {"spoke": "Spoke id", "name": "Spoke (building)", "source": "Source", "hub": "Hub id",
                 "hub_name": "Hub", "home_area": "Home area (LSOA)", "x": "Easting (m)", "y": "Northing (m)",
                 "centre": "Centre id (a centre building, or the centre a linked site links to)",
                 "attach_minutes": "Minutes from the hub's catchment (0: inside)", "areas": "Areas served",
                 "children": "Children served"}


def _centres_sheet(plan, geo: Geography | None) -> pd.DataFrame:
    """The plan's centre table for the workbook: a new centre with no name of its own is named as the report names
    it (by its home area); centres.csv keeps the name empty."""
    c = plan.centres.copy()
    if len(c) and "name" in c.columns:
        missing = ~c["name"].map(lambda v: isinstance(v, str) and bool(v.strip()))
        c["name"] = c["name"].astype(object)           # all empty, as read back from centres.csv, it is float
        c.loc[missing, "name"] = [_centre_name(row, geo) for _, row in c[missing].iterrows()]
    return c


def write_xlsx(plan, path: str | Path, geo: Geography | None = None) -> None:
    """The plan's tables as sheets of one workbook an analyst can filter and sum: typed numbers, formatted
    headers, frozen panes, filters, widths, percentages as percentages; an assignment sheet with each area's name,
    district, children, minutes, today's and the planned centre; and a Sources sheet. Text that Excel would run as
    a formula (a centre named ``=HYPERLINK(...)``) is stored as text, never as a formula."""
    summary = pd.DataFrame({"Figure": [label(k) for k in plan.metrics], "Metric id": list(plan.metrics),
                            "Value": [_typed(as_count(k, v)) for k, v in plan.metrics.items()]})
    r = plan.report.to_dict()
    solver = pd.DataFrame({"Setting or result": list(r), "Value": [_typed(v) for v in r.values()]})
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        _sheet(xl, "summary", summary)
        _sheet(xl, "centres", _centres_sheet(plan, geo))
        _sheet(xl, "assignment", _assignment_sheet(plan, geo))
        if len(plan.clusters):
            _sheet(xl, "clusters", plan.clusters)
        if len(plan.lots):
            _sheet(xl, "lots", plan.lots, percent=("share",))
        if len(plan.bundles.columns):
            _sheet(xl, "bundles", plan.bundles.rename(columns=BUNDLE_HEADERS))
        if geo is not None and len(sites := school_site_table(plan, geo)):
            _sheet(xl, "school sites", sites)
        if len(plan.why):
            _sheet(xl, "why", plan.why)
        if len(plan.spokes):
            _sheet(xl, "spokes", plan.spokes.rename(columns=SPOKE_HEADERS))
        _sheet(xl, "solver", solver)
        credit = attribution(geo) if geo is not None else ATTRIBUTION
        _sheet(xl, "sources", pd.DataFrame({"Source": [s.strip() for s in credit.split(". ") if s.strip()]
                                            + [f"Travel minutes: {geo.travel_source}" if geo is not None else ""]
                                            + [f"About the data: {sentence(n)}"
                                               for n in (geo.notes if geo is not None else ())]
                                            }))
        for sheet in xl.sheets.values():
            text_not_formulas(sheet)


def _typed(v):
    """A cell value: numbers stay numbers, None stays empty, tuples and lists become readable text."""
    if v is None:
        return None
    if isinstance(v, bool | int | float | np.number):
        return v
    if isinstance(v, tuple | list):
        return "; ".join(map(str, v)) if v else None
    return str(v)


def _assignment_sheet(plan, geo: Geography | None) -> pd.DataFrame:
    a = plan.assignment.copy()
    if geo is None:
        return a
    # as the report names them: a new centre with no name by its home area
    names = {str(row["centre"]): _centre_name(row, geo) for _, row in plan.centres.iterrows()}
    out = pd.DataFrame({"area": a["area"]})
    idx = a["area"].astype(str)
    out["area_name"] = geo.areas["name"].reindex(idx).to_numpy()
    out["district"] = geo.areas["district"].reindex(idx).to_numpy()
    out["under5"] = geo.areas["under5"].reindex(idx).to_numpy()
    ch = family_changes(plan, geo)
    if len(ch):
        out["today_centre"] = ch["today_centre"].reindex(idx).map(lambda j: names.get(j, j)).to_numpy()
        out["today_minutes"] = ch["today_minutes"].reindex(idx).round(1).to_numpy()
    out["planned_centre"] = a["centre"].astype(str).map(lambda j: names.get(j, j)).to_numpy()
    out["minutes"] = travel_minutes(plan.assignment, geo).reindex(idx).round(1).to_numpy()
    if a["cluster"].astype(str).str.len().gt(0).any():
        out["cluster"] = a["cluster"].to_numpy()
    return out


def text_not_formulas(sheet) -> None:
    """Store every cell whose text starts like a formula (``= + - @``) as plain text (OWASP CSV injection)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"
