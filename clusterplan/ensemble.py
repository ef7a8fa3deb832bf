"""Ensembles: many valid plans sampled by a Markov chain, to show where a chosen plan sits among the alternatives.

Method (ReCom, "recombination", as used for redistricting ensembles by DeFord, Duchin and Solomon, 2021, and in
GerryChain): the chain starts from a valid plan and keeps its set of centres. Each step

1. picks a pair of centres whose catchments touch, uniformly among such pairs;
2. merges their two catchments and draws a random spanning tree of the merged areas (a minimum spanning tree
   under independent uniform random edge weights, GerryChain's choice);
3. lists the tree edges whose removal leaves two parts, each holding exactly one of the two centres' home areas
   and each reaching the floor (and under the ceiling), and cuts one of them uniformly at random;
4. if there is none, or the new plan breaks a rule of the scenario (travel limit, district nesting, checked by the
   independent checker), the chain stays where it is (the step is recorded as a repeat).

Every recorded plan is connected, reaches the floor and leaves no gaps by construction, and every distinct plan
is also passed through :func:`clusterplan.check`. The random generator is seeded (``seed``): the same inputs and
seed give the same ensemble. This explores catchment shapes for one set of centres; which centres to keep is
explored by :mod:`clusterplan.alternatives` and :mod:`clusterplan.sensitivity`.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd

from . import progress, registry
from .check import check
from .errors import CheckError, InputError, ScenarioError, number_argument
from .geography import Geography
from .io import atomic_folder, write_csv
from .maps import plain_text
from .measures import assigned_minutes
from .metrics import Facts, figures, label
from .plan import Plan, Status
from .scenario import Scenario, whole_geography


@dataclass
class Ensemble:
    """``metrics``: one row per step (plan); ``accepted``: whether the step moved; ``assignments``: the plan
    (area -> centre) of each accepted step, keyed by its row in ``metrics``; ``checked``: plans passed through
    the checker."""

    metrics: pd.DataFrame
    assignments: dict[int, pd.Series] = field(default_factory=dict)
    checked: int = 0
    seed: int = 0
    method: str = "ReCom (random-weight spanning trees), fixed set of centres"


#: The figures an ensemble is compared on (:data:`clusterplan.metrics.FIGURES` ids); columns by display label.
ENSEMBLE_FIGURES = ("weighted_child_minutes", "mean_minutes", "deprived_within_15_min_pct", "lowest_reach",
                    "highest_reach")


def chosen_assignment(assign: pd.Series, geo: Geography, source: str) -> pd.Series:
    """``assign`` (area -> centre, a commissioner's chosen plan read from ``source``), checked to be a plan of
    ``geo``: every area of ``geo`` once and no other, each served by one of ``geo``'s centres. Raises
    :class:`InputError` naming ``source`` and what differs (e.g. a plan of another authority)."""
    areas, here = pd.Index(assign.index), geo.areas.index
    problems = []
    other, missing = areas.difference(here), here.difference(areas)
    if len(other) or len(missing):
        problems.append(f"it assigns {len(areas.intersection(here)):,} of the {len(here):,} areas of {geo.name}"
                        + (f"; {len(other):,} of its areas are not there (e.g. {', '.join(map(str, other[:3]))})"
                           if len(other) else "")
                        + (f"; {len(missing):,} areas there are not in it (e.g. {', '.join(map(str, missing[:3]))})"
                           if len(missing) else ""))
    if areas.has_duplicates:
        problems.append(f"it assigns {', '.join(map(str, areas[areas.duplicated()].unique()[:3]))} more than once")
    unknown = sorted(set(assign.dropna()) - set(geo.centre_minutes.columns))
    if unknown:
        problems.append(f"it serves areas from {len(unknown)} centre(s) that are not centres there: "
                        f"{', '.join(map(str, unknown[:5]))}")
    if problems:
        raise InputError(source, [*problems, "expected a plan written for this scenario's geography by `clusterplan "
                                              "run`"])
    return assign


def plan_figures(assign: pd.Series, geo: Geography, minutes: pd.DataFrame, weight: float) -> dict[str, float]:
    """The metrics the ensemble is compared on, for one assignment (area -> centre), keyed by display label (0
    for a share with nothing to share out, e.g. no deprived children)."""
    t = assigned_minutes(minutes, geo.areas.index, assign.reindex(geo.areas.index).to_numpy())
    return {k: 0.0 if v is None else v for k, v in figures(Facts.of(geo, assign, t, weight), ENSEMBLE_FIGURES).items()}


def refuse(scn: Scenario, model: str | None = None) -> None:
    """Raise :class:`ScenarioError` unless the chain can sample plans of ``scn`` (its model, or ``model``, the model
    of the plan it would start from): one model of today's centres' catchments (amalgamate or status quo) over the
    whole geography. The command line asks before solving the start, so a scenario it cannot sample costs no solve."""
    def sampled(info: registry.ModelInfo) -> bool:
        return info.uses_todays_centres and not info.clusters and not info.spokes
    model = model or scn.model
    if not sampled(registry.info(model)):
        models = " or ".join(m for m, i in registry.MODELS.items() if sampled(i))
        raise ScenarioError(f"ensemble: the chain re-splits centres' catchments; start from a plan of model {models}, "
                            f"not {model!r}")
    whole_geography(scn, "the chain samples one model's catchments over the whole geography", "the ensemble")


def recom(geo: Geography, scenario: Scenario | dict[str, Any], start: Plan, *, steps: int = 1000,
          seed: int = 0) -> Ensemble:
    """Run the chain for ``steps`` steps from ``start`` (an amalgamate or status-quo plan of ``scenario``)."""
    scn = Scenario.from_dict(scenario)
    refuse(scn, start.model)
    number_argument(steps, "steps", "recom", whole=True, least=1)
    number_argument(seed, "seed", "recom", whole=True, least=0)
    rng = np.random.default_rng(seed)
    floor, ceiling = scn.reach.min, scn.reach.max
    graph = geo.corridors
    under5 = geo.areas["under5"].to_dict()
    minutes = geo.centre_minutes
    homes = geo.centres["home_area"].to_dict()
    assign = start.assignment.set_index("area")["centre"].sort_index()
    label = assign.to_dict()
    rows, plans, checked = [], {}, 0
    check_scn = scn.model_copy(update={"model": start.model})
    for step in progress.items(range(steps), "ensemble step", total=steps):
        moved = _step(graph, label, homes, under5, floor, ceiling, rng)
        if moved is not None:
            candidate = pd.Series(moved).sort_index()
            report = replace(start.report, status=Status.SAMPLED, objective=None, bound=None, gap=None)
            plan = Plan(model=start.model, scenario_name=f"{scn.name} ensemble {step}", report=report,
                        assignment=pd.DataFrame({"area": candidate.index, "centre": candidate.to_numpy(),
                                                 "cluster": ""}), centres=pd.DataFrame())
            violations = check(plan, geo, check_scn)
            checked += 1
            if violations and not all("travel" in v or "district" in v for v in violations):
                raise CheckError([f"ensemble step {step}: {v}" for v in violations])  # a bug in the chain
            if violations:
                moved = None  # a rule of the scenario the chain does not build in: stay
            else:
                label = moved
                assign = candidate
                plans[step] = candidate
        rows.append({"step": step, "accepted": moved is not None,
                     **plan_figures(assign, geo, minutes, scn.deprivation.weight)})
    return Ensemble(pd.DataFrame(rows).set_index("step"), plans, checked, seed)


def _step(graph: nx.Graph, label: dict[str, str], homes: dict[str, str], under5: dict[str, int], floor: float,
          ceiling: float | None, rng: np.random.Generator) -> dict[str, str] | None:
    pairs = sorted({tuple(sorted((label[u], label[v]))) for u, v in graph.edges if label[u] != label[v]})
    if not pairs:
        return None
    a, b = pairs[rng.integers(len(pairs))]
    nodes = sorted(n for n, c in label.items() if c in (a, b))
    sub = graph.subgraph(nodes)
    edges = sorted(tuple(sorted(e)) for e in sub.edges)
    weights = rng.random(len(edges))
    tree = nx.Graph()
    tree.add_nodes_from(nodes)
    tree.add_weighted_edges_from((u, v, w) for (u, v), w in zip(edges, weights, strict=True))
    tree = nx.minimum_spanning_tree(tree)
    ha, hb = homes[a], homes[b]
    if ha == hb or label.get(ha) != a or label.get(hb) != b:
        return None  # two centres sharing one home area (one serves it): no edge separates them
    total = sum(under5[n] for n in nodes)
    # subtree populations, rooted at a's home: cutting (parent, child) leaves the child's subtree on b's side
    parent = dict(nx.bfs_predecessors(tree, ha))
    order = [ha, *[v for _, v in nx.bfs_edges(tree, ha)]]
    below = {n: under5[n] for n in nodes}
    holds_b = {n: n == hb for n in nodes}
    for n in reversed(order[1:]):
        below[parent[n]] += below[n]
        holds_b[parent[n]] = holds_b[parent[n]] or holds_b[n]
    cuts = []
    for n in order[1:]:
        side_b, side_a = below[n], total - below[n]
        ok = holds_b[n] and side_b >= floor and side_a >= floor
        if ceiling is not None:
            ok = ok and side_b <= ceiling and side_a <= ceiling
        if ok:
            cuts.append(n)
    if not cuts:
        return None
    cut = cuts[rng.integers(len(cuts))]
    part_b = {cut, *nx.descendants(nx.bfs_tree(tree, ha), cut)}
    new = dict(label)
    for n in nodes:
        new[n] = b if n in part_b else a
    return new


def summary(ens: Ensemble, marks: dict[str, dict[str, float]]) -> dict:
    """Steps, acceptance, distinct plans, checker passes, and for each marked plan and metric the share of
    sampled plans it is as good as or better than (lower is better, except the deprived share within 15 minutes
    and the lowest reach)."""
    higher_better = {label("deprived_within_15_min_pct"), label("lowest_reach")}
    m = ens.metrics
    distinct = len({tuple(a.to_numpy()) for a in ens.assignments.values()})
    out = {"method": ens.method, "seed": ens.seed, "steps": int(len(m)), "accepted": int(m["accepted"].sum()),
           "distinct plans": distinct, "plans through the checker": ens.checked, "beats": {}}
    if not out["accepted"]:   # every row is the start plan again: a share of them says nothing
        out["note"] = stuck(ens)
        return out
    for name, vals in marks.items():
        out["beats"][name] = {}
        for col, v in vals.items():
            if col in m:
                no_worse = (m[col] <= v) if col in higher_better else (m[col] >= v)
                out["beats"][name][col] = f"as good as or better than {no_worse.mean():.1%} of sampled plans"
    return out


def stuck(ens: Ensemble) -> str:
    """Why an ensemble whose chain never moved compares no plan with it, in words."""
    return (f"the chain made no move in its {len(ens.metrics):,} steps (no two adjacent catchments could be re-split "
            "into two that both hold the floor, or every re-split broke a rule of the scenario): no plan was sampled "
            "besides the start, so no plan is compared with the ensemble")


@plain_text
def figure(ens: Ensemble, marks: dict[str, dict[str, float]]):
    """Histograms of each metric over the ensemble, with the given plans (name -> plan_figures) marked."""
    cols = [c for c in ens.metrics.columns if c != "accepted"]
    fig, axes = plt.subplots(1, len(cols), figsize=(4 * len(cols), 3.4), squeeze=False)
    axes = axes[0]
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
    moved = bool(ens.metrics["accepted"].any())
    for ax, col in zip(axes, cols, strict=True):
        ax.hist(ens.metrics[col], bins=30, color="#bbbbbb")
        for (name, vals), colour in zip(marks.items(), colours, strict=False):
            ax.axvline(vals[col], color=colour, lw=2, label=name)
        ax.set_title(col, fontsize=9)
        ax.set_ylabel("plans in the ensemble")
        values = ens.metrics[col].dropna()
        if len(values) and values.nunique() == 1:   # one value: its tick alone, not 99.6 ... 100.4 around it
            ax.set_xticks([float(values.iloc[0])])
            ax.text(0.5, 0.9, f"{'every sampled plan' if moved else 'the start, at every step'}: "
                              f"{float(values.iloc[0]):,.1f}", transform=ax.transAxes,
                    ha="center", fontsize=8, color="#444444")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{len(ens.metrics):,} plans sampled by {ens.method}, seed {ens.seed}" if moved
                 else "\n".join(textwrap.wrap(stuck(ens), 150)), fontsize=10)
    fig.tight_layout()
    return fig


def write(ens: Ensemble, marks: dict[str, dict[str, float]], out: str | Path) -> dict:
    """Write ``ensemble.csv`` (one row per step), ``ensemble.png`` (:func:`figure`) and ``summary.json``
    (:func:`summary`) into ``out``, atomically; returns the summary."""
    result = summary(ens, marks)
    with atomic_folder(out, kind="ensemble") as tmp:
        write_csv(ens.metrics, tmp / "ensemble.csv")
        figure(ens, marks).savefig(tmp / "ensemble.png", dpi=110)
        (tmp / "summary.json").write_text(json.dumps(result, indent=2))
    return result
