"""Regret, satisficing, worst decile and declared directions — by hand and from a store."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from analysis.objectives import ObjectiveError, declared_directions, parse_condition, resolve_directions
from analysis.robustness import analyze, regret, satisficing_share, worst_mean, write_robustness

TOY_DIR = Path(__file__).resolve().parents[1] / "experiments"


def test_regret_by_hand():
    """Three reforms in four futures, higher is better:

    ======  ===  ===  ===   best  regret A  regret B  regret C
    future   A    B    C
    ======  ===  ===  ===   ====  ========  ========  ========
    0        5    3    4     5       0         2         1
    1        2    6    4     6       4         0         2
    2        7    7    1     7       0         0         6
    3        1    2    3     3       2         1         0
    ======  ===  ===  ===   ====  ========  ========  ========

    Mean regret: A = 6/4 = 1.5, B = 3/4 = 0.75, C = 9/4 = 2.25; maximum regret: A 4, B 2,
    C 6 — B is the minimax-regret reform. Lower is better instead: best = min per row =
    3, 2, 1, 1; regret A = 2, 0, 6, 0 (mean 2), B = 0, 4, 6, 1 (mean 2.75), C = 1, 2, 0, 2
    (mean 1.25)."""
    t = pd.DataFrame({"A": [5, 2, 7, 1], "B": [3, 6, 7, 2], "C": [4, 4, 1, 3]}, dtype=float)
    r = regret(t, "max")
    assert r["A"].tolist() == [0, 4, 0, 2] and r["B"].tolist() == [2, 0, 0, 1] and r["C"].tolist() == [1, 2, 6, 0]
    assert r.mean().tolist() == [1.5, 0.75, 2.25] and r.max().tolist() == [4, 2, 6]
    m = regret(t, "min")
    assert m.mean().tolist() == [2.0, 2.75, 1.25]
    with pytest.raises(ObjectiveError):
        regret(t, "up")


def test_worst_decile_and_satisficing_interval():
    x = np.arange(1.0, 21.0)  # 20 futures: the worst 10 % are 2 of them
    assert worst_mean(x, "max") == 1.5 and worst_mean(x, "min") == 19.5
    assert worst_mean(x[:5], "max") == 1.0  # at least one future
    share, lo, hi = satisficing_share(7, 20, 0.9)
    ci = binomtest(7, 20).proportion_ci(confidence_level=0.9, method="wilson")
    assert share == 0.35 and (lo, hi) == pytest.approx((ci.low, ci.high))


def test_conditions_and_directions():
    c = parse_condition("turnover_annual <= 15%")
    assert (c.output, c.op, c.value, c.direction) == ("turnover_annual", "<=", 0.15, "min")
    assert parse_condition("> 25", output="x").value == 25.0
    for bad in ("satisfied_share >> 3", "satisfied_share>=", "> 3"):
        with pytest.raises(ObjectiveError):
            parse_condition(bad)
    d = resolve_directions(maximize=["a"], thresholds=[parse_condition("b<=1"), parse_condition("a<=2")],
                           declared={"c": "min"}, objectives=["c"])
    assert d == {"a": ("max", "user"), "c": ("min", "store"), "b": ("min", "threshold")}
    with pytest.raises(ObjectiveError, match="both"):
        resolve_directions(maximize=["a"], minimize=["a"])
    with pytest.raises(ObjectiveError, match="no direction is declared"):
        resolve_directions(objectives=["z"])


@pytest.fixture(scope="module")
def rob_store(tmp_path_factory):
    """A robustness experiment of the seeded toy target: 3 reforms × 6 futures × 2 replicates;
    reform 'lift' raises every output by 8/12 over the summary window, 'lift2' by 16/12 (plus
    its start level 0.5), and the noise is common to the reforms of a future and replicate."""
    sys.path.insert(0, str(TOY_DIR))
    from experiments.engine import run_futures

    store = tmp_path_factory.mktemp("rob") / "r.duckdb"
    futures = pd.DataFrame({"b": np.linspace(0.2, 1.2, 6)})
    reforms = [{"name": "status_quo", "params": {}, "schedule": []},
               {"name": "lift", "params": {}, "schedule": [[5, "a", 1.0]]},
               {"name": "lift2", "params": {"a": 0.5}, "schedule": [[5, "a", 2.0]]}]
    eid = run_futures(store, name="rob", futures=futures, reforms=reforms, replicates=2, seed=5, horizon=12,
                      target="govsim_toy:simulate", executor="inprocess", progress=False)
    return store, eid


def test_analyze_from_store(rob_store, tmp_path):
    store, eid = rob_store
    res = analyze(store, eid, satisfice=[parse_condition("participation_rate>=0.9")],
                  minimize=["vacancy_rate"])
    obj = res.objectives.set_index(["output", "reform"])
    # participation: lift2 is best in every future (CRN: same noise), status quo regrets 4/12·2 + 0.5·4/12
    pr = obj.loc["participation_rate"]
    assert pr.loc["lift2", "regret_max"] == pytest.approx(0.0, abs=1e-12)
    assert pr.loc["lift2", "best_share"] == 1.0
    gap = 0.5 * 4 / 12 + 2.0 * 8 / 12  # lift2 over the status quo in the last 12 months
    assert pr.loc["status_quo", "regret_mean"] == pytest.approx(gap)
    assert pr.loc["lift", "regret_mean"] == pytest.approx(gap - 8 / 12)
    # vacancy (lower is better): the status quo is best
    assert obj.loc[("vacancy_rate", "status_quo"), "regret_max"] == pytest.approx(0.0, abs=1e-12)
    # satisficing share matches the per-future replicate means
    v = res.values[(res.values["output"] == "participation_rate")]
    for r in res.reforms:
        k = int((v[v["reform"] == r]["value"] >= 0.9).sum())
        assert int(res.satisficing.set_index("reform").loc[r, "n_satisfied"]) == k
    assert res.order()[0] == "lift2"
    files = write_robustness(res, tmp_path, formats=("png",))
    assert {"summary", "robustness_regret", "robustness_outcomes", "satisficing"} <= set(files)
    assert "lift2" in (tmp_path / "summary.md").read_text()


def test_failed_runs_drop_whole_futures(rob_store, tmp_path):
    store, eid = rob_store
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(store).read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("UPDATE runs SET status = 'failed' WHERE scenario = 'lift' AND design_point = 2")
    con.close()
    res = analyze(copy, eid, maximize=["participation_rate"])
    assert res.dropped["futures_without_complete_replicate"] == [2]
    assert set(res.values["future"]) == {0, 1, 3, 4, 5}


def test_declared_direction_read_from_store(rob_store, tmp_path):
    """A target that declares its outputs: the engine writes the declarations with the
    experiment, and the analysis takes the directions from there (higher → max, lower → min;
    a descriptive output has none)."""
    from experiments.engine import run_futures

    store = tmp_path / "declared.duckdb"
    eid = run_futures(store, name="rob", futures=pd.DataFrame({"b": [0.5, 1.0, 1.5]}),
                      reforms=[{"name": "status_quo", "params": {}, "schedule": []},
                               {"name": "lift", "params": {}, "schedule": [[5, "a", 1.0]]}],
                      seed=5, horizon=12, target="govsim_toy:declared", executor="inprocess", progress=False)
    with duckdb.connect(str(store), read_only=True) as c:
        assert declared_directions(c, eid) == {"vacancy_rate": "min", "participation_rate": "max"}
    res = analyze(store, eid, objectives=["vacancy_rate"], satisfice=[parse_condition("participation_rate>=0.5")])
    assert res.directions["vacancy_rate"] == ("min", "store")
    assert res.directions["participation_rate"] == ("max", "store")
    with pytest.raises(ObjectiveError, match="no direction is declared for 'service_coverage'"):
        analyze(store, eid, objectives=["service_coverage"])
    undeclared, eid_u = rob_store  # the same toy without declarations: the user must say
    with duckdb.connect(str(undeclared), read_only=True) as c:
        assert declared_directions(c, eid_u) == {}
    with pytest.raises(ObjectiveError, match="no direction is declared"):
        analyze(undeclared, eid_u, objectives=["vacancy_rate"])


def test_nothing_said_about_better_is_an_error(rob_store):
    store, eid = rob_store
    with pytest.raises(ObjectiveError, match="say what is better"):
        analyze(store, eid)
