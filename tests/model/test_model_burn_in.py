"""The burn-in removes the start-up transient (docs/ODD.md §5).

Criterion: in the baseline, for every key output, the mean over months 13-24 differs from the
mean over months 1-12 (both before any reform of the shipped scenarios switches on at month
24) by less than the output's smallest meaningful change, or by no more than three standard
errors over 24 seeds (year-to-year noise of that size remains in a model burned in for 20
years, so it is not a transient). Rural
out-migration, a trend the model is meant to have (villages empty, spending per resident
rises), is switched off so that only the start-up transient is measured. Without the burn-in
the same criterion fails, so the test can tell."""

import numpy as np

from model.outputs import OUTPUTS, output_names
from model.run import simulate

SEEDS = range(24)


def transients(params):
    """Key outputs whose second-year mean differs from the first-year mean by at least their
    smallest meaningful change and by more than three standard errors (about 0.3 % each, so
    eleven outputs rarely raise a false alarm): {name: (d, threshold, se)}."""
    runs = [simulate(params, seed=s, horizon=24).timeseries for s in SEEDS]
    out = {}
    for name in output_names(key_only=True):
        d = np.array([r[name][13:25].mean() - r[name][1:13].mean() for r in runs])
        first = np.mean([r[name][1:13].mean() for r in runs])
        o = OUTPUTS[name]
        threshold = o.min_change * abs(first) if o.relative else o.min_change
        se = d.std(ddof=1) / np.sqrt(len(d))
        if abs(d.mean()) >= threshold and abs(d.mean()) > 3 * se:
            out[name] = (round(float(d.mean()), 4), threshold, round(float(se), 4))
    return out


def test_baseline_window_has_no_start_up_transient():
    moved = transients({"mech_outmigration": False})
    assert not moved, f"key outputs still settling in the reported window: {moved}"


def test_without_burn_in_the_criterion_catches_the_transient():
    assert transients({"burn_in": 0, "mech_outmigration": False})
