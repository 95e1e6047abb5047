"""Network snapshots: the contract for the two optional store tables and their drawing.

The store does not hold the model's graphs. For the first replicate of each scenario the
engine may store a small snapshot (see docs/ARCHITECTURE.md):

``network_snapshot``  one row per node: community, node id, kind, grid, participated, x, y
``network_edges``     one row per edge: source, target, kind (social | hierarchy | service)

When the tables are absent the network figures are skipped with a message.
"""

from __future__ import annotations

__all__ = ["EDGE_KINDS", "NODE_KINDS", "SNAPSHOT_DDL"]

NODE_KINDS = ("resident", "grid_worker", "cadre", "social_org", "community", "street_office", "grid")
EDGE_KINDS = ("social", "hierarchy", "service")

SNAPSHOT_DDL = """
CREATE TABLE IF NOT EXISTS network_snapshot(
    experiment_id VARCHAR, run_id VARCHAR, community INTEGER, node VARCHAR, kind VARCHAR,
    grid INTEGER, participated BOOLEAN, x DOUBLE, y DOUBLE);
CREATE TABLE IF NOT EXISTS network_edges(
    experiment_id VARCHAR, run_id VARCHAR, source VARCHAR, target VARCHAR, kind VARCHAR);
"""
