"""The record's Merkle tree (heard.record.merkle) in memory, side by side with pymerkle.

What it answers: how fast the log's tree takes appends in memory (one at a time, and in batches
through ``new_nodes_batch`` as the database-backed log does), how long the root, an inclusion proof
and a consistency proof take at 10^4, 10^5 and 10^6 entries, and how pymerkle 7 (PyPI, GPL; a
benchmark-only peer) does the same work in the same run, with its in-memory tree and its SQLite
tree. Goals from issue 3: appends at least at pymerkle's in-memory rate, a proof in <= 0.1 ms.

How: for each size the same entries (about 100 bytes of JSON-like text each) go into every tree;
proof times are per call (``perf_counter_ns``) over the same random leaf indices and old sizes for
every tree, and reported as the median and the 95th percentile. Every heard proof is verified
afterwards (outside the timing), and the roots of all trees must agree (pymerkle's trees are
RFC 6962 trees too): a disagreement is a failure (exit 1).

Bounds: pymerkle's SQLite tree is slow to prove at large sizes (it rehashes leaf ranges it reads
from the database), so its proofs stop after ``--sqlite-seconds`` per size (and its one-at-a-time
appends after ``--sqlite-append-seconds``); the output says when a limit cut a measurement short.
Its database lives in a temporary directory that is removed afterwards. With the defaults the
whole run takes about 40 s on two cores. Results are printed with the machine and written to
``benchmarks/results/record_proofs-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks._app import PYMERKLE_MISSING, start_run, text_table
from heard.record import merkle

NAME = "record_proofs"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
BATCH = 1000  # leaves per new_nodes_batch call, as a busy log would write them

IMPLEMENTATIONS = ("heard (memory)", "pymerkle InmemoryTree", "pymerkle SqliteTree")


def make_entries(size: int) -> list[bytes]:
    """Entries shaped like the log's: a canonical-JSON-sized event, about 100 bytes each."""
    return [
        b'{"commitment":"%064x","event":"contribution.submitted","n":%d}' % (number, number)
        for number in range(size)
    ]


def summary(samples_ns: Sequence[int]) -> dict[str, float | int]:
    """Median, 95th percentile (nearest rank) and mean of per-call times, in microseconds."""
    if not samples_ns:
        return {"count": 0}
    ordered = sorted(samples_ns)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "count": len(ordered),
        "median_us": statistics.median(ordered) / 1000,
        "p95_us": p95 / 1000,
        "mean_us": statistics.fmean(ordered) / 1000,
    }


def timed_calls(
    calls: Sequence[Callable[[], object]], seconds: float
) -> tuple[list[int], list[object], bool]:
    """Run ``calls`` one by one, timing each; stop early (returning True) after ``seconds``."""
    samples: list[int] = []
    results: list[object] = []
    clock = time.perf_counter_ns
    deadline = time.monotonic() + seconds
    for call in calls:
        started = clock()
        result = call()
        samples.append(clock() - started)
        results.append(result)
        if time.monotonic() > deadline:
            return samples, results, len(samples) < len(calls)
    return samples, results, False


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# --------------------------------------------------------------------------------------------
# heard
# --------------------------------------------------------------------------------------------


def run_heard(
    entries: list[bytes], indices: list[int], old_sizes: list[int], seconds: float
) -> dict:
    size = len(entries)
    tree = merkle.MemoryTree()
    append = tree.append
    started = time.perf_counter()
    for data in entries:
        append(data)
    single_seconds = time.perf_counter() - started

    # Batched, as the database-backed log appends: leaf hashes, new_nodes_batch reading the stored
    # nodes it needs, then the created nodes stored (here: appended to the in-memory levels).
    batched = merkle.MemoryTree()
    levels = batched.levels
    leaf_hash = merkle.leaf_hash
    started = time.perf_counter()
    for start in range(0, size, BATCH):
        hashes = [leaf_hash(data) for data in entries[start : start + BATCH]]
        for level, _index, value in merkle.new_nodes_batch(start, hashes, batched):
            if level == len(levels):
                levels.append([])
            levels[level].append(value)
    batch_seconds = time.perf_counter() - started
    if batched.levels != tree.levels:
        raise AssertionError("new_nodes_batch built different stored hashes from append")
    del batched, levels

    root_samples = []
    for _ in range(200):
        started_ns = time.perf_counter_ns()
        top = merkle.root(size, tree)
        root_samples.append(time.perf_counter_ns() - started_ns)

    inclusion_samples, inclusion_proofs, inclusion_cut = timed_calls(
        [lambda index=index: merkle.inclusion_proof(index, size, tree) for index in indices],
        seconds,
    )
    consistency_samples, consistency_proofs, consistency_cut = timed_calls(
        [lambda old=old: merkle.consistency_proof(old, size, tree) for old in old_sizes], seconds
    )

    # Verification: every proof must verify (this also times the verifier, per call).
    verify_inclusion_ns = []
    for index, proof in zip(indices, inclusion_proofs, strict=False):
        leaf = tree.levels[0][index]
        started_ns = time.perf_counter_ns()
        merkle.verify_inclusion(leaf, index, size, proof, top)
        verify_inclusion_ns.append(time.perf_counter_ns() - started_ns)
    verify_consistency_ns = []
    for old, proof in zip(old_sizes, consistency_proofs, strict=False):
        old_root = merkle.root(old, tree)
        started_ns = time.perf_counter_ns()
        merkle.verify_consistency(old, size, old_root, top, proof)
        verify_consistency_ns.append(time.perf_counter_ns() - started_ns)

    return {
        "status": "ran",
        "root": top.hex(),
        "appends_per_second_single": rate(size, single_seconds),
        "appends_per_second_batched": rate(size, batch_seconds),
        "batch_size": BATCH,
        "root_time": summary(root_samples),
        "inclusion_proof": summary(inclusion_samples) | {"cut_by_time_limit": inclusion_cut},
        "consistency_proof": summary(consistency_samples) | {"cut_by_time_limit": consistency_cut},
        "verify_inclusion": summary(verify_inclusion_ns),
        "verify_consistency": summary(verify_consistency_ns),
        "reads_per_proof": 1,
    }


# --------------------------------------------------------------------------------------------
# pymerkle
# --------------------------------------------------------------------------------------------


def _pymerkle_proofs(
    tree, size: int, indices: list[int], old_sizes: list[int], seconds: float
) -> dict:
    root_samples = []
    for _ in range(5):
        started_ns = time.perf_counter_ns()
        top = tree.get_root(size)
        root_samples.append(time.perf_counter_ns() - started_ns)
    # pymerkle counts leaves from one.
    inclusion_samples, _, inclusion_cut = timed_calls(
        [lambda index=index: tree.prove_inclusion(index + 1, size) for index in indices], seconds
    )
    consistency_samples, _, consistency_cut = timed_calls(
        [lambda old=old: tree.prove_consistency(old, size) for old in old_sizes], seconds
    )
    return {
        "root": bytes(top).hex(),
        "root_time": summary(root_samples),
        "inclusion_proof": summary(inclusion_samples) | {"cut_by_time_limit": inclusion_cut},
        "consistency_proof": summary(consistency_samples) | {"cut_by_time_limit": consistency_cut},
    }


def run_pymerkle_memory(
    entries: list[bytes], indices: list[int], old_sizes: list[int], seconds: float
) -> dict:
    from pymerkle import InmemoryTree

    tree = InmemoryTree()
    append = tree.append_entry
    started = time.perf_counter()
    for data in entries:
        append(data)
    single_seconds = time.perf_counter() - started
    figures = _pymerkle_proofs(tree, len(entries), indices, old_sizes, seconds)
    return {
        "status": "ran",
        "appends_per_second_single": rate(len(entries), single_seconds),
        "appends_per_second_batched": None,  # its append_entries loops over append_entry
        **figures,
    }


def run_pymerkle_sqlite(
    entries: list[bytes],
    indices: list[int],
    old_sizes: list[int],
    seconds: float,
    append_seconds: float,
) -> dict:
    from pymerkle import SqliteTree

    directory = tempfile.mkdtemp(prefix="heard-bench-pymerkle-")
    try:
        tree = SqliteTree(str(Path(directory) / "merkle.db"))
        try:
            started = time.perf_counter()
            tree.append_entries(entries)  # its bulk path: one transaction, executemany
            batch_seconds = time.perf_counter() - started
            figures = _pymerkle_proofs(tree, len(entries), indices, old_sizes, seconds)
            # One at a time (a transaction each), after the proofs so the tree they saw had
            # exactly len(entries) leaves; bounded in count and time.
            appended = 0
            deadline = time.monotonic() + append_seconds
            started = time.perf_counter()
            for data in entries[:2000]:
                tree.append_entry(data)
                appended += 1
                if time.monotonic() > deadline:
                    break
            single_seconds = time.perf_counter() - started
        finally:
            tree.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "status": "ran",
        "appends_per_second_single": rate(appended, single_seconds),
        "single_appends_measured": appended,
        "appends_per_second_batched": rate(len(entries), batch_seconds),
        **figures,
    }


# --------------------------------------------------------------------------------------------
# Running and reporting
# --------------------------------------------------------------------------------------------


def run_size(size: int, args: argparse.Namespace) -> dict[str, dict]:
    rng = random.Random(args.seed + size)
    entries = make_entries(size)
    indices = [rng.randrange(size) for _ in range(args.proofs)]
    old_sizes = [rng.randrange(1, size) for _ in range(args.proofs)]
    results: dict[str, dict] = {}
    print(f"[{size:,} entries] heard ...", flush=True)
    results["heard (memory)"] = run_heard(entries, indices, old_sizes, args.seconds)
    gc.collect()
    if args.no_pymerkle:
        for name in IMPLEMENTATIONS[1:]:
            results[name] = {"status": "skipped", "reason": "--no-pymerkle"}
        return results
    try:
        import pymerkle  # noqa: F401
    except ImportError:
        for name in IMPLEMENTATIONS[1:]:
            results[name] = {
                "status": "skipped",
                "reason": PYMERKLE_MISSING,
            }
        return results
    few_indices = indices[: args.pymerkle_proofs]
    few_old_sizes = old_sizes[: args.pymerkle_proofs]
    print(f"[{size:,} entries] pymerkle InmemoryTree ...", flush=True)
    results["pymerkle InmemoryTree"] = run_pymerkle_memory(
        entries, few_indices, few_old_sizes, args.seconds
    )
    gc.collect()
    print(f"[{size:,} entries] pymerkle SqliteTree ...", flush=True)
    results["pymerkle SqliteTree"] = run_pymerkle_sqlite(
        entries, few_indices, few_old_sizes, args.sqlite_seconds, args.sqlite_append_seconds
    )
    gc.collect()
    return results


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _timing(figures: dict, key: str, field: str) -> str:
    entry = figures.get(key)
    if not entry or not entry.get("count"):
        return "-"
    cell = _number(entry[field], 2 if entry[field] < 10 else 1)
    if entry.get("cut_by_time_limit"):
        cell += f" (n={entry['count']}, time limit)"
    return cell


def results_table(sizes: dict[int, dict[str, dict]]) -> str:
    lines = []
    for size, results in sizes.items():
        columns = [(name, results[name]) for name in IMPLEMENTATIONS if name in results]
        rows: list[tuple[str, list[str]]] = [
            (
                "appends/s, one at a time",
                [
                    _number(f.get("appends_per_second_single"), 0) if f["status"] == "ran" else "-"
                    for _, f in columns
                ],
            ),
            (
                "appends/s, batched",
                [
                    _number(f.get("appends_per_second_batched"), 0) if f["status"] == "ran" else "-"
                    for _, f in columns
                ],
            ),
            ("root median us", [_timing(f, "root_time", "median_us") for _, f in columns]),
        ]
        for label, key in (
            ("inclusion proof", "inclusion_proof"),
            ("consistency proof", "consistency_proof"),
        ):
            rows.append((f"{label} median us", [_timing(f, key, "median_us") for _, f in columns]))
            rows.append((f"{label} p95 us", [_timing(f, key, "p95_us") for _, f in columns]))
            rows.append(
                (f"{label} count", [str(f.get(key, {}).get("count", "-")) for _, f in columns])
            )
        rows.append(
            (
                "verify inclusion median us",
                [_timing(f, "verify_inclusion", "median_us") for _, f in columns],
            )
        )
        rows.append(
            (
                "verify consistency median us",
                [_timing(f, "verify_consistency", "median_us") for _, f in columns],
            )
        )
        rows.append(
            (
                "status",
                [
                    f["status"] if f["status"] == "ran" else f"skipped: {f['reason']}"
                    for _, f in columns
                ],
            )
        )
        lines.append(f"{size:,} entries")
        lines += text_table([name for name, _ in columns], rows)
        lines.append("")
    return "\n".join(lines)


def check_roots(sizes: dict[int, dict[str, dict]]) -> list[str]:
    """Every tree that ran must have the same root at the same size."""
    problems = []
    for size, results in sizes.items():
        roots = {name: f["root"] for name, f in results.items() if f.get("status") == "ran"}
        if len(set(roots.values())) > 1:
            problems.append(f"{size:,} entries: the roots differ: {roots}")
    return problems


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"benchmarks/run {NAME} --", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in DEFAULT_SIZES),
        help="comma-separated tree sizes (entries)",
    )
    parser.add_argument(
        "--proofs", type=int, default=5000, help="inclusion and consistency proofs timed, each"
    )
    parser.add_argument(
        "--pymerkle-proofs",
        type=int,
        default=1000,
        help="of those, how many are timed on each pymerkle tree",
    )
    parser.add_argument(
        "--seconds", type=float, default=20, help="time limit per proof kind and in-memory tree"
    )
    parser.add_argument(
        "--sqlite-seconds",
        type=float,
        default=20,
        help="time limit per proof kind on pymerkle's SQLite tree",
    )
    parser.add_argument(
        "--sqlite-append-seconds",
        type=float,
        default=3,
        help="time limit for pymerkle's SQLite one-at-a-time appends",
    )
    parser.add_argument("--no-pymerkle", action="store_true", help="measure heard only")
    parser.add_argument("--seed", type=int, default=1, help="seed for the random indices")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error("--sizes must be comma-separated whole numbers")
    if not args.sizes or any(size < 2 or size > 10**7 for size in args.sizes):
        parser.error("--sizes must be between 2 and 10,000,000")
    if args.proofs < 1 or args.pymerkle_proofs < 1:
        parser.error("--proofs and --pymerkle-proofs must be at least 1")
    for name in ("seconds", "sqlite_seconds", "sqlite_append_seconds"):
        if not 0 < getattr(args, name) <= 600:
            parser.error(f"--{name.replace('_', '-')} must be between 0 and 600")
    return args


def _pymerkle_version() -> str:
    try:
        import pymerkle
    except ImportError:
        return "not installed"
    return str(getattr(pymerkle, "__version__", "unknown"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    parameters = {
        "sizes": args.sizes,
        "proofs_timed_heard": args.proofs,
        "proofs_timed_pymerkle": args.pymerkle_proofs,
        "proof_time_limit_seconds": args.seconds,
        "pymerkle_sqlite_proof_time_limit_seconds": args.sqlite_seconds,
        "pymerkle_sqlite_single_append_time_limit_seconds": args.sqlite_append_seconds,
        "heard_batch_size": BATCH,
        "entry_bytes": len(make_entries(1)[0]),
        "pymerkle": _pymerkle_version(),
        "seed": args.seed,
    }
    run = start_run(NAME, parameters)

    sizes: dict[int, dict[str, dict]] = {}
    wall_started = time.monotonic()
    try:
        for size in args.sizes:
            sizes[size] = run_size(size, args)
    except KeyboardInterrupt:
        print("\nInterrupted: temporary data removed.", file=sys.stderr)
        return 130
    except (AssertionError, merkle.ProofError) as error:
        print(f"FAILED: {error}")
        return 1
    wall_seconds = time.monotonic() - wall_started

    print()
    print("Results (per-call times in microseconds; pymerkle proofs on the first")
    print(f"{args.pymerkle_proofs} of the same random indices and old sizes)")
    print(results_table(sizes))
    limited = [
        f"{size:,} entries, {name}: {kind} stopped by its time limit after {f[kind]['count']}"
        for size, results in sizes.items()
        for name, f in results.items()
        for kind in ("inclusion_proof", "consistency_proof")
        if f.get(kind, {}).get("cut_by_time_limit")
    ]
    for line in limited:
        print(f"time limit: {line}")
    for size, results in sizes.items():
        sqlite = results.get("pymerkle SqliteTree", {})
        if sqlite.get("status") == "ran":
            print(
                f"{size:,} entries, pymerkle SqliteTree one-at-a-time appends: "
                f"{sqlite['single_appends_measured']} measured (a transaction each)"
            )
    print(f"Run time: {wall_seconds:.0f} s")

    problems = check_roots(sizes)
    for problem in problems:
        print(f"ROOT CHECK FAILED: {problem}")

    out = run.write_results(
        {
            "wall_seconds": wall_seconds,
            "sizes": {str(size): results for size, results in sizes.items()},
            "roots_agree": not problems,
        }
    )
    print(f"\nWritten: {out}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
