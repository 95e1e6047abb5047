"""Robustness experiments: reform combinations, futures providers, the futures plan on common
random numbers, resume, executors and the CLI."""

from __future__ import annotations

import subprocess

import duckdb
import numpy as np
import pandas as pd
import pytest

from exp_helpers import TOY, assert_bitwise_equal, results_of, table
from experiments.engine import ExperimentError, future_seeds, resume, run_futures
from experiments.futures import (FactorSelection, FuturesError, LatinHypercubeFutures, TableFutures, futures_problem,
                                 make_provider, register_provider)
from experiments.scenarios import Scenario, ScenarioError, combine_scenarios, load_reform, load_scenario

REFORMS = [{"name": "status_quo", "params": {}, "schedule": []},
           {"name": "lift", "params": {}, "schedule": [[5, "a", 1.0]]},
           {"name": "lift2", "params": {"a": 0.5}, "schedule": [[5, "a", 2.0]]}]
FUTURES = pd.DataFrame({"b": [0.5, 1.0, 1.5, 2.0], "policy": ["project", "stable", "reward", "project"]})


# ------------------------------------------------------------------ combinations
def test_combination_is_the_union():
    c = load_reform("pay_raise+task_access_list")
    pr, ta = load_scenario("pay_raise"), load_scenario("task_access_list")
    assert c.name == "pay_raise+task_access_list"
    assert sorted(map(tuple, c.schedule)) == sorted(map(tuple, pr.schedule + ta.schedule))
    assert c.sha256 not in (pr.sha256, ta.sha256)
    # the same change in both files is not a conflict (the merger carries the pay raise's scale)
    both = load_reform("pay_raise+village_merger")
    assert len(both.schedule) == len(load_scenario("village_merger").schedule)


def test_combination_conflicts_are_named():
    with pytest.raises(ScenarioError, match=r"informatisation_silos\.toml.*n_platforms.*informatisation_integrated"):
        load_reform("informatisation_integrated+informatisation_silos")
    a = Scenario("a", "", {"pay_topup": 0.0}, [], 120, 10, 1, "a.toml")
    b = Scenario("b", "", {"pay_topup": 100.0}, [], 120, 10, 1, "b.toml")
    with pytest.raises(ScenarioError, match="b.toml.*params.pay_topup.*a.toml"):
        combine_scenarios([a, b])
    with pytest.raises(ScenarioError, match="twice"):
        load_reform("pay_raise+pay_raise")


# ------------------------------------------------------------------ futures providers
def test_futures_need_plausible_ranges():
    with pytest.raises(FuturesError, match=r"no plausible range.*beta_trust.*--range"):
        futures_problem(FactorSelection(factors=("gamma0", "beta_trust")))
    with pytest.raises(FuturesError, match="no plausible range"):
        futures_problem()  # every uncertainty, some without sa_bounds today
    p = futures_problem(FactorSelection(factors=("gamma0", "beta_trust"), ranges={"beta_trust": (0.5, 1.5)}))
    assert {f.name: (f.lower, f.upper) for f in p.factors} == {"gamma0": (-5.5, -3.5), "beta_trust": (0.5, 1.5)}


def test_latin_hypercube_futures():
    p = futures_problem(FactorSelection(factors=("gamma0", "budget_regime", "first_secretary", "approval_delay"),
                                        ranges={"approval_delay": (0, 6)}))
    a = LatinHypercubeFutures(p, 12, 4).futures()
    assert a.equals(LatinHypercubeFutures(p, 12, 4).futures())
    assert not a.equals(LatinHypercubeFutures(p, 12, 5).futures())
    # one future in each of the 12 equal strata of every float factor
    strata = np.floor((a["gamma0"] + 5.5) / 2.0 * 12).astype(int)
    assert sorted(strata) == list(range(12))
    assert set(a["budget_regime"]) <= {"project", "stable", "reward"} and a["first_secretary"].dtype == bool
    assert a["approval_delay"].between(0, 6).all() and a["approval_delay"].dtype == np.int64
    with pytest.raises(FuturesError, match="at least 2"):
        LatinHypercubeFutures(p, 1)


def test_table_provider_and_registry(tmp_path):
    f = tmp_path / "futures.csv"
    f.write_text("gamma0,budget_regime\n-4.0,stable\n-5.0,project\n")
    prov = make_provider(f"table:{f}")
    assert isinstance(prov, TableFutures) and list(prov.futures()["gamma0"]) == [-4.0, -5.0]
    assert prov.describe()["sha256"]
    with pytest.raises(FuturesError, match="unknown futures source 'posterior'"):
        make_provider("posterior:calib1")

    class Draws:  # what a posterior provider looks like: a DataFrame of draws and its provenance
        kind = "posterior"

        def __init__(self, name, n):
            self.name, self.n = name, n

        def futures(self):
            return pd.DataFrame({"gamma0": np.linspace(-5, -4, self.n)})

        def describe(self):
            return {"provider": "posterior", "name": self.name, "n": self.n}

    register_provider("posterior", lambda arg, *, n, seed, store, selection: Draws(arg, n))
    try:
        prov = make_provider("posterior:calib1", n=3)
        assert len(prov.futures()) == 3 and prov.describe()["name"] == "calib1"
    finally:
        from experiments import futures as fmod

        fmod.PROVIDERS.pop("posterior")


# ------------------------------------------------------------------ the plan and CRN
def test_futures_plan_common_random_numbers(tmp_path):
    store = tmp_path / "r.duckdb"
    eid = run_futures(store, name="rob", futures=FUTURES, reforms=REFORMS, base_params={"a": 0.0}, replicates=2,
                      seed=11, horizon=12, target=TOY, executor="inprocess", progress=False)
    runs = pd.DataFrame(table(store, "SELECT scenario, design_point, replicate, seed, params, schedule FROM runs "
                                     "WHERE experiment_id = ?", [eid]),
                        columns=["reform", "future", "rep", "seed", "params", "schedule"])
    assert len(runs) == 4 * 3 * 2
    per = runs.groupby(["future", "rep"])["seed"].nunique()
    assert (per == 1).all()  # every reform of future f, replicate r shares one seed
    seeds = future_seeds(11, 4, 2)
    for row in runs.itertuples():
        assert row.seed == seeds[row.future][row.rep]
    assert runs.groupby("rep")["seed"].nunique().min() == 4  # independent between futures (scope "future")
    import json

    p = json.loads(runs[(runs.reform == "lift2") & (runs.future == 1)]["params"].iloc[0])
    assert p == {"a": 0.5, "b": 1.0, "policy": "stable"}  # base ← reform ← future
    design = table(store, "SELECT design_point, factor, value, label FROM design WHERE experiment_id = ? "
                          "ORDER BY design_point, factor", [eid])
    assert ("1", "policy") in {(str(d[0]), d[1]) for d in design}
    # CRN: with the same seed the noise is identical, so reforms differ by their effect only
    vals = pd.DataFrame(table(store, "SELECT r.scenario, r.design_point, r.replicate, s.value FROM summaries s JOIN "
                                     "runs r USING (experiment_id, run_id) WHERE s.experiment_id = ? AND "
                                     "s.output = 'participation_rate'", [eid]), columns=["reform", "f", "r", "v"])
    w = vals.pivot_table(index=["f", "r"], columns="reform", values="v")
    assert np.allclose(w["lift"] - w["status_quo"], 8 / 12)  # level 1 in months 5..12 of the last 12; noise cancels


def test_shared_seed_scope(tmp_path):
    store = tmp_path / "r.duckdb"
    eid = run_futures(store, name="rob", futures=FUTURES, reforms=REFORMS, replicates=2, seed=11, horizon=12,
                      target=TOY, executor="inprocess", progress=False, seed_scope="shared")
    rows = table(store, "SELECT replicate, count(DISTINCT seed) FROM runs WHERE experiment_id = ? GROUP BY 1", [eid])
    assert all(n == 1 for _, n in rows)


def test_reform_touching_a_future_factor_is_refused(tmp_path):
    bad = [{"name": "x", "params": {}, "schedule": [[3, "b", 2.0]]}, REFORMS[0]]
    with pytest.raises(ExperimentError, match=r"reform 'x' sets or schedules \['b'\]"):
        run_futures(tmp_path / "r.duckdb", name="rob", futures=FUTURES, reforms=bad, seed=1, horizon=12,
                    target=TOY, executor="inprocess", progress=False)
    with pytest.raises(ExperimentError, match="also varied"):
        run_futures(tmp_path / "r.duckdb", name="rob", futures=FUTURES, reforms=REFORMS, base_params={"b": 1},
                    seed=1, horizon=12, target=TOY, executor="inprocess", progress=False)
    with pytest.raises(ExperimentError, match="given twice"):
        run_futures(tmp_path / "r.duckdb", name="rob", futures=FUTURES, reforms=[REFORMS[0], REFORMS[0]],
                    seed=1, horizon=12, target=TOY, executor="inprocess", progress=False)


def test_resume_and_executors_give_identical_results(tmp_path):
    kw = dict(name="rob", futures=FUTURES, reforms=REFORMS, replicates=2, seed=3, horizon=12, target=TOY,
              progress=False)
    a = tmp_path / "a.duckdb"
    eid = run_futures(a, executor="inprocess", **kw)
    ref = results_of(a, eid)
    # lose some committed runs (as if killed before they were written), then resume
    b = tmp_path / "b.duckdb"
    eid_b = run_futures(b, executor="processes", workers=2, **kw)
    assert eid_b == eid
    con = duckdb.connect(str(b))
    gone = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE design_point >= 2").fetchall()]
    for t in ("runs", "summaries", "timeseries"):
        con.execute(f"DELETE FROM {t} WHERE run_id IN ({','.join('?' * len(gone))})", gone)
    con.execute("UPDATE experiments SET status = 'running'")
    con.close()
    assert run_futures(b, executor="inprocess", **kw) == eid  # the same call resumes the same experiment
    assert_bitwise_equal(results_of(b, eid), ref)
    assert resume(b, eid, executor="inprocess", progress=False) == eid


@pytest.mark.slow
def test_dask_executor(tmp_path, toy_env):
    store = tmp_path / "d.duckdb"
    eid = run_futures(store, name="rob", futures=FUTURES, reforms=REFORMS, replicates=1, seed=3, horizon=12,
                      target=TOY, executor="dask", workers=1, progress=False)
    ref = tmp_path / "i.duckdb"
    run_futures(ref, name="rob", futures=FUTURES, reforms=REFORMS, replicates=1, seed=3, horizon=12, target=TOY,
                executor="inprocess", progress=False)
    assert_bitwise_equal(results_of(store, eid), results_of(ref, eid))


# ------------------------------------------------------------------ the CLI (tiny model world)
TINY = ["--base", "residents_per_community=40", "--base", "communities_per_street=2", "--horizon", "30"]


@pytest.fixture
def govsim(capsys, monkeypatch):
    """The govsim CLI in this process: (return code, stdout, stderr)."""
    from experiments.cli import main

    def call(*args, cwd=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            rc = main(list(args))
        except SystemExit as e:  # --help and argparse errors
            rc = e.code
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, rc, out.out, out.err)
    return call


def test_cli_run_analyze_and_resume(tmp_path, govsim):
    store = str(tmp_path / "g.duckdb")
    args = ["robustness", "run", "baseline", "pay_raise", "pay_raise+task_access_list", "--factors", "gamma0",
            "--n-futures", "4", "--replicates", "1", "--store", store, "--executor", "inprocess", "--no-progress",
            "--satisfice", "turnover_annual<=40%", "--maximize", "satisfied_share", "--out", str(tmp_path / "o"),
            "--formats", "png", *TINY]
    r = govsim(*args)
    assert r.returncode == 0, r.stderr
    eid = r.stdout.splitlines()[0]
    assert "## Satisficing" in r.stdout and "pay_raise+task_access_list" in r.stdout
    assert (tmp_path / "o" / "robustness_regret.png").stat().st_size > 1000
    again = govsim(*args)  # complete: found in the store, nothing re-run
    assert again.returncode == 0 and again.stdout.splitlines()[0] == eid
    n = table(store, "SELECT count(*) FROM runs WHERE experiment_id = ?", [eid])[0][0]
    assert n == 3 * 4
    an = govsim("robustness", "analyze", eid, "--store", store, "--minimize", "spending_per_resident", "--out",
                str(tmp_path / "o2"), "--formats", "png")
    assert an.returncode == 0, an.stderr and "lower is better" in an.stdout


@pytest.mark.parametrize("args, message", [
    (["run", "baseline", "pay_rise", "--factors", "gamma0"], "no scenario named 'pay_rise'"),
    (["run", "baseline", "pay_raise", "--factors", "beta_trust"], "no plausible range"),
    (["run", "baseline", "task_access_list", "--factors", "task_access_list"], "which the futures vary"),
    (["run", "baseline", "pay_raise", "--factors", "gamma0", "--range", "gamma0=oops"], "NAME=LOW:HIGH"),
    (["plan", "baseline", "informatisation_integrated+informatisation_silos", "--factors", "gamma0"], "conflicts"),
    (["analyze", "--store", "missing.duckdb", "--maximize", "satisfied_share"], "not found"),
])
def test_cli_bad_input_one_line_exit_2(tmp_path, govsim, args, message):
    store = ["--store", str(tmp_path / "x.duckdb")] if "--store" not in args else []
    r = govsim("robustness", *args, *store, "--no-progress" if args[0] == "run" else "--replicates" if args[0] == "plan"
               else "--level", *(["1"] if args[0] == "plan" else ["0.9"] if args[0] == "analyze" else []),
               cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.duckdb").exists()


def test_cli_plan_and_help(govsim):
    r = govsim("robustness", "plan", "baseline", "pay_raise", "--factors", "gamma0,elderly_share", "--range",
               "elderly_share=0.2:0.45", "--n-futures", "5")
    assert r.returncode == 0, r.stderr
    assert "elderly_share" in r.stdout and "2 reforms × 5 futures × 2 replicates = 20 runs" in r.stdout
    for cmd in (["robustness", "--help"], ["robustness", "run", "--help"], ["robustness", "analyze", "--help"],
                ["discover", "--help"], ["export", "--help"]):
        h = govsim(*cmd)
        assert h.returncode == 0 and "usage:" in h.stdout
