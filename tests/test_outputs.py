"""What a person reads: the workbook an analyst filters, the comparison slide, the command line's help, progress on
long work, and the library's one-line descriptions. Real Norfolk data, or the six real areas of tests/bad_inputs."""

from __future__ import annotations

import html
import io
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import openpyxl
import pandas as pd
import pytest

import clusterplan as cp
from clusterplan import progress, report
from clusterplan.cli import build_parser, main

# one worker runs the whole module under pytest-xdist, so its module fixtures are built once
pytestmark = pytest.mark.xdist_group("outputs")

ROOT = Path(__file__).parent.parent
NORFOLK = ROOT / "scenarios" / "norfolk"
BASE = Path(__file__).parent / "bad_inputs" / "_base"


@pytest.fixture(scope="module")
def tender(tmp_path_factory):
    """Amalgamate then tender, on the real Norfolk data, written as `clusterplan run` writes it."""
    out = tmp_path_factory.mktemp("tender") / "plan"
    assert main(["--quiet", "run", str(NORFOLK / "amalgamate_then_tender.yaml"), "--out", str(out)]) == 0
    return out


def test_the_workbook_is_typed_formatted_and_complete(tender):
    wb = openpyxl.load_workbook(tender / "report.xlsx")
    assert {"summary", "centres", "assignment", "lots", "why", "solver", "sources"} <= set(wb.sheetnames)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref, ws.title
        assert all(c.font.bold for c in ws[1] if c.value is not None), ws.title
        assert all(str(c.value)[:1].isupper() for c in ws[1] if c.value is not None), ws.title   # 'Host school'
    assert {"school sites", "bundles"} & set(wb.sheetnames) and wb["lots"]["G2"].number_format == "0.0%"
    summary = {r[1].value: r[2].value for r in wb["summary"].iter_rows(min_row=2)}
    centres = pd.read_csv(tender / "centres.csv")
    assert summary["centres_kept"] == (centres["status"] == "kept").sum() and isinstance(summary["mean_minutes"], float)
    assert summary["centres_today"] == len(centres) == 53
    assert [c.value for c in wb["summary"][1]] == ["Figure", "Metric id", "Value"]
    solver = {r[0].value: r[1].value for r in wb["solver"].iter_rows(min_row=2)}
    assert solver["status"] == "optimal" and solver["relaxed_bound"] is None
    head = [c.value for c in wb["assignment"][1]]
    for col in ("Area (LSOA)", "Area name", "District", "Children under five", "Centre today", "Planned centre",
                "Travel (minutes)"):
        assert col in head, col
    assert wb["assignment"].max_row == 539
    lots = wb["lots"]
    share = [c for c in lots[1] if c.value == "Share of the budget"][0].column
    assert lots.cell(row=2, column=share).number_format == "0.0%"
    assert 0 < lots.cell(row=2, column=share).value < 1
    assert wb["why"].max_row == 1 + (centres["status"] == "amalgamated").sum()   # every amalgamation explained
    # numbers show the decimals they have: the floor is 600 (a count stored as a float), minutes a tenth
    floor = [r[2] for r in wb["summary"].iter_rows(min_row=2) if r[1].value == "reach_floor"][0]
    assert floor.value == 600 and isinstance(floor.value, int) and floor.number_format == "#,##0"
    minutes = [c for c in wb["assignment"][1] if c.value == "Travel (minutes)"][0].column
    cells = [r[0] for r in wb["assignment"].iter_rows(min_row=2, min_col=minutes, max_col=minutes)]
    assert {c.number_format for c in cells} == {"#,##0.0"} and any(c.value != round(c.value) for c in cells)


def test_report_names_the_fragile_decisions(tender):
    page = html.unescape((tender / "report.html").read_text())
    brief = page.split("In brief.</b>")[1].split("</div>")[0]
    centres = pd.read_csv(tender / "centres.csv")
    kept = int((centres["status"] == "kept").sum())
    assert f"keeps {kept} of {len(centres)} centres" in brief and "knife-edge or ties" in brief
    # two designations share a building in Norfolk (Dereham Central / South, Aylsham Cluster Area / Reepham): which
    # of a pair the optimum keeps is a tie HiGHS breaks, and the report must call each one amalgamated a tie
    shared = {"Dereham Central", "Dereham South", "Aylsham Cluster Area", "Reepham"}
    names = centres.loc[centres["status"] == "amalgamated", "name"].str.removesuffix(" Children's Centre")
    merged = shared & set(names)
    assert merged
    for name in merged:
        assert f"A tie: keeping {name} instead costs nothing" in page
    assert "Centres closing and where their children go" in page and "What changes for families" in page


def test_what_the_data_cannot_say_reaches_the_report_workbook_and_manifest(tender):
    """The geography's own caveats (Norfolk's centres stand at postcode centroids) are said where a reader looks:
    the report's Data and method, the workbook's sources and the manifest (they once reached none of them)."""
    import json
    geo = cp.datasets.norfolk()
    assert geo.notes and any("centroid of their postcode" in n for n in geo.notes)
    method = html.unescape((tender / "report.html").read_text()).split("<h2>Data and method</h2>")[1]
    sources = [r[0].value for r in openpyxl.load_workbook(tender / "report.xlsx")["sources"].iter_rows(min_row=2)]
    manifest = json.loads((tender / "manifest.json").read_text())
    for note in map(report.sentence, geo.notes):
        assert f"<li>{note}</li>" in method
        assert f"About the data: {note}" in sources
    assert manifest["data_notes"] == list(geo.notes)


def test_the_comparison_is_a_slide(tmp_path):
    out = tmp_path / "cmp"
    assert main(["--quiet", "compare", str(NORFOLK / "status_quo.yaml"), str(NORFOLK / "fifteen_bases.yaml"),
                 "--out", str(out), "--no-why"]) == 0
    img = mpimg.imread(out / "comparison.png")
    h, w = img.shape[:2]
    assert w >= 1600 and abs(w / h - 16 / 9) < 0.01
    assert (out / "comparison.pdf").read_bytes()[:4] == b"%PDF"
    table = pd.read_csv(out / "comparison.csv", index_col=0)
    assert list(table.columns) == ["Norfolk - status quo", "Norfolk - fifteen bases"]


def test_every_command_explains_itself():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert len(sub.choices) >= 14
    for name, p in sub.choices.items():
        text = p.format_help()
        assert p.description and "example:" in text and f"clusterplan {name}" in text, name
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"{name}: {action.dest} has no help"
    # a command that takes only some scenarios says which, before a user's solve is refused
    for name in ("alternatives", "ensemble", "pareto", "sensitivity"):
        said = " ".join(sub.choices[name].description.split())
        assert ". For a" in said and " scenario" in said, name
    top = parser.format_help()
    assert "``" not in top and "exit codes" in top
    out = subprocess.run([sys.executable, "-m", "clusterplan", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("clusterplan ")


def test_time_limit_on_the_command_line(tmp_path):
    shutil.copytree(BASE, tmp_path / "in")
    (tmp_path / "in" / "s.yaml").write_text("reach: {min: 100}\nsolver: {time_limit: 60}\n"
                                            "geography: {areas: areas.csv, boundaries: boundaries.geojson, "
                                            "centres: centres.csv}\n")
    assert main(["--quiet", "run", str(tmp_path / "in" / "s.yaml"), "--out", str(tmp_path / "o"),
                 "--time-limit", "7"]) == 0
    import json
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["time_limit"] == 7


def test_progress_line_while_solving_and_no_banner(capfd):
    progress.set_enabled(True)
    buf = io.StringIO()
    try:
        old = sys.stderr
        sys.stderr = buf
        g = cp.datasets.norfolk()
        plan = cp.solve(g, {"model": "capacity", "solver": {"time_limit": 3}})
    finally:
        sys.stderr = old
        progress.set_enabled(None)
    assert "solving scenario (capacity)" in buf.getvalue() and "of 3 s" in buf.getvalue()
    assert "best so far" in buf.getvalue()
    assert plan.report.status in ("optimal", "feasible")
    assert "Running HiGHS" not in capfd.readouterr().out
    quiet = io.StringIO()
    sys.stderr = quiet
    try:
        cp.solve(g, {"model": "status_quo"}, quiet=True)
    finally:
        sys.stderr = old
    assert quiet.getvalue() == ""


def test_plans_and_geographies_describe_themselves_in_one_line():
    g = cp.datasets.norfolk()
    plan = cp.solve(g, {"model": "status_quo", "name": "Norfolk today"})
    assert repr(g).count("\n") == 0 and "538 areas" in repr(g)
    assert repr(plan) == "<Plan 'Norfolk today': status_quo, 538 areas, 53 centres; optimal, gap 0.00%>"
    assert "<table>" in plan._repr_html_() and "<table>" in g._repr_html_()
    gdf = plan.to_geodataframe()
    assert len(gdf) == 538 and gdf.crs.to_epsg() == 27700 and gdf["centre_name"].notna().all()
    assert cp.solve(g, {"model": "status_quo"}, name="today").scenario_name == "today"


def test_a_plans_minutes_come_from_its_own_facilities():
    """A network on area centroids (not the schools register) reads its minutes to those centroids: the area
    table's child-weighted mean is the plan's own mean_minutes."""
    g = cp.datasets.norfolk().subset(["Breckland"])
    plan = cp.solve(g, {"model": "sites", "geography": {"sites": "area_centroids"}, "centres": {"count": 8}},
                    quiet=True)
    gdf = plan.to_geodataframe()
    mean = float((gdf["minutes"] * gdf["under5"]).sum() / gdf["under5"].sum())
    assert mean == pytest.approx(plan.metrics["mean_minutes"], abs=0.01)


def test_area_centroid_sites_carry_their_areas_name_and_place():
    """One candidate site per area sits at the area's centroid and bears its name (a network on them is drawn
    where it stands)."""
    g = cp.Geography.from_files(areas=BASE / "areas.csv", boundaries=BASE / "boundaries.geojson")
    s = g.sites
    codes = s["home_area"].to_numpy()
    assert (s["x"].to_numpy() == g.areas.loc[codes, "x"].to_numpy()).all()
    assert (s["name"].to_numpy() == g.areas.loc[codes, "name"].to_numpy()).all()
    assert not g.site_minutes.isna().to_numpy().any()


def test_the_workbook_names_new_centres_by_their_home_area_not_nan(tmp_path):
    """A capacity plan's centres are new and nameless: the assignment sheet says which centre each area joins, as the
    report does, by its home area's name and code ("the centre in Breckland 001B (E01026429)"), never the text
    'nan'."""
    from clusterplan.report import write_xlsx
    g = cp.datasets.norfolk().subset(["Breckland"])
    plan = cp.solve(g, {"model": "capacity", "solver": {"time_limit": 5}}, quiet=True)
    write_xlsx(plan, tmp_path / "r.xlsx", g)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["assignment"]
    head = [c.value for c in ws[1]]
    planned = [r[head.index("Planned centre")] for r in ws.iter_rows(min_row=2, values_only=True)]
    homes = dict(zip(plan.centres["centre"].astype(str), plan.centres["home_area"], strict=True))
    assert len(planned) == len(g.areas)
    assert set(planned) == {f"the centre in {g.areas.at[h, 'name']} ({h})" for h in homes.values()}
    centres = openpyxl.load_workbook(tmp_path / "r.xlsx")["centres"]
    head = [c.value for c in centres[1]]
    assert {r[head.index("Centre")] for r in centres.iter_rows(min_row=2, values_only=True)} == set(planned)
    assert all(g.areas.at[h, "name"].startswith("Breckland ") for h in homes.values())   # real LSOA names
    # the map labels each new centre with its home area's name, not its id ("area:E01026422")
    from clusterplan.maps import plan_map
    fig = plan_map(plan, g)
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {g.areas.at[h, "name"] for h in homes.values()} <= labels
    assert not any(t.startswith("area:") for t in labels)
    plt.close(fig)
    # and each new centre's district is its home area's (it was empty: the area table aligned on the wrong ids)
    assert (plan.centres["district"].to_numpy() == g.areas.loc[plan.centres["home_area"], "district"].to_numpy()).all()
    assert set(plan.centres["district"]) == {"Breckland"}


def test_the_report_words_a_proven_range_as_a_range():
    # a lock re-solve stopped by --why-seconds gives a range (lock_cost_low .. lock_cost); the report must not call
    # it exact, and calls it knife-edge only as far as the range shows
    from clusterplan.report import _why_words
    row = {"name": "Litcham Children's Centre", "reason": "its catchment today reaches 179 children",
           "knife_edge": True}
    exact = _why_words(pd.Series({**row, "lock_cost": 593.7, "lock_cost_pct": 0.089, "lock_cost_low": 593.7,
                                  "lock_proven": True}))
    assert exact.startswith("Knife-edge: keeping it open would cost only 0.09% more. Its catchment")
    under = _why_words(pd.Series({**row, "lock_cost": 593.7, "lock_cost_pct": 0.089, "lock_cost_low": 444.0,
                                  "lock_proven": False}))
    assert under.startswith("Knife-edge: keeping it open would cost at most 0.09% more.")
    reaching = _why_words(pd.Series({**row, "lock_cost": 2268.9, "lock_cost_pct": 0.34, "lock_cost_low": 500.0,
                                     "lock_proven": False}))
    assert reaching.startswith("Possibly knife-edge: keeping it open may cost as little as 0.07% more.")
    firm = _why_words(pd.Series({**row, "knife_edge": False, "lock_cost": 2268.9, "lock_cost_pct": 0.34,
                                 "lock_cost_low": 1359.4, "lock_proven": False}))
    assert firm == "Its catchment today reaches 179 children"
    # Suffolk's Riverside: 8 weighted child-minutes, 0.0012%: "under 0.01%", never "only under" or "0.00%"
    tiny = _why_words(pd.Series({**row, "lock_cost": 8.0, "lock_cost_pct": 0.0012, "lock_cost_low": 8.0,
                                 "lock_proven": True}))
    assert tiny.startswith("Knife-edge: keeping it open would cost under 0.01% more. Its catchment")


def test_shares_and_journeys_in_words():
    """A share too small to show reads "under 0.01%", not "0.00%"; a journey change hidden by whole minutes is
    given to one decimal (Suffolk's brief said "from 15 to 15 minutes" for 14.6 to 15.1)."""
    from clusterplan.errors import percent
    from clusterplan.report import _from_to
    assert [percent(v) for v in (0.0, 0.00001, 0.00005, 0.0025, 0.5)] == ["0.00%", "under 0.01%", "0.01%", "0.25%",
                                                                         "50.00%"]
    assert _from_to(14.6, 15.1) == "goes from 14.6 to 15.1"
    assert _from_to(12.2, 15.4) == "goes from 12 to 15"
    assert _from_to(12.02, 12.04) == "stays at about 12"


def test_one_centre_and_one_area_read_in_the_singular():
    """SYNTHETIC two areas of 40 children, a centre in each, under a floor of 50: one centre stays and one area
    changes centre. The plan's one line, the change map's title and the alternatives' words said '1 centres' and
    '1 areas'."""
    from clusterplan.alternatives import describe_difference
    from clusterplan.maps import change_map

    from . import synthetic as syn
    geo = syn.grid(w=2, h=1, pop=40, centres={"A": (0, 0), "B": (1, 0)})
    today = cp.solve(geo, {"model": "status_quo"})
    plan = cp.solve(geo, {"model": "amalgamate", "reach": {"min": 50}})
    assert ": amalgamate, 2 areas, 1 centre, 1 amalgamated; optimal" in repr(plan)
    fig = change_map(plan, today, geo)
    assert fig.axes[0].get_title().endswith("\n1 area, 40 children change centre")
    plt.close(fig)
    assert describe_difference(plan, today, geo).endswith("; 40 children in 1 area change centre")


@pytest.mark.parametrize(("why", "words"), [
    ([("A", True)], "The amalgamation (centre A) is knife-edge or a tie: another plan is almost as good, so local "
                    "knowledge should decide it."),
    ([("A", True), ("B", False)], "1 of the 2 amalgamations is knife-edge or a tie (centre A)"),
    ([("A", True), ("B", True)], "All 2 amalgamations are knife-edge or ties (centre A, centre B)"),
    ([("A", False)], None)])
def test_the_brief_counts_knife_edge_amalgamations_in_good_english(why, words):
    """Suffolk's one amalgamation read '1 of the 1 amalgamations are knife-edge or ties'."""
    from clusterplan.report import family_changes, summary_text

    from . import synthetic as syn
    geo = syn.grid(w=2, h=1, pop=40, centres={"A": (0, 0)})
    scn = cp.Scenario.from_dict({"model": "amalgamate", "reach": {"min": 50}})
    plan = cp.solve(geo, scn)
    plan = plan.but(why=pd.DataFrame({"centre": [j for j, _ in why], "name": [f"centre {j}" for j, _ in why],
                                      "knife_edge": [k for _, k in why]}))
    text = summary_text(plan, geo, scn, family_changes(plan, geo))
    if words is None:
        assert "knife-edge" not in text
    else:
        assert words in text


@pytest.mark.parametrize(("name", "short"), [
    ("Hitherfield Primary School & Children's Centre (P2)", "Hitherfield Primary School (P2)"),   # Lambeth
    ("Lanterns Nursery School and Children's Centre", "Lanterns Nursery School"),
    ("Dereham Central Children's Centre", "Dereham Central"), ("Rock and Roll (North)", "Rock and Roll (North)")])
def test_short_names_leave_no_dangling_and(name, short):
    from clusterplan.maps import short_name
    assert short_name(name) == short


def test_a_comparison_draws_each_plan_on_its_own_geography(tmp_path):
    """SYNTHETIC: two geographies 50 km apart with other centres (as two authorities' scenarios compared): each map
    is drawn on its own plan's areas. Drawn on the last plan's geography, as before, the first plan's centres were
    not in it (an internal error from `clusterplan compare`)."""
    from clusterplan.compare import compare, comparison_figure, write

    from . import synthetic as syn
    here = syn.ring(6, 200, {"A": 0, "B": 3})
    there = syn.make({f"b{i}": (50.0 + i, 0.0) for i in range(4)}, {f"b{i}": 300 for i in range(4)},
                     [(f"b{i}", f"b{i + 1}") for i in range(3)], {"Z": "b0"})
    plans = [cp.solve(here, {"model": "status_quo"}), cp.solve(there, {"model": "status_quo"})]
    table = compare(plans)
    fig = comparison_figure(plans, [here, there], table=table)
    maps = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in maps][0] == "Today (status quo)"   # the first plan's baseline, then each plan
    east = [ax.get_xlim() for ax in maps]
    assert len(maps) == 3 and east[0][1] < syn.X0 + 10_000 and east[1][1] < syn.X0 + 10_000   # on the ring
    assert east[2][0] > syn.X0 + 45_000                                                         # 50 km east
    assert write(plans, [here, there], table, tmp_path) == ["comparison.csv", "comparison.png", "comparison.pdf"]
    with pytest.raises(ValueError, match="2 plans but 3 geographies"):
        comparison_figure(plans, [here, there, here])
    # each map says its place, once: "Suffolk: Suffolk - amalgamate then tender" said it twice
    from dataclasses import replace
    ring, east = replace(here, name="Ringford (synthetic)"), replace(there, name="Eastham (synthetic)")
    named = [cp.solve(ring, {"model": "status_quo"}, name="Ringford - today"),
             cp.solve(east, {"model": "status_quo"}, name="the east")]
    from clusterplan.maps import comparison_figure as draw  # the maps alone: no status quo drawn first
    fig = draw(named, [ring, east])
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["Ringford - today", "Eastham: the east"]
    plt.close(fig)


@pytest.mark.parametrize("model, words", [
    ("amalgamate", "The plan keeps the only centre. Every centre reaches at least 50 children"),
    ("status_quo", ": 1 centre, of which 0 reach fewer than 50 children under five."),
    ("capacity", "This plan is a new network of 1 centre for "),
    ("cluster", "The centres form 1 cluster."),
])
def test_the_brief_agrees_in_number_with_one_centre(model, words):
    """SYNTHETIC two areas and one centre (an authority like the Isles of Scilly): the brief read 'keeps 1 of 1
    centres', '1 centres, of which', 'a new network of 1 centres' and '1 clusters'."""
    from clusterplan.report import family_changes, summary_text

    from . import synthetic as syn
    geo = syn.grid(w=2, h=1, pop=40, centres={"A": (0, 0)})
    clusters = {"clusters": {"count": 1, "lead": "any", "require_phase1": False}} if model == "cluster" else {}
    scn = cp.Scenario.from_dict({"model": model, "reach": {"min": 50}, **clusters})
    plan = cp.solve(geo, scn)
    assert words in summary_text(plan, geo, scn, family_changes(plan, geo))


def test_the_slide_shows_the_floor_where_the_plans_floors_differ():
    """Devon's comparison (real England tables) put family hubs of 1,500 children beside centres of 600: the slide's
    "lowest reach" read 601 against 1,634 with no floor to read them by (comparison.csv had it). SYNTHETIC line: the
    floor row is on the slide where floors differ, and not where they are the same."""
    from clusterplan.compare import compare, key_figures

    from . import synthetic as syn
    geo = syn.grid(w=4, h=1, pop=100, centres={"A": (0, 0), "B": (3, 0)})
    low = cp.solve(geo, {"model": "amalgamate", "reach": {"min": 100}}, name="low")
    high = cp.solve(geo, {"model": "amalgamate", "reach": {"min": 300}}, name="high")
    rows = key_figures(compare([low, high])).index.tolist()
    assert rows[rows.index("reach floor (children)") + 1] == "centres below the floor"
    assert key_figures(compare([low, high])).loc["reach floor (children)"].tolist() == [100, 300]
    assert "reach floor (children)" not in key_figures(compare([low, low])).index


def test_a_comparison_says_where_each_plans_minutes_come_from_when_they_differ():
    """Plans timed by different sources (the model, a commissioner's table) measure minutes unalike: the comparison
    gets a last row saying which, also on the slide's key figures; plans timed alike get no such row. SYNTHETIC line,
    its minutes doubled as 'your table'."""
    from clusterplan.compare import compare, key_figures, minutes_from

    from . import synthetic as syn
    geo = syn.grid(w=4, h=1, pop=100, centres={"A": (0, 0), "B": (3, 0)})
    own = geo.with_travel_minutes(centre_minutes=geo.centre_minutes * 2, source="your table t.csv (every area to "
                                  "every centre)")
    scn = {"model": "status_quo", "reach": {"min": 100}}
    a, b = cp.solve(geo, scn, name="model"), cp.solve(own, scn, name="table")
    assert minutes_from(own) == "your table t.csv"
    table = compare([a, b], [geo, own])
    assert table.loc["travel minutes from"].tolist() == [minutes_from(geo), "your table t.csv"]
    assert "travel minutes from" in key_figures(table).index
    assert "travel minutes from" not in compare([a, b], [geo, geo]).index
    assert "travel minutes from" not in compare([a, b]).index
    # one plan is a table of one column; geographies are one per plan (a shorter list was an IndexError) and from
    # generators too; anything not a plan is named (it was an AttributeError on `scenario_name`)
    assert compare(a).columns.tolist() == ["model"]
    assert repr(compare(a).loc["reach floor (children)", "model"]) == "100"   # a count, not 100.0 in comparison.csv
    assert compare([a, b], iter([geo, own])).loc["travel minutes from"].tolist()[1] == "your table t.csv"
    with pytest.raises(TypeError, match=r"`geos` gives 1 geography for 2 plans; give one per plan"):
        compare([a, b], [geo])
    with pytest.raises(TypeError, match=r"expected plans .* item 2 \(str\) is not one"):
        compare([a, "out/plan"])


@pytest.mark.parametrize("classes, label, rural", [
    (["C1", "C1", "C1", "C1"], "of them, in rural areas", 0),
    (["E1", "", "", "E1"], "of them, in rural areas (100 children in areas with no rural-urban class not counted)",
     100),
    (["", "", "", ""], "of them, in rural areas (no rural-urban class in the data for any of their areas)", None),
])
def test_children_moving_from_areas_without_a_rural_urban_class_are_not_counted_as_urban(classes, label, rural):
    """Areas may have no rural-urban class (a commissioner's own files; the England tables had none before the class
    was shipped), and 'What changes for families' said 0 children in rural areas for Devon. SYNTHETIC line of four
    areas of 100 children, a centre at each end, floor 400: one centre closes and its two areas move, one of them
    with a class (rural or urban) and one as the row says."""
    from clusterplan.report import _travel_rows, family_changes

    from . import synthetic as syn
    geo = syn.grid(w=4, h=1, pop=100, centres={"A": (0, 0), "B": (3, 0)})
    geo.areas["rural_urban"] = classes
    plan = cp.solve(geo, cp.Scenario.from_dict({"model": "amalgamate", "reach": {"min": 400}}))
    rows = _travel_rows(family_changes(plan, geo)).set_index("Who")
    assert rows.loc["all children changing centre", "Children"] == 200
    assert label in rows.index
    got = rows.loc[label, "Children"]
    assert pd.isna(got) if rural is None else got == rural


def test_areas_without_a_rural_urban_class_are_neither_rural_nor_urban_in_the_figures():
    """Devon, from the England tables when they had no rural-urban class at all, read 'mean minutes (urban): 12.61'
    as if every area were urban. SYNTHETIC line of four areas: only classed areas count towards the rural and urban
    figures."""
    from . import synthetic as syn
    geo = syn.grid(w=4, h=1, pop=100, centres={"A": (0, 0), "B": (3, 0)})
    scn = cp.Scenario.from_dict({"model": "amalgamate", "reach": {"min": 400}})
    geo.areas["rural_urban"] = ["", "", "", ""]
    m = cp.solve(geo, scn).metrics
    assert m["mean_minutes_rural"] is None and m["mean_minutes_urban"] is None and m["mean_minutes"] is not None
    assert "rural areas: 0 (4 without a rural-urban class)" in geo.summary()
    geo.areas["rural_urban"] = ["E1", "", "", "C1"]
    plan = cp.solve(geo, scn)
    home = plan.assignment.set_index("area")["centre"].astype(str)
    minutes = {a: float(geo.centre_minutes.loc[a, home[a]]) for a in ("g0_0", "g3_0")}
    assert plan.metrics["mean_minutes_rural"] == pytest.approx(minutes["g0_0"])
    assert plan.metrics["mean_minutes_urban"] == pytest.approx(minutes["g3_0"])
    assert "rural areas: 1 (2 without a rural-urban class)" in geo.summary()


@pytest.mark.parametrize("status, gap, words", [
    ("optimal", 0.0, "The optimiser proved this is the best plan under the scenario's rules."),
    ("optimal", 1e-12, "The optimiser proved this is the best plan under the scenario's rules."),
    ("optimal", 0.0013, "The optimiser proved this plan within 0.13% of the best plan possible"),
    ("optimal", 2.0e-6, "The optimiser proved this plan within 0.01% of the best plan possible"),   # Lambeth
    ("feasible", 0.017, "stopped (time limit) before proving it best: at most 1.70% from the best plan possible."),
    ("feasible", 0.0004, "at most 0.04% from the best plan possible."),
    # Kent's family hubs at 60 s (real England tables): a plan, no bound; the report said only "Solver status:
    # feasible."
    ("feasible", None, "stopped (time limit) before it could bound the best plan possible, so how far this one is "
                       "from it is not known; a longer solver.time_limit gives a bound."),
    # Kent's and Dorset's family hubs at 20-60 s: HiGHS's trivial bound of 0; the brief said "at most 100.00% from
    # the best plan possible", true and of no use to anyone
    ("feasible", 1.0, "stopped (time limit) before it had a useful bound on the best plan possible (only the "
                      "trivial one, a gap of 100.00%), so how far this one is from it is not known"),
    ("feasible", 0.5, "at most 50.00% from the best plan possible."),
])
def test_the_brief_claims_the_best_plan_only_at_a_gap_of_zero(status, gap, words):
    """Hampshire's family hubs stop at the scenario's 0.5% gap, proven within 0.13%, and the brief said 'proved this
    is the best plan'. A solve stopped by a gap limit is 'optimal' within it, not the best plan."""
    from types import SimpleNamespace

    from clusterplan.report import confidence
    assert words in confidence(SimpleNamespace(report=SimpleNamespace(status=status, gap=gap)))


def test_short_labels_in_report_tables_are_never_broken_over_two_lines():
    from clusterplan.report import CSS, _table
    html_text = _table(pd.DataFrame({"lot": ["lot 01"], "centre": ["A centre with a long name, far longer"],
                                     "reach": [1303]}))
    assert "<td class='k'>lot 01</td>" in html_text
    assert "<th>Lot</th>" in html_text and "<th>Centre id</th>" in html_text
    assert "<th>Host school</th><th>Why</th>" in _table(pd.DataFrame({"host school": ["x"], "why": ["y"]}))
    assert "<td class=''>A centre with a long name" in html_text
    assert "td.k{white-space:nowrap}" in CSS


def test_the_comparison_slide_has_no_band_of_white_between_wide_maps_and_the_table():
    """SYNTHETIC authority four times wider than tall: its maps, limited by their width, used to sit in the middle
    of a cell sized for a square map, with a white band above and below (Norfolk's demo slide). The row of maps is
    now as tall as the maps, and the table of key figures starts just below them."""
    from clusterplan.compare import compare, comparison_figure

    from . import synthetic as syn
    geo = syn.grid(w=8, h=2, pop=100, centres={"A": (0, 0), "B": (7, 1)})
    plans = [cp.solve(geo, {"model": "status_quo"}, quiet=True, name="today"),
             cp.solve(geo, {"model": "amalgamate", "reach": {"min": 900}}, quiet=True, name="amalgamate")]
    fig = comparison_figure(plans, geo, status_quo=plans[0], table=compare(plans, [geo, geo]))
    fig.canvas.draw()
    maps, table = fig.axes[:2], fig.axes[-1]
    lowest_map = min(ax.get_position().y0 for ax in maps)
    top_map = max(ax.get_position().y1 for ax in maps)
    assert 0 < lowest_map - table.get_position().y1 < 0.12         # the table just below the maps
    assert top_map > 0.8                                            # the maps just below the title
    assert table.get_position().height > 0.4                        # the table takes the room the maps leave
    plt.close(fig)


def test_the_comparison_table_headings_fit_their_columns():
    """SYNTHETIC: fourteen plans with the demo's long names. At 9 points 'amalgamate,' ran over the next column on
    the demo's 14-plan slide; each heading is now measured and set small enough for its column."""
    from clusterplan.compare import compare, comparison_figure

    from . import synthetic as syn
    geo = syn.grid(w=4, h=1, pop=100, centres={"A": (0, 0), "B": (3, 0)})
    words = ["amalgamate, keeping school-site centres", "cluster model under the review's rules",
             "hybrid (Norwich tendered, rural districts clustered)", "amalgamate, tender, and the market's bundles"]
    plans = [cp.solve(geo, {"model": "status_quo"}, quiet=True, name=f"Place - {words[k % 4]} {k}") for k in range(14)]
    fig = comparison_figure(plans, geo, table=compare(plans, [geo] * 14))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    heads = [cell for (row, _), cell in fig.axes[-1].tables[0].get_celld().items() if row == 0]
    assert len(heads) == 14
    assert all(c.get_text().get_window_extent(renderer).width <= c.get_window_extent(renderer).width for c in heads)
    assert min(c.get_text().get_fontsize() for c in heads) >= 6
    plt.close(fig)


def test_the_closing_centres_intro_claims_exact_costs_only_where_reasons_were_computed(tender, tmp_path):
    with_why = html.unescape((tender / "report.html").read_text(encoding="utf-8"))
    assert "a what-if re-solve with the centre kept open: its cost is exact" in with_why
    out = tmp_path / "no_why"
    assert main(["--quiet", "run", str(NORFOLK / "amalgamate_then_tender.yaml"), "--out", str(out), "--no-why"]) == 0
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    closing = page.split("<h2>Centres closing and where their children go</h2>")[1].split("<h2>")[0]
    assert "its cost is exact" not in closing and "not for this plan" in closing
    assert closing.count(report.NO_WHY) == 5


def test_the_reports_technical_details_and_key_figures_read_as_numbers(tender):
    page = html.unescape((tender / "report.html").read_text(encoding="utf-8"))
    details = page.split("<summary>Technical details</summary>")[1].split("</details>")[0]
    assert "<th>Value</th>" in details and "pounds" not in details   # not the lots' "Value (pounds per year)"
    figures = page.split("<h2>Key figures</h2>")[1].split("</table>")[0]
    assert "reach floor (children)</td><td class='n'>600</td>" in figures   # 600.0, before
    assert "time limit 120 s)" in page


def test_how_long_a_solve_took_is_said_against_a_short_limit():
    assert report._took(3.2, 120.0) == "3.2 seconds (time limit 120 s)"
    said = report._took(1.7, 0.5)   # "time limit 0 s", before
    assert said.startswith("1.7 seconds (time limit 0.5 s; a step started after the limit is spent still gets 1 s")


def test_names_with_dollar_signs_are_drawn_as_written_not_as_formulas():
    """Two $ signs in a scenario or centre name made matplotlib set the text between them as a formula: "Option A:
    5perchildvs10_000" in italics, the signs gone. The maps draw it as written, on the caller's axes too, and leave
    the caller's own settings alone."""
    from matplotlib.text import Text

    from clusterplan.maps import plan_map
    g = cp.Geography.from_files(areas=BASE / "areas.csv", boundaries=BASE / "boundaries.geojson",
                                centres=BASE / "centres.csv")
    name = "Option A: $5 per child vs $10_000"
    plan = cp.solve(g, {"model": "amalgamate", "reach": {"min": 100}}, name=name, quiet=True)
    fig = plan_map(plan, g)
    title = [t for t in fig.findobj(Text) if t.get_text().startswith(name)]
    assert title and all(not t.get_parse_math() for t in title)
    assert plt.rcParams["text.parse_math"]   # the caller's setting, unchanged
    fig2, ax = plt.subplots()                # the caller's own axes, made with mathtext on
    plan_map(plan, g, ax=ax)
    assert not ax.title.get_parse_math() and ax.title.get_text().startswith(name)
    plt.close(fig)
    plt.close(fig2)
    # what a drawing sets up on the way (a notebook's inline backend, on a session's first figure) stays set up: an
    # rc_context undid it, and a notebook's later figures did not show
    from clusterplan.maps import plain_text

    @plain_text
    def sets_up():
        plt.rcParams["figure.dpi"] = 77.0
        return None
    before = plt.rcParams["figure.dpi"]
    try:
        sets_up()
        assert plt.rcParams["figure.dpi"] == 77.0 and plt.rcParams["text.parse_math"]
    finally:
        plt.rcParams["figure.dpi"] = before


def test_a_long_centre_name_is_wrapped_on_the_map_not_drawn_as_a_strip(tmp_path):
    from clusterplan.maps import LABEL_LINES, LABEL_WIDTH, label_text
    assert label_text("Attleborough") == "Attleborough"
    assert label_text("North Lynn,Gaywood North Bank and the Woottons (Signpost)") == \
        "North Lynn,Gaywood North Bank and the\nWoottons (Signpost)"
    long = "The Family Hub of Greater Attleborough, Besthorpe, Rockland St Peter and Great Ellingham " * 2
    lines = label_text(long).split("\n")
    assert len(lines) == LABEL_LINES and all(len(line) <= LABEL_WIDTH for line in lines)
    assert lines[-1].endswith("\u2026") and long.startswith(lines[0])
    # on a drawn map, the centre is labelled with the wrapped name
    pd.read_csv(BASE / "centres.csv").assign(name=long).to_csv(tmp_path / "centres.csv", index=False)
    g = cp.Geography.from_files(areas=BASE / "areas.csv", boundaries=BASE / "boundaries.geojson",
                                centres=tmp_path / "centres.csv")
    plan = cp.solve(g, {"model": "status_quo"}, quiet=True)
    fig = cp.maps.plan_map(plan, g)
    shown = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("The Family Hub")]
    assert shown == [label_text(long)]
    plt.close(fig)
