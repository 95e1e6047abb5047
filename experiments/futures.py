"""Futures ensembles for robustness experiments: one parameter set per plausible future.

A robustness experiment (:func:`experiments.engine.run_futures`) evaluates every reform in
every future. Where the futures come from is pluggable: a *provider* is any object with

``kind``
    a short name (``"lhs"``, ``"table"``, …);
``futures() -> pandas.DataFrame``
    one row per future, one column per parameter (registry names, values of the
    parameter's type: floats, ints, booleans, categorical levels as strings);
``describe() -> dict``
    a JSON-able record of how the ensemble was made; it goes into the experiment's spec
    (``spec["extra"]["futures"]``), so the provenance of every future is in the store.

Three providers ship:

:class:`LatinHypercubeFutures`
    a Latin hypercube over chosen parameters (by default the ``uncertainty`` kind) within
    their *plausible* ranges: a float or int factor needs a declared ``sa_bounds`` or a range
    given by the user — the validity ``bounds`` are never used silently, since sampling the
    whole valid range would fill the ensemble with futures nobody finds plausible. Boolean and
    categorical factors take their levels with equal probability.
:class:`TableFutures`
    the rows of a CSV or Parquet file (futures written by hand, by another tool, or drawn
    from a calibrated posterior and exported).
:class:`PosteriorFutures`
    parameter sets resampled from a calibrated posterior saved in the results store
    (``--futures posterior:NAME``, :mod:`experiments.calibration`).

A new source is added with :func:`register_provider`: a factory ``make(arg, *, n, seed, store, selection)`` that
returns a provider; the CLI then accepts ``--futures KIND:ARG``. Nothing in the robustness
runner or its analysis depends on the provider (see docs/EXPLORATORY.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from govsim.errors import GovsimError

from .sensitivity_design import FactorError, Problem, UnknownFactorError, build_problem

__all__ = [
    "DEFAULT_N_FUTURES",
    "PROVIDERS",
    "FactorSelection",
    "FuturesError",
    "FuturesProvider",
    "LatinHypercubeFutures",
    "PosteriorFutures",
    "TableFutures",
    "futures_problem",
    "make_provider",
    "parse_ranges",
    "register_provider",
]


DEFAULT_N_FUTURES = 50  # futures of a Latin hypercube when no number is given


class FuturesError(GovsimError, ValueError):
    """A futures ensemble that cannot be made as asked (factors, ranges, sizes, files)."""


@runtime_checkable
class FuturesProvider(Protocol):
    """What the robustness runner needs from a source of futures."""

    kind: str

    def futures(self) -> pd.DataFrame: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FactorSelection:
    """Which parameters the futures vary and over what range (the CLI's factor options)."""

    factors: tuple[Any, ...] = ()
    kinds: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    ranges: Mapping[str, Sequence[float]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.factors or self.kinds or self.groups)


def futures_problem(selection: FactorSelection | None = None) -> Problem:
    """The factors of a futures ensemble, each with its plausible range.

    Chosen like sensitivity factors (names, kinds, groups, exclusions; default: every
    ``uncertainty`` of the registry). A float or int registry parameter takes its
    ``sa_bounds`` or the range given in ``selection.ranges``; one named without either is
    refused with :class:`FuturesError` listing all such parameters and how to fix it (a kind
    or group with such members is refused by :func:`build_problem`, which lists them).
    """
    from model.parameters import REGISTRY

    sel = selection or FactorSelection()
    kinds = sel.kinds or (("uncertainty",) if sel.empty else ())
    ranges = {str(k): tuple(v) for k, v in (sel.ranges or {}).items()}
    missing = [f for f in sel.factors if isinstance(f, str) and f in REGISTRY and f not in ranges
               and REGISTRY[f].type in ("float", "int") and REGISTRY[f].sa_bounds is None]
    if missing:
        raise FuturesError(
            f"no plausible range declared (sa_bounds) for {', '.join(missing)}; a future needs one: give it with "
            "--range NAME=LOW:HIGH (Python: ranges={name: (low, high)}) or leave it out of the factors")
    try:
        return build_problem(list(sel.factors), kinds=kinds, groups=sel.groups, exclude=sel.exclude, ranges=ranges)
    except (UnknownFactorError, FactorError) as err:
        raise FuturesError(str(err)) from None


def _frame(problem: Problem, unit: np.ndarray) -> pd.DataFrame:
    """Parameter values of unit-cube rows as plain column types (str levels, bool, int64, float)."""
    return problem.plain_columns(problem.to_values(unit))


@dataclass(frozen=True)
class LatinHypercubeFutures:
    """``n`` futures from a scrambled Latin hypercube (SciPy ``qmc.LatinHypercube``) over
    ``problem``'s factors; the same ``seed`` gives the same futures."""

    problem: Problem
    n: int
    seed: int = 1
    kind: str = "lhs"

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 2:
            raise FuturesError(f"a Latin hypercube needs at least 2 futures, got n = {self.n!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise FuturesError(f"the futures seed must be a whole number ≥ 0, got {self.seed!r}")

    def unit(self) -> np.ndarray:
        from scipy.stats import qmc

        sampler = qmc.LatinHypercube(d=len(self.problem.factors), rng=np.random.default_rng(self.seed))
        return sampler.random(self.n)

    def futures(self) -> pd.DataFrame:
        return _frame(self.problem, self.unit())

    def describe(self) -> dict[str, Any]:
        return {"provider": self.kind, "n": self.n, "seed": self.seed,
                "factors": [f.to_record() for f in self.problem.factors]}


@dataclass(frozen=True)
class TableFutures:
    """The rows of a CSV or Parquet file, one future each (columns = parameter names).

    ``n`` keeps the first ``n`` rows. Categorical levels and ``true``/``false`` are read as
    text and converted by the engine's validation.
    """

    path: str
    n: int | None = None
    kind: str = "table"

    def _read(self) -> pd.DataFrame:
        p = Path(self.path)
        if not p.is_file():
            raise FuturesError(f"{p}: no such futures file")
        try:
            if p.suffix.lower() in (".parquet", ".pq"):
                df = pd.read_parquet(p)
            else:
                df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
                for c in df.columns:
                    num = pd.to_numeric(df[c], errors="coerce")
                    if num.notna().all():
                        df[c] = num
        except (OSError, ValueError, pd.errors.ParserError) as err:
            raise FuturesError(f"{p}: not a readable futures table ({err})") from err
        if df.empty or not len(df.columns):
            raise FuturesError(f"{p}: the futures table has no rows or no columns")
        if self.n is not None:
            if self.n < 1 or self.n > len(df):
                raise FuturesError(f"{p}: asked for {self.n} futures, the file has {len(df)}")
            df = df.head(self.n)
        return df.reset_index(drop=True)

    def futures(self) -> pd.DataFrame:
        return self._read()

    def describe(self) -> dict[str, Any]:
        p = Path(self.path)
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
        return {"provider": self.kind, "path": str(p), "sha256": digest, "n": self.n}


@dataclass(frozen=True)
class PosteriorFutures:
    """``n`` futures resampled by weight from a calibrated posterior saved in the store
    (``govsim calibrate --name NAME``); the same ``seed`` gives the same futures."""

    store: str
    name: str
    n: int
    seed: int = 1
    kind: str = "posterior"

    def _draw(self) -> tuple[pd.DataFrame, dict[str, Any]]:
        from .calibration import CalibrationError, draw_posterior

        try:
            return draw_posterior(self.store, self.name, n=self.n, seed=self.seed)
        except CalibrationError as err:
            raise FuturesError(str(err)) from None

    def futures(self) -> pd.DataFrame:
        return self._draw()[0]

    def describe(self) -> dict[str, Any]:
        source = self._draw()[1]
        return {"provider": self.kind, "name": self.name, "experiment_id": source["experiment_id"],
                "generation": source["generation"], "n": self.n, "seed": self.seed}


Factory = Callable[..., FuturesProvider]


def _make_lhs(arg: str | None, *, n: int | None, seed: int, store: str | None,
              selection: FactorSelection | None) -> FuturesProvider:
    if arg:
        raise FuturesError(f"--futures lhs takes no argument, got 'lhs:{arg}'")
    return LatinHypercubeFutures(futures_problem(selection), DEFAULT_N_FUTURES if n is None else n, seed)


def _make_table(arg: str | None, *, n: int | None, seed: int, store: str | None,
                selection: FactorSelection | None) -> FuturesProvider:
    if not arg:
        raise FuturesError("--futures table needs a file: table:PATH.csv or table:PATH.parquet")
    if selection is not None and not selection.empty:
        raise FuturesError("--futures table takes its factors from the file's columns; drop --factors/--kinds/--groups")
    return TableFutures(arg, n)


def _make_posterior(arg: str | None, *, n: int | None, seed: int, store: str | None,
                    selection: FactorSelection | None) -> FuturesProvider:
    if selection is not None and not selection.empty:
        raise FuturesError("--futures posterior takes its factors from the calibrated parameters; drop "
                           "--factors/--kinds/--groups")
    if not store:
        raise FuturesError("--futures posterior needs the results store the posterior is saved in (--store)")
    return PosteriorFutures(str(store), arg or "default", DEFAULT_N_FUTURES if n is None else n, seed)


PROVIDERS: dict[str, Factory] = {"lhs": _make_lhs, "table": _make_table, "posterior": _make_posterior}


def register_provider(kind: str, factory: Factory) -> None:
    """Make ``--futures KIND[:ARG]`` (and :func:`make_provider`) use ``factory``.

    ``factory(arg, *, n, seed, store, selection)`` returns a :class:`FuturesProvider`;
    ``arg`` is the text after ``KIND:`` (or ``None``), ``store`` the results-store path
    (where e.g. a saved posterior lives) and ``selection`` the user's factor options.
    """
    if not isinstance(kind, str) or not kind.isidentifier():
        raise FuturesError(f"provider kind {kind!r} must be an identifier")
    PROVIDERS[kind] = factory


def make_provider(source: str, *, n: int | None = None, seed: int = 1, store: str | None = None,
                  selection: FactorSelection | None = None) -> FuturesProvider:
    """The provider named by ``source`` = ``KIND`` or ``KIND:ARG`` (e.g. ``lhs``, ``table:f.csv``)."""
    kind, _, arg = str(source).partition(":")
    if kind not in PROVIDERS:
        import difflib

        close = difflib.get_close_matches(kind, PROVIDERS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise FuturesError(f"unknown futures source {kind!r}; {hint}known: {', '.join(sorted(PROVIDERS))}")
    provider = PROVIDERS[kind](arg or None, n=n, seed=seed, store=store, selection=selection)
    if not isinstance(provider, FuturesProvider):
        raise FuturesError(f"the {kind!r} provider returned {type(provider).__name__}, "
                           "which lacks futures()/describe()")
    return provider


def parse_ranges(values: Iterable[str] | None) -> dict[str, tuple[float, float]]:
    """``["a=0:1", "b=2:3,c=4:5"]`` → ``{"a": (0, 1), ...}``; bad items raise :class:`FuturesError`."""
    out: dict[str, tuple[float, float]] = {}
    for chunk in values or ():
        for item in (p.strip() for p in chunk.split(",")):
            if not item:
                continue
            name, sep, rng = item.partition("=")
            lo, sep2, hi = rng.partition(":")
            try:
                if not (sep and sep2 and name):
                    raise ValueError
                out[name.strip()] = (float(lo), float(hi))
            except ValueError:
                raise FuturesError(f"--range {item!r}: expected NAME=LOW:HIGH") from None
    return out
