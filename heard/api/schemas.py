"""What the API sends and accepts. These schemas are the OpenAPI description's components.

Contributions are only ever sent in their *public* form (the same rules as the public record
page): no account ids, usernames or demographics, ever; the words of hidden and not-for-quoting
contributions are withheld (``text: null``) with the reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from heard.listen.vocab import Channel, QuoteConsent, is_language_tag, normalise_language_tag


class Message(Schema):
    detail: str = Field(..., description="Why the request was refused, in plain words.")


class PhaseOut(Schema):
    phase: str = Field(..., examples=["listen"])
    label: str
    starts_on: dt.date
    ends_on: dt.date | None = Field(None, description="The day before the next phase starts.")


class QuestionOut(Schema):
    key: str
    text: str
    text_mi: str


class AudienceOut(Schema):
    key: str
    name: str
    name_mi: str


class CountsOut(Schema):
    hui: int
    contributions: int = Field(..., description="Every contribution kept, hidden ones included.")
    contributions_hidden: int
    participants_heard: int = Field(..., description="Participants with at least one contribution.")


class EngagementSummary(Schema):
    slug: str
    title: str
    title_mi: str
    summary: str
    current_phase: str
    url: str = Field(..., description="The engagement's public page.")


class EngagementOut(EngagementSummary):
    purpose: str
    purpose_mi: str
    current_phase_label: str
    phases: list[PhaseOut]
    questions: list[QuestionOut]
    audiences: list[AudienceOut]
    counts: CountsOut


class VenueOut(Schema):
    name: str
    place: str
    region: str
    accessibility: str
    capacity: int | None


class HuiOut(Schema):
    key: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    format: Literal["in_person", "online", "hybrid"]
    place: str
    region: str
    venue: VenueOut | None
    audience: str | None = Field(None, description="The audience's key, if the hui is for one.")
    capacity: int
    attendance: int | None = Field(None, description="How many came; null until recorded.")


class ContributionOut(Schema):
    id: int
    text: str | None = Field(
        ...,
        description="The words exactly as given; null when hidden by moderation or when the "
        "person asked not to be quoted (see `withheld`).",
    )
    withdrawn: bool = Field(
        False, description="Withdrawn at the participant's request: the words are destroyed."
    )
    withheld: Literal["hidden", "not_for_quoting", "withdrawn"] | None = Field(
        None, description="Why `text` is null, if it is."
    )
    hidden: bool
    hidden_reason: str | None = Field(None, description="The moderator's public reason.")
    not_for_quoting: bool = Field(
        ..., description="The person asked that their words be counted but never quoted."
    )
    quote_consent: QuoteConsent
    language: str
    channel: Channel
    question: str | None = Field(None, description="The key of the question it answers.")
    hui: str | None = Field(None, description="The key of the hui it was captured at.")
    participant: str = Field(..., description="The participant's pseudonymous public id.")
    pseudonym: str | None = Field(
        None, description="Shown only when the person agreed to be quoted with their pseudonym."
    )
    received_at: dt.datetime
    said_at: dt.datetime | None


def _problem(kind: str, message: str) -> PydanticCustomError:
    """A validation error whose message is shown as is (no "Value error," prefix); passed as
    context so that braces in what the caller sent are not read as a template."""
    return PydanticCustomError(kind, "{message}", {"message": message})


class ContributionIn(Schema):
    text: str = Field(
        ...,
        description="Your words. Kept exactly as sent: not trimmed, not normalised. "
        "At most 20,000 characters; no NUL characters.",
    )
    language: str = Field(..., description="A language tag such as en, mi or sm.", max_length=35)
    quote_consent: QuoteConsent = Field(
        ...,
        description="quote: may be quoted with your pseudonym; anonymous: quoted without a "
        "name; none: counted, never quoted.",
    )
    question: str | None = Field(None, description="The key of the question you are answering.")
    client_key: uuid.UUID = Field(
        ...,
        description="A new random UUID per contribution. Sending the same one again (a retry) "
        "returns the contribution already kept instead of keeping the words twice.",
    )

    @field_validator("text")
    @classmethod
    def _words_can_be_kept(cls, text: str) -> str:
        from heard.listen.services import text_problems

        if problems := text_problems(text):
            raise _problem("text_problem", " ".join(problems))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise _problem(
                "text_problem",
                "The text contains an unpaired surrogate (a broken character), which cannot be "
                "stored. Please check the encoding.",
            ) from error
        return text

    @field_validator("language")
    @classmethod
    def _language_tag(cls, language: str) -> str:
        if not is_language_tag(language.strip()):
            raise _problem(
                "language_tag", f"“{language[:40]}” is not a language tag such as en, mi or sm."
            )
        return normalise_language_tag(language)


class ErrorItem(Schema):
    loc: list[str | int] = Field(..., description="Where the problem is, e.g. body/payload/text.")
    msg: str
    type: str


class ValidationErrors(Schema):
    detail: list[ErrorItem]


class _Page(Schema):
    count: int = Field(..., description="How many there are in all, across every page.")
    limit: int
    offset: int


class EngagementPage(_Page):
    items: list[EngagementSummary]


class HuiPage(_Page):
    items: list[HuiOut]


class ContributionPage(_Page):
    items: list[ContributionOut]
