"""Common random numbers where they can break: property tests over random worlds (several
streets, urban and rural, few or many organisations), seeds, levers, mergers and re-gridding.

The invariant (docs/ODD.md §4 *Stochasticity*): each process draws from its own stream, and the
compiled processes read a number of uniforms per month that depends only on the world's size and
the schedule of consultations and elections. So

* a lever that changes neither the world's size nor that schedule leaves every stream exactly
  where it would be without it, month after month, and the residents' initial attributes (but
  efficacy, which starts at the decision authority's fixed point) the same;
* each stream has advanced by exactly what the formula says for the sizes and schedule the run
  went through — checked against a fresh generator advanced by that many outputs, not against
  the model's own bookkeeping (``GovernanceModel._draws_needed``, which ``run_months`` checks
  after every call).

Hypothesis draws the cases from a fixed seed (``derandomize``), so the suite is repeatable."""

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from model.model import GovernanceModel
from model.parameters import REGISTRY, UNSCHEDULABLE, names
from model.restructure import RESTRUCTURING
from model.rng import STREAMS

CRN = settings(max_examples=25, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])

# levers that change the world's size (restructuring) or the schedule of consultations and
# elections change how many uniforms the processes read; every other lever must not
SIZE_OR_SCHEDULE = {*RESTRUCTURING, "consultation_interval", "term_length", "mech_elections"}
NEUTRAL = [n for n in names("policy") + names("mechanism") if n not in SIZE_OR_SCHEDULE]
# what a lever sets in the residents' initial state by design
BY_DESIGN = {"decision_authority": "efficacy", "mech_thresholds": "propensity"}
DRAW_STREAMS = ("admin", "services", "participation", "migration", "workforce", "budget", "organisations")


def worlds():
    return st.fixed_dictionaries({
        "n_streets": st.integers(1, 3),
        "communities_per_street": st.integers(1, 4),
        "residents_per_community": st.integers(20, 250),
        "urban_share": st.sampled_from([0.0, 0.5, 1.0]),
        "so_per_community": st.sampled_from([0.0, 0.4, 5.0]),
        "purchase_share": st.sampled_from([0.05, 0.6]),
        "burn_in": st.integers(0, 3),
        "first_election": st.integers(0, 6),
        "term_length": st.integers(12, 14),
        "consultation_interval": st.integers(1, 4),
        "grid_households": st.sampled_from([50, 100, 600]),
    })


def value_of(name: str):
    p = REGISTRY[name]
    if p.choices:
        return st.sampled_from([c for c in p.choices if c != p.default])
    if p.type == "bool":
        return st.just(not p.default)
    lo, hi = p.bounds
    if p.type == "int":
        return st.integers(int(lo), int(hi)).filter(lambda v: v != p.default)
    return st.floats(lo, hi, allow_nan=False).filter(lambda v: v != p.default)


@st.composite
def lever_cases(draw):
    name = draw(st.sampled_from(NEUTRAL))
    return name, draw(value_of(name))


def states(m: GovernanceModel) -> dict:
    return {s: m.streams[s].bit_generator.state for s in STREAMS}


@CRN
@given(world=worlds(), case=lever_cases(), seed=st.integers(0, 2**32 - 1), months=st.integers(1, 14),
       merge=st.booleans())
def test_a_lever_leaves_every_stream_where_it_was(world, case, seed, months, merge):
    """Two runs that differ in one lever (set from the start, or scheduled at month 1 when the
    lever can be scheduled) and share everything else — a merger included — have every stream
    in the same state after construction and after every month, and the same initial
    residents (but the attribute the lever sets by design: efficacy for the decision
    authority, propensities for the threshold switch)."""
    name, value = case
    schedule = [(2, "merge_rate", 0.5)] if merge and world["communities_per_street"] > 1 else []
    scheduled = REGISTRY[name].kind not in UNSCHEDULABLE and seed % 2 == 0
    kw = dict(rng=seed, horizon=months, agent_data=False, **world)
    a = GovernanceModel(**kw, schedule=schedule)
    if scheduled:
        b = GovernanceModel(**kw, schedule=[*schedule, (1, name, value)])
    else:
        b = GovernanceModel(**kw, schedule=schedule, **{name: value})
    if world["burn_in"] == 0:  # what the residents were given at the start, before any month ran
        for col in a.residents._columns:
            if BY_DESIGN.get(name) != col or scheduled:
                assert np.array_equal(getattr(a.residents, col), getattr(b.residents, col)), (name, col)
    assert states(a) == states(b), name
    for _ in range(months):
        a.step()
        b.step()
        assert states(a) == states(b), (name, value, a.month)
        assert [len(x) for x in a.buffers] == [len(x) for x in b.buffers]


def expected_draws(m: GovernanceModel, month: int, elections: set[int]) -> list[int]:
    """Uniforms each process reads in ``month`` of a world of this size (docs/ODD.md §4): four
    per community (admin tasks); one per resident and one per need (services); one per
    resident, plus three per resident and two per community in a consultation month and two
    per resident in an election month (participation); one per resident (out-migration); seven
    per post (workforce); one per community (project grants); six per street (organisations)."""
    N, C, P = m.residents.n, m.communities.n, m.posts.n
    S = int(m.communities.street.max()) + 1
    needs = int(m.residents.needs.sum())
    consult = month % int(m.p["consultation_interval"]) == 0
    part = N + (3 * N + 2 * C if consult else 0) + (2 * N if month in elections else 0)
    return [4 * C, N + needs, part, N, 7 * P, C, 6 * S]


def election_months(p: dict, last: int) -> set[int]:
    """Committee elections: every ``term_length`` months in step with ``first_election``, at
    each month the model simulates (from the first burn-in month on)."""
    if not p["mech_elections"]:
        return set()
    first, term = p["first_election"], p["term_length"]
    start = -int(p["burn_in"]) + 1
    return {m for m in range(start, last + 1) if (m - first) % term == 0}


EDGE = dict(n_streets=1, communities_per_street=2, residents_per_community=40, urban_share=0.0, so_per_community=5.0,
            purchase_share=0.6, burn_in=0, first_election=0, term_length=12, consultation_interval=1,
            grid_households=50)


@CRN
@example(world=EDGE, seed=1, months=14, merge_at=3, regrid_at=3, linkage=1.0)  # an election due at month 0, no burn-in
@given(world=worlds(), seed=st.integers(0, 2**32 - 1), months=st.integers(2, 14),
       merge_at=st.integers(1, 12), regrid_at=st.integers(1, 12), linkage=st.sampled_from([0.0, 1.0]))
def test_each_stream_advances_by_what_the_world_size_and_schedule_say(world, seed, months, merge_at, regrid_at,
                                                                    linkage):
    """Run month by month through a merger and a re-gridding (which change the numbers of
    communities, grids and posts) with organisations entering and folding, and compare every
    drawing stream with a fresh generator started where the stream was after construction and
    advanced by the formula's count of uniforms for the sizes and schedule of each month (two
    uniforms per 64-bit output; an odd one waits for the next month)."""
    schedule = [(merge_at, "merge_rate", 0.5), (regrid_at, "grid_households", 80)]
    m = GovernanceModel(rng=seed, horizon=months, agent_data=False, schedule=schedule, four_social_linkage=linkage,
                        **world)
    elections = election_months(m.p, months)
    start = {s: m.streams[s].bit_generator.state for s in DRAW_STREAMS}
    left = [len(b) for b in m.buffers]
    raw = [0] * len(DRAW_STREAMS)
    for _ in range(months):
        need = expected_draws(m, m.month + 1, elections)
        for i, n in enumerate(need):
            missing = n - left[i]
            if missing > 0:
                raw[i] += (missing + 1) // 2
                left[i] += 2 * ((missing + 1) // 2)
            left[i] -= n
        m.step()
        for i, s in enumerate(DRAW_STREAMS):
            fresh = np.random.PCG64()
            fresh.state = start[s]
            fresh.advance(raw[i])
            assert fresh.state == m.streams[s].bit_generator.state, (s, m.month)
            assert len(m.buffers[i]) == left[i], (s, m.month)
    assert m.communities.n <= world["n_streets"] * world["communities_per_street"]


def _month_uniforms(m: GovernanceModel, stream: str, n: int) -> np.ndarray:
    """The ``n`` uniforms ``stream`` gives the next month: what waits in the model's buffer, then
    the stream's next outputs, two each (processes.uniforms), without drawing from the model."""
    from model import processes as P

    i = DRAW_STREAMS.index(stream)
    left = m.buffers[i]
    fresh = np.random.Generator(np.random.PCG64())
    fresh.bit_generator.state = m.streams[stream].bit_generator.state
    extra = max(n - len(left), 0)
    return np.concatenate([left, P.uniforms(fresh.bit_generator.random_raw((extra + 1) // 2))])[:n]


def test_each_decision_reads_its_own_uniforms():
    """The layout of a month's uniforms (docs/ODD.md §4): administrative tasks read four rows of
    one per community (arrivals, the list, leakage, inspections), by inversion; the
    participation stream gives volunteer drop-out one per resident, then a consultation three
    rows per resident (taking part, side, volunteering) and two per community (agenda,
    implementation); out-migration one per resident. Each decision is replayed here from the
    stream itself."""
    from model import processes as P

    m = GovernanceModel(rng=53, horizon=3, consultation_interval=1, outmigration_rate=0.4, task_access_list=0.4,
                        volunteer_dropout=0.3,
                        decision_authority=0.5, first_election=30, communities_per_street=4,
                        residents_per_community=200, burn_in=1)
    r, com = m.residents, m.communities
    N, C = r.n, com.n
    u_adm = _month_uniforms(m, "admin", 4 * C).reshape(4, C)
    u_par = _month_uniforms(m, "participation", 4 * N + 2 * C)
    u_mig = _month_uniforms(m, "migration", N)
    present, volunteer, households = r.present.copy(), r.volunteer.copy(), com.households.copy()
    m.step()
    p = m.p
    lam = p["tasks_fixed"] + p["tasks_per_household"] * households  # tasks arrive before anyone moves away
    tasks = []
    for c in range(C):
        arrived = P.poisson_inv(lam[c], u_adm[0, c])
        passed = P.binomial_inv(arrived, 1 - 0.4, u_adm[1, c])
        back = P.binomial_inv(arrived - passed, 1 - p["list_compliance"], u_adm[2, c])
        tasks.append(passed + back)
    assert np.array_equal(com.tasks, tasks)
    dropped = volunteer & (u_par[:N] < p["volunteer_dropout"])
    u_part, u_side, u_conv = u_par[N:4 * N].reshape(3, N)
    u_agenda, u_impl = u_par[4 * N:].reshape(2, C)
    assert np.array_equal(r.participated, present & (u_part < r.p_participate) & r.present)
    assert np.array_equal(com.implemented, u_impl < 0.5)
    elite = (r.activist | (r.stake >= 0.75)).astype(float)
    divergence = p["interest_divergence"]
    assert np.array_equal(r.side[present], (u_side < 0.5 + (elite - 0.5) * divergence)[present])
    rate = np.where(r.age_group == 0, 0.4 / 12 * 3, 0.4 / 12)
    assert np.array_equal(r.present, present & (com.urban[r.community] | (u_mig >= rate)))
    conversion = p["volunteer_conversion"] * (1 + p["linkage_conversion"] * p["four_social_linkage"])
    assert np.array_equal(r.volunteer, ((volunteer & ~dropped) | (r.participated & (u_conv < conversion))) & r.present)
    assert not np.array_equal(r.present, present) and dropped.any() and r.participated.any()


def test_votes_read_their_own_uniforms():
    """In an election month the participation stream's last two rows per resident are the vote
    and, for residents without local registration, the access draw — after the consultation's
    rows when one is held the same month, right after drop-out when not. Each vote is replayed
    from the stream: voted = present ∧ (registered ∨ u_access < ``migrant_vote_access``) ∧
    u_vote < logistic(the turnout rule)."""
    for interval in (1, 5):  # month 1: with a consultation, and without one
        m = GovernanceModel(rng=59, horizon=2, consultation_interval=interval, first_election=1, term_length=12,
                            urban_share=1.0, communities_per_street=3, residents_per_community=300, burn_in=1)
        r, com = m.residents, m.communities
        N, C = r.n, com.n
        held = 1 % interval == 0
        u_par = _month_uniforms(m, "participation", N + (3 * N + 2 * C if held else 0) + 2 * N)
        u_vote, u_access = u_par[-2 * N:].reshape(2, N)
        present, com_present = r.present.copy(), com.present.copy()
        m.step()
        p = m.p
        costs = np.array([p["cost_youth"], p["cost_middle"], p["cost_elderly"]])
        size = p["size_effect"] * np.log(np.maximum(com_present, 1) / p["size_reference"])
        x = (p["vote_base"] + p["vote_mobilisation"] + p["beta_efficacy"] * r.efficacy + p["beta_trust"] * r.trust
             - costs[r.age_group] + r.propensity - size[r.community] + p["activist_boost"] * r.activist)
        expected = present & (~r.migrant | (u_access < p["migrant_vote_access"])) & (u_vote < 1 / (1 + np.exp(-x)))
        assert np.array_equal(r.voted, expected), interval
        assert expected.any() and (r.migrant & present & ~expected).any()
