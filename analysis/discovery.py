"""Scenario discovery from the store: under which conditions does an outcome occur?

The cases are an experiment's design points (the futures of a robustness experiment, the
rows of a design or a sensitivity sample) with their inputs from the store's ``design``
table; a case's outcome is the mean of its replicates' run summaries. The cases of interest
are those meeting a condition on an output (``turnover_annual > 0.25``, or several joined
by *and* / *or*). Three views:

* **PRIM** (:mod:`analysis.prim`): boxes with the coverage–density trajectory and the
  quasi-p value of each restriction;
* **CART** (scikit-learn ``DecisionTreeClassifier``): a shallow tree whose leaves are boxes,
  with their coverage and density, and its rules as text;
* **feature scoring** (scikit-learn ``ExtraTreesClassifier``, or ``ExtraTreesRegressor`` on
  the output itself when no condition is given): the impurity-based importance of each
  input, averaged over the trees, with its spread between trees.

In a robustness experiment with several reforms, pick one with ``reform=``; otherwise the
reform becomes one more (categorical) input and a case is a (future, reform) pair.

Reads the store only; never runs or imports the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.outputs import load_outputs
from analysis.objectives import Condition, ObjectiveError
from analysis.prim import PrimBox, prim
from analysis.store import (
    EmptyResultError,
    StoreLike,
    UnknownOutputError,
    UnknownScenarioError,
    available_outputs,
    load_design_inputs,
    load_summaries,
    open_store,
    resolve_experiment,
)
from analysis.style import OKABE_ITO, context, new_figure, save

__all__ = ["Cases", "Discovery", "cart_boxes", "discover", "feature_scores", "load_cases", "write_discovery"]

REFORM_INPUT = "reform"


@dataclass
class Cases:
    """Inputs (one row per case), outcome values and which cases are of interest."""

    experiment_id: str
    x: pd.DataFrame
    value: np.ndarray  # the output's value per case (mean over replicates)
    y: np.ndarray | None  # bool: case of interest; None when no condition was given
    output: str
    conditions: tuple[Condition, ...]
    combine: str  # "all" | "any"
    reform: str | None
    n_replicates: np.ndarray

    def describe(self) -> str:
        if not self.conditions:
            return f"{self.output} (continuous)"
        join = " and " if self.combine == "all" else " or "
        return join.join(str(c) for c in self.conditions)


def load_cases(store: StoreLike, experiment_id: str | None = None, *, output: str | None = None,
               where: Iterable[Condition] = (), combine: str = "all", reform: str | None = None) -> Cases:
    """The cases of an experiment with a design; see the module docstring."""
    conds = tuple(where)
    if combine not in ("all", "any"):
        raise ObjectiveError(f"combine must be 'all' or 'any', not {combine!r}")
    outputs = list(dict.fromkeys([*([output] if output else []), *(c.output for c in conds)]))
    if not outputs:
        raise ObjectiveError("name the output to explain (--output) or give a condition (--where OUTPUT>VALUE)")
    with open_store(store) as con:
        exp = resolve_experiment(con, experiment_id)
        known = available_outputs(con, exp)
        bad = [o for o in outputs if o not in known]
        if bad:
            raise UnknownOutputError(f"output {bad[0]!r} is not in experiment {exp}; it has: {', '.join(known)}")
        inputs = load_design_inputs(con, exp)
        summ = load_summaries(con, exp, outputs)
        catalog = load_outputs(con, exp)
    if inputs.empty:
        raise EmptyResultError(f"experiment {exp} has no design (no varied inputs) to discover scenarios in; use a "
                               "robustness, design or sensitivity experiment")
    summ = summ.dropna(subset=["design_point"])
    reforms = list(dict.fromkeys(summ["scenario"]))
    if reform is not None:
        if reform not in reforms:
            raise UnknownScenarioError(f"reform {reform!r} is not in experiment {exp}; it has: {', '.join(reforms)}")
        summ = summ[summ["scenario"] == reform]
    means = summ.pivot_table(index=["scenario", "design_point"], columns="output", values="value", aggfunc="mean")
    nrep = summ[summ["output"] == outputs[0]].groupby(["scenario", "design_point"]).size()
    means = means.dropna()
    if means.empty:
        raise EmptyResultError(f"experiment {exp} has no successful runs for {', '.join(outputs)}")
    idx = means.index
    x = inputs.reindex([int(dp) for dp in idx.get_level_values("design_point")]).reset_index(drop=True)
    multi = reform is None and len(reforms) > 1
    if multi:
        if REFORM_INPUT in x.columns:
            raise ObjectiveError(f"an input is already called {REFORM_INPUT!r}; choose one reform with --reform")
        x[REFORM_INPUT] = pd.Categorical(idx.get_level_values("scenario"), categories=reforms)
    main = output or conds[0].output
    value = means[main].to_numpy(dtype=float)
    y = None
    if conds:
        hits = [c.holds(means[c.output].to_numpy(dtype=float)) for c in conds]
        y = np.logical_and.reduce(hits) if combine == "all" else np.logical_or.reduce(hits)
        if not y.any() or y.all():
            c = conds[0]
            v = means[c.output]
            hint = ""
            if catalog[c.output].is_share and abs(c.value) > 1:
                hint = (f"; shares are stored as fractions: did you mean {c.op} {c.value / 100:g} "
                        f"(or {c.op} {c.value:g}%)?")
            joined = (" and " if combine == "all" else " or ").join(map(str, conds))
            raise EmptyResultError(
                f"{'no' if not y.any() else 'every'} case meets {joined} "
                f"({len(y)} cases; {c.output} ranges {v.min():.4g}–{v.max():.4g}){hint}")
    return Cases(exp, x, value, y, main, conds, combine, reform if not multi else None,
                 nrep.reindex(idx).to_numpy())


# ------------------------------------------------------------------------------ scikit-learn views
def _one_hot(x: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Numeric columns as they are, categorical ones as 0/1 columns ``name=level``."""
    cols, origin = {}, {}
    for c in x.columns:
        s = x[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s):
            for level in pd.Categorical(s).categories:
                key = f"{c}={level}"
                cols[key] = (s.astype(object).astype(str) == str(level)).astype(float).to_numpy()
                origin[key] = c
        else:
            cols[c] = s.to_numpy(dtype=float)
            origin[c] = c
    return pd.DataFrame(cols), origin


def feature_scores(cases: Cases, *, n_trees: int = 500, seed: int = 1, min_samples_leaf: int = 3) -> pd.DataFrame:
    """Importance of each input for the cases of interest (classifier) or for the output
    itself (regressor, when no condition was given): mean decrease in impurity over an
    extra-trees forest, summed over the one-hot columns of a categorical input; ``sd`` is its
    standard deviation over the trees. Sorted, largest first; scores sum to 1."""
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    xx, origin = _one_hot(cases.x)
    if cases.y is not None:
        model = ExtraTreesClassifier(n_estimators=n_trees, random_state=seed, min_samples_leaf=min_samples_leaf,
                                     n_jobs=1)
        model.fit(xx.to_numpy(), cases.y)
    else:
        model = ExtraTreesRegressor(n_estimators=n_trees, random_state=seed, min_samples_leaf=min_samples_leaf,
                                    n_jobs=1)
        model.fit(xx.to_numpy(), cases.value)
    per_tree = np.array([t.feature_importances_ for t in model.estimators_])
    names = list(cases.x.columns)
    agg = np.zeros((per_tree.shape[0], len(names)))
    for k, col in enumerate(xx.columns):
        agg[:, names.index(origin[col])] += per_tree[:, k]
    df = pd.DataFrame({"input": names, "score": agg.mean(axis=0), "sd": agg.std(axis=0, ddof=1)})
    total = df["score"].sum()
    if total > 0:
        df["sd"] = df["sd"] / total
        df["score"] = df["score"] / total
    return df.sort_values("score", ascending=False, ignore_index=True)


def cart_boxes(cases: Cases, *, max_depth: int = 3, min_leaf: float = 0.05, seed: int = 1) -> tuple[pd.DataFrame, str]:
    """A classification tree of the cases of interest; its leaves as boxes and its rules.

    Returns (leaves, rules): one row per leaf with ``rule`` (the path, categorical splits as
    ``input in {…}``), ``n``, ``k``, ``coverage``, ``density`` and ``mass``, densest first;
    and scikit-learn's text rendering of the tree.
    """
    from sklearn.tree import DecisionTreeClassifier, export_text

    if cases.y is None:
        raise ObjectiveError("CART needs cases of interest: give a condition (--where)")
    xx, origin = _one_hot(cases.x)
    leaf = max(2, math.ceil(min_leaf * len(xx))) if min_leaf < 1 else int(min_leaf)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=leaf, random_state=seed)
    tree.fit(xx.to_numpy(), cases.y)
    t = tree.tree_
    names = list(xx.columns)
    total_k = int(cases.y.sum())
    rows: list[dict[str, Any]] = []

    def walk(node: int, path: list[tuple[str, str, float]]) -> None:
        if t.children_left[node] == t.children_right[node]:  # leaf
            members = tree.apply(xx.to_numpy()) == node
            n, k = int(members.sum()), int(cases.y[members].sum())
            rows.append({"rule": _rule_text(path, origin, cases.x), "n": n, "k": k,
                         "coverage": k / total_k if total_k else math.nan, "density": k / n if n else math.nan,
                         "mass": n / len(xx)})
            return
        f, thr = names[t.feature[node]], float(t.threshold[node])
        walk(t.children_left[node], [*path, (f, "<=", thr)])
        walk(t.children_right[node], [*path, (f, ">", thr)])

    walk(0, [])
    leaves = pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False, ignore_index=True)
    return leaves, export_text(tree, feature_names=names)


def _rule_text(path: list[tuple[str, str, float]], origin: dict[str, str], x: pd.DataFrame) -> str:
    numeric: dict[str, list[float]] = {}
    cats: dict[str, set[str]] = {}
    for f, op, thr in path:
        base = origin[f]
        if base != f:  # one-hot column name=level: <= 0.5 means "not this level"
            level = f.split("=", 1)[1]
            allowed = cats.setdefault(base, {str(v) for v in pd.Categorical(x[base]).categories})
            cats[base] = allowed - {level} if op == "<=" else allowed & {level}
        else:
            lo_hi = numeric.setdefault(base, [-math.inf, math.inf])
            if op == "<=":
                lo_hi[1] = min(lo_hi[1], thr)
            else:
                lo_hi[0] = max(lo_hi[0], thr)
    parts = []
    for name, (lo, hi) in numeric.items():
        if lo > -math.inf and hi < math.inf:
            parts.append(f"{lo:.4g} < {name} ≤ {hi:.4g}")
        elif lo > -math.inf:
            parts.append(f"{name} > {lo:.4g}")
        else:
            parts.append(f"{name} ≤ {hi:.4g}")
    for name, levels in cats.items():
        parts.append(f"{name} in {{{', '.join(sorted(levels))}}}")
    return " and ".join(parts) if parts else "(all cases)"


# ------------------------------------------------------------------------------ the whole analysis
@dataclass
class Discovery:
    """PRIM boxes, CART leaves and feature scores for one set of cases."""

    cases: Cases
    boxes: list[PrimBox] = field(default_factory=list)
    cart: pd.DataFrame | None = None
    cart_rules: str = ""
    scores: pd.DataFrame | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def discover(store: StoreLike, experiment_id: str | None = None, *, output: str | None = None,
             where: Iterable[Condition] = (), combine: str = "all", reform: str | None = None,
             peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05, threshold: float = 0.8,
             max_boxes: int = 1, significance: float | None = 0.05, cart_depth: int = 3,
             cart_min_leaf: float = 0.05, n_trees: int = 500, seed: int = 1) -> Discovery:
    """Load the cases and run PRIM, CART and feature scoring (the last alone when no
    condition is given)."""
    cases = load_cases(store, experiment_id, output=output, where=where, combine=combine, reform=reform)
    settings = {"peel_alpha": peel_alpha, "paste_alpha": paste_alpha, "mass_min": mass_min, "threshold": threshold,
                "max_boxes": max_boxes, "significance": significance, "cart_depth": cart_depth,
                "cart_min_leaf": cart_min_leaf, "n_trees": n_trees,
                "seed": seed}
    d = Discovery(cases, settings=settings)
    d.scores = feature_scores(cases, n_trees=n_trees, seed=seed)
    if cases.y is not None:
        d.boxes = prim(cases.x, cases.y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min,
                       threshold=threshold, max_boxes=max_boxes, significance=significance)
        d.cart, d.cart_rules = cart_boxes(cases, max_depth=cart_depth, min_leaf=cart_min_leaf, seed=seed)
    return d


# ------------------------------------------------------------------------------ figures
def fig_tradeoff(box: PrimBox, *, width: str | float | None = None) -> Figure:
    """The peeling (and pasting) trajectory: coverage against density, coloured by the number
    of restricted inputs; the chosen box ringed."""
    tr = box.trajectory
    with context():
        fig = new_figure(width or "single", aspect=0.8)
        ax = fig.subplots()
        peel = tr[tr["kind"].isin(["start", "peel"])]
        sc = ax.scatter(100 * peel["coverage"], 100 * peel["density"], c=peel["res_dim"], cmap="viridis", s=12,
                        zorder=2)
        for kind, marker, colour, label in (("paste", "s", OKABE_ITO["orange"], "pasted"),
                                            ("drop", "^", OKABE_ITO["reddish_purple"], "restriction dropped")):
            part = tr[tr["kind"] == kind]
            if len(part):
                ax.plot(100 * part["coverage"], 100 * part["density"], marker, color=colour, markersize=3.5,
                        label=label, zorder=3)
        c = tr.iloc[box.chosen]
        ax.plot([100 * c["coverage"]], [100 * c["density"]], "o", mfc="none", mec=OKABE_ITO["vermillion"],
                markersize=9, markeredgewidth=1.3, label="chosen box", zorder=4)
        ax.set_xlabel("Coverage (% of cases of interest in the box)")
        ax.set_ylabel("Density (% of the box's cases of interest)")
        ax.set_xlim(0, 102)
        cb = fig.colorbar(sc, ax=ax)
        cb.set_label("Restricted inputs")
        ax.legend(loc="lower left")
    return fig


def fig_box(box: PrimBox, *, width: str | float | None = None) -> Figure:
    """The chosen box's limits on each restricted input (on its full range), with quasi-p values.

    A categorical restriction's levels are written above its bar, wrapped onto as many lines
    as they need; its row is made taller accordingly."""
    import textwrap

    lim = box.limits()
    labels = [None if r.type == "numeric" else textwrap.wrap("{" + ", ".join(map(str, r.levels)) + "}", 48)
              for r in lim.itertuples()]
    step = [1.0 + 0.4 * (len(lab) - 1 if lab else 0) for lab in labels]  # row heights, bottom row last
    ys, top = [], 0.0
    for h in reversed(step):
        ys.insert(0, top)
        top += h
    n = max(len(lim), 1)
    with context():
        fig = new_figure(width or "single", height=0.7 + 0.32 * max(top, n))
        ax = fig.subplots()
        for r, y, lab in zip(lim.itertuples(), ys, labels, strict=True):
            ax.plot([0, 1], [y, y], color="#D0D0D0", linewidth=6, solid_capstyle="butt", zorder=1)
            if r.type == "numeric":
                span = (r.max - r.min) or 1.0
                a, b = (r.lower - r.min) / span, (r.upper - r.min) / span
                ax.plot([a, b], [y, y], color=OKABE_ITO["blue"], linewidth=6, solid_capstyle="butt", zorder=2)
                ax.text(a, y + 0.28, f"{r.lower:.3g}", ha="center", fontsize=7)
                ax.text(b, y + 0.28, f"{r.upper:.3g}", ha="center", fontsize=7)
            else:
                ax.text(0.5, y + 0.2, "\n".join(lab), ha="center", va="bottom", fontsize=7, linespacing=1.1)
            ax.text(1.03, y, f"qp = {r.qp:.2g}", va="center", fontsize=7)
        ax.set_yticks(ys if len(lim) else [0], list(lim["input"]) if len(lim) else [""])
        ax.set_xlim(-0.02, 1.25)
        ax.set_ylim(-0.6, (top if len(lim) else 1.0) - 0.2)
        ax.set_xticks([0, 0.5, 1], ["min", "", "max"])
        ax.set_xlabel("Range of each input in the cases (box in blue)")
        s = box.stats
        ax.set_title(f"coverage {100 * s['coverage']:.0f} %, density {100 * s['density']:.0f} %, "
                     f"mass {100 * s['mass']:.0f} %", fontsize=7)
    return fig


def fig_scatter(d: Discovery, *, width: str | float | None = None) -> Figure | None:
    """The cases on the two most restricted numeric inputs of the first box, with the box."""
    if not d.boxes:
        return None
    box = d.boxes[0]
    lim = box.limits()
    num = lim[lim["type"] == "numeric"].sort_values("qp")
    if len(num) < 2:
        scores = d.scores
        extra = [i for i in scores["input"] if i not in set(num["input"])
                 and pd.api.types.is_numeric_dtype(d.cases.x[i])] if scores is not None else []
        pick = list(num["input"]) + extra
    else:
        pick = list(num["input"])
    if len(pick) < 2:
        return None
    a, b = pick[:2]
    keep = np.ones(len(d.cases.x), dtype=bool)  # only the cases inside the box's categorical restrictions
    shown = []
    for r in lim[lim["type"] == "categorical"].itertuples():
        keep &= d.cases.x[r.input].astype(str).isin([str(v) for v in r.levels]).to_numpy()
        shown.append(f"{r.input} in {{{', '.join(map(str, r.levels))}}}")
    x, y = d.cases.x[a].to_numpy(float)[keep], d.cases.x[b].to_numpy(float)[keep]
    hit = d.cases.y[keep]
    with context():
        fig = new_figure(width or "single", aspect=0.85)
        ax = fig.subplots()
        ax.plot(x[~hit], y[~hit], "o", color="#BBBBBB", markersize=2.5, label="other cases")
        ax.plot(x[hit], y[hit], "o", color=OKABE_ITO["vermillion"], markersize=2.5, alpha=0.8,
                label="cases of interest")
        if shown:
            import textwrap

            ax.set_title(textwrap.fill("cases with " + " and ".join(shown), 60), fontsize=7)
        full = box.limits(all_inputs=True).set_index("input")
        xa = (full.loc[a, "lower"], full.loc[a, "upper"])
        yb = (full.loc[b, "lower"], full.loc[b, "upper"])
        ax.plot([xa[0], xa[1], xa[1], xa[0], xa[0]], [yb[0], yb[0], yb[1], yb[1], yb[0]], color=OKABE_ITO["blue"],
                linewidth=1.2, label="PRIM box")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        fig.legend(loc="outside lower center", ncols=3)
    return fig


def fig_scores(d: Discovery, *, width: str | float | None = None, top: int = 15) -> Figure:
    """Feature scores (extra trees), largest first, with their spread over the trees."""
    s = d.scores.head(top).iloc[::-1]
    with context():
        fig = new_figure(width or "single", height=0.6 + 0.2 * len(s))
        ax = fig.subplots()
        ax.barh(range(len(s)), s["score"], xerr=s["sd"], color=OKABE_ITO["sky_blue"],
                error_kw=dict(elinewidth=0.6, capsize=1.5))
        ax.set_yticks(range(len(s)), list(s["input"]))
        ax.set_xlabel("Feature score (share of impurity decrease)")
        ax.set_xlim(left=0)
    return fig


# ------------------------------------------------------------------------------ files
def summary_markdown(d: Discovery) -> str:
    c = d.cases
    which = "reform " + c.reform if c.reform else ("all reforms" if REFORM_INPUT in c.x else "design points")
    lines = [f"# Scenario discovery — {c.experiment_id}", "",
             f"Cases: {len(c.x)} ({which});"
             f" inputs: {', '.join(c.x.columns)}.", ""]
    if c.y is not None:
        lines.append(f"Cases of interest: {c.describe()} — {int(c.y.sum())} of {len(c.y)} "
                     f"({100 * c.y.mean():.0f} %).")
        lines.append("")
        for i, box in enumerate(d.boxes, 1):
            s = box.stats
            lines += [f"## PRIM box {i}", "", f"**{box.describe()}**", "",
                      f"coverage {100 * s['coverage']:.1f} %, density {100 * s['density']:.1f} %, "
                      f"mass {100 * s['mass']:.1f} %, {s['res_dim']} restricted input(s)", "",
                      "| input | lower | upper | levels | quasi-p |", "|---|---|---|---|---|"]
            for r in box.limits().itertuples():
                lv = ", ".join(map(str, r.levels)) if r.levels else ""
                lo = "" if r.type != "numeric" else f"{r.lower:.4g}"
                hi = "" if r.type != "numeric" else f"{r.upper:.4g}"
                lines.append(f"| {r.input} | {lo} | {hi} | {lv} | {r.qp:.2g} |")
            lines.append("")
        if d.cart is not None:
            lines += ["## CART leaves (densest first)", "", "| rule | cases | of interest | coverage | density |",
                      "|---|---|---|---|---|"]
            for r in d.cart.itertuples():
                lines.append(f"| {r.rule} | {r.n} | {r.k} | {100 * r.coverage:.0f} % | {100 * r.density:.0f} % |")
            lines.append("")
    else:
        lines += [f"No condition given: feature scores of {c.output} itself.", ""]
    if d.scores is not None:
        lines += ["## Feature scores (extra trees)", "", "| input | score | sd over trees |", "|---|---|---|"]
        for r in d.scores.itertuples():
            lines.append(f"| {r.input} | {r.score:.3f} | {r.sd:.3f} |")
        lines.append("")
    return "\n".join(lines)


def write_discovery(d: Discovery, out_dir: str | Path, *, formats: Sequence[str] = ("png", "pdf", "svg"),
                    width: str | float | None = None) -> dict[str, list[Path]]:
    """Tables (CSV), the CART rules, ``summary.md`` and the figures, in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}

    def table(name: str, df: pd.DataFrame) -> None:
        p = out / f"{name}.csv"
        df.to_csv(p, index=False)
        files[name] = [p]

    cases = d.cases.x.copy()
    cases[d.cases.output] = d.cases.value
    if d.cases.y is not None:
        cases["of_interest"] = d.cases.y
    table("cases", cases)
    if d.scores is not None:
        table("feature_scores", d.scores)
        files["discovery_features"] = save(fig_scores(d, width=width), out, "discovery_features", formats)
    for i, box in enumerate(d.boxes, 1):
        table(f"prim_trajectory_{i}", box.trajectory)
        lim = box.limits()
        lim["levels"] = [None if v is None else "|".join(map(str, v)) for v in lim["levels"]]
        table(f"prim_box_{i}", lim)
        files[f"discovery_tradeoff_{i}"] = save(fig_tradeoff(box, width=width), out, f"discovery_tradeoff_{i}", formats)
        files[f"discovery_box_{i}"] = save(fig_box(box, width=width), out, f"discovery_box_{i}", formats)
    sc = fig_scatter(d, width=width)
    if sc is not None:
        files["discovery_scatter"] = save(sc, out, "discovery_scatter", formats)
    if d.cart is not None:
        table("cart_leaves", d.cart)
        p = out / "cart_rules.txt"
        p.write_text(d.cart_rules, encoding="utf-8")
        files["cart_rules"] = [p]
    p = out / "summary.md"
    p.write_text(summary_markdown(d) + "\n", encoding="utf-8")
    files["summary"] = [p]
    return files
