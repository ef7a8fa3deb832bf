"""Where Norfolk's amalgamation solve spends its time, and what HiGHS options and model changes do to it.

Builds the model `clusterplan run scenarios/norfolk/amalgamate_then_tender.yaml` solves (53 centres, 538 areas,
floor 600, 15 nearest, shortest-path precedence), writes it as MPS and solves it with HiGHS (via highspy) under each
setting in turn, printing seconds, status, objective and bound. Every row must reach the same proven optimum: the
settings change speed, never the answer. Run on demand: ``python benchmarks/amalgamate_options.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import highspy

import clusterplan as cp
from clusterplan.models import amalgamate, assignment
from clusterplan.scenario import load

ROOT = Path(__file__).resolve().parents[1]
TRIALS = [
    ("default options, no start", {}, False),
    ("default options with the heuristic's start (as clusterplan runs it)", {}, True),
    ("start, mip_heuristic_effort 0", {"mip_heuristic_effort": 0.0}, True),
    ("no restarts (mip_allow_restart false)", {"mip_allow_restart": False}, False),
    ("presolve off", {"presolve": "off"}, False),
    ("random_seed 1", {"random_seed": 1}, False),
    ("random_seed 2", {"random_seed": 2}, False),
    ("presolve off and no restarts, with the start (as clusterplan runs it since 2026-12-04)",
     {"presolve": "off", "mip_allow_restart": False}, True),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--england-every", type=int, default=0,
                    help="instead of Norfolk's table: the default options against presolve off with no restarts on "
                         "every N-th English authority's own centres (scenarios/england/amalgamate.yaml)")
    ap.add_argument("--england-data", default=str(ROOT.parent / "shared" / "data" / "england"))
    ap.add_argument("--first-k", type=int, nargs="+", default=None, metavar="K",
                    help="with --england-every: instead of the options, the size of the first, smaller solve "
                         "(amalgamate.FIRST_CANDIDATES; 0 for none) through clusterplan.solve, the values interleaved")
    ap.add_argument("--england-from", type=int, default=0, metavar="N",
                    help="with --england-every: start from the N-th authority (0 = the first)")
    args = ap.parse_args()
    if (args.first_k or args.england_from) and not args.england_every:
        ap.error("--first-k and --england-from need --england-every N")
    if args.england_every and args.first_k:
        first_sweep(args.england_every, args.england_data, args.first_k, args.england_from)
        return
    if args.england_every:
        england_sweep(args.england_every, args.england_data)
        return
    geo = cp.datasets.norfolk()
    scn = load(ROOT / "scenarios" / "norfolk" / "amalgamate_then_tender.yaml")
    sp = amalgamate.spec(geo, scn)
    t0 = time.perf_counter()
    start = assignment.heuristic(geo.areas, geo.corridors, sp)
    t1 = time.perf_counter()
    built = assignment.build(geo.areas, geo.corridors, sp, extra=start)
    t2 = time.perf_counter()
    print(f"model: {len(built.prob.variables()):,} variables, {len(built.prob.constraints):,} constraints; "
          f"heuristic start {t1 - t0:.2f} s, PuLP build {t2 - t1:.2f} s")
    values = _start_values(built, start)
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "amalgamate.mps"
        built.prob.writeMPS(str(mps))
        print("| setting | seconds | status | objective | bound | nodes |\n|---|---|---|---|---|---|")
        for label, options, warm in TRIALS:
            sec, status, obj, bound, nodes = _run(mps, options, values if warm else None, 1e6)
            print(f"| {label} | {sec:.2f} | {status} | {obj:,.1f} | {bound:,.1f} | {nodes} |")


#: The two settings the England sweep compares (each with the heuristic's start, as clusterplan solves).
SWEEP = [("default", {}), ("presolve off, no restarts", {"presolve": "off", "mip_allow_restart": False})]


def _start_values(built: assignment.Built, start: dict[str, str]) -> dict[str, float]:
    """Column name -> value of the heuristic's start (area -> centre), as clusterplan sets it
    (:func:`clusterplan.models.assignment.set_start`)."""
    assignment.set_start(built, start)
    return {v.name: float(v.varValue) for v in built.prob.variables() if v.varValue is not None}


def _run(mps: Path, options: dict, values: dict | None, time_limit: float) -> tuple[float, str, float, float, int]:
    """Solve the model in ``mps`` with HiGHS under ``options``, started from ``values`` (column name -> value; None:
    no start): (seconds, status, objective, bound, nodes)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(mps))
    for k, v in {"threads": 2, "mip_rel_gap": 0.0, "mip_abs_gap": 1e-6, "time_limit": time_limit,
                 **options}.items():
        h.setOptionValue(k, v)
    if values is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [values.get(h.getColName(k)[1], 0.0) for k in range(h.getLp().num_col_)]
        sol.value_valid = True
        h.setSolution(sol)
    t = time.perf_counter()
    h.run()
    info = h.getInfo()
    return (time.perf_counter() - t, h.modelStatusToString(h.getModelStatus()), info.objective_function_value,
            info.mip_dual_bound, info.mip_node_count)


def england_sweep(every: int, data: str, time_limit: float = 120.0) -> None:
    """Default HiGHS options against presolve off with no restarts, on every ``every``-th English authority's
    amalgamation model (its own centres, floor 600; the same model clusterplan builds first) and on Norfolk's.
    Prints one row per authority and the totals; both settings must reach the same optimum. The default runs twice
    (before and after the other) and keeps its faster time."""
    from clusterplan import england
    codes = list(england.authorities(data).index)[::every]
    scn = load(ROOT / "scenarios" / "england" / "amalgamate.yaml")
    rows, totals = [], {label: 0.0 for label, _ in SWEEP}
    print("| authority | centres | variables | " + " | ".join(f"{label} s" for label, _ in SWEEP)
          + " | objective | same optimum |\n|---|---|---|" + "---|" * len(SWEEP) + "---|---|")
    for code in ["norfolk", *codes]:
        try:
            geo = cp.datasets.norfolk() if code == "norfolk" else england.geography(code, data)
            sp = amalgamate.spec(geo, scn)
            start = assignment.heuristic(geo.areas, geo.corridors, sp)
            built = assignment.build(geo.areas, geo.corridors, sp, extra=start)
        except Exception as exc:   # an authority below the floor in all, or with no centre: named, not solved
            print(f"| {code} | - | - | " + " | ".join("-" for _ in SWEEP) + f" | not built: {exc} | - |")
            continue
        values = _start_values(built, start or {})   # no heuristic start: every variable starts at 0
        with tempfile.TemporaryDirectory() as tmp:
            mps = Path(tmp) / "m.mps"
            built.prob.writeMPS(str(mps))
            got = [_run(mps, options, values, time_limit) for _, options in SWEEP]
            # the default once more, after the other: its time is the better of its two runs, so that a first run's
            # warm-up counts against neither setting (this favours the default)
            again = _run(mps, SWEEP[0][1], values, time_limit)
            got[0] = min(got[0], again)
        same = len({g[1] for g in got}) == 1 and (got[0][1] != "Optimal" or max(g[2] for g in got) - min(
            g[2] for g in got) <= 1e-6 * max(1.0, abs(got[0][2])))   # the same status, and the same optimum
        for (label, _), g in zip(SWEEP, got, strict=True):
            totals[label] += g[0]
        rows.append(got)
        print(f"| {geo.name} | {len(sp.facilities)} | {len(built.prob.variables()):,} | "
              + " | ".join(f"{g[0]:.2f} ({g[1]})" for g in got) + f" | {got[0][2]:,.1f} | {'yes' if same else 'NO'} |",
              flush=True)
    print("\ntotal seconds: " + ", ".join(f"{label} {t:.1f}" for label, t in totals.items())
          + f" over {len(rows)} authorities")


def first_sweep(every: int, data: str, ks: list[int], offset: int = 0) -> None:
    """The plan's solver seconds (both solves counted) through :func:`clusterplan.solve` with each size ``ks`` of the
    first, smaller solve (:data:`clusterplan.models.amalgamate.FIRST_CANDIDATES`; 0: none), on Norfolk's
    amalgamation and every ``every``-th English authority's (its own centres, floor 600). The sizes run one after
    the other on each authority, twice in alternating order; each keeps its faster run. All must reach the same
    optimum."""
    from clusterplan import england
    from clusterplan.errors import ClusterplanError
    codes = list(england.authorities(data).index)[offset::every]
    norfolk_scn = load(ROOT / "scenarios" / "norfolk" / "amalgamate_then_tender.yaml")
    scn = load(ROOT / "scenarios" / "england" / "amalgamate.yaml")
    saved = amalgamate.FIRST_CANDIDATES, amalgamate.FIRST_CANDIDATES_ONE_THREAD
    totals = dict.fromkeys(ks, 0.0)
    print("| authority | centres | " + " | ".join(f"first k = {k} s" for k in ks) + " | objective | same optimum |\n"
          + "|---|---|" + "---|" * len(ks) + "---|---|")
    try:
        for code in ["norfolk", *codes]:
            geo = cp.datasets.norfolk() if code == "norfolk" else england.geography(code, data)
            best: dict[int, float] = {}
            objs = set()
            try:
                for order in (ks, ks[::-1]):
                    for k in order:
                        # both sizes: on one solver thread the model reads the other (first_candidates)
                        amalgamate.FIRST_CANDIDATES = amalgamate.FIRST_CANDIDATES_ONE_THREAD = k or None
                        plan = cp.solve(geo, norfolk_scn if code == "norfolk" else scn)
                        best[k] = min(best.get(k, 1e9), plan.report.seconds)
                        objs.add(round(plan.report.objective, 3))
            except ClusterplanError as exc:   # infeasible or not buildable: named, not timed
                print(f"| {geo.name} | - | " + " | ".join("-" for _ in ks) + f" | {type(exc).__name__} | - |")
                continue
            for k in ks:
                totals[k] += best[k]
            print(f"| {geo.name} | {len(geo.centres)} | " + " | ".join(f"{best[k]:.2f}" for k in ks)
                  + f" | {min(objs):,.1f} | {'yes' if max(objs) - min(objs) <= 1e-6 * max(objs) else 'NO'} |",
                  flush=True)
    finally:
        amalgamate.FIRST_CANDIDATES, amalgamate.FIRST_CANDIDATES_ONE_THREAD = saved
    print("\ntotal solver seconds, Norfolk included: "
          + ", ".join(f"first k = {k}: {t:.1f}" for k, t in totals.items()))


if __name__ == "__main__":
    main()
