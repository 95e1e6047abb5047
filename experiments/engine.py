"""The experiment engine: plan runs, seed them, execute them, stream them into the store.

An *experiment* is a set of runs planned from a JSON-able ``spec`` (scenarios or a design
matrix, replicates, seed, horizon, target). Its id is ``<name>-<hash>`` of the spec and of the
target's source code, and every ``run_id`` is fixed by the plan, so:

* running the same experiment again resumes it (or does nothing if it is complete), and
  runs again the runs that failed (unless ``keep_failed``);
* :func:`resume` after ``kill -9`` runs exactly the runs not yet committed.

SIGINT (Ctrl-C) and SIGTERM (what a cluster scheduler sends before it kills a job) stop a
batch cleanly: the finished runs are committed and :class:`govsim.errors.BatchInterrupted`
is raised with the experiment id and the command that resumes it. A batch in which every
run failed raises :class:`RunsFailedError` with the first failure's traceback.

A path as ``store`` is opened only while the batch commits (:class:`experiments.store.Store`
with ``hold=False``), so other processes can read the store meanwhile.

Public entry points: :func:`run_scenarios`, :func:`run_design`, :func:`run_futures`, :func:`resume`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from govsim.errors import EXIT_FAILED, BatchInterrupted, GovsimError

from . import seeds as _seeds
from .executors import DEFAULT_MAX_ATTEMPTS, make_executor
from .store import Store, StoreBusyError, StoreError, dumps, now_utc
from .worker import DEFAULT_TARGET, PYTHON_PREFIX, TargetError, load_target, normalise_target, output_metadata

__all__ = ["ExperimentError", "RunsFailedError", "run_batch", "run_design", "run_futures", "run_scenarios", "resume",
           "plan_tasks", "design_from_csv", "future_seeds"]

FLUSH_SECONDS = 1.0
BUSY_TRY_SECONDS = 0.2  # how long a commit waits for a reader before it keeps the runs for later
BUSY_WARN_SECONDS = 30.0
INTERRUPT_COMMIT_SECONDS = 60.0  # how long an interrupted batch waits for the store to commit
MODEL_TARGET = DEFAULT_TARGET
_REPO = Path(__file__).resolve().parent.parent

Target = str | Callable[..., Any]


class ExperimentError(GovsimError, ValueError):
    """An experiment that cannot be planned or resumed as asked (a user error)."""


class RunsFailedError(GovsimError, RuntimeError):
    """Every run of a batch failed: there is nothing to analyse (the first traceback is shown)."""

    exit_code = EXIT_FAILED


# ---------------------------------------------------------------------------- helpers
def _jsonable(v: Any) -> Any:
    """Plain Python scalars for params (numpy scalars → int/float/bool/str)."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    return v


def _is_model_target(target: str) -> bool:
    return target == MODEL_TARGET


def _validate_params(params: Mapping[str, Any], target: str, where: str) -> dict[str, Any]:
    out = {str(k): _jsonable(v) for k, v in (params or {}).items()}
    if _is_model_target(target):
        from model.parameters import validate_value

        out = {k: validate_value(k, v, where=where) for k, v in out.items()}
    return out


def _validate_schedule(schedule: Iterable[Any], target: str, where: str) -> list[list[Any]]:
    items = list(schedule or ())
    if _is_model_target(target):
        from model.parameters import normalise_schedule

        return [[c.month, c.name, c.value] for c in normalise_schedule(items, where=where)]
    out = []
    for item in items:
        if isinstance(item, Mapping):
            out.append([int(item["month"]), str(item["name"]), _jsonable(item["value"])])
        elif hasattr(item, "month"):
            out.append([int(item.month), str(item.name), _jsonable(item.value)])
        else:
            m, n, v = item
            out.append([int(m), str(n), _jsonable(v)])
    return out


def _check_int(name: str, value: Any, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ExperimentError(f"{name} must be a whole number ≥ {lo}, got {value!r}")
    return int(value)


def code_fingerprint(target: str, function: Callable[..., Any] | None = None) -> str:
    """sha256 of the target package's Python sources: results from other code get a new id.

    For a callable shipped by value (``function``): its pickled code and captured values,
    together with the sources of the model package and of the package it comes from, so a
    wrapper around the model also gets a new id when the model changes.
    """
    if function is not None:
        from .worker import pack_function

        h = hashlib.sha256(pack_function(function))
        for pkg in dict.fromkeys(["model", (getattr(function, "__module__", None) or "").split(".")[0]]):
            if pkg and pkg not in ("__main__", "__mp_main__"):
                try:
                    h.update(code_fingerprint(f"{pkg}:f").encode())
                except TargetError:
                    pass
        return h.hexdigest()
    mod = target.split(":")[0]
    top = mod.split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError) as err:
        raise TargetError(f"target {target!r}: cannot find module {top!r} ({err})") from err
    if spec is None:
        raise TargetError(f"target {target!r}: cannot find module {top!r}")
    h = hashlib.sha256()
    if spec.submodule_search_locations:
        files: list[Path] = []
        for loc in spec.submodule_search_locations:
            files.extend(sorted(Path(loc).rglob("*.py")))
    else:
        files = [Path(spec.origin)] if spec.origin else []
    for f in files:
        if "__pycache__" in f.parts:
            continue
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def experiment_id_for(name: str, spec: Mapping[str, Any], code_sha: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "experiment"
    digest = hashlib.sha256((dumps(spec) + code_sha).encode()).hexdigest()[:12]
    return f"{slug}-{digest}"


def _git_info() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", *args], cwd=_REPO, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("govsim", "mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "duckdb", "dask",
                "distributed", "SALib"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


# ---------------------------------------------------------------------------- planning
def plan_tasks(spec: Mapping[str, Any], *, skip: set[str] | frozenset[str] = frozenset()) -> Iterator[dict[str, Any]]:
    """The runs of an experiment, in a fixed order, minus those in ``skip`` (run ids)."""
    common = {"target": spec["target"], "horizon": spec["horizon"], "timeseries_every": spec["timeseries_every"]}
    reps = spec["replicates"]
    if spec.get("futures") is not None:
        fut = spec["futures"]
        cols, rows = fut["columns"], fut["rows"]
        base = spec.get("base_params") or {}
        # a batch of a longer sequence of futures (a calibration's proposals): run ids and
        # seeds follow the future's place in the sequence, not in the batch
        prefix, offset = spec.get("run_prefix", ""), int(spec.get("point_offset", 0))
        seeds = future_seeds(spec["seed"], len(rows), reps, scope=spec.get("seed_scope", "future"), offset=offset)
        for f, row in enumerate(rows):  # future-major: every reform of a future runs before the next future
            values = dict(zip(cols, row, strict=True))
            point = offset + f
            for r in range(reps):
                for reform in spec["reforms"]:
                    run_id = f"{prefix}{reform['name']}-f{point:06d}-r{r:04d}"
                    if run_id in skip:
                        continue
                    yield {**common, "run_id": run_id, "scenario": reform["name"], "design_point": point,
                           "replicate": r, "seed": seeds[f][r], "params": {**base, **reform["params"], **values},
                           "schedule": reform["schedule"]}
    elif spec.get("design") is not None:
        d = spec["design"]
        cols, rows = d["columns"], d["rows"]
        base, sched = spec.get("base_params") or {}, spec.get("schedule") or []
        crn = spec.get("crn", True)
        if crn:
            rep_seeds = _seeds.replicate_seeds(spec["seed"], reps)
            seed_rows: Any = None
        else:
            seed_rows = _seeds.design_seeds(spec["seed"], len(rows), reps, crn=False)
        for i, row in enumerate(rows):
            params = {**base, **dict(zip(cols, row))}
            for r in range(reps):
                run_id = f"p{i:06d}-r{r:04d}"
                if run_id in skip:
                    continue
                seed = rep_seeds[r] if crn else seed_rows[i][r]
                yield {**common, "run_id": run_id, "scenario": spec.get("scenario") or spec["name"],
                       "design_point": i, "replicate": r, "seed": seed, "params": params, "schedule": sched}
    else:
        rep_seeds = _seeds.replicate_seeds(spec["seed"], reps)
        snap = set(spec.get("snapshot_replicates") or ())
        draws = spec.get("draws")  # parameter sets drawn from a posterior: replicate r runs draw r // per_draw
        for r in range(reps):  # replicate-major: every scenario advances together
            drawn, point = {}, None
            if draws:
                point = r // int(draws["per_draw"])
                drawn = dict(zip(draws["columns"], draws["rows"][point], strict=True))
            for sc in spec["scenarios"]:
                run_id = f"{sc['name']}-r{r:04d}"
                if run_id in skip:
                    continue
                task = {**common, "run_id": run_id, "scenario": sc["name"], "design_point": point,
                        "replicate": r, "seed": rep_seeds[r], "params": {**drawn, **sc["params"]},
                        "schedule": sc["schedule"]}
                if r in snap:
                    task["snapshot"] = True
                yield task


def planned_count(spec: Mapping[str, Any]) -> int:
    if spec.get("futures") is not None:
        return len(spec["futures"]["rows"]) * len(spec["reforms"]) * spec["replicates"]
    n = len(spec["design"]["rows"]) if spec.get("design") is not None else len(spec["scenarios"])
    return n * spec["replicates"]


SEED_SCOPES = ("future", "shared")
DEFAULT_DRAWS = 100  # posterior draws of a scenario run with a posterior
DEFAULT_REPLICATES_PER_DRAW = 2  # at least 2: the noise and the parameters' shares of the variance need both
DRAW_STREAM = 9  # SeedSequence(seed, spawn_key=(9,)) seeds the resampling of posterior draws


def future_seeds(seed: int, n_futures: int, replicates: int, *, scope: str = "future",
                 offset: int = 0) -> list[list[int]]:
    """``seeds[future][replicate]`` of a futures ensemble; every reform of future ``f`` and
    replicate ``r`` runs with ``seeds[f][r]`` (common random numbers across reforms).

    ``scope="future"``: each future has its own seeds (child ``f`` of the root, grandchild
    ``r``), so the noise is independent between futures; ``scope="shared"``: replicate ``r``
    of every future shares one seed, as in a design with ``crn=True``. ``offset``: the
    futures are ``offset .. offset + n_futures - 1`` of a longer sequence (a batch of it).
    """
    if scope not in SEED_SCOPES:
        raise ExperimentError(f"seed scope {scope!r} is not one of {list(SEED_SCOPES)}")
    if scope == "shared":
        return _seeds.design_seeds(seed, n_futures, replicates, crn=True)
    return _seeds.point_seeds(seed, offset, n_futures, replicates)


# ---------------------------------------------------------------------------- designs
def _design_value(name: str, value: Any, target: str, where: str) -> Any:
    value = _jsonable(value)
    if isinstance(value, float) and math.isnan(value):
        raise ExperimentError(f"{where}: factor {name!r} has an empty cell; every design point needs a value")
    if _is_model_target(target):
        from model.parameters import REGISTRY, validate_value

        p = REGISTRY.get(name)
        if p is not None and isinstance(value, str):
            s = value.strip()
            if p.type == "bool" and s.lower() in ("true", "false", "1", "0", "yes", "no"):
                value = s.lower() in ("true", "1", "yes")
            elif p.type in ("int", "float"):
                try:
                    value = float(s)
                except ValueError:
                    pass
        return validate_value(name, value, where=where)
    return value


def _design_rows_for_store(cols: Sequence[str], rows: Sequence[Sequence[Any]], target: str) -> list[tuple]:
    choices: dict[str, tuple[str, ...]] = {}
    if _is_model_target(target):
        from model.parameters import REGISTRY

        choices = {c: REGISTRY[c].choices for c in cols if c in REGISTRY and REGISTRY[c].choices}
    out = []
    for i, row in enumerate(rows):
        for c, v in zip(cols, row):
            if isinstance(v, bool):
                out.append((i, c, float(v), "true" if v else "false"))
            elif isinstance(v, (int, float)):
                out.append((i, c, float(v), None))
            else:
                ch = choices.get(c)
                out.append((i, c, float(ch.index(v)) if ch and v in ch else None, str(v)))
    return out


def design_from_csv(path: str | os.PathLike[str]) -> Any:
    """Read a design CSV (one column per parameter, one row per design point)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise ExperimentError(f"{p}: no such design file")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ExperimentError(f"{p}: not a readable CSV design ({err})") from err
    if df.empty or not len(df.columns):
        raise ExperimentError(f"{p}: the design has no rows or no columns")
    for c in df.columns:  # numbers as numbers, the rest (categorical levels, true/false) as strings
        num = pd.to_numeric(df[c], errors="coerce")
        if num.notna().all():
            df[c] = num
    return df


# ---------------------------------------------------------------------------- execution
class _Interrupts:
    """SIGINT and SIGTERM raise :class:`BatchInterrupted` in the main thread — except inside
    :meth:`critical` (a commit), where they wait until it is done."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending: int | None = None
        self._old: dict[int, Any] = {}

    def handler(self, signum: int, frame: Any) -> None:
        if self.depth:
            self.pending = self.pending or signum
            return
        raise BatchInterrupted(signum)

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only; there the caller's handlers apply
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self.handler)

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

    @contextmanager
    def critical(self, *, deliver: bool = True) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if deliver and not self.depth and self.pending is not None:
            signum, self.pending = self.pending, None
            raise BatchInterrupted(signum)


class _Writer:
    """Buffers finished runs and commits them together, at least every ``FLUSH_SECONDS``.

    The store is opened only for the commit. If another process holds it (a long read),
    the runs stay in memory and the next attempt commits them all.
    """

    def __init__(self, store: Store, experiment_id: str, guard: _Interrupts, say: Callable[[str], None],
                 interval: float = FLUSH_SECONDS) -> None:
        self.store, self.experiment_id, self.guard, self.say, self.interval = store, experiment_id, guard, say, interval
        self.buffer: list[dict[str, Any]] = []
        self.last = time.monotonic()
        self.ok = self.failed = 0
        self.busy_since: float | None = None
        self.warned = False

    def add(self, payload: dict[str, Any] | None) -> None:
        if payload is not None:
            self.buffer.append(payload)
            if payload["status"] == "ok":
                self.ok += 1
            else:
                self.failed += 1
        if self.buffer and time.monotonic() - self.last >= self.interval:
            self.flush(timeout=BUSY_TRY_SECONDS)

    def flush(self, *, timeout: float | None = None, patience: float | None = None) -> bool:
        """Commit the buffer. A store locked for ``timeout`` seconds leaves it buffered (False);
        with ``timeout=None`` keep trying — for at most ``patience`` seconds, if given."""
        self.last = time.monotonic()
        if not self.buffer:
            return True
        deadline = None if patience is None else time.monotonic() + patience
        while True:
            wait = timeout if timeout is not None else 5.0
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                with self.store.connection(timeout=wait):
                    with self.guard.critical():
                        self.store.write_runs(self.experiment_id, self.buffer)
                        self.buffer = []
            except StoreBusyError as err:
                now = time.monotonic()
                self.busy_since = self.busy_since or now
                if timeout is None and (deadline is None or now < deadline):
                    if not self.warned or now - self.busy_since > BUSY_WARN_SECONDS:
                        self.say(f"waiting to commit {len(self.buffer)} runs: {err}")
                        self.warned, self.busy_since = True, now
                    continue
                if not self.warned and now - self.busy_since > BUSY_WARN_SECONDS:
                    self.say(f"the results store has been busy for {now - self.busy_since:.0f} s; "
                             f"{len(self.buffer)} finished runs wait in memory and are committed when it is free")
                    self.warned = True
                return False
            self.busy_since, self.warned = None, False
            self.last = time.monotonic()
            return True


@contextmanager
def _progress(enabled: bool, total: int, done: int, label: str) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    class _Rate(TextColumn):
        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:  # runs per second since the start of this session
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed:6.2f} runs/s" if speed else "   ... runs/s", style="progress.data.speed")

    prog = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(),
                    TextColumn("eta"), TimeRemainingColumn(), TextColumn("elapsed"), TimeElapsedColumn(),
                    TextColumn("{task.fields[failed]}"), console=Console(stderr=True), transient=False)
    with prog:
        tid = prog.add_task(label, total=total, completed=done, failed="")
        yield (prog, tid)


def _as_store(store: Store | str | os.PathLike[str]) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return Store(store, hold=False), True


def _all_failed(st: Store, experiment_id: str, counts: Mapping[str, int]) -> RunsFailedError:
    first = st.first_error(experiment_id)
    run_id, error = first if first else ("?", "")
    return RunsFailedError(
        f"experiment {experiment_id}: all {counts.get('failed', 0)} runs failed, so there is nothing to analyse. "
        f"The first failure (run {run_id}):\n{error.rstrip()}\n"
        "Fix the cause and run the same command again: failed runs are run again (or: govsim resume "
        f"{experiment_id} --store {st.path}).")


def _execute(st: Store, experiment_id: str, spec: Mapping[str, Any], *, function: Callable[..., Any] | None,
             executor: Any, workers: int | None, progress: bool, executor_options: Mapping[str, Any],
             keep_failed: bool = False, batch: bool = False) -> dict[str, int]:
    """Run the planned runs of ``spec`` not yet committed to ``experiment_id``.

    ``executor`` is a name or an executor made by :func:`experiments.executors.make_executor`
    (kept open by the caller across several calls). ``batch``: ``spec`` plans only a part of
    the experiment's runs (:func:`run_batch`): the counts returned are the batch's, and the
    experiment's status and planned runs are left to the caller."""
    ok_ids = st.done_run_ids(experiment_id, status="ok")
    failed_ids = st.done_run_ids(experiment_id, status="failed")
    if batch:
        mine = {t["run_id"] for t in plan_tasks(spec)}
        ok_ids, failed_ids = ok_ids & mine, failed_ids & mine
    skip = ok_ids | failed_ids if keep_failed else ok_ids
    retried = set() if keep_failed else failed_ids
    total = planned_count(spec)
    if len(skip) >= total:  # every run is committed: no workers to start
        executor = "inprocess"
    if isinstance(executor, str):
        ex = make_executor(executor, workers, **dict(executor_options) if executor != "inprocess" else {})
    else:
        ex = executor
    exp = st.experiment(experiment_id)
    manifest = dict(exp["manifest"]) if exp else {}
    session = {"started": now_utc().isoformat(), "executor": ex.describe(), "skipped_committed": len(skip),
               "retried_failed": len(retried)}
    manifest.setdefault("sessions", []).append(session)
    manifest["executor"] = ex.describe()
    st.update_manifest(experiment_id, manifest, status="running")
    tasks = (dict(t, replaces_failed=True) if t["run_id"] in retried else t for t in plan_tasks(spec, skip=skip))
    guard = _Interrupts()
    with _progress(progress, total, len(skip), spec["name"]) as bar:
        def say(msg: str) -> None:
            if bar is not None:
                bar[0].console.print(msg)
            else:
                print(msg, file=sys.stderr)

        writer = _Writer(st, experiment_id, guard, say)
        guard.install()
        runs = None
        try:
            runs = ex.run(tasks, target=spec["target"], function=function)
            for payload in runs:
                writer.add(payload)
                if bar is not None and payload is not None:
                    prog, tid = bar
                    prog.update(tid, advance=1, failed=f"[red]{writer.failed} failed" if writer.failed else "")
            with guard.critical():
                runs.close()
            writer.flush()
        except KeyboardInterrupt as err:
            intr = err if isinstance(err, BatchInterrupted) else BatchInterrupted(signal.SIGINT)
            with guard.critical(deliver=False):  # a second Ctrl-C must not cut the commit short
                if runs is not None:
                    runs.close()  # stop the workers; their unfinished runs are run on resume
                committed = writer.flush(patience=INTERRUPT_COMMIT_SECONDS)
                counts = st.run_counts(experiment_id)
                session.update(finished=now_utc().isoformat(), runs_ok=writer.ok, runs_failed=writer.failed,
                               interrupted=intr.signal_name)
                try:
                    st.update_manifest(experiment_id, manifest, status="running")
                except StoreBusyError:
                    pass
            lost = "" if committed else f" ({len(writer.buffer)} finished runs could not be committed)"
            raise intr.fill(experiment_id=experiment_id, store=st.path, committed=sum(counts.values()),
                            planned=total, lost=lost) from None
        finally:
            guard.restore()
    counts = st.run_counts(experiment_id)
    session.update(finished=now_utc().isoformat(), runs_ok=writer.ok, runs_failed=writer.failed)
    if batch:
        mine = {t["run_id"] for t in plan_tasks(spec)}
        ok = len(st.done_run_ids(experiment_id, status="ok") & mine)
        mine_counts = {"ok": ok, "failed": len(st.done_run_ids(experiment_id, status="failed") & mine)}
        manifest.update(runs_ok=counts.get("ok", 0), runs_failed=counts.get("failed", 0))
        st.update_manifest(experiment_id, manifest, status="running")
        if not ok:
            raise _all_failed(st, experiment_id, mine_counts)
        return mine_counts
    complete = sum(counts.values()) >= total
    manifest.update(finished=now_utc().isoformat(), runs_ok=counts.get("ok", 0), runs_failed=counts.get("failed", 0),
                    planned_runs=total)
    st.update_manifest(experiment_id, manifest, status="done" if complete else "running")
    if complete and not counts.get("ok"):
        raise _all_failed(st, experiment_id, counts)
    return counts


def _start(store: Store | str | os.PathLike[str], *, name: str, kind: str, spec: dict[str, Any],
           function: Callable[..., Any] | None, scenarios_meta: Sequence[Mapping[str, Any]],
           design_rows: Sequence[tuple], extra_manifest: Mapping[str, Any], executor: str, workers: int | None,
           progress: bool, new: bool, executor_options: Mapping[str, Any], keep_failed: bool) -> str:
    code_sha = code_fingerprint(spec["target"], function)
    exp_id = experiment_id_for(name, spec, code_sha)
    if new:
        exp_id = f"{exp_id}-{now_utc().strftime('%Y%m%dT%H%M%S%f')}"
    st, owned = _as_store(store)
    try:
        existing = st.experiment(exp_id)
        if existing is None:
            manifest = {
                "versions": _versions(), "git": _git_info(), "code_sha256": code_sha, "target": spec["target"],
                "seed_tree": _seeds.seed_tree(spec["seed"], spec["replicates"],
                                              n_points=len(spec["design"]["rows"]) if spec.get("design") else None,
                                              crn=spec.get("crn", True)),
                "planned_runs": planned_count(spec), "started": now_utc().isoformat(),
                "host": platform.node(), **dict(extra_manifest),
            }
            st.create_experiment(experiment_id=exp_id, name=name, kind=kind, target=spec["target"],
                                 seed=spec["seed"], horizon=spec["horizon"], spec=spec, manifest=manifest,
                                 scenarios=scenarios_meta, design_rows=design_rows,
                                 outputs=output_metadata(function if function is not None
                                                         else load_target(spec["target"])))
        else:
            counts = st.run_counts(exp_id)
            complete = sum(counts.values()) >= planned_count(spec)
            if existing["status"] == "done" and complete and (keep_failed or not counts.get("failed")):
                if not counts.get("ok"):
                    raise _all_failed(st, exp_id, counts)
                return exp_id  # the same experiment is complete: nothing to do
        _execute(st, exp_id, spec, function=function, executor=executor, workers=workers, progress=progress,
                 executor_options=executor_options, keep_failed=keep_failed)
    finally:
        if owned:
            st.close()
    return exp_id


def _common_spec(*, name: str, kind: str, target: str, seed: int, horizon: int, replicates: int,
                 timeseries_every: int, spec_extra: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip():
        raise ExperimentError("an experiment needs a non-empty name")
    return {"name": name, "kind": kind, "target": target, "seed": _check_int("seed", seed, 0),
            "horizon": _check_int("horizon", horizon, 1), "replicates": _check_int("replicates", replicates, 1),
            "timeseries_every": _check_int("timeseries_every", timeseries_every, 0),
            "extra": json.loads(dumps(spec_extra or {}))}


def _check_schedule_horizon(schedule: Sequence[Sequence[Any]], horizon: int, whose: str) -> None:
    late = [c for c in schedule if int(c[0]) > horizon]
    if late:
        month, name = int(late[0][0]), late[0][1]
        raise ExperimentError(
            f"{whose} changes {name!r} at month {month}, after the horizon of {horizon} months, so the change "
            f"would never take effect; run at least {max(int(c[0]) for c in late)} months (horizon / --horizon) "
            "or drop the change")


def _executor_options(executor: str, scheduler: str | None, max_attempts: int) -> dict[str, Any]:
    if executor == "dask":
        return {"scheduler": scheduler, "max_attempts": max_attempts}
    return {"max_attempts": max_attempts}


# ---------------------------------------------------------------------------- public API
def run_design(store: Store | str | os.PathLike[str], *, name: str, design: Any, base_params: Mapping[str, Any] | None = None,
               schedule: Iterable[Any] = (), replicates: int = 1, seed: int, horizon: int = 120,
               target: Target = DEFAULT_TARGET, executor: str = "processes", workers: int | None = None,
               kind: str = "design", timeseries_every: int = 1, progress: bool = True,
               spec_extra: Mapping[str, Any] | None = None, crn: bool = True, scenario: str | None = None,
               scheduler: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS, new: bool = False,
               keep_failed: bool = False) -> str:
    """Run every row of ``design`` (a DataFrame: one column per parameter) × ``replicates``.

    Each design point's parameters are ``base_params`` updated by its row; ``schedule`` applies
    to all points. Seeds: see :mod:`experiments.seeds` (``crn=True``: replicate ``r`` of
    every point shares a seed). ``target`` is ``"module:function"`` or a callable with the
    signature of ``model.run.simulate``. Returns the experiment id; an identical experiment
    already in the store is resumed (or returned at once if complete; its failed runs are
    run again unless ``keep_failed``) unless ``new=True``.
    """
    import pandas as pd

    target, function = normalise_target(target)  # fail early, in the parent, on a bad target
    if not isinstance(design, pd.DataFrame):
        raise ExperimentError(f"design must be a pandas DataFrame, got {type(design).__name__}")
    if design.empty or not len(design.columns):
        raise ExperimentError("the design has no rows or no columns")
    spec = _common_spec(name=name, kind=kind, target=target, seed=seed, horizon=horizon, replicates=replicates,
                        timeseries_every=timeseries_every, spec_extra=spec_extra)
    cols = [str(c) for c in design.columns]
    if len(set(cols)) != len(cols):
        raise ExperimentError(f"design columns repeat a name: {cols}")
    rows = []
    for i, rec in enumerate(design.itertuples(index=False, name=None)):
        where = f"design row {i}"
        rows.append([_design_value(c, v, target, where) for c, v in zip(cols, rec, strict=True)])
    spec.update(design={"columns": cols, "rows": rows},
                base_params=_validate_params(base_params or {}, target, "base_params"),
                schedule=_validate_schedule(schedule, target, "base "), crn=bool(crn), scenario=scenario)
    _check_schedule_horizon(spec["schedule"], spec["horizon"], f"the schedule of {name!r}")
    meta = [{"name": scenario, "params": spec["base_params"], "schedule": spec["schedule"]}] if scenario else []
    return _start(store, name=name, kind=kind, spec=spec, function=function, scenarios_meta=meta,
                  design_rows=_design_rows_for_store(cols, rows, target),
                  extra_manifest={"design": {"n_points": len(rows), "factors": cols, "crn": bool(crn)}},
                  executor=executor, workers=workers, progress=progress, new=new,
                  executor_options=_executor_options(executor, scheduler, max_attempts), keep_failed=keep_failed)


def run_futures(store: Store | str | os.PathLike[str], *, name: str, futures: Any, reforms: Sequence[Any],
                base_params: Mapping[str, Any] | None = None, replicates: int = 1, seed: int, horizon: int = 120,
                target: Target = DEFAULT_TARGET, executor: str = "processes", workers: int | None = None,
                kind: str = "robustness", timeseries_every: int = 1, progress: bool = True,
                spec_extra: Mapping[str, Any] | None = None, seed_scope: str = "future",
                scheduler: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS, new: bool = False,
                keep_failed: bool = False) -> str:
    """Run every reform in every future × ``replicates``, with common random numbers across reforms.

    ``futures`` is a DataFrame with one row per future (columns = parameter names, e.g. from an
    :mod:`experiments.futures` provider); ``reforms`` are :class:`experiments.scenarios.Scenario`
    objects or mappings with ``name``, ``params`` and ``schedule``. Run ``(reform, f, r)``
    gets the parameters ``base_params`` ← the reform's ``params`` ← future ``f``'s values, the
    reform's schedule, and the seed of future ``f``, replicate ``r`` (:func:`future_seeds`), the
    same for every reform. In the store a run's ``scenario`` is the reform and its
    ``design_point`` the future; the ``design`` table holds the futures.

    A reform or ``base_params`` that sets or schedules a parameter the futures vary is refused:
    the future's value would be overridden for that reform only, and the comparison would no
    longer be like for like. ``target`` is ``"module:function"`` or a callable with the
    signature of ``model.run.simulate``. Returns the experiment id; an identical experiment
    already in the store is resumed (or returned at once if complete; its failed runs are run
    again unless ``keep_failed``) unless ``new=True``.
    """
    import pandas as pd

    target, function = normalise_target(target)  # fail early, in the parent, on a bad target
    if not isinstance(futures, pd.DataFrame):
        raise ExperimentError(f"futures must be a pandas DataFrame, got {type(futures).__name__}")
    if futures.empty or not len(futures.columns):
        raise ExperimentError("the futures ensemble has no rows or no columns")
    if not reforms:
        raise ExperimentError("no reforms given")
    if seed_scope not in SEED_SCOPES:
        raise ExperimentError(f"seed scope {seed_scope!r} is not one of {list(SEED_SCOPES)}")
    spec = _common_spec(name=name, kind=kind, target=target, seed=seed, horizon=horizon, replicates=replicates,
                        timeseries_every=timeseries_every, spec_extra=spec_extra)
    cols = [str(c) for c in futures.columns]
    if len(set(cols)) != len(cols):
        raise ExperimentError(f"futures columns repeat a name: {cols}")
    rows = []
    for i, rec in enumerate(futures.itertuples(index=False, name=None)):
        rows.append([_design_value(c, v, target, f"future {i}") for c, v in zip(cols, rec, strict=True)])
    base = _validate_params(base_params or {}, target, "base_params")
    varied = set(cols)
    clash = sorted(varied & set(base))
    if clash:
        raise ExperimentError(f"base parameter(s) {clash} are also varied by the futures; set them in one place only")
    resolved, meta, seen = [], [], set()
    for ref in reforms:
        if isinstance(ref, Mapping):
            rname, rparams, rsched = ref.get("name"), ref.get("params") or {}, ref.get("schedule") or []
            info = {"title": ref.get("title", ""), "description": ref.get("description", ""),
                    "source_file": ref.get("source_file"), "sha256": ref.get("sha256")}
        else:
            rname, rparams, rsched = ref.name, ref.params, ref.schedule
            info = {"title": ref.title, "description": ref.description, "source_file": ref.source_file,
                    "sha256": ref.sha256}
        if not isinstance(rname, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_+.-]*", rname):
            raise ExperimentError(f"reform name {rname!r} is not usable; letters, digits, '_', '-', '+' and '.'")
        if rname in seen:
            raise ExperimentError(f"reform {rname!r} given twice")
        seen.add(rname)
        params = _validate_params(rparams, target, rname)
        schedule = _validate_schedule(rsched, target, f"{rname} ")
        touched = sorted(varied & (set(params) | {c[1] for c in schedule}))
        if touched:
            raise ExperimentError(f"reform {rname!r} sets or schedules {touched}, which the futures vary; drop them "
                                  "from the futures (e.g. --exclude) or from the reform")
        _check_schedule_horizon(schedule, spec["horizon"], f"reform {rname!r}")
        resolved.append({"name": rname, "params": params, "schedule": schedule})
        meta.append({"name": rname, **info, "params": params, "schedule": schedule})
    spec.update(futures={"columns": cols, "rows": rows}, reforms=resolved, base_params=base, crn=True,
                seed_scope=seed_scope)
    tree = _seeds.seed_tree(seed, replicates, n_points=len(rows), crn=seed_scope == "shared")
    tree["rule"] = ("SeedSequence(seed).spawn(n_futures)[f].spawn(replicates)[r] -> run seed of future f, "
                    "replicate r; shared by every reform (CRN)" if seed_scope == "future" else
                    "SeedSequence(seed).spawn(replicates)[r] -> run seed; shared by every reform and future (CRN)")
    return _start(store, name=name, kind=kind, spec=spec, function=function, scenarios_meta=meta,
                  design_rows=_design_rows_for_store(cols, rows, target),
                  extra_manifest={"design": {"n_points": len(rows), "factors": cols, "crn": True},
                                  "futures": {"n_futures": len(rows), "factors": cols,
                                              "reforms": [r["name"] for r in resolved], "seed_scope": seed_scope},
                                  "seed_tree": tree},
                  executor=executor, workers=workers, progress=progress, new=new,
                  executor_options=_executor_options(executor, scheduler, max_attempts), keep_failed=keep_failed)


def run_batch(store: Store | str | os.PathLike[str], experiment_id: str, *, prefix: str, futures: Any,
              reforms: Sequence[Mapping[str, Any]], offset: int = 0, replicates: int = 1, seed: int, horizon: int,
              target: Target = DEFAULT_TARGET, executor: Any = "processes", workers: int | None = None,
              progress: bool = True, label: str | None = None, scheduler: str | None = None,
              max_attempts: int = DEFAULT_MAX_ATTEMPTS, keep_failed: bool = False,
              timeseries_every: int = 0) -> dict[str, int]:
    """Run a batch of futures × reforms *inside* the existing experiment ``experiment_id``.

    For experiments that plan their runs as they go (a calibration: each generation's
    proposals depend on the last): the rows of ``futures`` are points ``offset …`` of a longer
    sequence; run ``(reform, point, r)`` gets the id ``<prefix><reform>-f<point>-r<r>`` and
    the seed of that point and replicate under ``seed`` (:func:`future_seeds` with
    ``offset``), so a point's runs and seeds do not depend on how the sequence is cut into
    batches. Committed runs are skipped (a batch run again after ``kill -9`` finishes where it
    stopped; its failed runs are run again unless ``keep_failed``). ``reforms`` are mappings
    with ``name``, ``params`` and ``schedule``; ``executor`` a name or an open executor
    (:func:`experiments.executors.make_executor`). Returns the batch's run counts by status.
    """
    import pandas as pd

    target, function = normalise_target(target)
    if not isinstance(futures, pd.DataFrame) or futures.empty:
        raise ExperimentError("a batch needs a non-empty DataFrame of futures")
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*", prefix):
        raise ExperimentError(f"batch prefix {prefix!r} is not usable; letters, digits, '_', '-', '+' and '.'")
    spec = _common_spec(name=label or prefix, kind="batch", target=target, seed=seed, horizon=horizon,
                        replicates=replicates, timeseries_every=timeseries_every, spec_extra=None)
    cols = [str(c) for c in futures.columns]
    rows = [[_design_value(c, v, target, f"future {offset + i}") for c, v in zip(cols, rec, strict=True)]
            for i, rec in enumerate(futures.itertuples(index=False, name=None))]
    resolved = [{"name": str(r["name"]), "params": _validate_params(r.get("params") or {}, target, str(r["name"])),
                 "schedule": _validate_schedule(r.get("schedule") or [], target, f"{r['name']} ")} for r in reforms]
    spec.update(futures={"columns": cols, "rows": rows}, reforms=resolved, base_params={}, crn=True,
                seed_scope="future", run_prefix=prefix, point_offset=_check_int("offset", offset, 0))
    st, owned = _as_store(store)
    try:
        if st.experiment(experiment_id) is None:
            raise ExperimentError(f"no experiment {experiment_id!r} in {st.path} to add a batch to")
        return _execute(st, experiment_id, spec, function=function, executor=executor, workers=workers,
                        progress=progress, executor_options=_executor_options(
                            executor if isinstance(executor, str) else "", scheduler, max_attempts),
                        keep_failed=keep_failed, batch=True)
    finally:
        if owned:
            st.close()


def run_scenarios(store: Store | str | os.PathLike[str], scenarios: Sequence[Any], *, name: str | None = None,
                  replicates: int | None = None, seed: int | None = None, horizon: int | None = None,
                  target: Target = DEFAULT_TARGET, executor: str = "processes", workers: int | None = None,
                  kind: str | None = None, timeseries_every: int = 1, progress: bool = True,
                  spec_extra: Mapping[str, Any] | None = None, scheduler: str | None = None,
                  max_attempts: int = DEFAULT_MAX_ATTEMPTS, new: bool = False,
                  scenario_dir: str | os.PathLike[str] | None = None, snapshots: bool | None = None,
                  keep_failed: bool = False, posterior: str | None = None, draws: int | None = None,
                  replicates_per_draw: int | None = None) -> str:
    """Run scenarios × replicates on common random numbers (replicate ``r`` shares its seed).

    ``scenarios`` are :class:`experiments.scenarios.Scenario` objects, scenario names (file
    stems in ``scenario_dir``, default ``scenarios/``) or paths to TOML files. ``replicates``,
    ``seed`` and ``horizon`` default to the scenarios' own values, which must then agree; a
    horizon that ends before a scheduled change is refused. ``target`` is
    ``"module:function"`` or a callable with the signature of ``model.run.simulate``.
    ``snapshots`` (default: only for the model target) stores the final network of replicate 0
    of each scenario (``network_snapshot``/``network_edges``); the target must then accept
    ``snapshot=True`` and return it as ``.network``. Failed runs of an earlier attempt at the
    same experiment are run again unless ``keep_failed``.

    ``posterior`` (default: the scenarios' own ``posterior``, which must then agree) names a
    calibrated posterior in ``store``: ``draws`` parameter sets (default 100) are resampled from
    it, seeded by the experiment's seed, and replicate ``r`` runs draw ``r // replicates_per_draw``
    (default 2) with seed ``r`` in every scenario — so the replicates are ``draws ×
    replicates_per_draw``, parameter uncertainty and noise both enter each scenario, and every
    paired difference compares scenarios under the same parameters and the same random numbers.
    A scenario that sets a drawn parameter in its ``params`` is refused (its schedule may change it).
    """
    from .scenarios import Scenario, load_many

    target, function = normalise_target(target)
    if not scenarios:
        raise ExperimentError("no scenarios given")
    loaded = [s if isinstance(s, Scenario) else None for s in scenarios]
    if any(s is None for s in loaded):
        names = [s for s in scenarios if not isinstance(s, Scenario)]
        it = iter(load_many(names, directory=scenario_dir))
        loaded = [s if s is not None else next(it) for s in loaded]
    seen: set[str] = set()
    for s in loaded:
        if s.name in seen:
            raise ExperimentError(f"scenario {s.name!r} given twice")
        seen.add(s.name)

    def agreed(attr: str, given: Any) -> Any:
        if given is not None:
            return given
        values = {getattr(s, attr) for s in loaded}
        if len(values) > 1:
            raise ExperimentError(f"the scenarios disagree on {attr} ({sorted(values, key=str)}); pass {attr}= "
                                  "explicitly")
        return values.pop()

    kind = kind or ("batch" if len(loaded) == 1 else "compare")
    name = name or (loaded[0].name if len(loaded) == 1 else "compare")
    posterior = agreed("posterior", posterior)
    if posterior is None and (draws is not None or replicates_per_draw is not None):
        raise ExperimentError("draws and replicates per draw need a posterior (posterior= or --posterior)")
    per_draw = 1
    if posterior is not None:
        if replicates is not None:
            raise ExperimentError("with a posterior the replicates are draws × replicates per draw; give those "
                                  "(--draws, --replicates-per-draw) instead of replicates")
        n_draws = _check_int("draws", DEFAULT_DRAWS if draws is None else draws, 1)
        per_draw = _check_int("replicates per draw", DEFAULT_REPLICATES_PER_DRAW if replicates_per_draw is None
                              else replicates_per_draw, 1)
        replicates = n_draws * per_draw
    spec = _common_spec(name=name, kind=kind, target=target, seed=agreed("seed", seed),
                        horizon=agreed("horizon", horizon), replicates=agreed("replicates", replicates),
                        timeseries_every=timeseries_every, spec_extra=spec_extra)
    spec["scenarios"] = [{"name": s.name, "params": _validate_params(s.params, target, s.name),
                          "schedule": _validate_schedule(s.schedule, target, f"{s.name} ")} for s in loaded]
    extra_manifest: dict[str, Any] = {}
    if posterior is not None:
        from .calibration import draw_posterior

        path = store.path if isinstance(store, Store) else str(store)
        frame, source = draw_posterior(path, posterior, n=spec["replicates"] // per_draw,
                                       seed=_seeds.stream_seed(spec["seed"], DRAW_STREAM))
        cols = [str(c) for c in frame.columns]
        for sc in spec["scenarios"]:
            clash = sorted(set(cols) & set(sc["params"]))
            if clash:
                raise ExperimentError(f"scenario {sc['name']!r} sets {clash} in its params, which the posterior "
                                      f"{posterior!r} draws; drop them from the scenario (a scheduled change is fine)")
        spec["draws"] = {"columns": cols, "rows": [[float(v) for v in row] for row in frame.itertuples(index=False)],
                         "per_draw": per_draw, "source": source}
        extra_manifest["posterior"] = {k: v for k, v in source.items() if k != "particles"}
    for s, sc in zip(loaded, spec["scenarios"]):
        _check_schedule_horizon(sc["schedule"], spec["horizon"], f"scenario {s.name!r} ({s.source_file or 'given'})")
    spec["crn"] = True
    # the model's final network of community 0, for the first replicate of each scenario
    spec["snapshot_replicates"] = [0] if (snapshots if snapshots is not None else _is_model_target(target)) else []
    meta = [{"name": s.name, "title": s.title, "description": s.description, "source_file": s.source_file,
             "sha256": s.sha256, "params": s.params, "schedule": s.schedule} for s in loaded]
    files = {s.name: {"file": s.source_file, "sha256": s.sha256, "extends_chain": list(s.chain)} for s in loaded}
    return _start(store, name=name, kind=kind, spec=spec, function=function, scenarios_meta=meta, design_rows=(),
                  extra_manifest={"scenario_files": files, "design": None, **extra_manifest},
                  executor=executor, workers=workers, progress=progress, new=new,
                  executor_options=_executor_options(executor, scheduler, max_attempts), keep_failed=keep_failed)


def resume(store: Store | str | os.PathLike[str], experiment_id: str, *, executor: str = "processes",
           workers: int | None = None, progress: bool = True, scheduler: str | None = None,
           max_attempts: int = DEFAULT_MAX_ATTEMPTS, allow_code_change: bool = False, keep_failed: bool = False,
           target: Callable[..., Any] | None = None) -> str:
    """Run the runs of ``experiment_id`` (or of the one experiment whose id starts with it)
    that are not yet in the store, and the failed ones again unless ``keep_failed``;
    returns the full id. An experiment whose target was a callable from a script or
    notebook needs that callable again as ``target``.
    """
    if not isinstance(store, Store) and not Path(store).exists():
        raise ExperimentError(f"no results store at {store}, so no experiment {experiment_id!r} to resume")
    st, owned = _as_store(store)
    try:
        try:
            experiment_id = st.resolve(experiment_id)
        except StoreError as err:
            hint = "" if st.experiments() else " (if the batch was killed before it began, re-run the original command)"
            raise ExperimentError(f"{err}{hint}") from None
        exp = st.experiment(experiment_id)
        spec = exp["spec"]
        if exp["kind"] in ("calibration", "sbc"):  # runs planned generation by generation: continue the inference
            if owned:
                st.close()
                owned = False
            if exp["kind"] == "sbc":
                from .sbc import resume_sbc as again
            else:
                from .calibration import resume_calibration as again
            return again(str(st.path), experiment_id, executor=executor, workers=workers, scheduler=scheduler,
                         max_attempts=max_attempts, progress=progress, keep_failed=keep_failed)
        function = None
        if spec["target"].startswith(PYTHON_PREFIX):
            if target is None:
                raise ExperimentError(
                    f"experiment {experiment_id} ran the Python callable {spec['target'][len(PYTHON_PREFIX):]}, "
                    "which cannot be imported by name; resume it from Python with resume(store, id, target=<that "
                    "function>), or run the original call again (it resumes the same experiment)")
            name, function = normalise_target(target)
            if function is None:  # importable after all: ship it like any other callable
                function = target
        elif target is not None:
            raise ExperimentError(f"experiment {experiment_id} runs {spec['target']}; target= is only for "
                                  "experiments of a Python callable")
        code_sha = code_fingerprint(spec["target"], function)
        if not allow_code_change and exp["manifest"].get("code_sha256") not in (None, code_sha):
            raise ExperimentError(f"the code of {spec['target']} changed since {experiment_id} started; "
                                  "its results would mix model versions (start a new experiment instead)")
        _execute(st, experiment_id, spec, function=function, executor=executor, workers=workers, progress=progress,
                 executor_options=_executor_options(executor, scheduler, max_attempts), keep_failed=keep_failed)
    finally:
        if owned:
            st.close()
    return experiment_id
