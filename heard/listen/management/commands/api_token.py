"""``heard api_token USERNAME``: print a bearer token for the JSON API, for scripts.

The token is signed, not stored (see ``heard.api.auth`` for why): it is valid for
``HEARD_API_TOKEN_MAX_AGE_DAYS`` days (default 90). To revoke a person's tokens, change their
password or deactivate them; to revoke everyone's, rotate ``HEARD_SECRET_KEY``. There is no way
to revoke a single token on its own.

It lives in ``heard.listen`` because ``heard.api`` is not a Django app (it has no models) and
Django finds commands only in installed apps.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from heard.api.auth import make_token, token_max_age


class Command(BaseCommand):
    help = "Print a bearer token for the JSON API for USERNAME (valid 90 days by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, **options) -> None:
        username = options["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called “{username}”.")
        if not user.is_active:
            raise CommandError(f"“{username}” is deactivated; a token would not work.")
        expires = timezone.localtime() + token_max_age()
        # The token alone on stdout (for `TOKEN=$(heard api_token name)`); the note on stderr.
        self.stdout.write(make_token(user))
        self.stderr.write(
            f"Valid until {expires:%Y-%m-%d %H:%M %Z}. Send it as "
            "“Authorization: Bearer TOKEN”. Changing the password revokes it.",
            style_func=lambda text: text,
        )
