"""The parameter registry: every model parameter is declared here, once.

Each declaration carries its name, default, bounds or choices, unit, kind, one-line meaning
and the source of the default. The model's defaults, scenario validation, the SALib problem
and the ODD parameter table are all derived from :data:`REGISTRY`.

Kinds
-----
``uncertainty``
    behavioural or environmental quantity that is not known precisely; a sensitivity factor.
``policy``
    a lever a government can set; schedulable in scenarios.
``structural``
    the size and make-up of the simulated world (streets, communities, residents, networks).
``mechanism``
    a switch that turns one mechanism of the model on or off, so its structural effect can be
    measured (``docs/ODD.md`` §7 says what each switch removes).

Sources cite ``docs/SOURCES.md``: "Report §n" is a section of the source report as summarised
there, an author-year key is an entry of its bibliography, "assumption" marks a value chosen
by the modellers. ``sa_bounds`` is the range a sensitivity analysis samples and ``sa_source``
says where that range comes from; ``calibrated`` names the target (``model/targets.py``) a
value was fitted to, if any.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from govsim import spelling

__all__ = [
    "KINDS",
    "REGISTRY",
    "Change",
    "Parameter",
    "ParameterError",
    "defaults",
    "names",
    "normalise_schedule",
    "resolve",
    "validate_value",
]

KINDS = ("uncertainty", "policy", "structural", "mechanism")
TYPES = ("float", "int", "bool", "choice")
UNSCHEDULABLE = ("structural", "mechanism")  # kinds that shape the world from month 0 and cannot change later


class ParameterError(ValueError):
    """A parameter name or value that the registry does not allow.

    ``name``, ``value`` and ``allowed`` are kept as attributes so callers (the scenario
    loader, the CLI) can add the file and key they came from.
    """

    def __init__(self, name: str, value: Any, allowed: str, *, where: str = "", unknown: bool = False) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        self.where = where
        self.unknown = unknown
        prefix = f"{where}: " if where else ""
        if unknown:  # a name that is no bare TOML key (a line break in it) shown quoted and escaped
            shown = f"'{name}'" if spelling.key(name) == str(name) else spelling.key(name)
            super().__init__(f"{prefix}unknown parameter {shown}; {allowed}")
        else:  # the value as TOML spells it (true, 1979-05-27, "text"), cut when long
            super().__init__(f"{prefix}parameter '{name}' = {spelling.value(value)} is not allowed; {allowed}")


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter."""

    name: str
    default: Any
    type: str  # float | int | bool | choice
    kind: str  # uncertainty | policy | structural | mechanism
    unit: str
    meaning: str
    source: str
    bounds: tuple[float, float] | None = None  # inclusive validity range (float, int)
    choices: tuple[str, ...] | None = None  # for type "choice"
    sa_bounds: tuple[float, float] | None = None  # plausible range for sensitivity analysis
    group: str = ""  # submodel the parameter belongs to (used for SA factor groups)
    sa_source: str = ""  # where the SA range comes from
    calibrated: str = ""  # the target(s) (model/targets.py) this default was fitted to, comma-separated

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise :class:`ParameterError`."""
        t = self.type
        if t == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            raise ParameterError(self.name, value, "allowed: true or false")
        if t == "choice":
            assert self.choices is not None
            if isinstance(value, str) and value in self.choices:
                return value
            raise ParameterError(self.name, value,
                                 f"allowed: one of {', '.join(spelling.value(c) for c in self.choices)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(self.name, value, f"allowed: a number ({self.type}) in {self.describe_range()}")
        if t == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise ParameterError(self.name, value, f"allowed: a whole number in {self.describe_range()}")
                value = int(value)
        else:
            try:
                value = float(value)
            except OverflowError:  # a whole number beyond the float range (e.g. 400 digits)
                raise ParameterError(self.name, value,
                                     f"allowed: a finite number in {self.describe_range()}") from None
            if not math.isfinite(value):
                raise ParameterError(self.name, value, f"allowed: a finite number in {self.describe_range()}")
        if self.bounds is not None:
            lo, hi = self.bounds
            if not (lo <= value <= hi):
                raise ParameterError(self.name, value, f"allowed: {self.describe_range()}")
        return value

    def describe_range(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(self.choices)
        if self.type == "bool":
            return "true / false"
        if self.bounds is None:
            return "any value"
        lo, hi = self.bounds
        fmt = (lambda v: f"{int(v)}") if self.type == "int" else (lambda v: f"{v:g}")
        return f"[{fmt(lo)}, {fmt(hi)}]"


def _p(name, default, type_, kind, unit, meaning, source, *, bounds=None, choices=None, sa=None, sa_source="",
       group="", calibrated=""):
    if sa is not None and not sa_source:
        sa_source = "assumption: a plausible range around the default"
    return Parameter(name=name, default=default, type=type_, kind=kind, unit=unit, meaning=meaning, source=source,
                     bounds=bounds, choices=tuple(choices) if choices else None, sa_bounds=sa, group=group,
                     sa_source=sa_source, calibrated=calibrated)


def _switch(name, meaning, group):
    return _p(name, True, "bool", "mechanism", "", meaning, "model design (docs/ODD.md §7)", group=group)


HALF = "assumption: half to twice the default"  # the SA range of behavioural constants without evidence
WIDE = "assumption: ±50 % of the default"

_DECLARATIONS: list[Parameter] = [
    # ================================================================== world
    _p("n_streets", 1, "int", "structural", "street offices", "Street offices (街道/乡镇) in the simulated area",
       "assumption: one street by default; 30 for a city", bounds=(1, 500), group="structure"),
    _p("communities_per_street", 5, "int", "structural", "communities", "Communities (社区/村) under each street office",
       "assumption: a street or township holds 5-15 communities", bounds=(1, 100),
       group="structure"),
    _p("residents_per_community", 400, "int", "structural", "residents", "Mean residents per community (before any merger)",
       "assumption: a scaled-down street of 2,000 residents; Report §1 gives ≈ 1,040 per rural community",
       bounds=(20, 50_000), group="structure"),
    _p("community_size_cv", 0.3, "float", "structural", "ratio", "Coefficient of variation of community population",
       "assumption", bounds=(0.0, 1.0), group="structure"),
    _p("urban_share", 0.0, "float", "structural", "share", "Share of communities that are urban (rest rural villages)",
       "Report §2: the county reform case is rural", bounds=(0.0, 1.0), group="structure"),
    _p("household_size_rural", 3.5, "float", "structural", "persons", "Mean household size, rural",
       "Report §1: 612,000 people in 175,000 households", bounds=(1.0, 8.0), group="structure"),
    _p("household_size_urban", 2.8, "float", "structural", "persons", "Mean household size, urban",
       "assumption: urban households are smaller than the rural 3.5 of Report §1", bounds=(1.0, 8.0), group="structure"),
    _p("youth_share", 0.30, "float", "structural", "share", "Share of adult residents aged < 35",
       "assumption", bounds=(0.0, 0.9), sa=(0.2, 0.4), group="structure"),
    _p("elderly_share", 0.28, "float", "structural", "share", "Share of adult residents aged ≥ 60",
       "assumption: an ageing rural population (Report §5.9: participants mostly older)", bounds=(0.0, 0.9),
       sa=(0.18, 0.38), group="structure"),
    _p("migrant_share_rural", 0.03, "float", "structural", "share", "Rural residents without local household registration",
       "assumption: few newcomers in villages", bounds=(0.0, 0.9), group="structure"),
    _p("migrant_share_urban", 0.25, "float", "structural", "share", "Urban residents without local household registration",
       "assumption: a quarter of urban residents live away from their registration", bounds=(0.0, 0.9),
       sa=(0.1, 0.4), group="structure"),
    _p("activist_share", 0.06, "float", "structural", "share",
       "Share of residents aged ≥ 35 who are community 'backbones' (Party members, retired cadres, building heads)",
       "assumption", bounds=(0.0, 0.5), sa=(0.02, 0.12), group="participation"),
    _p("social_degree", 6, "int", "structural", "ties", "Mean neighbour ties per resident inside a grid (small world)",
       "assumption", bounds=(2, 40), group="structure"),
    _p("tie_rewire", 0.1, "float", "structural", "probability", "Small-world rewiring probability of neighbour ties",
       "Watts & Strogatz 1998", bounds=(0.0, 1.0), group="structure"),
    _p("age_homophily", 0.5, "float", "structural", "probability",
       "Chance that a rewired or cross-grid tie goes to a resident of the same age group",
       "McPherson et al. 2001: age is among the strongest bases of homophily", bounds=(0.0, 1.0), sa=(0.2, 0.8),
       group="structure"),
    _p("cross_grid_ties", 0.5, "float", "structural", "ties per resident", "Mean extra ties to residents of other grids in the community",
       "assumption", bounds=(0.0, 10.0), group="structure"),
    _p("cross_community_ties", 0.05, "float", "structural", "ties per resident", "Mean extra ties to residents of other communities",
       "assumption", bounds=(0.0, 5.0), group="structure"),
    _p("committee_posts", 6.37, "float", "structural", "posts per community",
       "Committee posts (secretary, director, deputies, members) per community before any merger",
       "Report §2: 592 village cadres in 93 villages", bounds=(3.0, 15.0), group="structure"),
    _p("deputies_per_committee", 3, "int", "structural", "posts", "Deputy posts of a committee (the rest are members)",
       "fitted: the post-reform wage bill of 4.48 M yuan/yr for 182 cadres on the new scale (Report §2)",
       bounds=(0, 10), group="structure", calibrated="wage_bill_after_merger"),
    _p("staff_per_community", 1, "int", "structural", "posts", "Full-time staff posts per rural community (service station)",
       "Report §2: 180 full-time staff recruited for 215 communities", bounds=(0, 30), group="structure"),
    _p("staff_per_community_urban", 10, "int", "structural", "posts",
       "Full-time staff posts per urban community (service station)",
       "Report, introduction: urban communities have 20 workers on average; the rest are committee members and "
       "grid workers", bounds=(0, 60), group="structure"),
    _p("so_per_community", 0.4, "float", "structural", "organisations", "Social organisations active per community at start",
       "assumption: Report §5.2 'few social workers'", bounds=(0.0, 5.0), group="structure"),
    _p("facility_area_mean_rural", 230.0, "float", "structural", "m²", "Mean office/service floor area, rural",
       "Report §1: 35 % < 200 m², 25 % 200-300, 21 % > 300, 19 % none", bounds=(0.0, 2000.0), group="structure"),
    _p("facility_area_mean_urban", 560.0, "float", "structural", "m²", "Mean office/service floor area, urban",
       "Report §3: 81 % ≥ 300 m², 39 % 500-1,000", bounds=(0.0, 5000.0), group="structure"),
    _p("service_radius_rural", 2.2, "float", "structural", "km", "Mean service radius of a rural community",
       "Report §1: 80 % of rural communities serve within 3 km", bounds=(0.1, 30.0), group="structure"),
    _p("service_radius_urban", 0.8, "float", "structural", "km", "Mean service radius of an urban community",
       "assumption: a compact urban estate", bounds=(0.1, 30.0), group="structure"),
    _p("cadre_hours", 176.0, "float", "structural", "hours/month", "Contracted monthly hours of a full-time cadre",
       "22 working days of 8 hours", bounds=(80.0, 300.0), group="time"),
    _p("parttime_hours", 88.0, "float", "structural", "hours/month", "Contracted monthly hours of a part-time committee member",
       "assumption: half time; rural cadres farm or run a business beside the post", bounds=(10.0, 176.0),
       sa=(44.0, 132.0), sa_source=WIDE, group="workforce"),
    _p("retirement_age", 60, "int", "structural", "years", "Age at which cadres retire",
       "statutory retirement age for men in China before 2025", bounds=(45, 75), group="workforce"),
    _p("dispatch_term", 36, "int", "structural", "months", "Term of a dispatched cadre or first secretary before rotation",
       "assumption: two- to three-year dispatch terms", bounds=(6, 120), group="workforce"),
    _p("burn_in", 60, "int", "structural", "months",
       "Months simulated under the month-0 settings before month 0 (not recorded)",
       "model design: removes the start-up transient (docs/ODD.md §5)", bounds=(0, 600), group="time"),
    _p("first_election", 30, "int", "structural", "months",
       "Month of the first committee election after month 0 (later ones follow every term)",
       "assumption: elections fall mid-way through the reform period", bounds=(0, 600), group="workforce"),
    # ================================================================== pay and careers
    _p("pay_secretary", 500.0, "float", "policy", "yuan/month", "Monthly pay of the party secretary",
       "Report §2: 500 before the reform", bounds=(0.0, 20_000.0), sa=(500.0, 3000.0),
       sa_source="Report §2-3: 500 before the reform, 2,500-3,000 after", group="pay"),
    _p("pay_director", 500.0, "float", "policy", "yuan/month", "Monthly pay of the committee director",
       "Report §2: director subsidy 500 → 2,500", bounds=(0.0, 20_000.0), sa=(500.0, 3000.0),
       sa_source="Report §2-3: 500 before the reform, 2,500-3,000 after", group="pay"),
    _p("pay_deputy", 400.0, "float", "policy", "yuan/month", "Monthly pay of a deputy director",
       "assumption before the reform; Report §2: 2,100 after", bounds=(0.0, 20_000.0), sa=(400.0, 2500.0),
       sa_source="Report §2-3: 2,000-2,500 after the reform", group="pay"),
    _p("pay_member", 300.0, "float", "policy", "yuan/month", "Monthly pay of a committee member",
       "assumption before the reform; Report §2: 1,400 after", bounds=(0.0, 20_000.0), sa=(300.0, 2000.0),
       sa_source="Report §2-3: 1,400-2,000 after the reform", group="pay"),
    _p("pay_staff", 1500.0, "float", "policy", "yuan/month", "Monthly pay of a full-time staff member",
       "assumption before the reform; Report §3: 2,500-3,300 after", bounds=(0.0, 20_000.0), sa=(1500.0, 3300.0),
       sa_source="Report §3: 2,500-3,300 after the reform", group="pay"),
    _p("pay_grid_worker", 1500.0, "float", "policy", "yuan/month", "Monthly pay of a grid worker",
       "assumption: paid like full-time staff", bounds=(0.0, 20_000.0), sa=(1500.0, 3300.0),
       sa_source="Report §3: full-time staff 2,500-3,300", group="pay"),
    _p("pay_topup", 732.0, "float", "policy", "yuan/month", "Collective and performance allowances per committee cadre",
       "fitted: the pre-reform wage bill of 8.0 M yuan/yr for 592 cadres (Report §2)", bounds=(0.0, 10_000.0),
       sa=(0.0, 1000.0), sa_source="from no allowances to above the fitted pre-reform level", group="pay", calibrated="wage_bill_before_merger"),
    _p("social_insurance", False, "bool", "policy", "", "Employer pays 'five insurances and one fund' for full-time posts",
       "Report §2-3: full-time staff get the five insurances and one fund after the reform", group="pay"),
    _p("insurance_rate", 0.30, "float", "structural", "share of pay",
       "Employer contribution of the five insurances and one fund (五险一金)",
       "employer shares: pension ≈ 16 %, medical 5-12 %, unemployment 0.5-1 %, work injury 0.5-2 %, maternity "
       "0.5-1 % (Beijing and Shanghai 27.8-29.5 % in all) plus a housing fund of 5-12 % (Asia Briefing n.d.; "
       "Report §2-3)", bounds=(0.0, 0.6), sa=(0.25, 0.40),
       sa_source="employer shares across cities, without and with the housing fund", group="pay"),
    _p("parttime_committee", 0.6, "float", "policy", "share",
       "Share of rural committee deputy and member posts held part-time",
       "assumption: village cadres farm or run a business beside the post (Report §5.3-5.4)", bounds=(0.0, 1.0),
       sa=(0.0, 1.0), sa_source="from all full-time to all part-time", group="workforce"),
    _p("establishment_rate", 0.0, "float", "policy", "1/month",
       "Monthly chance an eligible community worker (tenure ≥ establishment_tenure, not dispatched) is converted "
       "to a career-establishment (编制) post",
       "Report §5.3: no career path; conversion is a reform proposal", bounds=(0.0, 0.2), sa=(0.0, 0.02), sa_source="assumption: up to a quarter of eligible workers converted a year", group="pay"),
    _p("promotion_ladder", False, "bool", "policy", "",
       "A grade ladder for community workers: a pay step every grade_months of tenure",
       "Report §5.3: no career path; grade systems for community workers are a reform proposal", group="pay"),
    _p("grade_months", 36, "int", "structural", "months", "Tenure per step of the grade ladder",
       "assumption: one step per three years", bounds=(6, 120), group="pay"),
    _p("grade_step", 0.08, "float", "structural", "share of pay", "Pay rise per grade step",
       "assumption", bounds=(0.0, 0.5), sa=(0.04, 0.16), sa_source=HALF, group="pay"),
    _p("max_grades", 5, "int", "structural", "steps", "Steps of the grade ladder",
       "assumption", bounds=(0, 20), group="pay"),
    _p("establishment_tenure", 120, "int", "structural", "months",
       "Tenure before a community worker may be converted to a career-establishment post",
       "national 2024 opinions on the community workforce: ≥ 10 consecutive years (CPC/State Council 2024)",
       bounds=(0, 480), group="pay"),
    _p("establishment_premium", 0.2, "float", "structural", "share of pay", "Pay uplift of a career-establishment post",
       "assumption", bounds=(0.0, 1.0), sa=(0.1, 0.4), sa_source=HALF, group="pay"),
    # ================================================================== budget
    _p("budget_regime", "project", "choice", "policy", "", "How the community's running money arrives",
       "Report §5.7: project-based and scattered before; stable line and reward in lieu of subsidy proposed",
       choices=("project", "stable", "reward"), group="budget"),
    _p("activity_budget", 6.0, "float", "policy", "yuan/resident/month", "Activity and service funds planned per resident",
       "assumption: ≈ 133 M yuan over 612,000 rural residents and several years (Report §1)", bounds=(0.0, 200.0),
       sa=(2.0, 20.0), group="budget"),
    _p("fragmentation_loss", 0.25, "float", "uncertainty", "share",
       "Share of project funds lost to scattered, departmental management",
       "assumption: Report §5.7 'low efficiency and waste'", bounds=(0.0, 0.9), sa=(0.05, 0.5), group="budget"),
    _p("pooled_funds", False, "bool", "policy", "", "Departmental project funds pooled into one channel",
       "Report §2: 50 M+ yuan/yr pooled", group="budget"),
    _p("pooled_loss_cut", 0.6, "float", "uncertainty", "share", "Share of the fragmentation loss that pooling removes",
       "assumption", bounds=(0.0, 1.0), sa=(0.3, 0.9), group="budget"),
    _p("authority_loss_cut", 0.5, "float", "uncertainty", "share",
       "Share of the fragmentation loss that full community authority over money removes",
       "assumption", bounds=(0.0, 1.0), sa=(0.25, 0.75), sa_source=WIDE, group="budget"),
    _p("approval_delay", 3, "int", "policy", "months", "Months street-office approval holds activity funds back",
       "assumption: Report §5.5 activity funds need street-office approval", bounds=(0, 12), sa=(0, 6), sa_source="assumption: from no delay to half a year", group="budget"),
    _p("project_rate", 0.25, "float", "uncertainty", "projects/month", "Chance a project grant arrives in a month (project regime)",
       "assumption: project money is lumpy (Report §5.7)", bounds=(0.01, 1.0), sa=(0.125, 0.5), sa_source=HALF,
       group="budget"),
    _p("reward_threshold", 0.6, "float", "policy", "share", "Service coverage a community must reach to earn its reward",
       "assumption: Report §3 'accept first, subsidise after'", bounds=(0.0, 1.0), sa=(0.4, 0.8), sa_source="assumption: lenient to strict standards", group="budget"),
    _p("reward_share", 0.5, "float", "policy", "share",
       "Share of activity money paid only as a reward for meeting the standard (reward regime)",
       "assumption: Report §2 reward in lieu of subsidy", bounds=(0.0, 1.0), sa=(0.25, 0.75), sa_source="assumption", group="budget"),
    _p("reward_loss_factor", 0.3, "float", "uncertainty", "share",
       "Fragmentation loss of reward money relative to project money",
       "assumption: pooled reward funds lose less (Report §2)", bounds=(0.0, 1.0), sa=(0.1, 0.6), group="budget"),
    _p("spend_cap", 1.5, "float", "uncertainty", "× activity plan", "Most a community spends on activities in a month, relative to its plan",
       "assumption", bounds=(1.0, 5.0), sa=(1.2, 2.5), group="budget"),
    _p("purchase_share", 0.05, "float", "policy", "share", "Share of activity funds spent buying services from social organisations",
       "assumption: Report §5.7 services (elderly care, childcare) are not purchased", bounds=(0.0, 0.9),
       sa=(0.0, 0.5), group="budget"),
    _p("donation_drive", 0.1, "float", "policy", "0-1", "Effort to raise donations and self-raised funds (diversified funding)",
       "Report §5.7 'transfusion, not blood-making'; §1: 36 M of 133 M yuan non-government", bounds=(0.0, 1.0),
       sa=(0.0, 1.0), sa_source="the whole lever", group="budget"),
    _p("donation_per_resident", 1.5, "float", "uncertainty", "yuan/resident/month", "Donations and self-raised funds at full drive",
       "assumption scaled from Report §1 (27 % non-government investment)", bounds=(0.0, 50.0), sa=(0.5, 5.0),
       group="budget"),
    _p("layoff_threshold", 3.0, "float", "uncertainty", "months of wage bill", "Deficit (in months of wage bill) that triggers layoffs",
       "assumption: Report §5.3 'cut away'", bounds=(0.0, 24.0), sa=(1.5, 6.0), sa_source=HALF, group="budget"),
    # ================================================================== decentralisation
    _p("task_access_list", 0.0, "float", "policy", "share", "Share of departmental tasks a task access list bars from communities",
       "Report §5.6: no rules on which tasks may enter communities", bounds=(0.0, 1.0), sa=(0.0, 0.8), group="admin"),
    _p("list_compliance", 0.6, "float", "uncertainty", "share",
       "Share of barred tasks that really stay out (the rest re-enter through other channels)",
       "assumption: after Beijing's lists some departments kept pushing tasks down (Beijing 2018)", bounds=(0.0, 1.0),
       sa=(0.3, 1.0), group="admin"),
    _p("assessment_pressure", 0.8, "float", "policy", "0-1",
       "Assessment (考核) pressure from the street office: drives 'leave a trace' (留痕) documentation per task",
       "Report §5.5: communities treated as the street office's dispatched arm", bounds=(0.0, 1.0), sa=(0.2, 1.0), sa_source="assumption: light to heavy assessment", group="admin"),
    _p("inspections", 4.0, "float", "policy", "inspections/community/month", "Inspections and assessments a community receives each month",
       "assumption: Report §5.5-5.6 over-administration", bounds=(0.0, 40.0), sa=(1.0, 8.0), sa_source="assumption: the number of appraisals (Beijing 2018: 32 a year) and inspections", group="admin"),
    _p("decision_authority", 0.2, "float", "policy", "probability", "Chance a consultation's outcome is implemented (else token)",
       "Report §5.5/§5.9: residents 'only listen', communities only execute", bounds=(0.0, 1.0), sa=(0.1, 0.9),
       group="attitudes"),
    _p("fund_authority", 0.0, "float", "policy", "0-1", "Community authority over its money (cuts approval delay and losses)",
       "Report §5.5: personnel and money controlled above", bounds=(0.0, 1.0), sa=(0.0, 1.0), sa_source="the whole lever", group="budget"),
    _p("personnel_authority", 0.0, "float", "policy", "0-1", "Community authority over hiring (local fit, more applicants)",
       "Report §5.5", bounds=(0.0, 1.0), sa=(0.0, 1.0), sa_source="the whole lever", group="workforce"),
    _p("dispatch_share", 0.78, "float", "policy", "share", "Share of leader vacancies filled by cadres dispatched by the street office",
       "fitted: 271 of 309 secretaries and directors are dispatched cadres (87.7 %; the report says 87.4 %; Report §3)",
       bounds=(0.0, 1.0), sa=(0.1, 0.9), sa_source="from an elected regime to beyond the report's appointment regime",
       group="workforce", calibrated="dispatched_leaders"),
    _p("first_secretary", False, "bool", "policy", "", "A first secretary is dispatched to each rural community",
       "Report §2: 56 section-level cadres; 300+ technical staff as first secretaries", group="workforce"),
    _p("graduate_recruitment", 0.0, "float", "policy", "share", "Share of staff vacancies offered to recruited graduates",
       "Report §3: 453 graduates recruited in 4 years", bounds=(0.0, 1.0), sa=(0.0, 1.0), sa_source="the whole lever", group="workforce"),
    _p("term_length", 60, "int", "policy", "months", "Term of the elected committees",
       "five-year terms since the amendment of the organic laws of villagers' and residents' committees "
       "(three before; NPC Standing Committee 2018)",
       bounds=(12, 120), sa=(36, 60), sa_source="three-year terms before 2018, five since", group="workforce"),
    # ================================================================== structure levers
    _p("merge_rate", 0.0, "float", "policy", "share", "Share of communities absorbed by mergers (applied when changed)",
       "Report §2: 93 villages → 28 communities, 70 %", bounds=(0.0, 0.9), sa=(0.0, 0.7), sa_source="from no merger to the case county's 70 % (Report §2)", group="mergers"),
    _p("merged_committee_posts", 6.5, "float", "policy", "posts per community", "Committee posts of a community formed by a merger",
       "Report §2: 182 community cadres in 28 merged communities", bounds=(3.0, 20.0), sa=(5.0, 8.0), sa_source="assumption: committees of 3-7 members plus deputies (organic law)", group="mergers"),
    _p("grid_households", 600, "int", "policy", "households", "Households per grid (one grid worker each)",
       "Report §3: 500-800 households per grid", bounds=(50, 3000), sa=(300, 800), sa_source="Report §3: 500-800 households per grid, and smaller grids", group="structure"),
    _p("informatisation", 0.1, "float", "policy", "0-1", "Level of informatisation of administrative work",
       "Report §5.8: lagging", bounds=(0.0, 1.0), sa=(0.0, 0.9), group="admin"),
    _p("n_platforms", 20, "int", "policy", "platforms", "Separate information systems a community must report to",
       "Report §5.8: incompatible systems, information silos; Beijing communities reported to 40+ systems and "
       "kept 150+ ledgers (Beijing 2018)", bounds=(1, 80), sa=(5, 45), sa_source="from a few integrated systems to the 40+ reported "
       "in Beijing", group="admin"),
    _p("digital_channels", 0.1, "float", "policy", "0-1", "Reach of digital participation channels (direct line, apps)",
       "Report §2: six direct channels", bounds=(0.0, 1.0), sa=(0.0, 1.0), sa_source="the whole lever", group="participation"),
    _p("four_social_linkage", 0.0, "float", "policy", "0-1", "Intensity of four-social linkage (community, SOs, social workers, volunteers)",
       "Report §2", bounds=(0.0, 1.0), sa=(0.0, 1.0), group="participation"),
    _p("consultation_interval", 3, "int", "policy", "months", "Months between resident consultations",
       "assumption: Report §5.9 meetings called when officials need them", bounds=(1, 12), sa=(1, 6), sa_source="monthly to half-yearly", group="participation"),
    _p("disclosure", False, "bool", "policy", "", "Outcomes disclosed to all residents, with procedural safeguards (四议两公开)",
       "Report §2: democratic consultation", group="participation"),
    # ================================================================== administrative load
    _p("tasks_fixed", 40.0, "float", "uncertainty", "tasks/community/month",
       "Administrative tasks each community receives whatever its size (reports, meetings, campaigns)",
       "assumption; with tasks_per_household it gives ≈ 150 tasks a month to an urban community of 3,000 "
       "households, the order of the 1,852 and 1,886 tasks a year logged in two Hubei communities (Hubei 2003)", bounds=(0.0, 500.0), sa=(20.0, 80.0), sa_source=HALF,
       group="admin"),
    _p("tasks_per_household", 0.044, "float", "uncertainty", "tasks/household/month",
       "Administrative tasks per household of the community (certificates, checks, data collection)",
       "fitted: ≈ 155 tasks a month in an urban community (Hubei 2003; see tasks_fixed)", bounds=(0.0, 1.0),
       sa=(0.015, 0.07), sa_source=HALF, group="admin", calibrated="tasks_urban"),
    _p("task_hours", 4.0, "float", "uncertainty", "hours/task", "Cadre hours an administrative task takes at the mean task mix",
       "assumption", bounds=(0.1, 40.0), sa=(2.0, 8.0), sa_source=HALF, group="admin"),
    _p("trace_hours", 1.0, "float", "uncertainty", "hours/task",
       "Documentation hours per task at full assessment pressure ('leave a trace', 留痕)",
       "assumption", bounds=(0.0, 10.0), sa=(0.25, 2.0), group="admin"),
    _p("inspection_hours", 8.0, "float", "uncertainty", "hours/inspection", "Cadre hours one inspection or assessment takes",
       "assumption: a working day of preparation and reception", bounds=(0.0, 80.0), sa=(4.0, 16.0), sa_source=HALF,
       group="admin"),
    _p("platform_hours", 2.5, "float", "uncertainty", "hours/platform/month",
       "Data-entry and upkeep hours per information platform a community reports to",
       "assumption", bounds=(0.0, 40.0), sa=(1.0, 5.0), group="admin"),
    _p("info_saving", 0.4, "float", "uncertainty", "share", "Share of task time saved by full informatisation",
       "assumption", bounds=(0.0, 0.9), sa=(0.1, 0.7), group="admin"),
    _p("min_service_hours", 24.0, "float", "uncertainty", "hours/month", "Service hours a cadre keeps up even when overloaded (overtime)",
       "assumption", bounds=(0.0, 176.0), sa=(12.0, 48.0), sa_source=HALF, group="time"),
    # ================================================================== services
    _p("need_hours", 0.6, "float", "uncertainty", "hours/need/month", "Service hours one resident need requires per month",
       "fitted: satisfaction with urban public services ≈ 0.6 (CASS 2017)", bounds=(0.01, 20.0),
       sa=(0.3, 2.5), group="services", calibrated="satisfaction_urban"),
    _p("so_hours_per_yuan", 0.02, "float", "uncertainty", "hours/yuan", "Service hours a social organisation delivers per yuan",
       "assumption: ≈ 50 yuan per professional service hour", bounds=(0.0, 1.0), sa=(0.01, 0.04), sa_source=HALF,
       group="services"),
    _p("activity_hours_per_yuan", 0.01, "float", "uncertainty", "hours/yuan", "Service hours activity funds add per yuan (materials, venues)",
       "assumption", bounds=(0.0, 1.0), sa=(0.005, 0.02), sa_source=HALF, group="services"),
    _p("volunteer_hours", 6.0, "float", "uncertainty", "hours/volunteer/month", "Service hours a volunteer gives per month",
       "assumption", bounds=(0.0, 100.0), sa=(3.0, 12.0), sa_source=HALF, group="services"),
    _p("linkage_volunteer_hours", 0.5, "float", "uncertainty", "share",
       "Extra volunteer hours under full four-social linkage (organised volunteering)",
       "assumption: Report §2 four-social linkage", bounds=(0.0, 3.0), sa=(0.25, 1.0), sa_source=HALF, group="services"),
    _p("radius_decay", 4.0, "float", "uncertainty", "km", "Distance scale of access decay exp(−distance/decay)",
       "assumption: Report §1 80 % within 3 km", bounds=(0.1, 100.0), sa=(2.0, 8.0), sa_source=HALF, group="services"),
    _p("hours_per_visit", 0.5, "float", "uncertainty", "hours/visit", "Cadre hours one household visit takes",
       "assumption", bounds=(0.05, 5.0), sa=(0.25, 1.0), sa_source=HALF, group="services"),
    _p("burnout_productivity", 0.4, "float", "uncertainty", "share",
       "Service output lost at full burnout (per unit of burnout)",
       "assumption; burnout lowers job performance (Corbeanu et al. 2023: r = −0.17 to −0.23)", bounds=(0.0, 1.0),
       sa=(0.1, 0.6),
       group="services"),
    _p("org_staff_hours", 160.0, "float", "structural", "hours/month", "Service hours per member of staff of a social organisation",
       "assumption: full-time hours less training", bounds=(10.0, 300.0), group="services"),
    _p("org_start_funds", 20_000.0, "float", "uncertainty", "yuan", "Funds of a social organisation active at the start",
       "assumption", bounds=(0.0, 1e6), sa=(10_000.0, 40_000.0), sa_source=HALF, group="organisations"),
    _p("org_entry_funds", 10_000.0, "float", "uncertainty", "yuan", "Funds a newly founded social organisation brings",
       "assumption", bounds=(0.0, 1e6), sa=(5_000.0, 20_000.0), sa_source=HALF, group="organisations"),
    _p("org_entry_scale", 20_000.0, "float", "uncertainty", "yuan/month",
       "Unmet purchase money per street at which entry of a new organisation becomes likely (1 − 1/e)",
       "assumption", bounds=(100.0, 1e6), sa=(10_000.0, 40_000.0), sa_source=HALF, group="organisations"),
    _p("org_fold_months", 6, "int", "uncertainty", "months", "Months without money after which an organisation folds",
       "assumption", bounds=(1, 36), sa=(3, 12), sa_source=HALF, group="organisations"),
    _p("linkage_org_entry", 0.05, "float", "uncertainty", "probability/month",
       "Monthly chance four-social linkage incubates a new organisation in a street (at full linkage)",
       "assumption: Report §2 four-social linkage", bounds=(0.0, 1.0), sa=(0.02, 0.1), sa_source=HALF,
       group="organisations"),
    # ================================================================== attitudes
    _p("kappa_satisfaction", 0.15, "float", "uncertainty", "1/month", "Rate at which satisfaction follows service received",
       "assumption", bounds=(0.0, 1.0), sa=(0.075, 0.3), sa_source=HALF, group="attitudes"),
    _p("kappa_trust", 0.05, "float", "uncertainty", "1/month", "Rate at which trust follows satisfaction",
       "assumption", bounds=(0.0, 1.0), sa=(0.025, 0.1), sa_source=HALF, group="attitudes"),
    _p("kappa_belonging", 0.05, "float", "uncertainty", "1/month", "Rate at which belonging follows trust, volunteering and taking part",
       "assumption", bounds=(0.0, 1.0), sa=(0.025, 0.1), sa_source=HALF, group="attitudes"),
    _p("kappa_efficacy", 0.15, "float", "uncertainty", "per consultation", "Efficacy change after a consultation",
       "assumption (responsive-institution feedback)", bounds=(0.0, 1.0), sa=(0.05, 0.3), group="attitudes"),
    _p("loser_learning", 0.5, "float", "uncertainty", "share",
       "Efficacy lost by a participant whose side lost an implemented outcome, relative to a token consultation",
       "assumption: losing after being heard discourages less than not being heard", bounds=(0.0, 1.0),
       sa=(0.25, 1.0), group="attitudes"),
    _p("disclosure_learning", 0.33, "float", "uncertainty", "share",
       "How much non-participants learn from a disclosed outcome, relative to participants",
       "assumption", bounds=(0.0, 1.0), sa=(0.15, 0.6), sa_source=HALF, group="attitudes"),
    _p("token_trust_loss", 0.5, "float", "uncertainty", "× κ_ε", "Trust participants lose after a token consultation, relative to κ_ε",
       "assumption", bounds=(0.0, 2.0), sa=(0.25, 1.0), sa_source=HALF, group="attitudes"),
    _p("contact_trust", 0.01, "float", "uncertainty", "per visit", "Trust gained from a grid worker's visit",
       "assumption", bounds=(0.0, 0.5), sa=(0.005, 0.02), sa_source=HALF, group="attitudes"),
    _p("contact_satisfaction", 0.05, "float", "uncertainty", "0-1", "Satisfaction a grid worker's visit adds to the month's target",
       "assumption", bounds=(0.0, 0.5), sa=(0.025, 0.1), sa_source=HALF, group="attitudes"),
    _p("facility_weight", 0.15, "float", "uncertainty", "share", "Weight of hardware (facilities) in resident satisfaction",
       "assumption: hardware counts, services count more (Report §5.10)", bounds=(0.0, 1.0), sa=(0.05, 0.3),
       group="attitudes"),
    _p("disposition_sd", 0.1, "float", "uncertainty", "0-1",
       "Spread of residents' personal offsets in rating the same services (satisfaction surveys disperse)",
       "assumption", bounds=(0.0, 0.5), sa=(0.05, 0.2), sa_source=HALF, group="attitudes"),
    _p("expectation_rate", 0.1, "float", "uncertainty", "1/month", "Rate at which expectations follow the service received",
       "expectation-disconfirmation (Oliver 1980; Van Ryzin 2004, 2006); rate an assumption", bounds=(0.0, 1.0),
       sa=(0.05, 0.2), sa_source=HALF,
       group="attitudes"),
    _p("disconfirmation_weight", 0.5, "float", "uncertainty", "share",
       "Weight of the gap between service received and expected in satisfaction (rest: the service itself)",
       "Van Ryzin 2004: both performance and disconfirmation shape satisfaction", bounds=(0.0, 1.0), sa=(0.2, 0.8),
       group="attitudes"),
    # ================================================================== participation
    _p("beta0", -3.2, "float", "uncertainty", "logit", "Consultation participation intercept",
       "assumption: overall participation low (Report §5.9)", bounds=(-10.0, 5.0), sa=(-4.0, -2.0),
       group="participation"),
    _p("beta_efficacy", 2.0, "float", "uncertainty", "logit", "Effect of political efficacy on taking part",
       "civic voluntarism: engagement (Verba et al. 1995)", bounds=(0.0, 10.0), sa=(1.0, 3.0), group="participation"),
    _p("beta_trust", 1.0, "float", "uncertainty", "logit", "Effect of trust in the committee on taking part",
       "assumption", bounds=(0.0, 10.0), sa=(0.5, 2.0), sa_source=HALF, group="participation"),
    _p("beta_stake", 2.0, "float", "uncertainty", "logit", "Effect of material stake in the agenda on taking part",
       "Report §5.9: participants driven by interest", bounds=(0.0, 10.0), sa=(1.0, 3.0), group="participation"),
    _p("beta_network", 1.5, "float", "uncertainty", "logit", "Effect of the share of neighbours who took part last time",
       "discrete choice with social interactions (Brock & Durlauf 2001); participation spreads through close ties "
       "(Nickerson 2008; Bond et al. 2012)", bounds=(0.0, 10.0), sa=(0.0, 3.0),
       group="participation"),
    _p("beta_contact", 0.6, "float", "uncertainty", "logit", "Effect of a grid worker's visit this month (recruitment)",
       "civic voluntarism: recruitment (Verba et al. 1995)", bounds=(0.0, 5.0), sa=(0.3, 1.2), sa_source=HALF,
       group="participation"),
    _p("cost_youth", 3.6, "float", "uncertainty", "logit", "Opportunity cost of taking part, residents < 35",
       "fitted: committee-election voting rises from 14 % at 18-29 to 78 % at 70-79 (Shanghai n.d.)",
       bounds=(0.0, 10.0), sa=(2.0, 4.5), group="participation", calibrated="turnout_youth"),
    _p("cost_middle", 1.2, "float", "uncertainty", "logit", "Opportunity cost of taking part, residents 35-59",
       "fitted: 55.7 % of residents aged 50-59 voted in the last committee election (Shanghai n.d.)",
       bounds=(0.0, 10.0), sa=(0.75, 3.0), sa_source=HALF, group="participation", calibrated="turnout_middle"),
    _p("cost_elderly", 0.0, "float", "uncertainty", "logit", "Opportunity cost of taking part, residents ≥ 60",
       "assumption: retired residents pay no opportunity cost", bounds=(0.0, 10.0), sa=(0.0, 1.0),
       group="participation"),
    _p("digital_cost_cut", 0.6, "float", "uncertainty", "share", "Share of participation cost a digital channel removes",
       "assumption", bounds=(0.0, 1.0), sa=(0.3, 0.9), group="participation"),
    _p("propensity_sd", 1.0, "float", "uncertainty", "logit",
       "Spread of individual propensities to take part (heterogeneous thresholds)",
       "Granovetter 1978: heterogeneous thresholds", bounds=(0.0, 5.0), sa=(0.5, 2.0), sa_source=HALF,
       group="participation"),
    _p("activist_boost", 2.0, "float", "uncertainty", "logit", "Extra propensity of community backbones to take part",
       "assumption: backbones are mobilised by the committee", bounds=(0.0, 10.0), sa=(1.0, 4.0), sa_source=HALF,
       group="participation"),
    _p("migrant_cost", 1.0, "float", "uncertainty", "logit", "Extra cost of taking part for residents without local registration",
       "assumption: fewer local ties, no vote in some elections", bounds=(0.0, 10.0), sa=(0.5, 2.0), sa_source=HALF,
       group="participation"),
    _p("size_effect", 0.3, "float", "uncertainty", "logit per log-unit",
       "Fall in the propensity to take part per unit of log(community size / reference size) (free riding)",
       "Olson 1965; larger jurisdictions lower efficacy and turnout (Lassen & Serritzlew 2011; Allers et al. 2021)",
       bounds=(0.0, 3.0),
       sa=(0.0, 0.6), group="participation"),
    _p("size_reference", 1000.0, "float", "structural", "residents", "Community size at which the group-size effect is zero",
       "Report §1: ≈ 1,040 residents per rural community", bounds=(10.0, 100_000.0), group="participation"),
    _p("elite_weight", 2.0, "float", "uncertainty", "× voice",
       "Extra weight of a high-stake or backbone participant in which option is implemented (elite capture)",
       "elite capture in local decision making (Bardhan & Mookherjee 2000; Platteau 2004; Alatas et al. 2013)",
       bounds=(0.0, 20.0),
       sa=(0.0, 4.0), group="participation"),
    _p("interest_divergence", 0.4, "float", "uncertainty", "0-1",
       "How far backbones' and high-stake residents' preferred option diverges from other residents'",
       "assumption", bounds=(0.0, 1.0), sa=(0.1, 0.8), group="participation"),
    _p("disclosure_safeguard", 0.5, "float", "uncertainty", "share",
       "Share of elite weight that disclosure and procedural safeguards remove",
       "assumption: Report §2 'four deliberations, two disclosures'", bounds=(0.0, 1.0), sa=(0.25, 0.75),
       sa_source=WIDE, group="participation"),
    _p("agenda_spread", 0.5, "float", "uncertainty", "0-1",
       "Spread of agenda relevance: stake is scaled by U(1 − spread, 1 + spread) per consultation",
       "assumption", bounds=(0.0, 1.0), sa=(0.25, 0.75), sa_source=WIDE, group="participation"),
    _p("volunteer_conversion", 0.03, "float", "uncertainty", "probability", "Chance a participant becomes a volunteer",
       "assumption", bounds=(0.0, 1.0), sa=(0.01, 0.08), group="participation"),
    _p("linkage_conversion", 2.0, "float", "uncertainty", "× conversion",
       "Extra volunteer conversion under full four-social linkage (volunteer registration)",
       "assumption: Report §2 volunteer registration", bounds=(0.0, 10.0), sa=(1.0, 4.0), sa_source=HALF,
       group="participation"),
    _p("volunteer_dropout", 0.03, "float", "uncertainty", "1/month", "Monthly chance a volunteer stops",
       "assumption", bounds=(0.0, 1.0), sa=(0.015, 0.06), sa_source=HALF, group="participation"),
    _p("initial_volunteers", 0.07, "float", "structural", "share", "Share of residents volunteering at the start",
       "assumption: near the baseline's stationary share, so the burn-in can be short", bounds=(0.0, 1.0),
       group="participation"),
    _p("vote_base", 0.75, "float", "uncertainty", "logit", "Intercept of voting in committee elections",
       "fitted: 47.9 % voted in the last residents' committee election, 77.7 % at 70-79 (Shanghai n.d.)",
       bounds=(-10.0, 10.0), sa=(-0.25, 1.75), group="participation", calibrated="turnout_overall, turnout_elderly"),
    _p("vote_mobilisation", 1.0, "float", "uncertainty", "logit",
       "Mobilisation of voters by the committee and the street office at elections",
       "assumption: committee elections are organised from above (Report §5.5)", bounds=(0.0, 5.0), sa=(0.5, 2.0),
       sa_source=HALF, group="participation"),
    _p("migrant_vote_access", 0.3, "float", "uncertainty", "share",
       "Share of residents without local registration who may vote where they live",
       "assumption: voting follows household registration unless residents register locally", bounds=(0.0, 1.0),
       sa=(0.1, 0.6), group="participation"),
    # ================================================================== workforce
    _p("outside_wage_rural", 2500.0, "float", "uncertainty", "yuan/month", "Outside option wage for rural cadres",
       "assumption: a county's migrant-work wage", bounds=(100.0, 50_000.0), sa=(1800.0, 3500.0), group="workforce"),
    _p("outside_wage_urban", 4500.0, "float", "uncertainty", "yuan/month", "Outside option wage for urban cadres",
       "assumption: a city's private-sector wage for clerical work", bounds=(100.0, 50_000.0), sa=(3500.0, 6000.0),
       group="workforce"),
    _p("outside_earnings", 1200.0, "float", "uncertainty", "yuan/month",
       "What a part-time rural committee member earns outside the post at half time",
       "assumption: farming or a small business", bounds=(0.0, 20_000.0), sa=(600.0, 2400.0), sa_source=HALF,
       group="workforce"),
    _p("gamma0", -3.6, "float", "uncertainty", "logit", "Monthly quit hazard intercept",
       "fitted: turnover of urban professional community staff ≈ 18-22 %/yr (Shenzhen social workers 2011-14)",
       bounds=(-12.0, 0.0), sa=(-4.6, -2.6), sa_source="±1 logit around the fitted value", group="workforce",
       calibrated="turnover_urban_staff"),
    _p("gamma_wage", 1.25, "float", "uncertainty", "logit", "Effect of log(outside wage / income) on quitting",
       "for a small hazard γ_w is the elasticity of quitting with respect to pay; set to the quit-based labour-supply "
       "elasticity of ≈ 1.25 in Falch 2011 (a 10 % premium cut teachers' quits by ≈ 6 pp)",
       bounds=(0.0, 10.0), sa=(0.6, 2.5), sa_source="half to twice Falch 2011's 1.25",
       group="workforce"),
    _p("gamma_burnout", 2.0, "float", "uncertainty", "logit", "Effect of burnout on quitting",
       "burnout predicts turnover (Swider & Zimmerman 2010; Bakker & Demerouti 2007)", bounds=(0.0, 10.0),
       sa=(1.0, 3.0), group="workforce"),
    _p("gamma_embed", 1.5, "float", "uncertainty", "logit", "Effect of job embeddedness on staying",
       "Mitchell et al. 2001", bounds=(0.0, 10.0), sa=(0.75, 3.0), sa_source=HALF, group="workforce"),
    _p("gamma_insurance", 0.3, "float", "uncertainty", "logit", "Effect of social insurance on staying (benefits lost on leaving)",
       "assumption; sacrifice dimension of embeddedness (Mitchell et al. 2001)", bounds=(0.0, 5.0), sa=(0.0, 0.6),
       group="workforce"),
    _p("gamma_establishment", 1.0, "float", "uncertainty", "logit", "Effect of a career-establishment post on staying",
       "assumption: a tenured public post", bounds=(0.0, 5.0), sa=(0.5, 2.0), sa_source=HALF, group="workforce"),
    _p("gamma_promotion", 0.5, "float", "uncertainty", "logit", "Effect of a grade ladder (promotion prospects) on staying",
       "assumption: Report §5.3 no career path", bounds=(0.0, 10.0), sa=(0.25, 1.0), sa_source=HALF, group="workforce"),
    _p("gamma_capital", 1.0, "float", "uncertainty", "logit per unit",
       "Effect of community social capital (residents' mean trust and belonging) on cadres staying",
       "community links and fit (Mitchell et al. 2001)", bounds=(0.0, 10.0), sa=(0.0, 2.0), group="workforce"),
    _p("burnout_rate", 0.1, "float", "uncertainty", "1/month", "Rate at which burnout follows job demands",
       "assumption", bounds=(0.0, 1.0), sa=(0.05, 0.2), sa_source=HALF, group="workforce"),
    _p("overtime_scale", 40.0, "float", "uncertainty", "hours/month", "Overtime at which demands reach half of full burnout",
       "assumption", bounds=(1.0, 200.0), sa=(20.0, 80.0), sa_source=HALF, group="workforce"),
    _p("burnout_overtime_weight", 0.6, "float", "uncertainty", "0-1", "Weight of overtime in the burnout target",
       "job demands (Bakker & Demerouti 2007)", bounds=(0.0, 1.0), sa=(0.4, 0.8), group="workforce"),
    _p("burnout_admin_weight", 0.4, "float", "uncertainty", "0-1",
       "Weight of the administrative share of time in the burnout target (halved at full job resources)",
       "job demands-resources (Bakker & Demerouti 2007)", bounds=(0.0, 1.0), sa=(0.2, 0.6), group="workforce"),
    _p("applicants_at_parity", 0.8, "float", "uncertainty", "applicants/month",
       "Expected suitable applicants per month for a vacancy paying the outside wage (fill chance 1 − e^−μ)",
       "assumption: Report §5.3 'won't come'", bounds=(0.01, 20.0), sa=(0.4, 1.6), sa_source=HALF,
       group="workforce"),
    _p("recruit_elasticity", 2.0, "float", "uncertainty", "elasticity",
       "Elasticity of the chance a vacancy is filled (offers accepted) with respect to pay",
       "Dal Bó et al. 2013: higher offers raised acceptance, a labour-supply elasticity of about 2", bounds=(0.0, 10.0),
       sa=(1.0, 3.0), sa_source="Dal Bó et al. 2013 and a margin either side", group="workforce"),
    _p("graduate_applicants", 2.0, "float", "uncertainty", "× applicants", "Applicants a graduate programme adds, relative to open hiring",
       "assumption: Report §3 graduate recruitment", bounds=(1.0, 10.0), sa=(1.5, 4.0), group="workforce"),
    _p("dispatch_fill_rate", 0.8, "float", "uncertainty", "1/month", "Monthly chance a street office fills a leader post by dispatch",
       "assumption", bounds=(0.0, 1.0), sa=(0.5, 1.0), group="workforce"),
    _p("reelect_base", 1.5, "float", "uncertainty", "logit", "Intercept of an incumbent's re-election",
       "assumption", bounds=(-5.0, 10.0), sa=(0.5, 2.5), group="workforce"),
    _p("reelect_satisfaction", 3.0, "float", "uncertainty", "logit per unit",
       "Effect of residents' mean satisfaction (minus 0.5) on re-election", "assumption: retrospective voting",
       bounds=(0.0, 20.0), sa=(1.5, 6.0), sa_source=HALF, group="workforce"),
    _p("reelect_trust", 2.0, "float", "uncertainty", "logit per unit",
       "Effect of residents' mean trust in the committee (minus 0.5) on re-election", "assumption",
       bounds=(0.0, 20.0), sa=(1.0, 4.0), sa_source=HALF, group="workforce"),
    _p("initial_fill", 0.92, "float", "structural", "share", "Share of posts filled at the start",
       "assumption: Report §5.1 stations understaffed", bounds=(0.0, 1.0), group="workforce"),
    # ================================================================== mergers and migration
    _p("outmigration_rate", 0.01, "float", "uncertainty", "1/year",
       "Yearly chance a rural resident aged 35+ moves away (young residents three times as often)",
       "assumption; China's rural population fell by 2.8 % a year in 2010-2020 (NBS 2021), out-migration "
       "drives village mergers (Jia & Zhong 2022)", bounds=(0.0, 0.5), sa=(0.0, 0.02),
       sa_source="from none to an average loss near the census figure", group="mergers"),
    _p("merger_scale_gain", 0.1, "float", "uncertainty", "share per doubling",
       "Gain in cadres' service productivity per doubling of the units merged (specialisation, standardisation)",
       "assumption; mergers improved village governance and public services in China (Jia & Zhong 2022; "
       "Zhang et al. 2024; Mao et al. 2022)", bounds=(0.0, 1.0), sa=(0.0, 0.25),
       group="mergers"),
    _p("merger_belonging_loss", 0.1, "float", "uncertainty", "0-1", "Belonging residents lose when their community is merged",
       "assumption; amalgamation lowered efficacy and turnout (Lassen & Serritzlew 2011; Allers et al. 2021)",
       bounds=(0.0, 1.0), sa=(0.0, 0.25), group="mergers"),
    _p("merger_embed_loss", 0.2, "float", "uncertainty", "0-1", "Embeddedness a cadre loses when the community is merged",
       "assumption", bounds=(0.0, 1.0), sa=(0.1, 0.4), sa_source=HALF, group="mergers"),
    # ================================================================== mechanism switches
    _switch("mech_household_tasks", "Tasks scale with households (off: every community gets the tasks of a reference village)",
            "admin"),
    _switch("mech_assessment", "Inspections and 'leave a trace' documentation (off: none)", "admin"),
    _switch("mech_list_leakage", "Barred tasks re-enter through other channels (off: full compliance)", "admin"),
    _switch("mech_platforms", "Data entry for each information platform (off: none)", "admin"),
    _switch("mech_task_roles", "Role-specific task types (off: every role shares every task alike)", "admin"),
    _switch("mech_elections", "Committee elections with re-election by satisfaction and trust (off: no elections)",
            "workforce"),
    _switch("mech_parttime", "Part-time rural committee members with outside earnings (off: all full-time)", "workforce"),
    _switch("mech_burnout_productivity", "Burnout lowers service productivity (off: no effect)", "services"),
    _switch("mech_capital_retention", "Community social capital keeps cadres (off: no effect)", "workforce"),
    _switch("mech_thresholds", "Heterogeneous individual propensities to take part (off: none)", "participation"),
    _switch("mech_homophily", "Age homophily of rewired and cross-grid ties (off: ties ignore age)", "participation"),
    _switch("mech_activists", "Community backbones with a higher propensity (off: none)", "participation"),
    _switch("mech_migrants", "Residents without local registration take part less (off: as locals)", "participation"),
    _switch("mech_group_size", "Free riding: larger communities, lower propensity (off: no size effect)",
            "participation"),
    _switch("mech_elite_capture", "Outcomes favour high-stake and backbone participants (off: equal voice)",
            "participation"),
    _switch("mech_expectations", "Satisfaction relative to adapting expectations (off: service level only)",
            "attitudes"),
    _switch("mech_outmigration", "Rural residents move away over time (off: none)", "mergers"),
    _switch("mech_merger_scale", "Merged communities gain service productivity from scale (off: none)", "mergers"),
    _switch("mech_merger_ties", "Mergers weaken residents' belonging and cadres' embeddedness (off: no loss)",
            "mergers"),
]

REGISTRY: dict[str, Parameter] = {}
for _decl in _DECLARATIONS:
    if _decl.name in REGISTRY:
        raise RuntimeError(f"parameter {_decl.name!r} declared twice")
    if _decl.kind not in KINDS or _decl.type not in TYPES:
        raise RuntimeError(f"parameter {_decl.name!r} has kind {_decl.kind!r} / type {_decl.type!r}")
    _decl.validate(_decl.default)  # defaults must satisfy their own bounds
    if _decl.sa_bounds is not None and not _decl.sa_source:
        raise RuntimeError(f"parameter {_decl.name!r} has an SA range without a source")
    REGISTRY[_decl.name] = _decl
del _decl


def names(kind: str | None = None) -> list[str]:
    """Parameter names in declaration order, optionally of one kind."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {list(KINDS)}")
    return [p.name for p in REGISTRY.values() if kind is None or p.kind == kind]


def defaults() -> dict[str, Any]:
    """A fresh dict of every parameter's default."""
    return {p.name: p.default for p in REGISTRY.values()}


def _unknown(name: str, where: str = "") -> ParameterError:
    close = difflib.get_close_matches(name, REGISTRY, n=3)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    return ParameterError(name, None, f"{hint}see docs/ODD.md for the {len(REGISTRY)} declared parameters",
                          where=where, unknown=True)


def validate_value(name: str, value: Any, *, where: str = "") -> Any:
    """Validate one (name, value) pair; returns the coerced value."""
    if name not in REGISTRY:
        raise _unknown(name, where)
    try:
        return REGISTRY[name].validate(value)
    except ParameterError as err:
        raise ParameterError(err.name, err.value, err.allowed, where=where) from None


def resolve(overrides: Mapping[str, Any] | None = None, *, where: str = "") -> dict[str, Any]:
    """Defaults updated by validated ``overrides``: the complete parameter set of one run."""
    params = defaults()
    for name, value in (overrides or {}).items():
        params[name] = validate_value(name, value, where=where)
    return params


@dataclass(frozen=True, slots=True, order=True)
class Change:
    """A scheduled policy change: parameter ``name`` takes ``value`` from month ``month`` on."""

    month: int
    name: str
    value: Any


def normalise_schedule(schedule: Iterable[Any] | None, *, where: str = "") -> tuple[Change, ...]:
    """Validate a schedule given as Change objects, (month, name, value) tuples or dicts.

    Returns the changes sorted by month (stable for equal months).
    """
    out: list[Change] = []
    for i, item in enumerate(schedule or ()):
        at = f"{where}schedule[{i}]" if where else f"schedule[{i}]"
        if isinstance(item, Change):
            month, name, value = item.month, item.name, item.value
        elif isinstance(item, Mapping):
            missing = {"month", "name", "value"} - set(item)
            extra = set(item) - {"month", "name", "value"}
            if missing or extra:
                raise ParameterError(str(dict(item)), "(schedule entry)",
                                     "a schedule entry needs exactly the keys month, name, value", where=at)
            month, name, value = item["month"], item["name"], item["value"]
        elif isinstance(item, (tuple, list)) and len(item) == 3:
            month, name, value = item
        else:
            raise ParameterError(repr(item), "(schedule entry)", "expected (month, name, value)", where=at)
        if isinstance(month, bool) or not isinstance(month, int) or month < 0:
            raise ParameterError(str(name), month, "the month of a change must be a whole number ≥ 0", where=at)
        if name in REGISTRY and REGISTRY[name].kind in UNSCHEDULABLE:
            raise ParameterError(name, value, f"{REGISTRY[name].kind} parameters cannot be scheduled; "
                                 "set them as overrides", where=at)
        out.append(Change(int(month), name, validate_value(name, value, where=at)))
    out.sort(key=lambda c: c.month)
    return tuple(out)
