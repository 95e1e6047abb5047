from __future__ import annotations

import ast
from pathlib import Path

from analysis import units

OUTPUTS_PY = Path(__file__).resolve().parents[2] / "model" / "outputs.py"


def _declared() -> dict[str, tuple[str, bool]]:
    """Output name -> (unit, key) parsed from model/outputs.py without importing ``model``."""
    tree = ast.parse(OUTPUTS_PY.read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Output", "_O") and len(node.args) >= 3:
            name, unit = node.args[0].value, node.args[2].value  # Output(name, label, unit, ...)
            key = any(k.arg == "key" and getattr(k.value, "value", False) is True for k in node.keywords)
            found[name] = (unit, key)
    return found


def test_every_model_output_has_a_label_and_the_same_unit():
    declared = _declared()
    assert len(declared) > 30
    missing = sorted(set(declared) - set(units.UNITS))
    assert not missing, f"add to analysis/units.py: {missing}"
    wrong = {n: (u, units.unit(n)) for n, (u, _) in declared.items() if units.unit(n) != u}
    assert not wrong, f"units differ from model/outputs.py: {wrong}"


def test_key_outputs_match_model_declaration():
    declared = _declared()
    assert set(units.KEY_OUTPUTS) == {n for n, (_, key) in declared.items() if key}


def test_unknown_output_falls_back():
    assert units.label("x1") == "x1" and units.unit("x1") == ""
    assert units.axis_label("x1") == "x1 (model units)"
    assert units.axis_label("vacancy_rate") == "Vacant posts (%)"
    assert units.axis_label("turnover_annual") == "Cadre turnover (%/year)"
    assert units.axis_label("wage_bill") == "Wage bill (yuan/month)"
