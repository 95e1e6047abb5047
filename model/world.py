"""Building the simulated world from the run's seed: communities, households, grids and the
resident social network.

Residents are stored sorted by street, community and household, so every community, grid and
household occupies a contiguous index range. Mergers join neighbouring communities of a street
and re-gridding splits a community's households into consecutive blocks, so the ordering
survives restructuring and the social network never has to be rebuilt.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import tables as T

__all__ = [
    "build_communities",
    "build_residents",
    "assign_grids",
    "small_world_ties",
]


def build_communities(p: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Street, urban/rural, resident ranges, service radius and floor area of each community."""
    n_streets, per_street = p["n_streets"], p["communities_per_street"]
    C = n_streets * per_street
    street = np.repeat(np.arange(n_streets, dtype=np.int32), per_street)
    urban = np.zeros(C, dtype=bool)
    n_urban = int(round(p["urban_share"] * C))
    urban[rng.permutation(C)[:n_urban]] = True
    cv = p["community_size_cv"]
    if cv > 0:
        sigma = np.sqrt(np.log1p(cv**2))
        factor = rng.lognormal(-0.5 * sigma**2, sigma, C)
    else:
        factor = np.ones(C)
    size = np.maximum(20, np.round(p["residents_per_community"] * factor)).astype(np.int64)
    start = np.concatenate(([0], np.cumsum(size)[:-1])).astype(np.int64)
    radius_mean = np.where(urban, p["service_radius_urban"], p["service_radius_rural"])
    radius = radius_mean * rng.uniform(0.6, 1.4, C)
    # Floor area: lognormal around the mean (sigma 0.55 gives ≈ 81 % of urban communities
    # ≥ 300 m² at a mean of 560 m², Report §3).
    area_mean = np.where(urban, p["facility_area_mean_urban"], p["facility_area_mean_rural"])
    sig = 0.55
    facility = area_mean * rng.lognormal(-0.5 * sig**2, sig, C)
    return {"street": street, "urban": urban, "start": start, "size": size, "radius": radius, "facility": facility}


def facility_standard(urban: np.ndarray) -> np.ndarray:
    """Floor-area standard: 300 m² urban (Report §3), 200 m² rural (Report §1)."""
    return np.where(urban, T.FACILITY_STANDARD_URBAN, T.FACILITY_STANDARD_RURAL)


def build_residents(comm, p: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Households and residents, sorted by community and household."""
    N = int(comm.size.sum())
    community = np.repeat(np.arange(comm.n, dtype=np.int32), comm.size)
    household = np.empty(N, dtype=np.int64)
    next_hh = 0
    for c in range(comm.n):
        hs = p["household_size_urban"] if comm.urban[c] else p["household_size_rural"]
        n = int(comm.size[c])
        draws = 1 + rng.poisson(max(hs - 1.0, 0.0), size=n)  # more than enough households
        ends = np.cumsum(draws)
        k = int(np.searchsorted(ends, n)) + 1
        sizes = draws[:k].copy()
        sizes[-1] -= ends[k - 1] - n
        household[comm.start[c] : comm.start[c] + n] = next_hh + np.repeat(np.arange(k), sizes)
        next_hh += k
    u = rng.random(N)
    age = np.where(u < p["youth_share"], T.YOUTH, np.where(u < p["youth_share"] + p["elderly_share"], T.ELDERLY, T.MIDDLE))
    dist = comm.radius[community] * np.sqrt(rng.random(N))
    return {
        "community": community,
        "household": household,
        "age": age.astype(np.int8),
        "dist": dist,
    }


def assign_grids(household: np.ndarray, comm, grid_households: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each community's households into round(households / grid_households) consecutive grids.

    Returns (grid of each resident, community of each grid, households of each grid).
    """
    grid = np.empty(len(household), dtype=np.int32)
    g_comm: list[int] = []
    g_hh: list[int] = []
    gid = 0
    for c in range(comm.n):
        lo, hi = int(comm.start[c]), int(comm.start[c] + comm.size[c])
        hh = household[lo:hi]
        local = hh - hh[0]  # households are consecutive within a community
        n_hh = int(local[-1]) + 1
        n_grids = max(1, int(round(n_hh / grid_households)))
        # equal-sized blocks of households
        block = (local * n_grids) // n_hh
        grid[lo:hi] = gid + block
        hh_per = np.bincount((np.arange(n_hh) * n_grids) // n_hh, minlength=n_grids)
        g_comm.extend([c] * n_grids)
        g_hh.extend(hh_per.tolist())
        gid += n_grids
    return grid, np.asarray(g_comm, dtype=np.int32), np.asarray(g_hh, dtype=np.int64)


def _ranges(start: np.ndarray, size: np.ndarray, owner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly drawn member of each owner's contiguous range."""
    return start[owner] + np.floor(rng.random(len(owner)) * size[owner]).astype(np.int64)


def _same_age(src: np.ndarray, dst: np.ndarray, group: np.ndarray, age: np.ndarray, homophily: float,
              rng: np.random.Generator) -> np.ndarray:
    """Redraw each target in ``dst`` with probability ``homophily`` as a uniform member of the
    source's group (grid or community) of the source's age group; groups without such a
    member keep the uniform draw. Two uniforms per tie, whatever the homophily, so the
    network stream's draws do not depend on it."""
    u = rng.random((2, len(src)))
    if not len(src):
        return dst
    key = group.astype(np.int64) * 3 + age
    order = np.argsort(key, kind="stable")
    n_keys = int(key.max()) + 1
    size = np.bincount(key, minlength=n_keys)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    k = key[src]
    pick = (u[0] < homophily) & (size[k] > 0)
    chosen = order[np.minimum(start[k] + np.floor(u[1] * size[k]).astype(np.int64), len(order) - 1)]
    return np.where(pick, chosen, dst)


def small_world_ties(res: dict, grid: np.ndarray, comm, p: dict, rng: np.random.Generator,
                     *, homophily: float = 0.0) -> sp.csr_array:
    """Resident social network as a symmetric 0/1 CSR adjacency matrix.

    - household members are fully tied;
    - inside each grid, a Watts-Strogatz small world: a ring lattice of ``social_degree``
      neighbours (residents are ordered by household, so ring neighbours are next-door
      neighbours) with each tie rewired to a random grid member with probability ``tie_rewire``;
    - ``cross_grid_ties`` extra ties per resident to random members of the same community;
    - ``cross_community_ties`` extra ties per resident to random residents of the same street;
    - age homophily (McPherson et al. 2001): a rewired or cross-grid tie goes to a member of
      the source's own age group with probability ``homophily``.
    """
    N = len(grid)
    idx = np.arange(N, dtype=np.int64)
    n_grids = int(grid.max()) + 1 if N else 0
    g_size = np.bincount(grid, minlength=n_grids).astype(np.int64)
    g_start = np.concatenate(([0], np.cumsum(g_size)[:-1])).astype(np.int64)
    pos = idx - g_start[grid]
    ng = g_size[grid]
    src_parts, dst_parts = [], []
    half = max(1, p["social_degree"] // 2)
    for o in range(1, half + 1):
        ok = ng > 2 * o  # a ring needs more members than twice the offset
        s = idx[ok]
        d = g_start[grid[s]] + (pos[s] + o) % ng[s]
        src_parts.append(s)
        dst_parts.append(d)
    src = np.concatenate(src_parts) if src_parts else np.empty(0, np.int64)
    dst = np.concatenate(dst_parts) if dst_parts else np.empty(0, np.int64)
    rewire = rng.random(len(src)) < p["tie_rewire"]
    dst = dst.copy()
    dst[rewire] = _ranges(g_start, g_size, grid[src[rewire]], rng)
    age = res["age"]
    dst[rewire] = _same_age(src[rewire], dst[rewire], grid, age, homophily, rng)
    hh = res["household"]
    hs_src, hs_dst = [], []
    for o in range(1, 12):
        if o >= N:
            break
        same = hh[o:] == hh[:-o]
        if not same.any():
            break
        s = idx[:-o][same]
        hs_src.append(s)
        hs_dst.append(s + o)
    # cross-grid ties inside the community
    k_cg = rng.poisson(p["cross_grid_ties"] / 2.0, N)
    cg_src = np.repeat(idx, k_cg)
    cg_dst = _ranges(comm.start, comm.size, res["community"][cg_src], rng)
    cg_dst = _same_age(cg_src, cg_dst, res["community"], age, homophily, rng)
    # ties across communities of the same street
    street_of = comm.street[res["community"]]
    n_streets = int(comm.street.max()) + 1
    st_size = np.bincount(street_of, minlength=n_streets).astype(np.int64)
    st_start = np.concatenate(([0], np.cumsum(st_size)[:-1])).astype(np.int64)
    k_cc = rng.poisson(p["cross_community_ties"] / 2.0, N)
    cc_src = np.repeat(idx, k_cc)
    cc_dst = _ranges(st_start, st_size, street_of[cc_src], rng)
    rows = np.concatenate([src, *hs_src, cg_src, cc_src])
    cols = np.concatenate([dst, *hs_dst, cg_dst, cc_dst])
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    r = np.concatenate([rows, cols]).astype(np.int32)
    c = np.concatenate([cols, rows]).astype(np.int32)
    A = sp.csr_array((np.ones(len(r), dtype=np.float32), (r, c)), shape=(N, N))
    A.sum_duplicates()
    A.data[:] = 1.0
    return A
