"""Every notebook runs top to bottom and shows the figures it promises.

Each notebook is executed in a fresh kernel from the notebooks folder (as a reader would open it). A cell tagged
``figure`` must produce at least one image output: a notebook whose map cell is silently empty fails here, which
executing for errors alone (as nbmake did) could never catch.

Kernels start one at a time across the test workers (:func:`kernel_start_lock`): jupyter_client picks a kernel's
ports by binding them and letting them go, so two kernels started at once by two workers can be given the same port
(jupyter_client issue 487); one CI run from a clean clone hung in this test with an idle kernel that never ran the
notebook. The lock does not cover other programs taking ports at the same moment (the Dask cluster of
tests/test_batch.py, on the other worker): a later run stalled 15 minutes with an idle kernel again. So where the
platform has them (POSIX), kernels talk over Unix sockets in a folder of their own (ZeroMQ's ``ipc`` transport), and
no port is chosen at all. The notebooks still run side by side once their kernels are up.

A third hang (2026-12-07, from a clean clone): notebook 05's kernel had run its last cell, the widgets of ``interact``,
and sat idle while the test waited for the cell's reply, to the cell's 900 s timeout. nbclient mimics the Output
widget of a Jupyter front end, and that mimic sends its state to the kernel on the shell channel while the execution
waits for its reply on the same channel; a reply can then be missed until the wait times out (jupyter/nbclient issue
312, "when cell contains ipywidget, execute cell will sometimes blocks", and its pull request 311). The test does not
look at widget state, so it executes without that mimic (``widget_registry`` empty): the kernel side is unchanged, the
interact's output lands in the cell as a plain output, and nothing is sent on the shell channel during a cell.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


@contextmanager
def kernel_start_lock() -> Iterator[None]:
    """Hold a lock shared by every process of this user on this machine (a file in the temporary folder) while a
    kernel starts and answers; none where the platform has no ``fcntl`` (Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    # one file per user: another user's file in a shared temporary folder could not be opened for writing
    with open(Path(tempfile.gettempdir()) / f"clusterplan-tests-kernel-start-{os.getuid()}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def test_every_notebook_promises_a_figure():
    for path in PATHS:
        nb = nbformat.read(path, as_version=4)
        assert any("figure" in c.get("metadata", {}).get("tags", []) for c in nb.cells), path.name


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_and_shows_its_figures(path, monkeypatch):
    # as a reader's Jupyter would start it: no backend forced on the kernel by the test process's environment
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.widget_registry = {}   # no Output-widget mimic: it writes to the shell channel mid-cell (module docstring)
    with tempfile.TemporaryDirectory() as sockets:
        with kernel_start_lock():   # started and ready before another worker's kernel starts
            client.km = client.create_kernel_manager()
            if os.name == "posix":   # Unix sockets in a folder of this kernel's own: no TCP port to race for
                client.km.transport = "ipc"
                client.km.ip = os.path.join(sockets, "kernel")
            client.start_new_kernel()
            client.start_new_kernel_client()
        client.execute()   # on the kernel started above, shut down at the end (the client owns it)
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "figure" not in cell.get("metadata", {}).get("tags", []):
            continue
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"{path.name}: cell {n} is meant to draw a figure but shows none"
