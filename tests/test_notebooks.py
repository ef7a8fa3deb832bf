"""Every notebook runs top to bottom and shows the figures it promises.

Each notebook is executed in a fresh kernel from the notebooks folder (as a reader would open it). A cell tagged
``figure`` must produce at least one image output: a notebook whose map cell is silently empty fails here, which
executing for errors alone (as nbmake did) could never catch.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_every_notebook_promises_a_figure():
    for path in PATHS:
        nb = nbformat.read(path, as_version=4)
        assert any("figure" in c.get("metadata", {}).get("tags", []) for c in nb.cells), path.name


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_and_shows_its_figures(path, monkeypatch):
    # as a reader's Jupyter would start it: no backend forced on the kernel by the test process's environment
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "figure" not in cell.get("metadata", {}).get("tags", []):
            continue
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"{path.name}: cell {n} is meant to draw a figure but shows none"
