"""What "better" means for an output: directions, thresholds and conditions on outputs.

Robustness (regret, satisficing, worst decile) and scenario discovery need to know whether
more of an output is better or worse. The user states it — per objective (``--maximize
satisfied_share``, ``--minimize turnover_annual``) or through a threshold
(``satisfied_share>=0.3`` says higher is better) — and a direction declared with the outputs
and written into the results store is read when present (:func:`declared_directions`); the
user's word wins over the store's.

Reads the store only; never imports the model.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.outputs import load_outputs
from analysis.store import AnalysisError

__all__ = [
    "Condition",
    "DIRECTIONS",
    "ObjectiveError",
    "declared_directions",
    "normalise_direction",
    "parse_condition",
    "resolve_directions",
]

#: ``max``: higher is better; ``min``: lower is better.
DIRECTIONS = ("max", "min")

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq,
        "!=": operator.ne}
_COND = re.compile(r"^\s*(?P<output>[A-Za-z_][A-Za-z0-9_.:-]*)?\s*(?P<op>>=|<=|==|!=|>|<)\s*"
                   r"(?P<value>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?P<pct>%)?\s*$")
_WORDS = {
    "max": "max", "maximize": "max", "maximise": "max", "higher": "max", "higher_is_better": "max", "up": "max",
    "+": "max", "+1": "max", "1": "max", "increase": "max",
    "min": "min", "minimize": "min", "minimise": "min", "lower": "min", "lower_is_better": "min", "down": "min",
    "-": "min", "-1": "min", "decrease": "min",
}


_DECLARED = {"higher": "max", "lower": "min"}  # the declarations' words (model/outputs.py) → directions


class ObjectiveError(AnalysisError, ValueError):
    """A threshold, condition or direction that cannot be used as written."""


@dataclass(frozen=True)
class Condition:
    """``output op value``, e.g. ``satisfied_share >= 0.3`` (``25%`` is read as 0.25)."""

    output: str
    op: str
    value: float

    def holds(self, values: Any) -> np.ndarray:
        """Element-wise truth of the condition; NaN values never hold."""
        x = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.asarray(_OPS[self.op](x, self.value) & ~np.isnan(x), dtype=bool)

    @property
    def direction(self) -> str | None:
        """The direction a threshold implies: ``>=``/``>`` → ``max``, ``<=``/``<`` → ``min``."""
        return "max" if self.op in (">=", ">") else ("min" if self.op in ("<=", "<") else None)

    def __str__(self) -> str:
        return f"{self.output} {self.op} {self.value:g}"


def parse_condition(text: str, *, output: str | None = None, what: str = "condition") -> Condition:
    """Parse ``"satisfied_share>=0.3"``, or ``"> 25%"`` when ``output`` is given.

    A trailing ``%`` divides the number by 100 (shares are stored as fractions).
    """
    m = _COND.match(str(text))
    if not m:
        raise ObjectiveError(f"{what} {text!r}: expected OUTPUT OP NUMBER (OP one of >=, <=, >, <, ==, !=), "
                             "e.g. 'satisfied_share>=0.3' or '> 25%'")
    name = m.group("output") or output
    if not name:
        raise ObjectiveError(f"{what} {text!r} names no output; write OUTPUT OP NUMBER or give --output")
    if m.group("output") and output and m.group("output") != output:
        raise ObjectiveError(f"{what} {text!r} names {m.group('output')!r} but --output is {output!r}")
    value = float(m.group("value")) / (100.0 if m.group("pct") else 1.0)
    if not math.isfinite(value):
        raise ObjectiveError(f"{what} {text!r}: the number must be finite")
    return Condition(name, m.group("op"), value)


def normalise_direction(value: Any) -> str | None:
    """``max``, ``min`` or ``None`` from the ways a direction may be written."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "max" if value else "min"
    if isinstance(value, (int, float)):
        return "max" if value > 0 else ("min" if value < 0 else None)
    return _WORDS.get(str(value).strip().lower())


def declared_directions(con: Any, experiment_id: str) -> dict[str, str]:
    """``{output: "max" | "min"}`` from the output declarations stored with the experiment
    (:func:`analysis.outputs.load_outputs`: ``higher`` → ``max``, ``lower`` → ``min``).

    Outputs declared ``none`` (descriptive) and outputs of a target that declares nothing are
    left out; a store written before declarations were stored gives an empty dict.
    """
    catalog = load_outputs(con, experiment_id)
    return {name: _DECLARED[info.direction] for name, info in catalog.items() if info.direction in _DECLARED}


def resolve_directions(*, maximize: Iterable[str] = (), minimize: Iterable[str] = (), objectives: Iterable[str] = (),
                       thresholds: Iterable[Condition] = (), declared: Mapping[str, str] | None = None,
                       ) -> dict[str, tuple[str, str]]:
    """``{output: (direction, source)}`` for every output the user named.

    Sources, strongest first: ``user`` (``maximize``/``minimize``), ``store`` (declared; an
    output in ``objectives`` must have one), ``threshold`` (implied by a threshold's operator).
    An output in both ``maximize`` and ``minimize`` is an error. Declared directions of outputs
    the user did not name are not included.
    """
    mx, mn = list(dict.fromkeys(maximize)), list(dict.fromkeys(minimize))
    both = sorted(set(mx) & set(mn))
    if both:
        raise ObjectiveError(f"{both[0]!r} is given both to maximize and to minimize")
    declared = dict(declared or {})
    out: dict[str, tuple[str, str]] = {}
    for o in mx:
        out[o] = ("max", "user")
    for o in mn:
        out[o] = ("min", "user")
    for o in objectives:
        if o in out:
            continue
        if o not in declared:
            raise ObjectiveError(f"no direction is declared for {o!r} in the store; say whether higher is better "
                                 f"with --maximize {o} or --minimize {o}")
        out[o] = (declared[o], "store")
    for t in thresholds:
        if t.output in out:
            continue
        if t.output in declared:
            out[t.output] = (declared[t.output], "store")
        elif t.direction:
            out[t.output] = (t.direction, "threshold")
    return out
