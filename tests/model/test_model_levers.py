"""Every policy lever, budget regime and mechanism switch of the registry has a behaviour test:
``LEVER_TESTS`` names them, and ``test_every_lever_regime_and_switch_has_a_named_behaviour_test``
checks the map against the registry both ways (every lever, regime and switch has a test that
exists and exercises it; nothing in the map is not in the registry).

The tests here run the whole model on small worlds and check each lever's direction and, where
the rules give it, its size — paired runs on common random numbers, so a lever's effect is the
difference between two runs that share every draw. The rules themselves are checked against
their formulas in ``test_model_rules.py``; the switches in ``test_model_mechanisms.py``."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from model import tables as T
from model.model import GovernanceModel
from model.parameters import REGISTRY, names
from model.run import simulate

HERE = Path(__file__).resolve().parent
SMALL = dict(communities_per_street=3, residents_per_community=300, burn_in=12)
PAY = {"pay_secretary": T.SECRETARY, "pay_director": T.DIRECTOR, "pay_deputy": T.DEPUTY, "pay_member": T.MEMBER,
       "pay_staff": T.STAFF, "pay_grid_worker": T.GRID_WORKER}

R = "test_model_rules.py::"
M = "test_model_mechanisms.py::"
L = "test_model_levers.py::"
A = "test_model_analytic.py::"
C = "test_model_core.py::"
V = "../patterns/test_verification.py::"

#: lever, regime (``budget_regime=<choice>``) or switch → the tests of its behaviour
LEVER_TESTS: dict[str, tuple[str, ...]] = {
    **{name: (L + "test_pay_levers_raise_their_roles_pay_and_the_wage_bill_by_their_size",)
       for name in (*PAY, "pay_topup")},
    "social_insurance": (L + "test_social_insurance_adds_the_employer_share_to_project_posts",),
    "parttime_committee": (L + "test_parttime_committee_sets_the_share_of_rural_deputies_and_members_part_time",
                           M + "test_parttime_members_work_fewer_hours_and_earn_outside"),
    "establishment_rate": (L + "test_establishment_and_the_grade_ladder_raise_pay_and_keep_workers",
                           R + "test_careers_convert_eligible_workers_at_the_establishment_rate_and_climb_the_ladder"),
    "promotion_ladder": (L + "test_establishment_and_the_grade_ladder_raise_pay_and_keep_workers",
                         R + "test_careers_convert_eligible_workers_at_the_establishment_rate_and_climb_the_ladder",
                         R + "test_separations_follow_the_quit_hazard_burnout_retirement_and_rotation"),
    "budget_regime=project": (L + "test_project_regime_loses_the_fragmentation_share_of_lumpy_grants",
                              R + "test_budget_regimes_pay_what_the_formulas_say",
                              R + "test_the_regimes_differ_where_the_formulas_say_they_do"),
    "budget_regime=stable": (L + "test_stable_regime_loses_nothing_and_lays_nobody_off",
                             R + "test_budget_regimes_pay_what_the_formulas_say",
                             R + "test_the_regimes_differ_where_the_formulas_say_they_do"),
    "budget_regime=reward": (L + "test_reward_regime_pays_the_reward_where_the_standard_is_met",
                             R + "test_budget_regimes_pay_what_the_formulas_say",
                             R + "test_the_regimes_differ_where_the_formulas_say_they_do"),
    "activity_budget": (L + "test_activity_budget_raises_spending_and_service",
                        R + "test_budget_regimes_pay_what_the_formulas_say"),
    "pooled_funds": (L + "test_pooling_and_fund_authority_cut_the_fragmentation_loss_by_their_share",
                     R + "test_the_regimes_differ_where_the_formulas_say_they_do"),
    "fund_authority": (L + "test_pooling_and_fund_authority_cut_the_fragmentation_loss_by_their_share",
                       L + "test_approval_delay_holds_money_back_for_its_months"),
    "approval_delay": (L + "test_approval_delay_holds_money_back_for_its_months",
                       R + "test_budget_regimes_pay_what_the_formulas_say"),
    "reward_threshold": (L + "test_reward_regime_pays_the_reward_where_the_standard_is_met",
                         R + "test_the_regimes_differ_where_the_formulas_say_they_do"),
    "reward_share": (L + "test_reward_regime_pays_the_reward_where_the_standard_is_met",
                     R + "test_budget_regimes_pay_what_the_formulas_say"),
    "purchase_share": (L + "test_purchase_share_buys_services_from_organisations",
                       R + "test_purchase_money_goes_to_the_organisations_tied_to_the_community"),
    "donation_drive": (L + "test_donations_follow_the_drive_residents_and_belonging",
                       R + "test_budget_regimes_pay_what_the_formulas_say"),
    "task_access_list": (A + "test_tasks_reaching_communities_follow_the_leaky_list",
                         V + "test_a_leaky_task_list_cuts_push_down_by_its_share_times_compliance"),
    "assessment_pressure": (A + "test_admin_hours_follow_the_task_formula",
                            M + "test_assessment_adds_trace_documentation_and_inspections"),
    "inspections": (L + "test_inspections_arrive_at_their_rate",
                    M + "test_assessment_adds_trace_documentation_and_inspections"),
    "decision_authority": (L + "test_decision_authority_is_the_chance_an_outcome_is_implemented",
                           A + "test_efficacy_settles_at_the_consultation_fixed_point",
                           V + "test_token_consultation_drives_efficacy_and_participation_down_to_the_fixed_point"),
    "personnel_authority": (L + "test_personnel_authority_fills_more_vacancies",
                            R + "test_hiring_fills_vacancies_by_dispatch_election_graduates_and_applicants"),
    "dispatch_share": (L + "test_dispatch_share_sets_how_many_leaders_are_dispatched",
                       R + "test_hiring_fills_vacancies_by_dispatch_election_graduates_and_applicants"),
    "first_secretary": (L + "test_first_secretaries_come_to_rural_communities_off_budget",),
    "graduate_recruitment": (L + "test_graduate_recruitment_brings_graduates_into_staff_posts",
                             R + "test_hiring_fills_vacancies_by_dispatch_election_graduates_and_applicants"),
    "term_length": (M + "test_elections_happen_every_term_and_concentrate_turnover",),
    "merge_rate": (C + "test_merger_restructures_posts_and_keeps_agents_consistent",
                   L + "test_merged_committee_posts_set_the_committees_of_merged_communities"),
    "merged_committee_posts": (L + "test_merged_committee_posts_set_the_committees_of_merged_communities",),
    "grid_households": (C + "test_grid_size_lever_changes_the_number_of_grid_workers",
                        V + "test_grids_split_households_evenly_with_one_worker_each"),
    "informatisation": (A + "test_admin_hours_follow_the_task_formula",
                        L + "test_informatisation_saves_task_time"),
    "n_platforms": (A + "test_admin_hours_follow_the_task_formula",
                    M + "test_platforms_add_data_entry_that_grows_with_their_number"),
    "digital_channels": (A + "test_participation_without_influence_is_logistic_in_the_intercept",
                         L + "test_digital_channels_cut_the_cost_of_residents_with_digital_access"),
    "four_social_linkage": (L + "test_four_social_linkage_raises_volunteering_and_organisations",),
    "consultation_interval": (L + "test_consultations_are_held_every_interval",),
    "disclosure": (L + "test_disclosure_teaches_non_participants_and_cuts_elite_weight",
                   M + "test_elite_capture_tilts_outcomes_toward_backbones_and_high_stake_residents"),
    # mechanism switches
    "mech_household_tasks": (M + "test_household_tasks_scale_tasks_with_the_community_size",),
    "mech_assessment": (M + "test_assessment_adds_trace_documentation_and_inspections",),
    "mech_list_leakage": (M + "test_list_leakage_lets_barred_tasks_re_enter",),
    "mech_platforms": (M + "test_platforms_add_data_entry_that_grows_with_their_number",),
    "mech_task_roles": (M + "test_task_roles_give_grid_workers_the_data_collection",),
    "mech_elections": (M + "test_elections_happen_every_term_and_concentrate_turnover",),
    "mech_parttime": (M + "test_parttime_members_work_fewer_hours_and_earn_outside",
                      R + "test_separations_follow_the_quit_hazard_burnout_retirement_and_rotation"),
    "mech_burnout_productivity": (M + "test_burnout_lowers_service_productivity",),
    "mech_capital_retention": (M + "test_social_capital_keeps_cadres",),
    "mech_thresholds": (M + "test_thresholds_make_participation_persistent",),
    "mech_homophily": (M + "test_homophily_ties_residents_of_the_same_age",),
    "mech_activists": (M + "test_backbones_are_over_represented_among_participants",),
    "mech_migrants": (M + "test_residents_without_registration_take_part_less",),
    "mech_group_size": (M + "test_larger_communities_take_part_less_through_free_riding",),
    "mech_elite_capture": (M + "test_elite_capture_tilts_outcomes_toward_backbones_and_high_stake_residents",),
    "mech_expectations": (M + "test_expectations_take_back_part_of_a_service_gain",),
    "mech_outmigration": (M + "test_outmigration_empties_rural_communities_only",),
    "mech_merger_scale": (M + "test_merger_scale_gains_raise_service_after_a_merger",),
    "mech_merger_ties": (M + "test_merger_ties_loss_lowers_belonging",),
}


def _registry_keys() -> set[str]:
    keys = set()
    for name in names("policy") + names("mechanism"):
        p = REGISTRY[name]
        keys |= {f"{name}={c}" for c in p.choices} if p.choices else {name}
    return keys


def _test_function(node_id: str) -> ast.FunctionDef | None:
    path, _, func = node_id.partition("::")
    tree = ast.parse((HERE / path).read_text(encoding="utf-8"))
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == func), None)


def test_every_lever_regime_and_switch_has_a_named_behaviour_test():
    """Both ways: every policy lever, each choice of a choice lever and every mechanism switch
    of the registry is a key of LEVER_TESTS, and every key is one of them; every test named
    exists, and its source (or its parametrisation, or the module constants it reads) names
    the lever — so the map cannot point at a test of something else."""
    expected = _registry_keys()
    assert set(LEVER_TESTS) == expected, (sorted(expected - set(LEVER_TESTS)), sorted(set(LEVER_TESTS) - expected))
    for key, tests in LEVER_TESTS.items():
        assert tests, key
        name, _, choice = key.partition("=")
        for node_id in tests:
            fn = _test_function(node_id)
            assert fn is not None, f"{key}: {node_id} does not exist"
            module = (HERE / node_id.partition("::")[0]).read_text(encoding="utf-8")
            text = ast.get_source_segment(module, fn) or ""
            # a parametrised test names its cases in a module constant; a loop over PAY names the pay levers
            for const in {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id.isupper()}:
                text += "\n" + "\n".join(ast.get_source_segment(module, stmt) or "" for stmt in ast.parse(module).body
                                         if isinstance(stmt, ast.Assign | ast.AnnAssign)
                                         and const in {t.id for t in ast.walk(stmt) if isinstance(t, ast.Name)})
            said = (f'"{choice}"' in text or f"'{choice}'" in text) if choice else name in text
            assert said, f"{key}: {node_id} does not mention {choice or name!r}"


def test_the_map_check_would_notice_a_missing_or_stray_entry():
    """The check above compares sets: dropping a lever or adding a name not in the registry
    breaks the equality it asserts."""
    keys = set(LEVER_TESTS)
    assert keys - {"pay_staff"} != _registry_keys() and keys | {"pay_chairman"} != _registry_keys()
    assert _test_function(L + "test_no_such_test") is None


# ============================================================================ pay and careers
def test_pay_levers_raise_their_roles_pay_and_the_wage_bill_by_their_size():
    """A raise of Δ yuan for one role (``pay_secretary`` … ``pay_grid_worker``; ``pay_topup``
    for every committee post) scheduled at month 2 leaves months 0-2 of the budgeted wage bill
    unchanged (a change drives the processes from the next month) and raises it from month 3
    by exactly 12 · Δ · the number of posts paid by that lever (filled or not, on budget);
    ``derived()`` gives every post its role's pay plus the top-up on committee posts."""
    levers = {**{k: 1000.0 + 10 * r for k, r in PAY.items()}, "pay_topup": 7.0}
    m = GovernanceModel(rng=1, horizon=1, **(SMALL | {"burn_in": 0}), **levers)
    role = m.posts.role
    committee = np.isin(role, T.COMMITTEE_ROLES)
    expected = np.array([levers[k] for k in PAY] + [0.0])[role] + 7.0 * committee
    assert np.array_equal(m.derived()["base_pay"], expected)
    base = simulate(SMALL, seed=2, horizon=4).timeseries["budgeted_wage_bill_annual"]
    for lever in (*PAY, "pay_topup"):
        delta = 100.0
        raised = simulate(SMALL, seed=2, horizon=4,
                          schedule=[(2, lever, REGISTRY[lever].default + delta)]).timeseries["budgeted_wage_bill_annual"]
        n = int(committee.sum()) if lever == "pay_topup" else int((role == PAY[lever]).sum())
        assert n > 0
        assert np.array_equal(raised[:3], base[:3]), lever
        assert raised[3] - base[3] == pytest.approx(12 * delta * n), lever


def test_social_insurance_adds_the_employer_share_to_project_posts():
    """With ``social_insurance`` the staff and grid-worker posts (and only they) are insured,
    and their cost rises by ``insurance_rate``: the budgeted wage bill by exactly
    12 · rate · their pay."""
    on = GovernanceModel(rng=1, horizon=1, **SMALL, social_insurance=True)
    off = GovernanceModel(rng=1, horizon=1, **SMALL)
    project = np.isin(on.posts.role, (T.STAFF, T.GRID_WORKER))
    assert np.array_equal(on.derived()["insured"], project) and not off.derived()["insured"].any()
    extra = 12 * REGISTRY["insurance_rate"].default * on.post_pay()[project].sum()
    b_on = simulate({**SMALL, "social_insurance": True}, seed=3, horizon=2).timeseries["budgeted_wage_bill_annual"]
    b_off = simulate(SMALL, seed=3, horizon=2).timeseries["budgeted_wage_bill_annual"]
    assert b_on[1] - b_off[1] == pytest.approx(extra)


def test_parttime_committee_sets_the_share_of_rural_deputies_and_members_part_time():
    """In each rural community round(``parttime_committee`` × its deputy and member posts) are
    part-time at ``parttime_hours``; urban communities and other roles have none; a scheduled
    change resets them at its month."""
    params = dict(communities_per_street=4, urban_share=0.5, residents_per_community=300, burn_in=0)
    for share in (0.0, 0.3, 0.6, 1.0):
        m = GovernanceModel(rng=4, horizon=1, parttime_committee=share, **params)
        po, com = m.posts, m.communities
        eligible = np.isin(po.role, (T.DEPUTY, T.MEMBER)) & ~com.urban[po.community]
        for c in range(com.n):
            k = int((eligible & (po.community == c)).sum())
            assert po.parttime[po.community == c].sum() == int(np.floor(share * k + 0.5)), (share, c)
        assert not po.parttime[~eligible].any()
        assert np.array_equal(po.hours, np.where(po.parttime, REGISTRY["parttime_hours"].default,
                                                 REGISTRY["cadre_hours"].default))
    m = GovernanceModel(rng=4, horizon=3, parttime_committee=0.0, schedule=[(1, "parttime_committee", 1.0)], **params)
    m.step()
    assert m.posts.parttime.sum() == (np.isin(m.posts.role, (T.DEPUTY, T.MEMBER))
                                      & ~m.communities.urban[m.posts.community]).sum() > 0


def test_establishment_and_the_grade_ladder_raise_pay_and_keep_workers():
    """``establishment_rate`` converts eligible workers month by month (none at rate 0), the
    ``promotion_ladder`` gives grades (none without it); both raise the budgeted wage bill
    (premium and grade steps) and cut quits (γ_est, γ_prom), on common random numbers."""
    world = dict(SMALL, establishment_tenure=0)
    runs = {k: [simulate({**world, **v}, seed=s, horizon=24).timeseries for s in range(3)]
            for k, v in (("off", {}), ("est", {"establishment_rate": 0.1}), ("ladder", {"promotion_ladder": True,
                                                                                      "grade_months": 6}))}
    mean = {k: {o: np.mean([t[o][1:].mean() for t in v]) for o in ("established_share", "budgeted_wage_bill_annual",
                                                                   "quit_rate_annual")} for k, v in runs.items()}
    assert mean["off"]["established_share"] == 0 and mean["ladder"]["established_share"] == 0
    assert mean["est"]["established_share"] > 0.3
    for k in ("est", "ladder"):
        assert mean[k]["budgeted_wage_bill_annual"] > mean["off"]["budgeted_wage_bill_annual"] * 1.02, k
        assert mean[k]["quit_rate_annual"] < mean["off"]["quit_rate_annual"], k
    m = GovernanceModel(rng=1, horizon=2, promotion_ladder=True, grade_months=6, **SMALL)
    assert m.posts.grade.max() > 0
    assert GovernanceModel(rng=1, horizon=2, **SMALL).posts.grade.max() == 0


# ============================================================================ budget
def _loss(params, seeds=range(3), horizon=24):
    return np.array([simulate({**SMALL, "mech_outmigration": False, **params}, seed=s, horizon=horizon)
                     .timeseries["fragmentation_loss"][1:] for s in seeds])


def test_project_regime_loses_the_fragmentation_share_of_lumpy_grants():
    """Under the project regime a community's grant (four months of staff wages and activity
    funds) arrives with probability ``project_rate`` a month and loses φ = ``fragmentation_loss``.
    The mean monthly loss is therefore rate · φ · 4 · Σ (planned project wages + activity plan);
    pooled over 3 seeds × 24 months × 3 communities (216 draws) it sits within 4 standard errors
    of that (the binomial error of the grant count; the correct model is centred on z = 0, a
    model that drops the rate or the loss is tens of errors out). Grants are lumpy: some months
    lose nothing."""
    m = GovernanceModel(rng=0, horizon=1, **SMALL, mech_outmigration=False)
    plan = m.derived()["plan_project_wages"] + REGISTRY["activity_budget"].default * m.communities.present
    phi, rate = REGISTRY["fragmentation_loss"].default, REGISTRY["project_rate"].default
    loss = _loss({"budget_regime": "project"})
    per_grant = phi * 4 * plan  # each community's loss when its grant comes
    expected = rate * per_grant.sum()
    se = np.sqrt(rate * (1 - rate) * (per_grant ** 2).sum() / loss.size)
    z = (loss.mean() - expected) / se
    assert abs(z) < 4, (loss.mean(), expected, z)
    assert (loss == 0).any() and (loss > 0).any()


def test_stable_regime_loses_nothing_and_lays_nobody_off():
    """The stable line pays every month in full: no fragmentation loss, and no post is ever
    frozen by a layoff, while the project regime's lumpy money does freeze posts when
    grants are scarce."""
    assert not _loss({"budget_regime": "stable"}).any()
    scarce = dict(SMALL, project_rate=0.05, layoff_threshold=0.5, mech_outmigration=False)
    for regime, frozen in (("stable", False), ("project", True)):
        seen = False
        for s in range(3):
            m = GovernanceModel(rng=s, horizon=24, budget_regime=regime, **scarce)
            for _ in range(24):
                m.step()
                seen |= bool(m.posts.frozen.any())
        assert seen == frozen, regime


def test_reward_regime_pays_the_reward_where_the_standard_is_met():
    """Under the reward regime the activity money is 1 − s as base plus 2s as reward when last
    month's coverage reached the threshold, losing φ · ``reward_loss_factor``. With the
    threshold at 0 every community earns it each month, so the loss is exactly
    φ · r · (1 + s) · plan every month; with ``reward_share`` 0 it is φ · r · plan, and a
    strict standard (threshold 1) earns less money than a lenient one."""
    m = GovernanceModel(rng=0, horizon=1, **SMALL, mech_outmigration=False)
    plan = REGISTRY["activity_budget"].default * m.communities.present.sum()
    phi, r = REGISTRY["fragmentation_loss"].default, REGISTRY["reward_loss_factor"].default
    for share in (0.0, 0.5, 0.75):
        loss = _loss({"budget_regime": "reward", "reward_threshold": 0.0, "reward_share": share}, seeds=[0])
        assert np.allclose(loss, phi * r * (1 + share) * plan), share
    strict = _loss({"budget_regime": "reward", "reward_threshold": 1.0})
    lenient = _loss({"budget_regime": "reward", "reward_threshold": 0.0})
    assert strict.mean() < lenient.mean() * 0.9


def test_pooling_and_fund_authority_cut_the_fragmentation_loss_by_their_share():
    """The grants are the same draws with and without the levers (common random numbers), so
    the loss is cut month by month by exactly ``pooled_loss_cut`` (pooled funds) and by
    ``authority_loss_cut`` × ``fund_authority``."""
    base = _loss({}, seeds=[1])
    assert base.sum() > 0
    pooled = _loss({"pooled_funds": True}, seeds=[1])
    assert np.allclose(pooled, base * (1 - REGISTRY["pooled_loss_cut"].default))
    half = _loss({"fund_authority": 0.5}, seeds=[1])
    assert np.allclose(half, base * (1 - REGISTRY["authority_loss_cut"].default * 0.5))


def test_approval_delay_holds_money_back_for_its_months():
    """Under the stable line a raise of the activity budget at month 12 reaches activity
    spending (spending less wages) after round(``approval_delay`` × (1 − ``fund_authority``))
    months: at month 13 without delay, at 13 + d with it. (No purchase share and no donations,
    so the account spends all it receives and the spending cap never binds.)"""
    def jump(params):
        ts = simulate({**SMALL, "budget_regime": "stable", "mech_outmigration": False, "donation_drive": 0.0,
                       "purchase_share": 0.0, "activity_budget": 20.0, **params}, seed=5, horizon=24,
                      schedule=[(12, "activity_budget", 60.0)]).timeseries
        activity = ts["spending_total"] - ts["wage_bill"]
        return 12 + int(np.argmax(np.diff(activity[12:]))) + 1

    assert jump({"approval_delay": 0}) == 13
    assert jump({"approval_delay": 4}) == 17
    assert jump({"approval_delay": 4, "fund_authority": 0.5}) == 15
    m = GovernanceModel(rng=5, horizon=1, approval_delay=5, fund_authority=0.25, **SMALL)
    assert (m.derived()["approval_delay"] == round(5 * 0.75)).all()


def test_activity_budget_raises_spending_and_service():
    """More activity money per resident is spent (up to the cap) and adds service hours, so
    coverage rises where services are short (needs of 2.5 hours a month); on common random
    numbers, in each of 3 seeds."""
    short = dict(SMALL, budget_regime="stable", need_hours=2.5)
    for s in range(3):
        lo = simulate({**short, "activity_budget": 2.0}, seed=s, horizon=12).timeseries
        hi = simulate({**short, "activity_budget": 40.0}, seed=s, horizon=12).timeseries
        assert (hi["spending_total"][1:] - hi["wage_bill"][1:]).mean() > 10 * (
            lo["spending_total"][1:] - lo["wage_bill"][1:]).mean()
        assert hi["service_coverage"][1:].mean() > lo["service_coverage"][1:].mean() + 0.02


def test_purchase_share_buys_services_from_organisations():
    """With no purchase share no money reaches organisations; with one, organisations are paid,
    more of them operate and they deliver a larger share of service hours."""
    world = dict(SMALL, budget_regime="stable", activity_budget=30.0, so_per_community=1.0)
    none = [simulate({**world, "purchase_share": 0.0}, seed=s, horizon=24).timeseries for s in range(3)]
    much = [simulate({**world, "purchase_share": 0.5}, seed=s, horizon=24).timeseries for s in range(3)]
    assert all(t["purchase_spending"].max() == 0 for t in none)
    assert all(t["purchase_spending"][1:].mean() > 0 for t in much)
    for out in ("so_service_share", "n_social_orgs"):
        assert np.mean([t[out][-6:].mean() for t in much]) > np.mean([t[out][-6:].mean() for t in none]), out


def test_donations_follow_the_drive_residents_and_belonging():
    """Donations in a month = ``donation_drive`` · ``donation_per_resident`` · Σ over residents
    present of (½ + belonging), from the state at the month's end; none without a drive."""
    for drive in (0.0, 0.4, 1.0):
        m = GovernanceModel(rng=6, horizon=3, donation_drive=drive, **SMALL)
        for _ in range(3):
            m.step()
            here = m.residents.present
            want = drive * REGISTRY["donation_per_resident"].default * (0.5 * here.sum()
                                                                       + m.residents.belonging[here].sum())
            assert m.current_outputs["donations"] == pytest.approx(want, rel=1e-12, abs=1e-9), drive


# ============================================================================ administration
def test_inspections_arrive_at_their_rate():
    """Inspections a community receives in a month ~ Poisson(``inspections``), each taking
    ``inspection_hours``: the administrative hours left after tasks and platforms, divided by
    the hours per inspection, are whole numbers whose mean over 3 communities × 40 months sits
    within 4 Poisson standard errors of the rate (z centred on 0 for the correct model); with no
    inspections there are none."""
    per_task = REGISTRY["task_hours"].default * (1 - REGISTRY["info_saving"].default
                                                * REGISTRY["informatisation"].default)
    per_task += REGISTRY["trace_hours"].default * REGISTRY["assessment_pressure"].default
    platforms = REGISTRY["n_platforms"].default * REGISTRY["platform_hours"].default
    for rate in (0.0, 3.0, 12.0):
        m = GovernanceModel(rng=7, horizon=40, inspections=rate, **SMALL)
        counts = []
        for _ in range(40):
            m.step()
            com = m.communities
            counts.append((com.admin_hours - com.tasks * per_task - platforms) / REGISTRY["inspection_hours"].default)
        k = np.concatenate(counts)
        assert np.allclose(k, np.round(k), atol=1e-6) and (np.round(k) >= 0).all()
        if rate == 0:
            assert np.round(k).max() == 0
        else:
            assert abs(k.mean() - rate) < 4 * np.sqrt(rate / k.size), (rate, k.mean())


def test_informatisation_saves_task_time():
    """Hours per task = ``task_hours`` (1 − ``info_saving`` · ``informatisation``) (+ trace):
    with the same tasks (common random numbers) full informatisation cuts the task hours by
    ``info_saving``."""
    kw = dict(rng=8, horizon=2, mech_assessment=False, mech_platforms=False, **SMALL)
    none, full = GovernanceModel(**kw, informatisation=0.0), GovernanceModel(**kw, informatisation=1.0)
    none.step()
    full.step()
    assert np.array_equal(none.communities.tasks, full.communities.tasks) and none.communities.tasks.sum() > 0
    assert np.allclose(full.communities.admin_hours, none.communities.admin_hours
                       * (1 - REGISTRY["info_saving"].default))


# ============================================================================ consultation
def test_decision_authority_is_the_chance_an_outcome_is_implemented():
    """Each community's consultation outcome is implemented with probability δ: pooled over
    8 communities × 36 monthly consultations the implemented share sits within 4 binomial
    standard errors of δ (the correct model is centred on z = 0)."""
    for delta in (0.0, 0.3, 0.8, 1.0):
        m = GovernanceModel(rng=9, horizon=36, decision_authority=delta, consultation_interval=1,
                            communities_per_street=8, residents_per_community=100, burn_in=0)
        implemented = []
        for _ in range(36):
            m.step()
            implemented.append(m.communities.implemented.copy())
        share = np.mean(implemented)
        se = np.sqrt(delta * (1 - delta) / np.size(implemented))
        assert abs(share - delta) <= 4 * se + 1e-12, (delta, share)


def test_consultations_are_held_every_interval():
    """A consultation is held in every community exactly in the months divisible by
    ``consultation_interval``; participation is renewed only then."""
    for interval in (1, 4, 5):
        m = GovernanceModel(rng=10, horizon=12, consultation_interval=interval, **SMALL)
        held = []
        for _ in range(12):
            before = m.residents.participated.copy()
            m.step()
            consulted = m.communities.consulted
            assert consulted.all() or not consulted.any()
            held.append(bool(consulted.all()))
            if not consulted.any():
                assert np.array_equal(before & m.residents.present, m.residents.participated)
        assert held == [month % interval == 0 for month in range(1, 13)], interval


def test_digital_channels_cut_the_cost_of_residents_with_digital_access():
    """With every other influence off, a resident's probability of taking part is
    logistic(β0 − c_age (1 − ``digital_cost_cut`` · ``digital_channels`` · digital)): exact for
    every resident, higher for those with digital access the wider the channels reach, and
    the same for everyone of an age group without channels."""
    params = dict(beta_efficacy=0.0, beta_trust=0.0, beta_stake=0.0, beta_network=0.0, beta_contact=0.0,
                  mech_thresholds=False, mech_activists=False, mech_migrants=False, mech_group_size=False,
                  consultation_interval=1, beta0=-1.0, cost_youth=2.0, cost_middle=1.0, cost_elderly=0.5, **SMALL)
    costs = np.array([2.0, 1.0, 0.5])
    cut = REGISTRY["digital_cost_cut"].default
    for reach in (0.0, 0.5, 1.0):
        m = GovernanceModel(rng=11, horizon=1, digital_channels=reach, **params)
        m.step()
        r = m.residents
        want = expit(-1.0 - costs[r.age_group] * (1 - cut * reach * r.digital))
        assert np.allclose(r.p_participate[r.present], want[r.present], rtol=0, atol=1e-12), reach
    assert r.digital.any() and not r.digital.all()


def test_disclosure_teaches_non_participants_and_cuts_elite_weight():
    """In a token consultation (δ = 0) a participant's efficacy falls by κ_ε ε; a non-participant
    learns nothing without disclosure and ``disclosure_learning`` as much with it — exactly,
    since nothing else moves efficacy. Disclosure's safeguards also cut elite capture (the
    mechanism test)."""
    for disclosed in (False, True):
        m = GovernanceModel(rng=12, horizon=1, decision_authority=0.0, consultation_interval=1, disclosure=disclosed,
                            **SMALL)
        before = m.residents.efficacy.copy()
        m.step()
        r = m.residents
        kappa, learn = REGISTRY["kappa_efficacy"].default, REGISTRY["disclosure_learning"].default
        took = r.participated
        rate = kappa * np.where(took, 1.0, learn if disclosed else 0.0)
        assert took.any() and (~took).any()
        assert np.allclose(r.efficacy[r.present], (before * (1 - rate))[r.present], rtol=0, atol=1e-12)


# ============================================================================ workforce
def test_personnel_authority_fills_more_vacancies():
    """Community authority over hiring raises the applicants (μ (1 + authority)), so fewer
    posts stand vacant; on common random numbers, pooled over 3 seeds."""
    vac = {pa: np.mean([simulate({**SMALL, "personnel_authority": pa, "pay_staff": 800.0}, seed=s, horizon=36)
                        .timeseries["vacancy_rate"][1:].mean() for s in range(3)]) for pa in (0.0, 1.0)}
    assert vac[1.0] < vac[0.0] - 0.01


def test_dispatch_share_sets_how_many_leaders_are_dispatched():
    """Leader vacancies go to dispatched cadres at ``dispatch_share``: the dispatched share of
    leaders after 5 years of turnover is higher, the higher the share, and none are dispatched
    at share 0 once the first dispatched leaders have rotated out."""
    world = dict(SMALL, communities_per_street=6, dispatch_term=12)
    share = {d: np.mean([simulate({**world, "dispatch_share": d}, seed=s, horizon=60)
                         .timeseries["dispatched_leader_share"][-12:].mean() for s in range(3)])
             for d in (0.0, 0.5, 1.0)}
    assert share[0.0] == 0.0 and 0.2 < share[0.5] < share[1.0] and share[1.0] > 0.8


def test_first_secretaries_come_to_rural_communities_off_budget():
    """With ``first_secretary`` every rural community has one first-secretary post, filled by
    dispatch and paid by the cadre's home unit (the wage bill does not change); a scheduled
    switch adds the posts at its month."""
    world = dict(SMALL, urban_share=0.34)
    on = GovernanceModel(rng=13, horizon=1, first_secretary=True, **world)
    fs = on.posts.role == T.FIRST_SECRETARY
    assert np.array_equal(np.sort(on.posts.community[fs]), np.flatnonzero(~on.communities.urban))
    assert fs.sum() >= 1 and on.communities.urban.any()
    assert (on.posts.origin[fs & on.posts.filled] == T.DISPATCHED).all()
    assert not on.derived()["on_budget"][fs].any()
    off = GovernanceModel(rng=13, horizon=1, **world)
    assert not (off.posts.role == T.FIRST_SECRETARY).any()
    a = simulate(world, seed=13, horizon=4, schedule=[(2, "first_secretary", True)]).timeseries
    b = simulate(world, seed=13, horizon=4).timeseries
    assert a["n_posts"][2] == b["n_posts"][2] + fs.sum() and a["n_posts"][1] == b["n_posts"][1]
    assert a["budgeted_wage_bill_annual"][3] == pytest.approx(b["budgeted_wage_bill_annual"][3], rel=1e-12)


def test_graduate_recruitment_brings_graduates_into_staff_posts():
    """Staff vacancies offered to graduates (``graduate_recruitment``) are filled by
    graduates; none come without the programme."""
    world = dict(urban_share=1.0, communities_per_street=2, residents_per_community=400, burn_in=0)
    for share, any_graduates in ((0.0, False), (1.0, True)):
        m = GovernanceModel(rng=14, horizon=36, graduate_recruitment=share, **world)
        m.run_model()
        grads = m.posts.filled & (m.posts.origin == T.GRADUATE)
        assert grads.any() == any_graduates
        assert (m.posts.role[grads] == T.STAFF).all()


def test_merged_committee_posts_set_the_committees_of_merged_communities():
    """A 70 % merger of ten communities leaves three merged ones, each with
    ``merged_committee_posts`` committee posts (whole numbers here, so no rounding)."""
    for posts in (5.0, 8.0):
        ts = simulate(dict(communities_per_street=10, residents_per_community=150, burn_in=0,
                           merged_committee_posts=posts), seed=15, horizon=3,
                      schedule=[(1, "merge_rate", 0.7)]).timeseries
        assert ts["n_communities"][0] == 10 and ts["n_communities"][1] == 3
        assert ts["committee_posts"][1] == 3 * posts


# ============================================================================ participation
def test_four_social_linkage_raises_volunteering_and_organisations():
    """Four-social linkage converts more participants into volunteers (× 1 + ``linkage_conversion``)
    and incubates organisations (``linkage_org_entry`` a month per street): paired over 3 seeds,
    more volunteers and more organisations after three years."""
    world = dict(SMALL, n_streets=3, so_per_community=0.0, purchase_share=0.0)
    out = {lk: [simulate({**world, "four_social_linkage": lk}, seed=s, horizon=36).timeseries for s in range(3)]
           for lk in (0.0, 1.0)}
    for name in ("volunteer_rate", "n_social_orgs"):
        lo = np.mean([t[name][-6:].mean() for t in out[0.0]])
        hi = np.mean([t[name][-6:].mean() for t in out[1.0]])
        assert hi > lo * 1.1 and hi > lo + 1e-9, name
