"""The opinion engine at scale: 10,000 participants x 2,000 statements, about 10^6 votes.

What it answers: how long heard's full recompute and one incremental update take on a large
conversation, how much memory they need, and how that compares with red-dwarf 0.4.0's full
pipeline on the same votes. Goals from issue 5, printed beside the figures: full recompute
<= 5 s, incremental update <= 0.5 s, at least 3x red-dwarf's speed.

The conversation is synthetic (``benchmarks/_opinions_synthetic.py``: latent groups, so the map
has structure; seeded, so every run gets the same votes); it needs no ``../shared/data``. The
last ``--batch`` votes in time order (default 1,000) are held back as the incremental batch.

Each measurement runs in a fresh child process (its input built there before the clock starts;
the peak memory is the child's whole life, input included, from ``os.wait4``):

- ``heard``: ``compute(votes)``, the full recompute from the latest votes (no replay);
- ``heard-incremental``: ``m = OpinionMap(); m.add_votes(votes); m.update()`` (the initial
  update, timed apart), then ``m.add_votes(batch); m.update()``, timed: the incremental update;
- ``red-dwarf``: ``run_pipeline(votes=..., random_state=--seed)`` on the same votes.

Beside the times: groups found, participants in the map, and the ARI of the groups against the
latent groups over the participants in the map (a check that the map found the structure, not a
goal). JSON: ``benchmarks/results/opinions_scale-<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks._app import start_run, text_table
from benchmarks._child import emit, rss_bytes, run_child
from benchmarks._opinions_peer import systems_with_peer

NAME = "opinions_scale"
SYSTEMS = ("heard", "heard-incremental", "red-dwarf")
GOAL_FULL_SECONDS = 5.0
GOAL_INCREMENTAL_SECONDS = 0.5
GOAL_SPEEDUP = 3.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"benchmarks/run {NAME} --", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=2_000)
    parser.add_argument("--votes", type=int, default=1_000_000, help="about this many")
    parser.add_argument("--batch", type=int, default=1_000, help="votes in the incremental update")
    parser.add_argument("--seed", type=int, default=0, help="data and tools' seed (default 0)")
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, of {','.join(SYSTEMS)} (default all)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a child is stopped"
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not install red-dwarf when it is missing; skip it instead",
    )
    parser.add_argument("--child", metavar="SYSTEM", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown system(s): {', '.join(sorted(unknown))}")
    if not 0 < args.batch < args.votes:
        parser.error("--batch must be between 1 and --votes")
    return args


# --- The child --------------------------------------------------------------------------------


def _latent_ari(groups: dict[str, int], latent) -> float | None:
    from sklearn.metrics import adjusted_rand_score

    if len(groups) < 2:
        return None
    people = sorted(groups, key=int)
    return float(
        adjusted_rand_score([int(latent[int(p)]) for p in people], [groups[p] for p in people])
    )


def child(system: str, args: argparse.Namespace) -> int:
    from benchmarks import _opinions_synthetic as synthetic

    data = synthetic.make(args.participants, args.statements, args.votes, seed=args.seed)
    base, batch = data.split(args.batch)
    figures: dict = {"votes": int(base.stop), "batch": args.batch}

    if system == "red-dwarf":
        from benchmarks._opinions_peer import run_reddwarf

        votes = [
            {"participant_id": int(p), "statement_id": int(s), "vote": int(v), "modified": t * 1000}
            for p, s, v, t in zip(
                data.participant[base].tolist(),
                data.statement[base].tolist(),
                data.value[base].tolist(),
                data.at[base].tolist(),
                strict=True,
            )
        ]
        figures["rss_before_bytes"] = rss_bytes()
        outcome = run_reddwarf(votes, moderated_out=(), meta=(), seed=args.seed)
        figures.update(
            seconds=outcome["seconds"], groups_found=len(set(outcome["groups"].values()))
        )
        figures.update(
            in_map=len(outcome["groups"]), ari_latent=_latent_ari(outcome["groups"], data.latent)
        )
        emit(figures)
        return 0

    from heard.opinions.engine import Vote
    from heard.opinions.engine.engine import OpinionMap, compute

    def votes_of(part: slice) -> list[Vote]:
        return [
            Vote(str(p), str(s), v, at=t)
            for p, s, v, t in zip(
                data.participant[part].tolist(),
                data.statement[part].tolist(),
                data.value[part].tolist(),
                data.at[part].tolist(),
                strict=True,
            )
        ]

    votes = votes_of(base)
    if system == "heard":
        statements = [str(s) for s in range(args.statements)]
        figures["rss_before_bytes"] = rss_bytes()
        started = time.perf_counter()
        result = compute(votes, statements=statements, seed=args.seed)
        figures["seconds"] = time.perf_counter() - started
    else:
        new_votes = votes_of(batch)
        figures["rss_before_bytes"] = rss_bytes()
        opinion_map = OpinionMap()
        started = time.perf_counter()
        opinion_map.add_votes(votes)
        figures["add_votes_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        opinion_map.update()
        figures["initial_update_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        opinion_map.add_votes(new_votes)
        result = opinion_map.update()
        figures["seconds"] = time.perf_counter() - started
    figures["groups_found"] = result.group_count
    figures["in_map"] = len(result.groups)
    figures["ari_latent"] = _latent_ari(result.groups, data.latent)
    emit(figures)
    return 0


# --- The parent -------------------------------------------------------------------------------


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.0f}"


TITLES = {
    "heard": "heard full recompute",
    "heard-incremental": "heard incremental update",
    "red-dwarf": "red-dwarf full pipeline",
}
GOALS = {"heard": GOAL_FULL_SECONDS, "heard-incremental": GOAL_INCREMENTAL_SECONDS}


def table(runs: dict[str, dict]) -> list[str]:
    rows = []
    for system, figures in runs.items():
        ok = figures["status"] == "ok"
        goal = GOALS.get(system)
        met = "-" if goal is None or not ok else ("yes" if figures["seconds"] <= goal else "NO")
        ari = figures.get("ari_latent")
        rows.append(
            (
                TITLES[system],
                [
                    f"{figures['seconds']:.2f}" if ok else figures["status"],
                    "-" if goal is None else f"<= {goal}",
                    met,
                    str(figures.get("groups_found", "-")),
                    f"{figures['in_map']:,}" if ok else "-",
                    "-" if ari is None else f"{ari:.3f}",
                    _mib(figures.get("peak_rss_bytes")),
                    _mib(figures.get("rss_before_bytes")),
                ],
            )
        )
        if system == "heard-incremental" and ok:
            initial = figures["initial_update_seconds"] + figures["add_votes_seconds"]
            rows.append(
                (
                    "  (its initial add_votes + update)",
                    [f"{initial:.2f}", *["-"] * 7],
                )
            )
    columns = ["seconds", "goal s", "met", "groups", "in map", "ARI latent", "peak MiB"]
    columns.append("input MiB")
    return text_table(columns, rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        return child(args.child, args)
    try:
        from heard.opinions.engine import engine
    except ImportError as error:
        print(f"Benchmark: {NAME}\nFAILED: heard's opinion engine does not import: {error}")
        return 1
    args.systems, peer_version, peer_how = systems_with_peer(
        args.systems, install=not args.no_install
    )

    parameters = {
        "participants": args.participants,
        "statements": args.statements,
        "votes_about": args.votes,
        "incremental_batch": args.batch,
        "seed": args.seed,
        "systems": args.systems,
        "timeout_seconds_per_child": args.timeout,
        "heard_engine_version": engine.ENGINE_VERSION,
        "red_dwarf": peer_version or f"skipped: {peer_how}",
        "input": "synthetic: latent groups 40/30/20/10 %, log-normal votes per participant, "
        "popularity-weighted statements, 15 % passes (benchmarks/_opinions_synthetic.py)",
        "threads": "the machine's cores (no limit set)",
    }
    run = start_run(NAME, parameters)
    runs: dict[str, dict] = {}
    wall_started = time.monotonic()
    try:
        for system in args.systems:
            print(f"[{system}] running ...", flush=True)
            child_args = ["--child", system, "--participants", str(args.participants)]
            child_args += ["--statements", str(args.statements), "--votes", str(args.votes)]
            child_args += ["--batch", str(args.batch), "--seed", str(args.seed)]
            runs[system] = run_child(f"benchmarks.bench_{NAME}", child_args, args.timeout)
            print(f"[{system}] {runs[system]['status']}", flush=True)
    except KeyboardInterrupt:
        print("\nInterrupted: the running child was stopped.", file=sys.stderr)
        return 130
    wall_seconds = time.monotonic() - wall_started

    votes = next((f["votes"] for f in runs.values() if "votes" in f), None)
    counted = "?" if votes is None else f"{votes:,}"
    print(f"\nResults ({counted} votes; the incremental batch: the last {args.batch:,};")
    print("peak = the child's whole life, input included; input MiB = its memory before the call)")
    print("\n".join(table(runs)))
    full, incremental, peer = (runs.get(s, {}) for s in SYSTEMS)
    if full.get("status") == "ok":
        verdict = "met" if full["seconds"] <= GOAL_FULL_SECONDS else "NOT met"
        print(f"goal: full recompute <= {GOAL_FULL_SECONDS} s: {full['seconds']:.2f} s, {verdict}")
    if incremental.get("status") == "ok":
        verdict = "met" if incremental["seconds"] <= GOAL_INCREMENTAL_SECONDS else "NOT met"
        print(
            f"goal: incremental update <= {GOAL_INCREMENTAL_SECONDS} s: "
            f"{incremental['seconds']:.3f} s, {verdict}"
        )
    speedup = None
    if full.get("status") == "ok" and peer.get("status") == "ok":
        speedup = peer["seconds"] / full["seconds"]
        verdict = "met" if speedup >= GOAL_SPEEDUP else "NOT met"
        print(f"goal: >= {GOAL_SPEEDUP:.0f}x red-dwarf's speed: {speedup:.1f}x, {verdict}")
    print(f"Run time: {wall_seconds:.0f} s")
    failed = any(f["status"].startswith("failed") for s, f in runs.items() if s.startswith("heard"))
    out = run.write_results(
        {"wall_seconds": wall_seconds, "runs": runs, "speedup": speedup, "ok": not failed}
    )
    print(f"Written: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
