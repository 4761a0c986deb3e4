"""A generated engagement for the report benchmark: as many people, hui and contributions as a
large national engagement, written through the record.

Issue 6 asks how long the findings report takes to build for an engagement of the size the
brief describes (1,047 people, about 20,000 contributions), not only for the small demo. This
module makes one inside the app (called after ``django.setup()``):

- the demo's audiences, questions and demographic fields, with its phase windows (listening
  under way), a team member and facilitators;
- ``hui`` hui (default 30): most in person at venues across the regions, a few online and
  hybrid, each with an audience, attendance and two facilitators; each is recorded through
  ``heard.plan.services.record_hui`` (a record entry);
- ``participants`` people who each said something: about 40 % online accounts (pseudonyms,
  some demographics), 55 % voices at hui (a speaker tag per person), the rest paper forms and
  emails with no account;
- ``contributions`` contributions spread over them (each person at least one, a long tail of
  people who said a lot): about 35 % online, 58 % hui notes and transcripts, 7 % paper and
  email; quote consent mixed (about 55 % quote, 28 % anonymous, 17 % not for quoting). Written
  in batches, each in one transaction as ``heard.listen.services.submit_contribution`` writes
  one: the row with its salt, its ``contribution.submitted`` entry in the record (the same
  event body, ``services.submitted_event``), its ``log_index``. A few are then hidden and a few
  withdrawn through the listen services (each its own record entry).

The words: about 75 % are composed here from topic sentences (so themes form, as in a real
engagement where many people make the same points in their own words), the rest drawn from the
demo's own contributions (English, te reo Māori with macrons, Gagana Sāmoa, lea faka-Tonga, 中文,
हिन्दी), split into sentences, resampled with ``_themes_data.resampled_texts``'s light
perturbation and recombined. About one transcript or email in four runs to several paragraphs
(up to about 5,000 characters). Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks._themes_data import resampled_texts

SLUG = "generated"
KEY_NAMESPACE = uuid.UUID("0b6f1e9a-3a57-4a55-9d7e-52c1a1f3e2b7")
BATCH = 1_000  # contributions per transaction

# --------------------------------------------------------------------------------------------
# Words.
# --------------------------------------------------------------------------------------------

SLOTS: dict[str, tuple[str, ...]] = {
    "agency": (
        "the ministry",
        "Work and Income",
        "Oranga Tamariki",
        "the council",
        "IRD",
        "the school",
        "the health board",
        "Kāinga Ora",
        "ACC",
        "the police",
    ),
    "people": (
        "whānau",
        "our kaumātua",
        "young people",
        "disabled people",
        "new migrants",
        "families on a benefit",
        "rangatahi",
        "solo parents",
        "Pacific families",
        "people in small towns",
    ),
    "place": (
        "Kaitāia",
        "Whangārei",
        "Ōtaki",
        "Whanganui",
        "Tauranga",
        "Rotorua",
        "Tairāwhiti",
        "Ahuriri",
        "Porirua",
        "Ōtautahi",
        "Ōtepoti",
        "Waihōpai",
        "Māngere",
        "Taupō",
        "Hokitika",
    ),
}

TOPICS: dict[str, tuple[str, ...]] = {
    "consent": (
        "Ask me first before you share my information with {agency}.",
        "Consent has to mean something: if I can't say no without losing help, it isn't consent.",
        "Nobody asked {people} whether their records could be passed on.",
        "I ticked a box years ago and now {agency} thinks that covers everything.",
        "Let people change their mind and take their consent back.",
        "Ask again each time the information is used for something new.",
    ),
    "transparency": (
        "Tell people plainly what you hold about them and why you need it.",
        "{agency} should publish every way our data is used, in words people understand.",
        "I only found out by accident that {agency} had a file on me.",
        "Say at the start how long you will keep it and who will see it.",
        "Write it in plain language, not legal language, and in te reo Māori too.",
        "People in {place} want to know where their information goes after the form is filed.",
    ),
    "tell_once": (
        "I've told my story to five different agencies and every time I start from scratch.",
        "If the agencies talked to each other, {people} wouldn't have to repeat painful things.",
        "Sharing between {agency} and the health services could get help to families faster.",
        "Joined-up services would save everyone time, as long as it's done carefully.",
        "Having to retell what happened to my kids over and over is exhausting.",
    ),
    "maori_governance": (
        "Data about Māori should be governed by Māori.",
        "Iwi and hapū need a real say in how information about their whānau is used.",
        "Māori data is a taonga and must be looked after as one.",
        "Give iwi the data about their own people so they can plan their own services.",
        "Tino rangatiratanga over our data is not up for negotiation.",
    ),
    "fear": (
        "People stop asking for help when they're scared it will be used against them.",
        "{people} in {place} don't go to the doctor because they fear a notification.",
        "Trust is low after what happened to families in the past, and it has to be earned back.",
        "I worry that being honest with {agency} will mean my benefit gets cut.",
        "Don't use what we tell you to punish us.",
    ),
    "security": (
        "After the last breach I don't believe my data is safe with {agency}.",
        "Who is responsible when records get hacked or sent to the wrong person?",
        "Keep our information in Aotearoa, not on servers overseas.",
        "Staff shouldn't be able to look up their neighbours' files because they're curious.",
        "Tell people straight away when their information has been leaked.",
    ),
    "access": (
        "I should be able to see my own file without waiting three months.",
        "There are mistakes in my record at {agency} and nobody will fix them.",
        "Make it easy to correct wrong information, online or in person.",
        "An old note in my file followed me for years and it was wrong.",
    ),
    "accessibility": (
        "The forms are too long and too hard, especially for {people}.",
        "Not everyone has the internet; keep paper forms and a phone line.",
        "Easy Read versions and NZ Sign Language videos would help disabled people take part.",
        "In {place} the mobile coverage is patchy, so online-only services leave people out.",
    ),
    "use_for_good": (
        "Used well, data could find families who need support early.",
        "If sharing my data means I get help sooner, I'm fine with it.",
        "Good data helps {agency} put services where they are needed, like in {place}.",
        "Numbers alone don't tell the whole story; talk to the community too.",
    ),
    "companies_ai": (
        "Never sell our information to private companies.",
        "I don't want computers or AI deciding who gets help.",
        "Contractors should follow the same rules as {agency}.",
        "Be careful with algorithms that score families; they repeat old biases.",
    ),
    "retention": (
        "Delete old information when it's no longer needed.",
        "Why is something from when I was a teenager still on my record at {agency}?",
        "Set a time limit on how long records are kept.",
    ),
    "give_back": (
        "Come back and tell us what you did with what we said.",
        "We keep giving our stories and nothing changes for {people}.",
        "Share the findings with the marae and the community groups that took part.",
        "Fund the small community groups that collect this information for you.",
    ),
}
OPENERS = (
    "Kia ora.",
    "Kia ora koutou.",
    "Speaking for my whānau:",
    "From our table:",
    "Quick one.",
    "As a social worker,",
    "Talofa lava.",
    "Mālō e lelei.",
    "Honestly,",
    "I reckon",
    "For me,",
    "Our group felt that",
    "Someone at our table said",
    "My nan always says it:",
    "As a kaumātua,",
    "Working in a food bank, I see it every week:",
)
# Said after a sentence, now and then: the same point in a person's own words.
TAILS = (
    " That's the main thing.",
    " Every single time.",
    " It's not hard.",
    " Simple as that.",
    " We've said this before.",
    " I can't stress that enough.",
    " Otherwise why would anyone trust you?",
    " My cousin in {place} went through exactly this.",
    " It happened to my neighbour.",
    " Especially for {people}.",
    " Same goes for {agency}.",
    " (Lots of nods in the room at this.)",
)
CLOSERS = ("Ngā mihi.", "Thanks for listening.", "That's all.", "Kia kaha.", "Nō reira, tēnā koe.")
# The demo's own words, split into sentences and recombined, by language: a share of the corpus.
DEMO_SHARES = {"en": 0.12, "mi": 0.10, "sm": 0.012, "to": 0.01, "zh": 0.005, "hi": 0.003}
_SENTENCE_END = re.compile(r"(?<=[.!?。।])\s+")


def _fill(rng: random.Random, template: str) -> str:
    return template.format(**{slot: rng.choice(values) for slot, values in SLOTS.items()})


def _sentence(rng: random.Random, topic: str) -> str:
    sentence = _fill(rng, rng.choice(TOPICS[topic]))
    if rng.random() < 0.25:
        sentence += _fill(rng, rng.choice(TAILS))
    return sentence


def _point(rng: random.Random, topics: list[str]) -> str:
    """One contribution's worth of composed English: one to three sentences, mostly on one
    topic, sometimes a second."""
    first = rng.choice(topics)
    chosen = [first] * rng.randint(1, 2)
    if rng.random() < 0.3:
        chosen.append(rng.choice(topics))
    sentences = [_sentence(rng, topic) for topic in chosen]
    if rng.random() < 0.25:
        opener = rng.choice(OPENERS)
        if opener.endswith((".", ":")):
            sentences.insert(0, opener)
        else:  # a lead-in that runs into the sentence
            sentences[0] = f"{opener} {sentences[0][0].lower()}{sentences[0][1:]}"
    if rng.random() < 0.08:
        sentences.append(rng.choice(CLOSERS))
    text = " ".join(sentences)
    return text[0].upper() + text[1:]


def _long(rng: random.Random, topics: list[str]) -> str:
    """A transcript or a long email: numbered paragraphs over several topics."""
    paragraphs = []
    for number in range(1, rng.randint(4, 14) + 1):
        topic = rng.choice(topics)
        body = " ".join(_sentence(rng, topic) for _ in range(rng.randint(2, 5)))
        paragraphs.append(f"{number}. {body}")
    return "\n\n".join(paragraphs)


def compose_texts(channels: list[str], demo: list[tuple[str, str]], seed: int) -> list[tuple]:
    """A (text, language) for each channel in ``channels``: composed English, or the demo's
    own words (``demo``: (text, language) pairs) split into sentences, resampled by language
    with ``_themes_data.resampled_texts`` (some lose a word, some are joined to a second) and
    recombined one to three at a time, so that few contributions repeat another exactly."""
    rng = random.Random(seed)
    topics = list(TOPICS)
    sentences: dict[str, list[str]] = {}
    for text, language in demo:
        parts = [p for p in _SENTENCE_END.split(text.strip()) if p.strip()]
        sentences.setdefault(language, []).extend(parts)
    draws = rng.choices(
        [*DEMO_SHARES, "composed"],
        weights=[*DEMO_SHARES.values(), 1 - sum(DEMO_SHARES.values())],
        k=len(channels),
    )
    wanted = Counter(d for d in draws if d != "composed" and d in sentences)
    drawn = {
        language: iter(resampled_texts(3 * count, seed + n, sentences[language]))
        for n, (language, count) in enumerate(sorted(wanted.items()))
    }
    out = []
    for channel, draw in zip(channels, draws, strict=True):
        if draw in drawn:
            parts = [next(drawn[draw]) for _ in range(rng.choice((1, 1, 2, 3)))]
            out.append((("" if draw in ("zh", "hi") else " ").join(parts), draw))
        elif channel in ("transcript", "email") and rng.random() < 0.25:
            out.append((_long(rng, topics), "en"))
        else:
            out.append((_point(rng, topics), "en"))
    return out


# --------------------------------------------------------------------------------------------
# The engagement.
# --------------------------------------------------------------------------------------------

# (place, region, venue): where in-person hui are held. Online hui have no venue.
VENUES = (
    ("Kaitāia", "Northland", "A marae near Kaitāia"),
    ("Whangārei", "Northland", "Community hall, Tikipunga"),
    ("Māngere", "Auckland", "Māngere Arts Centre"),
    ("Ōtara", "Auckland", "Ōtara Music and Arts Centre"),
    ("Henderson", "Auckland", "West Auckland community rooms"),
    ("Kirikiriroa", "Waikato", "Te Kōhao Health rooms"),
    ("Taupō", "Waikato", "Great Lake Centre"),
    ("Tauranga", "Bay of Plenty", "Tauranga Moana community hub"),
    ("Rotorua", "Bay of Plenty", "A marae in Ōhinemutu"),
    ("Whakatāne", "Bay of Plenty", "War memorial hall"),
    ("Gisborne", "Gisborne", "Tairāwhiti community centre"),
    ("Napier", "Hawke's Bay", "Ahuriri library meeting room"),
    ("Hastings", "Hawke's Bay", "Flaxmere community centre"),
    ("New Plymouth", "Taranaki", "Puke Ariki meeting rooms"),
    ("Whanganui", "Manawatū-Whanganui", "Whanganui East community hall"),
    ("Palmerston North", "Manawatū-Whanganui", "Te Manawa rooms"),
    ("Ōtaki", "Wellington", "Raukawa marae"),
    ("Porirua", "Wellington", "Te Rauparaha Arena rooms"),
    ("Wellington", "Wellington", "Te Papa Rangimārie room"),
    ("Lower Hutt", "Wellington", "Walter Nash Centre"),
    ("Nelson", "Nelson", "Victory community centre"),
    ("Blenheim", "Marlborough", "Blenheim library room"),
    ("Hokitika", "West Coast", "Regent theatre foyer"),
    ("Ōtautahi", "Canterbury", "Ngā Hau e Whā National Marae"),
    ("Ōtepoti", "Otago", "Dunedin community house"),
    ("Waihōpai", "Southland", "Murihiku marae"),
)
BIRDS = ("Kererū", "Tūī", "Pīwakawaka", "Kōtare", "Korimako", "Kākā", "Ruru", "Pūkeko", "Tīeke")


@dataclass(frozen=True)
class Made:
    """What was generated: counts the benchmark prints and checks."""

    hui: int
    participants: int
    contributions: int
    hidden: int
    withdrawn: int
    record_entries: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _spread(rng: random.Random, people: int, total: int) -> list[int]:
    """``total`` contributions over ``people``: one each, the rest with a long tail (some
    people say a great deal)."""
    if total < people:
        raise ValueError(f"{total} contributions cannot cover {people} people")
    weights = [rng.lognormvariate(0, 0.9) for _ in range(people)]
    extra = Counter(rng.choices(range(people), weights=weights, k=total - people))
    return [1 + extra[n] for n in range(people)]


def build_engagement(
    *,
    participants: int,
    contributions: int,
    hui: int,
    seed: int,
    progress: Callable[[str], None] = lambda _message: None,
) -> Made:
    """Generate the engagement (slug ``generated``) through the record; returns its counts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from heard.core import demo_loader
    from heard.core.models import Membership
    from heard.core.permissions import Role
    from heard.listen import services
    from heard.listen.models import Contribution, Participant
    from heard.listen.vocab import Channel, QuoteConsent
    from heard.plan import services as plan_services
    from heard.plan.models import Hui, Venue
    from heard.record import events
    from heard.record import services as record
    from heard.record.events import EventType

    rng = random.Random(seed)
    content = demo_loader.load_content()
    users = get_user_model()
    no_password = make_password(None)
    today = timezone.localdate()
    listen_start = today - dt.timedelta(days=demo_loader.LISTEN_STARTED_DAYS_AGO)
    tz = timezone.get_current_timezone()

    with transaction.atomic():
        engagement, by_key, questions_by_key = demo_loader.create_engagement(
            content,
            slug=SLUG,
            title=f"{content['engagement']['title']} (generated, {contributions:,} contributions)",
            listen_start=listen_start,
        )
        audiences, questions = list(by_key.values()), list(questions_by_key.values())
        team = users.objects.create(username=f"{SLUG}-team", password=no_password)
        Membership.objects.create(engagement=engagement, user=team, role=Role.TEAM)
        facilitators = []
        for n in range(1, 7):
            user = users.objects.create(username=f"{SLUG}-facilitator-{n}", password=no_password)
            Membership.objects.create(engagement=engagement, user=user, role=Role.FACILITATOR)
            facilitators.append(user)

        all_hui = []
        for n in range(hui):
            online = n % 8 == 7
            place, region, venue_name = VENUES[n % len(VENUES)]
            venue = None
            if not online:
                venue, _ = Venue.objects.get_or_create(
                    engagement=engagement,
                    name=venue_name,
                    place=place,
                    region=region,
                    defaults={"accessibility": "Wheelchair access; hearing loop"},
                )
            day = listen_start + dt.timedelta(days=2 + n * 90 // max(hui, 1))
            starts = dt.datetime.combine(day, dt.time(10 + 3 * (n % 3), 0), tzinfo=tz)
            capacity = rng.randint(40, 150)
            item = Hui.objects.create(
                engagement=engagement,
                key=f"h{n + 1:02d}",
                title=f"Online hui {n // 8 + 1}" if online else f"Community hui, {place}",
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=rng.choice((120, 150, 180, 240))),
                venue=venue,
                format=Hui.Format.ONLINE
                if online
                else (Hui.Format.HYBRID if n % 11 == 5 else Hui.Format.IN_PERSON),
                audience=audiences[n % len(audiences)],
                capacity=capacity,
                attendance=rng.randint(capacity // 3, capacity),
            )
            item.facilitators.set(rng.sample(facilitators, 2))
            plan_services.record_hui(item)
            all_hui.append(item)
    progress(f"{hui} hui recorded")

    # The people: online accounts, voices at hui, writers of paper forms and emails.
    n_online = round(participants * 0.40)
    n_hui = round(participants * 0.55) if all_hui else 0
    n_voices = participants - n_online - n_hui
    regions = [c for c in content["demographic_fields"] if c["key"] == "region"]
    region_choices = regions[0]["choices"] if regions else ["Prefer not to say"]
    with transaction.atomic():
        made_users = users.objects.bulk_create(
            [users(username=f"{SLUG}-{n:05d}", password=no_password) for n in range(n_online)],
            batch_size=1_000,
        )
        people: list[tuple[Participant, str]] = []  # (participant, how they took part)
        online_people = []
        for n, user in enumerate(made_users):
            consent = rng.random() < 0.7
            online_people.append(
                Participant(
                    engagement=engagement,
                    user=user,
                    pseudonym=f"{rng.choice(BIRDS)} in {rng.choice(SLOTS['place'])} {n}",
                    demographics={"region": rng.choice(region_choices)} if consent else {},
                    demographics_consent=consent,
                )
            )
        speakers = [
            Participant(
                engagement=engagement,
                hui=all_hui[n % len(all_hui)],
                # One untagged voice per hui ("someone in the room"), then speakers by number.
                speaker_tag="" if n < len(all_hui) else f"speaker {n // len(all_hui)}",
            )
            for n in range(n_hui)
        ]
        voices = [
            Participant(
                engagement=engagement,
                speaker_tag=f"{'paper-form' if n % 5 < 3 else 'email'}/writer {n}",
            )
            for n in range(n_voices)
        ]
        for group, kind in ((online_people, "online"), (speakers, "hui"), (voices, "post")):
            for participant in Participant.objects.bulk_create(group, batch_size=1_000):
                people.append((participant, kind))
    progress(f"{len(people):,} participants")

    # Who says how much, by channel group: online 35 %, hui 58 %, post 7 % of the words.
    shares = {"online": 0.35, "hui": 0.58, "post": 0.07}
    groups = {kind: [p for p, k in people if k == kind] for kind in shares}
    totals = {kind: round(contributions * share) for kind, share in shares.items()}
    totals["hui" if groups["hui"] else "online"] += contributions - sum(totals.values())
    for kind, members in groups.items():  # each person says at least one thing
        if len(members) > totals[kind]:
            raise ValueError(f"too few contributions ({contributions:,}) for the people")
    plan: list[tuple[Participant, str]] = []
    for kind, members in groups.items():
        for participant, count in zip(
            members, _spread(rng, len(members), totals[kind]), strict=True
        ):
            plan.extend([(participant, kind)] * count)
    rng.shuffle(plan)  # channels and people interleave as they arrive
    channels = []
    for participant, kind in plan:
        if kind == "online":
            channels.append(Channel.ONLINE)
        elif kind == "hui":
            channels.append(Channel.TRANSCRIPT if rng.random() < 0.1 else Channel.HUI)
        else:
            channels.append(
                Channel.PAPER if participant.speaker_tag.startswith("paper") else Channel.EMAIL
            )
    demo_words = [(c["text"], c.get("language", "en")) for c in content["contributions"]]
    texts = compose_texts([str(c) for c in channels], demo_words, seed)
    hui_facilitators = {h.pk: list(h.facilitators.all()) for h in all_hui}
    consents = (QuoteConsent.QUOTE, QuoteConsent.ANONYMOUS, QuoteConsent.NONE)

    kept: list[Contribution] = []
    for start in range(0, len(plan), BATCH):
        rows, bodies = [], []
        for number in range(start, min(start + BATCH, len(plan))):
            participant, _kind = plan[number]
            text, language = texts[number]
            at_hui = participant.hui
            rows.append(
                Contribution(
                    engagement=engagement,
                    participant=participant,
                    text=text,
                    language=language,
                    channel=channels[number],
                    quote_consent=rng.choices(consents, weights=(55, 28, 17))[0],
                    question=rng.choice(questions) if rng.random() < 0.8 else None,
                    hui=at_hui,
                    said_at=at_hui.starts_at if at_hui else None,
                    client_key=uuid.uuid5(KEY_NAMESPACE, f"{SLUG}:{number}"),
                    recorded_by=rng.choice(hui_facilitators[at_hui.pk]) if at_hui else None,
                    salt=events.new_salt(),
                )
            )
        with transaction.atomic():
            rows = Contribution.objects.bulk_create(rows)
            for row in rows:
                bodies.append(
                    (
                        EventType.CONTRIBUTION_SUBMITTED,
                        services.submitted_event(row, row.participant, row.salt),
                    )
                )
            for row, entry in zip(rows, record.append_many(bodies), strict=True):
                row.log_index = entry.index
            Contribution.objects.bulk_update(rows, ["log_index"], batch_size=500)
        kept.extend(rows)
        if len(kept) % (5 * BATCH) == 0 or len(kept) == len(plan):
            progress(f"{len(kept):,} of {len(plan):,} contributions")

    # Moderation and withdrawals, one by one through the services, as a team does them.
    chosen = rng.sample(kept, k=max(1, len(kept) * 4 // 1000))
    hidden_ones, withdrawn_ones = chosen[: len(chosen) * 3 // 4], chosen[len(chosen) * 3 // 4 :]
    for contribution in hidden_ones:
        services.hide_contribution(
            contribution, reason="Names a staff member; the point is kept in the count.", by=team
        )
    for contribution in withdrawn_ones:
        services.withdraw_contribution(
            contribution, via="participant" if contribution.participant.user_id else "team"
        )
    progress(f"{len(hidden_ones)} hidden, {len(withdrawn_ones)} withdrawn")
    return Made(
        hui=len(all_hui),
        participants=Participant.objects.filter(engagement=engagement).count(),
        contributions=Contribution.objects.filter(engagement=engagement).count(),
        hidden=len(hidden_ones),
        withdrawn=len(withdrawn_ones),
        record_entries=record.size(),
    )
