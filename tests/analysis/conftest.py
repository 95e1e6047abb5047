"""Session fixtures: synthetic results stores following docs/ARCHITECTURE.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_synthetic_store import build_store


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("store") / "govsim.duckdb")


@pytest.fixture(scope="session")
def bare_store(tmp_path_factory) -> Path:
    """The same runs without sensitivity indices and network tables."""
    return build_store(tmp_path_factory.mktemp("bare") / "govsim.duckdb", with_network=False, with_sensitivity=False)
