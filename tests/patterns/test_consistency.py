"""Consistency tier: the model reproduces its inputs (role ``consistency``) and the targets its
calibrated parameters were fitted to (role ``calibration``). Passing shows the machinery and
the fit work; it is not evidence that the model is right."""

import pytest

from model.parameters import REGISTRY
from model.targets import evaluate, targets

SEEDS = range(4)


@pytest.mark.parametrize("target", targets("consistency"), ids=lambda t: t.name)
def test_inputs_are_reproduced(target):
    value = evaluate(target, SEEDS)
    assert target.hit(value), f"{target.name}: {value:.4g} outside [{target.low:.4g}, {target.high:.4g}]"


@pytest.mark.parametrize("target", targets("calibration"), ids=lambda t: t.name)
def test_fitted_targets_are_met(target):
    fitted = [p.name for p in REGISTRY.values() if target.name in p.calibrated.split(", ")]
    value = evaluate(target, SEEDS)
    assert target.hit(value), (f"{target.name} (fitted by {fitted}): {value:.4g} outside "
                               f"[{target.low:.4g}, {target.high:.4g}]")


def test_every_calibration_target_has_a_fitted_parameter_and_vice_versa():
    fitted_to = {name for p in REGISTRY.values() if p.calibrated for name in p.calibrated.split(", ")}
    assert fitted_to == {t.name for t in targets("calibration")}
