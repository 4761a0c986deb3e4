"""``heard demo``: seed (not serve) the demonstration engagement, slug ``demo``."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from heard.core import demo_loader


class Command(BaseCommand):
    help = "Seed the demonstration engagement (slug 'demo'). Does nothing if it is already there."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help="Print the demo sign-in names and what each can do, and exit.",
        )
        parser.add_argument(
            "--print-password",
            action="store_true",
            help="Print the demo accounts' password, and exit.",
        )
        parser.add_argument(
            "--no-themes",
            action="store_true",
            help="Do not run the theme analysis (it takes a while on a slow machine).",
        )

    def handle(self, *args, **options) -> None:
        if options["print_password"]:
            self.stdout.write(demo_loader.DEMO_PASSWORD)
            return
        if options["print_logins"]:
            for username, what in demo_loader.demo_logins():
                self.stdout.write(f"{username:<28} {what}")
            return
        if demo_loader.demo_exists():
            self.stdout.write("The demo engagement is already loaded (slug 'demo').")
        else:
            counts = demo_loader.load_demo()
            self.stdout.write(
                self.style.SUCCESS(
                    "Loaded the demo engagement: {hui} hui, {participants} participants, "
                    "{contributions} contributions ({hidden} hidden by moderation).".format(
                        **counts
                    )
                )
            )
        from heard.engagements.models import Engagement

        engagement = Engagement.objects.get(slug=demo_loader.DEMO_SLUG)
        self._opinions(engagement)
        if not options["no_themes"]:
            self._themes(engagement)
            self._report(engagement)
            self._policy(engagement)

    def _opinions(self, engagement) -> None:
        """The demo's conversation: statements, votes and hui tallies (idempotent)."""
        from heard.opinions.demo import load_demo_conversation

        counts = load_demo_conversation(engagement)
        if counts is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    "Added the demo's conversation: {statements} statements, {votes} votes "
                    "from {voters} people, {tallies} hui tallies.".format(**counts)
                )
            )

    def _themes(self, engagement) -> None:
        """One finished theme analysis, so the themes pages have something to show."""
        from heard.sense.demo import ensure_demo_themes

        run = ensure_demo_themes(engagement)
        if run is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Analysed the demo's themes: {run.themes.count()} themes "
                    f"(analysis {run.version})."
                )
            )

    def _report(self, engagement) -> None:
        """The demo's findings, published (an interim report: the demo is still listening)."""
        from heard.report.demo import ensure_demo_report

        version = ensure_demo_report(engagement)
        if version is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Published the demo's findings: version {version.number}, "
                    f"{version.pages} pages (/e/demo/report/)."
                )
            )

    def _policy(self, engagement) -> None:
        """The demo's policy: clauses traced to its themes, version 1 issued."""
        from heard.policy.demo import ensure_demo_policy
        from heard.policy.services import coverage_of, latest_issued

        policy = ensure_demo_policy(engagement)
        if policy is not None:
            version = latest_issued(policy)
            found = coverage_of(version)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Drafted the demo's policy: {version.clause_versions.count()} clauses, "
                    f"version {version.number} issued ({version.content_hash[:19]}…); "
                    f"{len(found.answered)} themes answered, {len(found.unanswered)} unanswered."
                )
            )
