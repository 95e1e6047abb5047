"""The model's Mesa DataCollector: the declared outputs every month and, when asked for,
agent-level data of the cadres in post and of a panel of residents.

Model variables are the rows the compiled ``processes.record_outputs`` fills (no per-reporter
calls), so ``mesa.batch_run`` and ``get_model_vars_dataframe()`` work as with any
DataCollector; ``arrays()`` gives the columns as NumPy arrays. Agent rows are copied from the
entity tables, so ``get_agent_vars_dataframe()`` returns one row per (month, agent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from . import tables as T
from .processes import OUTPUT_DTYPE

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
    """A DataCollector whose model variables are the declared outputs, one row per recorded
    month in a structured array the compiled ``record_outputs`` fills (``processes.OUTPUT_DTYPE``).
    ``model_vars`` and ``get_model_vars_dataframe()`` read that array, as ``mesa.batch_run``
    expects."""

    def __init__(self, names: list[str], *, agent_data: bool = True, months: int = 121) -> None:
        super().__init__()
        self._names = ["month", *names]
        self._rows = np.zeros(max(int(months), 1), dtype=OUTPUT_DTYPE).view(np.recarray)
        self.n = 0  # rows recorded
        self.agent_data = agent_data
        self._agent_frames: list[pd.DataFrame] = []

    # mesa.DataCollector keeps these as lists; here they are views of the recorded rows
    @property
    def model_vars(self) -> dict[str, np.ndarray]:
        rows = self._rows[: self.n]
        return {name: rows[name] for name in self._names}

    @model_vars.setter
    def model_vars(self, _value: Any) -> None:  # DataCollector.__init__ assigns an empty dict
        pass

    @property
    def _collection_steps(self) -> list[int]:
        return self._rows["month"][: self.n].astype(np.int64).tolist()

    @_collection_steps.setter
    def _collection_steps(self, _value: Any) -> None:
        pass

    def reserve(self, k: int) -> np.ndarray:
        """The rows array, with room for ``k`` more months after the ``n`` recorded."""
        if self.n + k > len(self._rows):
            grown = np.zeros(max(2 * len(self._rows), self.n + k), dtype=OUTPUT_DTYPE).view(np.recarray)
            grown[: self.n] = self._rows[: self.n]
            self._rows = grown
        return self._rows

    def collect(self, model: GovernanceModel) -> None:  # noqa: D102
        """Close the row ``model.collect`` filled; add the agent data if asked for."""
        self.n += 1
        if self.agent_data:
            self._agent_frames.append(self._agent_rows(model))

    def last(self) -> dict[str, float]:
        """The latest recorded month's outputs by name."""
        if not self.n:
            return {}
        row = self._rows[self.n - 1]
        return {name: float(row[name]) for name in self._names[1:]}

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The recorded months, one column per declared output (index: month)."""
        df = pd.DataFrame(self.arrays())
        return df.set_index(pd.RangeIndex(len(df)))

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
        """The recorded months as NumPy columns (copies): ``month`` and every output."""
        rows = self._rows[: self.n]
        out = {"month": rows["month"].astype(np.int64)}
        for name in self._names[1:]:
            out[name] = rows[name].copy()
        return out
