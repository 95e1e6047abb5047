"""The wide table: one row per run, its parameters and its summary outputs side by side.

What spreadsheet and NetLogo BehaviorSpace users expect, next to the store's tidy tables
(``govsim export`` without ``--wide``). Columns, in order:

* run keys: ``experiment_id``, ``run_id``, ``scenario``, ``design_point``, ``replicate``,
  ``seed``, ``status``, ``duration_s``;
* ``param.<name>``: every parameter passed to the run (the registry defaults are not in the
  store; a parameter absent from a run's overrides is empty in its row);
* ``schedule.<month>.<name>``: every scheduled change (the TOML notation ``[schedule.24]``);
* one column per summary output (empty for failed runs).

Reads the store only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.store import AnalysisError, StoreLike, experiment_info, open_store, resolve_experiment

__all__ = ["FORMATS", "export_wide", "wide_table"]

FORMATS = ("parquet", "csv")
KEYS = ["experiment_id", "run_id", "scenario", "design_point", "replicate", "seed", "status", "duration_s"]


def _decode(v: Any) -> Any:
    if v is None or isinstance(v, (dict, list)):
        return v
    try:
        return json.loads(v)
    except (TypeError, ValueError):
        return None


def _uniform(col: pd.Series) -> pd.Series:
    """One type per column (Parquet needs it): numbers stay numbers, anything mixed becomes text."""
    vals = col.dropna()
    if vals.empty:
        return col
    kinds = {type(v) for v in vals}
    if kinds <= {int, float} and bool not in kinds:
        return col.astype(float)
    if kinds == {bool}:
        return col.astype("boolean")
    return col.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))


def wide_table(store: StoreLike, experiment_id: str | None = None) -> pd.DataFrame:
    """One row per run of the experiment (default: the latest), ordered by run id."""
    with open_store(store) as con:
        exp = resolve_experiment(con, experiment_id)
        experiment_info(con, exp)
        runs = con.execute(f"SELECT {', '.join(KEYS)}, params, schedule FROM runs WHERE experiment_id = ? "
                           "ORDER BY run_id", [exp]).df()
        summ = con.execute("SELECT run_id, output, value FROM summaries WHERE experiment_id = ?", [exp]).df()
    if runs.empty:
        raise AnalysisError(f"experiment {exp} has no runs yet")
    params = [_decode(p) or {} for p in runs["params"]]
    names = list(dict.fromkeys(k for p in params for k in p))
    cols: dict[str, pd.Series] = {}
    for n in names:
        cols[f"param.{n}"] = _uniform(pd.Series([p.get(n) for p in params], dtype=object))
    scheds = [_decode(s) or [] for s in runs["schedule"]]
    keys = list(dict.fromkeys((int(m), str(n)) for s in scheds for m, n, _ in s))
    keys.sort(key=lambda k: k[0])
    for m, n in keys:
        col = [next((v for mm, nn, v in s if int(mm) == m and nn == n), None) for s in scheds]
        cols[f"schedule.{m}.{n}"] = _uniform(pd.Series(col, dtype=object))
    out = pd.concat([runs[KEYS].reset_index(drop=True), pd.DataFrame(cols)], axis=1)
    if not summ.empty:
        order = list(dict.fromkeys(summ["output"]))
        wide = summ.pivot_table(index="run_id", columns="output", values="value", aggfunc="first")
        clash = [o for o in order if o in out.columns]
        if clash:
            raise AnalysisError(f"output name(s) {clash} clash with the run columns of the wide table")
        out = out.merge(wide[order].reset_index(), on="run_id", how="left")
    return out


def export_wide(store: StoreLike, out_dir: str | Path, *, fmt: str = "parquet",
                experiment_id: str | None = None) -> list[Path]:
    """Write ``runs_wide.<fmt>`` for one experiment, or ``runs_wide_<id>.<fmt>`` for each
    experiment in the store when ``experiment_id`` is None. Returns the paths."""
    if fmt not in FORMATS:
        raise AnalysisError(f"export format {fmt!r} is not one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    if experiment_id is not None:
        ids = [experiment_id]
    else:
        with open_store(store) as con:
            from analysis.store import list_experiments

            ids = list(list_experiments(con)["experiment_id"])
        if not ids:
            raise AnalysisError("the results store holds no experiment yet")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for eid in ids:
        df = wide_table(store, eid)
        path = out / (f"runs_wide.{fmt}" if experiment_id is not None else f"runs_wide_{eid}.{fmt}")
        if fmt == "parquet":
            df.to_parquet(path, index=False, compression="zstd")
        else:
            df.to_csv(path, index=False)
        written.append(path)
    return written
