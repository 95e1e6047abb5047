"""The lever search: NSGA-II finds a known front, requirements are respected, the same seed
gives the same search, a rerun resumes from the store, and the CLI gives one-line errors."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from analysis.search import analyze, pareto_mask, summary_markdown, write_search
from experiments import search
from experiments.futures import FactorSelection
from experiments.search import SearchError, parse_lever, parse_requirement

TOY = "experiments.analytic:lever_trade_off"
BASE = {"name": "base", "params": {}, "schedule": []}
A_FUTURES = FactorSelection(factors=({"name": "a", "lower": 0.8, "upper": 1.2},))


def toy(store, *, generations, population=16, seed=3, **kw):
    return search.run(store, name=kw.pop("name", "toy"), levers=["x=0:1", "y=0:1"], minimize=["cost"],
                      maximize=["benefit"], require=kw.pop("require", ["benefit >= 0.75"]), base=BASE, month=0,
                      population=population, generations=generations, seed=seed, target=TOY, futures="lhs",
                      n_futures=6, selection=A_FUTURES, replicates=1, horizon=1, executor="inprocess",
                      progress=False, **kw)


def mean_a(store) -> float:
    with duckdb.connect(str(store), read_only=True) as con:
        first = con.execute("SELECT experiment_id FROM experiments ORDER BY created LIMIT 1").fetchone()[0]
        return float(con.execute("SELECT avg(value) FROM design WHERE factor = 'a' AND experiment_id = ?",
                                 [first]).fetchone()[0])


def test_pareto_mask_by_hand():
    # (cost ↓, benefit ↑): b dominates a; c and b trade off; d is dominated by c
    v = np.array([[2.0, 1.0], [1.0, 1.0], [3.0, 2.0], [3.5, 2.0]])
    assert pareto_mask(v, ["minimize", "maximize"]).tolist() == [False, True, True, False]
    assert pareto_mask(v, ["maximize", "maximize"]).tolist() == [False, False, False, True]


def test_search_finds_the_known_front_and_respects_the_requirement(tmp_path):
    """cost = x + 0.3 y, benefit = a x (2 − x): y only costs, so the front has y near 0, and
    the cheapest setting meeting benefit ≥ 0.75 is x* = 1 − √(1 − 0.75 / ā)."""
    store = tmp_path / "s.duckdb"
    toy(store, generations=15)
    res = analyze(store, "toy")
    x_star = 1 - np.sqrt(1 - 0.75 / mean_a(store))
    front = res.front
    assert len(front) >= 5 and front["feasible"].all()
    assert (front["benefit"] >= 0.75).all()
    cheapest = front.sort_values("cost").iloc[0]
    assert abs(cheapest["x"] - x_star) < 0.05 and cheapest["y"] <= 0.1
    assert front["y"].median() <= 0.1
    # infeasible candidates were proposed, evaluated and kept off the front
    assert (~res.candidates["feasible"]).any() and not res.candidates.loc[~res.candidates["feasible"], "on_front"].any()
    # the base reform is run once, with the levers as they are, and is never on the front
    ref = res.candidates[res.candidates["candidate"] == "reference"]
    assert len(ref) == 1 and ref["cost"].iloc[0] == 0 and not ref["on_front"].iloc[0]
    files = write_search(res, tmp_path / "out", formats=("png",))
    assert {p.name for p in files} >= {"front.csv", "candidates.csv", "summary.md", "search_front.png"}
    md = summary_markdown(res)
    assert "on the Pareto front" in md and "benefit >= 0.75" in md


def test_same_seed_same_search_and_a_rerun_resumes(tmp_path):
    a, b, c = (tmp_path / f"{n}.duckdb" for n in "abc")
    toy(a, generations=3)
    toy(b, generations=3)
    toy(c, generations=3, seed=4)
    ca, cb, cc = (analyze(s, "toy").candidates for s in (a, b, c))
    cols = ["candidate", "x", "y", "cost", "benefit"]
    assert ca[cols].equals(cb[cols])
    assert not ca[cols].equals(cc[cols])

    def runs(s):
        with duckdb.connect(str(s), read_only=True) as con:
            return con.execute("SELECT count(*), max(finished) FROM runs").fetchone()

    before = runs(a)
    toy(a, generations=3)  # the same search again: every generation is found complete in the store
    assert runs(a) == before
    toy(a, generations=5)  # longer: the first three replay from the store, two more run
    longer = analyze(a, "toy").candidates
    assert runs(a)[0] == before[0] + 2 * 16 * 6
    assert longer[longer["generation"] < 3][cols].reset_index(drop=True).equals(ca[cols].reset_index(drop=True))
    toy(b, generations=5)
    assert analyze(b, "toy").candidates[cols].equals(longer[cols])  # resumed = run in one go


def test_no_feasible_candidate_is_said_plainly(tmp_path):
    store = tmp_path / "s.duckdb"
    toy(store, generations=1, population=4, require=["benefit >= 5"])
    res = analyze(store, "toy")
    assert res.front.empty and "No candidate met every requirement" in summary_markdown(res)


def test_levers_and_requirements_parse_or_say_why():
    lv = parse_lever("pay_member")
    assert (lv.type, lv.low, lv.high) == ("float", 300.0, 2000.0)  # the registry's plausible range
    assert parse_lever("budget_regime").choices == ("project", "stable", "reward")
    assert parse_lever("social_insurance").choices == (False, True)
    assert parse_lever("approval_delay=0:3").type == "int"
    assert parse_requirement("quit_rate_annual <= 15%").value == pytest.approx(0.15)
    for bad, msg in (("gamma0", "uncertainty parameter; levers are the policy parameters"),
                     ("pay_membr", "did you mean 'pay_member'"), ("pay_member=3:1", "LOW < HIGH"),
                     ("pay_member=-5:100", "pay_member"), ("budget_regime=1:2", "give it without a range"),
                     ("x=0:1", None)):
        if msg is None:
            assert parse_lever(bad, target=TOY).high == 1.0  # another target: its own names, with ranges
            continue
        with pytest.raises(SearchError, match=msg):
            parse_lever(bad)
    with pytest.raises(SearchError, match="give its range"):
        parse_lever("x", target=TOY)
    with pytest.raises(SearchError, match="OUTPUT OP NUMBER"):
        parse_requirement("turnover is low")


# ------------------------------------------------------------------ the CLI (tiny model world)
TINY = ["--base-param", "residents_per_community=40", "--base-param", "communities_per_street=2",
        "--base-param", "burn_in=6", "--horizon", "30", "--month", "6"]


def test_cli_plan_run_and_analyze(tmp_path, govsim):
    store = str(tmp_path / "g.duckdb")
    lever_args = ["--lever", "pay_member=800:2000", "--lever", "social_insurance", "--minimize", "wage_bill",
                  "--maximize", "satisfied_share", "--require", "turnover_annual <= 60%", "--factors", "gamma0",
                  "--n-futures", "2", "--replicates", "1", "--population", "4", "--generations", "2",
                  "--store", store]
    r = govsim("search", "plan", *lever_args)
    assert r.returncode == 0, r.stderr
    assert "pay_member in [800, 2000]" in r.stdout and "9 candidates" in r.stdout and "= 18 runs" in r.stdout
    r = govsim("search", "run", "cheap", *lever_args, *TINY, "--executor", "inprocess", "--no-progress",
               "--out", str(tmp_path / "o"), "--formats", "png")
    assert r.returncode == 0, r.stderr
    assert "Lever search 'cheap'" in r.stdout and "generation 1:" in r.stderr
    assert (tmp_path / "o" / "search_front.png").exists() and (tmp_path / "o" / "front.csv").exists()
    r = govsim("search", "analyze", "cheap", "--store", store, "--out", str(tmp_path / "o2"), "--formats", "png")
    assert r.returncode == 0 and "| candidate |" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["--lever", "gamma0", "--minimize", "wage_bill"], "levers are the policy parameters"),
    (["--lever", "pay_member", "--minimize", "wage_bil"], "did you mean 'wage_bill'"),
    (["--lever", "pay_member"], "no objective given"),
    (["--lever", "pay_member", "--minimize", "wage_bill", "--require", "wage_bill is low"], "OUTPUT OP NUMBER"),
    (["--lever", "pay_member", "--minimize", "wage_bill", "--factors", "pay_member", "--range",
      "pay_member=300:900"], "also varied by the futures"),
    (["--lever", "pay_member", "--minimize", "wage_bill", "--population", "2"], "--population must be"),
    (["--lever", "pay_member", "--minimize", "wage_bill", "--month", "200"], "after the horizon"),
])
def test_cli_bad_input_one_line_exit_2(tmp_path, govsim, args, message):
    store = tmp_path / "x.duckdb"
    r = govsim("search", "run", "s", *args, "--store", str(store), "--no-progress", "--n-futures", "2")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not store.exists()


def test_unknown_search_is_named(tmp_path, govsim):
    store = tmp_path / "s.duckdb"
    toy(store, generations=1, population=4)
    r = govsim("search", "analyze", "nope", "--store", str(store))
    assert r.returncode == 2 and "no search named 'nope'" in r.stderr and "toy" in r.stderr
