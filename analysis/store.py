"""Read-only access to the results store (schema in docs/ARCHITECTURE.md).

Everything in ``analysis`` goes through these helpers: they open a store read-only, resolve
an experiment id (``None`` = the latest), and return tidy pandas frames joined with the run
metadata (scenario, replicate, seed) that pairing and plotting need.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from govsim.errors import GovsimError
from govsim.storelock import StoreBusyError, connect

__all__ = [
    "AnalysisError",
    "BadOptionError",
    "EmptyResultError",
    "MissingTableError",
    "StoreLockedError",
    "StoreNotFoundError",
    "UnknownExperimentError",
    "UnknownOutputError",
    "UnknownScenarioError",
    "StoreLike",
    "available_outputs",
    "experiment_info",
    "has_table",
    "list_experiments",
    "load_design_inputs",
    "load_runs",
    "load_scenarios",
    "load_summaries",
    "load_timeseries",
    "open_store",
    "resolve_experiment",
    "scenario_title",
    "scenario_titles",
]

StoreLike = str | PathLike | duckdb.DuckDBPyConnection


class AnalysisError(GovsimError):
    """Base class of the errors raised by ``analysis`` on bad input."""


class BadOptionError(AnalysisError, ValueError):
    """An option value outside what the analysis allows (a confidence level, a count)."""


class StoreNotFoundError(AnalysisError, FileNotFoundError):
    """The results-store file does not exist."""


class StoreLockedError(AnalysisError, OSError):
    """The store stayed locked by another process longer than a reader waits."""


class MissingTableError(AnalysisError, LookupError):
    """A table the analysis needs is not in the store."""


class UnknownExperimentError(AnalysisError, LookupError):
    """The experiment id is not in the store (or the store holds no experiment)."""


class UnknownScenarioError(AnalysisError, LookupError):
    """A scenario (e.g. the baseline) is not in the experiment."""


class UnknownOutputError(AnalysisError, LookupError):
    """An output name is not in the experiment's results."""


class EmptyResultError(AnalysisError, ValueError):
    """The experiment has no successful runs / rows for what was asked."""


@contextlib.contextmanager
def open_store(store: StoreLike) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection: a path is opened read-only and closed afterwards; a connection is
    used as given and left open.

    A batch writing to the store holds it only while it commits; opening waits for that
    (the batch's next commit waits in turn while this connection is open)."""
    if isinstance(store, duckdb.DuckDBPyConnection):
        yield store
        return
    path = Path(store)
    if not path.is_file():
        raise StoreNotFoundError(f"results store not found: {path} (run an experiment first, or pass --store)")
    try:
        con = connect(path, read_only=True)
    except StoreBusyError as exc:
        raise StoreLockedError(str(exc)) from exc
    except duckdb.Error as exc:  # not a DuckDB file, incompatible version, ...
        raise AnalysisError(f"cannot open results store {path}: {exc}") from exc
    try:
        yield con
    finally:
        con.close()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def _require(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    missing = [n for n in names if not has_table(con, n)]
    if missing:
        raise MissingTableError(
            f"results store lacks table(s) {', '.join(missing)}; is this a govsim results store?"
        )


def list_experiments(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All experiments, newest first."""
    _require(con, "experiments")
    return con.execute(
        "SELECT experiment_id, name, kind, created, status FROM experiments "
        "ORDER BY created DESC NULLS LAST, experiment_id DESC"
    ).df()


def resolve_experiment(con: duckdb.DuckDBPyConnection, experiment_id: str | None) -> str:
    """Return ``experiment_id`` after checking it exists; ``None`` means the latest experiment."""
    exps = list_experiments(con)
    if exps.empty:
        raise UnknownExperimentError("the results store holds no experiment yet")
    if experiment_id is None:
        return str(exps["experiment_id"].iloc[0])
    ids = [str(e) for e in exps["experiment_id"]]
    if experiment_id in ids:
        return experiment_id
    prefix = [e for e in ids if e.startswith(experiment_id)]
    if len(prefix) == 1:
        return prefix[0]
    shown = ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")
    raise UnknownExperimentError(f"unknown experiment id {experiment_id!r}; the store holds: {shown}")


def _json(value: Any) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def experiment_info(con: duckdb.DuckDBPyConnection, experiment_id: str) -> dict[str, Any]:
    """The experiment's row, with ``spec`` and ``manifest`` decoded from JSON."""
    _require(con, "experiments")
    cur = con.execute("SELECT * FROM experiments WHERE experiment_id = ?", [experiment_id])
    row = cur.fetchone()
    if row is None:
        raise UnknownExperimentError(f"unknown experiment id {experiment_id!r}")
    info = dict(zip([d[0] for d in cur.description], row, strict=True))
    for key in ("spec", "manifest"):
        if key in info:
            info[key] = _json(info[key]) or {}
    return info


def load_runs(con: duckdb.DuckDBPyConnection, experiment_id: str) -> pd.DataFrame:
    """All runs of the experiment (ok and failed), ordered by scenario and replicate."""
    _require(con, "runs")
    return con.execute(
        "SELECT * FROM runs WHERE experiment_id = ? ORDER BY scenario, design_point, replicate, run_id",
        [experiment_id],
    ).df()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()
    return {r[0] for r in rows}


def scenario_title(name: str, title: str | None = None) -> str:
    """A scenario's readable title: its declared ``title``, else its name made readable
    (``pay_raise`` → "Pay raise")."""
    if isinstance(title, str) and title.strip():
        return title.strip()
    text = str(name).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else str(name)


def load_scenarios(con: duckdb.DuckDBPyConnection, experiment_id: str) -> pd.DataFrame:
    """Resolved scenario definitions; ``params``/``schedule`` decoded; ``title`` the declared
    title or the readable name (stores written before scenarios had titles). Empty when not
    stored."""
    cols = ["scenario", "title", "description", "source_file", "sha256", "params", "schedule"]
    if not has_table(con, "scenarios"):
        return pd.DataFrame(columns=cols)
    title = "title" if "title" in _columns(con, "scenarios") else "NULL AS title"
    df = con.execute(
        f"SELECT scenario, {title}, description, source_file, sha256, params, schedule FROM scenarios "
        "WHERE experiment_id = ? ORDER BY scenario",
        [experiment_id],
    ).df()
    for col in ("params", "schedule"):
        df[col] = [_json(v) for v in df[col]]
    df["title"] = [scenario_title(s, t) for s, t in zip(df["scenario"], df["title"], strict=True)]
    return df


def scenario_titles(con: duckdb.DuckDBPyConnection, experiment_id: str) -> dict[str, str]:
    """Scenario name → readable title for the scenarios of an experiment (those with runs too)."""
    out = {str(s): str(t) for s, t in zip(*load_scenarios(con, experiment_id)[["scenario", "title"]].T.values,
                                             strict=True)}
    if has_table(con, "runs"):
        for (s,) in con.execute("SELECT DISTINCT scenario FROM runs WHERE experiment_id = ? AND scenario IS NOT NULL",
                                [experiment_id]).fetchall():
            out.setdefault(str(s), scenario_title(str(s)))
    return out


def _outputs_filter(outputs: Sequence[str] | None) -> tuple[str, list[Any]]:
    if outputs is None:
        return "", []
    outs = list(outputs)
    if not outs:
        return " AND FALSE", []
    return f" AND d.output IN ({', '.join('?' * len(outs))})", outs


def load_summaries(
    con: duckdb.DuckDBPyConnection, experiment_id: str, outputs: Sequence[str] | None = None
) -> pd.DataFrame:
    """Summary values of the successful runs: run_id, scenario, design_point, replicate, seed,
    output, value."""
    _require(con, "runs", "summaries")
    where, args = _outputs_filter(outputs)
    return con.execute(
        "SELECT r.run_id, r.scenario, r.design_point, r.replicate, r.seed, d.output, d.value "
        "FROM summaries d JOIN runs r USING (experiment_id, run_id) "
        f"WHERE d.experiment_id = ? AND r.status = 'ok'{where} "
        "ORDER BY r.scenario, d.output, r.replicate",
        [experiment_id, *args],
    ).df()


def load_timeseries(
    con: duckdb.DuckDBPyConnection, experiment_id: str, outputs: Sequence[str] | None = None
) -> pd.DataFrame:
    """Monthly values of the successful runs: run_id, scenario, replicate, month, output, value."""
    _require(con, "runs", "timeseries")
    where, args = _outputs_filter(outputs)
    return con.execute(
        "SELECT r.run_id, r.scenario, r.design_point, r.replicate, d.month, d.output, d.value "
        "FROM timeseries d JOIN runs r USING (experiment_id, run_id) "
        f"WHERE d.experiment_id = ? AND r.status = 'ok'{where} "
        "ORDER BY r.scenario, d.output, r.replicate, d.month",
        [experiment_id, *args],
    ).df()


def available_outputs(con: duckdb.DuckDBPyConnection, experiment_id: str, table: str = "summaries") -> list[str]:
    """Distinct output names stored for the experiment in ``summaries`` or ``timeseries``."""
    if table not in ("summaries", "timeseries"):
        raise ValueError(f"table must be 'summaries' or 'timeseries', not {table!r}")
    _require(con, table)
    rows = con.execute(
        f"SELECT DISTINCT output FROM {table} WHERE experiment_id = ? ORDER BY output", [experiment_id]
    ).fetchall()
    return [r[0] for r in rows]


def load_design_inputs(con: duckdb.DuckDBPyConnection, experiment_id: str) -> pd.DataFrame:
    """The experiment's design (or futures) as one row per design point, one column per factor.

    Numeric factors are floats; factors stored with text labels (categorical levels,
    ``true``/``false``) are pandas categoricals of their labels (booleans as ``"false"``,
    ``"true"``). The index is the design point. Empty when the experiment has no design.
    """
    if not has_table(con, "design"):
        return pd.DataFrame()
    d = con.execute("SELECT design_point, factor, value, label FROM design WHERE experiment_id = ? "
                    "ORDER BY design_point", [experiment_id]).df()
    if d.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(d["factor"]))
    cols: dict[str, pd.Series] = {}
    for factor in order:
        part = d[d["factor"] == factor].set_index("design_point")
        if part["label"].notna().any():
            labels = part["label"].astype(object)
            levels = (part.drop_duplicates("label").sort_values("value")["label"].tolist()
                      if part["value"].notna().all() else sorted(labels.dropna().unique()))
            cols[factor] = pd.Series(pd.Categorical(labels, categories=levels), index=part.index)
        else:
            cols[factor] = part["value"].astype(float)
    out = pd.DataFrame(cols)
    out.index.name = "design_point"
    return out.sort_index()
