"""``heard policy export --engagement SLUG --out FILE.json``: the policy as one JSON object.

Keys: ``versions`` (each with its ``hash``), ``clauses`` (ids, words per language, trace),
``coverage`` (themes answered, set aside with their reason, unanswered), ``feedback``,
``amendments`` and ``decisions`` (see ``heard.policy.exporting``). ``--out -`` writes to
standard output. Issued versions only, unless ``--include-drafts``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from heard.engagements.models import Engagement
from heard.listen.exporting import ExportError, dumps, write_json
from heard.policy import exporting
from heard.policy.models import Policy


class Command(BaseCommand):
    help = "Export an engagement's policy (versions, clauses, coverage, ...) as JSON."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{export}")
        export = sub.add_parser("export", help="Write the policy as one JSON object.")
        export.add_argument("--engagement", required=True, metavar="SLUG")
        export.add_argument("--out", required=True, metavar="FILE.json", help="'-' for stdout")
        export.add_argument(
            "--include-drafts",
            action="store_true",
            help="Also the version being written (it has no hash yet).",
        )

    def handle(self, *args, **options) -> None:
        slug = options["engagement"]
        engagement = Engagement.objects.filter(slug=slug).first()
        if engagement is None:
            raise CommandError(f"No engagement has the slug “{slug}”.")
        policy = Policy.objects.filter(engagement=engagement).first()
        if policy is None:
            raise CommandError(f"The engagement “{slug}” has no policy yet.")
        document = exporting.export(policy, drafts=options["include_drafts"])
        out = options["out"]
        if out == "-":
            self.stdout.write(dumps(document), ending="")
            return
        path = Path(out)
        try:
            # All or nothing: a reader never sees half a file.
            write_json(document, path)
        except ExportError as error:
            raise CommandError(str(error)) from error
        self.stderr.write(
            f"Wrote {path}: {len(document['versions'])} versions, "
            f"{len(document['clauses'])} clauses."
        )
