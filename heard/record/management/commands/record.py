"""``heard record ...``: the record's command line (the issue's contract; names are fixed).

heard record vkey                               the verifier key
heard record checkpoint                         the current signed checkpoint
heard record entry INDEX                        the exact leaf bytes of entry INDEX
heard record receipt INDEX --out FILE           the tlog-proof for entry INDEX
heard record verify-receipt FILE --vkey VKEY [--leaf FILE]   check a receipt offline
heard record consistency OLD_SIZE NEW_SIZE      the consistency proof, one base64 hash a line
heard record verify [DIR_OR_URL] --vkey VKEY    audit everything; non-zero exit on any problem
heard record export-tiles DIR                   the log as C2SP tlog-tiles plus the checkpoint
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "The tamper-evident record: keys, checkpoints, entries, receipts, proofs, audits."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("vkey", help="print the verifier key")
        sub.add_parser("checkpoint", help="print the current signed checkpoint")
        p = sub.add_parser("entry", help="write the exact bytes of an entry to stdout")
        p.add_argument("index", type=int)
        p = sub.add_parser("receipt", help="write the receipt (tlog-proof) for an entry")
        p.add_argument("index", type=int)
        p.add_argument("--out", required=True)
        p = sub.add_parser("verify-receipt", help="check a receipt offline")
        p.add_argument("file")
        p.add_argument("--vkey", required=True)
        p.add_argument("--leaf", help="the entry's bytes, if the receipt does not carry them")
        p = sub.add_parser("consistency", help="print a consistency proof")
        p.add_argument("old_size", type=int)
        p.add_argument("new_size", type=int)
        p = sub.add_parser("verify", help="audit the whole record")
        p.add_argument(
            "source", nargs="?", help="an exported folder or URL (default: the database)"
        )
        p.add_argument("--vkey", required=True)
        p = sub.add_parser("export-tiles", help="write the log as tlog-tiles")
        p.add_argument("dir")
        p = sub.add_parser("schedule", help="issue checkpoints on a schedule, on the worker")
        p.add_argument("--interval", type=int, default=300)
        p = sub.add_parser("witness-key", help="make a witness signing key")
        p.add_argument("name")
        p.add_argument("--out", required=True)
        p = sub.add_parser("witness", help="check a log's checkpoint and cosign it")
        p.add_argument("url", help="the log's record address, e.g. https://site/record/")
        p.add_argument("--log-vkey", required=True)
        p.add_argument("--key", required=True, help="the witness's private key file")
        p.add_argument("--state", required=True, help="where the witness remembers the log")
        p.add_argument("--submit", action="store_true", help="post the cosignature to the log")

    def handle(self, *args, **options) -> None:
        getattr(self, "do_" + options["action"].replace("-", "_"))(options)

    def _write(self, text: str) -> None:
        self.stdout.write(text, ending="")

    def do_vkey(self, options) -> None:
        from heard.record import keys

        self._write(keys.vkey() + "\n")

    def do_checkpoint(self, options) -> None:
        from heard.record import services

        self._write(services.issue_checkpoint().note)

    def do_entry(self, options) -> None:
        from heard.record.models import LogEntry

        item = LogEntry.objects.filter(index=options["index"]).first()
        if item is None:
            raise CommandError(f"There is no entry {options['index']}.")
        self.stdout.flush()
        sys.stdout.buffer.write(bytes(item.leaf))
        sys.stdout.buffer.flush()

    def do_receipt(self, options) -> None:
        from heard.record import services
        from heard.record.models import LogEntry

        if not LogEntry.objects.filter(index=options["index"]).exists():
            raise CommandError(f"There is no entry {options['index']}.")
        Path(options["out"]).write_text(services.receipt(options["index"]), encoding="utf-8")
        self.stdout.write(f"Wrote the receipt for entry {options['index']} to {options['out']}.")

    def do_verify_receipt(self, options) -> None:
        from heard.record import receipts

        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
            leaf = Path(options["leaf"]).read_bytes() if options.get("leaf") else None
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read the receipt: {error}") from error
        result = receipts.check(text, vkey=options["vkey"], leaf=leaf)
        for fact in result.facts:
            self.stdout.write(fact)
        if not result.ok:
            raise CommandError("; ".join(result.problems))
        self.stdout.write("OK")

    def do_consistency(self, options) -> None:
        from heard.record import merkle, services

        old, new = options["old_size"], options["new_size"]
        if not 0 <= old <= new <= services.size():
            raise CommandError(f"Sizes must satisfy 0 <= OLD <= NEW <= {services.size()}.")
        try:
            proof = services.consistency(old, new)
        except merkle.ProofError as error:
            raise CommandError(str(error)) from error
        for item in proof:
            self.stdout.write(base64.b64encode(item).decode())

    def do_verify(self, options) -> None:
        if options.get("source"):
            from heard.record import audit_tiles

            report = audit_tiles.audit_source(options["source"], options["vkey"])
        else:
            from heard.record.audit_db import audit_database

            report = audit_database(options["vkey"])
        for problem in report.problems:
            self.stderr.write(problem)
        summary = (
            f"{report.entries} entries, {report.checkpoints} checkpoints, "
            f"{report.records} records checked"
        )
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problems found ({summary}).")
        self.stdout.write(f"OK: {summary}; nothing is out of place.")

    def do_export_tiles(self, options) -> None:
        from heard.record import export

        count = export.export_tiles(Path(options["dir"]))
        self.stdout.write(f"Wrote {count} files to {options['dir']}.")

    def do_witness_key(self, options) -> None:
        import os

        from heard.record import notes

        key = notes.generate_witness_key(options["name"])
        try:
            fd = os.open(options["out"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{options['out']} exists; a key is never overwritten.") from None
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        self.stdout.write(notes.Signer.from_key(key).vkey)

    def do_witness(self, options) -> None:
        import urllib.error
        import urllib.request

        from heard.record import notes
        from heard.record.witness import WitnessError, witness_once

        base = options["url"].rstrip("/") + "/"
        if not base.startswith(("http://", "https://")):
            raise CommandError("The log's address must start with http:// or https://.")

        def get(path: str) -> str:
            with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310
                return response.read(1_000_000).decode("utf-8")

        def consistency(old: int, new: int) -> list[bytes]:
            return [base64.b64decode(line) for line in get(f"consistency/{old}/{new}").split()]

        signer = notes.Signer.from_key(Path(options["key"]).read_text().strip())
        try:
            note, _line = witness_once(
                checkpoint_note=get("checkpoint"),
                consistency=consistency,
                log_vkey=options["log_vkey"],
                signer=signer,
                state=Path(options["state"]),
            )
        except (WitnessError, OSError) as error:
            raise CommandError(f"Not cosigned: {error}") from error
        self._write(note)
        if options["submit"]:
            request = urllib.request.Request(  # noqa: S310 (checked: http or https)
                base + "cosign", data=note.encode(), method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    self.stderr.write(response.read().decode().strip())
            except urllib.error.HTTPError as error:
                raise CommandError(error.read().decode().strip()) from error

    def do_schedule(self, options) -> None:
        from heard.record import tasks

        if options["interval"] < 10:
            raise CommandError("The interval must be at least 10 seconds.")
        started = tasks.schedule(options["interval"])
        self.stdout.write(
            "Scheduled checkpoints: " + ("started." if started else "already running.")
        )
