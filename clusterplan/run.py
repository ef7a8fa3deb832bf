"""Run a scenario file end to end: geography, solve, write every output atomically, and re-check written plans.

Outputs in ``DIR``: ``assignment.csv`` (area, centre, cluster), ``centres.csv`` (centre, name, status, merged_into,
reach, cluster, ...), ``clusters.csv`` and ``lots.csv`` where there are any, ``metrics.json``, ``manifest.json``
(status, objective, bound, gap, solver and version, time limit, run seconds, input hashes, the resolved scenario)
and ``plan.gpkg`` (catchments and centres). Everything is written into a temporary folder beside ``DIR`` and moved
into place only when complete, so an interrupted run never leaves a half-written plan.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml

from . import corridors, datasets
from . import progress as live
from .errors import InputError, ScenarioError
from .executor import describe, map_jobs
from .geography import Geography
from .io import (
    MANIFEST,
    atomic_folder,
    ensure_folder,
    from_excel_safe,
    marker,
    read_manifest,
    remove_stale,
    replace_file,
    write_csv,
    write_json,
)
from .measures import facility_points
from .plan import Plan
from .scenario import GeographySpec, Scenario
from .solve import input_hash, solve


@lru_cache(maxsize=8)
def _geography(spec_json: str, _stamps: tuple) -> Geography:
    spec = GeographySpec.model_validate_json(spec_json)
    layers = spec.layers
    sites_file = spec.sites if spec.sites_file else None
    if spec.builtin == "norfolk":
        geo = datasets.norfolk(spec.year)
    elif spec.builtin == "england":
        geo = datasets.england(spec.authority, spec.data)
    else:
        geo = Geography.from_files(areas=spec.areas, boundaries=spec.boundaries, centres=spec.centres,
                                   area_columns=spec.area_columns or None, boundary_code=spec.boundary_code,
                                   centre_columns=spec.centre_columns or None,
                                   sites=sites_file or "area_centroids", site_columns=spec.site_columns or None,
                                   crs=spec.crs, layers=layers or None, adjacency=spec.adjacency)
    if spec.builtin is not None:
        if spec.centres:
            geo = geo.with_centres(spec.centres, columns=spec.centre_columns or None, crs=spec.crs,
                                   layer=layers.get("centres"))
        if sites_file:
            geo = geo.with_sites(sites_file, columns=spec.site_columns or None, crs=spec.crs,
                                 layer=layers.get("sites"))
        if spec.adjacency:
            geo = geo.with_adjacency(spec.adjacency)
    if spec.links:
        pairs = corridors.read_links(spec.links)
        geo = geo.with_corridors(corridors.add_links(geo.corridors, pairs, geo.areas, source=spec.links),
                                 source=spec.links)
    if spec.barriers:
        layer = _read_layer(spec.barriers, "geography.barriers", layers.get("barriers"))
        graph = corridors.remove_barrier_crossings(geo.corridors, geo.areas, layer, source=spec.barriers)
        geo = geo.with_corridors(graph, source=spec.barriers)
    return geo


def _read_layer(path: str, key: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """A geometry file named by scenario key ``key``, or an :class:`InputError` saying what is wrong with it."""
    from .geography import read_table
    df = read_table(path, f"`{key}`", layer=layer)
    if not isinstance(df, gpd.GeoDataFrame):
        raise InputError(path, [f"expected a line or polygon file (`{key}`); found a table without geometry"])
    return df


def geography_for(scn: Scenario) -> Geography:
    """The geography a scenario names (cached: the same spec over unchanged files gives the same object; a file
    edited since is read again)."""
    spec = scn.geography
    files = [f for f in spec.files() if f]
    if spec.builtin == "england":
        from . import england
        folder = england.data_folder(spec.data)
        files += [str(folder / f) for f in england.FILES.values()]
    stamps = tuple((f, *_stamp(f)) for f in files if f)
    return _geography(spec.model_dump_json(), stamps)


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = Path(path).stat()
    except (OSError, ValueError):
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def run(scn: Scenario) -> tuple[Plan, Geography]:
    """Solve a scenario on its geography; returns the checked plan and the geography.

    A guard, not a hope: the plan covers exactly the geography's areas, and a geography given as files is built
    from those files (never from the built-in data)."""
    geo = geography_for(scn)
    plan = solve(geo, scn)
    guard_areas(plan, geo, scn)
    return plan, geo


def guard_areas(plan: Plan, geo: Geography, scn: Scenario) -> None:
    """Raise if the plan's areas are not exactly the geography's, or a files geography did not come from them."""
    spec = scn.geography
    if spec.areas and not any(k == f"areas:{Path(spec.areas).name}" for k in geo.sources):
        raise RuntimeError(f"internal error: the scenario names the areas file {spec.areas} but the geography "
                           f"{geo.name!r} was not built from it")
    planned = set(plan.assignment["area"].astype(str))
    if planned != set(geo.areas.index):
        raise RuntimeError(f"internal error: the plan covers {len(planned)} areas, the input has "
                           f"{len(geo.areas)}; refusing to write it")


def manifest(plan: Plan, geo: Geography, scn: Scenario) -> dict:
    """What a reader needs to trust and reproduce a plan."""
    return {**marker("plan"), "scenario": scn.name, "model": plan.model, **plan.report.to_dict(),
            "input_hashes": {"plan_inputs": input_hash(geo, scn), **plan.input_hashes},
            "geography": geo.name, "notes": plan.notes, "resolved_scenario": scn.model_dump(mode="json")}


def write(plan: Plan, geo: Geography, scn: Scenario, out: str | Path) -> Path:
    """Write every output of ``plan`` into ``out`` atomically (see the module docstring and
    :mod:`clusterplan.io`: ``out`` must be absent or a folder clusterplan wrote)."""
    with atomic_folder(out, kind="plan") as tmp:
        write_csv(plan.assignment, tmp / "assignment.csv", index=False)
        write_csv(plan.centres, tmp / "centres.csv", index=False)
        if len(plan.clusters):
            write_csv(plan.clusters, tmp / "clusters.csv", index=False)
        if len(plan.lots):
            write_csv(plan.lots, tmp / "lots.csv", index=False)
        if len(plan.why):
            write_csv(plan.why, tmp / "why.csv", index=False)
        write_json(tmp / "metrics.json", plan.metrics)
        write_json(tmp / MANIFEST, manifest(plan, geo, scn))
        _gpkg(plan, geo, tmp / "plan.gpkg")
        from .report import write_html, write_xlsx
        write_html(plan, geo, scn, tmp / "report.html")
        write_xlsx(plan, tmp / "report.xlsx", geo)
    return Path(out)


def _gpkg(plan: Plan, geo: Geography, path: Path) -> None:
    a = plan.assignment.set_index("area")
    catch = geo.areas[["name", "district", "under5", "idaci", "geometry"]].join(a)
    catch = catch.reset_index().rename(columns={"code": "area"})
    catch.to_file(path, layer="areas", driver="GPKG")
    dissolved = catch.dissolve(by="centre", aggfunc={"under5": "sum"}).reset_index()
    dissolved.to_file(path, layer="catchments", driver="GPKG")
    if len(plan.centres):
        xy = facility_points(geo, plan.centres["centre"])
        pts = gpd.GeoDataFrame(plan.centres, geometry=gpd.points_from_xy(xy["x"], xy["y"]), crs=geo.areas.crs)
        pts.to_file(path, layer="centres", driver="GPKG")


def check_dir(out: str | Path) -> tuple[list[str], list[str]]:
    """Re-verify a written plan: (violations, warnings). Every table the folder states is checked against the
    assignment and the inputs (centres.csv, clusters, lots, metrics.json); warnings say when the inputs changed
    since it was written. A folder that cannot be read is an :class:`InputError` naming the file."""
    from .check import check, check_written
    out = Path(out)
    if not out.is_dir():
        raise InputError(str(out), ["not a folder; expected a plan folder written by `clusterplan run`"])
    problems = [f"missing {f}" for f in ("assignment.csv", "centres.csv", MANIFEST) if not (out / f).exists()]
    if problems:
        raise InputError(str(out), problems + ["expected a folder written by `clusterplan run`"])
    man = _manifest_of(out)
    scn = Scenario.from_dict(man["resolved_scenario"], source=f"{out / MANIFEST}: resolved_scenario")
    try:
        geo = geography_for(scn)
    except InputError as exc:
        raise InputError(exc.source, [*exc.problems, f"(an input of the plan in {out}, named by its manifest; "
                                      "restore it to check the plan)"]) from None
    warnings = []
    stored = man["input_hashes"]
    now = {"plan_inputs": input_hash(geo, scn, like=man["resolved_scenario"]), **geo.fingerprint()}
    changed = sorted(k for k, v in stored.items() if now.get(k) != v)
    if changed:
        warnings.append(f"the inputs changed since this plan was written ({', '.join(changed)}); it is checked "
                        "against today's inputs")
    plan = read_plan(out, man)
    return check(plan, geo, scn) + check_written(plan, geo, scn), warnings


def _manifest_of(out: Path) -> dict:
    path = out / MANIFEST
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(str(path), ["not UTF-8 text; expected the JSON manifest `clusterplan run` writes"]) from None
    except ValueError as exc:
        raise InputError(str(path), [f"not valid JSON ({exc}); the file is damaged or truncated: run the "
                                     "scenario again to rewrite it"]) from None
    if not isinstance(man, dict):
        raise InputError(str(path), ["expected a JSON object (the manifest `clusterplan run` writes)"])
    missing = [k for k in ("model", "scenario", "status", "input_hashes", "resolved_scenario") if k not in man]
    if missing:
        raise InputError(str(path), [f"missing key(s) {missing}; the manifest is damaged: run the scenario again"])
    if not isinstance(man["input_hashes"], dict) or not isinstance(man["resolved_scenario"], dict):
        raise InputError(str(path), ["`input_hashes` and `resolved_scenario` must be JSON objects"])
    return man


def parse_sets(sets: list[str]) -> list[tuple[str, list]]:
    """``["reach.min=500,600", "deprivation.weight=0,1"]`` -> ``[("reach.min", [500, 600]), ...]`` (YAML values)."""
    out = []
    for item in sets:
        key, eq, values = item.partition("=")
        if not eq or not key or not values:
            raise ScenarioError(f"--set {item!r}: expected KEY=VALUE[,VALUE...], e.g. reach.min=500,600,700")
        try:
            parsed = [yaml.safe_load(v) for v in values.split(",")]
        except yaml.YAMLError:
            raise ScenarioError(f"--set {item!r}: a value is not valid YAML") from None
        out.append((key.strip(), parsed))
    return out


def variants(base: dict, sets: list[tuple[str, list]]) -> list[tuple[str, dict]]:
    """Every combination of the ``--set`` values applied to ``base`` (validated), with a folder-safe label each."""
    out = []
    for combo in itertools.product(*[v for _, v in sets]):
        data = copy.deepcopy(base)
        parts = []
        for (key, _), value in zip(sets, combo, strict=True):
            node = data
            *path, last = key.split(".")
            for p in path:
                node = node.setdefault(p, {})
                if not isinstance(node, dict):
                    raise ScenarioError(f"--set {key}: `{p}` is not a group of keys")
            node[last] = value
            parts.append(f"{key}={value}")
        label = re.sub(r"[^A-Za-z0-9_.=-]+", "_", "__".join(parts)) or "base"
        data["name"] = f"{base.get('name', 'scenario')} [{', '.join(parts)}]"
        Scenario.from_dict(data, source=f"--set {', '.join(parts)}")  # fail fast, before any run
        out.append((label, data))
    return out


def _run_variant(job: tuple[str, dict, str]) -> tuple[str, dict]:
    label, data, out = job
    scn = Scenario.from_dict(data)
    try:
        plan, geo = run(scn)
    except Exception as exc:  # noqa: BLE001 - one failed variant is reported, the sweep goes on
        return label, {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    write(plan, geo, scn, Path(out) / label)
    return label, plan.metrics


def is_current(folder: Path, scn: Scenario) -> bool:
    """True when ``folder`` holds a complete plan of ``scn`` written from today's inputs (same input hash)."""
    man = read_manifest(folder)
    if man is None or not (folder / "metrics.json").exists():
        return False
    try:
        geo = geography_for(scn)
    except Exception:  # noqa: BLE001 - an input that cannot be read now: the variant runs and reports it
        return False
    return man.get("input_hashes", {}).get("plan_inputs") == input_hash(geo, scn)


def sweep(base: dict, sets: list[str], out: str | Path, *, workers: int = 2, scheduler: str | None = None,
          progress=print) -> pd.DataFrame:
    """Run every variant in worker processes (local, or Dask with ``scheduler``: see :func:`executor.map_jobs`),
    skipping those already written from the same inputs (so a sweep resumes where it stopped, and a variant whose
    scenario or input files changed since is run again). Returns one row per variant (its ``--set`` values as the
    first columns, named by their keys, then its metrics), also written to ``out/sweep.csv``."""
    out = Path(out)
    parsed = parse_sets(sets)
    jobs = variants(base, parsed)
    settings = [dict(zip([k for k, _ in parsed], combo, strict=True))
                for combo in itertools.product(*[v for _, v in parsed])]
    ensure_folder(out, kind="sweep")
    todo, rows, stale = [], {}, 0
    for label, data in jobs:
        folder = out / label
        if is_current(folder, Scenario.from_dict(data)):
            rows[label] = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        else:
            stale += (folder / MANIFEST).exists()
            todo.append((label, data, str(out)))
    progress(f"{len(jobs)} variants: {len(jobs) - len(todo)} already done, {len(todo)} to run on "
             f"{describe(workers, scheduler)}" + (f" ({stale} re-run: their inputs changed)" if stale else ""))
    removed = remove_stale(out)
    if removed:
        progress(f"removed {len(removed)} half-written folder(s) left by an interrupted run")
    try:
        with live.step(f"sweep of {len(todo)} variants"):
            finished = map_jobs(_run_variant, todo, workers=workers, scheduler=scheduler)
            for n, (label, metrics) in enumerate(finished, start=1):
                rows[label] = metrics
                state = metrics.get("error") or metrics.get("solver_status")
                live.best(f"{n} of {len(todo)} done")
                progress(f"[{n}/{len(todo)}] {label}: {state}")
    except KeyboardInterrupt:
        remove_stale(out, include_self=True)
        progress(f"interrupted: {len(rows)} of {len(jobs)} variants are complete in {out}; run the same command "
                 "again to resume")
        raise
    table = pd.DataFrame.from_dict({k: rows[k] for k, _ in jobs}, orient="index")
    table.index.name = "variant"
    for key in reversed([k for k, _ in parsed]):  # each variant's settings as columns, first: no parsing labels
        table.insert(0, key, [s[key] for s in settings])
    replace_file(out / "sweep.csv", lambda p: write_csv(table, p))
    return table


def explain(plan: Plan, geo: Geography, scn: Scenario, why: bool | None = None) -> None:
    """Attach the reason behind each amalgamation (:func:`clusterplan.reasons.reasons`) to an amalgamate plan:
    always when ``why`` is True, never when False, and by default (None) whenever centres were amalgamated."""
    if why is False or scn.model != "amalgamate" or scn.policies:
        return
    if not (plan.centres["status"] == "amalgamated").any():
        return
    from .reasons import reasons
    plan.why = reasons(geo, scn, plan)


def run_or_reuse(scn: Scenario, out: str | Path, *, why: bool | None = None) -> tuple[Plan, Geography, bool]:
    """Reuse the plan written in ``out`` when its inputs (scenario and geography hashes) are unchanged and it
    still passes the checker; otherwise solve (explaining amalgamations: see :func:`explain`) and write it.
    Returns (plan, geography, reused)."""
    out = Path(out)
    geo = geography_for(scn)
    man = read_manifest(out)
    if man is not None and man.get("input_hashes", {}).get("plan_inputs") == input_hash(geo, scn):
        try:
            violations, _ = check_dir(out)
        except InputError:
            violations = ["unreadable"]
        if not violations:
            return read_plan(out, man), geo, True
    plan, geo = run(scn)
    explain(plan, geo, scn, why)
    write(plan, geo, scn, out)
    return plan, geo, False


_TABLE_COLUMNS = {"assignment.csv": ("area", "centre", "cluster"), "centres.csv": ("centre", "name", "status"),
                  "lots.csv": ("lot", "centre")}


def read_plan(out: str | Path, man: dict | None = None) -> Plan:
    """A plan written by :func:`write`, read back from its folder (``man``: its manifest, if already parsed).
    A damaged file is an :class:`InputError` naming it."""
    out = Path(out)
    if man is None:
        if not (out / MANIFEST).exists():
            raise InputError(str(out), ["no manifest.json: expected a folder written by `clusterplan run`"])
        man = _manifest_of(out)
    from .plan import SolveReport
    fields = SolveReport.__dataclass_fields__
    try:
        report = SolveReport(**{k: (tuple(v) if k == "notes" else v) for k, v in man.items() if k in fields})
    except TypeError as exc:
        raise InputError(str(out / MANIFEST), [f"the solve report is incomplete ({exc}); run the scenario "
                                               "again"]) from None

    def table(name: str, **kw) -> pd.DataFrame:
        path = out / name
        if not path.exists():
            return pd.DataFrame()
        try:
            df = from_excel_safe(pd.read_csv(path, **kw))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(str(path), [f"cannot be read as a CSV table: {str(exc).splitlines()[0]}"]) from None
        missing = [c for c in _TABLE_COLUMNS.get(name, ()) if c not in df.columns]
        if missing:
            raise InputError(str(path), [f"missing column(s) {missing}; found {list(df.columns)[:10]}"])
        return df

    metrics = {}
    if (out / "metrics.json").exists():
        try:
            metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(str(out / "metrics.json"), [f"not valid JSON ({exc})"]) from None
    return Plan(model=man["model"], scenario_name=man["scenario"],
                assignment=table("assignment.csv", dtype=str, keep_default_na=False),
                centres=table("centres.csv", keep_default_na=False), report=report, clusters=table("clusters.csv"),
                lots=table("lots.csv"), notes=man.get("notes", []), input_hashes=man["input_hashes"], metrics=metrics,
                why=table("why.csv"))
