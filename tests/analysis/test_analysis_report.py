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
    for text in ("## Summary", "## Reforms at a glance", "## Figures", "Appendix A: all numbers",
                 "Appendix B: scenarios and their parameters", "Appendix C: provenance", EXP, "pay_reform",
                 "Pay reform", "Before the reforms", "Deadmin", "abc1234", "common random numbers", "Failed runs",
                 "ValueError: boom", "no scenario reaches the target", "percentile bootstrap"):
        assert text in md, text
    for text in ("Summary", "Reforms at a glance", "Appendix A: all numbers", "Pay reform", "ValueError: boom"):
        assert text in html, text
    # the plain-language summary comes before the matrix, the full table only in the appendix
    assert md.index("## Summary") < md.index("## Reforms at a glance") < md.index("Appendix A") < md.index("| d_z |")
    # internal diagnostics are not shown to readers
    assert "Not drawn" not in md and "sensitivity_indices" not in md
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


def test_summary_calls_small_effects_negligible_whatever_the_p_value(written):
    """pay_reform moves political efficacy by +0.01 (threshold 0.02) with a tiny p value under
    common random numbers: the summary and the matrix call it negligible, the appendix keeps p."""
    import pandas as pd

    cmp = pd.read_csv(written.parent / "comparison.csv")
    row = cmp[(cmp["scenario"] == "pay_reform") & (cmp["output"] == "efficacy_mean")].iloc[0]
    assert row["p_value"] < 0.05 and abs(row["diff"]) < row["threshold"] and row["size"] == "negligible"
    md = written.with_suffix(".md").read_text(encoding="utf-8")
    pay = next(line for line in md.splitlines() if line.startswith("**Pay reform"))
    assert "efficacy" not in pay and "turnover (−" in pay and "Costs more: wage bill +" in pay
    assert "other key outputs change negligibly" in pay
    matrix = next(line for line in md.splitlines() if line.startswith("| Pay reform |"))
    assert "≈ 0" in matrix
    # good/bad follow the declared direction: lower turnover is better
    turnover = cmp[(cmp["scenario"] == "pay_reform") & (cmp["output"] == "turnover_annual")].iloc[0]
    assert turnover["diff"] < 0 and turnover["verdict"] == "good" and turnover["size"] == "meaningful"


def test_mean_intervals_of_shares_stay_in_range(tmp_path):
    """A share near 0 with widely spread replicates: the t interval would go below 0 %, the
    reported (bootstrap) interval does not; an undeclared output keeps the t interval."""
    import duckdb

    from analysis import stats
    from analysis_synthetic_store import SCHEMA

    p = tmp_path / "v.duckdb"
    con = duckdb.connect(str(p))
    con.execute(SCHEMA)
    con.execute("INSERT INTO experiments VALUES ('v1','v','batch','x', now(), 1, 2, '{}', '{}', 'done')")
    con.execute("INSERT INTO outputs VALUES ('v1','vacancy_rate','Vacant posts','share','','lower',0.02,false,"
                "'mean12',true,false,NULL)")
    values = [0.0, 0.0, 0.0, 0.01, 0.02, 0.0, 0.0, 0.3, 0.0, 0.0]
    for r, v in enumerate(values):
        con.execute(f"INSERT INTO runs (experiment_id, run_id, scenario, design_point, replicate, seed, status) "
                    f"VALUES ('v1', 'r{r}', 'baseline', 0, {r}, {r}, 'ok')")
        con.execute(f"INSERT INTO summaries VALUES ('v1', 'r{r}', 'vacancy_rate', {v})")
        con.execute(f"INSERT INTO summaries VALUES ('v1', 'r{r}', 'x1', {v - 0.5})")
    con.close()
    assert stats.mean_ci(values).low < 0  # what the t interval would say
    df = stats.compare_scenarios(p, outputs="all")
    vac = df[df["output"] == "vacancy_rate"].iloc[0]
    assert 0.0 <= vac["ci_low"] < vac["mean"] < vac["ci_high"] <= 1.0
    x1 = df[df["output"] == "x1"].iloc[0]
    t = stats.mean_ci([v - 0.5 for v in values])
    assert (x1["ci_low"], x1["ci_high"]) == pytest.approx((t.low, t.high))
    assert stats.compare_scenarios(p, outputs="all").equals(df)  # seeded: the same interval every time


def test_figures_not_drawn_go_to_the_log(bare_store, tmp_path, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="analysis.report"):
        html = report.write_report(bare_store, out_dir=tmp_path / "r", formats=("png",))
    assert any("not drawn" in r.getMessage() and "network" in r.getMessage() for r in caplog.records)
    assert "network_snapshot" not in html.read_text(encoding="utf-8")


def test_report_without_output_declarations_falls_back_to_names(tmp_path):
    """A store without the outputs table (or an experiment of an undeclared target): outputs are
    labelled by name, nothing is judged good, bad or negligible, and the report still renders."""
    from analysis_synthetic_store import build_store

    p = build_store(tmp_path / "nodecl.duckdb", with_network=False, with_sensitivity=False,
                    with_declarations=False)
    html = report.write_report(p, out_dir=tmp_path / "r", formats=("png",))
    md = html.with_suffix(".md").read_text(encoding="utf-8")
    assert "participation_rate" in md and "Participation, < 35" not in md
    assert "not judged" in md and "(better)" not in md


def test_figures_show_at_one_scale_in_the_html(written):
    """Single- and double-column PNGs are shown at the same pixels per inch, so their 7 pt text is
    the same size on screen (a single-column figure used to fill the page at twice the size)."""
    import re
    import struct

    html = written.read_text(encoding="utf-8")
    ratios, widths = [], set()
    for width, inches, data in re.findall(r"<img [^>]*width='(\d+)' data-inches='([\d.]+)'[^>]*"
                                          r"src='data:image/png;base64,([^']+)'", html):
        png = base64.b64decode(data)
        px = struct.unpack(">I", png[16:20])[0]
        ratios.append(int(width) / px)
        widths.add(round(float(inches), 1))
    assert len(ratios) >= 5 and {3.5, 7.2} <= widths  # both house widths are present
    assert max(ratios) / min(ratios) == pytest.approx(1.0, abs=0.01)
