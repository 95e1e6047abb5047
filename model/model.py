"""GovernanceModel: the monthly cycle of community governance.

``step()`` is the ODD process overview (docs/ODD.md §3): the seven monthly processes, compiled
in ``model/processes.py`` and run by ``processes.month`` in their order, then
``apply_policies`` and ``collect``. The state lives in the declared entity tables of
``model/state.py`` — ``residents``, ``posts``, ``communities``, ``grids``, ``organisations``
(``organisation_table``) and ``links``. This module draws each month's random numbers, hands
the tables to the compiled processes and keeps the Mesa agents in step with them; posts and
the workforce (``model/workforce.py``), restructuring (``model/restructure.py``) and the
organisation market (``model/organisations.py``) live in modules of their own.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.agent import AgentSet

from . import processes as P
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

_TABLE_PREFIX = {"res": "residents", "po": "posts", "com": "communities", "grid": "grids",
                 "org": "organisation_table", "link": "links"}
_MONTH_ARGS = list(inspect.signature(getattr(P.months, "py_func", P.months)).parameters)
_STATE_ARGS = _MONTH_ARGS[_MONTH_ARGS.index("n_rows") + 1:_MONTH_ARGS.index("u_admin")]
_RECORD_ARGS = list(inspect.signature(getattr(P.record_outputs, "py_func", P.record_outputs)).parameters)
_RECORD_STATE = _RECORD_ARGS[_RECORD_ARGS.index("hist") + 1:_RECORD_ARGS.index("n_grids")]
# the streams the processes draw from, in the order ``processes.months`` takes their buffers
_DRAW_STREAMS = ("admin", "services", "participation", "migration", "workforce", "budget", "organisations")
_CHUNK_DRAWS = 4_000_000  # uniforms per stream buffered at most (months run together are bounded by it)


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
        self.record_burn_in = bool(record_burn_in)
        self.par = P.param_record(self.p)  # the parameters as the compiled processes read them
        self.stats = np.zeros(1, dtype=P.STATS_DTYPE).view(np.recarray)  # the month's flows (services, money)
        # separations, quits, staff separations and election losses of the last 12 months
        self.hist = np.zeros((4, 12))
        self.clock = np.array([self.month, self.next_election], dtype=np.int64)
        self.counters = np.zeros(2, dtype=np.int64)  # the next person id and organisation id
        self.buffers = [np.zeros(0, np.float32) for _ in _DRAW_STREAMS]  # uniforms drawn but not yet read, per stream

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
        self.n_needs = int(self.residents.needs.sum())

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
        self.recorder = MonthlyRecorder(list(OUTPUTS), agent_data=agent_data,
                                        months=self.horizon + 1 + (int(self.p["burn_in"]) if record_burn_in else 0))
        self.datacollector = self.recorder  # the name mesa.batch_run looks for
        self._args_key: tuple = ()
        self._args: tuple = ()

        # ------------------------------------------------------------ burn-in, month 0
        if self.p["burn_in"] > 0:
            self.run_months(int(self.p["burn_in"]))  # months −burn_in+1 … 0, without Mesa's step counter
        else:
            P.allocate_cadre_time(self.par[0], self.posts.community, self.posts.role, self.posts.filled,
                                  self.posts.hours, self._admin_by_type, self.posts.admin, self.posts.service,
                                  self.posts.overtime, self.posts.contact)
            self.month -= 1
        self.apply_policies()  # month 0: its scheduled changes
        self.collect()

    # ================================================================== the monthly cycle
    def step(self) -> None:
        """One month, in the order of the ODD process overview."""
        self.run_months(1)  # 1-7: assign_admin_tasks … settle_budget, compiled (processes.months)
        self.apply_policies()  # 8
        self.collect()  # 9

    def run_for(self, duration: int) -> None:  # type: ignore[override]
        """Advance ``duration`` months."""
        for _ in range(int(duration)):
            self.step()

    def run_model(self) -> None:
        """Run until the horizon."""
        while self.running:
            self.step()

    def advance(self) -> None:
        """Run to the horizon the fast way (what ``model.run.simulate`` does): the months up to
        each scheduled change run together in the compiled processes, with the same results as
        ``run_model`` month by month; Mesa's ``steps`` and ``time`` are not counted, and agent
        data (if recorded) is taken month by month."""
        while self.running:
            due = [c.month for c in self.schedule_changes if c.month > self.month and c not in self.applied]
            k = min(self.horizon, min(due, default=self.horizon)) - self.month
            self.run_months(1 if self.recorder.agent_data else max(1, k))
            self.apply_policies()
            self.collect()

    # ------------------------------------------------------------------ 1-7. the processes
    def run_months(self, k: int) -> None:
        """Run processes 1-7 for ``k`` months without a policy change between them: months
        month + 1 … month + k, recording all but the last (which ``apply_policies`` and
        ``collect`` finish). The months go to the compiled processes in chunks small enough
        that the random numbers buffered for a chunk stay within ``_CHUNK_DRAWS`` per stream.
        The Mesa agents and the organisation table are brought up to date after them."""
        while k > 0:
            chunk = min(k, self._chunk_limit())
            k -= chunk
            needed = self._fill_buffers(chunk)
            self._ensure_capacity(chunk)
            drawn = np.zeros(len(_DRAW_STREAMS), dtype=np.int64)
            rows = self.recorder.reserve(chunk)
            n_rows = np.array([self.recorder.n], dtype=np.int64)
            P.months(chunk, k > 0, self.par, self.stats, self.clock, self.hist, int(self.p["burn_in"]),
                     self.record_burn_in, rows, n_rows, *self._state_args(), *self.buffers, drawn)
            self.recorder.n = int(n_rows[0])
            if drawn.tolist() != needed:  # the processes read exactly what _draws_needed promised
                raise RuntimeError(f"processes read {drawn.tolist()} uniforms, expected {needed}")
            self.buffers = [b[d:] for b, d in zip(self.buffers, needed, strict=True)]
        self.month = int(self.clock[0]) - 1  # apply_policies moves it to the last month run
        self.next_election = int(self.clock[1])
        self._sync_agents()
        self._sync_organisations()

    def _draws_needed(self, k: int) -> list[int]:
        """How many uniforms ``k`` months read from each stream (``processes.months``): four per
        community for administrative tasks; one per resident and per need for services; one per
        resident for volunteer drop-out, plus three per resident and two per community in a
        consultation month and two per resident in an election month; one per resident for
        out-migration; seven per post; one per community for project grants; six per street for
        organisations."""
        N, C, Pn, S = self.residents.n, self.communities.n, self.posts.n, len(self.street_offices)
        interval, term = int(self.p["consultation_interval"]), int(self.p["term_length"])
        participation, election = 0, int(self.clock[1])
        for month in range(int(self.clock[0]) + 1, int(self.clock[0]) + k + 1):
            participation += N + (3 * N + 2 * C if month % interval == 0 else 0)
            if self.p["mech_elections"] and month == election:
                participation += 2 * N
                election += term
        return [k * 4 * C, k * (N + self.n_needs), participation, k * N, k * 7 * Pn, k * C, k * 6 * S]

    def _chunk_limit(self) -> int:
        """Most months run together, so that no stream buffers more than ``_CHUNK_DRAWS``."""
        return max(1, _CHUNK_DRAWS // max(6 * self.residents.n, 1))

    def _fill_buffers(self, k: int) -> list[int]:
        """Draw from each stream what ``k`` months read, and say how many that is. Buffering
        does not change what a process reads: its uniforms are the stream's next ones, in
        order (an odd one left over waits in the buffer for the next call). They are single
        precision, two from each 64-bit output of the stream's PCG64 generator
        (``processes.uniforms``; resolution 2⁻²⁴ ≈ 6·10⁻⁸, far below any probability the
        model compares them with), which makes drawing them a third as costly as NumPy's
        double-precision ``random``."""
        needs = self._draws_needed(k)
        for i, (name, need) in enumerate(zip(_DRAW_STREAMS, needs, strict=True)):
            missing = need - len(self.buffers[i])
            if missing > 0:
                fresh = P.uniforms(self.streams[name].bit_generator.random_raw((missing + 1) // 2))
                self.buffers[i] = np.concatenate([self.buffers[i], fresh]) if len(self.buffers[i]) else fresh
        return needs

    def _state_args(self) -> tuple:
        """The arrays ``processes.months`` takes, by the names of its parameters (``res_trust``
        is ``residents.trust``, …); collected again only when a table changed shape or a column
        was replaced (the processes change columns in place)."""
        key = (self.residents.version, self.posts.version, self.communities.version, self.grids.version,
               self.organisation_table.version, self.links.version, id(self._derived_cache), id(self.ties),
               id(self._admin_by_type))
        if key != self._args_key:
            self._args = tuple(self._resolve(name) for name in _STATE_ARGS)
            self._record_args = tuple(self._resolve(name) for name in _RECORD_STATE)
            self._args_key = key
        return self._args

    def _resolve(self, name: str) -> Any:
        prefix, _, column = name.partition("_")
        table = getattr(self, _TABLE_PREFIX[prefix]) if prefix in _TABLE_PREFIX else None
        if table is not None and column in table._columns:
            return getattr(table, column)
        if name == "ties_indptr":
            return self.ties.indptr
        if name == "ties_indices":
            return self.ties.indices
        if name == "admin_by_type":
            return self._admin_by_type
        if name == "counters":
            return self.counters
        return self.derived()[name]

    def _sync_agents(self) -> None:
        """A Cadre agent for every person in post: new people get one, people who left lose
        theirs (``posts.person`` tells who holds each post)."""
        person = self.posts.person
        changed = np.flatnonzero(person != self.agent_person)
        for i in changed.tolist():
            agent = self.post_agents[i]
            if agent is not None:
                agent.remove()
                self.post_agents[i] = None
            if person[i] >= 0:
                self.post_agents[i] = Cadre(self, i)
        if len(changed):
            self.agent_person[changed] = person[changed]

    # ------------------------------------------------------------------ 8. policies
    def apply_policies(self) -> None:
        """Changes scheduled for this month take effect at its end: they show in this month's
        structural outputs and drive the processes from next month on."""
        self.month += 1
        self.clock[0] = self.month
        self._apply_due_changes(up_to=self.month)
        if self.month >= self.horizon:
            self.running = False

    # ------------------------------------------------------------------ 9. outputs
    def collect(self) -> None:
        """Record the declared outputs (and agent data) of months 0..horizon."""
        if self.month < 0 and not self.record_burn_in:
            return
        row = self.recorder.reserve(1)[self.recorder.n:self.recorder.n + 1]
        months = min(max(self.month + int(self.p["burn_in"]), 1), 12)  # months in the turnover windows
        self._state_args()
        P.record_outputs(row, self.par, self.month, months, self.stats, self.hist, *self._record_args,
                         self.grids.n, int(self.organisation_table.active.sum()))
        self.recorder.collect(self)

    @property
    def current_outputs(self) -> dict[str, float]:
        """The declared outputs of the latest recorded month."""
        return self.recorder.last()

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
        res.satisfaction = rng.beta(*T.SATISFACTION_BETA, N)
        res.disposition = rng.standard_normal(N) * p["disposition_sd"]
        res.belonging = rng.beta(*T.BELONGING_BETA, N)
        res.expectation = np.full(N, T.INITIAL_EXPECTATION)
        res.volunteer = u[2] < p["initial_volunteers"]
        # efficacy starts around the fixed point of consultation learning under the month-0
        # settings (docs/ODD.md §5), so the burn-in need not wait for its slow approach. It is
        # drawn last: how many draws a beta variate takes depends on its shape, i.e. on the
        # decision authority, and no other attribute may depend on a lever through that. The
        # fixed point is kept inside (0, 1), where the beta distribution exists (it is 0 at
        # δ = 0 and 1 at δ = 1 without loser learning).
        e_star = min(max(efficacy_fixed_point(p["decision_authority"], p["loser_learning"]), 1e-6), 1.0 - 1e-6)
        res.efficacy = rng.beta(T.EFFICACY_CONCENTRATION * e_star, T.EFFICACY_CONCENTRATION * (1.0 - e_star), N)

    def _assign_grids(self) -> None:
        grid, g_com, g_hh = assign_grids(self.residents.household, self.communities, self.p["grid_households"])
        self.residents.grid = grid
        self.grids.replace(len(g_com), {"community": g_com, "households": g_hh})

    def _count_present(self) -> None:
        """Residents and households present in each community, and the needs and volunteers
        among them (at the start and after restructuring; the processes keep them current)."""
        res, com = self.residents, self.communities
        com.present = np.bincount(res.community, weights=res.present, minlength=com.n).astype(np.int64)
        needs = np.zeros((com.n, res.needs.shape[1]), dtype=np.int64)
        np.add.at(needs, res.community[res.present], res.needs[res.present].astype(np.int64))
        com.needs = needs
        com.volunteers = np.bincount(res.community, weights=res.present & res.volunteer,
                                     minlength=com.n).astype(np.int64)
        hh = res.household[res.present]
        first = np.ones(len(hh), dtype=bool)
        first[1:] = hh[1:] != hh[:-1]
        com.households = np.bincount(res.community[res.present][first], minlength=com.n).astype(np.int64)

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
        while m < start:  # first_election 0 without a burn-in: month 0 is not simulated
            m += term
        return m

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
