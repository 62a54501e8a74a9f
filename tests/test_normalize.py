from __future__ import annotations

import pytest

from dedup.normalize import normalize_word, tokenize


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
