"""GovernanceModel: the monthly cycle of community governance.

``step()`` is the ODD process overview, one named process per line (docs/ODD.md §3 mirrors
it). The state lives in the declared entity tables of ``model/state.py`` — ``residents``,
``posts``, ``communities``, ``grids``, ``organisations`` and ``links`` — and every process
is a compiled kernel of ``model/kernels.py`` fed with the month's random numbers from the
process's own stream. Posts and the workforce (``model/workforce.py``), restructuring
(``model/restructure.py``) and the organisation market (``model/organisations.py``) live in
modules of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.agent import AgentSet

from . import kernels as K
from . import tables as T
from .agents import Cadre, Resident, SocialOrganisation, StreetOffice
from .organisations import OrganisationMarket
from .outputs import OUTPUTS
from .parameters import Change, normalise_schedule, resolve
from .recorder import MonthlyRecorder
from .restructure import Restructuring
from .rng import make_streams, seed_to_int
from .state import COMMUNITIES, GRIDS, RESIDENTS, Table
from .workforce import Workforce
from .world import assign_grids, build_communities, build_residents, facility_standard, small_world_ties

__all__ = ["GovernanceModel", "efficacy_fixed_point"]

_REGIMES = {"project": 0, "stable": 1, "reward": 2}


def efficacy_fixed_point(decision_authority: float, loser_learning: float, win_chance: float = 0.5) -> float:
    """The efficacy ε* at which a participant's expected change after a consultation is zero:
    E[Δε] = κ [δ (q (1 − ε) − (1 − q) ℓ ε) − (1 − δ) ε] = 0, with δ the chance the outcome is
    implemented, q the chance her side wins, ℓ the loss weight of a lost vote."""
    d, q, lo = decision_authority, win_chance, loser_learning
    den = d * q + d * (1.0 - q) * lo + (1.0 - d)
    return d * q / den if den > 0 else 0.0


class GovernanceModel(Workforce, Restructuring, OrganisationMarket, mesa.Model):
    """Agent-based model of community governance under funding and decentralisation policies.

    Parameters
    ----------
    rng:
        The run's seed (an int). Every random draw, graphs included, comes from named streams
        spawned from it. ``seed=`` is accepted as an alias.
    horizon:
        Months recorded after month 0; ``running`` turns False after this many steps.
    schedule:
        Policy changes: :class:`~model.parameters.Change` objects, ``(month, name, value)``
        tuples or ``{"month", "name", "value"}`` dicts. A change for month *t* takes effect at
        the end of month *t* (``apply_policies``) and drives the processes from month *t* + 1.
    agent_data:
        Record agent-level data every month (cadres and a panel of residents), so
        ``datacollector.get_agent_vars_dataframe()`` works. ``model.run.simulate`` turns it off.
    panel_size:
        Residents in the recorded panel (drawn once from the run's seed).
    record_burn_in:
        Also record the burn-in months (as negative months), e.g. to show that it settles.
    **params:
        Overrides of the registry defaults (``model.parameters.REGISTRY``).

    Before month 0 the model runs ``burn_in`` months under the month-0 settings (the
    overrides, without scheduled changes); they are not recorded. Month 0 is the last of them.
    """

    def __init__(self, *, rng: int | None = None, seed: int | None = None, horizon: int = 120,
                 schedule: Iterable[Any] = (), agent_data: bool = True, panel_size: int = 100,
                 record_burn_in: bool = False, **params: Any) -> None:
        if rng is not None and seed is not None:
            raise ValueError("pass the run's seed as rng= or seed=, not both")
        run_seed = rng if rng is not None else seed
        if run_seed is None:
            raise ValueError("GovernanceModel needs a seed: rng=<int> (runs are reproducible only from a seed)")
        if isinstance(run_seed, np.random.Generator):
            run_seed = int(run_seed.integers(2**63))
        run_seed = seed_to_int(run_seed)
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise ValueError(f"horizon must be a whole number of months ≥ 1, got {horizon!r}")
        super().__init__(rng=run_seed)
        self.run_seed = run_seed
        self.horizon = int(horizon)
        self.p: dict[str, Any] = resolve(params)
        self.schedule_changes: tuple[Change, ...] = normalise_schedule(schedule)
        self.streams = make_streams(self.run_seed)
        self.month = -int(self.p["burn_in"])
        self.applied: list[Change] = []
        self.next_election = self._first_election()
        self.sep_hist = np.zeros(12)  # separations of the last 12 months (ring, by month)
        self.quit_hist = np.zeros(12)
        self.staff_sep_hist = np.zeros(12)
        self.election_hist = np.zeros(12)
        self.last_election_stats = np.zeros(3)  # turnout, re-election rate, members who stood
        self.stats: dict[str, float] = {}
        self.record_burn_in = bool(record_burn_in)

        # ------------------------------------------------------------ world
        self.communities = Table("communities", COMMUNITIES, 0)
        self.communities.replace(self.p["n_streets"] * self.p["communities_per_street"],
                                 build_communities(self.p, self.streams["structure"]))
        res = build_residents(self.communities, self.p, self.streams["structure"])
        self.residents = Table("residents", RESIDENTS, len(res["community"]))
        self.residents.community = res["community"]
        self.residents.household = res["household"]
        self.residents.age_group = res["age"]
        self.residents.dist = res["dist"]
        self.grids = Table("grids", GRIDS, 0)
        self._assign_grids()
        self._init_residents()
        homophily = self.p["age_homophily"] if self.p["mech_homophily"] else 0.0
        self.ties: sp.csr_array = small_world_ties(res, self.residents.grid, self.communities, self.p,
                                                   self.streams["network"], homophily=homophily)
        self._social_graph: nx.Graph | None = None
        self._count_present()

        # ------------------------------------------------------------ agents
        self.street_offices = [StreetOffice(self, s) for s in range(self.p["n_streets"])]
        for office in self.street_offices:
            office.adopt(self.p)
        self._init_posts()
        self._init_accounts()
        self._init_organisations()
        self.hierarchy = self._build_hierarchy()
        if self.p["merge_rate"] > 0:  # a merged world from the start: merge before the burn-in
            self._merge(0.0, self.p["merge_rate"])
        self.panel = np.sort(self.streams["panel"].choice(self.n_residents, min(panel_size, self.n_residents),
                                                          replace=False))
        self.recorder = MonthlyRecorder(list(OUTPUTS), agent_data=agent_data)
        self.datacollector = self.recorder  # the name mesa.batch_run looks for

        # ------------------------------------------------------------ burn-in, month 0
        for _ in range(int(self.p["burn_in"])):
            GovernanceModel.step(self)  # the monthly cycle without Mesa's step counter
        if self.p["burn_in"] == 0:
            self._apply_due_changes(up_to=0)
            self.allocate_cadre_time()
            self.collect()

    # ================================================================== the monthly cycle
    def step(self) -> None:
        """One month, in the order of the ODD process overview."""
        self.assign_admin_tasks()
        self.allocate_cadre_time()
        self.deliver_services()
        self.update_attitudes()
        self.update_participation()
        self.update_workforce()
        self.settle_budget()
        self.apply_policies()
        self.collect()

    def run_for(self, duration: int) -> None:  # type: ignore[override]
        """Advance ``duration`` months."""
        for _ in range(int(duration)):
            self.step()

    def run_model(self) -> None:
        """Run until the horizon."""
        while self.running:
            self.step()

    # ------------------------------------------------------------------ 1. admin tasks
    def assign_admin_tasks(self) -> None:
        """Departments push tasks down: a fixed part per community and a part per household;
        the task access list bars a share, of which some re-enter through other channels;
        inspections and 'leave a trace' documentation follow the assessment pressure;
        information platforms add data entry."""
        p, rng, com = self.p, self.streams["admin"], self.communities
        C = com.n
        households = com.households if p["mech_household_tasks"] else np.full(C, T.REFERENCE_HOUSEHOLDS)
        arrived = rng.poisson(p["tasks_fixed"] + p["tasks_per_household"] * households)
        barred = self._office_value("task_access_list")
        passed = rng.binomial(arrived, 1.0 - barred)
        compliance = p["list_compliance"] if p["mech_list_leakage"] else 1.0
        reentered = rng.binomial(arrived - passed, 1.0 - compliance)
        assess = p["mech_assessment"]
        inspections = rng.poisson(np.full(C, p["inspections"] if assess else 0.0))
        com.tasks = passed + reentered
        com.reentered = reentered
        hours_per_task = p["task_hours"] * (1.0 - p["info_saving"] * p["informatisation"])
        trace = p["trace_hours"] * p["assessment_pressure"] if assess else 0.0
        platforms = float(p["n_platforms"]) if p["mech_platforms"] else 0.0
        by_type = np.empty((C, T.N_TASK_TYPES))
        K.task_hours(com.tasks, inspections.astype(np.float64), platforms, T.TASK_SHARE, T.TASK_TIME, hours_per_task,
                     trace, p["inspection_hours"], p["platform_hours"], by_type)
        self._admin_by_type = by_type
        com.admin_hours = by_type.sum(axis=1)

    # ------------------------------------------------------------------ 2. cadre time
    def allocate_cadre_time(self) -> None:
        """Administrative tasks are assessed from above and come first, shared among the
        cadres in post by role and task type; the rest of the contracted hours goes to
        services and resident contact, with overtime to keep a minimum of service hours."""
        po, p = self.posts, self.p
        weights = T.ROLE_TASK_WEIGHT if p["mech_task_roles"] else T.ROLE_TASK_WEIGHT_UNIFORM
        K.allocate_time(po.community, po.role, po.filled, po.hours, self._admin_by_type, weights, p["cadre_hours"],
                        p["min_service_hours"], T.ROLE_CONTACT_SHARE, po.admin, po.service, po.overtime, po.contact)

    # ------------------------------------------------------------------ 3. services
    def deliver_services(self) -> None:
        """Grid visits; service supply by cadres (skill, burnout, scale), social organisations,
        volunteers and activity funds; who is served."""
        p, rng, res, po, com = self.p, self.streams["services"], self.residents, self.posts, self.communities
        N = res.n
        u_contact = rng.random(N)
        u_need = rng.random((N, T.N_SERVICES))
        p_contact = np.empty(self.grids.n)
        K.grid_contact(po.community, po.grid, po.role, po.filled, po.contact, self.grids.community,
                       self.grids.households, T.GRID_WORKER, p["hours_per_visit"], p_contact)
        productivity = po.skill * po.filled
        if p["mech_burnout_productivity"]:
            productivity = productivity * (1.0 - p["burnout_productivity"] * po.burnout)
        if p["mech_merger_scale"]:
            productivity = productivity * (1.0 + p["merger_scale_gain"] * np.log2(com.units))[po.community]
        cadre = np.bincount(po.community, weights=(po.service - po.contact) * productivity, minlength=com.n)
        org = self._organisation_hours()
        met, need = np.empty(T.N_SERVICES), np.empty(T.N_SERVICES)
        vol_hours = p["volunteer_hours"] * (1.0 + p["linkage_volunteer_hours"] * p["four_social_linkage"])
        K.services(res.community, res.grid, res.present, res.needs, res.dist, res.volunteer, u_contact,
                              u_need, p_contact, cadre, org, com.activity_spend, T.CADRE_SERVICE_MIX,
                              T.SO_SERVICE_MIX, T.VOLUNTEER_SERVICE_MIX, p["need_hours"], vol_hours,
                              p["activity_hours_per_yuan"], p["radius_decay"], res.contacted, res.quality,
                              com.coverage, met, need)
        supply = cadre.sum() + org.sum()
        self.stats.update(service_coverage=met.sum() / max(need.sum(), 1.0),
                          so_service_share=org.sum() / supply if supply > 0 else 0.0)
        for k, name in enumerate(T.SERVICE_TYPES):
            self.stats[f"coverage_{name}"] = met[k] / need[k] if need[k] else 1.0

    # ------------------------------------------------------------------ 4. attitudes
    def update_attitudes(self) -> None:
        """Satisfaction (against adapting expectations), expectations, trust, belonging."""
        p, res = self.p, self.residents
        fac = (self.communities.facility >= facility_standard(self.communities.urban)).astype(np.float64)
        w_d = p["disconfirmation_weight"] if p["mech_expectations"] else 0.0
        rate_x = p["expectation_rate"] if p["mech_expectations"] else 0.0
        mt, mv, mp = T.BELONGING_MIX
        K.attitudes(res.community, res.present, res.quality, res.contacted, res.volunteer, res.participated, fac,
                    res.disposition, res.satisfaction, res.expectation, res.trust, res.belonging, p["facility_weight"], w_d,
                    p["contact_satisfaction"], p["kappa_satisfaction"], rate_x, p["kappa_trust"], p["contact_trust"],
                    p["kappa_belonging"], mt, mv, mp)

    # ------------------------------------------------------------------ 5. participation
    def update_participation(self) -> None:
        """Volunteer drop-out; consultations at their interval (who takes part, which option is
        implemented, what participants learn, who becomes a volunteer); a committee election
        in an election month (who votes); out-migration from rural communities."""
        p, rng, res, com = self.p, self.streams["participation"], self.residents, self.communities
        N, C = res.n, com.n
        u = rng.random((5, N))  # take part, side, conversion, drop-out, vote
        u_access = rng.random(N)
        u_com = rng.random((2, C))  # agenda relevance, implemented
        held = (self.month + 1) % p["consultation_interval"] == 0
        beta = np.array([p["beta0"], p["beta_efficacy"], p["beta_trust"], p["beta_stake"], p["beta_network"],
                         p["beta_contact"]])
        costs = np.array([p["cost_youth"], p["cost_middle"], p["cost_elderly"]])
        capture = (p["elite_weight"] * (1.0 - p["disclosure_safeguard"] * p["disclosure"])
                   if p["mech_elite_capture"] else 0.0)
        divergence = p["interest_divergence"] if p["mech_elite_capture"] else 0.0
        conversion = p["volunteer_conversion"] * (1.0 + p["linkage_conversion"] * p["four_social_linkage"])
        K.participation(self.ties.indptr, self.ties.indices, res.community, res.present, res.age_group, res.digital,
                        res.activist, res.migrant, res.stake, res.propensity, res.efficacy, res.trust, res.contacted,
                        res.participated, res.p_participate, res.side, res.volunteer, com.present.astype(np.float64),
                        com.consulted, com.implemented, com.elite_won, held, u_com[0], u[0], u[1], u[2], u[3],
                        u_com[1], beta, costs, p["digital_cost_cut"] * p["digital_channels"],
                        p["activist_boost"] if p["mech_activists"] else 0.0,
                        p["migrant_cost"] if p["mech_migrants"] else 0.0,
                        p["size_effect"] if p["mech_group_size"] else 0.0, p["size_reference"], p["agenda_spread"],
                        p["decision_authority"], T.HIGH_STAKE, capture, divergence, p["kappa_efficacy"],
                        p["loser_learning"], p["disclosure_learning"] if p["disclosure"] else 0.0,
                        p["token_trust_loss"], conversion, p["volunteer_dropout"])
        self._voter_means = None
        if self._election_due():
            vs, vt, voters = np.empty(C), np.empty(C), np.empty(C)
            K.vote(res.community, res.present, res.age_group, res.activist, res.migrant, res.propensity, res.efficacy,
                   res.trust, res.satisfaction, u[4], u_access, res.voted, p["vote_base"], p["vote_mobilisation"],
                   p["beta_efficacy"], p["beta_trust"], costs, p["activist_boost"] if p["mech_activists"] else 0.0,
                   p["migrant_vote_access"] if p["mech_migrants"] else 1.0, com.present.astype(np.float64),
                   p["size_effect"] if p["mech_group_size"] else 0.0, p["size_reference"], vs, vt, voters)
            self._voter_means = (vs, vt)
            self.last_election_stats[0] = voters.sum() / max(com.present.sum(), 1)
        self._out_migration()

    # ------------------------------------------------------------------ 6. workforce
    def update_workforce(self) -> None:
        """Burnout follows job demands; retirements, rotations and quits open vacancies;
        committee elections in an election month; layoffs follow deficits; vacancies are
        filled by pay attractiveness and the appointment regime."""
        separations, quits, lost, staff_left = self._separations()
        laid_off = self._layoffs()
        self._recruit(elected=lost)
        self._convert_and_promote()
        i = (self.month + 1) % 12  # the month being processed
        self.sep_hist[i] = separations + laid_off
        self.quit_hist[i] = quits
        self.staff_sep_hist[i] = staff_left + laid_off
        self.election_hist[i] = int(lost.sum()) if lost is not None else 0

    # ------------------------------------------------------------------ 7. budget
    def settle_budget(self) -> None:
        """Income by regime and source, approval delay, fragmentation loss, wages, activity
        spending, purchase of services; organisations are paid, fold and enter."""
        p, rng, com, res = self.p, self.streams["budget"], self.communities, self.residents
        C = com.n
        u_project = rng.random(C)
        d = self.derived()
        cost = d["wage_cost"] * self.posts.filled
        wages = np.bincount(self.posts.community, weights=cost, minlength=C)
        wages_project = np.bincount(self.posts.community, weights=cost * d["is_project"], minlength=C)
        n_res = com.present.astype(np.float64)
        activity_plan = p["activity_budget"] * n_res
        loss_rate = (p["fragmentation_loss"] * (1.0 - p["pooled_loss_cut"] * p["pooled_funds"])
                     * (1.0 - p["authority_loss_cut"] * p["fund_authority"]))
        belonging = np.bincount(res.community, weights=res.belonging * res.present, minlength=C)
        released, loss, donations, spend, purchase = (np.empty(C) for _ in range(5))
        K.budget(wages, wages_project, d["plan_project_wages"], activity_plan,
                 n_res, belonging, com.coverage, com.balance, com.pipeline, d["approval_delay"],
                 _REGIMES[p["budget_regime"]], u_project, p["project_rate"], T.PROJECT_MONTHS, loss_rate,
                 p["reward_threshold"], p["reward_share"], p["reward_loss_factor"],
                 p["donation_drive"] * p["donation_per_resident"], T.DONATION_BELONGING, p["spend_cap"],
                 p["purchase_share"], released, loss, donations, spend, purchase)
        paid = self._pay_organisations(purchase)
        com.activity_spend = spend - purchase
        com.balance = com.balance - (spend - purchase) - paid
        com.wages = wages
        self._organisation_turnover(purchase - paid)
        self.stats.update(wage_bill=float(wages.sum()), budgeted_wage_bill_annual=float(12.0 * d["wage_cost"].sum()),
                          spending_total=float(wages.sum() + com.activity_spend.sum() + paid.sum()),
                          fragmentation_loss=float(loss.sum()), purchase_spending=float(paid.sum()),
                          donations=float(donations.sum()))

    # ------------------------------------------------------------------ 8. policies
    def apply_policies(self) -> None:
        """Changes scheduled for this month take effect at its end: they show in this month's
        structural outputs and drive the processes from next month on."""
        self.month += 1
        self._apply_due_changes(up_to=self.month)
        if self.month >= self.horizon:
            self.running = False

    # ------------------------------------------------------------------ 9. outputs
    def collect(self) -> None:
        """Record the declared outputs (and agent data) of months 0..horizon."""
        if self.month < 0 and not self.record_burn_in:
            return
        self.current_outputs = self._compute_outputs()
        self.recorder.collect(self)

    # ================================================================== initialisation
    def _init_residents(self) -> None:
        """Attributes drawn from the residents stream: needs, stake, digital access,
        registration, backbones, propensities, attitudes, volunteers."""
        p, rng, res, com = self.p, self.streams["residents"], self.residents, self.communities
        N, age = res.n, res.age_group
        res.needs = rng.random((N, T.N_SERVICES)) < T.NEED_PROB[age]
        a = np.asarray([ab[0] for ab in T.STAKE_BETA])[age]
        b = np.asarray([ab[1] for ab in T.STAKE_BETA])[age]
        res.stake = rng.beta(a, b)
        res.digital = rng.random(N) < np.asarray(T.DIGITAL_ACCESS)[age]
        u = rng.random((3, N))
        urban = com.urban[res.community]
        res.migrant = u[0] < np.where(urban, p["migrant_share_urban"], p["migrant_share_rural"])
        weight = np.asarray(T.ACTIVIST_AGE_WEIGHT)[age]
        mean_w = weight.mean() if N else 1.0
        res.activist = u[1] < p["activist_share"] * weight / max(mean_w, 1e-12)
        z = rng.standard_normal(N)
        res.propensity = z * p["propensity_sd"] if p["mech_thresholds"] else np.zeros(N)
        res.trust = rng.beta(*T.TRUST_BETA, N)
        # efficacy starts around the fixed point of consultation learning under the month-0
        # settings (docs/ODD.md §5), so the burn-in need not wait for its slow approach
        e_star = efficacy_fixed_point(p["decision_authority"], p["loser_learning"])
        res.efficacy = rng.beta(T.EFFICACY_CONCENTRATION * e_star, T.EFFICACY_CONCENTRATION * (1.0 - e_star), N)
        res.satisfaction = rng.beta(*T.SATISFACTION_BETA, N)
        res.disposition = rng.standard_normal(N) * p["disposition_sd"]
        res.belonging = rng.beta(*T.BELONGING_BETA, N)
        res.expectation = np.full(N, T.INITIAL_EXPECTATION)
        res.volunteer = u[2] < p["initial_volunteers"]

    def _assign_grids(self) -> None:
        grid, g_com, g_hh = assign_grids(self.residents.household, self.communities, self.p["grid_households"])
        self.residents.grid = grid
        self.grids.replace(len(g_com), {"community": g_com, "households": g_hh})

    def _count_present(self) -> None:
        """Residents and households present in each community (after out-migration)."""
        res, com = self.residents, self.communities
        com.present = np.bincount(res.community, weights=res.present, minlength=com.n).astype(np.int64)
        hh = res.household[res.present]
        first = np.ones(len(hh), dtype=bool)
        first[1:] = hh[1:] != hh[:-1]
        com.households = np.bincount(res.community[res.present][first], minlength=com.n).astype(np.int64)

    def _out_migration(self) -> None:
        """Rural residents move away: each month with probability rate/12 (young residents
        ``YOUTH_MIGRATION_FACTOR`` times as often). One uniform per resident every month."""
        res = self.residents
        u = self.streams["migration"].random(res.n)
        if not self.p["mech_outmigration"] or self.p["outmigration_rate"] <= 0:
            return
        rate = self.p["outmigration_rate"] / 12.0 * np.where(res.age_group == T.YOUTH, T.YOUTH_MIGRATION_FACTOR, 1.0)
        leaving = res.present & ~self.communities.urban[res.community] & (u < rate)
        if leaving.any():
            res.present = res.present & ~leaving
            res.participated = res.participated & res.present
            res.volunteer = res.volunteer & res.present
            self._count_present()

    def _init_accounts(self) -> None:
        com, p = self.communities, self.p
        d = self.derived()
        plan = p["activity_budget"] * com.present
        if p["budget_regime"] == "project":  # project money also carries the staff and grid wages
            plan = plan + d["plan_project_wages"]
        pipe = np.zeros((com.n, T.MAX_DELAY + 1))
        pipe[:, : p["approval_delay"] + 1] = plan[:, None]  # the approval pipeline starts primed
        com.pipeline = pipe
        com.activity_spend = plan * (1.0 - p["purchase_share"])
        self._admin_by_type = np.zeros((com.n, T.N_TASK_TYPES))

    def _office_value(self, name: str) -> np.ndarray:
        """A street office's policy attribute for each community."""
        return np.array([getattr(o, name) for o in self.street_offices])[self.communities.street]

    def _first_election(self) -> int:
        """The first election month ≥ the first month of the burn-in."""
        m, term = self.p["first_election"], self.p["term_length"]
        start = -int(self.p["burn_in"]) + 1
        while m - term >= start:
            m -= term
        return m

    def _election_due(self) -> bool:
        return bool(self.p["mech_elections"]) and self.month + 1 == self.next_election

    def _build_hierarchy(self) -> nx.DiGraph:
        """District → street offices → communities → grids."""
        G = nx.DiGraph()
        G.add_node("district", kind="district")
        com = self.communities
        for s in range(self.p["n_streets"]):
            G.add_edge("district", f"street:{s}")
            G.nodes[f"street:{s}"]["kind"] = "street_office"
        for c in range(com.n):
            G.add_edge(f"street:{int(com.street[c])}", f"community:{c}")
            G.nodes[f"community:{c}"].update(kind="community", urban=bool(com.urban[c]), residents=int(com.present[c]))
        for g, c in enumerate(self.grids.community):
            G.add_edge(f"community:{int(c)}", f"grid:{g}")
            G.nodes[f"grid:{g}"].update(kind="grid", households=int(self.grids.households[g]))
        return G

    # ================================================================== outputs
    def _compute_outputs(self) -> dict[str, float]:
        res, po, com, s = self.residents, self.posts, self.communities, self.stats
        r = np.empty(22)
        K.outputs_residents(res.age_group, res.present, res.migrant, res.activist, res.participated, res.voted,
                            res.volunteer, res.satisfaction, res.trust, res.efficacy, res.belonging, res.contacted,
                            T.SATISFIED, r)
        q = np.empty(14)
        d = self.derived()
        K.outputs_posts(po.role, po.filled, po.origin, po.parttime, po.established, po.tenure, po.burnout, po.overtime,
                        po.admin, po.service, po.age, d["is_leader"], T.GRID_WORKER, T.DISPATCHED, q)
        n_res = max(r[0] + r[1] + r[2], 1.0)
        parts = r[3] + r[4] + r[5]
        nf = max(q[1], 1.0)
        staff_filled = max(float((po.filled & d["is_project"]).sum()), 1.0)
        months = min(max(self.month + int(self.p["burn_in"]), 1), 12)  # months in the turnover windows
        locals_ = max(n_res - r[9], 1.0)
        out = {
            "participation_rate": parts / n_res,
            "participation_youth": r[3] / max(r[0], 1.0),
            "participation_middle": r[4] / max(r[1], 1.0),
            "participation_elderly": r[5] / max(r[2], 1.0),
            "elderly_share_of_participants": r[5] / parts if parts else 0.0,
            "participation_migrant": r[10] / max(r[9], 1.0),
            "participation_local": (parts - r[10]) / locals_,
            "activist_share_of_participants": r[8] / parts if parts else 0.0,
            "election_turnout": r[6] / n_res,
            "turnout_youth": r[18] / max(r[0], 1.0),
            "turnout_middle": r[19] / max(r[1], 1.0),
            "turnout_elderly": r[20] / max(r[2], 1.0),
            "turnout_activist": r[21] / max(r[7], 1.0),
            "volunteer_rate": r[11] / n_res,
            "satisfaction_mean": r[12] / n_res,
            "satisfied_share": r[16] / n_res,
            "trust_mean": r[13] / n_res,
            "efficacy_mean": r[14] / n_res,
            "belonging_mean": r[15] / n_res,
            "contact_rate": r[17] / n_res,
            "turnover_annual": self.sep_hist.sum() * 12.0 / months / nf,
            "quit_rate_annual": self.quit_hist.sum() * 12.0 / months / nf,
            "staff_turnover_annual": self.staff_sep_hist.sum() * 12.0 / months / staff_filled,
            "election_turnover_annual": self.election_hist.sum() * 12.0 / months / nf,
            "vacancy_rate": 1.0 - q[1] / max(q[0], 1.0),
            "mean_tenure": q[2] / nf,
            "cadre_age_mean": q[13] / nf,
            "dispatched_leader_share": q[10] / q[9] if q[9] else 0.0,
            "burnout_mean": q[3] / nf,
            "parttime_share": q[11] / nf,
            "established_share": q[12] / nf,
            "n_cadres": q[1],
            "n_posts": q[0],
            "committee_posts": float(d["is_committee"].sum()),
            "committee_wage_bill_annual": float(12.0 * d["wage_cost"][d["is_committee"]].sum()),
            "admin_tasks_per_community": float(com.tasks.mean()),
            "admin_tasks": float(com.tasks.sum()),
            "tasks_reentered": float(com.reentered.sum()),
            "admin_share": q[5] / q[6] if q[6] > 0 else 0.0,
            "grid_admin_share": q[7] / q[8] if q[8] > 0 else 0.0,
            "overtime_mean": q[4] / nf,
            "n_social_orgs": float(self.organisation_table.active.sum()),
            "facilities_standard_share": float((com.facility >= facility_standard(com.urban)).mean()),
            "budget_balance": float(com.balance.sum()),
            "n_communities": float(com.n),
            "n_grids": float(self.grids.n),
            "n_residents": float(n_res),
            "implemented_share": float(com.implemented.mean()),
            "elite_win_share": float(com.elite_won.sum() / max(com.implemented.sum(), 1)),
        }
        for key in ("service_coverage", "so_service_share", "wage_bill", "budgeted_wage_bill_annual", "spending_total",
                    "fragmentation_loss", "purchase_spending", "donations",
                    *(f"coverage_{name}" for name in T.SERVICE_TYPES)):
            out[key] = float(s.get(key, 0.0))
        out["spending_per_resident"] = out["spending_total"] / n_res
        return out

    # ================================================================== views
    @property
    def n_residents(self) -> int:
        return self.residents.n

    @property
    def social_graph(self) -> nx.Graph:
        """The resident social network as a networkx Graph (built on first use from the same
        seeded ties the model computes with)."""
        if self._social_graph is None:
            self._social_graph = nx.from_scipy_sparse_array(self.ties)
        return self._social_graph

    def resident_agents(self, index: Iterable[int] | None = None) -> AgentSet:
        """Mesa agents for residents (views onto their rows), created on demand; all by default."""
        rows = range(self.n_residents) if index is None else [int(i) for i in index]
        return AgentSet([Resident(self, i) for i in rows], random=self.random)

    @property
    def cadres(self) -> AgentSet:
        return self.agents_by_type.get(Cadre, AgentSet([], random=self.random))

    @property
    def organisations(self) -> list[SocialOrganisation]:
        """The active social organisations (Mesa agents)."""
        return [a for a in self.org_agents if a is not None]
