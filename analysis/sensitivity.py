"""Global sensitivity indices computed from the results store (never runs anything).

A sensitivity experiment (``kind = 'sensitivity'``, written by ``experiments.sensitivity``)
records in ``spec["extra"]["sensitivity"]`` the design method, the factors (``problem``), how
sample rows map to design points (``row_to_point``) and, where an estimator needs the unit
sample itself (Morris), the sample. Sobol' designs may be extended by further experiments
(``root`` / ``base_offset``): their runs are appended base row by base row.

:func:`analyze` reads the runs, averages replicates per design point, and estimates

* ``sobol``: S1, ST (and S2) with SALib's estimators (Saltelli 2010 / Jansen); on a design of
  R ≥ 2 independently scrambled replicates the estimate is the mean of the R replicate
  estimates and its interval the Student-t interval across them (randomised quasi-Monte
  Carlo error estimation), otherwise SALib's bootstrap over base rows;
* ``morris``: mu_star (with CI), sigma, mu;
* ``fast``: eFAST S1, ST; ``rbd_fast``: S1;
* ``delta`` (Borgonovo δ with CI, plus its S1) and ``pawn`` (median, mean and max KS over
  conditioning slices) as moment-independent checks — on Latin designs, or on the A and B
  rows of a Sobol' design;

for any output, as its end-of-run summary (period ``summary``), as the mean over each year of
the time series (``year_1`` … ``year_K``: time-resolved indices) or over a window of months
(``months_a_b``). With replicates it also reports the intrinsic-noise share of output
variance and the replicates needed (statistics ``noise_share``, ``noise_var``,
``noise_var_unshared``, ``param_var``, ``noise_of_mean_ratio``, ``replicates_needed``). ``convergence=True`` adds
Sobol' indices on nested subsamples of the base rows (column ``n``). Results are tidy rows in
the ``sensitivity_indices`` schema and are saved to the store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analysis.store import AnalysisError, StoreLockedError, StoreNotFoundError
from govsim.storelock import StoreBusyError, connect

__all__ = [
    "DEFAULT_SEED",
    "INDEX_COLUMNS",
    "INTERVALS",
    "METHODS",
    "DesignNotReadyError",
    "NotASensitivityExperimentError",
    "SensitivityAnalysisError",
    "SensitivityDesign",
    "analyze",
    "convergence_table",
    "export_indices",
    "index_table",
    "load_design",
    "load_indices",
    "max_ci_width",
    "outcome_matrices",
    "outcome_matrix",
    "save_indices",
    "sobol_replicates",
]

METHODS = ("sobol", "morris", "fast", "rbd_fast", "delta", "pawn")
DEFAULT_METHODS = {"sobol": ("sobol",), "morris": ("morris",), "fast": ("fast",),
                   "latin": ("rbd_fast", "delta", "pawn")}
ALLOWED_METHODS = {"sobol": ("sobol", "delta", "pawn"), "morris": ("morris",), "fast": ("fast",),
                   "latin": ("rbd_fast", "delta", "pawn")}
INDEX_COLUMNS = ["experiment_id", "analysis_id", "method", "output", "statistic", "period", "factor", "factor2",
                 "n", "value", "conf", "created"]
_PERIOD = re.compile(r"^(summary|yearly|year_(\d+)|months_(\d+)_(\d+))$")
DEFAULT_SEED = 20240601  # the analysis seed unless one is given: same analysis, same intervals
INTERVALS = ("auto", "replicates", "bootstrap")


class SensitivityAnalysisError(AnalysisError, ValueError):
    """A sensitivity analysis that cannot be done as asked."""


class NotASensitivityExperimentError(SensitivityAnalysisError, LookupError):
    """The experiment is missing or was not produced by ``experiments.sensitivity``."""


class DesignNotReadyError(SensitivityAnalysisError):
    """Some design points have no successful run yet (resume the experiment first)."""


# ------------------------------------------------------------------------------ store access
StoreLike = str | PathLike | duckdb.DuckDBPyConnection | Any


@contextlib.contextmanager
def _connect(store: StoreLike, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection from a path (opened and closed here), a DuckDB connection, or any object
    with a ``con`` attribute (e.g. an open ``experiments.store.Store``)."""
    if isinstance(store, duckdb.DuckDBPyConnection):
        yield store
        return
    con = getattr(store, "con", None)
    if isinstance(con, duckdb.DuckDBPyConnection):
        yield con
        return
    path = Path(store)
    if not path.is_file():
        raise StoreNotFoundError(f"results store not found: {path} (run an experiment first, or pass --store)")
    try:  # a batch writing to the store holds it only while it commits
        con = connect(path, read_only=not write)
    except StoreBusyError as err:
        raise StoreLockedError(str(err)) from err
    try:
        yield con
    finally:
        con.close()


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str) else (v or {})


@dataclass
class SensitivityDesign:
    """What the analysis needs to know about a sensitivity experiment (and its extensions)."""

    experiment_id: str  # the root experiment
    blocks: list[tuple[str, Mapping[str, Any]]]  # (experiment_id, sensitivity spec) by base_offset
    horizon: int

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.blocks[0][1]

    @property
    def method(self) -> str:
        return str(self.spec["method"])

    @property
    def problem(self) -> dict[str, Any]:
        p = self.spec["problem"]
        names = [f["name"] for f in p["factors"]]
        prob: dict[str, Any] = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
        groups = _groups(p)
        if groups is not None:
            prob["groups"] = groups
        return prob

    @property
    def labels(self) -> list[str]:
        g = _groups(self.spec["problem"])
        return self.problem["names"] if g is None else list(dict.fromkeys(g))

    @property
    def n(self) -> int:
        """Base sample size over all blocks."""
        return int(sum(int(s["n"]) for _, s in self.blocks))

    @property
    def second_order(self) -> bool:
        return bool(self.spec.get("second_order", False))

    def row_points(self) -> np.ndarray:
        """Global id (block, design point) of every sample row, for counting distinct points."""
        ids, offset = [], 0
        for _, s in self.blocks:
            r2p = s.get("row_to_point")
            r2p = np.arange(int(s["n_rows"])) if r2p is None else np.asarray(r2p)
            ids.append(r2p + offset)
            offset += int(s["n_points"])
        return np.concatenate(ids)

    @property
    def rows_per_base(self) -> int:
        d = len(self.labels)
        return 2 * d + 2 if self.second_order else d + 2

    @property
    def qmc_replicates(self) -> int:
        """Independently scrambled replicates of a Sobol' design (1: one sequence)."""
        return int(self.spec.get("qmc_replicates", 1) or 1)

    def row_replicates(self) -> np.ndarray:
        """The QMC replicate of every sample row (all blocks): each block holds its base rows
        replicate by replicate, ``n / R`` base rows each."""
        r, per = self.qmc_replicates, self.rows_per_base
        if r == 1:
            return np.zeros(sum(int(s["n_rows"]) for _, s in self.blocks), dtype=np.int64)
        return np.concatenate([np.repeat(np.arange(r), int(s["n"]) // r * per) for _, s in self.blocks])


def _groups(p: Mapping[str, Any]) -> list[str] | None:
    gb = p.get("group_by")
    if gb is None:
        return None
    if gb == "kind":
        return [f.get("kind") or "explicit" for f in p["factors"]]
    return [f.get("group") or f["name"] for f in p["factors"]]


def load_design(store: StoreLike, experiment_id: str | None = None) -> SensitivityDesign:
    """The sensitivity design of ``experiment_id`` (default: the latest sensitivity experiment),
    with every extension block found in the store."""
    # only the small sensitivity part of each spec is read (the engine's spec also holds every
    # design row, megabytes for a large design)
    with _connect(store) as con:
        rows = con.execute(
            "SELECT experiment_id, json_extract(spec, '$.extra.sensitivity') AS sens, horizon, "
            "json_extract_string(manifest, '$.code_sha256') AS code FROM experiments "
            "WHERE kind = 'sensitivity' ORDER BY created").fetchall()
    specs = {}
    code = {}
    for eid, sens, horizon, sha in rows:
        s = _json(sens) if sens is not None else None
        if s:
            specs[eid] = (s, horizon)
            code[eid] = sha
    if not specs:
        raise NotASensitivityExperimentError("the store holds no sensitivity experiment")
    if experiment_id is None:
        experiment_id = list(specs)[-1]
    elif experiment_id not in specs:
        prefix = [e for e in specs if e.startswith(experiment_id)]
        if len(prefix) != 1:
            raise NotASensitivityExperimentError(
                f"{experiment_id!r} is not a sensitivity experiment in this store; known: {sorted(specs)[:10]}")
        experiment_id = prefix[0]
    root = specs[experiment_id][0].get("root") or experiment_id
    if root not in specs:
        raise NotASensitivityExperimentError(f"extension {experiment_id!r} refers to missing root {root!r}")
    blocks = [(root, specs[root][0])] + sorted(
        ((e, s) for e, (s, _) in specs.items() if s.get("root") == root and e != root),
        key=lambda b: int(b[1].get("base_offset", 0)))
    shas = {code[eid] for eid, _ in blocks if code.get(eid)}
    if len(shas) > 1:
        raise SensitivityAnalysisError(f"the blocks of {root} ran on different model code ({len(shas)} versions); "
                                       "their runs cannot form one design")
    expect = 0
    for eid, s in blocks:
        if int(s.get("base_offset", 0)) != expect:
            raise SensitivityAnalysisError(f"design blocks of {root} are not contiguous: {eid} starts at base row "
                                           f"{s.get('base_offset')}, expected {expect}")
        expect += int(s["n"])
    return SensitivityDesign(experiment_id=root, blocks=blocks, horizon=int(specs[root][1] or 0))


# ------------------------------------------------------------------------------ outcomes
def _parse_periods(periods: Iterable[str] | str, horizon: int) -> list[str]:
    if isinstance(periods, str):
        periods = [p.strip() for p in periods.split(",") if p.strip()]
    out: list[str] = []
    for p in periods:
        m = _PERIOD.match(p)
        if not m:
            raise SensitivityAnalysisError(f"period {p!r}: use 'summary', 'yearly', 'year_N' or 'months_A_B'")
        if p == "yearly":
            years = horizon // 12
            if years < 1:
                raise SensitivityAnalysisError(f"horizon {horizon} months holds no complete year")
            out += [f"year_{k}" for k in range(1, years + 1)]
        else:
            if m.group(3) and not (0 <= int(m.group(3)) <= int(m.group(4)) <= horizon):
                raise SensitivityAnalysisError(f"period {p!r} lies outside months 0..{horizon}")
            if m.group(2) and not 1 <= int(m.group(2)) <= horizon // 12:
                raise SensitivityAnalysisError(f"period {p!r}: horizon {horizon} holds years 1..{horizon // 12}")
            out.append(p)
    return list(dict.fromkeys(out))


def _month_range(period: str) -> tuple[int, int]:
    m = _PERIOD.match(period)
    if m.group(2):
        k = int(m.group(2))
        return 12 * (k - 1) + 1, 12 * k
    return int(m.group(3)), int(m.group(4))


def _period_frames(con: duckdb.DuckDBPyConnection, eid: str, outputs: Sequence[str],
                   periods: Sequence[str]) -> dict[str, pd.DataFrame]:
    """(design_point, replicate, output, value) per period; all years in one pass over the series."""
    frames: dict[str, pd.DataFrame] = {}
    years = [p for p in periods if p.startswith("year_")]
    if "summary" in periods:
        frames["summary"] = con.execute(
            "SELECT r.design_point, r.replicate, s.output, s.value FROM runs r JOIN summaries s "
            "ON s.experiment_id = r.experiment_id AND s.run_id = r.run_id "
            "WHERE r.experiment_id = ? AND r.status = 'ok' AND list_contains(?, s.output)",
            [eid, list(outputs)]).df()
    if years:
        last = max(int(p.split("_")[1]) for p in years)
        df = con.execute(
            "SELECT r.design_point, r.replicate, t.output, (t.month - 1) // 12 + 1 AS year, avg(t.value) AS value "
            "FROM runs r JOIN timeseries t ON t.experiment_id = r.experiment_id AND t.run_id = r.run_id "
            "WHERE r.experiment_id = ? AND r.status = 'ok' AND list_contains(?, t.output) "
            "AND t.month BETWEEN 1 AND ? GROUP BY ALL", [eid, list(outputs), 12 * last]).df()
        for p in years:
            frames[p] = df[df["year"] == int(p.split("_")[1])].drop(columns="year")
    for p in periods:
        if p.startswith("months_"):
            a, b = _month_range(p)
            frames[p] = con.execute(
                "SELECT r.design_point, r.replicate, t.output, avg(t.value) AS value FROM runs r "
                "JOIN timeseries t ON t.experiment_id = r.experiment_id AND t.run_id = r.run_id "
                "WHERE r.experiment_id = ? AND r.status = 'ok' AND list_contains(?, t.output) "
                "AND t.month BETWEEN ? AND ? GROUP BY ALL", [eid, list(outputs), a, b]).df()
    return frames


def _missing_message(con: duckdb.DuckDBPyConnection, eid: str, missing: int, total: int, output: str,
                     period: str) -> str:
    failed, error = con.execute(
        "SELECT count(*), any_value(error) FROM runs WHERE experiment_id = ? AND status = 'failed'", [eid]).fetchone()
    msg = (f"experiment {eid}: {missing} of {total} runs (design point × replicate) have no finite {output!r} "
           f"({period})")
    if failed:
        msg += (f"; {failed} runs failed (e.g. {str(error).splitlines()[-1] if error else 'no message'}): "
                "analyse with missing='drop' (CLI --drop-missing) to leave out the base rows, trajectories or "
                "rows they belong to")
    else:
        msg += "; resume the experiment (govsim resume <id>), then analyse"
    return msg


def outcome_matrices(store: StoreLike, design: SensitivityDesign, outputs: Sequence[str],
                     periods: Sequence[str], *, allow_missing: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """``{period: {output: Y}}`` with ``Y[row, replicate]`` for every sample row of the design
    (all blocks). ``summary`` reads the run summaries; ``year_N`` / ``months_A_B`` average the
    time series over those months. A run that failed, is not yet done, or returned a
    non-finite value is NaN with ``allow_missing``; otherwise :class:`DesignNotReadyError`.
    """
    pieces: dict[str, dict[str, list[np.ndarray]]] = {p: {o: [] for o in outputs} for p in periods}
    with _connect(store) as con:
        for eid, spec in design.blocks:
            frames = _period_frames(con, eid, outputs, periods)
            n_points = int(spec["n_points"])
            reps = int(spec.get("replicates", 1))
            row_to_point = spec.get("row_to_point")
            row_to_point = np.arange(int(spec["n_rows"])) if row_to_point is None else np.asarray(row_to_point)
            for period, df in frames.items():
                for out, sub in df.groupby("output"):
                    if out not in pieces[period]:
                        continue
                    grid = np.full((n_points, reps), np.nan)
                    grid[sub["design_point"].to_numpy(int), sub["replicate"].to_numpy(int)] = \
                        sub["value"].to_numpy(float)
                    grid[~np.isfinite(grid)] = np.nan
                    missing = int(np.isnan(grid).sum())
                    if missing and not allow_missing:
                        raise DesignNotReadyError(_missing_message(con, eid, missing, grid.size, out, period))
                    pieces[period][out].append(grid[row_to_point])
            for period in periods:
                for out in outputs:
                    if len(pieces[period][out]) != design.blocks.index((eid, spec)) + 1:
                        raise SensitivityAnalysisError(
                            f"output {out!r} has no values in experiment {eid} for period {period}"
                            + (" (were time series stored? see timeseries_every)" if period != "summary" else ""))
    return {p: {o: np.vstack(v) for o, v in d.items()} for p, d in pieces.items()}


def outcome_matrix(store: StoreLike, design: SensitivityDesign, outputs: Sequence[str], period: str = "summary",
                   ) -> dict[str, np.ndarray]:
    """``{output: Y[row, replicate]}`` for one period (see :func:`outcome_matrices`)."""
    return outcome_matrices(store, design, outputs, [period])[period]


def available_outputs(store: StoreLike, experiment_id: str) -> list[str]:
    with _connect(store) as con:
        rows = con.execute("SELECT DISTINCT output FROM summaries WHERE experiment_id = ? ORDER BY output",
                           [experiment_id]).fetchall()
    return [r[0] for r in rows]


def _design_values(store: StoreLike, design: SensitivityDesign) -> np.ndarray:
    """Factor values of every sample row as numbers (choice labels → level index, bools → 0/1)."""
    factors = design.spec["problem"]["factors"]
    names = [f["name"] for f in factors]
    out = []
    with _connect(store) as con:
        for eid, spec in design.blocks:
            df = con.execute("SELECT design_point, factor, value, label FROM design WHERE experiment_id = ?",
                             [eid]).df()
            if df.empty:
                raise SensitivityAnalysisError(f"experiment {eid} has no design table rows")
            grid = np.full((int(spec["n_points"]), len(names)), np.nan)
            for j, f in enumerate(factors):
                sub = df[df["factor"] == f["name"]]
                vals = sub["value"].to_numpy(float)
                if f.get("type") == "choice":
                    lookup = {c: i for i, c in enumerate(f["choices"])}
                    vals = np.array([lookup.get(str(lbl), np.nan) for lbl in sub["label"]], dtype=float)
                grid[sub["design_point"].to_numpy(int), j] = vals
            r2p = spec.get("row_to_point")
            r2p = np.arange(int(spec["n_rows"])) if r2p is None else np.asarray(r2p)
            out.append(grid[r2p])
    x = np.vstack(out)
    if np.isnan(x).any():
        raise SensitivityAnalysisError("the design table lacks values for some factors")
    return x


# ------------------------------------------------------------------------------ estimators
@contextlib.contextmanager
def _contained_global_rng() -> Iterator[None]:
    """Some SALib estimators call ``np.random.seed``; restore the global state afterwards."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def _z(conf_level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + conf_level / 2))


def _rows(method: str, output: str, period: str, n: int, statistic: str, labels: Sequence[str],
          values: Sequence[float], confs: Sequence[float] | None = None) -> list[dict[str, Any]]:
    confs = [math.nan] * len(labels) if confs is None else confs
    return [{"method": method, "output": output, "statistic": statistic, "period": period, "factor": f,
             "factor2": None, "n": int(n), "value": float(v), "conf": float(c)}
            for f, v, c in zip(labels, values, confs)]


def _stream_seed(seed: int, *keys: Any) -> int:
    """A non-zero 32-bit seed for one estimator call, derived from the analysis seed and what
    is estimated (SALib reads seed 0 as "unseeded")."""
    words = [int(seed) & 0xFFFFFFFF, int(seed) >> 32 & 0xFFFFFFFF]
    words += [int.from_bytes(hashlib.sha256(repr(k).encode()).digest()[:4], "little") for k in keys]
    return int(np.random.SeedSequence(words).generate_state(1)[0]) | 1


def _salib_sobol_once(y: np.ndarray, d: int, second_order: bool) -> dict[str, np.ndarray]:
    """SALib's point estimates (S1, ST, S2) of one Saltelli sample, as ``sobol.analyze``
    computes them (output standardised first), without its bootstrap."""
    from SALib.analyze.sobol import first_order, second_order as second, separate_output_values, total_order

    per = 2 * d + 2 if second_order else d + 2
    n = y.size // per
    y = np.asarray(y, dtype=float)
    sd = y.std()
    y = (y - y.mean()) / (sd if sd > 0 else 1.0)
    a, b, ab, ba = separate_output_values(y, d, n, second_order)
    out = {"S1": np.array([first_order(a, ab[:, j], b) for j in range(d)]),
           "ST": np.array([total_order(a, ab[:, j], b) for j in range(d)])}
    if second_order:
        s2 = np.full((d, d), np.nan)
        for j in range(d):
            for k in range(j + 1, d):
                s2[j, k] = second(a, ab[:, j], ab[:, k], ba[:, j], b)
        out["S2"] = s2
    return out


def sobol_replicates(ys: Sequence[np.ndarray], *, d: int, second_order: bool,
                     conf_level: float = 0.95) -> dict[str, np.ndarray]:
    """Sobol' indices from R ≥ 2 independent randomisations of a Saltelli design.

    ``ys[r]`` holds replicate r's outputs in Saltelli order (``n_r · (2d+2)`` values with
    second order, ``n_r · (d+2)`` without). Each replicate gives SALib's estimates; the
    result is their mean and, as ``<stat>_conf``, the half-width of the Student-t interval
    ``t_{R−1} · sd / √R`` across replicates, and ``<stat>_reps`` the replicate estimates.
    The replicates are independent and identically distributed, so the interval follows
    from their spread without assuming the rows of one scrambled sequence independent
    (the standard error estimate of randomised quasi-Monte Carlo; L'Ecuyer & Lemieux 2002;
    Owen 2025).
    """
    from scipy.stats import t as student_t

    if len(ys) < 2:
        raise SensitivityAnalysisError("intervals across replicates need at least 2 independent replicates")
    if not 0 < conf_level < 1:
        raise SensitivityAnalysisError(f"conf_level must lie in (0, 1), got {conf_level}")
    reps = [_salib_sobol_once(y, d, second_order) for y in ys]
    r = len(reps)
    q = float(student_t.ppf(0.5 + conf_level / 2, r - 1))
    out: dict[str, np.ndarray] = {}
    for stat in reps[0]:
        stack = np.stack([e[stat] for e in reps])
        out[stat] = stack.mean(axis=0)
        out[f"{stat}_conf"] = q * stack.std(axis=0, ddof=1) / math.sqrt(r)
        out[f"{stat}_reps"] = stack
    return out


def _sobol(design: SensitivityDesign, y: np.ndarray, n: int, output: str, period: str, *, num_resamples: int,
           conf_level: float, seed: int, interval: str) -> list[dict[str, Any]]:
    """Sobol' rows at base size ``n`` (the first n / R base rows of each replicate)."""
    from SALib.analyze import sobol as sobol_analyze

    per = design.rows_per_base
    labels = design.labels
    d = len(labels)
    if interval == "replicates":
        reps = design.row_replicates()
        r = design.qmc_replicates
        ys = [y[reps == k][: (n // r) * per] for k in range(r)]
        si = sobol_replicates(ys, d=d, second_order=design.second_order, conf_level=conf_level)
    else:
        yy = y[: n * per]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            si = sobol_analyze.analyze(design.problem, yy, calc_second_order=design.second_order,
                                       num_resamples=num_resamples, conf_level=conf_level,
                                       seed=_stream_seed(seed, "sobol", output, period, n))
    rows = _rows("sobol", output, period, n, "S1", labels, si["S1"], si["S1_conf"])
    rows += _rows("sobol", output, period, n, "ST", labels, si["ST"], si["ST_conf"])
    if design.second_order:
        for i in range(d):
            for j in range(i + 1, d):
                rows.append({"method": "sobol", "output": output, "statistic": "S2", "period": period,
                             "factor": labels[i], "factor2": labels[j], "n": int(n),
                             "value": float(si["S2"][i, j]), "conf": float(si["S2_conf"][i, j])})
    return rows


def _ab_rows(design: SensitivityDesign, n_base: int) -> np.ndarray:
    """Indices of the A and B rows of a Saltelli sample (independent quasi-random points)."""
    per = design.rows_per_base
    starts = np.arange(n_base) * per
    return np.concatenate([starts, starts + per - 1])


def _estimate(method: str, design: SensitivityDesign, y: np.ndarray, x_values: np.ndarray | None,
              x_unit: np.ndarray | None, output: str, period: str, *, n_base: int, num_resamples: int,
              conf_level: float, seed: int, interval: str) -> list[dict[str, Any]]:
    prob = design.problem
    labels = design.labels
    if method == "sobol":
        return _sobol(design, y, n_base, output, period, num_resamples=num_resamples, conf_level=conf_level,
                      seed=seed, interval=interval)
    seed = _stream_seed(seed, method, output, period, n_base)
    if method == "morris":
        from SALib.analyze import morris as morris_analyze

        si = morris_analyze.analyze(prob, x_unit, y, num_resamples=num_resamples, conf_level=conf_level,
                                    num_levels=int(design.spec.get("num_levels", 4)), seed=seed)
        rows = _rows("morris", output, period, n_base, "mu_star", labels, si["mu_star"], si["mu_star_conf"])
        rows += _rows("morris", output, period, n_base, "sigma", labels, si["sigma"])
        rows += _rows("morris", output, period, n_base, "mu", labels, si["mu"])
        return rows
    if method == "fast":
        from SALib.analyze import fast as fast_analyze

        with _contained_global_rng(), warnings.catch_warnings():
            # SALib warns that eFAST bootstrap CIs are indicative only; docs/SENSITIVITY.md says so.
            warnings.filterwarnings("ignore", message="FAST confidence intervals", category=UserWarning)
            si = fast_analyze.analyze(prob, y, M=int(design.spec.get("M", 4)), num_resamples=num_resamples,
                                      conf_level=conf_level, seed=seed)
        rows = _rows("fast", output, period, design.n, "S1", labels, si["S1"], si["S1_conf"])
        rows += _rows("fast", output, period, design.n, "ST", labels, si["ST"], si["ST_conf"])
        return rows
    # moment-independent and RBD-FAST estimators work on a plain sample of (X, Y)
    if design.method == "sobol":
        idx = _ab_rows(design, n_base)
        x, yy = x_values[idx], y[idx]
    else:
        x, yy = x_values, y
    names = prob["names"]
    plain = {"num_vars": len(names), "names": names, "bounds": [[float(np.min(x[:, j])), float(np.max(x[:, j]))]
                                                                 for j in range(len(names))]}
    if method == "rbd_fast":
        from SALib.analyze import rbd_fast

        si = rbd_fast.analyze(plain, x, yy, num_resamples=num_resamples, conf_level=conf_level, seed=seed)
        return _rows("rbd_fast", output, period, len(yy), "S1", names, si["S1"], si["S1_conf"])
    if method == "delta":
        rng = np.random.default_rng(seed)
        est = [_delta(x[:, j], yy, num_resamples=num_resamples, conf_level=conf_level, rng=rng)
               for j in range(x.shape[1])]
        return _rows("delta", output, period, len(yy), "delta", names, [e[0] for e in est], [e[1] for e in est])
    if method == "pawn":
        from SALib.analyze import pawn as pawn_analyze

        s = max(3, min(10, len(yy) // 20))
        with _contained_global_rng(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            si = pawn_analyze.analyze(plain, x, yy, S=s)
        rows = _rows("pawn", output, period, len(yy), "pawn_median", names, si["median"])
        rows += _rows("pawn", output, period, len(yy), "pawn_mean", names, si["mean"])
        rows += _rows("pawn", output, period, len(yy), "pawn_max", names, si["maximum"])
        return rows
    raise SensitivityAnalysisError(f"unknown method {method!r}; methods are {list(METHODS)}")


def _kde(y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of ``y`` on ``grid`` (Silverman bandwidth, as scipy's gaussian_kde)."""
    n = y.size
    sd = float(np.std(y, ddof=1))
    if n < 2 or sd == 0:
        return np.zeros_like(grid)
    h = sd * (n * 3.0 / 4.0) ** (-1.0 / 5.0)
    z = (grid[:, None] - y[None, :]) / h
    return np.exp(-0.5 * z * z).sum(axis=1) / (n * h * math.sqrt(2 * math.pi))


def _delta_once(x: np.ndarray, y: np.ndarray, grid: np.ndarray, edges: np.ndarray) -> float:
    """Borgonovo's δ (Plischke et al. 2013, eq. 26) on equal-frequency classes of ``x``."""
    n = y.size
    order = np.argsort(x, kind="stable")
    fy = _kde(y, grid)
    d = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        yc = y[order[a:b]]
        if yc.size and np.ptp(yc) > 0:
            d += yc.size / (2 * n) * np.trapezoid(np.abs(fy - _kde(yc, grid)), grid)
    return d


def _delta(x: np.ndarray, y: np.ndarray, *, num_resamples: int, conf_level: float,
           rng: np.random.Generator) -> tuple[float, float]:
    """Bias-reduced δ (Plischke et al. 2013, eq. 30) with its bootstrap confidence
    half-width. The class count follows the same rule as SALib for the sample size."""
    n = y.size
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    m = int(np.round(min(int(np.ceil(n**exp)), 48)))
    edges = np.linspace(0, n, m + 1).round().astype(int)
    grid = np.linspace(y.min(), y.max(), 100)
    d_hat = _delta_once(x, y, grid, edges)
    boots = np.array([_delta_once(x[i], y[i], grid, edges) for i in
                      (rng.integers(0, n, n) for _ in range(num_resamples))])
    d_corr = 2.0 * d_hat - boots
    return float(d_corr.mean()), _z(conf_level) * float(d_corr.std(ddof=1))


def _noise_parts(y: np.ndarray) -> tuple[float, float, float, float]:
    """(noise_var, noise_var_unshared, param_var, noise_share) of ``y[point, replicate]``.

    Two-way decomposition point × replicate: with common random numbers a replicate's seed
    can shift every point alike (a seed main effect), which cancels in the indices; what
    blurs them is the noise that differs between points, estimated by the residual mean
    square after removing point and replicate means (without CRN it equals the within-point
    variance, up to sampling error).
    """
    p, r = y.shape
    noise_var = float(np.mean(np.var(y, axis=1, ddof=1)))
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    unshared = float(np.sum(resid**2) / ((p - 1) * (r - 1)))
    param_var = max(float(np.var(y.mean(axis=1), ddof=1)) - unshared / r, 0.0)
    total = param_var + noise_var
    return noise_var, unshared, param_var, (noise_var / total if total > 0 else math.nan)


def _noise(design: SensitivityDesign, ypr: np.ndarray, output: str, period: str, *, n_base: int,
           noise_fraction: float, conf_level: float, seed: int, method: str,
           num_resamples: int) -> list[dict[str, Any]]:
    """Intrinsic noise vs parameter-driven variance, from replicates at each design point."""
    # one row per distinct design point: reused rows would weigh duplicated points twice
    _, first = np.unique(design.row_points(), return_index=True)
    y = ypr[np.sort(first)]
    r = y.shape[1]
    if r < 2 or y.shape[0] < 3:
        return []
    noise_var, unshared, param_var, share = _noise_parts(y)
    rng = np.random.default_rng(seed)
    boots = np.array([_noise_parts(y[rng.integers(0, y.shape[0], y.shape[0])]) for _ in range(num_resamples)])
    z = _z(conf_level)

    def half(col: int) -> float:
        return z * float(np.nanstd(boots[:, col], ddof=1))

    ratio = (unshared / r) / param_var if param_var > 0 else math.inf
    need = max(1, math.ceil(unshared / (noise_fraction * param_var))) if param_var > 0 else math.nan
    n = n_base  # the base sample size, like every other row of the analysis

    def row(stat: str, value: float, conf: float = math.nan) -> dict[str, Any]:
        return {"method": method, "output": output, "statistic": stat, "period": period, "factor": None,
                "factor2": None, "n": n, "value": float(value), "conf": float(conf)}

    return [row("noise_share", share, half(3)),
            row("noise_var", noise_var, half(0)),
            row("noise_var_unshared", unshared, half(1)),
            row("param_var", param_var, half(2)),
            row("noise_of_mean_ratio", ratio),
            row("replicates_needed", need),
            row("replicates", r)]


def _complete_units(design: SensitivityDesign, ok: np.ndarray) -> tuple[np.ndarray, int]:
    """Row mask of the units without a missing value, and how many units remain: Saltelli
    base rows (each is a self-contained block), Morris trajectories, or single rows."""
    if ok.all():
        return ok, design.n
    if design.method == "sobol":
        unit = design.rows_per_base
    elif design.method == "morris":
        unit = len(design.labels) + 1
    elif design.method == "latin":
        unit = 1
    else:  # eFAST: every point of every search curve is needed
        return ok, int(ok.all()) * design.n
    good = ok.reshape(-1, unit).all(axis=1)
    return np.repeat(good, unit), int(good.sum())


class _Subset:
    """A design restricted to complete units (after ``missing="drop"``): the same problem,
    the kept rows' design-point ids, and the smaller base size."""

    def __init__(self, design: SensitivityDesign, keep: np.ndarray) -> None:
        self._design = design
        self._points = design.row_points()[keep]
        self._replicates = design.row_replicates()[keep]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._design, name)

    def row_points(self) -> np.ndarray:
        return self._points

    def row_replicates(self) -> np.ndarray:
        return self._replicates


def _subsample_sizes(n: int, n_min: int) -> list[int]:
    sizes = []
    k = n
    while k >= n_min:
        sizes.append(k)
        k //= 2
    return sorted(set(sizes))


def analyze(
    store: StoreLike,
    experiment_id: str | None = None,
    *,
    outputs: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    periods: Sequence[str] | str = ("summary",),
    num_resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = DEFAULT_SEED,
    interval: str = "auto",
    convergence: bool = False,
    convergence_min_n: int = 16,
    noise_fraction: float = 0.05,
    missing: str = "error",
    save: bool = True,
) -> pd.DataFrame:
    """Sensitivity indices of ``outputs`` (default: all in the store) for ``experiment_id``
    (default: the latest sensitivity experiment), in the ``sensitivity_indices`` schema.

    ``methods`` default to the estimators of the design (Sobol' → sobol; Morris → morris;
    eFAST → fast; Latin → rbd_fast, delta, pawn); a Sobol' design also allows delta and pawn
    on its A and B rows. ``periods``: ``summary``, ``yearly``, ``year_N``, ``months_A_B``.
    ``noise_fraction`` is the target ratio of the noise variance of a replicate mean to the
    parameter-driven variance behind ``replicates_needed``. ``missing="drop"`` leaves out the
    units that contain a failed run or a non-finite output — whole Saltelli base rows (the
    estimators stay valid at the smaller N), whole Morris trajectories, single Latin rows;
    eFAST cannot drop (its search curves need every point). The numbers dropped are in
    ``df.attrs["dropped"]``. With ``save`` the rows replace any earlier rows of the same
    ``analysis_id`` (a hash of these settings) in the store.

    ``interval``: ``"replicates"`` gives Sobol' intervals across the design's independent
    QMC replicates (Student-t), ``"bootstrap"`` SALib's bootstrap over base rows, ``"auto"``
    the first when the design has two or more replicates. Every resampling draws from
    ``seed`` (default :data:`DEFAULT_SEED`), recorded in the settings and the
    ``analysis_id``: the same analysis gives the same intervals.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SensitivityAnalysisError(f"seed must be a whole number ≥ 0, got {seed!r}")
    if interval not in INTERVALS:
        raise SensitivityAnalysisError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}")
    if missing not in ("error", "drop"):
        raise SensitivityAnalysisError(f"missing must be 'error' or 'drop', got {missing!r}")
    if not 0 < conf_level < 1:
        raise SensitivityAnalysisError(f"conf_level must lie in (0, 1), got {conf_level}")
    if not 0 < noise_fraction:
        raise SensitivityAnalysisError(f"noise_fraction must be > 0, got {noise_fraction}")
    design = load_design(store, experiment_id)
    if interval == "auto":
        interval = "replicates" if design.method == "sobol" and design.qmc_replicates >= 2 else "bootstrap"
    elif interval == "replicates" and (design.method != "sobol" or design.qmc_replicates < 2):
        raise SensitivityAnalysisError(f"{design.experiment_id} has no independent QMC replicates (a {design.method} "
                                       "design of one sequence): use interval='bootstrap', or run the design with "
                                       "qmc_replicates ≥ 2 (--qmc-replicates)")
    seed = int(seed)
    allowed = ALLOWED_METHODS[design.method]
    methods = list(methods or DEFAULT_METHODS[design.method])
    for m in methods:
        if m not in allowed:
            raise SensitivityAnalysisError(f"method {m!r} does not apply to a {design.method} design; "
                                           f"use one of {list(allowed)}")
    present = available_outputs(store, design.experiment_id)
    if outputs is None:
        outputs = present
    else:
        outputs = list(outputs)
        bad = [o for o in outputs if o not in present]
        if bad:
            import difflib

            close = difflib.get_close_matches(bad[0], present, n=3)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise SensitivityAnalysisError(f"unknown output {bad[0]!r} in experiment {design.experiment_id}{hint}")
    plist = _parse_periods(periods, design.horizon)
    x_unit = x_values = None
    if "morris" in methods:
        x_unit = np.vstack([np.asarray(s["unit_sample"], dtype=float) for _, s in design.blocks])
    if {"rbd_fast", "delta", "pawn"} & set(methods):
        x_values = _design_values(store, design)
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    dropped: dict[str, int] = {}
    all_ys = outcome_matrices(store, design, outputs, plist, allow_missing=missing == "drop")
    for period in plist:
        ys = all_ys[period]
        for out in outputs:
            ypr = ys[out]
            keep, n_base = _complete_units(design, np.all(np.isfinite(ypr), axis=1))
            if n_base < design.n:
                if design.method == "fast":
                    raise SensitivityAnalysisError(f"eFAST cannot leave out failed runs ({out}, {period})")
                dropped[f"{out}@{period}"] = design.n - n_base
            y_all = ypr.mean(axis=1)
            y = y_all[keep]
            if y.size == 0 or np.ptp(y) == 0:
                skipped.append(f"{out}@{period}")
                continue
            xv = x_values[keep] if x_values is not None else None
            xu = x_unit[keep] if x_unit is not None else None
            design_k = design if n_base == design.n else _Subset(design, keep)
            for m in methods:
                rows += _estimate(m, design_k, y, xv, xu, out, period, n_base=n_base, num_resamples=num_resamples,
                                  conf_level=conf_level, seed=seed, interval=interval)
            if convergence and design.method == "sobol":
                r = design.qmc_replicates if interval == "replicates" else 1
                for n in _subsample_sizes(n_base, max(convergence_min_n, 2 * r)):
                    if n != n_base and n % r == 0:
                        rows += _sobol(design_k, y, n, out, period, num_resamples=num_resamples,
                                       conf_level=conf_level, seed=seed, interval=interval)
            rows += _noise(design_k, ypr[keep], out, period, n_base=n_base, noise_fraction=noise_fraction,
                           conf_level=conf_level,
                           seed=seed, method=methods[0], num_resamples=num_resamples)
    settings = {"experiment": design.experiment_id, "blocks": [b for b, _ in design.blocks], "outputs": list(outputs),
                "methods": methods, "periods": plist, "num_resamples": num_resamples, "conf_level": conf_level,
                "seed": seed, "interval": interval, "convergence": convergence, "convergence_min_n": convergence_min_n,
                "noise_fraction": noise_fraction, "missing": missing}
    analysis_id = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    df = pd.DataFrame(rows, columns=INDEX_COLUMNS[2:-1])
    df.insert(0, "analysis_id", analysis_id)
    df.insert(0, "experiment_id", design.experiment_id)
    df["created"] = datetime.now(tz=timezone.utc).replace(tzinfo=None)
    df["n"] = df["n"].astype("int64")
    df.attrs["skipped"] = skipped
    df.attrs["dropped"] = dropped
    df.attrs["settings"] = settings
    if save and not df.empty:
        save_indices(store, df)
    return df


# ------------------------------------------------------------------------------ store I/O
def save_indices(store: StoreLike, df: pd.DataFrame) -> None:
    """Write index rows to ``sensitivity_indices``, replacing rows of the same analysis ids."""
    missing = [c for c in INDEX_COLUMNS if c not in df.columns]
    if missing:
        raise SensitivityAnalysisError(f"index rows lack column(s) {missing}")
    data = df[INDEX_COLUMNS].copy()
    data["factor"] = data["factor"].astype(object)
    data["factor2"] = data["factor2"].astype(object)
    with _connect(store, write=True) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS sensitivity_indices(experiment_id VARCHAR, analysis_id VARCHAR, "
            "method VARCHAR, output VARCHAR, statistic VARCHAR, period VARCHAR, factor VARCHAR, factor2 VARCHAR, "
            "n INTEGER, value DOUBLE, conf DOUBLE, created TIMESTAMP)")
        con.register("_govsim_si", data)
        try:
            con.execute("BEGIN TRANSACTION")
            for eid, aid in data[["experiment_id", "analysis_id"]].drop_duplicates().itertuples(index=False):
                con.execute("DELETE FROM sensitivity_indices WHERE experiment_id = ? AND analysis_id = ?", [eid, aid])
            con.execute(
                "INSERT INTO sensitivity_indices SELECT experiment_id, analysis_id, method, output, statistic, "
                "period, factor, factor2, CAST(n AS INTEGER), CASE WHEN isnan(value) THEN NULL ELSE value END, "
                "CASE WHEN isnan(conf) THEN NULL ELSE conf END, created FROM _govsim_si")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("_govsim_si")


def load_indices(store: StoreLike, experiment_id: str | None = None, *, analysis_id: str | None = None,
                 method: str | None = None, output: str | None = None) -> pd.DataFrame:
    """Index rows from the store (latest analysis of the experiment unless ``analysis_id``)."""
    with _connect(store) as con:
        where, args = [], []
        if experiment_id is not None:
            where.append("experiment_id = ?")
            args.append(experiment_id)
        if analysis_id is not None:
            where.append("analysis_id = ?")
            args.append(analysis_id)
        if method is not None:
            where.append("method = ?")
            args.append(method)
        if output is not None:
            where.append("output = ?")
            args.append(output)
        sql = "SELECT * FROM sensitivity_indices" + (" WHERE " + " AND ".join(where) if where else "")
        try:
            return con.execute(sql + " ORDER BY created, method, output, period, statistic, factor", args).df()
        except duckdb.CatalogException as err:
            raise SensitivityAnalysisError("the store has no sensitivity_indices table yet") from err


def export_indices(store: StoreLike, path: str | PathLike, **filters: Any) -> Path:
    """Write index rows (filters as :func:`load_indices`) to ``.csv`` or ``.parquet``."""
    path = Path(path)
    df = load_indices(store, **filters)
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix in (".parquet", ".pq"):
        df.to_parquet(path, index=False)
    else:
        raise SensitivityAnalysisError(f"export format of {path.name!r} unknown; use .csv or .parquet")
    return path


def index_table(indices: pd.DataFrame, *, method: str = "sobol", output: str | None = None,
                period: str = "summary") -> pd.DataFrame:
    """One row per factor, columns ``<statistic>`` and ``<statistic>_conf`` at the largest n,
    sorted by the main statistic (ST, mu_star, delta, ...) — the table for a notebook."""
    d = indices[(indices["method"] == method) & (indices["period"] == period) & indices["factor"].notna()
                & (indices["statistic"] != "S2")]
    if output is not None:
        d = d[d["output"] == output]
    if d.empty:
        raise SensitivityAnalysisError(f"no {method} indices for output {output!r}, period {period!r}")
    if d["output"].nunique() > 1:
        raise SensitivityAnalysisError(f"indices of several outputs {sorted(d['output'].unique())[:5]}; pass output=")
    d = d[d["n"] == d["n"].max()]
    wide = d.pivot_table(index="factor", columns="statistic", values="value", aggfunc="first")
    conf = d.pivot_table(index="factor", columns="statistic", values="conf", aggfunc="first").add_suffix("_conf")
    table = wide.join(conf)
    key = next((k for k in ("ST", "mu_star", "delta", "pawn_median", "S1") if k in wide), wide.columns[0])
    return table.sort_values(key, ascending=False)


def convergence_table(indices: pd.DataFrame, *, statistic: str = "ST", output: str | None = None,
                      period: str = "summary") -> pd.DataFrame:
    """Index value and CI half-width per factor (rows) and base sample size n (columns)."""
    d = indices[(indices["method"] == "sobol") & (indices["statistic"] == statistic) & (indices["period"] == period)]
    if output is not None:
        d = d[d["output"] == output]
    return d.pivot_table(index=["output", "factor"], columns="n", values=["value", "conf"])


def max_ci_width(indices: pd.DataFrame, *, statistics: Sequence[str] = ("S1", "ST"), period: str = "summary",
                 n: int | None = None) -> float:
    """Largest full CI width (2 × half-width) over factors and outputs, at the largest n."""
    d = indices[(indices["method"] == "sobol") & indices["statistic"].isin(statistics) & (indices["period"] == period)]
    if d.empty:
        raise SensitivityAnalysisError("no Sobol' indices to measure")
    d = d[d["n"] == (n if n is not None else d["n"].max())]
    return float(2 * d["conf"].max())
