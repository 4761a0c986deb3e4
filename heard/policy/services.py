"""The one door through which the policy is written: start it, write and trace clauses in a
draft version, issue a version (its hash into the record), make the next version from the
last, and set themes aside with a public reason.

An issued version is never edited: every write here checks that the version is a draft, under
a lock on its row, so two editors cannot slip a change in while it is being issued.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.listen.models import Contribution
from heard.policy import coverage as coverage_module
from heard.policy import document
from heard.policy.models import (
    KEY_MAX,
    REASON_MAX,
    TEXT_MAX,
    Clause,
    ClauseQuote,
    ClauseVersion,
    Policy,
    PolicyVersion,
    ThemeSetAside,
)
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType
from heard.sense import queries as sense_queries
from heard.sense.models import Theme, ThemeMembership
from heard.sense.recording import staff_pseudonym

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9.\-]{0,19}$")


def start_policy(engagement: Engagement, *, by, title: str, title_mi: str = "") -> Policy:
    """The engagement's policy and its first (draft) version, answering the latest finished
    theme analysis."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the policy a title."))
    run = sense_queries.latest_done_run(engagement)
    if run is None:
        raise ValidationError(
            _("Run a theme analysis first: the policy's clauses are traced to its themes.")
        )
    with transaction.atomic():
        if Policy.objects.filter(engagement=engagement).exists():
            raise ValidationError(_("This engagement already has a policy."))
        policy = Policy.objects.create(
            engagement=engagement, title=title[:300], title_mi=(title_mi or "").strip()[:300],
            theme_run=run,
        )  # fmt: skip
        PolicyVersion.objects.create(policy=policy, number=1, created_by=by)
    return policy


def latest_version(policy: Policy) -> PolicyVersion:
    return policy.versions.order_by("-number").first()


def issued_versions(policy: Policy) -> QuerySet[PolicyVersion]:
    """The issued versions, oldest first, without their canonical text (what the public may
    read, and what check-back and decisions are on)."""
    return (
        policy.versions.filter(status=PolicyVersion.Status.ISSUED)
        .defer("canonical")
        .order_by("number")
    )


def latest_issued(policy: Policy) -> PolicyVersion | None:
    return policy.versions.filter(status=PolicyVersion.Status.ISSUED).order_by("-number").first()


def has_issued(engagement: Engagement) -> bool:
    """Whether the engagement's policy has a version the public may read."""
    return PolicyVersion.objects.filter(
        policy__engagement=engagement, status=PolicyVersion.Status.ISSUED
    ).exists()


def _draft(version: PolicyVersion) -> PolicyVersion:
    """The version locked for writing; refused when it is issued."""
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.issued:
        raise ValidationError(
            _("Version %(n)s is issued and never changes: make the next version to edit it.")
            % {"n": locked.number}
        )
    return locked


def _text(value: str, name: str, limit: int = TEXT_MAX) -> str:
    value = value or ""
    if len(value) > limit:
        raise ValidationError(
            _("Keep %(name)s under %(max)s characters.") % {"name": name, "max": f"{limit:,}"}
        )
    return value


def write_clause(
    version: PolicyVersion,
    key: str,
    *,
    kind: str = Clause.Kind.CLAUSE,
    heading_en: str = "",
    heading_mi: str = "",
    text_en: str = "",
    text_mi: str = "",
    position: int | None = None,
) -> ClauseVersion:
    """Add a clause to a draft version, or rewrite its words there. A new key makes a new
    clause; a key already used in the policy is the same clause (its identity is kept). The
    words are kept exactly as written."""
    key = (key or "").strip()
    if not KEY.match(key):
        raise ValidationError(
            _(
                "A clause key starts with a letter and holds letters, digits, dots or dashes "
                "(at most %(n)s), e.g. P1 or G2.3."
            )
            % {"n": KEY_MAX}
        )
    if kind not in Clause.Kind.values:
        raise ValidationError(_("Choose the kind of clause."))
    heading_en = _text(heading_en, _("the heading"), 300).strip()
    heading_mi = _text(heading_mi, _("the heading"), 300).strip()
    text_en, text_mi = _text(text_en, _("the text")), _text(text_mi, _("the text"))
    if not (text_en.strip() or text_mi.strip()):
        raise ValidationError(_("Write the clause in English, te reo Māori or both."))
    with transaction.atomic():
        version = _draft(version)
        try:
            with transaction.atomic():
                clause, _created = Clause.objects.get_or_create(policy=version.policy, key=key)
        except IntegrityError:
            clause = Clause.objects.get(policy=version.policy, key=key)
        existing = ClauseVersion.objects.filter(version=version, clause=clause).first()
        if position is None:
            position = (
                existing.position
                if existing
                else (version.clause_versions.aggregate(p=Max("position"))["p"] or 0) + 1
            )
        fields = {
            "kind": kind,
            "heading_en": heading_en,
            "heading_mi": heading_mi,
            "text_en": text_en,
            "text_mi": text_mi,
            "position": position,
        }
        if existing:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.save()
            return existing
        return ClauseVersion.objects.create(version=version, clause=clause, **fields)


def remove_clause(version: PolicyVersion, key: str) -> None:
    """Take a clause out of a draft version (its identity and earlier versions stay)."""
    with transaction.atomic():
        version = _draft(version)
        deleted, _rows = ClauseVersion.objects.filter(version=version, clause__key=key).delete()
        if not deleted:
            raise ValidationError(_("Clause %(key)s is not in this version.") % {"key": key})


def trace_clause(
    clause_version: ClauseVersion,
    *,
    themes: Sequence[int] = (),
    quotes: Sequence[tuple[int, int, int]] = (),
    not_from_engagement: str = "",
) -> ClauseVersion:
    """Say what a clause answers: themes of the policy's analysis, and words of their
    contributions (exact spans of what may be quoted), or why it does not come from the
    engagement. One or the other: a clause may not be both."""
    reason = _text(not_from_engagement, _("the reason"), REASON_MAX).strip()
    theme_ids = sorted({int(t) for t in themes})
    refs = sorted({tuple(int(x) for x in q) for q in quotes})
    if reason and (theme_ids or refs):
        raise ValidationError(
            _("A clause either answers what was heard or says why it does not; not both.")
        )
    with transaction.atomic():
        version = _draft(clause_version.version)
        policy = version.policy
        standing = set(sense_queries.standing_themes(policy.theme_run).values_list("pk", flat=True))
        if not set(theme_ids) <= standing:
            raise ValidationError(_("Trace only to themes of the policy's analysis."))
        members = dict(
            ThemeMembership.objects.filter(
                run=policy.theme_run, contribution_id__in=[r[0] for r in refs]
            ).values_list("contribution_id", "theme_id")
        )
        stored = Contribution.objects.in_bulk([r[0] for r in refs])
        for ref in refs:
            problem = _quote_problem(ref, stored.get(ref[0]), policy, members, standing)
            if problem:
                raise ValidationError(problem)
        clause_version.themes.set(theme_ids)
        ClauseQuote.objects.filter(clause_version=clause_version).delete()
        ClauseQuote.objects.bulk_create(
            [ClauseQuote(clause_version=clause_version, contribution_id=c, start=s, length=n)
             for c, s, n in refs]
        )  # fmt: skip
        ClauseVersion.objects.filter(pk=clause_version.pk).update(not_from_engagement=reason)
        clause_version.not_from_engagement = reason
    return clause_version


def _quote_problem(ref, words, policy: Policy, members: dict, standing: set) -> str | None:
    """Why a span may not be cited by a clause, or None: it must be words of this engagement
    that may be quoted, inside the stored text, from a contribution in one of the themes."""
    cid, start, length = ref
    if words is None or words.engagement_id != policy.engagement_id:
        return _("Contribution %(id)s is not one of this engagement's.") % {"id": cid}
    if words.withheld() is not None:
        return _(
            "Contribution %(id)s may not be quoted (withdrawn, hidden or not for quoting); "
            "trace the clause to its theme instead."
        ) % {"id": cid}
    if length <= 0 or start < 0 or start + length > len(words.text):
        return _("That span is not inside contribution %(id)s.") % {"id": cid}
    if members.get(cid) not in standing:
        return _("Contribution %(id)s sits in no theme of the policy's analysis.") % {"id": cid}
    return None


def clause_content(row: ClauseVersion) -> document.ClauseContent:
    """One clause version as content (what is hashed). Prefetch ``themes`` and ``quotes``."""
    return document.ClauseContent(
        key=row.clause.key,
        kind=row.kind,
        heading_en=row.heading_en,
        heading_mi=row.heading_mi,
        text_en=row.text_en,
        text_mi=row.text_mi,
        themes=tuple(t.pk for t in row.themes.all()),
        quotes=tuple(
            document.QuoteRef(q.contribution_id, q.start, q.length) for q in row.quotes.all()
        ),
        not_from_engagement=row.not_from_engagement,
    )


def content_of(version: PolicyVersion) -> document.VersionContent:
    """The version as plain data (what is hashed), read from the database."""
    rows = list(
        version.clause_versions.select_related("clause")
        .prefetch_related("themes", "quotes")
        .order_by("position", "id")
    )
    policy = version.policy
    return document.VersionContent(
        engagement=policy.engagement.slug,
        title=policy.title,
        title_mi=policy.title_mi,
        number=version.number,
        clauses=tuple(clause_content(row) for row in rows),
    )


def issue(version: PolicyVersion, *, by, note: str = "") -> PolicyVersion:
    """Freeze a draft version: its canonical content and hash are kept, and the hash is a
    ``policy.version_issued`` record entry. Refused, saying why, while a clause has no words,
    or traces to what was heard and also says it does not."""
    note = _text(note, _("the note")).strip()
    with transaction.atomic():
        version = _draft(version)
        content = content_of(version)
        if not content.clauses:
            raise ValidationError(_("A version needs at least one clause."))
        problems = document.check(content)
        if problems:
            raise ValidationError(problems)
        canonical = document.canonical(content)
        digest = document.content_hash(content)
        now = timezone.now()
        entry = record.append(
            EventType.POLICY_VERSION_ISSUED,
            {
                "engagement": version.policy.engagement.slug,
                "version": version.number,
                "hash": digest,
                "clauses": len(content.clauses),
                "based_on": version.based_on.number if version.based_on else None,
                "note_sha256": events.digest(note) if note else None,
                "by": staff_pseudonym(version.policy.engagement, by),
                "at": events.timestamp(now),
            },
        )
        version.status = PolicyVersion.Status.ISSUED
        version.canonical = canonical.decode("utf-8")
        version.content_hash = digest
        version.log_index = entry.index
        version.issued_at, version.issued_by = now, by
        version.note = note or version.note
        version.save()
    return version


def next_version(policy: Policy, *, by) -> PolicyVersion:
    """A new draft made from the latest version (which must be issued): every clause with its
    words and trace, ready to amend."""
    with transaction.atomic():
        last = (
            PolicyVersion.objects.select_for_update()
            .filter(policy=policy)
            .order_by("-number")
            .first()
        )
        if last is not None and not last.issued:
            raise ValidationError(
                _("Version %(n)s is still a draft: issue it (or keep editing it) first.")
                % {"n": last.number}
            )
        new = PolicyVersion.objects.create(
            policy=policy, number=(last.number + 1) if last else 1, based_on=last, created_by=by
        )
        if last is None:
            return new
        for row in last.clause_versions.prefetch_related("themes", "quotes").order_by("position"):
            copy = ClauseVersion.objects.create(
                version=new,
                clause_id=row.clause_id,
                position=row.position,
                kind=row.kind,
                heading_en=row.heading_en,
                heading_mi=row.heading_mi,
                text_en=row.text_en,
                text_mi=row.text_mi,
                not_from_engagement=row.not_from_engagement,
            )
            copy.themes.set(row.themes.all())
            ClauseQuote.objects.bulk_create(
                [ClauseQuote(clause_version=copy, contribution_id=q.contribution_id,
                             start=q.start, length=q.length) for q in row.quotes.all()]
            )  # fmt: skip
    return new


def set_aside(policy: Policy, theme_id: int, *, by, reason: str) -> ThemeSetAside:
    """Leave a theme unanswered on purpose, with a reason the public reads."""
    reason = _text(reason, _("the reason"), REASON_MAX).strip()
    if not reason:
        raise ValidationError(_("Say why the policy does not answer this theme: it is public."))
    theme = Theme.objects.filter(pk=theme_id, run=policy.theme_run, merged_into=None).first()
    if theme is None:
        raise ValidationError(_("That is not a theme of the policy's analysis."))
    with transaction.atomic():
        Policy.objects.select_for_update().get(pk=policy.pk)
        if ThemeSetAside.objects.filter(policy=policy, theme=theme, lifted_at=None).exists():
            raise ValidationError(_("This theme is already set aside."))
        entry = record.append(
            EventType.POLICY_THEME_SET_ASIDE,
            {
                "engagement": policy.engagement.slug,
                "theme": theme.pk,
                "reason_sha256": events.digest(reason),
                "by": staff_pseudonym(policy.engagement, by),
                "at": events.timestamp(timezone.now()),
            },
        )
        return ThemeSetAside.objects.create(
            policy=policy, theme=theme, reason=reason, by=by, log_index=entry.index
        )


def take_back(policy: Policy, theme_id: int, *, by) -> None:
    """Undo a set-aside: the theme counts as unanswered again (the row and both entries stay)."""
    with transaction.atomic():
        row = (
            ThemeSetAside.objects.select_for_update()
            .filter(policy=policy, theme_id=theme_id, lifted_at=None)
            .first()
        )
        if row is None:
            raise ValidationError(_("This theme is not set aside."))
        now = timezone.now()
        record.append(
            EventType.POLICY_THEME_TAKEN_BACK,
            {
                "engagement": policy.engagement.slug,
                "theme": row.theme_id,
                "by": staff_pseudonym(policy.engagement, by),
                "at": events.timestamp(now),
            },
        )
        row.lifted_at = now
        row.save(update_fields=["lifted_at"])


def themes_of(policy: Policy) -> list[Theme]:
    """The standing themes of the policy's analysis, in the analysis's order."""
    return list(sense_queries.standing_themes(policy.theme_run))


def coverage_of(
    version: PolicyVersion,
    *,
    content: document.VersionContent | None = None,
    themes: Sequence[Theme] | None = None,
) -> coverage_module.Coverage:
    """Which themes the version answers, sets aside or leaves unanswered. A caller that has
    read the version's ``content`` or the policy's ``themes`` (``themes_of``) already passes
    them, so they are not read twice."""
    policy = version.policy
    if content is None:
        content = content_of(version)
    if themes is None:
        themes = themes_of(policy)
    quoted = {q.contribution for c in content.clauses for q in c.quotes}
    theme_of = dict(
        ThemeMembership.objects.filter(run=policy.theme_run, contribution_id__in=quoted)
        .exclude(theme=None)
        .values_list("contribution_id", "theme_id")
    )
    reasons = dict(
        ThemeSetAside.objects.filter(policy=policy, lifted_at=None).values_list(
            "theme_id", "reason"
        )
    )
    return coverage_module.coverage([t.pk for t in themes], content.clauses, reasons, theme_of)
