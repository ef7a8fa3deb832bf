"""The travel model, calibrated on real road minutes, stays as accurate as measured."""

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
