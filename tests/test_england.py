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
from clusterplan.errors import InfeasibleError, InputError
from clusterplan.scenario import Scenario


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
    for col in ("under5", "idaci", "imd_decile", "district"):
        pd.testing.assert_series_equal(g.areas[col].sort_index(), norfolk.areas[col].sort_index(), check_names=False,
                                       check_dtype=False)
    assert nx.utils.graphs_equal(g.corridors, norfolk.corridors) or \
        set(map(frozenset, g.corridors.edges)) == set(map(frozenset, norfolk.corridors.edges))
    assert len(g.centres) == 0 and len(g.sites) == 538
    assert any("area centroids" in n for n in g.notes)
    assert any("no rural-urban class" in n for n in g.notes)


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
    with pytest.raises(InfeasibleError, match=r"the only area, E01019077, hold only 71 children"):
        cp.solve(scilly, scn)


def test_authority_names_and_codes(table):
    assert england.find("e10000020", table) == "E10000020"
    assert england.find("  KENT ", table) == "E10000016"
    with pytest.raises(InputError, match="did you mean 'Darlington'"):
        england.find("Darlingtn", table)


def test_missing_or_incomplete_data_folder_says_what_to_do(tmp_path, monkeypatch, england_dir):
    monkeypatch.delenv(england.ENV, raising=False)
    with pytest.raises(InputError, match="CLUSTERPLAN_ENGLAND_DATA"):
        england.data_folder(None)
    with pytest.raises(InputError, match="not a folder"):
        england.data_folder(tmp_path / "nowhere")
    for f in list(england.FILES.values())[1:]:
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
