from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heard.listen.models import QUOTE_CONSENT_CHOICES
from heard.listen.services import text_problems
from heard.listen.vocab import LANGUAGE_NAMES, is_language_tag, normalise_language_tag

OTHER = "other"


class WordsField(forms.CharField):
    """A text field that keeps the words exactly: no stripping, no newline rewriting."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("strip", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        super().__init__(**kwargs)

    def to_python(self, value):
        # Browsers send CRLF for newlines in a textarea; that is the form's encoding, not the
        # person's words, so it is the one thing we turn back into "\n".
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value

    def validate(self, value) -> None:
        super().validate(value)
        if problems := text_problems(value or ""):
            raise ValidationError(problems)


def language_choices() -> list[tuple[str, str]]:
    return [(code, name) for code, name in LANGUAGE_NAMES.items()] + [(OTHER, _("Another"))]


class LanguageMixin(forms.Form):
    language = forms.ChoiceField(label=_("Language you are writing in"), initial="en")
    language_other = forms.CharField(
        label=_("Which language? (a code like fj or fr)"), required=False, max_length=35
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("language") == OTHER:
            tag = (data.get("language_other") or "").strip()
            if not is_language_tag(tag):
                self.add_error(
                    "language_other", _("Give a language code such as fj (Fijian) or fr (French).")
                )
            else:
                data["language"] = normalise_language_tag(tag)
        return data


class ContributionForm(LanguageMixin):
    question = forms.ChoiceField(label=_("Which question are you answering?"), required=False)
    text = WordsField(
        label=_("What you want to say"),
        help_text=_(
            "Your words are kept exactly as you write them, in the language you write them in."
        ),
    )
    quote_consent = forms.ChoiceField(
        label=_("May we quote you?"), choices=QUOTE_CONSENT_CHOICES, widget=forms.RadioSelect
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    field_order = ["question", "text", "language", "language_other", "quote_consent"]

    def __init__(self, *args, questions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = {str(q.pk): q for q in questions}
        self.fields["question"].choices = [("", _("Something else"))] + [
            (str(q.pk), q.localised_text) for q in questions
        ]
        if not self.is_bound:
            self.initial["client_key"] = uuid.uuid4()

    def clean_question(self):
        value = self.cleaned_data.get("question")
        return self.questions.get(value) if value else None


class ModerationForm(forms.Form):
    reason = forms.CharField(
        label=_("Public reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Shown in place of the words. Never name anyone."),
    )
