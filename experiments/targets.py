"""Targets tables for calibration: the project's (``model/targets.py``) or a TOML file, and the
*worlds* they are measured in.

A targets file uses the fields of :class:`model.targets.Target` and the same validation
(format: ``targets/README.md``)::

    description = "Turnout by age in a small urban street"
    parameters = ["cost_youth", "vote_base"]   # optional: what to calibrate (priors from sa_bounds)

    [[target]]
    name = "turnout_youth"
    output = "turnout_youth"                    # a declared output (model/outputs.py)
    value = 0.16
    low = 0.10                                  # the interval within which the model reproduces it
    high = 0.22
    role = "calibration"                        # consistency | calibration | validation
    source = "Shanghai n.d."
    meaning = "Turnout of residents < 35"
    kind = "level"                              # level | effect | relative (effects need a schedule)
    window = [1, 60]                            # months, inclusive
    horizon = 60                                # optional; default: the window's end
    [target.setting]                            # parameter overrides of the target's world
    urban_share = 1.0
    [target.schedule.12]                        # changes from month 12 (or [[target.schedule]] tables)
    task_access_list = 0.47

Every problem raises :class:`TargetsFileError`: one line naming the file, the key
(``target[2].output``), the value and what is allowed.

A *world* is one parameter setting. Its targets are measured on runs that share one seed: one
run per distinct schedule (the run without a schedule too, when an effect target needs it),
each as long as its longest target needs — a run's first months do not depend on how long it
goes on, so one run serves every window. :func:`measure_world` is the target the experiment
engine runs: one call = one particle (parameter set) in one world with one seed; it returns
the world's target statistics as its summary.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govsim import spelling
from govsim.errors import GovsimError

__all__ = ["PROJECT_TARGETS", "TargetSet", "TargetsFileError", "World", "check_parameters", "default_parameters",
           "load_targets", "measure_world", "worlds"]

PROJECT_TARGETS = "model/targets.py"
TOP_KEYS = ("description", "parameters", "target")
TARGET_KEYS = ("name", "output", "value", "low", "high", "role", "source", "meaning", "kind", "setting", "schedule",
               "window", "horizon")
REQUIRED = ("name", "output", "value", "low", "high", "role", "source", "meaning")
_MISSING = object()


class TargetsFileError(GovsimError, ValueError):
    """A targets file (or option) that cannot be used: names the file, key, value and what is allowed."""

    def __init__(self, file: str, key: str, value: Any, problem: str, allowed: str = "") -> None:
        self.file, self.key, self.value, self.problem, self.allowed = file, key, value, problem, allowed
        shown = "" if value is _MISSING else f" = {spelling.value(value)}"
        where = f"key '{key}'{shown}: " if key else ""
        tail = f"; allowed: {allowed}" if allowed else ""
        super().__init__(" ".join(f"{file}: {where}{problem}{tail}".splitlines()))


@dataclass(frozen=True)
class TargetSet:
    """Targets to calibrate against and check, with where they come from."""

    targets: tuple[Any, ...]  # model.targets.Target
    source: str  # "model/targets.py" or the file's path
    sha256: str | None = None
    description: str = ""
    parameters: tuple[str, ...] | None = None  # declared in the file: the parameters to calibrate

    def of_role(self, role: str) -> list[Any]:
        return [t for t in self.targets if t.role == role]

    def records(self) -> list[dict[str, Any]]:
        """JSON-able rows, one per target (what the store keeps)."""
        return [target_record(t) for t in self.targets]


def target_record(t: Any) -> dict[str, Any]:
    return {"name": t.name, "output": t.output, "value": float(t.value), "low": float(t.low), "high": float(t.high),
            "role": t.role, "kind": t.kind, "source": t.source, "meaning": t.meaning, "setting": dict(t.setting),
            "schedule": [list(c) for c in t.schedule], "window": list(t.window), "horizon": int(t.months)}


# ---------------------------------------------------------------------------- reading a file
def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _number(fname: str, key: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise TargetsFileError(fname, key, v, "not a finite number", "a number such as 0.16 or 4.48e6")
    return float(v)


def _month(fname: str, key: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 100_000:
        raise TargetsFileError(fname, key, v, "not a month", "a whole number in [0, 100000]")
    return int(v)


def _text(fname: str, key: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise TargetsFileError(fname, key, v, "not a non-empty string", "a quoted string")
    return v.strip()


def _param(fname: str, key: str, name: Any, value: Any, *, scheduled: bool) -> Any:
    from .scenarios import registry_value

    return registry_value(name, value, scheduled=scheduled, set_instead="the target's setting",
                          fail=lambda problem, allowed: TargetsFileError(fname, key, value, problem,
                                                                         allowed.removeprefix("allowed: ")))


def _schedule(fname: str, key: str, value: Any) -> tuple[tuple[int, str, Any], ...]:
    out: list[tuple[int, str, Any]] = []
    if isinstance(value, Mapping):  # [target.schedule.12] task_access_list = 0.47
        for month_key, changes in value.items():
            k = f"{key}.{spelling.key(month_key)}"
            if not str(month_key).isascii() or not str(month_key).isdigit():
                raise TargetsFileError(fname, k, _MISSING, f"{spelling.key(month_key)} is not a month",
                                       "[target.schedule.<month>] with a whole number, e.g. [target.schedule.12]")
            if not isinstance(changes, Mapping) or not changes:
                raise TargetsFileError(fname, k, changes, "expected a table of parameter = value")
            for name, v in changes.items():
                out.append((_month(fname, k, int(month_key)), name,
                            _param(fname, f"{k}.{spelling.key(name)}", name, v, scheduled=True)))
    elif isinstance(value, list):  # [[target.schedule]] month, name, value
        for i, entry in enumerate(value):
            k = f"{key}[{i}]"
            if isinstance(entry, Mapping):
                if set(entry) != {"month", "name", "value"}:
                    raise TargetsFileError(fname, k, dict(entry), "expected exactly the keys month, name, value")
                m, n, v = entry["month"], entry["name"], entry["value"]
            elif isinstance(entry, list) and len(entry) == 3:
                m, n, v = entry
            else:
                raise TargetsFileError(fname, k, entry, "not a change", "[month, name, value] or a table of them")
            out.append((_month(fname, f"{k}.month", m), n, _param(fname, f"{k}.value", n, v, scheduled=True)))
    else:
        raise TargetsFileError(fname, key, value, "expected [target.schedule.<month>] tables or [[target.schedule]]")
    out.sort(key=lambda c: c[0])
    return tuple(out)


def _target(fname: str, i: int, raw: Any) -> Any:
    from model.parameters import ParameterError
    from model.targets import Target, TargetError

    at = f"target[{i}]"
    if not isinstance(raw, Mapping):
        raise TargetsFileError(fname, at, raw, "expected a table", "[[target]] with name, output, value, …")
    for k in raw:
        if k not in TARGET_KEYS:
            close = difflib.get_close_matches(str(k)[:200], TARGET_KEYS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise TargetsFileError(fname, f"{at}.{spelling.key(k)}", raw[k], "unknown key",
                                   f"{hint}{', '.join(TARGET_KEYS)}")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise TargetsFileError(fname, f"{at}.{missing[0]}", _MISSING, "missing",
                               f"every target has {', '.join(REQUIRED)}")
    fields: dict[str, Any] = {k: _text(fname, f"{at}.{k}", raw[k]) for k in ("name", "output", "role", "source",
                                                                          "meaning")}
    at = f"target[{i}] ({fields['name']})" if spelling.key(fields["name"]) == fields["name"] else at
    for k in ("value", "low", "high"):
        fields[k] = _number(fname, f"{at}.{k}", raw[k])
    if "kind" in raw:
        fields["kind"] = _text(fname, f"{at}.kind", raw["kind"])
    if "window" in raw:
        w = raw["window"]
        if not isinstance(w, list) or len(w) != 2:
            raise TargetsFileError(fname, f"{at}.window", w, "not a window", "[first, last] months, e.g. [1, 60]")
        fields["window"] = (_month(fname, f"{at}.window", w[0]), _month(fname, f"{at}.window", w[1]))
    if "horizon" in raw:
        h = raw["horizon"]
        if isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 100_000:
            raise TargetsFileError(fname, f"{at}.horizon", h, "not a horizon",
                                   "a whole number of months in [1, 100000]")
        fields["horizon"] = int(h)
    if "setting" in raw:
        if not isinstance(raw["setting"], Mapping):
            raise TargetsFileError(fname, f"{at}.setting", raw["setting"], "expected a table of parameter = value")
        fields["setting"] = {k: _param(fname, f"{at}.setting.{spelling.key(k)}", k, v, scheduled=False)
                             for k, v in raw["setting"].items()}
    if "schedule" in raw:
        fields["schedule"] = _schedule(fname, f"{at}.schedule", raw["schedule"])
    try:
        return Target(**fields)
    except TargetError as err:
        raise TargetsFileError(fname, f"{at}.{err.field}", err.value, err.problem, err.allowed) from None
    except ParameterError as err:  # a check of the Target itself beyond the field checks above
        raise TargetsFileError(fname, at, _MISSING, str(err)) from None


def load_targets(path: str | Path | None = None) -> TargetSet:
    """The project's targets (``path=None``) or those of a TOML targets file, validated."""
    if path is None:
        from model.targets import TARGETS

        return TargetSet(tuple(TARGETS.values()), PROJECT_TARGETS, None, "the project's targets table")
    p = Path(path)
    fname = _rel(p)
    try:
        raw_bytes = p.read_bytes()
    except OSError as err:
        raise TargetsFileError(fname, "", _MISSING, f"cannot read the targets file ({err.strerror})") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise TargetsFileError(fname, "", _MISSING, "not UTF-8 text", "targets files are UTF-8 TOML") from None
    except tomllib.TOMLDecodeError as err:
        raise TargetsFileError(fname, "", _MISSING, f"malformed TOML ({' '.join(str(err).split())[:160]})",
                               "see targets/README.md") from None
    except (RecursionError, ValueError):
        raise TargetsFileError(fname, "", _MISSING, "malformed TOML", "see targets/README.md") from None
    for k in data:
        if k not in TOP_KEYS:
            raise TargetsFileError(fname, spelling.key(k), data[k], "unknown key", ", ".join(TOP_KEYS))
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise TargetsFileError(fname, "description", desc, "not a string", "a quoted string")
    raw_targets = data.get("target")
    if not isinstance(raw_targets, list) or not raw_targets:
        raise TargetsFileError(fname, "target", raw_targets if raw_targets is not None else _MISSING,
                               "no targets", "one [[target]] table per target")
    targets = [_target(fname, i, t) for i, t in enumerate(raw_targets)]
    seen: set[str] = set()
    for i, t in enumerate(targets):
        if t.name in seen:
            raise TargetsFileError(fname, f"target[{i}].name", t.name, "is declared twice", "a name per target")
        seen.add(t.name)
    params = None
    if "parameters" in data:
        raw = data["parameters"]
        if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
            raise TargetsFileError(fname, "parameters", raw, "not a list of parameter names",
                                   'e.g. parameters = ["cost_youth", "vote_base"]')
        params = tuple(check_parameters(raw, file=fname, key="parameters"))
    return TargetSet(tuple(targets), fname, hashlib.sha256(raw_bytes).hexdigest(), desc.strip(), params)


# ---------------------------------------------------------------------------- parameters and priors
def check_parameters(names: Iterable[str], *, file: str = "command line", key: str = "--parameters") -> list[str]:
    """``names`` if each is a float parameter of the registry with a declared SA range (its
    prior); else :class:`TargetsFileError` naming the first that is not."""
    from model.parameters import REGISTRY

    from .scenarios import unknown_parameter_help

    out: list[str] = []
    for i, name in enumerate(names):
        k = f"{key}[{i}]"
        if name not in REGISTRY:
            raise TargetsFileError(file, k, name, "unknown parameter", unknown_parameter_help(name))
        p = REGISTRY[name]
        if p.type != "float":
            raise TargetsFileError(file, k, name, f"is a {p.type} parameter; a prior is a range of numbers",
                                   "float parameters with an SA range (sa_bounds)")
        if p.sa_bounds is None:
            ranged = [q.name for q in REGISTRY.values() if q.type == "float" and q.sa_bounds and q.kind != "mechanism"]
            raise TargetsFileError(file, k, name, "has no prior: the registry declares no SA range (sa_bounds) for it",
                                   f"parameters with an SA range, e.g. {', '.join(ranged[:4])} …")
        if name in out:
            raise TargetsFileError(file, k, name, "is named twice", "each parameter once")
        out.append(name)
    if not out:
        raise TargetsFileError(file, key, [], "no parameters to calibrate", "at least one parameter name")
    return out


def default_parameters(targets: TargetSet) -> tuple[list[str], list[str]]:
    """The parameters a calibration fits by default, and those it leaves at their default.

    The file's ``parameters`` when it names them; else every registry parameter whose
    ``calibrated`` field names one of the set's calibration targets (the hand-fitted defaults
    of today) — those without an SA range to draw a prior from (an accounting identity such as
    ``deputies_per_committee``) are left at their default and returned second.
    """
    from model.parameters import REGISTRY

    if targets.parameters:
        return list(targets.parameters), []
    names = {t.name for t in targets.of_role("calibration")}
    fitted = [p for p in REGISTRY.values() if p.calibrated and names & set(p.calibrated.split(", "))]
    use = [p.name for p in fitted if p.type == "float" and p.sa_bounds is not None]
    held = [p.name for p in fitted if p.name not in use]
    if not use:
        raise TargetsFileError(targets.source, "parameters", _MISSING,
                               "names no parameters, and no registry parameter was fitted to these targets",
                               'parameters = ["…"] in the file, or --parameters')
    return use, held


# ---------------------------------------------------------------------------- worlds
@dataclass(frozen=True)
class World:
    """One setting and the runs (schedules, horizons) its targets are measured on."""

    name: str
    setting: dict[str, Any]
    runs: tuple[tuple[tuple[tuple[int, str, Any], ...], int], ...]  # (schedule, horizon) per run; one seed
    stats: tuple[tuple[str, str, str, int, int, int, int], ...]  # target, output, kind, first, last, run, base run
    targets: tuple[str, ...]

    @property
    def horizon(self) -> int:
        return max(h for _, h in self.runs)

    def spec(self) -> dict[str, Any]:
        """The JSON-able description :func:`measure_world` takes (as ``params["world"]``)."""
        return {"setting": dict(self.setting), "runs": [{"schedule": [list(c) for c in s], "horizon": h}
                                                        for s, h in self.runs],
                "stats": [list(x) for x in self.stats]}

    def months(self) -> int:
        """Simulated months per call (a cost measure)."""
        return sum(h for _, h in self.runs)


def _key(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))


def worlds(targets: Sequence[Any]) -> list[World]:
    """Group ``targets`` into worlds (one per setting, in order of first appearance)."""
    from model.parameters import normalise_schedule

    groups: dict[str, list[Any]] = {}
    for t in targets:
        groups.setdefault(_key(dict(t.setting)), []).append(t)
    out = []
    for members in groups.values():
        runs: dict[str, list[Any]] = {}  # schedule key -> [schedule, horizon]

        def run_of(schedule: tuple, months: int) -> str:
            key = _key(schedule)
            entry = runs.setdefault(key, [schedule, 0])
            entry[1] = max(entry[1], months)
            return key

        stats_raw = []
        for t in members:
            sched = tuple((c.month, c.name, c.value) for c in normalise_schedule(t.schedule))
            with_ = run_of(sched, t.months)
            base = run_of((), t.months) if t.kind != "level" else None
            stats_raw.append((t, with_, base))
        order = list(runs)
        stats = tuple((t.name, t.output, t.kind, int(t.window[0]), int(t.window[1]), order.index(w),
                       -1 if b is None else order.index(b)) for t, w, b in stats_raw)
        out.append(World(name=members[0].name, setting=dict(members[0].setting),
                         runs=tuple((tuple(runs[k][0]), int(runs[k][1])) for k in order), stats=stats,
                         targets=tuple(t.name for t in members)))
    return out


def measure_world(params: Mapping[str, Any] | None = None, *, seed: int, horizon: int = 0,
                  schedule: Iterable[Any] = ()) -> dict[str, Any]:
    """Run one world (``params["world"]``, a :meth:`World.spec`) for the parameter set in the
    other keys of ``params``, every run with ``seed``; the summary holds one statistic per
    target: the mean of its output over its window (``level``), minus the same mean in the run
    without the schedule (``effect``), or that difference relative to it (``relative``).

    The world's setting takes precedence over the parameter set: a target measured under a
    given setting (e.g. an urban pay scale) keeps it. ``horizon`` and ``schedule`` are the
    engine's and unused: each run of the world has its own.
    """
    import numpy as np

    from model.run import simulate

    p = dict(params or {})
    world = p.pop("world")
    base = {**p, **world["setting"]}
    series = [simulate(base, seed=seed, horizon=int(r["horizon"]), schedule=[tuple(c) for c in r["schedule"]])
              .timeseries for r in world["runs"]]
    out: dict[str, float] = {}
    for name, output, kind, lo, hi, run, base_run in world["stats"]:
        x = float(np.mean(series[run][output][lo:hi + 1]))
        if kind != "level":
            y = float(np.mean(series[base_run][output][lo:hi + 1]))
            x = x - y if kind == "effect" else ((x - y) / y if y else math.nan)
        out[name] = x
    return {"summary": out}
