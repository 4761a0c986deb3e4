"""The labelled texts the theme benchmarks run on, read from ``../shared/data``.

Two data sets with known groupings, so a clustering can be scored against people's labels:

- banking77: short customer questions to a bank, each labelled with one of 77 intents.
- ArgKP (IBM, train and dev): arguments for or against 28 contested statements, each matched by
  annotators to the expert "key points" it makes. Within one topic and stance (a *group*), the
  key point an argument makes is its class. An argument matching no key point has no class, and
  one matching several has no single class; by default both are left out (they cannot be scored
  against a partition), and ``all_arguments=True`` clusters them with the rest but still scores
  only the arguments with exactly one key point.

The scale benchmark needs inputs of 10^4 to 10^6 contributions; ``resampled_texts`` builds them
from the same real texts (see its docstring for the perturbation). The data is never committed
into the project: without ``../shared/data`` the benchmarks skip.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from benchmarks._app import ROOT

DATA_DIR = ROOT.parent / "shared" / "data"
BANKING77 = DATA_DIR / "banking77"
ARGKP = DATA_DIR / "argkp" / "kpm_data"
BANKING77_SPLITS = ("test", "train", "all")


@dataclass(frozen=True)
class Group:
    """Texts clustered together, with their classes (``None``: clustered but not scored)."""

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[str | None, ...]


@dataclass(frozen=True)
class LabelledSet:
    """A data set: one or more groups, each clustered on its own."""

    name: str
    description: str
    groups: tuple[Group, ...]

    @property
    def size(self) -> int:
        return sum(len(group.ids) for group in self.groups)


def missing_data() -> str | None:
    """Why the theme benchmarks cannot run here (the files they need), or None."""
    needed = [BANKING77 / "test.csv", BANKING77 / "train.csv"] + [
        ARGKP / f"{kind}_{split}.csv"
        for kind in ("arguments", "key_points", "labels")
        for split in ("train", "dev")
    ]
    absent = [path for path in needed if not path.is_file()]
    if absent:
        return f"{absent[0]} is absent (the benchmark data in ../shared/data is not here)"
    return None


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_banking77(split: str = "test") -> LabelledSet:
    """banking77's ``test`` (3,080 texts), ``train`` (10,003) or ``all``: one group."""
    if split not in BANKING77_SPLITS:
        raise ValueError(f"banking77 split must be one of {', '.join(BANKING77_SPLITS)}")
    splits = ("train", "test") if split == "all" else (split,)
    ids: list[str] = []
    texts: list[str] = []
    labels: list[str | None] = []
    for name in splits:
        for number, row in enumerate(_rows(BANKING77 / f"{name}.csv")):
            ids.append(f"{name}-{number}")
            texts.append(row["text"])
            labels.append(row["category"])
    group = Group("banking77", tuple(ids), tuple(texts), tuple(labels))
    description = f"banking77 {split}: {len(ids):,} texts, {len(set(labels))} intents"
    return LabelledSet("banking77", description, (group,))


def load_argkp(all_arguments: bool = False) -> LabelledSet:
    """ArgKP train and dev, one group per split, topic and stance; see the module docstring."""
    groups: list[Group] = []
    kept = unmatched = several = 0
    for split in ("train", "dev"):
        matches: dict[str, set[str]] = defaultdict(set)
        for row in _rows(ARGKP / f"labels_{split}.csv"):
            if row["label"].strip() == "1":
                matches[row["arg_id"]].add(row["key_point_id"])
        members: dict[tuple[str, str], list[tuple[str, str, str | None]]] = defaultdict(list)
        for row in _rows(ARGKP / f"arguments_{split}.csv"):
            points = matches.get(row["arg_id"], set())
            label = next(iter(points)) if len(points) == 1 else None
            kept += label is not None
            unmatched += not points
            several += len(points) > 1
            if label is not None or all_arguments:
                members[(row["topic"], row["stance"])].append(
                    (row["arg_id"], row["argument"], label)
                )
        for (topic, stance), rows in members.items():
            name = f"{split}: {topic} ({'pro' if stance.strip() == '1' else 'con'})"
            ids, texts, labels = zip(*rows, strict=True)
            groups.append(Group(name, ids, texts, labels))
    scope = "all arguments clustered" if all_arguments else "only those clustered"
    description = (
        f"ArgKP train+dev: {len(groups)} topic/stance groups; {kept:,} arguments with exactly "
        f"one key point scored ({scope}); {unmatched:,} matching none and {several:,} matching "
        f"several {'clustered, not scored' if all_arguments else 'left out'}"
    )
    return LabelledSet("argkp", description, tuple(groups))


def source_texts() -> list[str]:
    """Every real text the scale benchmark resamples: banking77 train and test, and every ArgKP
    argument (train and dev), in file order."""
    texts = [row["text"] for name in ("train", "test") for row in _rows(BANKING77 / f"{name}.csv")]
    for split in ("train", "dev"):
        texts.extend(row["argument"] for row in _rows(ARGKP / f"arguments_{split}.csv"))
    return texts


def resampled_texts(size: int, seed: int, sources: list[str] | None = None) -> list[str]:
    """``size`` contributions drawn with replacement from ``source_texts()`` (about 20,000 real
    texts), lightly perturbed so that a large input is not a few thousand texts repeated verbatim
    (which a cache or a de-duplication would make unrealistically cheap), without inventing words:

    - half of them lose one word at random (when they have more than three);
    - a quarter are followed by a second drawn text (a longer contribution making two points);
    - the rest are the drawn text as it is.

    Deterministic for a ``seed``."""
    pool = sources if sources is not None else source_texts()
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(size):
        text = rng.choice(pool)
        roll = rng.random()
        if roll < 0.5:
            words = text.split()
            if len(words) > 3:
                del words[rng.randrange(len(words))]
                text = " ".join(words)
        elif roll < 0.75:
            text = f"{text} {rng.choice(pool)}"
        out.append(text)
    return out
