"""Sign-up: an account needs only a sign-in name and a password. No email, no real name."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username",)
        labels = {"username": _("Sign-in name")}
        help_texts = {
            "username": _(
                "Private: only you use it, to sign in. It is never shown with your "
                "words. Letters, digits and @ . + - _ only."
            ),
        }


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the field named as on the sign-up form."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Sign-in name")
