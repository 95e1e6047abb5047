"""The SALib problem derived from the registry, the unit-cube mapping and the designs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.sensitivity_design import (
    Factor,
    FactorError,
    Problem,
    UnknownFactorError,
    build_problem,
    make_design,
)
from model.parameters import REGISTRY


def test_ranges_come_from_sa_bounds_or_the_user_never_from_validity_bounds():
    prob = build_problem(["gamma0", "kappa_trust", "budget_regime", "n_platforms", "disclosure"])
    f = {x.name: x for x in prob.factors}
    assert (f["gamma0"].lower, f["gamma0"].upper) == REGISTRY["gamma0"].sa_bounds
    assert (f["kappa_trust"].lower, f["kappa_trust"].upper) == REGISTRY["kappa_trust"].sa_bounds
    assert f["budget_regime"].choices == REGISTRY["budget_regime"].choices
    lo, hi = REGISTRY["n_platforms"].sa_bounds
    assert f["n_platforms"].type == "int" and f["n_platforms"].levels == hi - lo + 1
    assert f["disclosure"].levels == 2
    assert all(x.registry for x in prob.factors)
    # a numeric parameter without an SA range is refused unless the user gives one
    bare = next(p.name for p in REGISTRY.values() if p.type == "float" and p.sa_bounds is None)
    with pytest.raises(FactorError, match=f"no sensitivity range.*--range {bare}=LO:HI"):
        build_problem([bare])
    given = build_problem([bare], ranges={bare: (REGISTRY[bare].bounds[0], REGISTRY[bare].default)})
    assert given.factors[0].upper == REGISTRY[bare].default
    as_dict = build_problem([{"name": bare, "lower": REGISTRY[bare].bounds[0], "upper": REGISTRY[bare].default}])
    assert as_dict.factors[0].upper == REGISTRY[bare].default


def test_every_uncertainty_and_numeric_lever_has_a_sourced_sa_range():
    for p in REGISTRY.values():
        if p.kind == "uncertainty" or (p.kind == "policy" and p.type in ("int", "float")):
            assert p.sa_bounds is not None and p.sa_source, p.name
            lo, hi = p.sa_bounds
            assert p.bounds[0] <= lo < hi <= p.bounds[1], p.name


def test_choose_by_kind_and_group_without_duplicates():
    unranged = [p.name for p in REGISTRY.values() if p.group == "pay" and p.type != "bool" and p.type != "choice"
                and p.sa_bounds is None]
    assert unranged  # the test needs a group with parameters lacking an SA range
    with pytest.raises(FactorError, match="no sensitivity range"):
        build_problem(["beta0"], kinds=["uncertainty"], groups=["pay"])
    prob = build_problem(["beta0"], kinds=["uncertainty"], groups=["pay"], exclude=["gamma0", *unranged])
    names = prob.names
    expected = [p.name for p in REGISTRY.values() if p.kind == "uncertainty" and p.name != "gamma0"]
    assert names[0] == "beta0" and len(names) == len(set(names))
    assert set(expected) <= set(names)
    assert {p.name for p in REGISTRY.values() if p.group == "pay"} - set(unranged) - {"gamma0"} <= set(names)
    assert "gamma0" not in names


def test_groups_label_indices_by_submodel():
    prob = build_problem(kinds=["uncertainty"], group_by="group")
    assert prob.salib()["groups"] == [f.group for f in prob.factors]
    assert prob.labels == list(dict.fromkeys(f.group for f in prob.factors))
    assert len(prob.labels) < len(prob.factors)


@pytest.mark.parametrize("call, needle", [
    (lambda: build_problem(["beta_efficasy"]), "did you mean 'beta_efficacy'"),
    (lambda: build_problem(kinds=["policies"]), "did you mean 'policy'"),
    (lambda: build_problem(groups=["workforse"]), "did you mean 'workforce'"),
    (lambda: build_problem(["beta0"], exclude=["beta_0"]), "did you mean 'beta0'"),
    (lambda: build_problem(["beta0"], ranges={"beta01": (0, 1)}), "did you mean 'beta0'"),
])
def test_unknown_names_fail_with_did_you_mean(call, needle):
    with pytest.raises(UnknownFactorError) as err:
        call()
    assert needle in str(err.value)


def test_invalid_factor_specs_are_rejected():
    with pytest.raises(FactorError, match="leaves its valid bounds"):
        build_problem(["beta0"], ranges={"beta0": (-20, 0)})
    with pytest.raises(FactorError, match="needs a range"):
        build_problem([{"name": "x1"}])
    with pytest.raises(FactorError, match="unknown key"):
        build_problem([{"name": "x1", "lower": 0, "upper": 1, "bounds": 3}])
    with pytest.raises(FactorError, match="not one of"):
        make_design(build_problem(["beta0"]), "sobolev", 8, seed=1)
    with pytest.raises(FactorError, match="groups"):
        make_design(build_problem(["beta0", "beta_trust"], group_by="group"), "fast", 100, seed=1)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(2, 15), m=st.integers(1, 40))
def test_discrete_levels_are_equally_likely(k, m):
    """A stratified unit sample (m points per bin) puts exactly m draws on every level."""
    f = Factor("lvl", type="int", lower=3.0, upper=float(3 + k - 1))
    u = (np.arange(k * m) + 0.5) / (k * m)
    vals = f.from_unit(np.append(u, 1.0))  # u = 1 must map to the top level, not beyond
    counts = np.bincount(vals[:-1] - 3, minlength=k)
    assert counts.tolist() == [m] * k
    assert vals[-1] == 3 + k - 1


def test_mapping_of_each_type_and_distribution():
    u = np.array([0.0, 0.25, 0.5, 0.999999, 1.0])
    assert Factor("c", type="choice", choices=("a", "b", "c")).from_unit(u).tolist() == ["a", "a", "b", "c", "c"]
    assert Factor("b", type="bool").from_unit(u).tolist() == [False, False, True, True, True]
    lu = Factor("l", lower=1.0, upper=100.0, dist="loguniform").from_unit(np.array([0.0, 0.5, 1.0]))
    assert np.allclose(lu, [1.0, 10.0, 100.0])
    tri = Factor("t", lower=0.0, upper=1.0, dist="triangular", dist_params=(0.0,)).from_unit(np.array([0.75]))
    assert np.isclose(tri[0], 0.5)  # F(x) = 1 - (1 - x)² for mode 0
    tn = Factor("n", lower=-1.0, upper=1.0, dist="normal", dist_params=(0.0, 1.0)).from_unit(np.array([0.5]))
    assert np.isclose(tn[0], 0.0)


def test_discrete_duplicates_are_evaluated_once_and_reused():
    prob = build_problem(["disclosure", "budget_regime", "beta0"])
    d = make_design(prob, "sobol", 64, seed=3)
    values = prob.to_values(d.unit)
    assert d.n_points < d.n_rows  # the bool / choice columns repeat parameter sets
    # every sample row's parameter set is exactly its design point's
    again = d.points.iloc[d.row_to_point].reset_index(drop=True)
    assert values.astype(str).equals(again.astype(str))
    assert not d.points.astype(str).duplicated().any()


def test_sobol_blocks_are_nested_by_base_row():
    prob = build_problem(["beta0", "budget_regime", "n_platforms"])
    whole = make_design(prob, "sobol", 64, seed=9)
    first = make_design(prob, "sobol", 32, seed=9)
    rest = make_design(prob, "sobol", 32, seed=9, base_offset=32)
    assert np.array_equal(np.vstack([first.unit, rest.unit]), whole.unit)
    assert whole.n_rows == 64 * (2 * 3 + 2)
    no_s2 = make_design(prob, "sobol", 64, seed=9, second_order=False)
    assert no_s2.n_rows == 64 * (3 + 2)


def test_design_sizes_per_method():
    prob = build_problem(["beta0", "beta_trust", "disclosure"])
    assert make_design(prob, "morris", 10, seed=1).n_rows == 10 * 4
    assert make_design(prob, "fast", 70, seed=1).n_rows == 70 * 3
    assert make_design(prob, "latin", 50, seed=1).n_rows == 50
    assert make_design(prob, "latin", 50, seed=1).sha256() == make_design(prob, "latin", 50, seed=1).sha256()
    assert make_design(prob, "latin", 50, seed=1).sha256() != make_design(prob, "latin", 50, seed=2).sha256()


def test_problem_round_trips_through_its_spec():
    prob = build_problem(["beta0", "budget_regime"], group_by="kind",
                         dists={"beta0": ("triangular", (-3.0,))})
    again = Problem.from_spec(prob.to_spec())
    assert again == prob


def test_comma_separated_strings_are_lists():
    assert build_problem("beta0, gamma0", kinds="policy").names[:2] == ["beta0", "gamma0"]
    assert build_problem("beta0,gamma0", exclude="gamma0").names == ["beta0"]


@pytest.mark.parametrize("group_by, second_order", [(None, True), (None, False), ("group", True)])
def test_saltelli_matrix_equals_salib(group_by, second_order):
    from SALib.sample import sobol as salib_sobol

    prob = build_problem(["beta0", "beta_trust", "gamma0", "gamma_wage", "need_hours"], group_by=group_by)
    ours = make_design(prob, "sobol", 32, seed=7, second_order=second_order).unit
    theirs = salib_sobol.sample(prob.salib(), 32, calc_second_order=second_order, scramble=True, seed=7)
    assert np.array_equal(ours, theirs)


def test_dict_for_a_registry_parameter_overrides_its_declaration():
    prob = build_problem([{"name": "beta0", "dist": "normal", "dist_params": (-3.2, 0.5)}, "disclosure"])
    f = prob.factors[0]
    assert (f.lower, f.upper) == REGISTRY["beta0"].sa_bounds and f.registry and f.group == "participation"
    assert f.dist == "normal" and f.dist_params == (-3.2, 0.5)
