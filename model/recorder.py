"""The model's Mesa DataCollector: the declared outputs every month and, when asked for,
agent-level data of the cadres in post and of a panel of residents.

Model variables are filled from the model's monthly output vector in one pass (no
per-reporter calls), so ``mesa.batch_run`` and ``get_model_vars_dataframe()`` work as with any
DataCollector; ``arrays()`` gives the columns as NumPy arrays. Agent rows are copied from the
entity tables, so ``get_agent_vars_dataframe()`` returns one row per (month, agent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from . import tables as T

if TYPE_CHECKING:  # pragma: no cover
    from .model import GovernanceModel

__all__ = ["AGENT_COLUMNS", "MonthlyRecorder"]

# What the agent table records, by agent type: (column, table column).
CADRE_COLUMNS = ("community", "role", "origin", "parttime", "age", "tenure", "burnout", "embed", "admin", "service",
                 "overtime")
RESIDENT_COLUMNS = ("community", "age_group", "migrant", "activist", "participated", "voted", "volunteer", "trust",
                    "efficacy", "satisfaction", "belonging")
AGENT_COLUMNS = ("agent_type", *dict.fromkeys(CADRE_COLUMNS + RESIDENT_COLUMNS))


class MonthlyRecorder(mesa.DataCollector):
    """A DataCollector whose model variables are the declared outputs."""

    def __init__(self, names: list[str], *, agent_data: bool = True) -> None:
        super().__init__(model_reporters={"month": "month", **{n: n for n in names}})
        self._names = ["month", *names]
        self.agent_data = agent_data
        self._agent_frames: list[pd.DataFrame] = []

    def collect(self, model: GovernanceModel) -> None:  # noqa: D102
        self._collection_steps.append(model.month)
        values = model.current_outputs
        self.model_vars["month"].append(model.month)
        for name in self._names[1:]:
            self.model_vars[name].append(values[name])
        if self.agent_data:
            self._agent_frames.append(self._agent_rows(model))

    def _agent_rows(self, model: GovernanceModel) -> pd.DataFrame:
        po, res = model.posts, model.residents
        slots = np.flatnonzero(po.filled)
        ids = [model.post_agents[i].unique_id for i in slots.tolist()]
        cadres = {c: getattr(po, c)[slots] for c in CADRE_COLUMNS}
        cadres["role"] = np.asarray(T.ROLES, dtype=object)[cadres["role"]]
        cadres["origin"] = np.asarray(T.ORIGINS, dtype=object)[cadres["origin"]]
        frames = [pd.DataFrame({"Step": model.month, "AgentID": ids, "agent_type": "Cadre", **cadres})]
        panel = model.panel
        if len(panel):
            residents = {c: getattr(res, c)[panel] for c in RESIDENT_COLUMNS}
            residents["age_group"] = np.asarray(T.AGE_GROUPS, dtype=object)[residents["age_group"]]
            frames.append(pd.DataFrame({"Step": model.month, "AgentID": [f"r{i}" for i in panel.tolist()],
                                        "agent_type": "Resident", **residents}))
        return pd.concat(frames, ignore_index=True)

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """One row per (month, agent): cadres in post (by their Mesa ``unique_id``) and the
        resident panel (``r<row>``), indexed by (Step, AgentID)."""
        if not self.agent_data:
            raise ValueError("agent data was not recorded: create the model with agent_data=True")
        if not self._agent_frames:
            return pd.DataFrame(columns=["Step", "AgentID", *AGENT_COLUMNS]).set_index(["Step", "AgentID"])
        return pd.concat(self._agent_frames, ignore_index=True).set_index(["Step", "AgentID"])

    def get_agenttype_vars_dataframe(self, agent_type: type) -> pd.DataFrame:
        """The agent table restricted to one agent type (``Cadre`` or ``Resident``)."""
        df = self.get_agent_vars_dataframe()
        name = agent_type if isinstance(agent_type, str) else agent_type.__name__
        return df[df["agent_type"] == name].dropna(axis=1, how="all")

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"month": np.asarray(self.model_vars["month"], dtype=np.int64)}
        for name in self._names[1:]:
            out[name] = np.asarray(self.model_vars[name], dtype=np.float64)
        return out
