"""The result of a lever search (``govsim search``): every candidate, the feasible Pareto front,
its table and figure — read from the store only.

A search's generations are experiments of kind ``search`` whose settings name the search
(``spec.extra.search.name``). Each candidate is a reform in one of them; its value on an
output is the mean over the futures and replicates it was run in (the same futures and seeds
for every candidate), with a 95 % interval from the paired spread over futures × replicates.
A candidate is *feasible* when it meets every requirement; the *front* is the feasible
candidates no other feasible candidate beats on every objective (Pareto optimality).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.outputs import OutputCatalog, load_outputs
from analysis.store import EmptyResultError, StoreLike, UnknownExperimentError, open_store
from analysis.style import context, new_figure, save

__all__ = ["SearchResult", "analyze", "fig_front", "pareto_mask", "summary_markdown", "write_search"]

REFERENCE = "reference"


@dataclass
class SearchResult:
    """Candidates (one row each: generation, lever values, means, interval half-widths,
    violations, feasible, on_front) and the search's settings."""

    name: str
    settings: dict[str, Any]
    candidates: pd.DataFrame
    outputs: OutputCatalog
    experiments: list[str]

    @property
    def objectives(self) -> list[tuple[str, str]]:
        s = self.settings
        return [(o, "minimize") for o in s["minimize"]] + [(o, "maximize") for o in s["maximize"]]

    @property
    def levers(self) -> list[str]:
        return [lv["name"] for lv in self.settings["levers"]]

    @property
    def front(self) -> pd.DataFrame:
        f = self.candidates[self.candidates["on_front"]]
        first = self.objectives[0]
        return f.sort_values(first[0], ascending=first[1] == "minimize")


def pareto_mask(values: np.ndarray, directions: Iterable[str]) -> np.ndarray:
    """Rows of ``values`` (candidates × objectives) that no other row dominates: at least as
    good on every objective and better on one."""
    sign = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    v = np.asarray(values, dtype=float) * sign
    n = len(v)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        others = np.delete(v, i, axis=0)
        dominated = np.all(others <= v[i], axis=1) & np.any(others < v[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def _met(op: str, mean: float, value: float) -> bool:
    return bool({"<=": mean <= value, "<": mean < value, ">=": mean >= value, ">": mean > value}[op])


def analyze(store: StoreLike, name: str) -> SearchResult:
    """Every candidate of the search ``name`` with its means and the feasible Pareto front."""
    with open_store(store) as con:
        rows = con.execute("SELECT experiment_id, spec FROM experiments WHERE kind = 'search' "
                           "ORDER BY created").fetchall()
        mine = []
        for eid, spec in rows:
            extra = (json.loads(spec) if isinstance(spec, str) else spec).get("extra") or {}
            if (extra.get("search") or {}).get("name") == name:
                mine.append((eid, extra))
        if not mine:
            known = sorted({((json.loads(s) if isinstance(s, str) else s).get("extra") or {}).get("search", {})
                            .get("name") for _, s in rows} - {None})
            raise UnknownExperimentError(f"no search named {name!r} in the store"
                                         + (f"; it has: {', '.join(known)}" if known else ""))
        settings = mine[-1][1]["search"]
        ids = [eid for eid, _ in mine]
        q = ",".join("?" * len(ids))
        runs = con.execute(
            f"SELECT r.experiment_id, r.scenario, r.design_point, r.replicate, s.output, s.value FROM runs r "
            f"JOIN summaries s ON r.experiment_id = s.experiment_id AND r.run_id = s.run_id "
            f"WHERE r.experiment_id IN ({q}) AND r.status = 'ok'", ids).df()
        scen = con.execute(f"SELECT experiment_id, scenario, schedule FROM scenarios WHERE experiment_id IN ({q})",
                           ids).fetchall()
        catalog = load_outputs(con, ids[0])
    if runs.empty:
        raise EmptyResultError(f"search {name!r} has no finished runs yet")
    generation = {eid: int(extra.get("generation", 0)) for eid, extra in mine}
    levers = [lv["name"] for lv in settings["levers"]]
    month = int(settings["month"])
    setting: dict[str, dict[str, Any]] = {}
    for eid, scenario, schedule in scen:
        sched = json.loads(schedule) if isinstance(schedule, str) else (schedule or [])
        vals = {c[1]: c[2] for c in sched if int(c[0]) == month and c[1] in levers}
        setting[scenario] = {"generation": generation[eid], **vals}
    outputs = list(dict.fromkeys([*settings["minimize"], *settings["maximize"],
                                  *(r[0] for r in settings["require"])]))
    runs = runs[runs["output"].isin(outputs)]
    records = []
    for scenario, g in runs.groupby("scenario"):
        rec: dict[str, Any] = {"candidate": scenario, **setting.get(scenario, {})}
        wide = g.pivot_table(index=["design_point", "replicate"], columns="output", values="value")
        rec["runs"] = len(wide)
        for o in outputs:
            x = wide[o].dropna().to_numpy(dtype=float) if o in wide else np.array([])
            rec[o] = float(x.mean()) if len(x) else math.nan
            rec[f"{o}_half"] = (float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
                                if len(x) > 1 else math.nan)
        records.append(rec)
    df = pd.DataFrame.from_records(records)
    feasible = np.ones(len(df), dtype=bool)
    for out, op, value in settings["require"]:
        met = np.array([_met(op, m, value) if math.isfinite(m) else False for m in df[out]])
        df[f"meets {out} {op} {value:g}"] = met
        feasible &= met
    df["feasible"] = feasible
    objectives = [(o, "minimize") for o in settings["minimize"]] + [(o, "maximize") for o in settings["maximize"]]
    cand = (df["candidate"] != REFERENCE) & df["feasible"] & df[[o for o, _ in objectives]].notna().all(axis=1)
    on_front = np.zeros(len(df), dtype=bool)
    idx = np.flatnonzero(cand.to_numpy())
    if len(idx):
        on_front[idx] = pareto_mask(df.loc[cand, [o for o, _ in objectives]].to_numpy(), [d for _, d in objectives])
    df["on_front"] = on_front
    df = df.sort_values(["generation", "candidate"], kind="stable").reset_index(drop=True)
    return SearchResult(name=name, settings=settings, candidates=df, outputs=catalog, experiments=ids)


def _show(res: SearchResult, output: str, v: float) -> str:
    info = res.outputs.get(output)
    if not math.isfinite(v):
        return "–"
    if info is not None and info.is_share:
        return f"{100 * v:.1f} %"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _label(res: SearchResult, output: str) -> str:
    info = res.outputs.get(output)
    if info is None:
        return output
    unit = f" ({info.display_unit})" if info.display_unit else ""
    return f"{info.label}{unit}"


def summary_markdown(res: SearchResult) -> str:
    """The search in a few lines and its front as a table, best on the first objective first."""
    s, df = res.settings, res.candidates
    n_cand = int((df["candidate"] != REFERENCE).sum())
    lines = [f"# Lever search {res.name!r}", "",
             f"Base reform `{s['base']}`; levers from month {s['month']}: "
             + ", ".join(f"`{lv['name']}`" for lv in s["levers"]) + ".",
             "Objectives: " + ", ".join(f"{d} {_label(res, o)}" for o, d in res.objectives) + "."]
    if s["require"]:
        lines.append("Requirements (on the mean over futures): "
                     + "; ".join(f"{_label(res, o)} {op} {_show(res, o, v)}" for o, op, v in s["require"]) + ".")
    gens = int(df["generation"].max()) + 1 if len(df) else 0
    lines += [f"{n_cand} candidates in {gens} generations, each run in the same futures with the same seeds; "
              f"{int(df['feasible'].sum() - df.loc[df['candidate'] == REFERENCE, 'feasible'].sum())} feasible, "
              f"{int(df['on_front'].sum())} on the Pareto front.", ""]
    ref = df[df["candidate"] == REFERENCE]
    cols = res.levers + [o for o, _ in res.objectives] + [o for o, _, _ in s["require"] if o not in
                                                          [x for x, _ in res.objectives]]
    header = ["candidate", *[f"`{c}`" if c in res.levers else _label(res, c) for c in cols]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(r: pd.Series) -> str:
        vals = []
        for c in cols:
            if c in res.levers:
                v = r.get(c)
                vals.append("–" if v is None or (isinstance(v, float) and math.isnan(v)) else
                            ("on" if v is True else "off" if v is False else f"{v:.4g}" if isinstance(v, float)
                             else str(v)))
            else:
                half = r.get(f"{c}_half", math.nan)
                shown = math.isfinite(half) and half > 1e-9 * max(1.0, abs(r[c]))
                vals.append(_show(res, c, r[c]) + (f" ± {_show(res, c, half)}" if shown else ""))
        return "| " + " | ".join([str(r["candidate"]), *vals]) + " |"

    for _, r in res.front.iterrows():
        lines.append(row(r))
    if len(ref):
        lines.append(row(ref.iloc[0]).replace(f"| {REFERENCE} |", f"| {REFERENCE} (base, unchanged) |", 1))
    if not res.front.shape[0]:
        lines += ["", "No candidate met every requirement: relax a requirement, widen a lever's range or run more "
                  "generations."]
    return "\n".join(lines)


def fig_front(res: SearchResult, *, width: str | float = "single"):
    """The first two objectives (or the first against the generation for one objective):
    every candidate, the infeasible ones hollow, the front joined, the base reform marked."""
    df = res.candidates
    objs = [o for o, _ in res.objectives]
    x_name, y_name = (objs[0], objs[1]) if len(objs) > 1 else ("generation", objs[0])
    with context():
        fig = new_figure(width, aspect=0.8)
        ax = fig.add_subplot(1, 1, 1)
        cands = df[df["candidate"] != REFERENCE]
        scale = {n: (res.outputs[n].scale if n in res.outputs else 1.0) for n in (x_name, y_name)}
        sx, sy = scale.get(x_name, 1.0), scale.get(y_name, 1.0)
        feas = cands[cands["feasible"]]
        infeas = cands[~cands["feasible"]]
        ax.scatter(infeas[x_name] * sx, infeas[y_name] * sy, s=14, facecolors="none", edgecolors="0.6",
                   linewidths=0.7, label="misses a requirement")
        ax.scatter(feas[x_name] * sx, feas[y_name] * sy, s=14, color="0.45", label="meets the requirements")
        front = res.front
        if len(front):
            f = front.sort_values(x_name)
            ax.plot(f[x_name] * sx, f[y_name] * sy, "-o", color="#0072B2", ms=4, lw=1.2, label="Pareto front")
        ref = df[df["candidate"] == REFERENCE]
        if len(ref):
            ax.scatter(ref[x_name] * sx, ref[y_name] * sy, marker="*", s=90, color="#D55E00", zorder=5,
                       label="base reform")
        from matplotlib.ticker import FuncFormatter

        for axis, values in ((ax.xaxis, df[x_name] * sx), (ax.yaxis, df[y_name] * sy)):
            if np.nanmax(np.abs(values.to_numpy(dtype=float))) >= 10_000:
                axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel(_label(res, x_name) if x_name != "generation" else "Generation")
        ax.set_ylabel(_label(res, y_name))
        ax.legend(loc="best", fontsize="small", frameon=False)
        ax.set_title(f"Lever search: {res.name}", fontsize="medium")
    return fig


def write_search(res: SearchResult, out_dir: str | Path, *, formats: Iterable[str] = ("png", "pdf", "svg"),
                 ) -> list[Path]:
    """Write ``candidates.csv``, ``front.csv``, ``summary.md`` and the front figure."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, df in (("candidates", res.candidates), ("front", res.front)):
        p = out / f"{name}.csv"
        df.to_csv(p, index=False)
        files.append(p)
    p = out / "summary.md"
    p.write_text(summary_markdown(res) + "\n", encoding="utf-8")
    files.append(p)
    files += save(fig_front(res), out, "search_front", formats)
    return files

