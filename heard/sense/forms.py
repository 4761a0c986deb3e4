"""Forms for running the analysis and for every analyst edit. Each edit asks why."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from heard.sense.queries import NO_THEME
from heard.sense.recording import REASON_MAX
from heard.sense.runs import LABEL_MAX
from heard.sense.services import SUMMARY_MAX


class ReasonForm(forms.Form):
    """Every edit says why; the reason goes into the public record with it."""

    reason = forms.CharField(
        label=_("Why"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept in the public record with this edit, beside your staff pseudonym. "
            "Do not name anyone."
        ),
        error_messages={"required": _("Say why: the reason is kept in the record with the edit.")},
    )


class RunForm(forms.Form):
    k = forms.IntegerField(
        label=_("Number of themes (optional)"),
        required=False,
        min_value=2,
        max_value=200,
        help_text=_("Leave empty to let the engine choose how many themes the words hold."),
    )
    fast = forms.BooleanField(
        label=_("Fast mode"),
        required=False,
        help_text=_(
            "A lighter word-embedding for very large engagements: quicker, a little less "
            "accurate. The run says which was used."
        ),
    )


class RenameForm(ReasonForm):
    label = forms.CharField(label=_("New name"), max_length=LABEL_MAX)
    field_order = ["label", "reason"]


class SummaryForm(ReasonForm):
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "In your own words. Quote people only through the key quotes, which honour their "
            "consent. The record keeps a fingerprint of the summary, not its text."
        ),
    )
    field_order = ["summary", "reason"]


class MergeForm(ReasonForm):
    others = forms.ModelMultipleChoiceField(
        label=_("Merge these themes into this one"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    label = forms.CharField(
        label=_("New name for the merged theme (optional)"), max_length=LABEL_MAX, required=False
    )
    field_order = ["others", "label", "reason"]

    def __init__(self, *args, themes=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["others"].queryset = themes
        self.fields["others"].label_from_instance = lambda t: t.label


def target_choices(themes) -> list[tuple[str, str]]:
    return [(NO_THEME, _("Fits no theme"))] + [(str(t.pk), t.label) for t in themes]


class MembersForm(ReasonForm):
    """Move the ticked contributions to another theme (or to "fits no theme"), or split them
    off into a new theme."""

    contributions = forms.TypedMultipleChoiceField(
        label=_("Contributions"),
        coerce=int,
        choices=(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": _("Tick at least one contribution.")},
    )
    do = forms.ChoiceField(
        choices=[("move", "move"), ("split", "split")], widget=forms.HiddenInput, initial="move"
    )
    to = forms.ChoiceField(label=_("Move them to"), required=False)
    label = forms.CharField(
        label=_("Or split them into a new theme named"), max_length=LABEL_MAX, required=False
    )
    field_order = ["to", "label", "reason"]

    def __init__(self, *args, themes=(), members=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [("", "—"), *target_choices(themes)]
        self.fields["contributions"].choices = [(m, m) for m in members]

    def clean(self):
        data = super().clean()
        if data.get("do") == "split" and not data.get("label", "").strip():
            self.add_error("label", _("Name the new theme."))
        if data.get("do") == "move" and not data.get("to"):
            self.add_error("to", _("Choose where to move them."))
        return data


class QuoteForm(ReasonForm):
    contribution = forms.TypedChoiceField(label=_("From contribution"), coerce=int, choices=())
    excerpt = forms.CharField(
        label=_("The exact words"),
        strip=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Copy them from the contribution, letter for letter: a key quote is checked to be "
            "the person's exact words."
        ),
    )
    field_order = ["contribution", "excerpt", "reason"]

    def __init__(self, *args, members=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contribution"].choices = [
            (m.contribution_id, f"#{m.contribution_id}: {m.contribution.text[:60]}")
            for m in members
        ]

    def clean_excerpt(self) -> str:
        # The browser sends a textarea's newlines as CRLF: that is the form's encoding, not the
        # person's words, so it is the one thing turned back into "\n".
        return self.cleaned_data["excerpt"].replace("\r\n", "\n")
