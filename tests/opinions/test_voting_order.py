"""The voting order: a weighted random draw that gives new statements a fair chance."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from heard.opinions.voting_order import Candidate, draw


def test_a_brand_new_statement_is_drawn_far_more_often_than_a_well_voted_one():
    new = Candidate(key=1)
    old = Candidate(key=2, agrees=60, passes=10, seen=100)
    rng = random.Random(7)
    counts = Counter(draw([new, old], rng).key for _ in range(20_000))
    assert counts[1] > 10 * counts[2] > 0  # favoured, yet the old one is never starved


def test_the_boost_for_being_new_fades_as_a_statement_is_seen():
    weights = [Candidate(key=0, agrees=s // 2, passes=0, seen=s).weight for s in (0, 5, 20, 80)]
    assert weights == sorted(weights, reverse=True)


def test_engagement_and_extremity_raise_a_statement_passing_lowers_it():
    base = Candidate(key=0, agrees=20, passes=10, seen=40)
    assert Candidate(key=0, agrees=20, passes=10, seen=40, extremity=1.5).weight > base.weight
    assert Candidate(key=0, agrees=20, passes=30, seen=40).weight < base.weight


def test_meta_statements_come_first_and_none_left_is_none():
    meta = Candidate(key=9, is_meta=True, seen=500, agrees=400)
    new = Candidate(key=1)
    counts = Counter(draw([meta, new], random.Random(1)).key for _ in range(2_000))
    assert counts[9] > 5 * counts[1]
    assert draw([], random.Random(1)) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_draw_is_reproducible_from_its_random_source(seed):
    pool = [Candidate(key=k, agrees=k, passes=1, seen=2 * k) for k in range(30)]

    def sequence() -> list[int]:
        rng = random.Random(seed)
        return [draw(pool, rng).key for _ in range(20)]

    assert sequence() == sequence()
    assert len(set(sequence())) > 1  # random, not one fixed order
