"""Normalisation and tokenisation that keep every word's offsets in the original text.

Words are found in the text *as given*; each word is then normalised on its own (NFKC, casefold,
one apostrophe, British spellings folded to American), so that comparisons are insensitive to
typography while every reported passage maps back to exact offsets in the user's text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import regex

__all__ = ["Tokens", "normalize_word", "segment_keys", "tokenize", "tokenize_many", "word_hash"]

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
    """Raw word -> hash of its normalised form, answered for a whole text at once.

    Each raw word (as written, up to ``MAX_KEYED`` code points) gets a 64-bit key computed with numpy
    from its code points (a polynomial hash, :func:`_raw_keys`). Keys are looked up in a direct-mapped
    table (numpy arrays indexed by the key's top bits), so the common case runs no Python code per
    word; a word missing there is found in a dict or, the first time it is seen, normalised
    (:func:`normalize_word`) and hashed (:func:`word_hash`) in Python. Longer words are never keyed:
    they are always normalised from their text. Bounded: the dict is reset at ``limit`` words.
    """

    limit = 1 << 21
    bits = 20

    def __init__(self) -> None:
        self.slot_keys = np.zeros(1 << self.bits, dtype=np.uint64)
        self.slot_values = np.zeros(1 << self.bits, dtype=np.uint64)
        self.known: dict[int, int] = {}

    def hashes(
        self, text: str, keys: npt.NDArray[np.uint64], keyed: npt.NDArray[np.bool_],
        starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.uint64]:  # fmt: skip
        """The hash of each word's normalised form (``keys`` are the raw keys, valid where ``keyed``)."""
        slots = (keys >> np.uint64(64 - self.bits)).astype(np.intp)
        out = self.slot_values[slots]
        missing = np.flatnonzero((self.slot_keys[slots] != keys) | ~keyed)
        if len(missing):
            known = self.known
            if len(known) + len(missing) > self.limit:
                known.clear()
            values = []
            for m, key, is_keyed in zip(
                missing.tolist(), keys[missing].tolist(), keyed[missing].tolist(), strict=True
            ):
                value = known.get(key) if is_keyed else None
                if value is None:
                    value = word_hash(normalize_word(text[starts[m] : ends[m]]))
                    if is_keyed:
                        known[key] = value
                values.append(value)
            found = np.array(values, dtype=np.uint64)
            out[missing] = found
            cache = missing[keyed[missing]]
            self.slot_keys[slots[cache]] = keys[cache]
            self.slot_values[slots[cache]] = out[cache]
        return out


_VOCABULARY = _Vocabulary()

#: Words longer than this many code points are not keyed (always normalised from their text), which
#: keeps the polynomial keys far from the lengths at which mod 2**64 hashes have systematic collisions.
MAX_KEYED = 64
_KEY_BASE = np.uint64(0x9E3779B97F4A7C15 | 1)
_KEY_INVERSE = np.uint64(pow(int(_KEY_BASE), -1, 1 << 64))
_POWERS: list[npt.NDArray[np.uint64]] = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]


def _powers(n: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """``base**i`` and ``base**-i`` mod 2**64 for i < n (cached up to a million, computed above)."""
    have = len(_POWERS[0])
    if have >= n:
        return _POWERS[0], _POWERS[1]
    size = max(n, 2 * have, 4096)
    forward = np.full(size, _KEY_BASE, dtype=np.uint64)
    forward[0] = 1
    backward = np.full(size, _KEY_INVERSE, dtype=np.uint64)
    backward[0] = 1
    with np.errstate(over="ignore"):
        forward, backward = np.cumprod(forward, dtype=np.uint64), np.cumprod(backward, dtype=np.uint64)
    if size <= 1 << 20:
        _POWERS[:] = [forward, backward]
    return forward, backward


def segment_keys(
    values: npt.NDArray[np.integer[Any]], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """A 64-bit key of each run ``values[starts[i]:ends[i]]``, the same wherever the run lies.

    A polynomial hash of the run (mod 2**64, from one prefix sum: no Python code per run), mixed
    with its length and finalised with MurmurHash3's fmix64 so that its top bits are mixed too.
    """
    forward, backward = _powers(len(values) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(values) + 1, dtype=np.uint64)
        np.cumsum(values.astype(np.uint64) * forward[: len(values)], out=prefix[1:])
        keys = (prefix[ends] - prefix[starts]) * backward[starts]
        keys ^= (ends - starts).astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        keys ^= keys >> np.uint64(33)
        keys *= np.uint64(0xFF51AFD7ED558CCD)
        keys ^= keys >> np.uint64(33)
        keys *= np.uint64(0xC4CEB9FE1A85EC53)
        keys ^= keys >> np.uint64(33)
    return keys


def _raw_keys(
    points: npt.NDArray[np.integer[Any]], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """A 64-bit key per word from its code points (position-independent), and which words are keyed."""
    keys = segment_keys(points, starts, ends)
    # key 0 marks an empty slot of the vocabulary's table
    return keys, ((ends - starts) <= MAX_KEYED) & (keys != 0)


# Which BMP code points are letters or digits (``str.isalnum``, the same as ``re``'s ``[^\W_]``).
_ALNUM = np.array([chr(c).isalnum() for c in range(0x10000)], dtype=np.bool_)
_APOSTROPHE = np.zeros(0x10000, dtype=np.bool_)
_APOSTROPHE[[ord("'"), ord("’")]] = True


class Tokens:
    """The words of a text: hashes, offsets in the original text and, on demand, normalised forms."""

    __slots__ = ("_text", "_words", "ends", "hashes", "starts")

    def __init__(
        self,
        text: str,
        hashes: npt.NDArray[np.uint64],
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
    ) -> None:
        self._text = text
        self._words: tuple[str, ...] | None = None
        #: Stable 64-bit hash of each normalised word (:func:`word_hash`).
        self.hashes = hashes
        self.starts = starts
        self.ends = ends

    @property
    def words(self) -> tuple[str, ...]:
        """The normalised words (computed on first use: fingerprinting needs only the hashes)."""
        if self._words is None:
            text, spans = self._text, zip(self.starts.tolist(), self.ends.tolist(), strict=True)
            self._words = tuple(normalize_word(text[a:b]) for a, b in spans)
        return self._words

    def __len__(self) -> int:
        return len(self.hashes)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character span from the start of word ``first`` to the end of word ``last - 1``."""
        return int(self.starts[first]), int(self.ends[last - 1])


def _points(text: str) -> npt.NDArray[np.integer[Any]]:
    """The text's code points (one per ``str`` index)."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    # surrogatepass: a lone surrogate (possible in a str built in Python) is a separator, not an error
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _fast_spans(
    points: npt.NDArray[np.integer[Any]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Word spans computed with numpy over the code points (None if the text needs the full path)."""
    if points.dtype != np.uint8 and len(points) and int(points.max()) >= 0x10000:
        return None
    n = len(points)
    # word[i + 1] tells whether code point i is inside a word; word[0] and word[n + 1] are borders
    word = np.zeros(n + 2, dtype=np.bool_)
    alnum = word[1:-1]
    np.take(_ALNUM, points, out=alnum)
    if n > 2:
        # an apostrophe between two letters or digits is inside the word ("Russia’s", "don't")
        inner = _APOSTROPHE[points[1:-1]]
        if inner.any():
            alnum[1:-1] |= inner & word[1:-3] & word[3:-1]
    edges = np.flatnonzero(word[1:] != word[:-1])
    return edges[0::2], edges[1::2]


def tokenize(text: str) -> Tokens:
    """Split ``text`` into words, keeping their offsets into ``text`` and hashing their normalised forms."""
    points = _points(text)
    spans = None if not text.isascii() and _SLOW_CHARS.search(text) else _fast_spans(points)
    if spans is None:
        pairs = [m.span() for m in _TOKEN_RE.finditer(text)]
        starts = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        ends = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    else:
        starts, ends = spans
    if not len(starts):
        return Tokens(text, np.zeros(0, dtype=np.uint64), starts, ends)
    keys, keyed = _raw_keys(points, starts, ends)
    return Tokens(text, _VOCABULARY.hashes(text, keys, keyed, starts, ends), starts, ends)


#: Code points that :func:`tokenize_many` tokenises at once (the powers :func:`segment_keys` uses for
#: them stay cached).
BATCH_POINTS = 1 << 18


def tokenize_many(texts: Sequence[str]) -> list[Tokens]:
    """:func:`tokenize` of each text; the texts of the fast path are joined and tokenised as one.

    Joined with line breaks (no word runs across one), their words are those of each text, moved by
    its offset; a word's raw key and hash do not depend on where it lies. One pass over a few hundred
    texts costs much less than a pass over each (numpy's work per call). The same tokens, text by
    text, as :func:`tokenize` (``tests/test_normalize.py``).
    """
    out: list[Tokens | None] = [None] * len(texts)
    group: list[int] = []
    size = 0
    for i, text in enumerate(texts):
        if not text.isascii() and _SLOW_CHARS.search(text):
            out[i] = tokenize(text)
            continue
        group.append(i)
        size += len(text) + 1
        if size >= BATCH_POINTS:
            _tokenize_joined(texts, group, out)
            group, size = [], 0
    if group:
        _tokenize_joined(texts, group, out)
    return [t for t in out if t is not None]


def _tokenize_joined(texts: Sequence[str], group: list[int], out: list[Tokens | None]) -> None:
    """Tokenise ``texts[i]`` for ``i`` in ``group`` (texts of the fast path) as one text, into ``out``."""
    joined = "\n".join(texts[i] for i in group)
    points = _points(joined)
    spans = _fast_spans(points)
    if spans is None:  # a code point beyond the BMP somewhere: each text on its own
        for i in group:
            out[i] = tokenize(texts[i])
        return
    starts, ends = spans
    if len(starts):
        keys, keyed = _raw_keys(points, starts, ends)
        hashes = _VOCABULARY.hashes(joined, keys, keyed, starts, ends)
    else:
        hashes = np.zeros(0, dtype=np.uint64)
    lengths = np.array([len(texts[i]) + 1 for i in group], dtype=np.int64)
    offsets = np.zeros(len(group) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    bounds = np.searchsorted(starts, offsets).tolist()
    for k, i in enumerate(group):
        lo, hi, offset = bounds[k], bounds[k + 1], int(offsets[k])
        out[i] = Tokens(texts[i], hashes[lo:hi], starts[lo:hi] - offset, ends[lo:hi] - offset)
