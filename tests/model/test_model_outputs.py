"""Every declared output (model/outputs.py) against its definition, recomputed here from the
model's state at the end of each month: a world with urban and rural communities, organisations,
part-time posts, insurance, careers, consultations every month and an election in the window,
so that no output is trivially zero. An output that reads the wrong age group, divides by the
wrong count or sums the wrong posts differs from its definition."""

import numpy as np
import pytest

from model import processes as P
from model import tables as T
from model.model import GovernanceModel
from model.outputs import OUTPUTS

WORLD = dict(n_streets=2, communities_per_street=3, residents_per_community=300, urban_share=0.5, burn_in=3,
             so_per_community=1.5, purchase_share=0.3, social_insurance=True, promotion_ladder=True, grade_months=6,
             establishment_rate=0.1, establishment_tenure=12, consultation_interval=1, first_election=4,
             term_length=12, decision_authority=0.6, parttime_committee=0.5, donation_drive=0.5,
             task_access_list=0.3, tasks_fixed=150.0)


def definitions(m: GovernanceModel) -> dict[str, float]:
    """The outputs of the month just recorded, from their definitions (docs/ODD.md §12)."""
    r, po, com, s = m.residents, m.posts, m.communities, m.stats[0]
    here = r.present
    age = r.age_group[here]
    took, voted = r.participated[here], r.voted[here]
    migrant, activist = r.migrant[here], r.activist[here]
    n = np.bincount(age, minlength=3).astype(float)
    part = np.bincount(age, weights=took, minlength=3)
    votes = np.bincount(age, weights=voted, minlength=3)
    residents = max(n.sum(), 1.0)
    participants = part.sum()
    out = {
        "participation_rate": participants / residents,
        "participation_youth": part[0] / max(n[0], 1), "participation_middle": part[1] / max(n[1], 1),
        "participation_elderly": part[2] / max(n[2], 1),
        "elderly_share_of_participants": part[2] / participants if participants else 0.0,
        "participation_migrant": (took & migrant).sum() / max(migrant.sum(), 1),
        "participation_local": (took & ~migrant).sum() / max((~migrant).sum(), 1),
        "activist_share_of_participants": (took & activist).sum() / participants if participants else 0.0,
        "election_turnout": votes.sum() / residents,
        "turnout_youth": votes[0] / max(n[0], 1), "turnout_middle": votes[1] / max(n[1], 1),
        "turnout_elderly": votes[2] / max(n[2], 1),
        "turnout_activist": (voted & activist).sum() / max(activist.sum(), 1),
        "volunteer_rate": r.volunteer[here].sum() / residents,
        "satisfaction_mean": r.satisfaction[here].sum() / residents,
        "satisfied_share": (r.satisfaction[here] >= T.SATISFIED).sum() / residents,
        "trust_mean": r.trust[here].sum() / residents, "efficacy_mean": r.efficacy[here].sum() / residents,
        "belonging_mean": r.belonging[here].sum() / residents, "contact_rate": r.contacted[here].sum() / residents,
        "n_residents": n.sum(),
    }
    d = m.derived()
    f = po.filled
    nf = max(f.sum(), 1)
    window = min(max(m.month + int(m.p["burn_in"]), 1), 12)
    cost = P.post_pay(m.par[0], d["base_pay"], po.grade, po.established) * (
        1 + m.p["insurance_rate"] * d["insured"]) * d["on_budget"]
    leaders = f & d["is_leader"]
    worked = po.admin + po.service
    grid = f & (po.role == T.GRID_WORKER)
    out |= {
        "turnover_annual": m.hist[0].sum() * 12 / window / nf, "quit_rate_annual": m.hist[1].sum() * 12 / window / nf,
        "staff_turnover_annual": m.hist[2].sum() * 12 / window / max((f & d["is_project"]).sum(), 1),
        "election_turnover_annual": m.hist[3].sum() * 12 / window / nf,
        "vacancy_rate": 1 - f.sum() / max(po.n, 1), "mean_tenure": po.tenure[f].sum() / nf,
        "cadre_age_mean": po.age[f].sum() / nf,
        "dispatched_leader_share": (leaders & (po.origin == T.DISPATCHED)).sum() / leaders.sum() if leaders.any()
        else 0.0,
        "burnout_mean": po.burnout[f].sum() / nf, "parttime_share": (f & po.parttime).sum() / nf,
        "established_share": (f & po.established).sum() / nf, "n_cadres": float(f.sum()), "n_posts": float(po.n),
        "committee_posts": float(d["is_committee"].sum()),
        "committee_wage_bill_annual": 12 * cost[d["is_committee"]].sum(),
        "admin_share": po.admin[f].sum() / worked[f].sum() if worked[f].sum() > 0 else 0.0,
        "grid_admin_share": po.admin[grid].sum() / worked[grid].sum() if worked[grid].sum() > 0 else 0.0,
        "overtime_mean": po.overtime[f].sum() / nf,
        "admin_tasks": com.tasks.sum(), "admin_tasks_per_community": com.tasks.mean(),
        "tasks_reentered": com.reentered.sum(),
        "implemented_share": com.implemented.sum() / com.n,
        "elite_win_share": (com.implemented & com.elite_won).sum() / max(com.implemented.sum(), 1),
        "service_coverage": s["met"].sum() / max(s["need"].sum(), 1),
        **{f"coverage_{k}": s["met"][i] / s["need"][i] if s["need"][i] > 0 else 1.0
           for i, k in enumerate(T.SERVICE_TYPES)},
        "so_service_share": s["org_hours"] / (s["cadre_hours"] + s["org_hours"])
        if s["cadre_hours"] + s["org_hours"] > 0 else 0.0,
        "n_social_orgs": float(m.organisation_table.active.sum()),
        "facilities_standard_share": d["facility_met"].mean(),
        "wage_bill": s["wage_bill"], "budgeted_wage_bill_annual": 12 * s["wage_cost_all"],
        "spending_total": s["spending_total"], "spending_per_resident": s["spending_total"] / residents,
        "fragmentation_loss": s["fragmentation_loss"], "purchase_spending": s["purchase_spending"],
        "donations": s["donations"], "budget_balance": com.balance.sum(), "n_communities": float(com.n),
        "n_grids": float(m.grids.n),
    }
    return out


def test_every_output_is_its_definition_month_by_month():
    m = GovernanceModel(rng=19, horizon=14, agent_data=False, **WORLD)
    seen = {name: set() for name in OUTPUTS}
    for _ in range(14):
        m.step()
        want = definitions(m)
        assert set(want) == set(OUTPUTS)
        got = m.current_outputs
        for name in OUTPUTS:
            assert got[name] == pytest.approx(want[name], rel=1e-9, abs=1e-12), (name, m.month)
            seen[name].add(round(float(want[name]), 12))
    # the world exercises every output: each takes a value other than 0 in some month
    assert not [name for name, values in seen.items() if values <= {0.0}]


def test_outputs_where_nobody_is_left_to_count():
    """A village that empties (everyone moves away) reports every output by its definition's
    rule for an empty count: services with no need count as fully covered, shares of nobody as
    0, means over nobody as 0 — and nothing is NaN. The definitions are checked month by month
    on the way down, so each need type passes through zero demand."""
    m = GovernanceModel(rng=3, horizon=400, agent_data=False, communities_per_street=1, residents_per_community=20,
                        outmigration_rate=0.5, burn_in=0, consultation_interval=1, first_election=6, term_length=12)
    emptied = False
    for _ in range(400):
        m.step()
        want = definitions(m)
        for name, value in m.current_outputs.items():
            assert np.isfinite(value), (name, m.month)
            assert value == pytest.approx(want[name], rel=1e-9, abs=1e-12), (name, m.month)
        if not m.residents.present.any():
            if emptied:  # a whole month with nobody there
                break
            emptied = True
    assert emptied and not m.residents.present.any(), "the village should have emptied"
    out = m.current_outputs
    assert all(out[f"coverage_{k}"] == 1.0 for k in T.SERVICE_TYPES) and out["service_coverage"] == 0.0
    assert out["participation_rate"] == 0.0 and out["n_residents"] == 0.0
