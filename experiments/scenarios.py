"""Scenario files: TOML policy packages in ``scenarios/``, validated against the registry.

Format (full description in scenarios/README.md)::

    name = "pay_raise"                # = the file stem
    title = "Pay raise"               # readable title for reports and the app
    description = "Director pay 500 -> 2,500 yuan/month from month 24"
    extends = "baseline"              # optional: another file stem in the same folder
    horizon = 120                     # months; replicates and seed likewise (inherited)
    posterior = "default"             # optional: draw calibrated parameters from this posterior (inherited)
    [params]                          # overrides of registry defaults from month 0
    pay_topup = 0
    [schedule.24]                     # policy changes taking effect at month 24
    pay_director = 2500

or, equivalently, ``[[schedule]]`` entries with ``month``, ``name`` and ``value``.

Every problem raises :class:`ScenarioError` naming the file, the key, the value and what is
allowed, on one line, with keys and values spelled as TOML writes them and long values cut
(:mod:`govsim.spelling`) — whatever the file holds (huge numbers, keys with line breaks,
arrays nested thousands deep).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govsim import spelling
from govsim.errors import GovsimError

__all__ = ["SCENARIO_DIR", "TOP_KEYS", "Scenario", "ScenarioError", "combine_scenarios", "list_scenarios", "load_many",
           "load_reform", "load_scenario"]

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
TOP_KEYS = ("name", "title", "description", "extends", "horizon", "replicates", "seed", "posterior", "params",
            "schedule")
DEFAULTS = {"horizon": 120, "replicates": 10, "seed": 20261125}
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
MAX_SEED = 2**63 - 1
MAX_MONTH = 100_000
_MONTH_KEY = re.compile(r"[0-9]{1,6}", re.ASCII)  # ASCII digits only: "２４" is not month 24


class ScenarioError(GovsimError, ValueError):
    """A scenario file that cannot be used: names the file, key, value and what is allowed.

    ``key`` is the dotted TOML key (``schedule.24.pay_director``); the message shows the
    value as TOML spells it, cut when long, and is always one line.
    """

    def __init__(self, file: str, key: str, value: Any, problem: str, allowed: str = "") -> None:
        self.file, self.key, self.value, self.problem, self.allowed = file, key, value, problem, allowed
        shown = "" if value is _MISSING else f" = {spelling.value(value)}"
        tail = f"; {allowed}" if allowed else ""
        where = f"key '{key}'{shown}: " if key else ""
        super().__init__(" ".join(f"{file}: {where}{problem}{tail}".splitlines()))


def _q(name: Any) -> str:
    """A name in a message: 'name' when it is a bare TOML key, else its quoted TOML spelling."""
    k = spelling.key(name)
    return f"'{k}'" if k == str(name) else k


_MISSING = object()


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: ``extends`` applied, values validated and coerced."""

    name: str
    description: str
    params: dict[str, Any]
    schedule: list[list[Any]]  # [month, name, value], sorted by month
    horizon: int
    replicates: int
    seed: int
    source_file: str | None = None
    sha256: str | None = None  # over the files of the extends chain, root first
    chain: tuple[str, ...] = field(default=())  # file stems, root first
    title: str = ""  # readable title (not inherited); "" when the file has none
    posterior: str | None = None  # a calibrated posterior in the store to draw parameters from (inherited)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def list_scenarios(directory: str | os.PathLike[str] | None = None) -> list[str]:
    """Stems of the scenario files in ``directory`` (default: the project's ``scenarios/``)."""
    d = Path(directory) if directory else SCENARIO_DIR
    return sorted(p.stem for p in d.glob("*.toml"))


def _find(name_or_path: str | os.PathLike[str], directory: Path) -> Path:
    s = str(name_or_path)
    p = Path(s)
    if s.endswith(".toml") or os.sep in s or "/" in s:
        if p.is_file():
            return p
        raise ScenarioError(s, "", _MISSING, "no such scenario file")
    cand = directory / f"{s}.toml"
    if cand.is_file():
        return cand
    known = list_scenarios(directory)
    hint = did_you_mean(s, known)
    raise ScenarioError(_rel(directory), "", _MISSING, f"no scenario named {_q(s)}",
                        f"{hint}known: {', '.join(known) or '(none)'}")


def _reader_message(err: Exception, limit: int = 120) -> str:
    """The TOML reader's message on one line, the part before its position cut to ``limit``
    characters (it can quote a whole 5,000-character key)."""
    msg = " ".join(str(err).split())
    m = re.fullmatch(r"(.*?)\s*(\(at line \d+, column \d+\))?", msg)
    body, where = (m.group(1), m.group(2) or "") if m else (msg, "")
    if len(body) > limit:
        body = body[: limit - 1] + "…"
    return f"{body} {where}".strip()


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    fname = _rel(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ScenarioError(fname, "", _MISSING, f"cannot read the file ({err.strerror})") from err
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ScenarioError(fname, "", _MISSING, "not UTF-8 text", "scenario files are UTF-8 TOML") from err
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(fname, "", _MISSING, f"malformed TOML ({_reader_message(err)})",
                            "see scenarios/README.md") from err
    except RecursionError as err:
        raise ScenarioError(fname, "", _MISSING, "malformed TOML (arrays or tables nested too deeply)",
                            "see scenarios/README.md") from err
    except ValueError as err:  # a whole number of more than 4,300 digits: int() refuses to read it
        raise ScenarioError(fname, "", _MISSING, "malformed TOML (a number too long to read)",
                            "numbers in scenario files have at most a few dozen digits") from err
    return data, raw


def _int(fname: str, key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ScenarioError(fname, key, value, "not allowed", f"allowed: a whole number in [{lo}, {hi}]")
    return value


def did_you_mean(name: Any, choices: Iterable[str]) -> str:
    """"did you mean 'a' or 'b'? " for the up to three choices closest to ``name``; else ""."""
    close = difflib.get_close_matches(str(name)[:200], list(choices), n=3)
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""


def unknown_parameter_help(name: Any) -> str:
    """What to say of a name the registry does not declare: the closest names, where the
    declared ones are listed."""
    from model.parameters import REGISTRY

    hint = did_you_mean(name, REGISTRY)
    return f"{hint}see docs/ODD.md for the {len(REGISTRY)} declared parameters"


def registry_value(name: Any, value: Any, *, scheduled: bool, fail: Callable[[str, str], Exception],
                   set_instead: str) -> Any:
    """``value`` validated for the registry parameter ``name`` (the scenario and targets files
    share this check); ``fail(problem, allowed)`` makes the error to raise. A scheduled change
    of a parameter whose kind shapes the world from month 0 (``UNSCHEDULABLE``) is refused with
    where to ``set_instead``."""
    from model.parameters import REGISTRY, UNSCHEDULABLE, ParameterError, validate_value

    if not isinstance(name, str) or name not in REGISTRY:
        raise fail(f"unknown parameter {_q(name)}", unknown_parameter_help(name))
    kind = REGISTRY[name].kind
    if scheduled and kind in UNSCHEDULABLE:
        raise fail(f"'{name}' is {kind} and cannot be scheduled", f"set it in {set_instead} instead")
    try:
        return validate_value(name, value)
    except ParameterError as err:
        raise fail("not allowed", err.allowed) from None


def _param(fname: str, key: str, name: Any, value: Any, *, scheduled: bool) -> Any:
    return registry_value(name, value, scheduled=scheduled, set_instead="[params]",
                          fail=lambda problem, allowed: ScenarioError(fname, key, value, problem, allowed))


def _schedule(fname: str, value: Any) -> list[list[Any]]:
    out: list[list[Any]] = []
    if isinstance(value, Mapping):  # [schedule.24] pay_director = 2500
        for month_key, changes in value.items():
            key = spelling.key_path("schedule", month_key)
            if not _MONTH_KEY.fullmatch(str(month_key)) or int(month_key) > MAX_MONTH:
                raise ScenarioError(fname, key, _MISSING, f"{_q(month_key)} is not a month",
                                    f"allowed: [schedule.<month>] with a whole number in [0, {MAX_MONTH}] in "
                                    "ASCII digits, e.g. [schedule.24]")
            if not isinstance(changes, Mapping) or not changes:
                raise ScenarioError(fname, key, changes, "expected a table of parameter = value",
                                    "e.g. [schedule.24] then pay_director = 2500")
            for name, v in changes.items():
                out.append([int(month_key), name, _param(fname, spelling.key_path("schedule", month_key, name), name,
                                                         v, scheduled=True)])
    elif isinstance(value, list):  # [[schedule]] month = 24, name = "pay_director", value = 2500
        for i, entry in enumerate(value):
            key = f"schedule[{i}]"
            if not isinstance(entry, Mapping):
                raise ScenarioError(fname, key, entry, "expected a table", "[[schedule]] with month, name, value")
            keys = set(entry)
            if keys != {"month", "name", "value"}:
                extra = sorted(keys - {"month", "name", "value"})
                missing = sorted({"month", "name", "value"} - keys)
                shown = ", ".join(_q(k) for k in extra[:5]) + (", …" if len(extra) > 5 else "")
                what = (f"unknown key(s) {shown}" if extra else "") + (" and " if extra and missing else "") + (
                    f"missing {missing}" if missing else "")
                raise ScenarioError(fname, key, dict(entry), what, "each [[schedule]] entry has exactly month, name, value")
            month = _int(fname, f"{key}.month", entry["month"], 0, MAX_MONTH)
            name = entry["name"]
            out.append([month, name, _param(fname, f"{key}.value ({spelling.key(name)})", name, entry["value"],
                                            scheduled=True)])
    else:
        raise ScenarioError(fname, "schedule", value, "expected [schedule.<month>] tables or [[schedule]] entries",
                            "see scenarios/README.md")
    out.sort(key=lambda c: c[0])
    return out


def _merge_schedule(parent: list[list[Any]], child: list[list[Any]]) -> list[list[Any]]:
    overridden = {(m, n) for m, n, _ in child}
    merged = [c for c in parent if (c[0], c[1]) not in overridden] + child
    merged.sort(key=lambda c: c[0])  # stable: parent's entries first within a month
    return merged


def _load(path: Path, stack: tuple[Path, ...]) -> tuple[Scenario, list[bytes]]:
    fname = _rel(path)
    rp = path.resolve()
    if rp in stack:
        cycle = " -> ".join(p.stem for p in (*stack, rp))
        raise ScenarioError(fname, "extends", path.stem, f"'extends' forms a cycle ({cycle})",
                            "a scenario may not extend itself, directly or through others")
    data, raw = _read(path)
    for key in data:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key[:200], TOP_KEYS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ScenarioError(fname, spelling.key(key), data[key], "unknown key",
                                f"{hint}allowed keys: {', '.join(TOP_KEYS)}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ScenarioError(fname, "name", name, "not a valid scenario name", "letters, digits, '_' and '-'")
    if name != path.stem:
        raise ScenarioError(fname, "name", name, f"differs from the file name '{path.stem}'",
                            "name must equal the file stem (it is how other files and the CLI refer to it)")
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise ScenarioError(fname, "description", desc, "not a string", "allowed: a quoted string")
    title = data.get("title", "")
    if not isinstance(title, str) or "\n" in title or len(title) > 80:
        raise ScenarioError(fname, "title", title, "not a one-line title",
                            "allowed: a quoted string of at most 80 characters on one line")
    parent: Scenario | None = None
    blobs: list[bytes] = []
    if "extends" in data:
        ext = data["extends"]
        if not isinstance(ext, str) or not _NAME_RE.match(ext):
            raise ScenarioError(fname, "extends", ext, "not a scenario name", "the file stem of another scenario in the same folder")
        ppath = path.parent / f"{ext}.toml"
        if not ppath.is_file():
            known = list_scenarios(path.parent)
            hint = did_you_mean(ext, known)
            raise ScenarioError(fname, "extends", ext, "no such scenario in this folder", f"{hint}known: {', '.join(known)}")
        parent, blobs = _load(ppath, (*stack, rp))
    params_raw = data.get("params", {})
    if not isinstance(params_raw, Mapping):
        raise ScenarioError(fname, "params", params_raw, "expected a table", "[params] then name = value lines")
    params = dict(parent.params) if parent else {}
    for k, v in params_raw.items():
        params[k] = _param(fname, spelling.key_path("params", k), k, v, scheduled=False)
    schedule = _schedule(fname, data["schedule"]) if "schedule" in data else []
    if parent:
        schedule = _merge_schedule(parent.schedule, schedule)
    inherited = {k: getattr(parent, k) if parent else DEFAULTS[k] for k in DEFAULTS}
    horizon = _int(fname, "horizon", data["horizon"], 1, 100_000) if "horizon" in data else inherited["horizon"]
    replicates = _int(fname, "replicates", data["replicates"], 1, 1_000_000) if "replicates" in data else inherited["replicates"]
    seed = _int(fname, "seed", data["seed"], 0, MAX_SEED) if "seed" in data else inherited["seed"]
    posterior = parent.posterior if parent else None
    if "posterior" in data:
        posterior = data["posterior"]
        if not isinstance(posterior, str) or not _NAME_RE.match(posterior):
            raise ScenarioError(fname, "posterior", posterior, "not a posterior name",
                                "the name a calibration saved (govsim calibrate --name), letters, digits, '_' and '-'")
    for m, n, _ in schedule:
        if m > horizon:
            raise ScenarioError(fname, spelling.key_path("schedule", m, n), m,
                                f"month {m} is after the horizon ({horizon})", f"allowed: months 0..{horizon}")
    blobs = [*blobs, path.stem.encode() + b"\0" + raw]
    digest = hashlib.sha256(b"\0\0".join(blobs)).hexdigest()
    chain = (*(parent.chain if parent else ()), path.stem)
    return Scenario(name=name, title=title.strip(), description=desc.strip(), params=params, schedule=schedule,
                    horizon=horizon, replicates=replicates, seed=seed, source_file=fname, sha256=digest,
                    chain=chain, posterior=posterior), blobs


def load_scenario(name_or_path: str | os.PathLike[str], *, directory: str | os.PathLike[str] | None = None) -> Scenario:
    """Load and validate one scenario by name (file stem in ``directory``) or path."""
    d = Path(directory) if directory else SCENARIO_DIR
    return _load(_find(name_or_path, d), ())[0]


def load_many(names: Iterable[str | os.PathLike[str]], *, directory: str | os.PathLike[str] | None = None) -> list[Scenario]:
    """Load several scenarios; ``"all"`` stands for every file in the folder (baseline first)."""
    d = Path(directory) if directory else SCENARIO_DIR
    out: list[Scenario] = []
    for n in names:
        if str(n) == "all":
            stems = list_scenarios(d)
            stems.sort(key=lambda s: (s != "baseline", s))
            out.extend(load_scenario(s, directory=d) for s in stems)
        else:
            out.append(load_scenario(n, directory=d))
    return out


def combine_scenarios(scenarios: Iterable[Scenario], *, name: str | None = None) -> Scenario:
    """One scenario doing what all of ``scenarios`` do: the union of their params and schedules.

    Parameters set in ``[params]`` by several scenarios must agree (reforms that extend the
    same baseline share its values); a parameter scheduled by several scenarios must have the
    same changes (months and values) in each. Anything else is a conflict and raises
    :class:`ScenarioError` naming both files, the parameter and the two values. ``horizon``,
    ``replicates`` and ``seed`` must agree too. The name defaults to the names joined by
    ``+`` (e.g. ``pay_raise+task_access_list``), the title to their titles joined by `` + ``
    (none when that is longer than a title may be); the hash covers every file involved.
    """
    parts = list(scenarios)
    if not parts:
        raise ScenarioError("(combination)", "", _MISSING, "no scenarios to combine")
    if len(parts) == 1 and name is None:
        return parts[0]
    names = [sc.name for sc in parts]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScenarioError("+".join(names), "", _MISSING, f"scenario {dup[0]!r} appears twice in the combination")
    label = "+".join(names)
    params: dict[str, Any] = {}
    set_by: dict[str, Scenario] = {}
    for sc in parts:
        for k, v in sc.params.items():
            if k in params and params[k] != v:
                raise ScenarioError(sc.source_file or sc.name, f"params.{k}", v,
                                    f"conflicts with {set_by[k].source_file or set_by[k].name}, which sets "
                                    f"{k} = {params[k]!r}", "a combination needs the reforms to agree on every "
                                    "parameter they both set")
            params.setdefault(k, v)
            set_by.setdefault(k, sc)
    by_param: dict[str, tuple[Scenario, list[tuple[int, Any]]]] = {}
    schedule: list[list[Any]] = []
    for sc in parts:
        mine: dict[str, list[tuple[int, Any]]] = {}
        for m, n, v in sc.schedule:
            mine.setdefault(n, []).append((m, v))
        for n, entries in mine.items():
            if n in by_param:
                other, theirs = by_param[n]
                if theirs != entries:
                    m, v = entries[0]
                    raise ScenarioError(sc.source_file or sc.name, f"schedule.{m}.{n}", v,
                                        f"conflicts with {other.source_file or other.name}, which schedules "
                                        f"{n} as {', '.join(f'{val!r} from month {mo}' for mo, val in theirs)}",
                                        "a combination needs the reforms to agree on every parameter they "
                                        "both change")
                continue
            by_param[n] = (sc, entries)
            schedule.extend([m, n, v] for m, v in entries)
    schedule.sort(key=lambda c: c[0])
    agreed: dict[str, Any] = {}
    for attr in ("horizon", "replicates", "seed", "posterior"):
        values = {getattr(sc, attr) for sc in parts}
        if len(values) > 1:
            raise ScenarioError(label, attr, sorted(values, key=str), "the combined scenarios disagree",
                                f"give every file the same {attr}")
        agreed[attr] = values.pop()
    digest = hashlib.sha256("\0".join(f"{sc.name}:{sc.sha256}" for sc in parts).encode()).hexdigest()
    chain = tuple(dict.fromkeys(stem for sc in parts for stem in sc.chain))
    title = " + ".join(sc.title or sc.name for sc in parts)
    return Scenario(name=name or label, description=" + ".join(sc.description for sc in parts if sc.description),
                    params=params, schedule=schedule, source_file=" + ".join(sc.source_file or sc.name for sc in parts),
                    sha256=digest, chain=chain, title=title if len(title) <= 80 else "", **agreed)


def load_reform(spec: str | os.PathLike[str], *, directory: str | os.PathLike[str] | None = None) -> Scenario:
    """A scenario by name or path, or several joined by ``+`` and combined
    (:func:`combine_scenarios`), e.g. ``"pay_raise+task_access_list"``."""
    text = str(spec)
    if "+" not in text:
        return load_scenario(text, directory=directory)
    pieces = [p.strip() for p in text.split("+")]
    if any(not p for p in pieces):
        raise ScenarioError(text, "", _MISSING, "an empty name in the combination",
                            "join scenario names with '+', e.g. pay_raise+task_access_list")
    return combine_scenarios([load_scenario(p, directory=directory) for p in pieces])
