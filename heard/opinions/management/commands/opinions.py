"""``heard opinions ...``: the opinion map's command line (issue 5's contract; names are fixed).

    heard opinions compute DIR --out OUT.json [--no-replay] [--seed N]
    heard opinions import DIR --engagement SLUG [--topic TEXT]
    heard opinions export --engagement SLUG --conversation N --out DIR [--scope full|public]

DIR is a Pol.is openData conversation folder (comments.csv, and votes.csv or, without it, the
vote columns of participants-votes.csv). OUT.json holds::

    {"provenance": {...},
     "groups": {"<participant id>": <group number>, ...},
     "repness": {"<group number>": [<comment id>, ...], ...},
     "consensus": [<comment id>, ...],
     "pca": {...},
     ...more of the map (repness_detail, consensus_detail, projections, ...)}

Ids are the files' own: participant ids are JSON object keys, so strings ("17"); comment ids in
lists are integers (17), as openData's ids are integers (the reader refuses any other) and
tools comparing with Pol.is's math output, whose tids are integers, need no conversion.
Participants left out of the map (too few votes) are absent from "groups". Comments rejected
by moderation (``moderated`` -1) are passed to the engine as moderated out.

When every vote has a timestamp (votes.csv), the engine replays the history in time order in
batches, as Pol.is's math worker saw it, since Pol.is's groups depend on that order;
``--no-replay`` computes once from the latest votes. Which was done is in
``provenance.source.replay``. The command reads no database: any openData folder, any machine.

``import`` brings an openData folder into an engagement as a new conversation (every comment,
every vote row, a pseudonymous participant per Pol.is id, all through the record) and computes
its map; ``export`` writes any conversation back out in the same layout, with heard's groups
(``heard/opinions/exchange.py``; docs/opinions.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from heard.listen.exporting import ExportError, _write_atomically
from heard.opinions.open_data import (
    OpenDataError,
    PolisConversation,
    engine_inputs,
    latest_votes,
    read_conversation,
    vote_history,
)


class Command(BaseCommand):
    help = "The opinion map: compute it from a Pol.is openData folder (see the module doc)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        compute = actions.add_parser(
            "compute", help="compute the opinion map of an openData folder; write JSON"
        )
        compute.add_argument(
            "folder", type=Path, metavar="DIR", help="a Pol.is openData conversation folder"
        )
        compute.add_argument(
            "--out",
            type=Path,
            required=True,
            metavar="OUT.json",
            help="where the map goes (written whole or not at all; its folder is made)",
        )
        compute.add_argument(
            "--no-replay",
            action="store_true",
            help="compute once from the latest votes instead of replaying the vote history "
            "in time order (the default when every vote has a timestamp)",
        )
        compute.add_argument("--seed", type=int, default=0, help="the engine's seed (default 0)")

        imports = actions.add_parser(
            "import", help="import an openData folder into an engagement as a new conversation"
        )
        imports.add_argument("folder", type=Path, metavar="DIR")
        imports.add_argument("--engagement", required=True, metavar="SLUG")
        imports.add_argument("--topic", help="the conversation's topic (default: summary.csv's)")
        exports = actions.add_parser(
            "export", help="write a conversation in Pol.is's openData layout"
        )
        exports.add_argument("--engagement", required=True, metavar="SLUG")
        exports.add_argument("--conversation", required=True, type=int, metavar="N")
        exports.add_argument("--out", required=True, type=Path, metavar="DIR")
        exports.add_argument(
            "--scope",
            choices=["full", "public"],
            default="full",
            help="public withholds the words of rejected statements (default: full)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["action"].replace("-", "_"))(options)

    def do_compute(self, options: dict[str, Any]) -> None:
        out: Path = options["out"]
        _check_writable(out)  # before the work, not after it
        try:
            conv = read_conversation(options["folder"])
        except OpenDataError as error:
            raise CommandError(str(error)) from error
        if not conv.votes:
            raise CommandError(f"{options['folder']}: no votes, so there is no map to compute")
        replay = conv.has_timestamps and not options["no_replay"]
        try:
            from heard.opinions.engine.engine import compute
        except ImportError as error:
            raise CommandError(f"the opinion engine does not import: {error}") from error
        try:
            result = compute(
                vote_history(conv) if replay else latest_votes(conv),
                **engine_inputs(conv),
                replay=replay,
                seed=options["seed"],
            )
        except ValueError as error:
            raise CommandError(f"{options['folder']}: {error}") from error
        document = contract_document(result.to_json(), conv, folder=options["folder"])
        document["provenance"]["source"]["replay"] = replay
        document["provenance"]["source"]["replay_why"] = _replay_why(conv, options["no_replay"])
        try:
            text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        except ValueError as error:
            raise CommandError(f"the map holds a number JSON cannot carry: {error}") from error
        try:
            _write_atomically(out, text)
        except ExportError as error:
            raise CommandError(str(error)) from error
        in_map = len(document["groups"])
        voters = len({vote.voter for vote in conv.votes})
        self.stdout.write(
            f"{in_map} of {voters} participants in {len(document['repness'])} groups"
            f" ({'replayed' if replay else 'latest votes'}); written to {out}"
        )

    def do_import(self, options: dict[str, Any]) -> None:
        from heard.engagements.models import Engagement
        from heard.opinions import exchange, mapping
        from heard.opinions.models import Vote

        engagement = Engagement.objects.filter(slug=options["engagement"]).first()
        if engagement is None:
            raise CommandError(f"no engagement with the slug {options['engagement']!r}")
        try:
            conversation = exchange.import_folder(
                engagement, options["folder"], topic=options.get("topic")
            )
        except (OpenDataError, ValidationError, DatabaseError) as error:
            message = " ".join(getattr(error, "messages", [str(error)]))
            raise CommandError(f"{options['folder']}: {message} (nothing was imported)") from error
        snapshot = mapping.compute_now(conversation)
        statements = conversation.statements.count()
        votes = Vote.objects.filter(statement__conversation=conversation).count()
        groups = len((snapshot.result or {}).get("group_centres") or [])
        self.stdout.write(
            f"Imported conversation {conversation.number} into {engagement.slug}: "
            f"{statements} statements, {votes} vote rows; its map has {groups} groups."
        )

    def do_export(self, options: dict[str, Any]) -> None:
        from heard.opinions import exchange
        from heard.opinions.models import Conversation

        conversation = Conversation.objects.filter(
            engagement__slug=options["engagement"], number=options["conversation"]
        ).first()
        if conversation is None:
            raise CommandError(
                f"no conversation {options['conversation']} in {options['engagement']!r}"
            )
        try:
            paths = exchange.export_folder(conversation, options["out"], scope=options["scope"])
        except (OpenDataError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Wrote {len(paths)} files to {options['out']} ({options['scope']}).")


def _replay_why(conv: PolisConversation, no_replay: bool) -> str:
    if no_replay:
        return "--no-replay"
    if conv.has_timestamps:
        return "every vote has a timestamp"
    return f"votes from {conv.votes_source} have no timestamps"


def _check_writable(out: Path) -> None:
    """Refuse an --out that cannot be written, with the reason, before any work is done."""
    if out.is_dir():
        raise CommandError(f"--out {out} is a directory; give a file name")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"--out: cannot create {parent}: {error.strerror}") from error
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"--out: {parent} is not writable")


def _file_id(statement: str) -> int | str:
    """A comment id as it appears in the files: an integer when it is one."""
    return int(statement) if statement.isascii() and statement.isdigit() else statement


def contract_document(result: dict[str, Any], conv: PolisConversation, *, folder: Path) -> dict:
    """The engine's ``to_json()`` with comment ids as in the files and the source described
    in the provenance (which folder, which file the votes came from, how many)."""
    document = dict(result)
    document["provenance"] = {
        **result.get("provenance", {}),
        "source": {
            "format": "Pol.is openData",
            "folder": Path(folder).name,
            "votes_from": conv.votes_source,
            "votes_read": len(conv.votes),
            "comments": len(conv.comments),
            "moderated_out": len([c for c in conv.comments if c.moderated == -1]),
        },
    }
    document["groups"] = {str(p): int(g) for p, g in result["groups"].items()}
    document["repness"] = {
        str(g): [_file_id(s) for s in statements] for g, statements in result["repness"].items()
    }
    document["consensus"] = [_file_id(s) for s in result["consensus"]]
    for key in ("repness_detail", "consensus_detail"):
        for stats in document.get(key, {}).values():
            for stat in stats:
                stat["statement"] = _file_id(stat["statement"])
    return document
