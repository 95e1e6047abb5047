"""Network snapshots: the contract for the two optional store tables and their drawing.

The store does not hold the model's graphs. For the first replicate of each scenario the
engine may store a small snapshot (see docs/ARCHITECTURE.md):

``network_snapshot``  one row per node: community, node id, kind, grid, participated, x, y
``network_edges``     one row per edge: source, target, kind (social | hierarchy | service)

When the tables are absent the network figures are skipped with a message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis import style
from analysis.store import AnalysisError, has_table

__all__ = ["EDGE_KINDS", "MAX_RESIDENTS", "NODE_KINDS", "SNAPSHOT_DDL", "Snapshot", "community_figure",
           "fig_community", "fig_hierarchy", "has_snapshot", "hierarchy_figure", "load_snapshot"]

NODE_KINDS = ("resident", "grid_worker", "cadre", "social_org", "community", "street_office", "grid")
EDGE_KINDS = ("social", "hierarchy", "service")

SNAPSHOT_DDL = """
CREATE TABLE IF NOT EXISTS network_snapshot(
    experiment_id VARCHAR, run_id VARCHAR, community INTEGER, node VARCHAR, kind VARCHAR,
    grid INTEGER, participated BOOLEAN, x DOUBLE, y DOUBLE);
CREATE TABLE IF NOT EXISTS network_edges(
    experiment_id VARCHAR, run_id VARCHAR, source VARCHAR, target VARCHAR, kind VARCHAR);
"""


# ----------------------------------------------------------------------------- loading


#: Largest number of residents drawn in the community picture (whole grids are kept).
MAX_RESIDENTS = 400


@dataclass
class Snapshot:
    """Nodes and edges of the stored snapshots of one experiment, with the runs' scenario."""

    nodes: pd.DataFrame
    edges: pd.DataFrame

    def runs(self) -> pd.DataFrame:
        return self.nodes[["run_id", "scenario", "replicate"]].drop_duplicates().sort_values(["replicate", "scenario"])


def has_snapshot(con, experiment_id: str) -> bool:
    """True when both snapshot tables exist and hold rows for the experiment."""
    if not (has_table(con, "network_snapshot") and has_table(con, "network_edges")):
        return False
    row = con.execute("SELECT count(*) FROM network_snapshot WHERE experiment_id = ?", [experiment_id]).fetchone()
    return bool(row and row[0])


def load_snapshot(con, experiment_id: str) -> Snapshot:
    nodes = con.execute(
        "SELECT n.*, r.scenario, r.replicate FROM network_snapshot n "
        "LEFT JOIN runs r USING (experiment_id, run_id) WHERE n.experiment_id = ?", [experiment_id]).df()
    edges = con.execute("SELECT * FROM network_edges WHERE experiment_id = ?", [experiment_id]).df()
    nodes["scenario"] = nodes["scenario"].fillna("(unknown)").astype(str)
    bad = sorted(set(nodes["kind"].dropna()) - set(NODE_KINDS))
    if bad:
        raise AnalysisError(f"network_snapshot has unknown node kind(s) {bad}; expected {', '.join(NODE_KINDS)}")
    return Snapshot(nodes, edges)


def _pick_run(snap: Snapshot, baseline: str | None) -> tuple[str, str]:
    runs = snap.runs()
    pick = runs[runs["scenario"] == baseline] if baseline is not None else runs.iloc[:0]
    row = (pick if not pick.empty else runs).iloc[0]
    return str(row["run_id"]), str(row["scenario"])


def _layout(g: nx.Graph, nodes: pd.DataFrame, seed: int = 1, method: str = "stress") -> dict[str, np.ndarray]:
    xy = nodes.set_index("node").reindex(columns=["x", "y"])  # a live model's snapshot has no layout columns
    if xy.notna().all().all() and len(xy) == g.number_of_nodes():
        return {n: np.array([r.x, r.y]) for n, r in xy.iterrows()}
    n = g.number_of_nodes()
    if method == "stress" and 2 < n <= 800 and nx.is_connected(g):
        # stress layout: graph distance ≈ drawn distance, so staff sit next to the residents they serve
        start = nx.spring_layout(g, seed=seed, iterations=50)
        return nx.kamada_kawai_layout(g, pos=start, weight="weight")
    return nx.spring_layout(g, seed=seed, iterations=150 if method == "stress" else 50, k=1.5 / math.sqrt(max(n, 1)))


# ----------------------------------------------------------------------------- drawing

_KIND_STYLE = {  # marker, size, colour, label
    "grid_worker": ("s", 22, style.OKABE_ITO["orange"], "grid worker"),
    "cadre": ("^", 30, style.OKABE_ITO["vermillion"], "community cadre"),
    "social_org": ("D", 26, style.OKABE_ITO["bluish_green"], "social organisation"),
    "community": ("o", 40, style.OKABE_ITO["black"], "community committee"),
}
_PARTICIPATED = style.OKABE_ITO["blue"]
_ABSTAINED = "#C8C8C8"


def fig_community(snap: Snapshot, *, baseline: str | None = "baseline", community: int | None = None,
                  width: str | float | None = None) -> Figure:
    """One community of one run (the baseline's first replicate by default): residents coloured
    by participation, grid workers, cadres, social organisations; social ties and service ties."""
    run_id, scen = _pick_run(snap, baseline)
    return community_figure(snap.nodes[snap.nodes["run_id"] == run_id], snap.edges[snap.edges["run_id"] == run_id],
                            label=scen, community=community, width=width)


def community_figure(nodes: pd.DataFrame, edges: pd.DataFrame, *, label: str = "", community: int | None = None,
                     width: str | float | None = None, layout: dict | None = None,
                     layout_method: str = "stress") -> Figure:
    """The community picture from one run's nodes and edges (the columns of the snapshot tables):
    what :func:`fig_community` draws from a store and the app draws from a running model. A
    complete ``x``/``y`` in ``nodes`` is used as the layout, else one is computed. ``layout``
    (node → position) is a cache for repeated drawings: used when it places every node, else
    the computed layout is written into it. ``layout_method`` ``"stress"`` (Kamada–Kawai from a
    spring start: drawn distance follows graph distance; seconds for a few hundred nodes) or
    ``"spring"`` (a seeded spring layout only: a fraction of a second, for interactive use)."""
    res = nodes[nodes["kind"] == "resident"]
    if res.empty:
        raise AnalysisError("the network snapshot has no residents")
    if community is None:
        community = int(res["community"].dropna().min())
    whole = nodes[nodes["community"] == community]  # incl. community and grid nodes, used for the layout
    nodes = whole[whole["kind"].isin(["resident", "grid_worker", "cadre", "social_org", "community"])]
    res = nodes[nodes["kind"] == "resident"]
    if len(res) > MAX_RESIDENTS:  # keep whole grids, in grid order, up to the cap
        sizes = res.groupby("grid", dropna=False).size().sort_index()
        keep = sizes.index[(sizes.cumsum() <= MAX_RESIDENTS) | (np.arange(len(sizes)) == 0)]
        dropped = (whole["kind"].isin(["resident", "grid_worker", "grid"])) & ~whole["grid"].isin(keep)
        whole = whole[~dropped]
        nodes = nodes[nodes["node"].isin(set(whole["node"]))]
    all_ids = set(whole["node"])
    ids = set(nodes["node"])
    ew = edges[edges["source"].isin(all_ids) & edges["target"].isin(all_ids)]
    e = ew[ew["source"].isin(ids) & ew["target"].isin(ids)]
    # grids are not drawn: show community → grid → grid worker as one hierarchy tie
    grid_ids = set(whole.loc[whole["kind"] == "grid", "node"])
    hier = ew[ew["kind"] == "hierarchy"]
    up = hier[hier["target"].isin(grid_ids)][["source", "target"]].rename(columns={"target": "grid"})
    down = hier[hier["source"].isin(grid_ids)][["source", "target"]].rename(columns={"source": "grid"})
    collapsed = up.merge(down, on="grid")[["source", "target"]]
    collapsed = collapsed[collapsed["source"].isin(ids) & collapsed["target"].isin(ids)].assign(kind="hierarchy")
    e = pd.concat([e, collapsed], ignore_index=True)
    g = nx.Graph()
    g.add_nodes_from(sorted(all_ids))
    # layout distances: social ties short, a grid worker's many service ties long, so residents
    # are placed by their social network rather than pulled into the grid worker's star
    kind_of = whole.set_index("node")["kind"].to_dict()
    for a, b, k in zip(ew["source"], ew["target"], ew["kind"], strict=True):
        star = k == "service" and "grid_worker" in (kind_of.get(a), kind_of.get(b))
        g.add_edge(a, b, weight=3.0 if star else 1.0)
    # residents belong to their grid even before a grid worker has visited them: a long layout tie
    grid_node = whole[whole["kind"] == "grid"].dropna(subset=["grid"]).set_index("grid")["node"].to_dict()
    for r, gi in zip(whole.loc[whole["kind"] == "resident", "node"], whole.loc[whole["kind"] == "resident", "grid"],
                     strict=True):
        if gi in grid_node and not g.has_edge(r, grid_node[gi]):
            g.add_edge(r, grid_node[gi], weight=3.0)
    if layout is not None and all_ids <= layout.keys():
        pos = layout
    else:
        pos = _layout(g, whole, method=layout_method)
        if layout is not None:
            layout.clear()
            layout.update(pos)
    n_res = int((nodes["kind"] == "resident").sum())
    fig = style.new_figure(width if width is not None else "single", aspect=0.95)
    ax = fig.subplots()
    faint = 0.7 if n_res <= 60 else 0.25  # many service ties would hide the social network
    for kind, colour, lw, ls, alpha in (("social", "#A0A0A0", 0.35, "-", 0.7),
                                        ("service", style.OKABE_ITO["orange"], 0.35, "-", faint),
                                        ("hierarchy", "#555555", 0.6, "-", 0.8)):
        sub = e[e["kind"] == kind]
        if sub.empty:
            continue
        segs = np.array([[pos[a], pos[b]] for a, b in zip(sub["source"], sub["target"], strict=True)])
        ax.add_collection(LineCollection(segs, colors=colour, linewidths=lw, linestyles=ls, alpha=alpha, zorder=1))
    res = nodes[nodes["kind"] == "resident"]
    part = res["participated"].fillna(False).astype(bool).to_numpy()
    pts = np.array([pos[n] for n in res["node"]])
    ax.scatter(pts[~part, 0], pts[~part, 1], s=7, c=_ABSTAINED, lw=0, zorder=2)
    ax.scatter(pts[part, 0], pts[part, 1], s=7, c=_PARTICIPATED, lw=0, zorder=3)
    handles = [Line2D([], [], marker="o", lw=0, color=_PARTICIPATED, ms=3.5, label="resident, took part"),
               Line2D([], [], marker="o", lw=0, color=_ABSTAINED, ms=3.5, label="resident, did not")]
    for kind in ("community", "grid_worker", "cadre", "social_org"):
        sub = nodes[nodes["kind"] == kind]
        if sub.empty:
            continue
        m, s, c, lab = _KIND_STYLE[kind]
        p = np.array([pos[n] for n in sub["node"]])
        ax.scatter(p[:, 0], p[:, 1], marker=m, s=s, c=c, edgecolors="white", linewidths=0.4, zorder=4)
        handles.append(Line2D([], [], marker=m, lw=0, color=c, ms=4, label=lab))
    handles += [Line2D([], [], color="#BBBBBB", lw=0.8, label="social tie"),
                Line2D([], [], color=style.OKABE_ITO["orange"], lw=0.8, label="service tie"),
                Line2D([], [], color="#555555", lw=0.8, label="hierarchy")]
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.autoscale_view()
    share = part.mean() if part.size else float("nan")
    ax.set_title(f"Community {community}{f' ({label})' if label else ''}: {share * 100:.0f} % of {len(res)} "
                 "residents took part")
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, handletextpad=0.3,
               columnspacing=0.8)
    return fig


def _hierarchy_positions(g: nx.DiGraph, nodes: pd.DataFrame) -> dict[str, tuple[float, float]]:
    kind = nodes.set_index("node")["kind"].to_dict()
    level = {"street_office": 3.0, "community": 2.0, "grid": 1.0}
    streets = sorted(n for n in g if kind.get(n) == "street_office")
    community_of = nodes.set_index("node")["community"]
    comms_all = sorted((n for n in g if kind.get(n) == "community"), key=lambda n: (community_of.at[n], n))
    pos: dict[str, tuple[float, float]] = {}
    x = 0.0
    placed_comm = []
    ordered_comms = []
    for s in streets:
        ordered_comms += [c for c in comms_all if c in g.successors(s) and c not in ordered_comms]
    ordered_comms += [c for c in comms_all if c not in ordered_comms]
    for c in ordered_comms:
        grids = sorted(n for n in g.successors(c) if kind.get(n) == "grid")
        xs = []
        for gr in grids:
            pos[gr] = (x, level["grid"])
            xs.append(x)
            x += 1.0
        if not grids:
            xs = [x]
            x += 1.0
        pos[c] = (float(np.mean(xs)), level["community"])
        placed_comm.append(c)
        x += 0.6  # gap between communities
    for s in streets:
        kids = [pos[c][0] for c in g.successors(s) if c in pos]
        pos[s] = (float(np.mean(kids)) if kids else x / 2, level["street_office"])
    orgs = sorted(n for n in g if kind.get(n) == "social_org")
    if orgs:
        def anchor(o):
            cs = [pos[c][0] for c in nx.all_neighbors(g, o) if c in pos and kind.get(c) == "community"]
            return float(np.mean(cs)) if cs else x / 2
        orgs.sort(key=anchor)
        span = max(x - 1.6, 1.0)
        for i, o in enumerate(orgs):
            pos[o] = (span * (i + 0.5) / len(orgs), 0.0)
    return pos


def fig_hierarchy(snap: Snapshot, *, baseline: str | None = "baseline", width: str | float | None = None) -> Figure:
    """Street office → communities → grids (hierarchy ties) and social organisations with their
    service ties to communities, for one run (the baseline's first replicate by default)."""
    run_id, scen = _pick_run(snap, baseline)
    return hierarchy_figure(snap.nodes[snap.nodes["run_id"] == run_id], snap.edges[snap.edges["run_id"] == run_id],
                            label=scen, width=width)


def hierarchy_figure(nodes: pd.DataFrame, edges: pd.DataFrame, *, label: str = "",
                     width: str | float | None = None) -> Figure:
    """The hierarchy picture from one run's nodes and edges (what :func:`fig_hierarchy` draws
    from a store and the app from a running model's hierarchy). The title says which
    communities' grids are drawn when only some are (a stored snapshot holds the grids of its
    one community)."""
    nodes = nodes[nodes["kind"].isin(["street_office", "community", "grid", "social_org"])]
    if not (nodes["kind"] == "community").any():
        raise AnalysisError("the network snapshot has no community nodes")
    ids = set(nodes["node"])
    e = edges[edges["source"].isin(ids) & edges["target"].isin(ids)]
    g = nx.DiGraph()
    g.add_nodes_from(sorted(ids))
    g.add_edges_from(zip(e["source"], e["target"], strict=True))
    pos = _hierarchy_positions(g, nodes)
    n_grids = int((nodes["kind"] == "grid").sum())
    fig = style.new_figure(width if width is not None else "double", height=2.6)
    ax = fig.subplots()
    for kind, colour, lw, ls in (("hierarchy", "#555555", 0.6, "-"),
                                 ("service", style.OKABE_ITO["bluish_green"], 0.5, "--")):
        sub = e[e["kind"] == kind]
        segs = [[pos[a], pos[b]] for a, b in zip(sub["source"], sub["target"], strict=True) if a in pos and b in pos]
        if segs:
            ax.add_collection(LineCollection(segs, colors=colour, linewidths=lw, linestyles=ls, alpha=0.8, zorder=1))
    kinds = nodes.set_index("node")["kind"]
    marks = {"street_office": ("s", 60, style.OKABE_ITO["black"], "street office"),
             "community": ("o", 36, style.OKABE_ITO["blue"], "community"),
             "grid": ("o", 10 if n_grids > 60 else 16, style.OKABE_ITO["sky_blue"], "grid (one grid worker)"),
             "social_org": ("D", 20, style.OKABE_ITO["bluish_green"], "social organisation")}
    handles = []
    for kind, (m, s, c, lab) in marks.items():
        ns = [n for n in kinds.index if kinds[n] == kind and n in pos]
        if not ns:
            continue
        p = np.array([pos[n] for n in ns])
        ax.scatter(p[:, 0], p[:, 1], marker=m, s=s, c=c, edgecolors="white", linewidths=0.4, zorder=3)
        handles.append(Line2D([], [], marker=m, lw=0, color=c, ms=4.5, label=lab))
    comms = [n for n in kinds.index if kinds[n] == "community"]
    if len(comms) <= 24:
        for n in comms:
            ax.annotate(n, pos[n], xytext=(0, 5), textcoords="offset points", ha="center", fontsize=7)
    handles += [Line2D([], [], color="#555555", lw=0.8, label="hierarchy"),
                Line2D([], [], color=style.OKABE_ITO["bluish_green"], lw=0.8, ls="--", label="service tie")]
    ax.set_axis_off()
    ax.autoscale_view()
    ax.margins(x=0.02, y=0.12)
    kind_of = kinds.to_dict()
    with_grids = sorted({a for a, b in zip(e["source"], e["target"], strict=True)
                         if kind_of.get(a) == "community" and kind_of.get(b) == "grid"})
    n_streets = int((nodes["kind"] == "street_office").sum())
    head = f"Governance hierarchy{f', {label}' if label else ''}: "
    head += f"{n_streets} street office{'s' if n_streets != 1 else ''}, " if n_streets else ""
    head += f"{len(comms)} communit{'y' if len(comms) == 1 else 'ies'}"
    grids = f"{n_grids} grid{'' if n_grids == 1 else 's'}"
    if n_grids and 0 < len(with_grids) < len(comms):
        which = ", ".join(with_grids) if len(with_grids) <= 3 else f"{len(with_grids)} communities"
        head += f"; grids drawn for {which} only ({grids})"
    elif n_grids:
        head += f", {grids}"
    ax.set_title(head)
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, handletextpad=0.3)
    return fig
