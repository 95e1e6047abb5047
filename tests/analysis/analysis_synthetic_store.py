"""A small synthetic results store (built once per session by conftest.py) with DuckDB following the schema in
docs/ARCHITECTURE.md: 3 scenarios × 6 replicates × 25 months, with a replicate effect shared
across scenarios (common random numbers) and one failed run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SCHEMA = """
CREATE TABLE experiments(experiment_id VARCHAR PRIMARY KEY, name VARCHAR, kind VARCHAR, target VARCHAR,
  created TIMESTAMP, seed UBIGINT, horizon INTEGER, spec JSON, manifest JSON, status VARCHAR);
CREATE TABLE runs(experiment_id VARCHAR, run_id VARCHAR, scenario VARCHAR, design_point INTEGER,
  replicate INTEGER, seed UBIGINT, params JSON, schedule JSON, status VARCHAR, attempts INTEGER,
  started TIMESTAMP, finished TIMESTAMP, duration_s DOUBLE, worker VARCHAR, error VARCHAR,
  PRIMARY KEY (experiment_id, run_id));
CREATE TABLE timeseries(experiment_id VARCHAR, run_id VARCHAR, month INTEGER, output VARCHAR, value DOUBLE);
CREATE TABLE summaries(experiment_id VARCHAR, run_id VARCHAR, output VARCHAR, value DOUBLE);
CREATE TABLE scenarios(experiment_id VARCHAR, scenario VARCHAR, description VARCHAR, source_file VARCHAR,
  sha256 VARCHAR, params JSON, schedule JSON, title VARCHAR);
CREATE TABLE outputs(experiment_id VARCHAR, output VARCHAR, label VARCHAR, unit VARCHAR, meaning VARCHAR,
  direction VARCHAR, min_change DOUBLE, relative BOOLEAN, summary VARCHAR, key BOOLEAN, cost BOOLEAN, target DOUBLE);
CREATE TABLE design(experiment_id VARCHAR, design_point INTEGER, factor VARCHAR, value DOUBLE, label VARCHAR);
CREATE TABLE sensitivity_indices(experiment_id VARCHAR, analysis_id VARCHAR, method VARCHAR, output VARCHAR,
  statistic VARCHAR, period VARCHAR, factor VARCHAR, factor2 VARCHAR, n INTEGER, value DOUBLE, conf DOUBLE,
  created TIMESTAMP);
"""

# output -> (baseline level, per-scenario shift, replicate sd, noise sd)
OUTPUTS = {
    "participation_rate": (0.30, {"pay_reform": 0.02, "deadmin": 0.06}, 0.03, 0.005),
    "participation_youth": (0.15, {"pay_reform": 0.01, "deadmin": 0.05}, 0.03, 0.005),
    "participation_middle": (0.30, {"pay_reform": 0.02, "deadmin": 0.05}, 0.03, 0.005),
    "participation_elderly": (0.50, {"pay_reform": 0.00, "deadmin": 0.04}, 0.03, 0.005),
    "satisfied_share": (0.80, {"pay_reform": 0.03, "deadmin": 0.08}, 0.02, 0.005),
    "efficacy_mean": (0.40, {"pay_reform": 0.01, "deadmin": 0.05}, 0.02, 0.005),
    "turnover_annual": (0.25, {"pay_reform": -0.10, "deadmin": -0.04}, 0.03, 0.005),
    "vacancy_rate": (0.12, {"pay_reform": -0.06, "deadmin": -0.02}, 0.02, 0.005),
    "admin_share": (0.60, {"pay_reform": 0.00, "deadmin": -0.25}, 0.02, 0.005),
    "service_coverage": (0.55, {"pay_reform": 0.03, "deadmin": 0.08}, 0.02, 0.005),
    "wage_bill": (400000.0, {"pay_reform": 120000.0, "deadmin": 10000.0}, 8000.0, 2000.0),
    "spending_per_resident": (20.0, {"pay_reform": 6.0, "deadmin": 1.0}, 0.8, 0.2),
    "mystery_metric": (1.0, {"pay_reform": 0.0, "deadmin": 0.0}, 0.1, 0.01),
}
SCENARIOS = ["baseline", "pay_reform", "deadmin"]
TITLES = {"baseline": "Before the reforms", "pay_reform": "Pay reform"}  # deadmin has no title
REPLICATES = 6
HORIZON = 24
EXP = "exp-compare-001"
OLD_EXP = "exp-old-000"


def _insert(con, table: str, rows: list[tuple], columns: list[str]) -> None:
    """Bulk insert through a DataFrame (row-by-row executemany is slow in DuckDB)."""
    frame = pd.DataFrame(rows, columns=columns).astype(object)  # noqa: F841  (read by DuckDB by name)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")


def _seed(r: int) -> int:
    return 1000 + 17 * r


def build_store(path: Path, *, with_network: bool = True, with_sensitivity: bool = True,
                with_declarations: bool = True) -> Path:
    rng = np.random.default_rng(7)
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    t0 = datetime(2026, 11, 1, 12, 0, 0)
    spec = {"scenarios": SCENARIOS, "replicates": REPLICATES, "horizon": HORIZON}
    manifest = {
        "versions": {"python": "3.13.0", "numpy": "2.5", "mesa": "3.5.0", "govsim": "0.1.0"},
        "git_commit": "abc1234", "executor": "serial", "seed_tree": {"root": 42},
        "start": t0.isoformat(), "end": (t0 + timedelta(minutes=3)).isoformat(),
    }
    con.execute("INSERT INTO experiments VALUES (?,?,?,?,?,?,?,?,?,?)",
                [OLD_EXP, "old", "batch", "model.run:simulate", t0 - timedelta(days=3), 1, HORIZON,
                 json.dumps({}), json.dumps({}), "done"])
    con.execute("INSERT INTO experiments VALUES (?,?,?,?,?,?,?,?,?,?)",
                [EXP, "reform comparison", "compare", "model.run:simulate", t0, 42, HORIZON,
                 json.dumps(spec), json.dumps(manifest), "done"])
    params = {"baseline": {}, "pay_reform": {"pay_director": 2500, "pay_member": 1400},
              "deadmin": {"admin_task_rate": 0.5, "pay_member": 1000}}
    for s in SCENARIOS:
        con.execute("INSERT INTO scenarios VALUES (?,?,?,?,?,?,?,?)",
                    [EXP, s, f"{s} package", f"scenarios/{s}.toml", "0" * 64, json.dumps(params[s]),
                     json.dumps([] if s == "baseline" else [[3, "pay_member", 1000]]), TITLES.get(s)])
    if with_declarations:  # the model's declarations, as the engine stores them; mystery_metric has none
        from model.outputs import output_metadata

        rows = [(EXP, o["name"], o["label"], o["unit"], o["meaning"], o["direction"], o["min_change"],
                 o["relative"], o["summary"], o["key"], o["cost"], o["target"])
                for o in output_metadata() if o["name"] in OUTPUTS]
        _insert(con, "outputs", rows, ["experiment_id", "output", "label", "unit", "meaning", "direction",
                                       "min_change", "relative", "summary", "key", "cost", "target"])
    rep_eff = {o: rng.normal(0, spec_[2], REPLICATES) for o, spec_ in OUTPUTS.items()}
    ts_rows, sm_rows = [], []
    months = np.arange(HORIZON + 1)
    for s in SCENARIOS:
        for r in range(REPLICATES):
            run_id = f"{s}-r{r}"
            failed = s == "deadmin" and r == REPLICATES - 1
            con.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [EXP, run_id, s, 0, r, _seed(r), json.dumps(params[s]), json.dumps([]),
                         "failed" if failed else "ok", 1, t0, t0 + timedelta(seconds=5), 5.0 + r,
                         "w0", "ValueError: boom" if failed else None])
            if failed:
                continue
            for o, (lvl, shift, _, noise) in OUTPUTS.items():
                end = lvl + shift.get(s, 0.0) + rep_eff[o][r]
                ramp = lvl + (end - lvl) * (1 - np.exp(-months / 6.0))
                series = ramp + rng.normal(0, noise, months.size)
                ts_rows += [(EXP, run_id, int(m), o, float(v)) for m, v in zip(months, series, strict=True)]
                sm_rows.append((EXP, run_id, o, float(series[-12:].mean())))
    _insert(con, "timeseries", ts_rows, ["experiment_id", "run_id", "month", "output", "value"])
    _insert(con, "summaries", sm_rows, ["experiment_id", "run_id", "output", "value"])
    if with_sensitivity:
        _insert_sensitivity(con)
    if with_network:
        _insert_network(con)
    con.close()
    return path


FACTORS = ["pay_level", "admin_task_rate", "grid_size", "so_funding"]


def _insert_sensitivity(con) -> None:
    created = datetime(2026, 11, 2)
    rows = []
    s1 = {"pay_level": 0.45, "admin_task_rate": 0.30, "grid_size": 0.02, "so_funding": 0.10}
    st = {"pay_level": 0.55, "admin_task_rate": 0.42, "grid_size": 0.04, "so_funding": 0.12}
    for out in ("participation_rate", "turnover_annual"):
        for n in (64, 128, 256, 512):
            c = 0.6 / np.sqrt(n)
            for f in FACTORS:
                rows.append((EXP, "sobol-1", "sobol", out, "S1", "summary", f, None, n, s1[f] + c * 0.3, c))
                rows.append((EXP, "sobol-1", "sobol", out, "ST", "summary", f, None, n, st[f] + c * 0.2, c))
            if n == 512:
                for i, f in enumerate(FACTORS):
                    for g in FACTORS[i + 1:]:
                        v = 0.08 if {f, g} == {"pay_level", "admin_task_rate"} else 0.005
                        rows.append((EXP, "sobol-1", "sobol", out, "S2", "summary", f, g, n, v, 0.02))
        for year in (1, 2):
            for f in FACTORS:
                rows.append((EXP, "sobol-1", "sobol", out, "S1", f"year_{year}", f, None, 512, s1[f] * year / 2, 0.03))
                rows.append((EXP, "sobol-1", "sobol", out, "ST", f"year_{year}", f, None, 512, st[f] * year / 2, 0.03))
        for f in FACTORS:
            rows.append((EXP, "morris-1", "morris", out, "mu_star", "summary", f, None, 40, st[f], 0.05))
            rows.append((EXP, "morris-1", "morris", out, "sigma", "summary", f, None, 40, st[f] * 0.6, None))
    _insert(con, "sensitivity_indices", [r + (created,) for r in rows],
            ["experiment_id", "analysis_id", "method", "output", "statistic", "period", "factor", "factor2", "n",
             "value", "conf", "created"])


def _insert_network(con) -> None:
    from analysis import network

    con.execute(network.SNAPSHOT_DDL)
    rng = np.random.default_rng(3)
    snap, edges = [], []
    for s in SCENARIOS:
        run_id = f"{s}-r0"
        snap.append((EXP, run_id, None, "street", "street_office", None, None, None, None))
        for c in range(3):
            cn = f"c{c}"
            snap.append((EXP, run_id, c, cn, "community", None, None, None, None))
            edges.append((EXP, run_id, "street", cn, "hierarchy"))
            snap.append((EXP, run_id, c, f"cadre{c}", "cadre", None, None, None, None))
            edges.append((EXP, run_id, cn, f"cadre{c}", "hierarchy"))
            so = f"so{c}"
            snap.append((EXP, run_id, c, so, "social_org", None, None, None, None))
            edges.append((EXP, run_id, so, cn, "service"))
            for g in range(3):
                gn, gw = f"c{c}g{g}", f"gw{c}_{g}"
                snap.append((EXP, run_id, c, gn, "grid", g, None, None, None))
                snap.append((EXP, run_id, c, gw, "grid_worker", g, None, None, None))
                edges.append((EXP, run_id, cn, gn, "hierarchy"))
                edges.append((EXP, run_id, gn, gw, "hierarchy"))
                res = [f"r{c}_{g}_{i}" for i in range(12)]
                for i, rn in enumerate(res):
                    snap.append((EXP, run_id, c, rn, "resident", g, bool(rng.random() < 0.35), None, None))
                    edges.append((EXP, run_id, gw, rn, "service"))
                    edges.append((EXP, run_id, rn, res[(i + 1) % len(res)], "social"))
                    if rng.random() < 0.2:
                        edges.append((EXP, run_id, rn, so, "service"))
    _insert(con, "network_snapshot", snap,
            ["experiment_id", "run_id", "community", "node", "kind", "grid", "participated", "x", "y"])
    _insert(con, "network_edges", edges, ["experiment_id", "run_id", "source", "target", "kind"])
