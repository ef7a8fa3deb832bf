"""Where Norfolk's amalgamation solve spends its time, and what HiGHS options and model changes do to it.

Builds the model `clusterplan run scenarios/norfolk/amalgamate_then_tender.yaml` solves (53 centres, 538 areas,
floor 600, 15 nearest, shortest-path precedence), writes it as MPS and solves it with HiGHS (via highspy) under each
setting in turn, printing seconds, status, objective and bound. Every row must reach the same proven optimum: the
settings change speed, never the answer. Run on demand: ``python benchmarks/amalgamate_options.py``.
"""

from __future__ import annotations

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
]


def main() -> None:
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
    values = {v.name: (1.0 if start.get(i) == j else 0.0) for (i, j), v in built.x.items()}
    values |= {v.name: (1.0 if j in set(start.values()) else 0.0) for j, v in built.y.items()}
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "amalgamate.mps"
        built.prob.writeMPS(str(mps))
        print("| setting | seconds | status | objective | bound | nodes |\n|---|---|---|---|---|---|")
        for label, options, warm in TRIALS:
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.readModel(str(mps))
            for k, v in {"threads": 2, "mip_rel_gap": 0.0, "mip_abs_gap": 1e-6, **options}.items():
                h.setOptionValue(k, v)
            if warm:
                sol = highspy.HighsSolution()
                sol.col_value = [values.get(h.getColName(k)[1], 0.0) for k in range(h.getLp().num_col_)]
                sol.value_valid = True
                h.setSolution(sol)
            t = time.perf_counter()
            h.run()
            info = h.getInfo()
            print(f"| {label} | {time.perf_counter() - t:.2f} | {h.modelStatusToString(h.getModelStatus())} | "
                  f"{info.objective_function_value:,.1f} | {info.mip_dual_bound:,.1f} | {info.mip_node_count} |")


if __name__ == "__main__":
    main()
