"""``heard themes cluster``: themes from any CSV, written as JSON.

    heard themes cluster INPUT.csv --text-column COL --id-column COL [--k N] [--fast] --out OUT.json

The command-line contract of the theme engine, for scripts and side-by-side comparisons with
other tools. It reads no database: any CSV, any machine with heard installed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from heard.sense.themes.csv_input import InputError, read_items
from heard.sense.themes.engine import find_themes
from heard.sense.themes.quotes import QuoteMismatch


class Command(BaseCommand):
    help = "Group contributions into themes backed by exact quotes (see docs/themes.md)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        cluster = actions.add_parser("cluster", help="Find themes in a CSV file; write JSON.")
        cluster.add_argument("input", type=Path, metavar="INPUT.csv")
        cluster.add_argument("--text-column", required=True, metavar="COL")
        cluster.add_argument("--id-column", required=True, metavar="COL")
        cluster.add_argument(
            "--k",
            type=int,
            default=None,
            metavar="N",
            help="number of themes (default: chosen automatically)",
        )
        cluster.add_argument(
            "--fast",
            action="store_true",
            help="static word-vector embeddings, for very large inputs",
        )
        cluster.add_argument("--out", type=Path, required=True, metavar="OUT.json")
        cluster.add_argument(
            "--language-column",
            metavar="COL",
            help="optional column of language tags (en, mi, ...)",
        )
        cluster.add_argument(
            "--consent-column",
            metavar="COL",
            help="optional column saying who may be quoted (yes/no); "
            "without it every text may be quoted",
        )
        cluster.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options) -> None:
        if options["k"] is not None and options["k"] < 1:
            raise CommandError("--k must be at least 1")
        try:
            items = read_items(
                options["input"],
                text_column=options["text_column"],
                id_column=options["id_column"],
                language_column=options["language_column"],
                consent_column=options["consent_column"],
            )
        except InputError as error:
            raise CommandError(str(error)) from error
        if not items:
            raise CommandError(f"{options['input']} has a header but no rows")

        def progress(stage: str, fraction: float) -> None:
            if options["verbosity"] >= 2:
                sys.stderr.write(f"\r{stage}: {fraction:4.0%}")
                sys.stderr.flush()

        try:
            result = find_themes(
                items,
                k=options["k"],
                fast=options["fast"],
                seed=options["seed"],
                progress=progress,
                cache_dir=settings.DATA_DIR / "models",
            )
        except (ValueError, QuoteMismatch) as error:
            raise CommandError(str(error)) from error
        write_json(options["out"], result.to_json())
        self.stdout.write(
            f"{len(result.themes)} themes, {len(result.unassigned)} fit no theme, "
            f"{len(items)} contributions; written to {options['out']}"
        )


def write_json(path: Path, payload: dict) -> None:
    """Whole or not at all: written beside the target, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
