from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from heard.core.models import Membership
from heard.core.permissions import Role
from heard.plan.models import Hui, Venue


class HuiForm(forms.ModelForm):
    class Meta:
        model = Hui
        fields = [
            "key",
            "title",
            "starts_at",
            "ends_at",
            "format",
            "venue",
            "audience",
            "capacity",
            "attendance",
            "facilitators",
            "notes",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "facilitators": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.engagement = engagement
        self.fields["venue"].queryset = engagement.venues.all()
        self.fields["audience"].queryset = engagement.audiences.all()
        ids = Membership.objects.filter(engagement=engagement, role=Role.FACILITATOR).values_list(
            "user_id", flat=True
        )
        self.fields["facilitators"].queryset = get_user_model().objects.filter(pk__in=ids)
        self.fields["facilitators"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self) -> dict:
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("A hui must end after it starts."))
        if data.get("format") == Hui.Format.IN_PERSON and not data.get("venue"):
            self.add_error("venue", _("An in-person hui needs a venue."))
        key = data.get("key")
        if (
            key
            and Hui.objects.filter(engagement=self.engagement, key=key)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("key", _("Another hui already uses this key."))
        return data


class VenueForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = ["name", "place", "region", "accessibility", "capacity"]
