"""The demo engagement's policy: about twenty clauses shaped like a data protection and use
policy (five principles, guidelines under them), traced to the demo's themes, and issued as
version 1. What ``heard demo`` adds after the findings.

The principles' names are those of New Zealand's Data Protection and Use Policy (Crown
copyright, CC BY 4.0); every clause's words are ours. The demo's themes are found by the real
engine, so a clause is traced to the themes whose key phrases match its topic words, and its
principle to the first quotable key quote of its best theme: a newcomer can follow each clause
back to people's words. Idempotent: an engagement with a policy is left alone.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from heard.core.models import Membership
from heard.core.permissions import Role
from heard.engagements.models import Engagement
from heard.policy import checkback, endorsement, services
from heard.policy.models import Policy
from heard.report.gather import quote_of
from heard.sense.models import KeyQuote

# (key, kind, heading_en, heading_mi, text_en, topic words)
CLAUSES: list[tuple[str, str, str, str, str, tuple[str, ...]]] = [
    ("PRE", "preamble", "Why this policy", "He aha tēnei kaupapa here",
     "This policy says how agencies, and the organisations they fund, collect, use and share "
     "information about the people they serve. It was written from what people told us at hui "
     "and online: each clause shows the themes and the words it answers.",
     ("people", "information")),
    ("P1", "principle", "He Tāngata", "He Tāngata",
     "Use information to improve people's lives, and be able to show how each use does that.",
     ("useful", "results", "data, used")),
    ("P2", "principle", "Manaakitanga", "Manaakitanga",
     "Respect and uphold the mana and dignity of the people the information is about: never "
     "use it to judge, shame or surprise them.",
     ("trust", "fear", "mana")),
    ("P3", "principle", "Mana Whakahaere", "Mana Whakahaere",
     "Give people choice, access and oversight over information about them, in ways that work "
     "for them.",
     ("opt", "real choice", "decision making")),
    ("P4", "principle", "Kaitiakitanga", "Kaitiakitanga",
     "Act as a steward people understand and trust: keep information safe, and tell people what "
     "happens to it.",
     ("breaches", "anonymised", "risk")),
    ("P5", "principle", "Mahitahitanga", "Mahitahitanga",
     "Work as equals with communities, iwi and providers, and share what is learned.",
     ("kaupapa", "whānau", "taonga")),
    ("G1", "guideline", "Purpose matters", "",
     "Before collecting anything, write down why it is needed and what it will be used for, and "
     "collect only that.",
     ("use", "used", "reporting")),
    ("G1.1", "clause", "", "",
     "Funders ask providers only for the client information the purpose needs, and say why in "
     "the contract.",
     ("contract", "funding", "funders")),
    ("G1.2", "clause", "", "",
     "Information given for one service is not used for another purpose without going back to "
     "the person.",
     ("consent", "form")),
    ("G2", "guideline", "Transparency and choice", "",
     "No surprises: tell people, in the words they use, what will happen to their information "
     "before it happens.",
     ("surprises", "tell", "told")),
    ("G2.1", "clause", "", "",
     "Do not use the language of consent where people have no real choice; say plainly what is "
     "required and what is optional.",
     ("real choice", "opt", "consent")),
    ("G2.2", "clause", "", "",
     "Offer information in the formats people need: te reo Māori, Pacific languages, NZSL, easy "
     "read, print and phone.",
     ("nzsl", "deaf", "easy read", "print", "pacific", "tongan")),
    ("G3", "guideline", "Access to information", "",
     "Make it easy for people to see the information held about them, and to have mistakes "
     "corrected.",
     ("file", "wrong", "letter")),
    ("G3.1", "clause", "", "",
     "Where another agency holds the information someone asks for, pass the request on within "
     "10 working days and tell the person.",
     ("agency", "complain", "ministry")),
    ("G4", "guideline", "Sharing value", "",
     "Plan from the start how insights will be shared back with the people and communities they "
     "came from.",
     ("publish", "results", "share")),
    ("G4.1", "clause", "", "",
     "Iwi and Māori have a say in how data about their people is governed, as taonga.",
     ("iwi", "hapū", "taonga", "raraunga", "crown")),
    ("G4.2", "clause", "", "",
     "Anonymised data used for research is checked for the risk of re-identification before it "
     "is shared.",
     ("anonymised", "anonymous", "linked")),
    ("G4.3", "clause", "", "",
     "Young people, parents and whānau are asked directly, through schools, families and hui, "
     "how information about them is used.",
     ("school", "parents", "young", "families")),
    ("L1", "clause", "The law", "",
     "Agencies follow the Privacy Act 2020 and its information privacy principles in everything "
     "this policy covers.",
     ()),
    ("A1", "clause", "Accountability", "",
     "Each agency names a person responsible for this policy and reports each year on how it "
     "is followed.",
     ()),
]  # fmt: skip
LAW = "The law applies whatever was heard; the policy says so to read whole."
SET_ASIDE = (
    "hui",
    "Thanks and comments about the hui themselves: they shape how we run the check-back, "
    "not what the policy says.",
)


def _score(theme, words: tuple[str, ...]) -> int:
    phrases = [p.lower() for p in [*(theme.keywords or []), *theme.label.split(", ")]]
    return sum(1 for w in words if w.lower() in phrases)


def ensure_demo_policy(engagement: Engagement) -> Policy | None:
    """Write, trace and issue the demo's policy (as the first team member); None when it has
    one already or no theme analysis has finished."""
    if Policy.objects.filter(engagement=engagement).exists():
        return None
    member = (
        Membership.objects.filter(engagement=engagement, role=Role.TEAM)
        .select_related("user")
        .order_by("id")
        .first()
    )
    by = member.user if member else None
    try:
        policy = services.start_policy(
            engagement,
            by=by,
            title="Data protection and use policy (draft for the demo)",
            title_mi="Kaupapa here mō te tiaki me te whakamahi raraunga",
        )
    except ValidationError:
        return None
    draft = services.latest_version(policy)
    themes = services.themes_of(policy)
    for key, kind, heading, heading_mi, text, words in CLAUSES:
        clause = services.write_clause(
            draft, key, kind=kind, heading_en=heading, heading_mi=heading_mi, text_en=text
        )
        if key == "L1":
            services.trace_clause(clause, not_from_engagement=LAW)
            continue
        ranked = sorted(
            (t for t in themes if _score(t, words)), key=lambda t: (-_score(t, words), t.position)
        )[:2]
        quotes = []
        if kind == "principle" and ranked:
            for kq in KeyQuote.objects.filter(theme=ranked[0]).select_related(
                "contribution__participant"
            ):
                if quote_of(kq.contribution, kq.start, kq.length) is not None:
                    quotes.append((kq.contribution_id, kq.start, kq.length))
                    break
        if ranked:
            services.trace_clause(clause, themes=[t.pk for t in ranked], quotes=quotes)
    word, reason = SET_ASIDE
    answered = services.coverage_of(draft).answered
    for theme in themes:
        if theme.label.split(", ")[0] == word and theme.pk not in answered:
            services.set_aside(policy, theme.pk, by=by, reason=reason)
    version = services.issue(draft, by=by, note="The first draft, for the check-back.")
    _demo_check_back(engagement, version, by)
    _demo_endorsement(engagement, version, by)
    return policy


#: Comments the demo's people left on clauses in the check-back (invented, in our words).
COMMENTS = {
    "P3": [
        ("no", "Choice means nothing if the form says sign or no benefit."),
        ("partly", "Add supported decision-making. My sister needs help to choose, not someone "
                   "choosing for her."),
    ],
    "G2.2": [("yes", "Thank you for NZSL. Please make the videos captioned too.")],
    "G4.1": [("partly", "Iwi having 'a say' is not the same as iwi deciding.")],
    "G1.1": [("yes", "This is what we asked for at the providers' hui.")],
}  # fmt: skip


HUI_HANDS = (("P3", {"yes": 9, "partly": 6, "no": 4}), ("G2", {"yes": 17, "partly": 2}))


def _demo_check_back(engagement: Engagement, version, by) -> None:
    """The check-back round on version 1: answers from forty people online, a few comments,
    two hui voting by show of hands; then closed."""
    import random

    from heard.listen.models import Participant
    from heard.plan.models import Hui

    feedback_round = checkback.open_round(version, by=by)
    people = list(
        Participant.objects.filter(engagement=engagement, user__isnull=False).order_by("id")[:40]
    )
    keys = [row.clause.key for row in version.clause_versions.select_related("clause")]
    rng = random.Random(7)  # noqa: S311 -- demo data, seeded so every load is the same
    doubtful = {"P3", "G4.1", "G4.3", "A1"}
    for n, person in enumerate(people):
        for key in rng.sample(keys, 5):
            weights = (2, 3, 3, 1) if key in doubtful else (7, 2, 1, 1)
            heard, reflects, integrity = (
                rng.choices(["yes", "partly", "no", "unsure"], weights)[0] for _ in range(3)
            )
            checkback.give_feedback(
                feedback_round, person, clause_key=key,
                heard=heard, reflects=reflects, integrity=integrity,
            )  # fmt: skip
        if n == 0:
            checkback.give_feedback(
                feedback_round, person, clause_key=None,
                comment="Good to see our words come back. Keep taking it back to the hui.",
            )  # fmt: skip
    for (key, remarks), person in zip(COMMENTS.items(), reversed(people), strict=False):
        for answer, comment in remarks:
            checkback.give_feedback(
                feedback_round, person, clause_key=key, heard=answer, comment=comment,
                quote_consent="anonymous",
            )  # fmt: skip
    for hui in Hui.objects.filter(engagement=engagement).order_by("starts_at")[:2]:
        for key, counts in HUI_HANDS:
            checkback.record_tally(
                feedback_round, hui=hui, clause_key=key, question="heard", counts=counts,
                note="Show of hands at the end of the hui.", by=by,
            )  # fmt: skip
    checkback.close_round(feedback_round, by=by)


#: The demo's working group: invented people (any likeness is chance). Rāwiri signs in as the
#: demo's working-group account.
MEMBERS = [
    ("Hine Te Whata", "chair", "Community representative, Tairāwhiti", ""),
    ("Rāwiri Ngata", "member", "Iwi data governance", "rawiri.wg"),
    ("Sione Latu", "member", "Pacific community services", ""),
    ("Meera Patel", "member", "Privacy law", ""),
    ("Jo Williams", "member", "Disabled people's organisation", ""),
]
POSITIONS = {
    "Hine Te Whata": ("support", ""),
    "Rāwiri Ngata": (
        "reservations",
        "G4.1 must say who decides for iwi, not only that iwi have a say.",
    ),
    "Sione Latu": ("support", ""),
    "Meera Patel": ("support", ""),
    "Jo Williams": (
        "oppose",
        "The draft says nothing about supported decision-making, which disabled people raised "
        "again and again. I cannot endorse it until it does.",
    ),
}


def _demo_endorsement(engagement: Engagement, version, by) -> None:
    """The group, its members, and its decision on version 1 ("endorse with changes")."""
    from django.contrib.auth import get_user_model

    group = endorsement.form_group(
        engagement,
        name="Independent working group (demo)",
        name_mi="Rōpū mahi motuhake",
        mandate=(
            "Appointed by the demo's sponsoring minister to oversee the engagement and the "
            "policy drafted from it. Decides by consensus where it can, by majority where it "
            "cannot; every member's position and dissent is published."
        ),
    )
    users = get_user_model().objects.in_bulk(
        [u for *_rest, u in MEMBERS if u], field_name="username"
    )
    today = timezone.localdate()
    start = today - dt.timedelta(days=200)
    members = {
        name: endorsement.add_member(
            group,
            name=name,
            role=role,
            affiliation=affiliation,
            term_start=start,
            user=users.get(username),
            by=by,
        )
        for name, role, affiliation, username in MEMBERS
    }
    endorsement.record_decision(
        group,
        version,
        outcome="endorse_with_changes",
        changes=(
            "Add a clause on supported decision-making; say in G4.1 who decides for iwi data; "
            "take the draft back to the community before the next version."
        ),
        minutes=(
            "The group met to consider version 1 against the findings and the coverage view. "
            "It noted four themes the draft does not answer yet, and one clause (A1) with no "
            "evidence behind it. Four members support the draft, one with reservations; one "
            "opposes it until supported decision-making is addressed."
        ),
        positions={members[name].pk: stance for name, stance in POSITIONS.items()},
        decided_on=today,
        by=by,
    )
