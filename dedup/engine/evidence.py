"""Evidence of copying: which shared passages make a pair, and which only ride along.

Independent reports of one event share names, titles and stock phrases ("leader of the Islamic
State, Abu Bakr al-Baghdadi", "has been re-elected to a second term"); alignment finds those as
passages of eight or ten matched words, as it must, because the same length of words is a copied
quote elsewhere. What separates a copy is *evidence*, and a pair is flagged only when at least one of
its passages carries some (:func:`strength`):

* an **exact run**: at least ``evidence_run`` consecutive words identical on both sides (no word of
  them boilerplate), of which at least ``evidence_plain_words`` are ordinary words, not names: a
  capitalised word that does not start a sentence counts as a name unless it stands inside a
  quotation, so "Islamic State militant known as Jihadi John" is mostly names while a copied
  sentence about them is not. A shorter run, from ``evidence_short_run`` words, counts inside a
  passage of at least ``evidence_short_run_passage`` matched words (a sentence copied with an edit or
  two), or one that matches the whole of the shorter text (a short text copied whole): alone, eight
  to ten words are what independent reports share as stock phrases ("said the official, who spoke
  on the condition of anonymity", "has a $10 million U.S. bounty on his head");
* an **edited copy**: at least ``evidence_edited_words`` matched words at a word-level similarity of
  ``evidence_edited_similarity`` or more (a paragraph reworded here and there, OCR noise, a
  translation lightly edited), whatever its longest run;
* an **edited quotation**: a passage of at least ``min_passage_words`` matched words, nearly all of
  it inside quotation marks on one side, at a word-level similarity of ``evidence_quote_similarity``
  or more (the same statement in another translation, or edited);
* a **quotation**: an exact run of at least ``evidence_quote_words`` words inside quotation marks on
  either side (the same statement quoted by two reports, or quoted by one and run into the text of
  the other); a run that reaches a word or two past the closing mark ("... really ugly," he) is
  still the quotation when :data:`QUOTED_SHARE` of its words stand inside it.

A quotation, exact or edited, counts only when fewer than half its words are names on either side
(:data:`QUOTED_NAMES`): a designation in quotation marks ("the Islamic State of Iraq and Syria
(ISIS)", "sister of Omar Abdul Hamid al-Dulaimi, who is") is a name, whoever quotes it, and is not
evidence as an exact run either. A capitalised word joined to the word before it by a hyphen
(al-*Baghdadi*, Jean-*Pierre*) is part of a name.

Weak passages (a shared name, a stock phrase, a headline worded alike) are still reported inside a
pair that has a strong one: the seed's "an important step in/towards strengthening ties between
Moscow and Islamabad" rides on the shared quote. The rule has one home, here, and both paths
(``dedup report`` and the index) verify through :class:`dedup.engine.verify.Verifier`, which asks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import regex

from dedup.engine.normalize import Tokens
from dedup.settings import Settings

__all__ = ["STOPWORDS", "Side", "ordinary_words", "strength"]

#: Longest quotation, in characters.
QUOTE_CHARS = 600
_QUOTATION = regex.compile(
    rf'"[^"\n]{{1,{QUOTE_CHARS}}}"|[“„][^“”„\n]{{1,{QUOTE_CHARS}}}[”“]|«[^«»\n]{{1,{QUOTE_CHARS}}}»'
)
#: Function words: they carry no evidence of their own ("from a ... in the", "will be the ... of").
_STOPWORDS_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your
yours yourself s t said says told according
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
#: Lower-case particles of names (Omar Abdul Hamid al-Dulaimi, Ursula von der Leyen).
_PARTICLES_TEXT = """
al el bin ibn bint abu abd de del der di da dos van von la le du
"""
_PARTICLES = frozenset(_PARTICLES_TEXT.split())
#: The pronoun I, capitalised wherever it stands (I, I'm, I've, I'll, I'd): no name.
_PRONOUN_I = regex.compile(r"i(?:['\u2019](?:m|ve|ll|d))?")
#: A capitalised word joined by one of these to the word before it is part of a name (al-Baghdadi).
_HYPHENS = frozenset("-\u2010\u2011")
#: Characters after which a capitalised word starts a sentence (or a quotation, or a line).
_SENTENCE_END = frozenset(".!?:;\n\"“”«»„'‘’([—–-•|#*")


@dataclass(slots=True)
class Side:
    """One side of a pair as the evidence rule reads it: the text, its words, its boilerplate mask."""

    text: str
    tokens: Tokens
    mask: npt.NDArray[np.bool_]
    _quoted: npt.NDArray[np.bool_] | None = None

    def quoted(self) -> npt.NDArray[np.bool_]:
        """Whether each word stands inside a quotation (computed once, on first use).

        A quotation is a balanced pair of marks on one line, at most :data:`QUOTE_CHARS` long: an
        unbalanced mark (12", a scraper's stray quote) quotes nothing.
        """
        if self._quoted is None:
            inside = np.zeros(len(self.text) + 1, dtype=np.bool_)
            for m in _QUOTATION.finditer(self.text):
                inside[m.start() : m.end()] = True
            self._quoted = inside[self.tokens.starts] if len(self.tokens) else np.zeros(0, np.bool_)
        return self._quoted

    def is_ordinary(self, i: int) -> bool:
        """Not part of a name (a capitalised word inside a sentence, or a particle), unless quoted."""
        return bool(self.quoted()[i]) or not self.in_name(i)

    def in_name(self, i: int) -> bool:
        """Part of a name: a particle (al, von) or a capitalised word inside a sentence, quoted or not."""
        return self.tokens.words[i] in _PARTICLES or self.is_name(i)

    def is_name(self, i: int) -> bool:
        """A capitalised word that does not start a sentence, a line or a quotation.

        Joined to the word before it by a hyphen (al-Baghdadi, Jean-Pierre), it is part of a name.
        The pronoun *I* (I'm, I've) is not.
        """
        start = int(self.tokens.starts[i])
        if not self.text[start].isupper() or _PRONOUN_I.fullmatch(self.tokens.words[i]):
            return False
        if start > 1 and self.text[start - 1] in _HYPHENS and not self.text[start - 2].isspace():
            return True
        j = start - 1
        while j >= 0 and self.text[j] in " \t\r\xa0":
            j -= 1
        return j >= 0 and self.text[j] not in _SENTENCE_END


def _plain_words(side: Side, first: int, count: int) -> int:
    """Words of a run that carry content: not function words, and not names unless quoted."""
    words = side.tokens.words
    return sum(1 for i in range(first, first + count) if words[i] not in STOPWORDS and side.is_ordinary(i))


def _shouted(side: Side, runs: Sequence[tuple[int, int, int]], at: int) -> bool:
    """The runs are written in capitals on this side (a sign, a headline): capitals are no names there."""
    text, starts, ends = side.text, side.tokens.starts, side.tokens.ends
    cased = [text[starts[i] : ends[i]] for run in runs for i in range(run[at], run[at] + run[2])]
    cased = [w for w in cased if w.upper() != w.lower()]
    return len(cased) >= 3 and all(w.isupper() for w in cased)


def _names(side: Side, runs: Sequence[tuple[int, int, int]], at: int) -> int:
    """Words of the runs (their first word on this side at index ``at``) that are names or particles."""
    if _shouted(side, runs, at):
        return 0
    return sum(1 for run in runs for i in range(run[at], run[at] + run[2]) if side.in_name(i))


def _not_names(runs: Sequence[tuple[int, int, int]], a: Side, b: Side) -> bool:
    """Fewer than :data:`QUOTED_NAMES` of the runs' words are names, on both sides."""
    total = sum(n for _, _, n in runs)
    return max(_names(a, runs, 0), _names(b, runs, 1)) < QUOTED_NAMES * total


def ordinary_words(blocks: Sequence[tuple[int, int, int]], a: Side, b: Side) -> int:
    """Matched words of a passage outside boilerplate that are not names (unless quoted)."""
    return sum(1 for x, _, n in _runs(blocks, a, b) for i in range(x, x + n) if a.is_ordinary(i))


def _quoted_share(side: Side, first: int, last: int) -> float:
    if last <= first:
        return 0.0
    return float(side.quoted()[first:last].mean())


def _runs(blocks: Sequence[tuple[int, int, int]], a: Side, b: Side) -> list[tuple[int, int, int]]:
    """The blocks cut at boilerplate words: runs of words identical on both sides and evidence."""
    out = []
    for x, y, n in blocks:
        free = ~(a.mask[x : x + n] | b.mask[y : y + n])
        start = None
        for t in range(n + 1):
            if t < n and free[t]:
                if start is None:
                    start = t
            elif start is not None:
                out.append((x + start, y + start, t - start))
                start = None
    return out


#: A passage is a quotation when at least this share of its words (on one side) stands inside quotes.
QUOTED_SHARE = 0.8
#: A quotation of which this share of words or more are names (quoted or not) is a designation.
QUOTED_NAMES = 0.5


def strength(
    blocks: Sequence[tuple[int, int, int]],
    matched: int,
    similarity: float,
    a: Side,
    b: Side,
    settings: Settings,
) -> str | None:
    """What makes this passage evidence of copying, in words, or None when it is weak.

    ``blocks``: the passage's runs of identical words, ``(first word in A, first word in B, length)``;
    ``matched``: its distinct matched words outside boilerplate; ``similarity``: word-level, 0..1.
    """
    s = settings
    if matched >= s.evidence_edited_words and similarity >= s.evidence_edited_similarity:
        return f"edited copy of {matched} words"
    best: str | None = None
    longest = 0
    shortest = s.evidence_run
    if matched >= s.evidence_short_run_passage:
        shortest = min(shortest, s.evidence_short_run)
    # a shorter run that is the whole of the shorter text (outside boilerplate): a short text copied
    whole = min(len(a.mask) - int(a.mask.sum()), len(b.mask) - int(b.mask.sum()))
    if whole <= s.evidence_run:
        shortest = min(shortest, max(s.evidence_short_run, whole))
    for x, y, n in _runs(blocks, a, b):
        if n >= s.evidence_quote_words and n > longest:
            inside = max(int(a.quoted()[x : x + n].sum()), int(b.quoted()[y : y + n].sum()))
            if inside >= s.evidence_quote_words and inside >= QUOTED_SHARE * n:
                if not _not_names([(x, y, n)], a, b):
                    continue  # a designation in quotation marks
                best, longest = f"quotation of {n} words", n
                continue
        if n >= shortest and n > longest:
            plain = min(_plain_words(a, x, n), _plain_words(b, y, n))
            if plain >= s.evidence_plain_words:
                within = f", in {matched} matched words" if n < s.evidence_run else ""
                best, longest = f"exact run of {n} words{within}", n
    if (
        best is None
        and blocks
        and similarity >= s.evidence_quote_similarity
        and matched >= s.min_passage_words
    ):
        # a quotation rendered in other words here and there (another translation, an edit)
        a0, b0 = blocks[0][0], blocks[0][1]
        a1, b1 = blocks[-1][0] + blocks[-1][2], blocks[-1][1] + blocks[-1][2]
        quoted = max(_quoted_share(a, a0, a1), _quoted_share(b, b0, b1)) >= QUOTED_SHARE
        if quoted and _not_names(_runs(blocks, a, b), a, b):
            return f"quotation of {matched} words, edited"
    return best
