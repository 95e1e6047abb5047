"""Validation tier: held-out patterns (role ``validation`` in model/targets.py). No parameter
was tuned to any of them (a test checks that); each is the model's emergent answer compared
with the source report or a published figure, within the stated interval."""

import pytest

from model.parameters import REGISTRY
from model.targets import evaluate, targets

SEEDS = range(4)
VALIDATION = targets("validation")


def test_at_least_four_held_out_patterns_and_none_was_fitted():
    assert len(VALIDATION) >= 4
    fitted_to = {name for p in REGISTRY.values() if p.calibrated for name in p.calibrated.split(", ")}
    assert not fitted_to & {t.name for t in VALIDATION}


@pytest.mark.parametrize("target", VALIDATION, ids=lambda t: t.name)
def test_held_out_pattern(target):
    value = evaluate(target, SEEDS)
    assert target.hit(value), f"{target.name}: {value:.4g} outside [{target.low:.4g}, {target.high:.4g}]"
