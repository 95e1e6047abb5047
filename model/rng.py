"""Named random streams from one run seed (common random numbers).

Each process draws only from its own stream, spawned from the run's ``SeedSequence`` in a
fixed order. A policy that changes what one process does therefore cannot shift the draws of
any other process. New streams are appended at the end so existing ones keep their seeds.
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "structure",  # community sizes, households, urban/rural, facilities
    "network",  # resident social ties
    "residents",  # initial resident attributes
    "cadres",  # initial cadres
    "admin",  # administrative tasks pushed down
    "services",  # who is served
    "attitudes",  # (reserved: attitudes are deterministic given services and consultations)
    "participation",  # who takes part, volunteering
    "workforce",  # quits, recruitment, hires' attributes
    "budget",  # project arrivals
    "organisations",  # social organisations entering and their ties
    "restructure",  # mergers and re-gridding
    "migration",  # rural out-migration
    "panel",  # the residents of the recorded agent panel
)


def seed_to_int(seed: int | np.integer) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def make_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent ``Generator`` per named stream, all derived from ``seed``."""
    children = np.random.SeedSequence(seed_to_int(seed)).spawn(len(STREAMS))
    return {name: np.random.Generator(np.random.PCG64(ss)) for name, ss in zip(STREAMS, children)}
