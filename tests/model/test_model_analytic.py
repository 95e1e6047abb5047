"""Verification of the machinery against analytic expectations (each test states the formula)."""

import numpy as np
from scipy.special import expit

from model import processes as K
from model import tables as T
from model.agents import Cadre
from model.model import GovernanceModel, efficacy_fixed_point

# every influence on taking part switched off: p = logistic(β0 − cost of the age group)
NO_INFLUENCE = dict(beta_efficacy=0.0, beta_trust=0.0, beta_stake=0.0, beta_network=0.0, beta_contact=0.0,
                    digital_channels=0.0, mech_thresholds=False, mech_activists=False, mech_migrants=False,
                    mech_group_size=False, mech_outmigration=False)


def test_participation_without_influence_is_logistic_in_the_intercept():
    """All effects off (``digital_channels`` 0 among them, so no cost cut): each resident takes
    part with probability logistic(β0 − c_age) at each consultation, independently. Checked
    twice: the probability the model computes equals the formula for every resident at every
    consultation (exact, no tolerance but rounding); and the pooled count of each age group,
    binomial given those probabilities, sits within 4 standard errors of n · p. The correct
    model is centred on z = 0 (over seeds 0-5: mean z 0.2, −0.3, 0.5 by age group, spread ≈ 1),
    so |z| < 4 fails by chance about once in 10⁴ runs; a wrong cost or intercept moves p itself
    and fails the exact check."""
    costs = np.array([1.5, 0.5, 0.0])
    params = dict(NO_INFLUENCE, beta0=-1.0, cost_youth=1.5, cost_middle=0.5, cost_elderly=0.0,
                  consultation_interval=1, residents_per_community=800)
    m = GovernanceModel(rng=21, horizon=20, **params)
    took = np.zeros(3)
    n = np.zeros(3)
    for _ in range(20):
        m.step()
        r = m.residents
        assert np.allclose(r.p_participate[r.present], expit(-1.0 - costs[r.age_group[r.present]]), rtol=0, atol=1e-12)
        for g in range(3):
            members = (r.age_group == g) & r.present
            took[g] += r.participated[members].sum()
            n[g] += members.sum()
    for g, cost in enumerate(costs):
        p = expit(-1.0 - cost)
        z = (took[g] - n[g] * p) / np.sqrt(n[g] * p * (1 - p))
        assert abs(z) < 4.0, (T.AGE_GROUPS[g], took[g] / n[g], p, z)


def test_participation_with_network_off_matches_the_mean_logistic_probability():
    """Network influence off, other effects on: the realised count at each consultation equals
    the sum of the residents' logistic probabilities within binomial error."""
    m = GovernanceModel(rng=8, horizon=12, beta_network=0.0, consultation_interval=1, residents_per_community=800)
    z = []
    for _ in range(12):
        m.step()
        p = m.residents.p_participate[m.residents.present]
        took = m.residents.participated[m.residents.present].sum()
        z.append((took - p.sum()) / np.sqrt((p * (1 - p)).sum()))
    assert abs(np.mean(z)) * np.sqrt(len(z)) < 4.0
    assert np.all(np.abs(z) < 5.0)


def test_constant_quit_hazard_gives_geometric_survival():
    """With every hazard effect off, no retirement, rotation, election, layoff or recruitment, a
    cadre in post survives t months with probability (1 − h)^t, h = logistic(γ0)."""
    params = dict(gamma0=-3.0, gamma_wage=0.0, gamma_burnout=0.0, gamma_promotion=0.0, gamma_embed=0.0,
                  gamma_insurance=0.0, gamma_establishment=0.0, gamma_capital=0.0, retirement_age=75,
                  dispatch_share=0.0, first_secretary=False, budget_regime="stable", layoff_threshold=24.0,
                  applicants_at_parity=0.01, recruit_elasticity=0.0, mech_elections=False,
                  communities_per_street=60, residents_per_community=50, burn_in=0)
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
    """Hours pushed down = tasks × (task_hours × (1 − saving × informatisation) + trace_hours ×
    assessment pressure) + inspections × inspection_hours + platforms × platform_hours: the
    task types' shares and relative times average to one."""
    params = dict(task_hours=5.0, info_saving=0.4, informatisation=0.5, trace_hours=1.5, assessment_pressure=0.6,
                  inspection_hours=7.0, n_platforms=9, platform_hours=2.0)
    assert np.isclose(T.TASK_SHARE @ T.TASK_TIME, 1.0) and np.isclose(T.TASK_SHARE.sum(), 1.0)
    m = GovernanceModel(rng=2, horizon=3, **params)
    m.step()
    com = m.communities
    per_task = 5.0 * (1 - 0.4 * 0.5) + 1.5 * 0.6
    rest = com.admin_hours - com.tasks * per_task - 9 * 2.0
    inspections = rest / 7.0
    assert np.allclose(inspections, np.round(inspections)) and (inspections > -1e-9).all()
    # what the cadres carry adds up to what was pushed down (every community has cadres here)
    carried = np.bincount(m.posts.community, weights=m.posts.admin, minlength=com.n)
    assert np.allclose(carried, com.admin_hours)
    off = GovernanceModel(rng=2, horizon=3, task_access_list=1.0, mech_list_leakage=False)
    off.step()
    assert off.communities.tasks.sum() == 0


def test_tasks_reaching_communities_follow_the_leaky_list():
    """Arrived ~ Poisson(λ), λ = fixed + per household × households; a list bars a share α, of
    which a share c stays out: E[tasks] = λ (1 − α c). Pooled over communities and months the
    count sits within Poisson error of it."""
    params = dict(task_access_list=0.5, list_compliance=0.6, tasks_fixed=30.0, tasks_per_household=0.05,
                  communities_per_street=8, mech_outmigration=False)
    m = GovernanceModel(rng=13, horizon=40, **params)
    lam = 30.0 + 0.05 * m.communities.households
    got, expected = 0.0, 0.0
    for _ in range(40):
        m.step()
        got += m.communities.tasks.sum()
        expected += (lam * (1 - 0.5 * 0.6)).sum()
    assert abs(got - expected) < 4 * np.sqrt(expected)


def test_vacancy_is_filled_when_an_applicant_comes():
    """Outside dispatch and elections a vacancy is filled iff u < 1 − exp(−μ (w / w_out)^ε)."""
    n = 2000
    u_fill = np.linspace(0.0, 1.0, n, endpoint=False)
    pay, outside, mu, eps = 1500.0, 2500.0, 0.8, 2.0
    p_fill = 1 - np.exp(-mu * (pay / outside) ** eps)
    zeros, f = np.zeros(n, dtype=bool), np.zeros(n)
    hired = np.empty(n, dtype=bool)
    K.hire(np.ones(n, dtype=bool), zeros, zeros, zeros, np.full(n, T.RECRUITED, np.int8), f, zeros,
           np.full(n, pay), np.full(n, outside), u_fill, np.full(n, 0.99), f + 0.5, f + 0.5, 0.0, 0.8, mu, eps, 2.0,
           0.0, T.ORIGIN_AGE, T.ORIGIN_SKILL, T.ORIGIN_EMBED, T.DISPATCHED, T.GRADUATE, T.LOCAL, 36.0, 0.1, hired,
           zeros.copy(), np.full(n, -1, np.int8), f.copy(), f.copy(), f.copy(), f.copy(), f.copy(), f.copy(),
           zeros.copy(), f.copy())
    assert np.array_equal(hired, u_fill < p_fill)


def test_efficacy_settles_at_the_consultation_fixed_point():
    """Everyone takes part in a monthly consultation whose outcome is implemented with
    probability δ; with no elite capture a participant's side wins with the probability q_c
    measured in her community (over ½: her own vote counts). Then
    E[Δε] = κ [δ (q (1 − ε) − (1 − q) ℓ ε) − (1 − δ) ε] = 0 at
    ε*(q) = δq / (δq + δ(1 − q)ℓ + 1 − δ). The update is linear in ε, so the mean efficacy
    settles at the mean of the residents' ε*(q_c). The noise is the realised implementation
    rate, so the test pools 200 small communities over ten relaxation times (sd ≈ 0.003 across
    seeds; tolerance 0.01)."""
    for delta in (0.2, 0.7):
        m = GovernanceModel(rng=3, horizon=160, beta0=5.0, cost_youth=0.0, cost_middle=0.0, mech_migrants=False,
                            consultation_interval=1, decision_authority=delta, mech_outmigration=False,
                            mech_elite_capture=False, kappa_efficacy=0.1, loser_learning=0.5,
                            residents_per_community=40, communities_per_street=50, n_streets=4)
        C = m.communities.n
        won, heard, ts = np.zeros(C), np.zeros(C), []
        for month in range(160):
            m.step()
            r, c = m.residents, m.communities
            sel = r.participated & c.implemented[r.community]
            won += np.bincount(r.community[sel], weights=r.side[sel] == c.elite_won[r.community[sel]], minlength=C)
            heard += np.bincount(r.community[sel], minlength=C)
            if month >= 40:
                ts.append(r.efficacy[r.present].mean())
        q = won / heard
        assert np.all((q > 0.5) & (q < 0.65))
        expected = np.mean([efficacy_fixed_point(delta, 0.5, q[c]) for c in m.residents.community])
        assert abs(np.mean(ts) - expected) < 0.01, (delta, np.mean(ts), expected)


def test_expectations_follow_quality_and_satisfaction_settles_where_the_formula_says():
    """With the service quality q held fixed, expectations x → q and satisfaction settles at
    σ* = (1 − w_f)((1 − w_d) q + w_d · ½) + w_f · (standard met)."""
    n = 5
    q = np.array([0.2, 0.4, 0.6, 0.8, 1.0])
    sat, exp_, trust, bel = np.full(n, 0.5), np.full(n, 0.1), np.full(n, 0.5), np.full(n, 0.5)
    zeros = np.zeros(n, dtype=bool)
    fac = np.array([1.0])
    for _ in range(400):
        K.attitudes(np.zeros(n, np.int32), ~zeros, q, zeros, zeros, zeros, fac, np.zeros(n), sat, exp_, trust, bel, 0.2, 0.5, 0.05,
                    0.15, 0.05, 0.05, 0.01, 0.05, 0.5, 0.25, 0.25)
    assert np.allclose(exp_, q, atol=1e-6)
    assert np.allclose(sat, 0.8 * (0.5 * q + 0.5 * 0.5) + 0.2 * 1.0, atol=1e-6)
