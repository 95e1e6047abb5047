"""Each mechanism switch (registry kind ``mechanism``): what the model does with it on, and
that switching it off removes exactly that (paired runs on common random numbers)."""

import numpy as np
import pytest

from model import tables as T
from model.model import GovernanceModel
from model.parameters import REGISTRY
from model.run import simulate

SEEDS = (1, 2, 3)


def mean_of(output, params, *, horizon=36, window=slice(1, None), seeds=SEEDS, schedule=()):
    return float(np.mean([simulate(params, seed=s, horizon=horizon, schedule=schedule).timeseries[output][window]
                          .mean() for s in seeds]))


def test_household_tasks_scale_tasks_with_the_community_size():
    """λ = fixed + per household × households: a ten times larger community gets the tasks
    the formula says; with the switch off every community gets the reference village's."""
    big, small = dict(residents_per_community=3000), dict(residents_per_community=300)
    f, t = REGISTRY["tasks_fixed"].default, REGISTRY["tasks_per_household"].default
    hh = {k: float(np.mean([GovernanceModel(rng=s, horizon=1, mech_outmigration=False, community_size_cv=0.0, **v)
                           .communities.households.mean() for s in SEEDS])) for k, v in (("big", big), ("small", small))}
    on = mean_of("admin_tasks_per_community", big) / mean_of("admin_tasks_per_community", small)
    assert on == pytest.approx((f + t * hh["big"]) / (f + t * hh["small"]), rel=0.1)
    off = (mean_of("admin_tasks_per_community", {**big, "mech_household_tasks": False})
           / mean_of("admin_tasks_per_community", {**small, "mech_household_tasks": False}))
    assert abs(off - 1.0) < 0.05


def test_assessment_adds_trace_documentation_and_inspections():
    kw = dict(rng=4, horizon=2, burn_in=0, assessment_pressure=1.0, inspections=5.0)
    m_on, m_off = GovernanceModel(**kw), GovernanceModel(**kw, mech_assessment=False)
    m_on.step()
    m_off.step()
    assert np.array_equal(m_on.communities.tasks, m_off.communities.tasks)  # same tasks (common random numbers)
    extra = m_on.communities.admin_hours - m_off.communities.admin_hours
    assert (extra >= m_on.communities.tasks * REGISTRY["trace_hours"].default - 1e-9).all()
    assert extra.sum() > m_on.communities.tasks.sum() * REGISTRY["trace_hours"].default  # inspections on top
    assert mean_of("admin_share", {}) > mean_of("admin_share", {"mech_assessment": False})
    # pressure scales the documentation
    assert mean_of("admin_share", {"assessment_pressure": 1.0}) > mean_of("admin_share", {"assessment_pressure": 0.2})


def test_list_leakage_lets_barred_tasks_re_enter():
    listed = dict(task_access_list=0.6)
    assert mean_of("tasks_reentered", listed) > 0
    assert mean_of("tasks_reentered", {**listed, "mech_list_leakage": False}) == 0
    assert mean_of("admin_tasks", listed) > mean_of("admin_tasks", {**listed, "mech_list_leakage": False})


def test_platforms_add_data_entry_that_grows_with_their_number():
    few, many = mean_of("admin_share", {"n_platforms": 2}), mean_of("admin_share", {"n_platforms": 40})
    assert many > few
    off_few = mean_of("admin_share", {"n_platforms": 2, "mech_platforms": False})
    off_many = mean_of("admin_share", {"n_platforms": 40, "mech_platforms": False})
    assert off_few == off_many


def test_task_roles_give_grid_workers_the_data_collection():
    """One grid worker and one member share 100 hours of data collection: by role weights
    (2 : 0.5) the grid worker carries 80 hours; with the switch off, 50 each. In the model the
    grid workers' administrative share rises relative to everyone's."""
    from model import processes as K

    role = np.array([T.GRID_WORKER, T.MEMBER], np.int8)
    hours = np.array([176.0, 176.0])
    load = np.zeros((1, T.N_TASK_TYPES))
    load[0, T.DATA] = 100.0
    for weights, expected in ((T.ROLE_TASK_WEIGHT, 80.0), (T.ROLE_TASK_WEIGHT_UNIFORM, 50.0)):
        admin, service, overtime, contact = (np.zeros(2) for _ in range(4))
        K.allocate_time(np.zeros(2, np.int32), role, np.ones(2, bool), hours, load, weights, 176.0, 24.0,
                        T.ROLE_CONTACT_SHARE, admin, service, overtime, contact)
        assert admin[0] == pytest.approx(expected) and admin.sum() == pytest.approx(100.0)
    urban = dict(urban_share=1.0, residents_per_community=4000, communities_per_street=2)
    on = mean_of("grid_admin_share", urban) - mean_of("admin_share", urban)
    off = (mean_of("grid_admin_share", {**urban, "mech_task_roles": False})
           - mean_of("admin_share", {**urban, "mech_task_roles": False}))
    assert on > off


def test_elections_happen_every_term_and_concentrate_turnover():
    m = GovernanceModel(rng=5, horizon=60, first_election=12, term_length=36, mech_outmigration=False)
    voted = m.residents.voted.copy()
    changed = []
    for _ in range(60):
        m.step()
        if not np.array_equal(voted, m.residents.voted):
            changed.append(m.month)
            voted = m.residents.voted.copy()
    assert changed == [12, 48]
    # an incumbent loses now and then (a few per cent of posts an election): pooled over seeds,
    # some do in the year after each election, and none ever does with elections switched off
    on = [simulate(dict(first_election=12, term_length=36), seed=s, horizon=60).timeseries for s in range(8)]
    assert sum(ts["election_turnover_annual"][12:24].max() > 0 for ts in on) >= 3
    assert sum(ts["election_turnover_annual"][48:60].max() > 0 for ts in on) >= 3
    assert all(ts["election_turnover_annual"][:12].max() == 0 for ts in on)
    for s in range(8):
        off = simulate(dict(first_election=12, term_length=36, mech_elections=False), seed=s, horizon=60).timeseries
        assert off["election_turnover_annual"].max() == 0
    # separations in the 12 months after an election exceed those of the 12 months before it by
    # the incumbents who lost. With incumbents likely to lose (reelect_base −1) the rise is about
    # 0.3 of the posts a year against a spread of 0.13 between pairs: pooled over 8 runs × 2
    # elections its z is 5-11 for the correct model (measured over 48 seeds), so z > 3 fails
    # only if elections stop adding separations (the default's smaller losses would need ~170
    # pairs to show against the noise of quits)
    losing = [simulate(dict(first_election=12, term_length=36, reelect_base=-1.0), seed=s, horizon=60).timeseries
              for s in range(8)]
    rise = np.array([t["turnover_annual"][e + 11] - t["turnover_annual"][e - 1] for t in losing for e in (12, 48)])
    assert rise.mean() / (rise.std(ddof=1) / np.sqrt(len(rise))) > 3


def test_parttime_members_work_fewer_hours_and_earn_outside():
    m = GovernanceModel(rng=1, horizon=1, parttime_committee=1.0)
    pt = m.posts.parttime
    assert pt.any() and set(m.posts.role[pt]) <= {T.DEPUTY, T.MEMBER}
    assert np.all(m.posts.hours[pt] == REGISTRY["parttime_hours"].default)
    off = GovernanceModel(rng=1, horizon=1, parttime_committee=1.0, mech_parttime=False)
    assert not off.posts.parttime.any() and np.all(off.posts.hours == REGISTRY["cadre_hours"].default)
    # outside earnings make the post easier to keep: fewer quits with them than without
    quits_with = mean_of("quit_rate_annual", {"parttime_committee": 1.0}, horizon=60)
    quits_without = mean_of("quit_rate_annual", {"parttime_committee": 1.0, "outside_earnings": 0.0}, horizon=60)
    assert quits_with < quits_without


def test_burnout_lowers_service_productivity():
    heavy = dict(tasks_fixed=150.0, overtime_scale=10.0, burnout_rate=0.5)
    on = mean_of("service_coverage", heavy)
    off = mean_of("service_coverage", {**heavy, "mech_burnout_productivity": False})
    assert on < off


def test_social_capital_keeps_cadres():
    """With residents' trust and belonging high, cadres quit less when social capital counts."""
    rich = dict(gamma_capital=4.0, kappa_trust=0.0, kappa_belonging=0.0)
    m = GovernanceModel(rng=1, horizon=1, **rich)
    m.residents.trust = np.full(m.n_residents, 0.95)
    assert mean_of("quit_rate_annual", {**rich, "contact_trust": 0.5, "kappa_trust": 0.5, "kappa_belonging": 0.3},
                   horizon=60) < mean_of("quit_rate_annual", {**rich, "contact_trust": 0.5, "kappa_trust": 0.5,
                                                              "kappa_belonging": 0.3, "mech_capital_retention": False},
                                         horizon=60)


def test_thresholds_make_participation_persistent():
    """Heterogeneous propensities: the same residents take part again and again."""
    def persistence(params):
        m = GovernanceModel(rng=2, horizon=24, consultation_interval=1, **params)
        prev, both, first = None, 0, 0
        for _ in range(24):
            m.step()
            now = m.residents.participated.copy()
            if prev is not None:
                both += (prev & now).sum()
                first += prev.sum()
            prev = now
        return both / first

    on = GovernanceModel(rng=2, horizon=1)
    assert on.residents.propensity.std() == pytest.approx(REGISTRY["propensity_sd"].default, rel=0.1)
    assert GovernanceModel(rng=2, horizon=1, mech_thresholds=False).residents.propensity.std() == 0
    assert persistence({}) > persistence({"mech_thresholds": False}) + 0.05


def test_homophily_ties_residents_of_the_same_age():
    def assortativity(params):
        import networkx as nx

        m = GovernanceModel(rng=3, horizon=1, burn_in=0, residents_per_community=1500, communities_per_street=2,
                            tie_rewire=0.5, cross_grid_ties=2.0, **params)
        G = m.social_graph
        nx.set_node_attributes(G, dict(enumerate(m.residents.age_group.tolist())), "age")
        return nx.attribute_assortativity_coefficient(G, "age")

    assert assortativity({"age_homophily": 0.8}) > assortativity({"age_homophily": 0.8, "mech_homophily": False}) + 0.1


def test_backbones_are_over_represented_among_participants():
    on = mean_of("activist_share_of_participants", {})
    off = mean_of("activist_share_of_participants", {"mech_activists": False})
    share = float(np.mean([GovernanceModel(rng=s, horizon=1).residents.activist.mean() for s in SEEDS]))
    assert on > 2 * share
    assert off < on


def test_residents_without_registration_take_part_less():
    urban = dict(urban_share=1.0, residents_per_community=2000)
    gap_on = mean_of("participation_local", urban) - mean_of("participation_migrant", urban)
    gap_off = (mean_of("participation_local", {**urban, "mech_migrants": False})
               - mean_of("participation_migrant", {**urban, "mech_migrants": False}))
    assert gap_on > 0.03
    assert abs(gap_off) < gap_on / 3


def test_larger_communities_take_part_less_through_free_riding():
    small, big = dict(residents_per_community=300), dict(residents_per_community=3000)
    drop_on = mean_of("participation_rate", small) - mean_of("participation_rate", big)
    drop_off = (mean_of("participation_rate", {**small, "mech_group_size": False})
                - mean_of("participation_rate", {**big, "mech_group_size": False}))
    assert drop_on > drop_off + 0.02


def test_elite_capture_tilts_outcomes_toward_backbones_and_high_stake_residents():
    authority = dict(decision_authority=1.0, consultation_interval=1, communities_per_street=6,
                     residents_per_community=1500, elite_weight=8.0, interest_divergence=0.6)
    on = mean_of("elite_win_share", authority)
    off = mean_of("elite_win_share", {**authority, "mech_elite_capture": False})
    assert on > 0.6
    assert abs(off - 0.5) < 0.1
    # safeguards (disclosure) cut the tilt
    assert mean_of("elite_win_share", {**authority, "disclosure": True, "disclosure_safeguard": 1.0}) < on


def test_expectations_take_back_part_of_a_service_gain():
    """A lasting rise in service quality from 0.3 to 0.8 raises satisfaction; with expectations
    it overshoots and falls back as expectations catch up, without them it rises monotonically
    to its new level."""
    from model import processes as K

    def path(w_d):
        n = 1
        sat, exp_, trust, bel = np.full(n, 0.4), np.full(n, 0.3), np.full(n, 0.5), np.full(n, 0.5)
        zeros = np.zeros(n, dtype=bool)
        out = []
        for month in range(120):
            q = np.full(n, 0.3 if month < 12 else 0.8)
            K.attitudes(np.zeros(n, np.int32), ~zeros, q, zeros, zeros, zeros, np.array([0.0]), np.zeros(n), sat, exp_, trust, bel,
                        0.0, w_d, 0.0, 0.15, 0.05, 0.05, 0.0, 0.05, 0.5, 0.25, 0.25)
            out.append(sat[0])
        return np.array(out)

    on, off = path(0.5), path(0.0)
    assert on.max() > on[-1] + 0.05  # overshoot, then expectations take part of it back
    assert np.all(np.diff(off[12:]) >= -1e-12) and off[-1] == pytest.approx(0.8, abs=1e-3)
    raise_services = [(12, "activity_budget", 60.0)]
    model_on = [simulate({}, seed=s, horizon=72, schedule=raise_services).timeseries["satisfaction_mean"]
                for s in SEEDS]
    model_off = [simulate({"mech_expectations": False}, seed=s, horizon=72, schedule=raise_services)
                 .timeseries["satisfaction_mean"] for s in SEEDS]
    fall_on = np.mean([t[16:28].mean() - t[60:72].mean() for t in model_on])
    fall_off = np.mean([t[16:28].mean() - t[60:72].mean() for t in model_off])
    assert fall_on > fall_off


def test_outmigration_empties_rural_communities_only():
    assert mean_of("n_residents", {}, window=slice(-1, None)) < mean_of("n_residents", {}, window=slice(0, 1))
    off = simulate({"mech_outmigration": False}, seed=1, horizon=36).timeseries["n_residents"]
    assert off[0] == off[-1]
    urban = simulate({"urban_share": 1.0}, seed=1, horizon=36).timeseries["n_residents"]
    assert urban[0] == urban[-1]


def test_merger_scale_gains_raise_service_after_a_merger():
    merge = [(12, "merge_rate", 0.6)]
    on = mean_of("service_coverage", {"merger_scale_gain": 0.3}, horizon=48, window=slice(13, None), schedule=merge)
    off = mean_of("service_coverage", {"merger_scale_gain": 0.3, "mech_merger_scale": False}, horizon=48,
                  window=slice(13, None), schedule=merge)
    assert on > off


def test_merger_ties_loss_lowers_belonging():
    merge = [(12, "merge_rate", 0.6)]
    on = simulate({}, seed=1, horizon=14, schedule=merge).timeseries["belonging_mean"]
    off = simulate({"mech_merger_ties": False}, seed=1, horizon=14, schedule=merge).timeseries["belonging_mean"]
    assert on[11] == off[11]
    assert on[12] < off[12] - 0.05
