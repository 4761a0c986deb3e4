"""The policy as one JSON object (``heard policy export``): its versions with their hashes,
its clauses with their words per language and their trace, the coverage of the themes, and
(as check-back and endorsement are built) the feedback, amendments and decisions.

Issued versions only, unless drafts are asked for: a draft is the team's work in progress and
has no hash yet. Every clause's words are given exactly as issued; a quote is a reference
(contribution id, start, length) into the open data, never a copy of the words.
"""

from __future__ import annotations

from typing import Any

from heard.policy import checkback, services
from heard.policy.models import Answer, ClauseFeedback, Decision, FeedbackRound, Policy

FORMAT = "heard.policy.export/1"


def _texts(clause) -> dict[str, dict[str, str]]:
    return {
        "heading": {k: v for k, v in (("en", clause.heading_en), ("mi", clause.heading_mi)) if v},
        "text": {k: v for k, v in (("en", clause.text_en), ("mi", clause.text_mi)) if v},
    }


def export(policy: Policy, *, drafts: bool = False) -> dict[str, Any]:
    versions = [v for v in policy.versions.order_by("number") if v.issued or drafts]
    standing = services.themes_of(policy)
    labels = {t.pk: t.label for t in standing}
    clauses: dict[str, dict[str, Any]] = {}
    version_rows = []
    content = None
    for version in versions:
        content = services.content_of(version)
        version_rows.append(
            {
                "number": version.number,
                "status": version.status,
                "hash": version.content_hash or None,
                "log_index": version.log_index,
                "issued_at": version.issued_at.isoformat() if version.issued_at else None,
                "based_on": version.based_on.number if version.based_on else None,
                "note": version.note,
                "clauses": [c.key for c in content.clauses],
            }
        )
        for clause in content.clauses:
            entry = clauses.setdefault(clause.key, {"id": clause.key, "versions": {}})
            entry["kind"] = clause.kind
            entry.update(_texts(clause))
            entry["trace"] = {
                "themes": [{"id": t, "label": labels.get(t, "")} for t in sorted(clause.themes)],
                "quotes": [
                    {"contribution": q.contribution, "start": q.start, "length": q.length}
                    for q in clause.quotes
                ],
                "not_from_engagement": clause.not_from_engagement or None,
            }
            entry["versions"][str(version.number)] = _texts(clause)
    coverage = None
    if versions:
        last = versions[-1]
        # The last version's content is the one the loop read last.
        found = services.coverage_of(last, content=content, themes=standing)
        coverage = {
            "version": last.number,
            "answered": [
                {"theme": t, "label": labels.get(t, ""), "clauses": keys}
                for t, keys in found.answered.items()
            ],
            "set_aside": [
                {"theme": t, "label": labels.get(t, ""), "reason": reason}
                for t, reason in found.set_aside.items()
            ],
            "unanswered": [{"theme": t, "label": labels.get(t, "")} for t in found.unanswered],
            "clauses_without_evidence": found.without_evidence,
            "not_from_engagement": found.not_from_engagement,
        }
    return {
        "format": FORMAT,
        "engagement": policy.engagement.slug,
        "title": policy.title,
        "title_mi": policy.title_mi or None,
        "theme_run": policy.theme_run.version,
        "versions": version_rows,
        "clauses": list(clauses.values()),
        "coverage": coverage,
        "feedback": feedback(policy, {v.pk for v in versions}),
        # Amendments tied to feedback join here when that slice is built.
        "amendments": [],
        "decisions": decisions(policy, {v.pk for v in versions}),
    }


def feedback(policy: Policy, version_ids: set[int]) -> list[dict[str, Any]]:
    """Each check-back round on the exported versions: per clause, the answers to each question
    (online and by hands at hui) and the comments that may be published (exact words; the
    pseudonym only with "quote" consent); comments kept but withheld are counted, not shown."""
    rounds = FeedbackRound.objects.filter(version_id__in=version_ids).select_related("version")
    found = []
    for feedback_round in rounds.order_by("version__number"):
        clauses = []
        for item in checkback.summary(feedback_round):
            clauses.append(
                {
                    "clause": item.key,
                    "questions": {
                        q.key: {
                            "online": {a: q.online[a] for a in Answer.values},
                            "hands": {a: q.hands[a] for a in Answer.values},
                        }
                        for q in item.questions
                    },
                    "comments": [_comment(row) for row in item.comments],
                    "comments_withheld": item.withheld_comments,
                }
            )
        shown, withheld = checkback.draft_comments(feedback_round)
        found.append(
            {
                "version": feedback_round.version.number,
                "opened_at": feedback_round.opened_at.isoformat(),
                "closed_at": feedback_round.closed_at.isoformat()
                if feedback_round.closed_at
                else None,
                "log_index": feedback_round.log_index,
                "clauses": clauses,
                "draft_comments": [_comment(row) for row in shown],
                "draft_comments_withheld": withheld,
            }
        )
    return found


def _comment(row: ClauseFeedback) -> dict[str, Any]:
    return {"text": row.comment, "by": row.attribution, "log_index": row.log_index}


def decisions(policy: Policy, version_ids: set[int]) -> list[dict[str, Any]]:
    """The working group's decisions on the exported versions, each with the hash it binds."""
    rows = (
        Decision.objects.filter(version_id__in=version_ids)
        .select_related("version", "group")
        .prefetch_related("positions__member")
        .order_by("recorded_at", "id")
    )
    return [
        {
            "group": d.group.name,
            "version": d.version.number,
            "version_hash": d.version_hash,
            "outcome": d.outcome,
            "changes": d.changes or None,
            "decided_on": d.decided_on.isoformat(),
            "log_index": d.log_index,
            "minutes": d.minutes,
            "positions": [
                {
                    "member": p.member.public_id,
                    "name": p.member.name,
                    "role": p.member.role,
                    "stance": p.stance,
                    "dissent": p.dissent or None,
                }
                for p in d.positions.all()
            ],
        }
        for d in rows
    ]
