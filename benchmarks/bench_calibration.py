"""Benchmark of the default calibration (outside the test suite).

The goal: `govsim calibrate` on the project's targets table (100 particles, 8 generations,
one replicate, then 100 + 100 predictive draws in every target's world) in ≤ 30 minutes on 2
cores with the process executor.

The calibration is run in a scratch store at the given size and timed; in the same session one
parameter set is evaluated in-process in every calibration world, and in every target's world
(a predictive draw): the references. The report shows the wall time, the proposals run, the
model time they take at the reference speed on 2 cores, the ratio of the two (the engine's and
pyabc's overhead and the idle tail of batches) and the wall time against the goal. A smaller
size (``--generations``, ``--particles``, ``--draws``) measures the same ratio on fewer
proposals.

    .venv/bin/python benchmarks/bench_calibration.py --particles 20 --generations 2 --draws 0   # ≈ 2 min
    .venv/bin/python benchmarks/bench_calibration.py                                          # the goal
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GOAL_S = 30 * 60


def proposal_seconds(role: str | None = "calibration", repeats: int = 3) -> float:
    """Seconds one parameter set (the defaults) takes in the worlds of the targets of ``role``
    (``None``: every target), in-process (median of ``repeats``)."""
    import statistics

    from experiments.targets import load_targets, measure_world, worlds

    ts = load_targets(None)
    ws = worlds(ts.of_role(role) if role else ts.targets)
    measure_world({"world": ws[0].spec()}, seed=1)  # load the compiled functions
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        for w in ws:
            measure_world({"world": w.spec()}, seed=100 + r)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=100)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--draws", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    import duckdb

    from experiments.calibration import calibrate

    ref, ref_draw = proposal_seconds("calibration"), proposal_seconds(None)
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        eid = calibrate(store, particles=a.particles, generations=a.generations, predictive_draws=a.draws,
                        workers=a.workers, progress=False, say=lambda m: print(m, flush=True))
        wall = time.perf_counter() - t0
        with duckdb.connect(store, read_only=True) as con:
            proposals, sims = con.execute("SELECT sum(proposals), sum(simulations) FROM calibration_generations "
                                          "WHERE experiment_id = ?", [eid]).fetchone()
            runs = con.execute("SELECT count(*) FROM runs WHERE experiment_id = ?", [eid]).fetchone()[0]
    predictive = 2 * a.draws  # posterior and prior draws, each in every target's world
    model = (proposals * ref + predictive * ref_draw) / a.workers
    print(f"references (in-process): a proposal in the calibration worlds {ref:.3f} s, a predictive draw in every "
          f"target's world {ref_draw:.3f} s")
    print(f"calibration: {a.particles} particles × {a.generations} generations, {proposals} proposals run "
          f"({sims} evaluated by pyabc), {predictive} predictive draws, {runs} model runs")
    print(f"wall time {wall:.0f} s; the model alone at the reference speed on {a.workers} cores: {model:.0f} s; "
          f"ratio {wall / model:.2f}")
    print(f"goal: ≤ {GOAL_S} s for the default calibration; this run: {wall / GOAL_S:.0%} of it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
