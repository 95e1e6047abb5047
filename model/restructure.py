"""Restructuring: scheduled policy changes, mergers of communities and re-gridding.

These run rarely (when a scheduled change is due), so they stay in Python. A merger joins
neighbouring communities of a street; re-gridding redraws grids inside communities; both
rebuild the post table, keeping cadres in posts of their role (the most skilled first) and
cutting the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import processes as P
from . import tables as T
from .state import COMMUNITIES, Table

if TYPE_CHECKING:  # pragma: no cover
    from .model import GovernanceModel

__all__ = ["RESTRUCTURING", "Restructuring"]

# Levers whose change rebuilds grids and posts.
RESTRUCTURING = ("merge_rate", "grid_households", "first_secretary", "merged_committee_posts")


class Restructuring:
    """The restructuring part of :class:`~model.model.GovernanceModel`."""

    def _apply_due_changes(self: GovernanceModel, up_to: int) -> None:
        """Apply scheduled changes for months ≤ ``up_to`` not yet applied."""
        due = [c for c in self.schedule_changes if c.month <= up_to and c not in self.applied]
        if not due:
            return
        before = {k: self.p[k] for k in RESTRUCTURING}
        parttime_before = self.p["parttime_committee"]
        for change in due:
            self.p[change.name] = change.value
            self.applied.append(change)
        self.par = P.param_record(self.p)
        for office in self.street_offices:
            office.adopt(self.p)
        self.invalidate()
        if self.p["merge_rate"] != before["merge_rate"]:
            self._merge(before["merge_rate"], self.p["merge_rate"])
        elif any(self.p[k] != before[k] for k in RESTRUCTURING):
            self._restructure(np.arange(self.communities.n))
        elif self.p["parttime_committee"] != parttime_before:
            self._set_hours()

    def _merge(self: GovernanceModel, old_rate: float, new_rate: float) -> None:
        """Merge neighbouring communities of each street so that a share ``new_rate`` of the
        original communities is absorbed (Report §2: 93 villages → 28 communities)."""
        if new_rate < old_rate:
            raise ValueError(f"merge_rate cannot fall ({old_rate} → {new_rate}): merged communities are not split again")
        com, p = self.communities, self.p
        original = p["n_streets"] * p["communities_per_street"]
        target = max(p["n_streets"], int(round(original * (1.0 - new_rate))))
        n_st = p["n_streets"]
        counts = np.bincount(com.street, minlength=n_st)
        want = np.maximum(1, np.floor(counts * target / counts.sum()).astype(int))
        rest = target - want.sum()
        for s in np.argsort(-counts, kind="stable")[: max(rest, 0)]:
            want[s] += 1
        want = np.minimum(want, counts)
        new_of_old = np.empty(com.n, dtype=np.int64)
        nid = 0
        for s in range(n_st):
            cs = np.flatnonzero(com.street == s)
            new_of_old[cs] = nid + (np.arange(len(cs)) * want[s]) // len(cs)
            nid += want[s]
        self._restructure(new_of_old)

    def _restructure(self: GovernanceModel, new_of_old: np.ndarray) -> None:
        """Rebuild communities, grids and posts (``new_of_old`` maps old to new communities;
        the identity for re-gridding)."""
        old = self.communities
        p = self.p
        C = int(new_of_old.max()) + 1
        merged = np.bincount(new_of_old, minlength=C) > 1

        def add(a: np.ndarray) -> np.ndarray:
            if a.ndim == 1:
                return np.bincount(new_of_old, weights=a, minlength=C)
            return np.stack([np.bincount(new_of_old, weights=a[:, j], minlength=C) for j in range(a.shape[1])], axis=1)

        start = np.full(C, np.iinfo(np.int64).max)
        np.minimum.at(start, new_of_old, old.start)
        street = np.zeros(C, dtype=np.int32)
        street[new_of_old] = old.street
        urban = np.zeros(C, dtype=bool)
        np.logical_or.at(urban, new_of_old, old.urban)
        facility = np.zeros(C)
        np.maximum.at(facility, new_of_old, old.facility)  # the best building becomes the centre
        radius = np.sqrt(add(old.radius**2))  # areas add up
        size = add(old.size.astype(np.float64))
        new = Table("communities", COMMUNITIES, C)
        new.street, new.urban, new.start, new.size = street, urban, start, size.astype(np.int64)
        new.radius, new.facility = radius, facility
        new.units = add(old.units.astype(np.float64)).astype(np.int64)
        new.balance, new.pipeline = add(old.balance), add(old.pipeline)
        new.activity_spend, new.wages = add(old.activity_spend), add(old.wages)
        new.coverage = add(old.coverage * old.present) / np.maximum(add(old.present.astype(np.float64)), 1.0)
        new.tasks, new.reentered, new.admin_hours = add(old.tasks), add(old.reentered), add(old.admin_hours)
        self._admin_by_type = add(self._admin_by_type)
        self.communities = new
        # residents: new community; distances scale with the new radius; weaker ties in a merged unit
        res = self.residents
        old_com = res.community
        res.community = new_of_old[old_com].astype(np.int32)
        res.dist = res.dist * (radius[res.community] / old.radius[old_com])
        if p["mech_merger_ties"]:
            res.belonging = np.clip(res.belonging - p["merger_belonging_loss"] * merged[res.community], 0.0, 1.0)
        self._assign_grids()
        self._count_present()
        # organisation ties follow their communities (an organisation's two ties to one new
        # community join into its first)
        links = self.links
        used = links.community >= 0
        links.community = np.where(used, new_of_old[np.maximum(links.community, 0)], -1)
        first, second = links.community[0::2], links.community[1::2]
        same = (second >= 0) & (second == first)
        links.paid[0::2] += np.where(same, links.paid[1::2], 0.0)
        links.community[1::2] = np.where(same, -1, second)
        links.paid[1::2] = np.where(same, 0.0, links.paid[1::2])
        self._rebuild_posts(new_of_old, merged)
        self.hierarchy = self._build_hierarchy()
        self.invalidate()

    def _rebuild_posts(self: GovernanceModel, new_of_old: np.ndarray, merged: np.ndarray) -> None:
        """Lay the posts out anew; cadres keep their role where a post of that role exists in
        their new community (the most skilled first); the rest are cut."""
        po = self.posts
        old = po.snapshot()
        old_agents = self.post_agents
        old_com = new_of_old[old["community"]]
        layout = self._post_layout()
        po.replace(len(layout["role"]), layout)
        self.post_agents = [None] * po.n
        moved = np.zeros(len(old_agents), dtype=bool)
        # a cadre keeps her state, this month's time use included (the month's work was done
        # before the restructuring at its end); the post's own layout is new
        carried = [c.name for c in po.columns() if c.name not in ("community", "role", "grid", "parttime", "hours")]
        C = self.communities.n
        for c in range(C):
            for r in range(T.N_ROLES):
                slots = np.flatnonzero((po.community == c) & (po.role == r))
                if not len(slots):
                    continue
                cand = np.flatnonzero(old["filled"] & (old_com == c) & (old["role"] == r))
                cand = cand[np.argsort(-old["skill"][cand], kind="stable")][: len(slots)]
                for s, o in zip(slots.tolist(), cand.tolist()):
                    for name in carried:
                        getattr(po, name)[s] = old[name][o]
                    agent = old_agents[o]
                    if agent is not None:
                        agent.slot = s
                    self.post_agents[s] = agent
                    moved[o] = True
        cut = old["filled"] & ~moved
        for o in np.flatnonzero(cut).tolist():
            if old_agents[o] is not None:
                old_agents[o].remove()
        self.agent_person = po.person.copy()
        self.hist[0, self.month % 12] += int(cut.sum())
        if self.p["mech_merger_ties"]:
            po.embed = np.where(po.filled & merged[po.community],
                                np.maximum(0.0, po.embed - self.p["merger_embed_loss"]), po.embed)
        self._set_hours()
