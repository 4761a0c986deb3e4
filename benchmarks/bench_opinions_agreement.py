"""Opinion groups against Pol.is's own, beside red-dwarf: agreement and speed per conversation.

What it answers: does heard's opinion map (``heard.opinions.engine.engine.compute``) put people
in the groups Pol.is put them in, pick the statements Pol.is picked as representative of each
group and as common ground, and how fast, side by side in the same run with red-dwarf 0.4.0
(a Python reimplementation of Pol.is's math, MPL-2.0). Goals from issue 5: higher agreement
than red-dwarf on every conversation; ARI >= 0.9 where Pol.is's groups are stable.

Data (``benchmarks/_opinions_data.py``; needs ``../shared/data``, skips without it): the Pol.is
openData folders in ``polis/`` (truth: the ``group-id`` column of participants-votes.csv) and
the Pol.is math fixtures in ``polis-math-fixtures/`` (truth: ``math-pca2.json``'s groups,
representative statements and consensus; moderated out: its ``mod-out``).

Tools (``--systems``), each run in a fresh child process with ``--timeout`` seconds:

- ``heard``: ``compute(history, replay=True)``, the vote history replayed in time order in the
  batches Pol.is's worker would have seen (the ``heard opinions compute`` default);
- ``heard-no-replay``: ``compute(latest votes)``, once;
- ``red-dwarf``: ``run_pipeline(votes=latest votes, mod_out_statement_ids=...,
  meta_statement_ids=..., random_state=--seed)``.

Each is given the same comments, moderation and votes; the input is built before the clock
starts, so the seconds are the computation alone. Figures (``benchmarks/_opinions_score.py``):
participants in the map, groups, ARI against Pol.is on the participants both placed,
representative-statement overlap (groups matched by members, Jaccard of their repness, averaged
over Pol.is's groups) and consensus overlap (Jaccard of the agree and disagree sets) for the
fixtures, seconds and the child's peak memory. JSON: ``benchmarks/results/opinions_agreement-
<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks import _opinions_data as data
from benchmarks._app import start_run, text_table
from benchmarks._child import emit, run_child
from benchmarks._opinions_peer import systems_with_peer
from benchmarks._opinions_score import score

NAME = "opinions_agreement"
SYSTEMS = ("heard", "heard-no-replay", "red-dwarf")
GOAL_ARI = 0.9


def _list(choices: tuple[str, ...] | None = None):
    def parse(text: str) -> list[str]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if choices is not None and item not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown: {', '.join(unknown)}")
        return items

    return parse


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"benchmarks/run {NAME} --", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--systems",
        type=_list(SYSTEMS),
        default=list(SYSTEMS),
        help=f"comma-separated, of {','.join(SYSTEMS)} (default all)",
    )
    parser.add_argument(
        "--conversations",
        type=_list(),
        default=None,
        help="comma-separated conversation names (default: every one in ../shared/data)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for every tool (default 0)")
    parser.add_argument(
        "--replay-window",
        type=float,
        default=None,
        help="seconds of votes per replayed update for heard (default: the engine's, 60); "
        "decision 20's sweep ran this from 5 to 86,400",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1200,
        help="seconds before one tool's run on one conversation is stopped (default 1200)",
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not install red-dwarf when it is missing; skip it instead",
    )
    parser.add_argument(
        "--child", nargs=2, metavar=("CONVERSATION", "SYSTEM"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


# --- The child: one tool on one conversation ------------------------------------------------


def child(name: str, system: str, seed: int, window: float | None = None) -> int:
    from heard.opinions.open_data import engine_inputs, latest_votes, vote_history

    conversation = data.load(name)
    conv = conversation.conv
    if system == "red-dwarf":
        from benchmarks._opinions_peer import reddwarf_votes, run_reddwarf

        votes = reddwarf_votes(latest_votes(conv))
        outcome = run_reddwarf(
            votes, moderated_out=conversation.moderated_out, meta=conversation.meta, seed=seed
        )
        emit(outcome)
        return 0

    from heard.opinions.engine.engine import Parameters, compute

    replay = system == "heard" and conv.has_timestamps
    inputs = {
        **engine_inputs(conv),
        "moderated_out": conversation.moderated_out,
        "meta": conversation.meta,
    }
    votes = vote_history(conv) if replay else latest_votes(conv)
    started = time.perf_counter()
    parameters = Parameters() if window is None else Parameters(replay_window=window)
    result = compute(votes, **inputs, replay=replay, seed=seed, parameters=parameters)
    seconds = time.perf_counter() - started
    emit(
        {
            "seconds": seconds,
            "replay": replay,
            "updates": result.provenance.get("updates"),
            "groups": result.groups,
            "repness": {
                str(g): [int(s.statement) for s in stats] for g, stats in result.repness.items()
            },
            "consensus": [
                [direction, int(s.statement)]
                for direction, stats in result.consensus.items()
                for s in stats
            ],
        }
    )
    return 0


# --- The parent -------------------------------------------------------------------------------


def run_conversation(name: str, args: argparse.Namespace) -> dict:
    conversation = data.load(name)
    truth = conversation.polis_groups
    figures: dict = {
        "label": conversation.label,
        "source": conversation.source,
        "participants": len({v.voter for v in conversation.conv.votes}),
        "votes": len(conversation.conv.votes),
        "comments": len(conversation.conv.comments),
        "moderated_out": len(conversation.moderated_out),
        "polis": {"in_map": len(truth), "groups": len(set(truth.values()))},
        "systems": {},
    }
    for system in args.systems:
        print(f"[{name}] {system} ...", flush=True)
        module_args = ["--child", name, system, "--seed", str(args.seed)]
        if args.replay_window is not None:
            module_args += ["--replay-window", str(args.replay_window)]
        outcome = run_child(f"benchmarks.bench_{NAME}", module_args, args.timeout)
        entry = {
            key: outcome.get(key)
            for key in ("status", "seconds", "replay", "updates", "peak_rss_bytes")
        }
        if outcome["status"] == "ok":
            entry.update(
                score(truth, conversation.polis_repness, conversation.polis_consensus, outcome)
            )
        figures["systems"][system] = entry
        shown = f"{entry['seconds']:.2f} s" if entry.get("seconds") is not None else ""
        print(f"[{name}] {system}: {entry['status']} {shown}", flush=True)
    return figures


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _short(status: str) -> str:
    """A status that fits a table cell: "failed" or "timed out" (the rest is printed below)."""
    return "timed out" if status.startswith("timed out") else status.split(" (")[0]


def status_lines(results: dict[str, dict]) -> list[str]:
    return [
        f"{name} / {system}: {entry['status']}"
        for name, figures in results.items()
        for system, entry in figures["systems"].items()
        if entry["status"] != "ok"
    ]


def table(results: dict[str, dict], systems: list[str]) -> list[str]:
    rows = []
    for figures in results.values():
        polis = figures["polis"]
        rows.append(
            (
                f"{figures['label']} / Pol.is",
                [str(polis["in_map"]), str(polis["groups"]), *["-"] * 6],
            )
        )
        for system in systems:
            entry = figures["systems"][system]
            if entry["status"] != "ok":
                rows.append((f"  {system}", [_short(entry["status"]), *["-"] * 7]))
                continue
            peak = entry.get("peak_rss_bytes")
            rows.append(
                (
                    f"  {system}",
                    [
                        str(entry["in_map"]),
                        str(entry["groups"]),
                        str(entry["common"]),
                        _num(entry["ari"]),
                        _num(entry.get("repness_jaccard")),
                        _num(entry.get("consensus_jaccard")),
                        _num(entry["seconds"], 2),
                        "-" if peak is None else f"{peak / 2**20:.0f}",
                    ],
                )
            )
    columns = ["in map", "groups", "common", "ARI", "repness J", "consensus J", "seconds"]
    columns.append("peak MiB")
    return text_table(columns, rows)


def goal_lines(results: dict[str, dict], systems: list[str]) -> list[str]:
    lines = []
    peer = "red-dwarf"
    for ours in (s for s in systems if s.startswith("heard")):
        verdicts, high = [], []
        for name, figures in results.items():
            mine = figures["systems"][ours]
            if mine.get("ari") is None:
                verdicts.append(f"{name} no figure ({_short(mine['status'])})")
                continue
            high.append(f"{name} {'yes' if mine['ari'] >= GOAL_ARI else 'NO'}")
            theirs = figures["systems"].get(peer, {})
            if theirs.get("ari") is None:
                continue
            if abs(mine["ari"] - theirs["ari"]) < 1e-9:
                verdicts.append(f"{name} tie")
            else:
                verdicts.append(f"{name} {'yes' if mine['ari'] > theirs['ari'] else 'NO'}")
        if peer in systems:
            lines.append(f"goal: {ours} ARI > red-dwarf's: {', '.join(verdicts)}")
        lines.append(f"goal: {ours} ARI >= {GOAL_ARI}: {', '.join(high)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        return child(args.child[0], args.child[1], args.seed, args.replay_window)
    missing = data.missing_data()
    if missing:
        print(f"Benchmark: {NAME}\nskipped: {missing}")
        return 0
    available = data.names()
    names = args.conversations or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(f"unknown conversation(s): {', '.join(unknown)}; there are {', '.join(available)}")
        return 2
    try:
        from heard.opinions.engine import engine
    except ImportError as error:
        print(f"Benchmark: {NAME}\nFAILED: heard's opinion engine does not import: {error}")
        return 1

    args.systems, peer_version, peer_how = systems_with_peer(
        args.systems, install=not args.no_install
    )
    if not args.systems:
        return 0

    parameters = {
        "conversations": names,
        "systems": args.systems,
        "seed": args.seed,
        "replay_window_seconds": args.replay_window or engine.Parameters().replay_window,
        "timeout_seconds_per_run": args.timeout,
        "heard_engine_version": engine.ENGINE_VERSION,
        "red_dwarf": peer_version or f"skipped: {peer_how}",
        "red_dwarf_install": peer_how,
        "data": str(data.DATA_DIR),
    }
    run = start_run(NAME, parameters)
    results: dict[str, dict] = {}
    wall_started = time.monotonic()
    try:
        for name in names:
            results[name] = run_conversation(name, args)
    except KeyboardInterrupt:
        print("\nInterrupted: the running child was stopped.", file=sys.stderr)
        return 130
    wall_seconds = time.monotonic() - wall_started

    print("\nResults (in map: participants placed in a group; common: placed by both this tool")
    print("and Pol.is, the participants the ARI is over; J: Jaccard overlap with Pol.is's;")
    print("seconds: the computation alone; peak: the child process's whole life)")
    print("\n".join(table(results, args.systems)))
    for line in status_lines(results):
        print(line)
    for line in goal_lines(results, args.systems):
        print(line)
    print(f"Run time: {wall_seconds:.0f} s")
    failed = any(
        entry["status"].startswith("failed")
        for figures in results.values()
        for system, entry in figures["systems"].items()
        if system.startswith("heard")
    )
    out = run.write_results({"wall_seconds": wall_seconds, "results": results, "ok": not failed})
    print(f"Written: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
