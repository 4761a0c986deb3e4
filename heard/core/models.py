"""Roles people hold in an engagement, and the invite links facilitators join through."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heard.core.permissions import Role
from heard.engagements.models import Engagement

STAFF_ROLE_CHOICES = [
    (Role.TEAM.value, _("Engagement team")),
    (Role.FACILITATOR.value, _("Facilitator")),
    (Role.WORKING_GROUP.value, _("Working group member")),
]


class Membership(models.Model):
    """A staff role in one engagement. Participants are ``listen.Participant`` rows instead,
    because a participant is pseudonymous and may exist without any account (a voice at a hui)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=STAFF_ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "user", "role"], name="one_role_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.engagement}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FacilitatorInvite(models.Model):
    """A link that makes whoever follows it (and signs in) a facilitator of one engagement.

    Only the token's hash is stored, so a database reader cannot use live links.
    """

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="invites")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(
        max_length=120, blank=True, help_text=_("Who it is for, for your notes")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField(default=1)
    uses = models.PositiveIntegerField(default=0)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"invite to {self.engagement} ({self.label})"

    @classmethod
    def issue(
        cls,
        engagement: Engagement,
        *,
        created_by,
        label: str = "",
        days: int = 14,
        max_uses: int = 1,
    ) -> tuple[FacilitatorInvite, str]:
        """Make an invite; returns it and the secret token (shown once, never stored)."""
        token = secrets.token_urlsafe(24)
        invite = cls.objects.create(
            engagement=engagement,
            token_hash=_hash_token(token),
            label=label,
            created_by=created_by,
            expires_at=timezone.now() + timezone.timedelta(days=days),
            max_uses=max_uses,
        )
        return invite, token

    @classmethod
    def find(cls, token: str) -> FacilitatorInvite | None:
        return (
            cls.objects.filter(token_hash=_hash_token(token)).select_related("engagement").first()
        )

    def usable(self) -> bool:
        return not self.revoked and self.uses < self.max_uses and timezone.now() < self.expires_at
