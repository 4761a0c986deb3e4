"""Key phrases per theme by class-based TF-IDF, and a label made from them.

c-TF-IDF (Grootendorst 2022, as in BERTopic) treats each theme's texts as one document: a term
scores high when it is frequent in this theme and rare across themes. Unigrams and bigrams, stop
words of English and te reo Māori left out, so that a label reads "data sharing, consent" and
not "the, to, ki te".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from heard.sense.themes.embeddings import analysable

#: Everyday te reo Māori function words (particles, articles, pronouns, prepositions). Not a
#: linguist's list: enough that labels are made of what people talk about.
TE_REO_STOP_WORDS = frozenset(
    [
        "a",
        "ā",
        "ai",
        "ake",
        "anō",
        "ana",
        "ahau",
        "au",
        "atu",
        "e",
        "ehara",
        "engari",
        "hoki",
        "i",
        "ia",
        "inā",
        "ināianei",
        "kā",
        "ka",
        "kāore",
        "kei",
        "ki",
        "kia",
        "ko",
        "koe",
        "koutou",
        "kua",
        "mā",
        "mai",
        "māku",
        "me",
        "mō",
        "mo",
        "nā",
        "nei",
        "ngā",
        "nga",
        "no",
        "nō",
        "o",
        "ō",
        "ōna",
        "pea",
        "rā",
        "rātou",
        "rāua",
        "ra",
        "tā",
        "tāku",
        "taku",
        "te",
        "tēnā",
        "tēnei",
        "tērā",
        "to",
        "tō",
        "tōku",
        "tonu",
        "rawa",
        "waihoki",
        "mātou",
        "tātou",
        "tāua",
        "māua",
        "kōrua",
    ]
)
KEYWORDS_PER_THEME = 8
LABEL_KEYWORDS = 3
#: Above this many texts, key phrases come from an evenly spaced sample of this size: term
#: shares settle long before, and counting bigrams of a million texts costs minutes and GBs.
SAMPLE_LIMIT = 50_000
#: Words of two or more letters; apostrophes split words, so "don't" gives "don" (a stop word).
WORD_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


#: What is left of English contractions once apostrophes split words ("don't" -> "don"), and
#: the fillers of spoken English that hui notes keep verbatim.
ENGLISH_EXTRA_STOP_WORDS = frozenset(
    [
        "aren",
        "couldn",
        "didn",
        "doesn",
        "don",
        "hadn",
        "hasn",
        "haven",
        "isn",
        "ll",
        "shouldn",
        "ve",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "yeah",
        "ok",
        "okay",
        "just",
        "really",
        "like",
        "think",
        "know",
        "want",
        "got",
        "get",
        "gonna",
        "lot",
        "things",
        "thing",
        "bit",
        "kind",
        "sort",
        "stuff",
    ]
)


def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | ENGLISH_EXTRA_STOP_WORDS | TE_REO_STOP_WORDS


def theme_keywords(
    texts: Sequence[str], labels: np.ndarray, themes: Sequence[int]
) -> dict[int, list[str]]:
    """Top key phrases for each theme number in ``themes`` (texts with label -1 still count
    towards how common a term is overall). A theme too rare to appear in the sample of a huge
    input gets no key phrases rather than a guess."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not themes:
        return {}
    if len(texts) > SAMPLE_LIMIT:
        step = -(-len(texts) // SAMPLE_LIMIT)
        texts, labels = texts[::step], labels[::step]
    vectoriser = CountVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(stop_words()),
        token_pattern=WORD_PATTERN,
        preprocessor=lambda text: analysable(text).lower(),
        min_df=1,
    )
    try:
        counts = vectoriser.fit_transform(texts)
    except ValueError:  # nothing but stop words and numbers in the whole input
        return {theme: [] for theme in themes}
    terms = vectoriser.get_feature_names_out()
    from scipy import sparse

    classes = [*themes, -1]
    index = {theme: i for i, theme in enumerate(classes)}
    rows = np.array([index.get(int(label), len(classes) - 1) for label in labels])
    membership = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(len(classes), len(rows))
    )
    per_class = np.asarray((membership @ counts).todense(), dtype=np.float64)
    totals = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, totals, out=np.zeros_like(per_class), where=totals > 0)
    average_words = per_class.sum() / len(classes)
    idf = np.log(1 + average_words / np.maximum(per_class.sum(axis=0), 1))
    scores = tf * idf
    result: dict[int, list[str]] = {}
    for theme in themes:
        row = scores[index[theme]]
        order = np.lexsort((terms, -row))  # ties broken alphabetically: deterministic
        chosen: list[str] = []
        for column in order:
            if row[column] <= 0 or len(chosen) >= KEYWORDS_PER_THEME:
                break
            term = str(terms[column])
            if any(term in kept or kept in term for kept in chosen):
                continue  # "data" adds nothing beside "data sharing"
            chosen.append(term)
        result[theme] = chosen
    return result


def label_from(keywords: Sequence[str]) -> str:
    return ", ".join(keywords[:LABEL_KEYWORDS]) if keywords else "(no key phrases)"
