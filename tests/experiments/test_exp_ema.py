"""The EMA Workbench bridge: EMA's perform_experiments and the project's engine agree exactly.

EMA Workbench is the optional extra ``ema``; ``make setup`` (and so CI) installs it. Without
it the tests are skipped with the reason — except under CI, where a missing extra fails.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from exp_helpers import table

if importlib.util.find_spec("ema_workbench") is None:
    if os.environ.get("CI"):
        pytest.fail("ema_workbench is missing: CI installs the 'ema' extra (make setup)", pytrace=False)
    pytest.skip("EMA Workbench is not installed (pip install -e '.[ema]')", allow_module_level=True)

from experiments.scenarios import load_scenario  # noqa: E402
from model.parameters import REGISTRY  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:ipyparallel not installed")  # EMA's optional parallel evaluator

BASE = {"residents_per_community": 40, "communities_per_street": 2}
HORIZON = 30
SEED = 7
UNCERTAINTIES = ["tasks_per_household", "gamma0"]


def _first(kind, type_=None, *, ranged=None):
    """The first registry parameter of a kind (and type; with or without sa_bounds)."""
    return next(p.name for p in REGISTRY.values() if p.kind == kind and (type_ is None or p.type == type_)
                and (ranged is None or (p.sa_bounds is not None) == ranged))


@pytest.fixture(scope="module")
def ema_run():
    from ema_workbench import SequentialEvaluator, perform_experiments

    from experiments.ema import build_model, scenario_policies

    model = build_model(uncertainties=UNCERTAINTIES, scenarios=["pay_raise"],
                        outputs=["satisfied_share", "turnover_annual"], series=["participation_rate"],
                        horizon=HORIZON, base_params=BASE, replications=2, seed=SEED)
    policies = scenario_policies(["baseline", "pay_raise"])
    experiments, outcomes = perform_experiments(model, scenarios=3, policies=policies,
                                                evaluator=SequentialEvaluator(model))
    return model, experiments, outcomes


def test_model_from_registry(ema_run):
    from ema_workbench import BooleanParameter, CategoricalParameter, IntegerParameter, RealParameter, ScalarOutcome

    ema_type = {"float": RealParameter, "int": IntegerParameter, "bool": BooleanParameter,
                "choice": CategoricalParameter}
    model, _, _ = ema_run
    unc = {p.name: p for p in model.uncertainties}
    assert set(unc) == set(UNCERTAINTIES)
    for name, p in unc.items():
        assert type(p) is ema_type[REGISTRY[name].type]
        assert (p.lower_bound, p.upper_bound) == REGISTRY[name].sa_bounds
    # the levers are what the scenario file switches on, typed from the registry
    levers = {p.name: p for p in model.levers}
    assert set(levers) == {n for _, n, _ in load_scenario("pay_raise").schedule}
    for name, p in levers.items():
        assert REGISTRY[name].kind == "policy" and type(p) is ema_type[REGISTRY[name].type]
    outcomes = {o.name: o for o in model.outcomes}
    assert {"satisfied_share", "satisfied_share_replicates", "participation_rate_series"} <= set(outcomes)
    # a scalar outcome's kind is its output's declared direction
    from model.outputs import OUTPUTS

    kinds = {"higher": ScalarOutcome.MAXIMIZE, "lower": ScalarOutcome.MINIMIZE, "none": ScalarOutcome.INFO}
    for name in ("satisfied_share", "turnover_annual"):
        assert outcomes[name].kind == kinds[OUTPUTS[name].direction]


def test_perform_experiments_equals_engine(ema_run, tmp_path):
    """Same points, same seeds → the engine's stored values equal EMA's outcomes exactly."""
    from experiments.engine import run_futures
    from experiments.scenarios import load_reform

    _, experiments, outcomes = ema_run
    futures = (experiments[["scenario", *UNCERTAINTIES]].drop_duplicates("scenario")
               .sort_values("scenario").reset_index(drop=True))
    store = tmp_path / "s.duckdb"
    eid = run_futures(store, name="ema-check", futures=futures[UNCERTAINTIES],
                      reforms=[load_reform("baseline"), load_reform("pay_raise")], base_params=BASE, replicates=2,
                      seed=SEED, horizon=HORIZON, executor="inprocess", progress=False, seed_scope="shared")
    rows = table(store, "SELECT r.scenario, r.design_point, r.replicate, s.output, s.value FROM summaries s "
                        "JOIN runs r USING (experiment_id, run_id) WHERE s.experiment_id = ?", [eid])
    stored = {(sc, int(dp), int(rep), out): v for sc, dp, rep, out, v in rows}
    ts = table(store, "SELECT r.scenario, r.design_point, r.replicate, t.month, t.value FROM timeseries t "
                      "JOIN runs r USING (experiment_id, run_id) WHERE t.experiment_id = ? "
                      "AND t.output = 'participation_rate' ORDER BY t.month", [eid])
    series: dict = {}
    for sc, dp, rep, _month, v in ts:
        series.setdefault((sc, int(dp), int(rep)), []).append(v)
    future_of = {s: i for i, s in enumerate(futures["scenario"])}
    checked = 0
    for i, row in experiments.reset_index(drop=True).iterrows():
        f, pol = future_of[row["scenario"]], str(row["policy"])
        for rep in range(2):
            for out in ("satisfied_share", "turnover_annual"):
                assert outcomes[f"{out}_replicates"][i][rep] == stored[(pol, f, rep, out)]
                checked += 1
            np.testing.assert_array_equal(np.asarray(outcomes["participation_rate_series"][i][rep]),
                                          np.asarray(series[(pol, f, rep)]))
        assert outcomes["satisfied_share"][i] == pytest.approx(
            np.mean([stored[(pol, f, r, "satisfied_share")] for r in range(2)]))
    assert checked == 3 * 2 * 2 * 2
    # the policy switched levers on: pay raise changes turnover against the baseline in the same future
    base = [stored[("baseline", f, r, "turnover_annual")] for f in range(3) for r in range(2)]
    raise_ = [stored[("pay_raise", f, r, "turnover_annual")] for f in range(3) for r in range(2)]
    assert base != raise_


def test_policy_from_scenario():
    from experiments.ema import scenario_policy

    pol = scenario_policy("pay_raise")
    assert pol.name == "pay_raise"
    assert {n: pol[n] for _, n, _ in load_scenario("pay_raise").schedule} == {
        n: v for _, n, v in load_scenario("pay_raise").schedule}


def test_roles_follow_the_registry_kinds():
    """Uncertainties are of kind uncertainty (or a structural quantity with a range), levers of
    kind policy; a mechanism switch is model structure, fixed through base_params only."""
    from experiments.ema import EMAError, build_model

    switch, lever, unc = _first("mechanism"), _first("policy", "float"), _first("uncertainty", "float")
    with pytest.raises(EMAError, match=f"'{switch}' is a mechanism switch.*not an uncertainty.*base_params"):
        build_model(uncertainties=[switch])
    with pytest.raises(EMAError, match=f"'{switch}' is a mechanism switch.*not a policy lever.*base_params"):
        build_model(uncertainties=[unc], levers=[switch])
    with pytest.raises(EMAError, match=f"'{lever}' is a policy lever, not an uncertainty; give it in levers="):
        build_model(uncertainties=[lever])
    with pytest.raises(EMAError, match=f"'{unc}' is an uncertainty, not a policy lever; give it in uncertainties="):
        build_model(uncertainties=["gamma0"], levers=[unc])
    m = build_model(uncertainties=[unc], levers=[lever], base_params={switch: False}, outputs=["satisfied_share"])
    assert [p.name for p in m.uncertainties] == [unc] and [p.name for p in m.levers] == [lever]
    assert {c.name: c.value for c in m.constants}[switch] is False
    # a structural quantity may be uncertain, over a plausible range: declared, or given
    ranged, bare = _first("structural", "float", ranged=True), _first("structural", "float", ranged=False)
    assert build_model(uncertainties=[ranged]).uncertainties[0].lower_bound == REGISTRY[ranged].sa_bounds[0]
    with pytest.raises(EMAError, match=f"no plausible range.*sa_bounds.*{bare}"):
        build_model(uncertainties=[bare])
    lo, hi = REGISTRY[bare].bounds
    m = build_model(uncertainties=[bare], ranges={bare: (lo, hi)}, outputs=["satisfied_share"])
    assert (m.uncertainties[0].lower_bound, m.uncertainties[0].upper_bound) == (lo, hi)
