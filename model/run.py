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

    model = GovernanceModel(rng=seed, horizon=horizon, schedule=schedule, **dict(params or {}))
    model.run_model()
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
    and ``network_edges`` tables (docs/ARCHITECTURE.md)."""
    from . import tables as T
    from .agents import SocialOrganisation

    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    street = int(model.com.street[community])
    grids = np.flatnonzero(model.grid_community == community)
    first_grid = int(grids[0]) if len(grids) else 0

    def node(name, kind, comm=None, grid=None, participated=None):
        nodes.append(dict(community=comm, node=name, kind=kind, grid=grid, participated=participated))

    node(f"street:{street}", "street_office")
    for c in np.flatnonzero(model.com.street == street):
        node(f"community:{int(c)}", "community", int(c))
        edges.append(dict(source=f"street:{street}", target=f"community:{int(c)}", kind="hierarchy"))
    for g in grids:
        node(f"grid:{int(g)}", "grid", community, int(g) - first_grid)
        edges.append(dict(source=f"community:{community}", target=f"grid:{int(g)}", kind="hierarchy"))
    members = np.flatnonzero(model.res_community == community)
    for i in members:
        node(f"r{i}", "resident", community, int(model.res_grid[i]) - first_grid, bool(model.res_part[i]))
    sub = model.ties[members][:, members].tocoo()
    for a, b in zip(sub.row, sub.col):
        if a < b:
            edges.append(dict(source=f"r{members[a]}", target=f"r{members[b]}", kind="social"))
    for slot in np.flatnonzero(model.post_filled & (model.post_community == community)):
        g = int(model.post_grid[slot])
        if model.post_role[slot] == T.GRID_WORKER:
            node(f"p{slot}", "grid_worker", community, g - first_grid)
            edges.append(dict(source=f"grid:{g}", target=f"p{slot}", kind="hierarchy"))
            for i in members[(model.res_grid[members] == g) & model.res_contacted[members]]:
                edges.append(dict(source=f"p{slot}", target=f"r{i}", kind="service"))
        else:
            node(f"p{slot}", "cadre", community)
            edges.append(dict(source=f"community:{community}", target=f"p{slot}", kind="hierarchy"))
    for org in model.org_graph:
        if isinstance(org, SocialOrganisation) and model.org_graph.has_edge(org, community):
            node(f"o{org.unique_id}", "social_org", community)
            for c in model.org_graph.neighbors(org):
                if int(model.com.street[c]) == street:
                    edges.append(dict(source=f"o{org.unique_id}", target=f"community:{int(c)}", kind="service"))
    node_df = pd.DataFrame(nodes, columns=["community", "node", "kind", "grid", "participated"])
    node_df["community"] = node_df["community"].astype("Int64")
    node_df["grid"] = node_df["grid"].astype("Int64")
    node_df["participated"] = node_df["participated"].astype("boolean")
    return node_df, pd.DataFrame(edges, columns=["source", "target", "kind"])
