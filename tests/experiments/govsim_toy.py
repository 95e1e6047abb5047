"""A seeded stand-in for ``model.run.simulate`` (same signature), used by the engine tests.

Parameters (all optional): ``a``, ``b`` numbers that shift the series; ``policy`` a
categorical level; ``fail`` (raise ValueError), ``fail_unless`` (a path: raise ValueError while
it does not exist), ``die`` (the process exits abruptly, as if killed), ``die_once`` (a
marker-file path: die the first time only) and ``delay`` (seconds to sleep). Env var ``GOVSIM_TOY_LOG``: a file that gets one
line per finished run (lets a test wait until a batch is under way).

``declared`` is the same target declaring its outputs (as ``model.run.simulate`` does): the
engine writes the declarations into the store with each experiment.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

OUTPUTS = ("participation_rate", "vacancy_rate", "service_coverage")


@dataclass
class ToyResult:
    timeseries: dict
    summary: dict


def simulate(params=None, *, seed: int, horizon: int = 120, schedule=(), snapshot: bool = False):
    p = {"a": 0.0, "b": 1.0, "policy": "project", "fail": False, "die": False, "delay": 0.0, **(params or {})}
    if p["fail"]:
        raise ValueError(f"toy failure requested (seed {seed})")
    if p.get("fail_unless") and not os.path.exists(p["fail_unless"]):
        raise ValueError(f"toy failure until {p['fail_unless']} exists")
    if p["die"]:
        os._exit(13)
    if p.get("die_once") and not os.path.exists(p["die_once"]):
        open(p["die_once"], "w").close()
        os._exit(14)
    if p["delay"]:
        time.sleep(float(p["delay"]))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    months = np.arange(horizon + 1)
    level = np.full(horizon + 1, float(p["a"]))
    for change in sorted(schedule, key=lambda c: c[0]):
        month, name, value = change
        if name == "a":
            level[months >= month] = float(value)
    shift = {"project": 0.0, "stable": 0.5, "reward": 1.0}.get(p["policy"], 0.0)
    ts = {"month": months}
    for k, name in enumerate(OUTPUTS):
        noise = rng.normal(0.0, 1.0, size=horizon + 1)
        ts[name] = level * (k + 1) + float(p["b"]) * noise + shift
    summary = {name: float(np.mean(ts[name][-12:])) for name in OUTPUTS}
    log = os.environ.get("GOVSIM_TOY_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(f"{seed}\n")
    result = ToyResult(ts, summary)
    if snapshot:  # a three-node network in the store's node/edge form
        import pandas as pd

        nodes = pd.DataFrame({"community": [0, 0, None], "node": ["r0", "r1", "street:0"],
                              "kind": ["resident", "resident", "street_office"], "grid": [0, 0, None],
                              "participated": [True, False, None]})
        edges = pd.DataFrame({"source": ["r0"], "target": ["r1"], "kind": ["social"]})
        result.network = (nodes, edges)
    return result


def declared(params=None, *, seed: int, horizon: int = 120, schedule=(), snapshot: bool = False):
    return simulate(params, seed=seed, horizon=horizon, schedule=schedule, snapshot=snapshot)


DIRECTIONS = {"participation_rate": "higher", "vacancy_rate": "lower", "service_coverage": "none"}
declared.output_metadata = lambda: [{"name": n, "label": n.replace("_", " ").capitalize(), "unit": "share",
                                     "direction": DIRECTIONS[n], "min_change": 0.01} for n in OUTPUTS]
