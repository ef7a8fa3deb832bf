"""Cells a spreadsheet would run: text starting like a formula (``= + - @``, tab, carriage return) is stored as text
in report.xlsx and behind an apostrophe in every CSV clusterplan writes (and read back without it)."""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or
    carriage return) are prefixed with an apostrophe, so Excel shows them as text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def from_excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`excel_safe` on a table read back from one of our CSV files."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: v[1:] if isinstance(v, str) and v.startswith("'") and v[1:].startswith(FORMULA_START)
                else v)
    return out
