"""One run of the model as a pure function: parameters and seed in, series and summary out.

This is the entry point the experiment engine calls (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .outputs import OUTPUTS

__all__ = ["RunResult", "simulate", "summarise", "network_snapshot"]


@dataclass
class RunResult:
    """Monthly series (``month`` 0..horizon plus one column per declared output) and the
    end-of-run summary (one value per output, by its declared rule)."""

    timeseries: dict[str, np.ndarray]
    summary: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)

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
             schedule: Iterable[Any] = ()) -> RunResult:
    """Run the model for ``horizon`` months from ``seed``; same arguments → identical result."""
    from .model import GovernanceModel

    model = GovernanceModel(rng=seed, horizon=horizon, schedule=schedule, **dict(params or {}))
    model.run_model()
    series = model.recorder.arrays()
    result = RunResult(series, summarise(series), dict(model.p))
    model.remove_all_agents()
    return result


def network_snapshot(model, community: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges of one community (residents, grid workers, cadres, organisations) and
    of the governance hierarchy, in the store's ``network_snapshot``/``network_edges`` form."""
    from . import tables as T
    from .agents import SocialOrganisation

    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    members = np.flatnonzero(model.res_community == community)
    for i in members:
        nodes.append(dict(community=community, node=f"r{i}", kind="resident", grid=int(model.res_grid[i]),
                          participated=bool(model.res_part[i])))
    sub = model.ties[members][:, members].tocoo()
    for a, b in zip(sub.row, sub.col):
        if a < b:
            edges.append(dict(source=f"r{members[a]}", target=f"r{members[b]}", kind="social"))
    for slot in np.flatnonzero(model.post_filled & (model.post_community == community)):
        role = T.ROLES[int(model.post_role[slot])]
        kind = "grid_worker" if role == "grid_worker" else "cadre"
        g = int(model.post_grid[slot])
        nodes.append(dict(community=community, node=f"p{slot}", kind=kind, grid=g, participated=None))
        if g >= 0:
            edges.append(dict(source=f"p{slot}", target=f"grid:{g}", kind="hierarchy"))
        else:
            edges.append(dict(source=f"p{slot}", target=f"community:{community}", kind="hierarchy"))
    for org in model.org_graph:
        if isinstance(org, SocialOrganisation):
            for c in model.org_graph.neighbors(org):
                nodes.append(dict(community=int(c), node=f"o{org.unique_id}", kind="social_org", grid=-1, participated=None))
                edges.append(dict(source=f"o{org.unique_id}", target=f"community:{int(c)}", kind="service"))
    for n, data in model.hierarchy.nodes(data=True):
        kind = data.get("kind", "")
        if kind in ("street_office", "community", "grid", "district"):
            c = int(n.split(":")[1]) if kind == "community" else -1
            nodes.append(dict(community=c, node=n, kind=kind, grid=int(n.split(":")[1]) if kind == "grid" else -1,
                              participated=None))
    for u, v in model.hierarchy.edges:
        edges.append(dict(source=u, target=v, kind="hierarchy"))
    node_df = pd.DataFrame(nodes).drop_duplicates("node")
    return node_df, pd.DataFrame(edges)
