from __future__ import annotations

from itertools import pairwise

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from heard.engagements.models import (
    Audience,
    DemographicField,
    Engagement,
    PhaseWindow,
    Question,
)


class EngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["title", "title_mi", "summary", "purpose", "purpose_mi"]


QuestionFormSet = inlineformset_factory(
    Engagement,
    Question,
    fields=["key", "text", "text_mi", "order"],
    extra=1,
    can_delete=False,
    widgets={
        "text": forms.Textarea(attrs={"rows": 2}),
        "text_mi": forms.Textarea(attrs={"rows": 2}),
    },
)
AudienceFormSet = inlineformset_factory(
    Engagement,
    Audience,
    fields=["key", "name", "name_mi", "order"],
    extra=1,
    can_delete=False,
)


class BasePhaseFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        dates = [
            (f.cleaned_data.get("phase"), f.cleaned_data.get("starts_on"))
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        from heard.core.permissions import Phase

        order = {p.value: i for i, p in enumerate(Phase)}
        dated = sorted((order[p], d) for p, d in dates if p and d)
        for (_i, earlier), (_j, later) in pairwise(dated):
            if later < earlier:
                raise forms.ValidationError(
                    _(
                        "Phases must start in the order of the journey: plan, listen, make sense, "
                        "report, draft, check back, endorse, adopt."
                    )
                )


PhaseFormSet = inlineformset_factory(
    Engagement,
    PhaseWindow,
    formset=BasePhaseFormSet,
    fields=["phase", "starts_on"],
    extra=1,
    can_delete=True,
    widgets={"starts_on": forms.DateInput(attrs={"type": "date"})},
)


class InviteForm(forms.Form):
    label = forms.CharField(
        label=_("Who is it for?"),
        max_length=120,
        required=False,
        help_text=_("For your own notes, e.g. “Whangārei hui team”."),
    )
    max_uses = forms.IntegerField(
        label=_("How many people may use it"), min_value=1, max_value=100, initial=1
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=90, initial=14)


class JoinForm(forms.Form):
    pseudonym = forms.CharField(
        label=_("Your pseudonym"),
        max_length=80,
        help_text=_(
            "Shown beside your words if you let us quote you. Any name you like; it "
            "need not be your real one."
        ),
    )

    def __init__(self, *args, demographic_fields=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.demographic_keys = []
        if demographic_fields:
            self.fields["demographics_consent"] = forms.BooleanField(
                required=False,
                label=_(
                    "I agree to tell you about myself below, to help show "
                    "who was heard. Every question is optional."
                ),
            )
        for field in demographic_fields:
            name = f"demo_{field.key}"
            self.demographic_keys.append((name, field.key))
            if field.kind == "choice":
                self.fields[name] = forms.ChoiceField(
                    label=field.localised("label"),
                    required=False,
                    choices=[("", _("Prefer not to say"))] + [(c, c) for c in field.choices],
                )
            else:
                self.fields[name] = forms.CharField(
                    label=field.localised("label"), required=False, max_length=200
                )

    def demographics(self) -> dict:
        return {
            key: self.cleaned_data[name]
            for name, key in self.demographic_keys
            if self.cleaned_data.get(name)
        }


class ChoicesField(forms.CharField):
    """A list of choices edited as lines of text."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class DemographicFieldForm(forms.ModelForm):
    choices = ChoicesField(
        required=False,
        label=_("Choices, one per line"),
        help_text=_("For a choice question. “Prefer not to say” is always offered."),
    )

    class Meta:
        model = DemographicField
        fields = ["key", "label", "label_mi", "kind", "choices", "order"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == DemographicField.Kind.CHOICE and not data.get("choices"):
            self.add_error("choices", _("A choice question needs at least one choice."))
        return data


DemographicFormSet = inlineformset_factory(
    Engagement, DemographicField, form=DemographicFieldForm, extra=1, can_delete=True
)


class NewEngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["slug", "title", "title_mi", "summary", "purpose", "purpose_mi"]
        help_texts = {"slug": _("The short name in its web address, e.g. “data-use-2027”.")}
