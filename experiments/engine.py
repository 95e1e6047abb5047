"""The experiment engine: plan runs, seed them, execute them, stream them into the store.

An *experiment* is a set of runs planned from a JSON-able ``spec`` (scenarios or a design
matrix, replicates, seed, horizon, target). Its id is ``<name>-<hash>`` of the spec and of the
target's source code, and every ``run_id`` is fixed by the plan, so:

* running the same experiment again resumes it (or does nothing if it is complete);
* :func:`resume` after ``kill -9`` runs exactly the runs not yet committed.

Public entry points: :func:`run_scenarios`, :func:`run_design`, :func:`resume`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import platform
import re
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from . import seeds as _seeds
from .executors import DEFAULT_MAX_ATTEMPTS, make_executor
from .store import Store, dumps, now_utc, open_store
from .worker import DEFAULT_TARGET, TargetError, load_target, output_metadata

__all__ = ["ExperimentError", "run_design", "run_scenarios", "resume", "plan_tasks", "design_from_csv"]

FLUSH_SECONDS = 1.0
MODEL_TARGET = DEFAULT_TARGET
_REPO = Path(__file__).resolve().parent.parent


class ExperimentError(ValueError):
    """An experiment that cannot be planned or resumed as asked (a user error)."""


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


def code_fingerprint(target: str) -> str:
    """sha256 of the target package's Python sources: results from other code get a new id."""
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
    if spec.get("design") is not None:
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
        for r in range(reps):  # replicate-major: every scenario advances together
            for sc in spec["scenarios"]:
                run_id = f"{sc['name']}-r{r:04d}"
                if run_id in skip:
                    continue
                task = {**common, "run_id": run_id, "scenario": sc["name"], "design_point": None,
                        "replicate": r, "seed": rep_seeds[r], "params": sc["params"], "schedule": sc["schedule"]}
                if r in snap:
                    task["snapshot"] = True
                yield task


def planned_count(spec: Mapping[str, Any]) -> int:
    n = len(spec["design"]["rows"]) if spec.get("design") is not None else len(spec["scenarios"])
    return n * spec["replicates"]


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
class _Writer:
    """Buffers finished runs and commits them together, at least every ``FLUSH_SECONDS``."""

    def __init__(self, store: Store, experiment_id: str, interval: float = FLUSH_SECONDS) -> None:
        self.store, self.experiment_id, self.interval = store, experiment_id, interval
        self.buffer: list[dict[str, Any]] = []
        self.last = time.monotonic()
        self.ok = self.failed = 0

    def add(self, payload: dict[str, Any] | None) -> None:
        if payload is not None:
            self.buffer.append(payload)
            if payload["status"] == "ok":
                self.ok += 1
            else:
                self.failed += 1
        if self.buffer and time.monotonic() - self.last >= self.interval:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.store.write_runs(self.experiment_id, self.buffer)
            self.buffer = []
        self.last = time.monotonic()


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
    return open_store(store), True


def _execute(store: Store, experiment_id: str, spec: Mapping[str, Any], *, executor: str, workers: int | None,
             progress: bool, executor_options: Mapping[str, Any]) -> dict[str, int]:
    done = store.done_run_ids(experiment_id)
    total = planned_count(spec)
    if len(done) >= total:  # every run is committed: no workers to start
        executor = "inprocess"
    ex = make_executor(executor, workers, **dict(executor_options) if executor != "inprocess" else {})
    exp = store.experiment(experiment_id)
    manifest = dict(exp["manifest"]) if exp else {}
    session = {"started": now_utc().isoformat(), "executor": ex.describe(), "skipped_committed": len(done)}
    manifest.setdefault("sessions", []).append(session)
    manifest["executor"] = ex.describe()
    store.update_manifest(experiment_id, manifest, status="running")
    writer = _Writer(store, experiment_id)
    with _progress(progress, total, len(done), spec["name"]) as bar:
        try:
            for payload in ex.run(plan_tasks(spec, skip=done), target=spec["target"]):
                writer.add(payload)
                if bar is not None and payload is not None:
                    prog, tid = bar
                    prog.update(tid, advance=1, failed=f"[red]{writer.failed} failed" if writer.failed else "")
        except KeyboardInterrupt:
            writer.flush()  # keep the runs that did finish; resume does the rest
            raise
        writer.flush()
    counts = store.run_counts(experiment_id)
    complete = sum(counts.values()) >= total
    session.update(finished=now_utc().isoformat(), runs_ok=writer.ok, runs_failed=writer.failed)
    manifest.update(finished=now_utc().isoformat(), runs_ok=counts.get("ok", 0), runs_failed=counts.get("failed", 0),
                    planned_runs=total)
    store.update_manifest(experiment_id, manifest, status="done" if complete else "running")
    return counts


def _start(store: Store | str | os.PathLike[str], *, name: str, kind: str, spec: dict[str, Any],
           scenarios_meta: Sequence[Mapping[str, Any]], design_rows: Sequence[tuple], extra_manifest: Mapping[str, Any],
           executor: str, workers: int | None, progress: bool, new: bool,
           executor_options: Mapping[str, Any]) -> str:
    code_sha = code_fingerprint(spec["target"])
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
                                 outputs=output_metadata(load_target(spec["target"])))
        elif existing["status"] == "done" and sum(st.run_counts(exp_id).values()) >= planned_count(spec):
            return exp_id  # the same experiment is complete: nothing to do
        _execute(st, exp_id, spec, executor=executor, workers=workers, progress=progress,
                 executor_options=executor_options)
    finally:
        if owned:
            st.close()
    return exp_id


def _common_spec(*, name: str, kind: str, target: str, seed: int, horizon: int, replicates: int,
                 timeseries_every: int, spec_extra: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip():
        raise ExperimentError("an experiment needs a non-empty name")
    load_target(target)  # fail early, in the parent, on a bad target
    return {"name": name, "kind": kind, "target": target, "seed": _check_int("seed", seed, 0),
            "horizon": _check_int("horizon", horizon, 1), "replicates": _check_int("replicates", replicates, 1),
            "timeseries_every": _check_int("timeseries_every", timeseries_every, 0),
            "extra": json.loads(dumps(spec_extra or {}))}


# ---------------------------------------------------------------------------- public API
def run_design(store: Store | str | os.PathLike[str], *, name: str, design: Any, base_params: Mapping[str, Any] | None = None,
               schedule: Iterable[Any] = (), replicates: int = 1, seed: int, horizon: int = 120,
               target: str = DEFAULT_TARGET, executor: str = "processes", workers: int | None = None,
               kind: str = "design", timeseries_every: int = 1, progress: bool = True,
               spec_extra: Mapping[str, Any] | None = None, crn: bool = True, scenario: str | None = None,
               scheduler: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS, new: bool = False) -> str:
    """Run every row of ``design`` (a DataFrame: one column per parameter) × ``replicates``.

    Each design point's parameters are ``base_params`` updated by its row; ``schedule`` applies
    to all points. Seeds: see :mod:`experiments.seeds` (``crn=True``: replicate ``r`` of
    every point shares a seed). Returns the experiment id; an identical experiment already
    in the store is resumed (or returned at once if complete) unless ``new=True``.
    """
    import pandas as pd

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
        rows.append([_design_value(c, v, target, where) for c, v in zip(cols, rec)])
    spec.update(design={"columns": cols, "rows": rows},
                base_params=_validate_params(base_params or {}, target, "base_params"),
                schedule=_validate_schedule(schedule, target, "base "), crn=bool(crn), scenario=scenario)
    meta = [{"name": scenario, "params": spec["base_params"], "schedule": spec["schedule"]}] if scenario else []
    return _start(store, name=name, kind=kind, spec=spec, scenarios_meta=meta,
                  design_rows=_design_rows_for_store(cols, rows, target),
                  extra_manifest={"design": {"n_points": len(rows), "factors": cols, "crn": bool(crn)}},
                  executor=executor, workers=workers, progress=progress, new=new,
                  executor_options={"scheduler": scheduler, "max_attempts": max_attempts} if executor == "dask"
                  else {"max_attempts": max_attempts})


def run_scenarios(store: Store | str | os.PathLike[str], scenarios: Sequence[Any], *, name: str | None = None,
                  replicates: int | None = None, seed: int | None = None, horizon: int | None = None,
                  target: str = DEFAULT_TARGET, executor: str = "processes", workers: int | None = None,
                  kind: str | None = None, timeseries_every: int = 1, progress: bool = True,
                  spec_extra: Mapping[str, Any] | None = None, scheduler: str | None = None,
                  max_attempts: int = DEFAULT_MAX_ATTEMPTS, new: bool = False,
                  scenario_dir: str | os.PathLike[str] | None = None, snapshots: bool | None = None) -> str:
    """Run scenarios × replicates on common random numbers (replicate ``r`` shares its seed).

    ``scenarios`` are :class:`experiments.scenarios.Scenario` objects, scenario names (file
    stems in ``scenario_dir``, default ``scenarios/``) or paths to TOML files. ``replicates``,
    ``seed`` and ``horizon`` default to the scenarios' own values, which must then agree.
    ``snapshots`` (default: only for the model target) stores the final network of replicate 0
    of each scenario (``network_snapshot``/``network_edges``); the target must then accept
    ``snapshot=True`` and return it as ``.network``.
    """
    from .scenarios import Scenario, load_many

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
            raise ExperimentError(f"the scenarios disagree on {attr} ({sorted(values)}); pass {attr}= explicitly")
        return values.pop()

    kind = kind or ("batch" if len(loaded) == 1 else "compare")
    name = name or (loaded[0].name if len(loaded) == 1 else "compare")
    spec = _common_spec(name=name, kind=kind, target=target, seed=agreed("seed", seed),
                        horizon=agreed("horizon", horizon), replicates=agreed("replicates", replicates),
                        timeseries_every=timeseries_every, spec_extra=spec_extra)
    spec["scenarios"] = [{"name": s.name, "params": _validate_params(s.params, target, s.name),
                          "schedule": _validate_schedule(s.schedule, target, f"{s.name} ")} for s in loaded]
    spec["crn"] = True
    # the model's final network of community 0, for the first replicate of each scenario
    spec["snapshot_replicates"] = [0] if (snapshots if snapshots is not None else _is_model_target(target)) else []
    meta = [{"name": s.name, "title": s.title, "description": s.description, "source_file": s.source_file,
             "sha256": s.sha256,
             "params": s.params, "schedule": s.schedule} for s in loaded]
    files = {s.name: {"file": s.source_file, "sha256": s.sha256, "extends_chain": list(s.chain)} for s in loaded}
    return _start(store, name=name, kind=kind, spec=spec, scenarios_meta=meta, design_rows=(),
                  extra_manifest={"scenario_files": files, "design": None},
                  executor=executor, workers=workers, progress=progress, new=new,
                  executor_options={"scheduler": scheduler, "max_attempts": max_attempts} if executor == "dask"
                  else {"max_attempts": max_attempts})


def resume(store: Store | str | os.PathLike[str], experiment_id: str, *, executor: str = "processes",
           workers: int | None = None, progress: bool = True, scheduler: str | None = None,
           max_attempts: int = DEFAULT_MAX_ATTEMPTS, allow_code_change: bool = False) -> str:
    """Run the runs of ``experiment_id`` that are not yet in the store; returns the id."""
    if not isinstance(store, Store) and not Path(store).exists():
        raise ExperimentError(f"no results store at {store}, so no experiment {experiment_id!r} to resume")
    st, owned = _as_store(store)
    try:
        exp = st.experiment(experiment_id)
        if exp is None:
            known = [e["experiment_id"] for e in st.experiments()]
            import difflib

            close = difflib.get_close_matches(experiment_id, known, n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else (
                "; re-run the original command (it resumes the same experiment)" if not known else "")
            raise ExperimentError(f"no experiment {experiment_id!r} in {st.path}{hint}")
        spec = exp["spec"]
        code_sha = code_fingerprint(spec["target"])
        if not allow_code_change and exp["manifest"].get("code_sha256") not in (None, code_sha):
            raise ExperimentError(f"the code of {spec['target']} changed since {experiment_id} started; "
                                  "its results would mix model versions (start a new experiment instead)")
        _execute(st, experiment_id, spec, executor=executor, workers=workers, progress=progress,
                 executor_options={"scheduler": scheduler, "max_attempts": max_attempts} if executor == "dask"
                 else {"max_attempts": max_attempts})
    finally:
        if owned:
            st.close()
    return experiment_id
