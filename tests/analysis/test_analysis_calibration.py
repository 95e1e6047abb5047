"""Calibration analysis from a synthetic store: weighted quantiles, identification and defaults,
SBC coverage with its binomial test, and the split of a reform effect's variance between the
parameters and the noise (law of total variance)."""

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis.calibration import (
    Calibration,
    effect_uncertainty,
    posterior_table,
    sbc_test,
    weighted_quantile,
)
from experiments.store import Store


def test_weighted_quantile_matches_repetition_and_the_plain_quantile():
    rng = np.random.default_rng(1)
    x = rng.normal(size=2001)
    assert weighted_quantile(x, np.ones_like(x), 0.5) == pytest.approx(np.median(x), abs=1e-3)
    # weight 3 on a value = the value three times
    v, w = np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 1.0])
    rep = np.repeat(v, w.astype(int))
    for q in (0.1, 0.5, 0.9):
        assert weighted_quantile(v, w, q) == pytest.approx(np.quantile(rep, q, method="hazen"), abs=0.34)
    assert weighted_quantile(v, np.array([0.0, 1.0, 0.0]), [0.05, 0.95]).tolist() == [2.0, 2.0]


def _calibration(n=4000, seed=2):
    rng = np.random.default_rng(seed)
    pop = pd.DataFrame({"generation": 3, "particle": np.arange(n), "proposal": np.arange(n), "weight": 1.0 / n,
                        "distance": 1.0,
                        "sharp": rng.normal(0.5, 0.02, n),  # narrow, around its default 0.5
                        "vague": rng.uniform(0.0, 1.0, n),  # the prior itself
                        "off": rng.normal(0.9, 0.02, n)})  # narrow, far from its default 0.2
    spec = {"parameter_names": ["sharp", "vague", "off"], "calibration_targets": ["t"],
            "parameters": [{"name": p, "low": 0.0, "high": 1.0, "default": d, "hand_fitted_to": ""}
                           for p, d in (("sharp", 0.5), ("vague", 0.5), ("off", 0.2))]}
    gens = pd.DataFrame({"generation": [3], "epsilon": [1.0]})
    return Calibration("c", spec, {}, "done", gens, pop, pd.DataFrame())


def test_posterior_table_says_which_parameters_are_identified_and_which_defaults_it_contradicts():
    t = posterior_table(_calibration()).set_index("parameter")
    assert t.loc["sharp", "identification"] == "identified" and t.loc["sharp", "sd_ratio"] < 0.1
    assert t.loc["vague", "identification"] == "not identified"
    assert t.loc["vague", "sd_ratio"] == pytest.approx(1, abs=0.05)
    assert not t.loc["sharp", "contradicts_default"] and not t.loc["vague", "contradicts_default"]
    assert t.loc["off", "contradicts_default"] and t.loc["off", "default_quantile"] == 0.0
    assert t.loc["sharp", "low"] < 0.5 < t.loc["sharp", "high"]
    assert t.loc["sharp", "high"] - t.loc["sharp", "low"] == pytest.approx(2 * 1.645 * 0.02, rel=0.1)


def test_sbc_test_accepts_nominal_coverage_and_rejects_undercoverage():
    ok = pd.DataFrame({"truth": range(40), "parameter": ["a"] * 20 + ["b"] * 20,
                       "covered": [True] * 18 + [False] * 2 + [True] * 19 + [False]})
    ok.attrs["level"] = 0.9
    res = sbc_test(ok).set_index("parameter")
    assert res.loc["a", "covered"] == 18 and res.loc["a", "consistent"]
    assert res.loc["all parameters", "truths"] == 40 and res.loc["all parameters", "consistent"]
    bad = pd.DataFrame({"truth": range(20), "parameter": ["a"] * 20, "covered": [True] * 12 + [False] * 8})
    bad.attrs["level"] = 0.9
    r = sbc_test(bad).set_index("parameter").loc["a"]
    assert not r["consistent"] and r["p_value"] < 0.01 and r["ci_high"] < 0.9


def _effect_store(path, *, sd_between, sd_within, draws=400, per_draw=4, seed=3):
    rng = np.random.default_rng(seed)
    st = Store(path)
    st.create_experiment(experiment_id="e", name="e", kind="compare", target="t", seed=1, horizon=1,
                         spec={"draws": {"per_draw": per_draw, "columns": ["x"], "rows": [], "source": {}}},
                         manifest={})
    payloads = []
    for d in range(draws):
        effect = 1.0 + rng.normal(0, sd_between)
        for k in range(per_draw):
            r = d * per_draw + k
            base = rng.normal(10, 3)  # shared by both scenarios of the replicate (common random numbers)
            for scen, value in (("baseline", base), ("reform", base + effect + rng.normal(0, sd_within))):
                payloads.append({"task": {"run_id": f"{scen}-{r}", "scenario": scen, "replicate": r, "seed": r,
                                          "design_point": d}, "status": "ok", "summary": {"y": value}})
    st.write_runs("e", payloads)
    st.close()


@pytest.mark.parametrize("sd_between, sd_within", [(1.0, 1.0), (2.0, 0.5), (0.0, 1.0)])
def test_effect_variance_splits_into_parameters_and_noise(tmp_path, sd_between, sd_within):
    path = tmp_path / "e.duckdb"
    _effect_store(path, sd_between=sd_between, sd_within=sd_within)
    con = duckdb.connect(str(path), read_only=True)
    (row,) = effect_uncertainty(con, "e", ["y"]).to_dict("records")
    con.close()
    truth = sd_between ** 2 / (sd_between ** 2 + sd_within ** 2)
    assert row["share_parameters"] == pytest.approx(truth, abs=0.06)
    assert row["share_parameters"] + row["share_noise"] == pytest.approx(1.0)
    se = math.sqrt(sd_between ** 2 / 400 + sd_within ** 2 / 1600)
    assert row["mean"] == pytest.approx(1.0, abs=3 * se)
    total = sd_between ** 2 + sd_within ** 2
    assert row["var_total"] == pytest.approx(total, rel=0.15)
    z = 1.645 * math.sqrt(total)  # the interval of a normal effect with both variances
    tol = 0.2 * math.sqrt(total)
    assert row["low"] == pytest.approx(1 - z, abs=tol) and row["high"] == pytest.approx(1 + z, abs=tol)
    assert row["draws"] == 400 and row["replicates_per_draw"] == 4
