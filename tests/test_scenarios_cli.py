"""Scenario files, the JSON Schema, and the command line on the real Norfolk data."""

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import clusterplan as cp
from clusterplan.cli import main
from clusterplan.scenario import json_schema, load

ROOT = Path(__file__).resolve().parents[1]
NORFOLK = ROOT / "scenarios" / "norfolk"


def test_schema_file_matches_the_code():
    on_disk = json.loads((ROOT / "scenarios" / "schema.json").read_text())
    assert on_disk == json_schema(), "scenarios/schema.json drifted: run `clusterplan schema > scenarios/schema.json`"


@pytest.mark.parametrize("path", sorted(NORFOLK.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    scn = load(path)
    assert scn.geography.builtin == "norfolk" and scn.reach.min == 600


def _write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_an_empty_mapping_clears_what_a_scenario_extends(tmp_path):
    """`extends` merges mappings key by key, so `policies: {}` merged nothing and kept every policy of the file it
    extends: a scenario could not drop them. An empty mapping now replaces; a non-empty one still merges."""
    hybrid = NORFOLK / "hybrid_norwich_tender_rural_clusters.yaml"
    assert load(hybrid).policies
    plain = load(_write(tmp_path, f"extends: {hybrid}\nname: no policies\npolicies: {{}}\n"))
    assert plain.policies == {} and plain.stages == ["amalgamate", "tender"]
    base = _write(tmp_path, "model: amalgamate\ncentres: {count: 40, per_district: {Norwich: 7}}\n", "base.yaml")
    cleared = load(_write(tmp_path, f"extends: {base}\ncentres: {{per_district: {{}}}}\n", "child.yaml"))
    assert cleared.centres.per_district == {} and cleared.centres.count == 40   # the rest of centres merged
    merged = load(_write(tmp_path, f"extends: {base}\ncentres: {{per_district: {{Breckland: 6}}}}\n", "c2.yaml"))
    assert merged.centres.per_district == {"Norwich": 7, "Breckland": 6}


def test_misspelt_key_suggests_the_right_one(tmp_path, capsys):
    p = _write(tmp_path, "model: amalgamate\nreach: {minimum: 500}\n")
    with pytest.raises(cp.ScenarioError, match=r"`reach.minimum` is not a known key; did you mean 'reach.min'"):
        load(p)
    assert main(["run", str(p), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "s.yaml" in err and "reach.min" in err
    assert not (tmp_path / "o").exists()


def test_wrong_type_names_the_key(tmp_path):
    p = _write(tmp_path, "model: amalgamate\nsolver: {time_limit: soon}\n")
    with pytest.raises(cp.ScenarioError, match=r"`solver.time_limit`: .*number.*Got 'soon' instead"):
        load(p)


def test_unknown_model_suggests(tmp_path):
    with pytest.raises(cp.ScenarioError, match="did you mean 'amalgamate'"):
        load(_write(tmp_path, "model: amalgamation\n"))


def test_extends_cycle_and_missing_file(tmp_path):
    _write(tmp_path, "extends: b.yaml\nmodel: amalgamate\n", "a.yaml")
    _write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(cp.ScenarioError, match=r"`extends` forms a cycle: a.yaml -> b.yaml -> a.yaml"):
        load(tmp_path / "a.yaml")
    with pytest.raises(cp.ScenarioError, match="nope.yaml: file not found"):
        load(tmp_path / "nope.yaml")


def test_extends_overrides_the_parent(tmp_path):
    shutil.copy(ROOT / "scenarios" / "norfolk_base.yaml", tmp_path / "base.yaml")
    p = _write(tmp_path, "extends: base.yaml\nname: child\nreach: {min: 500}\n")
    scn = load(p)
    assert scn.reach.min == 500 and scn.solver.time_limit == 120 and scn.name == "child"


def test_unknown_centre_in_keep_exits_2_with_a_suggestion(tmp_path, capsys):
    p = _write(tmp_path, "model: amalgamate\ncentres: {keep: [Litchem]}\n")
    assert main(["run", str(p), "--out", str(tmp_path / "o")]) == 2
    assert "did you mean 'litcham'" in capsys.readouterr().err


def test_infeasible_floor_exits_1_with_the_reason(tmp_path, capsys):
    p = _write(tmp_path, "model: amalgamate\nreach: {min: 50000}\ncentres: {count: 2}\n")
    assert main(["run", str(p), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "44,201 children under five in all can fill at most 0 centres of 50,000" in err
    assert not (tmp_path / "o").exists()


def test_run_says_how_sure_it_is_of_a_plan_it_did_not_prove(tmp_path, capsys):
    """A plan stopped by its time limit printed only "feasible ... gap 17.65%" (or "gap n/a", Lancashire's family
    hubs at 20 s), leaving a user to guess what that means; the report said it in words, the terminal did not.
    Norfolk's network capacity at a floor of 1,105 children: children / floor is 40 with one child to spare, which
    no search finds or disproves in 2 s."""
    p = _write(tmp_path, "model: capacity\nreach: {min: 1105}\nsolver: {time_limit: 2}\n")
    assert main(["--quiet", "run", str(p), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    gap = json.loads((tmp_path / "o" / "manifest.json").read_text())["gap"]
    assert ": feasible (" in out and gap > 0
    assert f"before proving it best: at most {gap:.2%} from the best plan possible." in out


def test_a_proven_plan_says_nothing_more_than_its_status(tmp_path, capsys):
    p = _write(tmp_path, "model: status_quo\n")
    assert main(["--quiet", "run", str(p), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert ": optimal (" in out and "The optimiser" not in out


def test_run_writes_every_output_and_check_verifies_it(tmp_path, capsys):
    out = tmp_path / "sq"
    assert main(["run", str(NORFOLK / "status_quo.yaml"), "--out", str(out)]) == 0
    said = capsys.readouterr().out.splitlines()
    # the floor as the scenario gives it (600, not 600.0), and the plan's note on the centres below it
    assert "  reach floor (children): 600" in said and "  centres kept: 53" in said
    assert any(line.startswith("  note: 19 of 53 centres reach fewer than 600 children today: ") for line in said)
    for f in ("assignment.csv", "centres.csv", "metrics.json", "manifest.json", "plan.gpkg", "report.html",
              "report.xlsx"):
        assert (out / f).stat().st_size > 0, f
    a = pd.read_csv(out / "assignment.csv", keep_default_na=False)
    assert list(a.columns) == ["area", "centre", "cluster"] and len(a) == 538
    c = pd.read_csv(out / "centres.csv")
    assert list(c.columns[:6]) == ["centre", "name", "status", "merged_into", "reach", "cluster"]
    man = json.loads((out / "manifest.json").read_text())
    for k in ("status", "objective", "bound", "gap", "solver", "solver_version", "time_limit", "seconds",
              "input_hashes"):
        assert k in man
    assert main(["check", str(out)]) == 0
    # tamper: move an area to a centre across the county
    a.loc[0, "centre"] = "hunstanton" if a.loc[0, "centre"] != "hunstanton" else "diss"
    a.to_csv(out / "assignment.csv", index=False)
    assert main(["check", str(out)]) == 1
    assert "not connected" in capsys.readouterr().out


def test_same_scenario_twice_gives_identical_files(tmp_path):
    for n in (1, 2):
        # the plan itself (its 38 what-if explanations are re-solves of the same kind, left out for time)
        assert main(["run", str(NORFOLK / "fifteen_bases.yaml"), "--out", str(tmp_path / f"r{n}"), "--no-why"]) == 0
    for f in ("assignment.csv", "centres.csv"):
        assert (tmp_path / "r1" / f).read_bytes() == (tmp_path / "r2" / f).read_bytes()


def test_tender_stage_makes_a_lot_per_kept_centre(tmp_path):
    p = _write(tmp_path, "stages: [amalgamate, tender]\ntender: {budget: 1000000, lot_value_cap: 20000}\n")
    plan, _ = cp.run(load(p))
    kept = plan.centres[plan.centres["status"] == "kept"]
    assert len(plan.lots) == len(kept)
    assert plan.lots["value"].sum() == pytest.approx(1_000_000, abs=1)
    assert plan.metrics["vcs_accessible_lots"] == int((plan.lots["value"] <= 20000).sum())


def test_amalgamate_then_cluster_stage(tmp_path):
    p = _write(tmp_path, "stages: [amalgamate, cluster]\nclusters: {count: 5}\n")
    plan, geo = cp.run(load(p))
    kept = plan.centres[plan.centres["status"] == "kept"]
    assert (kept["cluster"] != "").all() and plan.clusters["cluster"].nunique() == 5
    assert (plan.centres.loc[plan.centres["status"] == "amalgamated", "cluster"].fillna("") == "").all()
    assert cp.check(plan, geo, load(p)) == []


def test_schema_command_prints_json(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "clusterplan scenario"


def test_hybrid_policy_per_district(tmp_path):
    scn = load(NORFOLK / "hybrid_norwich_tender_rural_clusters.yaml")
    plan, geo = cp.run(scn)
    district = geo.areas["district"]
    assert set(plan.lots["policy"]) == {"Norwich"}
    norwich_centres = set(plan.centres.loc[plan.centres["policy"] == "Norwich", "centre"])
    assert set(plan.lots["centre"]) <= norwich_centres
    rural = plan.assignment[plan.assignment["area"].map(district) != "Norwich"]
    assert (rural["cluster"] != "").all() and rural["cluster"].nunique() == 5
    assert (plan.assignment.loc[plan.assignment["area"].map(district) == "Norwich", "cluster"] == "").all()
    assert cp.check(plan, geo, scn) == []
    # the amalgamation ran with its own HiGHS options, the clusters with HiGHS's defaults: each part says its own
    assert plan.report.solver_version.startswith("Norwich: HiGHS") and " | others: HiGHS" in plan.report.solver_version
    assert plan.report.solver_version.count("presolve off") == 1
    # an area moved across the Norwich boundary to a rural centre breaks the Norwich policy's rules
    a = plan.assignment.copy()
    i = a.index[a["area"].map(district) == "Norwich"][0]
    a.loc[i, "centre"] = "diss"
    broken = cp.Plan(model=plan.model, scenario_name=plan.scenario_name, assignment=a, centres=plan.centres,
                     report=plan.report)
    assert any(v.startswith("Norwich: ") for v in cp.check(broken, geo, scn))


def test_policies_with_floors_of_their_own_count_each_centre_against_its_districts_floor(norfolk):
    """Per-district policies may set their own `reach.min`. The metrics, the checker's recomputation of them and the
    report's summary counted every centre against the whole scenario's floor instead: Norwich at 800 and the rural
    districts at 400 showed "19 centres below the floor (600)" for a plan that meets both of its floors."""
    from clusterplan.metrics import scenario_floors
    from clusterplan.report import summary_text
    scn = cp.Scenario.from_dict({"name": "floors by district", "model": "amalgamate", "reach": {"min": 600},
                                 "policies": {"Norwich": {"reach": {"min": 800}},
                                              "others": {"reach": {"min": 400}}}})
    districts = sorted(norfolk.areas["district"].unique())
    floors = scenario_floors(scn, norfolk)
    assert floors == {d: 800.0 if d == "Norwich" else 400.0 for d in districts}
    plan = cp.solve(norfolk, scn, quiet=True)
    assert cp.check(plan, norfolk, scn) == []
    home = norfolk.centres["home_area"].map(norfolk.areas["district"])
    served = plan.centres[plan.centres["status"] == "kept"]
    floor_of = served["centre"].map(home).map(floors)
    assert floor_of.notna().all() and (served["reach"] >= floor_of).all()   # the plan meets each part's floor
    assert (served["reach"] < 600).any()                                   # so the old count was not 0
    assert plan.metrics["centres_below_floor"] == 0
    assert plan.metrics["reach_floor"] == "400 to 800 by district"
    today = plan.baseline.centres
    expected = int((today["reach"] < today["centre"].map(home).map(floors)).sum())
    assert plan.metrics["centres_below_floor_today"] == expected != int((today["reach"] < 600).sum())
    text = summary_text(plan, norfolk, scn, pd.DataFrame({"changes": []}))
    assert "Every centre reaches at least its district's floor (400 to 800 children)" in text
    assert "600 children" not in text
    # the checker of written plans recomputes the count with the same floors, and catches one they do not give
    from clusterplan.check import check_written
    assert check_written(plan, norfolk, scn) == []
    wrong = plan.but(metrics={**plan.metrics, "centres_below_floor": 19})
    assert any("centres_below_floor is 19" in v for v in check_written(wrong, norfolk, scn))
    # a management cost per policy: each kept centre at its own district's (the whole scenario's cost times every
    # kept centre, before); a policy without one leaves the total unstated rather than partial
    costed = cp.Scenario.from_dict({**scn.model_dump(mode="json"), "centres": {"management_cost": 100_000},
                                    "policies": {"Norwich": {"reach": {"min": 800},
                                                             "centres": {"management_cost": 150_000}},
                                                 "others": {"reach": {"min": 400},
                                                            "centres": {"management_cost": 80_000}}}})
    priced = cp.solve(norfolk, costed, quiet=True)
    kept = priced.centres[priced.centres["status"] == "kept"]
    in_norwich = int((kept["centre"].map(home) == "Norwich").sum())
    assert 0 < in_norwich < len(kept)
    assert priced.metrics["management_cost_gbp"] == 150_000 * in_norwich + 80_000 * (len(kept) - in_norwich)
    assert check_written(priced, norfolk, costed) == []
    unpriced = costed.model_copy(update={"policies": {**costed.policies, "others": {"reach": {"min": 400}}},
                                         "centres": costed.centres.model_copy(update={"management_cost": None})})
    assert "management_cost_gbp" not in cp.solve(norfolk, unpriced, quiet=True).metrics
    # one floor for every policy: that floor, as a number
    same = cp.Scenario.from_dict({"name": "one floor", "model": "amalgamate", "reach": {"min": 600},
                                  "policies": {"Norwich": {"reach": {"min": 500}}, "others": {"reach": {"min": 500}}}})
    assert scenario_floors(same, norfolk) == 500.0


def test_locks_of_a_scenario_with_policies_hold_in_the_part_of_their_centre():
    """`centres.keep` / `close` of a scenario with policies lock each centre in the part that holds it (every part
    inherited them and failed on 'unknown centre' for centres of other districts); a policy's own lock must be a
    centre of its districts, and the checker holds each part to the locks of its centres."""
    base = load(NORFOLK / "hybrid_norwich_tender_rural_clusters.yaml")
    plain, geo = cp.run(base)
    assert plain.centres.set_index("centre").at["north-city", "status"] == "kept"
    data = base.model_dump(mode="json")
    scn = cp.Scenario.from_dict({**data, "centres": {**data["centres"], "keep": ["Diss"], "close": ["north-city"]}})
    plan = cp.solve(geo, scn, quiet=True)
    status = plan.centres.set_index("centre")["status"]
    assert status["north-city"] == "amalgamated" and status["diss"] == "kept"
    assert cp.check(plan, geo, scn) == []
    assert any(v.startswith("Norwich: ") and "[north-city] is locked closed but kept" in v
               for v in cp.check(plain, geo, scn))
    wrong = cp.Scenario.from_dict({**data, "policies": {**data["policies"],
                                                        "Norwich": {"centres": {"keep": ["Diss"]}}}})
    with pytest.raises(cp.ScenarioError, match=r"`policies.Norwich.centres.keep`: Diss Children's Centre \(South "
                                               r"Norfolk\) not in this policy's districts \(Norwich\)"):
        cp.solve(geo, wrong, quiet=True)


def test_counts_of_a_scenario_with_policies_are_per_district_or_refused():
    """`centres.per_district` of the whole scenario holds in the part of each district (every part inherited all
    of it and failed on the other parts' districts); a count of the whole scenario cannot be split between parts
    solved on their own, so it is refused naming the key (each part was asked for all of it)."""
    base = load(NORFOLK / "hybrid_norwich_tender_rural_clusters.yaml")
    plain, geo = cp.run(base)
    data = base.model_dump(mode="json")
    scn = cp.Scenario.from_dict({**data, "centres": {**data["centres"], "per_district": {"Norwich": 7}}})
    plan = cp.solve(geo, scn, quiet=True)
    norwich = plan.centres[plan.centres["policy"] == "Norwich"]
    assert (norwich["status"] == "kept").sum() == 7 and cp.check(plan, geo, scn) == []
    assert any(v.startswith("Norwich: 8 centres kept in Norwich; the scenario asks for 7")
               for v in cp.check(plain, geo, scn))
    for key in ("count", "min_count", "max_count"):
        with pytest.raises(cp.ScenarioError, match=rf"centres.{key}: a count of centres for the whole scenario "
                                                   "cannot be split between its policies"):
            cp.Scenario.from_dict({**data, "centres": {**data["centres"], key: 45}})
    # Breckland is clustered (policy 'others'), and clusters keep every centre: its count would go unread
    clustered = cp.Scenario.from_dict({**data, "centres": {**data["centres"],
                                                           "per_district": {"Norwich": 7, "Breckland": 6}}})
    with pytest.raises(cp.ScenarioError, match=r"`centres.per_district`: Breckland is planned by policy 'others' "
                                               r"\(model cluster\), which does not choose how many centres"):
        cp.solve(geo, clustered, quiet=True)
    # a cluster scenario of its own given a count of centres: refused, not ignored
    with pytest.raises(cp.ScenarioError, match=r"centres.per_district applies to the models that choose how many "
                                               r"centres there are \(amalgamate, sites\); this scenario's model is "
                                               r"cluster \(clusters.count for clusters\)"):
        cp.Scenario.from_dict({"model": "cluster", "centres": {"per_district": {"Breckland": 6}}})


@pytest.mark.parametrize(("scenario", "words"), [
    ({"model": "capacity", "reach": {"max": 605}}, "reach.max applies to the models that cap each catchment's reach "
                                                   "(amalgamate, sites, hubs); this scenario's model is capacity"),
    ({"model": "status_quo", "reach": {"max": 2000}}, "this scenario's model is status_quo"),
    ({"model": "hubs", "travel": {"max_minutes": 20}}, "travel.max_minutes applies to the models that limit each "
                                                       "child's travel to their centre (amalgamate, sites); this "
                                                       "scenario's model is hubs (spokes.max_minutes for hubs)"),
    ({"model": "cluster", "travel": {"max_minutes": 20}}, "this scenario's model is cluster"),
    ({"model": "amalgamate", "spokes": {"max_minutes": 10}, "budget": 1000},
     "spokes / budget: settings for family hubs apply to model hubs; this scenario's model is amalgamate"),
    ({"model": "cluster", "centres": {"within_district": True}}, "centres.within_district applies to models "
                                                                 "amalgamate, sites; this scenario's model is cluster"),
])
def test_rules_a_model_does_not_read_are_refused_not_ignored(scenario, words):
    """A rule the model has no place for is an error naming it, before any solve: capacity given reach.max planned
    regions above it and then failed its own check (an internal error); the others planned as if it were unsaid."""
    with pytest.raises(cp.ScenarioError, match=re.escape(words)):
        cp.Scenario.from_dict(scenario)


def test_a_policy_part_takes_only_the_rules_its_model_reads():
    """The whole scenario's reach.max and travel.max_minutes hold where a part's model reads them; a clustered part
    is not refused for them (a policy setting them itself for a model that cannot read them is)."""
    base = load(NORFOLK / "hybrid_norwich_tender_rural_clusters.yaml").model_dump(mode="json")
    scn = cp.Scenario.from_dict({**base, "reach": {"min": 600, "max": 5000}, "travel": {"max_minutes": 40}})
    assert scn.for_policy("Norwich").reach.max == 5000 and scn.for_policy("Norwich").travel.max_minutes == 40
    assert scn.for_policy("others").reach.max is None and scn.for_policy("others").travel.max_minutes is None
    own = {**base["policies"], "others": {**base["policies"]["others"], "reach": {"max": 5000}}}
    with pytest.raises(cp.ScenarioError, match="reach.max applies to the models that cap"):
        cp.Scenario.from_dict({**base, "policies": own}).for_policy("others")


def test_an_others_policy_left_with_no_district_is_refused(norfolk):
    districts = sorted(norfolk.areas["district"].unique())
    scn = {"model": "amalgamate", "policies": {**{d: {"model": "status_quo"} for d in districts},
                                               "others": {"model": "cluster"}}}
    with pytest.raises(cp.ScenarioError, match=r"`policies.others`: every district has a policy of its own"):
        cp.solve(norfolk, scn, quiet=True)


def test_an_infeasible_policy_is_named_with_its_districts(norfolk):
    """Each part of a per-district scenario is solved on its own: where one cannot be met, the error says which
    (its reasons speak of 'all N areas together', which alone does not say which districts)."""
    scn = {"model": "amalgamate", "policies": {"Norwich": {"reach": {"min": 100000}}}}
    with pytest.raises(cp.InfeasibleError, match=r"^policy 'Norwich' \(Norwich\): amalgamation: ") as err:
        cp.solve(norfolk, scn, quiet=True)
    assert any("below the floor of 100,000" in r for r in err.value.reasons)


def test_sites_from_centres_and_from_a_csv(tmp_path, norfolk):
    plan = cp.solve(norfolk, {"model": "sites", "geography": {"sites": "centres"}, "centres": {"count": 30},
                              "solver": {"gap": 0.01}})
    assert len(plan.kept) == 30 and set(plan.kept) <= set(norfolk.located_centres.index)
    # a commissioner's own candidate sites: here 80 real schools (nurseries and academies) written as a CSV
    s = norfolk.sites[norfolk.sites["kind"].str.contains("nursery|Academy", case=False, na=False)].head(80)
    csv = tmp_path / "my_sites.csv"
    s.reset_index()[["id", "name", "x", "y"]].to_csv(csv, index=False)
    scn = _write(tmp_path, f"model: sites\ngeography: {{sites: {csv}}}\ncentres: {{max_count: 40}}\n"
                 "solver: {gap: 0.01}\n")
    plan, geo = cp.run(load(scn))
    assert set(plan.kept) <= set(s.index) and len(geo.sites) == 80
    assert cp.check(plan, geo, load(scn)) == []


def test_compare_reuses_unchanged_plans(tmp_path, capsys):
    args = ["compare", str(NORFOLK / "status_quo.yaml"), str(NORFOLK / "fifteen_bases.yaml"), "--out", str(tmp_path),
            "--no-why"]   # explanations of fifteen bases' 38 amalgamations: minutes of re-solves, not what is tested
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "reused" not in first and (tmp_path / "comparison.csv").exists() and (tmp_path / "comparison.png").exists()
    table = pd.read_csv(tmp_path / "comparison.csv", index_col=0)
    assert list(table.columns) == ["Norfolk - status quo", "Norfolk - fifteen bases"]
    assert int(table.loc["centres kept", "Norfolk - fifteen bases"]) == 15
    assert main(args) == 0
    assert capsys.readouterr().out.count("reused (inputs unchanged, re-checked)") == 2


def test_report_line_of_a_plan_without_one_objective():
    from clusterplan.cli import _report_line
    from clusterplan.plan import SolveReport
    r = SolveReport(status="optimal", objective=None, bound=None, gap=None, seconds=1.0, solver="highs",
                    solver_version="HiGHS", time_limit=1, gap_limit=0, threads=None, seed=0, scope="")
    plan = cp.Plan(model="policies", scenario_name="x", assignment=pd.DataFrame(), centres=pd.DataFrame(), report=r)
    assert _report_line(plan).startswith("optimal (objective n/a, bound n/a, gap n/a")


def test_compare_prints_one_readable_row_per_scenario(tmp_path, capsys):
    """The terminal gets the key figures turned, a row per scenario, numbers as the report writes them; the full
    table (every metric, a column per scenario) is comparison.csv."""
    args = ["--quiet", "compare", str(NORFOLK / "status_quo.yaml"), str(NORFOLK / "fifteen_bases.yaml"), "--out",
            str(tmp_path), "--no-why"]
    assert main(args) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    at = next(n for n, line in enumerate(lines) if "kept" in line and "lowest reach" in line)
    assert lines[at].split()[0] == "floor"
    rows = {line.split("  ")[0].strip(): line for line in lines[at + 1:] if line.startswith("Norfolk - ")}
    assert set(rows) == {"Norfolk - status quo", "Norfolk - fifteen bases"}
    assert "NaN" not in out and "None" not in out
    assert "0.00%" in rows["Norfolk - status quo"] and " 600 " in rows["Norfolk - status quo"]
    table = pd.read_csv(tmp_path / "comparison.csv", index_col=0)
    fifteen = rows["Norfolk - fifteen bases"].split()
    assert f"{int(table.loc['children changing centre', 'Norfolk - fifteen bases']):,}" in fifteen


@pytest.mark.parametrize(("policies", "words"), [
    ({"Norwich": {"model": "capacity"}}, "Norwich: capacity on area centroids; the other districts: amalgamate on "
                                         "today's centres"),
    ({"Norwich": {"model": "sites"}, "others": {"model": "cluster"}}, "Norwich: sites on candidate sites; others: "
                                                                      "cluster on today's centres"),
])
def test_policies_that_plan_on_different_facilities_are_refused_before_a_solve(policies, words):
    """A capacity network in Norwich beside today's centres amalgamated elsewhere ended in an internal error (exit
    3: a KeyError locating Norwich's new centres among today's); with sites it measured every area's travel to the
    wrong set. Such a mix is two scenarios: the error says so, naming each district's model."""
    with pytest.raises(cp.ScenarioError, match="plan on different facilities") as err:
        cp.Scenario.from_dict({"model": "amalgamate", "policies": policies})
    assert words in str(err.value) and "clusterplan compare" in str(err.value)
    # models on the same facilities mix as before: the shipped hybrid, and capacity in every district
    cp.Scenario.from_dict({"model": "amalgamate", "policies": {"Norwich": {"stages": ["amalgamate", "tender"]},
                                                               "others": {"model": "cluster"}}})
    cp.Scenario.from_dict({"model": "capacity", "policies": {"Norwich": {"reach": {"min": 800}}}})


def test_facility_points_take_each_id_from_its_own_set(norfolk):
    """A plan may name today's centres, candidate schools and area centroids together (an amalgamation keeps a
    centre; a what-if places a school): each id is located in its own set, and an unknown one is named."""
    from clusterplan.measures import facility_points
    centre, school, area = norfolk.centres.index[0], norfolk.sites.index[0], norfolk.areas.index[0]
    got = facility_points(norfolk, [centre, school, f"area:{area}"])
    assert list(got.index) == [centre, school, f"area:{area}"]
    assert got.loc[centre].tolist() == norfolk.centres.loc[centre, ["x", "y"]].astype(float).tolist()
    assert got.loc[school].tolist() == norfolk.sites.loc[school, ["x", "y"]].astype(float).tolist()
    assert got.loc[f"area:{area}"].tolist() == norfolk.areas.loc[area, ["x", "y"]].astype(float).tolist()
    with pytest.raises(KeyError, match="'nowhere' is none of the geography's centres"):
        facility_points(norfolk, ["nowhere"])


@pytest.mark.parametrize(("scenario", "words"), [
    ({"model": "capacity", "centres": {"keep": ["Litcham"]}}, "centres.keep / centres.close apply to the models that "
                                                              "choose which of today's centres stay (amalgamate)"),
    ({"model": "hubs", "centres": {"close": ["Litcham"]}}, "(hubs.keep / hubs.close for hubs)"),
    ({"model": "sites", "clusters": {"count": 3}}, "clusters: settings for clusters apply to model cluster or a "
                                                   "cluster stage (stages: [sites, cluster])"),
    ({"model": "amalgamate", "tender": {"budget": 1000000}}, "tender: settings for tendering apply to a tender stage "
                                                             "(stages: [amalgamate, tender])"),
])
def test_settings_a_model_does_not_read_are_named_not_ignored(scenario, words):
    """A capacity scenario given centres.keep, or a sites scenario given clusters, planned as if nothing had been
    said. Now the key is named with the models or stage it applies to. Settings of the whole scenario are not
    passed down to a district whose model does not read them (the rural districts' clusters, Norwich's tender)."""
    with pytest.raises(cp.ScenarioError, match="problem found") as err:
        cp.Scenario.from_dict(scenario)
    assert words in str(err.value)
    mixed = cp.Scenario.from_dict({"clusters": {"count": 5}, "tender": {"budget": 1000000},
                                   "stages": ["amalgamate", "cluster"],
                                   "policies": {"Norwich": {"stages": ["amalgamate", "tender"]}}})
    norwich = mixed.for_policy("Norwich")
    assert norwich.clusters == cp.Scenario().clusters and norwich.tender.budget == 1000000
