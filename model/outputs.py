"""Declared model outputs: name, unit, meaning and how a run's series is summarised.

Monthly outputs are one column each in the run's time series (``month`` 0..horizon, month 0
is the initial state). Summaries are derived from the series by the rule named in ``summary``:

``last``      value at the final month
``mean12``    mean over the final 12 months
``mean``      mean over months 1..horizon
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OUTPUTS", "Output", "SUMMARY_RULES", "output_names", "summary_names"]


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    unit: str
    meaning: str
    summary: str = "mean12"  # how the end-of-run summary is computed
    key: bool = False  # shown in comparison tables and figures by default


SUMMARY_RULES = ("last", "mean12", "mean")

_OUT = [
    # participation
    Output("participation_rate", "share", "Residents taking part in the latest consultation", key=True),
    Output("participation_youth", "share", "Participation of residents < 35", key=True),
    Output("participation_middle", "share", "Participation of residents 35-59"),
    Output("participation_elderly", "share", "Participation of residents ≥ 60", key=True),
    Output("elderly_share_of_participants", "share", "Share of participants aged ≥ 60"),
    Output("volunteer_rate", "share", "Residents registered as active volunteers"),
    # attitudes
    Output("satisfaction_mean", "0-1", "Mean resident satisfaction"),
    Output("satisfied_share", "share", "Residents satisfied (σ ≥ 0.7), against the 95 % target", key=True),
    Output("trust_mean", "0-1", "Mean trust in the community committee"),
    Output("efficacy_mean", "0-1", "Mean political efficacy", key=True),
    Output("belonging_mean", "0-1", "Mean sense of belonging"),
    # workforce
    Output("turnover_annual", "share/year", "Quits, layoffs and rotations over the last 12 months per filled post", key=True),
    Output("quit_rate_annual", "share/year", "Voluntary quits over the last 12 months per filled post"),
    Output("vacancy_rate", "share", "Posts vacant", key=True),
    Output("mean_tenure", "months", "Mean tenure of serving cadres"),
    Output("dispatched_leader_share", "share", "Secretary and director posts held by dispatched cadres"),
    Output("burnout_mean", "0-1", "Mean cadre burnout"),
    Output("n_cadres", "persons", "Cadres in post", summary="last"),
    Output("n_posts", "posts", "Posts (filled or vacant)", summary="last"),
    # administrative load
    Output("admin_tasks", "tasks/month", "Administrative tasks pushed down into communities"),
    Output("admin_share", "share", "Administrative share of cadre working time", key=True),
    Output("grid_admin_share", "share", "Administrative share of grid workers' time"),
    Output("overtime_mean", "hours/month", "Mean overtime per cadre"),
    Output("contact_rate", "share", "Residents visited by their grid worker this month"),
    # services
    Output("service_coverage", "share", "Resident needs met this month", key=True),
    Output("coverage_elderly_care", "share", "Elderly-care needs met"),
    Output("coverage_childcare", "share", "Childcare needs met"),
    Output("coverage_health", "share", "Health needs met"),
    Output("coverage_culture", "share", "Culture and sport needs met"),
    Output("coverage_environment", "share", "Environment needs met"),
    Output("so_service_share", "share", "Service hours delivered by social organisations"),
    Output("n_social_orgs", "organisations", "Active social organisations", summary="last"),
    Output("facilities_standard_share", "share", "Communities meeting the floor-area standard", summary="last"),
    # budget
    Output("wage_bill", "yuan/month", "Wage bill of filled posts incl. insurance and allowances", key=True),
    Output("budgeted_wage_bill_annual", "yuan/year", "Wage bill of all posts on the current scale, per year", summary="last"),
    Output("spending_total", "yuan/month", "All community spending (wages, activities, purchases)"),
    Output("spending_per_resident", "yuan/resident/month", "Spending per resident", key=True),
    Output("fragmentation_loss", "yuan/month", "Project funds lost to fragmentation"),
    Output("purchase_spending", "yuan/month", "Government purchase of services from social organisations"),
    Output("donations", "yuan/month", "Donations and self-raised funds"),
    Output("budget_balance", "yuan", "Accumulated balance of community accounts", summary="last"),
    # structure
    Output("n_communities", "communities", "Communities", summary="last"),
    Output("n_grids", "grids", "Grids (one grid worker each)", summary="last"),
    Output("n_residents", "residents", "Residents", summary="last"),
]

OUTPUTS: dict[str, Output] = {o.name: o for o in _OUT}
assert len(OUTPUTS) == len(_OUT), "duplicate output name"
assert all(o.summary in SUMMARY_RULES for o in _OUT)


def output_names(*, key_only: bool = False) -> list[str]:
    return [o.name for o in _OUT if o.key or not key_only]


def summary_names() -> list[str]:
    """Names of the end-of-run summary values: one per output."""
    return output_names()
