"""Opening the DuckDB results store while another process may hold it.

DuckDB lets one process open a database file for writing, or several for reading, never
both at once. A batch therefore opens the store only while it commits (a fraction of a
second, about once a second) and every other command waits briefly for its turn:
:func:`connect` retries while the file is locked and, if the lock outlasts ``timeout``
seconds, raises :class:`StoreBusyError` naming the process that holds it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from .errors import GovsimError

__all__ = ["DEFAULT_TIMEOUT", "StoreBusyError", "connect", "is_lock_error"]

DEFAULT_TIMEOUT = 30.0
_LOCK = re.compile(r"lock", re.IGNORECASE)


class StoreBusyError(GovsimError, OSError):
    """The store stayed locked by another process for longer than the caller would wait."""


def is_lock_error(err: BaseException) -> bool:
    """Whether a DuckDB error says that another process holds the file."""
    import duckdb

    return isinstance(err, duckdb.IOException) and bool(_LOCK.search(str(err)))


def _holder(err: BaseException) -> str:
    m = re.search(r"held in (.+?) \(PID (\d+)\)", str(err))
    return f"process {m.group(2)} ({Path(m.group(1)).name})" if m else "another process"


def connect(path: str | Path, *, read_only: bool, timeout: float = DEFAULT_TIMEOUT,
            config: dict[str, Any] | None = None) -> Any:
    """A DuckDB connection to ``path``, waiting up to ``timeout`` seconds for a lock held
    elsewhere (a batch holds it while it commits, readers while they read)."""
    import duckdb

    deadline = time.monotonic() + max(0.0, timeout)
    delay = 0.01
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException as err:
            if not is_lock_error(err):
                raise
            if time.monotonic() >= deadline:
                mode = "read" if read_only else "write"
                raise StoreBusyError(
                    f"{path}: the results store stayed locked by {_holder(err)} for {timeout:g} s, so it cannot "
                    f"be opened to {mode}; a batch holds it only while it commits, so this is usually an open "
                    "connection elsewhere (a notebook, a long report): close it and try again") from err
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
