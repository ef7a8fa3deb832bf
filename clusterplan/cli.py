"""The ``clusterplan`` command line.

Exit codes: 0 success, 1 infeasible (with the explanation), 2 bad input (naming the file or key, or an output
folder that cannot be used), 3 an internal error (a bug: please report it), 130 interrupted (Ctrl-C), 143 terminated
(SIGTERM), 141 where the reader of the output went away (``clusterplan ... | head``: files are written before the
terminal output). Every command that writes checks its output folder before any work (see :mod:`clusterplan.io`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import sys
import textwrap
from pathlib import Path

import matplotlib
import pandas as pd

from . import alternatives as alt
from . import batch as batches
from . import datasets, england, pareto, progress, registry, sensitivity
from . import ensemble as ens
from . import io as cpio
from .compare import compare, for_terminal, key_columns
from .compare import write as write_comparison
from .errors import (
    TERMINATION,
    InfeasibleError,
    InputError,
    OutputError,
    ScenarioError,
    SolverError,
    Terminated,
    count_of,
    shorten,
)
from .io import check_dir, ensure_folder, plan_folders, plan_tables, prepare_out, read_plan, write_plan
from .maps import as_count, format_value
from .metrics import label
from .report import confidence
from .runner import explain, run, run_or_reuse, why_none
from .scenario import Scenario, json_schema, load, read_yaml, scenario_files
from .solve import solve


def _on_sigterm(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    TERMINATION.set()
    raise Terminated()


def _say(prefix: str, exc: BaseException) -> None:
    """Print an error to stderr, every line cut to a readable length (a huge value is never echoed in full)."""
    lines = str(exc).splitlines() or [""]
    text = "\n".join(shorten(line, 1000) for line in lines[:200])
    if len(lines) > 200:
        text += f"\n  ... and {len(lines) - 200} more lines"
    print(f"{prefix}: {text}", file=sys.stderr)


def _inputs(scenario_path: str | Path, scn=None) -> list[Path]:
    """Every file a scenario reads: itself, what it extends, and its geography's files (never overwritten)."""
    files = list(scenario_files(scenario_path))
    if scn is not None:
        files += [Path(f) for f in scn.geography.files()] + [Path(f) for f in scn.spoke_files()]
        if scn.geography.data:
            files.append(Path(scn.geography.data))
    return files


def _summary(args: argparse.Namespace) -> int:
    g = datasets.norfolk(args.year)
    print(g.summary())
    print(f"\nData: {datasets.ATTRIBUTION}")
    return 0


def _report_line(plan) -> str:
    r = plan.report

    def num(v, fmt: str) -> str:
        return "n/a" if v is None else format(v, fmt)

    return (f"{r.status} (objective {num(r.objective, ',.0f')}, bound {num(r.bound, ',.0f')}, "
            f"gap {num(r.gap, '.2%')}, {r.seconds:.1f} s, {r.solver_version})")


def _norfolk(args: argparse.Namespace) -> int:
    if args.out:
        prepare_out(args.out, kind="norfolk")
    g = datasets.norfolk(args.year)
    print(g.summary())
    geo_spec = {"builtin": "norfolk", "year": args.year}
    today_scn = Scenario.from_dict({"name": "status quo", "model": "status_quo", "geography": geo_spec})
    scn = Scenario.from_dict({"name": f"amalgamate (floor {args.floor:g})", "model": "amalgamate",
                              "geography": geo_spec, "reach": {"min": args.floor},
                              "solver": {"time_limit": args.time_limit}})
    today = solve(g, today_scn)
    plan = solve(g, scn)
    c = today.centres
    print(f"\nToday (status quo catchments): {len(c)} located centres, "
          f"{int((c['reach'] < args.floor).sum())} reach fewer than {args.floor:g} children; "
          f"lowest {c['reach'].min()} ({c.loc[c['reach'].idxmin(), 'name']})")
    kept = plan.centres[plan.centres["status"] == "kept"]
    merged = plan.centres[plan.centres["status"] == "amalgamated"]
    print(f"\nAmalgamated under a floor of {args.floor:g}: {len(kept)} centres kept, {len(merged)} amalgamated; "
          f"solver {_report_line(plan)}")
    for _, row in merged.iterrows():
        into = plan.centres.set_index("centre").at[row["merged_into"], "name"]
        print(f"  {row['name']} -> {into}")
    print(f"  every plan re-verified by the independent checker; scope: {plan.report.scope}")
    if args.out:
        ensure_folder(args.out, kind="norfolk")
        write_plan(today, g, today_scn, f"{args.out}/status_quo")
        write_plan(plan, g, scn, f"{args.out}/amalgamate")
        print(f"\nwritten: {args.out}/status_quo/ and {args.out}/amalgamate/ (as `clusterplan run` writes them)")
    print(f"\nData: {datasets.ATTRIBUTION}")
    return 0


def _load(path: str, time_limit: float | None):
    """A scenario file, with ``--time-limit`` applied."""
    scn = load(path)
    if time_limit is None:
        return scn
    data = scn.model_dump(mode="json")
    data["solver"]["time_limit"] = time_limit
    return Scenario.from_dict(data, source=f"{path} with --time-limit {time_limit:g}")


def _run(args: argparse.Namespace) -> int:
    scn = _load(args.scenario, args.time_limit)
    prepare_out(args.out, inputs=_inputs(args.scenario, scn), kind="plan")
    try:
        plan, geo = run(scn)
        plan = explain(plan, geo, scn, args.why, seconds=args.why_seconds)
    except ScenarioError as exc:
        if str(args.scenario) in str(exc):
            raise
        raise ScenarioError(f"{args.scenario}: {exc}") from None
    out = write_plan(plan, geo, scn, args.out)
    print(f"{scn.name}: {_report_line(plan)}")
    if plan.report.status == "feasible":   # not proven: say how far it may be from the best, or that none can say
        print(f"  {confidence(plan)}")
    if args.why and (because := why_none(plan, scn)):   # asked for, and none to give: said, not silent
        print(f"  --why: nothing explained: {because}")
    for k, v in plan.metrics.items():
        v = as_count(k, v)
        shown = "n/a" if v is None else (f"{v:.2%}" if k == "gap" else (f"{v:,}" if isinstance(v, int) else v))
        print(f"  {label(k)}: {shown}")
    if geo.travel_by_model != "all":   # your own minutes: say whose, and any doubt about their unit
        print(f"  travel minutes: {geo.travel_source}")
    for note in plan.notes:   # the solve's own caveats (areas beyond T, a widened model): not only in the report
        print(f"  note: {note}")
    # the tables written, from the plan: the folder itself may be mid-swap by another run of the same --out
    extra = "".join(f", {name}" for name in sorted(plan_tables(plan)) if name not in ("assignment.csv", "centres.csv"))
    print(f"written: {out}/ (assignment.csv, centres.csv, metrics.json, manifest.json, plan.gpkg, report.html, "
          f"report.xlsx{extra})")
    return 0


def _check(args: argparse.Namespace) -> int:
    if args.england_data:   # a plan of an English authority is checked against the England tables it was built from
        os.environ["CLUSTERPLAN_ENGLAND_DATA"] = args.england_data
    plans = plan_folders(args.dir)
    if not plans:
        return _check_one(args.dir)
    # a folder of plans (a sweep, batch, comparison, alternatives): each plan in it, then a line for them all
    codes = []
    for folder in plans:
        try:
            codes.append(_check_one(str(folder)))
        except InputError as exc:
            print(f"bad input: {exc}")
            codes.append(2)
    held, broken, unreadable = codes.count(0), codes.count(1), codes.count(2)
    print(f"{args.dir}: {count_of(len(plans), 'plan', 'plans')} checked: {held} {'holds' if held == 1 else 'hold'} "
          "every constraint" + (f", {broken} with violations" if broken else "")
          + (f", {unreadable} could not be read" if unreadable else ""))
    return 1 if broken else 2 if unreadable else 0


def _check_one(folder: str) -> int:
    """Check one plan folder, printing its warnings and violations: 0 where every constraint holds, 1 if not."""
    violations, warnings = check_dir(folder)
    for w in warnings:
        print(f"warning: {w}")
    if violations:
        print(f"{folder}: {len(violations)} violation(s):")
        for v in violations:
            print(f"  - {v}")
        return 1
    print(f"{folder}: every constraint holds (independent checker)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def compare_folders(paths: list[str]) -> list[str]:
    """One output folder name per scenario file, never shared: the file's stem, or ``<folder>_<stem>`` where two
    files share a stem. The same file twice is an error."""
    resolved = [os.path.realpath(p) for p in paths]
    twice = sorted({p for p in paths if resolved.count(os.path.realpath(p)) > 1})
    if twice:
        raise ScenarioError(f"compare: {twice[0]} is given more than once; name each scenario once")
    stems = [Path(p).stem for p in paths]
    names = [f"{Path(r).parent.name}_{st}" if stems.count(st) > 1 else st for r, st in zip(resolved, stems,
                                                                                             strict=True)]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        both = ", ".join(p for p, n in zip(paths, names, strict=True) if n in clash)
        raise ScenarioError(f"compare: scenarios {both} would share an output folder; rename one of the files")
    return names


def _compare(args: argparse.Namespace) -> int:
    out = Path(args.out)
    names = compare_folders(args.scenarios)
    scenarios = [_load(path, args.time_limit) for path in args.scenarios]
    inputs = [f for path, scn in zip(args.scenarios, scenarios, strict=True) for f in _inputs(path, scn)]
    prepare_out(out, inputs=inputs, kind="compare")
    for name in names:
        prepare_out(out / name, inputs=inputs, kind="plan")
    ensure_folder(out, kind="compare")
    plans, geos = [], []
    for name, path, scn in progress.items(list(zip(names, args.scenarios, scenarios, strict=True)), "compare"):
        try:
            plan, geo, reused = run_or_reuse(scn, out / name, why=args.why, why_seconds=args.why_seconds)
        except InfeasibleError as exc:   # which of the files: the plans before it are written, and reused next time
            raise InfeasibleError(f"{path} ({scn.name}): {str(exc).splitlines()[0]}", exc.reasons) from exc
        except SolverError as exc:
            raise SolverError(f"{path} ({scn.name}): {exc}") from exc
        plans.append(plan)
        geos.append(geo)   # each plan is drawn on its own geography (scenarios may name other authorities)
        progress.write(f"{scn.name}: {'reused (inputs unchanged, re-checked)' if reused else _report_line(plan)}")
    table = compare(plans, geos)
    written = write_comparison(plans, geos, table, out)
    print(for_terminal(table).to_string())
    print(f"written: {out}/{', '.join(written)} (every figure of every plan) and one folder per scenario "
          f"({', '.join(names)})")
    return 0


def _demo(args: argparse.Namespace) -> int:
    """Compare every shipped Norfolk scenario (no shell glob needed, so it works the same on Windows)."""
    folder = Path(__file__).resolve().parent.parent / "scenarios" / "norfolk"
    files = sorted(str(p) for p in folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise InputError(str(folder), ["the shipped Norfolk scenarios are not here; run from a clone of the "
                                       "clusterplan repository, or `clusterplan compare` your own scenario files"])
    args.scenarios = files
    code = _compare(args)
    print(f"\nnext: open {Path(args.out) / 'amalgamate_then_tender' / 'report.html'} in a browser, and "
          f"{Path(args.out) / 'comparison.png'} for the side-by-side maps")
    return code


def _sweep(args: argparse.Namespace) -> int:
    base = read_yaml(args.scenario)
    base.setdefault("name", args.scenario)
    if args.time_limit is not None:
        base.setdefault("solver", {})["time_limit"] = args.time_limit
    prepare_out(args.out, inputs=_inputs(args.scenario, Scenario.from_dict(base, source=args.scenario)), kind="sweep")
    table = batches.sweep(base, args.set, args.out, workers=args.workers, scheduler=_scheduler(args),
                          progress=progress.write)
    print(key_columns(table, first=[k for k, _ in batches.parse_sets(args.set)]).to_string())
    failed = table["error"].dropna().astype(str) if "error" in table else pd.Series(dtype=str)
    failed = failed[failed != ""]
    print(f"written: {args.out}/sweep.csv (every figure of every variant: "
          f"{count_of(len(table), 'variant', 'variants')}, {len(failed)} without a plan) and one plan folder per "
          "variant with one")
    for variant, error in failed.items():   # the table has no column for them: said here, as batch says its own
        print(f"  {variant}: {error}")
    return 0


def _scheduler(args: argparse.Namespace) -> str | None:
    """``--dask local`` or ``--scheduler ADDRESS`` as the executor's scheduler (None: local processes)."""
    if args.scheduler and args.dask:
        raise ScenarioError("give either --scheduler ADDRESS or --dask local, not both")
    return args.scheduler or args.dask


def _executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_number(int, 1), default=2,
                   help="worker processes (local, or in a Dask LocalCluster)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster whose scheduler is at ADDRESS, "
                   "e.g. tcp://10.0.0.5:8786 (its workers need clusterplan installed)")
    p.add_argument("--dask", choices=["local"], help="run on a Dask LocalCluster started on this machine")


def _england_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--england-data", metavar="DIR", help="folder of the England tables (default: the "
                   "CLUSTERPLAN_ENGLAND_DATA environment variable)")


def _authorities(args: argparse.Namespace) -> int:
    table = england.authorities(args.england_data)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.drop(columns="districts").to_string())
    unknown = table.index[table["under5"].isna()]
    counted = f"{int(table['under5'].sum()):,} children under five (mid-2020)" + (
        f" in the {len(table) - len(unknown)} whose counts are all numbers; {len(unknown)} cannot be counted "
        f"({', '.join(table.loc[unknown, 'name'][:10])}): run one of them to see which LSOA's value is missing or "
        "not a number" if len(unknown) else "")
    print(f"{len(table)} upper-tier authorities, {int(table['areas'].sum()):,} areas, {counted}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    base = read_yaml(args.scenario)
    base.setdefault("name", Path(args.scenario).stem)
    if args.time_limit is not None:
        base.setdefault("solver", {})["time_limit"] = args.time_limit
    inputs = _inputs(args.scenario) + ([Path(args.england_data)] if args.england_data else [])
    prepare_out(args.out, inputs=inputs, kind="batch")
    names = args.authorities or None
    table = batches.batch(base, args.out, authorities=names, data=args.england_data, workers=args.workers,
                  scheduler=_scheduler(args), progress=progress.write)
    failed = table[table["status"].isin(["infeasible", "failed"])]
    print(f"written: {args.out}/batch.csv ({count_of(len(table), 'authority', 'authorities')}, {len(failed)} "
          "without a plan) and one plan folder per authority with one")
    for _, r in failed.iterrows():
        print(f"  {r['status']}: {r['authority']} {r['name']}: {r['error']}")
    return 0


def _load_run(path: str, out: str, kind: str):
    """The scenario and its geography, after checking ``out`` for a folder of ``kind`` (before any solve)."""
    scn = load(path)
    prepare_out(out, inputs=_inputs(path, scn), kind=kind)
    return scn, datasets.geography_for(scn)


def _alternatives(args: argparse.Namespace) -> int:
    scn, geo = _load_run(args.scenario, args.out, "alternatives")
    alts = alt.alternatives(geo, scn, k=args.k, min_centres=args.min_centres, min_areas=args.min_areas,
                            within=args.within)
    alt.write(alts, geo, scn, args.out)
    print(alt.table(alts).astype(object).fillna("-").to_string())   # a figure a plan lacks: "-", not None
    for n in alts[0].plan.notes:
        if n.startswith("alternatives:"):
            print(n)
    print(f"written: {args.out}/alternatives.csv and plan_0 (the optimum)"
          + (f" .. plan_{len(alts) - 1}" if len(alts) > 1 else ""))
    return 0


def _ensemble(args: argparse.Namespace) -> int:
    scn, geo = _load_run(args.scenario, args.out, "ensemble")
    ens.refuse(scn)   # before the solve of its start
    chosen = None   # the commissioner's plan, checked to be one of this geography before the solve and the chain
    if args.chosen:
        chosen = ens.chosen_assignment(read_plan(args.chosen).assignment.set_index("area")["centre"], geo,
                                       f"--chosen {args.chosen}")
    best = solve(geo, scn)
    chain = ens.recom(geo, scn, best, steps=args.steps, seed=args.seed)
    w = scn.deprivation.weight
    marks = {"optimal plan": ens.plan_figures(best.assignment.set_index("area")["centre"], geo, geo.centre_minutes, w)}
    if chosen is not None:
        marks["chosen plan"] = ens.plan_figures(chosen, geo, geo.centre_minutes, w)
    summary = ens.write(chain, marks, args.out)
    print(json.dumps(summary, indent=2))
    print(f"written: {args.out}/ensemble.csv, ensemble.png, summary.json")
    return 0


def _in_range(value: float, least: float | None) -> bool:
    """``value`` is a finite number (not NaN, not infinite) of at least ``least`` (None: any)."""
    return math.isfinite(value) and (least is None or value >= least)


def _numbers(kind: type, example: str, *, least: float | None = None):
    """An argparse type: comma-separated finite numbers of ``kind`` (int or float), each at least ``least``; a value
    that is not one is a usage error naming what was expected (argparse adds the option's name)."""
    word = "whole numbers" if kind is int else "numbers"

    def parse(text: str) -> list:
        try:
            out = [kind(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {word}, e.g. {example}; got {text!r}") from None
        if not all(_in_range(v, least) for v in out):
            more = f" of {least:g} or more" if least is not None else ""
            raise argparse.ArgumentTypeError(f"expected {word}{more}, e.g. {example}; got {text!r}")
        return out
    return parse


def _number(kind: type, least: float):
    """An argparse type: one finite number of ``kind`` (int or float) of at least ``least``, else a usage error."""
    word = "a whole number" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not _in_range(value, least):
            raise argparse.ArgumentTypeError(f"expected {word} of {least:g} or more, got {text!r}")
        return value
    return parse


def _sensitivity(args: argparse.Namespace) -> int:
    scn = load(args.scenario)
    years = args.years
    sensitivity.check_years(scn, years or [])   # before the output folder is made
    prepare_out(args.out, inputs=_inputs(args.scenario, scn), kind="sensitivity")
    growth = [g / 100 for g in args.growth]
    table = sensitivity.sensitivity(scn, years=years, growth=growth)
    sensitivity.write(table, args.out)
    for variant, note in table.attrs["variants"].items():
        print(f"{variant}: {note}")
    shown = table.rename(columns={"kept_share": "kept in (share of variants)"})
    print(shown.to_string(na_rep="-",   # pandas shows a missing value (a variant with no plan) without formatters
                          formatters={c: (lambda v: format_value(v, "share")) if c.startswith("kept in") else
                                      (lambda v: format_value(v)) for c in shown.columns}))
    print(f"written: {args.out}/sensitivity.csv")
    return 0


def _pareto(args: argparse.Namespace) -> int:
    scn, geo = _load_run(args.scenario, args.out, "pareto")
    df, plans = pareto.deprived_front(geo, scn, steps=args.steps)   # its first plan: the scenario's optimum
    counts = args.counts
    if counts is None:
        kept = len(plans[0].kept)
        counts = pareto.default_counts(kept)
        has = "keeps" if registry.info(scn.model).facilities == "centres" else "opens"   # sites: a new network
        print(f"centres front: {', '.join(map(str, counts))} centres (the optimum {has} {kept}; choose others "
              "with --counts)" if counts else f"centres front: none (the optimum {has} "
              f"{count_of(kept, 'centre', 'centres')}, so no count is below it; give counts with --counts)")
    cf, _ = pareto.centres_front(geo, scn, counts, reference=plans[0])
    pareto.write(cf, df, plans[0], args.out)
    shown = {"gap": lambda g: "" if pd.isna(g) else f"{g:.2%}",
             df.attrs.get("share", ""): lambda v: "" if pd.isna(v) else f"{v:.1f}"}

    def readable(t: pd.DataFrame) -> pd.DataFrame:
        """Dominance as yes / no / -, and None as a missing value, which na_rep shows as "-" (pandas prints None
        in a column of objects as "None", whatever the formatters)."""
        t = t.map(lambda v: float("nan") if v is None else v)
        if "dominated" in t.columns:
            t = t.assign(dominated=t["dominated"].map(lambda v: format_value(None if pd.isna(v) else bool(v))))
        return t

    if len(cf):
        print(readable(cf).to_string(formatters=shown, na_rep="-"))   # a count with no plan: no figures
    # the first row is the optimum, no share required of it (pandas shows a missing value as None, unformatted)
    required = df["required"].map(lambda v: "none (the optimum)" if pd.isna(v) else f"{v:g}")
    print(readable(df.assign(required=required)).to_string(formatters=shown, na_rep="-"))
    if df.attrs.get("note"):
        print(f"note: {df.attrs['note']}")
    print(f"written: {args.out}/centres_front.csv, deprived_front.csv, pareto.png")
    return 0


class _Help(argparse.RawDescriptionHelpFormatter):
    """Each option's default shown after its help (where it has one); descriptions and examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "%(default)" not in text \
                and action.option_strings:
            text += " (default: %(default)s)"
        return text


def _command(sub, name: str, summary: str, example: str, func, description: str = ""):
    text = textwrap.fill(description or summary[0].upper() + summary[1:] + ".", 100)
    p = sub.add_parser(name, help=summary, description=text, epilog=f"example:\n  {example}", formatter_class=_Help)
    p.set_defaults(func=func)
    return p


def _scenario_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file (see `clusterplan schema`, and scenarios/ for examples)")


def _out_arg(p: argparse.ArgumentParser, what: str = "the plan's files") -> None:
    p.add_argument("--out", required=True, metavar="DIR", help=f"folder for {what}: new, empty, or one clusterplan "
                   "wrote (never your own files; checked before any solve)")


def _time_limit_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit", type=_seconds, metavar="SECONDS", default=None,
                   help="wall-clock seconds for each scenario's whole solve (every MIP and heuristic inside it "
                        "shares them), overriding the scenario's solver.time_limit")


def _seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _why_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--why", action=argparse.BooleanOptionalAction, default=None,
                   help="explain every amalgamation (a what-if re-solve per amalgamated centre, so the report says "
                        "which decisions are firm, knife-edge or ties); default: on for amalgamate scenarios")
    p.add_argument("--why-seconds", type=_seconds, metavar="SECONDS", default=None,
                   help="time limit of each what-if re-solve behind --why (default: the scenario's solver.time_limit); "
                        "a re-solve stopped by it before its proof gives the cost of keeping the centre open as a "
                        "proven range, and the report says so")


def build_parser() -> argparse.ArgumentParser:
    """The ``clusterplan`` argument parser (every subcommand with its help, defaults and an example)."""
    parser = argparse.ArgumentParser(
        prog="clusterplan", formatter_class=_Help,
        description="Plan Sure Start children's centre networks: exact, independently checked plans under the reach "
                    "floor of 600 children under five per centre.",
        epilog="examples:\n  clusterplan demo --out out\n  clusterplan run scenarios/norfolk/"
               "amalgamate_then_tender.yaml --out out/amalgamate\n  clusterplan check out/amalgamate\n\n"
               "exit codes: 0 success, 1 infeasible, 2 bad input or unusable output folder, 3 internal error, "
               "130 interrupted, 143 terminated, 141 output pipe closed")
    parser.add_argument("--version", action="version", version=f"clusterplan {cpio.version()}")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.add_argument("--verbose", action="store_true", help="show the solver's own log (HiGHS or CBC)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    years = sorted(datasets.POPULATION_FILES)

    p = _command(sub, "demo", "compare every shipped Norfolk scenario on the built-in data (the main job)",
                 "clusterplan demo --out out", _demo,
                 "Runs every scenario of scenarios/norfolk (the status quo, amalgamate-then-tender, the cluster model, "
                 "the hybrid, the fifteen bases, a network on school sites, network capacity and family hubs, with and "
                 "without a budget) on the built-in Norfolk data, and writes one folder per scenario (open "
                 "<out>/<scenario>/report.html) plus comparison.csv and comparison.png (about 11 minutes on 2 cores).")
    _out_arg(p, "the plans and the comparison")
    _time_limit_arg(p)
    _why_arg(p)
    p = _command(sub, "summary", "summarise the built-in Norfolk geography and its data gaps",
                 "clusterplan summary --year 2019", _summary)
    p.add_argument("--year", type=int, default=2020, choices=years, help="mid-year under-five estimates")
    p = _command(sub, "norfolk", "Norfolk today and amalgamated under the reach floor",
                 "clusterplan norfolk --floor 600 --out out/norfolk", _norfolk)
    p.add_argument("--year", type=int, default=2020, choices=years, help="mid-year under-five estimates")
    p.add_argument("--floor", type=_number(float, 0), default=600, help="reach floor: children under five per centre")
    p.add_argument("--time-limit", type=_seconds, default=120, metavar="SECONDS",
                   help="wall-clock seconds for the amalgamation's whole solve")
    p.add_argument("--out", metavar="DIR", help="folder to write both plans into (optional)")
    p = _command(sub, "run", "run a scenario file and write the plan, metrics, maps and reports",
                 "clusterplan run scenarios/norfolk/amalgamate_then_tender.yaml --out out/amalgamate --why", _run)
    _scenario_arg(p)
    _out_arg(p)
    _time_limit_arg(p)
    _why_arg(p)
    p = _command(sub, "compare", "run (or reuse) several scenario files and compare them side by side",
                 "clusterplan compare scenarios/norfolk/status_quo.yaml scenarios/norfolk/cluster_model.yaml "
                 "--out out", _compare)
    p.add_argument("scenarios", nargs="+", metavar="scenario", help="scenario YAML files")
    _out_arg(p, "one plan folder per scenario, comparison.csv and comparison.png")
    _time_limit_arg(p)
    _why_arg(p)
    p = _command(sub, "check", "re-verify a written plan folder (or every plan in a sweep, batch, comparison or "
                 "alternatives folder) with the independent checker", "clusterplan check out/amalgamate", _check)
    p.add_argument("dir", metavar="DIR", help="a plan folder written by `clusterplan run`, or a folder of plans "
                   "written by sweep, batch, compare or alternatives (each plan in it is checked)")
    _england_data(p)
    p = _command(sub, "sweep", "run every combination of --set values, in parallel, resumable",
                 "clusterplan sweep scenarios/norfolk/amalgamate_then_tender.yaml --set reach.min=500,600,700 "
                 "--out out/sweep", _sweep)
    _scenario_arg(p)
    p.add_argument("--set", nargs="+", action="extend", required=True, metavar="KEY=V1,V2",
                   help="scenario key and its values, e.g. reach.min=500,600,700 deprivation.weight=0,1 (or one "
                        "--set per key); a list in brackets is one value: 'centres.keep=[Diss,Harleston],[Diss]'")
    _out_arg(p, "one plan folder per variant and sweep.csv")
    _time_limit_arg(p)
    _executor_options(p)
    p = _command(sub, "authorities", "list England's upper-tier authorities (from the England tables)",
                 "clusterplan authorities --england-data ../shared/data/england", _authorities)
    _england_data(p)
    p = _command(sub, "batch", "run a scenario over many English authorities (each with its own centres), resumable",
                 "clusterplan batch scenarios/england/amalgamate.yaml --out out/england --authorities Kent,Rutland",
                 _batch)
    _scenario_arg(p)
    _out_arg(p, "one plan folder per authority and batch.csv")
    p.add_argument("--authorities", action="extend", type=lambda text: [a.strip() for a in text.split(",")],
                   help="codes or names, comma-separated, or one --authorities each (default: all 152)")
    _time_limit_arg(p)
    _england_data(p)
    _executor_options(p)
    p = _command(sub, "alternatives", "the optimum and the k best materially different plans, in words",
                 "clusterplan alternatives scenarios/norfolk/amalgamate_then_tender.yaml --out out/alt --k 3",
                 _alternatives, description="The optimum and the k best materially different plans, in words. For "
                 "a scenario that chooses its centres (amalgamate, sites or hubs) over the whole geography (no "
                 "per-district policies).")
    _scenario_arg(p)
    _out_arg(p, "alternatives.csv and one plan folder per alternative")
    p.add_argument("--k", type=_number(int, 0), default=5, help="alternatives wanted")
    p.add_argument("--min-centres", type=_number(int, 0), default=1, help="kept centres each plan must differ in")
    p.add_argument("--min-areas", type=_number(int, 0), default=0, help="areas each plan must move (0: no rule)")
    p.add_argument("--within", type=_number(float, 0), default=0.05, help="largest cost above the optimum (0.05 = 5%%)")
    p = _command(sub, "ensemble", "sample valid plans by a ReCom Markov chain and show where the optimum sits",
                 "clusterplan ensemble scenarios/norfolk/amalgamate_then_tender.yaml --out out/ens --steps 500",
                 _ensemble, description="Sample valid plans by a ReCom Markov chain and show where the optimum sits. "
                 "For an amalgamate or status quo scenario over the whole geography (no per-district policies).")
    _scenario_arg(p)
    _out_arg(p, "ensemble.csv, ensemble.png and summary.json")
    p.add_argument("--steps", type=_number(int, 1), default=1000, help="Markov chain steps")
    p.add_argument("--seed", type=_number(int, 0), default=0, help="random seed (the same seed gives the same chain)")
    p.add_argument("--chosen", metavar="DIR", help="a plan folder written by `clusterplan run` to mark "
                   "(the commissioner's)")
    p = _command(sub, "sensitivity", "re-solve under other population years and growth; how often each centre "
                 "is kept", "clusterplan sensitivity scenarios/norfolk/amalgamate_then_tender.yaml --out out/sens",
                 _sensitivity, description="Re-solve under other population years and growth; how often each centre "
                 "is kept. For an amalgamate scenario (with per-district policies, a centre in a part that keeps "
                 "every centre, such as clusters, is kept in every variant).")
    _scenario_arg(p)
    _out_arg(p, "sensitivity.csv")
    p.add_argument("--years", type=_numbers(int, "2017,2019,2020"),
                   help="comma-separated, e.g. 2017,2019,2020 (built-in Norfolk: all three by default; the England "
                        "tables: 2020 only)")
    p.add_argument("--growth", type=_numbers(float, "-10,10", least=-100), default="-10,10",
                   help="growth in under-fives, percentages, comma-separated")
    p = _command(sub, "pareto", "trade-off fronts: travel against centres kept and against deprived children "
                 "within 15 minutes", "clusterplan pareto scenarios/norfolk/amalgamate_then_tender.yaml "
                 "--counts 30,33,36,39 --out out/pareto", _pareto,
                 description="Trade-off fronts: travel against centres kept and against deprived children within 15 "
                 "minutes. For an amalgamate or sites scenario over the whole geography (no per-district policies).")
    _scenario_arg(p)
    _out_arg(p, "centres_front.csv, deprived_front.csv and pareto.png")
    p.add_argument("--counts", type=_numbers(int, "30,33,36,39", least=1),
                   help="centre counts for the first front, e.g. 30,33,36,39 (default: four counts below the "
                        "optimum's, each about a tenth of it fewer)")
    p.add_argument("--steps", type=_number(int, 1), default=4, help="points on the deprived-share front")
    _command(sub, "schema", "print the JSON Schema of scenario files", "clusterplan schema > scenarios/schema.json",
             _schema)
    return parser


def _stopped(exc: KeyboardInterrupt) -> int:
    """Exit code 143 (SIGTERM) or 130 (Ctrl-C), having said that nothing half-written stayed."""
    term = isinstance(exc, Terminated) or TERMINATION.is_set()
    what = "terminated" if term else "interrupted"
    print(f"{what}: nothing half-written was left behind (outputs are moved into place only when complete)",
          file=sys.stderr)
    return 143 if term else 130


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM an error was raised while handling, if any: numba turns one that arrives while it
    compiles or loads its cache into an ImportError."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


#: Exit status where the output's reader went away (128 + SIGPIPE, as a shell reports a tool a pipe stopped).
PIPE_CLOSED = 141

#: Options whose value may start with a minus sign (argparse reads "--growth -10,10" as two options otherwise).
SIGNED_OPTIONS = frozenset({"--growth"})


def _signed(argv: list[str]) -> list[str]:
    """``argv`` with "--growth -10,10" joined as "--growth=-10,10" (for :data:`SIGNED_OPTIONS`)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in SIGNED_OPTIONS and i + 1 < len(argv) and re.match(r"-[\d.]", argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``clusterplan`` command."""
    parser = build_parser()
    args = parser.parse_args(_signed(sys.argv[1:] if argv is None else list(argv)))
    progress.set_enabled(False if args.quiet else None)
    if args.verbose:
        os.environ["CLUSTERPLAN_SOLVER_LOG"] = "1"
    # The command line draws to files only: the Agg backend for this process (not through the environment, which a
    # notebook kernel started later from the same process would inherit, losing its inline figures).
    matplotlib.use("Agg")
    previous = None
    TERMINATION.clear()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a worker): no handler to install
        pass
    try:
        code = int(args.func(args))
        sys.stdout.flush()   # here, where a closed pipe is caught below, not at the interpreter's exit
        return code
    except InfeasibleError as exc:
        _say("infeasible", exc)
        return 1
    except KeyboardInterrupt as exc:
        return _stopped(exc)
    except SolverError as exc:
        _say("solver", exc)
        return 2
    except OutputError as exc:
        _say("cannot write", exc)
        return 2
    except (InputError, ScenarioError) as exc:
        _say("bad input", exc)
        return 2
    except BrokenPipeError:   # the reader went away (`clusterplan ... | head`): stop quietly, as Unix tools do
        _quiet_stdout()
        return PIPE_CLOSED
    except OSError as exc:  # a file that vanished, a full disk, a permission: name it, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except RecursionError:
        print("bad input: an input is nested too deeply to read", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug: say so plainly; CLUSTERPLAN_DEBUG=1 shows the traceback
        stop = _interrupt_behind(exc)
        if stop is not None:   # Ctrl-C or SIGTERM that a library re-raised as its own error (numba, mid-import)
            return _stopped(stop)
        if os.environ.get("CLUSTERPLAN_DEBUG"):
            raise
        print(f"internal error (a bug in clusterplan; please report it with the command you ran): "
              f"{type(exc).__name__}: {str(exc)[:500]}\nset CLUSTERPLAN_DEBUG=1 to see the traceback", file=sys.stderr)
        return 3
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _quiet_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush does not fail on the closed pipe
    again (Python's documentation on SIGPIPE); nothing to do where it is not a file (a test's capture)."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
