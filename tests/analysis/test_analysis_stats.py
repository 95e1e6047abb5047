from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from analysis import stats
from analysis.store import (
    EmptyResultError,
    StoreNotFoundError,
    UnknownExperimentError,
    UnknownOutputError,
    UnknownScenarioError,
)
from analysis_synthetic_store import EXP, OLD_EXP, REPLICATES, SCENARIOS


def test_mean_ci_known_data():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    ci = stats.mean_ci(x, 0.95)
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t_{0.975,4} * s / sqrt(n)
    assert ci.n == 5 and ci.estimate == pytest.approx(3.0)
    assert ci.low == pytest.approx(3.0 - half) and ci.high == pytest.approx(3.0 + half)


def test_mean_ci_edge_cases():
    assert stats.mean_ci([2.0]).n == 1 and math.isnan(stats.mean_ci([2.0]).low)
    assert stats.mean_ci([]).n == 0
    assert stats.mean_ci([1.0, np.nan, 3.0]).n == 2
    same = stats.mean_ci([4.0, 4.0, 4.0])
    assert same.low == same.high == 4.0
    with pytest.raises(ValueError, match="level"):
        stats.mean_ci([1.0, 2.0], 1.5)


def test_bootstrap_ci_contains_estimate_and_is_reproducible():
    x = np.random.default_rng(1).normal(10, 2, 50)
    a = stats.bootstrap_ci(x, seed=3)
    b = stats.bootstrap_ci(x, seed=3)
    assert a == b
    assert a.low < a.estimate < a.high
    # close to the t interval for a normal sample
    t = stats.mean_ci(x)
    assert a.low == pytest.approx(t.low, abs=0.3) and a.high == pytest.approx(t.high, abs=0.3)
    m = stats.median_ci(x)
    assert m.estimate == pytest.approx(np.median(x))


def test_paired_test_equals_t_interval_on_differences():
    rng = np.random.default_rng(5)
    base = rng.normal(0, 1, 12)
    treat = base + 0.3 + rng.normal(0, 0.1, 12)
    d = treat - base
    res = stats.paired_test(d)
    ci = stats.mean_ci(d)
    assert (res["diff"], res["diff_ci_low"], res["diff_ci_high"]) == pytest.approx((ci.estimate, ci.low, ci.high))
    assert res["p_value"] == pytest.approx(st.ttest_rel(treat, base).pvalue)
    assert res["effect_size"] == pytest.approx(d.mean() / d.std(ddof=1))


def test_cohens_dz_degenerate():
    assert stats.cohens_dz([0.0, 0.0]) == 0.0
    assert stats.cohens_dz([1.0, 1.0]) == math.inf
    assert math.isnan(stats.cohens_dz([1.0]))


def test_compare_defaults_to_latest_experiment_and_key_outputs(store):
    df = stats.compare_scenarios(store)
    assert df.attrs["experiment_id"] == EXP
    assert list(df.columns)[:11] == ["scenario", "output", "n", "mean", "ci_low", "ci_high", "diff",
                                     "diff_ci_low", "diff_ci_high", "effect_size", "p_value"]
    assert df["scenario"].iloc[0] == "baseline"
    assert set(df["scenario"]) == set(SCENARIOS)
    assert "mystery_metric" not in set(df["output"])  # not a key output
    assert df.attrs["crn"] is True


def test_compare_pairs_by_replicate(store):
    """The diff CI equals the t interval on per-replicate differences, computed independently."""
    con = duckdb.connect(str(store), read_only=True)
    raw = con.execute(
        "SELECT r.scenario, r.replicate, s.value FROM summaries s JOIN runs r USING (experiment_id, run_id) "
        "WHERE s.experiment_id = ? AND s.output = 'turnover_annual' AND r.status = 'ok'", [EXP]).df()
    con.close()
    wide = raw.pivot(index="replicate", columns="scenario", values="value")
    d = (wide["deadmin"] - wide["baseline"]).dropna()
    assert len(d) == REPLICATES - 1  # the failed run drops its pair
    df = stats.compare_scenarios(store, EXP, outputs=["turnover_annual"])
    row = df[df["scenario"] == "deadmin"].iloc[0]
    ci = stats.mean_ci(d.to_numpy())
    assert row["n"] == REPLICATES - 1 and row["n_pairs"] == REPLICATES - 1
    assert (row["diff"], row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((ci.estimate, ci.low, ci.high))
    # pairing removes the shared replicate effect: the paired CI is much narrower than unpaired
    unpaired = st.ttest_ind(wide["deadmin"].dropna(), wide["baseline"])
    assert row["diff_ci_high"] - row["diff_ci_low"] < 0.5 * (2 * unpaired.confidence_interval().high
                                                              - 2 * unpaired.confidence_interval().low) / 2
    assert row["p_value"] < 0.01 and row["effect_size"] < 0
    base = df[df["scenario"] == "baseline"].iloc[0]
    assert base["diff"] == 0.0 and math.isnan(base["p_value"])


def test_paired_differences_shuffled_rows_pair_by_replicate_not_position():
    rows = []
    for r in range(5):
        rows.append(("baseline", r, "y", float(r * 10)))
        rows.append(("t", r, "y", float(r * 10 + 1)))
    df = pd.DataFrame(rows, columns=["scenario", "replicate", "output", "value"]).sample(frac=1, random_state=2)
    d = stats.paired_differences(df)
    assert np.allclose(d["diff"], 1.0)


def test_paired_differences_rejects_duplicate_replicates():
    df = pd.DataFrame({"scenario": ["baseline", "t", "t"], "replicate": [0, 0, 0],
                       "output": ["y"] * 3, "value": [1.0, 2.0, 3.0]})
    with pytest.raises(stats.PairingError, match="replicate 0"):
        stats.paired_differences(df)


def test_compare_errors(store, tmp_path):
    with pytest.raises(StoreNotFoundError, match="not found"):
        stats.compare_scenarios(tmp_path / "nope.duckdb")
    with pytest.raises(UnknownExperimentError, match="exp-compare-001"):
        stats.compare_scenarios(store, "no-such-exp")
    with pytest.raises(UnknownScenarioError, match="pay_reform"):
        stats.compare_scenarios(store, baseline="status_quo")
    with pytest.raises(UnknownOutputError, match="available"):
        stats.compare_scenarios(store, outputs=["nonsense"])
    with pytest.raises(EmptyResultError):
        stats.compare_scenarios(store, OLD_EXP)


def test_compare_accepts_connection_and_all_outputs(store):
    con = duckdb.connect(str(store), read_only=True)
    df = stats.compare_scenarios(con, EXP, outputs="all", baseline=None)
    assert "mystery_metric" in set(df["output"])
    assert df["diff"].isna().all()
    con.execute("SELECT 1")  # the caller's connection is left open
    con.close()


def test_render_and_format(store):
    df = stats.compare_scenarios(store)
    text = stats.format_comparison(df)
    assert "Cadre turnover" in text and "(baseline)" in text and "pay_reform" in text
    md = stats.format_comparison(df, markdown=True)
    assert md.count("\n") == len(df) + 1
    from rich.table import Table
    assert isinstance(stats.render_comparison(df), Table)


def test_compact_table_fits_80_columns(store):
    df = stats.compare_scenarios(store)
    text = stats.format_comparison(df, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "pay_reform" in text and "Cadre turnover" in text and "(%/year)" in text


def test_baseline_without_successful_runs_is_reported_as_such(tmp_path):
    from analysis_synthetic_store import SCHEMA

    p = tmp_path / "f.duckdb"
    con = duckdb.connect(str(p))
    con.execute(SCHEMA)
    con.execute("INSERT INTO experiments VALUES ('e','e','compare','x', now(), 1, 2, '{}', '{}', 'done')")
    for s, status in (("baseline", "failed"), ("a", "ok"), ("b", "ok")):
        con.execute("INSERT INTO runs (experiment_id, run_id, scenario, design_point, replicate, seed, status) "
                    f"VALUES ('e', '{s}', '{s}', 0, 0, 1, '{status}')")
        if status == "ok":
            con.execute(f"INSERT INTO summaries VALUES ('e', '{s}', 'vacancy_rate', 0.1)")
    con.close()
    with pytest.raises(EmptyResultError, match="no successful runs"):
        stats.compare_scenarios(p)
