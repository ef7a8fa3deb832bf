"""clusterplan: exact, checked planning of children's centre networks.

Typical use::

    import clusterplan as cp
    g = cp.datasets.norfolk()
    print(g.summary())
"""

from . import corridors, datasets, models, run, travel
from .check import check
from .compare import compare
from .errors import CheckError, ClusterplanError, InfeasibleError, InputError, ScenarioError, SolverError
from .geography import Geography
from .models import cluster as _cluster  # noqa: F401 - makes cp.models.cluster importable as an attribute
from .plan import Plan, SolveReport
from .run import geography_for
from .scenario import Scenario, load
from .solve import solve

__version__ = "0.1.0"

__all__ = [
    "CheckError", "ClusterplanError", "Geography", "InfeasibleError", "InputError", "Plan", "Scenario",
    "ScenarioError", "SolveReport", "SolverError", "check", "compare", "corridors", "datasets", "geography_for",
    "load", "models", "run", "solve", "travel", "__version__",
]
