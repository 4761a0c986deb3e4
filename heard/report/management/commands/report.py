"""``heard report build --engagement SLUG --out DIR``: the findings as a static folder.

The folder holds ``index.html`` and ``report.pdf`` at its top level, the public open data in
``data/`` and the record's tiles in ``record/``: any web host can serve it, and it opens from
disk. An operator's command (whoever runs it can read the database), so it asks no role; what
it writes is only what the public may see.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from heard.engagements.models import Engagement
from heard.report import building


class Command(BaseCommand):
    help = "Build an engagement's findings report: web page, PDF, open data and record tiles."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{build}")
        build = sub.add_parser("build", help="Write the report as a static folder.")
        build.add_argument("--engagement", required=True, metavar="SLUG")
        build.add_argument("--out", required=True, metavar="DIR", help="Made if missing.")

    def handle(self, *args, **options) -> None:
        slug = options["engagement"]
        engagement = Engagement.objects.filter(slug=slug).first()
        if engagement is None:
            known = ", ".join(Engagement.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"No engagement has the slug “{slug}”. "
                + (f"Known slugs: {known}." if known else "There are no engagements yet.")
            )
        started = time.monotonic()
        try:
            built = building.build(engagement, Path(options["out"]))
        except building.BuildError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Wrote {built.out}: index.html, report.pdf ({built.pages} pages, {built.quotes} "
            f"quotes), data/ and record/ ({built.files} files) in "
            f"{time.monotonic() - started:.1f} s."
        )
