"""Batches and sweeps: many plans from one scenario, each written to its own folder, one row per plan, resumable.

A **sweep** (:func:`sweep`) runs every combination of ``--set`` values of one scenario; a **batch** (:func:`batch`)
runs one scenario over many English upper-tier authorities. Both run their jobs in worker processes, skip the jobs
whose folder is complete and current, and clean up after an interrupted run.

Batch:

Each authority's geography comes from the England tables (:mod:`clusterplan.england`); its plan is solved, checked
and written to ``OUT/<code>_<name>/`` exactly as ``clusterplan run`` writes one, and summarised in ``OUT/batch.csv``
(rewritten atomically after every authority). Re-running the same command skips the authorities whose plan folder is
complete and current (the same resolved scenario and the same England tables, by their SHA-256); an authority that
fails (no plan meets the scenario, a solver error) is reported in its row with the reason
and tried again next time; it never stops the batch.

Each authority's own children's centres come from the DfE register (:mod:`clusterplan.england`), so a batch runs
any model: ``amalgamate`` (which of today's centres stay under the floor), ``status_quo``, ``cluster``, ``capacity``
(how many centres of at least the floor the geography can support) and ``sites`` with ``sites: area_centroids``
(where an optimal network would stand).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from . import england, registry
from . import progress as live
from .datasets import geography_for
from .errors import InfeasibleError, InputError, ScenarioError, count_of, one_line
from .executor import describe, map_jobs
from .geography import sha256
from .io import (
    MANIFEST,
    ensure_folder,
    read_manifest,
    refuse_lost_files,
    remove_stale,
    replace_file,
    stored_metrics,
    write_csv,
    write_plan,
)
from .plan import input_hash
from .runner import run
from .scenario import Scenario
from .solvers import NO_USEFUL_GAP

#: The models a batch may run: every model of the registry (each authority has its own centres from the register).
MODELS = tuple(sorted(registry.names()))
COLUMNS = ["authority", "name", "kind", "areas", "under5", "model", "status", "centres_today",
           "centres_below_floor_today", "centres", "bound", "gap", "seconds", "solver", "time_limit", "folder", "error"]


def folder_name(code: str, name: str) -> str:
    """The plan folder of an authority, e.g. ``E10000020_norfolk``."""
    return f"{code}_{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}"


def scenario_for(base: dict, code: str, data: Path) -> dict:
    """``base`` (a scenario as a plain dict) set to run on authority ``code`` from the England tables in ``data``."""
    out = copy.deepcopy(base)
    geo = out.get("geography") or {}
    out["geography"] = {"builtin": "england", "authority": code, "data": str(data), "sites": "area_centroids",
                        **{k: geo[k] for k in ("links", "barriers", "network") if geo.get(k)}}
    out["name"] = f"{base.get('name', 'scenario')} - {code}"
    return out


def authority_is_current(folder: Path, data: dict, tables: dict[str, str]) -> bool:
    """True when ``folder`` holds a complete plan of scenario ``data`` made from today's England tables (the same
    resolved scenario and the same SHA-256 of every table), so a batch may skip it."""
    man = read_manifest(folder)
    if man is None or not isinstance(man.get("input_hashes"), dict) or stored_metrics(folder) is None:
        return False
    stored = man.get("resolved_scenario")
    if not isinstance(stored, dict):
        return False
    try:
        now = Scenario.from_dict(data).dump(like=stored)
    except ScenarioError:
        return False
    if now != stored:
        return False
    return all(man["input_hashes"].get(k) == v for k, v in tables.items())


def row_from_folder(folder: Path, info: dict) -> dict:
    """The batch row of a written plan folder (``info``: the authority's code, name, kind, areas, under5)."""
    man = read_manifest(folder)
    centres = pd.read_csv(folder / "centres.csv")
    if "status" in centres.columns:
        centres = centres[~centres["status"].isin(["closed", "amalgamated"])]
    metrics = stored_metrics(folder) or {}
    return {**info, "model": man["model"], "status": man["status"], "centres": len(centres),
            "centres_today": metrics.get("centres_today"),
            "centres_below_floor_today": metrics.get("centres_below_floor_today"),
            "bound": man.get("bound"), "gap": man.get("gap"), "seconds": man.get("seconds"),
            "solver": f"{man.get('solver')} {man.get('solver_version')}", "time_limit": man.get("time_limit"),
            "folder": folder.name, "error": ""}


def _run_authority(job: tuple[dict, dict, str]) -> tuple[str, dict]:
    """Worker: solve, check and write one authority; returns (its code, its row, with ``error`` set if it
    failed)."""
    info, data, out = job
    folder = Path(out) / folder_name(info["authority"], info["name"])
    t0 = time.perf_counter()
    try:
        scn = Scenario.from_dict(data, source=f"batch scenario for {info['authority']}")
        plan, geo = run(scn)
        write_plan(plan, geo, scn, folder)
    except Exception as exc:  # noqa: BLE001 - one failed authority is reported, the batch goes on
        status = "infeasible" if isinstance(exc, InfeasibleError) else "failed"
        return info["authority"], {**info, "model": data.get("model"), "status": status,
                                   "seconds": round(time.perf_counter() - t0, 1), "folder": "",
                                   "error": one_line(exc)}
    return info["authority"], row_from_folder(folder, info)


def resolve_authorities(names: list[str] | None, table: pd.DataFrame) -> list[str]:
    """Codes of the authorities named (codes or names; ``None`` or ``["all"]`` = all 152); every unknown name is
    reported at once."""
    if not names or [n.lower() for n in names] == ["all"]:
        return list(table.index)
    codes, problems = [], []
    for n in names:
        try:
            codes.append(england.find(n, table))
        except Exception as exc:  # noqa: BLE001 - collect every unknown name
            problems.append(str(exc).split("- ", 1)[-1])
    if problems:
        raise InputError("--authorities", problems)
    return list(dict.fromkeys(codes))


def batch(base: dict, out: str | Path, *, authorities: list[str] | None = None, data: str | Path | None = None,
          workers: int = 2, scheduler: str | None = None, progress=print) -> pd.DataFrame:
    """Run scenario ``base`` (a plain dict, as read from YAML) over ``authorities`` (codes or names; default all
    152) and return one row per authority (also written to ``out/batch.csv``).

    ``data``: the England tables' folder (default ``$CLUSTERPLAN_ENGLAND_DATA``). ``workers``/``scheduler``: where
    the authorities run (see :func:`clusterplan.executor.map_jobs`). Columns: ``areas`` (LSOAs), ``under5``
    (children), ``centres`` (regions in the plan: the network capacity for ``capacity``, centres in the optimal
    network for ``sites``), ``bound`` and ``gap`` (the proven bound and the relative gap to it), ``seconds`` (solver
    wall time), ``status`` (optimal / feasible / infeasible / failed) and ``error`` (why, for the last two).
    """
    folder = england.data_folder(data)
    model = base.get("model", "amalgamate")
    if model not in MODELS or base.get("stages") or base.get("policies"):
        raise ScenarioError(f"`model: {model}`: a batch runs one model over English authorities: one of "
                            f"{', '.join(MODELS)}, without stages or policies (per-district policies name one "
                            "authority's districts)")
    table = england.authorities(folder)
    codes = resolve_authorities(authorities, table)
    out = Path(out)
    ensure_folder(out, kind="batch")
    tables = {f"file:england:{k}": sha256(folder / f) for k, f in england.FILES.items()}
    for code in codes[:1]:  # fail fast on a malformed scenario, before any worker starts
        Scenario.from_dict(scenario_for(base, code, folder), source="batch scenario")
    jobs, again = [], []
    for code in codes:
        r = table.loc[code]
        info = {"authority": code, "name": r["name"], "kind": r["kind"], "areas": int(r["areas"]),
                "under5": None if pd.isna(r["under5"]) else int(r["under5"])}
        done = out / folder_name(code, r["name"])
        data_for = scenario_for(base, code, folder)
        current = authority_is_current(done, data_for, tables)
        jobs.append((code, (info, data_for, str(out)), row_from_folder(done, info) if current else None,
                     why_again(done)))
        if not current:
            again.append(done)
    refuse_lost_files(again)
    rows = run_jobs(jobs, _run_authority, out, what="batch", noun=("authority", "authorities"),
                    workers=workers, scheduler=scheduler, progress=progress,
                    after_each=lambda rows: _write_table(rows, codes, out),
                    state=lambda code, row: f"{code} {row['name']}: " + (
                        row["error"] or f"{row['status']}, {count_of(row['centres'], 'centre', 'centres')}, "
                                         f"{_gap_words(row['gap'])}"))
    return _write_table(rows, codes, out)


def _gap_words(gap: float | None) -> str:
    """An authority's gap on its progress line: "gap 0.04%", or "no bound" where its solve stopped before it had one
    (Dorset's family hubs at 20 s printed "gap 0.00%" for that), or only the trivial one ("gap 100.00%, no useful
    bound": Kent's at 20 s)."""
    if gap is None or pd.isna(gap):
        return "no bound"
    return f"gap {gap:.2%}" + (", no useful bound" if gap >= NO_USEFUL_GAP else "")


def _write_table(rows: dict[str, dict], codes: list[str], out: Path) -> pd.DataFrame:
    table = pd.DataFrame([rows[c] for c in codes if c in rows]).reindex(columns=COLUMNS)
    for col in ("under5", "centres", "centres_today", "centres_below_floor_today"):
        table[col] = table[col].astype("Int64")
    replace_file(out / "batch.csv", lambda p: write_csv(table, p, index=False))
    return table


# ---------------------------------------------------------------------- the resumable job runner
def why_again(folder: Path) -> str | None:
    """Why a job whose folder is there but not current runs again, in words (None: no plan folder there)."""
    if not (folder / MANIFEST).exists():
        return None
    if read_manifest(folder) is None or stored_metrics(folder) is None:
        return "their files were incomplete or damaged"
    return "their inputs changed"


def run_jobs(jobs: list[tuple[str, Any, dict | None, str | None]], worker: Callable[[Any], tuple[str, dict]],
             out: Path, *, what: str, noun: tuple[str, str], state: Callable[[str, dict], str], workers: int = 2,
             scheduler: str | None = None,
             progress=print, after_each: Callable[[dict[str, dict]], Any] | None = None) -> dict[str, dict]:
    """Run the jobs not yet done and return every job's row by key. ``jobs``: ``(key, args, row, again)`` where
    ``row`` is the row of a folder already complete and current (the job is skipped) or None, and ``again`` says why
    a folder that is there runs again (:func:`why_again`; None: none there). ``worker(args) -> (key, row)`` runs in
    a worker process (local, or Dask with ``scheduler``: :func:`clusterplan.executor.map_jobs`). ``after_each(rows)``
    runs after every job (e.g. to rewrite a summary table); ``state(key, row)`` says how a job ended, for its
    progress line. An interrupted run removes its half-written folders and says how to resume.
    """
    rows = {key: row for key, _, row, _ in jobs if row is not None}
    todo = [args for _, args, row, _ in jobs if row is None]
    again = Counter(why for *_, row, why in jobs if row is None and why)
    progress(f"{count_of(len(jobs), *noun)}: {len(jobs) - len(todo)} already done, {len(todo)} to run on "
             f"{describe(workers, scheduler)}"
             + (f" ({'; '.join(f'{n} re-run: {why}' for why, n in sorted(again.items()))})" if again else ""))
    removed = remove_stale(out)
    if removed:
        progress(f"removed {len(removed)} half-written folder(s) left by an interrupted run")
    try:
        with live.step(f"{what} of {count_of(len(todo), *noun)}"):
            for n, (key, row) in enumerate(map_jobs(worker, todo, workers=workers, scheduler=scheduler), start=1):
                rows[key] = row
                if after_each is not None:
                    after_each(rows)
                live.best(f"{n} of {len(todo)} done")
                progress(f"[{n}/{len(todo)}] {state(key, row)}")
    except KeyboardInterrupt:
        remove_stale(out, include_self=True)
        progress(f"interrupted: {len(rows)} of {count_of(len(jobs), *noun)} complete in {out}; run the same command "
                 "again to resume")
        raise
    return rows


# ---------------------------------------------------------------------- sweeps
def parse_sets(sets: list[str]) -> list[tuple[str, list]]:
    """``["reach.min=500,600", "deprivation.weight=0,1"]`` -> ``[("reach.min", [500, 600]), ...]`` (YAML values)."""
    out = []
    for item in sets:
        key, eq, values = item.partition("=")
        if not eq or not key or not values:
            raise ScenarioError(f"--set {item!r}: expected KEY=VALUE[,VALUE...], e.g. reach.min=500,600,700")
        try:
            parsed = [yaml.safe_load(v) for v in split_values(values)]
        except yaml.YAMLError:
            raise ScenarioError(f"--set {item!r}: a value is not valid YAML") from None
        if key.strip() in {k for k, _ in out}:
            raise ScenarioError(f"--set {item!r}: {key.strip()} is given more than once; list all its values in one "
                                f"--set, e.g. {key.strip()}=500,600")
        out.append((key.strip(), parsed))
    return out


def split_values(text: str) -> list[str]:
    """The values of one ``--set``, split at the commas between them and not at those inside brackets or quotes:
    ``[Diss,Harleston],[Diss]`` is two lists of centres."""
    out, depth, quote, start = [], 0, "", 0
    for k, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:k])
            start = k + 1
    return [*out, text[start:]]


def variants(base: dict, sets: list[tuple[str, list]]) -> list[tuple[str, dict]]:
    """Every combination of the ``--set`` values applied to ``base`` (validated), with a folder-safe label each."""
    out = []
    named: dict[str, str] = {}   # folder label -> the settings that made it: two variants may not share a folder
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
        if label in named and named[label] == ", ".join(parts):
            raise ScenarioError(f"--set: {', '.join(parts)} is given twice; give each value once")
        if label in named:
            raise ScenarioError(f"--set: {named[label]} and {', '.join(parts)} would share one folder ({label}); "
                                "give values that differ in more than punctuation")
        named[label] = ", ".join(parts)
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
        return label, {"error": one_line(exc)}
    write_plan(plan, geo, scn, Path(out) / label)
    return label, plan.metrics


def variant_is_current(folder: Path, scn: Scenario) -> bool:
    """True when ``folder`` holds a complete plan of ``scn`` written from today's inputs (same input hash: the
    resolved scenario and every input file), so a sweep may skip it."""
    man = read_manifest(folder)
    if man is None or stored_metrics(folder) is None:
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
    runs, again = [], []
    for label, data in jobs:
        folder = out / label
        current = variant_is_current(folder, Scenario.from_dict(data))
        runs.append((label, (label, data, str(out)), stored_metrics(folder) if current else None,
                     why_again(folder)))
        if not current:
            again.append(folder)
    refuse_lost_files(again)
    rows = run_jobs(runs, _run_variant, out, what="sweep", noun=("variant", "variants"), workers=workers,
                    scheduler=scheduler, progress=progress,
                    state=lambda label, m: f"{label}: {m.get('error') or m.get('solver_status')}")
    table = pd.DataFrame.from_dict({k: rows[k] for k, _ in jobs}, orient="index")
    table.index.name = "variant"
    for key in reversed([k for k, _ in parsed]):  # each variant's settings as columns, first: no parsing labels
        table.insert(0, key, [s[key] for s in settings])
    replace_file(out / "sweep.csv", lambda p: write_csv(table, p))
    return table
