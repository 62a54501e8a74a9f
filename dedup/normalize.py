"""Normalisation and tokenisation that keep every word's offsets in the original text.

Words are found in the text *as given*; each word is then normalised on its own (NFKC, casefold,
one apostrophe, British spellings folded to American), so that comparisons are insensitive to
typography while every reported passage maps back to exact offsets in the user's text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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

# Fast path: texts without combining marks and without scripts written without spaces tokenise the same
# with the standard library's ``re`` (its ``[^\W_]`` is letters and digits), several times faster.
# ``_SLOW_CHARS`` lists the blocks holding combining marks or space-less scripts; a text with any of
# them takes the full ``regex`` path above.
_FAST_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SLOW_CHARS = re.compile(
    "["
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0711\u0730-\u074a\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u082d\u0859-\u085b\u0898-\u08ff"
    "\u0900-\u0dff\u0e00-\u0fff\u1000-\u109f\u135d-\u135f\u1712-\u1715\u1732-\u1734"
    "\u1752-\u1753\u1772-\u1773\u1780-\u17ff\u180b-\u180f\u1885-\u1886\u18a9\u1920-\u193b"
    "\u1a17-\u1a1b\u1a55-\u1a7f\u1ab0-\u1aff\u1b00-\u1b73\u1b80-\u1bf3\u1c24-\u1c37"
    "\u1cd0-\u1cf9\u1dc0-\u1dff\u20d0-\u20ff\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u2e80-\u9fff"
    "\ua000-\uabff\uf900-\ufaff\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f\uff9e-\uff9f"
    "\U00010000-\U0001ffff\U00020000-\U0003ffff\U000e0000-\U000effff"
    "]"
)

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


_NORMALIZED: dict[str, str] = {}
_CACHE_LIMIT = 1 << 20


def normalize_word(word: str) -> str:
    """Normalise one word: NFKC, casefold, one apostrophe, possessive dropped, American spelling."""
    out = _NORMALIZED.get(word)
    if out is None:
        out = unicodedata.normalize("NFKC", word).casefold().translate(_APOSTROPHES)
        if out.endswith("'s"):
            out = out[:-2]
        out = _SPELLING.get(out, out)
        if len(_NORMALIZED) >= _CACHE_LIMIT:
            _NORMALIZED.clear()
        _NORMALIZED[word] = out
    return out


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
    pattern = _TOKEN_RE if _SLOW_CHARS.search(text) else _FAST_TOKEN_RE
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cache = _NORMALIZED
    for match in pattern.finditer(text):
        raw = match.group()
        norm = cache.get(raw)
        if norm is None:
            norm = normalize_word(raw)
        if not norm:
            continue
        start, end = match.span()
        words.append(norm)
        starts.append(start)
        ends.append(end)
    return Tokens(
        words=tuple(words),
        starts=np.asarray(starts, dtype=np.int64),
        ends=np.asarray(ends, dtype=np.int64),
    )
