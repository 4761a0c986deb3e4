"""Theme quality: heard's engine beside BERTopic, on the same embeddings, against people's labels.

What it answers: do heard's themes recover the groupings people made (banking77's 77 intents;
ArgKP's key points per topic and stance) at least as well as BERTopic does, and is every quote
heard shows an exact excerpt of the contribution it names? Goal from issue 4: quality at least
BERTopic's on both sets; quote exactness 100 %.

How, for each data set (see ``benchmarks/_themes_data.py`` for what is in them):

1. Embeddings are computed once with the engine's own ``embed()``: accurate (multilingual-e5-small)
   and fast (the static word vectors built from it over the data set's vocabulary), each over
   the whole data set, then sliced per group.
2. Every group is clustered on its own by each system: ``heard`` (``find_themes`` given the
   accurate embeddings), ``bertopic`` (``BERTopic()`` with its default settings, given the same
   embeddings), ``heard-fast`` (``find_themes(fast=True)`` given the fast embeddings) and
   ``bertopic-fast`` (BERTopic on the fast embeddings). Items are given ``language="en"`` (the
   data sets are English) and all are quotable.
3. Scores: V-measure and the adjusted Rand index against the labels, with unassigned texts
   (heard's bucket, BERTopic's outlier topic -1) counted as one cluster of their own; the share
   left unassigned; the number of themes. For ArgKP the mean over its 56 groups, and *pooled*:
   every group's clusters and classes put side by side (cluster and class names prefixed by the
   group, so no cluster spans two groups: each group's unassigned bucket stays its own cluster)
   and scored at once, which weighs groups by their size. Pooled scores are far above the mean
   because telling the groups apart is given for free: read the mean first.
4. heard's output is checked here, independently of the engine: every input id exactly once in a
   theme or unassigned; every quote a non-empty exact substring of its item's text at its
   ``start``, of a member of its theme, and of a quotable item. A failed check exits 1.

Times: embedding seconds once per data set (shared by the systems that use them); clustering
seconds are the sum over groups of the system's call, embeddings given. BERTopic's first fit pays
numba's one-time compilation: a warm-up fit on random vectors runs first and is not counted.
BERTopic's defaults do not fix UMAP's random state, so its figures move a little between runs;
heard's are deterministic for a ``--seed``. Results go to
``benchmarks/results/themes_quality-<timestamp>.json``. With the defaults (banking77 test, ArgKP
train+dev) the run took 24 minutes on two busy cores, half of it the accurate embedding.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence

import numpy as np

from benchmarks import _themes_data as data
from benchmarks._app import start_run, text_table
from benchmarks._themes_peer import ensure_bertopic, fit_bertopic, warm_up
from benchmarks._themes_score import (
    UNASSIGNED,
    ResultCheck,
    agreement,
    assignment,
    check_result,
)
from heard.sense.themes.result import Item

NAME = "themes_quality"
SYSTEMS = ("heard", "bertopic", "heard-fast", "bertopic-fast")
TITLES = {
    "heard": "heard",
    "bertopic": "BERTopic",
    "heard-fast": "heard fast",
    "bertopic-fast": "BERTopic fast-emb",
}
DATASETS = ("banking77", "argkp")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"benchmarks/run {NAME} --", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--datasets", default=",".join(DATASETS), help="comma-separated: banking77,argkp"
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, from {','.join(SYSTEMS)}",
    )
    parser.add_argument(
        "--banking77-split",
        choices=data.BANKING77_SPLITS,
        default="test",
        help="test (3,080 texts), train (10,003) or all",
    )
    parser.add_argument(
        "--argkp-all-arguments",
        action="store_true",
        help="also cluster arguments matching no key point or several (scored: only the rest)",
    )
    parser.add_argument("--seed", type=int, default=0, help="heard's seed")
    parser.add_argument(
        "--minilm",
        action="store_true",
        help="also run with a MiniLM model, if the engine offers one (it is skipped otherwise)",
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not install BERTopic (--no-deps) when it is missing; skip it instead",
    )
    args = parser.parse_args(argv)
    args.datasets = [name.strip() for name in args.datasets.split(",") if name.strip()]
    args.systems = [name.strip() for name in args.systems.split(",") if name.strip()]
    if not args.datasets or set(args.datasets) - set(DATASETS):
        parser.error(f"--datasets must name some of {','.join(DATASETS)}")
    if not args.systems or set(args.systems) - set(SYSTEMS):
        parser.error(f"--systems must name some of {','.join(SYSTEMS)}")
    return args


# --------------------------------------------------------------------------------------------
# One system on one group.
# --------------------------------------------------------------------------------------------


def run_heard(
    group: data.Group, vectors: np.ndarray, *, fast: bool, seed: int
) -> tuple[list[str], dict]:
    """heard's cluster label per text, and what this group's run showed."""
    from heard.sense.themes.engine import find_themes

    items = [
        Item(id=item_id, text=text, language="en", quotable=True)
        for item_id, text in zip(group.ids, group.texts, strict=True)
    ]
    started = time.perf_counter()
    try:
        result = find_themes(items, fast=fast, seed=seed, embeddings=vectors)
    except Exception as error:  # the engine failing is a finding, reported in full
        seconds = time.perf_counter() - started
        failure = "".join(traceback.format_exception(error)).strip()
        return [UNASSIGNED] * len(items), {"seconds": seconds, "error": failure}
    seconds = time.perf_counter() - started
    check = check_result(result, items)
    figures = {
        "seconds": seconds,
        "themes": len(result.themes),
        "check": check,
        "provenance": result.provenance,
    }
    return assignment(result, group.ids), figures


def run_peer(group: data.Group, vectors: np.ndarray) -> tuple[list[str], dict]:
    started = time.perf_counter()
    try:
        topics = fit_bertopic(group.texts, vectors)
    except Exception as error:  # BERTopic failing on a group is reported, not fatal
        seconds = time.perf_counter() - started
        reason = f"{type(error).__name__}: {error}"
        return [UNASSIGNED] * len(group.ids), {"seconds": seconds, "error": reason}
    seconds = time.perf_counter() - started
    labels = [UNASSIGNED if topic < 0 else str(topic) for topic in topics]
    return labels, {"seconds": seconds, "themes": len({t for t in topics if t >= 0})}


# --------------------------------------------------------------------------------------------
# A data set.
# --------------------------------------------------------------------------------------------


def embed_once(texts: Sequence[str], fast: bool) -> tuple[np.ndarray, float]:
    from heard.sense.themes.embeddings import embed

    started = time.perf_counter()
    vectors = embed(list(texts), fast=fast)
    return np.asarray(vectors, dtype=np.float32), time.perf_counter() - started


def summarise(dataset: data.LabelledSet, per_group: list[dict], predicted: list[list[str]]) -> dict:
    """Mean over groups and pooled scores for one system."""
    truth_pooled: list[str | None] = []
    predicted_pooled: list[str] = []
    for number, (group, labels) in enumerate(zip(dataset.groups, predicted, strict=True)):
        truth_pooled.extend(None if t is None else f"{number}:{t}" for t in group.labels)
        # Each group's unassigned bucket is one of its clusters, like its themes: prefixed too.
        predicted_pooled.extend(f"{number}:{p}" for p in labels)
    pooled = agreement(truth_pooled, predicted_pooled)
    labelled = [p for t, p in zip(truth_pooled, predicted_pooled, strict=True) if t is not None]
    unassigned = sum(p.endswith(f":{UNASSIGNED}") for p in labelled) / max(1, len(labelled))
    check = ResultCheck()
    for figures in per_group:
        if "check" in figures:
            check.add(figures["check"])
    scored = [figures for figures in per_group if "error" not in figures]
    themes = [figures["themes"] for figures in scored]
    return {
        "v_measure_mean": statistics.fmean(f["v_measure"] for f in per_group),
        "ari_mean": statistics.fmean(f["ari"] for f in per_group),
        "v_measure_pooled": pooled["v_measure"],
        "ari_pooled": pooled["ari"],
        "unassigned_share": unassigned,
        "themes_total": sum(themes),
        "themes_per_group_mean": statistics.fmean(themes) if themes else 0.0,
        "clustering_seconds": sum(f["seconds"] for f in per_group),
        "groups_failed": [
            {"group": g.name, "error": f["error"]}
            for g, f in zip(dataset.groups, per_group, strict=True)
            if "error" in f
        ],
        "check": check.summary() if check.quotes or check.problems else None,
    }


def run_dataset(dataset: data.LabelledSet, args: argparse.Namespace) -> dict:
    print(f"\n== {dataset.description}", flush=True)
    texts = [text for group in dataset.groups for text in group.texts]
    embeddings: dict[bool, np.ndarray] = {}
    embedding_seconds: dict[str, float] = {}
    for fast in (False, True):
        if any(s.endswith("-fast") == fast for s in args.systems):
            label = "fast" if fast else "accurate"
            print(f"[{dataset.name}] embedding {len(texts):,} texts ({label}) ...", flush=True)
            embeddings[fast], embedding_seconds[label] = embed_once(texts, fast)
            print(f"[{dataset.name}]   {embedding_seconds[label]:.1f} s", flush=True)

    runners: dict[str, Callable[[data.Group, np.ndarray], tuple[list[str], dict]]] = {
        "heard": lambda g, x: run_heard(g, x, fast=False, seed=args.seed),
        "heard-fast": lambda g, x: run_heard(g, x, fast=True, seed=args.seed),
        "bertopic": run_peer,
        "bertopic-fast": run_peer,
    }
    per_group: dict[str, list[dict]] = {system: [] for system in args.systems}
    predicted: dict[str, list[list[str]]] = {system: [] for system in args.systems}
    start = 0
    for number, group in enumerate(dataset.groups, start=1):
        rows = slice(start, start + len(group.ids))
        start += len(group.ids)
        line = [f"[{dataset.name} {number}/{len(dataset.groups)}] {group.name[:60]}"]
        line.append(f"n={len(group.ids)} classes={len({t for t in group.labels if t})}")
        for system in args.systems:
            vectors = embeddings[system.endswith("-fast")][rows]
            labels, figures = runners[system](group, vectors)
            figures.update(agreement(group.labels, labels))
            figures["group"] = group.name
            per_group[system].append(figures)
            predicted[system].append(labels)
            shown = "FAILED" if "error" in figures else f"V {figures['v_measure']:.2f}"
            line.append(f"{TITLES[system]} {shown} k={figures.get('themes', '-')}")
        print(" | ".join(line), flush=True)
        for system in args.systems:
            if "error" in per_group[system][-1]:
                print(f"  {TITLES[system]} failed:\n{per_group[system][-1]['error']}", flush=True)

    systems = {
        system: summarise(dataset, per_group[system], predicted[system]) for system in args.systems
    }
    provenance = next(
        (f["provenance"] for s in args.systems for f in per_group[s] if "provenance" in f), None
    )
    for figures_list in per_group.values():
        for figures in figures_list:
            figures.pop("provenance", None)
            if "check" in figures:
                figures["check"] = figures["check"].summary()
    return {
        "description": dataset.description,
        "texts": len(texts),
        "groups": len(dataset.groups),
        "embedding_seconds": embedding_seconds,
        "systems": systems,
        "per_group": per_group,
        "heard_provenance_example": provenance,
    }


# --------------------------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(figures: dict, systems: list[str]) -> list[str]:
    several = figures["groups"] > 1
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell: Callable[[str, dict], str]) -> None:
        rows.append((label, [cell(s, figures["systems"][s]) for s in systems]))

    if several:
        row("V-measure, mean over groups", lambda s, f: _ratio(f["v_measure_mean"]))
        row("ARI, mean over groups", lambda s, f: _ratio(f["ari_mean"]))
        row("V-measure, pooled", lambda s, f: _ratio(f["v_measure_pooled"]))
        row("ARI, pooled", lambda s, f: _ratio(f["ari_pooled"]))
    else:
        row("V-measure", lambda s, f: _ratio(f["v_measure_pooled"]))
        row("ARI", lambda s, f: _ratio(f["ari_pooled"]))
    row("unassigned / outliers", lambda s, f: f"{100 * f['unassigned_share']:.1f} %")
    if several:
        row("themes per group, mean", lambda s, f: f"{f['themes_per_group_mean']:.1f}")
    row("themes, total", lambda s, f: str(f["themes_total"]))

    def exactness(system: str, f: dict) -> str:
        check = f["check"]
        if check is None:
            return "-"
        return f"{100 * (check['quote_exactness'] or 0):.1f} % of {check['quotes']}"

    row("quote exactness", exactness)
    row(
        "quotes per theme",
        lambda s, f: (
            "-"
            if f["check"] is None
            else f"{f['check']['quotes_per_theme_min']}-{f['check']['quotes_per_theme_max']}"
        ),
    )
    row(
        "output check",
        lambda s, f: "-" if f["check"] is None else ("ok" if f["check"]["ok"] else "FAILED"),
    )
    row("groups failed", lambda s, f: str(len(f["groups_failed"])))
    seconds = figures["embedding_seconds"]
    row(
        "embedding s (shared)",
        lambda s, f: f"{seconds.get('fast' if s.endswith('-fast') else 'accurate', 0):.1f}",
    )
    row("clustering s", lambda s, f: f"{f['clustering_seconds']:.1f}")
    return text_table([TITLES[s] for s in systems], rows)


def goal_lines(name: str, figures: dict, systems: list[str]) -> list[str]:
    lines = []
    pairs = [("heard", "bertopic"), ("heard-fast", "bertopic-fast")]
    keys = ("v_measure_mean", "ari_mean") if figures["groups"] > 1 else ()
    keys += ("v_measure_pooled", "ari_pooled")
    for ours, theirs in pairs:
        if ours in systems and theirs in systems:
            a, b = figures["systems"][ours], figures["systems"][theirs]
            verdicts = [
                f"{key.replace('_', ' ')} {'yes' if a[key] >= b[key] else 'NO'}" for key in keys
            ]
            lines.append(
                f"goal ({name}): {TITLES[ours]} >= {TITLES[theirs]}: {', '.join(verdicts)}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    missing = data.missing_data()
    if missing:
        print(f"Benchmark: {NAME}\nskipped: {missing}")
        return 0
    try:
        from heard.sense.themes import embeddings as engine_embeddings
        from heard.sense.themes import engine
    except ImportError as error:
        print(f"Benchmark: {NAME}\nFAILED: heard's theme engine does not import: {error}")
        return 1

    peer_version, peer_how = None, "not asked for"
    if any(s.startswith("bertopic") for s in args.systems):
        peer_version, peer_how = ensure_bertopic(install=not args.no_install)
        if peer_version is None:
            print(f"BERTopic skipped: {peer_how}")
            args.systems = [s for s in args.systems if not s.startswith("bertopic")]
            if not args.systems:
                return 0

    parameters = {
        "datasets": args.datasets,
        "systems": args.systems,
        "banking77_split": args.banking77_split,
        "argkp_all_arguments": args.argkp_all_arguments,
        "seed": args.seed,
        "heard_engine_version": engine.ENGINE_VERSION,
        "embedding_model": engine_embeddings.model_name(),
        "bertopic": peer_version or f"skipped: {peer_how}",
        "bertopic_install": peer_how,
    }
    run = start_run(NAME, parameters)
    if args.minilm:
        if "model" in inspect.signature(engine_embeddings.embed).parameters:
            print("--minilm: the engine's embed() takes a model; not wired in this benchmark yet")
        else:
            print("--minilm skipped: the engine offers no MiniLM model (embed() has no choice)")

    results: dict[str, dict] = {}
    wall_started = time.monotonic()
    try:
        if any(s.startswith("bertopic") for s in args.systems):
            print(f"BERTopic warm-up (numba compilation, not counted): {warm_up():.1f} s")
        for name in args.datasets:
            dataset = (
                data.load_banking77(args.banking77_split)
                if name == "banking77"
                else data.load_argkp(args.argkp_all_arguments)
            )
            results[name] = run_dataset(dataset, args)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    wall_seconds = time.monotonic() - wall_started

    failed = False
    for name, figures in results.items():
        print(f"\nResults: {figures['description']}")
        print("\n".join(table(figures, args.systems)))
        for line in goal_lines(name, figures, args.systems):
            print(line)
        for system in args.systems:
            summary = figures["systems"][system]
            broken = summary["groups_failed"] or (summary["check"] and not summary["check"]["ok"])
            if system.startswith("heard") and broken:
                failed = True
                print(f"FAILED ({name}, {TITLES[system]}): see the lines above and the JSON")
    print(f"\nRun time: {wall_seconds:.0f} s")
    out = run.write_results({"wall_seconds": wall_seconds, "datasets": results, "ok": not failed})
    print(f"Written: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
