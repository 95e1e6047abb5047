"""The four Mesa agent types.

Residents are many: their state is the ``residents`` table and a :class:`Resident` is a view
onto one row (created on demand by ``GovernanceModel.resident_agents`` and for the recorded
panel). Cadres are few but change often: each serving cadre is a :class:`Cadre` agent, a view
onto the post it holds in the ``posts`` table. Social organisations are views onto the
``organisations`` table; street offices keep their few policy attributes on the agent.

The view properties are generated from the column declarations in ``model/state.py``, so a
new column shows on the agent without being written twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from . import tables as T
from .state import ORGANISATIONS, POSTS, RESIDENTS, Column

if TYPE_CHECKING:  # pragma: no cover
    from .model import GovernanceModel

__all__ = ["Cadre", "Resident", "SocialOrganisation", "StreetOffice"]


def _view(table: str, col: Column) -> property:
    def get(self) -> Any:
        return getattr(getattr(self.model, table), col.name)[self.index].item()

    def set_(self, value: Any) -> None:
        getattr(getattr(self.model, table), col.name)[self.index] = value

    return property(get, set_, doc=f"{col.meaning} ({col.unit})" if col.unit else col.meaning)


def _add_views(cls: type, table: str, columns: tuple[Column, ...], *, skip: tuple[str, ...] = ()) -> type:
    for col in columns:
        if col.view and col.name not in skip and not hasattr(cls, col.name):
            setattr(cls, col.name, _view(table, col))
    return cls


class Resident(mesa.Agent):
    """A resident: a view onto row ``index`` of the model's ``residents`` table."""

    def __init__(self, model: GovernanceModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def age_label(self) -> str:
        return T.AGE_GROUPS[int(self.model.residents.age_group[self.index])]

    @property
    def needs(self) -> dict[str, bool]:
        row = self.model.residents.needs[self.index]
        return {name: bool(row[k]) for k, name in enumerate(T.SERVICE_TYPES)}


class Cadre(mesa.Agent):
    """A community worker holding post ``slot`` of the model's ``posts`` table."""

    def __init__(self, model: GovernanceModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    @property
    def index(self) -> int:
        return self.slot

    @property
    def role_label(self) -> str:
        return T.ROLES[int(self.model.posts.role[self.slot])]

    @property
    def origin_label(self) -> str:
        return T.ORIGINS[int(self.model.posts.origin[self.slot])]

    @property
    def pay(self) -> float:
        return float(self.model.post_pay()[self.slot])


class SocialOrganisation(mesa.Agent):
    """A social-work agency, volunteer association or service provider: a view onto row
    ``index`` of the model's ``organisations`` table. It is paid through government purchase
    of services by the communities it is tied to (``links``), delivers professional service
    hours to them, and folds after ``org_fold_months`` months without money."""

    def __init__(self, model: GovernanceModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.serial = int(model.organisation_table.serial[index])

    @property
    def kind_label(self) -> str:
        return T.ORG_KINDS[int(self.model.organisation_table.kind[self.index])]

    @property
    def communities(self) -> list[int]:
        links = self.model.links
        return sorted(int(c) for c in links.community[links.org == self.index] if c >= 0)


class StreetOffice(mesa.Agent):
    """A street office (街道/乡镇). It receives departmental tasks for its communities and
    passes them down unless its task access list bars them; it appoints leaders
    (``dispatch_share`` of leader vacancies go to its own dispatched cadres) and approves
    community funds (``approval_delay``). Its policy attributes follow the scenario."""

    POLICY = ("task_access_list", "dispatch_share", "approval_delay")

    def __init__(self, model: GovernanceModel, street: int) -> None:
        super().__init__(model)
        self.street = street
        self.task_access_list = 0.0
        self.dispatch_share = 0.0
        self.approval_delay = 0

    def adopt(self, params: dict) -> None:
        for name in self.POLICY:
            setattr(self, name, params[name])

    @property
    def communities(self) -> np.ndarray:
        return np.flatnonzero(self.model.communities.street == self.street)


_add_views(Resident, "residents", RESIDENTS)
_add_views(Cadre, "posts", POSTS)
_add_views(SocialOrganisation, "organisation_table", ORGANISATIONS)
