"""A bridge to EMA Workbench: the model as an EMA ``ReplicatorModel``, scenario files as policies.

EMA Workbench is an optional extra (``pip install -e ".[ema]"``); nothing else in the project
imports it. The bridge is for users who drive their exploratory modelling from EMA's
samplers, optimisers and analysis; the project's own robustness and discovery commands do
the same work on the project's engine and store (resumable, on common random numbers).

* :func:`build_model` — an ``ema_workbench.ReplicatorModel`` from the parameter registry,
  each parameter in the role its ``kind`` gives it:

  - ``uncertainty`` (and, when named, ``structural`` quantities with a plausible range, such
    as the population's make-up) → EMA *uncertainties* (float, int, bool and categorical,
    each over its plausible range: declared ``sa_bounds`` or a range the user gives — the
    rule of :mod:`experiments.futures`);
  - ``policy`` → EMA *levers* (over a given range, else ``sa_bounds``, else the validity
    ``bounds``: a lever may take any valid value);
  - ``mechanism`` switches are model structure: neither uncertainties nor levers, but fixed
    for an experiment through ``base_params`` (EMA constants), like the world's size.

  Outcomes per output — ``<output>``: the mean of its run summary over the replications (a
  scalar outcome whose kind is the output's declared direction: higher → MAXIMIZE, lower →
  MINIMIZE, none → INFO), ``<output>_replicates``: the summary of each replication — and
  time-series outcomes ``<output>_series`` (replication × month).
  Fixed overrides (e.g. a smaller world) and the horizon are EMA constants.
* Seeds by replication: replication ``r`` runs with seed ``replicate_seeds(seed, R)[r]`` —
  the engine's replicate seeds — so every scenario and policy of an EMA experiment shares
  replicate ``r``'s seed (common random numbers), and the engine reproduces any EMA
  experiment exactly (``run_futures(..., seed_scope="shared")``; tested).
* Policies from scenario files: :func:`scenario_policy` turns a scenario whose changes all
  switch on at one month into an EMA policy (a ``Sample`` of lever values); the model
  applies its levers as scheduled changes at ``policy_month`` (month 0: from the start).

Example::

    from ema_workbench import SequentialEvaluator, perform_experiments
    from experiments.ema import build_model, scenario_policies

    model = build_model(uncertainties=["tasks_per_household", "gamma0"], scenarios=["pay_raise"],
                        outputs=["satisfied_share", "turnover_annual"], series=["participation_rate"],
                        horizon=120, replications=2, seed=1)
    with SequentialEvaluator(model) as ev:
        experiments, outcomes = ev.perform_experiments(scenarios=50,
                                                       policies=scenario_policies(["baseline", "pay_raise"]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from govsim.errors import GovsimError

from .futures import FactorSelection, FuturesError, futures_problem

__all__ = ["LEVER_KINDS", "REPLICATION_SEED", "UNCERTAINTY_KINDS", "EMAError", "build_model", "run_for_ema",
           "scenario_policies", "scenario_policy"]

REPLICATION_SEED = "seed"
_HORIZON, _MONTH, _LEVERS, _OUTPUTS, _SERIES = ("govsim_horizon", "govsim_policy_month", "govsim_levers",
                                                "govsim_outputs", "govsim_series")
SERIES_SUFFIX = "_series"
REPLICATES_SUFFIX = "_replicates"


class EMAError(GovsimError, ValueError):
    """The EMA bridge cannot be built as asked (extra missing, names, ranges, scenarios)."""


def _ema():
    try:
        import ema_workbench
    except ImportError as err:
        raise EMAError("EMA Workbench is not installed; it is an optional extra: pip install -e \".[ema]\"") from err
    return ema_workbench


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v


def run_for_ema(**kwargs: Any) -> dict[str, Any]:
    """The function EMA calls once per replication: uncertainties, levers, constants and the
    replication's seed as keyword arguments; returns the outcomes by name."""
    from model.run import simulate

    horizon = int(kwargs.pop(_HORIZON))
    month = int(kwargs.pop(_MONTH))
    levers = list(kwargs.pop(_LEVERS))
    outputs = list(kwargs.pop(_OUTPUTS))
    series = list(kwargs.pop(_SERIES))
    seed = int(kwargs.pop(REPLICATION_SEED))
    values = {k: _plain(v) for k, v in kwargs.items()}
    params = {k: v for k, v in values.items() if k not in levers}
    chosen = [(name, values[name]) for name in levers if name in values]
    if month == 0:
        params.update(chosen)
        schedule: list[tuple[int, str, Any]] = []
    else:
        schedule = [(month, name, v) for name, v in chosen]
    res = simulate(params, seed=seed, horizon=horizon, schedule=schedule)
    out: dict[str, Any] = {o: res.summary[o] for o in outputs}
    for o in series:
        out[o + SERIES_SUFFIX] = res.timeseries[o]
    return out


UNCERTAINTY_KINDS = ("uncertainty", "structural")  # registry kinds that may be EMA uncertainties
LEVER_KINDS = ("policy",)  # registry kinds that may be EMA levers


def _role(kind: str) -> str:
    return {"uncertainty": "an uncertainty", "policy": "a policy lever", "structural": "a structural parameter",
            "mechanism": "a mechanism switch (model structure)"}.get(kind, f"of kind {kind!r}")


def _where(kind: str) -> str:
    """Where a parameter of ``kind`` goes in :func:`build_model`."""
    if kind in LEVER_KINDS:
        return "give it in levers= (or through a scenario)"
    if kind in UNCERTAINTY_KINDS:
        return "give it in uncertainties="
    return "fix it for the whole experiment in base_params="


def _parameter(ema, name: str, *, rng: Sequence[float] | None, lever: bool) -> Any:
    from model.parameters import REGISTRY

    p = REGISTRY[name]
    if p.type == "bool":
        return ema.BooleanParameter(name)
    if p.type == "choice":
        return ema.CategoricalParameter(name, list(p.choices))
    bounds = rng if rng is not None else (p.sa_bounds or (p.bounds if lever else None))
    if bounds is None:
        raise EMAError(f"parameter {name!r} has no plausible range (sa_bounds); "
                       f"give one in ranges={{{name!r}: (lo, hi)}}")
    lo, hi = bounds
    if p.type == "int":
        return ema.IntegerParameter(name, int(lo), int(hi))
    return ema.RealParameter(name, float(lo), float(hi))


def _mean(values: Any) -> float:
    import numpy as np

    return float(np.mean(np.asarray(values, dtype=float)))


def _outcomes(ema, name: str) -> list[Any]:
    """The replicate mean as a scalar outcome and the per-replication values as
    ``<name>_replicates``. The scalar's kind is the output's declared direction: ``higher``
    → MAXIMIZE, ``lower`` → MINIMIZE, ``none`` (descriptive) → INFO."""
    from model.outputs import OUTPUTS

    kind = {"higher": ema.ScalarOutcome.MAXIMIZE, "lower": ema.ScalarOutcome.MINIMIZE}.get(
        OUTPUTS[name].direction, ema.ScalarOutcome.INFO)
    return [ema.ScalarOutcome(name, variable_name=name, function=_mean, kind=kind),
            ema.ArrayOutcome(name + REPLICATES_SUFFIX, variable_name=name)]


def _load(scenarios: Sequence[Any], scenario_dir: str | None) -> list[Any]:
    from .scenarios import Scenario, load_reform

    return [s if isinstance(s, Scenario) else load_reform(s, directory=scenario_dir) for s in scenarios]


def _policy_month(loaded: Sequence[Any]) -> int | None:
    months = {m for s in loaded for m, _, _ in s.schedule}
    if len(months) > 1:
        raise EMAError(f"the scenarios switch levers on at different months {sorted(months)}; an EMA policy is "
                       "one set of lever values from one month")
    return months.pop() if months else None


def scenario_policy(scenario: Any, *, scenario_dir: str | None = None, base_params: Mapping[str, Any] | None = None
                    ) -> Any:
    """An EMA policy (``ema_workbench.Sample`` named after the scenario) holding the values the
    scenario file switches on. The scenario may change levers at one month only and may not set
    ``[params]`` beyond ``base_params``; build the model with the same month
    (:func:`build_model` ``scenarios=``)."""
    ema = _ema()
    (sc,) = _load([scenario], scenario_dir)
    extra = {k: v for k, v in sc.params.items() if (base_params or {}).get(k, object()) != v}
    if extra:
        raise EMAError(f"scenario {sc.name!r} sets [params] {sorted(extra)} from month 0; an EMA policy carries "
                       "levers only (give them as base_params of the model)")
    _policy_month([sc])
    return ema.Sample(name=sc.name, **{n: v for _, n, v in sc.schedule})


def scenario_policies(scenarios: Sequence[Any], *, scenario_dir: str | None = None,
                      base_params: Mapping[str, Any] | None = None) -> list[Any]:
    """:func:`scenario_policy` for each scenario (names, paths, ``a+b`` combinations)."""
    return [scenario_policy(s, scenario_dir=scenario_dir, base_params=base_params) for s in scenarios]


def build_model(*, name: str = "govsim", uncertainties: FactorSelection | Sequence[str] | None = None,
                ranges: Mapping[str, Sequence[float]] | None = None, levers: Sequence[str] = (),
                scenarios: Sequence[Any] = (), policy_month: int | None = None,
                outputs: Sequence[str] | None = None, series: Sequence[str] = (), horizon: int = 120,
                base_params: Mapping[str, Any] | None = None, replications: int = 1, seed: int = 1,
                scenario_dir: str | None = None) -> Any:
    """An EMA ``ReplicatorModel`` running :func:`model.run.simulate` (see the module docstring).

    ``uncertainties``: registry names (or a :class:`FactorSelection`; default every
    ``uncertainty``) of kind ``uncertainty`` or ``structural``, each needing ``sa_bounds`` or
    an entry in ``ranges``. ``levers``: parameters of kind ``policy``; ``scenarios`` adds the
    levers those scenario files change and, unless ``policy_month`` is given, their month.
    Mechanism switches go in ``base_params`` only. ``outputs`` (default: the key outputs) become
    scalar outcomes, ``series`` time-series outcomes named ``<output>_series``.
    ``replications`` runs per experiment with the engine's replicate seeds from ``seed``.
    """
    ema = _ema()
    from model.outputs import output_names
    from model.parameters import REGISTRY, validate_value

    from .seeds import replicate_seeds

    if not name.isidentifier():
        raise EMAError(f"model name {name!r} must be a Python identifier (EMA Workbench 3 requires it)")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise EMAError(f"replications must be a whole number ≥ 1, got {replications!r}")
    ranges = dict(ranges or {})
    sel = uncertainties if isinstance(uncertainties, FactorSelection) else FactorSelection(
        factors=tuple(uncertainties or ()), ranges={k: v for k, v in ranges.items() if k in set(uncertainties or ())})
    try:
        problem = futures_problem(sel)
    except FuturesError as err:
        raise EMAError(str(err)) from None
    for f in problem.factors:
        if not f.registry:
            raise EMAError(f"uncertainty {f.name!r} is not a model parameter; the bridge runs the model, whose "
                           "uncertainties are registry parameters")
        if REGISTRY[f.name].kind not in UNCERTAINTY_KINDS:
            raise EMAError(f"{f.name!r} is {_role(REGISTRY[f.name].kind)}, not an uncertainty; "
                           f"{_where(REGISTRY[f.name].kind)}")
    loaded = _load(scenarios, scenario_dir)
    lever_names = list(dict.fromkeys([*levers, *(n for s in loaded for _, n, _ in s.schedule)]))
    unknown = [n for n in lever_names if n not in REGISTRY]
    if unknown:
        raise EMAError(f"unknown lever {unknown[0]!r}; levers are registry parameters of kind 'policy'")
    for n in lever_names:
        if REGISTRY[n].kind not in LEVER_KINDS:
            raise EMAError(f"{n!r} is {_role(REGISTRY[n].kind)}, not a policy lever; {_where(REGISTRY[n].kind)}")
    month = policy_month if policy_month is not None else (_policy_month(loaded) or 0)
    if not 0 <= month <= horizon:
        raise EMAError(f"policy month {month} is outside 0..{horizon}")
    base = {k: validate_value(k, v, where="base_params") for k, v in (base_params or {}).items()}
    overlap = sorted(set(base) & (set(lever_names) | set(problem.names)))
    if overlap:
        raise EMAError(f"base parameter(s) {overlap} are also uncertainties or levers")
    outs = list(outputs) if outputs is not None else output_names(key_only=True)
    known = set(output_names())
    bad = [o for o in [*outs, *series] if o not in known]
    if bad:
        raise EMAError(f"unknown output {bad[0]!r}; outputs: {', '.join(sorted(known))}")

    model = ema.ReplicatorModel(name, function=run_for_ema)
    model.uncertainties = [_parameter(ema, f.name, rng=(f.lower, f.upper) if f.type in ("float", "int") else None,
                                      lever=False) for f in problem.factors]
    model.levers = [_parameter(ema, n, rng=ranges.get(n), lever=True) for n in lever_names]
    model.outcomes = [oc for o in outs for oc in _outcomes(ema, o)] + [ema.ArrayOutcome(o + SERIES_SUFFIX)
                                                                       for o in series]
    model.constants = [ema.Constant(_HORIZON, int(horizon)), ema.Constant(_MONTH, int(month)),
                       ema.Constant(_LEVERS, tuple(lever_names)), ema.Constant(_OUTPUTS, tuple(outs)),
                       ema.Constant(_SERIES, tuple(series)),
                       *(ema.Constant(k, v) for k, v in base.items())]
    model.replications = [{REPLICATION_SEED: s} for s in replicate_seeds(seed, replications)]
    return model
