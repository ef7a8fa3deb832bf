"""The travel model, calibrated on real road minutes, stays as accurate as measured."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import clusterplan as cp
from clusterplan import travel

# Measured on the held-back 30% of Norfolk areas (seed 2020): median 2.70 min, 90th percentile 6.78 min.
# `python -c "import clusterplan as cp; print(cp.datasets.norfolk().travel.error)"` reproduces them.
MEDIAN_LIMIT, P90_LIMIT = 2.75, 6.85


def test_held_back_error_is_no_worse_than_measured(norfolk):
    err = norfolk.travel.error
    assert err["n_test"] > 400
    assert err["median_abs"] <= MEDIAN_LIMIT
    assert err["p90_abs"] <= P90_LIMIT


def test_model_beats_a_distance_only_baseline(norfolk):
    pairs = travel.calibration_pairs(norfolk.areas)
    one = pairs.assign(group="urban")
    base = travel.fit(one)
    full = travel.fit(pairs)
    err_base = np.abs(base.minutes(one["km"], one["group"]) - one["minutes"]).mean()
    err_full = np.abs(full.minutes(pairs["km"], pairs["group"]) - pairs["minutes"]).mean()
    assert err_full < err_base
    # rural starts are slower than urban ones in the real data
    assert full.intercept["village"] > full.intercept["urban"]


def test_calibration_is_reproducible(norfolk):
    a = travel.calibrate(norfolk.areas)
    b = travel.calibrate(norfolk.areas)
    assert a == b


def test_user_matrix_replaces_the_model(norfolk, tmp_path):
    areas = norfolk.areas.index[:3]
    dests = norfolk.centres.index[:2]
    rows = [(a, d, 5.0 + i) for i, (a, d) in enumerate((a, d) for a in areas for d in dests)]
    p = tmp_path / "m.csv"
    pd.DataFrame(rows, columns=["area", "destination", "minutes"]).to_csv(p, index=False)
    m = travel.read_matrix(p, areas, dests)
    assert m.shape == (3, 2) and m.iloc[0, 0] == 5.0 and m.iloc[2, 1] == 10.0


def test_bad_matrix_collects_every_problem(norfolk, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("area,destination,minutes\nE01026419,diss,abc\nE01026419,diss,-3\nNOPE,diss,4\n")
    with pytest.raises(cp.InputError) as e:
        travel.read_matrix(p, norfolk.areas.index, norfolk.centres.index)
    msg = str(e.value)
    assert "bad.csv" in msg and "row 2" in msg and "'abc'" in msg and ">= 0" in msg and "NOPE" in msg
    assert "duplicate pair" in msg


def _table(minutes: pd.DataFrame, names: dict | None = None) -> pd.DataFrame:
    """A long travel table (area, destination, minutes) of an areas x destinations frame, destinations renamed."""
    m = minutes.rename(columns=names or {})
    long = m.stack().rename("minutes").reset_index()
    long.columns = ["area", "destination", "minutes"]
    return long


def test_a_travel_table_replaces_the_model_minutes_for_what_it_names(norfolk, tmp_path):
    # SYNTHETIC tables: the model's own minutes, written out (centres by name, sites by id), and then doubled
    names = norfolk.centres["name"].to_dict()
    p = tmp_path / "same.csv"
    pd.concat([_table(norfolk.centre_minutes, names), _table(norfolk.site_minutes)]).to_csv(p, index=False)
    g = norfolk.with_travel_file(p)
    assert np.allclose(g.centre_minutes.to_numpy(), norfolk.centre_minutes.to_numpy())
    assert np.allclose(g.site_minutes.to_numpy(), norfolk.site_minutes.to_numpy())
    assert g.travel_source.startswith("your table same.csv (every area to every centre and every candidate site; "
                                      "median ") and "check the table" not in g.travel_source
    assert "travel_minutes:same.csv" in g.sources
    doubled = tmp_path / "doubled.csv"
    _table(norfolk.centre_minutes * 2).to_csv(doubled, index=False)
    g2 = norfolk.with_travel_file(doubled)
    assert np.allclose(g2.centre_minutes.to_numpy(), 2 * norfolk.centre_minutes.to_numpy())
    assert g2.site_minutes.equals(norfolk.site_minutes)   # the table names no site: the model's stay
    assert "(2.00 times" not in g2.travel_source and g2.travel_ratio == pytest.approx(2.0)
    assert f"candidate sites: {norfolk.travel.describe()}" in g2.travel_source
    with pytest.raises(cp.InputError, match="replace the centres first"):
        g2.with_centres(p)


def test_a_table_in_seconds_is_flagged(norfolk, tmp_path):
    p = tmp_path / "seconds.csv"
    _table(norfolk.centre_minutes * 60).to_csv(p, index=False)   # SYNTHETIC: the model's minutes in seconds
    g = norfolk.with_travel_file(p)
    assert "60.00 times: check the table is in minutes, not seconds or hours" in g.travel_source
    assert any("check the table is in minutes" in n for n in g.notes)
    # the report's brief says so too, not only its "Data and method"; a plan on the model's minutes does not
    from clusterplan.report import family_changes, summary_text
    scn = cp.Scenario.from_dict({"model": "status_quo"})
    doubt = "Check the unit of your travel table: its times are 60.00 times the model's for the same pairs"
    for geo, said in ((g, True), (norfolk, False), (g.with_travel_minutes(centre_minutes=norfolk.centre_minutes),
                                                     False)):
        plan = cp.solve(geo, scn)
        assert (doubt in summary_text(plan, geo, scn, family_changes(plan, geo))) is said
    assert g.travel_ratio == pytest.approx(60.0) and norfolk.travel_ratio is None


def test_a_centre_name_shared_by_two_centres_is_refused(norfolk, tmp_path):
    ids = list(norfolk.centres.index[:2])
    geo = norfolk.with_travel_minutes()   # a copy
    centres = geo.centres.copy()
    centres.loc[ids, "name"] = "Twin Children's Centre"
    from dataclasses import replace
    geo = replace(geo, centres=centres)
    p = tmp_path / "m.csv"
    _table(norfolk.centre_minutes[ids[:1]], {ids[0]: "Twin Children's Centre"}).to_csv(p, index=False)
    with pytest.raises(cp.InputError, match="'Twin Children's Centre' names 2 centres"):
        geo.with_travel_file(p)


def test_a_scenario_plans_on_its_travel_table(norfolk, tmp_path, capsys):
    """Through the scenario key, end to end: the status quo on doubled minutes (a SYNTHETIC table) keeps every
    area's centre and doubles every child's minutes and the objective; the manifest records the table's hash."""
    from clusterplan.cli import main
    p = tmp_path / "doubled.csv"
    t = _table(norfolk.centre_minutes * 2).rename(columns={"area": "LSOA code"})
    t.to_csv(p, index=False)
    (tmp_path / "own.yaml").write_text("model: status_quo\ngeography: {travel_minutes: doubled.csv, "
                                       "travel_columns: {area: LSOA code}}\n")
    (tmp_path / "model.yaml").write_text("model: status_quo\n")
    printed = {}
    for name in ("own", "model"):
        assert main(["--quiet", "run", str(tmp_path / f"{name}.yaml"), "--out", str(tmp_path / name)]) == 0
        printed[name] = capsys.readouterr().out
    assert "  travel minutes: your table doubled.csv (every area to every centre; median " in printed["own"]
    assert "travel minutes:" not in printed["model"]   # the model's minutes need no line of their own
    own, model = (pd.read_csv(tmp_path / n / "assignment.csv") for n in ("own", "model"))
    assert own["centre"].equals(model["centre"])
    import json
    mo, mm = (json.loads((tmp_path / n / "manifest.json").read_text()) for n in ("own", "model"))
    so, sm = (json.loads((tmp_path / n / "metrics.json").read_text()) for n in ("own", "model"))
    assert so["mean_minutes"] == pytest.approx(2 * sm["mean_minutes"], abs=0.011)
    assert mo["objective"] == pytest.approx(2 * mm["objective"], rel=1e-9)
    assert "file:travel_minutes:doubled.csv" in mo["input_hashes"]
    assert "your table doubled.csv" in (tmp_path / "own" / "report.html").read_text()


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_table_saved_with_another_separator_reads_the_same(norfolk, tmp_path, sep):
    # Excel in many European locales saves CSV with semicolons; the header then read as one column named
    # "area;destination;minutes" and every column was "missing". SYNTHETIC: the model's minutes to two centres
    t = _table(norfolk.centre_minutes[norfolk.centres.index[:2]])
    t.to_csv(tmp_path / "comma.csv", index=False)
    t.to_csv(tmp_path / "other.csv", index=False, sep=sep)
    a = travel.read_long_minutes(tmp_path / "comma.csv")
    b = travel.read_long_minutes(tmp_path / "other.csv")
    assert a[1] == b[1] == [] and a[0].equals(b[0])


def _grid_roads(geo: cp.Geography, step: float = 2000.0):
    """SYNTHETIC roads: a grid every ``step`` metres over the areas, cut at every crossing."""
    import geopandas as gpd
    from shapely.geometry import LineString
    xs, ys = geo.areas["x"], geo.areas["y"]
    gx = np.arange(xs.min() - step, xs.max() + step, step)
    gy = np.arange(ys.min() - step, ys.max() + step, step)
    lines = [LineString([(x, gy[0]), (x, gy[-1])]) for x in gx] + [LineString([(gx[0], y), (gx[-1], y)]) for y in gy]
    grid = gpd.GeoDataFrame(geometry=lines, crs=27700)
    return gpd.GeoDataFrame(geometry=[grid.union_all()], crs=27700).explode(index_parts=False).reset_index(drop=True)


def test_a_scenario_plans_on_its_road_network(norfolk, tmp_path, capsys):
    """geography.roads, end to end: the minutes are shortest paths over the file (a SYNTHETIC grid at 40 km/h), the
    same as Geography.with_road_network gives; the run, manifest and report say where they come from."""
    import json

    from clusterplan.cli import main
    roads = _grid_roads(norfolk)
    roads.to_file(tmp_path / "grid.gpkg", layer="roads", driver="GPKG")
    (tmp_path / "own.yaml").write_text("model: status_quo\ngeography: {roads: grid.gpkg, road_speed_kmh: 40}\n")
    assert main(["--quiet", "run", str(tmp_path / "own.yaml"), "--out", str(tmp_path / "own")]) == 0
    printed = capsys.readouterr().out
    assert "  travel minutes: shortest paths over your road network grid.gpkg (" in printed and "40 km/h" in printed
    direct = norfolk.with_road_network(roads, speed_kmh=40.0)
    plan = pd.read_csv(tmp_path / "own" / "assignment.csv", dtype={"area": str, "centre": str})
    minutes = np.array([direct.centre_minutes.at[a, c] for a, c in zip(plan["area"], plan["centre"], strict=True)])
    kids = norfolk.areas["under5"].reindex(plan["area"]).to_numpy(float)
    mean = json.loads((tmp_path / "own" / "metrics.json").read_text())["mean_minutes"]
    assert mean == pytest.approx((minutes * kids).sum() / kids.sum(), abs=0.006)   # child-weighted, 2 decimals
    manifest = json.loads((tmp_path / "own" / "manifest.json").read_text())
    assert "file:roads:grid.gpkg" in manifest["input_hashes"]
    assert "your road network grid.gpkg" in (tmp_path / "own" / "report.html").read_text()
    assert main(["check", str(tmp_path / "own")]) == 0


def test_a_road_network_that_is_not_one_is_refused_naming_what_is_wrong(norfolk, tmp_path):
    import geopandas as gpd
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(norfolk.areas["x"], norfolk.areas["y"]), crs=27700)
    points.to_file(tmp_path / "points.gpkg", driver="GPKG")
    with pytest.raises(cp.InputError, match="expected a line"):
        norfolk.with_road_file(tmp_path / "points.gpkg")
    roads = _grid_roads(norfolk, step=5000.0)
    roads.to_file(tmp_path / "grid.gpkg", driver="GPKG")
    with pytest.raises(cp.InputError, match="no column 'maxspeed'"):
        norfolk.with_road_file(tmp_path / "grid.gpkg", speed_column="maxspeed")
    roads["kmh"] = "40"
    roads.loc[[2, 5], "kmh"] = ["fast", "-3"]
    roads.to_file(tmp_path / "speeds.gpkg", driver="GPKG")
    with pytest.raises(cp.InputError, match=r"2 feature\(s\) have none, e\.g\. feature 2 \('fast'\), feature 5"):
        norfolk.with_road_file(tmp_path / "speeds.gpkg", speed_column="kmh")
    # two halves of the grid that never meet: areas in one cannot reach centres in the other; examples are named
    mid, b = norfolk.areas["x"].median(), roads.geometry.bounds
    apart = roads[(b["maxx"] < mid - 1000) | (b["minx"] > mid + 1000)]
    apart.to_file(tmp_path / "apart.gpkg", driver="GPKG")
    with pytest.raises(cp.InputError, match=r"pair\(s\) are not joined by the road network, e\.g\. area E0"):
        norfolk.with_road_file(tmp_path / "apart.gpkg")
    for bad, said in (({"road_speed_kmh": 40}, "name the road network too"),
                      ({"roads": "a.gpkg", "travel_minutes": "b.csv"}, "keep one"),
                      ({"roads": "a.gpkg", "road_speed_kmh": 0}, "greater than 0"),
                      ({"roads": "a.gpkg", "road_speed_kmh": 30, "road_speed_column": "kmh"}, "give one speed")):
        with pytest.raises(cp.ScenarioError, match=said):
            cp.Scenario.from_dict({"model": "status_quo", "geography": bad})


def test_model_minutes_are_the_fitted_formula_cell_by_cell(norfolk):
    """The broadcast computation gives, in every cell, start of the area's rural-urban group + per_km x km."""
    geo, t = norfolk, norfolk.travel
    km = np.hypot(geo.areas["x"].to_numpy()[:, None] - geo.centres["x"].to_numpy()[None, :],
                  geo.areas["y"].to_numpy()[:, None] - geo.centres["y"].to_numpy()[None, :]) / 1000
    start = geo.areas["rural_urban"].map(lambda c: t.intercept[travel.rural_urban_group(c)]).to_numpy()
    expected = start[:, None] + t.per_km * km
    got = geo.centre_minutes[geo.centres.index].to_numpy()
    located = ~np.isnan(expected)
    assert located.any() and np.allclose(got[located], expected[located])
    assert set(geo.areas["rural_urban"].map(travel.rural_urban_group)) == {"urban", "town", "village"}


def _square_areas(path, n: int) -> None:
    """A SYNTHETIC n x n grid of 1 km square areas, 100 children each, written as a GeoPackage."""
    from shapely.geometry import box
    xs, ys = np.meshgrid(np.arange(n) * 1000.0 + 500_000, np.arange(n) * 1000.0 + 200_000)
    xs, ys = xs.ravel(), ys.ravel()
    gpd.GeoDataFrame({"code": [f"S{i:05d}" for i in range(n * n)], "under5": 100, "x": xs, "y": ys},
                     geometry=[box(x - 500, y - 500, x + 500, y + 500) for x, y in zip(xs, ys, strict=True)],
                     crs=27700).to_file(path)


def test_a_matrix_too_large_to_build_is_refused_naming_the_file(tmp_path, monkeypatch):
    """A national file with a site at every area centroid would need a billion cells: refused, before any memory
    is taken, with what to do. Measured here on a SYNTHETIC 10 x 10 grid against a lowered limit."""
    path = tmp_path / "areas.gpkg"
    _square_areas(path, 10)
    assert cp.Geography.from_files(areas=path).site_minutes.shape == (100, 100)
    monkeypatch.setattr(travel, "MAX_MATRIX_CELLS", 100 * 100 - 1)
    with pytest.raises(cp.InputError) as err:
        cp.Geography.from_files(areas=path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "100 areas x 100 candidate sites" in msg
    assert "10,000 cells" in msg and "give a file of candidate sites" in msg


def test_a_road_file_with_heights_gives_the_minutes_of_the_same_roads_without(norfolk, tmp_path):
    """Road files often carry heights (Z): they are travelled along their horizontal length, so the same SYNTHETIC
    grid with and without heights gives the same minutes (it once failed with a numpy error instead)."""
    from shapely import force_3d
    roads = _grid_roads(norfolk, 8000.0)
    flat, hilly = tmp_path / "flat.gpkg", tmp_path / "hilly.gpkg"
    roads.to_file(flat)
    roads.set_geometry(force_3d(roads.geometry, 25.0)).to_file(hilly)
    a, b = norfolk.with_road_file(flat), norfolk.with_road_file(hilly)
    assert a.centre_minutes.notna().all().all()
    pd.testing.assert_frame_equal(a.centre_minutes, b.centre_minutes)
    pd.testing.assert_frame_equal(a.site_minutes, b.site_minutes)


def test_a_road_network_that_misses_the_areas_is_refused_or_called_out(norfolk, tmp_path):
    """A SYNTHETIC grid of roads moved 150 km east (another county's file, say) reaches no area: refused, where it
    once gave every area minutes of 500 or more without a word. Cut to the west of the county, the areas it leaves
    more than 5 km away are named in the notes."""
    roads = _grid_roads(norfolk, 8000.0)
    away = tmp_path / "away.gpkg"
    roads.set_geometry(roads.geometry.translate(150_000, 0)).to_file(away)
    with pytest.raises(cp.InputError) as err:
        norfolk.with_road_file(away)
    assert str(err.value).startswith(str(away)) and "538 of 538 are more than 5 km" in str(err.value)
    west, roads = tmp_path / "west.gpkg", _grid_roads(norfolk, 4000.0)   # every area within 2.9 km of a vertex
    cut = norfolk.areas["x"].median() + 20_000
    roads[roads.geometry.bounds["maxx"] < cut].to_file(west)
    geo = norfolk.with_road_file(west)
    (note,) = [n for n in geo.notes if " area(s) are more than 5 km" in n]
    x = norfolk.areas["x"]
    named = [code for code in norfolk.areas.index if code in note]
    assert len(named) == 5 and (x[named] > cut).all()
    assert (x > cut + 5_000).sum() <= int(note.split(" area(s)")[0].replace(",", "")) <= (x > cut).sum()
    (centres,) = [n for n in geo.notes if " centre(s) are more than 5 km" in n]
    far = norfolk.centres.index[norfolk.centres["x"] > cut + 5_000]
    assert len(far) and int(centres.split(" centre(s)")[0]) == len(far)
    named = [j for j in norfolk.centres.index if f"[{j}]" in centres]
    assert len(named) == min(5, len(far)) and set(named) <= set(far)


def test_a_travel_matrix_is_taken_in_any_order_and_its_gaps_are_named(norfolk):
    """`with_travel_minutes` refused a matrix whose rows or columns came in another order, and said of one with gaps
    only that minutes must be finite, not where. The same rows and columns in any order are now taken (put in the
    geography's order); what is missing, repeated, or not a number is named by area and centre. Real Norfolk minutes,
    doubled or emptied here (SYNTHETIC changes)."""
    m = norfolk.centre_minutes
    turned = norfolk.with_travel_minutes(centre_minutes=(m * 2).iloc[::-1, ::-1])
    assert turned.centre_minutes.index.equals(m.index) and list(turned.centre_minutes.columns) == list(m.columns)
    located = norfolk.located_centres.index
    assert (turned.centre_minutes[located] == m[located] * 2).all().all()
    gap = m.astype(object)
    gap.iloc[3, 0] = "n/a"
    with pytest.raises(cp.InputError, match=rf"1 \(area, id\) cell\(s\) are not, e.g. \[\('{m.index[3]}', "
                                            rf"'{m.columns[0]}'\)\]"):
        norfolk.with_travel_minutes(centre_minutes=gap)
    with pytest.raises(cp.InputError, match=r"533 area code\(s\) missing, e.g. \['E01026424'"):
        norfolk.with_travel_minutes(centre_minutes=m.iloc[:5])
    with pytest.raises(cp.InputError, match=r"an area code repeated"):
        norfolk.with_travel_minutes(centre_minutes=pd.concat([m, m.iloc[:1]]))
    with pytest.raises(cp.InputError, match=r"got ndarray, not a table"):
        norfolk.with_travel_minutes(centre_minutes=m.to_numpy())
