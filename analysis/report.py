"""The experiment report: one document with the scenarios, the key tables, the figures and
the provenance of an experiment, built from the results store alone.

:func:`write_report` writes, in ``out_dir``:

``report.html``       self-contained (figures embedded as PNG), the file to send around
``report.md``         the same content in Markdown, linking ``figures/*.png``
``figures/``          every figure in the requested formats (PNG always, for the documents)
``comparison.csv``    the numbers of the comparison table, with the judgement of each change
``report.pdf``        with ``pdf=True``: the HTML printed by headless Chromium, for circulation

A scenario comparison opens with a plain-language summary of each reform (what changes by
more than the smallest meaningful amount declared for the output, good or bad, what it costs,
how sure we are), then a scenario × output matrix; the full table is in an appendix with the
provenance. What could not be drawn, and why, goes to the log (logger ``analysis.report``).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import os
import platform
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import figures, style
from analysis.outputs import OutputCatalog, load_outputs
from analysis.stats import classify_effects, comparison_cells, compare_scenarios, scenario_order
from analysis.store import (
    AnalysisError,
    StoreLike,
    available_outputs,
    experiment_info,
    has_table,
    load_runs,
    load_scenarios,
    load_summaries,
    open_store,
    resolve_experiment,
    scenario_title,
)

__all__ = ["Block", "ChromiumNotFoundError", "Code", "Fig", "Finding", "H", "Items", "Matrix", "P", "ReportError",
           "Table", "build_blocks", "find_chromium", "print_pdf", "render_html", "render_markdown", "write_report"]

log = logging.getLogger("analysis.report")


class ReportError(AnalysisError):
    """The report cannot be written (e.g. the output folder is not writable)."""


class ChromiumNotFoundError(ReportError):
    """The PDF needs Chromium, which is not installed (or not where ``GOVSIM_CHROMIUM`` says)."""


# ----------------------------------------------------------------------------- document blocks


@dataclass
class H:
    level: int
    text: str


@dataclass
class P:
    text: str
    note: bool = False


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    right: Sequence[int] = ()


@dataclass
class Fig:
    name: str
    caption: str
    png: Path


@dataclass
class Code:
    text: str
    summary: str = ""


@dataclass
class Items:
    items: list[str]


@dataclass
class Finding:
    """A lead in bold followed by plain text (one reform in the summary)."""

    lead: str
    text: str


@dataclass
class Matrix:
    """A table whose cells carry a class (its colour) next to their text, with a legend."""

    headers: list[str]
    rows: list[list[tuple[str, str]]]  # (text, class)
    legend: list[tuple[str, str]]  # (class, meaning)


Block = H | P | Table | Fig | Code | Items | Finding | Matrix


# ----------------------------------------------------------------------------- content


def _fmt_value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def _scenario_blocks(scen: pd.DataFrame, runs: pd.DataFrame, order: list[str], baseline: str | None,
                     titles: dict[str, str]) -> list[Block]:
    out: list[Block] = [H(2, "Scenarios")]
    if scen.empty:  # fall back to the parameters stored with the runs
        first = runs.drop_duplicates("scenario")
        scen = pd.DataFrame({"scenario": first["scenario"], "description": "", "source_file": "", "sha256": "",
                             "params": [json.loads(p) if isinstance(p, str) else (p or {}) for p in first["params"]],
                             "schedule": [json.loads(s) if isinstance(s, str) else (s or [])
                                          for s in first["schedule"]]})
    scen = scen.set_index("scenario")
    names = [s for s in order if s in scen.index] + [s for s in scen.index if s not in order]
    out.append(Table(["Scenario", "Title", "Description", "Source", "sha256"],
                     [[s, titles.get(s, s), str(scen.at[s, "description"] or ""), str(scen.at[s, "source_file"] or ""),
                       str(scen.at[s, "sha256"] or "")[:12]] for s in names]))
    params = {s: (scen.at[s, "params"] if isinstance(scen.at[s, "params"], dict) else {}) for s in names}
    keys = sorted({k for p in params.values() for k in p})
    ref = params.get(baseline, {}) if baseline else {}
    diff = [k for k in keys if any(p.get(k, ref.get(k)) != ref.get(k) for p in params.values())]
    if diff:
        others = [s for s in names if s != baseline]
        head = ["Parameter", f"{baseline} (reference)" if baseline in params else "default"] + others
        rows = []
        for k in diff:
            base_v = ref.get(k)
            row = [k, _fmt_value(base_v) if base_v is not None else "default"]
            for s in others:
                v = params[s].get(k, base_v)
                row.append("·" if v == base_v else _fmt_value(v))
            rows.append(row)
        out += [P("Parameters that differ from the reference (· = same as the reference; "
                  "'default' = the model's registry default):"), Table(head, rows)]
    else:
        out.append(P("No parameter differs between the scenarios from the start"
                     + (" (they differ through the scheduled changes below)." if any(
                         scen.at[sc, "schedule"] for sc in names) else ".")))
    sched_rows = []
    for sc in names:
        for entry in scen.at[sc, "schedule"] or []:
            if isinstance(entry, (list, tuple)) and len(entry) == 3:
                month, name, value = entry
                sched_rows.append([sc, str(month), str(name), _fmt_value(value)])
            else:
                sched_rows.append([sc, "", "", _fmt_value(entry)])
    if sched_rows:
        out.append(P("Scheduled changes (a parameter takes the value from the given month on):"))
        out.append(Table(["Scenario", "Month", "Parameter", "Value"], sched_rows, right=(1,)))
    return out


def _design_blocks(con, experiment_id: str, runs: pd.DataFrame) -> list[Block]:
    """The design of an experiment with several design points: factors and their ranges."""
    out: list[Block] = [H(2, "Design")]
    d = con.execute("SELECT design_point, factor, value, label FROM design WHERE experiment_id = ?",
                    [experiment_id]).df() if has_table(con, "design") else pd.DataFrame()
    n_points = runs["design_point"].nunique()
    out.append(P(f"{n_points} design points × {runs['replicate'].nunique()} replicate(s) over "
                 f"{runs['scenario'].nunique()} base scenario(s) ({', '.join(sorted(runs['scenario'].unique()))})."))
    if d.empty:
        return out
    rows = []
    for f, g in d.groupby("factor", sort=True):
        vals = g["value"].dropna()
        labels = sorted({str(x) for x in g["label"].dropna()})
        rng = f"{vals.min():g} … {vals.max():g}" if not vals.empty else "—"
        rows.append([str(f), rng, str(g["value"].nunique()), ", ".join(labels[:6]) + (" …" if len(labels) > 6 else "")])
    out.append(Table(["Factor", "Range", "Distinct values", "Levels"], rows, right=(2,)))
    return out


def _distribution_blocks(con, experiment_id: str, outputs: Sequence[str], catalog: OutputCatalog) -> list[Block]:
    """Summary values over all successful runs of a design: n, mean, sd and percentiles."""
    summ = load_summaries(con, experiment_id, list(outputs))
    if summ.empty:
        return [P("No successful run: nothing to summarise.")]
    rows = []
    for o in outputs:
        v = summ.loc[summ["output"] == o, "value"].dropna().to_numpy()
        if v.size == 0:
            continue
        info = catalog[o]
        k = info.scale
        q = np.quantile(v, [0.05, 0.5, 0.95]) * k
        sd = f"{v.std(ddof=1) * k:.3g}" if v.size > 1 else "—"
        rows.append([info.label, info.display_unit, str(v.size), f"{v.mean() * k:.4g}", sd,
                     f"{q[0]:.4g}", f"{q[1]:.4g}", f"{q[2]:.4g}"])
    return [P("Summary values across all runs of the design (not a scenario comparison):"),
            Table(["Output", "Unit", "runs", "mean", "sd", "5 %", "median", "95 %"], rows, right=range(2, 8))]


def _sensitivity_blocks(con, experiment_id: str, catalog: OutputCatalog, top: int = 10) -> list[Block]:
    si = figures.load_sensitivity(con, experiment_id)
    if si.empty:
        return []
    out: list[Block] = [H(2, "Sensitivity indices")]
    for method in sorted(si["method"].str.lower().unique()):
        m = si[si["method"].str.lower() == method]
        period = figures._pick_period(m)
        m = figures._at_period(m, period)
        m = m[m["n"] == m.groupby("output")["n"].transform("max")]
        stats_ = [st for st in ("S1", "ST", "mu_star", "sigma", "delta") if (m["statistic"] == st).any()]
        if not stats_:
            stats_ = sorted(m.loc[m["factor2"].isna(), "statistic"].unique())[:4]
        if not stats_:
            continue
        rank = "ST" if "ST" in stats_ else stats_[0]
        rows = []
        for o in sorted(m["output"].unique()):
            mo = m[(m["output"] == o) & m["factor2"].isna()]
            val = mo.pivot_table(index="factor", columns="statistic", values="value")
            conf = mo.pivot_table(index="factor", columns="statistic", values="conf")
            if rank not in val:
                continue
            for f in val[rank].sort_values(ascending=False).index[:top]:
                cells = []
                for st in stats_:
                    v = val.at[f, st] if st in val and f in val.index else np.nan
                    c = conf.at[f, st] if st in conf and f in conf.index else np.nan
                    if not np.isfinite(v):
                        cells.append("—")
                    else:
                        cells.append(f"{v:.3f} ± {c:.3f}" if np.isfinite(c) else f"{v:.3f}")
                rows.append([catalog[o].label, str(f), *cells])
        n = int(m["n"].max()) if m["n"].notna().any() else None
        out.append(H(3, f"{method} (period {period}{f', N = {n}' if n else ''})"))
        out.append(P(f"Top {top} factors per output by {rank}; ± is the half-width of the 95 % confidence interval."))
        out.append(Table(["Output", "Factor", *stats_], rows, right=range(2, 2 + len(stats_))))
    return out


# ----------------------------------------------------------------------------- plain-language summary


def _num(v: float, digits: int = 2) -> str:
    """A number with about ``digits`` significant digits, thousands separated, − for minus."""
    if not math.isfinite(v):
        return "—"
    a = abs(v)
    dec = 0 if a >= 10 ** (digits - 1) or a == 0 else min(4, digits - 1 - math.floor(math.log10(a)))
    return f"{v:,.{dec}f}".replace("-", "−")


def _change(info, diff: float, rel: float, *, nested: bool = False) -> str:
    """A difference in words-and-units: "+3.1 pp", "+4.3 yuan/resident/month (+12 %)"."""
    sign = "+" if diff > 0 else ""
    if info.is_share:
        return f"{sign}{_num(diff * 100)} {info.delta_unit}".replace("+−", "−")
    if info.unit == "0-1":
        return f"{sign}{_num(diff)} on a 0-1 scale"
    text = f"{sign}{_num(diff)}{(' ' + info.unit) if info.unit else ''}"
    if math.isfinite(rel) and info.relative:
        r = f"{'+' if rel > 0 else ''}{_num(rel * 100)} %"
        text += f", {r}" if nested else f" ({r})"
    return text


def _level(info, value: float, *, unit: bool = True) -> str:
    if not math.isfinite(value):
        return "—"
    if info.is_share:
        return f"{_num(value * 100, 3)} %"
    return f"{_num(value, 3)}{(' ' + info.unit) if unit and info.unit and info.unit != '0-1' else ''}"


def _pct(level: float) -> str:
    return f"{level * 100:g} %"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _reform_finding(judged: pd.DataFrame, catalog: OutputCatalog, n_pairs: int, level: float) -> str:
    """One or two sentences on one reform: meaningful changes (good/bad), cost, certainty."""
    good, bad, other, costs, savings, unsure = [], [], [], [], [], []
    undeclared = False
    for r in judged.itertuples(index=False):
        info = catalog[r.output]
        if r.size is None:
            undeclared = True
            continue
        if r.size != "meaningful":
            continue
        name = info.label.lower() if info.label[:1].isupper() and info.label[1:2].islower() else info.label
        change = _change(info, r.diff, r.relative_change, nested=not info.cost)
        text = f"{name} {change}" if info.cost else f"{name} ({change})"
        if not r.excludes_zero:
            unsure.append(info.label.lower())
        if info.cost:
            (costs if r.diff > 0 else savings).append(text)
        elif r.verdict == "good":
            good.append(text)
        elif r.verdict == "bad":
            bad.append(text)
        else:
            other.append(text)
    parts = []
    if good:
        parts.append(f"improves {_join(good)}")
    if bad:
        parts.append(f"worsens {_join(bad)}")
    if other:
        parts.append(f"changes {_join(other)}")
    if parts:
        first = _join(parts) + "; other key outputs change negligibly."
        first = first[0].upper() + first[1:]
    else:
        first = "No key outputs change by a meaningful amount: every effect is negligible."
    cost_outs = [o for o in judged["output"] if catalog[o].cost]
    if costs or savings:
        second = " ".join(t for t in (f"Costs more: {_join(costs)}." if costs else "",
                                      f"Saves: {_join(savings)}." if savings else "") if t)
    elif cost_outs:
        second = "Costs about the same as the baseline."
    else:
        second = ""
    if unsure:
        one = len(unsure) == 1
        sure = (f"Less sure about {_join(unsure)}: {'its' if one else 'their'} {_pct(level)} "
                f"interval{'' if one else 's'} include{'s' if one else ''} no change ({n_pairs} paired replicates).")
    elif good or bad or other or costs or savings:
        sure = f"Sure: each change named has a {_pct(level)} interval that excludes zero ({n_pairs} paired replicates)."
    else:
        sure = f"({n_pairs} paired replicates.)"
    if undeclared:
        sure += " Outputs without a declared smallest meaningful change are not judged here."
    return " ".join(t for t in (first, second, sure) if t)


def _summary_blocks(judged: pd.DataFrame, catalog: OutputCatalog, titles: dict[str, str], order: list[str],
                    base: str, level: float, horizon: Any) -> list[Block]:
    reforms = [s for s in order if s != base]
    n_pairs = int(judged.loc[judged["scenario"] != base, "n_pairs"].min()) if reforms else 0
    out: list[Block] = [H(2, "Summary"), P(
        f"Each reform was simulated {n_pairs} times with the same random draws as the baseline "
        f"“{titles.get(base, base)}”, over {horizon} months; its effect is the difference from the baseline "
        "in each replicate, averaged. A change smaller than the smallest change that matters for that output "
        "(declared with the outputs) is called negligible, however small its p value. "
        "“Good” and “bad” follow the direction declared for each output.")]
    for s in reforms:
        rows = judged[judged["scenario"] == s]
        out.append(Finding(f"{titles.get(s, scenario_title(s))} ({s}).",
                           _reform_finding(rows, catalog, int(rows["n_pairs"].min()), level)))
    return out


def _target_blocks(cmp: pd.DataFrame, catalog: OutputCatalog, titles: dict[str, str]) -> list[Block]:
    """Policy targets (declared with the outputs): which scenarios reach them, in one line each."""
    items = []
    level = cmp.attrs.get("level", 0.95)
    for o, t in catalog.targets().items():
        rows = cmp[(cmp["output"] == o) & cmp["mean"].notna()]
        if rows.empty:
            continue
        info = catalog[o]
        lower_better = info.direction == "lower"
        met = rows[(rows["ci_high"] <= t) if lower_better else (rows["ci_low"] >= t)]
        best = rows.sort_values("mean", ascending=lower_better).iloc[0]
        best_s = (f"{titles.get(best['scenario'], best['scenario'])} at {_level(info, best['mean'])}"
                  + (f" [{_level(info, best['ci_low'])}, {_level(info, best['ci_high'])}]"
                     if math.isfinite(best["ci_low"]) else ""))
        goal = f"{info.label} {'≤' if lower_better else '≥'} {_level(info, t)}"
        if met.empty:
            items.append(f"{goal}: no scenario reaches the target; the closest is {best_s}.")
        else:
            names = ", ".join(titles.get(s, s) for s in met["scenario"])
            items.append(f"{goal}: reached by {names} ({_pct(level)} interval clear of the target).")
    return [H(3, "Policy targets"), Items(items)] if items else []


_MATRIX_LEGEND = [
    ("good", "better, meaningful, interval excludes zero"),
    ("good-weak", "better, meaningful, but the interval includes zero"),
    ("bad", "worse, meaningful, interval excludes zero"),
    ("bad-weak", "worse, meaningful, but the interval includes zero"),
    ("cost", "spending up (what the reform costs), meaningful"),
    ("saving", "spending down, meaningful"),
    ("neutral", "meaningful change in an output with no better direction"),
    ("negligible", "negligible: smaller than the smallest change that matters"),
    ("plain", "not judged (no declared direction or threshold)"),
]


def _cell_class(r, info) -> str:
    if r.size is None:
        return "plain"
    if r.size == "negligible":
        return "negligible"
    if info.cost:
        return "cost" if r.diff > 0 else "saving"
    if r.verdict in ("good", "bad"):
        return r.verdict if r.excludes_zero else f"{r.verdict}-weak"
    return "neutral"


def _matrix_block(judged: pd.DataFrame, catalog: OutputCatalog, titles: dict[str, str], order: list[str],
                  base: str) -> list[Block]:
    outs = list(dict.fromkeys(judged["output"]))
    headers = ["Scenario"] + [f"{catalog[o].label} ({catalog[o].delta_unit or 'model units'})" for o in outs]
    idx = judged.set_index(["scenario", "output"])
    rows: list[list[tuple[str, str]]] = []
    base_row = [(f"{titles.get(base, base)} (level)", "level")]
    for o in outs:
        v = idx.at[(base, o), "mean"] if (base, o) in idx.index else math.nan
        base_row.append((_level(catalog[o], v, unit=False), "level"))
    rows.append(base_row)
    for s in order:
        if s == base:
            continue
        row = [(titles.get(s, scenario_title(s)), "name")]
        for o in outs:
            if (s, o) not in idx.index:
                row.append(("—", "plain"))
                continue
            r = idx.loc[(s, o)]
            info = catalog[o]
            rr = type("R", (), {"size": r["size"], "diff": r["diff"], "verdict": r["verdict"],
                                "excludes_zero": r["excludes_zero"]})
            cls = _cell_class(rr, info)
            d = r["diff"] * info.scale
            text = "≈ 0" if cls == "negligible" else f"{'+' if d > 0 else ''}{_num(d)}".replace("+−", "−")
            if cls not in ("negligible", "plain") and info.relative and math.isfinite(r["relative_change"]):
                text += f" ({'+' if r['relative_change'] > 0 else ''}{_num(r['relative_change'] * 100)} %)"
            row.append((text, cls))
        rows.append(row)
    used = {c for row in rows for _, c in row}
    legend = [(c, m) for c, m in _MATRIX_LEGEND if c in used]
    return [H(2, "Reforms at a glance"),
            P("Change from the baseline in each key output (mean over paired replicates; shares in percentage "
              "points). The first row is the baseline's own level."),
            Matrix(headers, rows, legend)]


def _comparison_appendix(judged: pd.DataFrame, base: str | None, level: float) -> list[Block]:
    headers, rows = comparison_cells(judged)
    words = {None: "—", "negligible": "negligible", "meaningful": "meaningful"}
    headers = headers + ["Judgement"]
    for cells, r in zip(rows, judged.itertuples(index=False), strict=True):
        j = words.get(r.size, "—")
        if r.size == "meaningful":
            j += (", " + r.verdict if r.verdict in ("good", "bad") else "") + (
                "" if r.excludes_zero else ", interval includes zero")
        cells.append(j if r.scenario != base else "(baseline)")
    text = (f"Means over replicates with {_pct(level)} intervals: percentile bootstrap of the mean (2,000 "
            "resamples of the replicates) for shares, rates and 0-1 scores, so the interval stays inside the range "
            "the output can take; Student t for the others. ")
    if base:
        text += (f"Δ is the mean paired difference from {base} over replicates sharing a seed, with its {_pct(level)} "
                 "paired t interval; d_z = mean(Δ)/sd(Δ); p from the paired t test. Under common random numbers "
                 "p is small even for tiny differences: the judgement uses the smallest meaningful change instead. ")
    text += "Shares are in %, their differences in percentage points."
    return [H(2, "Appendix A: all numbers"), P(text), Table(headers, rows, right=range(3, 8))]


def _git_commit() -> str | None:
    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parent,
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("numpy", "scipy", "pandas", "duckdb", "matplotlib", "networkx", "rich"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _provenance_blocks(info: dict[str, Any], runs: pd.DataFrame, store_label: str) -> list[Block]:
    man = info.get("manifest") or {}
    out: list[Block] = [H(2, "Provenance")]
    git = man.get("git") if isinstance(man.get("git"), dict) else {}
    commit = git.get("commit") or man.get("git_commit")
    rows = [
        ["Experiment",
         f"{info['experiment_id']} ({info.get('name')}, kind {info.get('kind')}, status {info.get('status')})"],
        ["Target", str(info.get("target") or man.get("target") or "—")],
        ["Created", str(info.get("created") or "—")],
        ["Experiment seed", str(info.get("seed"))],
        ["Horizon", f"{info.get('horizon')} months"],
        ["Git commit", f"{commit or '—'}{' (uncommitted changes)' if git.get('dirty') else ''}"],
        ["Model code sha256", str(man.get("code_sha256", "—"))[:16]],
        ["Executor", _fmt_value(man.get("executor", "—"))],
        ["Host", str(man.get("host", "—"))],
        ["Started / finished",
         f"{man.get('started', man.get('start', '—'))} / {man.get('finished', man.get('end', '—'))}"],
        ["Store", store_label],
    ]
    out.append(Table(["", ""], rows))
    # runs
    ok = runs[runs["status"] == "ok"]
    failed = runs[runs["status"] != "ok"]
    planned = man.get("planned_runs")
    by = runs.groupby(["scenario", "status"]).size().unstack(fill_value=0)
    out.append(H(3, "Runs"))
    out.append(P(f"{len(ok)} ok, {len(failed)} failed" + (f", {planned} planned" if planned else "") + "."))
    out.append(Table(["Scenario"] + [str(c) for c in by.columns],
                     [[str(s)] + [str(int(v)) for v in by.loc[s]] for s in by.index],
                     right=range(1, len(by.columns) + 1)))
    dur = runs["duration_s"].dropna()
    if not dur.empty:
        out.append(P(f"Run time: total {dur.sum():.1f} s of compute; per run mean {dur.mean():.2f} s, median "
                     f"{dur.median():.2f} s, max {dur.max():.2f} s."))
    if not failed.empty:
        errs = [f"{r.run_id} ({r.scenario}, replicate {r.replicate}): {str(r.error or '')[:200]}"
                for r in failed.head(20).itertuples()]
        if len(failed) > 20:
            errs.append(f"... and {len(failed) - 20} more")
        out += [P("Failed runs:"), Items(errs)]
    # seeds
    seeds = runs.groupby("replicate")["seed"].agg(["min", "max", "nunique"]).reset_index()
    crn = bool((seeds["nunique"] == 1).all())
    out.append(H(3, "Seeds"))
    out.append(P("Replicate seeds are shared by all scenarios (common random numbers)." if crn else
                 "Replicate seeds differ between scenarios (or design points): runs do not share common random "
                 "numbers."))
    if crn and len(seeds) <= 50:
        out.append(Table(["Replicate", "Seed"], [[str(int(r.replicate)), str(int(r.min))] for r in seeds.itertuples()],
                         right=(0, 1)))
    if isinstance(man.get("versions"), dict):
        out.append(H(3, "Versions (experiment)"))
        out.append(Table(["Package", "Version"], [[k, str(v)] for k, v in man["versions"].items()]))
    av = _versions()
    out.append(H(3, "Versions (this report)"))
    out.append(Table(["Package", "Version"], [[k, str(v)] for k, v in av.items()] +
                     [["analysis git commit", _git_commit() or "—"]]))
    out.append(Code(json.dumps(man, indent=2, sort_keys=True, default=str, ensure_ascii=False), "Full manifest"))
    return out


def build_blocks(
    con,
    experiment_id: str,
    figset: figures.FigureSet,
    *,
    baseline: str = "baseline",
    level: float = 0.95,
    store_label: str = "",
) -> tuple[list[Block], pd.DataFrame | None]:
    """The report's content as blocks, and the comparison frame with the judgement of each
    change (``None`` when there is no scenario comparison)."""
    info = experiment_info(con, experiment_id)
    runs = load_runs(con, experiment_id)
    runs["scenario"] = runs["scenario"].fillna("(none)").astype(str)
    if info.get("kind") in ("calibration", "sbc"):
        from analysis import calibration_report

        blocks = calibration_report.blocks(con, info, runs, figset)
        prov = _provenance_blocks(info, runs, store_label)
        prov[0] = H(2, "Appendix: provenance")
        return blocks + prov, None
    order = scenario_order(runs["scenario"].unique(), baseline)
    base = baseline if baseline in order else None
    catalog = load_outputs(con, experiment_id)
    scen = load_scenarios(con, experiment_id)
    titles = {str(s): str(t) for s, t in zip(scen["scenario"], scen["title"], strict=True)}
    for s in order:
        titles.setdefault(s, scenario_title(s))
    title = f"govsim report — {info.get('name') or experiment_id}"
    n_rep = runs["replicate"].nunique()
    n_points = runs["design_point"].nunique()
    draws = (info.get("spec") or {}).get("draws")
    if draws:
        shape = f"{len(order)} scenario(s), {n_points} posterior draws"
        n_rep = int(draws.get("per_draw", 1))
    else:
        shape = f"{len(order)} scenario(s)" + (f", {n_points} design points" if n_points > 1 else "")
    blocks: list[Block] = [
        H(1, title),
        P(f"Experiment {experiment_id} ({info.get('kind')}); {shape} × {n_rep} replicate(s), "
          f"horizon {info.get('horizon')} months; {int((runs['status'] == 'ok').sum())} runs ok, "
          f"{int((runs['status'] != 'ok').sum())} failed. Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
          "from the results store alone.", note=True),
    ]
    ok = runs[runs["status"] == "ok"]
    designed = ok.duplicated(["scenario", "replicate"]).any()
    outs = available_outputs(con, experiment_id, "summaries")
    judged = None
    appendix: list[Block] = []
    if not catalog:
        log.info("experiment %s stores no output declarations: outputs are labelled by name and not judged",
                 experiment_id)
    if designed:  # a design or sensitivity experiment: no scenario comparison
        blocks += _design_blocks(con, experiment_id, runs)
        blocks.append(H(2, "Key results"))
        key = catalog.key_outputs(outs) or outs
        blocks += _distribution_blocks(con, experiment_id, key, catalog) if outs else [P("No successful run.")]
    elif outs and not ok.empty:
        cmp = compare_scenarios(con, experiment_id, outputs=None, baseline=base if len(order) > 1 else None,
                                level=level)
        judged = classify_effects(cmp)
        if cmp.attrs.get("baseline"):
            blocks += _summary_blocks(judged, catalog, titles, order, base, level, info.get("horizon"))
            blocks += _target_blocks(cmp, catalog, titles)
            blocks += _matrix_block(judged, catalog, titles, order, base)
            if (info.get("spec") or {}).get("draws"):
                from analysis import calibration_report

                blocks += calibration_report.effect_blocks(con, info, catalog, titles, base, figset)
        else:
            blocks.append(H(2, "Key results"))
            blocks.append(P(f"Summary values (mean over replicates, {_pct(level)} interval); with no baseline "
                            "scenario there is nothing to compare against."))
            blocks += _target_blocks(cmp, catalog, titles)
        appendix += _comparison_appendix(judged, cmp.attrs.get("baseline"), level)
    else:
        blocks.append(H(2, "Key results"))
        blocks.append(P("No successful run: nothing to summarise."))
    blocks += _sensitivity_blocks(con, experiment_id, catalog)
    drawn = [name for name in figset.files if figset.png(name) is not None]
    if drawn:
        blocks.append(H(2, "Figures"))
        for name in drawn:
            blocks.append(Fig(name, figset.captions.get(name, name), figset.png(name)))
    for names, why in figset.skipped_by_reason():
        log.info("not drawn: %s: %s", ", ".join(names), why)
    blocks += appendix
    if not designed:
        sb = _scenario_blocks(scen, runs, order, base, titles)
        sb[0] = H(2, f"Appendix {'B' if appendix else 'A'}: scenarios and their parameters")
        blocks += sb
    prov = _provenance_blocks(info, runs, store_label)
    prov[0] = H(2, f"Appendix {'C' if appendix and not designed else ('B' if appendix or not designed else 'A')}: "
                   "provenance")
    blocks += prov
    return blocks, judged


# ----------------------------------------------------------------------------- rendering

_MD_MARK = {"good": "better", "good-weak": "better?", "bad": "worse", "bad-weak": "worse?", "cost": "costs more",
            "saving": "saves", "neutral": "changes", "negligible": "", "plain": "", "level": "", "name": ""}


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Iterable[Block], base: Path) -> str:
    lines: list[str] = []
    for b in blocks:
        if isinstance(b, H):
            lines += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, P):
            lines += [f"*{b.text}*" if b.note else b.text, ""]
        elif isinstance(b, Finding):
            lines += [f"**{b.lead}** {b.text}", ""]
        elif isinstance(b, Table):
            lines.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            lines.append("|" + "|".join("---:" if i in b.right else "---" for i in range(len(b.headers))) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b.rows]
            lines.append("")
        elif isinstance(b, Matrix):
            lines.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            lines.append("|---|" + "|".join("---:" for _ in b.headers[1:]) + "|")
            for r in b.rows:
                cells = [f"{t} ({_MD_MARK[c]})" if _MD_MARK.get(c) else t for t, c in r]
                lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
            lines += ["", "; ".join(f"{_MD_MARK[c] or c}: {m}" for c, m in b.legend if _MD_MARK.get(c)) + ".", ""]
        elif isinstance(b, Fig):
            rel = b.png.relative_to(base) if b.png.is_relative_to(base) else b.png
            lines += [f"![{b.name}]({rel.as_posix()})", "", f"*Figure `{b.name}`: {b.caption}*", ""]
        elif isinstance(b, Code):
            lines += [f"<details><summary>{b.summary}</summary>", "", "```json", b.text, "```", "", "</details>", ""]
        elif isinstance(b, Items):
            lines += [f"- {i}" for i in b.items] + [""]
    return "\n".join(lines)


#: CSS pixels per inch of figure on screen (print uses real inches): every figure shows at the
#: same scale, so a single-column figure's 7 pt text is as large as a double-column one's.
SCREEN_PX_PER_INCH = 110

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.8em 0;font-size:.88em}
th,td{border-bottom:1px solid #e5e5e5;padding:.25em .6em;text-align:left;vertical-align:top}
th{border-bottom:2px solid #999}td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444;max-width:800px}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.8em}.note{color:#555}
p.finding{margin:.5em 0 .8em}
table.matrix td,table.matrix th{text-align:center;border:1px solid #fff;padding:.3em .5em}
table.matrix th{font-weight:600;font-size:.85em;vertical-align:bottom;border-bottom:2px solid #999}
table.matrix td{white-space:nowrap}table.matrix td.name{text-align:left;font-weight:600;background:#fff}
table.matrix td.level{background:#f2f2f2;color:#333;font-style:italic}
.good{background:#3b7fc4;color:#fff}.good-weak{background:#c6dbef;color:#111}
.bad{background:#d55e00;color:#fff}.bad-weak{background:#fbd3b5;color:#111}
.cost{background:#8c6bb1;color:#fff}.saving{background:#dadaeb;color:#111}
.neutral{background:#bdbdbd;color:#111}.negligible{background:#f7f7f7;color:#888}.plain{background:#fff;color:#333}
ul.legend{list-style:none;padding:0;font-size:.85em;columns:2}ul.legend li{margin:.15em 0}
ul.legend span{display:inline-block;width:1.4em;height:.9em;margin-right:.5em;vertical-align:middle;
border:1px solid #ccc}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@page{size:A4;margin:15mm}
@media print{body{max-width:none;margin:0;font-size:10pt}h2{break-after:avoid}figure,tr,p.finding{break-inside:avoid}
figure img{width:calc(var(--w) * 1in) !important}details{display:none}table{font-size:8pt}}
"""


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels from a PNG's header."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ReportError(f"{path} is not a PNG file")
    return struct.unpack(">II", head[16:24])


def render_html(blocks: Iterable[Block], title: str) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if isinstance(b, H):
            parts.append(f"<h{b.level}>{e(b.text)}</h{b.level}>")
        elif isinstance(b, P):
            parts.append(f"<p{' class=note' if b.note else ''}>{e(b.text)}</p>")
        elif isinstance(b, Finding):
            parts.append(f"<p class='finding'><b>{e(b.lead)}</b> {e(b.text)}</p>")
        elif isinstance(b, Table):
            right = set(b.right)
            cls = [" class='r'" if i in right else "" for i in range(len(b.headers))]
            head = "".join(f"<th{cls[i]}>{e(h)}</th>" for i, h in enumerate(b.headers))
            body = "".join("<tr>" + "".join(f"<td{cls[i] if i < len(cls) else ''}>{e(c)}</td>"
                                            for i, c in enumerate(r)) + "</tr>" for r in b.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(b, Matrix):
            head = "".join(f"<th>{e(h)}</th>" for h in b.headers)
            body = "".join("<tr>" + "".join(f"<td class='{c}'>{e(t)}</td>" for t, c in r) + "</tr>" for r in b.rows)
            legend = "".join(f"<li><span class='{c}'></span>{e(m)}</li>" for c, m in b.legend)
            parts.append(f"<table class='matrix'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                         f"<ul class='legend'>{legend}</ul>")
        elif isinstance(b, Fig):
            w_px, h_px = _png_size(b.png)
            inches = w_px / style.PNG_DPI
            data = base64.b64encode(b.png.read_bytes()).decode("ascii")
            shown = round(inches * SCREEN_PX_PER_INCH)
            parts.append(f"<figure id='{e(b.name)}'><img alt='{e(b.caption)}' width='{shown}'"
                         f" data-inches='{inches:.3f}' style='--w:{inches:.3f}' src='data:image/png;base64,{data}'>"
                         f"<figcaption><b>{e(b.name)}</b>: {e(b.caption)}</figcaption></figure>")
        elif isinstance(b, Code):
            parts.append(f"<details><summary>{e(b.summary)}</summary><pre>{e(b.text)}</pre></details>")
        elif isinstance(b, Items):
            parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


# ----------------------------------------------------------------------------- entry point


def write_report(
    store: StoreLike,
    experiment_id: str | None = None,
    out_dir: str | PathLike | None = None,
    *,
    formats: Iterable[str] = style.FORMATS,
    width: str | float | None = None,
    baseline: str = "baseline",
    level: float = 0.95,
    pdf: bool = False,
) -> Path:
    """Write the report of an experiment (default: the latest) to ``out_dir`` (default
    ``results/report/<experiment_id>``): ``report.html`` (self-contained), ``report.md``,
    ``figures/``, ``comparison.csv`` and, with ``pdf``, ``report.pdf`` printed by headless
    Chromium (:func:`print_pdf`). Returns the path of ``report.html``."""
    fmts = tuple(dict.fromkeys(("png", *style.check_formats(formats))))  # the documents need PNG
    chromium = find_chromium() if pdf else None  # fail before any work when it is missing
    with open_store(store) as con:
        exp = resolve_experiment(con, experiment_id)
        out = Path(out_dir) if out_dir is not None else Path("results") / "report" / exp
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(f"cannot create report folder {out}: {exc}") from exc
        figset = figures.make_all(con, exp, out / "figures", formats=fmts, width=width, baseline=baseline, level=level)
        label = "(open connection)" if not isinstance(store, (str, PathLike)) else Path(store).name
        blocks, cmp = build_blocks(con, exp, figset, baseline=baseline, level=level, store_label=label)
    title = blocks[0].text if blocks and isinstance(blocks[0], H) else f"govsim report — {exp}"
    try:
        (out / "report.md").write_text(render_markdown(blocks, out), encoding="utf-8")
        html_path = out / "report.html"
        html_path.write_text(render_html(blocks, title), encoding="utf-8")
        if cmp is not None:
            cmp.to_csv(out / "comparison.csv", index=False)
    except OSError as exc:
        raise ReportError(f"cannot write the report to {out}: {exc}") from exc
    if pdf:
        print_pdf(html_path, out / "report.pdf", chromium=chromium)
    return html_path


#: Command-line switches for headless Chromium on a machine without network or display.
CHROMIUM_FLAGS = ("--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-extensions")


def find_chromium() -> str:
    """Path of the Chromium to print with: ``$GOVSIM_CHROMIUM``, else ``chromium``,
    ``chromium-browser`` or ``google-chrome`` on PATH."""
    env = os.environ.get("GOVSIM_CHROMIUM")
    if env:
        if shutil.which(env):
            return str(shutil.which(env))
        raise ChromiumNotFoundError(f"GOVSIM_CHROMIUM={env!r} is not an executable")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise ChromiumNotFoundError("the PDF is printed by Chromium, which is not installed: install it "
                                "(Debian: apt-get install chromium) or set GOVSIM_CHROMIUM to its path")


def print_pdf(html_path: str | PathLike, pdf_path: str | PathLike, *, chromium: str | None = None,
              timeout: float = 180.0) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (A4, no header or footer; the
    report's print style sheet). The PDF appears whole or not at all."""
    exe = chromium or find_chromium()
    src, dst = Path(html_path).resolve(), Path(pdf_path)
    flags = [*CHROMIUM_FLAGS]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    with tempfile.TemporaryDirectory(prefix="govsim-pdf-") as tmp:
        part = Path(tmp) / "report.pdf"
        cmd = [exe, *flags, f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
               f"--print-to-pdf={part}", src.as_uri()]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"Chromium could not print {src}: {exc}") from exc
        if r.returncode != 0 or not part.is_file() or part.read_bytes()[:5] != b"%PDF-":
            tail = (r.stderr or "").strip().splitlines()[-1:] or ["no PDF written"]
            raise ReportError(f"Chromium could not print {src} (exit {r.returncode}): {tail[0]}")
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(part), str(dst))
        except OSError as exc:
            raise ReportError(f"cannot write {dst}: {exc}") from exc
    return dst

