"""Fixed tables of the model: codes and the small per-category tables.

Each is declared here once, with its source; docs/ODD.md §9 lists them. They are categorical
structure, not sensitivity factors (the registry in ``model/parameters.py`` holds those).
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- residents
AGE_GROUPS = ("youth", "middle", "elderly")  # < 35, 35-59, >= 60
YOUTH, MIDDLE, ELDERLY = 0, 1, 2

SERVICE_TYPES = ("elderly_care", "childcare", "health", "culture", "environment")  # Report §5.10
N_SERVICES = len(SERVICE_TYPES)

# Probability that a resident of an age group has a need of each service type (assumption).
NEED_PROB = np.array(
    [
        # elderly_care childcare health culture environment
        [0.02, 0.30, 0.10, 0.40, 0.30],  # youth
        [0.10, 0.25, 0.20, 0.30, 0.30],  # middle (caring for parents and children)
        [0.50, 0.00, 0.50, 0.40, 0.30],  # elderly
    ]
)

# Material stake in community agendas, Beta(a, b) by age group (assumption; Report §5.9:
# participants are mostly older residents "driven by interest").
STAKE_BETA = ((1.0, 4.0), (2.0, 3.0), (3.0, 2.0))
HIGH_STAKE = 0.75  # a resident with stake ≥ this counts as high-stake in elite capture (assumption)

# Digital access by age group (assumption: internet use falls steeply with age in China).
DIGITAL_ACCESS = (0.95, 0.75, 0.30)

# Community backbones are drawn among residents aged 35+, twice as often among the elderly
# (retired cadres and Party members; assumption).
ACTIVIST_AGE_WEIGHT = (0.0, 1.0, 2.0)

# Out-migration: young residents leave this many times as often as others (assumption).
YOUTH_MIGRATION_FACTOR = 3.0

# Initial attitudes, Beta(a, b) (assumption). The burn-in (``burn_in``) lets them settle.
TRUST_BETA = (5.0, 5.0)
INITIAL_EXPECTATION = 0.5  # everyone starts expecting middling services; the burn-in adapts it
EFFICACY_CONCENTRATION = 10.0  # efficacy ~ Beta(c ε*, c (1 − ε*)) around the consultation fixed point ε*
SATISFACTION_BETA = (5.0, 5.0)
BELONGING_BETA = (5.0, 5.0)

# Belonging drifts toward this mix of trust, volunteering and taking part (assumption).
BELONGING_MIX = (0.5, 0.25, 0.25)

SATISFIED = 0.7  # satisfaction threshold for "satisfied" (the 95 % target of Report §4 counts these)

# How each provider spreads its service hours over the types (rows sum to 1).
# Cadres deliver mostly government tasks: culture and environment (Report §5.10 "narrow content").
CADRE_SERVICE_MIX = np.array([0.10, 0.05, 0.10, 0.40, 0.35])
# Purchased professional services: elderly care, childcare, health (Report §5.7, §5.10).
SO_SERVICE_MIX = np.array([0.40, 0.25, 0.25, 0.05, 0.05])
# Volunteers: culture, environment, visiting the elderly.
VOLUNTEER_SERVICE_MIX = np.array([0.25, 0.05, 0.05, 0.35, 0.30])

# ---------------------------------------------------------------- cadres
ROLES = ("secretary", "director", "deputy", "member", "staff", "grid_worker", "first_secretary")
SECRETARY, DIRECTOR, DEPUTY, MEMBER, STAFF, GRID_WORKER, FIRST_SECRETARY = range(7)
N_ROLES = len(ROLES)
COMMITTEE_ROLES = (SECRETARY, DIRECTOR, DEPUTY, MEMBER)
LEADER_ROLES = (SECRETARY, DIRECTOR)

ORIGINS = ("elected_local", "dispatched", "graduate", "recruited")
LOCAL, DISPATCHED, GRADUATE, RECRUITED = range(4)

# ---------------------------------------------------------------- administrative tasks
# Task types pushed down into communities and the share of tasks of each type (assumption,
# guided by the task inventories of urban communities: about a quarter are "other
# administrative affairs"; docs/SOURCES.md).
TASK_TYPES = ("data_collection", "certification", "meetings_inspections", "reporting", "other")
N_TASK_TYPES = len(TASK_TYPES)
DATA, CERTIFY, MEETINGS, REPORTING, OTHER = range(N_TASK_TYPES)
TASK_SHARE = np.array([0.30, 0.15, 0.15, 0.15, 0.25])
# Relative time a task of each type takes (mean over the mix = 1, so task_hours is the mean).
_RELATIVE = np.array([1.0, 0.5, 2.0, 1.0, 1.0])
TASK_TIME = _RELATIVE / float(TASK_SHARE @ _RELATIVE)

# Which roles carry each task type (relative weights within a community; assumption: grid
# workers collect data, committee members certify and attend meetings, staff file reports).
#                         sec  dir  dep  mem  staff grid first-sec
ROLE_TASK_WEIGHT = np.array([
    [0.2, 0.2, 0.5, 0.5, 1.0, 2.0, 0.1],  # data collection
    [0.5, 1.0, 1.0, 1.0, 1.0, 0.2, 0.1],  # certification
    [2.0, 2.0, 1.0, 0.5, 0.5, 0.5, 0.5],  # meetings and inspections
    [0.5, 0.5, 0.5, 0.5, 2.0, 1.0, 0.1],  # reporting
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.3],  # other administrative affairs
])
# With role-specific tasks switched off, every role shares every type alike (first
# secretaries, who focus on development, carry less).
ROLE_TASK_WEIGHT_UNIFORM = np.tile(np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.3]), (N_TASK_TYPES, 1))

# Households of the reference village (400 residents / 3.5 per household): with
# ``mech_household_tasks`` off every community gets the tasks of this village.
REFERENCE_HOUSEHOLDS = 400 / 3.5

# Share of non-administrative time spent on resident contact (grid visits) by role (assumption).
ROLE_CONTACT_SHARE = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.7, 0.2])

# Attributes of a new cadre by origin: (age range, skill range, embeddedness at hire).
# Locals are older, less educated and deeply embedded (Report §5.4); dispatched cadres and
# graduates bring skill but few local ties (§2, §3).
ORIGIN_AGE = np.array([(40.0, 58.0), (30.0, 50.0), (22.0, 28.0), (25.0, 45.0)])
ORIGIN_SKILL = np.array([(0.5, 0.8), (0.9, 1.1), (1.0, 1.3), (0.8, 1.0)])
ORIGIN_EMBED = np.array([0.7, 0.2, 0.1, 0.4])
EMBED_CEILING = 0.8  # embeddedness grows toward this (Mitchell et al. 2001: links accumulate)
EMBED_GROWTH = 1.0 / 60.0  # per month of tenure
SKILL_GROWTH = 0.002  # per month of tenure (learning on the job)
START_TENURE_MAX = 96.0  # initial tenures are spread over 0-96 months (assumption)
HIRE_BURNOUT = 0.1  # burnout of a new hire

# ---------------------------------------------------------------- organisations
ORG_KINDS = ("social_work_agency", "volunteer_association", "service_provider")
N_ORG_KINDS = len(ORG_KINDS)
ORG_STAFF = (2, 6)  # staff of a new organisation: uniform in [2, 6) (assumption)
ORG_SECOND_COMMUNITY = 0.5  # chance a new organisation also serves a second community of its street
PAID_DECAY = 0.5  # monthly decay of the recent-payment weight of an organisation's ties

# ---------------------------------------------------------------- budget
MAX_DELAY = 12  # months the approval pipeline can hold money
PROJECT_MONTHS = 4.0  # months of money one project grant carries (assumption)
DONATION_BELONGING = 0.5  # donations = drive × per resident × (this + mean belonging)
FACILITY_STANDARD_URBAN = 300.0  # m² (Report §3)
FACILITY_STANDARD_RURAL = 200.0  # m² (Report §1)
