"""Batches started from scripts and notebooks: the README's Python block, callables as
targets, modules in the working directory (items 1 and 2 of the hardening issue)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from exp_helpers import TOY, assert_bitwise_equal, results_of, table
from experiments.engine import ExperimentError, resume, run_design
from experiments.worker import TargetError

REPO = Path(__file__).resolve().parents[2]
DESIGN = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.5, 2.0]})


def readme_python_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("From Python")
    m = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert m, "README has no Python block after 'From Python'"
    return m.group(1)


def without_guard(code: str) -> str:
    """The block with its ``if __name__ == "__main__":`` body moved to the top level."""
    head, _, body = code.partition('if __name__ == "__main__":')
    body = body.split("\n", 1)[1]
    return head + textwrap.dedent(body)


def run_script(code: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    script = cwd / "myscript.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
@pytest.mark.parametrize("guarded", [True, False], ids=["as-in-readme", "guard-removed"])
def test_readme_python_block_works_pasted_into_a_script(tmp_path, guarded):
    """Item 1: the README's block, saved as a script in an empty folder and run with python,
    runs its batch on worker processes and prints the comparison — also without the
    ``__main__`` guard (the worker processes never re-import the script)."""
    code = readme_python_block()
    assert 'if __name__ == "__main__":' in code  # the README shows the guard
    r = run_script(code if guarded else without_guard(code), tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "pay_raise" in r.stdout and "baseline" in r.stdout
    store = tmp_path / "results" / "govsim.duckdb"
    assert table(store, "SELECT status, count(*) FROM runs GROUP BY status") == [("ok", 20)]
    assert table(store, "SELECT json_extract_string(manifest, '$.executor.executor') FROM experiments") \
        == [("processes",)]


def test_a_callable_defined_in_an_unguarded_script_runs_on_worker_processes(tmp_path):
    """Items 1 and 2: a target function defined in the script itself, no main guard, default
    (processes) executor; running the script again finds the same experiment."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO / 'tests' / 'experiments')!r})
        import pandas as pd
        import govsim_toy
        from experiments import run_design

        def shifted(params, *, seed, horizon, schedule):
            return govsim_toy.simulate({{**params, "a": params["a"] + 10.0}}, seed=seed, horizon=horizon,
                                       schedule=schedule)

        eid = run_design("s.duckdb", name="mine", design=pd.DataFrame({{"a": [0.0, 1.0, 2.0]}}), seed=4,
                         horizon=6, target=shifted, workers=2, progress=False)
        print("ID", eid)
    """)
    r1 = run_script(code, tmp_path)
    assert r1.returncode == 0, r1.stderr[-3000:]
    r2 = run_script(code, tmp_path)
    assert r2.returncode == 0, r2.stderr[-3000:]
    eid = r1.stdout.split("ID ")[1].strip()
    assert r2.stdout.split("ID ")[1].strip() == eid  # same code, same experiment: nothing run twice
    store = tmp_path / "s.duckdb"
    assert table(store, "SELECT count(*), count(*) FILTER (status = 'ok') FROM runs") == [(3, 3)]
    (target,), = table(store, "SELECT target FROM experiments")
    assert target == "python:__main__:shifted"
    values = [v for (v,) in table(store, "SELECT value FROM timeseries WHERE output = 'participation_rate' "
                                         "AND month = 0 ORDER BY run_id")]
    ref = [__import__("govsim_toy").simulate({"a": a + 10.0}, seed=s, horizon=6).timeseries["participation_rate"][0]
           for a, (s,) in zip([0.0, 1.0, 2.0], table(store, "SELECT seed FROM runs ORDER BY run_id"))]
    assert values == ref


@pytest.mark.parametrize("executor", ["inprocess", "processes", "dask"])
def test_a_closure_is_a_target_on_every_executor(tmp_path, executor, toy_env):
    """Item 2: a function object (here a closure, importable by no name) is accepted by the
    Python API on every executor, and the results equal those of the import path."""
    import govsim_toy

    offset = 0.0

    def wrapped(params, *, seed, horizon, schedule):
        return govsim_toy.simulate({**params, "a": params["a"] + offset}, seed=seed, horizon=horizon,
                                   schedule=schedule)

    kw = dict(name="c", design=DESIGN, seed=9, horizon=6, progress=False, workers=2)
    a = run_design(tmp_path / "a.duckdb", target=wrapped, executor=executor, **kw)
    b = run_design(tmp_path / "b.duckdb", target=TOY, executor="inprocess", **kw)
    assert a.startswith("c-") and table(tmp_path / "a.duckdb", "SELECT target FROM experiments")[0][0].startswith(
        "python:")
    ra, rb = results_of(tmp_path / "a.duckdb", a), results_of(tmp_path / "b.duckdb", b)
    assert_bitwise_equal(ra, rb)


def test_an_importable_function_object_becomes_its_import_path(tmp_path):
    """Item 2: passing ``govsim_toy.simulate`` itself is the same experiment as the string."""
    import govsim_toy

    kw = dict(name="c", design=DESIGN, seed=9, horizon=6, progress=False, executor="inprocess")
    a = run_design(tmp_path / "s.duckdb", target=govsim_toy.simulate, **kw)
    assert run_design(tmp_path / "s.duckdb", target=TOY, **kw) == a
    assert table(tmp_path / "s.duckdb", "SELECT target FROM experiments") == [(TOY,)]


def test_unpicklable_target_on_processes_says_what_it_needs(tmp_path):
    """Item 2: the process executor explains why it cannot take a callable and what to do."""
    import threading

    import govsim_toy

    lock = threading.Lock()

    def holds_a_lock(params, *, seed, horizon, schedule):
        with lock:
            return govsim_toy.simulate(params, seed=seed, horizon=horizon, schedule=schedule)

    with pytest.raises(TargetError, match="cannot be sent to worker processes.*'module:function'.*inprocess"):
        run_design(tmp_path / "s.duckdb", name="c", design=DESIGN, seed=1, horizon=6, target=holds_a_lock,
                   executor="processes", workers=1, progress=False)


def test_resuming_a_callable_experiment_needs_the_callable(tmp_path):
    """Item 2: an experiment of a notebook function cannot be resumed by name alone; from
    Python, resume(..., target=f) finishes it."""
    import govsim_toy

    def f(params, *, seed, horizon, schedule):
        return govsim_toy.simulate(params, seed=seed, horizon=horizon, schedule=schedule)

    store = tmp_path / "s.duckdb"
    eid = run_design(store, name="c", design=DESIGN, seed=1, horizon=6, target=f, executor="inprocess",
                     progress=False)
    with pytest.raises(ExperimentError, match="resume.*target="):
        resume(store, eid, executor="inprocess", progress=False)
    assert resume(store, eid[:6], target=f, executor="inprocess", progress=False) == eid


def test_cli_finds_a_target_module_in_the_working_directory(tmp_path):
    """Item 2: ``govsim design ... --target mymodel:simulate`` run from the folder holding
    mymodel.py, without PYTHONPATH, finds it (the worker processes too)."""
    (tmp_path / "mymodel.py").write_text(textwrap.dedent("""
        def simulate(params, *, seed, horizon, schedule):
            return float(params["x"]) * 2 + seed % 7
    """), encoding="utf-8")
    (tmp_path / "d.csv").write_text("x\n1\n2\n3\n", encoding="utf-8")
    govsim = Path(sys.executable).parent / "govsim"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([str(govsim), "design", "d.csv", "--target", "mymodel:simulate", "--store", "s.duckdb",
                        "--workers", "2", "--no-progress"], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert table(tmp_path / "s.duckdb", "SELECT count(*) FROM summaries WHERE output = 'y'") == [(3,)]
