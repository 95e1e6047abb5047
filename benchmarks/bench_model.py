"""Model speed and memory, each against a reference measured in the same run.

1. Street: the default street (5 communities, about 2,000 residents), 120 months after the
   60-month burn-in, set-up included, one core. Goal: median ≤ 20 ms a run. The machine
   reference is the time NumPy takes to draw 10 million uniforms, so the ratio travels
   between machines.
2. Throughput of the full model at 100,000 residents against a per-agent Mesa reference of the
   participation rule alone (residents as Mesa ``CellAgent``s on a ``discrete_space.Network``
   built with ``layout=None``, stepped with ``shuffle_do``) on the same kind of network.
   Goals: ≥ 20 M resident-steps/s and ≥ 150× the reference.
3. City: 1,000,000 residents in 300 communities, 120 months, in a fresh process. Goals:
   ≤ 10 s wall for the run and ≤ 1 GB peak resident memory (imports and loading the compiled
   processes from the cache are reported apart).
4. Compilation: the first run in a fresh process with an empty compilation cache against one
   with the cache filled (what every run and every worker process pays after the first).

Each measurement is repeated (``--repeats``) and reported as its range.

    .venv/bin/python benchmarks/bench_model.py [--quick] [--repeats 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from mesa.discrete_space import CellAgent, Network  # noqa: E402

from model.model import GovernanceModel  # noqa: E402
from model.parameters import defaults  # noqa: E402
from model.run import simulate  # noqa: E402

P = defaults()
CITY = dict(n_streets=30, communities_per_street=10, residents_per_community=3400, urban_share=0.5)
ONE_CORE = dict(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1", MKL_NUM_THREADS="1")


class RefResident(CellAgent):
    """Per-agent participation rule (the reference): looks at its network neighbours."""

    def __init__(self, model, cell, age_cost, efficacy, trust, stake):
        super().__init__(model)
        self.cell = cell
        self.age_cost, self.efficacy, self.trust, self.stake = age_cost, efficacy, trust, stake
        self.took_part = False
        self.next = False

    def step(self):
        neigh = [a for c in self.cell.connections.values() for a in c.agents]
        share = sum(a.took_part for a in neigh) / len(neigh) if neigh else 0.0
        x = (P["beta0"] + P["beta_efficacy"] * self.efficacy + P["beta_trust"] * self.trust
             + P["beta_stake"] * self.stake + P["beta_network"] * share - self.age_cost)
        self.next = self.model.random.random() < 1.0 / (1.0 + math.exp(-x))

    def advance(self):
        self.took_part = self.next


class RefModel(mesa.Model):
    def __init__(self, n, seed=1):
        super().__init__(rng=seed)
        G = nx.watts_strogatz_graph(n, P["social_degree"], P["tie_rewire"], seed=seed)
        self.space = Network(G, layout=None, random=self.random)
        rng = np.random.default_rng(seed)
        costs = np.asarray([P["cost_youth"], P["cost_middle"], P["cost_elderly"]])
        for node, cell in self.space._cells.items():
            RefResident(self, cell, costs[rng.integers(3)], rng.random(), rng.random(), rng.random())

    def step(self):
        self.agents.shuffle_do("step")
        self.agents.do("advance")


def machine_reference() -> float:
    """Seconds NumPy takes to draw 10 million double-precision uniforms (best of 5)."""
    rng = np.random.default_rng(0)
    best = math.inf
    for _ in range(5):
        t = time.perf_counter()
        rng.random(10_000_000)
        best = min(best, time.perf_counter() - t)
    return best


def reference_rate(n: int, steps: int) -> float:
    m = RefModel(n)
    t = time.perf_counter()
    for _ in range(steps):
        m.step()
    return n * steps / (time.perf_counter() - t)


def model_rate(n_res: int, months: int) -> tuple[float, int]:
    """Resident-months per second of ``advance`` (what every batch run does) after set-up."""
    per = 2000
    m = GovernanceModel(rng=1, horizon=months, agent_data=False, n_streets=max(1, n_res // (per * 10)),
                        communities_per_street=10, residents_per_community=per)
    t = time.perf_counter()
    m.advance()
    return m.n_residents * months / (time.perf_counter() - t), m.n_residents


def street_times(runs: int) -> tuple[float, float]:
    """Median seconds of a default street run (seeds 0 … runs − 1), set-up included, in a
    fresh process limited to one thread; and the mean residents at the start."""
    out = fresh_process(f"""
import json, sys, time
import numpy as np
sys.path.insert(0, {str(ROOT)!r})
from model.model import GovernanceModel
from model.run import simulate
simulate(seed=0, horizon=2)  # imports and first-call costs out of the way
times = []
for s in range({runs}):
    t = time.perf_counter()
    simulate(seed=s, horizon=120)
    times.append(time.perf_counter() - t)
size = [GovernanceModel(rng=s, horizon=1, burn_in=0).n_residents for s in range({runs})]
print(json.dumps(dict(median=float(np.median(times)), residents=float(np.mean(size)))))
""")
    return out["median"], out["residents"]


def fresh_process(code: str, env: dict[str, str] | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, **ONE_CORE, **(env or {})))
    return json.loads(out.stdout.strip().splitlines()[-1])


def city(months: int) -> dict:
    return fresh_process(f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
t0 = time.perf_counter()
from model.run import simulate
simulate(seed=0, horizon=1, params=dict(n_streets=1, communities_per_street=1, residents_per_community=50, burn_in=1))
t1 = time.perf_counter()
from model.model import GovernanceModel
m = GovernanceModel(rng=1, horizon={months}, agent_data=False, **{CITY!r})
n = m.n_residents
m.advance()
t2 = time.perf_counter()
print(json.dumps(dict(load=t1 - t0, run=t2 - t1, residents=n,
                      maxrss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)))
""")


def first_run(cache_dir: str) -> dict:
    return fresh_process(f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
t0 = time.perf_counter()
from model.run import simulate
simulate(seed=0, horizon=120)
t1 = time.perf_counter()
simulate(seed=1, horizon=120)
print(json.dumps(dict(first=t1 - t0, second=time.perf_counter() - t1)))
""", env={"NUMBA_CACHE_DIR": cache_dir})


def profile_street() -> str:
    pr = cProfile.Profile()
    pr.enable()
    for s in range(5):
        simulate(seed=s, horizon=120)
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(12)
    return buf.getvalue()


def span(xs: list[float], fmt: str) -> str:
    lo, hi = min(xs), max(xs)
    return format(lo, fmt) if format(lo, fmt) == format(hi, fmt) else f"{format(lo, fmt)}–{format(hi, fmt)}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not the goals)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of every measurement (ranges are reported)")
    ap.add_argument("--profile", action="store_true", help="print where a street run spends its time")
    args = ap.parse_args()
    R = max(1, args.repeats)
    ref_n, ref_steps = (2_000, 3) if args.quick else (10_000, 5)
    big_n, big_months = (20_000, 6) if args.quick else (100_000, 24)
    street_runs = 5 if args.quick else 30
    try:
        print(f"machine load (1-min average) at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    except OSError:
        pass

    machine = [machine_reference() for _ in range(R)]
    print(f"machine reference: NumPy draws 10 M uniforms in {span([m * 1e3 for m in machine], '.1f')} ms")
    street = [street_times(street_runs) for _ in range(R)]
    ms = [s[0] * 1e3 for s in street]
    ratio = [s[0] / m for s, m in zip(street, machine, strict=True)]
    print(f"street ({street[0][1]:,.0f} residents on average), 120 months, set-up included: median "
          f"{span(ms, '.1f')} ms a run over {street_runs} runs, {R} repeats = {span(ratio, '.2f')}x the machine "
          f"reference   [goal <= 20 ms]")

    refs = [reference_rate(ref_n, ref_steps) for _ in range(R)]
    rates = [model_rate(big_n, big_months) for _ in range(R)]
    n = rates[0][1]
    print(f"per-agent Mesa reference (participation rule only, {ref_n:,} residents): {span(refs, ',.0f')} "
          f"resident-steps/s")
    speed = [r[0] / 1e6 for r in rates]
    times = [r[0] / f for r, f in zip(rates, refs, strict=True)]
    print(f"full model, {n:,} residents, {big_months} months: {span(speed, '.1f')} M resident-steps/s = "
          f"{span(times, '.0f')}x the reference   [goal >= 20 M/s and >= 150x]")

    with tempfile.TemporaryDirectory() as cache:
        cold = first_run(cache)
        warm = [first_run(cache) for _ in range(R)]
    print(f"fresh process, first street run: {cold['first']:.1f} s with an empty compilation cache "
          f"(second run {cold['second'] * 1e3:.0f} ms); {span([w['first'] for w in warm], '.2f')} s with the cache "
          f"filled (imports included; second run {span([w['second'] * 1e3 for w in warm], '.0f')} ms)")

    if not args.quick:
        cities = [city(120) for _ in range(R)]
        print(f"city of {cities[0]['residents']:,} residents, 300 communities, 120 months: run "
              f"{span([c['run'] for c in cities], '.1f')} s wall (plus {span([c['load'] for c in cities], '.1f')} s "
              f"imports and cache loading), {span([c['maxrss_gb'] for c in cities], '.2f')} GB peak   "
              f"[goal <= 10 s, <= 1 GB]")
    if args.profile:
        print(profile_street())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
