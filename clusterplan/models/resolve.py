"""Turn a scenario's names (centres, districts) into ids, with errors that suggest the right spelling."""

from __future__ import annotations

import difflib
import re

import pandas as pd

from ..errors import ScenarioError, shorten


def _norm(text: str) -> str:
    t = re.sub(r"children'?s centre|sure start", " ", str(text), flags=re.I)
    return re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()


def centre_ids(names: list[str], centres: pd.DataFrame, key: str) -> list[str]:
    """Match each entry of ``names`` to a centre id: an exact id first, then a name (or a name without "Children's
    Centre"). A name shared by several centres is an error listing their ids, never a silent pick."""
    by_id: dict[str, str] = {}
    by_name: dict[str, set[str]] = {}
    for cid, name in centres["name"].items():
        by_id[str(cid).lower()] = cid
        for k in (str(name).lower(), _norm(name), _norm(cid)):
            by_name.setdefault(k, set()).add(cid)
    out, problems = [], []
    for n in names:
        text = str(n)
        cid = by_id.get(text.lower())
        if cid is None:
            found = by_name.get(text.lower()) or by_name.get(_norm(text)) or set()
            if len(found) > 1:
                listed = ", ".join(f"{c} ({centres.at[c, 'name']})" for c in sorted(found))
                problems.append(f"`{key}`: '{text}' names {len(found)} centres: {listed}; give the id of the one "
                                "you mean")
                continue
            cid = next(iter(found), None)
        if cid is None:
            lookup = {**{k: next(iter(v)) for k, v in by_name.items()}, **by_id}
            close = difflib.get_close_matches(_norm(text), list(lookup), n=1, cutoff=0.5)
            hint = f"; did you mean '{lookup[close[0]]}' ({centres.at[lookup[close[0]], 'name']})?" if close else ""
            problems.append(f"`{key}`: unknown centre '{shorten(text, 100)}'{hint}")
        elif not bool(centres.at[cid, "located"]):
            problems.append(f"`{key}`: centre '{text}' has no known location, so it cannot be modelled; supply a "
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
