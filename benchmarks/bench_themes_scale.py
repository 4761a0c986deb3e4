"""Theme engine at scale: time and peak memory from 10^4 to 10^6 contributions.

What it answers: how long heard's ``find_themes`` takes on large inputs, embedding included, and
how much memory it needs at its peak, on this machine. Goals from issue 4, printed beside the
figures: with the fast mode, 10^5 contributions in <= 2 min and 10^6 in <= 10 min; peak memory
<= 8 GB (10^9 bytes).

How: each size runs in a fresh child process (``--child``), so one run's memory and caches do not
carry into the next. The child builds the input by resampling the real texts of banking77 and
ArgKP (about 20,000; some lose a word, some are joined to a second text: see
``benchmarks/_themes_data.resampled_texts``), makes ``Item`` objects (language ``en``, all
quotable), then times one ``find_themes`` call as the platform makes it: the engine computes its
own embeddings (fast mode: without a word-vector cache, so every run pays for its vocabulary) and
the stage times come from its progress callback. The child then checks the output itself (every
id exactly once; every quote an exact excerpt of a member) and reports. The peak resident memory
is the child's whole life (``os.wait4``'s ``ru_maxrss``): the input texts and items included, as
they would be in the platform's worker; the child also reports its memory just before the call.

Sizes: ``--sizes`` for the fast mode (default 10^4, 10^5, 10^6), ``--accurate-sizes`` for the
accurate mode (default 10^4; every text goes through the model, about 10 ms each on two cores).
Each child is stopped after ``--timeout`` seconds (default 1,800) and the size reported as timed
out. The default run took 18 minutes on two cores. Results go to
``benchmarks/results/themes_scale-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks import _themes_data as data
from benchmarks._app import start_run, text_table
from benchmarks._child import run_child

NAME = "themes_scale"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_ACCURATE_SIZES = (10_000,)
GOAL_SECONDS = {100_000: 120, 1_000_000: 600}  # fast mode, from issue 4
GOAL_PEAK_BYTES = 8 * 10**9


def _sizes(text: str) -> list[int]:
    sizes = [int(size.replace("_", "")) for size in text.split(",") if size.strip()]
    if any(size < 10 or size > 10**7 for size in sizes):
        raise argparse.ArgumentTypeError("sizes must be between 10 and 10,000,000")
    return sizes


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"benchmarks/run {NAME} --", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated numbers of contributions, fast mode (default 10000,100000,1000000)",
    )
    parser.add_argument(
        "--accurate-sizes",
        type=_sizes,
        default=list(DEFAULT_ACCURATE_SIZES),
        help="the same for the accurate mode (default 10000; empty: none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="resampling and engine seed")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a size's child is stopped"
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.timeout <= 6 * 3600:
        parser.error("--timeout must be between 1 and 21600 seconds")
    return args


# --------------------------------------------------------------------------------------------
# The child: one size, one mode.
# --------------------------------------------------------------------------------------------


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _stage_seconds(started: float, last_report: dict[str, float]) -> dict[str, float]:
    seconds, previous = {}, started
    for stage, at in sorted(last_report.items(), key=lambda pair: pair[1]):
        seconds[stage], previous = at - previous, at
    return seconds


def child(mode: str, size: int, seed: int) -> int:
    """Build the input, time find_themes, check its output; print the figures as JSON last."""
    from benchmarks._themes_score import check_result
    from heard.sense.themes.engine import find_themes
    from heard.sense.themes.result import Item

    started = time.perf_counter()
    texts = data.resampled_texts(size, seed)
    items = [
        Item(id=f"c{number:07d}", text=text, language="en", quotable=True)
        for number, text in enumerate(texts)
    ]
    build_seconds = time.perf_counter() - started
    distinct = len(set(texts))
    del texts
    rss_before = _rss_bytes()

    # Each stage's time runs from the previous stage's last report (or the call's start) to its
    # own last report: the engine reports stages in order, "embedding", "grouping", "describing".
    last_report: dict[str, float] = {}
    last_print = [0.0]

    def progress(stage: str, fraction: float) -> None:
        now = time.perf_counter()
        last_report[stage] = now
        if now - last_print[0] > 15 or fraction >= 1.0:
            last_print[0] = now
            print(f"  [{mode} {size:,}] {stage} {100 * fraction:.0f} %", file=sys.stderr)

    started = time.perf_counter()
    result = find_themes(items, fast=mode == "fast", seed=seed, progress=progress)
    seconds = time.perf_counter() - started
    check = check_result(result, items)
    figures = {
        "mode": mode,
        "size": size,
        "distinct_texts": distinct,
        "build_seconds": build_seconds,
        "seconds": seconds,
        "stage_seconds": _stage_seconds(started, last_report),
        "rss_before_bytes": rss_before,
        "themes": len(result.themes),
        "unassigned_share": len(result.unassigned) / size,
        "check": check.summary(),
        "provenance": result.provenance,
    }
    print(json.dumps(figures))
    return 0 if check.ok else 1


# --------------------------------------------------------------------------------------------
# The parent: a child per size, its peak memory from wait4.
# --------------------------------------------------------------------------------------------


def run_size(mode: str, size: int, args: argparse.Namespace) -> dict:
    print(f"[{mode} {size:,}] running ...", flush=True)
    figures: dict = {"mode": mode, "size": size}
    figures |= run_child(
        "benchmarks.bench_themes_scale",
        ["--child", mode, str(size), "--seed", str(args.seed)],
        args.timeout,
    )
    if "check" in figures and not figures["check"]["ok"]:
        figures["status"] = "output check FAILED"
    print(f"[{mode} {size:,}] {figures['status']}", flush=True)
    return figures


def _gb(value: int | None) -> str:
    return "-" if value is None else f"{value / 10**9:.2f}"


def table(runs: list[dict]) -> list[str]:
    rows = []
    for figures in runs:
        ran = "seconds" in figures
        goal = GOAL_SECONDS.get(figures["size"]) if figures["mode"] == "fast" else None
        peak = figures.get("peak_rss_bytes")
        stages = figures.get("stage_seconds", {})
        rows.append(
            (
                f"{figures['mode']} {figures['size']:,}",
                [
                    f"{figures['seconds']:.1f}" if ran else figures["status"],
                    "-" if goal is None else f"<= {goal}",
                    *(f"{stages[s]:.1f}" if s in stages else "-" for s in STAGES),
                    _gb(peak),
                    "-" if peak is None else ("yes" if peak <= GOAL_PEAK_BYTES else "NO"),
                    _gb(figures.get("rss_before_bytes")),
                    str(figures.get("themes", "-")),
                    f"{100 * figures['unassigned_share']:.1f} %" if ran else "-",
                    _check_cell(figures) if ran else "-",
                ],
            )
        )
    columns = ["find_themes s", "goal s", *(f"{s} s" for s in STAGES)]
    columns += ["peak GB", "<= 8 GB", "input GB", "themes", "unassigned", "check"]
    return text_table(columns, rows)


STAGES = ("embedding", "grouping", "describing")


def _check_cell(figures: dict) -> str:
    check = figures["check"]
    exact = f"{check['quotes_exact']}/{check['quotes']} quotes exact"
    return f"ok, {exact}" if check["ok"] else f"FAILED, {exact}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    missing = data.missing_data()
    if args.child:
        return child(args.child[0], int(args.child[1]), args.seed)
    if missing:
        print(f"Benchmark: {NAME}\nskipped: {missing}")
        return 0
    plan = [("fast", size) for size in args.sizes]
    plan += [("accurate", size) for size in args.accurate_sizes]
    parameters = {
        "fast_sizes": args.sizes,
        "accurate_sizes": args.accurate_sizes,
        "seed": args.seed,
        "timeout_seconds_per_size": args.timeout,
        "input": "banking77 (train+test) and ArgKP (train+dev) texts resampled with replacement; "
        "half lose a word, a quarter are joined to a second text",
        "threads": "the machine's cores (no limit set)",
    }
    run = start_run(NAME, parameters)
    runs: list[dict] = []
    wall_started = time.monotonic()
    try:
        for mode, size in plan:
            runs.append(run_size(mode, size, args))
    except KeyboardInterrupt:
        print("\nInterrupted: the running child was stopped.", file=sys.stderr)
        return 130
    wall_seconds = time.monotonic() - wall_started

    print("\nResults (seconds of one find_themes call, embedding included; peak = the child's")
    print("whole life, input included; input GB = its memory just before the call)")
    print("\n".join(table(runs)))
    for figures in runs:
        goal = GOAL_SECONDS.get(figures["size"])
        if figures["mode"] == "fast" and goal and "seconds" in figures:
            verdict = "met" if figures["seconds"] <= goal else "NOT met"
            print(f"goal: fast {figures['size']:,} in <= {goal} s: {verdict}")
    print(f"Run time: {wall_seconds:.0f} s")
    # A size that timed out is a figure (the goal not met), not a broken run.
    failed = any(f["status"] != "ok" and not f["status"].startswith("timed out") for f in runs)
    out = run.write_results({"wall_seconds": wall_seconds, "runs": runs, "ok": not failed})
    print(f"Written: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
