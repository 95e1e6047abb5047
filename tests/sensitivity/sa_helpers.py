"""Shared helpers of the sensitivity tests (a module name unique across tests/)."""

from __future__ import annotations

import math

PI = math.pi
ISHIGAMI = "experiments.analytic:ishigami"
SOBOL_G = "experiments.analytic:sobol_g"
RUN = {"horizon": 24, "executor": "inprocess", "progress": False}


def ishigami_factors() -> list[dict]:
    return [{"name": f"x{i}", "lower": -PI, "upper": PI} for i in (1, 2, 3)]


def g_factors(k: int = 6) -> list[dict]:
    return [{"name": f"x{i}", "lower": 0.0, "upper": 1.0} for i in range(1, k + 1)]
