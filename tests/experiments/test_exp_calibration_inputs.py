"""Targets files, worlds and the bad input of `govsim calibrate`: one line naming the file, the
key, the value and what is allowed, exit code 2, nothing written."""

from pathlib import Path

import numpy as np
import pytest

from experiments.cli import main
from experiments.targets import TargetsFileError, load_targets, measure_world, worlds

REPO = Path(__file__).resolve().parents[2]

GOOD = '''
description = "two turnout targets"
parameters = ["cost_youth", "vote_base"]

[[target]]
name = "t_youth"
output = "turnout_youth"
value = 0.28
low = 0.23
high = 0.33
role = "calibration"
source = "synthetic"
meaning = "youth turnout"
window = [3, 6]
[target.setting]
urban_share = 1.0
communities_per_street = 1
residents_per_community = 120
burn_in = 0
first_election = 3

[[target]]
name = "t_list"
output = "admin_tasks"
value = -0.3
low = -0.5
high = -0.1
role = "validation"
source = "synthetic"
meaning = "task list effect"
kind = "relative"
window = [5, 8]
horizon = 8
[target.setting]
urban_share = 1.0
communities_per_street = 1
residents_per_community = 120
burn_in = 0
first_election = 3
[target.schedule.4]
task_access_list = 0.47
'''


def write(tmp_path, text, name="t.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_targets_file_loads_with_the_fields_and_checks_of_target(tmp_path):
    ts = load_targets(write(tmp_path, GOOD))
    assert [t.name for t in ts.targets] == ["t_youth", "t_list"]
    assert ts.parameters == ("cost_youth", "vote_base")
    t = ts.targets[1]
    assert t.kind == "relative" and t.schedule == ((4, "task_access_list", 0.47),) and t.months == 8
    assert len(ts.sha256) == 64


def test_the_project_table_and_the_sbc_problem_load():
    project = load_targets(None)
    assert len(project.of_role("calibration")) >= 8
    held_out = project.of_role("validation")
    fitted = project.of_role("calibration") + held_out
    assert len(held_out) >= len(fitted) / 3  # at least a third of calibration + validation is held out
    sbc = load_targets(REPO / "targets" / "sbc.toml")
    assert sbc.parameters == ("cost_youth", "vote_base")


BAD = [
    # (replace in GOOD, replacement, key fragment, message fragment)
    ('output = "turnout_youth"', 'output = "turnout_yuoth"', "target[0] (t_youth).output", "is not a declared output"),
    ('window = [3, 6]', 'window = [6, 3]', "target[0] (t_youth).window", "is impossible"),
    ('window = [5, 8]', 'window = [5, 9]', "target[1] (t_list).window", "≤ horizon (8)"),
    ('window = [3, 6]', 'window = [3]', "target[0] (t_youth).window", "not a window"),
    ('parameters = ["cost_youth", "vote_base"]', 'parameters = ["cost_youth", "deputies_per_committee"]',
     "parameters[1]", "int parameter"),
    ('parameters = ["cost_youth", "vote_base"]', 'parameters = ["cost_youth", "kappa_trus"]', "parameters[1]",
     "did you mean 'kappa_trust'"),
    ('parameters = ["cost_youth", "vote_base"]', 'parameters = ["cost_youth", "committee_posts"]', "parameters[1]",
     "has no prior"),
    ("urban_share = 1.0\ncommunities_per_street = 1\nresidents_per_community = 120\nburn_in = 0\nfirst_election = 3\n\n"
     "[[target]]", "urban_share = 2.0\ncommunities_per_street = 1\nresidents_per_community = 120\nburn_in = 0\n"
     "first_election = 3\n\n[[target]]", "target[0] (t_youth).setting.urban_share", "[0, 1]"),
    ("value = 0.28", "value = 0.5", "target[0] (t_youth).value", "outside its interval"),
    ("value = 0.28", 'value = "high"', "target[0] (t_youth).value", "not a finite number"),
    ('role = "calibration"', 'role = "fitting"', "target[0] (t_youth).role", "is not a role"),
    ("[target.schedule.4]", "[target.schedule.40]", "target[1] (t_list).schedule", "after the last month"),
    ("task_access_list = 0.47", "n_streets = 2", "target[1] (t_list).schedule.4.n_streets", "cannot be scheduled"),
    ('meaning = "youth turnout"', 'meening = "youth turnout"', "target[0].meening", "did you mean 'meaning'"),
    ('description = "two turnout targets"', 'description = "two turnout targets\nbroken',
     "", "malformed TOML"),
]


@pytest.mark.parametrize("old, new, key, fragment", BAD, ids=[b[3] for b in BAD])
def test_bad_targets_file_one_line_naming_file_key_value_exit_2(tmp_path, capsys, old, new, key, fragment):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1), "bad.toml")
    store = tmp_path / "s.duckdb"
    code = main(["calibrate", "--targets", str(path), "--store", str(store), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("govsim: error: ") and "bad.toml" in lines[0]
    if key:
        assert f"key '{key}'" in lines[0], lines[0]
    assert fragment in lines[0], lines[0]
    assert not store.exists()  # nothing written


@pytest.mark.parametrize("argv, fragment", [
    (["--parameters", "deputies_per_committee"], "int parameter"),
    (["--parameters", "committee_posts"], "has no prior"),
    (["--parameters", "no_such"], "unknown parameter"),
    (["--particles", "1"], "particles must be"),
    (["--epsilons", "3,4"], "non-increasing"),
    (["--generations", "3", "--until-eps", "1"], "not allowed with argument"),
])
def test_bad_calibrate_options_exit_2(tmp_path, capsys, argv, fragment):
    store = tmp_path / "s.duckdb"
    try:
        code = main(["calibrate", "--store", str(store), "--no-progress", *argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert not store.exists()


def test_errors_are_govsim_errors_with_the_file():
    with pytest.raises(TargetsFileError) as info:
        load_targets("no/such/file.toml")
    assert "no/such/file.toml" in str(info.value) and "cannot read" in str(info.value)


def test_worlds_group_targets_by_setting_with_one_run_per_schedule():
    project = load_targets(None)
    cal = {t: w for w in worlds(project.of_role("calibration")) for t in w.targets}
    # the urban street's tasks (24 months) and turnout (60 months) are one world, one 60-month run
    assert cal["turnout_youth"] is cal["tasks_urban"] and cal["tasks_urban"].runs == (((), 60),)
    by_target = {t: w for w in worlds(project.targets) for t in w.targets}
    # with the held-out targets, the task list's run (48 months, list from month 12) joins that world
    assert len(by_target["tasks_urban"].runs) == 2
    # the county world: the pre-merger run and two schedules (merger; merger and new pay scale)
    county = by_target["wage_bill_before_merger"]
    assert len(county.runs) == 3 and {s for s, _ in county.runs} >= {()}
    # an effect target runs its schedule and the run without it in the same world
    merger = by_target["merger_lowers_turnout"]
    stat = next(s for s in merger.stats if s[0] == "merger_lowers_turnout")
    assert merger.runs[stat[5]][0] and merger.runs[stat[6]][0] == () and merger.runs[stat[6]][1] >= 150


def test_a_run_does_not_depend_on_its_horizon_so_one_run_serves_every_window():
    from model.run import simulate

    setting = {"urban_share": 1.0, "communities_per_street": 1, "residents_per_community": 150, "burn_in": 2}
    short = simulate(setting, seed=5, horizon=10, schedule=[(4, "task_access_list", 0.5)]).timeseries
    long = simulate(setting, seed=5, horizon=30, schedule=[(4, "task_access_list", 0.5)]).timeseries
    for k in short:
        np.testing.assert_array_equal(short[k], long[k][:11])


def test_measure_world_computes_levels_and_paired_relative_effects(tmp_path):
    from model.run import simulate

    ts = load_targets(write(tmp_path, GOOD))
    (world,) = worlds(ts.targets)
    theta = {"cost_youth": 3.0, "vote_base": 0.5}
    got = measure_world({**theta, "world": world.spec()}, seed=11)["summary"]
    setting = dict(ts.targets[0].setting)
    with_ = simulate({**theta, **setting}, seed=11, horizon=8, schedule=[(4, "task_access_list", 0.47)]).timeseries
    without = simulate({**theta, **setting}, seed=11, horizon=8).timeseries
    assert got["t_youth"] == pytest.approx(float(np.mean(without["turnout_youth"][3:7])))
    a, b = float(np.mean(with_["admin_tasks"][5:9])), float(np.mean(without["admin_tasks"][5:9]))
    assert got["t_list"] == pytest.approx((a - b) / b)
    assert got["t_list"] < 0  # the list keeps tasks out


def test_the_world_setting_takes_precedence_over_the_parameter_set(tmp_path):
    ts = load_targets(write(tmp_path, GOOD))
    (world,) = worlds(ts.targets)
    a = measure_world({"urban_share": 0.0, "world": world.spec()}, seed=3)["summary"]
    b = measure_world({"world": world.spec()}, seed=3)["summary"]
    assert a == b


def test_the_sbc_error_is_uniform_in_the_ball():
    from scipy import stats

    from experiments.sbc import uniform_ball

    rng = np.random.default_rng(0)
    pts = np.array([uniform_ball(rng, 3, 2.0) for _ in range(4000)])
    r = np.linalg.norm(pts, axis=1)
    assert r.max() <= 2.0
    # uniform in the 3-ball: P(|x| ≤ s) = (s / 2)^3, and every direction alike
    assert stats.kstest((r / 2.0) ** 3, "uniform").pvalue > 0.01
    assert np.abs(pts.mean(axis=0)).max() < 0.05
