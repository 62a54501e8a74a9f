"""Normalisation and tokenisation that keep every word's offsets in the original text.

Words are found in the text *as given*; each word is then normalised on its own (NFKC, casefold,
one apostrophe, British spellings folded to American), so that comparisons are insensitive to
typography while every reported passage maps back to exact offsets in the user's text.
"""

from __future__ import annotations

import hashlib
import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import regex

__all__ = ["Tokens", "normalize_word", "tokenize", "word_hash"]

# Ideographic and syllabic scripts written without spaces: every character is a word.
_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
# Other words: letters and digits with their combining marks, joined by inner apostrophes
# ("Russia’s", "don't"). Hyphens and other punctuation separate words.
_WORD = r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['’][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*"
_TOKEN_RE = regex.compile(rf"(?:{_CJK})\p{{M}}*|(?:(?!{_CJK}){_WORD})", regex.V1)

# Fast path: in texts without combining marks and without scripts written without spaces, a word is a
# run of letters and digits (``str.isalnum``) with inner apostrophes, which numpy finds over the code
# points several times faster than a regular expression. ``_SLOW_CHARS`` lists the blocks holding
# combining marks or space-less scripts; a text with any of them takes the full ``regex`` path above.
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


def word_hash(word: str) -> int:
    """Stable 64-bit hash of a normalised word (blake2b; the same in every process and version)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class _Vocabulary:
    """Raw word -> id, with each id's normalised form and hash (bounded; reset when full)."""

    limit = 1 << 20

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.norms: list[str] = []
        self.hashes = np.zeros(1 << 12, dtype=np.uint64)

    def lookup(self, raws: list[str]) -> list[int]:
        if len(self.ids) + len(raws) > self.limit:
            self.__init__()  # type: ignore[misc]
        get = self.ids.get
        ids = [get(r, -1) for r in raws]
        if -1 in ids:
            for n, raw in enumerate(raws):
                if ids[n] == -1:
                    ids[n] = self._add(raw)
        return ids

    def _add(self, raw: str) -> int:
        known = self.ids.get(raw)
        if known is not None:
            return known
        norm = normalize_word(raw)
        new = len(self.norms)
        if new >= len(self.hashes):
            self.hashes = np.concatenate((self.hashes, np.zeros(len(self.hashes), dtype=np.uint64)))
        self.norms.append(norm)
        self.hashes[new] = word_hash(norm)
        self.ids[raw] = new
        return new


_VOCABULARY = _Vocabulary()

# Which BMP code points are letters or digits (``str.isalnum``, the same as ``re``'s ``[^\W_]``).
_ALNUM = np.array([chr(c).isalnum() for c in range(0x10000)], dtype=np.bool_)
_APOSTROPHE = np.zeros(0x10000, dtype=np.bool_)
_APOSTROPHE[[ord("'"), ord("’")]] = True


@dataclass(frozen=True, slots=True)
class Tokens:
    """The words of a text: normalised forms, their hashes and their offsets in the original text."""

    words: tuple[str, ...]
    #: Stable 64-bit hash of each normalised word (:func:`word_hash`).
    hashes: npt.NDArray[np.uint64]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.words)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character span from the start of word ``first`` to the end of word ``last - 1``."""
        return int(self.starts[first]), int(self.ends[last - 1])


def _fast_spans(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Word spans computed with numpy over the code points (None if the text needs the full path)."""
    if text.isascii():
        points: npt.NDArray[np.integer[Any]] = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    else:
        # surrogatepass: a lone surrogate (possible in a str built in Python) is a separator, not an error
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        if len(points) and int(points.max()) >= 0x10000:
            return None
    alnum = _ALNUM[points]
    word = alnum.copy()
    if len(points) > 2:
        # an apostrophe between two letters or digits is inside the word ("Russia’s", "don't")
        word[1:-1] |= _APOSTROPHE[points[1:-1]] & alnum[:-2] & alnum[2:]
    edges = np.diff(word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edges == 1).astype(np.int64), np.flatnonzero(edges == -1).astype(np.int64)


def tokenize(text: str) -> Tokens:
    """Split ``text`` into normalised words, keeping their offsets into ``text``."""
    spans = None if not text.isascii() and _SLOW_CHARS.search(text) else _fast_spans(text)
    if spans is None:
        pairs = [m.span() for m in _TOKEN_RE.finditer(text)]
        starts = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        ends = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    else:
        starts, ends = spans
    raws = [text[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    vocab = _VOCABULARY
    ids = vocab.lookup(raws)
    if len(ids) > 1:
        words: tuple[str, ...] = operator.itemgetter(*ids)(vocab.norms)
    else:
        words = tuple(vocab.norms[i] for i in ids)
    hashes = vocab.hashes[np.asarray(ids, dtype=np.int64)] if ids else np.zeros(0, dtype=np.uint64)
    return Tokens(words=words, hashes=hashes, starts=starts, ends=ends)
