"""red-dwarf, the peer the opinion benchmarks compare heard with (PyPI, MPL-2.0; benchmark-only).

red-dwarf (polis-community/red-dwarf) reimplements Pol.is's math in Python on pandas and
scikit-learn: ``reddwarf.implementations.polis.run_pipeline(votes=..., mod_out_statement_ids=...,
meta_statement_ids=..., random_state=...)`` with votes as dicts with the keys
``participant_id``, ``statement_id``, ``vote`` (1 agree, -1 disagree, 0 pass) and ``modified``
(milliseconds). It pivots the votes into a matrix without removing duplicates, so it is given
each participant's latest vote only (``open_data.latest_votes``). By its own docstring it has
no base clusters (so cannot match Pol.is above 100 participants), no k-smoothing and no
history: it computes once from the final votes.

Installing it: ``red-dwarf==0.4.0`` is in the ``bench`` extra (``.venv/bin/pip install -e
'.[bench]'``); its dependencies are small (pandas, scikit-learn, requests and a rate limiter
for its Pol.is API loader, which the benchmark never calls). ``ensure_reddwarf`` installs that
pinned version into the running venv when it is missing, and says so.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

from heard.opinions.engine import Vote

REDDWARF_REQUIREMENT = "red-dwarf==0.4.0"
BENCH_EXTRA = ".venv/bin/pip install -e '.[bench]'"


def ensure_reddwarf(install: bool = True) -> tuple[str | None, str]:
    """red-dwarf's version and how it came to be there, or ``(None, why it cannot run)``."""
    how = "already installed"
    if importlib.util.find_spec("reddwarf") is None:
        command = [sys.executable, "-m", "pip", "install", "--quiet", REDDWARF_REQUIREMENT]
        if not install:
            return None, f"red-dwarf is not installed ({BENCH_EXTRA})"
        print(f"Installing the peer (the bench extra's pin): {' '.join(command[2:])}", flush=True)
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            return None, f"could not install red-dwarf: {done.stderr.strip()[-500:]}"
        importlib.invalidate_caches()
        how = "installed now"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module("reddwarf.implementations.polis")
    except ImportError as error:
        return None, f"red-dwarf does not import: {error}"
    return importlib.metadata.version("red-dwarf"), how


def reddwarf_votes(latest: Sequence[Vote]) -> list[dict[str, Any]]:
    """Engine votes (one per participant and statement) as red-dwarf's vote dicts."""
    return [
        {
            "participant_id": int(v.participant),
            "statement_id": int(v.statement),
            "vote": v.value,
            "modified": v.at * 1000,
        }
        for v in latest
    ]


def run_reddwarf(
    votes: list[dict[str, Any]],
    *,
    moderated_out: Sequence[str],
    meta: Sequence[str],
    seed: int,
) -> dict[str, Any]:
    """One ``run_pipeline`` call, timed; its groups, repness and consensus as plain data
    (participant ids as strings, comment ids as integers, as heard's CLI writes them)."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic's notes about red-dwarf's own models
        from reddwarf.implementations.polis import run_pipeline

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_pipeline(
            votes=votes,
            mod_out_statement_ids=[int(s) for s in moderated_out],
            meta_statement_ids=[int(s) for s in meta],
            random_state=seed,
        )
    seconds = time.perf_counter() - started
    clusters = result.participants_df["cluster_id"]
    groups = {str(p): int(g) for p, g in clusters.items() if not pd.isna(g)}
    return {
        "seconds": seconds,
        "groups": groups,
        "repness": {
            str(int(g)): [int(row["tid"]) for row in rows] for g, rows in result.repness.items()
        },
        "consensus": [
            [direction, int(row["tid"])]
            for direction in ("agree", "disagree")
            for row in result.consensus.get(direction, [])
        ],
    }


def systems_with_peer(systems: list[str], *, install: bool) -> tuple[list[str], str | None, str]:
    """``systems`` without red-dwarf when it cannot run (saying why), with its version and how
    it came to be there: the one rule both opinion benchmarks follow."""
    if "red-dwarf" not in systems:
        return systems, None, "not asked for"
    version, how = ensure_reddwarf(install=install)
    if version is None:
        print(f"red-dwarf skipped: {how}")
        systems = [s for s in systems if s != "red-dwarf"]
    return systems, version, how
