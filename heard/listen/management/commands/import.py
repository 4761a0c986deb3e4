"""``heard import contributions FILE --engagement SLUG``: import hui notes from CSV or XLSX.

The same rules as the web import (same parser, same checks, same import function): a file with
bad rows imports nothing unless ``--good-rows-only`` is given; a file imported before is refused
unless ``--import-again`` is given. The import runs in this process (it is the operator's
command), through ``import_service.run_import``, the function the task worker runs.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.listen import import_service
from heard.listen.importing import ParseResult, Problem
from heard.listen.models import ImportBatch


class Command(BaseCommand):
    help = "Import contributions (hui notes) from a CSV or XLSX file into an engagement."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["contributions"], help="What to import.")
        parser.add_argument("file", type=Path, help="The CSV or XLSX file.")
        parser.add_argument("--engagement", required=True, metavar="SLUG")
        parser.add_argument(
            "--good-rows-only",
            action="store_true",
            help="Import the good rows even when some rows have problems (they are reported).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; import nothing."
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="Record the contributions as recorded by them."
        )
        parser.add_argument(
            "--import-again",
            action="store_true",
            help="Import even if an identical file was imported into this engagement before.",
        )

    def handle(self, *args, **options) -> None:
        engagement = Engagement.objects.filter(slug=options["engagement"]).first()
        if engagement is None:
            raise CommandError(f"No engagement has the slug “{options['engagement']}”.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user is called “{options['user']}”.")
        path: Path = options["file"]
        content = self._read(path)

        result = import_service.read_file(engagement, content, path.name)
        self._report(result)
        if not result.readable:
            raise CommandError(_("The file cannot be read; nothing was imported."))
        bad = len(result.bad_rows)
        good = len(result.rows) - bad
        if bad and not options["good_rows_only"]:
            raise CommandError(
                _(
                    "%(bad)s rows have problems, so nothing was imported. Correct the file, "
                    "or run again with --good-rows-only to import the %(good)s good rows."
                )
                % {"bad": bad, "good": good}
            )
        if good == 0:
            raise CommandError(_("No row in this file can be imported."))
        if options["dry_run"]:
            self.stdout.write(_("Dry run: %(good)s rows would be imported.") % {"good": good})
            return

        batch = ImportBatch(engagement=engagement, sha256=import_service.sha256_of(content))
        earlier = import_service.earlier_imports_of_same_file(batch).first()
        if earlier and not options["import_again"]:
            raise CommandError(
                _(
                    "An identical file was already imported into this engagement on %(when)s "
                    "(import %(pk)s); importing it again would keep its rows twice. Nothing was "
                    "imported. Use --import-again if that is what you want."
                )
                % {"when": f"{earlier.created_at:%Y-%m-%d %H:%M}", "pk": earlier.pk}
            )

        batch = import_service.create_batch(
            engagement, filename=path.name, content=content, uploaded_by=user, result=result
        )
        mode = ImportBatch.Mode.GOOD_ONLY if bad else ImportBatch.Mode.ALL
        import_service.confirm(batch, mode, enqueue=False)
        outcome = import_service.run_import(batch.pk)
        batch.refresh_from_db()
        if batch.status != ImportBatch.Status.DONE:
            failure = (batch.report.get("result") or {}).get("failure", [])
            for item in failure:
                self.stderr.write(Problem.from_json(item).render(_))
            raise CommandError(_("The import did not finish (import %(pk)s).") % {"pk": batch.pk})
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(n)s rows into “%(engagement)s” (import %(pk)s); "
                    "%(bad)s rows with problems left out; %(blank)s blank rows skipped."
                )
                % {
                    "n": outcome["imported"],
                    "engagement": engagement.slug,
                    "pk": batch.pk,
                    "bad": bad,
                    "blank": result.blank_rows,
                }
            )
        )

    def _read(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size > settings.HEARD_IMPORT_MAX_BYTES:
                raise CommandError(
                    _("The file is %(size)s bytes; the limit is %(limit)s bytes. Split it.")
                    % {"size": f"{size:,}", "limit": f"{settings.HEARD_IMPORT_MAX_BYTES:,}"}
                )
            return path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from error

    def _report(self, result: ParseResult) -> None:
        """The per-line report: problems on stderr, warnings and counts on stdout."""
        for problem in result.file_problems:
            self.stderr.write(problem.render(_))
        for warning in result.warnings:
            self.stdout.write(_("Warning: %(w)s") % {"w": warning.render(_)})
        for row in result.rows:
            for problem in row.problems:
                self.stderr.write(
                    _("line %(line)s: %(column)s: %(message)s")
                    % {
                        "line": row.line,
                        "column": problem.column or "-",
                        "message": problem.render(_),
                    }
                )
            for warning in row.warnings:
                self.stdout.write(
                    _("line %(line)s: warning: %(message)s")
                    % {"line": row.line, "message": warning.render(_)}
                )
        if result.readable:
            bad = len(result.bad_rows)
            self.stdout.write(
                _(
                    "Read %(rows)s rows: %(good)s good, %(bad)s with problems, "
                    "%(blank)s blank rows skipped."
                )
                % {
                    "rows": len(result.rows),
                    "good": len(result.rows) - bad,
                    "bad": bad,
                    "blank": result.blank_rows,
                }
            )
