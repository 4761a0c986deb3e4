"""The team's report forms: its own texts and theme order, and publishing with a change note.

There is no field for a quote: quotes are read from the stored contributions when the report is
rendered, so no form can change what anyone said.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.utils.translation import gettext_lazy as _

from heard.report.models import CHANGE_NOTE_MAX, TEXT_MAX
from heard.report.population import GROUP_MAX, SOURCE_MAX

THEME_FIELD = "theme_"


class DraftForm(forms.Form):
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Plain text; a blank line starts a new paragraph. Do not quote anyone here: link to "
            "the evidence instead, [c:ID] for a quote in the report, [s:1.4] for a statement, "
            "[t:ID] for a theme."
        ),
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

    bilingual = forms.BooleanField(
        label=_("Headings in English and te reo Māori"),
        required=False,
        help_text=_("Each heading of the report is printed in both languages."),
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

    def theme_rows(self):
        return [(t, self[f"{THEME_FIELD}{t.pk}"]) for t in self.themes]

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


class ThemeChoiceForm(forms.Form):
    """Which quotes a theme shows and in what order, and the team's words under it.

    Each offered quote (``services.quote_candidates``) gets a tick box and a position, named by
    its reference (contribution, start, length) so a form stays right if new words arrive
    between showing it and saving it. There is no text box for a quote's words."""

    note = forms.CharField(
        label=_("Your words under this theme"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Optional. What the team makes of this theme, in plain text; link to the evidence "
            "with [c:ID] (a quote in the report), [s:1.4] (a statement) or [t:ID] (a theme)."
        ),
    )
    use_key_quotes = forms.BooleanField(
        label=_("Show the analysis's key quotes instead of a choice"),
        required=False,
    )

    def __init__(self, *args, candidates=(), chosen=None, **kwargs) -> None:
        """``chosen``: the refs the draft holds for this theme, in order (None: no choice yet,
        so the key quotes are ticked, as the report shows them)."""
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        order = {tuple(ref): n for n, ref in enumerate(chosen or [], start=1)}
        for cand in self.candidates:
            ticked = cand.ref in order if chosen is not None else cand.key_quote
            self.fields[f"pick_{cand.value}"] = forms.BooleanField(
                required=False, initial=ticked, label=_("Show this quote")
            )
            self.fields[f"pos_{cand.value}"] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=999,
                initial=order.get(cand.ref),
                label=_("Position"),
            )

    def rows(self):
        return [(c, self[f"pick_{c.value}"], self[f"pos_{c.value}"]) for c in self.candidates]

    def chosen(self) -> list[tuple[int, int, int]] | None:
        """The ticked quotes by the positions typed (blanks after, in the order offered); None
        when the team asked for the key quotes."""
        data = self.cleaned_data
        if data.get("use_key_quotes"):
            return None
        last = len(self.candidates) + 1
        ticked = [
            (data.get(f"pos_{c.value}") or last, n, c.ref)
            for n, c in enumerate(self.candidates)
            if data.get(f"pick_{c.value}")
        ]
        return [ref for _pos, _n, ref in sorted(ticked)]


NEW_GROUPS = 3


def group_field(key: str) -> str:
    """A form field name for a group, stable whatever the group is called."""
    return "g_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


class PopulationForm(forms.Form):
    """One dimension's population shares: where they come from, a percentage per known group,
    and rows for groups nobody was heard from yet (which matter most)."""

    dimension = forms.CharField(widget=forms.HiddenInput)
    source = forms.CharField(
        label=_("Where these figures come from"),
        required=False,
        max_length=SOURCE_MAX,
        help_text=_("E.g. Stats NZ, 2023 Census, usually resident population."),
    )

    def __init__(self, *args, dimension: str, groups=(), entered=None, **kwargs) -> None:
        entered = entered or {}
        shares = entered.get("shares") or {}
        kwargs.setdefault("prefix", group_field(dimension))
        super().__init__(*args, **kwargs)
        self.fields["dimension"].initial = dimension
        self.fields["source"].initial = entered.get("source", "")
        self.groups = list(groups)
        for key, label in self.groups:
            self.fields[group_field(key)] = forms.DecimalField(
                label=label,
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=shares.get(key),
            )
        for n in range(NEW_GROUPS):
            self.fields[f"new_name_{n}"] = forms.CharField(
                label=_("Another group"), required=False, max_length=GROUP_MAX
            )
            self.fields[f"new_share_{n}"] = forms.DecimalField(
                label=_("Its share (%)"),
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
            )

    def group_fields(self):
        return [self[group_field(key)] for key, _label in self.groups]

    def new_rows(self):
        return [(self[f"new_name_{n}"], self[f"new_share_{n}"]) for n in range(NEW_GROUPS)]

    def shares(self) -> dict[str, object]:
        data = self.cleaned_data
        shares: dict[str, object] = {
            key: data[group_field(key)]
            for key, _label in self.groups
            if data.get(group_field(key)) is not None
        }
        for n in range(NEW_GROUPS):
            name, share = (data.get(f"new_name_{n}") or "").strip(), data.get(f"new_share_{n}")
            if name and share is not None:
                if name in shares:
                    self.add_error(f"new_name_{n}", _("This group is already listed above."))
                shares[name] = share
            elif name or share is not None:
                self.add_error(f"new_name_{n}", _("Give both the group's name and its share."))
        return shares
