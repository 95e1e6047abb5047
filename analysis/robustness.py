"""Which reform holds up across futures: regret, satisficing, mean and worst decile.

Reads a robustness experiment from the store (``experiments.engine.run_futures``: every
reform in every future, replicate ``r`` of future ``f`` on one seed for all reforms) and
summarises, per reform:

* **satisficing share** — the share of futures in which the reform meets every threshold the
  user declares (e.g. ``satisfied_share >= 0.3`` and ``turnover_annual <= 0.15``), with a
  Wilson interval over futures;
* per objective (an output with a direction): the **mean** over futures, the **worst
  decile** (mean of the worst 10 % of futures, ``worst=``), and the **regret** — in each
  future, how far the reform falls short of the best reform *in that future*
  (``max_r y_r − y`` when higher is better, ``y − min_r y_r`` when lower is better;
  Savage's minimax-regret criterion) — as its mean, 90th percentile and maximum, and the
  share of futures in which the reform is the best.

A reform's outcome in a future is the mean of its replicates' run summaries. Only replicates
that every reform completed are used (so each comparison stays on common random numbers); a
future with no such replicate is left out of every reform's statistics and reported in
``dropped``.

Never runs the model and never imports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.objectives import Condition, ObjectiveError, declared_directions, resolve_directions
from analysis.outputs import OutputCatalog, load_outputs
from analysis.store import (
    EmptyResultError,
    StoreLike,
    UnknownOutputError,
    available_outputs,
    experiment_info,
    load_design_inputs,
    load_runs,
    load_summaries,
    open_store,
    resolve_experiment,
    scenario_title,
    scenario_titles,
)
from analysis.style import OKABE_ITO, context, new_figure, panel_label, save

__all__ = ["Robustness", "analyze", "fig_outcomes", "fig_regret", "regret", "satisficing_share", "worst_mean",
           "write_robustness"]


@dataclass
class Robustness:
    """The robustness of each reform, and the per-future numbers behind it."""

    experiment_id: str
    reforms: list[str]
    values: pd.DataFrame  # reform, future, output, value, n_replicates
    regret: pd.DataFrame  # reform, future, output, direction, value, best, regret
    satisficing: pd.DataFrame  # reform, n_futures, n_satisfied, share, ci_low, ci_high
    satisfied: pd.DataFrame  # index future, columns reform: every threshold met
    objectives: pd.DataFrame  # reform, output, direction, source, n_futures, mean, worst_mean, regret_*, best_share
    thresholds: tuple[Condition, ...]
    directions: dict[str, tuple[str, str]]
    futures: pd.DataFrame  # the futures' factor values (index future)
    dropped: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    worst: float = 0.1
    outputs: OutputCatalog = field(default_factory=OutputCatalog)  # declarations stored with the experiment
    titles: dict[str, str] = field(default_factory=dict)  # reform → its title, as stored

    def title(self, reform: str) -> str:
        """The reform's readable title (stored with the experiment, else from its name)."""
        return self.titles.get(reform) or scenario_title(reform)

    def order(self) -> list[str]:
        """Reforms from most to least robust: satisficing share, then mean regret of the first
        objective (lower first), then name."""
        key: dict[str, tuple] = {r: (0.0, 0.0, r) for r in self.reforms}
        first = self.objectives["output"].iloc[0] if len(self.objectives) else None
        for r in self.reforms:
            share = 0.0
            if len(self.satisficing):
                share = float(self.satisficing.set_index("reform").loc[r, "share"])
            reg = 0.0
            if first is not None:
                o = self.objectives[(self.objectives["reform"] == r) & (self.objectives["output"] == first)]
                reg = float(o["regret_mean"].iloc[0])
            key[r] = (-share, reg, r)
        return sorted(self.reforms, key=lambda r: key[r])


# ------------------------------------------------------------------------------ pure statistics
def regret(values: pd.DataFrame, direction: str) -> pd.DataFrame:
    """Regret of each reform (column) in each future (row): its shortfall from the best
    reform of that row. ``direction`` ``"max"`` (higher is better) or ``"min"``."""
    if direction == "max":
        return values.max(axis=1).to_numpy()[:, None] - values
    if direction == "min":
        return values - values.min(axis=1).to_numpy()[:, None]
    raise ObjectiveError(f"direction must be 'max' or 'min', not {direction!r}")


def worst_mean(x: Sequence[float], direction: str, fraction: float = 0.1) -> float:
    """Mean of the worst ``ceil(fraction·n)`` values: the lowest when higher is better."""
    a = np.sort(np.asarray(x, dtype=float))
    if not len(a):
        return math.nan
    k = max(1, math.ceil(fraction * len(a) - 1e-9))
    return float(a[:k].mean() if direction == "max" else a[-k:].mean())


def satisficing_share(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Share ``k/n`` with its Wilson score interval."""
    from scipy.stats import binomtest

    if n == 0:
        return math.nan, math.nan, math.nan
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return k / n, float(ci.low), float(ci.high)


# ------------------------------------------------------------------------------ from the store
def _reform_order(info: Mapping[str, Any], runs: pd.DataFrame) -> list[str]:
    spec = info.get("spec") or {}
    names = [r["name"] for r in spec.get("reforms") or []]
    present = list(dict.fromkeys(runs["scenario"].tolist()))
    return [n for n in names if n in present] + [n for n in present if n not in names]


def analyze(store: StoreLike, experiment_id: str | None = None, *, satisfice: Iterable[Condition] = (),
            maximize: Iterable[str] = (), minimize: Iterable[str] = (), objectives: Iterable[str] = (),
            worst: float = 0.1, level: float = 0.95, reforms: Sequence[str] | None = None) -> Robustness:
    """Robustness of the reforms of ``experiment_id`` (default: the latest experiment).

    ``satisfice``: thresholds every one of which a future must meet; ``maximize`` /
    ``minimize``: objectives with the user's direction; ``objectives``: objectives whose
    direction is declared in the store. Outputs named only in a threshold become objectives
    with the direction the threshold implies. ``reforms`` restricts (and orders) the reforms
    compared. Raises :class:`ObjectiveError` when nothing says what is better.
    """
    thresholds = tuple(satisfice)
    if not 0 < worst <= 0.5:
        raise ObjectiveError(f"worst must be a fraction in (0, 0.5], got {worst}")
    if not 0 < level < 1:
        raise ObjectiveError(f"level must be in (0, 1), got {level}")
    with open_store(store) as con:
        exp = resolve_experiment(con, experiment_id)
        info = experiment_info(con, exp)
        declared = declared_directions(con, exp)
        directions = resolve_directions(maximize=maximize, minimize=minimize, objectives=objectives,
                                        thresholds=thresholds, declared=declared)
        if not directions and not thresholds:
            raise ObjectiveError("say what is better: --maximize/--minimize OUTPUT, or thresholds with --satisfice "
                                 "(e.g. 'satisfied_share>=0.3')")
        outputs = list(dict.fromkeys([*directions, *(t.output for t in thresholds)]))
        known = available_outputs(con, exp)
        unknown = [o for o in outputs if o not in known]
        if unknown:
            raise UnknownOutputError(f"output {unknown[0]!r} is not in experiment {exp}; it has: {', '.join(known)}")
        runs = load_runs(con, exp)
        summ = load_summaries(con, exp, outputs)
        futures = load_design_inputs(con, exp)
        catalog = load_outputs(con, exp)
        titles = scenario_titles(con, exp)
    if runs.empty:
        raise EmptyResultError(f"experiment {exp} has no runs yet")
    if runs["design_point"].isna().all():
        raise EmptyResultError(f"experiment {exp} has no futures (no design points): run 'govsim robustness run'")
    order = _reform_order(info, runs)
    if reforms:
        missing = [r for r in reforms if r not in order]
        if missing:
            raise ObjectiveError(f"reform {missing[0]!r} is not in experiment {exp}; it has: {', '.join(order)}")
        order = list(dict.fromkeys(reforms))
        summ = summ[summ["scenario"].isin(order)]
    if len(order) < 2:
        raise EmptyResultError(f"experiment {exp} compares {len(order)} reform(s); robustness needs at least two")
    wide = summ.pivot_table(index=["scenario", "design_point", "replicate"], columns="output", values="value",
                            aggfunc="first")
    wide = wide.reindex(columns=outputs)
    complete = wide.notna().all(axis=1) & np.isfinite(wide.to_numpy(dtype=float)).all(axis=1)
    wide = wide[complete]
    counts = wide.reset_index().groupby(["design_point", "replicate"])["scenario"].nunique()
    keep = counts[counts == len(order)].index
    all_futures = sorted(int(f) for f in runs["design_point"].dropna().unique())
    wide = wide.reset_index().set_index(["design_point", "replicate"])
    wide = wide[wide.index.isin(keep)].reset_index()
    kept_futures = sorted(int(f) for f in wide["design_point"].unique())
    dropped = {"futures_without_complete_replicate": [f for f in all_futures if f not in kept_futures],
               "replicates_left_out": int(len(counts) - len(keep))}
    if not kept_futures:
        raise EmptyResultError(f"experiment {exp}: no future has a replicate completed by every reform "
                               "(interrupted? resume it first)")
    means = wide.groupby(["scenario", "design_point"])[outputs].mean()
    nrep = wide.groupby(["scenario", "design_point"]).size().rename("n_replicates")
    values = (means.stack().rename("value").reset_index()
              .rename(columns={"scenario": "reform", "design_point": "future", "level_2": "output"}))
    values.columns = ["reform", "future", "output", "value"]
    values = values.merge(nrep.reset_index().rename(columns={"scenario": "reform", "design_point": "future"}),
                          on=["reform", "future"])
    values["future"] = values["future"].astype(int)

    reg_rows, obj_rows = [], []
    for out, (direction, source) in directions.items():
        table = values[values["output"] == out].pivot(index="future", columns="reform", values="value")[order]
        best = table.max(axis=1) if direction == "max" else table.min(axis=1)
        rg = regret(table, direction)
        for r in order:
            reg_rows.append(pd.DataFrame({"reform": r, "future": table.index, "output": out, "direction": direction,
                                          "value": table[r].to_numpy(), "best": best.to_numpy(),
                                          "regret": rg[r].to_numpy()}))
            x, g = table[r].to_numpy(), rg[r].to_numpy()
            obj_rows.append({"reform": r, "output": out, "direction": direction, "source": source,
                             "n_futures": len(x), "mean": float(x.mean()),
                             "worst_mean": worst_mean(x, direction, worst),
                             "regret_mean": float(g.mean()), "regret_p90": float(np.quantile(g, 0.9)),
                             "regret_max": float(g.max()), "best_share": float(np.mean(g <= 0.0))})
    regret_df = pd.concat(reg_rows, ignore_index=True) if reg_rows else pd.DataFrame(
        columns=["reform", "future", "output", "direction", "value", "best", "regret"])
    obj_df = pd.DataFrame(obj_rows, columns=["reform", "output", "direction", "source", "n_futures", "mean",
                                             "worst_mean", "regret_mean", "regret_p90", "regret_max", "best_share"])

    sat = pd.DataFrame(index=pd.Index(kept_futures, name="future"))
    sat_rows = []
    if thresholds:
        for r in order:
            ok = np.ones(len(kept_futures), dtype=bool)
            for t in thresholds:
                v = values[(values["reform"] == r) & (values["output"] == t.output)].set_index("future")["value"]
                ok &= t.holds(v.reindex(kept_futures).to_numpy())
            sat[r] = ok
            share, lo, hi = satisficing_share(int(ok.sum()), len(ok), level)
            sat_rows.append({"reform": r, "n_futures": len(ok), "n_satisfied": int(ok.sum()), "share": share,
                             "ci_low": lo, "ci_high": hi})
    sat_df = pd.DataFrame(sat_rows, columns=["reform", "n_futures", "n_satisfied", "share", "ci_low", "ci_high"])
    if not futures.empty:
        futures = futures.loc[futures.index.isin(kept_futures)]
    return Robustness(experiment_id=exp, reforms=order, values=values, regret=regret_df, satisficing=sat_df,
                      satisfied=sat, objectives=obj_df, thresholds=thresholds, directions=directions,
                      futures=futures, dropped=dropped, level=level, worst=worst, outputs=catalog,
                      titles=titles)


# ------------------------------------------------------------------------------ figures
def _value_axis(res: Robustness, output: str, *, delta: bool) -> tuple[float, str]:
    info = res.outputs[output]
    return info.scale, info.axis_label(delta=delta)


def _reform_label(res: Robustness, name: str) -> str:
    """The reform's title for a tick label, broken onto a second line when long."""
    import textwrap

    return "\n".join(textwrap.wrap(res.title(name), 28)) or name


def threshold_text(t: Condition, outputs: OutputCatalog | None = None) -> str:
    """A threshold in words and display units (from the stored declarations), e.g.
    ``Residents satisfied ≥ 30 %``; an undeclared output is named as it is stored."""
    info = (outputs or OutputCatalog())[t.output]
    op = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}[t.op]
    if info.is_share:
        return f"{info.label} {op} {100 * t.value:g} %"
    return f"{info.label} {op} {t.value:g}" + (f" {info.unit}" if info.unit else "")


def _grid_axes(n_panels: int, n_rows_of_bars: int, width: str | float | None):
    ncols = 1 if n_panels == 1 else 2
    nrows = math.ceil(n_panels / ncols)
    w = width or ("double" if ncols > 1 else "single")
    fig = new_figure(w, height=nrows * (0.85 + 0.26 * n_rows_of_bars))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes[:n_panels]), ncols


def _reform_ticks(res: Robustness, axes: list, ncols: int, ypos: np.ndarray, order: list[str]) -> None:
    for i, ax in enumerate(axes):
        ax.set_ylim(ypos.min() - 0.6, ypos.max() + 0.6)
        if i % ncols == 0:
            ax.set_yticks(ypos, [_reform_label(res, r) for r in order])
        else:
            ax.set_yticks(ypos, [""] * len(order))
            ax.tick_params(axis="y", left=False)


def fig_regret(res: Robustness, *, width: str | float | None = None, max_objectives: int = 5) -> Figure:
    """Satisficing share per reform (with its interval) and the regret of each reform over the
    futures per objective (box: quartiles, whiskers: 10th–90th percentile, ◆: mean)."""
    order = res.order()
    outs = list(res.objectives["output"].drop_duplicates())[:max_objectives]
    has_sat = bool(len(res.satisficing))
    ypos = np.arange(len(order))[::-1].astype(float)
    with context():
        fig, axes, ncols = _grid_axes(int(has_sat) + len(outs), len(order), width)
        letters = iter("abcdefgh")
        if has_sat:
            ax = axes[0]
            s = res.satisficing.set_index("reform").loc[order]
            ax.barh(ypos, 100 * s["share"], color=OKABE_ITO["bluish_green"], height=0.6)
            ax.errorbar(100 * s["share"], ypos, xerr=[100 * (s["share"] - s["ci_low"]),
                                                      100 * (s["ci_high"] - s["share"])],
                        fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
            ax.set_xlim(0, 100)
            ax.set_xlabel(f"Futures meeting every threshold (%, {int(100 * res.level)} % CI)")
            met = "\n".join(threshold_text(t, res.outputs) for t in res.thresholds)
            ax.set_title("Satisficing — every threshold met:\n" + met, fontsize=7)
            panel_label(ax, next(letters))
        for ax, out in zip(axes[int(has_sat):], outs, strict=True):
            direction = res.directions[out][0]
            k, xlabel = _value_axis(res, out, delta=True)
            data = [k * res.regret[(res.regret["output"] == out) & (res.regret["reform"] == r)]["regret"].to_numpy()
                    for r in order]
            ax.boxplot(data, positions=ypos, orientation="horizontal", whis=(10, 90), widths=0.55, showfliers=False,
                       patch_artist=True, boxprops=dict(facecolor=OKABE_ITO["sky_blue"], linewidth=0.6),
                       medianprops=dict(color="black", linewidth=0.8), whiskerprops=dict(linewidth=0.6),
                       capprops=dict(linewidth=0.6), manage_ticks=False)
            ax.plot([d.mean() for d in data], ypos, "D", color=OKABE_ITO["vermillion"], markersize=3.5)
            ax.set_xlim(left=0)
            ax.set_xlabel("Regret: " + xlabel)
            better = "higher" if direction == "max" else "lower"
            ax.set_title(f"{res.outputs.label(out)} — {better} is better", fontsize=7)
            panel_label(ax, next(letters))
        _reform_ticks(res, axes, ncols, ypos, order)
    return fig


def fig_outcomes(res: Robustness, *, width: str | float | None = None, max_objectives: int = 6) -> Figure:
    """Each reform's outcome in every future (dots), its mean (|) and worst-decile mean (◆),
    with the threshold where one applies."""
    order = res.order()
    outs = list(dict.fromkeys([*res.objectives["output"], *(t.output for t in res.thresholds)]))[:max_objectives]
    ypos = np.arange(len(order))[::-1].astype(float)
    rng = np.random.default_rng(0)  # jitter only; fixed so the figure is reproducible
    with context():
        fig, axes, ncols = _grid_axes(len(outs), len(order), width)
        for j, (ax, out) in enumerate(zip(axes, outs, strict=True)):
            k, xlabel = _value_axis(res, out, delta=False)
            direction = res.directions.get(out, (None, ""))[0]
            for y, r in zip(ypos, order, strict=True):
                v = k * res.values[(res.values["output"] == out) & (res.values["reform"] == r)]["value"].to_numpy()
                ax.plot(v, y + rng.uniform(-0.2, 0.2, len(v)), "o", color=OKABE_ITO["blue"], alpha=0.35,
                        markersize=2.2, markeredgewidth=0)
                ax.plot([v.mean()], [y], "|", color="black", markersize=10, markeredgewidth=1.4)
                if direction:
                    ax.plot([worst_mean(v, direction, res.worst)], [y], "D", color=OKABE_ITO["vermillion"],
                            markersize=3.5)
            for t in res.thresholds:
                if t.output == out:
                    ax.axvline(k * t.value, color=OKABE_ITO["bluish_green"], linestyle="--", linewidth=0.9)
            ax.set_xlabel(xlabel)
            better = f" — {'higher' if direction == 'max' else 'lower'} is better" if direction else ""
            ax.set_title(res.outputs.label(out) + better, fontsize=7)
            panel_label(ax, "abcdefgh"[j])
        _reform_ticks(res, axes, ncols, ypos, order)
    return fig


# ------------------------------------------------------------------------------ files
def _fmt(res: Robustness, output: str, v: float, *, delta: bool = False) -> str:
    if v != v:
        return "—"
    if res.outputs[output].is_share:
        return f"{100 * v:.1f} {'pp' if delta else '%'}"
    return f"{v:.3g}"


def summary_markdown(res: Robustness) -> str:
    """The robustness tables as Markdown (the same numbers as the CSV files)."""
    lines = [f"# Robustness of reforms — {res.experiment_id}", ""]
    n = len(res.satisfied.index) if len(res.satisfied.index) else int(res.values["future"].nunique())
    lines.append(f"{len(res.reforms)} reforms × {n} futures; outcome per future = mean of its replicates "
                 "(common random numbers across reforms).")
    if res.dropped.get("futures_without_complete_replicate"):
        lines.append(f"Left out: futures {res.dropped['futures_without_complete_replicate']} (no replicate completed "
                     "by every reform).")
    lines.append("")
    order = res.order()
    if len(res.satisficing):
        lines += ["## Satisficing", "", "Thresholds: " + "; ".join(f"`{t}`" for t in res.thresholds), "",
                  f"| reform | futures meeting all thresholds | {int(100 * res.level)} % interval |", "|---|---|---|"]
        s = res.satisficing.set_index("reform")
        for r in order:
            row = s.loc[r]
            lines.append(f"| {r} | {int(row["n_satisfied"])}/{int(row["n_futures"])} ({100 * row['share']:.0f} %) | "
                         f"{100 * row['ci_low']:.0f}–{100 * row['ci_high']:.0f} % |")
        lines.append("")
    for out in res.objectives["output"].drop_duplicates():
        o = res.objectives[res.objectives["output"] == out].set_index("reform")
        d, src = res.directions[out]
        lines += [f"## {res.outputs.label(out)} (`{out}`; {'higher' if d == 'max' else 'lower'} is better — {src})", "",
                  f"| reform | mean | worst {int(100 * res.worst)} % | mean regret | 90th pct regret | max regret | "
                  "best in |", "|---|---|---|---|---|---|---|"]
        for r in order:
            row = o.loc[r]
            reg = [_fmt(res, out, row[k], delta=True) for k in ("regret_mean", "regret_p90", "regret_max")]
            lines.append(f"| {r} | {_fmt(res, out, row['mean'])} | {_fmt(res, out, row['worst_mean'])} | "
                         f"{' | '.join(reg)} | {100 * row['best_share']:.0f} % |")
        lines.append("")
    return "\n".join(lines)


def write_robustness(res: Robustness, out_dir: str | Path, *, formats: Iterable[str] = ("png", "pdf", "svg"),
                     width: str | float | None = None) -> dict[str, list[Path]]:
    """Write the tables (CSV), ``summary.md`` and the two figures to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}
    for name, df in (("satisficing", res.satisficing), ("objectives", res.objectives), ("regret", res.regret),
                     ("values", res.values)):
        p = out / f"{name}.csv"
        df.to_csv(p, index=False)
        files[name] = [p]
    if len(res.satisficing):
        p = out / "satisfied.csv"
        res.satisfied.to_csv(p)
        files["satisfied"] = [p]
    p = out / "summary.md"
    p.write_text(summary_markdown(res) + "\n", encoding="utf-8")
    files["summary"] = [p]
    if len(res.objectives) or len(res.satisficing):
        files["robustness_regret"] = save(fig_regret(res, width=width), out, "robustness_regret", formats)
        files["robustness_outcomes"] = save(fig_outcomes(res, width=width), out, "robustness_outcomes", formats)
    return files
