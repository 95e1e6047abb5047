"""Compiled kernels of the monthly processes.

Each kernel is the one implementation of its process's rules: a loop over residents, posts,
communities or organisations, compiled once with numba and cached on disk (``cache=True``), so
neither a run nor a fresh worker process compiles it again. The kernels take arrays and the
month's random numbers — drawn beforehand by the process from its own stream, in a number
that does not depend on any policy — and write their results into the arrays they are given.
``GovernanceModel`` (``model/model.py``) owns the state and calls them in the order of the
ODD's process overview; docs/ODD.md §7 gives their equations.

Setting ``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python (for debugging and
mutation testing).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "allocate_time", "attitudes", "budget", "deliver_org_hours", "election_results", "grid_contact", "hire",
    "monthly_hazard", "org_month_end", "outputs_posts", "outputs_residents", "participation", "pay_orgs",
    "services", "task_hours", "vote",
]

jit = njit(cache=True, nogil=True)


@jit
def logistic(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# ============================================================================ 1. admin tasks
@jit
def task_hours(tasks, inspections, n_platforms_eff, task_share, task_time, hours_per_task, trace, inspection_hours,
               platform_hours, out):
    """Administrative hours of each community by task type [C, K]: tasks split over the types
    by their shares, each type at its relative time; 'leave a trace' documentation on every
    task; inspections fall on meetings (type 2); platform data entry on reporting (type 3)."""
    C, K = out.shape
    for c in range(C):
        for k in range(K):
            out[c, k] = tasks[c] * task_share[k] * (hours_per_task * task_time[k] + trace)
        out[c, 2] += inspections[c] * inspection_hours
        out[c, 3] += n_platforms_eff * platform_hours


# ============================================================================ 2. cadre time
@jit
def allocate_time(community, role, filled, hours, admin_by_type, role_weight, full_hours, min_service, contact_share,
                  admin, service, overtime, contact):
    """Share each community's administrative hours of each type among the cadres in post, in
    proportion to their role's weight for the type and their contracted hours; what is left of
    a cadre's hours goes to services and resident contact, with a minimum of service hours
    kept by working overtime. A type no one in post carries falls on everyone in post."""
    P = len(community)
    C, K = admin_by_type.shape
    wsum = np.zeros((C, K))
    hsum = np.zeros(C)
    for i in range(P):
        if filled[i]:
            c = community[i]
            f = hours[i] / full_hours
            hsum[c] += f
            for k in range(K):
                wsum[c, k] += role_weight[k, role[i]] * f
    for i in range(P):
        if not filled[i]:
            admin[i] = 0.0
            service[i] = 0.0
            overtime[i] = 0.0
            contact[i] = 0.0
            continue
        c = community[i]
        f = hours[i] / full_hours
        a = 0.0
        for k in range(K):
            if wsum[c, k] > 0.0:
                a += admin_by_type[c, k] * role_weight[k, role[i]] * f / wsum[c, k]
            elif hsum[c] > 0.0:
                a += admin_by_type[c, k] * f / hsum[c]
        s = max(hours[i] - a, min_service * f)
        admin[i] = a
        service[i] = s
        overtime[i] = max(0.0, a + s - hours[i])
        contact[i] = s * contact_share[role[i]]


# ============================================================================ 3. services
@jit
def grid_contact(post_community, post_grid, post_role, post_filled, post_contact, grid_community, grid_households,
                 grid_role, hours_per_visit, p_contact):
    """Chance a household of each grid is visited this month: the grid worker's contact hours
    plus the grid's share (by households) of the other cadres' contact hours in the
    community, over the time a visit takes."""
    G = len(grid_community)
    C = 0
    for g in range(G):
        C = max(C, grid_community[g] + 1)
    for i in range(len(post_community)):
        C = max(C, post_community[i] + 1)
    other = np.zeros(C)
    com_hh = np.zeros(C)
    visits = np.zeros(G)
    for g in range(G):
        com_hh[grid_community[g]] += grid_households[g]
    for i in range(len(post_community)):
        if not post_filled[i]:
            continue
        if post_role[i] == grid_role and post_grid[i] >= 0:
            visits[post_grid[i]] += post_contact[i] / hours_per_visit
        else:
            other[post_community[i]] += post_contact[i] / hours_per_visit
    for g in range(G):
        c = grid_community[g]
        v = visits[g]
        if com_hh[c] > 0:
            v += other[c] * grid_households[g] / com_hh[c]
        p_contact[g] = min(1.0, v / grid_households[g]) if grid_households[g] > 0 else 0.0


@jit
def services(res_community, res_grid, res_present, res_needs, res_dist, res_volunteer, u_contact, u_need, p_contact,
             supply_cadre, supply_org, activity_spend, cadre_mix, org_mix, volunteer_mix, need_hours, volunteer_hours,
             activity_hours_per_yuan, radius_decay, contacted, quality, com_coverage, met_by_type, need_by_type):
    """Who is visited, how much of each community's demand each provider covers, and which
    needs are met: each need with probability coverage × exp(−distance / decay). Returns the
    coverage matrix [C, K]."""
    N = len(res_community)
    C = len(supply_cadre)
    K = cadre_mix.shape[0]
    needs_c = np.zeros((C, K))
    vols = np.zeros(C)
    for i in range(N):
        if not res_present[i]:
            contacted[i] = False
            continue
        c = res_community[i]
        contacted[i] = u_contact[i] < p_contact[res_grid[i]]
        for k in range(K):
            if res_needs[i, k]:
                needs_c[c, k] += 1.0
        if res_volunteer[i]:
            vols[c] += 1.0
    coverage = np.ones((C, K))
    for c in range(C):
        dsum = 0.0
        for k in range(K):
            dsum += needs_c[c, k] * need_hours
        for k in range(K):
            demand = needs_c[c, k] * need_hours
            if demand <= 0.0:
                continue
            share = demand / dsum
            supply = (supply_cadre[c] * cadre_mix[k] + supply_org[c] * org_mix[k]
                      + vols[c] * volunteer_hours * volunteer_mix[k] + activity_spend[c] * activity_hours_per_yuan * share)
            coverage[c, k] = min(1.0, supply / demand)
    met_c = np.zeros(C)
    n_c = np.zeros(C)
    for k in range(K):
        met_by_type[k] = 0.0
        need_by_type[k] = 0.0
    for i in range(N):
        if not res_present[i]:
            continue
        c = res_community[i]
        access = math.exp(-res_dist[i] / radius_decay)
        n = 0
        met = 0
        for k in range(K):
            if res_needs[i, k]:
                n += 1
                if u_need[i, k] < coverage[c, k] * access:
                    met += 1
                    met_by_type[k] += 1.0
                need_by_type[k] += 1.0
        if n > 0:
            quality[i] = met / n
            met_c[c] += met
            n_c[c] += n
        else:
            m = 0.0
            for k in range(K):
                m += coverage[c, k]
            quality[i] = m / K
    for c in range(C):
        com_coverage[c] = met_c[c] / n_c[c] if n_c[c] > 0 else 1.0
    return coverage


@jit
def deliver_org_hours(org_staff, org_funds, org_active, org_hours, link_org, link_community, link_paid, staff_hours,
                      hours_per_yuan, so_hours):
    """Each active organisation spends its funds on service hours (up to its staff's hours)
    and shares them over the communities it is tied to by their recent payments."""
    O = len(org_staff)
    wsum = np.zeros(O)
    for j in range(len(link_org)):
        wsum[link_org[j]] += link_paid[j] + 1.0
    for o in range(O):
        org_hours[o] = 0.0
        if not org_active[o] or wsum[o] <= 0.0 or hours_per_yuan <= 0.0:
            continue
        h = min(org_staff[o] * staff_hours, max(org_funds[o], 0.0) * hours_per_yuan)
        org_funds[o] -= h / hours_per_yuan
        org_hours[o] = h
    for j in range(len(link_org)):
        o = link_org[j]
        if org_hours[o] > 0.0:
            so_hours[link_community[j]] += org_hours[o] * (link_paid[j] + 1.0) / wsum[o]


# ============================================================================ 4. attitudes
@jit
def attitudes(res_community, res_present, quality, contacted, volunteer, participated, facility_met, disposition,
              satisfaction, expectation, trust, belonging, facility_weight, disconfirmation_weight, contact_satisfaction,
              kappa_satisfaction, expectation_rate, kappa_trust, contact_trust, kappa_belonging, mix_trust,
              mix_volunteer, mix_part):
    """Satisfaction follows the service received, judged partly against expectations
    (expectation-disconfirmation); expectations follow the service; trust follows
    satisfaction and grid visits; belonging follows trust, volunteering and taking part.
    Residents differ in how they rate the same services (``disposition``)."""
    for i in range(len(res_community)):
        if not res_present[i]:
            continue
        q = quality[i]
        gap = min(1.0, max(0.0, 0.5 + q - expectation[i]))
        perf = (1.0 - disconfirmation_weight) * q + disconfirmation_weight * gap
        target = (1.0 - facility_weight) * perf + facility_weight * facility_met[res_community[i]]
        if contacted[i]:
            target += contact_satisfaction
        target = min(1.0, max(0.0, target + disposition[i]))
        satisfaction[i] += kappa_satisfaction * (target - satisfaction[i])
        expectation[i] += expectation_rate * (q - expectation[i])
        t = trust[i] + kappa_trust * (satisfaction[i] - trust[i])
        if contacted[i]:
            t += contact_trust * (1.0 - t)
        trust[i] = min(1.0, max(0.0, t))
        b = mix_trust * trust[i] + mix_volunteer * volunteer[i] + mix_part * participated[i]
        belonging[i] += kappa_belonging * (b - belonging[i])


# ============================================================================ 5. participation
@jit
def participation(indptr, indices, res_community, res_present, res_age, res_digital, res_activist, res_migrant,
                  res_stake, res_propensity, efficacy, trust, contacted, participated, p_participate, side, volunteer,
                  com_present, com_consulted, com_implemented, com_elite_won, held, u_agenda, u_part, u_side, u_conv,
                  u_drop, u_impl, beta, costs, digital_cut, activist_boost, migrant_cost, size_effect, size_reference,
                  agenda_spread, decision_authority, high_stake, elite_weight, divergence, kappa_efficacy,
                  loser_learning, disclosure_learning, token_trust_loss, conversion, dropout):
    """Volunteers drop out; where a consultation is held, residents take part by a logistic
    rule with peer influence (the share of their network neighbours who took part last time)
    and individual propensities; the outcome is implemented with probability
    ``decision_authority`` and, if implemented, the option with more weighted support wins
    (elite capture weights high-stake and backbone participants); participants learn efficacy
    from whether they were heard and whether their side won; participants may become
    volunteers. ``beta`` = (β0, β_ε, β_τ, β_s, β_n, β_g)."""
    N = len(res_community)
    C = len(com_present)
    for i in range(N):
        if volunteer[i] and u_drop[i] < dropout:
            volunteer[i] = False
    if not held:
        for c in range(C):
            com_consulted[c] = False
        return
    # peer influence from the previous consultation
    neigh = np.zeros(N)
    for i in range(N):
        deg = indptr[i + 1] - indptr[i]
        if deg > 0:
            s = 0.0
            for j in range(indptr[i], indptr[i + 1]):
                if participated[indices[j]]:
                    s += 1.0
            neigh[i] = s / deg
    size_term = np.zeros(C)
    for c in range(C):
        com_consulted[c] = True
        if com_present[c] > 0:
            size_term[c] = size_effect * math.log(com_present[c] / size_reference)
    support = np.zeros(C)
    total = np.zeros(C)
    for i in range(N):
        if not res_present[i]:
            participated[i] = False
            p_participate[i] = 0.0
            continue
        c = res_community[i]
        stake = min(1.0, res_stake[i] * (1.0 - agenda_spread + 2.0 * agenda_spread * u_agenda[c]))
        cost = costs[res_age[i]]
        if res_digital[i]:
            cost *= 1.0 - digital_cut
        x = (beta[0] + beta[1] * efficacy[i] + beta[2] * trust[i] + beta[3] * stake + beta[4] * neigh[i]
             - cost + res_propensity[i] - size_term[c])
        if contacted[i]:
            x += beta[5]
        if res_activist[i]:
            x += activist_boost
        if res_migrant[i]:
            x -= migrant_cost
        p = logistic(x)
        p_participate[i] = p
        took = u_part[i] < p
        participated[i] = took
        elite = res_activist[i] or res_stake[i] >= high_stake
        side[i] = u_side[i] < (0.5 + 0.5 * divergence if elite else 0.5 - 0.5 * divergence)
        if took:
            w = 1.0 + (elite_weight if elite else 0.0)
            total[c] += w
            if side[i]:
                support[c] += w
    for c in range(C):
        com_implemented[c] = u_impl[c] < decision_authority
        com_elite_won[c] = com_implemented[c] and total[c] > 0.0 and 2.0 * support[c] > total[c]
    for i in range(N):
        if not res_present[i]:
            continue
        c = res_community[i]
        weight = 1.0 if participated[i] else disclosure_learning
        if weight <= 0.0:
            continue
        e = efficacy[i]
        if com_implemented[c]:
            if side[i] == com_elite_won[c]:
                e += weight * kappa_efficacy * (1.0 - e)
            else:
                e -= weight * kappa_efficacy * loser_learning * e
        else:
            e -= weight * kappa_efficacy * e
            if participated[i]:
                trust[i] -= token_trust_loss * kappa_efficacy * trust[i]
        efficacy[i] = e
        if participated[i] and u_conv[i] < conversion:
            volunteer[i] = True


@jit
def vote(res_community, res_present, res_age, res_activist, res_migrant, res_propensity, efficacy, trust, satisfaction,
         u_vote, u_access, voted, base, mobilisation, beta_efficacy, beta_trust, costs, activist_boost,
         migrant_access, com_present, size_effect, size_reference, voter_satisfaction, voter_trust, voters):
    """A committee election: residents vote by a logistic rule (mobilised from above, with the
    age-group cost of a meeting and the free-riding effect of the community's size); residents
    without local registration vote only where registered. Returns per community the voters'
    mean satisfaction and trust."""
    C = len(voters)
    size_term = np.zeros(C)
    for c in range(C):
        if com_present[c] > 0:
            size_term[c] = size_effect * math.log(com_present[c] / size_reference)
    for c in range(C):
        voter_satisfaction[c] = 0.0
        voter_trust[c] = 0.0
        voters[c] = 0.0
    for i in range(len(res_community)):
        voted[i] = False
        if not res_present[i]:
            continue
        if res_migrant[i] and u_access[i] >= migrant_access:
            continue
        x = (base + mobilisation + beta_efficacy * efficacy[i] + beta_trust * trust[i] - costs[res_age[i]]
             + res_propensity[i] - size_term[res_community[i]])
        if res_activist[i]:
            x += activist_boost
        if u_vote[i] < logistic(x):
            voted[i] = True
            c = res_community[i]
            voters[c] += 1.0
            voter_satisfaction[c] += satisfaction[i]
            voter_trust[c] += trust[i]
    for c in range(C):
        if voters[c] > 0:
            voter_satisfaction[c] /= voters[c]
            voter_trust[c] /= voters[c]


# ============================================================================ 6. workforce
@jit
def monthly_hazard(community, role, filled, origin, parttime, insured, established, grade, age, tenure, burnout, embed,
                   term_left, skill, admin, service, overtime, hours, pay, outside, capital, u_quit, retirement_age,
                   dispatched_code, promotion_on, gamma, burnout_weights, overtime_scale, burnout_rate,
                   decision_authority, outside_earnings, full_hours, embed_ceiling, embed_growth, skill_growth, leave,
                   quits):
    """Ageing, tenure, embeddedness and skill; burnout toward the job demands (overtime and
    the administrative share, buffered by job resources); retirement, rotation of dispatched
    cadres at term end and quits by a monthly logistic hazard. ``gamma`` = (γ0, γ_w, γ_b,
    γ_e, γ_ins, γ_est, γ_prom, γ_cap). Marks ``leave`` and ``quits``; returns separations."""
    n_leave = 0
    for i in range(len(community)):
        leave[i] = False
        quits[i] = False
        if not filled[i]:
            continue
        age[i] += 1.0 / 12.0
        tenure[i] += 1.0
        embed[i] += embed_growth * (embed_ceiling - embed[i])
        skill[i] += skill_growth
        worked = admin[i] + service[i]
        share = admin[i] / worked if worked > 0 else 0.0
        income = pay[i]
        if parttime[i]:  # what a part-timer earns outside scales with the hours the post leaves free
            income += outside_earnings * (full_hours - hours[i]) / (0.5 * full_hours)
        resources = 0.5 * min(1.0, income / outside[i]) + 0.5 * decision_authority
        ot = overtime[i]
        target = burnout_weights[0] * ot / (ot + overtime_scale) + burnout_weights[1] * share * (1.0 - 0.5 * resources)
        burnout[i] += burnout_rate * (target - burnout[i])
        dispatched = origin[i] == dispatched_code
        if dispatched:
            x = gamma[0] - gamma[5] + gamma[2] * burnout[i]
        else:
            x = (gamma[0] + gamma[1] * math.log(outside[i] / max(income, 1.0)) + gamma[2] * burnout[i]
                 - gamma[3] * embed[i] - gamma[7] * (capital[community[i]] - 0.5))
            if insured[i]:
                x -= gamma[4]
            if established[i]:
                x -= gamma[5]
            if promotion_on:
                x -= gamma[6]
        if age[i] >= retirement_age:
            leave[i] = True
        elif dispatched:
            term_left[i] -= 1.0
            if term_left[i] <= 0.0:
                leave[i] = True
            elif u_quit[i] < logistic(x):
                leave[i] = True
                quits[i] = True
        elif u_quit[i] < logistic(x):
            leave[i] = True
            quits[i] = True
        if leave[i]:
            n_leave += 1
    return n_leave


@jit
def election_results(community, role, filled, origin, is_committee, dispatched_code, voter_satisfaction, voter_trust,
                     u_elect, base, b_satisfaction, b_trust, lost):
    """Incumbent committee members who are not dispatched stand for re-election; each keeps
    the post with probability logistic(base + b_σ (σ̄ − ½) + b_τ (τ̄ − ½)) of the voters'
    mean satisfaction and trust. Dispatched leaders are confirmed ("elected in form,
    appointed in fact"). Returns how many lost."""
    n = 0
    for i in range(len(community)):
        lost[i] = False
        if not filled[i] or not is_committee[i] or origin[i] == dispatched_code:
            continue
        c = community[i]
        p = logistic(base + b_satisfaction * (voter_satisfaction[c] - 0.5) + b_trust * (voter_trust[c] - 0.5))
        if u_elect[i] >= p:
            lost[i] = True
            n += 1
    return n


@jit
def hire(vacant, is_leader, is_first_secretary, is_staff, default_origin, dispatch_share, by_election, pay, outside,
         u_fill, u_origin, u_age, u_skill, graduate_recruitment, dispatch_fill_rate, applicants_at_parity, elasticity,
         graduate_applicants, personnel_authority, origin_age, origin_skill, origin_embed, dispatched_code,
         graduate_code, local_code, dispatch_term, hire_burnout, hired, filled, origin, age, skill, tenure, burnout,
         embed, term_left, established, grade):
    """Fill vacancies. A leader post is appointed by dispatch with probability
    ``dispatch_share`` (then filled at ``dispatch_fill_rate`` a month); staff posts are offered
    to graduates with probability ``graduate_recruitment``; an election fills the posts it
    opened at once; other vacancies are filled when at least one suitable applicant comes:
    applicants ~ Poisson(μ (pay / outside wage)^ε), so p = 1 − exp(−μ (w/w_out)^ε).
    Returns how many were hired."""
    n = 0
    for i in range(len(vacant)):
        hired[i] = False
        if not vacant[i]:
            continue
        by_dispatch = is_first_secretary[i] or (is_leader[i] and u_origin[i] < dispatch_share[i])
        graduate = is_staff[i] and u_origin[i] < graduate_recruitment
        if by_election[i] and not by_dispatch:
            p = 1.0
            o = local_code
        elif by_dispatch:
            p = dispatch_fill_rate
            o = dispatched_code
        else:
            mu = applicants_at_parity * (1.0 + personnel_authority)
            if graduate:
                mu *= graduate_applicants
                o = graduate_code
            else:
                o = default_origin[i]
            p = 1.0 - math.exp(-mu * (max(pay[i], 1.0) / outside[i]) ** elasticity)
        if u_fill[i] >= p:
            continue
        hired[i] = True
        n += 1
        filled[i] = True
        origin[i] = o
        age[i] = origin_age[o, 0] + u_age[i] * (origin_age[o, 1] - origin_age[o, 0])
        skill[i] = origin_skill[o, 0] + u_skill[i] * (origin_skill[o, 1] - origin_skill[o, 0])
        tenure[i] = 0.0
        burnout[i] = hire_burnout
        e = origin_embed[o]
        if o != dispatched_code:
            e *= 1.0 + 0.5 * personnel_authority
        embed[i] = e
        term_left[i] = dispatch_term if o == dispatched_code else 0.0
        established[i] = False
        grade[i] = 0.0
    return n


# ============================================================================ 7. budget
@jit
def budget(wages, wages_project, plan_project, activity_plan, n_res, belonging_sum, coverage, balance, pipeline, delay, regime,
           u_project, project_rate, project_months, loss_rate, reward_threshold, reward_share, reward_loss_factor,
           donation_rate, donation_belonging, spend_cap, purchase_share, released, loss, donations, spend, purchase):
    """Income by regime (0 project, 1 stable line, 2 reward in lieu of subsidy), money through
    the approval pipeline, donations, wages, activity spending up to a cap and the share of it
    that buys services. Staff and grid workers (``wages_project``: those in post; ``plan_project``:
    every such post) are paid from project grants under the project regime and from the budget
    line otherwise. Writes per-community flows; the purchase money is paid out after."""
    C = len(wages)
    M = pipeline.shape[1]
    for c in range(C):
        core = wages[c] - wages_project[c]
        if regime == 1:
            now = core + plan_project[c]
            delayed = activity_plan[c]
            lost = 0.0
        elif regime == 0:
            now = core
            gross = project_months * (plan_project[c] + activity_plan[c]) if u_project[c] < project_rate else 0.0
            lost = gross * loss_rate
            delayed = gross - lost
        else:
            now = core + plan_project[c]
            earned = coverage[c] >= reward_threshold
            gross = activity_plan[c] * ((1.0 - reward_share) + (2.0 * reward_share if earned else 0.0))
            lost = gross * loss_rate * reward_loss_factor
            delayed = gross - lost
        d = min(max(delay[c], 0), M - 1)
        pipeline[c, d] += delayed
        released[c] = pipeline[c, 0]
        for m in range(M - 1):
            pipeline[c, m] = pipeline[c, m + 1]
        pipeline[c, M - 1] = 0.0
        don = donation_rate * n_res[c] * (donation_belonging + (belonging_sum[c] / n_res[c] if n_res[c] > 0 else 0.0))
        donations[c] = don
        loss[c] = lost
        balance[c] += now + released[c] + don - wages[c]
        s = min(max(balance[c], 0.0), spend_cap * activity_plan[c])
        spend[c] = s
        purchase[c] = s * purchase_share


@jit
def pay_orgs(purchase, link_org, link_community, link_paid, org_funds, org_active, paid):
    """Pay each community's purchase-of-service money to the active organisations tied to it,
    in equal shares; a community without one keeps its money (``paid`` = 0)."""
    C = len(purchase)
    n_links = np.zeros(C)
    for j in range(len(link_org)):
        if org_active[link_org[j]]:
            n_links[link_community[j]] += 1.0
    for c in range(C):
        paid[c] = purchase[c] if n_links[c] > 0 and purchase[c] > 0 else 0.0
    for j in range(len(link_org)):
        c = link_community[j]
        if paid[c] > 0 and org_active[link_org[j]]:
            share = purchase[c] / n_links[c]
            org_funds[link_org[j]] += share
            link_paid[j] += share


@jit
def org_month_end(org_funds, org_months_broke, org_active, link_paid, paid_decay, fold_months):
    """Months without money; recent payments decay; organisations broke too long fold."""
    n = 0
    for o in range(len(org_funds)):
        if not org_active[o]:
            continue
        org_months_broke[o] = org_months_broke[o] + 1 if org_funds[o] < 1.0 else 0
        if org_months_broke[o] >= fold_months:
            org_active[o] = False
            n += 1
    for j in range(len(link_paid)):
        link_paid[j] *= paid_decay
    return n


# ============================================================================ 9. outputs
@jit
def outputs_residents(res_age, res_present, res_migrant, res_activist, participated, voted, volunteer, satisfaction,
                      trust, efficacy, belonging, contacted, satisfied, out):
    """Resident aggregates in one pass: counts and participants by age group, migrants and
    backbones, voters (all, by age group, backbones), volunteers, attitude sums, satisfied,
    contacted."""
    for k in range(len(out)):
        out[k] = 0.0
    for i in range(len(res_age)):
        if not res_present[i]:
            continue
        a = res_age[i]
        out[a] += 1.0
        if participated[i]:
            out[3 + a] += 1.0
            if res_activist[i]:
                out[8] += 1.0
            if res_migrant[i]:
                out[10] += 1.0
        if res_activist[i]:
            out[7] += 1.0
        if res_migrant[i]:
            out[9] += 1.0
        if voted[i]:
            out[6] += 1.0
            out[18 + a] += 1.0
            if res_activist[i]:
                out[21] += 1.0
        if volunteer[i]:
            out[11] += 1.0
        out[12] += satisfaction[i]
        out[13] += trust[i]
        out[14] += efficacy[i]
        out[15] += belonging[i]
        if satisfaction[i] >= satisfied:
            out[16] += 1.0
        if contacted[i]:
            out[17] += 1.0


@jit
def outputs_posts(role, filled, origin, parttime, established, tenure, burnout, overtime, admin, service, age,
                  is_leader, grid_role, dispatched_code, out):
    """Post aggregates in one pass: filled posts, leaders and dispatched leaders, tenure,
    burnout, overtime, administrative and worked hours (all and grid workers), part-time and
    established posts, cadres' age."""
    for k in range(len(out)):
        out[k] = 0.0
    for i in range(len(role)):
        out[0] += 1.0
        if not filled[i]:
            continue
        out[1] += 1.0
        out[2] += tenure[i]
        out[3] += burnout[i]
        out[4] += overtime[i]
        out[5] += admin[i]
        out[6] += admin[i] + service[i]
        if role[i] == grid_role:
            out[7] += admin[i]
            out[8] += admin[i] + service[i]
        if is_leader[i]:
            out[9] += 1.0
            if origin[i] == dispatched_code:
                out[10] += 1.0
        if parttime[i]:
            out[11] += 1.0
        if established[i]:
            out[12] += 1.0
        out[13] += age[i]
