"""The models, one module each, named in :mod:`clusterplan.registry`: status_quo, amalgamate, sites, capacity
(with packing, fixcount, kernels and maxp_exact), cluster; and the tender stage.

Each follows the protocol of :mod:`.base` (``solve(geography, scenario, context) -> Plan``). Shared: :mod:`.assignment`
(the catchment MIP that status_quo, amalgamate and sites are instances of), :mod:`.catchment` (how it is solved),
:mod:`.diagnose` (why one is infeasible), :mod:`.contiguity` (shortest-path precedence) and :mod:`.objective`.
No model imports the conductor (:mod:`clusterplan.solve`), the checker or anything that writes files.
"""
