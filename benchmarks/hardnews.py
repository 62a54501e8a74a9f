"""Hard synthetic news with exact gold: copying among reports that share names, quotes and site chrome.

:mod:`benchmarks.newsreuse` makes copies exact but for two words, and unrelated articles share nothing
but stock words. Real news is harder, and this generator builds what makes it so, from invented base
material (:mod:`benchmarks.hardnews_material`):

* **events** (an election, a hostage video, a flood), each reported by a wire service (AP, Reuters or
  AFP, with its legal notice) and by several outlets **in their own words**: every writer of an event
  writes each fact in a different one of six ways, so independent reports share the event's names,
  titles, ages, places, organisations and stock phrases ("has been re-elected to a second term",
  "leader of the Crescent Brigades, Abu Harith al-Qadiri", "said in a statement on Tuesday") but no
  sentence: **hard negatives**, which must not be flagged. Some quote the same **short phrase** (3 to
  6 words, "an act of pure evil") in frames of their own, and two outlets each have an **interview**
  of their own (another person each).
* **quotes** of the event's people, carried by the wire and some outlets: **exact** (in the outlet's
  quote marks), **edited** (one word changed or dropped), **translated** (rendered again: about 40% of
  its choice points worded otherwise) or **paraphrased** (indirect speech in other words). Gold counts
  a shared quote as reuse when both renderings are quotes of 8 words or more with a word-sequence
  similarity of at least 0.6 (difflib ratio over lowercased words); a paraphrase never counts.
* **reprints** of the wire story by outlets: light edits, some trimmed (containment), some with
  **OCR-style noise** (letters confused, words broken by hyphenation or joined).
* **scraped pages**: outlets whose pages are scraped with the paragraphs joined into one long line,
  with **site chrome inside the line**: a " | " navigation menu, " ### " separators, media-player
  notices, a bit of JavaScript, share, cookie and newsletter prompts, contact footers; wire copy
  carries the wire's legal notice. Chrome is shared by every page of an outlet, a legal notice by
  every page of its wire: never evidence.
* **filler pages**: single reports of other events (the articles of ``benchmarks/articles``, each
  once, then generated ones), from the wire services and the outlets, so that chrome and legal
  notices recur under many unrelated pages.

The gold is exact because it is recorded while the texts are built: each wire sentence and each quote
is a *unit*, and every text knows where each unit it carries lies and in which rendering. Two texts
share a passage where they carry the same wire sentences (consecutive ones make one passage) or the
same quote in renderings that count. Each text also records its *name* spans (every filled slot:
names, titles, numbers, stock phrases, short phrases, the dateline) and its *chrome* spans. While
writing, an index of word 8-grams checks that nothing a writer writes in its own words repeats 8
words of anybody else's text (unless at most two of them lie outside names), across sentence
boundaries too: independent texts share no 8-word run outside names, by construction.

Two events of one kind are written from the same sentence templates, so their texts have sentences
of one shape with other names: :meth:`HardNews.template_pairs`, not labelled. One event per kind
avoids them (the quality benchmark does so).

Run ``python -m benchmarks.hardnews OUTDIR --seed 1 --events 3`` to write ``corpus.jsonl`` and
``gold.json``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from benchmarks import hardnews_material as m
from benchmarks.newsreuse import load_articles

__all__ = [
    "COUNTS_AS_REUSE",
    "Doc",
    "GoldPair",
    "HardNews",
    "Unit",
    "generate",
    "quote_similarity",
    "words",
]

_WORD = re.compile(r"\w+")
_TEMPLATE = re.compile(r"\{(\w+)\}|\[([^\]]+)\]")
N = 8
#: An 8-gram with at most this many words outside names is a name, not evidence.
MAX_OTHER = 2
#: A shared quote counts as reuse when both renderings have this many words and this similarity.
COUNTS_AS_REUSE = (8, 0.6)


def words(text: str) -> list[str]:
    """Lowercased word tokens (runs of letters and digits), as FNC-1's runs are counted."""
    return [w.lower() for w in _WORD.findall(text)]


def quote_similarity(a: str, b: str) -> float:
    """Difflib's ratio over the two texts' words (2 * matched words / all words)."""
    return difflib.SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


class GenerationError(RuntimeError):
    """The generator could not write a text without repeating another's 8 words (base material too thin)."""


# -- templates ------------------------------------------------------------------------------------------

#: A piece of text and its tag: "own" (the writer's words), "name" (a filled slot), "quote".
Piece = tuple[str, str]


_LITERAL_WORD = re.compile(r"(?<![\w'-])[A-Za-z]+(?![\w'-])")


def _literal(text: str) -> list[tuple[str, str | tuple[str, ...]]]:
    """Literal template text, its words with synonyms made choice points (the word itself first)."""
    out: list[tuple[str, str | tuple[str, ...]]] = []
    pos = 0
    for x in _LITERAL_WORD.finditer(text):
        group = m.SYNONYM.get(x.group().lower())
        if group is None:
            continue
        if x.start() > pos:
            out.append(("text", text[pos : x.start()]))
        word = x.group()
        alts = [word.lower(), *(w for w in group if w != word.lower())]
        if word[0].isupper():
            alts = [a[0].upper() + a[1:] for a in alts]
        out.append(("choice", tuple(alts)))
        pos = x.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text, slots and choice points, in order."""

    parts: tuple[tuple[str, str | tuple[str, ...]], ...]  # ("text", s) | ("slot", name) | ("choice", alts)

    @staticmethod
    def parse(text: str) -> Template:
        """Parse ``{slot}`` and ``[a|b]`` markers; a literal word with synonyms becomes a choice point."""
        parts: list[tuple[str, str | tuple[str, ...]]] = []
        pos = 0
        for x in _TEMPLATE.finditer(text):
            if x.start() > pos:
                parts += _literal(text[pos : x.start()])
            if x.group(1):
                parts.append(("slot", x.group(1)))
            else:
                parts.append(("choice", tuple(x.group(2).split("|"))))
            pos = x.end()
        if pos < len(text):
            parts += _literal(text[pos:])
        return Template(tuple(parts))

    @property
    def choice_points(self) -> int:
        """How many choice points it has."""
        return sum(1 for kind, _ in self.parts if kind == "choice")

    def render(self, slots: dict[str, str], choices: Sequence[int], *, tag: str = "own") -> list[Piece]:
        """The pieces of the text for one choice per choice point (slots tagged "name")."""
        out: list[Piece] = []
        n = 0
        for kind, value in self.parts:
            if kind == "text":
                out.append((str(value), tag))
            elif kind == "slot":
                out.append((slots[str(value)], "name"))
            else:
                alts = value
                out.append((alts[choices[n] % len(alts)], tag))
                n += 1
        return out

    def draw(self, rng: random.Random) -> list[int]:
        """A random choice per choice point."""
        return [rng.randrange(len(v)) for k, v in self.parts if k == "choice"]


def _text(pieces: Iterable[Piece]) -> str:
    return "".join(t for t, _ in pieces)


def _capitalise(pieces: list[Piece]) -> list[Piece]:
    if pieces and pieces[0][0]:
        t, tag = pieces[0]
        pieces[0] = (t[0].upper() + t[1:], tag)
    return pieces


# -- the 8-gram index of independent text ---------------------------------------------------------------


_QUOTED = "\x00quoted"
_EVENT = re.compile(r"\b[ef]\d{3}\b")


class Registry:
    """Every word 8-gram written so far (that is not all names), with the text (or quote) owning it."""

    def __init__(self) -> None:
        self.owner: dict[tuple[str, ...], str] = {}

    @staticmethod
    def grams(pieces: Sequence[Piece], *, context: Sequence[Piece] = ()) -> list[tuple[str, ...]]:
        """The 8-grams of ``pieces`` (with the tail of ``context`` before them) that are evidence.

        An 8-gram of names with at most two other words ("loyal to the leader of the Crescent
        Brigades") is not evidence: names, titles and stock phrases are shared by every report of an
        event. One with a quoted word is marked: it may recur in the texts of the event that quote
        the same words, never in another event's.
        """
        tokens: list[tuple[str, str]] = []
        for text, tag in [*context, *pieces]:
            tokens += [(w, tag) for w in words(text)]
        start = max(0, sum(len(words(t)) for t, _ in context) - (N - 1))
        out = []
        for i in range(start, len(tokens) - N + 1):
            window = tokens[i : i + N]
            tags = [t for _, t in window]
            if sum(t != "name" for t in tags) <= MAX_OTHER:
                continue
            gram = tuple(w for w, _ in window)
            out.append((_QUOTED, *gram) if "quote" in tags else gram)
        return out

    @staticmethod
    def _owner(gram: tuple[str, ...], owner: str) -> str:
        if gram[0] != _QUOTED:
            return owner
        event = _EVENT.search(owner)
        return f"quoted in {event.group() if event else owner}"

    def fits(self, grams: Iterable[tuple[str, ...]], owner: str) -> bool:
        """Whether none of ``grams`` belongs to another owner."""
        for g in grams:
            mine = self._owner(g, owner)
            if self.owner.get(g, mine) != mine:
                return False
        return True

    def claim(self, grams: Iterable[tuple[str, ...]], owner: str) -> None:
        """Record ``grams`` as ``owner``'s."""
        for g in grams:
            self.owner.setdefault(g, self._owner(g, owner))


# -- events ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Quote:
    """One quote of an event: its item, speaker, original choices, and the renderings outlets use."""

    id: str
    item: m.QuoteItem
    template: Template
    choices: list[int]
    speaker: str
    renderings: dict[str, list[str]] = field(default_factory=dict)

    def render(self, slots: dict[str, str], rendering: str, rng: random.Random) -> str:
        """The quote's words in a rendering ("exact", "edited", "translated")."""
        choices = list(self.choices)
        points = len(choices)
        if rendering == "edited":
            i = rng.randrange(points)
            choices[i] += 1
        elif rendering == "translated":
            for i in rng.sample(range(points), max(2, round(0.4 * points))):
                choices[i] += 1
        return _text(self.template.render(slots, choices))


@dataclass(slots=True)
class Event:
    """An event: its kind, slots (names, numbers) and quotes."""

    id: str
    kind: m.Kind
    slots: dict[str, str]
    quotes: list[Quote] = field(default_factory=list)
    #: The short phrase its reports may quote.
    soundbite: str = ""
    #: Interviews given so far (each exclusive quote is another person's), and the first theme.
    interviews: int = 0
    interview_base: int = 0


#: People an outlet may interview about one event (one each).
_INTERVIEWEES = 2


def _name(rng: random.Random, *, male: bool = False) -> tuple[str, str, str]:
    first, last = rng.choice(m.MALE if male else m.FIRST), rng.choice(m.LAST)
    return f"{first} {last}", first, last


def _slots(kind: m.Kind, rng: random.Random) -> dict[str, str]:
    d = rng.randrange(7)
    s = {
        "day": m.DAYS[d],
        "day2": m.DAYS[(d + 1) % 7],
        "day3": m.DAYS[(d + 3) % 7],
        "country": rng.choice(m.COUNTRIES),
        "capital": rng.choice(m.CAPITALS),
        "town": rng.choice(m.TOWNS),
        "region": f"{rng.choice(m.PROVINCES)} province",
        "year": str(rng.randrange(1952, 2009)),
        "month": rng.choice(m.MONTHS),
        "date": str(rng.randrange(1, 29)),
    }
    if kind.name == "election":
        leader, _, last = _name(rng, male=True)
        rival, _, rival_last = _name(rng, male=True)
        pct = rng.randrange(52, 78)
        adj = rng.sample(m.PARTY_ADJ, 2)
        s |= {
            "leader": leader,
            "leader_last": last,
            "title": "President",
            "reelected": "has been re-elected to a second term",
            "pct": str(pct),
            "rival": rival,
            "rival_last": rival_last,
            "rival_age": str(rng.randrange(38, 70)),
            "rival_pct": str(rng.randrange(12, 100 - pct)),
            "turnout": str(rng.randrange(38, 71)),
            "party": f"{adj[0]} {rng.choice(m.PARTY_NOUN)}",
            "gov_party": f"{adj[1]} {rng.choice(m.PARTY_NOUN)}",
            "age": str(rng.randrange(45, 75)),
            "years": str(rng.choice((5, 6))),
            "leader_sp": f"President {leader}",
            "rival_sp": f"opposition candidate {rival}",
            **{
                f"voter{n}_sp": f"{_name(rng)[0]}, a {rng.randrange(22, 80)}-year-old voter in {s['town']},"
                for n in range(_INTERVIEWEES)
            },
        }
    elif kind.name == "militant":
        group = f"the {rng.choice(m.GROUP_ADJ)} {rng.choice(m.GROUP_NOUN)}"
        leader = f"Abu {rng.choice(m.ABU)} al-{rng.choice(m.NISBA)}"
        victim, victim_first, victim_last = _name(rng, male=True)
        victim2, _, _ = _name(rng)
        minister, _, minister_last = _name(rng)
        relative = f"{rng.choice(m.FIRST)} {victim_last}"
        s |= {
            "group": group,
            "designation": f"leader of {group}, {leader}",
            "victim": victim,
            "victim_first": victim_first,
            "victim_last": victim_last,
            "victim2": victim2,
            "vage": str(rng.randrange(24, 66)),
            "nationality": rng.choice(m.NATIONALITIES),
            "ministry": rng.choice(m.MINISTRIES),
            "said_statement": f"said in a statement on {s['day']}",
            "monitor": rng.choice(m.MONITORS),
            "aid_org": rng.choice(m.AID_ORGS),
            "minister_last": minister_last,
            "minister_sp": f"Foreign Minister {minister}",
            "relative_sp": f"his brother {relative}",
            **{f"colleague{n}_sp": f"{_name(rng)[0]}, who worked with him," for n in range(_INTERVIEWEES)},
        }
    else:
        official, _, official_last = _name(rng)
        resident, _, _ = _name(rng)
        title = rng.choice(("Regional governor", "Provincial governor", "Mayor"))
        s |= {
            "river": rng.choice(m.RIVERS),
            "toll": str(rng.randrange(9, 140)),
            "toll2": str(rng.randrange(3, 40)),
            "missing": str(rng.randrange(5, 60)),
            "displaced": f"{rng.randrange(2, 30)},{rng.randrange(100, 1000)}",
            "rain": str(rng.randrange(180, 420)),
            "agency": rng.choice(m.AGENCIES),
            "official": official,
            "official_last": official_last,
            "official_title": title,
            "official_sp": f"{title.split()[-1].capitalize()} {official}",
            "resident_sp": f"{resident}, {rng.randrange(25, 85)},",
        }
        for n in range(_INTERVIEWEES):
            s[f"local{n}_sp"] = f"{_name(rng)[0]}, whose house stands by the {s['river']},"
    return s


# -- documents ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit a text carries: a wire sentence ("s") or a quote ("q"), in a rendering, at a span."""

    id: str  # "EVENT/s3" or "EVENT/q1"
    rendering: str  # "exact", "edited", "translated", "paraphrase"
    text: str  # the rendering's words before any OCR noise
    start: int
    end: int


@dataclass(slots=True)
class Doc:
    """A generated text with the units, names and chrome it carries (spans into its text)."""

    id: str
    event: str
    role: str  # "wire", "reprint", "report", "filler"
    outlet: str
    scraped: bool = False
    ocr: bool = False
    #: Where its sentences come from: the event kind's templates ("election"...), or "article/NAME".
    family: str = ""
    #: Whether it quotes the event's short phrase (a few words said by one of its people).
    soundbite: bool = False
    parts: list[str] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    names: list[tuple[int, int]] = field(default_factory=list)
    chrome: list[tuple[str, int, int]] = field(default_factory=list)
    length: int = 0

    def add(self, text: str, *, name: bool = False, chrome: str | None = None) -> tuple[int, int]:
        """Append ``text``; the span it takes."""
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if name and text:
            self.names.append((start, self.length))
        if chrome is not None:
            self.chrome.append((chrome, start, self.length))
        return start, self.length

    @property
    def text(self) -> str:
        """The text."""
        return "".join(self.parts)


# A sentence as written: its pieces, and the units it carries as (unit id, rendering, piece range).
@dataclass(slots=True)
class Sentence:
    """A sentence before layout: pieces, the wire-sentence unit it is (if any), its quote (if any)."""

    pieces: list[Piece]
    unit: str | None = None
    rendering: str = "exact"
    quote: tuple[str, str, int] | None = None  # (quote unit id, rendering, index of the quote piece)


@dataclass(slots=True)
class Story:
    """A story before layout: headline, dateline and paragraphs of sentences."""

    headline: str
    dateline: str
    paragraphs: list[list[Sentence]]
    headline_unit: str | None = None
    #: Whether it quotes the event's short phrase (under 8 words: not evidence).
    soundbite: bool = False


# -- OCR-style noise ------------------------------------------------------------------------------------

_CONFUSIONS = (("rn", "m"), ("m", "rn"), ("l", "1"), ("O", "0"), ("e", "c"), ("i", "í"), ("h", "b"))


def ocr_noise(text: str, rng: random.Random, rate: float = 0.06) -> str:
    """``text`` as a poor scan reads it: about ``rate`` of its words confused, broken or joined."""
    out: list[str] = []
    tokens = text.split(" ")
    for n, w in enumerate(tokens):
        r = rng.random()
        if r < rate and len(w) > 3:
            a, b = rng.choice(_CONFUSIONS)
            if a in w:
                i = w.index(a)
                w = w[:i] + b + w[i + len(a) :]
        elif r < 1.5 * rate and len(w) >= 8 and w.isalpha():
            cut = rng.randrange(3, len(w) - 3)
            w = w[:cut] + "- " + w[cut:]
        elif r < 2 * rate and n + 1 < len(tokens) and out:
            out[-1] = out[-1] + w
            continue
        out.append(w)
    return " ".join(out)


# -- writers --------------------------------------------------------------------------------------------


class Writer:
    """Writes sentences for texts, checking with the registry that none repeats another's 8 words."""

    def __init__(self, registry: Registry, rng: random.Random) -> None:
        self.registry = registry
        self.rng = rng

    def own(
        self,
        owner: str,
        event: Event,
        fact: int,
        variants: Sequence[int],
        used: set[int],
        context: Sequence[Piece],
    ) -> list[Piece] | None:
        """A fact of ``event`` in the first of ``variants`` (not in ``used``) that repeats nobody.

        None if every way of writing it would repeat another text (the writer leaves it out).
        """
        for v in [x for x in variants if x not in used]:
            template = Template.parse(event.kind.facts[fact][v])
            for _ in range(6):
                pieces = _capitalise(template.render(event.slots, template.draw(self.rng)))
                grams = self.registry.grams(pieces, context=context)
                if self.registry.fits(grams, owner):
                    self.registry.claim(grams, owner)
                    used.add(v)
                    return pieces
        return None

    def framed(self, owner: str, pieces: list[Piece], context: Sequence[Piece]) -> bool:
        """Claim the frame words around a quote (or an exclusive quote), if they repeat nobody."""
        grams = self.registry.grams(pieces, context=context)
        if not self.registry.fits(grams, owner):
            return False
        self.registry.claim(grams, owner)
        return True


_RENDER = ("edited", "translated")
_WIRE_MARKS = ('"', '"')


def _make_quote(
    event: Event, item: m.QuoteItem, qid: str, registry: Registry, rng: random.Random
) -> Quote | None:
    template = Template.parse(item.text)
    owner = f"{event.id}/{qid}"
    for _ in range(8):
        quote = Quote(qid, item, template, template.draw(rng), item.speaker)
        grams: list[tuple[str, ...]] = []
        quote.renderings = {"exact": [quote.render(event.slots, "exact", rng)]}
        for r in _RENDER:
            quote.renderings[r] = [quote.render(event.slots, r, rng) for _ in range(3)]
        for texts in quote.renderings.values():
            for text in texts:
                grams += Registry.grams([(text, "own")])
        if registry.fits(grams, owner):
            registry.claim(grams, owner)
            return quote
    return None


def _frame(marks: tuple[str, str], frame: str, sp: str, quote: str, day: str) -> list[Piece]:
    """A quote in its attribution frame; a comma or full stop right after the quote goes inside the marks."""
    out: list[Piece] = []
    pos = 0
    for x in re.finditer(r"\{(q|sp|day2)\}", frame):
        if x.start() > pos:
            out.append((frame[pos : x.start()], "own"))
        pos = x.end()
        if x.group(1) == "q":
            out += [(marks[0], "mark"), (quote, "quote")]
            if frame[pos : pos + 1] in (",", "."):
                out.append((frame[pos], "own"))
                pos += 1
            out.append((marks[1], "mark"))
        elif x.group(1) == "sp":
            out.append((sp, "name"))
        else:
            out.append((day, "name"))
    if pos < len(frame):
        out.append((frame[pos:], "own"))
    return _capitalise(out)


# -- the corpus -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoldPair:
    """A pair of texts of one event: reuse or not, the kind, and the passages (a0, a1, b0, b1)."""

    a: str
    b: str
    reuse: bool
    kind: str
    passages: tuple[tuple[int, int, int, int], ...] = ()
    #: What makes the pair harder: "ocr" and "scraped" (either side), "long-names" (a shared run of
    #: 8 or more words that are all names or stock phrases).
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HardNews:
    """A generated corpus (texts in corpus order) and its gold."""

    seed: int
    docs: tuple[Doc, ...]
    pairs: tuple[GoldPair, ...]

    def records(self) -> list[dict[str, str]]:
        """The corpus as JSONL records (``id``, ``text``)."""
        return [{"id": d.id, "text": d.text} for d in self.docs]

    @property
    def positives(self) -> list[GoldPair]:
        """The pairs that share copied text."""
        return [p for p in self.pairs if p.reuse]

    @property
    def hard_negatives(self) -> list[GoldPair]:
        """Pairs of independent reports of one event (names, titles, stock phrases; no copied text)."""
        return [p for p in self.pairs if not p.reuse]

    def template_pairs(self) -> list[tuple[str, str]]:
        """Pairs of texts of two events of one kind: written from the same sentence templates.

        The 8-gram index keeps them from sharing 8 words, but their sentences have the same shape
        with other names and some other words ("is studying a video in which masked gunmen claim
        to have killed ..."): a template, which FNC-1's guide would call reuse. They are not labelled.
        """
        out = []
        for x, y in combinations(self.docs, 2):
            if x.event != y.event and x.family == y.family and not x.family.startswith("article/"):
                out.append((x.id, y.id) if x.id < y.id else (y.id, x.id))
        return sorted(out)

    def chrome_only_pairs(self) -> list[tuple[str, str]]:
        """Pairs of texts of different events that share chrome or a wire's legal notice: never evidence.

        Pairs of two events of one kind (:meth:`template_pairs`) are left out: they share more.
        """
        by_key: dict[str, list[str]] = {}
        for d in self.docs:
            for key in sorted({k for k, _, _ in d.chrome}):
                by_key.setdefault(key, []).append(d.id)
        event = {d.id: d.event for d in self.docs}
        family = {d.id: d.family for d in self.docs}
        out: set[tuple[str, str]] = set()
        for ids in by_key.values():
            for a, b in combinations(ids, 2):
                if event[a] != event[b] and family[a] != family[b]:
                    out.add((a, b) if a < b else (b, a))
        return sorted(out)

    def to_json(self) -> dict[str, Any]:
        """The gold as plain data."""
        return {
            "seed": self.seed,
            "documents": [
                {
                    "id": d.id,
                    "event": d.event,
                    "role": d.role,
                    "outlet": d.outlet,
                    "scraped": d.scraped,
                    "ocr": d.ocr,
                    "family": d.family,
                    "units": [[u.id, u.rendering, u.start, u.end] for u in d.units],
                    "names": [list(x) for x in d.names],
                    "chrome": [list(x) for x in d.chrome],
                }
                for d in self.docs
            ],
            "pairs": [
                {
                    "a": p.a,
                    "b": p.b,
                    "label": "reuse" if p.reuse else "no",
                    "kind": p.kind,
                    "flags": list(p.flags),
                    "passages": [list(x) for x in p.passages],
                }
                for p in self.pairs
            ],
            "chrome_only_pairs": [list(x) for x in self.chrome_only_pairs()],
            "template_pairs": [list(x) for x in self.template_pairs()],
        }


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.registry = Registry()
        self.writer = Writer(self.registry, self.rng)
        self.docs: list[Doc] = []
        self.page = 0
        self.used_items: dict[str, int] = {}

    # -- stories ----------------------------------------------------------------------------------------

    def event(self, n: int, kind: m.Kind) -> Event:
        event = Event(f"e{n:03d}", kind, _slots(kind, self.rng))
        event.interview_base = self.rng.randrange(len(kind.exclusives))
        event.soundbite = self.rng.choice(kind.soundbites)
        items = list(kind.quotes)
        self.rng.shuffle(items)
        items.sort(key=lambda it: self.used_items.get(it.text, 0))
        for item in items:
            if len(event.quotes) == 2:
                break
            q = _make_quote(event, item, f"q{len(event.quotes) + 1}", self.registry, self.rng)
            if q is not None:
                event.quotes.append(q)
        if len(event.quotes) < 2:
            raise GenerationError(f"{event.id}: no two quotes that repeat nobody")
        return event

    def headline(self, event: Event, variant: int) -> list[Piece]:
        """A headline of ``event`` (one of six ways)."""
        t = Template.parse(event.kind.headlines[variant % len(event.kind.headlines)])
        return _capitalise(t.render(event.slots, t.draw(self.rng)))

    def quote_sentence(
        self,
        owner: str,
        event: Event,
        quote: Quote,
        rendering: str,
        outlet_quotes: tuple[str, str],
        frame: int,
    ) -> Sentence | None:
        """A sentence carrying ``quote`` in ``rendering`` (a paraphrase is indirect speech).

        None when the paraphrase would repeat another text's words (it is left out).
        """
        s = event.slots
        if rendering == "paraphrase":
            t = Template.parse(quote.item.paraphrase)
            pieces = _capitalise(t.render(s, t.draw(self.rng)))
            pieces[-1] = (pieces[-1][0] + ".", pieces[-1][1])
            if not self.writer.framed(owner, pieces, ()):
                return None
            return Sentence(pieces, quote=(f"{event.id}/{quote.id}", "paraphrase", 0))
        words_ = self.rng.choice(quote.renderings[rendering])
        for k in range(len(m.FRAMES)):
            pieces = _frame(
                outlet_quotes,
                m.FRAMES[(frame + k) % len(m.FRAMES)],
                s[quote.speaker + "_sp"],
                words_,
                s["day2"],
            )
            if self.writer.framed(owner, pieces, ()):
                index = next(i for i, (_, tag) in enumerate(pieces) if tag == "quote")
                return Sentence(pieces, quote=(f"{event.id}/{quote.id}", rendering, index))
        raise GenerationError(f"{owner}: no frame for {quote.id} that repeats nobody")

    def soundbite(self, owner: str, event: Event, marks: tuple[str, str], writer: int) -> Sentence | None:
        """The event's short quoted phrase in a frame of the writer's (None if it would repeat a text)."""
        kind = event.kind
        sp = event.slots[kind.soundbite_speaker + "_sp"]
        for k in range(len(m.SOUNDBITE_FRAMES)):
            frame = m.SOUNDBITE_FRAMES[(writer + k) % len(m.SOUNDBITE_FRAMES)]
            pieces = [
                (t, "name" if tag == "quote" else tag)
                for t, tag in _frame(marks, frame, sp, event.soundbite, "")
            ]
            if self.writer.framed(owner, pieces, ()):
                return Sentence(pieces)
        return None

    def exclusive(
        self, owner: str, event: Event, outlet_quotes: tuple[str, str], frame: int
    ) -> Sentence | None:
        """A quote from an interview only this writer has (None if none repeats nobody).

        Each writer of an event who has an interview has it with another person, on another theme.
        """
        n = event.interviews
        items = event.kind.exclusives
        if n >= min(len(items), _INTERVIEWEES):
            return None
        for item in (items[(event.interview_base + n) % len(items)],):
            t = Template.parse(item.text)
            for _ in range(6):
                said = t.render(event.slots, t.draw(self.rng))
                framed = _frame(
                    outlet_quotes,
                    m.FRAMES[frame % len(m.FRAMES)],
                    event.slots[f"{item.speaker}{n}_sp"],
                    _text(said),
                    event.slots["day2"],
                )
                # nobody else has this quote: all of it is checked as the writer's own words
                at = next(i for i, (_, tag) in enumerate(framed) if tag == "quote")
                pieces = [*framed[:at], *said, *framed[at + 1 :]]
                if self.writer.framed(owner, pieces, ()):
                    event.interviews += 1
                    return Sentence(pieces)
        return None

    def own_story(
        self,
        owner: str,
        event: Event,
        writer: int,
        perms: Sequence[Sequence[int]],
        used: list[set[int]],
        quotes: Sequence[tuple[Quote, str]],
        outlet_quotes: tuple[str, str],
        dateline: str,
        exclusive: bool = False,
        wire_units: bool = False,
        soundbite: bool = False,
    ) -> Story:
        """A report in the writer's own words, with ``quotes`` (quote, rendering) placed after facts."""
        facts: list[Sentence | None] = []
        context: list[Piece] = []
        for f in range(len(event.kind.facts)):
            order = list(perms[f][writer:]) + list(perms[f][:writer])
            pieces = self.writer.own(owner, event, f, order, used[f], context)
            facts.append(None if pieces is None else Sentence(pieces))
            context = pieces or []
        if facts[0] is None:
            raise GenerationError(f"{owner}: no way to write the lead of {event.id} without repeating")
        sentences = [x for x in facts[:2] if x is not None]
        bite = self.soundbite(owner, event, outlet_quotes, writer) if soundbite else None
        if bite is not None:
            sentences.append(bite)
        placed = [
            x
            for n, (q, r) in enumerate(quotes)
            if (x := self.quote_sentence(owner, event, q, r, outlet_quotes, writer + n)) is not None
        ]
        if placed:
            sentences.append(placed[0])
        sentences += [x for x in facts[2:3] if x is not None]
        if exclusive and (x := self.exclusive(owner, event, outlet_quotes, writer + 2)) is not None:
            sentences.append(x)
        sentences += placed[1:]
        sentences += [x for x in facts[3:] if x is not None]
        if wire_units:
            for i, sentence in enumerate(sentences):
                sentence.unit = f"{event.id}/s{i}"
        paragraphs = [[x] for x in sentences]
        if len(paragraphs) > 4:
            paragraphs = [*paragraphs[:2], paragraphs[2] + paragraphs[3], *paragraphs[4:]]
        unit = f"{event.id}/h" if wire_units else None
        head = self.headline(event, writer)
        # the whole story once more, across sentence boundaries, headline and dateline included
        if not self.story_fits(owner, head, dateline, sentences):
            raise GenerationError(f"{owner}: a headline or a sentence boundary repeats another text")
        return Story(_text(head), dateline, paragraphs, unit, bite is not None)

    def story_fits(
        self, owner: str, head: Sequence[Piece], dateline: str, sentences: Sequence[Sentence]
    ) -> bool:
        """Claim the 8-grams of a whole story (across its sentences) if none belongs to another text."""
        seq: list[Piece] = [*head, ("\n", "own"), (dateline, "name")]
        for sentence in sentences:
            seq += [(" ", "own"), *sentence.pieces]
        grams = self.registry.grams(seq)
        if not self.registry.fits(grams, owner):
            return False
        self.registry.claim(grams, owner)
        return True

    # -- layout -----------------------------------------------------------------------------------------

    def layout(self, doc: Doc, story: Story, outlet: m.Outlet | None, wire: m.Wire | None) -> Doc:
        """Write ``story`` into ``doc``: clean (paragraphs on lines) or scraped (chrome inside long lines)."""
        self.page += 1
        page_id = f"{self.rng.randrange(16**6):06x}"
        rng = self.rng
        noise = random.Random(rng.random()) if doc.ocr else None

        def put(text: str, tag: str) -> tuple[int, int]:
            if noise is not None and tag != "chrome":
                text = ocr_noise(text, noise)
            return doc.add(text, name=tag == "name")

        def chrome(key: str, text: str) -> None:
            doc.add(text.replace("{id}", page_id), chrome=key)

        scraped = outlet is not None and outlet.scraped
        doc.soundbite = story.soundbite
        if scraped and outlet is not None:
            for n, c in enumerate(outlet.top):
                chrome(f"{outlet.key}/top{n}", c)
                doc.add("\n")
        span = doc.add(story.headline)
        if story.headline_unit is not None:
            doc.units.append(Unit(story.headline_unit, "exact", story.headline, *span))
        doc.add("\n" if scraped else "\n\n")
        inside = list(outlet.inside) if scraped and outlet is not None else []
        for p, paragraph in enumerate(story.paragraphs):
            if p:
                if scraped and outlet is not None:
                    doc.add(outlet.separator)
                    if inside and p in (1, 3):
                        n = len(outlet.inside) - len(inside)
                        chrome(f"{outlet.key}/inside{n}", inside.pop(0))
                        doc.add(outlet.separator)
                else:
                    doc.add("\n\n")
            elif story.dateline:
                doc.add(story.dateline, name=True)
                doc.add(" ")
            for s, sentence in enumerate(paragraph):
                if s:
                    doc.add(" ")
                start = doc.length
                quote_span: tuple[int, int] | None = None
                for i, (text, tag) in enumerate(sentence.pieces):
                    span = put(text, tag)
                    if sentence.quote is not None and i == sentence.quote[2]:
                        quote_span = span
                if sentence.unit is not None:
                    doc.units.append(
                        Unit(sentence.unit, sentence.rendering, _text(sentence.pieces), start, doc.length)
                    )
                if sentence.quote is not None and quote_span is not None:
                    qid, rendering, index = sentence.quote
                    span = (start, doc.length) if rendering == "paraphrase" else quote_span
                    said = _text(sentence.pieces) if rendering == "paraphrase" else sentence.pieces[index][0]
                    doc.units.append(Unit(qid, rendering, said, *span))
        ends: list[tuple[str, str]] = []
        if outlet is not None:
            ends += [(f"{outlet.key}/end{n}", c) for n, c in enumerate(outlet.end)]
        if wire is not None:
            ends.append((f"legal/{wire.key}", wire.notice))
        if scraped:
            for key, c in ends:
                doc.add(" ")
                chrome(key, c)
            doc.add("\n")
        else:
            for key, c in ends:
                doc.add("\n\n")
                chrome(key, c)
            doc.add("\n")
        return doc


def _light_edit(sentence: Sentence, rng: random.Random) -> Sentence:
    """A reprint's edit of one wire sentence: a word of its own text dropped, or "said" changed."""
    pieces = list(sentence.pieces)
    own = [i for i, (t, tag) in enumerate(pieces) if tag == "own" and len(t.split()) > 3]
    if not own:
        return sentence
    i = rng.choice(own)
    text = pieces[i][0]
    if " said" in text:
        text = text.replace(" said", " " + rng.choice(("added", "told reporters", "stated")), 1)
    else:
        tokens = text.split(" ")
        inner = [k for k in range(1, len(tokens) - 1) if tokens[k].isalpha() and len(tokens[k]) > 3]
        if not inner:
            return sentence
        del tokens[rng.choice(inner)]
        text = " ".join(tokens)
    pieces[i] = (text, "own")
    return Sentence(pieces, sentence.unit, "edited", sentence.quote)


def _reprint(story: Story, rng: random.Random, outlet: m.Outlet, trim: int) -> Story:
    paragraphs = [list(p) for p in story.paragraphs[: len(story.paragraphs) - trim]]
    for p in paragraphs:
        for i, s in enumerate(p):
            if rng.random() < 0.25 and s.quote is None:
                p[i] = _light_edit(s, rng)
    # the outlet's quote marks replace the wire's
    for p in paragraphs:
        for i, s in enumerate(p):
            marks = iter(outlet.quotes)
            pieces = [(next(marks, t) if tag == "mark" else t, tag) for t, tag in s.pieces]
            p[i] = Sentence(pieces, s.unit, s.rendering, s.quote)
    return Story(story.headline, story.dateline, paragraphs, story.headline_unit, story.soundbite)


def _passages(x: Doc, y: Doc) -> tuple[list[tuple[int, int, int, int]], list[str]]:
    """The gold passages of two texts, and the kinds of what they share."""
    y_sent = {u.id: u for u in y.units if "/q" not in u.id}
    shared = [(u, y_sent[u.id]) for u in x.units if "/q" not in u.id and u.id in y_sent]
    runs: list[list[tuple[Unit, Unit]]] = []
    xt, yt = x.text, y.text
    for ux, uy in shared:
        if runs:
            px, py = runs[-1][-1]
            if not xt[px.end : ux.start].strip() and not yt[py.end : uy.start].strip() and uy.start > py.end:
                runs[-1].append((ux, uy))
                continue
        runs.append([(ux, uy)])
    passages = [(r[0][0].start, r[-1][0].end, r[0][1].start, r[-1][1].end) for r in runs]
    kinds = ["reprint"] if passages else []
    y_quotes = {u.id: u for u in y.units if "/q" in u.id}
    for ux in x.units:
        found = y_quotes.get(ux.id)
        if found is None or "/q" not in ux.id:
            continue
        uy = found
        if "paraphrase" in (ux.rendering, uy.rendering):
            kinds.append("paraphrase-only")
            continue
        inside = any(
            a0 <= ux.start and ux.end <= a1 and b0 <= uy.start and uy.end <= b1 for a0, a1, b0, b1 in passages
        )
        if inside:
            continue
        size, least = COUNTS_AS_REUSE
        if min(len(words(ux.text)), len(words(uy.text))) < size or quote_similarity(ux.text, uy.text) < least:
            kinds.append("quote-distant")
            continue
        passages.append((ux.start, ux.end, uy.start, uy.end))
        if ux.text == uy.text:
            kinds.append("quote-exact")
        elif "translated" in (ux.rendering, uy.rendering):
            kinds.append("quote-translated")
        else:
            kinds.append("quote-edited")
    return sorted(passages), kinds


def _long_names(x: Doc, y: Doc) -> bool:
    """Whether two texts share a run of 8 or more words that are all inside name spans."""

    def grams(d: Doc) -> set[tuple[str, ...]]:
        out: set[tuple[str, ...]] = set()
        text = d.text
        for a, b in d.names:
            w = words(text[a:b])
            out |= {tuple(w[i : i + N]) for i in range(len(w) - N + 1)}
        return out

    return bool(grams(x) & grams(y))


_STRENGTH = ("reprint", "quote-exact", "quote-edited", "quote-translated")


def gold_pairs(docs: Sequence[Doc]) -> list[GoldPair]:
    """Every pair of texts of one event: reuse (with passages and kind) or a hard negative."""
    by_event: dict[str, list[Doc]] = {}
    for d in docs:
        by_event.setdefault(d.event, []).append(d)
    out = []
    for group in by_event.values():
        for x, y in combinations(group, 2):
            passages, kinds = _passages(x, y)
            flags = [f for f, on in (("ocr", x.ocr or y.ocr), ("scraped", x.scraped or y.scraped)) if on]
            if x.soundbite and y.soundbite:
                flags.append("short-quote")
            if _long_names(x, y):
                flags.append("long-names")
            if passages:
                kind = next(k for k in _STRENGTH if k in kinds)
                out.append(GoldPair(x.id, y.id, True, kind, tuple(passages), tuple(flags)))
            else:
                kind = (
                    "paraphrased-quote"
                    if "paraphrase-only" in kinds
                    else "distant-quote"
                    if "quote-distant" in kinds
                    else "independent"
                )
                out.append(GoldPair(x.id, y.id, False, kind, (), tuple(flags)))
    return out


#: The roles of the outlets reporting an event in their own words: which quotes, in which rendering.
#: "R" is a rendering drawn from exact / edited / translated.
_ROLES = (
    (("q1", "paraphrase"),),
    (),  # only its own interview
    (("q1", "R"), ("q2", "paraphrase")),
    (("q2", "R"),),
    (("q1", "translated"), ("q2", "R")),
)


def _event_docs(b: _Builder, n: int, kind: m.Kind, reports: int) -> list[Doc]:
    """The texts of one event: the wire story, two reprints of it and ``reports`` own-words reports."""
    rng = b.rng
    docs: list[Doc] = []
    outlets = list(m.OUTLETS)
    event = b.event(n, kind)
    s = event.slots
    perms = [rng.sample(range(6), 6) for _ in kind.facts]
    used: list[set[int]] = [set() for _ in kind.facts]
    wire = m.WIRES[n % len(m.WIRES)]
    dateline = f"{s['capital'].upper()}, {s['month']} {s['date']} ({wire.credit}) —"
    wire_id = f"{wire.key}/{event.id}"
    wire_story = b.own_story(
        wire_id,
        event,
        0,
        perms,
        used,
        [(event.quotes[0], "exact"), (event.quotes[1], "exact")],
        _WIRE_MARKS,
        dateline,
        wire_units=True,
        soundbite=rng.random() < 0.5,
    )
    docs.append(b.layout(Doc(wire_id, event.id, "wire", wire.key), wire_story, None, wire))
    rng.shuffle(outlets)
    # two reprints: one clean, one scraped; one of them (sometimes both) trimmed, some OCR-noised
    clean = next(o for o in outlets if not o.scraped)
    scraped = next(o for o in outlets if o.scraped)
    for k, outlet in enumerate((clean, scraped)):
        trim = rng.choice((0, 1, 2)) if k == 0 else rng.choice((0, 0, 1))
        story = _reprint(wire_story, rng, outlet, trim)
        doc = Doc(f"{outlet.key}/{event.id}-reprint", event.id, "reprint", outlet.key, outlet.scraped)
        doc.ocr = rng.random() < 0.4
        docs.append(b.layout(doc, story, outlet, wire))
    others = [o for o in outlets if o not in (clean, scraped)] + [clean, scraped]
    for r in range(reports):
        outlet = others[r % len(others)]
        role = _ROLES[r]
        quotes = []
        for qid, rendering in role:
            q = next(x for x in event.quotes if x.id == qid)
            if rendering == "R":
                rendering = rng.choice(("exact", "edited", "translated"))
            quotes.append((q, rendering))
        owner = f"{outlet.key}/{event.id}"
        city = s["capital"].upper()
        story = b.own_story(
            owner,
            event,
            r + 1,
            perms,
            used,
            quotes,
            outlet.quotes,
            f"{city} —",
            exclusive=r % 2 == 1,
            soundbite=rng.random() < 0.6,
        )
        doc = Doc(owner, event.id, "report", outlet.key, outlet.scraped)
        docs.append(b.layout(doc, story, outlet, None))
    for q in event.quotes:
        b.used_items[q.item.text] = b.used_items.get(q.item.text, 0) + 1
    for d in docs:
        d.family = kind.name
    return docs


def generate(seed: int = 1, *, events: int = 9, reports: int = 4, fillers: int | None = None) -> HardNews:
    """A corpus with its gold, deterministic for ``seed``.

    ``events`` events, each with a wire story, two reprints of it and ``reports`` own-words reports,
    and ``fillers`` single reports of other events (default: twice ``events``).
    """
    if not 2 <= reports <= 5:
        raise ValueError("reports must be 2 to 5 (six ways to write each fact: the wire and five outlets)")
    b = _Builder(seed)
    rng = b.rng
    fillers = 2 * events if fillers is None else fillers
    docs: list[Doc] = []
    made_events = attempts = 0
    while made_events < events:
        attempts += 1
        if attempts > 3 * events:
            raise GenerationError(
                f"could not write {events} events without repeating text: the base material "
                "(quotes, ways to write each fact) is too thin for that many; use fewer events"
            )
        saved = dict(b.registry.owner)
        try:
            docs += _event_docs(b, made_events, m.KINDS[made_events % len(m.KINDS)], reports)
        except GenerationError:
            b.registry.owner = saved  # forget what the failed attempt wrote
            continue
        made_events += 1
    # fillers: first the articles of benchmarks/articles (each once), then generated single reports
    # (one that cannot be written without repeating another text is dropped, and another tried)
    base = [a for a in load_articles() if a.twin_of is None]
    rng.shuffle(base)
    made = tries = 0
    while made < fillers and tries < 3 * fillers:
        tries += 1
        publisher: m.Outlet | m.Wire = rng.choice((*m.OUTLETS, *m.WIRES))
        marks = publisher.quotes if isinstance(publisher, m.Outlet) else _WIRE_MARKS
        event_id = f"f{made:03d}"
        credit = f" ({publisher.credit})" if isinstance(publisher, m.Wire) else ""
        saved = dict(b.registry.owner)
        if base:
            article = base.pop()
            family = f"article/{article.name}"
            sentences = [[Sentence([(x, "own")]) for x in p] for p in article.paragraphs]
            story = Story(article.headline, f"{article.city}{credit} —", sentences)
            flat = [x for p in sentences for x in p]
            if not b.story_fits(
                f"{publisher.key}/{event_id}", [(article.headline, "own")], story.dateline, flat
            ):
                continue
        else:
            kind = m.KINDS[rng.randrange(len(m.KINDS))]
            family = kind.name
            event = Event(event_id, kind, _slots(kind, rng))
            perms = [rng.sample(range(6), 6) for _ in kind.facts]
            used: list[set[int]] = [set() for _ in kind.facts]
            dateline = f"{event.slots['capital'].upper()}{credit} —"
            try:
                story = b.own_story(
                    f"{publisher.key}/{event_id}", event, 0, perms, used, (), marks, dateline, exclusive=True
                )
            except GenerationError:
                b.registry.owner = saved
                continue
        if isinstance(publisher, m.Wire):
            doc = Doc(f"{publisher.key}/{event_id}", event_id, "filler", publisher.key, family=family)
            docs.append(b.layout(doc, story, None, publisher))
        else:
            doc = Doc(
                f"{publisher.key}/{event_id}",
                event_id,
                "filler",
                publisher.key,
                publisher.scraped,
                family=family,
            )
            docs.append(b.layout(doc, story, publisher, None))
        made += 1
    rng.shuffle(docs)
    return HardNews(seed, tuple(docs), tuple(gold_pairs(docs)))


def main(argv: list[str] | None = None) -> None:
    """Write a hard synthetic corpus (``corpus.jsonl``) and its gold (``gold.json``) to a folder."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--events", type=int, default=9, help="events reported by several writers")
    parser.add_argument("--reports", type=int, default=4, help="own-words reports per event (2-5)")
    parser.add_argument("--fillers", type=int, default=None, help="single reports of other events")
    args = parser.parse_args(argv)
    corpus = generate(args.seed, events=args.events, reports=args.reports, fillers=args.fillers)
    args.outdir.mkdir(parents=True, exist_ok=True)
    with open(args.outdir / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for record in corpus.records():
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    (args.outdir / "gold.json").write_text(
        json.dumps(corpus.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    pos = len(corpus.positives)
    print(
        f"{len(corpus.docs)} texts, {pos} reuse pairs, {len(corpus.hard_negatives)} hard negatives, "
        f"{len(corpus.chrome_only_pairs())} chrome-only pairs -> {args.outdir}"
    )


if __name__ == "__main__":
    main()
