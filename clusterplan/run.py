"""Run a scenario file end to end: geography, solve, write every output atomically, and re-check written plans.

Outputs in ``DIR``: ``assignment.csv`` (area, centre, cluster), ``centres.csv`` (centre, name, status, merged_into,
reach, cluster, ...), ``clusters.csv`` and ``lots.csv`` where there are any, ``metrics.json``, ``manifest.json``
(status, objective, bound, gap, solver and version, time limit, run seconds, input hashes, the resolved scenario)
and ``plan.gpkg`` (catchments and centres). Everything is written into a temporary folder beside ``DIR`` and moved
into place only when complete, so an interrupted run never leaves a half-written plan.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import corridors, datasets
from .errors import InputError
from .executor import describe, map_jobs, remove_partial
from .geography import Geography
from .plan import Plan
from .scenario import GeographySpec, Scenario
from .solve import input_hash, solve


@lru_cache(maxsize=8)
def _geography(spec_json: str, _stamps: tuple) -> Geography:
    spec = GeographySpec.model_validate_json(spec_json)
    if spec.builtin == "norfolk":
        geo = datasets.norfolk(spec.year)
    elif spec.builtin == "england":
        geo = datasets.england(spec.authority, spec.data)
    else:
        geo = Geography.from_files(areas=spec.areas, boundaries=spec.boundaries, centres=spec.centres,
                                   area_columns=spec.area_columns or None, boundary_code=spec.boundary_code,
                                   centre_columns=spec.centre_columns or None,
                                   sites=spec.sites if spec.sites.lower().endswith(".csv") else "area_centroids",
                                   site_columns=spec.site_columns or None)
    if spec.builtin == "norfolk" and spec.sites.lower().endswith(".csv"):
        geo = geo.with_sites(spec.sites, columns=spec.site_columns or None)
    if spec.links:
        pairs = corridors.read_links(spec.links)
        geo = geo.with_corridors(corridors.add_links(geo.corridors, pairs, geo.areas, source=spec.links),
                                 source=spec.links)
    if spec.barriers:
        layer = _read_layer(spec.barriers, "geography.barriers")
        graph = corridors.remove_barrier_crossings(geo.corridors, geo.areas, layer, source=spec.barriers)
        geo = geo.with_corridors(graph, source=spec.barriers)
    return geo


def _read_layer(path: str, key: str) -> gpd.GeoDataFrame:
    """A geometry file named by scenario key ``key``, or an :class:`InputError` saying what is wrong with it."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, [f"file not found (named by `{key}`); expected a line or polygon file"])
    try:
        return gpd.read_file(p)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file, reported as such
        raise InputError(path, [f"cannot be read as a geometry file (`{key}`): {str(exc).splitlines()[0]}"]) from None


def geography_for(scn: Scenario) -> Geography:
    """The geography a scenario names (cached: the same spec over unchanged files gives the same object; a file
    edited since is read again)."""
    spec = scn.geography
    files = [spec.areas, spec.boundaries, spec.centres, spec.links, spec.barriers,
             spec.sites if spec.sites.lower().endswith(".csv") else None]
    if spec.builtin == "england":
        from . import england
        folder = england.data_folder(spec.data)
        files += [str(folder / f) for f in england.FILES.values()]
    stamps = tuple((f, *_stamp(f)) for f in files if f)
    return _geography(spec.model_dump_json(), stamps)


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def run(scn: Scenario) -> tuple[Plan, Geography]:
    """Solve a scenario on its geography; returns the checked plan and the geography."""
    geo = geography_for(scn)
    return solve(geo, scn), geo


def manifest(plan: Plan, geo: Geography, scn: Scenario) -> dict:
    """What a reader needs to trust and reproduce a plan."""
    return {"scenario": scn.name, "model": plan.model, **plan.report.to_dict(),
            "input_hashes": {"plan_inputs": input_hash(geo, scn), **plan.input_hashes},
            "geography": geo.name, "notes": plan.notes, "resolved_scenario": scn.model_dump(mode="json")}


@contextmanager
def atomic_folder(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; when the block completes, it replaces ``out`` in one move (an
    existing ``out`` is swapped aside first and removed after). If the block fails or is interrupted, ``out`` is
    left as it was and the temporary folder is removed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write(plan: Plan, geo: Geography, scn: Scenario, out: str | Path) -> Path:
    """Write every output of ``plan`` into ``out`` atomically (see the module docstring)."""
    with atomic_folder(out) as tmp:
        plan.assignment.to_csv(tmp / "assignment.csv", index=False)
        plan.centres.to_csv(tmp / "centres.csv", index=False)
        if len(plan.clusters):
            plan.clusters.to_csv(tmp / "clusters.csv", index=False)
        if len(plan.lots):
            plan.lots.to_csv(tmp / "lots.csv", index=False)
        if len(plan.why):
            plan.why.to_csv(tmp / "why.csv", index=False)
        (tmp / "metrics.json").write_text(json.dumps(plan.metrics, indent=2, default=str))
        (tmp / "manifest.json").write_text(json.dumps(manifest(plan, geo, scn), indent=2, default=str))
        _gpkg(plan, geo, tmp / "plan.gpkg")
        from .report import write_html, write_xlsx
        write_html(plan, geo, scn, tmp / "report.html")
        write_xlsx(plan, tmp / "report.xlsx")
    return Path(out)


def _gpkg(plan: Plan, geo: Geography, path: Path) -> None:
    a = plan.assignment.set_index("area")
    catch = geo.areas[["name", "district", "under5", "idaci", "geometry"]].join(a)
    catch = catch.reset_index().rename(columns={"code": "area"})
    catch.to_file(path, layer="areas", driver="GPKG")
    dissolved = catch.dissolve(by="centre", aggfunc={"under5": "sum"}).reset_index()
    dissolved.to_file(path, layer="catchments", driver="GPKG")
    pts = _centre_points(plan, geo)
    if len(pts):
        pts.to_file(path, layer="centres", driver="GPKG")


def _centre_points(plan: Plan, geo: Geography) -> gpd.GeoDataFrame:
    c = plan.centres.copy()
    if plan.model in ("sites", "capacity"):
        homes = c["home_area"]
        xy = geo.sites[["x", "y"]].reindex(c["centre"]).to_numpy() if plan.model == "sites" and \
            c["centre"].isin(geo.sites.index).all() else geo.areas.loc[homes, ["x", "y"]].to_numpy()
    else:
        xy = geo.centres.loc[c["centre"], ["x", "y"]].to_numpy()
    return gpd.GeoDataFrame(c, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def check_dir(out: str | Path) -> tuple[list[str], list[str]]:
    """Re-verify a written plan: (violations, warnings). Warnings say when the inputs changed since it was written."""
    from .check import check
    out = Path(out)
    problems = [f"missing {f}" for f in ("assignment.csv", "centres.csv", "manifest.json") if not (out / f).exists()]
    if problems:
        raise InputError(str(out), problems + ["expected a folder written by `clusterplan run`"])
    man = json.loads((out / "manifest.json").read_text())
    scn = Scenario.from_dict(man["resolved_scenario"], source=f"{out}/manifest.json")
    geo = geography_for(scn)
    warnings = []
    now = {"plan_inputs": input_hash(geo, scn), **geo.fingerprint()}
    changed = sorted(k for k, v in man["input_hashes"].items() if now.get(k) != v)
    if changed:
        warnings.append(f"the inputs changed since this plan was written ({', '.join(changed)}); it is checked "
                        "against today's inputs")
    return check(read_plan(out, man), geo, scn), warnings


def parse_sets(sets: list[str]) -> list[tuple[str, list]]:
    """``["reach.min=500,600", "deprivation.weight=0,1"]`` -> ``[("reach.min", [500, 600]), ...]`` (YAML values)."""
    import yaml

    from .errors import ScenarioError
    out = []
    for item in sets:
        key, eq, values = item.partition("=")
        if not eq or not key or not values:
            raise ScenarioError(f"--set {item!r}: expected KEY=VALUE[,VALUE...], e.g. reach.min=500,600,700")
        out.append((key.strip(), [yaml.safe_load(v) for v in values.split(",")]))
    return out


def variants(base: dict, sets: list[tuple[str, list]]) -> list[tuple[str, dict]]:
    """Every combination of the ``--set`` values applied to ``base`` (validated), with a folder-safe label each."""
    import copy
    import itertools
    import re

    from .scenario import Scenario
    out = []
    for combo in itertools.product(*[v for _, v in sets]):
        data = copy.deepcopy(base)
        parts = []
        for (key, _), value in zip(sets, combo, strict=True):
            node = data
            *path, last = key.split(".")
            for p in path:
                node = node.setdefault(p, {})
            node[last] = value
            parts.append(f"{key}={value}")
        label = re.sub(r"[^A-Za-z0-9_.=-]+", "_", "__".join(parts)) or "base"
        data["name"] = f"{base.get('name', 'scenario')} [{', '.join(parts)}]"
        Scenario.from_dict(data, source=f"--set {', '.join(parts)}")  # fail fast, before any run
        out.append((label, data))
    return out


def _run_variant(job: tuple[str, dict, str]) -> tuple[str, dict]:
    from .scenario import Scenario
    label, data, out = job
    scn = Scenario.from_dict(data)
    try:
        plan, geo = run(scn)
    except Exception as exc:  # noqa: BLE001 - one failed variant is reported, the sweep goes on
        return label, {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    write(plan, geo, scn, Path(out) / label)
    return label, plan.metrics


def sweep(base: dict, sets: list[str], out: str | Path, *, workers: int = 2, scheduler: str | None = None,
          progress=print) -> pd.DataFrame:
    """Run every variant in worker processes (local, or Dask with ``scheduler``: see :func:`executor.map_jobs`),
    skipping those already written (so a sweep resumes where it stopped). Returns one row per variant, also written
    to ``out/sweep.csv``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo, rows = [], {}
    jobs = variants(base, parse_sets(sets))
    for label, data in jobs:
        done = out / label / "metrics.json"
        if done.exists():
            rows[label] = json.loads(done.read_text())
        else:
            todo.append((label, data, str(out)))
    progress(f"{len(jobs)} variants: {len(jobs) - len(todo)} already done, {len(todo)} to run on "
             f"{describe(workers, scheduler)}")
    removed = remove_partial(out)
    if removed:
        progress(f"removed {len(removed)} half-written folder(s) left by an interrupted run")
    try:
        finished = map_jobs(_run_variant, todo, workers=workers, scheduler=scheduler)
        for n, (label, metrics) in enumerate(finished, start=1):
            rows[label] = metrics
            state = metrics.get("error") or metrics.get("solver status")
            progress(f"[{n}/{len(todo)}] {label}: {state}")
    except KeyboardInterrupt:
        remove_partial(out)
        progress(f"interrupted: {len(rows)} of {len(jobs)} variants are complete in {out}; run the same command "
                 "again to resume")
        raise
    table = pd.DataFrame.from_dict({k: rows[k] for k, _ in jobs}, orient="index")
    table.index.name = "variant"
    tmp = out / ".sweep.csv.part"
    table.to_csv(tmp)
    os.replace(tmp, out / "sweep.csv")
    return table


def run_or_reuse(scn: Scenario, out: str | Path) -> tuple[Plan, Geography, bool]:
    """Reuse the plan written in ``out`` when its inputs (scenario and geography hashes) are unchanged and it
    still passes the checker; otherwise solve and write it. Returns (plan, geography, reused)."""
    out = Path(out)
    geo = geography_for(scn)
    man_path = out / "manifest.json"
    if man_path.exists():
        man = json.loads(man_path.read_text())
        if man.get("input_hashes", {}).get("plan_inputs") == input_hash(geo, scn):
            violations, _ = check_dir(out)
            if not violations:
                plan = read_plan(out, man)
                return plan, geo, True
    plan = solve(geo, scn)
    write(plan, geo, scn, out)
    return plan, geo, False


def read_plan(out: str | Path, man: dict | None = None) -> Plan:
    """A plan written by :func:`write`, read back from its folder (``man``: its manifest, if already parsed)."""
    out = Path(out)
    if man is None:
        if not (out / "manifest.json").exists():
            raise InputError(str(out), ["no manifest.json: expected a folder written by `clusterplan run`"])
        man = json.loads((out / "manifest.json").read_text())
    from .plan import SolveReport
    fields = SolveReport.__dataclass_fields__
    report = SolveReport(**{k: (tuple(v) if k == "notes" else v) for k, v in man.items() if k in fields})

    def table(name: str, **kw) -> pd.DataFrame:
        return pd.read_csv(out / name, **kw) if (out / name).exists() else pd.DataFrame()

    metrics = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").exists() else {}
    return Plan(model=man["model"], scenario_name=man["scenario"],
                assignment=table("assignment.csv", dtype=str, keep_default_na=False),
                centres=table("centres.csv", keep_default_na=False), report=report, clusters=table("clusters.csv"),
                lots=table("lots.csv"), notes=man.get("notes", []), input_hashes=man["input_hashes"], metrics=metrics,
                why=table("why.csv"))
