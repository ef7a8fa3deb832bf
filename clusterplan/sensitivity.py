"""Sensitivity: re-solve a scenario under other population years and under growth or decline of under-fives, and
report for every centre how often it is kept (robust decisions versus knife-edge ones).

Variants: each population year of the built-in data (Norfolk: ONS mid-year estimates 2017, 2019, 2020; the England
tables: 2020) at no growth, and each growth rate applied to the scenario's own year (every area's under-fives x
(1 + rate), rounded to whole children: a what-if, labelled as such in the geography's notes, not a forecast). Every
variant's plan passes the checker.

With HiGHS the variants are re-solves of one model built per thread
(:meth:`clusterplan.models.amalgamate.WhatIf.retarget`): a variant changes children under five only, so its model
is the built one with other objective weights and reach coefficients, and the same candidate pairs (checked; a
variant where anything else differs, or whose re-solve finds no plan, is solved in full). A variant whose full solve
finds no plan, whether proven impossible or out of time, has none (said why in its note); the others stand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import progress, registry
from .datasets import geography_for
from .errors import InfeasibleError, ScenarioError, SolverError, number_argument, number_list_argument
from .executor import side_by_side, thread_jobs, thread_map
from .geography import Geography
from .io import atomic_folder, write_csv
from .scenario import BUILTIN_YEARS, Scenario
from .solve import finished, resolvers, solve


def check_years(scn: Scenario, years: list[int]) -> None:
    """Raise :class:`ScenarioError` unless the scenario's data hold every one of ``years`` (the built-in data only:
    :data:`clusterplan.scenario.BUILTIN_YEARS`)."""
    builtin = scn.geography.builtin
    if builtin is None and years:
        raise ScenarioError("sensitivity: population years need the built-in data (geography.builtin); use growth "
                            "rates for your own files")
    held = BUILTIN_YEARS.get(builtin or "", ())
    other = [y for y in years if y not in held]
    if other:
        raise ScenarioError(f"sensitivity: years: the built-in {builtin} data hold mid-year under-fives for "
                            f"{', '.join(map(str, held))} only; got {', '.join(map(str, other))}")


def variants(scn: Scenario, years: list[int], growth: list[float]) -> list[tuple[str, Scenario, float]]:
    """(label, scenario, growth rate) for each variant."""
    out = []
    check_years(scn, years)
    for y in years:
        out.append((f"{y}", scn.model_copy(update={"geography": scn.geography.model_copy(update={"year": y})}), 0.0))
    for g in growth:
        if g == 0 and scn.geography.year in years:
            continue
        out.append((f"{scn.geography.year} {g:+.0%}", scn, g))
    return out


def sensitivity(scenario: Scenario | dict[str, Any], *, years: list[int] | None = None,
                growth: list[float] = (-0.1, 0.1), geography: Geography | None = None,
                workers: int | None = None) -> pd.DataFrame:
    """One row per centre, one column per variant (True = kept, False = amalgamated, None = no plan), then
    ``kept_share`` and ``decision`` (kept in every variant / amalgamated in every variant / knife-edge).

    ``years`` default to every year the built-in data hold (Norfolk 2017, 2019 and 2020; the England tables 2020);
    ``growth`` are rates (-0.1 = 10% fewer under-fives in every area). ``geography`` replaces the scenario's own
    (growth variants only). The variants solve side by side on ``workers`` threads (default: ``solver.threads``,
    else the machine's cores; 1 = one after another); every variant's plan is the same whichever way it runs.
    """
    scn = Scenario.from_dict(scenario)
    if not registry.info(scn.model).closes_centres:
        raise ScenarioError(f"`model`: sensitivity compares amalgamate plans; this scenario's model is {scn.model!r}")
    if years is not None:
        years = number_list_argument(years, "years", "sensitivity", whole=True)
    growth = number_list_argument(growth, "growth", "sensitivity", least=-1)   # rates, as --growth takes them
    if workers is not None:
        number_argument(workers, "workers", "sensitivity", whole=True, least=1)
    if years is None:
        years = list(BUILTIN_YEARS.get(scn.geography.builtin or "", ())) if geography is None else []
    jobs = []
    for label, v_scn, rate in variants(scn, list(years), list(growth)):
        geo = geography if geography is not None else geography_for(v_scn)
        if rate:
            geo = geo.with_under5((geo.areas["under5"] * (1 + rate)).round(),
                                  note=f"what-if: under-fives x {1 + rate:.2f} in every area (not a forecast)")
        jobs.append((label, v_scn, geo))
    names = jobs[-1][2].located_centres["name"] if jobs else pd.Series(dtype=object)
    workers = side_by_side(workers or scn.solver.threads, len(jobs))
    with progress.step(f"sensitivity: {len(jobs)} variants, {workers} at a time"):
        models = resolvers(jobs[0][2], jobs[0][1], None, workers) if jobs else None
        got = thread_jobs(solve_variant, jobs, workers=workers) if models is None else \
            thread_map(re_solve_variant, jobs, models)
        done = {label: (kept, note) for label, kept, note in got}
    cols: dict[str, pd.Series] = {}
    notes: dict[str, str] = {}
    for label, _, _ in jobs:   # the variants' order, whichever finished first
        kept, notes[label] = done[label]
        cols[label] = pd.Series(None if kept is None else names.index.isin(kept), index=names.index, dtype=object)
    table = pd.DataFrame(cols)
    table.insert(0, "name", names)
    solved = table[list(cols)].notna()
    kept = table[list(cols)].fillna(False).astype(bool) & solved
    n_solved = solved.sum(axis=1)
    # shares of the variants with a plan; where none has one there is no share (not 0: nothing was amalgamated)
    table["kept_share"] = (kept.sum(axis=1) / n_solved.where(n_solved > 0)).round(3)
    table["decision"] = [decision(s, int(n), len(cols)) for s, n in zip(table["kept_share"], n_solved, strict=True)]
    table.attrs["variants"] = notes
    return table.sort_values(["kept_share", "name"])


def decision(share: float, solved: int, variants: int) -> str:
    """A centre's decision across the variants: kept or amalgamated in every variant (of those with a plan, said
    where some had none), or knife-edge; ``share``: the share of the ``solved`` variants (of ``variants``) that
    keep it."""
    if solved == 0:
        return "no variant has a plan"
    every = "in every variant" if solved == variants else f"in every variant with a plan ({solved} of {variants})"
    return f"kept {every}" if share == 1 else f"amalgamated {every}" if share == 0 else "knife-edge"


def solve_variant(job: tuple[str, Scenario, Geography]) -> tuple[str, list[str] | None, str]:
    """(label, centres kept or None where no plan exists, a note) for one variant ``(label, scenario, geography)``."""
    label, v_scn, geo = job
    try:
        plan = solve(geo, v_scn, quiet=True)
    except InfeasibleError as exc:
        return label, None, " ".join(str(exc).split())
    except SolverError as exc:   # no plan and no proof within the limit: this variant has no plan, the rest stand
        return label, None, "no plan within the time limit: " + " ".join(str(exc).split())
    return _kept(label, plan, geo)


def _kept(label: str, plan, geo: Geography) -> tuple[str, list[str], str]:
    """A variant's (label, centres kept, note) from its plan."""
    return label, list(plan.kept), (f"{plan.report.status}, {len(plan.kept)} kept, "
                                    f"{int(geo.areas['under5'].sum()):,} children")


def re_solve_variant(model, job: tuple[str, Scenario, Geography]) -> tuple[str, list[str] | None, str]:
    """:func:`solve_variant` as a re-solve of ``model`` (a :func:`clusterplan.solve.resolver` model) retargeted to the
    variant's children under five; a full solve where it cannot be retargeted or its re-solve finds no plan."""
    label, v_scn, geo = job
    if not model.retarget(geo, v_scn) or (got := model.resolve(v_scn.solver.time_limit)) is None:
        return solve_variant(job)
    plan = finished(model.plan_of(v_scn, *got, f"sensitivity: a re-solve of the built model with the under-fives of "
                                              f"{label}"), geo, v_scn, {})
    return _kept(label, plan, geo)


def write(table: pd.DataFrame, out: str | Path) -> Path:
    """Write ``sensitivity.csv`` (the table of :func:`sensitivity`) into ``out``, atomically."""
    with atomic_folder(out, kind="sensitivity") as tmp:
        write_csv(table, tmp / "sensitivity.csv")
    return Path(out)
