"""What a worker does with one planned run: import the target, call it, package the result.

Runs in any executor (in-process, a local process, a Dask worker). Never raises for a
failure of the target: the payload then has ``status = "failed"`` and the traceback.
Tasks flagged ``snapshot`` call the target with ``snapshot=True`` and keep its ``network``
(node and edge tables, see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import importlib
import math
import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["DEFAULT_TARGET", "TargetError", "load_target", "output_metadata", "run_task", "failed_payload"]

DEFAULT_TARGET = "model.run:simulate"


class TargetError(ValueError):
    """The target import path does not name an importable callable."""


def load_target(path: str) -> Callable[..., Any]:
    """Import ``"module:function"`` and return the callable."""
    if not isinstance(path, str) or path.count(":") != 1:
        raise TargetError(f"target {path!r} must look like 'module:function' (e.g. {DEFAULT_TARGET!r})")
    mod_name, fn_name = path.split(":")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as err:
        raise TargetError(f"target {path!r}: cannot import module {mod_name!r} ({err})") from err
    fn = getattr(mod, fn_name, None)
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


def run_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Run one planned run; returns its payload (never raises for a failing target)."""
    started = time.time()
    t0 = time.perf_counter()
    attempts = int(task.get("attempts", 0)) + 1
    try:
        fn = load_target(task["target"])
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
