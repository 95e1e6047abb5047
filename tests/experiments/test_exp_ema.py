"""The EMA Workbench bridge: EMA's perform_experiments and the project's engine agree exactly.

EMA Workbench is the optional extra ``ema``; ``make setup`` (and so CI) installs it. Without
it the tests are skipped with the reason — except under CI, where a missing extra fails.
"""

from __future__ import annotations

import importlib.util
import os
import warnings

import numpy as np
import pytest

from exp_helpers import table

if importlib.util.find_spec("ema_workbench") is None:
    if os.environ.get("CI"):
        pytest.fail("ema_workbench is missing: CI installs the 'ema' extra (make setup)", pytrace=False)
    pytest.skip("EMA Workbench is not installed (pip install -e '.[ema]')", allow_module_level=True)

BASE = {"residents_per_community": 40, "communities_per_street": 2}
HORIZON = 30
SEED = 7


@pytest.fixture(scope="module")
def ema_run():
    warnings.filterwarnings("ignore", message="ipyparallel not installed")
    from ema_workbench import SequentialEvaluator, perform_experiments

    from experiments.ema import build_model, scenario_policies

    model = build_model(uncertainties=["admin_task_rate", "gamma0"], scenarios=["pay_raise"],
                        outputs=["satisfied_share", "turnover_annual"], series=["participation_rate"],
                        horizon=HORIZON, base_params=BASE, replications=2, seed=SEED)
    policies = scenario_policies(["baseline", "pay_raise"])
    experiments, outcomes = perform_experiments(model, scenarios=3, policies=policies,
                                                evaluator=SequentialEvaluator(model))
    return model, experiments, outcomes


def test_model_from_registry(ema_run):
    from ema_workbench import BooleanParameter, RealParameter

    model, _, _ = ema_run
    unc = {p.name: p for p in model.uncertainties}
    assert set(unc) == {"admin_task_rate", "gamma0"}
    assert isinstance(unc["admin_task_rate"], RealParameter)
    from model.parameters import REGISTRY

    assert (unc["gamma0"].lower_bound, unc["gamma0"].upper_bound) == REGISTRY["gamma0"].sa_bounds
    levers = {p.name: p for p in model.levers}
    assert set(levers) == {"pay_secretary", "pay_director", "pay_deputy", "pay_member", "pay_topup", "social_insurance"}
    assert isinstance(levers["social_insurance"], BooleanParameter)
    names = {o.name for o in model.outcomes}
    assert {"satisfied_share", "satisfied_share_replicates", "participation_rate_series"} <= names


def test_perform_experiments_equals_engine(ema_run, tmp_path):
    """Same points, same seeds → the engine's stored values equal EMA's outcomes exactly."""
    from experiments.engine import run_futures
    from experiments.scenarios import load_reform

    _, experiments, outcomes = ema_run
    futures = (experiments[["scenario", "admin_task_rate", "gamma0"]].drop_duplicates("scenario")
               .sort_values("scenario").reset_index(drop=True))
    store = tmp_path / "s.duckdb"
    eid = run_futures(store, name="ema-check", futures=futures[["admin_task_rate", "gamma0"]],
                      reforms=[load_reform("baseline"), load_reform("pay_raise")], base_params=BASE, replicates=2,
                      seed=SEED, horizon=HORIZON, executor="inprocess", progress=False, seed_scope="shared")
    rows = table(store, "SELECT r.scenario, r.design_point, r.replicate, s.output, s.value FROM summaries s "
                        "JOIN runs r USING (experiment_id, run_id) WHERE s.experiment_id = ?", [eid])
    stored = {(sc, int(dp), int(rep), out): v for sc, dp, rep, out, v in rows}
    ts = table(store, "SELECT r.scenario, r.design_point, r.replicate, t.month, t.value FROM timeseries t "
                      "JOIN runs r USING (experiment_id, run_id) WHERE t.experiment_id = ? "
                      "AND t.output = 'participation_rate' ORDER BY t.month", [eid])
    series: dict = {}
    for sc, dp, rep, _month, v in ts:
        series.setdefault((sc, int(dp), int(rep)), []).append(v)
    future_of = {s: i for i, s in enumerate(futures["scenario"])}
    checked = 0
    for i, row in experiments.reset_index(drop=True).iterrows():
        f, pol = future_of[row["scenario"]], str(row["policy"])
        for rep in range(2):
            for out in ("satisfied_share", "turnover_annual"):
                assert outcomes[f"{out}_replicates"][i][rep] == stored[(pol, f, rep, out)]
                checked += 1
            np.testing.assert_array_equal(np.asarray(outcomes["participation_rate_series"][i][rep]),
                                          np.asarray(series[(pol, f, rep)]))
        assert outcomes["satisfied_share"][i] == pytest.approx(
            np.mean([stored[(pol, f, r, "satisfied_share")] for r in range(2)]))
    assert checked == 3 * 2 * 2 * 2
    # the policy switched levers on: pay raise changes turnover against the baseline in the same future
    base = [stored[("baseline", f, r, "turnover_annual")] for f in range(3) for r in range(2)]
    raise_ = [stored[("pay_raise", f, r, "turnover_annual")] for f in range(3) for r in range(2)]
    assert base != raise_


def test_policy_from_scenario_and_errors():
    from experiments.ema import EMAError, build_model, scenario_policy

    pol = scenario_policy("pay_raise")
    assert pol.name == "pay_raise" and pol["pay_director"] == 2500.0 and pol["social_insurance"] is True
    with pytest.raises(EMAError, match="sa_bounds"):
        build_model(uncertainties=["beta_trust"])
    with pytest.raises(EMAError, match="both uncertainties and levers"):
        build_model(uncertainties=["task_hours"], levers=["task_hours"])
    m = build_model(uncertainties=["beta_trust"], ranges={"beta_trust": (0.5, 1.5)}, outputs=["satisfied_share"])
    assert m.uncertainties[0].lower_bound == 0.5
