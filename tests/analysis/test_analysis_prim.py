"""PRIM recovers a planted failure box (through the engine and the store), its quasi-p values
follow Bryant & Lempert (2010), and its trajectory behaves as peeling must."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from analysis.discovery import discover
from analysis.objectives import parse_condition
from analysis.prim import PrimError, prim
from experiments.analytic import PLANTED_BOX
from experiments.engine import run_design
from experiments.futures import FactorSelection, LatinHypercubeFutures, futures_problem

TOL = 0.05  # box limits within ±0.05 of the planted ones (inputs on [0, 1])


def _planted_store(tmp_path, *, n=800, flip=0.0, seed=3):
    sel = FactorSelection(factors=(
        {"name": "x1", "lower": 0.0, "upper": 1.0}, {"name": "x2", "lower": 0.0, "upper": 1.0},
        {"name": "x3", "lower": 0.0, "upper": 1.0}, {"name": "x4", "lower": 0.0, "upper": 1.0},
        {"name": "k", "type": "int", "lower": 0, "upper": 9},
        {"name": "region", "type": "choice", "choices": ["east", "north", "south", "west"]}))
    design = LatinHypercubeFutures(futures_problem(sel), n, seed).futures()
    store = tmp_path / "planted.duckdb"
    eid = run_design(store, name="planted", design=design, base_params={"flip": flip} if flip else None, seed=seed,
                     horizon=1, target="experiments.analytic:planted_box", executor="inprocess", progress=False,
                     crn=False)
    return store, eid


def test_prim_recovers_planted_box(tmp_path):
    """Failure region x1 ∈ [0.2, 0.6], x2 ≥ 0.7, region ∈ {east, north}; x3, x4, k irrelevant.

    From 800 Latin-hypercube points run through the engine: PRIM restricts exactly x1, x2 and
    region, with limits within ±0.05, coverage and density ≥ 0.9, and significant quasi-p
    values; the irrelevant inputs stay unrestricted."""
    store, eid = _planted_store(tmp_path)
    d = discover(store, eid, where=[parse_condition("fail > 0.5")], n_trees=100, cart_depth=5, cart_min_leaf=5)
    box = d.boxes[0]
    lim = box.limits().set_index("input")
    assert set(lim.index) == {"x1", "x2", "region"}
    assert abs(lim.loc["x1", "lower"] - PLANTED_BOX["x1"][0]) <= TOL
    assert abs(lim.loc["x1", "upper"] - PLANTED_BOX["x1"][1]) <= TOL
    assert abs(lim.loc["x2", "lower"] - PLANTED_BOX["x2"][0]) <= TOL
    assert lim.loc["x2", "upper"] == lim.loc["x2", "max"]
    assert sorted(lim.loc["region", "levels"]) == ["east", "north"]
    assert (lim["qp"] < 1e-3).all()
    assert box.stats["coverage"] >= 0.9 and box.stats["density"] >= 0.9
    # feature scores put the three planted inputs first; CART's densest leaf is the same region
    assert set(d.scores["input"].head(3)) == {"x1", "x2", "region"}
    best = d.cart.iloc[0]
    assert best["density"] >= 0.9 and "x1" in best["rule"] and "x2" in best["rule"]


def test_prim_recovers_box_under_label_noise(tmp_path):
    """5 % of the labels flipped at random (about as many false cases of interest outside the
    box as true ones inside): the planted restrictions are found within ±0.08 and are
    significant (quasi-p < 0.001); restrictions that peeling put on irrelevant inputs have
    quasi-p > 0.05 and are dropped."""
    store, eid = _planted_store(tmp_path, n=1000, flip=0.05, seed=5)
    d = discover(store, eid, where=[parse_condition("fail > 0.5")], n_trees=50, threshold=0.6, mass_min=0.02)
    lim = d.boxes[0].limits().set_index("input")
    planted = ["x1", "x2", "region"]
    assert set(planted) <= set(lim.index)
    assert abs(lim.loc["x1", "lower"] - 0.2) <= 0.08 and abs(lim.loc["x1", "upper"] - 0.6) <= 0.08
    assert abs(lim.loc["x2", "lower"] - 0.7) <= 0.08
    assert sorted(lim.loc["region", "levels"]) == ["east", "north"]
    assert (lim.loc[planted, "qp"] < 1e-3).all()
    assert set(lim.index) == set(planted)  # restrictions of irrelevant inputs were dropped as chance
    kept = discover(store, eid, where=[parse_condition("fail > 0.5")], n_trees=10, threshold=0.6, mass_min=0.02,
                    significance=None).boxes[0].limits().set_index("input")
    assert (kept.drop(index=planted)["qp"] > 0.05).all()  # ... which their quasi-p values flag


def _toy(n=600, seed=1):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n), "k": rng.integers(0, 20, n),
                      "flag": rng.choice([True, False], n)})
    y = ((x["a"] > 0.5) & (x["k"] <= 6)).to_numpy()
    return x, y


def test_quasi_p_is_the_binomial_tail():
    """qp of a restriction = P[X ≥ H], X ~ Bin(T, p'), p' the density with it removed."""
    x, y = _toy()
    box = prim(x, y, significance=None)[0]
    lim = box.limits()
    inside = box.mask()
    T, H = int(inside.sum()), int(y[inside].sum())
    for r in lim.itertuples():
        other = np.ones(len(x), dtype=bool)
        for q in lim.itertuples():
            if q.input != r.input:
                other &= (x[q.input] >= q.lower).to_numpy() & (x[q.input] <= q.upper).to_numpy()
        p = y[other].mean()
        assert r.qp == pytest.approx(binom.sf(H - 1, T, p), rel=1e-12)


def test_integer_and_boolean_inputs():
    """An integer input is peeled on whole values (the case EMA Workbench 3.0 fails on)."""
    x, y = _toy()
    box = prim(x, y)[0]
    lim = box.limits().set_index("input")
    assert set(lim.index) == {"a", "k"}
    assert float(lim.loc["k", "upper"]).is_integer() and 5 <= lim.loc["k", "upper"] <= 7
    assert abs(lim.loc["a", "lower"] - 0.5) <= TOL


def test_trajectory_and_choice():
    x, y = _toy()
    box = prim(x, y, threshold=0.95)[0]
    tr = box.trajectory
    peel = tr[tr["kind"].isin(["start", "peel"])]
    assert peel["mass"].is_monotonic_decreasing and peel["coverage"].is_monotonic_decreasing
    assert tr.iloc[0]["coverage"] == 1.0 and tr.iloc[0]["res_dim"] == 0
    assert (peel["mass"] >= 0.05 - 1e-12).all()
    assert box.stats["density"] >= 0.95
    chosen = prim(x, y, select=3)[0]
    assert chosen.trajectory.iloc[chosen.chosen]["step"] >= 3  # pasting may extend the trajectory


def test_covering_finds_two_boxes():
    rng = np.random.default_rng(2)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 1500), "b": rng.uniform(0, 1, 1500)})
    y = (((x["a"] < 0.25) & (x["b"] < 0.25)) | ((x["a"] > 0.75) & (x["b"] > 0.75))).to_numpy()
    assert prim(x, y)[0].stats["res_dim"] == 0  # lenient1: no single peel raises the density here
    boxes = prim(x, y, max_boxes=3, threshold=0.9, objective="original")
    assert len(boxes) == 2
    cov = sum(b.stats["coverage"] for b in boxes)
    assert cov >= 0.9


def test_prim_errors():
    x, y = _toy()
    with pytest.raises(PrimError, match="no case of interest"):
        prim(x, np.zeros(len(x), dtype=bool))
    with pytest.raises(PrimError, match="rows"):
        prim(x, y[:-1])
    with pytest.raises(PrimError, match="peel_alpha"):
        prim(x, y, peel_alpha=0.9)
    with pytest.raises(PrimError, match="missing"):
        prim(x.assign(a=np.nan), y)
