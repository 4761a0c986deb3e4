"""Forms for the opinion pages. Words are kept exactly (``StatementField``); every form that
keeps something carries a ``client_key`` so a double click keeps it once."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heard.listen.forms import LanguageMixin, WordsField
from heard.opinions.models import Conversation, Statement, Vote
from heard.opinions.services import REASON_MAX_CHARS, TALLY_MAX, statement_problems

VOTE_CHOICES = {"agree": Vote.Value.AGREE, "disagree": Vote.Value.DISAGREE, "pass": Vote.Value.PASS}


class StatementField(WordsField):
    """A statement's words, kept exactly; the statement rules instead of a contribution's."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def validate(self, value) -> None:
        forms.CharField.validate(self, value)
        if problems := statement_problems(value or ""):
            raise ValidationError(problems)


class _Keyed(forms.Form):
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["client_key"] = uuid.uuid4()


class ConversationForm(forms.Form):
    topic = forms.CharField(
        label=_("Topic"),
        max_length=300,
        help_text=_("The question or subject people will see first."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the conversation is for and how the votes will be used."),
    )
    moderation = forms.ChoiceField(
        label=_("Moderation"),
        choices=Conversation.Moderation.choices,
        initial=Conversation.Moderation.STRICT,
        widget=forms.RadioSelect,
    )
    allow_participant_statements = forms.BooleanField(
        label=_("Participants may add statements"), required=False, initial=True
    )


class StatementForm(LanguageMixin, _Keyed):
    """A participant's statement."""

    text = StatementField(
        label=_("Your statement"),
        help_text=_(
            "One short point others can agree or disagree with. It is kept exactly as you write it."
        ),
    )

    field_order = ["text", "language", "language_other"]


class SeedForm(StatementForm):
    """A statement from the team, optionally about the conversation itself."""

    is_meta = forms.BooleanField(
        label=_("About the conversation itself (a meta statement: shown first, not mapped)"),
        required=False,
    )

    field_order = ["text", "language", "language_other", "is_meta"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Statement")
        self.fields["text"].help_text = _(
            "One short point people can agree or disagree with. It cannot be edited later."
        )


class VoteForm(forms.Form):
    """The three buttons under a statement: its number, the choice, and a one-use key."""

    statement = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    vote = forms.ChoiceField(choices=[(k, k) for k in VOTE_CHOICES])
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_vote(self) -> int:
        return int(VOTE_CHOICES[self.cleaned_data["vote"]])


class ModerateForm(forms.Form):
    reason = forms.CharField(
        label=_("Public reason"),
        required=False,
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Needed to reject: shown in place of the statement. Never name anyone. "
            "The words stay stored; the team still sees them."
        ),
    )
    is_meta = forms.BooleanField(label=_("About the conversation itself (meta)"), required=False)

    def __init__(self, *args, statement: Statement | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if statement is not None and not self.is_bound:
            self.initial["is_meta"] = statement.is_meta


class TallyForm(forms.Form):
    hui = forms.ChoiceField(label=_("Hui"))
    statement = forms.ChoiceField(label=_("Statement"))
    agree = forms.IntegerField(label=_("Agree"), min_value=0, max_value=TALLY_MAX)
    disagree = forms.IntegerField(label=_("Disagree"), min_value=0, max_value=TALLY_MAX)
    passes = forms.IntegerField(
        label=_("Pass (unsure, or neither)"), min_value=0, max_value=TALLY_MAX
    )
    note = forms.CharField(
        label=_("Note for the team"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Not published and not in the record. Never name anyone."),
    )

    def __init__(self, *args, hui_list=(), statements=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hui_by_key = {h.key: h for h in hui_list}
        self.statements_by_number = {str(s.number): s for s in statements}
        self.fields["hui"].choices = [("", _("Choose a hui"))] + [
            (h.key, f"{h.title} ({h.starts_at:%d %b %Y})") for h in hui_list
        ]
        self.fields["statement"].choices = [("", _("Choose a statement"))] + [
            (str(s.number), f"{s.number}. {_shorten(s.text)}") for s in statements
        ]

    def clean_hui(self):
        return self.hui_by_key[self.cleaned_data["hui"]]

    def clean_statement(self):
        return self.statements_by_number[self.cleaned_data["statement"]]


def _shorten(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
