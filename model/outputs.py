"""Declared model outputs: name, label, unit, meaning, how a run's series is summarised, which
direction is better and the smallest change that matters.

This is the one declaration of the outputs. The experiment engine writes it into every
experiment of the results store (table ``outputs``), and ``analysis`` reads labels, units,
directions and thresholds from there, never from this module.

Monthly outputs are one column each in the run's time series (``month`` 0..horizon, month 0
is the initial state). Summaries are derived from the series by the rule named in ``summary``:

``last``      value at the final month
``mean12``    mean over the final 12 months
``mean``      mean over months 1..horizon

``direction`` says which way is better for residents and workers: ``higher``, ``lower`` or
``none`` (descriptive outputs such as counts, or shares whose good value depends on the
question). Spending outputs carry ``cost=True``: they are what a reform costs, and lower is
cheaper. ``min_change`` is the smallest difference between scenarios worth reporting, in the
output's unit, or as a share of the baseline's value when ``relative`` is true; smaller
differences are called negligible whatever their p-value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["DIRECTIONS", "OUTPUTS", "Output", "SUMMARY_RULES", "output_metadata", "output_names", "summary_names"]

SUMMARY_RULES = ("last", "mean12", "mean")
DIRECTIONS = ("higher", "lower", "none")


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    label: str  # short name for axes and tables
    unit: str
    meaning: str
    direction: str  # higher | lower | none
    min_change: float  # smallest difference that matters (unit of the output, or relative to the baseline)
    relative: bool = False  # min_change is a share of the baseline value
    summary: str = "mean12"  # how the end-of-run summary is computed
    key: bool = False  # shown in comparison tables and figures by default
    cost: bool = False  # a spending output: what a reform costs
    target: float | None = None  # a policy target for the output, where the source report sets one


_O = Output
PP = 0.01  # one percentage point, for shares
_OUT = [
    # participation
    _O("participation_rate", "Participation", "share", "Residents taking part in the latest consultation",
       "higher", PP, key=True),
    _O("participation_youth", "Participation, < 35", "share", "Participation of residents < 35", "higher", PP, key=True),
    _O("participation_middle", "Participation, 35-59", "share", "Participation of residents 35-59", "higher", PP),
    _O("participation_elderly", "Participation, ≥ 60", "share", "Participation of residents ≥ 60", "higher", PP,
       key=True),
    _O("elderly_share_of_participants", "Participants aged ≥ 60", "share", "Share of participants aged ≥ 60",
       "none", 2 * PP),
    _O("participation_migrant", "Participation, no local registration", "share",
       "Participation of residents without local household registration", "higher", PP),
    _O("participation_local", "Participation, locally registered", "share",
       "Participation of residents with local household registration", "higher", PP),
    _O("activist_share_of_participants", "Backbones among participants", "share",
       "Share of participants who are community backbones", "none", 2 * PP),
    _O("election_turnout", "Election turnout", "share", "Residents who voted in the latest committee election",
       "higher", 2 * PP),
    _O("turnout_youth", "Turnout, < 35", "share", "Turnout of residents < 35 in the latest committee election",
       "higher", 2 * PP),
    _O("turnout_middle", "Turnout, 35-59", "share", "Turnout of residents 35-59 in the latest committee election",
       "higher", 2 * PP),
    _O("turnout_elderly", "Turnout, ≥ 60", "share", "Turnout of residents ≥ 60 in the latest committee election",
       "higher", 2 * PP),
    _O("turnout_activist", "Turnout, backbones", "share", "Turnout of community backbones in the latest election",
       "none", 2 * PP),
    _O("volunteer_rate", "Active volunteers", "share", "Residents registered as active volunteers", "higher", 0.5 * PP),
    # attitudes
    _O("satisfaction_mean", "Mean satisfaction", "0-1", "Mean resident satisfaction", "higher", 0.02),
    _O("satisfied_share", "Residents satisfied", "share", "Residents satisfied (σ ≥ 0.7), against the 95 % target",
       "higher", 2 * PP, key=True, target=0.95),
    _O("trust_mean", "Trust in committee", "0-1", "Mean trust in the community committee", "higher", 0.02),
    _O("efficacy_mean", "Political efficacy", "0-1", "Mean political efficacy", "higher", 0.02, key=True),
    _O("belonging_mean", "Sense of belonging", "0-1", "Mean sense of belonging", "higher", 0.02),
    # workforce
    _O("turnover_annual", "Cadre turnover", "share/year",
       "Quits, layoffs and rotations over the last 12 months per filled post", "lower", 2 * PP, key=True),
    _O("staff_turnover_annual", "Staff turnover", "share/year",
       "Separations of full-time staff and grid workers over the last 12 months per such post filled", "lower",
       2 * PP),
    _O("quit_rate_annual", "Voluntary quits", "share/year", "Voluntary quits over the last 12 months per filled post",
       "lower", 2 * PP),
    _O("vacancy_rate", "Vacant posts", "share", "Posts vacant", "lower", 2 * PP, key=True),
    _O("election_turnover_annual", "Turnover at elections", "share/year",
       "Committee members voted out over the last 12 months per filled post", "none", 2 * PP),
    _O("mean_tenure", "Mean tenure", "months", "Mean tenure of serving cadres", "none", 3.0),
    _O("cadre_age_mean", "Mean cadre age", "years", "Mean age of serving cadres", "none", 1.0),
    _O("parttime_share", "Part-time cadres", "share", "Serving cadres in part-time posts", "none", 2 * PP),
    _O("established_share", "Career-establishment posts", "share", "Serving cadres in career-establishment posts",
       "none", 2 * PP),
    _O("dispatched_leader_share", "Dispatched leaders", "share", "Secretary and director posts held by dispatched cadres",
       "none", 5 * PP),
    _O("burnout_mean", "Cadre burnout", "0-1", "Mean cadre burnout", "lower", 0.02),
    _O("n_cadres", "Cadres in post", "persons", "Cadres in post", "none", 0.05, relative=True, summary="last"),
    _O("n_posts", "Posts", "posts", "Posts (filled or vacant)", "none", 0.05, relative=True, summary="last"),
    _O("committee_posts", "Committee posts", "posts", "Committee posts (secretary, director, deputies, members)",
       "none", 0.05, relative=True, summary="last"),
    # administrative load
    _O("admin_tasks", "Administrative tasks", "tasks/month", "Administrative tasks pushed down into communities",
       "lower", 0.05, relative=True),
    _O("admin_tasks_per_community", "Tasks per community", "tasks/month",
       "Administrative tasks reaching a community (mean over communities)", "lower", 0.05, relative=True),
    _O("tasks_reentered", "Barred tasks re-entering", "tasks/month",
       "Tasks a task access list barred that re-entered through other channels", "lower", 0.05, relative=True),
    _O("admin_share", "Admin. share of cadre time", "share", "Administrative share of cadre working time", "lower",
       2 * PP, key=True),
    _O("grid_admin_share", "Admin. share of grid-worker time", "share", "Administrative share of grid workers' time",
       "lower", 2 * PP),
    _O("overtime_mean", "Overtime per cadre", "hours/month", "Mean overtime per cadre", "lower", 2.0),
    _O("contact_rate", "Residents visited by grid worker", "share", "Residents visited by their grid worker this month",
       "higher", PP),
    _O("implemented_share", "Consultations implemented", "share",
       "Communities whose latest consultation outcome was implemented", "higher", 5 * PP),
    _O("elite_win_share", "Outcomes favouring backbones", "share",
       "Implemented outcomes that were the option favoured by backbones and high-stake residents", "none", 5 * PP),
    # services
    _O("service_coverage", "Needs met", "share", "Resident needs met this month", "higher", 2 * PP, key=True),
    _O("coverage_elderly_care", "Elderly-care needs met", "share", "Elderly-care needs met", "higher", 2 * PP),
    _O("coverage_childcare", "Childcare needs met", "share", "Childcare needs met", "higher", 2 * PP),
    _O("coverage_health", "Health needs met", "share", "Health needs met", "higher", 2 * PP),
    _O("coverage_culture", "Culture/sport needs met", "share", "Culture and sport needs met", "higher", 2 * PP),
    _O("coverage_environment", "Environment needs met", "share", "Environment needs met", "higher", 2 * PP),
    _O("so_service_share", "Service hours by social orgs", "share", "Service hours delivered by social organisations",
       "none", 2 * PP),
    _O("n_social_orgs", "Active social organisations", "organisations", "Active social organisations", "none", 0.1,
       relative=True, summary="last"),
    _O("facilities_standard_share", "Communities at floor-area standard", "share",
       "Communities meeting the floor-area standard", "higher", 5 * PP, summary="last"),
    # budget
    _O("wage_bill", "Wage bill", "yuan/month", "Wage bill of filled posts incl. insurance and allowances", "lower",
       0.02, relative=True, key=True, cost=True),
    _O("budgeted_wage_bill_annual", "Budgeted wage bill", "yuan/year",
       "Wage bill of all posts on the current scale, per year", "lower", 0.02, relative=True, summary="last", cost=True),
    _O("committee_wage_bill_annual", "Committee wage bill", "yuan/year",
       "Wage bill of all committee posts on the current scale, per year", "lower", 0.02, relative=True,
       summary="last", cost=True),
    _O("spending_total", "Total spending", "yuan/month", "All community spending (wages, activities, purchases)",
       "lower", 0.02, relative=True, cost=True),
    _O("spending_per_resident", "Spending per resident", "yuan/resident/month", "Spending per resident", "lower", 0.02,
       relative=True, key=True, cost=True),
    _O("fragmentation_loss", "Lost to fragmentation", "yuan/month", "Project funds lost to fragmentation", "lower",
       0.05, relative=True),
    _O("purchase_spending", "Purchase of services", "yuan/month",
       "Government purchase of services from social organisations", "none", 0.05, relative=True),
    _O("donations", "Donations and self-raised funds", "yuan/month", "Donations and self-raised funds", "higher", 0.05,
       relative=True),
    _O("budget_balance", "Accumulated balance", "yuan", "Accumulated balance of community accounts", "none", 0.05,
       relative=True, summary="last"),
    # structure
    _O("n_communities", "Communities", "communities", "Communities", "none", 0.05, relative=True, summary="last"),
    _O("n_grids", "Grids", "grids", "Grids (one grid worker each)", "none", 0.05, relative=True, summary="last"),
    _O("n_residents", "Residents", "residents", "Residents", "none", 0.05, relative=True, summary="last"),
]

OUTPUTS: dict[str, Output] = {o.name: o for o in _OUT}
for _o in _OUT:
    if _o.summary not in SUMMARY_RULES or _o.direction not in DIRECTIONS or not _o.min_change > 0:
        raise RuntimeError(f"output {_o.name!r}: summary {_o.summary!r}, direction {_o.direction!r}, "
                           f"min_change {_o.min_change!r} are not allowed")
if len(OUTPUTS) != len(_OUT):
    raise RuntimeError("an output name is declared twice")
del _o


def output_names(*, key_only: bool = False) -> list[str]:
    return [o.name for o in _OUT if o.key or not key_only]


def summary_names() -> list[str]:
    """Names of the end-of-run summary values: one per output."""
    return output_names()


def output_metadata() -> list[dict[str, object]]:
    """The declaration of every output as plain rows (what the engine writes to the store)."""
    return [asdict(o) for o in _OUT]
