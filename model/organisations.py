"""The organisation market: social organisations, their ties to communities, purchase of
services, folding and entry.

Organisations are rows of the ``organisations`` table and their ties to communities rows of
the ``links`` table (``model/state.py``); each active organisation is also a Mesa
:class:`~model.agents.SocialOrganisation` agent. ``org_graph`` gives the ties as a bipartite
networkx graph on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from . import kernels as K
from . import tables as T
from .agents import SocialOrganisation
from .state import LINKS, ORGANISATIONS, Table

if TYPE_CHECKING:  # pragma: no cover
    from .model import GovernanceModel

__all__ = ["OrganisationMarket"]


class OrganisationMarket:
    """The organisation-market part of :class:`~model.model.GovernanceModel`."""

    def _init_organisations(self: GovernanceModel) -> None:
        """Poisson(``so_per_community`` × communities) organisations, each tied to a random
        community (and with probability ½ to another of its street), with start funds."""
        self.organisation_table = Table("organisations", ORGANISATIONS, 0)
        self.links = Table("links", LINKS, 0)
        self.org_agents: list[SocialOrganisation | None] = []
        rng = self.streams["organisations"]
        n = int(rng.poisson(self.p["so_per_community"] * self.communities.n))
        for _ in range(n):
            self._new_org(int(rng.integers(self.communities.n)), rng, funds=self.p["org_start_funds"])

    def _new_org(self: GovernanceModel, c: int, rng: np.random.Generator, *, funds: float) -> int:
        org = self.organisation_table
        o = int(org.append(1)[0])
        org.kind[o] = rng.integers(len(T.ORG_KINDS))
        org.staff[o] = rng.integers(*T.ORG_STAFF)
        org.funds[o] = funds
        targets = [c]
        same = np.flatnonzero(self.communities.street == self.communities.street[c])
        if len(same) > 1 and rng.random() < T.ORG_SECOND_COMMUNITY:
            other = int(same[rng.integers(len(same))])
            if other != c:
                targets.append(other)
        first = self.links.append(len(targets))
        self.links.org[first] = o
        self.links.community[first] = targets
        self.org_agents.append(SocialOrganisation(self, o))
        return o

    def _organisation_hours(self: GovernanceModel) -> np.ndarray:
        """Service hours the organisations deliver to each community this month."""
        org, links = self.organisation_table, self.links
        hours = np.zeros(self.communities.n)
        K.deliver_org_hours(org.staff, org.funds, org.active, org.hours, links.org, links.community, links.paid,
                            self.p["org_staff_hours"], self.p["so_hours_per_yuan"], hours)
        return hours

    def _pay_organisations(self: GovernanceModel, purchase: np.ndarray) -> np.ndarray:
        """Pay each community's purchase-of-services money to the organisations tied to it."""
        paid = np.zeros(self.communities.n)
        K.pay_orgs(purchase, self.links.org, self.links.community, self.links.paid, self.organisation_table.funds,
                   self.organisation_table.active, paid)
        return paid

    def _organisation_turnover(self: GovernanceModel, unmet_purchase: np.ndarray) -> None:
        """Organisations broke for ``org_fold_months`` fold; a new one enters a street with
        probability 1 − exp(−unmet purchase money / ``org_entry_scale``) + linkage × the
        incubation chance, where purchase money found no provider (or at random). One
        uniform per street every month."""
        p, rng, org = self.p, self.streams["organisations"], self.organisation_table
        folded = K.org_month_end(org.funds, org.months_broke, org.active, self.links.paid, T.PAID_DECAY,
                                 int(p["org_fold_months"]))
        if folded:
            self._drop_folded()
        u = rng.random(len(self.street_offices))
        street = self.communities.street
        for s in range(len(self.street_offices)):
            cs = np.flatnonzero(street == s)
            market = float(unmet_purchase[cs].sum())
            p_entry = 1.0 - np.exp(-market / p["org_entry_scale"]) + p["linkage_org_entry"] * p["four_social_linkage"]
            if u[s] < p_entry:
                c = int(cs[np.argmax(unmet_purchase[cs])]) if market > 0 else int(cs[rng.integers(len(cs))])
                self._new_org(c, rng, funds=p["org_entry_funds"])

    def _drop_folded(self: GovernanceModel) -> None:
        """Remove folded organisations, their ties and their agents; renumber the rest."""
        org, links = self.organisation_table, self.links
        keep = np.flatnonzero(org.active)
        new_index = np.full(org.n, -1, dtype=np.int64)
        new_index[keep] = np.arange(len(keep))
        for o in np.flatnonzero(~org.active).tolist():
            agent = self.org_agents[o]
            if agent is not None:
                agent.remove()
        self.org_agents = [self.org_agents[o] for o in keep.tolist()]
        for i, agent in enumerate(self.org_agents):
            agent.index = i
        org.take(keep)
        lk = np.flatnonzero(new_index[links.org] >= 0)
        links.take(lk)
        links.org = new_index[links.org]

    @property
    def org_graph(self: GovernanceModel) -> nx.Graph:
        """Organisations ↔ the communities they serve, as a bipartite networkx graph; each tie
        carries its recent purchase-of-service payments (``paid``)."""
        G = nx.Graph()
        for a in self.org_agents:
            G.add_node(a, kind="organisation")
        for o, c, paid in zip(self.links.org.tolist(), self.links.community.tolist(), self.links.paid.tolist()):
            G.add_edge(self.org_agents[o], c, paid=paid)
        return G
