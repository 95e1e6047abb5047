import subprocess
import sys
from pathlib import Path

import pytest

from experiments.scenarios import ScenarioError, list_scenarios, load_many, load_scenario
from model.parameters import REGISTRY, defaults

REFORMS = {"village_merger", "pay_raise", "stable_budget", "reward_in_lieu", "purchase_services",
           "task_access_list", "community_authority", "grid_management", "informatisation_integrated",
           "informatisation_silos", "graduate_recruitment", "combined_package"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_every_shipped_scenario_loads_and_names_its_report_section():
    names = list_scenarios()
    assert "baseline" in names and REFORMS <= set(names)
    for sc in load_many(["all"]):
        assert sc.description
        assert sc.title and len(sc.title) <= 80  # a readable title for reports and the app
        assert "Report §" in Path(sc.source_file).read_text(encoding="utf-8")
        for month, name, _ in sc.schedule:
            assert REGISTRY[name].kind != "structural" and 0 <= month <= sc.horizon


def test_baseline_is_the_registry_defaults_and_reforms_start_at_month_24():
    base = load_scenario("baseline")
    assert base.params == {} and base.schedule == []
    for name in REFORMS:
        sc = load_scenario(name)
        assert sc.chain[0] == "baseline"
        assert sc.schedule and min(m for m, _, _ in sc.schedule) == 24
        # every scheduled change is a change from the pre-reform value
        assert any(defaults()[n] != v for _, n, v in sc.schedule)


def test_village_merger_encodes_the_county_reform():
    sc = load_scenario("village_merger")
    got = {n: v for m, n, v in sc.schedule if m == 24}
    assert got == {"merge_rate": 0.7, "pay_secretary": 2500.0, "pay_director": 2500.0, "pay_deputy": 2100.0, "pay_member": 1400.0,
                   "pay_topup": 0.0, "social_insurance": True, "parttime_committee": 0.0}
    assert {n for _, n, _ in load_scenario("informatisation_integrated").schedule} >= {"n_platforms"}
    assert dict((n, v) for _, n, v in load_scenario("informatisation_integrated").schedule)["n_platforms"] == 1


def test_extends_inherits_and_overrides(tmp_path):
    write(tmp_path, "base", 'horizon = 60\nreplicates = 3\nseed = 9\n[params]\nbeta0 = -3.0\n'
                            '[schedule.12]\npay_director = 1000\n')
    write(tmp_path, "child", 'extends = "base"\nreplicates = 5\n[params]\ncost_youth = 2.5\n'
                             '[[schedule]]\nmonth = 12\nname = "pay_director"\nvalue = 2000\n'
                             '[[schedule]]\nmonth = 30\nname = "budget_regime"\nvalue = "stable"\n')
    sc = load_scenario("child", directory=tmp_path)
    assert (sc.horizon, sc.replicates, sc.seed) == (60, 5, 9)
    assert sc.params == {"beta0": -3.0, "cost_youth": 2.5}
    assert sc.schedule == [[12, "pay_director", 2000.0], [30, "budget_regime", "stable"]]
    assert sc.chain == ("base", "child")
    before = sc.sha256
    write(tmp_path, "base", 'horizon = 60\nreplicates = 3\nseed = 9\n')
    assert load_scenario("child", directory=tmp_path).sha256 != before  # the hash covers the parent


@pytest.mark.parametrize("text, key, fragment", [
    ('descripton = "x"\n', "descripton", "did you mean 'description'"),
    ('[params]\npay_directr = 2500\n', "params.pay_directr", "did you mean 'pay_director'"),
    ('[params]\npay_director = "lots"\n', "params.pay_director", "a number"),
    ('[params]\nmerge_rate = 0.95\n', "params.merge_rate", "[0, 0.9]"),
    ('[params]\nbudget_regime = "grant"\n', "params.budget_regime", "project"),
    ('[schedule.24]\npay_director = -5\n', "schedule.24.pay_director", "[0, 20000]"),
    ('[schedule.24]\nn_streets = 2\n', "schedule.24.n_streets", "structural"),
    ('[schedule.24]\nmech_elections = false\n', "schedule.24.mech_elections", "mechanism and cannot be scheduled"),
    ('[schedule.soon]\npay_director = 2500\n', "schedule.soon", "whole number"),
    ('[[schedule]]\nmonth = 24\nname = "pay_director"\n', "schedule[0]", "missing ['value']"),
    ('horizon = 12\n[schedule.24]\npay_director = 2500\n', "schedule.24.pay_director", "after the horizon"),
    ('replicates = 0\n', "replicates", "[1, 1000000]"),
    ('seed = 1.5\n', "seed", "whole number"),
    ('title = 3\n', "title", "one-line title"),
    ('name = "other"\n', "name", "file stem"),
])
def test_errors_name_file_key_value_and_what_is_allowed(tmp_path, text, key, fragment):
    write(tmp_path, "bad", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario("bad", directory=tmp_path)
    err = info.value
    assert err.file.endswith("bad.toml") and err.key == key
    assert fragment in str(err) and "bad.toml" in str(err) and key in str(err)


def test_cycles_malformed_toml_and_unknown_names(tmp_path):
    write(tmp_path, "a", 'extends = "b"\n')
    write(tmp_path, "b", 'extends = "a"\n')
    with pytest.raises(ScenarioError, match=r"cycle \(a -> b -> a\)"):
        load_scenario("a", directory=tmp_path)
    write(tmp_path, "broken", '[params\npay_director = 1\n')
    with pytest.raises(ScenarioError, match="malformed TOML"):
        load_scenario("broken", directory=tmp_path)
    with pytest.raises(ScenarioError, match="did you mean 'broken'"):
        load_scenario("brokn", directory=tmp_path)
    write(tmp_path, "orphan", 'extends = "basline"\n')
    with pytest.raises(ScenarioError, match="no such scenario"):
        load_scenario("orphan", directory=tmp_path)


def test_cli_rejects_a_bad_scenario_with_exit_code_2_and_writes_nothing(tmp_path):
    write(tmp_path, "bad", '[params]\npay_directr = 2500\n')
    store = tmp_path / "out" / "s.duckdb"
    r = subprocess.run([sys.executable, "-m", "experiments.cli", "run", str(tmp_path / "bad.toml"),
                        "--store", str(store), "--no-progress"], capture_output=True, text=True, timeout=120,
                       cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "bad.toml" in lines[0] and "params.pay_directr" in lines[0] and "pay_director" in lines[0]
    assert not store.exists() and not store.parent.exists()
