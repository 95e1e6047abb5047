"""Posts and the workforce: the post table's layout, pay, hiring, separations, elections,
layoffs and careers.

A post is a seat in a community (secretary, director, deputy, member, full-time staff, grid
worker, first secretary); a cadre is the person holding it. The post table (``model.posts``,
declared in ``model/state.py``) carries both, and each serving cadre is also a Mesa
:class:`~model.agents.Cadre` agent, a view onto its post. The rules are kernels in
``model/kernels.py``; this module prepares their inputs and keeps the agents in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import kernels as K
from . import tables as T
from .agents import Cadre
from .state import POSTS, Table

if TYPE_CHECKING:  # pragma: no cover
    from .model import GovernanceModel

__all__ = ["Workforce"]

_COMMITTEE = np.isin(np.arange(T.N_ROLES), T.COMMITTEE_ROLES)
_LEADER = np.isin(np.arange(T.N_ROLES), T.LEADER_ROLES)
_PROJECT = np.isin(np.arange(T.N_ROLES), (T.STAFF, T.GRID_WORKER))  # paid from project money, insured as staff
_PARTTIME_ELIGIBLE = np.isin(np.arange(T.N_ROLES), (T.DEPUTY, T.MEMBER))


class Workforce:
    """The posts-and-workforce part of :class:`~model.model.GovernanceModel`."""

    # ------------------------------------------------------------------ layout
    def _post_layout(self: GovernanceModel) -> dict[str, np.ndarray]:
        """(community, role, grid) of every post under the current structure and levers:
        committee posts (``committee_posts`` per community, ``merged_committee_posts`` in a
        merged one; larger communities get the extra post), staff, a first secretary in each
        rural community when dispatched, one grid worker per grid."""
        p, com = self.p, self.communities
        C = com.n
        per = np.where(com.units > 1, p["merged_committee_posts"], p["committee_posts"])
        k = np.floor(per).astype(int)
        extra = int(round(float((per - k).sum())))
        order = np.argsort(-com.size, kind="stable")
        k[order[:extra]] += 1
        grids_of: list[list[int]] = [[] for _ in range(C)]
        for g, c in enumerate(self.grids.community):
            grids_of[int(c)].append(g)
        comm, role, grid = [], [], []
        for c in range(C):
            kc = max(int(k[c]), 2)
            deputies = min(p["deputies_per_committee"], kc - 2)
            roles = [T.SECRETARY, T.DIRECTOR] + [T.DEPUTY] * deputies + [T.MEMBER] * (kc - 2 - deputies)
            roles += [T.STAFF] * (p["staff_per_community_urban"] if com.urban[c] else p["staff_per_community"])
            if p["first_secretary"] and not com.urban[c]:
                roles.append(T.FIRST_SECRETARY)
            comm += [c] * len(roles)
            role += roles
            grid += [-1] * len(roles)
            for g in grids_of[c]:
                comm.append(c)
                role.append(T.GRID_WORKER)
                grid.append(g)
        return {"community": np.asarray(comm, np.int32), "role": np.asarray(role, np.int8),
                "grid": np.asarray(grid, np.int32)}

    def _set_hours(self: GovernanceModel) -> None:
        """Part-time posts: in each rural community the first ``parttime_committee`` share of
        its deputy and member posts (none with ``mech_parttime`` off); their hours."""
        po, p = self.posts, self.p
        eligible = _PARTTIME_ELIGIBLE[po.role] & ~self.communities.urban[po.community]
        parttime = np.zeros(po.n, dtype=bool)
        if p["mech_parttime"] and p["parttime_committee"] > 0:
            rank = np.zeros(po.n)
            for c in np.unique(po.community[eligible]):
                idx = np.flatnonzero(eligible & (po.community == c))
                parttime[idx[: int(np.floor(p["parttime_committee"] * len(idx) + 0.5))]] = True
            del rank
        po.parttime = parttime
        po.hours = np.where(parttime, p["parttime_hours"], p["cadre_hours"])

    def _init_posts(self: GovernanceModel) -> None:
        """Posts filled at ``initial_fill``; leaders dispatched at ``dispatch_share``; tenures
        spread out; embeddedness from tenure; dispatched terms part-way through."""
        self.posts = Table("posts", POSTS, 0)
        self.posts.replace(0)
        layout = self._post_layout()
        self.posts.replace(len(layout["role"]), layout)
        self.post_agents: list[Cadre | None] = [None] * self.posts.n
        self.next_person = 0
        self._derived_cache: dict[str, Any] | None = None
        self._set_hours()
        po, rng, p = self.posts, self.streams["cadres"], self.p
        P = po.n
        u = rng.random((6, P))
        d = self.derived()
        dispatched = d["is_first_secretary"] | (d["is_leader"] & (u[0] < p["dispatch_share"]))
        origin = np.where(dispatched, T.DISPATCHED, d["default_origin"]).astype(np.int8)
        start = u[1] < p["initial_fill"]
        po.filled = start
        po.origin = np.where(start, origin, -1)
        o = np.maximum(po.origin, 0)
        po.age = T.ORIGIN_AGE[o, 0] + u[2] * (T.ORIGIN_AGE[o, 1] - T.ORIGIN_AGE[o, 0])
        po.skill = T.ORIGIN_SKILL[o, 0] + u[3] * (T.ORIGIN_SKILL[o, 1] - T.ORIGIN_SKILL[o, 0])
        po.tenure = np.where(start, np.floor(u[4] * T.START_TENURE_MAX), 0.0)
        po.embed = np.where(start, np.minimum(T.EMBED_CEILING, T.ORIGIN_EMBED[o] + 0.2 * po.tenure / T.START_TENURE_MAX),
                            0.0)
        po.burnout = np.where(start, T.HIRE_BURNOUT, 0.0)
        po.term_left = np.where(start & (po.origin == T.DISPATCHED), np.ceil(u[5] * p["dispatch_term"]), 0.0)
        po.skill = po.skill * start
        po.age = po.age * start
        self._new_cadres(np.flatnonzero(start))

    # ------------------------------------------------------------------ derived per-post quantities
    def invalidate(self: GovernanceModel) -> None:
        """Forget quantities derived from the levers and the post table (after a change)."""
        self._derived_cache = None

    def derived(self: GovernanceModel) -> dict[str, Any]:
        """Per-post and per-community quantities that follow from the levers and the post
        layout alone (role flags, base pay, outside wage, dispatch share, insured posts, the
        planned wage bill of project-paid posts, approval delays); recomputed after a change."""
        if self._derived_cache is None:
            p, po, com = self.p, self.posts, self.communities
            role = po.role
            scale = np.array([p["pay_secretary"], p["pay_director"], p["pay_deputy"], p["pay_member"], p["pay_staff"],
                              p["pay_grid_worker"], 0.0])
            committee = _COMMITTEE[role]
            base = scale[role] + np.where(committee, p["pay_topup"], 0.0)
            insured = _PROJECT[role] & bool(p["social_insurance"])
            on_budget = role != T.FIRST_SECRETARY  # first secretaries are paid by their home unit
            base_cost = base * (1.0 + p["insurance_rate"] * insured) * on_budget
            offices = np.array([o.dispatch_share for o in self.street_offices])
            delay = np.array([o.approval_delay for o in self.street_offices])[com.street]
            self._derived_cache = {
                "is_committee": committee,
                "is_leader": _LEADER[role],
                "is_project": _PROJECT[role],
                "is_staff": role == T.STAFF,
                "is_first_secretary": role == T.FIRST_SECRETARY,
                "default_origin": np.where(committee, T.LOCAL, T.RECRUITED).astype(np.int8),
                "base_pay": base,
                "insured": insured,
                "on_budget": on_budget,
                "outside": np.where(com.urban[po.community], p["outside_wage_urban"], p["outside_wage_rural"]),
                "dispatch_share": offices[com.street[po.community]],
                "plan_project_wages": np.bincount(po.community, weights=base_cost * _PROJECT[role], minlength=com.n),
                "approval_delay": np.rint(delay * (1.0 - p["fund_authority"])).astype(np.int64),
            }
        d = self._derived_cache
        pay = self.post_pay()
        d["pay"] = pay
        d["wage_cost"] = pay * (1.0 + self.p["insurance_rate"] * d["insured"]) * d["on_budget"]
        return d

    def post_pay(self: GovernanceModel) -> np.ndarray:
        """Monthly pay of each post now: the scale (allowances included), raised
        by grade steps and by a career-establishment post; insurance not included."""
        po, p = self.posts, self.p
        base = self._derived_cache["base_pay"] if self._derived_cache is not None else self.derived()["base_pay"]
        return base * (1.0 + p["grade_step"] * po.grade) * (1.0 + p["establishment_premium"] * po.established)

    def post_accounting(self: GovernanceModel) -> dict[str, float]:
        """Committee posts and their annual wage bill on the current pay scale (Report §2)."""
        d = self.derived()
        committee = d["is_committee"]
        return {
            "communities": float(self.communities.n),
            "committee_posts": float(committee.sum()),
            "committee_wage_bill_annual": float(12.0 * d["wage_cost"][committee].sum()),
        }

    # ------------------------------------------------------------------ the month's workforce process
    def _separations(self: GovernanceModel) -> tuple[int, int, np.ndarray | None, int]:
        """Hazards, retirements, rotations and quits; then, in an election month, the
        re-election of incumbents. Returns (separations, quits, posts lost at the election,
        separations of project-paid staff and grid workers)."""
        p, po, rng = self.p, self.posts, self.streams["workforce"]
        self._u_work = rng.random((7, po.n))  # quit, re-election, fill, origin, age, skill, conversion
        u = self._u_work
        d = self.derived()
        res = self.residents
        C = self.communities.n
        n = np.maximum(np.bincount(res.community, weights=res.present, minlength=C), 1.0)
        capital = (np.bincount(res.community, weights=(res.trust + res.belonging) * 0.5 * res.present, minlength=C) / n
                   if p["mech_capital_retention"] else np.full(C, 0.5))
        gamma = np.array([p["gamma0"], p["gamma_wage"], p["gamma_burnout"], p["gamma_embed"], p["gamma_insurance"],
                          p["gamma_establishment"], p["gamma_promotion"], p["gamma_capital"]])
        insured = d["insured"]
        leave, quits = np.empty(po.n, dtype=bool), np.empty(po.n, dtype=bool)
        n_sep = K.monthly_hazard(po.community, po.role, po.filled, po.origin, po.parttime, insured, po.established,
                                 po.grade, po.age, po.tenure, po.burnout, po.embed, po.term_left, po.skill, po.admin,
                                 po.service, po.overtime, po.hours, d["pay"], d["outside"], capital, u[0],
                                 float(p["retirement_age"]), T.DISPATCHED, bool(p["promotion_ladder"]), gamma,
                                 np.array([p["burnout_overtime_weight"], p["burnout_admin_weight"]]),
                                 p["overtime_scale"], p["burnout_rate"], p["decision_authority"],
                                 p["outside_earnings"], p["cadre_hours"], T.EMBED_CEILING, T.EMBED_GROWTH,
                                 T.SKILL_GROWTH, leave, quits)
        staff_left = int((leave & d["is_project"]).sum())
        self._vacate(leave)
        lost = None
        if self._voter_means is not None:
            lost = np.empty(po.n, dtype=bool)
            stood = int((po.filled & d["is_committee"] & (po.origin != T.DISPATCHED)).sum())
            n_lost = K.election_results(po.community, po.role, po.filled, po.origin, d["is_committee"], T.DISPATCHED,
                                        self._voter_means[0], self._voter_means[1], u[1], p["reelect_base"],
                                        p["reelect_satisfaction"], p["reelect_trust"], lost)
            self._vacate(lost)
            n_sep += n_lost
            self.last_election_stats[1] = 1.0 - n_lost / stood if stood else 1.0
            self.last_election_stats[2] = stood
            self.next_election += int(p["term_length"])
        return n_sep, int(quits.sum()), lost, staff_left

    def _layoffs(self: GovernanceModel) -> int:
        """Lay off one project-paid worker per month in each community whose deficit exceeds
        ``layoff_threshold`` months of its wage bill; the post stays frozen until the account
        is back in balance ("cut away")."""
        po, com = self.posts, self.communities
        monthly = np.maximum(com.wages, 1.0)
        deficit = com.balance < -self.p["layoff_threshold"] * monthly
        po.frozen = po.frozen & ~(com.balance >= 0)[po.community]
        if not deficit.any():
            return 0
        cand = po.filled & self.derived()["is_project"] & deficit[po.community]
        laid = np.zeros(po.n, dtype=bool)
        for c in np.unique(po.community[cand]):
            idx = np.flatnonzero(cand & (po.community == c))
            laid[idx[np.argmin(po.tenure[idx])]] = True
        self._vacate(laid)
        po.frozen = po.frozen | laid
        return int(laid.sum())

    def _recruit(self: GovernanceModel, *, elected: np.ndarray | None) -> None:
        """Fill vacancies (``kernels.hire``); an election fills the posts it opened."""
        p, po, u = self.p, self.posts, self._u_work
        d = self.derived()
        vacant = ~po.filled & ~po.frozen
        if not vacant.any():
            return
        by_election = elected if elected is not None else np.zeros(po.n, dtype=bool)
        hired = np.empty(po.n, dtype=bool)
        K.hire(vacant, d["is_leader"], d["is_first_secretary"], d["is_staff"], d["default_origin"],
               d["dispatch_share"], by_election, d["base_pay"], d["outside"], u[2], u[3], u[4], u[5],
               p["graduate_recruitment"], p["dispatch_fill_rate"], p["applicants_at_parity"],
               p["recruit_elasticity"], p["graduate_applicants"], p["personnel_authority"], T.ORIGIN_AGE,
               T.ORIGIN_SKILL, T.ORIGIN_EMBED, T.DISPATCHED, T.GRADUATE, T.LOCAL, float(p["dispatch_term"]),
               T.HIRE_BURNOUT, hired, po.filled, po.origin, po.age, po.skill, po.tenure, po.burnout, po.embed,
               po.term_left, po.established, po.grade)
        self._new_cadres(np.flatnonzero(hired))

    def _convert_and_promote(self: GovernanceModel) -> None:
        """Career-establishment conversion of eligible workers at ``establishment_rate``; grade
        steps on the ladder every ``grade_months`` of tenure."""
        p, po = self.p, self.posts
        local = po.filled & (po.origin != T.DISPATCHED)
        eligible = local & ~po.established & (po.tenure >= p["establishment_tenure"])
        convert = eligible & (self._u_work[6] < p["establishment_rate"])
        if convert.any():
            po.established = po.established | convert
        if p["promotion_ladder"]:
            po.grade = np.where(local, np.minimum(p["max_grades"], np.floor(po.tenure / p["grade_months"])), 0.0)
        elif po.grade.any():
            po.grade = np.zeros(po.n)

    # ------------------------------------------------------------------ agents
    def _new_cadres(self: GovernanceModel, idx: np.ndarray) -> None:
        po = self.posts
        for i in idx.tolist():
            po.person[i] = self.next_person
            self.next_person += 1
            self.post_agents[i] = Cadre(self, i)

    def _vacate(self: GovernanceModel, mask: np.ndarray) -> None:
        po = self.posts
        for i in np.flatnonzero(mask).tolist():
            agent = self.post_agents[i]
            if agent is not None:
                agent.remove()
                self.post_agents[i] = None
        if mask.any():
            po.filled = po.filled & ~mask
            po.origin = np.where(mask, -1, po.origin)
            po.person = np.where(mask, -1, po.person)
            po.burnout = np.where(mask, 0.0, po.burnout)
            po.established = po.established & ~mask
            po.grade = np.where(mask, 0.0, po.grade)
