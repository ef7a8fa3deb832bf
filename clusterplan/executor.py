"""Run independent jobs (sweep variants) in worker processes, safely interruptible.

Workers are *spawned*, not forked: a forked child inherits HiGHS's threads mid-state and can deadlock. Workers ignore
Ctrl-C; the parent catches it, terminates them and removes the temporary folders they were writing, so an interrupted
sweep leaves only complete variant folders behind (each is moved into place atomically by :func:`run.write`) and
resumes where it stopped.
"""

from __future__ import annotations

import multiprocessing
import shutil
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def local_map(fn: Callable[[Any], Any], jobs: Iterable[Any], *, workers: int = 2) -> Iterator[Any]:
    """Yield ``fn(job)`` for every job, in the order they finish, on ``workers`` spawned processes (1 = in this
    process). ``fn`` must be importable (a module-level function). On Ctrl-C the workers are terminated and
    :class:`KeyboardInterrupt` is raised again."""
    jobs = list(jobs)
    if workers <= 1:
        for job in jobs:
            yield fn(job)
        return
    pool = multiprocessing.get_context("spawn").Pool(processes=workers, initializer=_ignore_sigint)
    try:
        yield from pool.imap_unordered(fn, jobs)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def remove_partial(out: str | Path) -> list[Path]:
    """Delete the temporary folders (``.<name>.<random>``) an interrupted writer left in ``out``; returns them."""
    out = Path(out)
    gone = [p for p in out.glob(".*.*") if p.is_dir()] if out.exists() else []
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone
