"""Governance: each centre's lead partner, school site and existing partnership, and the governance forms a lot could
take (options from a stated rule table, never a decision).

A commissioner's ``geography.centre_facts`` CSV (or columns of their centres file) gives, per centre (``centre``: id or
name), any of ``lead_partner`` (one of :data:`LEAD_PARTNERS`), ``partnership`` (today's informal cluster or
partnership: any label; centres with the same label are partners), ``on_school_site`` (true / false), ``host_urn``
and ``host_name``. Where it is silent the lead partner is ``unknown``, a centre has no partnership, and the school site
comes from :func:`clusterplan.schools.host_schools`.

**School-led** centres (for ``clusters.max_school_led``): lead partner ``school governing body``; or, where the lead
partner is ``unknown``, a centre on a school site (the review's worry: schools' governing bodies asking about their
future role as lead partners). Give ``lead_partner`` to override.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from . import schools
from .errors import InputError

#: The lead partners a centre may have (``unknown`` where nobody said).
LEAD_PARTNERS = ("school governing body", "voluntary organisation", "local authority", "health", "other", "unknown")
_ALIASES = {"school": "school governing body", "governing body": "school governing body",
            "vcs": "voluntary organisation", "voluntary": "voluntary organisation", "charity": "voluntary organisation",
            "la": "local authority", "council": "local authority", "nhs": "health", "": "unknown"}
FACT_COLUMNS = ("lead_partner", "partnership", "on_school_site", "host_urn", "host_name")

#: The governance forms on offer (4Children, "Sustaining children's centres: governance options") and when each
#: could hold a lot: (rule, the lots it applies to, forms). A lot's options are every form whose rule it meets.
FORM_RULES = (
    ("any lot", "every lot", ("lead partner consortium", "cooperative commissioning")),
    ("school site", "the centre is on a school site (host school known or doubtful)",
     ("school company (host school's governing body)", "lead partner consortium led by the host school")),
    ("school-led", "the lead partner is a school governing body",
     ("school company (host school's governing body)",)),
    ("under the VCS cap", "the lot's value is at or under tender.lot_value_cap",
     ("voluntary and community sector provider", "mutual (staff-led)", "cooperative trust")),
    ("over the VCS cap", "the lot's value is above tender.lot_value_cap",
     ("joint venture", "consortium of providers")),
    ("health lead", "the lead partner is health", ("joint venture with health",)),
    ("voluntary lead", "the lead partner is a voluntary organisation", ("voluntary and community sector provider",)),
)


def lead_partner(value, source: str, row: int) -> str:
    """One lead partner, named as in :data:`LEAD_PARTNERS` (or a short alias); an error names the row otherwise."""
    v = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip().lower()
    v = _ALIASES.get(v, v)
    if v not in LEAD_PARTNERS:
        raise InputError(source, [f"row {row}, column 'lead_partner': {value!r} is not a lead partner; expected one "
                                  f"of {', '.join(LEAD_PARTNERS)}"])
    return v


def read_centre_facts(path: str | Path, centres: pd.DataFrame) -> pd.DataFrame:
    """A commissioner's centre facts file, indexed by centre id, with the :data:`FACT_COLUMNS` it gives.
    Centres are named by id or name; an unknown centre, a repeated one, or a bad value is an error naming the row."""
    from .validation import found_columns, read_table, written_several_ways
    src = str(path)
    df = read_table(path, "`geography.centre_facts`", text=("centre",))
    df.columns = [str(c).strip().lower() for c in df.columns]
    if "centre" not in df.columns:
        raise InputError(src, [f"missing column 'centre' (a centre's id or name); {found_columns(df)}"])
    cols = [c for c in FACT_COLUMNS if c in df.columns]
    other = [c for c in df.columns if c not in (*FACT_COLUMNS, "centre", "note", "notes", "source")]
    if not cols or other:
        raise InputError(src, [f"columns: expected 'centre' and any of {', '.join(FACT_COLUMNS)} (and 'note'); "
                               f"found {list(df.columns)}" + (f"; not known: {other}" if other else "")])
    by_name = {str(n).strip().lower(): j for j, n in centres["name"].items()}
    problems, ids = [], []
    for n, key in enumerate(df["centre"], start=2):
        k = str(key).strip()
        j = k if k in centres.index else by_name.get(k.lower())
        if j is None:
            close = difflib.get_close_matches(k.lower(), [*by_name, *map(str, centres.index)], n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"row {n}, column 'centre': {key!r} is not a centre id or name of this geography"
                            + hint)
        ids.append(j)
    if problems:
        raise InputError(src, problems[:20])
    dup = sorted({j for j in ids if ids.count(j) > 1})
    if dup:
        raise InputError(src, [f"column 'centre': {', '.join(dup)} given more than once"])
    out = df[cols].copy()
    out.index = pd.Index(ids, name="id")
    if "lead_partner" in out.columns:
        out["lead_partner"] = [lead_partner(v, src, n) for n, v in enumerate(out["lead_partner"], start=2)]
    if "on_school_site" in out.columns:
        for n, v in enumerate(out["on_school_site"], start=2):
            if not (pd.isna(v) or str(v).strip().lower() in ("true", "false", "1", "0", "yes", "no", "y", "n", "")):
                raise InputError(src, [f"row {n}, column 'on_school_site': {v!r}; expected true or false"])
    if "partnership" in out.columns:
        out["partnership"] = out["partnership"].fillna("").astype(str).str.strip()
        file_rows = df.attrs.get("row", {})
        rows = {str(j): file_rows.get(i, n) for n, (i, j) in enumerate(zip(df.index, ids, strict=True), start=2)}
        problems = written_several_ways(out[out["partnership"] != ""], "partnership", rows, noun="centre")
        if problems:   # one partnership written two ways would be two partnerships
            raise InputError(src, problems)
    return out


def centre_governance(geo) -> pd.DataFrame:
    """Per centre of ``geo`` (all listed centres): the :mod:`clusterplan.schools` columns, ``lead_partner``,
    ``partnership`` ('' where none) and ``school_led`` (see the module docstring)."""
    c = geo.centres
    register = geo.sites if "kind" in geo.sites.columns and geo.sites.index.astype(str).str.startswith(
        "urn:").all() and len(geo.sites) else None
    out = schools.host_schools(c, register)
    lp = c["lead_partner"] if "lead_partner" in c.columns else pd.Series("unknown", index=c.index)
    out["lead_partner"] = [lead_partner(v, "centres", n) for n, v in enumerate(lp, start=2)]
    part = c["partnership"] if "partnership" in c.columns else pd.Series("", index=c.index)
    out["partnership"] = part.fillna("").astype(str).str.strip()
    out["school_led"] = (out["lead_partner"] == "school governing body") | (
        (out["lead_partner"] == "unknown") & out["on_school_site"].fillna(False).astype(bool))
    return out


def school_site_centres(gov: pd.DataFrame) -> list[str]:
    """The centres of ``gov`` (:func:`centre_governance`) on a school site; a centre whose site is unknown is not."""
    return list(gov.index[gov["on_school_site"].fillna(False).astype(bool)])


def partnerships(gov: pd.DataFrame) -> dict[str, list[str]]:
    """Each existing partnership named in ``gov`` (:func:`centre_governance`): label -> its centres' ids."""
    named = gov[gov["partnership"] != ""]
    return {str(label): list(grp.index) for label, grp in named.groupby("partnership")}


def form_options(on_school_site: bool, lead: str, value: float | None, cap: float | None) -> tuple[str, str]:
    """The governance forms that could hold a lot, and the rules that offered them (both '; '-joined), from
    :data:`FORM_RULES`: options, never a decision."""
    met = {"any lot": True, "school site": bool(on_school_site), "school-led": lead == "school governing body",
           "under the VCS cap": value is not None and cap is not None and pd.notna(value) and value <= cap,
           "over the VCS cap": value is not None and cap is not None and pd.notna(value) and value > cap,
           "health lead": lead == "health", "voluntary lead": lead == "voluntary organisation"}
    forms, rules = [], []
    for rule, _, offered in FORM_RULES:
        if met[rule]:
            rules.append(rule)
            forms += [f for f in offered if f not in forms]
    return "; ".join(forms), "; ".join(rules)
