"""The working group and its decisions: the one door for writing them.

A decision is on an *issued* version and bound to that version's hash: the hash is copied onto
the decision and into its ``policy.decision`` record entry, so anyone can check that what the
group endorsed is byte for byte the version published. Every member serving on the day of the
decision has a position (support, reservations, oppose, abstain, absent), and dissent is kept
in the member's own words; the record holds digests of the minutes and of each dissent.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.policy.models import (
    REASON_MAX,
    TEXT_MAX,
    Decision,
    GroupMember,
    PolicyVersion,
    Position,
    WorkingGroup,
)
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType
from heard.sense.recording import staff_pseudonym


def _required(value: str, message: str, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    if len(value) > limit:
        raise ValidationError(_("Keep it under %(max)s characters.") % {"max": f"{limit:,}"})
    return value


def form_group(
    engagement: Engagement, *, name: str, mandate: str, name_mi: str = ""
) -> WorkingGroup:
    """The engagement's working group (one per engagement), with its public mandate."""
    name = _required(name, _("Give the group its name."), 200)
    mandate = _required(
        mandate, _("Say who appointed the group, to do what, and how it decides: it is public.")
    )
    with transaction.atomic():
        if WorkingGroup.objects.filter(engagement=engagement).exists():
            raise ValidationError(_("This engagement already has a working group."))
        return WorkingGroup.objects.create(
            engagement=engagement, name=name, name_mi=(name_mi or "").strip()[:200], mandate=mandate
        )


def add_member(
    group: WorkingGroup,
    *,
    name: str,
    role: str = GroupMember.Role.MEMBER,
    affiliation: str = "",
    term_start: dt.date,
    term_end: dt.date | None = None,
    user=None,
    by=None,
) -> GroupMember:
    """Appoint a member for a term; a ``policy.member_added`` entry (public id, role, term)."""
    name = _required(name, _("Give the member's name."), 200)
    if role not in GroupMember.Role.values:
        raise ValidationError(_("Choose the member's role."))
    if term_end is not None and term_end < term_start:
        raise ValidationError(_("A term ends on or after the day it starts."))
    with transaction.atomic():
        member = GroupMember.objects.create(
            group=group,
            public_id="m-" + secrets.token_hex(5),
            name=name,
            role=role,
            affiliation=(affiliation or "").strip()[:200],
            term_start=term_start,
            term_end=term_end,
            user=user,
        )
        entry = record.append(
            EventType.POLICY_MEMBER_ADDED,
            {
                "engagement": group.engagement.slug,
                "member": member.public_id,
                "role": role,
                "term_start": term_start.isoformat(),
                "term_end": term_end.isoformat() if term_end else None,
                "by": staff_pseudonym(group.engagement, by),
                "at": events.timestamp(timezone.now()),
            },
        )
        GroupMember.objects.filter(pk=member.pk).update(log_index=entry.index)
        member.log_index = entry.index
    return member


def _dissent(text: str) -> str:
    text = (text or "").strip()
    if len(text) > REASON_MAX:
        raise ValidationError(
            _("Keep a dissent under %(max)s characters.") % {"max": f"{REASON_MAX:,}"}
        )
    return text


def serving(group: WorkingGroup, day: dt.date) -> list[GroupMember]:
    return [m for m in group.members.order_by("term_start", "id") if m.serves_on(day)]


def record_decision(
    group: WorkingGroup,
    version: PolicyVersion,
    *,
    outcome: str,
    minutes: str,
    positions: Mapping[int, tuple[str, str]],
    decided_on: dt.date,
    changes: str = "",
    by=None,
) -> Decision:
    """Record the group's decision on an issued version, bound to its hash. ``positions`` maps
    each serving member's id to (stance, dissent); every member serving that day needs one, and
    no one else may have one. "Endorse with changes" needs the changes written down."""
    if version.policy.engagement_id != group.engagement_id:
        raise ValidationError(_("That version is not this engagement's policy."))
    if not version.issued or not version.content_hash:
        raise ValidationError(
            _("Only an issued version can be decided on: its hash is what the decision binds.")
        )
    if outcome not in Decision.Outcome.values:
        raise ValidationError(_("Choose the decision: endorse, endorse with changes, or decline."))
    minutes = _required(minutes, _("Keep the minutes of the decision: they are public."))
    changes = (changes or "").strip()
    if outcome == Decision.Outcome.ENDORSE_WITH_CHANGES and not changes:
        raise ValidationError(_("Say which changes the endorsement depends on."))
    if decided_on > timezone.localdate():
        raise ValidationError(_("A decision cannot be dated in the future."))
    members = {m.pk: m for m in serving(group, decided_on)}
    if not members:
        raise ValidationError(_("No member of the group was serving on that day."))
    given = {int(k): v for k, v in positions.items()}
    if set(given) != set(members):
        missing = sorted(members[m].name for m in set(members) - set(given))
        if missing:
            raise ValidationError(
                _("Record a position for every member serving that day: %(names)s.")
                % {"names": ", ".join(missing)}
            )
        raise ValidationError(_("Only members serving on the day of the decision take a position."))
    cleaned: dict[int, tuple[str, str]] = {}
    for member_id, (stance, dissent) in given.items():
        if stance not in Position.Stance.values:
            raise ValidationError(
                _("Choose a position for %(name)s.") % {"name": members[member_id].name}
            )
        cleaned[member_id] = (stance, _dissent(dissent))
    stances = Counter(stance for stance, _words in cleaned.values())
    now = timezone.now()
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if locked.content_hash != version.content_hash:
            raise ValidationError(_("The version changed while the decision was being recorded."))
        fields = {
            "engagement": group.engagement.slug,
            "version": locked.number,
            "version_hash": locked.content_hash,
            "outcome": outcome,
            "decided_on": decided_on.isoformat(),
            "minutes_sha256": events.digest(minutes),
            "changes_sha256": events.digest(changes) if changes else None,
            "dissents": sum(1 for _s, d in cleaned.values() if d),
            "by": staff_pseudonym(group.engagement, by),
            "at": events.timestamp(now),
        }
        fields.update({f"n_{stance}": n for stance, n in sorted(stances.items())})
        entry = record.append(EventType.POLICY_DECISION, fields)
        decision = Decision.objects.create(
            group=group,
            version=locked,
            version_hash=locked.content_hash,
            outcome=outcome,
            changes=changes,
            minutes=minutes,
            decided_on=decided_on,
            recorded_by=by,
            recorded_at=now,
            log_index=entry.index,
        )
        Position.objects.bulk_create(
            [
                Position(decision=decision, member_id=member_id, stance=stance, dissent=dissent)
                for member_id, (stance, dissent) in cleaned.items()
            ]
        )
    return decision
