"""England: upper-tier authorities from the England tables, checked against known cases and the real data."""

from __future__ import annotations

import shutil

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import box

import clusterplan as cp
from clusterplan import corridors, england
from clusterplan.cli import main
from clusterplan.errors import InfeasibleError, InputError
from clusterplan.scenario import Scenario

# one worker runs the whole module under pytest-xdist, so its module fixtures are built once
pytestmark = pytest.mark.xdist_group("england")


@pytest.fixture(scope="module")
def table(england_dir) -> pd.DataFrame:
    return england.authorities(england_dir)


def test_152_upper_tier_authorities_hold_every_english_child(table):
    assert len(table) == 152
    assert table["kind"].value_counts().to_dict() == {"unitary authority": 59, "metropolitan district": 36,
                                                      "London borough": 33, "county council": 24}
    # the data README's England total: every LSOA lands in exactly one authority
    assert int(table["under5"].sum()) == 3_239_447
    assert int(table["areas"].sum()) == 32_844


def test_known_counties_and_their_districts(table):
    assert table.loc["E10000020", "name"] == "Norfolk"
    assert table.loc["E10000020", "districts"].split("; ") == [
        "Breckland", "Broadland", "Great Yarmouth", "King's Lynn and West Norfolk", "North Norfolk", "Norwich",
        "South Norfolk"]
    assert len(table.loc["E10000016", "districts"].split("; ")) == 12  # Kent
    assert {"St Albans", "Watford", "Stevenage"} <= set(table.loc["E10000015", "districts"].split("; "))
    assert {"East Suffolk", "West Suffolk", "Ipswich"} <= set(table.loc["E10000029", "districts"].split("; "))
    # unitaries, metropolitan districts and boroughs are their own upper tier
    assert table.loc["E06000017", ["name", "kind", "areas"]].tolist() == ["Rutland", "unitary authority", 23]
    assert table.loc["E08000025", "name"] == "Birmingham"
    assert table.loc["E09000001", "kind"] == "London borough"


def test_each_county_is_one_connected_piece_of_england(england_dir, table):
    """A district put in the wrong county would (almost always) leave the county in pieces."""
    areas, bnd, _, _ = england._tables(england.data_folder(england_dir))
    counties = table.index[table["kind"] == "county council"]
    for code in counties:
        mine = areas[areas["authority_code"] == code]
        shapes = gpd.GeoDataFrame(mine[["x", "y"]], geometry=bnd.reindex(mine.index).make_valid().to_numpy(),
                                  crs=bnd.crs)
        g = corridors.adjacency(shapes, tolerance=500)
        assert nx.number_connected_components(g) == 1, table.loc[code, "name"]


def test_norfolk_from_the_england_tables_matches_the_shipped_norfolk(england_dir, norfolk):
    g = cp.datasets.england("norfolk", england_dir)
    assert sorted(g.areas.index) == sorted(norfolk.areas.index)
    for col in ("under5", "idaci", "imd_decile", "district", "rural_urban"):   # the shipped classes agree too
        pd.testing.assert_series_equal(g.areas[col].sort_index(), norfolk.areas[col].sort_index(), check_names=False,
                                       check_dtype=False)
    assert nx.utils.graphs_equal(g.corridors, norfolk.corridors) or \
        set(map(frozenset, g.corridors.edges)) == set(map(frozenset, norfolk.corridors.edges))
    assert len(g.sites) == 538 and g.sites.index.str.startswith("area:").all()
    # the same 53 centres from the same register, at the same postcode centroids and in the same home areas
    mine = g.centres.set_index("urn")[["x", "y", "home_area", "district"]].sort_index()
    shipped = norfolk.centres.assign(urn=norfolk.centres["urn"].astype(str)).set_index("urn")[
        ["x", "y", "home_area", "district"]].sort_index()
    pd.testing.assert_frame_equal(mine, shipped, check_dtype=False)
    assert any("53 children's centres" in n and "postcode" in n for n in g.notes)
    assert any("withholds the 2026 status of 53" in n for n in g.notes)
    assert not any("no rural-urban class" in n for n in g.notes)
    # so the same travel minutes to the same centres (each area's start time by its class, as in Norfolk's own)
    by_urn = [m.rename(columns=geo.centres["urn"].astype(str)).sort_index().sort_index(axis=1)
              for m, geo in ((g.centre_minutes, g), (norfolk.centre_minutes, norfolk))]
    pd.testing.assert_frame_equal(*by_urn, check_names=False)


def test_islands_are_linked_and_repaired_boundaries_are_named(england_dir):
    hants = cp.datasets.england("E10000014", england_dir)
    assert nx.is_connected(hants.corridors)
    assumed = [(a, b) for a, b, d in hants.corridors.edges(data=True) if d.get("assumed")]
    assert assumed and all(any(a in n and b in n and "assumed link" in n for n in hants.notes) for a, b in assumed)
    kent = cp.datasets.england("Kent", england_dir)
    assert any("E01024572" in n and "make_valid" in n for n in kent.notes)
    assert kent.areas.geometry.is_valid.all()


def test_join_components_links_the_nearest_areas_of_synthetic_islands():
    # SYNTHETIC: three unit squares (km) in a row, the third 2 km from the second
    areas = gpd.GeoDataFrame({"x": [500.0, 1500.0, 4500.0], "y": [500.0] * 3},
                             geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(4000, 0, 5000, 1000)],
                             index=["a", "b", "c"], crs=27700)
    g, added = corridors.join_components(corridors.adjacency(areas), areas)
    assert nx.is_connected(g)
    assert added == [("c", "b", 2.0)]
    assert g.edges["b", "c"]["assumed"] and g.edges["b", "c"]["km"] == 3.0


def test_a_one_area_authority_is_explained_not_crashed(england_dir):
    scilly = cp.datasets.england("Isles of Scilly", england_dir)
    assert len(scilly.areas) == 1
    scn = Scenario.from_dict({"model": "capacity", "geography": {"builtin": "england", "authority": "E06000053",
                                                                 "data": str(england_dir)}})
    with pytest.raises(InfeasibleError, match=r"the only area, E01019077, holds only 71 children"):
        cp.solve(scilly, scn)


def test_an_authority_with_no_centre_open_today_says_so_and_what_to_do(england_dir):
    """Swindon (real England tables): the DfE register lists no centre open in January 2026. Every model that needs
    centres said its 132 areas had "no centre that may stay open, and no corridor links them to one: ... link them
    (`geography.links`)", a fix that cannot exist. Now it says there are no centres, and which key brings the
    register's designated ones (5 for Swindon) back."""
    geo = cp.datasets.england("Swindon", england_dir)
    assert len(geo.centres) == 0
    assert len(cp.datasets.england("Swindon", england_dir, network="designated").centres) > 0
    where = {"builtin": "england", "authority": "Swindon", "data": str(england_dir)}
    for model, noun in (("amalgamate", "centres"), ("status_quo", "centres"), ("hubs", "hub candidates")):
        with pytest.raises(InfeasibleError) as e:
            cp.solve(geo, Scenario.from_dict({"model": model, "geography": where}), quiet=True)
        said = str(e.value)
        assert f"this geography has no {noun} at all, so no area can be served" in said, model
        assert "`geography.network: designated` takes every designated centre" in said, model
        assert "geography.links" not in said, model


def test_authority_names_and_codes(table):
    assert england.find("e10000020", table) == "E10000020"
    assert england.find("  KENT ", table) == "E10000016"
    with pytest.raises(InputError, match="did you mean 'Darlington'"):
        england.find("Darlingtn", table)
    # the register's punctuation is optional: "St Helens" was refused ("did you mean 'St. Helens'?")
    assert table.loc[england.find("St Helens", table), "name"] == "St. Helens"
    assert table.loc[england.find("stoke on trent", table), "name"] == "Stoke-on-Trent"
    assert table.loc[england.find("Bournemouth Christchurch & Poole", table), "name"] == \
        "Bournemouth, Christchurch and Poole"
    with pytest.raises(InputError, match="did you mean 'St. Helens'"):
        england.find("St Helen", table)
    # a name's own word finds the names that hold it (difflib offered 'Oldham' for Durham, and for Kingston neither
    # Kingston)
    with pytest.raises(InputError, match=r"did you mean 'County Durham'\?"):
        england.find("Durham", table)
    with pytest.raises(InputError, match=r"did you mean 'Kingston upon Hull', 'Kingston upon Thames'\?"):
        england.find("kingston", table)


def test_an_unknown_authority_in_a_scenario_is_named_by_its_key(england_dir):
    """From a scenario the unknown authority is named by its key, `geography.authority` (it said 'authority:')."""
    scn = {"model": "status_quo", "geography": {"builtin": "england", "authority": "Norflk", "data": str(england_dir)}}
    with pytest.raises(InputError, match=r"did you mean 'Norfolk'") as err:
        cp.run(cp.Scenario.from_dict(scn))
    assert str(err.value).startswith("`geography.authority`: 1 problem found")


def test_missing_or_incomplete_data_folder_says_what_to_do(tmp_path, monkeypatch, england_dir):
    monkeypatch.delenv(england.ENV, raising=False)
    with pytest.raises(InputError, match="CLUSTERPLAN_ENGLAND_DATA"):
        england.data_folder(None)
    with pytest.raises(InputError, match="not a folder"):
        england.data_folder(tmp_path / "nowhere")
    for f in list(england.FILES.values())[1:]:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(england_dir / f, tmp_path / f)
    with pytest.raises(InputError, match="missing ew_lsoa11_boundaries_bsc.geojson.gz"):
        england.data_folder(tmp_path)
    monkeypatch.setenv(england.ENV, str(england_dir))
    assert england.data_folder(None) == england_dir.resolve()


def test_a_district_in_no_county_or_renamed_is_an_error():
    lookup = pd.DataFrame({"LAD22CD": ["E07000143", "E07999999"], "LAD22NM": ["Breckland", "Nowhere"]})
    with pytest.raises(InputError) as err:
        england.upper_tier(lookup)
    text = str(err.value)
    assert "E07999999 (Nowhere) belongs to no county" in text
    assert "E07000144 (Broadland) of Norfolk (E10000020) is not in the lookup" in text
    renamed = pd.DataFrame({"LAD22CD": ["E07000143"], "LAD22NM": ["Brekland"]})
    with pytest.raises(InputError, match="named 'Brekland' in the lookup, 'Breckland' in Norfolk"):
        england.upper_tier(renamed)


def test_scenario_keys_for_england_are_checked():
    from clusterplan.errors import ScenarioError
    with pytest.raises(ScenarioError, match="needs `authority`"):
        Scenario.from_dict({"geography": {"builtin": "england"}})
    with pytest.raises(ScenarioError, match="mid-2020 under-fives only"):
        Scenario.from_dict({"geography": {"builtin": "england", "authority": "Kent", "year": 2017}})
    with pytest.raises(ScenarioError, match="belong to builtin: england"):
        Scenario.from_dict({"geography": {"builtin": "norfolk", "authority": "Kent"}})


# ---------------------------------------------------------------------- each authority's own children's centres
def _register_copy(tmp_path, england_dir, edit):
    """The England tables with an edited copy of the register (the rest linked, not copied)."""
    for f in england.FILES.values():
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        if f != england.FILES["centres"]:
            (tmp_path / f).symlink_to(england_dir / f)
    reg = pd.read_csv(england_dir / england.FILES["centres"], dtype=str, keep_default_na=False)
    edit(reg).to_csv(tmp_path / england.FILES["centres"], index=False)
    return tmp_path


def _tables_copy(folder, england_dir, edits):
    """The England tables with edited copies of some (file key -> a function of the table read as text), the rest
    linked."""
    for key, f in england.FILES.items():
        (folder / f).parent.mkdir(parents=True, exist_ok=True)
        if key in edits:
            table = pd.read_csv(england_dir / f, dtype=str, keep_default_na=False)
            edits[key](table).to_csv(folder / f, index=False)
        else:
            (folder / f).symlink_to(england_dir / f)
    return folder


def test_gaps_and_bad_values_in_the_england_tables_are_named_by_file_column_and_lsoa(tmp_path, england_dir,
                                                                                    capsys):
    rutland = list(cp.datasets.england("Rutland", england_dir).areas.index)
    first, second, third, fourth, fifth = rutland[:5]

    def population(t):
        t.loc[t["lsoa11_code"] == first, "age_0_4"] = "1,234"
        t.loc[t["lsoa11_code"] == fifth, "lsoa11_name"] = ""
        return t[t["lsoa11_code"] != second]                   # a row lost, as in a file cut short

    def idaci(t):
        t.loc[t["LSOA Code (2011)"] == third, "IDACI Score"] = "1.5"
        return t

    def centroids(t):
        t.loc[t["lsoa11cd"] == fourth, "lon"] = "abc"
        return t

    folder = _tables_copy(tmp_path, england_dir, {"population": population, "idaci": idaci,
                                                  "centroids": centroids})
    with pytest.raises(InputError) as err:
        cp.datasets.england("Rutland", folder)
    assert err.value.problems == [
        f"ew_lsoa11_population_mid2020_under5.csv: no row for 1 of Rutland's 23 LSOAs ({second}); is the file "
        "complete (not cut short, and of the 2011 LSOAs)?",
        f"ew_lsoa11_population_mid2020_under5.csv: LSOA {first!r}, column 'age_0_4': expected a number, found "
        "'1,234' (write it without thousands separators)",
        f"england_lsoa11_iod2019_income_idaci_idaopi_scores.csv: LSOA {third!r}, column 'IDACI Score': must be <= 1, "
        "found 1.5",
        f"ew_lsoa11_population_weighted_centroids.csv: LSOA {fourth!r}, column 'lon': expected a number, found 'abc'",
        f"ew_lsoa11_population_mid2020_under5.csv: LSOA {fifth!r}, column 'lsoa11_name': missing"]
    # the list of authorities cannot count Rutland's children, and says so; the others are counted
    table = england.authorities(folder)
    assert pd.isna(table.at["E06000017", "under5"]) and table["under5"].notna().sum() == 151
    assert main(["authorities", "--england-data", str(folder)]) == 0
    assert "1 cannot be counted (Rutland)" in capsys.readouterr().out


def test_lsoas_the_lookup_lacks_are_named_not_left_out_of_their_authority(tmp_path, england_dir):
    rutland = sorted(cp.datasets.england("Rutland", england_dir).areas.index)
    folder = _tables_copy(tmp_path, england_dir, {"lookup": lambda t: t[~t["LSOA11CD"].isin(rutland[:2])]})
    with pytest.raises(InputError) as err:
        cp.datasets.england("Rutland", folder)   # 21 of its 23 areas, before
    assert err.value.source.endswith(england.FILES["lookup"])
    (problem,) = err.value.problems
    assert problem.startswith(f"no row for 2 English LSOAs that {england.FILES['boundaries']}, ")
    assert f"({rutland[0]}, {rutland[1]}): without its district an LSOA is in no authority" in problem


def test_an_lsoa_twice_in_an_england_table_is_named_by_its_rows(tmp_path, england_dir):
    code = cp.datasets.england("Rutland", england_dir).areas.index[0]
    folder = _tables_copy(tmp_path, england_dir,
                          {"imd": lambda t: pd.concat([t, t[t["lsoa11_code"] == code]], ignore_index=True)})
    with pytest.raises(InputError) as err:
        cp.datasets.england("Rutland", folder)   # an internal error, before
    assert err.value.source.endswith(england.FILES["imd"])
    (problem,) = err.value.problems
    assert problem.endswith(f", {32844 + 2}: lsoa11_code {code} more than once; each LSOA once"), problem


def test_an_authority_has_its_own_centres_and_linked_sites(england_dir):
    hackney = cp.datasets.england("Hackney", england_dir)
    reg = pd.read_csv(england_dir / england.FILES["centres"], dtype=str, keep_default_na=False)
    theirs = reg[(reg["district_name"] == "Hackney")]
    today = theirs[theirs["open_in_2026_01"] != "no"]
    assert set(hackney.centres["urn"]) == set(today.loc[today["linked_site"] == "no", "urn"])
    assert set(hackney.linked_sites["urn"]) == set(today.loc[today["linked_site"] == "yes", "urn"])
    assert hackney.centres["home_area"].isin(hackney.areas.index).all() and hackney.centres["located"].all()
    assert hackney.linked_sites["centre"].isin(hackney.centres.index).all()
    assert any("not open in January 2026 left out" in n for n in hackney.notes)
    every = cp.datasets.england("Hackney", england_dir, network="designated")
    assert set(every.centres["urn"]) == set(theirs.loc[theirs["linked_site"] == "no", "urn"])
    # today's network is a plan like Norfolk's: status quo and amalgamation, checked
    plan = cp.solve(hackney, {"model": "amalgamate"}, quiet=True)
    assert cp.check(plan, hackney, {"model": "amalgamate"}) == [] and plan.report.status == "optimal"
    assert plan.metrics["centres_today"] == len(hackney.centres)


def test_a_centre_across_its_authority_boundary_keeps_its_register_authority(england_dir):
    """A centre belongs to the authority the register gives it (its district), wherever its postcode centroid
    falls; one outside that authority's areas is given the nearest area and named."""
    reg = pd.read_csv(england_dir / england.FILES["centres"], dtype=str, keep_default_na=False)
    tiers = england.upper_tier(pd.read_csv(england_dir / england.FILES["lookup"], dtype=str))
    code_of = tiers.set_index("district_code")["authority_code"]
    table = england.authorities(england_dir)
    named = 0
    for code in ("E10000020", "E06000005", "E09000012", "E06000052"):
        g = cp.datasets.england(code, england_dir, network="designated")
        mine = reg[reg["district_code"].map(code_of) == code]
        assert set(g.centres["urn"]) | set(g.linked_sites["urn"]) == set(mine["urn"]), table.at[code, "name"]
        assert g.centres["home_area"].isin(g.areas.index).all()
        both = pd.concat([g.centres, g.linked_sites])
        outside = [n for n, h, p in zip(both["name"], both["home_area"], both.geometry, strict=True)
                   if not g.areas.geometry[h].buffer(1).contains(p)]
        assert all(any(n in note for note in g.notes) for n in outside), outside
        named += len(outside)
    assert named > 0   # Cornwall's register holds a centre whose postcode centroid lies outside its areas


def test_bad_register_rows_are_named(tmp_path, england_dir):
    def duplicate(reg):
        return pd.concat([reg, reg.iloc[[0]]], ignore_index=True)

    def unlocated(reg):
        reg.loc[5, ["easting", "northing"]] = ""
        return reg

    for edit, message in ((duplicate, "duplicate URN 20001"), (unlocated, "no coordinates for postcode")):
        folder = _register_copy(tmp_path / edit.__name__, england_dir, edit)
        with pytest.raises(InputError, match=message):
            cp.datasets.england("Rutland", folder)


def test_a_linked_site_whose_centre_is_unknown_is_named(tmp_path, england_dir):
    hackney = cp.datasets.england("Hackney", england_dir)
    site = hackney.linked_sites["urn"].iloc[0]

    def orphan(reg):
        return reg  # the register as it is; the link is dropped below

    folder = _register_copy(tmp_path, england_dir, orphan)
    links = pd.read_csv(england_dir / england.FILES["links"], dtype=str)
    (folder / england.FILES["links"]).unlink()
    links[links["URN"] != site].to_csv(folder / england.FILES["links"], index=False)
    g = cp.datasets.england("Hackney", folder)
    assert g.linked_sites.set_index("urn").at[site, "centre"] == ""
    assert any("link to no centre" in n and hackney.linked_sites.set_index("urn").at[site, "name"] in n
               for n in g.notes)



def test_your_own_centres_clear_links_to_centres_they_replace(tmp_path, england_dir):
    hackney = cp.datasets.england("Hackney", england_dir)
    first = hackney.centres.iloc[0]
    (tmp_path / "mine.csv").write_text(f"id,name,x,y\nmine,My centre,{first['x']},{first['y']}\n")
    mine = hackney.with_centres(tmp_path / "mine.csv")
    assert list(mine.centres.index) == ["mine"] and (mine.linked_sites["centre"] == "").all()
    assert any("linked site(s) linked to a centre your file does not have" in n for n in mine.notes)
    assert f"linked sites (centres' satellites): {len(hackney.linked_sites)}, of 0 centres" in mine.summary()


def test_check_of_an_english_plan_takes_the_england_data_folder(tmp_path, monkeypatch, england_dir, capsys):
    """`clusterplan check` of a plan built from the England tables needs them again: without the environment
    variable it says so (naming the plan folder), and `--england-data` gives the folder as batch does."""
    from clusterplan.cli import main
    monkeypatch.setenv(england.ENV, str(england_dir))
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: Rutland\nmodel: status_quo\ngeography: {builtin: england, authority: Rutland}\n")
    assert main(["--quiet", "run", str(scenario), "--out", str(tmp_path / "plan"), "--no-why"]) == 0
    monkeypatch.delenv(england.ENV)
    capsys.readouterr()
    assert main(["check", str(tmp_path / "plan")]) == 2
    err = capsys.readouterr().err
    assert "1 problem found" in err and f"an input of the plan in {tmp_path / 'plan'}" in err
    assert main(["check", str(tmp_path / "plan"), "--england-data", str(england_dir)]) == 0
    assert "every constraint holds" in capsys.readouterr().out


def test_every_english_area_has_its_2011_rural_urban_class(england_dir):
    """The shipped ONS classes cover every LSOA of the England tables, once each, in the eight 2011 classes; Cumbria
    (fells and market towns) is mostly rural and Lambeth not at all, so their travel starts differ."""
    classes = england.rural_urban()
    areas, _, _, _ = england._tables(england.data_folder(england_dir))
    assert classes.index.is_unique and len(classes) == 32_844 and set(areas.index) == set(classes.index)
    assert set(classes) == {"A1", "B1", "C1", "C2", "D1", "D2", "E1", "E2"}
    rural = cp.geography.rural_flags
    cumbria, lambeth = (cp.datasets.england(n, england_dir) for n in ("Cumbria", "Lambeth"))
    assert rural(cumbria.areas)[0].mean() > 0.5 and rural(cumbria.areas)[1].all()
    assert not rural(lambeth.areas)[0].any() and rural(lambeth.areas)[1].all()
    assert "rural areas: 169" in cumbria.summary() and "without a rural-urban class" not in cumbria.summary()
