"""Write the hostile cases derived from ``_base/`` (a new user's own files and ordinary mistakes).

Run from the repository root (``python tests/bad_inputs/make_cases.py``) to regenerate. Every broken file is made here
from the real ``_base`` files by code (coordinates re-declared, a polygon copied or grown, a key given twice), so the
cases are reproducible and nothing is typed in by hand. Each case folder gets ``scenario.yaml``, its broken files and
``expect.yaml`` (exit code, words the message must contain, optionally the command line).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml

HERE = Path(__file__).parent
BASE = HERE / "_base"
FILES = "geography: {areas: ../_base/areas.csv, boundaries: ../_base/boundaries.geojson, centres: ../_base/centres.csv}"


def case(name: str, scenario: str, expect: dict, files: dict[str, object] | None = None) -> Path:
    """Write one case folder: ``files`` maps a file name to text or to a callable writing that path."""
    folder = HERE / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    (folder / "scenario.yaml").write_text(scenario, encoding="utf-8")
    for fname, content in (files or {}).items():
        path = folder / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_text(content, encoding="utf-8")
    (folder / "expect.yaml").write_text(yaml.safe_dump(expect, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def own(boundaries: str = "../_base/boundaries.geojson", areas: str = "../_base/areas.csv",
        centres: str = "../_base/centres.csv", extra: str = "") -> str:
    return (f"geography: {{areas: {areas}, boundaries: {boundaries}, centres: {centres}{extra}}}\n"
            "reach: {min: 100}\n")


def main() -> None:
    bnd = gpd.read_file(BASE / "boundaries.geojson")
    areas = pd.read_csv(BASE / "areas.csv", dtype={"code": str})

    # 1. Own files with builtin as well: an error naming both keys (never a silent switch to Norfolk).
    case("builtin_with_files", "geography: {builtin: norfolk, areas: ../_base/areas.csv, boundaries: "
         "../_base/boundaries.geojson}\n", {"exit": 2, "contains": ["geography.builtin", "geography.areas"]})

    # 2. Outputs over inputs.
    case("out_is_input_folder", own(), {"exit": 2, "contains": ["holds an input", "scenario.yaml"],
                                        "argv": ["run", "{case}/scenario.yaml", "--out", "{case}"]})
    case("out_is_input_file", own(), {"exit": 2, "contains": ["is an input", "areas.csv"],
                                      "argv": ["run", "{case}/scenario.yaml", "--out", "{case}/../_base/areas.csv"]})
    case("out_not_ours", own(), {"exit": 2, "contains": ["not written by clusterplan", "notes.txt"],
                                 "argv": ["run", "{case}/scenario.yaml", "--out", "{case}/mine"]},
         {"mine/notes.txt": "a commissioner's own notes: must never be deleted\n"})
    case("out_inside_a_file", own(), {"exit": 2, "contains": ["is a file", "readme.txt"],
                                      "argv": ["run", "{case}/scenario.yaml", "--out", "{case}/readme.txt/plan"]},
         {"readme.txt": "not a folder\n"})
    case("out_is_input_for_alternatives", own(), {
        "exit": 2, "contains": ["holds an input"],
        "argv": ["alternatives", "{case}/scenario.yaml", "--out", "{case}", "--k", "1"]})
    case("out_name_too_long", own(), {"exit": 2, "contains": ["cannot make the folder", "shorter"],
                                      "argv": ["run", "{case}/scenario.yaml", "--out", "{out}" + "y" * 240]})
    case("compare_same_file_twice", own(), {
        "exit": 2, "contains": ["more than once"],
        "argv": ["compare", "{case}/scenario.yaml", "{case}/scenario.yaml", "--out", "{out}"]})

    # 3. Coordinates that do not mean what their CRS says.
    def lonlat_as_bng(path: Path) -> None:
        b = bnd.to_crs(4326).set_crs(27700, allow_override=True)
        b.to_file(path, driver="GPKG")

    def metres_as_degrees(path: Path) -> None:
        bnd.set_crs(4326, allow_override=True).to_file(path, driver="GPKG")

    case("lonlat_declared_bng", own(boundaries="boundaries.gpkg"),
         {"exit": 2, "contains": ["boundaries.gpkg", "implausibly small", "EPSG:4326"]},
         {"boundaries.gpkg": lonlat_as_bng})
    case("metres_declared_degrees", own(boundaries="boundaries.gpkg"),
         {"exit": 2, "contains": ["boundaries.gpkg", "look like", "metres"]},
         {"boundaries.gpkg": metres_as_degrees})
    case("centre_xy_in_degrees", own(centres="centres.csv"),
         {"exit": 2, "contains": ["centres.csv", "longitude/latitude"]},
         {"centres.csv": "id,name,x,y\nattleborough,Attleborough Children's Centre,0.9992,52.5195\n"})
    case("crs_not_projected", own(extra=", crs: EPSG:4326"),
         {"exit": 2, "contains": ["geography.crs", "degrees"]})

    # 4. Keys given twice, names that match two centres.
    case("duplicate_yaml_key", "model: amalgamate\nreach: {min: 600}\nsolver: {time_limit: 30}\nreach: {min: 100}\n",
         {"exit": 2, "contains": ["`reach`", "given twice", "lines 2 and 4"]})
    case("duplicate_nested_key", "model: amalgamate\nreach:\n  min: 600\n  min: 100\n",
         {"exit": 2, "contains": ["`reach.min`", "given twice"]})
    case("ambiguous_centre_name", own(centres="centres.csv") + "centres: {keep: [Centre A]}\n",
         {"exit": 2, "contains": ["centres.keep", "names 2 centres", "a1", "a2"]},
         {"centres.csv": "id,name,x,y\na1,Centre A,604387.0,294964.0\na2,Centre A,599200.0,297400.0\n"})

    # 5. Geometry that overlaps or repeats.
    def identical(path: Path) -> None:
        extra = bnd.iloc[[0]].assign(code="E99999999")
        gpd.GeoDataFrame(pd.concat([bnd, extra]), crs=bnd.crs).to_file(path, driver="GeoJSON")

    def grown(path: Path) -> None:
        b = bnd.copy()
        b.loc[0, "geometry"] = b.geometry.iloc[0].buffer(400)
        b.to_file(path, driver="GeoJSON")

    dup_areas = pd.concat([areas, areas.iloc[[0]].assign(code="E99999999")])
    case("identical_polygons", own(areas="areas.csv", boundaries="boundaries.geojson"),
         {"exit": 2, "contains": ["identical boundaries", "E99999999"]},
         {"areas.csv": dup_areas.to_csv(index=False), "boundaries.geojson": identical})
    case("overlapping_polygons", own(boundaries="boundaries.geojson"),
         {"exit": 2, "contains": ["overlap by", "m2", areas["code"].iloc[0]]}, {"boundaries.geojson": grown})

    def two_layers(path: Path) -> None:
        bnd.to_file(path, layer="lsoa", driver="GPKG")
        bnd.to_file(path, layer="wards", driver="GPKG")

    case("two_layer_file", own(boundaries="boundaries.gpkg"),
         {"exit": 2, "contains": ["boundaries.gpkg", "2 layers", "lsoa", "wards", "geography.layers"]},
         {"boundaries.gpkg": two_layers})
    case("layer_not_in_file", own(boundaries="boundaries.gpkg", extra=", layers: {boundaries: lsoas}"),
         {"exit": 2, "contains": ["no layer 'lsoas'", "lsoa, wards"]}, {"boundaries.gpkg": two_layers})

    # 6. Files that are missing, not files, or not what the role needs.
    for role in ("boundaries", "centres", "sites", "adjacency"):
        scen = own(**({role: "typo.geojson"} if role in ("boundaries", "centres") else {}),
                   extra={"sites": ", sites: typo.csv", "adjacency": ", adjacency: typo.csv"}.get(role, ""))
        if role == "sites":
            scen += "model: sites\n"
        case(f"{role}_file_missing", scen, {"exit": 2, "contains": ["typo", "file not found"]})
    case("boundaries_not_a_file", own(boundaries="/dev/zero"),
         {"exit": 2, "contains": ["/dev/zero", "not a regular file"]})
    case("empty_area_codes", own(areas="areas.csv"), {"exit": 2, "contains": ["areas.csv", "row 4", "empty area code"]},
         {"areas.csv": areas.assign(code=[c if k != 2 else "" for k, c in enumerate(areas["code"])]).to_csv(
             index=False)})

    # 7. Resources bounded.
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    prev = "a"
    for n in "bcdefghi":
        bomb += f"{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        prev = n
    case("yaml_alias_bomb", bomb, {"exit": 2, "contains": ["expands to more than", "aliases"]})
    case("yaml_too_deep", "model: amalgamate\nreach: " + "[" * 2000 + "]" * 2000 + "\n",
         {"exit": 2, "contains": ["nested too deeply"]})
    case("threads_too_many", "solver: {threads: 100000}\n", {"exit": 2, "contains": ["solver.threads", "256"]})
    case("count_too_many", "centres: {count: 10000000}\n", {"exit": 2, "contains": ["centres.count", "100000"]})

    # 8. Explicit contiguity that names unknown areas or leaves one unlinked.
    codes = list(areas["code"])
    case("adjacency_unknown_area", own(extra=", adjacency: pairs.csv"),
         {"exit": 2, "contains": ["pairs.csv", "row 3", "E99999999"]},
         {"pairs.csv": f"area_a,area_b\n{codes[0]},{codes[1]}\n{codes[1]},E99999999\n"})
    pairs = "".join(f"{a},{b}\n" for a, b in zip(codes[:4], codes[1:5], strict=True))
    case("adjacency_leaves_area_alone", own(extra=", adjacency: pairs.csv"),
         {"exit": 2, "contains": ["no neighbour", codes[5]]}, {"pairs.csv": "area_a,area_b\n" + pairs})
    case("adjacency_unknown_kind", own(extra=", adjacency: bishop"),
         {"exit": 2, "contains": ["bishop", "file not found"]})
    case("adjacency_without_header", own(extra=", adjacency: pairs.csv"),
         {"exit": 2, "contains": ["pairs.csv", f"no header row: the first line holds {codes[0]} and {codes[1]}, read "
                                  "as column names; add the line area_a,area_b at the top"]}, {"pairs.csv": pairs})

    # 9. check on damaged plan folders.
    case("check_truncated_manifest", "model: amalgamate\n",
         {"exit": 2, "contains": ["manifest.json", "not valid JSON"], "argv": ["check", "{case}/plan"]},
         {"plan/manifest.json": '{"written_by": "clusterplan", "model": "amalg', "plan/assignment.csv": "area,centre\n",
          "plan/centres.csv": "centre,name,status\n"})
    case("check_manifest_missing_key", "model: amalgamate\n",
         {"exit": 2, "contains": ["manifest.json", "resolved_scenario"], "argv": ["check", "{case}/plan"]},
         {"plan/manifest.json": '{"written_by": "clusterplan", "model": "amalgamate", "scenario": "x", '
                                '"status": "optimal", "input_hashes": {}}',
          "plan/assignment.csv": "area,centre\n", "plan/centres.csv": "centre,name,status\n"})
    case("check_input_deleted", "model: amalgamate\n",
         {"exit": 2, "contains": ["gone.csv", "file not found", "restore it"], "argv": ["check", "{case}/plan"]},
         {"plan/manifest.json": '{"written_by": "clusterplan", "model": "amalgamate", "scenario": "x", '
                                '"status": "optimal", "input_hashes": {}, "resolved_scenario": {"geography": '
                                '{"builtin": null, "areas": "/nonexistent/gone.csv", '
                                '"boundaries": "/nonexistent/b.geojson"}}}',
          "plan/assignment.csv": "area,centre,cluster\n", "plan/centres.csv": "centre,name,status\n"})
    case("check_not_a_folder", "model: amalgamate\n",
         {"exit": 2, "contains": ["not a folder"], "argv": ["check", "{case}/scenario.yaml"]})

    # A continental Excel's export: semicolons between fields, decimal commas within them.
    def decimal_commas(path: Path) -> None:
        text = areas.to_csv(index=False, sep=";")
        path.write_text("\n".join(line if n == 0 else line.replace(".", ",")
                                  for n, line in enumerate(text.splitlines())) + "\n", encoding="utf-8")
    case("decimal_commas", own(areas="areas.csv"), {
        "exit": 2, "contains": ["areas.csv", "row 2 (area E01026419), column 'idaci': expected a number, found "
                                "'0,073' (a decimal comma? write it with a decimal point: 0.073)"]},
         {"areas.csv": decimal_commas})

    # The register exported with its postcodes and no coordinates: postcodes are not looked up (no table shipped).
    gias = pd.read_csv(HERE.parents[1] / "clusterplan" / "data" / "norfolk" / "norfolk_childrens_centres_gias.csv",
                       dtype={"urn": str})
    case("centres_postcodes_only", "geography: {builtin: norfolk, centres: centres.csv}\nreach: {min: 600}\n", {
        "exit": 2, "contains": ["centres.csv", "no column gives the centres' locations",
                                "found: ['urn', 'name', 'postcode']", "Column 'postcode' holds postcodes",
                                "lon and lat"]},
         {"centres.csv": gias[gias["linked_site"] == "no"][["urn", "name", "postcode"]].to_csv(index=False)})

    # Every coordinate empty (a column copied over from a sheet that lost them): named, not "no centre may stay open".
    centres = pd.read_csv(BASE / "centres.csv", dtype=str)
    case("centres_all_unlocated", own(centres="centres.csv"), {
        "exit": 2, "contains": ["centres.csv", f"none of the {len(centres)} centres has a location"]},
         {"centres.csv": centres.drop(columns="home_area").assign(x="", y="").to_csv(index=False)})

    # One district written three ways (a trailing space, a lower-case copy): each would be a district of its own.
    ways = areas.copy()
    ways.loc[[3, 4, 5], "district"] = ["Thetford", "thetford ", "Thetford"]
    case("district_written_two_ways", own(areas="areas.csv"), {
        "exit": 2, "contains": ["areas.csv", "column 'district' writes one name 2 ways, differing only in letter "
                                "case or spaces: 'Thetford' in row 5 (area E01026449) and 1 more row, 'thetford ' in "
                                "row 6 (area E01026464)"]},
         {"areas.csv": ways.to_csv(index=False)})

    # A phase that is not 1, 2 or 3 (1.5 was an internal error; "Phase 1" was read as no phase before it was taken).
    case("phase_not_1_2_3", own(centres="centres.csv"), {
        "exit": 2, "contains": ["centres.csv", "row 2 (centre attleborough), column 'phase': expected 1, 2 or 3",
                                "found 1.5"]},
         {"centres.csv": centres.assign(phase="1.5").to_csv(index=False)})

    # Rural-urban classes written as words of one's own: read as urban before, by the figures and the travel model.
    case("rural_urban_not_a_class", own(areas="areas.csv"), {
        "exit": 2, "contains": ["areas.csv", "column 'rural_urban': 6 value(s) are not a 2011 rural-urban class, e.g. "
                                "row 2 (area E01026419): 'Rural village'", "expected a code (A1, B1, C1, C2, D1, D2, "
                                "E1, E2) or its ONS name"]},
         {"areas.csv": areas.assign(rural_urban="Rural village").to_csv(index=False)})

    # An IMD decile that is not a whole number: an internal error before (it could not be stored as a decile).
    case("imd_decile_not_whole", own(areas="areas.csv"), {
        "exit": 2, "contains": ["areas.csv", "row 4 (area E01026422), column 'imd_decile': expected a whole number, "
                                "found 5.5"]},
         {"areas.csv": areas.assign(imd_decile=[1, 2, 5.5, 3, 4, 5]).to_csv(index=False)})

    # Bus stop calls that are not a count (text, negative): read as "not known" before, without a word.
    case("bus_calls_not_a_count", own(areas="areas.csv"), {
        "exit": 2, "contains": ["areas.csv", "row 3 (area E01026420), column 'bus_calls': expected a number, found "
                                "'none'", "row 5 (area E01026449), column 'bus_calls': must be >= 0, found -3"]},
         {"areas.csv": areas.assign(bus_calls=[10, "none", "", -3, 4, 5]).to_csv(index=False)})

    # An areas file saved without its header row: its first area read as the column names.
    case("areas_without_header", own(areas="areas.csv"), {
        "exit": 2, "contains": ["areas.csv", "missing column 'code'", "numbers such as 63 where column names belong: "
                                "the file seems to have no header row"]},
         {"areas.csv": areas.to_csv(index=False, header=False)})


if __name__ == "__main__":
    main()
