"""One run of the model as a pure function: parameters and seed in, series and summary out.

This is the entry point the experiment engine calls (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .outputs import OUTPUTS, output_metadata

__all__ = ["RunResult", "simulate", "summarise", "network_snapshot"]


@dataclass
class RunResult:
    """Monthly series (``month`` 0..horizon plus one column per declared output) and the
    end-of-run summary (one value per output, by its declared rule)."""

    timeseries: dict[str, np.ndarray]
    summary: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)
    network: tuple[pd.DataFrame, pd.DataFrame] | None = None  # (nodes, edges) when asked for

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.timeseries)


def summarise(series: Mapping[str, np.ndarray]) -> dict[str, float]:
    """End-of-run summary of each declared output, by its rule."""
    out: dict[str, float] = {}
    for name, spec in OUTPUTS.items():
        x = np.asarray(series[name], dtype=np.float64)
        if spec.summary == "last" or len(x) < 2:
            out[name] = float(x[-1])
        elif spec.summary == "mean12":
            out[name] = float(x[-12:].mean()) if len(x) > 12 else float(x[1:].mean())
        else:
            out[name] = float(x[1:].mean())
    return out


def simulate(params: Mapping[str, Any] | None = None, *, seed: int, horizon: int = 120,
             schedule: Iterable[Any] = (), snapshot: bool = False) -> RunResult:
    """Run the model for ``horizon`` months from ``seed``; same arguments → identical result.

    With ``snapshot=True`` the result also carries the final network of community 0
    (:func:`network_snapshot`)."""
    from .model import GovernanceModel

    model = GovernanceModel(rng=seed, horizon=horizon, schedule=schedule, agent_data=False, **dict(params or {}))
    model.advance()
    series = model.recorder.arrays()
    result = RunResult(series, summarise(series), dict(model.p))
    if snapshot:
        result.network = network_snapshot(model)
    model.remove_all_agents()
    return result


simulate.output_metadata = output_metadata  # the engine stores the output declarations with each experiment


def network_snapshot(model, community: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges of one community (residents, grid workers, other cadres, organisations)
    within its street's governance hierarchy, in the form of the store's ``network_snapshot``
    and ``network_edges`` tables (docs/ARCHITECTURE.md). Residents who moved away are left out."""
    from . import tables as T

    res, po, com, grids = model.residents, model.posts, model.communities, model.grids
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    street = int(com.street[community])
    gids = np.flatnonzero(grids.community == community)
    first_grid = int(gids[0]) if len(gids) else 0

    def node(name, kind, comm=None, grid=None, participated=None):
        nodes.append(dict(community=comm, node=name, kind=kind, grid=grid, participated=participated))

    node(f"street:{street}", "street_office")
    for c in np.flatnonzero(com.street == street):
        node(f"community:{int(c)}", "community", int(c))
        edges.append(dict(source=f"street:{street}", target=f"community:{int(c)}", kind="hierarchy"))
    for g in gids:
        node(f"grid:{int(g)}", "grid", community, int(g) - first_grid)
        edges.append(dict(source=f"community:{community}", target=f"grid:{int(g)}", kind="hierarchy"))
    members = np.flatnonzero((res.community == community) & res.present)
    for i in members:
        node(f"r{i}", "resident", community, int(res.grid[i]) - first_grid, bool(res.participated[i]))
    sub = model.ties[members][:, members].tocoo()
    for a, b in zip(sub.row, sub.col):
        if a < b:
            edges.append(dict(source=f"r{members[a]}", target=f"r{members[b]}", kind="social"))
    for slot in np.flatnonzero(po.filled & (po.community == community)):
        g = int(po.grid[slot])
        if po.role[slot] == T.GRID_WORKER:
            node(f"p{slot}", "grid_worker", community, g - first_grid)
            edges.append(dict(source=f"grid:{g}", target=f"p{slot}", kind="hierarchy"))
            for i in members[(res.grid[members] == g) & res.contacted[members]]:
                edges.append(dict(source=f"p{slot}", target=f"r{i}", kind="service"))
        else:
            node(f"p{slot}", "cadre", community)
            edges.append(dict(source=f"community:{community}", target=f"p{slot}", kind="hierarchy"))
    links = model.links
    tied = set(links.org[links.community == community].tolist())
    for o in sorted(tied):
        agent = model.org_agents[o]
        if agent is None:  # a free slot: the organisation that held it has folded
            continue
        node(f"o{agent.unique_id}", "social_org", community)
        for c in links.community[links.org == o].tolist():
            if c >= 0 and int(com.street[c]) == street:
                edges.append(dict(source=f"o{agent.unique_id}", target=f"community:{int(c)}", kind="service"))
    node_df = pd.DataFrame(nodes, columns=["community", "node", "kind", "grid", "participated"])
    node_df["community"] = node_df["community"].astype("Int64")
    node_df["grid"] = node_df["grid"].astype("Int64")
    node_df["participated"] = node_df["participated"].astype("boolean")
    return node_df, pd.DataFrame(edges, columns=["source", "target", "kind"])
