"""Which statement a participant sees next: Pol.is's priority, so new statements get seen.

Pol.is weights each statement by how much it is engaged with (agrees and disagrees rather than
passes), how far it pulls people apart on the map (its extremity), and a boost for statements few
people have seen yet, ``1 + 8 * 2 ** (-seen / 5)``: a statement nobody has seen weighs nine
times as much as a well-seen one with the same votes, and the boost halves every five views.
The whole is squared to sharpen the preference. The next statement is drawn at random with
these weights from those the participant has not voted on, so nothing is starved and no one
order is imposed on everyone.
"""

from __future__ import annotations

META_PRIORITY = 7.0


def importance(agrees: int, passes: int, seen: int, extremity: float) -> float:
    """Pol.is's importance: (1 - pass rate) x (extremity + 1) x agree rate, with +1/+2 priors."""
    p = (passes + 1) / (seen + 2)
    a = (agrees + 1) / (seen + 2)
    return (1 - p) * (extremity + 1) * a


def statement_priority(
    agrees: int, passes: int, seen: int, extremity: float = 0.0, *, is_meta: bool = False
) -> float:
    """The weight for drawing this statement next (see the module docstring)."""
    if is_meta:
        return META_PRIORITY**2
    boost = 1 + 8 * 2 ** (-seen / 5)
    return (importance(agrees, passes, seen, extremity) * boost) ** 2
