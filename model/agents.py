"""The four Mesa agent types.

Residents are many: their state lives in NumPy arrays on the model and :class:`Resident`
objects are views onto one row (created on demand by ``GovernanceModel.resident_agents``).
Cadres are few but change often: their state lives in the model's post table and each
:class:`Cadre` is a view onto the post it holds, so processes stay vectorised while every
serving cadre is a real Mesa agent. Social organisations and street offices are few and keep
their state on the agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from . import tables as T

if TYPE_CHECKING:  # pragma: no cover
    from .model import GovernanceModel

__all__ = ["Cadre", "Resident", "SocialOrganisation", "StreetOffice"]


def _view(array_name: str, doc: str):
    def get(self):
        return getattr(self.model, array_name)[self.index].item()

    def set_(self, value):
        getattr(self.model, array_name)[self.index] = value

    return property(get, set_, doc=doc)


class Resident(mesa.Agent):
    """A resident: a view onto row ``index`` of the model's resident arrays."""

    def __init__(self, model: GovernanceModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    community = _view("res_community", "community index")
    grid = _view("res_grid", "grid index")
    household = _view("res_household", "household index")
    trust = _view("res_trust", "trust in the community committee (0-1)")
    efficacy = _view("res_efficacy", "political efficacy (0-1)")
    satisfaction = _view("res_satisfaction", "satisfaction with services (0-1)")
    belonging = _view("res_belonging", "sense of belonging (0-1)")
    stake = _view("res_stake", "material stake in community agendas (0-1)")
    digital = _view("res_digital", "has digital access")
    participated = _view("res_part", "took part in the latest consultation")
    volunteer = _view("res_volunteer", "active volunteer")

    @property
    def age_group(self) -> str:
        return T.AGE_GROUPS[int(self.model.res_age[self.index])]


class Cadre(mesa.Agent):
    """A community worker holding post ``slot`` of the model's post table."""

    def __init__(self, model: GovernanceModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    @property
    def index(self) -> int:
        return self.slot

    community = _view("post_community", "community index")
    age = _view("post_age", "age in years")
    skill = _view("post_skill", "skill / education (productivity multiplier)")
    tenure = _view("post_tenure", "months in post")
    burnout = _view("post_burnout", "burnout (0-1)")
    embeddedness = _view("post_embed", "job embeddedness (0-1)")
    admin_hours = _view("post_admin", "administrative hours this month")
    service_hours = _view("post_service", "service and contact hours this month")
    overtime = _view("post_overtime", "overtime hours this month")

    @property
    def role(self) -> str:
        return T.ROLES[int(self.model.post_role[self.slot])]

    @property
    def origin(self) -> str:
        return T.ORIGINS[int(self.model.post_origin[self.slot])]

    @property
    def pay(self) -> float:
        return float(self.model.post_pay()[self.slot])


class SocialOrganisation(mesa.Agent):
    """A social-work agency, volunteer association or service provider.

    It is paid through government purchase of services by the communities it is tied to,
    delivers professional service hours to them, and folds after ``FOLD_MONTHS`` months
    without money.
    """

    KINDS = ("social_work_agency", "volunteer_association", "service_provider")
    FOLD_MONTHS = 6
    STAFF_HOURS = 160.0

    def __init__(self, model: GovernanceModel, *, kind: str, staff: int, funds: float) -> None:
        super().__init__(model)
        self.kind = kind
        self.staff = staff
        self.funds = funds
        self.months_broke = 0
        self.hours_delivered = 0.0

    @property
    def capacity(self) -> float:
        return self.staff * self.STAFF_HOURS

    @property
    def communities(self) -> list[int]:
        return sorted(self.model.org_graph.neighbors(self)) if self in self.model.org_graph else []

    def deliver(self, hours_per_yuan: float) -> dict[int, float]:
        """Spend funds on service hours; returns hours delivered per linked community."""
        linked = [c for c in self.model.org_graph.neighbors(self)]
        if not linked or hours_per_yuan <= 0:
            self.hours_delivered = 0.0
            return {}
        hours = min(self.capacity, max(self.funds, 0.0) * hours_per_yuan)
        self.funds -= hours / hours_per_yuan
        self.hours_delivered = hours
        weights = np.array([self.model.org_graph.edges[self, c]["paid"] + 1.0 for c in linked])
        shares = weights / weights.sum()
        return {c: hours * s for c, s in zip(linked, shares)}

    def receive(self, community: int, amount: float) -> None:
        self.funds += amount
        self.model.org_graph.edges[self, community]["paid"] += amount

    def month_end(self) -> bool:
        """Book-keeping at month end; returns True if the organisation folds."""
        self.months_broke = self.months_broke + 1 if self.funds < 1.0 else 0
        for _, _, data in self.model.org_graph.edges(self, data=True):
            data["paid"] *= 0.5  # recent payments weigh most
        return self.months_broke >= self.FOLD_MONTHS


class StreetOffice(mesa.Agent):
    """A street office (街道/乡镇). It receives departmental tasks for its communities and
    passes each one down unless its task access list keeps it out; it appoints leaders
    (``dispatch_share`` of leader vacancies go to its own dispatched cadres) and approves
    community funds (``approval_delay``). Its policy attributes follow the scenario."""

    def __init__(self, model: GovernanceModel, street: int) -> None:
        super().__init__(model)
        self.street = street
        self.task_access_list = 0.0
        self.dispatch_share = 0.0
        self.approval_delay = 0

    def adopt(self, params: dict) -> None:
        self.task_access_list = params["task_access_list"]
        self.dispatch_share = params["dispatch_share"]
        self.approval_delay = params["approval_delay"]

    @property
    def communities(self) -> np.ndarray:
        return self.model._office_idx[self.street]

    def push_down(self, arrived: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Tasks passed to each of this street's communities: each arrived task is kept out
        with probability ``task_access_list``."""
        return rng.binomial(arrived, 1.0 - self.task_access_list)
