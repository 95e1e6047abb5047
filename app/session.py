"""What the app shows, without web code: the levers, the chosen settings, the two runs on one
seed, and saving the settings as a scenario file.

* :func:`levers` — every ``policy`` parameter of the registry, as a control: its type, range,
  a step for a slider, its unit and meaning, its submodel group (groups in :data:`GROUP_ORDER`
  first). Nothing here names a parameter: the registry is the list.
* :class:`Settings` — the parameters from month 0 (a scenario's ``[params]``), the scheduled
  changes, and the month the app's lever changes switch on. Moving a lever replaces that
  lever's scheduled changes by one change at the switch month; a scenario file's other months
  are kept as they are.
* :class:`PairedRun` — the baseline and "your settings" as two ``GovernanceModel`` runs on the
  same seed (common random numbers: the difference between the lines is the reform, not
  noise), stepped together.
* :func:`save_scenario` — the settings as a TOML scenario file that extends the baseline, which
  ``govsim run`` accepts unchanged; it is loaded back and validated before it counts as saved.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.scenarios import SCENARIO_DIR, Scenario, ScenarioError, list_scenarios, load_scenario
from govsim.errors import GovsimError
from model.model import GovernanceModel
from model.outputs import OUTPUTS
from model.parameters import REGISTRY, Parameter

__all__ = ["DEFAULT_SWITCH_MONTH", "GROUP_ORDER", "Lever", "PairedRun", "SaveError", "Settings", "hierarchy_frames",
           "key_outputs", "levers", "n_communities", "save_scenario", "scenario_toml", "settings_from_scenario"]

#: Lever groups shown first, in this order; other groups follow in registry order.
GROUP_ORDER = ("pay", "budget", "workforce", "admin", "participation", "attitudes", "structure")
#: Month the lever changes switch on when nothing else says (the shipped reforms use 24).
DEFAULT_SWITCH_MONTH = 24
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


class SaveError(GovsimError, ValueError):
    """The settings cannot be saved under the given name (bad name, file exists, not valid)."""


# ----------------------------------------------------------------------------- levers


def _nice_step(span: float) -> float:
    """A round step (1, 2 or 5 × a power of ten) giving about 200 positions over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / 200.0
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1.0, 2.0, 5.0, 10.0) if m * mag >= raw)


def _step_through(step: float, offset: float) -> float:
    """The largest of ``step`` × (1, 1/2, 1/5, 1/10, 1/20, ...) that lands on ``offset`` (the
    default's distance from the lower bound), so a slider never moves a default by rounding."""
    for k in range(12):
        for f in (1.0, 0.5, 0.2):
            s = step * f / 10**k
            n = offset / s
            if abs(n - round(n)) < 1e-9 * max(1.0, abs(n)):
                return s
    return step


def on_grid(value: float, lever: Lever) -> bool:
    """True when a slider of ``lever`` can show ``value`` exactly."""
    if lever.step is None or lever.lo is None:
        return True
    k = (float(value) - float(lever.lo)) / float(lever.step)
    return abs(k - round(k)) < 1e-6


@dataclass(frozen=True)
class Lever:
    """One policy parameter as a control."""

    name: str
    label: str
    unit: str
    type: str  # float | int | bool | choice
    default: Any
    group: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()

    @classmethod
    def from_parameter(cls, p: Parameter) -> Lever:
        lo = hi = step = None
        if p.type in ("float", "int") and p.bounds is not None:
            lo, hi = float(p.bounds[0]), float(p.bounds[1])
            step = _step_through(_nice_step(hi - lo), float(p.default) - lo)
            if p.type == "int":
                lo, hi, step = int(lo), int(hi), max(1, int(round(step)))
        return cls(name=p.name, label=p.meaning, unit=p.unit, type=p.type, default=p.default, group=p.group or "other",
                   lo=lo, hi=hi, step=step, choices=tuple(p.choices or ()))


def levers() -> list[Lever]:
    """The registry's policy parameters as controls, by group (:data:`GROUP_ORDER` first)."""
    found = [Lever.from_parameter(p) for p in REGISTRY.values() if p.kind == "policy"]
    groups = list(dict.fromkeys([g for g in GROUP_ORDER if any(lv.group == g for lv in found)]
                                + [lv.group for lv in found]))
    return sorted(found, key=lambda lv: groups.index(lv.group))


def key_outputs() -> list[str]:
    """Outputs drawn by default: the declared key outputs."""
    return [o.name for o in OUTPUTS.values() if o.key]


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """One arm's settings: ``params`` hold from month 0, ``schedule`` entries (month, name,
    value) from their month on; lever changes made in the app switch on at ``switch_month``."""

    params: Mapping[str, Any] = field(default_factory=dict)
    schedule: tuple[tuple[int, str, Any], ...] = ()
    switch_month: int = DEFAULT_SWITCH_MONTH
    seed: int = 1
    horizon: int = 120
    source: str | None = None  # the scenario the settings were loaded from

    def start_value(self, name: str) -> Any:
        """A parameter's value at month 0."""
        return self.params.get(name, REGISTRY[name].default)

    def value(self, name: str) -> Any:
        """A parameter's value after every scheduled change."""
        v = self.start_value(name)
        for _, n, val in sorted(self.schedule, key=lambda c: c[0]):
            if n == name:
                v = val
        return v

    def with_lever(self, name: str, value: Any) -> Settings:
        """The settings with ``name`` set to ``value`` from the switch month (its other scheduled
        changes dropped; no change at all when ``value`` is its month-0 value)."""
        value = REGISTRY[name].validate(value)
        kept = tuple(c for c in self.schedule if c[1] != name)
        if value != self.start_value(name):
            kept = (*kept, (self.switch_month, name, value))
        return replace(self, schedule=tuple(sorted(kept, key=lambda c: c[0])))

    def with_switch_month(self, month: int) -> Settings:
        """Move the changes at the current switch month to ``month``."""
        month = int(month)
        if not 0 <= month <= self.horizon:
            raise ValueError(f"the switch month must be within 0..{self.horizon}, got {month}")
        moved = tuple((month if m == self.switch_month else m, n, v) for m, n, v in self.schedule)
        return replace(self, schedule=tuple(sorted(moved, key=lambda c: c[0])), switch_month=month)

    def with_run(self, *, seed: int | None = None, horizon: int | None = None) -> Settings:
        h = self.horizon if horizon is None else int(horizon)
        late = sorted({m for m, _, _ in self.schedule if m > h})
        if late:
            raise ValueError(f"the horizon {h} is before scheduled changes at month(s) {late}")
        return replace(self, seed=self.seed if seed is None else int(seed), horizon=h,
                       switch_month=min(self.switch_month, h))

    def other_months(self) -> list[tuple[int, str, Any]]:
        """Scheduled changes not at the switch month (kept from a scenario file)."""
        return [c for c in self.schedule if c[0] != self.switch_month]

    def differs_from(self, other: Settings, name: str) -> bool:
        return self.value(name) != other.value(name) or self.start_value(name) != other.start_value(name)

    def model(self) -> GovernanceModel:
        return GovernanceModel(rng=self.seed, horizon=self.horizon, schedule=list(self.schedule), **dict(self.params))


def settings_from_scenario(sc: Scenario, *, seed: int = 1, horizon: int | None = None) -> Settings:
    """The settings of a loaded scenario (``extends`` and schedules already resolved by the
    loader); the switch month is its first scheduled month."""
    months = [int(c[0]) for c in sc.schedule]
    h = sc.horizon if horizon is None else int(horizon)
    return Settings(params=dict(sc.params), schedule=tuple((int(m), str(n), v) for m, n, v in sc.schedule),
                    switch_month=min(months) if months else min(DEFAULT_SWITCH_MONTH, h), seed=int(seed),
                    horizon=h, source=sc.name)


# ----------------------------------------------------------------------------- the two runs


class PairedRun:
    """The baseline and the chosen settings as two models on one seed, stepped together.

    The page steps it from its play thread and from button handlers at once; a lock makes
    each month (both arms), each re-run of the reform arm and each read of the series whole,
    so the two arms never drift apart and a reader never sees one arm a month ahead."""

    def __init__(self, reference: Settings, chosen: Settings) -> None:
        self.reference = reference
        self.chosen = replace(chosen, seed=reference.seed, horizon=reference.horizon)
        self.base = reference.model()
        self.reform = self.chosen.model()
        self.layouts: dict[tuple[str, int], dict] = {}
        self._lock = threading.RLock()

    @property
    def month(self) -> int:
        return int(self.base.month)

    @property
    def horizon(self) -> int:
        return self.reference.horizon

    @property
    def done(self) -> bool:
        return self.month >= self.horizon

    def step(self, months: int = 1) -> None:
        for _ in range(int(months)):
            with self._lock:
                if self.done:
                    return
                self.base.step()
                self.reform.step()

    def run_to(self, month: int) -> None:
        while True:
            with self._lock:
                if self.month >= min(int(month), self.horizon):
                    return
                self.step()

    def set_chosen(self, chosen: Settings) -> None:
        """New settings for the reform arm: it is re-run from month 0 to the current month (the
        baseline arm is untouched: same seed, same settings)."""
        with self._lock:
            month = self.month
            self.chosen = replace(chosen, seed=self.reference.seed, horizon=self.reference.horizon)
            reform = self.chosen.model()
            for _ in range(month):
                reform.step()
            self.reform = reform
            self.layouts = {k: v for k, v in self.layouts.items() if k[0] != "reform"}

    def series(self, outputs: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
        """``{"baseline": {output: values}, "reform": {...}, "month": ...}`` up to now."""
        with self._lock:
            b, r = self.base.datacollector.arrays(), self.reform.datacollector.arrays()
            return {"month": b["month"], "baseline": {o: b[o] for o in outputs},
                    "reform": {o: r[o] for o in outputs}}

    def arm(self, which: str) -> GovernanceModel:
        return self.base if which == "baseline" else self.reform


def n_communities(model: GovernanceModel) -> int:
    """How many communities the model has now (mergers reduce them): its hierarchy's community
    nodes, numbered 0..n-1 as ``network_snapshot`` takes them."""
    return sum(1 for _, d in model.hierarchy.nodes(data=True) if d.get("kind") == "community")


def hierarchy_frames(model: GovernanceModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's hierarchy (street offices → communities → grids) as node and edge frames in
    the form of the store's network tables (the district root is left out)."""
    g = model.hierarchy
    kinds = {"street_office": "street_office", "community": "community", "grid": "grid"}
    rows = [(n, kinds[d.get("kind")]) for n, d in g.nodes(data=True) if d.get("kind") in kinds]
    nodes = pd.DataFrame(rows, columns=["node", "kind"])
    nodes["community"] = [int(n.split(":")[1]) if k == "community" else None for n, k in rows]
    keep = set(nodes["node"])
    edges = pd.DataFrame([(a, b, "hierarchy") for a, b in g.edges() if a in keep and b in keep],
                         columns=["source", "target", "kind"])
    return nodes, edges


# ----------------------------------------------------------------------------- saving


def _toml_value(v: Any) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            raise SaveError(f"cannot write the non-finite value {v!r}")
        return repr(float(v))
    return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string


def scenario_toml(chosen: Settings, reference: Settings, *, name: str, title: str, description: str,
                  extends: str) -> str:
    """The text of a scenario file for ``chosen`` that extends ``extends`` (the scenario of
    ``reference``): only what differs from it is written."""
    lines = [f"# Saved from the govsim app: {title or name}.",
             f"# The baseline on the same seed is '{extends}'; every change below is relative to it.",
             f"name = {_toml_value(name)}", f"description = {_toml_value(description or title or name)}"]
    if title:
        lines.append(f"title = {_toml_value(title)}")
    lines.append(f"extends = {_toml_value(extends)}")
    if chosen.horizon != reference.horizon:
        lines.append(f"horizon = {chosen.horizon}")
    params = {k: v for k, v in chosen.params.items() if reference.params.get(k, REGISTRY[k].default) != v}
    if params:
        lines += ["", "[params]"] + [f"{k} = {_toml_value(v)}" for k, v in params.items()]
    base_sched = {(m, n) for m, n, _ in reference.schedule}
    by_month: dict[int, list[tuple[str, Any]]] = {}
    for m, n, v in chosen.schedule:
        by_month.setdefault(int(m), []).append((n, v))
    for (m, n) in sorted(base_sched - {(m, n) for m, n, _ in chosen.schedule}):
        raise SaveError(f"the baseline changes {n} at month {m} and the settings do not; a file extending "
                        f"'{extends}' cannot remove that change")
    for m in sorted(by_month):
        lines += ["", f"[schedule.{m}]"] + [f"{n} = {_toml_value(v)}" for n, v in by_month[m]]
    return "\n".join(lines) + "\n"


def save_scenario(chosen: Settings, reference: Settings, *, name: str, title: str = "", description: str = "",
                  directory: str | os.PathLike[str] | None = None, extends: str = "baseline",
                  overwrite: bool = False) -> Path:
    """Write ``chosen`` as ``<directory>/<name>.toml`` extending ``extends`` and load it back with
    the scenario loader; returns the path. Raises :class:`SaveError` for a bad or taken name or a
    file the loader rejects (nothing is left behind then)."""
    d = Path(directory) if directory is not None else SCENARIO_DIR
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise SaveError(f"scenario name {name!r} is not allowed: use letters, digits, '_' and '-'")
    if name == extends:
        raise SaveError(f"'{name}' is the baseline itself; choose another name")
    if not (d / f"{extends}.toml").is_file():
        raise SaveError(f"{d}: no '{extends}.toml' to extend")
    target = d / f"{name}.toml"
    if target.exists() and not overwrite:
        raise SaveError(f"{target} exists; choose another name (or allow overwriting)")
    text = scenario_toml(chosen, reference, name=name, title=title.strip(), description=description.strip(),
                         extends=extends)
    backup = target.read_bytes() if target.exists() else None
    fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
        load_scenario(name, directory=d)
    except ScenarioError as err:
        if backup is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(backup)
        raise SaveError(f"the saved file would not load: {err}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def scenario_choices(directory: str | os.PathLike[str] | None = None) -> list[tuple[str, str]]:
    """(name, "title (name)") of the scenario files in ``directory`` that load, baseline first."""
    out = []
    for stem in sorted(list_scenarios(directory), key=lambda s: (s != "baseline", s)):
        try:
            sc = load_scenario(stem, directory=directory)
        except ScenarioError:
            continue
        out.append((stem, f"{sc.title or stem} ({stem})"))
    return out


def changed(chosen: Settings, reference: Settings, names: Iterable[str]) -> list[str]:
    return [n for n in names if chosen.differs_from(reference, n)]
