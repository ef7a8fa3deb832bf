"""One small family of exceptions; all are ``ValueError`` subclasses so callers can catch one type.

Every error names where the problem is (file, row, column or scenario key), what was found and what was expected.
Problems in one input are collected and raised together rather than one at a time.
"""

from __future__ import annotations

import math
import numbers
import re
import threading
from collections.abc import Iterable


def one_line(exc: BaseException, limit: int = 500) -> str:
    """An error on one line for a table cell or a progress line: what kind of error it is, in the command line's
    words ("infeasible", "bad input", "solver", "cannot write"; an error clusterplan does not raise on purpose, a
    bug, is "internal error" with its Python type), and its whole message (every problem, not only the heading
    line), whitespace collapsed, cut at ``limit`` characters."""
    text = " ".join(str(exc).split())
    kind = next((word for cls, word in ((InfeasibleError, "infeasible"), (SolverError, "solver"),
                                        (OutputError, "cannot write"), (InputError, "bad input"),
                                        (ScenarioError, "bad input"), (CheckError, "check")) if isinstance(exc, cls)),
                f"internal error ({type(exc).__name__})")
    return f"{kind}: {text[:limit]}" + ("..." if len(text) > limit else "")


def count_of(n: int, one: str, many: str) -> str:
    """``n`` and the words that agree with it, for messages: ``count_of(1, "centre is", "centres are")`` is
    "1 centre is", ``count_of(3, ...)`` "3 centres are"."""
    return f"{n} {one if n == 1 else many}"


def first_of(items, most: int) -> str:
    """The first ``most`` of ``items`` joined by commas, and how many more there are: "a, b, c and 7 more"."""
    items = list(items)
    extra = len(items) - most
    return ", ".join(map(str, items[:most])) + (f" and {extra} more" if extra > 0 else "")


def holding_words(text: str, choices: dict[str, str]) -> list[str]:
    """For a "did you mean": the keys of ``choices`` (key -> its text, e.g. a centre's id and name) whose text holds
    every word of ``text``, in order, at most four. Case and punctuation aside, apostrophes dropped ("King's" is
    "kings"): "Dereham" finds both Dereham centres, "Norfolk North" North Norfolk."""
    def words(t: str) -> set[str]:
        return set(re.sub(r"[^a-z0-9]+", " ", str(t).lower().replace("'", "").replace("\u2019", "")).split())

    asked = words(text)
    return [k for k, t in choices.items() if asked and asked <= words(t)][:4]


def percent(share: float) -> str:
    """A share (0.25 = 25%) in words, to two decimals: "0.25%"; a positive share too small to show is "under
    0.01%", never "0.00%" (which reads as nothing at all)."""
    return "under 0.01%" if 0 < share < 0.00005 else f"{share:.2%}"


class ClusterplanError(ValueError):
    """Base class of every error clusterplan raises on purpose."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (sent by ``timeout``, CI and schedulers), handled like Ctrl-C: nothing half-written stays."""


#: Set when the command line receives SIGTERM. The handler also raises :class:`Terminated`, but once in CI that
#: exception was lost (the run went on and exited 0; not reproduced since): every solve and folder move checks this.
TERMINATION = threading.Event()


def stop_if_terminated() -> None:
    """Raise :class:`Terminated` if a SIGTERM has arrived (see :data:`TERMINATION`)."""
    if TERMINATION.is_set():
        raise Terminated()


#: Longest message clusterplan prints for one problem (a 50 MB value is never echoed back in full).
MAX_PROBLEM_CHARS = 600


def shorten(text: object, limit: int = MAX_PROBLEM_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    s = str(text)
    if len(s) <= limit:
        return s
    return f"{s[:limit]}... ({len(s) - limit:,} more characters not shown)"


class InputError(ClusterplanError):
    """An input file or table is malformed. ``problems`` lists every problem found, one sentence each."""

    def __init__(self, source: str, problems: Iterable[str]):
        self.source = shorten(source, 300)
        self.problems = [shorten(p) for p in problems]
        source = self.source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{source}: {n} problem{'s' if n != 1 else ''} found:\n{lines}")


class OutputError(ClusterplanError):
    """An output location cannot be used: it holds files clusterplan did not write, is (or holds) an input, is not
    a folder, or cannot be written. Raised before any solve, so nothing a user owns is touched."""


class ScenarioError(ClusterplanError):
    """A scenario asks for something malformed or unknown (a misspelt key, an unknown centre, a bad value)."""


class SolverError(ClusterplanError):
    """A solver is unknown, missing, crashed, or stopped without a plan and without a proof of infeasibility."""


class InfeasibleError(ClusterplanError):
    """No plan satisfies the scenario. ``reasons`` explains why in words naming areas and centres."""

    def __init__(self, message: str, reasons: Iterable[str] = ()):
        self.reasons = list(reasons)
        text = message
        if self.reasons:
            text += "\n" + "\n".join(f"  - {r}" for r in self.reasons)
        super().__init__(text)


class CheckError(ClusterplanError):
    """A plan violates a constraint of its scenario. Raised by :func:`clusterplan.check` when asked to raise."""

    def __init__(self, violations: Iterable[str]):
        self.violations = list(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"plan violates {len(self.violations)} constraint(s):\n{lines}")


def number_argument(value: object, name: str, where: str, *, whole: bool = False, least: float | None = None,
                    above: float | None = None) -> int | float:
    """A library function's numeric argument, checked as the command line checks its option: a finite number (a
    whole number with ``whole``; not true or false), at least ``least`` or above ``above``. Else a
    :class:`ScenarioError` naming ``where`` (the function) and ``name`` (the argument)."""
    kind = numbers.Integral if whole else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(float(value))
    ok = ok and (least is None or value >= least) and (above is None or value > above)
    if not ok:
        word = "a whole number" if whole else "a number"
        limit = f" of {least:g} or more" if least is not None else f" above {above:g}" if above is not None else ""
        raise ScenarioError(f"{where}: `{name}` must be {word}{limit}; got {shorten(repr(value), 200)}")
    return value


def number_list_argument(values: object, name: str, where: str, **rules) -> list:
    """A list of numbers, each checked by :func:`number_argument` (a lone number or text is refused too)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ScenarioError(f"{where}: `{name}` must be a list of numbers; got {shorten(repr(values), 200)}")
    return [number_argument(v, name, where, **rules) for v in values]
