"""The app's logic without a browser: levers from the registry, settings, the paired runs on
one seed, saving a scenario file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from app import session as S
from experiments.scenarios import load_scenario
from model.parameters import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def test_levers_are_the_registrys_policy_parameters():
    lv = S.levers()
    assert sorted(x.name for x in lv) == sorted(p.name for p in REGISTRY.values() if p.kind == "policy")
    groups = list(dict.fromkeys(x.group for x in lv))
    assert groups[: len([g for g in S.GROUP_ORDER if g in groups])] == [g for g in S.GROUP_ORDER if g in groups]
    for x in lv:
        p = REGISTRY[x.name]
        assert x.label == p.meaning and x.unit == p.unit and x.type == p.type
        if x.type in ("float", "int"):
            assert (x.lo, x.hi) == tuple(p.bounds) and x.step > 0
            assert S.on_grid(p.default, x), x  # a slider never rounds the default away
        if x.type == "choice":
            assert x.choices == p.choices


def _reference(horizon: int = 30) -> S.Settings:
    return S.settings_from_scenario(load_scenario("baseline"), seed=3, horizon=horizon)


def test_settings_lever_and_switch_month():
    ref = _reference()
    lever = next(x for x in S.levers() if x.type == "float")
    ch = ref.with_lever(lever.name, lever.hi)
    assert ch.value(lever.name) == lever.hi and ch.start_value(lever.name) == REGISTRY[lever.name].default
    assert ch.schedule == ((S.DEFAULT_SWITCH_MONTH, lever.name, lever.hi),)
    moved = ch.with_switch_month(6)
    assert moved.schedule == ((6, lever.name, lever.hi),) and moved.switch_month == 6
    assert moved.with_lever(lever.name, REGISTRY[lever.name].default).schedule == ()  # back to the start: no change
    with pytest.raises(ValueError):
        moved.with_switch_month(31)


def test_scenario_settings_keep_the_files_schedule():
    sc = load_scenario("pay_raise")
    ch = S.settings_from_scenario(sc, seed=1, horizon=60)
    assert ch.switch_month == min(m for m, _, _ in sc.schedule)
    for m, n, v in sc.schedule:
        assert ch.value(n) == v
    assert ch.source == "pay_raise"


def test_paired_runs_share_the_seed_and_differ_only_after_the_switch():
    ref = _reference(horizon=12)
    lever = next(x for x in S.levers() if x.type == "float")
    same = S.PairedRun(ref, ref)
    same.run_to(12)
    for o in S.key_outputs():
        np.testing.assert_array_equal(same.series([o])["baseline"][o], same.series([o])["reform"][o])
    ch = ref.with_switch_month(4).with_lever(lever.name, lever.hi)
    pr = S.PairedRun(ref, ch)
    pr.run_to(12)
    s = pr.series(S.key_outputs())
    assert pr.month == 12 and pr.done
    assert all(np.array_equal(s["baseline"][o][:5], s["reform"][o][:5]) for o in S.key_outputs())
    assert any(not np.array_equal(s["baseline"][o][5:], s["reform"][o][5:]) for o in S.key_outputs())
    # new settings re-run the reform arm to the current month; the baseline arm is untouched
    base_before = s["baseline"][S.key_outputs()[0]].copy()
    pr.set_chosen(ref)
    s2 = pr.series(S.key_outputs())
    assert pr.month == 12
    np.testing.assert_array_equal(s2["baseline"][S.key_outputs()[0]], base_before)
    np.testing.assert_array_equal(s2["reform"][S.key_outputs()[0]], base_before)


def test_paired_run_stepped_from_two_threads_stays_paired():
    """The page steps from its play thread while a button runs to the end: the arms stay on
    the same month and give what stepping one after the other gives."""
    import threading

    ref = _reference(horizon=24)
    lever = next(x for x in S.levers() if x.type == "float")
    ch = ref.with_switch_month(3).with_lever(lever.name, lever.hi)
    outs = S.key_outputs()[:3]
    alone = S.PairedRun(ref, ch)
    alone.run_to(24)
    both = S.PairedRun(ref, ch)

    def play():
        while not both.done:
            both.step()

    threads = [threading.Thread(target=play), threading.Thread(target=both.run_to, args=(24,)),
               threading.Thread(target=both.set_chosen, args=(ch,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert both.base.month == both.reform.month == 24
    a, b = alone.series(outs), both.series(outs)
    for arm in ("baseline", "reform"):
        for o in outs:
            np.testing.assert_array_equal(a[arm][o], b[arm][o])


def test_the_community_picker_follows_mergers():
    """After a merger the reform arm has fewer communities; the network view offers each of
    them (and only them) to draw."""
    from model.run import network_snapshot

    ref = _reference(horizon=6)
    merge = next(x for x in S.levers() if x.name == "merge_rate")
    pr = S.PairedRun(ref, ref.with_switch_month(1).with_lever(merge.name, merge.hi))
    pr.run_to(4)
    n_base, n_reform = S.n_communities(pr.base), S.n_communities(pr.reform)
    assert n_reform < n_base
    for c in range(n_reform):
        nodes, _ = network_snapshot(pr.reform, c)
        assert len(nodes) > 0


def test_hierarchy_frames_cover_every_community_and_grid():
    """As many community and grid nodes as the model's own outputs count (public surface)."""
    m = _reference(horizon=2).model()
    m.step()
    nodes, edges = S.hierarchy_frames(m)
    counts = m.datacollector.get_model_vars_dataframe().iloc[-1]
    assert (nodes["kind"] == "community").sum() == counts["n_communities"] == S.n_communities(m)
    assert (nodes["kind"] == "grid").sum() == counts["n_grids"]
    assert set(edges["source"]) | set(edges["target"]) <= set(nodes["node"])


@pytest.fixture
def scen_dir(tmp_path) -> Path:
    shutil.copy(ROOT / "scenarios" / "baseline.toml", tmp_path / "baseline.toml")
    return tmp_path


def test_saved_scenario_loads_with_its_values(scen_dir):
    ref = S.settings_from_scenario(load_scenario("baseline", directory=scen_dir), horizon=30)
    choice = next(x for x in S.levers() if x.type == "choice")
    flag = next(x for x in S.levers() if x.type == "bool")
    ch = (ref.with_switch_month(5).with_lever(choice.name, choice.choices[-1])
          .with_lever(flag.name, not flag.default))
    path = S.save_scenario(ch, ref, name="mine", title="My reform", directory=scen_dir)
    sc = load_scenario("mine", directory=scen_dir)
    assert sc.title == "My reform" and sc.chain == ("baseline", "mine")
    assert sorted(map(tuple, sc.schedule)) == sorted(ch.schedule)
    assert path == scen_dir / "mine.toml"


@pytest.mark.parametrize(("name", "problem"), [("bad name", "not allowed"), ("baseline", "baseline itself"),
                                               ("taken", "exists")])
def test_bad_names_are_refused_and_nothing_is_left(scen_dir, name, problem):
    (scen_dir / "taken.toml").write_text('extends = "baseline"\n', encoding="utf-8")
    ref = S.settings_from_scenario(load_scenario("baseline", directory=scen_dir))
    before = sorted(p.name for p in scen_dir.iterdir())
    with pytest.raises(S.SaveError, match=problem):
        S.save_scenario(ref, ref, name=name, directory=scen_dir)
    assert sorted(p.name for p in scen_dir.iterdir()) == before
