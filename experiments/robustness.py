"""Robustness experiments: every reform in every future, on common random numbers, and the CLI.

A *reform* is a scenario file (``pay_raise``) or a combination of several
(``pay_raise+task_access_list``: the union of their params and schedules,
:func:`experiments.scenarios.combine_scenarios`). The *futures* come from a provider
(:mod:`experiments.futures`): a Latin hypercube over chosen uncertainties within their
plausible ranges, a table of parameter sets, or any registered source. The runs go through
the experiment engine (:func:`experiments.engine.run_futures`), so they are resumable, crash
safe and run on every executor; replicate ``r`` of future ``f`` has one seed for all reforms.
The analysis (regret, satisficing, worst decile, figures) is :mod:`analysis.robustness`,
which reads the store only.

Python API::

    from experiments import robustness
    from experiments.futures import FactorSelection
    eid = robustness.run("results/govsim.duckdb", reforms=["baseline", "pay_raise", "pay_raise+task_access_list"],
                         n_futures=50, selection=FactorSelection(factors=("tasks_per_household", "gamma0")),
                         replicates=2, seed=1)

CLI: ``govsim robustness {plan,run,analyze}`` (see :func:`register_cli`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from govsim.errors import GovsimError

from .executors import DEFAULT_MAX_ATTEMPTS
from .futures import DEFAULT_N_FUTURES, FactorSelection, FuturesProvider, make_provider, parse_ranges

__all__ = ["RobustnessError", "load_reforms", "plan", "register_cli", "run"]

MODEL_TARGET = "model.run:simulate"


class RobustnessError(GovsimError, ValueError):
    """A robustness experiment that cannot be run as asked."""


def load_reforms(reforms: Sequence[Any], *, scenario_dir: str | None = None) -> list[Any]:
    """Scenario objects for names, paths and ``a+b`` combinations (objects pass through)."""
    from .scenarios import Scenario, load_reform

    out = []
    for r in reforms:
        if isinstance(r, (Scenario, Mapping)):
            out.append(r)
        else:
            out.append(load_reform(r, directory=scenario_dir))
    if not out:
        raise RobustnessError("no reforms given; name at least two scenario files (e.g. baseline pay_raise)")
    return out


def _provider(futures: FuturesProvider | str | None, *, n_futures: int | None, futures_seed: int,
              selection: FactorSelection | None, store: str | None) -> FuturesProvider:
    if futures is None or isinstance(futures, str):
        return make_provider(futures or "lhs", n=n_futures, seed=futures_seed, store=store, selection=selection)
    if not isinstance(futures, FuturesProvider):
        raise RobustnessError(f"futures must be a provider (futures() and describe()) or a source name, "
                              f"not {type(futures).__name__}")
    return futures


def plan(*, reforms: Sequence[Any], futures: FuturesProvider | str | None = None, n_futures: int | None = None,
         futures_seed: int = 1, selection: FactorSelection | None = None, replicates: int = 2,
         scenario_dir: str | None = None, store: str | None = None) -> dict[str, Any]:
    """What :func:`run` would run, without running it: reforms, factors, futures, run count."""
    loaded = load_reforms(reforms, scenario_dir=scenario_dir)
    prov = _provider(futures, n_futures=n_futures, futures_seed=futures_seed, selection=selection, store=store)
    table = prov.futures()
    names = [r["name"] if isinstance(r, Mapping) else r.name for r in loaded]
    return {"reforms": names, "provider": prov.describe(), "futures": table, "replicates": replicates,
            "runs": len(table) * len(names) * replicates}


def run(store: Any, *, reforms: Sequence[Any], futures: FuturesProvider | str | None = None,
        n_futures: int | None = None, futures_seed: int = 1, selection: FactorSelection | None = None,
        replicates: int = 2, seed: int = 1, horizon: int = 120, base_params: Mapping[str, Any] | None = None,
        target: str | Callable[..., Any] = MODEL_TARGET, executor: str = "processes", workers: int | None = None,
        scheduler: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS, timeseries_every: int = 1,
        progress: bool = True, name: str = "robustness", seed_scope: str = "future",
        scenario_dir: str | None = None, new: bool = False, keep_failed: bool = False) -> str:
    """Make the futures, run every reform in every future × ``replicates``; returns the id.

    ``futures`` is a provider, a source name (``"lhs"`` — the default —, ``"table:PATH"`` or
    a registered kind) or ``None``; ``n_futures`` (default: 50 for a Latin hypercube, every
    row of a table), ``futures_seed`` and ``selection`` shape the ensemble. ``target`` is
    ``"module:function"`` or a callable with the signature of ``model.run.simulate`` (from a
    script or notebook too). Running the same call again resumes (or returns) the same
    experiment, running its failed runs again unless ``keep_failed``.
    """
    loaded = load_reforms(reforms, scenario_dir=scenario_dir)
    prov = _provider(futures, n_futures=n_futures, futures_seed=futures_seed, selection=selection, store=str(store))
    table = prov.futures()
    from .engine import run_futures

    extra = {"futures": prov.describe(), "reforms": [r["name"] if isinstance(r, Mapping) else r.name for r in loaded]}
    return run_futures(store, name=name, futures=table, reforms=loaded, base_params=base_params,
                       replicates=replicates, seed=seed, horizon=horizon, target=target, executor=executor,
                       workers=workers, scheduler=scheduler, max_attempts=max_attempts,
                       timeseries_every=timeseries_every, progress=progress, spec_extra=extra,
                       seed_scope=seed_scope, new=new, keep_failed=keep_failed)


# ------------------------------------------------------------------------------ CLI
def _split(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or ():
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


def _parse_base(values: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values or ():
        if "=" not in item:
            raise RobustnessError(f"--base {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = json.loads(v)
        except ValueError:
            out[k.strip()] = v
    return out


def _selection(a: argparse.Namespace) -> FactorSelection:
    explicit: list[Any] = []
    for item in _split(a.explicit):
        name, sep, rng = item.partition("=")
        if not sep or not name:
            raise RobustnessError(f"--factor {item!r}: expected NAME=LO:HI or NAME=a|b|c")
        if "|" in rng:
            explicit.append({"name": name, "type": "choice", "choices": rng.split("|")})
            continue
        try:
            lo, hi = (float(v) for v in rng.split(":"))
        except ValueError:
            raise RobustnessError(f"--factor {item!r}: expected NAME=LO:HI or NAME=a|b|c") from None
        explicit.append({"name": name, "lower": lo, "upper": hi})
    return FactorSelection(factors=tuple(_split(a.factors)) + tuple(explicit), kinds=tuple(_split(a.kinds)),
                           groups=tuple(_split(a.groups)), exclude=tuple(_split(a.exclude)),
                           ranges=parse_ranges(a.ranges))


def _futures_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("futures")
    g.add_argument("--futures", default="lhs", metavar="SOURCE",
                   help="where the futures come from: 'lhs' (Latin hypercube over the factors; default), "
                        "'table:PATH' (rows of a CSV/Parquet file) or a registered KIND[:ARG]")
    g.add_argument("--n-futures", type=int, default=None, metavar="N",
                   help=f"number of futures: of the Latin hypercube (default {DEFAULT_N_FUTURES}), the first N "
                        "rows of a table (default all)")
    g.add_argument("--futures-seed", type=int, default=1, metavar="S", help="seed of the Latin hypercube (default 1)")
    g.add_argument("--factors", action="append", metavar="NAMES",
                   help="parameters the futures vary, comma-separated (default: every uncertainty)")
    g.add_argument("--kinds", action="append", metavar="KINDS", help="all parameters of these kinds")
    g.add_argument("--groups", action="append", metavar="GROUPS", help="all parameters of these submodel groups")
    g.add_argument("--exclude", action="append", metavar="NAMES", help="leave these parameters out")
    g.add_argument("--range", action="append", dest="ranges", metavar="NAME=LO:HI",
                   help="plausible range of a factor (needed where the registry declares no sa_bounds)")
    g.add_argument("--factor", action="append", dest="explicit", metavar="NAME=LO:HI",
                   help="a factor that is not a model parameter (for --target other than the model); "
                        "NAME=a|b|c for a categorical one")
    g.add_argument("--scenario-dir", default=None, metavar="DIR", help="folder of scenario files (default scenarios/)")


def _analysis_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("robustness measures (reads the store only)")
    g.add_argument("--satisfice", action="append", default=[], metavar="OUTPUT OP VALUE",
                   help="a threshold every satisficing future must meet, e.g. 'satisfied_share>=0.3' or "
                        "'turnover_annual<=15%%' (repeatable; all must hold)")
    g.add_argument("--maximize", action="append", metavar="OUTPUTS", help="objectives where higher is better")
    g.add_argument("--minimize", action="append", metavar="OUTPUTS", help="objectives where lower is better")
    g.add_argument("--objective", action="append", metavar="OUTPUTS",
                   help="objectives whose direction is declared in the store")
    g.add_argument("--reforms", action="append", metavar="NAMES", help="compare only these reforms")
    g.add_argument("--worst", type=float, default=0.1, metavar="FRACTION",
                   help="the worst fraction of futures averaged for 'worst decile' (default 0.1)")
    g.add_argument("--level", type=float, default=0.95, help="level of the satisficing interval (default 0.95)")
    g.add_argument("--out", default=None, metavar="DIR",
                   help="folder for tables, summary.md and figures (default results/robustness/<experiment id>)")
    g.add_argument("--formats", default="png,pdf,svg", metavar="LIST", help="figure formats (default png,pdf,svg)")


def _store_arg(p: argparse.ArgumentParser) -> None:
    from .store import DEFAULT_STORE

    p.add_argument("--store", default=DEFAULT_STORE, metavar="PATH",
                   help=f"results store (DuckDB file; default {DEFAULT_STORE})")


def _analyze(a: argparse.Namespace, experiment_id: str | None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from analysis.objectives import parse_condition
    from analysis.robustness import analyze, summary_markdown, write_robustness
    from analysis.style import check_formats

    thresholds = [parse_condition(t, what="--satisfice") for t in a.satisfice]
    formats = check_formats([f for f in a.formats.split(",") if f.strip()])
    res = analyze(a.store, experiment_id, satisfice=thresholds, maximize=_split(a.maximize),
                  minimize=_split(a.minimize), objectives=_split(a.objective), worst=a.worst, level=a.level,
                  reforms=_split(a.reforms) or None)
    out = Path(a.out) if a.out else Path(a.store).resolve().parent / "robustness" / res.experiment_id
    files = write_robustness(res, out, formats=formats)
    print(summary_markdown(res))
    print(f"\nwritten to {out}: " + ", ".join(sorted(p.name for ps in files.values() for p in ps)), file=sys.stderr)
    return 0


def _cmd_plan(a: argparse.Namespace) -> int:
    p = plan(reforms=a.reforms, futures=a.futures, n_futures=a.n_futures, futures_seed=a.futures_seed,
             selection=_selection(a), replicates=a.replicates, scenario_dir=a.scenario_dir, store=a.store)
    print("reforms: " + ", ".join(p["reforms"]))
    prov = p["provider"]
    print(f"futures: {prov.get('provider')} ({len(p['futures'])} futures)")
    for f in prov.get("factors") or []:
        rng = (f"one of {f['choices']}" if f["type"] == "choice" else
               "false/true" if f["type"] == "bool" else f"[{f['lower']:g}, {f['upper']:g}]")
        print(f"  {f['name']:28s} {f['type']:6s} {rng}")
    if not prov.get("factors"):
        print("  columns: " + ", ".join(map(str, p["futures"].columns)))
    print(f"{len(p['reforms'])} reforms × {len(p['futures'])} futures × {p['replicates']} replicates "
          f"= {p['runs']} runs")
    return 0


def _cmd_run(a: argparse.Namespace) -> int:
    from .cli import _exec_kwargs

    eid = run(a.store, reforms=a.reforms, futures=a.futures, n_futures=a.n_futures, futures_seed=a.futures_seed,
              selection=_selection(a), replicates=a.replicates, seed=a.seed, horizon=a.horizon,
              base_params=_parse_base(a.base), target=a.target, timeseries_every=a.timeseries_every,
              name=a.name, seed_scope=a.seed_scope, scenario_dir=a.scenario_dir, new=a.new, **_exec_kwargs(a))
    print(eid)
    if a.analyze and (a.satisfice or a.maximize or a.minimize or a.objective):
        return _analyze(a, eid)
    if a.analyze:
        print("(no --satisfice/--maximize/--minimize given: nothing to analyse; run "
              f"'govsim robustness analyze {eid} ...')", file=sys.stderr)
    return 0


def _cmd_analyze(a: argparse.Namespace) -> int:
    return _analyze(a, a.experiment)


def register_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``robustness`` (plan, run, analyze) to a subparsers object.

    The commands raise the project's errors (:class:`govsim.errors.GovsimError`); the
    ``govsim`` entry point reports them through its one handler (one line, exit code 2).
    """
    from .cli import _exec_opts

    p = subparsers.add_parser(
        "robustness", help="which reform holds up across futures (regret, satisficing, worst decile)",
        description="Evaluate reforms (scenario files, or combinations joined with '+') over an ensemble of "
                    "futures with common random numbers across reforms, then report regret, satisficing share, "
                    "mean and worst decile per reform.")
    sub = p.add_subparsers(dest="robustness_command", metavar="{plan,run,analyze}")
    sub.required = True

    q = sub.add_parser("plan", help="show reforms, factors and run count; runs nothing",
                       description="Show the reforms, the futures' factors and ranges, and the number of runs.")
    q.add_argument("reforms", nargs="+", metavar="REFORM", help="scenario names or paths; 'a+b' combines two")
    q.add_argument("--replicates", type=int, default=2)
    _futures_args(q)
    _store_arg(q)
    q.set_defaults(func=_cmd_plan)

    r = sub.add_parser("run", help="run every reform in every future (resumable), then analyse",
                       description="Run every reform in every future × replicates through the experiment engine "
                                   "(resumable: the same command continues an interrupted run; 'govsim resume ID' "
                                   "too), then write the robustness tables and figures when objectives or "
                                   "thresholds are given.")
    r.add_argument("reforms", nargs="+", metavar="REFORM", help="scenario names or paths; 'a+b' combines two")
    g = r.add_argument_group("experiment")
    g.add_argument("--replicates", type=int, default=2, help="replicates per reform and future (default 2)")
    g.add_argument("--seed", type=int, default=1, help="experiment seed (default 1)")
    g.add_argument("--seed-scope", choices=("future", "shared"), default="future",
                   help="'future': each future has its own replicate seeds, shared by all its reforms (default); "
                        "'shared': replicate r of every future and reform shares one seed")
    g.add_argument("--horizon", type=int, default=120, metavar="MONTHS")
    g.add_argument("--base", action="append", metavar="NAME=VALUE", help="fixed overrides (e.g. a smaller world)")
    g.add_argument("--target", default=MODEL_TARGET, metavar="MODULE:FUNCTION")
    g.add_argument("--timeseries-every", type=int, default=1, metavar="K",
                   help="store every K-th month of the series (0 = none; summaries always)")
    g.add_argument("--name", default="robustness", help="experiment name (default robustness)")
    g.add_argument("--new", action="store_true", help="always start a new experiment")
    g.add_argument("--no-analyze", dest="analyze", action="store_false", help="run only")
    _futures_args(r)
    _exec_opts(r)
    _analysis_args(r)
    _store_arg(r)
    r.set_defaults(func=_cmd_run)

    n = sub.add_parser("analyze", help="robustness tables and figures from the store",
                       description="Regret, satisficing share, mean and worst decile per reform, from the store only.")
    n.add_argument("experiment", nargs="?", default=None, help="experiment id or unique prefix (default: latest)")
    _analysis_args(n)
    _store_arg(n)
    n.set_defaults(func=_cmd_analyze)
    return p
