"""Session fixtures: sensitivity experiments of the analytic functions, run once through the
engine (in-process executor) into one scratch results store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sa_helpers, also under xdist

from analysis import sensitivity as sai  # noqa: E402
from experiments import sensitivity as sa  # noqa: E402
from sa_helpers import ISHIGAMI, RUN, SOBOL_G, g_factors, ishigami_factors  # noqa: E402


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
