"""The built-in Norfolk geography reproduces the published figures of the real data."""

import numpy as np
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


def test_centres_keep_the_unlocated_and_never_place_them(norfolk):
    c = norfolk.centres
    assert len(c) == 43
    assert int(c["located"].sum()) == 41
    unlocated = c[~c["located"]]
    assert set(unlocated["name"]) == {"Greenacre Children's Centre", "Village Green Children's Centre"}
    assert unlocated.geometry.isna().all() and unlocated["home_area"].isna().all()
    assert c.index.is_unique
    assert c.loc[c["located"], "source_url"].notna().all()
    assert "no known location" in norfolk.summary()


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
    assert m.shape == (538, 43)
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
