"""Who we heard against who lives here: the team's population shares (no Django import).

The team enters, for a dimension (region, audience, language, a self-described answer such as
age), each group's share of the population, e.g. from the census, and where the figures come
from. The report then prints, for each group, its share of the people heard beside its share
of the population, and flags a group heard at less than ``UNDER`` of its population share, or
not at all. Flagged groups are listed in the text, not only marked in the table: an
engagement's gaps are part of its findings (see docs/decisions/22-report-population.md).

The heard share is taken over the people in the groups the population shares cover, so that
people who did not say ("Prefer not to say", no hui region) do not make every group look
under-represented. A rare self-described answer (its count not printed) is left out of that
base too, so that no printed share gives its count away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: A group heard at less than this fraction of its population share is flagged.
UNDER = 0.8
MAX_GROUPS = 60
GROUP_MAX = 100
SOURCE_MAX = 300
#: Shares may add up to a little over 100 (rounded census tables).
TOTAL_SLACK = 0.5


#: Why shares cannot be used, as templates over the error's params (English here; the app
#: translates the same templates, heard.report.services.SHARES_MESSAGES).
MESSAGES = {
    "no_name": "A population share needs the group's name.",
    "long_name": "Keep group names under %(max)s characters: %(group)s…",
    "not_number": "%(group)s: give the share as a number, e.g. 16.5.",
    "out_of_range": "%(group)s: a share is a percentage between 0 and 100.",
    "twice": "%(group)s is listed twice.",
    "too_many": "Give at most %(max)s groups.",
    "over_100": "The shares add up to %(total)s%%, more than 100%%.",
}


class SharesError(ValueError):
    """Population shares that cannot be used; ``code`` and ``params`` say which and why."""

    def __init__(self, code: str, **params: object) -> None:
        self.code, self.params = code, params
        super().__init__(MESSAGES[code] % params)


def clean_shares(shares: dict[str, object]) -> dict[str, float]:
    """Groups and their percentages, checked: names present and short, each 0–100, at most
    ``MAX_GROUPS``, adding up to no more than 100 (with rounding slack)."""
    cleaned: dict[str, float] = {}
    for raw_group, raw_value in shares.items():
        group = str(raw_group).strip()
        if not group:
            raise SharesError("no_name")
        if len(group) > GROUP_MAX:
            raise SharesError("long_name", max=GROUP_MAX, group=group[:40])
        try:
            value = float(str(raw_value).strip().rstrip("%"))
        except ValueError:
            raise SharesError("not_number", group=group) from None
        if not math.isfinite(value) or not 0 <= value <= 100:
            raise SharesError("out_of_range", group=group)
        if group in cleaned:
            raise SharesError("twice", group=group)
        cleaned[group] = round(value, 2)
    if len(cleaned) > MAX_GROUPS:
        raise SharesError("too_many", max=MAX_GROUPS)
    total = sum(cleaned.values())
    if total > 100 + TOTAL_SLACK:
        raise SharesError("over_100", total=f"{total:g}")
    return cleaned


@dataclass(frozen=True)
class Compared:
    heard_percent: float | None  # None for a rare answer, whose share is not printed
    population_percent: float
    ratio: float | None  # heard share ÷ population share; None when not printed or not defined
    flag: str  # "not_heard", "under" or ""


def compare(
    people: dict[str, int], shares: dict[str, float], rare: dict[str, int] | None = None
) -> dict[str, Compared]:
    """Each group with a population share, compared with the people heard in it.

    ``rare`` holds groups whose count is not printed (fewer than ``bound`` people, the value
    given): they are left out of the heard shares' base, so no printed share gives their count
    away, and flagged only when even the most they could be (``bound - 1`` people) is under."""
    rare = rare or {}
    covered = sum(people.get(group, 0) for group in shares if group not in rare)
    result = {}
    for group, population_percent in shares.items():
        if group in rare:
            most = 100 * (rare[group] - 1) / (covered + rare[group] - 1)
            under = population_percent and most < UNDER * population_percent
            result[group] = Compared(None, population_percent, None, "under" if under else "")
            continue
        heard = people.get(group, 0)
        exact = 100 * heard / covered if covered else 0.0
        ratio = round(exact / population_percent, 2) if population_percent else None
        if population_percent and heard == 0:
            flag = "not_heard"
        elif ratio is not None and ratio < UNDER:
            flag = "under"
        else:
            flag = ""
        result[group] = Compared(round(exact, 1), population_percent, ratio, flag)
    return result
