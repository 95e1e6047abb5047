"""The report's content for calibrations, SBCs and scenario runs under parameter uncertainty
(used by :mod:`analysis.report`; the numbers come from :mod:`analysis.calibration`)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.calibration import (
    IDENTIFIED,
    LEVEL,
    NOT_IDENTIFIED,
    effect_uncertainty,
    load_calibration,
    posterior_table,
    predictive_table,
    sbc_table,
    sbc_test,
)
from analysis.store import AnalysisError

__all__ = ["blocks", "effect_blocks"]


def _g(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—" if v is None or math.isnan(v) else ("∞" if v > 0 else "−∞")
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def _figs(figset, names: list[str]) -> list:
    from analysis.report import Fig

    return [Fig(n, figset.captions.get(n, n), figset.png(n)) for n in names if figset.png(n) is not None]


def blocks(con, info: dict, runs: pd.DataFrame, figset) -> list:
    """Blocks of a calibration or SBC experiment's report."""
    from analysis.report import H

    head = [H(1, f"govsim {info['kind']} — {info.get('name') or info['experiment_id']}")]
    if info["kind"] == "sbc":
        return head + _sbc_blocks(con, info, figset)
    return head + _calibration_blocks(con, info, runs, figset)


def _calibration_blocks(con, info: dict, runs: pd.DataFrame, figset) -> list:
    from analysis.report import H, Items, P, Table

    cal = load_calibration(con, info["experiment_id"])
    spec, s = cal.spec, cal.spec["settings"]
    man = cal.manifest
    gens = cal.generations
    out: list = [P(f"Experiment {cal.experiment_id} (calibration, status {cal.status}); {len(gens)} generations of "
                   f"{s['particles']} particles, {int(gens['simulations'].sum())} proposals accepted or rejected, "
                   f"{int((runs['status'] == 'ok').sum())} model runs ok, {int((runs['status'] != 'ok').sum())} "
                   "failed. Built from the results store alone.", note=True)]
    fitted = ", ".join(spec["calibration_targets"])
    out += [H(2, "Method"), P(
        f"Approximate Bayesian computation by sequential Monte Carlo (pyabc's ABC-SMC). Priors: uniform over each "
        f"parameter's SA range in the registry. Summary statistics: the model's value of each calibration target "
        f"({len(spec['calibration_targets'])}: {fitted}), measured as the target declares (output, window, "
        f"level or effect) in its world, mean over {s['replicates']} seed(s) per proposal. Distance: the Euclidean "
        f"norm of the deviations, each in half-widths of the target's interval. ε: "
        f"{spec['method']['epsilon']}. Every parameter below was fitted jointly to all of these targets; the "
        f"targets with role validation were held out and are only predicted. Targets from "
        f"{spec['targets_source']['source']}.")]
    if spec.get("held"):
        out.append(P(f"Hand-fitted but without a prior range, so left at their defaults: {', '.join(spec['held'])}."))
    out.append(H(2, "Generations"))
    out.append(Table(["Generation", "ε", "Accepted", "Proposals", "Acceptance", "ESS", "Batches", "Seconds"],
                     [[str(int(r.generation)), _g(float(r.epsilon), 4), str(int(r.particles)),
                       str(int(r.simulations)), f"{r.acceptance_rate:.0%}", f"{r.ess:.0f}",
                       _g(r.batches), _g(r.seconds, 3)] for r in gens.itertuples(index=False)],
                     right=range(1, 8)))
    post = posterior_table(cal)
    out.append(H(2, "Posterior"))
    out.append(P(f"Generation {cal.final}: weighted posterior median and central {LEVEL:.0%} credible interval; the "
                 f"sd ratio is the posterior's standard deviation over the prior's (≤ {IDENTIFIED} identified, "
                 f"> {NOT_IDENTIFIED} not identified by the targets)."))
    out.append(Table(["Parameter", "Prior", "Default", f"Posterior median [{LEVEL:.0%}]", "sd ratio",
                      "Identification", "Default's posterior quantile", "Hand-fitted to"],
                     [[r.parameter, f"[{_g(r.prior_low)}, {_g(r.prior_high)}]", _g(r.default),
                       f"{_g(r.median)} [{_g(r.low)}, {_g(r.high)}]", f"{r.sd_ratio:.2f}", r.identification,
                       f"{r.default_quantile:.0%}" + (" (outside the 95 % interval)" if r.contradicts_default else ""),
                       r.hand_fitted_to or "—"] for r in post.itertuples(index=False)], right=(2, 4)))
    ident = post.groupby("identification")["parameter"].apply(list).to_dict()
    items = [f"{k}: {', '.join(v)}" for k, v in ident.items()]
    sharp = post[post["contradicts_default"]]
    if not sharp.empty:
        items.append("The posterior contradicts the registry's default of "
                     + ", ".join(f"{r.parameter} ({_g(r.default)}: posterior {LEVEL:.0%} interval "
                                 f"[{_g(r.low)}, {_g(r.high)}])" for r in sharp.itertuples(index=False))
                     + "; the defaults are kept (scenario runs can draw from the posterior instead).")
    out += [H(3, "Identification"), Items(items)]
    out += _figs(figset, ["calibration_marginals", "calibration_pairs"])
    try:
        pred = predictive_table(con, cal)
    except AnalysisError as exc:
        out += [H(2, "Predictive checks"), P(str(exc))]
        return out
    out += _predictive_blocks(pred)
    out += _figs(figset, ["calibration_predictive"])
    return out


def _predictive_rows(t: pd.DataFrame) -> list[list[str]]:
    return [[r.target, r.output, f"{_g(r.value)} [{_g(r.low)}, {_g(r.high)}]",
             f"{_g(r.prior_median)} [{_g(r.prior_low)}, {_g(r.prior_high)}]",
             f"{_g(r.post_median)} [{_g(r.post_low)}, {_g(r.post_high)}]", f"{r.prior_hit:.0%}", f"{r.hit:.0%}",
             "yes" if r.covered else "no", r.source] for r in t.itertuples(index=False)]


def _predictive_blocks(pred: pd.DataFrame) -> list:
    from analysis.report import H, P, Table

    head = ["Target", "Output", "Figure [interval]", f"Prior predictive [{LEVEL:.0%}]",
            f"Posterior predictive [{LEVEL:.0%}]", "Prior in interval", "Posterior in interval",
            f"Figure in {LEVEL:.0%} PPI", "Source"]
    n = int(pred["draws"].max())
    cal = pred[pred["role"] == "calibration"]
    val = pred[pred["role"] == "validation"]
    out: list = [H(2, "Posterior predictive checks (calibration targets)"), P(
        f"{n} parameter sets resampled from the posterior and {n} drawn from the prior, each run in every target's "
        "world; median and central interval of the model's value, the share of draws inside the target's interval, "
        "and whether the figure lies inside the posterior predictive interval (PPI)."),
        Table(head, _predictive_rows(cal), right=())]
    if not val.empty:
        k = int(val["covered"].sum())
        out += [H(2, "Held-out targets (validation)"), P(
            f"No parameter was fitted to these. Coverage: {k} of {len(val)} held-out figures lie inside the model's "
            f"{LEVEL:.0%} posterior predictive interval; on average {val['hit'].mean():.0%} of the posterior draws "
            f"fall inside the targets' intervals (prior: {val['prior_hit'].mean():.0%})."),
            Table(head, _predictive_rows(val), right=())]
    other = pred[~pred["role"].isin(["calibration", "validation"])]
    if not other.empty:
        out += [H(3, "Consistency targets (inputs reproduced)"), Table(head, _predictive_rows(other), right=())]
    return out


def _sbc_blocks(con, info: dict, figset) -> list:
    from analysis.report import H, P, Table

    spec, man = info["spec"], info.get("manifest") or {}
    table = sbc_table(con, info["experiment_id"])
    out: list = [P(f"Experiment {info['experiment_id']} (simulation-based calibration, status {info.get('status')}); "
                   f"{len(spec['truths']['rows'])} truths drawn from the prior, {table['truth'].nunique()} calibrated. "
                   "Built from the results store alone.", note=True)]
    s = spec["settings"]
    out += [H(2, "Method"), P(
        f"For each truth θ* drawn from the uniform prior, the model simulated the calibration statistics at θ* and "
        f"an error uniform in the ball of radius ε = {s['epsilons'][-1]:g} of the calibration's scaled distance was "
        f"added (with that error the ABC posterior at ε is exact; Wilkinson 2013). The calibration then ran its ε "
        f"schedule {', '.join(_g(e) for e in s['epsilons'])} with {s['particles']} particles. If the machinery is "
        f"right, each central {table.attrs['level']:.0%} posterior interval covers its truth with probability "
        f"{table.attrs['level']:.0%}, and the truths' posterior quantiles are uniform (Talts et al. 2018). Test: "
        "two-sided exact binomial test of the coverage count against the nominal level.")]
    if table.empty:
        return out + [P("No truth is calibrated yet.")]
    test = sbc_test(table)
    out += [H(2, "Coverage"), Table(
        ["Parameter", "Truths", "Covered", "Coverage", "95 % interval", "Nominal", "p (exact binomial)", "Consistent"],
        [[r.parameter, str(r.truths), str(r.covered), f"{r.coverage:.0%}", f"[{r.ci_low:.0%}, {r.ci_high:.0%}]",
          f"{r.nominal:.0%}", f"{r.p_value:.3f}", "yes" if r.consistent else "no"] for r in test.itertuples()],
        right=range(1, 7))]
    out.append(P("The pooled row counts every truth × parameter; the parameters of one truth share its data, so "
                 "its p value is indicative."))
    out += _figs(figset, ["sbc_coverage"])
    return out


def effect_blocks(con, info: dict, catalog, titles: dict[str, str], base: str, figset) -> list:
    """The section of a scenario comparison run with posterior draws."""
    from analysis.report import H, P, Table

    draws = info["spec"]["draws"]
    src = draws.get("source") or {}
    present = [r[0] for r in con.execute("SELECT DISTINCT output FROM summaries WHERE experiment_id = ? ORDER BY 1",
                                         [info["experiment_id"]]).fetchall()]
    outs = catalog.key_outputs(present) or present[:6]
    eff = effect_uncertainty(con, info["experiment_id"], outs, baseline=base)
    rows = []
    for r in eff.itertuples(index=False):
        o = catalog[r.output]
        k = o.scale
        rows.append([titles.get(r.scenario, r.scenario), o.label, o.delta_unit or o.unit,
                     f"{r.mean * k:+.3g}", f"[{r.low * k:+.3g}, {r.high * k:+.3g}]",
                     f"{r.share_parameters:.0%}" if math.isfinite(r.share_parameters) else "—",
                     f"{r.share_noise:.0%}" if math.isfinite(r.share_noise) else "—", f"{r.prob_positive:.0%}"])
    return [H(2, "Reform effects under parameter uncertainty"), P(
        f"Parameters drawn from the posterior {src.get('posterior')!r} (calibration {src.get('experiment_id')}, "
        f"generation {src.get('generation')}): {int(eff['draws'].max())} draws × {draws['per_draw']} replicates, "
        "every scenario with the same draw and seed per replicate. Interval: the central "
        f"{LEVEL:.0%} of the paired differences over all draws and replicates, so it holds parameter and stochastic "
        "uncertainty together; the shares split the variance of the difference by the law of total variance "
        "(between draws: the parameters; within draws: the noise). Shares in %, their differences in points."),
        Table(["Scenario", "Output", "Unit", "Mean Δ", f"{LEVEL:.0%} interval", "Share: parameters", "Share: noise",
               "P(Δ > 0)"], rows, right=range(3, 8))]
