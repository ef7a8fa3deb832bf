"""The models, one module each: amalgamate (and status quo), sites, capacity, cluster.

Shared helpers: :mod:`.contiguity` (shortest-path precedence), :mod:`.objective` (weighted child travel) and
:mod:`.assignment` (the catchment model that amalgamate, sites and capacity are instances of).
"""
