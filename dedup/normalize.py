"""Normalisation and tokenisation that keep every word's offsets in the original text.

Words are found in the text *as given*; each word is then normalised on its own (NFKC, casefold,
one apostrophe, British spellings folded to American), so that comparisons are insensitive to
typography while every reported passage maps back to exact offsets in the user's text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import regex

__all__ = ["Tokens", "normalize_word", "tokenize"]

# Ideographic and syllabic scripts written without spaces: every character is a word.
_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
# Other words: letters and digits with their combining marks, joined by inner apostrophes
# ("Russia’s", "don't"). Hyphens and other punctuation separate words.
_WORD = r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*"
_TOKEN_RE = regex.compile(rf"(?:{_CJK})\p{{M}}*|(?:(?!{_CJK}){_WORD})", regex.V1)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

# Common British spellings in news copy, folded to the American form so that a wire story edited for
# another market still matches word for word.
_SPELLING = {
    "defence": "defense",
    "offence": "offense",
    "licence": "license",
    "centre": "center",
    "centres": "centers",
    "theatre": "theater",
    "metre": "meter",
    "metres": "meters",
    "kilometre": "kilometer",
    "kilometres": "kilometers",
    "litre": "liter",
    "litres": "liters",
    "colour": "color",
    "colours": "colors",
    "favour": "favor",
    "favours": "favors",
    "favourite": "favorite",
    "honour": "honor",
    "honours": "honors",
    "labour": "labor",
    "neighbour": "neighbor",
    "neighbours": "neighbors",
    "neighbouring": "neighboring",
    "behaviour": "behavior",
    "rumour": "rumor",
    "rumours": "rumors",
    "harbour": "harbor",
    "endeavour": "endeavor",
    "vigour": "vigor",
    "armour": "armor",
    "armoured": "armored",
    "organisation": "organization",
    "organisations": "organizations",
    "organise": "organize",
    "organised": "organized",
    "recognise": "recognize",
    "recognised": "recognized",
    "realise": "realize",
    "realised": "realized",
    "criticise": "criticize",
    "criticised": "criticized",
    "apologise": "apologize",
    "apologised": "apologized",
    "emphasise": "emphasize",
    "emphasised": "emphasized",
    "authorise": "authorize",
    "authorised": "authorized",
    "authorisation": "authorization",
    "characterise": "characterize",
    "characterised": "characterized",
    "modernisation": "modernization",
    "normalisation": "normalization",
    "privatisation": "privatization",
    "stabilise": "stabilize",
    "mobilise": "mobilize",
    "mobilisation": "mobilization",
    "analyse": "analyze",
    "analysed": "analyzed",
    "catalogue": "catalog",
    "dialogue": "dialog",
    "programme": "program",
    "programmes": "programs",
    "travelling": "traveling",
    "travelled": "traveled",
    "cancelled": "canceled",
    "cancelling": "canceling",
    "labelled": "labeled",
    "modelling": "modeling",
    "fuelled": "fueled",
    "counselling": "counseling",
    "jewellery": "jewelry",
    "grey": "gray",
    "tyre": "tire",
    "tyres": "tires",
    "cheque": "check",
    "aluminium": "aluminum",
    "judgement": "judgment",
    "enrol": "enroll",
    "fulfil": "fulfill",
    "sceptical": "skeptical",
    "paediatric": "pediatric",
    "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers",
    "oestrogen": "estrogen",
}


@lru_cache(maxsize=1 << 18)
def normalize_word(word: str) -> str:
    """Normalise one word: NFKC, casefold, one apostrophe, American spelling."""
    out = unicodedata.normalize("NFKC", word).casefold().translate(_APOSTROPHES)
    if out.endswith("'s"):
        out = out[:-2]
    return _SPELLING.get(out, out)


@dataclass(frozen=True, slots=True)
class Tokens:
    """The words of a text: normalised forms with their (start, end) offsets in the original text."""

    words: tuple[str, ...]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.words)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character span from the start of word ``first`` to the end of word ``last - 1``."""
        return int(self.starts[first]), int(self.ends[last - 1])


def tokenize(text: str) -> Tokens:
    """Split ``text`` into normalised words, keeping their offsets into ``text``."""
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in _TOKEN_RE.finditer(text):
        norm = normalize_word(match.group())
        if not norm:
            continue
        words.append(norm)
        starts.append(match.start())
        ends.append(match.end())
    return Tokens(
        words=tuple(words),
        starts=np.asarray(starts, dtype=np.int64),
        ends=np.asarray(ends, dtype=np.int64),
    )
