"""Turn a scenario's names (centres, districts) into ids, with errors that suggest the right spelling."""

from __future__ import annotations

import difflib
import re

import pandas as pd

from ..errors import ScenarioError


def _norm(text: str) -> str:
    t = re.sub(r"children'?s centre|sure start", " ", str(text), flags=re.I)
    return re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()


def centre_ids(names: list[str], centres: pd.DataFrame, key: str) -> list[str]:
    """Match each entry of ``names`` to a centre id (by id, name or name without "Children's Centre")."""
    lookup: dict[str, str] = {}
    for cid, name in centres["name"].items():
        lookup[cid.lower()] = cid
        lookup[_norm(cid)] = cid
        lookup[str(name).lower()] = cid
        lookup[_norm(name)] = cid
    out, problems = [], []
    for n in names:
        cid = lookup.get(str(n).lower()) or lookup.get(_norm(n))
        if cid is None:
            close = difflib.get_close_matches(_norm(n), list(lookup), n=1, cutoff=0.5)
            hint = f"; did you mean '{lookup[close[0]]}' ({centres.at[lookup[close[0]], 'name']})?" if close else ""
            problems.append(f"`{key}`: unknown centre '{n}'{hint}")
        elif not bool(centres.at[cid, "located"]):
            problems.append(f"`{key}`: centre '{n}' has no known location, so it cannot be modelled; supply a "
                            "centres file that locates it")
        else:
            out.append(cid)
    if problems:
        raise ScenarioError("\n".join(problems))
    return out


def district_names(counts: dict[str, int], districts: list[str], key: str) -> dict[str, int]:
    """Check that every district named in ``counts`` exists (case-insensitive), returning canonical names."""
    canon = {d.lower(): d for d in districts}
    out, problems = {}, []
    for d, k in counts.items():
        c = canon.get(str(d).lower())
        if c is None:
            close = difflib.get_close_matches(str(d), districts, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else f"; districts: {', '.join(sorted(districts))}"
            problems.append(f"`{key}.{d}`: unknown district{hint}")
        elif not isinstance(k, int) or k < 0:
            problems.append(f"`{key}.{d}`: expected a whole number of centres >= 0. Got {k!r} instead.")
        else:
            out[c] = k
    if problems:
        raise ScenarioError("\n".join(problems))
    return out


def policy_groups(districts: list[str], policies: dict) -> list[tuple[str, list[str]]]:
    """Districts of each per-district policy: ``(key, districts)``; ``others`` (or, without it, the scenario's own
    settings under the key ``others``) takes every district not named."""
    canon = {d.lower(): d for d in districts}
    named, problems, groups = set(), [], []
    for key in policies:
        if key == "others":
            continue
        d = canon.get(key.lower())
        if d is None:
            close = difflib.get_close_matches(key, districts, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else f"; districts: {', '.join(sorted(districts))}"
            problems.append(f"`policies.{key}`: unknown district{hint}")
            continue
        named.add(d)
        groups.append((key, [d]))
    if problems:
        raise ScenarioError("\n".join(problems))
    rest = sorted(set(districts) - named)
    if rest:
        groups.append(("others", rest))
    return groups
