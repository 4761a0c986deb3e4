"""``heard export polis|json``: an engagement as open data.

    heard export polis --engagement SLUG --out DIR
    heard export json --engagement SLUG --out FILE [--scope full|public]

This is an operator's command (whoever runs it can read the database anyway), so it asks no
role. ``polis`` always applies the public record's rules: it is meant to be published. ``json``
defaults to ``full``, the team's own archive of its engagement (every word, hidden or not);
``--scope public`` gives what anyone may see. No scope ever includes account ids, usernames or
staff identities.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from heard.engagements.models import Engagement
from heard.listen import exporting


class Command(BaseCommand):
    help = "Export an engagement as open data: the Pol.is openData layout, or one JSON document."

    def add_arguments(self, parser) -> None:
        formats = parser.add_subparsers(dest="format", required=True, metavar="{polis,json}")
        polis = formats.add_parser(
            "polis",
            help="Pol.is openData files (comments.csv and friends) and a README, pseudonymous.",
        )
        polis.add_argument("--engagement", required=True, metavar="SLUG")
        polis.add_argument("--out", required=True, metavar="DIR", help="Made if missing.")
        polis.add_argument(
            "--url",
            help="The engagement's public address for summary.csv (default: HEARD_BASE_URL "
            "setting + its path, or the path alone).",
        )
        whole = formats.add_parser("json", help="The whole engagement as one JSON document.")
        whole.add_argument("--engagement", required=True, metavar="SLUG")
        whole.add_argument("--out", required=True, metavar="FILE", help='"-" for stdout.')
        whole.add_argument(
            "--scope",
            choices=["full", "public"],
            default="full",
            help="full (default): the team's archive, every word; public: what anyone may see "
            "(hidden and not-for-quoting words withheld, no pseudonyms without consent, no "
            "demographics).",
        )

    def handle(self, *args, **options) -> None:
        engagement = self._engagement(options["engagement"])
        try:
            if options["format"] == "polis":
                self._polis(engagement, Path(options["out"]), options.get("url"))
            else:
                self._json(engagement, options["out"], options["scope"])
        except exporting.ExportError as error:
            raise CommandError(str(error)) from error

    def _engagement(self, slug: str) -> Engagement:
        engagement = Engagement.objects.filter(slug=slug).first()
        if engagement is None:
            known = ", ".join(Engagement.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"No engagement has the slug “{slug}”. "
                + (f"Known slugs: {known}." if known else "There are no engagements yet.")
            )
        return engagement

    def _polis(self, engagement: Engagement, out_dir: Path, url: str | None) -> None:
        if not url:
            base = getattr(settings, "HEARD_BASE_URL", "").rstrip("/")
            url = base + engagement.get_absolute_url()
        document = exporting.collect(engagement)
        paths = exporting.write_polis(document, out_dir, tz=ZoneInfo(settings.TIME_ZONE), url=url)
        withheld = sum(1 for c in document["contributions"] if exporting.withheld_reason(c))
        self.stdout.write(
            f"Wrote {len(paths)} files to {out_dir}: {len(document['contributions'])} "
            f"contributions, {withheld} with their words withheld (hidden or not for quoting)."
        )

    def _json(self, engagement: Engagement, out: str, scope: str) -> None:
        document = exporting.collect(engagement)
        if scope == "public":
            document = exporting.public_scope(document)
        if out == "-":
            # The document alone on stdout, so it can be piped; nothing else is printed there.
            self.stdout.write(exporting.dumps(document), ending="")
            return
        path = Path(out)
        exporting.write_json(document, path)
        self.stdout.write(
            f"Wrote {path} ({scope} scope): {len(document['contributions'])} contributions."
        )
