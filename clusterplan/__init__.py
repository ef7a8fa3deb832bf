"""clusterplan: exact, checked planning of children's centre networks.

Typical use::

    import clusterplan as cp
    scn = cp.load("scenarios/norfolk/amalgamate_then_tender.yaml")   # a scenario file (or cp.Scenario.from_dict)
    plan, g = cp.run(scn)                                           # its geography, solved and checked
    cp.write_plan(plan, g, scn, "out/amalgamate")                   # the plan folder (CSV, maps, report)

or, with a geography in hand, ``cp.solve(g, {"model": "amalgamate", "reach": {"min": 600}})``.
"""

from . import batch, corridors, datasets, io, models, registry, travel
from .check import check
from .compare import compare
from .datasets import geography_for
from .errors import CheckError, ClusterplanError, InfeasibleError, InputError, ScenarioError, SolverError
from .geography import Geography
from .io import check_dir, read_plan, write_plan
from .models import cluster as _cluster  # noqa: F401 - makes cp.models.cluster importable as an attribute
from .plan import Plan, SolveReport, Status
from .runner import run
from .scenario import Scenario, load
from .solve import solve

__version__ = "0.1.0"

__all__ = [
    "CheckError", "ClusterplanError", "Geography", "InfeasibleError", "InputError", "Plan", "Scenario",
    "ScenarioError", "SolveReport", "SolverError", "Status", "check", "check_dir", "batch", "compare", "corridors",
    "datasets", "geography_for", "io", "load", "models", "read_plan", "registry", "run", "solve", "travel",
    "write_plan", "__version__",
]
