"""The team's policy forms: start the policy, write a clause, trace it, remove it, issue a
version, set a theme aside.

The forms only check shape (lengths, required boxes); the rules live in
``heard.policy.services``, whose refusals the views show through the same error summary. The
clause's words are taken exactly as typed (``strip=False``): the services keep them as written,
and so does the hash. Forms that act on a version carry its number, so a page left open while
someone else issued that version cannot act on the next one by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from heard.policy.models import KEY_MAX, REASON_MAX, TEXT_MAX, Clause
from heard.report.content import Quote

MARKDOWN_HELP = _(
    "Markdown: *emphasis*, **strong**, lists (- item), links ([words](https://…)). Raw HTML "
    "is shown as text. Leave it empty if it is not written yet: it is shown as not written, "
    "never filled in by machine."
)


class StartForm(forms.Form):
    title = forms.CharField(label=_("Title of the policy"), max_length=300)
    title_mi = forms.CharField(
        label=_("Title in te reo Māori"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"lang": "mi"}),
        help_text=_("Optional; shown beside the English title."),
    )


class ClauseForm(forms.Form):
    """A clause's kind, headings and words in both languages; with ``with_key``, its key too
    (only when adding: a key never changes once given)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Clause.Kind.choices,
        initial=Clause.Kind.CLAUSE,
        widget=forms.RadioSelect,
    )
    heading_en = forms.CharField(label=_("Heading in English"), max_length=300, required=False)
    heading_mi = forms.CharField(
        label=_("Heading in te reo Māori"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"lang": "mi"}),
    )
    text_en = forms.CharField(
        label=_("Text in English"),
        max_length=TEXT_MAX,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "lang": "en"}),
        help_text=MARKDOWN_HELP,
    )
    text_mi = forms.CharField(
        label=_("Text in te reo Māori"),
        max_length=TEXT_MAX,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "lang": "mi"}),
        help_text=MARKDOWN_HELP,
    )

    def __init__(self, *args, with_key: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if with_key:
            self.fields["key"] = forms.CharField(
                label=_("Key"),
                max_length=KEY_MAX,
                help_text=_(
                    "The clause's id, kept in every version: a letter, then letters, digits, "
                    "dots or dashes, e.g. P1 for a principle, G2.3 for a guideline's clause."
                ),
            )
            self.order_fields(["key"])


class IssueForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for this version"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Optional, public: what this version is for or what changed (e.g. “For check-back”). "
            "The record keeps a fingerprint of it."
        ),
    )


class NextVersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class RemoveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("Yes, take this clause out of this version"),
        help_text=_("Earlier versions keep it; its key stays reserved for it."),
    )


@dataclass(frozen=True)
class QuoteChoice:
    """Words a clause may cite: a span of a stored contribution, with the exact words read
    through the report's ``quote_of`` (None when they may no longer be quoted)."""

    value: str  # "contribution:start:length", the checkbox's value
    ref: tuple[int, int, int]
    quote: Quote | None
    gone: str = ""  # why the words are not shown, when quote is None


@dataclass(frozen=True)
class QuoteGroup:
    label: str
    choices: tuple[QuoteChoice, ...]


def quote_value(ref: tuple[int, int, int]) -> str:
    return ":".join(str(int(x)) for x in ref)


class TraceForm(forms.Form):
    """What a clause answers: themes of the policy's analysis, exact words of their
    contributions, or why it does not come from the engagement."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    themes = forms.MultipleChoiceField(
        label=_("Themes this clause answers"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    quotes = forms.MultipleChoiceField(
        label=_("Words this clause answers"), required=False, widget=forms.CheckboxSelectMultiple
    )
    not_from_engagement = forms.CharField(
        label=_("Not from the engagement, because…"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only for a clause that answers nothing that was heard (e.g. the law requires it). "
            "Public. Leave it empty when the clause cites themes or words."
        ),
    )

    def __init__(self, *args, themes=(), groups: list[QuoteGroup] = (), **kwargs) -> None:
        """``themes``: (id, label) of the standing themes; ``groups``: the words on offer,
        grouped by theme."""
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = [(str(pk), label) for pk, label in themes]
        self.groups = list(groups)
        self.fields["quotes"].choices = [
            (choice.value, choice.value) for group in self.groups for choice in group.choices
        ]

    def ticked_quotes(self) -> set[str]:
        """The quote boxes to show ticked: as sent, or as the clause holds them."""
        if self.is_bound:
            return set(self.data.getlist(self.add_prefix("quotes")))
        return {str(v) for v in self.initial.get("quotes", ())}

    def quote_rows(self) -> list[tuple[QuoteGroup, list[tuple[QuoteChoice, str, bool]]]]:
        """Each group with its choices, each with its box's id and whether it is ticked. The
        ids run on across groups as Django numbers a field's boxes, so the error summary's
        link to the field (``<id>_0``) lands on the first box."""
        ticked, base, n = self.ticked_quotes(), self["quotes"].auto_id, 0
        rows = []
        for group in self.groups:
            boxes = []
            for choice in group.choices:
                boxes.append((choice, f"{base}_{n}", choice.value in ticked))
                n += 1
            rows.append((group, boxes))
        return rows

    def refs(self) -> list[tuple[int, int, int]]:
        return [tuple(int(x) for x in v.split(":")) for v in self.cleaned_data["quotes"]]


class SetAsideForm(forms.Form):
    """Leave one theme unanswered on purpose; ``prefix`` names the theme, so each theme's form
    on the coverage page has its own ids."""

    theme = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why the policy does not answer this theme"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required, and public: everyone reading the coverage page sees it."),
    )


class TakeBackForm(forms.Form):
    theme = forms.IntegerField(widget=forms.HiddenInput)
