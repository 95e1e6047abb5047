"""Fixed tables of the model: role and origin codes and the small per-category tables.

These are declared here once, each with its source; the ODD document lists them. They are
not sensitivity factors (the registry holds those) but categorical structure.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- residents
AGE_GROUPS = ("youth", "middle", "elderly")  # < 35, 35-59, >= 60
YOUTH, MIDDLE, ELDERLY = 0, 1, 2

SERVICE_TYPES = ("elderly_care", "childcare", "health", "culture", "environment")  # DIGEST §5.10
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

# Material stake in community agendas, Beta(a, b) by age group (assumption; DIGEST §5.9:
# participants are mostly older residents "driven by interest").
STAKE_BETA = ((1.0, 4.0), (2.0, 3.0), (3.0, 2.0))

# Digital access by age group (assumption: national internet-use surveys by age).
DIGITAL_ACCESS = (0.95, 0.75, 0.30)

# How each provider spreads its service hours over the types (rows sum to 1).
# Cadres deliver mostly government tasks: culture and environment (DIGEST §5.10 "narrow content").
CADRE_SERVICE_MIX = np.array([0.10, 0.05, 0.10, 0.40, 0.35])
# Purchased professional services: elderly care, childcare, health (DIGEST §5.7, §5.10).
SO_SERVICE_MIX = np.array([0.40, 0.25, 0.25, 0.05, 0.05])
# Volunteers: culture, environment, visiting the elderly.
VOLUNTEER_SERVICE_MIX = np.array([0.25, 0.05, 0.05, 0.35, 0.30])

# ---------------------------------------------------------------- cadres
ROLES = ("secretary", "director", "deputy", "member", "staff", "grid_worker", "first_secretary")
SECRETARY, DIRECTOR, DEPUTY, MEMBER, STAFF, GRID_WORKER, FIRST_SECRETARY = range(7)
COMMITTEE_ROLES = (SECRETARY, DIRECTOR, DEPUTY, MEMBER)
LEADER_ROLES = (SECRETARY, DIRECTOR)
DEPUTIES_PER_COMMITTEE = 2

ORIGINS = ("elected_local", "dispatched", "graduate", "recruited")
LOCAL, DISPATCHED, GRADUATE, RECRUITED = range(4)

# Share of a community's administrative hours each role carries, relative weight (assumption:
# leaders and staff carry tasks assessed from above; first secretaries focus on development).
ROLE_ADMIN_WEIGHT = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.3])
# Share of non-administrative time spent on resident contact (grid visits) by role.
ROLE_CONTACT_SHARE = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.7, 0.2])
HOURS_PER_VISIT = 0.5  # hours per household visit (assumption)

# Attributes of a new cadre by origin: (age range, skill range, embeddedness at hire).
# Locals are older, less educated and deeply embedded (DIGEST §5.4); dispatched cadres and
# graduates bring skill but few local ties (§2, §3).
ORIGIN_AGE = ((40, 58), (30, 50), (22, 28), (25, 45))
ORIGIN_SKILL = ((0.5, 0.8), (0.9, 1.1), (1.0, 1.3), (0.8, 1.0))
ORIGIN_EMBED = (0.7, 0.2, 0.1, 0.4)
EMBED_GROWTH = 1.0 / 60.0  # per month of tenure, toward 0.8 (Mitchell et al. 2001: links grow)
SKILL_GROWTH = 0.002  # per month of tenure (learning on the job)
SATISFIED = 0.7  # satisfaction threshold for "satisfied"
