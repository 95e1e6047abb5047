"""Analytic test functions that stand in for the model in the experiment engine.

They verify the sensitivity machinery end to end: a design of ``x1..xk`` is executed by the
same engine, executors and results store as the model, and the indices computed from the
store are compared with the known analytic values (tests/sensitivity/).

Each function has the signature of :func:`model.run.simulate` (``params, *, seed, horizon,
schedule``) and returns an :class:`AnalyticResult` whose ``summary`` holds ``{"y": value}``
and whose ``timeseries`` holds ``month`` 0..horizon and ``y``. The series is
``y(t) = y * (1 + t / horizon)`` (so yearly means are ``y`` times a constant and the
time-resolved indices equal the summary ones); ``noise > 0`` adds seeded Gaussian noise of
that standard deviation to the summary and every month (a stochastic model with a known
noise variance). ``fail_above`` makes every evaluation with ``x1 > fail_above`` raise
:class:`AnalyticFailure`, to exercise failed runs.

Target import paths: ``"experiments.analytic:ishigami"``, ``"experiments.analytic:sobol_g"``,
``"experiments.analytic:planted_box"`` (a failure region that is a known box, for
scenario discovery) and ``"experiments.analytic:lever_trade_off"`` (a known Pareto front, for
the lever search).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "AnalyticResult",
    "ISHIGAMI_BOUNDS",
    "ISHIGAMI_S1",
    "ISHIGAMI_ST",
    "SOBOL_G_A",
    "AnalyticFailure",
    "AnalyticParameterError",
    "PLANTED_BOX",
    "ishigami",
    "ishigami_indices",
    "lever_trade_off",
    "planted_box",
    "sobol_g",
    "sobol_g_indices",
]

ISHIGAMI_BOUNDS = (-math.pi, math.pi)
SOBOL_G_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0)


class AnalyticParameterError(ValueError):
    """A parameter of an analytic function that is unknown or missing."""


class AnalyticFailure(RuntimeError):
    """A deliberate failure (``fail_above``): stands in for a model run that crashes."""


@dataclass
class AnalyticResult:
    """The result of one evaluation, shaped like ``model.run.RunResult``."""

    timeseries: dict[str, np.ndarray]
    summary: dict[str, float]
    params: dict[str, float] = field(default_factory=dict)

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.timeseries)


def _xs(params: Mapping[str, Any] | None, k: int, name: str) -> np.ndarray:
    params = dict(params or {})
    allowed = [f"x{i + 1}" for i in range(k)]
    unknown = sorted(set(params) - set(allowed) - {"a", "b", "noise", "fail_above"} - {f"a{i + 1}" for i in range(k)})
    if unknown:
        raise AnalyticParameterError(f"{name}: unknown parameter(s) {unknown}; allowed: {allowed}")
    missing = [a for a in allowed if a not in params]
    if missing:
        raise AnalyticParameterError(f"{name}: missing parameter(s) {missing}")
    x = np.array([float(params[a]) for a in allowed])
    if "fail_above" in params and x[0] > float(params["fail_above"]):
        raise AnalyticFailure(f"{name}: x1 = {x[0]:.4g} > fail_above = {params['fail_above']} (a deliberate failure)")
    return x


def _result(y: float, params: Mapping[str, Any] | None, *, seed: int, horizon: int) -> AnalyticResult:
    noise = float((params or {}).get("noise", 0.0))
    months = np.arange(horizon + 1)
    series = y * (1.0 + months / max(horizon, 1))
    if noise > 0:
        rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
        eps = rng.normal(0.0, noise)
        y = y + eps
        series = series + eps * (1.0 + months / max(horizon, 1))
    return AnalyticResult(
        timeseries={"month": months, "y": series},
        summary={"y": float(y)},
        params={k: float(v) for k, v in (params or {}).items()},
    )


def ishigami(params: Mapping[str, Any] | None = None, *, seed: int = 0, horizon: int = 0,
             schedule: Iterable[Any] = ()) -> AnalyticResult:
    """Ishigami function ``sin x1 + a sin² x2 + b x3⁴ sin x1`` on x_i ∈ [−π, π].

    ``a`` (default 7) and ``b`` (default 0.1) may be given in ``params``; ``noise`` adds
    seeded Gaussian noise. ``schedule`` is accepted for signature compatibility and ignored.
    """
    p = dict(params or {})
    x = _xs({k: v for k, v in p.items()}, 3, "ishigami")
    a = float(p.get("a", 7.0))
    b = float(p.get("b", 0.1))
    y = math.sin(x[0]) + a * math.sin(x[1]) ** 2 + b * x[2] ** 4 * math.sin(x[0])
    return _result(y, p, seed=seed, horizon=horizon)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, ...]]:
    """Analytic first-order and total indices of the Ishigami function."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": (v1 / v, v2 / v, 0.0), "ST": ((v1 + v13) / v, v2 / v, v13 / v), "S2_13": (v13 / v,)}


_ISH = ishigami_indices()
ISHIGAMI_S1 = _ISH["S1"]
ISHIGAMI_ST = _ISH["ST"]


def sobol_g(params: Mapping[str, Any] | None = None, *, seed: int = 0, horizon: int = 0,
            schedule: Iterable[Any] = ()) -> AnalyticResult:
    """Sobol' G function ``∏ (|4 x_i − 2| + a_i) / (1 + a_i)`` on x_i ∈ [0, 1].

    The number of inputs is the number of ``x<i>`` keys given; ``a<i>`` overrides the
    coefficient (default :data:`SOBOL_G_A`, then 99).
    """
    p = dict(params or {})
    k = sum(1 for key in p if key.startswith("x") and key[1:].isdigit())
    if k == 0:
        raise AnalyticParameterError("sobol_g: needs parameters x1..xk")
    x = _xs(p, k, "sobol_g")
    a = np.array([float(p.get(f"a{i + 1}", SOBOL_G_A[i] if i < len(SOBOL_G_A) else 99.0)) for i in range(k)])
    y = float(np.prod((np.abs(4 * x - 2) + a) / (1 + a)))
    return _result(y, p, seed=seed, horizon=horizon)


def sobol_g_indices(a: Sequence[float]) -> dict[str, tuple[float, ...]]:
    """Analytic first-order and total indices of the Sobol' G function with coefficients ``a``."""
    a = np.asarray(a, dtype=float)
    vi = 1.0 / (3.0 * (1.0 + a) ** 2)
    v = float(np.prod(1.0 + vi) - 1.0)
    s1 = vi / v
    st = np.array([vi[i] * np.prod(np.delete(1.0 + vi, i)) / v for i in range(a.size)])
    return {"S1": tuple(float(s) for s in s1), "ST": tuple(float(s) for s in st)}


#: The failure region of :func:`planted_box`: x1 in [0.2, 0.6], x2 ≥ 0.7, region north or east
#: (x3, x4 and the integer k play no part).
PLANTED_BOX = {"x1": (0.2, 0.6), "x2": (0.7, 1.0), "region": ("east", "north")}
PLANTED_REGIONS = ("east", "north", "south", "west")


def planted_box(params: Mapping[str, Any] | None = None, *, seed: int = 0, horizon: int = 0,
                schedule: Iterable[Any] = ()) -> AnalyticResult:
    """``fail`` = 1 inside :data:`PLANTED_BOX`, else 0; ``y`` = a smooth score of x1, x2.

    Inputs ``x1..x4`` in [0, 1], ``k`` an integer and ``region`` one of
    ``east, north, south, west``. ``flip`` (default 0) flips ``fail`` with that probability,
    drawn from the seed (label noise). ``schedule`` is ignored.
    """
    p = dict(params or {})
    allowed = {"x1", "x2", "x3", "x4", "k", "region", "flip"}
    unknown = sorted(set(p) - allowed)
    if unknown:
        raise AnalyticParameterError(f"planted_box: unknown parameter(s) {unknown}; allowed: {sorted(allowed)}")
    x1, x2 = float(p.get("x1", 0.5)), float(p.get("x2", 0.5))
    region = str(p.get("region", "north"))
    if region not in PLANTED_REGIONS:
        raise AnalyticParameterError(f"planted_box: region {region!r} is not one of {list(PLANTED_REGIONS)}")
    (a, b), (c, d) = PLANTED_BOX["x1"], PLANTED_BOX["x2"]
    fail = float(a <= x1 <= b and c <= x2 <= d and region in PLANTED_BOX["region"])
    flip = float(p.get("flip", 0.0))
    if flip > 0 and np.random.default_rng(np.random.SeedSequence(int(seed))).random() < flip:
        fail = 1.0 - fail
    months = np.arange(horizon + 1)
    y = x1 + 2 * x2
    series = {"month": months, "fail": np.full(horizon + 1, fail), "y": np.full(horizon + 1, y)}
    return AnalyticResult(timeseries=series,
                          summary={"fail": fail, "y": y}, params={k: v for k, v in p.items()})


def lever_trade_off(params: Mapping[str, Any] | None = None, *, seed: int = 0, horizon: int = 0,
                    schedule: Iterable[Any] = ()) -> AnalyticResult:
    """Two levers with a known Pareto front: ``cost = x + 0.3 y`` and ``benefit = a x (2 − x)``
    for levers ``x, y`` in [0, 1] (a change in ``schedule`` sets a lever, whatever its month)
    and a future's factor ``a`` (default 1). ``y`` costs and brings nothing, so every
    Pareto-optimal setting has ``y = 0``; with the requirement ``benefit ≥ b`` the cheapest
    feasible setting is the smallest ``x`` with ``ā x (2 − x) ≥ b``. ``noise`` adds seeded
    Gaussian noise of that standard deviation to the benefit."""
    p = dict(params or {})
    for change in schedule:
        month, name, value = (change["month"], change["name"], change["value"]) if isinstance(change, Mapping) \
            else change
        p[str(name)] = value
    unknown = sorted(set(p) - {"x", "y", "a", "noise"})
    if unknown:
        raise AnalyticParameterError(f"lever_trade_off: unknown parameter(s) {unknown}; allowed: a, noise, x, y")
    x, y, a = float(p.get("x", 0.0)), float(p.get("y", 0.0)), float(p.get("a", 1.0))
    benefit = a * x * (2.0 - x)
    noise = float(p.get("noise", 0.0))
    if noise > 0:
        benefit += np.random.default_rng(np.random.SeedSequence(int(seed))).normal(0.0, noise)
    cost = x + 0.3 * y
    months = np.arange(horizon + 1)
    return AnalyticResult(timeseries={"month": months, "cost": np.full(horizon + 1, cost),
                                      "benefit": np.full(horizon + 1, benefit)},
                          summary={"cost": cost, "benefit": benefit}, params={k: v for k, v in p.items()})
