"""Model speed and memory, measured against a reference in the same run.

1. Resident-steps per second of the full model at 100,000 residents, against a per-agent Mesa
   reference of the participation rule alone (residents as Mesa ``CellAgent``s on a
   ``discrete_space.Network`` built with ``layout=None``, stepped with ``shuffle_do("step")``),
   on the same kind of network. Goals: ≥ 5 M resident-steps/s and ≥ 40× the reference.
2. A 2,000-resident street (the defaults: 5 communities × 400), 120 months, set-up included,
   one core: goal ≤ 100 ms per run.
3. A city of ≥ 1,000,000 residents (300 communities), 120 months, in a fresh process:
   goals ≤ 60 s wall and ≤ 4 GB peak resident memory.

    .venv/bin/python benchmarks/bench_model.py [--quick] [--profile]
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


def reference_rate(n: int, steps: int) -> float:
    m = RefModel(n)
    t = time.perf_counter()
    for _ in range(steps):
        m.step()
    return n * steps / (time.perf_counter() - t)


def model_rate(n_res: int, months: int) -> tuple[float, int]:
    per = 2000
    m = GovernanceModel(rng=1, horizon=months, n_streets=n_res // (per * 10), communities_per_street=10,
                        residents_per_community=per)
    t = time.perf_counter()
    m.run_model()
    return m.n_residents * months / (time.perf_counter() - t), m.n_residents


def street_time(runs: int) -> float:
    simulate(seed=0, horizon=2)  # imports and first-call costs out of the way
    times = []
    for s in range(runs):
        t = time.perf_counter()
        simulate(seed=s, horizon=120)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def city_in_subprocess(months: int) -> dict:
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
t0 = time.perf_counter()
from model.run import simulate
r = simulate(dict(n_streets=30, communities_per_street=10, residents_per_community=3400, urban_share=0.5), seed=1, horizon={months})
wall = time.perf_counter() - t0
print(json.dumps(dict(wall=wall, residents=r.summary["n_residents"], maxrss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)))
"""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile_street() -> str:
    pr = cProfile.Profile()
    pr.enable()
    for s in range(5):
        simulate(seed=s, horizon=120)
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(12)
    return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not the goals)")
    ap.add_argument("--profile", action="store_true", help="print where a street run spends its time")
    args = ap.parse_args()
    ref_n, ref_steps = (2_000, 3) if args.quick else (10_000, 5)
    big_n, big_months = (20_000, 6) if args.quick else (100_000, 24)
    ref = reference_rate(ref_n, ref_steps)
    rate, n = model_rate(big_n, big_months)
    print(f"per-agent Mesa reference (participation rule only, {ref_n:,} residents): {ref:,.0f} resident-steps/s")
    print(f"full model, {n:,} residents, {big_months} months:        {rate:,.0f} resident-steps/s "
          f"= {rate / ref:.0f}x the reference   [goal >= 5,000,000 and >= 40x]")
    st = street_time(5 if args.quick else 20)
    print(f"2,000-resident street, 120 months, set-up included:   {st * 1000:.0f} ms per run (median)   [goal <= 100 ms]")
    if not args.quick:
        city = city_in_subprocess(120)
        print(f"city of {city['residents']:,.0f} residents, 300 communities, 120 months: {city['wall']:.1f} s wall, "
              f"{city['maxrss_gb']:.2f} GB peak   [goal <= 60 s, <= 4 GB]")
    if args.profile:
        print(profile_street())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
