"""The results store: one embedded DuckDB file (schema in docs/ARCHITECTURE.md).

Only the parent process of a batch writes to the store; workers return their results to it.
:meth:`Store.write_runs` writes the rows of one or more *finished* runs (``runs``,
``timeseries``, ``summaries`` and, for snapshot runs, ``network_snapshot`` and
``network_edges``) in a single transaction, so a run is in the store wholly or
not at all, also after ``kill -9``.

DuckDB lets one process open the file for writing or several for reading, never both. A
batch therefore opens the store only while it commits (``Store(..., hold=False)``: every
method opens the file, does its work and closes it again), so ``govsim status``, ``govsim
report`` and notebooks can read the committed runs while it goes on; every opener waits
briefly for a lock held elsewhere (:mod:`govsim.storelock`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from govsim.errors import GovsimError
from govsim.storelock import DEFAULT_TIMEOUT, StoreBusyError, connect

__all__ = ["DEFAULT_STORE", "Store", "StoreBusyError", "StoreError", "open_store"]

DEFAULT_STORE = "results/govsim.duckdb"

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments(
    experiment_id VARCHAR PRIMARY KEY, name VARCHAR, kind VARCHAR, target VARCHAR,
    created TIMESTAMP, seed UBIGINT, horizon INTEGER, spec JSON, manifest JSON, status VARCHAR);
CREATE TABLE IF NOT EXISTS runs(
    experiment_id VARCHAR, run_id VARCHAR, scenario VARCHAR, design_point INTEGER, replicate INTEGER,
    seed UBIGINT, params JSON, schedule JSON, status VARCHAR, attempts INTEGER,
    started TIMESTAMP, finished TIMESTAMP, duration_s DOUBLE, worker VARCHAR, error VARCHAR,
    PRIMARY KEY (experiment_id, run_id));
CREATE TABLE IF NOT EXISTS timeseries(
    experiment_id VARCHAR, run_id VARCHAR, month INTEGER, output VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS summaries(
    experiment_id VARCHAR, run_id VARCHAR, output VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS scenarios(
    experiment_id VARCHAR, scenario VARCHAR, description VARCHAR, source_file VARCHAR,
    sha256 VARCHAR, params JSON, schedule JSON, title VARCHAR);
ALTER TABLE scenarios ADD COLUMN IF NOT EXISTS title VARCHAR;
CREATE TABLE IF NOT EXISTS design(
    experiment_id VARCHAR, design_point INTEGER, factor VARCHAR, value DOUBLE, label VARCHAR);
CREATE TABLE IF NOT EXISTS network_snapshot(
    experiment_id VARCHAR, run_id VARCHAR, community INTEGER, node VARCHAR, kind VARCHAR, grid INTEGER,
    participated BOOLEAN, x DOUBLE, y DOUBLE);
CREATE TABLE IF NOT EXISTS network_edges(
    experiment_id VARCHAR, run_id VARCHAR, source VARCHAR, target VARCHAR, kind VARCHAR);
CREATE TABLE IF NOT EXISTS outputs(
    experiment_id VARCHAR, output VARCHAR, label VARCHAR, unit VARCHAR, meaning VARCHAR, direction VARCHAR,
    min_change DOUBLE, relative BOOLEAN, summary VARCHAR, key BOOLEAN, cost BOOLEAN, target DOUBLE);
CREATE TABLE IF NOT EXISTS calibration_generations(
    experiment_id VARCHAR, generation INTEGER, epsilon DOUBLE, particles INTEGER, simulations INTEGER,
    acceptance_rate DOUBLE, ess DOUBLE, proposals INTEGER, batches INTEGER, seed UBIGINT,
    started TIMESTAMP, finished TIMESTAMP, seconds DOUBLE);
CREATE TABLE IF NOT EXISTS calibration_particles(
    experiment_id VARCHAR, generation INTEGER, particle INTEGER, proposal INTEGER, weight DOUBLE, distance DOUBLE,
    parameter VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS calibration_statistics(
    experiment_id VARCHAR, generation INTEGER, particle INTEGER, statistic VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS posteriors(
    name VARCHAR PRIMARY KEY, experiment_id VARCHAR, generation INTEGER, particles INTEGER, created TIMESTAMP);
CREATE TABLE IF NOT EXISTS sensitivity_indices(
    experiment_id VARCHAR, analysis_id VARCHAR, method VARCHAR, output VARCHAR, statistic VARCHAR,
    period VARCHAR, factor VARCHAR, factor2 VARCHAR, n INTEGER, value DOUBLE, conf DOUBLE,
    created TIMESTAMP);
"""

TABLES = ("experiments", "runs", "timeseries", "summaries", "scenarios", "design", "outputs",
          "sensitivity_indices", "network_snapshot", "network_edges", "calibration_generations",
          "calibration_particles", "calibration_statistics", "posteriors")

_RUNS_SCHEMA = pa.schema([
    ("experiment_id", pa.string()), ("run_id", pa.string()), ("scenario", pa.string()),
    ("design_point", pa.int32()), ("replicate", pa.int32()), ("seed", pa.uint64()),
    ("params", pa.string()), ("schedule", pa.string()), ("status", pa.string()),
    ("attempts", pa.int32()), ("started", pa.timestamp("us")), ("finished", pa.timestamp("us")),
    ("duration_s", pa.float64()), ("worker", pa.string()), ("error", pa.string()),
])


class StoreError(GovsimError, RuntimeError):
    """The store cannot be opened or does not hold what was asked for."""


def _utc(ts: float | None) -> datetime | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).replace(tzinfo=None)


def now_utc() -> datetime:
    return datetime.now(tz=timezone.utc).replace(tzinfo=None)


def dumps(obj: Any) -> str:
    """Canonical JSON (sorted keys, no NaN surprises) used for params, schedules, specs."""
    return json.dumps(obj, sort_keys=True, default=_json_default, separators=(",", ":"))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, datetime):
        return obj.isoformat()
    raise TypeError(f"cannot store {type(obj).__name__} as JSON")


class Store:
    """The DuckDB results store.

    Use :func:`open_store`; close with :meth:`close` or a ``with`` block. With ``hold=True``
    (the default) the file stays open, and locked, until :meth:`close`; with ``hold=False``
    each method opens it for its own work and closes it again (how a batch writes, so that
    other processes can read between its commits), and :meth:`connection` keeps it open
    for a block of several calls. Opening waits up to ``lock_timeout`` seconds for a lock
    held by another process.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False,
                 memory_limit: str | None = "512MB", hold: bool = True,
                 lock_timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.memory_limit = memory_limit
        self.lock_timeout = lock_timeout
        self.hold = hold
        self._names = _NamePool()
        self._schema_ready = False
        self.con: Any = None
        if self.path == ":memory:":
            self.hold = True
        else:
            p = Path(self.path)
            if read_only and not p.exists():
                raise StoreError(f"{self.path}: no such results store")
            if not read_only:
                p.parent.mkdir(parents=True, exist_ok=True)
        if self.hold:
            self.con = self._open(self.lock_timeout)

    def _open(self, timeout: float) -> Any:
        import duckdb

        try:
            if self.path == ":memory:":
                con = duckdb.connect(self.path)
            else:
                con = connect(self.path, read_only=self.read_only, timeout=timeout)
        except StoreBusyError:
            raise
        except duckdb.Error as err:
            raise StoreError(f"{self.path}: cannot open the results store ({err})") from err
        if self.memory_limit and not self.read_only:  # the writer's cache must not grow with the batch
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
        if not self.read_only and not self._schema_ready:
            con.execute(SCHEMA)
            self._schema_ready = True
        return con

    @contextmanager
    def connection(self, *, timeout: float | None = None) -> Iterator[Any]:
        """The open connection, or one opened for the block and closed after it (``hold=False``).

        ``timeout`` overrides how long to wait for a lock held elsewhere.
        """
        if self.con is not None:
            yield self.con
            return
        con = self._open(self.lock_timeout if timeout is None else timeout)
        self.con = con
        try:
            yield con
        finally:
            self.con = None
            con.close()

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ experiments
    def experiment(self, experiment_id: str) -> dict[str, Any] | None:
        with self.connection() as con:
            row = con.execute(
                "SELECT experiment_id, name, kind, target, created, seed, horizon, spec, manifest, status "
                "FROM experiments WHERE experiment_id = ?", [experiment_id]).fetchone()
        if row is None:
            return None
        keys = ("experiment_id", "name", "kind", "target", "created", "seed", "horizon", "spec", "manifest", "status")
        out = dict(zip(keys, row))
        out["spec"] = json.loads(out["spec"]) if out["spec"] else {}
        out["manifest"] = json.loads(out["manifest"]) if out["manifest"] else {}
        return out

    def experiments(self) -> list[dict[str, Any]]:
        with self.connection() as con:
            rows = con.execute(
                "SELECT e.experiment_id, e.name, e.kind, e.status, e.created, "
                "count(r.run_id) AS runs, count(r.run_id) FILTER (WHERE r.status = 'ok') AS ok, "
                "count(r.run_id) FILTER (WHERE r.status = 'failed') AS failed, "
                "json_extract(e.manifest, '$.planned_runs')::BIGINT AS planned "
                "FROM experiments e LEFT JOIN runs r USING (experiment_id) "
                "GROUP BY ALL ORDER BY e.created").fetchall()
        keys = ("experiment_id", "name", "kind", "status", "created", "runs", "ok", "failed", "planned")
        return [dict(zip(keys, r)) for r in rows]

    def resolve(self, experiment_id: str) -> str:
        """The full id of ``experiment_id`` or of the one experiment whose id starts with it.

        Raises :class:`StoreError` naming the candidates when the prefix is unknown or
        ambiguous.
        """
        with self.connection() as con:
            ids = [r[0] for r in con.execute("SELECT experiment_id FROM experiments ORDER BY created").fetchall()]
        if experiment_id in ids:
            return experiment_id
        hits = [e for e in ids if e.startswith(experiment_id)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise StoreError(f"experiment id prefix {experiment_id!r} is ambiguous in {self.path}: it starts "
                             f"{', '.join(hits[:5])}{' …' if len(hits) > 5 else ''}; give more of the id")
        import difflib

        close = difflib.get_close_matches(experiment_id, ids, n=3)
        hint = (f"; did you mean {' or '.join(close)}?" if close else
                f"; the store holds {', '.join(ids[-5:])}" if ids else "; the store holds no experiment yet")
        raise StoreError(f"no experiment {experiment_id!r} in {self.path}{hint}")

    def create_experiment(self, *, experiment_id: str, name: str, kind: str, target: str, seed: int,
                          horizon: int, spec: Mapping[str, Any], manifest: Mapping[str, Any],
                          scenarios: Sequence[Mapping[str, Any]] = (),
                          design_rows: Sequence[tuple[int, str, float | None, str | None]] = (),
                          outputs: Sequence[Mapping[str, Any]] = ()) -> None:
        """Write the experiment, its scenario definitions, design and the target's output
        declarations (name, label, unit, direction, smallest meaningful change, …) in one
        transaction."""
        with self.connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("INSERT INTO experiments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')",
                            [experiment_id, name, kind, target, now_utc(), int(seed), int(horizon),
                             dumps(spec), dumps(manifest)])
                for sc in scenarios:
                    con.execute("INSERT INTO scenarios (experiment_id, scenario, description, source_file, sha256, "
                                "params, schedule, title) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [experiment_id, sc["name"], sc.get("description", ""), sc.get("source_file"),
                                 sc.get("sha256"), dumps(sc.get("params", {})), dumps(sc.get("schedule", [])),
                                 sc.get("title") or None])
                if design_rows:
                    tbl = pa.table({
                        "experiment_id": pa.array([experiment_id] * len(design_rows), pa.string()),
                        "design_point": pa.array([r[0] for r in design_rows], pa.int32()),
                        "factor": pa.array([r[1] for r in design_rows], pa.string()),
                        "value": pa.array([r[2] for r in design_rows], pa.float64()),
                        "label": pa.array([r[3] for r in design_rows], pa.string()),
                    })
                    con.register("_govsim_design", tbl)
                    try:
                        con.execute("INSERT INTO design SELECT * FROM _govsim_design")
                    finally:
                        con.unregister("_govsim_design")
                for o in outputs:
                    con.execute("INSERT INTO outputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [experiment_id, o["name"], o.get("label"), o.get("unit"), o.get("meaning"),
                                 o.get("direction"), o.get("min_change"), o.get("relative"), o.get("summary"),
                                 o.get("key"), o.get("cost"), o.get("target")])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def update_manifest(self, experiment_id: str, manifest: Mapping[str, Any], *, status: str | None = None) -> None:
        with self.connection() as con:
            if status is None:
                con.execute("UPDATE experiments SET manifest = ? WHERE experiment_id = ?",
                            [dumps(manifest), experiment_id])
            else:
                con.execute("UPDATE experiments SET manifest = ?, status = ? WHERE experiment_id = ?",
                            [dumps(manifest), status, experiment_id])

    def done_run_ids(self, experiment_id: str, *, status: str | None = None) -> set[str]:
        """Ids of the committed runs (of one ``status``, ``ok`` or ``failed``, if given)."""
        sql = "SELECT run_id FROM runs WHERE experiment_id = ?"
        args: list[Any] = [experiment_id]
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        with self.connection() as con:
            rows = con.execute(sql, args).fetchall()
        return {r[0] for r in rows}

    def run_counts(self, experiment_id: str) -> dict[str, int]:
        with self.connection() as con:
            rows = con.execute("SELECT status, count(*) FROM runs WHERE experiment_id = ? GROUP BY status",
                               [experiment_id]).fetchall()
        return {s: int(n) for s, n in rows}

    def first_error(self, experiment_id: str) -> tuple[str, str] | None:
        """(run id, traceback) of the first failed run of the experiment, if any failed."""
        with self.connection() as con:
            row = con.execute("SELECT run_id, error FROM runs WHERE experiment_id = ? AND status = 'failed' "
                              "ORDER BY finished, run_id LIMIT 1", [experiment_id]).fetchone()
        return (row[0], row[1] or "") if row else None

    # ------------------------------------------------------------------ runs
    def write_runs(self, experiment_id: str, payloads: Sequence[Mapping[str, Any]]) -> None:
        """Write finished runs (rows of runs, timeseries, summaries) in one transaction."""
        if not payloads:
            return
        runs = {k: [] for k in _RUNS_SCHEMA.names}
        ts_run, ts_month, ts_out, ts_val = [], [], [], []
        sm_run, sm_out, sm_val = [], [], []
        net_nodes, net_edges = [], []
        for p in payloads:
            t = p["task"]
            runs["experiment_id"].append(experiment_id)
            runs["run_id"].append(t["run_id"])
            runs["scenario"].append(t.get("scenario"))
            runs["design_point"].append(t.get("design_point"))
            runs["replicate"].append(t["replicate"])
            runs["seed"].append(t["seed"])
            runs["params"].append(dumps(t.get("params") or {}))
            runs["schedule"].append(dumps(t.get("schedule") or []))
            runs["status"].append(p["status"])
            runs["attempts"].append(p.get("attempts", 1))
            runs["started"].append(_utc(p.get("started")))
            runs["finished"].append(_utc(p.get("finished")))
            runs["duration_s"].append(p.get("duration_s"))
            runs["worker"].append(p.get("worker"))
            runs["error"].append(p.get("error"))
            ts = p.get("timeseries")
            if ts is not None:
                months, names, values = ts  # values: (len(names), len(months))
                n_m, n_o = len(months), len(names)
                if n_m and n_o:
                    ts_run.append(np.full(n_m * n_o, len(runs["run_id"]) - 1, dtype=np.int32))
                    ts_month.append(np.tile(np.asarray(months, dtype=np.int32), n_o))
                    ts_out.append(np.repeat(self._names.offsets(names), n_m))
                    ts_val.append(np.asarray(values, dtype=np.float64).reshape(-1))
            net = p.get("network")
            if net is not None:
                nodes, edges = net
                net_nodes.append(_network_nodes(experiment_id, t["run_id"], nodes))
                net_edges.append(_network_edges(experiment_id, t["run_id"], edges))
            sm = p.get("summary")
            if sm:
                for k, v in sm.items():
                    sm_run.append(t["run_id"])
                    sm_out.append(k)
                    sm_val.append(v)
        run_ids = runs["run_id"]
        replaced = [t["run_id"] for t in (p["task"] for p in payloads) if t.get("replaces_failed")]
        tables = {"_govsim_runs": pa.table(runs, schema=_RUNS_SCHEMA)}
        if ts_run:
            name_pool = pa.array(self._names.pool, pa.string())
            out_idx = np.concatenate(ts_out)
            tables["_govsim_ts"] = pa.table({
                "experiment_id": pa.array([experiment_id], pa.string()).take(np.zeros(len(out_idx), dtype=np.int32)),
                "run_id": pa.array(run_ids, pa.string()).take(np.concatenate(ts_run)),
                "month": pa.array(np.concatenate(ts_month)),
                "output": name_pool.take(out_idx),
                "value": pa.array(np.concatenate(ts_val)),
            })
        if sm_run:
            tables["_govsim_sm"] = pa.table({
                "experiment_id": pa.array([experiment_id] * len(sm_run), pa.string()),
                "run_id": pa.array(sm_run, pa.string()),
                "output": pa.array(sm_out, pa.string()),
                "value": pa.array(sm_val, pa.float64()),
            })
        if net_nodes:
            tables["_govsim_nodes"] = pa.concat_tables(net_nodes)
            tables["_govsim_edges"] = pa.concat_tables(net_edges)
        with self.connection() as con:
            self._commit(con, experiment_id, tables, replaced)

    @staticmethod
    def _commit(con: Any, experiment_id: str, tables: Mapping[str, pa.Table], replaced: Sequence[str]) -> None:
        for name, tbl in tables.items():
            con.register(name, tbl)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                if replaced:  # a failed run tried again: its new row replaces the old one
                    con.execute("DELETE FROM runs WHERE experiment_id = ? AND list_contains(?, run_id)",
                                [experiment_id, list(replaced)])
                con.execute("INSERT INTO runs SELECT * FROM _govsim_runs")
                if "_govsim_ts" in tables:
                    con.execute("INSERT INTO timeseries SELECT * FROM _govsim_ts")
                if "_govsim_sm" in tables:
                    con.execute("INSERT INTO summaries SELECT * FROM _govsim_sm")
                if "_govsim_nodes" in tables:
                    con.execute("INSERT INTO network_snapshot SELECT * FROM _govsim_nodes")
                    con.execute("INSERT INTO network_edges SELECT * FROM _govsim_edges")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            for name in tables:
                con.unregister(name)

    # ------------------------------------------------------------------ calibrations
    def write_generation(self, experiment_id: str, generation: Mapping[str, Any],
                         particles: Sequence[Mapping[str, Any]]) -> None:
        """Write (or rewrite) one generation of a calibration in one transaction: its row of
        ``calibration_generations`` and, per particle (``particle``, ``proposal``, ``weight``,
        ``distance``, ``parameters``: dict, ``statistics``: dict), its rows of
        ``calibration_particles`` and ``calibration_statistics``."""
        g = int(generation["generation"])
        prow = [(experiment_id, g, int(p["particle"]), int(p["proposal"]), float(p["weight"]), float(p["distance"]),
                 str(k), float(v)) for p in particles for k, v in p["parameters"].items()]
        srow = [(experiment_id, g, int(p["particle"]), str(k), float(v)) for p in particles
                for k, v in p["statistics"].items()]
        cols = ("epsilon", "particles", "simulations", "acceptance_rate", "ess", "proposals", "batches", "seed",
                "started", "finished", "seconds")
        with self.connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                for table in ("calibration_generations", "calibration_particles", "calibration_statistics"):
                    con.execute(f"DELETE FROM {table} WHERE experiment_id = ? AND generation = ?", [experiment_id, g])
                con.execute("INSERT INTO calibration_generations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [experiment_id, g, *[generation.get(c) for c in cols]])
                if prow:
                    con.executemany("INSERT INTO calibration_particles VALUES (?, ?, ?, ?, ?, ?, ?, ?)", prow)
                if srow:
                    con.executemany("INSERT INTO calibration_statistics VALUES (?, ?, ?, ?, ?)", srow)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def generations(self, experiment_id: str) -> list[int]:
        """The generations of a calibration written so far."""
        with self.connection() as con:
            rows = con.execute("SELECT generation FROM calibration_generations WHERE experiment_id = ? "
                               "ORDER BY generation", [experiment_id]).fetchall()
        return [int(r[0]) for r in rows]

    def save_posterior(self, name: str, experiment_id: str, generation: int, particles: int) -> str | None:
        """Name the final generation of a calibration; returns the experiment the name pointed
        to before (None when it is new or unchanged)."""
        with self.connection() as con:
            old = con.execute("SELECT experiment_id FROM posteriors WHERE name = ?", [name]).fetchone()
            con.execute("INSERT OR REPLACE INTO posteriors VALUES (?, ?, ?, ?, ?)",
                        [name, experiment_id, int(generation), int(particles), now_utc()])
        return old[0] if old and old[0] != experiment_id else None

    def posterior(self, name: str) -> dict[str, Any] | None:
        """The saved posterior called ``name``: experiment id, generation, particles, created."""
        with self.connection() as con:
            row = con.execute("SELECT name, experiment_id, generation, particles, created FROM posteriors "
                              "WHERE name = ?", [name]).fetchone()
        if row is None:
            return None
        return dict(zip(("name", "experiment_id", "generation", "particles", "created"), row))

    def posterior_names(self) -> list[str]:
        with self.connection() as con:
            return [r[0] for r in con.execute("SELECT name FROM posteriors ORDER BY name").fetchall()]

    def particles(self, experiment_id: str, generation: int) -> tuple[list[int], list[float], dict[str, list[float]]]:
        """``(particle ids, weights, {parameter: values})`` of one generation, in particle order."""
        with self.connection() as con:
            rows = con.execute("SELECT particle, weight, parameter, value FROM calibration_particles "
                               "WHERE experiment_id = ? AND generation = ? ORDER BY particle, parameter",
                               [experiment_id, int(generation)]).fetchall()
        ids: list[int] = []
        weights: list[float] = []
        values: dict[str, list[float]] = {}
        for pid, w, name, v in rows:
            if not ids or ids[-1] != pid:
                ids.append(int(pid))
                weights.append(float(w))
            values.setdefault(str(name), []).append(float(v))
        return ids, weights, values

    # ------------------------------------------------------------------ export
    def export(self, out_dir: str | os.PathLike[str], *, fmt: str = "parquet",
               experiment_id: str | None = None, tables: Iterable[str] = TABLES) -> list[Path]:
        """Write each table (optionally one experiment's rows) to ``out_dir/<table>.<fmt>``."""
        if fmt not in ("parquet", "csv"):
            raise StoreError(f"export format {fmt!r} is not one of parquet, csv")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for table in tables:
            if table not in TABLES:
                raise StoreError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
            path = out / f"{table}.{fmt}"
            where = ""
            params: list[Any] = []
            if experiment_id is not None:
                where = " WHERE experiment_id = ?"
                params = [experiment_id]
            opts = "(FORMAT parquet, COMPRESSION zstd)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
            sql_path = str(path).replace("'", "''")
            with self.connection() as con:
                con.execute(f"COPY (SELECT * FROM {table}{where}) TO '{sql_path}' {opts}", params)
            written.append(path)
        return written


def _column(frame: Mapping[str, Any], name: str, n: int, typ: pa.DataType) -> pa.Array:
    if name not in frame:
        return pa.nulls(n, typ)
    col = frame[name]
    values = col.tolist() if hasattr(col, "tolist") else list(col)
    return pa.array([None if _isna(v) else v for v in values], typ)


def _isna(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN, pandas.NA
    except (TypeError, ValueError):
        return True


def _network_nodes(experiment_id: str, run_id: str, nodes: Any) -> pa.Table:
    n = len(nodes)
    return pa.table({
        "experiment_id": pa.array([experiment_id] * n, pa.string()), "run_id": pa.array([run_id] * n, pa.string()),
        "community": _column(nodes, "community", n, pa.int32()), "node": _column(nodes, "node", n, pa.string()),
        "kind": _column(nodes, "kind", n, pa.string()), "grid": _column(nodes, "grid", n, pa.int32()),
        "participated": _column(nodes, "participated", n, pa.bool_()), "x": _column(nodes, "x", n, pa.float64()),
        "y": _column(nodes, "y", n, pa.float64()),
    })


def _network_edges(experiment_id: str, run_id: str, edges: Any) -> pa.Table:
    n = len(edges)
    return pa.table({
        "experiment_id": pa.array([experiment_id] * n, pa.string()), "run_id": pa.array([run_id] * n, pa.string()),
        "source": _column(edges, "source", n, pa.string()), "target": _column(edges, "target", n, pa.string()),
        "kind": _column(edges, "kind", n, pa.string()),
    })


class _NamePool:
    """Interns output names so the long time-series table is built with integer indices."""

    def __init__(self) -> None:
        self.pool: list[str] = []
        self.index: dict[str, int] = {}
        self.cache: dict[tuple[str, ...], int] = {}

    def offsets(self, names: Sequence[str]) -> np.ndarray:
        key = tuple(names)
        arr = self.cache.get(key)
        if arr is None:
            for n in names:
                if n not in self.index:
                    self.index[n] = len(self.pool)
                    self.pool.append(n)
            arr = np.array([self.index[n] for n in names], dtype=np.int32)
            self.cache[key] = arr
        return arr


def open_store(path: str | os.PathLike[str] = DEFAULT_STORE, *, read_only: bool = False,
               memory_limit: str | None = "512MB", hold: bool = True,
               lock_timeout: float = DEFAULT_TIMEOUT) -> Store:
    """Open (creating if needed, unless ``read_only``) the results store at ``path``.

    ``memory_limit`` caps DuckDB's memory in a writing process (it spills to disk beyond it).
    ``hold=False`` opens the file only while each method works (see :class:`Store`), so that
    a batch running meanwhile can commit. Opening waits up to ``lock_timeout`` seconds
    for a lock held by another process.
    """
    return Store(path, read_only=read_only, memory_limit=memory_limit, hold=hold, lock_timeout=lock_timeout)
