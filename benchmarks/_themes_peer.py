"""BERTopic, the peer the theme benchmarks compare heard with (PyPI, MIT; benchmark-only).

BERTopic is run with its default settings (UMAP to 5 dimensions, HDBSCAN with clusters of at
least 10, class-based TF-IDF labels) on the *same* embeddings heard's engine gets, so the
comparison is of the clustering, not of the embedding model.

Installing it: BERTopic's package metadata requires sentence-transformers, which pulls torch, and
a plain torch on this kind of machine is a multi-GB CUDA build. With precomputed embeddings
BERTopic never touches sentence-transformers, so it is installed without its dependencies
(``pip install --no-deps bertopic``) beside the libraries it really runs on, which the ``bench``
extra lists (umap-learn, hdbscan, pandas, tqdm, pyyaml; plotly is optional and left out).
``ensure_bertopic`` does that step when BERTopic is missing, and says so.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

BERTOPIC_REQUIREMENT = "bertopic>=0.17,<0.18"
# What BERTopic imports when fitting on precomputed embeddings (module name -> PyPI name).
RUNTIME_NEEDS = {
    "umap": "umap-learn",
    "hdbscan": "hdbscan",
    "pandas": "pandas",
    "tqdm": "tqdm",
    "yaml": "pyyaml",
}
BENCH_EXTRA = ".venv/bin/pip install -e '.[bench]'"


def ensure_bertopic(install: bool = True) -> tuple[str | None, str]:
    """BERTopic's version and how it came to be there, or ``(None, why it cannot run)``.

    Installs BERTopic with ``--no-deps`` into the running venv when its runtime needs (the
    ``bench`` extra) are present and it is not; ``install=False`` only looks."""
    find = importlib.util.find_spec
    absent = [pypi for module, pypi in RUNTIME_NEEDS.items() if find(module) is None]
    if absent:
        return None, f"{', '.join(absent)} not installed ({BENCH_EXTRA})"
    how = "already installed"
    if importlib.util.find_spec("bertopic") is None:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        command.append(BERTOPIC_REQUIREMENT)
        if not install:
            return None, f"bertopic is not installed ({' '.join(command[2:])})"
        print(f"Installing the peer without its dependencies: {' '.join(command[2:])}", flush=True)
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            return None, f"could not install bertopic: {done.stderr.strip()[-500:]}"
        importlib.invalidate_caches()
        how = "installed now with --no-deps"
    try:
        bertopic = importlib.import_module("bertopic")
    except ImportError as error:
        return None, f"bertopic does not import: {error}"
    return str(getattr(bertopic, "__version__", "unknown")), how


def warm_up() -> float:
    """Fit once on 300 random vectors so numba's one-time compilation of UMAP and HDBSCAN is
    not charged to the first data set; the seconds it took (not counted anywhere else)."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 32)).astype(np.float32)
    docs = [f"warm up text number {number % 17}" for number in range(300)]
    started = time.perf_counter()
    fit_bertopic(docs, vectors)
    return time.perf_counter() - started


def fit_bertopic(texts: Sequence[str], embeddings: np.ndarray) -> list[int]:
    """BERTopic's topic per text (-1: its outliers), default settings, given ``embeddings``."""
    from bertopic import BERTopic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        topics, _ = BERTopic().fit_transform(list(texts), embeddings=embeddings)
    return [int(topic) for topic in topics]
