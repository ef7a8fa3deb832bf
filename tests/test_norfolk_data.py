"""The built-in Norfolk geography reproduces the published figures of the real data."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clusterplan as cp


@pytest.mark.parametrize(("year", "total"), [(2020, 44_201), (2019, 45_540), (2017, 47_149)])
def test_under_five_totals_match_ons(year, total):
    g = cp.datasets.norfolk(year)
    assert len(g.areas) == 538
    assert int(g.areas["under5"].sum()) == total


def test_areas_have_the_documented_columns(norfolk):
    a = norfolk.areas
    for col in ("name", "district", "under5", "idaci", "imd_decile", "rural_urban", "geometry", "x", "y"):
        assert col in a.columns, col
    assert a.geometry.name == "geometry" and (a.dtypes == "geometry").sum() == 1  # one geometry: to_file works
    assert a.crs.to_epsg() == 27700
    assert a.index.is_unique and a.index.str.startswith("E01").all()
    assert sorted(a["district"].unique()) == sorted([
        "Breckland", "Broadland", "Great Yarmouth", "King's Lynn and West Norfolk", "North Norfolk", "Norwich",
        "South Norfolk"])
    assert a["idaci"].between(0.014, 0.499).all()
    assert a.geometry.is_valid.all()
    # population-weighted centroids lie in their own area; the generalised (BSC) boundaries leave 11 of them
    # outside, by at most 127 m
    dist = a.geometry.distance(norfolk.centroids)
    assert (dist > 0).sum() == 11 and dist.max() < 130


def test_centres_are_the_dfe_register_with_their_public_history(norfolk):
    """All 53 designated centres (GIAS), each located at its postcode, with the older list's history where it
    names the same centre; the older list is never a source of locations."""
    c = norfolk.centres
    assert len(c) == 53 and c["located"].all() and c.index.is_unique and c["urn"].is_unique
    assert c["source_url"].str.startswith("https://get-information-schools.service.gov.uk/").all()
    assert (c["district"] == "Norwich").sum() == 8
    assert c.at["methwold", "district"] == "Breckland"
    for a, b in (("dereham-central", "dereham-south"), ("aylsham-cluster-area", "reepham")):
        assert c.at[a, "home_area"] == c.at[b, "home_area"] and c.at[a, "postcode"] == c.at[b, "postcode"]
    older = pd.read_csv(Path(cp.__file__).parent / "data" / "norfolk" / "norfolk_childrens_centres_2009_2019.csv")
    named = {n.strip() for h in c["history_name"].dropna() for n in h.split(";")}
    assert named == set(older["name"])        # every centre of the older list is in the register
    assert c["history_name"].notna().sum() == 42  # Spixworth and Sprowston, two there, are one record here
    assert c.at["spixworth-and-sprowston", "history_name"].count(";") == 1
    gias = pd.read_csv(Path(cp.__file__).parent / "data" / "norfolk" / "norfolk_childrens_centres_gias.csv")
    assert (c.set_index("urn")[["x", "y"]].loc[gias["urn"]].to_numpy()
            == gias[["easting", "northing"]].to_numpy()).all()
    assert "postcode" in norfolk.summary() and "no known location" not in norfolk.summary()


def test_centre_home_areas_agree_with_their_points(norfolk):
    c = norfolk.located_centres
    within = [norfolk.areas.geometry[h].buffer(1).contains(p) for h, p in zip(c["home_area"], c.geometry, strict=True)]
    assert all(within)


def test_sites_are_the_schools_register(norfolk):
    s = norfolk.sites
    assert len(s) == 465 and s["located"].all()
    assert s["home_area"].isin(norfolk.areas.index).all()


def test_travel_matrices_cover_every_area_and_located_centre(norfolk):
    m = norfolk.centre_minutes
    assert m.shape == (538, 53)
    located = norfolk.located_centres.index
    assert np.isfinite(m[located].to_numpy()).all() and (m[located].to_numpy() > 0).all()
    assert m.drop(columns=located).isna().all().all()
    assert norfolk.site_minutes.shape == (538, 465)


def test_fingerprint_changes_with_population_year():
    assert cp.datasets.norfolk(2020).fingerprint()["areas"] != cp.datasets.norfolk(2019).fingerprint()["areas"]
    assert cp.datasets.norfolk(2020).fingerprint() == cp.datasets.norfolk(2020).fingerprint()


def test_unknown_year_is_a_clear_error():
    with pytest.raises(cp.InputError, match="year must be one of"):
        cp.datasets.norfolk(2018)


def test_a_centre_named_by_one_word_of_its_name_is_suggested(norfolk):
    """A commissioner writes the town: 'Dereham' names two centres' towns, 'Wells' one; neither is a centre's id or
    whole name, so each is refused, but with the centres that hold the word (spelling alone suggested Reepham for
    Dereham and Seagulls for Wells)."""
    from clusterplan.scenario import centre_ids
    with pytest.raises(cp.ScenarioError, match=r"unknown centre 'Dereham'; did you mean 'dereham-central' \(Dereham "
                                               r"Central Children's Centre\), 'dereham-south' \(Dereham South"):
        centre_ids(["Dereham"], norfolk.centres, "centres.keep")
    with pytest.raises(cp.ScenarioError, match=r"unknown centre 'wells'; did you mean 'wells-next-the-sea' "
                                               r"\(Wells-next-the-sea Sure Start Children's Centre\)\?$"):
        centre_ids(["wells"], norfolk.centres, "centres.keep")
    with pytest.raises(cp.ScenarioError, match=r"unknown centre 'Sea gulls'; did you mean 'seagulls'"):
        centre_ids(["Sea gulls"], norfolk.centres, "centres.keep")   # no word held: spelt alike
    assert centre_ids(["Wells-next-the-sea", "dereham south"], norfolk.centres, "k") == ["wells-next-the-sea",
                                                                                        "dereham-south"]


def test_a_district_named_by_its_words_in_another_order_is_suggested(norfolk):
    """'Norfolk North' holds North Norfolk's words: spelling alone suggested South Norfolk."""
    from clusterplan.scenario import district_names
    districts = sorted(norfolk.areas["district"].unique())
    with pytest.raises(cp.ScenarioError, match=r"`centres.per_district.Norfolk North`: unknown district; did you mean "
                                               r"'North Norfolk'\?"):
        district_names({"Norfolk North": 2}, districts, "centres.per_district")
    with pytest.raises(cp.ScenarioError, match=r"did you mean 'King's Lynn and West Norfolk', 'North Norfolk', "
                                               r"'South Norfolk'\?"):
        district_names({"norfolk": 2}, districts, "centres.per_district")
    with pytest.raises(cp.ScenarioError, match=r"did you mean 'Breckland'\?"):   # no word held: spelt alike
        district_names({"Brekland": 2}, districts, "centres.per_district")
    from clusterplan.scenario import policy_groups  # a policy's district is suggested the same way
    with pytest.raises(cp.ScenarioError, match=r"`policies.Norfolk North`: unknown district; did you mean "
                                               r"'North Norfolk'\?"):
        policy_groups(districts, {"Norfolk North": {}})


def test_a_subset_refuses_a_district_it_does_not_hold(norfolk):
    """`Geography.subset` kept only the districts it found: 'Narwich' beside Norwich was dropped without a word. It is
    now refused with the nearest name; names match without regard to case, and one name may be given alone."""
    with pytest.raises(cp.ScenarioError, match=r"`districts.Narwich`: unknown district; did you mean 'Norwich'\?"):
        norfolk.subset(["Norwich", "Narwich"])
    one = norfolk.subset("norwich")
    assert set(one.areas["district"]) == {"Norwich"}
    assert len(one.areas) == (norfolk.areas["district"] == "Norwich").sum()
    assert one.name.endswith(" - Norwich")
