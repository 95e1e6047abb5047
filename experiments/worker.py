"""What a worker does with one planned run: find the target, call it, package the result.

Runs in any executor (in-process, a local process, a Dask worker). Never raises for a
failure of the target: the payload then has ``status = "failed"`` and the traceback.
Tasks flagged ``snapshot`` call the target with ``snapshot=True`` and keep its ``network``
(node and edge tables, see docs/ARCHITECTURE.md).

A target is an import path ``"module:function"`` or, from Python, a callable. A callable
that can be imported by name becomes its import path; any other (defined in a script, a
notebook cell, a closure) is shipped to the workers by value with ``cloudpickle``
(:func:`pack_function`) and its experiment is named ``"python:<module>:<name>"``.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from govsim.errors import GovsimError

__all__ = ["DEFAULT_TARGET", "PYTHON_PREFIX", "TargetError", "failed_payload", "load_target", "normalise_target",
           "output_metadata", "pack_function", "run_task", "unpack_function"]

DEFAULT_TARGET = "model.run:simulate"
PYTHON_PREFIX = "python:"  # experiments whose target is a callable shipped by value


class TargetError(GovsimError, ValueError):
    """The target is neither an importable ``"module:function"`` nor a usable callable."""


def load_target(path: str) -> Callable[..., Any]:
    """Import ``"module:function"`` (the function may be ``Class.method``) and return it."""
    if isinstance(path, str) and path.startswith(PYTHON_PREFIX):
        raise TargetError(f"target {path!r} is a Python callable from a script or notebook, not an import path; "
                          "pass the function itself (target=f) from Python, or give 'module:function' of a "
                          "module on the path")
    if not isinstance(path, str) or path.count(":") != 1 or not all(path.split(":")):
        raise TargetError(f"target {path!r} must look like 'module:function' (e.g. {DEFAULT_TARGET!r})")
    mod_name, fn_name = path.split(":")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as err:
        raise TargetError(f"target {path!r}: cannot import module {mod_name!r} ({err}); the module must be on "
                          "the Python path (the govsim command also looks in the current directory)") from err
    fn: Any = mod
    for part in fn_name.split("."):
        fn = getattr(fn, part, None)
    if not callable(fn):
        raise TargetError(f"target {path!r}: module {mod_name!r} has no callable {fn_name!r}")
    return fn


def output_metadata(fn: Callable[..., Any]) -> list[dict[str, Any]]:
    """The target's declared outputs (rows with at least ``name``), written into the store with
    the experiment, or ``[]`` when the target declares none. A target declares them as a
    zero-argument ``output_metadata`` attribute (``model.run.simulate`` does)."""
    declare = getattr(fn, "output_metadata", None)
    if declare is None:
        return []
    rows = [dict(r) for r in declare()]
    if any("name" not in r for r in rows):
        raise TargetError(f"{getattr(fn, '__qualname__', fn)!r}: every declared output needs a name")
    return rows


def _import_path_of(fn: Callable[..., Any]) -> str | None:
    """``"module:qualname"`` if importing it gives back ``fn`` itself, else None."""
    mod, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not mod or not qual or mod in ("__main__", "__mp_main__") or "<" in qual:
        return None
    path = f"{mod}:{qual}"
    try:
        return path if load_target(path) is fn else None
    except TargetError:
        return None


def normalise_target(target: str | Callable[..., Any]) -> tuple[str, Callable[..., Any] | None]:
    """``(name, function)``: an import path and ``None``, or ``"python:…"`` and the callable.

    A string is checked by importing it; a callable importable by name becomes that path
    (so the experiment can be resumed from the command line); any other callable is kept
    and shipped to workers by value.
    """
    if isinstance(target, str):
        load_target(target)
        return target, None
    if not callable(target):
        raise TargetError(f"target must be 'module:function' or a callable, got {type(target).__name__}")
    path = _import_path_of(target)
    if path is not None:
        return path, None
    mod = getattr(target, "__module__", None) or "?"
    name = getattr(target, "__qualname__", None) or type(target).__name__
    return f"{PYTHON_PREFIX}{mod}:{name}", target


def pack_function(fn: Callable[..., Any]) -> bytes:
    """The callable pickled by value (cloudpickle), for worker processes and Dask workers."""
    import pickle

    import cloudpickle

    try:
        return cloudpickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:  # noqa: BLE001 - any pickling failure means the same to the user
        raise TargetError(
            f"the target {getattr(fn, '__qualname__', fn)!r} cannot be sent to worker processes: cloudpickle "
            f"failed ({type(err).__name__}: {err}); it must not hold open files, connections or locks. Define it "
            "at module level in an importable module and pass 'module:function', or use executor='inprocess'"
        ) from err


_UNPACKED: dict[str, Callable[..., Any]] = {}


def unpack_function(blob: bytes) -> Callable[..., Any]:
    """The callable of :func:`pack_function` (unpickled once per process and blob)."""
    key = hashlib.sha256(blob).hexdigest()
    fn = _UNPACKED.get(key)
    if fn is None:
        import pickle

        fn = _UNPACKED[key] = pickle.loads(blob)
    return fn


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _to_float(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def package_result(res: Any, every: int) -> tuple[tuple | None, dict[str, float]]:
    """(timeseries triple or None, summary dict) from what the target returned.

    Accepted: an object or mapping with ``timeseries`` (dict of arrays incl. ``month``) and
    ``summary`` (dict of numbers); or a plain number (stored as the summary output ``y``).
    """
    if isinstance(res, (int, float, np.number)) and not isinstance(res, bool):
        return None, {"y": float(res)}
    if isinstance(res, Mapping):
        ts, summary = res.get("timeseries"), res.get("summary")
    else:
        ts, summary = getattr(res, "timeseries", None), getattr(res, "summary", None)
    summary = {str(k): _to_float(v) for k, v in (summary or {}).items()}
    if not ts or every <= 0:
        return None, summary
    cols = {k: np.asarray(v) for k, v in ts.items()}
    if "month" in cols:
        months = cols.pop("month").astype(np.int64)
    else:
        n = len(next(iter(cols.values()))) if cols else 0
        months = np.arange(n, dtype=np.int64)
    keep = (months % every == 0)
    if len(months):
        keep[-1] = True  # the final month is always kept
    names = list(cols)
    values = np.empty((len(names), int(keep.sum())), dtype=np.float64)
    for i, name in enumerate(names):
        values[i] = np.asarray(cols[name], dtype=np.float64)[keep]
    return (months[keep], names, values), summary


def failed_payload(task: Mapping[str, Any], error: str, *, attempts: int, started: float | None = None,
                   worker: str | None = None) -> dict[str, Any]:
    now = time.time()
    return {"task": dict(task), "status": "failed", "attempts": attempts, "started": started or now,
            "finished": now, "duration_s": (now - started) if started else 0.0, "worker": worker,
            "error": error, "timeseries": None, "summary": None}


def run_task(task: Mapping[str, Any], function: Callable[..., Any] | bytes | None = None) -> dict[str, Any]:
    """Run one planned run; returns its payload (never raises for a failing target).

    ``function`` is the target when it is not an import path: the callable, or its
    :func:`pack_function` bytes.
    """
    started = time.time()
    t0 = time.perf_counter()
    attempts = int(task.get("attempts", 0)) + 1
    try:
        if function is None:
            fn = load_target(task["target"])
        else:
            fn = unpack_function(function) if isinstance(function, bytes) else function
        extra = {"snapshot": True} if task.get("snapshot") else {}
        res = fn(task.get("params") or {}, seed=int(task["seed"]), horizon=int(task["horizon"]),
                 schedule=[tuple(c) for c in task.get("schedule") or ()], **extra)
        ts, summary = package_result(res, int(task.get("timeseries_every", 1)))
        network = getattr(res, "network", None) if task.get("snapshot") else None
    except Exception:  # the run failed; the batch goes on  # noqa: BLE001
        return failed_payload(task, traceback.format_exc(), attempts=attempts, started=started, worker=worker_name())
    return {"task": dict(task), "status": "ok", "attempts": attempts, "started": started,
            "finished": time.time(), "duration_s": time.perf_counter() - t0, "worker": worker_name(),
            "error": None, "timeseries": ts, "summary": summary, "network": network}
