"""Boilerplate: text that recurs across articles without being evidence that they share a story.

Two sources of knowledge:

* **Formulaic lines**, known in advance: datelines (``ISLAMABAD, November 20. /TASS/.``,
  ``HAVANA (Sputnik) –``), bylines, photo credits and captions, "Read more:" markers, copyright and
  "first published" lines. Their words are masked: they never seed a match.
* **Junk and legal notices**, known in advance and masked wherever they sit, inside a long line too:
  code a scraper kept (``OO.ready(function() {...``), markup, player, cookie, share and follow
  prompts, addresses, and the wire services' legal notices ("All rights reserved. This material may
  not be published, broadcast, rewritten or redistributed").
* **Learned lines**: a line of at least a few words that recurs in ``boilerplate_min_docs`` or more
  articles, mostly at their head or foot, where those articles otherwise share little (a site's promo
  footer). A "line" is also a piece of a line between separators (`` | ``, `` ### ``), and a sentence
  of a long line: scraped pages often join their paragraphs without line breaks. Frequency alone is
  not enough: a wire story reprinted by twenty outlets recurs twenty times,
  and the articles holding it are near-duplicates of each other, so its lines stay evidence.

The learned-line rule has one home, :func:`is_boilerplate`, used by both paths: a corpus learns its
lines at once (:func:`learn_boilerplate`, :func:`learn_boilerplate_arrays`, for ``dedup report``);
an index learns them article by article (:func:`learned_lines`), from per-line tallies
(:class:`LineStat`) that its store keeps with :meth:`LineStat.add` and :meth:`LineStat.remove`.

Masked words still lie inside passages when a passage runs across them; they only stop counting as
matches and as words to cover.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import regex

from dedup.engine.arrays import isin, unique
from dedup.engine.normalize import Tokens, segment_keys

__all__ = [
    "BLOCK_EXTRA_GROUPS",
    "HOLDER_SAMPLE",
    "RELATED",
    "Line",
    "LineStat",
    "cardinality",
    "common_words",
    "independent_groups",
    "is_boilerplate",
    "junk_spans",
    "junk_spans_many",
    "learn_boilerplate",
    "learn_boilerplate_arrays",
    "learned_lines",
    "line_ranges",
    "line_ranges_many",
    "lines_of",
    "lines_of_many",
    "mask_lines",
    "related_beyond",
    "static_mask",
]

BoolArray = npt.NDArray[np.bool_]

# Datelines at the start of a paragraph.
_DATELINES = [
    # ISLAMABAD, November 20. /TASS/.      MOSCOW, Jan. 5 /Interfax/ -
    regex.compile(
        r"^[ \t]*\p{Lu}[\p{Lu}.'’ -]{1,40}"
        r"(?:,[ \t]*\p{L}+\.?[ \t]+\d{1,2}(?:,[ \t]*\d{4})?)?[ \t]*[.,]?[ \t]*"
        r"/\p{L}[\p{L}-]*/[ \t]*[.:–—-]?"
    ),
    # HAVANA (Sputnik) –      LONDON, England (Reuters) -      PARIS (AFP) —
    regex.compile(
        r"^[ \t]*\p{Lu}[\p{Lu}.'’ -]{1,40}(?:,[ \t]*[\p{L} .]{2,30})?[ \t]*"
        r"\([\p{L}\p{N} .&/-]{2,30}\)[ \t]*[–—-]{1,2}"
    ),
    # WASHINGTON —
    regex.compile(r"^[ \t]*\p{Lu}{3}[\p{Lu}.'’ -]{0,40}[ \t]+[–—][ \t]"),
]

# One pattern trying the three in order (an alternation takes the first alternative that matches).
_DATELINE = regex.compile("|".join(f"(?:{p.pattern})" for p in _DATELINES))

# Whole lines that are formulaic (matched case-insensitively at the start of a short line).
_FORMULAIC_START = regex.compile(
    r"^[ \t]*(?:read more|read also|also read|related(?: articles| stories| news)?|see also|more on this"
    r"|follow us|follow @|subscribe|sign up|click here|share this|share on|copyright|©|\(c\)"
    r"|all rights reserved|first published|originally published|photo|photos|image|picture|source"
    r"|credit|reporting by|editing by|additional reporting|writing by|contact the author|advertisement"
    r"|by[ \t]+\p{Lu}[\p{L}.'’-]+(?:[ \t]+\p{Lu}[\p{L}.'’-]+){0,3}[ \t]*$)\b",
    regex.IGNORECASE,
)
_FORMULAIC_ANYWHERE = regex.compile(r"all rights reserved|©", regex.IGNORECASE)

# Scraper junk, site widgets and legal notices, masked wherever they sit (inside a long line too).


@dataclass(frozen=True, slots=True)
class _Anchor:
    """What every match of a junk pattern holds, to search a text for it only where it may match.

    The literals are in lower case and are looked for in the text folded by :func:`_fold`, which maps
    every character that a pattern's letter matches (case ignored) to that letter in lower case, and
    keeps every character at its index.
    """

    #: Every match holds one of these (a text holding none of them is not searched).
    holds: tuple[str, ...] = ()
    #: Every match starts with one of these (the pattern is tried only where one of them starts).
    starts: tuple[str, ...] = ()
    #: (literal, offset, pattern): every match holds a match of the pattern that starts ``offset``
    #: characters from where the literal starts (a text without one is not searched).
    fragment: tuple[str, int, regex.Pattern[str]] | None = None
    #: Every match holds two of :data:`_MENU_SEPARATOR` (a text with fewer is not searched).
    menu: bool = False


def _fold(text: str) -> str:
    """``text`` with every character that an ASCII letter matches, case ignored, as that letter in lower case.

    Besides the ASCII letters, three characters match one (``regex``'s simple case folding): the dotted
    capital I, the long s and the Kelvin sign (``tests/test_junk_spans.py`` checks every code point).
    The result has the length of ``text``, character for character: ``str.lower`` keeps every
    character's length but the dotted capital I's, which is replaced first.
    """
    if not text.isascii():
        if "\u0130" in text:
            text = text.replace("\u0130", "i")
        if "\u017f" in text:
            text = text.replace("\u017f", "s")
    return text.lower()


#: After the first statement of code: more statements, each ending in ``;``, ``{`` or ``}`` within a
#: short reach, and the brackets that close them (prose runs on; code stops there).
_CODE_TAIL = r"(?:[^;{}\n]{0,160}[;{}])*[ \t)\];]*"
#: How code run into the text starts, each with what every match of it holds (:class:`_Anchor`).
_CODE_STARTS: tuple[tuple[str, _Anchor], ...] = (
    (r"\(function\s*\([^)\n]{0,60}\)\s*\{", _Anchor(starts=("(function",))),
    (r"\bfunction\s*\([^)\n]{0,60}\)\s*\{", _Anchor(starts=("function",))),
    (
        r"\b[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+\s*\(\s*(?:function\b|['\"\[{])",
        _Anchor(fragment=("(", 0, regex.compile(r"\(\s*(?:function\b|['\"\[{])", regex.IGNORECASE))),
    ),
    (r"\b(?:var|let|const)\s+[A-Za-z_$][\w$]*\s*[=,;]", _Anchor(starts=("var", "let", "const"))),
    (r"\b(?:document|window)\.[A-Za-z_$][\w$.]*\s*[(=]", _Anchor(starts=("document.", "window."))),
)
#: A navigation menu: three or more short items between separators (on one line).
_MENU = (
    r"(?:[\w'’&.-]+(?:[ \t]+[\w'’&.-]+){0,3}[ \t]+[|•·»›][ \t]+){2,}"
    r"[\w'’&.-]+(?:[ \t]+[\w'’&.-]+){0,3}"
)
#: What every match of :data:`_MENU` holds twice: a separator with a space or tab on either side.
_MENU_SEPARATOR = regex.compile(r"(?<=[ \t])[|•·»›](?=[ \t])")
_MENU_SEPARATORS = "|•·»›"
_JUNK_RULES: tuple[tuple[str, _Anchor], ...] = (
    *((f"(?:{start}){_CODE_TAIL}", anchor) for start, anchor in _CODE_STARTS),
    (r"<script\b[^<]{0,3000}</script>", _Anchor(starts=("<script",))),
    (r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]{0,300})?/?>", _Anchor(starts=("<",))),
    (r"\{\{[^}\n]{0,200}\}\}", _Anchor(starts=("{{",))),
    # players, browsers, cookies, share and follow prompts
    (r"please enable javascript[^.\n]{0,80}\.?", _Anchor(starts=("please enable javascript",))),
    (
        r"(?:your browser|this browser) does not support[^.\n]{0,120}\.?",
        _Anchor(starts=("your browser does not support", "this browser does not support")),
    ),
    (r"(?:we|this (?:web)?site) uses? cookies[^.\n]{0,200}\.?", _Anchor(holds=(" cookies",))),
    (r"(?:on a mobile device\?\s*)?click here to[^.\n!]{0,120}[.!]?", _Anchor(holds=("click here to",))),
    (
        r"\bshare this(?: story| article| post| page)?(?: on \w+| with \w+)?\s*:?",
        _Anchor(starts=("share this",)),
    ),
    (r"\bfollow us(?: on| at|:)[^.!?\n]{0,160}", _Anchor(starts=("follow us",))),
    (r"\bkeep in touch![^.!?\n]{0,200}[.!]?", _Anchor(starts=("keep in touch!",))),
    (r"\bfor more stories,? like [^.!?\n]{0,160}", _Anchor(starts=("for more stories",))),
    (
        r"\bsign up (?:for|to) (?:our|the) [^.\n!]{0,80}newsletter[^.\n!]{0,40}[.!]?",
        _Anchor(starts=("sign up ",)),
    ),
    (
        r"\b(?:image|photo|video) (?:via|credit|courtesy)\b[^.\n\]]{0,80}",
        _Anchor(starts=("image ", "photo ", "video ")),
    ),
    (
        r"\bmedia playback is (?:not supported|unsupported) on (?:this|your) device[^.\n]{0,80}\.?",
        _Anchor(starts=("media playback is ",)),
    ),
    (
        r"\bupdate your (?:player|browser|flash player)\b[^.\n]{0,80}\.?",
        _Anchor(starts=("update your ",)),
    ),
    (
        r"\bthis video is (?:not|no longer) available\b[^.\n]{0,120}\.?",
        _Anchor(starts=("this video is ",)),
    ),
    (
        r"\b(?:advertisement\s+)?continue reading the main story",
        _Anchor(holds=("continue reading the main story",)),
    ),
    (
        r"\bvideo loading\b|\bwatch next\b|\bwatch this video again\b",
        _Anchor(starts=("video loading", "watch next", "watch this video again")),
    ),
    (
        r"\bshare (?:on|via) (?:facebook|twitter|e-?mail|whatsapp|linkedin|pinterest|reddit)\b",
        _Anchor(starts=("share on ", "share via ")),
    ),
    (
        r"\b(?:print|e-?mail) this (?:page|article|story)\b",
        _Anchor(starts=("print this ", "email this ", "e-mail this ")),
    ),
    (r"\bby continuing to (?:browse|use)\b[^.\n]{0,150}\.?", _Anchor(starts=("by continuing to ",))),
    (r"\bhave something to add to this story\?", _Anchor(starts=("have something to add to this story?",))),
    (r"\btell us in the comments(?: below)?\.?", _Anchor(starts=("tell us in the comments",))),
    (r"\bcomments are moderated\b[^.\n]{0,120}\.?", _Anchor(starts=("comments are moderated",))),
    (
        r"\b(?:sorry,? )?we are not currently accepting comments\b[^.\n]{0,60}\.?",
        _Anchor(holds=("we are not currently accepting comments",)),
    ),
    (
        r"\b(?:advertise with us|terms (?:of|and) (?:use|service|conditions))\b",
        _Anchor(starts=("advertise with us", "terms of ", "terms and ")),
    ),
    (r"\b(?:privacy|cookie) policy\b", _Anchor(starts=("privacy policy", "cookie policy"))),
    (_MENU, _Anchor(menu=True)),
    (r"#ixzz\w+", _Anchor(starts=("#ixzz",))),
    (r"\bhttps?://\S+", _Anchor(starts=("http",))),
    (r"\bwww\.\S+", _Anchor(starts=("www.",))),
    (
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
        _Anchor(fragment=("@", -1, regex.compile(r"[\w.+-]@[\w-]+\.[\w-]", regex.IGNORECASE))),
    ),
    # the wire services' legal notices
    (
        r"(?:copyright\s*)?(?:©\s*)?(?:\d{4}\s+)?(?:the\s+)?associated press\.\s*all rights reserved\.?",
        _Anchor(holds=("associated press.",)),
    ),
    (
        r"this material may not be published,? broadcast,? rewritten,? or redistributed"
        r"(?: in whole or in part)?(?: without [^.\n]{0,60})?\.?",
        _Anchor(starts=("this material may not be published",)),
    ),
    (
        r"(?:our standards:\s*)?the thomson reuters trust principles\.?",
        _Anchor(holds=("the thomson reuters trust principles",)),
    ),
    (
        r"(?:copyright|©)\s*(?:\d{4}\s*)?thomson reuters(?:\s*\d{4})?\.?(?:\s*click for restrictions\.?)?",
        _Anchor(holds=("thomson reuters",)),
    ),
    (
        r"users may download and print extracts of content from this website for their own personal and"
        r" non-commercial use only\.?",
        _Anchor(starts=("users may download and print extracts",)),
    ),
    (
        r"republication or redistribution of (?:[\w&'’-]+\s+){0,4}content,? including by framing or similar"
        r" means,? is expressly prohibited without the prior written consent of"
        r" [\w&'’-]+(?:\s+[\w&'’-]+){0,4}\.?",
        _Anchor(starts=("republication or redistribution of ",)),
    ),
    (
        r"(?:copyright|©)\s*\d{4}\s*(?:agence france-presse|afp)\b[^.\n]{0,80}\.?",
        _Anchor(holds=("copyright", "©")),
    ),
    (
        r"all information displayed in this section \([^)\n]{0,80}\) (?:is|are) protected by intellectual"
        r" property rights owned by agence france-presse\.?",
        _Anchor(starts=("all information displayed in this section (",)),
    ),
    (
        r"(?:as a consequence,?\s*)?you may not copy,? reproduce,? modify,? transmit,? publish,? display,? or"
        r" in any way commercially exploit any of the content of this section without the prior written"
        r" consent of agence france-presse\.?",
        _Anchor(holds=("you may not copy",)),
    ),
    (r"all rights reserved\.?", _Anchor(starts=("all rights reserved",))),
)
_JUNK_PATTERNS = tuple(p for p, _ in _JUNK_RULES)
#: All of them as one alternation: the reference for :func:`junk_spans`, which gives the same spans.
_JUNK = regex.compile("|".join(f"(?:{p})" for p in _JUNK_PATTERNS), regex.IGNORECASE)
#: Each of them on its own, in the same order, with its anchor (:func:`junk_spans`).
_JUNK_PARTS = tuple((regex.compile(p, regex.IGNORECASE), anchor) for p, anchor in _JUNK_RULES)
_MAX_FORMULAIC_WORDS = 30
#: Lines shorter than this are never learned as boilerplate (they are too short to be evidence anyway).
MIN_LINE_WORDS = 4


@dataclass(frozen=True, slots=True)
class Line:
    """A line of a text: its word range, a stable 64-bit key of its normalised words, its position."""

    first: int
    last: int
    key: int
    #: True when the line is at the head or foot of the text.
    edge: bool

    def text(self, tokens: Tokens) -> str:
        """The line's normalised words."""
        return " ".join(tokens.words[self.first : self.last])


def _word_range(tokens: Tokens, start: int, end: int) -> tuple[int, int]:
    lo = int(np.searchsorted(tokens.starts, start, side="left"))
    hi = int(np.searchsorted(tokens.starts, end, side="left"))
    return lo, hi


#: Separators that join a page's pieces into one line (navigation, a scraper's paragraph marks).
_SEPARATOR = regex.compile(r"[ \t]+(?:###+|\|+|•|·|»|›)[ \t]+")
#: A character that every match of :data:`_SEPARATOR` holds.
_SEPARATOR_CHARS = "#|•·»›"
#: A line longer than this (in characters) is a run of paragraphs joined without line breaks: it is
#: cut into sentences, so that a site's recurring sentence can be learned as one line.
LONG_LINE = 400
#: Where a long line is cut: the spaces after a sentence's end, before its successor's start.
_SENTENCE = regex.compile(r"(?<=[.!?][\"”’']?)[ \t]+(?=[\p{Lu}\"“‘(\[])")
#: The same spaces as :data:`_SENTENCE`'s matches, as group 1 of a match that also takes the
#: sentence's end (``regex`` finds these several times faster than the look-behind; the same spans:
#: ``tests/test_line_spans.py``).
_SENTENCE_GAP = regex.compile(r"[.!?][\"”’']?([ \t]+)(?=[\p{Lu}\"“‘(\[])")


def _pieces(
    text: str, start: int, end: int, pattern: regex.Pattern[str], group: int = 0
) -> list[tuple[int, int]]:
    """``text[start:end]`` cut where ``pattern`` (its ``group``) matches, without what it matches."""
    out = []
    pos = start
    for m in pattern.finditer(text, start, end):
        out.append((pos, m.start(group)))
        pos = m.end(group)
    out.append((pos, end))
    return out


def _line_spans(text: str) -> list[tuple[int, int]]:
    """The lines of a text; a line is also cut at separators (``|``, ``###``) and, when long, at sentences.

    A line is searched for separators only when it holds one of their characters, and a long piece
    cut at :data:`_SENTENCE_GAP`'s spaces, which are :data:`_SENTENCE`'s.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    marks = [c for c in (_SEPARATOR_CHARS if not text.isascii() else "#|") if c in text]
    for part in text.split("\n"):
        end = pos + len(part)
        if marks and len(part) > 2 and any(c in part for c in marks):
            for lo, hi in _pieces(text, pos, end, _SEPARATOR):
                if hi - lo > LONG_LINE:
                    spans.extend(_pieces(text, lo, hi, _SENTENCE_GAP, 1))
                else:
                    spans.append((lo, hi))
        elif end - pos > LONG_LINE:
            spans.extend(_pieces(text, pos, end, _SENTENCE_GAP, 1))
        else:
            spans.append((pos, end))
        pos = end + 1
    return spans


LineRanges = tuple[list[tuple[int, int]], list[tuple[int, int]]]


def line_ranges(text: str, tokens: Tokens) -> LineRanges:
    """Character spans of the lines and the word range [lo, hi) of each, in one vectorised look-up."""
    spans = _line_spans(text)
    bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    lo = np.searchsorted(tokens.starts, bounds[:, 0], side="left").tolist()
    hi = np.searchsorted(tokens.starts, bounds[:, 1], side="left").tolist()
    return spans, list(zip(lo, hi, strict=True))


def _offsets(counts: Sequence[int]) -> list[int]:
    """Where each of consecutive runs of these lengths starts."""
    out = [0]
    for n in counts[:-1]:
        out.append(out[-1] + n)
    return out


def line_ranges_many(texts: Sequence[str], tokens: Sequence[Tokens]) -> list[LineRanges]:
    """:func:`line_ranges` of each text, the word ranges of all of them looked up at once.

    Texts and their words are laid end to end (a text's characters moved by the lengths of the texts
    before it, plus one each: a line's end, at most the text's length, stays before the next text's
    first word); a line's words are those before its bounds there, less the words of the texts
    before it.
    """
    if not texts:
        return []
    spans = [_line_spans(text) for text in texts]
    chars = _offsets([len(text) + 1 for text in texts])
    words = _offsets([len(t) for t in tokens])
    starts = np.concatenate([t.starts + c for t, c in zip(tokens, chars, strict=True)])
    bounds = np.concatenate(
        [np.asarray(s, dtype=np.int64).reshape(-1, 2) + c for s, c in zip(spans, chars, strict=True)]
    )
    lo = np.searchsorted(starts, bounds[:, 0], side="left").tolist()
    hi = np.searchsorted(starts, bounds[:, 1], side="left").tolist()
    out: list[LineRanges] = []
    first = 0
    for s, w in zip(spans, words, strict=True):
        last = first + len(s)
        out.append((s, [(a - w, b - w) for a, b in zip(lo[first:last], hi[first:last], strict=True)]))
        first = last
    return out


#: The next match of a pattern in a text from a position, or None.
_Search = Callable[[int], "regex.Match[str] | None"]


def _literal_starts(folded: str, literals: tuple[str, ...]) -> list[int]:
    """Every index of ``folded`` where one of ``literals`` starts, ascending."""
    found: list[int] = []
    for literal in literals:
        i = folded.find(literal)
        while i >= 0:
            found.append(i)
            i = folded.find(literal, i + 1)
    if len(literals) > 1:
        found.sort()
    return found


def _two_menu_separators(text: str) -> bool:
    """Whether ``text`` holds two matches of :data:`_MENU_SEPARATOR` (found with ``str.find``)."""
    seen = 0
    last = len(text) - 1
    for separator in _MENU_SEPARATORS if not text.isascii() else "|":
        i = text.find(separator, 1)
        while 0 < i < last:
            if text[i - 1] in " \t" and text[i + 1] in " \t":
                seen += 1
                if seen == 2:
                    return True
            i = text.find(separator, i + 1)
    return False


class _LiteralFinder:
    """Where each of a set of literals starts in a folded text, all found in one pass with numpy.

    The text's characters as bytes (those above 255 as 255; no literal holds one) are read as the
    32-bit and the 64-bit integer at every position (strided views, no copy): the position's next
    four and eight characters. Those are looked up, hashed, in a table of the literals' first four
    characters (literals of four to seven characters) or first eight (longer ones), and each position
    found is checked with ``str.startswith``; shorter literals are found with ``str.find``. The same
    positions as :func:`_literal_starts` (``tests/test_junk_spans.py``).
    """

    bits = 16

    def __init__(self, literals: Iterable[str]) -> None:
        chosen = sorted(set(literals))
        for literal in chosen:
            if len(literal) >= 4 and (not literal.isascii() or "\0" in literal):
                raise ValueError(f"a literal of four characters or more is ASCII without NUL: {literal!r}")
        self.short = [x for x in chosen if len(x) < 4]
        self.by_four: dict[str, list[str]] = defaultdict(list)
        self.by_eight: dict[str, list[str]] = defaultdict(list)
        self.table4 = np.zeros(1 << self.bits, dtype=np.bool_)
        self.table8 = np.zeros(1 << self.bits, dtype=np.bool_)
        for x in chosen:
            if 4 <= len(x) < 8:
                self.by_four[x[:4]].append(x)
                self.table4[self._slots4(self._grams(x)[0][:1])] = True
            elif len(x) >= 8:
                self.by_eight[x[:8]].append(x)
                self.table8[self._slots8(self._grams(x)[1][:1])] = True

    @staticmethod
    def _grams(folded: str) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint64]]:
        """The next four and the next eight characters at every position, as little-endian integers."""
        if folded.isascii():
            data = folded.encode("ascii")
        else:
            codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            data = np.minimum(codes, np.uint32(255)).astype(np.uint8).tobytes()
        data += bytes(7)  # NUL bytes past the end: no literal holds one
        n = len(folded)
        four = np.ndarray((n,), dtype="<u4", buffer=data, strides=(1,))
        eight = np.ndarray((n,), dtype="<u8", buffer=data, strides=(1,))
        return four, eight

    def _slots4(self, keys: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
        return (keys * np.uint32(0x9E3779B1)) >> np.uint32(32 - self.bits)

    def _slots8(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        return (keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - self.bits)

    def find(self, folded: str) -> dict[str, list[int]]:
        """Each literal that occurs in ``folded``, with the indices where it starts (ascending)."""
        found = {x: starts for x in self.short if (starts := _literal_starts(folded, (x,)))}
        if not folded:
            return found
        four, eight = self._grams(folded)
        hits = np.flatnonzero(self.table4[self._slots4(four)] | self.table8[self._slots8(eight)]).tolist()
        for i in hits:
            for literal in (
                *self.by_four.get(folded[i : i + 4], ()),
                *self.by_eight.get(folded[i : i + 8], ()),
            ):
                if folded.startswith(literal, i):
                    found.setdefault(literal, []).append(i)
        return found


def _searcher(
    text: str, found: Mapping[str, list[int]], pattern: regex.Pattern[str], anchor: _Anchor
) -> _Search | None:
    """The next match of ``pattern`` in ``text`` from a position (None when it matches nowhere in it).

    ``found``: where each literal of the anchors occurs in the folded text (:class:`_LiteralFinder`).
    """
    if anchor.menu and not _two_menu_separators(text):
        return None
    if anchor.holds and not any(literal in found for literal in anchor.holds):
        return None
    if anchor.fragment is not None:
        literal, offset, fragment = anchor.fragment
        if not any(i + offset >= 0 and fragment.match(text, i + offset) for i in found.get(literal, ())):
            return None
    if not anchor.starts:
        return lambda pos: pattern.search(text, pos)
    lists = [found[x] for x in anchor.starts if x in found]
    if not lists:
        return None
    starts = lists[0] if len(lists) == 1 else sorted(i for x in lists for i in x)

    def search(pos: int) -> regex.Match[str] | None:
        # the search's next match is the match at the first position from ``pos`` where there is one
        for i in range(bisect_left(starts, pos), len(starts)):
            m = pattern.match(text, starts[i])
            if m is not None:
                return m
        return None

    return search


def _anchor_literals(anchor: _Anchor) -> tuple[str, ...]:
    return (*anchor.starts, *anchor.holds, *((anchor.fragment[0],) if anchor.fragment is not None else ()))


#: Every literal of the junk patterns' anchors.
_LITERALS = _LiteralFinder(x for _, a in _JUNK_RULES for x in _anchor_literals(a))
#: The junk patterns (their indices) whose anchor has each literal: the only ones that may match
#: a text without that literal are the others.
_PATTERNS_OF: dict[str, list[int]] = defaultdict(list)
for _i, (_, _a) in enumerate(_JUNK_RULES):
    for _x in _anchor_literals(_a):
        _PATTERNS_OF[_x].append(_i)
#: The junk patterns whose anchor has no literal (searched in every text, their anchor permitting).
_UNANCHORED = frozenset(i for i, (_, a) in enumerate(_JUNK_RULES) if not _anchor_literals(a))


def junk_spans(text: str, literals: Mapping[str, list[int]] | None = None) -> list[tuple[int, int]]:
    """The character spans of the junk in ``text``: exactly those of ``_JUNK.finditer(text)``, faster.

    The alternation tries its forty-odd patterns at every character, which costs milliseconds per
    article; each pattern on its own finds its next match with a quick scan. The alternation's next
    match from a position is the earliest next match of any pattern, the first pattern winning a tie
    (every pattern matches at least one character, so no empty match needs stepping over). A
    pattern's next match is searched again only once the scan has passed its start.

    Most patterns match nowhere in a given text, and most of them scan slowly (``regex`` tries them
    at every character). Each comes with what every one of its matches holds (:class:`_Anchor`): a
    literal, found in the text folded to lower case (:func:`_fold`, :class:`_LiteralFinder`); a pattern
    whose matches all start with a literal is tried only where that literal starts (the first of
    those positions, from the search's start, where it matches is where the search would find it);
    one whose matches all hold a literal, a fragment or two menu separators is left out when the
    text has none. The literals of all anchors are found at once (:class:`_LiteralFinder`), and only
    the patterns of those found are looked at.

    ``literals``: where the anchors' literals occur in the text (:func:`junk_spans_many`), when known.
    """
    if literals is None:
        literals = _LITERALS.find(_fold(text))
    tried = sorted({i for literal in literals for i in _PATTERNS_OF[literal]}.union(_UNANCHORED))
    parts = [s for i in tried if (s := _searcher(text, literals, *_JUNK_PARTS[i])) is not None]
    found: list[regex.Match[str] | None] = [search(0) for search in parts]
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        best: regex.Match[str] | None = None
        for i, m in enumerate(found):
            if m is not None and m.start() < pos:
                m = found[i] = parts[i](pos)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        if best is None:
            return spans
        spans.append(best.span())
        pos = best.end()


#: Characters of texts whose anchors' literals :func:`junk_spans_many` finds at once.
BATCH_CHARACTERS = 1 << 20


def junk_spans_many(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """:func:`junk_spans` of each text; the anchors' literals are found in all of them at once.

    The texts, joined with NUL characters (no literal holds one, so none runs across two texts), are
    folded and searched as one text (:class:`_LiteralFinder`), a megabyte at a time; each literal
    found belongs to the text it lies in. numpy's work per call was most of the search's cost.
    """
    out: list[list[tuple[int, int]]] = []
    group: list[str] = []
    size = 0
    for text in [*texts, None]:
        if text is not None:
            group.append(text)
            size += len(text) + 1
            if size < BATCH_CHARACTERS:
                continue
        if not group:
            break
        starts = [0]
        for t in group[:-1]:
            starts.append(starts[-1] + len(t) + 1)
        per_text: list[dict[str, list[int]]] = [{} for _ in group]
        for literal, positions in _LITERALS.find(_fold("\0".join(group))).items():
            for p in positions:
                k = bisect_right(starts, p) - 1
                per_text[k].setdefault(literal, []).append(p - starts[k])
        out.extend(junk_spans(t, literals) for t, literals in zip(group, per_text, strict=True))
        group, size = [], 0
    return out


def static_mask(
    text: str,
    tokens: Tokens,
    lines: LineRanges | None = None,
    junk: Sequence[tuple[int, int]] | None = None,
) -> BoolArray:
    """Mask the words of datelines and formulaic lines (known boilerplate).

    ``lines``: the text's :func:`line_ranges`, when already computed; ``junk``: its
    :func:`junk_spans`, likewise.
    """
    mask = np.zeros(len(tokens), dtype=np.bool_)
    if not len(tokens):
        return mask
    for start, end in junk if junk is not None else junk_spans(text):
        lo, hi = _word_range(tokens, start, end)
        mask[lo:hi] = True
    spans, ranges = lines if lines is not None else line_ranges(text, tokens)
    for (start, end), (lo, hi) in zip(spans, ranges, strict=True):
        if lo == hi:
            continue
        line = text[start:end]
        if hi - lo <= _MAX_FORMULAIC_WORDS and (
            _FORMULAIC_START.match(line) or _FORMULAIC_ANYWHERE.search(line)
        ):
            mask[lo:hi] = True
            continue
        m = _DATELINE.match(line)
        if m:
            dlo, dhi = _word_range(tokens, start, start + m.end())
            mask[dlo:dhi] = True
    return mask


def lines_of(text: str, tokens: Tokens, lines: LineRanges | None = None) -> list[Line]:
    """The lines of ``text`` long enough to be learned, with whether each lies at the head or foot.

    ``lines``: the text's :func:`line_ranges`, when already computed.
    """
    chosen = _learnable(text, lines if lines is not None else line_ranges(text, tokens))
    if not chosen:
        return []
    bounds = np.array([(first, last) for first, last, _ in chosen], dtype=np.int64)
    keys = segment_keys(tokens.hashes, bounds[:, 0], bounds[:, 1]).tolist()
    return [Line(first, last, key, edge) for (first, last, edge), key in zip(chosen, keys, strict=True)]


def _learnable(text: str, lines: LineRanges) -> list[tuple[int, int, bool]]:
    """The word range of each line long enough to be learned, and whether it lies at the head or foot."""
    spans, ranges = lines
    nonempty = [i for i, (lo, hi) in enumerate(ranges) if hi > lo]
    head = set(nonempty[:2])
    foot = set(nonempty[-4:])
    tail_start = int(len(text) * 0.8)
    return [
        (ranges[i][0], ranges[i][1], i in head or i in foot or spans[i][0] >= tail_start)
        for i in nonempty
        if ranges[i][1] - ranges[i][0] >= MIN_LINE_WORDS
    ]


def lines_of_many(
    texts: Sequence[str], tokens: Sequence[Tokens], lines: Sequence[LineRanges]
) -> list[list[Line]]:
    """:func:`lines_of` of each text, the keys of all their lines computed at once.

    A line's key does not depend on where its words lie (:func:`segment_keys`): the texts' words are
    laid end to end and each line's range moved by the words of the texts before it.
    """
    chosen = [_learnable(text, ranges) for text, ranges in zip(texts, lines, strict=True)]
    if not any(chosen):
        return [[] for _ in texts]
    words = _offsets([len(t) for t in tokens])
    bounds = np.array(
        [(first + w, last + w) for c, w in zip(chosen, words, strict=True) for first, last, _ in c],
        dtype=np.int64,
    )
    hashes = np.concatenate([t.hashes for t in tokens])
    keys = iter(segment_keys(hashes, bounds[:, 0], bounds[:, 1]).tolist())
    return [[Line(first, last, next(keys), edge) for first, last, edge in c] for c in chosen]


#: Two articles are related when, beyond the line in question, they share at least this fraction of
#: the smaller one (a copy, an excerpt, a digest page and its story); below, they share at most that
#: line and a passage or two.
RELATED = 0.2


def cardinality(signature: npt.NDArray[np.uint32]) -> float:
    """Number of distinct shingles behind a MinHash signature (datasketch's ``MinHash.count``)."""
    if not len(signature):
        return 0.0
    return float(len(signature) / np.sum(signature.astype(np.float64) / 4294967295.0) - 1.0)


def related_beyond(
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    line_words: int,
    related: float = RELATED,
    common: int = 0,
) -> bool:
    """Whether two articles that both hold a line of ``line_words`` words share much more than it.

    ``common``: the words of all the recurring lines (:func:`recurring_lines`) both articles hold, the
    line's included: a site's footer cut into sentences, its navigation, a wire's notice. They are
    taken away with the line, so that the other sentences of a footer do not make two pages of a
    site related (0: the line alone).

    Estimates from the two whole-document signatures how many shingles the articles share, takes away
    the line's (and the other recurring lines'), and compares the rest with the smaller article
    (without them).
    """
    na, nb = cardinality(a), cardinality(b)
    if 2 * line_words >= min(na, nb):
        # the line is half of an article or more (a text on one line, under a short headline): it is
        # the article's content, and the articles holding it are copies, not strangers sharing a footer
        return True
    common = max(common, line_words)
    if 2 * common >= max(na, nb):
        # recurring lines make up half of both articles or more: a short story and its reprints, all
        # of whose paragraphs recur at a head or foot
        return True
    j = float(np.count_nonzero(a == b)) / len(a) if len(a) else 0.0
    shared = j / (1.0 + j) * (na + nb) - common
    rest = min(na, nb) - common
    return rest > 0 and shared >= related * rest


#: ``common(x, y)``: the words of the recurring lines holders ``x`` and ``y`` both hold.
Common = Callable[[int, int], int]


def independent_groups(
    signatures: Sequence[npt.NDArray[np.uint32]],
    line_words: int,
    related: float = RELATED,
    common: Common | None = None,
) -> int:
    """Into how many groups of related articles (:func:`related_beyond`) the holders of a line fall.

    Groups are the connected components of the relation: a wire story with its reprints and a digest
    page carrying it is one group, however many copies there are. ``common(x, y)``: the words of the
    recurring lines the ``x``-th and ``y``-th holders both hold (None: the line alone).
    """
    parent = list(range(len(signatures)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x in range(len(signatures)):
        for y in range(x + 1, len(signatures)):
            if find(x) != find(y) and related_beyond(
                signatures[x], signatures[y], line_words, related, common(x, y) if common else 0
            ):
                parent[find(y)] = find(x)
    return len({find(d) for d in range(len(signatures))})


#: Holders of a line whose signatures the rule compares: the first ones (for an article decided
#: against an index, the article itself and the first stored ones).
HOLDER_SAMPLE = 8


def is_boilerplate(
    docs: int,
    edges: int,
    line_words: int,
    holders: Sequence[npt.NDArray[np.uint32]] | None,
    *,
    min_docs: int,
    related: float = RELATED,
    common: Common | None = None,
) -> bool:
    """The learned-line rule: whether a line in ``docs`` articles (``edges`` at an edge) is boilerplate.

    It is when it recurs in at least ``min_docs`` articles, lies at the head or foot in at least half of
    them, and the sampled holders (``holders``: their whole-document signatures, the first
    :data:`HOLDER_SAMPLE` are compared; None: no signatures, frequency alone decides) fall into at
    least ``min_docs`` groups that share nothing much beyond the line (:func:`independent_groups`).
    Failing that, it is when they fall into at least ``min_docs + BLOCK_EXTRA_GROUPS`` groups that
    share nothing much beyond the line and the other recurring lines they both hold (``common``): a
    site's footer cut into sentences, on every page of the site. A block of recurring lines in a few
    articles only is more likely a passage they all quote (two paragraphs of a statement).
    """
    if not _recurs(docs, edges, min_docs):
        return False
    if holders is None:
        return True
    sample = holders[:HOLDER_SAMPLE]
    if independent_groups(sample, line_words, related) >= min_docs:
        return True
    return (
        common is not None
        and docs >= min_docs + BLOCK_EXTRA_GROUPS
        and independent_groups(sample, line_words, related, common) >= min_docs + BLOCK_EXTRA_GROUPS
    )


#: A line that is boilerplate only once the other recurring lines its holders share are taken away
#: needs this many more groups of unrelated holders than ``boilerplate_min_docs``.
BLOCK_EXTRA_GROUPS = 2


def common_words(held: Sequence[Mapping[int, int]]) -> Common:
    """``common`` for holders whose recurring lines are ``held[x]`` (line key -> words)."""

    def common(x: int, y: int) -> int:
        a, b = held[x], held[y]
        if len(b) < len(a):
            a, b = b, a
        return sum(n for key, n in a.items() if key in b)

    return common


def _recurs(docs: int, edges: int, min_docs: int) -> bool:
    """The rule's first half: held by ``min_docs`` articles or more, at the head or foot in half of them."""
    return docs >= min_docs and edges * 2 >= docs


@dataclass(frozen=True, slots=True)
class LineStat:
    """How many stored articles hold a line, how many at their head or foot, and the first few of them.

    What a store keeps per line for :func:`learned_lines`; it changes only through :meth:`add` and
    :meth:`remove`.
    """

    docs: int
    edges: int
    #: Up to :data:`HOLDER_SAMPLE` holders (doc numbers), the first stored.
    sample: tuple[int, ...] = ()

    def add(self, doc: int, edge: bool) -> LineStat:
        """The tally once article ``doc`` (holding the line at its head or foot if ``edge``) is stored."""
        sample = self.sample if len(self.sample) >= HOLDER_SAMPLE else (*self.sample, doc)
        return LineStat(self.docs + 1, self.edges + int(edge), sample)

    def remove(self, doc: int, edge: bool) -> LineStat | None:
        """The tally once article ``doc`` is removed; None when no article holds the line any more."""
        if self.docs <= 1:
            return None
        sample = tuple(d for d in self.sample if d != doc)
        return LineStat(self.docs - 1, max(self.edges - int(edge), 0), sample)


def learned_lines(
    lines: Sequence[tuple[int, bool, int]],
    stats: Mapping[int, LineStat],
    signature: npt.NDArray[np.uint32],
    signatures: Callable[[list[int]], Mapping[int, npt.NDArray[np.uint32]]],
    *,
    min_docs: int,
    related: float = RELATED,
) -> set[int]:
    """Lines of a new article that are boilerplate once it joins the stored articles (the index's case).

    ``lines``: the article's lines, each once, as (line key, at its head or foot, words); ``stats``: the
    tallies of those lines among the stored articles (lines no stored article holds are left out);
    ``signature``: the article's whole-document signature; ``signatures(docs)``: the stored
    signatures of ``docs`` (called once, and only when a line recurs often enough).

    :func:`is_boilerplate` decides, each line counted with the new article (one more holder), its
    sampled holders being the first ``HOLDER_SAMPLE - 1`` stored ones and the new article itself.
    """
    frequent: dict[int, tuple[LineStat, int]] = {}
    for key, edge, words in lines:
        stored = stats.get(key)
        if stored is None:
            continue
        stat = LineStat(stored.docs + 1, stored.edges + int(edge), stored.sample)  # with the new article
        if _recurs(stat.docs, stat.edges, min_docs):
            frequent[key] = (stat, words)
    if not frequent:
        return set()
    wanted = sorted({d for stat, _ in frequent.values() for d in stat.sample[: HOLDER_SAMPLE - 1]})
    found = signatures(wanted)
    # the recurring lines each sampled holder is known to hold: those of the new article whose sample
    # has it (the new article, numbered -1, holds them all)
    held: dict[int, dict[int, int]] = defaultdict(dict)
    for key, (stat, words) in frequent.items():
        for d in (*stat.sample, -1):
            held[d][key] = words
    learned = set()
    for key, (stat, words) in frequent.items():
        docs = [d for d in stat.sample[: HOLDER_SAMPLE - 1] if d in found]
        holders = [found[d] for d in docs] + [signature]
        common = common_words([held[d] for d in (*docs, -1)])
        if is_boilerplate(
            stat.docs, stat.edges, words, holders, min_docs=min_docs, related=related, common=common
        ):
            learned.add(key)
    return learned


def learn_boilerplate(
    doc_lines: Sequence[Sequence[tuple[int, bool, int]]],
    signatures: Sequence[npt.NDArray[np.uint32]] | Mapping[int, npt.NDArray[np.uint32]] | None,
    *,
    min_docs: int,
    related: float = RELATED,
) -> dict[int, int]:
    """Learn boilerplate lines from a corpus.

    ``doc_lines[d]`` are the (line key, at head or foot, words) of document ``d``; ``signatures[d]``
    its whole-document MinHash signature. A line is boilerplate when it recurs in at least ``min_docs``
    documents, lies at the head or foot in most of them, and those documents fall into at least
    ``min_docs`` groups that share nothing much beyond the line (:func:`is_boilerplate`, over the
    first :data:`HOLDER_SAMPLE` holders). A paragraph carried by a story, its reprints and a digest
    page is one group and stays evidence; a site's footer under unrelated articles is many.

    Returns the boilerplate line keys with the number of documents holding each.
    """
    holders: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    words: dict[int, int] = {}
    for d, lines in enumerate(doc_lines):
        seen: set[int] = set()
        for key, edge, n in lines:
            if key in seen:
                continue
            seen.add(key)
            holders[key].append((d, edge))
            words[key] = n
    held: dict[int, dict[int, int]] = defaultdict(dict)  # document -> its recurring lines
    for key, docs in holders.items():
        if _recurs(len(docs), sum(1 for _, e in docs if e), min_docs):
            for d, _ in docs:
                held[d][key] = words[key]
    out: dict[int, int] = {}
    for key, docs in holders.items():
        first = [d for d, _ in docs[:HOLDER_SAMPLE]]
        sample = None if signatures is None else [signatures[d] for d in first]
        at_edges = sum(1 for _, e in docs if e)
        common = common_words([held[d] for d in first])
        if is_boilerplate(
            len(docs), at_edges, words[key], sample, min_docs=min_docs, related=related, common=common
        ):
            out[key] = len(docs)
    return out


def learn_boilerplate_arrays(
    keys: npt.NDArray[np.uint64],
    edges: npt.NDArray[np.bool_],
    words: npt.NDArray[np.integer[Any]],
    docs: npt.NDArray[np.int64],
    signatures: Sequence[npt.NDArray[np.uint32]] | Mapping[int, npt.NDArray[np.uint32]] | None,
    *,
    min_docs: int,
    related: float = RELATED,
) -> dict[int, int]:
    """:func:`learn_boilerplate` over flat arrays, with no Python code per line.

    Line ``i`` has key ``keys[i]``, lies at its document's head or foot if ``edges[i]``, has
    ``words[i]`` words and belongs to document ``docs[i]``; lines are in document order (``docs``
    non-decreasing), and in their order within each document. The result is the same, in the same
    order.
    """
    n = len(keys)
    if not n:
        return {}
    # each (line, document) once, at its first position; grouped by line key, documents ascending
    order = np.lexsort((np.arange(n), docs, keys))
    k, d = keys[order], docs[order]
    first = np.ones(n, dtype=np.bool_)
    first[1:] = (k[1:] != k[:-1]) | (d[1:] != d[:-1])
    order, k, d = order[first], k[first], d[first]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    counts = np.diff(np.append(starts, len(k)))
    at_edges = np.add.reduceat(edges[order].astype(np.int64), starts)
    recurring = (counts >= min_docs) & (at_edges * 2 >= counts)
    chosen = np.flatnonzero(recurring)
    group_words = words[order[starts]].astype(np.int64)
    held: dict[int, dict[int, int]] = defaultdict(dict)  # sampled document -> its recurring lines
    if signatures is not None and len(chosen):
        offsets = np.arange(len(k)) - np.repeat(starts, counts)
        sampled = np.unique(d[np.repeat(recurring, counts) & (offsets < HOLDER_SAMPLE)])
        keep = np.repeat(recurring, counts) & np.isin(d, sampled)
        for key, doc, n in zip(
            k[keep].tolist(), d[keep].tolist(), np.repeat(group_words, counts)[keep].tolist(), strict=True
        ):
            held[doc][key] = n
    found: list[tuple[int, int, int]] = []  # (first position in the corpus, key, documents)
    for g in chosen.tolist():
        s0, c = int(starts[g]), int(counts[g])
        first = d[s0 : s0 + min(c, HOLDER_SAMPLE)].tolist()
        holders = None if signatures is None else [signatures[x] for x in first]
        common = common_words([held[x] for x in first])
        if is_boilerplate(
            c,
            int(at_edges[g]),
            int(group_words[g]),
            holders,
            min_docs=min_docs,
            related=related,
            common=common,
        ):
            found.append((int(order[s0]), int(k[s0]), c))
    found.sort()
    return {key: c for _, key, c in found}


def mask_lines(
    lines: Iterable[Line],
    boilerplate: Mapping[int, int],
    mask: BoolArray,
    hashes: npt.NDArray[np.integer[Any]] | None = None,
) -> bool:
    """Mask the words of ``lines`` that are learned boilerplate; True if anything was masked.

    With ``hashes`` (the text's word hashes, :attr:`Tokens.hashes`), a learned line glued to the start
    or the end of another line is masked too: a scraped page whose last paragraph ends without a full
    stop (a "Read more" link, a credit) runs it into the footer's first sentence, which then is no
    line of its own.
    """
    changed = False
    glued: list[Line] = []
    for line in lines:
        if line.key in boilerplate:
            if not mask[line.first : line.last].all():
                mask[line.first : line.last] = True
                changed = True
        elif hashes is not None and line.last - line.first > MIN_LINE_WORDS:
            glued.append(line)
    if glued and boilerplate and hashes is not None:
        # every suffix and prefix of at least MIN_LINE_WORDS words of each line, as a run of words:
        # per line its suffixes [first + 1 + j, last), then its prefixes [first, first + MIN_LINE_WORDS + j)
        firsts = np.fromiter((line.first for line in glued), dtype=np.int64, count=len(glued))
        lasts = np.fromiter((line.last for line in glued), dtype=np.int64, count=len(glued))
        runs = lasts - firsts - MIN_LINE_WORDS  # suffixes (and prefixes) per line
        of = np.repeat(np.arange(len(glued)), 2 * runs)
        j = np.arange(len(of), dtype=np.int64) - np.repeat(np.cumsum(2 * runs) - 2 * runs, 2 * runs)
        tail = j < runs[of]
        lo = np.where(tail, firsts[of] + 1 + j, firsts[of])
        hi = np.where(tail, lasts[of], firsts[of] + MIN_LINE_WORDS + j - runs[of])
        # the runs that are learned lines (few, mostly none), tested at once, then masked in order
        learned = unique(np.fromiter(boilerplate, dtype=np.uint64, count=len(boilerplate)))
        found = np.flatnonzero(isin(segment_keys(hashes, lo, hi), learned))
        for a, b in zip(lo[found].tolist(), hi[found].tolist(), strict=True):
            if not mask[a:b].all():
                mask[a:b] = True
                changed = True
    return changed
