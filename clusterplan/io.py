"""Files out, and plan folders in and out: output folders that never destroy what a user owns, atomic writes,
manifests, and writing, reading and re-checking plan folders. (Input files are checked by
:mod:`clusterplan.validation`.)

The rules every command that writes follows (checked before anything is solved):

- ``--out`` must be absent, an empty folder, or a folder clusterplan wrote (its ``manifest.json`` says
  ``"written_by": "clusterplan"``). Anything else is refused with :class:`OutputError`, naming the folder and why.
- ``--out`` is never an input file, nor a folder holding one (the scenario, ``extends`` parents, data files).
- The nearest existing folder on the way to ``--out`` must be writable.
- A folder clusterplan replaces whole (a plan, alternatives, ensemble, Pareto or sensitivity folder) must hold only
  what clusterplan wrote there (its manifest lists the names, :data:`FILES_KEY`): a file a person added since
  (notes, an edited copy of a table) would go with the old folder, so the folder is refused, naming it.

A folder is written into a temporary folder beside it (``.<name>.cp-tmp.<host>.<pid>.<random>``) and moved into
place only when complete, under a lock on the parent folder, so concurrent writers of one ``--out`` are serialised
and an interrupted run never leaves a half-written plan. Temporary folders of a run that was killed (its process is
gone) are removed by the next writer. Folders are created readable by the group, as the umask allows.

Plan folders (:func:`write_plan`, :func:`read_plan`, :func:`check_dir`) hold ``assignment.csv`` (area, centre,
cluster; with family hubs also service_point, service_minutes), ``centres.csv`` (centre, name, status, merged_into,
reach, cluster, ...), ``clusters.csv``, ``lots.csv``, ``bundles.csv`` (market bundles), ``spokes.csv`` (family
hubs) and ``why.csv`` where there are any, ``metrics.json``, ``manifest.json`` (status, objective, bound, gap,
solver and version, time limit, run seconds, input hashes, the resolved scenario), ``plan.gpkg`` (areas,
catchments, centres; spokes and their links to hubs), ``report.html`` and ``report.xlsx``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from .cells import excel_safe, from_excel_safe
from .check import check, check_written
from .datasets import geography_for
from .errors import InputError, OutputError, ScenarioError, count_of, first_of, stop_if_terminated
from .geography import Geography
from .measures import facility_points
from .plan import Plan, SolveReport, Status, input_hash
from .report import write_html, write_xlsx
from .scenario import Scenario
from .solvers import LAST_STEP_SECONDS, package_version
from .validation import other_separator

MANIFEST = "manifest.json"
MARK = "clusterplan"
#: The manifest key listing the names a folder replaced whole holds as clusterplan wrote it (the manifest aside).
FILES_KEY = "files"
#: Kinds of folder written whole and moved into place (:func:`atomic_folder`), so that a re-run replaces them whole.
REPLACED_WHOLE = ("plan", "alternatives", "ensemble", "pareto", "sensitivity")
#: Every name clusterplan writes into a folder it replaces whole: what such a folder written before manifests listed
#: their files (:data:`FILES_KEY`) may hold without a person having added it.
KNOWN_OUTPUTS = frozenset({
    MANIFEST, "assignment.csv", "centres.csv", "clusters.csv", "lots.csv", "bundles.csv", "spokes.csv", "why.csv",
    "metrics.json", "plan.gpkg", "report.html", "report.xlsx", "alternatives.csv", "ensemble.csv", "ensemble.png",
    "summary.json", "centres_front.csv", "deprived_front.csv", "pareto.png", "sensitivity.csv"})
#: What a desktop leaves in a folder a person merely opened (Finder, Explorer, Excel's lock file beside an open
#: workbook): not a person's file, so it does not stop clusterplan replacing its own folder.
DESKTOP_LITTER = re.compile(r"^(\.DS_Store|Thumbs\.db|desktop\.ini|\._.+|~\$.+)$", re.IGNORECASE)
_TMP = "cp-tmp"
_OLD = "cp-old"


def version() -> str:
    """clusterplan's own version."""
    return package_version("clusterplan")


# ---------------------------------------------------------------------- output folders
def read_manifest(folder: str | Path) -> dict | None:
    """The folder's manifest as a dict, or None when it has none or it is not a JSON object."""
    m = Path(folder) / MANIFEST
    try:
        data = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stored_metrics(folder: str | Path) -> dict | None:
    """A written plan's ``metrics.json`` as a dict, or None when the folder is not a whole plan: the file, the
    assignment or the centres table missing, or the metrics damaged or not a JSON object (a resumed sweep or batch
    then runs that plan again instead of trusting it)."""
    folder = Path(folder)
    if not all((folder / f).exists() for f in ("assignment.csv", "centres.csv")):
        return None
    try:
        data = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_ours(folder: str | Path) -> bool:
    """True when ``folder`` was written by clusterplan: its manifest says so (or is an older plan manifest)."""
    man = read_manifest(folder)
    if man is None:
        return False
    return man.get("written_by") == MARK or {"resolved_scenario", "input_hashes"} <= set(man)


def foreign_files(folder: str | Path) -> list[str]:
    """The names in ``folder`` (one clusterplan wrote) that clusterplan did not write there: not listed in its
    manifest (:data:`FILES_KEY`), inside its own folders too (``plan_1/notes.txt``); in a folder written before
    manifests listed them, neither one of :data:`KNOWN_OUTPUTS` nor a folder of clusterplan's. Desktop litter
    (:data:`DESKTOP_LITTER`) does not count. A file clusterplan wrote and someone edited is clusterplan's: a re-run
    replaces it (sweeps and batches re-run a plan whose files are damaged)."""
    folder = Path(folder)
    listed = (read_manifest(folder) or {}).get(FILES_KEY)
    out = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if DESKTOP_LITTER.match(p.name) or p.name == MANIFEST:
            continue
        if isinstance(listed, list):
            if p.name not in listed:
                out.append(p.name)
            elif p.is_dir() and is_ours(p):
                out += [f"{p.name}/{q}" for q in foreign_files(p)]
        elif not (p.name in KNOWN_OUTPUTS or (p.is_dir() and is_ours(p))):
            out.append(p.name)
    return out


def _replacing_would_delete(out: Path, option: str, kind: str) -> OutputError | None:
    """The error for a folder of clusterplan's that a person has since added files to, which replacing it would
    lose."""
    found = foreign_files(out)
    if not found:
        return None
    shown = first_of(found, 5)
    them = "it" if len(found) == 1 else "them"
    return OutputError(f"{option} {out}: clusterplan wrote this {kind} folder, but since then "
                       f"{count_of(len(found), 'file was', 'files were')} added to it ({shown}); "
                       f"replacing the folder would lose {them}. Move {them} out, or choose a new folder")


def refuse_lost_files(folders: Iterable[str | Path], option: str = "--out") -> None:
    """Before any solve of a sweep or batch: raise :class:`OutputError` where a plan folder it will write again
    (each of ``folders`` that exists) holds files a person added since, which replacing it would lose; one line per
    such folder, naming its files. (A refusal at the swap came after that plan's solve.)"""
    lost = [(Path(f), foreign_files(f)) for f in folders if Path(f).is_dir() and is_ours(f)]
    lost = [(f, found) for f, found in lost if found]
    if lost:
        lines = [f"{f.name} ({first_of(found, 5)})" for f, found in lost]
        raise OutputError(f"{option} {lost[0][0].parent}: clusterplan would write "
                          f"{count_of(len(lost), 'plan folder', 'plan folders')} again that files were added to "
                          f"since: {first_of(lines, 5)}; replacing {'it' if len(lost) == 1 else 'them'} would lose "
                          "those files. Move the files out, or choose a new folder")


def _within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


#: Kinds of folder that hold many plans (written one by one, hours of work in a batch): another command's outputs
#: neither replace one nor mix into one, and they go into no other kind of folder.
FOLDERS_OF_PLANS = ("sweep", "batch", "compare", "alternatives", "norfolk")


def prepare_out(out: str | Path, *, inputs: Iterable[str | Path] = (), option: str = "--out",
                kind: str | None = None) -> Path:
    """Check an output folder before any work: absent, empty, or clusterplan's; not an input nor holding one;
    writable; and, with ``kind`` (what the command writes: ``plan``, ``sweep``...), not a folder of another kind
    where either holds many plans (:data:`FOLDERS_OF_PLANS`). Raises :class:`OutputError` (exit 2) naming the
    folder and why. Creates nothing."""
    out = Path(out)
    try:
        where = Path(os.path.abspath(out))
        real = Path(os.path.realpath(out))
        out.exists()
    except (ValueError, OSError) as exc:  # a NUL byte, a name too long for the file system
        raise OutputError(f"{option} {str(out)[:200]!r}: not a usable folder name ({exc})") from None
    for f in inputs:
        if f is None:
            continue
        fp = Path(os.path.realpath(f))
        if _within(fp, real):
            what = "is" if fp == real else "holds"
            raise OutputError(f"{option} {out}: {what} an input of this run ({f}); writing there could destroy it. "
                              "Choose a new folder for the outputs")
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise OutputError(f"{option} {out}: is a file, not a folder; clusterplan writes a folder of outputs and "
                              "never replaces a file. Choose a new folder name")
        entries, ours = _look(out, option)
        if entries and not ours:
            raise OutputError(f"{option} {out}: the folder is not empty and was not written by clusterplan (it "
                              f"holds {first_of(entries, 5)}); clusterplan only replaces its own output folders. "
                              "Choose a new or empty folder")
        if entries is not None and not os.access(out, os.W_OK | os.X_OK):
            raise OutputError(f"{option} {out}: the folder is not writable")
        there = (read_manifest(out) or {}).get("kind") if entries else None
        if kind is not None and there is not None and there != kind and \
                (there in FOLDERS_OF_PLANS or kind in FOLDERS_OF_PLANS):
            held = sum(1 for p in out.iterdir() if p.is_dir() and (read_manifest(p) or {}).get("kind") == "plan")
            what = f"a {there} folder holding {held} plan folder(s)" if there in FOLDERS_OF_PLANS else \
                f"a {there} folder"
            by = {"plan": "run", "compare": "compare` or `clusterplan demo"}.get(there, there)
            raise OutputError(f"{option} {out}: is {what}, written by `clusterplan {by}`; this command writes "
                              f"a {kind} folder, which would replace or mix with it. Choose a new folder, or remove "
                              "that one first")
        if there in REPLACED_WHOLE and kind in REPLACED_WHOLE and (err := _replacing_would_delete(out, option, there)):
            raise err
    _check_writable(where.parent, out, option)
    return out


def _look(out: Path, option: str, tries: int = 3) -> tuple[list[str] | None, bool]:
    """The names in folder ``out`` (None when it is gone) and whether clusterplan wrote it. Another run of the same
    --out may be swapping its own folder in meanwhile (old one renamed away, new one renamed in): a folder gone since
    exists() counts as absent, and one listed but whose manifest then cannot be read is looked at again, so a swap
    between the listing and the manifest is not taken for someone else's folder."""
    for _ in range(tries):
        try:
            entries = sorted(p.name for p in out.iterdir())
        except FileNotFoundError:   # gone since exists(): as if absent (this run writes its own and swaps it in too)
            return None, False
        except OSError as exc:
            raise OutputError(f"{option} {out}: cannot be read ({exc.strerror})") from None
        if not entries or is_ours(out):
            return entries, True
        try:
            again = sorted(p.name for p in out.iterdir())
        except FileNotFoundError:
            return None, False
        except OSError:
            again = None
        if again == entries:        # the same folder still: it is not clusterplan's
            return entries, False
        time.sleep(0.05)
    return entries, False


def _check_writable(folder: Path, out: Path, option: str) -> None:
    """The nearest existing ancestor of ``folder`` must be a writable folder (tested by creating a file there), and
    the first folder to be made below it must be a name the file system accepts (made and removed again)."""
    probe, first = folder, None
    while not probe.exists():
        if probe.parent == probe:
            break
        probe, first = probe.parent, probe
    if not probe.is_dir():
        raise OutputError(f"{option} {out}: {probe} is a file, so no folder can be made inside it")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise OutputError(f"{option} {out}: cannot write in {probe} ({exc.strerror or exc}); choose a writable "
                          "folder") from None
    target = first if first is not None else (Path(os.path.abspath(out)) if not out.exists() else None)
    longest = f".{out.name}.{_OLD}.{_host()}.{os.getpid()}.probe000"  # the longest name a write will make
    for path in (target, folder / longest if first is None else None):
        if path is None:
            continue
        try:
            path.mkdir()
            path.rmdir()
        except OSError as exc:
            if isinstance(exc, FileExistsError) and path is target:
                # another writer of the same folder made it since: the name can be made, and whose folder it is
                # is checked when this run writes (two `run`s of one --out refused each other here)
                continue
            raise OutputError(f"{option} {out}: cannot make the folder {path.name[:80]!r} ({exc.strerror or exc}); "
                              "choose a shorter or simpler name") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _open_to_group(path: Path) -> None:
    """Folders made by mkdtemp are private (0700); give them the mode the umask allows, as mkdir would."""
    try:
        os.chmod(path, 0o777 & ~_umask())
    except OSError:  # pragma: no cover - e.g. a file system without modes
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


_STALE = re.compile(rf"^\.(?P<name>.+)\.(?:{_TMP}|{_OLD})\.(?P<host>[^.]+)\.(?P<pid>\d+)\.")


def remove_stale(folder: str | Path, name: str | None = None, *, include_self: bool = False) -> list[Path]:
    """Remove temporary folders left in ``folder`` by writers on this machine whose process is gone (killed or
    crashed), and with ``include_self`` this process's own (after an interrupt); only those of output ``name``
    when given. Returns what was removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    host, me = _host(), os.getpid()
    gone = []
    for p in folder.iterdir():
        m = _STALE.match(p.name)
        if not m or not p.is_dir() or (name is not None and m["name"] != name) or m["host"] != host:
            continue
        pid = int(m["pid"])
        if (include_self and pid == me) or (pid != me and not _alive(pid)):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
    return gone


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock on the folder itself, so no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no serialisation, the moves below are still atomic
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def marker(kind: str, **extra) -> dict:
    """The manifest fields that say clusterplan wrote a folder, when, and with which version."""
    return {"written_by": MARK, "kind": kind, "clusterplan_version": version(),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"), **extra}


def write_json(path: Path, data: dict) -> None:
    """JSON with two-space indents; values it cannot encode are written as text."""
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


@contextmanager
def atomic_folder(out: str | Path, *, kind: str = "plan") -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; when the block completes, it replaces ``out`` in one move.

    ``out`` is re-checked under the lock: it must be absent or clusterplan's (see :func:`prepare_out`). Without a
    manifest of its own, the folder gets one naming ``kind``. If the block fails or is interrupted, ``out`` is left
    as it was and the temporary folder is removed.
    """
    out = Path(out)
    parent = Path(os.path.abspath(out)).parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale(parent, out.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{_TMP}.{_host()}.{os.getpid()}.", dir=parent))
    _open_to_group(tmp)
    try:
        yield tmp
        stop_if_terminated()  # never move a folder into place after a SIGTERM, even one something swallowed
        man = read_manifest(tmp) or marker(kind)
        write_json(tmp / MANIFEST, {**man, FILES_KEY: sorted(p.name for p in tmp.iterdir() if p.name != MANIFEST)})
        with _locked(parent):
            if out.exists() or out.is_symlink():
                if not out.is_dir() or (any(out.iterdir()) and not is_ours(out)):
                    raise OutputError(f"{out}: appeared while clusterplan was working and was not written by it; "
                                      "nothing was replaced")
                if err := _replacing_would_delete(out, "--out", kind):
                    raise err
                old = parent / f".{out.name}.{_OLD}.{_host()}.{os.getpid()}.{os.urandom(4).hex()}"
                os.replace(out, old)
                os.replace(tmp, out)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_folder(out: str | Path, *, kind: str) -> Path:
    """Make ``out`` (checked by :func:`prepare_out`) a folder clusterplan owns, for outputs written into it one by
    one (compare, sweep, batch): created readable by the group, with a manifest naming ``kind``."""
    out = Path(out)
    if not out.exists():
        out.mkdir(parents=True)
        _open_to_group(out)
    if read_manifest(out) is None:
        write_json(out / MANIFEST, marker(kind))
    remove_stale(out)
    return out


def replace_file(path: Path, write) -> None:
    """Write a file atomically: ``write(tmp_path)`` then one move over ``path``."""
    tmp = path.with_name(f".{path.name}.{_TMP}.{_host()}.{os.getpid()}.part")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> None:
    """A CSV safe to open in Excel (see :func:`excel_safe`)."""
    excel_safe(df).to_csv(path, **kwargs)


# ---------------------------------------------------------------------- plan folders
#: What ``time_limit`` in a manifest means, stated in every manifest.
TIME_LIMIT_IS = ("wall-clock seconds for the whole solve, shared by every MIP, heuristic and stage inside it (a step "
                 f"started after it is spent gets {LAST_STEP_SECONDS:g} s)")


def plan_manifest(plan: Plan, geo: Geography, scn: Scenario) -> dict:
    """What a reader needs to trust and reproduce a plan (``time_limit``: :data:`TIME_LIMIT_IS`)."""
    return {**marker("plan"), "scenario": scn.name, "model": plan.model, **plan.report.to_dict(),
            "time_limit_is": TIME_LIMIT_IS,
            "input_hashes": {"plan_inputs": input_hash(geo, scn), **plan.input_hashes},
            "geography": geo.name, "notes": plan.notes, "data_notes": list(geo.notes),
            "resolved_scenario": scn.model_dump(mode="json")}


def plan_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """The CSV tables of ``plan``'s folder, by file name (:func:`write_plan` writes exactly these)."""
    tables = {"assignment.csv": plan.assignment, "centres.csv": plan.centres}
    if len(plan.clusters):
        tables["clusters.csv"] = plan.clusters
    if len(plan.lots):
        tables["lots.csv"] = plan.lots
    if len(plan.spokes) or "service_point" in plan.assignment.columns:
        tables["spokes.csv"] = plan.spokes
    if len(plan.bundles.columns):  # asked for (tender.bundle_max_lots), even when none fits under the cap
        tables["bundles.csv"] = plan.bundles
    if len(plan.why):
        tables["why.csv"] = plan.why
    return tables


def write_plan(plan: Plan, geo: Geography, scn: Scenario, out: str | Path) -> Path:
    """Write every output of ``plan`` into ``out`` atomically (see "Plan folders" above; ``out`` must be absent, empty
    or a folder clusterplan wrote)."""
    if not isinstance(plan, Plan) or not isinstance(geo, Geography):
        raise TypeError(f"write_plan: expected a plan and its geography (clusterplan.solve(geography, ...)), not "
                        f"{type(plan).__name__} and {type(geo).__name__}")
    scn = Scenario.from_dict(scn)
    with atomic_folder(out, kind="plan") as tmp:
        for name, table in plan_tables(plan).items():
            write_csv(table, tmp / name, index=False)
        write_json(tmp / "metrics.json", plan.metrics)
        write_json(tmp / MANIFEST, plan_manifest(plan, geo, scn))
        _gpkg(plan, geo, tmp / "plan.gpkg")
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
    if len(plan.spokes):
        hubs = facility_points(geo, plan.spokes["hub"].astype(str))
        sp = plan.spokes
        lines = [LineString([(x0, y0), (x1, y1)]) for x0, y0, x1, y1 in
                 zip(sp["x"], sp["y"], hubs["x"], hubs["y"], strict=True)]
        gpd.GeoDataFrame(sp, geometry=gpd.points_from_xy(sp["x"], sp["y"]), crs=geo.areas.crs).to_file(
            path, layer="spokes", driver="GPKG")
        gpd.GeoDataFrame(sp[["spoke", "name", "hub", "hub_name"]], geometry=lines, crs=geo.areas.crs).to_file(
            path, layer="spoke_links", driver="GPKG")


def plan_folders(folder: str | Path) -> list[Path]:
    """The plan folders inside ``folder`` where it is a folder of plans clusterplan wrote (a sweep, batch,
    comparison or alternatives: its manifest's kind is not ``plan``), by name; empty for a plan folder or any
    other folder."""
    man = read_manifest(folder)
    if man is None or man.get("kind") == "plan" or not Path(folder).is_dir():
        return []
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_dir() and (read_manifest(p) or {}).get("kind") == "plan")


def check_dir(out: str | Path) -> tuple[list[str], list[str]]:
    """Re-verify a written plan: (violations, warnings). Every table the folder states is checked against the
    assignment and the inputs (centres.csv, clusters, lots, metrics.json); warnings say when the inputs changed
    since it was written. A folder that cannot be read is an :class:`InputError` naming the file."""
    out = Path(out)
    if not out.is_dir():
        raise InputError(str(out), ["not a folder; expected a plan folder written by `clusterplan run`"])
    kind = (read_manifest(out) or {}).get("kind")
    if kind in ("ensemble", "pareto", "sensitivity"):   # ours, but figures of plans, not plans
        article = "an" if kind[0] in "aeiou" else "a"
        raise InputError(str(out), [f"{article} {kind} folder (written by `clusterplan {kind}`) holds no plan to "
                                    "check: each of its plans passed the checker as it was made; give a plan folder, "
                                    "or a folder of plans (sweep, batch, comparison or alternatives)"])
    problems = [f"missing {f}" for f in ("assignment.csv", "centres.csv", MANIFEST) if not (out / f).exists()]
    if problems:
        raise InputError(str(out), problems + ["expected a folder written by `clusterplan run`"])
    man = _manifest_of(out)
    scn = Scenario.from_dict(man["resolved_scenario"], source=f"{out / MANIFEST}: resolved_scenario")
    try:
        geo = geography_for(scn)
    except InputError as exc:
        raise InputError(f"{exc.source} (an input of the plan in {out}, named by its manifest: restore it, or "
                         "say where it is, to check the plan)", exc.problems) from None
    warnings = []
    stored = man["input_hashes"]
    now = {"plan_inputs": input_hash(geo, scn, like=man["resolved_scenario"], keys=set(stored) - {"plan_inputs"}),
           **geo.fingerprint()}
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


_TABLE_COLUMNS = {"assignment.csv": ("area", "centre", "cluster"), "centres.csv": ("centre", "name", "status"),
                  "lots.csv": ("lot", "centre"), "spokes.csv": ("spoke", "hub"),
                  "bundles.csv": ("bundle", "size", "lots", "centres", "value")}


def read_plan(out: str | Path, man: dict | None = None) -> Plan:
    """A plan written by :func:`write_plan`, read back from its folder (``man``: its manifest, if already parsed).
    A damaged file is an :class:`InputError` naming it."""
    out = Path(out)
    if man is None:
        if not (out / MANIFEST).exists():
            raise InputError(str(out), ["no manifest.json: expected a folder written by `clusterplan run`"])
        man = _manifest_of(out)
    fields = SolveReport.__dataclass_fields__
    try:
        report = SolveReport(**{k: (tuple(v) if k == "notes" else Status(v) if k == "status" and v in
                                    Status._value2member_map_ else v) for k, v in man.items() if k in fields})
    except TypeError as exc:
        raise InputError(str(out / MANIFEST), [f"the solve report is incomplete ({exc}); run the scenario "
                                               "again"]) from None

    def table(name: str, **kw) -> pd.DataFrame:
        path = out / name
        if not path.exists():
            return pd.DataFrame()
        try:
            df = pd.read_csv(path, **kw)
            sep = other_separator(df)   # a plan's table re-saved by Excel in a European locale: semicolons
            df = from_excel_safe(df if sep is None else pd.read_csv(path, sep=sep, **kw))
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
        if not isinstance(metrics, dict):
            raise InputError(str(out / "metrics.json"), [f"expected a JSON object of metric -> value, found a "
                                                         f"{type(metrics).__name__}"])
    try:
        scn = Scenario.from_dict(man["resolved_scenario"], source=f"{out / MANIFEST}: resolved_scenario")
    except ScenarioError:  # an older folder's scenario: the plan is read without it
        scn = None
    return Plan(model=man["model"], scenario_name=man["scenario"], scenario=scn,
                assignment=table("assignment.csv", dtype=str, keep_default_na=False),
                centres=table("centres.csv", keep_default_na=False), report=report, clusters=table("clusters.csv"),
                lots=table("lots.csv"), notes=man.get("notes", []), input_hashes=man["input_hashes"], metrics=metrics,
                why=table("why.csv"), spokes=table("spokes.csv", dtype={"spoke": str, "hub": str, "centre": str},
                                                   keep_default_na=False),
                bundles=table("bundles.csv", dtype={"bundle": str, "lots": str, "centres": str, "names": str},
                              keep_default_na=False))
