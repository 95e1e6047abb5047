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

from . import processes as P
from . import tables as T
from .agents import Cadre
from .state import POSTS, Table
from .world import facility_standard

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
        self.agent_person = np.full(self.posts.n, -1, dtype=np.int64)  # whose Cadre agent each post holds
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
        """Per-resident, per-post and per-community quantities that follow from the levers and
        the layout alone — residents' access to services by distance, role flags, base pay, insured posts, outside wage, dispatch share, the planned
        wage bill of project-paid posts, approval delays, the task access list, facilities
        meeting the standard; recomputed after a change."""
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
            offices = {name: np.array([getattr(o, name) for o in self.street_offices])
                       for name in ("dispatch_share", "approval_delay", "task_access_list")}
            self._derived_cache = {
                "res_access": np.exp(-self.residents.dist / p["radius_decay"]),
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
                "dispatch_share": offices["dispatch_share"][com.street[po.community]],
                "plan_project_wages": np.bincount(po.community, weights=base_cost * _PROJECT[role], minlength=com.n),
                "approval_delay": np.rint(offices["approval_delay"][com.street] * (1.0 - p["fund_authority"]))
                .astype(np.int64),
                "access_list": offices["task_access_list"][com.street].astype(np.float64),
                "facility_met": (com.facility >= facility_standard(com.urban)).astype(np.float64),
            }
        return self._derived_cache

    def post_pay(self: GovernanceModel) -> np.ndarray:
        """Monthly pay of each post now (the compiled rule, ``processes.post_pay``): the scale
        (allowances included), raised by grade steps and by a career-establishment post;
        insurance not included."""
        po = self.posts
        return P.post_pay(self.par[0], self.derived()["base_pay"], po.grade, po.established)

    # ------------------------------------------------------------------ agents
    def _new_cadres(self: GovernanceModel, idx: np.ndarray) -> None:
        """New people in posts ``idx``: a person id each (``counters[0]``) and a Cadre agent."""
        po = self.posts
        for i in idx.tolist():
            po.person[i] = self.counters[0]
            self.counters[0] += 1
            self.post_agents[i] = Cadre(self, i)
            self.agent_person[i] = po.person[i]
