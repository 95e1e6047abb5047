"""Fixtures for the experiment-engine tests: a seeded stand-in target and scratch stores."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TOY = "govsim_toy:simulate"

if str(HERE) not in sys.path:  # the stand-in target must be importable by name
    sys.path.insert(0, str(HERE))


@pytest.fixture
def toy_env(monkeypatch):
    """Environment for subprocesses (CLI, dask workers) that must import the stand-in target."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    return env
