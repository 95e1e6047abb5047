"""``govsim``: the command-line entry point (also ``python -m experiments.cli``).

Every command has ``--help``. Errors go through one handler
(:func:`govsim.errors.run_command`): bad input prints one line on stderr and exits with code
2; a batch whose runs all failed shows the first traceback and exits with 1; Ctrl-C or
SIGTERM commits the finished runs, prints the experiment id and the resume command and
exits with 128 + the signal number. Modules named by ``--target`` are also looked for in
the current directory.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govsim.errors import EXIT_USAGE, GovsimError, run_command

__all__ = ["EXIT_USAGE", "main", "build_parser"]

MAIN_REPLICATES = 10


class CLIError(GovsimError, ValueError):
    """A user error detected by the CLI itself."""


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors from outside the project's hierarchy that mean bad input (the model's registry)."""
    from model.parameters import ParameterError

    return (ParameterError,)


# ---------------------------------------------------------------------------- options
def _store_opt(p: argparse.ArgumentParser) -> None:
    from .store import DEFAULT_STORE

    p.add_argument("--store", default=DEFAULT_STORE, metavar="PATH",
                   help=f"results store (DuckDB file; default {DEFAULT_STORE})")


def _exec_opts(p: argparse.ArgumentParser) -> None:
    from .executors import EXECUTORS

    g = p.add_argument_group("execution")
    g.add_argument("--executor", choices=EXECUTORS, default="processes",
                   help="where runs are computed (default: processes)")
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (default: the usable CPU cores)")
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="with --executor dask: an existing Dask scheduler instead of a LocalCluster")
    g.add_argument("--max-attempts", type=int, default=3, metavar="N",
                   help="attempts per run when its worker dies (default 3)")
    g.add_argument("--keep-failed", action="store_true",
                   help="keep the failed runs of an earlier attempt instead of running them again")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run_opts(p: argparse.ArgumentParser, *, scenario_defaults: bool = True) -> None:
    g = p.add_argument_group("experiment")
    src = " (default: from the scenario files)" if scenario_defaults else ""
    g.add_argument("--replicates", type=int, default=None, metavar="N", help=f"replicates per scenario{src}")
    g.add_argument("--seed", type=int, default=None, metavar="S", help=f"experiment seed{src}")
    g.add_argument("--horizon", type=int, default=None, metavar="MONTHS", help=f"months simulated{src}")
    g.add_argument("--timeseries-every", type=int, default=1, metavar="K",
                   help="store every K-th month of the time series (0 = none; summaries always)")
    g.add_argument("--target", default="model.run:simulate", metavar="MODULE:FUNCTION",
                   help="the function run (default model.run:simulate)")
    g.add_argument("--scenario-dir", default=None, metavar="DIR", help="folder of scenario files (default scenarios/)")
    g.add_argument("--name", default=None, help="experiment name (default: from the scenarios)")
    g.add_argument("--new", action="store_true",
                   help="always start a new experiment (default: the same experiment is resumed or skipped)")
    if not scenario_defaults:
        return
    g = p.add_argument_group("parameter uncertainty")
    g.add_argument("--posterior", default=None, metavar="NAME",
                   help="draw the calibrated parameters from this posterior in the store (govsim calibrate --name); "
                        "default: the scenario files' posterior, if any")
    g.add_argument("--draws", type=int, default=None, metavar="D", help="posterior draws (default 100)")
    g.add_argument("--replicates-per-draw", type=int, default=None, metavar="K",
                   help="replicates of each draw (default 2); replicate r runs draw r // K with seed r in every "
                        "scenario")


def _exec_kwargs(a: argparse.Namespace) -> dict[str, Any]:
    if a.scheduler and a.executor != "dask":
        raise CLIError("--scheduler needs --executor dask")
    if a.workers is not None and a.workers < 1:
        raise CLIError(f"--workers must be ≥ 1, got {a.workers}")
    return {"executor": a.executor, "workers": a.workers, "scheduler": a.scheduler,
            "max_attempts": a.max_attempts, "progress": not a.no_progress, "keep_failed": a.keep_failed}


def _say(msg: str) -> None:
    print(msg, file=sys.stderr)


# ---------------------------------------------------------------------------- comparison table
def print_comparison(store: str, experiment_id: str, *, baseline: str | None = "baseline") -> bool:
    """Print the scenario comparison table (from analysis.stats) if that module exists;
    ``baseline=None``: the scenarios' means and intervals without differences."""
    if importlib.util.find_spec("analysis.stats") is None:
        _say("(analysis.stats is not available: no comparison table)")
        return False
    stats = importlib.import_module("analysis.stats")
    from rich.console import Console

    df = stats.compare_scenarios(store, experiment_id, outputs=None, baseline=baseline)
    console = Console()
    if hasattr(stats, "render_comparison"):
        title = None if baseline else (f"Results — {experiment_id}\nmeans [{df.attrs.get('level', 0.95):.0%} CI] "
                                       "over replicates")
        console.print(stats.render_comparison(df, title=title))
    else:
        from rich.table import Table

        t = Table(title=f"Scenario comparison — {experiment_id}")
        for c in df.columns:
            t.add_column(str(c))
        for row in df.itertuples(index=False):
            t.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
        console.print(t)
    return True


# ---------------------------------------------------------------------------- commands
def cmd_run(a: argparse.Namespace) -> int:
    from .engine import run_scenarios
    from .scenarios import load_many

    scenarios = load_many(a.scenarios, directory=a.scenario_dir)
    kind = "batch" if a.command == "run" else ("compare" if a.command == "compare" else "batch")
    if a.command == "run" and len(scenarios) != 1:
        raise CLIError("'run' takes one scenario; use 'batch' or 'compare' for several")
    eid = run_scenarios(a.store, scenarios, name=a.name, replicates=a.replicates, seed=a.seed, horizon=a.horizon,
                        target=a.target, kind=kind, timeseries_every=a.timeseries_every, new=a.new,
                        posterior=a.posterior, draws=a.draws, replicates_per_draw=a.replicates_per_draw,
                        **_exec_kwargs(a))
    _report_done(a.store, eid)
    print_comparison(a.store, eid, baseline=a.baseline if a.command == "compare" else None)
    return 0


def cmd_design(a: argparse.Namespace) -> int:
    from .engine import design_from_csv, run_design
    from .scenarios import load_scenario

    design = design_from_csv(a.csv)
    base_params: dict[str, Any] = {}
    schedule: list = []
    scen_name = None
    seed, horizon, reps = a.seed, a.horizon, a.replicates
    if a.scenario:
        sc = load_scenario(a.scenario, directory=a.scenario_dir)
        base_params, schedule, scen_name = sc.params, sc.schedule, sc.name
        seed = sc.seed if seed is None else seed
        horizon = sc.horizon if horizon is None else horizon
    from model.parameters import ParameterError

    try:
        eid = run_design(a.store, name=a.name or Path(a.csv).stem, design=design, base_params=base_params,
                         schedule=schedule, replicates=reps if reps is not None else 1,
                         seed=seed if seed is not None else 20261125,
                         horizon=horizon if horizon is not None else 120, target=a.target,
                         timeseries_every=a.timeseries_every, crn=not a.independent_seeds, scenario=scen_name,
                         new=a.new, spec_extra={"design_file": str(a.csv)}, **_exec_kwargs(a))
    except ParameterError as err:  # name the file the bad cell came from
        raise CLIError(f"{a.csv}: {err} (design rows count from 0, after the header)") from None
    _report_done(a.store, eid)
    return 0


def cmd_resume(a: argparse.Namespace) -> int:
    from .engine import resume

    eid = resume(a.store, a.experiment_id, **_exec_kwargs(a))
    _report_done(a.store, eid)
    return 0


def cmd_export(a: argparse.Namespace) -> int:
    from .store import open_store

    if a.wide:
        from analysis.export import export_wide

        for p in export_wide(a.store, a.out, fmt=a.format, experiment_id=a.experiment):
            print(p)
        return 0
    if not Path(a.store).exists():
        raise CLIError(f"{a.store}: no such results store")
    with open_store(a.store, read_only=True) as st:
        experiment = st.resolve(a.experiment) if a.experiment else None
        paths = st.export(a.out, fmt=a.format, experiment_id=experiment)
    for p in paths:
        print(p)
    return 0


def cmd_list(a: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from .scenarios import list_scenarios, load_scenario

    t = Table(title="Scenarios")
    for c in ("name", "title", "extends", "changes", "description"):
        t.add_column(c)
    for stem in list_scenarios(a.scenario_dir):
        sc = load_scenario(stem, directory=a.scenario_dir)
        t.add_row(sc.name, sc.title or "-", " ← ".join(reversed(sc.chain[:-1])) or "-",
                  f"{len(sc.params)} set, {len(sc.schedule)} scheduled", sc.description)
    Console().print(t)
    return 0


def cmd_status(a: argparse.Namespace) -> int:
    import json

    from rich.console import Console
    from rich.table import Table

    from .store import open_store

    if not Path(a.store).exists():
        raise CLIError(f"{a.store}: no such results store")
    with open_store(a.store, read_only=True) as st:  # a running batch commits again once this is closed
        if a.experiment_id:
            eid = st.resolve(a.experiment_id)
            exp = st.experiment(eid)
            counts = st.run_counts(eid)
            print(json.dumps({k: (str(v) if k == "created" else v) for k, v in exp.items() if k != "spec"}
                             | {"runs": counts}, indent=2, default=str))
            return 0
        rows = st.experiments()
    header = ("experiment_id", "kind", "status", "runs ok/failed/planned", "created")
    cells = [(r["experiment_id"], r["kind"], r["status"], f"{r['ok']}/{r['failed']}/{r['planned']}",
              str(r["created"])[:19]) for r in rows]
    t = Table(title=f"Experiments in {a.store}")
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(header)]
    for h, w in zip(header, widths):
        t.add_column(h, no_wrap=True, min_width=w)
    for c in cells:
        t.add_row(*c)
    console = Console()
    needed = sum(widths) + 3 * len(widths) + 1  # never cut an id: widen rather than truncate
    if console.width < needed:
        console = Console(width=needed)
    console.print(t)
    return 0


def cmd_main(a: argparse.Namespace) -> int:
    """Baseline + all reform scenarios on CRN, comparison table, report."""
    from .engine import run_scenarios
    from .scenarios import load_many

    scenarios = load_many(["all"], directory=a.scenario_dir)
    eid = run_scenarios(a.store, scenarios, name="main", replicates=a.replicates, kind="compare",
                        timeseries_every=a.timeseries_every, **_exec_kwargs(a))
    _report_done(a.store, eid)
    print_comparison(a.store, eid)
    if a.no_report:
        pass
    elif importlib.util.find_spec("analysis.report") is not None:
        report = importlib.import_module("analysis.report")
        out_dir = a.report_dir or str(Path(a.store).resolve().parent / "report")
        written = report.write_report(a.store, eid, out_dir)
        _say(f"report: {written if written else out_dir}")
    else:
        _say("(analysis.report is not available: no report written)")
    return 0


def _report_done(store: str, eid: str) -> None:
    from .store import open_store

    with open_store(store, read_only=True) as st:
        c = st.run_counts(eid)
    _say(f"experiment {eid}: {c.get('ok', 0)} ok, {c.get('failed', 0)} failed  (store {store})")


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="govsim", description="Run governance scenarios, designs and sensitivity analyses; keep results in a "
                                   "DuckDB store. 'govsim <command> --help' for each command.")
    sub = ap.add_subparsers(dest="command", metavar="<command>", required=True)

    p = sub.add_parser("run", help="one scenario × replicates", description="Run one scenario × replicates.")
    p.add_argument("scenarios", nargs=1, metavar="SCENARIO", help="scenario name (file stem) or path to a .toml file")
    _store_opt(p); _run_opts(p); _exec_opts(p)
    p.set_defaults(func=cmd_run)

    for cmd, help_ in (("batch", "several scenarios on common random numbers"),
                       ("compare", "several scenarios on common random numbers, then the comparison table")):
        p = sub.add_parser(cmd, help=help_, description=help_[0].upper() + help_[1:] +
                           ". Replicate r of every scenario shares one seed. 'all' = every scenario file.")
        p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario names or .toml paths, or 'all'")
        p.add_argument("--baseline", default="baseline", help="reference scenario of the table (default baseline)")
        _store_opt(p); _run_opts(p); _exec_opts(p)
        p.set_defaults(func=cmd_run)

    p = sub.add_parser("design", help="a design matrix from a CSV file",
                       description="Run every row of a CSV design (columns = parameter names; categorical levels "
                                   "and true/false as text) × replicates.")
    p.add_argument("csv", metavar="DESIGN.csv")
    p.add_argument("--scenario", default=None, help="base scenario whose params and schedule every point starts from")
    p.add_argument("--independent-seeds", action="store_true",
                   help="a seed per design point (default: replicate r of every point shares a seed)")
    _store_opt(p); _run_opts(p, scenario_defaults=False); _exec_opts(p)
    p.set_defaults(func=cmd_design)

    p = sub.add_parser("resume", help="finish an interrupted experiment",
                       description="Run the runs of an experiment that are not in the store yet (after a crash, "
                                   "kill, Ctrl-C or SIGTERM), and its failed runs again unless --keep-failed. "
                                   "Re-running the original command does the same.")
    p.add_argument("experiment_id", help="experiment id, or a prefix of one")
    _store_opt(p); _exec_opts(p)
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("export", help="write the store's tables to Parquet or CSV",
                       description="Write each table of the store (or of one experiment) to OUT/<table>.<format>; "
                                   "with --wide, one row per run (parameters, scheduled changes and summary "
                                   "outputs as columns) to OUT/runs_wide.<format>.")
    p.add_argument("--experiment", default=None, metavar="ID", help="only this experiment's rows")
    p.add_argument("--wide", action="store_true",
                   help="one row per run with param.<name>, schedule.<month>.<name> and output columns "
                        "(one file per experiment without --experiment)")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p.add_argument("--out", default="results/export", metavar="DIR", help="output folder (default results/export)")
    _store_opt(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("list", help="the scenario files", description="List and validate the scenario files.")
    p.add_argument("--scenario-dir", default=None, metavar="DIR")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("status", help="experiments in the store",
                       description="List the experiments in the store, or show one (manifest and run counts).")
    p.add_argument("experiment_id", nargs="?", help="experiment id, or a prefix of one")
    _store_opt(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("main", help="the main job: baseline + all reforms, table and report",
                       description="Run baseline and every reform scenario on common random numbers, print the "
                                   "comparison table and write the report. Re-running resumes or skips the "
                                   "same experiment (its id depends on the scenarios, seeds and model code).")
    _store_opt(p)
    p.add_argument("--replicates", type=int, default=MAIN_REPLICATES, metavar="N",
                   help=f"replicates per scenario (default {MAIN_REPLICATES})")
    p.add_argument("--timeseries-every", type=int, default=1, metavar="K")
    p.add_argument("--scenario-dir", default=None, metavar="DIR")
    p.add_argument("--report-dir", default=None, metavar="DIR", help="default: report/ next to the store")
    p.add_argument("--no-report", action="store_true", help="skip the report (table only)")
    _exec_opts(p)
    p.set_defaults(func=cmd_main)

    for mod in ("experiments.sensitivity", "experiments.robustness", "experiments.search", "experiments.calibration",
                "analysis.cli", "app.cli"):
        if importlib.util.find_spec(mod) is not None:
            importlib.import_module(mod).register_cli(sub)
    return ap


def _working_directory_on_path() -> None:
    """Let ``--target mymodel:simulate`` find ``mymodel.py`` in the current directory, as
    ``python -m`` would; appended, so it never shadows an installed package."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)


def _dispatch(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    _working_directory_on_path()
    return run_command(_dispatch, argv, prog="govsim", user_errors=_user_errors())


if __name__ == "__main__":
    sys.exit(main())
