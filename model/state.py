"""Declared state: every entity table's columns, declared once.

Each entity of the model — residents, posts (the cadres who hold them), communities, grids,
social organisations and their ties to communities — is a :class:`Table` of NumPy columns. A
column is declared once with its name, dtype, initial value, unit and meaning; allocation,
resizing on mergers and re-gridding, the Mesa agents' view properties and the ODD's state
tables all follow from these declarations. A :class:`Table` refuses a column that is not
declared, so no process can create state on the side (``tests/model/test_model_state.py``).

The declarations are the answer to "what *is* a resident?": read :data:`RESIDENTS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["COMMUNITIES", "GRIDS", "LINKS", "ORGANISATIONS", "POSTS", "RESIDENTS", "TABLES", "Column", "StateError",
           "Table"]


class StateError(AttributeError):
    """A process touched a column that its table does not declare, or gave it the wrong shape."""


@dataclass(frozen=True, slots=True)
class Column:
    """One declared column of an entity table.

    ``width`` > 0 makes a 2-D column (one row of ``width`` values per entity, e.g. a
    resident's needs by service type); ``view`` says whether the Mesa agent of the entity
    exposes it as a property.
    """

    name: str
    dtype: str
    init: Any
    unit: str
    meaning: str
    width: int = 0
    view: bool = True

    def allocate(self, n: int) -> np.ndarray:
        shape = (n, self.width) if self.width else (n,)
        return np.full(shape, self.init, dtype=self.dtype)


def _c(name: str, dtype: str, init: Any, unit: str, meaning: str, *, width: int = 0, view: bool = True) -> Column:
    return Column(name, dtype, init, unit, meaning, width, view)


# ------------------------------------------------------------------------------------ residents
RESIDENTS: tuple[Column, ...] = (
    _c("community", "int32", -1, "index", "community the resident lives in"),
    _c("household", "int64", -1, "index", "household (consecutive within a community)"),
    _c("grid", "int32", -1, "index", "grid of the household"),
    _c("age_group", "int8", 0, "code", "0 youth (< 35), 1 middle (35-59), 2 elderly (≥ 60)"),
    _c("dist", "float64", 0.0, "km", "distance to the community's service centre"),
    _c("present", "bool", True, "", "lives in the community (false after out-migration)"),
    _c("migrant", "bool", False, "", "without local household registration (hukou)"),
    _c("activist", "bool", False, "", "a community 'backbone': Party member, retired cadre, building head"),
    _c("digital", "bool", False, "", "has digital access (direct-line channels, apps)"),
    _c("stake", "float64", 0.0, "0-1", "material stake in community agendas"),
    _c("propensity", "float64", 0.0, "logit", "individual participation propensity (heterogeneous threshold)"),
    _c("needs", "bool", False, "", "needs by service type (elderly care, childcare, health, culture, environment)",
       width=5, view=False),
    _c("trust", "float64", 0.5, "0-1", "trust in the community committee"),
    _c("efficacy", "float64", 0.4, "0-1", "political efficacy: belief that taking part changes outcomes"),
    _c("satisfaction", "float64", 0.5, "0-1", "satisfaction with community services"),
    _c("disposition", "float64", 0.0, "0-1", "personal offset in how the resident rates the same services"),
    _c("expectation", "float64", 0.5, "0-1", "expected service quality (adapts to what is received)"),
    _c("belonging", "float64", 0.5, "0-1", "sense of belonging to the community"),
    _c("quality", "float64", 0.5, "share", "share of the resident's needs met this month"),
    _c("contacted", "bool", False, "", "visited by a grid worker this month"),
    _c("participated", "bool", False, "", "took part in the latest consultation (议事)"),
    _c("p_participate", "float64", 0.0, "probability", "probability of taking part in the latest consultation"),
    _c("side", "bool", False, "", "position on the latest consultation's agenda (true = the elite-favoured option)"),
    _c("voted", "bool", False, "", "voted in the latest committee election"),
    _c("volunteer", "bool", False, "", "active volunteer"),
)

# ------------------------------------------------------------------------------------ posts
POSTS: tuple[Column, ...] = (
    _c("community", "int32", -1, "index", "community of the post"),
    _c("role", "int8", 0, "code", "secretary, director, deputy, member, staff, grid worker, first secretary"),
    _c("grid", "int32", -1, "index", "grid of a grid worker's post (−1 otherwise)"),
    _c("parttime", "bool", False, "", "a part-time post (rural committee members with outside earnings)"),
    _c("filled", "bool", False, "", "someone holds the post"),
    _c("person", "int64", -1, "id", "id of the cadre holding the post (−1 when vacant)"),
    _c("frozen", "bool", False, "", "vacant and frozen after a layoff until the account recovers"),
    _c("origin", "int8", -1, "code", "elected local, dispatched, graduate, recruited (−1 when vacant)"),
    _c("age", "float64", 0.0, "years", "age of the cadre"),
    _c("skill", "float64", 0.0, "multiplier", "skill / education: service output per hour"),
    _c("tenure", "float64", 0.0, "months", "months in post"),
    _c("burnout", "float64", 0.0, "0-1", "burnout (job demands-resources)"),
    _c("embed", "float64", 0.0, "0-1", "job embeddedness: links, fit and sacrifice"),
    _c("term_left", "float64", 0.0, "months", "months left of a dispatched cadre's term"),
    _c("insured", "bool", False, "", "employer pays social insurance for this post"),
    _c("established", "bool", False, "", "converted to a career-establishment (编制) post"),
    _c("grade", "float64", 0.0, "steps", "steps climbed on the community-worker grade ladder"),
    _c("hours", "float64", 0.0, "hours/month", "contracted hours this month (part-time posts fewer)"),
    _c("admin", "float64", 0.0, "hours/month", "administrative hours this month"),
    _c("service", "float64", 0.0, "hours/month", "service and contact hours this month"),
    _c("contact", "float64", 0.0, "hours/month", "resident-contact (grid visit) hours this month"),
    _c("overtime", "float64", 0.0, "hours/month", "hours beyond the contracted hours this month"),
)

# ------------------------------------------------------------------------------------ communities
COMMUNITIES: tuple[Column, ...] = (
    _c("street", "int32", 0, "index", "street office (街道/乡镇) of the community"),
    _c("urban", "bool", False, "", "urban residents' community (else a rural village)"),
    _c("start", "int64", 0, "index", "first resident of the community"),
    _c("size", "int64", 0, "residents", "residents registered in the community (present or not)"),
    _c("households", "int64", 0, "households", "households with at least one resident present"),
    _c("present", "int64", 0, "residents", "residents present"),
    _c("needs", "int64", 0, "residents", "residents present with each need (service type)", width=5, view=False),
    _c("volunteers", "int64", 0, "residents", "volunteers among the residents present"),
    _c("radius", "float64", 0.0, "km", "service radius"),
    _c("facility", "float64", 0.0, "m²", "office and service floor area"),
    _c("units", "int64", 1, "communities", "original communities merged into this one"),
    _c("balance", "float64", 0.0, "yuan", "account balance"),
    _c("pipeline", "float64", 0.0, "yuan", "funds waiting for street-office approval, by months left", width=13,
       view=False),
    _c("activity_spend", "float64", 0.0, "yuan/month", "activity and service spending last month"),
    _c("wages", "float64", 0.0, "yuan/month", "wage bill paid last month"),
    _c("coverage", "float64", 0.5, "share", "share of residents' needs met last month"),
    _c("tasks", "float64", 0.0, "tasks/month", "administrative tasks that reached the community this month"),
    _c("reentered", "float64", 0.0, "tasks/month", "listed tasks that re-entered through other channels this month"),
    _c("admin_hours", "float64", 0.0, "hours/month", "administrative hours the community's cadres carry this month"),
    _c("consulted", "bool", False, "", "held a consultation this month"),
    _c("implemented", "bool", False, "", "the latest consultation's outcome was implemented"),
    _c("elite_won", "bool", False, "", "the latest implemented outcome was the elite-favoured option"),
)

GRIDS: tuple[Column, ...] = (
    _c("community", "int32", 0, "index", "community of the grid"),
    _c("households", "int64", 0, "households", "households in the grid"),
)

ORGANISATIONS: tuple[Column, ...] = (
    _c("kind", "int8", 0, "code", "social-work agency, volunteer association, service provider"),
    _c("staff", "int32", 0, "persons", "professional staff"),
    _c("funds", "float64", 0.0, "yuan", "money available for service hours"),
    _c("months_broke", "int32", 0, "months", "consecutive months without money"),
    _c("hours", "float64", 0.0, "hours/month", "service hours delivered this month"),
    _c("active", "bool", False, "", "operating (false for a folded organisation or a free slot)"),
    _c("serial", "int64", -1, "id", "id of the organisation in this slot (a new one gets a new id)"),
)

LINKS: tuple[Column, ...] = (  # two rows per organisation slot: rows 2o and 2o + 1 belong to slot o
    _c("org", "int32", 0, "index", "social organisation of the tie"),
    _c("community", "int32", -1, "index", "community served (−1: no tie)"),
    _c("paid", "float64", 0.0, "yuan", "recent purchase-of-service payments over the tie (halves monthly)"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "residents": RESIDENTS, "posts": POSTS, "communities": COMMUNITIES, "grids": GRIDS,
    "organisations": ORGANISATIONS, "links": LINKS,
}


class Table:
    """The columns of one entity table, allocated from their declarations.

    Columns are read and written as attributes (``table.trust``). Reading is a plain
    attribute lookup (the processes read columns every month); writing goes through
    ``__setattr__``, which refuses an undeclared name and checks the shape against the
    declaration. ``version`` changes whenever a column array is replaced or the table resized,
    so the model knows when to collect the arrays it hands to the compiled processes again
    (the processes change columns in place). ``take`` keeps or reorders rows (mergers, folding organisations), ``append``
    adds rows at their declared initial values (hiring posts, new organisations).
    """

    def __init__(self, name: str, columns: Sequence[Column], n: int) -> None:
        d = self.__dict__
        d["_name"] = name
        d["_columns"] = {c.name: c for c in columns}
        d["_n"] = int(n)
        d["version"] = 0  # changes whenever a column is replaced or the table resized
        for c in columns:
            d[c.name] = c.allocate(n)

    # -------------------------------------------------------------------------- access
    def __getattr__(self, name: str) -> np.ndarray:  # only reached for names that are not columns
        raise StateError(f"{self.__dict__.get('_name', 'table')} has no declared column {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        col = self._columns.get(name)
        if col is None:
            raise StateError(f"{self._name}.{name} is not declared in model/state.py; declare it there")
        arr = np.asarray(value)
        shape = (self._n, col.width) if col.width else (self._n,)
        if arr.shape != shape:
            raise StateError(f"{self._name}.{name}: shape {arr.shape}, declared {shape}")
        self.__dict__[name] = arr.astype(col.dtype, copy=False)
        self.__dict__["version"] += 1

    def __len__(self) -> int:
        return self._n

    @property
    def n(self) -> int:
        return self._n

    @property
    def name(self) -> str:
        return self._name

    def columns(self) -> tuple[Column, ...]:
        return tuple(self._columns.values())

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns themselves (not copies), by name, in declaration order."""
        return {name: self.__dict__[name] for name in self._columns}

    # -------------------------------------------------------------------------- resizing
    def take(self, index: np.ndarray) -> None:
        """Keep rows ``index`` (in that order): the table then has ``len(index)`` rows."""
        index = np.asarray(index, dtype=np.intp)
        d = self.__dict__
        for name in self._columns:
            d[name] = d[name][index]
        d["_n"] = len(index)
        d["version"] += 1

    def append(self, k: int) -> np.ndarray:
        """Add ``k`` rows at their declared initial values; returns their indices."""
        k = int(k)
        d = self.__dict__
        for name, col in self._columns.items():
            d[name] = np.concatenate([d[name], col.allocate(k)])
        first = self._n
        d["_n"] = first + k
        d["version"] += 1
        return np.arange(first, first + k)

    def replace(self, n: int, values: dict[str, np.ndarray] | None = None) -> None:
        """Reallocate the table with ``n`` rows at their initial values, then set ``values``."""
        d = self.__dict__
        d["_n"] = int(n)
        d["version"] += 1
        for name, col in self._columns.items():
            d[name] = col.allocate(n)
        for name, v in (values or {}).items():
            setattr(self, name, v)

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of every column (for tests and restructuring)."""
        return {k: v.copy() for k, v in self.arrays().items()}


def view_names(columns: Iterable[Column]) -> list[str]:
    return [c.name for c in columns if c.view]
