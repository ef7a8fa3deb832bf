"""Amalgamation: which centres stay designated, and the catchment of each (see :mod:`.assignment` for the maths,
:mod:`.catchment` for how it is solved).

Each amalgamated centre is merged into the kept centre taking most of its children today (:mod:`.status_quo`, the
same model with every located centre locked open and no reach floor).

It starts from the plan of a first, smaller solve: the same model with each area among its few nearest centres
only (:func:`first_candidates`: 3, or 4 where HiGHS has one thread), solved to its root node
(:func:`.catchment.run`). Every plan of that model is a plan of this one, so only the start changes, never the model,
its optimum or its proof; with a good plan to start from, HiGHS spends its time on the proof instead of searching for
it. Measured (2026-12-05; benchmarks/README.md), both phases counted, the same optimum everywhere: on its own (HiGHS
on both cores), best of two runs each, Norfolk 3.3-3.8 s of solver time with 3 candidates, 3.7-4.1 s with 4, 4.3-4.7
s without a first solve; Norfolk with two samples of 30 and 29 English authorities, 12.4 s and 14.0 s in all with 3,
12.9 s and 15.1 s with 4, 15.6 s and 18.3 s without. As a batch runs (two workers, one HiGHS thread each), all
England's 149 authorities took 83.7 s and 86.6 s in all with 4 against 92.2 s and 95.6 s with 3 (two runs each).
The what-if locks of reasons start without
it (on them it was as often slower as faster), from their plan re-drawn near the locked centre instead
(:meth:`WhatIf.nearby`; again only the start changes). Each lock's re-solve, and each of the alternatives'
re-solves that exclude earlier plans, also carries reach cuts (:mod:`.reach`): valid inequalities of the floor under
precedence, separated from the re-solve's linear relaxation in a few rounds and dropped after it. They remove no
plan, so the re-solve's optimum and proof are the same; they give HiGHS a tighter relaxation to start its own cuts
from where centres fall short of the floor (Norfolk's reasons 19.3-24.6 s against 23.3-30.6 s in five pairs of
runs, the same four proven costs; its 5 alternatives 12.3-16.9 s against 17.6-19.5 s; on six English authorities
with quicker locks 73.9 s against 71.7 s in all, within the spread; benchmarks/README.md, "Reach cuts for the
what-if locks"). On the plan's own model, and on the fronts' re-solves, they made no difference or cost time, so
those are solved without them.

HiGHS solves it, and every what-if re-solve of it (:class:`WhatIf`), with presolve off, no restarts and no root
reduced-cost heuristic (:data:`clusterplan.solvers.AMALGAMATION_HIGHS`): so set, HiGHS proves the same optimum in
about 60% of the time (Norfolk 5.7-5.9 s against 8.9-9.4 s; Norfolk and 31 English authorities 18.8 s against 35.8 s
in all; every English authority 113 s against 165 s), and without the heuristic another 10-20% less (Norfolk 3.1-3.2
s against 3.5-4.2 s; benchmarks/README.md). Options change speed only: the optimum and its proof are HiGHS's either
way. Where two designations share a building, which of two equal-cost plans comes back can
change with them (the report calls it a tie).
"""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd

from .. import governance, measures
from ..errors import ScenarioError
from ..executor import threads_used
from ..geography import Geography
from ..plan import Plan, input_hash
from ..scenario import Scenario, district_names, locked_centres
from ..solvers import AMALGAMATION_HIGHS, Deadline, HighsModel, Outcome
from . import assignment, catchment, reach, status_quo
from .assignment import Spec
from .base import Context, report

#: Candidates per area of the first, smaller solve that gives the amalgamation its start (:func:`.catchment.run`),
#: where HiGHS has two threads or more (None: no first solve), and where it has one (:func:`first_candidates`).
FIRST_CANDIDATES = 3
FIRST_CANDIDATES_ONE_THREAD = 4

#: The same for the time-limited what-if locks of reasons (:meth:`WhatIf.lock`), as measured there.
LOCK_FIRST_CANDIDATES = 4

#: Kept centres whose catchments a what-if lock re-draws for its start, besides the locked centre's
#: (:meth:`WhatIf.nearby`); 0: locks start cold. And the share of a lock's time limit that start may take at most.
NEARBY_CENTRES = 6
NEARBY_SHARE = 0.25

#: Rounds of reach cuts (:mod:`.reach`) added to a what-if lock's re-solve, and to those of :data:`REACH_CUTS_WITH`
#: (:meth:`WhatIf.reach_cuts`); 0: none.
REACH_ROUNDS = 8
#: The restrictions whose re-solves carry them too, besides locks: the no-good rows of alternatives (Norfolk's 5
#: alternatives 12.3-16.9 s against 17.6-19.5 s). Not the fronts' rows: the deprived front was level with them and
#: the centres front slower (53.7-58.9 s against 50.2-51.8 s; benchmarks/README.md).
REACH_CUTS_WITH = ("exclude_kept", "exclude_assign")


def spec(geo: Geography, scn: Scenario) -> Spec:
    """The catchment-model specification of an amalgamation scenario."""
    fac = measures.facilities(geo, "centres")
    keep, close = locked_centres(scn, geo.centres)
    districts = sorted(geo.areas["district"].unique())
    per_district = district_names(scn.centres.per_district, districts, "centres.per_district")
    cs = scn.centres
    school = school_sites(geo, fac.index)
    if cs.school_sites == "keep":
        shut = sorted(set(school) & set(close))
        if shut:
            raise ScenarioError(f"`centres.school_sites: keep` keeps every centre on a school site, but "
                                f"`centres.close` closes {', '.join(fac.loc[shut, 'name'])}")
        keep = sorted(set(keep) | set(school))
    return Spec(facilities=fac, minutes=geo.centre_minutes[fac.index], floor=scn.reach.min, ceiling=scn.reach.max,
                weight=scn.deprivation.weight, fixed_cost=cs.fixed_cost, k=scn.travel.candidates,
                max_minutes=scn.travel.max_minutes, keep=frozenset(keep), close=frozenset(close),
                count=cs.count, min_count=cs.min_count, max_count=cs.max_count,
                per_district=per_district, **nesting(geo, cs),
                close_cost={j: cs.transfer_cost for j in school} if cs.transfer_cost else {})


def school_sites(geo: Geography, ids) -> list[str]:
    """The centres among ``ids`` on a school site (:func:`clusterplan.governance.school_site_centres`)."""
    school = set(governance.school_site_centres(governance.centre_governance(geo)))
    return [j for j in ids if j in school]


def nesting(geo: Geography, cs) -> dict:
    """The Spec fields for ``centres.within_district`` / ``centres.nest_in`` / ``centres.cross_boundary_cost``."""
    col = cs.nest
    if col is None:
        return {"within_district": False}
    groups = measures.area_groups(geo, col, "centres.nest_in")
    if col == "district" and cs.cross_boundary_cost is None:
        return {"within_district": True}
    return {"within_district": False, "nest": groups, "cross_cost": cs.cross_boundary_cost}


def first_candidates(threads: int | None) -> int | None:
    """Candidates per area of the amalgamation's first solve for a solve asking for ``threads`` solver threads
    (``solver.threads``; :func:`clusterplan.executor.threads_used`): :data:`FIRST_CANDIDATES`, or
    :data:`FIRST_CANDIDATES_ONE_THREAD` where that is one thread; None where :data:`FIRST_CANDIDATES` is None (no
    first solve)."""
    if FIRST_CANDIDATES is None:
        return None
    return FIRST_CANDIDATES_ONE_THREAD if threads_used(threads) == 1 else FIRST_CANDIDATES


def solve(geo: Geography, scn: Scenario, ctx: Context) -> Plan:
    """Which centres stay, their catchments, and what each amalgamated centre merges into."""
    res = catchment.run(geo, replace(spec(geo, scn), **ctx.restrict), scn, ctx, what="amalgamation",
                        highs=AMALGAMATION_HIGHS, first_k=first_candidates(scn.solver.threads))
    rep = report(res.outcome, scn, res.scope("centres"), ctx, res.k, res.notes)
    rep = catchment.certify(geo, scn, rep, spec(geo, scn), ctx)
    return _plan(geo, scn, res.assign, rep, res.notes)


def _plan(geo: Geography, scn: Scenario, assign, rep, notes: list[str]) -> Plan:
    fac = measures.facilities(geo, "centres")
    # today's catchments (what each amalgamated centre merges into) are a reference, not part of the plan: they get
    # their own budget, as in the comparison metrics, so a plan that used the whole time limit still gets them
    today = status_quo.today(geo, scn)
    kept = set(assign.unique())
    status = {j: ("kept" if j in kept else "amalgamated") for j in fac.index}
    merged = catchment.absorbed_by(today.assign, assign, geo.areas["under5"])
    return Plan.from_assignment(geo, scn, assign, fac, geo.centre_minutes[fac.index], status=status,
                                merged_into=merged, report=rep, notes=catchment.unlocated_note(geo) + notes)


class WhatIf:
    """One amalgamation model built once in HiGHS and re-solved with a change that leaves it the same model otherwise
    (same candidates and contiguity as the plan it was built for, or as a first solve of the scenario): one more
    centre locked open (its ``y`` fixed to 1), rows added once and bounded only in the re-solves that ask for them
    (the no-good cuts of near-optimal alternatives, the epsilon constraint of a Pareto front: constraints (8) and (9)
    of :mod:`.assignment`, the same rows as a full build), and another count of centres (constraint (6): the
    scenario's own count rows are freed and a row of the asked count bounded, for the centres front).
    :meth:`resolve` solves and :meth:`plan_of` turns the answer into a plan, so several instances can solve side by
    side on threads (one solve at a time per instance) while plans are built on the caller's thread."""

    #: the ``restrict`` keys (fields of :class:`.assignment.Spec`) a re-solve can add as rows
    RESTRICTIONS = frozenset({"exclude_kept", "min_differ", "exclude_assign", "min_areas_differ", "deprived_within",
                              "count", "min_count", "max_count"})
    #: the count rules' (row name, row bounds for a count n)
    COUNTS = {"count": lambda n: (n, n), "min_count": lambda n: (n, float("inf")),
              "max_count": lambda n: (-float("inf"), n)}

    def __init__(self, geo: Geography, scn: Scenario, plan: Plan | None = None):
        """The model of ``plan`` (its candidates, after any widening), or with no plan the model a first solve of
        ``scn`` builds (``travel.candidates`` per area; a re-solve that finds no plan then falls back to a full
        solve, which widens them)."""
        self.geo, self.scn, self.plan = geo, scn, plan
        k = plan.report.candidates if plan is not None else scn.travel.candidates
        self.scope = plan.report.scope if plan is not None else catchment.scope("precedence", k, "centres")
        self.spec = replace(spec(geo, scn), k=k)
        self.start = assignment.heuristic(geo.areas, geo.corridors, self.spec)
        self.built = assignment.build(geo.areas, geo.corridors, self.spec, name="what_if", extra=self.start)
        self.model = HighsModel(self.built.prob, gap=scn.solver.gap, threads=scn.solver.threads, seed=scn.solver.seed,
                                highs=AMALGAMATION_HIGHS)
        self._rows: dict[tuple, int] = {}
        self._warm = False   # re-solves start from self.start (a first solve's warm start), after retarget only

    def retarget(self, geo: Geography, scn: Scenario) -> bool:
        """Make the built model the model a first solve of ``scn`` on ``geo`` builds, where ``geo`` differs from the
        geography it was built on in children under five only (another population year, a growth what-if): the
        objective's weights and the reach rows' coefficients are set from ``geo``, and re-solves start from its warm
        start, as a full solve does. Only where everything else is the same (areas, corridors and their minutes,
        the specification: centres, minutes, rules) and so are the candidate pairs (the warm start's among them);
        else False, the model unchanged, and the caller solves in full. Used by :mod:`clusterplan.sensitivity`."""
        sp = replace(spec(geo, scn), k=self.spec.k)
        if not (geo.areas.index.equals(self.geo.areas.index) and _same_spec(sp, self.spec)
                and _links(geo) == _links(self.geo)):
            return False
        start = assignment.heuristic(geo.areas, geo.corridors, sp)
        if assignment.candidates(geo.areas, sp, start) != assignment.candidates(self.geo.areas, self.spec,
                                                                                 self.start):
            return False
        b = self.built
        cost = assignment.pair_costs(geo.areas, sp, b.x)
        self.model.set_costs({b.x[k]: c for k, c in cost.items()})
        under5 = geo.areas["under5"]
        area = {v.name: i for (i, _), v in b.x.items()}   # the reach rows' x terms (their y term is the floor's)
        for name in (n for n in b.prob.constraints if n.startswith(("floor_", "ceiling_"))):
            self.model.set_coefficients(name, {v: float(under5[area[v.name]])
                                               for v in b.prob.constraints[name] if v.name in area})
        self.geo, self.scn, self.start, self._warm = geo, scn, start, start is not None
        return True

    def _row(self, key: tuple, terms: dict) -> int:
        if key not in self._rows:
            self._rows[key] = self.model.add_row(terms)
        return self._rows[key]

    def rows(self, restrict: dict) -> dict[int, tuple[float, float]] | None:
        """The added rows (index -> bounds) that make the built model the model of ``restrict``; None where a
        restriction cannot be added to it (the caller then solves in full)."""
        if set(restrict) - self.RESTRICTIONS:
            return None
        b, inf = self.built, float("inf")
        out: dict[int, tuple[float, float]] = {}
        m = restrict.get("min_differ", 1)
        for kept in restrict.get("exclude_kept", ()):
            terms, low = assignment.nogood_kept_row(b.y, kept, m)
            out[self._row(("kept", kept), terms)] = (low, inf)
        n = restrict.get("min_areas_differ", 1)
        for pairs in restrict.get("exclude_assign", ()):
            terms, high = assignment.nogood_areas_row(b.x, pairs, n)
            out[self._row(("areas", pairs), terms)] = (-inf, high)
        if restrict.get("deprived_within") is not None:
            limit, share = restrict["deprived_within"]
            terms, low = assignment.deprived_row(b.x, self.geo.areas, self.spec.minutes, limit, share)
            out[self._row(("deprived", limit), terms)] = (low, inf)
        for rule, bounds in self.COUNTS.items():   # as replace(spec, count=...): the rule given replaces the model's
            if rule not in restrict:
                continue
            own = self.model.row(rule)
            if own is not None:
                out[own] = (-inf, inf)
            if restrict[rule] is not None:
                out[self._row(("count", rule), {v: 1.0 for v in b.y.values()})] = bounds(float(restrict[rule]))
        return out

    def resolve(self, time_limit: float, *, lock: str | None = None, restrict: dict | None = None,
                start: dict[str, str] | None = None) -> tuple[Outcome, pd.Series] | None:
        """The outcome and the area -> centre assignment of the built model with ``lock`` kept open and the rows of
        ``restrict`` (:meth:`rows`), within ``time_limit`` seconds; None where the model cannot take them, the
        centre is not in it, or the re-solve finds no plan (the caller then solves in full, which widens the
        candidates or explains an infeasible scenario). A lock, or a restriction of :data:`REACH_CUTS_WITH`, adds
        reach cuts for this re-solve only (:meth:`reach_cuts`; their seconds count in the outcome's)."""
        rows = self.rows(restrict or {})
        if rows is None or (lock is not None and lock not in self.built.y):
            return None
        bounds = {self.built.y[lock]: (1.0, 1.0)} if lock is not None else {}
        wants = lock is not None or any(k in (restrict or {}) for k in REACH_CUTS_WITH)
        cuts, spent = self.reach_cuts(bounds, rows, time_limit) if wants else ({}, 0.0)
        try:
            given = start is not None and all(p in self.built.x for p in start.items())
            if self._warm or given:   # every variable as a first solve starts: the start's x and y, the others unset
                for v in self.built.prob.variables():
                    v.varValue = None
                assignment.set_start(self.built, start if given else self.start)
            out = self.model.solve(bounds, max(time_limit - spent, 0.5), rows | cuts, warm=self._warm or given)
        finally:
            self.model.drop_rows(cuts)
        out = replace(out, seconds=out.seconds + spent)
        return (out, assignment.extract(self.built)) if out.status.is_ok else None

    def reach_cuts(self, bounds: dict, rows: dict[int, tuple[float, float]],
                   time_limit: float) -> tuple[dict[int, tuple[float, float]], float]:
        """Reach cuts (:mod:`.reach`) for the built model with ``bounds`` and ``rows``: up to :data:`REACH_ROUNDS`
        rounds of solving its linear relaxation and adding the cuts it violates, as rows added to the model (the
        caller bounds them in its re-solve and drops them after: :meth:`HighsModel.drop_rows`). (row -> bounds,
        solver seconds spent), in at most a tenth of ``time_limit``. Valid for every plan of the model, so the
        re-solve's plans, optimum and proof are the same."""
        cuts: dict[int, tuple[float, float]] = {}
        spent = 0.0
        if not REACH_ROUNDS or not self.built.preds or self.spec.floor <= 0:
            return cuts, spent
        centres = self.reach_centres()
        try:
            for _ in range(REACH_ROUNDS):
                values, seconds = self.model.relaxation(bounds, time_limit / 10 - spent, rows | cuts)
                spent += seconds
                if values is None:
                    break
                new = self.reach_terms(values, centres)
                for terms in new:
                    cuts[self.model.add_row(terms)] = (0.0, float("inf"))
                if not new or spent >= time_limit / 10:
                    break
        except BaseException:   # stopped (Ctrl-C) or failed: the model as built again before it goes up
            self.model.drop_rows(cuts)
            raise
        return cuts, spent

    def reach_centres(self) -> dict[str, reach.Centre]:
        """Each kept-able centre's side of the built model for :mod:`.reach`, with the children under five of
        :attr:`geo` (which :meth:`retarget` may change)."""
        b = self.built
        under5 = self.geo.areas["under5"]
        homes = self.spec.facilities["home_area"]
        return {j: reach.Centre(str(homes[j]), {i: float(under5[i]) for i in dag if (i, j) in b.x}, dag)
                for j, dag in b.preds.items() if j in b.y}

    def reach_terms(self, values: list[float], centres: dict[str, reach.Centre] | None = None) -> list[dict]:
        """The reach cuts (:mod:`.reach`) that ``values`` (every column's value, by column index) violate, each as
        the terms of a row ``sum terms >= 0``: +1 for each area of the boundary, -1 for the centre's y.
        ``centres``: :meth:`reach_centres`, where the caller separates several rounds."""
        b = self.built
        out = []
        for j, c in (self.reach_centres() if centres is None else centres).items():
            for edge in reach.separate(c, self.spec.floor, {i: values[b.x[i, j].index] for i in c.children},
                                       values[b.y[j].index]):
                out.append({b.x[v, j]: 1.0 for v in edge} | {b.y[j]: -1.0})
        return out

    def lock(self, centre: str, time_limit: float, *, first_k: int | None = None) -> tuple[Outcome, pd.Series] | None:
        """:meth:`resolve` with ``centre`` locked open, its solver seconds counting any first solve for its start.

        ``first_k``: start from the plan of the same lock with each area among its ``first_k`` nearest centres
        only, solved to its root node in at most half of ``time_limit`` (as :func:`.catchment.run` starts the plan
        itself; a plan of that model is a plan of this one, so only the start changes). Used where reasons have a
        time limit of their own: on Norfolk's four locks at 5 s each, two at a time, the best plan found was the
        exact cost for Wells and West Walton (cold starts ended 4% and 20% above it) and 6% dearer than cold for
        Mundesley; the ranges narrower in all (benchmarks/README.md).

        Without ``first_k``, where the model was built for a plan: start from :meth:`nearby`, the lock re-solved
        near the centre only (Norfolk's four locks 26.7 s against 39.7 s cold, one after the other; 34 locks in 23
        English authorities 70.9 s against 94.7 s; the same optima: benchmarks/README.md)."""
        t0 = time.perf_counter()
        first = None
        if first_k and centre in self.built.y:
            locked = replace(self.spec, keep=frozenset(self.spec.keep | {centre}))
            first = catchment.first_plan(self.geo, locked, self.scn, time_limit / 2, "what_if", None,
                                         AMALGAMATION_HIGHS, first_k)
        elif not first_k and NEARBY_CENTRES:
            first = self.nearby(centre, NEARBY_SHARE * time_limit)
        got = self.resolve(max(time_limit - (time.perf_counter() - t0), 0.5), lock=centre,
                           start=first[0] if first is not None else None)
        if got is None or first is None:
            return got
        return replace(got[0], seconds=got[0].seconds + first[1]), got[1]

    def nearby(self, centre: str, seconds: float) -> tuple[dict[str, str], float] | None:
        """A start for the lock of ``centre``: the model with ``centre`` locked open and every area kept in its
        plan's catchment except those of the centre's own home area and of the :data:`NEARBY_CENTRES` kept centres
        nearest it (minutes from its home area; ties by id), solved within ``seconds`` with presolve on (most
        columns are fixed). Its plan is a plan of the lock (only bounds were added), so only the start changes.
        (area -> centre, seconds), or None where there is no plan to start from, no area would be held (a network
        of few centres: the start would be the lock itself) or it finds none."""
        plan, b = self.plan, self.built
        if plan is None or centre not in b.y or centre not in self.spec.facilities.index:
            return None
        assign = plan.assignment.set_index("area")["centre"].astype(str)
        home = self.spec.facilities.at[centre, "home_area"]
        minutes = self.spec.minutes.loc[home]
        kept = sorted(set(assign) & set(minutes.index), key=lambda j: (float(minutes[j]), j))
        free = {centre, assign.get(home, centre), *kept[:NEARBY_CENTRES]}
        fixed = [(i, j) for i, j in assign.items() if j not in free]
        if not fixed or any(p not in b.x for p in fixed):   # none held: it would be the lock itself, solved twice
            return None
        bounds = {b.y[centre]: (1.0, 1.0)} | {b.x[p]: (1.0, 1.0) for p in fixed}
        out = self.model.solve(bounds, seconds, options={"presolve": "on"})
        if not out.status.is_ok:
            return None
        return assignment.extract(b).to_dict(), out.seconds

    def __call__(self, centre: str, what_if: Scenario) -> Plan | None:
        """The plan of ``what_if`` (the scenario with ``centre`` kept), or None where :meth:`lock` gives none."""
        got = self.lock(centre, what_if.solver.time_limit)
        return None if got is None else self.to_plan(centre, what_if, *got)

    def to_plan(self, centre: str, what_if: Scenario, outcome: Outcome, assign: pd.Series) -> Plan:
        """The plan of a :meth:`lock` re-solve (unchecked, like a model's: the caller checks it)."""
        return self.plan_of(what_if, outcome, assign, f"what-if re-solve of the built model with {centre} locked open")

    def plan_of(self, scn: Scenario, outcome: Outcome, assign: pd.Series, note: str) -> Plan:
        """The plan of a :meth:`resolve` answer under ``scn`` (unchecked, like a model's: the caller checks it, or
        finishes it with :func:`clusterplan.solve.finish`)."""
        ctx = Context(input_hash(self.geo, scn), Deadline.start(scn.solver.time_limit))
        rep = report(outcome, scn, self.scope, ctx, self.spec.k, [note])
        return _plan(self.geo, scn, assign, rep, [note])


def _same_spec(a: Spec, b: Spec) -> bool:
    """The two specifications are equal, field by field (tables compared by value)."""
    for f in a.__dataclass_fields__:
        u, v = getattr(a, f), getattr(b, f)
        if isinstance(u, pd.DataFrame | pd.Series) or isinstance(v, pd.DataFrame | pd.Series):
            if type(u) is not type(v) or not u.equals(v):
                return False
        elif u != v:
            return False
    return True


def _links(geo: Geography) -> list:
    """The corridor links with their minutes, in a fixed order (what candidate lists and precedence read)."""
    return sorted((min(u, v), max(u, v), d.get("minutes")) for u, v, d in geo.corridors.edges(data=True))


def twin(geo: Geography, scn: Scenario, plan: Plan, centre: str) -> str | None:
    """A kept centre of ``plan`` interchangeable with the amalgamated ``centre`` in this model, or None: the same home
    area and district, the same minutes from every area (so the same travel cost for every area it could serve), the
    same closing cost, and neither of them locked open or closed by the scenario. Two designations in one building
    are such twins (Norfolk: Dereham Central and Dereham South; Aylsham Cluster Area and Reepham). None under
    per-district policies (another model may hold the centre's district)."""
    if scn.policies:
        return None
    sp = spec(geo, scn)
    fac, minutes = sp.facilities, sp.minutes
    if centre not in fac.index or centre in sp.keep or centre in sp.close:
        return None
    for k in sorted(plan.kept):
        if (k != centre and k in fac.index and k not in sp.keep and k not in sp.close
                and fac.at[k, "home_area"] == fac.at[centre, "home_area"]
                and fac.at[k, "district"] == fac.at[centre, "district"]
                and sp.close_cost.get(k, 0.0) == sp.close_cost.get(centre, 0.0)
                and minutes[k].equals(minutes[centre])):
            return k
    return None


def twin_swap(geo: Geography, scn: Scenario, plan: Plan, centre: str, what_if: Scenario,
              note: str | None = None) -> Plan | None:
    """The plan of ``what_if`` (``scn`` with ``centre`` locked open) without a re-solve, where ``centre`` has a
    :func:`twin` kept in ``plan``: the twin's catchment goes to ``centre`` and the twin is amalgamated. Every term of
    the objective is unchanged (same minutes, same count per district, same closing cost), and a lock cannot make
    the optimum cheaper, so this plan is as good as ``plan`` (same objective, bound and gap): the lock costs
    nothing. None where there is no twin. ``note``: the plan's note, with ``{centre}``, ``{twin}`` (ids),
    ``{centre_name}`` and ``{twin_name}`` filled in (default: says what was swapped). Unchecked, like a model's
    plan: the caller checks it."""
    k = twin(geo, scn, plan, centre)
    if k is None:
        return None
    assign = plan.assignment.set_index("area")["centre"].astype(str).replace({k: centre}).sort_index()
    r = plan.report
    outcome = Outcome(r.status, r.objective, r.bound, r.gap, 0.0, r.solver, r.solver_version)
    note = note or ("what-if without a re-solve: {centre} is a twin of {twin} (same home area, district, minutes "
                    "and closing cost), so {twin}'s catchment goes to {centre} at the same cost")
    name = geo.centres["name"].to_dict()
    notes = [note.format(centre=centre, twin=k, centre_name=name.get(centre, centre), twin_name=name.get(k, k))]
    ctx = Context(r.input_hash, Deadline.start(what_if.solver.time_limit))
    return _plan(geo, what_if, assign, report(outcome, what_if, r.scope, ctx, r.candidates, notes), notes)


def what_if_open(geo: Geography, scn: Scenario, plan: Plan | None = None) -> WhatIf | None:
    """For re-solves of ``plan``'s model (:mod:`clusterplan.reasons`, :mod:`clusterplan.alternatives`,
    :mod:`clusterplan.pareto`), or with no plan of the model a first solve of ``scn`` builds: a :class:`WhatIf`, or
    None where the model cannot be reused (another solver, per-district policies, a plan that needed exact flow
    contiguity). Its :meth:`WhatIf.resolve` returns None when the re-solve finds no plan: the caller then solves in
    full, which widens the candidates or explains an infeasible scenario. Plans come back unchecked, like a
    model's: the caller checks them."""
    if scn.solver.name.lower() != "highs" or scn.policies:
        return None
    if plan is not None and (plan.report.candidates is None or "exact flow" in plan.report.scope):
        return None
    return WhatIf(geo, scn, plan)
