"""Executors: where planned runs are computed. One interface, three implementations.

``executor.run(tasks, target=..., function=...)`` takes an iterator of task dicts and yields
one payload per task, in completion order (and ``None`` now and then while it waits, so the
caller can commit). Only a small window of tasks is in flight, so memory stays flat. Worker
processes import the target's module (or unpickle ``function``, a callable packed by
:func:`experiments.worker.pack_function`) before their first task. A task whose worker
process dies is retried up to ``max_attempts`` times, then yielded as failed.

``inprocess``  the calling process (debugging, tiny batches, notebooks)
``processes``  local worker processes, each a fresh interpreter (``python -c``) that imports
               only what the target needs — never the caller's script or notebook, so a
               script without an ``if __name__ == "__main__":`` guard works too; the
               multiprocessing start method is neither used nor changed
``dask``       a Dask ``distributed`` cluster: a ``LocalCluster`` by default, or an existing
               scheduler (``scheduler="tcp://host:8786"``; e.g. one started by dask-jobqueue)
"""

from __future__ import annotations

import ast
import collections
import importlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from govsim.errors import GovsimError

from .worker import failed_payload, run_task, unpack_function

__all__ = ["EXECUTORS", "ExecutorError", "make_executor", "InProcessExecutor", "ProcessExecutor", "DaskExecutor"]

EXECUTORS = ("inprocess", "processes", "dask")
DEFAULT_MAX_ATTEMPTS = 3
HEARTBEAT_SECONDS = 0.5


class ExecutorError(GovsimError, RuntimeError):
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

    def close(self) -> None:
        """Nothing to stop."""

    def run(self, tasks: Iterable[Mapping[str, Any]], *, target: str | None = None,
            function: Any = None) -> Iterator[dict[str, Any]]:
        for task in tasks:
            yield run_task(task, function)


def preload(target: str | None) -> None:
    """Import the target's module ahead of the first task (errors surface in the task instead)."""
    if target and ":" in target:
        try:
            importlib.import_module(target.split(":")[0])
        except Exception:  # noqa: BLE001 - reported by the first task that needs the module
            pass


_BOOT = "from experiments.executors import _worker_main; _worker_main()"
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


def _worker_main() -> None:
    """Worker process loop: set up from the first message, then receive a task and send
    back its payload; stop on None or EOF (the parent went away)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    conn = Connection(int(os.environ.pop("GOVSIM_WORKER_FD")))
    try:
        init = conn.recv()
    except (EOFError, OSError):
        return
    sys.path[:] = init["sys_path"]
    function = init.get("function")
    if function is not None:
        try:
            function = unpack_function(function)
        except Exception:  # noqa: BLE001 - each task then reports the failure with its traceback
            pass
    else:
        preload(init.get("target"))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            conn.send(run_task(task, function))
        except (BrokenPipeError, OSError):
            return


class _Slot:
    """One worker process and the pipe to it."""

    __slots__ = ("proc", "conn", "sentinel", "outstanding")

    def __init__(self, init: Mapping[str, Any]) -> None:
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["GOVSIM_WORKER_FD"] = str(child.fileno())
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        try:
            self.proc = subprocess.Popen([sys.executable, "-P", "-c", _BOOT], pass_fds=(child.fileno(),), env=env,
                                         stdin=subprocess.DEVNULL)
        except OSError as err:
            parent.close()
            raise ExecutorError(f"cannot start a worker process ({err})") from err
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        self.sentinel = os.pidfd_open(self.proc.pid) if hasattr(os, "pidfd_open") else None
        self.outstanding: collections.deque[dict[str, Any]] = collections.deque()
        try:
            self.conn.send(dict(init))
        except (BrokenPipeError, OSError):
            pass  # it died at once; found dead by the loop

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 5.0, *, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                kill = True
        if kill and self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()
        if self.sentinel is not None:
            os.close(self.sentinel)
            self.sentinel = None


class ProcessExecutor:
    """Local worker processes, each fed its own tasks over a pipe.

    Each worker is a fresh interpreter started with ``python -c`` and the caller's
    ``sys.path``: it imports the target (or unpickles the callable) and nothing of the
    caller's ``__main__``, so scripts without a main guard and notebooks work alike. The
    parent knows which task each worker is running, so when a worker dies (killed, out of
    memory, segfault) exactly that task is retried on a fresh worker; tasks queued behind
    it are resubmitted without counting an attempt.
    """

    name = "processes"
    start_method = "subprocess"

    def __init__(self, workers: int | None = None, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, prefetch: int = 2,
                 keep_alive: bool = False, **_: Any) -> None:
        self.workers = int(workers or default_workers())
        if self.workers < 1:
            raise ExecutorError(f"workers must be ≥ 1, got {workers}")
        self.max_attempts = int(max_attempts)
        self.prefetch = max(1, int(prefetch))
        self.keep_alive = bool(keep_alive)
        self._pool: tuple[dict[str, Any], list[_Slot]] | None = None

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "start_method": self.start_method,
                "max_attempts": self.max_attempts}

    def close(self) -> None:
        """Stop the workers kept between batches (``keep_alive``); a no-op otherwise."""
        if self._pool is not None:
            for slot in self._pool[1]:
                slot.stop()
            self._pool = None

    def run(self, tasks: Iterable[Mapping[str, Any]], *, target: str | None = None,
            function: Any = None) -> Iterator[dict[str, Any] | None]:
        """Yield one payload per task. With ``keep_alive`` the workers stay up after a batch
        that ends normally, for the next batch of the same target (until :meth:`close`)."""
        from .worker import pack_function

        init = {"sys_path": [os.path.abspath(p) if p else os.getcwd() for p in sys.path], "target": target,
                "function": None if function is None else (
                    function if isinstance(function, bytes) else pack_function(function))}
        source = iter(tasks)
        retry: collections.deque[dict[str, Any]] = collections.deque()
        if self._pool is not None and self._pool[0] == init:
            slots = self._pool[1]
        else:
            self.close()
            slots = [_Slot(init) for _ in range(self.workers)]
        self._pool = None
        exhausted = False
        finished = False
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
                        finished = True
                        return
                    continue
                by_conn = {s.conn: s for s in slots}
                by_sentinel = {s.sentinel: s for s in slots if s.sentinel is not None}
                ready = wait(list(by_conn) + list(by_sentinel), timeout=HEARTBEAT_SECONDS)
                if not ready:
                    for slot in slots:  # without pidfds a death shows as EOF, or here
                        if slot.sentinel is None and not slot.alive() and slot.conn not in ready:
                            ready.append(slot.conn)
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
                    if slot.alive():
                        try:
                            slot.proc.wait(1.0)  # EOF first, exit a moment later
                        except subprocess.TimeoutExpired:
                            continue  # only its pipe hiccuped; keep it
                    code = slot.proc.returncode
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
                    slot.stop(kill=True)
                    slots[slots.index(slot)] = _Slot(init)
        finally:
            if finished and self.keep_alive:
                self._pool = (init, slots)  # idle workers, ready for the next batch
            else:
                for slot in slots:  # interrupted: no reason to wait for the runs in flight
                    slot.stop(kill=not finished)


def unguarded_script_call() -> tuple[str, int] | None:
    """``(script, line)`` when the calling script runs this at import time, outside an
    ``if __name__ == "__main__":`` block (worker processes that re-import the script, as
    Dask's local workers do, would then run it again); None otherwise."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None  # an interactive session, a notebook, python -c
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__":
            break
        frame = frame.f_back
    if frame is None:
        return None
    try:
        tree = ast.parse(Path(frame.f_code.co_filename).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    line = frame.f_lineno
    for node in tree.body:
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test):
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                return None
    return frame.f_code.co_filename, line


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
                 connect_timeout: float = 30.0, keep_alive: bool = False, **_: Any) -> None:
        self.workers = int(workers or default_workers())
        self.scheduler = scheduler
        self.max_attempts = int(max_attempts)
        self.window = window
        self.connect_timeout = connect_timeout
        self.keep_alive = bool(keep_alive)
        self._open: tuple[Any, Any] | None = None  # (client, cluster) kept between batches

    def close(self) -> None:
        """Close the client (and local cluster) kept between batches (``keep_alive``)."""
        if self._open is not None:
            client, cluster = self._open
            self._open = None
            client.close()
            if cluster is not None:
                cluster.close()

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

    def run(self, tasks: Iterable[Mapping[str, Any]], *, target: str | None = None,
            function: Any = None) -> Iterator[dict[str, Any] | None]:
        from distributed import wait as dask_wait
        from distributed.scheduler import KilledWorker

        from .worker import pack_function

        if not self.scheduler:
            where = unguarded_script_call()
            if where is not None:
                raise ExecutorError(
                    f"{where[0]}, line {where[1]}: this script starts a batch when it is imported; Dask's local "
                    "worker processes import the script again and would start it again. Put the calls under "
                    "'if __name__ == \"__main__\":' (see README), or use executor='processes'")
        blob = None if function is None else (function if isinstance(function, bytes) else pack_function(function))
        client, cluster = self._open if self._open is not None else self._client()
        self._open = None
        finished = False
        try:
            if blob is None:
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
                pending[client.submit(run_task, task, blob, pure=False)] = task
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
            finished = True
        finally:
            if finished and self.keep_alive:
                self._open = (client, cluster)
            else:
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
