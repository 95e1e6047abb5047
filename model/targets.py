"""Declared targets: what the model is fitted to, what it is checked against, and where each
figure comes from.

Each :class:`Target` is a figure from the source report or a published study, the interval
within which the model counts as reproducing it, and how it is measured from model outputs:
which output, in which world (``setting``: parameter overrides; ``schedule``: changes), over
which months (``window``, inclusive) and how (``kind``):

``level``     mean of the output over the window (and over seeds)
``effect``    paired difference, the run with ``schedule`` minus the run without it
``relative``  paired relative change (with − without) / without

``role`` keeps the evidence honest (docs/ODD.md §1, docs/SOURCES.md):

``consistency``  an input reproduced (e.g. posts per community); shows the machinery, proves nothing
``calibration``  a figure parameters were fitted to; the registry names it in ``calibrated``
``validation``   held out: no parameter was tuned to it; the model's emergent answer is checked

``tests/patterns/`` checks every target by its role; the calibration (``govsim calibrate``)
fits to the calibration targets and reports the validation targets out of sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .outputs import OUTPUTS
from .parameters import normalise_schedule, resolve

__all__ = ["KINDS", "ROLES", "TARGETS", "Target", "TargetError", "evaluate", "targets"]

ROLES = ("consistency", "calibration", "validation")
KINDS = ("level", "effect", "relative")

# Worlds the targets are measured in (parameter overrides).
RURAL_NEW_SCALE = {"pay_secretary": 2500.0, "pay_director": 2500.0, "pay_deputy": 2100.0, "pay_member": 1400.0,
                   "pay_topup": 0.0}  # Report §2
COUNTY_93 = {"communities_per_street": 93, "residents_per_community": 60, "burn_in": 1}  # Report §2
URBAN_SCALE = {"pay_secretary": 2750.0, "pay_director": 2750.0, "pay_deputy": 2250.0, "pay_member": 1750.0,
               "pay_staff": 2900.0, "pay_grid_worker": 2900.0, "pay_topup": 0.0, "social_insurance": True}  # Report §3
URBAN_STREET = {"urban_share": 1.0, "communities_per_street": 3, "residents_per_community": 7000, **URBAN_SCALE}


class TargetError(ValueError):
    """A target that names an unknown output, role or kind, or an impossible window.

    ``target``, ``field`` (the offending field), ``value`` and ``allowed`` are kept as
    attributes, so a loader of a targets file can name the file and key they came from.
    """

    def __init__(self, target: str, field: str, value: Any, problem: str, allowed: str = "") -> None:
        self.target, self.field, self.value, self.problem, self.allowed = target, field, value, problem, allowed
        tail = f"; allowed: {allowed}" if allowed else ""
        super().__init__(f"target {target!r}: {field} {value!r} {problem}{tail}")


@dataclass(frozen=True)
class Target:
    name: str
    output: str
    value: float  # the figure, in the output's unit
    low: float  # the interval within which the model reproduces it
    high: float
    role: str
    source: str
    meaning: str
    kind: str = "level"
    setting: Mapping[str, Any] = field(default_factory=dict)
    schedule: tuple[tuple[int, str, Any], ...] = ()
    window: tuple[int, int] = (0, 0)
    horizon: int = 0  # months simulated (default: the window's end)

    def __post_init__(self) -> None:
        def fail(field_: str, value: Any, problem: str, allowed: str = "") -> TargetError:
            return TargetError(self.name, field_, value, problem, allowed)

        if self.output not in OUTPUTS:
            raise fail("output", self.output, "is not a declared output",
                       f"one of the {len(OUTPUTS)} outputs of model/outputs.py (docs/ODD.md)")
        if self.role not in ROLES:
            raise fail("role", self.role, "is not a role", ", ".join(ROLES))
        if self.kind not in KINDS:
            raise fail("kind", self.kind, "is not a kind", ", ".join(KINDS))
        lo, hi = self.window
        if not (0 <= lo <= hi) or (self.horizon and hi > self.horizon):
            raise fail("window", list(self.window), "is impossible",
                       "months [first, last] with 0 ≤ first ≤ last ≤ horizon" +
                       (f" ({self.horizon})" if self.horizon else ""))
        late = [c for c in self.schedule if int(c[0]) > self.months]
        if late:
            raise fail("schedule", list(late[0]), f"changes a parameter after the last month simulated "
                       f"({self.months})", "months 0 … horizon")
        if not (self.low <= self.value <= self.high):
            raise fail("value", self.value, f"lies outside its interval [{self.low}, {self.high}]",
                       "low ≤ value ≤ high")
        if self.kind != "level" and not self.schedule:
            raise fail("kind", self.kind, "needs a schedule (the change whose effect it is)",
                       "a schedule, or kind level")
        resolve(self.setting, where=f"target {self.name!r}")
        normalise_schedule(self.schedule, where=f"target {self.name!r} ")

    @property
    def months(self) -> int:
        return self.horizon or max(self.window[1], 1)

    def hit(self, value: float) -> bool:
        return self.low <= value <= self.high


def _t(name, output, value, low, high, role, source, meaning, **kw) -> Target:
    return Target(name=name, output=output, value=value, low=low, high=high, role=role, source=source,
                  meaning=meaning, **kw)


_TARGETS = [
    # ------------------------------------------------------------------ consistency: inputs reproduced
    _t("posts_before_merger", "committee_posts", 592, 580, 604, "consistency",
       "Report §2: 592 village cadres in 93 villages", "Committee posts of the 93 villages before the merger",
       setting=COUNTY_93),
    _t("posts_after_merger", "committee_posts", 182, 173, 191, "consistency",
       "Report §2: 182 community cadres after the merger", "Committee posts of the 28 merged communities",
       setting=COUNTY_93, schedule=((0, "merge_rate", 0.7),), kind="level"),
    _t("communities_after_merger", "n_communities", 28, 28, 28, "consistency",
       "Report §2: 93 villages → 18 rural + 10 town communities", "Communities after a 70 % merger",
       setting=COUNTY_93, schedule=((0, "merge_rate", 0.7),)),
    _t("dispatched_leaders", "dispatched_leader_share", 0.877, 0.827, 0.927, "calibration",
       "Report §3: 271 of 309 community secretaries and directors are dispatched cadres",
       "Dispatched share of secretaries and directors under street-office appointment",
       setting={**URBAN_STREET, "n_streets": 6, "communities_per_street": 10, "residents_per_community": 150},
       window=(1, 120)),
    _t("facility_standard_urban", "facilities_standard_share", 0.81, 0.71, 0.91, "consistency",
       "Report §3: 81 % of urban communities have ≥ 300 m² of service space",
       "Urban communities meeting the floor-area standard",
       setting={**URBAN_STREET, "n_streets": 4, "communities_per_street": 25, "residents_per_community": 100}),
    # ------------------------------------------------------------------ calibration
    _t("wage_bill_before_merger", "committee_wage_bill_annual", 8.0e6, 7.6e6, 8.4e6, "calibration",
       "Report §2: the county paid 8 M+ yuan a year for 592 village cadres",
       "Annual committee wage bill before the merger", setting=COUNTY_93),
    _t("wage_bill_after_merger", "committee_wage_bill_annual", 4.48e6, 4.26e6, 4.70e6, "calibration",
       "Report §2: 4.48 M yuan a year for 182 community cadres on the new scale",
       "Annual committee wage bill after the merger on the new pay scale", setting=COUNTY_93,
       schedule=((0, "merge_rate", 0.7), *((0, k, v) for k, v in RURAL_NEW_SCALE.items()))),
    _t("turnover_urban_staff", "staff_turnover_annual", 0.20, 0.176, 0.222, "calibration",
       "Shenzhen social workers left at 17.6 % (2011) to 22.2 % (2014) a year; ≈ 20 % in other cities "
       "(Shenzhen 2014; Zeng et al. 2020)",
       "Annual turnover of full-time staff and grid workers in urban communities paid on a stable budget line "
       "(as purchased social workers are)",
       setting={**URBAN_STREET, "n_streets": 2, "budget_regime": "stable"}, window=(1, 120)),
    _t("tasks_urban", "admin_tasks_per_community", 155.0, 130.0, 180.0, "calibration",
       "1,852 and 1,886 tasks a year logged in two Hubei residents' committees (Hubei 2003)",
       "Administrative tasks reaching an urban community each month", setting=URBAN_STREET, window=(1, 24)),
    _t("turnout_overall", "election_turnout", 0.479, 0.43, 0.53, "calibration",
       "Shanghai resident survey: 47.9 % voted in the last residents' committee election (Shanghai n.d.)",
       "Turnout in the latest committee election, urban", setting=URBAN_STREET, window=(1, 60)),
    _t("turnout_youth", "turnout_youth", 0.16, 0.10, 0.22, "calibration",
       "Shanghai resident survey: 13.8 % of residents aged 18-29 voted, 55.7 % at 50-59, 77.7 % at 70-79 "
       "(Shanghai n.d.)",
       "Turnout of residents < 35 in the latest committee election, urban", setting=URBAN_STREET, window=(1, 60)),
    _t("turnout_middle", "turnout_middle", 0.50, 0.40, 0.60, "calibration",
       "Shanghai resident survey: 55.7 % of residents aged 50-59 voted, fewer at 30-49 (Shanghai n.d.)",
       "Turnout of residents 35-59, urban", setting=URBAN_STREET, window=(1, 60)),
    _t("turnout_elderly", "turnout_elderly", 0.75, 0.65, 0.85, "calibration",
       "Shanghai resident survey: 77.7 % of residents aged 70-79 voted (Shanghai n.d.)", "Turnout of residents ≥ 60, urban",
       setting=URBAN_STREET, window=(1, 60)),
    # ------------------------------------------------------------------ validation: held out, nothing tuned to them
    _t("youth_hardly_take_part", "participation_youth", 0.02, 0.0, 0.05, "validation",
       "Report §5.9: almost no young people care about or take part in community affairs",
       "Consultation participation of residents < 35 (baseline)", window=(1, 120)),
    _t("participants_mostly_old", "elderly_share_of_participants", 0.6, 0.5, 1.0, "validation",
       "Report §5.9: those who take part are mostly older residents", "Share of consultation participants aged ≥ 60",
       window=(1, 120)),
    _t("satisfaction_urban", "satisfaction_mean", 0.61, 0.55, 0.70, "calibration",
       "public-service satisfaction in 38 cities: 58.7 (2015) to 63.4 (2017) out of 100 (CASS 2017)",
       "Mean satisfaction with community services, urban", setting=URBAN_STREET, window=(1, 60)),
    _t("hardware_met_satisfaction_short", "satisfied_share", 0.3, 0.0, 0.45, "validation",
       "Report §3-4: 81 % of urban communities meet the space standard, against a target of 95 % satisfied",
       "Residents satisfied while most communities meet the hardware standard, urban", setting=URBAN_STREET,
       window=(1, 60)),
    _t("merger_lowers_turnout", "election_turnout", -0.022, -0.08, 0.0, "validation",
       "amalgamation lowered local turnout by 2.2 pp for at least five elections (Allers et al. 2021)",
       "Change in committee-election turnout after a 70 % merger (later elections)", kind="effect",
       schedule=((24, "merge_rate", 0.7),), window=(91, 150), horizon=150),
    _t("task_list_effect", "admin_tasks", -0.36, -0.50, -0.20, "validation",
       "Zhongshan access list: inspections 33 → 21, periodic reports 40 → 29; Beijing: meetings and paper "
       "ledgers −50 % after cancelling 150 of 322 items (Zhongshan n.d.; Beijing 2019)",
       "Relative change in tasks reaching communities under a task access list barring 47 % of items",
       kind="relative", schedule=((12, "task_access_list", 150 / 322),), window=(13, 48), horizon=48,
       setting=URBAN_STREET),
    _t("pay_raise_cuts_quits", "quit_rate_annual", -0.3, -1.0, -0.1, "validation",
       "Report §2: the raise from 500 to 2,500 yuan 'lowered costs and raised motivation'; Report §5.3: low pay "
       "drives cadres away (direction: quits at least 10 % lower)",
       "Relative change in voluntary quits after the county's pay raise (rural)",
       kind="relative", schedule=tuple((24, k, v) for k, v in RURAL_NEW_SCALE.items()), window=(60, 120),
       horizon=120),
]

TARGETS: dict[str, Target] = {}
for _t_ in _TARGETS:
    if _t_.name in TARGETS:
        raise TargetError(_t_.name, "name", _t_.name, "is declared twice")
    TARGETS[_t_.name] = _t_
del _t_


def targets(role: str | None = None) -> list[Target]:
    """The declared targets, optionally of one role, in declaration order."""
    if role is not None and role not in ROLES:
        raise TargetError("targets()", "role", role, "is not a role", ", ".join(ROLES))
    return [t for t in TARGETS.values() if role is None or t.role == role]


def evaluate(target: Target, seeds: Iterable[int], *, params: Mapping[str, Any] | None = None) -> float:
    """The model's value of ``target`` (mean over ``seeds``), with ``params`` on top of its setting."""
    from .run import simulate

    lo, hi = target.window
    base = {**dict(target.setting), **dict(params or {})}
    values = []
    for s in seeds:
        with_ = simulate(base, seed=s, horizon=target.months, schedule=target.schedule).timeseries[target.output]
        x = float(np.mean(with_[lo:hi + 1]))
        if target.kind != "level":
            without = float(np.mean(simulate(base, seed=s, horizon=target.months).timeseries[target.output][lo:hi + 1]))
            x = x - without if target.kind == "effect" else (x - without) / without if without else float("nan")
        values.append(x)
    return float(np.mean(values))
