"""Run independent jobs (sweep variants, batch authorities) in worker processes, or solves of models already
built in this process on threads (:func:`thread_map`), safely interruptible.

:func:`map_jobs` is the one entry point: local worker processes by default (:func:`local_map`), or Dask distributed
(:func:`dask_map`) on a cluster's scheduler address or on a ``LocalCluster`` started here. A job is a plain value
and ``fn`` a module-level function, so every executor runs the same code on the same inputs and gives the same
results; only the order in which they finish differs.

Local workers are *spawned*, not forked: a forked child inherits HiGHS's threads mid-state and can deadlock. Workers
ignore Ctrl-C; the parent catches it, terminates them and removes the temporary folders they were writing, so an
interrupted sweep leaves only complete variant folders behind (each is moved into place atomically by
:func:`run.write`) and resumes where it stopped.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from functools import partial
from typing import Any

from .errors import ScenarioError


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


def dask_map(fn: Callable[[Any], Any], jobs: Iterable[Any], *, scheduler: str = "local",
             workers: int = 2) -> Iterator[Any]:
    """Yield ``fn(job)`` for every job, in the order they finish, on Dask distributed.

    ``scheduler``: ``"local"`` starts a ``LocalCluster`` of ``workers`` single-threaded worker processes on this
    machine (closed afterwards); anything else is a scheduler address (``tcp://host:8786``) of a running cluster,
    whose workers need clusterplan (and the data the jobs name) installed. On Ctrl-C the jobs are cancelled.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ScenarioError("Dask is not installed: pip install 'clusterplan[dask]' (or 'dask[distributed]') to "
                            "use --dask / --scheduler") from None
    jobs = list(jobs)
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScenarioError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({exc}); expected "
                                "an address such as tcp://10.0.0.5:8786 of a running `dask scheduler`") from None
    futures = []
    try:
        futures = client.map(fn, jobs, pure=False)
        for fut in as_completed(futures):
            yield fut.result()
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_jobs(fn: Callable[[Any], Any], jobs: Iterable[Any], *, workers: int = 2,
             scheduler: str | None = None) -> Iterator[Any]:
    """Yield ``fn(job)`` for every job as they finish: on local worker processes (``scheduler=None``), on a Dask
    ``LocalCluster`` (``"local"``) or on the Dask scheduler at an address. On this machine's workers, each job's
    solves share the cores with the others (:func:`solver_threads`) unless its scenario sets ``solver.threads``."""
    threads = solver_threads(workers, scheduler)
    if threads is not None:
        fn = partial(_with_threads, fn, threads)
    if scheduler is None:
        return local_map(fn, jobs, workers=workers)
    return dask_map(fn, jobs, scheduler=scheduler, workers=workers)


def _with_threads(fn: Callable[[Any], Any], threads: int, job: Any) -> Any:
    """``fn(job)`` in a worker whose solves take ``threads`` solver threads unless their scenario sets its own."""
    from .solvers import set_default_threads
    set_default_threads(threads)
    return fn(job)


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def solver_threads(workers: int, scheduler: str | None) -> int | None:
    """Solver threads for each of ``workers`` jobs running at once on this machine (local processes or a Dask
    ``LocalCluster``): this machine's cores shared among them, at least 1. None (the solver's own default, every
    core) where jobs run one at a time or on another machine's workers (a scheduler address). HiGHS's worker threads
    wait busily: two jobs each taking both cores of a 2-core machine slowed HiGHS's presolve of a wide set-packing
    model threefold and past its time limit (benchmarks/README.md)."""
    if workers <= 1 or scheduler not in (None, "local"):
        return None
    return max(1, cores() // workers)


def describe(workers: int, scheduler: str | None) -> str:
    """Where the jobs run, in words."""
    if scheduler is None:
        return f"{workers} local worker process(es)"
    if scheduler == "local":
        return f"a Dask LocalCluster of {workers} worker process(es)"
    return f"the Dask scheduler at {scheduler}"


def threads_used(threads: int | None) -> int:
    """The solver threads a solve asking for ``threads`` (``solver.threads``) runs on: its own if set, else this
    process's default (:func:`clusterplan.solvers.threads_for`: a batch worker's share of the cores), else the
    machine's cores (the solver's default)."""
    from .solvers import threads_for
    return threads_for(threads) or cores()


def side_by_side(threads: int | None, jobs: int) -> int:
    """How many solves to run at once on threads: as many as a solve's threads (:func:`threads_used`), at most one
    per job and at least one."""
    return max(1, min(jobs, threads_used(threads)))


def thread_map(fn: Callable[[Any, Any], Any], jobs: Sequence[Any], holders: Sequence[Any]) -> list[Any]:
    """``[fn(holder, job) for job in jobs]`` run on one thread per holder (a built solver model, say), each holder
    used by one job at a time; results in the order of ``jobs``, whichever finishes first. For jobs that spend their
    time in HiGHS, which releases the GIL. On Ctrl-C (or an error in a job) every HiGHS solve running in this process
    is stopped (:func:`clusterplan.solvers.cancel_running`), the jobs not started are dropped, and the exception is
    raised again once the threads have stopped."""
    from .solvers import allow_solves, cancel_running
    free: queue.SimpleQueue = queue.SimpleQueue()
    for h in holders:
        free.put(h)

    def run(job):
        holder = free.get()
        try:
            return fn(holder, job)
        finally:
            free.put(holder)

    try:
        with ThreadPoolExecutor(max_workers=max(1, len(holders)), thread_name_prefix="clusterplan-solve") as pool:
            futures = [pool.submit(run, job) for job in jobs]
            try:
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                failed = [f for f in futures if f in done and f.exception() is not None]
                if failed:   # now, not when the jobs before it have finished
                    raise failed[0].exception()
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                cancel_running()
                raise
    finally:
        allow_solves()


def thread_jobs(fn: Callable[[Any], Any], jobs: Sequence[Any], *, workers: int) -> list[Any]:
    """``[fn(job) for job in jobs]`` on ``workers`` threads (:func:`thread_map`), such as whole solves of scenario
    variants: worker processes would need the caller's script to guard its ``__main__``."""
    if workers <= 1:
        return [fn(job) for job in jobs]
    return thread_map(lambda _, job: fn(job), jobs, list(range(workers)))
