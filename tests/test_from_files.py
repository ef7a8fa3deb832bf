"""Geography.from_files: another real authority (Darlington, built from the England tables) and bad inputs."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import Polygon

import clusterplan as cp
from clusterplan import maps

# one worker runs the whole module under pytest-xdist, so its module fixtures are built once
pytestmark = pytest.mark.xdist_group("from_files")

DARLINGTON = "E06000005"


@pytest.fixture(scope="module")
def darlington_files(england_dir, tmp_path_factory):
    """Darlington's LSOAs as a commissioner would hand them over: an areas CSV and a boundary GeoJSON."""
    d = tmp_path_factory.mktemp("darlington")
    lk = pd.read_csv(england_dir / "ew_lsoa11_lsoa21_lad22_bestfit_lookup.csv")
    codes = sorted(set(lk.loc[lk["LAD22CD"] == DARLINGTON, "LSOA11CD"]))
    pop = pd.read_csv(england_dir / "ew_lsoa11_population_mid2020_under5.csv", index_col="lsoa11_code")
    dep = pd.read_csv(england_dir / "england_lsoa11_iod2019_income_idaci_idaopi_scores.csv",
                      index_col="LSOA Code (2011)")
    imd = pd.read_csv(england_dir / "england_lsoa11_imd2019_ranks_deciles.csv", index_col="lsoa11_code")
    cen = pd.read_csv(england_dir / "ew_lsoa11_population_weighted_centroids.csv", index_col="lsoa11cd")
    areas = pd.DataFrame({"LSOA11CD": codes, "LSOA11NM": pop.loc[codes, "lsoa11_name"].to_numpy(),
                          "age_0_4": pop.loc[codes, "age_0_4"].to_numpy(),
                          "IDACI": dep.loc[codes, "IDACI Score"].to_numpy(),
                          "decile": imd.loc[codes, "IMD_decile"].to_numpy(),
                          "lon": cen.loc[codes, "lon"].to_numpy(), "lat": cen.loc[codes, "lat"].to_numpy()})
    areas.to_csv(d / "areas.csv", index=False)
    bnd = gpd.read_file(f"/vsigzip/{england_dir / 'ew_lsoa11_boundaries_bsc.geojson.gz'}", columns=["LSOA11CD"])
    bnd[bnd["LSOA11CD"].isin(codes)].to_file(d / "boundaries.geojson", driver="GeoJSON")
    return d, areas


def test_another_real_authority_builds_from_files(darlington_files):
    d, areas = darlington_files
    g = cp.Geography.from_files(
        areas=d / "areas.csv", boundaries=d / "boundaries.geojson", boundary_code="LSOA11CD", name="Darlington",
        area_columns={"code": "LSOA11CD", "name": "LSOA11NM", "under5": "age_0_4", "idaci": "IDACI",
                      "imd_decile": "decile"})
    assert len(g.areas) == len(areas) == 65
    assert int(g.areas["under5"].sum()) == int(areas["age_0_4"].sum())
    assert nx.is_connected(g.corridors) and set(g.corridors.nodes) == set(areas["LSOA11CD"])
    assert len(g.sites) == 65 and (g.sites["home_area"].to_numpy() == g.areas.index.to_numpy()).all()
    assert g.site_minutes.shape == (65, 65)
    assert any("rural-urban" in n for n in g.notes)
    assert set(g.sources) == {"areas:areas.csv", "boundaries:boundaries.geojson"}
    assert g.areas.crs.to_epsg() == 27700 and g.areas["x"].between(400_000, 450_000).all()


# ------------------------------------------------------------------- bad inputs, on a few real Norfolk areas
@pytest.fixture()
def small(tmp_path, norfolk):
    """Six touching real Norfolk areas written as a commissioner's files (areas CSV, boundaries GeoJSON)."""
    start = "E01026419"
    codes = [start, *sorted(norfolk.corridors.neighbors(start))][:6]
    a = norfolk.areas.loc[codes]
    areas = pd.DataFrame({"code": codes, "under5": a["under5"].to_numpy(), "x": a["x"].to_numpy(),
                          "y": a["y"].to_numpy()})
    bnd = gpd.GeoDataFrame({"code": codes}, geometry=a.geometry.to_numpy(), crs=27700)
    return tmp_path, areas, bnd


def _write(tmp, areas, bnd):
    areas.to_csv(tmp / "areas.csv", index=False)
    bnd.to_file(tmp / "b.geojson", driver="GeoJSON")
    return dict(areas=tmp / "areas.csv", boundaries=tmp / "b.geojson")


def test_small_files_build(small):
    tmp, areas, bnd = small
    g = cp.Geography.from_files(**_write(tmp, areas, bnd))
    assert len(g.areas) == 6 and nx.is_connected(g.corridors)


def test_maps_of_own_files_credit_those_files_not_the_built_in_data(small, norfolk):
    tmp, areas, bnd = small
    g = cp.Geography.from_files(**_write(tmp, areas, bnd))
    own = maps.source_text(g)
    assert "areas.csv" in own and "b.geojson" in own
    assert "ONS" not in own and "Crown" not in own and "GIAS" not in own
    assert maps.source_text(norfolk) == maps.SOURCE                           # the built-in data keeps its credit
    mixed = maps.source_text(replace(norfolk, sources={**norfolk.sources, "centres:our_centres.csv": "0"}))
    assert mixed.startswith(maps.SOURCE.split("; clusterplan.")[0]) and "our_centres.csv" in mixed
    # the line a map of the own files actually carries
    scn = {"model": "capacity", "reach": {"min": int(g.areas["under5"].min())}, "solver": {"time_limit": 10}}
    plan = cp.solve(g, scn)
    fig = maps.plan_map(plan, g)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert own in texts and maps.SOURCE not in texts
    plt.close(fig)
    # and the report's data section and the workbook's sources sheet
    out = tmp / "plan"
    cp.write_plan(plan, g, cp.Scenario.from_dict(scn), out)
    html_text = (out / "report.html").read_text(encoding="utf-8")
    assert "areas.csv" in html_text and "Crown copyright" not in html_text
    sources = pd.read_excel(out / "report.xlsx", sheet_name="sources")
    credit = sources.iloc[:, 0].astype(str)
    assert credit.str.contains("areas.csv").any() and not credit.str.contains("OS data").any()


def test_a_centre_without_a_name_is_shown_by_its_id_and_said(small):
    """Six real Norfolk areas as a commissioner's files, two centres, one with its name cell empty: it was named
    "nan" in every table and map (a spokes list's unnamed library too). It is now shown by its id, and the
    geography's notes name the row."""
    tmp, areas, bnd = small
    files = _write(tmp, areas, bnd)
    a = areas.set_index("code")
    (tmp / "centres.csv").write_text(
        "id,name,x,y\n"
        f"north,North Centre,{a['x'].iloc[0]},{a['y'].iloc[0]}\n"
        f"south,  ,{a['x'].iloc[3]},{a['y'].iloc[3]}\n")
    g = cp.Geography.from_files(**files, centres=tmp / "centres.csv")
    assert g.centres["name"].to_dict() == {"north": "North Centre", "south": "south"}
    assert any("1 centre(s) have no name and are shown by their id: row 3 (south)" in n for n in g.notes), g.notes


def test_missing_column_names_file_and_column(small):
    tmp, areas, bnd = small
    with pytest.raises(cp.InputError, match=r"(?s)areas\.csv.*missing column 'under5'"):
        cp.Geography.from_files(**_write(tmp, areas.drop(columns="under5"), bnd))


def test_misnamed_mapping_names_the_column(small):
    tmp, areas, bnd = small
    with pytest.raises(cp.InputError, match=r"column 'kids' \(mapped to 'under5'\) not found"):
        cp.Geography.from_files(**_write(tmp, areas, bnd), area_columns={"under5": "kids"})


def test_duplicate_codes(small):
    tmp, areas, bnd = small
    dup = pd.concat([areas, areas.iloc[[2]]])
    with pytest.raises(cp.InputError, match=f"(?s)duplicate area code.*{areas.code[2]}"):
        cp.Geography.from_files(**_write(tmp, dup, bnd))


def test_bad_populations_are_all_reported_at_once(small):
    tmp, areas, bnd = small
    bad = areas.astype({"under5": object})
    bad.loc[1, "under5"] = -4
    bad.loc[3, "under5"] = "many"
    bad.loc[4, "under5"] = None
    with pytest.raises(cp.InputError) as e:
        cp.Geography.from_files(**_write(tmp, bad, bnd))
    msg = str(e.value)
    assert "3 problems" in msg and "areas.csv" in msg
    # each by its row in the file (the header is row 1) and its area code
    assert f"row 3 (area {areas.code[1]}), column 'under5': must be >= 0, found -4" in msg
    assert f"row 5 (area {areas.code[3]}), column 'under5': expected a number, found 'many'" in msg
    assert f"row 6 (area {areas.code[4]}), column 'under5': expected a number, missing" in msg


def test_unknown_area_code_in_centres_file(small):
    tmp, areas, bnd = small
    (tmp / "centres.csv").write_text("name,home_area\nHub One,E01026419\nHub Two,E09999999\n")
    with pytest.raises(cp.InputError, match=r"(?s)centres\.csv.*row 3 \(centre centre0002\), column 'home_area': "
                                            r"unknown area code 'E09999999'"):
        cp.Geography.from_files(**_write(tmp, areas, bnd), centres=tmp / "centres.csv")


def test_a_centres_phase_is_read_as_written_or_named(small, norfolk):
    """The phase column takes 1, 2 or 3 as a commissioner writes them ("Phase 1", 2.0 as Excel saves it, empty);
    "Phase 1" was read as no phase at all, and 1.5 failed as an internal error."""
    tmp, areas, bnd = small
    x, y = norfolk.areas.loc[areas.code[2], ["x", "y"]]
    (tmp / "centres.csv").write_text(f"id,name,x,y,phase\nc1,Hub,{x},{y},Phase 1\nc2,Two,{x},{y},2.0\n"
                                     f"c3,Three,{x},{y},\n")
    g = cp.Geography.from_files(**_write(tmp, areas, bnd), centres=tmp / "centres.csv")
    assert g.centres["phase"].tolist()[:2] == [1, 2] and pd.isna(g.centres.at["c3", "phase"])
    # a table built in code: pandas' own missing value is no phase, as an empty cell is
    frame = pd.DataFrame({"name": ["Hub", "Two"], "x": [x, x], "y": [y, y],
                          "phase": pd.array([1, pd.NA], dtype="Int64")}, index=pd.Index(["c1", "c2"], name="id"))
    from clusterplan.validation import validate_points
    placed = validate_points(frame, g.areas, "centres", [], kind="centre")
    assert placed.at["c1", "phase"] == 1 and pd.isna(placed.at["c2", "phase"])
    (tmp / "centres.csv").write_text(f"id,name,x,y,phase\nc1,Hub,{x},{y},4\nc2,Two,{x},{y},first\n")
    with pytest.raises(cp.InputError, match=r"(?s)row 2 \(centre c1\), column 'phase': expected 1, 2 or 3.*found "
                                            r"'?4'?.*row 3 \(centre c2\), column 'phase'.*found 'first'"):
        cp.Geography.from_files(**_write(tmp, areas, bnd), centres=tmp / "centres.csv")


def test_rural_urban_classes_are_read_as_codes_or_their_names(small):
    """A 2011 rural-urban class may be given as its code or its ONS name, in any letter case; the geography holds the
    code, so the rural figures and the travel model's start times read it (a name was read as urban)."""
    tmp, areas, bnd = small
    named = areas.assign(rural_urban=["Rural village and dispersed", "e2", "Urban city and town", "", "D1",
                                      "rural town and fringe in a sparse setting"])
    g = cp.Geography.from_files(**_write(tmp, named, bnd))
    assert g.areas["rural_urban"].tolist() == ["E1", "E2", "C1", None, "D1", "D2"]
    from clusterplan.geography import rural_flags
    rural, classed = rural_flags(g.areas)
    assert rural.tolist() == [True, True, False, False, True, True] and classed.sum() == 5


def test_centre_outside_every_area(small):
    tmp, areas, bnd = small
    (tmp / "centres.csv").write_text("name,x,y\nFar Away,400000,200000\n")
    with pytest.raises(cp.InputError, match="(?s)Far Away.*outside every area"):
        cp.Geography.from_files(**_write(tmp, areas, bnd), centres=tmp / "centres.csv")


def test_centres_located_by_point_get_their_home_area(small, norfolk):
    tmp, areas, bnd = small
    x, y = norfolk.areas.loc[areas.code[2], ["x", "y"]]
    (tmp / "centres.csv").write_text(f"id,name,x,y\nc1,Hub,{x},{y}\nc2,Unplaced,,\n")
    g = cp.Geography.from_files(**_write(tmp, areas, bnd), centres=tmp / "centres.csv")
    assert g.centres.at["c1", "home_area"] == areas.code[2]
    assert not g.centres.at["c2", "located"] and g.centres.at["c2", "home_area"] is None


def test_wrong_crs_is_caught(small):
    tmp, areas, bnd = small
    lying = bnd.set_crs(4326, allow_override=True)  # metres declared as degrees
    with pytest.raises(cp.InputError, match="declared CRS is probably wrong"):
        cp.Geography.from_files(**_write(tmp, areas, lying))


def test_invalid_and_empty_geometries(small):
    tmp, areas, bnd = small
    x0, y0 = bnd.geometry[0].centroid.coords[0]
    bow = Polygon([(x0, y0), (x0 + 100, y0 + 100), (x0 + 100, y0), (x0, y0 + 100)])  # self-intersecting
    bad = bnd.copy()
    bad.loc[0, "geometry"] = bow
    bad.loc[1, "geometry"] = Polygon()
    with pytest.raises(cp.InputError) as e:
        cp.Geography.from_files(**_write(tmp, areas, bad))
    msg = str(e.value)
    assert f"area {areas.code[0]}: invalid polygon" in msg and f"area {areas.code[1]}: empty geometry" in msg


def test_area_with_no_neighbour(small, norfolk):
    tmp, areas, bnd = small
    far = "E01026681"  # Hunstanton, nowhere near the others
    a = norfolk.areas.loc[far]
    areas2 = pd.concat([areas, pd.DataFrame({"code": [far], "under5": [a["under5"]], "x": [a["x"]], "y": [a["y"]]})])
    bnd2 = pd.concat([bnd, gpd.GeoDataFrame({"code": [far]}, geometry=[a.geometry], crs=27700)])
    with pytest.raises(cp.InputError, match=f"(?s)no neighbour.*{far}"):
        cp.Geography.from_files(**_write(tmp, areas2, bnd2))


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(cp.InputError, match="(?s)nope.csv: 1 problem.*file not found"):
        cp.Geography.from_files(areas=tmp_path / "nope.csv", boundaries=tmp_path / "b.geojson")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(cp.InputError, match="(?s)empty.csv.*the file is empty"):
        cp.Geography.from_files(areas=tmp_path / "empty.csv", boundaries=tmp_path / "b.geojson")


def test_errors_are_value_errors():
    assert issubclass(cp.InputError, ValueError)


def test_a_correctly_declared_other_crs_gives_the_same_geography(small):
    """Boundaries in Web Mercator (declared) are reprojected: the same areas and corridors as in British National
    Grid; only a wrongly declared CRS is an error (tests/bad_inputs/boundaries_wrong_crs)."""
    tmp, areas, bnd = small
    ref = cp.Geography.from_files(**_write(tmp, areas, bnd))
    merc = tmp / "mercator"
    merc.mkdir()
    other = cp.Geography.from_files(**_write(merc, areas, bnd.to_crs(3857)))
    assert other.areas.crs.to_epsg() == 27700
    assert sorted(map(sorted, other.corridors.edges)) == sorted(map(sorted, ref.corridors.edges))
    moved = other.areas.geometry.symmetric_difference(ref.areas.geometry).area
    assert (moved < 1e-5 * ref.areas.geometry.area).all()  # millimetres of round-off along each boundary


def test_one_credit_under_maps_of_several_geographies():
    """A comparison slide of plans on several geographies (the demo: one scenario adds a file of centre facts) gives
    one source line: the built-in data's credit once, each of the user's files once. It gave one line per distinct
    geography, which repeated the credit and ran off the slide."""
    from types import SimpleNamespace

    from clusterplan.maps import SOURCE, source_text
    built = SimpleNamespace(sources={"areas": "a1", "centres": "c1"})
    own = SimpleNamespace(sources={"areas": "a1", "centre_facts:facts.csv": "f1"})
    text = source_text([built, own, built])
    assert text.count("Contains OS data") == 1 and text.count("facts.csv") == 1 and text.startswith("Source: ONS")
    assert source_text([built, built]) == source_text(built) == SOURCE


def test_codes_with_leading_zeros_keep_them_in_every_file(small):
    """A commissioner's own codes such as 0001 (not ONS codes): every file that names an area or a centre reads
    them as text, so 0001 in the centres file, the groupings, the links and the travel table is area 0001, not 1.
    The six areas are real; the codes, the centre and its minutes are SYNTHETIC labels for the test."""
    from clusterplan import corridors
    tmp, areas, bnd = small
    codes = [f"{n:04d}" for n in range(1, 7)]
    areas, bnd = areas.assign(code=codes), bnd.assign(code=codes)
    files = _write(tmp, areas, bnd)
    pd.DataFrame({"id": ["007"], "name": ["Centre 007"], "home_area": ["0001"], "x": [areas["x"][0]],
                  "y": [areas["y"][0]]}).to_csv(tmp / "centres.csv", index=False)
    pd.DataFrame({"area": codes, "team": ["north"] * 3 + ["south"] * 3}).to_csv(tmp / "groups.csv", index=False)
    pd.DataFrame({"area_a": ["0001"], "area_b": ["0006"]}).to_csv(tmp / "links.csv", index=False)
    pd.DataFrame({"area": codes, "destination": ["007"] * 6, "minutes": [1, 2, 3, 4, 5, 6]}).to_csv(
        tmp / "minutes.csv", index=False)
    g = cp.Geography.from_files(**files, centres=tmp / "centres.csv")
    assert list(g.areas.index) == codes and g.centres.at["007", "home_area"] == "0001"
    g = g.with_area_groups(tmp / "groups.csv").with_travel_file(tmp / "minutes.csv")
    assert g.areas.at["0004", "team"] == "south"
    assert g.centre_minutes["007"].tolist() == [1, 2, 3, 4, 5, 6]
    assert corridors.read_links(tmp / "links.csv") == [("0001", "0006")]


def test_a_title_above_the_table_is_named_with_the_header_row(small):
    """A council spreadsheet often has a title above its table: every column came back 'Unnamed: n' and the message
    asked for a 'code' column the file plainly has. Now it names the row the column names are on."""
    tmp, areas, bnd = small
    with pd.ExcelWriter(tmp / "areas.xlsx") as w:
        pd.DataFrame([["Children under five, mid-2020"]]).to_excel(w, index=False, header=False)
        areas.to_excel(w, index=False, startrow=2)
    bnd.to_file(tmp / "b.geojson", driver="GeoJSON")
    with pytest.raises(cp.InputError, match=r"the column names seem to be on row 3 \(code, under5, x, y\), not row 1 "
                                            r"\(which holds 'Children under five, mid-2020'\)"):
        cp.Geography.from_files(areas=tmp / "areas.xlsx", boundaries=tmp / "b.geojson")


def test_a_workbook_of_several_sheets_names_the_one_to_read(small):
    """Two sheets that could both be the areas (two years, say): the first was read without a word. Now the sheets
    are listed until `layers` names one, and a sheet that is not there is named with those that are."""
    tmp, areas, bnd = small
    with pd.ExcelWriter(tmp / "areas.xlsx") as w:
        areas.assign(under5=areas["under5"] + 1).to_excel(w, sheet_name="mid-2019", index=False)
        areas.to_excel(w, sheet_name="mid-2020", index=False)
    bnd.to_file(tmp / "b.geojson", driver="GeoJSON")
    with pytest.raises(cp.InputError, match=r"holds 2 sheets \(mid-2019, mid-2020\); say which holds the areas with "
                                            r"`geography.layers` \(e.g. layers: \{areas: mid-2019\}\)"):
        cp.Geography.from_files(areas=tmp / "areas.xlsx", boundaries=tmp / "b.geojson")
    g = cp.Geography.from_files(areas=tmp / "areas.xlsx", boundaries=tmp / "b.geojson", layers={"areas": "mid-2020"})
    assert g.areas["under5"].sum() == areas["under5"].sum()
    with pytest.raises(cp.InputError, match=r"has no sheet 'mid-2021'; its sheets: mid-2019, mid-2020"):
        cp.Geography.from_files(areas=tmp / "areas.xlsx", boundaries=tmp / "b.geojson", layers={"areas": "mid-2021"})


def test_formulas_a_program_never_calculated_are_named_not_called_missing(small):
    """A workbook written by a script holds formulas with no saved result: they read as blanks, and every one was
    reported as a missing number the file plainly has. Now the formulas are named, with what to do; a cell that is
    truly blank is still a missing number."""
    import openpyxl
    tmp, areas, bnd = small
    bnd.to_file(tmp / "b.geojson", driver="GeoJSON")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "mid-2020"
    ws.append(list(areas.columns))
    for r in areas.itertuples(index=False):
        ws.append([r.code, f"={int(r.under5)}+0", r.x, r.y])
    wb.save(tmp / "areas.xlsx")
    with pytest.raises(cp.InputError, match=r"sheet 'mid-2020': 6 cell\(s\) hold a formula with no saved result, "
                                            rf"e.g. B2 \('={int(areas['under5'].iloc[0])}\+0'\); clusterplan reads "
                                            r"the values saved with a workbook"):
        cp.Geography.from_files(areas=tmp / "areas.xlsx", boundaries=tmp / "b.geojson")
    areas.assign(under5=areas["under5"].where(areas.index > 0)).to_excel(tmp / "areas.xlsx", index=False)
    with pytest.raises(cp.InputError, match=r"row 2 \(area E01026419\), column 'under5': expected a number, missing"):
        cp.Geography.from_files(areas=tmp / "areas.xlsx", boundaries=tmp / "b.geojson")


def test_a_column_named_twice_is_refused_not_read_first_come(small):
    """pandas keeps both columns of one name ('under5', 'under5.1') and the first was read without a word: in a CSV
    and in a workbook the header's repeated name is refused, with its columns."""
    tmp, areas, bnd = small
    bnd.to_file(tmp / "b.geojson", driver="GeoJSON")
    twice = areas.assign(again=areas["under5"] * 2)
    twice.columns = [*areas.columns, "under5"]
    twice.to_csv(tmp / "areas.csv", index=False)
    twice.to_excel(tmp / "areas.xlsx", index=False)
    col = list(twice.columns).index("under5") + 1
    for name in ("areas.csv", "areas.xlsx"):
        with pytest.raises(cp.InputError, match=rf"the header names a column twice \('under5' in columns {col}, "
                                                rf"{len(twice.columns)}\)"):
            cp.Geography.from_files(areas=tmp / name, boundaries=tmp / "b.geojson")


def test_a_blank_line_in_a_csv_keeps_the_rows_numbered_as_in_the_file(small):
    """pandas skipped blank lines, so every row after one was reported a row too high."""
    tmp, areas, bnd = small
    bad = areas.astype({"under5": object})
    bad.loc[2, "under5"] = "abc"
    files = _write(tmp, bad, bnd)
    lines = (tmp / "areas.csv").read_text().splitlines()
    (tmp / "areas.csv").write_text("\n".join([*lines[:2], "", *lines[2:]]) + "\n")   # a blank line as row 3
    with pytest.raises(cp.InputError, match=rf"row 5 \(area {areas.code[2]}\), column 'under5'"):
        cp.Geography.from_files(**files)
