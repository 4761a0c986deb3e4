"""The opinion-map engine (plain module): Pol.is's pipeline, checked against its definitions
and against independent computations, on conversations built here (no shared data)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from heard.opinions.engine import Vote, stats
from heard.opinions.engine import kmeans as km
from heard.opinions.engine.engine import (
    OpinionMap,
    Parameters,
    compute,
    dump_state,
    load_state,
    replay_batches,
)
from heard.opinions.engine.priority import statement_priority


def camps(
    n_camps: int = 2,
    per_camp: int = 30,
    statements: int = 24,
    *,
    seed: int = 1,
    common: int = 3,
    noise: float = 0.1,
) -> tuple[list[Vote], dict[str, int]]:
    """People in camps that vote opposite ways on most statements; the first ``common``
    statements everyone agrees with. Returns the votes and each person's camp."""
    rng = random.Random(seed)
    # Each statement (after the common ones) is agreed with by one camp and opposed by the rest.
    stance = [[1 if s % n_camps == c else -1 for s in range(statements)] for c in range(n_camps)]
    votes: list[Vote] = []
    truth: dict[str, int] = {}
    t = 0.0
    # People arrive mixed across camps, as they would in a real conversation.
    for i in range(per_camp):
        for camp in range(n_camps):
            person = f"c{camp}p{i}"
            truth[person] = camp
            for s in range(statements):
                if rng.random() < 0.15:
                    continue  # not everyone sees every statement
                value = 1 if s < common else stance[camp][s]
                if rng.random() < noise:
                    value = rng.choice([1, -1, 0])
                t += 1.0
                votes.append(Vote(person, f"s{s}", value, t))
    return votes, truth


def ari(truth: dict[str, int], groups: dict[str, int]) -> float:
    common = sorted(set(truth) & set(groups))
    return adjusted_rand_score([truth[p] for p in common], [groups[p] for p in common])


# --- Pol.is's statistics ---------------------------------------------------------------------


def test_prop_test_is_polis_formula():
    # A consensus statement in a Pol.is math export: 15 of 16 agreed, p-test 3.63803437554...
    assert stats.prop_test(np.array([15.0]), np.array([16.0]))[0] == pytest.approx(
        3.6380343755449944
    )
    # With no votes the +1 smoothing still gives 2 * sqrt(1) * (1 - 0.5) = 1: below significance.
    assert stats.prop_test(np.array([0.0]), np.array([0.0]))[0] == pytest.approx(1.0)


def test_two_prop_test_is_zero_without_variance_and_signed_otherwise():
    assert stats.two_prop_test(*(np.array([4.0]),) * 4)[0] == 0.0  # pooled share 1
    higher = stats.two_prop_test(
        np.array([9.0]), np.array([1.0]), np.array([10.0]), np.array([10.0])
    )
    lower = stats.two_prop_test(
        np.array([1.0]), np.array([9.0]), np.array([10.0]), np.array([10.0])
    )
    assert higher[0] > 2 and lower[0] == pytest.approx(-higher[0])


def test_group_aware_consensus_is_product_of_smoothed_agreement():
    agree = np.array([[3.0, 0.0], [1.0, 2.0]])
    seen = np.array([[4.0, 2.0], [2.0, 2.0]])
    gac = stats.group_aware_consensus(agree, seen)
    assert gac[0] == pytest.approx((4 / 6) * (2 / 4))
    assert gac[1] == pytest.approx((1 / 4) * (3 / 4))


def test_priority_favours_statements_few_have_seen():
    fresh = statement_priority(0, 0, 0)
    worn = statement_priority(40, 10, 100)
    assert fresh > 5 * worn
    assert statement_priority(0, 0, 0, is_meta=True) == 49.0


# --- the map -----------------------------------------------------------------------------------


def test_two_camps_are_found_with_what_sets_each_apart_and_common_ground():
    votes, truth = camps(2)
    result = compute(votes)
    assert result.group_count == 2
    assert ari(truth, result.groups) == pytest.approx(1.0)
    # Every representative statement is one the group really leans on, in its direction.
    for group, stats_ in result.repness.items():
        assert stats_, "every group gets at least one representative statement"
        members = result.group_members(group)
        for stat in stats_:
            counts = result.agreement(stat.statement, group)
            share = (counts.agree if stat.direction == "agree" else counts.disagree) / counts.seen
            assert share > 0.5, (group, stat)
            assert len(members) > 0
    # The statements everyone agrees with are the common ground.
    agreed = {s.statement for s in result.consensus["agree"]}
    assert {"s0", "s1", "s2"} <= agreed
    top = sorted(result.group_aware_consensus, key=result.group_aware_consensus.get)[-3:]
    assert set(top) == {"s0", "s1", "s2"}


def test_three_camps_give_three_groups_by_silhouette():
    votes, truth = camps(3, per_camp=25, statements=30, seed=7)
    result = compute(votes)
    assert result.group_count == 3
    assert ari(truth, result.groups) > 0.95


def test_participants_with_too_few_votes_stay_off_the_map_but_are_placed():
    votes, _truth = camps(2)
    votes += [Vote("newcomer", "s5", 1, 1e6), Vote("newcomer", "s6", -1, 1e6 + 1)]
    result = compute(votes)
    assert "newcomer" not in result.groups
    assert "newcomer" in result.projections
    assert "newcomer" not in result.in_map


def test_small_conversations_take_the_most_active_voters_into_the_map():
    # Five people with two votes each and one with eight: all six are taken (fewer than 15).
    votes = [Vote(f"p{i}", f"s{j}", 1 if (i + j) % 2 else -1) for i in range(5) for j in range(2)]
    votes += [Vote("keen", f"s{j}", 1) for j in range(8)]
    result = compute(votes)
    assert set(result.in_map) == {"p0", "p1", "p2", "p3", "p4", "keen"}


def test_a_later_vote_replaces_an_earlier_one():
    votes, _ = camps(2)
    first = next(v for v in votes if v.statement == "s0" and v.value == 1)
    changed = [*votes, Vote(first.participant, "s0", -1, 1000000000.0)]
    before = compute(votes).agreement("s0", 0).disagree + compute(votes).agreement("s0", 1).disagree
    after_result = compute(changed)
    after = after_result.agreement("s0", 0).disagree + after_result.agreement("s0", 1).disagree
    assert after == before + 1
    assert after_result.provenance["votes"] == compute(votes).provenance["votes"]


def test_moderated_out_statements_shape_nothing():
    votes, truth = camps(2)
    loud = [Vote(p, "spam", 1 if c == 0 else -1, 0.0) for p, c in truth.items()]
    result = compute(votes + loud, moderated_out=["spam"])
    column = result.pca["statements"].index("spam")
    assert all(comp[column] == 0 for comp in result.pca["comps"])
    named = {s.statement for g in result.repness.values() for s in g}
    named |= {s.statement for d in result.consensus.values() for s in d}
    assert "spam" not in named


def test_pca_and_projection_match_an_independent_dense_computation():
    """Pol.is: fill missing votes with the statement's mean, centre, top two eigenvectors,
    project each person on the statements they voted on, scaled by sqrt(statements/votes)."""
    votes, _ = camps(2, per_camp=12, statements=10, seed=3)
    result = compute(votes)
    people, statements = result.participants, result.pca["statements"]
    matrix = np.full((len(people), len(statements)), np.nan)
    for v in votes:
        matrix[people.index(v.participant), statements.index(v.statement)] = v.value
    mean = np.nanmean(matrix, axis=0)
    centred = np.where(np.isnan(matrix), 0.0, matrix - mean)
    _vals, vecs = np.linalg.eigh(centred.T @ centred)
    top = vecs[:, ::-1][:, :2].T
    comps = np.array(result.pca["comps"])
    for mine, theirs in zip(comps, top, strict=True):
        assert abs(mine @ theirs) == pytest.approx(1.0, abs=1e-9)  # same axis, either sign
    n_votes = (~np.isnan(matrix)).sum(axis=1)
    expected = (centred @ comps.T) * np.sqrt(len(statements) / n_votes)[:, None]
    got = np.array([result.projections[p] for p in people])
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_votes_in_any_order_give_the_same_input_hash_and_map():
    votes, _ = camps(2)
    shuffled = votes[:]
    random.Random(5).shuffle(shuffled)
    a, b = compute(votes), compute(shuffled)
    assert a.provenance["input_hash"] == b.provenance["input_hash"]
    assert ari({p: g for p, g in a.groups.items()}, b.groups) == pytest.approx(1.0)
    assert compute(votes[:-1]).provenance["input_hash"] != a.provenance["input_hash"]


def test_provenance_names_engine_parameters_and_input():
    votes, _ = camps(2)
    provenance = compute(votes).provenance
    assert provenance["version"] and "Pol.is" in provenance["algorithm"]
    assert provenance["parameters"]["base_k"] == 100
    assert provenance["parameters"]["max_groups"] == 5
    assert len(provenance["input_hash"]) == 64
    assert provenance["votes"] == len({(v.participant, v.statement) for v in votes})


def test_incremental_updates_follow_the_votes_and_resume_from_stored_state():
    votes, truth = camps(2, per_camp=40)
    first, rest = votes[: len(votes) // 2], votes[len(votes) // 2 :]
    live = OpinionMap()
    live.add_votes(first)
    live.update()
    resumed = load_state(dump_state(live))
    live.add_votes(rest)
    resumed.add_votes(rest)
    a, b = live.update(), resumed.update()
    assert a.to_json() == b.to_json()
    assert a.provenance["input_hash"] == compute(votes).provenance["input_hash"]
    assert ari(truth, a.groups) == pytest.approx(1.0)


def test_group_count_changes_only_after_several_agreeing_updates():
    votes, _ = camps(2, per_camp=30, seed=11)
    opinion_map = OpinionMap(parameters=Parameters(group_k_buffer=4))
    opinion_map.add_votes(votes)
    assert opinion_map.update().group_count == 2
    # A third camp arrives: the best k becomes 3, but the map waits for 4 updates in a row.
    third, _ = camps(3, per_camp=30, seed=11)
    opinion_map.add_votes(v for v in third if v.participant.startswith("c2"))
    counts = [opinion_map.update().group_count for _ in range(4)]
    assert counts[0] == 2 and counts[-1] == 3


def test_replay_feeds_history_in_time_windows_and_is_deterministic():
    votes, truth = camps(2)
    batches = replay_batches(votes, window=100.0)
    assert sum(len(b) for b in batches) == len(votes)
    assert all(b[-1].at - b[0].at < 100.0 for b in batches)
    a = compute(votes, replay=True, parameters=Parameters(replay_window=100.0))
    b = compute(list(reversed(votes)), replay=True, parameters=Parameters(replay_window=100.0))
    assert a.provenance["replay"] is True
    assert a.groups == b.groups
    assert ari(truth, a.groups) == pytest.approx(1.0)


def test_an_empty_conversation_has_an_empty_map():
    result = compute([])
    assert result.groups == {} and result.group_count == 0
    assert result.consensus == {"agree": [], "disagree": []}


def test_vote_values_are_checked():
    with pytest.raises(ValueError, match="agree"):
        Vote("p", "s", 2)


# --- Pol.is's k-means ----------------------------------------------------------------------------


def test_kmeans_starts_from_the_first_distinct_points_and_keeps_ids_when_warm():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0], [0.2, 0.1], [10.1, 0.2]])
    ids = np.arange(5)
    first = km.kmeans(points, ids, 2)
    assert sorted(sorted(c.members.tolist()) for c in first) == [[0, 1, 3], [2, 4]]
    # Warm start from the previous clusters keeps their ids even when passed in another order.
    again = km.kmeans(points, ids, 2, previous=list(reversed(first)))
    assert {c.id: sorted(c.members.tolist()) for c in again} == {
        c.id: sorted(c.members.tolist()) for c in first
    }


def test_kmeans_warm_start_splits_off_the_most_distant_point_for_a_new_cluster():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]])
    previous = [km.Cluster(7, np.array([0, 1, 2]), np.array([1.7, 1.7]))]
    clusters = km.kmeans(points, np.arange(3), 2, previous=previous)
    assert sorted(c.id for c in clusters) == [7, 8]
    assert [c.members.tolist() for c in clusters if c.id == 8] == [[2]]


def test_silhouette_matches_scikit_learn_without_singletons():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(0, 1, (20, 2)), rng.normal(6, 1, (20, 2))])
    labels = np.array([0] * 20 + [1] * 20)
    assert km.silhouette(points, labels) == pytest.approx(silhouette_score(points, labels))


def test_warm_start_ends_when_points_differ_only_by_rounding():
    """Found by fuzzing: three points a few 1e-15 apart, each already alone in a cluster, made
    the farthest-point split loop for ever (a split emptied the cluster it came from)."""
    points = np.array(
        [
            [0.0, 2.6e-15],
            [-0.49, -1.29],
            [-1.99, 0.76],
            [0.26, 0.85],
            [1.7, 0.17],
            [0.0, -1.5e-15],
            [0.0, 0.0],
        ]
    )
    previous = [
        km.Cluster(i, np.array([m]), points[m] + 1e-16) for i, m in enumerate([0, 3, 1, 4, 2, 5])
    ]
    clusters = km.kmeans(points, np.arange(7), 100, previous=previous)
    assert sorted(m for c in clusters for m in c.members.tolist()) == list(range(7))


@pytest.mark.parametrize("seed", range(25))
def test_replaying_small_random_conversations_always_finishes(seed):
    rng = random.Random(seed)
    votes, t = [], 0.0
    for person in range(rng.randint(2, 40)):
        for _ in range(rng.randint(1, 13)):
            t += 60.0
            votes.append(Vote(str(person), str(rng.randint(0, 12)), rng.choice([-1, 0, 1, 1]), t))
    result = compute(votes, replay=True)
    assert set(result.groups) <= set(result.in_map)
    assert 0 <= result.group_count <= 5


def test_a_k_out_of_this_updates_range_is_never_returned():
    """When base clusters shrink (k-means drops empty ones), groupings for a k above the new
    range name base clusters that no longer exist: they are dropped, not returned."""
    votes, _ = camps(3, per_camp=25, statements=30, seed=7)
    opinion_map = OpinionMap()
    opinion_map.add_votes(votes)
    opinion_map.update()
    state = opinion_map._state
    assert max(state.groups_by_k) == 5
    state.smoother.smoothed_k = 5
    state.smoother.last_k = 5
    fewer = state.base[:20]  # 2 + 20 // 12 = 3: k = 2..3 only
    groups = opinion_map._groups(fewer)
    alive = {c.id for c in fewer}
    assert {b for g in groups for b in g.members.tolist()} <= alive
    assert max(state.groups_by_k) == 3
