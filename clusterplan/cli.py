"""The ``clusterplan`` command line.

Exit codes: 0 success, 1 infeasible (with the explanation), 2 bad input (naming the file or key).
"""

from __future__ import annotations

import argparse
import sys

from . import datasets
from .errors import InfeasibleError, InputError, ScenarioError, SolverError


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
    from . import run as runner
    from .scenario import Scenario
    from .solve import solve
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
        runner.write(today, g, today_scn, f"{args.out}/status_quo")
        runner.write(plan, g, scn, f"{args.out}/amalgamate")
        print(f"\nwritten: {args.out}/status_quo/ and {args.out}/amalgamate/ (as `clusterplan run` writes them)")
    print(f"\nData: {datasets.ATTRIBUTION}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from . import run as runner
    from .scenario import load
    scn = load(args.scenario)
    try:
        plan, geo = runner.run(scn)
        if args.why:
            from .reasons import reasons
            plan.why = reasons(geo, scn, plan)
    except ScenarioError as exc:
        if str(args.scenario) in str(exc):
            raise
        raise ScenarioError(f"{args.scenario}: {exc}") from None
    out = runner.write(plan, geo, scn, args.out)
    print(f"{scn.name}: {_report_line(plan)}")
    for k, v in plan.metrics.items():
        print(f"  {k}: {v}")
    print(f"written: {out}/ (assignment.csv, centres.csv, metrics.json, manifest.json, plan.gpkg, report.html, "
          "report.xlsx)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from .run import check_dir
    violations, warnings = check_dir(args.dir)
    for w in warnings:
        print(f"warning: {w}")
    if violations:
        print(f"{args.dir}: {len(violations)} violation(s):")
        for v in violations:
            print(f"  - {v}")
        return 1
    print(f"{args.dir}: every constraint holds (independent checker)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    import json

    from .scenario import json_schema
    print(json.dumps(json_schema(), indent=2))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import run as runner
    from .compare import compare, comparison_figure
    from .scenario import load
    out = Path(args.out)
    plans, geo = [], None
    for path in args.scenarios:
        scn = load(path)
        plan, geo, reused = runner.run_or_reuse(scn, out / Path(path).stem)
        plans.append(plan)
        print(f"{scn.name}: {'reused (inputs unchanged, re-checked)' if reused else _report_line(plan)}")
    table = compare(plans)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "comparison.csv")
    sq = next((p for p in plans if p.model == "status_quo"), None)
    others = [p for p in plans if p is not sq] or plans
    fig = comparison_figure(others, geo, status_quo=sq)
    fig.savefig(out / "comparison.png", dpi=110)
    print(table.to_string())
    print(f"written: {out}/comparison.csv, {out}/comparison.png and one folder per scenario")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from .run import sweep
    from .scenario import read_yaml
    base = read_yaml(args.scenario)
    base.setdefault("name", args.scenario)
    table = sweep(base, args.set, args.out, workers=args.workers)
    print(table.to_string())
    print(f"written: {args.out}/sweep.csv and one folder per variant")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``clusterplan`` command."""
    parser = argparse.ArgumentParser(prog="clusterplan", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("summary", help="summarise the built-in Norfolk geography and its data gaps")
    p.add_argument("--year", type=int, default=2020, choices=sorted(datasets.POPULATION_FILES))
    p.set_defaults(func=_summary)
    p = sub.add_parser("norfolk", help="Norfolk today and amalgamated under the reach floor (the main job)")
    p.add_argument("--year", type=int, default=2020, choices=sorted(datasets.POPULATION_FILES))
    p.add_argument("--floor", type=float, default=600, help="reach floor: children under five per centre")
    p.add_argument("--time-limit", type=float, default=120, help="solver time limit, seconds")
    p.add_argument("--out", help="folder to write the plans into")
    p.set_defaults(func=_norfolk)
    p = sub.add_parser("run", help="run a scenario file and write the plan, metrics, maps and reports")
    p.add_argument("scenario")
    p.add_argument("--out", required=True, help="output folder (written atomically)")
    p.add_argument("--why", action="store_true", help="explain every amalgamation (one what-if re-solve per "
                   "amalgamated centre) in why.csv and the report's 'Why this plan' section")
    p.set_defaults(func=_run)
    p = sub.add_parser("compare", help="run (or re-run) several scenario files and compare them side by side")
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_compare)
    p = sub.add_parser("check", help="re-verify a written plan with the independent checker")
    p.add_argument("dir")
    p.set_defaults(func=_check)
    p = sub.add_parser("sweep", help="run every combination of --set values, in parallel, resumable")
    p.add_argument("scenario")
    p.add_argument("--set", nargs="+", required=True, metavar="KEY=V1,V2", help="e.g. reach.min=500,600,700")
    p.add_argument("--out", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=_sweep)
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.set_defaults(func=_schema)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InfeasibleError as exc:
        print(f"infeasible: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was left behind (outputs are moved into place only when "
              "complete)", file=sys.stderr)
        return 130
    except SolverError as exc:
        print(f"solver: {exc}", file=sys.stderr)
        return 2
    except (InputError, ScenarioError) as exc:
        print(f"bad input: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
