"""A conversation for the demo engagement: statements, votes from about 150 people, hui tallies.

Written in our own words for heard (fictional, like the rest of the demo). Votes come from a
seeded random model of three opinion groups (privacy first; share to serve people better; Māori
and iwi governance of Māori data) plus common ground most people agree with, so the map has
something real to find. Everything is written through ``heard.opinions.services``: every
statement, decision, vote and tally is an entry in the record. Idempotent: an engagement that
already has this conversation is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from heard.core.models import Membership
from heard.core.permissions import Role
from heard.engagements.models import Engagement
from heard.listen import services as listen
from heard.listen.models import Participant
from heard.opinions import mapping, services
from heard.opinions.models import Conversation, MapSnapshot, Statement
from heard.opinions.services import NewVote

TOPIC = "How should the social sector use people's data?"
DESCRIPTION = (
    "Short statements about collecting, sharing and using information about the people "
    "agencies serve. Vote on each: agree, disagree or pass. Add your own if something is "
    "missing. Together the votes show where people stand, and what nearly everyone agrees on."
)
SEED = 20261125
VOTERS = 150
GROUP_SHARES = (0.40, 0.35, 0.25)  # privacy first; share to serve better; Māori data governance

# How each group leans on a statement: probability of (agree, disagree); the rest pass.
LEAN = {
    "++": (0.88, 0.04),
    "+": (0.68, 0.14),
    "0": (0.35, 0.30),
    "-": (0.14, 0.70),
    "--": (0.04, 0.90),
}


@dataclass(frozen=True)
class DemoStatement:
    text: str
    leans: tuple[str, str, str]  # group 0, 1, 2
    language: str = "en"
    by_participant: bool = False
    meta: bool = False
    rejected: str = ""  # the public reason
    pending: bool = False


STATEMENTS: tuple[DemoStatement, ...] = (
    DemoStatement(
        "Agencies should tell people plainly what information they hold about them, and why.",
        ("++", "++", "++"),
    ),
    DemoStatement(
        "Everyone should be able to see the information held about them and have mistakes fixed.",
        ("++", "+", "++"),
    ),
    DemoStatement(
        "Sharing information between agencies means people don't have to tell their story "
        "over and over.",
        ("-", "++", "0"),
    ),
    DemoStatement(
        "Information should only move from one agency to another with the person's consent, "
        "every time.",
        ("++", "--", "+"),
    ),
    DemoStatement("Data about Māori should be governed by Māori.", ("0", "-", "++")),
    DemoStatement(
        "Using data to predict which families will need help is worth it if help arrives sooner.",
        ("--", "++", "-"),
    ),
    DemoStatement(
        "A computer should never decide on its own whether someone gets support.",
        ("++", "+", "++"),
    ),
    DemoStatement(
        "Every agency should publish, in plain language, each way it uses people's data.",
        ("++", "+", "+"),
    ),
    DemoStatement(
        "Personal information should be kept only as long as it is needed, then destroyed.",
        ("++", "0", "+"),
    ),
    DemoStatement("I trust government agencies to keep my information safe.", ("--", "++", "--")),
    DemoStatement(
        "Private companies should never be given personal information that government holds.",
        ("++", "-", "+"),
    ),
    DemoStatement("Data with names removed can be shared freely for research.", ("--", "++", "-")),
    DemoStatement(
        "Communities should get back the findings of research that used their data.",
        ("+", "+", "++"),
    ),
    DemoStatement(
        "People need an independent body with real powers to complain to about misuse of data.",
        ("++", "+", "++"),
    ),
    DemoStatement(
        "Matching data across agencies to catch benefit fraud is fair.", ("--", "++", "--")
    ),
    DemoStatement(
        "Health information should go to social services when someone is at risk of harm.",
        ("-", "++", "0"),
    ),
    DemoStatement(
        "Agencies should talk with iwi before using data about people in their rohe.",
        ("0", "-", "++"),
    ),
    DemoStatement(
        "I would share more about myself if I knew exactly who could see it.",
        ("+", "++", "+"),
    ),
    DemoStatement(
        "This conversation is a good way for people to have a say about their data.",
        ("+", "+", "+"),
        meta=True,
    ),
    DemoStatement("Me whai mana te iwi ki ōna ake raraunga.", ("0", "-", "++"), language="mi"),
    DemoStatement(
        "Me pātai ki te whānau i mua i te tuku i ō rātou raraunga ki tētahi atu tari.",
        ("++", "-", "++"),
        language="mi",
    ),
    DemoStatement(
        "Me mārama te kōrero a ngā tari kāwanatanga mō te whakamahinga o ā mātou raraunga.",
        ("++", "++", "++"),
        language="mi",
    ),
    DemoStatement(
        "Children's information needs stronger protection than adults' information.",
        ("++", "+", "++"),
        by_participant=True,
    ),
    DemoStatement(
        "If sharing my data means I get help sooner, I am fine with it.",
        ("-", "++", "-"),
        by_participant=True,
    ),
    DemoStatement(
        "The people running the ministry's data team are crooks and should all be sacked.",
        ("0", "0", "0"),
        by_participant=True,
        rejected="A personal attack on staff, not a point about how data is used.",
    ),
    DemoStatement(
        "People without the internet should be able to do all of this on paper.",
        ("+", "+", "+"),
        by_participant=True,
        pending=True,
    ),
)

# Hui whose show of hands is tallied: (hui key, how its room leaned across the three groups).
TALLY_HUI = (("h12", (0.15, 0.10, 0.75)), ("h24", (0.20, 0.70, 0.10)), ("h30", (0.60, 0.30, 0.10)))
TALLIED = (0, 3, 4, 9, 14)  # statement positions in STATEMENTS


def load_demo_conversation(engagement: Engagement) -> dict | None:
    """Add the demo's conversation to ``engagement``; returns counts, or None when it is
    already there."""
    existing = engagement.conversations.filter(topic=TOPIC).first()
    if existing is not None:
        if not existing.snapshots.filter(status=MapSnapshot.Status.FINISHED).exists():
            mapping.compute_now(existing)  # an earlier demo load stopped before its map
        return None
    with transaction.atomic():
        counts = _load(engagement)
    snapshot = mapping.compute_now(engagement.conversations.get(topic=TOPIC))
    counts["groups"] = (snapshot.result or {}).get("group_centres") and len(
        snapshot.result["group_centres"]
    )
    return counts


def _load(engagement: Engagement) -> dict:
    rng = random.Random(SEED)  # noqa: S311 (the demo's votes, reproducible; not a secret)
    team = _first(engagement, Role.TEAM)
    conversation = services.create_conversation(
        engagement,
        topic=TOPIC,
        description=DESCRIPTION,
        moderation=Conversation.Moderation.STRICT,
        allow_participant_statements=True,
        by=team,
    )
    voters = _voters(engagement, rng)
    authors = iter(voters[-10:])
    statements: list[tuple[DemoStatement, Statement]] = []
    for item in STATEMENTS:
        if item.by_participant:
            statement, _ = services.submit_statement(
                conversation, next(authors)[0], item.text, language=item.language
            )
            if item.rejected:
                services.moderate_statement(
                    statement, Statement.Status.REJECTED, by=team, reason=item.rejected
                )
            elif not item.pending:
                services.moderate_statement(statement, Statement.Status.ACCEPTED, by=team)
        else:
            statement, _ = services.seed_statement(
                conversation, item.text, by=team, language=item.language, is_meta=item.meta
            )
        statements.append((item, statement))

    open_to_vote = [(i, s) for i, s in statements if not i.rejected and not i.pending]
    now = timezone.now()
    votes = []
    for participant, group in voters:
        share = rng.uniform(0.55, 1.0)  # people stop at different points
        for item, statement in open_to_vote:
            if statement.author_id == participant.pk or rng.random() > share:
                continue
            votes.append(NewVote(participant, statement, _vote(rng, item.leans[group]), now))
    kept = services.cast_votes(conversation, votes)

    tallies = _tallies(engagement, statements, rng)
    return {
        "conversation": conversation.number,
        "statements": len(statements),
        "voters": len(voters),
        "votes": kept,
        "tallies": tallies,
    }


def _vote(rng: random.Random, lean: str) -> int:
    agree, disagree = LEAN[lean]
    draw = rng.random()
    if draw < agree:
        return 1
    if draw < agree + disagree:
        return -1
    return 0


def _first(engagement: Engagement, role: Role):
    membership = (
        Membership.objects.filter(engagement=engagement, role=role)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return membership.user if membership else None


def _voters(engagement: Engagement, rng: random.Random) -> list[tuple[Participant, int]]:
    """About 150 online participants, each in one of the three groups: the demo's own online
    participants (but the first, whose sign-in the demo prints, so a visitor finds statements
    left to vote on), and new ones to make up the number."""
    online = list(
        Participant.objects.filter(engagement=engagement, user__isnull=False).order_by("id")
    )[1:]
    missing = max(0, VOTERS - len(online))
    if missing:
        model = get_user_model()
        password = make_password(None)  # no sign-in: these people exist to vote in the demo
        made = model.objects.bulk_create(
            [
                model(username=f"{engagement.slug}-voter-{n:03d}", password=password)
                for n in range(1, missing + 1)
            ],
            ignore_conflicts=True,
        )
        names = [u.username for u in made]
        for user in model.objects.filter(username__in=names).order_by("username"):
            participant, _ = listen.join_as_participant(
                engagement, user, pseudonym=f"Voter {user.username.rsplit('-', 1)[-1]}"
            )
            online.append(participant)
    groups = rng.choices(range(3), weights=GROUP_SHARES, k=len(online))
    return list(zip(online[:VOTERS], groups, strict=False))


def _tallies(engagement: Engagement, statements, rng: random.Random) -> int:
    """Shows of hands at three hui on a few statements, one of them corrected afterwards."""
    hui_by_key = {h.key: h for h in engagement.hui.prefetch_related("facilitators")}
    held = [h for h in hui_by_key.values() if h.starts_at < timezone.now()]
    chosen = [(hui_by_key.get(key), mix) for key, mix in TALLY_HUI]
    chosen = [
        (hui or (held[i] if i < len(held) else None), mix) for i, (hui, mix) in enumerate(chosen)
    ]
    kept = 0
    for hui, mix in chosen:
        if hui is None:
            continue
        recorder = hui.facilitators.first() or _first(engagement, Role.TEAM)
        room = hui.attendance or 30
        for position in TALLIED:
            item, statement = statements[position]
            hands = {1: 0, -1: 0, 0: 0}
            for group in rng.choices(range(3), weights=mix, k=room):
                hands[_vote(rng, item.leans[group])] += 1
            services.record_tally(
                statement,
                hui,
                agree=hands[1],
                disagree=hands[-1],
                passes=hands[0],
                by=recorder,
                note="Counted by a show of hands after reading the statement aloud.",
            )
            kept += 1
    first = chosen[0][0]
    if first is not None:
        # The first tally sheet was misread: a correction, which supersedes it.
        _item, statement = statements[TALLIED[0]]
        wrong = statement.tallies.get(hui=first, current=True)
        services.record_tally(
            statement,
            first,
            agree=wrong.agree + 2,
            disagree=wrong.disagree,
            passes=max(0, wrong.passes - 2),
            by=wrong.recorded_by,
            note="Corrected: two hands at the back were missed in the first count.",
        )
        kept += 1
    return kept
