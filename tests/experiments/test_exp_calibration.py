"""The calibration: pyabc's ABC-SMC with the runs through the engine — reproducible from its
seed on every executor (a real `dask scheduler` + `dask worker` included), continued after
kill -9 to exactly the uninterrupted posterior, saved under a name that scenario runs draw from."""

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

from exp_helpers import table
from experiments.calibration import EngineSampler, calibrate, draw_posterior
from experiments.engine import run_batch, run_scenarios
from experiments.store import Store
from test_exp_executors import dask_cluster  # noqa: F401 - the fixture: a real scheduler and two workers

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "targets" / "sbc.toml"  # two parameters, one community of 400 residents, 6 months
KW = dict(targets=str(SMALL), particles=24, generations=3, predictive_draws=6, seed=7, progress=False)

POSTERIOR_SQL = ("SELECT generation, particle, proposal, weight, distance, parameter, value FROM calibration_particles "
                 "ORDER BY ALL")
GENERATIONS_SQL = ("SELECT generation, epsilon, particles, simulations, proposals, batches, seed "
                   "FROM calibration_generations ORDER BY generation")


def posterior(store):
    return table(store, POSTERIOR_SQL), table(store, GENERATIONS_SQL)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small calibration in-process: the reference every other way of running it must equal."""
    store = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    eid = calibrate(str(store), executor="inprocess", say=lambda m: None, **KW)
    return store, eid


def test_calibration_is_an_experiment_with_generations_particles_and_a_named_posterior(reference):
    store, eid = reference
    (kind, status, spec), = table(store, "SELECT kind, status, spec FROM experiments WHERE experiment_id = ?", [eid])
    assert (kind, status) == ("calibration", "done")
    gens = table(store, GENERATIONS_SQL)
    assert [g[0] for g in gens] == [0, 1, 2]
    eps = [g[1] for g in gens]
    assert eps[0] == float("inf") and eps[1] > eps[2] > 0  # ε falls generation by generation
    assert all(g[2] == 24 for g in gens) and all(g[3] >= 24 for g in gens)
    weights = table(store, "SELECT generation, sum(weight) FROM (SELECT DISTINCT generation, particle, weight FROM "
                           "calibration_particles) GROUP BY 1 ORDER BY 1")
    assert all(abs(w - 1) < 1e-9 for _, w in weights)
    # every accepted particle is a proposal that was run, and its distance is within ε
    runs = {r[0] for r in table(store, "SELECT DISTINCT design_point FROM runs WHERE run_id LIKE 'g02.%'")}
    props = table(store, "SELECT DISTINCT proposal, distance FROM calibration_particles WHERE generation = 2")
    assert all(p in runs and d <= eps[2] for p, d in props)
    assert table(store, "SELECT name, experiment_id, generation FROM posteriors") == [("default", eid, 2)]
    # the posterior and prior predictive runs: 6 draws each in the problem's one world
    assert table(store, "SELECT count(*) FROM runs WHERE run_id LIKE 'post.%'")[0][0] == 6
    assert table(store, "SELECT count(*) FROM runs WHERE run_id LIKE 'prior.%'")[0][0] == 6
    assert '"parameter_names":["cost_youth","vote_base"]' in spec


def test_same_seed_same_posterior_on_worker_processes(reference, tmp_path):
    store = tmp_path / "p.duckdb"
    eid = calibrate(str(store), executor="processes", workers=2, say=lambda m: None, **KW)
    assert eid == reference[1]
    assert posterior(store) == posterior(reference[0])
    workers = {r[0] for r in table(store, "SELECT worker FROM runs")}
    assert len(workers) == 2  # really ran in two processes, kept alive between batches


def test_real_dask_scheduler_and_workers_give_the_same_posterior(reference, tmp_path, dask_cluster):  # noqa: F811
    store = tmp_path / "d.duckdb"
    eid = calibrate(str(store), executor="dask", scheduler=dask_cluster, say=lambda m: None, **KW)
    assert eid == reference[1]
    assert posterior(store) == posterior(reference[0])
    assert len({r[0] for r in table(store, "SELECT worker FROM runs")}) == 2


def test_another_seed_gives_another_posterior(reference, tmp_path):
    store = tmp_path / "o.duckdb"
    calibrate(str(store), executor="inprocess", say=lambda m: None, **{**KW, "seed": 8})
    assert table(store, POSTERIOR_SQL) != table(reference[0], POSTERIOR_SQL)


def test_running_the_same_calibration_again_reuses_it(reference, capsys):
    store, eid = reference
    n = table(store, "SELECT count(*) FROM runs")[0][0]
    said = []
    assert calibrate(str(store), executor="inprocess", say=said.append, **KW) == eid
    assert table(store, "SELECT count(*) FROM runs")[0][0] == n
    assert any("complete" in m for m in said)


def test_batches_are_cut_without_changing_run_ids_seeds_or_results(tmp_path):
    """A proposal's runs follow its place in the generation, not the batch it ran in."""
    store = tmp_path / "b.duckdb"
    st = Store(store)
    st.create_experiment(experiment_id="e", name="e", kind="calibration", target="govsim_toy:simulate", seed=1,
                         horizon=5, spec={}, manifest={})
    st.close()
    thetas = pd.DataFrame({"a": np.arange(6, dtype=float)})
    reform = [{"name": "w", "params": {"b": 0.5}, "schedule": []}]
    kw = dict(reforms=reform, replicates=2, seed=99, horizon=5, target="govsim_toy:simulate", executor="inprocess",
              progress=False)
    run_batch(store, "e", prefix="one.", futures=thetas, **kw)
    run_batch(store, "e", prefix="two.", futures=thetas.iloc[:2], **kw)
    run_batch(store, "e", prefix="two.", futures=thetas.iloc[2:], offset=2, **kw)
    one = table(store, "SELECT substr(run_id, 5), design_point, replicate, seed FROM runs WHERE run_id LIKE 'one.%' "
                       "ORDER BY 1")
    two = table(store, "SELECT substr(run_id, 5), design_point, replicate, seed FROM runs WHERE run_id LIKE 'two.%' "
                       "ORDER BY 1")
    assert one == two and len(one) == 12
    sm = "SELECT substr(r.run_id, 5), s.output, s.value FROM runs r JOIN summaries s USING (run_id) WHERE r.run_id " \
         "LIKE '{}.%' ORDER BY 1, 2"
    assert table(store, sm.format("one")) == table(store, sm.format("two"))
    # a batch run again finds its runs committed and runs nothing
    assert run_batch(store, "e", prefix="one.", futures=thetas, **kw) == {"ok": 12, "failed": 0}
    assert table(store, "SELECT count(*) FROM runs")[0][0] == 24


def test_the_sampler_refuses_proposals_it_cannot_replay():
    from experiments.calibration import CalibrationError, _RecordingModel

    rec = _RecordingModel(["s"])
    rec.start_recording()
    rec.sample({"a": 1.0})
    rec.start_replay([{"s": 0.5}])
    with pytest.raises(CalibrationError, match="could not be replayed"):
        rec.sample({"a": 2.0})


def test_pyabc_random_state_is_seeded_per_generation_and_the_callers_is_restored():
    s = EngineSampler(None, None, seed=5)
    assert s.generation_seed(0) != s.generation_seed(1) == EngineSampler(None, None, seed=5).generation_seed(1)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    s.run_proposals = lambda t, off, thetas: [{"x": 0.0} for _ in thetas]

    class P:
        accepted, parameter = True, {"a": 0.0}

    class Sample:
        ok = True

        def append(self, p):
            pass

    s.recorder = type("R", (), {"start_recording": lambda self: None, "recorded": [],
                                "start_replay": lambda self, r: None})()
    s.sample(Sample, 3, lambda: P(), 0, np.inf)
    assert (np.random.get_state()[1] == before).all()


def test_scenarios_draw_one_posterior_parameter_set_per_replicate(reference, tmp_path):
    store, cal_id = reference
    eid = run_scenarios(str(store), ["baseline", "pay_raise"], posterior="default", draws=3, replicates_per_draw=2,
                        horizon=26, executor="inprocess", progress=False, timeseries_every=0, snapshots=False)
    runs = table(store, "SELECT scenario, replicate, design_point, seed, params FROM runs WHERE experiment_id = ? "
                        "ORDER BY replicate, scenario", [eid])
    assert len(runs) == 12
    import json

    by_rep = {}
    for scen, rep, point, seed, params in runs:
        p = json.loads(params)
        assert point == rep // 2  # replicate r runs draw r // K
        by_rep.setdefault(rep, []).append((seed, p["cost_youth"], p["vote_base"]))
    for rep, pair in by_rep.items():
        assert pair[0] == pair[1]  # the same draw and seed in every scenario
    assert by_rep[0][0][1:] == by_rep[1][0][1:] and by_rep[0][0][0] != by_rep[1][0][0]
    frame, source = draw_posterior(str(store), "default", n=3, seed=1)
    assert source["experiment_id"] == cal_id and len(frame) == 3
    (manifest,), = table(store, "SELECT manifest FROM experiments WHERE experiment_id = ?", [eid])
    assert cal_id in manifest


def test_posterior_options_are_checked(reference, tmp_path, capsys):
    store, _ = reference
    from experiments.cli import main
    from experiments.engine import ExperimentError

    with pytest.raises(ExperimentError, match="draws × replicates per draw"):
        run_scenarios(str(store), ["baseline"], posterior="default", replicates=4, executor="inprocess",
                      progress=False)
    with pytest.raises(ExperimentError, match="sets \\['cost_youth'\\]"):
        from experiments.scenarios import Scenario

        sc = Scenario(name="x", description="", params={"cost_youth": 3.0}, schedule=[], horizon=12, replicates=1,
                      seed=1)
        run_scenarios(str(store), [sc], posterior="default", draws=2, executor="inprocess", progress=False)
    code = main(["compare", "baseline", "pay_raise", "--posterior", "nope", "--store", str(store), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "no posterior named 'nope'" in err and "default" in err and len(err.strip().splitlines()) == 1


def test_a_scenario_file_may_name_the_posterior(reference, tmp_path):
    store, _ = reference
    d = tmp_path / "sc"
    d.mkdir()
    (d / "base.toml").write_text('name = "base"\nhorizon = 12\nposterior = "default"\n')
    (d / "reform.toml").write_text('name = "reform"\nextends = "base"\n[schedule.6]\ndigital_channels = 0.8\n')
    eid = run_scenarios(str(store), ["base", "reform"], scenario_dir=d, draws=2, executor="inprocess",
                        progress=False, timeseries_every=0, snapshots=False)
    (spec,), = table(store, "SELECT spec FROM experiments WHERE experiment_id = ?", [eid])
    assert '"per_draw":2' in spec
    assert table(store, "SELECT count(*) FROM runs WHERE experiment_id = ?", [eid])[0][0] == 8


# ---------------------------------------------------------------------------- kill -9
KILL_ARGS = ["calibrate", "--targets", str(SMALL), "--particles", "40", "--generations", "4", "--draws", "4",
             "--seed", "3", "--workers", "2", "--no-progress"]


def _runs(store):
    if not Path(store).exists():
        return 0
    try:
        con = duckdb.connect(str(store), read_only=True)
    except duckdb.Error:
        return -1  # the batch is committing
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _start(store, env):
    return subprocess.Popen([sys.executable, "-m", "experiments.cli", *KILL_ARGS, "--store", str(store)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill_after(proc, store, runs, timeout=180):
    deadline = time.monotonic() + timeout
    while _runs(store) < runs and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.slow
def test_kill_9_then_the_same_command_gives_the_uninterrupted_posterior(tmp_path, toy_env):
    ref = tmp_path / "ref.duckdb"
    r = subprocess.run([sys.executable, "-m", "experiments.cli", *KILL_ARGS, "--store", str(ref)], cwd=REPO,
                       env=toy_env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    total = table(ref, "SELECT count(*) FROM runs")[0][0]
    store = tmp_path / "killed.duckdb"
    p = _start(store, toy_env)
    _kill_after(p, store, 60)  # in generation 1
    n1 = _runs(store)
    assert 0 < n1 < total, (n1, total)
    p = _start(store, toy_env)
    _kill_after(p, store, n1 + 50)  # later on
    n2 = _runs(store)
    assert n1 < n2 < total, (n1, n2, total)
    (eid,), = table(store, "SELECT experiment_id FROM experiments")
    r = subprocess.run([sys.executable, "-m", "experiments.cli", "resume", eid, "--store", str(store),
                        "--no-progress"], cwd=REPO, env=toy_env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert posterior(store) == posterior(ref)
    assert table(store, "SELECT count(*) FROM runs")[0][0] == total
    assert table(store, "SELECT status FROM experiments")[0][0] == "done"
    names = "SELECT name, generation FROM posteriors"
    assert table(store, names) == table(ref, names)


# ---------------------------------------------------------------------------- reports from the store
def test_the_calibration_report_shows_posterior_identification_and_predictive_checks(reference, tmp_path):
    from analysis.report import write_report

    store, eid = reference
    html = write_report(str(store), eid, tmp_path / "rep", formats=["png"])
    md = (tmp_path / "rep" / "report.md").read_text()
    for heading in ("## Method", "## Generations", "## Posterior", "### Identification",
                    "## Posterior predictive checks (calibration targets)", "Appendix: provenance"):
        assert heading in md, heading
    assert "cost_youth" in md and "sd ratio" in md and "Figure in 90% PPI" in md
    figs = {p.stem for p in (tmp_path / "rep" / "figures").glob("*.png")}
    assert figs == {"calibration_marginals", "calibration_pairs", "calibration_predictive"}
    assert html.exists()


def test_sbc_runs_truths_from_the_prior_and_reports_coverage(tmp_path):
    from analysis.calibration import sbc_table, sbc_test
    from analysis.report import write_report
    from experiments.sbc import run_sbc

    store = tmp_path / "sbc.duckdb"
    eid = run_sbc(str(store), truths=3, particles=16, epsilons=[6.0, 3.0, 2.0], executor="inprocess",
                  progress=False, say=lambda m: None)
    kinds = table(store, "SELECT kind, count(*) FROM experiments GROUP BY 1 ORDER BY 1")
    assert kinds == [("calibration", 3), ("sbc", 1)]
    con = duckdb.connect(str(store), read_only=True)
    t = sbc_table(con, eid)
    con.close()
    assert len(t) == 6 and set(t["parameter"]) == {"cost_youth", "vote_base"}
    assert ((t["low"] <= t["high"]) & t["rank"].between(0, 1)).all()
    assert (t["final_epsilon"] == 2.0).all()  # each calibration followed the schedule to its last ε
    assert sbc_test(t)["truths"].tolist() == [3, 3, 6]
    write_report(str(store), eid, tmp_path / "rep", formats=["png"])
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "## Coverage" in md and "exact binomial" in md and "Wilkinson 2013" in md
    # the same command again is complete
    assert run_sbc(str(store), truths=3, particles=16, epsilons=[6.0, 3.0, 2.0], executor="inprocess",
                   progress=False, say=lambda m: None) == eid


def test_a_comparison_under_the_posterior_reports_effects_with_their_variance_shares(reference, tmp_path):
    from analysis.report import write_report

    store, _ = reference
    eid = run_scenarios(str(store), ["baseline", "pay_raise"], posterior="default", draws=4, replicates_per_draw=2,
                        horizon=30, executor="inprocess", progress=False, timeseries_every=0, snapshots=False)
    write_report(str(store), eid, tmp_path / "rep", formats=["png"])
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "## Reform effects under parameter uncertainty" in md and "Share: parameters" in md
    assert "4 draws × 2 replicates" in md
    assert (tmp_path / "rep" / "figures" / "effects_uncertainty.png").exists()


def test_robustness_futures_can_come_from_a_posterior(reference):
    from experiments.futures import FuturesError, make_provider

    store, eid = reference
    prov = make_provider("posterior:default", n=5, seed=4, store=str(store))
    f = prov.futures()
    assert list(f.columns) == ["cost_youth", "vote_base"] and len(f) == 5
    assert prov.describe()["experiment_id"] == eid
    assert f.equals(make_provider("posterior:default", n=5, seed=4, store=str(store)).futures())
    import pytest as _pt

    with _pt.raises(FuturesError, match="no posterior named 'other'"):
        make_provider("posterior:other", n=5, seed=4, store=str(store)).futures()


def test_the_calibration_report_needs_only_a_copy_of_the_store(reference, tmp_path):
    import shutil

    copy = tmp_path / "elsewhere" / "c.duckdb"
    copy.parent.mkdir()
    shutil.copy(reference[0], copy)
    code = ("import sys; sys.modules['model'] = None; sys.modules['experiments'] = None; sys.modules['pyabc'] = None\n"
            f"sys.path.insert(0, {str(REPO)!r})\n"
            "from analysis.report import write_report\n"
            f"print(write_report({str(copy)!r}, {reference[1]!r}, out_dir={str(tmp_path / 'out')!r}, "
            "formats=('png',)))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "## Posterior" in (tmp_path / "out" / "report.md").read_text()
