"""Solver registry and the one place a PuLP problem is solved.

HiGHS (through PuLP and highspy) is the default; CBC and any PuLP solver can be chosen by name. PuLP reports
"Optimal" for a time-limited incumbent and exposes no bound, so for HiGHS we read the model status, objective, best
bound and gap from HiGHS itself; for other solvers a plan is ``optimal`` only when PuLP's *solution* status says so,
and the bound is reported only then.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version

import pulp

from .errors import TERMINATION, SolverError, stop_if_terminated

ALIASES = {"highs": "HiGHS", "cbc": "PULP_CBC_CMD", "glpk": "GLPK_CMD", "scip": "SCIP_CMD", "gurobi": "GUROBI",
           "cplex": "CPLEX_PY", "cp-sat": "COPT"}


def available() -> list[str]:
    """Names of the solvers installed here, as accepted by the scenario's ``solver.name``."""
    names = set(pulp.listSolvers(onlyAvailable=True))
    return sorted([k for k, v in ALIASES.items() if v in names] + [n for n in names if n not in ALIASES.values()])


class Status(StrEnum):
    """What a solve proved. A plan exists for ``optimal`` (proven within the gap limit) and ``feasible`` (found, not
    proven); ``infeasible`` is proven; ``no_solution`` means the time ran out before either. Equal to its text
    (``Status.OPTIMAL == "optimal"``), which is how files store it."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    SAMPLED = "sampled"   # a plan sampled by the ensemble's Markov chain: valid, never solved

    @property
    def is_ok(self) -> bool:
        """A plan was found (optimal or feasible)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


#: Seconds a step inside a solve still gets once the budget is spent (a run may overrun by this per step left).
LAST_STEP_SECONDS = 1.0


@dataclass(frozen=True)
class Deadline:
    """The wall-clock budget of one whole solve (``solver.time_limit``, seconds), shared by every MIP, heuristic and
    re-solve inside it: each is given what is left, not a fresh limit."""

    seconds: float
    end: float  # time.monotonic() at which the budget is spent

    @classmethod
    def start(cls, seconds: float) -> Deadline:
        """A budget of ``seconds`` starting now."""
        return cls(float(seconds), time.monotonic() + float(seconds))

    def left(self, minimum: float = LAST_STEP_SECONDS) -> float:
        """Seconds left of the budget, but at least ``minimum`` (a step started late still gets a moment)."""
        return max(self.end - time.monotonic(), minimum)

    def spent(self) -> bool:
        """The budget is used up."""
        return time.monotonic() >= self.end


#: A relative gap at or above this says nothing about how good a plan is: HiGHS stopped at the time limit with its
#: trivial bound (0 for weighted child-minutes, a gap of 100%; Kent's family hubs at 20-60 s). Reports word such a
#: plan as one without a bound; the gap itself is recorded as it is.
NO_USEFUL_GAP = 0.99


@dataclass(frozen=True)
class Outcome:
    """Result of one solve: ``status`` is a :class:`Status`."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    solver_version: str


class _HiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface plus a warm start (initial values set on the variables are passed to HiGHS)."""

    def __init__(self, *args, warm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.warm = warm

    def findSolutionValues(self, lp):  # noqa: N802 - PuLP's name
        # PuLP 3.3 maps every HiGHS model status but these limits (a node limit ends as kSolutionLimit) and raises
        # KeyError after reading the values; the solution is read anyway and the status is taken from HiGHS after.
        limits = ("kSolutionLimit", "kMemoryLimit", "kHighsInterrupt")
        if lp.solverModel.getModelStatus().name not in limits:
            return super().findSolutionValues(lp)
        try:
            super().findSolutionValues(lp)
        except KeyError:
            pass
        if lp.solverModel.getInfo().primal_solution_status == 2:  # kSolutionStatusFeasible
            return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible  # PuLP's own pair for a limited incumbent
        return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound

    def buildSolverModel(self, lp):  # noqa: N802 - PuLP's name
        with sigint_held():
            pass_model(lp, lp.solverModel, mip=self.mip)

    def callSolver(self, lp):  # noqa: N802 - PuLP's name
        if self.warm:
            _pass_start(lp)
        run_highs(lp.solverModel)


def pass_model(lp: pulp.LpProblem, h, *, mip: bool = True) -> None:
    """Give HiGHS (``h``, an empty ``highspy.Highs``) the model ``lp`` in three calls, as PuLP's own HiGHS interface
    would give it one column and one row at a time: the same columns (``lp.variables()``, costs negated to maximise),
    the same rows in the same order with the same nonzeros, so HiGHS solves the same model the same way. Sets each
    variable's and constraint's ``index`` as PuLP does. Measured (benchmarks/README.md): 0.03 s against PuLP's 0.11 s
    on Norfolk's amalgamation model (8,000 columns, 16,000 rows), 0.18 s against 0.6 s on its family-hubs model."""
    import highspy
    import numpy as np
    inf = highspy.kHighsInf
    sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
    cols = lp.variables()
    for n, v in enumerate(cols):
        v.index = n
    obj = lp.objective
    cost = np.array([sign * obj.get(v, 0.0) for v in cols], dtype=np.float64)
    lower = np.array([-inf if v.lowBound is None else v.lowBound for v in cols], dtype=np.float64)
    upper = np.array([inf if v.upBound is None else v.upBound for v in cols], dtype=np.float64)
    empty_i, empty_f = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
    h.addCols(len(cols), cost, lower, upper, 0, np.zeros(len(cols), dtype=np.int32), empty_i, empty_f)
    if mip:
        ints = np.array([v.index for v in cols if v.cat == pulp.LpInteger], dtype=np.int32)
        if len(ints):
            h.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kInteger.value,
                                                                dtype=np.uint8))
    rows = lp.constraints() if callable(lp.constraints) else list(lp.constraints.values())   # PuLP 3 | 2
    starts, index, value, row_lo, row_hi = [], [], [], [], []
    for n, con in enumerate(rows):
        con.index = n
        starts.append(len(index))
        for v, c in con.items():
            if c != 0:
                index.append(v.index)
                value.append(c)
        lo, hi = con.getLb(), con.getUb()
        row_lo.append(-inf if lo is None else lo)
        row_hi.append(inf if hi is None else hi)
    if rows:
        h.addRows(len(rows), np.array(row_lo, dtype=np.float64), np.array(row_hi, dtype=np.float64), len(index),
                  np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32),
                  np.array(value, dtype=np.float64))


def _pass_start(lp: pulp.LpProblem) -> None:
    """Give HiGHS the values set on ``lp``'s variables (``setInitialValue``; unset ones 0) as a start."""
    import highspy
    sol = highspy.HighsSolution()
    sol.col_value = [float(v.varValue) if v.varValue is not None else 0.0 for v in lp.variables()]
    sol.value_valid = True
    lp.solverModel.setSolution(sol)


def package_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


_SCHEDULER = threading.local()   # per thread: the thread count its HiGHS scheduler was started with

#: Solver threads for a solve whose scenario sets no ``solver.threads`` (None: the solver's own default, every core).
#: Batch and sweep workers set it to their share of the machine's cores (:func:`clusterplan.executor.map_jobs`).
_DEFAULT_THREADS: int | None = None


def set_default_threads(threads: int | None) -> None:
    """Solver threads, in this process, for every solve that does not set its own (None: the solver's default)."""
    global _DEFAULT_THREADS
    _DEFAULT_THREADS = threads


def threads_for(threads: int | None) -> int | None:
    """The solver threads a solve asking for ``threads`` gets: its own, else this process's default."""
    return threads or _DEFAULT_THREADS


_CANCEL = threading.Event()


def cancel_running() -> None:
    """Stop every HiGHS solve running in this process (each returns what it has) and refuse new ones (they raise
    KeyboardInterrupt) until :func:`allow_solves`: Ctrl-C while solves run on worker threads."""
    _CANCEL.set()


def allow_solves() -> None:
    """Let solves run again after :func:`cancel_running`."""
    _CANCEL.clear()


_SIGINT = threading.Event()   # Ctrl-C arrived while the main thread was inside HiGHS


def _interrupt_if_cancelled(event) -> None:
    if _CANCEL.is_set() or _SIGINT.is_set() or TERMINATION.is_set():
        event.interrupt()


def _on_sigint(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    # no exception here: raised inside HiGHS's callback it would be swallowed and read as "no plan found"
    _SIGINT.set()


def run_highs(h) -> None:
    """``h.run()`` for a ``highspy.Highs``. HiGHS starts a thread scheduler per calling thread, with the ``threads``
    option of that thread's first solve, and refuses a later solve on the thread that asks for another count (it
    finds no plan and says "global scheduler has already been initialized"): the thread's scheduler is restarted
    for the new count, so scenarios with different ``solver.threads`` can run one after another in one session.
    Every run can be stopped by :func:`cancel_running`; Ctrl-C or SIGTERM stop it at once and are raised after."""
    import highspy
    want = int(h.getOptionValue("threads")[1])
    if not want and _DEFAULT_THREADS:   # no count of its own: this process's share of the cores
        h.setOptionValue("threads", int(_DEFAULT_THREADS))
        want = int(_DEFAULT_THREADS)
    if not getattr(h, "_clusterplan_cancellable", False):
        h.cbSimplexInterrupt += _interrupt_if_cancelled
        h.cbIpmInterrupt += _interrupt_if_cancelled
        h.cbMipInterrupt += _interrupt_if_cancelled
        h._clusterplan_cancellable = True
    if _CANCEL.is_set():
        raise KeyboardInterrupt("solves were cancelled")
    started = getattr(_SCHEDULER, "threads", None)   # None: no scheduler on this thread yet; 0: HiGHS's own count
    if want and started is not None and want != started:
        highspy.Highs.resetGlobalScheduler(True)   # this thread's scheduler (HiGHS names it global)
    if want or started is None:
        _SCHEDULER.threads = want
    # Ctrl-C on the main thread stops the solve at once and is handled after it, not inside HiGHS's callback
    with sigint_held():
        h.run()
        stop_if_terminated()


@contextmanager
def sigint_held():
    """Hold Ctrl-C on the main thread while HiGHS runs or a model is passed to it, then hand it to the handler that
    was in place (Python's raises KeyboardInterrupt). Raised inside highspy's calls it is lost in a callback, or
    turned into a TypeError while highspy converts a call's arguments ("addRow(): incompatible function arguments":
    Ctrl-C while PuLP passed Norfolk's family-hubs model to HiGHS ended as an internal error). A running solve sees
    the held Ctrl-C through its interrupt callback and stops at once. Nested uses leave it to the outermost."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    catch = callable(previous) and previous is not _on_sigint
    if catch:
        _SIGINT.clear()
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        if catch:
            signal.signal(signal.SIGINT, previous)
    if catch and _SIGINT.is_set():
        previous(signal.SIGINT, None)


_BANNER_SILENCED = False
_BANNER_LOCK = threading.Lock()


def _silence_highs_banner() -> None:
    """HiGHS prints its banner to the process's standard output when the first ``Highs`` object is made, whatever
    its options; make that first one with the output sent nowhere, so runs, notebooks and sweep workers stay quiet
    (``msg=True`` keeps the solver's log)."""
    with _BANNER_LOCK:   # once, even when the first solves start on several threads at once
        _silence_banner_once()


def _silence_banner_once() -> None:
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    import sys

    import highspy
    _BANNER_SILENCED = True
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no real standard output: nothing to silence
        highspy.Highs()
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


#: HiGHS options for the amalgamation model and the what-ifs re-solving it (:mod:`.models.amalgamate`): presolve
#: off and no restarts. Speed only: HiGHS proves the same optimum with or without them. Measured on the amalgamation
#: of Norfolk's 53 centres and of every 5th English authority's own centres (``python
#: benchmarks/amalgamate_options.py --england-every 5``): 18.8 s in all against 35.8 s with the defaults over these
#: 32 instances, the same optimum in each, none slower beyond noise. Not used for the status quo (the same 0.7 s on
#: Norfolk either way) or sites (465 candidate schools: 11.6-12.4 s against 10.1-11.6 s); benchmarks/README.md.
#: Since 2026-12-05 also without the root reduced-cost heuristic (``mip_heuristic_run_root_reduced_cost``): its
#: sub-MIP found nothing the start had not, and Norfolk's plan is proven in 3.1-3.2 s against 3.5-4.2 s, the four
#: what-if locks of its reasons in 24.8 s against 29.0-30.7 s, 31 English authorities in 7.8 s against 8.4 s; the
#: same optimum everywhere (benchmarks/README.md, "The root reduced-cost heuristic").
AMALGAMATION_HIGHS: dict[str, object] = {"presolve": "off", "mip_allow_restart": False,
                                         "mip_heuristic_run_root_reduced_cost": False}


def solve_with(prob: pulp.LpProblem, solver, deadline: Deadline, *, warm: bool = False,
               gap: float | None = None, highs: dict | None = None, max_nodes: int | None = None) -> Outcome:
    """Solve ``prob`` with a scenario's ``solver`` settings (name, gap, threads, seed) in what is left of
    ``deadline``; ``gap`` overrides the scenario's relative gap limit; ``highs``: HiGHS options for this model
    (ignored by other solvers); ``max_nodes``: see :func:`solve_problem`."""
    return solve_problem(prob, name=solver.name, time_limit=deadline.left(), gap=solver.gap if gap is None else gap,
                         threads=solver.threads, seed=solver.seed, warm=warm, highs=highs, max_nodes=max_nodes)


def _cmd_solver(pulp_name: str, tmp: str, msg: bool, time_limit: float, gap: float, threads: int | None, seed: int,
                warm: bool, max_nodes: int | None):
    """A PuLP command-line solver (CBC, or another by name) writing its files in ``tmp``."""
    if pulp_name == "PULP_CBC_CMD":
        nodes = [f"maxNodes {max_nodes}"] if max_nodes is not None else []
        solver = pulp.PULP_CBC_CMD(msg=msg, timeLimit=time_limit, gapRel=gap, threads=threads, warmStart=warm,
                                   options=[f"randomSeed {seed + 1}", "randomCbcSeed 1", *nodes])
    else:
        solver = pulp.getSolver(pulp_name, msg=msg, timeLimit=time_limit, gapRel=gap)
    solver.tmpDir = tmp
    return solver


def solve_problem(prob: pulp.LpProblem, *, name: str = "highs", time_limit: float = 120, gap: float = 0.0,
                  threads: int | None = None, seed: int = 0, warm: bool = False, msg: bool = False,
                  max_nodes: int | None = None, highs: dict | None = None) -> Outcome:
    """Solve ``prob`` and report what the solver proved. ``max_nodes`` caps branch-and-bound nodes (HiGHS, CBC): a
    limit that, unlike time, gives the same answer on any machine. ``highs``: HiGHS options (name -> value) for this
    model, e.g. :data:`AMALGAMATION_HIGHS`; other solvers ignore them. Raises :class:`SolverError` for unknown/missing
    solvers."""
    key = name.lower()
    pulp_name = ALIASES.get(key, name)
    if pulp_name not in pulp.listSolvers():
        raise SolverError(f"solver.name: unknown solver '{name}'; installed: {', '.join(available())}")
    if pulp_name not in pulp.listSolvers(onlyAvailable=True):
        raise SolverError(f"solver.name: solver '{name}' is not installed here; installed: {', '.join(available())}")
    t0 = time.perf_counter()
    msg = msg or bool(os.environ.get("CLUSTERPLAN_SOLVER_LOG"))  # `clusterplan --verbose`
    if pulp_name == "HiGHS" and not msg:
        _silence_highs_banner()
    try:
        if pulp_name == "HiGHS":
            solver = _HiGHS(msg=msg, timeLimit=time_limit, gapRel=gap, threads=threads, warm=warm,
                            random_seed=seed, mip_abs_gap=1e-6, **(highs or {}),
                            **({"mip_max_nodes": max_nodes} if max_nodes is not None else {}))
            prob.solve(solver)
        else:
            cold = None
            with tempfile.TemporaryDirectory(prefix="clusterplan-") as tmp:   # PuLP leaves its files when it fails
                try:
                    prob.solve(_cmd_solver(pulp_name, tmp, msg, time_limit, gap, threads_for(threads), seed, warm,
                                           max_nodes))
                except pulp.PulpSolverError as exc:
                    left = time_limit - (time.perf_counter() - t0)
                    if not warm or left < 1.0:
                        raise
                    # CBC 2.10 can crash (segmentation fault) when given a start (Norfolk's family-hubs model):
                    # solve again without it in the time left, and say so in the outcome
                    cold = str(exc)
                    prob.solve(_cmd_solver(pulp_name, tmp, msg, left, gap, threads_for(threads), seed, False,
                                           max_nodes))
    except pulp.PulpSolverError as exc:
        raise SolverError(f"solver '{name}' stopped with an error before giving a plan ({exc}); HiGHS, the default, "
                          f"may solve it; installed: {', '.join(available())}") from exc
    stop_if_terminated()  # a SIGTERM the solver's own signal handling swallowed still stops the run here
    seconds = time.perf_counter() - t0
    if pulp_name == "HiGHS":
        return _highs_outcome(prob, seconds, gap, highs)
    sol = prob.sol_status
    obj = pulp.value(prob.objective) if sol in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) else None
    if sol == pulp.LpSolutionOptimal and prob.status == pulp.LpStatusOptimal:
        status, bound = Status.OPTIMAL, obj
    elif sol == pulp.LpSolutionIntegerFeasible or (obj is not None):
        status, bound = Status.FEASIBLE, None
    elif prob.status == pulp.LpStatusInfeasible:
        status, bound = Status.INFEASIBLE, None
    else:
        status, bound = Status.NO_SOLUTION, None
    ver = {"PULP_CBC_CMD": f"CBC via PuLP {package_version('pulp')}"}.get(pulp_name, f"PuLP {package_version('pulp')}")
    if cold is not None:
        ver += f"; re-run without the warm start after it stopped with an error ({cold.split(',')[0]})"
    return Outcome(status, obj, bound, 0.0 if status == Status.OPTIMAL else None, seconds, key, ver)


class HighsModel:
    """A PuLP problem built into HiGHS once and re-solved after changing variable bounds (what-if re-solves: lock a
    centre open, close another), bounding rows added to it (no-good cuts, an epsilon constraint) or re-bounding its
    own rows (a count of centres) without rebuilding it in PuLP or passing it to HiGHS again. Each :meth:`solve`
    restores the bounds it changed, so the model is the original again between what-ifs; values are read back into
    the PuLP variables as after ``prob.solve``. HiGHS only: other solvers rebuild (callers fall back).

    Several models (each built from its own PuLP problem) may solve at once on separate Python threads: HiGHS
    releases the GIL while it runs (:func:`cancel_running` stops them all)."""

    def __init__(self, prob: pulp.LpProblem, *, gap: float = 0.0, threads: int | None = None, seed: int = 0,
                 highs: dict | None = None):
        msg = bool(os.environ.get("CLUSTERPLAN_SOLVER_LOG"))
        if not msg:
            _silence_highs_banner()
        self.prob, self.gap, self.highs = prob, gap, highs
        self.solver = _HiGHS(msg=msg, gapRel=gap, threads=threads, random_seed=seed, mip_abs_gap=1e-6, **(highs or {}))
        self.solver.createAndConfigureSolver(prob)
        self.solver.buildSolverModel(prob)
        self._own = list(prob.constraints.values())   # row r < len(self._own) is the problem's own constraint

    def row(self, name: str) -> int | None:
        """The index of the problem's own constraint ``name`` (a PuLP constraint name), or None."""
        c = self.prob.constraints.get(name)
        return None if c is None else c.index

    def _row_bounds(self, r: int) -> tuple[float, float]:
        """Row ``r``'s bounds as built: the problem's own constraint's, or free for an added row."""
        import highspy
        inf = highspy.kHighsInf
        if r >= len(self._own):
            return -inf, inf
        lo, hi = self._own[r].getLb(), self._own[r].getUb()
        return -inf if lo is None else lo, inf if hi is None else hi

    def add_row(self, terms: dict[pulp.LpVariable, float]) -> int:
        """Add the row ``sum terms[v] v`` to the built model (not to the PuLP problem), free (no bounds) except in
        the :meth:`solve` calls that bound it; its index."""
        import highspy
        import numpy as np
        h = self.prob.solverModel
        idx = np.array([v.index for v in terms], dtype=np.int32)
        val = np.array([float(c) for c in terms.values()])
        h.addRow(-highspy.kHighsInf, highspy.kHighsInf, len(idx), idx, val)
        return h.getNumRow() - 1

    def set_costs(self, costs: dict[pulp.LpVariable, float]) -> None:
        """Change objective coefficients, in the built model and in the PuLP problem's objective (which the outcome's
        objective is read from)."""
        import numpy as np
        idx = np.array([v.index for v in costs], dtype=np.int32)
        self.prob.solverModel.changeColsCost(len(idx), idx, np.array([float(c) for c in costs.values()]))
        for v, c in costs.items():
            self.prob.objective[v] = float(c)

    def set_coefficients(self, name: str, terms: dict[pulp.LpVariable, float]) -> None:
        """Change coefficients of the problem's own constraint ``name``, in the built model and in the PuLP
        problem."""
        con = self.prob.constraints[name]
        h = self.prob.solverModel
        for v, c in terms.items():
            h.changeCoeff(con.index, v.index, float(c))
            con.expr[v] = float(c)

    def drop_rows(self, rows) -> None:
        """Delete added rows (indices of :meth:`add_row`), which must be the model's last rows: the model is then
        as it was before they were added."""
        import numpy as np
        h = self.prob.solverModel
        idx = sorted(rows)
        n = h.getNumRow()
        if not idx:
            return
        if idx != list(range(n - len(idx), n)) or idx[0] < len(self._own):
            raise ValueError(f"drop_rows: rows {idx[0]}..{idx[-1]} are not the last added rows (of {n})")
        h.deleteRows(len(idx), np.array(idx, dtype=np.int32))

    def relaxation(self, bounds: dict[pulp.LpVariable, tuple[float, float]], time_limit: float,
                   rows: dict[int, tuple[float, float]] | None = None) -> tuple[list[float] | None, float]:
        """The linear relaxation of the model with ``bounds`` and ``rows`` as in :meth:`solve`: (every column's
        value by column index, or None where HiGHS did not solve it to optimality within ``time_limit`` seconds;
        seconds taken). Afterwards the model is as built: integrality, bounds and options restored."""
        import highspy
        import numpy as np
        h = self.prob.solverModel
        integ = [v.index for v in self.prob.variables() if v.cat == pulp.LpInteger]
        idx = np.array(integ, dtype=np.int32)
        cont = np.array([highspy.HighsVarType.kContinuous] * len(integ))
        limit = h.getOptionValue("time_limit")[1]
        t0 = time.perf_counter()
        h.changeColsIntegrality(len(idx), idx, cont)
        try:
            self._bound(bounds, rows or {})
            h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
            run_highs(h)
            ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            values = list(h.getSolution().col_value) if ok else None
        finally:
            self._unbound(bounds, rows or {})
            h.changeColsIntegrality(len(idx), idx, np.array([highspy.HighsVarType.kInteger] * len(integ)))
            h.setOptionValue("time_limit", limit)
        return values, time.perf_counter() - t0

    def _bound(self, bounds: dict, rows: dict) -> None:
        h = self.prob.solverModel
        for v, (lo, hi) in bounds.items():
            h.changeColBounds(v.index, lo, hi)
        for r, (lo, hi) in rows.items():
            h.changeRowBounds(r, lo, hi)

    def _unbound(self, bounds: dict, rows: dict) -> None:
        import highspy
        h = self.prob.solverModel
        inf = highspy.kHighsInf
        for v in bounds:
            h.changeColBounds(v.index, -inf if v.lowBound is None else v.lowBound,
                              inf if v.upBound is None else v.upBound)
        for r in rows:
            h.changeRowBounds(r, *self._row_bounds(r))

    def solve(self, bounds: dict[pulp.LpVariable, tuple[float, float]], time_limit: float,
              rows: dict[int, tuple[float, float]] | None = None, *, warm: bool = False,
              options: dict | None = None) -> Outcome:
        """Solve with ``bounds`` (variable -> (lower, upper)) in place of the model's own and ``rows`` (a row index,
        of an :meth:`add_row` or of :meth:`row` -> (lower, upper)) in place of the rows' bounds, within
        ``time_limit`` seconds; afterwards every bound is as built (added rows free again). ``warm``: start from
        the values set on the PuLP variables (``setInitialValue``), as a first solve with a warm start does.
        ``options``: HiGHS options for this solve only (e.g. presolve on for a solve with most columns fixed);
        afterwards they are as built."""
        h = self.prob.solverModel
        rows = rows or {}
        saved = {k: h.getOptionValue(k)[1] for k in (options or {})}   # highspy gives (status, value)
        for k, v in (options or {}).items():
            h.setOptionValue(k, v)
        self._bound(bounds, rows)
        if warm:   # after the changes: HiGHS drops a solution it was given when the model changes after it
            _pass_start(self.prob)
        h.setOptionValue("time_limit", float(time_limit))
        t0 = time.perf_counter()
        try:
            run_highs(h)
            self.prob.assignStatus(*self.solver.findSolutionValues(self.prob))
            out = _highs_outcome(self.prob, time.perf_counter() - t0, self.gap, self.highs)   # before any change
        finally:
            self._unbound(bounds, rows)
            for k, v in saved.items():
                h.setOptionValue(k, v)
        return out


def _highs_outcome(prob: pulp.LpProblem, seconds: float, gap_limit: float, highs: dict | None = None) -> Outcome:
    import highspy
    h = prob.solverModel
    ms = h.getModelStatus()
    info = h.getInfo()
    ver = f"HiGHS {h.version()} (highspy {package_version('highspy')}, PuLP {package_version('pulp')})"
    if highs:   # options that can change which of equal-cost plans comes back: recorded with the plan
        ver += "; options " + ", ".join(f"{k} {v}" for k, v in sorted(highs.items()))
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    sense = -1.0 if prob.sense == pulp.LpMaximize else 1.0
    obj = pulp.value(prob.objective) if has_sol else None
    is_mip = any(v.cat == pulp.LpInteger for v in prob.variables())
    bound = sense * info.mip_dual_bound if is_mip else obj
    if ms == highspy.HighsModelStatus.kOptimal:
        gap = abs(obj - bound) / max(abs(obj), 1e-9) if (obj is not None and bound is not None) else 0.0
        return Outcome(Status.OPTIMAL, obj, bound, gap, seconds, "highs", ver)
    if ms == highspy.HighsModelStatus.kInfeasible:
        return Outcome(Status.INFEASIBLE, None, None, None, seconds, "highs", ver)
    if has_sol:
        gap = abs(obj - bound) / max(abs(obj), 1e-9) if bound is not None and abs(bound) < 1e30 else None
        return Outcome(Status.FEASIBLE, obj, bound if gap is not None else None, gap, seconds, "highs", ver)
    return Outcome(Status.NO_SOLUTION, None, None, None, seconds, "highs", ver)


def _set_variables(n: int) -> list[pulp.LpVariable]:
    """One binary z_s per set, named in set order."""
    return [pulp.LpVariable(f"z{k:07d}", cat=pulp.LpBinary) for k in range(n)]


def _sets_holding(sets) -> dict[int, list[int]]:
    """Item -> the indices of the sets holding it (items in no set are absent)."""
    rows: dict[int, list[int]] = {}
    for k, members in enumerate(sets):
        for i in members:
            rows.setdefault(i, []).append(k)
    return rows


def set_packing_problem(sets, value: list[float] | None = None, start=(), *,
                        name: str = "set_packing") -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The PuLP model: maximise sum value_s z_s (value 1 each if not given) subject to sum over s holding i of
    z_s <= 1 for every item i in two or more of ``sets`` (iterables of item numbers), z binary, with the sets of
    ``start`` (indices) as initial values."""
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    z = _set_variables(len(sets))
    prob += pulp.lpSum(z) if value is None else pulp.lpSum(value[k] * z[k] for k in range(len(sets)))
    rows = _sets_holding(sets)
    for i in sorted(rows):
        if len(rows[i]) > 1:
            prob += pulp.lpSum(z[k] for k in rows[i]) <= 1, f"item{i:06d}"
    chosen = set(start)
    for k, v in enumerate(z):
        v.setInitialValue(1.0 if k in chosen else 0.0)
    return prob, z


#: HiGHS options for the set-packing MIP of :func:`solve_set_packing`: the proof asked for (gap 0), and presolve
#: without probing (bit 15 of ``presolve_rule_off``). The presolve that remains (its enumeration above all) removes
#: a quarter of Luton's 30,049 minimal regions; probing removed nothing more and took most of presolve's time:
#: proofs in 11.0 s against 19.9 s (Luton), 5.4 s against 7.1 s (Tower Hamlets), 8.2 against 8.4 s (Newham),
#: 1.0 against 1.1 s (Barking and Dagenham), one thread each (benchmarks/README.md).
SET_PACKING_HIGHS: dict[str, object] = {"mip_rel_gap": 0.0, "presolve_rule_off": 1 << 15}
#: Sets beyond which the set-packing MIP is solved with presolve off: on Sutton's 81,718 minimal regions and
#: Hillingdon's 93,607, presolve (with or without probing) ran 27 s and 51 s against a 20 s limit, and 245 s against
#: 112 s inside a capacity solve; without it HiGHS stops at its limit (22.5 s against 20 s) with a packing and a bound.
SET_PACKING_PRESOLVE_MAX = 50_000
#: And the options added past it: no sub-MIP heuristics at the root (the root reduced-cost heuristic, RENS, RINS).
#: Each presolves a sub-MIP of the wide model, and that presolve does not look at the clock: on Sutton's 81,718
#: minimal regions a 52 s limit took 80 s (a sub-MIP's presolve alone 32.5 s), Hillingdon's 93,607 took 69 s; without
#: them 51.3 s and 52.4 s, with the same packing and bound (benchmarks/README.md).
SET_PACKING_WIDE_HIGHS: dict[str, object] = {"presolve": "off", "mip_heuristic_run_root_reduced_cost": False,
                                             "mip_heuristic_run_rens": False, "mip_heuristic_run_rins": False}


def solve_set_packing(sets: list[list[int]], n_items: int, *, name: str = "highs", time_limit: float = 60.0,
                      threads: int | None = None, seed: int = 0, start: list[int] = ()) -> tuple[Outcome, list[int]]:
    """Choose the most of ``sets`` (each a list of item numbers below ``n_items``) with every item in at most one:
    maximise sum z_s subject to sum over s holding i of z_s <= 1, z binary. ``start``: indices of a known packing.
    Returns the outcome and the chosen indices. With HiGHS the model is passed to highspy in one piece (PuLP's row by
    row transfer dominates on wide models); other solvers go through PuLP. HiGHS's presolve runs without probing
    (:data:`SET_PACKING_HIGHS`), and not at all past :data:`SET_PACKING_PRESOLVE_MAX` sets, where it overran the
    time limit by minutes; there the root's sub-MIP heuristics are off too (:data:`SET_PACKING_WIDE_HIGHS`), as their
    own presolve overran it."""
    if name.lower() != "highs":
        prob, z = set_packing_problem(sets, start=start)
        out = solve_problem(prob, name=name, time_limit=time_limit, threads=threads, seed=seed, warm=bool(start))
        return out, [k for k, v in enumerate(z) if (v.varValue or 0) > 0.5] if out.status.is_ok else []
    import highspy
    import numpy as np
    t0 = time.perf_counter()
    options = {**SET_PACKING_HIGHS, **(SET_PACKING_WIDE_HIGHS if len(sets) > SET_PACKING_PRESOLVE_MAX else {})}
    h = _highs_binary([sorted(s) for s in sets], np.full(n_items, -highspy.kHighsInf), np.ones(n_items), -1.0,
                      time_limit=time_limit, threads=threads, seed=seed, options=options, start=start)
    info = h.getInfo()
    ver = f"HiGHS {h.version()} (highspy {package_version('highspy')})"
    seconds = time.perf_counter() - t0
    if info.primal_solution_status != 2:
        return Outcome(Status.NO_SOLUTION, None, None, None, seconds, "highs", ver), []
    chosen = [k for k, v in enumerate(h.getSolution().col_value) if v > 0.5]
    obj = float(len(chosen))
    bound = -info.mip_dual_bound if abs(info.mip_dual_bound) < 1e30 else None
    status = Status.OPTIMAL if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else Status.FEASIBLE
    if status == Status.OPTIMAL:
        bound = obj
    gap = (bound - obj) / max(obj, 1.0) if bound is not None else None
    return Outcome(status, obj, bound, gap, seconds, "highs", ver), chosen


def solve_set_partition(sets: list[list[int]], n_items: int, count: int, *, name: str = "highs",
                        time_limit: float = 60.0, threads: int | None = None,
                        seed: int = 0) -> tuple[Status, list[int]]:
    """Whether exactly ``count`` of ``sets`` (each a list of item numbers below ``n_items``) cover every item once:
    sum over s holding i of z_s = 1 for every item i, sum z_s = count, z binary (a feasibility model, no objective).
    Returns ``optimal`` with the chosen indices when such a choice exists, ``infeasible`` when the solver proves none
    does, or another status (no answer in the time limit) with no indices. With HiGHS the model is passed to highspy
    in one piece, as in :func:`solve_set_packing`, and solved with presolve off: on wide models HiGHS's presolve
    overran the time limit by minutes (Sutton's band, 80,059 sets: 104 s of presolve against a 15 s limit) and
    decided less (Haringey's 29,840 sets: infeasible in 2.7 s without it, undecided in 30 s with it; Bexley's
    107,384: infeasible in 17.9 s, where presolve alone ran 259 s; benchmarks/README.md)."""
    if name.lower() != "highs":
        prob = pulp.LpProblem("set_partition", pulp.LpMinimize)
        z = _set_variables(len(sets))
        prob += pulp.lpSum([])
        rows = _sets_holding(sets)
        for i in range(n_items):
            prob += pulp.lpSum(z[k] for k in rows.get(i, [])) == 1, f"item{i:06d}"
        prob += pulp.lpSum(z) == count, "count"
        out = solve_problem(prob, name=name, time_limit=time_limit, threads=threads, seed=seed)
        if out.status.is_ok:
            return Status.OPTIMAL, [k for k, v in enumerate(z) if (v.varValue or 0) > 0.5]
        return out.status, []
    import highspy
    import numpy as np
    rows = np.array([1.0] * n_items + [float(count)])
    h = _highs_binary([[*sorted(s), n_items] for s in sets], rows, rows, 0.0, time_limit=time_limit, threads=threads,
                      seed=seed, options={"presolve": "off"})
    ms = h.getModelStatus()
    if ms == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE, []
    if h.getInfo().primal_solution_status == 2:
        return Status.OPTIMAL, [k for k, v in enumerate(h.getSolution().col_value) if v > 0.5]
    return Status.NO_SOLUTION, []


def _highs_binary(columns: list[list[int]], row_lower, row_upper, cost: float, *, time_limit: float,
                  threads: int | None, seed: int, options: dict | None = None, start=()):
    """Run HiGHS (passed to highspy in one piece) on: minimise ``cost`` x sum z subject to ``row_lower`` <= A z <=
    ``row_upper``, z binary, where column k of A has a 1 in each row of ``columns[k]``; ``start``: indices of the
    columns set to 1 in a known solution. Returns the solved ``highspy.Highs``."""
    import highspy
    import numpy as np
    m = len(columns)
    _silence_highs_banner()
    with sigint_held():   # highspy converts each field: Ctrl-C there would become a TypeError
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m, len(row_lower)
        lp.col_cost_ = np.full(m, float(cost))
        lp.col_lower_, lp.col_upper_ = np.zeros(m), np.ones(m)
        lp.row_lower_, lp.row_upper_ = np.asarray(row_lower, dtype=float), np.asarray(row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum([len(c) for c in columns])]).astype(np.int32)
        lp.a_matrix_.index_ = np.array([i for c in columns for i in c], dtype=np.int32)
        lp.a_matrix_.value_ = np.ones(int(lp.a_matrix_.start_[-1]))
        lp.integrality_ = [highspy.HighsVarType.kInteger] * m
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(os.environ.get("CLUSTERPLAN_SOLVER_LOG")))
        h.passModel(lp)
    for k, v in {"time_limit": float(time_limit), "random_seed": seed, **(options or {}),
                 **({"threads": threads} if threads else {})}.items():
        h.setOptionValue(k, v)
    if start:
        sol = highspy.HighsSolution()
        col = np.zeros(m)
        col[list(start)] = 1.0
        sol.col_value = list(col)
        sol.value_valid = True
        h.setSolution(sol)
    run_highs(h)
    return h
