"""Session fixtures: sensitivity experiments of the analytic functions, run once through the
engine (in-process executor) into one scratch results store."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analysis import sensitivity as sai
from experiments import sensitivity as sa

PI = math.pi
ISHIGAMI = "experiments.analytic:ishigami"
SOBOL_G = "experiments.analytic:sobol_g"


def ishigami_factors() -> list[dict]:
    return [{"name": f"x{i}", "lower": -PI, "upper": PI} for i in (1, 2, 3)]


def g_factors(k: int = 6) -> list[dict]:
    return [{"name": f"x{i}", "lower": 0.0, "upper": 1.0} for i in range(1, k + 1)]


RUN = {"horizon": 24, "executor": "inprocess", "progress": False}


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sa") / "govsim.duckdb"


@pytest.fixture(scope="session")
def ishigami_sobol(store) -> tuple[str, object]:
    """Sobol' design of Ishigami, N = 1024, second order; indices for summary and yearly periods."""
    eid = sa.run(store, method="sobol", factors=ishigami_factors(), n=1024, seed=11, target=ISHIGAMI, **RUN)
    idx = sai.analyze(store, eid, periods=["summary", "yearly"], convergence=True, num_resamples=200, seed=1)
    return eid, idx


@pytest.fixture(scope="session")
def g_sobol(store) -> tuple[str, object]:
    eid = sa.run(store, method="sobol", factors=g_factors(), n=1024, seed=5, second_order=False, target=SOBOL_G,
                 **RUN)
    return eid, sai.analyze(store, eid, num_resamples=200, seed=2)
