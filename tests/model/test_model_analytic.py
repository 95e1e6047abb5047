"""Verification of the machinery against analytic expectations."""

import numpy as np
from scipy.special import expit

from model import tables as T
from model.agents import Cadre
from model.model import GovernanceModel

NO_INFLUENCE = dict(beta_efficacy=0.0, beta_trust=0.0, beta_stake=0.0, beta_network=0.0, beta_contact=0.0)


def test_participation_without_influence_is_logistic_in_the_intercept():
    """All effects off: every resident takes part with probability logistic(beta0) at each
    consultation, independently; the age-group rates follow logistic(beta0 - cost)."""
    params = dict(NO_INFLUENCE, beta0=-1.0, cost_youth=1.5, cost_middle=0.5, cost_elderly=0.0,
                  consultation_interval=1, residents_per_community=800)
    m = GovernanceModel(rng=21, horizon=20, **params)
    rates = {g: [] for g in range(3)}
    for _ in range(20):
        m.step()
        for g in range(3):
            rates[g].append(m.res_part[m.res_age == g].mean())
    for g, cost in enumerate((1.5, 0.5, 0.0)):
        expected = expit(-1.0 - cost)
        n = int((m.res_age == g).sum()) * 20
        se = np.sqrt(expected * (1 - expected) / n)
        assert abs(np.mean(rates[g]) - expected) < 4 * se, (T.AGE_GROUPS[g], np.mean(rates[g]), expected)


def test_participation_with_network_off_matches_the_mean_logistic_probability():
    """Network influence off, other effects on: the realised rate at each consultation equals
    the mean of the residents' logistic probabilities within binomial error."""
    m = GovernanceModel(rng=8, horizon=12, beta_network=0.0, consultation_interval=1, residents_per_community=800)
    z = []
    for _ in range(12):
        m.step()
        p = m.res_p_participate
        z.append((m.res_part.sum() - p.sum()) / np.sqrt((p * (1 - p)).sum()))
    assert abs(np.mean(z)) * np.sqrt(len(z)) < 4.0
    assert np.all(np.abs(z) < 5.0)


def test_constant_quit_hazard_gives_geometric_survival():
    """With every hazard effect off, no retirement, rotation, layoff or recruitment, a cadre
    in post survives t months with probability (1 - h)^t, h = logistic(gamma0)."""
    params = dict(gamma0=-3.0, gamma_wage=0.0, gamma_burnout=0.0, gamma_promotion=0.0, gamma_embed=0.0,
                  retirement_age=75, dispatch_share=0.0, first_secretary=False, budget_regime="stable",
                  layoff_threshold=24.0, recruit_base=-10.0, recruit_wage=0.0,
                  communities_per_street=60, residents_per_community=50)
    m = GovernanceModel(rng=31, horizon=24, **params)
    initial = {a.unique_id for a in m.agents_by_type[Cadre]}
    h = expit(-3.0)
    for t in (6, 12, 24):
        m.run_for(t - m.month)
        alive = len(initial & {a.unique_id for a in m.agents_by_type[Cadre]})
        expected = (1 - h) ** t
        se = np.sqrt(expected * (1 - expected) / len(initial))
        assert abs(alive / len(initial) - expected) < 4 * se, (t, alive / len(initial), expected)


def test_admin_hours_follow_the_task_formula():
    """Hours pushed down = tasks passed x task_hours x (1 - saving x informatisation) x
    (1 + silo overhead x (platforms - 1)); all tasks pass without an access list."""
    params = dict(task_hours=5.0, info_saving=0.4, informatisation=0.5, silo_overhead=0.1, n_platforms=3)
    m = GovernanceModel(rng=2, horizon=3, **params)
    m.step()
    per_task = 5.0 * (1 - 0.4 * 0.5) * (1 + 0.1 * 2)
    assert np.allclose(m.com_admin_hours, m.com_tasks * per_task)
    # what the cadres carry adds up to what was pushed down (every community has cadres here)
    carried = np.bincount(m.post_community, weights=m.post_admin, minlength=m.com.n)
    staffed = np.bincount(m.post_community, weights=m.post_filled, minlength=m.com.n) > 0
    assert np.allclose(carried[staffed], m.com_admin_hours[staffed])
    keep_all_out = GovernanceModel(rng=2, horizon=3, task_access_list=1.0)
    keep_all_out.step()
    assert keep_all_out.com_tasks.sum() == 0
