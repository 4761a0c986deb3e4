"""A large synthetic conversation with real structure, for the opinion engine at scale.

Issue 5's scale: 10,000 participants x 2,000 statements, about 10^6 votes. Made, not sampled
from real data (no public conversation is that large), so the map must have something to find:

- participants belong to latent opinion groups (4 by default, of 40/30/20/10 %);
- each statement has a shared position and a position per group (normal, the group part wider),
  and a participant agrees with probability ``sigmoid(2 x their group's position)``, disagrees
  otherwise, and passes 15 % of the time;
- how many statements a participant votes on is log-normal around the mean (``votes`` /
  ``participants``), from 1 to all, so some fall below the map's 7-vote threshold;
- which statements: drawn without replacement with weight ``1 / (1 + rank / 200)`` (earlier
  statements are seen more, as in a real conversation);
- when: each participant arrives at a uniform moment in 30 days and votes every 8 seconds.

Everything comes from one ``numpy`` generator seeded with ``seed``: the same seed, the same votes.
Votes are returned in time order as arrays; ids are the decimal text of the indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROUP_SHARES = (0.4, 0.3, 0.2, 0.1)
PASS_SHARE = 0.15
DAYS = 30
SECONDS_BETWEEN_VOTES = 8.0


@dataclass(frozen=True)
class Synthetic:
    """Votes in time order (parallel arrays) and each participant's latent group."""

    participant: np.ndarray  # int32 row index
    statement: np.ndarray  # int32 column index
    value: np.ndarray  # int8: 1 agree, -1 disagree, 0 pass
    at: np.ndarray  # float64 seconds
    latent: np.ndarray  # int8 group per participant
    statements: int

    def __len__(self) -> int:
        return len(self.value)

    def split(self, tail: int) -> tuple[slice, slice]:
        """The first votes and the last ``tail`` (the incremental batch)."""
        cut = len(self) - tail
        return slice(0, cut), slice(cut, len(self))


def make(
    participants: int = 10_000,
    statements: int = 2_000,
    votes: int = 1_000_000,
    *,
    seed: int = 0,
) -> Synthetic:
    rng = np.random.default_rng(seed)
    shares = np.asarray(GROUP_SHARES)
    latent = rng.choice(len(shares), size=participants, p=shares).astype(np.int8)
    shared = rng.normal(0.0, 1.0, statements)
    position = shared[None, :] + rng.normal(0.0, 1.5, (len(shares), statements))
    p_agree = 1.0 / (1.0 + np.exp(-2.0 * position))

    mean = votes / participants
    sigma = 0.8
    counts = rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, participants)
    counts = np.clip(np.rint(counts), 1, statements).astype(np.int64)

    # Weighted sampling without replacement, a row at a time in blocks: the Gumbel top-k trick.
    weight = np.log(1.0 / (1.0 + np.arange(statements) / 200.0)).astype(np.float32)
    rows_out, cols_out = [], []
    block = 1000
    for start in range(0, participants, block):
        stop = min(start + block, participants)
        keys = weight[None, :] + rng.gumbel(size=(stop - start, statements)).astype(np.float32)
        order = np.argsort(-keys, axis=1, kind="stable").astype(np.int32)
        take = np.arange(statements)[None, :] < counts[start:stop, None]
        rows = np.broadcast_to(np.arange(start, stop, dtype=np.int32)[:, None], take.shape)
        rows_out.append(rows[take])
        cols_out.append(order[take])
    participant = np.concatenate(rows_out)
    statement = np.concatenate(cols_out)

    agree = rng.random(len(participant)) < p_agree[latent[participant], statement]
    value = np.where(agree, 1, -1).astype(np.int8)
    value[rng.random(len(participant)) < PASS_SHARE] = 0

    arrival = rng.uniform(0.0, DAYS * 86_400.0, participants)
    position_in_row = np.arange(len(participant)) - np.repeat(
        np.concatenate([[0], np.cumsum(counts)[:-1]]), counts
    )
    at = 1_700_000_000.0 + arrival[participant] + SECONDS_BETWEEN_VOTES * position_in_row
    order = np.argsort(at, kind="stable")
    return Synthetic(
        participant[order],
        statement[order],
        value[order],
        at[order],
        latent,
        statements,
    )
