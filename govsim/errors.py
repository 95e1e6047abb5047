"""The project's error base class and the one handler every command-line entry point uses.

Every error that reports a user's mistake (an unknown parameter, a malformed scenario file,
an experiment id that is not in the store) derives from :class:`GovsimError` and carries the
exit code of the command that meets it: ``2`` for bad input, ``1`` for a batch that ran but
produced nothing usable. :func:`run_command` calls a command and turns

* a user error into one line on stderr (``govsim: error: …``) and its exit code,
* an interrupted batch (:class:`BatchInterrupted`: Ctrl-C or SIGTERM) into the experiment id,
  the runs kept and the command that resumes it, with exit code 128 + the signal number,

so ``govsim``, ``govsim sensitivity``, ``python -m analysis.cli`` and the rest answer alike.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "BatchInterrupted", "GovsimError", "one_line", "run_command"]

EXIT_USAGE = 2
EXIT_FAILED = 1


class GovsimError(Exception):
    """Base of the errors the project reports to a user instead of a traceback.

    ``exit_code`` is what a command exits with when this error ends it (2: bad input).
    """

    exit_code = EXIT_USAGE


class BatchInterrupted(KeyboardInterrupt):
    """A batch stopped by SIGINT (Ctrl-C) or SIGTERM after committing every finished run.

    A :class:`KeyboardInterrupt`, so code that catches ``Exception`` does not swallow it.
    ``experiment_id``, ``store``, ``committed`` and ``planned`` are filled in by the engine
    once the finished runs are committed; :meth:`resume_hint` says how to go on.
    """

    def __init__(self, signum: int, *, experiment_id: str | None = None, store: str | None = None,
                 committed: int | None = None, planned: int | None = None) -> None:
        self.signum = int(signum)
        self.experiment_id = experiment_id
        self.store = store
        self.committed = committed
        self.planned = planned
        self.lost = ""
        super().__init__(self._message())

    @property
    def signal_name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def resume_command(self) -> str | None:
        if not self.experiment_id:
            return None
        store = f" --store {self.store}" if self.store else ""
        return f"govsim resume {self.experiment_id}{store}"

    def _message(self) -> str:
        what = f"batch interrupted by {self.signal_name}"
        if self.experiment_id is None:
            return what
        if self.committed is None:
            kept = ""
        elif self.planned:
            kept = f": {self.committed} of {self.planned} runs committed"
        else:
            kept = f": {self.committed} runs committed"
        return (f"{what}{kept}{self.lost}; experiment {self.experiment_id}; resume with: {self.resume_command()} "
                f"(or experiments.resume(store, {self.experiment_id!r}))")

    def fill(self, **info: Any) -> BatchInterrupted:
        """Record what the engine knows (id, store, counts) and refresh the message."""
        for k, v in info.items():
            setattr(self, k, v)
        self.args = (self._message(),)
        return self

    def __str__(self) -> str:
        return self._message()


def one_line(message: str) -> str:
    """The message on one line: line breaks inside it become spaces."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())


def run_command(func: Callable[..., int | None], *args: Any, prog: str = "govsim",
                user_errors: Iterable[type[BaseException]] = ()) -> int:
    """Call ``func(*args)`` and map how it ends to an exit code, saying why on stderr.

    ``user_errors`` are further exception types (outside this hierarchy, e.g. the model's
    ``ParameterError``) that mean bad input: one line, exit code 2.
    """
    extra = tuple(user_errors)
    try:
        return int(func(*args) or 0)
    except BatchInterrupted as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except GovsimError as err:
        text = str(err) if err.exit_code != EXIT_USAGE else one_line(str(err))
        print(f"{prog}: error: {text}", file=sys.stderr)
        return err.exit_code
    except extra as err:  # type: ignore[misc]
        print(f"{prog}: error: {one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE
