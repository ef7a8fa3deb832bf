"""Faults and reproducibility: a crashing solver is named, Ctrl-C leaves nothing half-written and a sweep resumes,
and a plan's manifest notices when any of its inputs changes."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pulp
import pytest

import clusterplan as cp
from clusterplan import io as cpio
from clusterplan import runner
from clusterplan.cli import main
from clusterplan.scenario import load

from . import synthetic as syn

BASE = Path(__file__).parent / "bad_inputs" / "_base"


@pytest.fixture()
def own_files(tmp_path):
    """A commissioner's own files (six real Norfolk areas, one real centre) and a scenario naming them."""
    for f in BASE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "scenario.yaml").write_text(
        "name: six areas\nmodel: amalgamate\nreach: {min: 100}\n"
        "geography: {builtin: null, areas: areas.csv, boundaries: boundaries.geojson, centres: centres.csv}\n")
    return tmp_path


def test_a_crashing_solver_is_named_with_the_alternatives_and_leaves_no_files(tmp_path, monkeypatch):
    """CBC dying mid-run (a stand-in binary that exits like a segfault) is a SolverError, not a traceback, and PuLP's
    model and start files (which PuLP leaves behind when the solver fails) do not pile up in the temporary folder."""
    import tempfile
    fake = tmp_path / "cbc"
    fake.write_text("#!/bin/sh\nexit 139\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", str(fake))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    geo = syn.ring(6, 100, {"A": 0, "B": 3})
    with pytest.raises(cp.SolverError, match=r"(?s)solver 'cbc' stopped with an error.*installed: .*highs"):
        cp.solve(geo, {"solver": {"name": "cbc"}, "reach": {"min": 100}})
    assert list(scratch.iterdir()) == []


def test_cbc_crashing_on_a_warm_start_is_solved_again_without_it(tmp_path, monkeypatch):
    """CBC 2.10 crashed (segmentation fault) on Norfolk's family-hubs model when given a start. A stand-in that
    crashes only when given a start (``-mips``) and runs the real CBC otherwise: the solve is re-run cold, gives the
    optimum, and the plan's solver line says what happened."""
    real = pulp.PULP_CBC_CMD().path
    fake = tmp_path / "cbc"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *-mips*) exit 139;; esac\nexec "{real}" "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", str(fake))
    geo = syn.ring(6, 100, {"A": 0, "B": 3})
    scn = {"solver": {"name": "cbc"}, "reach": {"min": 400}, "deprivation": {"weight": 0}}
    plan = cp.solve(geo, scn)
    assert plan.report.status == "optimal" and plan.report.objective == pytest.approx(9000)
    assert "re-run without the warm start" in plan.report.solver_version


def test_an_interrupted_write_leaves_the_previous_plan_untouched(own_files, monkeypatch):
    scn = load(own_files / "scenario.yaml")
    plan, geo = runner.run(scn)
    out = own_files / "out"
    cpio.write_plan(plan, geo, scn, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("clusterplan.io.write_html", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cpio.write_plan(plan, geo, scn, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in own_files.iterdir() if p.name.startswith(".")], "temporary folder left behind"


def test_ctrl_c_in_the_cli_exits_130_without_outputs(own_files, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("clusterplan.io.write_xlsx", interrupted)
    assert main(["run", str(own_files / "scenario.yaml"), "--out", str(own_files / "out")]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (own_files / "out").exists()
    assert not [p for p in own_files.iterdir() if p.name.startswith(".")]


def test_ctrl_c_during_a_sweep_leaves_only_complete_variants_and_it_resumes(tmp_path):
    """A real sweep on Norfolk (three population years, two worker processes) is sent SIGINT once the first
    variant is written; the rerun does only what is missing."""
    scn = tmp_path / "s.yaml"
    scn.write_text("model: amalgamate\nreach: {min: 600}\nsolver: {time_limit: 60}\n")
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "clusterplan", "sweep", str(scn), "--set", "geography.year=2017,2019,2020",
           "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not any((d / "manifest.json").exists() for d in out.glob("geography*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < 300, "no variant finished in 300 s"
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the sweep finished before the interrupt arrived")  # only on a much faster machine
    assert proc.returncode == 130, stderr
    assert "run the same command again to resume" in stdout
    done = sorted(d.name for d in out.iterdir() if d.is_dir())
    assert not [d for d in done if d.startswith(".")], f"half-written folders left: {done}"
    complete = {"assignment.csv", "centres.csv", "manifest.json", "report.html"}
    for d in done:
        assert complete <= {p.name for p in (out / d).iterdir()}
    assert 1 <= len(done) < 3 and not (out / "sweep.csv").exists()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"3 variants: {len(done)} already done, {3 - len(done)} to run" in again.stdout
    table = (out / "sweep.csv").read_text().splitlines()
    assert len(table) == 4


def _hashes(out: Path) -> dict[str, str]:
    return json.loads((out / "manifest.json").read_text())["input_hashes"]


def test_manifest_hashes_follow_every_input_and_check_says_when_they_changed(own_files, capsys):
    scn_path = own_files / "scenario.yaml"
    out = own_files / "out"
    assert main(["run", str(scn_path), "--out", str(out)]) == 0
    first = _hashes(out)
    assert main(["check", str(out)]) == 0
    assert "inputs changed" not in capsys.readouterr().out

    def rerun() -> dict[str, str]:
        other = own_files / "again"
        assert main(["run", str(scn_path), "--out", str(other)]) == 0
        h = _hashes(other)
        shutil.rmtree(other)
        return h

    assert rerun() == first, "same inputs must give the same hashes"
    edits = {
        "areas.csv": lambda t: t.replace("Breckland 010A,63,", "Breckland 010A,64,"),
        "centres.csv": lambda t: t.replace("604387.0", "604390.0"),
        "boundaries.geojson": lambda t: t.replace("599788.92", "599788.52"),
        "scenario.yaml": lambda t: t.replace("min: 100", "min: 110"),
    }
    for name, edit in edits.items():
        path = own_files / name
        text = path.read_text()
        assert edit(text) != text, f"the edit of {name} must change it"
        path.write_text(edit(text))
        changed = sorted(k for k, v in rerun().items() if first.get(k) != v)
        assert changed, f"editing {name} left every input hash unchanged"
        if name != "scenario.yaml":
            main(["check", str(out)])
            assert "the inputs changed since this plan was written" in capsys.readouterr().out
        path.write_text(text)
    assert rerun() == first
