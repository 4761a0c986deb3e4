"""Writes contributions in batches until killed (used by test_crash.py; not a test itself)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heard.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402

from heard.engagements.models import Engagement  # noqa: E402
from heard.listen import services  # noqa: E402
from heard.listen.vocab import Channel, QuoteConsent  # noqa: E402


def main() -> None:
    batch = int(sys.argv[1])
    engagement, _ = Engagement.objects.get_or_create(
        slug="crash", defaults={"title": "Crash", "purpose": "Kill me mid-batch."}
    )
    user, _ = get_user_model().objects.get_or_create(username=f"writer-{os.getpid()}")
    participant, _ = services.join_as_participant(engagement, user, pseudonym="Writer")
    print("ready", flush=True)
    n = 0
    while True:
        with transaction.atomic():
            for _ in range(batch):
                n += 1
                services.submit_contribution(
                    engagement,
                    participant,
                    services.Submission(
                        text=f"Words {n} from {os.getpid()} — kōrero",
                        language="mi",
                        channel=Channel.ONLINE,
                        quote_consent=QuoteConsent.QUOTE,
                    ),
                )


if __name__ == "__main__":
    main()
