"""PRIM, the Patient Rule Induction Method, for scenario discovery.

Finds a box — a range for each numeric input and a set of levels for each categorical one —
in which the cases of interest (e.g. futures where a reform fails) are dense, following
Friedman & Fisher (1999, *Bump hunting in high-dimensional data*, Statistics and Computing
9, 123–143) as used for scenario discovery by Bryant & Lempert (2010, *Thinking inside the
box: a participatory, computer-assisted approach to scenario discovery*, Technological
Forecasting and Social Change 77(1), 34–49):

**Peeling.** Starting from the box holding every case, each step considers, for every numeric
input, cutting off the ``peel_alpha`` share of the box's cases at its lower or its upper end
(at least one distinct value, so ties and integers peel cleanly) and, for every categorical
input, dropping one of its levels still in the box. The candidate with the best objective is
taken — ``"lenient1"`` (default): gain in the share of cases of interest per case removed,
which does not favour categorical peels that remove many cases at once; ``"original"``: the
share itself — as long as the box keeps at least ``mass_min`` of all cases; ``lenient1``
stops when no peel raises the share, ``original`` keeps peeling (the best peel may lower the
share for a while, as in Friedman & Fisher) until the box is pure or down to ``mass_min``.
Every box of the sequence is kept: the
**peeling trajectory**, with each box's *coverage* (share of all cases of interest inside it),
*density* (share of its cases that are of interest), *mass* and number of restricted inputs.

**Choosing and pasting.** Among the boxes of the trajectory with density ≥ ``threshold``, the
one taken balances the trade-off: the highest harmonic mean of coverage and density (else,
when none reaches the threshold, the densest box); ``select=`` picks another. Pasting then
widens it again, one ``paste_alpha`` share of cases at a time along a restricted input (or
one dropped level back), while the density does not fall and the box grows — undoing peels
that went further than needed.

**Significance.** For each restricted input of a box, the quasi-p value of Bryant & Lempert
(2010) asks whether the restriction could be chance: with the restriction removed the box has
density ``p'``; the quasi-p value is the one-sided binomial probability
``P[X ≥ H]`` for ``X ~ Binomial(T, p')``, where the box holds ``T`` cases of which ``H`` are
of interest. Large values flag restrictions that may be chance — with few cases, peeling
picks up such restrictions on inputs that play no part — so, for a box one can read, the
restriction with the largest quasi-p value above ``significance`` (default 0.05) is
dropped, the others are re-tested, and so on (``significance=None`` keeps every
restriction). The trajectory records these steps as ``drop``.

**Covering.** ``max_boxes > 1`` repeats the search on the cases not yet in a box, while a new
box reaches the density threshold.

Numeric inputs are float or int columns; categorical inputs are pandas categoricals, strings
or booleans. This implementation exists because the maintained ones did not serve under
pandas 3 (see docs/EXPLORATORY.md); it is tested against a planted box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.store import AnalysisError

__all__ = ["OBJECTIVES", "PrimBox", "PrimError", "prim"]

OBJECTIVES = ("lenient1", "original")


class PrimError(AnalysisError, ValueError):
    """PRIM inputs that cannot be used (shapes, types, parameters)."""


@dataclass
class _Data:
    names: list[str]
    numeric: list[bool]
    values: list[np.ndarray]  # float values, or int codes for categorical inputs
    levels: list[list[Any] | None]  # level labels of categorical inputs


def _prepare(x: pd.DataFrame) -> _Data:
    if not isinstance(x, pd.DataFrame) or x.empty or not len(x.columns):
        raise PrimError("PRIM needs a non-empty DataFrame of inputs")
    names, numeric, values, levels = [], [], [], []
    for c in x.columns:
        s = x[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s) \
                or pd.api.types.is_bool_dtype(s):
            cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
            if cat.isna().any():
                raise PrimError(f"input {c!r} has missing values")
            codes = cat.cat.codes.to_numpy().astype(np.int64)
            numeric.append(False)
            values.append(codes)
            levels.append(list(cat.cat.categories))
        elif pd.api.types.is_numeric_dtype(s):
            v = s.to_numpy(dtype=float)
            if not np.isfinite(v).all():
                raise PrimError(f"input {c!r} has missing or infinite values")
            numeric.append(True)
            values.append(v)
            levels.append(None)
        else:
            raise PrimError(f"input {c!r} has dtype {s.dtype}, neither numeric nor categorical")
        names.append(str(c))
    return _Data(names, numeric, values, levels)


@dataclass
class _Limits:
    lo: np.ndarray  # per input; NaN for categorical
    hi: np.ndarray
    allowed: list[np.ndarray | None]  # boolean mask over levels for categorical inputs

    def copy(self) -> _Limits:
        return _Limits(self.lo.copy(), self.hi.copy(), [None if a is None else a.copy() for a in self.allowed])


def _inside(data: _Data, lim: _Limits, rows: np.ndarray, skip: int | None = None) -> np.ndarray:
    ok = np.ones(len(rows), dtype=bool)
    for j, num in enumerate(data.numeric):
        if j == skip:
            continue
        v = data.values[j][rows]
        if num:
            ok &= (v >= lim.lo[j]) & (v <= lim.hi[j])
        else:
            ok &= lim.allowed[j][v]
    return ok


def _restricted(data: _Data, lim: _Limits, init: _Limits) -> list[int]:
    out = []
    for j, num in enumerate(data.numeric):
        if num:
            if lim.lo[j] > init.lo[j] or lim.hi[j] < init.hi[j]:
                out.append(j)
        elif not lim.allowed[j].all():
            out.append(j)
    return out


@dataclass
class PrimBox:
    """One box found by PRIM: its peeling (and pasting) trajectory and the chosen box.

    ``trajectory`` has one row per box of the sequence: ``step``, ``kind`` (``start``,
    ``peel``, ``paste``, ``drop``), ``coverage``, ``density``, ``mass``, ``n`` (cases in the box),
    ``k`` (cases of interest in it), ``res_dim`` (restricted inputs). ``chosen`` indexes it.
    """

    trajectory: pd.DataFrame
    chosen: int
    inputs: list[str]
    _data: _Data = field(repr=False)
    _limits: list[_Limits] = field(repr=False)
    _init: _Limits = field(repr=False)
    _rows: np.ndarray = field(repr=False)  # the cases this box was searched among
    _y: np.ndarray = field(repr=False)

    @property
    def stats(self) -> dict[str, float]:
        """Coverage, density, mass, n, k and res_dim of the chosen box."""
        return {k: (float(v) if k in ("coverage", "density", "mass") else int(v))
                for k, v in self.trajectory.iloc[self.chosen].items() if k not in ("step", "kind")}

    def mask(self, x: pd.DataFrame | None = None, i: int | None = None) -> np.ndarray:
        """Which cases (of the data PRIM ran on, or of ``x``) lie in box ``i`` (default: chosen)."""
        lim = self._limits[self.chosen if i is None else i]
        data = self._data if x is None else _encode_like(x, self._data)
        rows = np.arange(len(data.values[0]))
        return _inside(data, lim, rows)

    def limits(self, i: int | None = None, *, all_inputs: bool = False) -> pd.DataFrame:
        """Limits of box ``i`` (default: chosen) with quasi-p values, one row per restricted input.

        Columns: ``input``, ``type`` (numeric / categorical), ``lower``, ``upper`` (numeric),
        ``levels`` (the levels kept, categorical), ``min``, ``max`` (the inputs' full range)
        and ``qp`` (quasi-p value of the restriction).
        """
        i = self.chosen if i is None else i
        lim = self._limits[i]
        restricted = _restricted(self._data, lim, self._init)
        row = self.trajectory.iloc[i]
        rows_out = []
        for j, name in enumerate(self._data.names):
            if j not in restricted and not all_inputs:
                continue
            qp = self._quasi_p(lim, j, int(row["n"]), int(row["k"])) if j in restricted else math.nan
            if self._data.numeric[j]:
                rows_out.append({"input": name, "type": "numeric", "lower": float(lim.lo[j]),
                                 "upper": float(lim.hi[j]), "levels": None, "min": float(self._init.lo[j]),
                                 "max": float(self._init.hi[j]), "qp": qp})
            else:
                kept = [lv for lv, a in zip(self._data.levels[j], lim.allowed[j], strict=True) if a]
                rows_out.append({"input": name, "type": "categorical", "lower": math.nan, "upper": math.nan,
                                 "levels": kept, "min": math.nan, "max": math.nan, "qp": qp})
        return pd.DataFrame(rows_out, columns=["input", "type", "lower", "upper", "levels", "min", "max", "qp"])

    def _quasi_p(self, lim: _Limits, j: int, n: int, k: int) -> float:
        return _quasi_p(self._data, lim, self._rows, self._y, j, n, k)

    def describe(self, i: int | None = None) -> str:
        """The box as one readable rule, e.g. ``x1 in [0.2, 0.6] and region in {north, east}``."""
        parts = []
        for r in self.limits(i).itertuples():
            if r.type == "numeric":
                lo, hi = r.lower > r.min, r.upper < r.max
                if lo and hi:
                    parts.append(f"{r.input} in [{r.lower:.4g}, {r.upper:.4g}]")
                elif lo:
                    parts.append(f"{r.input} ≥ {r.lower:.4g}")
                else:
                    parts.append(f"{r.input} ≤ {r.upper:.4g}")
            else:
                parts.append(f"{r.input} in {{{', '.join(map(str, r.levels))}}}")
        return " and ".join(parts) if parts else "(no restriction)"


def _encode_like(x: pd.DataFrame, data: _Data) -> _Data:
    missing = [n for n in data.names if n not in x.columns]
    if missing:
        raise PrimError(f"inputs {missing} are not in the data")
    values = []
    for j, name in enumerate(data.names):
        if data.numeric[j]:
            values.append(x[name].to_numpy(dtype=float))
        else:
            lv = {str(v): i for i, v in enumerate(data.levels[j])}
            values.append(np.asarray([lv.get(str(v), -1) for v in x[name]], dtype=np.int64))
    return _Data(data.names, data.numeric, values, data.levels)


def _distinct_cut(v: np.ndarray, alpha: float, side: str) -> float | None:
    """The new lower (upper) limit after peeling ``alpha`` of ``v`` off its low (high) end:
    a data value that removes at least one distinct value; None if ``v`` has one value."""
    lo, hi = v.min(), v.max()
    if lo == hi:
        return None
    if side == "lower":
        q = np.quantile(v, alpha, method="higher")
        if q <= lo:
            q = v[v > lo].min()
        return float(q)
    q = np.quantile(v, 1 - alpha, method="lower")
    if q >= hi:
        q = v[v < hi].max()
    return float(q)


def _objective(kind: str, y_old: np.ndarray, y_new: np.ndarray) -> float:
    if not len(y_new):
        return -math.inf
    if kind == "original":
        return float(y_new.mean())
    removed = abs(len(y_old) - len(y_new))
    return (float(y_new.mean()) - float(y_old.mean())) / removed if removed else 0.0


def _search(data: _Data, y: np.ndarray, rows: np.ndarray, *, n_total: int, total_coi: int, peel_alpha: float,
            paste_alpha: float, mass_min: float, threshold: float, objective: str,
            select: int | None, significance: float | None) -> PrimBox:
    ydata = y.astype(float)
    pairs = list(zip(data.values, data.numeric, strict=True))
    init = _Limits(np.array([v[rows].min() if num else np.nan for v, num in pairs]),
                   np.array([v[rows].max() if num else np.nan for v, num in pairs]),
                   [None if num else np.isin(np.arange(len(lv)), np.unique(data.values[j][rows]))
                    for j, (num, lv) in enumerate(zip(data.numeric, data.levels, strict=True))])
    lims = [init.copy()]
    kinds = ["start"]
    box = rows.copy()
    members_of: list[np.ndarray] = [box]
    # ---- peeling
    while True:
        y_box = ydata[box]
        best = None
        for j, num in enumerate(data.numeric):
            v = data.values[j][box]
            if num:
                for side in ("lower", "upper"):
                    cut = _distinct_cut(v, peel_alpha, side)
                    if cut is None:
                        continue
                    keep = v >= cut if side == "lower" else v <= cut
                    obj = _objective(objective, y_box, y_box[keep])
                    cand = (obj, j, side, cut, keep)
                    if best is None or _better(cand, best, lims[-1], data, init):
                        best = cand
            else:
                present = np.unique(v)
                if len(present) < 2:
                    continue
                for level in present:
                    keep = v != level
                    obj = _objective(objective, y_box, y_box[keep])
                    cand = (obj, j, "level", int(level), keep)
                    if best is None or _better(cand, best, lims[-1], data, init):
                        best = cand
        if best is None:
            break
        obj, j, side, cut, keep = best
        new_box = box[keep]
        mean_old, mean_new = float(y_box.mean()), float(ydata[new_box].mean()) if len(new_box) else -1.0
        # lenient1 stops when no peel raises the density; the original objective keeps peeling (the
        # best peel may lower it for a while) until the box is down to mass_min or pure
        grows = mean_new > mean_old if objective == "lenient1" else mean_old < 1.0
        if len(new_box) / n_total < mass_min or not grows or len(new_box) == len(box):
            break
        lim = lims[-1].copy()
        if side == "lower":
            lim.lo[j] = cut
        elif side == "upper":
            lim.hi[j] = cut
        else:
            lim.allowed[j][cut] = False
        box = new_box
        lims.append(lim)
        kinds.append("peel")
        members_of.append(box)
    traj = _trajectory(lims, kinds, members_of, ydata, data, init, n_total, total_coi)
    if select is None:
        ok = traj[traj["density"] >= threshold]
        if len(ok):
            f1 = 2 * ok["coverage"] * ok["density"] / (ok["coverage"] + ok["density"])
            chosen = int(ok.assign(f1=f1).sort_values(["f1", "coverage"], ascending=False).index[0])
        else:
            chosen = int(traj.sort_values(["density", "coverage"], ascending=False).index[0])
    else:
        if not 0 <= select < len(traj):
            raise PrimError(f"select={select} is outside the peeling trajectory (0..{len(traj) - 1})")
        chosen = int(select)
    # ---- pasting the chosen box
    lim = lims[chosen].copy()
    box = members_of[chosen]
    pasted = False
    while True:
        restricted = _restricted(data, lim, init)
        mean_old = float(ydata[box].mean()) if len(box) else 0.0
        best = None
        for j in restricted:
            outside_j = _inside(data, lim, rows, skip=j)
            v_all = data.values[j][rows]
            if data.numeric[j]:
                for side in ("lower", "upper"):
                    cand_rows = outside_j & ((v_all < lim.lo[j]) if side == "lower" else (v_all > lim.hi[j]))
                    if not cand_rows.any():
                        continue
                    vals = np.sort(v_all[cand_rows])
                    n_add = max(1, math.ceil(paste_alpha * len(box)))  # the nearest cases outside that edge
                    new_edge = vals[max(len(vals) - n_add, 0)] if side == "lower" else vals[min(n_add, len(vals)) - 1]
                    trial = lim.copy()
                    if side == "lower":
                        trial.lo[j] = float(new_edge)
                    else:
                        trial.hi[j] = float(new_edge)
                    members = rows[_inside(data, trial, rows)]
                    mean_new = float(ydata[members].mean())
                    cand = (mean_new, len(members), trial, members)
                    if best is None or cand[:2] > best[:2]:
                        best = cand
            else:
                for level in np.flatnonzero(~lim.allowed[j]):
                    trial = lim.copy()
                    trial.allowed[j][level] = True
                    members = rows[_inside(data, trial, rows)]
                    if len(members) == len(box):
                        continue
                    mean_new = float(ydata[members].mean())
                    cand = (mean_new, len(members), trial, members)
                    if best is None or cand[:2] > best[:2]:
                        best = cand
        if best is None:
            break
        mean_new, n_new, trial, members = best
        if mean_new < mean_old or n_new <= len(box):
            break
        lim, box, pasted = trial, members, True
        lims.append(lim)
        kinds.append("paste")
        members_of.append(box)
    changed = pasted
    # ---- dropping restrictions that could be chance (quasi-p above the significance level)
    if significance is not None:
        while True:
            restricted = _restricted(data, lim, init)
            if len(restricted) < 1:
                break
            n, k = len(box), int(ydata[box].sum())
            qps = {j: _quasi_p(data, lim, rows, ydata, j, n, k) for j in restricted}
            worst = max(qps, key=lambda j: (qps[j] if qps[j] == qps[j] else -1.0))
            if not qps[worst] > significance:
                break
            lim = lim.copy()
            if data.numeric[worst]:
                lim.lo[worst], lim.hi[worst] = init.lo[worst], init.hi[worst]
            else:
                lim.allowed[worst] = init.allowed[worst].copy()
            box = rows[_inside(data, lim, rows)]
            lims.append(lim)
            kinds.append("drop")
            members_of.append(box)
            changed = True
    if changed:
        traj = _trajectory(lims, kinds, members_of, ydata, data, init, n_total, total_coi)
        chosen = len(traj) - 1
    return PrimBox(traj, chosen, list(data.names), data, lims, init, rows, ydata)


def _quasi_p(data: _Data, lim: _Limits, rows: np.ndarray, ydata: np.ndarray, j: int, n: int, k: int) -> float:
    """One-sided binomial P[X ≥ k], X ~ Bin(n, p'), p' the density with restriction j removed."""
    from scipy.stats import binom

    inside = _inside(data, lim, rows, skip=j)
    yj = ydata[rows][inside]
    if not len(yj) or k == 0:
        return math.nan
    return float(binom.sf(k - 1, n, float(yj.mean())))


def _better(cand: tuple, best: tuple, lim: _Limits, data: _Data, init: _Limits) -> bool:
    """Higher objective wins; on a tie, the peel that restricts no new input."""
    if cand[0] != best[0]:
        return cand[0] > best[0]
    new_c = cand[1] not in _restricted(data, lim, init)
    new_b = best[1] not in _restricted(data, lim, init)
    return (not new_c) and new_b


def _trajectory(lims, kinds, members_of, ydata, data, init, n_total, total_coi) -> pd.DataFrame:
    rows = []
    for i, (lim, kind, members) in enumerate(zip(lims, kinds, members_of, strict=True)):
        n = len(members)
        k = int(ydata[members].sum())
        rows.append({"step": i, "kind": kind, "coverage": k / total_coi if total_coi else math.nan,
                     "density": k / n if n else math.nan, "mass": n / n_total, "n": n, "k": k,
                     "res_dim": len(_restricted(data, lim, init))})
    return pd.DataFrame(rows)


def prim(x: pd.DataFrame, y: Sequence[bool] | np.ndarray, *, peel_alpha: float = 0.05, paste_alpha: float = 0.05,
         mass_min: float = 0.05, threshold: float = 0.8, objective: str = "lenient1", max_boxes: int = 1,
         select: int | None = None, significance: float | None = 0.05) -> list[PrimBox]:
    """Boxes of ``x`` (inputs, one row per case) where ``y`` (cases of interest) is dense.

    Returns up to ``max_boxes`` boxes (covering: each next box is searched among the cases
    outside the earlier ones and is kept only if it reaches ``threshold``); the first box is
    always returned. ``select`` picks the first box's step on its trajectory instead of the
    threshold rule. ``significance`` (default 0.05; ``None`` keeps every restriction): after
    pasting, restrictions whose quasi-p value exceeds it are dropped one at a time, the least
    significant first, recomputing the others. Raises :class:`PrimError` for unusable inputs.
    """
    yv = np.asarray(y)
    if yv.dtype != bool:
        if not np.isin(yv, [0, 1]).all():
            raise PrimError("y must be boolean (True = case of interest)")
        yv = yv.astype(bool)
    if len(yv) != len(x):
        raise PrimError(f"x has {len(x)} rows but y has {len(yv)}")
    if not yv.any():
        raise PrimError("no case of interest: PRIM needs at least one")
    for name, val, lo, hi in (("peel_alpha", peel_alpha, 0, 0.5), ("paste_alpha", paste_alpha, 0, 0.5),
                              ("mass_min", mass_min, 0, 1), ("threshold", threshold, 0, 1)):
        if not lo < val <= hi:
            raise PrimError(f"{name} must be in ({lo}, {hi}], got {val}")
    if significance is not None and not 0 < significance < 1:
        raise PrimError(f"significance must be in (0, 1) or None, got {significance}")
    if objective not in OBJECTIVES:
        raise PrimError(f"objective {objective!r} is not one of {list(OBJECTIVES)}")
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1:
        raise PrimError(f"max_boxes must be a whole number ≥ 1, got {max_boxes!r}")
    data = _prepare(x.reset_index(drop=True))
    n_total, total_coi = len(yv), int(yv.sum())
    rows = np.arange(n_total)
    boxes: list[PrimBox] = []
    for b in range(max_boxes):
        if not yv[rows].any() or len(rows) < 2:
            break
        box = _search(data, yv, rows, n_total=n_total, total_coi=total_coi, peel_alpha=peel_alpha,
                      paste_alpha=paste_alpha, mass_min=mass_min, threshold=threshold, objective=objective,
                      select=select if b == 0 else None, significance=significance)
        if b > 0 and box.stats["density"] < threshold:
            break
        boxes.append(box)
        inside = box.mask()
        rows = rows[~inside[rows]]
    return boxes
