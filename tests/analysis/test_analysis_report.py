from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import cli, report
from analysis.store import StoreNotFoundError, UnknownExperimentError
from analysis_synthetic_store import EXP

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def written(store, tmp_path_factory) -> Path:
    return report.write_report(store, out_dir=tmp_path_factory.mktemp("report"), formats=("png",))


def test_report_files_and_content(written):
    out = written.parent
    assert written.name == "report.html"
    md = (out / "report.md").read_text(encoding="utf-8")
    html = written.read_text(encoding="utf-8")
    for text in ("Scenarios", "Key results", "Figures", "Provenance", EXP, "pay_reform", "abc1234",
                 "common random numbers", "Failed runs", "ValueError: boom", "below the target"):
        assert text in md, text
        assert text in html, text
    # the parameter diff vs baseline
    assert "| pay_director | default | · | 2500 |" in md
    # figures: relative links in Markdown that resolve, embedded PNG in HTML
    links = [line.split("](")[1].rstrip(")") for line in md.splitlines() if line.startswith("![")]
    assert links and all(not Path(link).is_absolute() and (out / link).is_file() for link in links)
    assert html.count("data:image/png;base64,") == len(links)
    first = html.split("data:image/png;base64,")[1].split("'")[0]
    assert base64.b64decode(first)[:4] == b"\x89PNG"
    assert "src='figures/" not in html  # self-contained
    assert (out / "comparison.csv").stat().st_size > 0


def test_report_errors(store, tmp_path):
    with pytest.raises(StoreNotFoundError):
        report.write_report(tmp_path / "missing.duckdb", out_dir=tmp_path)
    with pytest.raises(UnknownExperimentError):
        report.write_report(store, "exp-none", out_dir=tmp_path)


def test_cli_user_errors_exit_2(store, tmp_path, capsys):
    assert cli.main(["report", "--store", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found" in err
    assert cli.main(["figures", "nope", "--store", str(store), "--out", str(tmp_path)]) == 2
    assert "unknown experiment id 'nope'" in capsys.readouterr().err
    assert cli.main(["figures", "--store", str(store), "--formats", "gif", "--out", str(tmp_path)]) == 2
    assert "gif" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse rejects a bad width itself (exit 2)
        cli.main(["figures", "--width", "huge"])


def test_report_on_a_copied_store_without_model(bare_store, tmp_path):
    """The analysis needs only the store: copy it to another folder, block ``import model`` (and
    ``experiments``) in a fresh interpreter, and write the report from there."""
    copy = tmp_path / "elsewhere" / "store.duckdb"
    copy.parent.mkdir()
    shutil.copy(bare_store, copy)
    code = (
        "import sys; sys.modules['model'] = None; sys.modules['experiments'] = None\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from analysis.report import write_report\n"
        f"p = write_report({str(copy)!r}, out_dir={str(tmp_path / 'out')!r}, formats=('png',))\n"
        "assert 'model' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
        "print(p)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).is_file()
    assert (tmp_path / "out" / "figures" / "ts_participation.png").stat().st_size > 0
    # opened read-only: the copy is unchanged and no WAL was left behind
    assert not copy.with_suffix(".duckdb.wal").exists()


def test_analysis_sources_do_not_import_model_or_runners():
    import ast

    for path in (ROOT / "analysis").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] != "model", f"{path.name} imports {n}"
                if path.name != "sensitivity.py":
                    assert n.split(".")[0] != "experiments", f"{path.name} imports {n}"


def test_report_of_a_design_experiment(tmp_path):
    """Several design points per scenario: a design section and distributions, no comparison."""
    import duckdb

    from analysis_synthetic_store import SCHEMA

    p = tmp_path / "d.duckdb"
    con = duckdb.connect(str(p))
    con.execute(SCHEMA)
    con.execute("INSERT INTO experiments VALUES ('d1','sa','sensitivity','x', now(), 1, 2, '{}', '{}', 'done')")
    for dp in range(8):
        con.execute("INSERT INTO runs (experiment_id, run_id, scenario, design_point, replicate, seed, status, "
                    f"params, schedule) VALUES ('d1', 'r{dp}', 'sa', {dp}, 0, 1, 'ok', '{{}}', '[]')")
        con.execute(f"INSERT INTO summaries VALUES ('d1', 'r{dp}', 'participation_rate', {0.1 * dp})")
        con.execute(f"INSERT INTO design VALUES ('d1', {dp}, 'pay_level', {dp}, NULL)")
    con.execute("INSERT INTO sensitivity_indices VALUES ('d1','a1','sobol','participation_rate','ST','summary',"
                "'pay_level',NULL,8,0.9,0.05, now())")
    con.close()
    html = report.write_report(p, out_dir=tmp_path / "r", formats=("png",))
    md = html.with_suffix(".md").read_text(encoding="utf-8")
    assert "## Design" in md and "| pay_level | 0 … 7 | 8 |" in md
    assert "across all runs of the design" in md and "Δ vs baseline" not in md
    assert "0.900 ± 0.050" in md
    assert not (html.parent / "comparison.csv").exists()
