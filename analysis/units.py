"""Labels and units of the model's outputs, for axes and tables.

``analysis`` reads only the results store, which holds values but not units, so the units of
the known model outputs are kept here. ``tests/analysis/test_units.py`` checks that every
output declared in ``model/outputs.py`` has an entry. An output not listed (e.g. from an
analytic test function) falls back to its own name and no unit.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "KEY_OUTPUTS", "SATISFACTION_TARGET", "UNITS", "OutputLabel", "axis_label", "is_share", "label", "scale", "unit",
]


class OutputLabel(NamedTuple):
    label: str
    unit: str


UNITS: dict[str, OutputLabel] = {
    # participation
    "participation_rate": OutputLabel("Participation", "share"),
    "participation_youth": OutputLabel("Participation, < 35", "share"),
    "participation_middle": OutputLabel("Participation, 35-59", "share"),
    "participation_elderly": OutputLabel("Participation, ≥ 60", "share"),
    "elderly_share_of_participants": OutputLabel("Participants aged ≥ 60", "share"),
    "volunteer_rate": OutputLabel("Active volunteers", "share"),
    # attitudes
    "satisfaction_mean": OutputLabel("Mean satisfaction", "0-1"),
    "satisfied_share": OutputLabel("Residents satisfied", "share"),
    "trust_mean": OutputLabel("Trust in committee", "0-1"),
    "efficacy_mean": OutputLabel("Political efficacy", "0-1"),
    "belonging_mean": OutputLabel("Sense of belonging", "0-1"),
    # workforce
    "turnover_annual": OutputLabel("Cadre turnover", "share/year"),
    "quit_rate_annual": OutputLabel("Voluntary quits", "share/year"),
    "vacancy_rate": OutputLabel("Vacant posts", "share"),
    "mean_tenure": OutputLabel("Mean tenure", "months"),
    "dispatched_leader_share": OutputLabel("Dispatched leaders", "share"),
    "burnout_mean": OutputLabel("Cadre burnout", "0-1"),
    "n_cadres": OutputLabel("Cadres in post", "persons"),
    "n_posts": OutputLabel("Posts", "posts"),
    # administrative load
    "admin_tasks": OutputLabel("Administrative tasks", "tasks/month"),
    "admin_share": OutputLabel("Admin. share of cadre time", "share"),
    "grid_admin_share": OutputLabel("Admin. share of grid-worker time", "share"),
    "overtime_mean": OutputLabel("Overtime per cadre", "hours/month"),
    "contact_rate": OutputLabel("Residents visited by grid worker", "share"),
    # services
    "service_coverage": OutputLabel("Needs met", "share"),
    "coverage_elderly_care": OutputLabel("Elderly-care needs met", "share"),
    "coverage_childcare": OutputLabel("Childcare needs met", "share"),
    "coverage_health": OutputLabel("Health needs met", "share"),
    "coverage_culture": OutputLabel("Culture/sport needs met", "share"),
    "coverage_environment": OutputLabel("Environment needs met", "share"),
    "so_service_share": OutputLabel("Service hours by social orgs", "share"),
    "n_social_orgs": OutputLabel("Active social organisations", "organisations"),
    "facilities_standard_share": OutputLabel("Communities at floor-area standard", "share"),
    # budget
    "wage_bill": OutputLabel("Wage bill", "yuan/month"),
    "budgeted_wage_bill_annual": OutputLabel("Budgeted wage bill", "yuan/year"),
    "spending_total": OutputLabel("Total spending", "yuan/month"),
    "spending_per_resident": OutputLabel("Spending per resident", "yuan/resident/month"),
    "fragmentation_loss": OutputLabel("Lost to fragmentation", "yuan/month"),
    "purchase_spending": OutputLabel("Purchase of services", "yuan/month"),
    "donations": OutputLabel("Donations and self-raised funds", "yuan/month"),
    "budget_balance": OutputLabel("Accumulated balance", "yuan"),
    "participation_migrant": OutputLabel("Participation, no local registration", "share"),
    "participation_local": OutputLabel("Participation, locally registered", "share"),
    "activist_share_of_participants": OutputLabel("Backbones among participants", "share"),
    "election_turnout": OutputLabel("Election turnout", "share"),
    "turnout_youth": OutputLabel("Turnout, < 35", "share"),
    "turnout_middle": OutputLabel("Turnout, 35-59", "share"),
    "turnout_elderly": OutputLabel("Turnout, ≥ 60", "share"),
    "turnout_activist": OutputLabel("Turnout, backbones", "share"),
    "election_turnover_annual": OutputLabel("Turnover at elections", "share/year"),
    "cadre_age_mean": OutputLabel("Mean cadre age", "years"),
    "parttime_share": OutputLabel("Part-time cadres", "share"),
    "established_share": OutputLabel("Career-establishment posts", "share"),
    "tasks_reentered": OutputLabel("Barred tasks re-entering", "tasks/month"),
    "implemented_share": OutputLabel("Consultations implemented", "share"),
    "elite_win_share": OutputLabel("Outcomes favouring backbones", "share"),
    "staff_turnover_annual": OutputLabel("Staff turnover", "share/year"),
    "committee_posts": OutputLabel("Committee posts", "posts"),
    "admin_tasks_per_community": OutputLabel("Tasks per community", "tasks/month"),
    "committee_wage_bill_annual": OutputLabel("Committee wage bill", "yuan/year"),
    # structure
    "n_communities": OutputLabel("Communities", "communities"),
    "n_grids": OutputLabel("Grids", "grids"),
    "n_residents": OutputLabel("Residents", "residents"),
}

#: Outputs shown by default in comparison tables and figures (``key=True`` in model/outputs.py).
KEY_OUTPUTS: tuple[str, ...] = (
    "participation_rate",
    "participation_youth",
    "participation_elderly",
    "satisfied_share",
    "efficacy_mean",
    "turnover_annual",
    "vacancy_rate",
    "admin_share",
    "service_coverage",
    "wage_bill",
    "spending_per_resident",
)

#: The policy target for the share of satisfied residents (report §4: satisfaction ≥ 95 %).
SATISFACTION_TARGET = 0.95


def label(output: str) -> str:
    """Human-readable name of an output; the name itself when unknown."""
    entry = UNITS.get(output)
    return entry.label if entry else output


def unit(output: str) -> str:
    """Unit of an output; ``""`` when unknown."""
    entry = UNITS.get(output)
    return entry.unit if entry else ""


def scale(output: str) -> float:
    """Factor applied to values before plotting: 100 for shares (shown in %), else 1."""
    return 100.0 if is_share(output) else 1.0


def is_share(output: str) -> bool:
    """True when the output is a share (0-1) that reads better as a percentage."""
    return unit(output) in ("share", "share/year")


def axis_label(output: str, *, percent: bool | None = None, prefix: str = "", delta: bool = False) -> str:
    """Axis label ``"Label (unit)"``; shares are shown in % when ``percent`` (default: when a
    share), and differences of shares (``delta``) in percentage points."""
    u = unit(output)
    if percent is None:
        percent = is_share(output)
    if percent and u in ("share", "share/year"):
        base = "pp" if delta else "%"
        u = base if u == "share" else f"{base}/year"
    name = f"{prefix}{label(output)}"
    return f"{name} ({u})" if u else f"{name} (model units)"
