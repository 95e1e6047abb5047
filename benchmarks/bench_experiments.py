"""Benchmarks of the experiment engine (outside the test suite; ratios measured in one run).

1. runs/s, processes executor, 2 workers vs 1 worker        goal: ≥ 1.8×
2. runs/s, Dask LocalCluster (2 workers) vs processes (2)    goal: within 10 %
3. peak memory (parent + all worker RSS) of a long batch      goal: ≤ 1 GB for 20,000 runs
4. write throughput of a batch that opens the store only to commit (so other processes can
   read it meanwhile) vs one that holds it open throughout     goal: within 10 %

Runs/s are steady-state rates from the store's run timings: for each worker, its runs after
the first one over the time between its first and last finish, summed over workers; pool
start-up and each process's first (slow, cache-filling) model run are excluded. The
wall-clock rate, start-up included, is printed too. The table also gives the mean seconds
inside one model run and the workers' busy share (time inside runs / time alive): if busy
stays near 100 % while s/run grows with more workers, the cores are shared with other work.
Sizes: ``--size small`` (default; proves the script works in about a minute) and
``--size full`` (the figures to report: the model's default 2,000-resident street for 120
months, and a 20,000-run batch of the seeded stand-in target for the memory figure).

    .venv/bin/python benchmarks/bench_experiments.py --size full
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "experiments"))  # the seeded stand-in target

SIZES = {
    # model runs per throughput measurement, model horizon, memory-batch runs, memory-batch horizon
    "small": dict(model_runs=8, model_horizon=24, mem_runs=1000, mem_horizon=120, commit_runs=3000),
    "full": dict(model_runs=40, model_horizon=120, mem_runs=20_000, mem_horizon=120, commit_runs=20_000),
}


class PeakRSS:
    """Samples the RSS of this process and all its descendants; keeps the peak of the sum."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self.proc = psutil.Process()
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for p in [self.proc, *self.proc.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join()


def timed_batch(tmp: Path, tag: str, *, executor: str, workers: int, runs: int, horizon: int,
                target: str = "model.run:simulate", timeseries_every: int = 1, hold: bool = False) -> dict[str, float]:
    from experiments.engine import run_design
    from experiments.store import open_store

    store = tmp / f"{tag}.duckdb"
    design = pd.DataFrame({"beta0": [-3.2] * runs}) if target.startswith("model") else pd.DataFrame(
        {"a": [i / runs for i in range(runs)]})
    t0 = time.perf_counter()
    # a path: the engine opens the store only to commit; an open Store (hold): kept open throughout
    held = open_store(store) if hold else None
    try:
        eid = run_design(held or store, name=tag, design=design, seed=1, horizon=horizon, target=target,
                         executor=executor, workers=workers, progress=False, timeseries_every=timeseries_every,
                         crn=False)
    finally:
        if held is not None:
            held.close()
    wall = time.perf_counter() - t0
    with open_store(store, read_only=True) as st:
        n, failed = st.con.execute("SELECT count(*), count(*) FILTER (WHERE status <> 'ok') FROM runs "
                                   "WHERE experiment_id = ?", [eid]).fetchone()
        # steady state: per worker, the runs after its first one over the time they took
        per_worker = st.con.execute(
            "SELECT count(*) - 1, epoch(max(finished)) - epoch(min(finished)) FROM runs "
            "WHERE experiment_id = ? GROUP BY worker HAVING count(*) > 1", [eid]).fetchall()
        # share of each worker's time spent inside model runs (1.0 = never waiting for the engine)
        busy, run_s = st.con.execute(
            "SELECT avg(b), avg(d) FROM (SELECT sum(duration_s) / (epoch(max(finished)) - epoch(min(started))) AS b, "
            "avg(duration_s) AS d FROM runs WHERE experiment_id = ? GROUP BY worker)", [eid]).fetchone()
        error = st.con.execute("SELECT any_value(error) FROM runs WHERE experiment_id = ? AND status <> 'ok'",
                               [eid]).fetchone()[0]
    if failed:
        raise RuntimeError(f"{tag}: {failed} runs failed, e.g.\n{error}")
    rate = sum(k / t for k, t in per_worker if t > 0)
    return {"runs": n, "rate": rate, "wall_rate": n / wall, "wall": wall, "busy": busy, "run_s": run_s}


def model_and_memory(tmp: Path, cfg: dict, kw: dict, *, skip_memory: bool) -> None:
    """Measurements 1-3."""
    p1 = timed_batch(tmp, "proc1", executor="processes", workers=1, **kw)
    p2 = timed_batch(tmp, "proc2", executor="processes", workers=2, **kw)
    dk = timed_batch(tmp, "dask2", executor="dask", workers=2, **kw)
    rows = [("processes, 1 worker", p1), ("processes, 2 workers", p2), ("dask LocalCluster, 2 workers", dk)]
    print(f"\nmodel defaults (1 street × 5 communities × 400 residents), horizon {kw['horizon']}, "
          f"{kw['runs']} runs each")
    print(f"{'executor':32s} {'runs/s':>8s} {'wall runs/s':>12s} {'wall s':>8s} {'s/run':>7s} {'busy':>6s}")
    for name, r in rows:
        print(f"{name:32s} {r['rate']:8.2f} {r['wall_rate']:12.2f} {r['wall']:8.1f} {r['run_s']:7.3f} "
              f"{r['busy']:6.1%}")
    print("(s/run: mean time inside one model run; busy: share of worker time inside runs — near 100 % "
          "means the engine keeps workers fed and a low speed-up comes from CPU contention)")
    s = p2["rate"] / p1["rate"]
    dd = dk["rate"] / p2["rate"] - 1
    print(f"\nspeed-up processes 2 vs 1 workers: {s:.2f}×   (goal ≥ 1.8×: {'met' if s >= 1.8 else 'NOT met'})")
    print(f"dask vs processes (2 workers):     {dd:+.1%}   (goal within ±10 %: "
          f"{'met' if abs(dd) <= 0.10 else 'NOT met'})")
    if not skip_memory:
        n, h = cfg["mem_runs"], cfg["mem_horizon"]
        with PeakRSS() as mem:
            r = timed_batch(tmp, "memory", executor="processes", workers=2, runs=n, horizon=h,
                            target="govsim_toy:simulate")
        gb = mem.peak / 2**30
        print(f"\nmemory: {n} runs of the stand-in target (3 outputs, horizon {h}, full time series) "
              f"with 2 worker processes: peak RSS parent + workers = {mem.peak / 2**20:.0f} MiB "
              f"({r['rate']:.0f} runs/s)   (goal ≤ 1 GB: {'met' if gb <= 1 else 'NOT met'})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=SIZES, default="small")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--only-commits", action="store_true", help="only measurement 4 (store opened per commit)")
    a = ap.parse_args(argv)
    cfg = SIZES[a.size]
    import os

    print(f"bench_experiments --size {a.size}: {cfg}")
    print(f"cores usable: {len(os.sched_getaffinity(0))}; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (other processes distort the ratios)")
    with tempfile.TemporaryDirectory(prefix="govsim-bench-") as d:
        tmp = Path(d)
        kw = dict(runs=cfg["model_runs"], horizon=cfg["model_horizon"])
        # warm the import caches once so the first measurement is not penalised
        timed_batch(tmp, "warm", executor="inprocess", workers=1, runs=1, horizon=2)
        if not a.only_commits:
            model_and_memory(tmp, cfg, kw, skip_memory=a.skip_memory)
        n = cfg["commit_runs"]
        walls = {True: [], False: []}
        for _ in range(5):  # alternate, so drifts in machine speed hit both alike
            for hold in (False, True):
                walls[hold].append(timed_batch(tmp, f"commit-{hold}-{len(walls[hold])}", executor="processes",
                                               workers=2, runs=n, horizon=120, target="govsim_toy:simulate",
                                               hold=hold)["wall"])
        t_open, t_held = sorted(walls[False])[2], sorted(walls[True])[2]
        ratio = (n / t_open) / (n / t_held)
        print(f"\ncommits: {n} runs of the stand-in target (write-bound), 2 workers, median of 5 alternating: "
              f"store opened per commit {n / t_open:.0f} runs/s, held open {n / t_held:.0f} runs/s: "
              f"{ratio:.1%} of the held rate   (goal ≥ 90 %: {'met' if ratio >= 0.9 else 'NOT met'})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
