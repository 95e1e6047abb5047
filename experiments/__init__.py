"""Experiments: scenarios, designs, seeds, executors, the results store and the CLI.

Notebook API (imported lazily, so importing the package has no side effects)::

    from experiments import run_scenarios, run_design, resume, open_store, load_scenario
    eid = run_scenarios("results/govsim.duckdb", ["baseline", "pay_raise"], replicates=10)
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_scenarios", "run_design", "resume", "open_store", "load_scenario", "load_scenarios"]

_LAZY = {
    "run_scenarios": ("experiments.engine", "run_scenarios"),
    "run_design": ("experiments.engine", "run_design"),
    "resume": ("experiments.engine", "resume"),
    "open_store": ("experiments.store", "open_store"),
    "load_scenario": ("experiments.scenarios", "load_scenario"),
    "load_scenarios": ("experiments.scenarios", "load_many"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
