"""kill -9 of a whole batch at any point, then resume → exactly the uninterrupted results."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from exp_helpers import assert_bitwise_equal, cli, results_of, table
from exp_helpers import design_args as shared_design_args

REPO = Path(__file__).resolve().parents[2]
N_POINTS, REPS = 150, 2
TOTAL = N_POINTS * REPS


def design_args(csv, store):
    return shared_design_args(csv, store, replicates=REPS, seed=77, name="killme")


@pytest.fixture
def design_csv(tmp_path):
    csv = tmp_path / "design.csv"
    rows = ["a,b,delay"] + [f"{i / 10},{1 + i % 3},0.04" for i in range(N_POINTS)]
    csv.write_text("\n".join(rows) + "\n")
    return csv


def start(args, env, log):
    return subprocess.Popen(cli(*args), cwd=REPO, env={**env, "GOVSIM_TOY_LOG": str(log)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill_when(proc, log, lines, extra=2.0, timeout=120):
    """SIGKILL the batch's whole process group once `lines` runs finished (+ time to commit)."""
    deadline = time.monotonic() + timeout
    while (not log.exists() or len(log.read_text().splitlines()) < lines) and proc.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    time.sleep(extra)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def committed(store):
    return table(store, "SELECT count(*) FROM runs")[0][0]


def test_kill_9_then_resume_equals_uninterrupted(tmp_path, design_csv, toy_env):
    ref_store = tmp_path / "ref.duckdb"
    r = subprocess.run(cli(*design_args(design_csv, ref_store)), cwd=REPO, env=toy_env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (ref_id,), = table(ref_store, "SELECT experiment_id FROM experiments")

    store = tmp_path / "killed.duckdb"
    log = tmp_path / "runs.log"
    # 1. killed right at the start: re-running the same command picks it up
    p = start(design_args(design_csv, store), toy_env, log)
    time.sleep(0.3)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    # 2. killed mid-way, twice
    p = start(design_args(design_csv, store), toy_env, log)
    kill_when(p, log, 30)
    n1 = committed(store)
    assert 0 < n1 < TOTAL, n1
    (eid,), = table(store, "SELECT experiment_id FROM experiments")
    assert eid == ref_id  # the id depends on the plan, not on the attempt
    p = start(["resume", eid, "--store", str(store), "--workers", "2", "--no-progress"], toy_env, log)
    kill_when(p, log, len(log.read_text().splitlines()) + 30)
    n2 = committed(store)
    assert n1 < n2 < TOTAL, (n1, n2)
    # 3. resume to the end
    r = subprocess.run(cli("resume", eid, "--store", str(store), "--no-progress"), cwd=REPO, env=toy_env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert committed(store) == TOTAL
    assert table(store, "SELECT count(*), count(DISTINCT run_id) FROM timeseries WHERE month = 0 "
                        "AND output = 'participation_rate'")[0] == (TOTAL, TOTAL)
    assert_bitwise_equal(results_of(store, eid), results_of(ref_store, ref_id))
    assert table(store, "SELECT status FROM experiments")[0][0] == "done"
    sessions = table(store, "SELECT json_array_length(manifest, '$.sessions') FROM experiments")[0][0]
    assert sessions >= 3
