"""Calibration with uncertainty: approximate Bayesian computation by pyabc's ABC-SMC, with the
model runs going through the project's experiment engine.

pyabc is in charge of the inference (priors, proposals, importance weights, the acceptance
threshold ε, the transition kernels); the engine is in charge of the runs (executors, the
results store, resume, failed runs). They meet in :class:`EngineSampler`, a pyabc ``Sampler``:
per generation it

1. draws a batch of proposals by calling pyabc's ``simulate_one`` against a *recording* model
   (which notes each parameter set and simulates nothing), after saving NumPy's global random
   state — where pyabc draws its proposals;
2. runs all of them as one batch of the calibration experiment through
   :func:`experiments.engine.run_batch`: each proposal in each *world* of the targets
   (:mod:`experiments.targets`), with ``replicates`` seeds;
3. restores the random state and replays ``simulate_one`` against the finished runs, which
   gives pyabc the same proposals, now with their summary statistics;

and repeats with a batch size from the acceptance rate until ``particles`` proposals are
accepted (proposals after the last one needed are run but not used, as a sequential sampler
would never have drawn them). pyabc's random state is seeded per generation from
``(seed, generation)``, run ids and seeds follow each proposal's place in its generation, not
the batch it ran in: the same seed gives the same posterior on any executor, and a calibration
run again after ``kill -9`` replays its committed runs and continues identically.

Priors are uniform over the registry's SA ranges (``sa_bounds``); the summary statistics are
the targets' model values (:func:`experiments.targets.measure_world`); the distance is the
Euclidean norm of each target's deviation scaled by its interval's half-width; ε is the
``alpha`` quantile of the last generation's distances (pyabc's ``QuantileEpsilon``) or an
explicit schedule (``ListEpsilon``). A calibration is one experiment in the store (kind
``calibration``): its runs, the generations, particles, weights and statistics
(``calibration_*`` tables), and — under ``name`` — the posterior, which scenario runs can draw
from (:func:`draw_posterior`; ``govsim compare … --posterior NAME``). After the last
generation it runs the posterior (and prior) predictive checks: ``draws`` parameter sets
resampled from the posterior (and drawn from the prior), each in the worlds of *every* target.

CLI: ``govsim calibrate`` (:func:`register_cli`); the verification by simulation-based
calibration is :mod:`experiments.sbc` (``govsim sbc``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from govsim.errors import GovsimError

from . import seeds as _seeds
from .executors import DEFAULT_MAX_ATTEMPTS
from .targets import PROJECT_TARGETS, TargetSet, TargetsFileError, check_parameters, default_parameters, \
    load_targets, worlds

__all__ = ["CALIBRATION_KIND", "CalibrationError", "EngineSampler", "calibrate", "draw_posterior", "posterior_info",
           "register_cli", "resume_calibration"]

CALIBRATION_KIND = "calibration"
WORLD_TARGET = "experiments.targets:measure_world"
DEFAULT_NAME = "default"
DEFAULT_SEED = 20261125
DEFAULT_PARTICLES = 100
DEFAULT_GENERATIONS = 8
DEFAULT_ALPHA = 0.5
DEFAULT_MIN_ACCEPTANCE = 0.05
DEFAULT_PREDICTIVE_DRAWS = 100
MAX_GENERATIONS = 30  # a cap for --until-eps
#: seed streams below the calibration seed: (stream, index) → SeedSequence(seed, spawn_key=(stream, index))
STREAM_RUNS, STREAM_PYABC, STREAM_PREDICTIVE, STREAM_PRIOR = 0, 1, 2, 3

log = logging.getLogger("experiments.calibration")


class CalibrationError(GovsimError, ValueError):
    """A calibration that cannot be run or resumed as asked (options, targets, a posterior name)."""


# ---------------------------------------------------------------------------- the problem
@dataclass(frozen=True)
class Problem:
    """What is calibrated against what: parameters with their priors, targets, worlds, scales."""

    targets: TargetSet
    parameters: tuple[str, ...]
    held: tuple[str, ...]  # fitted by hand but without a prior range: left at the default
    observed: dict[str, float]  # the calibration targets' figures (or synthetic data, for SBC)

    @property
    def calibration_targets(self) -> list[Any]:
        return self.targets.of_role("calibration")

    def priors(self) -> dict[str, tuple[float, float]]:
        from model.parameters import REGISTRY

        return {p: tuple(float(x) for x in REGISTRY[p].sa_bounds) for p in self.parameters}

    def scales(self) -> dict[str, float]:
        """Half-width of each calibration target's interval: the unit of its deviation."""
        return {t.name: (t.high - t.low) / 2.0 for t in self.calibration_targets}


def make_problem(targets: TargetSet | str | None = None, parameters: Sequence[str] | None = None, *,
                 observed: Mapping[str, float] | None = None) -> Problem:
    """The calibration problem of a targets table (default: the project's) and parameters
    (default: :func:`experiments.targets.default_parameters`)."""
    ts = targets if isinstance(targets, TargetSet) else load_targets(targets)
    cal = ts.of_role("calibration")
    if not cal:
        raise TargetsFileError(ts.source, "target", [t.name for t in ts.targets][:5],
                               "has no calibration targets", 'at least one target with role = "calibration"')
    for t in cal:
        if not t.high > t.low:
            raise TargetsFileError(ts.source, f"target ({t.name}).high", t.high,
                                   "a calibration target needs an interval of positive width (its half-width is the "
                                   "unit of its distance)", f"high > low = {t.low}")
    if parameters:
        names, held = check_parameters(list(parameters)), []
    else:
        names, held = default_parameters(ts)
    obs = {t.name: float(t.value) for t in cal}
    if observed is not None:
        missing = sorted(set(obs) - set(observed))
        if missing:
            raise CalibrationError(f"observed values lack the calibration target(s) {missing}")
        obs = {k: float(observed[k]) for k in obs}
    return Problem(ts, tuple(names), tuple(held), obs)


def problem_from_spec(spec: Mapping[str, Any]) -> Problem:
    """The :class:`Problem` recorded in a calibration's spec (for resume and for SBC)."""
    from model.targets import Target

    tlist = []
    for r in spec["targets"]:
        tlist.append(Target(name=r["name"], output=r["output"], value=r["value"], low=r["low"], high=r["high"],
                            role=r["role"], source=r["source"], meaning=r["meaning"], kind=r["kind"],
                            setting=dict(r["setting"]), schedule=tuple(tuple(c) for c in r["schedule"]),
                            window=tuple(r["window"]), horizon=int(r["horizon"])))
    src = spec["targets_source"]
    ts = TargetSet(tuple(tlist), src["source"], src.get("sha256"), src.get("description", ""),
                   tuple(spec["parameter_names"]))
    return Problem(ts, tuple(spec["parameter_names"]), tuple(spec.get("held") or ()),
                   {k: float(v) for k, v in spec["observed"].items()})


# ---------------------------------------------------------------------------- the sampler
class _RecordingModel:
    """The pyabc model: records parameter sets (``record``) or hands back finished results in
    the same order (``replay``), checking that each proposal is the one recorded."""

    def __init__(self, statistics: Sequence[str]) -> None:
        import pyabc

        self._base = pyabc.Model("govsim")
        self.name = "govsim"
        self.statistics = list(statistics)
        self.mode = "record"
        self.recorded: list[dict[str, float]] = []
        self.results: list[dict[str, float]] = []
        self.cursor = 0

    def start_recording(self) -> None:
        self.mode, self.recorded = "record", []

    def start_replay(self, results: list[dict[str, float]]) -> None:
        self.mode, self.results, self.cursor = "replay", results, 0

    def sample(self, pars: Mapping[str, float]) -> dict[str, float]:
        values = {k: float(v) for k, v in dict(pars).items()}
        if self.mode == "record":
            self.recorded.append(values)
            return {s: math.nan for s in self.statistics}
        i = self.cursor
        self.cursor += 1
        if i >= len(self.recorded) or self.recorded[i] != values:
            raise CalibrationError(
                "pyabc's proposals could not be replayed from NumPy's global random state (proposal "
                f"{i} differs from the one recorded); the calibration cannot be made reproducible")
        return dict(self.results[i])


def _pyabc_model(recorder: _RecordingModel) -> Any:
    import pyabc

    class Model(pyabc.Model):
        def sample(self, pars):  # noqa: D401 - pyabc's interface
            return recorder.sample(pars)

    return Model(recorder.name)


def _make_sampler_class() -> type:
    from pyabc.sampler import Sampler

    class _Sampler(Sampler):
        """See :class:`EngineSampler`."""

        def __init__(self, owner: EngineSampler) -> None:
            super().__init__()
            self.owner = owner

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            sample, evaluations = self.owner.sample(self._create_empty_sample, n, simulate_one, t, max_eval)
            self.nr_evaluations_ = evaluations
            return sample

    return _Sampler


@dataclass
class GenerationLog:
    """What the sampler saw of one generation (written to ``calibration_generations``)."""

    t: int
    seed: int
    started: float
    finished: float = 0.0
    proposals: int = 0
    batches: int = 0
    evaluations: int = 0
    accepted: int = 0
    proposal_of: dict[tuple, int] = field(default_factory=dict)  # accepted parameter set → proposal index


class EngineSampler:
    """A pyabc sampler that runs each generation's proposals through the experiment engine.

    ``run_proposals(t, offset, thetas)`` runs proposals ``offset …`` of generation ``t`` and
    returns their summary statistics (NaN where a run failed); ``seed`` seeds pyabc's random
    state per generation. See the module docstring for the scheme.
    """

    def __init__(self, recorder: _RecordingModel, run_proposals: Callable[[int, int, list[dict]], list[dict]], *,
                 seed: int, say: Callable[[str], None] = print, min_batch: int = 8, max_batch_factor: int = 20) -> None:
        self.recorder = recorder
        self.run_proposals = run_proposals
        self.seed = int(seed)
        self.say = say
        self.min_batch = int(min_batch)
        self.max_batch_factor = int(max_batch_factor)
        self.rate = 1.0  # acceptance rate of the last generation: sizes the first batch of the next
        self.log: dict[int, GenerationLog] = {}
        self.pyabc = _make_sampler_class()(self)

    def generation_seed(self, t: int) -> int:
        return _seeds.stream_seed(self.seed, STREAM_PYABC, t + 1)

    def _batch_size(self, n: int, accepted: int, rate: float, done: int, max_eval: float) -> int:
        need = n - accepted
        size = need if rate >= 1.0 else math.ceil(need / max(rate, 1e-3) * 1.15) + 2
        size = max(min(size, self.max_batch_factor * n), min(self.min_batch, n))
        if math.isfinite(max_eval):
            size = min(size, max(1, int(max_eval) - done))
        return int(size)

    def sample(self, make_sample: Callable[[], Any], n: int, simulate_one: Callable[[], Any], t: int,
               max_eval: float) -> tuple[Any, int]:
        saved = np.random.get_state()
        gen_seed = self.generation_seed(t)
        np.random.seed(np.random.SeedSequence(gen_seed).generate_state(4))
        info = self.log[t] = GenerationLog(t=t, seed=gen_seed, started=time.time())
        sample = make_sample()
        accepted = evaluated = done = 0
        rate = self.rate if t > 0 else 1.0
        try:
            while accepted < n and done < max_eval:
                size = self._batch_size(n, accepted, rate, done, max_eval)
                state = np.random.get_state()
                self.recorder.start_recording()
                for _ in range(size):
                    simulate_one()
                thetas = list(self.recorder.recorded)
                results = self.run_proposals(t, done, thetas)
                np.random.set_state(state)
                self.recorder.start_replay(results)
                for i in range(size):
                    particle = simulate_one()
                    sample.append(particle)
                    evaluated += 1
                    if particle.accepted:
                        accepted += 1
                        info.proposal_of[_key(particle.parameter)] = done + i
                        if accepted == n:
                            break
                done += size
                info.batches += 1
                rate = accepted / evaluated if evaluated else rate
        finally:
            np.random.set_state(saved)
        info.proposals, info.evaluations, info.accepted, info.finished = done, evaluated, accepted, time.time()
        if accepted < n:
            sample.ok = False
        else:
            self.rate = accepted / evaluated
        return sample, evaluated


def _key(params: Mapping[str, Any]) -> tuple:
    return tuple(sorted((str(k), float(v)) for k, v in dict(params).items()))


# ---------------------------------------------------------------------------- the experiment
def _code_sha() -> str:
    """sha256 of what a calibration's results depend on: the model package, the source of the
    code that measures worlds, proposes, runs and weighs (not of messages, options or the
    CLI), and the pyabc version — results of other code get a new experiment id."""
    import inspect

    from . import targets
    from .engine import code_fingerprint, future_seeds, plan_tasks, run_batch

    h = hashlib.sha256(code_fingerprint("model.run:simulate").encode())
    for obj in (targets.measure_world, targets.worlds, plan_tasks, future_seeds, run_batch, _seeds, _RecordingModel,
                EngineSampler, build_spec, problem_from_spec, _abc, _Run.run_points, _Run._read, _Run.proposals,
                draw_posterior, _prior_draws):
        h.update(inspect.getsource(obj).encode())
    h.update(_pyabc_version().encode())
    return h.hexdigest()


def _pyabc_version() -> str:
    try:
        return metadata.version("pyabc")
    except metadata.PackageNotFoundError:
        raise CalibrationError("the calibration needs pyabc (pip install 'pyabc>=0.13'; make setup installs it)") \
            from None


def _parameter_records(names: Sequence[str], fitted_to: Sequence[str]) -> list[dict[str, Any]]:
    """Each calibrated parameter: its prior, default, and the targets it is fitted to (all the
    calibration targets, jointly) next to those its default was fitted to by hand."""
    from model.parameters import REGISTRY

    out = []
    for n in names:
        p = REGISTRY[n]
        out.append({"name": n, "low": float(p.sa_bounds[0]), "high": float(p.sa_bounds[1]), "default": p.default,
                    "unit": p.unit, "meaning": p.meaning, "prior": "uniform", "prior_source": p.sa_source,
                    "fitted_to": list(fitted_to), "hand_fitted_to": p.calibrated})
    return out


def build_spec(problem: Problem, *, name: str, particles: int, generations: int | None, until_eps: float | None,
               epsilons: Sequence[float] | None, alpha: float, replicates: int, seed: int, min_acceptance: float,
               max_simulations: int | None, predictive_draws: int,
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-able spec of a calibration: everything needed to run it again identically."""
    def positive_int(label: str, v: Any, lo: int = 1) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise CalibrationError(f"{label} must be a whole number ≥ {lo}, got {v!r}")
        return int(v)

    positive_int("particles", particles, 2)
    positive_int("replicates", replicates)
    positive_int("seed", seed, 0)
    positive_int("predictive draws", predictive_draws, 0)
    if generations is not None:
        positive_int("generations", generations)
    if until_eps is not None and not (isinstance(until_eps, (int, float)) and until_eps > 0):
        raise CalibrationError(f"--until-eps must be a number > 0, got {until_eps!r}")
    if epsilons is not None:
        eps = [float(e) for e in epsilons]
        if not eps or any(not e > 0 for e in eps) or any(b > a for a, b in zip(eps, eps[1:])):
            raise CalibrationError(f"an ε schedule is a non-increasing list of numbers > 0, got {list(epsilons)}")
        if generations is not None and generations != len(eps):
            raise CalibrationError(f"{len(eps)} ε values but {generations} generations; give one or the other")
    if not 0.0 < alpha < 1.0:
        raise CalibrationError(f"alpha (the ε quantile) must be in (0, 1), got {alpha!r}")
    if not 0.0 <= min_acceptance < 1.0:
        raise CalibrationError(f"the minimum acceptance rate must be in [0, 1), got {min_acceptance!r}")
    if max_simulations is not None:
        positive_int("max simulations", max_simulations, particles)
    if generations is None and until_eps is None and epsilons is None:
        generations = DEFAULT_GENERATIONS
    ws = worlds(problem.calibration_targets)
    all_worlds = worlds(problem.targets.targets)
    ts = problem.targets
    return {
        "name": name, "kind": CALIBRATION_KIND, "target": WORLD_TARGET, "seed": int(seed),
        "targets_source": {"source": ts.source, "sha256": ts.sha256, "description": ts.description},
        "targets": ts.records(), "calibration_targets": [t.name for t in problem.calibration_targets],
        "observed": problem.observed, "scales": problem.scales(),
        "parameter_names": list(problem.parameters),
        "parameters": _parameter_records(problem.parameters, [t.name for t in problem.calibration_targets]),
        "held": list(problem.held),
        "settings": {"particles": int(particles), "generations": generations,
                     "until_eps": None if until_eps is None else float(until_eps),
                     "epsilons": None if epsilons is None else [float(e) for e in epsilons], "alpha": float(alpha),
                     "replicates": int(replicates), "min_acceptance": float(min_acceptance),
                     "max_simulations": max_simulations, "predictive_draws": int(predictive_draws)},
        "method": {"algorithm": "ABC-SMC (pyabc.ABCSMC)", "prior": "uniform over sa_bounds",
                   "distance": "Euclidean norm of (simulated - observed) / half-width over the calibration targets "
                               "(pyabc.PNormDistance, p = 2)",
                   "epsilon": ("pyabc.ListEpsilon" if epsilons is not None else
                               f"pyabc.QuantileEpsilon(alpha={alpha}), generation 0 = the prior (ε = ∞)"),
                   "acceptor": "pyabc.UniformAcceptor", "transition": "pyabc.MultivariateNormalTransition",
                   "statistic": "mean over replicates of each target's model value"},
        "worlds": {w.name: {"targets": list(w.targets), **w.spec()} for w in ws},
        "predictive_worlds": {w.name: {"targets": list(w.targets), **w.spec()} for w in all_worlds},
        "horizon": max(w.horizon for w in all_worlds),
        "extra": json.loads(json.dumps(dict(extra or {}), default=str)),
    }


def _output_rows(problem: Problem) -> list[dict[str, Any]]:
    """Output declarations of a calibration's statistics (one per target), for the store."""
    from model.outputs import OUTPUTS

    rows = []
    for t in problem.targets.targets:
        o = OUTPUTS[t.output]
        unit = "relative change" if t.kind == "relative" else o.unit
        rows.append({"name": t.name, "label": t.name.replace("_", " "), "unit": unit,
                     "meaning": f"{t.meaning} ({t.kind} of {t.output}, months {t.window[0]}-{t.window[1]})",
                     "direction": "none", "min_change": None, "relative": False, "summary": t.kind, "key": False,
                     "cost": False, "target": float(t.value)})
    return rows


def _say_default(msg: str) -> None:
    print(msg, file=sys.stderr)


def _git_info_versions() -> dict[str, Any]:
    import platform

    from .engine import _git_info, _versions

    return {"versions": {**_versions(), "pyabc": _pyabc_version()}, "git": _git_info(), "host": platform.node()}


@contextmanager
def _open_executor(executor: Any, workers: int | None, scheduler: str | None, max_attempts: int):
    """An executor kept open (its workers alive) for every batch of a calibration; one given
    open by the caller is used as it is and left open."""
    from .executors import make_executor

    if not isinstance(executor, str):
        yield executor
        return
    opts: dict[str, Any] = {"max_attempts": max_attempts, "keep_alive": True}
    if executor == "dask":
        opts["scheduler"] = scheduler
    ex = make_executor(executor, workers, **(opts if executor != "inprocess" else {}))
    try:
        yield ex
    finally:
        ex.close()


class _Run:
    """One calibration being run (or resumed) in a store."""

    def __init__(self, store: str, experiment_id: str, spec: Mapping[str, Any], problem: Problem, *,
                 executor: Any, workers: int | None, scheduler: str | None, max_attempts: int, progress: bool,
                 keep_failed: bool, say: Callable[[str], None]) -> None:
        self.store, self.experiment_id, self.spec, self.problem = store, experiment_id, spec, problem
        self.executor, self.workers, self.scheduler, self.max_attempts = executor, workers, scheduler, max_attempts
        self.progress, self.keep_failed, self.say = progress, keep_failed, say
        self.settings = spec["settings"]
        self.replicates = int(self.settings["replicates"])
        self.seed = int(spec["seed"])
        self.stats = list(spec["calibration_targets"])
        self.runs = 0
        self.mirrored: set[int] = set()

    # -- running proposals
    def _reforms(self, which: str) -> list[dict[str, Any]]:
        return [{"name": name, "params": {"world": {k: v for k, v in w.items() if k != "targets"}}, "schedule": []}
                for name, w in self.spec[which].items()]

    def run_points(self, prefix: str, seed: int, offset: int, thetas: list[dict[str, float]], which: str,
                   label: str) -> list[dict[str, float]]:
        """Run parameter sets ``offset …`` in the worlds ``which`` (``worlds`` or
        ``predictive_worlds``); their statistics, averaged over replicates (NaN where a run failed)."""
        import pandas as pd

        from .engine import run_batch

        names = list(self.spec["parameter_names"])
        frame = pd.DataFrame([[th[n] for n in names] for th in thetas], columns=names)
        run_batch(self.store, self.experiment_id, prefix=prefix, futures=frame, reforms=self._reforms(which),
                  offset=offset, replicates=self.replicates, seed=seed, horizon=int(self.spec["horizon"]),
                  target=WORLD_TARGET, executor=self.executor, workers=self.workers, progress=self.progress,
                  label=label, scheduler=self.scheduler, max_attempts=self.max_attempts, keep_failed=self.keep_failed)
        self.runs += len(thetas) * len(self.spec[which]) * self.replicates
        return self._read(prefix, offset, len(thetas), which)

    def _read(self, prefix: str, offset: int, n: int, which: str) -> list[dict[str, float]]:
        from .store import Store

        in_worlds = {t for w in self.spec[which].values() for t in w["targets"]}
        wanted = [t["name"] for t in self.spec["targets"] if t["name"] in in_worlds]
        pattern = prefix.replace("_", "\\_").replace("%", "\\%") + "%"
        with Store(self.store, read_only=True) as st, st.connection() as con:
            rows = con.execute(
                "SELECT r.design_point, s.output, avg(s.value), count(s.value) FROM runs r JOIN summaries s "
                "USING (experiment_id, run_id) WHERE r.experiment_id = ? AND r.run_id LIKE ? ESCAPE '\\' "
                "AND r.status = 'ok' AND r.design_point BETWEEN ? AND ? GROUP BY ALL",
                [self.experiment_id, pattern, offset, offset + n - 1]).fetchall()
        out = [{s: math.nan for s in wanted} for _ in range(n)]
        for point, stat, mean, count in rows:
            if stat in out[0] and count == self.replicates and mean is not None:
                out[int(point) - offset][stat] = float(mean)
        return out

    def proposals(self, t: int, offset: int, thetas: list[dict[str, float]]) -> list[dict[str, float]]:
        return self.run_points(f"g{t:02d}.", _seeds.stream_seed(self.seed, STREAM_RUNS, t + 1), offset, thetas,
                               "worlds", f"{self.spec['name']} generation {t}")

    # -- the store
    def mirror(self, history: Any, sampler: EngineSampler, upto: int | None = None) -> None:
        """Write pyabc's populations (generations ``≤ upto``) to the store's calibration tables."""
        from pyabc.weighted_statistics import effective_sample_size

        from .store import Store, now_utc

        pops = history.get_all_populations()
        pops = pops[pops["t"] >= 0]
        st = Store(self.store, hold=False)
        have = set(st.generations(self.experiment_id))
        for row in pops.itertuples(index=False):
            t = int(row.t)
            if (upto is not None and t > upto) or t in self.mirrored or (t in have and t not in sampler.log):
                continue
            self.mirrored.add(t)
            info = sampler.log.get(t)
            pop = history.get_population(t)
            particles = []
            for i, p in enumerate(pop.particles):
                k = info.proposal_of.get(_key(p.parameter), -1) if info else -1
                particles.append({"particle": i, "proposal": k, "weight": float(p.weight),
                                  "distance": float(p.distance), "parameters": dict(p.parameter),
                                  "statistics": {s: float(v) for s, v in p.sum_stat.items()}})
            w = np.array([p["weight"] for p in particles])
            gen = {"generation": t, "epsilon": float(row.epsilon), "particles": len(particles),
                   "simulations": int(row.samples), "acceptance_rate": len(particles) / max(int(row.samples), 1),
                   "ess": float(effective_sample_size(w)), "proposals": info.proposals if info else None,
                   "batches": info.batches if info else None, "seed": info.seed if info else None,
                   "started": _ts(info.started) if info else None,
                   "finished": _ts(info.finished) if info else now_utc(),
                   "seconds": (info.finished - info.started) if info else None}
            st.write_generation(self.experiment_id, gen, particles)
            if info:
                self.say(f"generation {t}: ε = {gen['epsilon']:.4g}, {len(particles)} accepted of "
                         f"{gen['simulations']} proposals ({gen['acceptance_rate']:.0%}), "
                         f"{gen['seconds']:.0f} s")


def _ts(seconds: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)


def _abc(problem: Problem, spec: Mapping[str, Any], sampler: EngineSampler, recorder: _RecordingModel) -> Any:
    import pyabc

    for name in ("ABC", "pyabc", "Sampler", "History", "Epsilon", "Distance", "Acceptor", "Transitions"):
        logging.getLogger(name).setLevel(logging.WARNING)
    prior = pyabc.Distribution(**{p: pyabc.RV("uniform", lo, hi - lo) for p, (lo, hi) in problem.priors().items()})
    scales = spec["scales"]
    distance = pyabc.PNormDistance(p=2, fixed_weights={k: 1.0 / scales[k] for k in spec["calibration_targets"]})
    s = spec["settings"]
    eps = (pyabc.ListEpsilon(s["epsilons"]) if s["epsilons"] is not None else
           pyabc.QuantileEpsilon(initial_epsilon=math.inf, alpha=s["alpha"]))
    return pyabc.ABCSMC(_pyabc_model(recorder), prior, distance, population_size=int(s["particles"]),
                        sampler=sampler.pyabc, eps=eps, acceptor=pyabc.UniformAcceptor())


def _run(store: str, experiment_id: str, spec: Mapping[str, Any], *, executor: Any, workers: int | None,
         scheduler: str | None, max_attempts: int, progress: bool, keep_failed: bool, save_as: str | None,
         say: Callable[[str], None]) -> None:
    from .store import Store, now_utc

    problem = problem_from_spec(spec)
    s = spec["settings"]
    t0 = time.time()
    with _open_executor(executor, workers, scheduler, max_attempts) as ex:
        run = _Run(store, experiment_id, spec, problem, executor=ex, workers=workers, scheduler=scheduler,
                   max_attempts=max_attempts, progress=progress, keep_failed=keep_failed, say=say)
        recorder = _RecordingModel(spec["calibration_targets"])
        sampler = EngineSampler(recorder, run.proposals, seed=int(spec["seed"]), say=say)
        abc = _abc(problem, spec, sampler, recorder)
        history = abc.new("sqlite://", {k: float(spec["observed"][k]) for k in spec["calibration_targets"]})
        orig = sampler.sample

        def sample_and_mirror(make_sample, n, simulate_one, t, max_eval):
            if t > 0:
                run.mirror(history, sampler, upto=t - 1)
            return orig(make_sample, n, simulate_one, t, max_eval)

        sampler.sample = sample_and_mirror  # type: ignore[method-assign]
        if s["epsilons"] is not None:
            gens = len(s["epsilons"])
        else:
            gens = s["generations"] if s["generations"] is not None else MAX_GENERATIONS
        with warnings.catch_warnings():  # pyabc compares ε = ∞ of the prior generation with the next (∞ − ∞)
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"pyabc\.")
            abc.run(minimum_epsilon=s["until_eps"] or 0.0, max_nr_populations=gens,
                    min_acceptance_rate=s["min_acceptance"],
                    max_total_nr_simulations=s["max_simulations"] or np.inf)
        run.mirror(history, sampler)
        final = int(history.max_t)
        stopped = _why_stopped(history, sampler, s, gens, final)
        say(f"stopped: {stopped}")
        if final < 0:
            raise CalibrationError(f"calibration {experiment_id}: not even the first generation was accepted "
                                   f"(acceptance below {s['min_acceptance']:.0%}); widen the targets' intervals or "
                                   "lower --min-acceptance")
        draws = int(s["predictive_draws"])
        if draws:
            say(f"predictive checks: {draws} posterior and {draws} prior draws in {len(spec['predictive_worlds'])} "
                "worlds")
            post = draw_posterior(store, n=draws, seed=_seeds.stream_seed(int(spec["seed"]), STREAM_PREDICTIVE, 0),
                                  experiment_id=experiment_id, generation=final)[0]
            run.run_points("post.", _seeds.stream_seed(int(spec["seed"]), STREAM_PREDICTIVE, 1), 0,
                           post.to_dict("records"), "predictive_worlds", f"{spec['name']} posterior predictive")
            prior = _prior_draws(problem, draws, _seeds.stream_seed(int(spec["seed"]), STREAM_PRIOR, 0))
            run.run_points("prior.", _seeds.stream_seed(int(spec["seed"]), STREAM_PREDICTIVE, 1), 0,
                           prior.to_dict("records"), "predictive_worlds", f"{spec['name']} prior predictive")
    st = Store(store, hold=False)
    exp = st.experiment(experiment_id)
    manifest = dict(exp["manifest"])
    gens_done = st.generations(experiment_id)
    manifest.update(finished=now_utc().isoformat(), final_generation=final, generations=len(gens_done),
                    last_session_seconds=round(time.time() - t0, 1), stopped=stopped)
    with st.connection() as con:
        sims = con.execute("SELECT sum(simulations), sum(proposals) FROM calibration_generations "
                           "WHERE experiment_id = ?", [experiment_id]).fetchone()
        counts = dict(con.execute("SELECT status, count(*) FROM runs WHERE experiment_id = ? GROUP BY status",
                                  [experiment_id]).fetchall())
    manifest.update(simulations=int(sims[0] or 0), proposals_run=int(sims[1] or 0), runs_ok=counts.get("ok", 0),
                    runs_failed=counts.get("failed", 0), planned_runs=sum(counts.values()))
    st.update_manifest(experiment_id, manifest, status="done")
    if save_as:
        before = st.save_posterior(save_as, experiment_id, final, int(s["particles"]))
        say(f"posterior saved as {save_as!r} (generation {final} of {experiment_id})"
            + (f"; it was {before}" if before else ""))


def _why_stopped(history: Any, sampler: EngineSampler, s: Mapping[str, Any], gens: int, final: int) -> str:
    """Why pyabc stopped, in words (for the log and the manifest)."""
    last = max(sampler.log) if sampler.log else final
    if last > final:
        info = sampler.log[last]
        return (f"generation {last} would have accepted fewer than {s['particles']} particles within "
                f"{info.proposals} proposals (acceptance below {s['min_acceptance']:.0%}); it is not kept, the "
                f"posterior is generation {final}")
    eps = float(history.get_all_populations().set_index("t").loc[final, "epsilon"]) if final >= 0 else math.inf
    if s["until_eps"] is not None and eps <= s["until_eps"]:
        return f"ε = {eps:.4g} ≤ {s['until_eps']:g} at generation {final}"
    if final + 1 >= gens:
        return f"{final + 1} generations done (ε = {eps:.4g})"
    info = sampler.log.get(final)
    if info and info.evaluations and info.accepted / info.evaluations < s["min_acceptance"]:
        return (f"the acceptance rate of generation {final} ({info.accepted / info.evaluations:.1%}) fell below "
                f"{s['min_acceptance']:.0%}")
    return f"the limit of {s['max_simulations']} proposals was reached at generation {final}"


def _prior_draws(problem: Problem, n: int, seed: int) -> Any:
    import pandas as pd

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    pri = problem.priors()
    return pd.DataFrame({p: rng.uniform(lo, hi, size=n) for p, (lo, hi) in pri.items()})[list(problem.parameters)]


def calibrate(store: str, *, targets: TargetSet | str | None = None, parameters: Sequence[str] | None = None,
              particles: int = DEFAULT_PARTICLES, generations: int | None = None, until_eps: float | None = None,
              epsilons: Sequence[float] | None = None, alpha: float = DEFAULT_ALPHA, replicates: int = 1,
              seed: int = DEFAULT_SEED, name: str = DEFAULT_NAME, save: bool = True,
              min_acceptance: float = DEFAULT_MIN_ACCEPTANCE, max_simulations: int | None = None,
              predictive_draws: int = DEFAULT_PREDICTIVE_DRAWS, observed: Mapping[str, float] | None = None,
              executor: Any = "processes", workers: int | None = None, scheduler: str | None = None,
              max_attempts: int = DEFAULT_MAX_ATTEMPTS, progress: bool = True, keep_failed: bool = False,
              spec_extra: Mapping[str, Any] | None = None, say: Callable[[str], None] = _say_default) -> str:
    """Calibrate the parameters against the calibration targets; returns the experiment id.

    ``targets``: a :class:`~experiments.targets.TargetSet`, a targets file, or ``None`` for the
    project's table; ``parameters``: names (default: those hand-fitted to the targets, with a
    prior range). Stops after ``generations`` (default 8 unless ``until_eps`` or ``epsilons``
    say otherwise), once ε ≤ ``until_eps``, after an explicit ε schedule ``epsilons``, or when
    the acceptance rate falls below ``min_acceptance`` (that generation is not kept). Each
    proposal runs ``replicates`` seeds per world. ``save`` names the posterior ``name`` in the
    store. ``observed`` replaces the targets' figures (synthetic data, for SBC). The same
    arguments and code give the same experiment id: a calibration that is complete is returned
    at once, an interrupted one continues where it stopped.
    """
    from .engine import experiment_id_for
    from .store import Store, dumps, now_utc

    problem = make_problem(targets, parameters, observed=observed)
    spec = build_spec(problem, name=name, particles=particles, generations=generations, until_eps=until_eps,
                      epsilons=epsilons, alpha=alpha, replicates=replicates, seed=seed, min_acceptance=min_acceptance,
                      max_simulations=max_simulations, predictive_draws=predictive_draws, extra=spec_extra)
    # the spec as the store gives it back (keys sorted): a first run and a resumed one see the
    # statistics in one order, so even the last bit of every distance agrees
    spec = json.loads(dumps(spec))
    code = _code_sha()
    eid = experiment_id_for(f"calibration-{name}", spec, code)
    st = Store(store, hold=False)
    existing = st.experiment(eid)
    if existing is None:
        manifest = {**_git_info_versions(), "code_sha256": code, "target": WORLD_TARGET,
                    "started": now_utc().isoformat(),
                    "seed_tree": {"entropy": int(seed), "generator": "numpy.random.SeedSequence",
                                  "rule": "runs of generation t: SeedSequence(seed, spawn_key=(0, t + 1)), proposal k, "
                                          "replicate r -> .spawn(..)[k].spawn(replicates)[r] (one seed for all worlds "
                                          "of a proposal); pyabc's random state per generation: "
                                          "SeedSequence(seed, spawn_key=(1, t + 1)); predictive runs: "
                                          "spawn_key (2, 1), posterior draws (2, 0), prior draws (3, 0)"},
                    "held_at_default": list(problem.held)}
        st.create_experiment(experiment_id=eid, name=name, kind=CALIBRATION_KIND, target=WORLD_TARGET, seed=seed,
                             horizon=int(spec["horizon"]), spec=spec, manifest=manifest,
                             outputs=_output_rows(problem))
    elif existing["status"] == "done":
        say(f"calibration {eid} is complete in {store}")
        if save:
            before = st.save_posterior(name, eid, max(st.generations(eid)), int(particles))
            if before:
                say(f"posterior {name!r} now points to {eid} (it was {before})")
        return eid
    else:
        say(f"continuing calibration {eid}: its committed runs are replayed, the rest are run")
    if problem.held:
        say(f"left at their defaults (no prior range): {', '.join(problem.held)}")
    _run(str(store), eid, spec, executor=executor, workers=workers, scheduler=scheduler, max_attempts=max_attempts,
         progress=progress, keep_failed=keep_failed, save_as=name if save else None, say=say)
    return eid


def resume_calibration(store: str, experiment_id: str, *, executor: str = "processes", workers: int | None = None,
                       scheduler: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS, progress: bool = True,
                       keep_failed: bool = False, say: Callable[[str], None] = _say_default) -> str:
    """Continue the calibration ``experiment_id`` (after ``kill -9``, Ctrl-C or SIGTERM)."""
    from .store import Store

    st = Store(store, hold=False)
    exp = st.experiment(experiment_id)
    if exp is None or exp["kind"] != CALIBRATION_KIND:
        raise CalibrationError(f"{experiment_id} is not a calibration in {store}")
    if exp["manifest"].get("code_sha256") != _code_sha():
        raise CalibrationError(f"the model or calibration code changed since {experiment_id} started; its runs would "
                               "mix model versions (start a new calibration instead)")
    spec = exp["spec"]
    if exp["status"] == "done":
        say(f"calibration {experiment_id} is complete")
        return experiment_id
    save_as = spec["name"] if not (spec.get("extra") or {}).get("sbc") else None
    _run(str(store), experiment_id, spec, executor=executor, workers=workers, scheduler=scheduler,
         max_attempts=max_attempts, progress=progress, keep_failed=keep_failed, save_as=save_as, say=say)
    return experiment_id


# ---------------------------------------------------------------------------- posteriors
def posterior_info(store: str, name: str) -> dict[str, Any]:
    """The saved posterior ``name`` (experiment id, generation, particles) or
    :class:`CalibrationError` listing the names the store has."""
    from pathlib import Path

    from .store import Store

    if not Path(store).exists():
        raise CalibrationError(f"no results store at {store}, so no posterior {name!r}; run govsim calibrate first")
    with Store(store, read_only=True) as st:
        info = st.posterior(name)
        names = st.posterior_names() if info is None else []
    if info is None:
        known = ", ".join(names) if names else "none yet (run govsim calibrate)"
        raise CalibrationError(f"{store}: no posterior named {name!r}; saved posteriors: {known}")
    return info


def draw_posterior(store: str, name: str | None = None, *, n: int, seed: int, experiment_id: str | None = None,
                   generation: int | None = None) -> tuple[Any, dict[str, Any]]:
    """``n`` parameter sets resampled (with replacement, by weight) from the posterior saved as
    ``name`` — or from ``generation`` of ``experiment_id`` — with a generator seeded by ``seed``;
    returns the DataFrame (one row per draw) and where it came from."""
    import pandas as pd

    from .store import Store

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise CalibrationError(f"the number of draws must be a whole number ≥ 1, got {n!r}")
    if experiment_id is None:
        info = posterior_info(store, name or DEFAULT_NAME)
        experiment_id, generation = info["experiment_id"], int(info["generation"])
    with Store(store, read_only=True) as st:
        ids, weights, values = st.particles(experiment_id, int(generation))
    if not ids:
        raise CalibrationError(f"calibration {experiment_id} has no particles in generation {generation}")
    w = np.asarray(weights, dtype=float)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    picks = rng.choice(len(ids), size=n, replace=True, p=w / w.sum())
    frame = pd.DataFrame({k: np.asarray(v)[picks] for k, v in values.items()})
    source = {"posterior": name, "experiment_id": experiment_id, "generation": int(generation), "draws": int(n),
              "seed": int(seed), "particles": [int(ids[i]) for i in picks]}
    return frame, source


# ---------------------------------------------------------------------------- CLI
def _cmd_calibrate(a: argparse.Namespace) -> int:
    from .cli import CLIError, _exec_kwargs

    kw = _exec_kwargs(a)
    if a.generations is not None and a.until_eps is not None:
        raise CLIError("give --generations or --until-eps, not both")
    params = [p.strip() for p in a.parameters.split(",") if p.strip()] if a.parameters else None
    epsilons = None
    if a.epsilons:
        try:
            epsilons = [float(x) for x in a.epsilons.split(",")]
        except ValueError:
            raise CLIError(f"--epsilons {a.epsilons!r}: expected numbers separated by commas, e.g. 4,2,1") from None
    if a.resume:
        eid = _resolve(a.store, a.resume)
        resume_calibration(a.store, eid, executor=kw["executor"], workers=kw["workers"], scheduler=kw["scheduler"],
                           max_attempts=kw["max_attempts"], progress=kw["progress"], keep_failed=kw["keep_failed"])
    else:
        eid = calibrate(a.store, targets=a.targets, parameters=params, particles=a.particles,
                        generations=a.generations, until_eps=a.until_eps, epsilons=epsilons, alpha=a.alpha,
                        replicates=a.replicates, seed=a.seed, name=a.name, min_acceptance=a.min_acceptance,
                        max_simulations=a.max_simulations, predictive_draws=a.draws, executor=kw["executor"],
                        workers=kw["workers"], scheduler=kw["scheduler"], max_attempts=kw["max_attempts"],
                        progress=kw["progress"], keep_failed=kw["keep_failed"])
    print(eid)
    return 0


def _resolve(store: str, prefix: str) -> str:
    from pathlib import Path

    from .store import Store, StoreError

    if not Path(store).exists():
        raise CalibrationError(f"no results store at {store}")
    with Store(store, read_only=True) as st:
        try:
            return st.resolve(prefix)
        except StoreError as err:
            raise CalibrationError(str(err)) from None


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``govsim calibrate`` (and ``govsim sbc``) to the CLI."""
    from .cli import _exec_opts, _store_opt

    p = sub.add_parser(
        "calibrate", help="calibrate parameters to the targets by ABC-SMC (pyabc), with held-out validation",
        description="Approximate Bayesian computation (pyabc's ABC-SMC) of the parameters fitted to the calibration "
                    "targets (default: the project's table, model/targets.py), priors uniform over their SA ranges; "
                    "the model runs go through the experiment engine (executors, store, resume). The posterior is "
                    "saved under --name for 'govsim compare … --posterior NAME'; posterior and prior predictive checks "
                    "run every target, the held-out (validation) ones included. Running the same command again "
                    "continues an interrupted calibration. See docs/CALIBRATION.md.")
    p.add_argument("--targets", default=None, metavar="FILE",
                   help=f"a TOML targets file (format: targets/README.md; default: {PROJECT_TARGETS})")
    p.add_argument("--parameters", default=None, metavar="A,B,…",
                   help="parameters to calibrate (default: the file's, else those hand-fitted to the targets)")
    p.add_argument("--particles", type=int, default=DEFAULT_PARTICLES, metavar="N",
                   help=f"accepted particles per generation (default {DEFAULT_PARTICLES})")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--generations", type=int, default=None, metavar="G",
                   help=f"generations, the prior sample included (default {DEFAULT_GENERATIONS})")
    g.add_argument("--until-eps", type=float, default=None, metavar="E",
                   help=f"stop once ε ≤ E (at most {MAX_GENERATIONS} generations)")
    g.add_argument("--epsilons", default=None, metavar="E0,E1,…", help="an explicit, non-increasing ε schedule")
    p.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, metavar="Q",
                   help="ε of the next generation = this quantile of the last one's distances "
                        f"(default {DEFAULT_ALPHA})")
    p.add_argument("--replicates", type=int, default=1, metavar="R", help="seeds per proposal and world (default 1)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                   help=f"calibration seed (default {DEFAULT_SEED})")
    p.add_argument("--name", default=DEFAULT_NAME, help=f"the posterior's name in the store (default {DEFAULT_NAME!r})")
    p.add_argument("--min-acceptance", type=float, default=DEFAULT_MIN_ACCEPTANCE, metavar="RATE",
                   help="stop when a generation's acceptance rate would fall below RATE "
                        f"(default {DEFAULT_MIN_ACCEPTANCE})")
    p.add_argument("--max-simulations", type=int, default=None, metavar="N", help="stop after N proposals in all")
    p.add_argument("--draws", type=int, default=DEFAULT_PREDICTIVE_DRAWS, metavar="D",
                   help="posterior (and prior) draws of the predictive checks "
                        f"(default {DEFAULT_PREDICTIVE_DRAWS}; 0: none)")
    p.add_argument("--resume", default=None, metavar="ID", help="continue the calibration with this id (or prefix)")
    _store_opt(p)
    _exec_opts(p)
    p.set_defaults(func=_cmd_calibrate)
    from .sbc import register_cli as register_sbc

    register_sbc(sub)
