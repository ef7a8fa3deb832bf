"""Travel minutes between areas and centres or sites.

No open road network or area-to-area travel matrix exists for Norfolk, so the default is a model calibrated on real
modelled road minutes (SAMueL project, University of Exeter) from every Norfolk LSOA to hospital postcodes:

    minutes = a[g] + b * km

where ``km`` is the straight-line distance in kilometres (EPSG:27700) from the area's population-weighted centroid to
the destination and ``g`` is the rural-urban group of the origin area: ``urban`` (2011 classes A1-C2), ``town``
(rural town and fringe, D1-D2) or ``village`` (rural village and dispersed, E1-E2). It is fitted by least squares on
LSOA-hospital pairs up to 60 km apart (the range of trips to a children's centre) with 30% of areas held back to
measure the error. A user's own matrix (:func:`read_matrix`) or a road network
(:func:`clusterplan.corridors.road_network_minutes`) replaces the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .validation import found_columns, read_table

GROUPS = ("urban", "town", "village")

#: Calibration range: pairs farther apart than this (km) are long-distance trips, not journeys to a local centre.
CALIBRATION_MAX_KM = 60.0


def rural_urban_group(code: str | float | None) -> str:
    """Map a 2011 rural-urban class code (``A1`` ... ``E2``) to ``urban``, ``town`` or ``village``.

    Missing codes map to ``urban`` (the shortest start time); :class:`clusterplan.Geography` records in its
    ``notes`` how many areas that applied to, so the assumption is never silent.
    """
    if isinstance(code, str) and code.startswith("D"):
        return "town"
    if isinstance(code, str) and code.startswith("E"):
        return "village"
    return "urban"


@dataclass(frozen=True)
class TravelModel:
    """Road minutes from straight-line distance and the origin's rural-urban group.

    ``intercept`` (minutes) per group and ``per_km`` (minutes per straight-line km); ``error`` holds the held-back
    error (median and 90th-percentile absolute minutes) measured when it was fitted.
    """

    intercept: dict[str, float]
    per_km: float
    error: dict[str, float] = field(default_factory=dict)
    source: str = "calibrated on SAMueL modelled road minutes, Norfolk LSOAs to hospitals within 60 km"

    def minutes(self, km: np.ndarray, groups: np.ndarray | list[str]) -> np.ndarray:
        """Minutes for straight-line distances ``km`` (kilometres) from origins in rural-urban ``groups``.

        ``groups`` may be one per origin (shape ``(n, 1)`` against ``km`` of shape ``(n, m)``): numpy broadcasting.
        """
        names, inverse = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
        start = np.array([self.intercept[g] for g in names], dtype=float)[inverse].reshape(np.shape(groups))
        return start + self.per_km * np.asarray(km, dtype=float)

    def describe(self) -> str:
        """One line a commissioner can read."""
        parts = ", ".join(f"{g} {self.intercept[g]:.1f}" for g in GROUPS)
        err = ""
        if self.error:
            err = (f"; held-back error median {self.error['median_abs']:.1f} min, "
                   f"90th percentile {self.error['p90_abs']:.1f} min")
        return f"minutes = start ({parts}) + {self.per_km:.3f} x straight-line km{err}"


def _data(name: str):
    return resources.files("clusterplan") / "data" / "norfolk" / name


def calibration_pairs(areas: pd.DataFrame, max_km: float = CALIBRATION_MAX_KM) -> pd.DataFrame:
    """Real (area, hospital) pairs with straight-line km and modelled road minutes, for areas in ``areas``.

    ``areas`` needs columns ``x``, ``y`` (EPSG:27700 metres) and ``rural_urban`` and is indexed by LSOA code.
    Returns columns ``area, destination, km, minutes, group``.
    """
    with _data("norfolk_lsoa11_road_travel_minutes_to_stroke_units.csv").open() as f:
        road = pd.read_csv(f, index_col="LSOA11CD").drop(columns="LSOA")
    with _data("stroke_unit_postcodes_coords.csv").open() as f:
        units = pd.read_csv(f, index_col="postcode")
    road = road.loc[road.index.intersection(areas.index)]
    xy = areas.loc[road.index, ["x", "y"]].to_numpy()
    groups = areas.loc[road.index, "rural_urban"].map(rural_urban_group).to_numpy()
    frames = []
    for dest in road.columns:
        e, n = units.loc[dest, ["BNG_E", "BNG_N"]]
        km = np.hypot(xy[:, 0] - e, xy[:, 1] - n) / 1000.0
        frames.append(pd.DataFrame({"area": road.index, "destination": dest, "km": km,
                                    "minutes": road[dest].to_numpy(), "group": groups}))
    pairs = pd.concat(frames, ignore_index=True)
    return pairs[pairs["km"] <= max_km].reset_index(drop=True)


def fit(pairs: pd.DataFrame) -> TravelModel:
    """Least-squares fit of ``minutes = a[group] + b * km`` to calibration pairs."""
    present = [g for g in GROUPS if (pairs["group"] == g).any()]
    design = np.column_stack([(pairs["group"] == g).to_numpy(float) for g in present] + [pairs["km"].to_numpy()])
    coef, *_ = np.linalg.lstsq(design, pairs["minutes"].to_numpy(), rcond=None)
    intercept = dict(zip(present, map(float, coef[:-1]), strict=True))
    # A group with no calibration pair (never the case for Norfolk) takes the mean start time, stated in describe().
    mean_a = float(np.mean(coef[:-1]))
    for g in GROUPS:
        intercept.setdefault(g, mean_a)
    return TravelModel(intercept=intercept, per_km=float(coef[-1]))


def calibrate(areas: pd.DataFrame, *, holdout: float = 0.3, seed: int = 2020) -> TravelModel:
    """Fit the travel model on (1 - ``holdout``) of the areas and measure its error on the rest.

    The split is by area (all pairs of a held-back area are held back), seeded, so the figures are reproducible.
    The returned model is the one fitted on the training areas; its ``error`` has ``median_abs`` and ``p90_abs``
    (minutes) on held-back pairs, and ``n_train`` / ``n_test`` (pairs).
    """
    pairs = calibration_pairs(areas)
    codes = np.array(sorted(pairs["area"].unique()))
    rng = np.random.default_rng(seed)
    test_codes = set(rng.choice(codes, size=int(round(holdout * len(codes))), replace=False))
    is_test = pairs["area"].isin(test_codes).to_numpy()
    model = fit(pairs[~is_test])
    test = pairs[is_test]
    err = np.abs(model.minutes(test["km"].to_numpy(), test["group"].to_numpy()) - test["minutes"].to_numpy())
    error = {"median_abs": float(np.median(err)), "p90_abs": float(np.percentile(err, 90)),
             "n_train": float((~is_test).sum()), "n_test": float(is_test.sum())}
    return TravelModel(intercept=model.intercept, per_km=model.per_km, error=error)


#: The most cells (areas x destinations) of a travel-minutes matrix built in memory: 50 million cells take about
#: 1.2 GB while they are built (three float64 arrays). The largest English authority has about 1,500 areas, so
#: even every area centroid as a candidate site (2.3 million cells) is far below it; a national file is not.
MAX_MATRIX_CELLS = 50_000_000


def model_minutes(model: TravelModel, areas: pd.DataFrame, points: pd.DataFrame, *,
                  source: str = "travel minutes", what: str = "destinations",
                  instead: str | None = None) -> pd.DataFrame:
    """Minutes from every area (rows, indexed by area code) to every point (columns, indexed by id).

    ``areas`` needs ``x``, ``y``, ``rural_urban``; ``points`` needs ``x``, ``y`` (EPSG:27700 metres). Points with
    no location (NaN) get NaN minutes: they are reported, never placed. A matrix of more than
    :data:`MAX_MATRIX_CELLS` cells is refused before any memory is taken: an :class:`InputError` naming ``source``,
    ``what`` the points are and what to do ``instead`` (default: give fewer of them).
    """
    cells = len(areas) * len(points)
    if cells > MAX_MATRIX_CELLS:
        raise InputError(source, [
            f"{len(areas):,} areas x {len(points):,} {what} make a travel-minutes matrix of {cells:,} cells "
            f"(about {cells * 24 / 1e9:,.0f} GB to build), above the {MAX_MATRIX_CELLS:,} clusterplan builds in "
            f"memory; plan one authority at a time (`clusterplan batch` runs each in turn; the largest English "
            f"authority has about 1,500 areas), or {instead or f'give fewer {what}'}"])
    ax, ay = areas["x"].to_numpy()[:, None], areas["y"].to_numpy()[:, None]
    km = np.hypot(ax - points["x"].to_numpy()[None, :], ay - points["y"].to_numpy()[None, :]) / 1000.0
    groups = areas["rural_urban"].map(rural_urban_group).to_numpy()[:, None]
    minutes = model.minutes(km, groups)
    return pd.DataFrame(minutes, index=areas.index, columns=points.index)


#: The columns of a long travel-minutes table, by our name.
COLUMNS = ("area", "destination", "minutes")


def column_problems(mapping: dict[str, str] | None) -> list[str]:
    """What is wrong with a column mapping for a travel-minutes table (ours -> yours): unknown keys, a blank
    column name, two of ours reading one column. Empty when it is usable."""
    mapping = mapping or {}
    bad = sorted(set(mapping) - set(COLUMNS))
    if bad:
        return [f"unknown key(s) {bad}; the keys are area, destination and minutes (our name -> your column)"]
    blank = sorted(k for k, c in mapping.items() if not str(c).strip())
    if blank:
        return [f"no column named for {blank}; give your column's name"]
    cols = {**{c: c for c in COLUMNS}, **mapping}
    twice = sorted({c for c in cols.values() if list(cols.values()).count(c) > 1})
    if twice:
        ours = [k for k, c in cols.items() if c in twice]
        return [f"{' and '.join(ours)} would both read column {twice[0]!r}; each needs a column of its own"]
    return []


def read_long_minutes(path: str | Path, *, origin: str = "area", destination: str = "destination",
                      minutes: str = "minutes", what: str = "travel minutes") -> tuple[pd.DataFrame, list[str]]:
    """A long table of travel minutes (CSV or Excel: one row per origin area and destination), checked row by row.

    Returns the table, with columns ``area``, ``destination`` (text, stripped), ``minutes`` (float) and ``row`` (the
    file's row), and its problems: non-numeric, negative or infinite minutes, blank codes and repeated pairs, by row,
    for the caller to report with its own (one :class:`InputError`; nothing is dropped). Missing columns raise at once.
    """
    name = str(path)
    df = read_table(path, what, text=(origin, destination))
    df.columns = [str(c).strip() for c in df.columns]
    problems = [f"missing column '{c}' ({found_columns(df)})"
                for c in (origin, destination, minutes) if c not in df.columns]
    if problems:
        raise InputError(name, problems)
    rows = pd.Series(df.attrs.get("row", {}), dtype=object).reindex(df.index).fillna(-1).astype(int)
    vals = pd.to_numeric(df[minutes], errors="coerce")
    codes = {c: df[c].map(lambda v: "" if pd.isna(v) else str(v).strip()) for c in (origin, destination)}
    by_row = []   # (file row, problem), reported in the file's order
    for c, col in codes.items():
        for i in df.index[col == ""][:20]:
            by_row.append((rows[i], f"row {rows[i]}, column '{c}': empty; expected "
                                    + ("an area code" if c == origin else "a centre or site")))
    for i in df.index[vals.isna()][:20]:
        by_row.append((rows[i], f"row {rows[i]}, column '{minutes}': expected a number of minutes, found "
                                f"{df.at[i, minutes]!r}"))
    for i in df.index[(vals < 0) | np.isinf(vals)][:20]:
        by_row.append((rows[i], f"row {rows[i]}, column '{minutes}': expected minutes >= 0 and finite, found "
                                f"{vals[i]:g}"))
    problems += [text for _, text in sorted(by_row, key=lambda t: t[0])]
    out = pd.DataFrame({"area": codes[origin], "destination": codes[destination], "minutes": vals, "row": rows})
    dup = out.duplicated(["area", "destination"], keep=False) & (out["area"] != "") & (out["destination"] != "")
    if dup.any():
        first = out[dup].iloc[0]
        again = out.loc[dup & (out["area"] == first["area"]) & (out["destination"] == first["destination"]), "row"]
        problems.append(f"rows {', '.join(map(str, again.tolist()[:5]))}: duplicate pair ({first['area']}, "
                        f"{first['destination']}); {int(dup.sum())} rows repeat a pair in all")
    return out.reset_index(drop=True), problems


def wide_minutes(long: pd.DataFrame, area_codes: pd.Index, destinations: pd.Index, source: str) -> pd.DataFrame:
    """The areas x destinations matrix of a :func:`read_long_minutes` table whose destinations are ids; every area
    needs a time to every destination (an :class:`InputError` counts and shows the missing pairs)."""
    wide = long.pivot(index="area", columns="destination", values="minutes")
    wide = wide.reindex(index=pd.Index(area_codes, dtype=object), columns=[str(d) for d in destinations])
    if wide.isna().to_numpy().any():
        missing = wide.isna().stack()
        first = missing[missing].index[:5].tolist()
        raise InputError(source, [f"{int(missing.sum())} (area, destination) pair(s) have no minutes, e.g. {first}; "
                                  "every area needs a time to every destination"])
    wide.index, wide.columns = area_codes, destinations
    return wide.astype(float)


def read_matrix(path: str | Path, area_codes: pd.Index, destinations: pd.Index, *,
                origin: str = "area", destination: str = "destination", minutes: str = "minutes") -> pd.DataFrame:
    """Read a user's travel-time matrix (long CSV or Excel: one row per origin area and destination, minutes) as
    areas x destinations.

    Every area in ``area_codes`` must have a row to every destination in ``destinations``; unknown codes, missing
    pairs, duplicates and negative, infinite or non-numeric minutes are reported together in one :class:`InputError`.
    (:meth:`clusterplan.Geography.with_travel_file` reads one naming centres by id or name, and sites.)
    """
    name = str(path)
    long, problems = read_long_minutes(path, origin=origin, destination=destination, minutes=minutes)
    unknown_o = sorted(set(long["area"]) - set(map(str, area_codes)) - {""})
    if unknown_o:
        problems.append(f"column '{origin}': {len(unknown_o)} unknown area code(s), e.g. {unknown_o[:5]}")
    unknown_d = sorted(set(long["destination"]) - set(map(str, destinations)) - {""})
    if unknown_d:
        problems.append(f"column '{destination}': {len(unknown_d)} unknown destination(s), e.g. {unknown_d[:5]}")
    if problems:
        raise InputError(name, problems)
    return wide_minutes(long, area_codes, destinations, name)


# ---------------------------------------------------------------------- the shipped calibration
def _shipped_csv(name: str, **kwargs) -> pd.DataFrame:
    with (resources.files("clusterplan") / "data" / "norfolk" / name).open("rb") as f:
        return pd.read_csv(f, **kwargs)


def norfolk_calibration_areas() -> pd.DataFrame:
    """Norfolk's LSOAs as the calibration needs them: population-weighted centroid (``x``, ``y``, EPSG:27700
    metres, from the shipped ONS lon/lat) and 2011 rural-urban class (``rural_urban``)."""
    import geopandas as gpd
    c = _shipped_csv("norfolk_lsoa11_population_weighted_centroids.csv", index_col="lsoa11cd")
    pts = gpd.GeoSeries(gpd.points_from_xy(c["lon"], c["lat"]), index=c.index, crs="EPSG:4326").to_crs(27700)
    ru = _shipped_csv("norfolk_lsoa11_rural_urban_2011.csv", index_col="LSOA11CD")
    return pd.DataFrame({"x": pts.x, "y": pts.y, "rural_urban": ru["RUC11CD"].reindex(c.index)})


@lru_cache(maxsize=1)
def norfolk_model() -> TravelModel:
    """The travel model calibrated on Norfolk's real modelled road minutes (70% of areas), with held-back error:
    the default for geographies built without a model of their own."""
    return calibrate(norfolk_calibration_areas())
