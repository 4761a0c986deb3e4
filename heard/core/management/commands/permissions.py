"""``heard permissions``: print the permission table (role x action x phase)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from heard.core.permissions import Action, Phase, Role, allowed


class Command(BaseCommand):
    help = "Print the permission table; --markdown prints docs/permissions.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--markdown", action="store_true")

    def handle(self, *args, **options) -> None:
        from heard.core.permissions import as_markdown

        if options["markdown"]:
            self.stdout.write(as_markdown(), ending="")
            return
        for action in Action:
            for role in Role:
                phases = [p.value for p in Phase if allowed(role, action, p)]
                if phases:
                    self.stdout.write(f"{action.value:<24} {role.value:<14} {', '.join(phases)}")
