from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis import figures, style
from analysis.store import UnknownExperimentError
from analysis_synthetic_store import EXP

EXPECTED = {
    "ts_participation", "ts_satisfaction", "ts_workforce", "ts_admin", "ts_cost", "scenario_deltas",
    "tradeoff_cost", "sobol_participation_rate", "sobol_convergence_participation_rate", "morris_turnover_annual",
    "sobol_time_turnover_annual",
    "network_community", "network_hierarchy",
}


@pytest.fixture(scope="module")
def figset(store, tmp_path_factory):
    return figures.make_all(store, out_dir=tmp_path_factory.mktemp("figs"), formats=("png", "pdf", "svg"))


def test_every_figure_written_in_every_format(figset):
    assert set(figset.files) >= EXPECTED, figset.skipped
    assert figset.experiment_id == EXP
    for name, paths in figset.files.items():
        assert sorted(p.suffix for p in paths) == [".pdf", ".png", ".svg"], name
        for p in paths:
            assert p.stat().st_size > 1000, p
        assert paths[[p.suffix for p in paths].index(".pdf")].read_bytes().startswith(b"%PDF")
        assert b"<svg" in paths[[p.suffix for p in paths].index(".svg")].read_bytes()[:2000]
        assert paths[[p.suffix for p in paths].index(".png")].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert figset.captions[name]


def test_png_widths_match_the_house_widths(figset):
    from matplotlib.image import imread

    # bbox="tight" trims a little, so allow a margin below the nominal width
    w = imread(figset.png("ts_cost")).shape[1] / style.PNG_DPI
    assert 3.0 < w <= 3.6
    w = imread(figset.png("scenario_deltas")).shape[1] / style.PNG_DPI
    assert 6.5 < w <= 7.3


def test_missing_tables_skip_with_reasons(bare_store, tmp_path):
    fs = figures.make_all(bare_store, out_dir=tmp_path, formats=("png",))
    assert "ts_participation" in fs.files
    assert "network_community" in fs.skipped and "network_snapshot" in fs.skipped["network_community"]
    assert "sobol" in fs.skipped and "sensitivity_indices" in fs.skipped["sobol"]
    assert not list(tmp_path.glob("network_*"))


def test_envelope_ci_matches_t_interval(store):
    from analysis.stats import mean_ci
    from analysis.store import load_timeseries, open_store

    with open_store(store) as con:
        ts = load_timeseries(con, EXP, ["vacancy_rate"])
    env = figures.envelope(ts)
    row = env[(env["scenario"] == "pay_reform") & (env["month"] == 12)].iloc[0]
    vals = ts[(ts["scenario"] == "pay_reform") & (ts["month"] == 12)]["value"]
    ci = mean_ci(vals.to_numpy())
    assert (row["n"], row["mean"], row["low"], row["high"]) == pytest.approx((ci.n, ci.estimate, ci.low, ci.high))
    rep = figures.envelope(ts, band="replicates", level=0.5)
    r2 = rep[(rep["scenario"] == "pay_reform") & (rep["month"] == 12)].iloc[0]
    assert r2["low"] == pytest.approx(np.quantile(vals, 0.25)) and r2["high"] == pytest.approx(np.quantile(vals, 0.75))


def test_sobol_figure_uses_largest_n(store):
    from analysis.store import open_store

    with open_store(store) as con:
        si = figures.load_sensitivity(con, EXP)
    assert set(si["method"]) == {"sobol", "morris"}
    assert figures._pick_period(si) == "summary"
    with style.context():
        fig = figures.fig_sobol(si[(si["method"] == "sobol") & (si["period"] == "summary")], "participation_rate")
    assert "N = 512" in fig.axes[0].get_title(loc="left")
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    assert max(widths) == pytest.approx(0.55 + 0.2 * 0.6 / np.sqrt(512))  # ST of pay_level at N=512


def test_bad_options_are_clear(store, tmp_path):
    with pytest.raises(style.FigureStyleError, match="format"):
        figures.make_all(store, out_dir=tmp_path, formats=("gif",))
    with pytest.raises(style.FigureStyleError, match="width"):
        figures.make_all(store, out_dir=tmp_path, width="triple")
    with pytest.raises(UnknownExperimentError):
        figures.make_all(store, "nope", out_dir=tmp_path)


def test_design_experiment_skips_scenario_figures(tmp_path):
    """Several runs per scenario and replicate (a design) cannot be paired: figures say so."""
    p = tmp_path / "d.duckdb"
    from analysis_synthetic_store import SCHEMA

    con = duckdb.connect(str(p))
    con.execute(SCHEMA)
    con.execute("INSERT INTO experiments VALUES ('d1','d','design','x', now(), 1, 2, '{}', '{}', 'done')")
    for dp in range(2):
        con.execute("INSERT INTO runs (experiment_id, run_id, scenario, design_point, replicate, seed, status) "
                    f"VALUES ('d1', 'r{dp}', 'baseline', {dp}, 0, 1, 'ok')")
        con.execute(f"INSERT INTO summaries VALUES ('d1', 'r{dp}', 'participation_rate', 0.{dp + 1})")
    con.close()
    fs = figures.make_all(p, out_dir=tmp_path / "f", formats=("png",))
    assert not fs.files
    assert "design points" in fs.skipped["ts_participation"]


def test_tradeoff_points_are_paired_differences(store):
    from analysis.stats import compare_scenarios

    cmp = compare_scenarios(store, outputs=["spending_per_resident", "participation_rate", "turnover_annual"])
    with style.context():
        fig = figures.fig_tradeoff(cmp, colors=style.scenario_colors(["baseline", "deadmin", "pay_reform"]))
    ax = fig.axes[0]
    # each scenario is one errorbar container: the marker line holds the point
    pts = {tuple(np.round(c.lines[0].get_xydata()[0], 9)) for c in ax.containers}
    row = cmp.set_index(["scenario", "output"])
    want = (row.loc[("deadmin", "spending_per_resident"), "diff"],
            row.loc[("deadmin", "participation_rate"), "diff"] * 100)
    assert tuple(np.round(want, 9)) in pts
    assert ax.get_ylabel() == "Δ Participation (pp)"


def test_many_scenarios_time_series_show_the_largest_changes():
    rows = [("baseline", r, "y", 0.0) for r in range(3)]
    for k in range(10):
        rows += [(f"s{k}", r, "y", float(k)) for r in range(3)]
    summ = pd.DataFrame(rows, columns=["scenario", "replicate", "output", "value"])
    order = ["baseline"] + [f"s{k}" for k in range(10)]
    shown, note = figures._ts_scenarios(summ, order, "baseline", "y")
    assert shown == ["baseline", "s4", "s5", "s6", "s7", "s8", "s9"]
    assert "6 of 10" in note


def test_network_community_caps_residents_by_whole_grids(store, monkeypatch):
    from analysis import network
    from analysis.store import open_store

    with open_store(store) as con:
        snap = network.load_snapshot(con, EXP)
    monkeypatch.setattr(network, "MAX_RESIDENTS", 20)  # 12 residents per grid: one whole grid fits
    with style.context():
        fig = network.fig_community(snap)
    assert "of 12 residents" in fig.axes[0].get_title(loc="left")


def _built_figures(store):
    from analysis import network
    from analysis.stats import compare_scenarios
    from analysis.store import load_timeseries, open_store

    colors = style.scenario_colors(["baseline", "deadmin", "pay_reform"])
    with open_store(store) as con, style.context():
        env = figures.envelope(load_timeseries(con, EXP, ["vacancy_rate", "turnover_annual"]))
        si = figures.load_sensitivity(con, EXP)
        snap = network.load_snapshot(con, EXP)
        cmp = compare_scenarios(con, EXP)
        yield "ts", figures.fig_timeseries(env, ["turnover_annual", "vacancy_rate"], colors=colors)
        yield "deltas", figures.fig_scenario_deltas(cmp, colors=colors)
        yield "tradeoff", figures.fig_tradeoff(
            compare_scenarios(con, EXP, outputs=["spending_per_resident", "participation_rate"]), colors=colors)
        sob = si[(si["method"] == "sobol") & (si["period"] == "summary")]
        yield "sobol", figures.fig_sobol(sob, "participation_rate")
        yield "convergence", figures.fig_sobol_convergence(sob, "participation_rate")
        yield "morris", figures.fig_morris(si[si["method"] == "morris"], "turnover_annual")
        yield "community", network.fig_community(snap)
        yield "hierarchy", network.fig_hierarchy(snap)


def test_house_style_fonts_and_axis_labels(store):
    from matplotlib.text import Text

    for name, fig in _built_figures(store):
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert sizes and min(sizes) >= style.MIN_FONT_PT, (name, min(sizes))
        for ax in fig.axes:
            if not ax.axison or ax.get_label() == "<colorbar>" or ax.images:
                continue  # networks, colour bars and the S2 heatmap have no quantitative axes
            # y is labelled with a quantity, or is categorical (forest plot rows, factors) and named by ticks
            if name == "deltas":
                assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["deadmin", "pay_reform"]
            elif name == "sobol":
                assert "pay_level" in [t.get_text() for t in ax.get_yticklabels()]
            else:
                assert ax.get_ylabel(), (name, "y axis unlabelled")
            assert "(" in ax.get_xlabel() and ")" in ax.get_xlabel(), (name, ax.get_xlabel())  # a unit
            assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible(), name
            assert not any(line.get_visible() for line in ax.get_xgridlines()), name


def test_reform_start_is_the_common_first_scheduled_month():
    con = duckdb.connect()
    con.execute("CREATE TABLE scenarios(experiment_id VARCHAR, scenario VARCHAR, description VARCHAR, "
                "source_file VARCHAR, sha256 VARCHAR, params JSON, schedule JSON)")
    rows = [("e", "baseline", "[]"), ("e", "a", '[[24, "p", 1.0], [36, "q", 2]]'), ("e", "b", '[[24, "r", true]]')]
    con.executemany("INSERT INTO scenarios VALUES (?, ?, '', '', '', '{}', ?)", rows)
    assert figures._reform_start(con, "e", "baseline") == 24.0
    con.execute("""INSERT INTO scenarios VALUES ('e', 'c', '', '', '', '{}', '[[12, "p", 1]]')""")
    assert figures._reform_start(con, "e", "baseline") is None  # reforms start at different months
