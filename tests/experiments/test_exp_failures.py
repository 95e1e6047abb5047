"""Failed runs: a batch with no successful run is an error that shows the first traceback;
running the same experiment again, or resuming it, runs the failed runs again unless they
are kept (item 1 of the hardening issue)."""

from __future__ import annotations

import pandas as pd
import pytest

from exp_helpers import TOY, table
from experiments.cli import main
from experiments.engine import RunsFailedError, resume, run_design


def test_a_batch_without_one_successful_run_is_an_error_with_the_first_traceback(tmp_path):
    """Item 1: all runs failed → RunsFailedError naming the experiment and showing the
    traceback of the first failure (not an id that analysis later rejects)."""
    design = pd.DataFrame({"a": [0.0, 1.0], "fail": [True, True]})
    with pytest.raises(RunsFailedError) as info:
        run_design(tmp_path / "s.duckdb", name="bad", design=design, seed=1, horizon=6, target=TOY,
                   executor="inprocess", progress=False)
    msg = str(info.value)
    assert "all 2 runs failed" in msg and "Traceback" in msg and "toy failure requested" in msg
    assert info.value.exit_code == 1
    # the same batch again: the failed runs are run again, and fail again, still an error
    with pytest.raises(RunsFailedError):
        run_design(tmp_path / "s.duckdb", name="bad", design=design, seed=1, horizon=6, target=TOY,
                   executor="inprocess", progress=False)
    assert table(tmp_path / "s.duckdb", "SELECT count(*), max(attempts) FROM runs") == [(2, 1)]


def test_cli_shows_the_first_traceback_and_exits_1(tmp_path, capsys):
    """Item 1: on the command line the same failure prints the traceback, exit code 1."""
    csv = tmp_path / "d.csv"
    csv.write_text("a,fail\n0,true\n1,true\n")
    code = main(["design", str(csv), "--store", str(tmp_path / "s.duckdb"), "--target", TOY, "--executor",
                 "inprocess", "--no-progress", "--horizon", "6", "--seed", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "govsim: error: experiment" in err and "all 2 runs failed" in err and "ValueError: toy failure" in err


def test_rerun_and_resume_run_failed_runs_again_unless_kept(tmp_path):
    """Item 1: the failed run of a first attempt is run again by re-running the same call
    (and by resume); with keep_failed it stays failed."""
    marker = tmp_path / "fixed"
    design = pd.DataFrame({"a": [0.0, 1.0, 2.0], "fail_unless": ["", str(marker), ""]})
    store = tmp_path / "s.duckdb"
    kw = dict(name="retry", design=design, seed=2, horizon=6, target=TOY, executor="inprocess", progress=False)
    eid = run_design(store, **kw)
    status = "SELECT run_id, status FROM runs ORDER BY run_id"
    assert [s for _, s in table(store, status)] == ["ok", "failed", "ok"]
    marker.touch()  # the cause is fixed
    assert run_design(store, keep_failed=True, **kw) == eid  # kept: nothing run
    assert [s for _, s in table(store, status)] == ["ok", "failed", "ok"]
    assert run_design(store, **kw) == eid
    assert [s for _, s in table(store, status)] == ["ok", "ok", "ok"]
    assert table(store, "SELECT count(*) FROM summaries WHERE run_id = 'p000001-r0000'")[0][0] == 3

    marker.unlink()
    eid2 = run_design(store, new=True, **kw)
    assert [s for r, s in table(store, status) if r] .count("failed") == 1
    marker.touch()
    assert resume(store, eid2, keep_failed=True, executor="inprocess", progress=False) == eid2
    assert table(store, "SELECT count(*) FROM runs WHERE experiment_id = ? AND status = 'failed'", [eid2]) == [(1,)]
    assert resume(store, eid2, executor="inprocess", progress=False) == eid2
    assert table(store, "SELECT count(*) FROM runs WHERE experiment_id = ? AND status = 'failed'", [eid2]) == [(0,)]
    assert table(store, "SELECT count(*) FROM runs WHERE experiment_id = ?", [eid2]) == [(3,)]
