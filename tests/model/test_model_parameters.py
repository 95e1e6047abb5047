import math

import pytest

from model.parameters import KINDS, REGISTRY, Change, ParameterError, defaults, names, normalise_schedule, resolve


def test_every_parameter_is_fully_declared():
    assert len(REGISTRY) >= 60
    for p in REGISTRY.values():
        assert p.kind in KINDS
        assert p.meaning and p.source, p.name
        assert p.sa_bounds is None or p.sa_source, p.name
        assert "../" not in p.source and "DIGEST" not in p.source, p.name  # the project stands alone
        if p.type in ("float", "int"):
            assert p.bounds is not None, p.name
            lo, hi = p.bounds
            assert lo <= p.default <= hi, p.name
            if p.sa_bounds is not None:
                assert lo <= p.sa_bounds[0] < p.sa_bounds[1] <= hi, p.name
        if p.type == "choice":
            assert p.default in p.choices


def test_defaults_resolve_to_themselves():
    assert resolve({}) == defaults()
    assert set().union(*(names(k) for k in KINDS)) == set(REGISTRY)
    assert names() == list(REGISTRY) and all(REGISTRY[n].kind == "policy" for n in names("policy"))
    with pytest.raises(ValueError, match="kind 'levers' is not one of"):
        names("levers")


def test_unknown_name_suggests_close_names():
    with pytest.raises(ParameterError) as err:
        resolve({"pay_directr": 2500}, where="scenarios/x.toml [params]")
    msg = str(err.value)
    assert "scenarios/x.toml [params]" in msg and "pay_directr" in msg and "pay_director" in msg
    assert err.value.unknown


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("pay_director", -5, "[0, 20000]"),
        ("merge_rate", 0.95, "[0, 0.9]"),
        ("grid_households", 600.5, "whole number"),
        ("budget_regime", "grant", 'one of "project", "stable", "reward"'),
        ("social_insurance", "yes", "true or false"),
        ("informatisation", math.nan, "finite"),
        ("n_streets", True, "a number"),
    ],
)
def test_bad_values_name_parameter_value_and_allowed(name, value, fragment):
    with pytest.raises(ParameterError) as err:
        resolve({name: value})
    msg = str(err.value)
    assert name in msg and fragment in msg
    assert err.value.name == name


def test_int_parameters_accept_whole_floats_and_coerce():
    p = resolve({"grid_households": 700.0, "pay_director": 2500})
    assert p["grid_households"] == 700 and isinstance(p["grid_households"], int)
    assert p["pay_director"] == 2500.0 and isinstance(p["pay_director"], float)


def test_schedule_forms_are_normalised_and_sorted():
    sched = normalise_schedule([(36, "merge_rate", 0.7), {"month": 24, "name": "pay_director", "value": 2500},
                                Change(0, "informatisation", 0.5)])
    assert [c.month for c in sched] == [0, 24, 36]
    assert sched[1] == Change(24, "pay_director", 2500.0)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ((-1, "pay_director", 1.0), "month"),
        ((3, "n_streets", 2), "structural"),
        ((3, "mech_elections", False), "mechanism"),
        ((3, "pay_directr", 2.0), "did you mean"),
        ({"month": 3, "name": "pay_director"}, "month, name, value"),
        ((3, "pay_director"), "(month, name, value)"),
    ],
)
def test_bad_schedule_entries(entry, fragment):
    with pytest.raises(ParameterError) as err:
        normalise_schedule([entry], where="s.toml ")
    assert fragment in str(err.value)
    assert "schedule[0]" in str(err.value)


def test_every_mechanism_has_a_switch_that_defaults_on():
    switches = [p for p in REGISTRY.values() if p.kind == "mechanism"]
    assert len(switches) >= 15
    assert all(p.type == "bool" and p.default is True and p.name.startswith("mech_") for p in switches)


def test_calibrated_values_name_their_target():
    from model.targets import TARGETS

    fitted = [p for p in REGISTRY.values() if p.calibrated]
    assert fitted
    for p in fitted:
        for name in p.calibrated.split(", "):
            assert name in TARGETS, (p.name, name)
            assert TARGETS[name].role == "calibration", (p.name, name)
        assert p.source.startswith("fitted"), p.name
