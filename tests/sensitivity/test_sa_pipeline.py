"""Design → engine → store → estimators, verified on functions with known indices."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sa_helpers import ISHIGAMI, PI, RUN, SOBOL_G, g_factors, ishigami_factors

from analysis import sensitivity as sai
from experiments import sensitivity as sa
from experiments.analytic import SOBOL_G_A, ishigami_indices, sobol_g_indices
from experiments.engine import resume


def _pick(idx: pd.DataFrame, method: str, stat: str, *, period: str = "summary", n: int | None = None) -> pd.DataFrame:
    d = idx[(idx["method"] == method) & (idx["statistic"] == stat) & (idx["period"] == period)]
    d = d[d["n"] == (n if n is not None else d["n"].max())]
    return d.set_index("factor")


@pytest.mark.parametrize("stat", ["S1", "ST"])
def test_ishigami_sobol_matches_analytic_within_ci(ishigami_sobol, stat):
    _, idx = ishigami_sobol
    got = _pick(idx, "sobol", stat)
    true = dict(zip(["x1", "x2", "x3"], ishigami_indices()[stat]))
    for f, v in true.items():
        assert abs(got.loc[f, "value"] - v) <= got.loc[f, "conf"], (f, got.loc[f, "value"], v, got.loc[f, "conf"])
    assert (got["conf"] < 0.1).all()


def test_ishigami_second_order_only_x1_x3(ishigami_sobol):
    _, idx = ishigami_sobol
    s2 = _pick(idx, "sobol", "S2").reset_index().set_index(["factor", "factor2"])
    assert set(s2.index) == {("x1", "x2"), ("x1", "x3"), ("x2", "x3")}
    true = {("x1", "x2"): 0.0, ("x1", "x3"): ishigami_indices()["S2_13"][0], ("x2", "x3"): 0.0}
    for pair, v in true.items():
        assert abs(s2.loc[pair, "value"] - v) <= s2.loc[pair, "conf"], pair


def test_sobol_g_matches_analytic_within_ci(g_sobol):
    _, idx = g_sobol
    true = sobol_g_indices(SOBOL_G_A)
    for stat in ("S1", "ST"):
        got = _pick(idx, "sobol", stat)
        for i, v in enumerate(true[stat]):
            f = f"x{i + 1}"
            assert abs(got.loc[f, "value"] - v) <= got.loc[f, "conf"], (stat, f, got.loc[f, "value"], v)
    assert set(idx["statistic"]) >= {"S1", "ST"} and "S2" not in set(idx["statistic"])


def test_yearly_indices_follow_the_series(ishigami_sobol):
    """The analytic series is y·(1 + t/h): each year's mean is y times a constant, so the
    time-resolved indices equal the summary ones."""
    _, idx = ishigami_sobol
    assert {"summary", "year_1", "year_2"} == set(idx["period"])
    for stat in ("S1", "ST"):
        a, b = _pick(idx, "sobol", stat), _pick(idx, "sobol", stat, period="year_2")
        assert np.allclose(a["value"], b["value"], atol=1e-9)


def test_convergence_rows_narrow_with_n(ishigami_sobol):
    _, idx = ishigami_sobol
    st = idx[(idx["method"] == "sobol") & (idx["statistic"] == "ST") & (idx["period"] == "summary")]
    ns = sorted(st["n"].unique())
    assert ns == [16, 32, 64, 128, 256, 512, 1024]
    width = st.groupby("n")["conf"].max()
    assert width.loc[1024] < width.loc[128] < width.loc[16]
    table = sai.convergence_table(idx, statistic="ST", output="y")
    assert table.shape == (3, 2 * len(ns))


def test_indices_are_saved_in_the_schema_and_exported(ishigami_sobol, store, tmp_path):
    eid, idx = ishigami_sobol
    with duckdb.connect(str(store), read_only=True) as con:
        cols = [r[0] for r in con.execute("DESCRIBE sensitivity_indices").fetchall()]
        n = con.execute("SELECT count(*) FROM sensitivity_indices WHERE analysis_id = ?",
                        [idx["analysis_id"].iloc[0]]).fetchone()[0]
    assert cols == sai.INDEX_COLUMNS
    assert n == len(idx)
    assert set(idx["method"]) <= set(sai.METHODS)
    for suffix in (".csv", ".parquet"):
        path = sai.export_indices(store, tmp_path / f"idx{suffix}", experiment_id=eid,
                                  analysis_id=idx["analysis_id"].iloc[0])
        back = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
        assert len(back) == len(idx)
        assert np.isclose(back["value"].sum(), idx["value"].sum())
    with pytest.raises(sai.SensitivityAnalysisError, match="csv or .parquet"):
        sai.export_indices(store, tmp_path / "idx.xlsx")


def test_reanalysis_replaces_its_own_rows(store, g_sobol):
    eid, idx = g_sobol
    again = sai.analyze(store, eid, num_resamples=200, seed=2)
    assert again["analysis_id"].iloc[0] == idx["analysis_id"].iloc[0]
    assert np.allclose(again["value"], idx["value"])
    saved = sai.load_indices(store, eid, analysis_id=idx["analysis_id"].iloc[0])
    assert len(saved) == len(idx)


def test_extension_equals_a_design_drawn_at_the_larger_n(store):
    fx = ishigami_factors()
    eid = sa.run(store, factors=fx, n=128, seed=21, target=ISHIGAMI, name="ext", **RUN)
    ext = sa.extend(store, eid, executor="inprocess", progress=False)
    whole = sa.run(store, factors=fx, n=256, seed=21, target=ISHIGAMI, name="whole", **RUN)
    d_ext, d_whole = sai.load_design(store, ext), sai.load_design(store, whole)
    assert d_ext.experiment_id == eid and d_ext.n == 256
    y1 = sai.outcome_matrix(store, d_ext, ["y"])["y"]
    y2 = sai.outcome_matrix(store, d_whole, ["y"])["y"]
    assert d_ext.qmc_replicates == d_whole.qmc_replicates == 8
    for k in range(8):  # each independent replicate continues its own sequence
        assert np.array_equal(y1[d_ext.row_replicates() == k], y2[d_whole.row_replicates() == k])
    a = sai.analyze(store, ext, save=False, seed=3)
    b = sai.analyze(store, whole, save=False, seed=3)
    assert np.allclose(a["value"], b["value"])


def test_run_until_doubles_until_the_ci_is_narrow(store):
    eid, idx = sa.run_until(store, target_width=0.3, outputs=["y"], max_n=1024, factors=ishigami_factors(), n=32,
                            seed=8, target=ISHIGAMI, name="until", num_resamples=100, **RUN)
    n = sai.load_design(store, eid).n
    assert n > 32  # N = 32 is far too small for a 0.3-wide interval
    assert sai.max_ci_width(idx) <= 0.3 or n == 1024


def test_morris_ranks_sobol_g_factors_by_importance(store):
    eid = sa.run(store, method="morris", factors=g_factors(), n=40, seed=4, target=SOBOL_G, **RUN)
    idx = sai.analyze(store, eid, seed=1)
    mu = _pick(idx, "morris", "mu_star")["value"]
    assert mu["x1"] > mu["x2"] > mu["x3"] > mu["x4"] > mu["x5"]
    assert mu[["x5", "x6"]].max() < 0.05 * mu["x1"]
    assert {"mu_star", "sigma", "mu"} <= set(idx["statistic"])


def test_efast_on_ishigami(store):
    eid = sa.run(store, method="fast", factors=ishigami_factors(), n=600, seed=2, target=ISHIGAMI, **RUN)
    idx = sai.analyze(store, eid, seed=1)
    s1 = _pick(idx, "fast", "S1")["value"]
    st = _pick(idx, "fast", "ST")["value"]
    true = ishigami_indices()
    assert np.allclose(s1[["x1", "x2", "x3"]], true["S1"], atol=0.03)
    assert np.allclose(st[["x1", "x2", "x3"]], true["ST"], atol=0.06)


def test_latin_rbd_fast_delta_and_pawn(store):
    eid = sa.run(store, method="latin", factors=ishigami_factors(), n=1000, seed=6, target=ISHIGAMI, **RUN)
    idx = sai.analyze(store, eid, seed=1, num_resamples=50)
    assert set(idx["method"]) == {"rbd_fast", "delta", "pawn"}
    s1 = _pick(idx, "rbd_fast", "S1")
    for f, v in zip(["x1", "x2", "x3"], ishigami_indices()["S1"]):
        assert abs(s1.loc[f, "value"] - v) <= max(s1.loc[f, "conf"], 0.03)
    delta = _pick(idx, "delta", "delta")["value"]
    pawn = _pick(idx, "pawn", "pawn_median")["value"]
    # x3 acts only through its interaction with x1: no first-order effect, but a clear
    # distributional one, which the moment-independent measures see
    assert delta["x2"] == delta.max() and delta["x3"] > 0.05
    assert pawn["x2"] == pawn.max() and pawn["x3"] > 0.05


def test_delta_and_pawn_on_the_rows_of_a_sobol_design(store, ishigami_sobol):
    eid, _ = ishigami_sobol
    idx = sai.analyze(store, eid, methods=["delta", "pawn"], seed=1, num_resamples=30, save=False)
    assert set(idx.dropna(subset=["factor"])["n"]) == {2048}  # the A and B rows
    assert _pick(idx, "delta", "delta")["value"].idxmax() == "x2"


def test_noise_share_and_replicates_needed(store):
    """Ishigami + N(0, 2²) noise with independent seeds per point: the noise share is
    4 / (V + 4) and the replicates for noise-variance-of-mean ≤ 5 % of V is ⌈4 / (0.05 V)⌉."""
    eid = sa.run(store, factors=ishigami_factors(), n=256, seed=3, replicates=4, base_params={"noise": 2.0},
                 target=ISHIGAMI, crn=False, **RUN)
    idx = sai.analyze(store, eid, seed=1, noise_fraction=0.05)
    noise = idx[idx["factor"].isna()].set_index("statistic")
    v = 1.0 + 7.0**2 / 8 + 0.1 * PI**4 / 5 + 0.1**2 * PI**8 / 18  # Var of Ishigami (a = 7, b = 0.1)
    share = 4.0 / (v + 4.0)
    assert abs(noise.loc["noise_share", "value"] - share) <= noise.loc["noise_share", "conf"]
    assert abs(noise.loc["param_var", "value"] - v) <= noise.loc["param_var", "conf"]
    assert abs(noise.loc["noise_var_unshared", "value"] - 4.0) <= noise.loc["noise_var_unshared", "conf"]
    assert abs(noise.loc["replicates_needed", "value"] - np.ceil(4.0 / (0.05 * v))) <= 2
    assert noise.loc["replicates", "value"] == 4
    # indices on replicate means still find the analytic values within their (wider) intervals
    st = _pick(idx, "sobol", "ST")
    for f, t in zip(["x1", "x2", "x3"], ishigami_indices()["ST"]):
        assert abs(st.loc[f, "value"] - t) <= st.loc[f, "conf"] + 0.02


def test_noise_shared_by_common_seeds_needs_no_replicates(store):
    """With common random numbers the additive noise of replicate r is the same at every
    point: it shifts all points alike, cancels in the indices, and asks for no replicates."""
    eid = sa.run(store, factors=ishigami_factors(), n=64, seed=3, replicates=3, base_params={"noise": 2.0},
                 target=ISHIGAMI, crn=True, **RUN)
    idx = sai.analyze(store, eid, seed=1)
    noise = idx[idx["factor"].isna()].set_index("statistic")["value"]
    assert noise["noise_var"] > 0.1
    assert noise["noise_var_unshared"] < 1e-9
    assert noise["replicates_needed"] == 1
    assert 0 < noise["noise_share"] < 1


def test_choice_factor_duplicates_run_once(store):
    fx = ishigami_factors()[:2] + [{"name": "x3", "type": "choice", "choices": ["-3", "0", "3"]}]
    eid = sa.run(store, factors=fx, n=64, seed=5, target=ISHIGAMI, replicates=2, **RUN)
    design = sai.load_design(store, eid)
    with duckdb.connect(str(store), read_only=True) as con:
        runs = con.execute("SELECT count(*) FROM runs WHERE experiment_id = ?", [eid]).fetchone()[0]
    assert design.spec["n_points"] < design.spec["n_rows"] == 64 * 8
    assert runs == design.spec["n_points"] * 2
    y = sai.outcome_matrix(store, design, ["y"])["y"]
    assert y.shape == (64 * 8, 2)
    idx = sai.analyze(store, eid, save=False)
    assert _pick(idx, "sobol", "ST").loc["x3", "value"] > 0.05


def test_incomplete_design_is_refused_until_resumed(tmp_path):
    path = tmp_path / "s.duckdb"
    eid = sa.run(path, factors=ishigami_factors(), n=16, seed=1, target=ISHIGAMI, **RUN)
    with duckdb.connect(str(path)) as con:
        con.execute("DELETE FROM summaries WHERE experiment_id = ? AND run_id IN "
                    "(SELECT run_id FROM runs WHERE design_point = 3)", [eid])
        con.execute("DELETE FROM runs WHERE experiment_id = ? AND design_point = 3", [eid])
    with pytest.raises(sai.DesignNotReadyError, match="resume"):
        sai.analyze(path, eid)
    resume(path, eid, executor="inprocess", progress=False)
    assert not sai.analyze(path, eid, save=False).empty


def test_process_executor_gives_the_same_results(tmp_path, store):
    fx = ishigami_factors()
    a = sa.run(tmp_path / "p.duckdb", factors=fx, n=16, seed=2, target=ISHIGAMI, horizon=24, executor="processes",
               workers=2, progress=False)
    b = sa.run(tmp_path / "i.duckdb", factors=fx, n=16, seed=2, target=ISHIGAMI, **RUN)
    ya = sai.outcome_matrix(tmp_path / "p.duckdb", sai.load_design(tmp_path / "p.duckdb", a), ["y"])["y"]
    yb = sai.outcome_matrix(tmp_path / "i.duckdb", sai.load_design(tmp_path / "i.duckdb", b), ["y"])["y"]
    assert np.array_equal(ya, yb)


def test_analysis_errors_name_what_is_wrong(store, g_sobol):
    eid, _ = g_sobol
    with pytest.raises(sai.SensitivityAnalysisError, match="did you mean 'y'"):
        sai.analyze(store, eid, outputs=["yy"])
    with pytest.raises(sai.SensitivityAnalysisError, match="does not apply"):
        sai.analyze(store, eid, methods=["morris"])
    with pytest.raises(sai.SensitivityAnalysisError, match="period"):
        sai.analyze(store, eid, periods=["decade"])
    with pytest.raises(sai.NotASensitivityExperimentError):
        sai.analyze(store, "no-such-experiment")
    with pytest.raises(sa.SensitivityError, match="only Sobol"):
        morris = sa.run(store, method="morris", factors=g_factors(), n=4, seed=1, target=SOBOL_G, **RUN)
        sa.extend(store, morris)


def test_group_indices_of_ishigami(store):
    """Groups {x1, x3} and {x2}: S1 of a group is the variance share of all its own terms, so
    S1(a) = ST(a) = S1 + S3 + S13 = 0.5576 and S1(b) = ST(b) = 0.4424."""
    fx = ishigami_factors()
    fx[0]["group"], fx[1]["group"], fx[2]["group"] = "a", "b", "a"
    eid = sa.run(store, factors=fx, group_by="group", n=512, seed=12, target=ISHIGAMI, **RUN)
    idx = sai.analyze(store, eid, seed=1)
    true = {"a": 0.5576, "b": 0.4424}
    for stat in ("S1", "ST"):
        got = _pick(idx, "sobol", stat)
        assert list(got.index) == ["a", "b"]
        for g, v in true.items():
            assert abs(got.loc[g, "value"] - v) <= got.loc[g, "conf"], (stat, g)


def test_failed_runs_stop_the_analysis_or_drop_whole_units(store):
    """Runs with x1 > 2.9 fail (≈ 4 % of draws). By default the analysis refuses; with
    missing='drop' it leaves out whole Saltelli base rows / Morris trajectories / Latin rows,
    and the estimates stay close to the analytic ones."""
    fx = ishigami_factors()
    base = {"fail_above": 2.9}
    eid = sa.run(store, factors=fx, n=512, seed=31, base_params=base, target=ISHIGAMI, **RUN)
    with pytest.raises(sai.DesignNotReadyError, match="runs failed"):
        sai.analyze(store, eid)
    idx = sai.analyze(store, eid, missing="drop", seed=1, convergence=True)
    kept = int(idx[(idx["statistic"] == "ST")]["n"].max())
    assert 400 < kept < 512 and idx.attrs["dropped"] == {"y@summary": 512 - kept}
    st = _pick(idx, "sobol", "ST")
    for f, t in zip(["x1", "x2", "x3"], ishigami_indices()["ST"]):
        assert abs(st.loc[f, "value"] - t) <= st.loc[f, "conf"] + 0.05
    m = sa.run(store, method="morris", factors=fx, n=30, seed=31, base_params=base, target=ISHIGAMI, **RUN)
    midx = sai.analyze(store, m, missing="drop")
    assert 0 < 30 - int(midx["n"].max()) == midx.attrs["dropped"]["y@summary"]
    lat = sa.run(store, method="latin", factors=fx, n=300, seed=31, base_params=base, target=ISHIGAMI, **RUN)
    lidx = sai.analyze(store, lat, missing="drop", methods=["rbd_fast"])
    assert 250 < int(lidx["n"].max()) < 300
    fast = sa.run(store, method="fast", factors=fx, n=100, seed=31, base_params=base, target=ISHIGAMI, **RUN)
    with pytest.raises(sai.SensitivityAnalysisError, match="eFAST cannot"):
        sai.analyze(store, fast, missing="drop")


def test_index_table_for_notebooks(ishigami_sobol):
    _, idx = ishigami_sobol
    table = sai.index_table(idx, output="y")
    assert list(table.index) == ["x1", "x2", "x3"]  # sorted by ST
    assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(table.columns)
    assert np.isclose(table.loc["x2", "ST"], _pick(idx, "sobol", "ST").loc["x2", "value"])
    with pytest.raises(sai.SensitivityAnalysisError, match="no morris"):
        sai.index_table(idx, method="morris")


def test_blocks_from_different_code_are_not_mixed(tmp_path):
    path = tmp_path / "c.duckdb"
    eid = sa.run(path, factors=ishigami_factors(), n=16, seed=1, target=ISHIGAMI, **RUN)
    ext = sa.extend(path, eid, executor="inprocess", progress=False)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE experiments SET manifest = json_merge_patch(manifest, '{\"code_sha256\": \"other\"}') "
                    "WHERE experiment_id = ?", [ext])
    with pytest.raises(sai.SensitivityAnalysisError, match="different model code"):
        sai.analyze(path, eid)
    with duckdb.connect(str(path)) as con:
        con.execute("DELETE FROM experiments WHERE experiment_id = ?", [ext])
        con.execute("UPDATE experiments SET manifest = json_merge_patch(manifest, '{\"code_sha256\": \"other\"}') "
                    "WHERE experiment_id = ?", [eid])
    with pytest.raises(sa.SensitivityError, match="changed since"):
        sa.extend(path, eid, executor="inprocess", progress=False)
