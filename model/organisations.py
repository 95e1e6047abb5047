"""The organisation market: social organisations, their ties to communities, purchase of
services, folding and entry.

Organisations are rows (slots) of the ``organisations`` table and their ties to communities
two rows per slot of the ``links`` table (``model/state.py``); the compiled budget process
founds organisations in free slots and frees the slots of those that fold, and the model keeps
enough free slots. Each operating organisation is also a Mesa
:class:`~model.agents.SocialOrganisation` agent. ``org_graph`` gives the ties as a bipartite
networkx graph on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from . import processes as P
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
        self._grow_organisations(n + 12 * len(self.street_offices))
        for _ in range(n):
            u = rng.random(5)
            c = min(int(u[0] * self.communities.n), self.communities.n - 1)
            P.found_org(c, u[1:], self.p["org_start_funds"], self.communities.street, *self._org_columns(),
                        self.counters)
        self._sync_organisations()

    def _org_columns(self: GovernanceModel) -> tuple[np.ndarray, ...]:
        o, lk = self.organisation_table, self.links
        return (o.kind, o.staff, o.funds, o.months_broke, o.hours, o.active, o.serial, lk.community, lk.paid)

    def _grow_organisations(self: GovernanceModel, k: int) -> None:
        """``k`` more free slots in the organisation table, with their two ties each."""
        first = self.organisation_table.append(k)
        rows = self.links.append(2 * k)
        self.links.org[rows] = np.repeat(first, 2)
        self.org_agents.extend([None] * k)

    def _ensure_capacity(self: GovernanceModel, months: int) -> None:
        """Enough free slots for an organisation entering every street in each of ``months``."""
        need = months * len(self.street_offices) - int((~self.organisation_table.active).sum())
        if need > 0:
            self._grow_organisations(max(need, self.organisation_table.n // 2))

    def _sync_organisations(self: GovernanceModel) -> None:
        """A SocialOrganisation agent for every operating organisation: new ones get one,
        folded ones lose theirs (``serial`` tells which organisation holds a slot)."""
        org = self.organisation_table
        for o in range(org.n):
            agent = self.org_agents[o]
            serial = int(org.serial[o]) if org.active[o] else -1
            if agent is not None and agent.serial != serial:
                agent.remove()
                agent = self.org_agents[o] = None
            if agent is None and serial >= 0:
                self.org_agents[o] = SocialOrganisation(self, o)

    @property
    def org_graph(self: GovernanceModel) -> nx.Graph:
        """Organisations ↔ the communities they serve, as a bipartite networkx graph; each tie
        carries its recent purchase-of-service payments (``paid``)."""
        G = nx.Graph()
        for a in self.organisations:
            G.add_node(a, kind="organisation")
        for o, c, paid in zip(self.links.org.tolist(), self.links.community.tolist(), self.links.paid.tolist()):
            if c >= 0 and self.org_agents[o] is not None:
                G.add_edge(self.org_agents[o], c, paid=paid)
        return G
