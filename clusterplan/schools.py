"""School sites: which centres stand on a school's site, their host school, and how that was matched.

The DfE register gives each children's centre an address and a postcode; the schools register (GIAS) gives each
school a name and a location but no address. A centre is matched to a host school, in this order:

1. ``commissioner``: the centres file (or ``geography.centre_facts``) says so in ``on_school_site`` (with
   ``host_urn`` / ``host_name`` where given). Always wins.
2. ``address``: the first part of the centre's address names a school ("Litcham Primary School, ...", not "School
   Road" or "The Old School House"). The host is the school in the register, within ``NAME_METRES``, whose name
   holds every distinctive word of that name (words such as infant, primary, academy, CE are not distinctive);
   among several, the one with the fewest other distinctive words, then the same kind of school, then the nearest.
   Doubtful when the register's school stands more than ``NEAR_METRES`` away, when the register's name differs in
   more than those generic words (renamed, merged or converted since), or when no school in the register matches
   (the address still says the centre is on a school site; the host is then named from the address, without URN).
3. ``name``: the address names no school, but the centre's own name does, as London's often do ("Heathbrook
   Primary School & Children's Centre", "Tree House Children's Centre at Holmewood Nursery School"): the school is
   the part of the name that names it (:func:`school_in_name`), matched in the register as for an address.
4. ``postcode``: the address names no school, but a school's registered location coincides (within
   ``SAME_POINT_METRES``) with the centre's postcode centroid: both were placed at the same postcode. Always
   doubtful: a postcode covers several buildings.

Otherwise the centre is not on a school site as far as the data shows (``on_school_site`` False, method ``none``).
Distances are metres between registered points (centres: postcode centroids).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: A school named in an address must be within this many metres of the centre's point to be its host.
NAME_METRES = 2000.0
#: A named match farther than this (metres) is doubtful.
NEAR_METRES = 500.0
#: A school this close (metres) to the centre's postcode centroid shares its postcode.
SAME_POINT_METRES = 1.0
#: Words that say what kind of school it is, not which: they never decide a match.
GENERIC = frozenset("""the and of with school schools infant infants junior nursery primary academy community first
middle ce c e vc va cofe church england federation voluntary controlled aided foundation free trust children childrens
s centre center early years""".split())
KINDS = frozenset({"infant", "junior", "nursery", "primary", "academy", "first", "middle", "high"})
_SCHOOL = re.compile(r"\b(school|academy|infants?|junior|primary)\b(?!\s+(road|lane|house|street|close|hill|way))",
                     re.I)
COLUMNS = ["on_school_site", "host_urn", "host_name", "host_match", "host_metres", "host_doubtful", "host_note"]


def _words(text: str) -> list[str]:
    t = str(text).lower().replace("&", " and ").replace("'", "")
    return re.sub(r"[^a-z0-9 ]", " ", t).split()


def _kind(text: str) -> set[str]:
    """The words of a school's name that say what kind of school it is (infant, junior, primary, academy ...)."""
    return {w.removesuffix("s") for w in _words(text)} & KINDS


def distinctive(text: str) -> set[str]:
    """The words of a school's name that say which school it is (lower case, generic words removed)."""
    return {w for w in _words(text) if w not in GENERIC and not w.isdigit()}


def named_school(address: str) -> str | None:
    """The school an address names in its first part (the building), or None."""
    first = str(address).split(",")[0].strip()
    if not first or first.lower() == "nan" or not _SCHOOL.search(first):
        return None
    first = re.split(r"\band children'?s cent", first, flags=re.I)[0].strip(" ,")
    return first if distinctive(first) else None


#: Where a centre's name says it stands at a school: "... at <school>", "... @ <school>", "<place>: <school>".
_AT = re.compile(r"\s(?:at|@)\s|:\s", re.I)
#: The centre's part of a name that also names its school ("& Sure Start Children's Centre", "Children's Centre and").
_CENTRE_WORDS = re.compile(r"\s*(?:(?:&|and)\s+)?(?:sure ?start\s+)?children'?s cent(?:re|er)s?(?:\s+(?:and|&))?\s*",
                           re.I)


def school_in_name(name: str) -> str | None:
    """The school a centre's name says it stands at, or None: "Heathbrook Primary School & Children's Centre" ->
    "Heathbrook Primary School"; "Tree House Children's Centre at Holmewood Nursery School" -> "Holmewood Nursery
    School"; "Lynnfield Primary School and CLC" -> "Lynnfield Primary School". The text after the last "at", "@"
    or ":" where that names a school, without the centre's own words, up to the last word naming a school."""
    text = str(name)
    parts = _AT.split(text)
    text = next((p for p in reversed(parts) if _SCHOOL.search(p)), text)
    text = re.sub(r"\s+", " ", _CENTRE_WORDS.sub(" ", text)).strip(" ,-&")
    ends = [m.end() for m in _SCHOOL.finditer(text)]
    if not ends:
        return None
    text = text[:ends[-1]].strip(" ,-&")
    return text if distinctive(text) else None


def host_schools(centres: pd.DataFrame, schools: pd.DataFrame | None) -> pd.DataFrame:
    """One row per centre (same index): ``on_school_site`` (True / False / NA where unknown), ``host_urn``,
    ``host_name``, ``host_match`` (commissioner | address | name | postcode | none), ``host_metres`` (metres from the
    centre's point to the host's), ``host_doubtful`` and ``host_note`` (why, in words).

    ``centres``: columns ``name`` and where known ``address``, ``x``, ``y`` (metres), and a commissioner's
    ``on_school_site`` / ``host_urn`` / ``host_name``. ``schools``: the schools register (index ``urn:<URN>``,
    ``name``, ``x``, ``y``), or None where there is none (then only the address and the commissioner decide)."""
    out = pd.DataFrame(index=centres.index, columns=COLUMNS, dtype=object)
    have_sch = schools is not None and len(schools) > 0
    if have_sch:
        sx, sy = schools["x"].to_numpy(float), schools["y"].to_numpy(float)
        snames = schools["name"].astype(str).to_numpy()
        sids = np.array([str(i).removeprefix("urn:") for i in schools.index])
    for j, row in centres.iterrows():
        given = _given(row)
        if given is not None:
            out.loc[j] = given
            continue
        x, y = row.get("x"), row.get("y")
        located = pd.notna(x) and pd.notna(y)
        dist = np.hypot(sx - float(x), sy - float(y)) if (have_sch and located) else None
        name, via = named_school(row.get("address", "")), "address"
        if name is None:
            name, via = school_in_name(row.get("name", "")), "name"
        if name is not None:
            out.loc[j] = _by_name(name, dist, snames if have_sch else None, sids if have_sch else None, via)
        elif dist is not None and len(dist) and dist.min() <= SAME_POINT_METRES:
            k = int(np.argmin(dist))
            out.loc[j] = [True, sids[k], snames[k], "postcode", round(float(dist[k]), 1), True,
                          f"address names no school, but {snames[k]} is registered at the same postcode point"]
        elif "address" in centres.columns and pd.notna(row.get("address")):
            out.loc[j] = [False, None, None, "none", None, False, "neither the address nor the name names a school"
                          + ("" if have_sch else "; no schools register to compare locations")]
        else:
            out.loc[j] = [pd.NA, None, None, "none", None, True, "no address and no commissioner's column: unknown"]
    out["on_school_site"] = out["on_school_site"].astype("boolean")
    out["host_doubtful"] = out["host_doubtful"].astype(bool)
    out["host_metres"] = pd.to_numeric(out["host_metres"])
    return out


def _given(row: pd.Series) -> list | None:
    """The commissioner's own columns, where the centres file has them."""
    v = row.get("on_school_site")
    if v is None or (not isinstance(v, str) and pd.isna(v)) or str(v).strip() == "":
        return None
    flag = str(v).strip().lower() in ("true", "1", "yes", "y")
    urn, name = row.get("host_urn"), row.get("host_name")
    urn = None if urn is None or pd.isna(urn) or str(urn).strip() == "" else str(urn).strip().removesuffix(".0")
    name = None if name is None or pd.isna(name) or str(name).strip() == "" else str(name).strip()
    return [flag, urn if flag else None, name if flag else None, "commissioner", None, False,
            "the commissioner's file (centres or geography.centre_facts) says so"]


def _by_name(name: str, dist, snames, sids, via: str = "address") -> list:
    """The host school named ``name`` by the centre's address (``via`` "address") or its own name ("name")."""
    want = distinctive(name)
    says = "the address names" if via == "address" else "the centre's name names"
    if dist is None or snames is None:
        return [True, None, name, via, None, True,
                f"{says} the school; no schools register (or no location) to confirm it"]
    # Among schools within NAME_METRES holding every distinctive word: fewest other distinctive words, then the
    # same kind of school, then the nearest (ties by position in the register).
    kind = _kind(name)
    ranked = sorted((len(distinctive(snames[k]) - want), len(_kind(snames[k]) ^ kind), float(dist[k]), k)
                    for k in np.flatnonzero(dist <= NAME_METRES) if want <= distinctive(snames[k]))
    best, best_d = (ranked[0][3], ranked[0][2]) if ranked else (None, None)
    if best is None:
        k = int(np.argmin(dist))
        return [True, None, name, via, None, True,
                f"{says} {name!r}; no school of that name in the register within {NAME_METRES:g} m "
                f"(renamed or closed since?); nearest school {snames[k]} at {dist[k]:.0f} m"]
    same_words = _kind(snames[best]) == kind
    reasons = []
    if best_d > NEAR_METRES:
        reasons.append(f"{best_d:.0f} m from the centre's postcode point")
    if not same_words:
        reasons.append(f"the register now names it {snames[best]!r} (another kind of school: renamed, merged or "
                       "converted since?)")
    note = f"{says} {name!r}" + (": " + "; ".join(reasons) if reasons else "; the register agrees")
    return [True, sids[best], snames[best], via, round(best_d, 1), bool(reasons), note]
