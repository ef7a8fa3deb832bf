"""The ``clusterplan`` command line.

Exit codes: 0 success, 1 infeasible (with the explanation), 2 bad input (naming the file or key).
"""

from __future__ import annotations

import argparse
import sys

from . import datasets
from .errors import InfeasibleError, InputError, ScenarioError


def _summary(args: argparse.Namespace) -> int:
    g = datasets.norfolk(args.year)
    print(g.summary())
    print(f"\nData: {datasets.ATTRIBUTION}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``clusterplan`` command."""
    parser = argparse.ArgumentParser(prog="clusterplan", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("summary", help="summarise the built-in Norfolk geography and its data gaps")
    p.add_argument("--year", type=int, default=2020, choices=sorted(datasets.POPULATION_FILES))
    p.set_defaults(func=_summary)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InfeasibleError as exc:
        print(f"infeasible: {exc}", file=sys.stderr)
        return 1
    except (InputError, ScenarioError) as exc:
        print(f"bad input: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
