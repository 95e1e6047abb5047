"""Executors: where planned runs are computed. One interface, three implementations.

``executor.run(tasks, target=...)`` takes an iterator of task dicts and yields one payload
per task, in completion order (and ``None`` now and then while it waits, so the caller can
commit). Only a small window of tasks is in flight, so memory stays flat. Worker processes
import the target's module before their first task. A task whose worker process dies is
retried up to ``max_attempts`` times, then yielded as failed.

``inprocess``  the calling process (debugging, tiny batches, notebooks)
``processes``  local worker processes started with an explicit ``forkserver`` (else
               ``spawn``) context; the global start method is never changed
``dask``       a Dask ``distributed`` cluster: a ``LocalCluster`` by default, or an existing
               scheduler (``scheduler="tcp://host:8786"``; e.g. one started by dask-jobqueue)
"""

from __future__ import annotations

import collections
import importlib
import multiprocessing as mp
import os
import signal
from collections.abc import Iterable, Iterator, Mapping
from multiprocessing.connection import wait
from typing import Any

from .worker import failed_payload, run_task

__all__ = ["EXECUTORS", "ExecutorError", "make_executor", "InProcessExecutor", "ProcessExecutor", "DaskExecutor"]

EXECUTORS = ("inprocess", "processes", "dask")
DEFAULT_MAX_ATTEMPTS = 3
HEARTBEAT_SECONDS = 0.5


class ExecutorError(RuntimeError):
    """An executor could not be started (bad option, unreachable scheduler)."""


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class InProcessExecutor:
    """Runs each task in the calling process, one after the other."""

    name = "inprocess"

    def __init__(self, workers: int | None = None, **_: Any) -> None:
        self.workers = 1

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": 1}

    def run(self, tasks: Iterable[Mapping[str, Any]], *, target: str | None = None) -> Iterator[dict[str, Any]]:
        for task in tasks:
            yield run_task(task)


def preload(target: str | None) -> None:
    """Import the target's module ahead of the first task (errors surface in the task instead)."""
    if target and ":" in target:
        try:
            importlib.import_module(target.split(":")[0])
        except Exception:  # noqa: BLE001 - reported by the first task that needs the module
            pass


def _process_main(conn: Any, target: str | None = None) -> None:
    """Worker process loop: receive a task, send back its payload; stop on None or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    preload(target)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            conn.send(run_task(task))
        except (BrokenPipeError, OSError):
            return


class _Slot:
    __slots__ = ("proc", "conn", "outstanding")

    def __init__(self, ctx: Any, target: str | None = None) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_process_main, args=(child, target), daemon=True, name="govsim-worker")
        self.proc.start()
        child.close()
        self.conn = parent
        self.outstanding: collections.deque[dict[str, Any]] = collections.deque()

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout)
        self.conn.close()


class ProcessExecutor:
    """Local worker processes, each fed its own tasks over a pipe.

    The parent knows which task each worker is running, so when a worker dies (killed,
    out of memory, segfault) exactly that task is retried on a fresh worker; tasks queued
    behind it are resubmitted without counting an attempt.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, *, start_method: str | None = None,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, prefetch: int = 2, **_: Any) -> None:
        self.workers = int(workers or default_workers())
        if self.workers < 1:
            raise ExecutorError(f"workers must be ≥ 1, got {workers}")
        methods = mp.get_all_start_methods()
        method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        if method not in methods:
            raise ExecutorError(f"start method {method!r} not available here; one of {methods}")
        self.start_method = method
        self.ctx = mp.get_context(method)
        self.max_attempts = int(max_attempts)
        self.prefetch = max(1, int(prefetch))

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "start_method": self.start_method,
                "max_attempts": self.max_attempts}

    def run(self, tasks: Iterable[Mapping[str, Any]], *, target: str | None = None) -> Iterator[dict[str, Any] | None]:
        source = iter(tasks)
        retry: collections.deque[dict[str, Any]] = collections.deque()
        slots = [_Slot(self.ctx, target) for _ in range(self.workers)]
        exhausted = False
        try:
            while True:
                # feed every worker up to `prefetch` tasks
                for slot in slots:
                    while len(slot.outstanding) < self.prefetch:
                        if retry:
                            task = retry.popleft()
                        elif not exhausted:
                            try:
                                task = dict(next(source))
                            except StopIteration:
                                exhausted = True
                                break
                        else:
                            break
                        try:
                            slot.conn.send(task)
                        except (BrokenPipeError, OSError):
                            retry.appendleft(task)
                            break
                        slot.outstanding.append(task)
                if not any(s.outstanding for s in slots):
                    if exhausted and not retry:
                        return
                    continue
                by_conn = {s.conn: s for s in slots}
                by_sentinel = {s.proc.sentinel: s for s in slots}
                ready = wait(list(by_conn) + list(by_sentinel), timeout=HEARTBEAT_SECONDS)
                if not ready:
                    yield None  # heartbeat: lets the caller commit what it holds
                    continue
                dead: list[_Slot] = []
                for obj in ready:
                    slot = by_conn.get(obj)
                    if slot is not None:
                        try:
                            payload = slot.conn.recv()
                        except (EOFError, OSError):
                            if slot not in dead:
                                dead.append(slot)
                            continue
                        slot.outstanding.popleft()
                        yield payload
                    else:
                        slot = by_sentinel[obj]
                        if slot not in dead:
                            dead.append(slot)
                for slot in dead:
                    # results the worker finished before it died are still in the pipe
                    while True:
                        try:
                            if not slot.conn.poll():
                                break
                            payload = slot.conn.recv()
                        except (EOFError, OSError):
                            break
                        slot.outstanding.popleft()
                        yield payload
                    if slot.proc.is_alive():
                        continue  # only its pipe hiccuped; keep it
                    slot.proc.join()
                    code = slot.proc.exitcode
                    if slot.outstanding:
                        running = slot.outstanding.popleft()
                        attempts = int(running.get("attempts", 0)) + 1
                        if attempts >= self.max_attempts:
                            yield failed_payload(
                                running, f"worker process died (exit code {code}) in each of {attempts} attempts",
                                attempts=attempts)
                        else:
                            retry.append({**running, "attempts": attempts})
                        retry.extend(slot.outstanding)  # queued behind it, never started
                        slot.outstanding.clear()
                    slot.conn.close()
                    slots[slots.index(slot)] = _Slot(self.ctx, target)
        finally:
            for slot in slots:
                slot.stop()


class DaskExecutor:
    """A Dask ``distributed`` cluster.

    Without ``scheduler`` a ``LocalCluster`` of ``workers`` single-threaded worker processes
    is started (and closed afterwards); with ``scheduler="tcp://host:port"`` the runs go to
    that cluster's workers, which must be able to import the target (same code and
    environment). Dask itself reschedules the task of a worker that dies; after the
    scheduler's ``allowed-failures`` the run is recorded as failed.
    """

    name = "dask"

    def __init__(self, workers: int | None = None, *, scheduler: str | None = None,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, window: int | None = None,
                 connect_timeout: float = 30.0, **_: Any) -> None:
        self.workers = int(workers or default_workers())
        self.scheduler = scheduler
        self.max_attempts = int(max_attempts)
        self.window = window
        self.connect_timeout = connect_timeout

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "scheduler": self.scheduler or "LocalCluster",
                "max_attempts": self.max_attempts}

    def _client(self) -> tuple[Any, Any]:
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                client = Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, TimeoutError) as err:
                raise ExecutorError(f"cannot reach Dask scheduler {self.scheduler}: {err}") from err
            return client, None
        # no statistical profiler in the workers: its 10 ms stack sampling competes for the GIL
        with dask.config.set({"distributed.scheduler.allowed-failures": max(0, self.max_attempts - 1),
                              "distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, host="127.0.0.1")
        return Client(cluster), cluster

    def run(self, tasks: Iterable[Mapping[str, Any]], *, target: str | None = None) -> Iterator[dict[str, Any] | None]:
        from distributed import wait as dask_wait
        from distributed.scheduler import KilledWorker

        client, cluster = self._client()
        try:
            client.run(preload, target)
            n = sum(client.nthreads().values()) or self.workers
            window = self.window or max(4, 2 * n)
            source = iter(tasks)
            pending: dict[Any, dict[str, Any]] = {}

            def submit_next() -> bool:
                try:
                    task = dict(next(source))
                except StopIteration:
                    return False
                pending[client.submit(run_task, task, pure=False)] = task
                return True

            for _ in range(window):
                if not submit_next():
                    break
            while pending:
                try:
                    done, _ = dask_wait(list(pending), timeout=HEARTBEAT_SECONDS, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    yield None  # heartbeat
                    continue
                for fut in done:
                    task = pending.pop(fut)
                    try:
                        payload = fut.result()
                    except KilledWorker as err:
                        payload = failed_payload(task, f"Dask worker died running this task ({err})",
                                                 attempts=self.max_attempts)
                    fut.release()
                    yield payload
                    submit_next()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_executor(name: str, workers: int | None = None, **options: Any) -> Any:
    """An executor by name (see :data:`EXECUTORS`)."""
    if name == "inprocess":
        return InProcessExecutor(workers, **options)
    if name == "processes":
        return ProcessExecutor(workers, **options)
    if name == "dask":
        return DaskExecutor(workers, **options)
    raise ExecutorError(f"unknown executor {name!r}; one of {', '.join(EXECUTORS)}")
