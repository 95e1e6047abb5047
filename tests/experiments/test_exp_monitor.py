"""Reading the store while a batch writes to it: ``govsim status``, ``govsim report`` and an
analysis of the committed runs work from another process during a real batch, and the
batch still commits every run (item 3 of the hardening issue)."""

from __future__ import annotations

import json
import os
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
    return shared_design_args(csv, store, replicates=REPS, seed=8, name="watch")


@pytest.mark.slow
def test_status_report_and_analysis_while_a_batch_writes(tmp_path, toy_env, capsys):
    """Item 3: a batch in a subprocess; meanwhile, from this process, ``govsim status`` (the
    table and one experiment by id prefix), ``compare_scenarios`` on the committed runs and
    ``govsim report`` (which holds the store for seconds) all succeed and see a growing,
    partial experiment; the batch then completes, bit for bit equal to an undisturbed run."""
    from analysis.cli import main as analysis_main
    from analysis.stats import compare_scenarios
    from experiments.cli import main

    csv = tmp_path / "design.csv"
    csv.write_text("\n".join(["a,b,delay"] + [f"{i / 10},{1 + i % 3},0.04" for i in range(N_POINTS)]) + "\n")
    ref = tmp_path / "ref.duckdb"
    r = subprocess.run(cli(*design_args(csv, ref)), cwd=REPO, env=toy_env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr

    store = tmp_path / "s.duckdb"
    log = tmp_path / "runs.log"
    p = subprocess.Popen(cli(*design_args(csv, store)), cwd=REPO, env={**toy_env, "GOVSIM_TOY_LOG": str(log)},
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while (not log.exists() or len(log.read_text().splitlines()) < 30) and p.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(1.5)  # past the first commit
        seen = []
        for _ in range(3):
            capsys.readouterr()
            assert main(["status", "--store", str(store)]) == 0
            out = capsys.readouterr().out
            assert "watch-" in out and "running" in out
            eid = next(w for w in out.split() if w.startswith("watch-"))
            assert main(["status", eid[:9], "--store", str(store)]) == 0
            info = json.loads(capsys.readouterr().out)
            seen.append(info["runs"].get("ok", 0))
            time.sleep(0.3)
        assert 0 < seen[0] <= seen[-1] < TOTAL, seen
        partial = compare_scenarios(store, eid, baseline=None)
        assert 0 < int(partial["n"].iloc[0]) < TOTAL
        assert p.poll() is None, "the batch should still be running"
        assert analysis_main(["report", eid, "--store", str(store), "--out", str(tmp_path / "rep"),
                              "--formats", "png"]) == 0
        assert (tmp_path / "rep" / "report.html").is_file()
        assert p.wait(timeout=300) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
    assert table(store, "SELECT status FROM experiments") == [("done",)]
    (ref_id,), = table(ref, "SELECT experiment_id FROM experiments")
    assert eid == ref_id
    assert_bitwise_equal(results_of(store, eid), results_of(ref, ref_id))
