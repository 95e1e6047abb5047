"""The paper figures, drawn from the results store in the house style (analysis/style.py).

:func:`make_all` writes every figure the experiment's data allows and reports the ones it
skipped and why (e.g. no sensitivity indices, no network snapshot). Each ``fig_*`` function
returns a :class:`matplotlib.figure.Figure` and can be used on its own.

Figures (file stem → content):

``ts_participation``   participation by age group over time, mean and 95 % band per scenario
``ts_satisfaction``    residents satisfied over time against the 95 % target
``ts_workforce``       cadre turnover and vacant posts over time
``ts_admin``           administrative share of cadre (and grid-worker) time
``ts_cost``            spending per resident over time
``scenario_deltas``    paired differences vs baseline with CIs, one panel per key output
``tradeoff_cost``      spending per resident against participation and turnover, per scenario
``sobol_<output>``     S1/ST bars with CIs and the S2 heatmap
``sobol_convergence_<output>``  S1/ST against the base sample size N
``sobol_time_<output>``  S1/ST by simulated year (when yearly periods were analysed)
``morris_<output>``    Morris μ* against σ
``network_community``  one community: residents by participation, grid workers, cadres, organisations
``network_hierarchy``  street office → communities → grids, with organisation ties
``effects_uncertainty``  reform effects over posterior draws × replicates (experiments run with --posterior)
``calibration_*``      a calibration's marginals, pair plot and predictive checks (analysis/calibration.py)
``sbc_coverage``       an SBC's posterior intervals against the truths and the truths' posterior quantiles
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from scipy import stats as _st

from analysis import network, style
from analysis.outputs import OutputCatalog, load_outputs
from analysis.stats import compare_scenarios, scenario_order
from analysis.store import (
    AnalysisError,
    StoreLike,
    available_outputs,
    has_table,
    load_scenarios,
    load_summaries,
    scenario_titles,
    load_timeseries,
    open_store,
    resolve_experiment,
)

__all__ = [
    "TIMESERIES_FIGURES",
    "FigureSet",
    "envelope",
    "fig_morris",
    "fig_scenario_deltas",
    "fig_sobol",
    "fig_sobol_convergence",
    "fig_sobol_over_time",
    "fig_timeseries",
    "fig_tradeoff",
    "load_sensitivity",
    "make_all",
]

#: Time-series figures: stem → (outputs, caption). Outputs missing from the store are left out.
TIMESERIES_FIGURES: dict[str, tuple[tuple[str, ...], str]] = {
    "ts_participation": (
        ("participation_rate", "participation_youth", "participation_middle", "participation_elderly"),
        "Participation in consultations, all residents and by age group",
    ),
    "ts_satisfaction": (("satisfied_share",), "Share of residents satisfied against the 95 % target"),
    "ts_workforce": (("turnover_annual", "vacancy_rate"), "Cadre turnover (12-month window) and vacant posts"),
    "ts_admin": (("admin_share", "grid_admin_share"), "Administrative share of working time"),
    "ts_cost": (("spending_per_resident",), "Community spending per resident"),
}


@dataclass
class FigureSet:
    """What :func:`make_all` wrote: files per figure stem, captions, and skipped figures with reasons."""

    experiment_id: str
    out_dir: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, paths: list[Path], caption: str) -> None:
        self.files[name] = paths
        self.captions[name] = caption

    def skipped_by_reason(self) -> list[tuple[list[str], str]]:
        """Skipped figures grouped by their reason, in first-seen order."""
        groups: dict[str, list[str]] = {}
        for name, why in self.skipped.items():
            groups.setdefault(why, []).append(name)
        return [(names, why) for why, names in groups.items()]

    def png(self, name: str) -> Path | None:
        return next((p for p in self.files.get(name, []) if p.suffix == ".png"), None)


# ----------------------------------------------------------------------------- data helpers


def envelope(ts: pd.DataFrame, *, level: float = 0.95, band: str = "ci") -> pd.DataFrame:
    """Per scenario, output and month: n, mean and a band over replicates.

    ``band="ci"``: Student-t interval of the mean (``mean ± t·s/√n``); ``band="replicates"``:
    the central ``level`` range of the replicate values (percentiles)."""
    if band not in ("ci", "replicates"):
        raise AnalysisError(f"band must be 'ci' or 'replicates', not {band!r}")
    g = ts.groupby(["scenario", "output", "month"], sort=True)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    if band == "ci":
        tq = _st.t.ppf(0.5 + level / 2.0, np.maximum(out["n"].to_numpy() - 1, 1))
        half = np.where(out["n"] > 1, tq * out["sd"].fillna(0.0) / np.sqrt(out["n"]), np.nan)
        out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    else:
        q = g.quantile([0.5 - level / 2.0, 0.5 + level / 2.0]).unstack()
        out["low"], out["high"] = q.iloc[:, 0].to_numpy(), q.iloc[:, 1].to_numpy()
    return out.drop(columns="sd")


def _grid(n: int, width: float) -> tuple[int, int]:
    ncols = min(n, 2 if width < 5 else (4 if n in (4, 7, 8) or n > 9 else 3))
    if n == 4 and width >= 5:
        ncols = 2
    return math.ceil(n / ncols), ncols


def _axes(fig: Figure, nrows: int, ncols: int, n: int, **kw) -> list:
    axs = fig.subplots(nrows, ncols, squeeze=False, **kw).ravel().tolist()
    for ax in axs[n:]:
        ax.remove()
    return axs[:n]


def _legend_shape(labels: Sequence[str], width_in: float) -> tuple[int, int]:
    """Columns and rows of a legend of 7 pt entries that fits the figure's width."""
    longest = max((len(t) for t in labels), default=10)
    fits = max(1, int(width_in * 72 / (7 * 0.62) // (longest + 5)))  # characters of text, handle and gap
    ncols = max(1, min(len(labels), fits, 5))
    return ncols, math.ceil(len(labels) / ncols)


def _scenario_legend(fig: Figure, colors: dict[str, str], *, marker: str | None = None,
                     band_label: str | None = None, labels: dict[str, str] | None = None) -> None:
    handles = [Line2D([], [], color=c, marker=marker, lw=0 if marker else 1.5, label=(labels or {}).get(s, s))
               for s, c in colors.items()]
    if band_label:
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor=style.GREY, alpha=0.3, lw=0, label=f"band: {band_label}"))
    ncols, _ = _legend_shape([h.get_label() for h in handles], fig.get_figwidth())
    fig.legend(handles=handles, loc="outside upper center", ncols=ncols,
               frameon=False, handlelength=1.5, columnspacing=1.2)


# ----------------------------------------------------------------------------- time series


def _label(catalog: OutputCatalog | None, output: str) -> str:
    return (catalog if catalog is not None else OutputCatalog())[output].label


def _cmp_catalog(cmp: pd.DataFrame) -> OutputCatalog:
    cat = cmp.attrs.get("outputs")
    return cat if isinstance(cat, OutputCatalog) else OutputCatalog()


def fig_timeseries(
    env: pd.DataFrame,
    outputs: Sequence[str],
    *,
    colors: dict[str, str],
    width: str | float | None = None,
    target: dict[str, float] | None = None,
    band_label: str = "95 % CI of the mean",
    events: dict[float, str] | None = None,
    catalog: OutputCatalog | None = None,
    labels: dict[str, str] | None = None,
) -> Figure:
    """One panel per output, one line (mean) and band per scenario, month on the x axis; bands
    are clipped to the output's possible range (e.g. 0-100 % for shares). ``target`` maps an
    output to a horizontal reference line (e.g. the 95 % satisfaction target); ``events`` maps a
    month to a vertical line, labelled once above the top row of panels (e.g. when the reforms
    start). ``labels`` names the scenarios in the legend (e.g. by their titles)."""
    cat = catalog if catalog is not None else OutputCatalog()
    outs = [o for o in outputs if o in set(env["output"])]
    if not outs:
        raise AnalysisError(f"none of the outputs {', '.join(outputs)} is in the time series")
    w = style.width_inches(width if width is not None else ("single" if len(outs) == 1 else "double"))
    nrows, ncols = _grid(len(outs), w)
    panel_h = 2.0 if ncols > 1 else 2.3
    names = [(labels or {}).get(sc, sc) for sc in colors] + [f"band: {band_label}"]
    legend_rows = _legend_shape(names, w)[1]
    fig = style.new_figure(w, height=0.3 + 0.16 * legend_rows + panel_h * nrows)
    axs = _axes(fig, nrows, ncols, len(outs), sharex=True)
    for i, (ax, o) in enumerate(zip(axs, outs, strict=True)):
        info = cat[o]
        k = info.scale
        sub = env[env["output"] == o]
        lo_lim, hi_lim = info.natural_range
        for j, (s, c) in enumerate(colors.items()):
            d = sub[sub["scenario"] == s]
            if d.empty:
                continue
            top = c == style.OKABE_ITO["black"]  # the baseline is drawn over the reforms
            low, high = d["low"].clip(lo_lim, hi_lim) * k, d["high"].clip(lo_lim, hi_lim) * k
            ax.fill_between(d["month"], low, high, color=c, alpha=0.15 if top else 0.18, lw=0, zorder=1 + j / 100)
            ax.plot(d["month"], d["mean"] * k, color=c, lw=1.0 if top else 1.2, zorder=5 if top else 3 + j / 100)
        if target and o in target:
            lo, hi = ax.get_ylim()
            ax.set_ylim(lo, max(hi, target[o] * k * 1.06))
            ax.axhline(target[o] * k, color=style.GREY, ls="--", lw=0.9)
            # inside the axes, under the line at its right end: clear of the top edge and the notes above it
            ax.annotate(f"target {target[o] * k:g}{' %' if k == 100 else ''}", xy=(1.0, target[o] * k),
                        xycoords=("axes fraction", "data"), xytext=(-2, -2), textcoords="offset points",
                        ha="right", va="top", fontsize=7, color=style.GREY)
        for month, text in (events or {}).items():
            ax.axvline(month, color=style.GREY, lw=0.6, ls=":", zorder=0)
            if i < ncols:  # labelled above the top row only, outside the data area
                ax.annotate(text, xy=(month, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7, color=style.GREY)
        ax.set_ylabel(_wrap_label(info.axis_label(), panel_h))
        if i >= len(outs) - ncols:
            ax.set_xlabel("Time (months)")
        ax.set_xlim(env["month"].min(), env["month"].max())
        if len(outs) > 1:
            style.panel_label(ax, "abcdefghijklmnop"[i])
    _scenario_legend(fig, colors, band_label=band_label, labels=labels)
    return fig


def _wrap_label(text: str, height_in: float, font_pt: float = 8.0) -> str:
    """Break a y-axis label before its unit when it is longer than the panel is high (a long
    vertical label would otherwise run past the axes into the legend above)."""
    fits = int(height_in * 0.8 * 72 / (font_pt * 0.6))  # characters of DejaVu Sans that fit
    if len(text) <= fits or " (" not in text:
        return text
    name, unit = text.rsplit(" (", 1)
    return f"{name}\n({unit}"


# ----------------------------------------------------------------------------- comparisons


def _delta_scale(info, biggest: float) -> tuple[float, str]:
    """Factor and unit for differences: shares in percentage points, large money in thousands."""
    if info.is_share:
        return 100.0, info.delta_unit
    if np.isfinite(biggest) and biggest >= 1e4 and info.unit:
        return 1e-3, f"thousand {info.unit}"
    return 1.0, info.unit or "model units"


def fig_scenario_deltas(cmp: pd.DataFrame, *, colors: dict[str, str], width: str | float | None = None,
                        labels: dict[str, str] | None = None) -> Figure:
    """Small multiples of paired differences vs baseline (mean and CI), one panel per output;
    shares in percentage points. Scenarios are listed on the left of each row (by ``labels``,
    e.g. their titles, when given)."""
    cat = _cmp_catalog(cmp)
    base = cmp.attrs.get("baseline")
    d = cmp[(cmp["scenario"] != base) & cmp["diff"].notna()]
    if base is None or d.empty:
        raise AnalysisError("no scenario to compare against a baseline")
    outs = list(dict.fromkeys(d["output"]))
    scen = [s for s in colors if s in set(d["scenario"])]
    w = style.width_inches(width if width is not None else "double")
    ncols = min(len(outs), 2 if w < 5 else 4)
    nrows = math.ceil(len(outs) / ncols)
    per = 0.22 if len(scen) <= 6 else 0.14
    if len(scen) > 7:  # colours would repeat; the row labels name the scenarios
        colors = {s: style.OKABE_ITO["blue"] for s in colors}
    fig = style.new_figure(w, height=0.5 + nrows * (0.45 + per * len(scen)))
    axs = _axes(fig, nrows, ncols, len(outs))
    ypos = {s: len(scen) - 1 - i for i, s in enumerate(scen)}
    for i, (ax, o) in enumerate(zip(axs, outs, strict=True)):
        k, du = _delta_scale(cat[o], d.loc[d["output"] == o, ["diff_ci_low", "diff_ci_high", "diff"]].abs().max().max())
        for _, r in d[d["output"] == o].iterrows():
            y = ypos[r["scenario"]]
            lo, hi = r["diff_ci_low"] * k, r["diff_ci_high"] * k
            err = None if not (np.isfinite(lo) and np.isfinite(hi)) else [[r["diff"] * k - lo], [hi - r["diff"] * k]]
            ax.errorbar(r["diff"] * k, y, xerr=err, fmt="o", color=colors[r["scenario"]],
                        ms=3.5 if len(scen) <= 6 else 2.5, lw=1.0, capsize=0)
        ax.axvline(0.0, color=style.GREY, lw=0.6, ls=":")
        names = [(labels or {}).get(s, s) for s in ypos]
        ax.set_yticks(list(ypos.values()), names if i % ncols == 0 else [""] * len(ypos))
        ax.set_ylim(-0.6, len(scen) - 0.4)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_title(cat[o].label, fontsize=7.5)
        # long units wrap, so neighbouring panels' labels cannot run into each other
        ax.set_xlabel(textwrap.fill(f"Δ ({du})", 18 if ncols > 2 else 30, break_long_words=False))
        ax.ticklabel_format(axis="x", style="plain", useOffset=False)
    return fig


def fig_tradeoff(
    cmp: pd.DataFrame,
    *,
    cost: str = "spending_per_resident",
    benefits: Sequence[str] = ("participation_rate", "turnover_annual"),
    colors: dict[str, str],
    width: str | float | None = None,
    max_named: int = 6,
    labels: dict[str, str] | None = None,
) -> Figure:
    """Cost against benefit outputs, one point per scenario with CIs on both axes.

    ``cmp`` is a :func:`analysis.stats.compare_scenarios` frame. With a baseline the points are
    the paired differences from it (the baseline sits at the origin); without one, the scenario
    means. Up to ``max_named`` scenarios are named next to their point (by ``labels``, e.g.
    their titles); more are numbered, with the key under the figure. Labels are moved apart
    with adjustText so that none overlaps another or a point, with a thin leader line where
    one had to move."""
    from adjustText import adjust_text

    names = labels or {}
    present = set(cmp["output"])
    bens = [b for b in benefits if b in present]
    if cost not in present or not bens:
        raise AnalysisError(f"trade-off needs {cost} and one of {', '.join(benefits)} in the summaries")
    base = cmp.attrs.get("baseline")
    paired = base is not None and cmp["diff"].notna().any()
    est, lo, hi = ("diff", "diff_ci_low", "diff_ci_high") if paired else ("mean", "ci_low", "ci_high")
    pts = [s for s in colors if s != base] if paired else list(colors)
    named = len(pts) <= max_named
    w = style.width_inches(width if width is not None else ("double" if len(bens) > 1 else "single"))
    ncols = len(bens) if w >= 5 else 1
    nrows = math.ceil(len(bens) / ncols)
    fig = style.new_figure(w, height=0.5 + 2.4 * nrows + (0 if named else 0.14 * math.ceil(len(pts) / 3)))
    axs = _axes(fig, nrows, ncols, len(bens))
    m = cmp.set_index(["scenario", "output"])
    cat = _cmp_catalog(cmp)
    kx, ux = _delta_scale(cat[cost], 0.0) if paired else (cat[cost].scale, None)
    placed: list[tuple] = []  # (ax, texts, xs, ys)
    for i, (ax, b) in enumerate(zip(axs, bens, strict=True)):
        ky, uy = _delta_scale(cat[b], 0.0) if paired else (cat[b].scale, None)
        texts, xs, ys = [], [], []
        for j, s in enumerate(pts):
            if (s, cost) not in m.index or (s, b) not in m.index:
                continue
            c = colors[s] if named else style.OKABE_ITO["blue"]
            x, y = m.loc[(s, cost)], m.loc[(s, b)]
            xerr = np.nan_to_num([[(x[est] - x[lo]) * kx], [(x[hi] - x[est]) * kx]])
            yerr = np.nan_to_num([[(y[est] - y[lo]) * ky], [(y[hi] - y[est]) * ky]])
            ax.errorbar(x[est] * kx, y[est] * ky, xerr=xerr, yerr=yerr, fmt="o", color=c, ms=3.5, lw=0.8,
                        capsize=0, alpha=0.9)
            xs.append(x[est] * kx)
            ys.append(y[est] * ky)
            texts.append(ax.text(xs[-1], ys[-1], names.get(s, s) if named else str(j + 1), fontsize=7,
                                 color=c if named else "black", ha="left", va="bottom"))
        if paired:
            ax.axhline(0, color=style.GREY, lw=0.6, ls=":")
            ax.axvline(0, color=style.GREY, lw=0.6, ls=":")
            ax.plot([0], [0], marker="o", ms=4, color=style.OKABE_ITO["black"])
            texts.append(ax.text(0, 0, names.get(base, base), fontsize=7, ha="right", va="top"))
            xs.append(0.0)
            ys.append(0.0)
            ax.set_xlabel(f"Δ {cat[cost].label} ({ux})")
            ax.set_ylabel(f"Δ {cat[b].label} ({uy})")
        else:
            ax.set_xlabel(cat[cost].axis_label())
            ax.set_ylabel(cat[b].axis_label())
        if cat[b].direction in ("higher", "lower"):
            ax.set_title(f"{cat[b].direction} = better", fontsize=7, loc="right", color=style.GREY)
        placed.append((ax, texts, xs, ys))
        if len(bens) > 1:
            style.panel_label(ax, "abcdefgh"[i])
    if not named:
        key = "   ".join(f"{j + 1}\u00a0{names.get(s, s)}".replace(" ", "\u00a0")  # no break inside an entry
                         for j, s in enumerate(pts))
        fig.supxlabel(key, fontsize=7, wrap=True)
    fig.draw_without_rendering()  # final axes sizes first: adjustText works in display units
    for ax, texts, xs, ys in placed:
        if texts:
            adjust_text(texts, x=xs, y=ys, ax=ax, expand=(1.15, 1.3), ensure_inside_axes=True, iter_lim=300,
                        arrowprops={"arrowstyle": "-", "lw": 0.4, "color": style.GREY})
    return fig


# ----------------------------------------------------------------------------- sensitivity


def load_sensitivity(con, experiment_id: str) -> pd.DataFrame:
    """Rows of ``sensitivity_indices`` for the experiment; when an index was estimated more than
    once (same method, output, period, statistic, factors and N), the latest estimate is kept."""
    if not has_table(con, "sensitivity_indices"):
        return pd.DataFrame()
    df = con.execute("SELECT * FROM sensitivity_indices WHERE experiment_id = ?", [experiment_id]).df()
    if df.empty:
        return df
    key = ["method", "output", "period", "statistic", "factor", "factor2", "n"]
    df = df.sort_values("created", kind="stable")
    return df.drop_duplicates(key, keep="last").reset_index(drop=True)


def _period_key(period: str) -> tuple[int, int]:
    """Order of preference: the end-of-run summary, then the latest year / window."""
    if period in ("summary", "final"):
        return (2, 0)
    digits = [int(t) for t in period.replace("-", "_").split("_") if t.isdigit()]
    return (1, max(digits) if digits else 0)


def _pick_period(df: pd.DataFrame) -> str | None:
    periods = [str(p) for p in df["period"].dropna().unique()]
    if not periods:
        return None
    return max(periods, key=_period_key)


def _at_period(df: pd.DataFrame, period: str | None) -> pd.DataFrame:
    return df[df["period"].isna()] if period is None else df[df["period"] == period]


def fig_sobol(si: pd.DataFrame, output: str, *, width: str | float | None = None,
              catalog: OutputCatalog | None = None) -> Figure:
    """S1 and ST per factor (bars, 95 % CI whiskers), and S2 as a heatmap when present —
    at the largest sample size in ``si`` (rows of one Sobol analysis, one period)."""
    d = si[si["output"] == output]
    n_max = d["n"].max()
    d = d[d["n"] == n_max]
    first = d[d["statistic"].isin(["S1", "ST"])].pivot_table(index="factor", columns="statistic", values="value")
    conf = d[d["statistic"].isin(["S1", "ST"])].pivot_table(index="factor", columns="statistic", values="conf")
    if first.empty:
        raise AnalysisError(f"no S1/ST indices for {output}")
    order = first.sort_values("ST" if "ST" in first else "S1", ascending=True).index.tolist()
    s2 = d[(d["statistic"] == "S2") & d["factor2"].notna()]
    w = style.width_inches(width if width is not None else "double")
    two = not s2.empty
    h = max(2.2, 0.5 + 0.2 * len(order))
    fig = style.new_figure(w, height=h + (h if two and w < 5 else 0))
    axs = fig.subplots(2 if two and w < 5 else 1, 2 if two and w >= 5 else 1, squeeze=False).ravel()
    ax = axs[0]
    y = np.arange(len(order))
    bars = [("S1", style.OKABE_ITO["blue"], -0.2, "first order S1"), ("ST", style.OKABE_ITO["orange"], 0.2, "total ST")]
    for stat, c, off, lab in bars:
        if stat not in first:
            continue
        vals = first.loc[order, stat].to_numpy()
        err = conf.loc[order, stat].to_numpy() if stat in conf else None
        ax.barh(y + off, vals, height=0.38, color=c, label=lab,
                xerr=None if err is None else np.nan_to_num(err), error_kw={"lw": 0.7, "ecolor": "#333333"})
    ax.set_yticks(y, order)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Sobol index (share of output variance)")
    ax.set_xlim(left=min(0.0, float(np.nanmin(first.to_numpy())) - 0.02))
    ax.axvline(0, color="black", lw=0.6)
    ax.spines["left"].set_visible(False)
    ax.legend(loc="lower right")
    ax.set_title(f"{_label(catalog, output)} — N = {int(n_max)}")
    if two:
        style.panel_label(ax, "a")
        facs = sorted(set(s2["factor"]) | set(s2["factor2"]), key=lambda f: order.index(f) if f in order else -1,
                      reverse=True)
        idx = {f: i for i, f in enumerate(facs)}
        mat = np.full((len(facs), len(facs)), np.nan)
        for _, r in s2.iterrows():
            i, j = idx[r["factor"]], idx[r["factor2"]]
            mat[max(i, j), min(i, j)] = r["value"]
        mat = mat[1:, :-1]  # the strict lower triangle: drop the empty first row and last column
        ax2 = axs[1]
        vmax = max(0.01, float(np.nanmax(np.abs(mat)))) if np.isfinite(mat).any() else 0.01
        im = ax2.imshow(np.ma.masked_invalid(mat), cmap="cividis", vmin=0.0, vmax=vmax, aspect="auto")
        ax2.set_xticks(range(len(facs) - 1), facs[:-1], rotation=45, ha="right")
        ax2.set_yticks(range(len(facs) - 1), facs[1:])
        ax2.tick_params(length=0)
        for sp in ax2.spines.values():
            sp.set_visible(False)
        if len(facs) <= 10:
            for (i, j), v in np.ndenumerate(mat):
                if np.isfinite(v):
                    ax2.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                             color="white" if v < 0.6 * vmax else "black")
        cb = fig.colorbar(im, ax=ax2, shrink=0.8)
        cb.set_label("S2 (share of output variance)")
        cb.outline.set_visible(False)
        ax2.set_title("second-order interactions S2")
        style.panel_label(ax2, "b")
    return fig


def fig_sobol_convergence(si: pd.DataFrame, output: str, *, top: int = 6, width: str | float | None = None,
                          catalog: OutputCatalog | None = None) -> Figure:
    """S1 and ST of the most influential factors against the base sample size N, with 95 % CI bands."""
    d = si[(si["output"] == output) & si["statistic"].isin(["S1", "ST"])]
    ns = sorted(d["n"].dropna().unique())
    if len(ns) < 2:
        raise AnalysisError(f"convergence needs indices at two or more sample sizes for {output}; found {ns}")

    def x_axis(ax, stat):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [str(int(n)) for n in ns])
        ax.minorticks_off()
        ax.set_xlabel("Base sample size N (samples)")
        ax.set_title(f"{_label(catalog, output)}: {stat}")

    return _index_panels(d, d[d["n"] == ns[-1]], x="n", top=top, width=width, x_axis=x_axis)


def _index_panels(d: pd.DataFrame, last: pd.DataFrame, *, x: str, top: int, width, x_axis) -> Figure:
    """One panel per index (S1, ST) with a line and 95 % CI band per factor against column ``x``,
    for the ``top`` factors ranked by ST (else S1) in ``last``; ``x_axis(ax, stat)`` labels x."""
    rank_stat = "ST" if (last["statistic"] == "ST").any() else "S1"
    factors = last[last["statistic"] == rank_stat].sort_values("value", ascending=False)["factor"].head(top).tolist()
    fcol = style.scenario_colors(factors, baseline=None)
    stats_ = [s for s in ("S1", "ST") if (d["statistic"] == s).any()]
    w = style.width_inches(width if width is not None else "double")
    fig = style.new_figure(w, height=2.5 if w >= 5 else 2.2 * len(stats_) + 0.4)
    axs = _axes(fig, 1 if w >= 5 else len(stats_), len(stats_) if w >= 5 else 1, len(stats_), sharey=True)
    for i, (ax, stat) in enumerate(zip(axs, stats_, strict=True)):
        for f in factors:
            r = d[(d["statistic"] == stat) & (d["factor"] == f)].sort_values(x)
            ax.plot(r[x], r["value"], marker="o", ms=2.5, color=fcol[f], lw=1.0)
            if r["conf"].notna().any():
                ax.fill_between(r[x], r["value"] - r["conf"].fillna(0), r["value"] + r["conf"].fillna(0),
                                color=fcol[f], alpha=0.15, lw=0)
        x_axis(ax, stat)
        ax.set_ylabel(f"{stat} (share of output variance)")
        style.panel_label(ax, "ab"[i])
    handles = [Line2D([], [], color=fcol[f], lw=1.5, label=f) for f in factors]
    fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 6), frameon=False)
    return fig


def _year(period: str) -> int | None:
    if period.startswith("year_") and period[5:].isdigit():
        return int(period[5:])
    return None


def fig_sobol_over_time(si: pd.DataFrame, output: str, *, top: int = 6, width: str | float | None = None,
                        catalog: OutputCatalog | None = None) -> Figure:
    """Time-resolved S1 and ST (periods ``year_1`` … ``year_K``) of the most influential factors,
    at the largest N of each period, with 95 % CI bands."""
    d = si[(si["output"] == output) & si["statistic"].isin(["S1", "ST"])].copy()
    d["year"] = [_year(str(p)) for p in d["period"]]
    d = d[d["year"].notna()]
    if d["year"].nunique() < 2:
        raise AnalysisError(f"time-resolved indices need two or more yearly periods (year_N) for {output}")
    d = d[d["n"] == d.groupby("period")["n"].transform("max")]

    def x_axis(ax, stat):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Year of simulation (years)")
        ax.set_title(f"{_label(catalog, output)}: {stat} by year")

    return _index_panels(d, d[d["year"] == d["year"].max()], x="year", top=top, width=width, x_axis=x_axis)


def fig_morris(si: pd.DataFrame, output: str, *, label_top: int = 8, width: str | float | None = None,
               catalog: OutputCatalog | None = None) -> Figure:
    """Morris screening: μ* against σ per factor, in the output's units."""
    rows = si[si["output"] == output]
    d = rows.pivot_table(index="factor", columns="statistic", values="value")
    conf = rows[rows["statistic"] == "mu_star"].set_index("factor")["conf"]
    if "mu_star" not in d or "sigma" not in d:
        raise AnalysisError(f"Morris plot needs mu_star and sigma for {output}")
    info = (catalog if catalog is not None else OutputCatalog())[output]
    k = info.scale
    u = info.delta_unit or "model units"
    fig = style.new_figure(width if width is not None else "single", aspect=0.85)
    ax = fig.subplots()
    x, y = d["mu_star"] * k, d["sigma"] * k
    xerr = conf.reindex(d.index).to_numpy(dtype=float) * k
    ax.errorbar(x, y, xerr=np.where(np.isfinite(xerr), xerr, 0.0), fmt="o", ms=3.5, lw=0.8, capsize=0,
                color=style.OKABE_ITO["blue"], zorder=3)
    lim = 1.08 * float(np.nanmax([(x + np.nan_to_num(xerr)).max(), y.max(), 1e-12]))
    ax.plot([0, lim], [0, lim], color=style.GREY, ls="--", lw=0.7)
    ax.text(0.97, 0.80, "σ = μ*", transform=ax.transAxes, ha="right", va="top", fontsize=7, color=style.GREY)
    for f in d["mu_star"].sort_values(ascending=False).head(label_top).index:
        ax.annotate(f, (x[f], y[f]), xytext=(3, 2), textcoords="offset points", fontsize=7)
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel(f"μ*, mean |elementary effect| ({u})")  # whiskers: 95 % CI of μ* when stored
    ax.set_ylabel(f"σ of elementary effects ({u})")
    ax.set_title(info.label)
    return fig


# ----------------------------------------------------------------------------- make_all


def make_all(
    store: StoreLike,
    experiment_id: str | None = None,
    out_dir: str | PathLike | None = None,
    *,
    formats: Iterable[str] = style.FORMATS,
    width: str | float | None = None,
    baseline: str = "baseline",
    level: float = 0.95,
    band: str = "ci",
) -> FigureSet:
    """Write every figure the experiment's data supports to ``out_dir`` (default
    ``results/figures/<experiment_id>``) in each of ``formats``. ``width`` forces one width
    (``"single"``, ``"double"`` or inches) on all figures; by default each takes its natural
    width. Returns a :class:`FigureSet`; figures that cannot be drawn are listed in ``skipped``
    with the reason."""
    fmts = style.check_formats(formats)
    if width is not None:
        style.width_inches(width)
    with open_store(store) as con:
        exp = resolve_experiment(con, experiment_id)
        out = Path(out_dir) if out_dir is not None else Path("results") / "figures" / exp
        fs = FigureSet(experiment_id=exp, out_dir=out)
        outs_summ = available_outputs(con, exp, "summaries")
        catalog = load_outputs(con, exp)
        kind = con.execute("SELECT kind FROM experiments WHERE experiment_id = ?", [exp]).fetchone()[0]
        with style.context():
            if kind in ("calibration", "sbc"):  # posteriors, predictive checks, coverage: no scenarios
                from analysis.calibration import calibration_figures

                calibration_figures(con, exp, fs, fmts=fmts, width=width)
                return fs
            _scenario_figures(con, exp, fs, outs_summ, fmts=fmts, width=width, baseline=baseline,
                              level=level, band=band, catalog=catalog)
            _effects_figure(con, exp, fs, fmts=fmts, width=width, baseline=baseline, catalog=catalog)
            _sensitivity_figures(con, exp, fs, fmts=fmts, width=width, catalog=catalog)
            _network_figures(con, exp, fs, fmts=fmts, width=width, baseline=baseline)
    return fs


def _effects_figure(con, exp, fs: FigureSet, *, fmts, width, baseline, catalog: OutputCatalog) -> None:
    """Reform effects under parameter uncertainty, for an experiment run with posterior draws."""
    from analysis.calibration import LEVEL, effect_uncertainty, fig_effects
    from analysis.store import experiment_info

    if not (experiment_info(con, exp).get("spec") or {}).get("draws"):
        return
    outs = catalog.key_outputs(available_outputs(con, exp, "summaries"))
    _attempt(fs, "effects_uncertainty", lambda: fig_effects(effect_uncertainty(con, exp, outs, baseline=baseline),
                                                            catalog, width=width),
             f"Reform effects over posterior draws × replicates: mean (dot) and central {LEVEL:.0%} interval, with "
             "the parameters' share of the variance at the right", fmts)


#: Most scenarios drawn in one time-series figure (the baseline and the six largest changes).
MAX_TS_SCENARIOS = 7


def _ts_scenarios(summ: pd.DataFrame, order: list[str], baseline: str, output: str,
                  label: str | None = None) -> tuple[list[str], str]:
    """All scenarios when few; else the baseline and those whose mean summary of ``output``
    differs most from the baseline's (the rest are in ``scenario_deltas``)."""
    if len(order) <= MAX_TS_SCENARIOS or baseline not in order:
        return order, ""
    m = summ[summ["output"] == output].groupby("scenario")["value"].mean()
    if baseline not in m.index:
        return order[:MAX_TS_SCENARIOS], f" Showing {MAX_TS_SCENARIOS} of {len(order)} scenarios."
    change = (m.drop(baseline) - m[baseline]).abs().sort_values(ascending=False)
    keep = set(change.index[: MAX_TS_SCENARIOS - 1])
    shown = [s for s in order if s == baseline or s in keep]
    return shown, (f" Showing the baseline and the {len(shown) - 1} of {len(order) - 1} reforms that change "
                   f"{(label or output).lower()} most; all scenarios are compared in scenario_deltas.")


def _has_design_points(con, exp: str) -> bool:
    """True when some scenario has several successful runs for one replicate (a design)."""
    row = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM runs WHERE experiment_id = ? AND status = 'ok' "
        "GROUP BY scenario, replicate HAVING count(*) > 1 LIMIT 1)", [exp]).fetchone()
    return bool(row and row[0])


def _reform_start(con, exp: str, baseline: str) -> float | None:
    """The month at which every reform's scheduled changes begin, when they all begin at the
    same month and the baseline has no schedule (None otherwise)."""
    scen = load_scenarios(con, exp)
    if scen.empty:
        return None
    firsts = set()
    for name, sched in zip(scen["scenario"], scen["schedule"], strict=True):
        months = [e[0] for e in (sched or []) if isinstance(e, (list, tuple)) and e
                  and isinstance(e[0], (int, float))]
        if name == baseline:
            if months:
                return None
            continue
        if not months:
            return None
        firsts.add(min(months))
    return float(firsts.pop()) if len(firsts) == 1 else None


def _scenario_figures(con, exp, fs: FigureSet, outs_summ, *, fmts, width, baseline, level, band,
                      catalog: OutputCatalog) -> None:
    names = list(TIMESERIES_FIGURES) + ["scenario_deltas", "tradeoff_cost"]
    if _has_design_points(con, exp):  # checked first: a design's summaries can be large
        for n in names:
            fs.skipped[n] = (f"experiment {exp} has several design points per scenario and replicate; "
                             "scenario figures need one run per scenario and replicate")
        return
    ts_outs = sorted({o for outs, _ in TIMESERIES_FIGURES.values() for o in outs} & set(outs_summ))
    summ = load_summaries(con, exp, ts_outs or outs_summ[:1])
    if summ.empty:
        for n in names:
            fs.skipped[n] = "the experiment has no successful runs"
        return
    summ["scenario"] = summ["scenario"].fillna("(none)").astype(str)
    order = scenario_order(summ["scenario"].unique(), baseline)
    colors = style.scenario_colors(order, baseline)
    titles = scenario_titles(con, exp)
    start = _reform_start(con, exp, baseline)
    events = {start: f"reforms from month {start:g}"} if start is not None else None
    # time series
    wanted = sorted({o for outs, _ in TIMESERIES_FIGURES.values() for o in outs})
    ts = load_timeseries(con, exp, wanted)
    ts["scenario"] = ts["scenario"].fillna("(none)").astype(str)
    env = envelope(ts, level=level, band=band) if not ts.empty else ts
    band_label = f"{level:.0%} CI of the mean" if band == "ci" else f"central {level:.0%} of replicates"
    for name, (outs, caption) in TIMESERIES_FIGURES.items():
        present = [o for o in outs if not env.empty and o in set(env["output"])]
        if not present:
            fs.skipped[name] = f"none of {', '.join(outs)} is in the stored time series"
            continue
        target = {o: t for o, t in catalog.targets().items() if o in present} or None
        shown, note = _ts_scenarios(summ, order, baseline, present[0], catalog[present[0]].label)
        # colours: the full palette order when all scenarios are shown, else re-assigned so none repeats
        fig_colors = colors if len(shown) == len(order) else style.scenario_colors(shown, baseline)
        fig = fig_timeseries(env, present, colors=fig_colors, width=width, target=target, band_label=band_label,
                             events=events, catalog=catalog, labels=titles)
        fs.add(name, style.save(fig, fs.out_dir, name, fmts),
               f"{caption}; mean over replicates with {band_label}.{note}")
    # comparison
    key = catalog.key_outputs(outs_summ) or outs_summ
    if len(order) < 2 or baseline not in order:
        why = "only one scenario" if len(order) < 2 else f"no baseline scenario {baseline!r}"
        fs.skipped["scenario_deltas"] = f"{why} in experiment {exp}"
        cmp = compare_scenarios(con, exp, outputs=key, baseline=None, level=level)
    else:
        cmp = compare_scenarios(con, exp, outputs=key, baseline=baseline, level=level)
        fig = fig_scenario_deltas(cmp, colors=colors, width=width, labels=titles)
        fs.add("scenario_deltas", style.save(fig, fs.out_dir, "scenario_deltas", fmts),
               f"Paired differences from {baseline} (same seeds per replicate) with {level:.0%} t intervals.")
    cost_out = ["spending_per_resident", "participation_rate", "turnover_annual"]
    if "spending_per_resident" in outs_summ and {"participation_rate", "turnover_annual"} & set(outs_summ):
        paired = len(order) > 1 and baseline in order
        tc = compare_scenarios(con, exp, outputs=[o for o in cost_out if o in outs_summ],
                               baseline=baseline if paired else None, level=level)
        fig = fig_tradeoff(tc, colors=colors, width=width, labels=titles)
        what = (f"paired differences from {baseline} (same seeds per replicate)" if paired else "scenario means")
        fs.add("tradeoff_cost", style.save(fig, fs.out_dir, "tradeoff_cost", fmts),
               f"Cost against participation and cadre turnover across reform packages: {what}, "
               f"{level:.0%} t intervals on both axes.")
    else:
        fs.skipped["tradeoff_cost"] = "needs spending_per_resident and participation_rate or turnover_annual"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def _attempt(fs: FigureSet, name: str, build, caption: str, fmts) -> None:
    """Draw and save figure ``name``; a figure the data cannot support is listed as skipped."""
    try:
        fig = build()
    except AnalysisError as exc:
        fs.skipped[name] = str(exc)
        return
    fs.add(name, style.save(fig, fs.out_dir, name, fmts), caption)


def _sensitivity_figures(con, exp, fs: FigureSet, *, fmts, width, catalog: OutputCatalog) -> None:
    si = load_sensitivity(con, exp)
    if si.empty:
        fs.skipped["sobol"] = f"no sensitivity indices for experiment {exp} (table sensitivity_indices)"
        return
    for method, stem in (("sobol", "sobol"), ("morris", "morris")):
        m = si[si["method"].str.lower() == method]
        if m.empty:
            fs.skipped[stem] = f"no {method} indices for experiment {exp}"
            continue
        all_periods = m
        period = _pick_period(m)
        m = _at_period(m, period)
        when = f" (period {period})" if period else ""
        for out in sorted(m["output"].unique()):
            label, safe = catalog[out].label, _safe(out)
            if method == "morris":
                _attempt(fs, f"morris_{safe}", lambda: fig_morris(m, out, width=width, catalog=catalog),
                         f"Morris screening of {label}{when}: μ* (importance) against σ "
                         "(interactions / non-linearity).", fmts)
                continue
            _attempt(fs, f"sobol_{safe}", lambda: fig_sobol(m, out, width=width, catalog=catalog),
                     f"Sobol indices of {label}{when}: first-order S1 and total ST with 95 % "
                     "confidence intervals, and second-order S2.", fmts)
            _attempt(fs, f"sobol_convergence_{safe}", lambda: fig_sobol_convergence(m, out, width=width,
                                                                                          catalog=catalog),
                     f"Convergence of the Sobol indices of {label}{when} with the base sample "
                     "size N (bands: 95 % confidence intervals).", fmts)
            years = {_year(str(p)) for p in all_periods.loc[all_periods["output"] == out, "period"].dropna()}
            if len(years - {None}) >= 2:
                _attempt(fs, f"sobol_time_{safe}", lambda: fig_sobol_over_time(all_periods, out, width=width,
                                                                                           catalog=catalog),
                         f"Time-resolved Sobol indices of {label}: S1 and ST of the yearly means "
                         "(bands: 95 % confidence intervals).", fmts)


def _network_figures(con, exp, fs: FigureSet, *, fmts, width, baseline) -> None:
    if not network.has_snapshot(con, exp):
        msg = (f"no network snapshot for experiment {exp} (tables network_snapshot / network_edges; "
               "written by the engine for the first replicate of each scenario)")
        fs.skipped["network_community"] = msg
        fs.skipped["network_hierarchy"] = msg
        return
    snap = network.load_snapshot(con, exp)
    for name, fn, caption in (
        ("network_community", network.fig_community,
         "One community: residents coloured by participation in the latest consultation, grid workers, "
         "cadres and social organisations (first replicate)."),
        ("network_hierarchy", network.fig_hierarchy,
         "Governance hierarchy: street office → communities → grids, with social-organisation service ties "
         "(first replicate)."),
    ):
        _attempt(fs, name, lambda: fn(snap, baseline=baseline, width=width), caption, fmts)
