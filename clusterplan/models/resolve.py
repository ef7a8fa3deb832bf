"""Turn a scenario's names (centres, districts) into ids: defined in :mod:`clusterplan.scenario` (name resolution
is part of reading what a scenario asks, and the checker shares it), re-exported here for the models."""

from __future__ import annotations

from ..scenario import centre_ids, district_names, policy_groups  # noqa: F401 - re-exported
