"""Global sensitivity analysis: build the problem, run the design, extend it, and the CLI.

The design is executed by the experiment engine (:func:`experiments.engine.run_design`:
any executor, resumable, into the results store) as an experiment of kind
``sensitivity``; ``spec["extra"]["sensitivity"]`` records what the estimators in
:mod:`analysis.sensitivity` need (method, factors, sample sizes, the row → design-point map).

Python API (notebooks)::

    from experiments import sensitivity as sa
    from analysis import sensitivity as sai

    eid = sa.run("results/govsim.duckdb", method="sobol", kinds=["uncertainty"], n=256,
                 replicates=2, seed=1, executor="processes")
    idx = sai.analyze("results/govsim.duckdb", eid, outputs=["participation_rate"],
                      periods=["summary", "yearly"], convergence=True)
    eid2 = sa.extend("results/govsim.duckdb", eid)     # double the base sample (nested)

CLI: ``govsim sensitivity {plan,run,extend,analyze,export}`` (see :func:`register_cli`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from govsim.errors import GovsimError

from .sensitivity_design import (
    DEFAULT_QMC_REPLICATES,
    DESIGN_METHODS,
    Design,
    FactorError,
    Problem,
    UnknownFactorError,
    build_problem,
    make_design,
)

__all__ = [
    "DESIGN_METHODS",
    "FactorError",
    "SensitivityError",
    "UnknownFactorError",
    "build_problem",
    "extend",
    "make_design",
    "plan",
    "register_cli",
    "run",
    "run_until",
]

MODEL_TARGET = "model.run:simulate"
MORRIS_SAMPLE_LIMIT = 2_000_000  # unit-sample values kept in the spec for the Morris estimator


class SensitivityError(GovsimError, ValueError):
    """A sensitivity experiment that cannot be run or extended as asked."""


def _problem(problem: Problem | None, factors: Any, kinds: Iterable[str], groups: Iterable[str],
             exclude: Iterable[str], group_by: str | None, ranges: Mapping[str, Sequence[float]] | None,
             dists: Mapping[str, Any] | None) -> Problem:
    if problem is not None:
        if factors or kinds or groups or exclude or ranges or dists:
            raise SensitivityError("give either problem= or factors/kinds/groups, not both")
        return problem
    if not factors and not kinds and not groups:
        raise SensitivityError("choose factors: by name (factors=), by kind (kinds=) or by group (groups=)")
    return build_problem(factors, kinds=kinds, groups=groups, exclude=exclude, group_by=group_by, ranges=ranges,
                         dists=dists)


def plan(*, method: str = "sobol", n: int, seed: int = 1, problem: Problem | None = None, factors: Any = None,
         kinds: Iterable[str] = (), groups: Iterable[str] = (), exclude: Iterable[str] = (),
         group_by: str | None = None, ranges: Mapping[str, Sequence[float]] | None = None,
         dists: Mapping[str, Any] | None = None, second_order: bool = True, num_levels: int = 4,
         M: int = 4, qmc_replicates: int = DEFAULT_QMC_REPLICATES) -> Design:
    """The design a :func:`run` with the same arguments would execute (nothing is run)."""
    prob = _problem(problem, factors, kinds, groups, exclude, group_by, ranges, dists)
    return make_design(prob, method, n, seed=seed, second_order=second_order, num_levels=num_levels, M=M,
                       qmc_replicates=qmc_replicates)


def _sens_spec(design: Design, *, replicates: int, root: str | None) -> dict[str, Any]:
    import numpy as np

    identity = bool(np.array_equal(design.row_to_point, np.arange(design.n_rows)))
    spec = {
        "method": design.method, "problem": design.problem.to_spec(), "n": design.n, "n_rows": design.n_rows,
        "n_points": design.n_points, "replicates": int(replicates),
        "row_to_point": None if identity else design.row_to_point.tolist(),
        "sample_sha256": design.sha256(), "sample_seed": int(design.settings["seed"]),
        "second_order": bool(design.settings.get("second_order", False)),
        "base_offset": int(design.settings.get("base_offset", 0)), "root": root,
        "qmc_replicates": int(design.settings.get("qmc_replicates", 1)),
        "num_levels": design.settings.get("num_levels"), "M": design.settings.get("M"),
        "unit_mapping": "float: inverse CDF of dist on [lower, upper]; int/bool/choice: level min(floor(u*k), k-1)",
    }
    if design.method == "morris":
        if design.unit.size > MORRIS_SAMPLE_LIMIT:
            raise SensitivityError(f"Morris sample of {design.unit.size} values is too large to record")
        spec["unit_sample"] = design.unit.tolist()
    return spec


def _design_frame(design: Design):
    """Design points as the engine wants them: plain Python scalars, strings for choices."""
    return design.problem.plain_columns(design.points)


def _check_target_factors(problem: Problem, target: str) -> None:
    if target != MODEL_TARGET:
        return
    explicit = [f.name for f in problem.factors if not f.registry]
    if explicit:
        from model.parameters import REGISTRY

        bad = [n for n in explicit if n not in REGISTRY]
        if bad:
            raise UnknownFactorError(f"factor {bad[0]!r} is not a model parameter; the model target accepts "
                                     "registry parameters only")


def run(store: Any, *, method: str = "sobol", n: int, seed: int = 1, problem: Problem | None = None,
        factors: Any = None, kinds: Iterable[str] = (), groups: Iterable[str] = (), exclude: Iterable[str] = (),
        group_by: str | None = None, ranges: Mapping[str, Sequence[float]] | None = None,
        dists: Mapping[str, Any] | None = None, second_order: bool = True, num_levels: int = 4, M: int = 4,
        qmc_replicates: int = DEFAULT_QMC_REPLICATES,
        replicates: int = 1, base_params: Mapping[str, Any] | None = None, schedule: Iterable[Any] = (),
        horizon: int = 120, target: Any = MODEL_TARGET, executor: str = "processes", workers: int | None = None,
        timeseries_every: int = 1, progress: bool = True, name: str | None = None, crn: bool = True,
        new: bool = False) -> str:
    """Draw the design, execute it through the experiment engine, return the experiment id.

    Factors come from ``problem`` or from ``factors``/``kinds``/``groups`` (see
    :func:`experiments.sensitivity_design.build_problem`). ``n`` is the base sample size
    (Sobol' base rows, Morris trajectories, eFAST rows per factor, Latin rows); a Sobol'
    design splits its n base rows into ``qmc_replicates`` independently scrambled blocks,
    whose spread gives the indices' intervals. Each unique design point runs
    ``replicates`` times; with ``crn`` replicate ``r`` shares its seed at every point.
    Calling again with the same arguments resumes the same experiment.
    """
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise SensitivityError(f"replicates must be a whole number ≥ 1, got {replicates!r}")
    prob = _problem(problem, factors, kinds, groups, exclude, group_by, ranges, dists)
    _check_target_factors(prob, target)
    design = make_design(prob, method, n, seed=seed, second_order=second_order, num_levels=num_levels, M=M,
                         qmc_replicates=qmc_replicates)
    return _execute(store, design, replicates=replicates, seed=seed, base_params=base_params, schedule=schedule,
                    horizon=horizon, target=target, executor=executor, workers=workers,
                    timeseries_every=timeseries_every, progress=progress, name=name or f"sa-{method}", crn=crn,
                    root=None, new=new)


def _execute(store: Any, design: Design, *, replicates: int, seed: int, base_params: Any, schedule: Any,
             horizon: int, target: str, executor: str, workers: int | None, timeseries_every: int, progress: bool,
             name: str, crn: bool, root: str | None, new: bool) -> str:
    from .engine import run_design

    return run_design(store, name=name, design=_design_frame(design), base_params=base_params, schedule=schedule,
                      replicates=replicates, seed=seed, horizon=horizon, target=target, executor=executor,
                      workers=workers, kind="sensitivity", timeseries_every=timeseries_every, progress=progress,
                      spec_extra={"sensitivity": _sens_spec(design, replicates=replicates, root=root)}, crn=crn,
                      new=new)


def _experiment_row(store: Any, experiment_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(spec, manifest) of an experiment."""
    import json

    import duckdb

    con = getattr(store, "con", None)
    owned = con is None
    if owned:
        con = duckdb.connect(str(store), read_only=True)
    try:
        row = con.execute("SELECT spec, manifest FROM experiments WHERE experiment_id = ?",
                          [experiment_id]).fetchone()
    finally:
        if owned:
            con.close()
    if row is None:
        raise SensitivityError(f"no experiment {experiment_id!r} in the store")
    return tuple(json.loads(v) if isinstance(v, str) else (v or {}) for v in row)  # type: ignore[return-value]


def _experiment_spec(store: Any, experiment_id: str) -> dict[str, Any]:
    return _experiment_row(store, experiment_id)[0]


def extend(store: Any, experiment_id: str, *, n_more: int | None = None, executor: str = "processes",
           workers: int | None = None, progress: bool = True) -> str:
    """Add ``n_more`` base rows (default: as many as there are, doubling N) to a Sobol' design.

    The new rows continue each replicate's scrambled Sobol' sequence, so the extended design
    equals a design drawn at the larger N; they run as a new experiment that records the root
    and its base-row offset, and :func:`analysis.sensitivity.analyze` on the root uses every
    block. Returns the new experiment's id.
    """
    from analysis.sensitivity import load_design

    current = load_design(store, experiment_id)
    if current.method != "sobol":
        raise SensitivityError(f"only Sobol' designs can be extended; {current.experiment_id} is {current.method}")
    root_spec, root_manifest = _experiment_row(store, current.experiment_id)
    from .engine import code_fingerprint

    if root_manifest.get("code_sha256") not in (None, code_fingerprint(root_spec["target"])):
        raise SensitivityError(f"the code of {root_spec['target']} changed since {current.experiment_id} ran; an "
                               "extension would mix model versions in one design (start a new design instead)")
    s = current.spec
    n_more = current.n if n_more is None else int(n_more)
    if n_more < 1:
        raise SensitivityError(f"n_more must be ≥ 1, got {n_more}")
    prob = Problem.from_spec(s["problem"])
    design = make_design(prob, "sobol", n_more, seed=int(s["sample_seed"]), second_order=bool(s["second_order"]),
                         base_offset=current.n, qmc_replicates=int(s.get("qmc_replicates", 1)))
    return _execute(store, design, replicates=int(root_spec["replicates"]), seed=int(root_spec["seed"]),
                    base_params=root_spec.get("base_params") or {}, schedule=root_spec.get("schedule") or [],
                    horizon=int(root_spec["horizon"]), target=root_spec["target"], executor=executor, workers=workers,
                    timeseries_every=int(root_spec.get("timeseries_every", 1)), progress=progress,
                    name=f"{root_spec['name']}-ext", crn=bool(root_spec.get("crn", True)),
                    root=current.experiment_id, new=False)


def run_until(store: Any, *, target_width: float, outputs: Sequence[str], max_n: int = 4096,
              statistics: Sequence[str] = ("S1", "ST"), period: str = "summary", num_resamples: int = 200,
              conf_level: float = 0.95, executor: str = "processes", workers: int | None = None,
              progress: bool = True, experiment_id: str | None = None, analysis_seed: int | None = None,
              **run_kwargs: Any):
    """Run (or continue) a Sobol' design and double its base sample until the widest 95 % CI
    of ``statistics`` over ``outputs`` is below ``target_width`` (full width) or N reaches
    ``max_n``. The intervals are those of :func:`analysis.sensitivity.analyze` (across the
    design's independent replicates). Returns ``(root experiment id, indices DataFrame of the
    last analysis)``.
    """
    from analysis.sensitivity import analyze, load_design, max_ci_width

    if target_width <= 0:
        raise SensitivityError(f"target_width must be > 0, got {target_width}")
    if experiment_id is None:
        run_kwargs.setdefault("method", "sobol")
        if run_kwargs["method"] != "sobol":
            raise SensitivityError("run_until works with Sobol' designs")
        experiment_id = run(store, executor=executor, workers=workers, progress=progress, **run_kwargs)
    elif run_kwargs:
        raise SensitivityError(f"continuing {experiment_id}: design arguments {sorted(run_kwargs)} are not used")
    while True:
        idx = analyze(store, experiment_id, outputs=outputs, methods=["sobol"], periods=[period],
                      num_resamples=num_resamples, conf_level=conf_level,
                      **({} if analysis_seed is None else {"seed": analysis_seed}))
        width = max_ci_width(idx, statistics=statistics, period=period)
        n = load_design(store, experiment_id).n
        if progress:
            print(f"N = {n}: widest CI of {'/'.join(statistics)} = {width:.4f} (target {target_width})",
                  file=sys.stderr)
        if width <= target_width or 2 * n > max_n:
            return load_design(store, experiment_id).experiment_id, idx
        extend(store, experiment_id, executor=executor, workers=workers, progress=progress)


# ------------------------------------------------------------------------------ CLI
def _split(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or ():
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


def _ranges(values: Sequence[str] | None) -> dict[str, tuple[float, float]]:
    out = {}
    for item in _split(values) if values else ():
        try:
            name, rng = item.split("=")
            lo, hi = rng.split(":")
            out[name] = (float(lo), float(hi))
        except ValueError:
            raise SensitivityError(f"--range {item!r}: expected NAME=LOW:HIGH") from None
    return out


_FACTOR_FORMS = "NAME=LO:HI (float), NAME=int:LO:HI, NAME=bool or NAME=a|b|c (choice)"


def _explicit(values: Sequence[str] | None) -> list[dict[str, Any]]:
    """Explicit factors of ``--factor``: ``x=0:1`` or ``x=float:0:1``, ``n=int:1:10``,
    ``flag=bool``, ``mode=a|b|c``."""
    out = []
    for item in _split(values):
        name, sep, rng = item.partition("=")
        if not sep or not name:
            raise SensitivityError(f"--factor {item!r}: expected {_FACTOR_FORMS}")
        if "|" in rng:
            out.append({"name": name, "type": "choice", "choices": rng.split("|")})
            continue
        if rng == "bool":
            out.append({"name": name, "type": "bool"})
            continue
        parts = rng.split(":")
        kind = parts.pop(0) if parts and parts[0] in ("int", "float") else "float"
        try:
            lo, hi = parts
            if kind == "int":
                lo_v, hi_v = int(lo), int(hi)
            else:
                lo_v, hi_v = float(lo), float(hi)
        except ValueError:
            raise SensitivityError(f"--factor {item!r}: expected {_FACTOR_FORMS}") from None
        out.append({"name": name, "type": kind, "lower": lo_v, "upper": hi_v})
    return out


def _dists(values: Sequence[str] | None) -> dict[str, tuple[str, tuple[float, ...]]]:
    out = {}
    for item in _split(values):
        name, sep, spec = item.partition("=")
        parts = spec.split(":")
        try:
            out[name] = (parts[0], tuple(float(v) for v in parts[1:]))
        except ValueError:
            raise SensitivityError(f"--dist {item!r}: expected NAME=DIST[:P1[:P2]]") from None
        if not sep or not name:
            raise SensitivityError(f"--dist {item!r}: expected NAME=DIST[:P1[:P2]]")
    return out


def _add_problem_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("factors")
    g.add_argument("--factors", action="append", metavar="NAMES", help="parameter names, comma-separated")
    g.add_argument("--kinds", action="append", metavar="KINDS", help="all parameters of these kinds "
                   "(uncertainty, policy, structural)")
    g.add_argument("--groups", action="append", metavar="GROUPS", help="all parameters of these submodel groups")
    g.add_argument("--exclude", action="append", metavar="NAMES", help="drop these factors again")
    g.add_argument("--factor", action="append", metavar="NAME=LO:HI", dest="explicit",
                   help="a factor that is not a model parameter (e.g. x1 of an analytic target): NAME=LO:HI "
                        "(float), NAME=int:LO:HI, NAME=bool or NAME=a|b|c (choice)")
    g.add_argument("--range", action="append", metavar="NAME=LO:HI", dest="ranges", help="override a factor range")
    g.add_argument("--dist", action="append", metavar="NAME=DIST[:P1[:P2]]", dest="dists",
                   help="distribution of a float factor: uniform, loguniform, triangular:MODE, normal:MEAN:SD "
                        "(truncated to the range)")
    g.add_argument("--group-by", choices=["group", "kind"], default=None,
                   help="report indices per factor group instead of per factor")
    d = p.add_argument_group("design")
    d.add_argument("--method", choices=DESIGN_METHODS, default="sobol")
    d.add_argument("--n", type=int, default=64, help="base sample size (Sobol' base rows, Morris trajectories, "
                   "eFAST rows per factor, Latin rows)")
    d.add_argument("--no-second-order", dest="second_order", action="store_false")
    d.add_argument("--levels", type=int, default=4, dest="num_levels", help="Morris grid levels")
    d.add_argument("--qmc-replicates", type=int, default=DEFAULT_QMC_REPLICATES, metavar="R",
                   help=f"Sobol': independently scrambled replicates the N base rows are split into; their "
                        f"spread gives the intervals (default {DEFAULT_QMC_REPLICATES}; 1 = one sequence, "
                        "bootstrap intervals)")
    d.add_argument("--seed", type=int, default=1, help="seed of the design (sampling)")


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--replicates", type=int, default=1)
    p.add_argument("--horizon", type=int, default=120)
    p.add_argument("--target", default=MODEL_TARGET, help="import path of the simulate function")
    p.add_argument("--base", action="append", metavar="NAME=VALUE", help="fixed parameter overrides")
    p.add_argument("--executor", choices=["processes", "inprocess", "dask"], default="processes")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--timeseries-every", type=int, default=1)
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--name", default=None)


def _add_analysis_args(p: argparse.ArgumentParser, *, seed_flag: str = "--seed") -> None:
    p.add_argument(seed_flag, type=int, default=None, dest="analysis_seed", metavar="S",
                   help="seed of the analysis (bootstrap resamples); default: a fixed seed, recorded with the "
                        "analysis, so the same analysis gives the same intervals")
    p.add_argument("--outputs", action="append", metavar="NAMES",
                   help="outputs to analyse (default: the key outputs of the model, or all for other targets)")
    p.add_argument("--estimators", action="append", metavar="METHODS",
                   help="sobol, morris, fast, rbd_fast, delta, pawn (default: those of the design)")
    p.add_argument("--periods", default="summary", help="summary, yearly, year_N, months_A_B (comma-separated)")
    p.add_argument("--resamples", type=int, default=200, help="bootstrap resamples")
    p.add_argument("--interval", choices=("auto", "replicates", "bootstrap"), default="auto",
                   help="Sobol' intervals: across the design's independent replicates (auto, when it has ≥ 2) or "
                        "SALib's bootstrap over base rows")
    p.add_argument("--convergence", action="store_true", help="also indices on nested subsamples of the base rows")
    p.add_argument("--drop-missing", action="store_true",
                   help="leave out base rows / trajectories / rows with failed runs instead of stopping")
    p.add_argument("--noise-fraction", type=float, default=0.05,
                   help="target noise variance of a replicate mean relative to the parameter-driven variance")


def _store_arg(p: argparse.ArgumentParser) -> None:
    from .store import DEFAULT_STORE

    p.add_argument("--store", default=DEFAULT_STORE, metavar="PATH",
                   help=f"results store (DuckDB file; default {DEFAULT_STORE})")


def _parse_base(values: Sequence[str] | None) -> dict[str, Any]:
    import json

    out: dict[str, Any] = {}
    for item in values or ():
        if "=" not in item:
            raise SensitivityError(f"--base {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except ValueError:
            out[k] = v
    return out


def _default_outputs(target: str) -> list[str] | None:
    if target == MODEL_TARGET:
        from model.outputs import output_names

        return output_names(key_only=True)
    return None


def _print_indices(df: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    main = df[(df["n"] == df.groupby(["method", "output", "period"])["n"].transform("max"))
              & df["factor"].notna() & (df["statistic"] != "S2") & (df["period"] == df["period"].iloc[0])]
    if main.empty:
        return
    t = Table(title=f"sensitivity indices ({df['period'].iloc[0]}; ± 95 % CI half-width)")
    cells = ["—" if v != v else f"{v:.3g}" + ("" if c != c else f" ± {c:.2g}") for v, c in zip(main["value"], main["conf"])]
    wide = main.assign(cell=cells)
    wide = wide.pivot_table(index=["output", "factor"], columns=["method", "statistic"], values="cell",
                            aggfunc="first")
    t.add_column("output")
    t.add_column("factor")
    for col in wide.columns:
        t.add_column(" ".join(col))
    for (out, fac), row in wide.iterrows():
        t.add_row(out, fac, *[str(v) if v == v else "" for v in row])
    Console().print(t)
    noise = df[df["statistic"].isin(["noise_share", "replicates_needed"])]
    if not noise.empty:
        Console().print(noise[["output", "period", "statistic", "value", "conf"]].to_string(index=False))


def _analyze_cmd(args: argparse.Namespace, store: str, experiment_id: str, target: str) -> int:
    from analysis.sensitivity import analyze

    outputs = _split(args.outputs) or _default_outputs(target)
    df = analyze(store, experiment_id, outputs=outputs, methods=_split(args.estimators) or None,
                 periods=args.periods, num_resamples=args.resamples, convergence=args.convergence,
                 noise_fraction=args.noise_fraction, missing="drop" if args.drop_missing else "error",
                 interval=args.interval, **({} if args.analysis_seed is None else {"seed": args.analysis_seed}))
    _print_indices(df)
    if df.attrs.get("dropped"):
        print("left out (units with failed runs): " + ", ".join(f"{k}: {v}" for k, v in df.attrs["dropped"].items()),
              file=sys.stderr)
    if df.attrs.get("skipped"):
        print(f"skipped (constant or non-finite): {', '.join(df.attrs['skipped'])}", file=sys.stderr)
    print(f"{len(df)} index rows saved (experiment {experiment_id}, analysis {df['analysis_id'].iloc[0]}, "
          f"seed {df.attrs['settings']['seed']}, intervals: {df.attrs['settings']['interval']})"
          if len(df) else "no index rows", file=sys.stderr)
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    d = plan(method=args.method, n=args.n, seed=args.seed, factors=_split(args.factors) + _explicit(args.explicit),
             kinds=_split(args.kinds),
             groups=_split(args.groups), exclude=_split(args.exclude), group_by=args.group_by,
             ranges=_ranges(args.ranges), dists=_dists(args.dists), second_order=args.second_order,
             num_levels=args.num_levels, qmc_replicates=args.qmc_replicates)
    for f in d.problem.factors:
        rng = f"one of {list(f.choices)}" if f.type == "choice" else (
            "false/true" if f.type == "bool" else f"[{f.lower:g}, {f.upper:g}]")
        dist = "" if f.dist == "uniform" else f" {f.dist}{list(f.dist_params)}"
        print(f"  {f.name:28s} {f.type:6s} {rng:28s} group={f.group}{dist}")
    reps = d.settings.get("qmc_replicates", 1)
    split = f" in {reps} independent replicates of {d.n // reps}" if reps > 1 else ""
    print(f"{d.method}: {len(d.problem.factors)} factors, n = {d.n}{split}, {d.n_rows} sample rows, "
          f"{d.n_points} distinct design points ({d.n_rows - d.n_points} duplicates evaluated once)")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    if args.until_width is not None:
        outputs = _split(args.outputs) or _default_outputs(args.target)
        if outputs is None:
            raise SensitivityError("--until-width needs --outputs for a target other than the model")
        eid, _ = run_until(args.store, target_width=args.until_width, outputs=outputs, max_n=args.max_n,
                           num_resamples=args.resamples, executor=args.executor, workers=args.workers,
                           progress=args.progress, method=args.method, n=args.n, seed=args.seed,
                           analysis_seed=args.analysis_seed, qmc_replicates=args.qmc_replicates,
                           factors=_split(args.factors) + _explicit(args.explicit), kinds=_split(args.kinds),
                           groups=_split(args.groups), exclude=_split(args.exclude), group_by=args.group_by,
                           ranges=_ranges(args.ranges), dists=_dists(args.dists),
                           second_order=args.second_order, replicates=args.replicates, base_params=_parse_base(args.base), horizon=args.horizon,
                           target=args.target, timeseries_every=args.timeseries_every, name=args.name)
        print(eid)
        return _analyze_cmd(args, args.store, eid, args.target) if args.analyze else 0
    eid = run(args.store, method=args.method, n=args.n, seed=args.seed,
              factors=_split(args.factors) + _explicit(args.explicit), kinds=_split(args.kinds),
              groups=_split(args.groups), exclude=_split(args.exclude),
              group_by=args.group_by, ranges=_ranges(args.ranges), dists=_dists(args.dists),
              second_order=args.second_order, num_levels=args.num_levels, qmc_replicates=args.qmc_replicates,
              replicates=args.replicates, base_params=_parse_base(args.base),
              horizon=args.horizon, target=args.target, executor=args.executor, workers=args.workers,
              timeseries_every=args.timeseries_every, progress=args.progress, name=args.name)
    print(eid)
    if args.analyze:
        return _analyze_cmd(args, args.store, eid, args.target)
    return 0


def _cmd_extend(args: argparse.Namespace) -> int:
    new = extend(args.store, args.experiment, n_more=args.n_more, executor=args.executor, workers=args.workers,
                 progress=args.progress)
    print(new)
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from analysis.sensitivity import load_design

    design = load_design(args.store, args.experiment)
    target = _experiment_spec(args.store, design.experiment_id).get("target", MODEL_TARGET)
    return _analyze_cmd(args, args.store, design.experiment_id, target)


def _cmd_export(args: argparse.Namespace) -> int:
    from analysis.sensitivity import export_indices

    path = export_indices(args.store, args.out, experiment_id=args.experiment, analysis_id=args.analysis)
    print(path)
    return 0


def register_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``sensitivity`` (with plan, run, extend, analyze, export) to a subparsers object."""
    p = subparsers.add_parser("sensitivity", help="global sensitivity analysis (Sobol', Morris, eFAST, Latin)",
                              description="Global sensitivity analysis of the model (or any target) through the "
                                          "experiment engine and the results store.")
    sub = p.add_subparsers(dest="sensitivity_command", metavar="{plan,run,extend,analyze,export}")
    sub.required = True

    q = sub.add_parser("plan", help="show the factors and design size; runs nothing")
    _add_problem_args(q)
    q.set_defaults(func=_cmd_plan)

    r = sub.add_parser("run", help="run a design (resumable) and analyse it")
    _add_problem_args(r)
    _add_run_args(r)
    _add_analysis_args(r, seed_flag="--analysis-seed")
    _store_arg(r)
    r.add_argument("--no-analyze", dest="analyze", action="store_false")
    r.add_argument("--until-width", type=float, default=None, metavar="W",
                   help="Sobol': double N (nested) until the widest 95 %% CI of S1/ST over --outputs is below W")
    r.add_argument("--max-n", type=int, default=4096, help="upper limit of N for --until-width")
    r.set_defaults(func=_cmd_run)

    e = sub.add_parser("extend", help="add base rows to a Sobol' design (nested; default doubles N)")
    e.add_argument("experiment")
    e.add_argument("--n-more", type=int, default=None)
    e.add_argument("--executor", choices=["processes", "inprocess", "dask"], default="processes")
    e.add_argument("--workers", type=int, default=None)
    e.add_argument("--no-progress", dest="progress", action="store_false")
    _store_arg(e)
    e.set_defaults(func=_cmd_extend)

    a = sub.add_parser("analyze", help="compute indices from the store and save them")
    a.add_argument("experiment", nargs="?", default=None, help="default: the latest sensitivity experiment")
    _add_analysis_args(a)
    _store_arg(a)
    a.set_defaults(func=_cmd_analyze)

    x = sub.add_parser("export", help="write saved indices to .csv or .parquet")
    x.add_argument("out")
    x.add_argument("--experiment", default=None)
    x.add_argument("--analysis", default=None)
    _store_arg(x)
    x.set_defaults(func=_cmd_export)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m experiments.sensitivity ...`` (same as ``govsim sensitivity ...``)."""
    from .cli import main as govsim_main

    return govsim_main(["sensitivity", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
