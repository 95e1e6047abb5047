"""Robustness experiments: reform combinations, futures providers, the futures plan on common
random numbers, resume, executors and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from exp_helpers import TOY, assert_bitwise_equal, results_of, table
from experiments.engine import ExperimentError, future_seeds, resume, run_futures
from experiments.futures import (FactorSelection, FuturesError, LatinHypercubeFutures, TableFutures, futures_problem,
                                 make_provider, register_provider)
from experiments.scenarios import Scenario, ScenarioError, combine_scenarios, load_reform, load_scenario
from model.parameters import REGISTRY

REFORMS = [{"name": "status_quo", "params": {}, "schedule": []},
           {"name": "lift", "params": {}, "schedule": [[5, "a", 1.0]]},
           {"name": "lift2", "params": {"a": 0.5}, "schedule": [[5, "a", 2.0]]}]
FUTURES = pd.DataFrame({"b": [0.5, 1.0, 1.5, 2.0], "policy": ["project", "stable", "reward", "project"]})
# numeric parameters the registry gives no plausible range (the futures must be told one)
UNRANGED = [p.name for p in REGISTRY.values() if p.type in ("float", "int") and p.sa_bounds is None]


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
    a, b = UNRANGED[:2]
    with pytest.raises(FuturesError, match=rf"no plausible range.*{a}, {b}.*--range"):
        futures_problem(FactorSelection(factors=("gamma0", a, b)))  # every unranged one named at once
    lo, hi = REGISTRY[a].bounds
    p = futures_problem(FactorSelection(factors=("gamma0", a), ranges={a: (lo, hi)}))
    assert {f.name: (f.lower, f.upper) for f in p.factors} == {"gamma0": REGISTRY["gamma0"].sa_bounds, a: (lo, hi)}
    with pytest.raises(FuturesError, match=f"{a}.*--range.*--exclude"):  # a kind with unranged members
        futures_problem(FactorSelection(kinds=(REGISTRY[a].kind,)))
    # the default: every uncertainty, each over its declared plausible range
    default = futures_problem()
    assert {f.name: (f.lower, f.upper) for f in default.factors if f.type == "float"} == {
        n: q.sa_bounds for n, q in REGISTRY.items() if q.kind == "uncertainty" and q.type == "float"}
    assert {f.name for f in default.factors} == {n for n, q in REGISTRY.items() if q.kind == "uncertainty"}


def test_latin_hypercube_futures():
    p = futures_problem(FactorSelection(factors=("gamma0", "budget_regime", "first_secretary", "approval_delay"),
                                        ranges={"approval_delay": (0, 6)}))
    a = LatinHypercubeFutures(p, 12, 4).futures()
    assert a.equals(LatinHypercubeFutures(p, 12, 4).futures())
    assert not a.equals(LatinHypercubeFutures(p, 12, 5).futures())
    # one future in each of the 12 equal strata of every float factor
    lo, hi = REGISTRY["gamma0"].sa_bounds
    strata = np.floor((a["gamma0"] - lo) / (hi - lo) * 12).astype(int)
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
    with pytest.raises(FuturesError, match="unknown futures source 'draws'"):
        make_provider("draws:calib1")

    class Draws:  # a provider of one's own: a DataFrame of draws and its provenance
        kind = "draws"

        def __init__(self, name, n):
            self.name, self.n = name, n

        def futures(self):
            return pd.DataFrame({"gamma0": np.linspace(-5, -4, self.n)})

        def describe(self):
            return {"provider": "draws", "name": self.name, "n": self.n}

    register_provider("draws", lambda arg, *, n, seed, store, selection: Draws(arg, n))
    try:
        prov = make_provider("draws:calib1", n=3)
        assert len(prov.futures()) == 3 and prov.describe()["name"] == "calib1"
    finally:
        from experiments import futures as fmod

        fmod.PROVIDERS.pop("draws")


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


@pytest.mark.parametrize("executor", ["inprocess", "processes"])
def test_a_callable_target_runs_like_its_import_path(tmp_path, executor):
    """A function from a script or notebook (a closure here) is a target of run_futures as of
    run_design: shipped to fresh worker processes by value, the same results as the import
    path, and resumable from Python with the callable."""
    import govsim_toy

    def wrapped(params, *, seed, horizon, schedule):
        return govsim_toy.simulate(params, seed=seed, horizon=horizon, schedule=schedule)

    kw = dict(name="rob", futures=FUTURES, reforms=REFORMS, replicates=2, seed=3, horizon=12, progress=False)
    a = run_futures(tmp_path / "a.duckdb", target=wrapped, executor=executor, workers=2, **kw)
    b = run_futures(tmp_path / "b.duckdb", target=TOY, executor="inprocess", **kw)
    assert table(tmp_path / "a.duckdb", "SELECT target FROM experiments")[0][0].startswith("python:")
    assert_bitwise_equal(results_of(tmp_path / "a.duckdb", a), results_of(tmp_path / "b.duckdb", b))
    with pytest.raises(ExperimentError, match="target="):
        resume(tmp_path / "a.duckdb", a, executor="inprocess", progress=False)
    assert resume(tmp_path / "a.duckdb", a, target=wrapped, executor="inprocess", progress=False) == a


def test_failed_runs_run_again_unless_kept(tmp_path):
    """A reform whose runs failed (here until a marker file exists) is run again by the same
    call once the cause is fixed; with keep_failed its failures stay."""
    marker = tmp_path / "fixed"
    reforms = [REFORMS[0], {"name": "flaky", "params": {"fail_unless": str(marker)}, "schedule": []}]
    kw = dict(name="rob", futures=FUTURES, reforms=reforms, replicates=1, seed=3, horizon=12, target=TOY,
              executor="inprocess", progress=False)
    store = tmp_path / "s.duckdb"
    status = "SELECT scenario, status, count(*) FROM runs GROUP BY ALL ORDER BY ALL"
    eid = run_futures(store, **kw)
    assert table(store, status) == [("flaky", "failed", 4), ("status_quo", "ok", 4)]
    marker.touch()
    assert run_futures(store, keep_failed=True, **kw) == eid
    assert table(store, status) == [("flaky", "failed", 4), ("status_quo", "ok", 4)]
    assert run_futures(store, **kw) == eid
    assert table(store, status) == [("flaky", "ok", 4), ("status_quo", "ok", 4)]


def test_model_runs_store_the_output_declarations(tmp_path):
    """The engine writes the model's output declarations with a robustness experiment, so its
    analysis reads labels and directions from the store."""
    from model.outputs import output_metadata

    store = tmp_path / "m.duckdb"
    eid = run_futures(store, name="rob", futures=pd.DataFrame({"gamma0": [-4.0, -3.0]}),
                      reforms=[load_reform("baseline"), load_reform("pay_raise")], replicates=1, seed=1, horizon=30,
                      base_params={"residents_per_community": 40, "communities_per_street": 2},
                      executor="inprocess", progress=False)
    rows = table(store, "SELECT output, direction FROM outputs WHERE experiment_id = ? ORDER BY output", [eid])
    assert rows == sorted((o["name"], o["direction"]) for o in output_metadata())


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
    assert an.returncode == 0, an.stderr
    assert "lower is better — user" in an.stdout
    # a direction the model declared, read from the outputs table the engine wrote with the experiment
    an = govsim("robustness", "analyze", eid, "--store", store, "--objective", "satisfied_share", "--out",
                str(tmp_path / "o3"), "--formats", "png")
    assert an.returncode == 0, an.stderr
    assert "higher is better — store" in an.stdout


@pytest.mark.slow
def test_cli_sigterm_commits_and_resume_completes(tmp_path, toy_env):
    """``govsim robustness run`` stopped by SIGTERM (a scheduler's warning) commits the finished
    runs, names the resume command and exits with 128 + 15; ``govsim resume`` then completes
    it exactly as an uninterrupted run."""
    repo = Path(__file__).resolve().parents[2]
    n_futures, reps = 40, 2
    total = n_futures * 2 * reps
    csv = tmp_path / "futures.csv"
    csv.write_text("\n".join(["b,delay"] + [f"{1 + i / 10},0.03" for i in range(n_futures)]) + "\n")

    def cmd(store):
        return [sys.executable, "-m", "experiments.cli", "robustness", "run", "baseline", "pay_raise", "--futures",
                f"table:{csv}", "--target", TOY, "--replicates", str(reps), "--horizon", "30", "--workers", "2",
                "--no-progress", "--no-analyze", "--store", str(store)]

    ref = tmp_path / "ref.duckdb"
    r = subprocess.run(cmd(ref), cwd=repo, env=toy_env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    eid = r.stdout.split()[0]
    store, log = tmp_path / "s.duckdb", tmp_path / "runs.log"
    p = subprocess.Popen(cmd(store), cwd=repo, env={**toy_env, "GOVSIM_TOY_LOG": str(log)}, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while (not log.exists() or len(log.read_text().splitlines()) < 40) and p.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 128 + signal.SIGTERM, err
    committed = table(store, "SELECT count(*) FROM runs")[0][0]
    assert 0 < committed < total and "Traceback" not in err
    assert f"resume with: govsim resume {eid} --store {store}" in err, err
    r = subprocess.run([sys.executable, "-m", "experiments.cli", "resume", eid, "--store", str(store), "--no-progress"],
                       cwd=repo, env=toy_env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert_bitwise_equal(results_of(store, eid), results_of(ref, eid))


@pytest.mark.parametrize("args, message", [
    (["run", "baseline", "pay_rise", "--factors", "gamma0"], "no scenario named 'pay_rise'"),
    (["run", "baseline", "pay_raise", "--factors", UNRANGED[0]], "no plausible range"),
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


def test_cli_plan_and_help(govsim, tmp_path):
    r = govsim("robustness", "plan", "baseline", "pay_raise", "--factors", "gamma0,elderly_share", "--range",
               "elderly_share=0.2:0.45", "--n-futures", "5")
    assert r.returncode == 0, r.stderr
    assert "elderly_share" in r.stdout and "2 reforms × 5 futures × 2 replicates = 20 runs" in r.stdout
    f = tmp_path / "f.csv"
    f.write_text("gamma0\n-4.0\n-3.5\n-3.0\n")
    r = govsim("robustness", "plan", "baseline", "pay_raise", "--futures", f"table:{f}")  # a table: all its rows
    assert r.returncode == 0, r.stderr
    assert "2 reforms × 3 futures × 2 replicates = 12 runs" in r.stdout
    for cmd in (["robustness", "--help"], ["robustness", "run", "--help"], ["robustness", "analyze", "--help"],
                ["discover", "--help"], ["export", "--help"]):
        h = govsim(*cmd)
        assert h.returncode == 0 and "usage:" in h.stdout
