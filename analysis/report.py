"""The experiment report: one document with the scenarios, the key tables, the figures and
the provenance of an experiment, built from the results store alone.

:func:`write_report` writes, in ``out_dir``:

``report.html``       self-contained (figures embedded as PNG), the file to send around
``report.md``         the same content in Markdown, linking ``figures/*.png``
``figures/``          every figure in the requested formats (PNG always, for the documents)
``comparison.csv``    the numbers of the comparison table
"""

from __future__ import annotations

import base64
import html
import json
import platform
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import figures, style, units
from analysis.stats import comparison_cells, compare_scenarios, scenario_order
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
)

__all__ = ["ReportError", "build_blocks", "render_html", "render_markdown", "write_report"]


class ReportError(AnalysisError):
    """The report cannot be written (e.g. the output folder is not writable)."""


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


Block = H | P | Table | Fig | Code | Items


# ----------------------------------------------------------------------------- content


def _fmt_value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def _scenario_blocks(scen: pd.DataFrame, runs: pd.DataFrame, order: list[str], baseline: str | None) -> list[Block]:
    out: list[Block] = [H(2, "Scenarios")]
    if scen.empty:  # fall back to the parameters stored with the runs
        first = runs.drop_duplicates("scenario")
        scen = pd.DataFrame({"scenario": first["scenario"], "description": "", "source_file": "", "sha256": "",
                             "params": [json.loads(p) if isinstance(p, str) else (p or {}) for p in first["params"]],
                             "schedule": [json.loads(s) if isinstance(s, str) else (s or [])
                                          for s in first["schedule"]]})
    scen = scen.set_index("scenario")
    names = [s for s in order if s in scen.index] + [s for s in scen.index if s not in order]
    out.append(Table(["Scenario", "Description", "Source", "sha256"],
                     [[s, str(scen.at[s, "description"] or ""), str(scen.at[s, "source_file"] or ""),
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


def _distribution_blocks(con, experiment_id: str, outputs: Sequence[str]) -> list[Block]:
    """Summary values over all successful runs of a design: n, mean, sd and percentiles."""
    summ = load_summaries(con, experiment_id, list(outputs))
    if summ.empty:
        return [P("No successful run: nothing to summarise.")]
    rows = []
    for o in outputs:
        v = summ.loc[summ["output"] == o, "value"].dropna().to_numpy()
        if v.size == 0:
            continue
        k = units.scale(o)
        u = {"share": "%", "share/year": "%/yr"}.get(units.unit(o), units.unit(o))
        q = np.quantile(v, [0.05, 0.5, 0.95]) * k
        sd = f"{v.std(ddof=1) * k:.3g}" if v.size > 1 else "—"
        rows.append([units.label(o), u, str(v.size), f"{v.mean() * k:.4g}", sd,
                     f"{q[0]:.4g}", f"{q[1]:.4g}", f"{q[2]:.4g}"])
    return [P("Summary values across all runs of the design (not a scenario comparison):"),
            Table(["Output", "Unit", "runs", "mean", "sd", "5 %", "median", "95 %"], rows, right=range(2, 8))]


def _sensitivity_blocks(con, experiment_id: str, top: int = 10) -> list[Block]:
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
                rows.append([units.label(o), str(f), *cells])
        n = int(m["n"].max()) if m["n"].notna().any() else None
        out.append(H(3, f"{method} (period {period}{f', N = {n}' if n else ''})"))
        out.append(P(f"Top {top} factors per output by {rank}; ± is the half-width of the 95 % confidence interval."))
        out.append(Table(["Output", "Factor", *stats_], rows, right=range(2, 2 + len(stats_))))
    return out


def _target_blocks(cmp: pd.DataFrame) -> list[Block]:
    rows = cmp[cmp["output"] == "satisfied_share"]
    if rows.empty:
        return []
    t = units.SATISFACTION_TARGET
    items = []
    for _, r in rows.iterrows():
        if not np.isfinite(r["mean"]):
            continue
        verdict = ("meets the target" if r["ci_low"] >= t else
                   "below the target" if r["ci_high"] < t else "not distinguishable from the target")
        ci = "" if not np.isfinite(r["ci_low"]) else f" [{r['ci_low'] * 100:.1f}, {r['ci_high'] * 100:.1f}]"
        items.append(f"{r['scenario']}: {r['mean'] * 100:.1f} %{ci} satisfied — {verdict}")
    if not items:
        return []
    return [H(3, f"Against the {t:.0%} satisfaction target"),
            P(f"Share of residents satisfied (mean over replicates, {cmp.attrs.get('level', 0.95):.0%} CI) "
              "against the policy target of the source report:"), Items(items)]


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
    """The report's content as blocks, and the comparison frame (``None`` when there are no runs)."""
    info = experiment_info(con, experiment_id)
    runs = load_runs(con, experiment_id)
    runs["scenario"] = runs["scenario"].fillna("(none)").astype(str)
    order = scenario_order(runs["scenario"].unique(), baseline)
    base = baseline if baseline in order else None
    title = f"govsim report — {info.get('name') or experiment_id}"
    n_rep = runs["replicate"].nunique()
    n_points = runs["design_point"].nunique()
    shape = f"{len(order)} scenario(s)" + (f", {n_points} design points" if n_points > 1 else "")
    blocks: list[Block] = [
        H(1, title),
        P(f"Experiment {experiment_id} ({info.get('kind')}); {shape} × {n_rep} replicate(s), "
          f"horizon {info.get('horizon')} months; {int((runs['status'] == 'ok').sum())} runs ok, "
          f"{int((runs['status'] != 'ok').sum())} failed. Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
          "from the results store alone."),
    ]
    ok = runs[runs["status"] == "ok"]
    designed = ok.duplicated(["scenario", "replicate"]).any()
    outs = available_outputs(con, experiment_id, "summaries")
    cmp = None
    if designed:  # a design or sensitivity experiment: no scenario comparison
        blocks += _design_blocks(con, experiment_id, runs)
        blocks.append(H(2, "Key results"))
        key = [o for o in units.KEY_OUTPUTS if o in outs] or outs
        blocks += _distribution_blocks(con, experiment_id, key) if outs else [P("No successful run.")]
    else:
        blocks += _scenario_blocks(load_scenarios(con, experiment_id), runs, order, base)
        blocks.append(H(2, "Key results"))
        if outs and not ok.empty:
            cmp = compare_scenarios(con, experiment_id,
                                    outputs="all" if not set(units.KEY_OUTPUTS) & set(outs) else None,
                                    baseline=base if len(order) > 1 else None, level=level)
            blocks.append(P(
                f"Summary values (mean over replicates, {level:.0%} Student-t CI). Δ is the mean paired difference "
                f"from {base} over replicates sharing a seed, with its {level:.0%} t interval; d_z = mean(Δ)/sd(Δ); "
                "p from the paired t test. Shares are in %, their differences in percentage points."
                if cmp.attrs.get("baseline") else
                f"Summary values (mean over replicates, {level:.0%} Student-t CI)."))
            headers, rows = comparison_cells(cmp)
            blocks.append(Table(headers, rows, right=range(3, 8)))
            blocks += _target_blocks(cmp)
        else:
            blocks.append(P("No successful run: nothing to summarise."))
    blocks += _sensitivity_blocks(con, experiment_id)
    blocks.append(H(2, "Figures"))
    for name in figset.files:
        png = figset.png(name)
        if png is not None:
            blocks.append(Fig(name, figset.captions.get(name, name), png))
    if figset.skipped:
        blocks.append(P("Not drawn:"))
        blocks.append(Items([f"{', '.join(names)}: {why}" for names, why in figset.skipped_by_reason()]))
    blocks += _provenance_blocks(info, runs, store_label)
    return blocks, cmp


# ----------------------------------------------------------------------------- rendering


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Iterable[Block], base: Path) -> str:
    lines: list[str] = []
    for b in blocks:
        if isinstance(b, H):
            lines += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, P):
            lines += [f"*{b.text}*" if b.note else b.text, ""]
        elif isinstance(b, Table):
            lines.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            lines.append("|" + "|".join("---:" if i in b.right else "---" for i in range(len(b.headers))) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b.rows]
            lines.append("")
        elif isinstance(b, Fig):
            rel = b.png.relative_to(base) if b.png.is_relative_to(base) else b.png
            lines += [f"![{b.name}]({rel.as_posix()})", "", f"*Figure `{b.name}`: {b.caption}*", ""]
        elif isinstance(b, Code):
            lines += [f"<details><summary>{b.summary}</summary>", "", "```json", b.text, "```", "", "</details>", ""]
        elif isinstance(b, Items):
            lines += [f"- {i}" for i in b.items] + [""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.8em 0;font-size:.88em}
th,td{border-bottom:1px solid #e5e5e5;padding:.25em .6em;text-align:left;vertical-align:top}
th{border-bottom:2px solid #999}td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.8em}.note{color:#555}
"""


def render_html(blocks: Iterable[Block], title: str) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if isinstance(b, H):
            parts.append(f"<h{b.level}>{e(b.text)}</h{b.level}>")
        elif isinstance(b, P):
            parts.append(f"<p{' class=note' if b.note else ''}>{e(b.text)}</p>")
        elif isinstance(b, Table):
            right = set(b.right)
            cls = [" class='r'" if i in right else "" for i in range(len(b.headers))]
            head = "".join(f"<th{cls[i]}>{e(h)}</th>" for i, h in enumerate(b.headers))
            body = "".join("<tr>" + "".join(f"<td{cls[i] if i < len(cls) else ''}>{e(c)}</td>"
                                            for i, c in enumerate(r)) + "</tr>" for r in b.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(b, Fig):
            data = base64.b64encode(b.png.read_bytes()).decode("ascii")
            parts.append(f"<figure id='{e(b.name)}'><img alt='{e(b.caption)}' src='data:image/png;base64,{data}'>"
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
) -> Path:
    """Write the report of an experiment (default: the latest) to ``out_dir`` (default
    ``results/report/<experiment_id>``): ``report.html`` (self-contained), ``report.md``,
    ``figures/`` and ``comparison.csv``. Returns the path of ``report.html``."""
    fmts = tuple(dict.fromkeys(("png", *style.check_formats(formats))))  # the documents need PNG
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
    return html_path

