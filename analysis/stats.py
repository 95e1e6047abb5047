"""Statistics over replicates: means with t intervals, medians, bootstrap intervals, and the
scenario comparison table (paired differences against the baseline under common random numbers).

Replicate ``r`` of every scenario in one experiment runs with the same seed, so scenario
outcomes are compared run-against-run: for each replicate the difference
``d_r = y_r(scenario) - y_r(baseline)`` removes the noise both runs share. The table's
``diff`` columns are the mean of ``d_r`` with its t interval, ``effect_size`` is Cohen's
``d_z = mean(d) / sd(d)`` and ``p_value`` the two-sided paired t test. Formulas: docs/ANALYSIS.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as _st

from analysis.outputs import OutputCatalog, load_outputs
from analysis.store import (
    AnalysisError,
    BadOptionError,
    EmptyResultError,
    StoreLike,
    UnknownOutputError,
    UnknownScenarioError,
    available_outputs,
    load_summaries,
    open_store,
    resolve_experiment,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "Interval",
    "PairingError",
    "bootstrap_ci",
    "classify_effects",
    "cohens_dz",
    "comparison_cells",
    "compare_scenarios",
    "format_comparison",
    "mean_ci",
    "mean_interval",
    "median_ci",
    "paired_differences",
    "paired_test",
    "render_comparison",
    "scenario_order",
]

COMPARISON_COLUMNS = [
    "scenario", "output", "n", "mean", "ci_low", "ci_high",
    "diff", "diff_ci_low", "diff_ci_high", "effect_size", "p_value", "n_pairs",
]


class PairingError(AnalysisError, ValueError):
    """Runs cannot be paired by replicate (e.g. several runs of one scenario share a replicate)."""


class Interval(NamedTuple):
    n: int
    estimate: float
    low: float
    high: float


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise BadOptionError(f"confidence level must be in (0, 1), got {level!r}")


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Mean and Student-t interval ``mean ± t_{(1+level)/2, n-1} · s / √n`` (non-finite values
    dropped). With one value the interval is NaN; with zero spread it collapses onto the mean."""
    _check_level(level)
    x = _clean(values)
    n = x.size
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan)
    m = float(x.mean())
    if n == 1:
        return Interval(1, m, math.nan, math.nan)
    se = float(x.std(ddof=1)) / math.sqrt(n)
    half = float(_st.t.ppf(0.5 + level / 2.0, n - 1)) * se
    return Interval(n, m, m - half, m + half)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of ``statistic`` (resampling values with replacement,
    ``n_boot`` times, from a generator seeded with ``seed``)."""
    _check_level(level)
    if n_boot < 1:
        raise BadOptionError(f"n_boot must be ≥ 1, got {n_boot!r}")
    x = _clean(values)
    n = x.size
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan)
    est = float(statistic(x))
    if n == 1:
        return Interval(1, est, math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    if statistic is np.mean:  # the common case, vectorised
        boots = x[idx].mean(axis=1)
    else:
        boots = np.array([statistic(x[i]) for i in idx], dtype=float)
    lo, hi = np.quantile(boots, [0.5 - level / 2.0, 0.5 + level / 2.0])
    return Interval(n, est, float(lo), float(hi))


def mean_interval(values: Sequence[float] | np.ndarray, level: float = 0.95, *, bounded: bool = False,
                  seed: int = 0) -> Interval:
    """The interval reported for a scenario mean: the Student-t interval (:func:`mean_ci`), or
    for an output whose values are bounded (shares, rates, 0-1 scores: ``bounded``) the
    percentile bootstrap interval of the mean (:func:`bootstrap_ci`, 2,000 resamples, seeded),
    which cannot leave the range the values take (a share's interval never goes below 0 %)."""
    if not bounded:
        return mean_ci(values, level)
    ci = bootstrap_ci(values, np.mean, level=level, n_boot=2000, seed=seed)
    return Interval(ci.n, ci.estimate, ci.low, ci.high)


def median_ci(
    values: Sequence[float] | np.ndarray, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> Interval:
    """Median with a percentile bootstrap interval."""
    return bootstrap_ci(values, np.median, level=level, n_boot=n_boot, seed=seed)


def cohens_dz(differences: Sequence[float] | np.ndarray) -> float:
    """Cohen's d_z of paired differences: ``mean(d) / sd(d)`` (sd with n-1). NaN for fewer
    than two pairs; 0 when all differences are 0; ±inf when they are equal and non-zero."""
    d = _clean(differences)
    if d.size < 2:
        return math.nan
    m, s = float(d.mean()), float(d.std(ddof=1))
    if s == 0.0:
        return 0.0 if m == 0.0 else math.copysign(math.inf, m)
    return m / s


def paired_test(differences: Sequence[float] | np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Paired t analysis of differences: mean, t interval, d_z and two-sided p value."""
    d = _clean(differences)
    ci = mean_ci(d, level)
    if d.size < 2:
        p = math.nan
    else:
        s = float(d.std(ddof=1))
        if s == 0.0:
            p = 1.0 if ci.estimate == 0.0 else 0.0
        else:
            t = ci.estimate / (s / math.sqrt(d.size))
            p = float(2.0 * _st.t.sf(abs(t), d.size - 1))
    return {
        "n_pairs": ci.n, "diff": ci.estimate, "diff_ci_low": ci.low, "diff_ci_high": ci.high,
        "effect_size": cohens_dz(d), "p_value": p,
    }


def scenario_order(scenarios: Sequence[str], baseline: str | None = "baseline") -> list[str]:
    """Baseline first, the rest in name order."""
    uniq = sorted({str(s) for s in scenarios})
    if baseline in uniq:
        uniq.remove(baseline)
        uniq.insert(0, baseline)
    return uniq


def paired_differences(summaries: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """Per-replicate differences scenario − baseline, paired by ``replicate``.

    ``summaries`` is long (scenario, replicate, output, value[, seed]), as returned by
    :func:`analysis.store.load_summaries`. Returns scenario, output, replicate, value,
    baseline_value, diff, for replicates present in both (a failed run drops its pair).
    ``crn`` in the result's ``attrs`` says whether every pair shared its seed."""
    required = {"scenario", "replicate", "output", "value"}
    if missing := required - set(summaries.columns):
        raise AnalysisError(f"summaries lack column(s) {sorted(missing)}")
    if baseline not in set(summaries["scenario"]):
        raise UnknownScenarioError(
            f"baseline scenario {baseline!r} is not in the results; scenarios: "
            f"{', '.join(scenario_order(summaries['scenario'].unique(), None))}"
        )
    dup = summaries.duplicated(["scenario", "replicate", "output"])
    if dup.any():
        bad = summaries.loc[dup, ["scenario", "replicate"]].iloc[0]
        raise PairingError(
            f"scenario {bad['scenario']!r} has several runs for replicate {bad['replicate']}; "
            "paired comparison needs one run per scenario and replicate"
        )
    base = summaries[summaries["scenario"] == baseline]
    cols = ["replicate", "output", "value"] + (["seed"] if "seed" in summaries.columns else [])
    merged = summaries[summaries["scenario"] != baseline].merge(
        base[cols], on=["replicate", "output"], suffixes=("", "_baseline"), how="inner"
    )
    merged = merged.rename(columns={"value_baseline": "baseline_value"})
    merged["diff"] = merged["value"] - merged["baseline_value"]
    crn = True
    if "seed" in merged.columns and "seed_baseline" in merged.columns:
        crn = bool((merged["seed"] == merged["seed_baseline"]).all())
    out = merged[["scenario", "output", "replicate", "value", "baseline_value", "diff"]].reset_index(drop=True)
    out.attrs["crn"] = crn
    return out


def _pick_outputs(present: list[str], outputs: Sequence[str] | str | None, catalog: OutputCatalog) -> list[str]:
    if outputs is None:
        return catalog.key_outputs(present) or present
    if isinstance(outputs, str):
        if outputs == "all":
            return present
        outputs = [outputs]
    unknown = [o for o in outputs if o not in present]
    if unknown:
        raise UnknownOutputError(
            f"output(s) {', '.join(unknown)} not in the experiment's summaries; available: {', '.join(present)}"
        )
    return list(outputs)


def compare_scenarios(
    store: StoreLike,
    experiment_id: str | None = None,
    *,
    outputs: Sequence[str] | str | None = None,
    baseline: str | None = "baseline",
    level: float = 0.95,
) -> pd.DataFrame:
    """Scenario means with t intervals over replicates, and paired differences vs the baseline.

    ``store`` is a path (opened read-only) or an open DuckDB connection; ``experiment_id``
    ``None`` takes the latest experiment. ``outputs`` ``None`` = the key outputs present
    (all outputs when none of the key ones are), ``"all"`` = every stored output.
    ``baseline`` ``None`` (or a single-scenario experiment) leaves the difference columns NaN.
    One row per scenario × output, baseline first; columns :data:`COMPARISON_COLUMNS`.
    Means of bounded outputs (shares, rates, 0-1 scores, by their stored declaration) get a
    percentile bootstrap interval that stays in their range, others a Student-t interval
    (:func:`mean_interval`); paired differences always the paired t interval.
    ``attrs``: experiment_id, baseline, level, crn (pairs shared seeds), outputs (the
    experiment's :class:`~analysis.outputs.OutputCatalog`).
    """
    _check_level(level)
    with open_store(store) as con:
        exp = resolve_experiment(con, experiment_id)
        present = available_outputs(con, exp, "summaries")
        if not present:
            raise EmptyResultError(f"experiment {exp!r} has no summaries (no run finished?)")
        catalog = load_outputs(con, exp)
        chosen = _pick_outputs(present, outputs, catalog)
        summ = load_summaries(con, exp, chosen)
    if summ.empty:
        raise EmptyResultError(f"experiment {exp!r} has no successful runs")
    summ["scenario"] = summ["scenario"].fillna("(none)").astype(str)
    scen = summ["scenario"].unique()
    if baseline is not None and baseline not in scen and len(scen) > 1:
        with open_store(store) as con:
            planned = con.execute("SELECT count(*) FROM runs WHERE experiment_id = ? AND scenario = ?",
                                  [exp, baseline]).fetchone()[0]
        if planned:
            raise EmptyResultError(f"baseline scenario {baseline!r} has no successful runs in experiment {exp!r}")
        raise UnknownScenarioError(
            f"baseline scenario {baseline!r} is not in experiment {exp!r}; scenarios: "
            f"{', '.join(scenario_order(scen, None))} (pass baseline=... or --baseline)"
        )
    use_base = baseline is not None and baseline in scen
    diffs = paired_differences(summ, baseline) if use_base else None

    rows = []
    for s in scenario_order(scen, baseline):
        for o in chosen:
            vals = summ.loc[(summ["scenario"] == s) & (summ["output"] == o), "value"].to_numpy()
            info = catalog[o]
            ci = mean_interval(vals, level, bounded=info.natural_range[0] is not None and info.unit in
                               ("share", "share/year", "0-1"))
            row = {"scenario": s, "output": o, "n": ci.n, "mean": ci.estimate, "ci_low": ci.low, "ci_high": ci.high}
            if not use_base:
                row.update(diff=math.nan, diff_ci_low=math.nan, diff_ci_high=math.nan,
                           effect_size=math.nan, p_value=math.nan, n_pairs=0)
            elif s == baseline:
                row.update(diff=0.0, diff_ci_low=math.nan, diff_ci_high=math.nan,
                           effect_size=math.nan, p_value=math.nan, n_pairs=ci.n)
            else:
                d = diffs.loc[(diffs["scenario"] == s) & (diffs["output"] == o), "diff"].to_numpy()
                row.update(paired_test(d, level))
            rows.append(row)
    df = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    df["n"] = df["n"].astype(int)
    df["n_pairs"] = df["n_pairs"].astype(int)
    df.attrs.update(experiment_id=exp, baseline=baseline if use_base else None, level=level,
                    crn=bool(diffs.attrs.get("crn", True)) if diffs is not None else None, outputs=catalog)
    return df


# ----------------------------------------------------------------------------- judging effects


def classify_effects(cmp: pd.DataFrame) -> pd.DataFrame:
    """Judge each paired difference of a :func:`compare_scenarios` frame against the output's
    declaration (``attrs["outputs"]``): adds ``threshold`` (the smallest change that matters, in
    the output's unit; relative thresholds are a share of the baseline mean), ``size``
    (``meaningful`` / ``negligible``; None when the output declares no threshold),
    ``excludes_zero`` (the interval of the difference lies on one side of zero), ``clear`` (the
    whole interval lies beyond the threshold), ``verdict`` (``good`` / ``bad`` / ``neutral`` by the
    declared direction; None when undeclared) and ``relative_change`` (diff / baseline mean).

    A difference smaller than its threshold is negligible whatever its p value: under common
    random numbers tiny differences are estimated very precisely."""
    cat = _catalog(cmp)
    base = cmp.attrs.get("baseline")
    out = cmp.copy()
    base_mean = (cmp[cmp["scenario"] == base].set_index("output")["mean"] if base is not None
                 else pd.Series(dtype=float))
    thr, size, excl, clear, verdict, rel = [], [], [], [], [], []
    for r in cmp.itertuples(index=False):
        info = cat[r.output]
        b = float(base_mean.get(r.output, math.nan))
        t = info.threshold(b)
        d, lo, hi = float(r.diff), float(r.diff_ci_low), float(r.diff_ci_high)
        is_ref = r.scenario == base or not math.isfinite(d)
        thr.append(t if t is not None else math.nan)
        size.append(None if is_ref or t is None else ("meaningful" if abs(d) >= t else "negligible"))
        ex = (not is_ref) and math.isfinite(lo) and math.isfinite(hi) and (lo > 0.0 or hi < 0.0)
        excl.append(bool(ex))
        clear.append(bool(ex and t is not None and (lo >= t or hi <= -t)))
        verdict.append(None if is_ref else info.verdict(d))
        rel.append(d / b if not is_ref and math.isfinite(b) and b != 0.0 else math.nan)
    out["threshold"], out["size"], out["excludes_zero"] = thr, size, excl
    out["clear"], out["verdict"], out["relative_change"] = clear, verdict, rel
    return out


# ----------------------------------------------------------------------------- rendering


def _decimals(half_width: float, scale: float) -> int:
    """Decimals that show two significant digits of the interval half-width."""
    h = abs(half_width * scale)
    if not np.isfinite(h) or h == 0.0:
        return 1 if scale == 100.0 else 3
    return int(min(6, max(0, 1 - math.floor(math.log10(h)))))


def _fmt(x: float, scale: float = 1.0, *, signed: bool = False, decimals: int | None = None) -> str:
    """``x`` × ``scale`` (100 for shares) with ``decimals`` (default: 1 in %, else 3 or 0)."""
    if x is None or not np.isfinite(x):
        return "—" if x is None or math.isnan(x) else ("+∞" if x > 0 else "−∞")
    sign = "+" if signed else ""
    if decimals is None:
        decimals = 1 if scale == 100.0 else (0 if abs(x) >= 1000 else 3)
    v = x * scale
    return f"{v:{sign},.{decimals}f}" if abs(v) >= 1000 else f"{v:{sign}.{decimals}f}"


def _fmt_ci(est: float, lo: float, hi: float, scale: float = 1.0, *, signed: bool = False) -> str:
    """Estimate and interval with two significant digits of the interval's half-width."""
    dec = _decimals((hi - lo) / 2.0, scale) if np.isfinite(lo) and np.isfinite(hi) else None
    if dec is None and np.isfinite(est):
        dec = 1 if scale == 100.0 else (0 if abs(est) >= 1000 else 3)
    text = _fmt(est, scale, signed=signed, decimals=dec)
    if np.isfinite(lo) and np.isfinite(hi):
        text += f" [{_fmt(lo, scale, signed=signed, decimals=dec)}, {_fmt(hi, scale, signed=signed, decimals=dec)}]"
    return text


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _catalog(df: pd.DataFrame) -> OutputCatalog:
    cat = df.attrs.get("outputs")
    return cat if isinstance(cat, OutputCatalog) else OutputCatalog()


def _cells(r: pd.Series, catalog: OutputCatalog) -> list[str]:
    info = catalog[r["output"]]
    u = info.display_unit  # differences of shares are in points (the header says so)
    mean = _fmt_ci(r["mean"], r["ci_low"], r["ci_high"], info.scale)
    if np.isnan(r["diff"]):
        diff = "—"
    elif r["n_pairs"] and np.isnan(r["diff_ci_low"]) and r["diff"] == 0.0:
        diff = "(baseline)"
    else:
        diff = _fmt_ci(r["diff"], r["diff_ci_low"], r["diff_ci_high"], info.scale, signed=True)
    dz = r["effect_size"]
    dz_s = "—" if np.isnan(dz) else (f"{dz:+.2f}" if np.isfinite(dz) else _fmt(dz))
    return [str(r["scenario"]), info.label, u, str(int(r["n"])), mean, diff, dz_s, _fmt_p(r["p_value"])]


_HEADERS = ["Scenario", "Output", "Unit", "n", "Mean [CI]", "Δ vs baseline [CI]", "d_z", "p"]


def comparison_cells(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted cells of a :func:`compare_scenarios` frame (for reports)."""
    cat = _catalog(df)
    return list(_HEADERS), [_cells(r, cat) for _, r in df.iterrows()]


def render_comparison(df: pd.DataFrame, *, title: str | None = None, compact: bool | None = None):
    """A ``rich.table.Table`` of a :func:`compare_scenarios` frame (shares in %, their Δ in points).

    ``compact`` puts each interval under its estimate and the unit after the output name, so
    the table fits an 80-column terminal (scenarios become heading rows, d_z is left out);
    ``None`` = compact when rich's console is narrower than 140 columns (it is 80 when the
    output is not a terminal)."""
    from rich import box
    from rich.table import Table

    if compact is None:  # the width rich will print at (80 when output is not a terminal)
        from rich.console import Console

        compact = Console().width < 140
    level = df.attrs.get("level", 0.95)
    cat = _catalog(df)
    if title is None:
        exp = df.attrs.get("experiment_id")
        title = (f"Scenario comparison{f' — {exp}' if exp else ''}\nmeans [{level:.0%} CI] over replicates;\n"
                 f"Δ vs {df.attrs.get('baseline') or 'baseline'} paired by replicate (shares in %, Δ in points)")
    if compact:  # scenario as a heading row, interval under the estimate, no d_z column
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("Output", overflow="fold", ratio=1, min_width=12)
        for h in ("n", "Mean [CI]", "Δ [CI]", "p"):
            table.add_column(h, justify="right", no_wrap=True)
        last = None
        for _, r in df.iterrows():
            cells = _cells(r, cat)
            if r["scenario"] != last:
                if last is not None:
                    table.add_section()
                table.add_row(f"[bold]{cells[0]}[/bold]", "", "", "", "")
                last = r["scenario"]
            unit_ = f" ({cells[2]})" if cells[2] else ""
            table.add_row(cells[1] + unit_, cells[3], cells[4].replace(" [", "\n["), cells[5].replace(" [", "\n["),
                          cells[7])
        return table
    table = Table(title=title, box=box.HEAVY_HEAD)
    for h in _HEADERS:
        right = h in ("n", "Mean [CI]", "Δ vs baseline [CI]", "d_z", "p")
        table.add_column(h, justify="right" if right else "left", no_wrap=h != "Output",
                         min_width=24 if h == "Output" else None)
    last = None
    for _, r in df.iterrows():
        cells = _cells(r, cat)
        if r["scenario"] == last:
            cells[0] = ""
        elif last is not None:
            table.add_section()
        last = r["scenario"]
        table.add_row(*cells)
    return table


def format_comparison(
    df: pd.DataFrame, *, width: int = 140, markdown: bool = False, compact: bool | None = None
) -> str:
    """The comparison as plain text (rich table rendered without colour) or a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "|".join(["---"] * 2 + ["---"] + ["---:"] * 5) + "|"]
        cat = _catalog(df)
        for _, r in df.iterrows():
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(r, cat)) + " |")
        return "\n".join(lines)
    import io

    from rich.console import Console

    buf = io.StringIO()
    if compact is None:
        compact = width < 140
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    console.print(render_comparison(df, compact=compact))
    return buf.getvalue()
