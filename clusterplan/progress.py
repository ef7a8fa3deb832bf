"""Progress on long work: one live status line (tqdm) on standard error while a solve, a comparison, a sweep or an
analysis runs, so a 120-second run is never silent.

The line shows what is running (nested steps joined by ``>``, e.g. ``compare 2/4 > solving amalgamate``), the
elapsed time against the time limit, and the best plan so far and its gap where the solver reports them. It is off
when standard error is not a terminal (a log file, CI, a notebook's captured output) and with ``--quiet`` or
``solve(..., quiet=True)``; :func:`set_enabled` overrides the choice.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_enabled: bool | None = None
_lock = threading.RLock()
_steps: list[dict] = []
_bar = None
_ticker: threading.Thread | None = None
_quiet = threading.local()   # per thread: solves running on worker threads stay quiet, the caller's line stays


def set_enabled(on: bool | None) -> None:
    """Force the status line on (True) or off (False); None: on when standard error is a terminal."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    """Whether a status line is drawn now."""
    if getattr(_quiet, "depth", 0):
        return False
    if _enabled is not None:
        return _enabled
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def quiet() -> Iterator[None]:
    """No status line inside this block (``solve(..., quiet=True)``), on this thread."""
    _quiet.depth = getattr(_quiet, "depth", 0) + 1
    try:
        yield
    finally:
        _quiet.depth -= 1


def _describe() -> str:
    parts = []
    now = time.monotonic()
    for s in _steps:
        text = s["label"]
        if s.get("limit"):
            text += f" ({now - s['t0']:.0f} s of {s['limit']:g} s)"
        if s.get("best"):
            text += f", {s['best']}"
        parts.append(text)
    return " > ".join(parts)


def _tick() -> None:
    while True:
        time.sleep(0.5)
        with _lock:
            if _bar is None:
                return
            _bar.set_description_str(_describe(), refresh=True)


@contextmanager
def step(label: str, *, limit: float | None = None) -> Iterator[None]:
    """Show ``label`` (and the elapsed time against ``limit`` seconds) while the block runs."""
    global _bar, _ticker
    if not enabled():
        yield
        return
    with _lock:
        _steps.append({"label": label, "limit": limit, "t0": time.monotonic()})
        if _bar is None:
            from tqdm import tqdm
            _bar = tqdm(total=None, file=sys.stderr, bar_format="{desc} [{elapsed}]", leave=False, dynamic_ncols=True)
            _ticker = threading.Thread(target=_tick, daemon=True)
            _ticker.start()
        _bar.set_description_str(_describe(), refresh=True)
    try:
        yield
    finally:
        with _lock:
            _steps.pop()
            if not _steps and _bar is not None:
                _bar.close()
                _bar = None
            elif _bar is not None:
                _bar.set_description_str(_describe(), refresh=True)


def best(text: str) -> None:
    """Report the best plan so far (e.g. ``"72 regions, bound 73"``) on the innermost step."""
    with _lock:
        if _steps and _steps[-1].get("best") != text:
            _steps[-1]["best"] = text
            if _bar is not None:   # shown at once: a step can end before the next tick draws it
                _bar.set_description_str(_describe(), refresh=True)


def items(iterable: Iterable[T], label: str, *, total: int | None = None) -> Iterator[T]:
    """Iterate, showing ``label k/n`` as each item is worked on."""
    seq = list(iterable) if total is None else iterable
    n = total if total is not None else len(seq)
    for k, item in enumerate(seq, start=1):
        with step(f"{label} {k}/{n}"):
            yield item


def write(text: str) -> None:
    """Print a line without breaking the status line (progress messages of sweeps and batches)."""
    with _lock:
        if _bar is not None:
            _bar.clear()
            print(text, flush=True)
            _bar.refresh()
        else:
            print(text, flush=True)
