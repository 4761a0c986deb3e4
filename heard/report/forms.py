"""The team's report forms: its own texts and theme order, and publishing with a change note.

There is no field for a quote: quotes are read from the stored contributions when the report is
rendered, so no form can change what anyone said.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from heard.report.models import CHANGE_NOTE_MAX, TEXT_MAX

THEME_FIELD = "theme_"


class DraftForm(forms.Form):
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Plain text; a blank line starts a new paragraph. Do not quote anyone here."),
    )
    next_steps = forms.CharField(
        label=_("What happens next"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    left_out = forms.CharField(
        label=_("What was left out of the report, and why"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, themes=(), **kwargs) -> None:
        """``themes``: the standing themes in their current order; each gets a position box."""
        super().__init__(*args, **kwargs)
        self.themes = list(themes)
        for position, theme in enumerate(self.themes, start=1):
            self.fields[f"{THEME_FIELD}{theme.pk}"] = forms.IntegerField(
                label=theme.label,
                min_value=1,
                initial=position,
                required=False,
            )

    def theme_fields(self):
        return [self[f"{THEME_FIELD}{t.pk}"] for t in self.themes]

    def theme_order(self) -> list[int]:
        """Theme ids by the positions typed (ties and blanks keep the current order)."""
        data = self.cleaned_data
        last = len(self.themes) + 1
        ranked = sorted(
            enumerate(self.themes),
            key=lambda nt: (data.get(f"{THEME_FIELD}{nt[1].pk}") or last, nt[0]),
        )
        return [t.pk for _n, t in ranked]


class PublishForm(forms.Form):
    change_note = forms.CharField(
        label=_("What changed, and why"),
        required=False,
        max_length=CHANGE_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required for every version after the first. Printed in the report and kept with "
            "the version; the record keeps a fingerprint of it."
        ),
    )
