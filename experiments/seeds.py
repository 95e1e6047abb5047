"""Seeds: one experiment seed → a :class:`numpy.random.SeedSequence` tree → one seed per run.

Scheme (recorded in every experiment's manifest as ``seed_tree``):

* scenario sets (``run``, ``compare``, ``main``): ``SeedSequence(seed).spawn(replicates)``;
  replicate ``r`` of *every* scenario gets child ``r`` — common random numbers.
* designs: by default the same rule (replicate ``r`` of every design point shares a seed,
  so differences between points are not blurred by different draws); with
  ``crn=False`` each design point ``i`` gets child ``i`` of the root and replicate ``r``
  of it gets grandchild ``r``.

A run seed is the first 64-bit word of the child's state shifted right by one bit, so it
fits a signed 64-bit integer (pandas, DuckDB, JSON) and is a plain Python ``int``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["replicate_seeds", "design_seeds", "point_seeds", "seed_of", "seed_tree", "stream_seed"]


def seed_of(ss: np.random.SeedSequence) -> int:
    """The integer run seed carried by one node of the tree."""
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Seeds of replicates ``0..replicates-1``; shared by every scenario (CRN)."""
    return [seed_of(c) for c in np.random.SeedSequence(seed).spawn(replicates)]


def design_seeds(seed: int, n_points: int, replicates: int, *, crn: bool = True) -> list[list[int]]:
    """``seeds[point][replicate]`` for a design."""
    if crn:
        reps = replicate_seeds(seed, replicates)
        return [list(reps) for _ in range(n_points)]
    return point_seeds(seed, 0, n_points, replicates)


def point_seeds(seed: int, first: int, n_points: int, replicates: int) -> list[list[int]]:
    """``seeds[i][replicate]`` of points ``first .. first + n_points - 1`` under the rule
    ``SeedSequence(seed).spawn(...)[point].spawn(replicates)[r]``, without spawning the
    points before ``first``: a point's seeds do not depend on which batch it is run in."""
    return [[seed_of(g) for g in np.random.SeedSequence(seed, spawn_key=(i,)).spawn(replicates)]
            for i in range(first, first + n_points)]


def stream_seed(seed: int, *path: int) -> int:
    """The run seed at ``path`` below ``seed`` in the tree: ``SeedSequence(seed, spawn_key=path)``,
    i.e. ``SeedSequence(seed).spawn(..)[path[0]].spawn(..)[path[1]]…``."""
    return seed_of(np.random.SeedSequence(seed, spawn_key=tuple(int(p) for p in path)))


def seed_tree(seed: int, replicates: int, *, n_points: int | None = None, crn: bool = True,
              limit: int = 64) -> dict:
    """A JSON-able description of the seed tree for the manifest (lists cut at ``limit``)."""
    out: dict = {
        "entropy": int(seed),
        "generator": "numpy.random.SeedSequence",
        "rule": ("SeedSequence(seed).spawn(replicates)[r] -> run seed; shared by all scenarios/points (CRN)"
                 if crn or n_points is None else
                 "SeedSequence(seed).spawn(n_points)[i].spawn(replicates)[r] -> run seed"),
        "run_seed": "generate_state(1, uint64)[0] >> 1",
        "replicates": int(replicates),
        "crn": bool(crn),
    }
    if crn or n_points is None:
        out["replicate_seeds"] = replicate_seeds(seed, min(replicates, limit))
    else:
        out["n_points"] = int(n_points)
        out["point_seeds_head"] = design_seeds(seed, min(n_points, 8), min(replicates, 8), crn=False)
    return out
