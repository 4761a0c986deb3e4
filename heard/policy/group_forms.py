"""The working group's forms: form the group, appoint a member, record a decision.

The forms check shape only (lengths, dates that parse, a box ticked); the rules (one group per
engagement, a term that ends after it starts, a decision on an issued version by every member
serving that day) live in ``heard.policy.endorsement``, whose refusals the views show in the
same error summary with everything typed kept. Dates are ``<input type="date">``: a phone shows
its own date picker, and a keyboard can type the date.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from heard.policy.models import REASON_MAX, TEXT_MAX, Decision, GroupMember, Position


class DateInput(forms.DateInput):
    """A native date picker; ISO dates are what it sends and what it shows."""

    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class HiddenDateInput(DateInput):
    input_type = "hidden"


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name of the group"), max_length=200)
    name_mi = forms.CharField(
        label=_("Name in te reo Māori"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"lang": "mi"}),
        help_text=_("Optional; shown beside the English name."),
    )
    mandate = forms.CharField(
        label=_("Mandate"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who appointed the group, to do what, and how it decides. Public."),
    )


class MemberForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Published on the group’s page: members act in public."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=GroupMember.Role.choices,
        initial=GroupMember.Role.MEMBER,
        widget=forms.RadioSelect,
    )
    affiliation = forms.CharField(
        label=_("Affiliation"),
        max_length=200,
        required=False,
        help_text=_("Optional: the iwi, organisation or community the member comes from."),
    )
    term_start = forms.DateField(label=_("Term starts"), widget=DateInput())
    term_end = forms.DateField(
        label=_("Term ends"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave it empty for a term with no end date yet."),
    )


class DayForm(forms.Form):
    """The day of the decision, sent by GET (``?on=``): who served that day decides who takes a
    position, so the page lists them again for the day chosen, without any script."""

    on = forms.DateField(
        label=_("Day of the decision"),
        widget=DateInput(),
        help_text=_("Choose the day, then show the members serving on it."),
    )


class DecisionForm(forms.Form):
    """The decision and, for each member serving on ``decided_on``, their position and any
    dissent (fields ``stance_<id>`` and ``dissent_<id>``)."""

    version = forms.TypedChoiceField(label=_("Version decided on"), coerce=int)
    decided_on = forms.DateField(widget=HiddenDateInput())
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=Decision.Outcome.choices, widget=forms.RadioSelect
    )
    changes = forms.CharField(
        label=_("Changes the endorsement depends on"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed for “Endorse with changes”; public."),
    )
    minutes = forms.CharField(
        label=_("Minutes"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Public. The record keeps a fingerprint of them."),
        error_messages={"required": _("Keep the minutes of the decision: they are public.")},
    )

    def __init__(
        self,
        *args,
        versions: Sequence[tuple[int, str]] = (),
        members: Sequence[GroupMember] = (),
        **kwargs,
    ) -> None:
        """``versions``: (number, label) of the issued versions; ``members``: those serving on
        the day of the decision, each of whom takes a position."""
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = list(versions)
        self.members = list(members)
        for member in self.members:
            self.fields[f"stance_{member.pk}"] = forms.ChoiceField(
                label=_("Position of %(name)s") % {"name": member.name},
                choices=Position.Stance.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose a position for %(name)s.") % {"name": member.name}
                },
            )
            self.fields[f"dissent_{member.pk}"] = forms.CharField(
                label=_("Dissent of %(name)s, in their own words") % {"name": member.name},
                max_length=REASON_MAX,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Optional; published as written."),
            )

    def member_rows(self) -> list[tuple[GroupMember, forms.BoundField, forms.BoundField]]:
        """Each serving member with their stance and dissent fields, for one fieldset each."""
        return [(m, self[f"stance_{m.pk}"], self[f"dissent_{m.pk}"]) for m in self.members]

    def general_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("version", "outcome", "changes", "minutes")]

    def positions(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {m.pk: (data[f"stance_{m.pk}"], data[f"dissent_{m.pk}"]) for m in self.members}
