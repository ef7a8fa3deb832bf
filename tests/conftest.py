"""Shared fixtures. The real data lives in ../shared/data beside the repository (CI lays a copy there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import clusterplan as cp

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """The shared real-data folder: $CLUSTERPLAN_SHARED_DATA, else ../shared/data beside the repository."""
    return Path(os.environ.get("CLUSTERPLAN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def england_dir() -> Path:
    d = shared_data() / "england"
    if not d.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared real data at {d}")
        pytest.skip(f"shared England data not found at {d} (set CLUSTERPLAN_SHARED_DATA)")
    return d


@pytest.fixture(scope="session")
def norfolk() -> cp.Geography:
    """The built-in Norfolk geography (mid-2020). Treat as read-only; call cp.datasets.norfolk() for a copy."""
    return cp.datasets.norfolk()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run only when asked for (``-m slow``); the default suite skips them.

    The notebooks are the longest tests (the family-hubs one over three minutes): they are collected first, last
    notebook first, so that under pytest-xdist (the README's ``-n 2``) neither worker starts one near the end."""
    items.sort(key=lambda item: 0 if item.path.name == "test_notebooks.py" else 1)   # stable: keeps the rest's order
    notebooks = [i for i in items if i.path.name == "test_notebooks.py"]
    items[:len(notebooks)] = sorted(notebooks, key=lambda item: item.name, reverse=True)
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow suite: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
