"""What the outputs of an experiment are: labels, units, which way is better, the smallest
change that matters, key and cost outputs and policy targets, read from the results store.

The experiment engine writes the target's output declarations (``model/outputs.py`` for the
model) into the store table ``outputs`` with every experiment, so the analysis of a store
copied to another machine labels, colours and judges its outputs without the model. An output
without a declaration (an analytic test function, a store written before declarations were
stored) falls back to its own name as label, no unit and no direction; it is never judged
good or bad and never called negligible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from analysis.store import has_table

__all__ = ["OutputCatalog", "OutputInfo", "load_outputs"]

SHARE_UNITS = ("share", "share/year")
UNIT_INTERVAL = ("share", "0-1")  # values lie in [0, 1]


@dataclass(frozen=True, slots=True)
class OutputInfo:
    """One output's declaration as stored with the experiment (or the fallback for an
    undeclared output: ``declared`` False, label = name, no unit, no direction)."""

    name: str
    label: str
    unit: str = ""
    meaning: str = ""
    direction: str | None = None  # higher | lower | none; None when undeclared
    min_change: float | None = None
    relative: bool = False
    summary: str | None = None
    key: bool = False
    cost: bool = False
    target: float | None = None
    declared: bool = False

    @property
    def is_share(self) -> bool:
        """A share (0-1, or per year) that reads better in % (differences in percentage points)."""
        return self.unit in SHARE_UNITS

    @property
    def scale(self) -> float:
        """Factor applied before display: 100 for shares (shown in %), else 1."""
        return 100.0 if self.is_share else 1.0

    @property
    def display_unit(self) -> str:
        """Unit of displayed values: % for shares, %/year for shares per year."""
        return {"share": "%", "share/year": "%/year"}.get(self.unit, self.unit)

    @property
    def delta_unit(self) -> str:
        """Unit of displayed differences: percentage points for shares."""
        return {"share": "pp", "share/year": "pp/year"}.get(self.unit, self.unit)

    @property
    def natural_range(self) -> tuple[float | None, float | None]:
        """Range the values can take: [0, 1] for shares and 0-1 scores, ≥ 0 for declared rates,
        counts and money flows (not balances, in plain ``yuan``); unbounded when undeclared."""
        if self.unit in UNIT_INTERVAL:
            return 0.0, 1.0
        if self.declared and self.unit and self.unit != "yuan":
            return 0.0, None
        return None, None

    def axis_label(self, *, prefix: str = "", delta: bool = False) -> str:
        """``"Label (unit)"``: shares in %, their differences (``delta``) in percentage points."""
        u = self.delta_unit if delta else self.display_unit
        return f"{prefix}{self.label} ({u or 'model units'})"

    def threshold(self, baseline_value: float | None = None) -> float | None:
        """The smallest difference that matters, in the output's unit: ``min_change``, or
        ``min_change`` × |baseline value| when declared relative. None when not declared (or
        relative without a finite baseline value)."""
        if self.min_change is None or not math.isfinite(self.min_change):
            return None
        if not self.relative:
            return float(self.min_change)
        if baseline_value is None or not math.isfinite(baseline_value):
            return None
        return float(self.min_change) * abs(float(baseline_value))

    def verdict(self, diff: float) -> str | None:
        """``good``, ``bad`` or ``neutral`` for a difference by the declared direction (None
        when undeclared); the size is judged separately (:meth:`threshold`)."""
        if self.direction not in ("higher", "lower") or not math.isfinite(diff) or diff == 0.0:
            return "neutral" if self.direction is not None else None
        better = diff > 0 if self.direction == "higher" else diff < 0
        return "good" if better else "bad"


def _fallback(name: str) -> OutputInfo:
    return OutputInfo(name=name, label=name)


class OutputCatalog(Mapping[str, OutputInfo]):
    """Declarations of an experiment's outputs, by name. Looking up an undeclared name gives
    its fallback (name as label, no unit) rather than an error; ``in`` tells declared ones."""

    def __init__(self, infos: Iterable[OutputInfo] = ()) -> None:
        self._d = {i.name: i for i in infos}

    def __getitem__(self, name: str) -> OutputInfo:
        return self._d.get(name) or _fallback(name)

    def __contains__(self, name: object) -> bool:
        return name in self._d

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def key_outputs(self, present: Iterable[str]) -> list[str]:
        """The declared key outputs among ``present``, in declaration order."""
        have = set(present)
        return [n for n, i in self._d.items() if i.key and n in have]

    def cost_outputs(self, present: Iterable[str]) -> list[str]:
        have = set(present)
        return [n for n, i in self._d.items() if i.cost and n in have]

    def targets(self) -> dict[str, float]:
        return {n: float(i.target) for n, i in self._d.items() if i.target is not None and math.isfinite(i.target)}

    def label(self, name: str) -> str:
        return self[name].label


def _info(row: Mapping[str, object]) -> OutputInfo:
    def num(v: object) -> float | None:
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return f if math.isfinite(f) else None

    name = str(row["output"])
    direction = row.get("direction")
    return OutputInfo(
        name=name, label=str(row.get("label") or name), unit=str(row.get("unit") or ""),
        meaning=str(row.get("meaning") or ""),
        direction=str(direction) if direction in ("higher", "lower", "none") else None,
        min_change=num(row.get("min_change")), relative=bool(row.get("relative") or False),
        summary=str(row["summary"]) if row.get("summary") else None, key=bool(row.get("key") or False),
        cost=bool(row.get("cost") or False), target=num(row.get("target")), declared=True,
    )


def load_outputs(con, experiment_id: str) -> OutputCatalog:
    """The output declarations stored with ``experiment_id`` (table ``outputs``); an empty
    catalog (every output falls back to its name) when the store or experiment has none."""
    if not has_table(con, "outputs"):
        return OutputCatalog()
    cur = con.execute("SELECT * FROM outputs WHERE experiment_id = ? ORDER BY rowid", [experiment_id])
    cols = [d[0] for d in cur.description]
    return OutputCatalog(_info(dict(zip(cols, r, strict=True))) for r in cur.fetchall())
