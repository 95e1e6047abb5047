"""Search over levers: which settings meet the requirements at least cost, across futures.

A many-objective search (Optuna's NSGA-II, Deb et al. 2002) over policy levers. A *candidate*
is the base reform (a scenario file, default ``baseline``) with the chosen levers switched to
the candidate's values from month ``month`` on. The search runs in generations of
``population`` candidates: Optuna proposes them (ask); the experiment engine runs every
candidate of the generation in every future × replicate as one experiment of kind
``search`` (:func:`experiments.engine.run_futures`: resumable, crash safe, on every
executor); the mean of each objective and requirement output over futures and replicates
goes back to Optuna (tell). All generations share the futures and their seeds, so every
candidate meets the same futures and the same random numbers (common random numbers): the
comparison between candidates is one of levers, not of noise. Generation 0 also runs the
base reform unchanged (``reference``).

Objectives are outputs to minimise or maximise; requirements are conditions on an output's
mean that an accepted candidate must meet (``quit_rate_annual <= 0.15``), handled by NSGA-II
as constraints (a candidate that violates one is dominated by every one that does not).

Running the same search again replays it: the sampler is seeded, so it proposes the same
candidates, the engine finds their runs in the store, and only what is missing runs. The
analysis (the Pareto front, its figure and table) is :mod:`analysis.search`, which reads
the store only.

Python API::

    from experiments import search
    name = search.run("results/govsim.duckdb", name="cheap-retention",
                      levers=["pay_member=1400:3000", "pay_staff=2000:4000", "social_insurance"],
                      minimize=["wage_bill"], maximize=["satisfied_share"],
                      require=["quit_rate_annual <= 0.12"], population=12, generations=5,
                      n_futures=10, replicates=2, seed=1)

CLI: ``govsim search {plan,run,analyze}`` (see :func:`register_cli`).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govsim.errors import GovsimError

from .executors import DEFAULT_MAX_ATTEMPTS
from .futures import FactorSelection, FuturesProvider
from .sensitivity_design import _did_you_mean

__all__ = ["Lever", "Requirement", "SearchError", "SearchSpec", "parse_lever", "parse_requirement", "plan",
           "register_cli", "run"]

MODEL_TARGET = "model.run:simulate"
KIND = "search"
REFERENCE = "reference"
STEPS = 100  # a float lever takes one of STEPS + 1 evenly spaced values (readable settings)
_OPS = ("<=", ">=", "<", ">")


class SearchError(GovsimError, ValueError):
    """A lever search that cannot be run as asked."""


# ------------------------------------------------------------------------------ levers and requirements
@dataclass(frozen=True)
class Lever:
    """A lever the search sets: a float or int range, a yes/no switch or a list of choices."""

    name: str
    type: str  # "float", "int", "bool" or "choice"
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()

    def to_record(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "low": self.low, "high": self.high,
                "choices": list(self.choices)}

    def suggest(self, trial: Any) -> Any:
        """The candidate's value, from an Optuna trial."""
        if self.type == "float":
            step = (self.high - self.low) / STEPS
            return float(trial.suggest_float(self.name, self.low, self.high, step=step))
        if self.type == "int":
            return int(trial.suggest_int(self.name, int(self.low), int(self.high)))
        return trial.suggest_categorical(self.name, list(self.choices))

    def describe(self) -> str:
        if self.type in ("float", "int"):
            return f"{self.name} in [{self.low:g}, {self.high:g}]"
        return f"{self.name} one of {', '.join(map(str, self.choices))}"


def parse_lever(text: str, *, target: str = MODEL_TARGET) -> Lever:
    """``NAME`` (the registry's plausible range or choices), ``NAME=LOW:HIGH`` or
    ``NAME=a|b|c``. For the model only policy levers are accepted; for another target the
    range must be given."""
    name, sep, spec = (s.strip() for s in str(text).partition("="))
    if not re.fullmatch(r"[A-Za-z_]\w*", name or ""):
        raise SearchError(f"--lever {text!r}: expected NAME, NAME=LOW:HIGH or NAME=a|b|c")
    p = None
    if target == MODEL_TARGET:
        from model.parameters import REGISTRY

        if name not in REGISTRY:
            raise SearchError(f"--lever {name!r} is not a model parameter{_did_you_mean(name, REGISTRY)}")
        p = REGISTRY[name]
        if p.kind != "policy":
            raise SearchError(f"--lever {name!r} is a {p.kind} parameter; levers are the policy parameters "
                              "(see 'govsim list' or docs/ODD.md)")
    if sep and "|" in spec:
        choices = tuple(c.strip() for c in spec.split("|") if c.strip())
        if len(choices) < 2:
            raise SearchError(f"--lever {text!r}: give at least two choices, e.g. {name}=a|b")
        if p is not None:
            choices = tuple(_model_value(p, c, text) for c in choices)
        return Lever(name, "choice", choices=choices)
    if sep:
        try:
            low, high = (float(v) for v in spec.split(":"))
        except ValueError:
            raise SearchError(f"--lever {text!r}: expected NAME=LOW:HIGH (two numbers) or NAME=a|b|c") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise SearchError(f"--lever {text!r}: the range needs LOW < HIGH, both finite")
        kind = "int" if p is not None and p.type == "int" else "float"
        if p is not None:
            if p.type not in ("float", "int"):
                raise SearchError(f"--lever {text!r}: {name} is a {p.type} parameter; give it without a range "
                                  "or as NAME=a|b")
            _model_value(p, low, text)
            _model_value(p, high, text)
        return Lever(name, kind, low, high)
    if p is None:
        raise SearchError(f"--lever {text!r}: give its range (NAME=LOW:HIGH) or choices (NAME=a|b); only the "
                          "model's registry knows ranges")
    if p.type == "bool":
        return Lever(name, "bool", choices=(False, True))
    if p.type == "choice":
        return Lever(name, "choice", choices=tuple(p.choices))
    rng = p.sa_bounds or p.bounds
    if rng is None or not all(math.isfinite(float(v)) for v in rng):
        raise SearchError(f"--lever {name!r} declares no range; give one as {name}=LOW:HIGH")
    return Lever(name, p.type, float(rng[0]), float(rng[1]))


def _model_value(p: Any, value: Any, text: str) -> Any:
    from model.parameters import ParameterError, validate_value

    try:
        return validate_value(p.name, value)
    except ParameterError as err:
        raise SearchError(f"--lever {text!r}: {err}") from None


@dataclass(frozen=True)
class Requirement:
    """``output op value`` on the output's mean over futures and replicates."""

    output: str
    op: str
    value: float

    def violation(self, mean: float) -> float:
        """≤ 0 when met; how far it is missed otherwise (Optuna's constraint convention)."""
        if not math.isfinite(mean):
            return math.inf
        return mean - self.value if self.op in ("<=", "<") else self.value - mean

    def met(self, mean: float) -> bool:
        return {"<=": mean <= self.value, "<": mean < self.value, ">=": mean >= self.value,
                ">": mean > self.value}[self.op]

    def __str__(self) -> str:
        return f"{self.output} {self.op} {self.value:g}"


def parse_requirement(text: str) -> Requirement:
    """``OUTPUT OP NUMBER`` with OP one of <=, >=, <, >; a trailing % divides by 100."""
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(%?)\s*",
                     str(text))
    if not m:
        raise SearchError(f"--require {text!r}: expected OUTPUT OP NUMBER, e.g. 'quit_rate_annual <= 0.15' "
                          "or 'satisfied_share >= 40%'")
    value = float(m.group(3)) / (100.0 if m.group(4) else 1.0)
    return Requirement(m.group(1), m.group(2), value)


@dataclass(frozen=True)
class SearchSpec:
    """What a search is: the part of its settings that names it (the same spec resumes)."""

    name: str
    base: str
    month: int
    levers: tuple[Lever, ...]
    minimize: tuple[str, ...]
    maximize: tuple[str, ...]
    require: tuple[Requirement, ...]
    population: int
    seed: int
    futures: dict[str, Any] = field(default_factory=dict)

    @property
    def objectives(self) -> list[tuple[str, str]]:
        return [(o, "minimize") for o in self.minimize] + [(o, "maximize") for o in self.maximize]

    def to_record(self) -> dict[str, Any]:
        return {"name": self.name, "base": self.base, "month": self.month,
                "levers": [lv.to_record() for lv in self.levers], "minimize": list(self.minimize),
                "maximize": list(self.maximize), "require": [[r.output, r.op, r.value] for r in self.require],
                "population": self.population, "seed": self.seed, "futures": self.futures}


def _check_outputs(names: Sequence[str], target: str, function: Callable[..., Any] | None) -> None:
    from .worker import load_target, output_metadata

    declared = output_metadata(function if function is not None else load_target(target))
    if not declared:
        return  # a target that declares no outputs: a missing one makes its candidates fail instead
    known = {d["name"] for d in declared}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SearchError(f"output {unknown[0]!r} is not an output of {target}{_did_you_mean(unknown[0], known)}")


def _candidate(base: Any, levers: Sequence[Lever], values: Mapping[str, Any], month: int, name: str) -> dict:
    """The base reform with the levers switched to ``values`` from ``month`` (a change the base
    already schedules for one of these levers is replaced)."""
    bname, params, schedule = ((base["name"], base.get("params") or {}, base.get("schedule") or [])
                               if isinstance(base, Mapping) else (base.name, base.params, base.schedule))
    set_here = {lv.name for lv in levers}
    kept = [list(c) for c in schedule if c[1] not in set_here]
    changes = [[int(month), lv.name, values[lv.name]] for lv in levers]
    parts = ", ".join(f"{lv.name} = {_fmt(values[lv.name])}" for lv in levers)
    return {"name": name, "params": dict(params), "schedule": kept + changes,
            "title": f"{parts} (from month {month})", "description": f"{bname} with {parts} from month {month}"}


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


# ------------------------------------------------------------------------------ running
def _sampler(spec: SearchSpec) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.samplers.NSGAIISampler(population_size=spec.population, seed=spec.seed)


def _means(store: Any, experiment_id: str) -> dict[str, dict[str, float]]:
    """Per candidate (the run's scenario): the mean of every output over its successful runs,
    and how many there were (``_runs``)."""
    from .store import Store

    st = store if isinstance(store, Store) else Store(store, read_only=True)
    try:
        with st.connection() as con:
            rows = con.execute(
                "SELECT r.scenario, s.output, avg(s.value), count(*) FROM runs r JOIN summaries s "
                "ON r.experiment_id = s.experiment_id AND r.run_id = s.run_id "
                "WHERE r.experiment_id = ? AND r.status = 'ok' GROUP BY 1, 2", [experiment_id]).fetchall()
    finally:
        if st is not store:
            st.close()
    out: dict[str, dict[str, float]] = {}
    for scenario, output, mean, n in rows:
        d = out.setdefault(scenario, {"_runs": 0.0})
        d[output] = float(mean) if mean is not None else math.nan
        d["_runs"] = max(d["_runs"], float(n))
    return out


def run(store: Any, *, name: str, levers: Sequence[str | Lever], minimize: Sequence[str] = (),
        maximize: Sequence[str] = (), require: Sequence[str | Requirement] = (), base: str | Mapping = "baseline",
        month: int = 24, population: int = 12, generations: int = 5, seed: int = 1,
        futures: FuturesProvider | str | None = None, n_futures: int | None = 10, futures_seed: int = 1,
        selection: FactorSelection | None = None, replicates: int = 2, horizon: int = 120,
        base_params: Mapping[str, Any] | None = None, target: str | Callable[..., Any] = MODEL_TARGET,
        executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS, timeseries_every: int = 0, progress: bool = True,
        scenario_dir: str | None = None, keep_failed: bool = False,
        on_generation: Callable[[int, str], None] | None = None) -> str:
    """Run (or resume) the search ``name``; returns the name. Each generation is an experiment
    of kind ``search`` in the store; see the module docstring."""
    import optuna

    from .engine import normalise_target, run_futures
    from .robustness import _provider, load_reforms

    spec = _spec(name=name, levers=levers, minimize=minimize, maximize=maximize, require=require, base=base,
                 month=month, population=population, generations=generations, seed=seed, target=target)
    target_name, function = normalise_target(target)
    _check_outputs([o for o, _ in spec.objectives] + [r.output for r in spec.require], target_name, function)
    base_reform = load_reforms([base], scenario_dir=scenario_dir)[0]
    prov = _provider(futures, n_futures=n_futures, futures_seed=futures_seed, selection=selection, store=str(store))
    table = prov.futures()
    clash = sorted({lv.name for lv in spec.levers} & set(map(str, table.columns)))
    if clash:
        raise SearchError(f"lever(s) {clash} are also varied by the futures; a lever is set by the search, a "
                          "future's factor by the ensemble — leave them out of the futures (--exclude)")
    spec = SearchSpec(**{**spec.__dict__, "futures": prov.describe()})
    if month > horizon:
        raise SearchError(f"the levers switch on at month {month}, after the horizon of {horizon} months; "
                          "run longer (--horizon) or switch earlier (--month)")
    study = optuna.create_study(directions=[d for _, d in spec.objectives], sampler=_sampler(spec))
    for g in range(generations):
        trials = [study.ask() for _ in range(spec.population)]
        values = [{lv.name: lv.suggest(t) for lv in spec.levers} for t in trials]
        reforms = [_candidate(base_reform, spec.levers, v, spec.month, f"g{g:02d}c{i:02d}")
                   for i, v in enumerate(values)]
        if g == 0:
            ref = base_reform
            reforms.insert(0, {"name": REFERENCE, "params": ref.params if not isinstance(ref, Mapping) else
                               ref.get("params") or {}, "schedule": ref.schedule if not isinstance(ref, Mapping)
                               else ref.get("schedule") or [], "title": "the base reform, levers unchanged",
                               "description": f"{spec.base} as it is"})
        extra = {"search": spec.to_record(), "generation": g}
        eid = run_futures(store, name=f"{spec.name}/g{g:02d}", futures=table, reforms=reforms,
                          base_params=base_params, replicates=replicates, seed=seed, horizon=horizon,
                          target=target, executor=executor, workers=workers, kind=KIND,
                          timeseries_every=timeseries_every, progress=progress, spec_extra=extra,
                          scheduler=scheduler, max_attempts=max_attempts, keep_failed=keep_failed)
        means = _means(store, eid)
        for t, r in zip(trials, reforms[1:] if g == 0 else reforms, strict=True):
            m = means.get(r["name"])
            if not m or not m.get("_runs"):
                study.tell(t, state=optuna.trial.TrialState.FAIL)
                continue
            for req in spec.require:  # NSGA-II ranks a candidate that misses one below all that meet them
                t.set_constraint(str(req), req.violation(m.get(req.output, math.nan)))
            study.tell(t, [m.get(o, math.nan) for o, _ in spec.objectives])
        if on_generation is not None:
            on_generation(g, eid)
    return spec.name


def _spec(*, name: str, levers: Sequence[str | Lever], minimize: Sequence[str], maximize: Sequence[str],
          require: Sequence[str | Requirement], base: str | Mapping, month: int, population: int,
          generations: int, seed: int, target: Any) -> SearchSpec:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
        raise SearchError(f"search name {name!r} is not usable; letters, digits, '_', '-' and '.'")
    tname = target if isinstance(target, str) else MODEL_TARGET if target is None else "callable"
    lv = tuple(x if isinstance(x, Lever) else parse_lever(x, target=tname) for x in levers)
    if not lv:
        raise SearchError("no levers given; name at least one (--lever NAME or NAME=LOW:HIGH)")
    names = [x.name for x in lv]
    if len(set(names)) != len(names):
        raise SearchError(f"a lever is given twice: {names}")
    if not (list(minimize) + list(maximize)):
        raise SearchError("no objective given; say what to --minimize and/or --maximize (e.g. --minimize wage_bill)")
    both = sorted(set(minimize) & set(maximize))
    if both:
        raise SearchError(f"{both[0]!r} is both minimised and maximised")
    req = tuple(r if isinstance(r, Requirement) else parse_requirement(r) for r in require)
    for what, v, lo in (("population", population, 4), ("generations", generations, 1), ("month", month, 0),
                        ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise SearchError(f"--{what} must be a whole number ≥ {lo}, got {v!r}")
    bname = base if isinstance(base, str) else str(base.get("name"))
    return SearchSpec(name=name, base=bname, month=month, levers=lv, minimize=tuple(minimize),
                      maximize=tuple(maximize), require=req, population=population, seed=seed)


def plan(*, levers: Sequence[str], minimize: Sequence[str] = (), maximize: Sequence[str] = (),
         require: Sequence[str] = (), base: str = "baseline", month: int = 24, population: int = 12,
         generations: int = 5, futures: str | None = None, n_futures: int | None = 10, futures_seed: int = 1,
         selection: FactorSelection | None = None, replicates: int = 2, scenario_dir: str | None = None,
         store: str | None = None) -> dict[str, Any]:
    """What :func:`run` would run, without running it."""
    from .robustness import _provider, load_reforms

    spec = _spec(name="plan", levers=levers, minimize=minimize, maximize=maximize, require=require, base=base,
                 month=month, population=population, generations=generations, seed=0, target=MODEL_TARGET)
    _check_outputs([o for o, _ in spec.objectives] + [r.output for r in spec.require], MODEL_TARGET, None)
    load_reforms([base], scenario_dir=scenario_dir)
    prov = _provider(futures, n_futures=n_futures, futures_seed=futures_seed, selection=selection, store=store)
    n = len(prov.futures())
    candidates = population * generations + 1
    return {"spec": spec, "futures": prov.describe(), "n_futures": n, "candidates": candidates,
            "runs": candidates * n * replicates}


# ------------------------------------------------------------------------------ CLI
def _analyze(a: argparse.Namespace, name: str) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from analysis.search import analyze, summary_markdown, write_search
    from analysis.style import check_formats

    formats = check_formats([f for f in a.formats.split(",") if f.strip()])
    res = analyze(a.store, name)
    out = Path(a.out) if a.out else Path(a.store).resolve().parent / "search" / name
    files = write_search(res, out, formats=formats)
    print(summary_markdown(res))
    print(f"\nwritten to {out}: " + ", ".join(sorted(p.name for p in files)), file=sys.stderr)
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    from .robustness import _futures_args, _store_arg

    g = p.add_argument_group("search")
    g.add_argument("--lever", action="append", dest="levers", default=[], metavar="NAME[=LOW:HIGH|a|b]",
                   help="a policy lever to set (repeatable): NAME takes the registry's plausible range or "
                        "choices, NAME=LOW:HIGH or NAME=a|b|c your own")
    g.add_argument("--minimize", action="append", default=[], metavar="OUTPUT", help="an objective to minimise")
    g.add_argument("--maximize", action="append", default=[], metavar="OUTPUT", help="an objective to maximise")
    g.add_argument("--require", action="append", default=[], metavar="'OUTPUT OP VALUE'",
                   help="a requirement on an output's mean over futures (repeatable), e.g. "
                        "'quit_rate_annual <= 0.15'")
    g.add_argument("--base", default="baseline", metavar="SCENARIO",
                   help="the reform the levers are added to (default baseline)")
    g.add_argument("--month", type=int, default=24, help="month the levers switch on (default 24)")
    g.add_argument("--population", type=int, default=12, help="candidates per generation (default 12)")
    g.add_argument("--generations", type=int, default=5, help="generations (default 5)")
    g.add_argument("--replicates", type=int, default=2, help="replicates per candidate and future (default 2)")
    _futures_args(p)
    p.set_defaults(n_futures=10)
    _store_arg(p)


def _cmd_plan(a: argparse.Namespace) -> int:
    from .robustness import _selection

    pl = plan(levers=a.levers, minimize=a.minimize, maximize=a.maximize, require=a.require, base=a.base,
              month=a.month, population=a.population, generations=a.generations, futures=a.futures,
              n_futures=a.n_futures, futures_seed=a.futures_seed, selection=_selection(a),
              replicates=a.replicates, scenario_dir=a.scenario_dir, store=a.store)
    spec = pl["spec"]
    print(f"base: {spec.base}; levers switch on at month {spec.month}:")
    for lv in spec.levers:
        print(f"  {lv.describe()}")
    print("objectives: " + ", ".join(f"{d} {o}" for o, d in spec.objectives))
    if spec.require:
        print("requirements: " + "; ".join(map(str, spec.require)))
    print(f"futures: {pl['futures'].get('provider')} ({pl['n_futures']} futures)")
    print(f"{pl['candidates']} candidates ({a.generations} generations of {a.population}, and the base) × "
          f"{pl['n_futures']} futures × {a.replicates} replicates = {pl['runs']} runs")
    return 0


def _cmd_run(a: argparse.Namespace) -> int:
    from .cli import _exec_kwargs
    from .robustness import _parse_base, _selection

    def say(g: int, eid: str) -> None:
        print(f"generation {g}: {eid}", file=sys.stderr)

    name = run(a.store, name=a.name, levers=a.levers, minimize=a.minimize, maximize=a.maximize,
               require=a.require, base=a.base, month=a.month, population=a.population,
               generations=a.generations, seed=a.seed, futures=a.futures, n_futures=a.n_futures,
               futures_seed=a.futures_seed, selection=_selection(a), replicates=a.replicates, horizon=a.horizon,
               base_params=_parse_base(a.base_param), timeseries_every=a.timeseries_every,
               scenario_dir=a.scenario_dir, on_generation=say, **_exec_kwargs(a))
    return _analyze(a, name) if a.analyze else 0


def _cmd_analyze(a: argparse.Namespace) -> int:
    return _analyze(a, a.name)


def _out_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the front table, summary.md and figures (default results/search/<name>)")
    p.add_argument("--formats", default="png,pdf,svg", metavar="LIST", help="figure formats (default png,pdf,svg)")


def register_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``search`` (plan, run, analyze) to a subparsers object; errors are
    :class:`SearchError` (one line, exit code 2 through the ``govsim`` handler)."""
    from .cli import _exec_opts

    p = subparsers.add_parser(
        "search", help="which lever settings meet requirements at least cost across futures (NSGA-II)",
        description="Search policy levers with NSGA-II for settings that meet requirements at least cost, each "
                    "candidate run over the futures ensemble with common random numbers; report the Pareto front.")
    sub = p.add_subparsers(dest="search_command", metavar="{plan,run,analyze}")
    sub.required = True

    q = sub.add_parser("plan", help="show levers, objectives, futures and run count; runs nothing",
                       description="Show the levers and their ranges, objectives, requirements and run count.")
    _common(q)
    q.set_defaults(func=_cmd_plan)

    r = sub.add_parser("run", help="run the search (resumable: the same command continues it), then analyse",
                       description="Run the search generation by generation; running the same command again "
                                   "resumes it (the seeded sampler proposes the same candidates and the store "
                                   "holds their runs). Then write the Pareto front.")
    r.add_argument("name", help="the search's name (it names its experiments: NAME/g00, NAME/g01, ...)")
    _common(r)
    g = r.add_argument_group("experiment")
    g.add_argument("--seed", type=int, default=1, help="seed of the sampler and of the runs (default 1)")
    g.add_argument("--horizon", type=int, default=120, metavar="MONTHS")
    g.add_argument("--base-param", action="append", metavar="NAME=VALUE",
                   help="fixed parameter overrides for every run (e.g. a smaller world)")
    g.add_argument("--timeseries-every", type=int, default=0, metavar="K",
                   help="store every K-th month of the series (default 0: summaries only)")
    g.add_argument("--no-analyze", dest="analyze", action="store_false", help="run only")
    _out_args(r)
    _exec_opts(r)
    r.set_defaults(func=_cmd_run)

    z = sub.add_parser("analyze", help="the Pareto front of a search (reads the store only)",
                       description="Read the search's generations from the store and write the feasible Pareto "
                                   "front (table, summary.md, figure).")
    z.add_argument("name", help="the search's name")
    _out_args(z)
    from .robustness import _store_arg

    _store_arg(z)
    z.set_defaults(func=_cmd_analyze)
    return p

