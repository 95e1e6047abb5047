import pytest

from model.run import simulate


@pytest.fixture(scope="session")
def baseline_run():
    """The default street (5 communities, ≈2,000 residents), 120 months, seed 11."""
    return simulate(seed=11, horizon=120)
