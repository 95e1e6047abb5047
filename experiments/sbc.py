"""Verification of the calibration machinery by simulation-based calibration (SBC).

For ``truths`` parameter sets θ* drawn from the prior, the model simulates data at θ* in the
calibration worlds (through the engine, seeded), the calibration (:func:`experiments.calibration.calibrate`)
is run against those synthetic data, and the analysis (:mod:`analysis.calibration`) checks that
the nominal 90 % posterior intervals cover θ* about 90 % of the time (exact binomial test).

ABC with a uniform kernel of radius ε is exact for a model whose data carry an error uniform
within the ε-ball (Wilkinson 2013). So the synthetic data are the model's statistics at θ*
plus such an error, with ε the last of an explicit ε schedule, which the calibration then
follows: the check is exact for that generative model, and tests everything between pyabc's
proposals and the posterior — the recording and replay of proposals, the batches through the
engine, seeds, weights — rather than the size of ε.

One SBC is one experiment in the store (kind ``sbc``): its runs are the synthetic data (run ids
``truth.…``); its spec holds the truths, its manifest the synthetic data and the id of each
truth's calibration (kind ``calibration``, ``spec.extra.sbc`` = the SBC's id). Running the same
command again continues an interrupted SBC.

CLI: ``govsim sbc`` (default problem: ``targets/sbc.toml``).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import seeds as _seeds
from .executors import DEFAULT_MAX_ATTEMPTS

__all__ = ["DEFAULT_EPSILONS", "SBC_KIND", "SBC_TARGETS", "resume_sbc", "run_sbc", "uniform_ball"]

SBC_KIND = "sbc"
SBC_TARGETS = str(Path(__file__).resolve().parent.parent / "targets" / "sbc.toml")
DEFAULT_TRUTHS = 20
DEFAULT_PARTICLES = 100
DEFAULT_EPSILONS = (6.0, 4.0, 3.0, 2.2, 1.6, 1.2)
DEFAULT_SEED = 20261126
STREAM_TRUTHS, STREAM_DATA, STREAM_ERROR, STREAM_CALIBRATION = 5, 6, 7, 8


def _say(msg: str) -> None:
    print(msg, file=sys.stderr)


def uniform_ball(rng: np.random.Generator, dim: int, radius: float) -> np.ndarray:
    """A point uniformly distributed in the ``dim``-dimensional ball of ``radius``."""
    z = rng.standard_normal(dim)
    return z / np.linalg.norm(z) * radius * rng.uniform() ** (1.0 / dim)


def _spec(problem: Any, *, name: str, truths: int, particles: int, epsilons: Sequence[float], replicates: int,
          seed: int) -> dict[str, Any]:
    from .calibration import CalibrationError, build_spec

    if isinstance(truths, bool) or not isinstance(truths, int) or truths < 2:
        raise CalibrationError(f"an SBC needs at least 2 truths, got {truths!r}")
    base = build_spec(problem, name=name, particles=particles, generations=None, until_eps=None,
                      epsilons=list(epsilons), alpha=0.5, replicates=replicates, seed=seed, min_acceptance=0.0,
                      max_simulations=None, predictive_draws=0)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM_TRUTHS,)))
    pri = problem.priors()
    rows = [[float(rng.uniform(*pri[p])) for p in problem.parameters] for _ in range(truths)]
    return {**{k: base[k] for k in ("targets", "targets_source", "calibration_targets", "scales", "parameter_names",
                                      "parameters", "settings", "method", "worlds", "horizon")},
            "name": name, "kind": SBC_KIND, "seed": int(seed), "truths": {"columns": list(problem.parameters),
                                                                          "rows": rows},
            "error": f"uniform in the ball of radius ε = {epsilons[-1]:g} of the scaled Euclidean distance "
                     "(Wilkinson 2013)", "level": 0.9}


def run_sbc(store: str, *, targets: str | None = None, parameters: Sequence[str] | None = None,
            truths: int = DEFAULT_TRUTHS, particles: int = DEFAULT_PARTICLES,
            epsilons: Sequence[float] = DEFAULT_EPSILONS, replicates: int = 1, seed: int = DEFAULT_SEED,
            name: str = "sbc", executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
            max_attempts: int = DEFAULT_MAX_ATTEMPTS, progress: bool = True, keep_failed: bool = False,
            say: Callable[[str], None] = _say) -> str:
    """Run (or continue) a simulation-based calibration; returns its experiment id."""
    import pandas as pd

    from .calibration import WORLD_TARGET, _code_sha, _git_info_versions, _open_executor, calibrate, make_problem
    from .engine import experiment_id_for, run_batch
    from .store import Store, now_utc

    problem = make_problem(targets or SBC_TARGETS, parameters)
    spec = _spec(problem, name=name, truths=truths, particles=particles, epsilons=epsilons, replicates=replicates,
                 seed=seed)
    eid = experiment_id_for(f"sbc-{name}", spec, _code_sha())
    st = Store(store, hold=False)
    exp = st.experiment(eid)
    if exp is not None and exp["status"] == "done":
        say(f"SBC {eid} is complete in {store}")
        return eid
    if exp is None:
        st.create_experiment(experiment_id=eid, name=name, kind=SBC_KIND, target=WORLD_TARGET, seed=seed,
                             horizon=int(spec["horizon"]), spec=spec,
                             manifest={**_git_info_versions(), "code_sha256": _code_sha(),
                                       "started": now_utc().isoformat()})
    names = spec["truths"]["columns"]
    frame = pd.DataFrame(spec["truths"]["rows"], columns=names)
    reforms = [{"name": w, "params": {"world": {k: v for k, v in d.items() if k != "targets"}}, "schedule": []}
               for w, d in spec["worlds"].items()]
    with _open_executor(executor, workers, scheduler, max_attempts) as ex:
        say(f"SBC {eid}: synthetic data at {truths} truths drawn from the prior")
        run_batch(store, eid, prefix="truth.", futures=frame, reforms=reforms, replicates=replicates,
                  seed=_seeds.stream_seed(seed, STREAM_DATA), horizon=int(spec["horizon"]),
                  target=WORLD_TARGET, executor=ex, workers=workers, progress=progress,
                  label=f"{name} synthetic data", max_attempts=max_attempts, keep_failed=keep_failed)
        data = _read_truth_stats(st, eid, truths, spec["calibration_targets"], replicates)
        scales = spec["scales"]
        stats = list(spec["calibration_targets"])
        observed = []
        for i in range(truths):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM_ERROR, i)))
            e = uniform_ball(rng, len(stats), float(epsilons[-1]))
            observed.append({s: data[i][s] + scales[s] * float(e[j]) for j, s in enumerate(stats)})
        calibrations = []
        for i in range(truths):
            if any(not math.isfinite(v) for v in observed[i].values()):
                say(f"truth {i}: its synthetic data failed to run; left out")
                calibrations.append(None)
                continue
            say(f"truth {i + 1} of {truths}")
            cid = calibrate(store, targets=problem.targets, parameters=problem.parameters, particles=particles,
                            epsilons=epsilons, replicates=replicates,
                            seed=_seeds.stream_seed(seed, STREAM_CALIBRATION, i), name=f"{name}-truth-{i:02d}",
                            save=False, min_acceptance=0.0, predictive_draws=0, observed=observed[i], executor=ex,
                            workers=workers, scheduler=scheduler, max_attempts=max_attempts, progress=progress,
                            keep_failed=keep_failed,
                            spec_extra={"sbc": eid, "truth": i,
                                        "truth_parameters": dict(zip(names, spec["truths"]["rows"][i]))},
                            say=lambda m: None)
            calibrations.append(cid)
    exp = st.experiment(eid)
    manifest = dict(exp["manifest"])
    manifest.update(finished=now_utc().isoformat(), synthetic=data, observed=observed, calibrations=calibrations)
    st.update_manifest(eid, manifest, status="done")
    say(f"SBC {eid}: {sum(c is not None for c in calibrations)} calibrations done")
    return eid


def _read_truth_stats(st: Any, eid: str, n: int, stats: Sequence[str], replicates: int) -> list[dict[str, float]]:
    out = [{s: math.nan for s in stats} for _ in range(n)]
    with st.connection() as con:
        rows = con.execute("SELECT r.design_point, s.output, avg(s.value), count(*) FROM runs r JOIN summaries s "
                           "USING (experiment_id, run_id) WHERE r.experiment_id = ? AND r.run_id LIKE 'truth.%' "
                           "AND r.status = 'ok' GROUP BY ALL", [eid]).fetchall()
    for point, stat, mean, count in rows:
        if stat in out[0] and count == replicates:
            out[int(point)][stat] = float(mean)
    return out


def resume_sbc(store: str, experiment_id: str, *, executor: str = "processes", workers: int | None = None,
               scheduler: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS, progress: bool = True,
               keep_failed: bool = False, say: Callable[[str], None] = _say) -> str:
    """Continue the SBC ``experiment_id`` (its settings are read from the store)."""
    from .calibration import CalibrationError, problem_from_spec
    from .store import Store

    exp = Store(store, hold=False).experiment(experiment_id)
    if exp is None or exp["kind"] != SBC_KIND:
        raise CalibrationError(f"{experiment_id} is not an SBC in {store}")
    spec = exp["spec"]
    problem = problem_from_spec({**spec, "observed": {}, "held": []})
    s = spec["settings"]
    eid = run_sbc(store, targets=problem.targets, parameters=problem.parameters, truths=len(spec["truths"]["rows"]),
                  particles=int(s["particles"]), epsilons=s["epsilons"], replicates=int(s["replicates"]),
                  seed=int(spec["seed"]), name=spec["name"], executor=executor, workers=workers, scheduler=scheduler,
                  max_attempts=max_attempts, progress=progress, keep_failed=keep_failed, say=say)
    if eid != experiment_id:
        raise CalibrationError(f"the code changed since {experiment_id} started; start a new SBC instead")
    return eid


def _cmd_sbc(a: argparse.Namespace) -> int:
    from .cli import CLIError, _exec_kwargs

    kw = _exec_kwargs(a)
    try:
        eps = [float(x) for x in a.epsilons.split(",")]
    except ValueError:
        raise CLIError(f"--epsilons {a.epsilons!r}: expected numbers separated by commas, e.g. 4,2,1") from None
    params = [p.strip() for p in a.parameters.split(",") if p.strip()] if a.parameters else None
    eid = run_sbc(a.store, targets=a.targets, parameters=params, truths=a.truths, particles=a.particles,
                  epsilons=eps, replicates=a.replicates, seed=a.seed, name=a.name, **kw)
    print(eid)
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``govsim sbc``."""
    from .cli import _exec_opts, _store_opt

    p = sub.add_parser(
        "sbc", help="verify the calibration by simulation-based calibration (synthetic truths from the prior)",
        description="Draw TRUTHS parameter sets from the prior, simulate data at each (plus an error uniform in the "
                    "last ε-ball), calibrate against each, and keep everything in the store; 'govsim report ID' "
                    "shows the coverage of the 90 % posterior intervals with an exact binomial test. Default "
                    "problem: targets/sbc.toml (two parameters, one small community).")
    p.add_argument("--targets", default=None, metavar="FILE", help="the problem (default targets/sbc.toml)")
    p.add_argument("--parameters", default=None, metavar="A,B,…", help="parameters (default: the file's)")
    p.add_argument("--truths", type=int, default=DEFAULT_TRUTHS, metavar="N",
                   help=f"synthetic truths (default {DEFAULT_TRUTHS})")
    p.add_argument("--particles", type=int, default=DEFAULT_PARTICLES, metavar="N",
                   help=f"particles per generation (default {DEFAULT_PARTICLES})")
    p.add_argument("--epsilons", default=",".join(f"{e:g}" for e in DEFAULT_EPSILONS), metavar="E0,E1,…",
                   help="the ε schedule; its last value is the radius of the data's error "
                        f"(default {','.join(f'{e:g}' for e in DEFAULT_EPSILONS)})")
    p.add_argument("--replicates", type=int, default=1, metavar="R", help="seeds per proposal (default 1)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S", help=f"SBC seed (default {DEFAULT_SEED})")
    p.add_argument("--name", default="sbc", help="name of the SBC (default 'sbc')")
    _store_opt(p)
    _exec_opts(p)
    p.set_defaults(func=_cmd_sbc)
