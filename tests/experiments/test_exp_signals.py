"""SIGTERM (a cluster scheduler's warning) and SIGINT (Ctrl-C) stop a real batch cleanly:
every finished run is committed, the experiment id and the resume command are printed, the
exit code is non-zero, and resuming gives exactly an uninterrupted batch (item 4 of the
hardening issue)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from exp_helpers import assert_bitwise_equal, cli, results_of, table
from exp_helpers import design_args as shared_design_args

REPO = Path(__file__).resolve().parents[2]
N_POINTS, REPS = 100, 2
TOTAL = N_POINTS * REPS


def design_args(csv, store):
    return shared_design_args(csv, store, replicates=REPS, seed=5, name="sig")


@pytest.fixture(scope="module")
def design_csv(tmp_path_factory):
    csv = tmp_path_factory.mktemp("sig") / "design.csv"
    csv.write_text("\n".join(["a,b,delay"] + [f"{i / 10},{1 + i % 3},0.03" for i in range(N_POINTS)]) + "\n")
    return csv


@pytest.fixture(scope="module")
def reference(design_csv, tmp_path_factory):
    """The same batch, uninterrupted."""
    here = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, str(REPO)])}
    store = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    r = subprocess.run(cli(*design_args(design_csv, store)), cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    (eid,), = table(store, "SELECT experiment_id FROM experiments")
    return results_of(store, eid)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_commits_finished_runs_prints_resume_command_and_exits_nonzero(sig, tmp_path, design_csv, reference,
                                                                               toy_env):
    """Item 4: the signal goes to the batch's whole process group (as Ctrl-C in a terminal
    and a scheduler's SIGTERM do). Every run that had finished before it is in the store
    (at most the 2 × 2 runs in flight are lost), stderr names the id and the resume command,
    the exit code is 128 + the signal, and resume completes it bit for bit."""
    store = tmp_path / "s.duckdb"
    log = tmp_path / "runs.log"
    p = subprocess.Popen(cli(*design_args(design_csv, store)), cwd=REPO, env={**toy_env, "GOVSIM_TOY_LOG": str(log)},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while (not log.exists() or len(log.read_text().splitlines()) < 60) and p.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    finished = len(log.read_text().splitlines())
    os.killpg(p.pid, sig)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 128 + sig, (p.returncode, err)
    (eid,), = table(store, "SELECT experiment_id FROM experiments")
    committed = table(store, "SELECT count(*) FROM runs")[0][0]
    assert finished - 4 <= committed < TOTAL, (finished, committed)
    name = signal.Signals(sig).name
    assert f"interrupted by {name}: {committed} of {TOTAL} runs committed" in err, err
    assert f"resume with: govsim resume {eid} --store {store}" in err, err
    assert "Traceback" not in err
    r = subprocess.run(cli("resume", eid, "--store", str(store), "--no-progress"), cwd=REPO, env=toy_env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert_bitwise_equal(results_of(store, eid), reference)
    sessions = table(store, "SELECT manifest->'$.sessions'->>0->>'interrupted' FROM experiments")[0][0]
    assert sessions == name
