"""GovernanceModel: the monthly cycle of community governance.

``step()`` is the ODD process overview, one named sub-process per line (docs/ODD.md mirrors
it). Resident state is held in NumPy arrays (``res_*``), cadre state in the post table
(``post_*``), community accounts in ``com_*`` arrays; social organisations and street offices
are ordinary Mesa agents.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

import mesa
from mesa.agent import AgentSet
import networkx as nx
import numpy as np
import scipy.sparse as sp

from . import tables as T
from .agents import Cadre, Resident, SocialOrganisation, StreetOffice
from .outputs import OUTPUTS
from .parameters import Change, normalise_schedule, resolve
from .rng import make_streams, seed_to_int
from .world import Communities, assign_grids, build_communities, build_residents, facility_standard, small_world_ties

__all__ = ["GovernanceModel"]

# Parameters whose change needs the post table and grids rebuilt.
_RESTRUCTURING = ("merge_rate", "grid_households", "first_secretary")
_MAX_DELAY = 12


_MONTH_STAT_OUTPUTS = ("contact_rate", "service_coverage", "coverage_elderly_care", "coverage_childcare",
                       "coverage_health", "coverage_culture", "coverage_environment", "so_service_share", "wage_bill",
                       "budgeted_wage_bill_annual", "spending_total", "fragmentation_loss", "purchase_spending",
                       "donations")
_ORIGIN_AGE = np.asarray(T.ORIGIN_AGE, dtype=np.float64)
_ORIGIN_SKILL = np.asarray(T.ORIGIN_SKILL, dtype=np.float64)
_ORIGIN_EMBED = np.asarray(T.ORIGIN_EMBED, dtype=np.float64)


def _logistic(x: np.ndarray) -> np.ndarray:
    """logistic(x), in place when given a float array of its own."""
    x = np.negative(x, out=x) if isinstance(x, np.ndarray) and x.dtype == np.float64 else -np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    x += 1.0
    return np.reciprocal(x, out=x)


class MonthlyRecorder(mesa.DataCollector):
    """A Mesa DataCollector whose model variables are the declared outputs, filled from the
    model's monthly output vector in one pass (no per-reporter calls). ``mesa.batch_run`` and
    ``get_model_vars_dataframe()`` work as with any DataCollector; ``arrays()`` gives the
    columns as NumPy arrays."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(model_reporters={"month": "month", **{n: n for n in names}})
        self._names = ["month", *names]

    def collect(self, model: GovernanceModel) -> None:  # noqa: D102
        self._collection_steps.append(model.time)
        values = model.current_outputs
        self.model_vars["month"].append(model.month)
        for name in self._names[1:]:
            self.model_vars[name].append(values[name])

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"month": np.asarray(self.model_vars["month"], dtype=np.int64)}
        for name in self._names[1:]:
            out[name] = np.asarray(self.model_vars[name], dtype=np.float64)
        return out


class GovernanceModel(mesa.Model):
    """Agent-based model of community governance under funding and decentralisation policies.

    Parameters
    ----------
    rng:
        The run's seed (an int). Every random draw, graphs included, comes from named streams
        spawned from it. ``seed=`` is accepted as an alias.
    horizon:
        Months to simulate; ``running`` turns False after this many steps (``run_model``).
    schedule:
        Policy changes: :class:`~model.parameters.Change` objects, ``(month, name, value)``
        tuples or ``{"month", "name", "value"}`` dicts. A change for month *t* takes effect at
        the end of month *t* (``apply_policies``) and drives the processes from month *t* + 1;
        changes for month 0 apply before the first month.
    **params:
        Overrides of the registry defaults (``model.parameters.REGISTRY``).
    """

    def __init__(self, *, rng: int | None = None, seed: int | None = None, horizon: int = 120,
                 schedule: Iterable[Any] = (), **params: Any) -> None:
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
        self.month = 0
        self.applied: list[Change] = []

        # ------------------------------------------------------------ world
        self.com: Communities = build_communities(self.p, self.streams["structure"])
        res = build_residents(self.com, self.p, self.streams["structure"])
        self.res_community = res["community"]
        self.res_household = res["household"]
        self.res_age = res["age"]
        self.res_dist = res["dist"]
        self.n_residents = len(self.res_age)
        self.res_grid, self.grid_community, self.grid_households = assign_grids(
            self.res_household, self.com, self.p["grid_households"])
        self.ties: sp.csr_array = small_world_ties(res, self.res_grid, self.com, self.p, self.streams["network"])
        self.degree = np.diff(self.ties.indptr).astype(np.float64)
        self._inv_degree = np.divide(1.0, self.degree, out=np.zeros_like(self.degree), where=self.degree > 0)
        self._social_graph: nx.Graph | None = None
        self._init_residents()

        # ------------------------------------------------------------ agents
        self.street_offices = [StreetOffice(self, s) for s in range(self.p["n_streets"])]
        for so in self.street_offices:
            so.adopt(self.p)
        self._sep_hist: deque[int] = deque(maxlen=12)
        self._quit_hist: deque[int] = deque(maxlen=12)
        self._init_posts()
        self._refresh_caches()
        self._init_accounts()
        self.org_graph = nx.Graph()
        self._init_organisations()
        self.hierarchy = self._build_hierarchy()

        self.recorder = MonthlyRecorder(list(OUTPUTS))
        self.datacollector = self.recorder  # the name mesa.batch_run looks for
        self._month_stats: dict[str, float] = {}
        self._apply_due_changes(up_to=0)
        self._init_month_stats()
        self.current_outputs = self._compute_outputs()
        self.recorder.collect(self)

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
        p, rng = self.p, self.streams["admin"]
        arrived = rng.poisson(p["admin_task_rate"], self.com.n)
        passed = np.empty(self.com.n, dtype=np.int64)
        for office in self.street_offices:
            idx = office.communities
            passed[idx] = office.push_down(arrived[idx], rng)
        hours_per_task = p["task_hours"] * (1.0 - p["info_saving"] * p["informatisation"]) * (
            1.0 + p["silo_overhead"] * (p["n_platforms"] - 1))
        self.com_tasks = passed
        self.com_admin_hours = passed * hours_per_task

    # ------------------------------------------------------------------ 2. cadre time
    def allocate_cadre_time(self) -> None:
        """Administrative tasks are assessed from above and come first; what is left of the
        contracted hours goes to services and resident contact. Cadres keep a minimum of
        service hours by working overtime."""
        H = self.p["cadre_hours"]
        present = self.post_filled
        w = self._post_weight * present
        wsum = np.bincount(self.post_community, weights=w, minlength=self.com.n)
        share = np.divide(w, wsum[self.post_community], out=np.zeros_like(w), where=wsum[self.post_community] > 0)
        admin = self.com_admin_hours[self.post_community] * share
        service = np.where(present, np.maximum(H - admin, self.p["min_service_hours"]), 0.0)
        self.post_admin = admin
        self.post_service = service
        self.post_overtime = np.maximum(0.0, admin + service - H)
        self.post_contact = service * self._post_contact_share

    # ------------------------------------------------------------------ 3. services
    def deliver_services(self) -> None:
        p, rng = self.p, self.streams["services"]
        C = self.com.n
        # resident contact: grid workers visit households of their grid; other cadres' contact
        # hours spread over the community.
        gp, op = self._grid_posts, self._other_posts
        visits_hours_grid = np.bincount(self.post_grid[gp], weights=self.post_contact[gp], minlength=len(self.grid_community))
        com_contact = np.bincount(self.post_community[op], weights=self.post_contact[op], minlength=C)
        visits = visits_hours_grid / T.HOURS_PER_VISIT
        visits += (com_contact / T.HOURS_PER_VISIT)[self.grid_community] * self._grid_share_of_community
        p_contact = np.minimum(1.0, visits / np.maximum(self.grid_households, 1))
        u = rng.random(self.n_residents)
        self.res_contacted = u < p_contact[self.res_grid]

        # supply by provider and type
        cadre_hours = np.bincount(self.post_community, weights=(self.post_service - self.post_contact) * self.post_skill,
                                  minlength=C)
        so_hours = np.zeros(C)
        for org in self.organisations:
            for c, h in org.deliver(p["so_hours_per_yuan"]).items():
                so_hours[c] += h
        vol_hours = np.bincount(self.res_community[self.res_volunteer], minlength=C) * (
            p["volunteer_hours"] * (1.0 + 0.5 * p["four_social_linkage"]))
        act_hours = self.com_activity_spend * p["activity_hours_per_yuan"]
        d = self._derived()
        demand, dshare = d["demand"], d["demand_share"]
        supply = (cadre_hours[:, None] * T.CADRE_SERVICE_MIX + so_hours[:, None] * T.SO_SERVICE_MIX
                  + vol_hours[:, None] * T.VOLUNTEER_SERVICE_MIX + act_hours[:, None] * dshare)
        coverage = np.minimum(1.0, supply * d["inv_demand"])
        coverage[d["no_demand"]] = 1.0
        # each need (resident, type) is met with probability coverage x access(distance)
        nc, nt = self._need_com, self._need_type
        p_met = coverage.ravel().take(self._need_flat)
        p_met *= self._need_access
        served = rng.random(len(nc)) < p_met
        N = self.n_residents
        # needs are sorted by resident: met needs per resident by segment sums
        quality = np.zeros(N)
        if len(served):
            quality[self._res_with_need] = np.add.reduceat(served.view(np.int8), self._need_seg_start, dtype=np.float64)
        quality *= self._res_inv_need
        com_cov = coverage.mean(axis=1)
        quality[self._res_no_need] = com_cov[self.res_community[self._res_no_need]]
        self.res_quality = quality
        tot_need = d["needs_by_type"]
        tot_served = np.bincount(nt[served], minlength=T.N_SERVICES)
        self._month_stats.update(
            service_coverage=float(tot_served.sum() / max(tot_need.sum(), 1)),
            so_service_share=float(so_hours.sum() / max(supply.sum(), 1e-9)),
            contact_rate=np.count_nonzero(self.res_contacted) / max(N, 1),
        )
        for k, name in enumerate(T.SERVICE_TYPES):
            self._month_stats[f"coverage_{name}"] = float(tot_served[k] / tot_need[k]) if tot_need[k] else 1.0
        self.com_coverage = np.bincount(nc[served], minlength=C) * d["inv_needs_by_community"]

    # ------------------------------------------------------------------ 4. attitudes
    def update_attitudes(self) -> None:
        p, rng = self.p, self.streams["attitudes"]
        fw = p["facility_weight"]
        target = np.minimum(1.0, (1.0 - fw) * self.res_quality + fw * self._fac_met[self.res_community]
                            + 0.05 * self.res_contacted)
        self.res_satisfaction += p["kappa_satisfaction"] * (target - self.res_satisfaction)
        self.res_trust += p["kappa_trust"] * (self.res_satisfaction - self.res_trust)
        self.res_trust += p["contact_trust"] * self.res_contacted * (1.0 - self.res_trust)
        # outcome of last month's consultation: implemented with probability = decision authority
        implemented = rng.random(self.com.n) < p["decision_authority"]
        if self._consulted_last_month:
            k = p["kappa_efficacy"]
            impl_res = implemented[self.res_community]
            weight = np.where(self.res_part, 1.0, (1.0 / 3.0) if p["disclosure"] else 0.0)
            up = k * (1.0 - self.res_efficacy)
            down = -k * self.res_efficacy
            delta = weight * np.where(impl_res, up, down)
            self.res_efficacy += delta
            # a token consultation also costs some trust among those who took part
            self.res_trust -= 0.5 * k * self.res_part * (~impl_res) * self.res_trust
        np.clip(self.res_trust, 0.0, 1.0, out=self.res_trust)
        b_target = 0.5 * self.res_trust + 0.25 * self.res_volunteer + 0.25 * self.res_part
        self.res_belonging += 0.02 * (b_target - self.res_belonging)

    # ------------------------------------------------------------------ 5. participation
    def update_participation(self) -> None:
        p, rng = self.p, self.streams["participation"]
        # volunteers drop out every month
        drop = rng.random(self.n_residents) < p["volunteer_dropout"]
        self.res_volunteer &= ~drop
        held = self.month % p["consultation_interval"] == 0  # this is month self.month + 1's process
        self._consulted_last_month = False
        if not held:
            return
        agenda = rng.uniform(0.5, 1.5, self.com.n)
        stake = np.minimum(1.0, self.res_stake * agenda[self.res_community])
        neigh = (self.ties @ self.res_part.astype(np.float32)) * self._inv_degree
        # cost by age group, cut by a digital channel where the resident has access: 6 values
        cut = 1.0 - p["digital_cost_cut"] * p["digital_channels"]
        costs = np.asarray((p["cost_youth"], p["cost_middle"], p["cost_elderly"]))
        cost = np.concatenate([costs, costs * cut])[self._res_age_digital]
        logit = p["beta_efficacy"] * self.res_efficacy
        logit += p["beta0"]
        logit += p["beta_trust"] * self.res_trust
        logit += p["beta_stake"] * stake
        logit += p["beta_network"] * neigh
        logit += p["beta_contact"] * self.res_contacted
        logit -= cost
        self.res_p_participate = _logistic(logit)
        self.res_part = rng.random(self.n_residents) < self.res_p_participate
        convert = rng.random(self.n_residents) < p["volunteer_conversion"] * (1.0 + 2.0 * p["four_social_linkage"])
        self.res_volunteer |= self.res_part & convert
        self._consulted_last_month = True
        self._update_participation_stats()

    # ------------------------------------------------------------------ 6. workforce
    def update_workforce(self) -> None:
        """Burnout follows job demands; quits, rotations and retirements open vacancies;
        layoffs follow deficits; vacancies are filled by pay attractiveness and the
        appointment regime."""
        p, rng = self.p, self.streams["workforce"]
        d = self._derived()
        P = self.n_posts
        filled = self.post_filled
        # ageing and tenure
        self.post_age += filled * (1.0 / 12.0)
        self.post_tenure += filled
        self.post_embed += filled * T.EMBED_GROWTH * (0.8 - self.post_embed)
        self.post_skill += filled * T.SKILL_GROWTH
        # burnout (job demands-resources): overtime and administrative share raise it, pay
        # adequacy and decision authority buffer it
        worked = self.post_admin + self.post_service
        admin_share = np.divide(self.post_admin, worked, out=np.zeros(P), where=worked > 0)
        ot = self.post_overtime
        b_target = 0.6 * ot / (ot + p["overtime_scale"]) + admin_share * d["burnout_admin_weight"]
        self.post_burnout += p["burnout_rate"] * (b_target - self.post_burnout)
        self.post_burnout *= filled

        u = rng.random((3, P))  # quit, fill, origin
        dispatched = self.post_origin == T.DISPATCHED
        x = np.where(dispatched, d["hazard_dispatched"], d["hazard_other"])
        x += p["gamma_burnout"] * self.post_burnout
        x -= p["gamma_embed"] * self.post_embed
        hazard = _logistic(x)
        retire = filled & (self.post_age >= p["retirement_age"])
        on_term = filled & dispatched
        self.post_term_left -= on_term
        rotate = on_term & (self.post_term_left <= 0) & ~retire
        quit_ = filled & ~retire & ~rotate & (u[0] < hazard)
        leave = retire | quit_ | rotate
        n_sep = int(np.count_nonzero(leave))
        # rotation at term end: the post is appointed anew under the current regime below
        if n_sep:
            self._vacate(leave)
        # layoffs when the community's deficit exceeds the threshold ("cut away")
        n_layoff = self._layoffs()
        # recruitment
        vacant = ~self.post_filled & ~self.post_frozen
        if vacant.any():
            by_dispatch = (self.post_is_leader & (u[2] < self._post_dispatch_share)) | self.post_is_first_secretary
            graduate = self.post_is_staff & (u[2] < p["graduate_recruitment"])
            p_fill = np.where(by_dispatch, 0.8, np.where(graduate, d["p_fill_graduate"], d["p_fill"]))
            hire = np.flatnonzero(vacant & (u[1] < p_fill))
            if len(hire):
                origin = np.where(by_dispatch[hire], T.DISPATCHED,
                                  np.where(graduate[hire], T.GRADUATE, self._post_default_origin[hire]))
                self._hire(hire, origin, rng)
        self._sep_hist.append(n_sep + n_layoff)
        self._quit_hist.append(int(np.count_nonzero(quit_)))

    # ------------------------------------------------------------------ 7. budget
    def settle_budget(self) -> None:
        """Income by source and regime, wage bill, activity spending, purchase of services,
        fragmentation loss and approval delay."""
        p, rng = self.p, self.streams["budget"]
        C = self.com.n
        n_res = self.com.size.astype(np.float64)
        d = self._derived()
        cost = d["wage_cost"] * self.post_filled
        wages = np.bincount(self.post_community, weights=cost, minlength=C)
        wages_core = wages - np.bincount(self.post_community, weights=cost * self.post_is_project, minlength=C)
        plan_project_wages = d["plan_project_wages"]
        activity_plan = p["activity_budget"] * n_res
        delay = d["approval_delay"]
        loss_rate = p["fragmentation_loss"] * (1.0 - 0.6 * p["pooled_funds"]) * (1.0 - 0.5 * p["fund_authority"])
        u_project = rng.random(C)
        regime = p["budget_regime"]
        if regime == "stable":
            now = wages_core + plan_project_wages
            delayed = activity_plan
            loss = np.zeros(C)
        elif regime == "project":
            now = wages_core
            arrives = u_project < 0.25  # a project every four months on average, for four months
            gross = np.where(arrives, 4.0 * (plan_project_wages + activity_plan), 0.0)
            loss = gross * loss_rate
            delayed = gross - loss
        else:  # reward in lieu of subsidy: wages on the budget line, activity money half base,
            # half paid as a reward once the standard is met ("accept first, subsidise after")
            now = wages_core + plan_project_wages
            earned = self.com_coverage >= p["reward_threshold"]
            gross = activity_plan * (0.5 + np.where(earned, 1.0, 0.0))
            loss = gross * loss_rate * 0.3  # pooled reward funds lose less
            delayed = gross - loss
        self.com_pipeline[np.arange(C), delay] += delayed
        released = self.com_pipeline[:, 0].copy()
        self.com_pipeline[:, :-1] = self.com_pipeline[:, 1:]
        self.com_pipeline[:, -1] = 0.0
        donations = p["donation_drive"] * p["donation_per_resident"] * n_res * (
            0.5 + np.bincount(self.res_community, weights=self.res_belonging, minlength=C) / np.maximum(n_res, 1))
        self.com_balance += now + released + donations - wages
        spend = np.clip(self.com_balance, 0.0, 1.5 * activity_plan)
        purchase = spend * p["purchase_share"]
        purchase_paid = self._pay_organisations(purchase)
        self.com_activity_spend = spend - purchase
        self.com_balance -= self.com_activity_spend + purchase_paid
        self._org_entry(purchase - purchase_paid)
        self.com_wages = wages
        self._month_stats.update(
            wage_bill=float(wages.sum()),
            budgeted_wage_bill_annual=float(12.0 * d["wage_cost"].sum()),
            spending_total=float(wages.sum() + self.com_activity_spend.sum() + purchase_paid.sum()),
            fragmentation_loss=float(loss.sum()),
            purchase_spending=float(purchase_paid.sum()),
            donations=float(donations.sum()),
        )

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
        self.current_outputs = self._compute_outputs()
        self.recorder.collect(self)

    # ================================================================== initialisation
    def _init_residents(self) -> None:
        rng, N = self.streams["residents"], self.n_residents
        age = self.res_age
        self.res_needs = rng.random((N, T.N_SERVICES)) < T.NEED_PROB[age]
        self._res_n_need = self.res_needs.sum(axis=1)
        self._refresh_community_cache()
        a = np.asarray([ab[0] for ab in T.STAKE_BETA])[age]
        b = np.asarray([ab[1] for ab in T.STAKE_BETA])[age]
        self.res_stake = rng.beta(a, b)
        self.res_digital = rng.random(N) < np.asarray(T.DIGITAL_ACCESS)[age]
        self._res_age_digital = age + 3 * self.res_digital
        self.res_trust = rng.beta(5.0, 5.0, N)
        self.res_efficacy = rng.beta(4.0, 6.0, N)
        self.res_satisfaction = rng.beta(5.0, 5.0, N)
        self.res_belonging = rng.beta(5.0, 5.0, N)
        self.res_part = np.zeros(N, dtype=bool)
        self.res_volunteer = rng.random(N) < 0.01
        self.res_contacted = np.zeros(N, dtype=bool)
        self.res_quality = np.full(N, 0.5)
        self.res_p_participate = np.zeros(N)
        self._consulted_last_month = False
        self._part_stats = dict(participation_rate=0.0, participation_youth=0.0, participation_middle=0.0,
                                participation_elderly=0.0, elderly_share_of_participants=0.0)

    def _refresh_caches(self) -> None:
        """Arrays derived from the structure and the levers, refreshed when either changes."""
        com = self.com
        self._fac_met = (com.facility >= facility_standard(com.urban)).astype(np.float64)
        self._office_idx = [np.flatnonzero(com.street == o.street) for o in self.street_offices]
        self._post_weight = T.ROLE_ADMIN_WEIGHT[self.post_role]
        self._grid_posts = np.flatnonzero(self.post_is_grid)
        self._other_posts = np.flatnonzero(~self.post_is_grid)
        self._post_contact_share = T.ROLE_CONTACT_SHARE[self.post_role]
        com_hh = np.bincount(self.grid_community, weights=self.grid_households, minlength=com.n)
        self._grid_share_of_community = self.grid_households / np.maximum(com_hh[self.grid_community], 1)
        urban = com.urban[self.post_community]
        self._post_outside = np.where(urban, self.p["outside_wage_urban"], self.p["outside_wage_rural"])
        office_share = np.array([o.dispatch_share for o in self.street_offices])
        self._post_dispatch_share = office_share[com.street[self.post_community]]
        self._pay_cache = None

    def _demand_terms(self) -> dict[str, np.ndarray]:
        demand = self._com_need_counts * self.p["need_hours"]
        dsum = demand.sum(axis=1, keepdims=True)
        return dict(
            demand=demand,
            demand_share=np.divide(demand, dsum, out=np.full_like(demand, 1.0 / T.N_SERVICES), where=dsum > 0),
            inv_demand=np.divide(1.0, demand, out=np.zeros_like(demand), where=demand > 0),
            no_demand=demand <= 0,
            needs_by_type=self._com_need_counts.sum(axis=0),
            inv_needs_by_community=1.0 / np.maximum(self._com_need_counts.sum(axis=1), 1),
        )

    def _refresh_community_cache(self) -> None:
        """The list of needs (resident, type) with each need's community and access, and the
        per-community need counts [C, K]; recomputed when communities change."""
        C = self.com.n
        self._need_res, self._need_type = np.nonzero(self.res_needs)
        self._need_com = self.res_community[self._need_res]
        self._need_access = np.exp(-self.res_dist[self._need_res] / self.p["radius_decay"])
        self._need_flat = self._need_com.astype(np.intp) * T.N_SERVICES + self._need_type
        n_need = self._res_n_need
        self._res_inv_need = np.divide(1.0, n_need, out=np.zeros(len(n_need)), where=n_need > 0)
        self._res_no_need = np.flatnonzero(n_need == 0)
        self._res_with_need = np.flatnonzero(n_need > 0)
        self._need_seg_start = np.concatenate(([0], np.cumsum(n_need[self._res_with_need])[:-1])).astype(np.intp)
        self._com_need_counts = np.zeros((C, T.N_SERVICES))
        np.add.at(self._com_need_counts, (self._need_com, self._need_type), 1.0)

    def _init_accounts(self) -> None:
        C = self.com.n
        self.com_balance = np.zeros(C)
        self.com_pipeline = np.zeros((C, _MAX_DELAY + 1))
        plan = self.p["activity_budget"] * self.com.size
        if self.p["budget_regime"] == "project":  # project money also carries the staff and grid wages
            project_paid = self.post_is_project
            plan = plan + np.bincount(self.post_community, weights=self.post_pay() * project_paid, minlength=C)
        # the approval pipeline starts primed with the planned flow
        self.com_pipeline[:, : self.p["approval_delay"] + 1] = plan[:, None]
        self.com_activity_spend = plan.astype(np.float64) * (1.0 - self.p["purchase_share"])
        self.com_coverage = np.full(C, 0.5)
        self.com_wages = np.zeros(C)
        self.com_tasks = np.zeros(C, dtype=np.int64)
        self.com_admin_hours = np.zeros(C)

    # ------------------------------------------------------------------ posts
    def _post_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(community, role, grid) of every post under the current structure and levers."""
        C = self.com.n
        total = int(round(self.p["committee_posts"] * C))
        base, extra = divmod(total, C)
        order = np.argsort(-self.com.size, kind="stable")  # larger communities get the extra post
        k = np.full(C, base)
        k[order[:extra]] += 1
        comm, role, grid = [], [], []
        grids_of = [[] for _ in range(C)]
        for g, c in enumerate(self.grid_community):
            grids_of[c].append(g)
        for c in range(C):
            kc = max(int(k[c]), 2)
            deputies = min(T.DEPUTIES_PER_COMMITTEE, kc - 2)
            roles = [T.SECRETARY, T.DIRECTOR] + [T.DEPUTY] * deputies + [T.MEMBER] * (kc - 2 - deputies)
            roles += [T.STAFF] * self.p["staff_per_community"]
            if self.p["first_secretary"] and not self.com.urban[c]:
                roles.append(T.FIRST_SECRETARY)
            comm += [c] * len(roles)
            role += roles
            grid += [-1] * len(roles)
            for g in grids_of[c]:
                comm.append(c)
                role.append(T.GRID_WORKER)
                grid.append(g)
        return np.asarray(comm, np.int32), np.asarray(role, np.int8), np.asarray(grid, np.int32)

    def _alloc_posts(self, comm: np.ndarray, role: np.ndarray, grid: np.ndarray) -> None:
        P = len(comm)
        self.n_posts = P
        self.post_community, self.post_role, self.post_grid = comm, role, grid
        self.post_is_grid = role == T.GRID_WORKER
        self.post_on_budget = role != T.FIRST_SECRETARY  # first secretaries are paid by their home unit
        self.post_is_committee = np.isin(role, T.COMMITTEE_ROLES)
        self.post_is_leader = np.isin(role, T.LEADER_ROLES)
        self.post_is_project = (role == T.STAFF) | (role == T.GRID_WORKER)  # paid from project money
        self.post_is_staff = role == T.STAFF
        self.post_is_first_secretary = role == T.FIRST_SECRETARY
        self._post_default_origin = np.where(self.post_is_committee, T.LOCAL, T.RECRUITED).astype(np.int8)
        self._pay_cache = None
        self.post_filled = np.zeros(P, dtype=bool)
        self.post_frozen = np.zeros(P, dtype=bool)
        self.post_origin = np.full(P, -1, dtype=np.int8)
        for name in ("age", "skill", "tenure", "burnout", "embed", "term_left", "admin", "service", "overtime", "contact"):
            setattr(self, f"post_{name}", np.zeros(P))
        self.post_agent: list[Cadre | None] = [None] * P

    def _init_posts(self) -> None:
        comm, role, grid = self._post_layout()
        self._alloc_posts(comm, role, grid)
        rng = self.streams["cadres"]
        P = self.n_posts
        u_origin = rng.random(P)
        dispatched = self.post_is_first_secretary | (self.post_is_leader & (u_origin < self.p["dispatch_share"]))
        origin = np.where(dispatched, T.DISPATCHED, self._post_default_origin)
        # start near the steady state: a few posts vacant, tenure spread out
        start_filled = rng.random(P) < 0.92
        idx = np.flatnonzero(start_filled)
        self._hire(idx, origin[idx], rng)
        self.post_tenure = np.where(self.post_filled, np.floor(rng.uniform(0, 96, P)), 0.0)
        self.post_term_left = np.where(self.post_origin == T.DISPATCHED, rng.integers(1, self.p["dispatch_term"] + 1, P), 0)
        self.post_term_left = self.post_term_left.astype(np.float64)
        self.post_embed = np.where(self.post_filled, np.minimum(0.8, self.post_embed + 0.2 * self.post_tenure / 96), 0.0)

    def _hire(self, idx: np.ndarray, origin: np.ndarray | int, rng: np.random.Generator) -> None:
        """New cadres in posts ``idx``; age, skill and embeddedness by origin."""
        n = len(idx)
        origin = np.broadcast_to(np.asarray(origin, dtype=np.int8), (n,))
        u = rng.random((2, n))
        age = _ORIGIN_AGE[origin]
        skill = _ORIGIN_SKILL[origin]
        self.post_filled[idx] = True
        self.post_origin[idx] = origin
        self.post_age[idx] = age[:, 0] + u[0] * (age[:, 1] - age[:, 0])
        self.post_skill[idx] = skill[:, 0] + u[1] * (skill[:, 1] - skill[:, 0])
        self.post_tenure[idx] = 0.0
        self.post_burnout[idx] = 0.1
        local_fit = 1.0 + 0.5 * self.p["personnel_authority"] * (origin != T.DISPATCHED)
        self.post_embed[idx] = _ORIGIN_EMBED[origin] * local_fit
        self.post_term_left[idx] = np.where(origin == T.DISPATCHED, self.p["dispatch_term"], 0)
        for i in idx.tolist():
            self.post_agent[i] = Cadre(self, i)

    def _vacate(self, mask: np.ndarray) -> None:
        for i in np.flatnonzero(mask):
            agent = self.post_agent[i]
            if agent is not None:
                agent.remove()
                self.post_agent[i] = None
        self.post_filled[mask] = False
        self.post_origin[mask] = -1
        self.post_burnout[mask] = 0.0

    def _layoffs(self) -> int:
        """Lay off one project-paid worker per month in each community whose deficit exceeds
        ``layoff_threshold`` months of wage bill; the post stays frozen until the account is
        back in balance."""
        monthly = np.maximum(self.com_wages, 1.0)
        deficit = self.com_balance < -self.p["layoff_threshold"] * monthly
        self.post_frozen &= ~(self.com_balance >= 0)[self.post_community]
        if not deficit.any():
            return 0
        cand = self.post_filled & self.post_is_project & deficit[self.post_community]
        laid = np.zeros(self.n_posts, dtype=bool)
        for c in np.unique(self.post_community[cand]):
            idx = np.flatnonzero(cand & (self.post_community == c))
            laid[idx[np.argmin(self.post_tenure[idx])]] = True
        self._vacate(laid)
        self.post_frozen |= laid
        return int(laid.sum())

    def post_pay(self) -> np.ndarray:
        """Monthly pay of each post on the current scale (allowances included, insurance not)."""
        return self._derived()["pay"]

    def _derived(self) -> dict[str, np.ndarray]:
        """Per-post quantities that depend only on the levers and the post table; recomputed
        after a policy change or a restructuring."""
        if self._pay_cache is None:
            p = self.p
            scale = np.array([p["pay_secretary"], p["pay_director"], p["pay_deputy"], p["pay_member"], p["pay_staff"],
                              p["pay_grid_worker"], 0.0])
            pay = scale[self.post_role] + np.where(self.post_is_committee, p["pay_topup"], 0.0)
            outside = self._post_outside
            wage_term = np.log(outside / np.maximum(pay, 1.0))
            resources = 0.5 * np.minimum(1.0, pay / outside) + 0.5 * p["decision_authority"]
            fill_logit = p["recruit_base"] - p["recruit_wage"] * wage_term + 0.5 * p["personnel_authority"]
            insured = 1.0 if p["social_insurance"] else 0.0
            cost = pay * (1.0 + p["insurance_rate"] * insured) * self.post_on_budget
            d = dict(
                pay=pay,
                burnout_admin_weight=0.4 * (1.0 - 0.5 * resources),
                hazard_dispatched=np.full(self.n_posts, p["gamma0"] - p["gamma_promotion"]),
                hazard_other=p["gamma0"] + p["gamma_wage"] * wage_term - p["gamma_promotion"] * insured,
                p_fill=_logistic(fill_logit.copy()),
                p_fill_graduate=_logistic(fill_logit + 1.0),
                wage_cost=cost,
                plan_project_wages=np.bincount(self.post_community, weights=cost * self.post_is_project,
                                               minlength=self.com.n),
                **self._demand_terms(),
                approval_delay=np.rint(np.array([o.approval_delay for o in self.street_offices])[self.com.street]
                                       * (1.0 - p["fund_authority"])).astype(np.int64),
            )
            for v in d.values():
                v.setflags(write=False)
            self._pay_cache = d
        return self._pay_cache

    def post_accounting(self) -> dict[str, float]:
        """Committee posts and their annual wage bill on the current pay scale (pattern 1)."""
        committee = self.post_is_committee
        ins = 1.0 + (self.p["insurance_rate"] if self.p["social_insurance"] else 0.0)
        return {
            "communities": float(self.com.n),
            "committee_posts": float(committee.sum()),
            "committee_wage_bill_annual": float(12.0 * (self.post_pay()[committee] * ins).sum()),
        }

    # ------------------------------------------------------------------ organisations
    def _init_organisations(self) -> None:
        rng = self.streams["organisations"]
        n = rng.poisson(self.p["so_per_community"] * self.com.n)
        for _ in range(int(n)):
            c = int(rng.integers(self.com.n))
            self._new_org(c, rng, funds=20_000.0)

    def _new_org(self, c: int, rng: np.random.Generator, funds: float) -> SocialOrganisation:
        kind = SocialOrganisation.KINDS[int(rng.integers(len(SocialOrganisation.KINDS)))]
        org = SocialOrganisation(self, kind=kind, staff=int(rng.integers(2, 6)), funds=funds)
        self.org_graph.add_node(org, kind="organisation")
        self.org_graph.add_edge(org, c, paid=0.0)
        # sometimes also serves a neighbouring community of the same street
        same = np.flatnonzero(self.com.street == self.com.street[c])
        if len(same) > 1 and rng.random() < 0.5:
            other = int(same[rng.integers(len(same))])
            if other != c:
                self.org_graph.add_edge(org, other, paid=0.0)
        return org

    def _pay_organisations(self, purchase: np.ndarray) -> np.ndarray:
        """Pay each community's purchase-of-services money to the organisations tied to it."""
        paid = np.zeros(self.com.n)
        for c in np.flatnonzero(purchase > 0):
            c = int(c)
            if c not in self.org_graph:
                continue
            orgs = list(self.org_graph.neighbors(c))
            if not orgs:
                continue
            share = purchase[c] / len(orgs)
            for org in orgs:
                org.receive(c, share)
            paid[c] = purchase[c]
        return paid

    def _org_entry(self, unmet_purchase: np.ndarray) -> None:
        """Organisations fold when broke and enter where purchase money finds no provider;
        four-social linkage incubates new organisations."""
        rng = self.streams["organisations"]
        for org in self.organisations:
            if org.month_end():
                self.org_graph.remove_node(org)
                org.remove()
        u = rng.random(len(self.street_offices))
        for s, office in enumerate(self.street_offices):
            cs = office.communities
            market = float(unmet_purchase[cs].sum())
            p_entry = 1.0 - np.exp(-market / 20_000.0) + 0.05 * self.p["four_social_linkage"]
            if u[s] < p_entry:
                c = int(cs[np.argmax(unmet_purchase[cs])]) if market > 0 else int(cs[rng.integers(len(cs))])
                self._new_org(c, rng, funds=10_000.0)

    # ------------------------------------------------------------------ structure changes
    def _apply_due_changes(self, up_to: int) -> None:
        due = [c for c in self.schedule_changes if c.month <= up_to and c not in self.applied]
        if not due:
            return
        before = {k: self.p[k] for k in _RESTRUCTURING}
        for change in due:
            self.p[change.name] = change.value
            self.applied.append(change)
        self._pay_cache = None
        for office in self.street_offices:
            office.adopt(self.p)
        if any(c.name == "radius_decay" for c in due):
            self._refresh_community_cache()
        self._refresh_caches()
        if self.p["merge_rate"] != before["merge_rate"]:
            self._merge(before["merge_rate"], self.p["merge_rate"])
        elif any(self.p[k] != before[k] for k in _RESTRUCTURING):
            self._restructure(np.arange(self.com.n))

    def _merge(self, old_rate: float, new_rate: float) -> None:
        """Merge neighbouring communities of each street so that a share ``new_rate`` of the
        original communities is absorbed (DIGEST §2: 93 villages → 28 communities)."""
        if new_rate < old_rate:
            raise ValueError(f"merge_rate cannot fall ({old_rate} → {new_rate}): merged communities are not split again")
        original = self.p["n_streets"] * self.p["communities_per_street"]
        target = max(self.p["n_streets"], int(round(original * (1.0 - new_rate))))
        new_of_old = np.empty(self.com.n, dtype=np.int64)
        streets = self.com.street
        nid = 0
        n_st = self.p["n_streets"]
        # target communities per street in proportion to the street's current count
        counts = np.bincount(streets, minlength=n_st)
        want = np.maximum(1, np.floor(counts * target / counts.sum()).astype(int))
        rest = target - want.sum()
        for s in np.argsort(-counts, kind="stable")[: max(rest, 0)]:
            want[s] += 1
        want = np.minimum(want, counts)
        for s in range(n_st):
            cs = np.flatnonzero(streets == s)
            groups = (np.arange(len(cs)) * want[s]) // len(cs)
            new_of_old[cs] = nid + groups
            nid += want[s]
        self._restructure(new_of_old)

    def _restructure(self, new_of_old: np.ndarray) -> None:
        """Rebuild communities, grids and posts after a merger (``new_of_old`` maps old to new
        communities; identity for re-gridding). Cadres keep their role where a post of that
        role exists in their new community (the most skilled first); the rest are cut."""
        old = self.com
        C_new = int(new_of_old.max()) + 1
        merged = np.bincount(new_of_old, minlength=C_new) > 1
        size = np.bincount(new_of_old, weights=old.size, minlength=C_new).astype(np.int64)
        start = np.full(C_new, np.iinfo(np.int64).max)
        np.minimum.at(start, new_of_old, old.start)
        street = np.zeros(C_new, dtype=np.int32)
        street[new_of_old] = old.street
        urban = np.zeros(C_new, dtype=bool)
        np.logical_or.at(urban, new_of_old, old.urban)
        radius = np.sqrt(np.bincount(new_of_old, weights=old.radius**2, minlength=C_new))  # areas add up
        facility = np.zeros(C_new)
        np.maximum.at(facility, new_of_old, old.facility)  # the best building becomes the centre
        self.com = Communities(street, urban, start, size, radius, facility)
        # residents: new community, distances scale with the new radius
        old_res_comm = self.res_community
        self.res_community = new_of_old[old_res_comm].astype(np.int32)
        self.res_dist = self.res_dist * (radius[self.res_community] / old.radius[old_res_comm])
        self.res_belonging -= 0.1 * merged[self.res_community]  # weaker ties in the new unit
        np.clip(self.res_belonging, 0.0, 1.0, out=self.res_belonging)
        self.res_grid, self.grid_community, self.grid_households = assign_grids(self.res_household, self.com,
                                                                                 self.p["grid_households"])
        self._refresh_community_cache()
        # accounts merge
        def fold(a: np.ndarray) -> np.ndarray:
            if a.ndim == 1:
                return np.bincount(new_of_old, weights=a, minlength=C_new)
            return np.stack([np.bincount(new_of_old, weights=a[:, j], minlength=C_new) for j in range(a.shape[1])], axis=1)

        self.com_balance = fold(self.com_balance)
        self.com_pipeline = fold(self.com_pipeline)
        self.com_activity_spend = fold(self.com_activity_spend)
        self.com_wages = fold(self.com_wages)
        self.com_coverage = np.divide(fold(self.com_coverage * old.size), np.maximum(size, 1))
        self.com_admin_hours = fold(self.com_admin_hours)
        self.com_tasks = fold(self.com_tasks.astype(np.float64)).astype(np.int64)
        # organisation ties follow their communities
        edges = [(u, v, d) for u, v, d in self.org_graph.edges(data=True)]
        self.org_graph = nx.Graph()
        for u, v, d in edges:
            org, c = (u, v) if isinstance(u, SocialOrganisation) else (v, u)
            nc = int(new_of_old[c])
            if self.org_graph.has_edge(org, nc):
                self.org_graph.edges[org, nc]["paid"] += d["paid"]
            else:
                self.org_graph.add_node(org, kind="organisation")
                self.org_graph.add_edge(org, nc, paid=d["paid"])
        # posts
        old_post = {name: getattr(self, f"post_{name}").copy() for name in
                    ("community", "role", "filled", "origin", "age", "skill", "tenure", "burnout", "embed", "term_left")}
        old_agents = self.post_agent
        old_new_comm = new_of_old[old_post["community"]]
        comm, role, grid = self._post_layout()
        self._alloc_posts(comm, role, grid)
        moved = np.zeros(len(old_agents), dtype=bool)
        for c in range(C_new):
            for r in range(len(T.ROLES)):
                slots = np.flatnonzero((comm == c) & (role == r))
                if not len(slots):
                    continue
                cand = np.flatnonzero(old_post["filled"] & (old_new_comm == c) & (old_post["role"] == r))
                cand = cand[np.argsort(-old_post["skill"][cand], kind="stable")][: len(slots)]
                for s, o in zip(slots, cand):
                    for name in ("filled", "origin", "age", "skill", "tenure", "burnout", "embed", "term_left"):
                        getattr(self, f"post_{name}")[s] = old_post[name][o]
                    agent = old_agents[o]
                    if agent is not None:
                        agent.slot = int(s)
                    self.post_agent[s] = agent
                    moved[o] = True
        # everyone who found no post is cut
        cut = old_post["filled"] & ~moved
        for o in np.flatnonzero(cut):
            if old_agents[o] is not None:
                old_agents[o].remove()
        if cut.any():
            if self._sep_hist:
                self._sep_hist[-1] += int(cut.sum())
            else:
                self._sep_hist.append(int(cut.sum()))
        self.post_embed = np.where(self.post_filled & merged[self.post_community], np.maximum(0.0, self.post_embed - 0.2),
                                   self.post_embed)
        self.hierarchy = self._build_hierarchy()
        self._refresh_caches()
        # the month's administrative hours fall on the new posts, so time-use outputs recorded
        # at the end of this month describe the new structure
        self.allocate_cadre_time()

    def _build_hierarchy(self) -> nx.DiGraph:
        """District → street offices → communities → grids."""
        G = nx.DiGraph()
        G.add_node("district", kind="district")
        for s in range(self.p["n_streets"]):
            G.add_edge("district", f"street:{s}")
            G.nodes[f"street:{s}"]["kind"] = "street_office"
        for c in range(self.com.n):
            G.add_edge(f"street:{int(self.com.street[c])}", f"community:{c}")
            G.nodes[f"community:{c}"].update(kind="community", urban=bool(self.com.urban[c]), residents=int(self.com.size[c]))
        for g, c in enumerate(self.grid_community):
            G.add_edge(f"community:{int(c)}", f"grid:{g}")
            G.nodes[f"grid:{g}"].update(kind="grid", households=int(self.grid_households[g]))
        return G

    # ================================================================== outputs
    def _update_participation_stats(self) -> None:
        part, age = self.res_part, self.res_age
        n_by_age = np.bincount(age, minlength=3)
        p_by_age = np.bincount(age, weights=part, minlength=3)
        rate = np.divide(p_by_age, n_by_age, out=np.zeros(3), where=n_by_age > 0)
        total = p_by_age.sum()
        self._part_stats = dict(
            participation_rate=float(total / max(self.n_residents, 1)),
            participation_youth=float(rate[T.YOUTH]),
            participation_middle=float(rate[T.MIDDLE]),
            participation_elderly=float(rate[T.ELDERLY]),
            elderly_share_of_participants=float(p_by_age[T.ELDERLY] / total) if total else 0.0,
        )

    def _init_month_stats(self) -> None:
        self.allocate_cadre_time()
        self._month_stats.update(service_coverage=0.0, so_service_share=0.0, contact_rate=0.0, wage_bill=0.0,
                                 budgeted_wage_bill_annual=0.0, spending_total=0.0, fragmentation_loss=0.0,
                                 purchase_spending=0.0, donations=0.0)
        for name in T.SERVICE_TYPES:
            self._month_stats[f"coverage_{name}"] = 0.0

    def _compute_outputs(self) -> dict[str, float]:
        s = self._month_stats
        filled = self.post_filled
        nf = int(np.count_nonzero(filled))
        n_filled = max(nf, 1)
        # post sums over filled posts in one product: tenure, burnout, overtime, admin, worked,
        # and the same for grid workers
        grid = self.post_is_grid & filled
        worked = self.post_admin + self.post_service
        M = np.stack((self.post_tenure, self.post_burnout, self.post_overtime, self.post_admin, worked))
        sums = M @ filled.astype(np.float64)
        gsums = M[3:] @ grid.astype(np.float64)
        leader = self.post_is_leader & filled
        n_lead = int(np.count_nonzero(leader))
        n_res = max(self.n_residents, 1)
        # resident means in one product
        R = np.stack((self.res_satisfaction, self.res_trust, self.res_efficacy, self.res_belonging))
        rmeans = R.sum(axis=1) / n_res
        sep, quit_, months = sum(self._sep_hist), sum(self._quit_hist), max(len(self._sep_hist), 1)
        out = dict(self._part_stats)
        out.update(
            volunteer_rate=np.count_nonzero(self.res_volunteer) / n_res,
            satisfaction_mean=float(rmeans[0]),
            satisfied_share=np.count_nonzero(self.res_satisfaction >= T.SATISFIED) / n_res,
            trust_mean=float(rmeans[1]),
            efficacy_mean=float(rmeans[2]),
            belonging_mean=float(rmeans[3]),
            turnover_annual=sep * 12.0 / months / n_filled,
            quit_rate_annual=quit_ * 12.0 / months / n_filled,
            vacancy_rate=1.0 - nf / max(self.n_posts, 1),
            mean_tenure=float(sums[0]) / n_filled,
            dispatched_leader_share=(np.count_nonzero(self.post_origin[leader] == T.DISPATCHED) / n_lead) if n_lead else 0.0,
            burnout_mean=float(sums[1]) / n_filled,
            n_cadres=float(nf),
            n_posts=float(self.n_posts),
            admin_tasks=float(self.com_tasks.sum()),
            admin_share=float(sums[3] / max(sums[4], 1e-9)),
            grid_admin_share=float(gsums[0] / max(gsums[1], 1e-9)),
            overtime_mean=float(sums[2]) / n_filled,
            n_social_orgs=float(len(self.organisations)),
            facilities_standard_share=float(self._fac_met.mean()),
            spending_per_resident=s["spending_total"] / n_res,
            budget_balance=float(self.com_balance.sum()),
            n_communities=float(self.com.n),
            n_grids=float(len(self.grid_community)),
            n_residents=float(self.n_residents),
        )
        for key in _MONTH_STAT_OUTPUTS:
            out[key] = s[key]
        return out

    # ================================================================== views
    @property
    def social_graph(self) -> nx.Graph:
        """The resident social network as a networkx Graph (built on first use from the same
        seeded ties the model computes with)."""
        if self._social_graph is None:
            self._social_graph = nx.from_scipy_sparse_array(self.ties)
        return self._social_graph

    def resident_agents(self) -> AgentSet:
        """Mesa agents for all residents (views onto the arrays), created on first call."""
        if not hasattr(self, "_resident_agents"):
            self._resident_agents = AgentSet([Resident(self, i) for i in range(self.n_residents)], random=self.random)
        return self._resident_agents

    @property
    def cadres(self) -> AgentSet:
        return self.agents_by_type.get(Cadre, AgentSet([], random=self.random))

    @property
    def organisations(self) -> list[SocialOrganisation]:
        return [n for n in self.org_graph if isinstance(n, SocialOrganisation)]
