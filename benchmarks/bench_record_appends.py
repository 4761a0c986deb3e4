"""The record in the database: durable appends, proofs read from the database, and the audit.

What it answers: how many entries per second the record keeps when each is its own transaction
and when they come in batches, on SQLite and on PostgreSQL; how long an inclusion proof and a
consistency proof take when their hashes are read from the database (``services.NODES``) at
10^4, 10^5 and 10^6 entries; and how long ``audit_database`` takes over 10^6 entries. Side by
side, in the same run: pymerkle 7 (PyPI; a benchmark-only peer) with its in-memory tree and its
SQLite tree, and heard's own ``merkle.MemoryTree``. Goals from issue 3: durable batched appends at
least pymerkle's in-memory rate; a proof in <= 0.1 ms; an audit of 10^6 entries in <= 10 s.

How: for each database a fresh data directory (and, for PostgreSQL, a fresh database on
127.0.0.1:5432, dropped afterwards), ``heard migrate``, then one subprocess with the app set up
that grows the log through the record's one door: ``--single`` appends each in its own transaction
(``services.append``), then ``services.append_many`` with ``--small-batch`` entries per
transaction up to ``--small-batches-until`` entries, then ``--large-batch`` per transaction up to
``--max-entries``. At each of 10^4, 10^5 and 10^6 entries the growth pauses for ``--proofs``
inclusion and consistency proofs at random positions (each verified afterwards against the root,
outside the timing). At the end: a checkpoint, then the full audit, which must find nothing.

Every entry is a "hui recorded" event with small fields; pymerkle gets the same leaf bytes, so
its roots must equal the roots heard computes from its stored hashes (checked: exit 1 if not).
Results are printed with the machine and written to
``benchmarks/results/record_appends-<timestamp>.json``. With the defaults the whole run takes
two to three minutes on two cores; ``--max-entries`` scales it down.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks._app import (
    PYMERKLE_MISSING,
    ROOT,
    VENV_BIN,
    Skipped,
    add_databases_option,
    fresh_app,
    run_each_database,
    start_run,
    text_table,
)

NAME = "record_appends"
PROOF_SIZES = (10_000, 100_000, 1_000_000)
WORKER_TIMEOUT = 1800  # seconds; a worker that runs longer has hung
GOAL_PROOF_MS = 0.1
GOAL_AUDIT_SECONDS = 10.0
GOAL_AUDIT_ENTRIES = 1_000_000


# --------------------------------------------------------------------------------------------
# The entries: the same bytes for heard (through events.encode) and for pymerkle.
# --------------------------------------------------------------------------------------------


def hui_fields(number: int) -> dict[str, object]:
    """Small fields of a "hui recorded" event, different for every entry."""
    return {
        "engagement": "bench-record",
        "hui": f"hui-{number:07d}",
        "title": "Hui ā-rohe at Ōtaki",
        "starts": "2026-03-01T18:00:00Z",
        "ends": "2026-03-01T20:00:00Z",
        "format": "in_person",
        "capacity": 40,
        "attendance": number % 47,
    }


def leaf_bytes(number: int) -> bytes:
    """The leaf ``events.encode(HUI_RECORDED, hui_fields(number))`` gives, built with the
    standard library: for these fields (ASCII keys, small integers, strings without control
    characters) sorted-key compact JSON is the RFC 8785 form. ``check_leaf_bytes`` proves it."""
    body = {**hui_fields(number), "type": "hui.recorded", "v": 1}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_leaf_bytes(samples: int = 200) -> None:
    from heard.record import events

    for number in range(samples):
        made = events.encode(events.EventType.HUI_RECORDED, hui_fields(number))
        if made != leaf_bytes(number):
            raise RuntimeError(f"leaf {number}: the benchmark's bytes differ from events.encode")


# --------------------------------------------------------------------------------------------
# Figures.
# --------------------------------------------------------------------------------------------


def timing_ms(samples: Sequence[float]) -> dict[str, float | int]:
    """Median and nearest-rank 95th percentile of per-call seconds, in milliseconds."""
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "count": len(ordered),
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": p95 * 1000,
    }


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 and count else None


def peak_rss_mib() -> float | None:
    """This process's peak resident memory. VmHWM, not getrusage: ru_maxrss survives exec, so
    a worker would report the parent's size at the moment it was started."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def time_each(calls: Sequence[Callable[[], object]], seconds: float) -> tuple[list[float], bool]:
    """Time ``calls`` one by one; stop early (True) once ``seconds`` have gone by."""
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
        if time.monotonic() > deadline:
            return samples, len(samples) < len(calls)
    return samples, False


def proof_positions(size: int, count: int, seed: int) -> tuple[list[int], list[int]]:
    """The same random leaf indices and old sizes for every implementation at one size."""
    rng = random.Random(seed * 1_000_003 + size)
    indices = [rng.randrange(size) for _ in range(count)]
    old_sizes = [rng.randrange(1, size) for _ in range(count)] if size > 1 else []
    return indices, old_sizes


def milestones(args: argparse.Namespace, max_entries: int) -> list[int]:
    """Sizes at which proofs are timed: the decades up to ``max_entries``, or ``max_entries``."""
    sizes = [size for size in PROOF_SIZES if size <= max_entries]
    return sizes or [max_entries]


# --------------------------------------------------------------------------------------------
# The worker: runs inside the app (django.setup()) against one fresh database.
# --------------------------------------------------------------------------------------------


def _log(database: str, message: str) -> None:
    print(f"[{database}] {message}", flush=True)


SQLITE_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _durability(connection) -> dict[str, str]:
    """The settings that decide what a commit survives."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            level = SQLITE_SYNCHRONOUS.get(cursor.fetchone()[0], "?")
            return {"journal_mode": journal, "synchronous": level}
        found = {}
        for name in ("synchronous_commit", "fsync", "wal_sync_method"):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
        return found


def _database_bytes(connection) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    name = Path(str(connection.settings_dict["NAME"]))
    return sum(
        path.stat().st_size
        for path in (name, Path(f"{name}-wal"), Path(f"{name}-shm"))
        if path.exists()
    )


def _proofs_from_database(size: int, params: dict) -> dict:
    """Time ``--proofs`` inclusion and consistency proofs read through ``services.NODES``,
    then verify every one against roots computed from the stored hashes."""
    from heard.record import merkle, services
    from heard.record.models import LogEntry

    indices, old_sizes = proof_positions(size, params["proofs"], params["seed"])
    inclusion, cut_inclusion = time_each(
        [lambda i=i: merkle.inclusion_proof(i, size, services.NODES) for i in indices],
        params["proof_seconds"],
    )
    consistency, cut_consistency = time_each(
        [lambda m=m: merkle.consistency_proof(m, size, services.NODES) for m in old_sizes],
        params["proof_seconds"],
    )
    root = merkle.root(size, services.NODES)
    leaf_hashes = dict(LogEntry.objects.filter(index__in=indices).values_list("index", "leaf_hash"))
    failures = 0
    for index in indices[: len(inclusion)]:
        proof = merkle.inclusion_proof(index, size, services.NODES)
        try:
            merkle.verify_inclusion(bytes(leaf_hashes[index]), index, size, proof, root)
        except merkle.ProofError:
            failures += 1
    for old in old_sizes[: len(consistency)]:
        proof = merkle.consistency_proof(old, size, services.NODES)
        try:
            merkle.verify_consistency(old, size, merkle.root(old, services.NODES), root, proof)
        except merkle.ProofError:
            failures += 1
    return {
        "root": root.hex(),
        "inclusion": {**timing_ms(inclusion), "cut_short_by_time": cut_inclusion},
        "consistency": {**timing_ms(consistency), "cut_short_by_time": cut_consistency},
        "failed_verification": failures,
    }


def run_worker(params: dict) -> dict:
    """Grow a fresh log through ``services`` and time it; returns the figures."""
    import django

    django.setup()
    import cProfile
    import io
    import pstats

    from django.db import connection, transaction

    from heard.record import keys, services
    from heard.record.audit_db import audit_database
    from heard.record.events import EventType

    database = params["database"]
    max_entries = params["max_entries"]
    # Where the growth pauses: proofs at the milestones, and a rate for every stretch of
    # ``small_until`` entries (at least one large batch) in the large-batch phase, to show
    # whether appends slow down as the log grows.
    stretch = max(params["small_until"], params["large_batch"])
    stops = set(params["milestones"]) | {max_entries}
    stops |= set(range(stretch, max_entries, stretch))
    stops = sorted(stop for stop in stops if params["single"] < stop <= max_entries)
    result: dict = {"durability": _durability(connection), "proofs": {}}

    # 1. One entry per transaction, as a hui saved from a form appends.
    single = min(params["single"], max_entries)
    _log(database, f"{single:,} single appends, one transaction each ...")
    started = time.perf_counter()
    for number in range(single):
        with transaction.atomic():
            services.append(EventType.HUI_RECORDED, hui_fields(number))
    result["single"] = {"count": single, "seconds": time.perf_counter() - started}

    # 2. Batches, with proofs timed at the milestones.
    phases = {
        name: {"batch": params[f"{name}_batch"], "count": 0, "seconds": 0.0, "from": None}
        for name in ("small", "large")
    }
    chunks: list[dict] = []  # the rate over each stretch between stops, to see it change
    size = single
    if size in params["milestones"]:
        result["proofs"][str(size)] = _proofs_from_database(size, params)
    for stop in stops:
        phase = phases["small" if size < params["small_until"] else "large"]
        _log(database, f"append_many {phase['batch']:,}/transaction: {size:,} -> {stop:,} ...")
        stretch_start, stretch_seconds = size, 0.0
        while size < stop:
            count = min(phase["batch"], stop - size)
            items = [(EventType.HUI_RECORDED, hui_fields(n)) for n in range(size, size + count)]
            started = time.perf_counter()
            services.append_many(items)
            stretch_seconds += time.perf_counter() - started
            size += count
        phase["count"] += size - stretch_start
        phase["seconds"] += stretch_seconds
        phase["from"] = stretch_start if phase["from"] is None else phase["from"]
        phase["to"] = size
        chunks.append(
            {
                "from": stretch_start,
                "to": size,
                "batch": phase["batch"],
                "per_second": rate(size - stretch_start, stretch_seconds),
            }
        )
        if size in params["milestones"]:
            _log(database, f"proofs at {size:,} entries ...")
            result["proofs"][str(size)] = _proofs_from_database(size, params)
    if services.size() != size:
        raise RuntimeError(f"the log holds {services.size()} entries, {size} were appended")
    result["phases"] = phases
    result["stretches"] = chunks

    # 3. A checkpoint, then the whole audit.
    _log(database, f"checkpoint and full audit at {size:,} entries ...")
    started = time.perf_counter()
    checkpoint = services.issue_checkpoint()
    checkpoint_seconds = time.perf_counter() - started
    vkey = keys.vkey()
    started = time.perf_counter()
    report = audit_database(vkey)
    audit_seconds = time.perf_counter() - started
    result["audit"] = {
        "entries": size,
        "checkpoint_seconds": checkpoint_seconds,
        "checkpoint_root": bytes(checkpoint.root).hex(),
        "seconds": audit_seconds,
        "ok": report.ok and report.entries == size and report.checkpoints >= 1,
        "entries_checked": report.entries,
        "problems": report.problems[:10],
    }
    if params["profile_audit"]:
        _log(database, "the audit again, under cProfile ...")
        profiler = cProfile.Profile()
        profiler.enable()
        audit_database(vkey)
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats("heard/record", 12)
        result["audit"]["profile"] = text.getvalue()
    result["database_bytes"] = _database_bytes(connection)
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def worker_main(argv: list[str]) -> int:
    """Entry point of the subprocess: parameters as JSON in, figures as JSON into a file (its
    output stays free for progress, shown as it happens)."""
    params = json.loads(argv[0])
    figures = run_worker(params)
    Path(params["figures_file"]).write_text(json.dumps(figures), encoding="utf-8")
    return 0


WORKER_SCRIPT = (
    "import sys\n"
    "from benchmarks.bench_record_appends import worker_main\n"
    "sys.exit(worker_main(sys.argv[1:]))\n"
)


def run_database(database: str, args: argparse.Namespace) -> dict:
    """One database, fresh: migrate, then the worker; dropped and removed afterwards."""
    max_entries = args.pg_max_entries if database == "postgresql" else args.max_entries
    with contextlib.ExitStack() as cleanup:
        try:
            app = cleanup.enter_context(fresh_app(database, prefix="heard-bench-record"))
        except Skipped as reason:
            return {"status": "skipped", "reason": str(reason)}
        params = {
            "database": database,
            "max_entries": max_entries,
            "single": args.single,
            "small_batch": args.small_batch,
            "small_until": args.small_batches_until,
            "large_batch": args.large_batch,
            "milestones": milestones(args, max_entries),
            "proofs": args.proofs,
            "proof_seconds": args.proof_seconds,
            "seed": args.seed,
            "profile_audit": args.profile_audit,
        }
        figures_file = app.work_dir / "figures.json"
        params["figures_file"] = str(figures_file)
        started = time.perf_counter()
        sys.stdout.flush()
        done = subprocess.run(
            [str(VENV_BIN / "python"), "-c", WORKER_SCRIPT, json.dumps(params)],
            env=app.env,
            cwd=ROOT,
            timeout=WORKER_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the worker exited with status {done.returncode} (see above)")
        figures = json.loads(figures_file.read_text(encoding="utf-8"))
        figures["wall_seconds"] = time.perf_counter() - started
        return {"status": "ran", "max_entries": max_entries, **figures}


# --------------------------------------------------------------------------------------------
# The peers: heard's MemoryTree and pymerkle's two trees, in this process.
# --------------------------------------------------------------------------------------------


def run_peers(args: argparse.Namespace, directory: Path) -> dict:
    try:
        from pymerkle import InmemoryTree, SqliteTree
    except ImportError as error:
        raise ImportError(PYMERKLE_MISSING) from error

    from heard.record import events, merkle

    count = args.peer_entries
    print(f"[peers] encoding {count:,} events ...", flush=True)
    fields = [hui_fields(number) for number in range(count)]
    started = time.perf_counter()
    entries = [events.encode(events.EventType.HUI_RECORDED, each) for each in fields]
    result: dict = {
        "entries": count,
        "heard_encode": {"per_second": rate(count, time.perf_counter() - started)},
    }
    del fields

    tree = merkle.MemoryTree()
    started = time.perf_counter()
    for data in entries:
        tree.append(data)
    result["heard_memory"] = {"per_second": rate(count, time.perf_counter() - started)}
    heard_root = tree.root()
    del tree

    print("[peers] pymerkle InmemoryTree ...", flush=True)
    memory = InmemoryTree()
    started = time.perf_counter()
    memory.append_entries(entries)  # a loop over append_entry: it has no faster path
    result["pymerkle_memory"] = {
        "per_second": rate(count, time.perf_counter() - started),
        "root_matches": memory.get_root() == heard_root,
    }
    del memory

    # Its SQLite tree, one entry per transaction, on a file of its own (it starts empty, as
    # heard's single appends do); bounded in time as well as count.
    print("[peers] pymerkle SqliteTree ...", flush=True)
    single = min(args.single, count)
    with SqliteTree(str(directory / "single.sqlite3")) as lone:
        appended, deadline = 0, time.monotonic() + args.proof_seconds
        started = time.perf_counter()
        for data in entries[:single]:
            lone.append_entry(data)
            appended += 1
            if time.monotonic() > deadline:
                break
        seconds = time.perf_counter() - started
        result["pymerkle_sqlite_single"] = {
            "count": appended,
            "per_second": rate(appended, seconds),
            "journal_mode": lone.con.execute("PRAGMA journal_mode").fetchone(),  # pymerkle's
            # connection has a row factory that returns the first column itself
            "synchronous": SQLITE_SYNCHRONOUS.get(
                lone.con.execute("PRAGMA synchronous").fetchone(), "?"
            ),
        }
    del entries

    # Its batch API, growing to the sizes the database logs are proved at, with proofs there.
    proof_sizes = set(milestones(args, args.max_entries))
    batched: dict = {"proofs": {}}
    with SqliteTree(str(directory / "batched.sqlite3")) as grown:
        size, seconds_to_count = 0, 0.0
        for stop in sorted(proof_sizes | {count}):
            started = time.perf_counter()
            grown.append_entries(leaf_bytes(number) for number in range(size, stop))
            if stop <= count:
                seconds_to_count += time.perf_counter() - started
            size = stop
            if size == count:
                batched["per_second"] = rate(count, seconds_to_count)
            if size not in proof_sizes:
                continue
            print(f"[peers] pymerkle SqliteTree proofs at {size:,} ...", flush=True)
            indices, old_sizes = proof_positions(size, args.proofs, args.seed)
            inclusion, cut_inclusion = time_each(
                [lambda i=i, n=size: grown.prove_inclusion(i + 1, n) for i in indices],
                args.proof_seconds,
            )
            consistency, cut_consistency = time_each(
                [lambda m=m, n=size: grown.prove_consistency(m, n) for m in old_sizes],
                args.proof_seconds,
            )
            batched["proofs"][str(size)] = {
                "root": grown.get_root(size).hex(),
                "inclusion": {**timing_ms(inclusion), "cut_short_by_time": cut_inclusion},
                "consistency": {**timing_ms(consistency), "cut_short_by_time": cut_consistency},
            }
    result["pymerkle_sqlite_batched"] = batched
    return result


# --------------------------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------------------------


def _per_second(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ms(figures: dict | None) -> str:
    if not figures or not figures.get("count"):
        return "-"
    cut = "*" if figures.get("cut_short_by_time") else ""
    return f"{figures['median_ms']:.3f} ({figures['p95_ms']:.3f}){cut}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    """``header`` and each row: the label first, then the values."""
    return "\n".join(text_table(header[1:], [(row[0], row[1:]) for row in rows]))


def _short(size: int) -> str:
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if size >= unit and size % unit == 0:
            return f"{size // unit}{name}"
    return f"{size:,}"


def _phase_cell(phase: dict) -> str:
    if not phase["count"]:
        return "-"
    span = f"{_short(phase['from'])}->{_short(phase['to'])}"
    return f"{_per_second(rate(phase['count'], phase['seconds']))} ({span})"


def results_tables(databases: dict[str, dict], peers: dict, args: argparse.Namespace) -> str:
    ran = {name: result for name, result in databases.items() if result.get("status") == "ran"}
    names = list(ran)
    peer_rate = peers.get("pymerkle_memory", {}).get("per_second")
    goal_appends = f">= {_per_second(peer_rate)}" if peer_rate else "pymerkle in memory"
    out: list[str] = []

    rows = [
        ["1 append per transaction"]
        + [
            f"{_per_second(rate(r['single']['count'], r['single']['seconds']))}"
            f" (n={r['single']['count']:,})"
            for r in ran.values()
        ]
        + [""]
    ]
    for key, label in (("small", args.small_batch), ("large", args.large_batch)):
        cells = [_phase_cell(r["phases"][key]) for r in ran.values()]
        if any(cell != "-" for cell in cells):
            rows.append([f"append_many, {label:,} per transaction", *cells, goal_appends])
    for which, position in (("first", 0), ("last", -1)):
        picked = [
            [s for s in r["stretches"] if s["batch"] == args.large_batch] for r in ran.values()
        ]
        if not any(len(stretches) > 1 for stretches in picked):
            break
        rows.append(
            [f"  its {which} stretch"]
            + [
                f"{_per_second(s[position]['per_second'])} "
                f"({_short(s[position]['from'])}->{_short(s[position]['to'])})"
                if s
                else "-"
                for s in picked
            ]
            + [""]
        )
    out.append("Durable appends through heard.record.services (entries per second)")
    out.append(_table(["", *names, "goal"], rows))
    for name, result in ran.items():
        settings = ", ".join(f"{k}={v}" for k, v in result["durability"].items())
        out.append(f"  {name}: {settings}")

    count = peers.get("entries", 0)
    single = peers.get("pymerkle_sqlite_single", {})
    batched = peers.get("pymerkle_sqlite_batched", {})
    peer_rows = [
        [
            "heard events.encode alone (RFC 8785 bytes of an event)",
            _per_second(peers.get("heard_encode", {}).get("per_second")),
        ],
        [
            "heard merkle.MemoryTree.append (memory only)",
            _per_second(peers.get("heard_memory", {}).get("per_second")),
        ],
        ["pymerkle InmemoryTree.append_entries (memory only)", _per_second(peer_rate)],
        [
            "pymerkle SqliteTree.append_entries (one transaction)",
            _per_second(batched.get("per_second")),
        ],
        [
            f"pymerkle SqliteTree.append_entry, 1 per transaction (n={single.get('count', 0):,})",
            _per_second(single.get("per_second")),
        ],
    ]
    out.append("")
    out.append(f"Peers and parts in the same run ({count:,} entries, the same leaf bytes)")
    out.append(_table(["", "entries/s"], peer_rows))
    out.append(
        f"  pymerkle SqliteTree: journal_mode={single.get('journal_mode')}, "
        f"synchronous={single.get('synchronous')}; it stores leaves only (no interior hashes)"
    )

    peer_proofs = batched.get("proofs", {})
    sizes = sorted(
        {int(size) for r in ran.values() for size in r["proofs"]} | set(map(int, peer_proofs))
    )
    proof_rows = []
    for size in sizes:
        for kind in ("inclusion", "consistency"):
            mine = [_ms(r["proofs"].get(str(size), {}).get(kind)) for r in ran.values()]
            theirs = _ms(peer_proofs.get(str(size), {}).get(kind))
            proof_rows.append([f"{kind} at {size:,}", *mine, theirs, f"<= {GOAL_PROOF_MS}"])
    out.append("")
    out.append(
        f"Proofs read from the database (services.NODES): median (p95) ms over up to "
        f"{args.proofs} random positions"
    )
    out.append(_table(["", *names, "pymerkle SqliteTree", "goal"], proof_rows))
    out.append("  * = cut short by --proof-seconds. In memory: benchmarks/run record_proofs.")

    audit_rows = [
        ["entries audited"] + [f"{r['audit']['entries']:,}" for r in ran.values()] + [""],
        ["issue_checkpoint s"]
        + [f"{r['audit']['checkpoint_seconds']:.3f}" for r in ran.values()]
        + [""],
        ["audit_database s"]
        + [f"{r['audit']['seconds']:.1f}" for r in ran.values()]
        + [f"<= {GOAL_AUDIT_SECONDS:.0f} at {_short(GOAL_AUDIT_ENTRIES)}"],
        ["audit result"] + ["ok" if r["audit"]["ok"] else "FAILED" for r in ran.values()] + [""],
        ["database size MiB"]
        + [f"{r['database_bytes'] / 2**20:,.0f}" for r in ran.values()]
        + [""],
        ["worker peak RSS MiB"] + [f"{r['peak_rss_mib'] or 0:,.0f}" for r in ran.values()] + [""],
        ["worker wall s"] + [f"{r['wall_seconds']:.0f}" for r in ran.values()] + [""],
    ]
    out.append("")
    out.append("Checkpoint and full audit (heard.record.audit_db.audit_database)")
    out.append(_table(["", *names, "goal"], audit_rows))
    return "\n".join(out)


def goal_lines(databases: dict[str, dict], peers: dict) -> list[str]:
    """Each goal of the issue, met or missed, per database, with the factor."""
    lines = []
    peer_rate = peers.get("pymerkle_memory", {}).get("per_second")
    for name, result in databases.items():
        if result.get("status") != "ran":
            continue
        best = max(
            (rate(p["count"], p["seconds"]) or 0 for p in result["phases"].values()), default=0
        )
        if peer_rate and best:
            verdict = "met" if best >= peer_rate else f"missed ({peer_rate / best:.1f}x short)"
            lines.append(
                f"  {name}: batched appends {best:,.0f}/s vs pymerkle in memory "
                f"{peer_rate:,.0f}/s: {verdict}"
            )
        medians = [
            figures[kind]["median_ms"]
            for figures in result["proofs"].values()
            for kind in ("inclusion", "consistency")
            if figures[kind].get("count")
        ]
        if medians:
            worst = max(medians)
            verdict = "met" if worst <= GOAL_PROOF_MS else f"missed ({worst / GOAL_PROOF_MS:.0f}x)"
            lines.append(
                f"  {name}: slowest median proof from the database {worst:.3f} ms vs "
                f"{GOAL_PROOF_MS} ms: {verdict}"
            )
        audit = result["audit"]
        if audit["entries"] >= GOAL_AUDIT_ENTRIES:
            verdict = (
                "met"
                if audit["seconds"] <= GOAL_AUDIT_SECONDS
                else f"missed ({audit['seconds'] / GOAL_AUDIT_SECONDS:.1f}x)"
            )
        else:
            verdict = f"not measured at {GOAL_AUDIT_ENTRIES:,} (ran at {audit['entries']:,})"
        lines.append(
            f"  {name}: audit {audit['seconds']:.1f} s vs {GOAL_AUDIT_SECONDS:.0f} s: {verdict}"
        )
    return lines


def check_results(databases: dict[str, dict], peers: dict) -> list[str]:
    """Correctness, not speed: every failure here makes the run exit 1."""
    failures = []
    if peers and not peers.get("pymerkle_memory", {}).get("root_matches", True):
        failures.append("pymerkle's in-memory root differs from heard's MemoryTree root")
    peer_roots = {
        size: figures["root"]
        for size, figures in peers.get("pymerkle_sqlite_batched", {}).get("proofs", {}).items()
    }
    for name, result in databases.items():
        if result.get("status") != "ran":
            continue
        if not result["audit"]["ok"]:
            failures.append(f"{name}: the audit found problems: {result['audit']['problems']}")
        for size, figures in result["proofs"].items():
            if figures["failed_verification"]:
                failures.append(
                    f"{name}: {figures['failed_verification']} proofs at {size} did not verify"
                )
            if size in peer_roots and peer_roots[size] != figures["root"]:
                failures.append(f"{name}: the root at {size} differs from pymerkle's")
    return failures


# --------------------------------------------------------------------------------------------
# Running.
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"benchmarks/run {NAME} --", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--max-entries", type=int, default=1_000_000, help="entries in the log at the end"
    )
    parser.add_argument(
        "--pg-max-entries",
        type=int,
        default=None,
        help="the same for PostgreSQL (default: --max-entries)",
    )
    parser.add_argument(
        "--single", type=int, default=2000, help="appends of one entry per transaction, first"
    )
    parser.add_argument("--small-batch", type=int, default=1000, help="entries per transaction")
    parser.add_argument(
        "--small-batches-until",
        type=int,
        default=100_000,
        help="log size up to which --small-batch is used",
    )
    parser.add_argument(
        "--large-batch", type=int, default=10_000, help="entries per transaction after that"
    )
    parser.add_argument("--proofs", type=int, default=200, help="proofs of each kind per size")
    parser.add_argument(
        "--proof-seconds",
        type=float,
        default=20.0,
        help="time limit per proof kind and size (and for pymerkle's single appends)",
    )
    parser.add_argument(
        "--peer-entries", type=int, default=100_000, help="entries for the append-rate peers"
    )
    add_databases_option(parser)
    parser.add_argument(
        "--profile-audit",
        action="store_true",
        help="run the audit a second time under cProfile and print where its time goes",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for the proof positions")
    args = parser.parse_args(argv)
    if args.pg_max_entries is None:
        args.pg_max_entries = args.max_entries
    for name in (
        "max_entries",
        "pg_max_entries",
        "single",
        "small_batch",
        "small_batches_until",
        "large_batch",
        "proofs",
        "peer_entries",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_entries < 2 or args.pg_max_entries < 2:
        parser.error("--max-entries must be at least 2 (a consistency proof needs two sizes)")
    if args.proof_seconds <= 0:
        parser.error("--proof-seconds must be positive")
    return args


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    parameters = {
        "max_entries": args.max_entries,
        "pg_max_entries": args.pg_max_entries,
        "single": args.single,
        "small_batch": args.small_batch,
        "small_batches_until": args.small_batches_until,
        "large_batch": args.large_batch,
        "proofs": args.proofs,
        "proof_seconds": args.proof_seconds,
        "peer_entries": args.peer_entries,
        "databases": args.databases,
        "pymerkle": _version("pymerkle"),
        "rfc8785": _version("rfc8785"),
        "seed": args.seed,
    }
    run = start_run(NAME, parameters)

    peers: dict = {}
    scratch = Path(tempfile.mkdtemp(prefix="heard-bench-record-peers-"))
    try:
        check_leaf_bytes()
        try:
            peers = run_peers(args, scratch)
        except ImportError as error:
            print(f"[peers] skipped: {error}", flush=True)
            peers = {"status": "skipped", "reason": str(error)}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        databases, failed = run_each_database(
            args.databases, lambda database: run_database(database, args)
        )
    except KeyboardInterrupt:
        print("\nInterrupted: worker stopped, temporary data removed.", file=sys.stderr)
        return 130

    print()
    for database, result in databases.items():
        if result["status"] != "ran":
            print(f"{database}: {result['status']}: {result['reason']}")
    print(results_tables(databases, peers, args))
    print()
    print("Goals (issue 3)")
    print("\n".join(goal_lines(databases, peers)))
    for name, result in databases.items():
        if profile := result.get("audit", {}).get("profile"):
            print(f"\nWhere {name}'s audit spends its time (cProfile)")
            print(profile.rstrip())
    failures = check_results(databases, peers)
    total = time.perf_counter() - started
    print(f"\nWhole run: {total:.0f} s")

    out = run.write_results(
        {
            "peers": peers,
            "databases": databases,
            "checks_failed": failures,
            "wall_seconds": total,
        }
    )
    print(f"Written: {out}")
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 0 if not failures and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
