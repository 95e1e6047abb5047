"""govsim discover and govsim export --wide from a store, the errors they give, and that they
work on a copied store where the model cannot be imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis.discovery import discover, load_cases
from analysis.export import export_wide, wide_table
from analysis.objectives import parse_condition
from analysis.store import EmptyResultError
from experiments.engine import run_design

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def design_store(tmp_path_factory):
    rng = np.random.default_rng(0)
    design = pd.DataFrame({"x1": rng.uniform(0, 1, 300), "x2": rng.uniform(0, 1, 300), "x3": rng.uniform(0, 1, 300),
                           "region": rng.choice(["east", "north", "south", "west"], 300)})
    store = tmp_path_factory.mktemp("disc") / "d.duckdb"
    eid = run_design(store, name="planted", design=design, seed=1, horizon=1, replicates=2,
                     target="experiments.analytic:planted_box", executor="inprocess", progress=False)
    return store, eid


def test_discover_cli_writes_tables_and_figures(design_store, tmp_path, govsim):
    store, eid = design_store
    r = govsim("discover", "--experiment", eid, "--store", str(store), "--output", "fail", "--where", "> 0.5",
            "--out", str(tmp_path), "--formats", "png", "--trees", "50")
    assert r.returncode == 0, r.stderr
    assert "## PRIM box 1" in r.stdout and "x1" in r.stdout
    for f in ("summary.md", "prim_box_1.csv", "prim_trajectory_1.csv", "cart_leaves.csv", "cart_rules.txt",
              "feature_scores.csv", "discovery_tradeoff_1.png", "discovery_box_1.png", "discovery_scatter.png",
              "discovery_features.png", "cases.csv"):
        assert (tmp_path / f).stat().st_size > 0, f
    cases = pd.read_csv(tmp_path / "cases.csv")
    assert len(cases) == 300 and cases["of_interest"].sum() > 0


def test_cases_are_replicate_means_and_conditions_combine(design_store):
    store, eid = design_store
    c = load_cases(store, eid, where=[parse_condition("fail>0.5"), parse_condition("y>2")], combine="any")
    hits = (c.x["x1"].between(0.2, 0.6) & (c.x["x2"] >= 0.7) & c.x["region"].isin(["east", "north"]))
    y2 = c.x["x1"] + 2 * c.x["x2"] > 2
    assert (c.y == (hits | y2).to_numpy()).all()
    assert (c.n_replicates == 2).all()
    # no condition: feature scores of the output itself (y = x1 + 2 x2)
    d = discover(store, eid, output="y", n_trees=50)
    assert not d.boxes and d.cart is None
    assert list(d.scores["input"][:2]) == ["x2", "x1"]


@pytest.mark.parametrize("args, message", [
    (["--output", "fail", "--where", "> 5"], "no case meets fail > 5"),
    (["--output", "nope", "--where", "> 5"], "output 'nope' is not in experiment"),
    (["--output", "fail", "--where", "gt 5"], "expected OUTPUT OP NUMBER"),
    (["--output", "fail"], "feature scores"),  # succeeds: checked below
    (["--where", "> 1"], "names no output"),
    (["--output", "fail", "--where", "> 0.5", "--reform", "other"], "reform 'other' is not in experiment"),
    (["--output", "fail", "--where", "> 0.5", "--threshold", "2"], "threshold must be in"),
])
def test_discover_bad_input(design_store, tmp_path, govsim, args, message):
    store, eid = design_store
    r = govsim("discover", "--experiment", eid, "--store", str(store), "--out", str(tmp_path / "o"), "--formats", "png",
            "--trees", "20", *args)
    if message == "feature scores":
        assert r.returncode == 0 and "feature scores of fail" in r.stdout
        return
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_share_threshold_hint(tmp_path):
    """A share compared with a percentage number: the error suggests the fraction or '%'."""
    from analysis.discovery import Cases  # noqa: F401  (the shape of what load_cases returns)

    store = tmp_path / "s.duckdb"
    design = pd.DataFrame({"x1": np.linspace(0, 1, 20), "x2": np.linspace(1, 0, 20)})
    eid = run_design(store, name="p", design=design, seed=1, horizon=1, target="experiments.analytic:planted_box",
                     executor="inprocess", progress=False)
    con = duckdb.connect(str(store))
    con.execute("UPDATE summaries SET output = 'turnover_annual' WHERE output = 'y'")
    con.close()
    # undeclared, the output is not known to be a share: no hint
    with pytest.raises(EmptyResultError, match=r"ranges 1–2\)$"):
        discover(store, eid, where=[parse_condition("turnover_annual > 25")])
    # its declaration in the store (as the engine writes the model's) says it is a share
    con = duckdb.connect(str(store))
    con.execute("INSERT INTO outputs (experiment_id, output, unit) VALUES (?, 'turnover_annual', 'share/year')", [eid])
    con.close()
    with pytest.raises(EmptyResultError, match=r"did you mean > 0.25 \(or > 25%\)"):
        load_cases(store, eid, output="turnover_annual", where=[parse_condition("> 25", output="turnover_annual")])


def test_wide_export(design_store, tmp_path, govsim):
    store, eid = design_store
    con = duckdb.connect(str(store))
    con.execute("UPDATE runs SET status = 'failed' WHERE run_id = 'p000000-r0000'")
    con.execute("DELETE FROM summaries WHERE run_id = 'p000000-r0000'")
    con.close()
    w = wide_table(store, eid)
    assert len(w) == 600 and w["run_id"].is_unique
    assert {"param.x1", "param.x2", "param.region", "fail", "y", "status", "seed"} <= set(w.columns)
    assert w.loc[w["run_id"] == "p000000-r0000", "fail"].isna().all()
    ok = w[w["status"] == "ok"]
    assert np.allclose(ok["y"], ok["param.x1"] + 2 * ok["param.x2"])
    paths = export_wide(store, tmp_path, fmt="parquet", experiment_id=eid)
    back = pd.read_parquet(paths[0])
    assert back.shape == w.shape
    r = govsim("export", "--wide", "--store", str(store), "--format", "csv", "--out", str(tmp_path / "all"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "all" / f"runs_wide_{eid}.csv").is_file()


def test_scheduled_changes_become_columns(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "experiments"))
    from experiments.engine import run_futures

    store = tmp_path / "r.duckdb"
    eid = run_futures(store, name="r", futures=pd.DataFrame({"b": [0.5, 1.0]}),
                      reforms=[{"name": "s", "params": {}, "schedule": []},
                               {"name": "t", "params": {}, "schedule": [[5, "a", 1.0]]}],
                      seed=1, horizon=12, target="govsim_toy:simulate", executor="inprocess", progress=False)
    w = wide_table(store, eid)
    assert list(w.loc[w["scenario"] == "t", "schedule.5.a"]) == [1.0, 1.0]
    assert w.loc[w["scenario"] == "s", "schedule.5.a"].isna().all()


def test_robustness_discovery_and_export_without_model(design_store, tmp_path):
    """Analysis on a copy of the store in an interpreter where the model cannot be imported."""
    store, eid = design_store
    copy = tmp_path / "elsewhere" / "store.duckdb"
    copy.parent.mkdir()
    shutil.copy(store, copy)
    code = (
        "import sys; sys.modules['model'] = None; sys.modules['experiments'] = None\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from analysis.discovery import discover, write_discovery\n"
        "from analysis.export import export_wide\n"
        "from analysis.objectives import parse_condition\n"
        f"d = discover({str(copy)!r}, {eid!r}, where=[parse_condition('fail>0.5')], n_trees=20)\n"
        f"write_discovery(d, {str(tmp_path / 'out')!r}, formats=('png',))\n"
        f"export_wide({str(copy)!r}, {str(tmp_path / 'wide')!r}, experiment_id={eid!r})\n"
        "assert 'model' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "summary.md").is_file() and (tmp_path / "wide" / "runs_wide.parquet").is_file()
