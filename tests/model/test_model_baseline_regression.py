"""The baseline scenario's fixed-seed summary must not change unless a commit means it to
(then run tools/update_baseline.py in the same commit and say why)."""

import json
import math
from pathlib import Path

from model.outputs import OUTPUTS
from model.run import simulate

BASELINE = Path(__file__).with_name("baseline_summary.json")


def test_baseline_summary_unchanged():
    stored = json.loads(BASELINE.read_text())
    now = simulate(seed=stored["seed"], horizon=stored["horizon"]).summary
    assert set(stored["summary"]) == set(OUTPUTS), "outputs changed: regenerate with tools/update_baseline.py"
    changed = {k: (v, now[k]) for k, v in stored["summary"].items() if not math.isclose(v, now[k], rel_tol=1e-9, abs_tol=1e-9)}
    assert not changed, f"baseline summary changed (stored, now): {changed}"
