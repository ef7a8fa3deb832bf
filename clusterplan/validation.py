"""Validation of input files and tables: every problem of an input is collected and reported as one
:class:`InputError` naming the file, row, column and what was expected; nothing is silently dropped or clipped.

:func:`input_file` checks a path before anything reads or hashes it (present, a regular file, readable, no larger
than :data:`MAX_INPUT_BYTES`); :func:`read_table` reads a CSV, Excel or geometry file; the ``validate_*`` functions
check areas and points (centres, sites) for :meth:`clusterplan.geography.Geography.build`.
"""

from __future__ import annotations

import os
import re
import stat as _stat
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from .errors import InputError, first_of

if TYPE_CHECKING:   # geography imports this module
    from .geography import Geography

#: Largest input file read (bytes); CLUSTERPLAN_MAX_INPUT_BYTES raises it.
MAX_INPUT_BYTES = int(os.environ.get("CLUSTERPLAN_MAX_INPUT_BYTES", 2 * 1024**3))

BNG = "EPSG:27700"
# Great Britain in EPSG:27700 (metres), with a margin: anything outside is in the wrong CRS.
GB_BOUNDS = (-10_000.0, -10_000.0, 710_000.0, 1_310_000.0)
#: Smallest plausible median area of a small area (m2) and extent of a geography of several areas (m).
MIN_AREA_M2 = 100.0
MIN_EXTENT_M = 100.0
#: Boundaries overlapping by more than this share of the smaller area are an error; less (above noise) is a note.
OVERLAP_SHARE = 0.01
OVERLAP_NOISE_M2 = 1.0
#: A centre or site this close (metres) to an area but outside all of them (coasts, estuaries) joins the nearest area.
SNAP_METRES = 500.0

AREA_COLUMNS = ("name", "district", "under5", "idaci", "imd_decile", "rural_urban", "x", "y")
CENTRE_COLUMNS = ("name", "district", "home_area", "located", "geocode_precision", "source_url", "phase", "x", "y")



def input_file(path: str | Path, what: str, *, max_bytes: int | None = None) -> Path:
    """``path`` if it is a readable regular file of at most ``max_bytes``; otherwise :class:`InputError` naming it
    and the role it plays (``what``, e.g. "the areas file")."""
    p = Path(path)
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(str(path), [f"file not found ({what})"]) from None
    except (OSError, ValueError) as exc:
        raise InputError(str(path)[:300], [f"cannot be opened ({what}): {exc}"]) from None
    if _stat.S_ISDIR(st.st_mode):
        raise InputError(str(path), [f"is a folder; expected a file ({what})"])
    if not _stat.S_ISREG(st.st_mode):
        raise InputError(str(path), [f"is not a regular file (a pipe, socket or device); expected a file ({what})"])
    if st.st_size > limit:
        raise InputError(str(path), [f"is {st.st_size:,} bytes, larger than the {limit:,} clusterplan reads "
                                     f"({what}); set CLUSTERPLAN_MAX_INPUT_BYTES to allow more"])
    if not os.access(p, os.R_OK):
        raise InputError(str(path), [f"cannot be read: permission denied ({what})"])
    return p



def _row_label(rows: dict, key: str, noun: str, name: str | None = None) -> str:
    """Where a message points: "row 3 (area E01026420)" where the file row is known, else "area 'E01026420'"; with
    a ``name``, "row 2 (centre attleborough, Attleborough Children's Centre)"."""
    named = f", {name}" if name else ""
    return f"row {rows[key]} ({noun} {key}{named})" if key in rows else f"{noun} {key!r}" + (f" ({name})" if name
                                                                                            else "")


def numeric_column(df: pd.DataFrame, col: str, source: str, problems: list[str], *,
                   min_value: float | None = None, max_value: float | None = None, required: bool = True,
                   integer: bool = False, rows: dict | None = None, noun: str = "area") -> pd.Series:
    """Coerce a column to numbers, recording every bad row in ``problems``: by its file row (``rows``: index ->
    row, from :func:`read_table`) and its code or id, e.g. "row 3 (area E01026420)"."""
    raw = df[col]
    vals = pd.to_numeric(raw, errors="coerce")
    rows = rows or {}
    for k, (code, v) in enumerate(zip(df.index, vals, strict=True)):
        if len(problems) > 200:
            break
        where = _row_label(rows, code, noun)
        shown = raw.iloc[k]
        if pd.isna(v):
            if required or not pd.isna(shown):
                what = "missing" if pd.isna(shown) else f"found {shown!r}"
                if isinstance(shown, str) and re.fullmatch(r"\s*-?[1-9]\d{0,2}(,\d{3})+(\.\d+)?\s*", shown):
                    what += " (write it without thousands separators)"
                elif isinstance(shown, str) and re.fullmatch(r"\s*-?\d+,\d+\s*", shown):
                    what += f" (a decimal comma? write it with a decimal point: {shown.strip().replace(',', '.')})"
                problems.append(f"{where}, column '{col}': expected a number, {what}")
        elif not np.isfinite(v) or abs(v) > 1e12:
            problems.append(f"{where}, column '{col}': expected a finite number of sensible size, found {v}")
        elif min_value is not None and v < min_value:
            problems.append(f"{where}, column '{col}': must be >= {min_value:g}, found {v:g}")
        elif max_value is not None and v > max_value:
            problems.append(f"{where}, column '{col}': must be <= {max_value:g}, found {v:g}")
        elif integer and float(v) != int(v):
            unit = " of children" if col == "under5" else ""
            problems.append(f"{where}, column '{col}': expected a whole number{unit}, found {v:g}")
    return vals



def _unsaved_formulas(path: Path, sheet: str) -> None:
    """Raise :class:`InputError` where cells of ``sheet`` hold a formula with no saved result (a workbook written by
    a program that does not calculate, such as a script): they read as blanks, which would be reported as missing
    values when the file holds them."""
    import openpyxl

    def cells(data_only: bool):
        book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
        try:
            return {(c.coordinate, c.value) for row in book[sheet].iter_rows() for c in row
                    if hasattr(c, "coordinate")}
        finally:
            book.close()

    formulas = {at: v for at, v in cells(False) if isinstance(v, str) and v.startswith("=")}
    if not formulas:
        return
    saved = dict(cells(True))
    unsaved = [at for at in formulas if saved.get(at) is None]
    if unsaved:
        first = sorted(unsaved, key=lambda at: (len(at), at))[0]
        raise InputError(str(path), [f"sheet {sheet!r}: {len(unsaved)} cell(s) hold a formula with no saved result, "
                                     f"e.g. {first} ({formulas[first]!r}); clusterplan reads the values saved with a "
                                     "workbook: open it in Excel or LibreOffice and save it, or paste the values"])


TABLE_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


#: Tables a workbook of several sheets must name its sheet for (`geography.layers`, as for a file's layers).
SHEET_ROLES = ("areas", "boundaries", "centres", "sites")


def is_utf16(raw: bytes) -> bool:
    """Whether ``raw`` opens with UTF-16's byte-order mark: a table saved as Excel's 'Unicode Text', a text file saved
    as Notepad's 'Unicode'."""
    return raw[:2] in (b"\xff\xfe", b"\xfe\xff")


def _not_utf8(path: Path, exc: UnicodeDecodeError, what: str) -> str:
    """Where a text file stops being UTF-8 (its line and byte), and how to save it so it reads."""
    raw = path.read_bytes()
    if is_utf16(raw):   # Excel's 'Unicode Text', tab-separated
        return (f"is UTF-16 text (as Excel's 'Unicode Text' saves it), not UTF-8; save the {what} table as 'CSV UTF-8 "
                "(Comma delimited)' or as an .xlsx workbook")
    try:   # the parser's position counts from its buffer, not the file: find the first bad byte in the file
        raw.decode("utf-8")   # not utf-8-sig: a BOM is valid UTF-8, and positions then count from the file's start
        at = exc.start
    except UnicodeDecodeError as whole:
        at = whole.start
    line = raw[:at].count(b"\n") + 1
    byte = f" has the byte 0x{raw[at]:02X}" if at < len(raw) else ""
    return (f"is not UTF-8 text: line {line}{byte}, which UTF-8 cannot read (Excel's 'CSV (Comma delimited)' saves "
            f"in the Windows encoding); save the {what} table as 'CSV UTF-8 (Comma delimited)' or as an .xlsx "
            "workbook")


def found_columns(df: pd.DataFrame) -> str:
    """For a "missing column" message: the columns a table has, and where two or more of them are numbers (a
    file's first data line read as its column names), that the file seems to have no header row."""
    cols = [str(c) for c in df.columns]
    text = f"found: {cols[:12]}" + (f" and {len(cols) - 12} more" if len(cols) > 12 else "")
    numbers = [c for c in cols if re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", c)]
    if len(numbers) >= 2:
        text += (f" (numbers such as {numbers[0]} where column names belong: the file seems to have no header row; "
                 "add one naming its columns at the top)")
    return text


def other_separator(df: pd.DataFrame) -> str | None:
    """The separator of a CSV read with commas into one column whose heading holds another (``;``: Excel in many
    European locales; a tab or ``|``), else None."""
    return next((c for c in (";", "\t", "|") if len(df.columns) == 1 and c in str(df.columns[0])), None)


def read_table(path: str | Path, what: str, *, layer: str | None = None, text: tuple[str, ...] = ("code",)
               ) -> pd.DataFrame:
    """Read a table or geometry file (CSV, Excel, or any format geopandas reads), checked first by
    :func:`input_file`. Rows that are entirely empty (Excel's trailing rows) are dropped and their
    file row numbers kept in ``df.attrs["empty_rows"]``; ``df.attrs["row"]`` (a Series) maps each index to its file
    row. A multi-layer file needs ``layer`` (an error lists the layers). Columns named in ``text`` are read as text, so
    codes such as 0101 keep their leading zeros."""
    path = input_file(path, f"the {what} file")
    if path.stat().st_size == 0:
        raise InputError(str(path), [f"the file is empty; expected the {what} table"])
    suffix = path.suffix.lower()
    dtype = dict.fromkeys(text, str)
    try:
        if suffix in TABLE_SUFFIXES:
            # Excel's CSV starts with a BOM; blank lines are kept (then dropped below, counted) so rows keep their
            # numbers in the file
            df = pd.read_csv(path, dtype=dtype, encoding="utf-8-sig", skip_blank_lines=False)
            sep = other_separator(df)
            if sep is not None:
                df = pd.read_csv(path, dtype=dtype, encoding="utf-8-sig", sep=sep, skip_blank_lines=False)
            header = pd.read_csv(path, header=None, nrows=1, dtype=str, encoding="utf-8-sig", sep=sep or ",",
                                 keep_default_na=False).iloc[0].tolist()
        elif suffix in EXCEL_SUFFIXES:
            with pd.ExcelFile(path) as book:   # opened once: a workbook is loaded whole on opening
                sheets = [str(n) for n in book.sheet_names]
                if layer is not None and layer not in sheets:
                    raise InputError(str(path), [f"has no sheet {layer!r}; its sheets: {', '.join(sheets[:10])}"])
                if layer is None and what in SHEET_ROLES and len(sheets) > 1:
                    # which sheet holds the table is a choice to state, as a file's layer is (two years, say)
                    raise InputError(str(path), [f"holds {len(sheets)} sheets ({', '.join(sheets[:10])}); say which "
                                                 f"holds the {what} with `geography.layers` (e.g. layers: {{{what}: "
                                                 f"{sheets[0]}}}) or layer=..."])
                sheet = layer or 0
                df = pd.read_excel(book, sheet_name=sheet, dtype=dtype)
                header = pd.read_excel(book, sheet_name=sheet, header=None, nrows=1, dtype=str).iloc[0].tolist()
            if suffix != ".xls" and df.isna().to_numpy().any():   # a blank may be a formula never calculated
                _unsaved_formulas(path, layer or sheets[0])
        else:
            layers = _layers(path)
            if layer is None and len(layers) > 1:
                raise InputError(str(path), [f"holds {len(layers)} layers ({', '.join(layers[:10])}); say which "
                                             f"holds the {what} with `geography.layers` (e.g. layers: {{{what}: "
                                             f"{layers[0]}}}) or layer=..."])
            if layer is not None and layers and layer not in layers:
                raise InputError(str(path), [f"has no layer {layer!r}; its layers: {', '.join(layers[:10])}"])
            with warnings.catch_warnings():
                # a GeoJSON column of mixed types (a speed of 30 in one road, "fast" in the next) is read as text,
                # with a library warning on stderr: the checks that follow name each value that is not a number
                warnings.filterwarnings("ignore", message="Could not parse column", category=UserWarning)
                df = gpd.read_file(path, layer=layer) if layer is not None else gpd.read_file(path)
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(str(path), [_not_utf8(path, exc, what)]) from None
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(str(path), [f"could not be read as the {what} table: {first}"]) from None
    if suffix in TABLE_SUFFIXES + EXCEL_SUFFIXES:
        _header_twice(header, path)
        _header_not_on_row_1(df, path)
        header_rows = 1
        rows = pd.Series(np.arange(len(df)) + 1 + header_rows, index=df.index)
        data_cols = [c for c in df.columns if c != "geometry"]
        blank = df[data_cols].map(lambda v: v is None or (isinstance(v, str) and not v.strip())
                                  or (isinstance(v, float) and np.isnan(v)))
        empty = blank.all(axis=1) if data_cols else pd.Series(False, index=df.index)
        if empty.any():
            dropped = rows[empty].tolist()
            df = df.loc[~empty]
            df.attrs["empty_rows"] = dropped
        # a Series, not a dict: pandas deep-copies attrs on every operation, and a dict of a 250,000-row travel
        # table made each copy cost seconds
        df.attrs["row"] = rows.loc[df.index]
    return df


def _header_twice(header: list, path: Path) -> None:
    """Two columns of one name: pandas keeps both ("under5", "under5.1") and clusterplan would read the first without
    a word. An :class:`InputError` names the columns (blank names are left to the header-row check)."""
    names = [str(v).strip() for v in header if isinstance(v, str) and v.strip()]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        at = {n: ", ".join(str(k + 1) for k, v in enumerate(header) if str(v).strip() == n) for n in twice[:5]}
        where = "; ".join(f"{n!r} in columns {cols}" for n, cols in at.items())
        raise InputError(str(path), [f"the header names a column twice ({where}); keep one, or rename the other"])


def _header_not_on_row_1(df: pd.DataFrame, path: Path) -> None:
    """A spreadsheet with a title above its table: most columns come back unnamed ("Unnamed: 3"). Where a row below
    holds a name in every column, that is the header: an :class:`InputError` names its row (nothing is guessed)."""
    cols = [str(c) for c in df.columns]
    if sum(c.startswith("Unnamed:") for c in cols) * 2 < len(cols):
        return
    for k in range(min(len(df), 20)):
        cells = df.iloc[k].tolist()
        if all(isinstance(v, str) and v.strip() for v in cells):
            shown = ", ".join(v.strip() for v in cells[:6]) + (", ..." if len(cells) > 6 else "")
            raise InputError(str(path), [f"the column names seem to be on row {k + 2} ({shown}), not row 1 (which "
                                         f"holds {cols[0]!r}); delete the rows above them"])


def _layers(path: Path) -> list[str]:
    try:
        import pyogrio
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # noqa: BLE001 - a format without layers, or one pyogrio cannot list: read it as it is
        return []


def rename_columns(df: pd.DataFrame, mapping: dict[str, str] | None, source: str) -> pd.DataFrame:
    if not mapping:
        return df
    missing = [f"column '{theirs}' (mapped to '{ours}') not found; found: {[c for c in df.columns if c != 'geometry']}"
               for ours, theirs in mapping.items() if theirs not in df.columns]
    if missing:
        raise InputError(source, missing)
    problems = []
    for theirs in sorted({t for t in mapping.values() if list(mapping.values()).count(t) > 1}):
        ours = [o for o, t in mapping.items() if t == theirs]
        problems.append(f"column '{theirs}' is mapped to {' and '.join(map(repr, ours))}; each of ours needs a "
                        "column of its own")
    renamed = set(mapping.values())
    for ours, theirs in mapping.items():
        if ours != theirs and ours in df.columns and ours not in renamed:
            problems.append(f"column '{theirs}' is mapped to '{ours}', but the file has a column '{ours}' too; "
                            f"rename or remove that one, so '{ours}' is not read twice")
    if problems:
        raise InputError(source, problems)
    return df.rename(columns={theirs: ours for ours, theirs in mapping.items()})


def check_xy_crs(crs: str, source: str):
    """The CRS of x/y columns, parsed; it must be projected (metres). Lon/lat degrees go in lon and lat columns."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError
    try:
        c = CRS.from_user_input(crs)
    except CRSError:
        raise InputError(source, [f"`geography.crs` {crs!r} is not a coordinate reference system; expected e.g. "
                                  "EPSG:27700"]) from None
    if c.is_geographic:
        raise InputError(source, [f"`geography.crs` {crs!r} is in degrees; x/y columns must be metres in a "
                                  "projected CRS. Name degree columns lon and lat instead"])
    return c


def _xy_to(x: pd.Series, y: pd.Series, source_crs, target_crs) -> tuple[pd.Series, pd.Series]:
    """x/y from ``source_crs`` to ``target_crs`` (rows with a missing coordinate stay missing)."""
    from pyproj import CRS
    if CRS.from_user_input(source_crs) == CRS.from_user_input(target_crs):
        return x, y
    ok = x.notna() & y.notna()
    pts = gpd.GeoSeries(gpd.points_from_xy(x[ok], y[ok]), crs=source_crs).to_crs(target_crs)
    x2, y2 = x.astype(float).copy(), y.astype(float).copy()
    x2[ok], y2[ok] = pts.x.to_numpy(), pts.y.to_numpy()
    return x2, y2


def _working_crs(bnd: gpd.GeoSeries):
    """The CRS a geography is held in: British National Grid when the areas lie in Great Britain (so every British
    input lines up), else the file's own projected CRS in metres, else the UTM zone that fits the areas."""
    try:
        with np.errstate(all="ignore"):
            b = bnd.to_crs(BNG).total_bounds
        if np.isfinite(b).all() and b[0] >= GB_BOUNDS[0] and b[1] >= GB_BOUNDS[1] and b[2] <= GB_BOUNDS[2] \
                and b[3] <= GB_BOUNDS[3]:
            return BNG
    except Exception:  # noqa: BLE001 - not projectable to the British grid: choose another below
        pass
    crs = bnd.crs
    if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    return bnd.estimate_utm_crs()


def points_from_file(path: str | Path, mapping: dict[str, str] | None, kind: str, *, crs: str = BNG,
                      layer: str | None = None) -> pd.DataFrame:
    codes = ("id", "home_area", *((mapping or {}).get(c, c) for c in ("id", "home_area")))
    df = rename_columns(read_table(path, f"{kind}s", layer=layer, text=codes), mapping, str(path))
    rows = df.attrs.get("row", {})
    if isinstance(df, gpd.GeoDataFrame) and "geometry" in df.columns:
        if df.crs is None:
            raise InputError(str(path), ["the file declares no CRS; expected one (e.g. EPSG:27700)"])
        pts = df.geometry.to_crs("EPSG:4326")
        df = pd.DataFrame(df.drop(columns=[c for c in ("geometry", "x", "y") if c in df.columns]))
        df["lon"] = [p.x if p is not None and not p.is_empty else np.nan for p in pts]
        df["lat"] = [p.y if p is not None and not p.is_empty else np.nan for p in pts]
    else:
        check_xy_crs(crs, str(path))
    if "id" in df.columns:
        blank = [rows.get(i, i) for i, v in df["id"].items() if pd.isna(v) or not str(v).strip()]
        if blank:
            raise InputError(str(path), [f"row {r}: empty id; give every {kind} an id or leave the column out"
                                         for r in blank[:20]])
        df["id"] = df["id"].astype(str).str.strip()
        dup = df["id"][df["id"].duplicated(keep=False)]
        if len(dup):
            raise InputError(str(path), [f"column 'id': duplicate id {i!r} on rows "
                                         f"{', '.join(str(rows.get(k, k)) for k in grp.index)}; ids must be unique"
                                         for i, grp in dup.groupby(dup)][:20])
        row_of = {j: rows.get(i, i) for i, j in df["id"].items()}
        df = df.set_index("id")
    else:
        row_of = {f"{kind}{n + 1:04d}": rows.get(i, i) for n, i in enumerate(df.index)}
        df.index = pd.Index(list(row_of), name="id")
    df.attrs["row"] = pd.Series(row_of, dtype=object)   # id -> file row, for validate_points (as read_table's)
    return df


def validate_areas(areas: pd.DataFrame, boundaries: gpd.GeoSeries | None, source: str, bsource: str,
                    notes: list[str], *, xy_crs: str = BNG) -> gpd.GeoDataFrame:
    problems: list[str] = []
    rows = {str(k): v for k, v in areas.attrs.get("row", {}).items()}   # area code -> file row, where read from a file
    df = pd.DataFrame(areas.drop(columns="geometry") if "geometry" in areas.columns else areas).copy()
    if boundaries is None and isinstance(areas, gpd.GeoDataFrame):
        boundaries = areas.geometry
    df.index = df.index.astype(str)
    df.index.name = "code"
    if "under5" not in df.columns:
        raise InputError(source, [f"missing column 'under5' (children aged 0-4); {found_columns(df)}; "
                                  "map yours with area_columns={'under5': '<your column>'}"])
    dups = sorted(set(df.index[df.index.duplicated()]))
    if dups:
        problems.append(f"duplicate area code(s) {dups[:10]}; each area must appear once")
    under5 = numeric_column(df, "under5", source, problems, min_value=0, integer=True, rows=rows)
    for col in AREA_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    lonlat = "lon" in df.columns and "lat" in df.columns and df["x"].isna().all()
    if lonlat:
        lon = numeric_column(df, "lon", source, problems, min_value=-180, max_value=180, rows=rows)
        lat = numeric_column(df, "lat", source, problems, min_value=-90, max_value=90, rows=rows)
    idaci = numeric_column(df, "idaci", source, problems, min_value=0, max_value=1, required=False, rows=rows)
    decile = numeric_column(df, "imd_decile", source, problems, min_value=1, max_value=10, integer=True,
                            required=False, rows=rows)
    x = numeric_column(df, "x", source, problems, required=False, rows=rows)
    y = numeric_column(df, "y", source, problems, required=False, rows=rows)
    if "bus_calls" in df.columns:   # weekday daytime bus stop calls (optional): empty is "not known"
        numeric_column(df, "bus_calls", source, problems, min_value=0, required=False, rows=rows)
    problems += written_several_ways(df, "district", rows)
    rural_urban = _rural_urban_classes(df["rural_urban"], rows, problems)
    if problems:
        raise InputError(source, problems)

    # Boundaries: present for every area, declared CRS, valid and non-empty, plausible in their units.
    if boundaries is None:
        raise InputError(bsource, ["no boundaries given; corridors need area shapes"])
    if boundaries.crs is None:
        raise InputError(bsource, ["the boundary file declares no CRS; expected one, e.g. EPSG:27700 or EPSG:4326 "
                                   "(set it, e.g. gdf.set_crs(27700))"])
    bnd = boundaries.copy()
    bnd.index = bnd.index.astype(str)
    missing = [c for c in df.index if c not in bnd.index]
    if missing:
        problems.append(f"{len(missing)} area(s) have no boundary, e.g. {missing[:5]}")
    extra = [c for c in bnd.index if c not in df.index]
    if extra:
        problems.append(f"{len(extra)} boundary code(s) are not in the areas table, e.g. {extra[:5]}; "
                        "remove them or add the areas")
    if missing and extra and {c.strip().lower() for c in missing} == {c.strip().lower() for c in extra}:
        problems.append("the two files' codes differ only in letter case or spaces (e.g. "
                        f"{missing[0]!r} and {extra[0]!r}); codes must match exactly: correct one file")
    for code, geom in bnd.items():
        if geom is None or geom.is_empty:
            problems.append(f"area {code}: empty geometry; expected a polygon")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"area {code}: geometry is a {geom.geom_type}; expected a polygon")
        elif not geom.is_valid:
            from shapely.validation import explain_validity
            problems.append(f"area {code}: invalid polygon ({explain_validity(geom)}); repair it "
                            "(e.g. shapely.make_valid) and check the result")
    if problems:
        raise InputError(bsource, problems)
    ominx, ominy, omaxx, omaxy = bnd.total_bounds
    if boundaries.crs.is_geographic and not (-180 <= ominx and omaxx <= 180 and -90 <= ominy and omaxy <= 90):
        raise InputError(bsource, [f"the file declares {boundaries.crs} (degrees) but its coordinates run from "
                                   f"({ominx:.6g}, {ominy:.6g}) to ({omaxx:.6g}, {omaxy:.6g}): these look like "
                                   "metres, so the declared CRS is probably wrong; declare the projected CRS they are "
                                   "in (e.g. EPSG:27700)"])
    work = _working_crs(bnd)
    try:
        with np.errstate(all="ignore"):
            bnd = bnd.to_crs(work)
    except Exception as exc:  # noqa: BLE001
        raise InputError(bsource, [f"cannot reproject from {boundaries.crs} to {work}: {exc}"]) from None
    minx, miny, maxx, maxy = bnd.total_bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        raise InputError(bsource, [f"coordinates cannot be placed once read as {boundaries.crs}; the file's declared "
                                   "CRS is probably wrong (lon/lat degrees are EPSG:4326, British metres EPSG:27700)"])
    # Units, not only a bounding box: degrees declared as metres make areas a few centimetres wide.
    sizes = bnd.area.to_numpy()
    extent = max(maxx - minx, maxy - miny)
    if float(np.median(sizes)) < MIN_AREA_M2 or (len(bnd) > 1 and extent < MIN_EXTENT_M):
        raise InputError(bsource, [f"the areas are implausibly small once read as {boundaries.crs}: median "
                                   f"{float(np.median(sizes)):.3g} square metres, the whole geography "
                                   f"{extent:.3g} m across (a small area such as an LSOA is at least "
                                   f"{MIN_AREA_M2:,.0f} m2). These look like longitude/latitude degrees: declare "
                                   "EPSG:4326"])
    problems += _overlaps(bnd, notes)
    if problems:
        raise InputError(bsource, problems)
    if str(work) != BNG and work != boundaries.crs:
        notes.append(f"the areas lie outside Great Britain; they are held in {work} (metres), chosen for them")
    if lonlat:
        x, y = _xy_to(lon, lat, "EPSG:4326", work)
    else:
        x, y = _xy_to(x, y, xy_crs, work)
    bnd = bnd.reindex(df.index)
    if x.isna().any() or y.isna().any():
        rep = bnd.representative_point()
        n = int((x.isna() | y.isna()).sum())
        notes.append(f"{n} area(s) had no population-weighted centroid; the boundary's representative point is used")
        x = x.fillna(pd.Series(rep.x.to_numpy(), index=df.index))
        y = y.fillna(pd.Series(rep.y.to_numpy(), index=df.index))
    inside = [bnd[c].buffer(1000).contains(Point(xx, yy)) for c, xx, yy in zip(df.index, x, y, strict=True)]
    far = [c for c, ok in zip(df.index, inside, strict=True) if not ok]
    if far:
        raw_x, raw_y = pd.to_numeric(df["x"], errors="coerce"), pd.to_numeric(df["y"], errors="coerce")
        degrees = bool(((raw_x.abs() <= 180) & (raw_y.abs() <= 90)).loc[far].all())
        raise InputError(source, [f"{len(far)} area centroid(s) lie more than 1 km outside their boundary, e.g. "
                                  f"{far[:5]}; are x/y in {xy_crs} metres (`geography.crs`), or lon/lat in "
                                  "degrees?" + (" They look like longitude/latitude degrees: name the columns lon "
                                                "and lat" if degrees else "")])
    out = gpd.GeoDataFrame({
        "name": df["name"].where(df["name"].notna(), pd.Series(df.index, index=df.index)).astype(str),
        "district": df["district"].astype(object).where(df["district"].notna(), "(none)").astype(str),
        "under5": under5.astype(int), "idaci": idaci.astype(float), "imd_decile": decile.astype("Int64"),
        "rural_urban": rural_urban,
        "x": x.astype(float), "y": y.astype(float),
    }, geometry=bnd.to_numpy(), index=df.index, crs=work)
    for extra_col in [c for c in df.columns if c not in out.columns and c not in ("lon", "lat", "geometry")]:
        out[extra_col] = df[extra_col]
    return out


def _blank(v: object) -> bool:
    """Whether a cell holds nothing: None, NaN, pandas' NA, or only spaces."""
    if isinstance(v, str):
        return not v.strip()
    return (v is None or bool(pd.isna(v))) if np.ndim(v) == 0 else False


#: The 2011 rural-urban classes of LSOAs (ONS): code -> name. An areas file may give either.
RURAL_URBAN_2011 = {"A1": "Urban major conurbation", "B1": "Urban minor conurbation", "C1": "Urban city and town",
                    "C2": "Urban city and town in a sparse setting", "D1": "Rural town and fringe",
                    "D2": "Rural town and fringe in a sparse setting", "E1": "Rural village and dispersed",
                    "E2": "Rural village and dispersed in a sparse setting"}


def _rural_urban_classes(col: pd.Series, rows: dict, problems: list[str]) -> pd.Series:
    """The ``rural_urban`` column as 2011 class codes (a code or its ONS name, in any letter case; empty: no
    class). Anything else is a problem naming its rows: a class such as 'Rural village' was read as urban, both by
    the rural and urban figures and by the travel model's start times."""
    by_text = {k.lower(): k for k in RURAL_URBAN_2011} | {v.lower(): k for k, v in RURAL_URBAN_2011.items()}
    out, bad = {}, []
    for i, v in col.items():
        text = "" if _blank(v) else " ".join(str(v).split())
        out[i] = by_text.get(text.lower()) if text else None
        if text and out[i] is None:
            bad.append(f"{_row_label(rows, str(i), 'area')}: {text!r}")
    if bad:
        problems.append(f"column 'rural_urban': {len(bad)} value(s) are not a 2011 rural-urban class, e.g. "
                        f"{'; '.join(bad[:5])}; expected a code ({', '.join(RURAL_URBAN_2011)}) or its ONS name "
                        f"(e.g. '{RURAL_URBAN_2011['E1']}'), or empty")
    return pd.Series(out, index=col.index, dtype=object)


def written_several_ways(df: pd.DataFrame, col: str, rows: dict, noun: str = "area") -> list[str]:
    """A problem for each name that column ``col`` writes in several ways differing only in letter case or spaces
    ('Thetford', 'thetford ', 'Thetford'): each way would be a group of its own (its own district or partnership,
    counted and planned apart), which no one means. ``rows`` maps the index (an area code, a centre id) to its file
    row; ``noun`` names what a row is."""
    vals = df[col].dropna().astype(str)
    out = []
    for _, ways in vals.groupby(vals.str.split().str.join(" ").str.lower()):
        if ways.nunique() > 1:
            seen = []
            for w in dict.fromkeys(ways):
                more = int((ways == w).sum()) - 1
                seen.append(f"{w!r} in {_row_label(rows, str(ways.index[ways == w][0]), noun)}"
                            + (f" and {more} more row{'s' if more > 1 else ''}" if more else ""))
            out.append(f"column '{col}' writes one name {ways.nunique()} ways, differing only in letter case or "
                       f"spaces: {', '.join(seen)}; each would be a {col} of its own: write it one way")
    return out


def _overlaps(bnd: gpd.GeoSeries, notes: list[str]) -> list[str]:
    """Problems for identical or substantially overlapping boundaries (each names the pair and the overlap in m2);
    slight overlaps (under :data:`OVERLAP_SHARE` of the smaller area) become a note."""
    geoms = bnd.to_numpy()
    codes = bnd.index.to_numpy()
    left, right = gpd.GeoSeries(geoms, crs=bnd.crs).sindex.query(geoms, predicate="intersects")
    problems, slight = [], []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        a, b = geoms[i], geoms[j]
        if a.equals(b):
            problems.append(f"areas {codes[i]} and {codes[j]} have identical boundaries; is one a copy of the other?")
            continue
        inter = a.intersection(b).area
        if inter <= OVERLAP_NOISE_M2:
            continue
        share = inter / max(min(a.area, b.area), 1e-9)
        if share > OVERLAP_SHARE:
            problems.append(f"areas {codes[i]} and {codes[j]} overlap by {inter:,.0f} m2 ({share:.1%} of the "
                            "smaller); boundaries must not overlap")
        else:
            slight.append((inter, codes[i], codes[j]))
        if len(problems) > 50:
            break
    if slight:
        slight.sort(reverse=True)
        notes.append(f"{len(slight)} pair(s) of boundaries overlap slightly (under {OVERLAP_SHARE:.0%} of the "
                     f"smaller area; largest {slight[0][0]:,.0f} m2, areas {slight[0][1]} and {slight[0][2]})")
    return problems


def validate_points(df: pd.DataFrame | None, areas: gpd.GeoDataFrame, source: str, notes: list[str], *,
                     kind: str, xy_crs: str = BNG, snap_metres: float = SNAP_METRES) -> gpd.GeoDataFrame:
    """Validate centres or sites: names, locations, home areas. Unlocated rows are kept and flagged. A point outside
    every area but within ``snap_metres`` of one joins the nearest (named in ``notes``); farther is an error."""
    if df is None:
        df = pd.DataFrame(columns=["name", "x", "y"])
    rows = {str(k): v for k, v in df.attrs.get("row", {}).items()}   # id -> file row, where read from a file
    df = pd.DataFrame(df).copy()
    df.index = df.index.astype(str)
    df.index.name = "id"
    problems: list[str] = []
    if "name" not in df.columns:
        problems.append(f"missing column 'name' (the {kind}'s name); {found_columns(df)}")
        raise InputError(source, problems)
    dups = sorted(set(df.index[df.index.duplicated()]))
    if dups:
        problems.append(f"duplicate {kind} id(s) {dups[:10]}; ids must be unique")
    if len(df) and not {"x", "y", "lon", "lat", "home_area"} & set(df.columns):
        problems.append(_no_location_columns(df, kind))
        raise InputError(source, problems)
    for col in CENTRE_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    blank = df["name"].map(_blank).to_numpy(bool)
    if blank.any():
        # a report names every building; an empty name read as the text "nan" (a spokes list's unnamed library)
        nameless = list(df.index[blank])
        df.loc[blank, "name"] = nameless
        notes.append(f"{len(nameless)} {kind}(s) have no name and are shown by their id: "
                     + first_of([f"row {rows[i]} ({i})" if i in rows else str(i) for i in nameless], 10))
    work = areas.crs or BNG
    if "lon" in df.columns and "lat" in df.columns and df["x"].isna().all():
        lon = numeric_column(df, "lon", source, problems, min_value=-180, max_value=180, required=False,
                             rows=rows, noun=kind)
        lat = numeric_column(df, "lat", source, problems, min_value=-90, max_value=90, required=False,
                             rows=rows, noun=kind)
        problems += _half_given(df, lon, lat, ("lon", "lat"), rows, kind)
        x, y = _xy_to(lon, lat, "EPSG:4326", work) if not problems else (lon, lat)
    else:
        x = numeric_column(df, "x", source, problems, required=False, rows=rows, noun=kind)
        y = numeric_column(df, "y", source, problems, required=False, rows=rows, noun=kind)
        problems += _half_given(df, x, y, ("x", "y"), rows, kind)
        if not problems:
            x, y = _xy_to(x, y, xy_crs, work)
    phase = _phases(df["phase"], rows, kind, problems)
    home = df["home_area"].astype(object).where(df["home_area"].notna(), None)
    unknown = [(i, h) for i, h in home.items() if h is not None and str(h) not in areas.index]
    for i, h in unknown[:20]:
        problems.append(f"{_row_label(rows, i, kind)}, column 'home_area': unknown area code {h!r}; expected one of "
                        "the areas' codes")
    if problems:
        raise InputError(source, problems)
    located = x.notna() & y.notna()
    # A stated home area far from the stated location: kept as stated (the file's word), but named in the notes.
    both = located & home.notna()
    if both.any():
        polys = areas.geometry.reindex(home[both].astype(str)).to_numpy()
        pts = gpd.points_from_xy(x[both], y[both])
        far = [i for i, poly, pt in zip(df.index[both], polys, pts, strict=True) if poly.distance(pt) > SNAP_METRES]
        if far:
            notes.append(f"{len(far)} {kind}(s) lie more than {SNAP_METRES:.0f} m from the home area the file gives "
                         "them (the home area is used): " + ", ".join(f"{df.at[i, 'name']} ({home[i]})"
                                                                     for i in far[:10]))
    # Locate home areas by point-in-polygon where the file gives none.
    need = located & home.isna()
    if need.any():
        pts = gpd.points_from_xy(x[need], y[need])
        pt_i, area_i = areas.sindex.query(pts, predicate="within")
        found = pd.Series(areas.index[area_i], index=df.index[need][pt_i])
        found = found[~found.index.duplicated()]
        outside = [i for i in df.index[need] if i not in found.index]
        if outside:
            # Boundaries are generalised and clipped at coasts and estuaries: a point within snap_metres of an
            # area joins the nearest one, and the notes say so. Farther than that is an error.
            near_pts = gpd.points_from_xy(x[outside], y[outside])
            (pi, ai), dist = areas.sindex.nearest(near_pts, max_distance=snap_metres, return_distance=True,
                                                  return_all=False)
            snapped = pd.Series(areas.index[ai], index=pd.Index(outside)[pi])
            snapped = snapped[~snapped.index.duplicated()]
            if len(snapped):
                notes.append(f"{len(snapped)} {kind}(s) lie just outside the generalised boundaries (within "
                             f"{snap_metres:.0f} m) and were given the nearest area: "
                             + ", ".join(f"{df.at[i, 'name']} -> {a}" for i, a in snapped.items()))
                found = pd.concat([found, snapped])
            outside = [i for i in outside if i not in snapped.index]
        if outside:
            raise InputError(source, [f"{_row_label(rows, i, kind, df.at[i, 'name'])}: location "
                                      f"({_given(df, i)}) lies more than {snap_metres:.0f} m outside every area; "
                                      + _where_instead(df, i) for i in outside[:20]])
        home.loc[found.index] = found.astype(str)
    # A row with a home area but no coordinates is placed at that area's centroid, and flagged as such.
    at_home = ~located & home.notna()
    if at_home.any():
        x = x.where(~at_home, areas["x"].reindex(home[at_home].astype(str)).set_axis(df.index[at_home]))
        y = y.where(~at_home, areas["y"].reindex(home[at_home].astype(str)).set_axis(df.index[at_home]))
        df["geocode_precision"] = df["geocode_precision"].astype(object)
        df.loc[at_home, "geocode_precision"] = "home area centroid"
        notes.append(f"{int(at_home.sum())} {kind}(s) have a home area but no coordinates; placed at its centroid")
    located = x.notna() & y.notna()
    district = df["district"].astype(object)
    fill = district.isna() & home.notna()
    district.loc[fill] = areas["district"].reindex(home[fill].astype(str)).to_numpy()
    geoms = [Point(a, b) if ok else None for a, b, ok in zip(x, y, located, strict=True)]
    out = gpd.GeoDataFrame({
        "name": df["name"].astype(str), "district": district.where(district.notna(), "(unknown)").astype(str),
        "home_area": home, "located": located.astype(bool),
        "geocode_precision": df["geocode_precision"].astype(object).where(df["geocode_precision"].notna(), None),
        "source_url": df["source_url"].astype(object).where(df["source_url"].notna(), None),
        "phase": phase,
        "x": x.astype(float), "y": y.astype(float),
    }, geometry=gpd.GeoSeries(geoms, index=df.index, crs=work), index=df.index, crs=work)
    for extra_col in [c for c in df.columns if c not in out.columns and c not in ("lon", "lat", "geometry")]:
        out[extra_col] = df[extra_col]
    n_unloc = int((~out["located"]).sum())
    if n_unloc:
        notes.append(f"{n_unloc} {kind}(s) have no known location and cannot be modelled: "
                     f"{', '.join(out.loc[~out['located'], 'name'])}")
    return out


#: What a centre's ``phase`` may say: 1, 2 or 3, also as "Phase 2" or 2.0 (as Excel saves a whole number).
_PHASE = re.compile(r"^\s*(?:phase\s*)?([123])(?:\.0*)?\s*$", re.IGNORECASE)


def _phases(col: pd.Series, rows: dict, kind: str, problems: list[str]) -> pd.Series:
    """The ``phase`` column as whole numbers 1-3 (empty: derived from deprivation later); any other value is a
    problem naming its row ("Phase 1" read as no phase, and 1.5 failing as an internal error, before)."""
    out = pd.Series(pd.NA, index=col.index, dtype="Int64")
    for i, v in col.items():
        if _blank(v):
            continue
        m = _PHASE.match(str(v))
        if m is None:
            problems.append(f"{_row_label(rows, i, kind)}, column 'phase': expected 1, 2 or 3 (phase 1: the most "
                            f"deprived areas, the full offer), or empty to derive it from deprivation; found {v!r}")
        else:
            out[i] = int(m.group(1))
    return out


def _no_location_columns(df: pd.DataFrame, kind: str) -> str:
    """Why a file of centres or sites with no location column at all cannot be used, and what to give instead (a
    postcode column is named: there is no postcode table to look it up in)."""
    mapping = {"centre": " (or name your own columns in `geography.centre_columns`)",
               "site": " (or name your own columns in `geography.site_columns`)"}.get(kind, "")
    text = (f"no column gives the {kind}s' locations: give x and y (metres in `geography.crs`, British National "
            f"Grid unless it says otherwise), lon and lat (degrees), or home_area (the code of the area the {kind} "
            f"stands in){mapping}; found: {list(df.columns)}")
    postcode = [c for c in df.columns if re.sub(r"[^a-z]", "", str(c).lower()) in POSTCODE_COLUMNS]
    if postcode:
        text += (f". Column {postcode[0]!r} holds postcodes, which clusterplan does not look up (it ships no postcode "
                 "table): find each postcode's lon and lat (e.g. in the ONS Postcode Directory or OS Code-Point Open) "
                 "and add them as columns")
    return text


#: Column names that hold postcodes, in lower case with all but letters dropped ("Post Code", "PCD7", "pcds").
POSTCODE_COLUMNS = frozenset({"postcode", "postcodes", "pcd", "pcds", "postalcode", "zip"})


def _half_given(df: pd.DataFrame, a: pd.Series, b: pd.Series, cols: tuple[str, str], rows: dict,
                kind: str) -> list[str]:
    """A row with one coordinate and not the other (a shifted or broken row, e.g. a name holding a comma or a line
    break), named: it is neither a location nor a row without one."""
    # a coordinate given but not a number ('abc') is named as such already; only an empty one is "half given"
    missing_blank = df[cols[0]].map(_blank).where(a.isna(), df[cols[1]].map(_blank))
    half = (a.isna() != b.isna()) & missing_blank.astype(bool)
    out = []
    for i in df.index[half.to_numpy()][:20]:
        have, missing = (cols[0], cols[1]) if b.isna()[i] else (cols[1], cols[0])
        out.append(f"{_row_label(rows, i, kind, df.at[i, 'name'])}: column '{missing}' is empty but '{have}' is "
                   f"{str(df.at[i, have])!r}; give both coordinates, or neither (a {kind} without a location may give "
                   "its home_area)")
    if half.sum() > 20:
        out.append(f"... and {int(half.sum()) - 20} more rows with one coordinate only")
    return out


def _given(df: pd.DataFrame, i) -> str:
    """The coordinates of row ``i`` as the file gave them."""
    cols = ("lon", "lat") if "lon" in df.columns and pd.notna(df.at[i, "lon"]) else ("x", "y")
    return ", ".join(f"{cols[k]} {pd.to_numeric(df.at[i, cols[k]], errors='coerce'):.6g}" for k in (0, 1))


def _where_instead(df: pd.DataFrame, i) -> str:
    """What to do about row ``i``'s location outside every area: x/y that look like degrees, lon/lat that look
    swapped (swapped, they fall in Great Britain), or else give a home area or correct the coordinates."""
    if "lon" in df.columns and pd.notna(df.at[i, "lon"]):
        lon, lat = (float(pd.to_numeric(df.at[i, c], errors="coerce")) for c in ("lon", "lat"))
        if -9 <= lat <= 3 and 49 <= lon <= 61 and not (-9 <= lon <= 3 and 49 <= lat <= 61):
            return "give its home_area or correct lon/lat - they look swapped: Great Britain's longitude is about -8 " \
                   "to 2 and latitude 49 to 61"
        return "give its home_area or correct lon/lat (degrees, EPSG:4326)"
    text = "give its home_area or correct x/y (EPSG:27700 metres unless `geography.crs` says otherwise)"
    x, y = (pd.to_numeric(df.at[i, c], errors="coerce") for c in ("x", "y"))
    if x == 0 and y == 0:   # a blank cell saved as a number: not a place in either system
        text += " - 0, 0 is usually a missing location saved as zeros"
    elif _degrees_like(df, i):
        text += " - these look like longitude/latitude degrees: name the columns lon and lat"
    return text


def _degrees_like(df: pd.DataFrame, i) -> bool:
    """True when row ``i``'s x/y look like longitude/latitude degrees."""
    if "lon" in df.columns and pd.notna(df.at[i, "lon"]):
        return False
    x, y = (pd.to_numeric(df.at[i, c], errors="coerce") for c in ("x", "y"))
    return bool(abs(x) <= 180 and abs(y) <= 90)


def changed_tables(geo: Geography) -> list[str]:
    """What is wrong with a built :class:`~clusterplan.geography.Geography`'s tables now, one sentence each (empty:
    nothing). :meth:`~clusterplan.geography.Geography.build` validated them, but a notebook can still change them
    in place (``g.areas["under5"] = ...``); a solve asks this first, so a NaN or negative count of children is an
    error naming the areas, not a solver's message about NaN or a plan on figures no file holds."""
    problems: list[str] = []
    areas = geo.areas
    dups = areas.index[areas.index.duplicated()]
    if len(dups):
        problems.append(f"areas: duplicate area code(s) {sorted(set(map(str, dups)))[:10]}; each area must appear once")
    if "under5" not in areas.columns:
        problems.append("areas: no column 'under5' (children aged 0-4)")
    else:
        u = pd.to_numeric(areas["under5"], errors="coerce").astype(float)
        for what, bad in (("not a finite number", ~np.isfinite(u)), ("negative", u < 0),
                          ("not a whole number", np.isfinite(u) & (u != np.round(u)))):
            if bad.any():
                codes = [str(c) for c in areas.index[bad.to_numpy()][:5]]
                problems.append(f"areas, column 'under5': {int(bad.sum())} area(s) {what}, e.g. {codes}; children "
                                "under five must be whole numbers >= 0 (Geography.with_under5 checks and sets them)")
    if "idaci" in areas.columns:
        d = pd.to_numeric(areas["idaci"], errors="coerce").astype(float)
        bad = (d.notna() & ((d < 0) | (d > 1))) | (areas["idaci"].notna() & d.isna())   # out of range, or no number
        if bad.any():
            codes = [str(c) for c in areas.index[bad.to_numpy()][:5]]
            problems.append(f"areas, column 'idaci': {int(bad.sum())} area(s) outside 0-1, e.g. {codes}")
    located = geo.centres.index[geo.centres["located"].astype(bool)] if "located" in geo.centres.columns else []
    for name in ("centre_minutes", "site_minutes"):
        m = getattr(geo, name)
        # an unlocated centre has no minutes (NaN): it cannot be modelled, and the geography's summary lists it
        v = (m[m.columns.intersection(located)] if name == "centre_minutes" else m).to_numpy(dtype=float,
                                                                                               na_value=np.nan)
        if np.isnan(v).any() or (v < 0).any():
            rows = np.flatnonzero(np.isnan(v).any(axis=1) | (v < 0).any(axis=1))
            problems.append(f"{name}: missing or negative minutes for {len(rows)} area(s), e.g. "
                            f"{[str(m.index[r]) for r in rows[:5]]}; expected minutes >= 0")
        if not m.index.equals(areas.index):
            problems.append(f"{name}: its rows are not the areas (expected one row per area, in the areas' order)")
    return problems
