import numpy as np

from experiments import seeds


def test_replicate_seeds_are_deterministic_distinct_and_depend_on_the_seed():
    a = seeds.replicate_seeds(42, 20)
    assert a == seeds.replicate_seeds(42, 20)
    assert len(set(a)) == 20
    assert all(0 <= s < 2**63 for s in a)
    assert a != seeds.replicate_seeds(43, 20)
    assert a[:5] == seeds.replicate_seeds(42, 5)  # adding replicates keeps the earlier ones


def test_design_seeds_common_or_independent():
    crn = seeds.design_seeds(7, 4, 3, crn=True)
    assert all(row == crn[0] for row in crn)
    ind = seeds.design_seeds(7, 4, 3, crn=False)
    flat = [s for row in ind for s in row]
    assert len(set(flat)) == 12
    assert ind == seeds.design_seeds(7, 4, 3, crn=False)


def test_seed_tree_is_jsonable_and_matches_the_seeds():
    import json

    tree = seeds.seed_tree(5, 3)
    assert json.loads(json.dumps(tree))["replicate_seeds"] == seeds.replicate_seeds(5, 3)
    assert seeds.seed_of(np.random.SeedSequence(5).spawn(1)[0]) == seeds.replicate_seeds(5, 1)[0]
