"""What the policy's pages share: a service called from a form, its refusal shown in the form."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError


def tried[T](form: forms.Form, act: Callable[[], T]) -> T | None:
    """Run a service and return what it gives; on a refusal, None, and the refusal becomes the
    form's error (shown in its error summary, with what was typed kept)."""
    try:
        return act()
    except ValidationError as error:
        form.add_error(None, error)
        return None
