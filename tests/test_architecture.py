"""The house's plan, enforced: data flows one way (geography -> scenario -> model -> plan -> check -> compare /
report / cli), the checker shares inputs and not code with the models, and a model is one module plus one registry
line (a toy model added at run time is dispatched, checked and measured like a shipped one)."""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import clusterplan as cp
from clusterplan import measures, registry
from clusterplan.errors import CheckError
from clusterplan.models.base import report
from clusterplan.scenario import json_schema
from clusterplan.solvers import LAST_STEP_SECONDS, Deadline, Outcome

from . import imports
from .synthetic import grid


def test_no_import_cycles_even_through_imports_inside_functions():
    for module_level in (True, False):
        cycles = list(nx.simple_cycles(imports.graph(module_level=module_level)))
        assert not cycles, f"import cycles: {cycles[:5]}"


def test_no_model_imports_the_conductor_or_anything_downstream_of_plans():
    """Models build plans; they never reach the conductor (solve), the checker, the files or the reports."""
    g = imports.graph(module_level=False)
    downstream = {"clusterplan.solve", "clusterplan.check", "clusterplan.io", "clusterplan.report",
                  "clusterplan.runner", "clusterplan.cli", "clusterplan.batch", "clusterplan.compare"}
    for m in g:
        if m.startswith("clusterplan.models"):
            assert not (nx.descendants(g, m) & downstream), f"{m} reaches {nx.descendants(g, m) & downstream}"


def test_the_checker_reaches_no_model_code_even_indirectly():
    g = imports.graph(module_level=False)
    reached = nx.descendants(g, "clusterplan.check")
    assert not [m for m in reached if m.startswith("clusterplan.models")], sorted(reached)
    assert set(reached) >= {"clusterplan.geography", "clusterplan.scenario", "clusterplan.measures"}


def test_model_names_are_branched_on_only_in_the_registry_and_their_own_modules():
    """Outside the registry nobody compares a model's name (``model == "amalgamate"``, ``model in (...)``)."""
    names = set(registry.names())
    found = []
    for path in imports.ROOT.rglob("*.py"):
        if path.name == "registry.py" or path.parent.name == "models":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            if not any("model" in ast.unparse(s) for s in sides):
                continue
            consts = [c.value for s in sides for c in ([s] if isinstance(s, ast.Constant) else getattr(s, "elts", []))
                      if isinstance(c, ast.Constant)]
            if names & set(consts):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert not found, found


def test_scenario_choices_and_schema_come_from_the_registry():
    assert json_schema()["properties"]["model"]["enum"] == list(registry.names())
    with pytest.raises(cp.ScenarioError, match="did you mean 'amalgamate'"):
        cp.Scenario.from_dict({"model": "amalgamat"})


# ---------------------------------------------------------------------- a toy model, added without editing clusterplan
def _toy_module(name: str, *, drop_an_area: bool) -> types.ModuleType:
    """A model of one centre: every area joins the located centre whose home area is nearest the others (least
    child-minutes). ``drop_an_area`` makes it leave one area out, a bug the checker must catch."""
    mod = types.ModuleType(name)

    def solve(geo, scn, ctx):
        fac = measures.facilities(geo, "centres")
        minutes = geo.centre_minutes[fac.index]
        cost = {j: float((geo.areas["under5"] * minutes[j]).sum()) for j in fac.index}
        best = min(sorted(cost), key=cost.get)
        assign = pd.Series(best, index=geo.areas.index)
        if drop_an_area:
            assign = assign.iloc[1:]
        objective = measures.plan_objective(pd.DataFrame({"area": assign.index, "centre": assign.to_numpy()}),
                                            geo.areas, minutes, scn.deprivation.weight, 0.0)
        outcome = Outcome(cp.Status.OPTIMAL, objective, objective, 0.0, 0.0, "none", "toy model")
        status = {j: ("kept" if j == best else "amalgamated") for j in fac.index}
        merged = {j: best for j in fac.index if j != best}
        return cp.Plan.from_assignment(geo, scn, assign, fac, minutes, status=status, merged_into=merged,
                                       report=report(outcome, scn, "one centre", ctx, None, []))

    mod.solve = solve
    return mod


@pytest.fixture
def toy(monkeypatch):
    """Register the toy models for one test (the registry and sys.modules as they were afterwards)."""
    for name, bug in (("one_centre", False), ("one_centre_buggy", True)):
        module = f"toy_models.{name}"
        monkeypatch.setitem(sys.modules, module, _toy_module(module, drop_an_area=bug))
        monkeypatch.setitem(registry.MODELS, name, registry.ModelInfo(
            name, module, "every area to one centre (a toy)", reach_floor=False, travel_limit=False,
            objective="child_minutes", closes_centres=True))
    return registry


def test_a_toy_model_is_a_module_and_a_registry_line(toy):
    geo = grid(3, 3, 100, {"a": (0, 0), "b": (1, 1), "c": (2, 2)})
    plan = cp.solve(geo, {"model": "one_centre", "reach": {"min": 0}}, quiet=True)
    assert plan.model == "one_centre" and plan.kept == ["b"]        # the middle of the grid
    assert cp.check(plan, geo, {"model": "one_centre"}) == []
    assert plan.metrics["centres_kept"] == 1 and plan.metrics["centres_amalgamated"] == 2
    assert plan.metrics["weighted_child_minutes"] == pytest.approx(plan.report.objective, abs=0.05)
    assert "one_centre" in json_schema()["properties"]["model"]["enum"]


def test_the_checker_catches_a_toy_model_that_leaves_a_gap(toy):
    geo = grid(3, 3, 100, {"a": (0, 0), "b": (1, 1), "c": (2, 2)})
    with pytest.raises(CheckError, match="no centre"):
        cp.solve(geo, {"model": "one_centre_buggy", "reach": {"min": 0}}, quiet=True)


def test_a_plan_is_frozen():
    geo = grid(2, 2, 300, {"a": (0, 0)})
    plan = cp.solve(geo, {"model": "status_quo"}, quiet=True)
    with pytest.raises(AttributeError):
        plan.notes = ("changed",)
    assert plan.but(notes=("changed",)).notes == ("changed",) and plan.notes != ("changed",)
    assert plan.scenario is not None and plan.scenario.model == "status_quo"


def test_time_limit_is_one_budget_for_the_whole_solve():
    """Every MIP inside a solve gets what is left of one deadline (a step started late still gets a moment)."""
    d = Deadline.start(10)
    assert 9 < d.left() <= 10 and not d.spent()
    spent = Deadline.start(0)
    assert spent.spent() and spent.left() == LAST_STEP_SECONDS and spent.left(minimum=0.0) == 0.0


def test_status_is_typed_and_reads_as_its_text():
    assert cp.Status("optimal") is cp.Status.OPTIMAL and cp.Status.OPTIMAL == "optimal"
    assert cp.Status.FEASIBLE.is_ok and not cp.Status.INFEASIBLE.is_ok and not cp.Status.NO_SOLUTION.is_ok
    assert f"{cp.Status.OPTIMAL}" == "optimal"


def test_every_module_says_its_one_job():
    for path in imports.ROOT.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and len(doc.split()) >= 5, f"{path.relative_to(imports.ROOT.parent)} has no docstring"


def test_readme_layout_names_every_module():
    readme = (Path(imports.ROOT).parent / "README.md").read_text()
    missing = [p.stem for p in imports.ROOT.glob("*.py")
               if p.stem not in ("__init__", "__main__") and f"`{p.stem}`" not in readme]
    missing += [f"models/{p.stem}" for p in (imports.ROOT / "models").glob("*.py")
                if p.stem != "__init__" and f"`models/{p.stem}`" not in readme]
    assert not missing, f"README's layout section does not name {missing}"
