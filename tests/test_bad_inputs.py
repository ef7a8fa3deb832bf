"""The bad-input corpus (tests/bad_inputs/): every broken input is answered by a clear error, never a traceback,
and never leaves outputs behind.

Each case is a folder with ``scenario.yaml`` (and any broken files it names) and ``expect.yaml``: the exit code
(2 bad input, 1 infeasible), the words the message must contain, and optionally the command line (``{case}`` and
``{out}`` are filled in; the default is ``run {case}/scenario.yaml --out {out}``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from clusterplan.cli import main

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.yaml").exists())


def test_the_corpus_is_big_enough_and_the_readme_counts_it():
    assert len(CASES) >= 30
    readme = (CORPUS.parent.parent / "README.md").read_text(encoding="utf-8")
    said = re.findall(r"(\d+) broken inputs", readme)
    assert said and all(int(n) == len(CASES) for n in said), (said, len(CASES))


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_explained(name, tmp_path, capsys):
    case = CORPUS / name
    expect = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    out = tmp_path / "out"
    argv = expect.get("argv", ["run", "{case}/scenario.yaml", "--out", "{out}"])
    argv = [a.format(case=case, out=out) for a in argv]
    code = main(argv)  # an unexpected exception would fail the test here, with its traceback
    captured = capsys.readouterr()
    message = captured.err + captured.out
    assert code == expect["exit"], message
    for words in expect["contains"]:
        assert words in message, f"{words!r} missing from:\n{message}"
    for words in expect.get("lacks", []):   # a wrong account beside the right one
        assert words not in message, f"{words!r} in:\n{message}"
    assert "Traceback" not in message
    assert not out.exists(), "a failed run must not write outputs"
    assert list(tmp_path.iterdir()) == [], "no temporary folders may be left behind"
