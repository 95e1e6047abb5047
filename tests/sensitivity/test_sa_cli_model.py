"""The ``govsim sensitivity`` command and a small design on the real model."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from sa_helpers import PI

from analysis import sensitivity as sai
from experiments import sensitivity as sa
from experiments.cli import main

TINY = {"communities_per_street": 2, "residents_per_community": 40}


def test_cli_run_analyze_export(tmp_path, capsys):
    store = str(tmp_path / "s.duckdb")
    fx = ",".join(f"x{i}={-PI}:{PI}" for i in (1, 2, 3))
    rc = main(["sensitivity", "run", "--factor", fx, "--target", "experiments.analytic:ishigami", "--n", "64",
               "--horizon", "12", "--executor", "inprocess", "--no-progress", "--store", store,
               "--periods", "summary,yearly"])
    out = capsys.readouterr()
    assert rc == 0
    eid = out.out.strip().splitlines()[0]
    assert eid.startswith("sa-sobol-")
    assert "sobol ST" in out.out and "index rows saved" in out.err
    rc = main(["sensitivity", "analyze", eid, "--store", store, "--convergence", "--resamples", "50"])
    assert rc == 0
    rc = main(["sensitivity", "export", str(tmp_path / "idx.csv"), "--store", store, "--experiment", eid])
    assert rc == 0
    df = pd.read_csv(tmp_path / "idx.csv")
    assert set(df["period"]) == {"summary", "year_1"}
    assert df["n"].min() == 16 and df["n"].max() == 64


def test_cli_plan_and_user_errors(capsys):
    assert main(["sensitivity", "plan", "--kinds", "policy", "--n", "8", "--qmc-replicates", "1"]) == 0
    out = capsys.readouterr().out
    assert "budget_regime" in out and "duplicates evaluated once" in out
    assert main(["sensitivity", "plan", "--factors", "beta_efficasy"]) == 2
    assert "did you mean 'beta_efficacy'" in capsys.readouterr().err
    assert main(["sensitivity", "plan", "--factors", "beta0", "--range", "beta0=-20:0"]) == 2
    assert "valid bounds" in capsys.readouterr().err


def test_model_target_rejects_non_parameters(tmp_path):
    with pytest.raises(sa.UnknownFactorError, match="not a model parameter"):
        sa.run(tmp_path / "s.duckdb", factors=[{"name": "x1", "lower": 0, "upper": 1}], n=4, seed=1,
               executor="inprocess", progress=False)


def test_morris_on_the_model_with_mixed_factor_types(tmp_path):
    """A tiny world: pay levels drive the wage bill; publishing outcomes does not."""
    store = tmp_path / "m.duckdb"
    eid = sa.run(store, method="morris", factors=["pay_director", "pay_member", "disclosure", "budget_regime"],
                 n=4, seed=3, base_params=TINY, horizon=12, executor="inprocess", progress=False)
    with duckdb.connect(str(store), read_only=True) as con:
        labels = con.execute("SELECT DISTINCT label FROM design WHERE experiment_id = ? AND factor = 'budget_regime'",
                             [eid]).fetchall()
        params = con.execute("SELECT params FROM runs WHERE experiment_id = ? LIMIT 1", [eid]).fetchone()[0]
    assert {r[0] for r in labels} <= {"project", "stable", "reward"}
    assert '"residents_per_community":40' in params.replace(" ", "")
    idx = sai.analyze(store, eid, outputs=["wage_bill", "participation_rate"], periods=["summary", "year_1"])
    mu = idx[(idx["statistic"] == "mu_star") & (idx["output"] == "wage_bill") & (idx["period"] == "summary")]
    mu = mu.set_index("factor")["value"]
    assert mu["pay_director"] > 0 and mu["pay_member"] > 0
    assert mu["disclosure"] < mu["pay_director"]
    assert idx["value"].notna().all()


def test_cli_keeps_sampling_until_the_interval_is_narrow(tmp_path, capsys):
    store = str(tmp_path / "u.duckdb")
    fx = ",".join(f"x{i}={-PI}:{PI}" for i in (1, 2, 3))
    rc = main(["sensitivity", "run", "--factor", fx, "--target", "experiments.analytic:ishigami", "--n", "32",
               "--horizon", "12", "--executor", "inprocess", "--store", store, "--until-width", "0.3",
               "--outputs", "y", "--resamples", "100", "--max-n", "64"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "N = 32: widest CI" in err and "N = 64: widest CI" in err
    assert sai.load_design(store).n > 32
