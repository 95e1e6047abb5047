import json

import pandas as pd
import pytest

from exp_helpers import TOY, assert_bitwise_equal, results_of, table
from experiments import seeds
from experiments.engine import ExperimentError, design_from_csv, resume, run_design, run_scenarios
from experiments.scenarios import Scenario
from experiments.store import open_store


def sc(name, params=None, schedule=()):
    return Scenario(name=name, description=f"{name} test", params=params or {}, schedule=[list(c) for c in schedule],
                    horizon=24, replicates=3, seed=11, source_file=f"{name}.toml", sha256="0" * 64, chain=(name,))


DESIGN = pd.DataFrame({"a": [0.0, 1.0, 2.0], "policy": ["project", "stable", "reward"]})


def test_design_rows_seeds_and_tables(tmp_path):
    store = tmp_path / "s.duckdb"
    eid = run_design(store, name="toy", design=DESIGN, replicates=2, seed=5, horizon=12, target=TOY,
                     executor="inprocess", progress=False)
    runs = table(store, "SELECT run_id, design_point, replicate, seed, params, status FROM runs ORDER BY run_id")
    assert [r[0] for r in runs] == [f"p{i:06d}-r{r:04d}" for i in range(3) for r in range(2)]
    rep = seeds.replicate_seeds(5, 2)
    assert [r[3] for r in runs] == rep * 3  # CRN across design points by default
    assert json.loads(runs[2][4]) == {"a": 1.0, "policy": "stable"}
    assert {r[5] for r in runs} == {"ok"}
    assert table(store, "SELECT count(*) FROM timeseries")[0][0] == 6 * 13 * 3
    assert table(store, "SELECT count(*) FROM summaries")[0][0] == 6 * 3
    design = table(store, "SELECT design_point, factor, value, label FROM design ORDER BY 1, 2")
    assert design[0] == (0, "a", 0.0, None) and design[1] == (0, "policy", None, "project")
    exp = table(store, "SELECT status, manifest, spec FROM experiments WHERE experiment_id = ?", [eid])[0]
    manifest = json.loads(exp[1])
    assert exp[0] == "done" and manifest["runs_ok"] == 6 and manifest["runs_failed"] == 0
    assert manifest["seed_tree"]["replicate_seeds"] == rep
    assert {"numpy", "duckdb", "dask", "mesa"} <= set(manifest["versions"])
    assert {"commit", "dirty"} <= set(manifest["git"]) and manifest["executor"]["executor"] == "inprocess"
    assert manifest["design"]["factors"] == ["a", "policy"] and manifest["started"] and manifest["finished"]


def test_same_seed_identical_different_seed_different(tmp_path):
    kw = dict(name="toy", design=DESIGN, replicates=2, horizon=12, target=TOY, executor="inprocess", progress=False)
    a = run_design(tmp_path / "a.duckdb", seed=5, **kw)
    b = run_design(tmp_path / "b.duckdb", seed=5, **kw)
    c = run_design(tmp_path / "c.duckdb", seed=6, **kw)
    assert a == b and a != c
    assert_bitwise_equal(results_of(tmp_path / "a.duckdb", a), results_of(tmp_path / "b.duckdb", b))
    va = table(tmp_path / "a.duckdb", "SELECT value FROM summaries ORDER BY run_id, output")
    vc = table(tmp_path / "c.duckdb", "SELECT value FROM summaries ORDER BY run_id, output")
    assert va != vc


def test_independent_design_seeds(tmp_path):
    run_design(tmp_path / "s.duckdb", name="toy", design=DESIGN, replicates=2, seed=5, horizon=6, target=TOY,
               executor="inprocess", progress=False, crn=False)
    got = [r[0] for r in table(tmp_path / "s.duckdb", "SELECT seed FROM runs ORDER BY run_id")]
    assert got == [s for row in seeds.design_seeds(5, 3, 2, crn=False) for s in row]


def test_scenarios_share_replicate_seeds_common_random_numbers(tmp_path):
    store = tmp_path / "s.duckdb"
    eid = run_scenarios(store, [sc("baseline"), sc("reform", schedule=[(6, "a", 3.0)])], target=TOY,
                        executor="inprocess", progress=False)
    rows = table(store, "SELECT scenario, replicate, seed FROM runs ORDER BY scenario, replicate")
    base = [r[2] for r in rows if r[0] == "baseline"]
    assert base == [r[2] for r in rows if r[0] == "reform"] == seeds.replicate_seeds(11, 3)
    # CRN: before the reform month the paired series are identical, afterwards they differ
    ts = table(store, "SELECT r.scenario, t.month, t.value FROM timeseries t JOIN runs r USING (experiment_id, run_id) "
                      "WHERE r.replicate = 0 AND t.output = 'participation_rate' ORDER BY 1, 2")
    b = [v for s, m, v in ts if s == "baseline"]
    r = [v for s, m, v in ts if s == "reform"]
    assert b[:6] == r[:6] and b[6:] != r[6:]
    scen = table(store, "SELECT scenario, description, sha256, schedule FROM scenarios WHERE experiment_id = ? "
                        "ORDER BY 1", [eid])
    assert scen[1][0] == "reform" and json.loads(scen[1][3]) == [[6, "a", 3.0]]
    assert table(store, "SELECT kind FROM experiments")[0][0] == "compare"


def test_failing_run_is_recorded_and_the_batch_goes_on(tmp_path):
    store = tmp_path / "s.duckdb"
    design = pd.DataFrame({"a": [0.0, 1.0, 2.0], "fail": [False, True, False]})
    run_design(store, name="toy", design=design, replicates=2, seed=1, horizon=6, target=TOY,
               executor="processes", workers=2, progress=False)
    rows = table(store, "SELECT design_point, status, error FROM runs ORDER BY run_id")
    assert [r[1] for r in rows] == ["ok", "ok", "failed", "failed", "ok", "ok"]
    assert "Traceback" in rows[2][2] and "ValueError: toy failure requested" in rows[2][2]
    assert table(store, "SELECT count(DISTINCT run_id) FROM summaries")[0][0] == 4


def test_timeseries_every(tmp_path):
    store = tmp_path / "s.duckdb"
    run_design(store, name="k", design=DESIGN[:1], seed=1, horizon=10, target=TOY, executor="inprocess",
               progress=False, timeseries_every=4)
    assert [r[0] for r in table(store, "SELECT DISTINCT month FROM timeseries ORDER BY 1")] == [0, 4, 8, 10]
    run_design(store, name="none", design=DESIGN[:1], seed=1, horizon=10, target=TOY, executor="inprocess",
               progress=False, timeseries_every=0)
    assert table(store, "SELECT count(*) FROM timeseries t JOIN experiments e USING (experiment_id) "
                        "WHERE e.name = 'none'")[0][0] == 0
    assert table(store, "SELECT count(*) FROM summaries s JOIN experiments e USING (experiment_id) "
                        "WHERE e.name = 'none'")[0][0] == 3


def test_rerun_is_idempotent_and_new_starts_afresh(tmp_path):
    store = tmp_path / "s.duckdb"
    kw = dict(name="toy", design=DESIGN, seed=5, horizon=6, target=TOY, executor="inprocess", progress=False)
    a = run_design(store, **kw)
    assert run_design(store, **kw) == a
    assert resume(store, a, executor="inprocess", progress=False) == a
    assert table(store, "SELECT count(*) FROM runs")[0][0] == 3
    b = run_design(store, new=True, **kw)
    assert b != a and table(store, "SELECT count(*) FROM runs")[0][0] == 6


def test_bad_inputs_raise_specific_errors(tmp_path):
    store = tmp_path / "s.duckdb"
    with pytest.raises(ExperimentError, match="DataFrame"):
        run_design(store, name="x", design=[[1]], seed=1, target=TOY, progress=False)
    with pytest.raises(ExperimentError, match="replicates"):
        run_design(store, name="x", design=DESIGN, seed=1, replicates=0, target=TOY, progress=False)
    from experiments.worker import TargetError
    with pytest.raises(TargetError, match="module:function"):
        run_design(store, name="x", design=DESIGN, seed=1, target="govsim_toy.simulate", progress=False)
    from model.parameters import ParameterError
    with pytest.raises(ParameterError, match="pay_director"):
        run_design(store, name="x", design=pd.DataFrame({"pay_director": [-1.0]}), seed=1, progress=False)
    with pytest.raises(ExperimentError, match="no experiment 'nope'"):
        resume(store, "nope", progress=False)
    assert not store.exists()  # nothing written for invalid input


def test_design_csv_with_categorical_and_bool_levels(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("pay_director,budget_regime,social_insurance\n500,project,false\n2500,stable,true\n")
    df = design_from_csv(csv)
    from experiments.engine import _design_value
    vals = [[_design_value(c, v, "model.run:simulate", "t") for c, v in zip(df.columns, row)]
            for row in df.itertuples(index=False)]
    assert vals == [[500.0, "project", False], [2500.0, "stable", True]]


def test_export_parquet(tmp_path):
    store = tmp_path / "s.duckdb"
    eid = run_design(store, name="toy", design=DESIGN, seed=5, horizon=6, target=TOY, executor="inprocess",
                     progress=False)
    with open_store(store) as st:
        paths = st.export(tmp_path / "pq", experiment_id=eid)
    got = {p.stem: pd.read_parquet(p) for p in paths}
    assert len(got["runs"]) == 3 and len(got["summaries"]) == 9 and len(got["timeseries"]) == 3 * 7 * 3


def test_network_snapshot_of_the_first_replicate_in_the_run_transaction(tmp_path):
    store = tmp_path / "s.duckdb"
    eid = run_scenarios(store, [sc("baseline"), sc("reform")], target=TOY, executor="processes", workers=2,
                        progress=False, snapshots=True)
    nodes = table(store, "SELECT run_id, community, node, kind, grid, participated FROM network_snapshot "
                         "WHERE experiment_id = ? ORDER BY run_id, node", [eid])
    assert {r[0] for r in nodes} == {"baseline-r0000", "reform-r0000"}
    assert nodes[0] == ("baseline-r0000", 0, "r0", "resident", 0, True)
    assert nodes[2] == ("baseline-r0000", None, "street:0", "street_office", None, None)
    assert table(store, "SELECT count(*) FROM network_edges WHERE experiment_id = ?", [eid])[0][0] == 2
    other = run_scenarios(store, [sc("baseline")], target=TOY, executor="inprocess", progress=False)
    assert table(store, "SELECT count(*) FROM network_snapshot WHERE experiment_id = ?", [other])[0][0] == 0


def test_writer_commits_within_the_interval_also_on_heartbeats():
    import time

    from contextlib import nullcontext

    from experiments.engine import _Interrupts, _Writer

    class FakeStore:
        def __init__(self):
            self.commits = []

        def connection(self, timeout=None):
            return nullcontext()

        def write_runs(self, experiment_id, payloads):
            self.commits.append([p["task"]["run_id"] for p in payloads])

    st = FakeStore()
    w = _Writer(st, "e", _Interrupts(), print, interval=0.2)
    ok = {"status": "ok"}
    w.add({**ok, "task": {"run_id": "a"}})
    w.add({**ok, "task": {"run_id": "b"}})
    assert st.commits == []  # buffered: several finished runs share one transaction
    time.sleep(0.25)
    w.add(None)  # an executor heartbeat while no run finishes
    assert st.commits == [["a", "b"]]
    w.add({**ok, "task": {"run_id": "c"}})
    w.flush()
    assert st.commits == [["a", "b"], ["c"]] and (w.ok, w.failed) == (3, 0)


def test_output_declarations_travel_into_the_store(tmp_path):
    """The model target's declared outputs (label, unit, direction, smallest meaningful change)
    are written with the experiment, so analysis can read them from the store; a target that
    declares none gets no rows."""
    from model.outputs import OUTPUTS

    store = tmp_path / "s.duckdb"
    eid = run_scenarios(store, [sc("baseline")], horizon=2, replicates=1, executor="inprocess", progress=False,
                        snapshots=False)
    rows = table(store, "SELECT output, label, unit, direction, min_change, relative, cost, target FROM outputs "
                        "WHERE experiment_id = ? ORDER BY output", [eid])
    assert [r[0] for r in rows] == sorted(OUTPUTS)
    by = {r[0]: r for r in rows}
    assert by["satisfied_share"][1:] == ("Residents satisfied", "share", "higher", 0.02, False, False, 0.95)
    assert by["turnover_annual"][3] == "lower" and by["wage_bill"][6] is True
    toy = run_scenarios(store, [sc("baseline")], target=TOY, executor="inprocess", progress=False)
    assert table(store, "SELECT count(*) FROM outputs WHERE experiment_id = ?", [toy])[0][0] == 0


def test_scenario_titles_travel_into_the_store(tmp_path):
    from experiments.scenarios import load_scenario

    store = tmp_path / "s.duckdb"
    base = load_scenario("baseline")
    eid = run_scenarios(store, [base], horizon=2, replicates=1, executor="inprocess", progress=False,
                        snapshots=False)
    assert table(store, "SELECT scenario, title FROM scenarios WHERE experiment_id = ?", [eid]) == [
        ("baseline", base.title)]
