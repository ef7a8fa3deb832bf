"""The HTML report renders in headless Chromium; sweeps run in worker processes and resume."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest

from clusterplan.batch import parse_sets, sweep, variants
from clusterplan.cli import main

ROOT = Path(__file__).resolve().parents[1]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium for the report screenshot test (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return exe


def test_html_report_renders_in_headless_chromium(tmp_path):
    out = tmp_path / "sq"
    assert main(["run", str(ROOT / "scenarios" / "norfolk" / "status_quo.yaml"), "--out", str(out)]) == 0
    shot = tmp_path / "report.png"
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400",
                    f"--screenshot={shot}", (out / "report.html").as_uri()],
                   check=True, timeout=120, capture_output=True)
    img = mpimg.imread(shot)
    assert img.shape[0] >= 2000 and img.shape[1] >= 1100
    # a rendered report has text, tables and a coloured map: far from a blank page
    assert img[..., :3].std() > 0.1
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "How sure is the optimiser?" in html and "http" not in \
        html.split("<body>")[1].split("Contains public sector")[0].replace("https://", "").replace("http://", "")
    # written for a councillor: a summary first, human headers, names not ids, a glossary
    body = html.split("<body>")[1]
    assert body.index("In brief.") < body.index("<h2>")
    centres = pd.read_csv(out / "centres.csv")
    assert f"{int((centres['reach'] < 600).sum())} reach fewer than 600 children under five" in body
    assert "<th>Reach (children under five)</th>" in body and "<th>merged_into</th>" not in body
    assert "st-clement-s" not in body and "St Clement" in body
    assert "<h2>Glossary</h2>" in body and "<dt>LSOA</dt>" in body


def test_set_parsing_and_validation():
    assert parse_sets(["reach.min=500,600", "deprivation.weight=0,1.5"]) == [
        ("reach.min", [500, 600]), ("deprivation.weight", [0, 1.5])]
    v = variants({"model": "amalgamate"}, parse_sets(["reach.min=500,600", "deprivation.weight=0,1"]))
    assert len(v) == 4 and v[0][0] == "reach.min=500__deprivation.weight=0"
    import clusterplan as cp
    with pytest.raises(cp.ScenarioError, match="did you mean 'reach.min'"):
        variants({"model": "amalgamate"}, parse_sets(["reach.mni=500"]))
    with pytest.raises(cp.ScenarioError, match="reach.min is given more than once"):
        parse_sets(["reach.min=500", "reach.min=600"])
    # one folder per variant: a value given twice, or two that differ only in punctuation, are refused before any
    # run (both variants were solved, then the table of their rows failed: an internal error)
    with pytest.raises(cp.ScenarioError, match=r"^--set: reach.min=600 is given twice; give each value once$"):
        variants({"model": "amalgamate"}, parse_sets(["reach.min=500,600,600"]))
    with pytest.raises(cp.ScenarioError, match=r"^--set: name=a/b and name=a_b would share one folder \(name=a_b\)"):
        variants({"model": "amalgamate"}, parse_sets(["name=a/b,a_b"]))
    # a list in brackets is one value (its commas split it, and '[Diss' was "not valid YAML"); quotes likewise
    assert parse_sets(["centres.keep=[Diss,Harleston],[Diss]", "name='a,b',c"]) == [
        ("centres.keep", [["Diss", "Harleston"], ["Diss"]]), ("name", ["a,b", "c"])]


def test_each_set_option_adds_its_key():
    """`--set a=1 --set b=2` sweeps both keys, as `--set a=1 b=2` does; the second --set used to replace the
    first, so a sweep over two keys silently ran over one."""
    from clusterplan.cli import build_parser
    parse = build_parser().parse_args
    two = parse(["sweep", "s.yaml", "--out", "o", "--set", "geography.authority=Rutland,Hartlepool",
                 "--set", "reach.min=500,600"])
    one = parse(["sweep", "s.yaml", "--out", "o", "--set", "geography.authority=Rutland,Hartlepool",
                 "reach.min=500,600"])
    assert two.set == one.set == ["geography.authority=Rutland,Hartlepool", "reach.min=500,600"]
    kent = parse(["batch", "s.yaml", "--out", "o", "--authorities", "Kent, Rutland", "--authorities", "E06000001"])
    assert kent.authorities == ["Kent", "Rutland", "E06000001"]       # likewise each --authorities adds its own


def test_sweep_runs_in_workers_and_resumes(tmp_path, england_dir):
    """The network capacity of Hartlepool (real England data) under two floors (Dask runs the same jobs through the
    same executor.map_jobs: tests/test_batch.py compares it with local workers)."""
    base = {"name": "sweep test", "model": "capacity", "solver": {"time_limit": 60},
            "geography": {"builtin": "england", "authority": "Hartlepool", "data": str(england_dir)}}
    lines = []
    table = sweep(base, ["reach.min=550,650"], tmp_path / "local", workers=2, progress=lines.append)
    assert list(table.index) == ["reach.min=550", "reach.min=650"]
    assert (table["solver_status"] == "optimal").all()
    assert list(table["reach.min"]) == [550, 650]   # each variant's setting as a column: no label parsing
    assert table.loc["reach.min=550", "centres_kept"] > table.loc["reach.min=650", "centres_kept"]
    metrics = json.loads((tmp_path / "local" / "reach.min=650" / "metrics.json").read_text())
    assert metrics["centres_below_floor"] == 0 and metrics["reach_floor"] == 650
    again = []
    sweep(base, ["reach.min=550,650"], tmp_path / "local", workers=2, progress=again.append)
    assert again == ["2 variants: 2 already done, 0 to run on 2 local worker process(es)"]
    one = []
    sweep(base, ["reach.min=650"], tmp_path / "local", workers=2, progress=one.append)
    assert one == ["1 variant: 1 already done, 0 to run on 2 local worker process(es)"]   # not "1 variants"
    # a variant whose metrics are damaged (or not an object) is not trusted as done: it runs again
    for damage in ("{not json", "[1, 2]"):
        (tmp_path / "local" / "reach.min=650" / "metrics.json").write_text(damage)
        redo = []
        again_table = sweep(base, ["reach.min=550,650"], tmp_path / "local", workers=2, progress=redo.append)
        assert redo[0] == ("2 variants: 1 already done, 1 to run on 2 local worker process(es) "
                           "(1 re-run: their files were incomplete or damaged)")
        assert again_table.loc["reach.min=650", "reach_floor"] == 650



def test_a_failed_variant_shows_its_whole_error(tmp_path):
    """A variant's error in sweep.csv held only its first line, "InputError: ...: 1 problem found:", never the
    problem. Here the travel table lacks a column (a SYNTHETIC two-row table): the cell names it, and says what kind
    of error it is in the command line's words, not Python's class name."""
    (tmp_path / "m.csv").write_text("area,centre,minutes\nE01026419,diss,5\n")
    base = {"name": "sweep test", "model": "status_quo", "geography": {"builtin": "norfolk"}}
    table = sweep(base, [f"geography.travel_minutes={tmp_path / 'm.csv'}"], tmp_path / "out", workers=1)
    error = table["error"].iloc[0]
    assert error.startswith("bad input: ")
    assert "missing column 'destination' (found: ['area', 'centre', 'minutes'])" in error


def test_an_error_cell_says_its_kind_in_words():
    """batch.csv and sweep.csv cells began with Python's class name ("InfeasibleError: ..."); they now use the words
    the command line prints, and a bug still says it is one, with its type."""
    from clusterplan.errors import InfeasibleError, InputError, OutputError, ScenarioError, SolverError, one_line
    assert one_line(InfeasibleError("no plan", ["area E01 holds 71 children"])) == \
        "infeasible: no plan - area E01 holds 71 children"
    assert one_line(InputError("areas.csv", ["row 3: under5 is 'x'"])).startswith("bad input: areas.csv: 1 problem")
    assert one_line(ScenarioError("`reach.min`: expected a number")).startswith("bad input: `reach.min`")
    assert one_line(SolverError("cbc crashed")) == "solver: cbc crashed"
    assert one_line(OutputError("out: not a folder")) == "cannot write: out: not a folder"
    assert one_line(KeyError("status")) == "internal error (KeyError): 'status'"
    assert one_line(ValueError("x" * 600), limit=10) == "internal error (ValueError): xxxxxxxxxx..."


def test_the_sweep_command_names_each_variant_without_a_plan(tmp_path, capsys, england_dir):
    """Rutland (real England tables) at floors of 600 and 5,000 (all 1,776 children cannot fill one centre): the
    terminal table has no column for the error, so the closing lines count and name the variant without a plan (its
    row was dashes, and the sweep said it wrote 'one folder per variant'); the counts of the other read as whole
    numbers, not 1.0."""
    from clusterplan.cli import main
    (tmp_path / "s.yaml").write_text("name: Rutland\nmodel: amalgamate\n"
                                     f"geography: {{builtin: england, authority: Rutland, data: {england_dir}}}\n")
    assert main(["--quiet", "sweep", str(tmp_path / "s.yaml"), "--set", "reach.min=600,5000", "--out",
                 str(tmp_path / "o"), "--workers", "1"]) == 0
    said = capsys.readouterr().out.splitlines()
    row = next(line for line in said if line.startswith("reach.min=600 "))
    assert row.split()[1:5] == ["600", "600", "1", "0"], row
    assert "(every figure of every variant: 2 variants, 1 without a plan)" in said[-2]
    assert said[-1].startswith("  reach.min=5000: infeasible: amalgamation: the scenario cannot be met: - all 23 "
                               "areas together (one corridor component) hold only 1,776 children under five")
