"""Small CLI frictions (item 6 of the hardening issue, and the CLI side of item 2)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pandas as pd

from exp_helpers import TOY, table
from experiments.cli import main

REPO = Path(__file__).resolve().parents[2]


def _design(tmp_path, name="a-very-long-experiment-name-that-makes-ids-wide"):
    store = tmp_path / "s.duckdb"
    csv = tmp_path / "d.csv"
    pd.DataFrame({"a": [0.0, 1.0]}).to_csv(csv, index=False)
    assert main(["design", str(csv), "--store", str(store), "--target", TOY, "--executor", "inprocess",
                 "--no-progress", "--horizon", "6", "--seed", "1", "--name", name, "--new"]) == 0
    return store


def test_status_never_cuts_an_experiment_id(tmp_path):
    """Item 6: piped (80 columns), ``govsim status`` shows every id whole."""
    _design(tmp_path)
    ids = [r[0] for r in table(tmp_path / "s.duckdb", "SELECT experiment_id FROM experiments")]
    assert len(ids[0]) > 60
    r = subprocess.run([sys.executable, "-m", "experiments.cli", "status", "--store", str(tmp_path / "s.duckdb")],
                       cwd=REPO, capture_output=True, text=True, timeout=120, env={"COLUMNS": "80", "PATH": ""})
    assert r.returncode == 0, r.stderr
    assert ids[0] in r.stdout and "…" not in r.stdout


def test_resume_and_status_take_an_id_prefix_like_report(tmp_path, capsys):
    """Item 6: a unique prefix works for resume and status; an ambiguous one lists the ids."""
    store = _design(tmp_path, "alpha")
    _design(tmp_path, "alpine")
    (a_id,), = table(store, "SELECT experiment_id FROM experiments WHERE name = 'alpha'")
    capsys.readouterr()
    assert main(["resume", "alpha-", "--store", str(store), "--executor", "inprocess", "--no-progress"]) == 0
    assert a_id in capsys.readouterr().err
    assert main(["status", "alp", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and len(err.splitlines()) == 1


def test_run_prints_the_results_table(tmp_path, capsys):
    """Item 6: ``govsim run`` shows the scenario's means and intervals, not only an id."""
    sc = tmp_path / "scen"
    sc.mkdir()
    (sc / "solo.toml").write_text('description = "toy"\nhorizon = 12\nreplicates = 3\nseed = 3\n')
    assert main(["run", "solo", "--store", str(tmp_path / "s.duckdb"), "--target", TOY, "--executor", "inprocess",
                 "--no-progress", "--scenario-dir", str(sc)]) == 0
    out = capsys.readouterr().out
    assert "Results" in out and "solo" in out and "articipation" in out and "95% CI" in out


def test_int_and_bool_factors_from_the_cli(tmp_path, capsys):
    """Item 2: ``--factor n=int:1:5`` and ``--factor flag=bool`` are int and bool factors."""
    assert main(["sensitivity", "plan", "--factor", "n=int:1:5", "--factor", "flag=bool", "--factor", "x=0:1",
                 "--n", "16"]) == 0
    out = capsys.readouterr().out
    assert "n                            int" in out and "[1, 5]" in out and "flag" in out and "bool" in out
    assert main(["sensitivity", "plan", "--factor", "n=int:1.5:5", "--n", "16"]) == 2
    assert "NAME=int:LO:HI" in capsys.readouterr().err


# modules whose commands are registered on the govsim parser (sensitivity, robustness, figures,
# report, discover, ...) and the entry points themselves
CLI_MODULES = ("experiments/cli.py", "experiments/sensitivity.py", "experiments/robustness.py",
               "experiments/calibration.py", "experiments/sbc.py", "analysis/cli.py", "app/cli.py")
# exceptions a target raises inside a run (they fail that run, which the store records), not user errors
RUN_FAILURES = {"experiments.analytic.AnalyticParameterError", "experiments.analytic.AnalyticFailure"}


def test_every_entry_point_uses_the_one_handler():
    """Item 6: the modules with command-line commands handle errors through
    govsim.errors.run_command and have no error handling of their own: an except clause either
    reads a number (ValueError) or raises again (adding the file a value came from); none
    prints and returns an exit code, and run_command is called once per entry point."""
    for rel in CLI_MODULES:
        tree = ast.parse((REPO / rel).read_text(encoding="utf-8"))
        handlers = [n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)]
        assert all(h.type is not None for h in handlers), rel  # no bare except
        own = {ast.unparse(h.type) for h in handlers
               if ast.unparse(h.type) != "ValueError" and not isinstance(h.body[-1], ast.Raise)}
        assert not own, (rel, own)
    src = (REPO / "experiments/cli.py").read_text() + (REPO / "analysis/cli.py").read_text()
    assert src.count("run_command(") == 2
    from experiments.cli import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices)
    assert {"robustness", "discover", "sensitivity", "figures", "report", "export", "app", "calibrate",
            "sbc"} <= commands


def test_every_error_the_project_raises_is_a_govsim_error():
    """One base class: every exception class defined in experiments/, analysis/, app/ and govsim/
    derives from GovsimError (the analysis side through AnalysisError), so the one handler
    turns each into one line and its exit code."""
    import importlib
    import inspect
    import pkgutil

    from analysis.store import AnalysisError
    from govsim.errors import BatchInterrupted, GovsimError

    seen = []
    for pkg in ("experiments", "analysis", "app", "govsim"):
        for info in pkgutil.iter_modules(importlib.import_module(pkg).__path__, prefix=f"{pkg}."):
            mod = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(mod, inspect.isclass):
                if cls.__module__ != mod.__name__ or not issubclass(cls, BaseException):
                    continue
                name = f"{cls.__module__}.{cls.__qualname__}"
                if name in RUN_FAILURES or cls is BatchInterrupted:
                    continue
                seen.append(name)
                assert issubclass(cls, GovsimError), name
                if pkg == "analysis":
                    assert issubclass(cls, AnalysisError) or cls.__name__ == "FigureStyleError", name
    for name in ("experiments.futures.FuturesError", "experiments.robustness.RobustnessError",
                 "experiments.ema.EMAError", "analysis.prim.PrimError", "analysis.objectives.ObjectiveError",
                 "app.server.AppError", "experiments.calibration.CalibrationError",
                 "experiments.targets.TargetsFileError"):
        assert name in seen
