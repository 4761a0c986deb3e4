"""Key phrases: what a theme talks about, not the words every text uses, in English and te reo
Māori alike."""

from __future__ import annotations

import unicodedata

import numpy as np

from heard.sense.themes.engine import find_themes
from heard.sense.themes.keywords import label_from, theme_keywords
from heard.sense.themes.result import Item

BUSES = [
    "The buses are always late and the timetable is a mess, the council knows.",
    "Bus timetable changes mean I miss the bus to work, I don't think the council cares.",
    "Kāore he pahi i te pō, nō reira ka noho mātou ki te kāinga.",
    "Me nui ake ngā pahi ki te tāone, kia tae atu ai mātou ki te mahi.",
    "More buses in the evening please, the last bus leaves too early for the council.",
    "Yeah the bus stop has no shelter and the timetable is really wrong.",
    "He roa rawa te tatari mō te pahi i te ua.",
]
HOUSING = [
    "The rent is too high and the landlord will not fix the mould, the council knows.",
    "Our rent went up again and the landlord says it is the market, the council says nothing.",
    "He nui rawa te utu rēti mō ngā whare o te tāone.",
    "Me hanga ētahi whare hou mō ngā whānau, kia mahana ai rātou.",
    "Landlords raise the rent every year and the council does nothing.",
    "Yeah the rental is cold, the rent is high and the landlord is never there.",
    "Kāore e taea e mātou te utu i te rēti, he iti rawa te utu mahi.",
]
BUS_WORDS = {"bus", "buses", "timetable", "pahi", "stop", "shelter"}
HOUSING_WORDS = {"rent", "landlord", "landlords", "whare", "rēti", "rental", "mould"}
#: Our own short lists, not the engine's: the words a careless label would be made of.
ENGLISH_FUNCTION_WORDS = {
    "the", "and", "is", "are", "a", "to", "of", "in", "it", "not", "will", "our", "we", "i",
    "my", "too", "for", "no", "has", "every", "up", "don", "yeah", "really", "think",
}  # fmt: skip
TE_REO_FUNCTION_WORDS = {
    "te", "ki", "ngā", "mō", "kia", "ka", "he", "me", "i", "o", "e", "ko", "nō", "kāore", "ai",
    "ake", "atu", "mātou", "rātou",
}  # fmt: skip


def words_of(keywords) -> set[str]:
    return {word for keyword in keywords for word in keyword.split()}


def two_topics():
    texts = BUSES + HOUSING
    labels = np.array([0] * len(BUSES) + [1] * len(HOUSING))
    return texts, labels


def test_each_theme_gets_its_own_topic_words_and_not_the_others():
    texts, labels = two_topics()
    found = theme_keywords(texts, labels, [0, 1])
    buses, housing = words_of(found[0]), words_of(found[1])
    assert "timetable" in buses and buses & {"bus", "buses"} and "pahi" in buses, found[0]
    assert {"rent", "landlord"} <= housing and housing & {"whare", "rēti"}, found[1]
    assert not buses & HOUSING_WORDS, found[0]
    assert not housing & BUS_WORDS, found[1]


def test_a_word_every_theme_uses_does_not_lead_a_label():
    texts, labels = two_topics()
    found = theme_keywords(texts, labels, [0, 1])
    for keywords in found.values():
        assert "council" not in words_of(keywords[:3]), keywords


def test_english_and_te_reo_function_words_are_never_key_phrases():
    texts, labels = two_topics()
    for keywords in theme_keywords(texts, labels, [0, 1]).values():
        assert keywords
        assert not words_of(keywords) & (ENGLISH_FUNCTION_WORDS | TE_REO_FUNCTION_WORDS)


def test_unassigned_texts_count_towards_how_common_a_word_is_but_get_no_keywords():
    texts, labels = two_topics()
    before = theme_keywords(texts, labels, [0, 1])
    assert "council" in words_of(before[0])
    extra = ["The council, the council, the council again."] * 40
    after = theme_keywords(texts + extra, np.concatenate([labels, [-1] * 40]), [0, 1])
    assert set(after) == {0, 1}
    for keywords in after.values():
        assert "council" not in words_of(keywords), keywords


def test_a_theme_of_nothing_but_function_words_has_no_key_phrases():
    found = theme_keywords(["the and of", "ki te ngā", "to the"], np.array([0, 0, 0]), [0])
    assert found == {0: []}
    assert label_from([]) == "(no key phrases)"


def test_the_label_is_the_first_three_key_phrases():
    assert (
        label_from(["data sharing", "consent", "whānau", "iwi"]) == "data sharing, consent, whānau"
    )
    assert label_from(["raraunga"]) == "raraunga"


def test_macrons_are_kept_in_key_phrases():
    texts = ["Ko te whānau te mea nui, te whānau me te hapū."] * 3 + ["Buses are late."] * 3
    found = theme_keywords(texts, np.array([0, 0, 0, 1, 1, 1]), [0, 1])
    assert "whānau" in words_of(found[0]) and "hapū" in words_of(found[0])


def test_decomposed_macrons_do_not_break_words_apart():
    """A text typed or pasted with decomposed macrons (a + U+0304, as macOS and some keyboards
    produce) is the same words; the key phrase must not be the fragments "wha" and "nau"."""
    reo = unicodedata.normalize("NFD", "Ko te whānau te mea nui, te whānau me te hapū.")
    texts = [reo] * 3 + ["Buses are late."] * 3
    found = theme_keywords(texts, np.array([0, 0, 0, 1, 1, 1]), [0, 1])
    keywords = {unicodedata.normalize("NFC", w) for w in words_of(found[0])}
    assert "whānau" in keywords and not keywords & {"wha", "nau", "hap"}, found[0]


def test_find_themes_labels_each_theme_from_its_own_keywords():
    """End to end with vectors that put each topic in its own direction, plus a third group of
    texts made only of function words."""
    filler = ["the and of it", "ki te ngā i te", "to the and", "he te ki", "and and the"]
    texts = BUSES + HOUSING + filler
    rng = np.random.default_rng(1)
    directions = np.eye(3, 384)
    group = [0] * len(BUSES) + [1] * len(HOUSING) + [2] * len(filler)
    vectors = np.stack([directions[g] + 0.02 * rng.normal(size=384) for g in group])
    items = [Item(id=f"t{n:02d}", text=t) for n, t in enumerate(texts)]
    result = find_themes(items, k=3, embeddings=vectors.astype(np.float32))
    assert len(result.themes) == 3
    by_topic = {}
    for theme in result.themes:
        assert theme.label == label_from(theme.keywords)
        topics = {group[int(m[1:])] for m in theme.members}
        assert len(topics) == 1
        by_topic[topics.pop()] = theme
    assert words_of(by_topic[0].keywords) & BUS_WORDS
    assert not words_of(by_topic[0].keywords) & HOUSING_WORDS
    assert words_of(by_topic[1].keywords) & HOUSING_WORDS
    assert not words_of(by_topic[1].keywords) & BUS_WORDS
    assert by_topic[2].keywords == () and by_topic[2].label == "(no key phrases)"
