"""Which statement a participant is shown next: a weighted random draw (plain module, no Django).

Among the statements someone has not yet voted on, each is weighted by Pol.is's priority
(``engine.priority.statement_priority``): how much people engage with it rather than pass, how
far it pulls people apart on the map (its extremity), and a boost for statements few people
have seen, so a new statement gets a fair chance to be seen before older ones have been seen by
everyone. Meta statements (about the conversation itself) weigh the most. The draw is random, so
no one order is imposed on everyone and nothing is starved. See docs/opinions.md.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from heard.opinions.engine.priority import statement_priority


@dataclass(frozen=True, slots=True)
class Candidate:
    """A statement someone may be shown, with its current online vote counts.

    ``seen`` is everyone who voted on it (agree, disagree or pass); ``extremity`` comes from the
    latest finished map (0 until there is one).
    """

    key: int
    agrees: int = 0
    passes: int = 0
    seen: int = 0
    extremity: float = 0.0
    is_meta: bool = False

    @property
    def weight(self) -> float:
        return statement_priority(
            self.agrees, self.passes, self.seen, self.extremity, is_meta=self.is_meta
        )


def draw(candidates: Sequence[Candidate], rng: random.Random) -> Candidate | None:
    """One candidate at random, with probability in proportion to its weight; None if none."""
    if not candidates:
        return None
    weights = [c.weight for c in candidates]
    if not sum(weights) > 0:  # cannot happen with Pol.is's priors; never divide by zero
        return rng.choice(list(candidates))
    return rng.choices(candidates, weights=weights, k=1)[0]
