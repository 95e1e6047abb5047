"""Declared state: every entity table holds exactly its declared columns, processes create no
state on the side, and the Mesa agents' view properties follow the declarations."""

import numpy as np
import pytest

from model.agents import Cadre, Resident, SocialOrganisation
from model.model import GovernanceModel
from model.state import COMMUNITIES, GRIDS, LINKS, ORGANISATIONS, POSTS, RESIDENTS, StateError, Table

TABLE_ATTRS = {"residents": RESIDENTS, "posts": POSTS, "communities": COMMUNITIES, "grids": GRIDS,
               "organisation_table": ORGANISATIONS, "links": LINKS}


def test_a_table_refuses_undeclared_columns_and_wrong_shapes():
    t = Table("residents", RESIDENTS, 4)
    with pytest.raises(StateError, match="not declared"):
        t.shoe_size = np.zeros(4)
    with pytest.raises(StateError, match="no declared column"):
        _ = t.shoe_size
    with pytest.raises(StateError, match="shape"):
        t.trust = np.zeros(5)
    t.trust = np.ones(4)
    assert t.trust.dtype == np.float64 and t.trust.sum() == 4
    assert t.needs.shape == (4, 5)


def test_every_change_of_shape_or_column_moves_the_version():
    """The model collects the arrays it hands to the compiled processes again only when a
    table's version moved (``GovernanceModel._state_args``): each replace, take, append and
    column assignment moves it."""
    t = Table("posts", POSTS, 3)
    seen = [t.version]
    t.tenure = np.ones(3)
    seen.append(t.version)
    t.take(np.array([0, 2]))
    seen.append(t.version)
    t.append(4)
    seen.append(t.version)
    t.replace(5)
    seen.append(t.version)
    assert all(b > a for a, b in zip(seen, seen[1:])), seen


def test_take_and_append_resize_every_column():
    t = Table("posts", POSTS, 3)
    t.tenure = np.array([1.0, 2.0, 3.0])
    t.take(np.array([2, 0]))
    assert t.n == 2 and list(t.tenure) == [3.0, 1.0]
    new = t.append(2)
    assert list(new) == [2, 3] and t.n == 4
    assert all(len(a) == 4 for a in t.arrays().values())
    assert t.person[3] == -1  # appended rows take their declared initial values


def test_processes_create_no_undeclared_state():
    """A month of every process, an election, a merger, re-gridding and new organisations
    leave the model with the attributes it had after initialisation, and every table with
    exactly its declared columns and consistent lengths."""
    m = GovernanceModel(rng=5, horizon=40, communities_per_street=8, so_per_community=1.0, purchase_share=0.4,
                        schedule=[(10, "merge_rate", 0.5), (20, "grid_households", 200), (25, "first_secretary", True)])
    before = set(vars(m))
    m.run_model()
    assert set(vars(m)) == before
    for attr, cols in TABLE_ATTRS.items():
        table = getattr(m, attr)
        assert list(table.arrays()) == [c.name for c in cols], attr
        assert {len(a) for a in table.arrays().values()} <= {table.n}, attr
    assert m.posts.n == len(m.post_agents)
    assert m.organisation_table.n == len(m.org_agents)


def test_agent_views_are_generated_from_the_declarations():
    m = GovernanceModel(rng=1, horizon=2, so_per_community=2.0)
    r = m.resident_agents([7]).to_list()[0]
    for col in RESIDENTS:
        if col.view:
            assert getattr(r, col.name) == getattr(m.residents, col.name)[7].item(), col.name
    r.trust = 0.123
    assert m.residents.trust[7] == 0.123
    cadre = next(iter(m.cadres))
    assert isinstance(cadre, Cadre) and cadre.burnout == m.posts.burnout[cadre.slot]
    assert all(isinstance(getattr(type(cadre), c.name), property) for c in POSTS if c.view)
    assert all(isinstance(getattr(Resident, c.name), property) for c in RESIDENTS if c.view)
    org = m.organisations[0]
    assert isinstance(org, SocialOrganisation) and org.funds == m.organisation_table.funds[org.index]
