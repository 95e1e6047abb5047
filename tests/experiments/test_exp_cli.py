"""The govsim CLI: help everywhere, one-line user errors with exit code 2, a small workflow."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from exp_helpers import TOY, table
from experiments.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]
COMMANDS = ["run", "batch", "compare", "design", "resume", "export", "list", "status", "main"]


@pytest.mark.parametrize("cmd", [None, *COMMANDS])
def test_help_on_every_command(cmd, capsys):
    with pytest.raises(SystemExit) as info:
        main([cmd, "--help"] if cmd else ["--help"])
    assert info.value.code == 0
    assert "usage: govsim" in capsys.readouterr().out


def test_module_entry_point_and_console_script():
    r = subprocess.run([sys.executable, "-m", "experiments.cli", "--help"], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and all(c in r.stdout for c in COMMANDS)
    script = Path(sys.executable).parent / "govsim"
    if script.exists():
        r = subprocess.run([str(script), "list", "--help"], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0


@pytest.mark.parametrize("argv, fragment", [
    (["run", "basline", "--store", "{tmp}/s.duckdb"], "did you mean 'baseline'"),
    (["run", "baseline", "--replicates", "0", "--store", "{tmp}/s.duckdb"], "replicates must be"),
    (["run", "baseline", "--target", "no.such.module:f", "--store", "{tmp}/s.duckdb"], "cannot import"),
    (["run", "baseline", "--scheduler", "tcp://127.0.0.1:1", "--store", "{tmp}/s.duckdb"], "needs --executor dask"),
    (["resume", "nope", "--store", "{tmp}/s.duckdb"], "no results store"),
    (["status", "--store", "{tmp}/s.duckdb"], "no such results store"),
    (["design", "{tmp}/missing.csv", "--store", "{tmp}/s.duckdb"], "no such design file"),
])
def test_user_errors_are_one_line_exit_2_nothing_written(argv, fragment, tmp_path, capsys):
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("govsim: error:") and len(err.splitlines()) == 1 and fragment in err
    assert not (tmp_path / "s.duckdb").exists()


def test_design_with_bad_value_names_row_and_parameter(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("pay_director,budget_regime\n500,project\n2500,grant\n")
    assert main(["design", str(csv), "--store", str(tmp_path / "s.duckdb"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "design row 1" in err and "budget_regime" in err and '"grant"' in err
    assert not (tmp_path / "s.duckdb").exists()


def test_workflow_run_design_status_export(tmp_path, capsys, toy_env):
    store = str(tmp_path / "s.duckdb")
    sc = tmp_path / "scen"
    sc.mkdir()
    (sc / "baseline.toml").write_text('description = "toy"\nhorizon = 12\nreplicates = 2\nseed = 3\n')
    (sc / "reform.toml").write_text('extends = "baseline"\n[schedule.6]\npay_director = 2500\n')
    common = ["--store", store, "--target", TOY, "--no-progress", "--executor", "inprocess", "--scenario-dir", str(sc)]
    assert main(["batch", "baseline", "reform", *common]) == 0
    assert table(store, "SELECT count(*) FROM runs")[0][0] == 4
    assert main(["batch", "baseline", "reform", *common]) == 0  # same experiment: nothing added
    assert table(store, "SELECT count(*) FROM runs")[0][0] == 4
    csv = tmp_path / "d.csv"
    pd.DataFrame({"a": [0.0, 1.0], "policy": ["project", "reward"]}).to_csv(csv, index=False)
    assert main(["design", str(csv), "--store", store, "--target", TOY, "--no-progress", "--executor", "inprocess",
                 "--horizon", "6", "--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["status", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "compare" in out and "design" in out
    (eid,), = table(store, "SELECT experiment_id FROM experiments WHERE kind = 'design'")
    assert main(["status", eid, "--store", store]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["runs"] == {"ok": 2} and info["manifest"]["design"]["factors"] == ["a", "policy"]
    assert main(["export", "--store", store, "--out", str(tmp_path / "x"), "--format", "csv"]) == 0
    assert len(pd.read_csv(tmp_path / "x" / "runs.csv")) == 6


def test_parser_registers_colleague_subcommands_when_present():
    import importlib.util

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for mod, cmd in (("experiments.sensitivity", "sensitivity"),):
        if importlib.util.find_spec(mod) is not None:
            assert cmd in sub.choices


def test_main_job_on_the_model_prints_the_table_and_does_not_duplicate(tmp_path, capsys):
    sc = tmp_path / "scen"
    sc.mkdir()
    (sc / "baseline.toml").write_text('description = "pre-reform"\nhorizon = 6\nreplicates = 2\nseed = 3\n')
    (sc / "pay_raise.toml").write_text('extends = "baseline"\n[schedule.2]\npay_director = 2500\n')
    store = tmp_path / "r" / "govsim.duckdb"
    argv = ["main", "--store", str(store), "--scenario-dir", str(sc), "--replicates", "2", "--executor", "inprocess",
            "--no-progress", "--no-report"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "pay_raise" in out and "baseline" in out
    assert table(store, "SELECT count(*), count(DISTINCT scenario) FROM runs")[0] == (4, 2)
    assert main(argv) == 0  # the same experiment is complete: nothing is run or added
    assert table(store, "SELECT count(*) FROM experiments")[0][0] == 1
    assert table(store, "SELECT count(*) FROM runs")[0][0] == 4
    assert table(store, "SELECT count(DISTINCT run_id) FROM network_snapshot")[0][0] == 2
