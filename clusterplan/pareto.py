"""Pareto fronts by the epsilon-constraint method: each point a full plan that passes the checker.

Two fronts for an amalgamation scenario (or a sites scenario: new centres instead of centres kept), both minimising
deprivation-weighted child-minutes of travel:

- against the number of centres (management cost): one solve per count with ``centres.count`` fixed;
- against the share of under-fives in England's 30% most deprived areas (IDACI) within ``minutes`` of their centre:
  one solve per share s with the constraint "at least s of them within ``minutes``" (constraint (9) of
  :mod:`clusterplan.models.assignment`), from the unconstrained optimum's share up to the most any plan could
  reach (every deprived child within ``minutes`` of some centre that may stay open), or until no plan exists.

A point that another point matches or beats on both axes, better on one, is marked ``dominated`` (costs within the
solves' proven gaps count as equal; it can also arise when a solve stops at its time limit); points with no plan are
kept with ``status`` infeasible so the front shows where it ends (``no_solution`` where the time limit ended a solve
with neither a plan nor a proof: :class:`TimedOut`). The points solve side by side on threads (as many
as ``solver.threads``, default the machine's cores). With HiGHS the deprived front's points are re-solves of the
unconstrained optimum's model, built once per thread, with the epsilon constraint as a row added to it
(:class:`clusterplan.models.amalgamate.WhatIf`); so are the centres front's counts, re-solves of the scenario's
model built once per thread with the count as a row (the scenario's own count rules freed). A re-solve that finds no
plan falls back to a full solve, which widens the candidates or explains why no plan has that count.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import progress, registry
from .errors import CheckError, InfeasibleError, ScenarioError, SolverError, number_argument, number_list_argument
from .executor import side_by_side, thread_jobs, thread_map
from .geography import Geography
from .io import atomic_folder, write_csv
from .maps import plain_text
from .measures import deprived_under5, plan_minutes
from .metrics import Facts, deprived_within, metric_id
from .plan import Plan
from .scenario import Scenario, whole_geography
from .solve import finished, resolved, resolvers, solve

COST = "deprivation-weighted child-minutes"
#: The centres front's axis, by the facilities of the model the front re-solves (today's centres, or sites).
CENTRES_AXIS = {"centres": "centres kept (management cost)", "sites": "new centres (management cost)"}
SHARE = "deprived under-fives within 15 min (%)"


def share_column(minutes: float) -> str:
    """The front's column for the deprived share within ``minutes`` (the metrics' own name at 15 and 30)."""
    return f"deprived under-fives within {minutes:g} min (%)"


def share_within(plan: Plan, geo: Geography, minutes: float) -> float | None:
    """Percentage of the deprived under-fives within ``minutes`` of their centre (or new site) in ``plan``
    (unrounded: the front's steps start from it)."""
    assign = plan.assignment.set_index("area")["centre"].reindex(geo.areas.index)
    t = plan_minutes(plan.assignment, geo).to_numpy()
    return deprived_within(Facts.of(geo, assign, t), minutes)


def front_model(scn: Scenario) -> str:
    """The model whose fronts ``scn`` asks for: one that chooses how many centres there are (a count) and takes a
    deprived-share row (``amalgamate``: centres kept; ``sites``: new centres); any other is a
    :class:`ScenarioError` naming ``model``."""
    def offered(info: registry.ModelInfo) -> bool:
        return info.counts and info.restrictable
    if not offered(registry.info(scn.model)):
        models = " and ".join(m for m, i in registry.MODELS.items() if offered(i))
        raise ScenarioError(f"`model`: Pareto fronts trade travel against the number of centres and against the "
                            f"deprived share, for {models} plans; this scenario's model is {scn.model!r}")
    whole_geography(scn, "Pareto fronts trade travel against one model's count of centres over the whole "
                    "geography", "pareto")
    return scn.model


def _row(plan: Plan, **extra) -> dict:
    m = plan.metrics
    return {**extra, "centres": len(plan.kept), COST: m.get("weighted_child_minutes"),
            "mean minutes": m.get("mean_minutes"),
            SHARE: m.get("deprived_within_15_min_pct"), "status": plan.report.status, "gap": plan.report.gap}


def default_counts(kept: int, points: int = 4) -> list[int]:
    """Centre counts for a centres front when none are given: up to ``points`` counts below ``kept`` (the number of
    centres the optimum keeps), each about a tenth of ``kept`` fewer than the one before (at least one fewer), down
    to 1 at the least; ascending. Empty where the optimum keeps a single centre."""
    step = max(1, round(kept / 10))
    return sorted(k for k in range(kept - step, 0, -step)[:points])


def centres_front(geo: Geography, scenario: Scenario | dict[str, Any], counts: list[int], *,
                  reference: Plan | None = None) -> tuple[pd.DataFrame, list[Plan]]:
    """Travel against the number of centres kept: one plan per count in ``counts``. ``reference``: the scenario's
    own plan (its optimum), which is not a row but counts when marking points ``dominated``: a count above the
    optimum's costs more travel for more centres, so the optimum dominates it."""
    scn = Scenario.from_dict(scenario)
    front_model(scn)
    counts = sorted(set(number_list_argument(counts, "counts", "centres_front", whole=True, least=1)))
    rows, plans = [], []
    for k, got in zip(counts, _counts(geo, scn, counts), strict=True):
        if isinstance(got, str):
            rows.append({"count": k, "centres": k, "status": _status(got), "why": got})
            continue
        plans.append(got)
        rows.append(_row(got, count=k))
    if not rows:   # no count asked (the optimum keeps a single centre: none below it): an empty front, said so
        front = pd.DataFrame(columns=["count", "centres", COST, "mean minutes", SHARE, "status", "gap", "dominated"])
        front.attrs["note"] = "no centre count to solve: the front needs counts other than the optimum's"
        return front, plans
    front = pd.DataFrame(rows)
    extra = [_row(reference, count=None)] if reference is not None else []
    marked = _mark(pd.DataFrame(rows + extra), COST, "centres", lower_better=(True, True))
    return front.assign(dominated=marked["dominated"].to_numpy()[:len(rows)]), plans


#: Why a deprived-share front holds the optimum alone where no under-five lives in a deprived area.
NO_DEPRIVED = ("no under-five here lives in England's 30% most deprived areas (IDACI), so the deprived-share front "
               "holds the optimum alone")


def deprived_front(geo: Geography, scenario: Scenario | dict[str, Any], *, steps: int = 5, minutes: float = 15,
                   shares: list[float] | None = None) -> tuple[pd.DataFrame, list[Plan]]:
    """Travel against the share of deprived under-fives within ``minutes``: the unconstrained optimum, then
    ``steps`` evenly spaced higher shares up to the most any plan can reach (or the given ``shares``, fractions),
    until infeasible. The share column is :func:`share_column` (``minutes``)."""
    scn = Scenario.from_dict(scenario)
    front_model(scn)
    number_argument(steps, "steps", "deprived_front", whole=True, least=1)
    number_argument(minutes, "minutes", "deprived_front", least=0)
    if shares is not None:
        shares = number_list_argument(shares, "shares", "deprived_front", least=0)
        if any(s > 1 for s in shares):
            raise ScenarioError(f"deprived_front: `shares` are fractions of the deprived under-fives, from 0 to 1 "
                                f"(0.9 = 90%); got {shares}")
    col = share_column(minutes)

    def row(plan: Plan, **extra) -> dict:
        return _row(plan, **extra) | {col: share_within(plan, geo, minutes)}

    base = solve(geo, scn)
    rows, plans = [row(base, required=None)], [base]
    kids = float(deprived_under5(geo.areas).sum())
    if not kids:   # no deprived child: no share to trade travel for
        front = _mark(pd.DataFrame([{**rows[0], "why": NO_DEPRIVED}]), COST, col, lower_better=(True, False))
        front.attrs.update(share=col, note=NO_DEPRIVED)
        return front, plans
    cap = reachable_share(geo, scn, minutes)
    start = (rows[0][col] or 0.0) / 100
    # nothing to trade when the optimum already reaches every deprived child any plan could reach; steps are at
    # least a child apart (Devon: the optimum's share and the cap differed by rounding alone, and the front gave the
    # optimum twice more, "required 93.58%")
    targets = shares if shares is not None else list(dict.fromkeys(
        round(t * kids) / kids for t in np.linspace(start, cap, steps + 1)[1:] if (t - start) * kids >= 0.5))
    n = next((k for k, s in enumerate(targets) if s > cap + 1e-12), len(targets))   # in order, up to the cap
    reachable = list(targets[:n])
    got = _shares(geo, scn, base, float(minutes), [float(s) for s in reachable])
    for s, plan in zip(reachable, got, strict=True):   # the front ends at its first share no plan reaches
        if isinstance(plan, str):
            rows.append({"required": round(100 * s, 2), "status": _status(plan), "why": plan})
            break
        plans.append(plan)
        rows.append(row(plan, required=round(100 * s, 2)))
    else:
        if n < len(targets):
            rows.append({"required": round(100 * targets[n], 2), "status": "infeasible",
                         "why": f"only {cap:.2%} of the deprived under-fives live within {minutes:g} minutes of any "
                                "centre that may stay open"})
    front = _mark(pd.DataFrame(rows), COST, col, lower_better=(True, False))
    front.attrs["share"] = col
    if shares is None and not targets:
        front.attrs["note"] = (f"the optimum already has every deprived under-five any plan could have within "
                               f"{minutes:g} minutes ({cap:.2%}): no travel to trade for a higher share")
    return front, plans


class TimedOut(str):
    """Why a point of a front has no plan when its solve found none and proved none impossible within the time
    limit (status ``no_solution``, not ``infeasible``): the other points stand."""


def _solve_or_why(geo: Geography, scn: Scenario, **kw) -> Plan | str:
    """The checked plan, or why none exists (the last line of the infeasibility explanation), or a :class:`TimedOut`
    where the time limit ended the solve with neither."""
    try:
        return solve(geo, scn, quiet=True, **kw)
    except InfeasibleError as exc:   # the reason itself, without the list's dash
        return str(exc).splitlines()[-1].strip().removeprefix("- ")
    except SolverError as exc:
        return TimedOut("no plan within the time limit: " + " ".join(str(exc).split()))


def _status(why: str) -> str:
    """The status of a point with no plan: ``no_solution`` where its time ran out, else ``infeasible``."""
    return "no_solution" if isinstance(why, TimedOut) else "infeasible"


def _shares(geo: Geography, scn: Scenario, base: Plan, minutes: float, shares: list[float]) -> list[Plan | str]:
    """The plan (or why none) for each share of the deprived front: with HiGHS, re-solves of the optimum's model
    built once per thread, the epsilon constraint a row added to it (a full solve where that finds no plan, which
    explains an infeasible share); else a full solve each. Each plan is checked, and its share re-measured here."""
    workers = side_by_side(scn.solver.threads, len(shares))
    models = resolvers(geo, scn, base, workers) if shares else None
    if models is None:
        got = _side_by_side(lambda s: _solve_or_why(geo, scn, restrict={"deprived_within": (minutes, s)}),
                            shares, scn, "deprived-share front")
    else:
        with progress.step(f"deprived-share front: {len(shares)} re-solves, {workers} at a time"):
            answers = thread_map(lambda m, s: m.resolve(scn.solver.time_limit,
                                                        restrict={"deprived_within": (minutes, s)}), shares, models)
        got = []
        for s, a in zip(shares, answers, strict=True):
            r = {"deprived_within": (minutes, s)}
            note = (f"deprived-share front: a re-solve of the optimum's built model with at least {s:.2%} of "
                    f"deprived under-fives within {minutes:g} min")
            got.append(_solve_or_why(geo, scn, restrict=r) if a is None else resolved(models[0], geo, scn, a, r, note))
    for s, plan in zip(shares, got, strict=True):
        if isinstance(plan, Plan) and (have := share_within(plan, geo, minutes)) is not None \
                and have < 100 * s - 1e-6:
            raise CheckError([f"the deprived front's plan for {s:.2%} within {minutes:g} min has {have:.2f}%"])
    return got


def _counts(geo: Geography, scn: Scenario, counts: list[int]) -> list[Plan | str]:
    """The plan (or why none) for each count of the centres front, under ``scn`` with ``centres.count`` set to it
    (its own count rules dropped): with HiGHS, re-solves of the scenario's model built once per thread, the count a
    row (a full solve where that finds no plan); else a full solve each. Each plan is checked."""
    def of(k: int) -> Scenario:
        return scn.model_copy(update={"centres": scn.centres.model_copy(update={"count": k, "min_count": None,
                                                                                "max_count": None})})

    workers = side_by_side(scn.solver.threads, len(counts))
    models = resolvers(geo, scn, None, workers) if counts else None
    if models is None:
        return _side_by_side(lambda k: _solve_or_why(geo, of(k)), counts, scn, "centres front")
    with progress.step(f"centres front: {len(counts)} re-solves, {workers} at a time"):
        answers = thread_map(lambda m, k: m.resolve(scn.solver.time_limit,
                                                    restrict={"count": k, "min_count": None, "max_count": None}),
                             counts, models)
    return [_solve_or_why(geo, of(k)) if a is None else finished(
        models[0].plan_of(of(k), *a, f"centres front: a re-solve of the scenario's built model with {k} centres kept"),
        geo, of(k), {}) for k, a in zip(counts, answers, strict=True)]


def _side_by_side(fn, points: list, scn: Scenario, what: str) -> list:
    """``fn`` of every point, solved side by side on threads (as many as ``solver.threads``, default the machine's
    cores); each point's plan is the same as solved alone."""
    workers = side_by_side(scn.solver.threads, len(points))
    with progress.step(f"{what}: {len(points)} points, {workers} at a time"):
        return thread_jobs(fn, points, workers=workers)


def reachable_share(geo: Geography, scn: Scenario, minutes: float) -> float:
    """The most the front can reach: the share of deprived under-fives within ``minutes`` of any centre that may
    stay open, or site that may be chosen (with every one of them open and no floor)."""
    spec = registry.load(front_model(scn)).spec(geo, scn)
    open_ = [j for j in spec.facilities.index if j not in spec.close]
    dep = deprived_under5(geo.areas)
    near = spec.minutes[open_].min(axis=1) <= minutes
    return float(dep[near].sum() / dep.sum()) if dep.sum() else 1.0


def _mark(df: pd.DataFrame, a: str, b: str, *, lower_better: tuple[bool, bool]) -> pd.DataFrame:
    """Add ``dominated``: True where another point is no worse on ``a`` and ``b`` and better on one. Values of ``a``
    (the travel cost) closer than the larger of the two plans' gaps, where both solves are proven optimal (within
    the relative gap asked for), are a tie: neither solve can tell which is lower, so a point with more centres and
    a cost lower only within that gap is dominated, not a trade-off. Plans stopped by the time limit (``feasible``)
    are compared on their costs as they are."""
    ok = df["status"].isin(["optimal", "feasible"])
    nothing = pd.Series(np.nan, index=df.index)   # a column no row has (every point infeasible): no dominance
    va = df.get(a, nothing).where(ok).astype(float) * (1 if lower_better[0] else -1)
    vb = df.get(b, nothing).where(ok).astype(float) * (1 if lower_better[1] else -1)
    gap = (df["gap"] if "gap" in df else pd.Series(0.0, index=df.index)).astype(float).fillna(0.0).clip(lower=0.0)
    gap = gap.where(df["status"] == "optimal", 0.0)
    dominated = []
    for n in df.index:
        if not ok[n]:
            dominated.append(None)
            continue
        tol = np.maximum(gap, gap[n]) * abs(va[n])
        no_worse = (va <= va[n] + tol) & (vb <= vb[n])
        better = (va < va[n] - tol) | (vb < vb[n])
        dominated.append(bool((ok & no_worse & better).drop(index=n).any()))
    return df.assign(dominated=dominated)


@plain_text
def figure(centres: pd.DataFrame | None, deprived: pd.DataFrame | None, chosen: Plan | None = None):
    """The fronts side by side, the scenario's own plan marked; dominated points hollow, off the line."""
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    share = deprived.attrs.get("share", SHARE) if deprived is not None else SHARE
    panels = [(d, x) for d, x in ((centres, "centres"), (deprived, share)) if d is not None]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.4), squeeze=False)
    model = chosen.scenario.model if chosen is not None and chosen.scenario is not None else None
    centres_axis = CENTRES_AXIS.get(registry.info(model).facilities if model else "centres", CENTRES_AXIS["centres"])
    for ax, (df, x) in zip(axes[0], panels, strict=True):
        ok = df[df["status"].isin(["optimal", "feasible"])]
        off = ok["dominated"].fillna(False).astype(bool) if "dominated" in ok else pd.Series(False, index=ok.index)
        # shares drawn at the plan metrics' precision (0.1 points), where the scenario's own plan is placed: a
        # front only hundredths of a point wide once put the plan beside its own front point
        ok = ok.assign(**{x: ok[x].astype(float).round(1)}) if x != "centres" else ok
        front = ok[~off].sort_values(x)
        why = df.attrs.get("note") if front[x].isna().all() else None   # no deprived child: nothing to draw
        if not len(ok) and not why:   # no plan at any point asked for (e.g. more centres than there are)
            reasons = [str(w) for w in df.get("why", pd.Series(dtype=object)).dropna() if str(w)]
            why = f"no plan on this front: {reasons[0] if reasons else 'no point has a plan'}"
        if why:
            ax.text(0.5, 0.5, textwrap.fill(why, 50), transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color="#444444")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(centres_axis if x == "centres" else x)
            continue
        line = front[[x, COST]]
        own_x, own_cost = (len(chosen.kept), chosen.metrics.get("weighted_child_minutes")) if chosen else (0, None)
        if x == "centres" and own_cost is not None and own_x not in set(line[x]) \
                and not ((line[x] <= own_x) & (line[COST] <= own_cost)).any():
            # the scenario's own plan is a point of the centres front too where no point beats it on both axes
            line = pd.concat([line, pd.DataFrame({x: [own_x], COST: [own_cost]})]).sort_values(x)
        # the line through the points (and the scenario's own plan where it is one); the points on it, without a
        # second line that would cut across where the own plan lies between two of them
        ax.plot(line[x], line[COST], "-", color="#1f77b4")
        ax.plot(front[x], front[COST], "o", color="#1f77b4", label="front (each point a checked plan)")
        if len(front) == 1:   # one point, often under the scenario's own star: say so, not an empty-looking panel
            ax.text(0.5, 0.12, "one point: no plan trades one axis for the other here, nothing to trade",
                    transform=ax.transAxes, ha="center", fontsize=8, color="#444444")
            v = float(front[x].iloc[0])
            if x == "centres":   # a whole number of centres either side, not ticks at 0.945 ... 1.05
                ax.set_xlim(v - 1, v + 1)
            else:   # ten points of the share around it, within 0-100%, not ticks at -0.04 ... 0.04
                lo = min(max(v - 5, 0.0), 90.0)
                ax.set_xlim(lo - 0.5, lo + 10.5)
        if off.any():
            ax.plot(ok.loc[off, x], ok.loc[off, COST], "o", mfc="none", color="#7f7f7f",
                    label="dominated (another plan as good on both axes)")
        if chosen is not None:
            cx = len(chosen.kept) if x == "centres" else chosen.metrics.get(metric_id(x))
            if cx is not None:
                ax.plot([cx], [chosen.metrics.get("weighted_child_minutes")], "*", ms=16, color="#d62728",
                        label="this scenario's plan")
        if x == "centres":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel(centres_axis if x == "centres" else x)
        ax.set_ylabel(f"{COST}\n(lower is better)")
        ax.legend(fontsize=8)
    fig.suptitle("Pareto fronts by the epsilon-constraint method", fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))   # room at the foot for a source line
    return fig


def write(centres: pd.DataFrame, deprived: pd.DataFrame, chosen: Plan | None, out: str | Path) -> Path:
    """Write ``centres_front.csv``, ``deprived_front.csv`` and ``pareto.png`` (:func:`figure`) into ``out``,
    atomically."""
    with atomic_folder(out, kind="pareto") as tmp:
        write_csv(centres, tmp / "centres_front.csv", index=False)
        write_csv(deprived, tmp / "deprived_front.csv", index=False)
        figure(centres, deprived, chosen).savefig(tmp / "pareto.png", dpi=110)
    return Path(out)
