"""The monthly processes, compiled.

Every rule of the monthly cycle is written once here, as a numba function over the declared
state (``model/state.py``), and :func:`months` runs them in the order of the ODD process
overview (docs/ODD.md §3), month after month:

1. :func:`assign_admin_tasks`   2. :func:`allocate_cadre_time`   3. :func:`deliver_services`
4. :func:`update_attitudes`     5. :func:`update_participation`  6. :func:`update_workforce`
7. :func:`settle_budget`

(8 ``apply_policies`` and 9 ``collect`` are in ``model/model.py``: restructuring stays in
Python; :func:`record_outputs` fills a month's row of the recorder.) Months without a scheduled
change run one after another inside :func:`months`. Functions are compiled once and cached on
disk (``cache=True``), so neither a run nor a fresh worker process compiles them again. Each
process reads its random numbers from its own stream's buffer (filled by the model from the
stream), in a number that depends only on the world's size and the process's own levers, and
the parameters as a record ``q`` with one field per registry parameter (:func:`param_record`).
Setting ``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python, with the same result (a
test checks it), for debugging; it is slow beyond a few hundred residents.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import njit

from . import tables as T
from .outputs import OUTPUTS
from .parameters import REGISTRY

__all__ = ["OUTPUT_DTYPE", "PARAM_DTYPE", "STATS_DTYPE", "months", "param_record", "record_outputs"]

jit = njit(cache=True, nogil=True, error_model="numpy")

#: One float64 field per registry parameter (booleans 0/1, choices by their index).
PARAM_DTYPE = np.dtype([(name, "f8") for name in REGISTRY])
#: The month's flows, written by the processes and read by :func:`record_outputs`.
STATS_DTYPE = np.dtype([
    ("met", "f8", (T.N_SERVICES,)), ("need", "f8", (T.N_SERVICES,)), ("cadre_hours", "f8"), ("org_hours", "f8"),
    ("wage_bill", "f8"), ("wage_cost_all", "f8"), ("spending_total", "f8"),
    ("fragmentation_loss", "f8"), ("purchase_spending", "f8"), ("donations", "f8"), ("consulted", "f8"),
])
#: One row per recorded month: the month and every declared output (model/outputs.py).
OUTPUT_DTYPE = np.dtype([("month", "f8"), *((name, "f8") for name in OUTPUTS)])

REGIME_PROJECT, REGIME_STABLE, REGIME_REWARD = 0, 1, 2


def param_record(params: Mapping[str, Any]) -> np.ndarray:
    """The parameters as a one-element record array (``q = par[0]``; ``q.beta0``; a NumPy
    ``recarray``, so that field access works in plain Python too)."""
    rec = np.zeros(1, dtype=PARAM_DTYPE)
    for name, p in REGISTRY.items():
        v = params[name]
        rec[name] = p.choices.index(v) if p.choices is not None else float(v)
    return rec.view(np.recarray)


@jit
def logistic(x):
    # no branch on the sign: exp(−x) overflows to inf for x < −709 and the result is then 0
    return 1.0 / (1.0 + math.exp(-x))


# ================================================================================= the months
@jit
def months(k, record_last, par, stats, clock, hist, burn_in, record_burn_in, rows, n_rows,
           # residents
           res_community, res_household, res_grid, res_age_group, res_access, res_present, res_migrant, res_activist,
           res_digital, res_stake, res_propensity, res_needs, res_trust, res_efficacy, res_satisfaction,
           res_disposition, res_expectation, res_belonging, res_quality, res_contacted, res_participated,
           res_p_participate, res_side, res_voted, res_volunteer, ties_indptr, ties_indices,
           # posts and what follows from the post layout
           po_community, po_role, po_grid, po_parttime, po_filled, po_person, po_frozen, po_origin, po_age, po_skill,
           po_tenure, po_burnout, po_embed, po_term_left, po_established, po_grade, po_hours, po_admin, po_service,
           po_contact, po_overtime, base_pay, insured, on_budget, outside, dispatch_share, is_committee, is_leader,
           is_project, is_staff, is_first_secretary, default_origin, access_list,
           # communities and grids
           com_street, com_urban, com_present, com_needs, com_volunteers, com_households, com_units, com_balance, com_pipeline,
           com_activity_spend, com_wages, com_coverage, com_tasks, com_reentered, com_admin_hours, com_consulted,
           com_implemented, com_elite_won, facility_met, plan_project_wages, approval_delay, grid_community,
           grid_households, admin_by_type,
           # organisations and their ties (two per organisation)
           org_kind, org_staff, org_funds, org_months_broke, org_hours, org_active, org_serial, link_org,
           link_community, link_paid, counters,
           # the random numbers of each process's stream, and how far each has been read
           u_admin, u_services, u_participation, u_migration, u_workforce, u_budget, u_organisations, drawn):
    """``k`` months of processes 1-7 of the ODD, in order. Months with no scheduled change
    follow each other here without returning to Python; every month but the last is recorded
    (the last is recorded by the model after ``apply_policies``, unless ``record_last``: a
    chunk of a longer stretch of months). ``clock`` holds the month
    just finished and the next election month; ``counters`` the next person and organisation
    ids. Each process reads its month's uniforms from its own stream (``drawn`` tracks the
    position), in a number that depends only on the world's size and its own levers."""
    q = par[0]
    s = stats[0]
    C = len(com_street)
    N = len(res_community)
    P = len(po_community)
    S = 1
    for c in range(C):
        S = max(S, com_street[c] + 1)
    n_needs = 0
    for i in range(N):
        for j in range(res_needs.shape[1]):
            if res_needs[i, j]:
                n_needs += 1
    for step in range(k):
        month = clock[0] + 1
        held = month % int(q.consultation_interval) == 0
        election = q.mech_elections > 0.5 and month == clock[1]
        m_index = month % 12
        u_adm = take(u_admin, drawn, 0, 4 * C).reshape((4, C))
        u_srv = take(u_services, drawn, 1, N + n_needs)
        u_par = take(u_participation, drawn, 2, N + (3 * N + 2 * C if held else 0) + (2 * N if election else 0))
        u_mig = take(u_migration, drawn, 3, N)
        u_wrk = take(u_workforce, drawn, 4, 7 * P).reshape((7, P))
        u_bud = take(u_budget, drawn, 5, C)
        u_org = take(u_organisations, drawn, 6, 6 * S).reshape((6, S))
        u_cons = u_par[N:4 * N].reshape((3, N)) if held else u_par[:0].reshape((3, 0))
        u_com = u_par[4 * N:4 * N + 2 * C].reshape((2, C)) if held else u_par[:0].reshape((2, 0))
        e0 = N + (3 * N + 2 * C if held else 0)
        u_vote = u_par[e0:e0 + 2 * N].reshape((2, N)) if election else u_par[:0].reshape((2, 0))

        assign_admin_tasks(q, com_households, access_list, u_adm, com_tasks, com_reentered, com_admin_hours,
                           admin_by_type)
        allocate_cadre_time(q, po_community, po_role, po_filled, po_hours, admin_by_type, po_admin, po_service,
                            po_overtime, po_contact)
        deliver_services(q, s, res_community, res_grid, res_present, res_needs, res_access, u_srv[:N], u_srv[N:],
                         res_contacted, res_quality, com_needs, com_volunteers, po_community, po_role, po_grid,
                         po_filled, po_skill, po_burnout, po_service, po_contact, com_units, com_activity_spend, com_coverage,
                         grid_community, grid_households, org_staff, org_funds, org_active, org_hours, link_org,
                         link_community, link_paid)
        update_attitudes(q, res_community, res_present, res_quality, res_contacted, res_volunteer, res_participated,
                         facility_met, res_disposition, res_satisfaction, res_expectation, res_trust, res_belonging)
        update_participation(q, held, election, ties_indptr, ties_indices, res_community, res_household,
                             res_age_group, res_present, res_migrant, res_activist, res_digital, res_stake,
                             res_propensity, res_needs, res_efficacy, res_trust, res_contacted, res_participated,
                             res_p_participate, res_side, res_voted, res_volunteer, com_urban, com_present, com_needs,
                             com_volunteers, com_households, com_consulted, com_implemented, com_elite_won, u_par[:N], u_cons, u_com,
                             u_vote, u_mig)
        sums = resident_sums(res_community, res_present, res_trust, res_belonging, C)
        update_workforce(q, m_index, election, hist, po_community, po_role, po_parttime, po_filled, po_person,
                         po_frozen, po_origin, po_age, po_skill, po_tenure, po_burnout, po_embed, po_term_left,
                         po_established, po_grade, po_hours, po_admin, po_service, po_overtime, base_pay, insured,
                         outside, dispatch_share, is_committee, is_leader, is_project, is_staff, is_first_secretary,
                         default_origin, res_community, res_present, res_trust, res_satisfaction, res_voted, sums,
                         com_balance, com_wages, counters, u_wrk)
        settle_budget(q, s, po_community, po_filled, po_grade, po_established, base_pay, insured, on_budget,
                      is_project, sums, com_street, com_present, com_balance,
                      com_pipeline, com_activity_spend, com_wages, com_coverage, plan_project_wages, approval_delay,
                      org_kind, org_staff, org_funds, org_months_broke, org_hours, org_active, org_serial, link_org,
                      link_community, link_paid, counters, u_bud, u_org)
        if election:
            clock[1] += int(q.term_length)
        clock[0] = month
        if (step < k - 1 or record_last) and (month >= 0 or record_burn_in):
            record_outputs(rows[n_rows[0]:n_rows[0] + 1], par, month, min(max(month + burn_in, 1), 12), stats, hist,
                           res_age_group, res_present, res_migrant, res_activist, res_participated, res_voted,
                           res_volunteer, res_satisfaction, res_trust, res_efficacy, res_belonging, res_contacted,
                           po_role, po_filled, po_origin, po_parttime, po_established, po_tenure, po_burnout,
                           po_overtime, po_admin, po_service, po_age, is_leader, is_committee, is_project, po_grade,
                           base_pay, insured, on_budget, com_tasks, com_reentered, com_balance, com_implemented,
                           com_elite_won, facility_met, len(grid_community), org_active.sum())
            n_rows[0] += 1


@jit
def uniforms(raw):
    """Two single-precision uniforms on [0, 1) from each 64-bit output of a stream's generator:
    its top 24 bits and the 24 below them, each exact in float32 (resolution 2⁻²⁴)."""
    out = np.empty(2 * len(raw), np.float32)
    scale = 1.0 / 16777216.0
    for i in range(len(raw)):
        x = raw[i]
        out[2 * i] = np.float32((x >> np.uint64(40)) * scale)
        out[2 * i + 1] = np.float32(((x >> np.uint64(16)) & np.uint64(0xFFFFFF)) * scale)
    return out


@jit
def take(buffer, drawn, stream, n):
    """The next ``n`` uniforms of a stream's buffer."""
    start = drawn[stream]
    drawn[stream] = start + n
    return buffer[start:start + n]


@jit
def poisson_inv(lam, u):
    """The Poisson(λ) count whose distribution function first reaches ``u`` (inversion; the
    probabilities are summed in log space so large λ does not underflow)."""
    if lam <= 0.0:
        return 0
    log_lam = math.log(lam)
    log_p = -lam
    cdf = math.exp(log_p)
    k = 0
    limit = 10.0 * lam + 100.0
    while cdf < u and k < limit:
        k += 1
        log_p += log_lam - math.log(k)
        cdf += math.exp(log_p)
    return k


@jit
def binomial_inv(n, p, u):
    """The Binomial(n, p) count whose distribution function first reaches ``u`` (inversion)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    log_odds = math.log(p) - math.log1p(-p)
    log_pmf = n * math.log1p(-p)
    cdf = math.exp(log_pmf)
    k = 0
    while cdf < u and k < n:
        log_pmf += math.log(n - k) - math.log(k + 1) + log_odds
        k += 1
        cdf += math.exp(log_pmf)
    return k


# ================================================================================= 1. admin tasks
@jit
def assign_admin_tasks(q, com_households, access_list, u, com_tasks, com_reentered, com_admin_hours, admin_by_type):
    """Tasks arriving at each community ~ Poisson(fixed + per household × households); the
    task access list bars each with its probability, and a share 1 − compliance of the barred
    re-enters through other channels; inspections ~ Poisson(``inspections``). All four by
    inversion of one uniform each, so the stream's draws do not depend on the counts. Hours of
    each task type [C, K]: tasks split over the types by their shares, each at its relative
    time, plus 'leave a trace' documentation per task at the assessment pressure; inspections
    fall on meetings, platform data entry on reporting."""
    assess = q.mech_assessment > 0.5
    compliance = q.list_compliance if q.mech_list_leakage > 0.5 else 1.0
    hours_per_task = q.task_hours * (1.0 - q.info_saving * q.informatisation)
    trace = q.trace_hours * q.assessment_pressure if assess else 0.0
    platforms = q.n_platforms if q.mech_platforms > 0.5 else 0.0
    C, K = admin_by_type.shape
    for c in range(C):
        households = com_households[c] if q.mech_household_tasks > 0.5 else T.REFERENCE_HOUSEHOLDS
        arrived = poisson_inv(q.tasks_fixed + q.tasks_per_household * households, u[0, c])
        passed = binomial_inv(arrived, 1.0 - access_list[c], u[1, c])
        back = binomial_inv(arrived - passed, 1.0 - compliance, u[2, c])
        inspections = poisson_inv(q.inspections, u[3, c]) if assess else 0
        tasks = float(passed + back)
        com_tasks[c] = tasks
        com_reentered[c] = back
        total = 0.0
        for k in range(K):
            h = tasks * T.TASK_SHARE[k] * (hours_per_task * T.TASK_TIME[k] + trace)
            if k == T.MEETINGS:
                h += inspections * q.inspection_hours
            if k == T.REPORTING:
                h += platforms * q.platform_hours
            admin_by_type[c, k] = h
            total += h
        com_admin_hours[c] = total


# ================================================================================= 2. cadre time
@jit
def allocate_cadre_time(q, po_community, po_role, po_filled, po_hours, admin_by_type, po_admin, po_service,
                        po_overtime, po_contact):
    """Administrative hours first, shared by role and task type (role-specific weights, or
    every role alike with ``mech_task_roles`` off); services and contact with what is left."""
    weights = T.ROLE_TASK_WEIGHT if q.mech_task_roles > 0.5 else T.ROLE_TASK_WEIGHT_UNIFORM
    allocate_time(po_community, po_role, po_filled, po_hours, admin_by_type, weights, q.cadre_hours,
                  q.min_service_hours, T.ROLE_CONTACT_SHARE, po_admin, po_service, po_overtime, po_contact)


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


# ================================================================================= 3. services
@jit
def deliver_services(q, s, res_community, res_grid, res_present, res_needs, res_access, u_contact, u_need,
                     res_contacted, res_quality, com_needs, com_volunteers, po_community, po_role, po_grid, po_filled,
                     po_skill, po_burnout, po_service, po_contact, com_units, com_activity_spend, com_coverage, grid_community,
                     grid_households, org_staff, org_funds, org_active, org_hours, link_org, link_community,
                     link_paid):
    """Grid visits; service supply by cadres (skill, burnout, scale of a merged community),
    social organisations, volunteers and activity funds; which needs are met (``res_access``
    is exp(−distance / ``radius_decay``), computed when either changes)."""
    C = len(com_units)
    G = len(grid_community)
    # grid visits: the grid worker's contact hours plus the grid's share (by households) of
    # the other cadres' contact hours in the community
    other = np.zeros(C)
    com_hh = np.zeros(C)
    visits = np.zeros(G)
    for g in range(G):
        com_hh[grid_community[g]] += grid_households[g]
    cadre = np.zeros(C)
    for i in range(len(po_community)):
        if not po_filled[i]:
            continue
        c = po_community[i]
        if po_role[i] == T.GRID_WORKER and po_grid[i] >= 0:
            visits[po_grid[i]] += po_contact[i] / q.hours_per_visit
        else:
            other[c] += po_contact[i] / q.hours_per_visit
        productivity = po_skill[i]
        if q.mech_burnout_productivity > 0.5:
            productivity *= 1.0 - q.burnout_productivity * po_burnout[i]
        if q.mech_merger_scale > 0.5:
            productivity *= 1.0 + q.merger_scale_gain * math.log2(com_units[c])
        cadre[c] += (po_service[i] - po_contact[i]) * productivity
    p_contact = np.zeros(G)
    for g in range(G):
        c = grid_community[g]
        v = visits[g]
        if com_hh[c] > 0:
            v += other[c] * grid_households[g] / com_hh[c]
        p_contact[g] = min(1.0, v / grid_households[g]) if grid_households[g] > 0 else 0.0
    org = organisation_hours(q, C, org_staff, org_funds, org_active, org_hours, link_org, link_community, link_paid)
    vol_hours = q.volunteer_hours * (1.0 + q.linkage_volunteer_hours * q.four_social_linkage)
    N = len(res_community)
    K = T.N_SERVICES
    # the residents present with each need, and the volunteers, per community: counts kept
    # current by the processes that change them (participation, out-migration, restructuring)
    needs_c = com_needs.astype(np.float64)
    vols = com_volunteers.astype(np.float64)
    coverage = np.ones((C, K))
    for c in range(C):
        dsum = 0.0
        for k in range(K):
            dsum += needs_c[c, k] * q.need_hours
        for k in range(K):
            demand = needs_c[c, k] * q.need_hours
            if demand <= 0.0:
                continue
            supply = (cadre[c] * T.CADRE_SERVICE_MIX[k] + org[c] * T.SO_SERVICE_MIX[k]
                      + vols[c] * vol_hours * T.VOLUNTEER_SERVICE_MIX[k]
                      + com_activity_spend[c] * q.activity_hours_per_yuan * demand / dsum)
            coverage[c, k] = min(1.0, supply / demand)
    # each need met with probability coverage × exp(−distance / decay); one uniform per need
    met_c = np.zeros(C)
    n_c = np.zeros(C)
    met_k = np.zeros(K, np.int64)
    need_k = np.zeros(K, np.int64)
    mean_coverage = np.zeros(C)  # what a resident without needs reports as her service quality
    for c in range(C):
        for k in range(K):
            mean_coverage[c] += coverage[c, k]
        mean_coverage[c] /= K
    j = 0
    last = len(u_need) - 1
    for i in range(N):
        c = res_community[i]
        access = res_access[i]
        present = np.int64(res_present[i])
        res_contacted[i] = present * np.int64(u_contact[i] < p_contact[res_grid[i]])
        met = 0
        n = 0
        for k in range(K):
            need = np.int64(res_needs[i, k])
            hit = need * present * np.int64(u_need[min(j, last)] < coverage[c, k] * access)
            met += hit
            n += need * present
            met_k[k] += hit
            need_k[k] += need * present
            j += need
        if not present:
            continue
        res_quality[i] = met / n if n > 0 else mean_coverage[c]
        met_c[c] += met
        n_c[c] += n
    for c in range(C):
        com_coverage[c] = met_c[c] / n_c[c] if n_c[c] > 0 else 1.0
    for k in range(K):
        s.met[k] = met_k[k]
        s.need[k] = need_k[k]
    s.cadre_hours = cadre.sum()
    s.org_hours = org.sum()


@jit
def organisation_hours(q, C, org_staff, org_funds, org_active, org_hours, link_org, link_community, link_paid):
    """Each active organisation spends its funds on service hours (up to its staff's hours)
    and shares them over the communities it is tied to by their recent payments."""
    so_hours = np.zeros(C)
    O = len(org_staff)
    wsum = np.zeros(O)
    for j in range(len(link_org)):
        if link_community[j] >= 0:
            wsum[link_org[j]] += link_paid[j] + 1.0
    for o in range(O):
        org_hours[o] = 0.0
        if not org_active[o] or wsum[o] <= 0.0 or q.so_hours_per_yuan <= 0.0:
            continue
        h = min(org_staff[o] * q.org_staff_hours, max(org_funds[o], 0.0) * q.so_hours_per_yuan)
        org_funds[o] -= h / q.so_hours_per_yuan
        org_hours[o] = h
    for j in range(len(link_org)):
        o = link_org[j]
        if org_hours[o] > 0.0 and link_community[j] >= 0:
            so_hours[link_community[j]] += org_hours[o] * (link_paid[j] + 1.0) / wsum[o]
    return so_hours


# ================================================================================= 4. attitudes
@jit
def update_attitudes(q, res_community, res_present, res_quality, res_contacted, res_volunteer, res_participated,
                     facility_met, res_disposition, res_satisfaction, res_expectation, res_trust, res_belonging):
    """Satisfaction against adapting expectations, expectations, trust, belonging."""
    expect = q.mech_expectations > 0.5
    mt, mv, mp = T.BELONGING_MIX
    attitudes(res_community, res_present, res_quality, res_contacted, res_volunteer, res_participated, facility_met,
              res_disposition, res_satisfaction, res_expectation, res_trust, res_belonging, q.facility_weight,
              q.disconfirmation_weight if expect else 0.0, q.contact_satisfaction, q.kappa_satisfaction,
              q.expectation_rate if expect else 0.0, q.kappa_trust, q.contact_trust, q.kappa_belonging, mt, mv, mp)


@jit
def attitudes(res_community, res_present, quality, contacted, volunteer, participated, facility_met, disposition,
              satisfaction, expectation, trust, belonging, facility_weight, disconfirmation_weight,
              contact_satisfaction, kappa_satisfaction, expectation_rate, kappa_trust, contact_trust, kappa_belonging,
              mix_trust, mix_volunteer, mix_part):
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
        seen = np.float64(contacted[i])  # arithmetic rather than a branch on a random flag
        target = (1.0 - facility_weight) * perf + facility_weight * facility_met[res_community[i]]
        target += contact_satisfaction * seen
        target = min(1.0, max(0.0, target + disposition[i]))
        satisfaction[i] += kappa_satisfaction * (target - satisfaction[i])
        expectation[i] += expectation_rate * (q - expectation[i])
        t = trust[i] + kappa_trust * (satisfaction[i] - trust[i])
        t += contact_trust * seen * (1.0 - t)
        trust[i] = min(1.0, max(0.0, t))
        b = mix_trust * trust[i] + mix_volunteer * volunteer[i] + mix_part * participated[i]
        belonging[i] += kappa_belonging * (b - belonging[i])


# ================================================================================= 5. participation
@jit
def update_participation(q, held, election, ties_indptr, ties_indices, res_community, res_household,
                         res_age_group, res_present, res_migrant, res_activist, res_digital, res_stake,
                         res_propensity, res_needs, res_efficacy, res_trust, res_contacted, res_participated,
                         res_p_participate, res_side, res_voted, res_volunteer, com_urban, com_present, com_needs,
                         com_volunteers, com_households, com_consulted, com_implemented, com_elite_won, u_drop, u_cons, u_com, u_vote,
                         u_migrate):
    """Volunteer drop-out; a consultation where one is held; the vote in an election month;
    out-migration from rural communities."""
    N = len(res_community)
    for i in range(N):
        dropped = res_volunteer[i] & (u_drop[i] < q.volunteer_dropout)
        res_volunteer[i] = res_volunteer[i] & (not dropped)
        com_volunteers[res_community[i]] -= dropped
    costs = np.array([q.cost_youth, q.cost_middle, q.cost_elderly])
    boost = q.activist_boost if q.mech_activists > 0.5 else 0.0
    size_effect = q.size_effect if q.mech_group_size > 0.5 else 0.0
    if held:
        consult(q, ties_indptr, ties_indices, res_community, res_present, res_age_group, res_digital, res_activist,
                res_migrant, res_stake, res_propensity, res_efficacy, res_trust, res_contacted, res_participated,
                res_p_participate, res_side, res_volunteer, com_present, com_volunteers, com_consulted,
                com_implemented, com_elite_won, u_com[0], u_cons[0], u_cons[1], u_cons[2], u_com[1], costs, boost, size_effect)
    else:
        for c in range(len(com_consulted)):
            com_consulted[c] = False
    if election:
        vote(q, res_community, res_present, res_age_group, res_activist, res_migrant, res_propensity, res_efficacy,
             res_trust, u_vote[0], u_vote[1], res_voted, costs, boost, com_present, size_effect)
    if q.mech_outmigration > 0.5 and q.outmigration_rate > 0.0:
        migrate(q, res_community, res_household, res_age_group, res_present, res_participated, res_volunteer,
                res_needs, com_urban, com_present, com_needs, com_volunteers, com_households, u_migrate)


@jit
def consult(q, indptr, indices, res_community, res_present, res_age, res_digital, res_activist, res_migrant,
            res_stake, res_propensity, efficacy, trust, contacted, participated, p_participate, side, volunteer,
            com_present, com_volunteers, com_consulted, com_implemented, com_elite_won, u_agenda, u_part, u_side, u_conv, u_impl,
            costs, boost, size_effect):
    """A consultation in every community: residents take part by a logistic rule with peer
    influence (the share of their network neighbours who took part last time) and individual
    propensities; the outcome is implemented with probability ``decision_authority`` and, if
    implemented, the option with more weighted support wins (elite capture weights high-stake
    and backbone participants); participants learn efficacy from whether they were heard and
    whether their side won; participants may become volunteers."""
    N = len(res_community)
    C = len(com_present)
    capture = q.elite_weight * (1.0 - q.disclosure_safeguard * q.disclosure) if q.mech_elite_capture > 0.5 else 0.0
    divergence = q.interest_divergence if q.mech_elite_capture > 0.5 else 0.0
    learn_others = q.disclosure_learning if q.disclosure > 0.5 else 0.0
    conversion = q.volunteer_conversion * (1.0 + q.linkage_conversion * q.four_social_linkage)
    digital_cut = q.digital_cost_cut * q.digital_channels
    cost_migrant = q.migrant_cost if q.mech_migrants > 0.5 else 0.0
    neigh = np.zeros(N)
    for i in range(N):
        deg = indptr[i + 1] - indptr[i]
        if deg > 0:
            k = 0
            for j in range(indptr[i], indptr[i + 1]):
                k += np.int64(participated[indices[j]])
            neigh[i] = k / deg
    size_term = np.zeros(C)
    for c in range(C):
        com_consulted[c] = True
        if com_present[c] > 0:
            size_term[c] = size_effect * math.log(com_present[c] / q.size_reference)
    support = np.zeros(C)
    total = np.zeros(C)
    for i in range(N):
        if not res_present[i]:
            participated[i] = False
            p_participate[i] = 0.0
            continue
        c = res_community[i]
        stake = min(1.0, res_stake[i] * (1.0 - q.agenda_spread + 2.0 * q.agenda_spread * u_agenda[c]))
        cost = costs[res_age[i]]
        cost *= 1.0 - digital_cut * res_digital[i]
        x = (q.beta0 + q.beta_efficacy * efficacy[i] + q.beta_trust * trust[i] + q.beta_stake * stake
             + q.beta_network * neigh[i] - cost + res_propensity[i] - size_term[c])
        # flags enter as 0/1 factors rather than branches (they are random)
        x += q.beta_contact * contacted[i] + boost * res_activist[i] - cost_migrant * res_migrant[i]
        p = logistic(x)
        p_participate[i] = p
        took = u_part[i] < p
        participated[i] = took
        elite = np.float64(res_activist[i] | (res_stake[i] >= T.HIGH_STAKE))
        for_ = u_side[i] < 0.5 + (elite - 0.5) * divergence
        side[i] = for_
        w = took * (1.0 + capture * elite)
        total[c] += w
        support[c] += w * for_
    for c in range(C):
        com_implemented[c] = u_impl[c] < q.decision_authority
        com_elite_won[c] = com_implemented[c] and total[c] > 0.0 and 2.0 * support[c] > total[c]
    # participants learn fully, others (with disclosure) by ``disclosure_learning``; whether
    # one took part and which side won are random, so they enter as 0/1 factors, not branches
    kappa, loss, token_loss = q.kappa_efficacy, q.loser_learning, q.token_trust_loss * q.kappa_efficacy
    for i in range(N):
        if not res_present[i]:
            continue
        c = res_community[i]
        took = np.float64(participated[i])
        rate = kappa * (learn_others + (1.0 - learn_others) * took)
        e = efficacy[i]
        if com_implemented[c]:
            won = np.float64(side[i] == com_elite_won[c])
            e += rate * (won * (1.0 - e) - (1.0 - won) * loss * e)
        else:
            e -= rate * e
            trust[i] -= took * token_loss * trust[i]
        efficacy[i] = e
        joins = participated[i] & (u_conv[i] < conversion) & (not volunteer[i])
        volunteer[i] |= joins
        com_volunteers[c] += joins


@jit
def vote(q, res_community, res_present, res_age, res_activist, res_migrant, res_propensity, efficacy, trust, u_vote,
         u_access, voted, costs, boost, com_present, size_effect):
    """A committee election: residents vote by a logistic rule (mobilised from above, with the
    age-group cost of a meeting and the free-riding effect of the community's size); residents
    without local registration vote only where registered."""
    C = len(com_present)
    size_term = np.zeros(C)
    for c in range(C):
        if com_present[c] > 0:
            size_term[c] = size_effect * math.log(com_present[c] / q.size_reference)
    access = q.migrant_vote_access if q.mech_migrants > 0.5 else 1.0
    for i in range(len(res_community)):
        voted[i] = False
        if not res_present[i]:
            continue
        if res_migrant[i] and u_access[i] >= access:
            continue
        x = (q.vote_base + q.vote_mobilisation + q.beta_efficacy * efficacy[i] + q.beta_trust * trust[i]
             - costs[res_age[i]] + res_propensity[i] - size_term[res_community[i]])
        if res_activist[i]:
            x += boost
        voted[i] = u_vote[i] < logistic(x)


@jit
def migrate(q, res_community, res_household, res_age, res_present, res_participated, res_volunteer, res_needs,
            com_urban, com_present, com_needs, com_volunteers, com_households, u):
    """Rural residents move away each month with probability rate/12 (the young three times
    as often); residents and households present are recounted, and those who leave take
    their needs and volunteering out of their community's counts."""
    rate = q.outmigration_rate / 12.0
    rates = np.full(3, rate)
    rates[T.YOUTH] = rate * T.YOUTH_MIGRATION_FACTOR
    for c in range(len(com_present)):
        com_present[c] = 0
        com_households[c] = 0
    last = -1
    for i in range(len(res_community)):
        c = res_community[i]
        stays = res_present[i] & (com_urban[c] | (u[i] >= rates[res_age[i]]))
        if res_present[i] and not stays:  # rare: a branch that is almost never taken
            com_volunteers[c] -= res_volunteer[i]
            for k in range(res_needs.shape[1]):
                com_needs[c, k] -= res_needs[i, k]
        res_present[i] = stays
        res_participated[i] &= stays
        res_volunteer[i] &= stays
        # residents and households present, recounted in the same pass (households are
        # consecutive)
        com_present[c] += stays
        new_household = stays & (res_household[i] != last)
        com_households[c] += new_household
        if new_household:
            last = res_household[i]


@jit
def resident_sums(res_community, res_present, res_trust, res_belonging, C):
    """Per community, after participation: residents present, and the sums of their
    ½(trust + belonging) (social capital, for retention) and of their belonging (donations)."""
    out = np.zeros((3, C))
    for i in range(len(res_community)):
        if res_present[i]:
            c = res_community[i]
            out[0, c] += 1.0
            out[1, c] += 0.5 * (res_trust[i] + res_belonging[i])
            out[2, c] += res_belonging[i]
    return out


@jit
def update_workforce(q, m_index, election, hist, po_community, po_role, po_parttime, po_filled, po_person, po_frozen,
                     po_origin, po_age, po_skill, po_tenure, po_burnout, po_embed, po_term_left, po_established,
                     po_grade, po_hours, po_admin, po_service, po_overtime, base_pay, insured, outside, dispatch_share,
                     is_committee, is_leader, is_project, is_staff, is_first_secretary, default_origin, res_community,
                     res_present, res_trust, res_satisfaction, res_voted, resident_sums, com_balance, com_wages,
                     counters, u_work):
    """Ageing and burnout; retirements, rotations and quits; the re-election of incumbents in
    an election month; layoffs; recruitment; career-establishment conversion and grade steps.
    A new cadre gets the next person id (``counters[0]``), so the Mesa agents can follow; the
    12-month histories of separations, quits, staff separations and election losses are kept."""
    P = len(po_community)
    C = len(com_balance)
    leave = np.zeros(P, dtype=np.bool_)
    capital = social_capital(q, resident_sums, C)
    pay = post_pay(q, base_pay, po_grade, po_established)
    n_sep, n_quit, n_staff = separations(q, po_community, po_filled, po_origin, po_parttime, insured, po_established,
                                         po_age, po_tenure, po_burnout, po_embed, po_term_left, po_skill, po_admin,
                                         po_service, po_overtime, po_hours, pay, outside, capital, is_project,
                                         u_work[0], leave)
    for i in range(P):
        if leave[i]:
            vacate(i, po_filled, po_person, po_origin, po_burnout, po_established, po_grade)
    elected = np.zeros(P, dtype=np.bool_)  # posts opened by the election, which it fills at once
    n_lost = 0
    if election:
        n_lost = election_results(q, po_community, po_filled, po_origin, is_committee, res_community, res_present,
                                  res_satisfaction, res_trust, res_voted, C, u_work[1], elected)
        for i in range(P):
            if elected[i]:
                vacate(i, po_filled, po_person, po_origin, po_burnout, po_established, po_grade)
    n_laid = layoffs(q, po_community, po_filled, po_person, po_frozen, po_tenure, is_project, com_balance, com_wages,
                     po_origin, po_burnout, po_established, po_grade)
    hired = np.zeros(P, dtype=np.bool_)
    hire(~po_filled & ~po_frozen, is_leader, is_first_secretary, is_staff, default_origin, dispatch_share, elected,
         pay, outside, u_work[2], u_work[3], u_work[4], u_work[5], q.graduate_recruitment, q.dispatch_fill_rate,
         q.applicants_at_parity, q.recruit_elasticity, q.graduate_applicants, q.personnel_authority, T.ORIGIN_AGE,
         T.ORIGIN_SKILL, T.ORIGIN_EMBED, T.DISPATCHED, T.GRADUATE, T.LOCAL, q.dispatch_term, T.HIRE_BURNOUT,
         hired, po_filled, po_origin, po_age, po_skill, po_tenure, po_burnout, po_embed, po_term_left,
         po_established, po_grade)
    for i in range(P):
        if hired[i]:
            po_person[i] = counters[0]
            counters[0] += 1
    careers(q, po_filled, po_origin, po_tenure, po_established, po_grade, u_work[6])
    hist[0, m_index] = n_sep + n_lost + n_laid
    hist[1, m_index] = n_quit
    hist[2, m_index] = n_staff + n_laid
    hist[3, m_index] = n_lost


@jit
def social_capital(q, resident_sums, C):
    """Each community's social capital: its present residents' mean of trust and belonging
    (``resident_sums``: residents present, that sum); ½ in a community nobody lives in, and
    everywhere with ``mech_capital_retention`` off."""
    capital = np.full(C, 0.5)
    if q.mech_capital_retention > 0.5:
        for c in range(C):
            if resident_sums[0, c] > 0:
                capital[c] = resident_sums[1, c] / resident_sums[0, c]
    return capital


@jit
def post_pay(q, base_pay, grade, established):
    """Monthly pay now: the scale (allowances included) raised by grade steps and by a
    career-establishment post."""
    pay = np.empty(len(base_pay))
    for i in range(len(base_pay)):
        pay[i] = base_pay[i] * (1.0 + q.grade_step * grade[i]) * (1.0 + q.establishment_premium * established[i])
    return pay


@jit
def post_costs(q, base_pay, grade, established, insured, on_budget):
    """Monthly cost of each post to the community budget: its pay, plus the employer's social
    insurance where insured; nothing for posts paid by another unit (first secretaries)."""
    pay = post_pay(q, base_pay, grade, established)
    for i in range(len(pay)):
        pay[i] *= (1.0 + q.insurance_rate * insured[i]) * on_budget[i]
    return pay


@jit
def separations(q, po_community, po_filled, po_origin, po_parttime, insured, po_established, po_age, po_tenure,
                po_burnout, po_embed, po_term_left, po_skill, po_admin, po_service, po_overtime, po_hours, pay, outside,
                capital, is_project, u_quit, leave):
    """Ageing, tenure, embeddedness and skill; burnout toward the job demands (overtime and
    the administrative share, buffered by job resources); retirement, rotation of dispatched
    cadres at term end and quits by a monthly logistic hazard. Returns (separations, quits,
    separations of project-paid staff and grid workers)."""
    n_leave = 0
    n_quit = 0
    n_staff = 0
    promotion = q.promotion_ladder > 0.5
    parttime_on = q.mech_parttime > 0.5
    for i in range(len(po_community)):
        if not po_filled[i]:
            continue
        po_age[i] += 1.0 / 12.0
        po_tenure[i] += 1.0
        po_embed[i] += T.EMBED_GROWTH * (T.EMBED_CEILING - po_embed[i])
        po_skill[i] += T.SKILL_GROWTH
        worked = po_admin[i] + po_service[i]
        share = po_admin[i] / worked if worked > 0 else 0.0
        income = pay[i]
        if po_parttime[i] and parttime_on:  # what a part-timer earns outside scales with the hours the post leaves free
            income += q.outside_earnings * (q.cadre_hours - po_hours[i]) / (0.5 * q.cadre_hours)
        resources = 0.5 * min(1.0, income / outside[i]) + 0.5 * q.decision_authority
        ot = po_overtime[i]
        target = (q.burnout_overtime_weight * ot / (ot + q.overtime_scale)
                  + q.burnout_admin_weight * share * (1.0 - 0.5 * resources))
        po_burnout[i] += q.burnout_rate * (target - po_burnout[i])
        dispatched = po_origin[i] == T.DISPATCHED
        if dispatched:
            x = q.gamma0 - q.gamma_establishment + q.gamma_burnout * po_burnout[i]
        else:
            x = (q.gamma0 + q.gamma_wage * math.log(outside[i] / max(income, 1.0)) + q.gamma_burnout * po_burnout[i]
                 - q.gamma_embed * po_embed[i] - q.gamma_capital * (capital[po_community[i]] - 0.5))
            if insured[i]:
                x -= q.gamma_insurance
            if po_established[i]:
                x -= q.gamma_establishment
            if promotion:
                x -= q.gamma_promotion
        left = False
        if po_age[i] >= q.retirement_age:
            left = True
        elif dispatched:
            po_term_left[i] -= 1.0
            if po_term_left[i] <= 0.0:
                left = True
            elif u_quit[i] < logistic(x):
                left = True
                n_quit += 1
        elif u_quit[i] < logistic(x):
            left = True
            n_quit += 1
        if left:
            leave[i] = True
            n_leave += 1
            if is_project[i]:
                n_staff += 1
    return n_leave, n_quit, n_staff


@jit
def election_results(q, po_community, po_filled, po_origin, is_committee, res_community, res_present,
                     res_satisfaction, res_trust, res_voted, C, u_elect, lost):
    """Incumbent committee members who are not dispatched stand for re-election; each keeps
    the post with probability logistic(base + b_σ (σ̄ − ½) + b_τ (τ̄ − ½)) of the voters'
    mean satisfaction and trust (of all residents present where nobody voted). Dispatched
    leaders are confirmed ("elected in form, appointed in fact"). Returns how many lost."""
    sat = np.zeros(C)
    tru = np.zeros(C)
    n = np.zeros(C)
    sat_all = np.zeros(C)
    tru_all = np.zeros(C)
    n_all = np.zeros(C)
    for i in range(len(res_community)):
        if not res_present[i]:
            continue
        c = res_community[i]
        sat_all[c] += res_satisfaction[i]
        tru_all[c] += res_trust[i]
        n_all[c] += 1.0
        if res_voted[i]:
            sat[c] += res_satisfaction[i]
            tru[c] += res_trust[i]
            n[c] += 1.0
    for c in range(C):
        if n[c] > 0:
            sat[c] /= n[c]
            tru[c] /= n[c]
        elif n_all[c] > 0:
            sat[c] = sat_all[c] / n_all[c]
            tru[c] = tru_all[c] / n_all[c]
    count = 0
    for i in range(len(po_community)):
        lost[i] = False
        if not po_filled[i] or not is_committee[i] or po_origin[i] == T.DISPATCHED:
            continue
        c = po_community[i]
        p = logistic(q.reelect_base + q.reelect_satisfaction * (sat[c] - 0.5) + q.reelect_trust * (tru[c] - 0.5))
        if u_elect[i] >= p:
            lost[i] = True
            count += 1
    return count


@jit
def vacate(i, po_filled, po_person, po_origin, po_burnout, po_established, po_grade):
    po_filled[i] = False
    po_person[i] = -1
    po_origin[i] = -1
    po_burnout[i] = 0.0
    po_established[i] = False
    po_grade[i] = 0.0


@jit
def layoffs(q, po_community, po_filled, po_person, po_frozen, po_tenure, is_project, com_balance, com_wages, po_origin,
            po_burnout, po_established, po_grade):
    """A community whose deficit exceeds ``layoff_threshold`` months of its wage bill lays off
    its most recent project-paid worker (one a month) and freezes the post until its account
    is back in balance ("cut away"). Returns how many were laid off."""
    C = len(com_balance)
    for i in range(len(po_community)):
        if po_frozen[i] and com_balance[po_community[i]] >= 0.0:
            po_frozen[i] = False
    n = 0
    for c in range(C):
        if not com_balance[c] < -q.layoff_threshold * max(com_wages[c], 1.0):
            continue
        best = -1
        for i in range(len(po_community)):
            if po_community[i] == c and po_filled[i] and is_project[i]:
                if best < 0 or po_tenure[i] < po_tenure[best]:
                    best = i
        if best >= 0:
            vacate(best, po_filled, po_person, po_origin, po_burnout, po_established, po_grade)
            po_frozen[best] = True
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


@jit
def careers(q, po_filled, po_origin, po_tenure, po_established, po_grade, u_convert):
    """Career-establishment conversion of eligible workers at ``establishment_rate``; grade
    steps on the ladder every ``grade_months`` of tenure."""
    ladder = q.promotion_ladder > 0.5
    for i in range(len(po_filled)):
        local = po_filled[i] and po_origin[i] != T.DISPATCHED
        if (local and not po_established[i] and po_tenure[i] >= q.establishment_tenure
                and u_convert[i] < q.establishment_rate):
            po_established[i] = True
        po_grade[i] = min(q.max_grades, math.floor(po_tenure[i] / q.grade_months)) if ladder and local else 0.0


# ================================================================================= 7. budget
@jit
def settle_budget(q, s, po_community, po_filled, po_grade, po_established, base_pay, insured, on_budget, is_project,
                  resident_sums, com_street, com_present, com_balance, com_pipeline,
                  com_activity_spend, com_wages, com_coverage, plan_project_wages, approval_delay, org_kind, org_staff,
                  org_funds, org_months_broke, org_hours, org_active, org_serial, link_org, link_community, link_paid,
                  counters, u_project, u_org):
    """Income by regime (project, stable line, reward in lieu of subsidy), money through the
    approval pipeline, donations, wages, activity spending up to a cap and the share of it that
    buys services; organisations are paid, fold when broke, and enter where purchase money
    finds no provider.
    Staff and grid workers are paid from project grants under the project regime and from the
    budget line otherwise."""
    C = len(com_balance)
    costs = post_costs(q, base_pay, po_grade, po_established, insured, on_budget)
    wages = np.zeros(C)
    wages_project = np.zeros(C)
    all_cost = 0.0
    for i in range(len(po_community)):
        cost = costs[i]
        all_cost += cost
        if po_filled[i]:
            wages[po_community[i]] += cost
            if is_project[i]:
                wages_project[po_community[i]] += cost
    belonging = resident_sums[2]
    regime = int(q.budget_regime)
    loss_rate = (q.fragmentation_loss * (1.0 - q.pooled_loss_cut * q.pooled_funds)
                 * (1.0 - q.authority_loss_cut * q.fund_authority))
    M = com_pipeline.shape[1]
    purchase = np.zeros(C)
    total_loss = 0.0
    total_donations = 0.0
    for c in range(C):
        n_res = float(com_present[c])
        plan = q.activity_budget * n_res
        core = wages[c] - wages_project[c]
        if regime == REGIME_STABLE:
            now = core + plan_project_wages[c]
            delayed = plan
            lost = 0.0
        elif regime == REGIME_PROJECT:
            now = core
            gross = T.PROJECT_MONTHS * (plan_project_wages[c] + plan) if u_project[c] < q.project_rate else 0.0
            lost = gross * loss_rate
            delayed = gross - lost
        else:
            now = core + plan_project_wages[c]
            earned = com_coverage[c] >= q.reward_threshold
            gross = plan * ((1.0 - q.reward_share) + (2.0 * q.reward_share if earned else 0.0))
            lost = gross * loss_rate * q.reward_loss_factor
            delayed = gross - lost
        d = min(max(approval_delay[c], 0), M - 1)
        com_pipeline[c, d] += delayed
        released = com_pipeline[c, 0]
        for k in range(M - 1):
            com_pipeline[c, k] = com_pipeline[c, k + 1]
        com_pipeline[c, M - 1] = 0.0
        donation = q.donation_drive * q.donation_per_resident * n_res * (
            T.DONATION_BELONGING + (belonging[c] / n_res if n_res > 0 else 0.0))
        total_loss += lost
        total_donations += donation
        com_balance[c] += now + released + donation - wages[c]
        spend = min(max(com_balance[c], 0.0), q.spend_cap * plan)
        purchase[c] = spend * q.purchase_share
        com_activity_spend[c] = spend - purchase[c]
        com_wages[c] = wages[c]
    paid = pay_organisations(purchase, link_org, link_community, link_paid, org_funds, org_active)
    spent = 0.0
    bought = 0.0
    for c in range(C):
        com_balance[c] -= com_activity_spend[c] + paid[c]
        spent += wages[c] + com_activity_spend[c] + paid[c]
        bought += paid[c]
    organisation_turnover(q, com_street, purchase, paid, org_kind, org_staff, org_funds, org_months_broke, org_hours,
                          org_active, org_serial, link_org, link_community, link_paid, counters, u_org)
    s.wage_bill = wages.sum()
    s.wage_cost_all = all_cost
    s.spending_total = spent
    s.fragmentation_loss = total_loss
    s.purchase_spending = bought
    s.donations = total_donations


@jit
def pay_organisations(purchase, link_org, link_community, link_paid, org_funds, org_active):
    """Pay each community's purchase-of-service money to the active organisations tied to it,
    in equal shares; a community without one keeps its money (paid 0)."""
    C = len(purchase)
    n_links = np.zeros(C)
    for j in range(len(link_org)):
        if org_active[link_org[j]] and link_community[j] >= 0:
            n_links[link_community[j]] += 1.0
    paid = np.zeros(C)
    for c in range(C):
        paid[c] = purchase[c] if n_links[c] > 0 and purchase[c] > 0 else 0.0
    for j in range(len(link_org)):
        c = link_community[j]
        if c >= 0 and paid[c] > 0 and org_active[link_org[j]]:
            share = purchase[c] / n_links[c]
            org_funds[link_org[j]] += share
            link_paid[j] += share
    return paid


@jit
def organisation_turnover(q, com_street, purchase, paid, org_kind, org_staff, org_funds, org_months_broke, org_hours,
                          org_active, org_serial, link_org, link_community, link_paid, counters, u_org):
    """Months without money; recent payments decay; organisations broke for
    ``org_fold_months`` fold (their ties go). A new organisation enters a street with
    probability 1 − exp(−unmet purchase money / ``org_entry_scale``) + linkage × the
    incubation chance, at the community with the most unmet money (or one at random), in a
    free slot of the organisation table (the model keeps enough)."""
    for o in range(len(org_funds)):
        if not org_active[o]:
            continue
        org_months_broke[o] = org_months_broke[o] + 1 if org_funds[o] < 1.0 else 0
        if org_months_broke[o] >= q.org_fold_months:
            org_active[o] = False
            for j in range(2 * o, 2 * o + 2):
                link_community[j] = -1
                link_paid[j] = 0.0
    for j in range(len(link_paid)):
        link_paid[j] *= T.PAID_DECAY
    S = u_org.shape[1]
    for st in range(S):
        market = 0.0
        best = -1
        members = 0
        for c in range(len(com_street)):
            if com_street[c] != st:
                continue
            members += 1
            unmet = purchase[c] - paid[c]
            market += unmet
            if best < 0 or unmet > purchase[best] - paid[best]:
                best = c
        if members == 0:
            continue
        p_entry = 1.0 - math.exp(-market / q.org_entry_scale) + q.linkage_org_entry * q.four_social_linkage
        if u_org[0, st] >= p_entry:
            continue
        target = best
        if market <= 0:
            target = nth_member(com_street, st, min(int(u_org[1, st] * members), members - 1))
        found_org(target, u_org[2:, st], q.org_entry_funds, com_street, org_kind, org_staff, org_funds,
                  org_months_broke, org_hours, org_active, org_serial, link_community, link_paid, counters)


@jit
def nth_member(com_street, street, n):
    """The ``n``-th community (in order) of a street."""
    for c in range(len(com_street)):
        if com_street[c] == street:
            if n == 0:
                return c
            n -= 1
    return -1


@jit
def found_org(c, u, funds, com_street, org_kind, org_staff, org_funds, org_months_broke, org_hours, org_active,
              org_serial, link_community, link_paid, counters):
    """A new organisation in the first free slot, tied to community ``c`` and, with probability
    ½, to another community of its street; ``u`` holds four uniforms (kind, staff, whether and
    which second community). Returns its slot, or −1 when the table is full."""
    o = -1
    for i in range(len(org_active)):
        if not org_active[i]:
            o = i
            break
    if o < 0:
        return -1
    org_active[o] = True
    org_kind[o] = min(int(u[0] * T.N_ORG_KINDS), T.N_ORG_KINDS - 1)
    lo, hi = T.ORG_STAFF
    org_staff[o] = lo + min(int(u[1] * (hi - lo)), hi - lo - 1)
    org_funds[o] = funds
    org_months_broke[o] = 0
    org_hours[o] = 0.0
    org_serial[o] = counters[1]
    counters[1] += 1
    link_community[2 * o] = c
    link_paid[2 * o] = 0.0
    link_community[2 * o + 1] = -1
    link_paid[2 * o + 1] = 0.0
    members = 0
    for k in range(len(com_street)):
        if com_street[k] == com_street[c]:
            members += 1
    if members > 1 and u[2] < T.ORG_SECOND_COMMUNITY:
        other = nth_member(com_street, com_street[c], min(int(u[3] * members), members - 1))
        if other != c:
            link_community[2 * o + 1] = other
    return o


# ================================================================================= 9. outputs
@jit
def record_outputs(row, par, month_no, months_in_window, stats, hist, res_age_group, res_present, res_migrant,
                   res_activist, res_participated, res_voted, res_volunteer, res_satisfaction, res_trust,
                   res_efficacy, res_belonging, res_contacted, po_role, po_filled, po_origin, po_parttime,
                   po_established, po_tenure, po_burnout, po_overtime, po_admin, po_service, po_age, is_leader,
                   is_committee, is_project, po_grade, base_pay, insured, on_budget, com_tasks, com_reentered,
                   com_balance, com_implemented, com_elite_won, facility_met, n_grids, n_orgs):
    """Every declared output of the month (model/outputs.py), into the recorder's row. The
    committee wage bill is on the posts as they are at the end of the month (after any
    restructuring); the other money flows are the month's."""
    o = row[0]
    s = stats[0]
    q = par[0]
    # counts as integers and without data-dependent branches (the flags are random)
    counts = np.zeros((3, 3), np.int64)  # by age group: present, took part, voted
    migrants = part_migrants = activists = part_activists = vote_activists = volunteers = satisfied = contacted = 0
    sums = np.zeros(4)
    for i in range(len(res_age_group)):
        if not res_present[i]:
            continue
        a = res_age_group[i]
        took, voted = np.int64(res_participated[i]), np.int64(res_voted[i])
        activist, migrant = np.int64(res_activist[i]), np.int64(res_migrant[i])
        counts[a, 0] += 1
        counts[a, 1] += took
        counts[a, 2] += voted
        part_activists += took * activist
        part_migrants += took * migrant
        activists += activist
        vote_activists += activist * voted
        migrants += migrant
        volunteers += np.int64(res_volunteer[i])
        satisfied += np.int64(res_satisfaction[i] >= T.SATISFIED)
        contacted += np.int64(res_contacted[i])
        sums[0] += res_satisfaction[i]
        sums[1] += res_trust[i]
        sums[2] += res_efficacy[i]
        sums[3] += res_belonging[i]
    n = counts[:, 0].astype(np.float64)
    part = counts[:, 1].astype(np.float64)
    votes = counts[:, 2].astype(np.float64)
    residents = max(n.sum(), 1.0)
    participants = part.sum()
    o.month = month_no
    o.participation_rate = participants / residents
    o.participation_youth = part[T.YOUTH] / max(n[T.YOUTH], 1.0)
    o.participation_middle = part[T.MIDDLE] / max(n[T.MIDDLE], 1.0)
    o.participation_elderly = part[T.ELDERLY] / max(n[T.ELDERLY], 1.0)
    o.elderly_share_of_participants = part[T.ELDERLY] / participants if participants > 0 else 0.0
    o.participation_migrant = part_migrants / max(migrants, 1.0)
    o.participation_local = (participants - part_migrants) / max(residents - migrants, 1.0)
    o.activist_share_of_participants = part_activists / participants if participants > 0 else 0.0
    o.election_turnout = votes.sum() / residents
    o.turnout_youth = votes[T.YOUTH] / max(n[T.YOUTH], 1.0)
    o.turnout_middle = votes[T.MIDDLE] / max(n[T.MIDDLE], 1.0)
    o.turnout_elderly = votes[T.ELDERLY] / max(n[T.ELDERLY], 1.0)
    o.turnout_activist = vote_activists / max(activists, 1.0)
    o.volunteer_rate = volunteers / residents
    o.satisfaction_mean = sums[0] / residents
    o.satisfied_share = satisfied / residents
    o.trust_mean = sums[1] / residents
    o.efficacy_mean = sums[2] / residents
    o.belonging_mean = sums[3] / residents
    o.contact_rate = contacted / residents
    # posts
    posts = float(len(po_role))
    filled = 0.0
    staff = 0.0
    leaders = 0.0
    dispatched_leaders = 0.0
    tenure = 0.0
    burnout = 0.0
    overtime = 0.0
    admin = 0.0
    worked = 0.0
    grid_admin = 0.0
    grid_worked = 0.0
    parttime = 0.0
    established = 0.0
    age = 0.0
    committee = 0.0
    committee_cost = 0.0
    costs = post_costs(q, base_pay, po_grade, po_established, insured, on_budget)
    for i in range(len(po_role)):
        if is_committee[i]:
            committee += 1.0
            committee_cost += costs[i]
        if not po_filled[i]:
            continue
        filled += 1.0
        if is_project[i]:
            staff += 1.0
        tenure += po_tenure[i]
        burnout += po_burnout[i]
        overtime += po_overtime[i]
        admin += po_admin[i]
        worked += po_admin[i] + po_service[i]
        if po_role[i] == T.GRID_WORKER:
            grid_admin += po_admin[i]
            grid_worked += po_admin[i] + po_service[i]
        if is_leader[i]:
            leaders += 1.0
            if po_origin[i] == T.DISPATCHED:
                dispatched_leaders += 1.0
        if po_parttime[i]:
            parttime += 1.0
        if po_established[i]:
            established += 1.0
        age += po_age[i]
    nf = max(filled, 1.0)
    annual = 12.0 / months_in_window
    o.turnover_annual = hist[0].sum() * annual / nf
    o.quit_rate_annual = hist[1].sum() * annual / nf
    o.staff_turnover_annual = hist[2].sum() * annual / max(staff, 1.0)
    o.election_turnover_annual = hist[3].sum() * annual / nf
    o.vacancy_rate = 1.0 - filled / max(posts, 1.0)
    o.mean_tenure = tenure / nf
    o.cadre_age_mean = age / nf
    o.dispatched_leader_share = dispatched_leaders / leaders if leaders > 0 else 0.0
    o.burnout_mean = burnout / nf
    o.parttime_share = parttime / nf
    o.established_share = established / nf
    o.n_cadres = filled
    o.n_posts = posts
    o.committee_posts = committee
    o.admin_tasks = com_tasks.sum()
    o.admin_tasks_per_community = com_tasks.mean() if len(com_tasks) else 0.0
    o.tasks_reentered = com_reentered.sum()
    o.admin_share = admin / worked if worked > 0 else 0.0
    o.grid_admin_share = grid_admin / grid_worked if grid_worked > 0 else 0.0
    o.overtime_mean = overtime / nf
    implemented = 0.0
    elite = 0.0
    for c in range(len(com_implemented)):
        if com_implemented[c]:
            implemented += 1.0
            if com_elite_won[c]:
                elite += 1.0
    C = max(len(com_implemented), 1)
    o.implemented_share = implemented / C
    o.elite_win_share = elite / max(implemented, 1.0)
    # services and budget
    o.service_coverage = s.met.sum() / max(s.need.sum(), 1.0)
    o.coverage_elderly_care = s.met[0] / s.need[0] if s.need[0] > 0 else 1.0
    o.coverage_childcare = s.met[1] / s.need[1] if s.need[1] > 0 else 1.0
    o.coverage_health = s.met[2] / s.need[2] if s.need[2] > 0 else 1.0
    o.coverage_culture = s.met[3] / s.need[3] if s.need[3] > 0 else 1.0
    o.coverage_environment = s.met[4] / s.need[4] if s.need[4] > 0 else 1.0
    supply = s.cadre_hours + s.org_hours
    o.so_service_share = s.org_hours / supply if supply > 0 else 0.0
    o.n_social_orgs = n_orgs
    o.facilities_standard_share = facility_met.mean() if len(facility_met) else 0.0
    o.wage_bill = s.wage_bill
    o.budgeted_wage_bill_annual = 12.0 * s.wage_cost_all
    o.committee_wage_bill_annual = 12.0 * committee_cost
    o.spending_total = s.spending_total
    o.spending_per_resident = s.spending_total / residents
    o.fragmentation_loss = s.fragmentation_loss
    o.purchase_spending = s.purchase_spending
    o.donations = s.donations
    o.budget_balance = com_balance.sum()
    o.n_communities = float(len(com_implemented))
    o.n_grids = n_grids
    o.n_residents = n.sum()
