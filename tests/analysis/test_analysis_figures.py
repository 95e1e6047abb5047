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


# ----------------------------------------------------------------------------- layout defects


def _text_boxes(fig) -> list[tuple[str, object]]:
    """Window extents of the texts a reader reads: legends, axis labels, titles, annotations."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [(f"legend {i}", lg.get_window_extent(r)) for i, lg in enumerate(fig.legends)]
    for k, ax in enumerate(fig.axes):
        for name, t in (("ylabel", ax.yaxis.label), ("xlabel", ax.xaxis.label), ("title", ax.title),
                        ("title-left", ax._left_title), ("title-right", ax._right_title)):
            if t.get_text() and t.get_visible():
                boxes.append((f"ax{k} {name} {t.get_text()!r}", t.get_window_extent(r)))
        for t in ax.texts:
            if t.get_text() and t.get_visible():
                boxes.append((f"ax{k} text {t.get_text()!r}", t.get_window_extent(r)))
    return boxes


def _overlaps(fig) -> list[tuple[str, str]]:
    boxes = _text_boxes(fig)
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if ba.width > 0 and bb.width > 0 and ba.overlaps(bb)]


def _long_series(n_scen: int, outputs: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    rows = []
    names = ["baseline"] + [f"reform_{k}" for k in range(n_scen - 1)]
    for j, s in enumerate(names):
        for o in outputs:
            for m in range(61):
                v = 0.3 + 0.01 * j * (m > 24) if o != "spending_per_resident" else 30 + j * (m > 24)
                rows.append((s, o, m, 5, v, v * 0.95, v * 1.05))
    env = pd.DataFrame(rows, columns=["scenario", "output", "month", "n", "mean", "low", "high"])
    titles = {s: ("Baseline (before the reforms)" if s == "baseline" else f"Buying services, variant {s[-1]}")
              for s in names}
    return env, style.scenario_colors(names), titles


def _catalog():
    from analysis.outputs import OutputCatalog, OutputInfo

    return OutputCatalog([
        OutputInfo("spending_per_resident", "Spending per resident", "yuan/resident/month", direction="lower",
                   min_change=0.02, relative=True, cost=True, declared=True),
        OutputInfo("satisfied_share", "Residents satisfied", "share", direction="higher", min_change=0.02,
                   target=0.95, declared=True),
    ])


@pytest.mark.parametrize("output", ["spending_per_resident", "satisfied_share"])
def test_single_panel_time_series_texts_do_not_overlap(output):
    """ts_cost's long y label used to run into the legend above it; ts_satisfaction's 95 %
    target line struck through the "reforms from month 24" note."""
    env, colors, titles = _long_series(7, (output,))
    with style.context():
        fig = figures.fig_timeseries(env, [output], colors=colors, catalog=_catalog(), labels=titles,
                                     target={"satisfied_share": 0.95}, events={24.0: "reforms from month 24"})
        assert not _overlaps(fig)
        ax = fig.axes[0]
        note = next(t for t in ax.texts if t.get_text().startswith("reforms"))
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        # the note sits above the data area, where no reference line runs
        assert note.get_window_extent(r).y0 >= ax.get_window_extent(r).y1 - 1


def test_tradeoff_labels_do_not_overlap():
    """Fourteen reforms, most within a whisker of the origin: no label overlaps another."""
    rng = np.random.default_rng(4)
    from analysis.outputs import OutputCatalog, OutputInfo

    cat = OutputCatalog([OutputInfo("spending_per_resident", "Spending per resident", "yuan/resident/month",
                                    declared=True),
                         OutputInfo("participation_rate", "Participation", "share", declared=True),
                         OutputInfo("turnover_annual", "Cadre turnover", "share/year", declared=True)])
    names = ["baseline"] + [f"r{k}" for k in range(14)]
    rows = []
    for s in names:
        for o in cat:
            d = 0.0 if s == "baseline" else float(rng.normal(0, 0.3 if o == "spending_per_resident" else 0.003))
            rows.append({"scenario": s, "output": o, "n": 5, "mean": 1.0, "ci_low": 0.9, "ci_high": 1.1, "diff": d,
                         "diff_ci_low": d - 0.01, "diff_ci_high": d + 0.01, "effect_size": 1.0, "p_value": 0.5,
                         "n_pairs": 5})
    cmp = pd.DataFrame(rows)
    cmp.attrs.update(baseline="baseline", outputs=cat)
    with style.context():
        fig = figures.fig_tradeoff(cmp, colors=style.scenario_colors(names), width="double")
        overlaps = [(a, b) for a, b in _overlaps(fig) if "text" in a and "text" in b]
        assert not overlaps, overlaps


def test_hierarchy_title_says_which_grids_are_drawn():
    """A stored snapshot holds every community of the street but the grids of one: the title must
    not claim the street has that many grids."""
    from analysis import network

    nodes = pd.DataFrame(
        [("street:0", "street_office", None)] + [(f"community:{c}", "community", c) for c in range(5)]
        + [(f"grid:{g}", "grid", 0) for g in range(4)], columns=["node", "kind", "community"])
    edges = pd.DataFrame([("street:0", f"community:{c}", "hierarchy") for c in range(5)]
                         + [("community:0", f"grid:{g}", "hierarchy") for g in range(4)],
                         columns=["source", "target", "kind"])
    with style.context():
        title = network.hierarchy_figure(nodes, edges, label="baseline").axes[0].get_title(loc="left")
        assert "5 communities" in title and "grids drawn for community:0 only (4 grids)" in title
        full = network.hierarchy_figure(nodes[nodes["kind"] != "grid"], edges[edges["target"].str[:4] != "grid"])
        assert "grid" not in full.axes[0].get_title(loc="left")
