"""Helpers shared by the experiment-engine tests."""

from __future__ import annotations

import sys

import duckdb
import numpy as np

TOY = "govsim_toy:simulate"


def table(store_path, sql, params=()):
    """Rows of a query on a closed store file (opened read-only)."""
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def results_of(store_path, experiment_id):
    """Everything a run produced, in a canonical order, for exact comparisons."""
    runs = table(store_path, "SELECT run_id, scenario, design_point, replicate, seed, params, schedule, status "
                             "FROM runs WHERE experiment_id = ? ORDER BY run_id", [experiment_id])
    ts = table(store_path, "SELECT run_id, month, output, value FROM timeseries WHERE experiment_id = ? "
                           "ORDER BY run_id, output, month", [experiment_id])
    sm = table(store_path, "SELECT run_id, output, value FROM summaries WHERE experiment_id = ? "
                           "ORDER BY run_id, output", [experiment_id])
    return runs, ts, sm


def assert_bitwise_equal(a, b):
    runs_a, ts_a, sm_a = a
    runs_b, ts_b, sm_b = b
    assert runs_a == runs_b
    assert [r[:3] for r in ts_a] == [r[:3] for r in ts_b]
    va = np.array([r[3] for r in ts_a], dtype=np.float64)
    vb = np.array([r[3] for r in ts_b], dtype=np.float64)
    assert va.tobytes() == vb.tobytes()
    assert [r[:2] for r in sm_a] == [r[:2] for r in sm_b]
    assert np.array([r[2] for r in sm_a]).tobytes() == np.array([r[2] for r in sm_b]).tobytes()


def cli(*args):
    """The govsim command line as a subprocess argument list."""
    return [sys.executable, "-m", "experiments.cli", *args]


def design_args(csv, store, *, replicates, seed, name):
    """A ``govsim design`` batch of the toy target on 2 workers."""
    return ["design", str(csv), "--store", str(store), "--target", TOY, "--replicates", str(replicates), "--seed",
            str(seed), "--horizon", "24", "--workers", "2", "--no-progress", "--name", name]
