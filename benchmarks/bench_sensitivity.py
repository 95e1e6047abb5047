"""Benchmark of a Sobol' sensitivity analysis of the model (outside the test suite).

The goal: 16 uncertain factors, N = 512 base rows with second-order indices
(512 × (2·16 + 2) = 17,408 runs) on the default 2,000-resident street over 120 months, with
the process executor on 2 cores, in ≤ 5 minutes, analysis included.

At ``--n 512`` the whole design runs and the time is measured. At a smaller ``--n`` the
design is run at that size and the full-size time is extrapolated from the measured
steady-state rate (runs after each worker's first, which fills caches) plus the measured
start-up, and from the measured analysis time scaled by the number of base rows. A single
in-process model run is timed in the same session as the reference, so the report shows the
parallel efficiency (rate ÷ (workers / single-run time)) next to the figure.

    .venv/bin/python benchmarks/bench_sensitivity.py --n 8          # ≈ 1 min on 2 free cores
    .venv/bin/python benchmarks/bench_sensitivity.py --n 512        # the full measurement
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FACTORS = [  # 16 uncertainties with declared SA ranges, spanning the submodels
    "fragmentation_loss", "donation_per_resident", "tasks_fixed", "task_hours", "info_saving", "need_hours",
    "radius_decay", "kappa_efficacy", "beta0", "beta_efficacy", "beta_network", "cost_youth",
    "outside_wage_rural", "gamma0", "gamma_wage", "gamma_burnout",
]
TARGET_N = 512
GOAL_S = 5 * 60


def steady_rate(store: Path, experiment_id: str) -> tuple[float, int]:
    """Runs/s summed over workers, each worker's first run excluded; and the number of runs."""
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        df = con.execute("SELECT worker, finished, duration_s FROM runs WHERE experiment_id = ? AND status = 'ok' "
                         "ORDER BY finished", [experiment_id]).df()
    rate = 0.0
    for _, g in df.groupby("worker"):
        if len(g) < 3:
            continue
        span = (g["finished"].iloc[-1] - g["finished"].iloc[0]).total_seconds()
        if span > 0:
            rate += (len(g) - 1) / span
    return rate, len(df)


def full_size_estimator_seconds(d: int, outputs: int, resamples: int = 100) -> float:
    """Time of the Sobol' estimator (S1, ST, S2 with bootstrap) at N = 512 on a synthetic
    output of the design's shape, times the number of outputs analysed."""
    import numpy as np
    from SALib.analyze import sobol

    prob = {"num_vars": d, "names": [f"f{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    y = np.random.default_rng(0).normal(size=TARGET_N * (2 * d + 2))
    t = time.perf_counter()
    sobol.analyze(prob, y, calc_second_order=True, num_resamples=resamples, seed=1)
    return (time.perf_counter() - t) * outputs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8, help=f"base rows to run (the goal is {TARGET_N})")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--horizon", type=int, default=120)
    ap.add_argument("--timeseries-every", type=int, default=1, help="store every k-th month (0: summaries only)")
    ap.add_argument("--executor", default="processes", choices=["processes", "dask", "inprocess"])
    ap.add_argument("--store", default=None, help="keep the store here (default: a temporary directory)")
    args = ap.parse_args(argv)

    from analysis import sensitivity as sai
    from experiments import sensitivity as sa
    from model.outputs import output_names
    from model.run import simulate

    d = len(FACTORS)
    runs_target = TARGET_N * (2 * d + 2)
    simulate(seed=0, horizon=args.horizon)  # warm caches once, as every worker's first run does
    t = time.perf_counter()
    simulate(seed=1, horizon=args.horizon)
    single = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(args.store) if args.store else Path(tmp) / "sa.duckdb"
        t0 = time.perf_counter()
        # the default 8 independent replicates need n >= 16; smaller runs use fewer (same cost per row)
        eid = sa.run(store, method="sobol", factors=FACTORS, n=args.n, seed=2026, horizon=args.horizon,
                     qmc_replicates=max(1, min(8, args.n // 2)), executor=args.executor, workers=args.workers,
                     timeseries_every=args.timeseries_every,
                     progress=True, name="bench-sobol", new=True)
        wall = time.perf_counter() - t0
        rate, runs = steady_rate(store, eid)
        t1 = time.perf_counter()
        sai.analyze(store, eid, outputs=output_names(key_only=True), periods=["summary"], num_resamples=100)
        analysis = time.perf_counter() - t1
        size_mb = store.stat().st_size / 1e6

    startup = max(wall - runs / rate, 0.0) if rate > 0 else 0.0
    scale = runs_target / runs
    runs_full = runs_target / rate if rate > 0 else float("nan")
    analysis_full = analysis if args.n == TARGET_N else full_size_estimator_seconds(d, len(output_names(key_only=True)))
    total = startup + runs_full + analysis_full
    ideal = args.workers / single
    print()
    print(f"Sobol' design: {d} factors, N = {args.n} (second order) → {runs} runs; goal N = {TARGET_N} → {runs_target} runs")
    print(f"reference: one in-process model run ({args.horizon} months, default street) = {single:.3f} s")
    print(f"measured : wall {wall:.1f} s, steady rate {rate:.2f} runs/s on {args.workers} workers "
          f"({rate / ideal:.0%} of {args.workers} × single-run rate), start-up ≈ {startup:.1f} s, "
          f"analysis {analysis:.1f} s, store {size_mb:.1f} MB")
    label = "measured" if args.n == TARGET_N else (f"runs extrapolated ×{scale:.0f} from N = {args.n}, "
                                                   "estimator timed on synthetic output of full size")
    print(f"N = {TARGET_N} ({label}): runs {runs_full / 60:.1f} min + analysis {analysis_full / 60:.1f} min "
          f"= {total / 60:.1f} min; goal ≤ {GOAL_S / 60:.0f} min → {total / GOAL_S:.2f}× the goal "
          f"({'met' if total <= GOAL_S else 'not met'})")
    print(f"ideal (perfect scaling at the reference single-run time): {runs_target * single / args.workers / 60:.1f} min "
          f"of runs; the goal needs ≤ {GOAL_S * args.workers / runs_target:.3f} s per run and worker")
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"machine load (1-min average) at the end: {load:.1f} on {os.cpu_count()} cores — other jobs slow every figure")
    print(f"store at N = {TARGET_N} ≈ {size_mb * scale / 1e3:.1f} GB with timeseries_every={args.timeseries_every}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
