"""Batch runs over English authorities: one row each, failures reported, resumable, the same on Dask."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterplan import io as cpio
from clusterplan.batch import batch
from clusterplan.cli import main
from clusterplan.executor import cores

# one worker runs the whole module under pytest-xdist, so its module fixtures are built once
pytestmark = pytest.mark.xdist_group("batch")

# Small real authorities: two that solve to proof, one below the floor (a single island LSOA) and one whose six
# areas together fall short.
SMALL = ["Rutland", "Hartlepool", "Isles of Scilly", "E09000001"]
BASE = {"name": "capacity", "model": "capacity", "reach": {"min": 600}, "solver": {"time_limit": 60}}


@pytest.fixture(scope="module")
def local_batch(england_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch_local")
    lines: list[str] = []
    table = batch(BASE, out, authorities=SMALL, data=england_dir, workers=2, progress=lines.append)
    return out, table, lines


def test_one_row_per_authority_and_failures_reported(local_batch):
    out, table, lines = local_batch
    assert table["authority"].tolist() == ["E06000017", "E06000001", "E06000053", "E09000001"]
    assert lines[0] == "4 authorities: 0 already done, 4 to run on 2 local worker process(es)"
    ok = table[table["status"] == "optimal"]
    assert ok["name"].tolist() == ["Rutland", "Hartlepool"]
    assert (ok["gap"] == 0).all() and (ok["centres"] == ok["bound"]).all()
    bad = table.set_index("name").loc[["Isles of Scilly", "City of London"]]
    assert (bad["status"] == "infeasible").all()
    assert "the only area, E01019077, holds only 71 children" in bad.loc["Isles of Scilly", "error"]
    assert "474 children under five, below the floor of 600" in bad.loc["City of London", "error"]
    on_disk = pd.read_csv(out / "batch.csv")
    assert on_disk["authority"].tolist() == table["authority"].tolist()
    assert on_disk["areas"].tolist() == [23, 58, 1, 6]
    # every written plan passes the independent checker, against inputs rebuilt from its manifest
    for folder in ok["folder"]:
        violations, warnings = cpio.check_dir(out / folder)
        assert violations == [] and warnings == []
        # two workers share the machine's cores: each solve ran on its share, and says so; the scenario (which sets
        # no threads) is recorded as given, so a re-run with another number of workers finds the plan current
        manifest = cpio.read_manifest(out / folder)
        assert manifest["threads"] == max(1, cores() // 2)
        assert manifest["resolved_scenario"]["solver"]["threads"] is None


def test_a_rerun_skips_what_is_done_and_retries_what_failed(local_batch, england_dir):
    out, table, _ = local_batch
    stamps = {f: (out / f / "assignment.csv").stat().st_mtime_ns for f in table["folder"].dropna() if f}
    lines: list[str] = []
    again = batch(BASE, out, authorities=SMALL, data=england_dir, workers=1, progress=lines.append)
    assert lines[0] == "4 authorities: 2 already done, 2 to run on 1 local worker process(es)"
    assert {f: (out / f / "assignment.csv").stat().st_mtime_ns for f in stamps} == stamps
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), table.drop(columns="seconds"))
    # a plan whose metrics.json is damaged is not trusted as done (it read as an internal error): it runs again
    rutland = table.set_index("name").at["Rutland", "folder"]
    (out / rutland / "metrics.json").write_text("{not json")
    lines.clear()
    redo = batch(BASE, out, authorities=SMALL, data=england_dir, workers=1, progress=lines.append)
    assert lines[0] == ("4 authorities: 1 already done, 3 to run on 1 local worker process(es) "
                        "(1 re-run: their files were incomplete or damaged)")
    pd.testing.assert_frame_equal(redo.drop(columns="seconds"), table.drop(columns="seconds"))


def test_dask_local_cluster_gives_the_same_plans(local_batch, england_dir, tmp_path):
    out, table, _ = local_batch
    lines: list[str] = []
    dask_table = batch(BASE, tmp_path, authorities=SMALL, data=england_dir, workers=2, scheduler="local",
                       progress=lines.append)
    assert lines[0] == "4 authorities: 0 already done, 4 to run on a Dask LocalCluster of 2 worker process(es)"
    pd.testing.assert_frame_equal(dask_table.drop(columns="seconds"), table.drop(columns="seconds"))
    for folder in table["folder"].dropna():
        if folder:
            for f in ("assignment.csv", "centres.csv"):
                assert (tmp_path / folder / f).read_bytes() == (out / folder / f).read_bytes()


def test_cli_batch_rejects_what_it_cannot_run(tmp_path, england_dir, capsys):
    scn = tmp_path / "hybrid.yaml"
    scn.write_text("model: amalgamate\npolicies: {others: {model: cluster}}\n")
    assert main(["batch", str(scn), "--out", str(tmp_path / "o"), "--england-data", str(england_dir)]) == 2
    assert "without stages or policies" in capsys.readouterr().err
    scn.write_text("model: capacity\n")
    assert main(["batch", str(scn), "--out", str(tmp_path / "o"), "--england-data", str(england_dir),
                 "--authorities", "Rutland,Nofolk"]) == 2
    assert "did you mean 'Norfolk'" in capsys.readouterr().err
    assert main(["batch", str(scn), "--out", str(tmp_path / "o"), "--england-data", str(england_dir),
                 "--dask", "local", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["batch", str(scn), "--out", str(tmp_path / "o"), "--england-data", str(tmp_path / "none")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["sweep", str(scn), "--set", "reach.min=500", "--out", str(tmp_path / "o"), "--dask", "local",
                 "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "not both" in capsys.readouterr().err


@pytest.mark.parametrize("gap, words", [(None, "no bound"), (float("nan"), "no bound"), (0.0, "gap 0.00%"),
                                        (0.0004, "gap 0.04%"), (1.0, "gap 100.00%, no useful bound"),
                                        (0.5, "gap 50.00%")])
def test_a_batch_progress_line_says_no_bound_where_a_solve_had_none(gap, words):
    """Dorset's family hubs at 20 s (real England tables) stopped with a plan and no bound (its manifest's gap is
    None); the progress line printed "feasible, 5 centres, gap 0.00%", a proof it did not have. None comes from a
    manifest, NaN from a batch.csv read back."""
    from clusterplan.batch import _gap_words
    assert _gap_words(gap) == words


def test_cli_batch_runs_and_lists_authorities(tmp_path, england_dir, capsys):
    scn = tmp_path / "capacity.yaml"
    scn.write_text("model: capacity\nsolver: {time_limit: 60}\n")
    assert main(["batch", str(scn), "--out", str(tmp_path / "o"), "--england-data", str(england_dir),
                 "--authorities", "Rutland", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "written:" in out and "Rutland: optimal, 2 centres, gap 0.00%" in out
    assert pd.read_csv(tmp_path / "o" / "batch.csv")["centres"].tolist() == [2]
    # Rutland keeps its one centre: the progress line says "1 centre", not "1 centres"
    scn.write_text("model: amalgamate\nsolver: {time_limit: 60}\n")
    assert main(["batch", str(scn), "--out", str(tmp_path / "a"), "--england-data", str(england_dir),
                 "--authorities", "Rutland", "--workers", "1"]) == 0
    assert "Rutland: optimal, 1 centre, gap 0.00%" in capsys.readouterr().out
    assert main(["check", str(tmp_path / "a")]) == 0   # the batch folder: each plan, then a line for them all
    assert capsys.readouterr().out.rstrip().endswith(": 1 plan checked: 1 holds every constraint")
    assert main(["authorities", "--england-data", str(england_dir)]) == 0
    assert "152 upper-tier authorities, 32,844 areas, 3,239,447 children under five" in capsys.readouterr().out


def test_a_batch_refuses_before_any_solve_to_replace_an_authority_folder_a_person_added_files_to(
        tmp_path, england_dir, capsys, monkeypatch):
    """Rutland (real England tables). An authority's plan folder holding a person's notes, to be written again (the
    scenario changed), was solved and then reported as failed at the swap; now the batch refuses before any
    solve, naming the folder and the file."""
    from clusterplan import batch as batch_module
    scn = tmp_path / "capacity.yaml"
    scn.write_text("model: capacity\nsolver: {time_limit: 60}\n")
    argv = ["--quiet", "batch", str(scn), "--out", str(tmp_path / "o"), "--england-data", str(england_dir),
            "--authorities", "Rutland", "--workers", "1"]
    assert main(argv) == 0
    folder = next(p for p in (tmp_path / "o").iterdir() if p.is_dir())
    (folder / "notes.txt").write_text("mine")
    scn.write_text("model: capacity\nsolver: {time_limit: 61}\n")

    def refuse(*args, **kwargs):
        raise AssertionError("solved before the authority's folder was refused")

    monkeypatch.setattr(batch_module, "run", refuse)
    capsys.readouterr()
    assert main(argv) == 2
    assert f"again that files were added to since: {folder.name} (notes.txt)" in capsys.readouterr().err
    assert (folder / "notes.txt").read_text() == "mine"
