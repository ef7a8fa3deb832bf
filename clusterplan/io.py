"""Files in and out: safe input files, output folders that never destroy what a user owns, atomic writes.

The rules every command that writes follows (checked before anything is solved):

- ``--out`` must be absent, an empty folder, or a folder clusterplan wrote (its ``manifest.json`` says
  ``"written_by": "clusterplan"``). Anything else is refused with :class:`OutputError`, naming the folder and why.
- ``--out`` is never an input file, nor a folder holding one (the scenario, ``extends`` parents, data files).
- The nearest existing folder on the way to ``--out`` must be writable.

A folder is written into a temporary folder beside it (``.<name>.cp-tmp.<host>.<pid>.<random>``) and moved into
place only when complete, under a lock on the parent folder, so concurrent writers of one ``--out`` are serialised
and an interrupted run never leaves a half-written plan. Temporary folders of a run that was killed (its process is
gone) are removed by the next writer. Folders are created readable by the group, as the umask allows.

Input files are checked before they are read or hashed: present, a regular file (not a folder, a pipe or a device),
readable, and no larger than :data:`MAX_INPUT_BYTES`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .errors import InputError, OutputError

MANIFEST = "manifest.json"
MARK = "clusterplan"
#: Largest input file read (bytes); set CLUSTERPLAN_MAX_INPUT_BYTES to change it.
MAX_INPUT_BYTES = int(os.environ.get("CLUSTERPLAN_MAX_INPUT_BYTES", 2 * 1024**3))
_TMP = "cp-tmp"
_OLD = "cp-old"
#: Characters that make a spreadsheet cell a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def version() -> str:
    """clusterplan's own version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _v
    try:
        return _v("clusterplan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return "unknown"


# ---------------------------------------------------------------------- input files
def input_file(path: str | Path, what: str, *, max_bytes: int | None = None) -> Path:
    """``path`` if it is a readable regular file of at most ``max_bytes``; otherwise :class:`InputError` naming it
    and the role it plays (``what``, e.g. "the areas file")."""
    p = Path(path)
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(str(path), [f"file not found ({what})"]) from None
    except (OSError, ValueError) as exc:
        raise InputError(str(path)[:300], [f"cannot be opened ({what}): {exc}"]) from None
    import stat as _stat
    if _stat.S_ISDIR(st.st_mode):
        raise InputError(str(path), [f"is a folder; expected a file ({what})"])
    if not _stat.S_ISREG(st.st_mode):
        raise InputError(str(path), [f"is not a regular file (a pipe, socket or device); expected a file ({what})"])
    if st.st_size > limit:
        raise InputError(str(path), [f"is {st.st_size:,} bytes, larger than the {limit:,} clusterplan reads "
                                     f"({what}); set CLUSTERPLAN_MAX_INPUT_BYTES to allow more"])
    if not os.access(p, os.R_OK):
        raise InputError(str(path), [f"cannot be read: permission denied ({what})"])
    return p


# ---------------------------------------------------------------------- output folders
def read_manifest(folder: str | Path) -> dict | None:
    """The folder's manifest as a dict, or None when it has none or it is not a JSON object."""
    m = Path(folder) / MANIFEST
    try:
        data = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_ours(folder: str | Path) -> bool:
    """True when ``folder`` was written by clusterplan: its manifest says so (or is an older plan manifest)."""
    man = read_manifest(folder)
    if man is None:
        return False
    return man.get("written_by") == MARK or {"resolved_scenario", "input_hashes"} <= set(man)


def _within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def prepare_out(out: str | Path, *, inputs: Iterable[str | Path] = (), option: str = "--out") -> Path:
    """Check an output folder before any work: absent, empty, or clusterplan's; not an input nor holding one;
    writable. Raises :class:`OutputError` (exit 2) naming the folder and why. Creates nothing."""
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
        try:
            entries = sorted(p.name for p in out.iterdir())
        except OSError as exc:
            raise OutputError(f"{option} {out}: cannot be read ({exc.strerror})") from None
        if entries and not is_ours(out):
            shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
            raise OutputError(f"{option} {out}: the folder is not empty and was not written by clusterplan (it "
                              f"holds {shown}); clusterplan only replaces its own output folders. Choose a new or "
                              "empty folder")
        if not os.access(out, os.W_OK | os.X_OK):
            raise OutputError(f"{option} {out}: the folder is not writable")
    _check_writable(where.parent, out, option)
    return out


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
        if not (tmp / MANIFEST).exists():
            write_json(tmp / MANIFEST, marker(kind))
        with _locked(parent):
            if out.exists() or out.is_symlink():
                if not out.is_dir() or (any(out.iterdir()) and not is_ours(out)):
                    raise OutputError(f"{out}: appeared while clusterplan was working and was not written by it; "
                                      "nothing was replaced")
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


# ---------------------------------------------------------------------- spreadsheet safety
def excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or
    carriage return) are prefixed with an apostrophe, so Excel shows them as text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def from_excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`excel_safe` on a table read back from one of our CSV files."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: v[1:] if isinstance(v, str) and v.startswith("'") and v[1:].startswith(FORMULA_START)
                else v)
    return out


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> None:
    """A CSV safe to open in Excel (see :func:`excel_safe`)."""
    excel_safe(df).to_csv(path, **kwargs)
