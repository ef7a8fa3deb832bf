"""Batch: one scenario over many English upper-tier authorities, one row per authority, resumable.

Each authority's geography comes from the England tables (:mod:`clusterplan.england`); its plan is solved, checked
and written to ``OUT/<code>_<name>/`` exactly as ``clusterplan run`` writes one, and summarised in ``OUT/batch.csv``
(rewritten atomically after every authority). Re-running the same command skips the authorities whose plan folder is
complete and current (the same resolved scenario and the same England tables, by their SHA-256); an authority that
fails (no plan meets the scenario, a solver error) is reported in its row with the reason
and tried again next time; it never stops the batch.

No centre locations are known nationally, so a batch runs the models that plan over area centroids: ``capacity``
(how many centres of at least the floor the geography can support) and ``sites`` with ``sites: area_centroids``
(where an optimal network would stand).
"""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import pandas as pd

from . import england
from . import progress as live
from .errors import ScenarioError
from .executor import describe, map_jobs
from .geography import sha256
from .io import ensure_folder, read_manifest, remove_stale, replace_file, write_csv
from .scenario import Scenario

MODELS = ("capacity", "sites")
COLUMNS = ["authority", "name", "kind", "areas", "under5", "model", "status", "centres", "bound", "gap",
           "seconds", "solver", "time_limit", "folder", "error"]


def folder_name(code: str, name: str) -> str:
    """The plan folder of an authority, e.g. ``E10000020_norfolk``."""
    return f"{code}_{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}"


def scenario_for(base: dict, code: str, data: Path) -> dict:
    """``base`` (a scenario as a plain dict) set to run on authority ``code`` from the England tables in ``data``."""
    out = copy.deepcopy(base)
    geo = out.get("geography") or {}
    out["geography"] = {"builtin": "england", "authority": code, "data": str(data), "sites": "area_centroids",
                        **{k: geo[k] for k in ("links", "barriers") if geo.get(k)}}
    out["name"] = f"{base.get('name', 'scenario')} - {code}"
    return out


def is_current(folder: Path, data: dict, tables: dict[str, str]) -> bool:
    """True when ``folder`` holds a complete plan of scenario ``data`` made from today's England tables (the same
    resolved scenario and the same SHA-256 of every table), so a batch may skip it."""
    man = read_manifest(folder)
    if man is None or not isinstance(man.get("input_hashes"), dict) or not (folder / "centres.csv").exists():
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
    man = json.loads((folder / "manifest.json").read_text())
    centres = pd.read_csv(folder / "centres.csv")
    if "status" in centres.columns:
        centres = centres[~centres["status"].isin(["closed", "amalgamated"])]
    return {**info, "model": man["model"], "status": man["status"], "centres": len(centres),
            "bound": man.get("bound"), "gap": man.get("gap"), "seconds": man.get("seconds"),
            "solver": f"{man.get('solver')} {man.get('solver_version')}", "time_limit": man.get("time_limit"),
            "folder": folder.name, "error": ""}


def _run_authority(job: tuple[dict, dict, str]) -> dict:
    """Worker: solve, check and write one authority; returns its row (with ``error`` set if it failed)."""
    from .run import run, write
    info, data, out = job
    folder = Path(out) / folder_name(info["authority"], info["name"])
    t0 = time.perf_counter()
    try:
        scn = Scenario.from_dict(data, source=f"batch scenario for {info['authority']}")
        plan, geo = run(scn)
        write(plan, geo, scn, folder)
    except Exception as exc:  # noqa: BLE001 - one failed authority is reported, the batch goes on
        from .errors import InfeasibleError
        text = " ".join(str(exc).split())
        status = "infeasible" if isinstance(exc, InfeasibleError) else "failed"
        return {**info, "model": data.get("model"), "status": status, "seconds": round(time.perf_counter() - t0, 1),
                "folder": "", "error": f"{type(exc).__name__}: {text[:500]}"}
    return row_from_folder(folder, info)


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
        from .errors import InputError
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
        raise ScenarioError(f"`model: {model}`: a batch over English authorities plans over area centroids, so the "
                            f"model must be one of {', '.join(MODELS)} without stages or policies (no centre "
                            "locations are known nationally)")
    table = england.authorities(folder)
    codes = resolve_authorities(authorities, table)
    out = Path(out)
    ensure_folder(out, kind="batch")
    tables = {f"file:england:{k}": sha256(folder / f) for k, f in england.FILES.items()}
    for code in codes[:1]:  # fail fast on a malformed scenario, before any worker starts
        Scenario.from_dict(scenario_for(base, code, folder), source="batch scenario")
    rows: dict[str, dict] = {}
    todo, stale = [], 0
    for code in codes:
        r = table.loc[code]
        info = {"authority": code, "name": r["name"], "kind": r["kind"], "areas": int(r["areas"]),
                "under5": int(r["under5"])}
        done = out / folder_name(code, r["name"])
        data_for = scenario_for(base, code, folder)
        if is_current(done, data_for, tables):
            rows[code] = row_from_folder(done, info)
        else:
            stale += read_manifest(done) is not None
            todo.append((info, data_for, str(out)))
    progress(f"{len(codes)} authorities: {len(codes) - len(todo)} already done, {len(todo)} to run on "
             f"{describe(workers, scheduler)}" + (f" ({stale} re-run: their inputs changed)" if stale else ""))
    removed = remove_stale(out)
    if removed:
        progress(f"removed {len(removed)} half-written folder(s) left by an interrupted run")
    try:
        with live.step(f"batch of {len(todo)} authorities"):
            for n, row in enumerate(map_jobs(_run_authority, todo, workers=workers, scheduler=scheduler), start=1):
                rows[row["authority"]] = row
                _write_table(rows, codes, out)
                state = row["error"] or f"{row['status']}, {row['centres']} centres, gap {row['gap'] or 0:.2%}"
                live.best(f"{n} of {len(todo)} done")
                progress(f"[{n}/{len(todo)}] {row['authority']} {row['name']}: {state}")
    except KeyboardInterrupt:
        remove_stale(out, include_self=True)
        progress(f"interrupted: {len(rows)} of {len(codes)} authorities are in {out}/batch.csv; run the same "
                 "command again to resume")
        raise
    return _write_table(rows, codes, out)


def _write_table(rows: dict[str, dict], codes: list[str], out: Path) -> pd.DataFrame:
    table = pd.DataFrame([rows[c] for c in codes if c in rows]).reindex(columns=COLUMNS)
    table["centres"] = table["centres"].astype("Int64")
    replace_file(out / "batch.csv", lambda p: write_csv(table, p, index=False))
    return table
