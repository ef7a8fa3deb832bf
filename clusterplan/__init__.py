"""clusterplan: exact, checked planning of children's centre networks.

Typical use::

    import clusterplan as cp
    g = cp.datasets.norfolk()
    print(g.summary())
"""

from . import corridors, datasets, travel
from .errors import CheckError, ClusterplanError, InfeasibleError, InputError, ScenarioError, SolverError
from .geography import Geography

__version__ = "0.1.0"

__all__ = [
    "CheckError", "ClusterplanError", "Geography", "InfeasibleError", "InputError", "ScenarioError", "SolverError",
    "corridors", "datasets", "travel", "__version__",
]
