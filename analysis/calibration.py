"""Calibration results from the store: posterior against prior, identification, predictive
checks (calibration targets) and held-out coverage (validation targets), the verification by
simulation-based calibration, and reform effects under parameter uncertainty.

Reads the store only (the tables ``calibration_generations``, ``calibration_particles``,
``calibration_statistics``, ``posteriors`` and the predictive runs of a calibration
experiment, docs/ARCHITECTURE.md); never runs the model. Formulas: docs/CALIBRATION.md.

Identification: a parameter whose posterior standard deviation is at most
:data:`IDENTIFIED` of its prior's is called *identified* by the targets, above
:data:`NOT_IDENTIFIED` *not identified*, in between *weakly identified*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats as _st

from analysis import style
from analysis.store import (
    AnalysisError,
    EmptyResultError,
    StoreLike,
    experiment_info,
    has_table,
    open_store,
    resolve_experiment,
)

__all__ = [
    "IDENTIFIED",
    "LEVEL",
    "NOT_IDENTIFIED",
    "Calibration",
    "NotACalibrationError",
    "effect_uncertainty",
    "fig_effects",
    "fig_marginals",
    "fig_pairs",
    "fig_predictive",
    "fig_sbc",
    "load_calibration",
    "posterior_table",
    "predictive_table",
    "sbc_table",
    "sbc_test",
    "weighted_quantile",
]

IDENTIFIED = 0.5
NOT_IDENTIFIED = 0.8
LEVEL = 0.9  # credible and predictive intervals


class NotACalibrationError(AnalysisError, LookupError):
    """The experiment is not a calibration (or an SBC) with saved generations."""


def weighted_quantile(values: Sequence[float], weights: Sequence[float], q: Sequence[float] | float) -> np.ndarray:
    """Quantiles of a weighted sample: the inverse of its weighted empirical distribution
    function, interpolated between the midpoints of the sorted values' weights."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(x) & (w > 0)
    x, w = x[keep], w[keep]
    if x.size == 0:
        return np.full(np.shape(q), np.nan)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.asarray(q, dtype=float), cum, x)


def _wmean_sd(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    w = w / w.sum()
    m = float(np.sum(w * x))
    return m, float(math.sqrt(max(np.sum(w * (x - m) ** 2), 0.0)))


@dataclass
class Calibration:
    """One calibration read from the store."""

    experiment_id: str
    spec: dict
    manifest: dict
    status: str
    generations: pd.DataFrame  # one row per generation
    particles: pd.DataFrame  # wide: generation, particle, weight, distance, <parameters>
    statistics: pd.DataFrame  # wide: generation, particle, <statistics>

    @property
    def final(self) -> int:
        return int(self.generations["generation"].max())

    @property
    def parameters(self) -> list[str]:
        return list(self.spec["parameter_names"])

    def priors(self) -> dict[str, tuple[float, float]]:
        return {p["name"]: (float(p["low"]), float(p["high"])) for p in self.spec["parameters"]}

    def population(self, generation: int | None = None) -> pd.DataFrame:
        g = self.final if generation is None else generation
        return self.particles[self.particles["generation"] == g].reset_index(drop=True)


def load_calibration(con, experiment_id: str | None = None) -> Calibration:
    """The calibration ``experiment_id`` (default: the latest calibration in the store)."""
    if experiment_id is None:
        row = con.execute("SELECT experiment_id FROM experiments WHERE kind = 'calibration' "
                          "ORDER BY created DESC LIMIT 1").fetchone()
        if row is None:
            raise NotACalibrationError("the store holds no calibration (run govsim calibrate)")
        experiment_id = row[0]
    exp = resolve_experiment(con, experiment_id)
    info = experiment_info(con, exp)
    if info.get("kind") != "calibration":
        raise NotACalibrationError(f"experiment {exp} is a {info.get('kind')}, not a calibration")
    if not has_table(con, "calibration_generations"):
        raise NotACalibrationError(f"the store has no calibration tables, so {exp} has no generations")
    gens = con.execute("SELECT * FROM calibration_generations WHERE experiment_id = ? ORDER BY generation",
                       [exp]).df()
    if gens.empty:
        raise EmptyResultError(f"calibration {exp} has no finished generation yet")
    long = con.execute("SELECT generation, particle, proposal, weight, distance, parameter, value "
                       "FROM calibration_particles WHERE experiment_id = ?", [exp]).df()
    wide = long.pivot_table(index=["generation", "particle", "proposal", "weight", "distance"], columns="parameter",
                            values="value").reset_index()
    wide.columns.name = None
    stats = con.execute("SELECT generation, particle, statistic, value FROM calibration_statistics "
                        "WHERE experiment_id = ?", [exp]).df()
    swide = stats.pivot_table(index=["generation", "particle"], columns="statistic", values="value").reset_index()
    swide.columns.name = None
    return Calibration(exp, info["spec"], info.get("manifest") or {}, str(info.get("status")), gens,
                       wide.sort_values(["generation", "particle"]).reset_index(drop=True),
                       swide.sort_values(["generation", "particle"]).reset_index(drop=True))


def _label(sd_ratio: float) -> str:
    if not math.isfinite(sd_ratio):
        return "—"
    if sd_ratio <= IDENTIFIED:
        return "identified"
    if sd_ratio <= NOT_IDENTIFIED:
        return "weakly identified"
    return "not identified"


def posterior_table(cal: Calibration, *, level: float = LEVEL) -> pd.DataFrame:
    """One row per parameter: prior range, registry default, posterior mean, sd and central
    ``level`` interval (weighted), posterior/prior sd ratio and what it says about
    identification, and where the default falls in the posterior (``default_quantile``;
    ``contradicts_default``: the default lies outside the posterior's central 95 % interval)."""
    pop = cal.population()
    w = pop["weight"].to_numpy(float)
    rows = []
    for p in cal.spec["parameters"]:
        name, lo, hi = p["name"], float(p["low"]), float(p["high"])
        x = pop[name].to_numpy(float)
        m, sd = _wmean_sd(x, w)
        prior_sd = (hi - lo) / math.sqrt(12.0)
        a, b = weighted_quantile(x, w, [0.5 - level / 2, 0.5 + level / 2])
        c95 = weighted_quantile(x, w, [0.025, 0.975])
        default = p["default"]
        dq = float(np.sum(w[x <= default]) / w.sum()) if isinstance(default, (int, float)) else math.nan
        ratio = sd / prior_sd if prior_sd > 0 else math.nan
        rows.append({"parameter": name, "prior_low": lo, "prior_high": hi, "default": default, "mean": m, "sd": sd,
                     "low": float(a), "median": float(weighted_quantile(x, w, 0.5)), "high": float(b),
                     "prior_sd": prior_sd, "sd_ratio": ratio, "identification": _label(ratio),
                     "default_quantile": dq,
                     "contradicts_default": bool(isinstance(default, (int, float)) and
                                                 not (c95[0] <= default <= c95[1])),
                     "hand_fitted_to": p.get("hand_fitted_to", "")})
    out = pd.DataFrame(rows)
    out.attrs.update(level=level, generation=cal.final, fitted_to=list(cal.spec["calibration_targets"]))
    return out


def _predictive(con, exp: str, prefix: str) -> pd.DataFrame:
    """Statistics of the predictive runs with run ids ``prefix…``: draw, statistic, value (mean over replicates)."""
    pattern = prefix.replace("_", "\\_") + "%"
    return con.execute(
        "SELECT r.design_point AS draw, s.output AS statistic, avg(s.value) AS value FROM runs r "
        "JOIN summaries s USING (experiment_id, run_id) WHERE r.experiment_id = ? AND r.status = 'ok' "
        "AND r.run_id LIKE ? ESCAPE '\\' GROUP BY ALL ORDER BY draw", [exp, pattern]).df()


def predictive_table(con, cal: Calibration, *, level: float = LEVEL) -> pd.DataFrame:
    """One row per target (calibration, validation and consistency): its figure and interval,
    the prior and posterior predictive median and central ``level`` interval over the
    predictive draws, the share of posterior draws inside the target's interval (``hit``),
    and ``covered``: the figure lies inside the posterior predictive interval."""
    post = _predictive(con, cal.experiment_id, "post.")
    prior = _predictive(con, cal.experiment_id, "prior.")
    if post.empty:
        raise EmptyResultError(f"calibration {cal.experiment_id} has no posterior predictive runs (--draws 0?)")
    q = [0.5 - level / 2, 0.5, 0.5 + level / 2]
    rows = []
    for t in cal.spec["targets"]:
        v = post.loc[post["statistic"] == t["name"], "value"].dropna().to_numpy()
        u = prior.loc[prior["statistic"] == t["name"], "value"].dropna().to_numpy()
        pq = np.quantile(v, q) if v.size else [math.nan] * 3
        uq = np.quantile(u, q) if u.size else [math.nan] * 3
        rows.append({"target": t["name"], "role": t["role"], "output": t["output"], "kind": t["kind"],
                     "value": t["value"], "low": t["low"], "high": t["high"], "source": t["source"],
                     "prior_low": uq[0], "prior_median": uq[1], "prior_high": uq[2],
                     "post_low": pq[0], "post_median": pq[1], "post_high": pq[2], "draws": int(v.size),
                     "hit": float(np.mean((v >= t["low"]) & (v <= t["high"]))) if v.size else math.nan,
                     "prior_hit": float(np.mean((u >= t["low"]) & (u <= t["high"]))) if u.size else math.nan,
                     "covered": bool(v.size and pq[0] <= t["value"] <= pq[2])})
    out = pd.DataFrame(rows)
    out.attrs["level"] = level
    return out


# ----------------------------------------------------------------------------- SBC
def sbc_table(con, experiment_id: str, *, level: float | None = None) -> pd.DataFrame:
    """One row per truth × parameter of an SBC: the truth, the central ``level`` posterior
    interval (default: the SBC's own level, 90 %), whether it covers the truth, and the
    truth's posterior quantile (its normalised rank; uniform when the posteriors are calibrated)."""
    info = experiment_info(con, resolve_experiment(con, experiment_id))
    if info.get("kind") != "sbc":
        raise NotACalibrationError(f"experiment {info['experiment_id']} is a {info.get('kind')}, not an SBC")
    spec, man = info["spec"], info.get("manifest") or {}
    level = float(spec.get("level", LEVEL)) if level is None else level
    cols, truths = spec["truths"]["columns"], spec["truths"]["rows"]
    rows = []
    for i, cid in enumerate(man.get("calibrations") or []):
        if cid is None:
            continue
        try:
            cal = load_calibration(con, cid)
        except (NotACalibrationError, EmptyResultError):
            continue
        if cal.status != "done":
            continue
        pop = cal.population()
        w = pop["weight"].to_numpy(float)
        for j, p in enumerate(cols):
            x = pop[p].to_numpy(float)
            lo, hi = weighted_quantile(x, w, [0.5 - level / 2, 0.5 + level / 2])
            truth = float(truths[i][j])
            rows.append({"truth": i, "parameter": p, "value": truth, "low": float(lo), "high": float(hi),
                         "covered": bool(lo <= truth <= hi), "rank": float(np.sum(w[x < truth]) / w.sum()),
                         "calibration": cid, "final_epsilon": float(cal.generations["epsilon"].iloc[-1])})
    out = pd.DataFrame(rows, columns=["truth", "parameter", "value", "low", "high", "covered", "rank", "calibration",
                                      "final_epsilon"])
    out.attrs.update(level=level, experiment_id=info["experiment_id"], planned=len(truths))
    return out


def sbc_test(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage per parameter and pooled, with the two-sided exact binomial test of
    H0: coverage = the nominal level (``scipy.stats.binomtest``) and its 95 % Clopper-Pearson
    interval. ``consistent``: p ≥ 0.05. The pooled row counts every truth × parameter (the
    parameters of one truth are not independent, so its p value is indicative)."""
    level = float(table.attrs.get("level", LEVEL))
    rows = []
    groups = [(p, g) for p, g in table.groupby("parameter", sort=False)] + [("all parameters", table)]
    for name, g in groups:
        n, k = int(len(g)), int(g["covered"].sum())
        if n == 0:
            continue
        res = _st.binomtest(k, n, level)
        ci = res.proportion_ci(0.95, method="exact")
        rows.append({"parameter": name, "truths": n, "covered": k, "coverage": k / n, "nominal": level,
                     "p_value": float(res.pvalue), "ci_low": float(ci.low), "ci_high": float(ci.high),
                     "consistent": bool(res.pvalue >= 0.05)})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- reform effects
def effect_uncertainty(con, experiment_id: str, outputs: Sequence[str], *, baseline: str = "baseline",
                       level: float = LEVEL) -> pd.DataFrame:
    """Reform effects of a scenario experiment run with posterior draws (``--posterior``):
    per scenario × output, the mean paired difference from the baseline, its central ``level``
    interval over all draws × replicates (parameter and stochastic uncertainty together), and
    the shares of its variance from the parameters and from the noise — the law of total
    variance over draws θ and replicates: Var(d) = Var(E[d | θ]) + E[Var(d | θ)], estimated with
    the within-draw variance W (mean of the draws' sample variances) and the between-draw
    variance B = var(draw means) − W/K (K replicates per draw, floored at 0)."""
    info = experiment_info(con, resolve_experiment(con, experiment_id))
    draws = (info.get("spec") or {}).get("draws")
    if not draws:
        raise AnalysisError(f"experiment {info['experiment_id']} was not run with posterior draws (--posterior)")
    k = int(draws["per_draw"])
    outs = list(outputs)
    rows = con.execute(
        "SELECT r.scenario, r.replicate, s.output, s.value FROM runs r JOIN summaries s USING (experiment_id, run_id) "
        f"WHERE r.experiment_id = ? AND r.status = 'ok' AND s.output IN ({', '.join('?' * len(outs))})",
        [info["experiment_id"], *outs]).df()
    if rows.empty:
        raise EmptyResultError(f"experiment {info['experiment_id']} has no successful runs of {outs}")
    base = rows[rows["scenario"] == baseline].rename(columns={"value": "base"}).drop(columns="scenario")
    if base.empty:
        raise AnalysisError(f"baseline scenario {baseline!r} is not in experiment {info['experiment_id']}")
    d = rows[rows["scenario"] != baseline].merge(base, on=["replicate", "output"])
    d["diff"] = d["value"] - d["base"]
    d["draw"] = d["replicate"] // k
    out = []
    for (sc, o), g in d.groupby(["scenario", "output"], sort=True):
        x = g["diff"].to_numpy(float)
        by = g.groupby("draw")["diff"]
        within = by.var(ddof=1).dropna()
        w_var = float(within.mean()) if len(within) else math.nan
        means = by.mean()
        b_raw = float(means.var(ddof=1)) if len(means) > 1 else math.nan
        kk = float(by.size().mean())
        b_var = max(b_raw - (w_var / kk if math.isfinite(w_var) else 0.0), 0.0) if math.isfinite(b_raw) else math.nan
        total = b_var + w_var if math.isfinite(b_var) and math.isfinite(w_var) else math.nan
        lo, med, hi = np.quantile(x, [0.5 - level / 2, 0.5, 0.5 + level / 2])
        out.append({"scenario": sc, "output": o, "draws": int(len(means)), "replicates_per_draw": k,
                    "n": int(x.size), "mean": float(x.mean()), "median": float(med), "low": float(lo),
                    "high": float(hi), "var_total": total, "var_parameters": b_var, "var_noise": w_var,
                    "share_parameters": b_var / total if total and math.isfinite(total) else math.nan,
                    "share_noise": w_var / total if total and math.isfinite(total) else math.nan,
                    "prob_positive": float(np.mean(x > 0))})
    res = pd.DataFrame(out)
    res.attrs.update(level=level, posterior=draws.get("source", {}))
    return res


# ----------------------------------------------------------------------------- figures
def _grid(n: int, ncols: int) -> tuple[int, int]:
    return math.ceil(n / ncols), ncols


def fig_marginals(cal: Calibration, *, width: str | float | None = None) -> Figure:
    """Posterior marginal of each parameter (weighted histogram of the final generation)
    against its uniform prior, with the registry default marked."""
    params = cal.spec["parameters"]
    n = len(params)
    w_in = style.width_inches(width or "double")
    ncols = min(n, 4 if w_in > 5 else 2)
    nrows, _ = _grid(n, ncols)
    fig = style.new_figure(w_in, height=1.55 * nrows + 0.3)
    axs = fig.subplots(nrows, ncols, squeeze=False).ravel()
    pop = cal.population()
    w = pop["weight"].to_numpy(float)
    for ax, p in zip(axs, params, strict=False):
        lo, hi = float(p["low"]), float(p["high"])
        x = pop[p["name"]].to_numpy(float)
        bins = np.linspace(lo, hi, 21)
        ax.hist(x, bins=bins, weights=w / w.sum() / np.diff(bins)[0], color=style.OKABE_ITO["blue"], alpha=0.75,
                label="posterior")
        ax.hlines(1.0 / (hi - lo), lo, hi, colors=style.GREY, linestyles="--", lw=1, label="prior")
        if isinstance(p["default"], (int, float)):
            ax.axvline(float(p["default"]), color=style.OKABE_ITO["vermillion"], lw=1, label="default")
        ax.set_title(p["name"], fontsize=7)
        ax.set_xlabel(p.get("unit") or "value")
        ax.set_yticks([])
    for ax in axs[n:]:
        ax.remove()
    axs[0].set_ylabel("density")
    handles, labels = axs[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    return fig


def fig_pairs(cal: Calibration, *, width: str | float | None = None, max_points: int = 400) -> Figure:
    """Pair plot of the final generation (points sized by weight; prior ranges as axes limits)
    with the marginals on the diagonal; correlations show trade-offs the targets cannot separate."""
    params = cal.parameters
    n = len(params)
    w_in = style.width_inches(width or "double")
    fig = style.new_figure(w_in, height=w_in)
    axs = fig.subplots(n, n, squeeze=False)
    pop = cal.population()
    w = pop["weight"].to_numpy(float)
    w = w / w.sum()
    pri = cal.priors()
    idx = np.argsort(-w)[:max_points]
    for i, pi in enumerate(params):
        for j, pj in enumerate(params):
            ax = axs[i, j]
            if j > i:
                ax.remove()
                continue
            if i == j:
                lo, hi = pri[pi]
                ax.hist(pop[pi], bins=np.linspace(lo, hi, 16), weights=w, color=style.OKABE_ITO["blue"], alpha=0.75)
                ax.set_xlim(lo, hi)
                ax.set_yticks([])
            else:
                ax.scatter(pop[pj].to_numpy()[idx], pop[pi].to_numpy()[idx], s=2 + 60 * w[idx] / w.max(),
                           color=style.OKABE_ITO["blue"], alpha=0.5, lw=0)
                ax.set_xlim(*pri[pj])
                ax.set_ylim(*pri[pi])
                r = np.corrcoef(pop[pj], pop[pi])[0, 1] if n > 1 else math.nan
                if math.isfinite(r):
                    ax.text(0.03, 0.92, f"r = {r:+.2f}", transform=ax.transAxes, fontsize=6)
            ax.tick_params(labelsize=5, length=2)
            if i == n - 1:
                ax.set_xlabel(pj, fontsize=6, rotation=20, ha="right")
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(pi, fontsize=6, rotation=0, ha="right", va="center")
            elif j > 0:
                ax.set_yticklabels([])
    return fig


def fig_predictive(table: pd.DataFrame, *, width: str | float | None = None) -> Figure:
    """Each target's figure and interval (black) against the prior (grey) and posterior (blue)
    predictive median and central interval, in units of the target's half-width around its
    figure; calibration targets first, then the held-out (validation) ones."""
    order = {"calibration": 0, "validation": 1, "consistency": 2}
    t = table.assign(_o=table["role"].map(order)).sort_values(["_o"], kind="stable").reset_index(drop=True)
    n = len(t)
    w_in = style.width_inches(width or "double")
    fig = style.new_figure(w_in, height=0.22 * n + 0.9)
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    for yi, r in zip(y, t.itertuples(index=False), strict=True):
        hw = (r.high - r.low) / 2 or 1.0

        def s(v: float, _r=r, _hw=hw) -> float:
            return (v - _r.value) / _hw

        ax.plot([s(r.low), s(r.high)], [yi, yi], color="black", lw=3, alpha=0.25, solid_capstyle="butt")
        ax.plot([0], [yi], marker="|", color="black", ms=8)
        ax.plot([s(r.prior_low), s(r.prior_high)], [yi - 0.22] * 2, color=style.GREY, lw=1)
        ax.plot([s(r.prior_median)], [yi - 0.22], marker="o", color=style.GREY, ms=2.5)
        c = style.OKABE_ITO["blue"] if r.role == "calibration" else style.OKABE_ITO["vermillion"]
        ax.plot([s(r.post_low), s(r.post_high)], [yi + 0.22] * 2, color=c, lw=1.5)
        ax.plot([s(r.post_median)], [yi + 0.22], marker="o", color=c, ms=3)
    ax.set_yticks(y, [f"{r.target} ({r.role[:5]}.)" for r in t.itertuples(index=False)], fontsize=6)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("deviation from the target's figure, in half-widths of its interval")
    lim = max(3.0, min(12.0, float(np.nanmax(np.abs(np.r_[
        (t["post_low"] - t["value"]) / ((t["high"] - t["low"]) / 2).replace(0, 1),
        (t["post_high"] - t["value"]) / ((t["high"] - t["low"]) / 2).replace(0, 1)]))) * 1.1))
    ax.set_xlim(-lim, lim)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="black", lw=3, alpha=0.25, label="target interval"),
               Line2D([], [], color=style.GREY, marker="o", ms=2.5, label="prior predictive"),
               Line2D([], [], color=style.OKABE_ITO["blue"], marker="o", ms=3, label="posterior predictive"),
               Line2D([], [], color=style.OKABE_ITO["vermillion"], marker="o", ms=3,
                      label="posterior predictive, held out")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    return fig


def fig_sbc(table: pd.DataFrame, *, width: str | float | None = None) -> Figure:
    """SBC: each truth's posterior interval against the truth (per parameter), and the
    histogram of the truths' posterior quantiles (flat when the posteriors are calibrated)."""
    params = list(dict.fromkeys(table["parameter"]))
    w_in = style.width_inches(width or "double")
    fig = style.new_figure(w_in, height=2.2)
    axs = fig.subplots(1, len(params) + 1, squeeze=False).ravel()
    for ax, p in zip(axs, params, strict=False):
        g = table[table["parameter"] == p].sort_values("value").reset_index(drop=True)
        for i, r in g.iterrows():
            c = style.OKABE_ITO["blue"] if r["covered"] else style.OKABE_ITO["vermillion"]
            ax.plot([r["low"], r["high"]], [i, i], color=c, lw=1.2)
            ax.plot([r["value"]], [i], marker="o", color="black", ms=2)
        ax.set_title(f"{p}: {int(g['covered'].sum())}/{len(g)} covered", fontsize=7)
        ax.set_xlabel("value")
        ax.set_yticks([])
    ax = axs[-1]
    bins = np.linspace(0, 1, 6)
    for p in params:
        ax.hist(table.loc[table["parameter"] == p, "rank"], bins=bins, histtype="step", lw=1.2, label=p)
    n = len(table) / max(len(params), 1)
    ax.axhline(n / (len(bins) - 1), color=style.GREY, ls="--", lw=0.8)
    ax.set_xlabel("posterior quantile of the truth")
    ax.set_ylabel("truths")
    ax.legend(fontsize=6)
    return fig


def fig_effects(eff: pd.DataFrame, catalog=None, *, width: str | float | None = None) -> Figure:
    """Reform effects under parameter uncertainty: mean and central interval over draws ×
    replicates per scenario, one panel per output, with the parameters' share of the variance."""
    outs = list(dict.fromkeys(eff["output"]))
    w_in = style.width_inches(width or "double")
    ncols = min(len(outs), 3 if w_in > 5 else 1)
    nrows = math.ceil(len(outs) / ncols)
    scen = list(dict.fromkeys(eff["scenario"]))
    fig = style.new_figure(w_in, height=nrows * (0.25 * len(scen) + 0.9))
    axs = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, o in zip(axs, outs, strict=False):
        g = eff[eff["output"] == o].set_index("scenario").reindex(scen)
        scale = catalog[o].scale if catalog is not None else 1.0
        y = np.arange(len(scen))[::-1]
        ax.hlines(y, g["low"] * scale, g["high"] * scale, color=style.OKABE_ITO["blue"], lw=1.5)
        ax.plot(g["mean"] * scale, y, "o", color="black", ms=3)
        for yi, (_, r) in zip(y, g.iterrows(), strict=True):
            if math.isfinite(r["share_parameters"]):
                ax.text(1.0, yi, f"{r['share_parameters']:.0%}", transform=ax.get_yaxis_transform(), fontsize=6,
                        va="center", ha="left")
        ax.axvline(0, color=style.GREY, lw=0.6)
        ax.set_yticks(y, scen if ax is axs[0] or ncols == 1 else [""] * len(scen), fontsize=6)
        label = catalog[o].label if catalog is not None else o
        unit = catalog[o].delta_unit if catalog is not None else ""
        ax.set_title(label, fontsize=7)
        ax.set_xlabel(f"Δ vs baseline{f' ({unit})' if unit else ''}")
    for ax in axs[len(outs):]:
        ax.remove()
    return fig


def calibration_figures(con, exp: str, fs, *, fmts, width) -> None:
    """Add the figures of a calibration or SBC experiment to a :class:`analysis.figures.FigureSet`."""
    info = experiment_info(con, exp)
    kind = info.get("kind")

    def attempt(name: str, build, caption: str) -> None:
        try:
            fig = build()
        except (AnalysisError, ValueError, KeyError) as exc:
            fs.skipped[name] = str(exc)
            return
        fs.add(name, style.save(fig, fs.out_dir, name, fmts), caption)

    if kind == "calibration":
        try:
            cal = load_calibration(con, exp)
        except AnalysisError as exc:
            fs.skipped["calibration"] = str(exc)
            return
        attempt("calibration_marginals", lambda: fig_marginals(cal, width=width),
                "Posterior marginals (blue) against the uniform priors over the SA ranges (dashed), with the "
                "registry's default (red)")
        attempt("calibration_pairs", lambda: fig_pairs(cal, width=width),
                "Pair plot of the final generation (point size: weight; axes: the prior ranges)")
        attempt("calibration_predictive", lambda: fig_predictive(predictive_table(con, cal), width=width),
                "Targets (grey bar: interval; tick: figure) against the prior and posterior predictive medians and "
                f"{LEVEL:.0%} intervals, in half-widths of each target's interval")
    elif kind == "sbc":
        attempt("sbc_coverage", lambda: fig_sbc(sbc_table(con, exp), width=width),
                f"Simulation-based calibration: each truth's {LEVEL:.0%} posterior interval (blue: covers the truth, "
                "red: misses it) and the histogram of the truths' posterior quantiles")


def store_calibration(store: StoreLike, experiment_id: str | None = None) -> Calibration:
    """:func:`load_calibration` from a store path or connection."""
    with open_store(store) as con:
        return load_calibration(con, experiment_id)
