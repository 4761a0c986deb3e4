"""The participant's check-back forms: one per clause (the three questions, a comment and quote
consent) and one for a comment on the whole draft.

Every form on the page posts the same field names (so the view reads one form whatever clause
it is about); each is rendered with its own ``auto_id`` so the ids stay unique on a page of
twenty clauses. A comment is the person's words, kept exactly (``WordsField`` turns only the
browser's CRLF back into a newline). Each render carries a fresh ``client_key``, so a double
click, or a resend after a lost answer, keeps one save.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heard.listen.forms import WordsField
from heard.listen.models import QUOTE_CONSENT_CHOICES
from heard.listen.services import unstorable
from heard.listen.vocab import QuoteConsent
from heard.policy.checkback import QUESTIONS
from heard.policy.models import TEXT_MAX, Answer


class CommentField(WordsField):
    """An optional comment: the words kept exactly; only what no database can keep, or more
    than the limit, is refused (an empty comment is fine: the answers may be enough)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def validate(self, value) -> None:
        forms.CharField.validate(self, value)
        value = value or ""
        if len(value) > TEXT_MAX:
            raise ValidationError(
                _("Keep a comment under %(max)s characters; this one has %(n)s.")
                % {"max": f"{TEXT_MAX:,}", "n": f"{len(value):,}"}
            )
        if problems := unstorable(value):
            raise ValidationError(problems)


class FeedbackForm(forms.Form):
    """Answers on one clause; with ``questions=False``, a comment on the whole draft."""

    clause_key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    client_key = forms.UUIDField(widget=forms.HiddenInput)
    comment = CommentField(
        label=_("Your comment (optional)"),
        help_text=_("Kept exactly as you write it. You can change it, or withdraw it, later."),
    )
    quote_consent = forms.ChoiceField(
        label=_("May we quote your comment?"),
        choices=QUOTE_CONSENT_CHOICES,
        initial=QuoteConsent.ANONYMOUS.value,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, questions: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        if questions:
            asked = {
                key: forms.ChoiceField(
                    label=label, choices=Answer.choices, required=False, widget=forms.RadioSelect
                )
                for key, label in QUESTIONS
            }
            self.fields = {**asked, **self.fields}
        else:
            self.fields["comment"].label = _("Your comment on the whole draft")
            self.fields["comment"].widget.attrs["rows"] = 5
        if not self.is_bound:
            self.initial["client_key"] = uuid.uuid4()

    def clean(self) -> dict:
        data = super().clean()
        answered = self.questions and any(data.get(key) for key, _label in QUESTIONS)
        if not self.errors and not answered and not (data.get("comment") or "").strip():
            if self.questions:
                raise ValidationError(_("Answer a question or write a comment."))
            self.add_error("comment", _("Write a comment before saving."))
        return data

    def answers(self) -> dict[str, str]:
        """What ``checkback.give_feedback`` takes, from the cleaned form."""
        data = self.cleaned_data
        found = {key: data.get(key) or "" for key, _label in QUESTIONS} if self.questions else {}
        return {
            **found,
            "comment": data.get("comment") or "",
            "quote_consent": data["quote_consent"],
            "client_key": data["client_key"],
        }


class WithdrawForm(forms.Form):
    """Withdraw one's comment on a clause (or on the whole draft): the box must be ticked."""

    clause_key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("Withdraw my comment: its words are destroyed, and this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm: withdrawal cannot be undone.")},
    )
