"""Fuzzing the scenario loader: whatever bytes or structures a file holds, ``load`` returns a valid Scenario or
raises ScenarioError naming the file. Anything else (a TypeError, an OSError, a pydantic or YAML exception leaking
out) is a crash. The default suite runs 300 examples; ``-m slow`` runs 5,000 (about a minute).
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterplan.errors import ScenarioError
from clusterplan.scenario import Scenario, load

KEYS = {
    "": ["name", "extends", "geography", "model", "reach", "travel", "deprivation", "centres", "clusters", "stages",
         "tender", "solver", "policies"],
    "geography": ["builtin", "year", "sites", "areas", "boundaries", "centres", "links", "barriers"],
    "reach": ["min", "max"], "travel": ["max_minutes", "candidates"], "deprivation": ["weight"],
    "centres": ["keep", "close", "count", "min_count", "max_count", "per_district", "within_district", "fixed_cost"],
    "clusters": ["count", "min_reach", "max_reach", "require_phase1", "phase1_share", "balance"],
    "solver": ["name", "time_limit", "gap", "threads", "seed", "certify"], "tender": ["budget", "lot_value_cap"],
}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**18, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["amalgamate", "cluster", "norfolk", "highs", "Norwich", "600", "1e400", ".inf", "~", "",
                     "../../etc/passwd", "x" * 300, "a\x00b", "Crèche Ñorfolk", "[1, 2]", "{a: b}"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def scenario_dicts(draw):
    """Mostly well-formed keys with random values, plus the odd unknown key."""
    out = {}
    for key in draw(st.lists(st.sampled_from(KEYS[""]), max_size=5, unique=True)):
        sub = KEYS.get(key)
        if sub and draw(st.booleans()):
            out[key] = {k: draw(values) for k in draw(st.lists(st.sampled_from(sub), max_size=3, unique=True))}
        else:
            out[key] = draw(values)
    if draw(st.booleans()):
        out[draw(st.text(min_size=1, max_size=10))] = draw(values)
    return out


def _load_or_explain(path) -> None:
    try:
        scn = load(path)
    except ScenarioError as exc:
        assert str(path) in str(exc) or path.name in str(exc), f"the error must name the file: {exc}"
        return
    assert isinstance(scn, Scenario)


def _fuzz(tmp_path_factory, n: int):
    d = tmp_path_factory.mktemp("fuzz")

    @settings(max_examples=n, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(st.one_of(scenario_dicts().map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
                     st.text(max_size=200), st.binary(max_size=200)))
    def fuzz(text):
        path = d / "scenario.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        _load_or_explain(path)
    fuzz()


def test_fuzz_the_scenario_loader(tmp_path_factory):
    _fuzz(tmp_path_factory, 300)


@pytest.mark.slow
def test_fuzz_the_scenario_loader_slow(tmp_path_factory):
    _fuzz(tmp_path_factory, 5000)
