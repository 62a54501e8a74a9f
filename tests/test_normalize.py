from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.engine import normalize
from dedup.engine.normalize import Tokens, normalize_word, tokenize, tokenize_many, word_hash


def test_offsets_point_into_original_text() -> None:
    text = "ISLAMABAD, November\u00a020. “Russia’s Defence minister” — said."
    tokens = tokenize(text)
    assert tokens.words == ("islamabad", "november", "20", "russia", "defense", "minister", "said")
    for word, start, end in zip(tokens.words, tokens.starts.tolist(), tokens.ends.tolist(), strict=True):
        assert normalize_word(text[start:end]) == word
    assert text[int(tokens.starts[3]) : int(tokens.ends[3])] == "Russia’s"


@pytest.mark.parametrize(
    ("word", "norm"),
    [
        ("ＦＵＬＬ", "full"),  # NFKC folds full-width letters
        ("Straße", "strasse"),  # casefold
        ("don’t", "don't"),  # one apostrophe
        ("Organisation", "organization"),  # British spelling folded
        ("ﬁnance", "finance"),  # ligature
    ],
)
def test_normalize_word(word: str, norm: str) -> None:
    assert normalize_word(word) == norm


def test_cjk_characters_are_words_and_combining_marks_stay_attached() -> None:
    text = "東京で会議 cafe\u0301 Привет мир"
    tokens = tokenize(text)
    assert tokens.words[:5] == ("東", "京", "で", "会", "議")
    assert text[int(tokens.starts[5]) : int(tokens.ends[5])] == "cafe\u0301"
    assert tokens.words[5] == "café"
    assert tokens.words[6:] == ("привет", "мир")


def test_empty_and_punctuation_only() -> None:
    assert len(tokenize("")) == 0
    assert len(tokenize(" ... — !!! ")) == 0
    assert tokenize("12 345").words == ("12", "345")


HASH_TEXTS = [
    "ISLAMABAD, Nov. 20 — Russia’s Defence Minister said: “the centre holds”. DEFENCE defence Defence",
    "Москва и Исламабад подписали соглашение; Москва, МОСКВА.",
    "x" * 65 + " " + "x" * 64 + " " + "X" * 65 + " " + "y" * 200 + " tail",  # words past MAX_KEYED
    "emoji 🙂 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 letters, ＦＵＬＬ width, ﬁnance, don't, don’t, DON'T",
    "ab ba aab aba baa " * 20,
]


def expected_hashes(text: str) -> list[int]:
    tokens = tokenize(text)
    spans = zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True)
    return [word_hash(normalize_word(text[a:b])) for a, b in spans]


@pytest.mark.parametrize("text", HASH_TEXTS)
def test_word_hashes_are_those_of_the_normalised_words(text: str) -> None:
    for _ in range(2):  # the second time from the vocabulary's table
        assert tokenize(text).hashes.tolist() == expected_hashes(text)


def test_vocabulary_collisions_and_resets_change_no_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny table (every slot shared by many words) and a dict reset every few words."""
    tiny = normalize._Vocabulary.__new__(normalize._Vocabulary)
    tiny.bits, tiny.limit = 2, 5
    tiny.__init__()  # type: ignore[misc]
    monkeypatch.setattr(normalize, "_VOCABULARY", tiny)
    for _ in range(3):
        for text in HASH_TEXTS:
            assert tokenize(text).hashes.tolist() == expected_hashes(text)
    assert len(tiny.known) <= tiny.limit


def test_words_are_normalised_on_demand() -> None:
    text = "The Defence Ministry’s statement"
    tokens = tokenize(text)
    assert tokens.words == ("the", "defense", "ministry", "statement")
    assert tokens.words is tokens.words  # computed once


def _same(a: Tokens, b: Tokens) -> bool:
    return (
        a.hashes.dtype == b.hashes.dtype
        and a.starts.dtype == b.starts.dtype
        and a.hashes.tolist() == b.hashes.tolist()
        and a.starts.tolist() == b.starts.tolist()
        and a.ends.tolist() == b.ends.tolist()
    )


MANY_TEXTS = [
    *HASH_TEXTS,
    "",
    "\n",
    "don't\nstop",
    "plane four \U00040000 and private \U000f0000 letters",
    "a lone \ud800 surrogate",
    "ASCII only, it's plain.",
    "été à Paris’s",
]


@pytest.mark.parametrize("batch", [1, 16, normalize.BATCH_POINTS])
def test_tokenize_many_gives_the_tokens_of_each_text(monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    monkeypatch.setattr(normalize, "BATCH_POINTS", batch)
    texts = MANY_TEXTS + [t for t in MANY_TEXTS if "\U00040000" not in t]
    many = tokenize_many(texts)
    assert len(many) == len(texts)
    for text, tokens in zip(texts, many, strict=True):
        assert tokens.words == tokenize(text).words
        assert _same(tokens, tokenize(text)), text


@given(st.lists(st.text(st.sampled_from(list("ab Z’'\n-éд字\u0301🙂\U00040000 ")), max_size=30), max_size=8))
def test_tokenize_many_on_any_texts(texts: list[str]) -> None:
    for text, tokens in zip(texts, tokenize_many(texts), strict=True):
        assert _same(tokens, tokenize(text))
