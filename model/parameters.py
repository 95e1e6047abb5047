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

KINDS = ("uncertainty", "policy", "structural")
TYPES = ("float", "int", "bool", "choice")


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
    kind: str  # uncertainty | policy | structural
    unit: str
    meaning: str
    source: str
    bounds: tuple[float, float] | None = None  # inclusive validity range (float, int)
    choices: tuple[str, ...] | None = None  # for type "choice"
    sa_bounds: tuple[float, float] | None = None  # plausible range for sensitivity analysis
    group: str = ""  # submodel the parameter belongs to (used for SA factor groups)

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


def _p(name, default, type_, kind, unit, meaning, source, *, bounds=None, choices=None, sa=None, group=""):
    return Parameter(
        name=name,
        default=default,
        type=type_,
        kind=kind,
        unit=unit,
        meaning=meaning,
        source=source,
        bounds=bounds,
        choices=tuple(choices) if choices else None,
        sa_bounds=sa,
        group=group,
    )


D = "DIGEST"  # shorthand in sources: section of ../shared/seed/DIGEST.md (the source report)

_DECLARATIONS: list[Parameter] = [
    # ------------------------------------------------------------------ structure
    _p("n_streets", 1, "int", "structural", "street offices", "Street offices (街道/乡镇) in the simulated area",
       "assumption: one street by default; 30 for a city", bounds=(1, 500), group="structure"),
    _p("communities_per_street", 5, "int", "structural", "communities", "Communities (社区/村) under each street office",
       "MODEL.md: a street holds 5-15 communities", bounds=(1, 100), group="structure"),
    _p("residents_per_community", 400, "int", "structural", "residents", "Mean residents per community (before any merger)",
       "assumption: scaled-down street of 2,000 residents; DIGEST §1 gives ≈1,040 per rural community", bounds=(20, 50_000),
       group="structure"),
    _p("community_size_cv", 0.3, "float", "structural", "ratio", "Coefficient of variation of community population",
       "assumption", bounds=(0.0, 1.0), group="structure"),
    _p("urban_share", 0.0, "float", "structural", "share", "Share of communities that are urban (rest rural villages)",
       "assumption: the county reform case (DIGEST §2) is rural", bounds=(0.0, 1.0), group="structure"),
    _p("household_size_rural", 3.5, "float", "structural", "persons", "Mean household size, rural",
       f"{D} §1: 612,000 people in 175,000 households", bounds=(1.0, 8.0), group="structure"),
    _p("household_size_urban", 2.8, "float", "structural", "persons", "Mean household size, urban",
       "assumption (national urban average ≈2.8)", bounds=(1.0, 8.0), group="structure"),
    _p("youth_share", 0.30, "float", "structural", "share", "Share of adult residents aged < 35",
       "assumption", bounds=(0.0, 0.9), group="structure"),
    _p("elderly_share", 0.28, "float", "structural", "share", "Share of adult residents aged ≥ 60",
       "assumption (ageing rural population)", bounds=(0.0, 0.9), group="structure"),
    _p("social_degree", 6, "int", "structural", "ties", "Mean neighbour ties per resident inside a grid (small world)",
       "assumption", bounds=(2, 40), group="structure"),
    _p("tie_rewire", 0.1, "float", "structural", "probability", "Small-world rewiring probability of neighbour ties",
       "assumption (Watts-Strogatz)", bounds=(0.0, 1.0), group="structure"),
    _p("cross_grid_ties", 0.5, "float", "structural", "ties per resident", "Mean extra ties to residents of other grids in the community",
       "assumption", bounds=(0.0, 10.0), group="structure"),
    _p("cross_community_ties", 0.05, "float", "structural", "ties per resident", "Mean extra ties to residents of other communities",
       "assumption", bounds=(0.0, 5.0), group="structure"),
    _p("committee_posts", 6.45, "float", "structural", "posts per community",
       "Committee posts (secretary, director, deputies, members) per community",
       f"calibrated to pattern 1: 592 cadres / 93 villages and 182 / 28 communities ({D} §2)", bounds=(3.0, 15.0),
       group="structure"),
    _p("staff_per_community", 2, "int", "structural", "posts", "Full-time staff posts per community (service station)",
       f"{D} §2: 180 full-time staff for 215 communities, urban more", bounds=(0, 30), group="structure"),
    _p("so_per_community", 0.4, "float", "structural", "organisations", "Social organisations active per community at start",
       f"assumption: {D} §5.2, 'few social workers'", bounds=(0.0, 5.0), group="structure"),
    _p("facility_area_mean_rural", 230.0, "float", "structural", "m²", "Mean office/service floor area, rural",
       f"{D} §1: 35 % < 200 m², 25 % 200-300, 21 % > 300", bounds=(0.0, 2000.0), group="structure"),
    _p("facility_area_mean_urban", 560.0, "float", "structural", "m²", "Mean office/service floor area, urban",
       f"{D} §3: 81 % ≥ 300 m², 39 % 500-1,000", bounds=(0.0, 5000.0), group="structure"),
    _p("service_radius_rural", 2.2, "float", "structural", "km", "Mean service radius of a rural community",
       f"{D} §1: 80 % within 3 km", bounds=(0.1, 30.0), group="structure"),
    _p("service_radius_urban", 0.8, "float", "structural", "km", "Mean service radius of an urban community",
       "assumption", bounds=(0.1, 30.0), group="structure"),
    _p("cadre_hours", 176.0, "float", "structural", "hours/month", "Contracted monthly working hours of a cadre",
       "MODEL.md: H ≈ 176 (22 days × 8 h)", bounds=(80.0, 300.0), group="time"),
    _p("retirement_age", 60, "int", "structural", "years", "Age at which cadres retire",
       "assumption: statutory retirement age", bounds=(45, 75), group="workforce"),
    _p("dispatch_term", 36, "int", "structural", "months", "Term of a dispatched cadre or first secretary before rotation",
       "assumption: 2-3 year dispatch terms", bounds=(6, 120), group="workforce"),
    # ------------------------------------------------------------------ funding levers
    _p("pay_secretary", 500.0, "float", "policy", "yuan/month", "Monthly pay of the party secretary",
       f"{D} §2: 500 before the reform", bounds=(0.0, 20_000.0), sa=(500.0, 3000.0), group="pay"),
    _p("pay_director", 500.0, "float", "policy", "yuan/month", "Monthly pay of the committee director",
       f"{D} §2: director subsidy 500 → 2,500", bounds=(0.0, 20_000.0), sa=(500.0, 3000.0), group="pay"),
    _p("pay_deputy", 400.0, "float", "policy", "yuan/month", "Monthly pay of a deputy director",
       f"assumption pre-reform; {D} §2: 2,100 after", bounds=(0.0, 20_000.0), sa=(400.0, 2500.0), group="pay"),
    _p("pay_member", 300.0, "float", "policy", "yuan/month", "Monthly pay of a committee member",
       f"assumption pre-reform; {D} §2: 1,400 after", bounds=(0.0, 20_000.0), sa=(300.0, 2000.0), group="pay"),
    _p("pay_staff", 1500.0, "float", "policy", "yuan/month", "Monthly pay of a full-time staff member",
       f"assumption pre-reform; {D} §3: 2,500-3,300 after", bounds=(0.0, 20_000.0), sa=(1500.0, 3300.0), group="pay"),
    _p("pay_grid_worker", 1500.0, "float", "policy", "yuan/month", "Monthly pay of a grid worker",
       "assumption", bounds=(0.0, 20_000.0), sa=(1500.0, 3300.0), group="pay"),
    _p("pay_topup", 718.0, "float", "policy", "yuan/month", "Collective and performance allowances per committee cadre",
       f"calibrated to pattern 1: 8.0 M yuan/yr for 592 cadres before the reform ({D} §2)", bounds=(0.0, 10_000.0),
       group="pay"),
    _p("social_insurance", False, "bool", "policy", "", "Employer pays 'five insurances and one fund' for all posts",
       f"{D} §2-3: full-time staff get five insurances after the reform", group="pay"),
    _p("insurance_rate", 0.054, "float", "structural", "share of pay", "Employer social-insurance contribution when insured",
       f"calibrated to pattern 1: 4.48 M yuan/yr for 182 cadres on the new scale ({D} §2)", bounds=(0.0, 0.6),
       group="pay"),
    _p("budget_regime", "project", "choice", "policy", "", "How the community's running money arrives",
       f"{D} §5.7: project-based and scattered before; stable line and reward in lieu of subsidy proposed",
       choices=("project", "stable", "reward"), group="budget"),
    _p("activity_budget", 6.0, "float", "policy", "yuan/resident/month", "Activity and service funds planned per resident",
       "assumption: ≈ 133 M yuan over 612,000 rural residents and several years (DIGEST §1)", bounds=(0.0, 200.0),
       sa=(2.0, 20.0), group="budget"),
    _p("fragmentation_loss", 0.25, "float", "uncertainty", "share", "Share of project funds lost to scattered, departmental management",
       f"assumption: {D} §5.7 'low efficiency and waste'", bounds=(0.0, 0.9), sa=(0.05, 0.5), group="budget"),
    _p("pooled_funds", False, "bool", "policy", "", "Departmental project funds pooled into one channel",
       f"{D} §2: 50 M+ yuan/yr pooled", group="budget"),
    _p("approval_delay", 3, "int", "policy", "months", "Months street-office approval holds activity funds back",
       f"assumption: {D} §5.5 activity funds need street-office approval", bounds=(0, 12), group="budget"),
    _p("reward_threshold", 0.6, "float", "policy", "share", "Service coverage a community must reach to earn its reward",
       f"assumption: {D} §3 'accept first, subsidise after'", bounds=(0.0, 1.0), group="budget"),
    _p("purchase_share", 0.05, "float", "policy", "share", "Share of activity funds spent buying services from social organisations",
       f"assumption: {D} §5.7 services (elderly care, childcare) not purchased", bounds=(0.0, 0.9), sa=(0.0, 0.5),
       group="budget"),
    _p("donation_drive", 0.1, "float", "policy", "0-1", "Effort to raise donations and self-raised funds (diversified funding)",
       f"{D} §5.7 'transfusion, not blood-making'; §1: 36 M of 133 M non-government", bounds=(0.0, 1.0), group="budget"),
    _p("donation_per_resident", 1.5, "float", "uncertainty", "yuan/resident/month", "Donations and self-raised funds at full drive",
       f"assumption scaled from {D} §1 (27 % non-government investment)", bounds=(0.0, 50.0), sa=(0.5, 5.0),
       group="budget"),
    # ------------------------------------------------------------------ decentralisation levers
    _p("task_access_list", 0.0, "float", "policy", "share", "Share of departmental tasks the access list keeps out of communities",
       f"{D} §5.6 no rules on which tasks may enter communities", bounds=(0.0, 1.0), sa=(0.0, 0.8), group="admin"),
    _p("decision_authority", 0.2, "float", "policy", "probability", "Probability a consultation outcome is implemented (else token)",
       f"{D} §5.5/§5.9: residents 'only listen', communities only execute", bounds=(0.0, 1.0), sa=(0.1, 0.9),
       group="attitudes"),
    _p("fund_authority", 0.0, "float", "policy", "0-1", "Community authority over its money (cuts approval delay and losses)",
       f"{D} §5.5 personnel and money controlled above", bounds=(0.0, 1.0), group="budget"),
    _p("personnel_authority", 0.0, "float", "policy", "0-1", "Community authority over hiring (local fit, faster filling)",
       f"{D} §5.5", bounds=(0.0, 1.0), group="workforce"),
    _p("dispatch_share", 0.874, "float", "policy", "share", "Share of leader vacancies filled by cadres dispatched by the street office",
       f"{D} §3: 271 of 309 secretaries/directors (87.4 %) sent down", bounds=(0.0, 1.0), sa=(0.1, 0.9),
       group="workforce"),
    _p("first_secretary", False, "bool", "policy", "", "A first secretary is dispatched to each rural community",
       f"{D} §2: 56 section-level cadres; 300+ technical staff as first secretaries", group="workforce"),
    _p("graduate_recruitment", 0.0, "float", "policy", "share", "Share of staff vacancies offered to recruited graduates",
       f"{D} §3: 453 graduates recruited in 4 years", bounds=(0.0, 1.0), group="workforce"),
    # ------------------------------------------------------------------ structure levers
    _p("merge_rate", 0.0, "float", "policy", "share", "Share of communities absorbed by mergers (applied when changed)",
       f"{D} §2: 93 villages → 28 communities, 70 %", bounds=(0.0, 0.9), group="structure"),
    _p("grid_households", 600, "int", "policy", "households", "Households per grid (one grid worker each)",
       f"{D} §3: 500-800 households per grid", bounds=(50, 3000), group="structure"),
    _p("informatisation", 0.1, "float", "policy", "0-1", "Level of informatisation of administrative work",
       f"{D} §5.8 lagging", bounds=(0.0, 1.0), sa=(0.0, 0.9), group="admin"),
    _p("n_platforms", 4, "int", "policy", "platforms", "Separate information systems a community must report to",
       f"{D} §5.8 incompatible systems, silos", bounds=(1, 12), group="admin"),
    _p("digital_channels", 0.1, "float", "policy", "0-1", "Reach of digital participation channels (direct line, apps)",
       f"{D} §2: six direct channels", bounds=(0.0, 1.0), group="participation"),
    _p("four_social_linkage", 0.0, "float", "policy", "0-1", "Intensity of four-social linkage (community, SOs, social workers, volunteers)",
       f"{D} §2", bounds=(0.0, 1.0), sa=(0.0, 1.0), group="participation"),
    _p("consultation_interval", 3, "int", "policy", "months", "Months between resident consultations",
       f"assumption: {D} §5.9 meetings called when officials need them", bounds=(1, 12), group="participation"),
    _p("disclosure", False, "bool", "policy", "", "Outcomes are disclosed to all residents (四议两公开)",
       f"{D} §2 democratic consultation", group="participation"),
    # ------------------------------------------------------------------ administrative load
    _p("admin_task_rate", 120.0, "float", "uncertainty", "tasks/community/month", "Administrative tasks departments push down per community",
       f"calibrated to pattern 7 ({D} §5.5-5.6 over-administration)", bounds=(0.0, 1000.0), sa=(40.0, 200.0),
       group="admin"),
    _p("task_hours", 6.0, "float", "uncertainty", "hours/task", "Cadre hours one administrative task takes",
       "assumption", bounds=(0.1, 40.0), sa=(3.0, 10.0), group="admin"),
    _p("silo_overhead", 0.15, "float", "uncertainty", "share/platform", "Extra time per additional platform (duplicate reporting)",
       f"assumption: {D} §5.8", bounds=(0.0, 1.0), sa=(0.0, 0.4), group="admin"),
    _p("info_saving", 0.4, "float", "uncertainty", "share", "Share of task time saved by full informatisation",
       "assumption", bounds=(0.0, 0.9), sa=(0.1, 0.7), group="admin"),
    _p("min_service_hours", 24.0, "float", "uncertainty", "hours/month", "Service hours a cadre keeps up even when overloaded (overtime)",
       "assumption", bounds=(0.0, 176.0), group="time"),
    # ------------------------------------------------------------------ services
    _p("need_hours", 1.2, "float", "uncertainty", "hours/need/month", "Service hours one resident need requires per month",
       "assumption", bounds=(0.01, 20.0), sa=(0.5, 2.5), group="services"),
    _p("so_hours_per_yuan", 0.02, "float", "uncertainty", "hours/yuan", "Service hours a social organisation delivers per yuan",
       "assumption: ≈ 50 yuan per professional service hour", bounds=(0.0, 1.0), sa=(0.01, 0.04), group="services"),
    _p("activity_hours_per_yuan", 0.01, "float", "uncertainty", "hours/yuan", "Service hours activity funds add per yuan (materials, venues)",
       "assumption", bounds=(0.0, 1.0), group="services"),
    _p("volunteer_hours", 6.0, "float", "uncertainty", "hours/volunteer/month", "Service hours a volunteer gives per month",
       "assumption", bounds=(0.0, 100.0), group="services"),
    _p("radius_decay", 4.0, "float", "uncertainty", "km", "Distance scale of access decay exp(−radius/decay)",
       f"assumption: {D} §1 80 % within 3 km", bounds=(0.1, 100.0), sa=(2.0, 8.0), group="services"),
    # ------------------------------------------------------------------ attitudes
    _p("kappa_satisfaction", 0.15, "float", "uncertainty", "1/month", "Rate at which satisfaction follows service received",
       "assumption", bounds=(0.0, 1.0), group="attitudes"),
    _p("kappa_trust", 0.05, "float", "uncertainty", "1/month", "Rate at which trust follows satisfaction",
       "assumption", bounds=(0.0, 1.0), group="attitudes"),
    _p("kappa_efficacy", 0.15, "float", "uncertainty", "per consultation", "Efficacy change after a consultation",
       "assumption (responsive-institution feedback)", bounds=(0.0, 1.0), sa=(0.05, 0.3), group="attitudes"),
    _p("contact_trust", 0.01, "float", "uncertainty", "per visit", "Trust gained from a grid worker's visit",
       "assumption", bounds=(0.0, 0.5), group="attitudes"),
    _p("facility_weight", 0.15, "float", "uncertainty", "share", "Weight of hardware (facilities) in resident satisfaction",
       f"calibrated to pattern 5 ({D} §3-4)", bounds=(0.0, 1.0), group="attitudes"),
    # ------------------------------------------------------------------ participation
    _p("beta0", -3.2, "float", "uncertainty", "logit", "Participation intercept",
       f"calibrated to pattern 3 ({D} §5.9)", bounds=(-10.0, 5.0), sa=(-4.0, -2.0), group="participation"),
    _p("beta_efficacy", 2.0, "float", "uncertainty", "logit", "Effect of political efficacy on participation",
       "assumption (Verba, Schlozman & Brady 1995)", bounds=(0.0, 10.0), sa=(1.0, 3.0), group="participation"),
    _p("beta_trust", 1.0, "float", "uncertainty", "logit", "Effect of trust in the committee on participation",
       "assumption", bounds=(0.0, 10.0), group="participation"),
    _p("beta_stake", 2.0, "float", "uncertainty", "logit", "Effect of material stake in the agenda on participation",
       f"{D} §5.9: participants driven by interest", bounds=(0.0, 10.0), group="participation"),
    _p("beta_network", 1.5, "float", "uncertainty", "logit", "Effect of the share of neighbours who took part last time",
       "assumption (Granovetter 1978)", bounds=(0.0, 10.0), sa=(0.0, 3.0), group="participation"),
    _p("beta_contact", 0.6, "float", "uncertainty", "logit", "Effect of a grid worker's visit this month",
       "assumption", bounds=(0.0, 5.0), group="participation"),
    _p("cost_youth", 3.5, "float", "uncertainty", "logit", "Opportunity cost of taking part, residents < 35",
       f"calibrated to pattern 3 ({D} §5.9: almost no young people take part)", bounds=(0.0, 10.0), sa=(2.0, 4.0),
       group="participation"),
    _p("cost_middle", 1.5, "float", "uncertainty", "logit", "Opportunity cost of taking part, residents 35-59",
       "assumption", bounds=(0.0, 10.0), group="participation"),
    _p("cost_elderly", 0.0, "float", "uncertainty", "logit", "Opportunity cost of taking part, residents ≥ 60",
       f"calibrated to pattern 3 ({D} §5.9: participants mostly older)", bounds=(0.0, 10.0), group="participation"),
    _p("digital_cost_cut", 0.6, "float", "uncertainty", "share", "Share of participation cost a digital channel removes",
       "assumption", bounds=(0.0, 1.0), group="participation"),
    _p("volunteer_conversion", 0.03, "float", "uncertainty", "probability", "Chance a participant becomes a volunteer",
       "assumption", bounds=(0.0, 1.0), sa=(0.01, 0.08), group="participation"),
    _p("volunteer_dropout", 0.03, "float", "uncertainty", "1/month", "Monthly chance a volunteer stops",
       "assumption", bounds=(0.0, 1.0), group="participation"),
    # ------------------------------------------------------------------ workforce
    _p("outside_wage_rural", 2500.0, "float", "uncertainty", "yuan/month", "Outside option wage for rural cadres",
       "assumption: county migrant-work wage", bounds=(100.0, 50_000.0), sa=(1800.0, 3500.0), group="workforce"),
    _p("outside_wage_urban", 4500.0, "float", "uncertainty", "yuan/month", "Outside option wage for urban cadres",
       "assumption", bounds=(100.0, 50_000.0), group="workforce"),
    _p("gamma0", -4.6, "float", "uncertainty", "logit", "Monthly quit hazard intercept",
       f"calibrated to pattern 4 ({D} §5.3)", bounds=(-12.0, 0.0), sa=(-5.5, -3.5), group="workforce"),
    _p("gamma_wage", 1.2, "float", "uncertainty", "logit", "Effect of log(outside wage / pay) on quitting",
       "March & Simon 1958; calibrated to pattern 4", bounds=(0.0, 10.0), sa=(0.5, 2.0), group="workforce"),
    _p("gamma_burnout", 2.0, "float", "uncertainty", "logit", "Effect of burnout on quitting",
       "Bakker & Demerouti 2007", bounds=(0.0, 10.0), sa=(1.0, 3.0), group="workforce"),
    _p("gamma_embed", 1.5, "float", "uncertainty", "logit", "Effect of embeddedness on staying",
       "Mitchell et al. 2001", bounds=(0.0, 10.0), group="workforce"),
    _p("gamma_promotion", 0.5, "float", "uncertainty", "logit", "Effect of a career path (insured, promotable post) on staying",
       f"{D} §5.3 no career path", bounds=(0.0, 10.0), group="workforce"),
    _p("burnout_rate", 0.1, "float", "uncertainty", "1/month", "Rate at which burnout follows job demands",
       "Bakker & Demerouti 2007", bounds=(0.0, 1.0), group="workforce"),
    _p("overtime_scale", 40.0, "float", "uncertainty", "hours/month", "Overtime at which demands reach half of full burnout",
       "assumption", bounds=(1.0, 200.0), sa=(20.0, 80.0), group="workforce"),
    _p("recruit_base", 0.5, "float", "uncertainty", "logit", "Monthly chance (logit) a vacancy is filled at parity pay",
       f"assumption: {D} §5.3 'won't come'", bounds=(-10.0, 10.0), group="workforce"),
    _p("recruit_wage", 2.0, "float", "uncertainty", "logit", "Effect of log(pay / outside wage) on filling a vacancy",
       "assumption", bounds=(0.0, 10.0), sa=(1.0, 3.0), group="workforce"),
    _p("layoff_threshold", 3.0, "float", "uncertainty", "months of wage bill", "Deficit (in months of wage bill) that triggers layoffs",
       f"assumption: {D} §5.3 'cut away'", bounds=(0.0, 24.0), group="workforce"),
]

REGISTRY: dict[str, Parameter] = {}
for _decl in _DECLARATIONS:
    if _decl.name in REGISTRY:
        raise RuntimeError(f"parameter {_decl.name!r} declared twice")
    if _decl.kind not in KINDS or _decl.type not in TYPES:
        raise RuntimeError(f"parameter {_decl.name!r} has kind {_decl.kind!r} / type {_decl.type!r}")
    _decl.validate(_decl.default)  # defaults must satisfy their own bounds
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
        if name in REGISTRY and REGISTRY[name].kind == "structural":
            raise ParameterError(name, value, "structural parameters cannot be scheduled; set them as overrides",
                                 where=at)
        out.append(Change(int(month), name, validate_value(name, value, where=at)))
    out.sort(key=lambda c: c.month)
    return tuple(out)
