"""The rules of the compiled processes, each against its formula in docs/ODD.md §7, on inputs
made for the purpose: every lever a rule reads is set away from its default, so a rule that
ignores a lever, flips its sign or pays the wrong posts or communities gives a different
answer. Expected values are computed here from the documented formulas; with the uniforms
given, the rules are deterministic, so the comparisons are exact (to rounding)."""

import math

import numpy as np
import pytest
from scipy.special import expit

from model import processes as P
from model import tables as T
from model.parameters import resolve

U = np.float32  # the processes read single-precision uniforms (processes.uniforms)


def record(**params):
    """The parameter record the processes read (``q``), with ``params`` over the defaults."""
    return P.param_record(resolve(params))[0]


# ============================================================================ careers
@pytest.mark.parametrize("ladder", [False, True])
def test_careers_convert_eligible_workers_at_the_establishment_rate_and_climb_the_ladder(ladder):
    """A worker who is in post, not dispatched, not yet established and has served
    ``establishment_tenure`` months is converted when her uniform falls below
    ``establishment_rate``; with ``promotion_ladder`` a local worker's grade is
    min(``max_grades``, ⌊tenure / ``grade_months``⌋), without it 0."""
    q = record(establishment_rate=0.2, establishment_tenure=24, promotion_ladder=ladder, grade_months=12,
               max_grades=3)
    rng = np.random.default_rng(1)
    n = 400
    filled = rng.random(n) < 0.8
    origin = rng.choice([T.LOCAL, T.DISPATCHED, T.GRADUATE, T.RECRUITED], n).astype(np.int8)
    tenure = rng.integers(0, 80, n).astype(np.float64)
    established = rng.random(n) < 0.1
    grade = np.zeros(n)
    u = rng.random(n).astype(U)
    before = established.copy()
    local = filled & (origin != T.DISPATCHED)
    expected_est = established | (local & (tenure >= 24) & (u < 0.2))
    expected_grade = np.where(local, np.minimum(3, np.floor(tenure / 12)), 0.0) if ladder else np.zeros(n)
    P.careers(q, filled, origin, tenure, established, grade, u)
    assert np.array_equal(established, expected_est)
    assert np.array_equal(grade, expected_grade)
    eligible = local & ~before & (tenure >= 24)
    assert 0 < (established & ~before).sum() < eligible.sum()  # some eligible are converted, not all
    off = record(establishment_rate=0.0, establishment_tenure=24, promotion_ladder=False)
    est0 = np.zeros(n, bool)
    P.careers(off, filled, origin, tenure, est0, grade, u)
    assert not est0.any() and not grade.any()


@pytest.mark.parametrize("on", [True, False])
def test_social_capital_is_the_mean_of_trust_and_belonging_of_those_present(on):
    """docs/ODD.md §7.6: a community's social capital is its present residents' mean of
    ½(trust + belonging) — one resident left counts as a community — ½ where nobody lives, and
    ½ everywhere with ``mech_capital_retention`` off."""
    q = record(mech_capital_retention=on)
    community = np.array([0, 0, 0, 1, 2, 2], np.int32)
    present = np.array([True, True, False, True, False, False])
    trust = np.array([0.2, 0.6, 0.9, 0.8, 0.1, 0.1])
    belonging = np.array([0.4, 0.8, 0.9, 0.6, 0.3, 0.3])
    sums = P.resident_sums(community, present, trust, belonging, 3)
    capital = P.social_capital(q, sums, 3)
    want = [(0.3 + 0.7) / 2, 0.7, 0.5] if on else [0.5, 0.5, 0.5]
    assert np.allclose(capital, want)


def test_post_pay_adds_grade_steps_and_the_establishment_premium():
    """pay = base × (1 + ``grade_step`` · grade) × (1 + ``establishment_premium`` · established)."""
    q = record(grade_step=0.1, establishment_premium=0.25)
    base = np.array([1000.0, 1000.0, 2000.0, 0.0])
    grade = np.array([0.0, 2.0, 3.0, 1.0])
    est = np.array([False, True, False, True])
    assert np.allclose(P.post_pay(q, base, grade, est), [1000.0, 1000.0 * 1.2 * 1.25, 2000.0 * 1.3, 0.0])


def test_a_posts_cost_adds_the_employers_insurance_and_is_nothing_off_the_budget():
    """cost = pay × (1 + ``insurance_rate`` · insured) × on budget: a post paid by another unit
    (a first secretary) costs the community nothing, insured or not."""
    q = record(grade_step=0.1, establishment_premium=0.25, insurance_rate=0.3)
    base = np.array([1000.0, 1000.0, 2000.0, 1500.0, 1200.0])
    grade = np.array([0.0, 2.0, 3.0, 1.0, 0.0])
    est = np.array([False, True, False, True, False])
    insured = np.array([False, True, True, True, False])
    on_budget = np.array([True, True, True, False, False])
    pay = P.post_pay(q, base, grade, est)
    cost = P.post_costs(q, base, grade, est, insured, on_budget)
    assert np.allclose(cost, [pay[0], pay[1] * 1.3, pay[2] * 1.3, 0.0, 0.0])


# ============================================================================ separations
def _posts(n, rng):
    return dict(
        community=rng.integers(0, 3, n).astype(np.int32),
        filled=rng.random(n) < 0.9,
        origin=rng.choice([T.LOCAL, T.DISPATCHED, T.GRADUATE, T.RECRUITED], n, p=[0.4, 0.2, 0.2, 0.2]).astype(np.int8),
        parttime=rng.random(n) < 0.3,
        insured=rng.random(n) < 0.5,
        established=rng.random(n) < 0.3,
        age=rng.uniform(25, 62, n),
        tenure=rng.integers(0, 100, n).astype(np.float64),
        burnout=rng.uniform(0, 0.6, n),
        embed=rng.uniform(0, 0.8, n),
        term_left=rng.integers(0, 5, n).astype(np.float64),
        skill=rng.uniform(0.5, 1.3, n),
        admin=rng.uniform(0, 150, n),
        service=rng.uniform(0, 150, n) * (rng.random(n) < 0.95),
        overtime=rng.uniform(0, 60, n),
        hours=np.where(rng.random(n) < 0.3, 88.0, 176.0),
        pay=rng.uniform(300, 4000, n),
        outside=rng.choice([2500.0, 4500.0], n),
        is_project=rng.random(n) < 0.4,
    )


SEPARATION_CASES = [
    {},
    dict(promotion_ladder=True, gamma_promotion=0.8, decision_authority=0.9, outside_earnings=2000.0),
    dict(mech_parttime=False, gamma_insurance=1.5, gamma_establishment=2.0, gamma_capital=3.0, retirement_age=55),
    dict(gamma_wage=3.0, gamma_burnout=4.0, gamma_embed=3.0, burnout_rate=0.5, overtime_scale=10.0,
         burnout_overtime_weight=0.9, burnout_admin_weight=0.2, gamma0=-2.0),
]


@pytest.mark.parametrize("params", SEPARATION_CASES, ids=lambda p: ",".join(p) or "defaults")
def test_separations_follow_the_quit_hazard_burnout_retirement_and_rotation(params):
    """docs/ODD.md §7.6: ageing, tenure, embeddedness and skill grow; burnout moves
    ``burnout_rate`` of the way to b* = w_o o/(o + s) + w_a · admin share · (1 − ½ resources),
    resources = ½ min(1, income / outside) + ½ δ, income = pay (+ outside earnings scaled by
    the free hours of a part-time post); the hazard is logistic(γ0 + γ_w log(w_out / income) +
    γ_b b − γ_e e − γ_cap (k − ½) − γ_ins insured − γ_est established − γ_prom ladder), for a
    dispatched cadre logistic(γ0 − γ_est + γ_b b); retirement at ``retirement_age``;
    dispatched cadres leave when their term runs out. Each post leaves exactly when the rule
    says, and the counts returned are (separations, quits, separations of project-paid posts)."""
    p = resolve(params)
    q = P.param_record(p)[0]
    rng = np.random.default_rng(7)
    n = 600
    x = _posts(n, rng)
    capital = np.array([0.2, 0.5, 0.9])
    u = rng.random(n).astype(U)
    # expected, from the formulas
    f = x["filled"]
    age = x["age"] + f / 12.0
    tenure = x["tenure"] + f
    embed = np.where(f, x["embed"] + T.EMBED_GROWTH * (T.EMBED_CEILING - x["embed"]), x["embed"])
    skill = np.where(f, x["skill"] + T.SKILL_GROWTH, x["skill"])
    worked = x["admin"] + x["service"]
    share = np.where(worked > 0, x["admin"] / np.where(worked > 0, worked, 1.0), 0.0)
    income = x["pay"].copy()
    if p["mech_parttime"]:
        income += x["parttime"] * p["outside_earnings"] * (p["cadre_hours"] - x["hours"]) / (0.5 * p["cadre_hours"])
    resources = 0.5 * np.minimum(1.0, income / x["outside"]) + 0.5 * p["decision_authority"]
    target = (p["burnout_overtime_weight"] * x["overtime"] / (x["overtime"] + p["overtime_scale"])
              + p["burnout_admin_weight"] * share * (1.0 - 0.5 * resources))
    burnout = np.where(f, x["burnout"] + p["burnout_rate"] * (target - x["burnout"]), x["burnout"])
    dispatched = x["origin"] == T.DISPATCHED
    hazard_local = (p["gamma0"] + p["gamma_wage"] * np.log(x["outside"] / np.maximum(income, 1.0))
                    + p["gamma_burnout"] * burnout - p["gamma_embed"] * embed
                    - p["gamma_capital"] * (capital[x["community"]] - 0.5) - p["gamma_insurance"] * x["insured"]
                    - p["gamma_establishment"] * x["established"] - p["gamma_promotion"] * p["promotion_ladder"])
    hazard = np.where(dispatched, p["gamma0"] - p["gamma_establishment"] + p["gamma_burnout"] * burnout, hazard_local)
    quits = u < expit(hazard)
    retire = age >= p["retirement_age"]
    term_left = np.where(f & ~retire & dispatched, x["term_left"] - 1.0, x["term_left"])
    rotate = dispatched & ~retire & (term_left <= 0.0)
    quit = f & ~retire & ~rotate & quits
    leave_expected = f & (retire | rotate | quits)
    # the rule
    arrays = {k: v.copy() for k, v in x.items()}
    leave = np.zeros(n, bool)
    got = P.separations(q, arrays["community"], arrays["filled"], arrays["origin"], arrays["parttime"],
                        arrays["insured"], arrays["established"], arrays["age"], arrays["tenure"], arrays["burnout"],
                        arrays["embed"], arrays["term_left"], arrays["skill"], arrays["admin"], arrays["service"],
                        arrays["overtime"], arrays["hours"], arrays["pay"], arrays["outside"], capital,
                        arrays["is_project"], u, leave)
    assert np.array_equal(leave, leave_expected)
    assert got == (leave_expected.sum(), quit.sum(), (leave_expected & x["is_project"]).sum())
    for name, want in (("age", age), ("tenure", tenure), ("embed", embed), ("skill", skill), ("burnout", burnout),
                       ("term_left", term_left)):
        assert np.allclose(arrays[name], want, rtol=0, atol=1e-12), name
    assert 0 < quit.sum() < f.sum() and retire[f].any() and rotate[f].any()  # every branch is exercised


# ============================================================================ hiring
HIRE_CASES = [
    dict(),
    dict(personnel_authority=1.0, graduate_recruitment=0.6, graduate_applicants=3.0, dispatch_fill_rate=0.4),
    dict(applicants_at_parity=2.0, recruit_elasticity=0.5, dispatch_term=12, personnel_authority=0.5),
]


@pytest.mark.parametrize("params", HIRE_CASES, ids=lambda p: ",".join(p) or "defaults")
def test_hiring_fills_vacancies_by_dispatch_election_graduates_and_applicants(params):
    """docs/ODD.md §7.6: a leader vacancy goes to dispatch when its uniform is below the
    street's ``dispatch_share`` (a first secretary always), then is filled at
    ``dispatch_fill_rate``; a staff vacancy is offered to graduates below
    ``graduate_recruitment``; a post the election opened is filled at once by a local; any
    other when u < 1 − exp(−μ (w / w_out)^ε), μ = ``applicants_at_parity`` (1 +
    ``personnel_authority``) (× ``graduate_applicants`` for graduates). New cadres' attributes
    come from their origin; personnel authority raises a non-dispatched hire's embeddedness by
    half."""
    p = resolve(params)
    rng = np.random.default_rng(3)
    n = 3000
    role = rng.choice([T.SECRETARY, T.DIRECTOR, T.MEMBER, T.STAFF, T.GRID_WORKER, T.FIRST_SECRETARY], n).astype(np.int8)
    vacant = rng.random(n) < 0.8
    is_leader = np.isin(role, T.LEADER_ROLES)
    is_fs = role == T.FIRST_SECRETARY
    is_staff = role == T.STAFF
    committee = np.isin(role, T.COMMITTEE_ROLES)
    default_origin = np.where(committee, T.LOCAL, T.RECRUITED).astype(np.int8)
    dispatch_share = rng.choice([0.2, 0.8], n)
    by_election = committee & (rng.random(n) < 0.2)
    pay = rng.uniform(0.0, 5000.0, n)
    outside = rng.choice([2500.0, 4500.0], n)
    u_fill, u_origin, u_age, u_skill = (rng.random(n).astype(U) for _ in range(4))
    pa = p["personnel_authority"]
    # expected
    dispatch = is_fs | (is_leader & (u_origin < dispatch_share))
    graduate = is_staff & (u_origin < p["graduate_recruitment"])
    mu = p["applicants_at_parity"] * (1 + pa) * np.where(graduate, p["graduate_applicants"], 1.0)
    p_fill = np.where(by_election & ~dispatch, 1.0, np.where(
        dispatch, p["dispatch_fill_rate"], 1 - np.exp(-mu * (np.maximum(pay, 1.0) / outside) ** p["recruit_elasticity"])))
    origin_exp = np.where(by_election & ~dispatch, T.LOCAL, np.where(dispatch, T.DISPATCHED,
                                                                      np.where(graduate, T.GRADUATE, default_origin)))
    hired_exp = vacant & (u_fill < p_fill)
    # the rule
    hired = np.zeros(n, bool)
    filled = ~vacant
    origin = np.full(n, -1, np.int8)
    age, skill, tenure, burnout, embed, term_left, grade = (np.full(n, -9.0) for _ in range(7))
    established = np.ones(n, bool)
    count = P.hire(vacant, is_leader, is_fs, is_staff, default_origin, dispatch_share, by_election, pay, outside, u_fill,
                   u_origin, u_age, u_skill, p["graduate_recruitment"], p["dispatch_fill_rate"],
                   p["applicants_at_parity"], p["recruit_elasticity"], p["graduate_applicants"], pa, T.ORIGIN_AGE,
                   T.ORIGIN_SKILL, T.ORIGIN_EMBED, T.DISPATCHED, T.GRADUATE, T.LOCAL, float(p["dispatch_term"]),
                   T.HIRE_BURNOUT, hired, filled, origin, age, skill, tenure, burnout, embed, term_left, established,
                   grade)
    assert np.array_equal(hired, hired_exp) and count == hired_exp.sum()
    h = hired_exp
    o = origin_exp[h]
    assert np.array_equal(origin[h], o) and filled[h].all() and not established[h].any()
    lo, hi = T.ORIGIN_AGE[o, 0], T.ORIGIN_AGE[o, 1]
    assert np.allclose(age[h], lo + u_age[h] * (hi - lo))
    lo, hi = T.ORIGIN_SKILL[o, 0], T.ORIGIN_SKILL[o, 1]
    assert np.allclose(skill[h], lo + u_skill[h] * (hi - lo))
    assert np.allclose(embed[h], T.ORIGIN_EMBED[o] * np.where(o == T.DISPATCHED, 1.0, 1.0 + 0.5 * pa))
    assert np.array_equal(term_left[h], np.where(o == T.DISPATCHED, float(p["dispatch_term"]), 0.0))
    assert (tenure[h] == 0).all() and (burnout[h] == T.HIRE_BURNOUT).all() and (grade[h] == 0).all()
    assert (age[~h] == -9.0).all()  # posts not hired are left alone
    for code in (T.LOCAL, T.DISPATCHED, T.GRADUATE, T.RECRUITED):
        if code != T.GRADUATE or p["graduate_recruitment"] > 0:
            assert (o == code).any(), code


# ============================================================================ elections, layoffs
def test_reelection_follows_voters_satisfaction_and_trust_and_confirms_dispatched_leaders():
    """An incumbent committee member who is not dispatched keeps the post with probability
    logistic(base + b_σ (σ̄ − ½) + b_τ (τ̄ − ½)) of the voters' mean satisfaction and trust (all
    residents present where nobody voted); dispatched cadres and other posts never lose."""
    q = record(reelect_base=0.5, reelect_satisfaction=4.0, reelect_trust=3.0)
    rng = np.random.default_rng(5)
    N, C, n = 900, 3, 600
    res_com = np.sort(rng.integers(0, C, N)).astype(np.int32)
    present = rng.random(N) < 0.95
    sat, tru = rng.random(N), rng.random(N)
    voted = (rng.random(N) < 0.5) & (res_com != 2)  # nobody votes in community 2
    po_com = rng.integers(0, C, n).astype(np.int32)
    filled = rng.random(n) < 0.9
    origin = rng.choice([T.LOCAL, T.DISPATCHED, T.RECRUITED], n).astype(np.int8)
    committee = rng.random(n) < 0.6
    u = rng.random(n).astype(U)
    lost = np.zeros(n, bool)
    count = P.election_results(q, po_com, filled, origin, committee, res_com, present, sat, tru, voted, C, u, lost)
    s_bar, t_bar = np.zeros(C), np.zeros(C)
    for c in range(C):
        who = present & (res_com == c) & (voted if c != 2 else True)
        s_bar[c], t_bar[c] = sat[who].mean(), tru[who].mean()
    keep = expit(0.5 + 4.0 * (s_bar - 0.5) + 3.0 * (t_bar - 0.5))
    stands = filled & committee & (origin != T.DISPATCHED)
    expected = stands & (u >= keep[po_com])
    assert np.array_equal(lost, expected) and count == expected.sum() > 0


def test_layoffs_cut_the_newest_project_worker_where_the_deficit_passes_the_threshold():
    """A community whose balance is below −``layoff_threshold`` × its wage bill lays off its
    project-paid worker (staff or grid worker) with the shortest tenure and freezes the post;
    frozen posts thaw once their community's balance is back at zero or above."""
    q = record(layoff_threshold=2.0)
    community = np.array([0, 0, 0, 1, 1, 2, 2], np.int32)
    filled = np.array([True, True, True, True, True, True, False])
    project = np.array([True, True, False, True, False, True, True])
    tenure = np.array([30.0, 5.0, 1.0, 2.0, 1.0, 9.0, 0.0])
    frozen = np.array([False, False, False, False, False, False, True])
    balance = np.array([-2001.0, -1999.0, 0.0])  # wage bills 1000: only community 0 is past the threshold
    wages = np.array([1000.0, 1000.0, 1000.0])
    person = np.arange(7, dtype=np.int64)
    origin = np.zeros(7, np.int8)
    burnout, grade = np.full(7, 0.3), np.ones(7)
    est = np.ones(7, bool)
    n = P.layoffs(q, community, filled, person, frozen, tenure, project, balance, wages, origin, burnout, est, grade)
    assert n == 1
    assert np.array_equal(filled, [True, False, True, True, True, True, False])  # post 1: project, newest
    assert np.array_equal(frozen, [False, True, False, False, False, False, False])  # post 6 thawed (balance ≥ 0)
    assert person[1] == -1 and origin[1] == -1 and burnout[1] == 0 and not est[1] and grade[1] == 0


# ============================================================================ budget
def _budget_inputs(C=3):
    """Three communities of one street, each with a committee post (1,000 yuan) and a staff post
    (2,000), 100 residents; the posts' grade and establishment raise their pay."""
    community = np.repeat(np.arange(C, dtype=np.int32), 2)
    role_project = np.tile([False, True], C)
    return dict(
        community=community, filled=np.ones(2 * C, bool), grade=np.tile([1.0, 0.0], C),
        established=np.tile([False, True], C), base=np.tile([1000.0, 2000.0], C), insured=role_project.copy(),
        on_budget=np.ones(2 * C, bool), is_project=role_project, present=np.full(C, 100, np.int64),
        belonging=np.array([40.0, 50.0, 60.0]), coverage=np.array([0.9, 0.3, 0.6]),
        plan_project_wages=np.full(C, 2000.0 * 1.3), delay=np.array([0, 2, 12], np.int64),
        u_project=np.array([0.1, 0.9, 0.2], U), balance=np.array([0.0, 5000.0, -100.0]),
    )


def _settle(q, x, *, orgs=None):
    """One month of settle_budget on the inputs of _budget_inputs; returns the state after it."""
    C = len(x["present"])
    pipe = np.zeros((C, T.MAX_DELAY + 1))
    pipe[:, 0] = 100.0  # money approved earlier, released this month
    st = np.zeros(1, P.STATS_DTYPE)
    sums = np.stack([x["present"].astype(float), np.zeros(C), x["belonging"]])
    bal = x["balance"].copy()
    spend, wages = np.zeros(C), np.zeros(C)
    o = orgs or dict(kind=np.zeros(1, np.int8), staff=np.zeros(1, np.int32), funds=np.zeros(1),
                     broke=np.zeros(1, np.int32), hours=np.zeros(1), active=np.zeros(1, bool),
                     serial=np.full(1, -1, np.int64), link_org=np.zeros(2, np.int32),
                     link_com=np.full(2, -1, np.int32), paid=np.zeros(2))
    u_org = np.ones((6, 1), U)  # no organisation enters
    P.settle_budget(q, st[0], x["community"], x["filled"], x["grade"], x["established"], x["base"], x["insured"],
                    x["on_budget"], x["is_project"], sums, np.zeros(C, np.int32), x["present"], bal, pipe, spend,
                    wages, x["coverage"], x["plan_project_wages"], x["delay"], o["kind"], o["staff"], o["funds"],
                    o["broke"], o["hours"], o["active"], o["serial"], o["link_org"], o["link_com"], o["paid"],
                    np.zeros(2, np.int64), x["u_project"], u_org)
    return dict(balance=bal, pipeline=pipe, spend=spend, wages=wages, stats=st[0], orgs=o)


def _expected_budget(p, x):
    """docs/ODD.md §7.7 for one month, from the formulas."""
    pay = x["base"] * (1 + p["grade_step"] * x["grade"]) * (1 + p["establishment_premium"] * x["established"])
    cost = pay * (1 + p["insurance_rate"] * x["insured"]) * x["on_budget"]
    C = len(x["present"])
    wages = np.bincount(x["community"], weights=cost * x["filled"], minlength=C)
    project = np.bincount(x["community"], weights=cost * x["filled"] * x["is_project"], minlength=C)
    loss = (p["fragmentation_loss"] * (1 - p["pooled_loss_cut"] * p["pooled_funds"])
            * (1 - p["authority_loss_cut"] * p["fund_authority"]))
    plan = p["activity_budget"] * x["present"]
    ppw = x["plan_project_wages"]
    if p["budget_regime"] == "stable":
        now, gross, lost = wages - project + ppw, plan, np.zeros(C)
    elif p["budget_regime"] == "project":
        gross = np.where(x["u_project"] < p["project_rate"], T.PROJECT_MONTHS * (ppw + plan), 0.0)
        now, lost = wages - project, gross * loss
    else:
        earned = x["coverage"] >= p["reward_threshold"]
        gross = plan * ((1 - p["reward_share"]) + 2 * p["reward_share"] * earned)
        now, lost = wages - project + ppw, gross * loss * p["reward_loss_factor"]
    delayed = gross - lost
    pipe = np.zeros((C, T.MAX_DELAY + 1))
    pipe[:, 0] = 100.0
    pipe[np.arange(C), x["delay"]] += delayed
    released = pipe[:, 0].copy()
    pipe = np.concatenate([pipe[:, 1:], np.zeros((C, 1))], axis=1)
    donation = p["donation_drive"] * p["donation_per_resident"] * x["present"] * (
        T.DONATION_BELONGING + x["belonging"] / x["present"])
    balance = x["balance"] + now + released + donation - wages
    spend = np.minimum(np.maximum(balance, 0.0), p["spend_cap"] * plan)
    purchase = spend * p["purchase_share"]
    return dict(wages=wages, lost=lost, pipeline=pipe, donation=donation, balance_before_spending=balance,
                spend=spend, purchase=purchase)


BUDGET_CASES = [
    dict(budget_regime="project"),
    dict(budget_regime="project", pooled_funds=True, fund_authority=0.5, project_rate=0.5),
    dict(budget_regime="stable"),
    dict(budget_regime="reward", reward_threshold=0.5, reward_share=0.4, reward_loss_factor=0.5),
    dict(budget_regime="reward", reward_threshold=0.95, reward_share=0.8, pooled_funds=True),
]


@pytest.mark.parametrize("params", BUDGET_CASES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_budget_regimes_pay_what_the_formulas_say(params):
    """docs/ODD.md §7.7, one month for three communities: *project* pays committee wages and,
    when a grant arrives (u < ``project_rate``), four months of staff wages and activity funds
    less the fragmentation loss φ = loss (1 − pooled cut · pooled) (1 − authority cut · fund
    authority); *stable* pays all wages and the activity plan every month, nothing lost;
    *reward* pays wages and 1 − ``reward_share`` of the plan, plus 2 · ``reward_share`` where
    last month's coverage reached ``reward_threshold``, losing φ · ``reward_loss_factor``.
    Money other than wages waits ``approval_delay`` months in the approval pipeline (0, 2 and 12
    months for the three communities here; released by position); donations
    add ``donation_drive`` · per resident · residents · (½ + mean belonging); the account pays
    wages and spends up to ``spend_cap`` × plan, ``purchase_share`` of it on services (kept
    where no organisation serves the community)."""
    params = dict(params, activity_budget=7.0, donation_drive=0.5, purchase_share=0.3, grade_step=0.1,
                  establishment_premium=0.3, social_insurance=True, spend_cap=1.2)
    p = resolve(params)
    x = _budget_inputs()
    got = _settle(P.param_record(p)[0], x)
    want = _expected_budget(p, x)
    assert np.allclose(got["wages"], want["wages"])
    assert np.allclose(got["pipeline"], want["pipeline"])
    assert np.allclose(got["spend"], want["spend"] - want["purchase"])
    assert np.allclose(got["balance"], want["balance_before_spending"] - (want["spend"] - want["purchase"]))
    s = got["stats"]
    assert s["wage_bill"] == pytest.approx(want["wages"].sum())
    assert s["fragmentation_loss"] == pytest.approx(want["lost"].sum())
    assert s["donations"] == pytest.approx(want["donation"].sum())
    assert s["spending_total"] == pytest.approx((want["wages"] + want["spend"] - want["purchase"]).sum())
    assert s["purchase_spending"] == 0.0  # no organisation: the purchase money stays in the account


def test_the_regimes_differ_where_the_formulas_say_they_do():
    """The cases above are not alike: a grant, a reward and the stable line pay different
    amounts, pooling and fund authority cut the loss, a strict standard withholds the reward."""
    x = _budget_inputs()
    x["delay"] = np.array([1, 2, 12], np.int64)  # nothing released at once: the pipeline holds what came in
    pipes = {}
    for regime in ("project", "stable", "reward"):
        pipes[regime] = _settle(record(budget_regime=regime), x)["pipeline"].sum()
    assert len({round(v, 6) for v in pipes.values()}) == 3
    loss = {name: _settle(record(budget_regime="project", **lever), x)["stats"]["fragmentation_loss"]
            for name, lever in (("none", {}), ("pooled", {"pooled_funds": True}), ("authority", {"fund_authority": 1.0}))}
    assert loss["none"] > 0
    assert loss["pooled"] == pytest.approx(loss["none"] * (1 - 0.6))
    assert loss["authority"] == pytest.approx(loss["none"] * (1 - 0.5))
    strict = _settle(record(budget_regime="reward", reward_threshold=1.0), x)["pipeline"].sum()
    lenient = _settle(record(budget_regime="reward", reward_threshold=0.0), x)["pipeline"].sum()
    plan = 6.0 * 300
    assert lenient - strict == pytest.approx(2 * 0.5 * plan * (1 - 0.25 * 0.3))


def test_purchase_money_goes_to_the_organisations_tied_to_the_community():
    """``purchase_share`` of a community's spending is paid in equal shares to the active
    organisations tied to it; a tie's recent payments then halve (``PAID_DECAY``)."""
    q = record(budget_regime="stable", purchase_share=0.4)
    x = _budget_inputs()
    orgs = dict(kind=np.zeros(2, np.int8), staff=np.full(2, 3, np.int32), funds=np.array([50.0, 50.0]),
                broke=np.zeros(2, np.int32), hours=np.zeros(2), active=np.array([True, True]),
                serial=np.array([0, 1], np.int64), link_org=np.array([0, 0, 1, 1], np.int32),
                link_com=np.array([0, 2, 0, -1], np.int32), paid=np.zeros(4))
    got = _settle(q, x, orgs=orgs)
    want = _expected_budget(resolve(dict(budget_regime="stable", purchase_share=0.4)), x)
    purchase = want["purchase"]
    assert np.allclose(got["orgs"]["funds"], [50 + purchase[0] / 2 + purchase[2], 50 + purchase[0] / 2])
    assert np.allclose(got["orgs"]["paid"], np.array([purchase[0] / 2, purchase[2], purchase[0] / 2, 0.0]) * T.PAID_DECAY)
    assert got["stats"]["purchase_spending"] == pytest.approx(purchase[0] + purchase[2])
    assert np.allclose(got["balance"], want["balance_before_spending"] - want["spend"] + [0, purchase[1], 0])


def test_an_organisations_free_tie_draws_no_money():
    """An organisation tied to one community only (its second tie free, −1) is paid that
    community's share and nothing else — not the last community's money, whatever that holds."""
    purchase = np.array([300.0, 0.0, 800.0])
    link_org = np.array([0, 0, 1, 1], np.int32)
    link_com = np.array([0, -1, 2, 0], np.int32)
    funds, paid_links = np.zeros(2), np.zeros(4)
    paid = P.pay_organisations(purchase, link_org, link_com, paid_links, funds, np.array([True, True]))
    assert np.allclose(paid, [300.0, 0.0, 800.0])
    assert np.allclose(funds, [150.0, 800.0 + 150.0])
    assert np.allclose(paid_links, [150.0, 0.0, 800.0, 150.0])


# ============================================================================ admin and time
def test_poisson_and_binomial_inversion_match_their_distributions():
    """The counts of tasks, inspections and barred tasks are drawn by inversion of one uniform:
    on an even grid of uniforms the counts have the distribution's mean and variance."""
    u = (np.arange(20000) + 0.5) / 20000
    for lam in (0.5, 4.0, 60.0):
        k = np.array([P.poisson_inv(lam, x) for x in u])
        assert k.mean() == pytest.approx(lam, rel=2e-3) and k.var() == pytest.approx(lam, rel=2e-2)
    for n, p in ((10, 0.3), (200, 0.75)):
        k = np.array([P.binomial_inv(n, p, x) for x in u])
        assert k.mean() == pytest.approx(n * p, rel=2e-3) and k.var() == pytest.approx(n * p * (1 - p), rel=2e-2)
    assert P.poisson_inv(0.0, 0.99) == 0 and P.binomial_inv(5, 1.0, 0.0) == 5 and P.binomial_inv(5, 0.0, 0.99) == 0


def test_uniforms_are_the_top_and_next_24_bits_of_each_output():
    raw = np.array([0, 2**64 - 1, (123 << 40) | (456 << 16)], np.uint64)
    u = P.uniforms(raw)
    assert u.dtype == np.float32 and len(u) == 6
    scale = 2.0**-24
    assert np.array_equal(u, np.array([0, 0, (2**24 - 1) * scale, (2**24 - 1) * scale, 123 * scale, 456 * scale],
                                      np.float32))


def test_vacant_posts_carry_no_time_and_a_type_no_one_carries_falls_on_everyone():
    """Administrative hours of a type are shared by role weight × contracted hours among the
    cadres in post; a type whose weight is zero for everyone in post falls on them by hours;
    service hours are what is left, at least ``min_service_hours`` (overtime above that);
    contact is the role's share of service time."""
    weights = np.zeros((T.N_TASK_TYPES, T.N_ROLES))
    weights[0, T.MEMBER] = 1.0  # only members carry type 0
    community = np.array([0, 0, 0], np.int32)
    role = np.array([T.STAFF, T.STAFF, T.MEMBER], np.int8)
    filled = np.array([True, True, False])
    hours = np.array([176.0, 88.0, 176.0])
    load = np.zeros((1, T.N_TASK_TYPES))
    load[0, 0] = 120.0
    load[0, 1] = 60.0
    out = [np.zeros(3) for _ in range(4)]
    P.allocate_time(community, role, filled, hours, load, weights, 176.0, 24.0, T.ROLE_CONTACT_SHARE, *out)
    admin, service, overtime, contact = out
    # type 0: no member in post, falls on the staff by hours (2 : 1); type 1: no weight, same
    assert np.allclose(admin, [120.0, 60.0, 0.0])
    assert np.allclose(service, [56.0, 28.0, 0.0]) and np.allclose(overtime, 0.0)
    assert np.allclose(contact, service * T.ROLE_CONTACT_SHARE[role])
    load[0, 0] = 300.0
    P.allocate_time(community, role, filled, hours, load, weights, 176.0, 24.0, T.ROLE_CONTACT_SHARE, *out)
    assert np.allclose(admin, [240.0, 120.0, 0.0]) and np.allclose(service, [24.0, 12.0, 0.0])
    assert np.allclose(overtime, [240.0 + 24.0 - 176.0, 120.0 + 12.0 - 88.0, 0.0])


def test_logistic_is_the_logistic_function():
    for x in (-800.0, -3.0, 0.0, 2.5, 40.0):
        assert P.logistic(x) == pytest.approx(1 / (1 + math.exp(-x)) if x > -700 else 0.0, abs=1e-300)


# ============================================================================ participation
def _resident_state(seed=23, **params):
    """A lived-in world after a few months: residents with varied attitudes, ties, volunteers."""
    from model.model import GovernanceModel

    world = dict(n_streets=1, communities_per_street=3, residents_per_community=250, urban_share=0.34, burn_in=2,
                 consultation_interval=1, outmigration_rate=0.3)
    m = GovernanceModel(rng=seed, horizon=6, agent_data=False, **{**world, **params})
    for _ in range(4):
        m.step()
    return m


CONSULT_CASES = [
    {},
    dict(disclosure=True, digital_channels=0.8, four_social_linkage=1.0, agenda_spread=0.9, elite_weight=6.0,
         interest_divergence=0.8, loser_learning=0.3, token_trust_loss=1.5, decision_authority=0.5),
    dict(mech_elite_capture=False, mech_migrants=False, beta_network=3.0, beta_contact=2.0, migrant_cost=3.0,
         decision_authority=0.9, size_reference=100.0),
]


@pytest.mark.parametrize("params", CONSULT_CASES, ids=lambda p: ",".join(p) or "defaults")
def test_consultation_follows_the_participation_rule_the_outcome_and_learning(params):
    """docs/ODD.md §7.5, one consultation: p = logistic(β0 + β_ε ε + β_τ τ + β_s s + β_n n +
    β_g visited − c_age (1 − ``digital_cost_cut`` · ``digital_channels`` · digital) + u − β_size
    log(N_c / N_ref) + b · backbone − m · migrant) with the agenda-scaled stake s; sides, the
    weighted majority (elite weight reduced by disclosure's safeguard), implementation at δ;
    efficacy learnt by participants (and, with disclosure, by others at ``disclosure_learning``),
    trust lost after a token consultation, volunteers recruited at ``volunteer_conversion`` ×
    (1 + ``linkage_conversion`` · linkage). Every resident's p, choice, side, efficacy, trust
    and volunteering, and every community's outcome, as the formulas say."""
    m = _resident_state(**params)
    p = m.p
    q = m.par[0]
    r, com = m.residents, m.communities
    rng = np.random.default_rng(29)
    N, C = r.n, com.n
    u_agenda = rng.random(C).astype(U)
    u_impl = np.array([0.05, 0.45, 0.95], U)  # one community implements, one does not, whatever δ here
    u_part, u_side, u_conv = (rng.random(N).astype(U) for _ in range(3))
    costs = np.array([p["cost_youth"], p["cost_middle"], p["cost_elderly"]])
    boost = p["activist_boost"] if p["mech_activists"] else 0.0
    size_effect = p["size_effect"] if p["mech_group_size"] else 0.0
    prev = r.participated.copy()
    eff0, trust0, vol0, comvol0 = r.efficacy.copy(), r.trust.copy(), r.volunteer.copy(), com.volunteers.copy()
    side0 = r.side.copy()
    # expected
    here = r.present
    deg = np.diff(m.ties.indptr)
    neigh = np.where(deg > 0, np.add.reduceat(prev[m.ties.indices].astype(float), m.ties.indptr[:-1]) / np.maximum(deg, 1),
                     0.0) if m.ties.nnz else np.zeros(N)
    c = r.community
    size = np.where(com.present > 0, size_effect * np.log(np.maximum(com.present, 1) / p["size_reference"]), 0.0)
    stake = np.minimum(1.0, r.stake * (1 - p["agenda_spread"] + 2 * p["agenda_spread"] * u_agenda[c].astype(float)))
    cost = costs[r.age_group] * (1 - p["digital_cost_cut"] * p["digital_channels"] * r.digital)
    capture_on = p["mech_elite_capture"]
    x = (p["beta0"] + p["beta_efficacy"] * eff0 + p["beta_trust"] * trust0 + p["beta_stake"] * stake
         + p["beta_network"] * neigh - cost + r.propensity - size[c] + p["beta_contact"] * r.contacted
         + boost * r.activist - (p["migrant_cost"] if p["mech_migrants"] else 0.0) * r.migrant)
    prob = np.where(here, expit(x), 0.0)
    took = here & (u_part < prob)
    elite = (r.activist | (r.stake >= T.HIGH_STAKE)).astype(float)
    divergence = p["interest_divergence"] if capture_on else 0.0
    capture = p["elite_weight"] * (1 - p["disclosure_safeguard"] * p["disclosure"]) if capture_on else 0.0
    side = np.where(here, u_side < 0.5 + (elite - 0.5) * divergence, side0)  # residents away keep theirs
    w = took * (1 + capture * elite)
    total, support = np.bincount(c, weights=w, minlength=C), np.bincount(c, weights=w * side, minlength=C)
    implemented = u_impl < p["decision_authority"]
    elite_won = implemented & (total > 0) & (2 * support > total)
    learn = p["disclosure_learning"] if p["disclosure"] else 0.0
    rate = p["kappa_efficacy"] * (learn + (1 - learn) * took)
    won = (side == elite_won[c]).astype(float)
    eff = np.where(implemented[c], eff0 + rate * (won * (1 - eff0) - (1 - won) * p["loser_learning"] * eff0),
                   eff0 - rate * eff0)
    eff = np.where(here, eff, eff0)
    trust = np.where(here & ~implemented[c], trust0 - took * p["token_trust_loss"] * p["kappa_efficacy"] * trust0,
                     trust0)
    conversion = p["volunteer_conversion"] * (1 + p["linkage_conversion"] * p["four_social_linkage"])
    joins = here & took & (u_conv < conversion) & ~vol0
    # the rule
    P.consult(q, m.ties.indptr, m.ties.indices, r.community, r.present, r.age_group, r.digital, r.activist, r.migrant,
              r.stake, r.propensity, r.efficacy, r.trust, r.contacted, r.participated, r.p_participate, r.side,
              r.volunteer, com.present, com.volunteers, com.consulted, com.implemented, com.elite_won, u_agenda,
              u_part, u_side, u_conv, u_impl, costs, boost, size_effect)
    assert np.allclose(r.p_participate, prob, rtol=0, atol=1e-12)
    assert np.array_equal(r.participated, took) and np.array_equal(r.side, side)
    assert com.consulted.all() and np.array_equal(com.implemented, implemented)
    assert np.array_equal(com.elite_won, elite_won)
    assert np.allclose(r.efficacy, eff, rtol=0, atol=1e-12) and np.allclose(r.trust, trust, rtol=0, atol=1e-12)
    assert np.array_equal(r.volunteer, vol0 | joins)
    assert np.array_equal(com.volunteers, comvol0 + np.bincount(c, weights=joins, minlength=C).astype(np.int64))
    assert took.any() and (here & ~took).any() and (~here).any() and implemented.any() != implemented.all()


def test_voting_follows_the_turnout_rule_and_registration():
    """docs/ODD.md §7.5, an election: a resident votes with logistic(``vote_base`` +
    ``vote_mobilisation`` + β_ε ε + β_τ τ − c_age + u + b · backbone − β_size log(N_c / N_ref));
    one without local registration votes only when her uniform falls below
    ``migrant_vote_access``; residents away do not vote."""
    m = _resident_state(urban_share=1.0, vote_base=-0.5, vote_mobilisation=1.5, migrant_vote_access=0.4)
    p, q, r, com = m.p, m.par[0], m.residents, m.communities
    rng = np.random.default_rng(31)
    u_vote, u_access = rng.random(r.n).astype(U), rng.random(r.n).astype(U)
    costs = np.array([p["cost_youth"], p["cost_middle"], p["cost_elderly"]])
    size = p["size_effect"] * np.log(np.maximum(com.present, 1) / p["size_reference"])
    x = (p["vote_base"] + p["vote_mobilisation"] + p["beta_efficacy"] * r.efficacy + p["beta_trust"] * r.trust
         - costs[r.age_group] + r.propensity - size[r.community] + p["activist_boost"] * r.activist)
    expected = r.present & (~r.migrant | (u_access < 0.4)) & (u_vote < expit(x))
    voted = np.zeros(r.n, bool)
    P.vote(q, r.community, r.present, r.age_group, r.activist, r.migrant, r.propensity, r.efficacy, r.trust, u_vote,
           u_access, voted, costs, p["activist_boost"], com.present, p["size_effect"])
    assert np.array_equal(voted, expected)
    assert (voted & r.migrant).any() and (expected != (r.present & (u_vote < expit(x)))).any()


def test_attitudes_follow_service_visits_and_expectations():
    """docs/ODD.md §7.4, one month for residents with varied quality, visits, volunteering and
    participation: σ ← σ + κ_σ (σ* − σ) with σ* = clip((1 − w_f)((1 − w_d) q + w_d clip(½ + q −
    x)) + w_f · standard met + visit bonus + disposition); x ← x + rate (q − x); τ ← clip(τ + κ_τ
    (σ − τ) + visit gain (1 − τ)); β ← β + κ_β (½ τ + ¼ volunteer + ¼ took part − β)."""
    rng = np.random.default_rng(37)
    n = 500
    com = rng.integers(0, 3, n).astype(np.int32)
    present = rng.random(n) < 0.9
    qual, sat, exp_, tru, bel = (rng.random(n) for _ in range(5))
    contacted, volunteer, took = (rng.random(n) < 0.3 for _ in range(3))
    facility = np.array([1.0, 0.0, 1.0])
    disp = rng.normal(0, 0.1, n)
    wf, wd, cs, ks, er, kt, ct, kb = 0.2, 0.6, 0.07, 0.3, 0.15, 0.1, 0.05, 0.2
    target = (1 - wf) * ((1 - wd) * qual + wd * np.clip(0.5 + qual - exp_, 0, 1)) + wf * facility[com] + cs * contacted
    target = np.clip(target + disp, 0, 1)
    s2 = sat + ks * (target - sat)
    x2 = exp_ + er * (qual - exp_)
    t2 = tru + kt * (s2 - tru)
    t2 = np.clip(t2 + ct * contacted * (1 - t2), 0, 1)
    b2 = bel + kb * (0.5 * t2 + 0.25 * volunteer + 0.25 * took - bel)
    keep = ~present
    want = [np.where(keep, a, b) for a, b in ((sat, s2), (exp_, x2), (tru, t2), (bel, b2))]
    arrays = [a.copy() for a in (sat, exp_, tru, bel)]
    P.attitudes(com, present, qual, contacted, volunteer, took, facility, disp, *arrays, wf, wd, cs, ks, er, kt, ct, kb,
                *T.BELONGING_MIX)
    for got, w in zip(arrays, want, strict=True):
        assert np.allclose(got, w, rtol=0, atol=1e-12)


def test_outmigration_takes_residents_and_their_counts_away():
    """docs/ODD.md §7.5: a rural resident leaves with probability rate / 12 (three times that
    when young), urban residents stay; those who leave take their needs and volunteering out of
    their community's counts, and residents and households present are recounted."""
    m = _resident_state(urban_share=0.34, outmigration_rate=0.5)
    q, r, com = m.par[0], m.residents, m.communities
    u = np.random.default_rng(41).random(r.n).astype(U)
    rate = np.where(r.age_group == T.YOUTH, 0.5 / 12 * T.YOUTH_MIGRATION_FACTOR, 0.5 / 12)
    stays = r.present & (com.urban[r.community] | (u >= rate))
    leaving = r.present & ~stays
    needs0, vol0 = com.needs.copy(), com.volunteers.copy()
    vol_res, part0 = r.volunteer.copy(), r.participated.copy()
    P.migrate(q, r.community, r.household, r.age_group, r.present, r.participated, r.volunteer, r.needs,
              com.urban, com.present, com.needs, com.volunteers, com.households, u)
    assert leaving.any() and not leaving[com.urban[r.community]].any()
    assert np.array_equal(r.present, stays)
    assert np.array_equal(r.participated, part0 & stays) and np.array_equal(r.volunteer, vol_res & stays)
    C = com.n
    assert np.array_equal(com.present, np.bincount(r.community[stays], minlength=C))
    hh = np.array([len(np.unique(r.household[stays & (r.community == c)])) for c in range(C)])
    assert np.array_equal(com.households, hh)
    lost = np.zeros_like(needs0)
    np.add.at(lost, r.community[leaving], r.needs[leaving].astype(np.int64))
    assert np.array_equal(com.needs, needs0 - lost)
    assert np.array_equal(com.volunteers, vol0 - np.bincount(r.community[leaving], weights=vol_res[leaving],
                                                             minlength=C).astype(np.int64))


# ============================================================================ services
SERVICE_CASES = [
    {},
    dict(mech_burnout_productivity=False, mech_merger_scale=False, four_social_linkage=1.0, need_hours=2.0),
    dict(burnout_productivity=0.9, merger_scale_gain=0.5, so_hours_per_yuan=0.05, hours_per_visit=0.2,
         activity_hours_per_yuan=0.05, volunteer_hours=12.0),
]


@pytest.mark.parametrize("params", SERVICE_CASES, ids=lambda p: ",".join(p) or "defaults")
def test_services_follow_supply_demand_visits_and_access(params):
    """docs/ODD.md §7.3, one month in a merged, lived-in world: grid visits (the grid worker's
    contact hours and the grid's share of the other cadres'), cadre supply (skill × (1 −
    ``burnout_productivity`` · burnout) × (1 + ``merger_scale_gain`` · log₂ units)),
    organisations' hours (funds at ``so_hours_per_yuan`` up to their staff's hours, shared by
    recent payments), volunteers (× 1 + ``linkage_volunteer_hours`` · linkage) and activity
    funds; coverage = min(1, supply / demand) by type; each need met when its uniform is below
    coverage × access; quality and community coverage from what was met."""
    m = _resident_state(**{"merge_rate": 0.5, "communities_per_street": 4, "so_per_community": 2.0,
                           "purchase_share": 0.4, "budget_regime": "stable", "need_hours": 5.0, **params})
    p, q, r, po, com, g = m.p, m.par[0], m.residents, m.posts, m.communities, m.grids
    org, lk = m.organisation_table, m.links
    assert (com.units > 1).any() and org.active.any()
    rng = np.random.default_rng(43)
    N, C, K = r.n, com.n, T.N_SERVICES
    n_needs = int(r.needs.sum())
    u_contact, u_need = rng.random(N).astype(U), rng.random(n_needs).astype(U)
    access = m.derived()["res_access"]
    po.burnout[:] = rng.uniform(0, 0.8, po.n)  # varied burnout, so its effect shows
    r.present[r.community == C - 1] = False  # a community nobody lives in any more: no need, fully covered
    # expected
    f = po.filled
    gw = f & (po.role == T.GRID_WORKER) & (po.grid >= 0)
    visits = np.bincount(po.grid[gw], weights=po.contact[gw] / p["hours_per_visit"], minlength=g.n)
    other = np.bincount(po.community[f & ~gw], weights=po.contact[f & ~gw] / p["hours_per_visit"], minlength=C)
    prod = po.skill.copy()
    if p["mech_burnout_productivity"]:
        prod = prod * (1 - p["burnout_productivity"] * po.burnout)
    if p["mech_merger_scale"]:
        prod = prod * (1 + p["merger_scale_gain"] * np.log2(com.units[po.community]))
    cadre = np.bincount(po.community[f], weights=((po.service - po.contact) * prod)[f], minlength=C)
    com_hh = np.bincount(g.community, weights=g.households, minlength=C)
    v = visits + other[g.community] * g.households / np.where(com_hh[g.community] > 0, com_hh[g.community], 1)
    p_contact = np.where(g.households > 0, np.minimum(1.0, v / np.maximum(g.households, 1)), 0.0)
    funds0 = org.funds.copy()
    used = lk.community >= 0
    wsum = np.bincount(lk.org[used], weights=lk.paid[used] + 1, minlength=org.n)
    runs = org.active & (wsum > 0) & (p["so_hours_per_yuan"] > 0)
    hours = np.where(runs, np.minimum(org.staff * p["org_staff_hours"], np.maximum(funds0, 0) * p["so_hours_per_yuan"]),
                     0.0)
    so = np.bincount(lk.community[used], weights=(hours[lk.org] * (lk.paid + 1) / np.maximum(wsum[lk.org], 1e-300))[used],
                     minlength=C)
    vol_hours = p["volunteer_hours"] * (1 + p["linkage_volunteer_hours"] * p["four_social_linkage"])
    demand = com.needs * p["need_hours"]
    dsum = demand.sum(axis=1, keepdims=True)
    supply = (cadre[:, None] * T.CADRE_SERVICE_MIX + so[:, None] * T.SO_SERVICE_MIX
              + com.volunteers[:, None] * vol_hours * T.VOLUNTEER_SERVICE_MIX
              + com.activity_spend[:, None] * p["activity_hours_per_yuan"] * demand / np.where(dsum > 0, dsum, 1))
    coverage = np.where(demand > 0, np.minimum(1.0, supply / np.where(demand > 0, demand, 1)), 1.0)
    here = r.present
    contacted = here & (u_contact < p_contact[r.grid])
    index = np.cumsum(r.needs.ravel()).reshape(r.needs.shape) - 1  # each need's uniform, in resident order
    hit = r.needs & here[:, None] & (u_need[np.maximum(index, 0)] < coverage[r.community] * access[:, None])
    met, n = hit.sum(axis=1), (r.needs & here[:, None]).sum(axis=1)
    quality = np.where(here, np.where(n > 0, met / np.maximum(n, 1), coverage.mean(axis=1)[r.community]), r.quality)
    met_c = np.bincount(r.community, weights=met, minlength=C)
    n_c = np.bincount(r.community, weights=n, minlength=C)
    # the rule
    st = np.zeros(1, P.STATS_DTYPE)
    P.deliver_services(q, st[0], r.community, r.grid, r.present, r.needs, access, u_contact, u_need, r.contacted,
                       r.quality, com.needs, com.volunteers, po.community, po.role, po.grid, po.filled, po.skill,
                       po.burnout, po.service, po.contact, com.units, com.activity_spend, com.coverage, g.community,
                       g.households, org.staff, org.funds, org.active, org.hours, lk.org, lk.community, lk.paid)
    assert np.array_equal(r.contacted, contacted) and contacted.any()
    assert np.allclose(r.quality, quality, rtol=0, atol=1e-12)
    assert np.allclose(com.coverage, np.where(n_c > 0, met_c / np.maximum(n_c, 1), 1.0), rtol=0, atol=1e-12)
    assert np.array_equal(st[0]["met"], hit.sum(axis=0)) and np.array_equal(st[0]["need"], (r.needs & here[:, None]).sum(axis=0))
    assert st[0]["cadre_hours"] == pytest.approx(cadre.sum()) and st[0]["org_hours"] == pytest.approx(hours.sum())
    assert np.allclose(org.hours, hours) and np.allclose(org.funds, funds0 - hours / p["so_hours_per_yuan"])
    assert 0 < coverage.min() < 1  # services are short somewhere, so supply matters


# ============================================================================ organisations, drop-out
def _org_table(n_slots):
    return dict(kind=np.zeros(n_slots, np.int8), staff=np.zeros(n_slots, np.int32), funds=np.zeros(n_slots),
                broke=np.zeros(n_slots, np.int32), hours=np.zeros(n_slots), active=np.zeros(n_slots, bool),
                serial=np.full(n_slots, -1, np.int64), link_org=np.repeat(np.arange(n_slots, dtype=np.int32), 2),
                link_com=np.full(2 * n_slots, -1, np.int32), paid=np.zeros(2 * n_slots))


def test_organisations_fold_when_broke_and_enter_where_money_goes_unspent():
    """docs/ODD.md §7.7: an organisation without money (< 1 yuan) for ``org_fold_months``
    folds and loses its ties; recent payments halve; in each street a new organisation enters
    with probability 1 − exp(−unmet purchase money / ``org_entry_scale``) + ``linkage_org_entry``
    · linkage, at the community with the most unmet money (at the n-th of the street by its
    uniform when none is unmet), in the first free slot, with kind, staff and a second
    community of the street from its uniforms; it gets the next serial number."""
    q = record(org_fold_months=3, org_entry_scale=1000.0, linkage_org_entry=0.5, four_social_linkage=1.0,
               org_entry_funds=777.0)
    street = np.array([0, 0, 0, 1, 2, 2], np.int32)
    purchase = np.array([100.0, 900.0, 300.0, 0.0, 0.0, 50.0])
    paid = np.array([100.0, 0.0, 0.0, 0.0, 0.0, 50.0])  # community 1 and 2 found no provider
    o = _org_table(6)
    o["active"][:3] = True
    o["funds"][:3] = [0.5, 5.0, 0.0]
    o["broke"][:3] = [2, 2, 0]
    o["serial"][:3] = [0, 1, 2]
    o["link_com"][:6] = [0, 1, 2, 0, 5, 3]
    o["paid"][:6] = [8.0, 4.0, 2.0, 3.0, 6.0, 1.0]
    o["hours"][:] = 5.0
    counters = np.array([0, 3], np.int64)
    u = np.zeros((6, 3), U)
    u[0] = [0.5, 0.9, 0.3]  # entry draws of streets 0, 1, 2
    u[1] = [0.0, 0.0, 0.99]  # which community when nothing is unmet
    u[2] = [0.7, 0.2, 0.0]  # kind
    u[3] = [0.99, 0.0, 0.5]  # staff
    u[4] = [0.1, 0.9, 0.1]  # a second community?
    u[5] = [0.0, 0.0, 0.0]  # which
    P.organisation_turnover(q, street, purchase, paid, o["kind"], o["staff"], o["funds"], o["broke"], o["hours"],
                            o["active"], o["serial"], o["link_org"], o["link_com"], o["paid"], counters, u)
    # slot 0 was broke for 2 months and is broke again: 3 months, it folds, and its slot and ties
    # go to the first newcomer (below)
    # slot 1 has money: its count restarts; slot 2 is broke for its first month
    assert list(o["broke"][1:3]) == [0, 1] and o["active"][1:3].all()
    # street 0: unmet 1,100 → p = 1 − e^−1.1 + 0.5 > 1 > 0.5: enters at community 1 (most unmet), in slot 0
    # street 1: nothing unmet → p = 0.5 < 0.9: none; street 2: nothing unmet → p = 0.5 > 0.3: enters at its
    # second community (u = 0.99 of two), tied also to its first (u = 0.1 < ½, u = 0 → the first)
    assert o["active"][0] and o["serial"][0] == 3 and o["link_com"][0] == 1 and o["funds"][0] == 777.0
    assert o["kind"][0] == int(0.7 * T.N_ORG_KINDS) and o["staff"][0] == T.ORG_STAFF[1] - 1
    assert o["link_com"][1] == 0 and o["paid"][0] == o["paid"][1] == 0.0  # u[4] = 0.1 < ½: the street's first
    assert o["active"][3] and o["serial"][3] == 4 and o["link_com"][6] == 5 and o["link_com"][7] == 4
    assert o["kind"][3] == 0 and o["staff"][3] == T.ORG_STAFF[0] + int(0.5 * (T.ORG_STAFF[1] - T.ORG_STAFF[0]))
    assert counters[1] == 5 and not o["active"][4:].any()
    assert np.allclose(o["paid"][2:6], np.array([2.0, 3.0, 6.0, 1.0]) * T.PAID_DECAY)  # others' ties only decay
    assert o["hours"][0] == o["hours"][3] == 0.0 and (o["hours"][[1, 2, 4, 5]] == 5.0).all()  # newcomers start idle


def test_an_organisation_folding_in_any_slot_loses_both_its_ties():
    """docs/ODD.md §7.7: an organisation broke for ``org_fold_months`` folds and both its ties
    go — whichever slot it holds; the ties of the others stay (and decay)."""
    q = record(org_fold_months=2, org_entry_scale=1e6, linkage_org_entry=0.0, four_social_linkage=0.0)
    street = np.array([0, 0, 0], np.int32)
    for folding in (0, 1, 2, 3):
        o = _org_table(4)
        o["active"][:] = True
        o["funds"][:] = 50.0
        o["funds"][folding] = 0.0
        o["broke"][folding] = 1
        o["serial"][:] = np.arange(4)
        o["link_com"][:] = [0, 1, 1, 2, 2, 0, 0, 1]
        o["paid"][:] = 4.0
        u = np.full((6, 1), 0.99, U)  # no newcomer
        P.organisation_turnover(q, street, np.zeros(3), np.zeros(3), o["kind"], o["staff"], o["funds"], o["broke"],
                                o["hours"], o["active"], o["serial"], o["link_org"], o["link_com"], o["paid"],
                                np.array([0, 4], np.int64), u)
        gone = [2 * folding, 2 * folding + 1]
        kept = [j for j in range(8) if j not in gone]
        assert not o["active"][folding] and o["active"].sum() == 3
        assert (o["link_com"][gone] == -1).all() and (o["paid"][gone] == 0.0).all(), folding
        assert (o["link_com"][kept] >= 0).all() and np.allclose(o["paid"][kept], 4.0 * T.PAID_DECAY)


def test_a_newcomers_second_community_is_any_other_of_its_street_never_its_own():
    """docs/ODD.md §7.7: with probability ½ a newcomer also serves the community of its street
    that its uniform picks — before or after its own in order — and none when the pick is its own."""
    street = np.array([0, 0, 0, 0, 1], np.int32)
    for c, which, second in ((1, 0.9, 3), (1, 0.0, 0), (2, 0.6, -1), (0, 0.3, 1), (4, 0.5, -1)):
        o = _org_table(1)
        counters = np.array([0, 0], np.int64)
        u = np.array([0.0, 0.0, 0.1, which], U)  # kind, staff, a second community (0.1 < ½), which
        slot = P.found_org(c, u, 100.0, street, o["kind"], o["staff"], o["funds"], o["broke"], o["hours"],
                           o["active"], o["serial"], o["link_com"], o["paid"], counters)
        assert slot == 0 and o["link_com"][0] == c
        assert o["link_com"][1] == second, (c, which, o["link_com"][1])


def test_a_newcomer_enters_the_first_of_the_communities_tied_for_the_most_unmet_money():
    """docs/ODD.md §7.7: with two communities of a street equally short of providers, the
    newcomer goes to the first of them in order (not the last), whatever the third's money."""
    q = record(org_entry_scale=100.0, linkage_org_entry=0.0, four_social_linkage=0.0)
    street = np.array([0, 0, 0], np.int32)
    for purchase, paid, first in (([90.0, 500.0, 500.0], [0.0, 0.0, 0.0], 1),
                                  ([500.0, 500.0, 90.0], [0.0, 0.0, 0.0], 0),
                                  ([700.0, 300.0, 500.0], [200.0, 0.0, 0.0], 0)):
        o = _org_table(2)
        counters = np.array([0, 0], np.int64)
        u = np.zeros((6, 1), U)  # enters (u[0] = 0 < p), no second community (u[4] = 0.99)
        u[4] = 0.99
        P.organisation_turnover(q, street, np.array(purchase), np.array(paid), o["kind"], o["staff"], o["funds"],
                                o["broke"], o["hours"], o["active"], o["serial"], o["link_org"], o["link_com"],
                                o["paid"], counters, u)
        assert o["active"][0] and not o["active"][1]
        assert o["link_com"][0] == first, (purchase, paid, o["link_com"][0])


def test_volunteers_drop_out_at_their_rate_and_nothing_else_moves_outside_consultations():
    """docs/ODD.md §7.5: a volunteer stops when her uniform is below ``volunteer_dropout``, and
    her community's count follows; in a month without consultation, election or out-migration
    nobody's participation, vote or presence changes and no community is marked consulted."""
    m = _resident_state(volunteer_dropout=0.3, mech_outmigration=False)
    r, com = m.residents, m.communities
    q = m.par[0]
    rng = np.random.default_rng(47)
    u_drop = rng.random(r.n).astype(U)
    vol0, part0, voted0, present0 = r.volunteer.copy(), r.participated.copy(), r.voted.copy(), r.present.copy()
    comvol0 = com.volunteers.copy()
    com.consulted[:] = True
    dropped = vol0 & (u_drop < 0.3)
    P.update_participation(q, False, False, m.ties.indptr, m.ties.indices, r.community, r.household, r.age_group,
                           r.present, r.migrant, r.activist, r.digital, r.stake, r.propensity, r.needs, r.efficacy,
                           r.trust, r.contacted, r.participated, r.p_participate, r.side, r.voted, r.volunteer,
                           com.urban, com.present, com.needs, com.volunteers, com.households, com.consulted,
                           com.implemented, com.elite_won, u_drop, np.zeros((3, 0), U), np.zeros((2, 0), U),
                           np.zeros((2, 0), U), np.zeros(r.n, U))
    assert dropped.any() and (vol0 & ~dropped).any()
    assert np.array_equal(r.volunteer, vol0 & ~dropped)
    assert np.array_equal(com.volunteers, comvol0 - np.bincount(r.community[dropped], minlength=com.n))
    assert np.array_equal(r.participated, part0) and np.array_equal(r.voted, voted0)
    assert np.array_equal(r.present, present0) and not com.consulted.any()


ADMIN_CASES = [
    {},
    dict(mech_household_tasks=False, mech_assessment=False, mech_platforms=False, mech_list_leakage=False),
    dict(task_hours=6.0, info_saving=0.5, informatisation=0.8, trace_hours=2.0, assessment_pressure=0.5,
         inspections=9.0, inspection_hours=5.0, n_platforms=33, platform_hours=1.5, list_compliance=0.2),
]


@pytest.mark.parametrize("params", ADMIN_CASES, ids=lambda p: ",".join(p) or "defaults")
def test_admin_tasks_follow_arrivals_the_list_leakage_and_the_hours_of_each_type(params):
    """docs/ODD.md §7.1 for each community, from its four uniforms: arrivals by inversion of
    Poisson(``tasks_fixed`` + ``tasks_per_household`` · households (the reference village's
    with ``mech_household_tasks`` off)), passed ~ Binomial(arrived, 1 − α), re-entered ~
    Binomial(barred, 1 − ``list_compliance``) (none with ``mech_list_leakage`` off),
    inspections ~ Poisson(``inspections``) (none with ``mech_assessment`` off); hours of type k =
    tasks · share_k · (h · time_k + trace) (+ inspections on meetings, platforms on reporting)."""
    from model.parameters import resolve as _resolve

    p = _resolve(params)
    q = P.param_record(p)[0]
    rng = np.random.default_rng(59)
    C = 40
    households = rng.integers(20, 3000, C).astype(np.int64)
    access_list = rng.choice([0.0, 0.3, 0.9], C)
    u = rng.random((4, C)).astype(U)
    tasks, reentered, hours = np.zeros(C), np.zeros(C), np.zeros(C)
    by_type = np.zeros((C, T.N_TASK_TYPES))
    P.assign_admin_tasks(q, households, access_list, u, tasks, reentered, hours, by_type)
    h = p["task_hours"] * (1 - p["info_saving"] * p["informatisation"])
    trace = p["trace_hours"] * p["assessment_pressure"] if p["mech_assessment"] else 0.0
    compliance = p["list_compliance"] if p["mech_list_leakage"] else 1.0
    platforms = p["n_platforms"] * p["platform_hours"] if p["mech_platforms"] else 0.0
    for c in range(C):
        hh = households[c] if p["mech_household_tasks"] else T.REFERENCE_HOUSEHOLDS
        arrived = P.poisson_inv(p["tasks_fixed"] + p["tasks_per_household"] * hh, u[0, c])
        passed = P.binomial_inv(arrived, 1 - access_list[c], u[1, c])
        back = P.binomial_inv(arrived - passed, 1 - compliance, u[2, c])
        insp = P.poisson_inv(p["inspections"], u[3, c]) if p["mech_assessment"] else 0
        n = passed + back
        want = n * T.TASK_SHARE * (h * T.TASK_TIME + trace)
        want[T.MEETINGS] += insp * p["inspection_hours"]
        want[T.REPORTING] += platforms
        assert tasks[c] == n and reentered[c] == back, c
        assert np.allclose(by_type[c], want) and hours[c] == pytest.approx(want.sum()), c
    assert (reentered > 0).any() == bool(p["mech_list_leakage"])
