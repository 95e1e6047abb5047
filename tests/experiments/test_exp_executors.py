"""Same seed → bitwise-identical results on every executor; dead workers are retried."""

import shutil
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from exp_helpers import TOY, assert_bitwise_equal, results_of, table
from experiments.engine import run_design, run_scenarios
from experiments.scenarios import Scenario

DESIGN = pd.DataFrame({"a": [0.0, 0.5, 1.0, 1.5], "b": [1.0, 2.0, 0.5, 1.0]})
KW = dict(name="toy", design=DESIGN, replicates=3, seed=2026, horizon=24, target=TOY, progress=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    eid = run_design(path, executor="inprocess", **KW)
    return results_of(path, eid)


def test_processes_match_inprocess_bitwise(tmp_path, reference):
    eid = run_design(tmp_path / "p.duckdb", executor="processes", workers=2, **KW)
    assert_bitwise_equal(results_of(tmp_path / "p.duckdb", eid), reference)
    workers = {r[0] for r in table(tmp_path / "p.duckdb", "SELECT worker FROM runs")}
    assert len(workers) == 2  # really ran in two processes


def test_dask_localcluster_matches_inprocess_bitwise(tmp_path, reference, toy_env):
    eid = run_design(tmp_path / "d.duckdb", executor="dask", workers=2, **KW)
    assert_bitwise_equal(results_of(tmp_path / "d.duckdb", eid), reference)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(toy_env, tmp_path):
    """A real `dask scheduler` and `dask worker` on loopback, always killed afterwards."""
    dask_cli = shutil.which("dask", path=str(__import__("pathlib").Path(sys.executable).parent))
    if dask_cli is None:
        pytest.fail("the dask command-line tool is not installed next to the interpreter")
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = []
    logs = [open(tmp_path / f"{n}.log", "w") for n in ("scheduler", "worker")]
    try:
        procs.append(subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], env=toy_env, stdout=logs[0], stderr=subprocess.STDOUT,
                                      cwd=tmp_path))
        procs.append(subprocess.Popen([dask_cli, "worker", addr, "--nworkers", "2", "--nthreads", "1",
                                       "--host", "127.0.0.1", "--no-dashboard"], env=toy_env, stdout=logs[1],
                                      stderr=subprocess.STDOUT, cwd=tmp_path))
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(addr, timeout=5) as c:
                    c.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield addr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=15)
        for f in logs:
            f.close()


def test_real_dask_scheduler_and_workers_match_bitwise(tmp_path, reference, dask_cluster):
    eid = run_design(tmp_path / "r.duckdb", executor="dask", scheduler=dask_cluster, **KW)
    assert_bitwise_equal(results_of(tmp_path / "r.duckdb", eid), reference)
    workers = {r[0] for r in table(tmp_path / "r.duckdb", "SELECT worker FROM runs")}
    assert len(workers) == 2


def test_killed_worker_run_is_retried_then_failed(tmp_path):
    marker = tmp_path / "died-once"
    design = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "die_once": ["", str(marker), "", ""],
                           "die": [False, False, True, False]})
    store = tmp_path / "k.duckdb"
    run_design(store, name="kill", design=design, seed=3, horizon=6, target=TOY, executor="processes",
               workers=2, progress=False, max_attempts=3)
    rows = table(store, "SELECT design_point, status, attempts, error FROM runs ORDER BY design_point")
    assert marker.exists()
    assert [(r[0], r[1]) for r in rows] == [(0, "ok"), (1, "ok"), (2, "failed"), (3, "ok")]
    assert rows[1][2] == 2  # died once, succeeded on the retry
    assert rows[2][2] == 3 and "worker process died" in rows[2][3]


def test_killed_dask_worker_run_is_rescheduled(tmp_path, toy_env):
    marker = tmp_path / "died-once"
    design = pd.DataFrame({"a": [0.0, 1.0, 2.0], "die_once": ["", str(marker), ""]})
    store = tmp_path / "k.duckdb"
    run_design(store, name="kill", design=design, seed=3, horizon=6, target=TOY, executor="dask",
               workers=2, progress=False)
    assert marker.exists()
    assert [r[0] for r in table(store, "SELECT status FROM runs ORDER BY run_id")] == ["ok"] * 3


def test_compare_on_processes_matches_inprocess(tmp_path):
    scen = [Scenario("baseline", "", {}, [], 12, 2, 4), Scenario("reform", "", {}, [[3, "a", 2.0]], 12, 2, 4)]
    a = run_scenarios(tmp_path / "a.duckdb", scen, target=TOY, executor="inprocess", progress=False)
    b = run_scenarios(tmp_path / "b.duckdb", scen, target=TOY, executor="processes", workers=2, progress=False)
    assert_bitwise_equal(results_of(tmp_path / "a.duckdb", a), results_of(tmp_path / "b.duckdb", b))


def test_processes_executor_leaves_the_global_start_method_alone(tmp_path, monkeypatch):
    import multiprocessing as mp
    import subprocess

    from experiments.executors import ProcessExecutor

    def forbidden(*args, **kwargs):
        raise AssertionError("the global start method must not be changed")

    monkeypatch.setattr(mp, "set_start_method", forbidden)
    monkeypatch.setattr(mp.context.DefaultContext, "set_start_method", forbidden)
    ex = ProcessExecutor(1)
    assert ex.start_method == "subprocess"  # fresh interpreters: multiprocessing's start method is not involved
    run_design(tmp_path / "s.duckdb", name="sm", design=DESIGN[:1], seed=1, horizon=3, target=TOY,
               executor="processes", workers=1, progress=False)
    # the default stays the platform's (the stdlib may pin it, but never to ours)
    fresh = subprocess.run([sys.executable, "-c", "import multiprocessing as m; print(m.get_start_method())"],
                           capture_output=True, text=True, timeout=60).stdout.strip()
    assert mp.get_start_method() == fresh


def test_dask_run_whose_worker_always_dies_is_failed_and_the_batch_goes_on(tmp_path, toy_env):
    design = pd.DataFrame({"a": [0.0, 1.0, 2.0], "die": [False, True, False]})
    store = tmp_path / "k.duckdb"
    run_design(store, name="kill", design=design, seed=3, horizon=6, target=TOY, executor="dask",
               workers=2, progress=False, max_attempts=2)
    rows = table(store, "SELECT design_point, status, error FROM runs ORDER BY design_point")
    assert [(r[0], r[1]) for r in rows] == [(0, "ok"), (1, "failed"), (2, "ok")]
    assert "Dask worker died" in rows[1][2]


def test_the_model_itself_is_bitwise_identical_in_process_and_in_worker_processes(tmp_path):
    """The whole chain with the real model (string hashing differs between processes)."""
    kw = dict(replicates=2, horizon=30, progress=False)  # the package's reforms start at month 24
    a = run_scenarios(tmp_path / "a.duckdb", ["baseline", "combined_package"], executor="inprocess", **kw)
    b = run_scenarios(tmp_path / "b.duckdb", ["baseline", "combined_package"], executor="processes", workers=2, **kw)
    ra, rb = results_of(tmp_path / "a.duckdb", a), results_of(tmp_path / "b.duckdb", b)
    assert len(ra[1]) > 0
    assert_bitwise_equal(ra, rb)
